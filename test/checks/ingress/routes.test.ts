// Every routing check (one per gRPC service clients use, the HTTP paths, flyteadmin's version over
// both) against a private nginx serving one broken variant per port, in front of private admin
// backends (auth off, auth on, a tiny gRPC message limit). Each variant breaks one thing; the table
// says which checks fail, with which finding and which cause key, and that everything else passes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../../src/config/target.js';
import type { CheckResult } from '../../../src/engine/types.js';
import { bedTarget, brief, runMany } from '../client/bed.js';
import { ingressLab, type Lab, type Variant } from './private-bed.js';

const GRPC = ['ingress.grpc.admin', 'ingress.grpc.authmetadata', 'ingress.grpc.dataproxy', 'ingress.grpc.health', 'ingress.grpc.identity', 'ingress.grpc.signal'];
const HTTP = ['ingress.http.api', 'ingress.http.console', 'ingress.http.healthcheck'];
const SEL = ['ingress.grpc.*', 'ingress.http.*', 'flyte.admin.*'];
/** What every check says on a healthy ingress with auth off. */
const HEALTHY: Record<string, string> = {
  'ingress.grpc.admin': 'answers', 'ingress.grpc.authmetadata': 'notRegisteredAuthOff', 'ingress.grpc.dataproxy': 'handlerAnswered',
  'ingress.grpc.health': 'answers', 'ingress.grpc.identity': 'notRegisteredAuthOff', 'ingress.grpc.signal': 'handlerAnswered',
  'ingress.http.api': 'answers', 'ingress.http.console': 'answers', 'ingress.http.healthcheck': 'answers',
  'flyte.admin.grpc': 'answers', 'flyte.admin.http': 'answers',
};

let lab: Lab;
beforeAll(async () => { lab = await ingressLab(); }, 60_000);
afterAll(async () => { await lab?.stop(); });

const byId = (rs: CheckResult[], id: string) => rs.find((r) => r.id === id)!;
const show = (rs: CheckResult[]) => rs.filter((r) => r.status !== 'pass').map(brief).join('\n');

async function run(v: Variant, over: (t: Target) => void = () => {}): Promise<CheckResult[]> {
  const t = bedTarget(lab.port[v]);
  over(t);
  return runMany(SEL, t, 'verify', 8000);
}

/** `failing`: id -> messageId of the checks that fail; every other selected check is what HEALTHY says. */
function expectOutcome(rs: CheckResult[], failing: Record<string, string>, o: { cause?: string; root?: string; pass?: Record<string, string> } = {}): void {
  for (const id of Object.keys(HEALTHY)) {
    const r = byId(rs, id);
    if (failing[id]) {
      expect(r.status, `${id}\n${show(rs)}`).toBe('fail');
      expect(r.messageId, `${id}\n${show(rs)}`).toBe(failing[id]);
      expect(r.hint, id).toBeTruthy();
      if (o.cause) expect(r.cause, `${id} cause`).toBe(o.cause);
    } else {
      expect(r.status, `${id} should pass\n${show(rs)}`).toBe('pass');
      expect(r.messageId, `${id}`).toBe(o.pass?.[id] ?? HEALTHY[id]);
    }
  }
  if (o.root) {
    const roots = rs.filter((r) => r.rootCause && r.status === 'fail').map((r) => r.id);
    expect(roots, show(rs)).toEqual([o.root]);
  }
}
const all = (ids: string[], id: string) => Object.fromEntries(ids.map((x) => [x, id]));

