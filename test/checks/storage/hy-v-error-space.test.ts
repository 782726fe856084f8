// Object store error space, neighbouring codes: answers that used to land on the finding of the code
// next to them. An S3-shaped server of this file's own (127.0.0.1, ports 31600-31699) answers AWS's
// exact error documents where MinIO never sends them; the bed's MinIO answers the swapped keys; a
// GCS JSON API lookalike (same ports) answers GCS's 400s.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../harness/run-check.js';
import { gcsError, s3Error, s3OpOf, S3_HEADERS, type Reply, type S3OpName } from './fake-stores.js';
import { gcsTarget, s3Target } from './store-target.js';

const KEY = { accessKey: 'HYVSTORE0KEY12345678', secretKey: 'hy-v-store-secret-key-1' };

/** A plain HTTP server on the first free port of 31600-31699 (this helper's range). */
async function listen(handler: (req: IncomingMessage, body: Buffer) => Reply): Promise<{ port: number; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => { const r = handler(req, Buffer.concat(chunks)); res.writeHead(r.status, r.headers ?? {}); res.end(req.method === 'HEAD' ? undefined : r.body); });
  });
  for (let port = 31600; port < 31700; port++) {
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) return { port, server };
  }
  throw new Error('no free port in 31600-31699');
}

let s3Answer: (op: S3OpName) => Reply | undefined = () => undefined;
let gcsAnswer: () => Reply | undefined = () => undefined;
let s3: { port: number; server: Server };
let gcs: { port: number; server: Server };
const objects = new Map<string, Buffer>();

beforeAll(async () => {
  s3 = await listen((req, body) => {
    const op = s3OpOf(req);
    const o = s3Answer(op);
    if (o) return o;
    const key = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
    switch (op) {
      case 'location': return { status: 200, headers: { ...S3_HEADERS, 'content-type': 'application/xml' }, body: '<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>' };
      case 'head-bucket': return { status: 200, headers: { ...S3_HEADERS, 'x-amz-bucket-region': 'us-east-1' } };
      case 'put': objects.set(key, body); return { status: 200, headers: { ...S3_HEADERS, etag: '"0123456789abcdef0123456789abcdef"' } };
      case 'get': case 'head-object': {
        const b = objects.get(key);
        return b ? { status: 200, headers: { ...S3_HEADERS, etag: '"0123456789abcdef0123456789abcdef"', 'content-type': 'text/plain', 'content-length': String(b.length) }, body: b } : s3Error(404, 'NoSuchKey', 'The specified key does not exist.');
      }
      case 'delete': objects.delete(key); return { status: 204, headers: S3_HEADERS };
      default: return s3Error(403, 'AccessDenied', 'Access Denied');
    }
  });
  gcs = await listen(() => gcsAnswer() ?? gcsError(404, 'notFound', 'Not Found'));
});
afterAll(async () => {
  for (const s of [s3, gcs]) if (s) { s.server.closeAllConnections(); await new Promise<void>((r) => s.server.close(() => r())); }
});

const target = (cred = KEY) => s3Target(cred, { endpoint: `http://127.0.0.1:${s3.port}`, region: 'us-east-1' });
const onBucket = (r: Reply) => (op: S3OpName) => (op === 'location' || op === 'head-bucket' || op === 'list' ? r : undefined);

