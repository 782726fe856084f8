import { surroundingWhitespace } from '../../src/config/hygiene.js';
import { isObj, kubectl, KubeError, type KubeSession } from '../../src/clients/kube.js';
import type { ObjectReference } from '../../src/config/target.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext } from '../../src/engine/types.js';
import { TLS_KEYS } from '../../src/flyte/references.js';
import { forbiddenHint, forbiddenText, getOr, isPlaceholder, keyOf, label, mapLimit, releaseInstalled, renderedName, rollUp, validName, type Item } from './_objects.js';
import { API_MESSAGES, withKube } from './_support.js';

const MESSAGES = {
  present: { status: 'pass', summary: 'Every Secret and ConfigMap the install reads exists in its namespace with the keys it reads.' },
  chartCreated: { status: 'pass', summary: 'preflight: the Secret is created by the chart (or by the operator of the manifest the values carry) at install; verify checks it.' },
  issuedByCertManager: { status: 'pass', summary: 'preflight: the TLS Secret does not exist yet and cert-manager will issue it (kubernetes.objects.certmanager checks the issuer).' },
  nothingReferenced: { status: 'skip', summary: 'The values (or manifests) name no Secret or ConfigMap the install reads from the cluster.' },
  notInstalled: { status: 'skip', summary: 'verify: Flyte is not installed in the namespace, so the objects of its install are not looked for (flyte.deployments.ready reports the missing install).' },
  templated: { status: 'skip', summary: 'The name is a Helm template only helm can render (an `include` of the chart\'s helpers): not looked up.' },
  placeholder: { status: 'skip', summary: 'The name is a placeholder left in the values (values.inputs.placeholders reports it): not looked up.' },
  missing: { status: 'fail', summary: 'A Secret or ConfigMap the values name does not exist in the namespace the pods run in (found in another namespace, when it is).' },
  tlsSecretMissing: { status: 'fail', summary: 'The TLS Secret of the Ingress does not exist and no cert-manager annotation will create it: the controller serves its default certificate.' },
  tlsSecretNotInstalled: { status: 'fail', summary: 'verify: the TLS Secret the values name does not exist, but the installed Ingress uses another Secret, which exists: the values are not the installed ones (fix the values, or create the Secret before upgrading with them).' },
  keyMissing: { status: 'fail', summary: 'The Secret or ConfigMap exists but lacks a key Flyte reads (e.g. pass.txt, client_secret, tls.key); the keys it has are named.' },
  keyEmpty: { status: 'fail', summary: 'A key Flyte reads is present but empty.' },
  wrongType: { status: 'fail', summary: 'An image pull Secret has a type the kubelet ignores (it reads only kubernetes.io/dockerconfigjson and kubernetes.io/dockercfg).' },
  manifestKeyMissing: { status: 'fail', summary: 'The Secret the chart creates from a manifest in the values (common.databaseSecret.secretManifest) lacks the key passwordPath reads.' },
  unnamed: { status: 'fail', summary: 'passwordPath reads a file under /etc/db but common.databaseSecret.name is empty: nothing is mounted there.' },
  invalidName: { status: 'fail', summary: 'The name is not a valid Kubernetes object name, so no such object can exist.' },
  chartObjectMissing: { status: 'fail', summary: 'verify: a Secret the chart (or Flyte at start-up) creates is missing: the release is incomplete.' },
  optionalMissing: { status: 'warn', summary: 'An optional Secret or ConfigMap (optional: true) is missing: the pod starts without it.' },
  cannotRead: { status: 'warn', summary: 'The identity may not read Secrets/ConfigMaps there (403): cannot be checked with these credentials (the verb and resource are named).' },
  ...API_MESSAGES,
} as const;
type Id = keyof typeof MESSAGES;
/** References looked up per run (a real install names a handful). */
const MAX_REFS = 60;

