// Root-cause marking through the real engine path, with fake checks (pure logic).
import { describe, expect, it } from 'vitest';
import { cause, hostPortKey, markRootCauses, rootCauseGroups } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import { plan, validateRegistry } from '../../src/engine/plan.js';
import { runChecks } from '../../src/engine/run.js';
import type { Check, CheckResult, CheckSpec, Outcome } from '../../src/engine/types.js';
import { makeTarget } from '../harness/target.js';

const explain = { what: 'w', why: 'y', fix: 'f' };
const fake = (id: string, out: Outcome, extra: Partial<CheckSpec> = {}): Check =>
  defineCheck({ id, title: id, phases: ['verify'], explain, run: async () => out, ...extra });
const fail = (c?: string): Outcome => ({ status: 'fail', message: 'x', hint: 'h', ...(c ? { cause: c } : {}) });

async function run(checks: Check[]) {
  validateRegistry(checks);
  const target = makeTarget();
  const r = await runChecks({ target, plan: plan(checks, 'verify', { only: [], skip: [] }, target), timeoutMs: 2000, concurrency: 4 });
  return Object.fromEntries(r.results.map((x) => [x.id, x]));
}

describe('root causes', () => {
  const tls = cause.tls('untrusted', hostPortKey('Flyte.Example.com', 443));

  it('keys are normalised: one fault, one key', () => {
    expect(tls).toBe('tls-untrusted:flyte.example.com:443');
    expect(hostPortKey('::1', 8089)).toBe('[::1]:8089');
    expect(cause.dns('DB.example.com')).toBe(cause.dns('db.example.com'));
  });

  it('one fault seen by checks in several areas: the lowest layer is the root, the rest point at it', async () => {
    const r = await run([
      fake('tls.admin.trust', fail(tls)),
      fake('ingress.grpc.admin', fail(tls)),
      fake('auth.discovery.metadata', fail(tls)),
      fake('ingress.http.console', { status: 'pass', message: 'ok' }),
      fake('database.postgres.auth', fail()),
    ]);
    expect(r['tls.admin.trust']!.rootCause).toBe(true);
    expect(r['ingress.grpc.admin']!.explainedBy).toBe('tls.admin.trust');
    expect(r['auth.discovery.metadata']!.explainedBy).toBe('tls.admin.trust');
    expect(r['ingress.grpc.admin']!.rootCause).toBeUndefined();
    expect(r['ingress.http.console']!.rootCause).toBeUndefined();
    // an unrelated failure nothing explains is a root cause of its own
    expect(r['database.postgres.auth']!.rootCause).toBe(true);
    expect(r['database.postgres.auth']!.explainedBy).toBeUndefined();
  });

  it('a dependency wins over the layer order, and blocked checks follow their blocker to the root', async () => {
    const c = cause.backend('flyteadmin');
    const r = await run([
      fake('ingress.grpc.health', fail(c), { dependsOn: ['ingress.http.healthcheck'] }),
      fake('ingress.http.healthcheck', { status: 'warn', message: 'w', hint: 'h', cause: c }),
      fake('flyte.admin.grpc', fail(c), { dependsOn: ['ingress.grpc.health'] }),
      fake('auth.discovery.grpc', { status: 'pass', message: 'ok' }, { dependsOn: ['flyte.admin.grpc'] }),
    ]);
    // flyte.admin.grpc was blocked (ingress.grpc.health failed): its skip points at the root
    expect(r['ingress.http.healthcheck']!.rootCause).toBe(true);
    expect(r['ingress.grpc.health']!.explainedBy).toBe('ingress.http.healthcheck');
    expect(r['flyte.admin.grpc']!.status).toBe('skip');
    expect(r['flyte.admin.grpc']!.explainedBy).toBe('ingress.http.healthcheck');
    expect(r['auth.discovery.grpc']!.explainedBy).toBe('ingress.http.healthcheck');
  });

  it('a fail outranks a warn of the same fault; groups come out root first', () => {
    const mk = (id: string, area: CheckResult['area'], status: CheckResult['status'], c?: string): CheckResult => ({ id, area, title: id, status, message: id, docsUrl: '', durationMs: 0, ...(c ? { cause: c } : {}) });
    const results = [mk('dns.admin.resolve', 'dns', 'warn', 'k'), mk('ingress.grpc.admin', 'ingress', 'fail', 'k'), mk('tls.admin.trust', 'tls', 'pass', 'k')];
    markRootCauses(results, new Map());
    expect(results[1]!.rootCause).toBe(true);
    expect(results[0]!.explainedBy).toBe('ingress.grpc.admin');
    expect(results[2]!.explainedBy).toBeUndefined(); // a pass is never a consequence
    const groups = rootCauseGroups(results);
    expect(groups.map((g) => [g.root.id, g.consequences.map((x) => x.id)])).toEqual([['ingress.grpc.admin', ['dns.admin.resolve']]]);
  });

  it('root notes: what another finding knows about a fault is added to the fix of that fault\'s root, once, and never reported on their own', () => {
    const mk = (id: string, c: string, o: Partial<CheckResult> = {}): CheckResult => ({ id, area: 'storage', title: id, status: 'fail', message: `${id} message`, hint: `${id} fix`, docsUrl: '', durationMs: 0, cause: c, ...o });
    const note = { cause: 'config:bucket', text: 'Note: the release runs with another bucket' };
    const live = mk('flyte.config.live', 'credentials:postgres:a', { rootNotes: [note, { cause: 'credentials:s3:k', text: 'Note: another key', unlessSaid: 'Secret x' }, { cause: 'config:nothing-fails-here', text: 'never shown' }] });
    const bucket = mk('storage.s3.bucket', 'config:bucket');
    const put = mk('storage.s3.put', 'config:bucket');
    const key = mk('storage.s3.list', 'credentials:s3:k', { message: 'rejected; the release uses Secret x' });
    const auth = mk('database.postgres.auth', 'credentials:postgres:a');
    const results = [live, bucket, put, key, auth];
    markRootCauses(results, new Map([['storage.s3.put', { dependsOn: ['storage.s3.bucket'] }]]));
    expect(bucket.rootCause).toBe(true);
    expect(bucket.hint).toBe('storage.s3.bucket fix. Note: the release runs with another bucket'); // the root of another group gets it
    expect(put.hint).toBe('storage.s3.put fix'); // not a consequence
    expect(key.hint).toBe('storage.s3.list fix'); // its message already says it
    expect(auth.hint).toBe('database.postgres.auth fix'); // the noting finding's own group: no note was for it
    expect(results.some((r) => 'rootNotes' in r)).toBe(false);
    markRootCauses(results, new Map([['storage.s3.put', { dependsOn: ['storage.s3.bucket'] }]])); // again (the in-cluster merge): no second copy
    expect(bucket.hint).toBe('storage.s3.bucket fix. Note: the release runs with another bucket');
  });

  it('instances are keyed separately: one bad database does not explain the other', async () => {
    const r = (id: string, instance: string, c: string): CheckResult => ({ id, area: 'database', title: id, status: 'fail', message: '', docsUrl: '', durationMs: 0, instance, cause: c });
    const results = [r('database.postgres.connect', 'datacatalog', 'unreachable:a:5432'), r('database.postgres.connect', 'flyteadmin', 'unreachable:b:5432')];
    markRootCauses(results, new Map());
    expect(results.every((x) => x.rootCause && !x.explainedBy)).toBe(true);
  });
});

