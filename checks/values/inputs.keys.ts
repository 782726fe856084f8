import { defineCheck } from '../../src/engine/define.js';
import { cause } from '../../src/engine/causes.js';
import type { UnknownKey } from '../../src/flyte/chart-keys.js';
import type { Json, Outcome } from '../../src/engine/types.js';
import { chartReads } from '../../src/flyte/chart-keys.js';
import { isDict, readValuesFile, type Dict } from '../../src/config/values.js';
import type { HelmBoolean, Target } from '../../src/config/target.js';

const SHOWN = 8;
const DETAILS = 200;

/** A key at the wrong level for the umbrella chart (`flyte:` / `flyte-binary:`): its own text and fix. */
type Key = UnknownKey & { wrapped?: { why: string; fix: string; chart: FlyteChart } };

type FlyteChart = 'flyte-binary' | 'flyte-core';
/** Umbrella charts: the key of the Flyte subchart, the subchart, and the umbrella's own top-level keys. */
const UMBRELLAS: readonly { name: string; key: string; sub: FlyteChart; own: readonly string[] }[] = [
  { name: 'flyte', key: 'flyte', sub: 'flyte-core', own: ['flyte', 'redis', 'postgres', 'minio', 'redoc', 'contour', 'kubernetes-dashboard', 'sparkoperator', 'daskoperator', 'flyteconnector', 'global'] },
  { name: 'flyte-sandbox', key: 'flyte-binary', sub: 'flyte-binary', own: ['flyte-binary', 'docker-registry', 'kubernetes-dashboard', 'minio', 'postgresql', 'sandbox', 'global'] },
];

/** The top-level keys of a values map that `chart` reads (never the ones every chart shares loosely). */
const chartTop = (chart: FlyteChart, d: Dict): string[] => Object.keys(d).filter((k) => k !== 'global' && k !== 'flyteconnector' && chartReads(chart, k, true));

/**
 * The values files as written, for what the merged values cannot show: a Flyte chart's keys one level
 * too deep (under an umbrella chart's `flyte:` / `flyte-binary:` while the chart itself is installed),
 * or outside the umbrella's subchart key (Helm passes only that key to the subchart).
 */
function readFiles(t: Target): { file: string; values: Dict }[] {
  const out: { file: string; values: Dict }[] = [];
  for (const f of t.valuesFiles ?? []) {
    if (f === '-') continue;
    try { out.push({ file: f, values: readValuesFile(f, process.cwd()).values }); } catch { /* the loader already read it; unreadable now: nothing to add */ }
  }
  return out;
}

/**
 * Keys a chart's templates compare with `eq <key> true` (not `if <key>`): Go's `eq` refuses to compare
 * values of different kinds, so a quoted `"true"` (a string) or a number there makes `helm install` /
 * `helm template` stop with `error calling eq: incompatible types for comparison` (nothing is installed).
 * From the chart's templates (flyteorg/flyte 89cf9cc7: every `eq .Values.` of charts/flyte-core/templates).
 */
export const EQ_COMPARED: readonly { chart: FlyteChart; key: string; with: boolean; template: string }[] = [
  { chart: 'flyte-core', key: 'configmap.adminServer.server.security.secure', with: true, template: 'templates/common/ingress.yaml (define "grpcRoutes": `if eq .Values.configmap.adminServer.server.security.secure true`, which picks the gRPC Service port 80 or 81)' },
];

export interface EqMismatch { key: string; file: string; written: string; kind: string; with: boolean; template: string; fix: string }

const at = (d: unknown, path: readonly string[]): unknown => path.reduce<unknown>((o, k) => (isDict(o) ? o[k] : undefined), d);

