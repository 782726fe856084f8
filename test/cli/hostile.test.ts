// Hostile input at the CLI: every flag with values it must refuse, every kind of file where an
// input or a report goes (FIFO, device, /proc, /sys, a directory, a path below a file), plugins
// that clash with built-in checks. Each is exit 2 with one line naming the flag or file, the key
// and the expectation, before anything runs; never exit 4, never a hang, bounded memory.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'dist', 'flyte-doctor.mjs');
const dir = mkdtempSync(join(tmpdir(), 'fd-cli-hostile-'));
const w = (name: string, text: string) => { writeFileSync(join(dir, name), text); return join(dir, name); };
const values = w('values.yaml', 'configuration:\n  database:\n    host: db.example.com\n');
w('plain.txt', 'x');
const fifo = join(dir, 'fifo');
execFileSync('mkfifo', [fifo]);
const plugin = (name: string, id: string, extra = '') => w(name, `export default { id: '${id}', title: 't', phases: ['preflight'], explain: { what: 't', why: 't', fix: 't' }, ${extra} async run() { return { status: 'pass', message: 'ok' }; } };\n`);
plugin('dup-builtin.mjs', 'database.postgres.auth');
plugin('mine-a.mjs', 'flyte.mine.check');
plugin('mine-b.mjs', 'flyte.mine.check');
plugin('bad-dep.mjs', 'flyte.mine.dep', "dependsOn: ['flyte.nope.nothing'],");
w('cfg-alias.yaml', 'plugins: &p [*p]\n');
w('cfg-list.yaml', '- a\n- b\n');

