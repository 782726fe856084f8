import { defineCheck } from '../../src/engine/define.js';
import { cause } from '../../src/engine/causes.js';
import type { UnknownKey } from '../../src/flyte/chart-keys.js';
import type { Json } from '../../src/engine/types.js';

const SHOWN = 8;
const DETAILS = 200;

/** One line per key: what it is and the key meant. */
function line(u: UnknownKey, chart: string): string {
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
function fix(u: UnknownKey): string {
  if (u.suggestion && u.suggestionSet) return `remove ${u.key} (${u.suggestion} is already set)`;
  if (u.suggestion) return `rename ${u.key} to ${u.suggestion}`;
  return `remove ${u.key}, or find the key meant in the chart's values.yaml`;
}

/** `in <file>: a; b` per file (files in the order they first appear). */
function byOrigin(list: UnknownKey[], text: (u: UnknownKey) => string): string {
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
    noValues: { status: 'skip', summary: 'No flyte-binary or flyte-core values were given (or the chart is one whose keys flyte-doctor does not know).' },
  },
  explain: {
    what: "Compares every key of the given values files and `--set` under the sections flyte-doctor reads (flyte-binary: `configuration.database`, `configuration.storage`, `configuration.auth`, the first level of `configuration`, `ingress`, `serviceAccount`, `deployment`, `flyte-core-components`; flyte-core: `db`, `storage`, `common`, `secrets`, the first level of `configmap` and of each component, `configmap.adminServer`) with the keys the chart really reads: its values.yaml and every `.Values` path of its templates (flyteorg/flyte 89cf9cc7), and for the maps flyte-core pastes into Flyte's own config files the keys of Flyte's config. Maps users fill freely (annotations, labels, resources, `configuration.inline`, `storage.custom`, the Flyte config files under `configmap` other than `adminServer`) and top-level keys of the user's own (`userSettings`) are never judged; a key the values' own `{{ .Values.x }}` templates read is used. Each unknown key is named with its file and the nearest key the chart reads: a near spelling (case, `-`/`_`, a letter or two), the key without a doubled segment (`configmap.configmap.console` -> `configmap.console`), the same name in another section, or the other chart's name for the same setting.",
    why: "Helm does not validate values: a key no template reads is dropped without a word (these charts have no values schema). The deployment then runs with the chart's default (the example database host, the sandbox storage, ingress off) and fails far from the cause, or a setting someone believes is on (auth, TLS) is silently off. A flyte-core key in flyte-binary values (or the reverse) is the same problem for a whole section.",
    fix: 'Rename each key to the one named (or remove it when that key is already set), in the file named, then run `helm upgrade` with the corrected values. `helm get values <release> -n <namespace>` shows what the release was installed with; `helm template` shows that the key now renders.',
  },
  async run(ctx) {
    const t = ctx.target;
    if (!t.chart) {
      return {
        status: 'skip', messageId: 'noValues',
        message: t.chartName ? `the values are ${t.chartName} values: flyte-doctor knows the keys of flyte-binary and flyte-core only` : 'no Helm values were given (--values, --set): nothing to compare with the chart\'s keys',
      };
    }
    const chart = t.chart;
    const list = (t.unknownKeys ?? []) as UnknownKey[];
    const given = !!t.valuesFiles?.length || Object.values(t.provenance).some((p) => p.startsWith('--set'));
    if (!list.length && !given) {
      return { status: 'skip', messageId: 'noValues', message: `no values file was given (--values) and no --set sets a key flyte-doctor maps: only --chart ${chart}, whose defaults are its own keys` };
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
      message: `${lead}${list.length} key${list.length === 1 ? '' : 's'} ${chart} does not read (Helm ignores ${list.length === 1 ? 'it' : 'them'} silently) ${shown}${list.length > SHOWN ? `; and ${list.length - SHOWN} more (details.unknownKeys${list.length > DETAILS ? `, the first ${DETAILS}` : ''})` : ''}`,
      hint: `${fixes}${list.length > 6 ? `; and ${list.length - 6} more (details.unknownKeys)` : ''}`,
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
        })) as Json,
      },
    };
  },
});
