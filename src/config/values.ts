// Helm values: read files, merge them like helm (maps deep-merged, everything else replaced),
// apply --set, resolve `{{ .Values.x.y }}` references, detect the chart, and look keys up with
// the source that set them (for provenance and for UserError messages).
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, parseDocument, visit, type Document } from 'yaml';
import { goYamlNumber, yaml11Bool } from './yaml-fast.js';
import { fastYaml } from './yaml-fast.js';
import { UserError } from '../errors.js';
import { INPUT_LIMIT, readInputFile, readStdinText, type StdinUse } from './read.js';
import { isIdentifierKeyName, isSecretKeyName } from './secret.js';
import type { Chart } from './target.js';
import { flytectlReason, kubeconfigReason } from './input-kind.js';

export type Seg = string | number;
export type Path = Seg[];
export type Dict = Record<string, unknown>;

/** One source of values: a file (label = path as the user gave it), `--set`, or `chart default`. */
export interface Layer {
  label: string;
  values: Dict;
}

export const CHART_DEFAULT = 'chart default';
const SET_LABEL = '--set';

export function isDict(v: unknown): v is Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `a.b[0].c`, with dots inside keys escaped (`a\.b`) so the text stays unambiguous. */
export function formatPath(path: Path): string {
  let out = '';
  for (const s of path) {
    if (typeof s === 'number') out += `[${s}]`;
    else out += (out ? '.' : '') + s;
  }
  return out;
}

const pathKey = (path: Path): string => JSON.stringify(path);

/**
 * Reads a text input file: only a regular file, up to INPUT_LIMIT (src/config/read.ts); a missing
 * or unreadable file, a directory, a FIFO or device, or an oversized file is a UserError naming `flag`.
 */
export function readTextFile(flag: string, given: string, cwd: string): string {
  return readInputFile(flag, given, cwd, { what: 'values and config files', yaml: true });
}

const VALUES_STDIN: StdinUse = { flag: '--values -', what: 'the values', example: 'helm get values <release> -n <namespace> | flyte-doctor preflight -f -' };

/** Deeper than any real values file; deeper YAML is refused before it can overflow the stack. */
const MAX_DEPTH = 64;
/** Nodes walked after aliases are expanded (a real values file has a few thousand). */
const MAX_NODES = 500_000;

/** Flow nesting ([ {) and indentation a text may reach before the YAML parser sees it (it overflows its stack at ~800 levels). */
const PARSE_FLOW_LIMIT = 200;
const PARSE_INDENT_LIMIT = 400;

/**
 * Where `text` nests deeper than the parser can safely recurse: a flow collection ([ or {, outside
 * quoted scalars and comments) opened more than PARSE_FLOW_LIMIT levels deep, or a line indented by
 * more than PARSE_INDENT_LIMIT spaces. Linear, no parsing; undefined for every real document.
 */
export function nestingBeyond(text: string): { line: number; col: number } | undefined {
  let depth = 0, line = 1, lineStart = 0;
  let quote: string | undefined;
  let indent = 0, inIndent = true;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 10) { line++; lineStart = i + 1; indent = 0; inIndent = true; continue; }
    if (inIndent) {
      if (ch === 32) { if (++indent > PARSE_INDENT_LIMIT && quote === undefined) return { line, col: indent }; continue; }
      inIndent = false;
    }
    if (quote !== undefined) {
      if (quote === '"' && ch === 92) { i++; continue; } // \x in a double-quoted scalar
      if (ch === quote.charCodeAt(0)) {
        if (quote === "'" && text.charCodeAt(i + 1) === 39) { i++; continue; } // '' in a single-quoted scalar
        quote = undefined;
      }
      continue;
    }
    const prev = i === lineStart ? 32 : text.charCodeAt(i - 1);
    const afterSpace = prev === 32 || prev === 9 || prev === 91 || prev === 123 || prev === 44; // a scalar can start here
    if (ch === 35 && (prev === 32 || prev === 9 || i === lineStart)) { const j = text.indexOf('\n', i); if (j < 0) break; i = j - 1; continue; } // # comment
    if ((ch === 34 || ch === 39) && afterSpace) { quote = text[i]; continue; }
    if (ch === 91 || ch === 123) { if (++depth > PARSE_FLOW_LIMIT) return { line, col: i - lineStart + 1 }; }
    else if ((ch === 93 || ch === 125) && depth > 0) depth--;
  }
  return undefined;
}

