#!/usr/bin/env node
// yargs only: argv -> a request for src/main.ts. Bad input (UserError, yargs usage errors) is one
// line on stderr and exit 2; never a stack trace. Internal errors exit 4.
import { homedir } from 'node:os';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { builtinChecks } from '../checks/index.js';
import { UserError } from './errors.js';
import { Credentials, collectEnv } from './config/credentials.js';
import { parseDuration } from './duration.js';
import { EXIT, SIGNAL_EXIT } from './engine/exit-code.js';
import { makeRedactor, redactStream, setProcessRedactor } from './engine/redact.js';
import { pendingCleanups } from './engine/run.js';
import { pendingInCluster } from './incluster/placement.js';
import { cleanupRunCommand, explainCommand, listCommand, runCommand, type Io, type OutputFormat, type RunRequest } from './main.js';
import { VERSION } from './version.js';
import { lastSpans, mark, peakRss, phases } from './engine/trace.js';

const FORMATS: readonly OutputFormat[] = ['pretty', 'json', 'junit', 'markdown'];

// (lines under 80 characters: yargs re-wraps longer ones at the terminal's width, mid-sentence)
const EPILOG = `Exit codes:
  0    nothing at or above the --fail-on level
  1    a check failed (or warned, with --fail-on warn)
  2    bad input or usage (a file, a flag, a values key)
  3    no failure, but some checks could not run (error/timeout),
       or a probe object was left behind
  4    internal error
  129  hang-up (SIGHUP), 130 interrupted (Ctrl-C), 143 terminated (SIGTERM):
       probe objects are cleaned up and the reports hold what finished
cleanup: 0 nothing stale is left, 1 stale probe prefixes listed (delete
  with --yes), 3 some could not be listed or deleted

Docs: README.md and docs/checks.md in the installed package
($(npm root -g)/flyte-doctor/); flyte-doctor explain <id> for one check`;

/**
 * Shell completion (`flyte-doctor completion` prints the script; the shell calls back with
 * `--get-yargs-completions <words>`): check ids after `explain`, check ids and areas after
 * `--only`/`--skip` (also after a comma of a list); undefined leaves the rest to yargs (commands,
 * options, choices).
 */
export function completeCheckWords(words: readonly string[]): string[] | undefined {
  const current = words[words.length - 1] ?? '';
  const prev = words[words.length - 2];
  const ids = builtinChecks.map((c) => c.id).sort();
  if (prev === 'explain' && !current.startsWith('-')) return ids.filter((id) => id.startsWith(current));
  if (prev !== '--only' && prev !== '--skip') return undefined;
  const head = current.slice(0, current.lastIndexOf(',') + 1);
  const areas = [...new Set(builtinChecks.map((c) => c.area))].sort().map((a) => `${a}.*`);
  return [...areas, ...ids].filter((w) => w.startsWith(current.slice(head.length))).map((w) => head + w);
}

function splitList(v: unknown): string[] {
  const arr = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return arr.flatMap((x) => String(x).split(',')).map((s) => s.trim()).filter((s) => s.length > 0 || false);
}

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, '; ').trim();

function rawList(v: unknown): string[] {
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).map(String);
}

/**
 * `~/x` -> `<home>/x`: the shell expands a leading ~ only at the start of a word (and bash after
 * `word=`), so `--kubeconfig=~/.kube/config` or, in zsh, `--report junit=~/out.xml` arrive as
 * written; read literally they name a file under a directory called `~` in the working directory
 * (a report would even create that directory).
 */
export function expandHome(p: string, home: string): string {
  return p === '~' ? home : p.startsWith('~/') ? `${home.replace(/\/+$/, '')}/${p.slice(2)}` : p;
}