const P = ['preflight', '-f', values, '--dry-run'];
const cases: { name: string; args: string[]; expect: RegExp }[] = [
  // durations
  { name: '--timeout 600h (would overflow the timer)', args: [...P, '--timeout', '600h'], expect: /^--timeout "600h": more than 1h; expected a positive duration like 10s, 500ms or 5m \(at most 1h\)$/ },
  { name: '--timeout -1s', args: [...P, '--timeout', '-1s'], expect: /^--timeout "-1s": a negative duration; expected a positive duration/ },
  { name: '--timeout=-1s', args: [...P, '--timeout=-1s'], expect: /^--timeout "-1s": a negative duration/ },
  { name: '--timeout -5', args: [...P, '--timeout', '-5'], expect: /^--timeout "-5": a negative duration/ },
  { name: '--timeout 0', args: [...P, '--timeout', '0'], expect: /^--timeout "0": zero; expected a positive duration/ },
  { name: '--timeout 0ms', args: [...P, '--timeout', '0ms'], expect: /^--timeout "0ms": zero/ },
  { name: '--timeout 1e9', args: [...P, '--timeout', '1e9'], expect: /^--timeout "1e9": expected a positive duration/ },
  { name: '--timeout 10 s', args: [...P, '--timeout', '10 s'], expect: /^--timeout "10 s": expected a positive duration/ },
  { name: '--timeout 99999999999999999999999s', args: [...P, '--timeout', '99999999999999999999999s'], expect: /^--timeout "99999999999999999999999s": more than 1h/ },
  { name: '--timeout Infinity', args: [...P, '--timeout', 'Infinity'], expect: /^--timeout "Infinity": expected a positive duration/ },
  { name: '--timeout 0.0001ms', args: [...P, '--timeout', '0.0001ms'], expect: /^--timeout "0.0001ms": less than 1ms/ },
  { name: '--deadline 48h', args: [...P, '--deadline', '48h'], expect: /^--deadline "48h": more than 24h/ },
  { name: '--deadline -5m', args: [...P, '--deadline', '-5m'], expect: /^--deadline "-5m": a negative duration/ },
  { name: '--wait 30d', args: ['verify', '-f', values, '--dry-run', '--wait', '30d'], expect: /^--wait "30d": expected a positive duration/ },
  { name: '--wait -1s', args: ['verify', '-f', values, '--dry-run', '--wait', '-1s'], expect: /^--wait "-1s": a negative duration/ },
  { name: '--wait 25h', args: ['verify', '-f', values, '--dry-run', '--wait', '25h'], expect: /^--wait "25h": more than 24h/ },
  // numbers and choices
  { name: '--concurrency -1', args: [...P, '--concurrency', '-1'], expect: /^--concurrency -1: expected a whole number from 1 to 1024$/ },
  { name: '--concurrency 100000', args: [...P, '--concurrency', '100000'], expect: /^--concurrency 100000: expected a whole number from 1 to 1024$/ },
  { name: '--concurrency many', args: [...P, '--concurrency', 'many'], expect: /^--concurrency .*: expected a whole number from 1 to 1024$/ },
  { name: '--namespace with a leading dash', args: [...P, '--namespace', '-x'], expect: /^--namespace -x: expected a Kubernetes namespace name/ },
  { name: '--namespace too long', args: [...P, '--namespace', 'a'.repeat(64)], expect: /^--namespace a+: expected a Kubernetes namespace name/ },
  { name: '--endpoint with a path', args: [...P, '--endpoint', 'dns:///'], expect: /^--endpoint dns:\/\/\/: expected host\[:port\]/ },
  { name: '--dns-server port out of range', args: [...P, '--dns-server', '1.1.1.1:99999'], expect: /^--dns-server 1\.1\.1\.1:99999: expected host\[:port\]/ },
  { name: '--chart unknown', args: [...P, '--chart', 'flyte'], expect: /^--chart flyte: expected flyte-binary or flyte-core$/ },
  { name: '--context without a kubeconfig', args: [...P, '--context', 'prod'], expect: /^--context prod: no kubeconfig found/ },
  // report targets: checked before anything runs
  { name: '--report below a file (ENOTDIR)', args: [...P, '--report', `json=${join(dir, 'plain.txt', 'out.json')}`], expect: /^--report json=.*plain\.txt\/out\.json: a parent of .* is a file, not a directory; expected a writable file path$/ },
  { name: '--report /dev/full', args: [...P, '--report', 'json=/dev/full'], expect: /^--report json=\/dev\/full: \/dev\/full is a character device, not a regular file; expected a writable file path$/ },
  { name: '--report under /proc', args: [...P, '--report', 'junit=/proc/self/status'], expect: /^--report junit=\/proc\/self\/status: \/proc\/self\/status is a kernel interface \(\/proc, \/sys\), not a file/ },
  { name: '--report /proc itself', args: [...P, '--report', 'junit=/proc'], expect: /^--report junit=\/proc: \/proc is a kernel interface/ },
  { name: '--report under /sys', args: [...P, '--report', 'markdown=/sys/kernel/out.md'], expect: /^--report markdown=\/sys\/kernel\/out\.md: .* is a kernel interface/ },
  { name: '--report to a directory', args: [...P, '--report', `pretty=${dir}`], expect: /^--report pretty=.*: .* is a directory; expected a writable file path$/ },
  { name: '--report to a FIFO', args: [...P, '--report', `json=${fifo}`], expect: /^--report json=.*fifo: .*fifo is a FIFO \(named pipe\), not a regular file/ },
  { name: '--report twice to one file', args: [...P, '--report', `json=${join(dir, 'r.out')}`, '--report', `junit=${join(dir, 'r.out')}`], expect: /^--report junit=.*r\.out: the same file as --report json=/ },
  { name: '--report over an input file', args: [...P, '--report', `json=${values}`], expect: /^--report json=.*values\.yaml: .*values\.yaml is an input of this run and would be overwritten/ },
  // input files
  { name: '-f FIFO', args: ['preflight', '-f', fifo, '--dry-run'], expect: /^--values: cannot read .*fifo: is a pipe that gave no data \(nothing writes to it, or the command writing it printed nothing: see its own error\)$/ },
  { name: '-f /dev/zero', args: ['preflight', '-f', '/dev/zero', '--dry-run'], expect: /^--values: cannot read \/dev\/zero: is a character device, expected a regular file$/ },
  { name: '-f /dev/urandom', args: ['preflight', '-f', '/dev/urandom', '--dry-run'], expect: /^--values: cannot read \/dev\/urandom: is a character device/ },
  { name: '--flytectl-config FIFO', args: [...P, '--flytectl-config', fifo], expect: /^--flytectl-config: cannot read .*fifo: is a pipe that gave no data/ },
  { name: '--config FIFO', args: ['list', '--config', fifo], expect: /^--config .*fifo: cannot read .*fifo: is a pipe that gave no data/ },
  { name: '--config /dev/zero', args: ['list', '--config', '/dev/zero'], expect: /^--config \/dev\/zero: cannot read \/dev\/zero: is a character device/ },
  { name: '--config self-referencing alias', args: ['list', '--config', join(dir, 'cfg-alias.yaml')], expect: /cfg-alias\.yaml: plugins(\[0\])?: invalid YAML: a self-referencing alias/ },
  { name: '--config a list', args: ['list', '--config', join(dir, 'cfg-list.yaml')], expect: /cfg-list\.yaml: expected a mapping with a plugins: list/ },
  // plugins
  { name: '--plugin FIFO', args: ['list', '--plugin', fifo], expect: /^--plugin .*fifo: cannot read .*fifo: is a FIFO \(named pipe\), expected a regular file/ },
  { name: '--plugin /dev/zero', args: ['list', '--plugin', '/dev/zero'], expect: /^--plugin \/dev\/zero: cannot read \/dev\/zero: is a character device/ },
  { name: '--plugin a directory', args: ['list', '--plugin', dir], expect: /^--plugin .*: cannot read .*: is a directory/ },
  { name: '--plugin reusing a built-in id', args: ['list', '--plugin', join(dir, 'dup-builtin.mjs')], expect: /^--plugin .*dup-builtin\.mjs \(.*dup-builtin\.mjs\): check id "database\.postgres\.auth" is a built-in check; expected an id of your own/ },
  { name: 'two plugins with one id', args: ['list', '--plugin', join(dir, 'mine-a.mjs'), '--plugin', join(dir, 'mine-b.mjs')], expect: /^--plugin .*mine-b\.mjs .*: check id "flyte\.mine\.check" is also defined by --plugin .*mine-a\.mjs/ },
  { name: 'a plugin depending on an unknown check', args: ['list', '--plugin', join(dir, 'bad-dep.mjs')], expect: /^--plugin .*bad-dep\.mjs .*: check flyte\.mine\.dep depends on unknown check flyte\.nope\.nothing; expected dependsOn to name existing checks/ },
];