/** Parses one YAML document; errors become `<label>:<line>:<col>: invalid YAML: <reason>`. */
/**
 * Every input is read in the end by Go's yaml.v2 (Helm's values and rendered manifests through
 * sigs.k8s.io/yaml, client-go's kubeconfig, flytectl's and Flyte's configs through viper 1.11): a
 * plain (unquoted) y/yes/on/n/no/off there is a YAML 1.1 boolean, not the string the YAML 1.2 core
 * schema makes of it, and a plain number is read by Go's ParseInt with base 0 after dropping `_`
 * (`port: 05432` is octal 2842 for Helm, `5_432` is 5432: goYamlNumber). Values only; keys stay as written.
 */
export function goYamlBools(doc: Document): void {
  visit(doc, {
    Scalar(key, node) {
      if (key === 'key' || node.type !== 'PLAIN') return;
      // a number as Go reads it (`05432` octal, `5_432`), from the text as written
      const src = (node as { source?: unknown }).source;
      if ((typeof node.value === 'number' || typeof node.value === 'string') && typeof src === 'string' && !node.tag) {
        const n = goYamlNumber(src);
        if (n !== undefined) { node.value = n; return; }
      }
      if (typeof node.value !== 'string') return;
      const b = yaml11Bool(node.value);
      if (b !== undefined) node.value = b;
    },
  });
}

export function parseYaml(label: string, text: string): unknown {
  // plain block YAML (most inputs) without building a document; anything else below
  const fast = fastYaml(text);
  if (fast !== undefined) {
    checkShape(label, fast);
    return fast;
  }
  // The parser is recursive: a document nested deeper than it can recurse overflows the stack, and
  // when that happens inside V8's regular-expression compiler the process dies ("Fatal process out
  // of memory") instead of throwing. So nothing that deep reaches it.
  const deep = nestingBeyond(text);
  if (deep) throw new UserError(`${label}:${deep.line}:${deep.col}: invalid YAML: nested too deeply (expected at most ${MAX_DEPTH} levels)`);
  const lineCounter = new LineCounter();
  let doc: ReturnType<typeof parseDocument>;
  try {
    // uniqueKeys is checked below in linear time (yaml's own check is quadratic in the keys of a map).
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false, merge: true }); // `<<: *anchor` merge keys, as Go yaml.v2 (Helm) applies them
  } catch (e) {
    if (e instanceof RangeError) throw new UserError(`${label}: invalid YAML: nested too deeply (expected at most ${MAX_DEPTH} levels)`);
    throw new UserError(`${label}: invalid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc.errors[0]?.code === 'MULTIPLE_DOCS') doc = firstDocument(label, text, lineCounter);
  const err = doc.errors[0];
  if (!err) {
    const dup = duplicateKey(doc.contents);
    if (dup) {
      const { line, col } = lineCounter.linePos(dup.pos);
      throw new UserError(`${label}:${line}:${col}: invalid YAML: Map keys must be unique (${dup.key} appears twice)`);
    }
  }
  if (err) {
    const { line, col } = lineCounter.linePos(err.pos[0]);
    const reason = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+.*$/, '');
    // (the parser records its own stack overflow as an error of the document)
    if (/Maximum call stack size exceeded/i.test(reason)) throw new UserError(`${label}:${line}:${col}: invalid YAML: nested too deeply (expected at most ${MAX_DEPTH} levels)`);
    throw new UserError(`${label}:${line}:${col}: invalid YAML: ${reason}`);
  }
  goYamlBools(doc);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
    // !!binary: go-yaml (Helm, client-go, flytectl) decodes it to the string of its bytes; the yaml package gives a Uint8Array
    if (/!!binary|tag:yaml\.org,2002:binary/.test(text)) data = binaryAsText(data);
  } catch (e) {
    if (e instanceof RangeError) throw new UserError(`${label}: invalid YAML: nested too deeply (expected at most ${MAX_DEPTH} levels)`);
    throw new UserError(`${label}: invalid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  checkShape(label, data);
  return data;
}

/** Every Uint8Array (a !!binary value) as the UTF-8 string of its bytes. The tree is acyclic (toJS refuses self-referencing aliases). */
function binaryAsText(v: unknown, depth = 0): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (depth > 200 || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => binaryAsText(x, depth + 1));
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) o[k] = binaryAsText(o[k], depth + 1);
  return o;
}

