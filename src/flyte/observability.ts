// Prometheus metrics (serviceMonitor) and task-log links (task_logs plugins) the values configure.
//
// Metrics (flyte-core, charts/flyte-core/templates/*/service-monitor.yaml and service.yaml at
// flyteorg/flyte master 89cf9cc7, chart v0.1.10): every component serves Prometheus text on its
// profiler port (10254, flytestdlib profutils `/metrics`). A ServiceMonitor `<component>` in the
// release namespace selects `app.kubernetes.io/name=<component>, app.kubernetes.io/instance=<release>`
// on port name `http-metrics`, path /metrics. It is rendered only when:
//   flyteadmin:      flyteadmin.enabled && flyteadmin.serviceMonitor.enabled          (Service flyteadmin has http-metrics 10254)
//   datacatalog:     datacatalog.enabled && datacatalog.serviceMonitor.enabled        (Service datacatalog has http-metrics 10254)
//   flytepropeller:  flytepropeller.service.enabled && flytepropeller.serviceMonitor.enabled (Service only with service.enabled)
//   flytescheduler:  workflow_scheduler.enabled && type native && flytescheduler.service.enabled && serviceMonitor.enabled
//                    (Service port configmap.schedulerConfig.scheduler.profilerPort, default 10254)
//   flyteconsole:    flyteconsole.enabled && flyteconsole.serviceMonitor.enabled: its Service has only port
//                    `http` 80, so the ServiceMonitor's `http-metrics` selects nothing (a chart bug).
// flyte-binary 1.x (v0.1.10) renders no ServiceMonitor and no Service port for 10254 (`serviceMonitor`
// is not one of its values keys, src/flyte/chart-keys.data.ts).
//
// Task logs (flyteplugins/go/tasks/logs/config.go LogConfig, logging_utils.go InitializeLogPlugins,
// pluginmachinery/tasklog/template.go): flyte-binary renders `configuration.logging.plugins.<kind>.
// {enabled,templateUri}` and `custom` into plugins.logs (`kubernetes-enabled` is always written, so
// Flyte's own default, a kubernetes link to localhost:30082, never applies) without tpl;
// `configuration.inline.plugins.logs` overrides it through tpl. flyte-core pastes
// `configmap.task_logs` into task_logs.yaml through tpl, so a `{{ .podName }}` written there is
// rendered by Helm (to nothing) unless escaped as {{ "{{" }} .podName {{ "}}" }} or {{`{{ .podName }}`}}.
import type { Reader } from '../config/charts.js';
import type { Chart } from '../config/target.js';
import { isDict } from '../config/values.js';

// ---------------------------------------------------------------------------------------------
// metrics

export interface MetricsComponent {
  /** flyteadmin, datacatalog, flytepropeller, flytescheduler, flyteconsole (flyte-core); flyte-binary. */
  component: string;
  /** The component is deployed by these values. */
  deployed: boolean;
  /** The metrics Service (flyte-core: the component's Service), when the chart renders one with a metrics port. */
  service?: string;
  /** The Service port name and number Prometheus scrapes (http-metrics 10254). */
  portName: string;
  port: number;
  path: string;
  /** `<component>.serviceMonitor.enabled` is true in the values. */
  serviceMonitor: boolean;
  /** The values key that enables it and where its value came from. */
  serviceMonitorKey: string;
  serviceMonitorSource?: string;
  /** The chart renders the ServiceMonitor (all its conditions hold). */
  rendered: boolean;
  /** Why an enabled serviceMonitor renders nothing or scrapes nothing, with the key to set. */
  problem?: { text: string; key: string; value: string };
  /** `<component>.serviceMonitor.labels` (what a Prometheus serviceMonitorSelector must match). */
  labels: Record<string, string>;
  labelsKey: string;
}

// ---------------------------------------------------------------------------------------------
// task logs

export type TaskLogKind = 'kubernetes' | 'cloudwatch' | 'stackdriver' | 'template';

export interface TaskLogTemplate {
  /** The template as Flyte receives it (after Helm's rendering: escapes undone). */
  uri: string;
  /** As written in the values (before Helm's rendering), when it differs. */
  written?: string;
  /** The values key it is set at, and where the value came from. */
  key: string;
  source: string;
  /** Built by Flyte from deprecated fields (region/log group, project/resource, kubernetes-url) instead of a template. */
  builtFrom?: string[];
  /** `{{ .x }}` that Helm's tpl replaces (with nothing) before Flyte sees the template. */
  eatenByHelm?: string[];
  /** Helm escapes (`{{ "{{" }}`, `{{`…`}}`) in a value the chart does not pass through tpl: they reach Flyte literally. */
  literalEscapes?: string[];
}

