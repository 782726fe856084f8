import { answerOf, HttpProbeError, httpProbe, probeState, s3Identity, s3PresignClient, S3ProbeError } from '../../src/clients/s3.js';
import { stepBudget } from '../../src/engine/budget.js';
import { cause, hostPortKey } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import { bucketInstances, signedUrlEndpoint, type S3Identity } from '../../src/flyte/storage.js';
import { bucketFor, CANNOT_PROBE, notCheckedHere, S3_FAILURES, s3Failure, s3NotS3, s3Who, SKIP_MESSAGES, type S3Op } from './_support.js';

export default defineCheck({
  id: 'storage.s3.signed-url',
  title: 'A pre-signed URL for the probe object can be fetched from here',
  phases: ['preflight', 'verify'],
  needs: ['storage.s3'],
  dependsOn: ['storage.s3.put'],
  instances: bucketInstances,
  timeoutMs: 12_000,
  writes: 'none',
  messages: {
    fetched: { status: 'pass', summary: 'The pre-signed URL was fetched from here and returned the probe object.' },
    bytesDiffer: { status: 'fail', summary: 'The pre-signed URL returned other bytes than the probe object.' },
    urlUnreachable: { status: 'fail', summary: 'The host of the pre-signed URL cannot be reached from here: clients outside the cluster cannot upload or download.' },
    urlStalled: { status: 'fail', summary: 'The host of the pre-signed URL answered with a status and headers, then stopped sending the body: a stuck store or a buffering proxy on the way.' },
    hostRewritten: { status: 'fail', summary: 'The store rejects the URL\'s signature although the same key works: something between here and the store changes the Host header or path.' },
    ...SKIP_MESSAGES,
    ...S3_FAILURES,
  },
  explain: {
    what: 'Pre-signs a GET for this run\'s probe object the way Flyte\'s data proxy does (the signed-URL endpoint override when set, else the store endpoint) with the configured credentials, fetches it from where flyte-doctor runs and compares the bytes.',
    why: 'Flyte\'s data proxy hands such URLs to pyflyte, flytectl and the console; an endpoint only reachable inside the cluster makes `pyflyte run --remote` fail with "Failed to establish a new connection".',
    fix: 'Set the signed-URL endpoint override (`storage.signedUrl.stowConfigOverride.endpoint`) to an endpoint reachable by clients; keep the Host header unchanged in proxies in front of the store.',
  },
  async run(ctx) {
    const skip = notCheckedHere(ctx, ['storage.s3.endpoint', 'storage.s3.bucket'], CANNOT_PROBE);
    if (skip) return { status: 'skip', messageId: 'notCheckedHere', message: skip };
    const st = ctx.target.storage!;
    const bucket = bucketFor(ctx);
    const op: S3Op = { bucket, op: 'GET with a pre-signed URL', action: 's3:GetObject', objectLevel: true, instanceKey: ctx.instance?.key };
    let id: S3Identity;
    try { id = await s3Identity(ctx); } catch (e) { return s3Failure(ctx, op, e); }
    const state = await probeState(ctx, 's3', bucket);
    const client = await s3PresignClient(ctx);
    const { GetObjectCommand, getSignedUrl } = await import('../../src/sdk/aws.js');
    // signed at the run's clock (this machine's): the store judges X-Amz-Date + X-Amz-Expires against its own
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: state.probeKey }), { expiresIn: 300, signingDate: new Date(ctx.clock.now()) });
    const u = new URL(url);
    const shown = `${u.origin}${u.pathname}`; // without the signature query
    const who = s3Who(st, id);
    const details = { url: shown, expiresInSeconds: 300, signedWith: signedUrlEndpoint(st) ? `${st.signedUrlKey} (override)` : 'the store endpoint', ...who.details };
    let r;
    try {
      r = await httpProbe(url, { ...(ctx.target.dnsServer ? { dnsServer: ctx.target.dnsServer } : {}), timeoutMs: stepBudget(ctx, 8000), signal: ctx.signal });
    } catch (e) {
      if (!(e instanceof HttpProbeError)) throw e;
      const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
      if (e.kind === 'stalled') return { status: 'fail', messageId: 'urlStalled', cause: cause.backend(`s3 ${hostPortKey(u.hostname, port)}`), message: `the pre-signed URL: ${e.message}; a download through it stalls the same way for pyflyte and the console`, hint: `check the store behind ${u.host} and any proxy or load balancer on the way (response buffering, body or idle timeouts)`, details: { ...details, kind: e.kind } };
      return { status: 'fail', messageId: 'urlUnreachable', cause: e.kind === 'dns' ? cause.dns(u.hostname) : cause.unreachable(hostPortKey(u.hostname, port)), message: `the pre-signed URL points at ${u.host}, which cannot be reached from here: ${e.message}; pyflyte run --remote and console downloads fail the same way`, hint: `set ${st.signedUrlKey} to an endpoint of the store that clients outside the cluster can reach (an ingress or LoadBalancer for the S3 API)`, details: { ...details, kind: e.kind } };
    }
    const a = answerOf(r.status, r.headers as Record<string, unknown>, r.body);
    if (r.status === 200 && r.body.equals(state.body)) return { status: 'pass', messageId: 'fetched', message: `fetched the probe through a pre-signed URL (${u.host}): ${r.body.length} bytes, identical${who.suffix}`, details: { ...details, httpStatus: 200 } };
    if (r.status === 200) {
      if (!a.s3) return s3NotS3(ctx, a, `GET with a pre-signed URL (${u.host})`, details);
      return { status: 'fail', messageId: 'bytesDiffer', message: 'the pre-signed URL returned other bytes than the probe object', hint: 'a proxy in front of the object store rewrites responses; check the endpoint', details: { ...details, httpStatus: 200 } };
    }
    if (a.code === 'SignatureDoesNotMatch' && a.s3) {
      return { status: 'fail', messageId: 'hostRewritten', cause: cause.wrongService(hostPortKey(u.hostname, u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80)), message: `the store rejects the pre-signed URL's signature (SignatureDoesNotMatch) although the same key signs API calls fine: something between here and the store changes the Host header or the path`, hint: `keep the Host header and path unchanged in the proxy or ingress in front of the store (nginx: proxy_set_header Host $http_host), and set ${st.signedUrlKey} to the address clients use`, details: { ...details, httpStatus: r.status, code: a.code } };
    }
    // S3 and MinIO answer a pre-signed URL outside its validity with AccessDenied ("Request has expired",
    // "Request is not valid yet"): the signing clock against the store's, not a permission. API calls
    // signed by the same clock pass up to 15 minutes off; a 5-minute URL fails well before that.
    if (a.s3 && a.code === 'AccessDenied' && /Request has expired|Request is not valid yet/i.test(a.message ?? '')) {
      const server = a.headers.date ? Date.parse(a.headers.date) : NaN;
      const skew = Number.isFinite(server) ? ctx.clock.now() - server : undefined;
      const off = skew !== undefined ? `${Math.round(Math.abs(skew) / 60_000)} min ${skew > 0 ? 'ahead of' : 'behind'} the store's (its Date header)` : 'off from the store\'s';
      return { status: 'fail', messageId: 'clockSkew', cause: cause.config('clock'), message: `the store refused the pre-signed URL as outside its validity (HTTP ${a.status} AccessDenied: ${a.message}): it was signed here for ${details.expiresInSeconds} s, and this machine's clock is ${off}; not a permission (the same key's API calls passed)`, hint: 'synchronise the clocks with NTP on this machine, the Kubernetes nodes and the store (`timedatectl set-ntp true`, `chronyc makestep`): Flyte\'s data proxy signs URLs with its pod\'s clock, and a clock a few minutes behind makes every URL it hands out expire early', details: { ...details, httpStatus: a.status, code: a.code, serverMessage: a.message ?? null, ...(skew !== undefined ? { clockSkewMs: skew } : {}) } };
    }
    return s3Failure(ctx, op, new S3ProbeError('answer', op.op, `HTTP ${a.status}`, { answer: a }), id);
  },
});