describe('grouping and fix provenance', () => {
  it('unreachable and wrong-service on one host:port are one fault', () => {
    const mk = (id: string, area: CheckResult['area'], c: string): CheckResult => ({ id, area, title: id, status: 'fail', message: id, docsUrl: '', durationMs: 0, cause: c });
    const results = [mk('database.postgres.connect', 'database', cause.wrongService('db.example:5432')), mk('flyte.deployments.ready', 'flyte', cause.unreachable('db.example:5432')), mk('storage.s3.endpoint', 'storage', cause.unreachable('db.example:9000'))];
    markRootCauses(results, new Map());
    expect(results[0]!.rootCause).toBe(true);
    expect(results[1]!.explainedBy).toBe('database.postgres.connect');
    expect(results[2]!.explainedBy).toBeUndefined();
  });
});

describe('skips are never root causes', () => {
  it('a check that skips on its own (nothing to check) explains nothing; its blocked dependents only say whom they wait for', async () => {
    const r = await run([
      fake('client.config.tls-mode', { status: 'skip', message: 'the admin endpoint is cluster-internal' }),
      fake('flyte.admin.grpc', { status: 'pass', message: 'ok' }, { dependsOn: ['client.config.tls-mode'] }),
    ]);
    expect(r['flyte.admin.grpc']!.status).toBe('skip');
    expect(r['flyte.admin.grpc']!.blockedBy).toBe('client.config.tls-mode');
    expect(r['flyte.admin.grpc']!.explainedBy).toBeUndefined();
    expect(r['client.config.tls-mode']!.rootCause).toBeUndefined();
  });
});

