// The npm package as a user gets it: `npm pack` of this checkout, installed into an empty directory
// with `npm install --omit=dev --offline` (so nothing comes from the registry: the package has no
// runtime dependency, everything it runs is in its bundle), and run from there, with no
// node_modules of this repository anywhere on the way, against the test bed. Runs under whichever
// Node runs vitest (.ci/run runs it on Node 20 and 24; the spawned CLI uses the same binary).
// `npm test` builds dist/ first; the pack skips prepack (--ignore-scripts) so this test never
// rebuilds dist/ under the other test files that run it at the same time.
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTestbed } from '../harness/testbed.js';

const root = resolve(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string; version: string; license: string; bin: Record<string, string>; files: string[]; scripts: Record<string, string>;
  dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; peerDependencies?: Record<string, string>; engines: { node: string };
};
const work = mkdtempSync(join(tmpdir(), 'fd-pack-'));
const app = join(work, 'app'); // the empty project the tarball is installed into
const installed = join(app, 'node_modules', pkg.name);
// the Node running this test first on PATH: npm, npx and the bin's `#!/usr/bin/env node` use it too
const PATH = [dirname(process.execPath), ...(process.env.PATH ?? '').split(delimiter)].join(delimiter);
let files: string[] = [];
let tarball = '';

type Result = { id: string; instance?: string; status: string; messageId?: string; message: string; docsUrl: string };
type Doc = { results: Result[]; summary: Record<string, number>; residue: string[]; tool: { version: string; node: string } };

