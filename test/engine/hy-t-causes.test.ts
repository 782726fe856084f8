// Root causes of two faults that many checks meet (helper T): the run's time budget (checks the
// engine timed out, and findings of "no answer before the time was up" from a server that answered
// other checks of the same run), and no install of the chart in the namespace (the components and
// objects the chart would create there). Pure logic on markRootCauses.
import { describe, expect, it } from 'vitest';
import { cause, markRootCauses } from '../../src/engine/causes.js';
import type { CheckResult } from '../../src/engine/types.js';

const mk = (id: string, o: Partial<CheckResult> = {}): CheckResult => ({ id, area: id.split('.')[0] as CheckResult['area'], title: id, status: 'fail', message: `${id} message`, docsUrl: '', durationMs: 0, ...o });
const timedOut = (id: string, s = '0.3s') => mk(id, { status: 'error', messageId: 'timeout', message: `timed out after ${s}` });
const api = '127.0.0.1:16443';
const apiTimeout = (id: string) => mk(id, { messageId: 'apiUnreachable', cause: cause.unreachable(api), hint: 'check the API server and the network path', details: { kind: 'timeout', error: 'no answer before the time was up' }, message: `the API server https://${api} stopped answering` });
const apiAnswered = () => mk('kubernetes.api.reachable', { status: 'pass', message: `API server https://${api} answered (v1.33.13)`, details: { server: `https://${api}` } });
const roots = (rs: CheckResult[]) => rs.filter((r) => r.rootCause).map((r) => r.id);
const deps = new Map<string, { dependsOn?: string[] }>([
  ['kubernetes.namespace.exists', { dependsOn: ['kubernetes.api.reachable'] }],
  ['flyte.config.live', { dependsOn: ['kubernetes.namespace.exists'] }],
  ['flyte.rbac.runtime', { dependsOn: ['kubernetes.api.reachable', 'kubernetes.namespace.exists'] }],
]);

describe('the time budget: one fault, one root', () => {
  it('checks the engine timed out are one fault: one root, an engine timeout, whose fix names a longer --timeout', () => {
    const rs = [timedOut('tls.admin.handshake'), timedOut('client.config.tls-mode'), timedOut('ingress.http.api'), mk('database.postgres.auth', { status: 'pass', message: 'ok' })];
    markRootCauses(rs, deps);
    expect(roots(rs)).toEqual(['tls.admin.handshake']);
    expect(rs[1]!.explainedBy).toBe('tls.admin.handshake');
    expect(rs[2]!.explainedBy).toBe('tls.admin.handshake');
    expect(rs[0]!.hint).toContain('3 checks ran out of their time budget (0.3s each)');
    expect(rs[0]!.hint).toContain('--timeout 10s');
  });

  it('never suggests the --timeout that just ran out: 10s budgets suggest 30s', () => {
    const rs = [timedOut('ingress.grpc.admin', '10s'), timedOut('ingress.grpc.health', '10s')];
    markRootCauses(rs, deps);
    expect(rs.find((r) => r.rootCause)!.hint).toContain('--timeout 30s');
    expect(rs.find((r) => r.rootCause)!.hint).not.toContain('--timeout 10s');
  });

  it('a budget rounded to 0s is said as under 0.1s', () => {
    const rs = [timedOut('kubernetes.config.load', '0s'), timedOut('storage.s3.bucket', '0s')];
    markRootCauses(rs, deps);
    expect(rs[0]!.hint).toContain('(under 0.1s each)');
  });

  it('a single engine timeout is its own root with a fix (it had none)', () => {
    const rs = [timedOut('storage.s3.bucket', '3s'), mk('database.postgres.auth', { hint: 'h', cause: 'credentials:postgres:u' })];
    markRootCauses(rs, deps);
    expect(roots(rs)).toEqual(['storage.s3.bucket', 'database.postgres.auth']);
    expect(rs[0]!.hint).toMatch(/did not finish within its budget \(3s\).*--timeout 10s/);
    expect(rs[1]!.hint).toBe('h');
  });

  it('"no answer before the time was up" from an API server that answered another check of the run joins the time budget; the root stays an engine timeout', () => {
    const rs = [apiAnswered(), apiTimeout('kubernetes.namespace.exists'), apiTimeout('flyte.config.live'), timedOut('tls.admin.handshake'), timedOut('client.config.tls-mode')];
    markRootCauses(rs, deps);
    expect(roots(rs)).toEqual(['tls.admin.handshake']);
    for (const r of rs.slice(1)) if (r.id !== 'tls.admin.handshake') expect(r.explainedBy, r.id).toBe('tls.admin.handshake');
    expect(rs[3]!.hint).toContain(`while ${api} answered other checks of this run`);
    expect(rs[3]!.hint).toContain('--timeout 10s');
  });

  it('the same findings with only them and a passing API check: one root, the budget fix added to it', () => {
    const rs = [apiAnswered(), apiTimeout('kubernetes.namespace.exists'), apiTimeout('flyte.config.live')];
    markRootCauses(rs, deps);
    expect(roots(rs)).toEqual(['kubernetes.namespace.exists']);
    expect(rs[2]!.explainedBy).toBe('kubernetes.namespace.exists');
    expect(rs[1]!.hint).toContain('check the API server and the network path. 2 checks ran out of their time budget');
  });

  it('an API server that never answered in this run stays its own fault: no budget fix on it', () => {
    const rs = [apiTimeout('kubernetes.namespace.exists'), apiTimeout('flyte.config.live'), timedOut('tls.admin.handshake')];
    markRootCauses(rs, deps);
    expect(roots(rs).sort()).toEqual(['kubernetes.namespace.exists', 'tls.admin.handshake']);
    expect(rs[0]!.hint).toBe('check the API server and the network path');
    expect(rs[0]!.cause).toBe(cause.unreachable(api));
  });

  it('an endpoint group holding a finding that is not a timeout (refused) never joins the budget', () => {
    const refused = mk('flyte.config.live', { cause: cause.unreachable(api), details: { kind: 'refused' }, hint: 'r' });
    const rs = [apiAnswered(), apiTimeout('kubernetes.namespace.exists'), refused, timedOut('tls.admin.handshake'), timedOut('ingress.http.api')];
    markRootCauses(rs, deps);
    expect(roots(rs).sort()).toEqual(['kubernetes.namespace.exists', 'tls.admin.handshake']);
    expect(refused.explainedBy).toBe('kubernetes.namespace.exists');
  });
});

