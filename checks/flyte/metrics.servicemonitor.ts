import { isObj, kubectl, KubeError, type KubeSession } from '../../src/clients/kube.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext } from '../../src/engine/types.js';
import { missingCrdCause, readCrd } from '../../src/flyte/backend-plugins.js';
import { selectorMatches, type MetricsComponent } from '../../src/flyte/observability.js';
import { rollUp, type Item } from '../kubernetes/_objects.js';
import { API_MESSAGES, withKube } from '../kubernetes/_support.js';

export const SERVICEMONITOR_CRD = 'servicemonitors.monitoring.coreos.com';
const PROMETHEUS_CRD = 'prometheuses.monitoring.coreos.com';
const INSTALL = '`helm install kube-prometheus-stack kube-prometheus-stack --repo https://prometheus-community.github.io/helm-charts -n monitoring --create-namespace` (the Prometheus Operator and its CRDs; or only the CRDs: `helm install prometheus-operator-crds prometheus-operator-crds --repo https://prometheus-community.github.io/helm-charts`)';

const MESSAGES = {
  selected: { status: 'pass', summary: 'The ServiceMonitor CRD is Established (and, in verify, each enabled ServiceMonitor exists and selects its component Service by label and port name).' },
  notEnabled: { status: 'skip', summary: 'No component has serviceMonitor.enabled: nothing to check.' },
  noValues: { status: 'skip', summary: 'No Helm values were given: which ServiceMonitors the install has is not known.' },
  crdMissing: { status: 'fail', summary: 'serviceMonitor is enabled but the ServiceMonitor CRD (monitoring.coreos.com) does not exist: helm install fails ("no matches for kind ServiceMonitor"); the Prometheus Operator is not installed.' },
  crdNotReady: { status: 'fail', summary: 'The ServiceMonitor CRD exists but is not Established, is being deleted, or its names conflict (condition quoted).' },
  notRendered: { status: 'warn', summary: 'serviceMonitor.enabled is set where the chart renders no ServiceMonitor (propeller/scheduler without their Service, a scheduler that is not deployed, flyte-binary 1.x): the key to set is named.' },
  noMetricsPort: { status: 'warn', summary: 'flyteconsole.serviceMonitor.enabled: the chart\'s console Service has no http-metrics port, so the ServiceMonitor scrapes nothing.' },
  notSelectedByPrometheus: { status: 'warn', summary: 'No Prometheus object selects the ServiceMonitor\'s labels (serviceMonitorSelector, e.g. kube-prometheus-stack\'s release label): Prometheus ignores it.' },
  noPrometheus: { status: 'warn', summary: 'The CRD exists but no Prometheus object runs in the cluster: nothing reads the ServiceMonitors.' },
  monitorMissing: { status: 'fail', summary: 'verify: the ServiceMonitor the values enable does not exist in the release namespace.' },
  serviceMissing: { status: 'fail', summary: 'verify: the component Service the ServiceMonitor should select does not exist.' },
  selectorMismatch: { status: 'fail', summary: 'verify: the ServiceMonitor\'s selector does not match the component Service\'s labels (or its namespaceSelector excludes the namespace).' },
  portMismatch: { status: 'fail', summary: 'verify: a ServiceMonitor endpoint names a port the selected Service does not have.' },
  cannotRead: { status: 'warn', summary: 'The identity may not read CRDs, ServiceMonitors or Prometheus objects (403): cannot be checked with these credentials.' },
  ...API_MESSAGES,
} as const;
type Id = keyof typeof MESSAGES;
type Obj = Record<string, unknown>;

const labelsOf = (o: unknown): Record<string, string> => {
  const md = isObj(o) && isObj(o['metadata']) ? o['metadata'] : {};
  return isObj(md['labels']) ? Object.fromEntries(Object.entries(md['labels']).filter(([, v]) => typeof v === 'string')) as Record<string, string> : {};
};
const fmt = (m: Record<string, string>) => Object.entries(m).map(([k, v]) => `${k}=${v}`).join(',') || '(none)';

async function forbiddenOr<T>(p: Promise<T>): Promise<T | KubeError> {
  try { return await p; } catch (e) { if (e instanceof KubeError && e.kind === 'forbidden') return e; throw e; }
}