export default defineCheck({
  id: 'kubernetes.objects.secrets',
  title: 'The Secrets and ConfigMaps the values reference exist, with the keys Flyte reads',
  phases: ['preflight', 'verify'],
  needs: ['kubernetes'],
  dependsOn: ['kubernetes.api.reachable', 'kubernetes.namespace.exists'],
  messages: MESSAGES,
  explain: {
    what: 'Reads (names and keys only, never a value is shown) every Secret and ConfigMap the values or the rendered manifests make the pods read: flyte-binary `configuration.inlineSecretRef` / `externalSecretRef` / `externalConfigMap` / `inlineConfigMap`, `configuration.auth.clientSecretsExternalSecretRef` (keys client_secret, oidc_client_secret), `deployment.extraVolumes` / `extraEnvVars*`, `serviceAccount.imagePullSecrets`, the Ingress `tls[].secretName` (`httpTls`, `grpcTls`); flyte-core `common.databaseSecret.name` with the key `passwordPath` reads (e.g. /etc/db/pass.txt -> pass.txt), `secrets.adminOauthClientCredentials` (client_secret; created by the chart when `clientSecret` is set), `common.ingress.tls.secretName` (default `<release>-flyte-tls`), `<component>.serviceAccount.imagePullSecrets`, `<component>.additionalVolumes`, `flyteadmin.env`/`envFrom`; with `--manifests`, every Secret/ConfigMap a Deployment mounts that the render does not contain. Each must exist in the release namespace with the keys named; pull secrets must have a docker type. In preflight, Secrets the chart creates and TLS Secrets cert-manager will issue are expected to be missing; verify checks them too.',
    why: 'A missing Secret or key does not fail `helm install`: the pod then sits in CreateContainerConfigError or ContainerCreating (FailedMount) with "secret not found", or the Ingress controller serves its fake default certificate, or image pulls fail with 401 because the pull secret is ignored.',
    fix: 'Create the object in the release namespace with the keys named (`kubectl create secret generic|tls|docker-registry ...`), or point the values key at the object that exists. A Secret created in another namespace must be re-created in the release namespace: pods read Secrets of their own namespace only.',
  },
  async run(ctx) {
    const t = ctx.target;
    const refs = (t.references ?? []).filter((r) => (r.kind === 'Secret' || r.kind === 'ConfigMap') && !r.api);
    if (!refs.length) {
      return { status: 'skip', messageId: 'nothingReferenced', message: t.references || t.chart ? 'the values name no Secret or ConfigMap the install reads from the cluster (the chart creates its own)' : 'no values or manifests given: nothing names a Secret or ConfigMap' };
    }
    const ns = t.kubernetes.namespace;
    return withKube<Id>(ctx, `the Secrets and ConfigMaps the ${t.deployedInputs?.length ? 'manifests' : 'values'} reference`, async (s, signal) => {
      if (ctx.phase === 'verify' && (await releaseInstalled(s, t, signal)) === false) {
        return { status: 'skip', messageId: 'notInstalled', message: `Flyte is not installed in namespace ${ns}: the Secrets and ConfigMaps of its install are not looked for (flyte.deployments.ready reports the missing install)` };
      }
      const nsState = new Map<string, Promise<boolean | undefined>>();
      const nsExists = (n: string) => {
        if (!nsState.has(n)) nsState.set(n, getOr(s, `/api/v1/namespaces/${encodeURIComponent(n)}`, signal).then((x) => (x instanceof KubeError ? undefined : !!x)));
        return nsState.get(n)!;
      };
      // Bounded work whatever the values hold: the first MAX_REFS references are looked up, the rest counted.
      const items = await mapLimit(refs.slice(0, MAX_REFS), 4, (r) => checkOne(ctx, s, r, signal, nsExists));
      const out = rollUp(items, { what: 'the Secrets and ConfigMaps the install reads', details: { phase: ctx.phase, namespace: ns, ...(refs.length > MAX_REFS ? { notChecked: refs.length - MAX_REFS } : {}) } });
      if (refs.length > MAX_REFS) out.message += ` (${refs.length - MAX_REFS} more references not looked up: only the first ${MAX_REFS} are)`;
      return out;
    });
  },
});