describe('S3: the credential scope is not the region', () => {
  // as AWS sends it in the XML document (entities escaped)
  const malformed = 'The authorization header is malformed; the Credential is mal-formed; expecting &quot;&lt;YOUR-AKID&gt;/YYYYMMDD/REGION/SERVICE/aws4_request&quot;.';

  it('AuthorizationHeaderMalformed "the Credential is mal-formed" (a slash in the access key id) is the access key, not wrongRegion', async () => {
    s3Answer = onBucket(s3Error(400, 'AuthorizationHeaderMalformed', malformed));
    const { result } = await runCheck('storage.s3.bucket', target({ accessKey: 'HYV/STORE0KEY1234567', secretKey: KEY.secretKey }), { instance: 'metadata' });
    expect(result.messageId, result.message).toBe('unknownAccessKey');
    expect(result.message).toContain('slash');
    expect(result.hint).toContain('configuration.storage.providerConfig.s3.accessKey');
    expect(result.hint).not.toContain('region');
  });

  it('the same answer with the keys swapped (the secret in accessKey): says swapped, and shows no part of the secret', async () => {
    const secret = 'hyVswap/Secret+0123456789abcdefghijklmno';
    expect(secret).toHaveLength(40);
    s3Answer = onBucket(s3Error(400, 'AuthorizationHeaderMalformed', malformed));
    const { result } = await runCheck('storage.s3.bucket', target({ accessKey: secret, secretKey: ['AKIA', 'HYVSWAP000000001'].join('') }), { instance: 'metadata' });
    expect(result.messageId, result.message).toBe('unknownAccessKey');
    expect(result.message).toContain('swapped');
    expect(result.hint).toMatch(/swap the values of configuration\.storage\.providerConfig\.s3\.accessKey and configuration\.storage\.providerConfig\.s3\.secretKey/);
    const all = JSON.stringify(result);
    expect(all).not.toContain(secret.slice(0, 4));
    expect(all).not.toContain(secret.slice(-4));
  });

  it('"a non-empty Access Key (AKID) must be provided" is an empty access key, not the region', async () => {
    s3Answer = onBucket(s3Error(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed; a non-empty Access Key (AKID) must be provided in the credential.'));
    const { result } = await runCheck('storage.s3.bucket', target(), { instance: 'metadata' });
    expect(result.messageId, result.message).toBe('unknownAccessKey');
    expect(result.message).toContain('empty');
  });

  it('the region variant stays wrongRegion with the region AWS expects', async () => {
    s3Answer = onBucket(s3Error(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed; the region \'us-east-1\' is wrong; expecting \'eu-west-1\''));
    const { result } = await runCheck('storage.s3.bucket', target(), { instance: 'metadata' });
    expect(result.messageId).toBe('wrongRegion');
    expect(result.hint).toContain('region: eu-west-1');
  });
});

describe('S3 on the bed\'s MinIO: swapped keys', () => {
  it('accessKey holding a secret and secretKey an access key id: MinIO answers InvalidAccessKeyId; the finding says swapped and masks nothing of the secret into view', async () => {
    const secret = 'hyVswap/Secret+0123456789abcdefghijklmno';
    const { result } = await runCheck('storage.s3.bucket', s3Target({ accessKey: secret, secretKey: ['AKIA', 'HYVSWAP000000001'].join('') }), { instance: 'metadata' });
    expect(result.details?.code, result.message).toBe('InvalidAccessKeyId');
    expect(result.messageId).toBe('unknownAccessKey');
    expect(result.message).toContain('look swapped');
    const all = JSON.stringify(result);
    expect(all).not.toContain(secret.slice(0, 4));
    expect(all).not.toContain(secret.slice(-4));
  });

  it('a temporary key (ASIA...) in the values: InvalidAccessKeyId is the missing session token, not a key that does not exist', async () => {
    const { result } = await runCheck('storage.s3.bucket', s3Target({ accessKey: 'ASIAHYVTEMP000000001', secretKey: 'hy-v-temporary-secret-0123456789' }), { instance: 'metadata' });
    expect(result.details?.code, result.message).toBe('InvalidAccessKeyId');
    expect(result.messageId).toBe('sessionTokenInvalid');
    expect(result.message).toContain('session token');
    expect(result.hint).toContain('long-lived access key id');
  });
});

describe('S3: KMS errors say what is wrong with the key, not "grant"', () => {
  const arn = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const cases: [string, Reply, RegExp, RegExp?][] = [
    ['KMS.DisabledException', s3Error(400, 'KMS.DisabledException', `${arn} is disabled.`), new RegExp(`aws kms enable-key --key-id ${arn}`), /^grant/],
    ['KMS.KMSInvalidStateException (pending deletion)', s3Error(400, 'KMS.KMSInvalidStateException', `${arn} is pending deletion.`), /cancel-key-deletion/, /^grant/],
    ['KMS.NotFoundException', s3Error(400, 'KMS.NotFoundException', `Key '${arn}' does not exist`), /an existing key/, /^grant/],
    ['KMS.ThrottlingException', s3Error(400, 'KMS.ThrottlingException', 'Rate exceeded'), /retry later/, /^grant/],
    ['AccessDenied "the ciphertext refers to a customer master key"', s3Error(403, 'AccessDenied', 'The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.'), /kms:Decrypt/],
    ['KMS.AccessDeniedException', s3Error(400, 'KMS.AccessDeniedException', `User: arn:aws:sts::123456789012:assumed-role/flyte/x is not authorized to perform: kms:GenerateDataKey on resource: ${arn}`), /^grant kms:GenerateDataKey/],
    ['NotImplemented "KMS is not configured" (MinIO)', s3Error(501, 'NotImplemented', 'Server side encryption specified but KMS is not configured'), /configure a KMS/, /S3 API itself/],
  ];
  for (const [name, reply, fix, notFix] of cases) {
    it(`${name} -> kmsDenied with its own fix`, async () => {
      s3Answer = (op) => (op === 'get' || op === 'put' ? reply : undefined);
      const { result } = await runCheck('storage.s3.put', target(), { instance: 'metadata' });
      expect(result.messageId, result.message).toBe('kmsDenied');
      expect(result.hint).toMatch(fix);
      if (notFix) expect(result.hint).not.toMatch(notFix);
    });
  }
});

describe('S3: other neighbours', () => {
  it('MissingContentLength on a write (the probe sends one) is the request changed on the way, not the form of our request', async () => {
    s3Answer = (op) => (op === 'put' ? s3Error(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.') : undefined);
    const { result } = await runCheck('storage.s3.put', target(), { instance: 'metadata' });
    expect(result.messageId, result.message).toBe('requestAltered');
    expect(result.message).toContain('Content-Length');
  });

  it('AccessControlListNotSupported (the probe sends no ACL) is a header added on the way, not "unrecognised"', async () => {
    s3Answer = (op) => (op === 'put' ? s3Error(400, 'AccessControlListNotSupported', 'The bucket does not allow ACLs') : undefined);
    const { result } = await runCheck('storage.s3.put', target(), { instance: 'metadata' });
    expect(result.messageId, result.message).toBe('requestAltered');
    expect(result.hint).toContain('x-amz-acl');
  });

  it('IllegalLocationConstraintException names the bucket\'s region in its text: the fix names it', async () => {
    s3Answer = onBucket(s3Error(400, 'IllegalLocationConstraintException', 'The me-south-1 location constraint is incompatible for the region specific endpoint this request was sent to.'));
    const { result } = await runCheck('storage.s3.bucket', target(), { instance: 'metadata' });
    expect(result.messageId).toBe('wrongRegion');
    expect(result.hint).toContain('region: me-south-1');
  });

  it('PermanentRedirect with only <Endpoint>: the region of the regional host is the fix', async () => {
    s3Answer = onBucket(s3Error(301, 'PermanentRedirect', 'The bucket you are attempting to access must be addressed using the specified endpoint.', '<Endpoint>flyte-metadata.s3.eu-central-1.amazonaws.com</Endpoint><Bucket>flyte-metadata</Bucket>'));
    const { result } = await runCheck('storage.s3.bucket', target(), { instance: 'metadata' });
    expect(result.messageId).toBe('wrongRegion');
    expect(result.hint).toContain('region: eu-central-1');
  });
});

describe('GCS: a 400 that mentions a bucket is not an invalid bucket name', () => {
  const keyless = () => gcsTarget({ endpoint: `http://127.0.0.1:${gcs.port}`, userDataBucket: 'flyte-metadata' });
  it('"uniform bucket-level access is enabled" is not invalidBucketName; "Invalid bucket name" is', async () => {
    gcsAnswer = () => gcsError(400, 'invalid', 'Cannot insert legacy ACL for an object when uniform bucket-level access is enabled. Read more at https://cloud.google.com/storage/docs/uniform-bucket-level-access');
    let { result } = await runCheck('storage.gcs.bucket', keyless(), { instance: 'metadata' });
    expect(result.messageId, result.message).not.toBe('invalidBucketName');
    expect(result.message).toContain('uniform bucket-level access');
    gcsAnswer = () => gcsError(400, 'invalid', 'Invalid bucket name: \'Flyte_Metadata\'');
    ({ result } = await runCheck('storage.gcs.bucket', keyless(), { instance: 'metadata' }));
    expect(result.messageId, result.message).toBe('invalidBucketName');
  });
});

