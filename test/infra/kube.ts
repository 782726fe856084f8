// The test bed's Kubernetes API: Debian etcd + kube-apiserver 1.33.13 (built by ensure-bins.sh into
// the cache), RBAC on, a token file (admin in system:masters, restricted = group preflight-testers
// bound to a copy of ClusterRole `view`'s read rules in namespace flyte only), an audit log (level Metadata for every
// request, so tests can prove there were no writes), a kubeconfig with contexts admin / restricted /
// stalled / missing-plugin, namespace flyte and a Ready Node with allocatable resources (no kubelet:
// its status is written through the status subresource).
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Testbed } from '../harness/testbed.js';
import { assertPortsFree, isAlive, issueCert, startDaemon, tcpOpen, waitFor, type InfraContext } from './common.js';

export const KUBE_VERSION = '1.33.13';
export const KUBE_PORTS = { apiserver: 16443, etcdClient: 12379, etcdPeer: 12380, etcdMetrics: 12381 } as const;
export const KUBE_NAMESPACE = 'flyte';
export const RESTRICTED_GROUP = 'preflight-testers';
export const NODE_NAME = 'testbed-node';
/** view's read rules, spelled out (the aggregated built-in `view` is empty without kube-controller-manager). */
export const RESTRICTED_ROLE = 'flyte-doctor-testbed-view';

// ---------- a minimal JSON client over HTTPS (used by flyte-install.ts and the tests) ----------
export interface KubeTarget { server: string; caFile: string }
export interface KubeResponse<T = any> { status: number; body: T }

