// The S3 error space, against a private S3-shaped server answering each code of the S3 "Error
// responses" list a probe can meet (and the things that are not S3 at all). Each code lands on its
// own finding; only AccessDenied is "the policy".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../../src/config/secret.js';
import { runCheck, runSelection } from '../../harness/run-check.js';
import { empty204, html, S3_HEADERS, s3Error, startFakeS3, type Reply, type S3OpName } from './fake-stores.js';
import { s3Target } from './store-target.js';

const KEY = { accessKey: 'FAKESTORE0KEY1234567', secretKey: 'fake-store-secret-key-1' };

let answer: (op: S3OpName) => Reply | undefined = () => undefined;
let srv: Awaited<ReturnType<typeof startFakeS3>>;
beforeAll(async () => { srv = await startFakeS3((op) => answer(op)); });
afterAll(async () => { await srv.stop(); });

const target = () => s3Target(KEY, { endpoint: `http://127.0.0.1:${srv.port}`, region: 'us-east-1' });

/** Every bucket-level request answers `r` (GetBucketLocation, HeadBucket, listings). */
const onBucket = (r: Reply) => (op: S3OpName) => (op === 'location' || op === 'head-bucket' || op === 'list' ? r : undefined);

describe('S3 error codes: each its own finding (storage.s3.bucket)', () => {
  const cases: [string, Reply, string, RegExp | string][] = [
    ['InvalidAccessKeyId', s3Error(403, 'InvalidAccessKeyId', 'The AWS access key Id you provided does not exist in our records.'), 'unknownAccessKey', 'configuration.storage.providerConfig.s3.accessKey'],
    ['InvalidAccessKeyId (disabled user)', s3Error(403, 'InvalidAccessKeyId', 'Your account is disabled; please contact your administrator.'), 'accountDisabled', 'enable'],
    ['SignatureDoesNotMatch', s3Error(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.'), 'wrongSecretKey', 'configuration.storage.providerConfig.s3.secretKey'],
    ['AccountProblem', s3Error(403, 'AccountProblem'), 'accountDisabled', 'enable'],
    ['AllAccessDisabled', s3Error(403, 'AllAccessDisabled', 'All access to this Amazon S3 resource has been disabled.'), 'accountDisabled', 'enable'],
    ['NotSignedUp', s3Error(403, 'NotSignedUp'), 'accountDisabled', 'enable'],
    ['UserSuspended (Ceph RGW: radosgw-admin user suspend)', s3Error(403, 'UserSuspended'), 'accountDisabled', 'enable'],
    ['InvalidArgument: a key of another length (Cloudflare R2)', s3Error(400, 'InvalidArgument', 'Invalid Argument: Credential access key has length 20, should be 32'), 'unknownAccessKey', 'an access key id of this store (32 characters)'],
    ['ExpiredToken', s3Error(400, 'ExpiredToken', 'The provided token has expired.'), 'sessionTokenExpired', 'long-lived access key'],
    ['TokenRefreshRequired', s3Error(400, 'TokenRefreshRequired'), 'sessionTokenExpired', 'long-lived access key'],
    ['InvalidToken', s3Error(400, 'InvalidToken', 'The provided token is malformed or otherwise invalid.'), 'sessionTokenInvalid', 'session token'],
    ['RequestTimeTooSkewed', s3Error(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', '<ServerTime>2030-01-01T00:00:00Z</ServerTime>'), 'clockSkew', 'NTP'],
    ['AuthorizationHeaderMalformed (region)', s3Error(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed; the region \'us-east-1\' is wrong; expecting \'eu-west-1\'', '<Region>eu-west-1</Region>'), 'wrongRegion', 'configuration.storage.providerConfig.s3.region: eu-west-1'],
    ['PermanentRedirect', s3Error(301, 'PermanentRedirect', 'The bucket you are attempting to access must be addressed using the specified endpoint.', '<Endpoint>b.s3.eu-central-1.amazonaws.com</Endpoint>'), 'wrongRegion', 'configuration.storage.providerConfig.s3.region'],
    ['IllegalLocationConstraintException', s3Error(400, 'IllegalLocationConstraintException', 'The eu-west-2 location constraint is incompatible for the region specific endpoint this request was sent to.'), 'wrongRegion', 'configuration.storage.providerConfig.s3.region'],
    ['NoSuchBucket', s3Error(404, 'NoSuchBucket', 'The specified bucket does not exist'), 'noSuchBucket', 'configuration.storage.metadataContainer'],
    ['InvalidBucketName', s3Error(400, 'InvalidBucketName', 'The specified bucket is not valid.'), 'invalidBucketName', 'configuration.storage.metadataContainer'],
    ['KMS.DisabledException', s3Error(400, 'KMS.DisabledException', 'arn:aws:kms:us-east-1:1:key/x is disabled.'), 'kmsDenied', 'aws kms enable-key'],
    ['SlowDown', s3Error(503, 'SlowDown', 'Please reduce your request rate.'), 'serverError', 'request rate'],
    ['ServiceUnavailable', s3Error(503, 'ServiceUnavailable', 'Reduce your request rate.'), 'serverError', 'retry'],
    ['InternalError', s3Error(500, 'InternalError', 'We encountered an internal error. Please try again.'), 'serverError', 'retry'],
    ['NotImplemented', s3Error(501, 'NotImplemented', 'A header you provided implies functionality that is not implemented'), 'notS3Api', 'configuration.storage.providerConfig.s3.endpoint'],
    ['MethodNotAllowed', s3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.'), 'notS3Api', 'configuration.storage.providerConfig.s3.endpoint'],
    ['AccessDenied for unsigned x-amz-* headers (a proxy adds them)', s3Error(403, 'AccessDenied', 'There were headers present in the request which were not signed', '<HeadersNotSigned>x-amz-server-side-encryption</HeadersNotSigned>'), 'requestAltered', 'adding x-amz-* headers'],
    ['XAmzContentSHA256Mismatch', s3Error(400, 'XAmzContentSHA256Mismatch', 'The provided \'x-amz-content-sha256\' header does not match what was computed.'), 'requestAltered', 'proxy'],
    ['MissingSecurityHeader', s3Error(400, 'MissingSecurityHeader', 'Your request is missing a required header.'), 'requestRejected', 'refuses'],
    ['InvalidRequest (signature version)', s3Error(400, 'InvalidRequest', 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.'), 'requestRejected', 'v2Signing'],
    ['an unknown code', s3Error(409, 'SomethingNobodyDocumented', 'weird'), 'unrecognised', 'ErrorResponses'],
    ['a proxy 502 page', html(502, '502 Bad Gateway'), 'serverError', 'behind the proxy'],
  ];
  for (const [name, reply, messageId, fix] of cases) {
    it(`${name} -> ${messageId}`, async () => {
      answer = onBucket(reply);
      const { result } = await runCheck('storage.s3.bucket', target(), { instance: 'metadata' });
      expect(result.messageId, result.message).toBe(messageId);
      expect(result.status).toBe(messageId === 'locationDenied' ? 'warn' : 'fail');
      if (typeof fix === 'string') expect(result.hint).toContain(fix); else expect(result.hint).toMatch(fix);
      expect(JSON.stringify(result)).not.toContain(KEY.accessKey); // masked, never raw
    });
  }

  it('credentials findings share one cause key per access key (masked), whichever check sees them', async () => {
    answer = onBucket(s3Error(403, 'SignatureDoesNotMatch'));
    const { result } = await runCheck('storage.s3.bucket', target(), { instance: 'metadata' });
    expect(result.cause).toBe('credentials:s3:FAKE…4567');
    expect(result.message).toContain('FAKE…4567');
  });

  it('AccessDenied on GetBucketLocation and a HEAD 403 without a code: the code comes from a follow-up GET, not a guess', async () => {
    // HeadBucket answers 403 with no body; the listing (a GET) carries the real code.
    answer = (op) => op === 'location' ? s3Error(403, 'AccessDenied', 'Access Denied') : op === 'head-bucket' ? { status: 403, headers: { 'x-amz-request-id': 'R' } } : op === 'list' ? s3Error(403, 'SignatureDoesNotMatch') : undefined;
    const one = s3Target(KEY, { endpoint: `http://127.0.0.1:${srv.port}`, region: 'us-east-1', userDataBucket: 'flyte-metadata' });
    let { result } = await runCheck('storage.s3.bucket', one, { instance: 'metadata' });
    expect(result.messageId).toBe('wrongSecretKey');
    answer = (op) => op === 'location' || op === 'list' ? s3Error(403, 'AccessDenied', 'Access Denied') : op === 'head-bucket' ? { status: 403, headers: { 'x-amz-request-id': 'R' } } : undefined;
    ({ result } = await runCheck('storage.s3.bucket', one, { instance: 'metadata' }));
    expect(result.messageId).toBe('permissionDenied');
    expect(result.message).toContain('s3:ListBucket');
    expect(result.hint).toContain('arn:aws:s3:::flyte-metadata');
    // then ListBuckets: this fake store refuses it too, so the key may be refused everything: the grant first, then the user/parent checks
    expect(srv.requests.slice(-4)).toEqual(['GET location', 'HEAD head-bucket', 'GET list', 'GET root']);
    expect(result.hint).toContain('parent user');
    expect(result.hint).toMatch(/^allow "s3:ListBucket"/);
  });

  it('AccessDenied naming the policy that decided (AWS\'s wording): an explicit Deny or an SCP is not fixed by "allow X"; the fix names that policy', async () => {
    // AWS's exact AccessDenied texts (same-account requests name the policy type); MinIO says only "Access Denied.".
    const who = 'User: arn:aws:sts::123456789012:assumed-role/flyte/i is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::flyte-metadata/flyte-doctor/x"';
    const cases: [string, RegExp][] = [
      [`${who} with an explicit deny in a resource-based policy`, /Deny statement in the bucket policy of flyte-metadata.*get-bucket-policy --bucket flyte-metadata/],
      [`${who} with an explicit deny in an identity-based policy`, /Deny statement in a policy attached to arn:aws:sts::123456789012:assumed-role\/flyte\/i/],
      [`${who} with an explicit deny in a service control policy`, /service control policy.*organization/],
      [`${who} because no VPC endpoint policy allows the s3:PutObject action`, /S3 VPC endpoint/],
      [`${who} because no permissions boundary allows the s3:PutObject action`, /permissions boundary/],
      [`${who} because no session policy allows the s3:PutObject action`, /session policy/],
    ];
    for (const [text, fix] of cases) {
      answer = (op) => (op === 'put' ? s3Error(403, 'AccessDenied', text) : undefined);
      const { result } = await runCheck('storage.s3.put', target(), { instance: 'metadata' });
      expect(result.messageId, text).toBe('permissionDenied');
      expect(result.hint, text).toMatch(fix);
      expect(result.hint, text).not.toMatch(/^allow "s3:PutObject"/);
    }
    // "because no identity-based policy allows" is the missing grant: the grant stays the fix
    answer = (op) => (op === 'put' ? s3Error(403, 'AccessDenied', `${who} because no identity-based policy allows the s3:PutObject action`) : undefined);
    const { result } = await runCheck('storage.s3.put', target(), { instance: 'metadata' });
    expect(result.hint).toMatch(/^allow "s3:PutObject"/);
  });

  it('HeadBucket signed for the wrong region: S3\'s bare 400 (no body) with x-amz-bucket-region is wrongRegion with the region from the header, not "unrecognised"', async () => {
    // AWS answers HEAD in the wrong region with 400, headers only: x-amz-bucket-region names the bucket's region.
    const head400 = { status: 400, headers: { 'x-amz-request-id': 'R', 'x-amz-id-2': 'i', server: 'AmazonS3', 'x-amz-bucket-region': 'eu-west-1' } };
    answer = (op) => op === 'location' ? s3Error(403, 'AccessDenied', 'Access Denied') : op === 'head-bucket' ? head400 : undefined;
    let { result } = await runCheck('storage.s3.bucket', target(), { instance: 'metadata' });
    expect(result).toMatchObject({ status: 'fail', messageId: 'wrongRegion' });
    expect(result.hint).toContain('configuration.storage.providerConfig.s3.region: eu-west-1');
    expect(result.message).toContain('x-amz-bucket-region: eu-west-1');
    // the same bare 400 naming the configured region is not a region problem
    answer = (op) => op === 'location' ? s3Error(403, 'AccessDenied', 'Access Denied') : op === 'head-bucket' ? { ...head400, headers: { ...head400.headers, 'x-amz-bucket-region': 'us-east-1' } } : undefined;
    ({ result } = await runCheck('storage.s3.bucket', target(), { instance: 'metadata' }));
    expect(result.messageId).toBe('unrecognised');
  });

  it('AccessDenied naming the action and principal (AWS wording) keeps them; KMS wording is KMS', async () => {
    answer = onBucket(s3Error(403, 'AccessDenied', 'User: arn:aws:iam::123456789012:user/flyte is not authorized to perform: s3:GetBucketLocation on resource: "arn:aws:s3:::flyte-metadata" because no identity-based policy allows the s3:GetBucketLocation action'));
    answer = (op) => op === 'location' ? s3Error(403, 'AccessDenied', 'User: arn:aws:iam::123456789012:user/flyte is not authorized to perform: s3:GetBucketLocation on resource: "arn:aws:s3:::flyte-metadata"') : undefined;
    let { result } = await runCheck('storage.s3.bucket', target(), { instance: 'metadata' });
    expect(result.messageId).toBe('locationDenied'); // HeadBucket works: the bucket exists
    expect(result.status).toBe('warn');
    expect(result.hint).toContain('s3:GetBucketLocation');
    answer = (op) => op === 'put' ? s3Error(403, 'AccessDenied', 'User: arn:aws:sts::1:assumed-role/flyte/x is not authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:us-east-1:1:key/k') : undefined;
    ({ result } = await runCheck('storage.s3.put', target(), { instance: 'metadata' }));
    expect(result.messageId).toBe('kmsDenied');
    answer = (op) => op === 'put' ? s3Error(403, 'AccessDenied', 'User: arn:aws:iam::123456789012:user/flyte is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::flyte-metadata/flyte-doctor/x" because no identity-based policy allows the s3:PutObject action') : undefined;
    ({ result } = await runCheck('storage.s3.put', target(), { instance: 'metadata' }));
    expect(result.messageId).toBe('permissionDenied');
    expect(result.message).toContain('arn:aws:iam::123456789012:user/flyte');
    expect(result.message).toContain('arn:aws:s3:::flyte-metadata/*');
    expect(result.hint).toContain('s3:PutObject');
  });
});

describe('nothing passes on a wrong answer', () => {
  it('an HTML page as the endpoint: the endpoint check says what answered, everything else is blocked', async () => {
    answer = () => html(200);
    const run = await runSelection(target(), 'preflight', ['storage.s3']);
    const ep = run.results.find((r) => r.id === 'storage.s3.endpoint')!;
    expect(ep.status).toBe('fail');
    expect(ep.messageId).toBe('notS3');
    expect(ep.message).toContain('an HTML page ("Welcome to nginx!") from nginx/1.25.3, HTTP 200');
    expect(ep.cause).toBe(`wrong-service:127.0.0.1:${srv.port}`);
    expect(run.results.filter((r) => r.status === 'pass').map((r) => r.id)).toEqual(['storage.config.coherent']);
  });

  it('what stands between here and the store answers for itself: a captive portal, a web filter, a proxy or gateway wanting its own login: interceptedInFront, the endpoint is not blamed', async () => {
    const cases: [Reply, RegExp, RegExp][] = [
      [{ status: 511, headers: { 'content-type': 'text/html', server: 'portal' }, body: '<html><title>Network Login</title></html>' }, /captive portal/, /log in to the network/],
      [{ status: 451, headers: { 'content-type': 'text/html', server: 'webfilter' }, body: '<html><title>Blocked</title></html>' }, /filtering proxy blocks it/, /let 127\.0\.0\.1 through/],
      [{ status: 407, headers: { 'proxy-authenticate': 'Basic realm="corp"' }, body: '' }, /a proxy on the way wants its own credentials \(407, Proxy-Authenticate: Basic realm="corp"\)/, /NO_PROXY/],
      [{ status: 401, headers: { 'www-authenticate': 'Bearer realm="gateway"', 'content-type': 'application/json' }, body: '{"error":"unauthorized"}' }, /an auth proxy or gateway in front of it answers 401 \(WWW-Authenticate: Bearer realm="gateway"\)/, /unauthenticated by the gateway/],
    ];
    for (const [reply, message, hint] of cases) {
      answer = () => reply;
      const { result } = await runCheck('storage.s3.endpoint', target());
      expect(result.messageId, result.message).toBe('interceptedInFront');
      expect(result.message).toMatch(message);
      expect(result.hint).toMatch(hint);
      expect(result.hint).not.toMatch(/API port, usually 9000/);
      expect(result.cause).toBe(`front-auth:127.0.0.1:${srv.port}`);
    }
    // a bare 403 without S3's headers or a login page stays "not S3" (a web server's own refusal)
    answer = () => ({ status: 403, headers: { 'content-type': 'text/plain' }, body: 'forbidden' });
    expect((await runCheck('storage.s3.endpoint', target())).result.messageId).toBe('notS3');
  });

  it('an empty 204 everywhere is not S3', async () => {
    answer = () => empty204;
    const { result } = await runCheck('storage.s3.endpoint', target());
    expect(result.messageId).toBe('notS3');
    expect(result.message).toContain('an empty answer from tiny, HTTP 204');
  });

  it('a PUT answered by a login page (HTTP 200) or an empty 204 is not "written"', async () => {
    for (const r of [html(200, 'Sign in - Corp Proxy', 'corp-proxy'), empty204, { status: 200, headers: { 'x-amz-request-id': 'x' } }]) {
      answer = (op) => (op === 'put' ? r : undefined);
      const { result } = await runCheck('storage.s3.put', target(), { instance: 'metadata' });
      expect(result.status, JSON.stringify(r)).toBe('fail');
      expect(result.messageId).toBe('notS3');
    }
  });

  it('GET, list and delete answered by HTML are not S3 either', async () => {
    answer = (op) => (op === 'get' ? html(200, 'Login') : undefined);
    expect((await runCheck('storage.s3.get', target(), { instance: 'metadata' })).result.messageId).toBe('notS3');
    answer = (op) => (op === 'list' ? html(200, 'Login') : undefined);
    expect((await runCheck('storage.s3.list', target(), { instance: 'metadata' })).result.messageId).toBe('notS3');
    answer = (op) => (op === 'delete' ? empty204 : undefined);
    expect((await runCheck('storage.s3.delete', target(), { instance: 'metadata' })).result.messageId).toBe('notS3');
  });

  // A store (or a proxy in front) that sends the status line and headers, then stops: the server
  // answered, so it is neither "no answer" (a firewall) nor a closed connection.
  it('headers, then a body that stops: answerStalled names the status and the bytes that came, in the endpoint check and in a bucket call', async () => {
    const stalled: Reply = { status: 200, headers: { ...S3_HEADERS, 'content-type': 'application/xml', 'content-length': '4000' }, body: '<?xml version="1.0"?>', stall: true };
    answer = (op) => (op === 'root' ? stalled : undefined);
    const ep = (await runCheck('storage.s3.endpoint', target(), { timeoutMs: 2500 })).result;
    expect(ep.messageId, ep.message).toBe('answerStalled');
    expect(ep.message).toMatch(new RegExp(`^the S3 endpoint http://127\\.0\\.0\\.1:${srv.port}: 127\\.0\\.0\\.1:${srv.port} answered HTTP 200, server AmazonS3, then its body stopped after 21 bytes of the 4000 its Content-Length announced`));
    expect(ep.cause).toBe(`backend:s3 127.0.0.1:${srv.port}`);
    expect(ep.message).not.toMatch(/no answer|unreachable/);
    answer = onBucket(stalled);
    const b = (await runCheck('storage.s3.bucket', target(), { instance: 'metadata', timeoutMs: 2500 })).result;
    expect(b.messageId, b.message).toBe('answerStalled');
    expect(b.message).toMatch(/answered HTTP 200, server AmazonS3, then its body stopped after 21 bytes of the 4000/);
    expect(b.cause).toBe(`backend:s3 127.0.0.1:${srv.port}`);
  });

  it('an answer that never ends is read up to the cap, then judged (not S3), long before the timeout', async () => {
    const endless: Reply = { status: 200, headers: { 'content-type': 'application/xml', server: 'endless' }, body: '<?xml version="1.0"?><x>', endless: true };
    answer = (op) => (op === 'root' ? endless : undefined);
    const t0 = Date.now();
    const ep = (await runCheck('storage.s3.endpoint', target(), { timeoutMs: 8000 })).result;
    expect(ep.messageId, ep.message).toBe('notS3');
    expect(ep.message).toContain('from endless, HTTP 200');
    answer = onBucket(endless);
    const b = (await runCheck('storage.s3.bucket', target(), { instance: 'metadata', timeoutMs: 8000 })).result;
    expect(b.status).toBe('fail');
    expect(b.messageId, b.message).toBe('notS3');
    expect(Date.now() - t0).toBeLessThan(4000);
  });

  it('a healthy fake store passes the whole probe (the fake is a fair S3)', async () => {
    answer = () => undefined;
    const run = await runSelection(target(), 'preflight', ['storage.s3']);
    const bad = run.results.filter((r) => r.status !== 'pass');
    expect(bad.map((r) => `${r.id}[${r.instance}] ${r.status} ${r.message}`)).toEqual([]);
    expect([...srv.objects.keys()].filter((k) => k.includes(run.runId))).toEqual([]);
  });

  it('the secret key never appears, even when a server echoes it', async () => {
    answer = onBucket(s3Error(403, 'SignatureDoesNotMatch', `bad signature for ${KEY.accessKey} with ${KEY.secretKey}`));
    const t = target();
    const { result } = await runCheck('storage.s3.bucket', t, { instance: 'metadata' });
    const text = JSON.stringify(result);
    expect(text).not.toContain(KEY.accessKey);
    expect(t.storage!.secretKey).toBeInstanceOf(Secret);
  });
});
