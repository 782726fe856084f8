// Canaries: a DISTINCT secret planted in every secret-bearing field of every input (values files
// and their passwordPath file, flyte-core's secretManifest, flytectl config with its
// clientSecretLocation file and env, AWS/GCP/Azure env and credential files, the kubeconfig's
// token, tokenFile, basic password, client key, exec plugin env and output, auth-provider config,
// URL credentials), then every command × output format × failure mode runs with the bundled CLI
// against servers that ECHO credentials back (test/infra/echo-servers.ts): an S3 endpoint that
// answers 403 with the Authorization header, query and security token in its XML (also as hex),
// Kubernetes API servers that answer 401/403/500 quoting the Authorization header and the decoded
// Basic credentials, an HTTP/OIDC server echoing every header, and a PostgreSQL server that asks
// for a cleartext password and quotes it in its error. No canary may appear in any output (stdout,
// stderr with --verbose, every --report file), in any encoding (test/cli/leaks.ts).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskIdentifier } from '../../src/config/secret.js';
import { testCert } from '../harness/private-servers.js';
import { getTestbed } from '../harness/testbed.js';
import { SHARED_FIXTURES } from '../harness/fixtures.js';
import { startHttpEcho, startKubeEcho, startPgEcho, startS3Echo, type EchoServer } from '../infra/echo-servers.js';
import { decodeAll, findIn } from './leaks.js';

const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'dist', 'flyte-doctor.mjs');
const hex = () => randomBytes(5).toString('hex');

