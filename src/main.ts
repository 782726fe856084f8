// The run flow behind the CLI: argv already parsed by src/cli.ts into a Request. Returns the exit
// code; never throws for user errors (UserError -> one line on stderr, exit 2).
import { PLACEHOLDER_CHECK } from './engine/needs.js';
import { accessSync, closeSync, constants, mkdirSync, openSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { builtinChecks } from '../checks/index.js';
import { plainValues } from './config/credentials.js';
import { loadTarget, type TargetInput } from './config/load.js';
import { fileKind, fsReason } from './config/read.js';
import type { Target } from './config/target.js';
import { UserError } from './errors.js';
import { EXIT, exitCodeFor, interruptExitCode, type FailOn } from './engine/exit-code.js';
import { plan as makePlan, validateRegistry, type Plan } from './engine/plan.js';
import { makeRedactor, redactReport, setProcessRedactor, type Redactor } from './engine/redact.js';
import { resultKey, rootCauseGroups } from './engine/causes.js';
import { newRunId, nodeKey, realClock, runChecks, summarize, type RunResult } from './engine/run.js';
import type { Check, CheckResult, Clock, Phase } from './engine/types.js';
import { targetFields } from './header.js';
import { loadPlugins, pluginSource } from './plugins.js';
import { getWriter, type WriterName } from '../reports/index.js';
import { createLiveReporter } from '../reports/live.js';
import { capText, escapeControls } from '../reports/text.js';
import { SCHEMA_VERSION, type Report } from '../reports/schema.js';
import { VERSION } from './version.js';
import { mark } from './engine/trace.js';
import { DEFAULT_IMAGE_REPOSITORY, placement } from './incluster/placement.js';
import type { LaunchResult } from './incluster/launcher.js';
import { mergeResults } from './incluster/merge.js';

export type OutputFormat = WriterName;

export interface RunRequest {
  command: Phase;
  input: Omit<TargetInput, 'env' | 'cwd' | 'home'>;
  only: string[];
  skip: string[];
  timeoutMs: number;
  deadlineMs?: number;
  concurrency: number;
  failOn: FailOn;
  output: OutputFormat;
  reports: { format: OutputFormat; path: string }[];
  color?: boolean;       // undefined = auto (TTY and no NO_COLOR)
  dryRun: boolean;
  waitMs?: number;
  plugins: string[];
  configFile?: string;
  verbose: boolean;
  /** --in-cluster (src/incluster/launcher.ts): also run the checks in a pod as Flyte's service account and merge its report. */
  inCluster?: { serviceAccount?: string; projectDomain?: string; image?: string; timeoutMs?: number };
}

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  home: string;
  clock?: Clock;
  /** Fires on Ctrl-C. */
  signal?: AbortSignal;
  /** When the command started (ms since the epoch; the CLI passes its process start): the stall bound counts from here. */
  startedAt?: number;
}

/** Every check the run knows: built-ins plus plugins (from --plugin and the config file). */
export async function allChecks(plugins: string[], configFile: string | undefined, io: Io): Promise<Check[]> {
  const extra = await loadPlugins(plugins, configFile, io.cwd);
  const builtin = new Set(builtinChecks.map((c) => c.id));
  const seen = new Map<string, string>();
  for (const c of extra) {
    const from = pluginSource.get(c) ?? 'a plugin';
    if (builtin.has(c.id)) throw new UserError(`${from}: check id "${c.id}" is a built-in check; expected an id of your own (e.g. myorg.${c.id.split('.')[0]}.mycheck)`);
    const other = seen.get(c.id);
    if (other) throw new UserError(`${from}: check id "${c.id}" is also defined by ${other}; expected each check id once`);
    seen.set(c.id, from);
  }
  const all = [...builtinChecks, ...extra];
  try {
    validateRegistry(all);
  } catch (e) {
    // A plugin's dependsOn (unknown id, other phases, a cycle) is bad input naming the plugin.
    const msg = (e as Error).message;
    const culprit = extra.find((c) => msg.includes(c.id));
    if (culprit || extra.length) throw new UserError(`${culprit ? pluginSource.get(culprit) : 'plugins'}: ${msg}; expected dependsOn to name existing checks of the same phases, without cycles`);
    throw e;
  }
  return all;
}

