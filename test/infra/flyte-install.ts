// Loads a "healthy Flyte install" into the test bed's kube-apiserver from the REAL rendered chart
// manifests (../shared/fixtures/flyte-rendered beside the repo, or $FLYTE_DOCTOR_FIXTURES/flyte-rendered), retargeted
// to namespace flyte. There is no kubelet and no controller-manager, so what controllers would do is
// written directly: Deployment status (ready), one Running+Ready Pod per Deployment, Endpoints and
// EndpointSlices with ready addresses for every Service, the MutatingWebhookConfiguration the
// binary/propeller creates at runtime (facts §A4), and the project-domain namespaces.
//
//   tsx test/infra/flyte-install.ts install flyte-binary|flyte-core
//   tsx test/infra/flyte-install.ts uninstall flyte-binary|flyte-core
//   tsx test/infra/flyte-install.ts unready <deployment> ImagePullBackOff|CrashLoopBackOff
//   tsx test/infra/flyte-install.ts ready <deployment>
//   tsx test/infra/flyte-install.ts remove-crd
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { getTestbed, type Testbed } from '../harness/testbed.js';
import { REPO_ROOT } from './common.js';
import { createIfMissing, kubeCall, kubeRequest, NODE_NAME, type KubeTarget } from './kube.js';

export type Chart = 'flyte-binary' | 'flyte-core';
export type UnreadyReason = 'ImagePullBackOff' | 'CrashLoopBackOff';
type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown }; [k: string]: any };

export const CRD_NAME = 'flyteworkflows.flyte.lyft.com';
export const PROJECT_NAMESPACES = ['flytesnacks-development', 'flytesnacks-staging', 'flytesnacks-production'];
const NS = 'flyte';

export function fixturesDir(): string {
  const candidates = [process.env.FLYTE_DOCTOR_FIXTURES, resolve(REPO_ROOT, '..', 'shared', 'fixtures')].filter((x): x is string => !!x);
  const found = candidates.find((d) => existsSync(join(d, 'flyte-rendered')));
  if (!found) throw new Error(`rendered Flyte manifests not found (looked in ${candidates.join(', ')}); set FLYTE_DOCTOR_FIXTURES`);
  return join(found, 'flyte-rendered');
}

function load(file: string): Obj[] {
  return parseAllDocuments(readFileSync(join(fixturesDir(), file), 'utf8')).map((d) => d.toJS() as Obj).filter((o) => o && o.kind);
}

/** The chart's objects (in apply order), namespaced ones retargeted to `flyte`. flyte-binary's CRD comes from flyte-core's render (same CRD; the sandbox-binary render has no crds/). */
export function chartObjects(chart: Chart): Obj[] {
  const core = load('eks__flyte_helm_generated.yaml');
  const crd = core.filter((o) => o.kind === 'CustomResourceDefinition');
  const objs = chart === 'flyte-core' ? core : [...crd, ...load('sandbox-binary__flyte_sandbox_binary_helm_generated.yaml')];
  const order = ['CustomResourceDefinition', 'ServiceAccount', 'Secret', 'ConfigMap', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'Service', 'Deployment', 'Ingress'];
  return objs
    .filter((o) => order.includes(o.kind))
    .map((o) => {
      const { namespace: _ns, ...meta } = o.metadata;
      return { ...o, metadata: isNamespaced(o.kind) ? { ...meta, name: o.metadata.name, namespace: NS } : { ...meta, name: o.metadata.name } };
    })
    .sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
}

