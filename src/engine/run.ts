// The parallel DAG runner: each check (per instance) starts as soon as its dependencies have
// finished, bounded by a concurrency limit. Every check gets an AbortSignal that fires at its
// timeout, at --deadline, or on Ctrl-C; a check still running then is reported as `error`
// ("timed out after Ns") without waiting for it. Shared clients are closed and deferred cleanups
// run at the end, also after an abort.
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { Target } from '../config/target.js';
import { markRootCauses } from './causes.js';
import { PLACEHOLDER_CHECK, placeholderHits } from './needs.js';
import type { Plan } from './plan.js';
import type { Check, CheckContext, CheckResult, Clock, Instance, Json, Outcome, Phase, Status } from './types.js';
import { STATUSES } from './types.js';
import { mark, span } from './trace.js';

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() { clearTimeout(t); signal?.removeEventListener('abort', done); resolve(); }
    signal?.addEventListener('abort', done, { once: true });
  }),
};

export interface RunOptions {
  target: Target;
  plan: Plan;
  /** Default per-check timeout (--timeout). A check's own timeoutMs wins when smaller... see effectiveTimeout. */
  timeoutMs: number;
  concurrency: number;
  /** Absolute time (clock ms) after which every running check is aborted (--deadline). */
  deadlineAt?: number;
  /** External abort (Ctrl-C). */
  signal?: AbortSignal;
  /**
   * When the user started the command (clock ms; the CLI passes its process start). The stall bound
   * counts from here, so the process, start-up included, ends within --timeout when all stalls.
   * Default: the start of this run.
   */
  origin?: number;
  clock?: Clock;
  runId?: string;
  /** Results of an earlier attempt (verify --wait): nodes that passed/warned are not run again. */
  carry?: ReadonlyMap<string, CheckResult>;
  onStart?(id: string, instance?: string): void;
  onResult?(r: CheckResult): void;
  log?(checkId: string, msg: string, data?: Json): void;
}

export interface CleanupFailure { label: string; checkId: string; error: string }

export interface RunResult {
  runId: string;
  startedAt: number;
  finishedAt: number;
  results: CheckResult[];
  cleanupFailures: CleanupFailure[];
  interrupted?: string;
}

export function newRunId(clock: Clock = realClock): string {
  return `${new Date(clock.now()).toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomBytes(3).toString('hex')}`;
}

export function nodeKey(id: string, instance?: string): string {
  return instance === undefined ? id : `${id}[${instance}]`;
}

/** A check's budget: its own timeoutMs when declared, capped by --timeout only when the user set one smaller. */
export function effectiveTimeout(check: Check, defaultMs: number): number {
  return check.timeoutMs ? Math.min(check.timeoutMs, Math.max(defaultMs, 1)) : defaultMs;
}

