// A fast path for the plain YAML most inputs are (values files, kubeconfigs, flytectl configs, the
// charts' ConfigMaps): block mappings and sequences of one-line scalars. The yaml package builds a
// full document (tokens, nodes, positions) for every file; on a fresh process that is ~5-15 ms per
// small file, and a verify parses a dozen. This parser takes only what it can read exactly as the
// yaml package does (YAML 1.2, core schema, plus the YAML 1.1 booleans of Go's yaml.v2: values.ts
// goYamlBools) and declines everything else (returns undefined), which
// then goes through the yaml package as before: block scalars (| >), flow collections other than {}
// and [], anchors, aliases, tags, multi-line plain scalars, complex keys, tabs, directives, several
// documents, duplicate keys (the yaml path reports them), escapes other than the common ones, and
// keys that are not plain words. test/config/yaml-fast.test.ts holds it to the yaml package on every
// fixture and on a corpus of edge cases.

type Value = null | boolean | number | string | Value[] | { [k: string]: Value };

/** Declines: the yaml package reads this text. */
class Decline extends Error {}
const decline = (): never => { throw new Decline(); };

interface Line { indent: number; text: string }

const MAX_DEPTH = 64;

/** The value of `text` when it is plain YAML this parser reads exactly like the yaml package; undefined otherwise. */
export function fastYaml(text: string): Value | undefined {
  if (text.length > 1024 * 1024 || text.charCodeAt(0) === 0xfeff || text.includes('\t') || /\r(?!\n)/.test(text)) return undefined;
  const lines: Line[] = [];
  let started = false;
  for (const raw of text.split(/\r?\n/)) {
    const body = raw.trimStart();
    if (!body || body.startsWith('#')) continue;
    const indent = raw.length - body.length;
    const t = body.trimEnd();
    if (indent === 0 && (t === '---' || t.startsWith('--- ') || t === '...' || t.startsWith('%'))) {
      // one leading document start marker is fine; anything else (directives, several documents, an end marker) declines
      if (t === '---' && !started && !lines.length) { started = true; continue; }
      return undefined;
    }
    lines.push({ indent, text: t });
  }
  if (!lines.length) return undefined;
  try {
    const p = new Parser(lines);
    const v = p.block(lines[0]!.indent, 0);
    if (p.i !== lines.length) return undefined;
    return v;
  } catch (e) {
    if (e instanceof Decline) return undefined;
    throw e;
  }
}

class Parser {
  i = 0;
  constructor(private readonly lines: Line[]) {}

  /** A block mapping or sequence whose lines start at `indent`. */
  block(indent: number, depth: number): Value {
    if (depth > MAX_DEPTH) decline();
    const l = this.lines[this.i]!;
    if (l.indent !== indent) decline();
    return isSeqItem(l.text) ? this.seq(indent, depth) : this.map(indent, depth);
  }

  seq(indent: number, depth: number): Value[] {
    const out: Value[] = [];
    while (this.i < this.lines.length) {
      const l = this.lines[this.i]!;
      // a key at the sequence's own indent ends it (a mapping's sequence may sit at the key's indent)
      if (l.indent < indent || (l.indent === indent && !isSeqItem(l.text))) break;
      if (l.indent > indent) decline();
      const rest = l.text.slice(1).trimStart();
      if (!rest || rest.startsWith('#')) {
        this.i++;
        out.push(this.nested(indent, depth, false));
      } else if (isSeqItem(rest)) {
        decline(); // - - a
      } else if (entryOf(rest)) {
        // a compact mapping: its keys line up with the first one, after "- "
        const col = indent + (l.text.length - rest.length);
        this.lines[this.i] = { indent: col, text: rest };
        out.push(this.map(col, depth + 1));
      } else {
        this.i++;
        out.push(scalar(rest));
        this.noDeeper(indent);
      }
    }
    return out;
  }

  map(indent: number, depth: number): { [k: string]: Value } {
    const out: { [k: string]: Value } = {};
    while (this.i < this.lines.length) {
      const l = this.lines[this.i]!;
      if (l.indent < indent) break;
      if (l.indent > indent) decline();
      const e = entryOf(l.text);
      if (!e) decline();
      const { key, rest } = e!;
      if (Object.prototype.hasOwnProperty.call(out, key)) decline(); // the yaml path reports the duplicate
      this.i++;
      if (!rest || rest.startsWith('#')) out[key] = this.nested(indent, depth, true);
      else { out[key] = scalar(rest); this.noDeeper(indent); }
    }
    return out;
  }

  /** The value of a key or item with nothing after it: a deeper block, a sequence at the key's own indent (mappings only), or null. */
  nested(indent: number, depth: number, sameIndentSeq: boolean): Value {
    const n = this.lines[this.i];
    if (!n) return null;
    if (n.indent > indent) return this.block(n.indent, depth + 1);
    if (sameIndentSeq && n.indent === indent && isSeqItem(n.text)) return this.seq(indent, depth + 1);
    return null;
  }

  /** After a one-line value the next line may not be deeper (that would be a multi-line scalar or an error). */
  noDeeper(indent: number): void {
    const n = this.lines[this.i];
    if (n && n.indent > indent) decline();
  }
}

const isSeqItem = (t: string): boolean => t === '-' || t.startsWith('- ');

const PLAIN_KEY = /^[A-Za-z0-9_$][A-Za-z0-9_.\/$@-]*$/;

