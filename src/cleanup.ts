// `flyte-doctor cleanup`: finds probe prefixes `flyte-doctor/<run-id>/` that killed runs left in the
// configured buckets (S3 and GCS), older than a given age (run ids start with the run's UTC start
// time, see newRunId), lists them, and deletes them only with --yes. Touches nothing else: only
// keys under a prefix whose name is a flyte-doctor run id. Bounded: every request has a timeout,
// deletes run in parallel.
import type { Target } from './config/target.js';
import { gcsCall, GcsProbeError, listedNames, listPath, objectPath } from './clients/gcs.js';
import { PROBE_ROOT, s3Send, S3ProbeError } from './clients/s3.js';
import { makeRedactor } from './engine/redact.js';
import { realClock } from './engine/run.js';
import type { CheckContext, Clock, Json } from './engine/types.js';
import { configuredBuckets, shownEndpoint } from './flyte/storage.js';

export interface CleanupRequest {
  target: Target;
  /** Only prefixes of runs that started longer ago than this (ms). */
  olderThanMs: number;
  /** Delete them; without it, list only. */
  yes: boolean;
  output: 'pretty' | 'json';
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
}

export interface CleanupIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  signal?: AbortSignal;
  clock?: Clock;
}

export type PrefixAction = 'deleted' | 'listed' | 'partly-deleted' | 'too-recent' | 'not-a-run';

export interface PrefixEntry {
  prefix: string;
  runId: string;
  /** Start time of the run (from its id), ISO; null when the name is not a run id. */
  startedAt: string | null;
  ageMs: number | null;
  objects: number;
  /** More objects than were listed (listing capped). */
  truncated: boolean;
  action: PrefixAction;
  /** Keys still there after deleting (only when some could not be deleted). */
  remaining?: string[];
  deleteCommand: string;
}

export interface BucketEntry {
  store: 's3' | 'gcs';
  bucket: string;
  /** Why the bucket could not be listed, if it could not. */
  error?: string;
  prefixes: PrefixEntry[];
}

export interface CleanupReport {
  command: 'cleanup';
  olderThanMs: number;
  delete: boolean;
  buckets: BucketEntry[];
  exitCode: number;
}

const RUN_ID = /^(\d{8}T\d{6})-[0-9a-f]{6}$/;
const MAX_KEYS_PER_PREFIX = 5000;

/** The start time of a run from its id (`20261127T112035-a1b2c3`), or undefined. */
export function runStartOf(runId: string): number | undefined {
  const m = RUN_ID.exec(runId);
  if (!m) return undefined;
  const s = m[1]!;
  const t = Date.UTC(+s.slice(0, 4), +s.slice(4, 6) - 1, +s.slice(6, 8), +s.slice(9, 11), +s.slice(11, 13), +s.slice(13, 15));
  return Number.isNaN(t) ? undefined : t;
}

