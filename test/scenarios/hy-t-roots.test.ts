// One fault, one named root (helper T): more single-fault variants of the healthy test bed, each
// breaking ONE input (a kubeconfig field, a proxy variable, a values key, the client endpoint, the
// chart of the values, the --timeout) and asserting that exactly one result is the root cause, with
// the right messageId and a fix naming the real key, variable or command, and that every other
// non-pass result of the run (warnings too) points at it.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/engine/types.js';
import { runCli } from '../cli/helpers.js';
import { startProxy } from '../harness/proxy-server.js';
import type { Running } from '../harness/private-servers.js';
import { getTestbed } from '../harness/testbed.js';
import { repeatedSettings, runScenario, TESTBED_WARNINGS, testbedSecrets, type ScenarioInputs, type ScenarioReport } from './harness.js';

const tb = () => getTestbed();
const key = (r: Pick<CheckResult, 'id' | 'instance'>) => (r.instance === undefined ? r.id : `${r.id}[${r.instance}]`);
const S3 = 'configuration.storage.providerConfig.s3';

/** Exactly one root; its messageId and fix; every other non-pass (bar `allowed` warnings) points at it; no repeated setting, no secret. */
function oneRoot(report: ScenarioReport, root: string | ((r: CheckResult) => boolean), messageId: string, fix: string[], allowed: string[] = []): CheckResult {
  const show = () => report.results.filter((r) => r.status !== 'pass' && r.status !== 'skip')
    .map((r) => `${key(r)} ${r.status} ${r.messageId ?? ''} cause=${r.cause ?? '-'}${r.rootCause ? ' [root]' : ''}${r.explainedBy ? ` -> ${r.explainedBy}` : ''}: ${r.message}`).join('\n  ');
  const roots = report.results.filter((r) => r.rootCause);
  expect(roots.map(key), `roots\n  ${show()}`).toHaveLength(1);
  const r = roots[0]!;
  if (typeof root === 'string') expect(key(r), show()).toBe(root); else expect(root(r), `root ${key(r)}\n  ${show()}`).toBe(true);
  expect(r.messageId, show()).toBe(messageId);
  for (const s of fix) expect(r.hint ?? '', `root fix names ${s}`).toContain(s);
  const loose = report.results.filter((x) => (x.status === 'warn' || x.status === 'fail' || x.status === 'error') && x !== r && !TESTBED_WARNINGS.has(x.id) && !allowed.includes(key(x)) && x.explainedBy !== key(r)).map(key);
  expect(loose, `non-pass results that do not point at ${key(r)}\n  ${show()}`).toEqual([]);
  expect(repeatedSettings(report)).toEqual([]);
  for (const s of testbedSecrets()) expect(report.stdout.includes(s) || report.stderr.includes(s), 'a test bed credential appears in the output').toBe(false);
  return r;
}

/** The test bed's kubeconfig with the admin cluster or user changed. */
function kubeconfig(change: (kc: { clusters: { name: string; cluster: Record<string, unknown> }[]; users: { name: string; user: Record<string, unknown> }[] }) => void): string {
  const kc = parse(readFileSync(tb().kube.kubeconfig, 'utf8')) as Parameters<typeof change>[0];
  change(kc);
  const f = join(mkdtempSync(join(tmpdir(), 'hy-t-kc-')), 'config');
  writeFileSync(f, stringify(kc));
  return f;
}

/** flyte-core values for the same servers as the test bed's flyte-binary values (the bed installs flyte-binary). */
function flyteCoreValues(): string {
  const t = tb();
  const db = (dbname: string) => ({ host: t.postgres.host, port: t.postgres.port, username: t.postgres.owner.user, password: t.postgres.owner.password, dbname, options: 'sslmode=require' });
  const v = {
    userSettings: { dbHost: t.postgres.host, dbPassword: t.postgres.owner.password, bucketName: t.minio.buckets.metadata, rawDataBucketName: t.minio.buckets.userdata },
    db: { admin: { database: db('flyteadmin') }, datacatalog: { database: db('datacatalog') } },
    storage: { type: 's3', bucketName: t.minio.buckets.metadata, s3: { region: t.minio.region, authType: 'accesskey', accessKey: t.minio.root.accessKey, secretKey: t.minio.root.secretKey, endpoint: t.minio.endpoint } },
    common: { ingress: { enabled: true, host: t.nginx.host, ingressClassName: 'nginx', separateGrpcIngress: true, tls: { enabled: true, secretName: 'flyte-tls' } } },
  };
  const f = join(mkdtempSync(join(tmpdir(), 'hy-t-core-')), 'values.yaml');
  writeFileSync(f, stringify(v));
  return f;
}

