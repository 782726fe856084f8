// The GET of a signed URL (storage.s3.signed-url, gcs.signed-url, azure.signed-url) driven through the
// HTTP status space by servers of this file at the URL's host (127.0.0.1, ports 30121-30124): every
// answer is a specific finding or "unrecognised: HTTP <status> <evidence>", never an error, never a pass
// on a wrong body; and what answers is judged at the URL's host and the key that sets it (the signed-URL
// override), not at the store endpoint the API calls used (before: "point ...s3.endpoint at the S3 API,
// not at http://127.0.0.1:19000" for an HTML page at the override's host; 429 "not an S3 answer";
// NoSuchKey "unrecognised"; 411 "the request body arrived changed" for a GET without a body).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, request, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../../src/config/secret.js';
import type { StorageTarget } from '../../../src/config/target.js';
import type { CheckResult } from '../../../src/engine/types.js';
import { runCheck } from '../../harness/run-check.js';
import { makeTarget } from '../../harness/target.js';
import { gcsLookalike, html, s3Error, S3_HEADERS, serviceAccountKey, type Reply } from './fake-stores.js';
import { assertS3Clean, gcsTarget, s3Target } from './store-target.js';

// Azurite on 30124 behind a forwarding server on 30123 that answers the SAS GET (a request carrying
// sig=) as a row says and passes everything else through.
const AZ_DEV_ACCOUNT = 'devstoreaccount1';
const AZ_DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

async function startAzureBehindProxy(azPort: number, proxyPort: number, answer: () => Reply | undefined): Promise<{ stop(): Promise<void>; createContainer(n: string): Promise<void> }> {
  const req = createRequire(import.meta.url);
  const pkg = req.resolve('azurite/package.json');
  const bin = (req('azurite/package.json') as { bin: Record<string, string> }).bin['azurite-blob'];
  const main = join(dirname(pkg), bin ?? 'dist/src/blob/main.js');
  if (!existsSync(main)) throw new Error(`${main} missing`);
  const child: ChildProcess = spawn(process.execPath, [main, '--blobHost', '127.0.0.1', '--blobPort', String(azPort), '--inMemoryPersistence', '--disableTelemetry', '--skipApiVersionCheck', '--silent'], { stdio: 'ignore' });
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`azurite exited ${child.exitCode}`);
    try { const r = await fetch(`http://127.0.0.1:${azPort}/${AZ_DEV_ACCOUNT}?comp=list`, { signal: AbortSignal.timeout(1000) }); if (r.status > 0) break; } catch { /* not yet */ }
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error('azurite did not start'); }
    await new Promise((r) => setTimeout(r, 150));
  }
  const proxy: Server = createServer((inReq, inRes) => {
    const a = /[?&]sig=/.test(inReq.url ?? '') && inReq.method === 'GET' ? answer() : undefined;
    if (a) { inReq.resume(); inRes.writeHead(a.status, a.headers ?? {}); inRes.end(a.body); return; }
    const out = request({ host: '127.0.0.1', port: azPort, method: inReq.method, path: inReq.url, headers: inReq.headers }, (r) => { inRes.writeHead(r.statusCode ?? 502, r.headers); r.pipe(inRes); });
    out.on('error', () => { inRes.writeHead(502); inRes.end(); });
    inReq.pipe(out);
  });
  await new Promise<void>((r) => proxy.listen(proxyPort, '127.0.0.1', r));
  const sdk = await import('@azure/storage-blob');
  return {
    async createContainer(n) { await new sdk.BlobServiceClient(`http://127.0.0.1:${azPort}/${AZ_DEV_ACCOUNT}`, new sdk.StorageSharedKeyCredential(AZ_DEV_ACCOUNT, AZ_DEV_KEY), { retryOptions: { maxTries: 1 } }).getContainerClient(n).createIfNotExists(); },
    stop: async () => {
      await new Promise<void>((r) => { proxy.closeAllConnections(); proxy.close(() => r()); });
      await new Promise<void>((resolve) => { if (child.exitCode !== null) return resolve(); const t = setTimeout(() => child.kill('SIGKILL'), 3000); child.once('exit', () => { clearTimeout(t); resolve(); }); child.kill('SIGTERM'); });
    },
  };
}

