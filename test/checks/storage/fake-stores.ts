// Private servers for states MinIO and fake-gcs-server cannot produce: an S3-shaped server that
// answers every request like S3 (request-id headers, XML) except where a test makes it answer an
// S3 error code, an HTML page, an empty 204 or a proxy's 502; and a GCS JSON API lookalike that
// answers GCS error documents (401/403/404/429, billing, requester pays) and a token endpoint
// that refuses a key (invalid_grant).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttp, type Running } from '../../harness/private-servers.js';

/**
 * status < 0: never answer. stall: send the status line, the headers and the body given, then
 * nothing more and never end (a store or proxy stuck in the middle of an answer). endless: after
 * the body, send more of it for as long as the client reads.
 */
export interface Reply { status: number; headers?: Record<string, string>; body?: string | Buffer; stall?: boolean; endless?: boolean }

export type S3OpName = 'root' | 'location' | 'head-bucket' | 'list' | 'put' | 'get' | 'head-object' | 'delete';

/** Which S3 operation a request is (path-style addressing). */
export function s3OpOf(req: IncomingMessage): S3OpName {
  const u = new URL(req.url ?? '/', 'http://x');
  const parts = u.pathname.split('/').filter(Boolean);
  if (!parts.length) return 'root';
  if (parts.length === 1) {
    if (u.searchParams.has('location')) return 'location';
    return req.method === 'HEAD' ? 'head-bucket' : 'list';
  }
  return req.method === 'PUT' ? 'put' : req.method === 'DELETE' ? 'delete' : req.method === 'HEAD' ? 'head-object' : 'get';
}

export const S3_HEADERS = { 'x-amz-request-id': 'FAKE0REQUEST0ID', 'x-amz-id-2': 'fake/id2', server: 'AmazonS3' };
const S3H = S3_HEADERS;