export default defineCheck({
  id: 'flyte.metrics.servicemonitor',
  title: 'Prometheus Operator CRDs for the enabled ServiceMonitors, and (verify) the ServiceMonitors select the component Services',
  phases: ['preflight', 'verify'],
  needs: ['kubernetes'],
  dependsOn: ['kubernetes.api.reachable'],
  messages: MESSAGES,
  explain: {
    what: 'For each component with `<component>.serviceMonitor.enabled` (flyte-core: flyteadmin, datacatalog, flytepropeller, flytescheduler, flyteconsole): reads the CRD servicemonitors.monitoring.coreos.com, says when the chart renders no ServiceMonitor or one that scrapes nothing (propeller and scheduler need `service.enabled`; the console Service has no `http-metrics` port), and whether any Prometheus object\'s serviceMonitorSelector matches `<component>.serviceMonitor.labels`. In verify, reads each ServiceMonitor in the release namespace and compares its selector with the component Service\'s labels and its endpoint ports with the Service\'s port names.',
    why: 'Without the Prometheus Operator\'s CRD, `helm install` fails with "no matches for kind ServiceMonitor in version monitoring.coreos.com/v1". A ServiceMonitor whose labels no Prometheus selects, or whose selector/port matches no Service, installs fine and scrapes nothing: dashboards and alerts stay empty.',
    fix: 'Install the Prometheus Operator (kube-prometheus-stack) or set `<component>.serviceMonitor.enabled: false`; add the label your Prometheus selects (kube-prometheus-stack: `release: <its release name>`) under `<component>.serviceMonitor.labels`; for flytepropeller/flytescheduler set `<component>.service.enabled: true`.',
  },
  async run(ctx) {
    const t = ctx.target;
    const obs = t.observability;
    if (!obs) return { status: 'skip', messageId: 'noValues', message: 'no Helm values given: the ServiceMonitors of the install are not known' };
    const on = obs.metrics.filter((m) => m.serviceMonitor);
    if (!on.length) return { status: 'skip', messageId: 'notEnabled', message: `no component enables serviceMonitor (${obs.metrics.map((m) => m.serviceMonitorKey).join(', ')})` };
    const k = kubectl(t.kubernetes);
    const ns = t.kubernetes.namespace;
    return withKube<Id>(ctx, 'the ServiceMonitors', async (s, signal) => {
      const items: Item<Id>[] = [];
      for (const m of on) {
        if (m.problem) {
          const console = m.component === 'flyteconsole';
          items.push({ status: 'warn', id: console ? 'noMetricsPort' : 'notRendered', cause: cause.config(m.serviceMonitorKey),
            text: `${m.serviceMonitorKey} is true (${m.serviceMonitorSource ?? 'values'}) but ${m.problem.text}`, hint: `set \`${m.problem.key}: ${m.problem.value}\`` });
        }
      }
      const rendered = on.filter((m) => m.rendered);
      if (rendered.length) {
        const crd = await forbiddenOr(readCrd(s, SERVICEMONITOR_CRD, signal));
        if (crd instanceof KubeError) {
          items.push({ status: 'warn', id: 'cannotRead', text: `user "${s.identity.user}" may not read CRD ${SERVICEMONITOR_CRD} (403): whether the Prometheus Operator is installed cannot be checked`, hint: `\`${k} auth can-i get customresourcedefinitions\`; check as a user who may` });
        } else if (crd.state === 'missing') {
          const keys = rendered.map((m) => m.serviceMonitorKey);
          items.push({ status: 'fail', id: 'crdMissing', cause: await missingCrdCause(s, SERVICEMONITOR_CRD, signal),
            text: `${keys.join(', ')} ${keys.length > 1 ? 'are' : 'is'} true but CRD ${SERVICEMONITOR_CRD} does not exist: the Prometheus Operator is not installed, and helm install/upgrade fails with "no matches for kind \\"ServiceMonitor\\" in version \\"monitoring.coreos.com/v1\\""`,
            hint: `install the Prometheus Operator first: ${INSTALL}; or set ${keys.map((x) => `\`${x}: false\``).join(', ')}` });
        } else if (crd.state !== 'established') {
          items.push({ status: 'fail', id: 'crdNotReady', cause: cause.object('customresourcedefinition', undefined, SERVICEMONITOR_CRD),
            text: `CRD ${SERVICEMONITOR_CRD} is ${crd.state === 'terminating' ? 'being deleted' : crd.state === 'names-conflict' ? 'not served (its names conflict with another CRD)' : 'not Established'}${crd.condition ? ` (${crd.condition})` : ''}`,
            hint: `\`${k} get crd ${SERVICEMONITOR_CRD} -o yaml\` shows its conditions; re-install the Prometheus Operator's CRDs (${INSTALL})` });
        } else {
          items.push(...await prometheusSelection(s, rendered, ns, k, signal));
          if (ctx.phase === 'verify') for (const m of rendered) items.push(await verifyMonitor(ctx, s, m, signal));
          if (!items.some((i) => i.status !== 'pass')) items.push({ status: 'pass', id: 'selected', text: `CRD ${SERVICEMONITOR_CRD} is Established for ${rendered.map((m) => m.component).join(', ')}` });
        }
      }
      if (!items.length) items.push({ status: 'pass', id: 'selected', text: 'nothing rendered' });
      return rollUp(items, { what: 'the ServiceMonitors', details: { components: on.map((m) => m.component), namespace: ns } });
    });
  },
});