function parseReport(spec: string, home = ''): { format: OutputFormat; path: string } {
  const i = spec.indexOf('=');
  const format = (i > 0 ? spec.slice(0, i) : '') as OutputFormat;
  const path = i > 0 ? (home ? expandHome(spec.slice(i + 1), home) : spec.slice(i + 1)) : '';
  if (i <= 0 || !path) throw new UserError(`--report ${spec}: expected FORMAT=PATH, e.g. junit=out.xml`);
  if (!FORMATS.includes(format)) throw new UserError(`--report ${spec}: unknown format "${format}"; expected one of ${FORMATS.join(', ')}`);
  return { format, path };
}

/** What the user typed after `flag` (yargs turns a non-number into NaN for a number option). */
let currentArgv: readonly string[] = [];
function rawArg(flag: string): string {
  const argv = currentArgv;
  for (let i = argv.length - 1; i >= 0; i--) {
    if (argv[i] === flag && i + 1 < argv.length) return argv[i + 1]!;
    if (argv[i]!.startsWith(`${flag}=`)) return argv[i]!.slice(flag.length + 1);
  }
  return 'NaN';
}

function intFlag(flag: string, v: unknown, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UserError(`${flag} ${JSON.stringify(v)}: expected a whole number from ${min} to ${max}`);
  return n;
}

/** Options that take a value: `--timeout -1s` must reach the option (yargs would read `-1s` as flags). */
const VALUE_OPTIONS = new Set(['--values', '-f', '--server-config', '--manifests', '--set', '--chart', '--flytectl-config', '--kubeconfig', '--context', '--namespace', '-n', '--endpoint',
  '--dns-server', '--only', '--skip', '--timeout', '--deadline', '--concurrency', '--fail-on', '--output', '-o', '--report', '--plugin', '--config', '--wait', '--older-than',
  '--service-account', '--project-domain', '--in-cluster-image', '--in-cluster-timeout', '--data-plane']);

/** Short flags yargs knows: anything else after a value option is that option's value. */
const SHORT_FLAGS = new Set(['-f', '-n', '-o', '-h']);

/**
 * `--timeout -1s` -> `--timeout=-1s` (and `--namespace -x` -> `--namespace=-x`): a value that starts
 * with one dash reaches its option, so it is reported as one clear line naming the option instead
 * of yargs' "Unknown arguments: 1, s".
 */
export function joinNegativeValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    // `-` (stdin, e.g. --manifests -) is a value too; yargs would read a lone `-` as a positional.
    if (VALUE_OPTIONS.has(a) && next !== undefined && (next === '-' || /^-[^-]/.test(next)) && !SHORT_FLAGS.has(next)) { out.push(`${a}=${next}`); i++; continue; }
    out.push(a);
  }
  return out;
}

