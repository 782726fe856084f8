// Time budgets inside a check: the engine aborts ctx.signal at the check's timeout; a probe sets
// its own shorter I/O timeout so that a dead endpoint ends as the check's finding ("no answer
// within 5 s"), not as the engine's "timed out".
import type { CheckContext } from './types.js';

/** The budget for one network step: what is left of the check's time, minus a margin to report it. */
export function stepBudget(ctx: CheckContext, capMs = 30_000): number {
  return Math.max(200, Math.min(capMs, ctx.remainingMs() - 400));
}

/** The probe's own I/O timeout: at most `capMs`, and always short of the check's budget. */
export function probeTimeout(ctx: CheckContext, capMs = 5000): number {
  const left = ctx.remainingMs();
  return Math.max(200, Math.min(capMs, left - Math.max(300, Math.round(left * 0.15))));
}

/** `2.5s` */
export function seconds(ms: number): string { return `${Math.round(ms / 100) / 10}s`; }
