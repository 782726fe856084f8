// Broken Kubernetes environments, one thing at a time. Verify scenarios break a private flyte-binary
// install of their own (installed in setup() in a namespace fd-k8s-scn-*, removed by the undo; the
// shared install in `flyte` is never touched) and run `verify -n <namespace>`. Preflight scenarios
// break the kubeconfig or the API server the context points at. Each asserts the exact failing set,
// the root cause and its messageId, and the fix's key or command.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/helpers.js';
import { impostors, startHttp, startTcp, type Running } from '../harness/private-servers.js';
import { getTestbed } from '../harness/testbed.js';
import {
  deleteObject, installFlyte, makeTerminating, patchObject, removeInstall, removeNamespace, scaleDeployment, setDeploymentStatus, setPodState, syncEndpoints,
  type InstallOptions, type PodState,
} from '../infra/flyte-install.js';
import { assertScenario, describeScenarios, type Scenario, type ScenarioExpect, type ScenarioReport } from './harness.js';

const tb = () => getTestbed();
/** The checks that read the Kubernetes API: the other areas have scenarios of their own. */
const VERIFY_ONLY = ['kubernetes', 'flyte.crd.established', 'flyte.deployments.ready', 'flyte.projects.namespaces', 'flyte.services.endpoints', 'flyte.webhook.configured', 'dns.ingress.address'];
const PREFLIGHT_ONLY = ['kubernetes'];
const DEP = 'flyte.deployments.ready';
const SVC = 'flyte.services.endpoints';
const FN = 'fdscn-flyte-binary';

/** A private flyte-binary install (release fdscn) whose wait-for-db points at the values' database. */
function install(ns: string, breakIt?: (o: InstallOptions) => Promise<void>): () => Promise<() => Promise<void>> {
  const o: InstallOptions = { namespace: ns, release: 'fdscn', db: { host: tb().postgres.host, port: tb().postgres.port, user: tb().postgres.owner.user } };
  return async () => {
    await removeInstall(tb(), 'flyte-binary', o);
    await installFlyte(tb(), 'flyte-binary', o);
    await breakIt?.(o);
    return async () => { await removeInstall(tb(), 'flyte-binary', o); };
  };
}
const pod = (state: PodState) => (o: InstallOptions) => setPodState(tb(), FN, state, o);
const verify = (ns: string, s: Omit<Scenario, 'phase' | 'only' | 'inputs'> & { set?: string[] }): Scenario => ({
  ...s, phase: 'verify', only: VERIFY_ONLY, inputs: { args: ['-n', ns], ...(s.set ? { set: s.set } : {}) },
});
const both = (root: string, messageId: string, fix: string[], extra: Partial<ScenarioExpect> = {}): ScenarioExpect => ({ failing: [DEP, SVC], root, messageId, fix, ...extra });

