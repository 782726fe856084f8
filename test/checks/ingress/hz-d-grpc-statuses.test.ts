// The gRPC status space, as a table: a real HTTP/2 TLS server (node:http2, the test bed's CA) answers
// every gRPC probe (flyte.admin.grpc, ingress.grpc.*, auth.discovery.grpc) with each status 1-16 (with
// and without a message, trailers-only, with grpc-status-details-bin) and with the HTTP/2 answers
// grpc-js words in its own terms: RST_STREAM codes, GOAWAY, a frame past the client's receive limit,
// an encoding the client did not offer. Never `error`; a pass only where the answer proves the route;
// and the findings grpc-js's wording used to hide:
// - grpc-status 14 / 4 without grpc-message from the peer: backendDown, not "unrecognised" / "no answer, firewall";
// - RST_STREAM ENHANCE_YOUR_CALM ("Bandwidth exhausted"): a rate/abuse limit, not flyteadmin's message size;
// - RST_STREAM REFUSED_STREAM, HTTP_1_1_REQUIRED, GOAWAY(error): said as such, not "not the ingress" (wrong-service);
// - a frame past this client's 16 MB receive limit: not flyteadmin's server.grpc.maxMessageSizeBytes;
// - an answer compressed with an encoding the client did not offer, or gzip that does not inflate: not "flyteadmin failed";
// - a health answer that is not a HealthCheckResponse: another server (wrongBackend), not "gRPC as HTTP/1.1";
// - grpc-status 0 without a response message (grpc-js's own UNIMPLEMENTED "No message received"): not a
//   missing service, so no notRegisteredAuthOff pass and no authOffOnServer for the auth-only services.
import { readFileSync } from 'node:fs';
import { createSecureServer, type Http2SecureServer, type ServerHttp2Stream } from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../src/engine/types.js';
import { testCert } from '../../harness/private-servers.js';
import { bed, bedTarget, brief, runMany } from '../client/bed.js';
import { warmUp } from './private-bed.js';

const PORT = 30401;
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
const status = (code: number, msg: string, o: { trailersOnly?: boolean; details?: boolean } = {}): Answer => (s) => {
  const st: Record<string, string> = {
    'grpc-status': String(code), ...(msg ? { 'grpc-message': encodeURIComponent(msg) } : {}),
    // google.rpc.Status { code, message: "abc" }, unpadded base64 as gRPC sends it
    ...(o.details ? { 'grpc-status-details-bin': Buffer.from([0x08, code, 0x12, 0x03, 0x61, 0x62, 0x63]).toString('base64').replace(/=+$/, '') } : {}),
  };
  if (o.trailersOnly) { s.respond({ ':status': 200, 'content-type': 'application/grpc', ...st }, { endStream: true }); return; }
  s.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  s.on('wantTrailers', () => s.sendTrailers(st));
  s.end();
};
const body = (b: Buffer, headers: Record<string, string> = {}, flag = 0): Answer => (s) => {
  s.respond({ ':status': 200, 'content-type': 'application/grpc', ...headers }, { waitForTrailers: true });
  s.on('wantTrailers', () => s.sendTrailers({ 'grpc-status': '0' }));
  s.end(frame(b, flag));
};
const rst = (code: number): Answer => (s) => { s.close(code); };

const IDS = ['flyte.admin.grpc', 'ingress.grpc.admin', 'ingress.grpc.health', 'ingress.grpc.authmetadata', 'ingress.grpc.dataproxy', 'ingress.grpc.identity', 'ingress.grpc.signal', 'auth.discovery.grpc'];
const authOn = () => bedTarget(PORT, { authType: 'Pkce' }, { auth: { enabled: true, oidcIssuer: bed().oidc.issuer, valuesKey: 'configuration.auth' } });
const probes = async (a: Answer, auth = false): Promise<CheckResult[]> => {
  answer = a;
  const rs = await runMany(IDS, auth ? authOn() : bedTarget(PORT), 'verify', 8000);
  return rs.filter((r) => IDS.includes(r.id) && r.status !== 'skip');
};
const NAMES = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'];
// Passes that an answer proves: the route reaches a gRPC server that registers the service only with auth
// on (auth off), flyteadmin's handler rejecting the empty probe request (dataproxy, signal).
const ROUTE_PROOF = new Set(['notRegisteredAuthOff', 'handlerAnswered']);