const S3_URL = 30121, GCS = 30122, AZ_PROXY = 30123, AZ = 30124;
const OVERRIDE = 'configuration.inline.storage.signedUrl.stowConfigOverride.endpoint';
const plain = (status: number, body = '', h: Record<string, string> = {}): Reply => ({ status, headers: { 'content-type': 'text/plain', ...h }, body });

let reply: Reply | undefined;
const servers: { close(cb: () => void): void; closeAllConnections(): void }[] = [];
const gcsObjects = new Map<string, Buffer>();
let keyFile: string;
let az: Awaited<ReturnType<typeof startAzureBehindProxy>> | undefined;

beforeAll(async () => {
  const s3 = createServer((req, res) => { req.resume(); req.on('end', () => { const r = reply ?? plain(500); res.writeHead(r.status, r.headers ?? {}); res.end(r.body); }); });
  const look = gcsLookalike(gcsObjects);
  const gcs = createServer((req, res) => {
    const ch: Buffer[] = [];
    req.on('data', (c: Buffer) => ch.push(c));
    req.on('end', () => {
      if (req.url?.startsWith('/token')) { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ access_token: 'hz-k-gcs-token', expires_in: 3600 })); return; }
      if (/X-Goog-Signature/i.test(req.url ?? '')) {
        if (reply) { res.writeHead(reply.status, reply.headers ?? {}); res.end(reply.body); return; }
        const b = gcsObjects.get(decodeURIComponent(req.url!.split('?')[0]!.slice(1)));
        res.writeHead(b ? 200 : 404, { 'x-guploader-uploadid': 'hz-k' }); res.end(b ?? '<Error><Code>NoSuchKey</Code></Error>'); return;
      }
      look(req, res, Buffer.concat(ch));
    });
  });
  servers.push(s3, gcs);
  await new Promise<void>((r) => s3.listen(S3_URL, '127.0.0.1', r));
  await new Promise<void>((r) => gcs.listen(GCS, '127.0.0.1', r));
  keyFile = serviceAccountKey(`http://127.0.0.1:${GCS}/token`);
  az = await startAzureBehindProxy(AZ, AZ_PROXY, () => reply);
  await az.createContainer('flyte');
}, 30_000);
afterAll(async () => {
  for (const s of servers) await new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); });
  await az?.stop();
});

function sane(r: CheckResult, host: string): void {
  expect(r.status, r.message).toBe('fail');
  expect(r.message).toContain(host);
  expect(`${r.message} ${r.hint} ${r.cause ?? ''}`).not.toMatch(/127\.0\.0\.1:19000/);
}

