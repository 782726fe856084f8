// A 301/307 to an S3 request is the bucket's region only when it says so (x-amz-bucket-region) or
// points at an AWS S3 host; any other redirect is something else answering (MinIO sending a browser to
// its console, a proxy sending to HTTPS or a login). Before, every such answer with an S3 header was
// "bucket ... is in another region ... (307 redirect)" with "set ...region". And a network failure of
// the endpoint whose text already names the endpoint (an answer cut off mid-body, oversized headers) is
// said once, with its own cause: before, "closed the connection (HPE_HEADER_OVERFLOW: 127.0.0.1:30125
// answered with a header block larger than 1 MiB ...)" with "a proxy dropping connections?".
// Servers of this file on 127.0.0.1:30120 (HTTP) and 30125 (raw TCP).
import { createServer, type Server } from 'node:http';
import { createServer as tcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../harness/run-check.js';
import { S3_HEADERS, type Reply } from './fake-stores.js';
import { s3Target } from './store-target.js';

const HTTP = 30120, RAW = 30125;
let reply: Reply = { status: 200 };
let raw: (s: Socket) => void = (s) => s.end();
let http: Server, tcp: TcpServer;
const sockets = new Set<Socket>();
beforeAll(async () => {
  http = createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(reply.status, reply.headers ?? {}); res.end(reply.body); }); });
  tcp = tcpServer((s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => {}); let buf = ''; s.on('data', (d) => { buf += d.toString('latin1'); if (buf.includes('\r\n\r\n')) { buf = ''; raw(s); } }); });
  await new Promise<void>((r) => http.listen(HTTP, '127.0.0.1', r));
  await new Promise<void>((r) => tcp.listen(RAW, '127.0.0.1', r));
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => { http.closeAllConnections(); http.close(() => r()); });
  await new Promise<void>((r) => tcp.close(() => r()));
});

const bucket = async (r: Reply) => {
  reply = r;
  const { result } = await runCheck('storage.s3.bucket', s3Target(undefined, { endpoint: `http://127.0.0.1:${HTTP}` }), { instance: 'metadata' });
  return result;
};

describe('S3 redirects: region only on evidence', () => {
  it('MinIO sending to its console (307, Server: MinIO, no region): not a region; names where it points', async () => {
    const r = await bucket({ status: 307, headers: { server: 'MinIO', location: `http://127.0.0.1:30199/browser` } });
    expect(r.messageId, r.message).toBe('notS3');
    expect(r.message).toContain('redirecting to http://127.0.0.1:30199/browser');
    expect(r.hint).not.toMatch(/region/);
    expect(r.hint).toContain('configuration.storage.providerConfig.s3.endpoint');
  });

  it('a 301 with x-amz-request-id to a login host: not a region', async () => {
    const r = await bucket({ status: 301, headers: { 'x-amz-request-id': 'HZK', location: 'https://sso.example.com/login' } });
    expect(r.messageId, r.message).toBe('notS3');
    expect(r.message).toContain('sso.example.com');
    expect(r.cause).toBe(`wrong-service:127.0.0.1:${HTTP}`);
  });

  it('a 301 to HTTPS on the same host: the endpoint wants https://, with the exact fix', async () => {
    reply = { status: 301, headers: { server: 'nginx', location: 'https://127.0.0.1/flyte-metadata' } };
    const { results } = await runCheck('storage.s3.bucket', s3Target(undefined, { endpoint: `http://127.0.0.1:${HTTP}` }), { instance: 'metadata' });
    const r = results.find((x) => x.id === 'storage.s3.endpoint')!;
    expect(r.messageId, r.message).toBe('notS3');
    expect(r.hint).toContain('"https://127.0.0.1"');
    expect(r.hint).toContain('disableSSL: false');
  });

  it('a 301 with x-amz-bucket-region stays the region, with the value', async () => {
    const r = await bucket({ status: 301, headers: { ...S3_HEADERS, 'x-amz-bucket-region': 'eu-west-1' } });
    expect(r.messageId).toBe('wrongRegion');
    expect(r.hint).toContain('region: eu-west-1');
  });

  it('a 307 to an AWS S3 regional host (no region header) is the region; no "redirect redirecting"', async () => {
    const r = await bucket({ status: 307, headers: { ...S3_HEADERS, location: 'https://flyte-metadata.s3.eu-west-1.amazonaws.com/' } });
    expect(r.messageId).toBe('wrongRegion');
    expect(r.message).not.toMatch(/redirect redirecting/);
  });
});

describe('S3 endpoint network failures that already name the endpoint', () => {
  const endpoint = async () => {
    const { results } = await runCheck('storage.s3.bucket', s3Target(undefined, { endpoint: `http://127.0.0.1:${RAW}` }), { instance: 'metadata' });
    return results.find((x) => x.id === 'storage.s3.endpoint')!;
  };

  it('oversized headers: said once, as oversized headers (not "closed the connection"), fix at the proxy or store', async () => {
    raw = (s) => { s.write('HTTP/1.1 200 OK\r\n'); for (let i = 0; i < 1100; i++) s.write(`X-Pad-${i}: ${'a'.repeat(1000)}\r\n`); s.end('\r\n'); };
    const r = await endpoint();
    expect(r.messageId, r.message).toBe('notS3');
    expect(r.message).not.toContain('closed the connection');
    expect(r.message.match(/HPE_HEADER_OVERFLOW/g)).toHaveLength(1);
    expect(r.hint).toMatch(/headers are oversized/);
  });

  it('an answer cut off mid-body: the text is not wrapped in "closed the connection (ECONNRESET: ...)"', async () => {
    raw = (s) => { s.write('HTTP/1.1 403 Forbidden\r\nContent-Length: 100\r\nContent-Type: application/xml\r\n\r\n<Error>'); setTimeout(() => s.resetAndDestroy(), 50); };
    const r = await endpoint();
    expect(r.message, r.message).toContain(`127.0.0.1:${RAW} answered HTTP 403, then closed the connection in the middle of its body`);
    expect(r.message.match(/127\.0\.0\.1:30125/g)!.length).toBeLessThanOrEqual(2);
    expect(r.message).not.toMatch(/ECONNRESET: 127/);
  });
});
