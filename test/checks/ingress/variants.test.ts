// Ingress HTTP and gRPC checks through each nginx variant of the shared test bed. The shared admin
// daemon may predate DataProxy/Signal (it is restarted only by \`npm run testbed:up\`): these tests
// select the checks it serves; routes.test.ts covers every service against private backends.
import { beforeAll, describe, expect, it } from 'vitest';
import { bed, bedTarget, brief, runMany } from '../client/bed.js';
import { warmUp } from './private-bed.js';

beforeAll(warmUp, 60_000);

const SEL = ['ingress.http.*', 'ingress.grpc.admin', 'ingress.grpc.health', 'ingress.grpc.authmetadata'];
const byId = (rs: { id: string }[], id: string) => rs.find((r) => r.id === id) as import('../../../src/engine/types.js').CheckResult;

describe('ingress checks on the nginx variants', () => {
  it('healthy: HTTP paths and gRPC through TLS + h2 all pass', async () => {
    const rs = await runMany(SEL, bedTarget(bed().nginx.https));
    expect(byId(rs, 'ingress.grpc.authmetadata').messageId).toBe('notRegisteredAuthOff');
    for (const r of rs) expect(r.status, brief(r)).toBe('pass');
    expect(byId(rs, 'ingress.grpc.admin').details?.version).toBe(bed().admin.version);
    expect(byId(rs, 'ingress.http.api').details?.projects).toContain('flytesnacks');
  });

  it('gRPC proxied as HTTP/1.1: ingress.grpc.* fail with the backend-protocol fix, HTTP passes', async () => {
    const rs = await runMany(SEL, bedTarget(bed().nginx.grpcAsHttp1));
    expect(byId(rs, 'ingress.http.healthcheck').status).toBe('pass');
    for (const id of ['ingress.grpc.admin', 'ingress.grpc.health']) {
      const r = byId(rs, id);
      expect(r.status, brief(r)).toBe('fail');
      expect(r.messageId).toBe('grpcAsHttp1');
      expect(r.message).toContain('HTTP/1.1');
      expect(r.hint).toContain('nginx.ingress.kubernetes.io/backend-protocol: GRPC');
      expect(r.hint).toContain('ingress.grpcAnnotations');
      expect(r.cause).toBe('config:ingress.grpcAnnotations');
    }
  });

  it('ALB class: the same failure names backend-protocol-version GRPC', async () => {
    const t = bedTarget(bed().nginx.grpcAsHttp1);
    t.ingress!.className = 'alb';
    t.ingress!.grpcAnnotations = {};
    const rs = await runMany(['ingress.grpc.admin'], t);
    expect(byId(rs, 'ingress.grpc.admin').hint).toContain('alb.ingress.kubernetes.io/backend-protocol-version: GRPC');
  });

  it('gRPC prefixes not routed: 404 text/html from nginx', async () => {
    const rs = await runMany(SEL, bedTarget(bed().nginx.noGrpcRoutes));
    const r = byId(rs, 'ingress.grpc.admin');
    expect(r.status).toBe('fail');
    expect(r.messageId).toBe('grpcNotRouted');
    expect(r.details).toMatchObject({ httpStatus: 404, contentType: 'text/html' });
    expect(r.cause).toBe('config:ingress.grpc-routes');
    expect(r.hint).toContain('/flyteidl.service.AdminService');
    expect(byId(rs, 'ingress.http.api').status).toBe('pass');
  });

  it('plaintext where TLS is expected: every ingress check fails with the TLS fix', async () => {
    const rs = await runMany(SEL, bedTarget(bed().nginx.plaintext));
    for (const r of rs) {
      expect(r.status, brief(r)).toBe('fail');
      expect(r.messageId).toBe('plaintextPort');
      expect(r.hint).toMatch(/TLS/);
      expect(r.cause).toBe(`tls-plaintext:flyte.test:${bed().nginx.plaintext}`);
    }
  });

  it('expired / wrong host / self-signed certificates fail with the TLS cause', async () => {
    const cases: [number, string, string][] = [[bed().nginx.expired, 'certExpired', 'expired'], [bed().nginx.wrongHost, 'certHostname', 'name'], [bed().nginx.selfSigned, 'certSelfSigned', 'untrusted']];
    for (const [port, id, kind] of cases) {
      const rs = await runMany(['ingress.grpc.admin', 'ingress.http.healthcheck'], bedTarget(port));
      for (const r of rs) { expect(r.status, brief(r)).toBe('fail'); expect(r.messageId, brief(r)).toBe(id); expect(r.cause, brief(r)).toBe(`tls-${kind}:flyte.test:${port}`); }
    }
  });

  it('auth on (values and server): 401 / UNAUTHENTICATED count as routed', async () => {
    const rs = await runMany(SEL, bedTarget(bed().nginx.authHttps, {}, { auth: { enabled: true, valuesKey: 'configuration.auth' } }));
    for (const r of rs) expect(r.status, brief(r)).toBe('pass');
    expect(byId(rs, 'ingress.http.api').messageId).toBe('authRequired');
    expect(byId(rs, 'ingress.grpc.admin').messageId).toBe('authRequired');
  });

  it('stalled ingress: no answer within the budget (fail, not error)', async () => {
    const s = bed().stall;
    const t = bedTarget(s.port);
    t.ingress = { ...t.ingress!, httpUrl: `https://${s.host}:${s.port}`, grpcAddress: `${s.host}:${s.port}`, host: s.host };
    const t0 = Date.now();
    const rs = await runMany(['ingress.grpc.admin', 'ingress.http.healthcheck'], t, 'verify', 3000);
    expect(Date.now() - t0).toBeLessThan(4000);
    for (const r of rs) { expect(r.status, brief(r)).toBe('fail'); expect(r.messageId, brief(r)).toBe('silentServer'); expect(r.hint, brief(r)).not.toMatch(/firewall/); }
  });
});
