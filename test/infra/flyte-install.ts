// Loads a "healthy Flyte install" into the test bed's kube-apiserver from the REAL rendered chart
// manifests (../shared/fixtures/flyte-rendered beside the repo, or $FLYTE_DOCTOR_FIXTURES/flyte-rendered),
// retargeted to a namespace (default `flyte`, the shared install other tests rely on). There is no
// kubelet and no controller-manager, so what controllers would do is written directly: Deployment
// status (ready), one Running+Ready Pod per Deployment (init containers completed), Endpoints and
// EndpointSlices with ready addresses for every Service, the MutatingWebhookConfiguration the
// binary/propeller creates at runtime (facts §A4, with a real CA certificate as caBundle), the
// Ingresses' load-balancer address, and the project-domain namespaces.
//
// An install into another namespace (`{ namespace: 'fd-k8s-x' }`) is a private copy for a test that
// breaks it: flyte-binary objects are renamed after its release (`<release>-flyte-binary`, so its
// webhook configuration is its own), cluster-scoped objects shared with the `flyte` install (the CRD,
// ClusterRoles) are never changed or deleted, and removeInstall() deletes the namespace for good.
// The break helpers (setPodState, setDeploymentState, podEvent, makeTerminating...) write object
// states the way the kubelet, the scheduler and the controllers would.
//
//   tsx test/infra/flyte-install.ts install flyte-binary|flyte-core [namespace]
//   tsx test/infra/flyte-install.ts uninstall flyte-binary|flyte-core [namespace]
//   tsx test/infra/flyte-install.ts unready <deployment> ImagePullBackOff|CrashLoopBackOff [namespace]
//   tsx test/infra/flyte-install.ts ready <deployment> [namespace]
//   tsx test/infra/flyte-install.ts remove-crd
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { getTestbed, type Testbed } from '../harness/testbed.js';
import { REPO_ROOT } from './common.js';
import { createIfMissing, ensureIngressObjects, kubeCall, kubeRequest, NODE_NAME, type KubeTarget } from './kube.js';

export type Chart = 'flyte-binary' | 'flyte-core';
export type UnreadyReason = 'ImagePullBackOff' | 'CrashLoopBackOff';
type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown }; [k: string]: any };

export const CRD_NAME = 'flyteworkflows.flyte.lyft.com';
export const PROJECT_NAMESPACES = ['flytesnacks-development', 'flytesnacks-staging', 'flytesnacks-production'];
/** The shared install's namespace. */
export const SHARED_NS = 'flyte';
/** Release of the rendered manifests (flyte-binary objects are named `flyte-flyte-binary`). */
const RENDER_RELEASE = 'flyte';

export interface InstallOptions {
  /** Namespace (default `flyte`: the shared install; anything else is a private copy). */
  namespace?: string;
  /** flyte-binary release name (default `flyte` in `flyte`, `fdrel` elsewhere): objects are named `<release>-flyte-binary`. */
  release?: string;
  /** The database the wait-for-db init container waits for (default: the render's). */
  db?: { host: string; port: number; user?: string };
  /**
   * Do not register the (cluster-scoped) MutatingWebhookConfiguration: flyte-core names it
   * `flyte-pod-webhook` whatever the namespace, so private flyte-core installs whose test does not
   * check the webhook leave it to the one that does (parallel test files would overwrite each other).
   */
  noWebhook?: boolean;
}

export interface Install {
  namespace: string;
  chart: Chart;
  release: string;
  /** flyte-binary fullname (the Deployment), or undefined for flyte-core. */
  fullname?: string;
  deployments: string[];
  services: string[];
  webhook: string;
}

const nsOf = (o?: InstallOptions | string) => (typeof o === 'string' ? o : o?.namespace) ?? SHARED_NS;
const releaseOf = (o: InstallOptions | undefined) => o?.release ?? (nsOf(o) === SHARED_NS ? RENDER_RELEASE : 'fdrel');
const binaryFullname = (release: string) => (release.includes('flyte-binary') ? release : `${release}-flyte-binary`);

export function fixturesDir(): string {
  const candidates = [process.env.FLYTE_DOCTOR_FIXTURES, resolve(REPO_ROOT, '..', 'shared', 'fixtures')].filter((x): x is string => !!x);
  const found = candidates.find((d) => existsSync(join(d, 'flyte-rendered')));
  if (!found) throw new Error(`rendered Flyte manifests not found (looked in ${candidates.join(', ')}); set FLYTE_DOCTOR_FIXTURES`);
  return join(found, 'flyte-rendered');
}

function load(file: string): Obj[] {
  return parseAllDocuments(readFileSync(join(fixturesDir(), file), 'utf8')).map((d) => d.toJS() as Obj).filter((o) => o && o.kind);
}

/**
 * The chart's objects (in apply order), namespaced ones retargeted to the namespace. flyte-binary's CRD
 * comes from flyte-core's render (same CRD; the sandbox-binary render has no crds/). For another
 * release, flyte-binary's names and instance labels are rewritten; outside `flyte` the cluster-scoped
 * RBAC objects (shared names) are left out.
 */
export function chartObjects(chart: Chart, o: InstallOptions = {}): Obj[] {
  const ns = nsOf(o), release = releaseOf(o);
  const core = load('eks__flyte_helm_generated.yaml');
  const crd = core.filter((x) => x.kind === 'CustomResourceDefinition');
  const objs = chart === 'flyte-core' ? core : [...crd, ...load('sandbox-binary__flyte_sandbox_binary_helm_generated.yaml')];
  const order = ['CustomResourceDefinition', 'ServiceAccount', 'Secret', 'ConfigMap', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'Service', 'Deployment', 'Ingress'];
  const shared = ns === SHARED_NS;
  return objs
    .filter((x) => order.includes(x.kind))
    .filter((x) => shared || !['ClusterRole', 'ClusterRoleBinding'].includes(x.kind))
    .map((x) => {
      let y: Obj = x;
      if (chart === 'flyte-binary' && release !== RENDER_RELEASE && x.kind !== 'CustomResourceDefinition') {
        y = JSON.parse(JSON.stringify(x).split(binaryFullname(RENDER_RELEASE)).join(binaryFullname(release)).split('"app.kubernetes.io/instance":"flyte"').join(`"app.kubernetes.io/instance":${JSON.stringify(release)}`)) as Obj;
      }
      const { namespace: _ns, ...meta } = y.metadata;
      return { ...y, metadata: isNamespaced(y.kind) ? { ...meta, name: y.metadata.name, namespace: ns } : { ...meta, name: y.metadata.name } };
    })
    .map((x) => (x.kind === 'Deployment' && o.db ? withDb(x, o.db) : x))
    .sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
}

