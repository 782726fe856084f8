import { isObj, kubectl, KubeError, type KubeSession } from '../../src/clients/kube.js';
import type { ObjectReference } from '../../src/config/target.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext } from '../../src/engine/types.js';
import { CERT_MANAGER_GROUP } from '../../src/flyte/references.js';
import { conditions, forbiddenHint, forbiddenText, getOr, isForbidden, isPlaceholder, keyOf, releaseInstalled, renderedName, rollUp, serviceEndpoints, type Item } from './_objects.js';
import { API_MESSAGES, withKube } from './_support.js';

const MESSAGES = {
  webhookUnavailable: { status: 'fail', summary: 'cert-manager\'s own admission webhook (webhook.cert-manager.io, failurePolicy Fail) has no ready endpoints: the API server refuses every Certificate and Issuer create or update ("no endpoints available for service cert-manager-webhook").' },
  issuerReady: { status: 'pass', summary: 'cert-manager\'s API is served and the (Cluster)Issuer the Ingress annotation names exists and is Ready.' },
  certificateReady: { status: 'pass', summary: 'verify: the Certificate cert-manager made for the Ingress TLS Secret is Ready and the Secret exists.' },
  notUsed: { status: 'skip', summary: 'No cert-manager annotation on the Ingresses (their TLS Secrets are checked by kubernetes.objects.secrets).' },
  notInstalled: { status: 'fail', summary: 'The Ingress has cert-manager annotations but cert-manager is not installed (API group cert-manager.io/v1 with certificates, issuers, clusterissuers not served).' },
  issuerMissing: { status: 'fail', summary: 'The (Cluster)Issuer the annotation names does not exist (an Issuer in another namespace is named: Issuers issue only in their own namespace).' },
  issuerKindMismatch: { status: 'fail', summary: 'The annotation names an Issuer but only a ClusterIssuer of that name exists, or the other way round: the wrong annotation key is used.' },
  issuerNotReady: { status: 'fail', summary: 'The (Cluster)Issuer exists but is not Ready: its condition reason and message are quoted (e.g. the ACME account cannot be registered).' },
  issuerPending: { status: 'warn', summary: 'The (Cluster)Issuer has no Ready condition yet: the cert-manager controller has not processed it (is it running?).' },
  issuerStale: { status: 'warn', summary: 'The (Cluster)Issuer\'s Ready condition was written for an older generation of its spec: the cert-manager controller has not processed the change (is it running?), so its readiness cannot be judged.' },
  externalIssuer: { status: 'warn', summary: 'The annotation names an issuer of another API group (cert-manager.io/issuer-group): an external issuer whose readiness flyte-doctor does not read.' },
  defaultIssuer: { status: 'warn', summary: 'kubernetes.io/tls-acme: "true" relies on cert-manager\'s default issuer (a controller flag), which cannot be seen from the API.' },
  certificateMissing: { status: 'fail', summary: 'verify: no Certificate exists for the Ingress TLS Secret: cert-manager\'s ingress-shim did not create one.' },
  certificateNotReady: { status: 'fail', summary: 'verify: the Certificate for the Ingress TLS Secret is not Ready (reason and message quoted), or is Ready while its Secret is missing.' },
  cannotRead: { status: 'warn', summary: 'The identity may not read cert-manager\'s objects (403): cannot be checked with these credentials.' },
  ...API_MESSAGES,
} as const;
type Id = keyof typeof MESSAGES;

const GROUP_CAUSE = cause.object('apigroup', undefined, CERT_MANAGER_GROUP);
const INSTALL = 'install cert-manager (`helm install cert-manager cert-manager --repo https://charts.jetstack.io -n cert-manager --create-namespace --set crds.enabled=true`)';
type Obj = Record<string, unknown>;

