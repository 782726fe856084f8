import { isObj, KubeError, kubectl, type KubeSession } from '../../src/clients/kube.js';
import type { Chart, Target } from '../../src/config/target.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import { projectNamespaces } from '../../src/flyte/namespaces.js';
import { resolveChartNames, type ChartNames } from '../../src/flyte/kubernetes.js';
import { FLYTEADMIN_TASK_DEFAULTS, taskDefaultsKey, templateConfigMap, templateObjects } from '../../src/flyte/rbac.js';
import { fixSetting, setting, whereSet } from '../../src/flyte/settings.js';
import { API_MESSAGES, withKube } from '../kubernetes/_support.js';

// ---------------------------------------------------------------------------------------------
// Kubernetes quantities, exactly (resource.Quantity): thousandths of the unit, rounded up like
// MilliValue(); binary (Ki..Ei) and decimal (n u m k M G T P E) suffixes and exponents (1e3, 2E-1).
// ---------------------------------------------------------------------------------------------

const BIN_EXP: Record<string, bigint> = { Ki: 10n, Mi: 20n, Gi: 30n, Ti: 40n, Pi: 50n, Ei: 60n };
const DEC_EXP: Record<string, number> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** A quantity in thousandths of its unit (millicores, millibytes), rounded up; undefined when it is not a Kubernetes quantity. */
export function milli(q: unknown): bigint | undefined {
  if (typeof q === 'number' && Number.isFinite(q)) q = String(q);
  if (typeof q !== 'string' || q.length > 64) return undefined;
  const m = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|(n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d{1,3}))?$/.exec(q.trim());
  if (!m) return undefined;
  const [, sign, num, bin, dec, exp] = m;
  const [int, frac = ''] = num!.split('.');
  let n = BigInt(`${int || '0'}${frac}`) * 1000n;
  let d = 10n ** BigInt(frac.length);
  if (bin) n *= 2n ** BIN_EXP[bin]!;
  const e = dec ? DEC_EXP[dec]! : exp ? Number(exp) : 0;
  if (Math.abs(e) > 30) return undefined;
  if (e > 0) n *= 10n ** BigInt(e); else if (e < 0) d *= 10n ** BigInt(-e);
  const v = (n + d - 1n) / d;
  return sign === '-' ? -v : v;
}

/** `100m`, `2` (cores) or `500Mi`, `1.5Gi`, `1000000` (bytes) from thousandths. */
export function formatQuantity(v: bigint, kind: 'cpu' | 'memory' | 'count'): string {
  if (kind === 'cpu') return v % 1000n === 0n ? `${v / 1000n}` : `${v}m`;
  const whole = (v + 999n) / 1000n;
  if (kind === 'count') return `${whole}`;
  for (const [suf, p] of [['Gi', 30n], ['Mi', 20n], ['Ki', 10n]] as const) {
    const unit = 2n ** p;
    if (whole >= unit && whole % unit === 0n) return `${whole / unit}${suf}`;
  }
  if (whole >= 2n ** 20n) return `${Number(whole * 100n / 2n ** 20n) / 100}Mi`;
  return `${whole}`;
}

// ---------------------------------------------------------------------------------------------
// The default task pod and what admits it
// ---------------------------------------------------------------------------------------------

type Res = 'cpu' | 'memory';
const RES: Res[] = ['cpu', 'memory'];

/** What a task that sets no resources asks for: flytepropeller sets requests = limits = the defaults. */
export interface TaskPod { requests: Partial<Record<Res, bigint>>; limits: Partial<Record<Res, bigint>>; source: Partial<Record<Res, string>> }

/** Quota keys the pod counts against, and what it counts (undefined: the pod does not set it). */
function podUsage(pod: TaskPod, key: string): { resource?: Res; amount: bigint | undefined } | undefined {
  switch (key) {
    case 'cpu': case 'requests.cpu': return { resource: 'cpu', amount: pod.requests.cpu };
    case 'memory': case 'requests.memory': return { resource: 'memory', amount: pod.requests.memory };
    case 'limits.cpu': return { resource: 'cpu', amount: pod.limits.cpu };
    case 'limits.memory': return { resource: 'memory', amount: pod.limits.memory };
    case 'pods': case 'count/pods': return { amount: 1000n };
    default: return undefined;
  }
}
const kindOf = (key: string): 'cpu' | 'memory' | 'count' => (key.includes('cpu') ? 'cpu' : key.includes('memory') ? 'memory' : 'count');

