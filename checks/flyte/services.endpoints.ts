import { isObj, KubeError, kubectl } from '../../src/clients/kube.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Json } from '../../src/engine/types.js';
import { flyteServices, resolveChartNames } from '../../src/flyte/kubernetes.js';
import { podReady } from '../../src/flyte/pods.js';
import { API_MESSAGES, withKube } from '../kubernetes/_support.js';
import { diagnosisCause, diagnosisLine, podsWithDiagnosis } from './_support.js';

interface Service { metadata: { name: string }; spec?: unknown }
interface Slice { metadata: { name?: string; labels?: unknown }; endpoints?: unknown }
interface Endpoints { metadata: { name: string }; subsets?: unknown }

const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Ready / not-ready endpoint counts of a Service: EndpointSlices when there are any, else v1 Endpoints. Tolerant of odd shapes. */
export function countEndpoints(name: string, slices: readonly Slice[], endpoints: readonly Endpoints[]): { ready: number; notReady: number; source: 'endpointslices' | 'endpoints' | 'none' } {
  const mine = slices.filter((s) => isObj(s.metadata.labels) && s.metadata.labels['kubernetes.io/service-name'] === name);
  if (mine.length) {
    let ready = 0, notReady = 0;
    for (const s of mine) {
      for (const e of arr(s.endpoints)) {
        if (!isObj(e)) continue;
        const n = arr(e['addresses']).length;
        if (isObj(e['conditions']) && e['conditions']['ready'] === false) notReady += n; else ready += n;
      }
    }
    return { ready, notReady, source: 'endpointslices' };
  }
  const ep = endpoints.find((e) => e.metadata.name === name);
  if (!ep) return { ready: 0, notReady: 0, source: 'none' };
  const sum = (key: string) => arr(ep.subsets).reduce((a: number, s) => a + (isObj(s) ? arr(s[key]).length : 0), 0);
  return { ready: sum('addresses'), notReady: sum('notReadyAddresses'), source: 'endpoints' };
}

/** Whether a Service's map selector matches a Deployment's pod template labels. */
function selectsTemplate(sel: unknown, d: { spec?: unknown }): boolean {
  if (!isObj(sel) || !Object.keys(sel).length) return false;
  const tpl = isObj(d.spec) && isObj(d.spec['template']) && isObj(d.spec['template']['metadata']) && isObj(d.spec['template']['metadata']['labels']) ? d.spec['template']['metadata']['labels'] : undefined;
  return !!tpl && Object.entries(sel).every(([k, v]) => tpl[k] === v);
}

/** `a=b,c=d` for a Service's map selector. */
function mapSelector(sel: unknown): string {
  return isObj(sel) ? Object.entries(sel).filter(([, v]) => typeof v === 'string').map(([k, v]) => `${k}=${v as string}`).join(',') : '';
}

