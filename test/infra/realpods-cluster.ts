// A PRIVATE Kubernetes cluster where pods really run, for test/incluster/real-pod.test.ts (issue 12,
// "Test it for real"). Not the shared test bed's API server (127.0.0.1:16443 keeps its fake kubelet
// and fake Node): its own etcd + kube-apiserver on 17379-17381/17443, and on this machine:
//   - containerd (Debian 1.6) + runc, state under the temp dir, the CRI plugin's sandbox image set to
//     the locally built pause image (no registry), a loopback-only CNI config (the runtime reports its
//     network ready; the test's pods use hostNetwork to reach the bed's 127.0.0.1 servers);
//   - kubelet (cgroupfs driver, cgroup v1 here, swap allowed), kube-controller-manager (Job, garbage
//     collector, TTL, service accounts, root CA publisher, node lifecycle, namespace) and kube-scheduler,
//     all 1.33.13 built by test/infra/ensure-bins.sh kube-node;
//   - the API server's in-cluster address: pods get KUBERNETES_SERVICE_HOST/PORT from the `kubernetes`
//     Service (ClusterIP = first address of --service-cluster-ip-range, port 443). There is no
//     kube-proxy (its iptables rules could not point at a loopback endpoint anyway), so the range is
//     127.17.0.0/24 (loopback on Linux without any host change) and a TCP forwarder in the test process
//     listens on 127.17.0.1:443 and passes connections to the API server: what kube-proxy would do.
// Everything lives under one temp dir; stop() removes the pods' containers, stops every process it
// started (by PID), unmounts what the kubelet/containerd mounted under the dir, removes the cgroups
// the kubelet created, and deletes the dir.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { assertPortsFree, isAlive, issueCert, makeContext, sleep, startDaemon, stopDaemon, waitFor, type InfraContext } from './common.js';
import { kubeCall, kubeRequest, type KubeTarget } from './kube.js';
import { flyteDoctorImageSpec, pauseImageSpec, writeOciImage } from './oci-image.js';

export const REAL_KUBE_VERSION = '1.33.13';
export const REAL_PORTS = {
  apiserver: 17443, etcdClient: 17379, etcdPeer: 17380, etcdMetrics: 17381,
  kubelet: 17250, kubeletHealthz: 17251, controllerManager: 17257, scheduler: 17259,
} as const;
export const REAL_NODE = 'fd-realpods-node';
/** --service-cluster-ip-range: the `kubernetes` Service gets .1, where the forwarder listens. */
export const SERVICE_RANGE = '127.17.0.0/24';
export const SERVICE_IP = '127.17.0.1';
export const PAUSE_IMAGE = 'registry.local/flyte-doctor-test/pause:1';
export const CNI_BIN_DIR = '/usr/lib/cni';
/**
 * Paths outside the temp dir that the components use whatever their flags say: the kubelet's
 * /var/log/containers symlinks and /var/lib/kubelet/device-plugins, the containerd shims' sockets
 * under /run/containerd/s. Those that did not exist before the cluster started are removed by stop();
 * in those that did, only entries pointing into the temp dir are.
 */
const HOST_PATHS = ['/var/lib/kubelet', '/var/log/containers', '/var/log/pods', '/run/containerd', '/etc/cni'];

export interface RealCluster {
  dir: string;
  ctx: InfraContext;
  kube: KubeTarget;
  server: string;
  adminToken: string;
  kubeconfig: string;
  auditLog: string;
  containerdSock: string;
  /** `ctr` against this containerd, namespace k8s.io. */
  ctr(args: string[], input?: Buffer): string;
  log(name: string): string;
  /** Stops everything; returns what could not be removed (empty when clean). */
  stop(): Promise<string[]>;
}

