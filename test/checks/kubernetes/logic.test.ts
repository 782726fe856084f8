// Pure logic of the Kubernetes checks: quantities, the dated version table, RBAC evaluation, pod
// placement and diagnosis, endpoint counting, kubeconfig loading errors (no server needed).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartRequests, place, podRequest, taskPod } from '../../../checks/kubernetes/capacity.resources.js';
import { evaluate, requirements, summarize } from '../../../checks/kubernetes/rbac.install.js';
import { classify, parseGitVersion, supportedMinors } from '../../../checks/kubernetes/version.supported.js';
import { countEndpoints } from '../../../checks/flyte/services.endpoints.js';
import { explainUnready } from '../../../checks/flyte/deployments.ready.js';
import { classifyTransportError, execInstallHint, KubeError, kubeconfigFiles, openKube, parseQuantity, selectorString } from '../../../src/clients/kube.js';
import { binaryFullname, flyteComponents } from '../../../src/flyte/kubernetes.js';
import { diagnosePod } from '../../../src/flyte/pods.js';
import { makeTarget } from '../../harness/target.js';

const Mi = 2 ** 20, Gi = 2 ** 30;

describe('parseQuantity', () => {
  it('parses CPU and memory forms', () => {
    expect(parseQuantity('100m')).toBeCloseTo(0.1);
    expect(parseQuantity('1.5')).toBe(1.5);
    expect(parseQuantity('500Mi')).toBe(500 * Mi);
    expect(parseQuantity('2Gi')).toBe(2 * Gi);
    expect(parseQuantity('1G')).toBe(1e9);
    expect(parseQuantity('129M')).toBe(129e6);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(parseQuantity(undefined)).toBe(0);
    expect(() => parseQuantity('lots')).toThrow(/not a Kubernetes quantity/);
  });
});

describe('kubernetes.version.supported table', () => {
  it('on 2026-11-23 upstream supports 1.35-1.37', () => {
    expect(supportedMinors('2026-11-23')).toEqual([35, 36, 37]);
    expect(classify(33, '2026-11-23')).toEqual({ kind: 'out-of-support', range: '1.35-1.37', endedOn: '2026-06-28' });
    expect(classify(36, '2026-11-23')).toEqual({ kind: 'supported', range: '1.35-1.37' });
    expect(classify(18, '2026-11-23')).toEqual({ kind: 'below-floor' });
    expect(classify(39, '2026-11-23').kind).toBe('newer-than-table');
  });
  it('moves with the date: 1.34 was supported until 2026-10-27', () => {
    expect(classify(34, '2026-10-26').kind).toBe('supported');
    expect(classify(34, '2026-10-27').kind).toBe('out-of-support');
  });
  it('parses vendor git versions', () => {
    expect(parseGitVersion('v1.29.8-eks-a737599')).toEqual({ major: 1, minor: 29, patch: 8 });
    expect(parseGitVersion('v1.30.5-gke.1014001')).toEqual({ major: 1, minor: 30, patch: 5 });
  });
});

