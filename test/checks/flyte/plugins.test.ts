// Issue 14, plugins and connectors: flyte.plugins.crds against the test bed's kube-apiserver. No
// operator runs here: this file loads the Spark operator's CRD (sparkapplications.sparkoperator.k8s.io)
// and the Kubeflow PyTorchJob CRD itself, creates an operator Deployment in its own namespace
// (fd-plg) and writes its status as the deployment controller would, and removes all of it at the end.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED_FIXTURES } from '../../harness/fixtures.js';
import { loadTarget } from '../../../src/config/load.js';
import type { Target } from '../../../src/config/target.js';
import { cause } from '../../../src/engine/causes.js';
import type { CheckResult } from '../../../src/engine/types.js';
import { connectorService, imageReferenceProblem } from '../../../src/flyte/backend-plugins.js';
import { runCheck } from '../../harness/run-check.js';
import { getTestbed } from '../../harness/testbed.js';
import { removeNamespace } from '../../infra/flyte-install.js';
import { createIfMissing, kubeCall, kubeRequest } from '../../infra/kube.js';

const ID = 'flyte.plugins.crds';
const FIX = join(SHARED_FIXTURES, 'flyte-values');
const NS = 'fd-plg';
const tb = () => getTestbed();
const admin = () => ({ server: tb().kube.server, caFile: tb().kube.caFile });
const tok = () => tb().kube.tokens.admin;
const dir = mkdtempSync(join(tmpdir(), 'fd-plg-'));
mkdirSync(join(dir, 'home'));
let n = 0;
const file = (values: unknown): string => { const f = `values-${n++}.yaml`; writeFileSync(join(dir, f), stringify(values)); return f; };
const target = (values: unknown[]): Target => loadTarget({ values: values.map(file), set: [], env: {}, cwd: dir, home: join(dir, 'home'), kubeconfig: tb().kube.kubeconfig, context: 'admin', namespace: NS } as Parameters<typeof loadTarget>[0]);
const fixture = (f: string): Target => loadTarget({ values: [join(FIX, f)], set: [], env: {}, cwd: dir, home: join(dir, 'home'), namespace: 'flyte' } as Parameters<typeof loadTarget>[0]);
const run = async (t: Target, phase: 'preflight' | 'verify' = 'preflight'): Promise<CheckResult> => (await runCheck(ID, t, { phase })).result;
const ok = (s: number) => s < 300 || s === 404;
const binary = (plugins: string[], extra: Record<string, unknown> = {}) => ({
  configuration: { database: { host: 'db.fdplg.test' }, ...((extra['configuration'] as object | undefined) ?? {}) },
  enabled_plugins: { tasks: { 'task-plugins': { 'enabled-plugins': plugins, 'default-for-task-types': { container: 'container', ...((extra['defaults'] as object | undefined) ?? {}) } } } },
  ...(extra['flyteconnector'] ? { flyteconnector: extra['flyteconnector'] } : {}),
});

const CRDS = [['sparkapplications', 'SparkApplication', 'sparkoperator.k8s.io', 'v1beta2'], ['pytorchjobs', 'PyTorchJob', 'kubeflow.org', 'v1']] as const;
const crdPath = (plural: string, group: string) => `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${plural}.${group}`;

