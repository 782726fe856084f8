// Flyte on Kubernetes: the objects each chart creates (Deployments, Services, the webhook
// registration), how flyte-binary names them after the release, the component each one serves
// (the cause key a down component shares with the ingress's 502/503), what each init container
// waits for, and the values keys that change them (facts §A1, §A2, §A4).
import type { KubeSession } from '../clients/kube.js';
import type { Chart, ComponentSetting } from '../config/target.js';

const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** flyte-binary fullname: the release name if it contains "flyte-binary", else `<release>-flyte-binary`. */
export function binaryFullname(release: string): string {
  return release.includes('flyte-binary') ? release : `${release}-flyte-binary`;
}

export interface FlyteComponent {
  /** Deployment name(s): the first is the usual one, others are alternatives (propeller manager mode). */
  deployments: string[];
  /** Human name. */
  component: string;
  /** The backend this Deployment serves, as cause.backend() names it (flyte-binary serves flyteadmin). */
  backend: string;
  /** Values key prefix of this component for the detected chart (image, resources). */
  valuesKey: string;
  /** Optional components are checked only when their Deployment exists (disabled by default / by values). */
  optional: boolean;
}

/** What names a chart's objects: the chart, the release and (flyte-binary) a fullname found on the cluster. */
export interface ChartNames { chart?: Chart; kubernetes: { release: string; namespace?: string }; fullname?: string; components?: ComponentSetting[] | undefined }

/**
 * flyte-core: what the values deploy decides what is expected. A component the values turn off is
 * not expected; one they turn on is required (no longer "checked only when present").
 */
function byValues<T extends { deployments?: string[]; name?: string; optional: boolean }>(t: ChartNames, list: T[], nameOf: (x: T) => string): T[] {
  if (!t.components?.length) return list;
  const out: T[] = [];
  for (const x of list) {
    const c = t.components.find((s) => s.deployment === nameOf(x));
    if (!c) { out.push(x); continue; }
    if (c.enabled) out.push({ ...x, optional: false });
  }
  return out;
}

/** The Deployments of the detected chart (facts §A1, §A2), most important first. */
export function flyteComponents(t: ChartNames): FlyteComponent[] {
  if ((t.chart ?? 'flyte-binary') === 'flyte-binary') {
    return [{ deployments: [t.fullname ?? binaryFullname(t.kubernetes.release)], component: 'flyte-binary', backend: 'flyteadmin', valuesKey: 'deployment', optional: false }];
  }
  return byValues(t, [
    { deployments: ['flyteadmin'], component: 'flyteadmin', backend: 'flyteadmin', valuesKey: 'flyteadmin', optional: false },
    { deployments: ['flyteconsole'], component: 'flyteconsole', backend: 'flyteconsole', valuesKey: 'flyteconsole', optional: false },
    { deployments: ['datacatalog'], component: 'datacatalog', backend: 'datacatalog', valuesKey: 'datacatalog', optional: false },
    { deployments: ['flytepropeller', 'flytepropeller-manager'], component: 'flytepropeller', backend: 'flytepropeller', valuesKey: 'flytepropeller', optional: false },
    { deployments: ['flyte-pod-webhook'], component: 'flyte-pod-webhook', backend: 'flyte-pod-webhook', valuesKey: 'webhook', optional: false },
    { deployments: ['flytescheduler'], component: 'flytescheduler', backend: 'flytescheduler', valuesKey: 'flytescheduler', optional: true },
    { deployments: ['syncresources'], component: 'cluster resource sync', backend: 'syncresources', valuesKey: 'cluster_resource_manager', optional: true },
    { deployments: ['flyteconnector'], component: 'flyteconnector', backend: 'flyteconnector', valuesKey: 'flyteconnector', optional: true },
  ], (x) => x.deployments[0]!);
}

export interface FlyteService { name: string; optional: boolean; component: string; backend: string }

