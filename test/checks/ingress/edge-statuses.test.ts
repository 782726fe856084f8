// What stands in front of flyteadmin answers for itself: nginx's own 494-497 (sent as HTTP 400 under
// their own title), a client-certificate (mTLS) requirement, a TLS-terminating hop that speaks plain
// HTTP to the controller's TLS port, and a CDN's 520-530 origin codes. Each is its own finding on the
// gRPC and HTTP checks, keyed to the same cause, never gRPC-as-HTTP/1.1, never flyteadmin's fault,
// never "set ingress.tls" when the values already set it. A private nginx produces each answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../src/engine/types.js';
import { getTestbed } from '../../harness/testbed.js';
import type { Running } from '../../harness/private-servers.js';
import { bedTarget, brief, ingressFor, runMany } from '../client/bed.js';
import { grpcLocations, healthyBody, httpLocations, privateIngress, serverBlock, startPrivateAdmin, warmUp, type PrivateAdmin } from './private-bed.js';

const CHECKS = ['ingress.grpc.admin', 'ingress.grpc.dataproxy', 'ingress.http.healthcheck', 'ingress.http.api'];
const CDN = [520, 521, 522, 523, 524, 525, 526, 530] as const;
// what a filter, a captive portal or a rule in front answers for itself (flyteadmin sends none of these)
const EDGE = [[405, 'methodRefused'], [410, 'pathGone'], [451, 'filteredOut'], [511, 'networkLogin'], [418, 'unrecognised']] as const;
const V = ['healthy', 'mtls', 'tlsToPlainFront', 'backTls', 'nginx494', 'sslRedirectLoop', 'authUrlDown', ...CDN.map((c) => `cdn${c}`), ...EDGE.map(([c]) => `edge${c}`)] as const;
type Variant = (typeof V)[number];

let ng: Running;
let admin: PrivateAdmin;
const port = {} as Record<Variant, number>;

beforeAll(async () => {
  admin = await startPrivateAdmin();
  const returnAll = (code: number | string) => `${httpLocations(0).replace(/proxy_pass[^;]*;[^}]*/g, `return ${code}; `)}\n${grpcLocations(0, { directive: `return ${code};` })}`;
  ng = await privateIngress((ports) => {
    V.forEach((v, i) => { port[v] = ports[i]!; });
    const body = (v: Variant): [string, Parameters<typeof serverBlock>[2]] => {
      if (v === 'healthy' || v === 'backTls') return [healthyBody(admin), {}];
      // ingress-nginx auth-tls-verify-client: "on" renders ssl_verify_client on
      if (v === 'mtls') return [healthyBody(admin), { serverExtra: `    ssl_verify_client on; ssl_client_certificate ${getTestbed().caCert};` }];
      // a load balancer that terminates TLS and forwards plain HTTP to the controller's HTTPS port
      if (v === 'tlsToPlainFront') return [httpLocations(0).replace(/proxy_pass http:\/\/127\.0\.0\.1:0;/g, `proxy_pass http://127.0.0.1:${ports[V.indexOf('backTls')]!};`), {}];
      if (v === 'nginx494') return [returnAll(494), {}];
      // ingress-nginx auth-url renders auth_request: an auth service that cannot be reached makes nginx answer 500 itself
      if (v === 'authUrlDown') return [`${healthyBody(admin)}\n    location = /_auth { internal; proxy_pass http://127.0.0.1:${getTestbed().closedPort}; }`, { serverExtra: '    auth_request /_auth;' }];
      // ssl-redirect behind a load balancer that terminates TLS: the controller sees http and sends every request back to the same https URL
      if (v === 'sslRedirectLoop') return [returnAll('308 https://$host:$server_port$request_uri'), {}];
      if (v.startsWith('edge')) return [returnAll(Number(v.slice(4))), {}];
      return [returnAll(Number(v.slice(3))), {}];
    };
    return V.map((v) => { const [b, o] = body(v); return serverBlock(port[v], b, o); }).join('\n');
  }, { count: V.length });
  await warmUp();
}, 90_000);
afterAll(async () => { await Promise.all([ng?.stop(), admin?.stop()]); });

const by = (rs: CheckResult[], id: string) => rs.find((r) => r.id === id)!;

