// flyte.projects.quota: the project-domain namespaces' ResourceQuotas and LimitRanges against one
// default task pod, on the test bed's kube-apiserver. The shared install's flytesnacks-* namespaces
// are only read; every broken case uses project `fdquota` (namespaces fdquota-development,
// fdquota-staging, fdquota-production) created and removed here, and a release namespace of its own
// (fd-quota-rel) for the cluster resource templates. There is no quota controller in the test bed:
// a quota's status.used is written here as kube-controller-manager would.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../../src/config/target.js';
import type { CheckResult } from '../../../src/engine/types.js';
import { evaluateNamespace, formatQuantity, limitRangeDefaults, milli, quotaApplies, type TaskPod } from '../../../checks/flyte/projects.quota.js';
import { fixturesDir, removeNamespace } from '../../infra/flyte-install.js';
import { createIfMissing, kubeCall } from '../../infra/kube.js';
import { runCheck } from '../../harness/run-check.js';
import { makeTarget } from '../../harness/target.js';
import { getTestbed } from '../../harness/testbed.js';

const ID = 'flyte.projects.quota';
const tb = () => getTestbed();
const api = () => ({ kube: { server: tb().kube.server, caFile: tb().kube.caFile }, token: tb().kube.tokens.admin });
const call = <T = any>(method: string, path: string, body?: unknown, ok?: (s: number) => boolean) => kubeCall<T>(api().kube, api().token, method, path, body, undefined, ok);
const del = (path: string) => call('DELETE', path, undefined, (s) => s < 300 || s === 404);

describe('quantities, exactly (resource.Quantity)', () => {
  it('suffixes, exponents, fractions, rounding up to thousandths; anything else is not a quantity', () => {
    const cases: [unknown, bigint | undefined][] = [
      ['100m', 100n], ['1', 1000n], ['0.5', 500n], ['.5', 500n], ['+1', 1000n], ['-1', -1000n], [2, 2000n], ['2.', 2000n],
      ['1Ki', 1024_000n], ['500Mi', 500n * 2n ** 20n * 1000n], ['1.5Gi', 3n * 2n ** 29n * 1000n], ['1Ei', 2n ** 60n * 1000n],
      ['1k', 1_000_000n], ['1M', 1_000_000_000n], ['1G', 10n ** 12n], ['2E', 2n * 10n ** 21n],
      ['1e3', 1_000_000n], ['1E3', 1_000_000n], ['1e+3', 1_000_000n], ['2E-1', 200n], ['5e-4', 1n], ['0.1m', 1n], ['1n', 1n], ['1500u', 2n],
      ['', undefined], ['abc', undefined], ['5MB', undefined], ['1.2.3', undefined], ['1e999', undefined], ['1 Gi', undefined], ['Gi', undefined],
      [null, undefined], [{}, undefined], ['9'.repeat(80), undefined],
    ];
    for (const [q, want] of cases) expect(milli(q), JSON.stringify(q)).toBe(want);
    expect(formatQuantity(100n, 'cpu')).toBe('100m');
    expect(formatQuantity(2000n, 'cpu')).toBe('2');
    expect(formatQuantity(500n * 2n ** 20n * 1000n, 'memory')).toBe('500Mi');
    expect(formatQuantity(2n ** 31n * 1000n, 'memory')).toBe('2Gi');
    expect(formatQuantity(1500n * 10n ** 6n * 1000n, 'memory')).toBe('1430.51Mi');
  });
});

