// Every Kubernetes credential is a secret in every output: a server that echoes the Authorization
// header (raw, base64-decoded Basic, URL-encoded, hex) in its 401/403/500 messages, and exec
// plugins that quote their env and a token on stderr, must leave no canary in any check result nor
// in any CLI output format (json, pretty, markdown, junit) or report file.
import { mkdtempSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskTokenish } from '../../../src/clients/kube.js';
import { runCli } from '../../cli/helpers.js';
import { startHttp, testCert, type Running } from '../../harness/private-servers.js';
import { runCheck } from '../../harness/run-check.js';
import { makeTarget } from '../../harness/target.js';

const canary = (what: string) => `Cnry${what}-${randomBytes(6).toString('hex')}-${randomBytes(4).toString('hex')}Q`;
const C = {
  token: canary('Tok'), tokenFile: canary('TokFile'), basicPass: canary('Basic'), execToken: canary('ExecTok'), execEnv: canary('ExecEnv'),
  execFailToken: canary('ExecFailTok'), execFailEnv: canary('ExecFailEnv'), idToken: canary('IdTok'), refresh: canary('Refresh'), clientSecret: canary('ClientSecret'), gcpToken: canary('Gcp'),
};

let server: Running;
let dir: string;
let kubeconfig: string;

/** Every form a server could echo a secret in. */
function echo(auth: string): string {
  const decoded = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString('utf8') : '';
  return `got authorization "${auth}" decoded "${decoded}" url "${encodeURIComponent(auth)}" hex ${Buffer.from(auth).toString('hex')} b64 ${Buffer.from(auth).toString('base64')}`;
}

function forms(v: string): string[] {
  return [v, encodeURIComponent(v), Buffer.from(v).toString('hex'), Buffer.from(v).toString('base64'), Buffer.from(v).toString('base64url')];
}

beforeAll(async () => {
  server = await startHttp((req, res) => {
    const auth = String(req.headers.authorization ?? '');
    const code = Number(/^\/s(\d{3})\//.exec(req.url ?? '')?.[1] ?? 500);
    const reason = code === 401 ? 'Unauthorized' : code === 403 ? 'Forbidden' : 'InternalError';
    res.writeHead(code, { 'content-type': 'application/json', 'www-authenticate': `Bearer realm="${auth}"` });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `${reason}: ${echo(auth)}`, reason, code, details: { causes: [{ message: echo(auth) }] } }));
  });
  dir = mkdtempSync(join(tmpdir(), 'fd-k8s-secrets-'));
  const w = (name: string, text: string, mode?: number) => { const f = join(dir, name); writeFileSync(f, text); if (mode) chmodSync(f, mode); return f; };
  w('token', `${C.tokenFile}\n`);
  const execOk = w('exec-ok.sh', `#!/bin/sh\nprintf '%s' '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"${C.execToken}"}}'\n`, 0o755);
  const execFail = w('exec-fail.sh', `#!/bin/sh\necho "error: refreshing token ${C.execFailToken} failed; SECRET_ENV=$SECRET_ENV other=$OTHER" >&2\nexit 1\n`, 0o755);
  const key = testCert('k8s-secrets-client');
  const srv = (code: number) => ({ server: `http://127.0.0.1:${server.port}/s${code}` });
  const users: Record<string, Record<string, unknown>> = {
    tok: { token: C.token },
    tokfile: { tokenFile: 'token' },
    basic: { username: 'canary-user', password: C.basicPass },
    exec: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: execOk, env: [{ name: 'PLAIN_LOOKING', value: C.execEnv }], interactiveMode: 'Never' } },
    execfail: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: execFail, env: [{ name: 'SECRET_ENV', value: C.execFailEnv }, { name: 'OTHER', value: C.execEnv }], interactiveMode: 'Never' } },
    oidc: { 'auth-provider': { name: 'oidc', config: { 'client-id': 'kubernetes', 'client-secret': C.clientSecret, 'id-token': C.idToken, 'refresh-token': C.refresh } } },
    gcp: { 'auth-provider': { name: 'gcp', config: { 'access-token': C.gcpToken, expiry: new Date(Date.now() + 3600_000).toISOString() } } },
    cert: { 'client-certificate': key.cert, 'client-key': key.key },
  };
  const contexts: { name: string; context: { cluster: string; user: string } }[] = [];
  const clusters: { name: string; cluster: Record<string, unknown> }[] = [];
  for (const code of [401, 403, 500]) {
    clusters.push({ name: `c${code}`, cluster: srv(code) });
    for (const u of Object.keys(users)) contexts.push({ name: `${u}${code}`, context: { cluster: `c${code}`, user: u } });
  }
  kubeconfig = w('kubeconfig', stringify({ apiVersion: 'v1', kind: 'Config', clusters, users: Object.entries(users).map(([name, user]) => ({ name, user })), contexts, 'current-context': 'tok401' }));
});
afterAll(async () => { await server.stop(); });