describe('layers', () => {
  it('the check that reads the backend\'s state explains the probes that see its symptoms', () => {
    const mk = (id: string, area: CheckResult['area']): CheckResult => ({ id, area, title: id, status: 'fail', message: id, docsUrl: '', durationMs: 0, cause: cause.backend('flyteadmin') });
    const results = [mk('flyte.admin.grpc', 'flyte'), mk('flyte.deployments.ready', 'flyte'), mk('flyte.services.endpoints', 'flyte'), mk('ingress.grpc.admin', 'ingress')];
    markRootCauses(results, new Map());
    expect(results.filter((r) => r.rootCause).map((r) => r.id)).toEqual(['flyte.deployments.ready']);
    expect(results.filter((r) => r.explainedBy === 'flyte.deployments.ready').map((r) => r.id)).toEqual(['flyte.admin.grpc', 'flyte.services.endpoints', 'ingress.grpc.admin']);
  });
});

describe('Kubernetes denials of one identity are one fault', () => {
  const mk = (id: string, status: CheckResult['status'], c: string): CheckResult => ({ id, area: 'kubernetes', title: id, status, message: id, docsUrl: '', durationMs: 0, cause: c });
  it('whatever resource each check met; a fail that depends on nothing of the group outranks a warn others depend on', () => {
    const results = [
      mk('kubernetes.namespace.exists', 'warn', cause.denied('kubernetes', 'restricted', 'get namespaces/flyte')),
      mk('kubernetes.objects.secrets', 'warn', cause.denied('kubernetes', 'restricted', 'get secrets in namespace flyte')),
      mk('kubernetes.rbac.install', 'fail', cause.denied('kubernetes', 'restricted', 'install flyte-binary')),
      mk('kubernetes.objects.ingressclass', 'warn', cause.denied('kubernetes', 'other-user', 'get ingressclasses.networking.k8s.io')),
    ];
    markRootCauses(results, new Map([['kubernetes.objects.secrets', { dependsOn: ['kubernetes.namespace.exists'] }]]));
    expect(results.filter((r) => r.rootCause).map((r) => r.id)).toEqual(['kubernetes.rbac.install']);
    expect(results[0]!.explainedBy).toBe('kubernetes.rbac.install');
    expect(results[1]!.explainedBy).toBe('kubernetes.rbac.install');
    expect(results[3]!.explainedBy).toBeUndefined(); // another identity: another fault
  });
  it('identities with colons (service accounts, user@host:port) keep apart', () => {
    const sa = (name: string, what: string) => cause.denied('kubernetes', `system:serviceaccount:flyte:${name}`, what);
    const results = [
      mk('flyte.rbac.runtime', 'fail', sa('flyte-binary', 'create pods')),
      mk('flyte.dataplane.components', 'warn', sa('flyte-binary', 'read')),
      mk('kubernetes.incluster.rbac', 'fail', sa('default', 'in-cluster run')),
      mk('flyte.dataplane.api', 'fail', cause.denied('kubernetes', 'admin@10.0.0.1:6443', 'discovery')),
      mk('flyte.dataplane.config', 'warn', cause.denied('kubernetes', 'admin@10.0.0.1:6443', 'get pods in namespace flyte')),
    ];
    markRootCauses(results, new Map());
    expect(results[1]!.explainedBy).toBe('flyte.rbac.runtime');
    expect(results[2]!.explainedBy).toBeUndefined();
    expect(results[2]!.rootCause).toBe(true);
    expect(results[4]!.explainedBy).toBe('flyte.dataplane.api');
  });
});

