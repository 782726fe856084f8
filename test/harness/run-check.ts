// Runs one check (plus its transitive dependencies) through the real engine path, for check tests
// against the real servers. Fails the test when a secret known to the target appears anywhere in
// the serialized results (the "never print a secret" rule, checked on every case).
import { builtinChecks } from '../../checks/index.js';
import type { Target } from '../../src/config/target.js';
import { plan } from '../../src/engine/plan.js';
import { runChecks, type RunResult } from '../../src/engine/run.js';
import type { CheckResult, Phase } from '../../src/engine/types.js';

export interface RunCheckOptions {
  phase?: Phase;
  timeoutMs?: number;
  instance?: string;
  signal?: AbortSignal;
  runId?: string;
}

export interface RunCheckResult { result: CheckResult; results: CheckResult[]; run: RunResult }

export async function runCheck(id: string, target: Target, opts: RunCheckOptions = {}): Promise<RunCheckResult> {
  const check = builtinChecks.find((c) => c.id === id);
  if (!check) throw new Error(`no check ${id} in the registry (checks/<area>/index.ts)`);
  const phase = opts.phase ?? (check.phases.includes('preflight') ? 'preflight' : 'verify');
  const run = await runChecks({
    target, plan: plan(builtinChecks, phase, { only: [id] }, target), timeoutMs: opts.timeoutMs ?? 10_000, concurrency: 8,
    ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.runId ? { runId: opts.runId } : {}),
  });
  assertNoSecrets(target, run);
  assertDeclared(run);
  const mine = run.results.filter((r) => r.id === id);
  const result = opts.instance !== undefined ? mine.find((r) => r.instance === opts.instance) : mine[0];
  if (!result) throw new Error(`check ${id} produced no result${opts.instance ? ` for instance ${opts.instance}` : ''}; got ${run.results.map((r) => `${r.id}[${r.instance ?? ''}]`).join(', ')}`);
  return { result, results: run.results, run };
}

/** Runs every check of `phase` matching `only` (ids, areas or globs). */
export async function runSelection(target: Target, phase: Phase, only: string[], opts: Omit<RunCheckOptions, 'phase' | 'instance'> = {}): Promise<RunResult> {
  const run = await runChecks({
    target, plan: plan(builtinChecks, phase, { only }, target), timeoutMs: opts.timeoutMs ?? 10_000, concurrency: 8,
    ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.runId ? { runId: opts.runId } : {}),
  });
  assertNoSecrets(target, run);
  assertDeclared(run);
  return run;
}

/** Ids the engine itself gives (timeouts, exceptions, interruptions): not declared by checks. */
export const ENGINE_MESSAGE_IDS = new Set(['timeout', 'aborted', 'exception', 'badOutcome', 'internal']);

/**
 * Every result of a check that declares messages uses a declared messageId with its declared
 * status, and every warn/fail carries a fix (ESLint's RuleTester rejects unknown messageIds).
 */
export function assertDeclared(run: RunResult): void {
  for (const r of run.results) {
    if (r.status === 'skip' || (r.messageId && ENGINE_MESSAGE_IDS.has(r.messageId))) continue;
    const check = builtinChecks.find((c) => c.id === r.id);
    if (!check?.messages) continue;
    const spec = r.messageId ? check.messages[r.messageId] : undefined;
    if (!spec) throw new Error(`${r.id} returned messageId ${JSON.stringify(r.messageId)}, which its messages do not declare (${Object.keys(check.messages).join(', ')})`);
    if (spec.status !== r.status) throw new Error(`${r.id} returned ${r.messageId} with status ${r.status}; its messages declare ${spec.status}`);
    if ((r.status === 'warn' || r.status === 'fail') && !r.hint) throw new Error(`${r.id} returned ${r.status} ${r.messageId} without a fix (hint)`);
  }
}

export function assertNoSecrets(target: Target, run: RunResult): void {
  const text = JSON.stringify(run.results);
  for (const s of target.secrets) {
    if (s.length >= 3 && text.includes(s)) throw new Error(`a secret of the target appears in the results: ${text.slice(Math.max(0, text.indexOf(s) - 80), text.indexOf(s)).replace(s, '<SECRET>')}<SECRET>…`);
  }
}
