// --in-cluster with REAL pods (issue 12, "Test it for real"): a private cluster on this machine
// (test/infra/realpods-cluster.ts: etcd, kube-apiserver, containerd + runc, kubelet, the Job
// controller and garbage collector of kube-controller-manager, kube-scheduler), the flyte-doctor image
// built from this checkout's bundle without a registry (test/infra/oci-image.ts) and imported into
// containerd. The pods run on the node's network (hostNetwork: FLYTE_DOCTOR_IN_CLUSTER_HOST_NETWORK
// for the launcher, set in the manifests by the test) because the shared bed's PostgreSQL, MinIO and
// flyteadmin listen on 127.0.0.1 only. Nothing is skipped: a machine without containerd, runc, the
// CNI plugins or the kubernetes binaries fails here with the command that installs them.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { getTestbed } from '../harness/testbed.js';
import { kubeCall, kubeRequest } from '../infra/kube.js';
import { loadImages, startRealCluster, REAL_NODE, type RealCluster } from '../infra/realpods-cluster.js';
import { runCli, tmpFiles } from '../cli/helpers.js';
import { decodeReport } from '../../src/incluster/launcher.js';
import { REPORT_KEY } from '../../src/incluster/objects.js';

const REPO = resolve(import.meta.dirname, '..', '..');
const bed = getTestbed();
const ns = `fd-real-${randomBytes(3).toString('hex')}`;
const SA = 'flyte-real';
const IMAGE = 'flyte-doctor:realpod-test';
const startedAt = new Date();
let c: RealCluster;
const call = (method: string, path: string, body?: unknown, ct?: string) => kubeCall(c.kube, c.adminToken, method, path, body, ct);

/** The bed's healthy values (PostgreSQL, MinIO on 127.0.0.1) and a flytectl config for its admin gRPC port. */
const inputs = () => tmpFiles({
  'values.yaml': readFileSync(join(bed.dir, 'values.yaml'), 'utf8'),
  'flytectl.yaml': `admin:\n  endpoint: dns:///127.0.0.1:${bed.admin.grpcPort}\n  insecure: true\n`,
});
const ONLY = 'database.postgres.*,storage.s3.*,flyte.admin.grpc';

/** Audit events of the private API server since the test started. */
function auditEvents(): any[] {
  return readFileSync(c.auditLog, 'utf8').split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l); } catch { return undefined; } })
    .filter((e) => e && new Date(e.requestReceivedTimestamp) >= startedAt && e.stage === 'ResponseComplete');
}

async function leftovers(): Promise<string[]> {
  const out: string[] = [];
  for (const [path, kind] of [['/api/v1/namespaces/NS/configmaps', 'ConfigMap'], ['/api/v1/namespaces/NS/secrets', 'Secret'], ['/api/v1/namespaces/NS/pods', 'Pod'],
    ['/apis/batch/v1/namespaces/NS/jobs', 'Job'], ['/apis/rbac.authorization.k8s.io/v1/namespaces/NS/roles', 'Role'], ['/apis/rbac.authorization.k8s.io/v1/namespaces/NS/rolebindings', 'RoleBinding']] as const) {
    const l = await call('GET', `${path.replace('NS', ns)}?labelSelector=${encodeURIComponent('app.kubernetes.io/name=flyte-doctor')}`);
    for (const i of l.items ?? []) out.push(`${kind}/${i.metadata.name}`);
  }
  return out;
}

/** Waits for the pod to end; its containers' exit code, the log (through the kubelet) and the pod. */
async function podResult(name: string, ms: number): Promise<{ pod: any; exitCode: number; log: string }> {
  const deadline = Date.now() + ms;
  let pod: any;
  while (Date.now() < deadline) {
    pod = await call('GET', `/api/v1/namespaces/${ns}/pods/${name}`);
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') break;
    await new Promise((r) => setTimeout(r, 500));
  }
  expect(['Succeeded', 'Failed'], `pod ${name}: ${JSON.stringify(pod?.status)}`).toContain(pod?.status?.phase);
  const log = await kubeRequest(c.kube, c.adminToken, 'GET', `/api/v1/namespaces/${ns}/pods/${name}/log`);
  expect(log.status, JSON.stringify(log.body).slice(0, 800)).toBe(200);
  return { pod, exitCode: pod.status.containerStatuses[0].state.terminated.exitCode, log: String(log.body) };
}

