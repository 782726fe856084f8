// Small text helpers shared by the writers (pure; no fs, clock or env).
import type { CheckResult, Status } from '../src/engine/types.js';
import type { Report } from './schema.js';

export const STATUS_ORDER: readonly Status[] = ['pass', 'warn', 'fail', 'skip', 'error'];

/** `id` or `id [instance]`. */
export function displayId(r: Pick<CheckResult, 'id' | 'instance'>): string {
  return r.instance ? `${r.id} [${r.instance}]` : r.id;
}

/**
 * Why a check was skipped. A dependency skip says `blocked by <id>` (the engine's message usually
 * already does; when it does not, the id is put in front of it).
 */
export function skipReason(r: Pick<CheckResult, 'message' | 'blockedBy'>): string {
  if (r.blockedBy && !r.message.includes(r.blockedBy)) {
    return r.message ? `blocked by ${r.blockedBy}: ${r.message}` : `blocked by ${r.blockedBy}`;
  }
  return r.message || 'skipped';
}

/** `id` or `id[instance]`: the key `explainedBy` and `rootCauses` use. */
export function nodeKeyOf(r: Pick<CheckResult, 'id' | 'instance'>): string {
  return r.instance === undefined ? r.id : `${r.id}[${r.instance}]`;
}

/** `id [instance]` for a node key `id[instance]`. */
export function displayKey(key: string): string {
  return key.replace(/\[([^\]]*)\]$/, ' [$1]');
}

/** The report's root causes in order, each with the results it explains. */
export function rootCauseGroups(report: Pick<Report, 'results' | 'rootCauses'>): { root: CheckResult; consequences: CheckResult[] }[] {
  const byKey = new Map(report.results.map((r) => [nodeKeyOf(r), r]));
  return (report.rootCauses ?? []).map((k) => byKey.get(k)).filter((r): r is CheckResult => !!r).map((root) => ({
    root, consequences: report.results.filter((r) => r.explainedBy === nodeKeyOf(root)),
  }));
}

/** `a, b, c and 4 more`. */
export function listSome(items: readonly string[], max = 6): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

/** 850ms, 1.2s, 2m05s. */
export function formatDuration(ms: number): string {
  const v = Math.max(0, Math.round(ms));
  if (v < 1000) return `${v}ms`;
  if (v < 60_000) return `${(v / 1000).toFixed(1)}s`;
  const totalSeconds = Math.round(v / 1000);
  const m = Math.floor(totalSeconds / 60);
  const s = totalSeconds % 60;
  return `${m}m${String(s).padStart(2, '0')}s`;
}

/** Seconds with three decimals, as JUnit wants. */
export function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

/** `3 pass, 1 warn, 2 fail, 1 skip, 0 error`. */
export function countsText(summary: Report['summary']): string {
  return STATUS_ORDER.map((s) => `${summary[s]} ${s}`).join(', ');
}

/** Groups results by area, keeping the areas in the given order and the results in report order. */
export function groupByArea<T extends { area: string }>(results: readonly T[], areas: readonly string[]): { area: string; results: T[] }[] {
  const known = new Set(areas);
  const order = [...areas, ...[...new Set(results.map((r) => r.area))].filter((a) => !known.has(a)).sort()];
  return order
    .map((area) => ({ area, results: results.filter((r) => r.area === area) }))
    .filter((g) => g.results.length > 0);
}

/**
 * Characters that are invisible or reorder what is shown: bidi embeddings, overrides and isolates
 * (U+202E shows `evil` as `live`: "Trojan Source"), zero-width spaces and joiners, the soft hyphen,
 * the word joiner and invisible operators, the BOM, the Unicode line/paragraph separators and the
 * tag characters (invisible text). In server text they hide evidence (a bucket name with a
 * zero-width space in it looks right) or rearrange a line; the writers show them as `\u202e`.
 */
const INVISIBLE = /[\u00AD\u061C\u180E\u200B-\u200F\u2028-\u202E\u2060-\u2064\u2066-\u2069\uFEFF\u{E0000}-\u{E007F}]/gu;

