// The in-pod runtime, for real: the CLI run with a pod's environment (KUBERNETES_SERVICE_HOST/PORT
// of the test bed's API server, a service-account directory with a token from the TokenRequest API,
// the bed's CA and the namespace) and no kubeconfig. It uses the pod's identity for Kubernetes, says
// who it ran as, and judges what the same run from "this machine" only warns about.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTestbed } from '../harness/testbed.js';
import { kubeCall, kubeRequest, type KubeTarget } from '../infra/kube.js';
import { runCli, tmpFiles } from '../cli/helpers.js';
import { detectPod, serviceAccountOf, storageIdentity } from '../../src/incluster/runtime.js';

const bed = getTestbed();
const kube: KubeTarget = { server: bed.kube.server, caFile: bed.kube.caFile };
const admin = bed.kube.tokens.admin;
const ns = `fd-ic-rt-${randomBytes(3).toString('hex')}`;
const SA = 'flyte-rt';
let saDir: string;
let token: string;

const podEnv = (extra: Record<string, string> = {}) => ({
  PATH: process.env.PATH, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: new URL(bed.kube.server).port, FLYTE_DOCTOR_SA_DIR: saDir, ...extra,
});

beforeAll(async () => {
  await kubeCall(kube, admin, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await kubeCall(kube, admin, 'POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: SA } });
  const tr = await kubeCall(kube, admin, 'POST', `/api/v1/namespaces/${ns}/serviceaccounts/${SA}/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } });
  token = tr.status.token;
  saDir = join(mkdtempSync(join(tmpdir(), 'fd-ic-sa-')), 'serviceaccount');
  mkdirSync(saDir);
  writeFileSync(join(saDir, 'token'), token);
  writeFileSync(join(saDir, 'ca.crt'), readFileSync(bed.kube.caFile));
  writeFileSync(join(saDir, 'namespace'), ns);
}, 30_000);

afterAll(async () => { await kubeRequest(kube, admin, 'DELETE', `/api/v1/namespaces/${ns}`); });

describe('in-pod runtime', () => {
  it('detects the pod like InClusterConfig: the identity comes from the token\'s claims', () => {
    expect(serviceAccountOf(token)).toEqual({ namespace: ns, name: SA });
    const pod = detectPod(podEnv())!;
    expect(pod.ranAt).toBe(`in-cluster/${ns}/${SA}`);
    expect(pod.server).toBe(`https://127.0.0.1:${new URL(bed.kube.server).port}`);
    expect(pod.caFile).toBe(join(saDir, 'ca.crt'));
    // Not a pod: no service host, or no token file.
    expect(detectPod({ ...podEnv(), KUBERNETES_SERVICE_HOST: '' })).toBeUndefined();
    expect(detectPod({ ...podEnv(), FLYTE_DOCTOR_SA_DIR: join(saDir, 'nope') })).toBeUndefined();
  });

  it('names the storage identity the SDK default chain finds in the pod (IRSA, GKE, Azure)', () => {
    expect(storageIdentity('s3', { AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/flyte', AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token' })).toMatch(/IAM role arn:aws:iam::123456789012:role\/flyte .*EKS IRSA/);
    expect(storageIdentity('gcs', {})).toMatch(/metadata server.*Workload Identity/);
    expect(storageIdentity('azure', { AZURE_FEDERATED_TOKEN_FILE: '/var/run/secrets/azure/tokens/azure-identity-token', AZURE_CLIENT_ID: '00000000-1111' })).toMatch(/managed identity 00000000-1111.*Azure Workload Identity/);
  });

  it('uses the pod\'s service account for Kubernetes (no kubeconfig), says where it ran, never prints the token', async () => {
    // The namespace exists and the service account may read it? It may not: RBAC answers as that account.
    const r = await runCli(['preflight', '-n', ns, '--only', 'kubernetes.api.reachable,kubernetes.namespace.exists', '-o', 'json'], { env: podEnv() });
    const rep = JSON.parse(r.stdout);
    const api = rep.results.find((x: any) => x.id === 'kubernetes.api.reachable');
    expect(api.status, JSON.stringify(api)).toBe('pass');
    expect(rep.results.every((x: any) => x.ranAt === `in-cluster/${ns}/${SA}`)).toBe(true);
    const field = (f: string) => rep.target.fields.find((x: any) => x.field === f);
    expect(field('runtime.ranAt').value).toBe(`in-cluster/${ns}/${SA}`);
    expect(field('inCluster').value).toBe('true');
    expect(r.stdout + r.stderr).not.toContain(token);
    expect(r.stdout + r.stderr).not.toContain(token.split('.')[2]);
  }, 60_000);

  it('a cluster-internal database name: from this machine a warning pointing to --in-cluster, from the pod a real finding', async () => {
    const host = `nosuch.${ns}.svc.cluster.local`;
    const dir = tmpFiles({ 'values.yaml': `configuration:\n  database:\n    host: ${host}\n    port: 5432\n    username: flyte\n    password: pw-${randomBytes(4).toString('hex')}\n    dbname: flyteadmin\n` });
    const args = ['preflight', '-f', join(dir, 'values.yaml'), '--only', 'database.postgres.dns', '-o', 'json', '--dns-server', bed.dns.server];
    const local = JSON.parse((await runCli(args, { env: { PATH: process.env.PATH } })).stdout).results.find((x: any) => x.id === 'database.postgres.dns');
    expect(local.status).toBe('warn');
    expect(local.messageId).toBe('notFromHere');
    expect(local.hint).toContain('--in-cluster');
    expect(local.ranAt).toBe('local');
    const inPod = JSON.parse((await runCli(args, { env: podEnv() })).stdout).results.find((x: any) => x.id === 'database.postgres.dns');
    expect(inPod.status).toBe('fail');
    expect(inPod.messageId).not.toBe('notFromHere');
    expect(inPod.ranAt).toBe(`in-cluster/${ns}/${SA}`);
  }, 60_000);

  it('a given kubeconfig wins over the pod environment (client-go\'s loading rules)', async () => {
    const r = await runCli(['preflight', '--kubeconfig', bed.kube.kubeconfig, '--only', 'kubernetes.api.reachable', '-o', 'json'], { env: podEnv() });
    const rep = JSON.parse(r.stdout);
    expect(rep.results[0].ranAt).toBe('local');
    expect(rep.target.fields.find((x: any) => x.field === 'inCluster')).toBeUndefined();
  }, 60_000);

  it('the report sink: the pod writes its report into the named ConfigMap only when the Role allows it', async () => {
    const cm = `fd-sink-${randomBytes(3).toString('hex')}`;
    await kubeCall(kube, admin, 'POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: cm }, data: {} });
    const term = join(mkdtempSync(join(tmpdir(), 'fd-ic-term-')), 'termination-log');
    const args = ['preflight', '-n', ns, '--only', 'kubernetes.api.reachable', '-o', 'json'];
    const denied = await runCli(args, { env: podEnv({ FLYTE_DOCTOR_REPORT_CONFIGMAP: cm, FLYTE_DOCTOR_TERMINATION_LOG: term }) });
    expect(denied.code).toBe(3);
    expect(denied.stderr).toMatch(/could not write the report to ConfigMap .* HTTP 403/);
    expect(readFileSync(term, 'utf8')).toMatch(/HTTP 403/);
    await kubeCall(kube, admin, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: cm }, rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: [cm], verbs: ['get', 'update', 'patch'] }] });
    await kubeCall(kube, admin, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: cm }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: cm }, subjects: [{ kind: 'ServiceAccount', name: SA, namespace: ns }] });
    const ok = await runCli(args, { env: podEnv({ FLYTE_DOCTOR_REPORT_CONFIGMAP: cm }) });
    expect(ok.code, ok.stderr).toBe(0);
    const got = await kubeCall(kube, admin, 'GET', `/api/v1/namespaces/${ns}/configmaps/${cm}`);
    const { decodeReport } = await import('../../src/incluster/launcher.js');
    const rep = decodeReport(got.data['report.json.gz.b64']);
    expect(rep.results[0]!.ranAt).toBe(`in-cluster/${ns}/${SA}`);
    expect(JSON.stringify(rep)).not.toContain(token);
  }, 60_000);
});
