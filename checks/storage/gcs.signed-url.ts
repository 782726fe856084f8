import { gcsLibraryFor } from '../../src/clients/gcs.js';
import { answerOf, HttpProbeError, httpProbe, probeState } from '../../src/clients/s3.js';
import { stepBudget } from '../../src/engine/budget.js';
import { cause, hostPortKey } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Outcome } from '../../src/engine/types.js';
import { bucketInstances } from '../../src/flyte/storage.js';
import { bucketFor, CANNOT_PROBE, notCheckedHere, SKIP_MESSAGES } from './_support.js';

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
    rejected: { status: 'fail', summary: 'The signed URL was refused or returned something else than the probe object.' },
    urlUnreachable: { status: 'fail', summary: 'The host of the signed URL cannot be reached from here.' },
    urlStalled: { status: 'fail', summary: 'The host of the signed URL answered with a status and headers, then stopped sending the body: a stuck store or a buffering proxy on the way.' },
    ...SKIP_MESSAGES,
  },
  explain: {
    what: 'Signs a V4 GET URL for the probe object with the available credentials and fetches it. Without signing credentials (no private key, no iam.serviceAccounts.signBlob) it is skipped with the reason.',
    why: 'Flyte\'s data proxy signs upload/download URLs for pyflyte and the console; on GKE with Workload Identity that needs iam.serviceAccounts.signBlob ("Failed to get signed url").',
    fix: 'Grant roles/iam.serviceAccountTokenCreator (iam.serviceAccounts.signBlob) on the Google service account to itself.',
  },
  async run(ctx): Promise<Outcome<'notCheckedHere' | 'fetched' | 'cannotSign' | 'signBlobDenied' | 'signBlobDeniedHere' | 'rejected' | 'urlUnreachable' | 'urlStalled'>> {
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
      return { status: 'fail', messageId: 'rejected', message: `the signed URL answered HTTP ${r.status}${a.code ? ` ${a.code}` : ''} instead of the probe object`, hint: a.code === 'SignatureDoesNotMatch' ? 'a proxy changes the Host header or path of signed URLs; keep them unchanged' : `check the signing service account's storage.objects.get and ${st.signedUrlKey}`, details: { ...details, httpStatus: r.status, code: a.code ?? null } };
    } catch (e) {
      if (!(e instanceof HttpProbeError)) throw e;
      const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
      if (e.kind === 'stalled') return { status: 'fail', messageId: 'urlStalled', cause: cause.backend(`gcs ${hostPortKey(u.hostname, port)}`), message: `the signed URL: ${e.message}; a download through it stalls the same way for pyflyte and the console`, hint: `check the store behind ${u.host} and any proxy or load balancer on the way (response buffering, body or idle timeouts)`, details: { ...details, kind: e.kind } };
      return { status: 'fail', messageId: 'urlUnreachable', cause: e.kind === 'dns' ? cause.dns(u.hostname) : cause.unreachable(hostPortKey(u.hostname, port)), message: `the signed URL points at ${u.host}, which cannot be reached from here: ${e.message}`, hint: `set ${st.signedUrlKey} to an endpoint clients can reach`, details };
    }
  },
});
