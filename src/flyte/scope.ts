// What a run checks and what it does not, from what the inputs are: the chart whose values were
// given (flyte-binary, flyte-core, the flyte umbrella, flyte-sandbox, flyte-deps, flyteconnector),
// the components the values turn off, and the identity the storage probes use. Shown in --dry-run
// and at the head of every report, so "not checked" is never silent.
import type { Target } from '../config/target.js';

const DEPENDENCIES: Record<string, string> = {
  flyte: 'postgres, minio, redis, contour, kubernetes-dashboard, sparkoperator, daskoperator, flyteconnector',
  'flyte-sandbox': 'postgresql, minio, docker-registry, kubernetes-dashboard',
};

export function scopeLines(t: Target): string[] {
  const out: string[] = [];
  const name = t.chartName;
  if (name === 'flyte-deps') {
    out.push("flyte-deps values: Flyte's dependencies only (PostgreSQL, MinIO, contour, …), no Flyte component: checked are the Kubernetes cluster and namespace; the database, object store, endpoint and Flyte's components are checked from the flyte-core values (-f) that use these dependencies");
  } else if (name === 'flyteconnector') {
    out.push('flyteconnector values: the connector service only: checked are the Kubernetes cluster and namespace; Flyte itself is checked from the flyte-binary or flyte-core values (-f), whose enabled_plugins/connector settings point at this service');
  } else if (name === 'flyte' || name === 'flyte-sandbox') {
    out.push(`${name} umbrella chart: checked is its ${t.chart} subchart as configured under ${name === 'flyte' ? 'flyte.*' : 'flyte-binary.*'} (database, storage, ingress, auth, components); its bundled dependencies (${DEPENDENCIES[name]}) are not checked as components, only through Flyte's use of them (the database and object-store probes)`);
  } else if (!t.chart && t.deployedInputs?.length) {
    out.push(`from Flyte's server config (${t.deployedInputs.join(', ')}): the database, object store and auth as the servers read them; Flyte's Kubernetes objects (components, Services, webhook) need the values (-f) or the rendered manifests (--manifests)`);
  } else if (!t.chart) {
    out.push('no chart values given: checked are the Kubernetes cluster, the client config and the endpoint; the database, object store and Flyte components need the values file (-f)');
  }
  const comps = t.components ?? [];
  const off = comps.filter((c) => !c.enabled);
  if (t.chart === 'flyte-core' && comps.length) {
    out.push(`deploys: ${comps.filter((c) => c.enabled).map((c) => c.name).join(', ') || 'nothing'}`);
    const notDeployed = off.filter((c) => !c.note);
    if (notDeployed.length) out.push(`not deployed by these values, so not checked: ${notDeployed.map((c) => `${c.name} (${c.source})`).join('; ')}`);
    for (const c of off.filter((x) => x.note)) out.push(`${c.name}: ${c.note}`);
  } else if (t.chart === 'flyte-binary' && off.length) {
    out.push(`turned off inside the binary, so not checked: ${off.map((c) => `${c.name} (${c.source})`).join('; ')}`);
  }
  if (t.inCluster) {
    out.push(`running inside the cluster (${t.runtime?.ranAt ?? 'in-cluster'}): cluster-internal names are judged, and storage probes use the pod's identity${t.runtime?.storageIdentity ? ` (${t.runtime.storageIdentity})` : ''}`);
  } else {
    for (const id of t.identities ?? []) {
      out.push(`${id.component} runs as ${id.kind} ${id.value} (${id.source}); storage probes from here use this machine's credentials, not that identity: run with --in-cluster to check Flyte's own rights`);
    }
  }
  return out;
}
