import { httpRequest } from '../../src/clients/http.js';
import { isObj, KubeError, kubectl, probeSignal, type KubeSession } from '../../src/clients/kube.js';
import { describeService, identifyService } from '../../src/clients/sniff.js';
import { ProbeError } from '../../src/clients/tls.js';
import { cause, hostPortKey } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext } from '../../src/engine/types.js';
import { resolveChartNames } from '../../src/flyte/kubernetes.js';
import { parseExposition, type MetricsComponent } from '../../src/flyte/observability.js';
import { mapLimit, rollUp, type Item } from '../kubernetes/_objects.js';
import { API_MESSAGES, withKube } from '../kubernetes/_support.js';

const MESSAGES = {
  answers: { status: 'pass', summary: 'Each component\'s metrics endpoint answers Prometheus text format (`# TYPE` and sample lines parse).' },
  notFromHere: { status: 'warn', summary: 'The metrics endpoints are pod addresses inside the cluster and the API server\'s proxy could not reach them for this identity (403 on services/proxy, the control plane cannot dial pods): cannot be checked from this machine (run with --in-cluster).' },
  noComponents: { status: 'skip', summary: 'No component with a metrics Service is deployed by the values (or no values were given).' },
  noMetricsPort: { status: 'fail', summary: 'The component Service has no http-metrics port.' },
  serviceMissing: { status: 'fail', summary: 'The component Service (or, for flyte-binary, its pod) does not exist.' },
  noEndpoints: { status: 'fail', summary: 'The metrics Service has no ready endpoint (its pods are not ready): nothing to scrape.' },
  notPrometheus: { status: 'fail', summary: 'The metrics endpoint answers, but not in Prometheus text format (an HTML page, JSON, or lines that do not parse; the first bad line is quoted).' },
  emptyMetrics: { status: 'fail', summary: 'The metrics endpoint answers 200 with no samples.' },
  httpError: { status: 'fail', summary: 'The metrics endpoint answers with an HTTP error (404: no /metrics handler there; 401/403: something in front requires auth; 5xx).' },
  unreachable: { status: 'fail', summary: 'Nothing answers HTTP at the pod\'s metrics port (refused, timeout, or another protocol: named).' },
  ...API_MESSAGES,
} as const;
type Id = keyof typeof MESSAGES;
type Obj = Record<string, unknown>;

interface Address { ip: string; port: number; pod?: string }

export default defineCheck({
  id: 'flyte.metrics.endpoints',
  title: 'The components\' metrics endpoints answer in Prometheus text format',
  phases: ['verify'],
  needs: ['kubernetes'],
  // a component that is not running is flyte.deployments.ready's finding, not a metrics one
  dependsOn: ['kubernetes.api.reachable', 'flyte.deployments.ready'],
  timeoutMs: 15_000,
  messages: MESSAGES,
  explain: {
    what: 'For each deployed component with a metrics port (flyte-core: the `http-metrics` port 10254 of the flyteadmin and datacatalog Services, flytepropeller/flytescheduler when their `service.enabled`; flyte-binary: port 10254 of its pod): reads the Service and its ready endpoints (EndpointSlices) from the API. From this machine it GETs /metrics through the API server\'s proxy (`kubectl get --raw /api/v1/namespaces/<ns>/services/<svc>:http-metrics/proxy/metrics`, or the pod\'s proxy for flyte-binary); in the cluster (--in-cluster) it GETs `http://<pod IP>:<port>/metrics` the way Prometheus scrapes it. The answer must be Prometheus text: an HTML page, JSON or lines that do not parse fail, with the first bad line quoted. When the proxy is refused (RBAC) or cannot dial the pod, it says so instead of judging.',
    why: 'A ServiceMonitor or scrape config that reaches a port serving something else records nothing (the target shows up "down" or with parse errors), and alerts on Flyte\'s own metrics (flyte:propeller:*, flyte:admin:*) never fire.',
    fix: 'Point the Service\'s `http-metrics` port at the profiler port of the component (`prof-port`, default 10254); make the pods ready; run with `--in-cluster` to scrape from inside the cluster.',
  },
  async run(ctx) {
    const t = ctx.target;
    const comps = (t.observability?.metrics ?? []).filter((m) => m.deployed && (m.service || m.component === 'flyte-binary'));
    if (!comps.length) return { status: 'skip', messageId: 'noComponents', message: t.observability ? 'no deployed component has a metrics Service' : 'no Helm values given: the metrics endpoints are not known' };
    return withKube<Id>(ctx, 'the metrics Services', async (s, signal) => {
      const items = await mapLimit(comps, 3, (m) => one(ctx, s, m, signal));
      return rollUp(items, { what: 'the metrics endpoints', details: { inCluster: !!t.inCluster } });
    });
  },
});