/** The Services clients and the API server call (facts §A1, §A2). */
export function flyteServices(t: ChartNames & { ingress?: { separateGrpcIngress: boolean } | undefined }): FlyteService[] {
  if ((t.chart ?? 'flyte-binary') === 'flyte-binary') {
    const fn = t.fullname ?? binaryFullname(t.kubernetes.release);
    return [
      { name: `${fn}-http`, optional: false, component: 'flyte-binary', backend: 'flyteadmin' },
      { name: `${fn}-grpc`, optional: t.ingress ? !t.ingress.separateGrpcIngress : true, component: 'flyte-binary', backend: 'flyteadmin' },
      { name: `${fn}-webhook`, optional: false, component: 'flyte-binary', backend: 'flyteadmin' },
    ];
  }
  return byValues(t, [
    { name: 'flyteadmin', optional: false, component: 'flyteadmin', backend: 'flyteadmin' },
    { name: 'flyteconsole', optional: false, component: 'flyteconsole', backend: 'flyteconsole' },
    { name: 'datacatalog', optional: false, component: 'datacatalog', backend: 'datacatalog' },
    { name: 'flyte-pod-webhook', optional: false, component: 'flyte-pod-webhook', backend: 'flyte-pod-webhook' },
  ], (x) => x.name);
}

/** Name of the MutatingWebhookConfiguration the webhook registers (facts §A4). */
export function webhookConfigName(t: ChartNames): string {
  return (t.chart ?? 'flyte-binary') === 'flyte-binary' ? `${t.fullname ?? binaryFullname(t.kubernetes.release)}-webhook` : 'flyte-pod-webhook';
}

/** The Deployment that registers the webhook, and the Secret holding its certificates (facts §A4, K4). */
export function webhookOwner(t: ChartNames): { deployment: string; secret: string } {
  if ((t.chart ?? 'flyte-binary') === 'flyte-binary') { const fn = t.fullname ?? binaryFullname(t.kubernetes.release); return { deployment: fn, secret: `${fn}-webhook-secret` }; }
  return { deployment: 'flyte-pod-webhook', secret: 'flyte-pod-webhook' };
}

/**
 * flyte-binary objects are named after the release (`<release>-flyte-binary`), which the values do not
 * say. When the Deployment for the target's release is absent and exactly one Deployment in the
 * namespace carries the chart's label `app.kubernetes.io/name=flyte-binary`, that one is the install:
 * its name is the fullname (also covers fullnameOverride). flyte-core names are fixed.
 */
export async function resolveChartNames<T extends ChartNames>(s: KubeSession, t: T, signal: AbortSignal): Promise<T & { detected?: string }> {
  if ((t.chart ?? 'flyte-binary') !== 'flyte-binary' || t.fullname) return t;
  const ns = encodeURIComponent(t.kubernetes.namespace ?? 'flyte');
  const expected = binaryFullname(t.kubernetes.release);
  if (await s.getOptional(`/apis/apps/v1/namespaces/${ns}/deployments/${encodeURIComponent(expected)}`, signal)) return t;
  const found = await s.list<{ metadata: { name: string; labels?: unknown } }>(`/apis/apps/v1/namespaces/${ns}/deployments`, signal, { labelSelector: 'app.kubernetes.io/name=flyte-binary' });
  if (found.length !== 1) return t;
  const d = found[0]!;
  const labels = isObj(d.metadata.labels) ? d.metadata.labels : {};
  const release = typeof labels['app.kubernetes.io/instance'] === 'string' ? labels['app.kubernetes.io/instance'] : t.kubernetes.release;
  return { ...t, fullname: d.metadata.name, kubernetes: { ...t.kubernetes, release },
    detected: `no Deployment ${expected} (release "${t.kubernetes.release}"); using ${d.metadata.name}, the only flyte-binary Deployment (release "${release}")` };
}

/** ConfigMaps and Secrets the chart itself creates (a missing one means the release is incomplete: helm upgrade). */
export function chartCreatedObject(t: ChartNames, name: string): boolean {
  if ((t.chart ?? 'flyte-binary') === 'flyte-binary') return name.startsWith(t.fullname ?? binaryFullname(t.kubernetes.release));
  return ['flyte-admin-base-config', 'flyte-admin-clusters-config', 'datacatalog-config', 'flyte-propeller-config', 'flyte-console-config', 'flyte-scheduler-config',
    'clusterresource-template', 'flyte-clusterresourcesync-config', 'flyte-admin-secrets', 'flyte-pod-webhook', 'flyte-secret-auth', 'flyte-sandbox-config'].includes(name);
}