function targetOptions(y: Argv) {
  return y
    .option('values', { alias: 'f', type: 'string', array: true, describe: 'Helm values file (repeatable, merged in order like helm; - for standard input)' })
    .option('set', { type: 'string', array: true, describe: 'Set a values key, helm style: key=value (repeatable)' })
    .option('server-config', { type: 'string', array: true, describe: 'Flyte server config file (flyteadmin, datacatalog, propeller or single binary; repeatable, merged in order): what the servers read' })
    .option('manifests', { type: 'string', describe: 'Rendered manifests: a file, a directory, or - for stdin (helm template ... | flyte-doctor preflight --manifests -)' })
    .option('chart', { type: 'string', describe: 'Chart: flyte-binary or flyte-core (auto-detected from the values when absent)' })
    .option('flytectl-config', { type: 'string', describe: 'flytectl/flytekit config (default $FLYTECTL_CONFIG, then ~/.flyte/config.yaml)' })
    .option('kubeconfig', { type: 'string', describe: 'kubeconfig file (default $KUBECONFIG, then ~/.kube/config)' })
    .option('context', { type: 'string', describe: 'kubeconfig context (default: current-context)' })
    .option('namespace', { alias: 'n', type: 'string', describe: 'Flyte namespace (default flyte)' })
    .option('endpoint', { type: 'string', describe: 'Flyte admin endpoint override, e.g. dns:///flyte.example.com or flyte.example.com:443' })
    .option('dns-server', { type: 'string', describe: 'Resolver for DNS checks and connections, host:port (default: the system resolver)' })
    .option('only', { type: 'string', array: true, describe: 'Run only these checks: ids, areas or globs like storage.* (repeatable, comma-separated)' })
    .option('skip', { type: 'string', array: true, describe: 'Skip these checks: ids, areas or globs (repeatable, comma-separated)' })
    .option('timeout', { type: 'string', default: '10s', describe: 'Per-check timeout' })
    .option('deadline', { type: 'string', describe: 'Timeout for the whole run, e.g. 2m' })
    .option('concurrency', { type: 'number', default: 32, describe: 'Checks run at once (they mostly wait on the network)' })
    .option('fail-on', { type: 'string', choices: ['warn', 'fail'], default: 'fail', describe: 'Lowest status that makes the exit code 1' })
    .option('output', { alias: 'o', type: 'string', choices: FORMATS as string[], default: 'pretty', describe: 'Format on stdout (json, junit, markdown keep stdout clean)' })
    .option('report', { type: 'string', array: true, describe: 'Also write a report: FORMAT=PATH (repeatable), e.g. junit=out.xml' })
    .option('color', { type: 'boolean', describe: 'Colour in the terminal view (--no-color to disable; NO_COLOR is respected)' })
    .option('dry-run', { type: 'boolean', default: false, describe: 'Resolve the target and print it with provenance and the plan, without touching the network' })
    .option('plugin', { type: 'string', array: true, describe: 'Load user checks from a module (repeatable)' })
    .option('config', { type: 'string', describe: 'flyte-doctor config file with a plugins: list (default ./flyte-doctor.yaml when present)' })
    .option('verbose', { type: 'boolean', default: false, describe: 'Log what each check does (redacted) to stderr' })
    .option('data-plane', { type: 'string', array: true, describe: 'Multi-cluster flyte-core: check data plane NAME through kubeconfig context CONTEXT: NAME=CONTEXT (repeatable)' })
    .option('in-cluster', { type: 'boolean', default: false, describe: 'Also run the checks in a pod (a Job in the Flyte namespace) as Flyte\'s service account, and merge its report' })
    .option('service-account', { type: 'string', describe: 'With --in-cluster: the service account the pod runs as (default: the chart\'s: flyte-binary\'s account, flyte-core\'s flyteadmin)' })
    .option('project-domain', { type: 'string', describe: 'With --in-cluster: run in namespace PROJECT-DOMAIN as its default service account (the task pods\' identity), e.g. flytesnacks-development' })
    .option('in-cluster-image', { type: 'string', describe: `With --in-cluster: the flyte-doctor image the pod runs (default flyte-doctor:${VERSION}; build it from deploy/Dockerfile)` })
    .option('in-cluster-timeout', { type: 'string', describe: 'With --in-cluster: how long to wait for the pod and its report (default 5m)' });
}