describe('nginx 400 pages that are not gRPC spoken as HTTP/1.1', () => {
  it('healthy: every check passes through the same nginx', async () => {
    const rs = await runMany(CHECKS, bedTarget(port.healthy), 'verify', 8000);
    for (const id of CHECKS) expect(by(rs, id).status, brief(by(rs, id))).toBe('pass');
  });

  it('mTLS on the ingress (ssl_verify_client on): clientCertRequired on gRPC and HTTP, one front-auth cause, no gRPC-annotation fix', async () => {
    const rs = await runMany(CHECKS, bedTarget(port.mtls), 'verify', 8000);
    for (const id of CHECKS) {
      const r = by(rs, id);
      expect(r.status, brief(r)).toBe('fail');
      expect(r.messageId, brief(r)).toBe('clientCertRequired');
      expect(r.cause, brief(r)).toBe(`front-auth:flyte.test:${port.mtls}`);
      expect(r.message, brief(r)).toMatch(/No required SSL certificate was sent/);
      expect(r.hint, brief(r)).not.toMatch(/backend-protocol|grpcAnnotations/);
      expect(r.hint, brief(r)).toMatch(/set no nginx\.ingress\.kubernetes\.io\/auth-tls-\* annotation/);
    }
  });

  it('mTLS set in the values: the fix names the annotation and the values key that set it', async () => {
    const t = bedTarget(port.mtls);
    t.ingress = ingressFor(port.mtls, { grpcAnnotations: { 'nginx.ingress.kubernetes.io/backend-protocol': 'GRPC', 'nginx.ingress.kubernetes.io/auth-tls-verify-client': 'on', 'nginx.ingress.kubernetes.io/auth-tls-secret': 'flyte/ca' } });
    const rs = await runMany(['ingress.grpc.admin'], t, 'verify', 8000);
    const r = by(rs, 'ingress.grpc.admin');
    expect(r.messageId, brief(r)).toBe('clientCertRequired');
    expect(r.hint, brief(r)).toMatch(/remove nginx\.ingress\.kubernetes\.io\/auth-tls-verify-client and nginx\.ingress\.kubernetes\.io\/auth-tls-secret from ingress\.grpcAnnotations/);
  });

  it('a TLS-terminating hop forwarding plain HTTP to the controller\'s TLS port: plainToTlsUpstream, not "set ingress.tls" (already set)', async () => {
    const rs = await runMany(['ingress.http.healthcheck', 'ingress.http.api'], bedTarget(port.tlsToPlainFront), 'verify', 8000);
    for (const id of ['ingress.http.healthcheck', 'ingress.http.api']) {
      const r = by(rs, id);
      expect(r.messageId, brief(r)).toBe('plainToTlsUpstream');
      expect(r.message, brief(r)).toMatch(/The plain HTTP request was sent to HTTPS port/);
      expect(r.hint, brief(r)).not.toMatch(/set ingress\.tls/);
      expect(r.cause, brief(r)).toBe(`tls-plaintext:upstream-of:flyte.test:${port.tlsToPlainFront}`);
    }
  });

  it('nginx 494 (Request Header Or Cookie Too Large) on gRPC: a header size limit, not gRPC as HTTP/1.1', async () => {
    const rs = await runMany(['ingress.grpc.admin'], bedTarget(port.nginx494), 'verify', 8000);
    const r = by(rs, 'ingress.grpc.admin');
    expect(r.messageId, brief(r)).toBe('messageTooLarge');
    expect(r.hint, brief(r)).toMatch(/large-client-header-buffers/);
  });
});

describe('the ingress controller\'s own 5xx', () => {
  it('auth-url service unreachable (nginx\'s own 500 page): serverError keyed to the controller, not flyteadmin', async () => {
    const p = port.authUrlDown;
    const rs = await runMany(CHECKS, bedTarget(p), 'verify', 8000);
    for (const id of CHECKS) {
      const r = by(rs, id);
      expect(r.status, brief(r)).toBe('fail');
      expect(r.messageId, brief(r)).toBe('serverError');
      expect(r.cause, brief(r)).toBe(`backend:ingress-controller:flyte.test:${p}`);
      expect(r.hint, brief(r)).toMatch(/auth-url/);
      expect(r.hint, brief(r)).not.toMatch(/logs deploy\/flyte/);
    }
  });
});

describe('redirects', () => {
  it('a redirect to the very same https URL (ssl-redirect behind TLS offload): a loop, fixed with use-forwarded-headers, on HTTP and gRPC', async () => {
    const p = port.sslRedirectLoop;
    const rs = await runMany(CHECKS, bedTarget(p), 'verify', 8000);
    for (const id of CHECKS) {
      const r = by(rs, id);
      expect(r.status, brief(r)).toBe('fail');
      expect(r.cause, brief(r)).toBe(`config:use-forwarded-headers:flyte.test:${p}`);
      expect(r.hint, brief(r)).toMatch(/use-forwarded-headers: "true"/);
    }
    expect(by(rs, 'ingress.http.healthcheck').message).toMatch(/redirects to itself/);
  });
});

describe('a CDN\'s 520-530 origin codes', () => {
  for (const code of CDN) {
    it(`HTTP ${code}: cdnOrigin on gRPC and HTTP, keyed to the CDN's origin, not flyteadmin`, async () => {
      const p = port[`cdn${code}`];
      const rs = await runMany(CHECKS, bedTarget(p), 'verify', 8000);
      for (const id of CHECKS) {
        const r = by(rs, id);
        expect(r.status, brief(r)).toBe('fail');
        expect(r.messageId, brief(r)).toBe('cdnOrigin');
        expect(r.cause, brief(r)).toBe(`backend:cdn-origin:flyte.test:${p}`);
        expect(r.message, brief(r)).toContain(String(code));
        expect(r.hint, brief(r)).not.toMatch(/read (flyteadmin's|the backend's) log|the proxy failed/);
        if (code !== 524) expect(r.hint, brief(r)).not.toMatch(/logs deploy\//);
      }
    });
  }
});

describe('what something in front answers for itself: 405 to every method, 410, 451, 511 and statuses no finding knows', () => {
  for (const [code, id] of EDGE) {
    it(`HTTP ${code}: ${id} on gRPC and HTTP alike, one cause for all of them, never flyteadmin's fault`, async () => {
      const p = port[`edge${code}`];
      const rs = await runMany(CHECKS, bedTarget(p), 'verify', 8000);
      const causes = new Set<string | undefined>();
      for (const cid of CHECKS) {
        const r = by(rs, cid);
        expect(r.status, brief(r)).toBe('fail');
        expect(r.messageId, brief(r)).toBe(id);
        expect(r.message, brief(r)).toContain(String(code));
        expect(r.hint, brief(r)).not.toMatch(/logs deploy\/|flyteadmin's log/);
        causes.add(r.cause);
      }
      expect([...causes]).toEqual([id === 'unrecognised' ? `answer:flyte.test:${p}:${code}` : `front-auth:flyte.test:${p}`]);
      expect(rs.filter((r) => r.rootCause).length, rs.map(brief).join('\n')).toBe(1);
    });
  }
});
