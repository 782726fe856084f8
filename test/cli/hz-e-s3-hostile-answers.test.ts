// An object store (or a proxy in front of it) whose answers are oversized or odd: a header block of
// 64 KiB or of 10,000 headers (Go's net/http client, which Flyte's pods use, reads up to 10 MB of
// headers, so the answer is read here too and judged on what it says, never "closed the
// connection"), a header block past any sane size (named as oversized), and an error body sent
// gzip-compressed although nobody asked (named as such, never inflated: it is a bomb here, 16 MiB
// of 'a'). Real servers on 127.0.0.1 (helper e's ports), speaking raw HTTP/1.1.
import { createServer, type Server, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tmpFiles } from './helpers.js';

const BIG_HEADER = 30530, MANY_HEADERS = 30531, HUGE_HEADERS = 30532, GZIP = 30533;
const servers: Server[] = [];
const sockets = new Set<Socket>();
const ERROR = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>HZE1</RequestId></Error>';
const BOMB = gzipSync(Buffer.concat([Buffer.from('<Error><Code>AccessDenied</Code><Message>'), Buffer.alloc(16 << 20, 0x61), Buffer.from('</Message></Error>')]), { level: 9 });

/** Answers every request with 403 and `extra` header lines, then `body`; closes the connection after it. */
function serve(port: number, extra: () => string, body: Buffer, more = ''): Promise<void> {
  const s = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    let seen = '';
    sock.on('data', (d) => {
      seen += d.toString('latin1');
      if (!seen.includes('\r\n\r\n')) return;
      seen = '';
      const head = `HTTP/1.1 403 Forbidden\r\nConnection: close\r\nServer: AmazonS3\r\nx-amz-request-id: HZE1\r\nContent-Type: application/xml\r\n${more}${extra()}Content-Length: ${body.length}\r\n\r\n`;
      sock.end(Buffer.concat([Buffer.from(head, 'latin1'), body]));
    });
  });
  servers.push(s);
  return new Promise((r) => s.listen(port, '127.0.0.1', () => r()));
}

beforeAll(async () => {
  await serve(BIG_HEADER, () => `x-amz-meta-big: ${'a'.repeat(64 * 1024)}\r\n`, Buffer.from(ERROR));
  await serve(MANY_HEADERS, () => Array.from({ length: 10_000 }, (_, i) => `x-hz-e-${i}: v\r\n`).join(''), Buffer.from(ERROR));
  await serve(HUGE_HEADERS, () => `x-big: ${'a'.repeat(2 << 20)}\r\n`, Buffer.from(ERROR));
  await serve(GZIP, () => '', BOMB, 'Content-Encoding: gzip\r\n');
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  for (const s of servers) await new Promise((r) => s.close(r));
});

async function storage(port: number) {
  const dir = tmpFiles({
    'values.yaml': [
      'configuration:',
      '  database: {host: db.example.com, port: 5432, username: u, password: hz-e-pw-1, dbname: flyteadmin}',
      '  storage:',
      '    metadataContainer: hz-e-meta',
      '    userDataContainer: hz-e-meta',
      '    provider: s3',
      '    providerConfig:',
      '      s3: {region: us-east-1, disableSSL: true, endpoint: "http://127.0.0.1:' + port + '", authType: accesskey, accessKey: hz-e-key, secretKey: hz-e-secret-0123456789}',
      '',
    ].join('\n'),
  });
  const t0 = Date.now();
  const r = await runCli(['preflight', '-f', 'values.yaml', '--only', 'storage.s3.endpoint,storage.s3.bucket', '--timeout', '3s', '-o', 'json'], { cwd: dir });
  if (!r.stdout.trim()) throw new Error(`exit ${r.code}: ${r.stderr}`);
  const doc = JSON.parse(r.stdout) as { results: { id: string; status: string; message: string }[] };
  const get = (id: string) => doc.results.find((x) => x.id === id)!;
  return { ms: Date.now() - t0, endpoint: get('storage.s3.endpoint'), bucket: get('storage.s3.bucket'), out: r.stdout };
}

describe('S3 answers with large header blocks are read as Flyte reads them', () => {
  for (const [name, port] of [['one 64 KiB header', BIG_HEADER], ['10,000 headers', MANY_HEADERS]] as const) {
    it(`${name}: the endpoint answers as S3 and the 403 AccessDenied is the finding, not "closed the connection"`, async () => {
      const { ms, endpoint, bucket } = await storage(port);
      expect(ms).toBeLessThan(3000 + 2000);
      expect(endpoint).toMatchObject({ status: 'pass', message: expect.stringContaining('answers as S3 (HTTP 403') });
      expect(bucket.status).toBe('fail');
      expect(bucket.message).toMatch(/denied \(AccessDenied\)/);
      expect(bucket.message).not.toMatch(/HPE_HEADER_OVERFLOW|closed the connection|does not answer HTTP/);
    }, 20_000);
  }

  it('a header block over 1 MiB is named as oversized, not "does not answer HTTP"', async () => {
    const { ms, endpoint } = await storage(HUGE_HEADERS);
    expect(ms).toBeLessThan(3000 + 2000);
    expect(endpoint.status).toBe('fail');
    expect(endpoint.message).toContain('127.0.0.1:30532 answered with a header block larger than 1 MiB');
    expect(endpoint.message).not.toMatch(/does not answer HTTP/);
  }, 20_000);
});