describe('the admission rules, on objects as the API returns them', () => {
  const pod = (cpu?: string, memory?: string): TaskPod => {
    const p: TaskPod = { requests: {}, limits: {}, source: {} };
    if (cpu) { p.requests.cpu = milli(cpu)!; p.limits.cpu = milli(cpu)!; }
    if (memory) { p.requests.memory = milli(memory)!; p.limits.memory = milli(memory)!; }
    return p;
  };
  const quota = (name: string, hard: Record<string, string>, used?: Record<string, string>, spec: Record<string, unknown> = {}) =>
    ({ metadata: { name }, spec: { hard, ...spec }, ...(used ? { status: { hard, used } } : {}) });

  it('quota scopes: a task pod has requests, no deadline and no priority class', () => {
    expect(quotaApplies({ scopes: ['BestEffort'] }).applies).toBe(false);
    expect(quotaApplies({ scopes: ['NotBestEffort', 'NotTerminating'] }).applies).toBe(true);
    expect(quotaApplies({ scopes: ['Terminating'] }).applies).toBe(false);
    expect(quotaApplies({ scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } }).applies).toBe(false);
    expect(quotaApplies({ scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'NotIn', values: ['high'] }] } }).applies).toBe(true);
    expect(evaluateNamespace('n', pod('2', '1Gi'), [quota('be', { 'requests.cpu': '1' }, { 'requests.cpu': '0' }, { scopes: ['BestEffort'] })], [])).toEqual([]);
  });

  it('hard below the pod, remaining below the pod, the pods count, unknown status, must-specify, and what does not count', () => {
    const f = (q: unknown[], lr: unknown[] = [], p = pod('500m', '512Mi')) => evaluateNamespace('ns1', p, q, lr).map((x) => `${x.kind} ${x.key}`);
    expect(f([quota('q', { 'limits.memory': '256Mi' }, { 'limits.memory': '0' })])).toEqual(['too-small limits.memory']);
    expect(f([quota('q', { memory: '1Gi' }, { memory: '600Mi' })])).toEqual(['exhausted memory']);
    expect(f([quota('q', { memory: '1Gi' }, { memory: '512Mi' })])).toEqual([]); // exactly fits
    expect(f([quota('q', { pods: '3' }, { pods: '3' })])).toEqual(['exhausted pods']);
    expect(f([quota('q', { 'count/pods': '0' }, { 'count/pods': '0' })])).toEqual(['too-small count/pods']);
    expect(f([quota('q', { 'requests.cpu': '4' })])).toEqual(['status-unknown requests.cpu']);
    expect(f([quota('q', { 'requests.cpu': '4', services: '1', 'requests.nvidia.com/gpu': '0', 'requests.ephemeral-storage': '1Gi' }, { 'requests.cpu': '0', services: '1' })])).toEqual([]);
    expect(f([quota('q', { 'limits.cpu': '4' }, { 'limits.cpu': '0' })], [], pod(undefined, '512Mi'))).toEqual(['requires-unset limits.cpu']);
    const text = evaluateNamespace('ns1', pod('500m', '512Mi'), [quota('q', { 'limits.memory': '256Mi' }, { 'limits.memory': '0' })], [])[0]!.text;
    expect(text).toBe('ResourceQuota ns1/q: hard limits.memory 256Mi is below one default task pod\'s 512Mi: no task without its own resources can ever run there (pods are refused: "exceeded quota: q, requested: limits.memory=512Mi, used: …, limited: limits.memory=256Mi")');
  });

  it('LimitRanges: max, min, defaults filling what the task resources leave unset (before the quota counts)', () => {
    const lr = (limits: unknown[]) => ({ metadata: { name: 'lr' }, spec: { limits } });
    const f = (q: unknown[], l: unknown[], p = pod('500m', '512Mi')) => evaluateNamespace('ns1', p, q, l).map((x) => `${x.kind} ${x.key}`);
    expect(f([], [lr([{ type: 'Container', max: { memory: '256Mi' } }])])).toEqual(['lr-max max.memory']);
    expect(f([], [lr([{ type: 'Pod', min: { cpu: '1' } }])])).toEqual(['lr-min min.cpu']);
    expect(f([], [lr([{ type: 'PersistentVolumeClaim', max: { storage: '1Gi' } }])])).toEqual([]);
    expect(f([], [lr([{ type: 'Container', max: { cpu: '2' } }])], pod(undefined, '512Mi'))).toEqual(['requires-unset max.cpu']);
    // a LimitRange default gives the pod a cpu the task defaults leave unset: the quota then counts it
    const withDefault = lr([{ type: 'Container', default: { cpu: '300m' }, defaultRequest: { cpu: '100m' } }]);
    expect(limitRangeDefaults([withDefault])).toEqual({ requests: { cpu: 100n }, limits: { cpu: 300n } });
    expect(f([quota('q', { 'requests.cpu': '1', 'limits.cpu': '250m' }, { 'requests.cpu': '0', 'limits.cpu': '0' })], [withDefault], pod(undefined, '512Mi'))).toEqual(['too-small limits.cpu']);
    expect(f([quota('q', { 'requests.cpu': '1' }, { 'requests.cpu': '0' })], [withDefault], pod(undefined, '512Mi'))).toEqual([]);
  });

  it('values a misbehaving server returns are findings, not crashes', () => {
    const odd = [{ metadata: { name: 'odd' }, spec: { hard: { 'requests.cpu': 'lots' } }, status: { hard: { 'requests.cpu': 'lots' }, used: { 'requests.cpu': '0' } } }, { metadata: {}, spec: 'x' }, null, 7];
    expect(evaluateNamespace('ns1', pod('1', '1Gi'), odd, [{ metadata: { name: 'l' }, spec: { limits: [{ type: 'Container', max: { cpu: [] } }, 'x'] } }]).map((x) => x.kind)).toEqual(['unparsable', 'unparsable']);
  });
});

