// The last pass over everything a run prints. Every secret the run knows becomes ***, and every
// identifier (an access key id) its first4…last4 mask, in each form a server or a library may
// echo it: raw, base64 (standard and URL-safe, at each byte alignment, so a secret inside a longer
// blob such as `Basic base64(user:pass)` is caught; also the base64 of its JSON spellings: a JWT's
// payload), URL-encoded (also twice), hex (also as `ab:cd` / `ab cd` bytes), JSON- and XML-escaped, and a
// secret with special characters in any mix of escapes a server or library writes (flexPattern: Go's
// \u0026, Python's \u00e9 and bytes repr \xc3\xa9, XML's &#34;, partial percent-encoding, Markdown and shell quoting).
// A text cut inside a secret is caught at the end of the text, at an ellipsis and at the quote that
// closes an excerpt (truncated).
// Credentials the run does not know are caught by their context: URL userinfo (also without a
// scheme, user:pass@host as proxy variables allow), `Bearer`/`Basic`
// tokens, SigV4/SigV2 credentials, `password=…` / `"client_secret": "…"`, PEM private keys.
//
// The list is live: secrets a check registers at run time (ctx.addSecret pushes onto
// target.secrets) apply to every later call.
//
// It must not corrupt what is not secret. The design:
// - Structured non-secret fields (ids, field names, hosts, users, provenance, JSON keys) only get
//   the `structured` pass: long/random secrets in any form, URL userinfo, PEM blocks. Never word
//   matching, never key=value patterns.
// - Free text (messages, hints, details, error lines) gets everything. A *strong* secret (long or
//   mixed: see strength()) is replaced wherever it occurs, even inside a longer word. A *weak*
//   secret (short, one character class) is replaced only as a whole token: `postgres` as a
//   password hides `… password postgres` but not `postgres.flyte.svc` or `databases[0].passwordSource`.
// - A secret equal to a non-secret value of the inputs (the user name, a host, a bucket) is not
//   hidden in free text: that text prints the value in its own right, and hiding it would corrupt
//   the user name everywhere while hiding nothing (the value is printed as the user anyway). One
//   that is a word flyte-doctor itself prints (`password`, `postgres`, `flyte`) is hidden only
//   where it stands as a credential (key=value, URL userinfo, Basic/Bearer, encoded forms).
//   Secrets shorter than 4 characters are hidden only in those credential contexts too.
import { isSecretKeyName, maskIdentifier } from '../config/secret.js';

export interface Redactor {
  /** Free text: messages, hints, details, error lines, logs. */
  (text: string): string;
  /** Structured non-secret values (hosts, users, field names, provenance): long/random secrets and URL credentials only. */
  structured(text: string): string;
}

/** Where the secrets come from. Arrays are read on every call (live), never copied. */
export interface SecretSource {
  readonly secrets: readonly string[];
  readonly identifiers?: readonly string[] | undefined;
}

export interface RedactorOptions {
  /** Words flyte-doctor itself prints (check titles, explanations): a weak secret equal to one is hidden only in credential contexts. */
  vocabulary?: Iterable<string>;
  /** Non-secret values of the inputs (hosts, users, names), read when the secret list changes. */
  plain?: () => Iterable<string>;
}

/** Common words of the product and its protocols (a password equal to one cannot be hidden as a word without corrupting text). */
export const BASE_VOCABULARY = [
  'password', 'passwd', 'secret', 'token', 'postgres', 'postgresql', 'flyte', 'flyteadmin', 'datacatalog', 'admin', 'administrator',
  'minio', 'root', 'user', 'default', 'changeme', 'example', 'test', 'testing', 'public', 'private', 'storage', 'database', 'kubernetes',
  'access', 'denied', 'error', 'failed', 'invalid', 'bucket', 'object', 'server', 'client', 'service', 'secure', 'insecure', 'none',
  'true', 'false', 'null', 'undefined', 'guest', 'demo', 'local', 'localhost', 'sandbox', 'master', 'main', 'flytepropeller',
  'flyteconsole', 'flytectl', 'flytekit', 'propeller', 'console', 'minioadmin', 'foobar', 'secret123', 'password123', 'letmein',
  'welcome', 'qwerty', 'dragon', 'monkey', 'abc123', '123456', '12345678', 'pass', 'login', 'auth', 'http', 'https', 'grpc',
];

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function classes(s: string): number {
  return [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(s)).length;
}

/** From this length on, any text is a strong secret. */
const STRONG_LENGTH = 12;

/** strong: long or mixed enough that finding it inside a longer word is not a coincidence. */
export function strength(s: string): 'strong' | 'weak' | 'short' {
  if (s.length < 4) return 'short';
  if (s.length >= STRONG_LENGTH || (s.length >= 8 && classes(s) >= 2) || (s.length >= 6 && classes(s) >= 3)) return 'strong';
  return 'weak';
}