async function checkOne(ctx: CheckContext, s: KubeSession, r: ObjectReference, signal: AbortSignal, nsExists: (ns: string) => Promise<boolean | undefined>): Promise<Item<Id>> {
  const t = ctx.target;
  const ns = r.namespace ?? t.kubernetes.namespace;
  const k = kubectl(t.kubernetes, ns);
  const purpose = `${r.purpose}; set by ${r.source}`;
  const base = { kind: r.kind, namespace: ns, source: r.source, ...(r.key ? { key: r.key } : {}) };
  if (r.problem) {
    return { status: 'fail', id: 'unnamed', text: r.problem, details: { ...base, name: r.name },
      hint: `set \`${keyOf(r)}\` to the Secret that holds ${r.keys?.length ? `the key${r.keys.length > 1 ? 's' : ''} ${r.keys.join(', ')}` : 'the password'} (create it: \`${k} create secret generic db-pass --from-file=${r.keys?.[0] ?? 'pass.txt'}=<file with the password>\`), or give the password another way (\`…database.password\`)`,
      cause: cause.config(keyOf(r)) };
  }
  const name = renderedName(r.name, t);
  if (name === undefined) {
    if (r.createdByChart || /include\s+"/.test(r.name)) return { status: 'pass', id: 'chartCreated', text: `${r.kind} "${r.name}" is named by a template of the chart (rendered and created by it)`, details: { ...base, name: r.name } };
    return { status: 'skip', id: 'templated', text: `${r.kind} "${r.name}" is a Helm template only helm renders: not looked up`, details: { ...base, name: r.name } };
  }
  const obj = label(r.kind, ns, name);
  const details = { ...base, name, ...(r.keys?.length ? { keys: r.keys } : {}) };
  if (isPlaceholder(r, t)) return { status: 'skip', id: 'placeholder', text: `${r.kind} "${name}" is a placeholder (${r.source}): not looked up`, details };
  if (!validName(name)) {
    return { status: 'fail', id: 'invalidName', text: `${r.kind} name ${JSON.stringify(name)} (${purpose}) ${surroundingWhitespace(name) ?? "is not a valid Kubernetes name (lower case letters, digits, '-' and '.')"}, so no such object can exist`, details,
      hint: `fix \`${keyOf(r)}\`: the name of an existing ${r.kind} in ${ns} (\`${k} get ${r.kind.toLowerCase()}s\` lists them)`, cause: cause.config(keyOf(r)) };
  }
  if (ctx.phase === 'preflight' && r.createdByChart) {
    if (r.manifestKind) return { status: 'pass', id: 'chartCreated', text: `${obj} will be created from the ${r.manifestKind} in the values (${r.source}) by its operator`, details };
    const lacking = (r.keys ?? []).filter((x) => r.manifestKeys && !r.manifestKeys.includes(x));
    if (r.manifestKeys && lacking.length) {
      return { status: 'fail', id: 'manifestKeyMissing', text: `${obj} is created by the chart from the values, but without the key${lacking.length > 1 ? 's' : ''} ${lacking.join(', ')} (${r.purpose}); it holds: ${r.manifestKeys.join(', ') || 'no keys'}`, details: { ...details, manifestKeys: r.manifestKeys },
        hint: `add ${lacking.map((x) => `\`${x}\``).join(', ')} to the manifest's stringData/data (${r.source.replace(/\.name$/, '.secretManifest')}), or make passwordPath read a key it has (e.g. \`/etc/db/${r.manifestKeys[0] ?? 'pass.txt'}\`)`,
        cause: cause.object('secret', ns, name) };
    }
    return { status: 'pass', id: 'chartCreated', text: `${obj} is created by ${runtimeText(r)} (${r.purpose})`, details };
  }
  const got = await getOr<Record<string, unknown>>(s, `/api/v1/namespaces/${encodeURIComponent(ns)}/${r.kind === 'Secret' ? 'secrets' : 'configmaps'}/${encodeURIComponent(name)}`, signal);
  if (got instanceof KubeError) {
    return { status: 'warn', id: 'cannotRead', text: `${obj}: ${forbiddenText(got, s.identity.user)}, so it cannot be checked with these credentials`, details: { ...details, httpStatus: 403 },
      hint: forbiddenHint(got, s.identity.user, kubectl(t.kubernetes)), cause: cause.denied('kubernetes', s.identity.user || 'anonymous', `get ${r.kind === 'Secret' ? 'secrets' : 'configmaps'} in namespace ${ns}`) };
  }
  if (!got) return missing(ctx, s, r, name, ns, details, signal, nsExists);
  // Keys only: values never leave this function (and are known to the redactor, like every Secret read).
  const data = isObj(got['data']) ? got['data'] : {};
  const extra = isObj(got[r.kind === 'Secret' ? 'stringData' : 'binaryData']) ? got[r.kind === 'Secret' ? 'stringData' : 'binaryData'] as Record<string, unknown> : {};
  const all: Record<string, unknown> = { ...extra, ...data };
  if (r.kind === 'Secret') for (const v of Object.values(all)) if (typeof v === 'string' && v) { ctx.addSecret(Buffer.from(v, 'base64').toString('utf8')); }
  const have = Object.keys(all).sort();
  const type = typeof got['type'] === 'string' ? got['type'] : undefined;
  const withKeys = { ...details, present: have, ...(type ? { type } : {}) };
  if (r.secretTypes && type && !r.secretTypes.includes(type)) {
    return { status: 'fail', id: 'wrongType', text: `${obj} (${r.purpose}) has type ${type}: the kubelet uses only ${r.secretTypes.join(' or ')} Secrets for image pulls, so pulls go out without credentials`, details: withKeys,
      hint: `re-create it as a docker-registry Secret: \`${k} delete secret ${name} && ${k} create secret docker-registry ${name} --docker-server=<registry> --docker-username=<user> --docker-password=<password>\` (or \`--from-file=.dockerconfigjson=<config.json>\`)`,
      cause: cause.object('secret', ns, name) };
  }
  const lacking = (r.keys ?? []).filter((x) => !(x in all));
  const noneOf = r.anyKeys && !r.anyKeys.some((x) => x in all) ? r.anyKeys : undefined;
  if (lacking.length || noneOf) {
    const what = lacking.length ? `no key${lacking.length > 1 ? 's' : ''} ${lacking.join(', ')}` : `none of the keys ${noneOf!.join(', ')}`;
    const status = r.optional ? 'warn' : 'fail';
    return { status: status as 'fail', id: status === 'warn' ? 'optionalMissing' : 'keyMissing', text: `${obj} exists but has ${what} (${purpose}); it has: ${have.join(', ') || 'no keys'}`, details: { ...withKeys, lacking: lacking.length ? lacking : noneOf! },
      hint: keyHint(r, name, ns, k, lacking.length ? lacking : noneOf!, have), cause: cause.object(r.kind.toLowerCase(), ns, name) };
  }
  const empty = [...(r.keys ?? []), ...(r.anyKeys ?? []).filter((x) => x in all)].filter((x) => all[x] === '');
  if (empty.length) {
    return { status: 'fail', id: 'keyEmpty', text: `${obj}: the key${empty.length > 1 ? 's' : ''} ${empty.join(', ')} ${empty.length > 1 ? 'are' : 'is'} empty (${r.purpose})`, details: { ...withKeys, empty },
      hint: `put the value in: \`${k} create ${r.kind === 'Secret' ? 'secret generic' : 'configmap'} ${name} ${empty.map((x) => `--from-file=${x}=<file>`).join(' ')} --dry-run=client -o yaml | ${kubectl(t.kubernetes)} apply -f -\``,
      cause: cause.object(r.kind.toLowerCase(), ns, name) };
  }
  const keyText = r.keys?.length ? ` with ${r.keys.join(', ')}` : r.anyKeys ? ` (${type ?? 'type unknown'})` : '';
  return { status: 'pass', id: 'present', text: `${obj} exists${keyText}`, details: withKeys };
}

