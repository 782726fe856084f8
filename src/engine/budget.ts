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

/**
 * AbortSignal.timeout(ms) that fires even when nothing else holds it. Node's own timeout signal is
 * held only weakly by its timer and by AbortSignal.any(): on Node 20, after a garbage collection,
 * `AbortSignal.any([signal, AbortSignal.timeout(ms)])` never aborts, so a probe's own deadline
 * silently fell back to the engine's (an `error` "timed out" instead of the probe's finding). Here
 * the timer holds its controller; the timer is unref'd, so it never keeps the process alive.
 */
export function timeoutSignal(ms: number): AbortSignal {
  const ac = new AbortController();
  const t = setTimeout(() => ac.abort(new DOMException(`The operation timed out after ${ms} ms`, 'TimeoutError')), Math.max(1, ms));
  t.unref();
  return ac.signal;
}

/** `signal`, or `ms` elapsed, whichever comes first (see timeoutSignal). */
export function withTimeout(signal: AbortSignal, ms: number): AbortSignal {
  return AbortSignal.any([signal, timeoutSignal(ms)]);
}