export default defineCheck({
  id: 'kubernetes.objects.certmanager',
  title: 'cert-manager, the Issuer the Ingress annotations name, and (verify) the Certificate of the TLS Secret are ready',
  phases: ['preflight', 'verify'],
  needs: ['kubernetes'],
  dependsOn: ['kubernetes.api.reachable', 'kubernetes.namespace.exists'],
  messages: MESSAGES,
  explain: {
    what: 'When the Ingress annotations ask cert-manager for the TLS certificate (`cert-manager.io/cluster-issuer`, `cert-manager.io/issuer`, `kubernetes.io/tls-acme`): reads API discovery for cert-manager.io/v1 (certificates, issuers, clusterissuers), then the named ClusterIssuer (or the Issuer in the release namespace) and its Ready condition (a Ready condition written for an older generation of the spec is stale: the controller has not processed the change, which is said, not judged); an annotation of the wrong kind (issuer vs cluster-issuer) and an Issuer in another namespace are named. In verify, reads the Certificate that cert-manager\'s ingress-shim names after each TLS Secret (`tls[].secretName`), its Ready condition, and the Secret. When the webhook configurations may be listed, checks that cert-manager\'s own webhook (webhook.cert-manager.io, failurePolicy Fail) calls a Service that exists and has ready endpoints: otherwise the API server refuses every cert-manager object.',
    why: 'Without cert-manager the annotation does nothing; with a missing or failing issuer no certificate is ever issued. `helm install` succeeds either way and the Ingress controller serves its default self-signed certificate, so every client fails TLS verification.',
    fix: 'Install cert-manager (with its CRDs), create the ClusterIssuer/Issuer (an Issuer in the release namespace), or use the annotation key of the kind that exists. When a Certificate is not Ready, `kubectl describe certificate <secretName> -n <ns>` and the CertificateRequest/Order/Challenge say why (DNS, HTTP-01 reachability, rate limits).',
  },
  async run(ctx) {
    const t = ctx.target;
    const refs = t.references ?? [];
    const issuers = refs.filter((r) => ['ClusterIssuer', 'Issuer'].includes(r.kind) || (r.apiVersion !== undefined && r.annotation?.startsWith('cert-manager.io/') && !r.api));
    const tlsSecrets = refs.filter((r) => r.kind === 'Secret' && r.issuedBy);
    if (!issuers.length) return { status: 'skip', messageId: 'notUsed', message: 'no cert-manager annotation on the Ingresses: their TLS Secrets are checked by kubernetes.objects.secrets' };
    const k = kubectl(t.kubernetes);
    return withKube<Id>(ctx, 'cert-manager and its issuers', async (s, signal) => {
      const first = issuers[0]!;
      const disc = await getOr<Obj>(s, `/apis/${CERT_MANAGER_GROUP}/v1`, signal);
      if (disc instanceof KubeError) return rollUp([forbiddenItem(disc, s, k, 'the cert-manager.io API')], { what: 'cert-manager' });
      const served = new Set(Array.isArray(disc?.['resources']) ? (disc!['resources'] as unknown[]).filter(isObj).map((x) => String(x['name'])) : []);
      const needed = ['certificates', 'issuers', 'clusterissuers'];
      const lacking = needed.filter((x) => !served.has(x));
      if (!disc || lacking.length) {
        const group = disc ? undefined : await getOr<Obj>(s, `/apis/${CERT_MANAGER_GROUP}`, signal);
        const versions = group && !(group instanceof KubeError) && Array.isArray(group['versions']) ? (group['versions'] as unknown[]).filter(isObj).map((v) => String(v['groupVersion'])) : [];
        const why = disc ? `the API group ${CERT_MANAGER_GROUP}/v1 lacks ${lacking.join(', ')}` : versions.length ? `only ${versions.join(', ')} is served (cert-manager older than 1.0)` : `the API group ${CERT_MANAGER_GROUP} is not served`;
        return { status: 'fail', messageId: 'notInstalled', cause: GROUP_CAUSE,
          message: `the Ingress annotation ${first.annotation ?? 'cert-manager.io/…'}${first.name ? `: ${first.name}` : ''} (${first.source}) asks cert-manager for the TLS certificate${tlsSecrets.length ? ` (Secret ${[...new Set(tlsSecrets.map((x) => x.name))].join(', ')})` : ''}, but cert-manager is not installed: ${why}; no certificate will be issued and the controller serves its default certificate`,
          hint: `${versions.length ? 'upgrade cert-manager to 1.x' : INSTALL}; or remove the annotation (\`${keyOf(first)}\`) and create the TLS Secret yourself (\`${kubectl(t.kubernetes, t.kubernetes.namespace)} create secret tls <name> --cert=<certificate.pem> --key=<key.pem>\`)`,
          details: { group: CERT_MANAGER_GROUP, served: [...served], versions } };
      }
      const items: Item<Id>[] = [...await certManagerWebhooks(s, signal)];
      for (const r of issuers) items.push(await checkIssuer(ctx, s, r, signal));
      if (ctx.phase === 'verify' && tlsSecrets.length) {
        if ((await releaseInstalled(s, t, signal)) === false) {
          items.push({ status: 'skip', id: 'notUsed', text: `Flyte is not installed in namespace ${t.kubernetes.namespace}: its Certificates are not looked for` });
        } else {
          const seen = new Set<string>();
          for (const r of tlsSecrets) {
            const name = renderedName(r.name, t);
            const key = `${r.namespace ?? t.kubernetes.namespace}/${name}`;
            if (!name || seen.has(key)) continue;
            seen.add(key);
            items.push(await checkCertificate(ctx, s, r, name, signal));
          }
        }
      }
      return rollUp(items, { what: 'cert-manager' });
    });
  },
});