/** Name of the MutatingWebhookConfiguration and its Service (facts §A4). */
export function webhookName(chart: Chart): string {
  return chart === 'flyte-core' ? 'flyte-pod-webhook' : 'flyte-flyte-binary-webhook';
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
  Deployment: { group: 'apps', plural: 'deployments', namespaced: true },
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
function collection(kind: string, ns = NS): string {
  const k = KINDS[kind]!;
  const base = k.group ? `/apis/${k.group}/v1` : '/api/v1';
  return k.namespaced ? `${base}/namespaces/${ns}/${k.plural}` : `${base}/${k.plural}`;
}
const itemPath = (kind: string, name: string, ns = NS) => `${collection(kind, ns)}/${name}`;

interface Api { kube: KubeTarget; token: string }
function api(tb: Testbed): Api { return { kube: { server: tb.kube.server, caFile: tb.kube.caFile }, token: tb.kube.tokens.admin }; }
const MERGE = 'application/merge-patch+json';
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

// ---------- install ----------
export async function installFlyte(tb: Testbed, chart: Chart): Promise<void> {
  const a = api(tb);
  for (const ns of [NS, ...PROJECT_NAMESPACES]) await createIfMissing(a.kube, a.token, collection('Namespace'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  const objs = chartObjects(chart);
  for (const o of objs) {
    const clean: Obj = { ...o, metadata: { ...o.metadata } };
    delete clean.status;
    await createIfMissing(a.kube, a.token, collection(o.kind), clean);
    if (o.kind === 'CustomResourceDefinition') await waitEstablished(a, o.metadata.name);
  }
  const deployments = objs.filter((o) => o.kind === 'Deployment');
  const services = objs.filter((o) => o.kind === 'Service');
  let ip = 10;
  const podIps = new Map<string, string>();
  for (const d of deployments) {
    const podIp = `10.244.0.${ip++}`;
    podIps.set(d.metadata.name, podIp);
    await createPod(a, d, podIp);
    await setDeploymentReady(a, d.metadata.name, true);
  }
  for (const s of services) await writeEndpoints(a, s, deployments, podIps, true);
  await createWebhookConfig(a, chart);
  await publishIngresses(a, chart, objs, tb.nginx?.host ?? 'flyte.test');
}

/** flyte-binary's ingresses as the test bed's values render them (ingress.create: true, host = the nginx host). */
function binaryIngresses(host: string): Obj[] {
  const fn = 'flyte-flyte-binary';
  return [['http', 8088], ['grpc', 8089]].map(([suffix, port]) => ({
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: `${fn}-${suffix}`, namespace: NS },
    spec: { ingressClassName: 'nginx', tls: [{ hosts: [host], secretName: 'flyte-tls' }], rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: `${fn}-${suffix}`, port: { number: port } } } }] } }] },
  }));
}

/** Every Ingress gets the load-balancer address an ingress controller would write: 127.0.0.1, where the test bed's nginx listens. */
async function publishIngresses(a: Api, chart: Chart, objs: Obj[], host: string): Promise<void> {
  const ingresses = chart === 'flyte-binary' ? binaryIngresses(host) : objs.filter((o) => o.kind === 'Ingress');
  for (const ing of ingresses) {
    await createIfMissing(a.kube, a.token, collection('Ingress'), ing);
    const cur = await kubeCall<Obj>(a.kube, a.token, 'GET', itemPath('Ingress', ing.metadata.name));
    await kubeCall(a.kube, a.token, 'PUT', `${itemPath('Ingress', ing.metadata.name)}/status`, { ...cur, status: { loadBalancer: { ingress: [{ ip: '127.0.0.1' }] } } });
  }
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

function podName(deployment: string): string { return `${deployment}-testbed-0`; }

async function createPod(a: Api, d: Obj, podIp: string): Promise<void> {
  const tpl = d.spec.template;
  const spec = { ...tpl.spec, nodeName: NODE_NAME };
  await createIfMissing(a.kube, a.token, collection('Pod'), {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: podName(d.metadata.name), namespace: NS, labels: tpl.metadata?.labels ?? {}, annotations: { 'flyte-doctor.test/fake': 'no kubelet; status written by test/infra/flyte-install.ts' } },
    spec,
  });
  await writePodStatus(a, d, podIp, undefined);
}