/** Words flyte-doctor itself prints (check titles, explanations, findings): see BASE_VOCABULARY in redact.ts. */
export function checkWords(checks: readonly Check[]): string[] {
  // one lower-casing and one split of all the text
  const texts: string[] = [];
  for (const c of checks) {
    texts.push(c.id, c.title, c.explain?.what ?? '', c.explain?.why ?? '', c.explain?.fix ?? '');
    for (const m of Object.values(c.messages ?? {})) texts.push(m.summary ?? '');
  }
  return [...new Set(texts.join(' ').toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length >= 4))].sort();
}

// The built-in checks' words, computed when the CLI is bundled (scripts/build.mjs): ~12 ms of
// splitting text on every run otherwise. From src/ (tests, tsx) they are computed here.
declare const __FLYTE_DOCTOR_VOCABULARY__: string | undefined;
const vocabularies = new WeakMap<readonly Check[], Set<string>>();
function vocabularyOf(checks: readonly Check[]): Set<string> {
  let v = vocabularies.get(checks);
  if (v) return v;
  const built = typeof __FLYTE_DOCTOR_VOCABULARY__ === 'string' ? __FLYTE_DOCTOR_VOCABULARY__.split(' ') : undefined;
  const builtin = new Set<Check>(builtinChecks);
  v = new Set([...(built ?? []), ...checkWords(built ? checks.filter((c) => !builtin.has(c)) : checks)]);
  vocabularies.set(checks, v);
  return v;
}

/** The run's redactor: the target's secrets and identifiers (live), never corrupting its non-secret values. */
export function redactorFor(target: Target, checks: readonly Check[] = builtinChecks): Redactor {
  return makeRedactor(target, { vocabulary: vocabularyOf(checks), plain: () => plainValues(target) });
}

export function colorFor(req: { color?: boolean; output: OutputFormat }, io: Pick<Io, 'stdout' | 'env'>): boolean {
  if (req.output !== 'pretty') return false;
  if (req.color !== undefined) return req.color;
  // no-color.org: NO_COLOR disables colour only when set to a non-empty value.
  return Boolean(io.stdout.isTTY) && !io.env.NO_COLOR && io.env.TERM !== 'dumb';
}

const ALLOWED_DEVICES = new Set(['/dev/stdout', '/dev/stderr', '/dev/null']);

/**
 * Every --report target is checked before the run: a directory, a path below a file, a device
 * (/dev/full), anything under /proc or /sys, an unwritable place, one of the run's own inputs, or
 * two reports to one file are exit 2 at once (not a crash or a spin found after the whole run).
 */
