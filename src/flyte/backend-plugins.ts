// Backend plugins and connectors the values enable (spark, ray, dask, kubeflow operators, connectors,
// CoPilot), and what each needs in the cluster.
//
// Sources (flyteorg/flyte master 89cf9cc7): flyte-binary renders `enabled_plugins.tasks` into
// 001-plugins.yaml `tasks:` (no tpl), `configuration.inline.tasks` overrides it (a later config
// file); flyte-core renders `configmap.enabled_plugins` into enabled_plugins.yaml. propeller lower-cases
// plugin ids. The k8s plugins create custom resources of their operator (flyteplugins/go/tasks/
// plugins/k8s/{spark,ray,dask,kfoperators/{pytorch,tensorflow,mpi}}): without the operator's CRD every
// such task fails with "no matches for kind …". CoPilot's sidecar image: binary
// `configuration.co-pilot.image.{repository,tag}`, core `configmap.copilot.plugins.k8s.co-pilot.image`.
// Connectors: binary `configuration.connectorService.defaultConnector.endpoint` and the `flyteconnector`
// subchart (`flyteconnector.enabled`, Deployment/Service `flyteconnector`, gRPC 8000); core
// `flyteconnector.enabled` and `flyteconnector.plugin_config.plugins.connector-service`.
import type { KubeSession } from '../clients/kube.js';
import type { Reader } from '../config/charts.js';
import type { Chart } from '../config/target.js';
import { isDict } from '../config/values.js';
import { cause } from '../engine/causes.js';

/** An operator a plugin needs: the CRDs its tasks create and how to install it. */
export interface Operator {
  /** Plugin ids (as in enabled-plugins) served by it. */
  plugins: readonly string[];
  name: string;
  /** CRDs (plural.group) the plugin creates objects of. */
  crds: readonly string[];
  /** The install command. */
  install: string;
  /** Label selectors its controller Deployment carries in its own chart/manifests (tried in order). */
  deploymentSelectors: readonly string[];
}

export const OPERATORS: readonly Operator[] = [
  { plugins: ['spark'], name: 'Spark operator (kubeflow/spark-operator)', crds: ['sparkapplications.sparkoperator.k8s.io'],
    install: '`helm install spark-operator spark-operator --repo https://kubeflow.github.io/spark-operator -n spark-operator --create-namespace`',
    deploymentSelectors: ['app.kubernetes.io/name=spark-operator', 'app.kubernetes.io/name=sparkoperator'] },
  { plugins: ['ray'], name: 'KubeRay operator', crds: ['rayjobs.ray.io', 'rayclusters.ray.io'],
    install: '`helm install kuberay-operator kuberay-operator --repo https://ray-project.github.io/kuberay-helm/ -n ray-system --create-namespace`',
    deploymentSelectors: ['app.kubernetes.io/name=kuberay-operator', 'app.kubernetes.io/component=kuberay-operator'] },
  { plugins: ['dask'], name: 'Dask Kubernetes operator', crds: ['daskjobs.kubernetes.dask.org'],
    install: '`helm install dask-kubernetes-operator dask-kubernetes-operator --repo https://helm.dask.org -n dask-operator --create-namespace`',
    deploymentSelectors: ['app.kubernetes.io/name=dask-kubernetes-operator'] },
  { plugins: ['pytorch', 'tensorflow', 'mpi'], name: 'Kubeflow training operator', crds: [],
    install: '`kubectl apply --server-side -k "github.com/kubeflow/training-operator.git/manifests/overlays/standalone?ref=v1.8.1"`',
    deploymentSelectors: ['control-plane=kubeflow-training-operator', 'app.kubernetes.io/name=training-operator'] },
];

/** The CRD each kubeflow plugin creates objects of. */
export const KUBEFLOW_CRD: Readonly<Record<string, string>> = { pytorch: 'pytorchjobs.kubeflow.org', tensorflow: 'tfjobs.kubeflow.org', mpi: 'mpijobs.kubeflow.org' };