/**
 * cert-manager's own webhooks (webhook.cert-manager.io; failurePolicy Fail): a Service without ready endpoints makes the
 * API server refuse every cert-manager object, so ingress-shim cannot create the Ingress's Certificate and issuers cannot
 * be created or changed. Configurations that may not be listed here are left out (issuers and certificates still say).
 */
async function certManagerWebhooks(s: KubeSession, signal: AbortSignal): Promise<Item<Id>[]> {
  const out: Item<Id>[] = [];
  const seen = new Set<string>();
  for (const kind of ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations']) {
    let cfgs: Obj[] = [];
    try { cfgs = await s.list<Obj>(`/apis/admissionregistration.k8s.io/v1/${kind}`, signal, { maxItems: 200 }); } catch (e) { if (isForbidden(e) || (e instanceof KubeError && e.kind === 'not-found')) continue; throw e; }
    for (const cfg of cfgs) {
      for (const h of (Array.isArray(cfg['webhooks']) ? cfg['webhooks'] : []).filter(isObj)) {
        const hook = typeof h['name'] === 'string' ? h['name'] : '';
        if (!/(^|\.)cert-manager\.io$/.test(hook)) continue;
        const svc = isObj(h['clientConfig']) && isObj(h['clientConfig']['service']) ? h['clientConfig']['service'] : undefined;
        if (!svc || typeof svc['name'] !== 'string') continue;
        const ns = typeof svc['namespace'] === 'string' ? svc['namespace'] : 'default', name = svc['name'];
        const key = `${ns}/${name}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const policy = typeof h['failurePolicy'] === 'string' ? h['failurePolicy'] : 'Fail';
        if (policy !== 'Fail') continue;
        const exists = await getOr<Obj>(s, `/api/v1/namespaces/${encodeURIComponent(ns)}/services/${encodeURIComponent(name)}`, signal);
        if (exists instanceof KubeError) continue;
        const ep = exists ? await serviceEndpoints(s, ns, name, signal) : undefined;
        if (exists && (!ep || ep.ready > 0)) continue;
        const cfgName = isObj(cfg['metadata']) ? String(cfg['metadata']['name']) : '?';
        out.push({ status: 'fail', id: 'webhookUnavailable', cause: cause.object('service', ns, name),
          text: `cert-manager's webhook ${hook} (${kind === 'validatingwebhookconfigurations' ? 'ValidatingWebhookConfiguration' : 'MutatingWebhookConfiguration'} ${cfgName}, failurePolicy Fail) calls Service ${key}, which ${exists ? `has no ready endpoints (${ep!.notReady} not ready)` : 'does not exist'}: the API server refuses every Certificate, Issuer and ClusterIssuer it is asked to create or change ("failed calling webhook \"${hook}\": ... ${exists ? `no endpoints available for service \"${name}\"` : `service \"${name}\" not found`}"), so ingress-shim cannot create the Ingress's Certificate`,
          hint: exists
            ? `make cert-manager's webhook run: \`kubectl get pods -n ${ns}\`, \`kubectl -n ${ns} rollout status deploy/${name}\` and its logs (a webhook that cannot read its CA Secret, or a NetworkPolicy / host-network setting on the control plane, are the usual causes)`
            : `reinstall cert-manager (${INSTALL}), or, if it was uninstalled on purpose, delete its leftover configuration: \`kubectl delete ${kind.replace(/s$/, '')} ${cfgName}\``,
          details: { webhook: hook, configuration: cfgName, service: key, serviceExists: !!exists, ...(ep ? { readyEndpoints: ep.ready, notReadyEndpoints: ep.notReady } : {}) } });
      }
    }
  }
  return out;
}