function assertOneLine(r: { code: number | null; stdout: string; stderr: string }, re: RegExp): void {
  expect(r.stderr.replace(/^flyte-doctor: /, '').trimEnd(), r.stderr).toMatch(re);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
  expect(r.stdout).toBe('');
}

describe('hostile flags and files: exit 2, one line, before anything runs', () => {
  for (const c of cases) {
    // FIFOs and devices run in a child process with a deadline: a hang fails the test instead of the suite.
    const spawned = c.args.some((a) => a === fifo || a.startsWith('/dev/') || a.includes('=/dev/') || a.endsWith(`=${fifo}`));
    it(`${c.name}${spawned ? ' (bundled CLI)' : ''}`, async () => {
      if (spawned) {
        const t0 = Date.now();
        const r = spawnSync(process.execPath, [bin, ...c.args], { encoding: 'utf8', cwd: dir, env: { PATH: process.env.PATH, HOME: dir }, timeout: 20_000 });
        expect(r.signal, 'the CLI hung and was killed').toBeNull();
        assertOneLine({ code: r.status, stdout: r.stdout, stderr: r.stderr }, c.expect);
        expect(Date.now() - t0).toBeLessThan(10_000);
      } else {
        assertOneLine(await runCli(c.args, { cwd: dir, home: dir }), c.expect);
      }
    });
  }

  it('a report target that is fine is not created before the run (only checked)', async () => {
    const out = join(dir, 'sub', 'dir', 'report.json');
    const r = await runCli([...P, '--report', `json=${out}`], { cwd: dir, home: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(out)).toBe(false); // a dry run writes no report; the directory may exist
  });
});

describe('a report that cannot be written at the end', () => {
  it('is one clear line and exit 2, never a crash; the other formats are still written', async () => {
    const out = join(dir, 'late');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(out, { recursive: true });
    // A plugin check replaces the report's directory with a file while the run is going on.
    w('swap.mjs', `import { rmSync, writeFileSync } from 'node:fs';
      export default { id: 'flyte.test.swap', title: 't', phases: ['preflight'], explain: { what: 't', why: 't', fix: 't' },
        async run() { rmSync(${JSON.stringify(out)}, { recursive: true }); writeFileSync(${JSON.stringify(out)}, 'now a file'); return { status: 'pass', message: 'swapped' }; } };\n`);
    const r = await runCli(['preflight', '--plugin', join(dir, 'swap.mjs'), '--only', 'flyte.test.swap', '-o', 'json',
      '--report', `json=${join(out, 'r.json')}`, '--report', `junit=${join(dir, 'ok.xml')}`], { cwd: dir, home: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^flyte-doctor: --report json=.*late\/r\.json: could not write the report: a parent path is not a directory\n$/);
    expect(JSON.parse(r.stdout).results[0].status).toBe('pass');
    expect(existsSync(join(dir, 'ok.xml'))).toBe(true);
  });
});

describe('bounded memory: the size cap answers a huge values file', () => {
  it('a valid 50 MB values file is exit 2 at once, saying so, in a 96 MB heap', () => {
    const big = join(dir, 'big.yaml');
    const line = '    key: value-abcdefghijklmnopqrstuvwxyz-0123456789\n';
    writeFileSync(big, `configuration:\n  inline:\n${line.repeat(Math.ceil(50 * 2 ** 20 / line.length))}`);
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ['--max-old-space-size=96', bin, 'preflight', '-f', big, '--dry-run'], { encoding: 'utf8', cwd: dir, env: { PATH: process.env.PATH, HOME: dir }, timeout: 30_000 });
    assertOneLine({ code: r.status, stdout: r.stdout, stderr: r.stderr }, /^--values: cannot read .*big\.yaml: is 50\.0 MiB, over the 2 MiB limit for values and config files \(flyte-doctor reads inputs whole and caps them so a wrong path cannot exhaust memory\); pass the right file$/);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('a values file just under the cap loads in a bounded heap', () => {
    const near = join(dir, 'near.yaml');
    const keys: string[] = [];
    let size = 0;
    for (let i = 0; size < 1.9 * 2 ** 20; i++) { const l = `    key${i}: value-${i}-abcdefghij\n`; keys.push(l); size += l.length; }
    writeFileSync(near, `configuration:\n  inline:\n${keys.join('')}`);
    const r = spawnSync(process.execPath, ['--max-old-space-size=400', bin, 'preflight', '-f', near, '--dry-run', '-o', 'json'], { encoding: 'utf8', cwd: dir, env: { PATH: process.env.PATH, HOME: dir }, timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).dryRun).toBe(true);
  });
});

// Process substitution (`-f <(helm get values flyte)`) hands over /dev/fd/N, a pipe: it is read to
// its end, once (the loader and kubernetes.config.load share it), within a size cap and a time bound.
describe('inputs from a pipe (process substitution)', () => {
  const bash = (script: string, timeout = 40_000) => spawnSync('bash', ['-c', script], { encoding: 'utf8', cwd: dir, env: { PATH: process.env.PATH, HOME: dir, BIN: bin, NODE: process.execPath }, timeout });
  it('values, kubeconfig and flytectl config from <(…): the same target as from the files, the kubeconfig read once for both its readers', () => {
    w('kc.yaml', 'apiVersion: v1\nkind: Config\ncurrent-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\nclusters:\n- name: c\n  cluster: {server: "https://127.0.0.1:1"}\nusers:\n- name: u\n  user: {token: t}\n');
    w('fc.yaml', 'admin:\n  endpoint: dns:///flyte.pipe.internal:443\n');
    const files = bash(`"$NODE" "$BIN" preflight -f values.yaml --kubeconfig kc.yaml --flytectl-config fc.yaml --dry-run -o json`);
    const piped = bash(`"$NODE" "$BIN" preflight -f <(cat values.yaml) --kubeconfig <(cat kc.yaml) --flytectl-config <(cat fc.yaml) --dry-run -o json`);
    expect(piped.status, piped.stderr).toBe(0);
    const strip = (o: string) => { const f = new Map((JSON.parse(o).target.fields as { field: string; value: unknown }[]).map((x) => [x.field, x.value])); return { db: f.get('databases[0].host'), endpoint: f.get('client.endpoint'), context: f.get('kubernetes.context') }; };
    expect(strip(piped.stdout)).toEqual(strip(files.stdout));
    expect(strip(piped.stdout)).toEqual({ db: 'db.example.com', endpoint: 'dns:///flyte.pipe.internal:443', context: 'a' });
    // a real run reads the kubeconfig twice (the loader, then kubernetes.config.load): the pipe's data is shared
    const run = bash(`"$NODE" "$BIN" preflight -f <(cat values.yaml) --kubeconfig <(cat kc.yaml) --only kubernetes.config.load -o json --timeout 2s`);
    const load = JSON.parse(run.stdout).results.find((r: { id: string }) => r.id === 'kubernetes.config.load');
    expect(load.status, load.message).toBe('pass');
  });
  it('-f - reads the values from standard input, as helm does (helm get values … | flyte-doctor preflight -f -), its header line included; once', () => {
    const run = (args: string[], input?: string) => {
      const p = spawnSync(process.execPath, [bin, 'preflight', ...args], { encoding: 'utf8', cwd: dir, env: { PATH: process.env.PATH, HOME: dir }, timeout: 30_000, ...(input !== undefined ? { input } : { stdio: ['ignore', 'pipe', 'pipe'] }) });
      return { code: p.status, status: p.status, stdout: p.stdout, stderr: p.stderr };
    };
    const r = run(['-f', '-', '--dry-run', '-o', 'json'], `USER-SUPPLIED VALUES:\nconfiguration:\n  database:\n    host: db.stdin.internal\n`);
    expect(r.status, r.stderr).toBe(0);
    const fields = JSON.parse(r.stdout).target.fields as { field: string; value: unknown; source: string }[];
    expect(fields.find((f) => f.field === 'databases[0].host')).toMatchObject({ value: 'db.stdin.internal', source: '<stdin>: configuration.database.host' });
    assertOneLine(run(['-f', '-', '--dry-run'], ''), /^--values -: standard input gave no data \(the command piped into it printed nothing: see its own error\); pipe the values into it \(helm get values <release> -n <namespace> \| flyte-doctor preflight -f -\)$/);
    assertOneLine(run(['-f', '-', '--dry-run']), /^--values -: standard input gave no data/); // stdin closed (</dev/null)
    assertOneLine(run(['-f', '-', '-f', '-', '--dry-run'], 'x: 1\n'), /^--values -: given more than once; standard input can be read only once$/);
    assertOneLine(run(['-f', '-', '--manifests', '-', '--dry-run'], 'x: 1\n'), /^--values - and --manifests -: both read standard input, which can be read only once/);
  });
  it('a command that prints nothing (helm get values of a release that does not exist) is exit 2, never the chart defaults', () => {
    const r = bash(`"$NODE" "$BIN" preflight -f <(true) --dry-run`);
    assertOneLine({ code: r.status, stdout: r.stdout, stderr: r.stderr }, /^--values: cannot read \/(dev|proc\/self)\/fd\/\d+: is a pipe that gave no data \(nothing writes to it, or the command writing it printed nothing: see its own error\)$/);
  });
  it('a writer that never finishes costs the bounded wait, then exit 2 saying so', () => {
    const t0 = Date.now();
    const r = bash(`"$NODE" "$BIN" preflight -f <(exec 2>/dev/null; echo 'configuration:'; sleep 60) --dry-run`);
    assertOneLine({ code: r.status, stdout: r.stdout, stderr: r.stderr }, /^--values: cannot read \S+: is a pipe whose writer sent 15 bytes and did not finish within 15 s$/);
    expect(Date.now() - t0).toBeLessThan(25_000);
  }, 40_000);
});

// The shell expands a leading ~ only at the start of a word (bash also after `word=`): in zsh
// `--report junit=~/out.xml`, and in any shell `--kubeconfig=~/.kube/config`, arrive as written.
describe('a path written with ~/ after = is the home directory, never a directory named ~ here', () => {
  it('--report json=~/…, --values=~/…, --flytectl-config=~/…: read from and written to the home directory', async () => {
    const home = mkdtempSync(join(tmpdir(), 'fd-cli-home-'));
    const cwd = mkdtempSync(join(tmpdir(), 'fd-cli-cwd-'));
    writeFileSync(join(home, 'v.yaml'), 'configuration:\n  database:\n    host: db.home.internal\n');
    writeFileSync(join(home, 'fc.yaml'), 'admin:\n  endpoint: dns:///flyte.home.internal\n');
    const r = await runCli(['preflight', '--values=~/v.yaml', '--flytectl-config=~/fc.yaml', '--only', 'values.inputs.keys', '-o', 'json', '--report', 'json=~/reports/out.json'], { cwd, home });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(cwd, '~')), 'a directory named ~ was created in the working directory').toBe(false);
    expect(JSON.parse(readFileSync(join(home, 'reports', 'out.json'), 'utf8')).results.length).toBeGreaterThan(0);
    expect(JSON.parse(r.stdout).target.inputs).toEqual([join(home, 'v.yaml'), join(home, 'fc.yaml')]);
  });
});