describe('no install of the chart in the namespace: what the chart would run and create is that fault', () => {
  const install = cause.object('flyte-install', 'flyte', 'flyte-core');
  it('the missing sync (backend:syncresources) and the missing ServiceAccount point at the missing install', () => {
    const rs = [
      mk('flyte.deployments.ready', { messageId: 'notInstalled', cause: install }),
      mk('flyte.services.endpoints', { cause: install }),
      mk('flyte.projects.namespaces', { messageId: 'missing', cause: cause.backend('syncresources') }),
      mk('flyte.rbac.runtime', { messageId: 'serviceAccountMissing', cause: cause.object('serviceaccount', 'flyte', 'flyteadmin') }),
    ];
    markRootCauses(rs, deps);
    expect(roots(rs)).toEqual(['flyte.deployments.ready']);
    for (const r of rs.slice(1)) expect(r.explainedBy, r.id).toBe('flyte.deployments.ready');
  });

  it('faults outside the install stay their own: another namespace\'s object, a non-Flyte backend, a cluster-scoped object', () => {
    const rs = [
      mk('flyte.deployments.ready', { cause: install }),
      mk('flyte.rbac.runtime', { cause: cause.object('serviceaccount', 'other', 'flyteadmin') }),
      mk('kubernetes.api.reachable', { cause: cause.backend('kube-apiserver') }),
      mk('flyte.webhook.configured', { cause: cause.object('clusterrolebinding', undefined, 'flyte-binding') }),
      mk('database.postgres.connect', { cause: cause.backend('postgres-behind-pooler:db:5432') }),
    ];
    markRootCauses(rs, deps);
    expect(roots(rs).sort()).toEqual(['database.postgres.connect', 'flyte.deployments.ready', 'flyte.rbac.runtime', 'flyte.webhook.configured', 'kubernetes.api.reachable']);
  });

  it('with the install found (no flyte-install fault), a missing sync stays its own root', () => {
    const rs = [mk('flyte.projects.namespaces', { cause: cause.backend('syncresources') }), mk('flyte.rbac.runtime', { cause: cause.object('serviceaccount', 'flyte', 'flyteadmin') })];
    markRootCauses(rs, deps);
    expect(roots(rs)).toEqual(['flyte.projects.namespaces', 'flyte.rbac.runtime']);
  });
});

describe('marking twice (the in-cluster merge marks the merged results again)', () => {
  it('the budget fix is added once', () => {
    const rs = [timedOut('tls.admin.handshake'), timedOut('client.config.tls-mode')];
    markRootCauses(rs, deps);
    const once = rs[0]!.hint;
    markRootCauses([...rs, timedOut('ingress.http.api')], deps);
    expect(rs[0]!.hint).toBe(once);
  });
});

describe('the --timeout suggested', () => {
  it('comes from the longest budget that ran out (a check with a short budget of its own does not bring it down to the --timeout given)', () => {
    const rs = [timedOut('dns.hosts.resolve', '2s'), timedOut('ingress.grpc.admin', '10s')];
    markRootCauses(rs, deps);
    const hint = rs.find((r) => r.rootCause)!.hint!;
    expect(hint).toContain('(up to 10s each)');
    expect(hint).toContain('--timeout 30s');
  });
});