describe('every gRPC status from the peer, every probe (auth off)', () => {
  for (let code = 1; code <= 16; code++) {
    for (const [variant, a] of [['with a message', status(code, `${NAMES[code]!.toLowerCase()} from the peer`)], ['without a message, trailers-only', status(code, '', { trailersOnly: true })], ['with grpc-status-details-bin', status(code, 'with details', { details: true })]] as const) {
      it(`${code} ${NAMES[code]} ${variant}: a finding, never error, a pass only as route proof`, async () => {
        const rs = await probes(a);
        expect(rs.length).toBe(IDS.length - 1);
        for (const r of rs) {
          expect(r.status, brief(r)).not.toBe('error');
          expect(r.message, brief(r)).not.toMatch(/TypeError|Cannot read prop|undefined undefined/);
          if (r.status === 'pass') expect(ROUTE_PROOF.has(r.messageId ?? ''), brief(r)).toBe(true);
          else expect(r.status, brief(r)).toBe('fail');
          // an answer came at once: never the "nothing answers / firewall" findings
          expect(r.messageId, brief(r)).not.toMatch(/^(noAnswer|refused|connectionReset|wrongService)$/);
          if (r.messageId === 'unrecognised') expect(r.message, brief(r)).toContain(NAMES[code]);
        }
      }, 30_000);
    }
  }
});