async function writePodStatus(a: Api, d: Obj, podIp: string, reason: UnreadyReason | undefined): Promise<void> {
  const t = now();
  const containers: { name: string; image: string }[] = d.spec.template.spec.containers;
  const ready = !reason;
  const containerStatuses = containers.map((c) => ({
    name: c.name, image: c.image, imageID: '', ready, started: ready,
    restartCount: reason === 'CrashLoopBackOff' ? 7 : 0,
    state: ready ? { running: { startedAt: t } }
      : { waiting: { reason, message: reason === 'ImagePullBackOff' ? `Back-off pulling image "${c.image}"` : `back-off 5m0s restarting failed container=${c.name} pod=${podName(d.metadata.name)}_${NS}` } },
    ...(reason === 'CrashLoopBackOff' ? { lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: t, finishedAt: t } } } : {}),
  }));
  const cond = (type: string, ok: boolean) => ({ type, status: ok ? 'True' : 'False', lastTransitionTime: t, ...(ok ? {} : { reason: 'ContainersNotReady', message: `containers with unready status: [${containers.map((c) => c.name).join(' ')}]` }) });
  await kubeCall(a.kube, a.token, 'PATCH', `${itemPath('Pod', podName(d.metadata.name))}/status`, {
    status: {
      phase: reason === 'ImagePullBackOff' ? 'Pending' : 'Running',
      podIP: podIp, podIPs: [{ ip: podIp }], hostIP: '10.1.0.10', startTime: t,
      conditions: [cond('PodScheduled', true), cond('Initialized', true), cond('ContainersReady', ready), cond('Ready', ready)],
      containerStatuses,
    },
  }, MERGE);
}

async function setDeploymentReady(a: Api, name: string, ready: boolean): Promise<void> {
  const d = await kubeCall<Obj>(a.kube, a.token, 'GET', itemPath('Deployment', name));
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
      observedGeneration: d.metadata.generation, replicas, updatedReplicas: replicas, readyReplicas: null, availableReplicas: null, unavailableReplicas: replicas,
      conditions: [
        { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.', lastUpdateTime: t, lastTransitionTime: t },
        { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${name}-testbed" is progressing.`, lastUpdateTime: t, lastTransitionTime: t },
      ],
    };
  await kubeCall(a.kube, a.token, 'PATCH', `${itemPath('Deployment', name)}/status`, { status }, MERGE);
}

function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** Endpoints + EndpointSlice for a Service, addresses = the pods of the Deployments it selects. */
async function writeEndpoints(a: Api, svc: Obj, deployments: Obj[], podIps: Map<string, string>, readyFor: boolean | Set<string>): Promise<void> {
  const backing = deployments.filter((d) => selects(svc.spec.selector, d.spec.template.metadata?.labels));
  const isReady = (name: string) => (typeof readyFor === 'boolean' ? readyFor : !readyFor.has(name));
  const containerPorts = backing.flatMap((d) => d.spec.template.spec.containers.flatMap((c: { ports?: { name?: string; containerPort: number }[] }) => c.ports ?? []));
  const ports = (svc.spec.ports as { name?: string; port: number; targetPort?: number | string; protocol?: string }[]).map((p) => {
    const target = typeof p.targetPort === 'string' ? containerPorts.find((c) => c.name === p.targetPort)?.containerPort ?? p.port : p.targetPort ?? p.port;
    return { ...(p.name ? { name: p.name } : {}), port: target, protocol: p.protocol ?? 'TCP' };
  });
  const addr = (d: Obj) => ({ ip: podIps.get(d.metadata.name)!, nodeName: NODE_NAME, targetRef: { kind: 'Pod', namespace: NS, name: podName(d.metadata.name) } });
  const readyAddrs = backing.filter((d) => isReady(d.metadata.name)).map(addr);
  const notReady = backing.filter((d) => !isReady(d.metadata.name)).map(addr);
  const name = svc.metadata.name;
  const endpoints = {
    apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace: NS, labels: svc.metadata.labels ?? {} },
    subsets: backing.length ? [{ ...(readyAddrs.length ? { addresses: readyAddrs } : {}), ...(notReady.length ? { notReadyAddresses: notReady } : {}), ports }] : [],
  };
  await upsert(a, 'Endpoints', name, endpoints);
  const slice = {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: `${name}-testbed`, namespace: NS, labels: { ...(svc.metadata.labels ?? {}), 'kubernetes.io/service-name': name, 'endpointslice.kubernetes.io/managed-by': 'flyte-doctor-testbed' } },
    addressType: 'IPv4',
    endpoints: backing.map((d) => {
      const ok = isReady(d.metadata.name);
      return { addresses: [podIps.get(d.metadata.name)!], conditions: { ready: ok, serving: ok, terminating: false }, nodeName: NODE_NAME, targetRef: { kind: 'Pod', namespace: NS, name: podName(d.metadata.name) } };
    }),
    ports,
  };
  await upsert(a, 'EndpointSlice', `${name}-testbed`, slice);
}