async function runWith(phase: 'preflight' | 'verify', values: string, extra: string[] = []): Promise<ScenarioReport> {
  const dir = mkdtempSync(join(tmpdir(), 'hy-t-scn-'));
  writeFileSync(join(dir, 'flytectl.yaml'), readFileSync(join(tb().dir, 'flytectl.yaml')));
  const args = [phase, '-f', values, '--flytectl-config', join(dir, 'flytectl.yaml'), '--kubeconfig', tb().kube.kubeconfig, '--dns-server', tb().dns.server, '--timeout', '3s', '-o', 'json', ...extra];
  const r = await runCli(args, { env: { PATH: process.env.PATH ?? '' }, home: dir, cwd: dir });
  try { return { ...(JSON.parse(r.stdout) as ScenarioReport), stdout: r.stdout, stderr: r.stderr, code: r.code }; } catch { throw new Error(`no JSON report (exit ${r.code}): ${r.stderr || r.stdout.slice(0, 500)}`); }
}

describe.sequential('one fault, one named root (helper T)', () => {
  // --- fixed here (src/engine/causes.ts)

  // flyte-core values against the bed's flyte-binary install: no flyte-core Deployment exists, so the
  // missing project namespaces (no syncresources) and the missing flyteadmin ServiceAccount are that
  // fault, not two more roots asking to check the sync and to create a ServiceAccount.
  it('verify, flyte-core values against the flyte-binary install: one root, the missing install', async () => {
    const r = await runWith('verify', flyteCoreValues());
    // the pool-size warnings are about these values' connection pools, true of any flyte-core install on this database
    const allowed = r.results.filter((x) => x.status === 'warn' && x.id === 'database.postgres.connections').map(key);
    const root = oneRoot(r, 'flyte.deployments.ready', 'notInstalled', ['runs flyte-binary (Deployment flyte-flyte-binary)', 'helm get values', 'do not install flyte-core beside it'], allowed);
    expect(root.message).toContain('found flyte-flyte-binary');
    for (const id of ['flyte.projects.namespaces', 'flyte.rbac.runtime']) {
      const x = r.results.find((y) => y.id === id)!;
      expect(x.status, `${id}: ${x.message}`).toBe('fail');
      expect(x.explainedBy, `${id}: ${x.message}`).toBe('flyte.deployments.ready');
    }
  }, 60_000);

  // A per-check --timeout nothing can meet: every check the engine timed out is the same fault (the
  // budget), one root whose fix names a longer --timeout, not fifteen roots with no fix at all.
  it('verify with --timeout 20ms: the engine timeouts are one fault, its root an engine timeout whose fix is a longer --timeout', async () => {
    const r = await runScenario('verify', {}, { timeout: '20ms' });
    // (how many checks end on their own findings within 20 ms depends on the machine's load: only
    // the engine's own timeouts are asserted to be one fault, never one root each)
    const timeouts = r.results.filter((x) => x.status === 'error' && x.messageId === 'timeout' && !x.cause);
    expect(timeouts.length).toBeGreaterThan(1);
    const roots = timeouts.filter((x) => x.rootCause);
    expect(roots.map(key)).toHaveLength(1);
    const root = roots[0]!;
    expect(root.message).toMatch(/^timed out after /);
    for (const s of ['ran out of their time budget', '--timeout 10s']) expect(root.hint ?? '').toContain(s);
    for (const x of timeouts) if (x !== root) expect(x.explainedBy, key(x)).toBe(key(root));
  }, 60_000);

  // --- regressions: variants that already name one root (kept so they stay that way)

  const cases: { name: string; phase: 'preflight' | 'verify'; inputs: () => ScenarioInputs; root: string; messageId: string; fix: string[] }[] = [
    { name: 'verify, the kubeconfig server on a port where nothing listens: refused, regenerate the kubeconfig', phase: 'verify',
      inputs: () => ({ kubeconfig: kubeconfig((kc) => { kc.clusters.find((c) => c.name === 'testbed')!.cluster['server'] = `https://127.0.0.1:${tb().closedPort}`; }) }),
      root: 'kubernetes.api.reachable', messageId: 'refused', fix: ['config view --minify'] },
    { name: 'verify, a token the API server rejects (401): renew the token of the named user, not a permission', phase: 'verify',
      inputs: () => ({ kubeconfig: kubeconfig((kc) => { kc.users.find((u) => u.name === 'admin')!.user = { token: 'hy-t-garbage-token-0123456789' }; }) }),
      root: 'kubernetes.api.reachable', messageId: 'unauthorized', fix: ['kubectl config set-credentials admin --token=<new token>'] },
    { name: 'verify, an access key whose user has no policy: one root (s3:ListBucket), flyte.config.live and the other bucket point at it', phase: 'verify',
      inputs: () => ({ set: [`${S3}.accessKey=${tb().minio.users.none.accessKey}`, `${S3}.secretKey=${tb().minio.users.none.secretKey}`] }),
      root: 'storage.s3.bucket[metadata]', messageId: 'permissionDenied', fix: ['s3:ListBucket', 'the installed release runs with another storage access key id'] },
    { name: 'verify, the S3 endpoint host does not resolve: the DNS finding names the endpoint key; the probe and flyte.config.live point at it', phase: 'verify',
      inputs: () => ({ set: [`${S3}.endpoint=http://minio.${tb().dns.nxdomain}:19000`] }),
      root: 'dns.hosts.resolve[storage]', messageId: 'nxdomain', fix: [`${S3}.endpoint`] },
    { name: 'verify, the database port of MinIO: something else (HTTP) listens there, names the port key', phase: 'verify',
      inputs: () => ({ set: [`configuration.database.port=${new URL(tb().minio.endpoint).port}`] }),
      root: 'database.postgres.connect[flyteadmin]', messageId: 'notPostgres', fix: ['configuration.database.port'] },
    { name: 'preflight, admin.endpoint with a path: the endpoint key, with the value meant', phase: 'preflight',
      inputs: () => ({ flytectl: { admin: { endpoint: `dns:///${tb().nginx.host}:${tb().nginx.https}/api/v1` } } }),
      root: 'client.config.endpoint', messageId: 'malformed', fix: [`admin.endpoint: "dns:///${tb().nginx.host}:${tb().nginx.https}"`] },
    { name: 'preflight, FLYTE_PLATFORM_URL on a plain HTTP port: the fixes name the variable that overrides admin.endpoint, not admin.endpoint', phase: 'preflight',
      inputs: () => ({ env: { FLYTE_PLATFORM_URL: `dns:///${tb().nginx.host}:${tb().nginx.plaintext}` } }),
      root: 'tls.admin.handshake', messageId: 'plaintextPort', fix: ['point FLYTE_PLATFORM_URL (environment; it overrides admin.endpoint)'] },
    { name: 'verify, the values name a TLS Secret that does not exist while the installed Ingresses use one that does: the values are not the installed ones, not "the controller serves its default certificate"', phase: 'verify',
      inputs: () => ({ set: ['ingress.tls[0].secretName=hy-t-other-tls'] }),
      root: 'kubernetes.objects.secrets', messageId: 'tlsSecretNotInstalled', fix: ['`ingress.tls[0].secretName: flyte-tls`'] },
    { name: 'verify, HTTPS_PROXY names a port where nothing listens: the variable named, NO_PROXY offered', phase: 'verify',
      inputs: () => ({ env: { HTTPS_PROXY: `http://127.0.0.1:${tb().closedPort}` } }),
      root: 'client.proxy.path', messageId: 'proxyRefused', fix: ['HTTPS_PROXY', 'NO_PROXY'] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await runScenario(c.phase, c.inputs());
      oneRoot(r, c.root, c.messageId, c.fix);
    }, 60_000);
  }

  describe('a proxy that refuses CONNECT', () => {
    let proxy: Running | undefined;
    beforeAll(async () => { proxy = await startProxy('deny'); });
    afterAll(async () => { await proxy?.stop(); });
    it('preflight, HTTPS_PROXY refuses the tunnel (403): the proxy is the root, named with the target it refused', async () => {
      const r = await runScenario('preflight', { env: { HTTPS_PROXY: `http://127.0.0.1:${proxy!.port}` } });
      const root = oneRoot(r, 'client.proxy.path', 'proxyDenied', [`CONNECT to ${tb().nginx.host}:${tb().nginx.https}`, 'NO_PROXY']);
      expect(root.message).toContain('HTTPS_PROXY');
    }, 60_000);
    it('the same proxy with NO_PROXY covering the host: nothing fails', async () => {
      const r = await runScenario('preflight', { env: { HTTPS_PROXY: `http://127.0.0.1:${proxy!.port}`, NO_PROXY: `.${tb().nginx.host.split('.').pop()}` } });
      expect(r.results.filter((x) => x.status === 'fail' || x.status === 'error').map((x) => `${key(x)}: ${x.message}`)).toEqual([]);
      expect(r.results.filter((x) => x.rootCause)).toEqual([]);
    }, 60_000);
  });
});
