// What an input file is, when it is passed with the wrong flag: a kubeconfig given as the flytectl
// config or as values, a flytectl config given as the kubeconfig or as values, Helm values given as
// either config. Loaded as they are, each would be read as an empty input of the other kind (no
// endpoint, no context, no chart) and the run would fall back to defaults without a word.
type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why a map is a kubeconfig, or undefined. */
export function kubeconfigReason(d: Dict): string | undefined {
  const lists = ['clusters', 'contexts', 'users'].filter((k) => Array.isArray(d[k]));
  if (d['kind'] === 'Config' && (lists.length || 'current-context' in d)) return `kind: Config${lists.length ? ` with ${lists.join(', ')}` : ''}`;
  if (lists.includes('clusters') && lists.includes('contexts')) return 'clusters and contexts lists';
  return undefined;
}

/** Why a map is a flytectl / flytekit config (admin.endpoint), or undefined. */
export function flytectlReason(d: Dict): string | undefined {
  const admin = d['admin'];
  if (!isDict(admin) || typeof admin['endpoint'] !== 'string') return undefined;
  if ('configuration' in d || 'db' in d || 'configmap' in d || 'clusters' in d) return undefined;
  return 'admin.endpoint';
}