/** Whether a quota's scopes select a pod with requests, no activeDeadlineSeconds, no priority class (a default task pod). */
export function quotaApplies(spec: Record<string, unknown>): { applies: boolean; why?: string } {
  const scopes = Array.isArray(spec['scopes']) ? spec['scopes'].filter((x): x is string => typeof x === 'string') : [];
  const sel = isObj(spec['scopeSelector']) && Array.isArray(spec['scopeSelector']['matchExpressions']) ? spec['scopeSelector']['matchExpressions'].filter(isObj) : [];
  for (const sc of scopes) {
    if (sc === 'BestEffort') return { applies: false, why: 'scope BestEffort (task pods have requests)' };
    if (sc === 'Terminating') return { applies: false, why: 'scope Terminating (task pods set no activeDeadlineSeconds by default)' };
    if (sc === 'CrossNamespacePodAffinity') return { applies: false, why: 'scope CrossNamespacePodAffinity' };
    if (sc === 'PriorityClass') return { applies: false, why: 'scope PriorityClass (task pods have no priority class by default)' };
  }
  for (const e of sel) {
    const name = String(e['scopeName'] ?? ''), op = String(e['operator'] ?? '');
    if (name === 'BestEffort' || name === 'Terminating' || name === 'CrossNamespacePodAffinity') return { applies: false, why: `scopeSelector ${name}` };
    if (name === 'PriorityClass' && !(op === 'NotIn' || op === 'DoesNotExist')) return { applies: false, why: `scopeSelector PriorityClass ${op}` };
  }
  return { applies: true };
}

export type FindingKind = 'too-small' | 'requires-unset' | 'lr-max' | 'lr-min' | 'exhausted' | 'status-unknown' | 'unparsable';
export interface Finding { kind: FindingKind; namespace: string; object: string; name: string; key: string; text: string; resource?: Res; hard?: string; used?: string; bound?: bigint; need?: bigint }

const pick = (o: unknown, k: string): Record<string, unknown> => (isObj(o) && isObj(o[k]) ? o[k] : {});
const nameOf = (o: unknown): string => { const n = pick(o, 'metadata')['name']; return typeof n === 'string' ? n : ''; };

/** LimitRange defaults for a container that sets nothing: defaultRequest (else default) and default. */
export function limitRangeDefaults(lrs: readonly unknown[]): { requests: Partial<Record<Res, bigint>>; limits: Partial<Record<Res, bigint>> } {
  const out = { requests: {} as Partial<Record<Res, bigint>>, limits: {} as Partial<Record<Res, bigint>> };
  for (const lr of lrs) {
    for (const item of (Array.isArray(pick(lr, 'spec')['limits']) ? pick(lr, 'spec')['limits'] as unknown[] : []).filter(isObj)) {
      if (item['type'] !== 'Container') continue;
      for (const r of RES) {
        const dl = milli(pick(item, 'default')[r]), dr = milli(pick(item, 'defaultRequest')[r]);
        if (dl !== undefined && out.limits[r] === undefined) out.limits[r] = dl;
        if ((dr ?? dl) !== undefined && out.requests[r] === undefined) out.requests[r] = (dr ?? dl)!;
      }
    }
  }
  return out;
}