/** The wait-for-db init container pointed at `db` (as the chart renders it from configuration.database). */
function withDb(d: Obj, db: NonNullable<InstallOptions['db']>): Obj {
  const c = JSON.parse(JSON.stringify(d)) as Obj;
  for (const ic of c.spec.template.spec.initContainers ?? []) {
    if (ic.name === 'wait-for-db') ic.args = [`until pg_isready \\\n  -h ${db.host} \\\n  -p ${db.port} \\\n  -U ${db.user ?? 'postgres'}\ndo\n  echo waiting for database\n  sleep 0.1\ndone\n`];
  }
  return c;
}

/**
 * flyte-binary's config as the chart renders it from the test bed's values.yaml (the sandbox render
 * carries the chart's example values): the database, the MinIO storage and their secrets, so the
 * live config of the shared install is what `verify -f .testbed/values.yaml` expects (flyte.config.live).
 * `o.db` (a scenario's database) is the database the config names too.
 */
function withTestbedConfig(x: Obj, tb: Testbed, o: InstallOptions): Obj {
  if (!tb.postgres || !tb.minio) return x; // a private API server without the bed's servers: the render as is
  const fn = binaryFullname(releaseOf(o));
  const db = o.db ?? { host: '127.0.0.1', port: tb.postgres.port, user: tb.postgres.owner.user };
  const m = tb.minio;
  if (x.kind === 'ConfigMap' && x.metadata.name === `${fn}-config`) {
    return { ...x, data: {
      ...x.data,
      '002-database.yaml': `database:\n  postgres:\n    username: ${db.user ?? tb.postgres.owner.user}\n    host: ${db.host}\n    port: ${db.port}\n    dbname: ${tb.postgres.databases.flyteadmin}\n    options: "sslmode=require"\n`,
      '003-storage.yaml': `propeller:\n  rawoutput-prefix: s3://${m.buckets.userdata}/data\nstorage:\n  type: stow\n  stow:\n    kind: s3\n    config:\n      region: ${m.region}\n      disable_ssl: true\n      v2_signing: false\n      endpoint: ${m.endpoint}\n      auth_type: accesskey\n  container: ${m.buckets.metadata}\n`,
    } };
  }
  if (x.kind === 'Secret' && x.metadata.name === `${fn}-config-secret`) {
    return { ...x, stringData: {
      '012-database-secrets.yaml': `database:\n  postgres:\n    password: ${JSON.stringify(tb.postgres.owner.password)}\n`,
      '013-storage-secrets.yaml': `storage:\n  stow:\n    config:\n      access_key_id: ${JSON.stringify(m.root.accessKey)}\n      secret_key: ${JSON.stringify(m.root.secretKey)}\n`,
    } };
  }
  return x;
}

/** Name of the MutatingWebhookConfiguration (facts §A4): flyte-binary `<fullname>-webhook`, flyte-core `flyte-pod-webhook`. */
export function webhookName(chart: Chart, o: InstallOptions = {}): string {
  return chart === 'flyte-core' ? 'flyte-pod-webhook' : `${binaryFullname(releaseOf(o))}-webhook`;
}

/** What an install is made of (names only). */
export function describeInstall(chart: Chart, o: InstallOptions = {}): Install {
  const objs = chartObjects(chart, o);
  const release = releaseOf(o);
  return {
    namespace: nsOf(o), chart, release, ...(chart === 'flyte-binary' ? { fullname: binaryFullname(release) } : {}),
    deployments: objs.filter((x) => x.kind === 'Deployment').map((x) => x.metadata.name),
    services: objs.filter((x) => x.kind === 'Service').map((x) => x.metadata.name),
    webhook: webhookName(chart, o),
  };
}

// ---------- REST paths ----------
const KINDS: Record<string, { group: string; plural: string; namespaced: boolean }> = {
  Namespace: { group: '', plural: 'namespaces', namespaced: false },
  Node: { group: '', plural: 'nodes', namespaced: false },
  ServiceAccount: { group: '', plural: 'serviceaccounts', namespaced: true },
  Secret: { group: '', plural: 'secrets', namespaced: true },
  ConfigMap: { group: '', plural: 'configmaps', namespaced: true },
  Service: { group: '', plural: 'services', namespaced: true },
  Endpoints: { group: '', plural: 'endpoints', namespaced: true },
  Pod: { group: '', plural: 'pods', namespaced: true },
  Event: { group: '', plural: 'events', namespaced: true },
  Deployment: { group: 'apps', plural: 'deployments', namespaced: true },
  ReplicaSet: { group: 'apps', plural: 'replicasets', namespaced: true },
  ClusterRole: { group: 'rbac.authorization.k8s.io', plural: 'clusterroles', namespaced: false },
  ClusterRoleBinding: { group: 'rbac.authorization.k8s.io', plural: 'clusterrolebindings', namespaced: false },
  Role: { group: 'rbac.authorization.k8s.io', plural: 'roles', namespaced: true },
  RoleBinding: { group: 'rbac.authorization.k8s.io', plural: 'rolebindings', namespaced: true },
  CustomResourceDefinition: { group: 'apiextensions.k8s.io', plural: 'customresourcedefinitions', namespaced: false },
  Ingress: { group: 'networking.k8s.io', plural: 'ingresses', namespaced: true },
  EndpointSlice: { group: 'discovery.k8s.io', plural: 'endpointslices', namespaced: true },
  MutatingWebhookConfiguration: { group: 'admissionregistration.k8s.io', plural: 'mutatingwebhookconfigurations', namespaced: false },
};
function isNamespaced(kind: string): boolean {
  const k = KINDS[kind];
  if (!k) throw new Error(`flyte-install: unknown kind ${kind}`);
  return k.namespaced;
}
function collection(kind: string, ns = SHARED_NS): string {
  const k = KINDS[kind]!;
  const base = k.group ? `/apis/${k.group}/v1` : '/api/v1';
  return k.namespaced ? `${base}/namespaces/${ns}/${k.plural}` : `${base}/${k.plural}`;
}
const itemPath = (kind: string, name: string, ns = SHARED_NS) => `${collection(kind, ns)}/${name}`;