/** The installed CLI (through npx, as a user would), with the test bed's inputs when `bed`. */
function fromInstalled(args: string[], bed = true): SpawnSyncReturns<string> {
  // after `--` every argument is the CLI's (npx answers a bare --version itself otherwise)
  return spawnSync('npx', ['--offline', '--no', '--', pkg.name, ...args, ...(bed ? bedArgs() : [])], { encoding: 'utf8', cwd: app, env: npmEnv(), timeout: 60_000 });
}
/** The same command through this checkout's dist/ (the reference the installed copy must match). */
function fromCheckout(args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [join(root, 'dist', 'flyte-doctor.mjs'), ...args, ...bedArgs()], { encoding: 'utf8', cwd: work, env: { PATH, HOME: work }, timeout: 60_000 });
}
/** npm and npx with an empty cache of their own (nothing to take from but the tarball) and no update notice. */
const npmEnv = () => ({ PATH, HOME: work, npm_config_cache: join(work, 'npm-cache'), npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' });
function bedArgs(): string[] {
  const tb = getTestbed();
  return ['-f', join(tb.dir, 'values.yaml'), '--flytectl-config', join(tb.dir, 'flytectl.yaml'), '--kubeconfig', join(tb.dir, 'kubeconfig'), '--dns-server', tb.dns.server];
}
const doc = (r: SpawnSyncReturns<string>): Doc => { try { return JSON.parse(r.stdout) as Doc; } catch { throw new Error(`not JSON (exit ${r.status}): ${r.stdout.slice(0, 300)}\n${r.stderr}`); } };
const verdicts = (d: Doc) => d.results.map((r) => `${r.id}${r.instance ? `[${r.instance}]` : ''} ${r.status}${r.messageId ? ` ${r.messageId}` : ''}`).sort();
const headingAnchors = (md: string) => new Set(md.split('\n').filter((l) => /^#{1,6} /.test(l)).map((l) => l.replace(/^#+ /, '').toLowerCase().replace(/[^a-z0-9 _-]/g, '').replace(/ /g, '-')));
function du(dir: string): { bytes: number; files: number } {
  let bytes = 0; let count = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) { bytes += statSync(join(e.parentPath, e.name)).size; count++; }
  return { bytes, files: count };
}

beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'flyte-doctor.mjs'))) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore', env: { ...process.env, PATH } });
  const packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8', env: { ...process.env, PATH, npm_config_update_notifier: 'false' } })) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, packed[0]!.filename);
  files = packed[0]!.files.map((f) => f.path).sort();
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), '{ "private": true }\n');
  // --offline: the registry is never asked; with a runtime dependency this install fails (ENOTCACHED) or pulls it from the cache (then the count below fails)
  execFileSync('npm', ['install', '--omit=dev', '--offline', '--loglevel=error', tarball], { cwd: app, encoding: 'utf8', env: npmEnv(), timeout: 120_000 });
}, 180_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the npm package', () => {
  it('ships the built CLI, its docs, the report schema, README and LICENSE, and nothing of the sources or tests', () => {
    for (const f of ['package.json', 'README.md', 'LICENSE', 'docs/checks.md', 'reports/report.schema.json', 'dist/flyte-doctor.mjs', 'dist/cli.cjs']) expect(files, f).toContain(f);
    expect(files.some((f) => f.startsWith('dist/sdk/'))).toBe(true);
    expect(files.filter((f) => /^(src|test|checks|scripts|bench|node_modules|\.testbed|\.ci)\//.test(f) || f.endsWith('.ts'))).toEqual([]);
    expect(Object.values(pkg.bin)).toEqual(['dist/flyte-doctor.mjs']);
    expect(readFileSync(join(installed, 'dist', 'flyte-doctor.mjs'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    // a clean checkout has no dist/: `npm pack`/`npm publish` build it first
    expect(pkg.scripts.prepack).toMatch(/npm run build/);
    expect(pkg.license).toBe('Apache-2.0');
    const license = readFileSync(join(installed, 'LICENSE'), 'utf8');
    expect(license).toMatch(/Apache License\s+Version 2\.0, January 2004/);
    expect(license).toContain('END OF TERMS AND CONDITIONS');
  });

  it('has no runtime dependency: the install is this one package, a few MB', () => {
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.optionalDependencies ?? {}).toEqual({});
    expect(pkg.peerDependencies ?? {}).toEqual({});
    expect(readdirSync(join(app, 'node_modules')).filter((n) => !n.startsWith('.'))).toEqual([pkg.name]);
    const size = du(join(app, 'node_modules'));
    process.stderr.write(`[pack] ${tarball.split('/').pop()}: ${(statSync(tarball).size / 1048576).toFixed(1)} MiB packed, ${files.length} files; installed ${(size.bytes / 1048576).toFixed(1)} MiB in ${size.files} files, 1 package\n`);
    expect(size.bytes).toBeLessThan(16 * 1048576);
  });

  it('every module of the bundle loads from the installed copy with no node_modules around it (nothing left outside the bundle)', () => {
    const chunks = readdirSync(join(installed, 'dist', 'sdk')).map((f) => join(installed, 'dist', 'sdk', f));
    // an import the bundle left external (a bare package name) fails here with ERR_MODULE_NOT_FOUND
    const script = `let n = 0; for (const f of JSON.parse(process.argv[1])) { await import(f); n++; } console.log(n);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(chunks)], { encoding: 'utf8', cwd: work, env: { PATH, HOME: work }, timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(String(chunks.length));
    // A dynamic import() of a package left outside the bundle only fails when a check reaches it: list
    // every module specifier the shipped code names. Allowed: Node's own modules, and three optional
    // modules their packages require() inside a try: the AWS SDK's native signer (only for S3
    // multi-region access points), node-fetch's `encoding` (inside the GCS SDK) and pg's `pg-native`
    // (only when `pg.native` is read, which flyte-doctor never does).
    const OPTIONAL = new Set(['@aws-sdk/signature-v4-crt', 'encoding', 'pg-native']);
    const named = new Set<string>();
    for (const f of [join(installed, 'dist', 'flyte-doctor.mjs'), join(installed, 'dist', 'cli.cjs'), ...chunks]) {
      for (const m of readFileSync(f, 'utf8').matchAll(/\bimport\(\s*"([^"]+)"\s*\)|\bfrom\s*"([^"]+)"|\bimport\s*"([^"]+)"|\brequire\(\s*"([^"]+)"\s*\)/g)) named.add((m[1] ?? m[2] ?? m[3] ?? m[4])!);
    }
    const packages = [...named].filter((x) => /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(\/[\w./-]*)?$/.test(x) && !isBuiltin(x));
    expect(named.has('node:fs') || named.has('fs')).toBe(true); // the scan sees the bundle's imports
    expect(packages.filter((x) => !OPTIONAL.has(x))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(installed, 'dist', 'bundle-manifest.json'), 'utf8')) as Record<string, string[]>;
    expect(Object.values(manifest).flat()).toContain('@grpc/grpc-js');
  });

  it('--version, --help, list and explain work from the installed copy; explain points into the shipped docs', () => {
    const v = fromInstalled(['--version'], false);
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout.trim()).toBe(pkg.version);
    const h = fromInstalled(['--help'], false);
    expect(h.status).toBe(0);
    expect(h.stdout).toContain('Examples:');
    const list = fromInstalled(['list', '-o', 'json'], false);
    expect(list.status, list.stderr).toBe(0);
    const checks = JSON.parse(list.stdout) as { id: string; docsUrl: string }[];
    const reference = JSON.parse(spawnSync(process.execPath, [join(root, 'dist', 'flyte-doctor.mjs'), 'list', '-o', 'json'], { encoding: 'utf8', env: { PATH, HOME: work } }).stdout) as { id: string }[];
    expect(checks.map((c) => c.id)).toEqual(reference.map((c) => c.id));
    // every check's docs reference is a heading of the docs/checks.md shipped in this package
    const anchors = headingAnchors(readFileSync(join(installed, 'docs', 'checks.md'), 'utf8'));
    for (const c of checks) {
      const [file, anchor] = c.docsUrl.split('#');
      expect(file, c.id).toBe('docs/checks.md');
      expect(anchors.has(anchor!), `${c.id}: #${anchor} is not a heading of the shipped docs/checks.md`).toBe(true);
    }
    const e = fromInstalled(['explain', 'database.postgres.auth'], false);
    expect(e.status, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/^Docs: docs\/checks\.md#databasepostgresauth/m);
  });

  it('preflight --dry-run resolves the test bed target and contacts nothing', () => {
    const r = fromInstalled(['preflight', '--dry-run']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('Nothing was contacted (dry run).');
    expect(r.stdout).toMatch(/Plan: \d+ to run/);
  });

  it('a real preflight of kubernetes.* and database.* passes against the test bed', () => {
    const r = fromInstalled(['preflight', '--only', 'kubernetes.*,database.*', '-o', 'json']);
    const d = doc(r);
    const bad = d.results.filter((x) => x.status === 'fail' || x.status === 'error' || (x.status === 'warn' && x.id !== 'kubernetes.version.supported'));
    expect(bad.map((x) => `${x.id} ${x.status}: ${x.message}`)).toEqual([]);
    expect(r.status, r.stderr).toBe(0);
    const areas = new Set(d.results.filter((x) => x.status === 'pass').map((x) => x.id.split('.')[0]));
    expect([...areas].sort()).toEqual(['database', 'kubernetes']);
    expect(d.tool.version).toBe(pkg.version);
    expect(d.tool.node).toBe(process.version);
  });

  it('full preflight and verify (pg, the S3 SDK, gRPC with flyteidl and grpc.health.v1, the Kubernetes API client) give the same verdicts as this checkout, and the report is valid against the shipped schema', () => {
    const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
    addFormats.default(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(join(installed, 'reports', 'report.schema.json'), 'utf8')));
    for (const phase of ['preflight', 'verify']) {
      const mine = fromInstalled([phase, '-o', 'json']);
      const ref = fromCheckout([phase, '-o', 'json']);
      expect(verdicts(doc(mine)), phase).toEqual(verdicts(doc(ref)));
      expect(mine.status, `${phase}: ${mine.stderr}`).toBe(ref.status);
      expect(mine.stderr).toBe('');
      expect(doc(mine).residue).toEqual([]);
      expect(validate(doc(mine)), JSON.stringify(validate.errors)).toBe(true);
      expect(verdicts(doc(mine)).filter((v) => / (fail|error)/.test(v)), phase).toEqual([]);
    }
    const verify = doc(fromInstalled(['verify', '--only', 'ingress.grpc.health', '-o', 'json']));
    expect(verify.results.find((x) => x.id === 'ingress.grpc.health')).toMatchObject({ status: 'pass', message: expect.stringContaining('SERVING') });
  }, 180_000);

  it('the GCS SDK path (application default credentials) runs from the installed copy like from this checkout', () => {
    const args = ['preflight', '--only', 'storage.gcs.*', '--set', 'configuration.storage.provider=gcs', '--set', `configuration.storage.providerConfig.gcs.project=${getTestbed().gcs.projectId}`, '-o', 'json'];
    const mine = fromInstalled(args);
    const ref = fromCheckout(args);
    expect(doc(mine).results.some((x) => x.id.startsWith('storage.gcs.') && x.status !== 'skip')).toBe(true);
    expect(verdicts(doc(mine))).toEqual(verdicts(doc(ref)));
    expect(verdicts(doc(mine)).filter((v) => / error/.test(v))).toEqual([]);
  });
});
