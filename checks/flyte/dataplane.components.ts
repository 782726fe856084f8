// flyte.dataplane.components: per data plane, what runs executions there: flytepropeller and the
// pod webhook Deployments available (syncresources too when it is deployed there), the FlyteWorkflow
// CRD Established, and the project-domain namespaces present. Reads as the operator's context when
// --data-plane gives one, else with flyteadmin's token (which may not read Deployments: then it says so).
import { CORE_CRD_FIX } from './crd.established.js';
import { KubeError, probeSignal, selectorString, type KubeSession } from '../../src/clients/kube.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Json } from '../../src/engine/types.js';
import type { FlyteComponent } from '../../src/flyte/kubernetes.js';
import { planeKubectl } from '../../src/flyte/dataplanes.js';
import { deploymentReady, isObj, podsWithDiagnosis } from './_support.js';
import { CRD } from './crd.established.js';
import { explainUnready, type DeploymentLike } from './deployments.ready.js';
import { hostPortOf, planeAccess, planeFailure, planeOf, remoteInstances } from './dataplane.api.js';

/** Details as JSON (drops the optional-undefined union members object literals infer). */
const J = (d: Record<string, unknown>): Record<string, Json> => JSON.parse(JSON.stringify(d)) as Record<string, Json>;

const COMPONENTS: FlyteComponent[] = [
  { deployments: ['flytepropeller', 'flytepropeller-manager'], component: 'flytepropeller', backend: 'flytepropeller', valuesKey: 'flytepropeller', optional: false },
  { deployments: ['flyte-pod-webhook'], component: 'flyte-pod-webhook', backend: 'flyte-pod-webhook', valuesKey: 'webhook', optional: false },
  { deployments: ['syncresources'], component: 'cluster resource sync', backend: 'syncresources', valuesKey: 'cluster_resource_manager', optional: true },
];

type Problem = { id: 'notInstalled' | 'crdMissing' | 'crdNotEstablished' | 'deploymentMissing' | 'deploymentNotReady' | 'namespacesMissing'; text: string; hint: string; cause: string };
const ORDER: Problem['id'][] = ['notInstalled', 'crdMissing', 'crdNotEstablished', 'deploymentMissing', 'deploymentNotReady', 'namespacesMissing'];