/** The eq-compared keys the values set to something that is not a boolean (the last file that sets one wins, as Helm merges). */
export function eqMismatches(chart: FlyteChart, files: { file: string; values: Dict }[], umbrellaKey?: string): EqMismatch[] {
  const out: EqMismatch[] = [];
  for (const e of EQ_COMPARED.filter((x) => x.chart === chart)) {
    let hit: { file: string; v: unknown; key: string } | undefined;
    for (const { file, values } of files) {
      for (const prefix of umbrellaKey ? [[umbrellaKey], []] : [[]]) {
        const path = [...prefix, ...e.key.split('.')];
        const v = at(values, path);
        if (v !== undefined) hit = { file, v, key: path.join('.') };
      }
    }
    if (!hit || hit.v === null || typeof hit.v === 'boolean') continue;
    const kind = typeof hit.v === 'string' ? 'a string' : typeof hit.v === 'number' ? 'a number' : Array.isArray(hit.v) ? 'a list' : isDict(hit.v) ? 'a map' : typeof hit.v;
    const looks = typeof hit.v === 'string' && /^(true|yes|on|1)$/i.test(hit.v.trim()) ? true : typeof hit.v === 'string' && /^(false|no|off|0)$/i.test(hit.v.trim()) ? false : typeof hit.v === 'number' ? hit.v !== 0 : undefined;
    out.push({ key: hit.key, file: hit.file, written: JSON.stringify(hit.v), kind, with: e.with, template: e.template,
      fix: `in ${hit.file}: write ${hit.key}: ${looks === undefined ? 'true or false' : String(looks)} (an unquoted boolean${typeof hit.v === 'string' ? `, not the string ${JSON.stringify(hit.v)}` : ''})` });
  }
  return out;
}

function wrappedKeys(t: Target, files: { file: string; values: Dict }[]): Key[] {
  const out: Key[] = [];
  const umbrella = UMBRELLAS.find((u) => u.name === t.chartName);
  for (const { file, values } of files) {
    if (umbrella) {
      // The umbrella's values: the subchart's keys at the top level never reach it.
      for (const k of chartTop(umbrella.sub, values)) {
        if (umbrella.own.includes(k)) continue;
        const there = files.some((f) => isDict(f.values[umbrella.key]) && (f.values[umbrella.key] as Dict)[k] !== undefined);
        out.push({
          key: k, origin: file, section: k, suggestion: `${umbrella.key}.${k}`,
          wrapped: {
            why: `a ${umbrella.sub} key outside \`${umbrella.key}:\`; the umbrella ${umbrella.name} chart passes only \`${umbrella.key}:\` to ${umbrella.sub}, so Helm ignores it`,
            chart: umbrella.sub,
            fix: there ? `move ${k} under ${umbrella.key}: (merge its keys into the ${umbrella.key}.${k} already there)` : `move ${k} under ${umbrella.key}: (${umbrella.key}.${k})`,
          },
        });
      }
      continue;
    }
    // The chart itself (or no chart recognised): its keys under an umbrella's subchart key are one level too deep.
    for (const u of UMBRELLAS) {
      const inner = values[u.key];
      if (!isDict(inner)) continue;
      for (const chart of (t.chart ? [t.chart] : ['flyte-binary', 'flyte-core'] as const)) {
        const ks = chartTop(chart, inner);
        if (!ks.length || (t.chart && chartReads(t.chart, u.key, true))) continue;
        for (const k of ks) {
          const there = files.some((f) => f.values[k] !== undefined);
          out.push({
            key: `${u.key}.${k}`, origin: file, section: u.key, suggestion: k,
            wrapped: {
              why: `${chart}'s ${k} one level too deep, under \`${u.key}:\` (the umbrella ${u.name} chart's key for ${u.sub})${t.chart ? `; ${chart} reads ${k} at the top level, so Helm ignores it` : ''}`,
              chart,
              fix: there ? `move ${u.key}.${k} up a level, merging its keys into the ${k} already there, and remove the \`${u.key}:\` level` : `move ${u.key}.${k} up a level to ${k} (remove the \`${u.key}:\` level)`,
            },
          });
        }
        break;
      }
    }
  }
  return out;
}

/** One line per key: what it is and the key meant. */
function line(u: Key, chart: string): string {
  if (u.wrapped) return `${u.key}: ${u.wrapped.why}`;
  const other = chart === 'flyte-core' ? 'flyte-binary' : 'flyte-core';
  const set = u.suggestionSet ? ` (already set here: remove ${u.key})` : '';
  const meant = u.suggestion ? `; did you mean ${u.suggestion}?${set}` : '';
  switch (u.reason) {
    case 'renamed':
      return `${u.key}: renamed to ${u.suggestion}${set}`;
    case 'otherChart':
      if (u.readBy) return `${u.key}: a ${u.readBy} key${u.suggestion ? `; ${chart} reads ${u.suggestion}${set}` : ''}`;
      return `${u.key}: ${u.otherKey ? `${other}'s ${u.otherKey} under ${chart}'s names` : `not a ${chart} key`}${meant}`;
    case 'doubled':
      return `${u.key}: a doubled segment${meant}`;
    case 'spelling':
    case 'elsewhere':
      return `${u.key}${meant.replace(/^;/, ':')}`;
    default:
      return `${u.key}: no such key under ${u.key.split('.').slice(0, -1).join('.') || 'the top level'}`;
  }
}

