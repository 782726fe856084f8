// The verify-only Flyte component checks against the test bed's kube-apiserver, with the REAL rendered
// chart manifests loaded by test/infra/flyte-install.ts (status written as controllers would). Every
// case that breaks something does it in a private install in a namespace of its own (fd-k8s-comp-*),
// created and removed here: the shared install in `flyte` is only read.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../../src/config/target.js';
import { cause, hostPortKey } from '../../../src/engine/causes.js';
import type { CheckResult } from '../../../src/engine/types.js';
import {
  deleteObject, installFlyte, makeReady, makeTerminating, makeUnready, patchObject, podEvent, podName, registerWebhook, removeInstall, removeNamespace,
  scaleDeployment, setDeploymentStatus, setPodState, syncEndpoints, type Install, type InstallOptions,
} from '../../infra/flyte-install.js';
import { createIfMissing } from '../../infra/kube.js';
import { runCli } from '../../cli/helpers.js';
import { runCheck, runSelection } from '../../harness/run-check.js';
import { makeTarget } from '../../harness/target.js';
import { getTestbed } from '../../harness/testbed.js';

const IDS = ['flyte.crd.established', 'flyte.deployments.ready', 'flyte.projects.namespaces', 'flyte.services.endpoints', 'flyte.webhook.configured'];
const tb = () => getTestbed();
const target = (over: Partial<Target> = {}): Target =>
  makeTarget({ ...over, kubernetes: { kubeconfigPath: tb().kube.kubeconfig, context: 'admin', namespace: 'flyte', release: 'flyte', ...(over.kubernetes ?? {}) } } as never);
const verify = async (t: Target): Promise<Record<string, CheckResult>> => {
  const run = await runSelection(t, 'verify', IDS);
  return Object.fromEntries(run.results.map((r) => [r.id, r]));
};
const shaped = (r: CheckResult) => {
  expect(r.hint, `${r.id}: ${r.message}`).toBeTruthy();
  expect(r.messageId).toBeTruthy();
  expect(r.details).toBeTruthy();
};

describe('flyte verify checks on the shared install (read only)', () => {
  it('healthy flyte-binary install: every component check passes', async () => {
    const r = await verify(target({ chart: 'flyte-binary' }));
    for (const id of IDS) expect(r[id]!.status, `${id}: ${r[id]!.message}`).toBe('pass');
    expect(r['flyte.deployments.ready']!.message).toContain('flyte-flyte-binary');
    expect(r['flyte.services.endpoints']!.message).toContain('flyte-flyte-binary-webhook (1 ready)');
    expect(r['flyte.webhook.configured']!.message).toContain('Service flyte/flyte-flyte-binary-webhook:443/mutate--v1-pod');
    expect(r['flyte.projects.namespaces']!.details!.checked).toEqual(['flytesnacks-development', 'flytesnacks-staging', 'flytesnacks-production']);
  });

  it('flyte-binary under another release name than the target\'s default is found by its chart label', async () => {
    const r = await verify(target({ chart: 'flyte-binary', kubernetes: { release: 'flyte-backend' } as never }));
    for (const id of IDS) expect(r[id]!.status, `${id}: ${r[id]!.message}`).toBe('pass');
    expect(r['flyte.deployments.ready']!.message).toContain('(release "flyte" found by label)');
    expect(r['flyte.deployments.ready']!.details!.detected).toBe('no Deployment flyte-backend-flyte-binary (release "flyte-backend"); using flyte-flyte-binary, the only flyte-binary Deployment (release "flyte")');
  });

  it('an unreachable API server skips every component check behind kubernetes.api.reachable', async () => {
    const run = await runSelection(target({ kubernetes: { context: 'stalled' } as never }), 'verify', IDS, { timeoutMs: 1500 });
    for (const id of IDS) expect(run.results.find((r) => r.id === id)).toMatchObject({ status: 'skip', blockedBy: 'kubernetes.api.reachable' });
  });

  it('the CLI: `verify` with the test bed\'s generated inputs passes on the healthy shared flyte-binary install', async () => {
    const dir = tb().dir;
    const r = await runCli(['verify', '-f', join(dir, 'values.yaml'), '--flytectl-config', join(dir, 'flytectl.yaml'), '--kubeconfig', join(dir, 'kubeconfig'), '--dns-server', tb().dns.server, '-o', 'json'], { env: { PATH: process.env.PATH }, home: dir, cwd: dir });
    const doc = JSON.parse(r.stdout) as { results: CheckResult[] };
    // the pinned test-bed API server is out of upstream support by date: its warning is expected.
    // Only the Kubernetes-reading checks are this file's concern (other areas have their own tests).
    const mine = (id: string) => id.startsWith('kubernetes.') || IDS.includes(id) || id === 'dns.ingress.address';
    const bad = doc.results.filter((x) => mine(x.id) && (x.status === 'fail' || x.status === 'error' || (x.status === 'warn' && x.id !== 'kubernetes.version.supported')));
    expect(bad.map((x) => `${x.id} ${x.status}: ${x.message}`), r.stderr).toEqual([]);
    for (const id of [...IDS, 'dns.ingress.address', 'kubernetes.api.reachable']) expect(doc.results.filter((x) => x.id === id).map((x) => x.status), id).toContain('pass');
  }, 60_000);
});

