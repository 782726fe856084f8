// Workload identity from the values: the cloud identity each Flyte service account runs as (EKS
// IRSA `eks.amazonaws.com/role-arn`, GKE `iam.gke.io/gcp-service-account`, Azure
// `azure.workload.identity/client-id`), and the default identity of task pods from the cluster
// resource templates' customData (defaultIamRole / defaultIamServiceAccount). From the operator's
// machine the storage probes use the operator's credentials, so the report says whose rights were
// not checked (--in-cluster checks them).
import type { Reader } from '../config/charts.js';
import type { Chart, WorkloadIdentity } from '../config/target.js';
import { isDict } from '../config/values.js';

const ANNOTATIONS: [string, WorkloadIdentity['kind']][] = [
  ['eks.amazonaws.com/role-arn', 'AWS IAM role (IRSA)'],
  ['iam.gke.io/gcp-service-account', 'GCP service account (GKE Workload Identity)'],
  ['azure.workload.identity/client-id', 'Azure managed identity (Azure Workload Identity)'],
];

const CORE_ACCOUNTS: [string, string][] = [
  ['flyteadmin', 'flyteadmin'], ['datacatalog', 'datacatalog'], ['flytepropeller', 'flytepropeller'],
  ['flytescheduler', 'flytescheduler'], ['webhook', 'flyte-pod-webhook'], ['flyteconsole', 'flyteconsole'],
];

export function identitiesFromValues(chart: Chart, r: Reader): WorkloadIdentity[] {
  const out: WorkloadIdentity[] = [];
  const fromAnnotations = (prefix: string, component: string) => {
    const ann = r.raw(`${prefix}.annotations`);
    if (!isDict(ann)) return;
    for (const [key, kind] of ANNOTATIONS) {
      const v = ann[key];
      if (typeof v !== 'string' || !v.trim()) continue;
      const path = [...prefix.split('.'), 'annotations', key];
      out.push({ kind, value: v.trim(), key: `${prefix}.annotations.${key}`, source: r.prov(path), component });
    }
  };
  if (chart === 'flyte-binary') fromAnnotations('serviceAccount', 'flyte-binary');
  else for (const [k, comp] of CORE_ACCOUNTS) fromAnnotations(`${k}.serviceAccount`, comp);

  // Task pods: the default service account of each project-domain namespace (cluster resource templates).
  const customKey = chart === 'flyte-binary' ? 'configuration.inline.cluster_resources.customData' : 'cluster_resource_manager.config.cluster_resources.customData';
  const custom = r.raw(customKey);
  if (Array.isArray(custom)) {
    custom.forEach((entry, i) => {
      if (!isDict(entry)) return;
      for (const [domain, items] of Object.entries(entry)) {
        if (!Array.isArray(items)) continue;
        items.forEach((item, j) => {
          if (!isDict(item)) return;
          for (const [name, kind] of [['defaultIamRole', 'AWS IAM role (IRSA)'], ['defaultIamServiceAccount', 'GCP service account (GKE Workload Identity)']] as const) {
            const holder = item[name];
            const v = isDict(holder) ? holder['value'] : undefined;
            if (typeof v !== 'string' || !v.trim()) continue;
            const path = [...customKey.split('.'), i, domain, j, name, 'value'];
            out.push({ kind, value: v.trim(), key: `${customKey}[${i}].${domain}[${j}].${name}.value`, source: r.prov(path), component: `task pods (${domain})` });
          }
        });
      }
    });
  }
  return out;
}