describe('routing checks through a private ingress, one broken thing per variant', () => {
  it('healthy: every service and path answers the way flyteadmin answers (auth off)', async () => {
    const rs = await run('healthy');
    expectOutcome(rs, {});
    expect(byId(rs, 'ingress.grpc.admin').details?.version).toBe('v1.16.8');
    expect(byId(rs, 'ingress.grpc.dataproxy').message).toContain('project and domain are required parameters');
  });

  it('auth on in the values and on the server: UNAUTHENTICATED / flyteadmin\'s 401 count as routed', async () => {
    const rs = await run('authOn', (t) => { t.auth.enabled = true; });
    expectOutcome(rs, {}, { pass: { 'ingress.grpc.admin': 'authRequired', 'ingress.grpc.dataproxy': 'authRequired', 'ingress.grpc.identity': 'authRequired', 'ingress.grpc.signal': 'authRequired', 'ingress.grpc.authmetadata': 'answers', 'ingress.http.api': 'authRequired', 'flyte.admin.grpc': 'authRequired', 'flyte.admin.http': 'authRequired' } });
  });

  it('class 8: UNAUTHENTICATED from flyteadmin while the values turn auth off is not "admin answers"', async () => {
    const rs = await run('authOn');
    const failing = { ...all(['ingress.grpc.admin', 'ingress.grpc.dataproxy', 'ingress.grpc.identity', 'ingress.grpc.signal', 'ingress.http.api', 'flyte.admin.grpc', 'flyte.admin.http'], 'authOnServer') };
    expectOutcome(rs, failing, { cause: 'config:configuration.auth.enabled', root: 'flyte.admin.grpc', pass: { 'ingress.grpc.authmetadata': 'answers' } });
    const r = byId(rs, 'flyte.admin.grpc');
    expect(r.message).toContain('configuration.auth.enabled is false');
    expect(r.hint).toMatch(/helm upgrade .* then kubectl -n flyte rollout restart deploy\//);
  });

  it('auth on in the values, off on the server: anonymous answers are findings with the rollout command', async () => {
    const rs = await run('healthy', (t) => { t.auth.enabled = true; });
    const failing = all(['ingress.grpc.admin', 'ingress.grpc.authmetadata', 'ingress.grpc.dataproxy', 'ingress.grpc.identity', 'ingress.grpc.signal', 'ingress.http.api'], 'authOffOnServer');
    expectOutcome(rs, failing, { cause: 'config:configuration.auth.enabled', root: 'ingress.grpc.admin' });
    expect(byId(rs, 'ingress.grpc.authmetadata').message).toContain('registers it only with auth on');
    expect(byId(rs, 'ingress.grpc.admin').hint).toContain('rollout restart');
  });

  it('I6: a tiny gRPC message limit is RESOURCE_EXHAUSTED with the values key, only where answers are large', async () => {
    const rs = await run('tinyMessages');
    expectOutcome(rs, all(['ingress.grpc.admin', 'flyte.admin.grpc'], 'messageTooLarge'), { cause: 'config:configuration.inline.server.grpc.maxMessageSizeBytes', root: 'flyte.admin.grpc' });
    expect(byId(rs, 'ingress.grpc.admin').message).toContain('Sent message larger than max');
  });

  it('gRPC proxied as HTTP/1.1: every gRPC service fails with the protocol finding; HTTP passes', async () => {
    const rs = await run('asHttp1');
    expectOutcome(rs, all([...GRPC, 'flyte.admin.grpc'], 'grpcAsHttp1'), { cause: 'config:ingress.grpcAnnotations', root: 'flyte.admin.grpc' });
    // The values already carry the annotation: the fix must not ask to set it again.
    expect(byId(rs, 'ingress.grpc.admin').hint).toContain('the values already set nginx.ingress.kubernetes.io/backend-protocol: GRPC');
  });

  for (const [v, id] of [['noAdmin', 'ingress.grpc.admin'], ['noDataproxy', 'ingress.grpc.dataproxy'], ['noAuthmetadata', 'ingress.grpc.authmetadata'], ['noIdentity', 'ingress.grpc.identity'], ['noSignal', 'ingress.grpc.signal'], ['noHealth', 'ingress.grpc.health']] as const) {
    it(`half-routed ingress (${v}): exactly ${id} fails`, async () => {
      const rs = await run(v);
      const failing: Record<string, string> = { [id]: 'grpcNotRouted', ...(id === 'ingress.grpc.admin' ? { 'flyte.admin.grpc': 'grpcNotRouted' } : {}) };
      expectOutcome(rs, failing, { cause: 'config:ingress.grpc-routes' });
      const svc = byId(rs, id).details?.path as string;
      expect(byId(rs, id).hint).toContain(`${svc.split('/').slice(0, 2).join('/')}/*`);
    });
  }

  it('no gRPC route at all: every gRPC check is "not routed", one root', async () => {
    const rs = await run('noGrpcAtAll');
    expectOutcome(rs, all([...GRPC, 'flyte.admin.grpc'], 'grpcNotRouted'), { cause: 'config:ingress.grpc-routes', root: 'flyte.admin.grpc' });
  });

  it('rewrite-target on the HTTP paths: flyteadmin\'s own 404 is "rewritten", not "not routed"', async () => {
    const rs = await run('rewrite', (t) => { t.ingress!.annotations = { 'nginx.ingress.kubernetes.io/rewrite-target': '/' }; });
    expectOutcome(rs, all([...HTTP, 'flyte.admin.http'], 'pathRewritten'), { cause: 'config:ingress.httpAnnotations', root: 'flyte.admin.http' });
    expect(byId(rs, 'ingress.http.api').hint).toContain('remove nginx.ingress.kubernetes.io/rewrite-target from ingress.httpAnnotations');
  });

  for (const [v, what] of [['basicAuth', /basic auth/], ['waf403', /403/], ['oauth2Proxy', /oauth2-proxy/]] as const) {
    it(`something in front (${v}) with auth off: every check says frontAuth, not "routed"`, async () => {
      const rs = await run(v);
      const port = lab.port[v];
      expectOutcome(rs, all(Object.keys(HEALTHY), 'frontAuth'), { cause: `front-auth:flyte.test:${port}`, root: 'flyte.admin.grpc' });
      expect(byId(rs, 'ingress.http.api').message).toMatch(what);
      expect(byId(rs, 'ingress.grpc.admin').message).toContain('configuration.auth.enabled is false');
    });
  }

  for (const v of ['closedUpstream', 'noUpstream', 'stalledUpstream'] as const) {
    it(`backend down (${v}): 502/503/504 is backendDown on every path, not "proxied as HTTP/1.1"`, async () => {
      const rs = await run(v);
      expectOutcome(rs, all(Object.keys(HEALTHY), 'backendDown'), { cause: 'backend:flyteadmin', root: 'flyte.admin.grpc' });
      expect(byId(rs, 'ingress.grpc.admin').hint).toContain('flyte-backend-flyte-binary-grpc');
      expect(byId(rs, 'ingress.http.healthcheck').hint).toContain('flyte-backend-flyte-binary-http');
    });
  }

  it('an HTML error page on /console is not the console', async () => {
    const rs = await run('htmlConsole');
    expectOutcome(rs, { 'ingress.http.console': 'notConsole' });
    expect(byId(rs, 'ingress.http.console').message).toContain('Something went wrong');
  });

  it('/api routed to the console: HTML where flyteadmin answers JSON', async () => {
    const rs = await run('apiToConsole');
    expectOutcome(rs, all(['ingress.http.api', 'flyte.admin.http'], 'htmlNotJson'), { cause: 'config:ingress.http-routes' });
    expect(byId(rs, 'ingress.http.api').message).toContain('the console');
  });

  it('the HTTP backend behind the gRPC location is named as such', async () => {
    const rs = await run('httpBehindGrpc');
    expectOutcome(rs, all([...GRPC, 'flyte.admin.grpc'], 'httpBackend'), { cause: 'config:ingress.grpc-routes' });
    expect(byId(rs, 'ingress.grpc.signal').hint).toContain('flyte-backend-flyte-binary-grpc:8089');
  });

  it('gRPC sent as h2c to flyteadmin\'s HTTP port: 502 while the HTTP side answers is a protocol/port mistake, not a dead backend', async () => {
    const rs = await run('grpcPassToHttp');
    expectOutcome(rs, all([...GRPC, 'flyte.admin.grpc'], 'grpcAsHttp1'));
    expect(byId(rs, 'ingress.grpc.admin').message).toContain('while flyteadmin answers /healthcheck through the same ingress');
  });

  it('the gRPC backend behind the HTTP paths is named as such', async () => {
    const rs = await run('grpcBehindHttp');
    for (const id of [...HTTP, 'flyte.admin.http']) {
      const r = byId(rs, id);
      expect(r.status, brief(r)).toBe('fail');
      expect(['grpcBackend', 'unrecognised', 'noAnswer'], brief(r)).toContain(r.messageId);
    }
    expect(rs.filter((r) => [...HTTP, 'flyte.admin.http'].includes(r.id)).some((r) => r.messageId === 'grpcBackend'), show(rs)).toBe(true);
    for (const id of GRPC) expect(byId(rs, id).status, id).toBe('pass');
  });

  it('a TLS listener without HTTP/2: gRPC fails with the ALPN cause tls.* uses; HTTP passes', async () => {
    const rs = await run('noH2');
    const port = lab.port.noH2;
    expectOutcome(rs, all([...GRPC, 'flyte.admin.grpc'], 'noH2Alpn'), { cause: `tls-alpn:flyte.test:${port}` });
  });

  it('values without ingress TLS on a plaintext port: gRPC reaches an HTTP/1.1 listener; HTTP passes', async () => {
    const rs = await run('plaintext', (t) => { t.ingress!.tls = false; t.client.insecure = true; });
    for (const id of GRPC) { const r = byId(rs, id); expect(r.status, brief(r)).toBe('fail'); expect(r.messageId).toBe('http1Listener'); expect(r.cause).toBe('config:ingress.tls'); }
    for (const id of HTTP) expect(byId(rs, id).status, brief(byId(rs, id))).toBe('pass');
  });

  it('values without ingress TLS on a TLS port: "plain request to a TLS port", one cause for gRPC and HTTP', async () => {
    const rs = await run('healthy', (t) => { t.ingress!.tls = false; });
    for (const id of [...GRPC, ...HTTP, 'flyte.admin.http']) { const r = byId(rs, id); expect(r.status, brief(r)).toBe('fail'); expect(r.messageId, brief(r)).toBe('tlsPortAsPlain'); expect(r.cause).toBe('config:ingress.tls'); }
    expect(byId(rs, 'flyte.admin.grpc').status).toBe('pass');
  });

  it('class 5: a client-only insecure: true does not fail the server-side routing checks', async () => {
    const rs = await run('healthy', (t) => { t.client.insecure = true; t.ingress!.httpUrl = t.ingress!.httpUrl!.replace('https:', 'http:'); });
    for (const id of [...GRPC, ...HTTP, 'flyte.admin.http']) expect(byId(rs, id).status, brief(byId(rs, id))).toBe('pass');
    const tm = byId(rs, 'client.config.tls-mode');
    expect(tm.status, brief(tm)).toBe('fail');
    expect(byId(rs, 'flyte.admin.grpc').status).toBe('skip');
    expect(byId(rs, 'flyte.admin.grpc').explainedBy).toBe('client.config.tls-mode');
  });

  for (const [v, id] of [['rateLimited', 'rateLimited'], ['misdirected', 'misdirected']] as const) {
    it(`HTTP ${v === 'rateLimited' ? 429 : 421} on every path: ${id}, one root`, async () => {
      const rs = await run(v);
      expectOutcome(rs, all(Object.keys(HEALTHY), id), { root: 'flyte.admin.grpc' });
    });
  }

  it('something else listens (SSH): wrongService from gRPC and HTTP alike', async () => {
    const t = bedTarget(lab.ssh.port);
    const rs = await runMany(['ingress.grpc.*', 'ingress.http.*', 'flyte.admin.http'], t, 'verify', 8000);
    for (const id of [...GRPC, ...HTTP, 'flyte.admin.http']) { const r = byId(rs, id); expect(r.status, brief(r)).toBe('fail'); expect(r.messageId, brief(r)).toBe('wrongService'); expect(r.message).toContain('SSH'); expect(r.cause).toBe(`wrong-service:flyte.test:${lab.ssh.port}`); }
  });
});
