import { answerOf, HttpProbeError, httpProbe, probeState, s3Identity, s3PresignClient, S3ProbeError } from '../../src/clients/s3.js';
import { stepBudget } from '../../src/engine/budget.js';
import { cause, hostPortKey } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import { bucketInstances, signedUrlEndpoint, storageKey, type S3Identity } from '../../src/flyte/storage.js';
import { bucketFor, CANNOT_PROBE, notCheckedHere, S3_FAILURES, s3Failure, s3Who, SIGNED_URL_MESSAGES, signedUrlAnswer, SKIP_MESSAGES, type S3Op } from './_support.js';

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
    urlUnreachable: { status: 'fail', summary: 'The host of the pre-signed URL cannot be reached from here: clients outside the cluster cannot upload or download.' },
    urlStalled: { status: 'fail', summary: 'The host of the pre-signed URL answered with a status and headers, then stopped sending the body: a stuck store or a buffering proxy on the way.' },
    hostRewritten: { status: 'fail', summary: 'The store rejects the URL\'s signature although the same key works: something between here and the store changes the Host header or path.' },
    ...SKIP_MESSAGES,
    ...S3_FAILURES,
    ...SIGNED_URL_MESSAGES,
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
    // what answers at the URL's host is judged there: the override's key when one is set, not the store endpoint
    const urlKey = signedUrlEndpoint(st) ? st.signedUrlKey : storageKey(st, 'endpoint');
    const at = { store: 'S3', what: 'pre-signed URL', url: u, key: urlKey, fromStore: a.s3, code: a.code, message: a.message, details };
    if (r.status === 200) return signedUrlAnswer(a, at);
    // the region's own redirects and bare 400s (x-amz-bucket-region) stay the region's finding
    if (a.s3 && !a.code && a.region && (a.status === 301 || a.status === 307 || a.status === 400)) return s3Failure(ctx, op, new S3ProbeError('answer', op.op, `HTTP ${a.status}`, { answer: a }), id);
    if (!a.s3 || !a.code || /^(NoSuchKey|NoSuchBucket|InternalError|ServiceUnavailable|SlowDown|NotImplemented|MethodNotAllowed|MissingContentLength|BadGateway|GatewayTimeout)$/.test(a.code)) return signedUrlAnswer(a, at);
    // the store at the URL's host does not know the key the API calls just used: another store
    if (a.code === 'InvalidAccessKeyId') return { status: 'fail', messageId: 'urlOtherStore', cause: cause.config(urlKey), message: `the pre-signed URL (${u.host}): the store there does not know the access key the API calls to the endpoint just used (HTTP ${a.status} InvalidAccessKeyId): the URL reaches another store than the API`, hint: `set ${urlKey} to an address of the same store the endpoint reaches`, details: { ...details, httpStatus: a.status, code: a.code } };
    if (a.code === 'AuthorizationQueryParametersError' && !/credential|region|AKID|expecting/i.test(a.message ?? '')) return { status: 'fail', messageId: 'requestRejected', cause: cause.wrongService(hostPortKey(u.hostname, u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80)), message: `the store at ${u.host} refused the pre-signed URL's query parameters (HTTP ${a.status} AuthorizationQueryParametersError: ${a.message ?? ''}); the URL was signed with X-Amz-Expires=300 by the AWS SDK`, hint: `something between here and the store changes the query string (a proxy re-encoding or dropping X-Amz-* parameters), or the store does not accept SigV4 query authentication: fetch the URL with curl directly at the store, and keep ${urlKey} pointing at an address that passes the query unchanged`, details: { ...details, httpStatus: a.status, code: a.code, serverMessage: a.message ?? null } };
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
    const f = await s3Failure(ctx, op, new S3ProbeError('answer', op.op, `HTTP ${a.status}`, { answer: a }), id);
    // the same key's API calls got through (storage.s3.put, .get): a refusal of the URL alone is a condition on query-string requests
    const got = ctx.result('storage.s3.get', ctx.instance?.key);
    if (f.messageId === 'permissionDenied' && got?.status === 'pass') return { ...f, message: `${f.message}; yet GetObject with the same key passed (storage.s3.get): only the pre-signed (query-string) request is refused`, hint: `a condition refuses pre-signed requests: look for a Deny in the bucket policy of ${bucket} on s3:authType REST-QUERY-STRING, s3:signatureAge or s3:signatureversion, or on aws:SourceIp / aws:SourceVpce (clients fetch from outside the VPC)` };
    return f;
  },
});
