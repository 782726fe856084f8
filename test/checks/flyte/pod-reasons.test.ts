// Pod states from Kubernetes' own lists (scheduler message classes, container terminated reasons the
// runtime writes, liveness-probe restarts, a Failed pod whose only evidence is its containers) that
// used to be mapped to a neighbouring cause or a generic line. Each is written into a private
// flyte-binary install (namespace fd-sweep-kube-pods) on the REAL kube-apiserver of the test bed,
// as the scheduler and kubelet write them (status subresource + core/v1 events); the healthy state
// is checked first so a case cannot pass on an install that never worked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../../src/config/target.js';
import type { CheckResult } from '../../../src/engine/types.js';
import { installFlyte, makeReady, podName, removeInstall, setDeploymentStatus, setPodState, type Install, type InstallOptions } from '../../infra/flyte-install.js';
import { createIfMissing, kubeCall, kubeRequest, NODE_NAME } from '../../infra/kube.js';
import { runSelection } from '../../harness/run-check.js';
import { makeTarget } from '../../harness/target.js';
import { getTestbed } from '../../harness/testbed.js';

const tb = () => getTestbed();
const o: InstallOptions = { namespace: 'fd-sweep-kube-pods', release: 'fdsweep', noWebhook: true };
let inst: Install;
const dep = () => inst.fullname!;
const target = (): Target => makeTarget({
  chart: 'flyte-binary',
  kubernetes: { kubeconfigPath: tb().kube.kubeconfig, context: 'admin', namespace: o.namespace!, release: o.release! },
  databases: [{ role: 'flyteadmin', host: tb().postgres.host, port: tb().postgres.port, dbname: 'flyteadmin', user: 'flyte_owner', valuesKey: 'configuration.database' }],
} as never);
const deployments = async (): Promise<CheckResult> => (await runSelection(target(), 'verify', ['flyte.deployments.ready'])).results.find((x) => x.id === 'flyte.deployments.ready')!;

const sched = (message: string) => ({ unscheduled: { reason: 'Unschedulable', message }, events: [{ reason: 'FailedScheduling', message }] });