/**
 * A text of several YAML documents (`---` lines): Go's yaml.v2 Unmarshal, which helm (values),
 * client-go (kubeconfig) and flytectl read with, decodes the first document and ignores the rest
 * without a word. Empty documents after it (a trailing `---`, one holding only comments) change
 * nothing: the first is read. Content after it, or an empty first document before content, would be
 * ignored by them: refused, at the `---` that starts it.
 */
function firstDocument(label: string, text: string, lineCounter: LineCounter): ReturnType<typeof parseDocument> {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: false, merge: true });
  if (!Array.isArray(docs) || !docs.length) throw new UserError(`${label}: invalid YAML: several documents that cannot be read`);
  const filled = docs.map((d, i) => ({ d, i })).filter(({ d }) => d.contents !== null && !(isScalar(d.contents) && d.contents.value === null));
  const at = (d: Document): string => { const { line, col } = lc.linePos(d.range?.[0] ?? 0); return `${line}:${col}`; };
  const ignored = filled.find(({ i }) => i > 0);
  if (ignored) {
    const { d, i } = ignored;
    if (!filled.some((f) => f.i === 0)) {
      throw new UserError(`${label}:${at(d)}: invalid YAML: the content is a YAML document after a \`---\` separator, and the first document is empty: helm, kubectl and flytectl read only the first document, so they would read nothing; remove the \`---\` separator line${i > 1 ? 's' : ''} before the content (one at the very start is fine)`);
    }
    throw new UserError(`${label}:${at(d)}: invalid YAML: a second YAML document (after a \`---\` separator): helm, kubectl and flytectl read only the first document and ignore the rest without a word; merge them into one document, or (Helm values) pass the second as its own -f file`);
  }
  // only empty documents after the first: read the first, with positions counted over the whole text
  lineCounter.lineStarts.splice(0, lineCounter.lineStarts.length, ...lc.lineStarts);
  return docs[0]! as ReturnType<typeof parseDocument>;
}

/** The first key repeated within one map (by value), with its position. Aliases are not followed. */
function duplicateKey(root: unknown): { key: string; pos: number } | undefined {
  const stack: { node: unknown; depth: number }[] = [{ node: root, depth: 0 }];
  while (stack.length) {
    const { node, depth } = stack.pop()!;
    if (depth > MAX_DEPTH + 1) continue; // reported by checkShape
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const k = pair.key;
        const id = isScalar(k) ? `${typeof k.value}:${String(k.value)}` : undefined;
        if (id !== undefined) {
          if (seen.has(id)) return { key: JSON.stringify(String((k as { value: unknown }).value)).slice(0, 60), pos: (k as { range?: [number] }).range?.[0] ?? 0 };
          seen.add(id);
        }
        stack.push({ node: pair.value, depth: depth + 1 });
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push({ node: item, depth: depth + 1 });
    }
  }
  return undefined;
}

/** Refuses a self-referencing alias (a cycle), nesting deeper than MAX_DEPTH and alias bombs. */
function checkShape(label: string, root: unknown): void {
  let nodes = 0;
  const stack = new Set<object>();
  const walk = (v: unknown, path: Path): void => {
    if (++nodes > MAX_NODES) throw new UserError(`${label}: invalid YAML: more than ${MAX_NODES} values after expanding aliases (an alias bomb?)`);
    if (typeof v !== 'object' || v === null) return;
    if (stack.has(v)) throw new UserError(`${label}: ${formatPath(path) || '(top level)'}: invalid YAML: a self-referencing alias (the anchor contains an alias to itself); expected plain values`);
    if (path.length > MAX_DEPTH) throw new UserError(`${label}: ${formatPath(path.slice(0, 6))}...: invalid YAML: nested too deeply (expected at most ${MAX_DEPTH} levels)`);
    stack.add(v);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (v instanceof Map || v instanceof Set) throw new UserError(`${label}: ${formatPath(path) || '(top level)'}: invalid YAML: expected plain maps with string keys`);
    else for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    stack.delete(v);
  };
  walk(root, []);
}