/** Everything in one namespace that refuses (or cannot yet admit) one default task pod. */
export function evaluateNamespace(ns: string, defaults: TaskPod, quotas: readonly unknown[], lrs: readonly unknown[]): Finding[] {
  const out: Finding[] = [];
  // LimitRanger runs before the quota admission: its defaults fill what the pod leaves unset.
  const lrd = limitRangeDefaults(lrs);
  const pod: TaskPod = { requests: { ...lrd.requests, ...defaults.requests }, limits: { ...lrd.limits, ...defaults.limits }, source: defaults.source };
  for (const lr of lrs) {
    const name = nameOf(lr);
    for (const item of (Array.isArray(pick(lr, 'spec')['limits']) ? pick(lr, 'spec')['limits'] as unknown[] : []).filter(isObj)) {
      const type = String(item['type'] ?? '');
      if (type !== 'Container' && type !== 'Pod') continue;
      for (const r of RES) {
        for (const [bound, kind] of [['max', 'lr-max'], ['min', 'lr-min']] as const) {
          const raw = pick(item, bound)[r];
          if (raw === undefined) continue;
          const b = milli(raw);
          if (b === undefined) { out.push({ kind: 'unparsable', namespace: ns, object: `LimitRange ${name}`, name, key: `${type} ${bound}.${r}`, text: `LimitRange ${ns}/${name}: ${type} ${bound}.${r} "${String(raw)}" is not a Kubernetes quantity` }); continue; }
          const v = kind === 'lr-max' ? pod.limits[r] : pod.requests[r];
          if (v === undefined) {
            if (kind === 'lr-max') out.push({ kind: 'requires-unset', namespace: ns, object: `LimitRange ${name}`, name, key: `max.${r}`, resource: r, text: `LimitRange ${ns}/${name} sets a ${type} maximum ${r} of ${String(raw)}, so a pod must set a ${r} limit, and the default task resources set none (pods are refused: "maximum ${r} usage per ${type} is ${String(raw)}. No limit is specified")` });
            continue;
          }
          if (kind === 'lr-max' && v > b) out.push({ kind, namespace: ns, object: `LimitRange ${name}`, name, key: `max.${r}`, resource: r, bound: b, hard: String(raw), text: `LimitRange ${ns}/${name}: ${type} max ${r} ${String(raw)} is below the default task ${r} ${formatQuantity(v, r)} (pods are refused: "maximum ${r} usage per ${type} is ${String(raw)}, but limit is ${formatQuantity(v, r)}")` });
          if (kind === 'lr-min' && v < b) out.push({ kind, namespace: ns, object: `LimitRange ${name}`, name, key: `min.${r}`, resource: r, bound: b, hard: String(raw), text: `LimitRange ${ns}/${name}: ${type} min ${r} ${String(raw)} is above the default task ${r} ${formatQuantity(v, r)} (pods are refused: "minimum ${r} usage per ${type} is ${String(raw)}, but request is ${formatQuantity(v, r)}")` });
        }
      }
    }
  }
  for (const q of quotas) {
    if (!isObj(q)) continue;
    const name = nameOf(q);
    const spec = pick(q, 'spec'), status = pick(q, 'status');
    if (!quotaApplies(spec).applies) continue;
    const hard = pick(spec, 'hard'), sHard = pick(status, 'hard'), used = pick(status, 'used');
    const unknown: string[] = [];
    for (const [key, rawHard] of Object.entries(hard)) {
      const u = podUsage(pod, key);
      if (!u) continue;
      const h = milli(rawHard);
      if (h === undefined) { out.push({ kind: 'unparsable', namespace: ns, object: `ResourceQuota ${name}`, name, key, text: `ResourceQuota ${ns}/${name}: hard ${key} "${String(rawHard)}" is not a Kubernetes quantity` }); continue; }
      if (u.amount === undefined) {
        out.push({ kind: 'requires-unset', namespace: ns, object: `ResourceQuota ${name}`, name, key, ...(u.resource ? { resource: u.resource } : {}), text: `ResourceQuota ${ns}/${name} tracks ${key}, so every pod must set it, and the default task resources set no ${u.resource} (pods are refused: "failed quota: ${name}: must specify ${key}")` });
        continue;
      }
      if (h < u.amount) {
        out.push({ kind: 'too-small', namespace: ns, object: `ResourceQuota ${name}`, name, key, ...(u.resource ? { resource: u.resource } : {}), bound: h, need: u.amount, hard: String(rawHard),
          text: `ResourceQuota ${ns}/${name}: hard ${key} ${String(rawHard)} is below one default task pod's ${formatQuantity(u.amount, kindOf(key))}: no task without its own resources can ever run there (pods are refused: "exceeded quota: ${name}, requested: ${key}=${formatQuantity(u.amount, kindOf(key))}, used: …, limited: ${key}=${String(rawHard)}")` });
        continue;
      }
      if (sHard[key] === undefined || used[key] === undefined) { unknown.push(key); continue; }
      const uq = milli(used[key]);
      if (uq === undefined) { out.push({ kind: 'unparsable', namespace: ns, object: `ResourceQuota ${name}`, name, key, text: `ResourceQuota ${ns}/${name}: used ${key} "${String(used[key])}" is not a Kubernetes quantity` }); continue; }
      if (h - uq < u.amount) {
        out.push({ kind: 'exhausted', namespace: ns, object: `ResourceQuota ${name}`, name, key, ...(u.resource ? { resource: u.resource } : {}), bound: h - uq, need: u.amount, hard: String(rawHard), used: String(used[key]),
          text: `ResourceQuota ${ns}/${name}: ${key} used ${String(used[key])} of ${String(rawHard)}, the remaining ${formatQuantity(h - uq > 0n ? h - uq : 0n, kindOf(key))} cannot admit one default task pod (${formatQuantity(u.amount, kindOf(key))}): new tasks wait until running pods finish` });
      }
    }
    if (unknown.length) out.push({ kind: 'status-unknown', namespace: ns, object: `ResourceQuota ${name}`, name, key: unknown.join(', '), text: `ResourceQuota ${ns}/${name} has no computed usage for ${unknown.join(', ')} yet: the API server refuses pods ("status unknown for quota: ${name}") until the quota controller (kube-controller-manager) computes it` });
  }
  return out;
}

