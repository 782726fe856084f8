// Registry validation and check selection (--only / --skip, by id, area or glob), in dependency order.
import { UserError } from '../errors.js';
import type { Target } from '../config/target.js';
import { missingNeed, PLACEHOLDER_CHECK, placeholderHits } from './needs.js';
import { AREAS, type Check, type Phase } from './types.js';

/** Throws (an internal error, not a user error) when the registry is inconsistent. */
export function validateRegistry(checks: readonly Check[]): void {
  const byId = new Map<string, Check>();
  for (const c of checks) {
    if (byId.has(c.id)) throw new Error(`duplicate check id ${c.id}`);
    byId.set(c.id, c);
  }
  for (const c of checks) {
    for (const d of c.dependsOn ?? []) {
      const dep = byId.get(d);
      if (!dep) throw new Error(`check ${c.id} depends on unknown check ${d}`);
      for (const p of c.phases) if (!dep.phases.includes(p)) throw new Error(`check ${c.id} runs in ${p} but its dependency ${d} does not`);
    }
  }
  topoOrder(checks); // throws on cycles
}

export function topoOrder(checks: readonly Check[]): Check[] {
  const byId = new Map(checks.map((c) => [c.id, c]));
  const out: Check[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (c: Check, path: string[]) => {
    const s = state.get(c.id);
    if (s === 'done') return;
    if (s === 'visiting') throw new Error(`dependency cycle: ${[...path, c.id].join(' -> ')}`);
    state.set(c.id, 'visiting');
    for (const d of c.dependsOn ?? []) { const dep = byId.get(d); if (dep) visit(dep, [...path, c.id]); }
    state.set(c.id, 'done');
    out.push(c);
  };
  for (const c of [...checks].sort((a, b) => (a.id < b.id ? -1 : 1))) visit(c, []);
  return out;
}

function globToRegExp(glob: string): RegExp {
  return new RegExp('^' + glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
}

/** Does `pattern` (an id, an area, an id prefix like `storage.s3`, or a glob like `storage.*`) select `check`? */
export function matches(pattern: string, check: Check): boolean {
  if (pattern === check.id || pattern === check.area) return true;
  if (/[*?]/.test(pattern)) return globToRegExp(pattern).test(check.id);
  return check.id.startsWith(pattern + '.');
}

function checkPatterns(flag: string, patterns: readonly string[], all: readonly Check[]): void {
  for (const p of patterns) {
    if (!p.trim()) throw new UserError(`${flag}: empty check selector; expected a check id, an area (${AREAS.join(', ')}) or a glob like storage.*`);
    if (!all.some((c) => matches(p, c))) {
      const near = all.map((c) => c.id).filter((id) => id.includes(p.split('.').pop() ?? p)).slice(0, 3);
      throw new UserError(`${flag} ${p}: no check matches; expected a check id, an area (${AREAS.join(', ')}) or a glob like storage.*${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}; see \`flyte-doctor list\``);
    }
  }
}

export type PlanReason = 'selected' | 'dependency';
export interface PlannedCheck {
  check: Check; reason: PlanReason; skip?: string;
  /** The check probes a placeholder: its runs (those instances that read one) wait for values.placeholders. */
  placeholders?: boolean;
}
export interface Plan { phase: Phase; checks: PlannedCheck[] }

/**
 * Which checks run in `phase`: all of the phase, or those matching --only plus their transitive
 * dependencies; checks matching --skip are kept in the plan as skipped with the reason, so their
 * dependents show `blocked by`. Unknown selectors are a UserError (exit 2).
 */
export function plan(all: readonly Check[], phase: Phase, sel: { only?: readonly string[]; skip?: readonly string[] }, target?: Target): Plan {
  const only = sel.only ?? [], skip = sel.skip ?? [];
  checkPatterns('--only', only, all);
  checkPatterns('--skip', skip, all);
  const inPhase = all.filter((c) => c.phases.includes(phase));
  const byId = new Map(inPhase.map((c) => [c.id, c]));
  const chosen = new Map<string, PlanReason>();
  // A probe of a placeholder is blocked by values.placeholders (unless that check is --skip'ped:
  // then the user asked to probe the values as they are).
  const hygiene = byId.get(PLACEHOLDER_CHECK);
  const guarded = new Set<string>();
  if (target?.placeholders?.length && hygiene && !skip.some((p) => matches(p, hygiene))) {
    for (const c of inPhase) {
      if (c.id === PLACEHOLDER_CHECK) continue;
      const insts = c.instances ? c.instances(target) : [undefined];
      if (insts.some((i) => placeholderHits(target, c.needs, i).length)) guarded.add(c.id);
    }
  }
  const add = (c: Check, reason: PlanReason) => {
    if (chosen.has(c.id)) return;
    chosen.set(c.id, reason);
    for (const d of c.dependsOn ?? []) { const dep = byId.get(d); if (dep) add(dep, 'dependency'); }
    if (guarded.has(c.id) && hygiene) add(hygiene, 'dependency');
  };
  for (const c of inPhase) if (!only.length || only.some((p) => matches(p, c))) add(c, 'selected');
  if (only.length && chosen.size === 0) throw new UserError(`--only ${only.join(',')}: no check of the ${phase} phase matches; see \`flyte-doctor list\``);
  const ordered = topoOrder(inPhase.filter((c) => chosen.has(c.id)));
  // --skip that leaves nothing to run is a mistake, not a run that passes with zero checks
  if (skip.length && ordered.length && ordered.every((c) => skip.some((p) => matches(p, c)))) {
    throw new UserError(`--skip ${skip.join(',')}: excludes every check ${only.length ? `--only ${only.join(',')} selects` : `of the ${phase} phase`}; nothing would run`);
  }
  return {
    phase,
    checks: ordered.map((check) => {
      const skipBy = skip.find((p) => matches(p, check));
      const need = target ? (check.needs ?? []).map((n) => missingNeed(target, n)).find(Boolean) : undefined;
      const reasonText = skipBy ? `excluded by --skip ${skipBy}` : need;
      return { check, reason: chosen.get(check.id)!, ...(reasonText ? { skip: reasonText } : {}), ...(guarded.has(check.id) ? { placeholders: true } : {}) };
    }),
  };
}
