// Pods a ReplicaSet cannot create, and a pod webhook without endpoints, on the REAL kube-apiserver of the
// test bed (private flyte-binary install in hy-r-adm; cluster-scoped objects named hy-r-*).
// - FailedCreate refusals that name something else than the pod's resources (a PriorityClass or RuntimeClass
//   that does not exist, a namespace being deleted, a LimitRange default limit below the request, a webhook
//   Service without endpoints, a quota that counts pods) used to end in the generic "describe replicaset" or in
//   "lower the resources": each now names its cause and its fix. The messages are the API server's own (a
//   dry-run pod CREATE), written into the Deployment's ReplicaFailure condition as its controller does.
// - flyte.webhook.configured passed while the Service it calls had no ready endpoints.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../../src/config/target.js';
import type { CheckResult } from '../../../src/engine/types.js';
import { installFlyte, makeReady, makeUnready, removeInstall, removeNamespace, setDeploymentStatus, setPodState, type Install, type InstallOptions } from '../../infra/flyte-install.js';
import { createIfMissing, kubeCall, kubeRequest } from '../../infra/kube.js';
import { runCheck, runSelection } from '../../harness/run-check.js';
import { makeTarget } from '../../harness/target.js';
import { getTestbed } from '../../harness/testbed.js';

const tb = () => getTestbed();
const o: InstallOptions = { namespace: 'hy-r-adm', release: 'hy-r' };
const TERM_NS = 'hy-r-term';
let inst: Install;
const dep = () => inst.fullname!;
const kube = () => ({ server: tb().kube.server, caFile: tb().kube.caFile });
const admin = () => tb().kube.tokens.admin;
const target = (): Target => makeTarget({
  chart: 'flyte-binary',
  kubernetes: { kubeconfigPath: tb().kube.kubeconfig, context: 'admin', namespace: o.namespace!, release: o.release! },
  databases: [{ role: 'flyteadmin', host: tb().postgres.host, port: tb().postgres.port, dbname: 'flyteadmin', user: 'flyte_owner', valuesKey: 'configuration.database' }],
} as never);
const deployments = async (): Promise<CheckResult> => (await runSelection(target(), 'verify', ['flyte.deployments.ready'])).results.find((x) => x.id === 'flyte.deployments.ready')!;
const webhook = async () => (await runCheck('flyte.webhook.configured', target())).result;

/** The API server's refusal of a dry-run pod in `ns` (repeated a while: admission plugins read from informer caches). */
async function refused(ns: string, spec: Record<string, unknown>, words: string): Promise<string> {
  let r: Awaited<ReturnType<typeof kubeRequest<{ message?: string }>>> | undefined;
  for (let i = 0; i < 60; i++) {
    r = await kubeRequest<{ message?: string }>(kube(), admin(), 'POST', `/api/v1/namespaces/${ns}/pods?dryRun=All`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: `${dep()}-7d9f-x2x4z` }, spec: { containers: [{ name: 'flyte', image: 'cr.flyte.org/flyteorg/flyte-binary:latest' }], ...spec } });
    if (r.status >= 400 && String(r.body?.message).includes(words)) break;
    await new Promise((res) => setTimeout(res, 200));
  }
  expect(r!.status, JSON.stringify(r!.body)).toBeGreaterThanOrEqual(400);
  expect(r!.body!.message).toContain(words);
  return r!.body!.message!;
}

async function failWith(message: string): Promise<CheckResult> {
  const now = new Date().toISOString();
  await setDeploymentStatus(tb(), dep(), { availableReplicas: null, readyReplicas: null, unavailableReplicas: 1, conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message, lastUpdateTime: now, lastTransitionTime: now }] }, o);
  try { return await deployments(); } finally { await makeReady(tb(), dep(), o); }
}