const ORDER: FindingKind[] = ['too-small', 'lr-max', 'lr-min', 'requires-unset', 'exhausted', 'status-unknown', 'unparsable'];
const ID = {
  'too-small': 'quotaTooSmall', 'lr-max': 'limitRangeMaxBelow', 'lr-min': 'limitRangeMinAbove', 'requires-unset': 'requiresUnset',
  exhausted: 'quotaExhausted', 'status-unknown': 'quotaStatusUnknown', unparsable: 'unrecognisedQuantity',
} as const;

/** The default task pod from the values (or flyteadmin's built-in defaults), with where each value comes from. */
function taskPod(t: Target, chart: Chart): { pod?: TaskPod; invalid?: { r: Res; value: string; where: string } } {
  const pod: TaskPod = { requests: {}, limits: {}, source: {} };
  for (const r of RES) {
    const set = t.taskResourceDefaults?.[r];
    const value = set ?? FLYTEADMIN_TASK_DEFAULTS[r];
    const where = set !== undefined ? whereSet(setting(t, `taskResourceDefaults.${r}`)) : `flyteadmin's built-in default, ${taskDefaultsKey(chart)}.${r} is not set`;
    if (String(value).trim() === '') continue;
    const v = milli(value);
    if (v === undefined) return { invalid: { r, value: String(value), where } };
    if (v === 0n) continue; // zero: Flyte leaves the resource unset
    pod.requests[r] = v; pod.limits[r] = v; pod.source[r] = `${String(value)} (${where})`;
  }
  return { pod };
}

async function list(s: KubeSession, path: string, signal: AbortSignal): Promise<unknown[]> {
  return s.list(path, signal, { maxItems: 200 });
}

