// The contract every check is written against. src/ names no check: checks/ owns the registry.
import type { Target } from '../config/target.js';

export type Status = 'pass' | 'warn' | 'fail' | 'skip' | 'error';
export const STATUSES: readonly Status[] = ['pass', 'warn', 'fail', 'skip', 'error'];
export type Phase = 'preflight' | 'verify';
export const AREAS = ['values', 'kubernetes', 'database', 'storage', 'dns', 'tls', 'client', 'ingress', 'auth', 'flyte'] as const;
export type Area = (typeof AREAS)[number];
export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/**
 * A part of the target a check needs. When it is not configured the engine reports the check as
 * `skip` with the reason, without running it. See src/engine/needs.ts for the reasons.
 */
export type Need =
  | 'kubernetes'      // a kubeconfig/context is available
  | 'database'        // at least one database is configured
  | 'storage'         // an object store is configured (any provider)
  | 'storage.s3'      // provider is s3 (AWS or S3-compatible)
  | 'storage.gcs'     // provider is gcs
  | 'storage.azure'   // provider is azure (Azure Blob)
  | 'dataplanes'      // a multi-cluster flyte-core install (target.dataPlanes)
  | 'endpoint'        // a Flyte admin endpoint is known (client config, --endpoint or ingress host)
  | 'ingress'         // an ingress host / URL is known
  | 'auth'            // auth is enabled in the values or the client config
  | 'flyteadmin'      // the values deploy flyteadmin in this cluster (not a data-plane-only install)
  | 'webhook';        // the values deploy Flyte's pod webhook

/**
 * One finding a check can produce, declared up front (ESLint's `meta.messages`): the docs list
 * every finding of every check, tests assert messageIds, and the harness fails a run that returns
 * an undeclared id or a status other than the declared one.
 */
export interface MessageSpec {
  status: Status;
  /** What this finding means, for the docs (plain text, no placeholders). */
  summary: string;
}
export type Messages = Readonly<Record<string, MessageSpec>>;

/** What a check's run() returns: its finding. Anything it cannot classify it throws (-> error). */
export interface Outcome<Id extends string = string> {
  status: Status;
  /** One line: what was observed. Never contains a secret (the engine redacts anyway). */
  message: string;
  /** The fix: the exact Helm values key for the detected chart, or a command. Required for warn/fail. */
  hint?: string;
  /** Stable id of this kind of outcome, declared in the check's `messages`; also the anchor in the docs. */
  messageId?: Id;
  /** Structured evidence (observed values, endpoints used, error codes). */
  details?: Record<string, Json>;
  /**
   * The fault this finding observes, as a stable key built with src/engine/causes.ts (e.g.
   * `tls-untrusted:flyte.example.com:443`). Non-passing results that share a key have one root
   * cause: the engine marks it (`rootCause`) and points the others at it (`explainedBy`).
   */
  cause?: string;
  /**
   * Evidence this finding adds to the fix of the finding that is the root of the fault `cause` (e.g.
   * "the installed release runs with another bucket"): appended to that root's hint, unless the root
   * is this finding or its message already says `unlessSaid`. Never part of a report on its own.
   */
  rootNotes?: RootNote[];
}

export interface RootNote { cause: string; text: string; unlessSaid?: string }

/** One concrete subject a check runs for, e.g. the flyteadmin database or the metadata bucket. */
export interface Instance {
  /** Short stable key, e.g. 'flyteadmin', 'datacatalog', 'metadata', 'userdata'. */
  key: string;
  /** Human label, e.g. 'flyteadmin db flyte@db.example:5432/flyteadmin'. */
  label: string;
  /**
   * Target fields (or prefixes ending in `.`) this instance's probes read, e.g. `databases[1].`: a
   * placeholder there blocks this instance only. Without it the check's `needs` decide.
   */
  fields?: string[];
}