/**
 * The API version flytepropeller's plugin creates (and watches) objects in, per CRD (flyteplugins
 * go/tasks/plugins/k8s: spark `sparkoperator.k8s.io/v1beta2`, ray `ray.io/v1` RayJob (KubeRay >= 1.0;
 * the operator creates the RayClusters itself), dask `kubernetes.dask.org/v1`, kfoperators
 * `kubeflow.org/v1` PyTorchJob/TFJob/MPIJob of the training operator). A CRD that is Established but
 * does not serve this version makes every such task fail with `no matches for kind "<Kind>" in version
 * "<group>/<version>"`.
 */
export const PLUGIN_CRD_VERSION: Readonly<Record<string, { version: string; kind: string }>> = {
  'sparkapplications.sparkoperator.k8s.io': { version: 'v1beta2', kind: 'SparkApplication' },
  'rayjobs.ray.io': { version: 'v1', kind: 'RayJob' },
  'daskjobs.kubernetes.dask.org': { version: 'v1', kind: 'DaskJob' },
  'pytorchjobs.kubeflow.org': { version: 'v1', kind: 'PyTorchJob' },
  'tfjobs.kubeflow.org': { version: 'v1', kind: 'TFJob' },
  'mpijobs.kubeflow.org': { version: 'v1', kind: 'MPIJob' },
};

/** Why a CRD serves other versions than the plugin uses, and what replaces it (undefined when it serves the plugin's version). */
export function crdVersionProblem(crd: CrdState, plugin: string): { want: string; kind: string; cause: string; fix: string } | undefined {
  const used = PLUGIN_CRD_VERSION[crd.name];
  if (!used || crd.versions.includes(used.version)) return undefined;
  const { version: want, kind } = used;
  const group = crd.name.slice(crd.name.indexOf('.') + 1);
  const op = operatorOf(plugin);
  const replace = `helm does not upgrade the CRDs of an installed chart: apply the new release's CRDs (\`kubectl apply --server-side -f <chart>/crds/\`) before or after \`helm upgrade\``;
  if (crd.name === 'mpijobs.kubeflow.org' && crd.versions.some((v) => v.startsWith('v2'))) {
    return { want, kind, cause: 'the standalone MPI operator (kubeflow/mpi-operator v0.4+, kubeflow.org/v2beta1) owns this CRD; Flyte\'s mpi plugin creates kubeflow.org/v1 MPIJobs of the Kubeflow training operator',
      fix: `replace the standalone MPI operator with the Kubeflow training operator, whose CRD serves kubeflow.org/v1 MPIJobs: ${operatorOf('mpi')!.install}` };
  }
  if (crd.name === 'rayjobs.ray.io') {
    return { want, kind, cause: `a KubeRay operator older than 1.0 installed it (ray.io/v1 came with KubeRay 1.0)`,
      fix: `upgrade the KubeRay operator to 1.0 or later and its CRDs (rayjobs, rayclusters, rayservices.ray.io): ${replace}` };
  }
  return { want, kind, cause: `an ${crd.versions.some((v) => older(v, want)) ? 'older' : 'other'} release of the ${op?.name ?? 'operator'} installed it`,
    fix: `install a release of the ${op?.name ?? 'operator'} whose CRD serves ${group}/${want}${op ? ` (${op.install})` : ''}; ${replace}` };
}

/** Whether Kubernetes version `a` sorts before `b` (v1alpha1 < v1beta1 < v1 < v2alpha1 ...). */
function older(a: string, b: string): boolean {
  const rank = (v: string) => { const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v); return m ? Number(m[1]) * 1000 + (m[2] === 'alpha' ? 0 : m[2] === 'beta' ? 300 : 600) + Number(m[3] ?? 0) : -1; };
  return rank(a) >= 0 && rank(b) >= 0 && rank(a) < rank(b);
}

export function operatorOf(plugin: string): Operator | undefined {
  return OPERATORS.find((o) => o.plugins.includes(plugin));
}

/** The CRDs a plugin's tasks create. */
export function crdsOf(plugin: string): string[] {
  if (KUBEFLOW_CRD[plugin]) return [KUBEFLOW_CRD[plugin]!];
  return [...(operatorOf(plugin)?.crds ?? [])];
}