export function checkReportPaths(reports: RunRequest['reports'], cwd: string, inputs: readonly string[] = [], create = true): void {
  const seen = new Map<string, string>();
  const inputSet = new Set(inputs.map((i) => resolve(cwd, i)));
  for (const r of reports) {
    const flag = `--report ${r.format}=${r.path}`;
    const p = resolve(cwd, r.path);
    const fail = (why: string): never => { throw new UserError(`${flag}: ${why}; expected a writable file path`); };
    const other = seen.get(p);
    if (other) fail(`the same file as --report ${other}`);
    seen.set(p, `${r.format}=${r.path}`);
    if (ALLOWED_DEVICES.has(p)) continue;
    if (/^\/(proc|sys)(\/|$)/.test(p)) fail(`${p} is a kernel interface (/proc, /sys), not a file`);
    if (inputSet.has(p)) fail(`${r.path} is an input of this run and would be overwritten`);
    let st: Stats | undefined;
    try { st = statSync(p); } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR') fail(`a parent of ${p} is a file, not a directory`);
      if (code !== 'ENOENT') fail(`cannot use ${p}: ${fsReason(e)}`);
    }
    if (st) {
      if (st.isDirectory()) fail(`${r.path} is a directory`);
      if (!st.isFile()) fail(`${r.path} is ${fileKind(st)}, not a regular file`);
      // Opening for writing without truncating proves it is writable (also on a read-only mount).
      try { closeSync(openSync(p, constants.O_WRONLY | constants.O_NONBLOCK)); } catch (e) { fail(`cannot write ${p}: ${fsReason(e)}`); }
      continue;
    }
    const dir = dirname(p);
    if (!create) {
      // --dry-run writes nothing: the nearest existing ancestor must be a directory we may write in
      let up = dir;
      for (;;) {
        let ds: Stats | undefined;
        try { ds = statSync(up); } catch (e) { if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') fail(`a parent of ${p} is a file, not a directory`); }
        if (ds) {
          if (!ds.isDirectory()) fail(`a parent of ${p} is a file, not a directory`);
          try { accessSync(up, constants.W_OK); } catch (e) { fail(`cannot create ${up === dir ? p : dir}: ${fsReason(e)}`); }
          break;
        }
        const parent = dirname(up);
        if (parent === up) break;
        up = parent;
      }
      continue;
    }
    try { mkdirSync(dir, { recursive: true }); } catch (e) {
      fail((e as NodeJS.ErrnoException).code === 'ENOTDIR' || (e as NodeJS.ErrnoException).code === 'EEXIST' ? `a parent of ${p} is a file, not a directory` : `cannot create directory ${dir}: ${fsReason(e)}`);
    }
    try { accessSync(dir, constants.W_OK); closeSync(openSync(p, 'wx')); unlinkSync(p); } catch (e) { fail(`cannot create ${p}: ${fsReason(e)}`); }
  }
}

/** Writes the report files; a write that still fails is one line on stderr (returns false), never a crash. */
function writeReports(reports: RunRequest['reports'], cwd: string, render: (format: OutputFormat) => string, stderr: Io['stderr']): boolean {
  let ok = true;
  for (const r of reports) {
    try {
      writeFileSync(resolve(cwd, r.path), render(r.format));
    } catch (e) {
      ok = false;
      stderr.write(`flyte-doctor: --report ${r.format}=${r.path}: could not write the report: ${fsReason(e)}\n`);
    }
  }
  return ok;
}

const VERSION_KEYS: [RegExp, string][] = [[/^(flyte\.admin\.|ingress\.grpc\.admin$)/, 'flyteadmin'], [/^kubernetes\./, 'kubernetes'], [/^database\./, 'postgres']];

export function buildReport(o: { command: Phase; target: Target; run: RunResult; residue: string[]; exitCode: number }): Report {
  const versions: Record<string, string> = {};
  for (const r of o.run.results) {
    const v = r.details?.version ?? r.details?.gitVersion; // gitVersion: the Kubernetes /version field
    if (typeof v !== 'string' || r.status === 'skip') continue;
    const comp = typeof r.details?.component === 'string' ? r.details.component : VERSION_KEYS.find(([re]) => re.test(r.id))?.[1] ?? r.id;
    const key = r.instance && comp === 'postgres' ? `postgres (${r.instance})` : comp;
    versions[key] ??= v.replace(/ on \S+-linux.*$/, ''); // PostgreSQL's version() carries the build platform
  }
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'flyte-doctor', version: VERSION, node: process.version },
    runId: o.run.runId,
    command: o.command,
    startedAt: new Date(o.run.startedAt).toISOString(),
    finishedAt: new Date(o.run.finishedAt).toISOString(),
    durationMs: o.run.finishedAt - o.run.startedAt,
    target: {
      ...(o.target.chart ? { chart: o.target.chart } : {}),
      ...(o.target.chartSource ? { chartSource: o.target.chartSource } : {}),
      ...(o.target.chartName ? { chartName: o.target.chartName } : {}),
      ...(o.target.scope?.length ? { scope: o.target.scope } : {}),
      namespace: o.target.kubernetes.namespace,
      ...(o.target.kubernetes.context ? { kubeContext: o.target.kubernetes.context } : {}),
      inputs: o.target.inputs,
      fields: targetFields(o.target),
    },
    versions,
    summary: summarize(o.run.results),
    results: o.run.results,
    rootCauses: rootCauseGroups(o.run.results).map((g) => resultKey(g.root)),
    residue: o.residue,
    ...(o.run.interrupted ? { interrupted: o.run.interrupted } : {}),
    exitCode: o.exitCode,
  };
}