describe('kubernetes.rbac.install evaluation', () => {
  const target = makeTarget({ chart: 'flyte-binary' });
  const reqs = requirements(target);
  it('asks for the chart objects, escalate/bind, and the ClusterRole grants', () => {
    const direct = reqs.filter((r) => !r.grant);
    expect(new Set(direct.map((r) => r.resource))).toEqual(new Set(['namespaces', 'deployments', 'services', 'serviceaccounts', 'configmaps', 'secrets', 'ingresses', 'clusterroles', 'clusterrolebindings', 'mutatingwebhookconfigurations']));
    expect(direct.filter((r) => r.resource === 'clusterroles').map((r) => r.verb)).toEqual(expect.arrayContaining(['escalate', 'bind']));
    expect(reqs.some((r) => r.grant && r.resource === 'flyteworkflows')).toBe(true);
    expect(requirements(makeTarget({ chart: 'flyte-core' })).some((r) => r.grant && r.resource === '*' && r.group === '*')).toBe(true);
    expect(requirements(makeTarget({ ingress: { enabled: false } as never })).some((r) => r.resource === 'ingresses')).toBe(false);
  });
  it('grants are not needed with escalate+bind; without them they are listed with escalate/bind', () => {
    const allowAllButGrants = reqs.map((r) => ({ ...r, allowed: !r.grant }));
    expect(evaluate(reqs, allowAllButGrants).missing).toEqual([]);
    const noEscalate = reqs.map((r) => ({ ...r, allowed: !r.grant && r.verb !== 'escalate' }));
    const { missing } = evaluate(reqs, noEscalate);
    expect(missing.some((m) => m.verb === 'escalate')).toBe(true);
    expect(missing.some((m) => m.resource === 'pods' && m.grant)).toBe(true);
    expect(summarize(missing)).toContain('escalate clusterroles.rbac.authorization.k8s.io (cluster-wide)');
  });
  it('holding every grant makes escalate/bind unnecessary', () => {
    const noEscalateButHolds = reqs.map((r) => ({ ...r, allowed: r.verb !== 'escalate' && r.verb !== 'bind' }));
    expect(evaluate(reqs, noEscalateButHolds).missing).toEqual([]);
  });
});

describe('kubernetes.capacity.resources placement', () => {
  it('counts flyte-core requests plus a task pod; flyte-binary has none', () => {
    expect(chartRequests(makeTarget({ chart: 'flyte-binary' }))).toEqual([]);
    expect(chartRequests(makeTarget({ chart: 'flyte-core' })).find((p) => p.name === 'flyte-pod-webhook')).toMatchObject({ cpu: 0.2, mem: 500 * Mi });
    expect(taskPod(makeTarget({ taskResourceDefaults: { cpu: '2', memory: '4Gi' } }))).toMatchObject({ cpu: 2, mem: 4 * Gi });
  });
  it('effective pod request: max(sum of containers, largest init) + overhead', () => {
    expect(podRequest({ spec: { containers: [{ resources: { requests: { cpu: '100m', memory: '100Mi' } } }, { resources: { requests: { cpu: '200m' } } }], initContainers: [{ resources: { requests: { cpu: '1', memory: '10Mi' } } }] } }))
      .toEqual({ cpu: 1, mem: 100 * Mi });
  });
  it('first-fit decreasing: a pod bigger than every node stays unplaced', () => {
    const nodes = [{ name: 'a', cpu: 1, mem: Gi, allocCpu: 1, allocMem: Gi }, { name: 'b', cpu: 1, mem: Gi, allocCpu: 1, allocMem: Gi }];
    expect(place([{ name: 'x', cpu: 0.8, mem: 100 * Mi }, { name: 'y', cpu: 0.8, mem: 100 * Mi }], nodes).unplaced).toEqual([]);
    expect(place([{ name: 'big', cpu: 1.5, mem: 100 * Mi }], nodes).unplaced.map((p) => p.name)).toEqual(['big']);
  });
});