function runtimeText(r: ObjectReference): string {
  return r.purpose.startsWith('created by Flyte') ? 'Flyte at start-up' : 'the chart at install';
}

async function missing(ctx: CheckContext, s: KubeSession, r: ObjectReference, name: string, ns: string, details: Record<string, unknown>, signal: AbortSignal, nsExists: (ns: string) => Promise<boolean | undefined>): Promise<Item<Id>> {
  const t = ctx.target;
  const k = kubectl(t.kubernetes, ns);
  const obj = label(r.kind, ns, name);
  const res = r.kind === 'Secret' ? 'secrets' : 'configmaps';
  const purpose = `${r.purpose}; set by ${r.source}`;
  const c = cause.object(r.kind.toLowerCase(), ns, name);
  const exists = await nsExists(ns);
  const nsNote = exists === false ? ` (namespace ${ns} does not exist yet: create it first, \`kubectl create namespace ${ns}\`)` : '';
  // The same name in another namespace: created in the wrong place (pods read Secrets of their own namespace only).
  let elsewhere: string[] = [];
  try {
    const found = await s.list<{ metadata: { name: string; namespace?: string } }>(`/api/v1/${res}`, signal, { fieldSelector: `metadata.name=${name}`, maxItems: 5 });
    elsewhere = found.map((x) => x.metadata.namespace ?? '').filter((x) => x && x !== ns);
  } catch (e) { if (!(e instanceof KubeError) || !['forbidden', 'not-found'].includes(e.kind)) throw e; }
  const there = elsewhere.length ? `; a ${r.kind} of that name exists in namespace${elsewhere.length > 1 ? 's' : ''} ${elsewhere.join(', ')}, but pods read only their own namespace's` : '';
  const moveHint = elsewhere.length ? `copy it into ${ns}: \`${kubectl(t.kubernetes)} get ${r.kind.toLowerCase()} ${name} -n ${elsewhere[0]} -o yaml | sed -e '/namespace:/d' -e '/resourceVersion:/d' -e '/uid:/d' -e '/creationTimestamp:/d' | ${k} apply -f -\`` : '';
  const d = { ...details, exists: false, ...(elsewhere.length ? { foundIn: elsewhere } : {}), ...(exists === false ? { namespaceExists: false } : {}) };
  if (r.optional) {
    return { status: 'warn', id: 'optionalMissing', text: `${obj} does not exist (${r.purpose}; optional: the pod starts without it)${there}`, details: d,
      hint: moveHint || `create it in ${ns} if the pod should have it, or drop the reference (${r.source})`, cause: c };
  }
  if (ctx.phase === 'verify' && r.createdByChart) {
    const runtime = r.purpose.startsWith('created by Flyte');
    return { status: 'fail', id: 'chartObjectMissing', text: `${obj} is missing: ${runtime ? 'Flyte creates it at start-up' : 'the chart creates it'} (${r.purpose})`, details: d,
      hint: runtime ? `its creator has not run or failed: \`${k} get pods\` and flyte.deployments.ready show the init container or webhook that writes it` : `the release is incomplete: \`helm status <release> -n ${ns}\`, then \`helm upgrade <release> <chart> -n ${ns}${(t.valuesFiles ?? []).map((f) => ` -f ${f}`).join('')}\` re-creates it`, cause: c };
  }
  if (ctx.phase === 'preflight' && r.issuedBy) {
    const by = r.issuedBy.kind === 'default' ? 'cert-manager\'s default issuer' : `${r.issuedBy.kind} ${r.issuedBy.name}`;
    return { status: 'pass', id: 'issuedByCertManager', text: `${obj} does not exist yet: cert-manager will issue it (${by}, from the Ingress annotation; kubernetes.objects.certmanager checks the issuer)`, details: d };
  }
  if (ctx.phase === 'verify' && r.issuedBy) {
    return { status: 'fail', id: 'missing', text: `${obj} does not exist: cert-manager has not issued it (${r.purpose})`, details: d,
      hint: `kubernetes.objects.certmanager shows why: \`${k} describe certificate ${name}\` and \`${k} get certificaterequests,orders,challenges\``, cause: c };
  }
  const isTls = r.kind === 'Secret' && r.keys && TLS_KEYS.every((x) => r.keys!.includes(x)) && !r.issuedBy;
  if (isTls && ctx.phase === 'verify') {
    // The installed Ingresses may use another Secret, which exists: the values are not the installed ones
    // (TLS works as installed; an upgrade with these values would break it).
    const installed = await installedTlsSecrets(s, ns, r, name, signal, t.ingress?.host);
    if (installed.length) {
      const first = installed[0]!;
      return { status: 'fail', id: 'tlsSecretNotInstalled', text: `${obj} does not exist (${purpose}), but the installed ${[...new Set(installed.map((x) => x.secret))].map((sec) => { const ings = installed.filter((x) => x.secret === sec).map((x) => x.ingress); return `Ingress${ings.length > 1 ? 'es' : ''} ${ings.join(', ')} ${ings.length > 1 ? 'use' : 'uses'} Secret ${sec}`; }).join('; ')}, which exists: these values are not the installed ones (TLS works as installed; an upgrade with these values would serve the controller's default certificate)`, details: { ...d, installedSecrets: installed.map((x) => `${x.ingress}: ${x.secret}`) },
        hint: `set \`${keyOf(r)}: ${first.secret}\` in the values (the name the installed release uses), or create ${name} before upgrading with these values: \`${k} create secret tls ${name} --cert=<certificate.pem> --key=<key.pem>\``, cause: cause.config(keyOf(r)) };
    }
  }
  if (isTls) {
    const annKey = annotationsKey(r);
    return { status: 'fail', id: 'tlsSecretMissing', text: `${obj} does not exist and no cert-manager annotation will create it (${purpose})${there}${nsNote}: the Ingress controller serves its default self-signed certificate, which no client trusts`, details: d,
      hint: `${moveHint ? `${moveHint}; or ` : ''}create it: \`${k} create secret tls ${name} --cert=<certificate.pem> --key=<key.pem>\`; or have cert-manager issue it: add \`cert-manager.io/cluster-issuer: <issuer>\` to \`${annKey}\`; or fix the name at \`${keyOf(r)}\``, cause: c };
  }
  return { status: 'fail', id: 'missing', text: `${obj} does not exist (${purpose})${there}${nsNote}`, details: d,
    hint: `${moveHint ? `${moveHint}; or ` : ''}${createHint(r, name, k)}; or point \`${keyOf(r)}\` at the ${r.kind} that exists (\`${k} get ${res}\` lists them)`, cause: c };
}