function age(ms: number): string {
  const m = Math.floor(ms / 60_000);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h}h${m % 60 ? `${m % 60}m` : ''}` : `${Math.floor(h / 24)}d`;
}

/** A minimal check context for the storage clients (they need a target, a signal, a budget, a cache). */
function clientContext(target: Target, signal: AbortSignal, clock: Clock, timeoutMs: number): CheckContext & { close(): Promise<void> } {
  const shared = new Map<string, { value: Promise<unknown>; close?: (v: unknown) => unknown }>();
  const runAbort = new AbortController();
  signal.addEventListener('abort', () => runAbort.abort(), { once: true });
  return {
    target, phase: 'preflight', instance: undefined, signal, clock, runId: 'cleanup',
    remainingMs: () => timeoutMs + 400,
    result: () => undefined,
    shared: <T>(key: string, make: (s: AbortSignal) => Promise<T>, close?: (v: T) => Promise<void> | void) => {
      let e = shared.get(key);
      if (!e) { e = { value: make(runAbort.signal), ...(close ? { close: close as (v: unknown) => unknown } : {}) }; shared.set(key, e); e.value.catch(() => shared.delete(key)); }
      return e.value as Promise<T>;
    },
    defer: () => { /* nothing is written */ },
    addSecret: (v) => { if (v) target.secrets.push(v); },
    log: () => {},
    close: async () => {
      runAbort.abort();
      await Promise.all([...shared.values()].map(async (e) => { try { const v = await e.value; await e.close?.(v); } catch { /* gone */ } }));
    },
  };
}

function errText(e: unknown): string {
  if (e instanceof S3ProbeError) return e.answer ? `HTTP ${e.answer.status}${e.answer.code ? ` ${e.answer.code}` : ''}${e.answer.message ? `: ${e.answer.message}` : ''}` : e.message;
  if (e instanceof GcsProbeError) return e.message;
  return ((e as Error)?.message ?? String(e)).split('\n')[0]!;
}

/** Runs `fn` over `items` with at most `n` at a time. */
async function pool<T>(items: T[], n: number, fn: (x: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => { while (i < items.length) await fn(items[i++]!); }));
}

interface Store {
  /** Run-id prefixes directly under flyte-doctor/ (full prefixes, ending in /). */
  runPrefixes(bucket: string): Promise<string[]>;
  /** Keys under a prefix (capped); truncated when there are more. */
  keys(bucket: string, prefix: string): Promise<{ keys: string[]; truncated: boolean }>;
  remove(bucket: string, key: string): Promise<void>;
  deleteCommand(bucket: string, prefix: string): string;
}

/** Pages of one listing at most (a listing that answers "more" on empty pages forever is cut there). */
const MAX_PAGES = 100;

/**
 * The continuation tokens of one listing: a token answered twice means the pagination never ends
 * (an S3-compatible store or proxy that ignores the token), and the whole listing gets three probe
 * timeouts at most. Either is an error naming the listing, not a loop.
 */
function paging(what: string, timeoutMs: number): { next(token: string): string; readonly count: number } {
  const seen = new Set<string>();
  const until = Date.now() + 3 * timeoutMs;
  return {
    next(token: string) {
      if (seen.has(token)) throw new Error(`the listing of ${what} keeps answering the same continuation token (pagination does not end)`);
      if (Date.now() > until) throw new Error(`the listing of ${what} did not end within ${Math.round((3 * timeoutMs) / 1000)}s (${seen.size + 1} pages)`);
      seen.add(token);
      return token;
    },
    get count() { return seen.size; },
  };
}

function s3Store(ctx: CheckContext, timeoutMs: number): Store {
  const st = ctx.target.storage!;
  const sdk = import('./sdk/aws.js');
  return {
    async runPrefixes(bucket) {
      const { ListObjectsV2Command } = await sdk;
      const out: string[] = [];
      let token: string | undefined;
      const pages = paging(`s3://${bucket}`, timeoutMs);
      for (let page = 0; page < 20; page++) {
        const { output, answer } = await s3Send<{ CommonPrefixes?: { Prefix?: string }[]; IsTruncated?: boolean; NextContinuationToken?: string }>(ctx, 'ListObjectsV2', new ListObjectsV2Command({ Bucket: bucket, Prefix: `${PROBE_ROOT}/`, Delimiter: '/', ...(token ? { ContinuationToken: token } : {}) }), { timeoutMs });
        if (!/<ListBucketResult[\s>]/.test(answer.body.toString('utf8'))) throw new Error(`the listing of s3://${bucket} is not an S3 answer (HTTP ${answer.status})`);
        for (const p of Array.isArray(output.CommonPrefixes) ? output.CommonPrefixes : []) if (typeof p?.Prefix === 'string' && !out.includes(p.Prefix)) out.push(p.Prefix);
        if (!output.IsTruncated || !output.NextContinuationToken) break;
        token = pages.next(output.NextContinuationToken);
      }
      return out;
    },
    async keys(bucket, prefix) {
      const { ListObjectsV2Command } = await sdk;
      const keys: string[] = [];
      let token: string | undefined;
      const pages = paging(`s3://${bucket}/${prefix}`, timeoutMs);
      for (;;) {
        const { output } = await s3Send<{ Contents?: { Key?: string }[]; IsTruncated?: boolean; NextContinuationToken?: string }>(ctx, 'ListObjectsV2', new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }), { timeoutMs });
        for (const o of Array.isArray(output.Contents) ? output.Contents : []) if (typeof o?.Key === 'string' && o.Key.startsWith(prefix)) keys.push(o.Key);
        if (!output.IsTruncated || !output.NextContinuationToken) return { keys, truncated: false };
        if (keys.length >= MAX_KEYS_PER_PREFIX || pages.count >= MAX_PAGES) return { keys, truncated: true };
        token = pages.next(output.NextContinuationToken);
      }
    },
    async remove(bucket, key) {
      const { DeleteObjectCommand } = await sdk;
      await s3Send(ctx, 'DeleteObject', new DeleteObjectCommand({ Bucket: bucket, Key: key }), { timeoutMs });
    },
    deleteCommand: (bucket, prefix) => `aws s3 rm --recursive s3://${bucket}/${prefix}${st.endpoint ? ` --endpoint-url ${shownEndpoint(st)}` : ''}`,
  };
}