function toRequest(command: 'preflight' | 'verify', a: Record<string, unknown>, home: string): RunRequest {
  const PATHS = ['flytectl-config', 'kubeconfig', 'config', 'manifests'];
  const str = (k: string) => (a[k] === undefined ? undefined : PATHS.includes(k) ? expandHome(String(a[k]), home) : String(a[k]));
  const paths = (v: unknown) => rawList(v).map((p) => expandHome(p, home));
  for (const k of ['chart', 'flytectl-config', 'kubeconfig', 'context', 'namespace', 'endpoint', 'dns-server', 'timeout', 'deadline', 'config', 'wait', 'manifests', 'service-account', 'project-domain', 'in-cluster-image', 'in-cluster-timeout']) {
    if (Array.isArray(a[k])) throw new UserError(`--${k}: given more than once; expected a single value`);
    if (a[k] === '') throw new UserError(`--${k}: empty value; expected a value`);
  }
  // A repeatable option given without a value (`-f` at the end of the line): yargs makes it an empty list.
  const EXPECTS: Record<string, string> = { values: 'a values file', set: 'key=value', 'server-config': 'a Flyte server config file', only: 'a check id, area or glob', skip: 'a check id, area or glob', report: 'FORMAT=PATH, e.g. junit=out.xml', plugin: 'a module path', 'data-plane': 'NAME=CONTEXT' };
  for (const [k, what] of Object.entries(EXPECTS)) {
    if (Array.isArray(a[k]) && (a[k] as unknown[]).length === 0) throw new UserError(`--${k}: no value given; expected ${what}`);
  }
  const chart = str('chart');
  if (chart !== undefined && chart !== 'flyte-binary' && chart !== 'flyte-core') throw new UserError(`--chart ${chart}: expected flyte-binary or flyte-core`);
  const input: RunRequest['input'] = {
    values: paths(a.values), set: rawList(a.set),
    ...(rawList(a['server-config']).length ? { serverConfigs: paths(a['server-config']) } : {}),
    ...(str('manifests') !== undefined ? { manifests: str('manifests')! } : {}),
    ...(chart ? { chart } : {}),
    ...(str('flytectl-config') ? { flytectlConfig: str('flytectl-config')! } : {}),
    ...(str('kubeconfig') ? { kubeconfig: str('kubeconfig')! } : {}),
    ...(str('context') ? { context: str('context')! } : {}),
    ...(str('namespace') ? { namespace: str('namespace')! } : {}),
    ...(str('endpoint') ? { endpoint: str('endpoint')! } : {}),
    ...(str('dns-server') ? { dnsServer: str('dns-server')! } : {}),
    ...(rawList(a['data-plane']).length ? { dataPlanes: rawList(a['data-plane']) } : {}),
  };
  return {
    command, input,
    only: splitList(a.only), skip: splitList(a.skip),
    timeoutMs: parseDuration('--timeout', String(a.timeout ?? '10s')),
    ...(a.deadline !== undefined ? { deadlineMs: parseDuration('--deadline', String(a.deadline)) } : {}),
    concurrency: intFlag('--concurrency', Number.isNaN(a.concurrency) ? rawArg('--concurrency') : a.concurrency, 1, 1024),
    failOn: a['fail-on'] as 'warn' | 'fail',
    output: a.output as OutputFormat,
    reports: rawList(a.report).map((r) => parseReport(r, home)),
    ...(typeof a.color === 'boolean' ? { color: a.color } : {}),
    dryRun: Boolean(a['dry-run']),
    ...(a.wait !== undefined ? { waitMs: parseDuration('--wait', String(a.wait)) } : {}),
    plugins: paths(a.plugin),
    ...(str('config') ? { configFile: str('config')! } : {}),
    verbose: Boolean(a.verbose),
    ...inClusterRequest(a),
  };
}

const K8S_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** --in-cluster and its options (each of them without --in-cluster is a usage error, not silently ignored). */
function inClusterRequest(a: Record<string, unknown>): Pick<RunRequest, 'inCluster'> {
  const str = (k: string) => (a[k] === undefined ? undefined : String(a[k]));
  const given = ['service-account', 'project-domain', 'in-cluster-image', 'in-cluster-timeout'].filter((k) => a[k] !== undefined);
  if (!a['in-cluster']) {
    if (given.length) throw new UserError(`--${given[0]}: only with --in-cluster; add --in-cluster or remove it`);
    return {};
  }
  if (a['dry-run']) throw new UserError('--in-cluster with --dry-run: a dry run contacts nothing; remove one of them');
  const sa = str('service-account'), pd = str('project-domain'), image = str('in-cluster-image');
  if (sa !== undefined && (!K8S_NAME.test(sa) || sa.length > 253)) throw new UserError(`--service-account ${sa}: expected a service account name (lowercase letters, digits and '-')`);
  if (pd !== undefined && (!K8S_NAME.test(pd) || pd.length > 63 || !pd.includes('-'))) throw new UserError(`--project-domain ${pd}: expected PROJECT-DOMAIN, the namespace Flyte gives a project's domain (e.g. flytesnacks-development)`);
  if (image !== undefined && /\s/.test(image)) throw new UserError(`--in-cluster-image ${image}: expected an image reference (registry/name:tag), without spaces`);
  const timeoutMs = a['in-cluster-timeout'] !== undefined ? parseDuration('--in-cluster-timeout', String(a['in-cluster-timeout'])) : undefined;
  return { inCluster: { ...(sa ? { serviceAccount: sa } : {}), ...(pd ? { projectDomain: pd } : {}), ...(image ? { image } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) } };
}