export interface TaskLogPlugin {
  kind: TaskLogKind;
  /** The display name Flyte gives the link (Kubernetes Logs, Cloudwatch Logs, …, or a template's displayName). */
  displayName: string;
  /** The values key that enables it. */
  enabledKey: string;
  enabledSource: string;
  templates: TaskLogTemplate[];
  /** cloudwatch-region / cloudwatch-log-group, gcp-project / stackdriver-logresourcename, kubernetes-url (deprecated form). */
  fields: Record<string, { value?: string; key: string }>;
  /** flyte-binary: enabled without templateUri (the chart's `required` fails helm install). */
  missingTemplateKey?: string;
  /** Templates whose dynamic links (`dynamicTemplateUris`) need `{{ .taskConfig.x }}`. */
  dynamic?: boolean;
}

export interface TaskLogs {
  /** The values key under which the logs plugins are configured (what a fix names). */
  key: string;
  /** Helm's tpl renders these values (flyte-core; flyte-binary's inline). */
  plugins: TaskLogPlugin[];
  /** Shapes the chart or Flyte cannot read (a string where a map belongs), as `key: problem`. */
  malformed: string[];
}

export interface Observability {
  metrics: MetricsComponent[];
  taskLogs: TaskLogs;
}

/** Every variable Flyte's task-log templates substitute (tasklog/template.go; case-insensitive, `.x` or `$x`). */
export const TASKLOG_VARIABLES: readonly string[] = [
  'podName', 'podUID', 'namespace', 'containerName', 'containerID', 'logName', 'hostname', 'nodeName',
  'podRFC3339StartTime', 'podRFC3339FinishTime', 'podUnixStartTime', 'podUnixFinishTime',
  'taskID', 'taskVersion', 'taskProject', 'taskDomain', 'taskRetryAttempt', 'nodeID',
  'executionName', 'executionProject', 'executionDomain', 'generatedName',
];
/** Variables only some plugins add (ExtraTemplateVars): map tasks, Ray, and connector/web-API tasks. */
export const PLUGIN_TASKLOG_VARIABLES: Readonly<Record<string, string>> = {
  subtaskExecutionIndex: 'map tasks (k8s-array)', subtaskParentName: 'map tasks (k8s-array)', subtaskRetryAttempt: 'map tasks (k8s-array)', subtaskParentRetryAttempt: 'map tasks (k8s-array)',
  rayClusterName: 'Ray tasks', rayJobID: 'Ray tasks',
  taskStartTime: 'connector tasks', taskStartTimeUnixMs: 'connector tasks', taskEndTime: 'connector tasks', taskEndTimeUnixMs: 'connector tasks',
};

/** A sample task pod, for showing what a template resolves to. */
export const SAMPLE_TASK: Readonly<Record<string, string>> = {
  podName: 'f7a1c2b3d4e5f6a7b8c9-n0-0', podUID: '3f2b8c1e-5d4a-4e7b-9c0d-1a2b3c4d5e6f', namespace: 'flytesnacks-development',
  containerName: 'f7a1c2b3d4e5f6a7b8c9-n0-0', containerID: '0a1b2c3d4e5f', logName: ' (User)', hostname: '', nodeName: 'node-1',
  podRFC3339StartTime: '2026-01-01T12:00:00Z', podRFC3339FinishTime: '2026-01-01T12:05:00Z', podUnixStartTime: '1767268800', podUnixFinishTime: '1767269100',
  taskID: 'my_module.my_task', taskVersion: 'v1', taskProject: 'flytesnacks', taskDomain: 'development', taskRetryAttempt: '0', nodeID: 'n0',
  executionName: 'f7a1c2b3d4e5f6a7b8c9', executionProject: 'flytesnacks', executionDomain: 'development', generatedName: 'f7a1c2b3d4e5f6a7b8c9-n0-0',
  subtaskExecutionIndex: '0', subtaskParentName: 'f7a1c2b3d4e5f6a7b8c9-n0', subtaskRetryAttempt: '0', subtaskParentRetryAttempt: '0',
  rayClusterName: 'f7a1c2b3d4e5f6a7b8c9-n0-0', rayJobID: 'f7a1c2b3d4e5f6a7b8c9-n0-0-job',
  taskStartTime: '2026-01-01T12:00:00Z', taskStartTimeUnixMs: '1767268800000', taskEndTime: '2026-01-01T12:05:00Z', taskEndTimeUnixMs: '1767269100000',
};

