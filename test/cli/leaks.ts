// Finds a secret in output text in any encoding: raw, JSON/XML-escaped, URL-encoded, and inside any
// base64 / base64url / hex run (decoded at every alignment, so a secret inside `Basic
// base64(user:secret)` counts). A leak of a long part of a secret counts too.

/** Every way `text` could be decoded once. */
function decodings(text: string): string[] {
  const out = [text];
  try { out.push(decodeURIComponent(text.replace(/\+/g, ' '))); } catch { /* not URL-encoded as a whole */ }
  out.push(text.replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))));
  out.push(text.replace(/\\u([0-9a-fA-F]{4})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))).replace(/\\(["\\/])/g, '$1').replace(/\\n/g, '\n'));
  out.push(text.replace(/&quot;/g, '"').replace(/&apos;|&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));
  for (const m of text.matchAll(/[A-Za-z0-9+/_-]{8,}={0,2}/g)) {
    const run = m[0].replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
    for (let skip = 0; skip < 4; skip++) {
      const part = run.slice(skip);
      out.push(Buffer.from(part.slice(0, part.length - (part.length % 4)), 'base64').toString('latin1'));
    }
  }
  for (const m of text.matchAll(/(?:[0-9a-fA-F]{2}){6,}/g)) {
    for (const off of [0, 1]) out.push(Buffer.from(m[0].slice(off), 'hex').toString('latin1'));
  }
  return out;
}

/** Every once- and twice-decoded form of a text (compute once, search many secrets). */
export function decodeAll(text: string): string[] {
  const level1 = decodings(text);
  const all = new Set(level1);
  for (const d of level1.slice(1)) if (d.length < 200_000) for (const dd of decodings(d)) all.add(dd); // twice-encoded
  return [...all];
}

/** The first form in which `secret` (or a part of it of `minPart` characters) appears in decoded texts. */
export function findIn(decoded: readonly string[], secret: string, minPart = 12): string | undefined {
  const parts = new Set([secret]);
  // Long parts of long secrets (a server may echo a truncated header).
  if (secret.length > minPart) for (let i = 0; i + minPart <= secret.length; i += 4) parts.add(secret.slice(i, i + minPart));
  for (const t of decoded) for (const p of parts) {
    const i = t.indexOf(p);
    if (i >= 0) return `…${t.slice(Math.max(0, i - 60), i)}<<${p}>>${t.slice(i + p.length, i + p.length + 30)}…`;
  }
  return undefined;
}

/** The first form in which `secret` (or a long part of it) appears in `text`, or undefined. */
export function findLeak(text: string, secret: string, minPart = 12): string | undefined {
  return findIn(decodeAll(text), secret, minPart);
}