function forbiddenItem(e: KubeError, s: KubeSession, k: string, what: string): Item<Id> {
  return { status: 'warn', id: 'cannotRead', text: `${what}: ${forbiddenText(e, s.identity.user)}, so it cannot be checked with these credentials`, hint: forbiddenHint(e, s.identity.user, k),
    cause: cause.denied('kubernetes', s.identity.user || 'anonymous', `${e.extra.verb ?? 'get'} ${e.extra.resource ?? 'cert-manager objects'}`) };
}

const names = (l: Obj[]) => l.map((x) => `${isObj(x['metadata']) && x['metadata']['namespace'] ? `${x['metadata']['namespace']}/` : ''}${isObj(x['metadata']) ? String(x['metadata']['name']) : '?'}`);

function issuerType(o: Obj): string {
  const spec = isObj(o['spec']) ? o['spec'] : {};
  const type = ['acme', 'ca', 'selfSigned', 'vault', 'venafi'].find((x) => x in spec) ?? 'unknown type';
  const server = type === 'acme' && isObj(spec['acme']) && typeof spec['acme']['server'] === 'string' ? ` ${spec['acme']['server']}` : '';
  return `${type}${server}`;
}

async function checkIssuer(ctx: CheckContext, s: KubeSession, r: ObjectReference, signal: AbortSignal): Promise<Item<Id>> {
  const t = ctx.target;
  const ns = r.namespace ?? t.kubernetes.namespace;
  const k = kubectl(t.kubernetes);
  const group = r.apiVersion?.split('/')[0];
  if (r.useDefault) {
    return { status: 'warn', id: 'defaultIssuer', text: `${r.annotation ?? 'kubernetes.io/tls-acme'}: "true" (${r.source}) uses cert-manager's default issuer, set by flags of the cert-manager controller (--default-issuer-name/--default-issuer-kind) that the API does not show`,
      hint: `name the issuer instead: replace \`${keyOf(r)}\` with \`cert-manager.io/cluster-issuer: <issuer>\` (\`${k} get clusterissuers\` lists them)`, cause: cause.config(keyOf(r)) };
  }
  if (group && group !== CERT_MANAGER_GROUP) {
    return { status: 'warn', id: 'externalIssuer', text: `${r.kind} ${r.name} of group ${group} (${r.source}) is an external issuer: its readiness is not read by flyte-doctor`,
      hint: `check it with \`${k} get ${r.kind.toLowerCase()}s.${group}${r.namespace ? ` -n ${ns}` : ''} ${r.name}\` and its controller's documentation`, cause: cause.object(r.kind.toLowerCase(), r.namespace, r.name) };
  }
  if (isPlaceholder(r, t)) return { status: 'skip', id: 'notUsed', text: `${r.kind} "${r.name}" is a placeholder (${r.source})` };
  const cluster = r.kind === 'ClusterIssuer';
  const path = (kind: 'ClusterIssuer' | 'Issuer', name: string) => kind === 'ClusterIssuer' ? `/apis/${CERT_MANAGER_GROUP}/v1/clusterissuers/${encodeURIComponent(name)}` : `/apis/${CERT_MANAGER_GROUP}/v1/namespaces/${encodeURIComponent(ns)}/issuers/${encodeURIComponent(name)}`;
  const what = cluster ? `ClusterIssuer ${r.name}` : `Issuer ${ns}/${r.name}`;
  const c = cause.object(r.kind.toLowerCase(), cluster ? undefined : ns, r.name);
  const got = await getOr<Obj>(s, path(r.kind as 'ClusterIssuer' | 'Issuer', r.name), signal);
  if (got instanceof KubeError) return forbiddenItem(got, s, k, what);
  if (!got) {
    const other = await getOr<Obj>(s, path(cluster ? 'Issuer' : 'ClusterIssuer', r.name), signal);
    if (other && !(other instanceof KubeError)) {
      const right = cluster ? 'cert-manager.io/issuer' : 'cert-manager.io/cluster-issuer';
      return { status: 'fail', id: 'issuerKindMismatch', text: `the annotation ${r.annotation} (${r.source}) names ${what}, which does not exist; ${cluster ? `an Issuer ${ns}/${r.name}` : `a ClusterIssuer ${r.name}`} does: cert-manager looks only for the kind the annotation key says`,
        hint: `use \`${right}: ${r.name}\` instead of \`${r.annotation}\` (\`${keyOf(r)}\`)`, cause: c, details: { kind: r.kind, name: r.name, exists: cluster ? 'Issuer' : 'ClusterIssuer' } };
    }
    let elsewhere: string[] = [];
    if (!cluster) {
      try {
        elsewhere = names(await s.list<Obj>(`/apis/${CERT_MANAGER_GROUP}/v1/issuers`, signal, { fieldSelector: `metadata.name=${r.name}`, maxItems: 5 }));
      } catch (e) { if (!isForbidden(e)) throw e; }
    }
    let existing: string[] = [];
    try { existing = names(await s.list<Obj>(cluster ? `/apis/${CERT_MANAGER_GROUP}/v1/clusterissuers` : `/apis/${CERT_MANAGER_GROUP}/v1/namespaces/${encodeURIComponent(ns)}/issuers`, signal, { maxItems: 50 })); } catch (e) { if (!isForbidden(e)) throw e; }
    const there = elsewhere.length ? `; an Issuer of that name exists in ${elsewhere.join(', ')}, but an Issuer issues only in its own namespace` : '';
    return { status: 'fail', id: 'issuerMissing', text: `${what} does not exist (${r.annotation}: ${r.name}, ${r.source})${there}${existing.length ? `; ${cluster ? 'ClusterIssuers' : `Issuers in ${ns}`}: ${existing.join(', ')}` : ''}: no certificate will be issued`,
      hint: elsewhere.length ? `create the Issuer in ${ns} too, or make it a ClusterIssuer and use \`cert-manager.io/cluster-issuer: ${r.name}\` (\`${keyOf(r)}\`)`
        : `create ${what} (https://cert-manager.io/docs/configuration/), or set \`${keyOf(r)}\` to ${existing.length ? existing.join(' or ') : `an existing ${r.kind}`}`,
      cause: c, details: { kind: r.kind, name: r.name, namespace: cluster ? null : ns, existing, elsewhere } };
  }
  const ready = conditions(got).get('Ready');
  const type = issuerType(got);
  // A Ready condition of an older generation (cert-manager writes observedGeneration) says nothing about the spec as it is now.
  const gen = isObj(got['metadata']) && typeof got['metadata']['generation'] === 'number' ? got['metadata']['generation'] : undefined;
  const rawReady = isObj(got['status']) && Array.isArray(got['status']['conditions']) ? (got['status']['conditions'] as unknown[]).find((x) => isObj(x) && x['type'] === 'Ready') : undefined;
  const observed = isObj(rawReady) && typeof rawReady['observedGeneration'] === 'number' ? rawReady['observedGeneration'] : undefined;
  if (ready && gen !== undefined && observed !== undefined && observed < gen) {
    const msg = s.scrub(`${ready.reason ?? ''}${ready.message ? `: ${ready.message}` : ''}`);
    return { status: 'warn', id: 'issuerStale', text: `${what} (${type}) says Ready=${ready.status}${msg ? ` (${msg})` : ''} for generation ${observed}, but its spec is at generation ${gen}: the cert-manager controller has not processed the change, so whether it can issue cannot be judged`,
      hint: `check that cert-manager runs (\`kubectl get pods -n cert-manager\`) and read its controller logs; \`${k} describe ${r.kind.toLowerCase()} ${r.name}${cluster ? '' : ` -n ${ns}`}\``, cause: c, details: { kind: r.kind, name: r.name, type, ready: ready.status, generation: gen, observedGeneration: observed } };
  }
  if (ready?.status === 'True') return { status: 'pass', id: 'issuerReady', text: `${what} exists and is Ready (${type})`, details: { kind: r.kind, name: r.name, type } };
  if (!ready) {
    return { status: 'warn', id: 'issuerPending', text: `${what} exists (${type}) but has no Ready condition: the cert-manager controller has not processed it`,
      hint: `check that cert-manager runs (\`kubectl get pods -n cert-manager\`) and read its logs; \`${k} describe ${r.kind.toLowerCase()} ${r.name}${cluster ? '' : ` -n ${ns}`}\``, cause: c, details: { kind: r.kind, name: r.name, type } };
  }
  const msg = s.scrub(`${ready.reason ?? ''}${ready.message ? `: ${ready.message}` : ''}`);
  return { status: 'fail', id: 'issuerNotReady', text: `${what} (${type}) is not Ready (Ready=${ready.status}${msg ? `, ${msg}` : ''}): no certificate will be issued`,
    hint: `fix the issuer per its message (${type.startsWith('acme') ? 'ACME: the account email, the server URL, the private key Secret, network access to the ACME server' : type === 'ca' ? 'CA: the Secret named in spec.ca.secretName must exist in the cert-manager namespace with tls.crt/tls.key' : 'see its spec'}); \`${k} describe ${r.kind.toLowerCase()} ${r.name}${cluster ? '' : ` -n ${ns}`}\``,
    cause: c, details: { kind: r.kind, name: r.name, type, ready: ready.status, ...(ready.reason ? { reason: ready.reason } : {}) } };
}

