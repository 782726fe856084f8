// `--help` examples and shell completion, through the bundled CLI a user runs (dist/flyte-doctor.mjs;
// `npm test` builds it). The bash script is sourced into a real bash and its completion function is
// called the way bash calls it on TAB (COMP_WORDS/COMP_CWORD), with the CLI found on PATH.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'dist', 'flyte-doctor.mjs');
const home = mkdtempSync(join(tmpdir(), 'fd-compl-'));
const binDir = join(home, 'bin'); // `flyte-doctor` on PATH, as after npm install -g
const PATH = [binDir, dirname(process.execPath), ...(process.env.PATH ?? '').split(delimiter)].join(delimiter);
const run = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { PATH, HOME: home, ...env }, cwd: home, timeout: 30_000 });
/** What the CLI answers the shell for these words (the last one is the word being completed). */
const complete = (...words: string[]) => {
  const r = run(['--get-yargs-completions', 'flyte-doctor', ...words]);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n').filter(Boolean);
};

/** The check ids of the CLI under test (its own list, not this checkout's sources, which may be newer than dist/). */
let ids: string[] = [];

beforeAll(() => {
  if (!existsSync(bin)) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
  ids = (JSON.parse(run(['list', '-o', 'json']).stdout) as { id: string }[]).map((c) => c.id).sort();
  expect(ids.length).toBeGreaterThan(20);
  mkdirSync(binDir);
  symlinkSync(bin, join(binDir, 'flyte-doctor'));
});