interface Api { kube: KubeTarget; token: string }
function api(tb: Testbed): Api { return { kube: { server: tb.kube.server, caFile: tb.kube.caFile }, token: tb.kube.tokens.admin }; }
const MERGE = 'application/merge-patch+json';
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

// ---------- install ----------
export async function installFlyte(tb: Testbed, chart: Chart, o: InstallOptions = {}): Promise<Install> {
  const a = api(tb);
  const ns = nsOf(o);
  for (const n of [ns, ...PROJECT_NAMESPACES]) await createIfMissing(a.kube, a.token, collection('Namespace'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } });
  // What a real install has around the chart: the ingress controller's IngressClass and the Ingress TLS Secret.
  // (A private API server of its own, tb = { kube }, has no PKI directory and no servers to point at.)
  if (tb.dir) {
    const pki = (n: string) => ({ cert: join(tb.dir, 'pki', `${n}.crt`), key: join(tb.dir, 'pki', `${n}.key`) });
    await ensureIngressObjects(a.kube, a.token, ns, existsSync(pki('flyte-tls').cert) ? pki('flyte-tls') : pki('nginx'));
  }
  const objs = chart === 'flyte-binary' ? chartObjects(chart, o).map((x) => withTestbedConfig(x, tb, o)) : chartObjects(chart, o);
  const fn = binaryFullname(releaseOf(o));
  const config = new Set(chart === 'flyte-binary' ? [`ConfigMap/${fn}-config`, `Secret/${fn}-config-secret`] : []);
  let configChanged = false;
  for (const x of objs) {
    const clean: Obj = { ...x, metadata: { ...x.metadata } };
    delete clean.status;
    // The config the pods run with is rewritten even on a running bed (flyte.config.live compares it with the values).
    if (config.has(`${x.kind}/${x.metadata.name}`)) configChanged = (await ensureContent(a, ns, clean)) || configChanged;
    else await createIfMissing(a.kube, a.token, collection(x.kind, ns), clean);
    if (x.kind === 'CustomResourceDefinition') await waitEstablished(a, x.metadata.name);
  }
  const deployments = objs.filter((x) => x.kind === 'Deployment');
  const services = objs.filter((x) => x.kind === 'Service');
  const podIps = new Map<string, string>();
  const third = ns === SHARED_NS ? 0 : 1 + (hash(ns) % 200);
  let ip = 10;
  for (const d of deployments) {
    const podIp = `10.244.${third}.${ip++}`;
    podIps.set(d.metadata.name, podIp);
    // A pod older than a config change would run the old config: recreate it, as a rollout would.
    if (configChanged) await kubeCall(a.kube, a.token, 'DELETE', `${itemPath('Pod', podName(d.metadata.name), ns)}?gracePeriodSeconds=0`, undefined, undefined, (st) => st < 300 || st === 404);
    await createPod(a, ns, d, podIp);
    await setDeploymentReady(a, ns, d.metadata.name, true);
  }
  for (const s of services) await writeEndpoints(a, ns, s, deployments, podIps, true);
  if (ns !== SHARED_NS) await bindPrivateRbac(a, chart, o);
  if (!o.noWebhook) await createWebhookConfig(tb, a, chart, o);
  await publishIngresses(a, chart, o, objs, tb.nginx?.host ?? 'flyte.test');
  return describeInstall(chart, o);
}

/** Label of the cluster-scoped RBAC a private install gets (removeInstall deletes by it). */
const INSTALL_LABEL = 'flyte-doctor.test/install';

/**
 * A private install's ServiceAccounts get the rights a real install gives them (flyte.rbac.runtime
 * reviews them). flyte-core: its ClusterRoles and ClusterRoleBindings as the chart renders them for
 * the namespace (`<ns>-flyteadmin`, `<ns>-flytepropeller`, `<ns>-flyte-pod-webhook`: unique per
 * namespace). flyte-binary names them after the release, which private installs share (`fdrel`): its
 * ServiceAccount is bound to the shared install's ClusterRole (never changed) by a binding of this
 * namespace's own, `fd-install-<ns>`. All labelled; removeInstall() deletes them.
 */
async function bindPrivateRbac(a: Api, chart: Chart, o: InstallOptions): Promise<void> {
  const ns = nsOf(o);
  const labels = { [INSTALL_LABEL]: ns };
  const rendered = chartObjects(chart, { namespace: SHARED_NS }).filter((x) => x.kind === 'ClusterRole' || x.kind === 'ClusterRoleBinding');
  if (chart === 'flyte-binary') {
    const b = rendered.find((x) => x.kind === 'ClusterRoleBinding')!;
    await createIfMissing(a.kube, a.token, collection('ClusterRoleBinding'), {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: `fd-install-${ns}`, labels },
      roleRef: b.roleRef, subjects: [{ kind: 'ServiceAccount', name: binaryFullname(releaseOf(o)), namespace: ns }],
    });
    return;
  }
  const rename = (n: string) => n.replace(/^flyte-/, `${ns}-`);
  for (const x of rendered) {
    const { namespace: _n, ...meta } = x.metadata;
    await createIfMissing(a.kube, a.token, collection(x.kind), {
      ...x, metadata: { ...meta, name: rename(x.metadata.name), labels: { ...(x.metadata.labels ?? {}), ...labels } },
      ...(x.roleRef ? { roleRef: { ...x.roleRef, name: rename(x.roleRef.name) } } : {}),
      ...(x.subjects ? { subjects: x.subjects.map((s: { namespace?: string }) => ({ ...s, namespace: ns })) } : {}),
    });
  }
}

function hash(s: string): number { let h = 0; for (const c of s) h = (h * 31 + c.charCodeAt(0)) >>> 0; return h; }

/** flyte-binary's ingresses as the test bed's values render them (ingress.create: true, host = the nginx host). */
function binaryIngresses(host: string, o: InstallOptions): Obj[] {
  const fn = binaryFullname(releaseOf(o));
  return [['http', 8088], ['grpc', 8089]].map(([suffix, port]) => ({
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: `${fn}-${suffix}`, namespace: nsOf(o) },
    spec: { ingressClassName: 'nginx', tls: [{ hosts: [host], secretName: 'flyte-tls' }], rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: `${fn}-${suffix}`, port: { number: port } } } }] } }] },
  }));
}