describe.sequential('flyte-binary: object states of a private install, as the kubelet and the controllers write them', () => {
  const o: InstallOptions = { namespace: 'fd-k8s-comp-bin', release: 'fdcomp' };
  let inst: Install;
  const dep = () => inst.fullname!;
  const pod = () => podName(dep());
  const t = () => target({ chart: 'flyte-binary', kubernetes: { namespace: o.namespace!, release: 'fdcomp' } as never, databases: [{ role: 'flyteadmin', host: tb().postgres.host, port: tb().postgres.port, dbname: 'flyteadmin', user: 'flyte_owner', valuesKey: 'configuration.database' }] as never });
  const two = async () => {
    const run = await runSelection(t(), 'verify', ['flyte.deployments.ready', 'flyte.services.endpoints']);
    return { d: run.results.find((x) => x.id === 'flyte.deployments.ready')!, s: run.results.find((x) => x.id === 'flyte.services.endpoints')! };
  };
  beforeAll(async () => {
    await removeInstall(tb(), 'flyte-binary', o);
    inst = await installFlyte(tb(), 'flyte-binary', { ...o, db: { host: tb().postgres.host, port: tb().postgres.port, user: 'flyte_owner' } });
  }, 60_000);
  afterAll(async () => { await removeInstall(tb(), 'flyte-binary', o); }, 60_000);

  it('healthy: every component check passes', async () => {
    const r = await verify(t());
    for (const id of IDS) expect(r[id]!.status, `${id}: ${r[id]!.message}`).toBe('pass');
    expect(r['flyte.webhook.configured']!.message).toContain(`Service ${o.namespace}/fdcomp-flyte-binary-webhook:443`);
  });

  it('wait-for-db loops: names the database host the init container waits for; the cause is that database (so its check leads when it fails too)', async () => {
    await setPodState(tb(), dep(), { init: { 'wait-for-db': { running: true } }, containers: { '*': { waiting: { reason: 'PodInitializing' } } } }, o);
    try {
      const { d, s } = await two();
      expect(d).toMatchObject({ status: 'fail', messageId: 'waitingForDatabase', cause: cause.unreachable(hostPortKey(tb().postgres.host, tb().postgres.port)) });
      expect(d.message).toContain(`Init:Running (init container wait-for-db of pod ${pod()})`);
      expect(d.message).toContain(`it waits for the database ${tb().postgres.host}:${tb().postgres.port} (user flyte_owner)`);
      expect(d.hint).toContain('configuration.database.host / port and the network path from the pods');
      expect(s).toMatchObject({ status: 'fail', messageId: 'noReadyEndpoints', cause: d.cause });
      shaped(d); shaped(s);
    } finally { await makeReady(tb(), dep(), o); }
  });

  const cases: { name: string; state: Parameters<typeof setPodState>[2]; id: string; msg: RegExp; hint: string }[] = [
    { name: 'image pull refused for credentials', id: 'imagePullFailed', msg: /ImagePullBackOff \(container flyte of pod .*\): Failed to pull image .*unauthorized: authentication required/, hint: 'serviceAccount.imagePullSecrets',
      state: { phase: 'Pending', containers: { flyte: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "cr.flyte.org/flyteorg/flyte-binary:latest"' } } }, events: [{ reason: 'Failed', message: 'Failed to pull image "cr.flyte.org/flyteorg/flyte-binary:latest": rpc error: code = Unknown desc = failed to authorize: failed to fetch anonymous token: unexpected status: 401 Unauthorized: unauthorized: authentication required' }] } },
    { name: 'image not found', id: 'imagePullFailed', msg: /ErrImagePull .*manifest unknown/, hint: 'deployment.image.repository / deployment.image.tag',
      state: { phase: 'Pending', containers: { flyte: { waiting: { reason: 'ErrImagePull', message: 'rpc error: code = NotFound desc = failed to pull and unpack image "cr.flyte.org/flyteorg/flyte-binary:v9.9.9": not found: manifest unknown' } } } } },
    { name: 'registry rate limit', id: 'imagePullFailed', msg: /toomanyrequests/, hint: 'use a mirror',
      state: { phase: 'Pending', containers: { flyte: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } } }, events: [{ reason: 'Failed', message: 'Failed to pull image "postgres:15-alpine": toomanyrequests: You have reached your pull rate limit.' }] } },
    { name: 'OOMKilled', id: 'oomKilled', msg: /CrashLoopBackOff .*; 5 restarts; last termination: OOMKilled, exit 137/, hint: 'deployment.resources.limits.memory',
      state: { containers: { flyte: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container' }, restarts: 5, lastTerminated: { reason: 'OOMKilled', exitCode: 137 } } } } },
    { name: 'crash with exit code', id: 'crashLooping', msg: /last termination: Error, exit 1, panic: failed to connect to the database \(1 = the application failed/, hint: '--previous',
      state: { containers: { flyte: { waiting: { reason: 'CrashLoopBackOff' }, restarts: 3, lastTerminated: { reason: 'Error', exitCode: 1, message: 'panic: failed to connect to the database' } } } } },
    { name: 'missing Secret', id: 'configMissing', msg: /CreateContainerConfigError .*secret "flyte-db-pass" not found/, hint: 'create the missing Secret "flyte-db-pass"',
      state: { phase: 'Pending', containers: { flyte: { waiting: { reason: 'CreateContainerConfigError', message: 'secret "flyte-db-pass" not found' } } } } },
    { name: 'missing key in a ConfigMap', id: 'configMissing', msg: /couldn't find key 000-core.yaml/, hint: 'ConfigMap "fdcomp-flyte-binary-config" (key 000-core.yaml)',
      state: { phase: 'Pending', containers: { flyte: { waiting: { reason: 'CreateContainerConfigError', message: "couldn't find key 000-core.yaml in ConfigMap fd-k8s-comp-bin/fdcomp-flyte-binary-config" } } } } },
    { name: 'Pending: insufficient memory', id: 'unschedulable', msg: /Unschedulable \(pod .*\): 0\/1 nodes are available: 1 Insufficient memory/, hint: 'lower `deployment.resources.requests`',
      state: { unscheduled: { reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.' }, events: [{ reason: 'FailedScheduling', message: '0/1 nodes are available: 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.' }] } },
    { name: 'Pending: untolerated taint', id: 'unschedulable', msg: /untolerated taint/, hint: 'add tolerations via `deployment.extraPodSpec',
      state: { unscheduled: { reason: 'Unschedulable', message: '0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.' } } },
    { name: 'Pending: unbound PVC', id: 'unschedulable', msg: /unbound immediate PersistentVolumeClaims/, hint: 'StorageClass',
      state: { unscheduled: { reason: 'Unschedulable', message: '0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.' } } },
    { name: 'evicted', id: 'evicted', msg: /Evicted \(pod .*\): The node was low on resource: memory/, hint: 'deployment.resources',
      state: { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi.', containers: { flyte: { terminated: { reason: 'ContainerStatusUnknown', exitCode: 137 } } } } },
    { name: 'readiness probe failing', id: 'readinessFailing', msg: /Unhealthy .*Readiness probe failed: HTTP probe failed with statuscode: 503/, hint: 'deployment.readinessProbe.initialDelaySeconds',
      state: { containers: { flyte: { running: true, ready: false } }, events: [{ reason: 'Unhealthy', message: 'Readiness probe failed: HTTP probe failed with statuscode: 503', count: 12 }] } },
    { name: 'volume mount failing', id: 'volumeMountFailed', msg: /FailedMount .*configmap "fdcomp-flyte-binary-cluster-resource-templates" not found/, hint: 'is created by the chart: `helm upgrade` the release',
      state: { phase: 'Pending', containers: { flyte: { waiting: { reason: 'ContainerCreating' } } }, events: [{ reason: 'FailedMount', message: 'MountVolume.SetUp failed for volume "cluster-resource-templates" : configmap "fdcomp-flyte-binary-cluster-resource-templates" not found' }] } },
    { name: 'an init container failing', id: 'initContainerFailed', msg: /Error \(init container wait-for-db of pod .*\).*exit 127/, hint: 'deployment.waitForDB.image.repository',
      state: { phase: 'Pending', init: { 'wait-for-db': { terminated: { reason: 'Error', exitCode: 127, message: 'sh: pg_isready: not found' } } }, containers: { '*': { waiting: { reason: 'PodInitializing' } } } } },
    { name: 'a reason nobody documents', id: 'unrecognised', msg: /unrecognised: SomethingNew the runtime says no/, hint: 'describe pod',
      state: { phase: 'Pending', containers: { flyte: { waiting: { reason: 'SomethingNew', message: 'the runtime says no' } } } } },
  ];
  for (const c of cases) {
    it(`pod state: ${c.name} -> ${c.id}`, async () => {
      await setPodState(tb(), dep(), c.state, o);
      try {
        const { d, s } = await two();
        expect(d, d.message).toMatchObject({ status: 'fail', messageId: c.id });
        expect(d.message).toMatch(c.msg);
        expect(d.hint).toContain(c.hint);
        shaped(d);
        // The Service check sees the same fault (its pods are not ready): one cause, so one root.
        expect(s).toMatchObject({ status: 'fail', messageId: 'noReadyEndpoints' });
        expect(s.cause).toBe(d.cause);
      } finally { await makeReady(tb(), dep(), o); }
    });
  }

  it('Deployment states: scaled to 0, ProgressDeadlineExceeded, ReplicaFailure (quota), generation not observed', async () => {
    await scaleDeployment(tb(), dep(), 0, o);
    try {
      const { d } = await two();
      expect(d).toMatchObject({ status: 'fail', messageId: 'scaledToZero', cause: cause.backend('flyteadmin') });
      expect(d.hint).toContain(`scale deployment ${dep()} --replicas=1`);
    } finally { await scaleDeployment(tb(), dep(), 1, o); await makeReady(tb(), dep(), o); }
    const broken = async (status: Record<string, unknown>, id: string, text: string, hint: string) => {
      await setDeploymentStatus(tb(), dep(), { availableReplicas: null, readyReplicas: null, unavailableReplicas: 1, ...status }, o);
      try {
        const { d } = await two();
        expect(d, d.message).toMatchObject({ status: 'fail', messageId: id });
        expect(d.message).toContain(text);
        expect(d.hint).toContain(hint);
      } finally { await makeReady(tb(), dep(), o); }
    };
    const now = new Date().toISOString();
    await broken({ conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${dep()}-7d9" has timed out progressing.`, lastUpdateTime: now, lastTransitionTime: now }] }, 'rolloutStuck', 'has timed out progressing', 'rollout undo');
    await broken({ conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: `pods "${dep()}-7d9-x" is forbidden: exceeded quota: compute, requested: memory=2Gi, used: memory=7Gi, limited: memory=8Gi`, lastUpdateTime: now, lastTransitionTime: now }] }, 'podCreationFailed', 'exceeded quota: compute', 'describe resourcequota');
    await broken({ observedGeneration: 0 }, 'rolloutPending', 'has not processed the latest spec', 'kube-controller-manager');
  });

  it('Service: a selector that matches no pod names the selector', async () => {
    const svc = `${dep()}-http`;
    await patchObject(tb(), 'Service', svc, { spec: { selector: { 'app.kubernetes.io/name': 'flyte-binary', 'app.kubernetes.io/instance': 'someone-else' } } }, o);
    await syncEndpoints(tb(), o);
    try {
      const { d, s } = await two();
      expect(d.status).toBe('pass');
      expect(s).toMatchObject({ status: 'fail', messageId: 'selectorMatchesNothing', cause: cause.backend('flyteadmin') });
      expect(s.message).toContain(`${svc}: no ready endpoints; its selector app.kubernetes.io/component=flyte-binary,app.kubernetes.io/instance=someone-else,app.kubernetes.io/name=flyte-binary matches no pod`);
      expect(s.hint).toContain('get pods --show-labels');
    } finally {
      await patchObject(tb(), 'Service', svc, { spec: { selector: { 'app.kubernetes.io/instance': 'fdcomp' } } }, o);
      await syncEndpoints(tb(), o);
    }
  });

  it('webhook: no caBundle, a Service that is gone, and no registration at all', async () => {
    const name = inst.webhook;
    const webhook = async () => (await runCheck('flyte.webhook.configured', t())).result;
    try {
      await patchObject(tb(), 'MutatingWebhookConfiguration', name, { webhooks: [{ name: 'flyte-pod-webhook.flyte.org', admissionReviewVersions: ['v1'], sideEffects: 'None', clientConfig: { service: { name: `${dep()}-webhook`, namespace: o.namespace, path: '/mutate--v1-pod', port: 443 } } }] });
      const a = await webhook();
      expect(a).toMatchObject({ status: 'fail', messageId: 'caBundleEmpty' });
      expect(a.hint).toContain(`delete secret ${dep()}-webhook-secret`);
      await registerWebhook(tb(), 'flyte-binary', o);
      await deleteObject(tb(), 'Service', `${dep()}-webhook`, o);
      const b = await webhook();
      expect(b).toMatchObject({ status: 'fail', messageId: 'serviceMissing' });
      expect(b.message).toContain(`points at Service ${o.namespace}/${dep()}-webhook, which does not exist`);
      await deleteObject(tb(), 'MutatingWebhookConfiguration', name, o);
      const c = await webhook();
      expect(c).toMatchObject({ status: 'fail', messageId: 'notRegistered', cause: cause.object('mutatingwebhookconfiguration', undefined, name) });
      expect(c.hint).toContain(`rollout restart deploy/${dep()}`);
    } finally {
      await removeInstall(tb(), 'flyte-binary', o);
      inst = await installFlyte(tb(), 'flyte-binary', { ...o, db: { host: tb().postgres.host, port: tb().postgres.port, user: 'flyte_owner' } });
    }
    expect((await webhook()).status).toBe('pass');
  });
});

describe.sequential('namespaces stuck Terminating', () => {
  const nsTerm = 'fd-k8s-comp-term';
  const proj = 'fdk8sterm';
  afterAll(async () => { await removeNamespace(tb(), nsTerm); await removeNamespace(tb(), `${proj}-development`); });

  it('kubernetes.namespace.exists names the finalizers and the remaining objects, and never says create it', async () => {
    await makeTerminating(tb(), nsTerm);
    const { result } = await runCheck('kubernetes.namespace.exists', target({ kubernetes: { namespace: nsTerm } as never }), { phase: 'preflight' });
    expect(result).toMatchObject({ status: 'fail', messageId: 'terminating', cause: cause.object('namespace', undefined, nsTerm) });
    expect(result.message).toContain('Some content in the namespace has finalizers remaining: flyte-doctor.test/held in 1 resource instances');
    expect(result.hint).toContain('flyte-doctor.test/held');
    expect(result.hint).toContain(`patch configmaps. <name> -n ${nsTerm} --type merge -p '{"metadata":{"finalizers":null}}'`);
    expect(result.hint).not.toContain('create namespace');
  });

  it('an aggregated API that is down is named as what blocks the deletion', async () => {
    const ns = `${nsTerm}-api`;
    await makeTerminating(tb(), ns, { conditions: [{ type: 'NamespaceDeletionDiscoveryFailure', status: 'True', reason: 'DiscoveryFailed', message: 'Discovery failed for some groups, 1 failing: unable to retrieve the complete list of server APIs: metrics.k8s.io/v1beta1: the server is currently unable to handle the request' }] });
    try {
      const { result } = await runCheck('kubernetes.namespace.exists', target({ kubernetes: { namespace: ns } as never }), { phase: 'preflight' });
      expect(result).toMatchObject({ status: 'fail', messageId: 'terminating' });
      expect(result.hint).toContain('kubectl delete apiservice v1beta1.metrics.k8s.io');
    } finally { await removeNamespace(tb(), ns); }
  });

  it('flyte.projects.namespaces: a project namespace stuck Terminating is named with its blocker, not "create it"', async () => {
    await makeTerminating(tb(), `${proj}-development`);
    const { result } = await runCheck('flyte.projects.namespaces', target({ projects: [proj], domains: ['development'] }), { phase: 'verify' });
    expect(result).toMatchObject({ status: 'fail', messageId: 'terminating' });
    expect(result.message).toContain(`1 project-domain namespace(s) are stuck Terminating (${proj}-development)`);
    expect(result.hint).not.toContain('create namespace');
  });
});

describe.sequential('flyte-core in a private namespace', () => {
  const o: InstallOptions = { namespace: 'fd-k8s-comp-core' };
  const t = () => target({ chart: 'flyte-core', kubernetes: { namespace: o.namespace! } as never });
  beforeAll(async () => { await removeInstall(tb(), 'flyte-core', o); await installFlyte(tb(), 'flyte-core', o); }, 90_000);
  afterAll(async () => { await removeInstall(tb(), 'flyte-core', o); }, 60_000);

  it('healthy: all seven Deployments available, Services served, webhook registered', async () => {
    const r = await verify(t());
    for (const id of IDS) expect(r[id]!.status, `${id}: ${r[id]!.message}`).toBe('pass');
    expect((r['flyte.deployments.ready']!.details!.ready as string[]).sort()).toEqual(['datacatalog', 'flyte-pod-webhook', 'flyteadmin', 'flyteconsole', 'flytepropeller', 'flytescheduler', 'syncresources']);
    expect(r['flyte.webhook.configured']!.message).toContain('flyte-pod-webhook');
  });

  it('two components unready: each reason, the last termination and the Services without endpoints; the first component leads', async () => {
    await makeUnready(tb(), 'datacatalog', 'CrashLoopBackOff', o);
    await makeUnready(tb(), 'flyteconsole', 'ImagePullBackOff', o);
    try {
      const r = await verify(t());
      const d = r['flyte.deployments.ready']!;
      expect(d).toMatchObject({ status: 'fail', messageId: 'imagePullFailed', cause: cause.backend('flyteconsole') });
      expect(d.message).toContain(`2 Flyte Deployment(s) not ready in ${o.namespace}`);
      expect(d.message).toContain('datacatalog: CrashLoopBackOff (container datacatalog of pod datacatalog-testbed-0)');
      expect(d.message).toContain('7 restarts; last termination: Error, exit 1');
      expect(d.message).toMatch(/flyteconsole: ImagePullBackOff \(container flyteconsole of pod flyteconsole-testbed-0\): Back-off pulling image "[^"]+"/);
      expect(d.hint).toContain('flyteconsole.image.repository / flyteconsole.image.tag');
      shaped(d);
      const s = r['flyte.services.endpoints']!;
      expect(s).toMatchObject({ status: 'fail', messageId: 'noReadyEndpoints' });
      expect(s.message).toContain('datacatalog: no ready endpoints (1 not ready)');
      expect(s.message).toContain('flyteconsole: no ready endpoints (1 not ready)');
      shaped(s);
      expect(r['flyte.webhook.configured']!.status).toBe('pass');
    } finally {
      await makeReady(tb(), 'datacatalog', o);
      await makeReady(tb(), 'flyteconsole', o);
    }
    expect((await runCheck('flyte.deployments.ready', t())).result.status).toBe('pass');
  });

  it('the pod\'s events name what the scheduler and kubelet saw (an event written for one pod)', async () => {
    await setPodState(tb(), 'flyteadmin', { phase: 'Pending', init: { 'run-migrations': { waiting: { reason: 'CrashLoopBackOff' }, restarts: 4, lastTerminated: { reason: 'Error', exitCode: 1, message: 'failed to connect to `host=db user=flyteadmin database=flyteadmin`: server error (FATAL: password authentication failed for user "flyteadmin" (SQLSTATE 28P01))' } } }, containers: { '*': { waiting: { reason: 'PodInitializing' } } } }, o);
    await podEvent(tb(), o.namespace!, { kind: 'Pod', name: podName('flyteadmin') }, 'BackOff', 'Back-off restarting failed container run-migrations');
    try {
      const target2 = makeTarget({ ...t(), databases: [{ role: 'flyteadmin', host: 'db', port: 5432, dbname: 'flyteadmin', user: 'flyteadmin', valuesKey: 'db.admin.database' }] } as never);
      const d = (await runCheck('flyte.deployments.ready', target2)).result;
      expect(d).toMatchObject({ status: 'fail', messageId: 'initContainerFailed', cause: cause.credentials('postgres', `flyteadmin@${hostPortKey('db', 5432)}`) });
      expect(d.message).toContain('init container run-migrations of pod flyteadmin-testbed-0');
      expect(d.message).toContain('(it runs the database migrations)');
      expect(d.hint).toContain('the database refuses the password');
    } finally { await makeReady(tb(), 'flyteadmin', o); }
  });

  it('no Flyte installed in the target namespace: one cause for every failing component check', async () => {
    const empty = 'fd-k8s-comp-empty';
    await createIfMissing({ server: tb().kube.server, caFile: tb().kube.caFile }, tb().kube.tokens.admin, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: empty } });
    try {
      const r = await verify(target({ chart: 'flyte-binary', projects: ['ghost'], kubernetes: { release: 'nothing-here', namespace: empty } as never }));
      const d = r['flyte.deployments.ready']!;
      expect(d).toMatchObject({ status: 'fail', messageId: 'notInstalled', cause: cause.object('flyte-install', empty, 'flyte-binary') });
      expect(d.message).toBe(`no flyte-binary Deployments in namespace ${empty} (expected nothing-here-flyte-binary; found none)`);
      expect(d.hint).toContain('helm list -A');
      expect(r['flyte.services.endpoints']).toMatchObject({ status: 'fail', messageId: 'serviceMissing', cause: d.cause });
      expect(r['flyte.services.endpoints']!.message).toContain('nothing-here-flyte-binary-http: Service missing');
      expect(r['flyte.webhook.configured']).toMatchObject({ status: 'fail', messageId: 'notRegistered', cause: d.cause });
      const p = r['flyte.projects.namespaces']!;
      expect(p).toMatchObject({ status: 'fail', messageId: 'missing' });
      expect(p.message).toContain('failed to create workflow in propeller namespaces \\"ghost-development\\" not found');
      expect(p.details!.missing).toEqual(['ghost-development', 'ghost-production', 'ghost-staging']);
      for (const id of ['flyte.services.endpoints', 'flyte.webhook.configured', 'flyte.projects.namespaces']) shaped(r[id]!);
    } finally { await removeNamespace(tb(), empty); }
  });
});
