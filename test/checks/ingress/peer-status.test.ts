// gRPC statuses a proxy in front of flyteadmin sends itself, trailers-only (HTTP 200,
// application/grpc, grpc-status in the headers, END_STREAM), the way Envoy / Istio answer:
// DEADLINE_EXCEEDED "upstream request timeout" (its route timeout) is an answer that came at once,
// not this client's own deadline; UNAVAILABLE "local_rate_limited" (its local rate limit, HTTP 429
// sent to gRPC clients as 14) is a rate limit, not a flyteadmin that is down. Envoy is not installed
// here: a real HTTP/2 TLS server (node:http2, the test bed's CA) sends the same frames.
import { readFileSync } from 'node:fs';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCert } from '../../harness/private-servers.js';
import { bedTarget, brief, runMany } from '../client/bed.js';
import { healthyBody, privateIngress, serverBlock, startPrivateAdmin, warmUp, type PrivateAdmin } from './private-bed.js';
import type { Running } from '../../harness/private-servers.js';

let status: { code: number; message: string } = { code: 0, message: '' };
let srv: Http2SecureServer;
let port = 0;
let admin: PrivateAdmin;
let ng: Running;

beforeAll(async () => {
  const c = testCert('ingress');
  srv = createSecureServer({ cert: readFileSync(c.cert), key: readFileSync(c.key) });
  srv.on('stream', (s) => {
    s.on('data', () => {});
    s.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(status.code), 'grpc-message': encodeURIComponent(status.message) }, { endStream: true });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  port = (srv.address() as { port: number }).port;
  admin = await startPrivateAdmin();
  ng = await privateIngress((ports) => serverBlock(ports[0]!, healthyBody(admin)));
  await warmUp();
}, 90_000);
afterAll(async () => { srv?.close(); await Promise.all([admin?.stop(), ng?.stop()]); });

const IDS = ['ingress.grpc.admin', 'ingress.grpc.dataproxy'];

describe('statuses a proxy sends itself', () => {
  it('healthy: flyteadmin behind nginx answers', async () => {
    const rs = await runMany(IDS, bedTarget(ng.port), 'verify', 8000);
    for (const r of rs.filter((x) => IDS.includes(x.id))) expect(r.status, brief(r)).toBe('pass');
  });

  it('DEADLINE_EXCEEDED "upstream request timeout" at once: the proxy\'s upstream timed out (backendDown), not "no answer / firewall"', async () => {
    status = { code: 4, message: 'upstream request timeout' };
    const t0 = Date.now();
    const rs = await runMany(IDS, bedTarget(port), 'verify', 8000);
    for (const id of IDS) {
      const r = rs.find((x) => x.id === id)!;
      expect(r.status, brief(r)).toBe('fail');
      expect(r.messageId, brief(r)).toBe('backendDown');
      expect(r.cause, brief(r)).toBe('backend:flyteadmin');
      expect(r.message, brief(r)).toMatch(/DEADLINE_EXCEEDED sent by the proxy\/server \("upstream request timeout"\)/);
      expect(r.hint, brief(r)).not.toMatch(/firewall/);
    }
    expect(Date.now() - t0).toBeLessThan(6000);
  });

  it('UNAVAILABLE "local_rate_limited": rateLimited with the front cause, not backendDown', async () => {
    status = { code: 14, message: 'local_rate_limited' };
    const rs = await runMany(IDS, bedTarget(port), 'verify', 8000);
    for (const id of IDS) {
      const r = rs.find((x) => x.id === id)!;
      expect(r.messageId, brief(r)).toBe('rateLimited');
      expect(r.cause, brief(r)).toBe(`front-auth:flyte.test:${port}`);
    }
  });

  it('UNAVAILABLE "no healthy upstream" stays backendDown', async () => {
    status = { code: 14, message: 'no healthy upstream' };
    const rs = await runMany(['ingress.grpc.admin'], bedTarget(port), 'verify', 8000);
    const r = rs.find((x) => x.id === 'ingress.grpc.admin')!;
    expect(r.messageId, brief(r)).toBe('backendDown');
  });

  it('UNIMPLEMENTED with no message (a proxy\'s 404 as gRPC 12): grpcNotRouted, and no pass for the auth-only services', async () => {
    status = { code: 12, message: '' };
    const rs = await runMany(['ingress.grpc.admin', 'ingress.grpc.authmetadata'], bedTarget(port), 'verify', 8000);
    for (const id of ['ingress.grpc.admin', 'ingress.grpc.authmetadata']) {
      const r = rs.find((x) => x.id === id)!;
      expect(r.status, brief(r)).toBe('fail');
      expect(r.messageId, brief(r)).toBe('grpcNotRouted');
      expect(r.cause, brief(r)).toBe('config:ingress.grpc-routes');
    }
  });

  it('an unknown code (17) is an honest unrecognised finding with the evidence', async () => {
    status = { code: 17, message: 'what is this' };
    const rs = await runMany(['ingress.grpc.admin'], bedTarget(port), 'verify', 8000);
    const r = rs.find((x) => x.id === 'ingress.grpc.admin')!;
    expect(r.status, brief(r)).toBe('fail');
    expect(r.messageId, brief(r)).toBe('unrecognised');
    expect(r.message, brief(r)).toMatch(/17 \("what is this"\)/);
  });

  it('a status no finding covers, met by every gRPC probe: one fault (answer:<host:port>:<code>), one root', async () => {
    status = { code: 11, message: 'out of range at the proxy' };
    const rs = await runMany(IDS, bedTarget(port), 'verify', 8000);
    const failing = rs.filter((x) => x.status === 'fail');
    expect(failing.map((x) => x.messageId), rs.map(brief).join('\n')).toEqual(IDS.map(() => 'unrecognised'));
    expect(new Set(failing.map((x) => x.cause))).toEqual(new Set([`answer:flyte.test:${port}:OUT_OF_RANGE`]));
    expect(failing.filter((x) => x.rootCause)).toHaveLength(1);
  });
});