async function addresses(ctx: CheckContext, s: KubeSession, m: MetricsComponent, signal: AbortSignal): Promise<Item<Id> | Address[]> {
  const t = ctx.target;
  const ns = t.kubernetes.namespace;
  const k = kubectl(t.kubernetes, ns);
  const e = encodeURIComponent;
  if (m.component === 'flyte-binary') {
    // the release the install really has (the values do not say it; resolveChartNames reads the Deployment)
    const names = await resolveChartNames(s, { chart: 'flyte-binary' as const, kubernetes: { ...t.kubernetes } }, signal);
    const sel = `app.kubernetes.io/component=flyte-binary,app.kubernetes.io/instance=${names.kubernetes.release}`;
    const pods = await s.list<Obj>(`/api/v1/namespaces/${e(ns)}/pods`, signal, { labelSelector: sel, maxItems: 10 });
    if (!pods.length) return { status: 'fail', id: 'serviceMissing', cause: cause.backend('flyteadmin'), text: `no flyte-binary pod (${sel}) in namespace ${ns}`, hint: `\`${k} get pods -l ${sel}\`; flyte.deployments.ready says why` };
    const ready = pods.filter((p) => isObj(p['status']) && typeof p['status']['podIP'] === 'string' && Array.isArray(p['status']['conditions']) && p['status']['conditions'].some((c: unknown) => isObj(c) && c['type'] === 'Ready' && c['status'] === 'True'));
    if (!ready.length) return { status: 'fail', id: 'noEndpoints', cause: cause.backend('flyteadmin'), text: `no flyte-binary pod is ready: port ${m.port} has nothing to scrape`, hint: `\`${k} get pods -l ${sel}\`; flyte.deployments.ready says why` };
    return ready.map((p) => ({ ip: String((p['status'] as Obj)['podIP']), port: m.port, pod: String((p['metadata'] as Obj)['name']) }));
  }
  const svcName = m.service!;
  const svc = await s.getOptional<Obj>(`/api/v1/namespaces/${e(ns)}/services/${e(svcName)}`, signal);
  if (!svc) return { status: 'fail', id: 'serviceMissing', cause: cause.object('service', ns, svcName), text: `Service ${ns}/${svcName} does not exist`, hint: `\`${k} get svc\`; \`helm upgrade\` renders it with ${m.component}` };
  const ports = (isObj(svc['spec']) && Array.isArray(svc['spec']['ports']) ? svc['spec']['ports'] : []).filter(isObj);
  const port = ports.find((p) => p['name'] === m.portName);
  if (!port) return { status: 'fail', id: 'noMetricsPort', cause: cause.object('service', ns, svcName), text: `Service ${svcName} has no port ${m.portName} (ports: ${ports.map((p) => `${String(p['name'] ?? '')} ${String(p['port'])}`).join(', ') || 'none'})`, hint: `\`helm upgrade\` restores the chart's Service (port ${m.portName} ${m.port}); \`${k} get svc ${svcName} -o yaml\`` };
  const slices = await s.list<Obj>(`/apis/discovery.k8s.io/v1/namespaces/${e(ns)}/endpointslices`, signal, { labelSelector: `kubernetes.io/service-name=${svcName}`, maxItems: 20 });
  const out: Address[] = [];
  for (const sl of slices) {
    const sp = (Array.isArray(sl['ports']) ? sl['ports'] : []).filter(isObj).find((p) => p['name'] === m.portName);
    if (!sp || typeof sp['port'] !== 'number') continue;
    for (const ep of (Array.isArray(sl['endpoints']) ? sl['endpoints'] : []).filter(isObj)) {
      const ready = !isObj(ep['conditions']) || ep['conditions']['ready'] !== false;
      if (!ready) continue;
      for (const a of Array.isArray(ep['addresses']) ? ep['addresses'] : []) if (typeof a === 'string') out.push({ ip: a, port: sp['port'] as number, ...(isObj(ep['targetRef']) && typeof ep['targetRef']['name'] === 'string' ? { pod: ep['targetRef']['name'] } : {}) });
    }
  }
  if (!out.length) return { status: 'fail', id: 'noEndpoints', cause: cause.backend(m.component), text: `Service ${svcName} has no ready endpoint on port ${m.portName}: its pods are not ready (or its selector matches none)`, hint: `\`${k} get endpointslices -l kubernetes.io/service-name=${svcName}\`; flyte.deployments.ready says why the pods are not ready` };
  return out;
}