async function upsert(a: Api, kind: string, name: string, obj: Obj): Promise<void> {
  const r = await kubeRequest(a.kube, a.token, 'POST', collection(kind), obj);
  if (r.status === 409) {
    const cur = await kubeCall<Obj>(a.kube, a.token, 'GET', itemPath(kind, name));
    await kubeCall(a.kube, a.token, 'PUT', itemPath(kind, name), { ...obj, metadata: { ...obj.metadata, resourceVersion: cur.metadata.resourceVersion } });
  } else if (r.status < 200 || r.status >= 300) {
    throw new Error(`POST ${kind} ${name} -> HTTP ${r.status}: ${JSON.stringify(r.body).slice(0, 600)}`);
  }
}

async function createWebhookConfig(a: Api, chart: Chart): Promise<void> {
  const name = webhookName(chart);
  const secretCa = Buffer.from('-----BEGIN CERTIFICATE-----\n(flyte-doctor test bed: placeholder CA)\n-----END CERTIFICATE-----\n').toString('base64');
  await upsert(a, 'MutatingWebhookConfiguration', name, {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration',
    metadata: { name },
    webhooks: [{
      name: 'flyte-pod-webhook.flyte.org',
      clientConfig: { service: { name, namespace: NS, path: '/mutate--v1-pod', port: 443 }, caBundle: secretCa },
      rules: [{ operations: ['CREATE'], apiGroups: ['*'], apiVersions: ['v1'], resources: ['pods'] }],
      failurePolicy: 'Fail',
      sideEffects: 'NoneOnDryRun',
      admissionReviewVersions: ['v1', 'v1beta1'],
      objectSelector: { matchLabels: { 'inject-flyte-secrets': 'true' } },
    }],
  });
}

// ---------- break / repair ----------
async function podIpOf(a: Api, deployment: string): Promise<string> {
  const p = await kubeCall<Obj>(a.kube, a.token, 'GET', itemPath('Pod', podName(deployment)));
  return p.status?.podIP ?? '10.244.0.250';
}

async function rewriteAllEndpoints(a: Api, unreadySet: Set<string>): Promise<void> {
  const deps = (await kubeCall<{ items: Obj[] }>(a.kube, a.token, 'GET', collection('Deployment'))).items;
  const svcs = (await kubeCall<{ items: Obj[] }>(a.kube, a.token, 'GET', collection('Service'))).items;
  const ips = new Map<string, string>();
  for (const d of deps) ips.set(d.metadata.name, await podIpOf(a, d.metadata.name));
  for (const s of svcs) if (s.spec.selector) await writeEndpoints(a, s, deps, ips, unreadySet);
}

