// Reading an input file safely: only a regular file is opened (a FIFO is never opened, a device
// never read), and only up to a size cap, so a wrong path cannot hang the run or grow its memory.
// Every failure is a UserError naming the flag or file that pointed here (exit 2).
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';
import { UserError } from '../errors.js';

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
    case 'ENOENT': return 'no such file or directory';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'is a directory, expected a file';
    case 'ENOTDIR': return 'a parent path is not a directory';
    case 'ELOOP': return 'too many symbolic links';
    case 'ENAMETOOLONG': return 'the path is too long';
    default: return e?.code ?? e?.message ?? String(err);
  }
}

export interface ReadOptions {
  /** Size cap in bytes (default INPUT_LIMIT). */
  limit?: number;
  /** Return undefined instead of failing when the file does not exist. */
  optional?: boolean;
  /** What the file is, for the size message ("a Helm values file"). */
  what?: string;
}

/**
 * Reads `given` (relative to `cwd`) as UTF-8 text when it is a regular file no larger than the cap.
 * `label` names where the path came from (`--values`, `env KUBECONFIG`, `values.yaml: ...passwordPath`).
 */
export function readInputFile(label: string, given: string, cwd: string, o: ReadOptions & { optional: true }): string | undefined;
export function readInputFile(label: string, given: string, cwd: string, o?: ReadOptions): string;
export function readInputFile(label: string, given: string, cwd: string, o: ReadOptions = {}): string | undefined {
  const limit = o.limit ?? INPUT_LIMIT;
  const fail = (why: string): never => { throw new UserError(`${label}: cannot read ${given}: ${why}`); };
  let data: Buffer;
  try { data = readRegularFileSync(resolve(cwd, given), limit); } catch (e) {
    if (e instanceof FileShapeError) return fail(e.kind ? `is ${e.kind}, expected a regular file` : tooLarge(e.size!, limit, o.what, e.atLeast));
    const code = (e as NodeJS.ErrnoException).code;
    if (o.optional && code === 'ENOENT') return undefined;
    return fail(code === 'EAGAIN' ? 'is not ready to read (not a regular file?)' : fsReason(e));
  }
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
  if (!st.isFile()) throw new UserError(`${label}: cannot read ${given}: is ${fileKind(st)}, expected a regular file`);
  if (st.size > limit) throw new UserError(`${label}: cannot read ${given}: is ${mib(st.size)}, over the ${mib(limit)} limit for certificate files; pass the right file`);
}