/** Residue: what a deferred cleanup could not undo (the probe cleanups confirm their prefix is empty and fail otherwise, naming the leftovers and the delete command). */
function residueOf(run: RunResult): string[] {
  return [...new Set(run.cleanupFailures.map((f) => `cleanup "${f.label}" (${f.checkId}) failed: ${f.error}`))];
}

export interface CleanupRunRequest {
  input: RunRequest['input'];
  olderThanMs: number;
  yes: boolean;
  output: 'pretty' | 'json';
  timeoutMs: number;
}

/**
 * `flyte-doctor cleanup`: probe prefixes (`flyte-doctor/<run-id>/`) that killed runs left in the
 * target's buckets, older than --older-than; listed, deleted only with --yes (src/cleanup.ts).
 * Everything it prints goes through the run's redactor.
 */
export async function cleanupRunCommand(req: CleanupRunRequest, io: Io): Promise<number> {
  const target = loadTarget({ ...req.input, env: io.env, cwd: io.cwd, home: io.home });
  const redact = redactorFor(target);
  setProcessRedactor(redact);
  const through = (s: NodeJS.WritableStream): NodeJS.WritableStream => Object.assign(Object.create(s) as NodeJS.WritableStream, {
    write: (chunk: unknown, ...rest: unknown[]) => (s.write as (...a: unknown[]) => boolean)(redact.structured(String(chunk)), ...rest),
  });
  const { cleanupCommand } = await import('./cleanup.js');
  return cleanupCommand({ target, olderThanMs: req.olderThanMs, yes: req.yes, output: req.output, timeoutMs: req.timeoutMs },
    { stdout: through(io.stdout), stderr: through(io.stderr), ...(io.signal ? { signal: io.signal } : {}), ...(io.clock ? { clock: io.clock } : {}) });
}

export async function runCommand(req: RunRequest, io: Io): Promise<number> {
  mark('arguments');
  const clock = io.clock ?? realClock;
  // The target first: its secrets are known before anything else can fail (a plugin error quoting one).
  const target = loadTarget({ ...req.input, env: io.env, cwd: io.cwd, home: io.home });
  mark('target');
  let redact = redactorFor(target);
  setProcessRedactor(redact);
  try {
    const checks = await allChecks(req.plugins, req.configFile, io);
    // Live: secrets a check registers at run time (ctx.addSecret) apply to everything printed after.
    redact = redactorFor(target, checks);
    setProcessRedactor(redact);
    mark('redactor');
    return await runLoaded(req, io, clock, checks, target, redact);
  } catch (e) {
    // Whatever ends the run early is printed by the CLI: it must not carry a secret either.
    if (e instanceof UserError) throw new UserError(redact(e.message));
    const err = e instanceof Error ? e : new Error(String(e));
    const safe = new Error(redact(err.message));
    if (err.stack) safe.stack = redact(err.stack);
    throw safe;
  }
}