/** The fix for one key: the exact rename (or removal). */
function fix(u: Key): string {
  if (u.wrapped) return u.wrapped.fix;
  if (u.suggestion && u.suggestionSet) return `remove ${u.key} (${u.suggestion} is already set)`;
  if (u.suggestion) return `rename ${u.key} to ${u.suggestion}`;
  return `remove ${u.key}, or find the key meant in the chart's values.yaml`;
}

/** What Helm makes of a gate key written as it is (a quoted false word, "", null). */
function helmLine(h: HelmBoolean): string {
  const where = `${h.key}: ${h.written} (${h.origin})`;
  if (h.helm) return `${where} is ${h.origin === '--set' ? "a string (helm's --set types only true, false, null and whole numbers)" : 'a quoted string'}, and the chart's \`if\` reads any non-empty string as true: the chart ${h.effect}`;
  if (h.written === 'null') return `${where} removes the key, the chart's default (${h.chartDefault}) with it, and the chart's \`if\` reads a missing key as false: the chart ${h.effect}`;
  return `${where} is an empty string, which the chart's \`if\` reads as false, not as the chart's default (${h.chartDefault}): the chart ${h.effect}`;
}

/** The exact fix for one gate key. */
function helmFix(h: HelmBoolean): string {
  const name = h.key.split('.').pop();
  if (h.helm) return h.origin === '--set' ? `--set ${h.key}=false (helm's --set types only true and false)` : `write ${name}: false without quotes at ${h.key} in ${h.origin}`;
  return `write ${name}: true or ${name}: false (unquoted) at ${h.key}${h.origin === '--set' ? ' with --set' : ` in ${h.origin}`}, or remove it to keep the chart's default (${h.chartDefault})`;
}

function helmDetails(list: HelmBoolean[]): Json {
  return list.map((h) => ({ key: h.key, origin: h.origin, written: h.written, helmReads: h.helm, effect: h.effect, ...(h.chartDefault !== undefined ? { chartDefault: h.chartDefault } : {}) })) as Json;
}

/** `in <file>: a; b` per file (files in the order they first appear). */
function byOrigin(list: Key[], text: (u: Key) => string): string {
  const groups = new Map<string, string[]>();
  for (const u of list) groups.set(u.origin, [...(groups.get(u.origin) ?? []), text(u)]);
  return [...groups].map(([o, items]) => `in ${o}: ${items.join('; ')}`).join('; ');
}