describe('an S3 error body sent gzip-compressed unasked', () => {
  it('is named as a gzip-compressed body (never inflated), not "an XML document" of binary bytes', async () => {
    const { ms, bucket, out } = await storage(GZIP);
    expect(ms).toBeLessThan(3000 + 2000);
    expect(bucket.status).toBe('fail');
    expect(bucket.message).toContain(`a gzip-compressed body of ${BOMB.length} bytes (Content-Encoding: gzip, though the request asked for none: not read)`);
    expect(out).not.toMatch(/\\u001f/);
  }, 20_000);
});

// A store (or a proxy in front of it) that answers with a redirect to another origin: no client
// follows it (the request carried the access key's signature, a signed URL its query), and what was
// answered names where it pointed.
const REDIRECTING = 30534, SINK = 30535, ALL_REDIRECT = 30536;
describe('S3 redirects to another origin', () => {
  const sinkSeen: string[] = [];
  beforeAll(async () => {
    const { createServer: httpServer } = await import('node:http');
    // answers GET / as S3 (the endpoint check passes), redirects every bucket and object request
    const s = httpServer((req, res) => {
      req.resume();
      if (req.url === '/' && req.method !== 'HEAD') { res.writeHead(403, { 'x-amz-request-id': 'HZE2', server: 'AmazonS3', 'content-type': 'application/xml' }); res.end(ERROR); return; }
      res.writeHead(req.method === 'HEAD' ? 403 : 307, { location: `http://127.0.0.1:${SINK}${req.url}`, 'x-amz-request-id': 'HZE2', server: 'AmazonS3' });
      res.end();
    });
    // redirects everything, like a proxy in front (no S3 headers)
    const all = httpServer((req, res) => { req.resume(); res.writeHead(307, { location: `http://127.0.0.1:${SINK}${req.url}?X-Amz-Signature=hz-e-sig` }); res.end(); });
    const sink = httpServer((req, res) => { sinkSeen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`); req.resume(); res.writeHead(200); res.end('<ListBucketResult></ListBucketResult>'); });
    servers.push(s as never, all as never, sink as never);
    for (const [srv, port] of [[s, REDIRECTING], [all, ALL_REDIRECT], [sink, SINK]] as const) await new Promise<void>((r) => srv.listen(port, '127.0.0.1', () => r()));
  });

  const run = async (port: number) => {
    const dir = tmpFiles({
      'values.yaml': [
        'configuration:',
        '  database: {host: db.example.com, port: 5432, username: u, password: hz-e-pw-1, dbname: flyteadmin}',
        '  storage:',
        '    metadataContainer: hz-e-meta',
        '    userDataContainer: hz-e-meta',
        '    provider: s3',
        '    providerConfig:',
        `      s3: {region: us-east-1, disableSSL: true, endpoint: "http://127.0.0.1:${port}", authType: accesskey, accessKey: hz-e-key, secretKey: hz-e-secret-0123456789}`,
        '',
      ].join('\n'),
    });
    const r = await runCli(['preflight', '-f', 'values.yaml', '--only', 'storage', '--timeout', '3s', '-o', 'json'], { cwd: dir });
    expect(r.stdout).not.toContain('hz-e-secret-0123456789');
    return JSON.parse(r.stdout) as { results: { id: string; status: string; message: string }[] };
  };

  it('every storage check: no request reaches the other origin (no signature, no signed URL sent there)', async () => {
    const doc = await run(REDIRECTING);
    expect(sinkSeen).toEqual([]);
    expect(doc.results.find((x) => x.id === 'storage.s3.bucket')!.status).toBe('fail');
  }, 30_000);

  it('a proxy redirecting everything: the endpoint finding names where it points (its query left out), not only "HTTP 307"', async () => {
    const doc = await run(ALL_REDIRECT);
    expect(sinkSeen).toEqual([]);
    const endpoint = doc.results.find((x) => x.id === 'storage.s3.endpoint')!;
    expect(endpoint.status).toBe('fail');
    expect(endpoint.message).toContain(`an empty answer, HTTP 307 redirecting to http://127.0.0.1:${SINK}/?…`);
    expect(endpoint.message).not.toContain('hz-e-sig');
  }, 30_000);
});

// A store whose answer breaks off: the status line, headers announcing 100,040 bytes, 40 of them,
// then the connection is reset. The finding keeps what was answered, not only "closed the connection".
const CUT = 30537;
describe('an S3 answer cut off in the middle of its body', () => {
  beforeAll(async () => {
    const s = createServer((sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
      sock.on('error', () => undefined);
      sock.once('data', () => {
        sock.write(`HTTP/1.1 403 Forbidden\r\nServer: AmazonS3\r\nx-amz-request-id: HZE3\r\nContent-Type: application/xml\r\nContent-Length: 100040\r\n\r\n<Error><Code>AccessDenied</Code></Error>`);
        setTimeout(() => sock.resetAndDestroy(), 100);
      });
    });
    servers.push(s);
    await new Promise<void>((r) => s.listen(CUT, '127.0.0.1', () => r()));
  });

  it('says it answered HTTP 403 and how much of the announced body came before the reset', async () => {
    const { ms, endpoint } = await storage(CUT);
    expect(ms).toBeLessThan(3000 + 2000);
    expect(endpoint.status).toBe('fail');
    expect(endpoint.message).toContain('127.0.0.1:30537 answered HTTP 403, server AmazonS3, then closed the connection in the middle of its body, after 40 bytes of the 100040 its Content-Length announced (ECONNRESET)');
  }, 20_000);
});