/** One request to the API server. `body` objects are sent as JSON (`contentType` for patches). Never throws on HTTP status. */
export function kubeRequest<T = any>(kube: KubeTarget, token: string | undefined, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<KubeResponse<T>> {
  const url = new URL(path, kube.server);
  const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, {
      method,
      ca: readFileSync(kube.caFile),
      headers: {
        accept: 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(data ? { 'content-type': contentType, 'content-length': data.length } : {}),
      },
      timeout: 15_000,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try { parsed = text ? JSON.parse(text) : undefined; } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, body: parsed as T });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

/** Like kubeRequest but throws on a status outside `ok` (default 2xx). */
export async function kubeCall<T = any>(kube: KubeTarget, token: string, method: string, path: string, body?: unknown, contentType?: string, ok: (s: number) => boolean = (s) => s >= 200 && s < 300): Promise<T> {
  const r = await kubeRequest<T>(kube, token, method, path, body, contentType);
  if (!ok(r.status)) throw new Error(`${method} ${path} -> HTTP ${r.status}: ${typeof r.body === 'string' ? r.body : JSON.stringify(r.body)}`.slice(0, 800));
  return r.body;
}

/** Creates the object, or leaves the existing one (409) alone. */
export async function createIfMissing(kube: KubeTarget, token: string, collectionPath: string, obj: unknown): Promise<void> {
  await kubeCall(kube, token, 'POST', collectionPath, obj, undefined, (s) => (s >= 200 && s < 300) || s === 409);
}

// ---------- start ----------
function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** `ports` overrides the default ports (tests run a private instance beside the shared test bed). */
export async function startKube(ctx: InfraContext, opts: { stallPort: number; ports?: Partial<Record<keyof typeof KUBE_PORTS, number>> }): Promise<Testbed['kube']> {
  const bin = join(ctx.binDir, `kube-apiserver-${KUBE_VERSION}`);
  if (!existsSync(bin)) throw new Error(`kube-apiserver ${KUBE_VERSION} is not built (${bin} missing): run \`bash test/infra/ensure-bins.sh kube\` (cold build ~9 min)`);
  const t0 = Date.now();
  const dir = join(ctx.dir, 'kube');
  mkdirSync(join(dir, 'etcd'), { recursive: true, mode: 0o700 });
  const P = { ...KUBE_PORTS, ...opts.ports };

  // Reuse our own daemons when they run (a warm `testbed:up`). A port held by a process this test
  // bed did not start (e.g. an earlier bed whose PID files are gone) would make us talk to the
  // wrong server, and a second daemon would die on the busy port and overwrite the PID file of the
  // live one: refuse clearly instead.
  const ours = (name: string) => { const f = join(ctx.dir, 'pids', `${name}.pid`); return existsSync(f) && isAlive(Number(readFileSync(f, 'utf8'))); };
  const reuseEtcd = ours('etcd'), reuseApi = reuseEtcd && ours('kube-apiserver');
  if (!reuseEtcd) await assertPortsFree('etcd', [P.etcdClient, P.etcdPeer]);
  if (!reuseApi) await assertPortsFree('kube-apiserver', [P.apiserver]);

  // etcd (Debian etcd-server 3.4)
  if (!reuseEtcd) startDaemon(ctx, 'etcd', 'etcd', [
    '--name', 'testbed', '--data-dir', join(dir, 'etcd'),
    '--listen-client-urls', `http://127.0.0.1:${P.etcdClient}`, '--advertise-client-urls', `http://127.0.0.1:${P.etcdClient}`,
    '--listen-peer-urls', `http://127.0.0.1:${P.etcdPeer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${P.etcdPeer}`,
    '--initial-cluster', `testbed=http://127.0.0.1:${P.etcdPeer}`, '--listen-metrics-urls', `http://127.0.0.1:${P.etcdMetrics}`,
  ]);
  await waitFor(ctx, 'etcd', async () => {
    const r = await fetch(`http://127.0.0.1:${P.etcdClient}/health`, { signal: AbortSignal.timeout(1000) });
    return ((await r.json()) as { health?: string }).health === 'true';
  }, 30_000, 'etcd');
  const tEtcd = Date.now() - t0;

  // PKI, tokens, audit policy
  const cert = issueCert(ctx, 'kube-apiserver', { sans: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'IP:127.0.0.1'] });
  const saKey = join(dir, 'sa.key'), saPub = join(dir, 'sa.pub');
  if (!existsSync(saPub)) { openssl(['genrsa', '-out', saKey, '2048']); openssl(['rsa', '-in', saKey, '-pubout', '-out', saPub]); }
  const tokenFile = join(dir, 'tokens.csv');
  if (!existsSync(tokenFile)) {
    const t = () => randomBytes(16).toString('hex');
    writeFileSync(tokenFile, `${t()},admin,1,"system:masters"\n${t()},restricted,2,"${RESTRICTED_GROUP}"\n`, { mode: 0o600 });
  }
  const [adminToken, restrictedToken] = readFileSync(tokenFile, 'utf8').trim().split('\n').map((l) => l.split(',')[0]!);
  const policy = join(dir, 'audit-policy.yaml');
  writeFileSync(policy, 'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: ["RequestReceived"]\nrules:\n  - level: Metadata\n');
  const auditLog = join(dir, 'audit.log');

  const server = `https://127.0.0.1:${P.apiserver}`;
  if (!reuseApi) startDaemon(ctx, 'kube-apiserver', bin, [
    `--etcd-servers=http://127.0.0.1:${P.etcdClient}`,
    '--bind-address=127.0.0.1', `--secure-port=${P.apiserver}`, '--advertise-address=127.0.0.1',
    '--endpoint-reconciler-type=none',
    `--cert-dir=${dir}`, `--tls-cert-file=${cert.cert}`, `--tls-private-key-file=${cert.key}`,
    `--client-ca-file=${ctx.ca.cert}`,
    `--token-auth-file=${tokenFile}`,
    '--authorization-mode=RBAC',
    `--service-account-issuer=${server}`,
    `--service-account-key-file=${saPub}`, `--service-account-signing-key-file=${saKey}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    '--disable-admission-plugins=ServiceAccount', '--allow-privileged=true',
    '--enable-priority-and-fairness=false', '--profiling=false', '--v=1',
    `--audit-policy-file=${policy}`, `--audit-log-path=${auditLog}`, '--audit-log-format=json',
    '--audit-log-maxsize=100', '--audit-log-maxbackup=1',
  ]);
  const kube: KubeTarget = { server, caFile: ctx.ca.cert };
  await waitFor(ctx, 'kube-apiserver', async () => (await kubeRequest(kube, adminToken, 'GET', '/readyz')).status === 200, 120_000, 'kube-apiserver');
  const tApi = Date.now() - t0;

  // bootstrap objects (idempotent)
  await bootstrap(kube, adminToken!);
  await ensureIngressObjects(kube, adminToken!, KUBE_NAMESPACE, issueCert(ctx, 'flyte-tls', { sans: [INGRESS_HOST] }));
  const version = (await kubeCall<{ gitVersion: string }>(kube, adminToken!, 'GET', '/version')).gitVersion;

  // kubeconfig
  const kubeconfig = join(ctx.dir, 'kubeconfig');
  writeFileSync(kubeconfig, stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'testbed', cluster: { server, 'certificate-authority': ctx.ca.cert } },
      { name: 'stalled', cluster: { server: `https://127.0.0.1:${opts.stallPort}`, 'certificate-authority': ctx.ca.cert } },
    ],
    users: [
      { name: 'admin', user: { token: adminToken } },
      { name: 'restricted', user: { token: restrictedToken } },
      { name: 'missing-plugin', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'flyte-doctor-missing-plugin-xyz', args: ['token'], interactiveMode: 'Never', installHint: 'flyte-doctor test bed: this plugin intentionally does not exist' } } },
    ],
    contexts: [
      { name: 'admin', context: { cluster: 'testbed', user: 'admin', namespace: KUBE_NAMESPACE } },
      { name: 'restricted', context: { cluster: 'testbed', user: 'restricted', namespace: KUBE_NAMESPACE } },
      { name: 'stalled', context: { cluster: 'stalled', user: 'admin', namespace: KUBE_NAMESPACE } },
      { name: 'missing-plugin', context: { cluster: 'testbed', user: 'missing-plugin', namespace: KUBE_NAMESPACE } },
    ],
    'current-context': 'admin',
  }), { mode: 0o600 });

  ctx.log(`kube-apiserver ${version} up in ${Date.now() - t0} ms (etcd ${tEtcd} ms, apiserver ready at ${tApi} ms) on ${server}`);
  return {
    server, version, caFile: ctx.ca.cert, kubeconfig,
    tokens: { admin: adminToken!, restricted: restrictedToken! },
    auditLog, namespace: KUBE_NAMESPACE,
  };
}