/** One canary per field: name -> value. `Cnry-<random>` is strong (mixed case, digits, dashes) and contains no readable word. */
const canaries = new Map<string, string>();
const c = (field: string) => { const v = `Cnry-${hex()}-${hex()}Z`; canaries.set(field, v); return v; };
/** Access key ids are identifiers: never whole, first4…last4 allowed. */
const ids = new Map<string, string>();
const akid = (field: string) => { const v = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`; ids.set(field, v); return v; };

/** Fields whose canaries only the kubeconfig module registers (helper "kubernetes"). */
const KUBE_FIELDS = new Set(['kube-token', 'kube-tokenfile', 'kube-basic-password', 'kube-exec-token', 'kube-exec-env', 'kube-exec-fail-token', 'kube-exec-fail-env', 'kube-exec-arg-secret', 'kube-exec-arg-secret2', 'kube-oidc-id-token', 'kube-oidc-refresh', 'kube-oidc-client-secret', 'kube-client-key']);

let dir: string;
let s3: EchoServer, http: EchoServer, pg: EchoServer, k401: EchoServer, k403: EchoServer, k500: EchoServer;
let env: NodeJS.ProcessEnv;
let clientKeyLines: string[] = [];
let proxyEcho: import('node:net').Server | undefined;
let proxyUrl = '';
let proxyHits = 0;

function yaml(o: unknown, indent = 0): string {
  const pad = ' '.repeat(indent);
  if (Array.isArray(o)) return o.map((x) => `${pad}- ${typeof x === 'object' ? `\n${yaml(x, indent + 2)}` : JSON.stringify(x)}`).join('\n');
  return Object.entries(o as Record<string, unknown>).map(([k, v]) => (v !== null && typeof v === 'object'
    ? `${pad}${JSON.stringify(k)}:\n${yaml(v, indent + 2)}` : `${pad}${JSON.stringify(k)}: ${JSON.stringify(v)}`)).join('\n');
}

beforeAll(async () => {
  const tb = getTestbed();
  dir = mkdtempSync(join(tmpdir(), 'fd-canary-'));
  [s3, http, pg] = await Promise.all([startS3Echo(), startHttpEcho(), startPgEcho()]);
  const kpaths = testCert('canary-kube', { sans: ['localhost', 'IP:127.0.0.1'] });
  const kcert = { cert: readFileSync(kpaths.cert, 'utf8'), key: readFileSync(kpaths.key, 'utf8') };
  [k401, k403, k500] = await Promise.all([startKubeEcho(kcert, () => 401), startKubeEcho(kcert, () => 403), startKubeEcho(kcert, () => 500)]);

  // --- files holding one secret each
  const file = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p; };
  const pwFile = file('db-password.txt', `${c('values-passwordPath-file')}\n`);
  const csFile = file('client-secret.txt', `${c('flytectl-clientSecretLocation-file')}\n`);
  const tokenFile = file('kube-token.txt', c('kube-tokenfile'));
  const azToken = file('azure-token.txt', c('azure-federated-token-file'));
  const awsFile = file('aws-credentials', `[default]\naws_access_key_id = ${akid('aws-file-access-key-id')}\naws_secret_access_key = ${c('aws-file-secret')}\naws_session_token = ${c('aws-file-session-token')}\n\n[other]\naws_secret_access_key = ${c('aws-file-other-profile-secret')}\n`);
  const gcpKey = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(c('gcp-private-key')).toString('base64')}\n-----END PRIVATE KEY-----\n`;
  const gcpFile = file('gcp.json', JSON.stringify({ type: 'service_account', project_id: 'canary-project', private_key_id: c('gcp-private-key-id'), private_key: gcpKey, client_email: 'sa@canary-project.iam.gserviceaccount.com', client_id: '1234', client_secret: c('gcp-client-secret'), refresh_token: c('gcp-refresh-token') }, null, 2));

  // --- kube exec plugins: one answers with a token; one fails quoting its token and env on stderr
  const execOk = file('exec-ok.sh', `#!/bin/sh\nprintf '%s' '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"${c('kube-exec-token')}"}}'\n`);
  const execFail = file('exec-fail.sh', `#!/bin/sh\necho "error: refreshing token ${c('kube-exec-fail-token')} failed; CANARY_ENV=$CANARY_ENV" >&2\nexit 1\n`);
  chmodSync(execOk, 0o755); chmodSync(execFail, 0o755);
  const kp = testCert('canary-client', { sans: ['localhost'] });
  const key = { cert: readFileSync(kp.cert, 'utf8'), key: readFileSync(kp.key, 'utf8') };
  canaries.set('kube-client-key', key.key.trim());
  clientKeyLines = key.key.split('\n').filter((l) => /^[A-Za-z0-9+/=]{40,}$/.test(l)).slice(0, 3);
  const cluster = (name: string, port: number) => ({ name, cluster: { server: `https://127.0.0.1:${port}`, 'certificate-authority': tb.caCert } });
  const kubeconfig = {
    apiVersion: 'v1', kind: 'Config', 'current-context': 'tok401',
    clusters: [cluster('k401', k401.port), cluster('k403', k403.port), cluster('k500', k500.port)],
    users: [
      { name: 'tok', user: { token: c('kube-token') } },
      { name: 'tokfile', user: { tokenFile } },
      { name: 'basic', user: { username: 'canary-basic-user', password: c('kube-basic-password') } },
      { name: 'cert', user: { 'client-certificate-data': Buffer.from(key.cert).toString('base64'), 'client-key-data': Buffer.from(key.key).toString('base64') } },
      { name: 'exec', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: execOk, args: [], env: [{ name: 'CANARY_ENV', value: c('kube-exec-env') }], interactiveMode: 'Never' } } },
      { name: 'execfail', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: execFail, args: ['get-token', '--oidc-client-id=flyte-cli', `--oidc-client-secret=${c('kube-exec-arg-secret')}`, '--client-secret', c('kube-exec-arg-secret2')], env: [{ name: 'CANARY_ENV', value: c('kube-exec-fail-env') }], interactiveMode: 'Never' } } },
      { name: 'oidc', user: { 'auth-provider': { name: 'oidc', config: { 'idp-issuer-url': `http://127.0.0.1:${http.port}/kube-oidc`, 'client-id': 'kubernetes', 'client-secret': c('kube-oidc-client-secret'), 'id-token': c('kube-oidc-id-token'), 'refresh-token': c('kube-oidc-refresh') } } } },
    ],
    contexts: [
      ['tok401', 'k401', 'tok'], ['tokfile403', 'k403', 'tokfile'], ['basic401', 'k401', 'basic'], ['cert500', 'k500', 'cert'],
      ['exec403', 'k403', 'exec'], ['execfail', 'k403', 'execfail'], ['oidc401', 'k401', 'oidc'],
    ].map(([name, clusterName, user]) => ({ name, context: { cluster: clusterName, user, namespace: 'flyte' } })),
  };
  file('kubeconfig', yaml(kubeconfig) + '\n');

  // --- values: flyte-binary (static keys) and flyte-core (IAM -> the environment's AWS keys)
  file('binary.yaml', yaml({
    configuration: {
      database: { username: 'canaryuser', password: c('values-db-password'), passwordPath: pwFile, host: '127.0.0.1', port: pg.port, dbname: 'flyteadmin', options: 'sslmode=disable' },
      storage: {
        metadataContainer: 'canary-meta', userDataContainer: 'canary-user', provider: 's3',
        providerConfig: { s3: { region: 'us-east-1', disableSSL: true, endpoint: `http://127.0.0.1:${s3.port}`, authType: 'accesskey', accessKey: akid('values-s3-access-key'), secretKey: c('values-s3-secret-key') } },
      },
      auth: {
        enabled: true,
        oidc: { baseUrl: `http://127.0.0.1:${http.port}/oidc`, clientId: 'flytectl', clientSecret: c('values-oidc-client-secret') },
        internal: { clientId: 'flytepropeller', clientSecret: c('values-internal-client-secret'), clientSecretHash: c('values-internal-client-secret-hash') },
      },
      inline: {
        plugins: { someplugin: { apiToken: c('values-inline-plugin-token') } },
        storage: { stow: { config: { secret_key: c('values-inline-stow-secret') } }, signedUrl: { stowConfigOverride: { endpoint: `http://signer:${c('values-signedUrl-endpoint-password')}@127.0.0.1:${s3.port}` } } },
        notifications: { webhook: { url: `https://hook:${c('values-inline-url-password')}@hooks.invalid/x` } },
        auth: { appAuth: { selfAuthServer: { staticClients: { flytepropeller: { client_secret: c('values-inline-static-client-secret') } } } } },
      },
    },
  }) + '\n');
  file('core.yaml', yaml({
    db: {
      admin: { database: { host: '127.0.0.1', port: pg.port, username: 'coreuser', dbname: 'flyteadmin', passwordPath: '/etc/db/pass.txt', options: 'sslmode=disable' } },
      datacatalog: { database: { host: '127.0.0.1', port: pg.port, username: 'coreuser', dbname: 'datacatalog', passwordPath: '/etc/db/other.txt', options: 'sslmode=disable' } },
    },
    common: { databaseSecret: { name: 'db-pass', secretManifest: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db-pass' }, type: 'Opaque',
      stringData: { 'pass.txt': c('core-secretManifest-stringData') }, data: { 'other.txt': Buffer.from(c('core-secretManifest-data')).toString('base64') } } } },
    storage: { type: 'custom', bucketName: 'canary-meta', custom: { type: 'stow', container: 'canary-meta',
      stow: { kind: 's3', config: { auth_type: 'iam', region: 'us-east-1', endpoint: `http://127.0.0.1:${s3.port}`, disable_ssl: true, access_key_id: akid('core-stow-access-key-id'), secret_key: c('core-stow-secret-key') } } } },
    secrets: { adminOauthClientCredentials: { enabled: true, clientId: 'flytepropeller', clientSecret: c('core-oauth-client-secret') } },
    configmap: { adminServer: { server: { security: { useAuth: true } }, auth: { userAuth: { openId: { baseUrl: `http://127.0.0.1:${http.port}/oidc`, clientId: 'flytectl' } } },
      storage: { signedUrl: { stowConfigOverride: { endpoint: `http://signer:${c('core-signedUrl-endpoint-password')}@127.0.0.1:${s3.port}` } } } } },
  }) + '\n');
  file('flytectl.yaml', yaml({
    admin: { endpoint: `dns:///127.0.0.1:${http.port}`, insecure: true, authType: 'ClientSecret', clientId: 'flytepropeller', clientSecretLocation: csFile, clientSecretEnvVar: 'FD_CANARY_CLIENT_SECRET' },
    storage: { connection: { 'access-key': akid('flytectl-storage-access-key'), 'secret-key': c('flytectl-storage-secret-key'), endpoint: `http://127.0.0.1:${s3.port}` } },
  }) + '\n');
  // A plugin that tries to leak: secrets it reads from the target, one it registers at run time, one it logs.
  file('leak.mjs', `export default [{
    id: 'flyte.canary.leak', title: 'Echoes what it can see', phases: ['preflight', 'verify'],
    explain: { what: 'test', why: 'test', fix: 'test' },
    async run(ctx) {
      const all = ctx.target.secrets.join(' | ');
      ctx.addSecret(${JSON.stringify(c('runtime-addSecret'))});
      ctx.log('verbose log: ' + all + ' ' + ${JSON.stringify(canaries.get('runtime-addSecret'))});
      return { status: 'fail', message: 'seen: ' + all + ' runtime ' + ${JSON.stringify(canaries.get('runtime-addSecret'))}, hint: 'b64 ' + Buffer.from(all).toString('base64'),
        details: { hex: Buffer.from(all).toString('hex'), url: encodeURIComponent(all), env: process.env.AWS_SECRET_ACCESS_KEY ?? '' } };
    } }, {
    id: 'flyte.canary.throws', title: 'Throws with secrets in the message', phases: ['preflight', 'verify'],
    explain: { what: 'test', why: 'test', fix: 'test' },
    async run(ctx) { throw new Error('boom ' + ctx.target.secrets.join(',') + ' ' + process.env.AZURE_CLIENT_SECRET); } }];\n`);
  file('wait.mjs', `export default { id: 'flyte.canary.wait', title: 'Waits to be interrupted', phases: ['preflight', 'verify'], explain: { what: 't', why: 't', fix: 't' },
    async run(ctx) { process.stderr.write('WAITING\\n'); await new Promise((r) => ctx.signal.addEventListener('abort', r)); return { status: 'pass', message: 'waited' }; } };\n`);
  file('instances.mjs', `export default { id: 'flyte.canary.instances', title: 't', phases: ['preflight'], explain: { what: 't', why: 't', fix: 't' },
    instances(target) { throw new Error('instances failed: ' + target.secrets.join(' ') + ' ' + process.env.AZURE_STORAGE_KEY); }, async run() { return { status: 'pass', message: 'x' }; } };\n`);
  file('crash.mjs', `export default { id: 'flyte.canary.crash', title: 't', get phases() { throw new Error('getter ' + process.env.AWS_SECRET_ACCESS_KEY + ' ' + process.env.PGPASSWORD); }, run() {} };\n`);

  // --- a Flyte server config (--server-config) and a rendered install (--manifests) holding credentials
  file('server.yaml', yaml({
    database: { postgres: { host: '127.0.0.1', port: pg.port, username: 'srvuser', password: c('server-config-db-password'), dbname: 'flyteadmin', options: 'sslmode=disable' } },
    storage: { type: 'stow', container: 'canary-meta', stow: { kind: 's3', config: { region: 'us-east-1', endpoint: `http://127.0.0.1:${s3.port}`, auth_type: 'accesskey', disable_ssl: true, access_key_id: akid('server-config-access-key-id'), secret_key: c('server-config-secret-key') } } },
    auth: { appAuth: { selfAuthServer: { staticClients: { flytepropeller: { client_secret: c('server-config-static-client-secret') } } } } },
  }) + '\n');
  const render = readFileSync(join(SHARED_FIXTURES, 'flyte-rendered', 'sandbox-binary__flyte_sandbox_binary_helm_generated.yaml'), 'utf8')
    .replace('host: 127.0.0.1\n        port: 5432', `host: 127.0.0.1\n        port: ${pg.port}`)
    .replace(/(name: flyte-flyte-binary-config-secret[\s\S]*?)stringData:\n/, `$1stringData:\n  012-database-secrets.yaml: |\n    database:\n      postgres:\n        password: "${c('manifests-secret-config-db-password')}"\n  extra.txt: "${c('manifests-secret-plain-value')}"\n`);
  file('render.yaml', render);
  // --- a proxy that answers CONNECT with 407 and quotes the Proxy-Authorization it got (a misbehaving proxy)
  const { createServer } = await import('node:net');
  proxyEcho = createServer((sock) => { sock.on('error', () => {}); sock.once('data', (d) => { proxyHits++; const a = /proxy-authorization: ([^\r\n]*)/i.exec(d.toString('latin1'))?.[1] ?? ''; sock.end(`HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="you sent ${a}"\r\nContent-Length: 0\r\n\r\n`); }); });
  await new Promise<void>((r) => proxyEcho!.listen(0, '127.0.0.1', r));
  proxyUrl = `http://canary-proxy-user:${c('env-HTTPS_PROXY-password')}@127.0.0.1:${(proxyEcho.address() as { port: number }).port}`;

  env = {
    PATH: process.env.PATH, HOME: dir, NO_COLOR: '1',
    AWS_ACCESS_KEY_ID: akid('env-AWS_ACCESS_KEY_ID'), AWS_SECRET_ACCESS_KEY: c('env-AWS_SECRET_ACCESS_KEY'), AWS_SESSION_TOKEN: c('env-AWS_SESSION_TOKEN'),
    AWS_SHARED_CREDENTIALS_FILE: awsFile, AWS_EC2_METADATA_DISABLED: 'true',
    GOOGLE_APPLICATION_CREDENTIALS: gcpFile,
    AZURE_CLIENT_SECRET: c('env-AZURE_CLIENT_SECRET'), AZURE_STORAGE_KEY: c('env-AZURE_STORAGE_KEY'),
    AZURE_STORAGE_CONNECTION_STRING: `DefaultEndpointsProtocol=https;AccountName=canary;AccountKey=${c('env-AZURE_STORAGE_CONNECTION_STRING-AccountKey')};EndpointSuffix=core.windows.net`,
    AZURE_STORAGE_SAS_TOKEN: `sv=2022-11-02&ss=b&sig=${c('env-AZURE_STORAGE_SAS_TOKEN-sig')}`,
    AZURE_FEDERATED_TOKEN_FILE: azToken,
    PGPASSWORD: c('env-PGPASSWORD'),
    FLYTE_CREDENTIALS_CLIENT_SECRET: c('env-FLYTE_CREDENTIALS_CLIENT_SECRET'),
    FD_CANARY_CLIENT_SECRET: c('env-clientSecretEnvVar-value'),
    DATABASE_URL: `postgres://someone:${c('env-url-password')}@db.invalid:5432/x`,
  };
}, 120_000);

