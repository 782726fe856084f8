// Ground truth for the client path (issue 10): for every client/TLS scenario, the real Python client
// (flytekit 1.16.31's FlyteRemote, from the cached venv that test/infra/flytekit.sh installs) tries
// GetVersion with the same config file and environment, and flyte-doctor's client-path verdict must
// agree: the checks pyflyte depends on all pass (or warn) exactly when FlyteRemote reaches flyteadmin.
// Where flytectl and pyflyte really differ (flytectl reads caCertFilePath even with
// insecureSkipVerify; only pyflyte reads GRPC_DEFAULT_SSL_ROOTS_FILE_PATH), the case says so and
// flyte-doctor must fail naming flytectl while FlyteRemote works.
// Configs use localhost/127.0.0.1 (on the test certificates), no --dns-server: pyflyte resolves
// through the system resolver like flyte-doctor does here.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../reports/schema.js';
import { runCli } from '../cli/helpers.js';
import { cacheDir, REPO_ROOT } from '../infra/common.js';
import { getTestbed } from '../harness/testbed.js';
import { startTlsVariants, type TlsVariants } from '../checks/tls/servers.js';

const VENV = join(cacheDir(), 'venv-flytekit');
const PY = join(VENV, 'bin', 'python');
const PROBE = join(import.meta.dirname, 'probe.py');
const CI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';

/** The checks whose failure means pyflyte/flytectl cannot reach flyteadmin (with their dependencies). */
const CLIENT_PATH = ['dns.admin.resolve', 'client.config.endpoint', 'client.config.tls-mode', 'tls.admin.handshake', 'tls.admin.trust', 'tls.admin.hostname', 'tls.admin.expiry', 'flyte.admin.grpc'];

interface Case {
  name: string;
  /** admin.* of the flytectl config. */
  admin: (v: TlsVariants) => Record<string, string | number | boolean>;
  /** Environment for both clients (FLYTE_PLATFORM_* ...). */
  env?: Record<string, string>;
  /** Variables flyte-doctor reads from its own process (CA bundles): set around its run too. */
  processEnv?: () => Record<string, string>;
  /** 'agree' (default), or flytectl fails where FlyteRemote works: flyte-doctor must fail with this messageId. */
  flytectlOnly?: string;
}

const tb = () => getTestbed();
const CA = () => tb().caCert;
const at = (port: number, extra: Record<string, string | number | boolean> = {}) => ({ endpoint: `dns:///localhost:${port}`, insecure: false, ...extra });