/** An S3 XML error answer (HEAD answers carry no body, like S3's). */
export function s3Error(status: number, code: string, message = `${code} (fake store)`, extra = ''): Reply {
  return { status, headers: { ...S3H, 'content-type': 'application/xml' }, body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${extra}<RequestId>FAKE0REQUEST0ID</RequestId></Error>` };
}

/**
 * A healthy-looking S3 server (objects kept in memory) whose answers `override` may replace per
 * request: return a Reply to answer with it, undefined for the default S3 behaviour.
 */
export async function startFakeS3(override: (op: S3OpName, req: IncomingMessage) => Reply | undefined = () => undefined): Promise<Running & { objects: Map<string, Buffer>; requests: string[] }> {
  const objects = new Map<string, Buffer>();
  const requests: string[] = [];
  const send = (res: ServerResponse, r: Reply, head: boolean) => {
    res.writeHead(r.status, r.headers ?? {});
    if (r.stall) { res.flushHeaders(); if (r.body) res.write(r.body); return; }
    if (r.endless) {
      const more = Buffer.alloc(64 * 1024, '<');
      const go = () => { while (!res.destroyed && res.write(more)) { /* until the socket pushes back */ } };
      res.on('drain', go);
      res.write(r.body ?? ''); go();
      return;
    }
    res.end(head ? undefined : r.body);
  };
  const srv = await startHttp((req, res, body) => {
    const op = s3OpOf(req);
    requests.push(`${req.method} ${op}`);
    const head = req.method === 'HEAD';
    const o = override(op, req);
    if (o && o.status < 0) return; // never answer (a store that stopped answering)
    if (o) return send(res, o, head);
    const u = new URL(req.url ?? '/', 'http://x');
    const key = decodeURIComponent(u.pathname.slice(1));
    switch (op) {
      case 'root': return send(res, s3Error(403, 'AccessDenied', 'Access Denied'), head);
      case 'location': return send(res, { status: 200, headers: { ...S3H, 'content-type': 'application/xml' }, body: '<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>' }, head);
      case 'head-bucket': return send(res, { status: 200, headers: { ...S3H, 'x-amz-bucket-region': 'us-east-1' } }, head);
      case 'list': {
        const prefix = `${u.pathname.replace(/^\/|\/$/g, '')}/${u.searchParams.get('prefix') ?? ''}`;
        const items = [...objects.keys()].filter((k) => k.startsWith(prefix)).map((k) => `<Contents><Key>${k.slice(k.indexOf('/') + 1)}</Key><Size>${objects.get(k)!.length}</Size></Contents>`).join('');
        return send(res, { status: 200, headers: { ...S3H, 'content-type': 'application/xml' }, body: `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>${u.searchParams.get('prefix') ?? ''}</Prefix><KeyCount>${items ? 1 : 0}</KeyCount><MaxKeys>100</MaxKeys><IsTruncated>false</IsTruncated>${items}</ListBucketResult>` }, head);
      }
      case 'put': objects.set(key, body); return send(res, { status: 200, headers: { ...S3H, etag: '"0123456789abcdef0123456789abcdef"' } }, head);
      case 'get': case 'head-object': {
        const b = objects.get(key);
        if (!b) return send(res, s3Error(404, 'NoSuchKey', 'The specified key does not exist.'), head);
        return send(res, { status: 200, headers: { ...S3H, etag: '"0123456789abcdef0123456789abcdef"', 'content-type': 'text/plain', 'content-length': String(b.length) }, body: b }, head);
      }
      case 'delete': objects.delete(key); return send(res, { status: 204, headers: S3H }, head);
    }
  });
  return Object.assign(srv, { objects, requests });
}

export const html = (status: number, title = 'Welcome to nginx!', server = 'nginx/1.25.3'): Reply => ({ status, headers: { 'content-type': 'text/html', server }, body: `<!DOCTYPE html><html><head><title>${title}</title></head><body><h1>${title}</h1></body></html>` });
export const empty204: Reply = { status: 204, headers: { server: 'tiny' } };

// ---------------------------------------------------------------- GCS

export function gcsError(status: number, reason: string, message: string): Reply {
  return { status, headers: { 'content-type': 'application/json; charset=UTF-8', 'x-guploader-uploadid': 'fake' }, body: JSON.stringify({ error: { code: status, message, errors: [{ message, domain: 'global', reason }] } }) };
}

/** A GCS JSON API lookalike: `answer(req)` decides; /token answers as `token` says. */
export async function startFakeGcs(answer: (req: IncomingMessage) => Reply | undefined, token: Reply = { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ access_token: 'fake-access-token-xyz', expires_in: 3600, token_type: 'Bearer' }) }): Promise<Running & { requests: string[] }> {
  const requests: string[] = [];
  const srv = await startHttp((req, res) => {
    requests.push(`${req.method} ${req.url} ${req.headers.authorization ? 'auth' : 'anon'}`);
    const r = req.url?.startsWith('/token') ? token : answer(req) ?? gcsError(404, 'notFound', 'Not Found');
    res.writeHead(r.status, r.headers ?? {});
    res.end(r.body);
  });
  return Object.assign(srv, { requests });
}

/**
 * A fair GCS JSON API (bucket, upload, list, get, delete) over `objects`, for startHttp: the whole
 * probe passes against it. `refuse(req, objectName)` answers instead where it returns a Reply.
 */
export function gcsLookalike(objects: Map<string, Buffer>, refuse: (req: IncomingMessage, name?: string) => Reply | undefined = () => undefined) {
  return (req: IncomingMessage, res: ServerResponse, body: Buffer): void => {
    const u = new URL(req.url ?? '/', 'http://x');
    const send = (st: number, j?: unknown, raw?: Buffer) => { res.writeHead(st, { 'content-type': raw ? 'text/plain' : 'application/json', ...(raw ? { 'x-goog-generation': '1' } : {}) }); res.end(raw ?? (j === undefined ? undefined : JSON.stringify(j))); };
    const obj = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(u.pathname);
    const r = refuse(req, obj ? decodeURIComponent(obj[2]!) : u.searchParams.get('name') ?? undefined);
    if (r) { res.writeHead(r.status, r.headers ?? {}); res.end(r.body); return; }
    let m = /^\/storage\/v1\/b\/([^/]+)$/.exec(u.pathname);
    if (m) return send(200, { kind: 'storage#bucket', name: m[1], location: 'EU' });
    m = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(u.pathname);
    if (m && req.method === 'POST') { const n = u.searchParams.get('name')!; objects.set(`${m[1]}/${n}`, body); return send(200, { kind: 'storage#object', name: n, bucket: m[1] }); }
    m = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(u.pathname);
    if (m) return send(200, { kind: 'storage#objects', items: [...objects.keys()].filter((k) => k.startsWith(`${m![1]}/${u.searchParams.get('prefix') ?? ''}`)).map((k) => ({ kind: 'storage#object', name: k.slice(m![1]!.length + 1) })) });
    if (obj) {
      const n = `${obj[1]}/${decodeURIComponent(obj[2]!)}`;
      if (req.method === 'DELETE') { objects.delete(n); return send(204); }
      const b = objects.get(n);
      if (!b) return send(404, { error: { code: 404, message: 'No such object', errors: [{ reason: 'notFound' }] } });
      return u.searchParams.get('alt') === 'media' ? send(200, undefined, b) : send(200, { kind: 'storage#object', name: decodeURIComponent(obj[2]!) });
    }
    send(404, { error: { code: 404, message: 'Not Found', errors: [{ reason: 'notFound' }] } });
  };
}

/** A service-account key file whose token_uri points at `tokenUri`. */
export function serviceAccountKey(tokenUri: string, email = 'flyte-gsa@fd-test.iam.gserviceaccount.com'): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const dir = mkdtempSync(join(tmpdir(), 'fd-st-key-'));
  const file = join(dir, 'key.json');
  writeFileSync(file, JSON.stringify({ type: 'service_account', project_id: 'fd-test', private_key_id: 'k1', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }), client_email: email, client_id: '1', token_uri: tokenUri }));
  return file;
}