const scenarios: Scenario[] = [
  verify('fd-k8s-scn-waitdb', {
    name: 'wait-for-db loops (the pods cannot reach the database): the init container names the database host',
    setup: install('fd-k8s-scn-waitdb', pod({ init: { 'wait-for-db': { running: true } }, containers: { '*': { waiting: { reason: 'PodInitializing' } } } })),
    expect: both(DEP, 'waitingForDatabase', ['configuration.database.host'], { check: (r) => expect(r.results.find((x) => x.id === DEP)!.message).toContain(`waits for the database ${getTestbed().postgres.host}:${getTestbed().postgres.port}`) }),
  }),
  verify('fd-k8s-scn-pullauth', {
    name: 'ImagePullBackOff because the registry wants credentials: the pull secret key',
    setup: install('fd-k8s-scn-pullauth', pod({ phase: 'Pending', containers: { flyte: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "registry.example.com/flyte-binary:v1"' } } }, events: [{ reason: 'Failed', message: 'Failed to pull image "registry.example.com/flyte-binary:v1": failed to resolve reference: pulling from host registry.example.com failed with status code [manifests v1]: 401 Unauthorized' }] })),
    expect: both(DEP, 'imagePullFailed', ['serviceAccount.imagePullSecrets', 'kubectl create secret docker-registry']),
  }),
  verify('fd-k8s-scn-pulltag', {
    name: 'ErrImagePull: the tag does not exist: the image values key',
    setup: install('fd-k8s-scn-pulltag', pod({ phase: 'Pending', containers: { flyte: { waiting: { reason: 'ErrImagePull', message: 'rpc error: code = NotFound desc = failed to pull and unpack image "cr.flyte.org/flyteorg/flyte-binary:v0.0.0-nope": not found' } } } })),
    expect: both(DEP, 'imagePullFailed', ['deployment.image.repository / deployment.image.tag']),
  }),
  verify('fd-k8s-scn-oom', {
    name: 'CrashLoopBackOff after OOMKilled: the memory limit key',
    setup: install('fd-k8s-scn-oom', pod({ containers: { flyte: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container' }, restarts: 9, lastTerminated: { reason: 'OOMKilled', exitCode: 137 } } } })),
    expect: both(DEP, 'oomKilled', ['deployment.resources.limits.memory']),
  }),
  verify('fd-k8s-scn-crash', {
    name: 'CrashLoopBackOff with exit 1: the previous logs command',
    setup: install('fd-k8s-scn-crash', pod({ containers: { flyte: { waiting: { reason: 'CrashLoopBackOff' }, restarts: 4, lastTerminated: { reason: 'Error', exitCode: 1 } } } })),
    expect: both(DEP, 'crashLooping', [`logs ${FN}-testbed-0 -c flyte --previous`]),
  }),
  verify('fd-k8s-scn-secret', {
    name: 'CreateContainerConfigError: a Secret the pod references is missing, named',
    setup: install('fd-k8s-scn-secret', pod({ phase: 'Pending', containers: { flyte: { waiting: { reason: 'CreateContainerConfigError', message: 'secret "flyte-extra-env" not found' } } } })),
    expect: both(DEP, 'configMissing', ['Secret "flyte-extra-env"', 'deployment.extraEnvVarsSecret']),
  }),
  verify('fd-k8s-scn-sched', {
    name: 'Pending: no node has the CPU: the requests key',
    setup: install('fd-k8s-scn-sched', pod({ unscheduled: { reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.' }, events: [{ reason: 'FailedScheduling', message: '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.' }] })),
    expect: both(DEP, 'unschedulable', ['deployment.resources.requests']),
  }),
  verify('fd-k8s-scn-taint', {
    name: 'Pending: an untolerated taint: the tolerations key',
    setup: install('fd-k8s-scn-taint', pod({ unscheduled: { reason: 'Unschedulable', message: '0/2 nodes are available: 2 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.' } })),
    // (a node-condition taint such as node.kubernetes.io/disk-pressure is the node's fault, not a missing toleration: test/checks/flyte/pod-reasons.test.ts)
    expect: both(DEP, 'unschedulable', ['deployment.extraPodSpec (nodeSelector, tolerations, affinity)']),
  }),
  verify('fd-k8s-scn-evict', {
    name: 'Evicted for memory pressure',
    setup: install('fd-k8s-scn-evict', pod({ phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 64Mi. Container flyte was using 1Gi, request is 0, has larger consumption of memory.', containers: { flyte: { terminated: { reason: 'ContainerStatusUnknown', exitCode: 137, message: 'The container could not be located when the pod was terminated' } } } })),
    expect: both(DEP, 'evicted', ['deployment.resources']),
  }),
  verify('fd-k8s-scn-probe', {
    name: 'Running but the readiness probe fails (Unhealthy events)',
    setup: install('fd-k8s-scn-probe', pod({ containers: { flyte: { running: true, ready: false } }, events: [{ reason: 'Unhealthy', message: 'Readiness probe failed: Get "http://10.244.1.10:8088/healthcheck": dial tcp 10.244.1.10:8088: connect: connection refused', count: 40 }] })),
    expect: both(DEP, 'readinessFailing', ['deployment.readinessProbe.initialDelaySeconds']),
  }),
  verify('fd-k8s-scn-zero', {
    name: 'the Deployment is scaled to 0 replicas',
    setup: install('fd-k8s-scn-zero', async (o) => { await scaleDeployment(tb(), FN, 0, o); }),
    expect: both(DEP, 'scaledToZero', [`scale deployment ${FN} --replicas=1`]),
  }),
  verify('fd-k8s-scn-quota', {
    name: 'pods cannot be created: a ResourceQuota forbids them (ReplicaFailure FailedCreate)',
    setup: install('fd-k8s-scn-quota', async (o) => {
      await deleteObject(tb(), 'Pod', `${FN}-testbed-0`, o);
      const now = new Date().toISOString();
      await setDeploymentStatus(tb(), FN, { availableReplicas: null, readyReplicas: null, unavailableReplicas: 1, conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: `pods "${FN}-5d8-abcde" is forbidden: exceeded quota: flyte-quota, requested: limits.memory=2Gi, used: limits.memory=7Gi, limited: limits.memory=8Gi`, lastUpdateTime: now, lastTransitionTime: now }] }, o);
      await syncEndpoints(tb(), o);
    }),
    expect: { failing: [DEP, SVC], root: DEP, messageId: 'podCreationFailed', fix: ['describe resourcequota'] },
  }),
  verify('fd-k8s-scn-selector', {
    name: 'the Service selector matches no pod: names the selector (the Deployment is fine)',
    setup: install('fd-k8s-scn-selector', async (o) => {
      await patchObject(tb(), 'Service', `${FN}-http`, { spec: { selector: { 'app.kubernetes.io/instance': 'flyte-old' } } }, o);
      await syncEndpoints(tb(), o);
    }),
    expect: { failing: [SVC], root: SVC, messageId: 'selectorMatchesNothing', fix: ['--show-labels'] },
  }),
  verify('fd-k8s-scn-cabundle', {
    name: 'the webhook registration has no caBundle',
    setup: install('fd-k8s-scn-cabundle', async (o) => {
      await patchObject(tb(), 'MutatingWebhookConfiguration', `${FN}-webhook`, { webhooks: [{ name: 'flyte-pod-webhook.flyte.org', admissionReviewVersions: ['v1'], sideEffects: 'None', clientConfig: { service: { name: `${FN}-webhook`, namespace: o.namespace, path: '/mutate--v1-pod', port: 443 } } }] });
    }),
    expect: { failing: ['flyte.webhook.configured'], root: 'flyte.webhook.configured', messageId: 'caBundleEmpty', fix: [`rollout restart deploy/${FN}`, `delete secret ${FN}-webhook-secret`] },
  }),
  verify('fd-k8s-scn-websvc', {
    name: 'the webhook Service is gone: the Service check and the webhook check share one root',
    setup: install('fd-k8s-scn-websvc', async (o) => { await deleteObject(tb(), 'Service', `${FN}-webhook`, o); }),
    expect: { failing: [SVC, 'flyte.webhook.configured'], root: SVC, messageId: 'serviceMissing', fix: ['helm status'] },
  }),
  verify('fd-k8s-scn-nsterm', {
    name: 'the project namespaces are stuck Terminating: the finalizer is named, never "create namespace"',
    set: ['flyte-core-components.admin.seedProjects={fdk8sscn}'],
    setup: async () => {
      const undo = await install('fd-k8s-scn-nsterm')();
      for (const d of ['development', 'staging', 'production']) await makeTerminating(tb(), `fdk8sscn-${d}`);
      return async () => { for (const d of ['development', 'staging', 'production']) await removeNamespace(tb(), `fdk8sscn-${d}`); await undo(); };
    },
    expect: { failing: ['flyte.projects.namespaces'], root: 'flyte.projects.namespaces', messageId: 'terminating', fix: ['flyte-doctor.test/held', '"finalizers":null'],
      check: (r) => expect(r.results.find((x) => x.id === 'flyte.projects.namespaces')!.hint).not.toContain('create namespace') },
  }),
  verify('fd-k8s-scn-none', {
    name: 'verify against a namespace where Flyte is not installed: one root (the install), not three',
    setup: async () => {
      const { createIfMissing } = await import('../infra/kube.js');
      await createIfMissing({ server: tb().kube.server, caFile: tb().kube.caFile }, tb().kube.tokens.admin, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fd-k8s-scn-none' } });
      return async () => { await removeNamespace(tb(), 'fd-k8s-scn-none'); };
    },
    expect: { failing: [DEP, SVC, 'flyte.webhook.configured'], root: DEP, messageId: 'notInstalled', fix: ['helm list -A'], warnings: ['dns.ingress.address'] },
  }),
  verify('fd-k8s-scn-nowhere', {
    name: 'verify -n a namespace that does not exist: the namespace is the root of every component failure',
    expect: { failing: ['kubernetes.namespace.exists', DEP, SVC, 'flyte.webhook.configured'], root: 'kubernetes.namespace.exists', messageId: 'notInstalled', fix: ['helm list -A'], warnings: ['dns.ingress.address'] },
  }),
  {
    name: 'preflight: the release namespace is stuck Terminating (namespace.exists names what blocks it)',
    phase: 'preflight', only: PREFLIGHT_ONLY,
    inputs: { args: ['-n', 'fd-k8s-scn-pterm'] },
    setup: async () => { await makeTerminating(tb(), 'fd-k8s-scn-pterm'); return async () => { await removeNamespace(tb(), 'fd-k8s-scn-pterm'); }; },
    expect: { failing: ['kubernetes.namespace.exists'], root: 'kubernetes.namespace.exists', messageId: 'terminating', fix: ['flyte-doctor.test/held'],
      check: (r) => expect(r.results.find((x) => x.id === 'kubernetes.namespace.exists')!.hint).not.toContain('create namespace') },
  },
  {
    name: 'preflight: the exec credential plugin is not installed',
    phase: 'preflight', only: PREFLIGHT_ONLY,
    inputs: { args: ['--context', 'missing-plugin'] },
    expect: { failing: ['kubernetes.config.load'], root: 'kubernetes.config.load', messageId: 'execPluginMissing', fix: ['flyte-doctor-missing-plugin-xyz'] },
  },
];

describeScenarios('kubernetes: broken installs and API states', scenarios);

// ------------------------------------------------------------------------------------------------
// Kubeconfig scenarios: the harness always passes the test bed's --kubeconfig, so these run the same
// CLI with a kubeconfig (or $KUBECONFIG) of their own and assert with the same assertScenario().
// ------------------------------------------------------------------------------------------------

async function runWithKubeconfig(phase: 'preflight' | 'verify', kube: { file?: string; env?: string }, extra: string[] = []): Promise<ScenarioReport> {
  const dir = mkdtempSync(join(tmpdir(), 'fd-k8s-scn-'));
  const fc = parse(readFileSync(join(tb().dir, 'flytectl.yaml'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'flytectl.yaml'), stringify(fc));
  const args = [phase, '-f', join(tb().dir, 'values.yaml'), '--flytectl-config', join(dir, 'flytectl.yaml'), '--dns-server', tb().dns.server, '--timeout', '3s', '-o', 'json', '--only', 'kubernetes', ...(kube.file ? ['--kubeconfig', kube.file] : []), ...extra];
  const r = await runCli(args, { env: { PATH: process.env.PATH ?? '', ...(kube.env ? { KUBECONFIG: kube.env } : {}) }, home: dir, cwd: dir });
  let doc: ScenarioReport;
  try { doc = { ...(JSON.parse(r.stdout) as ScenarioReport), stdout: r.stdout, stderr: r.stderr, code: r.code }; } catch { throw new Error(`no JSON report (exit ${r.code}): ${r.stderr || r.stdout.slice(0, 500)}`); }
  return doc;
}

function kubeconfigFile(user: Record<string, unknown>, cluster: Record<string, unknown> = { server: getTestbed().kube.server, 'certificate-authority': getTestbed().kube.caFile }, dir = mkdtempSync(join(tmpdir(), 'fd-k8s-scn-kc-'))): string {
  const f = join(dir, 'config');
  writeFileSync(f, stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'bed', cluster }], users: [{ name: 'me', user }], contexts: [{ name: 'ctx', context: { cluster: 'bed', user: 'me', namespace: 'flyte' } }], 'current-context': 'ctx' }));
  return f;
}

const API = 'kubernetes.api.reachable';

describe.sequential('kubernetes: broken kubeconfigs and API ports', () => {
  let plain: Running | undefined, ssh: Running | undefined;

  it('a token the API server rejects (expired): 401 naming the credential kind and how to renew it', async () => {
    const r = await runWithKubeconfig('preflight', { file: kubeconfigFile({ token: 'expired-token-0123456789' }) });
    assertScenario(r, { failing: [API], root: API, messageId: 'unauthorized', fix: ['kubectl config set-credentials me --token=<new token>', 'kubectl create token'] });
  });

  it('a plain-HTTP server given as the https API: "speaks plain HTTP", fix the port (not "could not check")', async () => {
    plain = await startHttp((_q, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('ok'); });
    try {
      const r = await runWithKubeconfig('preflight', { file: kubeconfigFile({ token: 'x-123456789' }, { server: `https://127.0.0.1:${plain.port}` }) });
      assertScenario(r, { failing: [API], root: API, messageId: 'tlsPlaintext', fix: ['--server=https://'] });
    } finally { await plain.stop(); }
  });

  it('the TLS API port given as http://: use https', async () => {
    const r = await runWithKubeconfig('preflight', { file: kubeconfigFile({ token: getTestbed().kube.tokens.admin }, { server: getTestbed().kube.server.replace('https:', 'http:') }) });
    assertScenario(r, { failing: [API], root: API, messageId: 'tlsExpected', fix: [`--server=https://127.0.0.1:${new URL(getTestbed().kube.server).port}`] });
  });

  it('an SSH server at the API address: something else listens', async () => {
    ssh = await startTcp(impostors.ssh);
    try {
      const r = await runWithKubeconfig('preflight', { file: kubeconfigFile({ token: 'x-123456789' }, { server: `https://127.0.0.1:${ssh.port}` }) });
      assertScenario(r, { failing: [API], root: API, messageId: 'wrongService', fix: ['kubectl config set-cluster bed --server='] });
    } finally { await ssh.stop(); }
  });

  it('the cluster CA is missing from the kubeconfig: untrusted, set the CA (never insecure-skip-tls-verify)', async () => {
    const r = await runWithKubeconfig('preflight', { file: kubeconfigFile({ token: getTestbed().kube.tokens.admin }, { server: getTestbed().kube.server }) });
    assertScenario(r, { failing: [API], root: API, messageId: 'tlsUntrusted', fix: ['kubectl config set-cluster bed --certificate-authority=<ca.crt>'] });
  });

  it('a tokenFile that does not exist: kubernetes.config.load names the file (not anonymous, not "loaded")', async () => {
    const d = mkdtempSync(join(tmpdir(), 'fd-k8s-scn-tf-'));
    const r = await runWithKubeconfig('preflight', { file: kubeconfigFile({ tokenFile: 'secrets/token' }, undefined, d) });
    assertScenario(r, { failing: ['kubernetes.config.load'], root: 'kubernetes.config.load', messageId: 'credentialFileUnreadable', fix: ['config view --minify'] });
    expect(r.results.find((x) => x.id === 'kubernetes.config.load')!.message).toContain(join(d, 'secrets', 'token'));
  });

  it('an exec plugin that fails (expired login): its stderr quoted, the login command', async () => {
    const d = mkdtempSync(join(tmpdir(), 'fd-k8s-scn-ex-'));
    const p = join(d, 'aws');
    writeFileSync(p, '#!/bin/sh\necho "Error loading SSO Token: Token for fd-profile does not exist" >&2\nexit 255\n'); chmodSync(p, 0o755);
    const r = await runWithKubeconfig('preflight', { file: kubeconfigFile({ exec: { command: p, args: ['eks', 'get-token', '--cluster-name', 'c'], apiVersion: 'client.authentication.k8s.io/v1beta1', env: [{ name: 'AWS_PROFILE', value: 'fd-profile' }] } }, undefined, d) });
    assertScenario(r, { failing: ['kubernetes.config.load'], root: 'kubernetes.config.load', messageId: 'execPluginFailed', fix: ['aws sso login'] });
    expect(r.results.find((x) => x.id === 'kubernetes.config.load')!.message).toContain('exited with 255: Error loading SSO Token');
  });

  it('a tokenFile that works is used (not sent anonymously): every kubernetes check passes', async () => {
    const d = mkdtempSync(join(tmpdir(), 'fd-k8s-scn-tf-'));
    writeFileSync(join(d, 'token'), `${getTestbed().kube.tokens.admin}\n`);
    const r = await runWithKubeconfig('preflight', { file: kubeconfigFile({ tokenFile: 'token' }, undefined, d) });
    const failing = r.results.filter((x) => x.status === 'fail' || x.status === 'error');
    expect(failing.map((x) => `${x.id}: ${x.message}`)).toEqual([]);
    expect(r.results.find((x) => x.id === 'kubernetes.config.load')!.message).toContain(`token read from ${join(d, 'token')}`);
    expect(r.results.find((x) => x.id === 'kubernetes.rbac.install')!.status).toBe('pass');
    expect(r.code).toBe(0);
  });

  it('KUBECONFIG=a:b with --context defined only in b: loads and passes (kubectl\'s merge)', async () => {
    const d = mkdtempSync(join(tmpdir(), 'fd-k8s-scn-merge-'));
    writeFileSync(join(d, 'a.yaml'), stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'old', cluster: { server: 'https://127.0.0.1:1' } }], users: [{ name: 'old', user: { token: 'old-token-123' } }], contexts: [{ name: 'old', context: { cluster: 'old', user: 'old' } }], 'current-context': 'old' }));
    writeFileSync(join(d, 'b.yaml'), readFileSync(kubeconfigFile({ token: getTestbed().kube.tokens.admin })));
    const r = await runWithKubeconfig('preflight', { env: `${join(d, 'a.yaml')}:${join(d, 'b.yaml')}` }, ['--context', 'ctx']);
    const failing = r.results.filter((x) => x.status === 'fail' || x.status === 'error');
    expect(failing.map((x) => `${x.id}: ${x.message}`), r.stderr).toEqual([]);
    expect(r.results.find((x) => x.id === API)!.status).toBe('pass');
    expect(r.code).toBe(0);
  });
});