describe('answers grpc-js words in its own terms', () => {
  it('UNAVAILABLE (14) without grpc-message from the peer: backendDown, not an unrecognised transport failure', async () => {
    for (const r of await probes(status(14, '', { trailersOnly: true }))) {
      expect(r.messageId, brief(r)).toBe('backendDown');
      expect(r.cause, brief(r)).toBe('backend:flyteadmin');
      expect(r.message, brief(r)).toContain('UNAVAILABLE from the proxy/server');
    }
  }, 30_000);

  it('DEADLINE_EXCEEDED (4) without grpc-message from the peer: the proxy\'s timeout at once, not "no answer / firewall"', async () => {
    const t0 = Date.now();
    for (const r of await probes(status(4, '', { trailersOnly: true }))) {
      expect(r.messageId, brief(r)).toBe('backendDown');
      expect(r.message, brief(r)).toContain('DEADLINE_EXCEEDED sent by the proxy/server');
      expect(r.hint, brief(r)).not.toMatch(/firewall/);
    }
    expect(Date.now() - t0).toBeLessThan(15_000);
  }, 30_000);

  it('RST_STREAM ENHANCE_YOUR_CALM: a rate / abuse limit in front, not flyteadmin\'s message size limit', async () => {
    for (const r of await probes(rst(11))) {
      expect(r.messageId, brief(r)).toBe('rateLimited');
      expect(r.cause, brief(r)).toBe(`front-auth:flyte.test:${PORT}`);
      expect(r.message, brief(r)).toContain('ENHANCE_YOUR_CALM');
      expect(r.hint, brief(r)).not.toMatch(/maxMessageSizeBytes/);
    }
  }, 30_000);

  it('RST_STREAM REFUSED_STREAM: said as a server refusing streams, not "not the ingress"', async () => {
    for (const r of await probes(rst(7))) {
      expect(r.status, brief(r)).toBe('fail');
      expect(r.message, brief(r)).toMatch(/REFUSED_STREAM/);
      expect(r.message, brief(r)).toMatch(/draining or shutting down, or at its concurrent-stream limit/);
      expect(r.cause ?? '', brief(r)).not.toMatch(/^wrong-service:/);
    }
  }, 30_000);

  it('RST_STREAM HTTP_1_1_REQUIRED: the server refuses HTTP/2 for the call, said by name', async () => {
    for (const r of await probes(rst(13))) {
      expect(r.status, brief(r)).toBe('fail');
      expect(r.message, brief(r)).toContain('HTTP_1_1_REQUIRED');
      expect(r.cause ?? '', brief(r)).not.toMatch(/^wrong-service:/);
    }
  }, 30_000);

  it('GOAWAY INTERNAL_ERROR with the call open: said as the server closing HTTP/2, not "not the ingress"', async () => {
    for (const r of await probes((s) => { s.session?.goaway(2); s.session?.destroy(); })) {
      expect(r.status, brief(r)).toBe('fail');
      expect(r.message, brief(r)).toContain('GOAWAY INTERNAL_ERROR');
      expect(r.cause ?? '', brief(r)).not.toMatch(/^wrong-service:/);
    }
  }, 30_000);

  it('a frame past this client\'s 16 MB receive limit: not flyteadmin\'s maxMessageSizeBytes (its answers are tiny); another server answers', async () => {
    const big = Buffer.alloc(5); big.writeUInt32BE(17 * 1024 * 1024, 1);
    for (const r of await probes((s) => { s.respond({ ':status': 200, 'content-type': 'application/grpc' }); s.end(Buffer.concat([big, Buffer.alloc(1000)])); })) {
      expect(r.messageId, brief(r)).toBe('wrongBackend');
      expect(r.cause, brief(r)).toBe('config:ingress.grpc-routes');
      expect(r.message, brief(r)).toContain('receive limit');
      expect(r.hint, brief(r)).not.toMatch(/maxMessageSizeBytes/);
    }
  }, 30_000);

  it('an answer compressed with an encoding the client did not offer: said as such, not "flyteadmin failed" (and no "undefined undefined")', async () => {
    for (const r of await probes(body(Buffer.from('xyz'), { 'grpc-encoding': 'snappy' }, 1))) {
      expect(r.status, brief(r)).toBe('fail');
      expect(r.messageId, brief(r)).not.toBe('serverError');
      expect(r.message, brief(r)).toContain('compressed with a grpc-encoding this client did not offer');
      expect(r.message, brief(r)).not.toContain('undefined');
    }
  }, 30_000);

  it('gzip that does not inflate: not "flyteadmin failed"', async () => {
    for (const r of await probes(body(Buffer.from('not gzip at all'), { 'grpc-encoding': 'gzip' }, 1))) {
      expect(r.messageId, brief(r)).not.toBe('serverError');
      expect(r.message, brief(r)).toContain('Failed to decompress gzip-encoded message');
    }
  }, 30_000);

  it('an answer that is not the method\'s message: wrongBackend for every probe, grpc.health.v1 included', async () => {
    for (const r of await probes(body(Buffer.from([0x0f, 0xff, 0xff, 0x01])))) {
      expect(r.messageId, brief(r)).toBe('wrongBackend');
      expect(r.cause, brief(r)).toBe('config:ingress.grpc-routes');
    }
  }, 30_000);

  it('OK without a response message (grpc-js\'s own "No message received" UNIMPLEMENTED): no pass for the auth-only services, another server answers', async () => {
    for (const auth of [false, true]) {
      for (const r of await probes(status(0, '', { trailersOnly: true }), auth)) {
        expect(r.status, brief(r)).toBe('fail');
        expect(r.messageId, brief(r)).toBe('wrongBackend');
        expect(r.message, brief(r)).toContain('grpc-status 0 (OK) with no response message');
      }
    }
  }, 60_000);

  it('auth on: UNAUTHENTICATED is auth (routed), UNIMPLEMENTED with a message is auth off on the server, never a TLS finding', async () => {
    const un = await probes(status(16, 'Request unauthenticated with IdentityFunc', { trailersOnly: true }), true);
    for (const r of un) {
      expect(r.messageId ?? '', brief(r)).toMatch(/^(authRequired|frontAuth)$/);
      expect(r.cause ?? '', brief(r)).not.toMatch(/^tls/);
    }
    const unimpl = await probes(status(12, 'unknown service flyteidl.service.AuthMetadataService'), true);
    for (const r of unimpl.filter((x) => /authmetadata|identity|discovery/.test(x.id))) expect(r.messageId, brief(r)).toBe('authOffOnServer');
  }, 60_000);
});
