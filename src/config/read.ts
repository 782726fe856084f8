// Reading an input file safely: a regular file, or a pipe read without blocking and within a time
// bound (process substitution, `-f <(helm get values …)`); a device is never read; and only up to a
// size cap, so a wrong path cannot hang the run or grow its memory.
// Every failure is a UserError naming the flag or file that pointed here (exit 2).
import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, readSync, statSync, type Stats } from 'node:fs';
import { isatty } from 'node:tty';
import { resolve } from 'node:path';
import { UserError } from '../errors.js';
import { headerUnsafe, surroundingWhitespace } from './chars.js';

/** Values files, flytectl config, plugin config: 2 MiB (real ones are tens of KiB; parsing 2 MiB of YAML takes ~170 MB and a few seconds). */
export const INPUT_LIMIT = 2 * 1024 * 1024;
/** A file holding one secret (passwordPath, clientSecretLocation, a token file). */
export const SECRET_FILE_LIMIT = 64 * 1024;

export function mib(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) ? 1 : 0)} MiB` : `${Math.ceil(n / 1024)} KiB`;
}

/** What a non-regular file is, for messages. */
export function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

export function fsReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOENT': { const note = typeof e.path === 'string' ? invisiblePathNote(e.path) : undefined; return `no such file or directory${note ? `: ${note}` : ''}`; }
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'is a directory, expected a file';
    case 'ENOTDIR': return 'a parent path is not a directory';
    case 'ELOOP': return 'too many symbolic links';
    case 'ENAMETOOLONG': return 'the path is too long';
    default: return e?.code ?? e?.message ?? String(err);
  }
}

/**
 * fsReason, and for a path that is there as a symbolic link whose target is not (`ls` lists it, the
 * OS says "no such file"): where it points. A secret mounted from a pod (`..data/…`) or a
 * ~/.kube/config linked to a file since deleted.
 */
export function missingReason(abs: string, err: unknown): string {
  if ((err as NodeJS.ErrnoException)?.code === 'ENOENT') {
    try {
      if (lstatSync(abs).isSymbolicLink()) return `a symbolic link to ${shownPath(readlinkSync(abs))}, which does not exist (a dangling link): point it at the file, or pass the file itself`;
    } catch { /* not there at all */ }
  }
  return fsReason(err);
}

const INVISIBLE = /[\x00-\x1f\x7f]/;
const invisibleIn = (s: string): boolean => s !== s.trim() || INVISIBLE.test(s);

/**
 * A path as a message shows it: as written, or quoted with its invisible characters escaped when it
 * holds a control character or whitespace at an end of the path or of one of its parts (a raw
 * newline would break the message's line, and a space cannot be seen).
 */
export function shownPath(p: string): string {
  return p.split('/').some(invisibleIn) ? JSON.stringify(p) : p;
}

/** What invisible characters a value holds ("ends with a newline", "contains a tab at character 4 of 9"). */
function invisibleWhat(v: string): string | undefined {
  const tab = v.indexOf('\t');
  return surroundingWhitespace(v) ?? headerUnsafe(v) ?? (tab >= 0 ? `contains a tab at character ${tab + 1} of ${v.length}` : undefined);
}

/**
 * For a path that was not found: the invisible characters it holds, and whether the file is there
 * without them ("the path ends with a newline, and /etc/x/ca.crt exists: remove the whitespace").
 * A YAML block scalar (`key: |`) ends a value with a line break; a path pasted from a terminal may
 * carry a space. A relative path is read against a directory (a kubeconfig's), so ` /etc/x.pem`
 * (a space first) is looked for as `<dir>/ /etc/x.pem`: its whitespace sits in a part of the path.
 * Undefined for a path without any.
 */
export function invisiblePathNote(p: string): string | undefined {
  const parts = p.split('/');
  const i = parts.findIndex(invisibleIn);
  if (i < 0) return undefined;
  const whole = invisibleWhat(p);
  const part = parts[i]!;
  const what = whole && (p !== p.trim() || parts.filter(invisibleIn).length > 1 || i === parts.length - 1) ? `the path ${whole}`
    : part.trim() === '' ? `a part of the path, ${JSON.stringify(part)}, is only whitespace (a path written with a space first is relative: it is read against the directory before it)`
      : `a part of the path, ${JSON.stringify(part)}, ${invisibleWhat(part)}`;
  const clean = (x: string) => x.split('/').map((s) => s.trim().replace(/[\x00-\x1f\x7f]/g, '')).join('/');
  // the file meant: the path cleaned, or (a relative path written with a space first) what follows the space
  const candidates = [clean(p), ...(parts[i]!.trim() === '' && i < parts.length - 1 ? [clean(`/${parts.slice(i + 1).join('/')}`)] : [])];
  let found = '';
  for (const c of candidates) {
    const st = c && c !== p ? statQuiet(c) : undefined;
    if (st) { found = `, and ${c} exists${st.isFile() ? '' : ` (${fileKind(st)})`}: remove ${/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(p) ? 'the invisible characters' : 'the whitespace'} from the path`; break; }
  }
  const yaml = /[\r\n]\s*$/.test(p) ? ' (a YAML block scalar, `key: |`, ends a value with a line break: write the path on the key\'s line)' : '';
  return `${what}${found}${yaml}`;
}

export interface ReadOptions {
  /** Size cap in bytes (default INPUT_LIMIT). */
  limit?: number;
  /** Return undefined instead of failing when the file does not exist. */
  optional?: boolean;
  /** What the file is, for the size message ("a Helm values file"). */
  what?: string;
  /**
   * A YAML document (values, configs, manifests): read with go-yaml's rules, which helm, kubectl and
   * flytectl use: UTF-16 with a byte-order mark is decoded, bytes that are not UTF-8 are refused.
   */
  yaml?: boolean;
  /** Who else refuses what a YAML read refuses, for its messages (default "helm and flytectl"; a kubeconfig: "kubectl"). */
  readers?: string;
}

/** Index of the first byte of `b` that does not start or continue a valid UTF-8 sequence, or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length;) {
    const c = b[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) return i;
    }
    // overlong 3/4-byte forms, surrogates, above U+10FFFF
    if ((c === 0xe0 && b[i + 1]! < 0xa0) || (c === 0xed && b[i + 1]! > 0x9f) || (c === 0xf0 && b[i + 1]! < 0x90) || (c === 0xf4 && b[i + 1]! > 0x8f)) return i;
    i += n + 1;
  }
  return -1;
}

/** "line 3, column 7" of byte offset `at` in `b` (columns in bytes, 1-based). */
function byteLineCol(b: Uint8Array, at: number): string {
  let line = 1, start = 0;
  for (let i = 0; i < at; i++) if (b[i] === 0x0a) { line++; start = i + 1; }
  return `line ${line}, column ${at - start + 1}`;
}

/** go-yaml's reading of a YAML file's bytes: UTF-16 by its byte-order mark, else UTF-8 (a UTF-8 BOM is dropped by the parser). */
function yamlText(data: Buffer, fail: (why: string) => never, readers = 'helm and flytectl'): string {
  if (data.length >= 2 && ((data[0] === 0xff && data[1] === 0xfe) || (data[0] === 0xfe && data[1] === 0xff))) {
    const le = data[0] === 0xff;
    const body = Buffer.from(data.subarray(2));
    if (body.length % 2) return fail(`is UTF-16 (${le ? 'little' : 'big'}-endian byte-order mark) with an odd number of bytes: a truncated file; save it again as UTF-8`);
    if (!le) body.swap16();
    return body.toString('utf16le');
  }
  if (data.includes(0)) {
    const zeros = data.subarray(0, 256).filter((x, i) => x === 0 && i % 2 === 1).length;
    return fail(zeros > 16 ? `is UTF-16 text without a byte-order mark (every other byte is 0), which ${readers} cannot read either: save it as UTF-8` : 'is a binary file, expected text (YAML, JSON or plain text)');
  }
  const bad = firstInvalidUtf8(data);
  if (bad >= 0) return fail(`is not UTF-8 text: byte 0x${data[bad]!.toString(16).toUpperCase().padStart(2, '0')} at ${byteLineCol(data, bad)} (saved as Latin-1 or Windows-1252?); ${readers} refuse${/ and /.test(readers) ? '' : 's'} it too ("invalid leading UTF-8 octet"): save it as UTF-8`);
  return data.toString('utf8');
}

/**
 * Reads `given` (relative to `cwd`) as UTF-8 text when it is a regular file no larger than the cap.
 * `label` names where the path came from (`--values`, `env KUBECONFIG`, `values.yaml: ...passwordPath`).
 */
export function readInputFile(label: string, given: string, cwd: string, o: ReadOptions & { optional: true }): string | undefined;
export function readInputFile(label: string, given: string, cwd: string, o?: ReadOptions): string;
export function readInputFile(label: string, given: string, cwd: string, o: ReadOptions = {}): string | undefined {
  const limit = o.limit ?? INPUT_LIMIT;
  const fail = (why: string): never => { throw new UserError(`${label}: cannot read ${shownPath(given)}: ${why}`); };
  let data: Buffer;
  // "x/" names a directory: the OS (and kubectl, helm, flytectl) refuse a file there ("not a directory"); path.resolve would drop the '/'
  if (/[\\/]$/.test(given) && statQuiet(resolve(cwd, given))?.isFile()) return fail(`the path ends with "/", which names a directory, but ${given.replace(/[\\/]+$/, '')} is a file ("not a directory"): remove the "/"`);
  try {
    const abs = resolve(cwd, given);
    data = statQuiet(abs)?.isFIFO() ? readPipeSync(abs, limit) : readRegularFileSync(abs, limit);
  } catch (e) {
    if (e instanceof FileShapeError && e.message.startsWith('is a pipe')) return fail(e.message);
    if (e instanceof FileShapeError) return fail(e.kind ? `is ${e.kind}, expected a regular file` : tooLarge(e.size!, limit, o.what, e.atLeast));
    const code = (e as NodeJS.ErrnoException).code;
    if (o.optional && code === 'ENOENT') return undefined;
    return fail(code === 'EAGAIN' ? 'is not ready to read (not a regular file?)' : missingReason(resolve(cwd, given), e));
  }
  if (o.yaml) return yamlText(data, fail, o.readers);
  if (data.includes(0)) return fail('is a binary file, expected text (YAML, JSON or plain text)');
  return data.toString('utf8');
}

/** Not a regular file (`kind`: what it is), or over the size cap (`size`, `atLeast` when it was still growing). */
export class FileShapeError extends Error {
  constructor(message: string, readonly kind?: string, readonly size?: number, readonly atLeast = false) { super(message); this.name = 'FileShapeError'; }
}

/**
 * Reads `abs` whole when it is a regular file no larger than `limit`, synchronously: stat() first
 * (it never opens, so a FIFO is refused without blocking on it), then open O_NONBLOCK (a path
 * swapped for a FIFO since the stat still returns at once), fstat again, and read in chunks up to
 * the cap (files like /proc/* report size 0 and still hold data). Throws FileShapeError, or the fs
 * error as it is (ENOENT, EACCES, EAGAIN...).
 */
export function readRegularFileSync(abs: string, limit: number): Buffer {
  const st = statSync(abs);
  if (!st.isFile()) throw new FileShapeError(`is ${fileKind(st)}`, fileKind(st));
  if (st.size > limit) throw new FileShapeError(`is ${st.size} bytes, over ${limit}`, undefined, st.size);
  const fd = openSync(abs, constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOCTTY ?? 0));
  try {
    const fst = fstatSync(fd);
    if (!fst.isFile()) throw new FileShapeError(`is ${fileKind(fst)}`, fileKind(fst));
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(64 * 1024, limit + 1 - total));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total > limit) throw new FileShapeError(`is more than ${total} bytes, over ${limit}`, undefined, total, true);
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** How long a pipe may take to deliver its input (`-f <(helm get values …)` runs a command first). */
export const PIPE_WAIT_MS = 15_000;

/**
 * Reads a pipe whole: process substitution (`-f <(helm get values flyte)`, `--kubeconfig <(…)`)
 * hands over /dev/fd/N, a pipe. Opened non-blocking, so a named FIFO that nobody writes to is at
 * its end at once instead of blocking the open; read until the writer closes it, up to `limit`
 * bytes and `waitMs`, so a writer that never finishes costs a bounded wait, never a hang.
 */
export function readPipeSync(abs: string, limit: number, waitMs = PIPE_WAIT_MS): Buffer {
  // A pipe gives its data once: the loader and a check reading the same kubeconfig share it.
  const seen = pipeData.get(abs);
  if (seen) {
    if (seen.length > limit) throw new FileShapeError(`is ${seen.length} bytes, over ${limit}`, undefined, seen.length);
    return seen;
  }
  const data = drainPipe(abs, limit, waitMs);
  pipeData.set(abs, data);
  return data;
}

const pipeData = new Map<string, Buffer>();

function drainPipe(abs: string, limit: number, waitMs: number): Buffer {
  const fd = openSync(abs, constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOCTTY ?? 0));
  try {
    const fst = fstatSync(fd);
    if (!fst.isFIFO()) throw new FileShapeError(`is ${fileKind(fst)}`, fileKind(fst));
    const r = drainFd(fd, limit, waitMs);
    if ('stalled' in r) throw new FileShapeError(`is a pipe whose writer ${r.stalled ? `sent ${r.stalled} bytes and did not finish` : 'sent nothing'} within ${waitMs / 1000} s`, 'a pipe that did not finish');
    if ('over' in r) throw new FileShapeError(`is more than ${r.over} bytes, over ${limit}`, undefined, r.over, true);
    if (!r.data.length) throw new FileShapeError('is a pipe that gave no data (nothing writes to it, or the command writing it printed nothing: see its own error)', 'an empty pipe');
    return r.data;
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads `fd` to its end (a pipe, standard input): a read that would block (EAGAIN: the writer is
 * still at work, e.g. helm fetching the values) naps 5 ms and tries again, until `waitMs`; more
 * than `limit` bytes stops. Other read errors are thrown as they are.
 */
function drainFd(fd: number, limit: number, waitMs: number): { data: Buffer } | { over: number } | { stalled: number } {
  const chunks: Buffer[] = [];
  let total = 0;
  const deadline = Date.now() + waitMs;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    let n: number;
    try {
      const buf = Buffer.allocUnsafe(Math.min(64 * 1024, limit + 1 - total));
      n = readSync(fd, buf, 0, buf.length, null);
      if (n > 0) chunks.push(buf.subarray(0, n));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EOF') break; // (Windows: the end of a pipe)
      if (code !== 'EAGAIN') throw e;
      if (Date.now() > deadline) return { stalled: total };
      Atomics.wait(nap, 0, 0, 5);
      continue;
    }
    if (n === 0) break;
    total += n;
    if (total > limit) return { over: total };
  }
  return { data: Buffer.concat(chunks, total) };
}

function tooLarge(size: number, limit: number, what: string | undefined, atLeast = false): string {
  return `is ${atLeast ? 'more than ' : ''}${mib(size)}, over the ${mib(limit)} limit for ${what ?? 'input files'} (flyte-doctor reads inputs whole and caps them so a wrong path cannot exhaust memory); pass the right file`;
}

/** Stat without opening: undefined when missing. */
export function statQuiet(abs: string): Stats | undefined {
  try { return statSync(abs); } catch { return undefined; }
}

/**
 * A path a check will read later (a CA bundle, sslrootcert): when it exists it must be a regular
 * file under `limit` (a FIFO there would block the check's read forever); missing is the check's
 * finding, not an input error.
 */
export function checkReadableLater(label: string, given: string, cwd: string, limit = 4 * 1024 * 1024): void {
  const abs = resolve(cwd, given);
  let st: Stats;
  try { st = statSync(abs); } catch { return; }
  if (!st.isFile()) throw new UserError(`${label}: cannot read ${shownPath(given)}: is ${fileKind(st)}, expected a regular file`);
  if (st.size > limit) throw new UserError(`${label}: cannot read ${shownPath(given)}: is ${mib(st.size)}, over the ${mib(limit)} limit for certificate files; pass the right file`);
}

/** What reads stdin: the flag, what to pipe into it, and the example. */
export interface StdinUse { flag: string; what: string; example: string }
const MANIFESTS_STDIN: StdinUse = { flag: '--manifests -', what: 'helm template output', example: 'helm template <release> <chart> -f values.yaml | flyte-doctor preflight --manifests -' };

/** Reads `-` (stdin): refuses a terminal, caps the size, never blocks on a TTY. */
export function readStdinText(fd = 0, limit = 4 * 1024 * 1024, use: StdinUse = MANIFESTS_STDIN): string {
  if (isatty(fd)) throw new UserError(`${use.flag}: standard input is a terminal: pipe ${use.what} into it (${use.example})`);
  let st: Stats;
  try { st = fstatSync(fd); } catch (e) { throw new UserError(`${use.flag}: cannot read standard input: ${fsReason(e)}`); }
  if (st.isDirectory()) throw new UserError(`${use.flag}: standard input is a directory: pipe ${use.what} into it`);
  let r: ReturnType<typeof drainFd>;
  try { r = drainFd(fd, limit, 300_000); } catch (e) { throw new UserError(`${use.flag}: cannot read standard input: ${fsReason(e)}`); }
  if ('stalled' in r) throw new UserError(`${use.flag}: standard input sent nothing more for 300 s and did not close: pipe ${use.what} into it`);
  if ('over' in r) throw new UserError(use === MANIFESTS_STDIN ? `--manifests -: standard input is more than ${mib(limit)}, over the limit for manifests (flyte-doctor reads inputs whole); render only the Flyte release` : `${use.flag}: standard input is more than ${mib(limit)}, over the limit for ${use.what}`);
  if (r.data.includes(0)) throw new UserError(`${use.flag}: standard input is binary, expected YAML (${use.what})`);
  return r.data.toString('utf8');
}
