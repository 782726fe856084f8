// deploy/job.yaml applied to the test bed's kube-apiserver and run by the fake kubelet (the bed has
// no kubelet: test/infra/fake-kubelet.ts runs the pod's container as the real CLI with a pod's
// environment and a TokenRequest token). Only what the bed cannot have is changed: the service
// account (the test's), and the selection and --wait (the bed has no Flyte release in the test's
// namespace). deploy/Dockerfile and deploy/helm-test.yaml are checked for what they promise.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTestbed } from '../harness/testbed.js';
import { kubeCall, kubeRequest, type KubeTarget } from '../infra/kube.js';
import { startFakeKubelet, type FakeKubelet } from '../infra/fake-kubelet.js';
import { startDnsServer, type DnsServer } from '../checks/client/dns-server.js';

const DEPLOY = resolve(import.meta.dirname, '..', '..', 'deploy');
const bed = getTestbed();
const kube: KubeTarget = { server: bed.kube.server, caFile: bed.kube.caFile };
const admin = bed.kube.tokens.admin;
const ns = `fd-ic-job-${randomBytes(3).toString('hex')}`;
const SA = 'flyte-job';
const dbHost = `postgres.${ns}.svc.cluster.local`;
let kubelet: FakeKubelet;
let dns: DnsServer;

function jobFrom(values: string, name: string) {
  const job = parse(readFileSync(join(DEPLOY, 'job.yaml'), 'utf8'));
  job.metadata.name = name;
  const spec = job.spec.template.spec;
  spec.serviceAccountName = SA;
  spec.volumes.find((v: any) => v.name === 'inputs').secret.secretName = `${name}-inputs`;
  const args: string[] = spec.containers[0].args;
  args.splice(args.indexOf('--wait'), 2, '--wait', '1s', '--only', 'database.postgres.dns,database.postgres.connect');
  return { job, secret: { apiVersion: 'v1', kind: 'Secret', metadata: { name: `${name}-inputs` }, stringData: { 'values.yaml': values } } };
}

const values = (host: string) => ['configuration:', '  database:', `    host: ${host}`, `    port: ${bed.postgres.port}`, `    username: ${bed.postgres.owner.user}`, `    password: ${bed.postgres.owner.password}`, `    dbname: ${bed.postgres.databases.flyteadmin}`, '    options: sslmode=require', ''].join('\n');

async function runJob(name: string, v: string) {
  const { job, secret } = jobFrom(v, name);
  await kubeCall(kube, admin, 'POST', `/api/v1/namespaces/${ns}/secrets`, secret);
  await kubeCall(kube, admin, 'POST', `/apis/batch/v1/namespaces/${ns}/jobs`, job);
  const rec = await kubelet.waitForPod((p) => p.job === name && p.exitCode !== undefined, 90_000);
  const end = Date.now() + 10_000;
  let st: any;
  while (Date.now() < end) {
    st = (await kubeCall(kube, admin, 'GET', `/apis/batch/v1/namespaces/${ns}/jobs/${name}`)).status;
    if (st?.conditions?.some((c: any) => c.type === 'Complete' || c.type === 'Failed')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return { rec: rec!, status: st };
}

beforeAll(async () => {
  await kubeCall(kube, admin, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await kubeCall(kube, admin, 'POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: SA } });
  dns = await startDnsServer({ [dbHost]: { a: ['127.0.0.1'] } });
  kubelet = startFakeKubelet({ kube, adminToken: admin, namespaces: [ns], pollMs: 150, podEnv: { FLYTE_DOCTOR_DNS_SERVER: dns.server } });
}, 30_000);

afterAll(async () => {
  await kubelet?.stop();
  await dns?.stop();
  await kubeRequest(kube, admin, 'DELETE', `/api/v1/namespaces/${ns}`);
});

describe('deploy/job.yaml', () => {
  it('runs verify in the pod as the service account: JUnit on stdout and in the reports volume, every case says where it ran; the Job completes', async () => {
    const { rec, status } = await runJob('flyte-doctor', values(dbHost));
    expect(rec.exitCode, rec.stderr).toBe(0);
    expect(rec.stdout).toContain('<testsuites');
    const file = join(rec.mounts!['/reports']!, 'flyte-doctor.xml');
    expect(existsSync(file)).toBe(true);
    const xml = readFileSync(file, 'utf8');
    expect(xml).toContain(`Ran at: in-cluster/${ns}/${SA}`);
    expect(xml).toMatch(/failures="0"/);
    expect(xml).not.toContain(bed.postgres.owner.password);
    expect(JSON.parse(readFileSync(join(rec.mounts!['/reports']!, 'flyte-doctor.json'), 'utf8')).target.namespace).toBe(ns); // FLYTE_DOCTOR_NAMESPACE from the pod's namespace
    expect(status.conditions?.some((c: any) => c.type === "Complete" && c.status === "True"), rec.kubeletError).toBe(true);
  }, 120_000);

  it('a failing check fails the Job (exit code 1), with the failure in the JUnit report', async () => {
    const { rec, status } = await runJob('flyte-doctor-bad', values(`nosuch.${ns}.svc.cluster.local`));
    expect(rec.exitCode).toBe(1);
    expect(rec.stdout).toMatch(/<failure /);
    expect(status.conditions.some((c: any) => c.type === 'Failed' && c.status === 'True')).toBe(true);
  }, 120_000);
});

describe('deploy/Dockerfile and deploy/helm-test.yaml', () => {
  it('the image: Node 22 LTS base pinned by tag and digest, non-root, the packed bundle as entrypoint', () => {
    const d = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
    expect(d).toMatch(/^ARG NODE_BASE=\S*nodejs22\S*:nonroot$/m);
    expect(d).toMatch(/^FROM \$\{NODE_BASE\}@\$\{NODE_BASE_DIGEST\}$/m);
    expect(d).toMatch(/^USER 65532:65532$/m);
    expect(d).toMatch(/^ADD flyte-doctor-\$\{VERSION\}\.tgz \/opt\/$/m);
    expect(d).toContain('ENTRYPOINT ["/nodejs/bin/node", "/opt/package/dist/flyte-doctor.mjs"]');
  });
  it('the helm test: a test hook pod running verify with JUnit on stdout, values only in a Secret', () => {
    const t = readFileSync(join(DEPLOY, 'helm-test.yaml'), 'utf8');
    expect(t).toMatch(/kind: Pod[\s\S]*helm\.sh\/hook: test/);
    expect(t).toMatch(/args: \[verify, [^\]]*-o, junit/);
    expect(t).toMatch(/kind: Secret[\s\S]*values\.yaml: \|/);
    expect(t).not.toMatch(/kind: ConfigMap/);
    expect(t).toMatch(/runAsNonRoot: true/);
  });
});
