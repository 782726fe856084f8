import { diagnosePod, flyteComponents, kubeSession, resolveChartNames, kubectl, selectorString, type FlyteComponent, type PodDiagnosis, type PodLike } from '../../src/clients/kube.js';
import type { Chart } from '../../src/config/target.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Json, Outcome } from '../../src/engine/types.js';

interface Deployment {
  metadata: { name: string; generation?: number };
  spec?: { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
  status?: { observedGeneration?: number; availableReplicas?: number; readyReplicas?: number; updatedReplicas?: number; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

export interface Unready { deployment: string; component: string; valuesKey: string; reason: string; text: string; pod?: string; container?: string }

/** One line for an unready Deployment, from its pods' diagnosis or its own conditions. */
export function explainUnready(c: FlyteComponent, d: Deployment, diag: PodDiagnosis | undefined, podCount: number): Unready {
  const want = d.spec?.replicas ?? 1;
  const base = { deployment: d.metadata.name, component: c.component, valuesKey: c.valuesKey };
  if (want === 0) return { ...base, reason: 'ScaledToZero', text: `${d.metadata.name}: scaled to 0 replicas` };
  if (diag) {
    const last = diag.lastTermination;
    const lastText = last ? `; last termination: ${[last.reason, last.exitCode !== undefined ? `exit ${last.exitCode}` : '', last.message].filter(Boolean).join(', ')}` : '';
    const where = diag.container ? ` (${diag.init ? 'init container' : 'container'} ${diag.container} of pod ${diag.pod})` : ` (pod ${diag.pod})`;
    return { ...base, reason: diag.reason, pod: diag.pod, ...(diag.container ? { container: diag.container } : {}),
      text: `${d.metadata.name}: ${diag.reason}${where}${diag.message ? `: ${diag.message}` : ''}${diag.restarts ? `; ${diag.restarts} restarts` : ''}${lastText}` };
  }
  const failure = d.status?.conditions?.find((x) => (x.type === 'ReplicaFailure' && x.status === 'True') || (x.type === 'Progressing' && x.status === 'False'));
  if (failure) return { ...base, reason: failure.reason ?? failure.type, text: `${d.metadata.name}: ${failure.reason ?? failure.type}: ${failure.message ?? ''}`.trim() };
  const avail = d.status?.availableReplicas ?? 0;
  return { ...base, reason: podCount === 0 ? 'NoPods' : 'NotAvailable', text: `${d.metadata.name}: ${avail}/${want} replicas available${podCount === 0 ? '; no pods found for its selector' : ''}` };
}

export function hintFor(u: Unready, chart: Chart, k: string): string {
  const img = chart === 'flyte-binary' ? 'deployment.image.repository / deployment.image.tag' : `${u.valuesKey}.image.repository / ${u.valuesKey}.image.tag`;
  const res = chart === 'flyte-binary' ? 'deployment.resources' : `${u.valuesKey}.resources`;
  switch (u.reason) {
    case 'ImagePullBackOff': case 'ErrImagePull': case 'InvalidImageName':
      return `\`${k} describe pod ${u.pod}\` shows the pull error; fix the image (\`${img}\`) or the registry credentials (imagePullSecrets)`;
    case 'CrashLoopBackOff': case 'Error': case 'OOMKilled':
      return `\`${k} logs ${u.pod}${u.container ? ` -c ${u.container}` : ''} --previous\` shows why it exits (database, storage or auth configuration is the usual cause)${u.reason === 'OOMKilled' ? `; raise \`${res}.limits.memory\`` : ''}`;
    case 'Unschedulable':
      return `add nodes or lower \`${res}.requests\`; \`${k} describe pod ${u.pod}\` shows the FailedScheduling event`;
    case 'CreateContainerConfigError':
      return `a Secret or ConfigMap the pod references is missing: \`${k} describe pod ${u.pod}\``;
    case 'ScaledToZero':
      return `\`${k} scale deployment ${u.deployment} --replicas=1\` (or fix \`${chart === 'flyte-binary' ? 'deployment' : u.valuesKey}.replicaCount\`)`;
    default:
      return `\`${k} describe deployment ${u.deployment}\` and \`${k} get pods\` show the state`;
  }
}

export default defineCheck({
  id: 'flyte.deployments.ready',
  title: 'Every Flyte Deployment of the detected chart is available',
  phases: ['verify'],
  needs: ['kubernetes'],
  dependsOn: ['kubernetes.api.reachable'],
  timeoutMs: 20_000,
  explain: {
    what: 'flyte-binary: the single Deployment `<fullname>`. flyte-core: flyteadmin, flytepropeller, datacatalog, flyteconsole, flyte-pod-webhook, and flytescheduler / syncresources when they are deployed. For each one not available, reads its pods (by the Deployment\'s selector) and reports why: ImagePullBackOff, CrashLoopBackOff with the last termination message, Pending for lack of resources, a missing Secret.',
    why: 'A Flyte component that is not running makes every later symptom (console errors, executions stuck in Queued) misleading; the underlying reason is almost always in the pod status.',
    fix: 'Follow the hint for the reason shown: fix the image, read the previous container logs, add capacity or lower requests.',
  },
  async run(ctx): Promise<Outcome> {
    const s = await kubeSession(ctx);
    const ns = ctx.target.kubernetes.namespace;
    const chart: Chart = ctx.target.chart ?? 'flyte-binary';
    const k = kubectl(ctx.target.kubernetes, ns);
    const all = await s.list<Deployment>(`/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/deployments`, ctx.signal);
    const byName = new Map(all.map((d) => [d.metadata.name, d]));
    const names = await resolveChartNames(s, ctx.target, ctx.signal);
    const comps = flyteComponents(names);
    const found: { c: FlyteComponent; d: Deployment }[] = [];
    const missing: FlyteComponent[] = [];
    const notDeployed: string[] = [];
    for (const c of comps) {
      const d = c.deployments.map((n) => byName.get(n)).find(Boolean);
      if (d) found.push({ c, d });
      else if (c.optional) notDeployed.push(c.deployments[0]!);
      else missing.push(c);
    }
    if (found.length === 0) {
      return { status: 'fail', messageId: 'notInstalled', message: `no ${chart} Deployments in namespace ${ns} (expected ${missing.map((c) => c.deployments[0]).join(', ')}; found ${all.length ? all.map((d) => d.metadata.name).join(', ') : 'none'})`,
        details: { chart, namespace: ns, expected: missing.map((c) => c.deployments[0]!), found: all.map((d) => d.metadata.name) },
        hint: `Flyte is not installed here: \`helm list -A | grep -i flyte\` finds the release; check the namespace, release name${chart === 'flyte-binary' ? ' (the Deployment is named <release>-flyte-binary)' : ''} and chart, or install it` };
    }
    const unready: Unready[] = [];
    const ready: string[] = [];
    for (const { c, d } of found) {
      const want = d.spec?.replicas ?? 1;
      const st = d.status ?? {};
      const fresh = (st.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
      if (want > 0 && fresh && (st.availableReplicas ?? 0) >= want && (st.updatedReplicas ?? want) >= want) { ready.push(d.metadata.name); continue; }
      const sel = selectorString(d.spec?.selector);
      const pods = want > 0 && sel ? await s.list<PodLike>(`/api/v1/namespaces/${encodeURIComponent(ns)}/pods`, ctx.signal, { labelSelector: sel }) : [];
      const live = pods.filter((p) => !p.metadata.deletionTimestamp);
      const diag = (live.length ? live : pods).map(diagnosePod).find((x) => x !== undefined);
      unready.push(explainUnready(c, d, diag, pods.length));
    }
    const details: Record<string, Json> = { chart, namespace: ns, ...(names.detected ? { detected: names.detected } : {}), ready, notDeployed, missing: missing.map((c) => c.deployments[0]!), unready: unready.map((u) => ({ ...u })) };
    if (unready.length === 0 && missing.length === 0) {
      return { status: 'pass', messageId: 'ready', message: `${ready.length} Deployment(s) available in ${ns}: ${ready.join(', ')}${notDeployed.length ? ` (not deployed: ${notDeployed.join(', ')})` : ''}${names.detected ? ` (release "${names.kubernetes.release}" found by label)` : ''}`, details };
    }
    const parts = [...unready.map((u) => u.text), ...missing.map((c) => `${c.deployments[0]}: Deployment missing`)];
    const first = unready[0];
    return {
      status: 'fail', messageId: 'notReady',
      message: `${parts.length} Flyte Deployment(s) not ready in ${ns}: ${parts.join('; ')}`,
      details,
      hint: first ? hintFor(first, chart, k) : `the chart did not create ${missing.map((c) => c.deployments[0]).join(', ')}: check \`${chart === 'flyte-core' ? `${missing[0]!.valuesKey}.enabled` : 'the release'}\` and \`helm status <release> -n ${ns}\``,
    };
  },
});