export default defineCheck({
  id: 'values.inputs.keys',
  title: 'Every values key under the sections flyte-doctor reads is one the chart reads',
  phases: ['preflight', 'verify'],
  messages: {
    none: { status: 'pass', summary: 'Every key of the values under the sections flyte-doctor reads (database, storage, auth, ingress, service account, deployment and components) is one the chart reads.' },
    unknown: { status: 'warn', summary: 'Keys the chart does not read (a misspelling, a doubled or misplaced segment, a renamed key): Helm ignores them silently, so the setting never takes effect. Each is named with its file and the nearest key the chart reads.' },
    otherChart: { status: 'warn', summary: "Keys of the other Flyte chart (flyte-core's `db`, `storage`, `common.ingress` in flyte-binary values, or flyte-binary's `configuration`, `ingress` in flyte-core values): this chart reads none of them. Each is named with this chart's key for the same setting." },
    helmBoolean: { status: 'warn', summary: "A key the chart tests with `{{ if }}` (ingress.create, common.ingress.enabled, configuration.auth.enabled, flyteadmin.enabled…) is written so Helm reads it otherwise than it looks: a quoted `\"false\"`/`\"no\"`/`\"off\"` is a non-empty string, which Go templates read as true, so the Ingress (or component, or auth) is installed; an empty string or `null` reads as false even where the chart's default is true. flyte-doctor checks what Helm renders; the fix is the unquoted boolean." },
    helmEqType: { status: 'fail', summary: "A key the chart compares with `eq ... true` (flyte-core's configmap.adminServer.server.security.secure) is written as a string or a number: Go templates refuse to compare different kinds, so `helm install` fails with \"error calling eq: incompatible types for comparison\" and nothing is installed. The fix is the unquoted boolean." },
    noValues: { status: 'skip', summary: 'No flyte-binary or flyte-core values were given (or the chart is one whose keys flyte-doctor does not know).' },
  },
  explain: {
    what: "Names every key the chart tests with `{{ if }}` (what is installed: ingress.create, common.ingress.enabled, configuration.auth.enabled, flyteadmin.enabled…) written as a quoted false word (`\"false\"`, `\"no\"`, `\"off\"`: a non-empty string, true to Go templates), an empty string or null (false, even where the chart's default is true); the target is read as Helm renders it. Compares every key of the given values files and `--set` under the sections flyte-doctor reads (flyte-binary: `configuration.database`, `configuration.storage`, `configuration.auth`, the first level of `configuration`, `ingress`, `serviceAccount`, `deployment`, `flyte-core-components`; flyte-core: `db`, `storage`, `common`, `secrets`, the first level of `configmap` and of each component, `configmap.adminServer`) with the keys the chart really reads: its values.yaml and every `.Values` path of its templates (flyteorg/flyte 89cf9cc7), and for the maps flyte-core pastes into Flyte's own config files the keys of Flyte's config. Maps users fill freely (annotations, labels, resources, `configuration.inline`, `storage.custom`, the Flyte config files under `configmap` other than `adminServer`) and top-level keys of the user's own (`userSettings`) are never judged; a key the values' own `{{ .Values.x }}` templates read is used. Each unknown key is named with its file and the nearest key the chart reads: a near spelling (case, `-`/`_`, a letter or two), the key without a doubled segment (`configmap.configmap.console` -> `configmap.console`), the same name in another section, or the other chart's name for the same setting.",
    why: "Helm does not validate values: a key no template reads is dropped without a word (these charts have no values schema). The deployment then runs with the chart's default (the example database host, the sandbox storage, ingress off) and fails far from the cause, or a setting someone believes is on (auth, TLS) is silently off. A flyte-core key in flyte-binary values (or the reverse) is the same problem for a whole section.",
    fix: 'Rename each key to the one named (or remove it when that key is already set), in the file named, then run `helm upgrade` with the corrected values. `helm get values <release> -n <namespace>` shows what the release was installed with; `helm template` shows that the key now renders.',
  },
  async run(ctx) {
    const files = ctx.target.valuesFiles?.length ? readFiles(ctx.target) : [];
    const base = keysOutcome(ctx.target, files);
    const chart: FlyteChart | undefined = ctx.target.chart ?? (ctx.target.chartName === 'flyte' ? 'flyte-core' : undefined);
    const eq = chart ? eqMismatches(chart, files, ctx.target.chartName === 'flyte' ? 'flyte' : undefined) : [];
    if (!eq.length) return base;
    // The render itself fails: the worst finding, with the other findings of this check kept after it.
    const also = base.status === 'warn' ? base : undefined;
    return {
      status: 'fail', messageId: 'helmEqType', cause: cause.config(eq[0]!.key),
      message: `${eq.map((m) => `${m.key} is ${m.kind} (${m.written}, in ${m.file}), but ${chart} compares it with \`eq ... ${m.with}\` in ${m.template}: Go templates refuse to compare ${m.kind} with a boolean, so \`helm install\` (and \`helm template\`) fails with "error calling eq: incompatible types for comparison" and nothing is installed`).join('; ')}${also ? `; also: ${also.message}` : ''}`,
      hint: `${eq.map((m) => m.fix).join('; ')}${also?.hint ? `; ${also.hint}` : ''}`,
      details: { ...(base.details ?? {}), chart: chart!, eqMismatches: eq.map((m) => ({ key: m.key, file: m.file, written: m.written, comparedWith: m.with, template: m.template })) },
    };
  },
});

function keysOutcome(t: Target, files: { file: string; values: Dict }[]): Outcome<'none' | 'unknown' | 'otherChart' | 'helmBoolean' | 'noValues'> {
  {
    const wrapped = wrappedKeys(t, files);
    if (!t.chart && !wrapped.length) {
      const tops = [...new Set(files.flatMap((f) => Object.keys(f.values)))];
      return {
        status: 'skip', messageId: 'noValues',
        message: t.chartName ? `the values are ${t.chartName} values: flyte-doctor knows the keys of flyte-binary and flyte-core only`
          : t.valuesFiles?.length ? `the values given (${t.valuesFiles.join(', ')}) hold no key of flyte-binary or flyte-core${tops.length ? ` (top-level keys: ${tops.slice(0, 8).join(', ')}${tops.length > 8 ? ', …' : ''})` : ''}: nothing to compare with a chart's keys; pass --chart flyte-binary or --chart flyte-core if they are meant for one`
          : 'no Helm values were given (--values, --set): nothing to compare with the chart\'s keys',
      };
    }
    const chart = t.chart ?? wrapped[0]!.wrapped!.chart;
    const list: Key[] = [...wrapped, ...((t.unknownKeys ?? []) as Key[])];
    const given = !!t.valuesFiles?.length || Object.values(t.provenance).some((p) => p.startsWith('--set'));
    if (!list.length && !given) {
      return { status: 'skip', messageId: 'noValues', message: `no values file was given (--values) and no --set sets a key flyte-doctor maps: only --chart ${chart}, whose defaults are its own keys` };
    }
    const helm = t.helmBooleans ?? [];
    if (!list.length && helm.length) {
      return {
        status: 'warn', messageId: 'helmBoolean', cause: cause.config(helm[0]!.key),
        message: `${helm.length} key${helm.length === 1 ? '' : 's'} ${chart} tests with \`if\` ${helm.length === 1 ? 'is' : 'are'} not the boolean ${helm.length === 1 ? 'it looks' : 'they look'}: ${helm.map(helmLine).join('; ')} (flyte-doctor checks the install as Helm renders it)`,
        hint: helm.map(helmFix).join('; '),
        details: { chart, helmBooleans: helmDetails(helm) },
      };
    }
    if (!list.length) return { status: 'pass', messageId: 'none', message: `every key under the sections flyte-doctor reads is one ${chart} reads` };
    const foreign = list.filter((u) => u.readBy);
    const allForeign = foreign.length === list.length;
    const otherChart = foreign[0]?.readBy;
    const sections = [...new Set(foreign.map((u) => u.section))];
    const lead = foreign.length >= 5 && foreign.length * 2 >= list.length
      ? `${foreign.length} keys are ${otherChart} keys (${sections.slice(0, 6).join(', ')}${sections.length > 6 ? ', …' : ''}): if these are ${otherChart} values, pass --chart ${otherChart}. `
      : '';
    // the keys with a suggestion first: they are the likely typos
    const ranked = [...list.filter((u) => u.suggestion), ...list.filter((u) => !u.suggestion)];
    const shown = byOrigin(ranked.slice(0, SHOWN), (u) => line(u, chart));
    const fixes = byOrigin(ranked.slice(0, 6), fix);
    const unset = list.filter((u) => u.suggestion && !u.suggestionSet);
    return {
      status: 'warn', messageId: allForeign ? 'otherChart' : 'unknown',
      message: `${lead}${list.length} key${list.length === 1 ? '' : 's'} ${chart} does not read (Helm ignores ${list.length === 1 ? 'it' : 'them'} silently) ${shown}${list.length > SHOWN ? `; and ${list.length - SHOWN} more (details.unknownKeys${list.length > DETAILS ? `, the first ${DETAILS}` : ''})` : ''}${helm.length ? `; and not the boolean it looks: ${helm.map(helmLine).join('; ')}` : ''}`,
      hint: `${fixes}${list.length > 6 ? `; and ${list.length - 6} more (details.unknownKeys)` : ''}${helm.length ? `; ${helm.map(helmFix).join('; ')}` : ''}`,
      ...(unset.length === 1 ? { cause: cause.config(unset[0]!.suggestion!) } : {}),
      details: {
        chart,
        total: list.length,
        // the first DETAILS (the rest are the same kind of mistake; the count says how many)
        unknownKeys: ranked.slice(0, DETAILS).map((u) => ({
          key: u.key, origin: u.origin, section: u.section,
          ...(u.suggestion ? { suggestion: u.suggestion } : {}),
          ...(u.reason ? { reason: u.reason } : {}),
          ...(u.readBy ? { readBy: u.readBy } : {}),
          ...(u.otherKey ? { otherKey: u.otherKey } : {}),
          ...(u.suggestionSet ? { suggestionSet: true } : {}),
          ...(u.wrapped ? { reason: 'wrapped', fix: u.wrapped.fix } : {}),
        })) as Json,
        ...(helm.length ? { helmBooleans: helmDetails(helm) } : {}),
      },
    };
  }
}

