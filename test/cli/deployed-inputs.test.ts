// --manifests and --server-config: what the servers really read, as a user gives it. The rendered
// manifests and server configs of ../shared/fixtures through the bundled CLI (stdin, a file, a
// directory), and a Flyte server config pointing at the real test bed, healthy and broken.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHARED_FIXTURES } from '../harness/fixtures.js';
import { getTestbed } from '../harness/testbed.js';
import { runCli } from './helpers.js';

const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'dist', 'flyte-doctor.mjs');
const RENDERED = join(SHARED_FIXTURES, 'flyte-rendered');
const SERVER = join(SHARED_FIXTURES, 'flyte-server-config');
const home = mkdtempSync(join(tmpdir(), 'fd-deployed-home-'));
const env = { PATH: process.env.PATH ?? '', HOME: home, NO_COLOR: '1' };
const spawnCli = (args: string[], input?: string) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env, cwd: home, timeout: 30_000, ...(input !== undefined ? { input } : {}) });
type DryRun = { target: { chart: string | null; fields: { field: string; value: string; source: string }[]; placeholders: { key: string; value: string; usedBy: string[] }[] } };
const field = (d: DryRun, f: string) => d.target.fields.find((x) => x.field === f);

describe('--manifests (rendered manifests)', () => {
  it('helm template output on stdin (--manifests -): the install as rendered, its placeholders listed and blocking', () => {
    expect(existsSync(bin)).toBe(true);
    const r = spawnCli(['preflight', '--manifests', '-', '--dry-run', '-o', 'json'], readFileSync(join(RENDERED, 'eks__flyte_helm_generated.yaml'), 'utf8'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const d = JSON.parse(r.stdout) as DryRun;
    expect(d.target.chart).toBe('flyte-core');
    expect(field(d, 'databases[0].host')).toMatchObject({ value: '<RDS_HOST>', source: 'ConfigMap flyte/flyte-admin-base-config key db.yaml: database.host' });
    expect(field(d, 'databases[1].role')?.value).toBe('datacatalog');
    expect(d.target.placeholders.find((p) => p.value === '<RDS_HOST>')?.usedBy).toEqual(['databases[0].host', 'databases[1].host']);
  });

  it('a directory of rendered files, and the sandbox render: the chart, the bundled database host and bucket', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fd-manifests-'));
    copyFileSync(join(RENDERED, 'sandbox-bundled-complete.yaml'), join(dir, 'all.yaml'));
    const r = spawnCli(['preflight', '--manifests', dir, '--dry-run', '-o', 'json']);
    expect(r.status, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout) as DryRun;
    expect(d.target.chart).toBe('flyte-binary');
    expect(field(d, 'databases[0].host')?.value).toBe('flyte-sandbox-postgresql');
    expect(field(d, 'storage.metadataBucket')?.value).toBe('my-s3-bucket');
  });

  it('bad input: a missing path and a terminal-less empty stdin are one line, exit 2', () => {
    const missing = spawnCli(['preflight', '--manifests', join(home, 'nope.yaml'), '--dry-run']);
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain('nope.yaml');
    const empty = spawnCli(['preflight', '--manifests', '-', '--dry-run'], '');
    expect(empty.status).toBe(2);
    expect(empty.stderr.trim().split('\n')).toHaveLength(1);
    expect(empty.stderr).toMatch(/--manifests -|stdin/);
    expect(empty.stderr).not.toContain('Unknown argument');
  });
});

describe('--server-config (Flyte server configs)', () => {
  it("flyteadmin's config with stow storage is read (it used to be exit 2), the datacatalog config is not misread as values", () => {
    const r = spawnCli(['preflight', '--server-config', join(SERVER, 'flyteadmin__flyteadmin_config.yaml'), '--dry-run', '-o', 'json']);
    expect(r.status, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout) as DryRun;
    expect(field(d, 'storage.provider')?.source).toMatch(/flyteadmin__flyteadmin_config\.yaml: storage\.stow\.kind$/);
    const c = spawnCli(['preflight', '--server-config', join(SERVER, 'datacatalog__datacatalog_config.yaml'), '--dry-run', '-o', 'json']);
    expect(c.status, c.stderr).toBe(0);
    expect(field(JSON.parse(c.stdout) as DryRun, 'databases[0].role')?.value).toBe('datacatalog');
  });

  it('Helm values given as a server config: one line naming the flag to use', () => {
    const r = spawnCli(['preflight', '--server-config', join(SHARED_FIXTURES, 'flyte-values', 'flyte-binary__values.yaml'), '--dry-run']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/-f|--values/);
  });

  const serverConfig = (password: string) => {
    const tb = getTestbed();
    const dir = mkdtempSync(join(tmpdir(), 'fd-server-config-'));
    const f = join(dir, 'flyteadmin.yaml');
    writeFileSync(f, [
      'database:', '  postgres:', `    host: 127.0.0.1`, `    port: ${tb.postgres.port}`, `    username: ${tb.postgres.owner.user}`, `    password: ${JSON.stringify(password)}`,
      `    dbname: ${tb.postgres.databases.flyteadmin}`, '    options: "sslmode=require"',
      'storage:', '  type: stow', '  stow:', '    kind: s3', '    config:', `      region: ${tb.minio.region}`, `      endpoint: ${tb.minio.endpoint}`, '      auth_type: accesskey',
      `      access_key_id: ${tb.minio.root.accessKey}`, `      secret_key: ${JSON.stringify(tb.minio.root.secretKey)}`, '      disable_ssl: true', `  container: ${tb.minio.buckets.metadata}`,
      'propeller:', `  rawoutput-prefix: s3://${tb.minio.buckets.userdata}/data`, '',
    ].join('\n'));
    return f;
  };

  it('a server config pointing at the real test bed: the database and storage probes pass with what flyteadmin reads', async () => {
    const f = serverConfig(getTestbed().postgres.owner.password);
    const r = await runCli(['preflight', '--server-config', f, '--only', 'database,storage.s3,values', '--dns-server', getTestbed().dns.server, '-o', 'json'], { env: { PATH: process.env.PATH ?? '' }, home, cwd: home });
    const doc = JSON.parse(r.stdout) as { results: { id: string; status: string; message: string }[] };
    expect(doc.results.filter((x) => x.status === 'fail' || x.status === 'error').map((x) => `${x.id}: ${x.message}`)).toEqual([]);
    expect(doc.results.find((x) => x.id === 'values.inputs.server-config')?.status).toBe('pass');
    expect(doc.results.filter((x) => x.id === 'storage.s3.put').map((x) => x.status)).toEqual(['pass', 'pass']);
    expect(r.stdout).not.toContain(getTestbed().postgres.owner.password);
    expect(r.stdout).not.toContain(getTestbed().minio.root.secretKey);
  });

  it('a wrong password in the server config: rejected, and the fix names the server-config key and file', async () => {
    const f = serverConfig('fd-wrong-server-config-pw');
    const r = await runCli(['preflight', '--server-config', f, '--only', 'database.postgres.auth', '--dns-server', getTestbed().dns.server, '-o', 'json'], { env: { PATH: process.env.PATH ?? '' }, home, cwd: home });
    const doc = JSON.parse(r.stdout) as { results: { id: string; status: string; messageId?: string; hint?: string }[] };
    const auth = doc.results.find((x) => x.id === 'database.postgres.auth')!;
    expect(auth).toMatchObject({ status: 'fail', messageId: 'passwordRejected' });
    expect(auth.hint).toContain('database.postgres.password');
    expect(r.stdout).not.toContain('fd-wrong-server-config-pw');
  });
});