export default defineCheck({
  id: 'flyte.dataplane.components',
  title: 'Each data plane runs flytepropeller and the webhook, has the FlyteWorkflow CRD and the project namespaces',
  phases: ['verify'],
  needs: ['dataplanes'],
  dependsOn: ['flyte.dataplane.api'],
  instances: remoteInstances,
  timeoutMs: 20_000,
  messages: {
    ready: { status: 'pass', summary: 'flytepropeller and the webhook are available, the CRD is Established and every project-domain namespace exists in the data plane.' },
    inCluster: { status: 'skip', summary: 'The entry is flyteadmin\'s own cluster: the flyte.deployments / crd / projects checks cover it.' },
    noAccess: { status: 'skip', summary: 'No session to the data plane (flyte.dataplane.api says why).' },
    notInstalled: { status: 'fail', summary: 'No Flyte data-plane Deployment exists in the namespace of the data plane.' },
    crdMissing: { status: 'fail', summary: 'The FlyteWorkflow CRD does not exist in the data plane.' },
    crdNotEstablished: { status: 'fail', summary: 'The FlyteWorkflow CRD exists but is not Established, is terminating, or does not serve v1alpha1.' },
    deploymentMissing: { status: 'fail', summary: 'flytepropeller or the pod webhook Deployment is missing in the data plane.' },
    deploymentNotReady: { status: 'fail', summary: 'A data-plane Deployment is not available; the reason is read from its pods and events.' },
    namespacesMissing: { status: 'fail', summary: 'Project-domain namespaces are missing (or Terminating) in the data plane.' },
    forbidden: { status: 'warn', summary: 'The identity used may not read the data plane\'s Deployments, CRDs or namespaces (403): cannot be checked with it.' },
    apiFailed: { status: 'fail', summary: 'The data plane\'s API server failed while reading (timeout, 5xx, bad answer).' },
  },
  explain: {
    what: 'In each data plane (namespace of the control plane\'s install): the flytepropeller (or flytepropeller-manager) and flyte-pod-webhook Deployments are available, with the pod-level reason when not (as flyte.deployments.ready); syncresources when deployed there; the CRD flyteworkflows.flyte.lyft.com is Established and serves v1alpha1; every `<project>-<domain>` namespace exists. Reads through `--data-plane NAME=CONTEXT` when given, otherwise with flyteadmin\'s token.',
    why: 'flyteadmin hands executions to the data plane as FlyteWorkflow objects in the project-domain namespace; without the CRD or the namespace the launch fails, and without a running flytepropeller the execution stays Queued.',
    fix: 'Install the data plane with the flyte-core chart and values-dataplane.yaml; apply the chart\'s CRD; make the control plane\'s cluster resource sync reach the data plane (it creates the namespaces there) or create them.',
  },
  async run(ctx) {
    const p = planeOf(ctx);
    if (p.inCluster) return { status: 'skip', messageId: 'inCluster', message: `${p.name} is flyteadmin's own cluster: flyte.deployments.ready, flyte.crd.established and flyte.projects.namespaces cover it` };
    const a = await planeAccess(ctx, p);
    const s: KubeSession | undefined = a.operator ?? a.flyteadmin;
    if (!s) return { status: 'skip', messageId: 'noAccess', message: `${p.name}: no session to the data plane (see flyte.dataplane.api)` };
    const via = a.operator ? `context ${p.context}${a.contextServerDiffers ? ` (server ${a.contextServerDiffers}, not the configured endpoint ${p.endpoint})` : ''}` : 'flyteadmin\'s token';
    const ns = ctx.target.kubernetes.namespace;
    const k = planeKubectl(ctx.target.kubernetes, p, ns);
    const signal = probeSignal(ctx.signal, Math.max(300, ctx.remainingMs() - 500));
    const problems: Problem[] = [];
    const ready: string[] = [];
    const scoped = (n: string) => `${p.name}/${n}`;
    try {
      // Each part separately: an identity that may not read one (flyteadmin's token: no Deployments, no CRDs) still checks the others.
      const denied: string[] = [];
      const wanted = ctx.target.projects.flatMap((pr) => ctx.target.domains.map((d) => `${pr}-${d}`));
      const section = async (what: string, f: () => Promise<void>) => { try { await f(); } catch (e) { if (e instanceof KubeError && e.kind === 'forbidden') denied.push(`${what} (${e.extra.verb ?? 'read'} ${e.extra.resource ?? ''}${e.extra.namespace ? ` in ${e.extra.namespace}` : ''})`); else throw e; } };
      // Deployments
      await section('Deployments', async () => {
        const all = await s.list<DeploymentLike>(`/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/deployments`, signal);
        const byName = new Map(all.map((d) => [d.metadata.name, d]));
        const found = COMPONENTS.map((c) => ({ c, d: c.deployments.map((n) => byName.get(n)).find(Boolean) }));
        if (found.every((f) => !f.d || f.c.optional) && !found.some((f) => f.d && !f.c.optional)) {
          problems.push({ id: 'notInstalled', cause: cause.object('flyte-install', scoped(ns), 'flyte-core'),
            text: `no flytepropeller or flyte-pod-webhook Deployment in namespace ${ns} (found ${all.length ? all.map((d) => d.metadata.name).join(', ') : 'none'})`,
            hint: `install the data plane there: \`helm install flyte-core-data flyteorg/flyte-core -n ${ns} --values values-dataplane.yaml\` with the kube context of ${p.name}; check the namespace (\`${k} get deploy\`)` });
        } else {
          for (const { c, d } of found) {
            if (!d) {
              if (!c.optional) problems.push({ id: 'deploymentMissing', cause: cause.backend(scoped(c.backend)), text: `${c.deployments[0]}: Deployment missing`, hint: `the data plane's release does not deploy ${c.deployments[0]}: check \`${c.valuesKey}.enabled\` in the data plane's values and \`helm status <release> -n ${ns}\` there` });
              continue;
            }
            if (deploymentReady(d)) { ready.push(d.metadata.name); continue; }
            const spec = isObj(d.spec) ? d.spec : {};
            const want = typeof spec['replicas'] === 'number' ? spec['replicas'] : 1;
            const sel = selectorString(spec['selector']);
            const r = want > 0 && sel ? await podsWithDiagnosis(s, ns, sel, signal) : { pods: [] };
            const u = explainUnready(c, d, 'diag' in r ? r.diag : undefined, r.pods.length, 'flyte-core', k, ctx.target);
            problems.push({ id: 'deploymentNotReady', cause: cause.backend(scoped(c.backend)), text: u.text, hint: u.hint });
          }
        }
      });
      // CRD
      await section('the CRD', async () => {
        const crd = await s.getOptional<Record<string, unknown>>(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD}`, signal);
        const crdKey = cause.object('customresourcedefinition', p.name, CRD);
        if (!crd) {
          problems.push({ id: 'crdMissing', cause: crdKey, text: `CRD ${CRD} does not exist: flyteadmin cannot create executions in ${p.name}`,
            hint: `in the data plane (context of ${planeKubectl(ctx.target.kubernetes, p)}): ${CORE_CRD_FIX}` });
        } else {
          const st = isObj(crd['status']) ? crd['status'] : {};
          const conds = (Array.isArray(st['conditions']) ? st['conditions'] : []).filter(isObj);
          const est = conds.find((c) => c['type'] === 'Established');
          const md = isObj(crd['metadata']) ? crd['metadata'] : {};
          const spec = isObj(crd['spec']) ? crd['spec'] : {};
          const versions = (Array.isArray(spec['versions']) ? spec['versions'] : []).filter(isObj).filter((v) => v['served'] !== false).map((v) => String(v['name']));
          const why = typeof md['deletionTimestamp'] === 'string' ? 'is being deleted' : est?.['status'] !== 'True' ? `is not Established (${est ? `${String(est['reason'] ?? '')} ${String(est['message'] ?? '')}`.trim() : 'no condition yet'})` : !versions.includes('v1alpha1') ? `does not serve v1alpha1 (serves ${versions.join(', ') || 'nothing'})` : undefined;
          if (why) problems.push({ id: 'crdNotEstablished', cause: crdKey, text: `CRD ${CRD} ${why}`, hint: `\`${planeKubectl(ctx.target.kubernetes, p)} get crd ${CRD} -o yaml\` shows its conditions; ${CORE_CRD_FIX}` });
        }
      });
      // Namespaces
      await section('namespaces', async () => {
        const wanted = ctx.target.projects.flatMap((pr) => ctx.target.domains.map((d) => `${pr}-${d}`));
        const missing: string[] = [], terminating: string[] = [];
        for (const name of wanted.slice(0, 60)) {
          const o = await s.getOptional<Record<string, unknown>>(`/api/v1/namespaces/${encodeURIComponent(name)}`, signal);
          if (!o) { missing.push(name); continue; }
          const st = isObj(o['status']) ? o['status'] : {};
          if (st['phase'] === 'Terminating') terminating.push(name);
        }
        if (missing.length || terminating.length) {
          problems.push({ id: 'namespacesMissing', cause: cause.object('namespace', p.name, (missing[0] ?? terminating[0])!),
            text: `${missing.length ? `project-domain namespaces missing: ${missing.join(', ')}` : ''}${missing.length && terminating.length ? '; ' : ''}${terminating.length ? `Terminating: ${terminating.join(', ')}` : ''} (executions routed to ${p.name} fail with "namespaces \\"${missing[0] ?? terminating[0]}\\" not found")`,
            hint: `the control plane's cluster resource sync creates them in every data plane of configmap.clusters.clusterConfigs: check its logs in the control plane (\`kubectl logs deploy/syncresources -n ${ns}\` or flyteadmin's sync-cluster-resources init container) and that it mounts the credentials; or create them: \`${planeKubectl(ctx.target.kubernetes, p)} create namespace ${missing[0] ?? terminating[0]}\`` });
        }
      });
      const details = J({ via, server: s.identity.server, namespace: ns, ready, checkedNamespaces: wanted.length, findings: problems.map((x) => x.id) });
      problems.sort((x, y) => ORDER.indexOf(x.id) - ORDER.indexOf(y.id));
      const first = problems[0];
      if (first) {
        return { status: 'fail', messageId: first.id, cause: first.cause, hint: first.hint, details,
          message: `${p.name} (${via}): ${problems.map((x) => x.text).join('; ')}` };
      }
      if (denied.length) {
        const checked = [!denied.some((d) => d.startsWith('Deployments')) ? `Deployments ready (${ready.join(', ')})` : '', !denied.some((d) => d.startsWith('the CRD')) ? 'CRD Established' : '', !denied.some((d) => d.startsWith('namespaces')) ? `${wanted.length} project-domain namespaces exist` : ''].filter(Boolean);
        return { status: 'warn', messageId: 'forbidden', details: J({ ...details, denied }),
          message: `${p.name}: ${via} may not read ${denied.join(', ')} (403), so ${denied.length === 3 ? 'the data plane\'s components cannot be checked with it' : `that part cannot be checked with it${checked.length ? `; checked: ${checked.join('; ')}` : ''}`}`,
          hint: a.operator ? `use a context with read rights in the data plane: --data-plane ${p.name}=<context>` : `flyteadmin's token is not meant to read Deployments or CRDs: pass your own context of the data plane with --data-plane ${p.name}=<context>` };
      }
      return { status: 'pass', messageId: 'ready', details, message: `${p.name} (${via}): ${ready.join(', ')} available in ${ns}; CRD ${CRD} Established; ${wanted.length} project-domain namespaces exist` };
    } catch (e) {
      if (ctx.signal.aborted || !(e instanceof KubeError)) throw e;
      if (e.kind === 'forbidden') {
        return { status: 'warn', messageId: 'forbidden', cause: cause.denied('kubernetes', `${s.identity.user}@${hostPortOf(s.identity.server).key}`, e.extra.resource ?? 'read'), details: J({ via, error: e.message }),
          message: `${p.name}: ${via} may not read ${e.extra.resource ?? 'what this check needs'}${e.extra.namespace ? ` in ${e.extra.namespace}` : ''} (403), so the data plane's components cannot be checked with it`,
          hint: a.operator ? `use a context with read rights in the data plane: --data-plane ${p.name}=<context>` : `flyteadmin's token is not meant to read Deployments or CRDs: pass your own context of the data plane with --data-plane ${p.name}=<context>` };
      }
      const f = planeFailure(e, p, s.identity.server, `${s.identity.user}@${hostPortOf(s.identity.server).key}`, a.operator ? 'context' : 'secret', ns, p.token?.secret ?? '?');
      return { status: 'fail', messageId: 'apiFailed', cause: f.cause, message: f.message, hint: f.hint, details: J({ via, error: e.message }) };
    }
  },
});
