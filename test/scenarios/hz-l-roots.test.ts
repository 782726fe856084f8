// One fault, one root (helper L): single-fault variants of the healthy test bed the earlier sweeps
// (hx-g-roots, hy-t-roots) did not cover. Each breaks ONE thing and asserts exactly one root cause,
// its check and messageId, a fix naming the real key, and every other non-pass result pointing at it.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/engine/types.js';
import { getTestbed } from '../harness/testbed.js';
import { repeatedSettings, runScenario, TESTBED_WARNINGS, testbedSecrets, type ScenarioInputs, type ScenarioReport } from './harness.js';

const tb = () => getTestbed();
const key = (r: Pick<CheckResult, 'id' | 'instance'>) => (r.instance === undefined ? r.id : `${r.id}[${r.instance}]`);
const S3 = 'configuration.storage.providerConfig.s3';

function oneRoot(report: ScenarioReport, root: string, messageId: string, fix: string[], causeKey?: string): CheckResult {
  const show = () => report.results.filter((r) => r.status !== 'pass' && r.status !== 'skip')
    .map((r) => `${key(r)} ${r.status} ${r.messageId ?? ''} cause=${r.cause ?? '-'}${r.rootCause ? ' [root]' : ''}${r.explainedBy ? ` -> ${r.explainedBy}` : ''}: ${r.message}`).join('\n  ');
  expect(report.results.filter((r) => r.rootCause).map(key), `roots\n  ${show()}`).toEqual([root]);
  const r = report.results.find((x) => key(x) === root)!;
  expect(r.messageId, show()).toBe(messageId);
  if (causeKey) expect(r.cause, show()).toBe(causeKey);
  for (const s of fix) expect(r.hint ?? '', `root fix names ${s}`).toContain(s);
  const loose = report.results.filter((x) => (x.status === 'warn' || x.status === 'fail' || x.status === 'error') && x !== r && !TESTBED_WARNINGS.has(x.id) && x.explainedBy !== root).map(key);
  expect(loose, `non-pass results that do not point at ${root}\n  ${show()}`).toEqual([]);
  expect(repeatedSettings(report)).toEqual([]);
  for (const s of testbedSecrets()) expect(report.stdout.includes(s) || report.stderr.includes(s), 'a test bed credential appears in the output').toBe(false);
  return r;
}

const tmp = (name: string, text: string) => { const f = join(mkdtempSync(join(tmpdir(), 'hz-l-')), name); writeFileSync(f, text); return f; };