/** Does any Prometheus object select the ServiceMonitors' labels? */
async function prometheusSelection(s: KubeSession, ms: MetricsComponent[], ns: string, k: string, signal: AbortSignal): Promise<Item<Id>[]> {
  const crd = await forbiddenOr(readCrd(s, PROMETHEUS_CRD, signal));
  if (crd instanceof KubeError || crd.state !== 'established') return [];
  const proms = await forbiddenOr(s.list<Obj>('/apis/monitoring.coreos.com/v1/prometheuses', signal, { maxItems: 50 }));
  if (proms instanceof KubeError) return [{ status: 'warn', id: 'cannotRead', text: `user "${s.identity.user}" may not list Prometheus objects (403): whether one selects the ServiceMonitors cannot be checked`, hint: `\`${k} auth can-i list prometheuses.monitoring.coreos.com -A\`` }];
  if (!proms.length) {
    return [{ status: 'warn', id: 'noPrometheus', cause: cause.object('prometheus', undefined, 'any'), text: `the Prometheus Operator's CRDs exist but no Prometheus object runs in the cluster: nothing reads the ServiceMonitors`, hint: `create a Prometheus (kube-prometheus-stack does: ${INSTALL}); \`${k} get prometheuses -A\` lists them` }];
  }
  const nsObj = await s.getOptional<Obj>(`/api/v1/namespaces/${encodeURIComponent(ns)}`, signal).catch(() => undefined);
  const nsLabels = labelsOf(nsObj);
  const items: Item<Id>[] = [];
  for (const m of ms) {
    const labels = m.labels;
    const by = proms.filter((p) => {
      const spec = isObj(p['spec']) ? p['spec'] : {};
      const pns = isObj(p['metadata']) ? String(p['metadata']['namespace'] ?? '') : '';
      // serviceMonitorSelector null selects nothing; {} selects all (prometheus-operator).
      if (spec['serviceMonitorSelector'] === undefined || spec['serviceMonitorSelector'] === null) return false;
      if (!selectorMatches(spec['serviceMonitorSelector'], labels)) return false;
      const nsSel = spec['serviceMonitorNamespaceSelector'];
      if (nsSel === undefined || nsSel === null) return pns === ns; // only its own namespace
      return selectorMatches(nsSel, nsLabels);
    });
    if (by.length) continue;
    const first = proms[0]!;
    const spec = isObj(first['spec']) ? first['spec'] : {};
    const sel = isObj(spec['serviceMonitorSelector']) && isObj(spec['serviceMonitorSelector']['matchLabels']) ? (spec['serviceMonitorSelector']['matchLabels'] as Record<string, string>) : {};
    const missing = Object.entries(sel).filter(([kk, v]) => labels[kk] !== v);
    const pname = `${isObj(first['metadata']) ? String(first['metadata']['namespace']) : '?'}/${isObj(first['metadata']) ? String(first['metadata']['name']) : '?'}`;
    items.push({ status: 'warn', id: 'notSelectedByPrometheus', cause: cause.config(m.labelsKey),
      text: `no Prometheus selects the ServiceMonitor ${m.component} (labels ${fmt(labels)}, ${m.labelsKey}): Prometheus ${pname} selects ServiceMonitors with ${spec['serviceMonitorSelector'] === undefined || spec['serviceMonitorSelector'] === null ? 'nothing (serviceMonitorSelector unset)' : fmt(sel)}${isObj(spec['serviceMonitorNamespaceSelector']) ? ` in namespaces ${fmt((spec['serviceMonitorNamespaceSelector']['matchLabels'] ?? {}) as Record<string, string>)}` : spec['serviceMonitorNamespaceSelector'] === undefined ? ` in its own namespace only` : ''}`,
      hint: missing.length ? `add ${missing.map(([kk, v]) => `\`${m.labelsKey}.${kk}: ${v}\``).join(', ')}` : `make Prometheus ${pname} select namespace ${ns} (its serviceMonitorNamespaceSelector; kube-prometheus-stack: \`prometheus.prometheusSpec.serviceMonitorNamespaceSelector: {}\`) or set its serviceMonitorSelector` });
  }
  return items;
}

