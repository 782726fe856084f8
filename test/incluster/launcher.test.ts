// --in-cluster against the test bed's real kube-apiserver, with test/infra/fake-kubelet.ts playing
// the Job controller and the kubelet: the launcher's objects are real API objects, the pod is the
// real CLI run as a process with a pod's environment and a real service-account token (TokenRequest),
// and it writes its report through the API with that token (the Role the launcher creates is what
// allows it). Every case proves nothing is left behind (API listing by label, and the audit log).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTestbed } from '../harness/testbed.js';
import { kubeCall, kubeRequest, type KubeTarget } from '../infra/kube.js';
import { startFakeKubelet, type Behaviour, type FakeKubelet } from '../infra/fake-kubelet.js';
import { startDnsServer, type DnsServer } from '../checks/client/dns-server.js';
import { runCli, tmpFiles } from '../cli/helpers.js';

const bed = getTestbed();
const kube: KubeTarget = { server: bed.kube.server, caFile: bed.kube.caFile };
const admin = bed.kube.tokens.admin;
const ns = `fd-ic-${randomBytes(3).toString('hex')}`;
const SA = 'flyte-ic';
const dbHost = `postgres.${ns}.svc.cluster.local`;
const behaviours = new Map<string, Behaviour>(); // run id label -> behaviour
let nextBehaviour: Behaviour = 'run';
let beforeRun: ((job: any) => Promise<void>) | undefined;
let kubelet: FakeKubelet;
let clusterDns: DnsServer, laptopDns: DnsServer;
const startedAt = new Date();

const values = () => tmpFiles({
  'values.yaml': [
    'configuration:', '  database:', `    host: ${dbHost}`, `    port: ${bed.postgres.port}`, `    username: ${bed.postgres.owner.user}`,
    `    password: ${bed.postgres.owner.password}`, `    dbname: ${bed.postgres.databases.flyteadmin}`, '    options: sslmode=require', '',
  ].join('\n'),
});

async function leftovers(): Promise<string[]> {
  const out: string[] = [];
  for (const [path, kind] of [[`/api/v1/namespaces/${ns}/configmaps`, 'ConfigMap'], [`/api/v1/namespaces/${ns}/secrets`, 'Secret'], [`/api/v1/namespaces/${ns}/pods`, 'Pod'],
    [`/apis/batch/v1/namespaces/${ns}/jobs`, 'Job'], [`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, 'Role'], [`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, 'RoleBinding']] as const) {
    const l = await kubeCall(kube, admin, 'GET', `${path}?labelSelector=${encodeURIComponent('app.kubernetes.io/managed-by=flyte-doctor')}`);
    for (const i of l.items ?? []) out.push(`${kind}/${i.metadata.name}`);
  }
  return out;
}

/** Objects created in the namespace by the launcher (user admin) per the audit log, and whether each was deleted. */
function audit(runLabel: string): { created: string[]; deleted: string[] } {
  const created: string[] = [], deleted: string[] = [];
  for (const line of readFileSync(bed.kube.auditLog, 'utf8').split('\n')) {
    if (!line.includes(ns) || !line.includes(runLabel.slice(0, 20))) continue;
    let e: any;
    try { e = JSON.parse(line); } catch { continue; }
    if (new Date(e.requestReceivedTimestamp) < startedAt || e.objectRef?.namespace !== ns || e.stage !== 'ResponseComplete') continue;
    const name = e.objectRef?.name ?? e.responseObject?.metadata?.name;
    // Pods are the (fake) Job controller's, not the launcher's.
    if (!name?.startsWith(`flyte-doctor-${runLabel}`) || e.objectRef?.subresource || e.objectRef?.resource === 'pods') continue;
    const ok = e.responseStatus?.code >= 200 && e.responseStatus?.code < 300;
    if (e.verb === 'create' && ok) created.push(`${e.objectRef.resource}/${name}`);
    if (e.verb === 'delete' && (ok || e.responseStatus?.code === 404)) deleted.push(`${e.objectRef.resource}/${name}`);
  }
  return { created, deleted };
}

