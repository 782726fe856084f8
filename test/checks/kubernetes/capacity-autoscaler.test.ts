// kubernetes.capacity.resources with a cluster autoscaler: a pod that fits on no current node is
// Pending only until the autoscaler adds one (if its node groups allow it), so it is a warning that
// names the autoscaler, not a confident fail. Served by an API server of our own on 127.0.0.1: the
// autoscaler's status ConfigMap is cluster-wide evidence, and on the shared test bed it would turn
// other tests' capacity failures into warnings while it exists.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTarget } from '../../../src/config/load.js';
import { startApiServer, type ApiServer } from '../../harness/api-server.js';
import { runCheck } from '../../harness/run-check.js';

const dir = mkdtempSync(join(tmpdir(), 'fd-cap-as-'));
mkdirSync(join(dir, 'home'));
let server: ApiServer;
let kubeconfig: string;
let scaler: 'none' | 'ca' | 'karpenter' = 'none';

beforeAll(async () => {
  server = await startApiServer(dir, { token: 'fd-cap-token-4242', route: (path) => {
    const ok = (body: unknown) => ({ status: 200, body });
    if (path === '/api/v1/nodes') return ok({ kind: 'NodeList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [{ metadata: { name: 'n1' }, spec: {}, status: { allocatable: { cpu: '2', memory: '4Gi' }, conditions: [{ type: 'Ready', status: 'True' }] } }] });
    if (path === '/api/v1/pods') return ok({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [] });
    if (path === '/api/v1/namespaces/kube-system/configmaps/cluster-autoscaler-status' && scaler === 'ca') return ok({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'cluster-autoscaler-status', namespace: 'kube-system' }, data: { status: 'Health: Healthy' } });
    if (path === '/apis/karpenter.sh' && scaler === 'karpenter') return ok({ kind: 'APIGroup', apiVersion: 'v1', name: 'karpenter.sh', versions: [{ groupVersion: 'karpenter.sh/v1', version: 'v1' }] });
    return undefined;
  } });
  kubeconfig = server.kubeconfig;
});
afterAll(async () => { await server.stop(); });

const run = async () => {
  writeFileSync(join(dir, 'v.yaml'), stringify({ configuration: { database: { host: 'db.fdref.test' }, inline: { task_resources: { defaults: { cpu: '8', memory: '1Gi' } } } } }));
  const t = loadTarget({ values: ['v.yaml'], set: [], env: {}, cwd: dir, home: join(dir, 'home'), kubeconfig, namespace: 'flyte' });
  return (await runCheck('kubernetes.capacity.resources', t, { phase: 'preflight' })).result;
};

describe('kubernetes.capacity.resources and a cluster autoscaler', () => {
  it('no autoscaler: a task pod of 8 CPU on a 2-CPU node is insufficient (fail)', async () => {
    scaler = 'none';
    const r = await run();
    expect(r).toMatchObject({ status: 'fail', messageId: 'insufficient' });
  });
  it('Cluster Autoscaler\'s status ConfigMap: insufficientAutoscaled (warn) naming it and its node groups', async () => {
    scaler = 'ca';
    const r = await run();
    expect(r).toMatchObject({ status: 'warn', messageId: 'insufficientAutoscaled' });
    expect(r.message).toContain('Cluster Autoscaler (kube-system/cluster-autoscaler-status) may add a node');
    expect(r.hint).toContain('max size');
  });
  it('Karpenter\'s API group: the same warning naming Karpenter', async () => {
    scaler = 'karpenter';
    const r = await run();
    expect(r).toMatchObject({ status: 'warn', messageId: 'insufficientAutoscaled' });
    expect(r.message).toContain('Karpenter (karpenter.sh)');
  });
});