async function checkCertificate(ctx: CheckContext, s: KubeSession, r: ObjectReference, name: string, signal: AbortSignal): Promise<Item<Id>> {
  const t = ctx.target;
  const ns = r.namespace ?? t.kubernetes.namespace;
  const k = kubectl(t.kubernetes, ns);
  const c = cause.object('secret', ns, name);
  const cert = await getOr<Obj>(s, `/apis/${CERT_MANAGER_GROUP}/v1/namespaces/${encodeURIComponent(ns)}/certificates/${encodeURIComponent(name)}`, signal);
  if (cert instanceof KubeError) return forbiddenItem(cert, s, kubectl(t.kubernetes), `Certificate ${ns}/${name}`);
  if (!cert) {
    return { status: 'fail', id: 'certificateMissing', text: `no Certificate ${ns}/${name} for the TLS Secret of ${r.purpose.replace(/^TLS certificate of /, '')}: cert-manager's ingress-shim did not create one from the Ingress annotations`,
      hint: `\`${k} describe ingress\` shows the annotations and events; the cert-manager controller logs say why (ingress-shim needs the tls entry with hosts and a running controller: \`kubectl get pods -n cert-manager\`)`, cause: c, details: { certificate: name, namespace: ns } };
  }
  const conds = conditions(cert);
  const ready = conds.get('Ready');
  const issuing = conds.get('Issuing');
  const st = isObj(cert['status']) ? cert['status'] : {};
  const notAfter = typeof st['notAfter'] === 'string' ? st['notAfter'] : undefined;
  if (ready?.status === 'True') {
    const sec = await getOr<Obj>(s, `/api/v1/namespaces/${encodeURIComponent(ns)}/secrets/${encodeURIComponent(name)}`, signal);
    if (sec && !(sec instanceof KubeError) && isObj(sec['data'])) for (const v of Object.values(sec['data'])) if (typeof v === 'string' && v) ctx.addSecret(Buffer.from(v, 'base64').toString('utf8'));
    if (sec === undefined) {
      return { status: 'fail', id: 'certificateNotReady', text: `Certificate ${ns}/${name} says Ready but its Secret ${name} does not exist`, hint: `\`${k} delete certificaterequests -l cert-manager.io/certificate-name=${name}\` makes cert-manager issue it again; \`${k} describe certificate ${name}\``, cause: c, details: { certificate: name } };
    }
    return { status: 'pass', id: 'certificateReady', text: `Certificate ${ns}/${name} is Ready${notAfter ? ` (valid until ${notAfter})` : ''}${sec instanceof KubeError ? '' : `, Secret ${name} exists`}`, details: { certificate: name, ...(notAfter ? { notAfter } : {}) } };
  }
  const why = [ready, issuing].filter(Boolean).map((x) => s.scrub(`${x!.reason ?? ''}${x!.message ? `: ${x!.message}` : ''}`)).filter(Boolean).join('; ');
  return { status: 'fail', id: 'certificateNotReady', text: `Certificate ${ns}/${name} is not Ready${ready ? ` (Ready=${ready.status})` : ' (no Ready condition)'}${why ? `: ${why}` : ''}`,
    hint: `\`${k} describe certificate ${name}\`, then the CertificateRequest, Order and Challenge it names (\`${k} get certificaterequests,orders,challenges\`): HTTP-01 needs the host reachable from the internet through this Ingress, DNS-01 needs the DNS provider credentials`,
    cause: c, details: { certificate: name, ...(ready ? { ready: ready.status } : {}), ...(ready?.reason ? { reason: ready.reason } : {}) } };
}