export interface Connector {
  /** Where propeller calls the connector: `k8s://<service>.<namespace>:<port>` or `dns:///host:port`. */
  endpoint?: string;
  endpointKey: string;
  endpointSource?: string;
  /** The bundled connector Deployment (the flyteconnector subchart / flyte-core template). */
  deployed: boolean;
  deployedKey: string;
  deployedSource?: string;
  /** The Service the endpoint names, when it is a `k8s://` or cluster-internal name. */
  service?: { name: string; namespace: string; port?: number };
  /** Task types mapped to connector-service in default-for-task-types. */
  taskTypes: string[];
}

export interface CoPilot {
  image?: string;
  key: string;
  source?: string;
}

export interface BackendPlugins {
  /** enabled-plugins, lower-cased as propeller reads them. */
  enabled: string[];
  /** As written (for messages). */
  written: string[];
  /** enabled-plugins is an explicit empty list: propeller then enables every plugin it ships (TaskPluginConfig.GetEnabledPlugins). */
  allEnabled?: boolean;
  /** The values key of the list (what a fix names) and where it came from. */
  key: string;
  source: string;
  /** default-for-task-types: task type -> plugin id (lower case). */
  defaults: Record<string, string>;
  connector?: Connector;
  copilot?: CoPilot;
  /** Odd shapes (a string where a list belongs), as `key: problem`. */
  malformed: string[];
  /** flyte-core `sparkoperator.enabled` / `daskoperator.enabled` (they add plugin config, they install no operator). */
  operatorFlags: { key: string; plugin: string; enabled: boolean }[];
}

function safe<T>(f: () => T): T | undefined {
  try { return f(); } catch { return undefined; }
}

/** Parses `k8s://svc.ns:port`, `dns:///host:port`, `host:port` into a Service when it names one in the cluster. */
export function connectorService(endpoint: string, namespace: string): Connector['service'] | undefined {
  const e = endpoint.trim();
  const m = /^(k8s:\/\/|dns:\/\/\/)?([^/:]+)(?::(\d+))?\/?$/.exec(e);
  if (!m) return undefined;
  const host = m[2]!.toLowerCase().replace(/\.$/, '');
  const port = m[3] ? { port: Number(m[3]) } : {};
  const svcSuffix = /\.svc(\.cluster\.local)?$/;
  if (m[1] === 'k8s://' || svcSuffix.test(host)) {
    const parts = host.replace(svcSuffix, '').split('.');
    if (parts.length > 2) return undefined;
    return { name: parts[0]!, namespace: parts[1] ?? namespace, ...port };
  }
  if (!host.includes('.') && host !== 'localhost' && !/^[0-9]/.test(host)) return { name: host, namespace, ...port };
  return undefined;
}