afterAll(async () => {
  await Promise.all([s3, http, pg, k401, k403, k500].filter(Boolean).map((s) => s.stop()));
  await new Promise<void>((r) => (proxyEcho ? proxyEcho.close(() => r()) : r()));
});

interface Run { code: number; texts: Record<string, string> }

function cli(args: string[], reports: string[] = [], extraEnv: NodeJS.ProcessEnv = {}, stdin?: string): Promise<Run> {
  const files = reports.map((f) => join(dir, `out-${hex()}.${f}`));
  const all = [...args, ...reports.flatMap((f, i) => ['--report', `${f}=${files[i]}`])];
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [bin, ...all], { cwd: dir, env: { ...env, ...extraEnv }, stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (stdin !== undefined) child.stdin!.end(stdin);
    let out = '', err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    const kill = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.on('exit', (code) => {
      clearTimeout(kill);
      const texts: Record<string, string> = { stdout: out, stderr: err };
      reports.forEach((f, i) => { texts[`--report ${f}`] = existsSync(files[i]!) ? readFileSync(files[i]!, 'utf8') : ''; });
      resolveRun({ code: code ?? -1, texts });
    });
  });
}

/** Every canary (and identifier) found in any output, as "field in output: context". */
function leaks(run: Run): string[] {
  const out: string[] = [];
  for (const [where, text] of Object.entries(run.texts)) {
    const decoded = decodeAll(text);
    for (const [field, secret] of canaries) {
      const l = field === 'kube-client-key' ? clientKeyLines.map((line) => findIn(decoded, line, 40)).find(Boolean) : findIn(decoded, secret);
      if (l) out.push(`${field}${KUBE_FIELDS.has(field) ? ' (kubeconfig)' : ''} in ${where}: ${l}`);
    }
    for (const [field, id] of ids) {
      const l = findIn(decoded, id, 12);
      if (l) out.push(`identifier ${field} in ${where}: ${l}`);
    }
  }
  return out;
}

