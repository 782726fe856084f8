import { gcsLibraryFor } from '../../src/clients/gcs.js';
import { answerOf, HttpProbeError, httpProbe, probeState } from '../../src/clients/s3.js';
import { stepBudget } from '../../src/engine/budget.js';
import { cause, hostPortKey } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Outcome } from '../../src/engine/types.js';
import { bucketInstances, signedUrlEndpoint, storageKey } from '../../src/flyte/storage.js';
import { bucketFor, CANNOT_PROBE, notCheckedHere, SIGNED_URL_MESSAGES, signedUrlAnswer, SKIP_MESSAGES, type SignedUrlFindingId } from './_support.js';

export default defineCheck({
  id: 'storage.gcs.signed-url',
  title: 'A signed URL for the probe object can be made and fetched from here',
  phases: ['preflight', 'verify'],
  needs: ['storage.gcs'],
  dependsOn: ['storage.gcs.put'],
  instances: bucketInstances,
  timeoutMs: 12_000,
  writes: 'none',
  messages: {
    fetched: { status: 'pass', summary: 'A V4 signed URL was made and fetched from here; it returned the probe object.' },
    cannotSign: { status: 'skip', summary: 'The credentials here cannot sign URLs (no private key, no signBlob); signed URLs were not checked.' },
    signBlobDenied: { status: 'fail', summary: 'Signing through IAM signBlob was denied (iam.serviceAccounts.signBlob missing).' },
    signBlobDeniedHere: { status: 'warn', summary: 'Signing as this machine\'s Google identity (not a key file of the values) was denied; Flyte\'s own service account cannot be judged from here.' },
    rejected: { status: 'fail', summary: 'The signed URL\'s signature was refused (SignatureDoesNotMatch): something on the way changes the host, path or query.' },
    urlUnreachable: { status: 'fail', summary: 'The host of the signed URL cannot be reached from here.' },
    urlStalled: { status: 'fail', summary: 'The host of the signed URL answered with a status and headers, then stopped sending the body: a stuck store or a buffering proxy on the way.' },
    ...SKIP_MESSAGES,
    ...SIGNED_URL_MESSAGES,
  },
  explain: {
    what: 'Signs a V4 GET URL for the probe object with the available credentials and fetches it. Without signing credentials (no private key, no iam.serviceAccounts.signBlob) it is skipped with the reason.',
    why: 'Flyte\'s data proxy signs upload/download URLs for pyflyte and the console; on GKE with Workload Identity that needs iam.serviceAccounts.signBlob ("Failed to get signed url").',
    fix: 'Grant roles/iam.serviceAccountTokenCreator (iam.serviceAccounts.signBlob) on the Google service account to itself.',
  },
  async run(ctx): Promise<Outcome<'notCheckedHere' | 'fetched' | 'cannotSign' | 'signBlobDenied' | 'signBlobDeniedHere' | 'rejected' | 'urlUnreachable' | 'urlStalled' | SignedUrlFindingId>> {
    const skip = notCheckedHere(ctx, ['storage.gcs.bucket'], CANNOT_PROBE);
    if (skip) return { status: 'skip', messageId: 'notCheckedHere', message: skip };
    const st = ctx.target.storage!;
    const bucket = bucketFor(ctx);
    const state = await probeState(ctx, 'gcs', bucket);
    const lib = await gcsLibraryFor(ctx);
    let url: string;
    try {
      const signing = lib.bucket(bucket).file(state.probeKey).getSignedUrl({ version: 'v4', action: 'read', expires: ctx.clock.now() + 5 * 60_000 });
      [url] = await Promise.race([signing, new Promise<never>((_, rej) => { const t = setTimeout(() => rej(new Error('signing timed out')), Math.max(200, stepBudget(ctx, 5000))); ctx.signal.addEventListener('abort', () => { clearTimeout(t); rej(new Error('aborted')); }, { once: true }); })]);
    } catch (e) {
      const msg = ((e as Error)?.message ?? String(e)).split('\n')[0]!;
      if (/signBlob|Permission .*denied|403|does not have permission/i.test(msg) && st.authType !== 'keyfile' && !ctx.target.inCluster) {
        // ADC of this machine (a user, an impersonated or compute account) signs through IAM here; Flyte signs as its own GSA
        return { status: 'warn', messageId: 'signBlobDeniedHere', message: `signing a URL as this machine's Google identity was denied (${msg}): this says nothing about Flyte's service account`, hint: 'run flyte-doctor --in-cluster to sign as Flyte\'s identity; on GKE with Workload Identity, Flyte\'s Google service account needs roles/iam.serviceAccountTokenCreator (iam.serviceAccounts.signBlob) on itself', details: { bucket, permission: 'iam.serviceAccounts.signBlob', identity: 'this machine' } };
      }
      if (/signBlob|Permission .*denied|403|does not have permission/i.test(msg)) return { status: 'fail', messageId: 'signBlobDenied', message: `signing a URL failed: ${msg}`, hint: 'grant iam.serviceAccounts.signBlob (roles/iam.serviceAccountTokenCreator) on the Flyte Google service account to itself', details: { bucket, permission: 'iam.serviceAccounts.signBlob' } };
      return { status: 'skip', messageId: 'cannotSign', message: `the credentials available here cannot sign URLs (${msg}); signed URLs not checked`, details: { bucket } };
    }
    const u = new URL(url);
    const details = { url: `${u.origin}${u.pathname}` };
    try {
      const r = await httpProbe(url, { ...(ctx.target.dnsServer ? { dnsServer: ctx.target.dnsServer } : {}), timeoutMs: stepBudget(ctx, 8000), signal: ctx.signal });
      if (r.status === 200 && r.body.equals(state.body)) return { status: 'pass', messageId: 'fetched', message: `fetched the probe through a signed URL (${u.host})`, details };
      const a = answerOf(r.status, r.headers as Record<string, unknown>, r.body);
      const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
      const urlKey = signedUrlEndpoint(st) ? st.signedUrlKey : storageKey(st, 'endpoint');
      const d = { ...details, httpStatus: r.status, code: a.code ?? null, serverMessage: a.message ?? null };
      const said = `HTTP ${r.status}${a.code ? ` ${a.code}` : ''}${a.message ? `: ${a.message.slice(0, 200)}` : ''}`;
      // GCS's XML API answers signed URLs with <Error><Code>: the signature, the signer's access, the validity window
      if (a.s3 && a.code === 'SignatureDoesNotMatch') return { status: 'fail', messageId: 'rejected', cause: cause.wrongService(hostPortKey(u.hostname, port)), message: `the signed URL's signature was refused (${said}) right after it was made: something between here and the store changes the Host header, path or query`, hint: `keep the Host header, path and query unchanged in any proxy in front of ${u.host}, and set ${urlKey} to the address clients use`, details: d };
      if (a.s3 && (a.code === 'ExpiredToken' || a.code === 'RequestTimeTooSkewed' || /expired|not yet valid|in the future/i.test(a.message ?? '') && /^(AccessDenied|InvalidArgument|ExpiredToken)$/.test(a.code ?? ''))) return { status: 'fail', messageId: 'urlExpired', cause: cause.config('clock'), message: `the store refused the signed URL as outside its validity (${said}): it was signed here for 5 minutes, so this machine's clock differs from the store's`, hint: 'synchronise the clocks with NTP on this machine and the Kubernetes nodes (`timedatectl set-ntp true`, `chronyc makestep`): Flyte signs URLs with its pod\'s clock', details: d };
      if (a.s3 && (a.code === 'AccessDenied' || r.status === 403 && a.code === 'UserProjectMissing')) return { status: 'fail', messageId: 'urlDenied', cause: cause.denied('gcs', 'signer', 'storage.objects.get'), message: `the signed URL was refused (${said}): the service account that signed it cannot read the object`, hint: a.code === 'UserProjectMissing' ? 'the bucket is Requester Pays: signed URLs need the userProject parameter, which Flyte does not add; turn Requester Pays off for Flyte\'s buckets' : `grant the signing service account storage.objects.get on the bucket (roles/storage.objectViewer, or Flyte's roles/storage.objectAdmin): gcloud storage buckets add-iam-policy-binding gs://${bucket} --member=serviceAccount:<gsa> --role=roles/storage.objectAdmin`, details: d };
      return signedUrlAnswer(a, { store: 'GCS', what: 'signed URL', url: u, key: urlKey, fromStore: a.s3, code: a.code, message: a.message, details });
    } catch (e) {
      if (!(e instanceof HttpProbeError)) throw e;
      const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
      if (e.kind === 'stalled') return { status: 'fail', messageId: 'urlStalled', cause: cause.backend(`gcs ${hostPortKey(u.hostname, port)}`), message: `the signed URL: ${e.message}; a download through it stalls the same way for pyflyte and the console`, hint: `check the store behind ${u.host} and any proxy or load balancer on the way (response buffering, body or idle timeouts)`, details: { ...details, kind: e.kind } };
      return { status: 'fail', messageId: 'urlUnreachable', cause: e.kind === 'dns' ? cause.dns(u.hostname) : cause.unreachable(hostPortKey(u.hostname, port)), message: `the signed URL points at ${u.host}, which cannot be reached from here: ${e.message}`, hint: `set ${st.signedUrlKey} to an endpoint clients can reach`, details };
    }
  },
});