describe('--help examples', () => {
  it('the top-level help shows runnable examples for the main tasks', () => {
    for (const h of [run(['--help']).stdout, spawnSync(process.execPath, [join(root, 'dist', 'cli.cjs'), '--help'], { encoding: 'utf8', env: { PATH, NO_COLOR: '1' } }).stdout]) {
      const examples = h.slice(h.indexOf('Examples:'), h.indexOf('Exit codes:'));
      expect(examples.length).toBeGreaterThan(100);
      for (const s of ['flyte-doctor preflight -f values.yaml', '--dry-run', 'flyte-doctor verify -f values.yaml --wait 5m', '-o markdown', 'flyte-doctor explain database.postgres.auth', 'flyte-doctor completion >> ~/.bashrc']) {
        expect(examples.replace(/\s+/g, ' '), s).toContain(s);
      }
    }
  });

  it('the exit codes read as written at 80 columns and when piped (no line re-wrapped mid-sentence)', () => {
    for (const columns of [undefined, 80]) {
      const h = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8', env: { PATH, NO_COLOR: '1', ...(columns ? { COLUMNS: String(columns) } : {}) } }).stdout;
      const epilog = h.slice(h.indexOf('Exit codes:')).trimEnd().split('\n');
      expect(epilog.length).toBeGreaterThan(8);
      for (const l of epilog) {
        expect(l.length, l).toBeLessThanOrEqual(80);
        expect(l.trim(), 'a line of one word is a re-wrapped sentence').not.toMatch(/^[a-z]+$/);
      }
      expect(epilog.join(' ')).toMatch(/3 some could not be listed or deleted/);
    }
  });

  it('every example runs as written (with --dry-run added: flags, values and paths all accepted)', () => {
    const h = run(['--help']).stdout;
    const lines = h.slice(h.indexOf('Examples:'), h.indexOf('Exit codes:')).split('\n').slice(1);
    // left column: the command (it may wrap onto the next lines); a line starting further right is the description
    const commands: string[] = [];
    for (const l of lines) {
      const left = l.match(/^ {2}(\S.*?)(?: {2,}|$)/)?.[1];
      if (!left) continue;
      if (left.startsWith('flyte-doctor ')) commands.push(left);
      else commands[commands.length - 1] += ` ${left}`;
    }
    expect(commands).toContain('flyte-doctor preflight -f values.yaml --only database,storage');
    expect(commands.length).toBe(7);
    // the files the examples name: ./values.yaml and ~/.flyte/config.yaml
    const cwd = mkdtempSync(join(home, 'ex-'));
    writeFileSync(join(cwd, 'values.yaml'), 'configuration:\n  database:\n    host: db.example.invalid\n    port: 5432\n    dbname: flyteadmin\n    username: flyte\n    password: example-password\n');
    mkdirSync(join(home, '.flyte'), { recursive: true });
    writeFileSync(join(home, '.flyte', 'config.yaml'), 'admin:\n  endpoint: dns:///flyte.example.invalid\n  insecure: false\n');
    for (const c of commands) {
      const args = c.replace(/^flyte-doctor /, '').replace(/\s*>>?.*$/, '').split(/\s+/).map((a) => a.replace(/^~\//, `${home}/`));
      const dry = args[0] === 'preflight' || args[0] === 'verify' ? [...args.filter((a) => a !== '--dry-run'), '--dry-run'] : args;
      const r = spawnSync(process.execPath, [bin, ...dry], { encoding: 'utf8', env: { PATH, HOME: home }, cwd, timeout: 30_000 });
      expect(r.stderr, c).toBe('');
      expect(r.status, c).toBe(0);
      expect(r.stdout.length, c).toBeGreaterThan(0);
    }
  });
});

describe('shell completion', () => {
  it('`completion` prints a bash script by default and a zsh script when $SHELL is zsh', () => {
    const bash = run(['completion'], { SHELL: '/bin/bash' });
    expect(bash.status, bash.stderr).toBe(0);
    expect(bash.stdout).toContain('complete -o bashdefault -o default -F _flyte-doctor_yargs_completions flyte-doctor');
    expect(bash.stdout).toContain('flyte-doctor --get-yargs-completions');
    const zsh = run(['completion'], { SHELL: '/usr/bin/zsh' });
    expect(zsh.status).toBe(0);
    expect(zsh.stdout).toMatch(/^#compdef flyte-doctor/);
    expect(zsh.stdout).toContain('compdef _flyte-doctor_yargs_completions flyte-doctor');
    expect(bash.stderr + zsh.stderr).toBe('');
  });

  it('completes commands, options, choices, and check ids after explain, --only and --skip', () => {
    expect(complete('')).toEqual(['preflight', 'verify', 'list', 'explain', 'cleanup', 'completion']);
    expect(complete('explain', '')).toEqual(ids);
    expect(complete('explain', 'database.postgres.a')).toEqual(['database.postgres.auth']);
    const only = complete('preflight', '--only', 'stor');
    expect(only[0]).toBe('storage.*');
    expect(only.slice(1)).toEqual(ids.filter((i) => i.startsWith('stor')));
    // after a comma: the list so far plus each match
    expect(complete('verify', '--skip', 'dns.*,storage.s3.p')).toEqual(['dns.*,storage.s3.put']);
    expect(complete('preflight', '--fail-on', '')).toEqual(['warn', 'fail']);
    expect(complete('preflight', '--output', '')).toEqual(['pretty', 'json', 'junit', 'markdown']);
    const opts = complete('verify', '--');
    for (const o of ['--values', '--only', '--wait', '--report', '--timeout']) expect(opts).toContain(o);
    expect(complete('preflight', '--only', 'no-such-area')).toEqual([]);
  });

  it('the bash script completes on TAB in a real bash, calling flyte-doctor from PATH', () => {
    const script = run(['completion'], { SHELL: '/bin/bash' }).stdout;
    const tab = (line: string) => {
      const words = line.split(' ');
      const sh = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _flyte-doctor_yargs_completions; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const r = spawnSync('bash', ['-c', sh], { encoding: 'utf8', env: { PATH, HOME: home, SHELL: '/bin/bash' }, timeout: 30_000 });
      expect(r.stderr).toBe('');
      return r.stdout.split('\n').filter(Boolean);
    };
    expect(tab('flyte-doctor pre')).toEqual(['preflight']);
    expect(tab('flyte-doctor explain storage.s3.cl')).toEqual(['storage.s3.clock-skew']);
    expect(tab('flyte-doctor verify --wa')).toEqual(['--wait']);
    expect(tab('flyte-doctor preflight --only kubernetes.rbac')).toEqual(ids.filter((i) => i.startsWith('kubernetes.rbac')));
  });
});
