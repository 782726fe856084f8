import { isObj, KubeError, type KubeSession, formatCpu, formatMem, kubectl, parseQuantity, quantityOr0 } from '../../src/clients/kube.js';
import { API_MESSAGES, withKube } from './_support.js';
import type { Target } from '../../src/config/target.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';

export interface PodNeed { name: string; cpu: number; mem: number }

/** Default requests of the chart's pods (facts §H, flyte-core values.yaml; flyte-binary sets none). */
export function chartRequests(target: Target): PodNeed[] {
  if ((target.chart ?? 'flyte-binary') === 'flyte-binary') return [];
  const Mi = 2 ** 20;
  return [
    { name: 'flyteadmin', cpu: 0.01, mem: 50 * Mi },
    { name: 'datacatalog', cpu: 0.01, mem: 50 * Mi },
    { name: 'flytepropeller', cpu: 0.01, mem: 100 * Mi },
    { name: 'flyteconsole', cpu: 0.01, mem: 50 * Mi },
    { name: 'flyte-pod-webhook', cpu: 0.2, mem: 500 * Mi },
  ];
}

/** One task pod with the task resource defaults (values, else flyte-core's 100m / 500Mi). */
export function taskPod(target: Target): PodNeed {
  const d = target.taskResourceDefaults ?? {};
  return { name: 'task pod (task resource defaults)', cpu: parseQuantity(d.cpu ?? '100m'), mem: parseQuantity(d.memory ?? '500Mi') };
}

interface NodeObj { metadata: { name: string }; spec?: unknown; status?: unknown }
interface PodObj { spec?: unknown }

/** Effective request of a pod: max(sum of containers, largest init container) + overhead. Odd values count as 0. */
export function podRequest(p: PodObj): { cpu: number; mem: number } {
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  const req = (c: unknown, key: string) => { const r = isObj(c) && isObj(c['resources']) && isObj(c['resources']['requests']) ? c['resources']['requests'][key] : undefined; return quantityOr0(r); };
  const spec: Record<string, any> = isObj(p.spec) ? p.spec : {};
  const sum = (cs: unknown, key: string) => list(cs).reduce((a: number, c) => a + req(c, key), 0);
  const maxInit = (key: string) => Math.max(0, ...list(spec.initContainers).map((c) => req(c, key)));
  const one = (key: string) => Math.max(sum(spec.containers, key), maxInit(key)) + quantityOr0(isObj(spec.overhead) ? spec.overhead[key] : undefined);
  return { cpu: one('cpu'), mem: one('memory') };
}

export interface NodeFree { name: string; cpu: number; mem: number; allocCpu: number; allocMem: number }

/** First-fit decreasing placement of `pods` on the nodes' free capacity; returns the pods that fit nowhere. */
export function place(pods: readonly PodNeed[], nodes: readonly NodeFree[]): { unplaced: PodNeed[]; free: NodeFree[] } {
  const free = nodes.map((n) => ({ ...n }));
  const unplaced: PodNeed[] = [];
  for (const p of [...pods].sort((a, b) => b.mem - a.mem || b.cpu - a.cpu)) {
    const n = free.find((f) => f.cpu >= p.cpu && f.mem >= p.mem);
    if (!n) { unplaced.push(p); continue; }
    n.cpu -= p.cpu; n.mem -= p.mem;
  }
  return { unplaced, free };
}

export const TIGHT = 0.8;