/** The host of the bed's ingress (nginx.ts serves it; the values' ingress.host). */
const INGRESS_HOST = 'flyte.test';
/** The IngressClass the bed's values name, as a real ingress-nginx install creates it (controller.ingressClassResource). */
export const INGRESS_CLASS = 'nginx';
/** The TLS Secret the bed's values name (ingress.tls[0].secretName). */
export const TLS_SECRET = 'flyte-tls';

/**
 * What a real install around the chart has (idempotent): the `nginx` IngressClass of an ingress-nginx
 * install (not marked default, as its chart leaves it) and the Ingress TLS Secret `flyte-tls` in
 * `namespace` (type kubernetes.io/tls, a certificate of the test CA for the ingress host). `tls` are PEM files.
 */
export async function ensureIngressObjects(kube: KubeTarget, token: string, namespace: string, tls: { cert: string; key: string }): Promise<void> {
  await createIfMissing(kube, token, '/apis/networking.k8s.io/v1/ingressclasses', {
    apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass',
    metadata: { name: INGRESS_CLASS, labels: { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/instance': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' } },
    spec: { controller: 'k8s.io/ingress-nginx' },
  });
  await createIfMissing(kube, token, `/api/v1/namespaces/${namespace}/secrets`, {
    apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls',
    metadata: { name: TLS_SECRET, namespace },
    data: { 'tls.crt': readFileSync(tls.cert).toString('base64'), 'tls.key': readFileSync(tls.key).toString('base64') },
  });
}

async function bootstrap(kube: KubeTarget, token: string): Promise<void> {
  await createIfMissing(kube, token, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: KUBE_NAMESPACE } });
  // The built-in `view` ClusterRole is an aggregated role whose rules are filled in by
  // kube-controller-manager's aggregation controller, which does not run here: bound as is, it
  // grants nothing. So the restricted identity gets a ClusterRole with view's read rules, bound in
  // namespace flyte only (no CRD, ClusterRole, Node or Secret rights; nothing cluster-wide).
  await createIfMissing(kube, token, '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole',
    metadata: { name: RESTRICTED_ROLE },
    rules: [
      { apiGroups: [''], resources: ['pods', 'pods/log', 'pods/status', 'services', 'services/status', 'endpoints', 'configmaps', 'serviceaccounts', 'events', 'persistentvolumeclaims', 'resourcequotas', 'limitranges', 'replicationcontrollers'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['apps'], resources: ['deployments', 'deployments/status', 'deployments/scale', 'replicasets', 'statefulsets', 'daemonsets'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'networkpolicies'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['flyte.lyft.com'], resources: ['flyteworkflows'], verbs: ['get', 'list', 'watch'] },
    ],
  });
  await createIfMissing(kube, token, `/apis/rbac.authorization.k8s.io/v1/namespaces/${KUBE_NAMESPACE}/rolebindings`, {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding',
    metadata: { name: 'preflight-testers-view', namespace: KUBE_NAMESPACE },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: RESTRICTED_ROLE },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: RESTRICTED_GROUP }],
  });
  // A Node (no kubelet): create, drop the not-ready taint TaintNodesByCondition adds on create, write status.
  await createIfMissing(kube, token, '/api/v1/nodes', {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name: NODE_NAME, labels: { 'kubernetes.io/hostname': NODE_NAME, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'node-role.kubernetes.io/worker': '' } },
  });
  await kubeCall(kube, token, 'PATCH', `/api/v1/nodes/${NODE_NAME}`, { spec: { taints: null, unschedulable: null } }, 'application/merge-patch+json');
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const resources = { cpu: '8', memory: '32Gi', pods: '110', 'ephemeral-storage': '100Gi' };
  await kubeCall(kube, token, 'PATCH', `/api/v1/nodes/${NODE_NAME}/status`, {
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status (flyte-doctor test bed)', lastHeartbeatTime: now, lastTransitionTime: now },
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'ok', lastHeartbeatTime: now, lastTransitionTime: now },
        { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'ok', lastHeartbeatTime: now, lastTransitionTime: now },
        { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'ok', lastHeartbeatTime: now, lastTransitionTime: now },
      ],
      addresses: [{ type: 'InternalIP', address: '10.1.0.10' }, { type: 'Hostname', address: NODE_NAME }],
      nodeInfo: {
        machineID: 'testbed', systemUUID: 'testbed', bootID: 'testbed', kernelVersion: '6.1.0', osImage: 'Debian GNU/Linux 12 (bookworm)',
        containerRuntimeVersion: 'containerd://1.7.0', kubeletVersion: `v${KUBE_VERSION}`, kubeProxyVersion: '', operatingSystem: 'linux', architecture: 'amd64',
      },
    },
  }, 'application/merge-patch+json');
}
