import type { Status } from './types.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, incomplete: 3, internal: 4, hangup: 129, interrupted: 130, terminated: 143 } as const;

/** 128 + the signal number, as shells report it: SIGHUP 129, SIGINT 130, SIGTERM 143. */
export const SIGNAL_EXIT: Readonly<Record<string, number>> = { SIGHUP: EXIT.hangup, SIGINT: EXIT.interrupted, SIGTERM: EXIT.terminated };

/** The exit code for an interrupted run: the abort reason is the signal's name (default SIGINT). */
export function interruptExitCode(reason: unknown): number {
  const name = typeof reason === 'string' ? reason : reason instanceof Error ? reason.message : undefined;
  return (name && SIGNAL_EXIT[name]) || EXIT.interrupted;
}
export type FailOn = 'warn' | 'fail';

/**
 * 0 = nothing at or above --fail-on; 1 = a check failed (or warned with --fail-on warn);
 * 3 = no failure but some checks could not run (error/timeout); 129/130/143 = interrupted by
 * SIGHUP/SIGINT (Ctrl-C)/SIGTERM.
 * 2 (bad input) and 4 (internal error) are decided by the CLI before/around a run.
 */
export function exitCodeFor(summary: Record<Status, number>, failOn: FailOn, interrupted: boolean | number = false): number {
  if (interrupted) return typeof interrupted === 'number' ? interrupted : EXIT.interrupted;
  if (summary.fail > 0) return EXIT.failed;
  if (failOn === 'warn' && summary.warn > 0) return EXIT.failed;
  if (summary.error > 0) return EXIT.incomplete;
  return EXIT.ok;
}
