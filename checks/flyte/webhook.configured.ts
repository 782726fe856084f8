import { X509Certificate } from 'node:crypto';
import { isObj, KubeError, kubectl } from '../../src/clients/kube.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import { flyteComponents, flyteServices, resolveChartNames, webhookConfigName, webhookOwner } from '../../src/flyte/kubernetes.js';
import { API_MESSAGES, withKube } from '../kubernetes/_support.js';
import { deploymentReady } from './_support.js';
import { serviceEndpoints } from '../kubernetes/_objects.js';

/** What a caBundle holds: a PEM certificate (and when it expires), or why it is unusable. */
export function inspectCaBundle(b64: string): { ok: true; notAfter: string; subject: string } | { ok: false; why: string } {
  const pem = Buffer.from(b64.replace(/\s+/g, ''), 'base64').toString('latin1');
  const first = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  if (!first) return { ok: false, why: 'it is not a base64-encoded PEM certificate' };
  try {
    const c = new X509Certificate(first);
    return { ok: true, notAfter: new Date(c.validTo).toISOString(), subject: c.subject.replace(/\n/g, ', ') };
  } catch (e) {
    return { ok: false, why: `its certificate cannot be parsed (${(e as Error).message.split('\n')[0]})` };
  }
}

/** Every PEM certificate of a caBundle that parses (a bundle may hold several CAs). */
function bundleCerts(b64: string): X509Certificate[] {
  const pem = Buffer.from(b64.replace(/\s+/g, ''), 'base64').toString('latin1');
  const out: X509Certificate[] = [];
  for (const m of pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)) { try { out.push(new X509Certificate(m[0])); } catch { /* skipped: the first one was checked by inspectCaBundle */ } }
  return out;
}

const fingerprint = (c: X509Certificate) => c.fingerprint256.replace(/:/g, '').slice(0, 16).toLowerCase();
const signedBy = (leaf: X509Certificate, cas: X509Certificate[]) => cas.some((ca) => { try { return leaf.checkIssued(ca) && leaf.verify(ca.publicKey); } catch { return false; } });

/**
 * The webhook's serving certificate, as the Secret it serves from holds it (`tls.crt`, and `ca.crt`, the CA
 * the webhook registers as caBundle; facts §A4). Only those two public keys of the Secret are read; `tls.key`
 * is never looked at. Undefined with the reason when it cannot be read from here.
 */
async function servingCert(s: { getOptional<T>(p: string, signal: AbortSignal): Promise<T | undefined> }, ns: string, secret: string, signal: AbortSignal): Promise<{ cert?: X509Certificate; ca?: X509Certificate; why?: string }> {
  let sec: Record<string, unknown> | undefined;
  try { sec = await s.getOptional<Record<string, unknown>>(`/api/v1/namespaces/${encodeURIComponent(ns)}/secrets/${encodeURIComponent(secret)}`, signal); } catch (e) {
    if (e instanceof KubeError && (e.extra.status === 403 || e.kind === 'forbidden')) return { why: `Secret ${ns}/${secret} may not be read from here (403), so the serving certificate was not compared with the caBundle` };
    if (e instanceof KubeError) return { why: `Secret ${ns}/${secret} could not be read (${e.message.split('\n')[0]}), so the serving certificate was not compared with the caBundle` };
    throw e;
  }
  if (!sec) return { why: `Secret ${ns}/${secret} does not exist, so the serving certificate was not compared with the caBundle` };
  const data = isObj(sec['data']) ? sec['data'] : {};
  const parse = (k: string) => { const v = data[k]; if (typeof v !== 'string') return undefined; try { return new X509Certificate(Buffer.from(v, 'base64')); } catch { return undefined; } };
  const cert = parse('tls.crt');
  if (!cert) return { why: `Secret ${ns}/${secret} has no parsable tls.crt, so the serving certificate was not compared with the caBundle` };
  const ca = parse('ca.crt');
  return ca ? { cert, ca } : { cert };
}