/** The stable base64 characters of `s` when it sits at byte offset `align` (mod 3) inside a longer blob. */
function base64Fragments(s: string): string[] {
  const bytes = Buffer.from(s, 'utf8');
  const out: string[] = [];
  for (let a = 0; a < 3; a++) {
    const enc = Buffer.concat([Buffer.alloc(a), bytes]).toString('base64');
    const start = Math.ceil((8 * a) / 6);
    const end = Math.floor((8 * (a + bytes.length)) / 6);
    const frag = enc.slice(start, end);
    if (frag.length >= 8) out.push(frag);
  }
  return out;
}

/** Every printable form of a secret besides the raw one. */
export function encodedForms(s: string): string[] {
  const forms = new Set<string>();
  const json = JSON.stringify(s).slice(1, -1);
  forms.add(json);
  forms.add(json.replace(/\//g, '\\/'));
  forms.add(JSON.stringify(json).slice(1, -1)); // JSON inside JSON
  forms.add(s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;'));
  forms.add(s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;'));
  forms.add(s.replace(/\|/g, '\\|'));
  const uri = encodeURIComponent(s);
  forms.add(uri);
  forms.add(uri.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()));
  forms.add(uri.replace(/%20/g, '+'));
  forms.add(uri.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`));
  forms.add(encodeURI(s));
  // twice URL-encoded: a URL carried in the query of another (a redirect's `next=`, a SAS URL in a link)
  if (uri !== s) { forms.add(encodeURIComponent(uri)); forms.add(encodeURIComponent(uri).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())); }
  if (s.length >= 6) {
    // base64 of the secret, and of its JSON spellings (a JWT's payload, a base64 JSON body: the
    // secret's `"` `\` non-ASCII characters are escaped before the encoding)
    const goJson = json.replace(/&/g, '\\u0026').replace(/</g, '\\u003c').replace(/>/g, '\\u003e');
    const asciiJson = json.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    for (const v of new Set([s, json, goJson, asciiJson])) {
      for (const f of base64Fragments(v)) { forms.add(f); forms.add(f.replace(/\+/g, '-').replace(/\//g, '_')); }
    }
    const hex = Buffer.from(s, 'utf8').toString('hex');
    forms.add(hex); forms.add(hex.toUpperCase());
    // hex bytes with a separator, as dumps print them (`% x` in Go, `xxd`, a certificate's `ab:cd:…`)
    for (const sep of [':', ' ']) { const h = hex.match(/../g)!.join(sep); forms.add(h); forms.add(h.toUpperCase()); }
  }
  forms.delete(s);
  forms.delete('');
  return [...forms];
}

/**
 * One pattern for every escaped spelling of a secret's special characters, each character spelled
 * its own way: what encodedForms cannot list (one form per library) because each server escapes a
 * different set. Each non-alphanumeric character is itself, or:
 * - backslash-escaped, once or more (JSON `\"` `\\`, Markdown `\|` `\*` `\_`, a shell's "…\$…");
 * - percent-encoded, either hex case (Python's quote keeps `/`, Node's URL userinfo keeps `&+$!`,
 *   Go's PathEscape keeps `@:+&=`: any subset), a space as `+`;
 * - a JSON \u escape (Go's encoding/json writes `&` `<` `>` as \u0026 \u003c \u003e, Python's
 *   json.dumps every non-ASCII character as \u00e9), also inside JSON inside JSON;
 * - an XML/HTML character reference: named (&amp; &quot;), decimal (Go's encoding/xml writes `"` as
 *   &#34;) or hex (&#x22;);
 * - `'` as a shell's `'\''` or `'"'"'` (a command quoted in single quotes).
 * Null for a secret with no special character (its raw and encoded forms are literal).
 */
export function flexPattern(s: string): string | null {
  if (!/[^A-Za-z0-9]/.test(s)) return null;
  const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');
  const ci = (h: string) => h.replace(/[a-f]/gi, (c) => `[${c.toLowerCase()}${c.toUpperCase()}]`);
  const named: Record<string, string[]> = { '&': ['amp'], '<': ['lt'], '>': ['gt'], '"': ['quot'], "'": ['apos'], ' ': ['nbsp'] };
  let out = '';
  for (const ch of s) {
    if (/[A-Za-z0-9]/.test(ch)) { out += ch; continue; }
    const cp = ch.codePointAt(0)!;
    const alts = [`\\\\{0,7}${esc(ch)}`];
    alts.push([...Buffer.from(ch, 'utf8')].map((b) => `%${ci(hex(b, 2))}`).join(''));
    if (ch === ' ') alts.push('\\+');
    // a byte escape: Python's bytes repr (`b'\\xc3\\xa9'`), Go's %q of invalid UTF-8, a C string
    alts.push([...Buffer.from(ch, 'utf8')].map((b) => `\\\\{1,7}x${ci(hex(b, 2))}`).join(''));
    // twice percent-encoded (%2540): a URL inside another URL's query
    alts.push([...Buffer.from(ch, 'utf8')].map((b) => `%25${ci(hex(b, 2))}`).join(''));
    const units = ch.length === 2 ? [ch.charCodeAt(0), ch.charCodeAt(1)] : [cp];
    alts.push(units.map((u) => `\\\\{1,7}u${ci(hex(u, 4))}`).join(''));
    alts.push(`&#0*${cp};`, `&#[xX]0*${ci(hex(cp, 1))};`);
    for (const n of named[ch] ?? []) alts.push(`&${n};`);
    if (ch === "'") alts.push("'\\\\''", `'"'"'`);
    out += `(?:${alts.join('|')})`;
  }
  return out;
}

interface Flex { re: RegExp; anchors: string[]; raw: string; replacement: string }

interface Compiled {
  /** Secrets with special characters, matched in any mix of escapes (flexPattern); anchor: a literal part every spelling holds. */
  flex: Flex[];
  /** Literal forms replaced wherever they occur, with their replacement. */
  anywhere: Map<string, string>;
  anywhereRe: RegExp | null;
  /**
   * The anywhere forms longer than LONG_FORM (keys, certificates, kubeconfigs in every encoding),
   * longest first: replaced by plain string search, not in anywhereRe, where a few of them made a
   * pattern V8 refuses ("Regular expression too large": the redactor threw on a text holding one).
   */
  longForms: [string, string][];
  /**
   * The first characters of every anywhere form, and the forms that start with each: anywhereRe
   * (long secrets in every encoding: ~50 KB of pattern) costs ~30 us per text even when nothing
   * matches, so it only runs on a text that holds one of the forms (holdsAnywhere).
   */
  anywhereProbe: RegExp | null;
  byPrefix: Map<string, string[]>;
  /** Literal forms replaced only as whole tokens. */
  token: Map<string, string>;
  tokenRe: RegExp | null;
  /** Parts of the long secrets and identifiers, for texts cut inside one. */
  partIndex: PartIndex;
  /** The non-secret values of the inputs, lower case: a cut piece inside one is not a secret. */
  plainLower: string[];
}

const TOKEN_BEFORE = '(?<![A-Za-z0-9_.\\-+/~])';
const TOKEN_AFTER = '(?![A-Za-z0-9_\\-+/~]|\\.[A-Za-z0-9])';

function alternation(keys: Iterable<string>): string {
  return [...keys].sort((a, b) => b.length - a.length).map(esc).join('|');
}

/** Whether `text` holds one of the anywhere forms (every start of a probe prefix is tried: they overlap). */
function holdsAnywhere(text: string, cc: Compiled): boolean {
  const re = cc.anywhereProbe!;
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    // (a form with this prefix starts here or nowhere at this match: every occurrence of the prefix is visited)
    for (const k of cc.byPrefix.get(m[0])!) if (text.startsWith(k, m.index)) return true;
    re.lastIndex = m.index + 1;
  }
  return false;
}

/** Longer anywhere forms are replaced by string search (Compiled.longForms). */
const LONG_FORM = 200;

/** How many first characters of each anywhere form the probe looks for. */
const PROBE_PREFIX = 6;

function compile(secrets: readonly string[], identifiers: readonly string[], vocabulary: ReadonlySet<string>, plain: readonly string[]): Compiled {
  const anywhere = new Map<string, string>();
  const token = new Map<string, string>();
  const plainSet = new Set(plain);
  const plainLower = plain.map((p) => p.toLowerCase());
  const add = (value: string, replacement: string, encodedReplacement: string) => {
    const v = value.trim();
    if (!v) return;
    const kind = strength(v);
    for (const f of encodedForms(v)) if (!anywhere.has(f) && f.length >= 6) anywhere.set(f, encodedReplacement);
    if (kind === 'short') return;
    const lower = v.toLowerCase();
    if (plainSet.has(v)) return;                                      // printed anyway as a non-secret value
    if (vocabulary.has(lower)) return;                                // a word of the product: credential contexts only
    const insidePlain = plainLower.some((p) => p.includes(lower));
    if (kind === 'strong' && !insidePlain) { anywhere.set(v, replacement); return; }
    token.set(v, replacement);
  };
  const flex: Flex[] = [];
  const addFlex = (value: string) => {
    const v = value.trim();
    if (v.length < 6 || v.length > LONG_FORM || strength(v) !== 'strong') return;
    const p = flexPattern(v);
    if (!p) return;
    // (the longest run of letters and digits: only a text holding it can hold any spelling of the secret)
    // (every run of 3+ letters and digits, longest first: only a text holding all of them can hold a spelling)
    const anchors = [...new Set(v.match(/[A-Za-z0-9]{3,}/g) ?? [])].sort((a, b) => b.length - a.length);
    flex.push({ re: new RegExp(p, 'g'), anchors, raw: v, replacement: '***' });
  };
  for (const s of secrets) if (typeof s === 'string') { add(s, '***', '***'); addFlex(s); }
  for (const id of identifiers) if (typeof id === 'string' && !anywhere.has(id.trim())) add(id, maskIdentifier(id.trim()), '***');
  const raw = [...secrets, ...identifiers].map((x) => (typeof x === 'string' ? x.trim() : ''));
  const short = [...anywhere.keys()].filter((k) => k.length <= LONG_FORM);
  const byPrefix = new Map<string, string[]>();
  for (const k of anywhere.keys()) { const p = k.slice(0, PROBE_PREFIX); const l = byPrefix.get(p); if (l) l.push(k); else byPrefix.set(p, [k]); }
  return {
    flex, plainLower,
    partIndex: partIndex(raw.filter((x) => anywhere.has(x)).map((x) => [x, anywhere.get(x)!] as [string, string])),
    anywhere, anywhereRe: short.length ? new RegExp(alternation(short), 'g') : null,
    longForms: [...anywhere].filter(([k]) => k.length > LONG_FORM).sort((a, b) => b[0].length - a[0].length),
    anywhereProbe: anywhere.size ? new RegExp(alternation(byPrefix.keys()), 'g') : null, byPrefix,
    token, tokenRe: token.size ? new RegExp(`${TOKEN_BEFORE}(?:${alternation(token.keys())})${TOKEN_AFTER}`, 'g') : null,
  };
}

/** Shortest part of a long secret that counts when a text was cut inside it. */
const MIN_PART = 8;
const ELLIPSIS = /\.\.\.|…/g;
/** Texts up to this length are searched for cuts at quotes and brackets too (truncated). */
const QUOTE_SCAN_MAX = 16 * 1024;

/**
 * A text cut inside a secret (a message truncated to N characters, a server that echoes the first
 * bytes of a header): the start of a secret where a piece of text ends, or its end where a piece
 * begins, is hidden too. A piece ends at the end of the text, before an ellipsis (`...`, `…`)
 * anywhere, or before the quote or bracket that closes an excerpt (`body "<first 160 characters>",
 * then …`: JSON.stringify(x.slice(0, N)) puts the cut before a quote); it begins at the start, after
 * an ellipsis, or after an opening quote or bracket. A piece that is (part of) a non-secret value
 * of the inputs is left alone: `client "flyte-admin"` stays when the secret is `flyte-admin-Pw9`.
 */
function truncated(text: string, cc: Compiled): string {
  const ix = cc.partIndex;
  if (text.length < MIN_PART || !ix.secrets.length) return text;
  // a candidate position costs one 8-character lookup in the index; the shortest piece that counts is
  // MIN_PART at the ends and at an ellipsis (a cut for sure), STRONG_LENGTH at a quote or bracket,
  // which also closes many a whole value
  let cuts: [number, number, string][] | undefined;
  const plainPiece = (piece: string) => { const l = piece.toLowerCase(); return cc.plainLower.some((p) => p.includes(l)); };
  const atEnd = (e: number, min: number, deep: boolean) => {
    if (e < min) return;
    const c = longestCut(ix, text, e, 'end', deep);
    if (c && c[1] >= min && !plainPiece(text.slice(e - c[1], e))) (cuts ??= []).push([e - c[1], e, c[2]]);
  };
  const atStart = (b: number, min: number, deep: boolean) => {
    if (text.length - b < min) return;
    const c = longestCut(ix, text, b, 'start', deep);
    if (c && c[1] >= min && !plainPiece(text.slice(b, b + c[1]))) (cuts ??= []).push([b, b + c[1], c[2]]);
  };
  atEnd(text.length, MIN_PART, true);
  atStart(0, MIN_PART, true);
  // (quotes and brackets in the texts of a report, not in a whole rendered report: its texts were
  // each redacted before it was rendered, and a scan of every quote of it cost ~50 ms)
  if (text.length <= QUOTE_SCAN_MAX) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      // " ' ) ] ` \ close an excerpt; " ' ( [ ` open one
      if ((c === 34 || c === 39 || c === 41 || c === 93 || c === 96 || c === 92) && i >= STRONG_LENGTH) atEnd(i, STRONG_LENGTH, false);
      if ((c === 34 || c === 39 || c === 40 || c === 91 || c === 96) && i < text.length - STRONG_LENGTH) atStart(i + 1, STRONG_LENGTH, false);
    }
  }
  if (text.includes('...') || text.includes('…')) {
    ELLIPSIS.lastIndex = 0;
    for (let m = ELLIPSIS.exec(text); m; m = ELLIPSIS.exec(text)) { atEnd(m.index, MIN_PART, false); atStart(m.index + m[0].length, MIN_PART, false); }
  }
  if (!cuts) return text;
  // the longest first where two overlap; then left to right
  cuts.sort((x, y) => (y[1] - y[0]) - (x[1] - x[0]));
  const kept: [number, number, string][] = [];
  for (const c of cuts) if (!kept.some((k) => c[0] < k[1] && k[0] < c[1])) kept.push(c);
  kept.sort((x, y) => x[0] - y[0]);
  let out = '';
  let at = 0;
  for (const [from, to, rep] of kept) { out += text.slice(at, from) + rep; at = to; }
  return out + text.slice(at);
}

/**
 * The longest piece of a long secret that ends at `pos` (side 'end': the secret's first k
 * characters) or starts at `pos` (side 'start': its last k characters): [secret, k, replacement].
 * `deep`: also cuts longer than the index (only at the very end or start of a long text).
 */
function longestCut(ix: PartIndex, text: string, pos: number, side: 'end' | 'start', deep: boolean): [string, number, string] | undefined {
  const room = side === 'end' ? pos : text.length - pos;
  if (room < MIN_PART) return undefined;
  const key = side === 'end' ? text.slice(pos - MIN_PART, pos) : text.slice(pos, pos + MIN_PART);
  const list = (side === 'end' ? ix.ends : ix.starts).get(key);
  if (!list && !(deep && room > PART_INDEX_MAX)) return undefined;
  const holds = (s: string, k: number) => k <= room && (side === 'end' ? text.startsWith(s.slice(0, k), pos - k) : text.startsWith(s.slice(s.length - k), pos));
  let best: [string, number, string] | undefined;
  for (const e of list ?? []) if ((!best || e[1] > best[1]) && holds(e[0], e[1])) best = e;
  // Cuts longer than the index: only a text longer than PART_INDEX_MAX can hold one (the rendered
  // report); found by searching the secret for the 8 characters at the cut.
  if (deep && room > PART_INDEX_MAX) {
    for (const [s, rep] of ix.secrets) {
      if (s.length <= PART_INDEX_MAX + 1) continue;
      const max = Math.min(s.length - 1, room);
      if (side === 'end') {
        // the window s[k-8, k) equals the key, for k in (PART_INDEX_MAX, max]
        for (let p = s.indexOf(key, PART_INDEX_MAX - MIN_PART + 1); p >= 0 && p + MIN_PART <= max; p = s.indexOf(key, p + 1)) {
          const k = p + MIN_PART;
          if ((!best || k > best[1]) && holds(s, k)) best = [s, k, rep];
        }
      } else {
        // the window s[len-k, len-k+8) equals the key: search backwards from len-PART_INDEX_MAX-1
        for (let p = s.lastIndexOf(key, s.length - PART_INDEX_MAX - 1); p >= 0 && s.length - p <= max; p = p > 0 ? s.lastIndexOf(key, p - 1) : -1) {
          const k = s.length - p;
          if ((!best || k > best[1]) && holds(s, k)) best = [s, k, rep];
        }
      }
    }
  }
  return best;
}

/**
 * Parts of long secrets by their 8 characters at the cut, for cuts up to PART_INDEX_MAX characters
 * (a report's texts are shorter); longer cuts are searched for (longestCut). Indexing every cut of a
 * 200 KB secret (a CA bundle kept in a Secret) took ~1 s and ~100 MB.
 */
interface PartIndex { secrets: [string, string][]; ends: Map<string, [string, number, string][]>; starts: Map<string, [string, number, string][]> }
const PART_INDEX_MAX = 4096;

function partIndex(entries: Iterable<[string, string]>): PartIndex {
  const ends = new Map<string, [string, number, string][]>();
  const starts = new Map<string, [string, number, string][]>();
  const secrets: [string, string][] = [];
  const push = (m: Map<string, [string, number, string][]>, key: string, v: [string, number, string]) => { const l = m.get(key); if (l) l.push(v); else m.set(key, [v]); };
  for (const [s, rep] of entries) {
    if (s.length <= MIN_PART) continue;
    secrets.push([s, rep]);
    for (let k = Math.min(s.length - 1, PART_INDEX_MAX); k >= MIN_PART; k--) {
      // Only a strong piece counts as a cut secret: the end of `not-the-password` is the word
      // `password`, which starts every "password authentication failed" line.
      // (a piece of 12 characters or more is always strong: no need to look at it, which made this
      // loop quadratic in the length of a key or certificate)
      if (k >= STRONG_LENGTH || strength(s.slice(0, k)) === 'strong') push(ends, s.slice(k - MIN_PART, k), [s, k, rep]);
      if (k >= STRONG_LENGTH || strength(s.slice(s.length - k)) === 'strong') push(starts, s.slice(s.length - k, s.length - k + MIN_PART), [s, k, rep]);
    }
  }
  return { secrets, ends, starts };
}

// --- credentials recognised by their context (free text)

const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:'"]*:)([^\s/?#@'"]+)@/gi;
// user:password@host without a scheme: a proxy variable as curl, Go (net/http/httpproxy adds
// http://) and Python's requests accept it (HTTPS_PROXY=alice:pw@proxy:3128). The host must follow
// (a name or an IP, an optional numeric port, then the end of the value): an image digest
// (`nginx:1.25@sha256:…`) is not one.
const BARE_USERINFO = /(^|[\s"'(=,;<[{])([A-Za-z0-9._~%!$&*+-]{1,64}):([^\s/?#@'"<>]{1,256})@(?=(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*)(?::\d{1,5})?\/?(?:$|[\s"'),;\]>}]))/g;
const bareUserinfo = (t: string): string => (t.includes('@') && t.includes(':') ? t.replace(BARE_USERINFO, (m, pre: string, u: string, p: string) => (u === 'system' || /^\d+$/.test(u + p) || p === '***' || placeholder(p) || MASKED.test(p) ? m : `${pre}${u}:***@`)) : t);
const PEM = /(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----)[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----)/g;
const PEM_OPEN = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?:\\n|\n|\r)[\s\S]*$/g; // a truncated key block
// (not a word that starts with '-': `aws eks get-token --cluster-name x` is a command, not a token)
const BEARER = /\b(bearer|token)(\s+)([A-Za-z0-9._~+/=][A-Za-z0-9._~+/=-]{7,})/gi;
const BASIC = /\b(basic)(\s+)([A-Za-z0-9+/_-]{6,}={0,2})/gi;
const AWS_SIGV4 = /\b(Credential=)([A-Z0-9]{12,128})(\/|%2F)/g;
const AWS_SIGV2 = /\b(AWS )([A-Z0-9]{16,128}):([A-Za-z0-9+/=]{16,})/g;
const AWS_KEY_ID = /(?<![A-Za-z0-9])((?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{12,124})(?![A-Za-z0-9])/g;
const KV = /(?<![A-Za-z0-9_-])(-{0,2}[A-Za-z][A-Za-z0-9_.-]{1,63})(=)([^\s&;,'"<>)}\]]+)/g;
// A command-line flag and its value, as an exec plugin's or a container's args echo them
// (`--oidc-client-secret Zq8x...`, Go style `-token abc123...`); the `--flag=value` form is KV.
const FLAG_VALUE = /(?<![A-Za-z0-9_-])(--?[A-Za-z][A-Za-z0-9_.-]{1,63})([ \t]+)(["']?)([^\s"'<>-][^\s"'<>]*)/g;
const JSON_KV = /("|\\")([A-Za-z][A-Za-z0-9_ .-]{0,63})\1(\s*:\s*)(\\?")((?:[^"\\]|\\.)*?)\4/g;
const HEADER_KV = /\b(authorization|proxy-authorization|x-amz-security-token|x-goog-iam-authorization-token|x-api-key|api-key|x-auth-token)(["']?\s*:\s*["']?)([^\s"',;}][^"',;}\r\n]*)/gi;

/** Already masked: *** or an identifier's first4…last4. */
const MASKED = /^(\*\*\*|[A-Za-z0-9]{4}…[A-Za-z0-9]{4})/;

/** A value that stands for a placeholder in a fix, not a credential: `<password>`, `$PGPASSWORD`, `***`. */
const placeholder = (v: string): boolean => /^(<.*>|\$.*|\{\{.*|\*+|…|\.\.\.)$/.test(v);

function looksLikeCredential(v: string): boolean {
  return v.length >= 8 && !/^[a-z]+$/.test(v) && !/^[A-Z][a-z]+$/.test(v) && (/\d/.test(v) || (/[A-Z]/.test(v) && /[a-z]/.test(v)) || /[._~+/=-]/.test(v));
}

const AUTH_SCHEME = /^(bearer|basic|aws4-hmac-sha256|aws|token|negotiate|digest|signature|sharedkey|sharedkeylite|goog4-rsa-sha256|goog4-hmac-sha256)$/i;

/** The value of an Authorization-like header: a scheme and its credential, or a bare credential. */
function headerCredential(v: string): boolean {
  const words = v.trim().split(/\s+/);
  const first = words[0] ?? '';
  if (placeholder(first) || /^\*{3}/.test(first)) return false;
  if (AUTH_SCHEME.test(first)) return words.length > 1 && !/^\*{3}$/.test(words[1] ?? '');
  return looksLikeCredential(first);
}

function isBasicCredential(b64: string): boolean {
  let text: string;
  try { text = Buffer.from(b64.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'); } catch { return false; }
  return text.includes(':') && /^[\x20-\x7e]+$/.test(text);
}

// Each pattern runs only on a text that holds what it needs to match (a literal it starts with or
// contains): most report strings hold none, and the key=value and JSON patterns scan every position.
/** `curl -u user:pass`, `--user user:pass`, `--proxy-user u:p` in a quoted command (a pod's lifecycle hook, an event): the password part. */
const USER_PASS_FLAG = /(^|[\s"'(])(-u|--user|--proxy-user)(\s+|=)(['"]?)([^\s:'"]+):([^\s'"]+)/g;
const HAS_USER_FLAG = /(?:^|[\s"'(])(?:-u|--user|--proxy-user)[\s=]/;
const HAS_AWS_KEY_ID = /A(?:KIA|SIA|GPA|IDA|ROA|NPA|NVA|IPA|BIA|CCA)/;
const HAS_BEARER = /bearer|token/i;
const HAS_BASIC = /basic/i;
const HAS_HEADER = /authorization|security-token|api-key|auth-token/i;

function contextual(text: string, maskId: (id: string) => string): string {
  let t = text;
  if (t.includes('-----BEGIN ')) t = t.replace(PEM, '$1***$2').replace(PEM_OPEN, (m) => m.slice(0, m.indexOf('-----', 5) + 5) + '***');
  if (t.includes('://') && t.includes('@')) t = t.replace(URL_USERINFO, '$1***@');
  t = bareUserinfo(t);
  if (t.includes('Credential=')) t = t.replace(AWS_SIGV4, (_m, pre: string, id: string, sep: string) => `${pre}${maskId(id)}${sep}`);
  if (t.includes('AWS ')) t = t.replace(AWS_SIGV2, (_m, pre: string, id: string) => `${pre}${maskId(id)}:***`);
  if (HAS_AWS_KEY_ID.test(t)) t = t.replace(AWS_KEY_ID, (_m, id: string) => maskId(id));
  if (HAS_BASIC.test(t)) t = t.replace(BASIC, (m, w: string, sp: string, v: string) => (isBasicCredential(v) ? `${w}${sp}***` : m));
  if (HAS_BEARER.test(t)) t = t.replace(BEARER, (m, w: string, sp: string, v: string) => (looksLikeCredential(v) ? `${w}${sp}***` : m));
  if (HAS_HEADER.test(t)) t = t.replace(HEADER_KV, (m, k: string, sep: string, v: string) => (headerCredential(v) ? `${k}${sep}***` : m));
  if (t.includes('=')) t = t.replace(KV, (m, k: string, eq: string, v: string) => (isSecretKeyName(k.split('.').pop() ?? k) && !placeholder(v) && !MASKED.test(v) ? `${k}${eq}***` : m));
  // (the value of a flag given as a separate word is masked only when it looks like a credential:
  // `--password to` in a sentence is not one)
  // (a Kubernetes identity given to --user, system:serviceaccount:ns:name, is not a user:password pair)
  if (t.includes(':') && HAS_USER_FLAG.test(t)) t = t.replace(USER_PASS_FLAG, (m, pre: string, f: string, sp: string, q: string, u: string, p: string) => (u === 'system' || placeholder(p) || MASKED.test(p) || p === '***' ? m : `${pre}${f}${sp}${q}${u}:***`));
  if (t.includes('-')) t = t.replace(FLAG_VALUE, (m, k: string, sp: string, q: string, v: string) => (isSecretKeyName(k.split('.').pop() ?? k) && looksLikeCredential(v) && !placeholder(v) && !MASKED.test(v) ? `${k}${sp}${q}***` : m));
  if (t.includes('"')) t = t.replace(JSON_KV, (m, q: string, k: string, sep: string, vq: string, v: string) => (isSecretKeyName(k) && v !== '' && !placeholder(v) ? `${q}${k}${q}${sep}${vq}***${vq}` : m));
  return t;
}

function structuredContext(text: string, maskId: (id: string) => string): string {
  let t = text;
  if (t.includes('-----BEGIN ')) t = t.replace(PEM, '$1***$2');
  if (t.includes('://') && t.includes('@')) t = t.replace(URL_USERINFO, '$1***@');
  t = bareUserinfo(t);
  if (HAS_AWS_KEY_ID.test(t)) t = t.replace(AWS_KEY_ID, (_m, id: string) => maskId(id));
  return t;
}

function isLiveList(v: unknown): v is readonly string[] {
  return Array.isArray(v);
}

/**
 * A redactor over `source`: an array of secrets (read live), or { secrets, identifiers } whose
 * arrays are read live. Re-compiles only when a list changed.
 */
export function makeRedactor(source: Iterable<string> | SecretSource, opts: RedactorOptions = {}): Redactor {
  const vocabulary = new Set([...BASE_VOCABULARY, ...(opts.vocabulary ?? [])].map((w) => w.toLowerCase()));
  const fixed = !isLiveList(source) && !(source && typeof source === 'object' && 'secrets' in source) ? [...(source as Iterable<string>)] : undefined;
  // (one empty list, not a new one per call: a new array would count as a changed list and re-compile)
  const none: readonly string[] = [];
  const lists = (): [readonly string[], readonly string[]] => {
    if (fixed) return [fixed, none];
    if (isLiveList(source)) return [source, none];
    const s = source as SecretSource;
    return [s.secrets ?? none, s.identifiers ?? none];
  };
  // Re-compile only when a list gained a value not seen before (ctx.addSecret may push the same
  // password once per connection) or was replaced.
  let c: Compiled | undefined;
  let seenLists: [readonly string[], readonly string[]] | undefined;
  let seenLen: [number, number] = [0, 0];
  const seen = new Set<string>();
  const current = (): Compiled => {
    const [secrets, ids] = lists();
    // the common case, once per text redacted: nothing was added since the last compile
    if (c && seenLists && seenLists[0] === secrets && seenLists[1] === ids && secrets.length === seenLen[0] && ids.length === seenLen[1]) return c;
    let changed = !c || !seenLists || seenLists[0] !== secrets || seenLists[1] !== ids || secrets.length < seenLen[0] || ids.length < seenLen[1];
    if (changed) seen.clear();
    const from: [number, number] = changed ? [0, 0] : seenLen;
    for (const [list, i0, tag] of [[secrets, from[0], 's'], [ids, from[1], 'i']] as const) {
      for (let i = i0; i < list.length; i++) { const k = `${tag}:${list[i]}`; if (!seen.has(k)) { seen.add(k); changed = true; } }
    }
    seenLists = [secrets, ids];
    seenLen = [secrets.length, ids.length];
    if (changed || !c) c = compile(secrets, ids, vocabulary, opts.plain ? [...opts.plain()].filter((p) => typeof p === 'string' && p.length > 0) : []);
    return c;
  };
  const maskId = (id: string) => (current().anywhere.get(id) ?? current().token.get(id) ?? maskIdentifier(id));
  const literal = (text: string, cc: Compiled, tokens: boolean): string => {
    let out = text;
    if (cc.anywhereProbe && holdsAnywhere(out, cc)) {
      for (const [k, rep] of cc.longForms) if (out.includes(k)) out = out.split(k).join(rep);
      if (cc.anywhereRe) out = out.replace(cc.anywhereRe, (m) => cc.anywhere.get(m) ?? '***');
    }
    if (tokens && cc.tokenRe) out = out.replace(cc.tokenRe, (m) => cc.token.get(m) ?? '***');
    for (const f of cc.flex) {
      if (f.anchors.some((a) => !out.includes(a))) continue;
      // (the raw secret itself is the literal passes' to judge: one equal to a user name or a word stays)
      out = out.replace(f.re, (m) => (m === f.raw && !cc.anywhere.has(f.raw) ? m : f.replacement));
    }
    return truncated(out, cc);
  };
  const free = ((text: string): string => {
    if (typeof text !== 'string' || !text) return text;
    return literal(contextual(text, maskId), current(), true);
  }) as Redactor;
  free.structured = (text: string): string => {
    if (typeof text !== 'string' || !text) return text;
    return literal(structuredContext(text, maskId), current(), false);
  };
  return free;
}

/** Deep-redacts every string in a JSON-like value as free text (keys kept). */
export function redactDeep<T>(value: T, r: Redactor | ((s: string) => string)): T {
  if (typeof value === 'string') return r(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, r)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, r);
    return out as T;
  }
  return value;
}

/** Free-text fields of a result or report; everything else is structured. */
const FREE_KEYS = new Set(['message', 'hint', 'details', 'residue', 'interrupted']);

/**
 * Redacts a result or a whole report: free-text fields (message, hint, details, residue,
 * interrupted) fully, every other string (ids, field names, hosts, provenance) with the
 * structured pass only. Object keys are never touched.
 */
export function redactReport<T>(value: T, r: Redactor): T {
  const walk = (v: unknown, free: boolean): unknown => {
    if (typeof v === 'string') return free ? r(v) : r.structured(v);
    if (Array.isArray(v)) return v.map((x) => walk(x, free));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x, free || FREE_KEYS.has(k));
      return out;
    }
    return v;
  };
  return walk(value, false) as T;
}

// ---------------------------------------------------------------- what others write to stderr

let processRedactor: Redactor | undefined;
let installed = false;

/** The redactor for text that other code writes to this process's stderr; the latest one wins (the run's, once the target is loaded). */
export function setProcessRedactor(r: Redactor): void { processRedactor = r; }

/**
 * Lines that flyte-doctor does not write itself also reach stderr: Node's NODE_DEBUG=http prints
 * every request's headers (a Kubernetes bearer token, an S3 Authorization), grpc-js's GRPC_TRACE
 * its calls, an SDK its warnings. NODE_DEBUG is read when Node starts, before any of our code runs,
 * so it cannot be turned off: every write to the stream goes through the run's redactor instead.
 */
export function redactStream(stream: NodeJS.WriteStream): void {
  if (installed) return;
  installed = true;
  const write = stream.write.bind(stream) as (...a: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    const r = processRedactor;
    if (r && (typeof chunk === 'string' || chunk instanceof Uint8Array)) {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8');
      const out = r(text);
      if (out !== text) return write(out, ...(typeof rest[0] === 'string' ? rest.slice(1) : rest));
    }
    return write(chunk, ...rest);
  }) as typeof stream.write;
}
