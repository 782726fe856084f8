// Merging the pod's report into the local run. Every result says where it ran. Per check (and
// instance) one result stays, so root causes and `explainedBy` keys stay unambiguous:
//   - the pod's result wins where Flyte's own view is the truth: the database and object-store checks
//     (its network, its identity), and every local result that could not be judged from this machine
//     ("cannot be checked from this machine": cluster-internal names, private addresses, identity);
//   - otherwise the local result stays (the operator's view: kubeconfig RBAC, ingress and clients
//     from outside), and the pod's differing verdict is kept in its details (`inCluster`).
// A pod result that was only a skip never replaces a local verdict.
import { markRootCauses } from '../engine/causes.js';
import { compareResults, nodeKey } from '../engine/run.js';
import type { Check, CheckResult, Json } from '../engine/types.js';

/** Local findings that say "not from here": the pod's verdict replaces them. */
export const NOT_FROM_HERE_IDS = new Set([
  'notFromHere', 'cannotCheckHere', 'clusterInternal', 'notCheckedHere', 'noCredentialsHere', 'deniedForThisMachine',
  'thisMachineCredentialsRejected', 'localCredentialsFailed', 'passwordNotHere',
]);
const POD_AREAS = new Set(['database', 'storage']);

export function mergeResults(local: readonly CheckResult[], pod: readonly CheckResult[], podRanAt: string, checks: readonly Pick<Check, 'id' | 'dependsOn'>[]): CheckResult[] {
  const byKey = new Map<string, CheckResult>();
  for (const r of local) byKey.set(nodeKey(r.id, r.instance), { ...r, ranAt: r.ranAt ?? 'local' });
  for (const p0 of pod) {
    const p: CheckResult = { ...p0, ranAt: p0.ranAt ?? podRanAt };
    const key = nodeKey(p.id, p.instance);
    const l = byKey.get(key);
    if (!l) { byKey.set(key, p); continue; }
    const localUnjudged = (l.messageId !== undefined && NOT_FROM_HERE_IDS.has(l.messageId)) || /^cannot be checked from this machine/.test(l.message) || l.status === 'skip';
    const podJudged = p.status !== 'skip';
    if (podJudged && (localUnjudged || POD_AREAS.has(p.area))) {
      byKey.set(key, { ...p, details: { ...(p.details ?? {}), local: { status: l.status, message: l.message, ...(l.messageId ? { messageId: l.messageId } : {}) } as Json } });
    } else if (p.status !== l.status || p.messageId !== l.messageId) {
      byKey.set(key, { ...l, details: { ...(l.details ?? {}), inCluster: { ranAt: p.ranAt!, status: p.status, message: p.message, ...(p.messageId ? { messageId: p.messageId } : {}) } as Json } });
    }
  }
  const out = [...byKey.values()].sort(compareResults);
  markRootCauses(out, new Map(checks.map((c) => [c.id, c])));
  return out;
}
