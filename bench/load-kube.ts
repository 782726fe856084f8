// Scale bench helper: a PRIVATE etcd + kube-apiserver (test/infra/kube.ts's startKube on other ports,
// in its own directory), so the shared test bed is never disturbed, with a healthy flyte-binary
// install (test/infra/flyte-install.ts) and a load of project-domain namespaces and pods.
//
//   tsx bench/load-kube.ts up    <dir>          start (or reuse) the private API server, install flyte-binary
//   tsx bench/load-kube.ts load  <dir> <size>   make the load `size`: size/10 namespaces + size pods (incremental)
//   tsx bench/load-kube.ts count <dir>          print how many loaded namespaces and pods exist
//   tsx bench/load-kube.ts clean <dir>          delete the loaded pods and namespaces by label
//   tsx bench/load-kube.ts down  <dir>          stop the private etcd + API server and delete <dir>
//
// Everything loaded carries the label flyte-doctor.bench/load=true. Pods have valid specs and are
// bound to Ready nodes (nodeName set at creation, no scheduler needed; 100 pods per node, under the
// nodes' 110-pod allocatable), like a busy cluster's task pods; there is no kubelet, so they stay
// phase Pending and are deleted with gracePeriodSeconds=0. The nodes (bench-node-000, ...) are
// created Ready with allocatable cpu/memory like the test bed's node. Namespaces are named like
// Flyte's project-domain namespaces (bench-p0001-development). Writes use the admin token with bounded concurrency (default 16,
// env BENCH_LOAD_CONCURRENCY), reads use paginated label-selected lists.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Testbed } from '../test/harness/testbed.js';
import { makeContext, stopAll } from '../test/infra/common.js';
import { installFlyte } from '../test/infra/flyte-install.js';
import { kubeCall, kubeRequest, startKube, type KubeTarget } from '../test/infra/kube.js';

export const LABEL_KEY = 'flyte-doctor.bench/load';
export const SELECTOR = `${LABEL_KEY}=true`;
/** Ports of the private instance (the shared test bed uses 16443 and 12379-12381). */
export const PRIVATE_PORTS = {
  apiserver: Number(process.env.BENCH_KUBE_PORT ?? 26443),
  etcdClient: Number(process.env.BENCH_ETCD_PORT ?? 22379),
  etcdPeer: Number(process.env.BENCH_ETCD_PORT ?? 22379) + 1,
  etcdMetrics: Number(process.env.BENCH_ETCD_PORT ?? 22379) + 2,
};
const DOMAINS = ['development', 'staging', 'production'] as const;
const PODS_PER_NS = 10;
const PODS_PER_NODE = 100;
export const nodeName = (i: number) => `bench-node-${String(i).padStart(3, '0')}`;

interface Private { kube: Testbed['kube'] }
interface Api { kube: KubeTarget; token: string }

function readState(dir: string): Private {
  const f = join(dir, 'bench-kube.json');
  if (!existsSync(f)) throw new Error(`private API server not up (${f} missing): run \`tsx bench/load-kube.ts up ${dir}\``);
  return JSON.parse(readFileSync(f, 'utf8')) as Private;
}
function api(p: Private): Api { return { kube: { server: p.kube.server, caFile: p.kube.caFile }, token: p.kube.tokens.admin }; }

/** Namespace name of the i-th loaded namespace: projects bench-p0000.. times the three domains. */
export function namespaceName(i: number): string {
  return `bench-p${String(Math.floor(i / DOMAINS.length)).padStart(4, '0')}-${DOMAINS[i % DOMAINS.length]}`;
}
/** How the load of `size` objects is made up: `size` pods, 10 per namespace (size/10 namespaces), 100 per node (size/100 nodes). */
export function shape(size: number): { namespaces: number; pods: number; nodes: number } {
  return { namespaces: Math.ceil(size / PODS_PER_NS), pods: size, nodes: Math.ceil(size / PODS_PER_NODE) };
}

