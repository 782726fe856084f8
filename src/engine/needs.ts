// Whether the target has the part a check needs; otherwise the reason it is skipped.
import type { Placeholder, Target } from '../config/target.js';
import { component } from '../flyte/components.js';
import type { Instance, Need } from './types.js';

/** flyteadmin turned off by the values (a data-plane install): nothing here serves the admin API. */
function adminOff(target: Target): string | undefined {
  const c = component(target, target.chart === 'flyte-core' ? 'flyteadmin' : 'admin');
  return c && !c.enabled ? `flyteadmin is disabled in these values (${c.source}): a data-plane install serves no admin API or console; check those with the control plane's values` : undefined;
}

export function missingNeed(target: Target, need: Need): string | undefined {
  switch (need) {
    case 'flyteadmin':
      return adminOff(target);
    case 'webhook': {
      const names = target.chart === 'flyte-core' ? ['flyte-pod-webhook'] : ['propeller', 'webhook'];
      const off = names.map((n) => component(target, n)).find((c) => c && !c.enabled);
      return off ? `the pod webhook is not deployed by these values (${off.source})` : undefined;
    }
    case 'kubernetes':
      return undefined; // the kubeconfig is resolved by the kube client; kubernetes.config.load reports a missing one
    case 'database': {
      if (target.databases.length) return undefined;
      const off = ['flyteadmin', 'datacatalog'].map((n) => component(target, n)).filter((c) => c && !c.enabled);
      if (target.chart === 'flyte-core' && off.length === 2) return `flyteadmin and datacatalog are disabled in these values (${off.map((c) => c!.source).join('; ')}): this install uses no database`;
      return 'no database configured (values: configuration.database.* or db.admin.database.*)';
    }
    case 'storage':
      return target.storage ? undefined : 'no object store configured (values: configuration.storage.* or storage.*)';
    case 'storage.s3':
      if (!target.storage) return 'no object store configured';
      return target.storage.provider === 's3' ? undefined : `storage provider is ${target.storage.provider}, not S3`;
    case 'storage.gcs':
      if (!target.storage) return 'no object store configured';
      return target.storage.provider === 'gcs' ? undefined : `storage provider is ${target.storage.provider}, not GCS`;
    case 'dataplanes':
      return target.dataPlanes ? undefined : 'not a multi-cluster flyte-core install (no configmap.clusters.clusterConfigs in the values, no --data-plane NAME=CONTEXT)';
    case 'storage.azure':
      if (!target.storage) return 'no object store configured';
      return target.storage.provider === 'azure' ? undefined : `storage provider is ${target.storage.provider}, not Azure Blob`;
    case 'endpoint':
      // A client endpoint (flytectl config, --endpoint) points at the control plane: still checkable.
      if (!target.client.host && adminOff(target)) return adminOff(target);
      return target.client.host || target.ingress?.grpcAddress ? undefined : 'no Flyte admin endpoint known (set admin.endpoint in the flytectl config, or --endpoint)';
    case 'ingress':
      if (!target.client.host && adminOff(target)) return adminOff(target);
      return target.ingress?.httpUrl || target.ingress?.host ? undefined : 'no ingress host known (values ingress.host / common.ingress.host, --endpoint, or the flytectl endpoint)';
    case 'auth':
      return target.auth.enabled ? undefined : 'auth is not enabled (configuration.auth.enabled / configmap.adminServer.server.security.useAuth)';
  }
}

/** The check that reports placeholders; probes reading a placeholder wait for it (and are blocked). */
export const PLACEHOLDER_CHECK = 'values.inputs.placeholders';

/** Target fields each need's probes read. */
const NEED_FIELDS: Record<Need, RegExp | undefined> = {
  kubernetes: undefined,
  flyteadmin: undefined,
  webhook: undefined,
  database: /^databases\[/,
  // the buckets are per instance (bucketInstances): a bucket placeholder blocks only its own probes
  storage: /^storage\.(endpoint|region|accessKey|secretKey|projectId)$/,
  'storage.s3': /^storage\.(endpoint|region|accessKey|secretKey)$/,
  'storage.gcs': /^storage\.projectId$/,
  dataplanes: /^dataPlanes\./,
  'storage.azure': /^storage\.(account|endpoint|domainSuffix|secretKey|sasToken)$/,
  endpoint: /^(client\.(endpoint|host)|ingress\.(host|grpcAddress|httpUrl))$/,
  ingress: /^ingress\.(host|httpUrl|grpcAddress)$/,
  auth: /^auth\.(oidcIssuer|oidcClientId|clientSecret)$/,
};

/**
 * The placeholders a check (or one instance of it) would probe: the instance's own fields when it
 * declares them, otherwise the fields of the check's needs.
 */
export function placeholderHits(target: Target, needs: readonly Need[] | undefined, instance?: Instance): Placeholder[] {
  const all = target.placeholders ?? [];
  if (!all.length) return [];
  const match = instance?.fields
    ? (f: string) => instance.fields!.some((x) => (x.endsWith('.') ? f.startsWith(x) : f === x))
    : (f: string) => (needs ?? []).some((n) => NEED_FIELDS[n]?.test(f) ?? false);
  return all.filter((p) => p.fields.some(match));
}