/** `{{ .x }}` / `{{ $x }}` variables in a template (Flyte's regex: `{{\s*[.$]name\s*}}`), and `{{ .taskConfig.x }}`. */
export function templateVariables(uri: string): { name: string; raw: string }[] {
  const out: { name: string; raw: string }[] = [];
  for (const m of uri.matchAll(/\{\{(-?)\s*([^{}]*?)\s*(-?)\}\}/g)) {
    const inner = m[2]!;
    const v = /^[.$]([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)$/.exec(inner);
    out.push({ name: v ? v[1]! : inner, raw: m[0] });
  }
  return out;
}

/** The canonical spelling of a variable Flyte knows (case-insensitive), or undefined. */
export function knownVariable(name: string): string | undefined {
  const l = name.toLowerCase();
  if (l.startsWith('taskconfig.')) return name;
  return [...TASKLOG_VARIABLES, ...Object.keys(PLUGIN_TASKLOG_VARIABLES)].find((v) => v.toLowerCase() === l);
}

/** The template with every known variable replaced by the sample task's value (unknown ones stay). */
export function resolveTemplate(uri: string, sample: Readonly<Record<string, string>> = SAMPLE_TASK): string {
  return uri.replace(/\{\{\s*[.$]([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (whole, name: string) => {
    const k = knownVariable(name);
    return k && sample[k] !== undefined ? sample[k]! : whole;
  });
}

/**
 * What Helm's `tpl` makes of a string Flyte should receive as a template: escapes are undone
 * (`{{ "{{" }}`, `{{`…`}}` raw strings), `{{ .x }}` (not .Values/.Release, already resolved by the
 * loader) renders as nothing. Returns the result and the variables Helm ate.
 */
export function helmTpl(s: string): { out: string; eaten: string[] } {
  const eaten: string[] = [];
  const out = s.replace(/\{\{-?\s*("(?:[^"\\]|\\.)*"|`[^`]*`|[^{}]*?)\s*-?\}\}/g, (whole, inner: string) => {
    if (inner.startsWith('"')) { try { return JSON.parse(inner) as string; } catch { return whole; } }
    if (inner.startsWith('`')) return inner.slice(1, -1);
    if (/^\.(Values|Release|Chart|Capabilities|Template)\b/.test(inner)) return whole; // the loader's business (unresolved: a placeholder)
    if (/^[.$][A-Za-z_][A-Za-z0-9_]*$/.test(inner)) { eaten.push(whole); return ''; }
    return whole;
  });
  return { out, eaten };
}

/** A YAML block-scalar value that itself is a quoted string (gke-starter's `templateUri: |` + `"https://…"`). */
function unquote(s: string): string {
  const t = s.trim();
  if (t.length >= 2 && ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'")))) {
    if (t.startsWith('"')) { try { return JSON.parse(t) as string; } catch { return t.slice(1, -1); } }
    return t.slice(1, -1).replace(/''/g, "'");
  }
  return t;
}

// ---------------------------------------------------------------------------------------------
// mapping

type R = Reader;

function safe<T>(f: () => T): T | undefined {
  try { return f(); } catch { return undefined; }
}

function str(r: R, key: string, bad: string[]): string | undefined {
  try { return r.str(key); } catch { bad.push(`${key}: expected a string`); return undefined; }
}

function bool(r: R, key: string, bad: string[]): boolean | undefined {
  try { return r.bool(key); } catch { bad.push(`${key}: expected true or false`); return undefined; }
}

function metricsFromValues(chart: Chart, r: R): MetricsComponent[] {
  const bad: string[] = [];
  if (chart === 'flyte-binary') {
    const on = bool(r, 'serviceMonitor.enabled', bad) ?? false;
    return [{
      component: 'flyte-binary', deployed: true, portName: 'http-metrics', port: 10254, path: '/metrics',
      serviceMonitor: on, serviceMonitorKey: 'serviceMonitor.enabled', ...(on ? { serviceMonitorSource: r.prov('serviceMonitor.enabled') } : {}),
      rendered: false, labels: {}, labelsKey: 'serviceMonitor.labels',
      ...(on ? { problem: { text: 'the flyte-binary chart (1.x, v0.1.10) renders no ServiceMonitor and no Service port for the metrics port 10254 (`serviceMonitor` is not one of its keys)', key: 'service.extraPorts', value: '[{name: http-metrics, port: 10254, targetPort: 10254}] and a ServiceMonitor of your own' } } : {}),
    }];
  }
  const enabled = (c: string, def = true) => bool(r, `${c}.enabled`, bad) ?? def;
  const smOn = (c: string) => bool(r, `${c}.serviceMonitor.enabled`, bad) ?? false;
  const labels = (c: string) => safe(() => r.strMap(`${c}.serviceMonitor.labels`)) ?? {};
  const base = (c: string, deployed: boolean, service: string | undefined, port = 10254): MetricsComponent => {
    const on = smOn(c);
    return {
      component: c, deployed, ...(service ? { service } : {}), portName: 'http-metrics', port, path: '/metrics',
      serviceMonitor: on, serviceMonitorKey: `${c}.serviceMonitor.enabled`, ...(on ? { serviceMonitorSource: r.prov(`${c}.serviceMonitor.enabled`) } : {}),
      rendered: on && deployed, labels: labels(c), labelsKey: `${c}.serviceMonitor.labels`,
    };
  };
  const out: MetricsComponent[] = [];
  const admin = enabled('flyteadmin');
  out.push(base('flyteadmin', admin, admin ? 'flyteadmin' : undefined));
  const dc = enabled('datacatalog');
  out.push(base('datacatalog', dc, dc ? 'datacatalog' : undefined));

  const prop = enabled('flytepropeller');
  const propSvc = prop && (bool(r, 'flytepropeller.service.enabled', bad) ?? false);
  const p = base('flytepropeller', prop, propSvc ? 'flytepropeller' : undefined);
  p.rendered = p.serviceMonitor && propSvc;
  if (p.serviceMonitor && prop && !propSvc) p.problem = { text: 'flytepropeller.serviceMonitor.enabled is true but flytepropeller.service.enabled is not: the chart renders neither the Service nor the ServiceMonitor', key: 'flytepropeller.service.enabled', value: 'true' };
  out.push(p);

  const schedOn = (bool(r, 'workflow_scheduler.enabled', bad) ?? false) && (str(r, 'workflow_scheduler.type', bad) ?? '') === 'native';
  const schedSvc = schedOn && (bool(r, 'flytescheduler.service.enabled', bad) ?? false);
  const schedPort = safe(() => r.port('configmap.schedulerConfig.scheduler.profilerPort')) ?? 10254;
  const s = base('flytescheduler', schedOn, schedSvc ? 'flytescheduler' : undefined, schedPort);
  s.rendered = s.serviceMonitor && schedSvc;
  if (s.serviceMonitor && !schedOn) s.problem = { text: 'flytescheduler.serviceMonitor.enabled is true but the native scheduler is not deployed (workflow_scheduler.enabled with type native): nothing to monitor', key: 'flytescheduler.serviceMonitor.enabled', value: 'false' };
  else if (s.serviceMonitor && !schedSvc) s.problem = { text: 'flytescheduler.serviceMonitor.enabled is true but flytescheduler.service.enabled is not: the chart renders neither the Service nor the ServiceMonitor', key: 'flytescheduler.service.enabled', value: 'true' };
  out.push(s);

  const consoleOn = enabled('flyteconsole');
  const c = base('flyteconsole', consoleOn, undefined);
  if (c.serviceMonitor && consoleOn) c.problem = { text: 'the chart\'s flyteconsole Service has only port `http` (80): the ServiceMonitor it renders scrapes port `http-metrics`, which does not exist, so Prometheus gets no console metrics', key: 'flyteconsole.serviceMonitor.enabled', value: 'false' };
  out.push(c);
  return out;
}

interface Raw { value: unknown; key: string }

function taskLogsFromValues(chart: Chart, r: R): TaskLogs {
  const malformed: string[] = [];
  const plugins: TaskLogPlugin[] = [];
  const dictAt = (key: string): Record<string, unknown> | undefined => {
    let v: unknown;
    try { v = r.raw(key); } catch { malformed.push(`${key}: a parent key is not a map`); return undefined; }
    if (v === undefined || v === null) return undefined;
    if (!isDict(v)) { malformed.push(`${key}: expected a map, got ${typeof v}`); return undefined; }
    return v as Record<string, unknown>;
  };
  const asBool = (x: Raw): boolean | undefined => {
    if (x.value === undefined || x.value === null || x.value === '') return undefined;
    if (typeof x.value === 'boolean') return x.value;
    if (typeof x.value === 'string' && /^(true|false)$/i.test(x.value.trim())) return x.value.trim().toLowerCase() === 'true';
    malformed.push(`${x.key}: expected true or false`);
    return undefined;
  };
  const asStr = (x: Raw): string | undefined => {
    if (x.value === undefined || x.value === null || x.value === '') return undefined;
    if (typeof x.value === 'string') return x.value;
    if (typeof x.value === 'number' || typeof x.value === 'boolean') return String(x.value);
    malformed.push(`${x.key}: expected a string`);
    return undefined;
  };
  const tplTemplate = (written: string, key: string, viaTpl: boolean, extra: Partial<TaskLogTemplate> = {}): TaskLogTemplate => {
    const un = unquote(written);
    const t = viaTpl ? helmTpl(un) : { out: un, eaten: [] };
    const literal = viaTpl ? [] : [...new Set([...un.matchAll(/\{\{-?\s*(?:"(?:\{\{|\}\})"|`[^`]*`)\s*-?\}\}/g)].map((m) => m[0]))];
    return { uri: t.out, ...(t.out !== written.trim() ? { written: written.trim() } : {}), key, source: safe(() => r.prov(key)) ?? key, ...(t.eaten.length ? { eatenByHelm: t.eaten } : {}), ...(literal.length ? { literalEscapes: literal } : {}), ...extra };
  };
  /**
   * Flyte's LogConfig (plugins.logs) as a map; `keyOf` names the values key each field comes from,
   * `tplOf` whether Helm renders that key with tpl.
   */
  const fromLogConfig = (cfg: Record<string, unknown>, keyOf: (k: string) => string, tplOf: (k: string) => boolean, defaults: boolean) => {
    const at = (k: string): Raw => ({ value: cfg[k], key: keyOf(k) });
    const on = (k: string): boolean | undefined => asBool(at(k));
    const kube = on('kubernetes-enabled') ?? (defaults ? true : false);
    if (kube) {
      const tpl = asStr(at('kubernetes-template-uri'));
      const url = asStr(at('kubernetes-url'));
      const templates = tpl !== undefined
        ? [tplTemplate(tpl, keyOf('kubernetes-template-uri'), tplOf('kubernetes-template-uri'))]
        : cfg['kubernetes-enabled'] === undefined
          ? [{ uri: 'http://localhost:30082/#!/log/{{ .namespace }}/{{ .podName }}/pod?namespace={{ .namespace }}', key: keyOf('kubernetes-template-uri'), source: "Flyte's built-in default (kubernetes-enabled is not set)" }]
          : [{ uri: `${url ?? ''}/#!/log/{{ .namespace }}/{{ .podName }}/pod?namespace={{ .namespace }}`, key: keyOf('kubernetes-url'), source: url !== undefined ? (safe(() => r.prov(keyOf('kubernetes-url'))) ?? keyOf('kubernetes-enabled')) : 'not set', builtFrom: ['kubernetes-url'] }];
      plugins.push({ kind: 'kubernetes', displayName: 'Kubernetes Logs', enabledKey: keyOf('kubernetes-enabled'), enabledSource: cfg['kubernetes-enabled'] === undefined ? "Flyte's built-in default" : (safe(() => r.prov(keyOf('kubernetes-enabled'))) ?? keyOf('kubernetes-enabled')), templates,
        fields: { 'kubernetes-url': { ...(url !== undefined ? { value: url } : {}), key: keyOf('kubernetes-url') } } });
    }
    if (on('cloudwatch-enabled')) {
      const tpl = asStr(at('cloudwatch-template-uri'));
      const region = asStr(at('cloudwatch-region'));
      const group = asStr(at('cloudwatch-log-group'));
      const templates = tpl !== undefined
        ? [tplTemplate(tpl, keyOf('cloudwatch-template-uri'), tplOf('cloudwatch-template-uri'))]
        : [{ uri: `https://console.aws.amazon.com/cloudwatch/home?region=${region ?? ''}#logEventViewer:group=${group ?? ''};stream=var.log.containers.{{ .podName }}_{{ .namespace }}_{{ .containerName }}-{{ .containerId }}.log`, key: keyOf('cloudwatch-log-group'), source: safe(() => r.prov(keyOf('cloudwatch-enabled'))) ?? keyOf('cloudwatch-enabled'), builtFrom: ['cloudwatch-region', 'cloudwatch-log-group'] }];
      plugins.push({ kind: 'cloudwatch', displayName: 'Cloudwatch Logs', enabledKey: keyOf('cloudwatch-enabled'), enabledSource: safe(() => r.prov(keyOf('cloudwatch-enabled'))) ?? keyOf('cloudwatch-enabled'), templates,
        fields: { 'cloudwatch-region': { ...(region !== undefined ? { value: region } : {}), key: keyOf('cloudwatch-region') }, 'cloudwatch-log-group': { ...(group !== undefined ? { value: group } : {}), key: keyOf('cloudwatch-log-group') } } });
    }
    if (on('stackdriver-enabled')) {
      const tpl = asStr(at('stackdriver-template-uri'));
      const project = asStr(at('gcp-project'));
      const res = asStr(at('stackdriver-logresourcename'));
      const templates = tpl !== undefined
        ? [tplTemplate(tpl, keyOf('stackdriver-template-uri'), tplOf('stackdriver-template-uri'))]
        : [{ uri: `https://console.cloud.google.com/logs/viewer?project=${project ?? ''}&angularJsUrl=%2Flogs%2Fviewer%3Fproject%3D${project ?? ''}&resource=${res ?? ''}&advancedFilter=resource.labels.pod_name%3D{{ .podName }}`, key: keyOf('gcp-project'), source: safe(() => r.prov(keyOf('stackdriver-enabled'))) ?? keyOf('stackdriver-enabled'), builtFrom: ['gcp-project', 'stackdriver-logresourcename'] }];
      plugins.push({ kind: 'stackdriver', displayName: 'Stackdriver Logs', enabledKey: keyOf('stackdriver-enabled'), enabledSource: safe(() => r.prov(keyOf('stackdriver-enabled'))) ?? keyOf('stackdriver-enabled'), templates,
        fields: { 'gcp-project': { ...(project !== undefined ? { value: project } : {}), key: keyOf('gcp-project') }, 'stackdriver-logresourcename': { ...(res !== undefined ? { value: res } : {}), key: keyOf('stackdriver-logresourcename') } } });
    }
    templatesFrom(keyOf('templates'), cfg['templates'], tplOf('templates'));
  };
  const templatesFrom = (key: string, list: unknown, viaTpl: boolean) => {
    if (list === undefined || list === null) return;
    if (!Array.isArray(list)) { malformed.push(`${key}: expected a list of {displayName, templateUris}`); return; }
    list.forEach((t, i) => {
      const k = `${key}[${i}]`;
      if (!isDict(t)) { malformed.push(`${k}: expected a map with displayName and templateUris`); return; }
      const name = typeof t['displayName'] === 'string' ? t['displayName'] : typeof t['name'] === 'string' ? t['name'] : `template ${i + 1}`;
      const uris = t['templateUris'] ?? t['templateURIs'];
      const dyn = t['dynamicTemplateUris'];
      const templates: TaskLogTemplate[] = [];
      const collect = (v: unknown, field: string) => {
        if (v === undefined || v === null) return;
        const arr = typeof v === 'string' ? [v] : Array.isArray(v) ? v : undefined;
        if (!arr) { malformed.push(`${k}.${field}: expected a list of URL templates`); return; }
        arr.forEach((u, j) => {
          if (typeof u !== 'string') { malformed.push(`${k}.${field}[${j}]: expected a string`); return; }
          templates.push(tplTemplate(u, `${k}.${field}[${j}]`, viaTpl));
        });
      };
      collect(uris, 'templateUris');
      collect(dyn, 'dynamicTemplateUris');
      plugins.push({ kind: 'template', displayName: name, enabledKey: k, enabledSource: safe(() => r.prov(k)) ?? k, templates, fields: {}, ...(dyn !== undefined && dyn !== null ? { dynamic: true } : {}) });
    });
  };

  if (chart === 'flyte-binary') {
    // 001-plugins.yaml (no tpl) as Flyte reads it, then 100-inline-config.yaml (tpl) over it, key by key.
    const base = 'configuration.logging.plugins';
    const inlineBase = 'configuration.inline.plugins.logs';
    const cfg: Record<string, unknown> = {};
    const keys: Record<string, string> = {};
    const viaTpl = new Set<string>();
    const missing: { kind: string; key: string }[] = [];
    const lp = dictAt(base) ?? {};
    for (const kind of ['kubernetes', 'cloudwatch', 'stackdriver'] as const) {
      const m = lp[kind];
      cfg[`${kind}-enabled`] = false;
      keys[`${kind}-enabled`] = `${base}.${kind}.enabled`;
      if (m === undefined || m === null) continue;
      if (!isDict(m)) { malformed.push(`${base}.${kind}: expected a map with enabled and templateUri`); continue; }
      const on = asBool({ value: m['enabled'], key: `${base}.${kind}.enabled` }) ?? false;
      cfg[`${kind}-enabled`] = on;
      if (!on) continue;
      const tpl = asStr({ value: m['templateUri'], key: `${base}.${kind}.templateUri` });
      if (tpl === undefined) { missing.push({ kind, key: `${base}.${kind}.templateUri` }); continue; }
      cfg[`${kind}-template-uri`] = tpl;
      keys[`${kind}-template-uri`] = `${base}.${kind}.templateUri`;
    }
    if (lp['custom'] !== undefined && lp['custom'] !== null) { cfg['templates'] = lp['custom']; keys['templates'] = `${base}.custom`; }
    const inline = dictAt(inlineBase);
    for (const [k, v] of Object.entries(inline ?? {})) { cfg[k] = v; keys[k] = `${inlineBase}.${k}`; viaTpl.add(k); }
    fromLogConfig(cfg, (k) => keys[k] ?? `${inline ? inlineBase : base}.${k}`, (k) => viaTpl.has(k), false);
    for (const m of missing) {
      const p = plugins.find((x) => x.kind === m.kind);
      if (p && !viaTpl.has(`${m.kind}-template-uri`)) { p.templates = []; p.missingTemplateKey = m.key; p.fields = {}; }
    }
    return { key: inline ? inlineBase : base, plugins, malformed };
  }
  const base = 'configmap.task_logs.plugins.logs';
  const cfg = dictAt(base);
  // The chart's values.yaml sets kubernetes-enabled/cloudwatch-enabled false; `null` removes them (Flyte's default then applies).
  let explicitNull = false;
  try { explicitNull = r.raw('configmap.task_logs') === null || r.raw('configmap.task_logs.plugins') === null || r.raw(base) === null; } catch { /* malformed, reported */ }
  fromLogConfig(cfg ?? {}, (k) => `${base}.${k}`, () => true, explicitNull);
  return { key: base, plugins, malformed };
}

/** What the values say about metrics and task logs; undefined when they say nothing. */
export function observabilityFromValues(chart: Chart, r: Reader, _namespace: string): Observability | undefined {
  return { metrics: metricsFromValues(chart, r), taskLogs: taskLogsFromValues(chart, r) };
}

// ---------------------------------------------------------------------------------------------
// Prometheus text exposition format (0.0.4) and OpenMetrics, as evidence for flyte.metrics.endpoints

export interface ExpositionParse {
  /** Sample lines read. */
  samples: number;
  /** Metric families named by `# TYPE`. */
  families: number;
  /** Sample names starting with `flyte` (Flyte's own metrics: flyte:admin:…, flyte:propeller:…). */
  flyteSamples: number;
  /** First line that is not valid exposition text (1-based), with the line. */
  error?: { line: number; text: string; why: string };
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const VALUE = /^(?:[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|Inf|inf)|NaN|nan)$/;

/** Parses Prometheus text format (what client_golang serves on /metrics); stops at the first bad line. */
export function parseExposition(body: string): ExpositionParse {
  const out: ExpositionParse = { samples: 0, families: 0, flyteSamples: 0 };
  const lines = body.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (!line.trim()) continue;
    const bad = (why: string) => { out.error = { line: i + 1, text: line.slice(0, 120), why }; return out; };
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE|UNIT|EOF)\b\s*(\S*)\s*(.*)$/.exec(line);
      if (m && m[1] === 'TYPE') {
        if (!METRIC_NAME.test(m[2]!)) return bad(`"${m[2]}" is not a metric name`);
        if (!/^(counter|gauge|histogram|summary|untyped|unknown|gaugehistogram|stateset|info)$/.test(m[3]!.trim())) return bad(`"${m[3]}" is not a metric type`);
        out.families++;
      } else if (m && m[1] !== 'EOF' && m[2] && !METRIC_NAME.test(m[2])) return bad(`"${m[2]}" is not a metric name`);
      continue;
    }
    // name{labels} value [timestamp]
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})?\s+(\S+)(?:\s+(-?\d+(?:\.\d+)?))?\s*(?:#.*)?$/.exec(line);
    if (!m) return bad('not a sample line (name{labels} value)');
    if (!VALUE.test(m[3]!)) return bad(`"${m[3]}" is not a sample value`);
    out.samples++;
    if (/^flyte/.test(m[1]!)) out.flyteSamples++;
  }
  return out;
}

/** Whether a LabelSelector (matchLabels + matchExpressions) matches a label map; an empty selector matches everything. */
export function selectorMatches(sel: unknown, labels: Readonly<Record<string, string>>): boolean {
  if (!sel || typeof sel !== 'object') return true;
  const s = sel as Record<string, unknown>;
  const ml = s['matchLabels'] && typeof s['matchLabels'] === 'object' ? (s['matchLabels'] as Record<string, unknown>) : {};
  for (const [k, v] of Object.entries(ml)) if (labels[k] !== String(v)) return false;
  for (const e of Array.isArray(s['matchExpressions']) ? s['matchExpressions'] : []) {
    if (!e || typeof e !== 'object') continue;
    const x = e as Record<string, unknown>;
    const key = String(x['key']);
    const vals = Array.isArray(x['values']) ? x['values'].map(String) : [];
    const has = Object.prototype.hasOwnProperty.call(labels, key);
    switch (x['operator']) {
      case 'In': if (!has || !vals.includes(labels[key]!)) return false; break;
      case 'NotIn': if (has && vals.includes(labels[key]!)) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
      default: return false;
    }
  }
  return true;
}

/**
 * Spellings of a task-log variable Flyte does NOT substitute, so they stay literally in every link. Flyte
 * replaces a variable only when written `{{ .name }}` or `{{ $name }}` (regex `(?i){{\s*[.$]name\s*}}`,
 * flyteplugins tasklog/template.go): no dot (`{{ podName }}`), Go's trim markers (`{{- .podName -}}`) and
 * unbalanced braces (`{{ .podName }`, `{ .podName }}`, `{ .podName }`) are not. Only names Flyte knows are
 * reported (an unknown name is another finding), each with the spelling that works.
 */
export function malformedVariables(uri: string): { raw: string; name: string; why: string; fixed: string }[] {
  const out: { raw: string; name: string; why: string; fixed: string }[] = [];
  let rest = uri;
  for (const m of uri.matchAll(/\{\{(-?)\s*([^{}]*?)\s*(-?)\}\}/g)) {
    const inner = m[2]!;
    const dotted = /^[.$]([A-Za-z_][A-Za-z0-9_]*)$/.exec(inner);
    const bare = /^([A-Za-z_][A-Za-z0-9_]*)$/.exec(inner);
    const name = dotted ? knownVariable(dotted[1]!) : bare ? knownVariable(bare[1]!) : undefined;
    rest = rest.replace(m[0], ' ');
    if (!name) continue;
    if (m[1] || m[3]) out.push({ raw: m[0], name, why: 'Flyte does not accept Go\'s trim markers {{- -}}', fixed: `{{ .${name} }}` });
    else if (bare) out.push({ raw: m[0], name, why: 'the variable has no leading dot', fixed: `{{ .${name} }}` });
  }
  for (const m of rest.matchAll(/(\{{1,2})\s*[.$]([A-Za-z_][A-Za-z0-9_]*)\s*(\}{0,2})/g)) {
    const name = knownVariable(m[2]!);
    if (!name || (m[1]!.length === 2 && m[3]!.length === 2)) continue;
    out.push({ raw: m[0], name, why: 'its braces are unbalanced (Flyte needs {{ and }})', fixed: `{{ .${name} }}` });
  }
  return out;
}
