// The parts of --in-cluster that the CLI needs at start: the defaults, where the pod runs and as
// whom, and the cleanups in progress (for a second Ctrl-C). The launcher itself (launcher.ts: the
// API client, child_process, zlib) is imported only when a run goes in-cluster.
import type { Target } from '../config/target.js';
import { binaryFullname } from '../flyte/kubernetes.js';

export const DEFAULT_IMAGE_REPOSITORY = 'flyte-doctor';
export const DEFAULT_IN_CLUSTER_TIMEOUT_MS = 5 * 60_000;

/** Cleanups in progress (for a second Ctrl-C: what may be left and the command). */
export const pendingCleanups = new Set<{ label: string; command: string }>();
export function pendingInCluster(): { label: string; command: string }[] { return [...pendingCleanups]; }

/** Where the pod runs and as whom: --project-domain → `<project>-<domain>`/default; else the Flyte namespace and the chart's account. */
export function placement(t: Target, o: { serviceAccount?: string; projectDomain?: string }): { namespace: string; serviceAccount: string; why: string } {
  if (o.projectDomain) {
    const ns = o.projectDomain;
    return { namespace: ns, serviceAccount: o.serviceAccount ?? 'default', why: o.serviceAccount ? '--service-account' : `--project-domain: the default service account of task pods in ${ns} (Flyte runs tasks as "default" unless the workflow names another)` };
  }
  const ns = t.kubernetes.namespace;
  if (o.serviceAccount) return { namespace: ns, serviceAccount: o.serviceAccount, why: '--service-account' };
  if (t.chart === 'flyte-core') return { namespace: ns, serviceAccount: 'flyteadmin', why: 'flyte-core: flyteadmin\'s account (it reads the admin database and the metadata bucket; check flytepropeller and datacatalog with --service-account)' };
  const fn = binaryFullname(t.kubernetes.release);
  return { namespace: ns, serviceAccount: fn, why: `flyte-binary: the single binary's account ${fn} (serviceAccount.name when the values set one: pass it with --service-account)` };
}