describe.sequential('one fault, one root (helper L)', () => {
  // --- fixed here: "the release runs with another address" (flyte.config.live) is whatever the probes find at that address

  // The values name a database host the server's certificate does not cover (sslmode=verify-full):
  // the TLS probe finds the name mismatch; flyte.config.live finds the host differs from the
  // installed one. Before: two roots (the TLS name, and "runs with another configuration" keyed as an
  // unreachable address). Now one: the certificate name, whose fix names the host key and carries
  // the installed host.
  it('verify, database host not in the DB certificate under verify-full: one root, the name mismatch', async () => {
    const r = await runScenario('verify', { set: ['configuration.database.host=flyte.test', `configuration.database.options=sslmode=verify-full sslrootcert=${tb().caCert}`] }, { timeout: '8s' });
    const root = oneRoot(r, 'database.postgres.tls[flyteadmin]', 'certNameMismatch', ['configuration.database.host', 'the installed release runs with another flyteadmin database host ("127.0.0.1")', 'the values are what to fix (configuration.database.host)'],
      `tls-name:flyte.test:${tb().postgres.port}`);
    expect(root.hint).toContain(tb().postgres.certNames[0]!);
    expect(r.results.find((x) => x.id === 'flyte.config.live')!.explainedBy).toBe('database.postgres.tls[flyteadmin]');
  }, 60_000);

  // The values' database port names another PostgreSQL server (its TLS-only one), where the login
  // works and flyteadmin's schema does not exist. Before: two roots, the missing migrations table
  // (no cause key: "check the run-migrations init container") and flyte.config.live. Now one: the
  // missing schema on that server, whose fix says the installed release uses another port and the
  // values key to fix.
  it('verify, database port of another server without Flyte\'s schema: one root, the missing schema at that address', async () => {
    const p = tb().postgres;
    const r = await runScenario('verify', { set: [`configuration.database.port=${p.tlsOnlyPort}`] }, { timeout: '8s' });
    oneRoot(r, 'database.postgres.migrations[flyteadmin]', 'noMigrationsTable', [`another flyteadmin database port ("${p.port}")`, 'the values are what to fix (configuration.database.port)'],
      `object:database-schema/${p.host}:${p.tlsOnlyPort}/flyteadmin`);
    expect(r.results.find((x) => x.id === 'flyte.config.live')!.explainedBy).toBe('database.postgres.migrations[flyteadmin]');
  }, 60_000);

  // --- regressions: single faults that already name one root (kept so they stay that way)

  const cases: { name: string; phase: 'preflight' | 'verify'; inputs: () => ScenarioInputs; root: string; messageId: string; fix: string[] }[] = [
    { name: 'verify, S3 region wrong: one root (the bucket region), the other bucket and flyte.config.live point at it', phase: 'verify',
      inputs: () => ({ set: [`${S3}.region=eu-west-1`] }),
      root: 'storage.s3.bucket[metadata]', messageId: 'wrongRegion', fix: [`set ${S3}.region: ${tb().minio.region}`] },
    { name: 'verify, userdata bucket missing, metadata present: one root naming userDataContainer', phase: 'verify',
      inputs: () => ({ set: ['configuration.storage.userDataContainer=hz-l-missing'] }),
      root: 'storage.s3.bucket[userdata]', messageId: 'noSuchBucket', fix: ['configuration.storage.userDataContainer', 'the installed release runs with another raw-data bucket'] },
    { name: 'verify, passwordPath (a file with a wrong password) beside password: the file wins, the values are what to fix', phase: 'verify',
      inputs: () => ({ set: [`configuration.database.passwordPath=${tmp('pw', 'hz-l-wrong-pw')}`] }),
      root: 'database.postgres.auth[flyteadmin]', messageId: 'passwordNotInstalled', fix: ['configuration.database.passwordPath'] },
    { name: 'preflight, admin.insecure true against TLS: one root, a client setting', phase: 'preflight',
      inputs: () => ({ flytectl: { admin: { insecure: true } } }),
      root: 'client.config.tls-mode', messageId: 'insecureAgainstTls', fix: ['admin.insecure: false'] },
    { name: 'verify, admin.caCertFilePath is another CA: one root, every probe through the ingress points at it', phase: 'verify',
      inputs: () => ({ flytectl: { admin: { caCertFilePath: join(tb().dir, 'pki', 'nginx-selfsigned.crt') } } }),
      root: 'tls.admin.trust', messageId: 'caFileDoesNotSign', fix: ['admin.caCertFilePath'] },
    { name: 'preflight, --endpoint with https:// and a path: the flag, with the target meant', phase: 'preflight',
      inputs: () => ({ args: ['--endpoint', `https://${tb().nginx.host}:${tb().nginx.https}/console`] }),
      root: 'client.config.endpoint', messageId: 'malformed', fix: [`--endpoint dns:///${tb().nginx.host}:${tb().nginx.https}`] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await runScenario(c.phase, c.inputs(), { timeout: '8s' });
      oneRoot(r, c.root, c.messageId, c.fix);
    }, 60_000);
  }

  // the admin user's kubeconfig credential is a client certificate that expired (signed by the bed's CA)
  it('verify, an expired client certificate in the kubeconfig: one root, renew the certificate of that user', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hz-l-kc-'));
    const { execFileSync } = await import('node:child_process');
    const pki = join(tb().dir, 'pki');
    writeFileSync(join(dir, 'index.txt'), ''); writeFileSync(join(dir, 'serial'), '1000\n');
    writeFileSync(join(dir, 'ca.cnf'), `[ca]\ndefault_ca=d\n[d]\ndir=${dir}\ndatabase=${dir}/index.txt\nserial=${dir}/serial\nnew_certs_dir=${dir}\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\norganizationName=optional\n[ext]\nbasicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n`);
    execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'c.key'), '-subj', '/O=system:masters/CN=hz-l-admin', '-out', join(dir, 'c.csr')], { stdio: 'ignore' });
    execFileSync('openssl', ['ca', '-batch', '-config', join(dir, 'ca.cnf'), '-cert', join(pki, 'ca.crt'), '-keyfile', join(pki, 'ca.key'), '-startdate', '20240101000000Z', '-enddate', '20250101000000Z', '-extensions', 'ext', '-in', join(dir, 'c.csr'), '-out', join(dir, 'c.crt'), '-notext'], { stdio: 'ignore' });
    const kc = parse(readFileSync(tb().kube.kubeconfig, 'utf8')) as { users: { name: string; user: Record<string, unknown> }[] };
    kc.users.find((u) => u.name === 'admin')!.user = { 'client-certificate': join(dir, 'c.crt'), 'client-key': join(dir, 'c.key') };
    writeFileSync(join(dir, 'config'), stringify(kc));
    const r = await runScenario('verify', { kubeconfig: join(dir, 'config') }, { timeout: '8s' });
    const root = oneRoot(r, 'kubernetes.api.reachable', 'unauthorized', ['kubectl config set-credentials admin --client-certificate=']);
    expect(root.message).toContain('expired at 2025-01-01');
  }, 60_000);
});