/** verify: the ServiceMonitor exists and selects the component Service by label and port name. */
async function verifyMonitor(ctx: CheckContext, s: KubeSession, m: MetricsComponent, signal: AbortSignal): Promise<Item<Id>> {
  const t = ctx.target;
  const ns = t.kubernetes.namespace;
  const k = kubectl(t.kubernetes, ns);
  const name = m.component;
  const sm = await s.getOptional<Obj>(`/apis/monitoring.coreos.com/v1/namespaces/${encodeURIComponent(ns)}/servicemonitors/${encodeURIComponent(name)}`, signal);
  if (!sm) {
    return { status: 'fail', id: 'monitorMissing', cause: cause.object('servicemonitor', ns, name), text: `ServiceMonitor ${ns}/${name} does not exist although ${m.serviceMonitorKey} is true`,
      hint: `apply the values (\`helm upgrade\` with ${m.serviceMonitorKey}: true renders it); \`${k} get servicemonitors\` lists what exists` };
  }
  const spec = isObj(sm['spec']) ? sm['spec'] : {};
  const selector = spec['selector'];
  const svcName = m.service ?? name;
  const svc = await s.getOptional<Obj>(`/api/v1/namespaces/${encodeURIComponent(ns)}/services/${encodeURIComponent(svcName)}`, signal);
  if (!svc) {
    return { status: 'fail', id: 'serviceMissing', cause: cause.object('service', ns, svcName), text: `ServiceMonitor ${ns}/${name} exists but Service ${ns}/${svcName} does not: it scrapes nothing`, hint: `\`${k} get svc\`; the chart renders Service ${svcName} with the component (check ${m.component}.enabled and \`helm status\`)` };
  }
  const nsSel = isObj(spec['namespaceSelector']) ? spec['namespaceSelector'] : undefined;
  const matchNames = nsSel && Array.isArray(nsSel['matchNames']) ? nsSel['matchNames'].map(String) : undefined;
  if (nsSel && nsSel['any'] !== true && matchNames && !matchNames.includes(ns)) {
    return { status: 'fail', id: 'selectorMismatch', cause: cause.object('servicemonitor', ns, name), text: `ServiceMonitor ${ns}/${name} looks for Services in namespaces ${matchNames.join(', ')} only, not ${ns}`, hint: `\`${k} edit servicemonitor ${name}\`: remove spec.namespaceSelector or add ${ns}` };
  }
  const svcLabels = labelsOf(svc);
  if (!selectorMatches(selector, svcLabels) || !isObj(selector)) {
    const sel = isObj(selector) && isObj(selector['matchLabels']) ? (selector['matchLabels'] as Record<string, string>) : {};
    const differ = Object.entries(sel).filter(([kk, v]) => svcLabels[kk] !== v).map(([kk, v]) => `${kk}=${v} (Service has ${svcLabels[kk] === undefined ? 'no such label' : svcLabels[kk]})`);
    return { status: 'fail', id: 'selectorMismatch', cause: cause.object('servicemonitor', ns, name),
      text: `ServiceMonitor ${ns}/${name} selects ${fmt(sel)} but Service ${svcName} is labelled ${fmt(svcLabels)}${differ.length ? `: ${differ.join(', ')}` : ''}`,
      hint: `the chart labels both with app.kubernetes.io/name=${m.component} and app.kubernetes.io/instance=<release>: a Service or ServiceMonitor edited by hand or from another release differs; \`helm upgrade\` restores them (\`${k} get svc ${svcName} --show-labels\`)` };
  }
  const ports = (isObj(svc['spec']) && Array.isArray(svc['spec']['ports']) ? svc['spec']['ports'] : []).filter(isObj);
  const names = ports.map((p) => (typeof p['name'] === 'string' ? p['name'] : '')).filter(Boolean);
  const eps = (Array.isArray(spec['endpoints']) ? spec['endpoints'] : []).filter(isObj);
  const bad = eps.map((e) => e['port'] ?? e['targetPort']).filter((p) => p !== undefined && !names.includes(String(p)) && !ports.some((x) => String(x['port']) === String(p) || String(x['targetPort']) === String(p)));
  if (!eps.length || bad.length) {
    return { status: 'fail', id: 'portMismatch', cause: cause.object('servicemonitor', ns, name),
      text: eps.length ? `ServiceMonitor ${ns}/${name} scrapes port ${bad.map(String).join(', ')} but Service ${svcName} has ports ${names.join(', ') || '(unnamed)'}` : `ServiceMonitor ${ns}/${name} has no endpoints`,
      hint: `the metrics port of ${m.component} is \`${m.portName}\` (${m.port}): \`${k} get svc ${svcName} -o jsonpath='{.spec.ports}'\`; ${m.component === 'flyteconsole' ? 'set `flyteconsole.serviceMonitor.enabled: false`' : '`helm upgrade` restores the chart\'s Service and ServiceMonitor'}` };
  }
  return { status: 'pass', id: 'selected', text: `ServiceMonitor ${name} selects Service ${svcName} (${fmt(Object.fromEntries(Object.entries(isObj(selector) && isObj(selector['matchLabels']) ? selector['matchLabels'] : {}).map(([a, b]) => [a, String(b)])))}) on port ${eps.map((e) => String(e['port'] ?? e['targetPort'])).join(', ')}` };
}