/** `key: rest` (rest may be empty) when the line is a mapping entry with a key this parser takes. */
function entryOf(t: string): { key: string; rest: string } | undefined {
  let key: string;
  let after: number;
  if (t[0] === '"' || t[0] === "'") {
    const q = quoted(t);
    if (!q) return undefined;
    key = q.value;
    after = q.end;
  } else {
    const m = /^([^\s:#'"][^:\s]*):(?= |$)/.exec(t);
    if (!m) return undefined;
    key = m[1]!;
    if (!PLAIN_KEY.test(key) || typeof plain(key) !== 'string') decline();
    after = key.length;
  }
  if (t[after] !== ':' || (after + 1 < t.length && t[after + 1] !== ' ')) return undefined;
  if (key === '__proto__' || key === '<<') decline();
  return { key, rest: t.slice(after + 1).trim() };
}

/** A one-line value: quoted, {} / [], or plain (core schema). */
function scalar(t: string): Value {
  const c = t[0]!;
  if (c === '"' || c === "'") {
    const q = quoted(t);
    if (!q) decline();
    const tail = t.slice(q!.end).trim();
    if (tail && !tail.startsWith('#')) decline();
    return q!.value;
  }
  const v = stripComment(t);
  if (v === '{}') return {};
  if (v === '[]') return [];
  // indicators that start something this parser does not read (or an error)
  if (/^[\[\]{},&*!|>%@`?]/.test(v) || /^[-?:](?: |$)/.test(v) || /: |:$/.test(v) || v.includes(' #')) decline();
  return plain(v);
}

/** A plain value up to a comment (" #"), trimmed. */
function stripComment(t: string): string {
  const i = t.indexOf(' #');
  return (i < 0 ? t : t.slice(0, i)).trimEnd();
}

const ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', '/': '/', n: '\n', t: '\t', r: '\r', '0': '\0' };

/** A quoted scalar at the start of `t` (one line): its value and where it ends; undefined when it does not end on this line. */
function quoted(t: string): { value: string; end: number } | undefined {
  const q = t[0]!;
  let out = '';
  for (let i = 1; i < t.length; i++) {
    const c = t[i]!;
    if (q === "'" && c === "'") {
      if (t[i + 1] === "'") { out += "'"; i++; continue; }
      return { value: out, end: i + 1 };
    }
    if (q === '"' && c === '"') return { value: out, end: i + 1 };
    if (q === '"' && c === '\\') {
      const e = ESCAPES[t[i + 1] ?? ''];
      if (e === undefined) decline();
      out += e; i++; continue;
    }
    out += c;
  }
  return undefined;
}

// The YAML 1.2 core schema, as the yaml package resolves plain scalars.
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL_TRUE = /^(?:[Tt]rue|TRUE)$/;
const BOOL_FALSE = /^(?:[Ff]alse|FALSE)$/;
const INT_OCT = /^0o[0-7]+$/;
const INT = /^[-+]?[0-9]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

/**
 * The YAML 1.1 booleans Go's yaml.v2 resolves a plain scalar to, besides true/false: what Helm,
 * client-go and viper 1.11 (flytectl, Flyte's configs) read from every input flyte-doctor takes.
 */
const GO_YAML_TRUE = /^(?:[yY]|[Yy]es|YES|[Oo]n|ON)$/;
const GO_YAML_FALSE = /^(?:[nN]|[Nn]o|NO|[Oo]ff|OFF)$/;
export function yaml11Bool(s: string): boolean | undefined {
  return GO_YAML_TRUE.test(s) ? true : GO_YAML_FALSE.test(s) ? false : undefined;
}

/**
 * The number Go's yaml.v2 makes of a plain scalar that starts like one (what Helm, client-go and
 * flytectl read): underscores are dropped, and the rest is read by Go's strconv.ParseInt with base
 * 0, so a leading 0 is octal (`port: 05432` is 2842, where YAML 1.2 reads 5432), 0b/0B binary,
 * 0x/0X and 0o/0O as in YAML 1.2 (`5_432` is 5432, where YAML 1.2 keeps the string); else a float.
 * Undefined for anything that is not a number there.
 */
export function goYamlNumber(s: string): number | undefined {
  if (!/^[-+0-9]/.test(s)) return undefined;
  const p = s.replace(/_/g, '');
  const m = /^([-+]?)(?:0[xX]([0-9a-fA-F]+)|0[oO]([0-7]+)|0[bB]([01]+)|0([0-7]+)|([1-9][0-9]*|0))$/.exec(p);
  if (m) {
    const n = m[2] !== undefined ? parseInt(m[2], 16) : m[3] !== undefined ? parseInt(m[3], 8) : m[4] !== undefined ? parseInt(m[4], 2) : m[5] !== undefined ? parseInt(m[5], 8) : parseInt(m[6]!, 10);
    return m[1] === '-' ? -n : n;
  }
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(p)) return parseFloat(p);
  return undefined;
}

function plain(s: string): Value {
  if (NULL.test(s)) return null;
  if (BOOL_TRUE.test(s)) return true;
  if (BOOL_FALSE.test(s)) return false;
  const b11 = yaml11Bool(s);
  if (b11 !== undefined) return b11;
  const go = goYamlNumber(s);
  if (go !== undefined) return go;
  if (INT_OCT.test(s)) return parseInt(s.slice(2), 8);
  if (INT.test(s)) return parseInt(s, 10);
  if (INT_HEX.test(s)) return parseInt(s.slice(2), 16);
  if (FLOAT_NAN.test(s)) return s.endsWith('nan') || s.endsWith('NaN') || s.endsWith('NAN') ? NaN : s[0] === '-' ? -Infinity : Infinity;
  if (FLOAT_EXP.test(s) || FLOAT.test(s)) return parseFloat(s);
  return s;
}