describe.sequential('hy-r: pods the API server refuses, and a webhook Service without endpoints', () => {
  beforeAll(async () => {
    await removeInstall(tb(), 'flyte-binary', o);
    await removeNamespace(tb(), TERM_NS);
    inst = await installFlyte(tb(), 'flyte-binary', { ...o, db: { host: tb().postgres.host, port: tb().postgres.port, user: 'flyte_owner' } });
  }, 90_000);
  afterAll(async () => {
    await kubeCall(kube(), admin(), 'DELETE', `/api/v1/namespaces/${o.namespace}/limitranges/hy-r-lr`, undefined, undefined, (st) => st < 300 || st === 404).catch(() => undefined);
    await removeNamespace(tb(), TERM_NS).catch(() => undefined);
    await removeInstall(tb(), 'flyte-binary', o);
  }, 60_000);

  it('healthy first: both checks pass on the private install', async () => {
    const d = await deployments();
    expect(d.status, d.message).toBe('pass');
    const w = await webhook();
    expect(w, w.message).toMatchObject({ status: 'pass', messageId: 'configured' });
  });

  it('a PriorityClass that does not exist: named, with the values key', async () => {
    const m = await refused(o.namespace!, { priorityClassName: 'hy-r-critical' }, 'no PriorityClass with name hy-r-critical was found');
    const d = await failWith(m);
    expect(d, d.message).toMatchObject({ status: 'fail', messageId: 'podCreationFailed' });
    expect(d.hint).toContain('priorityClassName hy-r-critical');
    expect(d.hint).toContain('`deployment.extraPodSpec.priorityClassName`');
    expect(d.hint).toContain('kubectl get priorityclasses');
    expect(d.hint).not.toContain('describe replicaset');
  });

  it('a RuntimeClass that does not exist: named', async () => {
    const m = await refused(o.namespace!, { runtimeClassName: 'hy-r-nvidia' }, 'RuntimeClass "hy-r-nvidia" not found');
    const d = await failWith(m);
    expect(d, d.message).toMatchObject({ status: 'fail', messageId: 'podCreationFailed' });
    expect(d.hint).toContain('runtimeClassName hy-r-nvidia');
    expect(d.hint).toContain('kubectl get runtimeclasses');
  });

  it('a LimitRange default limit below the request: the limit to set, not "describe replicaset"', async () => {
    await createIfMissing(kube(), admin(), `/api/v1/namespaces/${o.namespace}/limitranges`, { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'hy-r-lr' }, spec: { limits: [{ type: 'Container', default: { cpu: '500m' }, defaultRequest: { cpu: '100m' } }] } });
    try {
      const m = await refused(o.namespace!, { containers: [{ name: 'flyte', image: 'cr.flyte.org/flyteorg/flyte-binary:latest', resources: { requests: { cpu: '1' } } }] }, 'must be less than or equal to cpu limit of 500m');
      const d = await failWith(m);
      expect(d, d.message).toMatchObject({ status: 'fail', messageId: 'podCreationFailed' });
      expect(d.hint).toContain('requests cpu 1 but sets no cpu limit of its own');
      expect(d.hint).toContain('default limit 500m');
      expect(d.hint).toContain('`deployment.resources.limits.cpu` to at least 1');
    } finally {
      await kubeCall(kube(), admin(), 'DELETE', `/api/v1/namespaces/${o.namespace}/limitranges/hy-r-lr`, undefined, undefined, (st) => st < 300 || st === 404);
    }
  });

  it('the namespace is being deleted: the namespace is the cause, not the Deployment', async () => {
    await createIfMissing(kube(), admin(), '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: TERM_NS } });
    await kubeCall(kube(), admin(), 'DELETE', `/api/v1/namespaces/${TERM_NS}`);
    const m = await refused(TERM_NS, {}, `unable to create new content in namespace ${TERM_NS} because it is being terminated`);
    const d = await failWith(m);
    expect(d, d.message).toMatchObject({ status: 'fail', messageId: 'podCreationFailed', cause: `object:namespace/${TERM_NS}` });
    expect(d.hint).toContain(`namespace ${TERM_NS} is being deleted`);
    await removeNamespace(tb(), TERM_NS);
  });

  it('a webhook Service without endpoints, a quota that counts pods: the Service and the count are named', async () => {
    // The API server says "no endpoints available for service" when it resolves a webhook Service by its endpoints
    // (k8s.io/apiserver/pkg/util/proxy ResolveEndpoint; --enable-aggregator-routing and most managed control planes);
    // the test bed's resolves by ClusterIP, so the message is quoted as cert-manager users meet it.
    let d = await failWith('Internal error occurred: failed calling webhook "webhook.cert-manager.io": failed to call webhook: Post "https://cert-manager-webhook.cert-manager.svc:443/mutate?timeout=10s": no endpoints available for service "cert-manager-webhook"');
    expect(d, d.message).toMatchObject({ status: 'fail', messageId: 'podCreationFailed', cause: 'object:service/cert-manager/cert-manager-webhook' });
    expect(d.hint).toContain('served by Service cert-manager/cert-manager-webhook, which has no ready endpoints');
    expect(d.hint).toContain('kubectl get pods -n cert-manager');

    // ResourceQuota admission's own words (k8s.io/apiserver/pkg/admission/plugin/resourcequota): a pod-count quota.
    d = await failWith(`pods "${dep()}-7d9f-x2x4z" is forbidden: exceeded quota: pod-count, requested: pods=1, used: pods=10, limited: pods=10`);
    expect(d, d.message).toMatchObject({ status: 'fail', messageId: 'podCreationFailed' });
    expect(d.hint).toContain('pods: 1 asked, 10 used of 10');
    expect(d.hint).toContain('smaller resources do not help');
    expect(d.hint).not.toContain('lower `deployment.resources`');
  });

  // Pods the kubelet fails as a whole (status.reason, its own words from pkg/kubelet: lifecycle/predicate.go, nodeshutdown,
  // the device manager, activeDeadlineSeconds): each used to get "describe pod shows why the pod failed".
  const failedPods: [string, string, string][] = [
    ['NodeAffinity', "Pod Predicate NodeAffinity failed", 'no longer matches the pod\'s node selector or affinity'],
    ['UnexpectedAdmissionError', 'Allocate failed due to no healthy devices present; cannot allocate unhealthy devices nvidia.com/gpu, which is unexpected', 'a device plugin (GPU, SR-IOV)'],
    ['Terminated', 'Pod was terminated in response to imminent node shutdown.', 'its node shut down'],
    ['DeadlineExceeded', 'Pod was active on the node longer than the specified deadline', 'activeDeadlineSeconds'],
    ['TopologyAffinityError', 'Resources cannot be allocated with Topology locality', 'Topology Manager'],
  ];
  for (const [reason, message, words] of failedPods) {
    it(`a pod the kubelet failed with ${reason}: its cause, not a generic line`, async () => {
      await setPodState(tb(), dep(), { phase: 'Failed', reason, message, containers: { '*': { terminated: { reason: 'Error', exitCode: 137 } } } }, o);
      try {
        const d = await deployments();
        expect(d, d.message).toMatchObject({ status: 'fail', messageId: 'podFailed' });
        expect(d.message).toContain(reason);
        expect(d.hint).toContain(words);
        expect(d.hint).not.toContain('shows why the pod failed');
      } finally {
        await makeReady(tb(), dep(), o);
      }
    });
  }

  it('flyte.webhook.configured: the Service it calls has no ready endpoints', async () => {
    const svc = `${dep()}-webhook`;
    const path = `/api/v1/namespaces/${o.namespace}`;
    const mwcPath = `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${inst.webhook}`;
    const mwc = await kubeCall(kube(), admin(), 'GET', mwcPath);
    // The chart's own webhook Service emptied: flyte.services.endpoints fails on it (with the pods' reason); the
    // webhook check does not fail a second time for the same fault, but no longer stays silent about it.
    const ep = await kubeCall(kube(), admin(), 'GET', `${path}/endpoints/${svc}`);
    const slice = await kubeCall(kube(), admin(), 'GET', `/apis/discovery.k8s.io/v1/namespaces/${o.namespace}/endpointslices/${svc}-testbed`);
    try {
      await kubeCall(kube(), admin(), 'PUT', `${path}/endpoints/${svc}`, { ...ep, subsets: [] });
      await kubeCall(kube(), admin(), 'PUT', `/apis/discovery.k8s.io/v1/namespaces/${o.namespace}/endpointslices/${svc}-testbed`, { ...slice, endpoints: [] });
      const w = await webhook();
      expect(w, w.message).toMatchObject({ status: 'pass', messageId: 'configured' });
      expect(w.message).toContain('its Service has no ready endpoints now');
      const se = (await runCheck('flyte.services.endpoints', target())).result;
      expect(se.status, se.message).toBe('fail');
      expect(se.message).toContain(svc);
    } finally {
      await makeReady(tb(), dep(), o);
    }

    // The configuration calls another Service (webhook.serviceName pointed elsewhere), one flyte.services.endpoints does
    // not look at, and nothing backs it: every pod that requests secrets is refused. This used to pass.
    const custom = 'hy-r-custom-webhook';
    await createIfMissing(kube(), admin(), `${path}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name: custom }, spec: { selector: { app: 'hy-r-nothing' }, ports: [{ port: 443, targetPort: 9443 }] } });
    try {
      const hooks = mwc.webhooks.map((h: { clientConfig: { service: Record<string, unknown> } }) => ({ ...h, clientConfig: { ...h.clientConfig, service: { ...h.clientConfig.service, name: custom } } }));
      await kubeCall(kube(), admin(), 'PUT', mwcPath, { ...mwc, webhooks: hooks });
      let w = await webhook();
      expect(w, w.message).toMatchObject({ status: 'fail', messageId: 'noReadyEndpoints' });
      expect(w.message).toContain(`calls Service ${o.namespace}/${custom}:443, which has no ready endpoints`);
      expect(w.message).toContain(`no endpoints available for service "${custom}"`);
      expect(w.hint).toContain('the Service selects none of its ready pods');
      expect(w.hint).toContain('app=hy-r-nothing');
      // Its owner's pods down as well: the Deployment's finding has the reason.
      await makeUnready(tb(), dep(), 'CrashLoopBackOff', o);
      w = await webhook();
      expect(w, w.message).toMatchObject({ status: 'fail', messageId: 'noReadyEndpoints', cause: 'backend:flyteadmin' });
      expect(w.hint).toContain('flyte.deployments.ready has the reason');
    } finally {
      await makeReady(tb(), dep(), o);
      const cur = await kubeCall(kube(), admin(), 'GET', mwcPath);
      await kubeCall(kube(), admin(), 'PUT', mwcPath, { ...cur, webhooks: mwc.webhooks });
      await kubeCall(kube(), admin(), 'DELETE', `${path}/services/${custom}`, undefined, undefined, (st) => st < 300 || st === 404);
    }
    const w = await webhook();
    expect(w, w.message).toMatchObject({ status: 'pass', messageId: 'configured' });
    expect(w.message).not.toContain('no ready endpoints');
  });
});