/** The plugins the values enable; undefined when they say nothing. */
export function backendPluginsFromValues(chart: Chart, r: Reader, namespace: string): BackendPlugins | undefined {
  const malformed: string[] = [];
  const core = chart === 'flyte-core';
  const tasksBase = core ? 'configmap.enabled_plugins.tasks.task-plugins' : 'enabled_plugins.tasks.task-plugins';
  const inlineBase = 'configuration.inline.tasks.task-plugins';
  const inlineList = !core ? safe(() => r.raw(`${inlineBase}.enabled-plugins`)) : undefined;
  const base = inlineList !== undefined && inlineList !== null ? inlineBase : tasksBase;
  const listKey = `${base}.enabled-plugins`;
  let raw: unknown;
  try { raw = r.raw(listKey); } catch { malformed.push(`${listKey}: a parent key is not a map`); }
  const written: string[] = [];
  if (raw === undefined || raw === null) {
    // the chart's values.yaml list (both charts)
    written.push('container', 'sidecar', 'k8s-array', 'connector-service', 'echo');
  } else if (Array.isArray(raw)) {
    raw.forEach((x, i) => { if (typeof x === 'string') written.push(x.trim()); else malformed.push(`${listKey}[${i}]: expected a plugin id (a string)`); });
  } else {
    malformed.push(`${listKey}: expected a list of plugin ids`);
  }
  const enabled = [...new Set(written.map((x) => x.toLowerCase()))];
  const defaults: Record<string, string> = {};
  let d: unknown;
  try { d = r.raw(`${base}.default-for-task-types`); } catch { d = undefined; }
  const addDefaults = (m: Record<string, unknown>) => { for (const [k, v] of Object.entries(m)) if (typeof v === 'string') defaults[k] = v.toLowerCase(); };
  if (isDict(d)) addDefaults(d as Record<string, unknown>);
  else if (Array.isArray(d)) for (const x of d) if (isDict(x)) addDefaults(x as Record<string, unknown>); // eks-starter writes a list of one-key maps

  // connectors
  const connEnabledKey = 'flyteconnector.enabled';
  const connDeployed = safe(() => r.bool(connEnabledKey)) ?? false;
  const endpointKey = core ? 'flyteconnector.plugin_config.plugins.connector-service.defaultConnector.endpoint' : 'configuration.connectorService.defaultConnector.endpoint';
  const endpoint = safe(() => r.str(endpointKey)) ?? 'k8s://flyteconnector.flyte:8000'; // both charts' values.yaml
  const usesConnector = enabled.includes('connector-service') || enabled.includes('agent-service');
  const connector: Connector | undefined = usesConnector || connDeployed ? {
    ...(endpoint ? { endpoint, endpointSource: safe(() => r.prov(endpointKey)) ?? 'chart default' } : {}),
    endpointKey, deployed: connDeployed, deployedKey: connEnabledKey, ...(connDeployed ? { deployedSource: safe(() => r.prov(connEnabledKey)) } : {}),
    ...(endpoint && connectorService(endpoint, namespace) ? { service: connectorService(endpoint, namespace)! } : {}),
    taskTypes: Object.entries(defaults).filter(([, p]) => p === 'connector-service' || p === 'agent-service').map(([t]) => t),
  } : undefined;

  // CoPilot
  let copilot: CoPilot | undefined;
  if (core) {
    const key = 'configmap.copilot.plugins.k8s.co-pilot.image';
    const image = safe(() => r.str(key));
    copilot = image ? { image, source: r.prov(key), key } : { image: 'cr.flyte.org/flyteorg/flytecopilot:v1.16.8', source: 'chart default', key };
  } else {
    const repo = safe(() => r.str('configuration.co-pilot.image.repository'));
    const tag = safe(() => r.str('configuration.co-pilot.image.tag'));
    const inline = safe(() => r.str('configuration.inline.plugins.k8s.co-pilot.image'));
    if (inline) copilot = { image: inline, key: 'configuration.inline.plugins.k8s.co-pilot.image', source: r.prov('configuration.inline.plugins.k8s.co-pilot.image') };
    else if (repo !== undefined || tag !== undefined) copilot = { image: `${repo ?? ''}:${tag ?? ''}`, key: 'configuration.co-pilot.image', source: r.prov(repo !== undefined ? 'configuration.co-pilot.image.repository' : 'configuration.co-pilot.image.tag') };
    else copilot = { image: 'cr.flyte.org/flyteorg/flytecopilot:v1.16.8', key: 'configuration.co-pilot.image', source: 'chart default' };
  }

  const operatorFlags = core
    ? ([['sparkoperator.enabled', 'spark'], ['daskoperator.enabled', 'dask']] as const).map(([key, plugin]) => ({ key, plugin, enabled: safe(() => r.bool(key)) ?? false }))
    : [];
  return {
    enabled, written, key: listKey, source: raw === undefined || raw === null ? 'chart default' : (safe(() => r.prov(listKey)) ?? listKey), defaults,
    ...(connector ? { connector } : {}), ...(copilot ? { copilot } : {}), malformed, operatorFlags,
    ...(Array.isArray(raw) && raw.length === 0 ? { allEnabled: true } : {}),
  };
}

/**
 * Whether an image reference is well-formed (distribution/reference grammar): `[host[:port]/]path[:tag][@digest]`,
 * lower-case path components, tag ≤128 chars. Returns the problem, or undefined when well-formed.
 */