const ALL = ['json', 'junit', 'markdown', 'pretty'];
const base = (values: string, ctx: string) => ['-f', values, '--flytectl-config', 'flytectl.yaml', '--kubeconfig', 'kubeconfig', '--context', ctx, '--timeout', '4s'];

// Every command × format × failure mode. Each run writes all four formats (stdout plus --report
// files) and --verbose logs; the kube context decides which server (401/403/500) answers which credential.
const runs: { name: string; args: string[]; reports?: string[]; expectCode?: number[]; stderr?: RegExp; proxy?: boolean }[] = [
  { name: 'preflight --server-config (database and stow credentials, static client secret), -o json', args: ['preflight', '--server-config', 'server.yaml', '--flytectl-config', 'flytectl.yaml', '--kubeconfig', 'kubeconfig', '--context', 'tok401', '--timeout', '4s', '-o', 'json', '--verbose'], reports: ALL },
  { name: 'preflight --manifests (a Secret holding a config document and a plain value), -o pretty', args: ['preflight', '--manifests', 'render.yaml', '--flytectl-config', 'flytectl.yaml', '--kubeconfig', 'kubeconfig', '--context', 'tok401', '--timeout', '4s', '-o', 'pretty', '--verbose'], reports: ALL },
  { name: 'dry-run of both, -o json', args: ['preflight', '--manifests', 'render.yaml', '--server-config', 'server.yaml', '--dry-run', '-o', 'json'], expectCode: [0] },
  { name: 'a proxy URL with a password (HTTPS_PROXY, https_proxy) and a proxy that quotes it back, -o markdown', args: ['preflight', ...base('binary.yaml', 'tok401'), '--only', 'client.proxy.path', '-o', 'markdown', '--verbose'], reports: ALL, proxy: true },
  { name: 'preflight, flyte-binary, kube token -> 401, -o json', args: ['preflight', ...base('binary.yaml', 'tok401'), '-o', 'json', '--verbose', '--plugin', 'leak.mjs'], reports: ALL },
  { name: 'verify, flyte-core (AWS env keys), kube tokenFile -> 403, -o pretty', args: ['verify', ...base('core.yaml', 'tokfile403'), '-o', 'pretty', '--verbose', '--plugin', 'leak.mjs'], reports: ALL },
  { name: 'preflight, flyte-binary, kube basic auth -> 401, -o markdown', args: ['preflight', ...base('binary.yaml', 'basic401'), '-o', 'markdown', '--verbose'], reports: ALL },
  { name: 'verify, flyte-binary, kube client key -> 500, -o junit', args: ['verify', ...base('binary.yaml', 'cert500'), '-o', 'junit', '--verbose'], reports: ALL },
  { name: 'preflight, flyte-core, kube exec plugin token -> 403, -o json', args: ['preflight', ...base('core.yaml', 'exec403'), '-o', 'json', '--verbose', '--plugin', 'leak.mjs'], reports: ALL },
  { name: 'verify, flyte-binary, kube exec plugin fails quoting its token and env, -o pretty', args: ['verify', ...base('binary.yaml', 'execfail'), '-o', 'pretty', '--verbose'], reports: ALL },
  { name: 'preflight, flyte-core, kube auth-provider oidc -> 401, -o markdown', args: ['preflight', ...base('core.yaml', 'oidc401'), '-o', 'markdown', '--verbose'], reports: ALL },
  { name: 'verify --wait (waiting lines), flyte-binary, kube token, -o json', args: ['verify', ...base('binary.yaml', 'tok401'), '-o', 'json', '--wait', '3s', '--only', 'database,storage,flyte.canary.leak', '--plugin', 'leak.mjs'], reports: ['pretty'] },
  { name: 'verify --wait with the terminal view, flyte-core', args: ['verify', ...base('core.yaml', 'exec403'), '-o', 'pretty', '--wait', '3s', '--only', 'database,storage'], reports: [] },
  { name: 'dry-run -o json, flyte-binary', args: ['preflight', ...base('binary.yaml', 'tok401'), '--dry-run', '-o', 'json'], expectCode: [0] },
  { name: 'dry-run pretty, flyte-core', args: ['verify', ...base('core.yaml', 'basic401'), '--dry-run'], expectCode: [0] },
  { name: 'dry-run -o json, every kube user', args: ['preflight', ...base('binary.yaml', 'exec403'), '--dry-run', '-o', 'json', '--verbose'], expectCode: [0] },
  { name: 'list with the leaking plugin', args: ['list', '-o', 'json', '--plugin', 'leak.mjs'], expectCode: [0] },
  { name: 'explain the leaking plugin', args: ['explain', 'flyte.canary.leak', '--plugin', 'leak.mjs'], expectCode: [0] },
  { name: 'bad input whose line quotes a secret (password pasted as the port)', args: ['preflight', ...base('binary.yaml', 'tok401'), '--set', `configuration.database.port=${'PLACEHOLDER'}`], expectCode: [2], stderr: /^flyte-doctor: --set: configuration\.database\.port: expected a port number \(1-65535\), got "\*\*\*"\n$/ },
  { name: 'bad --set value quoting a secret key', args: ['preflight', '--set', 'configuration.storage.providerConfig.s3.secretKey[x]=PLACEHOLDER2', '--dry-run'], expectCode: [2], stderr: /^flyte-doctor: --set configuration\.storage\.providerConfig\.s3\.secretKey\[x\]=\*\*\*: list index "x"/ },
  { name: 'a plugin broken at load: one UserError line', args: ['preflight', ...base('binary.yaml', 'tok401'), '--plugin', 'crash.mjs'], expectCode: [2], stderr: /^flyte-doctor: --plugin crash\.mjs: .*crash\.mjs: reading its check failed: getter \*\*\* \*\*\*\n$/ },
  { name: 'an internal error line (a plugin whose instances() throws inside the engine)', args: ['preflight', ...base('binary.yaml', 'tok401'), '--plugin', 'instances.mjs'], expectCode: [4], stderr: /^flyte-doctor: internal error: instances failed: \*\*\* \*\*\*/ },
  { name: 'interrupted by SIGINT mid-run, reports written', args: ['verify', ...base('core.yaml', 'tok401').slice(0, -2), '--timeout', '20s', '-o', 'json', '--verbose', '--plugin', 'leak.mjs', '--plugin', 'wait.mjs'], reports: ['markdown'], expectCode: [130] },
];