/** Reads a values file (`-`: standard input, as helm reads `-f -`). An empty file (or one holding only comments) gives `{}`. */
export function readValuesFile(given: string, cwd: string, readStdin?: (use: StdinUse) => string): Layer {
  const text = given === '-' ? (readStdin ?? ((use: StdinUse) => readStdinText(0, INPUT_LIMIT, use)))(VALUES_STDIN) : readTextFile('--values', given, cwd);
  if (given === '-' && !text.trim()) throw new UserError('--values -: standard input gave no data (the command piped into it printed nothing: see its own error); pipe the values into it (helm get values <release> -n <namespace> | flyte-doctor preflight -f -)');
  const label = given === '-' ? '<stdin>' : given;
  const data = parseYaml(label, text);
  if (data === null || data === undefined) return { label, values: {} };
  if (!isDict(data)) throw new UserError(`${label}: expected a map of values at the top level, got ${shortJson(data)}`);
  if (!detectChart(data)) {
    // another input passed as values: read as values it would be ignored (no chart's keys)
    const kc = kubeconfigReason(data);
    if (kc) throw new UserError(`${label}: this is a kubeconfig (${kc}), not Helm values: pass it with --kubeconfig`);
    const fc = flytectlReason(data);
    if (fc) throw new UserError(`${label}: this is a flytectl config (${fc}), not Helm values: pass it with --flytectl-config`);
  }
  return { label, values: data };
}

/**
 * A value for an error message: a scalar as JSON (cut at 80 characters), a map or list by its
 * shape (never its contents, which may hold a secret), a value under a secret-named key hidden.
 */
export function shortJson(v: unknown, key?: Seg): string {
  if (typeof key === 'string' && (isSecretKeyName(key, { bareKey: true }) || isIdentifierKeyName(key)) && v !== null && typeof v !== 'object') {
    return `a ${typeof v} (not shown: ${key} is a credential)`;
  }
  if (Array.isArray(v)) return v.length ? `a list of ${v.length} item${v.length === 1 ? '' : 's'}` : 'an empty list';
  if (isDict(v)) {
    const keys = Object.keys(v);
    if (!keys.length) return 'an empty map';
    return `a map (keys ${keys.slice(0, 5).map((k) => JSON.stringify(k.length > 40 ? `${k.slice(0, 37)}...` : k)).join(', ')}${keys.length > 5 ? ', ...' : ''})`;
  }
  let s: string;
  try { s = JSON.stringify(v) ?? String(v); } catch { s = String(v); }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

// ---------------------------------------------------------------------------------------------
// --set (helm strvals syntax)

const SET_EXAMPLE = 'expected key=value, e.g. --set configuration.database.host=db.example.com';

function setError(item: string, reason: string): UserError {
  return new UserError(`--set ${hideSetValue(item)}: ${reason}; ${SET_EXAMPLE}`);
}

/** `a.password=x` -> `a.password=***` for messages: a --set value under a secret-named key is not repeated. */
function hideSetValue(item: string): string {
  const eq = item.indexOf('=');
  if (eq < 0) return item;
  const last = item.slice(0, eq).replace(/\[[^\]]*\]?/g, '').split('.').filter(Boolean).pop() ?? '';
  return isSecretKeyName(last, { bareKey: true }) ? `${item.slice(0, eq)}=***` : item;
}

/** Splits `a=1,b=2` on commas that are neither escaped nor inside `{...}`. */
function splitAssignments(raw: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '\\' && i + 1 < raw.length) { cur += c + raw[i + 1]; i++; continue; }
    if (c === '{') depth++;
    if (c === '}') depth = Math.max(0, depth - 1);
    if (c === ',' && depth === 0) { out.push(cur); cur = ''; continue; }
    cur += c;
  }
  out.push(cur);
  return out;
}

/** Parses `a.b[0].c` (with `\.` for a literal dot) into segments. */
export function parseSetKey(item: string, key: string): Path {
  const path: Path = [];
  let i = 0;
  let seg = '';
  let segStarted = false;
  const pushSeg = (): void => {
    if (!segStarted) throw setError(item, `empty key segment in "${key}"`);
    path.push(seg);
    seg = '';
    segStarted = false;
  };
  while (i < key.length) {
    const c = key[i]!;
    if (c === '\\' && i + 1 < key.length) { seg += key[i + 1]; segStarted = true; i += 2; continue; }
    if (c === '.') { pushSeg(); i++; continue; }
    if (c === '[') {
      if (segStarted) pushSeg();
      else if (path.length === 0 || typeof path[path.length - 1] !== 'number') throw setError(item, `list index without a key in "${key}"`);
      const close = key.indexOf(']', i);
      if (close < 0) throw setError(item, `unclosed "[" in "${key}"`);
      const idx = key.slice(i + 1, close);
      if (!/^\d+$/.test(idx)) throw setError(item, `list index "${idx}" is not a non-negative integer`);
      const n = Number(idx);
      if (n > 10_000) throw setError(item, `list index ${n} is too large (at most 10000)`);
      path.push(n);
      i = close + 1;
      if (i < key.length && key[i] !== '.' && key[i] !== '[') throw setError(item, `unexpected "${key[i]}" after "]" in "${key}"`);
      if (key[i] === '.') {
        i++;
        if (i >= key.length) throw setError(item, `empty key segment in "${key}"`);
      }
      continue;
    }
    if (c === ']') throw setError(item, `unexpected "]" in "${key}"`);
    seg += c;
    segStarted = true;
    i++;
  }
  if (segStarted) path.push(seg);
  else if (path.length === 0 || typeof path[path.length - 1] !== 'number') throw setError(item, `empty key segment in "${key}"`);
  return path;
}