export default defineCheck({
  id: 'flyte.projects.quota',
  title: "A default task pod fits the project namespaces' ResourceQuotas and LimitRanges",
  phases: ['verify'],
  needs: ['kubernetes'],
  dependsOn: ['kubernetes.api.reachable'],
  messages: {
    fits: { status: 'pass', summary: 'One task pod with the default task resources is admitted by every ResourceQuota and LimitRange of every existing project-domain namespace.' },
    quotaTooSmall: { status: 'fail', summary: "A ResourceQuota's hard limit is below one default task pod: tasks that set no resources can never run in that namespace." },
    limitRangeMaxBelow: { status: 'fail', summary: "A LimitRange's maximum is below the default task resources: such pods are refused." },
    limitRangeMinAbove: { status: 'fail', summary: "A LimitRange's minimum is above the default task resources: such pods are refused." },
    requiresUnset: { status: 'fail', summary: 'A ResourceQuota or LimitRange requires a request/limit the default task resources do not set (and no LimitRange default fills it).' },
    quotaExhausted: { status: 'warn', summary: "A ResourceQuota's remaining room (hard − used) cannot admit one more default task pod: new tasks wait." },
    quotaStatusUnknown: { status: 'warn', summary: 'A ResourceQuota has no computed usage yet: the API server refuses pods until the quota controller computes it.' },
    unrecognisedQuantity: { status: 'warn', summary: 'A ResourceQuota or LimitRange holds a value that is not a Kubernetes quantity.' },
    defaultsInvalid: { status: 'fail', summary: 'The default task resources in the values are not Kubernetes quantities.' },
    noNamespaces: { status: 'skip', summary: 'None of the project-domain namespaces exists yet (flyte.projects.namespaces reports it).' },
    noProjects: { status: 'skip', summary: 'No projects/domains are known from the values.' },
    ...API_MESSAGES,
  },
  explain: {
    what: "For each project-domain namespace (`<project>-<domain>`, or what the configured namespace mapping gives) that exists, reads its ResourceQuotas and LimitRanges and checks that one task pod with the default task resources from the values (flyte-binary `configuration.inline.task_resources.defaults`, flyte-core `configmap.task_resource_defaults.task_resources.defaults`, else flyteadmin's built-in 2 CPU / 200Mi; flytepropeller sets requests = limits = these) is admitted: each quota's hard limit and remaining room (hard − used) for requests/limits cpu and memory and pods, quotas that require a request or limit the defaults leave unset, quota scopes (BestEffort, Terminating, PriorityClass), LimitRange defaults, minimums and maximums. Quantities are parsed exactly (m, Ki/Mi/Gi, k/M/G, exponents).",
    why: 'A task that cannot be admitted does not fail: propeller retries "exceeded quota" until the node deadline (48 h by default) with no Kubernetes event, so executions sit queued with no visible reason.',
    fix: 'Raise the quota (`kubectl -n <ns> edit resourcequota <name>`, or in the cluster resource templates that create it: flyte-core `cluster_resource_manager.customData` / `cluster_resource_manager.templates`, flyte-binary `clusterResourceTemplates.inline`), relax the LimitRange, or change the default task resources in the values key named.',
  },
  async run(ctx) {
    const t = ctx.target;
    const chart: Chart = t.chart ?? 'flyte-binary';
    if (t.projects.length === 0 || t.domains.length === 0) return { status: 'skip', messageId: 'noProjects', message: 'no projects/domains are known from the values, so there is no project namespace to check' };
    const key = taskDefaultsKey(chart);
    const { pod, invalid } = taskPod(t, chart);
    if (invalid || !pod) {
      const field = `taskResourceDefaults.${invalid!.r}`;
      return { status: 'fail', messageId: 'defaultsInvalid', cause: cause.config(`${key}.${invalid!.r}`),
        message: `the default task ${invalid!.r} "${invalid!.value}" (${invalid!.where}) is not a Kubernetes quantity (e.g. ${invalid!.r === 'cpu' ? '500m, 1, 2.5' : '512Mi, 1Gi, 1G'})`,
        details: { [field]: invalid!.value },
        hint: fixSetting(t, field, `${key}.${invalid!.r}`, invalid!.r === 'cpu' ? '500m' : '512Mi') ?? `fix ${key}.${invalid!.r}` };
    }
    const wanted = projectNamespaces(t).map((n) => n.namespace);
    const k = kubectl(t.kubernetes);
    return withKube(ctx, 'the project namespaces\' ResourceQuotas and LimitRanges', async (s, signal) => {
      const present: string[] = [];
      const perNs = new Map<string, { quotas: unknown[]; lrs: unknown[] }>();
      let next = 0;
      const worker = async () => {
        while (next < wanted.length) {
          const ns = wanted[next++]!;
          let got: unknown = true;
          try { got = await s.getOptional(`/api/v1/namespaces/${encodeURIComponent(ns)}`, signal); } catch (e) {
            // may not read namespaces: the lists below say whether the quotas can be read
            if (!(e instanceof KubeError && e.kind === 'forbidden')) throw e;
          }
          if (!got) continue;
          present.push(ns);
          const [quotas, lrs] = await Promise.all([
            list(s, `/api/v1/namespaces/${encodeURIComponent(ns)}/resourcequotas`, signal),
            list(s, `/api/v1/namespaces/${encodeURIComponent(ns)}/limitranges`, signal),
          ]);
          perNs.set(ns, { quotas, lrs });
        }
      };
      await Promise.all(Array.from({ length: Math.min(6, wanted.length) }, worker));
      present.sort((a, b) => wanted.indexOf(a) - wanted.indexOf(b));
      if (present.length === 0) return { status: 'skip' as const, messageId: 'noNamespaces' as const, message: `none of the ${wanted.length} project-domain namespaces exists yet (${wanted.slice(0, 6).join(', ')}${wanted.length > 6 ? ', …' : ''}): flyte.projects.namespaces reports it` };

      const findings = present.flatMap((ns) => evaluateNamespace(ns, pod, perNs.get(ns)!.quotas, perNs.get(ns)!.lrs));
      const podText = RES.filter((r) => pod.source[r]).map((r) => `${r} ${pod.source[r]}`).join(', ') || 'no cpu or memory';
      const objects = present.map((ns) => {
        const e = perNs.get(ns)!;
        return { namespace: ns, resourceQuotas: e.quotas.map(nameOf), limitRanges: e.lrs.map(nameOf), ...Object.fromEntries(e.quotas.map((q) => [`quota ${nameOf(q)}`, { hard: pick(pick(q, 'spec'), 'hard'), used: pick(pick(q, 'status'), 'used'), ...(quotaApplies(pick(q, 'spec')).applies ? {} : { notApplicable: quotaApplies(pick(q, 'spec')).why ?? '' }) }])) };
      });
      const details = {
        defaultTaskPod: { requests: Object.fromEntries(RES.filter((r) => pod.requests[r] !== undefined).map((r) => [r, formatQuantity(pod.requests[r]!, r)])), limits: Object.fromEntries(RES.filter((r) => pod.limits[r] !== undefined).map((r) => [r, formatQuantity(pod.limits[r]!, r)])), source: pod.source },
        namespaces: present, missingNamespaces: wanted.filter((n) => !present.includes(n)), objects,
        findings: findings.map((f) => ({ kind: f.kind, namespace: f.namespace, object: f.object, key: f.key, text: f.text })),
      };
      if (findings.length === 0) {
        const nq = objects.reduce((n, o) => n + o.resourceQuotas.length, 0), nl = objects.reduce((n, o) => n + o.limitRanges.length, 0);
        return { status: 'pass' as const, messageId: 'fits' as const, details,
          message: `a default task pod (${podText}) is admitted in ${present.length} project namespace(s) (${present.join(', ')}): ${nq} ResourceQuota(s), ${nl} LimitRange(s)${present.length < wanted.length ? `; ${wanted.length - present.length} namespace(s) do not exist yet` : ''}` };
      }
      findings.sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
      const f = findings[0]!;
      const kn = kubectl(t.kubernetes, f.namespace);
      // Which of Flyte's cluster resource templates creates the object (then the sync re-applies it: change the template).
      let fromTemplate: string | undefined;
      if (f.object.startsWith('ResourceQuota') || f.object.startsWith('LimitRange')) {
        try {
          const names = await resolveChartNames<ChartNames>(s, { chart, kubernetes: t.kubernetes }, signal);
          const tc = templateConfigMap({ chart, release: names.kubernetes.release, ...(names.fullname ? { fullname: names.fullname } : {}) });
          const cm = await s.getOptional<Record<string, unknown>>(`/api/v1/namespaces/${encodeURIComponent(t.kubernetes.namespace)}/configmaps/${encodeURIComponent(tc.name)}`, signal);
          const hit = templateObjects(isObj(cm?.['data']) ? cm['data'] : {}).find((o) => `${o.kind} ${o.name ?? ''}` === f.object);
          if (hit) fromTemplate = `it comes from Flyte's cluster resource template ${hit.file} (ConfigMap ${t.kubernetes.namespace}/${tc.name}), which the sync re-applies: change it there (${tc.valuesKey}${chart === 'flyte-core' ? ', or the domain\'s values in cluster_resource_manager.customData' : ''})`;
        } catch (e) { if (!(e instanceof KubeError)) throw e; /* attribution is best effort */ }
      }
      const rest = findings.slice(1, 5).map((x) => x.text);
      const message = `${f.text}${findings.length > 1 ? `; also: ${rest.join('; ')}${findings.length > 5 ? `; and ${findings.length - 5} more` : ''}` : ''} (default task pod: ${podText})`;
      const defaultsFix = (r: Res | undefined, value: bigint | undefined): string | undefined => {
        if (!r || value === undefined || value <= 0n) return undefined;
        const fx = fixSetting(t, `taskResourceDefaults.${r}`, `${key}.${r}`, formatQuantity(value, r));
        return fx ? `or ${fx} (tasks that need more then set their own resources)` : undefined;
      };
      const editQuota = `\`${kn} edit resourcequota ${f.name}\``;
      const objCause = cause.object(f.object.split(' ')[0]!.toLowerCase(), f.namespace, f.name);
      switch (f.kind) {
        case 'too-small':
          return { status: 'fail' as const, messageId: ID[f.kind], cause: objCause, details, message,
            hint: [`raise hard ${f.key} of the quota to at least ${formatQuantity(f.need ?? 1000n, kindOf(f.key))} (one task; more for tasks in parallel): ${fromTemplate ?? editQuota}`, defaultsFix(f.resource, f.bound)].filter(Boolean).join('; ') };
        case 'lr-max': case 'lr-min':
          return { status: 'fail' as const, messageId: ID[f.kind], cause: objCause, details, message,
            hint: [`${f.kind === 'lr-max' ? 'raise the maximum' : 'lower the minimum'} ${f.resource} of the LimitRange: ${fromTemplate ?? `\`${kn} edit limitrange ${f.name}\``}`, defaultsFix(f.resource, f.bound)].filter(Boolean).join('; ') };
        case 'requires-unset': {
          const r = f.resource ?? 'cpu';
          const fx = fixSetting(t, `taskResourceDefaults.${r}`, `${key}.${r}`, r === 'cpu' ? '500m' : '512Mi');
          return { status: 'fail' as const, messageId: ID[f.kind], cause: objCause, details, message,
            hint: `${fx ? `give tasks a default ${r}: ${fx}` : `the values set ${key}.${r}, but it resolves to no ${r}: set a non-zero quantity`}; or give the namespace a LimitRange default (\`${kn} create -f\` a LimitRange with spec.limits[].type Container and default/defaultRequest ${r}), or drop ${f.key} from ${f.object}` };
        }
        case 'exhausted':
          return { status: 'warn' as const, messageId: ID[f.kind], cause: objCause, details, message,
            hint: `see what uses it: \`${kn} describe resourcequota ${f.name}\` and \`${kn} get pods --field-selector=status.phase=Running\`; raise hard ${f.key}: ${fromTemplate ?? editQuota}` };
        case 'status-unknown':
          return { status: 'warn' as const, messageId: ID[f.kind], cause: objCause, details, message,
            hint: `the quota controller of kube-controller-manager computes status.used within seconds when it runs: check the control plane (\`${k} get --raw /readyz?verbose\`, the kube-controller-manager logs); \`${kn} describe resourcequota ${f.name}\` shows the status` };
        default:
          return { status: 'warn' as const, messageId: 'unrecognisedQuantity' as const, cause: objCause, details, message,
            hint: `correct the value (\`${kn} edit ${f.object.split(' ')[0]!.toLowerCase()} ${f.name}\`): quantities are like 500m, 2, 512Mi, 1Gi, 1e3` };
      }
    });
  },
});