const uEscape = (c: string): string => {
  const cp = c.codePointAt(0)!;
  return cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, '0')}`;
};

/** Shows invisible and reordering characters (INVISIBLE) as `\u202e`; everything else is kept. */
export function escapeInvisible(text: string): string {
  return text.replace(INVISIBLE, uEscape);
}

/**
 * Makes control characters visible (`\x1b`, `\x01`, `\x9b`) so text from a server cannot move the
 * cursor, recolour or retitle a terminal; invisible and reordering characters (bidi overrides,
 * zero-width spaces) are shown as `\u202e` (escapeInvisible). Tab, newline and CR are kept (the
 * writers lay out lines). A lone surrogate becomes U+FFFD, as UTF-8 output would make it anyway
 * (so output is valid UTF-8).
 */
export function escapeControls(text: string): string {
  return escapeInvisible(text
    .replace(/[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(/\p{Cs}/gu, '\uFFFD'));
}

/**
 * JSON text (JSON.stringify's output) safe to show: C1 controls and invisible/reordering characters
 * become \u escapes, which JSON reads back as the same characters (JSON.stringify escapes C0 and
 * lone surrogates itself). For evidence shown as JSON in a terminal, Markdown or XML.
 */
export function jsonVisible(json: string): string {
  return json.replace(/[\x7F-\x9F]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(INVISIBLE, (c) => (c.length === 2 ? `\\u${c.charCodeAt(0).toString(16)}\\u${c.charCodeAt(1).toString(16)}` : uEscape(c)));
}

/** The longest text a report carries from one value (a message, a hint, a string in details). */
export const MAX_TEXT = 4096;
/** The most entries a report carries from one list or object in details. */
export const MAX_ENTRIES = 200;

/** `text` cut at MAX_TEXT characters (never inside a surrogate pair) with a visible marker saying how much was cut. */
export function capText(text: string, max = MAX_TEXT): string {
  if (text.length <= max) return text;
  let end = max;
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}… [cut: ${text.length - end} more characters]`;
}

/** Whether capJson would change `v` (a walk without copies: most reports have nothing to cut). */
function overCap(v: unknown, depth = 0): boolean {
  if (typeof v === 'string') return v.length > MAX_TEXT;
  if (depth > 32) return true;
  if (Array.isArray(v)) return v.length > MAX_ENTRIES || v.some((x) => overCap(x, depth + 1));
  if (v && typeof v === 'object') {
    let n = 0;
    for (const k in v) {
      if (++n > MAX_ENTRIES || k.length > 256 || overCap((v as Record<string, unknown>)[k], depth + 1)) return true;
    }
  }
  return false;
}

function capJson(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return capText(v);
  if (depth > 32) return '… [cut: nested too deep]';
  if (Array.isArray(v)) {
    const out = v.slice(0, MAX_ENTRIES).map((x) => capJson(x, depth + 1));
    if (v.length > MAX_ENTRIES) out.push(`… [cut: ${v.length - MAX_ENTRIES} more entries]`);
    return out;
  }
  if (v && typeof v === 'object') {
    const entries = Object.entries(v);
    const out: Record<string, unknown> = {};
    for (const [k, x] of entries.slice(0, MAX_ENTRIES)) out[capText(k, 256)] = capJson(x, depth + 1);
    if (entries.length > MAX_ENTRIES) out['…'] = `[cut: ${entries.length - MAX_ENTRIES} more entries]`;
    return out;
  }
  return v;
}

/**
 * The report with every text a server may control bounded (capText, MAX_ENTRIES): a server that
 * answers a 60 KB PostgreSQL error or a 10 MB error body makes a finding of a few KB, with a marker
 * saying what was cut, in every format. Untouched (the same object) when nothing is over.
 */
export function capReport(report: Report): Report {
  const over = (r: CheckResult) => r.message.length > MAX_TEXT || (r.hint?.length ?? 0) > MAX_TEXT || (r.instanceLabel?.length ?? 0) > MAX_TEXT
    || (r.details !== undefined && overCap(r.details));
  const big = (s: string | undefined) => s !== undefined && s.length > MAX_TEXT;
  if (!report.results.some(over) && !big(report.interrupted) && !report.residue.some(big) && !Object.values(report.versions).some(big)
    && !report.target.fields.some((f) => big(f.value))) return report;
  return {
    ...report,
    target: { ...report.target, fields: report.target.fields.map((f) => (big(f.value) ? { ...f, value: capText(f.value) } : f)) },
    versions: Object.fromEntries(Object.entries(report.versions).map(([k, v]) => [k, capText(v)])),
    results: report.results.map((r) => (over(r) ? {
      ...r,
      message: capText(r.message),
      ...(r.hint !== undefined ? { hint: capText(r.hint) } : {}),
      ...(r.instanceLabel !== undefined ? { instanceLabel: capText(r.instanceLabel) } : {}),
      ...(r.details !== undefined ? { details: capJson(r.details) as CheckResult['details'] } : {}),
    } : r)),
    residue: report.residue.map((x) => capText(x)),
    ...(report.interrupted !== undefined ? { interrupted: capText(report.interrupted) } : {}),
  };
}
