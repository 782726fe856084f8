// The published CLI: dist/flyte-doctor.mjs, spawned as a user would run it. `npm test` builds it first.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'dist', 'flyte-doctor.mjs');
const env = { PATH: process.env.PATH, HOME: mkdtempSync(join(tmpdir(), 'fd-home-')) };
const run = (args: string[], extra: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...env, ...extra }, cwd: root, timeout: 30_000 });

beforeAll(() => {
  if (!existsSync(bin)) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
});

describe('the bundled CLI', () => {
  it('--version prints the package version and exits 0', () => {
    const r = run(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
  });

  it('--help documents the commands and the exit codes', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    for (const s of ['preflight', 'verify', 'list', 'explain', 'Exit codes:', '130']) expect(r.stdout).toContain(s);
  });

  it('the launcher answers --help with exactly the CLI\'s help, and passes everything else to the CLI', () => {
    const real = spawnSync(process.execPath, [join(root, 'dist', 'cli.cjs'), '--help'], { encoding: 'utf8', env: { ...env, NO_COLOR: '1' } });
    expect(run(['--help']).stdout).toBe(real.stdout);
    expect(run(['-h']).stdout).toBe(real.stdout);
    expect(run(['explain', '--help']).stdout).toMatch(/explain <id>/);
  });

  it('--version and --help load nothing; list loads the CLI and no SDK bundle', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'dist', 'bundle-manifest.json'), 'utf8')) as Record<string, string[]>;
    const heavy = /^(@kubernetes\/client-node|@aws-sdk\/.*|@smithy\/.*|@google-cloud\/storage|@azure\/.*|pg|pg-protocol|@grpc\/grpc-js|undici|@flyteorg\/flyteidl|protobufjs|grpc-health-check)$/;
    // the SDK bundles do hold the SDKs (so this test can fail), the CLI bundle none
    expect(Object.entries(manifest).filter(([f]) => f.startsWith('sdk/')).flatMap(([, p]) => p).filter((p) => heavy.test(p)).length).toBeGreaterThan(10);
    expect(manifest['cli.cjs']!.filter((p) => heavy.test(p))).toEqual([]);
    const loads = (args: string[]) => {
      const r = run(args, { FLYTE_DOCTOR_DEBUG: '1' });
      expect(r.status, r.stderr).toBe(0);
      return [...r.stderr.matchAll(/^flyte-doctor: loaded (\S+)/gm)].map((m) => m[1]);
    };
    expect(loads(['--version'])).toEqual([]);
    expect(loads(['--help'])).toEqual([]);
    expect(loads(['list'])).toEqual(['cli.cjs']);
  });

  it('a run that stays on this machine loads no --in-cluster code (child_process, the pod-side report sink) and not Node\'s assert (yargs\' is replaced at build)', () => {
    const probe = join(mkdtempSync(join(tmpdir(), 'fd-probe-')), 'loaded-builtins.cjs');
    writeFileSync(probe, "process.on('exit', () => process.stderr.write('BUILTINS ' + process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)).join(',') + '\\n'));\n");
    try {
      const r = spawnSync(process.execPath, ['-r', probe, join(root, 'dist', 'flyte-doctor.mjs'), 'preflight', '--dry-run', '--set', 'configuration.database.host=db.internal'], { encoding: 'utf8', env });
      expect(r.status, r.stderr).toBe(0);
      const loaded = /BUILTINS (.*)/.exec(r.stderr)![1]!.split(',');
      expect(loaded).toContain('net'); // (the probe sees loaded modules, so this test can fail)
      expect(loaded.filter((m) => ['child_process', 'assert', 'zlib'].includes(m))).toEqual([]);
    } finally { writeFileSync(probe, ''); }
  });

  it('an import() of a Node built-in in our code is made once, not a copy of its exports per call', () => {
    const cli = readFileSync(join(root, 'dist', 'cli.cjs'), 'latin1');
    // esbuild's CommonJS form of import('node:x') copies every export on each call; the build
    // (builtin-once in scripts/build.mjs) turns ours into a namespace made once
    const perCall = [...cli.matchAll(/then\(\(\)=>[\w$]+\(require\("node:[a-z0-9_/]+"\),1\)\)/g)].map((m) => m[0]);
    expect(perCall).toEqual([]);
    // ...and the lazy imports are still there (so this test can fail): readBundle's import('node:fs')
    expect(cli).toMatch(/require\("node:fs"\)/);
    expect([...cli.matchAll(/[\w$]+\([\w$]+,require\("node:[a-z0-9_/]+"\)\)/g)].length).toBeGreaterThan(5);
  });

  it('the code cache: written by the second run, used from the third; off when disabled or when the directory is writable by others', () => {
    const cache = mkdtempSync(join(tmpdir(), 'fd-v8-'));
    const states = (extra: NodeJS.ProcessEnv) => {
      const r = run(['list', '-o', 'json'], { FLYTE_DOCTOR_DEBUG: '1', ...extra });
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).length).toBeGreaterThan(20);
      return [...r.stderr.matchAll(/^flyte-doctor: (loaded \S+ \(code cache \w+\)(?=: read \d+ ms, compile \d+ ms, run \d+ ms$)|code cache off: .*)/gm)].map((m) => m[1]);
    };
    // the first run on a machine writes no cache (a fresh CI container would never use it), the second does
    expect(states({ NODE_COMPILE_CACHE: cache })).toEqual(['loaded cli.cjs (code cache miss)']);
    const dir = join(cache, readdirSync(cache)[0]!);
    expect(readdirSync(dir)).toEqual(['seen']);
    expect(states({ NODE_COMPILE_CACHE: cache })).toEqual(['loaded cli.cjs (code cache miss)']);
    expect(readdirSync(dir).sort()).toEqual(['cli.cjs.other.cache', 'seen']);
    expect(statSync(join(dir, 'cli.cjs.other.cache')).size).toBeGreaterThan(100_000);
    expect(states({ NODE_COMPILE_CACHE: cache })).toEqual(['loaded cli.cjs (code cache hit)']);
    // a cache V8 refuses (here: not a code cache at all) is compiled past and written again
    writeFileSync(join(dir, 'cli.cjs.other.cache'), 'not a code cache');
    expect(states({ NODE_COMPILE_CACHE: cache })).toEqual(['loaded cli.cjs (code cache rejected)']);
    expect(states({ NODE_COMPILE_CACHE: cache })).toEqual(['loaded cli.cjs (code cache hit)']);
    expect(states({ NODE_COMPILE_CACHE: cache, NODE_DISABLE_COMPILE_CACHE: '1' })).toEqual(['loaded cli.cjs (code cache off)']);
    // V8 runs the bytecode it is given: a directory others can write is not used
    chmodSync(dir, 0o777);
    const open = states({ NODE_COMPILE_CACHE: cache });
    expect(open[0]).toMatch(/^code cache off: .*writable by others/);
    expect(open[1]).toBe('loaded cli.cjs (code cache off)');
  });

  it('the code cache of other builds: when this build\'s is written, only the 3 most recently written others stay', () => {
    const cache = mkdtempSync(join(tmpdir(), 'fd-v8-'));
    const build = (i: number) => `${i.toString(16).padStart(16, '0')}-v20.19.0-x64`;
    for (let i = 1; i <= 5; i++) {
      const d = join(cache, build(i));
      mkdirSync(d);
      writeFileSync(join(d, 'cli.cjs.verify.cache'), 'x');
      writeFileSync(join(d, 'seen'), '');
      utimesSync(d, 1_000_000 + i, 1_000_000 + i); // build 5 is the most recent
    }
    mkdirSync(join(cache, build(6)));
    writeFileSync(join(cache, build(6), 'notes.txt'), 'not ours'); // oldest, but holds a file the launcher never writes
    utimesSync(join(cache, build(6)), 1000, 1000);
    mkdirSync(join(cache, 'something-else'));
    utimesSync(join(cache, 'something-else'), 1000, 1000);
    // (Node >= 22 keeps its own compile cache in NODE_COMPILE_CACHE too, in a directory named otherwise)
    const builds = () => readdirSync(cache).filter((d) => /^[0-9a-f]{16}-v/.test(d)).sort();
    run(['list'], { NODE_COMPILE_CACHE: cache }); // first run here: nothing written, nothing pruned
    expect(builds().length).toBe(7); // the 6 above + this build's own
    run(['list'], { NODE_COMPILE_CACHE: cache }); // second: this build's cache is written, the others pruned
    const mine = builds().filter((d) => !/^0{15}\d-/.test(d));
    expect(mine.length).toBe(1);
    expect(readdirSync(join(cache, mine[0]!))).toContain('cli.cjs.other.cache');
    expect(builds().filter((d) => /^0{15}\d-/.test(d))).toEqual([build(3), build(4), build(5), build(6)]);
    expect(readdirSync(join(cache, build(6)))).toEqual(['notes.txt']);
    expect(readdirSync(cache)).toContain('something-else');
  });

  it('list prints every check with its area and phases; -o json is parseable', () => {
    const r = run(['list', '-o', 'json']);
    expect(r.status).toBe(0);
    const list = JSON.parse(r.stdout) as { id: string; area: string; phases: string[] }[];
    expect(list.length).toBeGreaterThan(20);
    for (const c of list) expect(c.id.startsWith(c.area + '.')).toBe(true);
    const pretty = run(['list']);
    expect(pretty.stdout.split('\n')[0]).toMatch(/^ID\s+AREA\s+PHASES\s+TITLE/);
  });

  it('explain prints what, why, fix and the docs link', () => {
    const id = (JSON.parse(run(['list', '-o', 'json']).stdout) as { id: string }[])[0]!.id;
    const r = run(['explain', id]);
    expect(r.status).toBe(0);
    for (const s of ['What it checks', 'Why it matters', 'How to fix typical failures']) expect(r.stdout).toContain(s);
    // the docs reference is the shipped docs/checks.md (relative to the package root), at this check's heading
    const ref = r.stdout.match(/^Docs: (\S+)/m)?.[1];
    expect(ref).toMatch(/^docs\/checks\.md#[a-z0-9-]+$/);
    const [file, anchor] = ref!.split('#');
    const headings = readFileSync(join(root, file!), 'utf8').split('\n').filter((l) => l.startsWith('### ')).map((l) => l.slice(4).toLowerCase().replace(/[^a-z0-9 _-]/g, '').replace(/ /g, '-'));
    expect(headings).toContain(anchor);
  });

  it('a bad flag is one line on stderr and exit 2', () => {
    const r = run(['preflight', '--timeout', 'soon']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
  });

  it('--dry-run -o json is one JSON document with the target and the plan, and touches nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fd-dry-'));
    writeFileSync(join(dir, 'v.yaml'), 'configuration:\n  database:\n    host: db.example.invalid\n    port: 5432\n    dbname: flyteadmin\n    username: flyte\n    password: hunter2-secret\n');
    const r = run(['preflight', '--dry-run', '-o', 'json', '-f', join(dir, 'v.yaml'), '--timeout', '1s']);
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.dryRun).toBe(true);
    expect(doc.target.fields.find((f: { field: string }) => f.field === 'databases[0].host')).toMatchObject({ value: 'db.example.invalid' });
    expect(doc.target.fields.find((f: { field: string }) => f.field === 'databases[0].host').source).toMatch(/v\.yaml: configuration\.database\.host/);
    expect(doc.plan.some((s: { action: string }) => s.action === 'run')).toBe(true);
    expect(r.stdout).not.toContain('hunter2-secret');
  });

  it('machine formats keep stdout clean; --report writes several formats in one run; NO_COLOR removes colour', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fd-rep-'));
    const args = ['preflight', '--only', 'client', '--endpoint', 'dns:///127.0.0.1:1', '--timeout', '2s'];
    const json = run([...args, '-o', 'json', '--report', `junit=${join(dir, 'out.xml')}`, '--report', `markdown=${join(dir, 'out.md')}`]);
    expect([0, 1, 3]).toContain(json.status);
    const doc = JSON.parse(json.stdout);
    expect(doc.schemaVersion).toBe(2);
    expect(doc.results.length).toBeGreaterThan(0);
    expect(readFileSync(join(dir, 'out.xml'), 'utf8')).toMatch(/^<\?xml[^]*<testsuites/);
    expect(readFileSync(join(dir, 'out.md'), 'utf8')).toMatch(/flyte-doctor/);
    const pretty = run([...args, '--color'], { NO_COLOR: '1' });
    expect(pretty.stdout).toContain('\x1b['); // --color forces colour even with NO_COLOR
    const plain = run(args, { NO_COLOR: '1' });
    expect(plain.stdout).not.toContain('\x1b[');
    expect(plain.stdout).toMatch(/pass|fail|warn|skip|error/);
  });
});
