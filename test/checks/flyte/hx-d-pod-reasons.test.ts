// Pod and Deployment states that used to reach a neighbouring cause or a generic line: a crash loop
// caught in its running window (OOMKilled, a liveness kill), a startup or liveness probe whose fix
// named the readiness probe, image pulls classified by three digits inside a digest or failing on a
// full node disk, evictions for the pod's own limits, SIGKILL without OOMKilled, lifecycle hooks, an
// env key whose object is unnamed, and a paused Deployment. Each is written into a private
// flyte-binary install (namespace hx-d-pods) on the REAL kube-apiserver of the test bed, as the
// kubelet and controllers write them; the healthy state is checked first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../../src/config/target.js';
import type { CheckResult } from '../../../src/engine/types.js';
import { installFlyte, makeReady, patchObject, podName, removeInstall, setDeploymentStatus, setPodState, type Install, type InstallOptions } from '../../infra/flyte-install.js';
import { kubeCall } from '../../infra/kube.js';
import { runSelection } from '../../harness/run-check.js';
import { makeTarget } from '../../harness/target.js';
import { getTestbed } from '../../harness/testbed.js';

const tb = () => getTestbed();
const o: InstallOptions = { namespace: 'hx-d-pods', release: 'hxd', noWebhook: true };
let inst: Install;
const dep = () => inst.fullname!;
const target = (): Target => makeTarget({
  chart: 'flyte-binary',
  kubernetes: { kubeconfigPath: tb().kube.kubeconfig, context: 'admin', namespace: o.namespace!, release: o.release! },
  databases: [{ role: 'flyteadmin', host: tb().postgres.host, port: tb().postgres.port, dbname: 'flyteadmin', user: 'flyte_owner', valuesKey: 'configuration.database' }],
} as never);
const deployments = async (): Promise<CheckResult> => (await runSelection(target(), 'verify', ['flyte.deployments.ready'])).results.find((x) => x.id === 'flyte.deployments.ready')!;
const sched = (message: string) => ({ unscheduled: { reason: 'Unschedulable', message }, events: [{ reason: 'FailedScheduling', message }] });
const pulling = (message: string) => ({ phase: 'Pending', containers: { flyte: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "cr.flyte.org/flyteorg/flyte-binary:v1.14.1"' } } }, events: [{ reason: 'Failed', message }] });

describe.sequential('hx-d: pod and Deployment states on the real API server', () => {
  beforeAll(async () => {
    await removeInstall(tb(), 'flyte-binary', o);
    inst = await installFlyte(tb(), 'flyte-binary', { ...o, db: { host: tb().postgres.host, port: tb().postgres.port, user: 'flyte_owner' } });
  }, 60_000);
  afterAll(async () => { await removeInstall(tb(), 'flyte-binary', o); }, 60_000);

  it('healthy first: the private install passes', async () => {
    const d = await deployments();
    expect(d.status, d.message).toBe('pass');
  });

  const cases: { name: string; state: Parameters<typeof setPodState>[2]; id: string; msg?: RegExp; hint: RegExp; notHint?: RegExp }[] = [
    // A crash loop seen between two crashes: the container runs again (not ready) and its last run says why.
    { name: 'OOMKilled, seen while the container runs again', id: 'oomKilled', msg: /Restarting \(container flyte of pod .*\): running again .*; 4 restarts; last termination: OOMKilled, exit 137/, hint: /deployment.resources.limits.memory/, notHint: /show what it waits for/,
      state: { containers: { flyte: { running: true, ready: false, restarts: 4, lastTerminated: { reason: 'OOMKilled', exitCode: 137 } } } } },
    { name: 'liveness-probe kills, seen while the container runs again', id: 'livenessFailing', msg: /Liveness probe failed: HTTP probe failed with statuscode: 503/, hint: /`deployment.livenessProbe`/, notHint: /readinessProbe/,
      state: { containers: { flyte: { running: true, ready: false, restarts: 3, lastTerminated: { reason: 'Error', exitCode: 137 } } },
        events: [{ reason: 'Unhealthy', message: 'Liveness probe failed: HTTP probe failed with statuscode: 503', count: 9 }, { reason: 'Killing', message: 'Container flyte failed liveness probe, will be restarted', type: 'Normal' }] } },
    { name: 'exit 1, seen while the container runs again', id: 'crashLooping', msg: /last termination: Error, exit 1, panic: cannot read config/, hint: /--previous/,
      state: { containers: { flyte: { running: true, ready: false, restarts: 2, lastTerminated: { reason: 'Error', exitCode: 1, message: 'panic: cannot read config' } } } } },
    // VolumeBinding plugin messages that used to be "unrecognised scheduler reason".
    { name: 'scheduler: no node has enough free storage for the volume', id: 'unschedulable', msg: /did not have enough free storage/, hint: /no node has enough free storage/, notHint: /unrecognised/,
      state: sched('0/3 nodes are available: 3 node(s) did not have enough free storage. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.') },
    { name: 'scheduler: the pod\'s PVC is being deleted', id: 'unschedulable', msg: /is being deleted/, hint: /PersistentVolumeClaim hxd-data is being deleted/, notHint: /unrecognised/,
      state: sched('0/1 nodes are available: persistentvolumeclaim "hxd-data" is being deleted. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.') },
    // The probe the kubelet names has its own values key.
    { name: 'startup probe failing', id: 'readinessFailing', msg: /Startup probe failed/, hint: /`deployment.startupProbe.failureThreshold` \(× periodSeconds/, notHint: /readinessProbe/,
      state: { containers: { flyte: { running: true, ready: false } }, events: [{ reason: 'Unhealthy', message: 'Startup probe failed: Get "http://10.1.0.5:8088/healthcheck": dial tcp 10.1.0.5:8088: connect: connection refused', count: 20 }] } },
    { name: 'liveness probe failing before any restart', id: 'readinessFailing', msg: /Liveness probe failed/, hint: /`deployment.livenessProbe.initialDelaySeconds`.*/, notHint: /readinessProbe/,
      state: { containers: { flyte: { running: true, ready: false } }, events: [{ reason: 'Unhealthy', message: 'Liveness probe failed: Get "http://10.1.0.5:8088/healthcheck": context deadline exceeded', count: 2 }] } },
    // Image pulls: three digits inside a digest are not a status code; a full node disk is not the image's fault.
    { name: 'pull timeout of an image pinned by a digest that contains 429', id: 'imagePullFailed', msg: /sha256:8a429f0c/, hint: /cannot reach the registry/, notHint: /rate-limits/,
      state: pulling('Failed to pull image "cr.flyte.org/flyteorg/flyte-binary@sha256:8a429f0c3e1d4030b7c2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0": rpc error: code = Unknown desc = failed to pull and unpack image: failed to resolve reference: failed to do request: Head "https://cr.flyte.org/v2/flyteorg/flyte-binary/manifests/sha256:8a429f0c3e1d4030b7c2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0": dial tcp 34.117.59.81:443: i/o timeout') },
    { name: 'pull onto a node whose disk is full', id: 'imagePullFailed', msg: /no space left on device/, hint: /node's disk filled up/, notHint: /pull secret \(`/,
      state: pulling('Failed to pull image "cr.flyte.org/flyteorg/flyte-binary:v1.14.1": rpc error: code = Unknown desc = failed to pull and unpack image "cr.flyte.org/flyteorg/flyte-binary:v1.14.1": failed to extract layer sha256:5b1d: write /var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/71/fs/usr/bin/flyte: no space left on device: unknown') },
    { name: 'a pull error nobody classified is said to be unrecognised', id: 'imagePullFailed', msg: /the registry sent a haiku/, hint: /^unrecognised pull error/,
      state: pulling('Failed to pull image "cr.flyte.org/flyteorg/flyte-binary:v1.14.1": the registry sent a haiku') },
    // Evictions for the pod's own limits are not node pressure.
    { name: 'evicted for its own ephemeral-storage limit', id: 'evicted', msg: /ephemeral local storage usage exceeds the total limit/, hint: /`deployment.resources.limits.ephemeral-storage`/, notHint: /node ran out/,
      state: { phase: 'Failed', reason: 'Evicted', message: 'Pod ephemeral local storage usage exceeds the total limit of containers 1Gi. ', containers: { flyte: { terminated: { reason: 'ContainerStatusUnknown', exitCode: 137 } } } } },
    { name: 'evicted for an emptyDir over its sizeLimit', id: 'evicted', msg: /Usage of EmptyDir volume "tmp"/, hint: /emptyDir volume "tmp" than its sizeLimit 500Mi/, notHint: /node ran out/,
      state: { phase: 'Failed', reason: 'Evicted', message: 'Usage of EmptyDir volume "tmp" exceeds the limit "500Mi". ', containers: { flyte: { terminated: { reason: 'ContainerStatusUnknown', exitCode: 137 } } } } },
    { name: 'evicted under node memory pressure, using more than it requests', id: 'evicted', msg: /low on resource: memory/, hint: /`deployment.resources.requests.memory` to about 1536Mi/,
      state: { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 42Mi. Container flyte was using 1536Mi, request is 0, has larger consumption of memory. ', containers: { flyte: { terminated: { reason: 'ContainerStatusUnknown', exitCode: 137 } } } } },
    // SIGKILL / SIGTERM with no OOMKilled and no probe failure: not the application's configuration.
    { name: 'exit 137 without OOMKilled and without probe events', id: 'crashLooping', msg: /exit 137/, hint: /SIGKILL.*SystemOOM/, notHint: /database, storage or auth configuration is the usual cause/,
      state: { containers: { flyte: { waiting: { reason: 'CrashLoopBackOff' }, restarts: 5, lastTerminated: { reason: 'Error', exitCode: 137 } } } } },
    // A lifecycle hook: the kubelet's event quotes the hook and its exit code.
    { name: 'PostStartHookError with the FailedPostStartHook event', id: 'containerCreateFailed', msg: /FailedPostStartHook: Exec lifecycle hook \(\[\/bin\/sh -c \/hooks\/warm\]\) .*exited with 126/, hint: /postStart hook fails/, notHint: /wrong command\/args/,
      state: { containers: { flyte: { waiting: { reason: 'PostStartHookError', message: 'Exec lifecycle hook ([/bin/sh -c /hooks/warm]) for Container "flyte" in Pod "x" failed - error: command \'/bin/sh -c /hooks/warm\' exited with 126: , message: ""' }, restarts: 2 } },
        events: [{ reason: 'FailedPostStartHook', message: 'Exec lifecycle hook ([/bin/sh -c /hooks/warm]) for Container "flyte" in Pod "x" failed - error: command \'/bin/sh -c /hooks/warm\' exited with 126: , message: ""' }] } },
    // The kubelet names the key but not the object: no command with an empty name.
    { name: 'CreateContainerConfigError: an env key of an unnamed ConfigMap', id: 'configMissing', msg: /non-existent config key: FLYTE_PLATFORM_URL/, hint: /configMapKeyRef/, notHint: /get configmap `/,
      state: { phase: 'Pending', containers: { flyte: { waiting: { reason: 'CreateContainerConfigError', message: 'configmap references non-existent config key: FLYTE_PLATFORM_URL' } } } } },
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

  // One restart days ago is history: a readiness probe failing now is today's cause.
  it('an old last termination does not turn a failing readiness probe into a crash loop', async () => {
    const kube = { server: tb().kube.server, caFile: tb().kube.caFile };
    await setPodState(tb(), dep(), { containers: { flyte: { running: true, ready: false, restarts: 1, lastTerminated: { reason: 'OOMKilled', exitCode: 137 } } },
      events: [{ reason: 'Unhealthy', message: 'Readiness probe failed: HTTP probe failed with statuscode: 503', count: 7 }] }, o);
    try {
      const path = `/api/v1/namespaces/${o.namespace}/pods/${podName(dep())}`;
      const p = await kubeCall(kube, tb().kube.tokens.admin, 'GET', path);
      const old = new Date(Date.now() - 3 * 86_400_000).toISOString();
      const cs = p.status.containerStatuses.map((x: any) => ({ ...x, lastState: { terminated: { ...x.lastState.terminated, startedAt: old, finishedAt: old } } }));
      await kubeCall(kube, tb().kube.tokens.admin, 'PATCH', `${path}/status`, { status: { containerStatuses: cs } }, 'application/merge-patch+json');
      const d = await deployments();
      expect(d, d.message).toMatchObject({ status: 'fail', messageId: 'readinessFailing' });
      expect(d.hint).toContain("`deployment.readinessProbe.initialDelaySeconds`");
    } finally { await makeReady(tb(), dep(), o); }
  });

  // A rollout stuck between two ReplicaSets: the new one cannot create pods (quota), the old one serves. The controller
  // omits updatedReplicas when it is 0 (omitempty): that is 0 on the latest spec, not "all of them".
  it('a new ReplicaSet that cannot create pods while the old one serves is not "available" (updatedReplicas omitted = 0)', async () => {
    const now = new Date().toISOString();
    await setDeploymentStatus(tb(), dep(), { replicas: 1, updatedReplicas: null, readyReplicas: 1, availableReplicas: 1, unavailableReplicas: null,
      conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', lastUpdateTime: now, lastTransitionTime: now },
        { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: `pods "${dep()}-6b7c9-x2x4z" is forbidden: exceeded quota: compute, requested: limits.memory=2Gi, used: limits.memory=7Gi, limited: limits.memory=8Gi`, lastUpdateTime: now, lastTransitionTime: now }] }, o);
    try {
      const d = await deployments();
      expect(d, d.message).toMatchObject({ status: 'fail', messageId: 'podCreationFailed' });
      expect(d.message).toContain('exceeded quota: compute');
      expect(d.message).toContain('the previous version still serves (1/1 available, 0/1 on the latest spec)');
      expect(d.hint).toContain('describe resourcequota');
    } finally { await makeReady(tb(), dep(), o); }
  });

  // `kubectl rollout pause`: the previous version serves, the latest spec is not rolled out.
  it('a paused Deployment: a warning while the previous version serves, a failure when it does not, never "minReadySeconds"', async () => {
    await patchObject(tb(), 'Deployment', dep(), { spec: { paused: true } }, o);
    try {
      const now = new Date().toISOString();
      const paused = { type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused', lastUpdateTime: now, lastTransitionTime: now };
      await setDeploymentStatus(tb(), dep(), { replicas: 1, updatedReplicas: 0, readyReplicas: 1, availableReplicas: 1, conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', lastUpdateTime: now, lastTransitionTime: now }, paused] }, o);
      let d = await deployments();
      expect(d, d.message).toMatchObject({ status: 'warn', messageId: 'rolloutPaused' });
      expect(d.message).toContain('is paused (spec.paused: true): 0/1 replicas run its latest spec, 1/1 of the previous version still serve');
      expect(d.hint).toContain(`rollout resume deployment/${dep()}`);
      await setDeploymentStatus(tb(), dep(), { replicas: 0, updatedReplicas: null, readyReplicas: null, availableReplicas: null, unavailableReplicas: 1, conditions: [paused] }, o);
      d = await deployments();
      expect(d, d.message).toMatchObject({ status: 'fail', messageId: 'rolloutPausedUnavailable' });
      expect(d.message).toContain('only 0/1 available');
    } finally {
      await patchObject(tb(), 'Deployment', dep(), { spec: { paused: null } }, o);
      await makeReady(tb(), dep(), o);
    }
  });
});