/** Runs fn over items with at most `limit` in flight; rejects on the first failure. */
export async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => { while (next < items.length) { const i = next++; await fn(items[i]!); } };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Every item name of a label-selected, paginated LIST. */
async function listNames(a: Api, path: string): Promise<{ name: string; namespace?: string }[]> {
  const out: { name: string; namespace?: string }[] = [];
  let cont = '';
  do {
    const q = new URLSearchParams({ labelSelector: SELECTOR, limit: '500', ...(cont ? { continue: cont } : {}) });
    const r = await kubeCall<{ items: { metadata: { name: string; namespace?: string } }[]; metadata: { continue?: string } }>(a.kube, a.token, 'GET', `${path}?${q}`);
    for (const it of r.items) out.push({ name: it.metadata.name, ...(it.metadata.namespace ? { namespace: it.metadata.namespace } : {}) });
    cont = r.metadata.continue ?? '';
  } while (cont);
  return out;
}

async function healthy(p: Private): Promise<boolean> {
  try { return (await kubeRequest(api(p).kube, p.kube.tokens.admin, 'GET', '/readyz')).status === 200; } catch { return false; }
}

export async function up(dir: string): Promise<Private> {
  const stateFile = join(dir, 'bench-kube.json');
  if (existsSync(stateFile)) {
    const p = readState(dir);
    if (await healthy(p)) { log(`reusing private API server ${p.kube.server}`); return p; }
    await stopAll(dir);
  }
  const ctx = makeContext(dir, (m) => log(m));
  const kube = await startKube(ctx, { stallPort: 15999, ports: PRIVATE_PORTS });
  const p: Private = { kube };
  writeFileSync(stateFile, JSON.stringify(p, null, 2));
  const t0 = Date.now();
  await installFlyte(p as unknown as Testbed, 'flyte-binary');
  log(`flyte-binary installed into the private API server in ${Date.now() - t0} ms (kubeconfig ${kube.kubeconfig})`);
  return p;
}

export async function load(dir: string, size: number): Promise<void> {
  const a = api(readState(dir));
  const conc = Number(process.env.BENCH_LOAD_CONCURRENCY ?? 16);
  const want = shape(size);
  const t0 = Date.now();
  const haveNs = new Set((await listNames(a, '/api/v1/namespaces')).map((n) => n.name));
  const nsToCreate = Array.from({ length: want.namespaces }, (_, i) => namespaceName(i)).filter((n) => !haveNs.has(n));
  await pool(nsToCreate, conc, async (name) => {
    await kubeCall(a.kube, a.token, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { [LABEL_KEY]: 'true' } } }, undefined, (s) => s < 300 || s === 409);
  });
  const haveNodes = new Set((await listNames(a, '/api/v1/nodes')).map((n) => n.name));
  const nodesToCreate = Array.from({ length: want.nodes }, (_, i) => nodeName(i)).filter((n) => !haveNodes.has(n));
  await pool(nodesToCreate, conc, (name) => createNode(a, name));
  const havePods = new Set((await listNames(a, '/api/v1/pods')).map((p) => `${p.namespace}/${p.name}`));
  const pods = Array.from({ length: want.pods }, (_, i) => ({ ns: namespaceName(Math.floor(i / PODS_PER_NS)), node: nodeName(Math.floor(i / PODS_PER_NODE)), name: `bench-task-${String(i).padStart(5, '0')}` }))
    .filter((p) => !havePods.has(`${p.ns}/${p.name}`));
  await pool(pods, conc, async ({ ns, node, name }) => {
    await kubeCall(a.kube, a.token, 'POST', `/api/v1/namespaces/${ns}/pods`, {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name, namespace: ns, labels: { [LABEL_KEY]: 'true', 'execution-id': name, 'node-id': 'n0', 'task-name': 'bench.task' } },
      spec: {
        restartPolicy: 'Never',
        nodeName: node,
        containers: [{ name: 'task', image: 'cr.flyte.org/flyteorg/flytekit:py3.11-latest', args: ['pyflyte-execute', '--inputs', 's3://flyte-metadata/bench/inputs.pb'] }],
      },
    }, undefined, (s) => s < 300 || s === 409);
  });
  log(`load ${size}: created ${nsToCreate.length} namespaces, ${nodesToCreate.length} nodes and ${pods.length} pods (now ${want.namespaces} + ${want.nodes} + ${want.pods}) in ${Date.now() - t0} ms`);
}