describe('canaries: no planted secret appears in any output, in any encoding', () => {
  it('the bundle exists (npm run build)', () => expect(existsSync(bin)).toBe(true));

  for (const r of runs) {
    it(r.name, async () => {
      const args = r.args.map((a) => a === `configuration.database.port=PLACEHOLDER` ? `configuration.database.port=${canaries.get('values-db-password')}` : a.replace('PLACEHOLDER2', canaries.get('values-s3-secret-key')!));
      const run = r.name.startsWith('interrupted') ? await interrupted(args, r.reports ?? []) : await cli(args, r.reports ?? [], r.proxy ? { HTTPS_PROXY: proxyUrl, https_proxy: proxyUrl } : {});
      if (r.expectCode) expect(r.expectCode, `exit ${run.code}: ${run.texts.stderr}`).toContain(run.code);
      else expect(run.code, run.texts.stderr).toBeGreaterThanOrEqual(1); // the echo servers make checks fail
      expect(leaks(run)).toEqual([]);
      if (r.stderr) expect(run.texts.stderr).toMatch(r.stderr);
      if (r.reports?.length) for (const f of r.reports) expect(run.texts[`--report ${f}`], `--report ${f} was written (exit ${run.code}, stderr ${run.texts.stderr.slice(0, 300)})`).not.toBe('');
      if (r.args.includes('leak.mjs') && r.args.includes('json') && !r.args.includes('list')) {
        // the leaking plugin really ran and its output is in the report, redacted
        const doc = JSON.parse(run.texts.stdout) as { results: { id: string; message: string }[] };
        expect(doc.results.find((x) => x.id === 'flyte.canary.leak')?.message).toMatch(/^seen: \*\*\*/);
      }
    });
  }

  it('values from standard input (-f -): the same secrets, redacted the same way in every output', async () => {
    const values = readFileSync(join(dir, 'binary.yaml'), 'utf8');
    const run = await cli(['preflight', ...base('-', 'tok401'), '-o', 'json', '--verbose'], ALL, {}, values);
    expect(run.code, run.texts.stderr).toBeGreaterThanOrEqual(1);
    expect(leaks(run)).toEqual([]);
    expect(JSON.parse(run.texts.stdout).results.length).toBeGreaterThan(20); // it ran, from the values given on stdin
    const dry = await cli(['preflight', ...base('-', 'tok401'), '--dry-run', '-o', 'json', '--verbose'], [], {}, values);
    expect(dry.code, dry.texts.stderr).toBe(0);
    expect(dry.texts.stdout).toContain('<stdin>: configuration.database.password');
    expect(leaks(dry)).toEqual([]);
  });

  it('the echo servers really received the credentials (the paths above were exercised)', () => {
    const seen = [...pg.requests, ...s3.requests, ...http.requests, ...k401.requests, ...k403.requests, ...k500.requests].join('\n');
    expect(seen).toContain(canaries.get('values-passwordPath-file')); // the PostgreSQL echo got the password file's content
    expect(seen).toContain(canaries.get('server-config-db-password')); // … the server config's
    expect(seen).toContain(canaries.get('manifests-secret-config-db-password')); // … the one in the rendered Secret's config document
    expect(proxyHits).toBeGreaterThan(0); // the proxy that quotes Proxy-Authorization back was asked
    expect(seen).toContain(canaries.get('core-secretManifest-stringData'));
    expect(seen).toContain(ids.get('values-s3-access-key')); // SigV4 Credential= from the values keys
    expect(seen).toContain(ids.get('env-AWS_ACCESS_KEY_ID')); // IAM: the SDK's env chain
    expect(seen).toContain(canaries.get('env-AWS_SESSION_TOKEN'));
    expect(seen).toContain(canaries.get('kube-token'));
  });

  it('identifiers are shown masked (first4…last4) and non-secret values intact', async () => {
    const run = await cli(['preflight', ...base('binary.yaml', 'tok401'), '--dry-run']);
    const out = run.texts.stdout;
    expect(out).toContain(maskIdentifier(ids.get('values-s3-access-key')!));
    for (const s of ['canaryuser', '127.0.0.1', 'databases[0].passwordSource', 'canary-meta', `http://127.0.0.1:${s3.port}`]) expect(out).toContain(s);
  });
});

/** Starts a run, interrupts it once the checks are under way, and collects what it wrote. */
async function interrupted(args: string[], reports: string[]): Promise<Run> {
  const files = reports.map((f) => join(dir, `out-${hex()}.${f}`));
  const child = spawn(process.execPath, [bin, ...args, ...reports.flatMap((f, i) => ['--report', `${f}=${files[i]}`])], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number>((r) => child.on('exit', (code) => r(code ?? -1)));
  await new Promise<void>((r) => { const t = setTimeout(r, 20_000); child.stderr.on('data', () => { if (err.includes('WAITING')) { clearTimeout(t); setTimeout(r, 500); } }); });
  child.kill('SIGINT');
  const code = await exited;
  const texts: Record<string, string> = { stdout: out, stderr: err };
  reports.forEach((f, i) => { texts[`--report ${f}`] = existsSync(files[i]!) ? readFileSync(files[i]!, 'utf8') : ''; });
  return { code, texts };
}