beforeAll(async () => {
  c = await startRealCluster();
  const t = loadImages(c, REPO, `docker.io/library/${IMAGE}`);
  process.stderr.write(`[realpods] images built in ${t.buildMs} ms, imported in ${t.importMs} ms\n`);
  await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await call('POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: SA } });
}, 240_000);

afterAll(async () => {
  if (!c) return;
  await kubeRequest(c.kube, c.adminToken, 'DELETE', `/api/v1/namespaces/${ns}`).catch(() => undefined);
  const left = await c.stop();
  // containers, mounts, cgroups and processes of the private cluster are all gone
  expect(left).toEqual([]);
}, 120_000);

describe('--in-cluster with a real pod (kubelet + containerd + runc on this machine)', () => {
  it('verify --in-cluster: the Job controller makes the pod, the scheduler binds it, the kubelet runs the image; the pod reaches PostgreSQL, MinIO and flyteadmin, writes its report; the launcher merges it and deletes everything', async () => {
    const dir = inputs();
    const r = await runCli(['verify', '-f', join(dir, 'values.yaml'), '--flytectl-config', join(dir, 'flytectl.yaml'), '--kubeconfig', c.kubeconfig, '-n', ns,
      '--in-cluster', '--service-account', SA, '--in-cluster-image', IMAGE, '--in-cluster-timeout', '120s', '--only', ONLY, '-o', 'json', '--timeout', '15s'],
    { env: { PATH: process.env.PATH, FLYTE_DOCTOR_IN_CLUSTER_HOST_NETWORK: 'true', FLYTE_DOCTOR_IN_CLUSTER_POLL_MS: '300' } });
    expect(r.stdout, r.stderr).not.toBe('');
    const rep = JSON.parse(r.stdout);
    const pod = rep.results.find((x: any) => x.id === 'kubernetes.incluster.pod');
    expect(pod?.status, `${JSON.stringify(pod)}\n${r.stderr}`).toBe('pass');
    expect(pod.messageId).toBe('ran');
    const ranAt = `in-cluster/${ns}/${SA}`;
    const inPod = rep.results.filter((x: any) => x.ranAt === ranAt);
    const ids = inPod.map((x: any) => x.id);
    for (const id of ['database.postgres.connect', 'database.postgres.auth', 'database.postgres.tls', 'storage.s3.put', 'storage.s3.get', 'storage.s3.delete']) expect(ids, id).toContain(id);
    // From the pod (host network): the bed's servers answer as they do from here.
    for (const x of inPod) expect(x.status, `${x.id}: ${x.message}`).toBe(x.details?.local?.status ?? 'pass');
    expect(rep.results.every((x: any) => x.ranAt === 'local' || x.ranAt === ranAt)).toBe(true);
    expect(r.code, r.stderr).toBe(0);
    expect(rep.residue).toEqual([]);
    expect(await leftovers()).toEqual([]);

    // The audit log proves real components did it: the Job controller created the pod, the scheduler
    // bound it to the node, the kubelet wrote its status; the pod wrote its report with its own token.
    const job = pod.details.job as string;
    const ev = auditEvents().filter((e) => e.objectRef?.namespace === ns);
    const by = (user: string, verb: string, resource: string, sub?: string) => ev.some((e) => e.user?.username === user && e.verb === verb && e.objectRef?.resource === resource && (sub === undefined || e.objectRef?.subresource === sub) && e.responseStatus?.code < 300);
    expect(by('realpods-controller-manager', 'create', 'pods'), 'Job controller created the pod').toBe(true);
    expect(by('realpods-scheduler', 'create', 'pods', 'binding'), `scheduler bound the pod to ${REAL_NODE}`).toBe(true);
    expect(by('realpods-kubelet', 'patch', 'pods', 'status'), 'kubelet reported the pod status').toBe(true);
    expect(ev.some((e) => e.user?.username === `system:serviceaccount:${ns}:${SA}` && e.verb === 'patch' && e.objectRef?.name === `${job}-report` && e.responseStatus?.code === 200), 'the pod patched its report ConfigMap as its service account').toBe(true);
    // The pod's own report, as it patched it into the ConfigMap (the audit log keeps that request's
    // body): every selected check ran in the pod, flyteadmin's gRPC answered it too (the merge keeps
    // the local result where both agree, so it is only visible here).
    const patch = ev.find((e) => e.user?.username === `system:serviceaccount:${ns}:${SA}` && e.verb === 'patch' && e.objectRef?.name === `${job}-report`);
    const podReport = decodeReport(patch.requestObject.data[REPORT_KEY]);
    const podStatus = Object.fromEntries(podReport.results.map((x) => [x.id, x.status]));
    expect(podStatus['flyte.admin.grpc'], JSON.stringify(podStatus)).toBe('pass');
    expect(podStatus['database.postgres.connect']).toBe('pass');
    expect(podStatus['storage.s3.put']).toBe('pass');
    expect(podReport.results.length).toBe(pod.details.results);
    // The launcher (admin) created exactly the announced objects and deleted each of them.
    const mine = ev.filter((e) => e.user?.username === 'admin' && e.objectRef?.name?.startsWith(job) && !e.objectRef?.subresource);
    const created = mine.filter((e) => e.verb === 'create' && e.responseStatus?.code < 300).map((e) => `${e.objectRef.resource}/${e.objectRef.name}`).sort();
    expect(created).toEqual([`configmaps/${job}-inputs`, `configmaps/${job}-report`, `jobs/${job}`, `rolebindings/${job}-report`, `roles/${job}-report`, `secrets/${job}-inputs`].sort());
    const deleted = new Set(mine.filter((e) => e.verb === 'delete' && (e.responseStatus?.code < 300 || e.responseStatus?.code === 404)).map((e) => `${e.objectRef.resource}/${e.objectRef.name}`));
    for (const x of created) expect(deleted.has(x), x).toBe(true);
  }, 180_000);

  it('a CA file the values point at (sslmode=verify-full sslrootcert=<file on this machine>) is shipped to the pod and the option rewritten: the pod verifies the server certificate with it', async () => {
    const values = parse(readFileSync(join(bed.dir, 'values.yaml'), 'utf8'));
    values.configuration.database.options = `sslmode=verify-full sslrootcert=${bed.caCert}`;
    const dir = tmpFiles({ 'values.yaml': stringify(values) });
    const r = await runCli(['preflight', '-f', join(dir, 'values.yaml'), '--kubeconfig', c.kubeconfig, '-n', ns, '--in-cluster', '--service-account', SA,
      '--in-cluster-image', IMAGE, '--in-cluster-timeout', '120s', '--only', 'database.postgres.tls,database.postgres.connect', '-o', 'json'],
    { env: { PATH: process.env.PATH, FLYTE_DOCTOR_IN_CLUSTER_HOST_NETWORK: 'true', FLYTE_DOCTOR_IN_CLUSTER_POLL_MS: '300' } });
    expect(r.stdout, r.stderr).not.toBe('');
    const rep = JSON.parse(r.stdout);
    const pod = rep.results.find((x: any) => x.id === 'kubernetes.incluster.pod');
    expect(pod.status, JSON.stringify(pod)).toBe('pass');
    expect(pod.details.shippedFiles).toEqual([bed.caCert]);
    const tls = rep.results.find((x: any) => x.id === 'database.postgres.tls');
    expect(tls.ranAt).toBe(`in-cluster/${ns}/${SA}`);
    expect(tls.status, `${tls.message} ${JSON.stringify(tls.details)}`).toBe('pass');
    expect(r.code).toBe(0);
    expect(await leftovers()).toEqual([]);
  }, 180_000);

  it('Ctrl-C while the real pod runs (its check stalls on a server that never answers): exit 130, the launcher deletes everything, the kubelet stops the container', async () => {
    const values = parse(readFileSync(join(bed.dir, 'values.yaml'), 'utf8'));
    values.configuration.database.port = bed.stall.port; // accepts, never answers
    const dir = tmpFiles({ 'values.yaml': stringify(values) });
    const ac = new AbortController();
    const p = runCli(['preflight', '-f', join(dir, 'values.yaml'), '--kubeconfig', c.kubeconfig, '-n', ns, '--in-cluster', '--service-account', SA,
      '--in-cluster-image', IMAGE, '--in-cluster-timeout', '120s', '--only', 'database.postgres.connect', '--timeout', '60s', '-o', 'json'],
    { env: { PATH: process.env.PATH, FLYTE_DOCTOR_IN_CLUSTER_HOST_NETWORK: 'true', FLYTE_DOCTOR_IN_CLUSTER_POLL_MS: '300' }, signal: ac.signal });
    let running = false;
    for (let i = 0; i < 120 && !running; i++) {
      const l = await call('GET', `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent('app.kubernetes.io/managed-by=flyte-doctor')}`);
      running = (l.items ?? []).some((x: any) => x.status?.phase === 'Running');
      if (!running) await new Promise((r) => setTimeout(r, 250));
    }
    expect(running, 'the pod reached Running').toBe(true);
    const t0 = Date.now();
    ac.abort('SIGINT');
    const r = await p;
    expect(r.code).toBe(130);
    const rep = JSON.parse(r.stdout);
    expect(rep.results.find((x: any) => x.id === 'kubernetes.incluster.pod').messageId).toBe('interrupted');
    expect(rep.residue).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(await leftovers()).toEqual([]);
    // the kubelet stops and removes the pod's containers (only the sandbox-less state remains)
    let tasks = ['?'];
    for (let i = 0; i < 60 && tasks.length; i++) {
      tasks = c.ctr(['tasks', 'ls']).split('\n').slice(1).filter((l) => /RUNNING/.test(l));
      if (tasks.length) await new Promise((res) => setTimeout(res, 500));
    }
    expect(tasks).toEqual([]);
  }, 180_000);

  it('an image the node does not have and may not pull (imagePullPolicy IfNotPresent, no registry): the kubelet\'s ErrImagePull/ImagePullBackOff is the finding; nothing is left', async () => {
    const dir = inputs();
    const r = await runCli(['verify', '-f', join(dir, 'values.yaml'), '--kubeconfig', c.kubeconfig, '-n', ns, '--in-cluster', '--service-account', SA,
      '--in-cluster-image', '127.0.0.1:9/flyte-doctor:absent', '--in-cluster-timeout', '60s', '--only', 'database.postgres.connect', '-o', 'json'],
    { env: { PATH: process.env.PATH, FLYTE_DOCTOR_IN_CLUSTER_HOST_NETWORK: 'true', FLYTE_DOCTOR_IN_CLUSTER_POLL_MS: '300' } });
    expect(r.stdout, r.stderr).not.toBe('');
    const pod = JSON.parse(r.stdout).results.find((x: any) => x.id === 'kubernetes.incluster.pod');
    expect(pod.status, JSON.stringify(pod)).toBe('fail');
    expect(pod.messageId).toBe('imagePull');
    expect(pod.message).toMatch(/ErrImagePull|ImagePullBackOff/);
    expect(pod.message).toContain('127.0.0.1:9/flyte-doctor:absent');
    expect(pod.hint).toContain('--in-cluster-image');
    expect(r.code).toBe(1);
    expect(await leftovers()).toEqual([]);
  }, 120_000);
});

/** The JUnit XML cut out of a pod log the way deploy/job.yaml and deploy/helm-test.yaml say (their sed command), checked well-formed by xmllint. */
function junitFromLog(log: string, manifest: string): string {
  const cmd = /\| (sed -n '[^']+')/.exec(readFileSync(join(REPO, 'deploy', manifest), 'utf8'))?.[1];
  expect(cmd, `${manifest} documents how to cut the JUnit XML out of the log`).toBeDefined();
  const xml = execFileSync('sh', ['-c', cmd!], { input: log, encoding: 'utf8' });
  execFileSync('xmllint', ['--noout', '-'], { input: xml });
  return xml;
}

/** The verify arguments of a manifest with a short --wait: the checks of Flyte's own objects fail in this empty namespace, and 5m of retries would only slow the test. */
const shortWait = (args: string[]) => args.map((a, i) => (args[i - 1] === '--wait' ? '2s' : a));

describe('deploy/ manifests on the real cluster', () => {
  it('deploy/job.yaml: applied as documented (Secret with the values, the Job), the pod runs verify, the JUnit report is collected from its log; the Job fails because checks fail', async () => {
    const job = parse(readFileSync(join(REPO, 'deploy', 'job.yaml'), 'utf8'));
    const spec = job.spec.template.spec;
    // what the manifest tells the user to set: the namespace, the service account, the image
    job.metadata.namespace = ns; spec.serviceAccountName = SA; spec.containers[0].image = IMAGE;
    spec.hostNetwork = true; // the test's only addition: the bed's servers are on this machine's loopback
    spec.containers[0].args = shortWait(spec.containers[0].args);
    await call('POST', `/api/v1/namespaces/${ns}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'flyte-doctor-inputs' }, stringData: { 'values.yaml': readFileSync(join(bed.dir, 'values.yaml'), 'utf8') } });
    try {
      await call('POST', `/apis/batch/v1/namespaces/${ns}/jobs`, job);
      let podName = '';
      for (let i = 0; i < 120 && !podName; i++) {
        const l = await call('GET', `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent('job-name=flyte-doctor')}`);
        podName = l.items?.[0]?.metadata?.name ?? '';
        if (!podName) await new Promise((r) => setTimeout(r, 500));
      }
      expect(podName).not.toBe('');
      const { exitCode, log: rawLog } = await podResult(podName, 150_000);
      // the JUnit report on stdout, cut out as step 3 of the manifest says (--wait progress lines are in the log too)
      const log = junitFromLog(rawLog, 'job.yaml');
      expect(log).toContain('<testsuites');
      const tc = (id: string) => new RegExp(`<testcase[^>]*name="${id.replace(/\./g, '\\.')}[^"]*"[^>]*>([\\s\\S]*?)</testcase>|<testcase[^>]*name="${id.replace(/\./g, '\\.')}[^"]*"[^>]*/>`).exec(log);
      const connect = tc('database.postgres.connect');
      expect(connect, log.slice(0, 2000)).not.toBeNull();
      expect(connect![0]).not.toMatch(/<failure|<error/);
      expect(tc('storage.s3.put')![0]).not.toMatch(/<failure|<error/);
      // the Flyte objects are not in this namespace: failures, exit code 1, the Job is Failed
      expect(log).toMatch(/<failure/);
      expect(exitCode).toBe(1);
      let failed = false;
      for (let i = 0; i < 60 && !failed; i++) {
        const j = await call('GET', `/apis/batch/v1/namespaces/${ns}/jobs/flyte-doctor`);
        failed = (j.status?.conditions ?? []).some((x: any) => x.type === 'Failed' && x.status === 'True');
        if (!failed) await new Promise((r) => setTimeout(r, 500));
      }
      expect(failed).toBe(true);
    } finally {
      // step 4 of the manifest; propagationPolicy Background: the garbage collector removes the pod
      await kubeRequest(c.kube, c.adminToken, 'DELETE', `/apis/batch/v1/namespaces/${ns}/jobs/flyte-doctor`, { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' });
      await kubeRequest(c.kube, c.adminToken, 'DELETE', `/api/v1/namespaces/${ns}/secrets/flyte-doctor-inputs`);
    }
    let pods: any[] = [1];
    for (let i = 0; i < 60 && pods.length; i++) {
      pods = (await call('GET', `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent('job-name=flyte-doctor')}`)).items ?? [];
      if (pods.length) await new Promise((r) => setTimeout(r, 500));
    }
    expect(pods, 'the garbage collector deleted the Job\'s pod').toEqual([]);
  }, 240_000);

  it('deploy/helm-test.yaml rendered by hand (no helm binary here): the test hook\'s Secret and Pod run verify as `helm test` would, and the pod fails on a failing check', async () => {
    const release = 'fdreal';
    const values = parse(readFileSync(join(bed.dir, 'values.yaml'), 'utf8'));
    const text = renderHelmTest(readFileSync(join(REPO, 'deploy', 'helm-test.yaml'), 'utf8'), { release, namespace: ns, image: IMAGE, serviceAccount: SA, flyteValues: values });
    const docs = parseAllDocuments(text).map((d) => d.toJSON());
    expect(docs.map((d: any) => d.kind)).toEqual(['Secret', 'Pod']);
    for (const d of docs) expect(d.metadata.annotations['helm.sh/hook']).toBe('test');
    const [secret, pod] = docs as any[];
    expect(parse(secret.stringData['values.yaml'])).toEqual(values);
    pod.spec.hostNetwork = true; // as for the Job: the bed's servers are on this machine's loopback
    pod.spec.containers[0].args = shortWait(pod.spec.containers[0].args);
    await call('POST', `/api/v1/namespaces/${ns}/secrets`, secret);
    try {
      await call('POST', `/api/v1/namespaces/${ns}/pods`, pod);
      const { pod: done, exitCode, log: rawLog } = await podResult(`${release}-flyte-doctor`, 150_000);
      const log = junitFromLog(rawLog, 'helm-test.yaml');
      expect(log).toContain('<testsuites');
      expect(log).toMatch(/<testcase[^>]*name="database\.postgres\.connect/);
      // helm test reports a hook pod that ends Failed as a failed test
      expect(done.status.phase).toBe('Failed');
      expect(exitCode).toBe(1);
    } finally {
      await kubeRequest(c.kube, c.adminToken, 'DELETE', `/api/v1/namespaces/${ns}/pods/${release}-flyte-doctor`, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 });
      await kubeRequest(c.kube, c.adminToken, 'DELETE', `/api/v1/namespaces/${ns}/secrets/${release}-flyte-doctor-inputs`);
    }
  }, 240_000);
});

/**
 * deploy/helm-test.yaml's template with exactly its own constructs substituted (there is no helm
 * binary on this machine): the comment block, the three variable lines, .Release.Name/.Namespace,
 * $image, $sa and `toYaml $flyte | indent 4`. Throws when any other template action is left.
 */
function renderHelmTest(tpl: string, v: { release: string; namespace: string; image: string; serviceAccount: string; flyteValues: unknown }): string {
  let t = tpl.replace(/\{\{-\s*\/\*[\s\S]*?\*\/\s*-\}\}\n?/, '');
  t = t.replace(/^\{\{-\s*\$(flyte|image|sa)\s*:=.*\}\}\n/gm, '');
  t = t.replace(/\{\{\s*toYaml \$flyte \| indent 4\s*\}\}/, stringify(v.flyteValues).trimEnd().split('\n').map((l) => `    ${l}`).join('\n'));
  t = t.replace(/\{\{\s*\.Release\.Name\s*\}\}/g, v.release).replace(/\{\{\s*\.Release\.Namespace\s*\}\}/g, v.namespace)
    .replace(/\{\{\s*\$image\s*\}\}/g, v.image).replace(/\{\{\s*\$sa\s*\}\}/g, v.serviceAccount);
  const left = /\{\{[\s\S]*?\}\}/.exec(t);
  if (left) throw new Error(`deploy/helm-test.yaml has a template action this test does not render: ${left[0]}`);
  return t;
}