/** What this machine lacks for real pods: one line each (empty when everything is there). */
export function realPodsMissing(binDir: string): string[] {
  const miss: string[] = [];
  if (process.getuid?.() !== 0) miss.push('root (containerd, runc and the kubelet need it)');
  const which = (c: string) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0;
  for (const c of ['containerd', 'ctr', 'containerd-shim-runc-v2', 'runc', 'etcd', 'tar']) if (!which(c)) miss.push(`${c} (apt: ${c === 'etcd' ? 'etcd-server' : c === 'runc' ? 'runc' : c === 'tar' ? 'tar' : 'containerd'}; test/infra/install-deps.sh installs it)`);
  if (!existsSync(join(CNI_BIN_DIR, 'loopback'))) miss.push(`${CNI_BIN_DIR}/loopback (apt: containernetworking-plugins; test/infra/install-deps.sh installs it)`);
  for (const b of ['kube-apiserver', 'kubelet', 'kube-controller-manager', 'kube-scheduler']) {
    if (!existsSync(join(binDir, `${b}-${REAL_KUBE_VERSION}`))) miss.push(`${b} ${REAL_KUBE_VERSION} (bash test/infra/ensure-bins.sh ${b === 'kube-apiserver' ? 'kube' : 'kube-node'})`);
  }
  if (!existsSync(join(binDir, 'pause-1'))) miss.push('the pause program (bash test/infra/ensure-bins.sh pause)');
  return miss;
}

/** A client certificate of the test CA (clientAuth), e.g. the API server's to the kubelet. */
function clientCert(ctx: InfraContext, name: string): { cert: string; key: string } {
  const d = join(ctx.dir, 'pki');
  const cert = join(d, `${name}.crt`), key = join(d, `${name}.key`), csr = join(d, `${name}.csr`), ext = join(d, `${name}.ext`);
  writeFileSync(ext, 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n');
  execFileSync('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${name}/O=system:masters`], { stdio: 'ignore' });
  execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', ctx.ca.cert, '-CAkey', ctx.ca.key, '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

/** kube-proxy's part for the one Service the pods need: SERVICE_IP:443 -> the API server. */
function startServiceForwarder(target: number): Promise<Server> {
  const sockets = new Set<Socket>();
  const srv = createServer((c) => {
    const up = connect({ host: '127.0.0.1', port: target });
    sockets.add(c); sockets.add(up);
    const end = () => { c.destroy(); up.destroy(); sockets.delete(c); sockets.delete(up); };
    c.on('error', end); up.on('error', end); c.on('close', end); up.on('close', end);
    c.pipe(up); up.pipe(c);
  });
  const close = srv.close.bind(srv);
  (srv as any).close = (cb?: (e?: Error) => void) => { for (const s of sockets) s.destroy(); return close(cb); };
  return new Promise((res, rej) => { srv.once('error', rej); srv.listen(443, SERVICE_IP, () => res(srv)); });
}

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m): m is string => !!m && (m === dir || m.startsWith(`${dir}/`)))
    .map((m) => m.replace(/\\040/g, ' '));
}

/** Kills and removes every task and container in this containerd's k8s.io namespace. */
function removeContainers(c: RealCluster['ctr']): void {
  const ids = (args: string[]) => { try { return c(args).split('\n').slice(1).map((l) => l.trim().split(/\s+/)[0]).filter(Boolean) as string[]; } catch { return []; } };
  for (const id of ids(['tasks', 'ls'])) { try { c(['tasks', 'kill', '-a', '-s', 'SIGKILL', id]); } catch { /* gone */ } }
  for (let i = 0; i < 20 && ids(['tasks', 'ls']).length; i++) {
    for (const id of ids(['tasks', 'ls'])) { try { c(['tasks', 'delete', '-f', id]); } catch { /* still stopping */ } }
  }
  for (const id of ids(['containers', 'ls'])) { try { c(['containers', 'delete', id]); } catch { /* gone */ } }
}

/** Every process whose command line mentions `dir` (the containerd shims this cluster started). */
function processesMentioning(dir: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try { if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir)) out.push(Number(p)); } catch { /* gone */ }
  }
  return out;
}