/** Every Ingress gets the load-balancer address an ingress controller would write: 127.0.0.1, where the test bed's nginx listens. */
async function publishIngresses(a: Api, chart: Chart, o: InstallOptions, objs: Obj[], host: string): Promise<void> {
  const ns = nsOf(o);
  const ingresses = chart === 'flyte-binary' ? binaryIngresses(host, o) : objs.filter((x) => x.kind === 'Ingress');
  for (const ing of ingresses) {
    await createIfMissing(a.kube, a.token, collection('Ingress', ns), ing);
    await setIngressAddresses({ a }, ns, ing.metadata.name, [{ ip: '127.0.0.1' }]);
  }
}

/** Writes an Ingress's status.loadBalancer as its controller would. */
export async function setIngressAddresses(tb: Testbed | { a: Api }, ns: string, name: string, lb: { ip?: string; hostname?: string }[]): Promise<void> {
  const a = 'a' in tb ? tb.a : api(tb);
  const cur = await kubeCall<Obj>(a.kube, a.token, 'GET', itemPath('Ingress', name, ns));
  await kubeCall(a.kube, a.token, 'PUT', `${itemPath('Ingress', name, ns)}/status`, { ...cur, status: { loadBalancer: { ingress: lb } } });
}

async function waitEstablished(a: Api, name: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const crd = await kubeCall<Obj>(a.kube, a.token, 'GET', itemPath('CustomResourceDefinition', name));
    if ((crd.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Established' && c.status === 'True')) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`CRD ${name} did not become Established within 30 s`);
}

export function podName(deployment: string): string { return `${deployment}-testbed-0`; }

async function createPod(a: Api, ns: string, d: Obj, podIp: string): Promise<void> {
  const tpl = d.spec.template;
  const spec = { ...tpl.spec, nodeName: NODE_NAME };
  await createIfMissing(a.kube, a.token, collection('Pod', ns), {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: podName(d.metadata.name), namespace: ns, labels: tpl.metadata?.labels ?? {}, annotations: { 'flyte-doctor.test/fake': 'no kubelet; status written by test/infra/flyte-install.ts' } },
    spec,
  });
  await writePodStatus(a, ns, d, podIp, healthyState());
}

// ---------- pod states, written as the kubelet would ----------
export interface ContainerState {
  running?: boolean;
  waiting?: { reason: string; message?: string };
  terminated?: { reason?: string; exitCode: number; message?: string; signal?: number };
  lastTerminated?: { reason?: string; exitCode: number; message?: string };
  restarts?: number;
  /** Default: running && no waiting/terminated. */
  ready?: boolean;
}
export interface PodState {
  /** Pod phase (default Running when every container runs, else Pending). */
  phase?: string;
  /** Pod-level reason/message (Evicted, NodeLost...). */
  reason?: string;
  message?: string;
  /** PodScheduled condition False with this reason/message (Unschedulable). */
  unscheduled?: { reason: string; message: string };
  /** Init containers by name (default: each Completed). */
  init?: Record<string, ContainerState>;
  /** Containers by name; `*` for every one (default: running and ready). */
  containers?: Record<string, ContainerState>;
  /** Ready condition override. */
  ready?: boolean;
  /** Events on the pod, as the kubelet/scheduler write them. */
  events?: { reason: string; message: string; type?: 'Warning' | 'Normal'; count?: number }[];
}

function healthyState(): PodState { return {}; }

async function writePodStatus(a: Api, ns: string, d: Obj, podIp: string, state: PodState): Promise<void> {
  const t = now();
  const tplSpec = d.spec.template.spec;
  const containers: { name: string; image: string }[] = tplSpec.containers;
  const inits: { name: string; image: string }[] = tplSpec.initContainers ?? [];
  const render = (c: { name: string; image: string }, s: ContainerState | undefined, init: boolean) => {
    const st = s ?? (init ? { terminated: { reason: 'Completed', exitCode: 0 } } : { running: true });
    const ready = st.ready ?? (init ? st.terminated?.exitCode === 0 : !!st.running && !st.waiting && !st.terminated);
    return {
      name: c.name, image: c.image, imageID: '', ready, started: !!st.running,
      restartCount: st.restarts ?? 0,
      state: st.waiting ? { waiting: st.waiting } : st.terminated ? { terminated: { ...st.terminated, startedAt: t, finishedAt: t } } : { running: { startedAt: t } },
      ...(st.lastTerminated ? { lastState: { terminated: { ...st.lastTerminated, startedAt: t, finishedAt: t } } } : {}),
    };
  };
  const initStatuses = inits.map((c) => render(c, state.init?.[c.name], true));
  const containerStatuses = containers.map((c) => render(c, state.containers?.[c.name] ?? state.containers?.['*'], false));
  const initDone = initStatuses.every((s) => s.state.terminated && s.state.terminated.exitCode === 0);
  const allReady = state.ready ?? (state.phase !== 'Failed' && state.phase !== 'Unknown' && initDone && containerStatuses.every((s) => s.ready));
  const scheduled = !state.unscheduled;
  const cond = (type: string, ok: boolean, reason?: string, message?: string) => ({ type, status: ok ? 'True' : 'False', lastTransitionTime: t, ...(ok ? {} : { reason: reason ?? 'ContainersNotReady', message: message ?? `containers with unready status: [${containers.map((c) => c.name).join(' ')}]` }) });
  const phase = state.phase ?? (scheduled && initDone && containerStatuses.every((s) => s.state.running) ? 'Running' : 'Pending');
  const status = {
    phase,
    ...(state.reason ? { reason: state.reason } : {}), ...(state.message ? { message: state.message } : {}),
    ...(scheduled ? { podIP: podIp, podIPs: [{ ip: podIp }], hostIP: '10.1.0.10' } : {}), startTime: t,
    conditions: scheduled
      ? [cond('PodScheduled', true), cond('Initialized', initDone, 'ContainersNotInitialized', `containers with incomplete status: [${inits.map((c) => c.name).join(' ')}]`), cond('ContainersReady', allReady), cond('Ready', allReady)]
      : [cond('PodScheduled', false, state.unscheduled!.reason, state.unscheduled!.message)],
    ...(scheduled ? { initContainerStatuses: initStatuses, containerStatuses } : {}),
  };
  // A merge patch would merge lists by replacement anyway; null first so stale fields go.
  await kubeCall(a.kube, a.token, 'PATCH', `${itemPath('Pod', podName(d.metadata.name), ns)}/status`, { status: { reason: null, message: null, podIP: null, podIPs: null, hostIP: null, initContainerStatuses: null, containerStatuses: null } }, MERGE);
  await kubeCall(a.kube, a.token, 'PATCH', `${itemPath('Pod', podName(d.metadata.name), ns)}/status`, { status }, MERGE);
  for (const e of state.events ?? []) await podEventRaw(a, ns, { kind: 'Pod', name: podName(d.metadata.name) }, e.reason, e.message, e.type ?? 'Warning', e.count);
}

/** Writes an event as the kubelet, scheduler or a controller would. */
async function podEventRaw(a: Api, ns: string, involved: { kind: string; name: string; fieldPath?: string }, reason: string, message: string, type: string, count = 1): Promise<void> {
  const t = now();
  const name = `${involved.name}.${Date.now().toString(16)}${Math.floor(Math.random() * 1e6).toString(16)}`;
  await kubeCall(a.kube, a.token, 'POST', collection('Event', ns), {
    apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: ns },
    involvedObject: { kind: involved.kind, name: involved.name, namespace: ns, apiVersion: involved.kind === 'Pod' ? 'v1' : 'apps/v1', ...(involved.fieldPath ? { fieldPath: involved.fieldPath } : {}) },
    reason, message, type, count, firstTimestamp: t, lastTimestamp: t, source: { component: reason === 'FailedScheduling' ? 'default-scheduler' : involved.kind === 'Pod' ? 'kubelet' : 'replicaset-controller' },
    reportingComponent: '', reportingInstance: '',
  });
}

