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
 * Makes control characters visible (`\x1b`, `\x01`, `\x9b`) so text from a server cannot move the
 * cursor, recolour or retitle a terminal. Tab, newline and CR are kept (the writers lay out lines).
 * A lone surrogate becomes U+FFFD, as UTF-8 output would make it anyway (so output is valid UTF-8).
 */
export function escapeControls(text: string): string {
  return text
    .replace(/[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(/\p{Cs}/gu, '\uFFFD');
}
