import { KubeError, flyteServices, kubeSession, kubectl, resolveChartNames } from '../../src/clients/kube.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Outcome } from '../../src/engine/types.js';

interface Service { metadata: { name: string }; spec?: { selector?: Record<string, string>; type?: string; externalName?: string } }
interface Slice { metadata: { labels?: Record<string, string> }; endpoints?: { addresses: string[]; conditions?: { ready?: boolean | null } }[] }
interface Endpoints { metadata: { name: string }; subsets?: { addresses?: unknown[]; notReadyAddresses?: unknown[] }[] }

/** Ready / not-ready endpoint counts of a Service: EndpointSlices when there are any, else v1 Endpoints. */
export function countEndpoints(name: string, slices: readonly Slice[], endpoints: readonly Endpoints[]): { ready: number; notReady: number; source: 'endpointslices' | 'endpoints' | 'none' } {
  const mine = slices.filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === name);
  if (mine.length) {
    let ready = 0, notReady = 0;
    for (const s of mine) for (const e of s.endpoints ?? []) { if (e.conditions?.ready === false) notReady += e.addresses.length; else ready += e.addresses.length; }
    return { ready, notReady, source: 'endpointslices' };
  }
  const ep = endpoints.find((e) => e.metadata.name === name);
  if (!ep) return { ready: 0, notReady: 0, source: 'none' };
  const sum = (f: (s: NonNullable<Endpoints['subsets']>[number]) => unknown[] | undefined) => (ep.subsets ?? []).reduce((a, s) => a + (f(s)?.length ?? 0), 0);
  return { ready: sum((s) => s.addresses), notReady: sum((s) => s.notReadyAddresses), source: 'endpoints' };
}

export default defineCheck({
  id: 'flyte.services.endpoints',
  title: 'The Flyte Services exist and have ready endpoints',
  phases: ['verify'],
  needs: ['kubernetes'],
  dependsOn: ['kubernetes.api.reachable'],
  explain: {
    what: 'For the detected chart\'s Services (flyte-binary: `<fullname>-http`, `-grpc`, `-webhook`; flyte-core: flyteadmin, datacatalog, flyteconsole, flyte-pod-webhook), reads the EndpointSlices (or v1 Endpoints) and counts ready addresses.',
    why: 'A Service without ready endpoints makes the ingress answer 502/503, and for the webhook Service it makes the API server reject every Flyte task pod that requests secrets (failurePolicy Fail).',
    fix: 'Make the backing Deployment ready (see flyte.deployments.ready); check that the Service selector matches the pod labels.',
  },
  async run(ctx): Promise<Outcome> {
    const s = await kubeSession(ctx);
    const ns = ctx.target.kubernetes.namespace;
    const base = `/namespaces/${encodeURIComponent(ns)}`;
    const k = kubectl(ctx.target.kubernetes, ns);
    const services = await s.list<Service>(`/api/v1${base}/services`, ctx.signal);
    let slices: Slice[] = [];
    try { slices = await s.list<Slice>(`/apis/discovery.k8s.io/v1${base}/endpointslices`, ctx.signal); } catch (e) { if (!(e instanceof KubeError) || e.kind !== 'forbidden') throw e; }
    const endpoints = await s.list<Endpoints>(`/api/v1${base}/endpoints`, ctx.signal);
    const byName = new Map(services.map((x) => [x.metadata.name, x]));
    const problems: string[] = [], ok: string[] = [], missing: string[] = [];
    const counts: Record<string, { ready: number; notReady: number; source: string }> = {};
    const names = await resolveChartNames(s, ctx.target, ctx.signal);
    for (const want of flyteServices(names)) {
      const svc = byName.get(want.name);
      if (!svc) { if (!want.optional) { missing.push(want.name); problems.push(`${want.name}: Service missing`); } continue; }
      if (!svc.spec?.selector || svc.spec.type === 'ExternalName') { ok.push(`${want.name} (no selector)`); continue; }
      const c = countEndpoints(want.name, slices, endpoints);
      counts[want.name] = c;
      if (c.ready > 0) ok.push(`${want.name} (${c.ready} ready)`);
      else problems.push(`${want.name}: no ready endpoints${c.notReady ? ` (${c.notReady} not ready)` : ''}`);
    }
    const details = { namespace: ns, chart: ctx.target.chart ?? 'flyte-binary', ...(names.detected ? { detected: names.detected } : {}), ok, problems, missing, counts };
    if (problems.length === 0) return { status: 'pass', messageId: 'ready', message: `Services with ready endpoints in ${ns}: ${ok.join(', ')}`, details };
    const firstNoEp = Object.entries(counts).find(([, c]) => c.ready === 0)?.[0];
    return {
      status: 'fail', messageId: missing.length === problems.length ? 'serviceMissing' : 'noReadyEndpoints',
      message: `${problems.length} Flyte Service(s) cannot serve in ${ns}: ${problems.join('; ')}`,
      details,
      hint: firstNoEp
        ? `\`${k} get endpointslices -l kubernetes.io/service-name=${firstNoEp}\` and \`${k} describe service ${firstNoEp}\`: the backing pods are not ready (see flyte.deployments.ready) or the selector matches no pod`
        : `the chart did not create ${missing.join(', ')}: \`helm status <release> -n ${ns}\`; is Flyte installed in this namespace with this release name?`,
    };
  },
});