function unescapeValue(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

/** helm's typed values: true/false/null and integers become typed; everything else is a string. */
export function typedValue(s: string): unknown {
  if (s === 'true') return true;
  if (s === 'false') return false;
  if (s === 'null') return null;
  if (/^-?(0|[1-9]\d{0,15})$/.test(s)) return Number(s);
  return s;
}

function parseSetValue(raw: string): unknown {
  if (raw.startsWith('{') && raw.endsWith('}')) {
    const inner = raw.slice(1, -1);
    if (inner === '') return [];
    return splitAssignments(inner).map((x) => typedValue(unescapeValue(x)));
  }
  return typedValue(unescapeValue(raw));
}

function assign(root: Dict, path: Path, value: unknown): void {
  let cur: unknown = root;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    const nextIsIndex = !last && typeof path[i + 1] === 'number';
    if (typeof seg === 'number') {
      const arr = cur as unknown[];
      while (arr.length <= seg) arr.push(null);
      if (last) arr[seg] = value;
      else {
        if (nextIsIndex ? !Array.isArray(arr[seg]) : !isDict(arr[seg])) arr[seg] = nextIsIndex ? [] : {};
        cur = arr[seg];
      }
    } else {
      const obj = cur as Dict;
      if (last) obj[seg] = value;
      else {
        if (nextIsIndex ? !Array.isArray(obj[seg]) : !isDict(obj[seg])) obj[seg] = nextIsIndex ? [] : {};
        cur = obj[seg];
      }
    }
  }
}

/** Builds the `--set` layer from the repeatable flag values, in order. */
export function parseSets(sets: string[]): Layer {
  const values: Dict = {};
  for (const raw of sets) {
    let prev: string | undefined;
    for (const item of splitAssignments(raw)) {
      let eq = -1;
      for (let i = 0; i < item.length; i++) {
        if (item[i] === '\\') { i++; continue; }
        if (item[i] === '=') { eq = i; break; }
      }
      // `a.password=x,y`: the part after the comma is the rest of a secret, never repeated. Any key's
      // value: a URL or connection string under a plain key (`…dsn=postgres://u:pa,ss@h`) is cut inside its password too.
      if (eq < 0 && prev !== undefined) {
        throw new UserError(`--set ${prev}=***: the value holds a ",", where helm starts another key=value (and fails: the part after it has no "="); escape each comma of the value as \\, (e.g. --set 'key=a\\,b')`);
      }
      if (eq < 0) throw setError(item, 'missing "="');
      prev = item.slice(0, eq);
      const key = item.slice(0, eq);
      if (key.trim() === '') throw setError(item, 'empty key');
      const path = parseSetKey(item, key);
      // (the merge and every reader walk the tree recursively: a key thousands of levels deep would overflow the stack)
      if (path.length > MAX_DEPTH) throw setError(`${formatPath(path.slice(0, 6))}...=…`, `the key is nested ${path.length} levels deep (expected at most ${MAX_DEPTH} levels)`);
      assign(values, path, parseSetValue(item.slice(eq + 1)));
    }
  }
  return { label: SET_LABEL, values };
}

// ---------------------------------------------------------------------------------------------
// merge with origins

export interface Resolution { ref: string; from?: string; }

export class MergedValues {
  readonly root: Dict = {};
  /** pathKey -> label of the layer that last wrote that node. */
  readonly origins = new Map<string, string>();
  /** pathKey -> template references found in that string (resolved or not). */
  readonly templates = new Map<string, Resolution[]>();
  /** Subchart prefix (umbrella charts: flyte-sandbox puts flyte-binary values under `flyte-binary`). */
  prefix: Path = [];