/** cgroup directories the kubelet / runc made for this node (kubepods*), deepest first. */
function cgroupDirs(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: string[] = [];
    try { entries = readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(d, e.name)); } catch { return; }
    for (const e of entries) walk(e);
    out.push(d);
  };
  for (const ctl of readdirSync('/sys/fs/cgroup')) {
    for (const top of ['kubepods', 'kubepods.slice']) {
      const d = join('/sys/fs/cgroup', ctl, top);
      if (existsSync(d)) walk(d);
    }
  }
  return out;
}

export async function startRealCluster(o: { log?: (m: string) => void } = {}): Promise<RealCluster> {
  const log = o.log ?? ((m: string) => process.stderr.write(`[realpods] ${m}\n`));
  const dir = mkdtempSync(join(tmpdir(), 'fd-realpods-'));
  const ctx = makeContext(dir, log);
  const missing = realPodsMissing(ctx.binDir);
  if (missing.length) { rmSync(dir, { recursive: true, force: true }); throw new Error(`real pods cannot run on this machine; missing:\n  - ${missing.join('\n  - ')}\nRun test/infra/install-deps.sh (CI does).`); }
  const bin = (n: string) => join(ctx.binDir, `${n}-${REAL_KUBE_VERSION}`);
  const P = REAL_PORTS;
  const t0 = Date.now();
  const started: string[] = [];
  let forwarder: Server | undefined;
  const containerdSock = join(dir, 'containerd', 'containerd.sock');
  const ctr = (args: string[], input?: Buffer) => execFileSync('ctr', ['--address', containerdSock, '-n', 'k8s.io', ...args], { encoding: 'utf8', ...(input ? { input } : {}), stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'], timeout: 120_000 });
  const logOf = (n: string) => { const f = join(dir, 'logs', `${n}.log`); return existsSync(f) ? readFileSync(f, 'utf8') : ''; };

  const hostPathsBefore = new Set(HOST_PATHS.filter((p) => existsSync(p)));
  let stopped: string[] | undefined;
  const stop = async (): Promise<string[]> => {
    if (stopped) return stopped;
    stopped = [];
    const t = Date.now();
    // the kubelet first (it would restart what we remove), then the pods' containers, then containerd
    for (const n of ['kube-scheduler', 'kube-controller-manager', 'kubelet']) if (started.includes(n)) await stopDaemon(ctx, n);
    if (started.includes('containerd')) { removeContainers(ctr); await stopDaemon(ctx, 'containerd'); }
    for (const pid of processesMentioning(dir)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    for (const n of ['kube-apiserver', 'etcd']) if (started.includes(n)) await stopDaemon(ctx, n);
    await new Promise<void>((r) => (forwarder ? forwarder.close(() => r()) : r()));
    for (const m of mountsUnder(dir).reverse()) spawnSync('umount', ['-l', m]);
    for (const d of cgroupDirs()) { try { execFileSync('rmdir', [d], { stdio: 'ignore' }); } catch { /* busy or gone */ } }
    if (existsSync('/var/log/containers')) {
      for (const l of readdirSync('/var/log/containers')) {
        try { if (readlinkSync(join('/var/log/containers', l)).startsWith(`${dir}/`)) rmSync(join('/var/log/containers', l)); } catch { /* not a link */ }
      }
    }
    for (const p of HOST_PATHS) if (!hostPathsBefore.has(p) && !mountsUnder(p).length) rmSync(p, { recursive: true, force: true });
    const leftHost = HOST_PATHS.filter((p) => !hostPathsBefore.has(p) && existsSync(p));
    const leftMounts = mountsUnder(dir), leftProcs = processesMentioning(dir).filter(isAlive), leftCgroups = cgroupDirs();
    if (!leftMounts.length) rmSync(dir, { recursive: true, force: true });
    stopped = [...leftHost.map((p) => `path ${p}`), ...leftMounts.map((m) => `mount ${m}`), ...leftProcs.map((p) => `process ${p}`), ...leftCgroups.map((g) => `cgroup ${g}`)];
    log(`private cluster stopped in ${Date.now() - t} ms${stopped.length ? `; LEFT: ${stopped.join(', ')}` : ''}`);
    return stopped;
  };

  try {
    await assertPortsFree('private cluster', [P.apiserver, P.etcdClient, P.etcdPeer, P.etcdMetrics, P.kubelet, P.kubeletHealthz, P.controllerManager, P.scheduler]);
    // The kubelet refuses a loopback node IP ("nodeIP can't be loopback address"): the node's address is
    // this machine's first non-internal IPv4; the kubelet listens there, for clients of the test CA only.
    const nodeIp = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    if (!nodeIp) throw new Error('real pods: this machine has no non-loopback IPv4 address for the node (the kubelet refuses a loopback node IP)');
    // etcd
    mkdirSync(join(dir, 'etcd'), { mode: 0o700 });
    startDaemon(ctx, 'etcd', 'etcd', [
      '--name', 'realpods', '--data-dir', join(dir, 'etcd'),
      '--listen-client-urls', `http://127.0.0.1:${P.etcdClient}`, '--advertise-client-urls', `http://127.0.0.1:${P.etcdClient}`,
      '--listen-peer-urls', `http://127.0.0.1:${P.etcdPeer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${P.etcdPeer}`,
      '--initial-cluster', `realpods=http://127.0.0.1:${P.etcdPeer}`, '--listen-metrics-urls', `http://127.0.0.1:${P.etcdMetrics}`,
    ]);
    started.push('etcd');
    await waitFor(ctx, 'etcd', async () => ((await (await fetch(`http://127.0.0.1:${P.etcdClient}/health`, { signal: AbortSignal.timeout(1000) })).json()) as { health?: string }).health === 'true', 30_000, 'etcd');

    // kube-apiserver: RBAC, ServiceAccount admission on (pods get their projected token), audit log
    const cert = issueCert(ctx, 'kube-apiserver', { sans: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'IP:127.0.0.1', `IP:${SERVICE_IP}`] });
    const saKey = join(dir, 'sa.key'), saPub = join(dir, 'sa.pub');
    execFileSync('openssl', ['genrsa', '-out', saKey, '2048'], { stdio: 'ignore' });
    execFileSync('openssl', ['rsa', '-in', saKey, '-pubout', '-out', saPub], { stdio: 'ignore' });
    const tok = () => randomBytes(16).toString('hex');
    const tokens = { admin: tok(), kubelet: tok(), kcm: tok(), scheduler: tok() };
    // Every component is in system:masters: the point is pods running, not the components' RBAC.
    writeFileSync(join(dir, 'tokens.csv'), [
      `${tokens.admin},admin,1,"system:masters"`, `${tokens.kubelet},realpods-kubelet,2,"system:masters"`,
      `${tokens.kcm},realpods-controller-manager,3,"system:masters"`, `${tokens.scheduler},realpods-scheduler,4,"system:masters"`, '',
    ].join('\n'), { mode: 0o600 });
    const policy = join(dir, 'audit-policy.yaml');
    // ConfigMap patches with their body (the pod's report as it wrote it); everything else: metadata
    writeFileSync(policy, 'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: ["RequestReceived"]\nrules:\n  - level: Request\n    verbs: ["patch"]\n    resources: [{ group: "", resources: ["configmaps"] }]\n  - level: Metadata\n');
    const auditLog = join(dir, 'audit.log');
    const server = `https://127.0.0.1:${P.apiserver}`;
    const kubeletClient = clientCert(ctx, 'apiserver-kubelet-client');
    startDaemon(ctx, 'kube-apiserver', bin('kube-apiserver'), [
      `--etcd-servers=http://127.0.0.1:${P.etcdClient}`,
      '--bind-address=127.0.0.1', `--secure-port=${P.apiserver}`, '--advertise-address=127.0.0.1',
      '--endpoint-reconciler-type=none', '--kubelet-preferred-address-types=InternalIP',
      `--kubelet-client-certificate=${kubeletClient.cert}`, `--kubelet-client-key=${kubeletClient.key}`,
      `--cert-dir=${join(dir, 'apiserver-certs')}`, `--tls-cert-file=${cert.cert}`, `--tls-private-key-file=${cert.key}`,
      `--client-ca-file=${ctx.ca.cert}`, `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      `--service-account-issuer=${server}`, `--service-account-key-file=${saPub}`, `--service-account-signing-key-file=${saKey}`,
      `--service-cluster-ip-range=${SERVICE_RANGE}`, '--allow-privileged=true',
      '--enable-priority-and-fairness=false', '--profiling=false', '--v=1',
      `--audit-policy-file=${policy}`, `--audit-log-path=${auditLog}`, '--audit-log-format=json', '--audit-log-maxsize=100', '--audit-log-maxbackup=1',
    ]);
    started.push('kube-apiserver');
    const kube: KubeTarget = { server, caFile: ctx.ca.cert };
    await waitFor(ctx, 'kube-apiserver', async () => (await kubeRequest(kube, tokens.admin, 'GET', '/readyz')).status === 200, 120_000, 'kube-apiserver');
    const tApi = Date.now() - t0;
    forwarder = await startServiceForwarder(P.apiserver);

    const kubeconfigFor = (user: string, token: string) => {
      const f = join(dir, `${user}.kubeconfig`);
      writeFileSync(f, stringify({
        apiVersion: 'v1', kind: 'Config', 'current-context': user,
        clusters: [{ name: 'realpods', cluster: { server, 'certificate-authority': ctx.ca.cert } }],
        users: [{ name: user, user: { token } }],
        contexts: [{ name: user, context: { cluster: 'realpods', user, namespace: 'default' } }],
      }), { mode: 0o600 });
      return f;
    };
    const kubeconfig = kubeconfigFor('admin', tokens.admin);

    // containerd + runc, CRI with the local pause image as sandbox image; images are never pulled
    const cdir = join(dir, 'containerd');
    mkdirSync(join(dir, 'cni', 'net.d'), { recursive: true });
    writeFileSync(join(dir, 'cni', 'net.d', '10-loopback.conflist'), JSON.stringify({ cniVersion: '0.4.0', name: 'realpods-lo', plugins: [{ type: 'loopback' }] }));
    mkdirSync(cdir, { recursive: true });
    const snapshotter = process.env.FLYTE_DOCTOR_REALPODS_SNAPSHOTTER ?? 'overlayfs';
    writeFileSync(join(cdir, 'config.toml'), [
      'version = 2',
      `root = "${join(cdir, 'root')}"`, `state = "${join(cdir, 'state')}"`,
      '[grpc]', `  address = "${containerdSock}"`,
      '[ttrpc]', `  address = "${containerdSock}.ttrpc"`,
      '[debug]', '  level = "info"',
      '[plugins."io.containerd.grpc.v1.cri"]',
      `  sandbox_image = "${PAUSE_IMAGE}"`,
      '  disable_apparmor = true', '  enable_selinux = false', '  restrict_oom_score_adj = true', '  disable_cgroup = false',
      '  [plugins."io.containerd.grpc.v1.cri".containerd]', `    snapshotter = "${snapshotter}"`, '    default_runtime_name = "runc"',
      '    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]', '      runtime_type = "io.containerd.runc.v2"',
      '      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]', '        SystemdCgroup = false', `        Root = "${join(cdir, 'runc')}"`,
      '  [plugins."io.containerd.grpc.v1.cri".cni]', `    bin_dir = "${CNI_BIN_DIR}"`, `    conf_dir = "${join(dir, 'cni', 'net.d')}"`,
      '',
    ].join('\n'));
    startDaemon(ctx, 'containerd', 'containerd', ['--config', join(cdir, 'config.toml')]);
    started.push('containerd');
    await waitFor(ctx, 'containerd', () => { try { ctr(['version']); return true; } catch { return false; } }, 30_000, 'containerd');

    const cluster: RealCluster = { dir, ctx, kube, server, adminToken: tokens.admin, kubeconfig, auditLog, containerdSock, ctr, log: logOf, stop };

    // kubelet
    const kdir = join(dir, 'kubelet');
    mkdirSync(kdir, { recursive: true });
    const kcert = issueCert(ctx, 'kubelet', { sans: ['localhost', REAL_NODE, `IP:${nodeIp}`] });
    writeFileSync(join(dir, 'kubelet-config.yaml'), stringify({
      apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration',
      address: nodeIp, port: P.kubelet, readOnlyPort: 0, healthzBindAddress: '127.0.0.1', healthzPort: P.kubeletHealthz,
      tlsCertFile: kcert.cert, tlsPrivateKeyFile: kcert.key,
      // only clients with a certificate of the test CA (the API server, for `kubectl logs`)
      authentication: { anonymous: { enabled: false }, webhook: { enabled: false }, x509: { clientCAFile: ctx.ca.cert } },
      podLogsDir: join(dir, 'pod-logs'),
      authorization: { mode: 'AlwaysAllow' },
      containerRuntimeEndpoint: `unix://${containerdSock}`,
      cgroupDriver: 'cgroupfs', failSwapOn: false,
      cgroupsPerQOS: process.env.FLYTE_DOCTOR_REALPODS_QOS !== '0', enforceNodeAllocatable: [],
      failCgroupV1: false,
      resolvConf: '/etc/resolv.conf',
      // This test machine's disk and memory are not the point: never evict, never garbage-collect images.
      evictionHard: { 'memory.available': '0%', 'nodefs.available': '0%', 'imagefs.available': '0%', 'nodefs.inodesFree': '0%' },
      imageGCHighThresholdPercent: 100, imageGCLowThresholdPercent: 99,
      syncFrequency: '2s', fileCheckFrequency: '2s', nodeStatusUpdateFrequency: '2s',
      serializeImagePulls: false, makeIPTablesUtilChains: false, protectKernelDefaults: false,
      localStorageCapacityIsolation: true,
    }));
    startDaemon(ctx, 'kubelet', bin('kubelet'), [
      `--config=${join(dir, 'kubelet-config.yaml')}`, `--kubeconfig=${kubeconfigFor('kubelet', tokens.kubelet)}`,
      `--root-dir=${kdir}`, `--cert-dir=${join(kdir, 'pki')}`, `--hostname-override=${REAL_NODE}`, `--node-ip=${nodeIp}`, '--v=2',
    ]);
    started.push('kubelet');

    // kube-controller-manager: the Job controller, the garbage collector and friends
    const controllers = ['job', 'garbagecollector', 'ttl-after-finished', 'serviceaccount', 'root-ca-cert-publisher', 'nodelifecycle', 'namespace', 'podgc'];
    startDaemon(ctx, 'kube-controller-manager', bin('kube-controller-manager'), [
      `--kubeconfig=${kubeconfigFor('kcm', tokens.kcm)}`, `--authentication-kubeconfig=${join(dir, 'kcm.kubeconfig')}`, `--authorization-kubeconfig=${join(dir, 'kcm.kubeconfig')}`,
      '--bind-address=127.0.0.1', `--secure-port=${P.controllerManager}`, `--cert-dir=${join(dir, 'kcm-certs')}`,
      '--leader-elect=false', `--controllers=${process.env.FLYTE_DOCTOR_REALPODS_CONTROLLERS ?? controllers.join(',')}`,
      `--root-ca-file=${ctx.ca.cert}`, `--service-account-private-key-file=${saKey}`, '--use-service-account-credentials=false',
      `--service-cluster-ip-range=${SERVICE_RANGE}`, '--allocate-node-cidrs=false', '--v=1',
    ]);
    started.push('kube-controller-manager');
    startDaemon(ctx, 'kube-scheduler', bin('kube-scheduler'), [
      `--kubeconfig=${kubeconfigFor('scheduler', tokens.scheduler)}`, `--authentication-kubeconfig=${join(dir, 'scheduler.kubeconfig')}`, `--authorization-kubeconfig=${join(dir, 'scheduler.kubeconfig')}`,
      '--bind-address=127.0.0.1', `--secure-port=${P.scheduler}`, `--cert-dir=${join(dir, 'scheduler-certs')}`, '--leader-elect=false', '--v=1',
    ]);
    started.push('kube-scheduler');

    // the node is Ready and schedulable (node lifecycle controller removes the not-ready taint)
    await waitFor(ctx, `node ${REAL_NODE} Ready without taints`, async () => {
      const n = await kubeRequest(kube, tokens.admin, 'GET', `/api/v1/nodes/${REAL_NODE}`);
      if (n.status !== 200) return false;
      const ready = (n.body.status?.conditions ?? []).find((c: any) => c.type === 'Ready');
      return ready?.status === 'True' && !(n.body.spec?.taints ?? []).length;
    }, 90_000, 'kubelet');
    // service account "default" and the root CA ConfigMap exist in `default` (the controllers run)
    await waitFor(ctx, 'kube-controller-manager (kube-root-ca.crt published)', async () => (await kubeRequest(kube, tokens.admin, 'GET', '/api/v1/namespaces/default/configmaps/kube-root-ca.crt')).status === 200, 60_000, 'kube-controller-manager');
    log(`private cluster up in ${Date.now() - t0} ms (apiserver ready at ${tApi} ms) on ${server}; node ${REAL_NODE}; dir ${dir}`);
    return cluster;
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Polls until the pod (by label selector) is in one of the phases; returns it. */
export async function waitForPodPhase(c: RealCluster, ns: string, selector: string, phases: string[], ms: number): Promise<any> {
  const deadline = Date.now() + ms;
  let last: any;
  while (Date.now() < deadline) {
    const l = await kubeCall(c.kube, c.adminToken, 'GET', `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(selector)}`);
    last = l.items?.[0];
    if (last && phases.includes(last.status?.phase)) return last;
    await sleep(500);
  }
  throw new Error(`no pod ${selector} in ${ns} reached ${phases.join('/')} within ${ms / 1000}s; last: ${JSON.stringify(last?.status ?? null).slice(0, 1500)}`);
}

/**
 * Builds the pause image and the flyte-doctor image of this checkout (dist/ must be built: `npm run
 * build`) as OCI tarballs and imports them into the cluster's containerd (namespace k8s.io), so
 * pods with imagePullPolicy IfNotPresent/Never start without any registry. Returns the timings.
 */
export function loadImages(c: RealCluster, repo: string, ref: string): { buildMs: number; importMs: number } {
  const dist = join(repo, 'dist', 'flyte-doctor.mjs');
  if (!existsSync(dist)) throw new Error(`${dist} is missing: run \`npm run build\` first (npm test does)`);
  const t0 = Date.now();
  const pauseTar = join(c.dir, 'pause.oci.tar'), fdTar = join(c.dir, 'flyte-doctor.oci.tar');
  writeOciImage(pauseImageSpec(join(c.ctx.binDir, 'pause-1'), PAUSE_IMAGE), pauseTar);
  writeOciImage(flyteDoctorImageSpec(repo, ref), fdTar);
  const t1 = Date.now();
  const snap = process.env.FLYTE_DOCTOR_REALPODS_SNAPSHOTTER ?? 'overlayfs';
  c.ctr(['images', 'import', '--snapshotter', snap, pauseTar]);
  c.ctr(['images', 'import', '--snapshotter', snap, fdTar]);
  rmSync(pauseTar); rmSync(fdTar);
  return { buildMs: t1 - t0, importMs: Date.now() - t1 };
}
