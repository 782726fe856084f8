// kubernetes.capacity.resources against the test bed's kube-apiserver, with a Node object of our own
// (hx-m-node: Ready, large, tainted NoSchedule) next to the bed's node. When the pods fit nowhere,
// the finding names the nodes it did not count and the values keys of the tolerations. Deleted after.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../../src/config/target.js';
import { runCheck } from '../../harness/run-check.js';
import { makeTarget } from '../../harness/target.js';
import { getTestbed } from '../../harness/testbed.js';
import { kubeCall } from '../../infra/kube.js';

const NODE = 'hx-m-node';
const tb = () => getTestbed();
const admin = () => ({ server: tb().kube.server, caFile: tb().kube.caFile });
const tok = () => tb().kube.tokens.admin;
const rmNode = () => kubeCall(admin(), tok(), 'DELETE', `/api/v1/nodes/${NODE}`, undefined, undefined, (s) => s < 300 || s === 404);
const target = (over: Partial<Target>): Target =>
  makeTarget({ ...over, kubernetes: { kubeconfigPath: tb().kube.kubeconfig, context: 'admin', namespace: 'flyte', release: 'flyte' } } as never);

beforeAll(async () => {
  await rmNode();
  await kubeCall(admin(), tok(), 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE, labels: { 'hx-m': 'true' } },
    spec: { taints: [{ key: 'hx-m/dedicated', value: 'gpu', effect: 'NoSchedule' }] } });
  await kubeCall(admin(), tok(), 'PATCH', `/api/v1/nodes/${NODE}/status`, { status: { allocatable: { cpu: '1000', memory: '4000Gi', pods: '110' }, capacity: { cpu: '1000', memory: '4000Gi', pods: '110' },
    conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'hx-m', lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() }] } }, 'application/merge-patch+json');
}, 30_000);
afterAll(async () => { await rmNode(); }, 30_000);

describe('capacity with a tainted node', () => {
  it('flyte-binary: a task pod that fits only on the tainted node: fail naming the node left out, its taint and deployment.extraPodSpec.tolerations', async () => {
    const { result: r } = await runCheck('kubernetes.capacity.resources', target({ chart: 'flyte-binary', taskResourceDefaults: { cpu: '100', memory: '1Gi' } }));
    expect(r).toMatchObject({ status: 'fail', messageId: 'insufficient' });
    expect(r.message).toContain(`not counted: ${NODE} (taint hx-m/dedicated:NoSchedule)`);
    expect(r.hint).toContain('`deployment.extraPodSpec.tolerations`');
    expect(r.hint).toContain('configuration.inline.plugins.k8s.default-tolerations');
  });

  it('flyte-core: the hint names the component tolerations keys', async () => {
    const { result: r } = await runCheck('kubernetes.capacity.resources', target({ chart: 'flyte-core', taskResourceDefaults: { cpu: '100', memory: '1Gi' } }));
    expect(r).toMatchObject({ status: 'fail', messageId: 'insufficient' });
    expect(r.hint).toContain('`flyteadmin.tolerations`');
    expect(r.hint).toContain('configmap.k8s.plugins.k8s.default-tolerations');
  });
});