async function runLoaded(req: RunRequest, io: Io, clock: Clock, checks: Check[], target: Target, redact: Redactor): Promise<number> {
  const plan = makePlan(checks, req.command, { only: req.only, skip: req.skip }, target);
  checkReportPaths(req.reports, io.cwd, target.inputs, !req.dryRun);
  const color = colorFor(req, io);

  if (req.dryRun) {
    io.stdout.write(redact.structured(renderDryRun(req, target, plan, color, redact)));
    return EXIT.ok;
  }

  const live = req.output === 'pretty' ? createLiveReporter(io.stdout, { color, isTTY: Boolean(io.stdout.isTTY) }) : undefined;
  live?.onPlan(plan.checks.map((p) => ({ id: p.check.id, title: p.check.title })));
  const runId = newRunId(clock);
  // --in-cluster: the pod runs beside the local checks (bounded by --in-cluster-timeout, cleaned up by the launcher).
  // `--skip kubernetes.incluster.pod` keeps only the preflight of the launcher (kubernetes.incluster.rbac).
  const podSkipped = req.skip.some((sel) => sel === 'kubernetes' || new RegExp(`^${sel.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test('kubernetes.incluster.pod'));
  const launch = req.inCluster && !podSkipped ? (await startInCluster(req, io, target, runId)).done : undefined;
  if (req.inCluster && podSkipped) setInClusterPlacement(req, target);
  const waitUntil = req.waitMs !== undefined ? clock.now() + req.waitMs : undefined;
  const deadlineAt = req.deadlineMs !== undefined ? clock.now() + req.deadlineMs : undefined;
  let run: RunResult;
  mark('plan');
  let carry: Map<string, CheckResult> | undefined;
  let attempt = 1;
  for (;;) {
    run = await runChecks({
      target, plan, timeoutMs: req.timeoutMs, concurrency: req.concurrency, clock, runId,
      ...(deadlineAt !== undefined ? { deadlineAt } : {}), ...(io.signal ? { signal: io.signal } : {}), ...(carry ? { carry } : {}),
      ...(attempt === 1 && io.startedAt !== undefined && !io.clock ? { origin: io.startedAt } : {}),
      // the status line (a terminal only) shows ids, instance keys and statuses: nothing else of a
      // result is redacted for it (a whole-result redaction per check cost ~15 ms of a verify)
      ...(live?.active ? {
        onStart: (id: string, inst?: string) => live.onStart(id, inst === undefined ? inst : redact(inst)),
        onResult: (r: CheckResult) => live.onResult({ id: r.id, area: r.area, title: r.title, status: r.status, message: '', docsUrl: r.docsUrl, durationMs: r.durationMs, ...(r.instance !== undefined ? { instance: redact(r.instance) } : {}) }),
      } : {}),
      ...(req.verbose ? { log: (id: string, msg: string, data?: unknown) => io.stderr.write(`${escapeControls(capText(redact(`[${id}] ${msg}${data === undefined ? '' : ` ${safeJson(data)}`}`)))}\n`) } : {}),
    });
    const failing = run.results.filter((r) => r.status === 'fail' || r.status === 'error' || (r.status === 'skip' && r.blockedBy));
    if (waitUntil === undefined || run.interrupted || !failing.length || clock.now() >= waitUntil || io.signal?.aborted) break;
    const first = failing.find((r) => r.status !== 'skip') ?? failing[0]!;
    live?.onWaiting(failing.map((r) => nodeKey(r.id, r.instance)), attempt, redact(`${nodeKey(first.id, first.instance)}: ${first.message}`));
    // the next attempt would end past --wait: this attempt's findings are the answer
    if (clock.now() + (run.finishedAt - run.startedAt) > waitUntil) break;
    if (!live) io.stderr.write(escapeControls(capText(redact(`waiting (attempt ${attempt}): ${failing.length} check(s) not passing; ${nodeKey(first.id, first.instance)}: ${first.message}`))).replace(/\r\n|\r|\n/g, ' ') + '\n');
    await clock.sleep(Math.min(5000, Math.max(0, waitUntil - clock.now())), io.signal);
    if (io.signal?.aborted) break;
    carry = new Map(run.results.map((r) => [nodeKey(r.id, r.instance), r]));
    attempt++;
  }
  live?.finish();
  mark('checks');

  const ranAt = target.runtime?.ranAt ?? 'local';
  for (const r of run.results) r.ranAt ??= ranAt;
  const launched = launch ? await launch : undefined;
  if (launched) run = { ...run, results: mergeLaunch(run.results, launched, checks) };
  // a signal while the local checks were done and the pod still ran: the run was interrupted all the same
  if (launched && io.signal?.aborted && !run.interrupted) run = { ...run, interrupted: 'interrupted' };
  const residue = [...residueOf(run), ...(launched?.residue ?? [])];
  const summary = summarize(run.results);
  const signalled = Boolean(run.interrupted && io.signal?.aborted);
  let exitCode = exitCodeFor(summary, req.failOn, signalled ? interruptExitCode(io.signal?.reason) : false);
  if (exitCode === EXIT.ok && residue.length) exitCode = EXIT.incomplete;
  const report = redactReport(buildReport({ command: req.command, target, run, residue, exitCode }), redact);
  const opts = { color, width: io.stdout.columns ?? 100, verbose: req.verbose };
  // The structured pass again over the rendered text: a long secret in any form never gets out.
  const render = (format: OutputFormat, o = opts) => redact.structured(getWriter(format).render(report, o));
  // In a pod started by --in-cluster: the report goes to the launcher's ConfigMap too (logs truncate).
  if (target.inCluster && io.env['FLYTE_DOCTOR_REPORT_CONFIGMAP']) {
    // the pod side of --in-cluster (its API client, zlib) is loaded only in the pod
    const { reportSinkName, writePodReport } = await import('./incluster/sink.js');
    const failed = reportSinkName(io.env) === undefined ? undefined : await writePodReport(target, render('json', { ...opts, color: false }), io.env);
    if (failed) { io.stderr.write(`flyte-doctor: ${redact(failed)}\n`); if (exitCode === EXIT.ok) exitCode = EXIT.incomplete; }
  }
  const text = render(req.output);
  mark('report');
  io.stdout.write(text);
  const written = writeReports(req.reports, io.cwd, (f) => render(f, { ...opts, color: false }), io.stderr);
  if (!written && !signalled) exitCode = EXIT.usage;
  return exitCode;
}

/** Starts the launcher (it never throws: every failure is its outcome); the target learns where the pod runs. */
async function startInCluster(req: RunRequest, io: Io, target: Target, runId: string): Promise<{ done: Promise<LaunchResult> }> {
  const { launchInCluster, DEFAULT_IN_CLUSTER_TIMEOUT_MS } = await import('./incluster/launcher.js');
  const ic = req.inCluster!;
  const { where, image } = setInClusterPlacement(req, target, placement, DEFAULT_IMAGE_REPOSITORY);
  // (wrapped: an async function returning the launch's promise would make its caller wait for the whole pod run)
  return { done: launchInCluster({
    command: req.command, target, input: req.input, only: req.only, skip: req.skip, checkTimeoutMs: req.timeoutMs,
    ...(ic.serviceAccount ? { serviceAccount: ic.serviceAccount } : {}), ...(ic.projectDomain ? { projectDomain: ic.projectDomain } : {}),
    image, timeoutMs: ic.timeoutMs ?? DEFAULT_IN_CLUSTER_TIMEOUT_MS, runId, env: io.env, cwd: io.cwd, ...(io.signal ? { signal: io.signal } : {}),
    ...(io.env['FLYTE_DOCTOR_IN_CLUSTER_POLL_MS'] ? { pollMs: Number(io.env['FLYTE_DOCTOR_IN_CLUSTER_POLL_MS']) } : {}),
    ...(req.waitMs !== undefined ? { waitMs: req.waitMs } : {}),
  }).catch((e): LaunchResult => ({
    outcome: { status: 'error', messageId: 'apiFailed', message: `the in-cluster run failed: ${(e as Error)?.message ?? String(e)}`, hint: 'set FLYTE_DOCTOR_DEBUG=1 and report it', details: {} },
    ranAt: `in-cluster/${where.namespace}/${where.serviceAccount}`, created: [], residue: [], durationMs: 0,
  })) };
}

/** target.inClusterLaunch: where the pod runs, as whom, which image (kubernetes.incluster.rbac reads it). */
function setInClusterPlacement(req: RunRequest, target: Target, place: typeof placement = placement, repo = DEFAULT_IMAGE_REPOSITORY) {
  const ic = req.inCluster!;
  const where = place(target, ic);
  const image = ic.image ?? `${repo}:${VERSION}`;
  target.inClusterLaunch = { namespace: where.namespace, serviceAccount: where.serviceAccount, image };
  target.provenance['inClusterLaunch.namespace'] = ic.projectDomain ? '--project-domain' : target.provenance['kubernetes.namespace'] ?? 'default';
  target.provenance['inClusterLaunch.serviceAccount'] = where.why;
  target.provenance['inClusterLaunch.image'] = ic.image ? '--in-cluster-image' : 'default';
  return { where, image };
}

/** The launcher's outcome as kubernetes.incluster.pod's result, and the pod's results merged (src/incluster/merge.ts). */
function mergeLaunch(local: CheckResult[], l: LaunchResult, checks: readonly Check[]): CheckResult[] {
  const podCheck = checks.find((c) => c.id === 'kubernetes.incluster.pod');
  const own: CheckResult[] = podCheck ? [{
    id: podCheck.id, area: podCheck.area, title: podCheck.title, docsUrl: podCheck.docsUrl, durationMs: l.durationMs,
    status: l.outcome.status, messageId: l.outcome.messageId, message: l.outcome.message,
    ...(l.outcome.hint ? { hint: l.outcome.hint } : {}), details: { ...l.outcome.details, created: l.created }, ...(l.outcome.cause ? { cause: l.outcome.cause } : {}), ranAt: 'local',
  }] : [];
  const rest = local.filter((r) => r.id !== 'kubernetes.incluster.pod');
  return mergeResults([...rest, ...own], l.report?.results ?? [], l.ranAt, checks);
}

function safeJson(v: unknown): string {
  try { return JSON.stringify(v) ?? ''; } catch { return String(v); }
}

function renderDryRun(req: RunRequest, target: Target, plan: Plan, color: boolean, redact: Redactor): string {
  const fields = redactReport(targetFields(target), redact);
  const steps = plan.checks.map((p) => ({
    id: p.check.id, title: p.check.title,
    action: p.skip ? 'skip' : 'run',
    reason: p.skip ?? (p.reason === 'dependency' ? 'needed by a selected check' : 'selected'),
    ...(p.check.dependsOn?.length ? { dependsOn: [...p.check.dependsOn] } : {}),
    ...(p.check.instances && !p.skip ? { instances: p.check.instances(target).map((i) => i.key) } : {}),
    ...(p.placeholders && !p.skip ? { blockedBy: PLACEHOLDER_CHECK } : {}),
  }));
  const placeholders = (target.placeholders ?? []).map((ph) => ({ key: ph.key, origin: ph.origin, value: ph.shown, kind: ph.kind, usedBy: ph.fields, ...(ph.why ? { why: ph.why } : {}) }));
  if (req.output === 'json') {
    return JSON.stringify({
      schemaVersion: SCHEMA_VERSION, dryRun: true, command: req.command,
      target: { chart: target.chart ?? null, chartName: target.chartName ?? null, chartSource: target.chartSource ?? null, scope: target.scope ?? [], namespace: target.kubernetes.namespace, inputs: target.inputs, fields, placeholders: redactReport(placeholders, redact) },
      plan: steps,
    }, null, 2) + '\n';
  }
  const b = (s: string) => (color ? `\x1b[1m${s}\x1b[0m` : s);
  const lines = [b(`flyte-doctor ${req.command} --dry-run`), '', b('Target (what would be checked)')];
  lines.push(`  chart: ${target.chartName && target.chartName !== target.chart ? `${target.chartName}${target.chart ? ` (${target.chart} subchart)` : ''}` : target.chart ?? 'unknown'}${target.chartSource ? `  (${target.chartSource})` : ''}`);
  for (const l of target.scope ?? []) lines.push(`  scope: ${l}`);
  lines.push(`  inputs: ${target.inputs.length ? target.inputs.join(', ') : '(none)'}`);
  const w = Math.min(40, Math.max(...fields.map((f) => f.field.length), 5));
  for (const f of fields) lines.push(`  ${f.field.padEnd(w)}  ${f.value}  [${f.source}]`);
  if (placeholders.length) {
    lines.push('', b(`Placeholders (${PLACEHOLDER_CHECK} fails; the probes that would use them are blocked)`));
    for (const ph of redactReport(placeholders, redact)) lines.push(`  ${ph.key} = ${ph.value}  [${ph.origin}]${ph.usedBy.length ? `  used by ${ph.usedBy.join(', ')}` : ''}`);
  }
  lines.push('', b(`Plan: ${steps.filter((s) => s.action === 'run').length} to run, ${steps.filter((s) => s.action === 'skip').length} to skip`));
  for (const s of steps) lines.push(`  ${s.action === 'run' ? 'run ' : 'skip'}  ${s.id}${s.instances ? ` [${s.instances.join(', ')}]` : ''}  ${s.action === 'skip' || s.reason !== 'selected' ? `(${s.reason})` : ''}${s.blockedBy ? ` (blocked by ${s.blockedBy}: a placeholder)` : ''}`.trimEnd());
  lines.push('', 'Nothing was contacted (dry run).', '');
  return lines.join('\n');
}

export async function listCommand(o: { output: 'pretty' | 'json'; plugins: string[]; configFile?: string }, io: Io): Promise<number> {
  const checks = (await allChecks(o.plugins, o.configFile, io)).sort((a, b) => (a.area === b.area ? (a.id < b.id ? -1 : 1) : a.area < b.area ? -1 : 1));
  if (o.output === 'json') {
    io.stdout.write(JSON.stringify(checks.map((c) => ({ id: c.id, area: c.area, phases: c.phases, title: c.title, dependsOn: c.dependsOn ?? [], docsUrl: c.docsUrl })), null, 2) + '\n');
    return EXIT.ok;
  }
  const w = Math.max(...checks.map((c) => c.id.length), 2);
  io.stdout.write(`${'ID'.padEnd(w)}  ${'AREA'.padEnd(10)}  ${'PHASES'.padEnd(17)}  TITLE\n`);
  for (const c of checks) io.stdout.write(`${c.id.padEnd(w)}  ${c.area.padEnd(10)}  ${c.phases.join(',').padEnd(17)}  ${c.title}\n`);
  return EXIT.ok;
}

export async function explainCommand(o: { id: string; plugins: string[]; configFile?: string }, io: Io): Promise<number> {
  const checks = await allChecks(o.plugins, o.configFile, io);
  const c = checks.find((x) => x.id === o.id);
  if (!c) {
    const near = checks.filter((x) => x.id.startsWith(o.id.split('.')[0] ?? '')).map((x) => x.id).slice(0, 5);
    throw new UserError(`explain ${o.id}: unknown check id; expected one of \`flyte-doctor list\`${near.length ? ` (e.g. ${near.join(', ')})` : ''}`);
  }
  io.stdout.write([
    `${c.id} — ${c.title}`, '',
    `Area: ${c.area}    Phases: ${c.phases.join(', ')}${c.dependsOn?.length ? `    Depends on: ${c.dependsOn.join(', ')}` : ''}`, '',
    'What it checks', indent(c.explain.what), '',
    'Why it matters', indent(c.explain.why), '',
    'How to fix typical failures', indent(c.explain.fix), '',
    `Docs: ${c.docsUrl}`, '',
  ].join('\n'));
  return EXIT.ok;
}

const indent = (s: string) => s.trim().split('\n').map((l) => `  ${l}`).join('\n');