const PROJECT = 'fdquota';
const NS = ['fdquota-development', 'fdquota-staging', 'fdquota-production'];
const REL = 'fd-quota-rel';

describe.sequential('flyte.projects.quota against the test bed', () => {
  const target = (over: Partial<Target> = {}, context = 'admin'): Target =>
    makeTarget({ chart: 'flyte-binary', projects: [PROJECT], ...over, kubernetes: { kubeconfigPath: tb().kube.kubeconfig, context, namespace: REL, release: 'fdq', ...(over.kubernetes ?? {}) } } as never);
  const created: string[] = [];
  const put = async (ns: string, kind: 'resourcequotas' | 'limitranges', obj: Record<string, any>, status?: Record<string, unknown>) => {
    const base = `/api/v1/namespaces/${ns}/${kind}`;
    await del(`${base}/${obj.metadata.name}`);
    await createIfMissing(api().kube, api().token, base, obj);
    created.push(`${base}/${obj.metadata.name}`);
    if (status) {
      const cur = await call<Record<string, any>>('GET', `${base}/${obj.metadata.name}`);
      await call('PUT', `${base}/${obj.metadata.name}/status`, { ...cur, status });
    }
  };
  const run = async (t: Target): Promise<CheckResult> => (await runCheck(ID, t)).result;
  const valuesDefaults = (cpu: string | undefined, memory: string | undefined): Partial<Target> => ({
    taskResourceDefaults: { ...(cpu !== undefined ? { cpu } : {}), ...(memory !== undefined ? { memory } : {}) },
    provenance: { ...(cpu !== undefined ? { 'taskResourceDefaults.cpu': 'values.yaml: configuration.inline.task_resources.defaults.cpu' } : {}), ...(memory !== undefined ? { 'taskResourceDefaults.memory': 'values.yaml: configuration.inline.task_resources.defaults.memory' } : {}) },
  });

  beforeAll(async () => {
    for (const n of [...NS, REL]) await removeNamespace(tb(), n);
  });
  afterEach(async () => {
    for (const p of created.splice(0)) await del(p);
  });
  afterAll(async () => {
    for (const n of [...NS, REL]) await removeNamespace(tb(), n);
  });

  it('the shared install: the flytesnacks namespaces have no quota, a default task pod is admitted', async () => {
    const r = await run(makeTarget({ chart: 'flyte-binary', kubernetes: { kubeconfigPath: tb().kube.kubeconfig, context: 'admin', namespace: 'flyte', release: 'flyte' } } as never));
    expect(r).toMatchObject({ status: 'pass', messageId: 'fits' });
    expect(r.message).toContain("cpu 2 (flyteadmin's built-in default, configuration.inline.task_resources.defaults.cpu is not set), memory 200Mi");
    expect(r.details!.namespaces).toEqual(['flytesnacks-development', 'flytesnacks-staging', 'flytesnacks-production']);
  });

  it('no project namespace exists yet: skip (flyte.projects.namespaces reports it)', async () => {
    const r = await run(target());
    expect(r).toMatchObject({ status: 'skip', messageId: 'noNamespaces' });
    expect(r.message).toContain('fdquota-development');
  });

  it('the values\' defaults are not quantities: fail naming the key and where it is set', async () => {
    const r = await run(target(valuesDefaults('500m', '500MB')));
    expect(r).toMatchObject({ status: 'fail', messageId: 'defaultsInvalid', cause: 'config:configuration.inline.task_resources.defaults.memory' });
    expect(r.message).toContain('the default task memory "500MB" (values.yaml: configuration.inline.task_resources.defaults.memory) is not a Kubernetes quantity');
    expect(r.hint).toBe('set configuration.inline.task_resources.defaults.memory: 512Mi in values.yaml');
  });

  describe.sequential('with the fdquota namespaces', () => {
    beforeAll(async () => {
      for (const n of [...NS.slice(0, 2), REL]) await createIfMissing(api().kube, api().token, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } });
    });

    it('healthy: a quota with room and a LimitRange around the defaults; the missing namespace is said', async () => {
      await put(NS[0]!, 'resourcequotas', { metadata: { name: 'project-quota' }, spec: { hard: { 'limits.cpu': '4', 'limits.memory': '3000Mi' } } }, { hard: { 'limits.cpu': '4', 'limits.memory': '3000Mi' }, used: { 'limits.cpu': '1', 'limits.memory': '1Gi' } });
      await put(NS[1]!, 'limitranges', { metadata: { name: 'bounds' }, spec: { limits: [{ type: 'Container', max: { cpu: '4', memory: '4Gi' }, min: { cpu: '10m', memory: '16Mi' } }] } });
      const r = await run(target(valuesDefaults('500m', '1Gi')));
      expect(r).toMatchObject({ status: 'pass', messageId: 'fits' });
      expect(r.message).toBe('a default task pod (cpu 500m (values.yaml: configuration.inline.task_resources.defaults.cpu), memory 1Gi (values.yaml: configuration.inline.task_resources.defaults.memory)) is admitted in 2 project namespace(s) (fdquota-development, fdquota-staging): 1 ResourceQuota(s), 1 LimitRange(s); 1 namespace(s) do not exist yet');
    });

    it('a quota whose hard limit is below one task: fail naming the namespace, the quota, the numbers, the values key and the edit command', async () => {
      await put(NS[0]!, 'resourcequotas', { metadata: { name: 'project-quota' }, spec: { hard: { 'limits.cpu': '4', 'limits.memory': '256Mi' } } }, { hard: { 'limits.cpu': '4', 'limits.memory': '256Mi' }, used: { 'limits.cpu': '0', 'limits.memory': '0' } });
      const r = await run(target(valuesDefaults('500m', '1Gi')));
      expect(r).toMatchObject({ status: 'fail', messageId: 'quotaTooSmall', cause: 'object:resourcequota/fdquota-development/project-quota' });
      expect(r.message).toContain('ResourceQuota fdquota-development/project-quota: hard limits.memory 256Mi is below one default task pod\'s 1Gi');
      expect(r.message).toContain('memory 1Gi (values.yaml: configuration.inline.task_resources.defaults.memory)');
      expect(r.hint).toContain('raise hard limits.memory of the quota to at least 1Gi (one task; more for tasks in parallel)');
      expect(r.hint).toContain('--context admin -n fdquota-development edit resourcequota project-quota');
      expect(r.hint).toContain('set configuration.inline.task_resources.defaults.memory: 256Mi in values.yaml');
    });

    it('the quota comes from Flyte\'s cluster resource templates (flyte-core): the fix is the template, which the sync re-applies', async () => {
      const cm = parseAllDocuments(readFileSync(join(fixturesDir(), 'eks__flyte_helm_generated.yaml'), 'utf8')).map((d) => d.toJS()).find((o) => o?.kind === 'ConfigMap' && o.metadata.name === 'clusterresource-template');
      await del(`/api/v1/namespaces/${REL}/configmaps/clusterresource-template`);
      await createIfMissing(api().kube, api().token, `/api/v1/namespaces/${REL}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'clusterresource-template', namespace: REL }, data: cm.data });
      created.push(`/api/v1/namespaces/${REL}/configmaps/clusterresource-template`);
      await put(NS[1]!, 'resourcequotas', { metadata: { name: 'project-quota' }, spec: { hard: { 'limits.cpu': '50m', 'limits.memory': '3000Mi' } } }, { hard: { 'limits.cpu': '50m', 'limits.memory': '3000Mi' }, used: { 'limits.cpu': '0', 'limits.memory': '0' } });
      const r = await run(target({ chart: 'flyte-core', taskResourceDefaults: { cpu: '100m', memory: '500Mi' }, provenance: { 'taskResourceDefaults.cpu': 'chart default', 'taskResourceDefaults.memory': 'chart default' } }));
      expect(r).toMatchObject({ status: 'fail', messageId: 'quotaTooSmall', cause: 'object:resourcequota/fdquota-staging/project-quota' });
      expect(r.message).toContain('hard limits.cpu 50m is below one default task pod\'s 100m');
      expect(r.message).toContain('cpu 100m (the chart default)');
      expect(r.hint).toContain(`it comes from Flyte's cluster resource template ab_project_resource_quota.yaml (ConfigMap ${REL}/clusterresource-template), which the sync re-applies`);
      expect(r.hint).toContain('cluster_resource_manager.customData');
      expect(r.hint).toContain('set configmap.task_resource_defaults.task_resources.defaults.cpu: 50m');
    });

    it('a full quota: warn with what remains, and how to see what uses it', async () => {
      await put(NS[0]!, 'resourcequotas', { metadata: { name: 'busy' }, spec: { hard: { 'requests.cpu': '4', pods: '10' } } }, { hard: { 'requests.cpu': '4', pods: '10' }, used: { 'requests.cpu': '3900m', pods: '4' } });
      const r = await run(target(valuesDefaults('500m', '1Gi')));
      expect(r).toMatchObject({ status: 'warn', messageId: 'quotaExhausted', cause: 'object:resourcequota/fdquota-development/busy' });
      expect(r.message).toContain('ResourceQuota fdquota-development/busy: requests.cpu used 3900m of 4, the remaining 100m cannot admit one default task pod (500m)');
      expect(r.hint).toContain('describe resourcequota busy');
    });

    it('a quota the quota controller has not computed: warn (the API server refuses pods until it has)', async () => {
      await put(NS[0]!, 'resourcequotas', { metadata: { name: 'fresh' }, spec: { hard: { 'requests.memory': '10Gi' } } });
      const r = await run(target(valuesDefaults('500m', '1Gi')));
      expect(r).toMatchObject({ status: 'warn', messageId: 'quotaStatusUnknown' });
      expect(r.message).toContain('status unknown for quota: fresh');
      expect(r.hint).toContain('kube-controller-manager');
    });

    it('a quota that requires a cpu the defaults leave unset (cpu: 0): fail with the values key, unless a LimitRange default fills it', async () => {
      await put(NS[0]!, 'resourcequotas', { metadata: { name: 'needs-cpu' }, spec: { hard: { 'requests.cpu': '4' } } }, { hard: { 'requests.cpu': '4' }, used: { 'requests.cpu': '0' } });
      const r = await run(target(valuesDefaults('0', '1Gi')));
      expect(r).toMatchObject({ status: 'fail', messageId: 'requiresUnset', cause: 'object:resourcequota/fdquota-development/needs-cpu' });
      expect(r.message).toContain('must specify requests.cpu');
      expect(r.hint).toContain('set configuration.inline.task_resources.defaults.cpu: 500m in values.yaml');
      await put(NS[0]!, 'limitranges', { metadata: { name: 'defaults' }, spec: { limits: [{ type: 'Container', default: { cpu: '200m' }, defaultRequest: { cpu: '100m' } }] } });
      const ok = await run(target(valuesDefaults('0', '1Gi')));
      expect(ok).toMatchObject({ status: 'pass', messageId: 'fits' });
    });

    it('LimitRange max below and min above the defaults: fail naming the LimitRange, the bound and the default', async () => {
      await put(NS[1]!, 'limitranges', { metadata: { name: 'small' }, spec: { limits: [{ type: 'Container', max: { memory: '128Mi' } }] } });
      const r = await run(target(valuesDefaults('500m', '1Gi')));
      expect(r).toMatchObject({ status: 'fail', messageId: 'limitRangeMaxBelow', cause: 'object:limitrange/fdquota-staging/small' });
      expect(r.message).toContain('LimitRange fdquota-staging/small: Container max memory 128Mi is below the default task memory 1Gi');
      expect(r.hint).toContain('edit limitrange small');
      expect(r.hint).toContain('set configuration.inline.task_resources.defaults.memory: 128Mi in values.yaml');
      await put(NS[1]!, 'limitranges', { metadata: { name: 'small' }, spec: { limits: [{ type: 'Container', min: { cpu: '3' } }] } });
      const m = await run(target()); // no defaults in the values: flyteadmin's built-in cpu 2
      expect(m).toMatchObject({ status: 'fail', messageId: 'limitRangeMinAbove' });
      expect(m.message).toContain('Container min cpu 3 is above the default task cpu 2');
      expect(m.message).toContain("flyteadmin's built-in default, configuration.inline.task_resources.defaults.cpu is not set");
      expect(m.hint).toContain('set configuration.inline.task_resources.defaults.cpu: 3');
    });

    it('several problems: the worst leads, the others follow', async () => {
      await put(NS[0]!, 'resourcequotas', { metadata: { name: 'fresh' }, spec: { hard: { 'requests.memory': '10Gi' } } });
      await put(NS[1]!, 'resourcequotas', { metadata: { name: 'tiny' }, spec: { hard: { pods: '0' } } }, { hard: { pods: '0' }, used: { pods: '0' } });
      const r = await run(target(valuesDefaults('500m', '1Gi')));
      expect(r.messageId).toBe('quotaTooSmall');
      expect(r.message).toMatch(/^ResourceQuota fdquota-staging\/tiny: hard pods 0 is below one default task pod's 1: .*; also: ResourceQuota fdquota-development\/fresh has no computed usage/);
      expect((r.details!.findings as unknown[]).length).toBe(2);
      expect(r.hint).toContain('raise hard pods of the quota to at least 1 (one task');
      expect(r.hint).not.toContain('task_resources'); // a pods quota is not about the task resources
    });

    it('the restricted user may not read the project namespaces: a warning, not a failure', async () => {
      const r = await run(target({}, 'restricted'));
      expect(r).toMatchObject({ status: 'warn', messageId: 'apiForbidden' });
      expect(r.message).toContain('fdquota-');
    });
  });
});