function createHint(r: ObjectReference, name: string, k: string): string {
  if (r.anyKeys?.includes('.dockerconfigjson')) return `create it: \`${k} create secret docker-registry ${name} --docker-server=<registry> --docker-username=<user> --docker-password=<password>\``;
  const keys = r.keys?.length ? r.keys : ['<key>'];
  if (r.kind === 'ConfigMap') return `create it: \`${k} create configmap ${name} ${keys.map((x) => `--from-file=${x}=<file>`).join(' ')}\``;
  return `create it: \`${k} create secret generic ${name} ${keys.map((x) => `--from-file=${x}=<file>`).join(' ')}\``;
}

function keyHint(r: ObjectReference, name: string, ns: string, k: string, lacking: string[], have: string[]): string {
  if (r.anyKeys?.includes('.dockerconfigjson')) return `re-create it as a docker-registry Secret: \`${k} create secret docker-registry ${name} --docker-server=<registry> --docker-username=<user> --docker-password=<password>\``;
  const db = r.purpose.includes('/etc/db/');
  const alt = db && have.length === 1 ? `; or make passwordPath read the key it has: \`/etc/db/${have[0]}\`` : '';
  return `add ${lacking.map((x) => `\`${x}\``).join(', ')} to ${r.kind} ${name} in ${ns} (\`${k} edit ${r.kind.toLowerCase()} ${name}\`, or re-create it with \`--from-file=${lacking[0]}=<file>\`)${alt}`;
}