const env = () => ({ PATH: process.env.PATH, FLYTE_DOCTOR_DNS_SERVER: laptopDns.server, FLYTE_DOCTOR_IN_CLUSTER_POLL_MS: '200' });
const baseArgs = (dir: string) => ['-f', join(dir, 'values.yaml'), '--kubeconfig', bed.kube.kubeconfig, '-n', ns, '--in-cluster', '--service-account', SA, '--only', 'database.postgres.dns,database.postgres.connect', '-o', 'json', '--timeout', '8s'];

beforeAll(async () => {
  await kubeCall(kube, admin, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await kubeCall(kube, admin, 'POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: SA } });
  // The cluster's DNS knows the Service name; this machine's resolver does not.
  clusterDns = await startDnsServer({ [dbHost]: { a: ['127.0.0.1'] } });
  laptopDns = await startDnsServer({});
  kubelet = startFakeKubelet({
    kube, adminToken: admin, namespaces: [ns], pollMs: 150,
    podEnv: { FLYTE_DOCTOR_DNS_SERVER: clusterDns.server },
    behaviour: (job) => behaviours.get(job.metadata.labels['flyte-doctor/run-id']) ?? nextBehaviour,
    beforeRun: async (job) => { await beforeRun?.(job); },
  });
}, 30_000);

afterAll(async () => {
  await kubelet?.stop();
  await clusterDns?.stop(); await laptopDns?.stop();
  await kubeRequest(kube, admin, 'DELETE', `/api/v1/namespaces/${ns}`);
});

describe('--in-cluster against the test bed (fake kubelet)', () => {
  it('healthy round trip: the pod judges the cluster-internal database host the local run could not, every result says where it ran, nothing is left', async () => {
    nextBehaviour = 'run'; beforeRun = undefined;
    const dir = values();
    const r = await runCli(['preflight', ...baseArgs(dir)], { env: env() });
    const rep = JSON.parse(r.stdout);
    const byId = (id: string) => rep.results.find((x: any) => x.id === id);
    const pod = byId('kubernetes.incluster.pod');
    expect(pod, r.stderr).toBeDefined();
    expect(pod.status, JSON.stringify(pod)).toBe('pass');
    expect(pod.messageId).toBe('ran');
    expect(pod.ranAt).toBe('local');
    const connect = byId('database.postgres.connect');
    expect(connect.ranAt).toBe(`in-cluster/${ns}/${SA}`);
    expect(connect.status).toBe('pass');
    const dns = byId('database.postgres.dns');
    expect(dns.ranAt).toBe(`in-cluster/${ns}/${SA}`);
    expect(dns.status).toBe('pass');
    // The local run said it could not judge it, and that is kept as evidence.
    expect(dns.details.local.messageId).toBe('notFromHere');
    expect(rep.results.every((x: any) => x.ranAt === 'local' || x.ranAt === `in-cluster/${ns}/${SA}`)).toBe(true);
    expect(r.code).toBe(0);
    expect(rep.residue).toEqual([]);
    // The pod ran with its own token and the Role the launcher made; no secret in the Job spec.
    const rec = kubelet.pods.find((p) => p.namespace === ns && p.behaviour === 'run')!;
    expect(rec.exitCode).toBe(0);
    expect(rec.args!.join(' ')).not.toContain(bed.postgres.owner.password);
    expect(await leftovers()).toEqual([]);
    const runLabel = rec.job.slice('flyte-doctor-'.length);
    const a = audit(runLabel);
    expect(a.created.sort()).toEqual(['configmaps/' + rec.job + '-inputs', 'configmaps/' + rec.job + '-report', 'jobs/' + rec.job, 'rolebindings/' + rec.job + '-report', 'roles/' + rec.job + '-report', 'secrets/' + rec.job + '-inputs'].sort());
    for (const c of a.created) expect(a.deleted, c).toContain(c);
    // The secret input (the values file holds the password) went to the Secret, never a ConfigMap.
    expect(pod.details.created).toContain(`Secret/${rec.job}-inputs`);
  }, 120_000);

  it('verify --wait: the pod waits too (its own --wait, within the in-cluster timeout)', async () => {
    nextBehaviour = 'run'; beforeRun = undefined;
    const dir = values();
    const before = kubelet.pods.length;
    const r = await runCli(['verify', ...baseArgs(dir), '--wait', '20s', '--in-cluster-timeout', '2m'], { env: env() });
    const rec = kubelet.pods.slice(before).find((p) => p.namespace === ns && p.behaviour === 'run');
    expect(rec, r.stderr).toBeDefined();
    const i = rec!.args!.indexOf('--wait');
    expect(i, rec!.args!.join(' ')).toBeGreaterThan(-1);
    expect(rec!.args![i + 1]).toBe('20000ms');
    expect(r.code, r.stderr).toBe(0);
    expect(await leftovers()).toEqual([]);
  }, 120_000);

  it('the pretty and markdown reports say where each result ran', async () => {
    nextBehaviour = 'run'; beforeRun = undefined;
    const dir = values();
    const args = baseArgs(dir).filter((x, i, all) => x !== '-o' && all[i - 1] !== '-o');
    const r = await runCli(['preflight', ...args, '--report', `markdown=${join(dir, 'r.md')}`, '--report', `junit=${join(dir, 'r.xml')}`], { env: env() });
    expect(r.stdout).toContain(`[in-cluster/${ns}/${SA}]`);
    expect(r.stdout).toMatch(new RegExp(`ran at\\s+.*in-cluster/${ns}/${SA}`));
    expect(r.stdout).toMatch(/ran at\s+.*local \(this machine\)/);
    expect(readFileSync(join(dir, 'r.md'), 'utf8')).toContain('| ran at |');
    expect(readFileSync(join(dir, 'r.xml'), 'utf8')).toContain(`Ran at: in-cluster/${ns}/${SA}`);
    expect(await leftovers()).toEqual([]);
  }, 120_000);

  it('a service account that may not write the report: a finding naming the ConfigMap and the can-i command', async () => {
    nextBehaviour = 'run';
    beforeRun = async (job) => { await kubeCall(kube, admin, 'DELETE', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings/${job.metadata.name}-report`); };
    const dir = values();
    const r = await runCli(['preflight', ...baseArgs(dir)], { env: env() });
    beforeRun = undefined;
    const rep = JSON.parse(r.stdout);
    const pod = rep.results.find((x: any) => x.id === 'kubernetes.incluster.pod');
    expect(pod.status, JSON.stringify(pod)).toBe('fail');
    expect(pod.messageId).toBe('reportWriteDenied');
    expect(pod.message).toMatch(/HTTP 403/);
    expect(pod.hint).toContain(`auth can-i update configmaps/`);
    expect(pod.hint).toContain(`system:serviceaccount:${ns}:${SA}`);
    // The local results stay, said as local.
    expect(rep.results.find((x: any) => x.id === 'database.postgres.dns').ranAt).toBe('local');
    expect(r.code).toBe(1);
    expect(await leftovers()).toEqual([]);
  }, 120_000);

  it('a pod stuck in ImagePullBackOff: a finding naming the image and --in-cluster-image; nothing left', async () => {
    nextBehaviour = 'imagePullBackOff';
    const dir = values();
    const r = await runCli(['preflight', ...baseArgs(dir), '--in-cluster-image', 'registry.invalid/flyte-doctor:nope'], { env: env() });
    const rep = JSON.parse(r.stdout);
    const pod = rep.results.find((x: any) => x.id === 'kubernetes.incluster.pod');
    expect(pod.status).toBe('fail');
    expect(pod.messageId).toBe('imagePull');
    expect(pod.message).toContain('registry.invalid/flyte-doctor:nope');
    expect(pod.message).toContain('ImagePullBackOff');
    expect(pod.hint).toContain('--in-cluster-image');
    expect(r.code).toBe(1);
    expect(await leftovers()).toEqual([]);
  }, 60_000);

  it('an unschedulable pod at the timeout: a finding with the scheduler\'s reason', async () => {
    nextBehaviour = 'unschedulable';
    const dir = values();
    const r = await runCli(['preflight', ...baseArgs(dir), '--in-cluster-timeout', '3s'], { env: env() });
    const pod = JSON.parse(r.stdout).results.find((x: any) => x.id === 'kubernetes.incluster.pod');
    expect(pod.messageId).toBe('unschedulable');
    expect(pod.message).toContain('Insufficient memory');
    expect(await leftovers()).toEqual([]);
  }, 60_000);

  it('timeout (a pod that never starts): an error finding, everything deleted', async () => {
    nextBehaviour = 'hang';
    const dir = values();
    const t0 = Date.now();
    const r = await runCli(['preflight', ...baseArgs(dir), '--in-cluster-timeout', '3s'], { env: env() });
    const pod = JSON.parse(r.stdout).results.find((x: any) => x.id === 'kubernetes.incluster.pod');
    expect(pod.status).toBe('error');
    expect(pod.messageId).toBe('timeout');
    expect(pod.hint).toContain('--in-cluster-timeout');
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(r.code).toBe(3);
    expect(await leftovers()).toEqual([]);
  }, 60_000);

  it('interrupted (SIGINT while the pod runs): exit 130, the objects are deleted', async () => {
    nextBehaviour = 'hang';
    const dir = values();
    const ac = new AbortController();
    const before = kubelet.pods.length;
    const p = runCli(['preflight', ...baseArgs(dir)], { env: env(), signal: ac.signal });
    const seen = await kubelet.waitForPod((x) => kubelet.pods.indexOf(x) >= before, 30_000);
    expect(seen).toBeDefined();
    ac.abort('SIGINT');
    const r = await p;
    expect(r.code).toBe(130);
    const pod = JSON.parse(r.stdout).results.find((x: any) => x.id === 'kubernetes.incluster.pod');
    expect(pod.messageId).toBe('interrupted');
    expect(JSON.parse(r.stdout).residue).toEqual([]);
    expect(await leftovers()).toEqual([]);
  }, 60_000);

  it('a missing service account: a finding naming --service-account, nothing created', async () => {
    const dir = values();
    const r = await runCli(['preflight', ...baseArgs(dir).map((x) => (x === SA ? 'nobody-here' : x))], { env: env() });
    const pod = JSON.parse(r.stdout).results.find((x: any) => x.id === 'kubernetes.incluster.pod');
    expect(pod.messageId).toBe('serviceAccountMissing');
    expect(pod.hint).toContain('--service-account');
    expect(pod.details.created).toEqual([]);
  }, 60_000);
});

describe('kubernetes.incluster.rbac', () => {
  const rbacArgs = (context: string) => ['preflight', '--kubeconfig', bed.kube.kubeconfig, '--context', context, '-n', 'flyte', '--in-cluster', '--only', 'kubernetes.incluster.rbac', '--skip', 'kubernetes.incluster.pod', '-o', 'json'];
  it('the restricted user (view in flyte): fails naming what is missing', async () => {
    const r = await runCli(rbacArgs('restricted'), { env: { PATH: process.env.PATH } });
    const res = JSON.parse(r.stdout).results.find((x: any) => x.id === 'kubernetes.incluster.rbac');
    expect(res.status).toBe('fail');
    expect(res.messageId).toBe('missingPermissions');
    expect(res.message).toMatch(/create[^;]*jobs\.batch/);
    expect(res.message).toMatch(/create,delete secrets/);
    expect(res.message).toMatch(/rolebindings\.rbac\.authorization\.k8s\.io/);
    expect(res.hint).toContain('create rolebinding flyte-doctor-launcher --clusterrole=admin --user=restricted');
  }, 60_000);
  it('the admin: passes; without --in-cluster it is skipped', async () => {
    const r = await runCli(rbacArgs('admin'), { env: { PATH: process.env.PATH } });
    expect(JSON.parse(r.stdout).results.find((x: any) => x.id === 'kubernetes.incluster.rbac').status).toBe('pass');
    const r2 = await runCli(rbacArgs('admin').filter((x) => x !== '--in-cluster' && x !== '--skip' && x !== 'kubernetes.incluster.pod'), { env: { PATH: process.env.PATH } });
    const res = JSON.parse(r2.stdout).results.find((x: any) => x.id === 'kubernetes.incluster.rbac');
    expect(res.status).toBe('skip');
    expect(res.messageId).toBe('notRequested');
  }, 60_000);
});