export function compareResults(a: CheckResult, b: CheckResult): number {
  const k = (r: CheckResult) => [r.area, r.id, r.instance ?? ''];
  const [x, y] = [k(a), k(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  return 0;
}

interface Node {
  key: string;
  check: Check;
  instance?: Instance;
  planSkip?: string;
  deps: Node[];
  done: Promise<CheckResult>;
  resolve(r: CheckResult): void;
}

class TimeoutError extends Error { override name = 'TimeoutError'; }

function secondsText(ms: number): string { return `${Math.round(ms / 100) / 10}s`; }

export async function runChecks(o: RunOptions): Promise<RunResult> {
  const clock = o.clock ?? realClock;
  const runId = o.runId ?? newRunId(clock);
  const startedAt = clock.now();
  const runAbort = new AbortController();           // fires at the end of the run (closes shared resources) or on interrupt
  // every check listens on it, and a check's own signal has one listener per request in flight: not a leak
  setMaxListeners(0, runAbort.signal);
  let interrupted: string | undefined;
  const interrupt = (why: string) => { if (!interrupted) { interrupted = why; runAbort.abort(new Error(why)); } };
  const onExternal = () => interrupt('interrupted');
  if (o.signal?.aborted) interrupt('interrupted'); else o.signal?.addEventListener('abort', onExternal, { once: true });
  let deadlineTimer: NodeJS.Timeout | undefined;
  if (o.deadlineAt !== undefined) deadlineTimer = setTimeout(() => interrupt(`run deadline reached after ${secondsText(o.deadlineAt! - startedAt)}`), Math.max(0, o.deadlineAt - startedAt));

  // --- expand the plan into nodes (one per check instance)
  const nodes: Node[] = [];
  const byId = new Map<string, Node[]>();
  for (const p of o.plan.checks) {
    const insts: (Instance | undefined)[] = p.check.instances && !p.skip ? p.check.instances(o.target) : [undefined];
    const list: Node[] = [];
    for (const instance of insts.length ? insts : [undefined]) {
      let resolve!: (r: CheckResult) => void;
      const done = new Promise<CheckResult>((r) => (resolve = r));
      const n: Node = { key: nodeKey(p.check.id, instance?.key), check: p.check, deps: [], done, resolve, ...(instance ? { instance } : {}), ...(p.skip ? { planSkip: p.skip } : (p.check.instances && !insts.length ? { planSkip: 'nothing of this kind is configured' } : {})) };
      list.push(n); nodes.push(n);
    }
    byId.set(p.check.id, list);
  }
  const guarded = new Set(o.plan.checks.filter((p) => p.placeholders).map((p) => p.check.id));
  for (const n of nodes) {
    // A probe of a placeholder waits for values.placeholders, which fails: it is then blocked by it.
    if (guarded.has(n.check.id) && placeholderHits(o.target, n.check.needs, n.instance).length) n.deps.push(...(byId.get(PLACEHOLDER_CHECK) ?? []));
    for (const d of n.check.dependsOn ?? []) {
      const depNodes = byId.get(d) ?? [];
      const same = n.instance ? depNodes.filter((x) => x.instance?.key === n.instance!.key) : [];
      n.deps.push(...(same.length ? same : depNodes));
    }
  }

  const results = new Map<string, CheckResult>();
  const shared = new Map<string, { value: Promise<unknown>; close?: (v: unknown) => unknown }>();
  const deferred: { label: string; checkId: string; area: string; fn: () => Promise<void>; command?: string; started?: Promise<void> }[] = [];
  const cleanupFailures: CleanupFailure[] = [];
  // A cleanup (deleting probe objects) starts as soon as every check of its area has ended, while
  // the other areas still run, and at the latest when the run ends. Each is bounded; what has not
  // finished in time is reported as residue (the action keeps going in the background until the
  // process exits).
  const startCleanup = (d: (typeof deferred)[number]): Promise<void> => d.started ??= (async () => {
    const budget = interrupted ? CLEANUP_BUDGET_INTERRUPTED_MS : CLEANUP_BUDGET_MS;
    const entry: PendingCleanup = { label: d.label, checkId: d.checkId, ...(d.command ? { command: d.command } : {}) };
    pending.add(entry);
    const work = Promise.resolve().then(d.fn);
    work.then(() => pending.delete(entry), () => pending.delete(entry));
    try {
      await withTimeout(work, budget, `did not finish within ${secondsText(budget)}${entry.command ? `; remove with: ${entry.command}` : ''}`);
    } catch (e) {
      cleanupFailures.push({ label: d.label, checkId: d.checkId, error: firstLine((e as Error)?.message ?? String(e)) });
    }
  })();
  const openInArea = new Map<string, number>();
  for (const n of nodes) openInArea.set(n.check.area, (openInArea.get(n.check.area) ?? 0) + 1);

  const base = (n: Node) => ({
    id: n.check.id, area: n.check.area, title: n.check.title, docsUrl: n.check.docsUrl,
    ...(n.instance ? { instance: n.instance.key, instanceLabel: n.instance.label } : {}),
  });
  const endedAt = new Map<Node, number>();
  const finish = (n: Node, r: CheckResult) => {
    endedAt.set(n, clock.now()); results.set(n.key, r); o.onResult?.(r); n.resolve(r);
    const open = openInArea.get(n.check.area)! - 1;
    openInArea.set(n.check.area, open);
    if (open === 0) for (const d of deferred) if (d.area === n.check.area) void startCleanup(d);
  };

  // --- concurrency limiter
  let active = 0;
  const waiting: (() => void)[] = [];
  const acquire = () => new Promise<void>((r) => { if (active < Math.max(1, o.concurrency)) { active++; r(); } else waiting.push(() => { active++; r(); }); });
  const release = () => { active--; waiting.shift()?.(); };

  const runNode = async (n: Node): Promise<void> => {
    const depResults = await Promise.all(n.deps.map((d) => d.done));
    const readyAt = Math.max(startedAt, ...n.deps.map((d) => endedAt.get(d) ?? startedAt));
    if (n.planSkip) return finish(n, { ...base(n), status: 'skip', message: n.planSkip, durationMs: 0 });
    const carried = o.carry?.get(n.key);
    if (carried && (carried.status === 'pass' || carried.status === 'warn')) return finish(n, carried);
    // values.inputs.placeholders blocks the probes of a placeholder also when it only warns (a
    // value Helm renders at install time cannot be probed either).
    const blocker = depResults.find((r) => (r.status !== 'pass' && r.status !== 'warn') || (r.id === PLACEHOLDER_CHECK && r.status === 'warn'));
    if (blocker) {
      const bk = nodeKey(blocker.id, blocker.instance);
      return finish(n, { ...base(n), status: 'skip', message: `blocked by ${bk} (${blocker.status})`, blockedBy: bk, durationMs: 0 });
    }
    if (interrupted) return finish(n, { ...base(n), status: 'skip', message: `not run: ${interrupted}`, durationMs: 0 });
    await acquire();
    const traced = performance.now();
    try {
      if (interrupted) return finish(n, { ...base(n), status: 'skip', message: `not run: ${interrupted}`, durationMs: 0 });
      o.onStart?.(n.check.id, n.instance?.key);
      const t0 = clock.now();

      const budget = stallBound(effectiveTimeout(n.check, o.timeoutMs), o.timeoutMs, Math.min(o.origin ?? startedAt, startedAt), readyAt);
      const ac = new AbortController();
      setMaxListeners(0, ac.signal);
      const timer = setTimeout(() => ac.abort(new TimeoutError(`timed out after ${secondsText(budget)}`)), budget);
      const onRunAbort = () => ac.abort(runAbort.signal.reason);
      runAbort.signal.addEventListener('abort', onRunAbort, { once: true });
      const ctx: CheckContext = {
        target: o.target, phase: o.plan.phase as Phase, instance: n.instance, signal: ac.signal, clock, runId,
        remainingMs: () => Math.max(0, t0 + budget - clock.now()),
        result: (id, key) => results.get(nodeKey(id, key ?? (byId.get(id)?.some((x) => x.instance?.key === n.instance?.key) ? n.instance?.key : undefined))) ?? [...results.values()].find((r) => r.id === id),
        shared: <T>(key: string, make: (s: AbortSignal) => Promise<T>, close?: (v: T) => Promise<void> | void) => {
          let e = shared.get(key);
          if (!e) {
            const value = make(runAbort.signal);
            e = { value, ...(close ? { close: close as (v: unknown) => unknown } : {}) };
            shared.set(key, e);
            value.catch(() => shared.delete(key)); // a failed make can be retried by the next check
          }
          return e.value as Promise<T>;
        },
        defer: (label, fn, d) => { deferred.push({ label, checkId: n.key, area: n.check.area, fn, ...(d?.command ? { command: d.command } : {}) }); },
        addSecret: (v) => { if (v && !o.target.secrets.includes(v)) o.target.secrets.push(v); },
        log: (msg, data) => o.log?.(n.key, msg, data),
      };
      const aborted = new Promise<'aborted'>((r) => { if (ac.signal.aborted) r('aborted'); else ac.signal.addEventListener('abort', () => r('aborted'), { once: true }); });
      let outcome: Outcome | 'aborted';
      try {
        outcome = await Promise.race([Promise.resolve().then(() => n.check.run(ctx)), aborted]);
      } catch (err) {
        if (ac.signal.aborted) outcome = 'aborted';
        else {
          clearTimeout(timer); runAbort.signal.removeEventListener('abort', onRunAbort);
          const e = err as Error;
          return finish(n, { ...base(n), status: 'error', messageId: 'exception', message: `check could not run: ${firstLine(e?.message ?? String(err))}`, durationMs: clock.now() - t0, details: { error: e?.name ?? 'Error' } });
        }
      }
      clearTimeout(timer); runAbort.signal.removeEventListener('abort', onRunAbort);
      const durationMs = clock.now() - t0;
      if (outcome === 'aborted') {
        const reason = ac.signal.reason;
        const msg = reason instanceof TimeoutError ? reason.message : `aborted: ${interrupted ?? 'interrupted'}`;
        return finish(n, { ...base(n), status: 'error', messageId: reason instanceof TimeoutError ? 'timeout' : 'aborted', message: msg, durationMs });
      }
      if (!outcome || !STATUSES.includes(outcome.status as Status) || typeof outcome.message !== 'string') {
        return finish(n, { ...base(n), status: 'error', messageId: 'badOutcome', message: `check returned an invalid outcome: ${JSON.stringify(outcome)?.slice(0, 200)}`, durationMs });
      }
      return finish(n, {
        ...base(n), status: outcome.status, message: outcome.message, durationMs,
        ...(outcome.hint ? { hint: outcome.hint } : {}),
        ...(outcome.messageId ? { messageId: outcome.messageId } : {}),
        ...(outcome.details ? { details: outcome.details } : {}),
        ...(outcome.cause ? { cause: outcome.cause } : {}),
        ...(outcome.rootNotes?.length ? { rootNotes: outcome.rootNotes } : {}),
      });
    } finally {
      span(n.key, traced);
      release();
    }
  };

  await Promise.all(nodes.map((n) => runNode(n).catch((e) => finish(n, { ...base(n), status: 'error', messageId: 'internal', message: `internal error: ${firstLine(String(e))}`, durationMs: 0 }))));
  if (deadlineTimer) clearTimeout(deadlineTimer);
  o.signal?.removeEventListener('abort', onExternal);
  mark('every check ended');

  // --- cleanup: the deferred actions not started yet, in parallel (they are independent: one per
  // bucket), each bounded (startCleanup); then shared resources, closed in parallel, bounded too.
  await Promise.all(deferred.map(startCleanup));
  runAbort.abort(new Error('run finished'));
  await Promise.all([...shared.values()].map(async (e) => {
    if (!e.close) return;
    // A value still being made (a stalled connect) is not waited for beyond the bound.
    try { await withTimeout(e.value.then((v) => e.close!(v)), CLOSE_BUDGET_MS, 'close timed out'); } catch { /* never opened, already gone, or slow: the process exit ends it */ }
  }));

  mark('cleaned up');
  const sorted = [...results.values()].sort(compareResults);
  markRootCauses(sorted, new Map(o.plan.checks.map((p) => [p.check.id, p.check])));
  return {
    runId, startedAt, finishedAt: clock.now(),
    results: sorted,
    cleanupFailures,
    ...(interrupted ? { interrupted } : {}),
  };
}

function firstLine(s: string): string { return s.split('\n')[0]!.slice(0, 500); }

/**
 * The stall bound: a fully stalled environment ends within --timeout, not --timeout plus the time
 * the quick local steps before the first network call took (process start-up, config parsing, SDK
 * loading). A check that became ready within the first half of the --timeout (counted from
 * `origin`: the command's start) counts that time against its budget; one whose dependencies took
 * longer (real network work) gets its whole budget. So a check always has at least half the --timeout.
 */
export function stallBound(budget: number, timeoutMs: number, runStart: number, readyAt: number): number {
  const preamble = readyAt - runStart;
  if (preamble <= 0 || preamble > timeoutMs / 2) return budget;
  return Math.max(1, Math.min(budget, timeoutMs - preamble));
}

/** The deferred cleanups (probe-object deletes) of a run, together (ms); after Ctrl-C a little less. */
export const CLEANUP_BUDGET_MS = 8000;
export const CLEANUP_BUDGET_INTERRUPTED_MS = 5000;
/** Closing the shared clients at the end of a run (sockets, pools): never worth waiting on. */
export const CLOSE_BUDGET_MS = 100;

export interface PendingCleanup { label: string; checkId: string; command?: string }

/** Deferred cleanups that have not finished (across runs in this process), for a second Ctrl-C. */
const pending = new Set<PendingCleanup>();
export function pendingCleanups(): PendingCleanup[] { return [...pending]; }

function withTimeout<T>(p: Promise<T>, ms: number, msg: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, rej) => { t = setTimeout(() => rej(new Error(msg)), ms); })]).finally(() => clearTimeout(t));
}

export function summarize(results: readonly CheckResult[]): Record<Status, number> & { total: number } {
  const s = { pass: 0, warn: 0, fail: 0, skip: 0, error: 0, total: results.length };
  for (const r of results) s[r.status]++;
  return s;
}