async function unreadyDeployments(a: Api): Promise<Set<string>> {
  const deps = (await kubeCall<{ items: Obj[] }>(a.kube, a.token, 'GET', collection('Deployment'))).items;
  return new Set(deps.filter((d) => !(d.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Available' && c.status === 'True')).map((d) => d.metadata.name));
}

/** Makes one Deployment unready the way a broken rollout looks: status unavailable, its Pod waiting with `reason`, its Service endpoints not ready. */
export async function makeUnready(tb: Testbed, deploymentName: string, reason: UnreadyReason): Promise<void> {
  const a = api(tb);
  const d = await kubeCall<Obj>(a.kube, a.token, 'GET', itemPath('Deployment', deploymentName));
  await setDeploymentReady(a, deploymentName, false);
  await writePodStatus(a, d, await podIpOf(a, deploymentName), reason);
  await rewriteAllEndpoints(a, await unreadyDeployments(a));
}

/** Undoes makeUnready. */
export async function makeReady(tb: Testbed, deploymentName: string): Promise<void> {
  const a = api(tb);
  const d = await kubeCall<Obj>(a.kube, a.token, 'GET', itemPath('Deployment', deploymentName));
  await setDeploymentReady(a, deploymentName, true);
  await writePodStatus(a, d, await podIpOf(a, deploymentName), undefined);
  await rewriteAllEndpoints(a, await unreadyDeployments(a));
}

/** Deletes the flyteworkflows CRD (and waits until it is gone). */
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

/** Deletes what installFlyte created. Namespaces are kept: without a namespace controller a deleted namespace stays Terminating forever. */
export async function uninstallFlyte(tb: Testbed, chart: Chart): Promise<void> {
  const a = api(tb);
  const del = (path: string) => kubeCall(a.kube, a.token, 'DELETE', path, undefined, undefined, (s) => s < 300 || s === 404);
  await del(itemPath('MutatingWebhookConfiguration', webhookName(chart)));
  if (chart === 'flyte-binary') for (const ing of binaryIngresses('flyte.test')) await del(itemPath('Ingress', ing.metadata.name));
  const objs = chartObjects(chart).reverse();
  for (const o of objs) {
    // no kubelet: only an immediate delete removes a pod (a graceful one stays Terminating forever)
    if (o.kind === 'Deployment') await del(`${itemPath('Pod', podName(o.metadata.name))}?gracePeriodSeconds=0`);
    if (o.kind === 'Service') { await del(itemPath('Endpoints', o.metadata.name)); await del(itemPath('EndpointSlice', `${o.metadata.name}-testbed`)); }
    // The CRD is shared by both charts' installs; removeCrd() deletes it explicitly.
    if (o.kind === 'CustomResourceDefinition') continue;
    await del(itemPath(o.kind, o.metadata.name));
  }
  await removeCrd(tb);
}

// ---------- CLI ----------
async function main(argv: string[]): Promise<void> {
  const [cmd, x, y] = argv;
  const tb = getTestbed();
  const chartArg = (v: string | undefined): Chart => {
    if (v === 'flyte-binary' || v === 'flyte-core') return v;
    throw new Error(`expected flyte-binary or flyte-core, got ${v ?? '(nothing)'}`);
  };
  if (cmd === 'install') await installFlyte(tb, chartArg(x));
  else if (cmd === 'uninstall') await uninstallFlyte(tb, chartArg(x));
  else if (cmd === 'unready' && x && (y === 'ImagePullBackOff' || y === 'CrashLoopBackOff')) await makeUnready(tb, x, y);
  else if (cmd === 'ready' && x) await makeReady(tb, x);
  else if (cmd === 'remove-crd') await removeCrd(tb);
  else throw new Error('usage: flyte-install.ts install|uninstall <flyte-binary|flyte-core> | unready <deployment> <ImagePullBackOff|CrashLoopBackOff> | ready <deployment> | remove-crd');
  process.stdout.write(`${cmd} ${[x, y].filter(Boolean).join(' ')}: done\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((e: unknown) => { process.stderr.write(`flyte-install: ${e instanceof Error ? e.message : String(e)}\n`); process.exit(1); });
}