describe('pod diagnosis and Deployment explanations', () => {
  it('reports waiting reasons, last termination, unschedulable', () => {
    expect(diagnosePod({ metadata: { name: 'p' }, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient cpu.' }] } }))
      .toMatchObject({ pod: 'p', kind: 'unschedulable', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient cpu.', scheduling: { insufficient: ['cpu'] } });
    const crash = diagnosePod({ metadata: { name: 'p' }, status: { phase: 'Running', containerStatuses: [{ name: 'flyte', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { reason: 'Error', exitCode: 1, message: 'failed to connect to database' } } }] } });
    expect(crash).toMatchObject({ kind: 'crash-loop', reason: 'CrashLoopBackOff', container: 'flyte', restarts: 4, lastTermination: { exitCode: 1, message: 'failed to connect to database' } });
    expect(diagnosePod({ metadata: { name: 'p' }, status: { phase: 'Pending', initContainerStatuses: [{ name: 'wait-for-db', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "postgres:15-alpine"' } } }] } }))
      .toMatchObject({ kind: 'image-pull', reason: 'ImagePullBackOff', container: 'wait-for-db', init: true });
    expect(diagnosePod({ metadata: { name: 'p' }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'c', ready: true, state: { running: {} } }] } })).toBeUndefined();
  });
  it('explains with the chart values key', () => {
    const target = makeTarget({ chart: 'flyte-core' });
    const core = flyteComponents(target).find((c) => c.component === 'flyte-pod-webhook')!;
    const diag = diagnosePod({ metadata: { name: 'w-1' }, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient memory.' }] } })!;
    const u = explainUnready(core, { metadata: { name: 'flyte-pod-webhook' }, spec: { replicas: 1 } }, diag, 1, 'flyte-core', 'kubectl -n flyte', target);
    expect(u.text).toBe('flyte-pod-webhook: Unschedulable (pod w-1): 0/1 nodes are available: 1 Insufficient memory.');
    expect(u.id).toBe('unschedulable');
    expect(u.hint).toContain('`webhook.resources.requests`');
    const scaled = explainUnready(core, { metadata: { name: 'flyte-pod-webhook' }, spec: { replicas: 0 } }, undefined, 0, 'flyte-core', 'kubectl -n flyte', target);
    expect(scaled.reason).toBe('ScaledToZero');
  });
  it('a Pod Security refusal names the securityContext key the chart reads (flyte-core: <component>.securityContext)', () => {
    const target = makeTarget({ chart: 'flyte-core' });
    const admin = flyteComponents(target).find((c) => c.component === 'flyteadmin')!;
    const msg = 'pods "flyteadmin-7d9-x" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "flyteadmin" must set securityContext.allowPrivilegeEscalation=false)';
    const now = new Date().toISOString();
    const u = explainUnready(admin, { metadata: { name: 'flyteadmin' }, spec: { replicas: 1 }, status: { conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: msg, lastUpdateTime: now }] } }, undefined, 0, 'flyte-core', 'kubectl -n flyte', target);
    expect(u.id).toBe('podCreationFailed');
    expect(u.hint).toContain('`flyteadmin.securityContext`');
    expect(u.hint).not.toContain('podSecurityContext');
  });
  it('names the binary Deployment from the release', () => {
    expect(binaryFullname('flyte-backend')).toBe('flyte-backend-flyte-binary');
    expect(binaryFullname('flyte-binary')).toBe('flyte-binary');
    expect(selectorString({ matchLabels: { a: 'b' }, matchExpressions: [{ key: 'c', operator: 'In', values: ['d', 'e'] }] })).toBe('a=b,c in (d,e)');
  });
});

describe('endpoint counting', () => {
  it('prefers EndpointSlices and falls back to Endpoints', () => {
    const slices = [{ metadata: { labels: { 'kubernetes.io/service-name': 's' } }, endpoints: [{ addresses: ['1'], conditions: { ready: true } }, { addresses: ['2'], conditions: { ready: false } }, { addresses: ['3'] }] }];
    expect(countEndpoints('s', slices, [])).toEqual({ ready: 2, notReady: 1, source: 'endpointslices' });
    expect(countEndpoints('t', slices, [{ metadata: { name: 't' }, subsets: [{ notReadyAddresses: [{}] }] }])).toEqual({ ready: 0, notReady: 1, source: 'endpoints' });
    expect(countEndpoints('u', slices, [])).toEqual({ ready: 0, notReady: 0, source: 'none' });
  });
});

describe('kubeconfig loading and error classes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fd-kc-'));
  const write = (name: string, text: string) => { const f = join(dir, name); writeFileSync(f, text); return f; };
  const err = async (p: Promise<unknown>) => { try { await p; } catch (e) { return e as KubeError; } throw new Error('expected a KubeError'); };
  const kc = `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`;

  it('missing file, missing context, broken context, unreadable credential file', async () => {
    expect((await err(openKube({ kubeconfigPath: join(dir, 'nope'), namespace: 'flyte', release: 'r' }))).kind).toBe('no-kubeconfig');
    const f = write('ok.yaml', kc);
    const e = await err(openKube({ kubeconfigPath: f, context: 'other', namespace: 'flyte', release: 'r' }));
    expect(e.kind).toBe('context-missing');
    expect(e.message).toContain('available: x');
    const g = write('broken.yaml', kc.replace('cluster: c, user: u', 'cluster: gone, user: u'));
    expect((await err(openKube({ kubeconfigPath: g, namespace: 'flyte', release: 'r' }))).kind).toBe('cluster-missing');
    const h = write('certfile.yaml', kc.replace('{token: t}', `{client-certificate: ${join(dir, 'missing.crt')}, client-key: ${join(dir, 'missing.key')}}`));
    const hs = await openKube({ kubeconfigPath: h, namespace: 'flyte', release: 'r' });
    expect((await err(hs.credentials(AbortSignal.timeout(2000)))).kind).toBe('credential-file');
    hs.close();
    const s = await openKube({ kubeconfigPath: f, namespace: 'flyte', release: 'r' });
    expect(s.identity).toMatchObject({ context: 'x', cluster: 'c', user: 'u', auth: 'token', server: 'https://127.0.0.1:1' });
    s.close();
  });
  it('$KUBECONFIG path lists and ~/.kube/config', () => {
    expect(kubeconfigFiles({}, { KUBECONFIG: '/a:/b' }).files).toEqual(['/a', '/b']);
    expect(kubeconfigFiles({}, { HOME: '/home/u' }).files).toEqual(['/home/u/.kube/config']);
    expect(kubeconfigFiles({ kubeconfigPath: '/x' }, { KUBECONFIG: '/a' }).files).toEqual(['/x']);
  });
  it('exec plugins: a failing plugin shows its stderr; install hints name the plugin', async () => {
    const plugin = write('plugin.sh', '#!/bin/sh\necho "token expired: run aws sso login" >&2\nexit 3\n');
    (await import('node:fs')).chmodSync(plugin, 0o755);
    const f = write('exec.yaml', kc.replace('{token: t}', `{exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: ${plugin}}}`));
    const s = await openKube({ kubeconfigPath: f, namespace: 'flyte', release: 'r' });
    const e = await err(s.credentials(AbortSignal.timeout(5000)));
    expect(e.kind).toBe('exec-failed');
    expect(e.message).toContain('exited with 3: token expired: run aws sso login');
    s.close();
    expect(execInstallHint('gke-gcloud-auth-plugin')).toContain('gcloud components install gke-gcloud-auth-plugin');
    expect(execInstallHint('/usr/local/bin/aws')).toContain('aws eks update-kubeconfig');
  });
  it('transport errors: TLS trust vs host name vs refused vs plaintext; our own bugs are rethrown', () => {
    expect(classifyTransportError(Object.assign(new Error('write EPROTO 80:error:0A00010B:SSL routines:ssl3_get_record:wrong version number'), { code: 'EPROTO' }), 's').kind).toBe('tls-plaintext');
    expect(classifyTransportError(Object.assign(new Error('Parse Error'), { code: 'HPE_INVALID_CONSTANT', rawPacket: Buffer.from([0x15, 0x03, 0x01, 0, 2, 2, 0x46]) }), 's').kind).toBe('tls-expected');
    expect(classifyTransportError(Object.assign(new Error('odd'), { code: 'ESOMETHINGNEW' }), 's').kind).toBe('network');
    expect(classifyTransportError(Object.assign(new Error('x'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }), 's').kind).toBe('tls-untrusted');
    expect(classifyTransportError(Object.assign(new Error('x'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }), 's').kind).toBe('tls-hostname');
    expect(classifyTransportError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 's').kind).toBe('refused');
    expect(() => classifyTransportError(new TypeError('bug'), 's')).toThrow('bug');
  });
});