  constructor(layers: Layer[]) {
    for (const layer of layers) this.mergeInto(this.root, layer.values, [], layer.label);
  }

  private mergeInto(dst: Dict, src: Dict, path: Path, label: string): void {
    for (const [k, v] of Object.entries(src)) {
      const p = [...path, k];
      if (v === null) {
        // helm: null removes the key (including a chart default).
        this.dropBelow(p, dst[k]);
        delete dst[k];
        this.origins.set(pathKey(p), label);
        continue;
      }
      if (isDict(v) && isDict(dst[k])) {
        this.origins.set(pathKey(p), label);
        this.mergeInto(dst[k] as Dict, v, p, label);
        continue;
      }
      this.dropBelow(p, dst[k]);
      dst[k] = structuredClone(v);
      this.markAll(p, v, label);
    }
  }

  private markAll(path: Path, v: unknown, label: string): void {
    this.origins.set(pathKey(path), label);
    if (isDict(v)) for (const [k, x] of Object.entries(v)) this.markAll([...path, k], x, label);
    else if (Array.isArray(v)) v.forEach((x, i) => this.markAll([...path, i], x, label));
  }

  /** Forgets the origins below `path`, walking only the value being replaced (linear in its size). */
  private dropBelow(path: Path, old: unknown): void {
    if (isDict(old)) for (const [k, x] of Object.entries(old)) { const p = [...path, k]; this.origins.delete(pathKey(p)); this.dropBelow(p, x); }
    else if (Array.isArray(old)) old.forEach((x, i) => { const p = [...path, i]; this.origins.delete(pathKey(p)); this.dropBelow(p, x); });
  }

  /** Raw value at an absolute path. */
  rawAt(path: Path): unknown {
    let cur: unknown = this.root;
    for (const s of path) {
      if (typeof s === 'number') { if (!Array.isArray(cur)) return undefined; cur = cur[s]; }
      else { if (!isDict(cur)) return undefined; cur = cur[s]; }
    }
    return cur;
  }

  /** Label of the layer that set the node at `path` (nearest ancestor written as a whole). */
  originOf(path: Path): string {
    for (let n = path.length; n > 0; n--) {
      const o = this.origins.get(pathKey(path.slice(0, n)));
      if (o !== undefined) return o;
    }
    return CHART_DEFAULT;
  }

  /** Resolves `{{ .Values.a.b }}` (also `{{- tpl .Values.a.b . -}}`) in every string. */
  resolveTemplates(): void {
    const walk = (v: unknown, path: Path): unknown => {
      if (typeof v === 'string') return v.includes('{{') ? this.resolveString(v, path) : v;
      if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, i]));
      if (isDict(v)) {
        for (const k of Object.keys(v)) v[k] = walk(v[k], [...path, k]);
        return v;
      }
      return v;
    };
    walk(this.root, []);
  }

  private resolveString(s: string, path: Path): string {
    const found: Resolution[] = [];
    const re = /\{\{-?\s*(?:tpl\s+)?\.Values\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)(?:\s+\.)?\s*-?\}\}/g;
    let out = s;
    for (let round = 0; round < 5 && out.includes('.Values.'); round++) {
      let changed = false;
      out = out.replace(re, (whole, ref: string) => {
        const refPath = ref.split('.');
        // Inside an umbrella chart's subchart, .Values is the subchart's values.
        const candidates = this.prefix.length && pathStartsWith(path, this.prefix) ? [[...this.prefix, ...refPath], refPath] : [refPath];
        for (const abs of candidates) {
          const v = this.rawAt(abs);
          if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
            found.push({ ref: formatPath(refPath), from: this.originOf(abs) });
            changed = true;
            return String(v);
          }
        }
        found.push({ ref: formatPath(refPath) });
        return whole;
      });
      if (!changed) break;
    }
    if (found.length) this.templates.set(pathKey(path), found);
    return out;
  }

  templatesAt(path: Path): Resolution[] | undefined {
    return this.templates.get(pathKey(path));
  }
}

function pathStartsWith(path: Path, prefix: Path): boolean {
  return prefix.every((s, i) => path[i] === s);
}

// ---------------------------------------------------------------------------------------------
// chart detection