async function installCrd(i: number): Promise<void> {
  const [plural, kind, group, version] = CRDS[i]!;
  await createIfMissing(admin(), tok(), '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
    // *.k8s.io groups are protected: the spark operator's own CRD carries this annotation too
    metadata: { name: `${plural}.${group}`, ...(group.endsWith('.k8s.io') ? { annotations: { 'api-approved.kubernetes.io': 'unapproved, experimental-only' } } : {}) },
    spec: { group, scope: 'Namespaced', names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [{ name: version, served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const r = await kubeRequest<{ status?: { conditions?: { type: string; status: string }[] } }>(admin(), tok(), 'GET', crdPath(plural, group));
    if (r.body.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`${plural}.${group} not Established within 30 s`);
}

async function removeCrds(): Promise<void> {
  for (const [plural, , group] of CRDS) await kubeCall(admin(), tok(), 'DELETE', crdPath(plural, group), undefined, undefined, ok);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if ((await Promise.all(CRDS.map(([p, , g]) => kubeRequest(admin(), tok(), 'GET', crdPath(p, g))))).every((r) => r.status === 404)) return;
    await new Promise((res) => setTimeout(res, 200));
  }
}

async function deployment(name: string, labels: Record<string, string>, readyReplicas: number): Promise<void> {
  const coll = `/apis/apps/v1/namespaces/${NS}/deployments`;
  await kubeCall(admin(), tok(), 'DELETE', `${coll}/${name}`, undefined, undefined, ok);
  await kubeCall(admin(), tok(), 'POST', coll, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: NS, labels },
    spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'ghcr.io/example/operator:v1' }] } } } });
  // what the deployment controller (not running on the bed) would write
  await kubeCall(admin(), tok(), 'PATCH', `${coll}/${name}/status`, { status: { replicas: 1, readyReplicas, availableReplicas: readyReplicas, observedGeneration: 1 } }, 'application/merge-patch+json');
}