describe('one endpoint, one fault', () => {
  const mk = (id: string, c: string): CheckResult => ({ id, area: 'flyte', title: id, status: 'fail', message: id, docsUrl: '', durationMs: 0, cause: c });
  it('a name that does not resolve explains "unreachable" at any port of that name; plain text where TLS was asked is the wrong service', () => {
    const results = [
      mk('flyte.config.live', cause.unreachable(hostPortKey('db.missing.test', 5432))),
      { ...mk('dns.hosts.resolve', cause.dns('db.missing.test')), rootNotes: [] },
      mk('storage.s3.endpoint', cause.tls('plaintext', hostPortKey('minio.example', 9000))),
      mk('flyte.deployments.ready', cause.unreachable(hostPortKey('minio.example', 9000))),
      mk('database.postgres.connect', cause.unreachable(hostPortKey('other.example', 5432))),
    ];
    results[0]!.rootNotes = [{ cause: results[0]!.cause!, text: 'Note: the release runs with another host' }];
    markRootCauses(results, new Map());
    expect(results.filter((r) => r.rootCause).map((r) => r.id)).toEqual(['dns.hosts.resolve', 'storage.s3.endpoint', 'database.postgres.connect']);
    expect(results[0]!.explainedBy).toBe('dns.hosts.resolve');
    expect(results[1]!.hint).toContain('Note: the release runs with another host');
    expect(results[3]!.explainedBy).toBe('storage.s3.endpoint');
  });
});

describe('a guessed rejected login of an identity whose login works', () => {
  it('is the denial the probe found for that identity', () => {
    const mk = (id: string, c: string): CheckResult => ({ id, area: 'storage', title: id, status: 'fail', message: id, docsUrl: '', durationMs: 0, cause: c });
    const results = [mk('flyte.config.live', cause.credentials('s3', 'no…put')), mk('storage.s3.put', cause.denied('s3', 'no…put', 's3:PutObject')), mk('storage.s3.bucket', cause.credentials('s3', 'oth…key'))];
    markRootCauses(results, new Map());
    expect(results.filter((r) => r.rootCause).map((r) => r.id)).toEqual(['storage.s3.put', 'storage.s3.bucket']);
    expect(results[0]!.explainedBy).toBe('storage.s3.put');
  });
});

describe('two settings that disagree on a host', () => {
  const mk = (id: string, status: CheckResult['status'], c: string): CheckResult => ({ id, area: 'dns', title: id, status, message: id, docsUrl: '', durationMs: 0, cause: c });
  it('join the fault observed for either host, and stay apart when none is observed', () => {
    const a = [mk('client.config.endpoint', 'warn', cause.hostMismatch('flytex.test', 'flyte.test')), mk('dns.admin.resolve', 'fail', cause.dns('flytex.test'))];
    markRootCauses(a, new Map());
    expect(a[0]!.explainedBy).toBe('dns.admin.resolve');
    const b = [mk('client.config.endpoint', 'warn', cause.hostMismatch('flyte.test', 'flyte-x.test')), mk('dns.ingress.address', 'warn', cause.config('ingress.host=flyte-x.test'))];
    markRootCauses(b, new Map());
    expect(b[1]!.rootCause).toBe(true);
    expect(b[0]!.explainedBy).toBe('dns.ingress.address');
    const c = [mk('client.config.endpoint', 'warn', cause.hostMismatch('flyte.test', 'flyte-x.test')), mk('tls.admin.trust', 'fail', cause.tls('untrusted', 'flyte-xy.test:443'))];
    markRootCauses(c, new Map());
    expect(c[0]!.explainedBy).toBeUndefined();
    expect(c[0]!.rootCause).toBeUndefined();
  });
});