// ---------------------------------------------------------------------------------------------
// Init containers the charts add (facts §A1, §A2, C1)
// ---------------------------------------------------------------------------------------------

export interface InitContainerRole {
  /** What it does, for messages: "waits until the database answers pg_isready". */
  does: string;
  /** What it needs: the database, the Kubernetes API (RBAC on Secrets), flyteadmin. */
  needs: 'database' | 'kubernetes-secrets' | 'flyteadmin' | 'kubernetes';
  /** Values key of its image / command for the chart. */
  valuesKey?: string;
}

/** Flyte's init containers by name. */
export const INIT_CONTAINERS: Record<string, InitContainerRole> = {
  'wait-for-db': { does: 'waits until the database answers pg_isready', needs: 'database', valuesKey: 'deployment.waitForDB' },
  'run-migrations': { does: 'runs the database migrations', needs: 'database' },
  'seed-projects': { does: 'creates the initial projects in the database', needs: 'database' },
  'sync-cluster-resources': { does: 'creates the project namespaces and their resources', needs: 'kubernetes' },
  'generate-secrets': { does: 'generates a Secret (admin auth secrets, or the webhook certificates)', needs: 'kubernetes-secrets' },
  'gen-admin-auth-secret': { does: 'generates the admin auth Secret', needs: 'kubernetes-secrets', valuesKey: 'deployment.genAdminAuthSecret' },
  'flytescheduler-check': { does: 'waits until flyteadmin answers', needs: 'flyteadmin' },
};

/** `pg_isready -h <host> -p <port> -U <user>` in a container's command/args (the wait-for-db loop). */
export function waitForDbTarget(container: unknown): { host: string; port: number; user?: string } | undefined {
  if (!isObj(container)) return undefined;
  const words = [...(Array.isArray(container['command']) ? container['command'] : []), ...(Array.isArray(container['args']) ? container['args'] : [])]
    .filter((w): w is string => typeof w === 'string').join(' ');
  const host = /(?:^|\s)-h\s+["']?([^\s"'\\]+)/.exec(words)?.[1] ?? /--host[= ]["']?([^\s"'\\]+)/.exec(words)?.[1];
  if (!host) return undefined;
  const port = Number(/(?:^|\s)-p\s+["']?(\d+)/.exec(words)?.[1] ?? /--port[= ]["']?(\d+)/.exec(words)?.[1] ?? 5432);
  const user = /(?:^|\s)-U\s+["']?([^\s"'\\]+)/.exec(words)?.[1];
  return { host, port, ...(user ? { user } : {}) };
}

/** Values keys for a component's pod settings, for hints. */
export function podValuesKeys(chart: Chart, valuesKey: string): { image: string; resources: string; scheduling: string; pullSecrets: string; probe: string; replicas: string; env: string } {
  if (chart === 'flyte-binary') {
    return {
      image: 'deployment.image.repository / deployment.image.tag', resources: 'deployment.resources', scheduling: 'deployment.extraPodSpec (nodeSelector, tolerations, affinity)',
      pullSecrets: 'serviceAccount.imagePullSecrets', probe: 'deployment.readinessProbe', replicas: 'the Deployment (flyte-binary runs 1 replica)', env: 'deployment.extraEnvVarsSecret / deployment.extraEnvVarsConfigMap',
    };
  }
  return {
    image: `${valuesKey}.image.repository / ${valuesKey}.image.tag`, resources: `${valuesKey}.resources`, scheduling: `${valuesKey}.nodeSelector / ${valuesKey}.tolerations / ${valuesKey}.affinity`,
    pullSecrets: `${valuesKey}.serviceAccount.imagePullSecrets`, probe: `${valuesKey}.readinessProbe`, replicas: `${valuesKey}.replicaCount`, env: `${valuesKey}.extraEnvVars`,
  };
}
