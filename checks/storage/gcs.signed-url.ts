import { gcs, gcsClientFor, gcsErrorOf } from '../../src/clients/gcs.js';
import { stepBudget } from '../../src/clients/postgres.js';
import { bucketFor, bucketInstances, HttpProbeError, httpProbe, probeState } from '../../src/clients/s3.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Outcome } from '../../src/engine/types.js';

export default defineCheck({
  id: 'storage.gcs.signed-url',
  title: 'A signed URL for the probe object can be made and fetched from here',
  phases: ['preflight', 'verify'],
  needs: ['storage.gcs'],
  dependsOn: ['storage.gcs.put'],
  instances: bucketInstances,
  timeoutMs: 12_000,
  writes: 'none',
  explain: {
    what: 'Signs a V4 GET URL for the probe object with the available credentials and fetches it. Without signing credentials (no private key, no iam.serviceAccounts.signBlob) it is skipped with the reason.',
    why: 'Flyte\'s data proxy signs upload/download URLs for pyflyte and the console; on GKE with Workload Identity that needs iam.serviceAccounts.signBlob ("Failed to get signed url").',
    fix: 'Grant roles/iam.serviceAccountTokenCreator (iam.serviceAccounts.signBlob) on the Google service account to itself.',
  },
  async run(ctx): Promise<Outcome> {
    const st = ctx.target.storage!;
    const bucket = bucketFor(ctx);
    const state = await probeState(ctx, 'gcs', bucket);
    const client = await gcsClientFor(ctx);
    let url: string;
    try {
      [url] = await gcs(ctx, client.bucket(bucket).file(state.probeKey).getSignedUrl({ version: 'v4', action: 'read', expires: ctx.clock.now() + 5 * 60_000 }));
    } catch (e) {
      const err = gcsErrorOf(e);
      if (/signBlob|Permission .*denied|403/i.test(err.message)) return { status: 'fail', messageId: 'signBlobDenied', message: `signing a URL failed: ${err.message}`, hint: 'grant iam.serviceAccounts.signBlob (roles/iam.serviceAccountTokenCreator) on the Flyte Google service account to itself', details: { bucket, permission: 'iam.serviceAccounts.signBlob' } };
      return { status: 'skip', messageId: 'cannotSign', message: `the credentials available here cannot sign URLs (${err.message}); signed URLs not checked`, details: { bucket } };
    }
    const u = new URL(url);
    const details = { url: `${u.origin}${u.pathname}` };
    try {
      const r = await httpProbe(url, { ...(ctx.target.dnsServer ? { dnsServer: ctx.target.dnsServer } : {}), timeoutMs: stepBudget(ctx, 8000), signal: ctx.signal });
      if (r.status === 200 && r.body.equals(state.body)) return { status: 'pass', messageId: 'fetched', message: `fetched the probe through a signed URL (${u.host})`, details };
      return { status: 'fail', messageId: 'rejected', message: `the signed URL answered HTTP ${r.status}`, hint: `check the signing service account's storage.objects.get and ${st.signedUrlKey}`, details: { ...details, httpStatus: r.status } };
    } catch (e) {
      if (!(e instanceof HttpProbeError)) throw e;
      return { status: 'fail', messageId: 'unreachable', message: `the signed URL points at ${u.host}, which cannot be reached from here: ${e.message}`, hint: `set ${st.signedUrlKey} to an endpoint clients can reach`, details };
    }
  },
});