export interface CheckSpec<M extends Messages = Messages> {
  /** `area.subject.aspect`, e.g. 'storage.s3.delete'. The first segment is the area. */
  id: string;
  /** One-line title, shown by `list` and in reports. */
  title: string;
  phases: readonly Phase[];
  /** Ids of checks that must pass (or warn) first; otherwise this one is `skip` with blockedBy. */
  dependsOn?: readonly string[];
  /** Target parts this check needs; when absent, `skip` with the reason. */
  needs?: readonly Need[];
  /** Per-check budget; the engine aborts ctx.signal after it (default: --timeout, 10 s). */
  timeoutMs?: number;
  /**
   * Run once per instance (databases, buckets). When a dependency has instances with the same
   * keys, this check's instance waits for (and is blocked by) the dependency's same-key instance.
   */
  instances?: (target: Target) => Instance[];
  /** For `explain`: what it checks, why it matters, how to fix typical failures (Markdown). */
  explain: { what: string; why: string; fix: string };
  /** Does this check create anything? Only probe objects under flyte-doctor/<run-id>/ are allowed. */
  writes?: 'none' | 'probe-object';
  /** Every finding run() can return, by messageId (see MessageSpec). */
  messages?: M;
  run(ctx: CheckContext): Promise<Outcome<Extract<keyof M, string>>>;
}

export interface Check extends CheckSpec<Messages> {
  readonly area: Area;
  readonly docsUrl: string;
}

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface CheckContext {
  readonly target: Target;
  readonly phase: Phase;
  /** This check's instance, when the check declares `instances`. */
  readonly instance: Instance | undefined;
  /** Fires at this check's timeout or on Ctrl-C/deadline. Pass it to every network call. */
  readonly signal: AbortSignal;
  /** Milliseconds left before `signal` fires because of the timeout (for gRPC deadlines, pg timeouts). */
  remainingMs(): number;
  readonly clock: Clock;
  /** Unique per run; probe objects live under `flyte-doctor/<runId>/`. */
  readonly runId: string;
  /** Result of a dependency (same instance key when both have instances). */
  result(id: string, instanceKey?: string): CheckResult | undefined;
  /**
   * Memoized per run by key (one client / one pool / one probe object per run). `close` runs once at
   * the end of the run (also on Ctrl-C). make() receives a signal that fires only when the run ends,
   * so a shared resource outlives the check that created it.
   */
  shared<T>(key: string, make: (runSignal: AbortSignal) => Promise<T>, close?: (value: T) => Promise<void> | void): Promise<T>;
  /**
   * Cleanup that must run even on failure/timeout/Ctrl-C (e.g. delete the probe object). `command`
   * is what a person runs to do it by hand: printed when the cleanup does not finish in time.
   */
  defer(label: string, cleanup: () => Promise<void>, o?: { command?: string }): void;
  /** Tell the redactor about a secret value learned at run time (e.g. a token read from a file). */
  addSecret(value: string | undefined): void;
  log(msg: string, data?: Json): void;
}

export interface CheckResult {
  id: string;
  area: Area;
  title: string;
  /** Instance key and label when the check runs per instance. */
  instance?: string;
  instanceLabel?: string;
  status: Status;
  message: string;
  hint?: string;
  messageId?: string;
  docsUrl: string;
  durationMs: number;
  /** For `skip` caused by a dependency: the id (and instance) that did not pass. */
  blockedBy?: string;
  details?: Record<string, Json>;
  /** The outcome's fault key (see Outcome.cause). */
  cause?: string;
  /** This result explains other non-passing results (they carry `explainedBy` = this node's key). */
  rootCause?: true;
  /** Node key (`id` or `id[instance]`) of the root cause this result is a consequence of. */
  explainedBy?: string;
  /** Where it ran: `local` (this machine) or `in-cluster/<namespace>/<serviceaccount>` (a pod: --in-cluster, the Job, the helm test). */
  ranAt?: string;
  /** Outcome.rootNotes, until markRootCauses applies them (removed there: reports never carry them). */
  rootNotes?: RootNote[];
}
