import { UserError } from './errors.js';

/** Parses "10s", "500ms", "5m", "1h", "1m30s" or a bare number of seconds into milliseconds. */
export function parseDuration(flag: string, raw: string | number): number {
  if (typeof raw === 'number' && Number.isFinite(raw) && raw > 0) return raw * 1000;
  const s = String(raw).trim();
  if (/^\d+(\.\d+)?$/.test(s) && Number(s) > 0) return Number(s) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0, m: RegExpExecArray | null, pos = 0;
  while ((m = re.exec(s))) { total += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h']; pos = re.lastIndex; }
  if (!s || pos !== s.length || total <= 0) throw new UserError(`${flag} ${JSON.stringify(String(raw))}: expected a duration like 10s, 500ms or 5m`);
  return total;
}