beforeAll(async () => {
  await removeCrds();
  await createIfMissing(admin(), tok(), '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
}, 60_000);
afterAll(async () => {
  await removeCrds();
  await removeNamespace(tb(), NS);
}, 90_000);

describe('fixtures and helpers', () => {
  it('fixtures: enabled plugins, the key they are read from, connector routing and the CoPilot image', () => {
    const eks = fixture('flyte-binary__eks-starter.yaml').backendPlugins!;
    expect(eks).toMatchObject({ key: 'configuration.inline.tasks.task-plugins.enabled-plugins', enabled: ['container', 'sidecar', 'k8s-array', 'connector-service', 'echo'] });
    expect(eks.written).toContain('K8S-ARRAY');
    expect(eks.connector).toMatchObject({ endpoint: 'k8s://flyteconnector.flyte:8000', deployed: false, service: { name: 'flyteconnector', namespace: 'flyte', port: 8000 } });
    const umbrella = fixture('flyte__values.yaml').backendPlugins!;
    expect(umbrella.connector!.taskTypes).toEqual(['sensor']);
    expect(fixture('flyte-core__values-keycloak-idp-flyteclients-without-browser.yaml').backendPlugins!.copilot).toMatchObject({ image: 'cr.flyte.org/flyteorg/flytecopilot:v0.0.24', key: 'configmap.copilot.plugins.k8s.co-pilot.image' });
    expect(fixture('flyte-core__deploy-flyte-aws-values-eks-core.yaml').backendPlugins!.enabled).toEqual(['container', 'sidecar', 'k8s-array', 'agent-service']);
    expect(fixture('flyte-core__values.yaml').backendPlugins!.operatorFlags).toEqual([{ key: 'sparkoperator.enabled', plugin: 'spark', enabled: false }, { key: 'daskoperator.enabled', plugin: 'dask', enabled: false }]);
  });

  it('image references and connector endpoints', () => {
    expect(imageReferenceProblem('cr.flyte.org/flyteorg/flytecopilot:v1.16.8')).toBeUndefined();
    expect(imageReferenceProblem('localhost:5000/a/b@sha256:' + 'a'.repeat(64))).toBeUndefined();
    expect(imageReferenceProblem('cr.flyte.org/flyteorg/FlyteCopilot:v1')).toContain('path component "FlyteCopilot"');
    expect(imageReferenceProblem('cr.flyte.org/flyteorg/flytecopilot:')).toContain('tag after ":" is empty');
    expect(imageReferenceProblem('cr.flyte.org/flyteorg/flytecopilot:v1 ')).toBeUndefined();
    expect(imageReferenceProblem('cr.flyte.org/flyteorg/flytecopilot :v1')).toContain('whitespace');
    expect(connectorService('dns:///my-connector.tools.svc.cluster.local:8000', 'flyte')).toEqual({ name: 'my-connector', namespace: 'tools', port: 8000 });
    expect(connectorService('dns:///connector.example.com:443', 'flyte')).toBeUndefined();
  });
});

describe.sequential('flyte.plugins.crds against the bed', () => {
  it('only built-in plugins (the chart default): pass; connector-service with nothing routed to it: nothing to check', async () => {
    const r = await run(target([binary(['container', 'sidecar', 'k8s-array', 'connector-service'])]));
    expect(r).toMatchObject({ status: 'pass', messageId: 'connectorUnused' });
    const plain = await run(target([binary(['container', 'sidecar'])]));
    expect(plain).toMatchObject({ status: 'pass', messageId: 'noOperatorPlugins' });
    expect(plain.message).toContain('CoPilot image cr.flyte.org/flyteorg/flytecopilot:v1.16.8');
  });

  it('spark enabled, its CRD missing: fail naming the operator to install and the key to edit', async () => {
    const r = await run(target([binary(['container', 'spark'])]));
    expect(r).toMatchObject({ status: 'fail', messageId: 'crdMissing', cause: cause.object('apigroup', undefined, 'sparkoperator.k8s.io') });
    expect(r.message).toContain('the spark plugin is enabled (enabled_plugins.tasks.task-plugins.enabled-plugins) but CRD sparkapplications.sparkoperator.k8s.io does not exist');
    expect(r.hint).toContain('helm install spark-operator spark-operator --repo https://kubeflow.github.io/spark-operator');
    expect(r.hint).toContain('remove `spark` from `enabled_plugins.tasks.task-plugins.enabled-plugins`');
    const all = await run(target([binary([], { defaults: {} })].map((v) => ({ ...v, enabled_plugins: { tasks: { 'task-plugins': { 'enabled-plugins': [], 'default-for-task-types': {} } } } }))));
    expect(all).toMatchObject({ status: 'warn', messageId: 'allEnabled', cause: cause.config('enabled_plugins.tasks.task-plugins.enabled-plugins') });
    expect(all.message).toContain('spark (sparkapplications.sparkoperator.k8s.io)');
    const pt = await run(target([binary(['container', 'pytorch'])]));
    expect(pt).toMatchObject({ status: 'fail', messageId: 'crdMissing' });
    expect(pt.hint).toContain('kubeflow/training-operator');
  });

  it('with the CRDs (loaded by this test): preflight passes; verify looks for the operator (not found, not ready, ready)', async () => {
    await installCrd(0);
    await installCrd(1);
    // kubeflow.org is served (PyTorchJob) but TFJob's CRD is missing: keyed by the CRD, not the group
    const tf = await run(target([binary(['container', 'tensorflow'])]));
    expect(tf).toMatchObject({ status: 'fail', messageId: 'crdMissing', cause: cause.object('customresourcedefinition', undefined, 'tfjobs.kubeflow.org') });
    const pre = await run(target([binary(['container', 'spark', 'pytorch'])]));
    expect(pre).toMatchObject({ status: 'pass', messageId: 'ready' });
    expect(pre.message).toContain('spark: sparkapplications.sparkoperator.k8s.io Established');

    const notFound = await run(target([binary(['container', 'spark'])]), 'verify');
    expect(notFound).toMatchObject({ status: 'warn', messageId: 'operatorNotFound' });
    expect(notFound.message).toContain('no Deployment labelled app.kubernetes.io/name=spark-operator');

    await deployment('fd-plg-spark-operator', { 'app.kubernetes.io/name': 'spark-operator' }, 0);
    const notReady = await run(target([binary(['container', 'spark'])]), 'verify');
    expect(notReady).toMatchObject({ status: 'fail', messageId: 'operatorNotReady', cause: cause.backend('Spark operator (kubeflow/spark-operator)') });
    expect(notReady.message).toContain(`${NS}/fd-plg-spark-operator has no ready replica`);

    await deployment('fd-plg-spark-operator', { 'app.kubernetes.io/name': 'spark-operator' }, 1);
    const ready = await run(target([binary(['container', 'spark'])]), 'verify');
    expect(ready).toMatchObject({ status: 'pass', messageId: 'ready' });
    expect(ready.message).toContain(`${NS}/fd-plg-spark-operator ready`);
  });

  it('a CRD being deleted: fail with its state', async () => {
    // a finalizer of this test keeps it Terminating
    const p = crdPath('pytorchjobs', 'kubeflow.org');
    await kubeCall(admin(), tok(), 'PATCH', p, { metadata: { finalizers: ['fd-plg.test/hold'] } }, 'application/merge-patch+json');
    await kubeCall(admin(), tok(), 'DELETE', p, undefined, undefined, ok);
    try {
      const r = await run(target([binary(['container', 'pytorch'])]));
      expect(r).toMatchObject({ status: 'fail', messageId: 'crdNotReady' });
      expect(r.message).toContain('pytorchjobs.kubeflow.org (the pytorch plugin) is being deleted');
    } finally {
      await kubeCall(admin(), tok(), 'PATCH', p, { metadata: { finalizers: null } }, 'application/merge-patch+json', ok);
    }
  });

  it('connector: a task type routed to connector-service whose Service is missing fails; with the Service and the Deployment ready it passes', async () => {
    const vals = binary(['container', 'connector-service'], { defaults: { bigquery_query_job_task: 'connector-service' }, configuration: { connectorService: { defaultConnector: { endpoint: `k8s://fd-plg-connector.${NS}:8000` } } } });
    const missing = await run(target([vals]));
    expect(missing).toMatchObject({ status: 'fail', messageId: 'connectorMissing', cause: cause.object('service', NS, 'fd-plg-connector') });
    expect(missing.message).toContain('task types bigquery_query_job_task are routed to it');
    await kubeCall(admin(), tok(), 'POST', `/api/v1/namespaces/${NS}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'fd-plg-connector', namespace: NS }, spec: { ports: [{ name: 'grpc', port: 8000 }] } });
    expect(await run(target([vals]))).toMatchObject({ status: 'pass', messageId: 'ready' });
    const deployed = { ...vals, flyteconnector: { enabled: true } };
    const noDeploy = await run(target([deployed]), 'verify');
    expect(noDeploy).toMatchObject({ status: 'fail', messageId: 'connectorMissing', cause: cause.object('deployment', NS, 'fd-plg-connector') });
    await deployment('fd-plg-connector', { 'app.kubernetes.io/name': 'flyteconnector' }, 1);
    expect(await run(target([deployed]), 'verify')).toMatchObject({ status: 'pass', messageId: 'ready' });
  });

  it('default-for-task-types naming a plugin that is not enabled: propeller would not start', async () => {
    const r = await run(target([binary(['container', 'sidecar'], { defaults: { container_array: 'k8s-array' } })]));
    expect(r).toMatchObject({ status: 'fail', messageId: 'defaultNotEnabled', cause: cause.config('enabled_plugins.tasks.task-plugins.default-for-task-types') });
    expect(r.message).toContain('cannot set default plugin [k8s-array] for task types [container_array]');
    expect(r.hint).toBe('add `k8s-array` to `enabled_plugins.tasks.task-plugins.enabled-plugins`, or remove `container_array` from `enabled_plugins.tasks.task-plugins.default-for-task-types`');
  });

  it('a malformed CoPilot image and a malformed enabled-plugins list', async () => {
    const img = await run(target([{ configuration: { database: { host: 'db.fdplg.test' }, 'co-pilot': { image: { repository: 'cr.flyte.org/flyteorg/FlyteCopilot', tag: 'v1' } } } }]));
    expect(img).toMatchObject({ status: 'fail', messageId: 'badImage', cause: cause.config('configuration.co-pilot.image') });
    const list = await run(target([{ configuration: { database: { host: 'db.fdplg.test' } }, enabled_plugins: { tasks: { 'task-plugins': { 'enabled-plugins': 'container,spark' } } } }]));
    expect(list).toMatchObject({ status: 'fail', messageId: 'malformed' });
  });
});