const USERS = ['tok', 'tokfile', 'basic', 'exec', 'execfail', 'oidc', 'gcp', 'cert'];

function assertClean(text: string, label: string) {
  const key = readFileSync(testCert('k8s-secrets-client').key, 'utf8');
  const keyLine = key.split('\n').find((l) => l.length > 40)!;
  for (const [field, v] of Object.entries(C)) for (const f of forms(v)) expect(text.includes(f), `${label}: ${field} (${f === v ? 'raw' : 'encoded'}) leaked`).toBe(false);
  expect(text.includes(keyLine), `${label}: the client key leaked`).toBe(false);
  expect(text.includes(Buffer.from(`canary-user:${C.basicPass}`).toString('base64')), `${label}: Basic header leaked`).toBe(false);
}

describe('Kubernetes credentials never leak', () => {
  it('check results: every credential kind x 401/403/500 echoing the Authorization header', async () => {
    for (const code of [401, 403, 500]) {
      for (const u of USERS) {
        const t = makeTarget({ kubernetes: { kubeconfigPath: kubeconfig, context: `${u}${code}`, namespace: 'flyte', release: 'flyte' } } as never);
        const { result, results } = await runCheck('kubernetes.api.reachable', t, { timeoutMs: 4000 });
        const text = JSON.stringify(results);
        assertClean(text, `${u}${code}`);
        // the finding still says what happened
        if (u === 'execfail') expect(results.find((x) => x.id === 'kubernetes.config.load')!.messageId, text).toBe('execPluginFailed');
        else expect(result.status, `${u}${code}: ${text.slice(0, 400)}`).toBe(code === 500 ? 'fail' : 'fail');
      }
    }
  }, 120_000);

  it('a failing plugin\'s stderr keeps its meaning but not its secrets', async () => {
    const t = makeTarget({ kubernetes: { kubeconfigPath: kubeconfig, context: 'execfail401', namespace: 'flyte', release: 'flyte' } } as never);
    const { result } = await runCheck('kubernetes.config.load', t);
    expect(result.message).toContain('exited with 1: error: refreshing token *** failed; SECRET_ENV=*** other=***');
    expect(maskTokenish('token expired: run aws sso login')).toBe('token expired: run aws sso login');
    expect(maskTokenish('password=hunter2 and key: abc123')).toBe('password=*** and key: ***');
  });

  it('the CLI in every output format and report file', async () => {
    for (const [ctx, fmt] of [['tok401', 'json'], ['basic401', 'pretty'], ['exec403', 'markdown'], ['oidc500', 'junit'], ['execfail403', 'json'], ['tokfile403', 'pretty'], ['gcp401', 'json'], ['cert500', 'markdown']] as const) {
      const out = mkdtempSync(join(tmpdir(), 'fd-k8s-secrets-out-'));
      const reports = ['json', 'junit', 'markdown', 'pretty'].map((f) => `${f}=${join(out, `r.${f}`)}`);
      const r = await runCli(['preflight', '--kubeconfig', kubeconfig, '--context', ctx, '--only', 'kubernetes', '-o', fmt, '--verbose', '--timeout', '4s', ...reports.flatMap((x) => ['--report', x])], { env: { PATH: process.env.PATH }, cwd: dir });
      const files = reports.map((x) => { try { return readFileSync(x.split('=')[1]!, 'utf8'); } catch { return ''; } }).join('\n');
      assertClean(`${r.stdout}\n${r.stderr}\n${files}`, `${ctx} -o ${fmt}`);
      expect(r.code, `${ctx}: ${r.stderr.slice(0, 300)}`).toBe(1);
      expect(r.stdout).toContain('kubernetes');
    }
    // --dry-run prints the target: no credential either
    const dry = await runCli(['preflight', '--kubeconfig', kubeconfig, '--context', 'basic401', '--dry-run', '-o', 'json'], { env: { PATH: process.env.PATH }, cwd: dir });
    assertClean(dry.stdout + dry.stderr, 'dry-run');
  }, 120_000);
});