/** The annotations key of the Ingress whose TLS Secret this is (for the cert-manager fix). */
function annotationsKey(r: ObjectReference): string {
  const key = r.key ?? '';
  if (/(^|\.)common\.ingress\./.test(key)) return key.replace(/common\.ingress\..*$/, 'common.ingress.annotations');
  const m = /^(.*?)ingress\.(httpTls|grpcTls|tls)/.exec(key);
  if (m) return `${m[1]}ingress.${m[2] === 'grpcTls' ? 'grpcAnnotations' : m[2] === 'httpTls' ? 'httpAnnotations' : 'commonAnnotations'}`;
  return 'the Ingress annotations';
}

/**
 * The TLS Secrets the installed Ingresses use instead of `name`, that exist (verify): the Ingresses the
 * reference names, or any Ingress of the namespace serving one of its hosts (the release may be named
 * otherwise than the values' default).
 */
async function installedTlsSecrets(s: KubeSession, ns: string, r: ObjectReference, name: string, signal: AbortSignal, ingressHost?: string): Promise<{ ingress: string; secret: string }[]> {
  const out: { ingress: string; secret: string }[] = [];
  const names = new Set([...r.purpose.matchAll(/TLS certificate of Ingress ([a-z0-9][a-z0-9.-]*)/g)].map((m) => m[1]!));
  const hosts = new Set([...r.purpose.matchAll(/TLS certificate of Ingress [a-z0-9.-]+ \(([^)]*)\)/g)].flatMap((m) => m[1]!.split(', ')));
  if (ingressHost) hosts.add(ingressHost);
  const live = await s.list<Record<string, any>>(`/apis/networking.k8s.io/v1/namespaces/${encodeURIComponent(ns)}/ingresses`, signal, { maxItems: 50 }).catch(() => []);
  for (const ing of live) {
    const tls: unknown[] = Array.isArray(ing['spec']?.['tls']) ? ing['spec']['tls'] : [];
    const ingName = String(ing['metadata']?.['name'] ?? '');
    for (const e of tls) {
      if (!isObj(e)) continue;
      const sec = typeof e['secretName'] === 'string' ? e['secretName'] : undefined;
      const eHosts: string[] = Array.isArray(e['hosts']) ? (e['hosts'] as unknown[]).filter((h): h is string => typeof h === 'string') : [];
      if (!sec || sec === name || !(names.has(ingName) || eHosts.some((h) => hosts.has(h)))) continue;
      if (out.some((x) => x.secret === sec && x.ingress === ingName)) continue;
      const there = await s.getOptional(`/api/v1/namespaces/${encodeURIComponent(ns)}/secrets/${encodeURIComponent(sec)}`, signal).catch(() => undefined);
      if (there) out.push({ ingress: ingName, secret: sec });
    }
  }
  return out;
}