export function imageReferenceProblem(ref: string): string | undefined {
  const s = ref.trim();
  if (!s) return 'it is empty';
  if (/\s/.test(s)) return 'it contains whitespace';
  if (/\{\{/.test(s)) return 'it holds an unrendered template';
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) { digest = rest.slice(at + 1); rest = rest.slice(0, at); }
  if (digest !== undefined && !/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-fA-F0-9]{32,}$/.test(digest)) return `the digest "${digest}" is not algorithm:hex (e.g. sha256:<64 hex digits>)`;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  let tag: string | undefined;
  if (colon > slash) { tag = rest.slice(colon + 1); rest = rest.slice(0, colon); }
  if (tag !== undefined) {
    if (tag === '') return 'the tag after ":" is empty';
    if (!/^[\w][\w.-]{0,127}$/.test(tag)) return `the tag "${tag}" is not valid (letters, digits, _ . -, at most 128, not starting with . or -)`;
  }
  if (!rest) return 'the repository is empty';
  const parts = rest.split('/');
  const host = parts.length > 1 && /[.:]|^localhost$/.test(parts[0]!) ? parts.shift()! : undefined;
  if (host !== undefined && !/^[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::\d+)?$/.test(host)) return `the registry "${host}" is not a host[:port]`;
  for (const p of parts) {
    if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/.test(p)) return `the path component "${p}" is not valid (lower case letters, digits, separators . _ __ -)`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// CRD state, as evidence (the checks build the findings)


export interface CrdState {
  name: string;
  state: 'missing' | 'established' | 'not-established' | 'terminating' | 'names-conflict';
  /** Served versions. */
  versions: string[];
  /** The telling condition, as `Type=Status (Reason: message)`. */
  condition?: string;
}

const CRD_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

/** Reads a CustomResourceDefinition and its conditions. KubeErrors (403, 5xx…) propagate. */
export async function readCrd(s: KubeSession, name: string, signal: AbortSignal): Promise<CrdState> {
  const crd = await s.getOptional<Record<string, unknown>>(`${CRD_PATH}/${encodeURIComponent(name)}`, signal);
  if (!crd) return { name, state: 'missing', versions: [] };
  const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
  const st = obj(crd['status']);
  const spec = obj(crd['spec']);
  const md = obj(crd['metadata']);
  const conds = (Array.isArray(st['conditions']) ? st['conditions'] : []).map(obj);
  const text = (c: Record<string, unknown>) => `${String(c['type'])}=${String(c['status'])}${typeof c['reason'] === 'string' ? ` (${c['reason']}${typeof c['message'] === 'string' && c['message'] ? `: ${c['message']}` : ''})` : ''}`;
  const cond = (t: string) => conds.find((c) => c['type'] === t);
  const versions = (Array.isArray(spec['versions']) ? spec['versions'] : []).map(obj).filter((v) => v['served'] !== false && typeof v['name'] === 'string').map((v) => v['name'] as string);
  const term = cond('Terminating');
  if (typeof md['deletionTimestamp'] === 'string' || term?.['status'] === 'True') return { name, state: 'terminating', versions, ...(term ? { condition: text(term) } : {}) };
  const names = cond('NamesAccepted');
  if (names?.['status'] === 'False') return { name, state: 'names-conflict', versions, condition: text(names) };
  const est = cond('Established');
  if (est?.['status'] !== 'True') return { name, state: 'not-established', versions, condition: est ? text(est) : 'no Established condition yet' };
  return { name, state: 'established', versions };
}

/** Whether the API server serves an API group at all (discovery `/apis/<group>`): a missing group is the whole operator missing. */
export async function groupServed(s: KubeSession, group: string, signal: AbortSignal): Promise<boolean> {
  return (await s.getOptional(`/apis/${encodeURIComponent(group)}`, signal)) !== undefined;
}

/** The cause key of a missing CRD: the API group when the group is not served at all (as kubernetes.objects.apis keys it), else the CRD. */
export async function missingCrdCause(s: KubeSession, crd: string, signal: AbortSignal): Promise<string> {
  const group = crd.slice(crd.indexOf('.') + 1);
  const served = await groupServed(s, group, signal).catch(() => true);
  return served ? cause.object('customresourcedefinition', undefined, crd) : cause.object('apigroup', undefined, group);
}
