// Shared by the client.* and tls.admin.* checks.
import { adminEndpoint, hostPort } from '../../src/config/endpoints.js';
import type { CheckContext, Outcome } from '../../src/engine/types.js';

/** messageId of dns.admin.resolve for a cluster-internal admin host that does not resolve from here. */
export const CLUSTER_INTERNAL_ID = 'clusterInternal';

/**
 * A skip for a check of the admin endpoint when dns.admin.resolve found a cluster-internal host
 * (`flyteadmin.flyte.svc.cluster.local`, a single-label Service name) that does not resolve from
 * this machine: nothing about it can be judged from here. Undefined otherwise.
 */
export function uncheckableHere(ctx: CheckContext): Outcome<never> | undefined {
  const dns = ctx.result('dns.admin.resolve');
  if (dns?.messageId !== CLUSTER_INTERNAL_ID) return undefined;
  const e = adminEndpoint(ctx.target);
  return { status: 'skip', message: `${e ? hostPort(e) : 'the admin endpoint'} is a cluster-internal address: it cannot be checked from this machine (run flyte-doctor with --in-cluster, or dial the ingress host)` };
}