async function one(ctx: CheckContext, s: KubeSession, m: MetricsComponent, signal: AbortSignal): Promise<Item<Id>> {
  const found = await addresses(ctx, s, m, signal);
  if (!Array.isArray(found)) return found;
  const where = m.component === 'flyte-binary' ? `pod ${found[0]!.pod ?? found[0]!.ip} port ${m.port}` : `Service ${m.service}:${m.portName}`;
  if (!ctx.target.inCluster) return viaApiProxy(ctx, s, m, found, where, signal);
  const a = found[0]!;
  const host = a.ip.includes(':') ? `[${a.ip}]` : a.ip;
  const url = `http://${host}:${a.port}${m.path}`;
  const hp = hostPortKey(a.ip, a.port);
  try {
    const r = await httpRequest(ctx, url, { timeoutMs: Math.min(5000, Math.max(500, ctx.remainingMs() - 500)), headers: { accept: 'text/plain;version=0.0.4;q=0.9,*/*;q=0.1' }, maxBodyBytes: 2 * 2 ** 20 });
    if (r.status !== 200) {
      const front = r.status === 401 || r.status === 403;
      return { status: 'fail', id: 'httpError', cause: front ? cause.frontAuth(hp) : cause.wrongService(hp), details: { url, status: r.status },
        text: `${m.component}: GET ${url} answered HTTP ${r.status}${r.status === 404 ? ': no /metrics handler on this port (it is not the profiler port)' : front ? ': something in front of the metrics port requires authentication' : ''}`,
        hint: r.status === 404 ? `the profiler (metrics) port of ${m.component} is its \`prof-port\`/profilerPort (default 10254): point ${where} at it` : front ? 'Prometheus scrapes without credentials here: remove the auth proxy from the metrics port or give the ServiceMonitor the credentials (spec.endpoints[].authorization)' : `\`kubectl logs\` of the ${m.component} pod says why it fails` };
    }
    return judge(m, url, r.contentType, r.body, hp, where);
  } catch (err) {
    if (!(err instanceof ProbeError)) throw err;
    const ev = err.kind === 'refused' || err.kind === 'timeout' ? undefined : await identifyService(a.ip, a.port, { timeoutMs: 1500 }).catch(() => undefined);
    return { status: 'fail', id: 'unreachable', cause: err.kind === 'refused' || err.kind === 'timeout' ? cause.unreachable(hp) : cause.wrongService(hp), details: { url, error: err.message },
      text: `${m.component}: no HTTP answer from ${url} (${err.kind}: ${err.message})${ev ? `; ${describeService(ev)}` : ''}`,
      hint: err.kind === 'refused' ? `nothing listens on ${a.port} in the pod: the component's \`prof-port\` differs from the Service's ${m.portName} port, or the profiler is off` : err.kind === 'timeout' ? 'a NetworkPolicy may block traffic to the pod\'s metrics port from this pod (Prometheus needs the same access)' : `something else answers on ${a.port}` };
  }
}

/** Judges a 200 answer of a metrics endpoint: Prometheus text, or what it is instead. */
function judge(m: MetricsComponent, url: string, contentType: string, body: string, hp: string, where: string): Item<Id> {
  const r = { contentType };
  const html = /text\/html/i.test(r.contentType) || /^\s*<(!doctype|html)/i.test(body);
  let json = false;
  try { const j = JSON.parse(body) as unknown; json = typeof j === 'object' && j !== null; } catch { /* not JSON */ }
  if (html || json) {
    return { status: 'fail', id: 'notPrometheus', cause: cause.wrongService(hp), details: { url, contentType: r.contentType },
      text: `${m.component}: GET ${url} answered ${html ? 'an HTML page' : 'JSON'} (${r.contentType || 'no content type'}), not Prometheus text: the port serves something else`,
      hint: `point ${where} at the profiler port of ${m.component} (\`prof-port\`, default 10254), which serves /metrics` };
  }
  const p = parseExposition(body);
  if (p.error) {
    return { status: 'fail', id: 'notPrometheus', cause: cause.wrongService(hp), details: { url, line: p.error.line, samplesBefore: p.samples },
      text: `${m.component}: GET ${url} is not Prometheus text: line ${p.error.line} "${p.error.text}" (${p.error.why})`,
      hint: `Prometheus rejects the whole scrape; point ${where} at the profiler port of ${m.component} (default 10254)` };
  }
  if (!p.samples) {
    return { status: 'fail', id: 'emptyMetrics', cause: cause.wrongService(hp), details: { url }, text: `${m.component}: GET ${url} answered 200 with no samples`, hint: `the port answers but serves no metrics: point ${where} at the profiler port of ${m.component} (default 10254)` };
  }
  return { status: 'pass', id: 'answers', details: { url, samples: p.samples, families: p.families, flyteSamples: p.flyteSamples },
    text: `${m.component}: ${url} answers Prometheus text (${p.samples} samples, ${p.families} families${p.flyteSamples ? `, ${p.flyteSamples} flyte:*` : ''})` };
}

