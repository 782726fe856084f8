// Values that name the namespace `flyte` where the release goes to another one (failure mode K6,
// flyte-namespace-hardcoded). flyte-core's defaults hard-code it in two places a deployer rarely
// sees: flytepropeller's leader-election lock (configmap.core.propeller.leader-election.lock-config-map.namespace)
// and the in-cluster authorizedUris entry (http://flyteadmin.flyte.svc.cluster.local:80); values
// copied from examples add endpoints such as flyteadmin.flyte.svc.cluster.local:81 or
// k8s://flyteconnector.flyte:8000. Installed into another namespace, the lock is looked for where
// there is none (or shared with another install), those names do not resolve, and in-cluster
// clients of other namespaces are not authorized.
import { CHART_DEFAULT, formatPath, isDict, type MergedValues, type Path } from '../config/values.js';

/** The namespace the charts' own defaults and examples name. */
export const CHART_NAMESPACE = 'flyte';

export interface NamespaceLiteral {
  /** The values key (`configmap.adminServer.auth.authorizedUris[2]`). */
  key: string;
  /** Where it is set (a file, --set, or `chart default`). */
  origin: string;
  value: string;
  /** The value with the release namespace instead. */
  meant: string;
  /** lock: the leader-election lock's namespace; uri: an authorizedUris entry; endpoint: a Flyte service's address. */
  kind: 'lock' | 'uri' | 'endpoint';
}

// A Flyte component's Service name followed by `.flyte` as a DNS label (`flyteadmin.flyte.svc.cluster.local`,
// `flyteconnector.flyte:8000`, `flyte-backend-flyte-binary-grpc.flyte.svc`)
const SERVICE_IN_FLYTE = /\b((?:[a-z0-9-]*-)?(?:flyteadmin|datacatalog|flyteconnector|flyteagent|flytepropeller|flyte-pod-webhook|flyteconsole|flytescheduler|flyte-binary(?:-[a-z0-9]+)*))\.flyte(?=\.svc\b|[:/]|$)/g;

/** Every value that names the namespace `flyte` for a Flyte component, when the release goes to `namespace`. */
export function namespaceLiterals(mv: MergedValues, namespace: string): NamespaceLiteral[] {
  if (namespace === CHART_NAMESPACE) return [];
  const out: NamespaceLiteral[] = [];
  const walk = (v: unknown, path: Path): void => {
    if (typeof v === 'string') {
      const rel = path.slice(mv.prefix.length).map(String);
      const key = formatPath(path);
      const origin = mv.originOf(path);
      if (rel.slice(-2).join('.') === 'lock-config-map.namespace' && v.trim() === CHART_NAMESPACE) {
        out.push({ key, origin, value: v, meant: namespace, kind: 'lock' });
        return;
      }
      SERVICE_IN_FLYTE.lastIndex = 0;
      if (SERVICE_IN_FLYTE.test(v)) {
        SERVICE_IN_FLYTE.lastIndex = 0;
        const meant = v.replace(SERVICE_IN_FLYTE, `$1.${namespace}`);
        out.push({ key, origin, value: v, meant, kind: rel.includes('authorizedUris') ? 'uri' : 'endpoint' });
      }
      return;
    }
    if (Array.isArray(v)) { v.forEach((x, i) => walk(x, [...path, i])); return; }
    if (isDict(v)) for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(mv.root, []);
  return out;
}

/** Whether a literal comes from the chart's own defaults (the deployer did not write it). */
export const fromChartDefault = (l: NamespaceLiteral): boolean => l.origin === CHART_DEFAULT;