function gcsStore(ctx: CheckContext, timeoutMs: number): Store {
  return {
    async runPrefixes(bucket) {
      const out: string[] = [];
      let token: string | undefined;
      const pages = paging(`gs://${bucket}`, timeoutMs);
      for (let page = 0; page < 20; page++) {
        const a = await gcsCall(ctx, 'list', 'GET', listPath(bucket, `${PROBE_ROOT}/`, { delimiter: '/', max: 1000, ...(token ? { pageToken: token } : {}) }), { timeoutMs });
        const l = listedNames(a);
        if (!l) throw new Error(`the listing of gs://${bucket} is not a GCS answer (HTTP ${a.status})`);
        for (const p of l.prefixes) if (!out.includes(p)) out.push(p);
        // Emulators may ignore the delimiter: derive the run prefixes from the names.
        for (const n of l.names) { const m = /^flyte-doctor\/[^/]+\//.exec(n); if (m && !out.includes(m[0])) out.push(m[0]); }
        if (!l.next) break;
        token = pages.next(l.next);
      }
      return out;
    },
    async keys(bucket, prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      const pages = paging(`gs://${bucket}/${prefix}`, timeoutMs);
      for (;;) {
        const l = listedNames(await gcsCall(ctx, 'list', 'GET', listPath(bucket, prefix, { max: 1000, ...(token ? { pageToken: token } : {}) }), { timeoutMs }));
        if (!l) throw new Error(`the listing of gs://${bucket}/${prefix} is not a GCS answer`);
        keys.push(...l.names.filter((n) => n.startsWith(prefix)));
        if (!l.next) return { keys, truncated: false };
        if (keys.length >= MAX_KEYS_PER_PREFIX || pages.count >= MAX_PAGES) return { keys, truncated: true };
        token = pages.next(l.next);
      }
    },
    async remove(bucket, key) {
      try { await gcsCall(ctx, 'delete', 'DELETE', objectPath(bucket, key), { timeoutMs }); } catch (e) {
        if (e instanceof GcsProbeError && e.status === 404) return;
        throw e;
      }
    },
    deleteCommand: (bucket, prefix) => `gcloud storage rm --recursive gs://${bucket}/${prefix}`,
  };
}

/** Finds (and with `yes` deletes) stale probe prefixes; returns the report. Never throws for store errors. */
export async function findAndCleanup(req: CleanupRequest, io: Pick<CleanupIo, 'signal' | 'clock'> = {}): Promise<CleanupReport> {
  const clock = io.clock ?? realClock;
  const st = req.target.storage;
  const report: CleanupReport = { command: 'cleanup', olderThanMs: req.olderThanMs, delete: req.yes, buckets: [], exitCode: 0 };
  if (!st || (st.provider !== 's3' && st.provider !== 'gcs')) return report;
  const timeoutMs = req.timeoutMs ?? 10_000;
  const signal = io.signal ?? new AbortController().signal;
  const ctx = clientContext(req.target, signal, clock, timeoutMs);
  const store = st.provider === 'gcs' ? gcsStore(ctx, timeoutMs) : s3Store(ctx, timeoutMs);
  const now = clock.now();
  try {
    for (const bucket of configuredBuckets(st)) {
      const entry: BucketEntry = { store: st.provider, bucket, prefixes: [] };
      report.buckets.push(entry);
      let prefixes: string[];
      try { prefixes = await store.runPrefixes(bucket); } catch (e) { entry.error = `could not list ${st.provider === 'gcs' ? 'gs' : 's3'}://${bucket}/${PROBE_ROOT}/: ${errText(e)}`; continue; }
      for (const prefix of prefixes.sort()) {
        if (!prefix.startsWith(`${PROBE_ROOT}/`) || !prefix.endsWith('/')) continue;
        const runId = prefix.slice(PROBE_ROOT.length + 1, -1);
        const started = runStartOf(runId);
        const p: PrefixEntry = { prefix, runId, startedAt: started === undefined ? null : new Date(started).toISOString(), ageMs: started === undefined ? null : now - started, objects: 0, truncated: false, action: 'listed', deleteCommand: store.deleteCommand(bucket, prefix) };
        entry.prefixes.push(p);
        if (started === undefined) { p.action = 'not-a-run'; continue; }
        if (now - started < req.olderThanMs) { p.action = 'too-recent'; continue; }
        let keys: string[];
        try { const k = await store.keys(bucket, prefix); keys = k.keys; p.truncated = k.truncated; } catch (e) { entry.error = `could not list ${prefix}: ${errText(e)}`; continue; }
        p.objects = keys.length;
        if (!req.yes) continue;
        const failed: string[] = [];
        await pool(keys, 16, async (k) => { if (signal.aborted) { failed.push(k); return; } try { await store.remove(bucket, k); } catch { failed.push(k); } });
        let left = failed;
        try { left = (await store.keys(bucket, prefix)).keys; } catch { /* keep what failed */ }
        if (left.length) { p.action = 'partly-deleted'; p.remaining = left.slice(0, 50); } else p.action = 'deleted';
      }
    }
  } finally {
    await ctx.close();
  }
  const stale = report.buckets.flatMap((b) => b.prefixes).filter((p) => p.action === 'listed' || p.action === 'partly-deleted');
  const incomplete = report.buckets.some((b) => b.error) || stale.some((p) => p.action === 'partly-deleted' || p.truncated);
  report.exitCode = incomplete ? 3 : stale.length ? 1 : 0;
  return report;
}

function render(r: CleanupReport, st: Target['storage']): string {
  const scheme = st?.provider === 'gcs' ? 'gs' : 's3';
  const lines: string[] = [];
  lines.push(`flyte-doctor cleanup: probe prefixes ${PROBE_ROOT}/<run-id>/ of runs older than ${age(r.olderThanMs)}${r.delete ? '' : ' (list only; --yes deletes)'}`);
  if (!r.buckets.length) lines.push(st ? `  no S3 or GCS bucket configured (provider ${st.provider}): nothing to do` : '  no object store configured: nothing to do');
  for (const b of r.buckets) {
    lines.push(`${scheme}://${b.bucket}`);
    if (b.error) lines.push(`  ! ${b.error}`);
    if (!b.prefixes.length && !b.error) lines.push('  no probe prefixes');
    for (const p of b.prefixes) {
      const what = p.action === 'not-a-run' ? 'not a flyte-doctor run id: left alone'
        : p.action === 'too-recent' ? `run started ${age(p.ageMs!)} ago (younger than ${age(r.olderThanMs)}; may still be running): left alone`
        : p.action === 'deleted' ? `${p.objects} object(s), ${age(p.ageMs!)} old: deleted`
        : p.action === 'partly-deleted' ? `${p.objects} object(s), ${age(p.ageMs!)} old: ${p.remaining!.length} could not be deleted; remove with: ${p.deleteCommand}`
        : `${p.objects}${p.truncated ? '+' : ''} object(s), ${age(p.ageMs!)} old: would be deleted (${p.deleteCommand})`;
      lines.push(`  ${p.prefix}  ${what}`);
    }
  }
  const stale = r.buckets.flatMap((b) => b.prefixes).filter((p) => p.action === 'listed');
  if (stale.length) lines.push('', `${stale.length} stale probe prefix(es) found. Run again with --yes to delete them.`);
  else if (r.delete && r.buckets.some((b) => b.prefixes.some((p) => p.action === 'deleted'))) lines.push('', 'Deleted.');
  else if (!r.buckets.some((b) => b.error)) lines.push('', 'Nothing to clean up.');
  return `${lines.join('\n')}\n`;
}

/**
 * The `flyte-doctor cleanup` command. Exit codes: 0 nothing stale left (none found, or all
 * deleted); 1 stale prefixes found and listed (not deleted: no --yes); 3 a bucket could not be
 * listed or some objects could not be deleted (what remains is printed with the delete command).
 */
export async function cleanupCommand(req: CleanupRequest, io: CleanupIo): Promise<number> {
  const found = await findAndCleanup(req, io);
  // Bucket names and keys are structured values (never word-matched); server error texts are free text.
  const redact = makeRedactor(req.target);
  const report: CleanupReport = {
    ...found,
    buckets: found.buckets.map((b) => ({
      ...b, bucket: redact.structured(b.bucket), ...(b.error ? { error: redact(b.error) } : {}),
      prefixes: b.prefixes.map((p) => ({ ...p, prefix: redact.structured(p.prefix), deleteCommand: redact.structured(p.deleteCommand), ...(p.remaining ? { remaining: p.remaining.map((k) => redact.structured(k)) } : {}) })),
    })),
  };
  io.stdout.write(req.output === 'json' ? `${JSON.stringify(report as unknown as Json, null, 2)}\n` : render(report, req.target.storage));
  return report.exitCode;
}