const CASES: Case[] = [
  { name: 'healthy: TLS ingress, test CA in caCertFilePath', admin: () => at(tb().nginx.https, { caCertFilePath: CA() }) },
  { name: 'healthy by IP (the certificate has IP:127.0.0.1)', admin: () => ({ endpoint: `dns:///127.0.0.1:${tb().nginx.https}`, insecure: false, caCertFilePath: CA() }) },
  { name: 'plaintext gRPC port with insecure: true', admin: () => ({ endpoint: `dns:///127.0.0.1:${tb().admin.grpcPort}`, insecure: true }) },
  { name: 'insecure: true against the TLS ingress', admin: () => at(tb().nginx.https, { insecure: true, caCertFilePath: CA() }) },
  { name: 'FLYTE_PLATFORM_INSECURE=true overrides a correct file', admin: () => at(tb().nginx.https, { caCertFilePath: CA() }), env: { FLYTE_PLATFORM_INSECURE: 'true' } },
  { name: 'TLS (insecure: false) against the plaintext gRPC port', admin: () => ({ endpoint: `dns:///127.0.0.1:${tb().admin.grpcPort}`, insecure: false }) },
  { name: 'flyteadmin\'s HTTP-only port with insecure: true', admin: () => ({ endpoint: `dns:///127.0.0.1:${tb().admin.httpPort}`, insecure: true }) },
  { name: 'the ingress\'s plain HTTP port given as TLS', admin: () => at(tb().nginx.plaintext, { caCertFilePath: CA() }) },
  { name: 'missing CA (no caCertFilePath, private CA)', admin: () => at(tb().nginx.https) },
  { name: 'FLYTE_PLATFORM_CA_CERT_FILE_PATH gives the CA the file lacks', admin: () => at(tb().nginx.https), env: { FLYTE_PLATFORM_CA_CERT_FILE_PATH: tb().caCert } },
  { name: 'wrong CA in caCertFilePath', admin: (v) => at(tb().nginx.https, { caCertFilePath: v.pki.root }) },
  { name: 'caCertFilePath that does not exist', admin: () => at(tb().nginx.https, { caCertFilePath: '/nonexistent/flyte-ca.pem' }) },
  { name: 'caCertFilePath that does not exist, with insecureSkipVerify: flytectl fails, pyflyte does not read it', admin: () => at(tb().nginx.https, { caCertFilePath: '/nonexistent/flyte-ca.pem', insecureSkipVerify: true }), flytectlOnly: 'caFileMissing' },
  { name: 'expired certificate', admin: () => at(tb().nginx.expired, { caCertFilePath: CA() }) },
  { name: 'expired certificate with insecureSkipVerify (pyflyte still checks dates)', admin: () => at(tb().nginx.expired, { insecureSkipVerify: true }) },
  { name: 'FLYTE_PLATFORM_URL points at the expired listener', admin: () => at(tb().nginx.https, { caCertFilePath: CA() }), env: { FLYTE_PLATFORM_URL: `dns:///localhost:${tb().nginx.expired}` } },
  { name: 'certificate for another host', admin: () => at(tb().nginx.wrongHost, { caCertFilePath: CA() }) },
  { name: 'certificate for another host with insecureSkipVerify (pyflyte still checks the name)', admin: () => at(tb().nginx.wrongHost, { insecureSkipVerify: true }) },
  { name: 'self-signed certificate', admin: () => at(tb().nginx.selfSigned, { caCertFilePath: CA() }) },
  { name: 'self-signed certificate with insecureSkipVerify', admin: () => at(tb().nginx.selfSigned, { insecureSkipVerify: true }) },
  { name: 'nothing listens (refused)', admin: () => ({ endpoint: `dns:///127.0.0.1:${tb().closedPort}`, insecure: false, caCertFilePath: CA() }) },
  { name: 'the host does not exist (NXDOMAIN, system resolver)', admin: () => ({ endpoint: 'dns:///flyte-doctor-missing.invalid:443', insecure: false }) },
  { name: 'full chain from a private root', admin: (v) => at(v.ports.chainFull, { caCertFilePath: v.pki.root }) },
  { name: 'the server sends its root too', admin: (v) => at(v.ports.sentRoot, { caCertFilePath: v.pki.root }) },
  { name: 'intermediate not sent', admin: (v) => at(v.ports.leafOnlyAia, { caCertFilePath: v.pki.root }) },
  { name: 'intermediate not sent, but caCertFilePath holds it', admin: (v) => at(v.ports.leafOnly, { caCertFilePath: v.pki.rootAndIntermediate }) },
  { name: 'intermediate not sent, with insecureSkipVerify', admin: (v) => at(v.ports.leafOnlyAia, { insecureSkipVerify: true }) },
  { name: 'TLS 1.0/1.1 only', admin: (v) => at(v.ports.tls10, { caCertFilePath: CA() }) },
  { name: 'no h2 in ALPN', admin: (v) => at(v.ports.noH2, { caCertFilePath: CA() }) },
  { name: 'ingress-nginx fake certificate', admin: (v) => at(v.ports.fakeCert, { caCertFilePath: CA() }) },
  { name: 'ingress-nginx fake certificate with insecureSkipVerify', admin: (v) => at(v.ports.fakeCert, { insecureSkipVerify: true }) },
  { name: 'certificate not valid yet', admin: (v) => at(v.ports.notYetValid, { caCertFilePath: CA() }) },
  { name: 'certificate with a CN and no subjectAltName', admin: (v) => at(v.ports.cnOnly, { caCertFilePath: CA() }) },
  { name: 'a server that requires a client certificate', admin: (v) => at(v.ports.mtls, { caCertFilePath: CA() }) },
  { name: 'SSL_CERT_FILE holds the CA (flytectl would trust it, pyflyte does not read it)', admin: () => at(tb().nginx.https), processEnv: () => ({ SSL_CERT_FILE: tb().caCert }) },
  { name: 'GRPC_DEFAULT_SSL_ROOTS_FILE_PATH holds the CA: pyflyte trusts it, flytectl does not', admin: () => at(tb().nginx.https), processEnv: () => ({ GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: tb().caCert }), flytectlOnly: 'onlyOneClient' },
];

interface Ground { ok: boolean; version?: string; error?: string; cause?: string | null; seconds?: number; raw: string }
interface ProbeCase { name: string; config: string; env: Record<string, string> }

/**
 * FlyteRemote for each case, in one Python process (flytekit imported once) with `processEnv` for
 * the whole process. A process that does not end within its budget leaves its remaining cases
 * without an answer: they count as not reaching flyteadmin, with the reason.
 */