export async function count(dir: string): Promise<{ namespaces: number; nodes: number; pods: number }> {
  const a = api(readState(dir));
  return { namespaces: (await listNames(a, '/api/v1/namespaces')).length, nodes: (await listNames(a, '/api/v1/nodes')).length, pods: (await listNames(a, '/api/v1/pods')).length };
}

/** A Ready node with allocatable resources, like the test bed's (no kubelet: status written directly). */
async function createNode(a: Api, name: string): Promise<void> {
  const r = await kubeRequest(a.kube, a.token, 'POST', '/api/v1/nodes', {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name, labels: { [LABEL_KEY]: 'true', 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' } },
  });
  if (r.status === 409) return;
  if (r.status >= 300) throw new Error(`POST node ${name} -> HTTP ${r.status}: ${JSON.stringify(r.body).slice(0, 400)}`);
  const merge = 'application/merge-patch+json';
  await kubeCall(a.kube, a.token, 'PATCH', `/api/v1/nodes/${name}`, { spec: { taints: null } }, merge);
  const t = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const res = { cpu: '8', memory: '32Gi', pods: '110', 'ephemeral-storage': '100Gi' };
  const cond = (type: string, status: string, reason: string) => ({ type, status, reason, message: 'flyte-doctor bench node', lastHeartbeatTime: t, lastTransitionTime: t });
  await kubeCall(a.kube, a.token, 'PATCH', `/api/v1/nodes/${name}/status`, {
    status: {
      capacity: res, allocatable: res,
      conditions: [cond('Ready', 'True', 'KubeletReady'), cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory'), cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure'), cond('PIDPressure', 'False', 'KubeletHasSufficientPID')],
    },
  }, merge);
}

/** Deletes the loaded pods (deletecollection by label, per namespace) and namespaces (by label). */
export async function clean(dir: string): Promise<void> {
  const a = api(readState(dir));
  const nss = await listNames(a, '/api/v1/namespaces');
  const q = `labelSelector=${encodeURIComponent(SELECTOR)}`;
  await pool(nss, 8, async ({ name }) => {
    // bound pods wait for a kubelet to confirm termination: there is none, so no grace period
    await kubeCall(a.kube, a.token, 'DELETE', `/api/v1/namespaces/${name}/pods?${q}&gracePeriodSeconds=0`, undefined, undefined, (s) => s < 300 || s === 404);
  });
  await kubeCall(a.kube, a.token, 'DELETE', `/api/v1/nodes?${q}`, undefined, undefined, (s) => s < 300 || s === 404);
  // Without kube-controller-manager a deleted namespace stays Terminating; `down` removes the whole private instance.
  await pool(nss, 8, async ({ name }) => {
    await kubeCall(a.kube, a.token, 'DELETE', `/api/v1/namespaces/${name}`, undefined, undefined, (s) => s < 300 || s === 404);
  });
  log(`clean: deleted the loaded pods of ${nss.length} namespaces, the loaded nodes and the namespaces`);
}

export async function down(dir: string): Promise<void> {
  await stopAll(dir, log);
  rmSync(dir, { recursive: true, force: true });
  log(`private API server stopped, ${dir} removed`);
}

function log(m: string): void { process.stderr.write(`[load-kube] ${m}\n`); }

async function main(argv: string[]): Promise<void> {
  const [cmd, dirArg, sizeArg] = argv;
  if (!dirArg) throw new Error('usage: tsx bench/load-kube.ts up|load|count|clean|down <dir> [size]');
  const dir = resolve(dirArg);
  if (cmd === 'up') { const p = await up(dir); process.stdout.write(`${p.kube.kubeconfig}\n`); }
  else if (cmd === 'load') {
    const size = Number(sizeArg);
    if (!Number.isInteger(size) || size < 0) throw new Error(`load: size must be a whole number, got ${sizeArg}`);
    await load(dir, size);
  } else if (cmd === 'count') process.stdout.write(`${JSON.stringify(await count(dir))}\n`);
  else if (cmd === 'clean') await clean(dir);
  else if (cmd === 'down') await down(dir);
  else throw new Error(`unknown command ${cmd}`);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`load-kube: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