export default defineCheck({
  id: 'flyte.webhook.configured',
  title: 'The Flyte pod webhook is registered and points at an existing Service',
  phases: ['verify'],
  needs: ['kubernetes', 'webhook'],
  dependsOn: ['kubernetes.api.reachable'],
  messages: {
    configured: { status: 'pass', summary: 'The webhook configuration calls an existing Service port with a valid caBundle.' },
    urlConfigured: { status: 'pass', summary: 'The webhook configuration calls a URL (not a Service); its reachability is not checked.' },
    notRegistered: { status: 'fail', summary: 'The MutatingWebhookConfiguration does not exist.' },
    noWebhooks: { status: 'fail', summary: 'The MutatingWebhookConfiguration has no webhooks.' },
    serviceMissing: { status: 'fail', summary: 'The configuration calls a Service that does not exist.' },
    serviceElsewhere: { status: 'fail', summary: 'The configuration calls a Service in another namespace than this install (a stale registration from another install).' },
    portMissing: { status: 'fail', summary: 'The Service has no port the configuration calls.' },
    noReadyEndpoints: { status: 'fail', summary: 'The Service the configuration calls has no ready endpoints: the API server refuses (failurePolicy Fail) or admits without secrets (Ignore) every pod the webhook matches ("no endpoints available for service").' },
    caBundleEmpty: { status: 'fail', summary: 'The configuration has no caBundle: the API server cannot verify the webhook.' },
    caBundleInvalid: { status: 'fail', summary: 'The caBundle is not a PEM certificate.' },
    caBundleExpired: { status: 'fail', summary: 'The CA certificate in the caBundle has expired (the webhook certificates are valid one year).' },
    caBundleMismatch: { status: 'fail', summary: 'The caBundle is not the CA that signed the webhook\'s serving certificate (its Secret): the API server rejects the webhook (x509: certificate signed by unknown authority).' },
    servingCertExpired: { status: 'fail', summary: 'The webhook\'s serving certificate (its Secret) has expired.' },
    servingCertWrongHost: { status: 'fail', summary: 'The webhook\'s serving certificate (its Secret) is not valid for the Service name the configuration calls.' },
    ...API_MESSAGES,
  },
  explain: {
    what: 'Reads the MutatingWebhookConfiguration the webhook registers at start-up (flyte-binary: `<fullname>-webhook`; flyte-core: `flyte-pod-webhook`) and checks that its Service exists in this install\'s namespace with the port it names, and that the caBundle is a valid, unexpired certificate. When the webhook certificate Secret (flyte-binary: `<fullname>-webhook-secret`; flyte-core: `flyte-pod-webhook`) may be read, it checks that its serving certificate (`tls.crt`) is signed by the caBundle, unexpired, and valid for `<service>.<namespace>.svc`; only `tls.crt` and `ca.crt` are read, never `tls.key`. It counts the ready endpoints of the Service it calls: none fails here when the Service is not one of the chart\'s (flyte.services.endpoints diagnoses those, and the result here notes it).',
    why: 'Without the configuration, task pods that request secrets start without them; with a dangling Service or a bad caBundle (failurePolicy Fail) the API server rejects those pods: "failed calling webhook flyte-pod-webhook.flyte.org".',
    fix: 'Read the webhook logs (it needs RBAC to create mutatingwebhookconfigurations), delete its certificate Secret and restart it to regenerate certificates and registration, and make sure the Service exists.',
  },
  async run(ctx) {
    const ns = ctx.target.kubernetes.namespace;
    const chart = ctx.target.chart ?? 'flyte-binary';
    const k = kubectl(ctx.target.kubernetes, ns);
    return withKube(ctx, 'the webhook configuration', async (s, signal) => {
      const names = await resolveChartNames(s, ctx.target, signal);
      const name = webhookConfigName(names);
      const owner = webhookOwner(names);
      const comp = flyteComponents(names).find((c) => c.deployments.includes(owner.deployment)) ?? flyteComponents(names)[0]!;
      const mwc = await s.getOptional<Record<string, unknown>>(`/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${encodeURIComponent(name)}`, signal);
      if (!mwc) {
        const dep = await s.getOptional<{ metadata: { name: string; generation?: unknown }; spec?: unknown; status?: unknown }>(`/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/deployments/${encodeURIComponent(owner.deployment)}`, signal);
        const c = !dep ? cause.object('flyte-install', ns, chart) : !deploymentReady(dep) ? cause.backend(comp.backend) : cause.object('mutatingwebhookconfiguration', undefined, name);
        return { status: 'fail' as const, messageId: 'notRegistered' as const, cause: c,
          message: `MutatingWebhookConfiguration ${name} does not exist; task pods that request secrets will not get them${!dep ? ` (Deployment ${owner.deployment} is not in ${ns} either)` : !deploymentReady(dep) ? ` (Deployment ${owner.deployment}, which registers it at start-up, is not ready)` : ''}`,
          details: { name, chart, deployment: owner.deployment, deploymentExists: !!dep },
          hint: !dep ? `Flyte is not installed in ${ns}: check the namespace (-n) and release` : `the webhook creates it at start-up: \`${k} logs deploy/${owner.deployment} | grep -i webhook\` (RBAC on mutatingwebhookconfigurations), then \`${k} rollout restart deploy/${owner.deployment}\`; it is not created when \`webhook.disableCreateMutatingWebhookConfig\` is true` };
      }
      const hooks = (Array.isArray(mwc['webhooks']) ? mwc['webhooks'] : []).filter(isObj);
      const hook = hooks.find((h) => h['name'] === 'flyte-pod-webhook.flyte.org') ?? hooks[0];
      if (!hook) return { status: 'fail' as const, messageId: 'noWebhooks' as const, cause: cause.object('mutatingwebhookconfiguration', undefined, name), message: `MutatingWebhookConfiguration ${name} has no webhooks`, details: { name }, hint: `\`${k} rollout restart deploy/${owner.deployment}\` re-registers it` };
      const cc = isObj(hook['clientConfig']) ? hook['clientConfig'] : {};
      const svcRef = isObj(cc['service']) && typeof cc['service']['name'] === 'string' ? cc['service'] : undefined;
      const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
      const failurePolicy = str(hook['failurePolicy']) ?? 'Fail';
      const svcNs = str(svcRef?.['namespace']) ?? 'default', svcName = str(svcRef?.['name']) ?? '', port = typeof svcRef?.['port'] === 'number' ? svcRef['port'] : 443;
      const caBundle = str(cc['caBundle']);
      const details = { name, webhook: str(hook['name']) ?? null, failurePolicy, service: svcRef ? `${svcNs}/${svcName}:${port}${str(svcRef['path']) ?? ''}` : null, url: str(cc['url']) ?? null, caBundle: Boolean(caBundle) };
      const objCause = cause.object('mutatingwebhookconfiguration', undefined, name);
      const regenerate = `delete the webhook certificate Secret (${owner.secret}) and restart: \`${k} delete secret ${owner.secret}\` then \`${k} rollout restart deploy/${owner.deployment}\`, so the certificates and the configuration are regenerated`;
      if (!svcRef) {
        return { status: 'pass' as const, messageId: 'urlConfigured' as const, message: `MutatingWebhookConfiguration ${name} calls ${str(cc['url']) ?? '(no url)'} (not a Service; reachability not checked)`, details };
      }
      if (svcNs !== ns) {
        return { status: 'fail' as const, messageId: 'serviceElsewhere' as const, cause: objCause, message: `MutatingWebhookConfiguration ${name} calls Service ${svcNs}/${svcName}, not this install's namespace ${ns}: another install registered it (failurePolicy ${failurePolicy})`, details,
          hint: `one cluster-wide registration serves one install: \`${k} rollout restart deploy/${owner.deployment}\` re-registers this install's webhook; remove the other install or give it another name` };
      }
      const svc = await s.getOptional<Record<string, unknown>>(`/api/v1/namespaces/${encodeURIComponent(svcNs)}/services/${encodeURIComponent(svcName)}`, signal);
      if (!svc) {
        return { status: 'fail' as const, messageId: 'serviceMissing' as const, cause: cause.object('service', svcNs, svcName), message: `MutatingWebhookConfiguration ${name} points at Service ${svcNs}/${svcName}, which does not exist; the API server rejects Flyte task pods that request secrets (failurePolicy ${failurePolicy})`, details,
          hint: `re-create the Service (\`helm upgrade\` the release), or delete the stale configuration: \`kubectl delete mutatingwebhookconfiguration ${name}\` and \`${k} rollout restart deploy/${owner.deployment}\`` };
      }
      const ports = (isObj(svc['spec']) && Array.isArray(svc['spec']['ports']) ? svc['spec']['ports'] : []).filter(isObj).map((p) => p['port']).filter((p): p is number => typeof p === 'number');
      if (!ports.includes(port)) {
        return { status: 'fail' as const, messageId: 'portMissing' as const, cause: objCause, message: `Service ${svcNs}/${svcName} has no port ${port}, which MutatingWebhookConfiguration ${name} calls (ports: ${ports.join(', ') || 'none'})`, details,
          hint: `align \`webhook.servicePort\` in the Flyte config with the Service port (\`${k} get service ${svcName} -o yaml\`), then \`${k} rollout restart deploy/${owner.deployment}\`` };
      }
      // The Service exists with the port, but the API server calls one of its ready endpoints: none means every matching pod
      // is refused ("failed calling webhook ...: no endpoints available for service") or, with Ignore, admitted unmutated.
      // A Service of the chart is flyte.services.endpoints' to diagnose (with the pods' reason): here it is only noted, so one
      // fault is not two failures; a Service it does not look at (webhook.serviceName set to another one) fails here.
      const chartService = flyteServices(names).some((w) => w.name === svcName);
      let endpointsNote = '';
      if (isObj(svc['spec']) && svc['spec']['type'] !== 'ExternalName') {
        const ep = await serviceEndpoints(s, svcNs, svcName, signal);
        if (ep && ep.ready === 0 && chartService) endpointsNote = `; its Service has no ready endpoints now, so the API server cannot call it (flyte.services.endpoints says why)`;
        if (ep && ep.ready === 0 && !chartService) {
          const dep = await s.getOptional<{ metadata: { name: string; generation?: unknown }; spec?: unknown; status?: unknown }>(`/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/deployments/${encodeURIComponent(owner.deployment)}`, signal).catch(() => undefined);
          const depDown = !dep || !deploymentReady(dep);
          const sel = isObj(svc['spec']['selector']) ? Object.entries(svc['spec']['selector']).map(([a, b]) => `${a}=${String(b)}`).join(',') : '';
          const effect = failurePolicy === 'Ignore'
            ? 'with failurePolicy Ignore the API server admits the Flyte task pods that request secrets without calling it, so they start without their secrets'
            : `with failurePolicy ${failurePolicy} the API server refuses every Flyte task pod that requests secrets ("failed calling webhook ${str(hook['name']) ?? name}: ... no endpoints available for service \"${svcName}\"")`;
          return { status: 'fail' as const, messageId: 'noReadyEndpoints' as const, cause: cause.backend(comp.backend),
            message: `MutatingWebhookConfiguration ${name} calls Service ${svcNs}/${svcName}:${port}, which has no ready endpoints (${ep.notReady} not ready, from its ${ep.source === 'none' ? 'missing Endpoints' : ep.source}); ${effect}`,
            details: { ...details, endpoints: ep, deploymentReady: !depDown },
            hint: depDown
              ? `the webhook's pods are not ready: Deployment ${owner.deployment} ${dep ? 'is not available' : 'does not exist'} (flyte.deployments.ready has the reason and the fix)`
              : `Deployment ${owner.deployment} is available but the Service selects none of its ready pods: \`${k} get pods -l ${sel || '<selector>'}\` and \`${k} get endpointslices -l kubernetes.io/service-name=${svcName}\`; the Service's selector or targetPort disagrees with the pods (\`helm upgrade\` restores the chart's Service)` };
        }
      }
      if (!caBundle) {
        return { status: 'fail' as const, messageId: 'caBundleEmpty' as const, cause: objCause, message: `MutatingWebhookConfiguration ${name} has an empty caBundle; the API server cannot verify the webhook's certificate`, details, hint: regenerate };
      }
      const ca = inspectCaBundle(caBundle);
      if (!ca.ok) {
        return { status: 'fail' as const, messageId: 'caBundleInvalid' as const, cause: objCause, message: `the caBundle of MutatingWebhookConfiguration ${name} is unusable: ${ca.why}`, details, hint: regenerate };
      }
      if (Date.parse(ca.notAfter) <= ctx.clock.now()) {
        return { status: 'fail' as const, messageId: 'caBundleExpired' as const, cause: objCause, message: `the CA certificate in the caBundle of MutatingWebhookConfiguration ${name} (${ca.subject}) expired at ${ca.notAfter}; the API server rejects the webhook's certificate (x509)`, details: { ...details, caNotAfter: ca.notAfter }, hint: regenerate };
      }
      const sc = await servingCert(s, svcNs, owner.secret, signal);
      const host = `${svcName}.${svcNs}.svc`;
      if (sc.cert) {
        const leaf = sc.cert, cas = bundleCerts(caBundle);
        const certDetails = { ...details, caNotAfter: ca.notAfter, secret: owner.secret, servingCertSubject: leaf.subject.replace(/\n/g, ', '), servingCertIssuer: leaf.issuer.replace(/\n/g, ', '), servingCertNotAfter: new Date(leaf.validTo).toISOString(), caBundleFingerprints: cas.map(fingerprint) };
        if (!signedBy(leaf, cas)) {
          const secretConsistent = !!sc.ca && signedBy(leaf, [sc.ca]);
          return { status: 'fail' as const, messageId: 'caBundleMismatch' as const, cause: objCause,
            message: `the caBundle of MutatingWebhookConfiguration ${name} (${cas.map((c) => `${c.subject.replace(/\n/g, ', ')} sha256:${fingerprint(c)}`).join('; ')}) did not sign the webhook's serving certificate in Secret ${svcNs}/${owner.secret} (issued by ${certDetails.servingCertIssuer}); the API server rejects Flyte task pods that request secrets with "x509: certificate signed by unknown authority" (failurePolicy ${failurePolicy})`,
            details: { ...certDetails, secretCaSignsServingCert: secretConsistent },
            hint: secretConsistent
              ? `the registration is stale (another install, or the Secret was regenerated after it): \`${k} rollout restart deploy/${owner.deployment}\` re-registers the caBundle from the Secret's ca.crt`
              : regenerate };
        }
        if (Date.parse(leaf.validTo) <= ctx.clock.now()) {
          return { status: 'fail' as const, messageId: 'servingCertExpired' as const, cause: objCause, message: `the webhook's serving certificate in Secret ${svcNs}/${owner.secret} expired at ${certDetails.servingCertNotAfter}; the API server rejects the webhook's certificate (x509: certificate has expired)`, details: certDetails, hint: regenerate };
        }
        if (leaf.checkHost(host) === undefined) {
          const sans = leaf.subjectAltName ?? '(no subjectAltName)';
          return { status: 'fail' as const, messageId: 'servingCertWrongHost' as const, cause: objCause, message: `the webhook's serving certificate in Secret ${svcNs}/${owner.secret} is not valid for ${host}, the Service the configuration calls (${sans}); the API server rejects it (x509: certificate is valid for ..., not ${host})`, details: { ...certDetails, expectedHost: host, subjectAltName: sans },
            hint: `the certificate was generated for another Service name (\`webhook.serviceName\` of the Flyte config, or an earlier release name): ${regenerate}` };
        }
        return { status: 'pass' as const, messageId: 'configured' as const, message: `MutatingWebhookConfiguration ${name} calls Service ${svcNs}/${svcName}:${port}${str(svcRef['path']) ?? ''} (exists, caBundle valid until ${ca.notAfter.slice(0, 10)} and signs the serving certificate of Secret ${owner.secret}, valid for ${host} until ${certDetails.servingCertNotAfter.slice(0, 10)})${endpointsNote}`, details: { ...certDetails, ...(endpointsNote ? { serviceReadyEndpoints: 0 } : {}) } };
      }
      return { status: 'pass' as const, messageId: 'configured' as const, message: `MutatingWebhookConfiguration ${name} calls Service ${svcNs}/${svcName}:${port}${str(svcRef['path']) ?? ''} (exists, caBundle valid until ${ca.notAfter.slice(0, 10)}; ${sc.why})${endpointsNote}`, details: { ...details, caNotAfter: ca.notAfter, servingCertChecked: false, ...(endpointsNote ? { serviceReadyEndpoints: 0 } : {}) } };
    });
  },
});