function flytekit(cases: ProbeCase[], processEnv: Record<string, string>, dir: string): Promise<Map<string, Ground>> {
  const file = join(dir, `cases-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(cases));
  return new Promise((resolve) => {
    execFile(PY, [PROBE, file], { env: { PATH: process.env.PATH ?? '', HOME: dir, GRPC_VERBOSITY: 'NONE', ...processEnv }, timeout: 30_000 + cases.length * 15_000, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      const out = new Map<string, Ground>();
      for (const line of stdout.split('\n')) {
        try { const g = JSON.parse(line) as Omit<Ground, 'raw'> & { name: string }; out.set(g.name, { ...g, raw: line }); } catch { /* not a result line */ }
      }
      for (const c of cases) if (!out.has(c.name)) out.set(c.name, { ok: false, error: `no answer from the probe${err ? ` (${err.message.split('\n')[0]})` : ''}`, raw: stderr.slice(-800) });
      resolve(out);
    });
  });
}

describe('differential: flyte-doctor\'s client-path verdict agrees with flytekit\'s FlyteRemote', () => {
  let v: TlsVariants;
  const grounds = new Map<string, Promise<Ground>>();
  const configs = new Map<string, { file: string; home: string }>();

  beforeAll(async () => {
    if (!existsSync(PY)) {
      if (CI) throw new Error(`the flytekit venv is missing (${VENV}): test/infra/install-deps.sh runs test/infra/flytekit.sh before the tests`);
      execFileSync('bash', [join(REPO_ROOT, 'test', 'infra', 'flytekit.sh')], { stdio: 'inherit', timeout: 600_000 });
    }
    v = await startTlsVariants();
    // Warm flyte-doctor up (its gRPC and TLS modules load on first use) before the Python probes take the CPU.
    const warm = mkdtempSync(join(tmpdir(), 'fd-fk-'));
    writeFileSync(join(warm, 'config.yaml'), `admin:\n  endpoint: dns:///localhost:${tb().nginx.https}\n  caCertFilePath: ${JSON.stringify(tb().caCert)}\n`);
    await runCli(['verify', '--flytectl-config', join(warm, 'config.yaml'), '--only', 'flyte.admin.grpc', '-o', 'json', '--timeout', '20s'], { env: { PATH: process.env.PATH ?? '' }, home: warm, cwd: warm });
    const batch: ProbeCase[] = [];
    const own: Promise<Map<string, Ground>>[] = [];
    for (const c of CASES) {
      const home = mkdtempSync(join(tmpdir(), 'fd-fk-'));
      const admin = c.admin(v);
      const file = join(home, 'config.yaml');
      writeFileSync(file, `admin:\n${Object.entries(admin).map(([k, x]) => `  ${k}: ${typeof x === 'string' ? JSON.stringify(x) : String(x)}`).join('\n')}\n`);
      configs.set(c.name, { file, home });
      const pc = { name: c.name, config: file, env: c.env ?? {} };
      if (c.processEnv) own.push(flytekit([pc], c.processEnv(), home)); else batch.push(pc);
    }
    // The ground truth first, then flyte-doctor (the two would only compete for the CPU and the test servers).
    const all = new Map((await Promise.all([flytekit(batch, {}, mkdtempSync(join(tmpdir(), 'fd-fk-'))), ...own])).flatMap((m) => [...m]));
    for (const c of CASES) grounds.set(c.name, Promise.resolve(all.get(c.name)!));
  }, 660_000);
  afterAll(async () => { await v?.stop(); });

  for (const c of CASES) {
    it(c.name, async () => {
      const { file, home } = configs.get(c.name)!;
      // The CA-bundle variables reach flyte-doctor through the run's environment, as in a shell.
      const r = await runCli(['verify', '--flytectl-config', file, ...['dns.admin.resolve', 'client', 'tls', 'flyte.admin.grpc'].flatMap((o) => ['--only', o]), '-o', 'json', '--timeout', '10s'],
        { env: { PATH: process.env.PATH ?? '', ...(c.env ?? {}), ...(c.processEnv?.() ?? {}) }, home, cwd: home });
      const report = JSON.parse(r.stdout) as Report;
      const ground = await grounds.get(c.name)!;
      const path = report.results.filter((x) => CLIENT_PATH.includes(x.id));
      const failing = path.filter((x) => x.status === 'fail' || x.status === 'error');
      const said = path.filter((x) => x.status !== 'pass' && x.status !== 'skip').map((x) => `${x.id} ${x.status} ${x.messageId ?? ''}: ${x.message}`).join('\n  ') || 'every client-path check passed';
      const why = `FlyteRemote: ${ground.ok ? `reached flyteadmin ${ground.version}` : `${ground.error}: ${ground.cause ?? ground.raw}`}\nflyte-doctor:\n  ${said}`;
      expect(path.length, 'the client-path checks ran').toBeGreaterThanOrEqual(5);
      if (c.flytectlOnly) {
        expect(ground.ok, `FlyteRemote should work here\n${why}`).toBe(true);
        expect(failing.map((x) => x.messageId), `flyte-doctor names the flytectl-only failure\n${why}`).toContain(c.flytectlOnly);
        expect(failing.find((x) => x.messageId === c.flytectlOnly)!.message, why).toMatch(/flytectl/);
        return;
      }
      expect(failing.length === 0, `verdicts disagree\n${why}`).toBe(ground.ok);
    }, 120_000);
  }
});