/** From this machine: GET /metrics through the API server's service (or pod) proxy. */
async function viaApiProxy(ctx: CheckContext, s: KubeSession, m: MetricsComponent, found: Address[], where: string, signal: AbortSignal): Promise<Item<Id>> {
  const t = ctx.target;
  const ns = t.kubernetes.namespace;
  const k = kubectl(t.kubernetes, ns);
  const e = encodeURIComponent;
  const a = found[0]!;
  const hp = hostPortKey(a.ip, a.port);
  const path = m.component === 'flyte-binary' || !m.service
    ? `/api/v1/namespaces/${e(ns)}/pods/${e(a.pod ?? '')}:${a.port}/proxy${m.path}`
    : `/api/v1/namespaces/${e(ns)}/services/${e(m.service)}:${e(m.portName)}/proxy${m.path}`;
  const shown = `${k} get --raw ${path}`;
  const cannot = (why: string, details: Record<string, string | number>, cause?: string): Item<Id> => ({ status: 'warn', id: 'notFromHere', ...(cause ? { cause } : {}), details: { ...details, request: path },
    text: `${m.component}: ${where} has ${found.length} ready endpoint(s) (${found.slice(0, 3).map((x) => `${x.ip}:${x.port}`).join(', ')}), pod addresses inside the cluster, and ${why}: cannot be checked from this machine`,
    hint: `run flyte-doctor with \`--in-cluster\` to scrape them from a pod, or \`${k} port-forward\` and \`curl localhost:<port>${m.path}\`` });
  let body: string;
  try {
    body = await s.getText(path, probeSignal(signal, Math.min(4000, Math.max(300, ctx.remainingMs() - 800))), 2 * 2 ** 20);
  } catch (err) {
    if (!(err instanceof KubeError)) throw err;
    if (ctx.signal.aborted) throw err;
    const msg = err.message;
    if (err.kind === 'forbidden' && /services\/proxy|pods\/proxy|cannot get resource/i.test(msg)) {
      const res = m.component === 'flyte-binary' ? 'pods/proxy' : 'services/proxy';
      // one fault with the identity's other denials (a restricted user): the root is where it is said first
      return cannot(`user "${s.identity.user}" may not use the API server's proxy (403 on ${res})`, { error: msg }, cause.denied('kubernetes', s.identity.user || 'anonymous', `get ${res}`));
    }
    if (err.kind === 'timeout') return cannot('the API server\'s proxy did not answer in time (the control plane may not reach the pod network)', { error: msg });
    if (/error trying to reach service|dial tcp|no route to host|i\/o timeout|denied destination|connection refused/i.test(msg)) {
      const refused = /connection refused/i.test(msg);
      if (refused) {
        return { status: 'fail', id: 'unreachable', cause: cause.unreachable(hp), details: { request: path, error: msg },
          text: `${m.component}: the API server reached the pod but nothing listens on its metrics port (${msg})`,
          hint: `nothing listens on ${a.port} in the pod: the component's \`prof-port\` differs from the Service's ${m.portName} port, or the profiler is off` };
      }
      return cannot(`the API server's proxy could not reach the pod (${msg.replace(/^GET \S+: /, '')})`, { error: msg });
    }
    if (/no endpoints available/i.test(msg)) {
      return { status: 'fail', id: 'noEndpoints', cause: cause.backend(m.component), details: { request: path, error: msg }, text: `${m.component}: the API server finds no endpoint for ${where} (${msg})`, hint: `\`${k} get endpoints ${m.service ?? ''}\`; flyte.deployments.ready says why the pods are not ready` };
    }
    // Anything else came from the pod itself, through the proxy.
    const status = err.extra.status ?? 0;
    const front = status === 401 || status === 403;
    return { status: 'fail', id: 'httpError', cause: front ? cause.frontAuth(hp) : cause.wrongService(hp), details: { request: path, status, error: msg },
      text: `${m.component}: ${shown} answered HTTP ${status}${status === 404 ? ': no /metrics handler on this port (it is not the profiler port)' : ''} (${msg.replace(/^GET \S+: /, '')})`,
      hint: status === 404 ? `the profiler (metrics) port of ${m.component} is its \`prof-port\`/profilerPort (default 10254): point ${where} at it` : `\`${shown}\` reproduces it; \`kubectl logs\` of the ${m.component} pod says why` };
  }
  return judge(m, `${path} (through the API server)`, '', body, hp, where);
}