export async function cli(argv: string[], io: Io): Promise<number> {
  currentArgv = argv;
  let code: number = EXIT.ok;
  // Lines printed before a target is loaded (bad flags, loader errors, internal errors) are redacted
  // with the environment's credentials; the loader and the run redact with everything they know.
  const envCreds = new Credentials();
  collectEnv(io.env, envCreds);
  const redact = makeRedactor({ secrets: [...envCreds.secrets], identifiers: [...envCreds.identifiers] });
  setProcessRedactor(redact);
  const parser = yargs(joinNegativeValues(argv))
    .scriptName('flyte-doctor')
    .usage('$0 <command> [options]\n\nChecks a Flyte deployment target and says what is wrong and how to fix it.')
    .command('preflight', 'Check the target before installing Flyte', (y) => targetOptions(y), async (a) => { code = await runCommand(toRequest('preflight', a, io.home), io); })
    .command('verify', 'Check a Flyte install (post-install smoke test)', (y) => targetOptions(y).option('wait', { type: 'string', describe: 'Re-run failing checks until all pass or this time is up, e.g. 5m' }), async (a) => { code = await runCommand(toRequest('verify', a, io.home), io); })
    .command('list', 'List every check: id, area, phases, title', (y) => y
      .option('output', { alias: 'o', type: 'string', choices: ['pretty', 'json'], default: 'pretty' })
      .option('plugin', { type: 'string', array: true }).option('config', { type: 'string' }),
      async (a) => { code = await listCommand({ output: a.output as 'pretty' | 'json', plugins: rawList(a.plugin).map((p) => expandHome(p, io.home)), ...(a.config ? { configFile: expandHome(a.config, io.home) } : {}) }, io); })
    .command('explain <id>', 'What a check checks, why it matters, how to fix typical failures', (y) => y
      .positional('id', { type: 'string', demandOption: true })
      .option('plugin', { type: 'string', array: true }).option('config', { type: 'string' }),
      async (a) => { code = await explainCommand({ id: String(a.id), plugins: rawList(a.plugin).map((p) => expandHome(p, io.home)), ...(a.config ? { configFile: expandHome(a.config, io.home) } : {}) }, io); })
    .command('cleanup', 'Find probe objects (flyte-doctor/<run-id>/) that killed runs left in the buckets; delete them with --yes', (y) => y
      .option('values', { alias: 'f', type: 'string', array: true, describe: 'Helm values file (repeatable): the buckets and credentials to use' })
      .option('set', { type: 'string', array: true, describe: 'Set a values key, helm style: key=value (repeatable)' })
      .option('chart', { type: 'string', describe: 'Chart: flyte-binary or flyte-core (auto-detected from the values when absent)' })
      .option('namespace', { alias: 'n', type: 'string', describe: 'Flyte namespace (default flyte)' })
      .option('dns-server', { type: 'string', describe: 'Resolver for connections, host:port (default: the system resolver)' })
      .option('older-than', { type: 'string', default: '1h', describe: 'Only runs that started longer ago (a run in progress is never touched)' })
      .option('yes', { type: 'boolean', default: false, describe: 'Delete them (default: list only)' })
      .option('timeout', { type: 'string', default: '10s', describe: 'Per-request timeout' })
      .option('output', { alias: 'o', type: 'string', choices: ['pretty', 'json'], default: 'pretty' }),
      async (a) => {
        const chart = a.chart === undefined ? undefined : String(a.chart);
        if (chart !== undefined && chart !== 'flyte-binary' && chart !== 'flyte-core') throw new UserError(`--chart ${chart}: expected flyte-binary or flyte-core`);
        code = await cleanupRunCommand({
          input: { values: rawList(a.values).map((p) => expandHome(p, io.home)), set: rawList(a.set), ...(chart ? { chart } : {}), ...(a.namespace ? { namespace: String(a.namespace) } : {}), ...(a['dns-server'] ? { dnsServer: String(a['dns-server']) } : {}) },
          olderThanMs: parseDuration('--older-than', String(a['older-than'])), yes: Boolean(a.yes), output: a.output as 'pretty' | 'json',
          timeoutMs: parseDuration('--timeout', String(a.timeout)),
        }, io);
      })
    .completion('completion', 'Print a shell completion script (bash; zsh when $SHELL is zsh), e.g. flyte-doctor completion >> ~/.bashrc', (_current: string, _a: unknown, defaults: () => unknown, done: (completions: string[]) => void) => {
      const ids = completeCheckWords(argv.slice(argv.indexOf('--get-yargs-completions') + 1));
      if (ids) done(ids); else defaults(); // yargs' own: commands, options, choices
    })
    .example('$0 preflight -f values.yaml --flytectl-config ~/.flyte/config.yaml', 'before installing: the values you will install with and your client config')
    .example('$0 preflight -f values.yaml --only database,storage', 'only the database and object store checks (areas, ids or globs like storage.s3.*)')
    .example('$0 preflight -f values.yaml --dry-run', 'the resolved target (where each value came from) and the plan; contacts nothing')
    .example('$0 verify -f values.yaml --wait 5m --report junit=flyte-doctor.xml', 'after installing (e.g. in CI): wait until healthy, also write a JUnit report')
    .example('$0 preflight -f values.yaml -o markdown > report.md', 'a report to paste into a support channel')
    .example('$0 explain database.postgres.auth', 'what a check checks, why it matters, how to fix its failures')
    .example('$0 completion >> ~/.bashrc', 'shell completion of commands, options and check ids (zsh: >> ~/.zshrc)')
    .demandCommand(1, 'a command is required: preflight, verify, list, explain or cleanup')
    .strict()
    .version(VERSION)
    .alias('h', 'help')
    .epilogue(EPILOG)
    .wrap(Math.min(110, io.stdout.columns ?? 100))
    .exitProcess(false)
    .showHelpOnFail(false)
    .fail((msg, err) => {
      if (err) throw err;
      // yargs' "Invalid values:\n  Argument: output, Given: "yaml", Choices: ..." as one line naming the flag
      const choice = /Invalid values:\s*Argument: ([\w-]+), Given: (.*?), Choices: (.*)$/s.exec(msg ?? '');
      if (choice) throw new UserError(`--${choice[1]} ${choice[2]!.replace(/^"(.*)"$/, '$1')}: expected one of ${choice[3]!.replace(/"/g, '').trim()}`);
      throw new UserError(`${oneLine(msg ?? 'invalid usage')} (see flyte-doctor --help)`);
    });
  // yargs renders the whole help text right after a command handler starts, only to cache it for a
  // later showHelp() (~70 ms of CPU in the middle of every run, measured); flyte-doctor never calls
  // showHelp() from a handler, and `--help` renders it on its own path.
  const usage = (parser as unknown as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } }).getInternalMethods?.().getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
  try {
    await parser.parseAsync();
  } catch (e) {
    if (e instanceof UserError) { io.stderr.write(`flyte-doctor: ${oneLine(redact(e.message))}\n`); return EXIT.usage; }
    const err = e as Error;
    io.stderr.write(`flyte-doctor: internal error: ${oneLine(redact(err?.message ?? String(e)))}\n${io.env.FLYTE_DOCTOR_DEBUG ? `${redact(String(err?.stack))}\n` : 'Set FLYTE_DOCTOR_DEBUG=1 for the stack trace, and please report it.\n'}`);
    return EXIT.internal;
  }
  return code;
}