const CORE_KEYS = ['db', 'configmap', 'flyteadmin', 'flytepropeller', 'datacatalog', 'flyteconsole', 'flytescheduler', 'workflow_scheduler', 'cluster_resource_manager'];

export interface Detection {
  chart: Chart;
  /** e.g. 'has configuration.* (flyte-binary)'. */
  reason: string;
  /** Subchart key when the file is an umbrella chart's values (flyte-sandbox, flyte). */
  prefix: Path;
}

/** Reasons a values map is a Flyte 2 (flyteorg/flyte `main`) file, empty when it is not. */
export function flyte2Reasons(values: Dict): string[] {
  const reasons: string[] = [];
  const check = (v: Dict, pre: string): void => {
    const conf = v['configuration'];
    if (isDict(conf) && isDict(conf['database']) && isDict((conf['database'] as Dict)['postgres'])) reasons.push(`${pre}configuration.database.postgres`);
    const comps = v['flyte-core-components'];
    if (isDict(comps)) for (const k of ['runs', 'actions', 'dataproxy', 'secret']) if (k in comps) reasons.push(`${pre}flyte-core-components.${k}`);
    if (isDict(conf) && isDict(conf['inline']) && isDict((conf['inline'] as Dict)['runs'])) reasons.push(`${pre}configuration.inline.runs`);
    const svc = v['service'];
    if (isDict(svc) && isDict(svc['ports']) && Number((svc['ports'] as Dict)['http']) === 8090) reasons.push(`${pre}service.ports.http: 8090`);
  };
  check(values, '');
  if (isDict(values['flyte-binary'])) check(values['flyte-binary'] as Dict, 'flyte-binary.');
  if ('rustfs' in values) reasons.push('rustfs');
  return reasons;
}

export function detectChart(values: Dict): Detection | undefined {
  if (isDict(values['configuration']) || (isDict(values['deployment']) && !('db' in values))) {
    const which = isDict(values['configuration']) ? 'configuration.*' : 'deployment.*';
    return { chart: 'flyte-binary', reason: `has ${which} (flyte-binary)`, prefix: [] };
  }
  const core = CORE_KEYS.filter((k) => k in values);
  if (core.length) return { chart: 'flyte-core', reason: `has ${core.slice(0, 2).map((k) => `${k}.*`).join(', ')} (flyte-core)`, prefix: [] };
  // `configuration` of the wrong type is still flyte-binary's key: the reader then says it must be a map.
  if (values['configuration'] !== undefined && values['configuration'] !== null) return { chart: 'flyte-binary', reason: 'has configuration (flyte-binary)', prefix: [] };
  if (isDict(values['flyte-binary']) && isDict((values['flyte-binary'] as Dict)['configuration']))
    return { chart: 'flyte-binary', reason: 'has flyte-binary.configuration.* (flyte-binary subchart)', prefix: ['flyte-binary'] };
  if (isDict(values['flyte']) && CORE_KEYS.some((k) => k in (values['flyte'] as Dict)))
    return { chart: 'flyte-core', reason: 'has flyte.db.* (flyte-core subchart of the flyte chart)', prefix: ['flyte'] };
  return undefined;
}

/** Flyte charts that are not flyte-binary / flyte-core themselves: what their values are. */
export type OtherChart = 'flyte-deps' | 'flyteconnector';

/**
 * flyte-deps (the dependencies of a flyte-core sandbox: PostgreSQL, MinIO, contour, redis, the
 * Kubernetes dashboard, operators) and flyteconnector (the connector service): recognised so the
 * report can say what it checks from them, instead of "chart: unknown".
 */
export function detectOtherChart(values: Dict): { chart: OtherChart; reason: string } | undefined {
  const deps = ['postgres', 'minio', 'contour', 'redis', 'redoc', 'kubernetes-dashboard', 'sparkoperator', 'daskoperator', 'webhook'].filter((k) => isDict(values[k]));
  if (deps.length >= 2 && !detectChart(values)) return { chart: 'flyte-deps', reason: `has ${deps.slice(0, 3).map((k) => `${k}.*`).join(', ')} (flyte-deps: Flyte's dependencies)` };
  const image = isDict(values['image']) ? String((values['image'] as Dict)['repository'] ?? '') : '';
  if ('connectorSecret' in values || /flyte(connector|agent)/.test(image)) return { chart: 'flyteconnector', reason: `has ${'connectorSecret' in values ? 'connectorSecret' : 'image.repository ' + image} (flyteconnector)` };
  return undefined;
}
