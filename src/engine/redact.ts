// The last pass over everything a run prints: every secret the run knows becomes ***, as do
// credentials inside URLs and bearer tokens. Applied to free text (messages, hints, details,
// target values, error lines), never to ids.
export type Redactor = (text: string) => string;

const URL_CREDS = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:)([^\s/@]+)@/gi;
const BEARER = /\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi;
const KV_SECRET = /\b((?:password|passwd|secret[-_]?key|secret|token|client[-_]?secret)\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;&]+)/gi;

export function makeRedactor(secrets: Iterable<string>): Redactor {
  const known = [...new Set([...secrets].filter((s) => typeof s === 'string' && s.length >= 3))].sort((a, b) => b.length - a.length);
  return (text: string) => {
    let out = text;
    for (const s of known) if (out.includes(s)) out = out.split(s).join('***');
    return out.replace(URL_CREDS, '$1***@').replace(BEARER, '$1***').replace(KV_SECRET, '$1***');
  };
}

/** Deep-redacts every string in a JSON-like value (keys kept). */
export function redactDeep<T>(value: T, r: Redactor): T {
  if (typeof value === 'string') return r(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, r)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, r);
    return out as T;
  }
  return value;
}
