import type { Status } from './types.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, incomplete: 3, internal: 4, interrupted: 130 } as const;
export type FailOn = 'warn' | 'fail';

/**
 * 0 = nothing at or above --fail-on; 1 = a check failed (or warned with --fail-on warn);
 * 3 = no failure but some checks could not run (error/timeout); 130 = interrupted (Ctrl-C).
 * 2 (bad input) and 4 (internal error) are decided by the CLI before/around a run.
 */
export function exitCodeFor(summary: Record<Status, number>, failOn: FailOn, interrupted = false): number {
  if (interrupted) return EXIT.interrupted;
  if (summary.fail > 0) return EXIT.failed;
  if (failOn === 'warn' && summary.warn > 0) return EXIT.failed;
  if (summary.error > 0) return EXIT.incomplete;
  return EXIT.ok;
}