/** What a second signal prints before quitting: the cleanups that did not finish, and how to finish them. */
export function residueNotice(): string {
  const left = [...pendingCleanups(), ...pendingInCluster()];
  if (!left.length) return '';
  return left.map((c) => `flyte-doctor: left behind: ${c.label} did not finish${c.command ? `; remove with: ${c.command}` : ''}\n`).join('');
}

// Entry point (also the bundle's): run, write, exit. Exiting explicitly makes sure no client a
// check started (a socket, a gRPC channel) keeps the process alive.
const isMain = process.argv[1] && /(cli\.(ts|js|mjs|cjs)|flyte-doctor(\.mjs)?)$/.test(process.argv[1]);
if (isMain) {
  mark('cli loaded');
  const ac = new AbortController();
  let first: string | undefined;
  // Ctrl-C, a closed terminal or SSH session (SIGHUP) and SIGTERM: abort the checks, run the
  // cleanups (bounded), write the reports, exit 128+signal. A second signal quits at once, after
  // saying what may be left behind and how to remove it.
  for (const sig of Object.keys(SIGNAL_EXIT) as NodeJS.Signals[]) {
    process.on(sig, () => {
      if (first) {
        try { process.stderr.write(`\nflyte-doctor: ${sig} again: quitting now\n${residueNotice()}`); } catch { /* stderr may be gone */ }
        process.exit(SIGNAL_EXIT[first]);
      }
      first = sig;
      try { process.stderr.write(`\nflyte-doctor: ${sig === 'SIGINT' ? 'interrupted' : sig}; cleaning up probe objects and writing reports (Ctrl-C again to quit now)\n`); } catch { /* stderr may be gone (SIGHUP) */ }
      ac.abort(sig);
    });
  }
  // A closed stdout/stderr (a pipe to `head`, a hung-up terminal) is not a crash.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => { /* nothing to say it on */ });
  // SDK notices (e.g. the AWS SDK's Node-version support warning) are not findings: keep stderr for
  // what flyte-doctor has to say, unless debugging.
  if (!process.env.FLYTE_DOCTOR_DEBUG) process.removeAllListeners('warning');
  // NODE_TLS_REJECT_UNAUTHORIZED=0 in the operator's shell would turn off certificate checks in every
  // TLS client here that does not set rejectUnauthorized itself (grpc-js, the SDKs' agents): the
  // trust findings are about what flytectl, pyflyte and Flyte's pods accept, and none of them reads
  // it. insecureSkipVerify / FLYTE_PLATFORM_INSECURE_SKIP_VERIFY are the clients' own switches.
  delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  redactStream(process.stderr);
  const io: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), home: homedir(), signal: ac.signal, startedAt: Math.round(performance.timeOrigin) };
  cli(hideBin(process.argv), io).then(
    (code) => {
      mark('done');
      if (process.env.FLYTE_DOCTOR_DEBUG) process.stderr.write(`flyte-doctor: ${phases()}\nflyte-doctor: ${peakRss()}\nflyte-doctor: the checks that ended last:\n${lastSpans()}\n`);
      process.stdout.write('', () => process.exit(code)); setTimeout(() => process.exit(code), 2000);
    },
    (e) => { process.stderr.write(`flyte-doctor: internal error: ${(e as Error)?.message}\n`); process.exit(EXIT.internal); },
  );
}