export default defineCheck({
  id: 'flyte.services.endpoints',
  title: 'The Flyte Services exist and have ready endpoints',
  phases: ['verify'],
  needs: ['kubernetes'],
  dependsOn: ['kubernetes.api.reachable'],
  timeoutMs: 20_000,
  messages: {
    ready: { status: 'pass', summary: 'Every Flyte Service has ready endpoints.' },
    serviceMissing: { status: 'fail', summary: 'A Service of the chart does not exist.' },
    noReadyEndpoints: { status: 'fail', summary: 'A Service has no ready endpoints because its pods are not ready (the pods\' reason is named).' },
    selectorMatchesNothing: { status: 'fail', summary: 'A Service\'s selector matches no pod (selector and labels disagree).' },
    endpointsMissing: { status: 'fail', summary: 'The pods are ready but the Service has no ready endpoints (targetPort not declared by the pods, or the endpoints controller is behind).' },
    ...API_MESSAGES,
  },
  explain: {
    what: 'For the detected chart\'s Services (flyte-binary: `<fullname>-http`, `-grpc`, `-webhook`; flyte-core: flyteadmin, flyteconsole, datacatalog, flyte-pod-webhook), reads the EndpointSlices (or v1 Endpoints) and counts ready addresses. For a Service without ready endpoints it reads the pods its selector matches and says why none serves: no pod matches, the pods are not ready (with their reason), or the pods do not declare the target port.',
    why: 'A Service without ready endpoints makes the ingress answer 502/503, and for the webhook Service it makes the API server reject every Flyte task pod that requests secrets (failurePolicy Fail).',
    fix: 'Make the backing pods ready (see flyte.deployments.ready); align the Service selector with the pod labels; make the targetPort a port the container declares.',
  },
  async run(ctx) {
    const ns = ctx.target.kubernetes.namespace;
    const base = `/namespaces/${encodeURIComponent(ns)}`;
    const k = kubectl(ctx.target.kubernetes, ns);
    return withKube(ctx, `the Services in ${ns}`, async (s, signal) => {
      const services = await s.list<Service>(`/api/v1${base}/services`, signal);
      let slices: Slice[] = [];
      try { slices = await s.list<Slice>(`/apis/discovery.k8s.io/v1${base}/endpointslices`, signal); } catch (e) { if (!(e instanceof KubeError) || (e.kind !== 'forbidden' && e.kind !== 'not-found')) throw e; }
      const endpoints = await s.list<Endpoints>(`/api/v1${base}/endpoints`, signal);
      const byName = new Map(services.map((x) => [x.metadata.name, x]));
      const deployments = await s.list<{ metadata: { name: string }; spec?: unknown }>(`/apis/apps/v1${base}/deployments`, signal);
      const names = await resolveChartNames(s, ctx.target, signal);
      const wanted = flyteServices(names);
      type Problem = { service: string; id: 'serviceMissing' | 'noReadyEndpoints' | 'selectorMatchesNothing' | 'endpointsMissing'; text: string; hint: string; cause: string };
      const problems: Problem[] = [];
      const ok: string[] = [];
      const counts: Record<string, Json> = {};
      const none = wanted.filter((w) => !w.optional).every((w) => !byName.has(w.name));
      for (const want of wanted) {
        const svc = byName.get(want.name);
        if (!svc) {
          if (!want.optional) problems.push({ service: want.name, id: 'serviceMissing', text: `${want.name}: Service missing`, cause: none ? cause.object('flyte-install', ns, ctx.target.chart ?? 'flyte-binary') : cause.object('service', ns, want.name),
            hint: `the chart did not create ${want.name}: \`helm status <release> -n ${ns}\`; is Flyte installed in this namespace (-n) with this release name?` });
          continue;
        }
        const spec = isObj(svc.spec) ? svc.spec : {};
        const sel = mapSelector(spec['selector']);
        if (!sel || spec['type'] === 'ExternalName') { ok.push(`${want.name} (no selector)`); continue; }
        const c = countEndpoints(want.name, slices, endpoints);
        counts[want.name] = c;
        if (c.ready > 0) { ok.push(`${want.name} (${c.ready} ready)`); continue; }
        const r = await podsWithDiagnosis(s, ns, sel, signal);
        const live = r.pods.filter((p) => !p.metadata.deletionTimestamp);
        if (live.length === 0) {
          // A Deployment whose pod template the selector matches explains an empty Service (scaled to 0, pods not created).
          const owner = deployments.find((d) => selectsTemplate(spec['selector'], d));
          if (owner) {
            const replicas = isObj(owner.spec) && typeof owner.spec['replicas'] === 'number' ? owner.spec['replicas'] : 1;
            problems.push({ service: want.name, id: 'noReadyEndpoints', cause: cause.backend(want.backend),
              text: `${want.name}: no ready endpoints: Deployment ${owner.metadata.name}, whose pods it selects (${sel}), ${replicas === 0 ? 'is scaled to 0 replicas' : 'has no pods'}`,
              hint: `flyte.deployments.ready has the reason and the fix for Deployment ${owner.metadata.name}` });
            continue;
          }
          problems.push({ service: want.name, id: 'selectorMatchesNothing', cause: cause.backend(want.backend),
            text: `${want.name}: no ready endpoints; its selector ${sel} matches no pod`,
            hint: `\`${k} get pods -l ${sel}\` finds nothing: the Service selector and the pod labels disagree (\`${k} get pods --show-labels\`); a Service edited by hand or a release label changed by fullnameOverride/nameOverride are the usual causes; \`helm upgrade\` restores the chart's selector` });
          continue;
        }
        const readyPods = live.filter(podReady).map((p) => p.metadata.name);
        if (readyPods.length && !r.diag) {
          const ports = arr(spec['ports']).filter(isObj).map((p) => p['targetPort']).filter((p) => p !== undefined);
          problems.push({ service: want.name, id: 'endpointsMissing', cause: cause.backend(want.backend),
            text: `${want.name}: no ready endpoints although pod(s) ${readyPods.join(', ')} matched by ${sel} are ready (targetPort ${ports.map(String).join(', ') || '?'})`,
            hint: `a named targetPort must be a port the container declares (\`${k} get pod ${readyPods[0]} -o jsonpath='{.spec.containers[*].ports}'\`); otherwise the endpoints controller is behind (\`${k} get endpointslices -l kubernetes.io/service-name=${want.name}\`)` });
          continue;
        }
        const why = r.diag ? diagnosisLine(r.diag, ctx.target) : 'not ready';
        problems.push({ service: want.name, id: 'noReadyEndpoints', cause: diagnosisCause(r.diag, want, ctx.target),
          text: `${want.name}: no ready endpoints${c.notReady ? ` (${c.notReady} not ready)` : ''}: its pods (selector ${sel}) are not ready: ${why}`,
          hint: `the backing pods are not ready (flyte.deployments.ready has the reason and the fix); \`${k} describe service ${want.name}\` and \`${k} get endpointslices -l kubernetes.io/service-name=${want.name}\` show the endpoints` });
      }
      const details = { namespace: ns, chart: ctx.target.chart ?? 'flyte-binary', ...(names.detected ? { detected: names.detected } : {}), ok, problems: problems.map((p) => p.text), missing: problems.filter((p) => p.id === 'serviceMissing').map((p) => p.service), counts };
      if (problems.length === 0) return { status: 'pass' as const, messageId: 'ready' as const, message: `Services with ready endpoints in ${ns}: ${ok.join(', ')}`, details };
      const first = problems.find((p) => p.id !== 'serviceMissing') ?? problems[0]!;
      return { status: 'fail' as const, messageId: first.id, cause: first.cause, message: `${problems.length} Flyte Service(s) cannot serve in ${ns}: ${problems.map((p) => p.text).join('; ')}`, details, hint: first.hint };
    });
  },
});
