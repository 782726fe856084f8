import { UserError } from './errors.js';

/** Upper bounds, so a typo like `600h` cannot overflow Node's timers (max ~24.8 days) or mean "forever". */
export const DURATION_LIMITS: Readonly<Record<string, number>> = {
  '--timeout': 3_600_000,      // 1h per check
  '--deadline': 86_400_000,    // 24h for the whole run
  '--wait': 86_400_000,        // 24h of re-runs
  '--older-than': 366 * 86_400_000, // cleanup: an age, not a timer
};
const DEFAULT_LIMIT = 86_400_000;

function human(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/**
 * Parses "10s", "500ms", "5m", "1h", "1m30s" or a bare number of seconds into milliseconds. Zero,
 * negative and unparseable values, and values above the flag's limit, are a UserError (exit 2).
 */
export function parseDuration(flag: string, raw: string | number): number {
  const s = String(raw).trim();
  const limit = DURATION_LIMITS[flag] ?? DEFAULT_LIMIT;
  const expect = `expected a positive duration like 10s, 500ms or 5m (at most ${human(limit)})`;
  const bad = (why?: string): never => { throw new UserError(`${flag} ${JSON.stringify(String(raw))}: ${why ? `${why}; ` : ''}${expect}`); };
  if (/^-/.test(s)) return bad('a negative duration');
  let total: number;
  if (typeof raw === 'number' || /^\d+(\.\d+)?$/.test(s)) {
    total = Number(s) * 1000;
  } else {
    const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
    let m: RegExpExecArray | null, pos = 0;
    total = 0;
    while ((m = re.exec(s))) { total += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h']; pos = re.lastIndex; }
    if (!s || pos !== s.length) return bad();
  }
  if (!Number.isFinite(total)) return bad();
  if (total <= 0) return bad('zero');
  if (total < 1) return bad('less than 1ms');
  if (total > limit) return bad(`more than ${human(limit)}`);
  return Math.round(total);
}
