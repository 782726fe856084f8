import { bucketFor, bucketInstances, HttpProbeError, httpProbe, probeState, s3ClientFor } from '../../src/clients/s3.js';
import { stepBudget } from '../../src/clients/postgres.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Outcome } from '../../src/engine/types.js';

export default defineCheck({
  id: 'storage.s3.signed-url',
  title: 'A pre-signed URL for the probe object can be fetched from here',
  phases: ['preflight', 'verify'],
  needs: ['storage.s3'],
  dependsOn: ['storage.s3.put'],
  instances: bucketInstances,
  timeoutMs: 12_000,
  writes: 'none',
  explain: {
    what: 'Pre-signs a GET for this run\'s probe object with the configured endpoint and credentials, fetches it from where flyte-doctor runs and compares the bytes.',
    why: 'Flyte\'s data proxy hands such URLs to pyflyte, flytectl and the console; an endpoint only reachable inside the cluster makes `pyflyte run --remote` fail with "Failed to establish a new connection".',
    fix: 'Set the signed-URL endpoint override (`storage.signedUrl.stowConfigOverride.endpoint`) to an endpoint reachable by clients.',
  },
  async run(ctx): Promise<Outcome> {
    const st = ctx.target.storage!;
    const bucket = bucketFor(ctx);
    const state = await probeState(ctx, 's3', bucket);
    const client = await s3ClientFor(ctx);
    const [{ GetObjectCommand }, { getSignedUrl }] = await Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/s3-request-presigner')]);
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: state.probeKey }), { expiresIn: 300 });
    const u = new URL(url);
    const shown = `${u.origin}${u.pathname}`; // without the signature query
    const details = { url: shown, expiresInSeconds: 300 };
    try {
      const r = await httpProbe(url, { ...(ctx.target.dnsServer ? { dnsServer: ctx.target.dnsServer } : {}), timeoutMs: stepBudget(ctx, 8000), signal: ctx.signal });
      if (r.status === 200 && r.body.equals(state.body)) return { status: 'pass', messageId: 'fetched', message: `fetched the probe through a pre-signed URL (${u.host}): ${r.body.length} bytes, identical`, details: { ...details, httpStatus: 200 } };
      const code = /<Code>([^<]+)<\/Code>/.exec(r.body.toString('utf8'))?.[1];
      if (r.status === 200) return { status: 'fail', messageId: 'bytesDiffer', message: `the pre-signed URL returned other bytes than the probe object`, hint: 'a proxy in front of the object store rewrites responses; check the endpoint', details: { ...details, httpStatus: 200 } };
      return { status: 'fail', messageId: 'rejected', message: `the pre-signed URL was rejected: HTTP ${r.status}${code ? ` ${code}` : ''}`, hint: code === 'SignatureDoesNotMatch' ? `a proxy changes the Host header or path; keep the Host header when exposing the store, and set ${st.signedUrlKey} to the address clients use` : `check the signing identity's s3:GetObject permission and ${st.signedUrlKey}`, details: { ...details, httpStatus: r.status, error: code ?? null } };
    } catch (e) {
      if (!(e instanceof HttpProbeError)) throw e;
      return { status: 'fail', messageId: 'unreachable', message: `the pre-signed URL points at ${u.host}, which cannot be reached from here: ${e.message}`, hint: `set ${st.signedUrlKey} to an endpoint clients outside the cluster can reach (an ingress or LoadBalancer for the object store)`, details: { ...details, kind: e.kind } };
    }
  },
});