describe.sequential('pod reasons from Kubernetes\' lists, on the real API server', () => {
  beforeAll(async () => {
    await removeInstall(tb(), 'flyte-binary', o);
    inst = await installFlyte(tb(), 'flyte-binary', { ...o, db: { host: tb().postgres.host, port: tb().postgres.port, user: 'flyte_owner' } });
  }, 60_000);
  afterAll(async () => { await removeInstall(tb(), 'flyte-binary', o); }, 60_000);

  it('healthy first: the private install passes', async () => {
    const d = await deployments();
    expect(d.status, d.message).toBe('pass');
  });

  // The test bed runs no kube-scheduler: a pod created without a node stays exactly as it would on a
  // cluster whose scheduler is down (Pending, no PodScheduled condition, no FailedScheduling event).
  for (const schedulerName of [undefined, 'volcano']) {
    it(`no scheduler acts on a new pod${schedulerName ? ` (spec.schedulerName ${schedulerName})` : ''}: said so, not a generic Pending`, async () => {
      const kube = { server: tb().kube.server, caFile: tb().kube.caFile };
      const name = `${dep()}-unscheduled`;
      const dpl = await kubeCall(kube, tb().kube.tokens.admin, 'GET', `/apis/apps/v1/namespaces/${o.namespace}/deployments/${dep()}`);
      const tpl = dpl.spec.template;
      await createIfMissing(kube, tb().kube.tokens.admin, `/api/v1/namespaces/${o.namespace}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: tpl.metadata.labels }, spec: { ...tpl.spec, ...(schedulerName ? { schedulerName } : {}) } });
      await setDeploymentStatus(tb(), dep(), { availableReplicas: null, readyReplicas: 1, unavailableReplicas: 1, replicas: 2, updatedReplicas: 1 }, o);
      try {
        const d = await deployments();
        expect(d, d.message).toMatchObject({ status: 'fail', messageId: 'unschedulable' });
        expect(d.message).toContain(`NotScheduled (pod ${name}): no scheduler has acted on the pod`);
        expect(d.message).toContain(`spec.schedulerName: ${schedulerName ?? 'default-scheduler'}`);
        if (schedulerName) expect(d.hint).toContain(`names the scheduler "${schedulerName}"`);
        else expect(d.hint).toContain('kube-scheduler is not running');
        expect(d.cause).toBe(`backend:${schedulerName ?? 'kube-scheduler'}`);
      } finally {
        await kubeCall(kube, tb().kube.tokens.admin, 'DELETE', `/api/v1/namespaces/${o.namespace}/pods/${name}?gracePeriodSeconds=0`, undefined, undefined, (st) => st < 300 || st === 404);
        await makeReady(tb(), dep(), o);
      }
    });
  }

  // Admission refusals of the pods, in the API server's own words: a dry-run pod CREATE in this
  // namespace meets a real LimitRange / ResourceQuota / a webhook whose backend is a closed port, and
  // the answer is written into the Deployment's ReplicaFailure condition as its controller does.
  it('FailedCreate from admission: LimitRange, a quota that requires limits, a webhook that cannot be called', async () => {
    const kube = { server: tb().kube.server, caFile: tb().kube.caFile };
    const admin = tb().kube.tokens.admin;
    const ns = o.namespace!;
    // The admission plugins read LimitRanges and ResourceQuotas from informer caches (LimitRanger also
    // keeps a 30 s cache of "none here" from a live lookup), so a just-created object can be missed for a
    // while, and a just-deleted one still seen: the dry run is repeated until it is refused with the
    // expected words, for at most ~12 s.
    const refused = async (words: string): Promise<string> => {
      let r: Awaited<ReturnType<typeof kubeRequest<{ message?: string }>>> | undefined;
      for (let i = 0; i < 60; i++) {
        r = await kubeRequest<{ message?: string }>(kube, admin, 'POST', `/api/v1/namespaces/${ns}/pods?dryRun=All`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: `${dep()}-7d9f-x2x4z` }, spec: { containers: [{ name: 'flyte', image: 'cr.flyte.org/flyteorg/flyte-binary:latest', resources: { limits: { memory: '2Gi' } } }] } });
        if (r.status >= 400 && String(r.body?.message).includes(words)) break;
        await new Promise((res) => setTimeout(res, 200));
      }
      expect(r!.status, JSON.stringify(r!.body)).toBeGreaterThanOrEqual(400);
      return r!.body!.message!;
    };
    const failWith = async (message: string) => {
      const now = new Date().toISOString();
      await setDeploymentStatus(tb(), dep(), { availableReplicas: null, readyReplicas: null, unavailableReplicas: 1, conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message, lastUpdateTime: now, lastTransitionTime: now }] }, o);
      try { return await deployments(); } finally { await makeReady(tb(), dep(), o); }
    };
    const whName = 'fd-sweep-kube-pods-closed';
    try {
      await createIfMissing(kube, admin, `/api/v1/namespaces/${ns}/limitranges`, { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'small' }, spec: { limits: [{ type: 'Container', max: { memory: '1Gi' } }] } });
      const lr = await refused('maximum memory usage per Container');
      expect(lr).toContain('maximum memory usage per Container is 1Gi, but limit is 2Gi');
      let d = await failWith(lr);
      expect(d, d.message).toMatchObject({ status: 'fail', messageId: 'podCreationFailed' });
      expect(d.hint).toContain('`deployment.resources.limits.memory` within it');
      await kubeCall(kube, admin, 'DELETE', `/api/v1/namespaces/${ns}/limitranges/small`);

      await createIfMissing(kube, admin, `/api/v1/namespaces/${ns}/resourcequotas`, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'compute' }, spec: { hard: { 'limits.cpu': '2' } } });
      // (the quota controller does not run here: its status is written as it would write it)
      const q = await kubeCall(kube, admin, 'GET', `/api/v1/namespaces/${ns}/resourcequotas/compute`);
      await kubeCall(kube, admin, 'PUT', `/api/v1/namespaces/${ns}/resourcequotas/compute/status`, { ...q, status: { hard: { 'limits.cpu': '2' }, used: { 'limits.cpu': '0' } } });
      const qm = await refused('failed quota: compute');
      expect(qm).toContain('failed quota: compute: must specify limits.cpu');
      d = await failWith(qm);
      expect(d, d.message).toMatchObject({ status: 'fail', messageId: 'podCreationFailed' });
      expect(d.hint).toContain('ResourceQuota compute in fd-sweep-kube-pods requires every container to declare limits.cpu');
      await kubeCall(kube, admin, 'DELETE', `/api/v1/namespaces/${ns}/resourcequotas/compute`);

      // Cluster-scoped, so it matches only this namespace (namespaceSelector) and is deleted right after.
      await createIfMissing(kube, admin, '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: whName },
        webhooks: [{ name: 'policy.fd-sweep-kube.test', admissionReviewVersions: ['v1'], sideEffects: 'None', failurePolicy: 'Fail', timeoutSeconds: 2, clientConfig: { url: `https://127.0.0.1:${tb().closedPort}/validate` },
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } }, rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }] }] });
      const wm = await refused('failed calling webhook');
      expect(wm).toContain('failed calling webhook "policy.fd-sweep-kube.test"');
      d = await failWith(wm);
      expect(d, d.message).toMatchObject({ status: 'fail', messageId: 'podCreationFailed', cause: 'object:admissionwebhook/policy.fd-sweep-kube.test' });
      expect(d.hint).toContain('the admission webhook policy.fd-sweep-kube.test cannot be called');
      expect(d.hint).not.toContain('describe replicaset');
    } finally {
      await kubeCall(kube, admin, 'DELETE', `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${whName}`, undefined, undefined, (st) => st < 300 || st === 404);
      await kubeCall(kube, admin, 'DELETE', `/api/v1/namespaces/${ns}/limitranges/small`, undefined, undefined, (st) => st < 300 || st === 404);
      await kubeCall(kube, admin, 'DELETE', `/api/v1/namespaces/${ns}/resourcequotas/compute`, undefined, undefined, (st) => st < 300 || st === 404);
    }
  }, 60_000);

  // Evicted pods stay (Failed) until deleted: six of them from an earlier node-pressure episode, and the
  // current pod failing its readiness probe. The current cause is reported, not the leftovers.
  it('leftover Evicted pods neither hide nor crowd out the current pod\'s cause', async () => {
    const kube = { server: tb().kube.server, caFile: tb().kube.caFile };
    const admin = tb().kube.tokens.admin;
    const ns = o.namespace!;
    const dpl = await kubeCall(kube, admin, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/${dep()}`);
    const tpl = dpl.spec.template;
    const names = Array.from({ length: 6 }, (_, i) => `${dep()}-5c8-evicted${i}`);
    try {
      for (const name of names) {
        await createIfMissing(kube, admin, `/api/v1/namespaces/${ns}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: tpl.metadata.labels }, spec: { ...tpl.spec, nodeName: NODE_NAME } });
        await kubeCall(kube, admin, 'PATCH', `/api/v1/namespaces/${ns}/pods/${name}/status`, { status: { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: ephemeral-storage. Threshold quantity: 1Gi, available: 512Mi.',
          conditions: [{ type: 'Ready', status: 'False', reason: 'PodFailed' }], containerStatuses: [{ name: 'flyte', image: 'x', imageID: '', ready: false, restartCount: 0, state: { terminated: { reason: 'ContainerStatusUnknown', exitCode: 137, message: 'The container could not be located when the pod was terminated' } } }] } }, 'application/merge-patch+json');
      }
      await setPodState(tb(), dep(), { containers: { flyte: { running: true, ready: false } }, events: [{ reason: 'Unhealthy', message: 'Readiness probe failed: HTTP probe failed with statuscode: 503', count: 9 }] }, o);
      const d = await deployments();
      expect(d, d.message).toMatchObject({ status: 'fail', messageId: 'readinessFailing' });
      expect(d.message).toContain(`Unhealthy (container flyte of pod ${podName(dep())})`);
    } finally {
      for (const name of names) await kubeCall(kube, admin, 'DELETE', `/api/v1/namespaces/${ns}/pods/${name}?gracePeriodSeconds=0`, undefined, undefined, (st) => st < 300 || st === 404);
      await makeReady(tb(), dep(), o);
    }
  }, 30_000);

  const cases: { name: string; state: Parameters<typeof setPodState>[2]; id: string; msg?: RegExp; hint: RegExp; notHint?: RegExp }[] = [
    // The scheduler writes node conditions and cordons as taints: tolerating them is the wrong fix.
    { name: 'scheduler: a cordoned node (node.kubernetes.io/unschedulable taint)', id: 'unschedulable', hint: /kubectl uncordon/, notHint: /add tolerations/,
      state: sched('0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unschedulable: }. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.') },
    { name: 'scheduler: the only node is NotReady (node.kubernetes.io/not-ready taint)', id: 'unschedulable', hint: /NotReady.*kubectl describe node/, notHint: /add tolerations/,
      state: sched('0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.') },
    { name: 'scheduler: disk pressure (node.kubernetes.io/disk-pressure taint)', id: 'unschedulable', hint: /disk-pressure.*free disk/, notHint: /add tolerations/,
      state: sched('0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/disk-pressure: }. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.') },
    { name: 'scheduler: a user taint still asks for a toleration', id: 'unschedulable', hint: /add tolerations via `deployment.extraPodSpec/,
      state: sched('0/2 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) had untolerated taint {node.kubernetes.io/unschedulable: }. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.') },
    { name: 'scheduler: pod anti-affinity', id: 'unschedulable', hint: /anti-affinity.*deployment.extraPodSpec/,
      state: sched('0/1 nodes are available: 1 node(s) didn\'t match pod anti-affinity rules. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.') },
    { name: 'scheduler: topology spread', id: 'unschedulable', hint: /topology spread constraints/,
      state: sched('0/3 nodes are available: 3 node(s) didn\'t match pod topology spread constraints. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.') },
    { name: 'scheduler: no nodes at all', id: 'unschedulable', hint: /no nodes.*kubectl get nodes/,
      state: sched('no nodes available to schedule pods') },
    { name: 'scheduler: volume limits', id: 'unschedulable', hint: /attachable volumes/,
      state: sched('0/1 nodes are available: 1 node(s) exceed max volume count. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.') },
    { name: 'scheduler: a message class nobody documents is quoted as unrecognised', id: 'unschedulable', hint: /unrecognised scheduler reason: "1 node\(s\) had a brand new problem"/,
      state: sched('0/1 nodes are available: 1 node(s) had a brand new problem. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.') },
    // containerd writes StartError (docker: ContainerCannotRun) into lastState.terminated, exit 128: the process never ran, there is no log.
    { name: 'CrashLoopBackOff after StartError (exec: not found): the runtime could not start it', id: 'containerCreateFailed', msg: /StartError, exit 128.*executable file not found/, hint: /deployment.command \/ deployment.args/, notHint: /--previous|invalid exit argument/,
      state: { containers: { flyte: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=flyte' }, restarts: 3,
        lastTerminated: { reason: 'StartError', exitCode: 128, message: 'failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "flytee": executable file not found in $PATH: unknown' } } } } },
    { name: 'ContainerCannotRun in the current state (docker)', id: 'containerCreateFailed', msg: /ContainerCannotRun/, hint: /deployment.command/, notHint: /--previous/,
      state: { containers: { flyte: { terminated: { reason: 'ContainerCannotRun', exitCode: 128, message: 'OCI runtime create failed: container_linux.go:380: starting container process caused: exec: "flytee": executable file not found in $PATH: unknown' }, ready: false } } } },
    // Killed by its liveness probe: the kubelet's Unhealthy/Killing events say so, not the app's log.
    { name: 'CrashLoopBackOff after liveness-probe kills', id: 'livenessFailing', msg: /Liveness probe failed: Get "http:\/\/10\.1\.0\.5:8088\/healthcheck": context deadline exceeded/, hint: /deployment.livenessProbe/,
      state: { containers: { flyte: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 1m20s restarting failed container=flyte' }, restarts: 4, lastTerminated: { reason: 'Error', exitCode: 137 } } },
        events: [{ reason: 'Unhealthy', message: 'Liveness probe failed: Get "http://10.1.0.5:8088/healthcheck": context deadline exceeded (Client.Timeout exceeded while awaiting headers)', count: 12 },
          { reason: 'Killing', message: 'Container flyte failed liveness probe, will be restarted', type: 'Normal' }] } },
    // ...but an application that exits on its own (exit 1, its message) is its own cause even with a liveness failure in the events.
    { name: 'CrashLoopBackOff with exit 1 and a stray liveness failure stays a crash of its own', id: 'crashLooping', msg: /exit 1, panic: cannot read config/, hint: /--previous/, notHint: /livenessProbe/,
      state: { containers: { flyte: { waiting: { reason: 'CrashLoopBackOff' }, restarts: 2, lastTerminated: { reason: 'Error', exitCode: 1, message: 'panic: cannot read config' } } },
        events: [{ reason: 'Unhealthy', message: 'Liveness probe failed: Get "http://10.1.0.5:8088/healthcheck": dial tcp 10.1.0.5:8088: connect: connection refused' }] } },
    // FailedCreatePodSandBox is not always the CNI: the kubelet's message says which part failed.
    { name: 'sandbox: the pod network has no free IP (AWS VPC CNI)', id: 'sandboxFailed', msg: /failed to assign an IP address to container/, hint: /no free IP address/, notHint: /check the network plugin pods/,
      state: { phase: 'Pending', containers: { flyte: { waiting: { reason: 'ContainerCreating' } } }, events: [{ reason: 'FailedCreatePodSandBox', message: 'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "1b2c": plugin type="aws-cni" name="aws-cni" failed (add): add cmd: failed to assign an IP address to container' }] } },
    { name: 'sandbox: a RuntimeClass handler the node lacks', id: 'sandboxFailed', msg: /no runtime for "nvidia" is configured/, hint: /RuntimeClass/, notHint: /CNI/,
      state: { phase: 'Pending', containers: { flyte: { waiting: { reason: 'ContainerCreating' } } }, events: [{ reason: 'FailedCreatePodSandBox', message: 'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to get sandbox runtime: no runtime for "nvidia" is configured' }] } },
    { name: 'sandbox: the pause image cannot be pulled', id: 'sandboxFailed', msg: /pause:3.9/, hint: /sandbox \(pause\) image/, notHint: /CNI/,
      state: { phase: 'Pending', containers: { flyte: { waiting: { reason: 'ContainerCreating' } } }, events: [{ reason: 'FailedCreatePodSandBox', message: 'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to get sandbox image "registry.k8s.io/pause:3.9": failed to pull image "registry.k8s.io/pause:3.9": dial tcp 34.96.108.209:443: i/o timeout' }] } },
    { name: 'sandbox: the CNI itself', id: 'sandboxFailed', msg: /cni plugin not initialized/, hint: /check the network plugin pods/,
      state: { phase: 'Pending', containers: { flyte: { waiting: { reason: 'ContainerCreating' } } }, events: [{ reason: 'NetworkNotReady', message: 'network is not ready: container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized' }] } },
    // FailedMount / FailedAttachVolume without a missing object: which volume problem.
    { name: 'volume: Multi-Attach of a ReadWriteOnce volume', id: 'volumeMountFailed', msg: /Multi-Attach error/, hint: /ReadWriteOnce.*Recreate/,
      state: { phase: 'Pending', containers: { flyte: { waiting: { reason: 'ContainerCreating' } } }, events: [{ reason: 'FailedAttachVolume', message: 'Multi-Attach error for volume "pvc-3f1c" Volume is already used by pod(s) fdsweep-flyte-binary-7d9-abcde' }] } },
    { name: 'volume: the CSI driver is not installed', id: 'volumeMountFailed', msg: /ebs.csi.aws.com not found/, hint: /CSI driver.*kubectl get csidrivers/,
      state: { phase: 'Pending', containers: { flyte: { waiting: { reason: 'ContainerCreating' } } }, events: [{ reason: 'FailedMount', message: 'MountVolume.MountDevice failed for volume "pvc-3f1c" : kubernetes.io/csi: attacher.MountDevice failed to create newCsiDriverClient: driver name ebs.csi.aws.com not found in the list of registered CSI drivers' }] } },
    { name: 'volume: an error nobody classified is said to be unrecognised', id: 'volumeMountFailed', msg: /something odd/, hint: /unrecognised volume error/,
      state: { phase: 'Pending', containers: { flyte: { waiting: { reason: 'ContainerCreating' } } }, events: [{ reason: 'FailedMount', message: 'MountVolume.SetUp failed for volume "data" : something odd happened' }] } },
    // ProbeWarning is a probe that succeeded (with a warning): not a failing readiness probe.
    { name: 'not ready with only a ProbeWarning event', id: 'notReady', msg: /NotReady \(container flyte/, hint: /describe pod/, notHint: /probe fails/,
      state: { containers: { flyte: { running: true, ready: false } }, events: [{ reason: 'ProbeWarning', message: 'Readiness probe warning: Probe terminated redirects, Response body: ' }] } },
    // The node lifecycle controller's Warning NodeNotReady on a pod whose kubelet stopped reporting: a known reason, not "unrecognised".
    { name: 'the node stopped reporting (NodeNotReady on the pod, stale ready containers)', id: 'nodeLost', msg: new RegExp(`NodeNotReady \\(pod .*\\): Node is not ready \\(node ${NODE_NAME}\\)`), hint: new RegExp(`kubectl describe node ${NODE_NAME}`), notHint: /unrecognised/,
      state: { containers: { flyte: { running: true, ready: true } }, ready: false, events: [{ reason: 'NodeNotReady', message: 'Node is not ready' }] } },
    // A Failed pod with no pod-level reason: its containers say why.
    { name: 'phase Failed without a reason, containers ContainerStatusUnknown', id: 'podFailed', msg: /ContainerStatusUnknown.*could not be located/, hint: /node/,
      state: { phase: 'Failed', containers: { flyte: { terminated: { reason: 'ContainerStatusUnknown', exitCode: 137, message: 'The container could not be located when the pod was terminated' } } } } },
    // runAsNonRoot with a root image is a CreateContainerConfigError without a missing object.
    { name: 'CreateContainerConfigError: runAsNonRoot and an image that runs as root', id: 'configMissing', msg: /runAsNonRoot/, hint: /runAsUser.*`deployment.podSecurityContext`/,
      state: { phase: 'Pending', containers: { flyte: { waiting: { reason: 'CreateContainerConfigError', message: 'container has runAsNonRoot and image will run as root (pod: "x", container: flyte)' } } } } },
  ];
  for (const c of cases) {
    it(`${c.name} -> ${c.id}`, async () => {
      await setPodState(tb(), dep(), c.state, o);
      try {
        const d = await deployments();
        expect(d, d.message).toMatchObject({ status: 'fail', messageId: c.id });
        expect(d.message).toContain(podName(dep()));
        if (c.msg) expect(d.message).toMatch(c.msg);
        expect(d.hint, d.hint).toMatch(c.hint);
        if (c.notHint) expect(d.hint, d.hint).not.toMatch(c.notHint);
      } finally { await makeReady(tb(), dep(), o); }
    });
  }

  // Last in this file: the installed pod is deleted for real (the API server sets deletionTimestamp to the end of the
  // grace period and keeps the pod, as no kubelet confirms). Within the grace period it is a normal shutdown.
  it('a pod being deleted within its grace period is not called stuck', async () => {
    const kube = { server: tb().kube.server, caFile: tb().kube.caFile };
    // (as the kubelet does when it starts the shutdown: the container is no longer ready)
    await setPodState(tb(), dep(), { containers: { flyte: { running: true, ready: false } } }, o);
    await kubeCall(kube, tb().kube.tokens.admin, 'DELETE', `/api/v1/namespaces/${o.namespace}/pods/${podName(dep())}?gracePeriodSeconds=600`);
    const d = await deployments();
    expect(d, d.message).toMatchObject({ status: 'fail', messageId: 'podTerminating' });
    expect(d.message).toMatch(/Terminating \(pod .*\): shutting down within its grace period \(until .*, \d+s left\)/);
    expect(d.hint).toContain('still within its grace period');
    expect(d.hint).not.toMatch(/^if its node is gone/);
  });
});
