// Loose ends of the gRPC status sweep, against a real HTTP/2 TLS server (node:http2, the test bed's CA):
// - a peer's own grpc-status 1 (CANCELLED with its own message) is not worded as an RST_STREAM CANCEL;
// - HTTP/2 refusals grpc-js names (REFUSED_STREAM, GOAWAY, HTTP_1_1_REQUIRED, an unoffered grpc-encoding,
//   gzip that does not inflate) are an unrecognised finding keyed by the answer, pointing at the log of
//   what terminates HTTP/2, not "check that the host and port are the ingress" without a cause;
// - two response messages to a unary call (grpc-js reads the first and waits to the deadline): said as
//   an answer that came at once but not as one unary message, not "connected, no answer".
import { readFileSync } from 'node:fs';
import { createSecureServer, type Http2SecureServer, type ServerHttp2Stream } from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../src/engine/types.js';
import { testCert } from '../../harness/private-servers.js';
import { bedTarget, brief, runMany } from '../client/bed.js';
import { warmUp } from './private-bed.js';

const PORT = 30951;
type Answer = (s: ServerHttp2Stream) => void;
let answer: Answer = () => {};
let srv: Http2SecureServer;

beforeAll(async () => {
  const c = testCert('ingress');
  srv = createSecureServer({ cert: readFileSync(c.cert), key: readFileSync(c.key) });
  srv.on('stream', (s) => {
    s.on('error', () => {});
    s.on('data', () => {});
    s.on('end', () => { if (!s.destroyed && !s.headersSent) answer(s); });
  });
  await new Promise<void>((r) => srv.listen(PORT, '127.0.0.1', r));
  await warmUp();
}, 90_000);
afterAll(async () => { await new Promise<void>((r) => (srv ? srv.close(() => r()) : r())); });

const frame = (b: Buffer, flag = 0) => { const h = Buffer.alloc(5); h[0] = flag; h.writeUInt32BE(b.length, 1); return Buffer.concat([h, b]); };
const IDS = ['flyte.admin.grpc', 'ingress.grpc.admin', 'ingress.grpc.health', 'ingress.grpc.authmetadata', 'ingress.grpc.dataproxy', 'ingress.grpc.identity', 'ingress.grpc.signal', 'auth.discovery.grpc'];
const probes = async (a: Answer, ids = IDS): Promise<CheckResult[]> => {
  answer = a;
  const rs = await runMany(ids, bedTarget(PORT), 'verify', 8000);
  return rs.filter((r) => ids.includes(r.id) && r.status !== 'skip');
};
const HOST_PORT = `flyte.test:${PORT}`;

describe('gRPC loose ends', () => {
  it('grpc-status 1 with the peer\'s own message: the peer answered CANCELLED itself, no RST_STREAM named', async () => {
    const rs = await probes((s) => { s.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '1', 'grpc-message': 'upstream went away' }, { endStream: true }); });
    expect(rs.length).toBeGreaterThan(0);
    for (const r of rs) {
      expect(r.messageId, brief(r)).toBe('unrecognised');
      expect(r.message, brief(r)).toContain('answered grpc-status 1 (CANCELLED) itself');
      expect(r.message, brief(r)).not.toContain('RST_STREAM');
      expect(r.cause, brief(r)).toBe(`answer:${HOST_PORT}:CANCELLED`);
    }
  }, 30_000);

  const refusals: [string, Answer, RegExp][] = [
    ['RST_STREAM REFUSED_STREAM', (s) => { s.close(7); }, /REFUSED_STREAM/],
    ['RST_STREAM HTTP_1_1_REQUIRED', (s) => { s.close(13); }, /HTTP_1_1_REQUIRED/],
    ['GOAWAY INTERNAL_ERROR', (s) => { s.session?.goaway(2); s.session?.destroy(); }, /GOAWAY INTERNAL_ERROR/],
    ['an encoding not offered', (s) => { s.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-encoding': 'snappy' }, { waitForTrailers: true }); s.on('wantTrailers', () => s.sendTrailers({ 'grpc-status': '0' })); s.end(frame(Buffer.from('xyz'), 1)); }, /grpc-encoding/],
    ['gzip that does not inflate', (s) => { s.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-encoding': 'gzip' }, { waitForTrailers: true }); s.on('wantTrailers', () => s.sendTrailers({ 'grpc-status': '0' })); s.end(frame(Buffer.from('not gzip at all'), 1)); }, /decompress/],
  ];
  for (const [name, a, re] of refusals) {
    it(`${name}: an unrecognised finding keyed by the answer, pointing at what terminates HTTP/2`, async () => {
      const rs = await probes(a);
      expect(rs.length).toBeGreaterThan(0);
      for (const r of rs) {
        expect(r.messageId, brief(r)).toBe('unrecognised');
        expect(r.message, brief(r)).toMatch(re);
        expect(r.cause ?? '', brief(r)).toMatch(new RegExp(`^answer:${HOST_PORT.replace('.', '\\.')}:`));
        expect(r.hint, brief(r)).toContain('read the log of what terminates HTTP/2 for flyte.test (ingress controller, load balancer, WAF)');
        expect(r.hint, brief(r)).not.toContain('check that the host and port are the ingress');
      }
    }, 30_000);
  }

  it('two response messages to a unary call: answered at once, not as one unary message; not "no answer"', async () => {
    const two: Answer = (s) => {
      s.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      s.on('wantTrailers', () => s.sendTrailers({ 'grpc-status': '0' }));
      s.write(frame(Buffer.alloc(0)));
      s.end(frame(Buffer.alloc(0)));
    };
    const rs = await probes(two, ['ingress.grpc.admin', 'ingress.grpc.health']);
    expect(rs.length).toBe(2);
    for (const r of rs) {
      expect(r.messageId, brief(r)).not.toBe('noAnswer');
      expect(r.message, brief(r)).toMatch(/answers a gRPC-shaped request at once .*but not as one unary message/);
    }
  }, 30_000);
});