export async function podEvent(tb: Testbed, ns: string, involved: { kind: string; name: string }, reason: string, message: string, type: 'Warning' | 'Normal' = 'Warning'): Promise<void> {
  await podEventRaw(api(tb), ns, involved, reason, message, type);
}

/**
 * Puts one Deployment's pod into `state` (as the kubelet would), the Deployment unavailable (as its
 * controller would, unless the pod is ready) and every Service's endpoints in line.
 */
export async function setPodState(tb: Testbed, deploymentName: string, state: PodState, o: InstallOptions | string = {}): Promise<void> {
  const a = api(tb);
  const ns = nsOf(o);
  const d = await kubeCall<Obj>(a.kube, a.token, 'GET', itemPath('Deployment', deploymentName, ns));
  await deleteEventsOf(a, ns, podName(deploymentName));
  await writePodStatus(a, ns, d, await podIpOf(a, ns, deploymentName), state);
  const p = await kubeCall<Obj>(a.kube, a.token, 'GET', itemPath('Pod', podName(deploymentName), ns));
  const ready = (p.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
  await setDeploymentReady(a, ns, deploymentName, ready);
  await rewriteAllEndpoints(a, ns, await unreadyDeployments(a, ns));
}

async function deleteEventsOf(a: Api, ns: string, name: string): Promise<void> {
  const evs = await kubeCall<{ items: Obj[] }>(a.kube, a.token, 'GET', `${collection('Event', ns)}?fieldSelector=involvedObject.name=${name}`);
  for (const e of evs.items) await kubeCall(a.kube, a.token, 'DELETE', itemPath('Event', e.metadata.name, ns), undefined, undefined, (s) => s < 300 || s === 404);
}

/** Writes a Deployment's status (conditions, replicas) as its controller would. */
export async function setDeploymentStatus(tb: Testbed, name: string, status: Record<string, unknown>, o: InstallOptions | string = {}): Promise<void> {
  const a = api(tb);
  const ns = nsOf(o);
  const d = await kubeCall<Obj>(a.kube, a.token, 'GET', itemPath('Deployment', name, ns));
  await kubeCall(a.kube, a.token, 'PATCH', `${itemPath('Deployment', name, ns)}/status`, { status: { observedGeneration: d.metadata.generation, ...status } }, MERGE);
}

/** Scales a Deployment (spec.replicas): its pod goes (or comes back), the status and endpoints follow, as the controllers would. */
export async function scaleDeployment(tb: Testbed, name: string, replicas: number, o: InstallOptions | string = {}): Promise<void> {
  const a = api(tb);
  const ns = nsOf(o);
  await kubeCall(a.kube, a.token, 'PATCH', itemPath('Deployment', name, ns), { spec: { replicas } }, MERGE);
  const d = await kubeCall<Obj>(a.kube, a.token, 'GET', itemPath('Deployment', name, ns));
  if (replicas === 0) await kubeCall(a.kube, a.token, 'DELETE', `${itemPath('Pod', podName(name), ns)}?gracePeriodSeconds=0`, undefined, undefined, (s) => s < 300 || s === 404);
  else if ((await kubeRequest(a.kube, a.token, 'GET', itemPath('Pod', podName(name), ns))).status === 404) await createPod(a, ns, d, `10.244.250.${hash(name) % 250}`);
  await setDeploymentReady(a, ns, name, replicas > 0);
  await rewriteAllEndpoints(a, ns, await unreadyDeployments(a, ns));
}

/** A merge patch on any object of the install's namespace. */
export async function patchObject(tb: Testbed, kind: string, name: string, patch: unknown, o: InstallOptions | string = {}): Promise<void> {
  const a = api(tb);
  await kubeCall(a.kube, a.token, 'PATCH', itemPath(kind, name, isNamespaced(kind) ? nsOf(o) : undefined), patch, MERGE);
}

/** Deletes one object of the install's namespace (a cluster-scoped one only when it is not shared). */
export async function deleteObject(tb: Testbed, kind: string, name: string, o: InstallOptions | string = {}): Promise<void> {
  const a = api(tb);
  if (!isNamespaced(kind) && ['CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding'].includes(kind)) throw new Error(`flyte-install: refusing to delete the shared ${kind} ${name}`);
  await kubeCall(a.kube, a.token, 'DELETE', `${itemPath(kind, name, isNamespaced(kind) ? nsOf(o) : undefined)}${kind === 'Pod' ? '?gracePeriodSeconds=0' : ''}`, undefined, undefined, (s) => s < 300 || s === 404);
}

/** Rewrites every Service's Endpoints/EndpointSlices from the current pods (as the endpoints controllers would). */
export async function syncEndpoints(tb: Testbed, o: InstallOptions | string = {}): Promise<void> {
  const a = api(tb);
  const ns = nsOf(o);
  await rewriteAllEndpoints(a, ns, await unreadyDeployments(a, ns));
}

async function setDeploymentReady(a: Api, ns: string, name: string, ready: boolean): Promise<void> {
  const d = await kubeCall<Obj>(a.kube, a.token, 'GET', itemPath('Deployment', name, ns));
  const replicas: number = d.spec.replicas ?? 1;
  const t = now();
  const status = ready
    ? {
      observedGeneration: d.metadata.generation, replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas, unavailableReplicas: null,
      conditions: [
        { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: t, lastTransitionTime: t },
        { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${name}-testbed" has successfully progressed.`, lastUpdateTime: t, lastTransitionTime: t },
      ],
    }
    : {
      observedGeneration: d.metadata.generation, replicas, updatedReplicas: replicas, readyReplicas: null, availableReplicas: null, unavailableReplicas: replicas || null,
      conditions: [
        { type: 'Available', status: replicas === 0 ? 'True' : 'False', reason: replicas === 0 ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable', message: replicas === 0 ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.', lastUpdateTime: t, lastTransitionTime: t },
        { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${name}-testbed" is progressing.`, lastUpdateTime: t, lastTransitionTime: t },
      ],
    };
  await kubeCall(a.kube, a.token, 'PATCH', `${itemPath('Deployment', name, ns)}/status`, { status }, MERGE);
}

function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** Endpoints + EndpointSlice for a Service, addresses = the pods of the Deployments it selects. */
async function writeEndpoints(a: Api, ns: string, svc: Obj, deployments: Obj[], podIps: Map<string, string>, readyFor: boolean | Set<string>): Promise<void> {
  const backing = deployments.filter((d) => selects(svc.spec.selector, d.spec.template.metadata?.labels) && (d.spec.replicas ?? 1) > 0);
  const isReady = (name: string) => (typeof readyFor === 'boolean' ? readyFor : !readyFor.has(name));
  const containerPorts = backing.flatMap((d) => d.spec.template.spec.containers.flatMap((c: { ports?: { name?: string; containerPort: number }[] }) => c.ports ?? []));
  const ports = (svc.spec.ports as { name?: string; port: number; targetPort?: number | string; protocol?: string }[]).map((p) => {
    const target = typeof p.targetPort === 'string' ? containerPorts.find((c) => c.name === p.targetPort)?.containerPort ?? p.port : p.targetPort ?? p.port;
    return { ...(p.name ? { name: p.name } : {}), port: target, protocol: p.protocol ?? 'TCP' };
  });
  const addr = (d: Obj) => ({ ip: podIps.get(d.metadata.name)!, nodeName: NODE_NAME, targetRef: { kind: 'Pod', namespace: ns, name: podName(d.metadata.name) } });
  const readyAddrs = backing.filter((d) => isReady(d.metadata.name)).map(addr);
  const notReady = backing.filter((d) => !isReady(d.metadata.name)).map(addr);
  const name = svc.metadata.name;
  const endpoints = {
    apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace: ns, labels: svc.metadata.labels ?? {} },
    subsets: backing.length ? [{ ...(readyAddrs.length ? { addresses: readyAddrs } : {}), ...(notReady.length ? { notReadyAddresses: notReady } : {}), ports }] : [],
  };
  await upsert(a, ns, 'Endpoints', name, endpoints);
  const slice = {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: `${name}-testbed`, namespace: ns, labels: { ...(svc.metadata.labels ?? {}), 'kubernetes.io/service-name': name, 'endpointslice.kubernetes.io/managed-by': 'flyte-doctor-testbed' } },
    addressType: 'IPv4',
    endpoints: backing.map((d) => {
      const ok = isReady(d.metadata.name);
      return { addresses: [podIps.get(d.metadata.name)!], conditions: { ready: ok, serving: ok, terminating: false }, nodeName: NODE_NAME, targetRef: { kind: 'Pod', namespace: ns, name: podName(d.metadata.name) } };
    }),
    ports,
  };
  await upsert(a, ns, 'EndpointSlice', `${name}-testbed`, slice);
}

/** Creates the object, or replaces it when its data differ (a Secret's stringData compared decoded); true when written. */
async function ensureContent(a: Api, ns: string, obj: Obj): Promise<boolean> {
  const cur = await kubeRequest<Obj>(a.kube, a.token, 'GET', itemPath(obj.kind, obj.metadata.name, ns));
  if (cur.status === 200) {
    const want: Record<string, string> = obj.kind === 'Secret' ? { ...(obj.stringData ?? {}) } : { ...(obj.data ?? {}) };
    const have: Record<string, string> = obj.kind === 'Secret'
      ? Object.fromEntries(Object.entries((cur.body.data ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]))
      : { ...(cur.body.data ?? {}) };
    if (JSON.stringify(Object.entries(want).sort()) === JSON.stringify(Object.entries(have).sort())) return false;
  }
  await upsert(a, ns, obj.kind, obj.metadata.name, obj);
  return true;
}

async function upsert(a: Api, ns: string, kind: string, name: string, obj: Obj): Promise<void> {
  const r = await kubeRequest(a.kube, a.token, 'POST', collection(kind, ns), obj);
  if (r.status === 409) {
    const cur = await kubeCall<Obj>(a.kube, a.token, 'GET', itemPath(kind, name, ns));
    await kubeCall(a.kube, a.token, 'PUT', itemPath(kind, name, ns), { ...obj, metadata: { ...obj.metadata, resourceVersion: cur.metadata.resourceVersion } });
  } else if (r.status < 200 || r.status >= 300) {
    throw new Error(`POST ${kind} ${name} -> HTTP ${r.status}: ${JSON.stringify(r.body).slice(0, 600)}`);
  }
}

/** The webhook's registration, with the test CA certificate as caBundle (a real, parsable certificate). */
async function createWebhookConfig(tb: Testbed, a: Api, chart: Chart, o: InstallOptions): Promise<void> {
  const ns = nsOf(o);
  const name = webhookName(chart, o);
  const svc = chart === 'flyte-core' ? 'flyte-pod-webhook' : `${binaryFullname(releaseOf(o))}-webhook`;
  const caBundle = Buffer.from(readFileSync(tb.kube.caFile)).toString('base64');
  await upsert(a, ns, 'MutatingWebhookConfiguration', name, {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration',
    metadata: { name },
    webhooks: [{
      name: 'flyte-pod-webhook.flyte.org',
      clientConfig: { service: { name: svc, namespace: ns, path: '/mutate--v1-pod', port: 443 }, caBundle },
      rules: [{ operations: ['CREATE'], apiGroups: ['*'], apiVersions: ['v1'], resources: ['pods'] }],
      failurePolicy: 'Fail',
      sideEffects: 'NoneOnDryRun',
      admissionReviewVersions: ['v1', 'v1beta1'],
      objectSelector: { matchLabels: { 'inject-flyte-secrets': 'true' } },
    }],
  });
}

/** Re-registers the webhook of an install (e.g. after a test changed it): what the webhook does at start-up. */
export async function registerWebhook(tb: Testbed, chart: Chart, o: InstallOptions = {}): Promise<void> {
  await createWebhookConfig(tb, api(tb), chart, o);
}

// ---------- break / repair ----------
async function podIpOf(a: Api, ns: string, deployment: string): Promise<string> {
  const p = await kubeCall<Obj>(a.kube, a.token, 'GET', itemPath('Pod', podName(deployment), ns));
  return p.status?.podIP ?? `10.244.250.${hash(deployment) % 250}`;
}

async function rewriteAllEndpoints(a: Api, ns: string, unreadySet: Set<string>): Promise<void> {
  const deps = (await kubeCall<{ items: Obj[] }>(a.kube, a.token, 'GET', collection('Deployment', ns))).items;
  const svcs = (await kubeCall<{ items: Obj[] }>(a.kube, a.token, 'GET', collection('Service', ns))).items;
  const ips = new Map<string, string>();
  for (const d of deps) ips.set(d.metadata.name, await podIpOf(a, ns, d.metadata.name).catch(() => '10.244.250.1'));
  for (const s of svcs) if (s.spec.selector) await writeEndpoints(a, ns, s, deps, ips, unreadySet);
}

async function unreadyDeployments(a: Api, ns: string): Promise<Set<string>> {
  const deps = (await kubeCall<{ items: Obj[] }>(a.kube, a.token, 'GET', collection('Deployment', ns))).items;
  return new Set(deps.filter((d) => !(d.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Available' && c.status === 'True') || (d.status?.readyReplicas ?? 0) === 0).map((d) => d.metadata.name));
}

/** The states makeUnready writes (the kubelet's words). */
function unreadyState(d: Obj, ns: string, reason: UnreadyReason): PodState {
  const containers: { name: string; image: string }[] = d.spec.template.spec.containers;
  const st: Record<string, ContainerState> = {};
  for (const c of containers) {
    st[c.name] = reason === 'ImagePullBackOff'
      ? { waiting: { reason, message: `Back-off pulling image "${c.image}"` } }
      : { waiting: { reason, message: `back-off 5m0s restarting failed container=${c.name} pod=${podName(d.metadata.name)}_${ns}` }, restarts: 7, lastTerminated: { exitCode: 1, reason: 'Error' } };
  }
  return { containers: st, ...(reason === 'ImagePullBackOff' ? { phase: 'Pending' } : { phase: 'Running' }) };
}

/** Makes one Deployment unready the way a broken rollout looks: status unavailable, its Pod waiting with `reason`, its Service endpoints not ready. */
export async function makeUnready(tb: Testbed, deploymentName: string, reason: UnreadyReason, o: InstallOptions | string = {}): Promise<void> {
  const a = api(tb);
  const ns = nsOf(o);
  const d = await kubeCall<Obj>(a.kube, a.token, 'GET', itemPath('Deployment', deploymentName, ns));
  await setPodState(tb, deploymentName, unreadyState(d, ns, reason), ns);
}

/** Undoes makeUnready / setPodState: the pod Running and Ready, its events gone. */
export async function makeReady(tb: Testbed, deploymentName: string, o: InstallOptions | string = {}): Promise<void> {
  await setPodState(tb, deploymentName, healthyState(), o);
}

/** Deletes the flyteworkflows CRD (and waits until it is gone). The shared install needs it: only the test bed's own tests use this. */
export async function removeCrd(tb: Testbed): Promise<void> {
  const a = api(tb);
  await kubeCall(a.kube, a.token, 'DELETE', itemPath('CustomResourceDefinition', CRD_NAME), undefined, undefined, (s) => s < 300 || s === 404);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if ((await kubeRequest(a.kube, a.token, 'GET', itemPath('CustomResourceDefinition', CRD_NAME))).status === 404) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`CRD ${CRD_NAME} still present after 30 s`);
}

/**
 * Deletes what installFlyte created in the shared namespace `flyte` (the namespace stays: without a
 * namespace controller a deleted namespace stays Terminating forever). For another namespace use
 * removeInstall(), which deletes the namespace for good and leaves shared objects alone.
 */
export async function uninstallFlyte(tb: Testbed, chart: Chart, o: InstallOptions = {}): Promise<void> {
  const ns = nsOf(o);
  if (ns !== SHARED_NS) return removeInstall(tb, chart, o);
  const a = api(tb);
  const del = (path: string) => kubeCall(a.kube, a.token, 'DELETE', path, undefined, undefined, (s) => s < 300 || s === 404);
  await del(itemPath('MutatingWebhookConfiguration', webhookName(chart, o)));
  if (chart === 'flyte-binary') for (const ing of binaryIngresses('flyte.test', o)) await del(itemPath('Ingress', ing.metadata.name, ns));
  const objs = chartObjects(chart, o).reverse();
  for (const x of objs) {
    // no kubelet: only an immediate delete removes a pod (a graceful one stays Terminating forever)
    if (x.kind === 'Deployment') await del(`${itemPath('Pod', podName(x.metadata.name), ns)}?gracePeriodSeconds=0`);
    if (x.kind === 'Service') { await del(itemPath('Endpoints', x.metadata.name, ns)); await del(itemPath('EndpointSlice', `${x.metadata.name}-testbed`, ns)); }
    // The CRD is shared by both charts' installs; removeCrd() deletes it explicitly.
    if (x.kind === 'CustomResourceDefinition') continue;
    await del(itemPath(x.kind, x.metadata.name, isNamespaced(x.kind) ? ns : undefined));
  }
  await removeCrd(tb);
}

/**
 * Removes a private install: its webhook registration (when it points at this namespace), then the
 * namespace and everything in it, for good (content deleted, the namespace finalized as its
 * controller would). Refuses the shared namespace.
 */
export async function removeInstall(tb: Testbed, chart: Chart, o: InstallOptions = {}): Promise<void> {
  const ns = nsOf(o);
  if (ns === SHARED_NS) throw new Error('removeInstall: refusing to remove the shared install in namespace flyte');
  const a = api(tb);
  const name = webhookName(chart, o);
  const mwc = await kubeRequest<Obj>(a.kube, a.token, 'GET', itemPath('MutatingWebhookConfiguration', name));
  if (mwc.status === 200 && mwc.body.webhooks?.[0]?.clientConfig?.service?.namespace === ns) {
    await kubeCall(a.kube, a.token, 'DELETE', itemPath('MutatingWebhookConfiguration', name), undefined, undefined, (s) => s < 300 || s === 404);
  }
  for (const kind of ['ClusterRoleBinding', 'ClusterRole']) {
    const list = await kubeCall<{ items: Obj[] }>(a.kube, a.token, 'GET', `${collection(kind)}?labelSelector=${encodeURIComponent(`${INSTALL_LABEL}=${ns}`)}`);
    for (const x of list.items ?? []) await kubeCall(a.kube, a.token, 'DELETE', itemPath(kind, x.metadata.name), undefined, undefined, (st) => st < 300 || st === 404);
  }
  await removeNamespace(tb, ns);
}

/** Deletes a namespace of a test for good: every object in it, then the namespace, finalized as the namespace controller would. */
export async function removeNamespace(tb: Testbed, ns: string): Promise<void> {
  if (ns === SHARED_NS || PROJECT_NAMESPACES.includes(ns) || ns.startsWith('kube-') || ns === 'default') throw new Error(`removeNamespace: refusing to remove ${ns}`);
  const a = api(tb);
  const got = await kubeRequest<Obj>(a.kube, a.token, 'GET', itemPath('Namespace', ns));
  if (got.status === 404) return;
  const kinds = ['Pod', 'Deployment', 'ReplicaSet', 'Service', 'Endpoints', 'EndpointSlice', 'Ingress', 'ConfigMap', 'Secret', 'ServiceAccount', 'Role', 'RoleBinding', 'Event'];
  const extra = [`/apis/flyte.lyft.com/v1alpha1/namespaces/${ns}/flyteworkflows`];
  for (const path of [...kinds.map((k) => collection(k, ns)), ...extra]) {
    const list = await kubeRequest<{ items?: Obj[] }>(a.kube, a.token, 'GET', path);
    for (const item of list.body?.items ?? []) {
      const p = `${path}/${item.metadata.name}`;
      if ((item.metadata.finalizers as unknown[] | undefined)?.length) await kubeCall(a.kube, a.token, 'PATCH', p, { metadata: { finalizers: null } }, MERGE, (s) => s < 300 || s === 404);
      await kubeCall(a.kube, a.token, 'DELETE', `${p}?gracePeriodSeconds=0`, undefined, undefined, (s) => s < 300 || s === 404);
    }
  }
  await kubeCall(a.kube, a.token, 'DELETE', itemPath('Namespace', ns), undefined, undefined, (s) => s < 300 || s === 404);
  const cur = await kubeRequest<Obj>(a.kube, a.token, 'GET', itemPath('Namespace', ns));
  if (cur.status === 200) await kubeCall(a.kube, a.token, 'PUT', `${itemPath('Namespace', ns)}/finalize`, { ...cur.body, spec: { finalizers: [] } }, undefined, (s) => s < 300 || s === 404 || s === 409);
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if ((await kubeRequest(a.kube, a.token, 'GET', itemPath('Namespace', ns))).status === 404) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`namespace ${ns} still present after 15 s`);
}

/**
 * Deletes namespace `ns` and leaves it Terminating the way a namespace controller that cannot finish
 * would: an object with a finalizer nobody removes stays inside, and the status conditions say so.
 * removeNamespace() cleans it up.
 */
export async function makeTerminating(tb: Testbed, ns: string, o: { conditions?: { type: string; status: string; reason: string; message: string }[] } = {}): Promise<void> {
  const a = api(tb);
  await createIfMissing(a.kube, a.token, collection('Namespace'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await createIfMissing(a.kube, a.token, collection('ConfigMap', ns), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held', namespace: ns, finalizers: ['flyte-doctor.test/held'] } });
  await kubeCall(a.kube, a.token, 'DELETE', itemPath('Namespace', ns), undefined, undefined, (s) => s < 300 || s === 404);
  const t = now();
  const conditions = o.conditions ?? [
    { type: 'NamespaceDeletionDiscoveryFailure', status: 'False', reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
    { type: 'NamespaceDeletionGroupVersionParsingFailure', status: 'False', reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
    { type: 'NamespaceDeletionContentFailure', status: 'False', reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
    { type: 'NamespaceContentRemaining', status: 'True', reason: 'SomeResourcesRemain', message: 'Some resources are remaining: configmaps. has 1 resource instances' },
    { type: 'NamespaceFinalizersRemaining', status: 'True', reason: 'SomeFinalizersRemain', message: 'Some content in the namespace has finalizers remaining: flyte-doctor.test/held in 1 resource instances' },
  ];
  const cur = await kubeCall<Obj>(a.kube, a.token, 'GET', itemPath('Namespace', ns));
  await kubeCall(a.kube, a.token, 'PUT', `${itemPath('Namespace', ns)}/status`, { ...cur, status: { phase: 'Terminating', conditions: conditions.map((c) => ({ ...c, lastTransitionTime: t })) } });
}

// ---------- CLI ----------
async function main(argv: string[]): Promise<void> {
  const [cmd, x, y, z] = argv;
  const tb = getTestbed();
  const chartArg = (v: string | undefined): Chart => {
    if (v === 'flyte-binary' || v === 'flyte-core') return v;
    throw new Error(`expected flyte-binary or flyte-core, got ${v ?? '(nothing)'}`);
  };
  if (cmd === 'install') await installFlyte(tb, chartArg(x), { ...(y ? { namespace: y } : {}) });
  else if (cmd === 'uninstall') await uninstallFlyte(tb, chartArg(x), { ...(y ? { namespace: y } : {}) });
  else if (cmd === 'unready' && x && (y === 'ImagePullBackOff' || y === 'CrashLoopBackOff')) await makeUnready(tb, x, y, z ?? SHARED_NS);
  else if (cmd === 'ready' && x) await makeReady(tb, x, y ?? SHARED_NS);
  else if (cmd === 'remove-crd') await removeCrd(tb);
  else throw new Error('usage: flyte-install.ts install|uninstall <flyte-binary|flyte-core> [namespace] | unready <deployment> <ImagePullBackOff|CrashLoopBackOff> [namespace] | ready <deployment> [namespace] | remove-crd');
  process.stdout.write(`${cmd} ${[x, y, z].filter(Boolean).join(' ')}: done\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((e: unknown) => { process.stderr.write(`flyte-install: ${e instanceof Error ? e.message : String(e)}\n`); process.exit(1); });
}