export default defineCheck({
  id: 'kubernetes.capacity.resources',
  title: 'Schedulable nodes have room for the chart\'s pods and a task pod',
  phases: ['preflight'],
  needs: ['kubernetes'],
  dependsOn: ['kubernetes.api.reachable'],
  timeoutMs: 30_000,
  messages: {
    enough: { status: 'pass', summary: 'The schedulable nodes have room for the chart\'s pods and a task pod.' },
    tight: { status: 'warn', summary: 'The pods fit, but they take more than 80% of what is free.' },
    insufficient: { status: 'fail', summary: 'A pod the install needs fits on no schedulable node; it would stay Pending.' },
    insufficientAutoscaled: { status: 'warn', summary: 'A pod fits on no current node, but a cluster autoscaler (Cluster Autoscaler status, Karpenter) may add one: Pending until it does, if its limits allow.' },
    noSchedulableNodes: { status: 'warn', summary: 'No node is schedulable (all cordoned, not Ready or tainted).' },
    cannotList: { status: 'warn', summary: 'The identity may not list nodes or pods cluster-wide, so capacity cannot be checked.' },
    ...API_MESSAGES,
  },
  explain: {
    what: 'Lists nodes and the pods bound to nodes (paginated; a backlog of Pending pods is not transferred) and compares the free allocatable CPU and memory of schedulable nodes (Ready, not cordoned, no NoSchedule/NoExecute taint) with the requests of the chart\'s pods (flyte-core defaults; flyte-binary sets none) plus one task pod with the task resource defaults.',
    why: 'Pods that fit nowhere stay Pending ("0/3 nodes are available: Insufficient cpu") and executions sit in Queued without a visible reason.',
    fix: 'Add nodes (or let the autoscaler), lower the requests in the values (flyte-core `<component>.resources.requests`, task defaults `configmap.task_resource_defaults`), or remove taints the Flyte pods do not tolerate.',
  },
  async run(ctx) {
    return withKube(ctx, 'nodes and pods', async (s, signal) => {
    const k = kubectl(ctx.target.kubernetes);
    let nodes: NodeObj[];
    let podsCounted: number;
    // Requests of the pods bound to each node, folded page by page (10,000 pods never sit in memory).
    const used = new Map<string, { cpu: number; mem: number }>();
    try {
      nodes = await s.list<NodeObj>('/api/v1/nodes', signal);
      podsCounted = await s.forEach<PodObj>('/api/v1/pods', signal, (p) => {
        const n = isObj(p.spec) && typeof p.spec.nodeName === 'string' ? p.spec.nodeName : undefined; if (!n) return;
        const r = podRequest(p), u = used.get(n) ?? { cpu: 0, mem: 0 };
        u.cpu += r.cpu; u.mem += r.mem; used.set(n, u);
      }, { fieldSelector: 'spec.nodeName!=,status.phase!=Succeeded,status.phase!=Failed' });
    } catch (e) {
      if (e instanceof KubeError && e.kind === 'forbidden') {
        return { status: 'warn' as const, messageId: 'cannotList' as const, cause: cause.denied('kubernetes', s.identity.user || 'anonymous', 'list nodes and pods (cluster-wide)'), message: `user "${s.identity.user}" may not list nodes or pods cluster-wide, so capacity cannot be checked: ${e.message}`, details: { error: e.message },
          hint: `check as an admin: \`${k} describe nodes | grep -A5 Allocated\`; or grant list on nodes and pods (\`kubectl create clusterrolebinding <name> --clusterrole=view --user=${s.identity.user}\` covers pods; nodes need a ClusterRole with list nodes)` };
      }
      throw e;
    }
    const excluded: string[] = [];
    const free: NodeFree[] = [];
    for (const n of nodes) {
      const st: Record<string, any> = isObj(n.status) ? n.status : {};
      const spec: Record<string, any> = isObj(n.spec) ? n.spec : {};
      const ready = (Array.isArray(st.conditions) ? st.conditions : []).some((c: unknown) => isObj(c) && c.type === 'Ready' && c.status === 'True');
      const taint = (Array.isArray(spec.taints) ? spec.taints : []).find((t: unknown) => isObj(t) && (t.effect === 'NoSchedule' || t.effect === 'NoExecute')) as { key?: string; effect?: string } | undefined;
      if (spec.unschedulable === true) { excluded.push(`${n.metadata.name} (cordoned)`); continue; }
      if (!ready) { excluded.push(`${n.metadata.name} (not Ready)`); continue; }
      if (taint) { excluded.push(`${n.metadata.name} (taint ${taint.key}:${taint.effect})`); continue; }
      const alloc: Record<string, any> = isObj(st.allocatable) ? st.allocatable : {};
      const allocCpu = quantityOr0(alloc.cpu), allocMem = quantityOr0(alloc.memory);
      const u = used.get(n.metadata.name) ?? { cpu: 0, mem: 0 };
      free.push({ name: n.metadata.name, allocCpu, allocMem, cpu: Math.max(0, allocCpu - u.cpu), mem: Math.max(0, allocMem - u.mem) });
    }
    const need = [...chartRequests(ctx.target), taskPod(ctx.target)];
    const needCpu = need.reduce((a, p) => a + p.cpu, 0), needMem = need.reduce((a, p) => a + p.mem, 0);
    const freeCpu = free.reduce((a, n) => a + n.cpu, 0), freeMem = free.reduce((a, n) => a + n.mem, 0);
    const allocCpu = free.reduce((a, n) => a + n.allocCpu, 0), allocMem = free.reduce((a, n) => a + n.allocMem, 0);
    const chart = ctx.target.chart ?? 'flyte-binary';
    const details = {
      chart, nodes: nodes.length, schedulableNodes: free.length, excludedNodes: excluded, podsCounted,
      allocatable: { cpu: formatCpu(allocCpu), memory: formatMem(allocMem) }, free: { cpu: formatCpu(freeCpu), memory: formatMem(freeMem) },
      freeCores: Number(freeCpu.toFixed(3)), freeBytes: freeMem, largestNodeFreeCores: Number(Math.max(0, ...free.map((n) => n.cpu)).toFixed(3)),
      needed: { cpu: formatCpu(needCpu), memory: formatMem(needMem) }, pods: need.map((p) => `${p.name} ${formatCpu(p.cpu)}/${formatMem(p.mem)}`),
      ...(chart === 'flyte-binary' ? { note: 'flyte-binary sets no resource requests by default (deployment.resources); only a task pod is counted' } : {}),
    };
    // Nodes left out only by a taint would take the pods that tolerate it: name the taints and the values keys.
    const tainted = excluded.filter((x) => x.includes('(taint '));
    const tolerateHint = tainted.length ? `; or let the Flyte pods tolerate the taint(s) of ${tainted.join(', ')} (${chart === 'flyte-core' ? '`<component>.tolerations`, e.g. `flyteadmin.tolerations`, `flytepropeller.tolerations`; task pods: `configmap.k8s.plugins.k8s.default-tolerations`' : '`deployment.extraPodSpec.tolerations`; task pods: `configuration.inline.plugins.k8s.default-tolerations`'})` : '';
    const cordoned = excluded.filter((x) => x.endsWith('(cordoned)'));
    const uncordonHint = cordoned.length ? `; or uncordon ${cordoned.map((x) => x.replace(/ \(cordoned\)$/, '')).join(', ')} (\`kubectl uncordon <node>\`)` : '';
    const notCounted = excluded.length ? ` (not counted: ${excluded.join(', ')})` : '';
    const lowerHint = chart === 'flyte-core' ? 'lower `<component>.resources.requests` (e.g. `webhook.resources.requests`) or `configmap.task_resource_defaults.task_resources.defaults`' : 'lower the task defaults (`configuration.inline.task_resources.defaults`)';
    if (free.length === 0) {
      return { status: 'warn' as const, messageId: 'noSchedulableNodes' as const, message: `no schedulable nodes (${nodes.length} node(s)${excluded.length ? `: ${excluded.join(', ')}` : ''}); Flyte pods will stay Pending unless the cluster autoscales from zero`, details,
        hint: `\`${k} get nodes\`; add a node pool${uncordonHint || ', uncordon nodes (`kubectl uncordon <node>`)'}${tolerateHint}` };
    }
    const { unplaced } = place(need, free);
    const summary = `free on ${free.length} schedulable node(s): ${formatCpu(freeCpu)} CPU / ${formatMem(freeMem)}; needed: ${formatCpu(needCpu)} CPU / ${formatMem(needMem)}`;
    if (unplaced.length > 0) {
      // An autoscaler adds nodes for Pending pods: what fits nowhere now may fit in a minute (or never, past its limits).
      const scaler = await autoscalerOf(s, signal);
      if (scaler) {
        return { status: 'warn' as const, messageId: 'insufficientAutoscaled' as const, message: `${unplaced.map((p) => `${p.name} (${formatCpu(p.cpu)} CPU / ${formatMem(p.mem)})`).join(', ')} fit(s) on no current node; ${summary}${notCounted}; ${scaler} may add a node for them: whether its node groups allow one this size cannot be judged from here`, details: { ...details, unplaced: unplaced.map((p) => p.name), autoscaler: scaler },
          hint: `check that the autoscaler's node groups (max size, instance types) can fit ${unplaced.map((p) => p.name).join(', ')}; otherwise add nodes or ${lowerHint}${tolerateHint}${uncordonHint}` };
      }
      return { status: 'fail' as const, messageId: 'insufficient' as const, message: `${unplaced.map((p) => `${p.name} (${formatCpu(p.cpu)} CPU / ${formatMem(p.mem)})`).join(', ')} fit(s) on no node; ${summary}${notCounted}`, details: { ...details, unplaced: unplaced.map((p) => p.name) },
        hint: `add nodes or ${lowerHint}${tolerateHint}${uncordonHint}; see \`${k} describe nodes | grep -A8 "Allocated resources"\`` };
    }
    if (needCpu > TIGHT * freeCpu || needMem > TIGHT * freeMem) {
      return { status: 'warn' as const, messageId: 'tight' as const, message: `capacity is tight: ${summary} (more than ${TIGHT * 100}% of what is free)`, details,
        hint: `add nodes or ${lowerHint}; see \`${k} describe nodes | grep -A8 "Allocated resources"\`` };
    }
    return { status: 'pass' as const, messageId: 'enough' as const, message: summary, details };
    });
  },
});

/** A cluster autoscaler the API shows: Cluster Autoscaler's status ConfigMap (EKS, AKS, GKE, self-run) or Karpenter's API group. */
async function autoscalerOf(s: KubeSession, signal: AbortSignal): Promise<string | undefined> {
  const ca = await s.getOptional('/api/v1/namespaces/kube-system/configmaps/cluster-autoscaler-status', signal).catch(() => undefined);
  if (ca) return 'Cluster Autoscaler (kube-system/cluster-autoscaler-status)';
  const karpenter = await s.getOptional<{ versions?: unknown[] }>('/apis/karpenter.sh', signal).catch(() => undefined);
  if (karpenter) return 'Karpenter (karpenter.sh)';
  return undefined;
}