describe('storage.s3.signed-url: every answer at the override\'s host', () => {
  afterAll(assertS3Clean);
  const target = () => s3Target(undefined, { signedUrlEndpoint: `http://127.0.0.1:${S3_URL}` } as never);
  const rows: [string, Reply, string, RegExp?][] = [
    ['301 with S3 headers, elsewhere', { status: 301, headers: { ...S3_HEADERS, location: 'http://127.0.0.1:30199/x' } }, 'urlRedirected', /redirecting to http:\/\/127\.0\.0\.1:30199\/x/],
    ['302 to a login page', { status: 302, headers: { location: 'https://login.example.com/sso?x=1' } }, 'urlRedirected', /login\.example\.com/],
    ['400 bare, S3 headers', { status: 400, headers: S3_HEADERS }, 'urlUnrecognised', /unrecognised: HTTP 400/],
    ['400 AuthorizationQueryParametersError', s3Error(400, 'AuthorizationQueryParametersError', 'X-Amz-Expires must be less than a week (in seconds) that is 604800'), 'requestRejected', /query parameters/],
    ['403 SignatureDoesNotMatch', s3Error(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.'), 'hostRewritten'],
    ['403 AccessDenied', s3Error(403, 'AccessDenied', 'Access Denied'), 'permissionDenied'],
    ['403 RequestTimeTooSkewed', s3Error(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.'), 'clockSkew'],
    ['403 expired', s3Error(403, 'AccessDenied', 'Request has expired'), 'clockSkew'],
    ['403 HTML', html(403, '403 Forbidden'), 'urlNotStore', /not an answer of S3/],
    ['404 NoSuchKey', s3Error(404, 'NoSuchKey', 'The specified key does not exist.'), 'urlOtherStore', /another store/],
    ['404 HTML', html(404, '404 Not Found'), 'urlNotStore'],
    ['405 MethodNotAllowed', s3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.'), 'urlUnrecognised', /unrecognised: HTTP 405 MethodNotAllowed/],
    ['407', { status: 407, headers: { 'proxy-authenticate': 'Basic realm="proxy"', 'content-type': 'text/html' }, body: '<html>proxy</html>' }, 'urlIntercepted', /407/],
    ['411 MissingContentLength', s3Error(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.'), 'urlUnrecognised', /unrecognised: HTTP 411/],
    ['413 HTML', html(413, '413 Request Entity Too Large'), 'urlNotStore'],
    ['429 plain', plain(429, 'Too Many Requests', { 'retry-after': '30' }), 'urlThrottled', /Retry-After: 30/],
    ['500 InternalError', s3Error(500, 'InternalError', 'We encountered an internal error.'), 'urlServerError'],
    ['501 NotImplemented', s3Error(501, 'NotImplemented', 'A header you provided implies functionality that is not implemented'), 'urlUnrecognised', /does not implement/],
    ['502 HTML', html(502, '502 Bad Gateway'), 'urlServerError', /a proxy at 127\.0\.0\.1:30121/],
    ['503 SlowDown', s3Error(503, 'SlowDown', 'Please reduce your request rate.'), 'urlThrottled'],
    ['504 HTML', html(504, '504 Gateway Time-out'), 'urlServerError'],
    ['511', html(511, 'Network Authentication Required'), 'urlIntercepted', /captive portal/],
    ['200 HTML', html(200, 'Welcome'), 'urlNotStore'],
    ['200 S3-shaped, other bytes', { status: 200, headers: { ...S3_HEADERS, 'content-type': 'text/plain' }, body: 'not the probe' }, 'bytesDiffer', /not the probe object/],
    ['200 empty', { status: 200, headers: {} }, 'urlNotStore'],
    ['418 plain', plain(418, "I'm a teapot"), 'urlNotStore'],
  ];
  it.each(rows)('%s', async (_n, r, id, text) => {
    reply = r;
    const { result } = await runCheck('storage.s3.signed-url', target(), { instance: 'metadata' });
    expect(result.messageId, result.message).toBe(id);
    if (text) expect(result.message).toMatch(text);
    if (!['permissionDenied', 'clockSkew', 'hostRewritten'].includes(id)) {
      sane(result, `127.0.0.1:${S3_URL}`);
      if (!['urlIntercepted', 'urlThrottled', 'urlServerError', 'urlUnrecognised', 'bytesDiffer'].includes(id) || id === 'urlUnrecognised' && /501/.test(_n)) expect(result.hint).toContain(OVERRIDE);
    }
  });
});

describe('storage.gcs.signed-url: every answer at the URL\'s host (a key file signs locally)', () => {
  const x = (status: number, code: string, msg: string): Reply => ({ status, headers: { 'x-guploader-uploadid': 'hz-k', 'content-type': 'application/xml; charset=UTF-8', server: 'UploadServer' }, body: `<?xml version='1.0' encoding='UTF-8'?><Error><Code>${code}</Code><Message>${msg}</Message></Error>` });
  const target = () => gcsTarget({ endpoint: `http://127.0.0.1:${GCS}`, authType: 'keyfile', keyFile });
  const rows: [string, Reply | undefined, string, RegExp?][] = [
    ['healthy', undefined, 'fetched'],
    ['403 SignatureDoesNotMatch', x(403, 'SignatureDoesNotMatch', 'Access denied.'), 'rejected', /Host header, path or query/],
    ['403 AccessDenied', x(403, 'AccessDenied', 'Access denied. flyte-gsa@fd-test.iam.gserviceaccount.com does not have storage.objects.get access to the Google Cloud Storage object.'), 'urlDenied', /cannot read the object/],
    ['400 ExpiredToken', x(400, 'ExpiredToken', 'Invalid argument.'), 'urlExpired'],
    ['404 NoSuchKey', x(404, 'NoSuchKey', 'The specified key does not exist.'), 'urlOtherStore'],
    ['429 SlowDown', x(429, 'SlowDown', 'rate'), 'urlThrottled'],
    ['503', x(503, 'ServiceUnavailable', 'unavailable'), 'urlServerError'],
    ['200 HTML', html(200, 'Sign in'), 'urlNotStore'],
    ['200 other bytes', { status: 200, headers: { 'x-guploader-uploadid': 'hz-k' }, body: 'nope' }, 'bytesDiffer'],
    ['302 to a login', { status: 302, headers: { location: 'https://accounts.google.com/ServiceLogin' } }, 'urlRedirected'],
    ['418 from the store', { status: 418, headers: { 'x-guploader-uploadid': 'hz-k' }, body: 'teapot' }, 'urlUnrecognised', /unrecognised: HTTP 418/],
  ];
  it.each(rows)('%s', async (_n, r, id, text) => {
    reply = r;
    const { result } = await runCheck('storage.gcs.signed-url', target(), { instance: 'metadata' });
    expect(result.messageId, result.message).toBe(id);
    if (text) expect(result.message + result.hint).toMatch(text);
    if (id !== 'fetched') expect(result.status).toBe('fail');
    expect(JSON.stringify(result)).not.toMatch(/X-Goog-Signature=/i);
  });
});

describe('storage.azure.signed-url: every answer at the blob endpoint (Azurite behind a forwarding server)', () => {
  const x = (status: number, code: string, msg: string): Reply => ({ status, headers: { 'x-ms-request-id': 'hz-k', 'x-ms-version': '2021-08-06', 'x-ms-error-code': code, 'content-type': 'application/xml' }, body: `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${msg}\nRequestId:hz-k\nTime:2026-01-01T00:00:00Z</Message></Error>` });
  const target = () => makeTarget({ storage: { provider: 'azure', rawType: 'azure', authType: 'accesskey', azureAuth: 'key', account: AZ_DEV_ACCOUNT, endpoint: `http://127.0.0.1:${AZ_PROXY}/${AZ_DEV_ACCOUNT}`, metadataBucket: 'flyte', secretKey: new Secret(AZ_DEV_KEY), signedUrlKey: OVERRIDE, valuesKey: 'configuration.storage' } as StorageTarget });
  const rows: [string, Reply | undefined, string, RegExp?][] = [
    ['healthy', undefined, 'fetched'],
    ['403 AuthenticationFailed', x(403, 'AuthenticationFailed', 'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.'), 'rejected', /changes the host, path or query/],
    ['403 outside the time frame', x(403, 'AuthenticationFailed', 'Server failed to authenticate the request. Signature not valid in the specified time frame'), 'urlExpired', /clock/],
    ['403 AuthorizationFailure', x(403, 'AuthorizationFailure', 'This request is not authorized to perform this operation.'), 'urlDenied', /network rules/],
    ['403 KeyBasedAuthenticationNotPermitted', x(403, 'KeyBasedAuthenticationNotPermitted', 'Key based authentication is not permitted on this storage account.'), 'rejected', /shared-key/],
    ['404 BlobNotFound after a write', x(404, 'BlobNotFound', 'The specified blob does not exist.'), 'urlOtherStore'],
    ['503 ServerBusy', x(503, 'ServerBusy', 'Operations per second is over the account limit.'), 'urlThrottled'],
    ['500', x(500, 'InternalError', 'The server encountered an internal error.'), 'urlServerError'],
    ['200 HTML', html(200, 'Sign in'), 'urlNotStore'],
    ['200 other bytes', { status: 200, headers: { 'x-ms-request-id': 'hz-k' }, body: 'nope' }, 'bytesDiffer'],
    ['407', { status: 407, headers: { 'proxy-authenticate': 'Basic' } }, 'urlIntercepted'],
    ['307 to HTTPS', { status: 307, headers: { location: `https://127.0.0.1:${AZ_PROXY}/x` } }, 'urlRedirected', /to HTTPS/],
    ['400 InvalidQueryParameterValue', x(400, 'InvalidQueryParameterValue', 'Value for one of the query parameters specified in the request URI is invalid.'), 'urlUnrecognised', /unrecognised: HTTP 400 InvalidQueryParameterValue/],
  ];
  it.each(rows)('%s', async (_n, r, id, text) => {
    reply = r;
    const { result } = await runCheck('storage.azure.signed-url', target(), { instance: 'metadata' });
    expect(result.messageId, result.message).toBe(id);
    if (text) expect(result.message + result.hint).toMatch(text);
    if (id !== 'fetched') { expect(result.status).toBe('fail'); expect(result.message).not.toContain('RequestId:'); }
    // a domain suffix is not an address: no "set <suffix key> to https://..."
    expect(result.hint ?? '').not.toMatch(/set \S*DomainSuffix to/i);
    expect(JSON.stringify(result)).not.toMatch(/sig=/);
  });
});
