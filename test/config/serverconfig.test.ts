// Flyte server configs (--server-config): every real config file in the shared fixtures parses and
// maps to the resolved fields with provenance; layers merge like `--config a --config b`; keys are
// case-insensitive like viper's; flytestdlib's whole storage schema (type s3/minio/local/mem/stow,
// the legacy connection, stow kinds s3/google/azure/oracle/swift/local, signedUrl override) and both
// database forms; credentials are secrets and never in provenance; wrong input is one UserError line.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { mapServerConfig, readServerConfigFile, parseServerConfig, type ServerConfigLayer, type ServerConfigMapping } from '../../src/config/serverconfig.js';
import { SHARED_FIXTURES } from '../harness/fixtures.js';

const FIX = join(SHARED_FIXTURES, 'flyte-server-config');
const dir = mkdtempSync(join(tmpdir(), 'fd-serverconfig-'));
let n = 0;
const write = (text: string, name = `c${n++}.yaml`): string => { writeFileSync(join(dir, name), text); return name; };
const map = (layers: ServerConfigLayer[], env: NodeJS.ProcessEnv = {}) => mapServerConfig(layers, { env, cwd: dir, namespace: 'flyte' });
const fromText = (...texts: string[]) => map(texts.map((t) => readServerConfigFile(write(t), dir)));
function userError(f: () => unknown): string {
  try { f(); } catch (e) {
    if (!(e instanceof UserError)) throw new Error(`expected a UserError, got ${(e as Error)?.stack ?? String(e)}`);
    expect(e.message).not.toContain('\n');
    return e.message;
  }
  throw new Error('expected a UserError');
}
/** The given secret values are in no field (provenance, warnings, targets; Secret objects print as ***), only in the redactor's list. */
function noSecretLeak(m: ServerConfigMapping, secrets: string[]): void {
  const { secrets: _s, identifiers: _i, ...printable } = m;
  const text = JSON.stringify(printable);
  for (const s of secrets) expect(text, `secret ${s} leaked`).not.toContain(s);
}

describe('server config fixtures (flyte repo sample configs)', () => {
  const load = (f: string) => mapServerConfig([readServerConfigFile(f, FIX)], { env: {}, cwd: FIX, namespace: 'flyte' });

  it('datacatalog: kind datacatalog, its database (flat form) with role datacatalog, minio through the legacy connection', () => {
    const m = load('datacatalog__datacatalog_config.yaml');
    expect(m.kinds).toEqual(['datacatalog']);
    expect(m.databases).toHaveLength(1);
    expect(m.databases[0]).toMatchObject({ role: 'datacatalog', host: 'localhost', port: 5432, dbname: 'datacatalog', user: 'postgres', sslmode: 'disable', valuesKey: 'database' });
    expect(m.databases[0]!.passwordSource).toBe('flytestdlib default (database.postgres.password)');
    expect(m.provenance['databases[0].host']).toBe('datacatalog__datacatalog_config.yaml: database.host');
    expect(m.provenance['databases[0].password']).toBe('default (flytestdlib database.postgres.password)');
    expect(m.storage).toMatchObject({ provider: 's3', rawType: 'minio', metadataBucket: 'my-container', endpoint: 'http://localhost:9000', region: 'my-region-here', authType: 'accesskey', accessKey: 'minio', disableSSL: true, forcePathStyle: true });
    expect(m.storage!.secretKey!.reveal()).toBe('miniostorage');
    expect(m.provenance['storage.endpoint']).toBe('datacatalog__datacatalog_config.yaml: storage.connection.endpoint');
    expect(m.auth).toBeUndefined();
    expect(m.authEnabled).toBeUndefined();
    expect(m.secrets).toEqual(['miniostorage']);
    expect(m.identifiers).toEqual(['minio']);
    noSecretLeak(m, ['miniostorage']);
  });

  it('flyteadmin: storage.type stow (kind s3) is accepted; postgres form; auth from server.security.useAuth and the OIDC section; domains; signed URL override', () => {
    const m = load('flyteadmin__flyteadmin_config.yaml');
    expect(m.kinds).toEqual(['flyteadmin']);
    expect(m.databases[0]).toMatchObject({ role: 'flyteadmin', host: '127.0.0.1', port: 30001, dbname: 'flyte', user: 'postgres', valuesKey: 'database.postgres' });
    expect(m.databases[0]!.password!.reveal()).toBe('postgres');
    expect(m.provenance['databases[0].password']).toBe('flyteadmin__flyteadmin_config.yaml: database.postgres.password');
    expect(m.storage).toMatchObject({ provider: 's3', rawType: 'stow (stow kind s3)', metadataBucket: 'my-s3-bucket', endpoint: 'http://localhost:30002', region: 'us-east-1', authType: 'accesskey', signedUrlEndpoint: 'http://localhost:30002' });
    expect(m.provenance['storage.provider']).toBe('flyteadmin__flyteadmin_config.yaml: storage.stow.kind');
    expect(m.provenance['storage.signedUrlEndpoint']).toBe('flyteadmin__flyteadmin_config.yaml: storage.signedUrl.stowConfigOverride.endpoint');
    expect(m.authEnabled).toBe(false);
    expect(m.auth).toMatchObject({ enabled: false, oidcIssuer: 'https://dev-14186422.okta.com/oauth2/auskngnn7uBViQq6b5d6', oidcClientId: '0oakkheteNjCMERst5d6', authServerType: 'Self' });
    expect(m.provenance['auth.enabled']).toBe('flyteadmin__flyteadmin_config.yaml: server.security.useAuth');
    expect(m.domains).toEqual(['development', 'staging', 'production', 'domain']);
    expect(m.taskResourceDefaults).toEqual({ cpu: '100m', memory: '200Mi' });
    expect(new Set(m.secrets)).toEqual(new Set(['postgres', 'miniostorage']));
    noSecretLeak(m, ['miniostorage']);
  });

  it('flytepropeller: no database, storage and the raw-data bucket, the admin endpoint it calls', () => {
    const m = load('flytepropeller__propeller-config.yaml');
    expect(m.kinds).toEqual(['propeller']);
    expect(m.databases).toEqual([]);
    expect(m.storage).toMatchObject({ provider: 's3', metadataBucket: 'my-s3-bucket', endpoint: 'http://localhost:30084', rawOutputPrefix: 's3://my-container/test/', userDataBucket: 'my-container' });
    expect(m.provenance['storage.userDataBucket']).toBe('flytepropeller__propeller-config.yaml: propeller.rawoutput-prefix');
    expect(m.adminEndpoint).toEqual({ endpoint: 'localhost:30081', insecure: true });
    expect(m.catalogEndpoint).toBeUndefined(); // catalog-cache type noop
    expect(m.auth).toBeUndefined();
    // FLYTE_AWS_SECRET_ACCESS_KEY in plugins.k8s.default-env-vars is a secret too
    expect(m.secrets).toContain('miniostorage');
  });

  it('single binary (local): one database for admin and datacatalog, stow s3, admin and catalog endpoints, task defaults', () => {
    const m = load('flyte-single-binary-local.yaml');
    expect(m.kinds).toEqual(['single-binary']);
    expect(m.databases).toHaveLength(1);
    expect(m.databases[0]).toMatchObject({ role: 'flyteadmin', host: '127.0.0.1', port: 30001, dbname: 'flyte', user: 'postgres' });
    expect(m.storage).toMatchObject({ provider: 's3', metadataBucket: 'my-s3-bucket', userDataBucket: 'my-s3-bucket', endpoint: 'http://localhost:30002', authType: 'accesskey' });
    expect(m.adminEndpoint).toEqual({ endpoint: 'localhost:30080', insecure: true });
    expect(m.catalogEndpoint).toEqual({ endpoint: 'localhost:8081', insecure: true });
    expect(m.authEnabled).toBe(false);
    expect(m.taskResourceDefaults).toEqual({ cpu: '500m', memory: '500Mi' });
  });
});

describe('layers, keys, defaults', () => {
  it('later layers win and maps merge deeply; provenance names the layer that set each field', () => {
    const a = write('database:\n  postgres:\n    host: db-a.example.com\n    port: 5432\n    dbname: flyte\nstorage:\n  type: s3\n  container: bucket-a\n  connection:\n    region: eu-west-1\n', 'a.yaml');
    const b = write('database:\n  postgres:\n    host: db-b.example.com\nstorage:\n  container: bucket-b\n', 'b.yaml');
    const m = map([readServerConfigFile(a, dir), readServerConfigFile(b, dir)]);
    expect(m.databases[0]).toMatchObject({ host: 'db-b.example.com', port: 5432, dbname: 'flyte' });
    expect(m.provenance['databases[0].host']).toBe('b.yaml: database.postgres.host');
    expect(m.provenance['databases[0].port']).toBe('a.yaml: database.postgres.port');
    expect(m.storage).toMatchObject({ metadataBucket: 'bucket-b', region: 'eu-west-1' });
    expect(m.provenance['storage.metadataBucket']).toBe('b.yaml: storage.container');
    expect(m.layers).toEqual(['a.yaml', 'b.yaml']);
  });

  it('keys are case-insensitive like viper; provenance keeps the spelling of the file', () => {
    const m = fromText('Storage:\n  Type: s3\n  Container: my-bucket\n  signedURL:\n    stowConfigOverride:\n      Endpoint: https://signed.example.com\nDatabase:\n  Postgres:\n    Host: db.example.com\nServer:\n  Security:\n    UseAuth: true\n');
    expect(m.storage).toMatchObject({ metadataBucket: 'my-bucket', signedUrlEndpoint: 'https://signed.example.com' });
    expect(m.databases[0]!.host).toBe('db.example.com');
    expect(m.authEnabled).toBe(true);
    expect(m.provenance['storage.signedUrlEndpoint']).toMatch(/: Storage\.signedURL\.stowConfigOverride\.Endpoint$/);
    expect(m.provenance['databases[0].host']).toMatch(/: Database\.Postgres\.Host$/);
  });

  it('flytestdlib defaults fill what no layer sets, with a default provenance', () => {
    const m = fromText('database:\n  postgres:\n    dbname: flyteadmin\nstorage:\n  container: b\n');
    expect(m.databases[0]).toMatchObject({ host: 'localhost', port: 30001, user: 'postgres', dbname: 'flyteadmin', maxOpenConnections: 100 });
    expect(m.provenance['databases[0].port']).toBe('default (flytestdlib database.postgres.port)');
    expect(m.storage).toMatchObject({ provider: 's3', rawType: 's3', region: 'us-east-1', authType: 'iam' });
    expect(m.provenance['storage.rawType']).toBe('default (flytestdlib storage.type)');
  });

  it('the deprecated flat database keys are copied over database.postgres.*', () => {
    const m = fromText('database:\n  host: flat.example.com\n  postgres:\n    host: nested.example.com\n    port: 6432\n');
    expect(m.databases[0]).toMatchObject({ host: 'flat.example.com', port: 6432 });
    expect(m.provenance['databases[0].host']).toMatch(/: database\.host$/);
    expect(m.provenance['databases[0].port']).toMatch(/: database\.postgres\.port$/);
  });

  it('sslmode and sslrootcert from options; an unknown sslmode is kept for the TLS check, not an input error', () => {
    const m = fromText('database:\n  postgres:\n    options: "sslmode=verify-full sslrootcert=/nonexistent/ca.pem"\n');
    expect(m.databases[0]).toMatchObject({ sslmode: 'verify-full', sslrootcert: '/nonexistent/ca.pem' });
    expect(fromText('database:\n  postgres:\n    options: sslmode=requried\n').databases[0]!.sslmodeInvalid).toBe('requried');
  });

  it('SQLite: no PostgreSQL target, a warning says why', () => {
    const m = fromText('database:\n  sqlite:\n    file: /var/flyte.db\nflyteadmin:\n  runScheduler: false\n');
    expect(m.databases).toEqual([]);
    expect(m.warnings.map((w) => w.key)).toContain('database.sqlite.file');
  });
});

describe('passwords', () => {
  it('passwordPath to a local file: read, a secret, never in provenance', () => {
    writeFileSync(join(dir, 'pw.txt'), 'Local-File-Pw-7731\n');
    const m = fromText('database:\n  postgres:\n    passwordPath: pw.txt\n    password: ignored-pw-value\n');
    expect(m.databases[0]!.password!.reveal()).toBe('Local-File-Pw-7731');
    expect(m.databases[0]!.passwordSource).toBe('passwordPath pw.txt');
    expect(m.provenance['databases[0].password']).toMatch(/: database\.postgres\.passwordPath \(file pw\.txt\)$/);
    expect(m.secrets).toContain('Local-File-Pw-7731');
    noSecretLeak(m, ['Local-File-Pw-7731', 'ignored-pw-value']);
  });

  it('passwordPath inside the pod: says where it is; PGPASSWORD checks it from here', () => {
    const text = 'database:\n  dbname: flyteadmin\n  passwordPath: /etc/db/pass.txt\n';
    const m = fromText(text);
    expect(m.databases[0]!.password).toBeUndefined();
    expect(m.databases[0]!.passwordSource).toBe('passwordPath /etc/db/pass.txt (not a local file: it is read inside the pod; set PGPASSWORD to check the password)');
    const e = map([readServerConfigFile(write(text), dir)], { PGPASSWORD: 'Env-Pw-5521' });
    expect(e.databases[0]!.password!.reveal()).toBe('Env-Pw-5521');
    expect(e.provenance['databases[0].password']).toBe('env PGPASSWORD');
  });

  it('a passwordPath that is a directory or a FIFO is one input error naming the key', () => {
    expect(userError(() => fromText('database:\n  postgres:\n    passwordPath: /\n'))).toMatch(/: database\.postgres\.passwordPath: cannot read \/: is a directory, expected a regular file$/);
    execFileSync('mkfifo', [join(dir, 'pw.fifo')]);
    expect(userError(() => fromText('database:\n  postgres:\n    passwordPath: pw.fifo\n'))).toMatch(/: database\.postgres\.passwordPath: cannot read pw\.fifo: is a pipe that gave no data \(nothing writes to it, or the command writing it printed nothing: see its own error\)$/);
  });
});

describe('storage: flytestdlib schema', () => {
  it('stow google: project, adc without json, keyfile with json (a secret)', () => {
    const m = fromText('storage:\n  type: stow\n  container: gcs-bucket\n  stow:\n    kind: google\n    config:\n      json: ""\n      project_id: my-proj\n      scopes: https://www.googleapis.com/auth/cloud-platform\n');
    expect(m.storage).toMatchObject({ provider: 'gcs', projectId: 'my-proj', authType: 'adc', metadataBucket: 'gcs-bucket' });
    const key = '{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----\\n"}';
    const k = fromText(`storage:\n  type: stow\n  container: g\n  stow:\n    kind: google\n    config:\n      json: '${key}'\n      project_id: p\n`);
    expect(k.storage!.authType).toBe('keyfile');
    expect(k.secrets).toContain(key);
    noSecretLeak(k, [key]);
  });

  it('stow azure: account, key as accesskey (a secret), no key = the Azure credential chain', () => {
    const m = fromText('storage:\n  type: stow\n  container: flyte\n  enable-multicontainer: true\n  stow:\n    kind: azure\n    config:\n      account: flytestorage\n      key: Azure-Key-Secret-99==\n');
    expect(m.storage).toMatchObject({ provider: 'azure', authType: 'accesskey', metadataBucket: 'flyte' });
    expect(m.storageAccount).toBe('flytestorage');
    expect(m.storage!.secretKey!.reveal()).toBe('Azure-Key-Secret-99==');
    expect(m.secrets).toContain('Azure-Key-Secret-99==');
    noSecretLeak(m, ['Azure-Key-Secret-99==']);
    const w = fromText('storage:\n  type: stow\n  container: flyte\n  stow:\n    kind: azure\n    config:\n      account: acct\n');
    expect(w.storage).toMatchObject({ provider: 'azure', authType: 'iam' });
  });

  it('stow oracle, swift and local are accepted (provider other); their passwords are secrets', () => {
    for (const kind of ['oracle', 'swift', 'local']) {
      const m = fromText(`storage:\n  type: stow\n  container: c\n  stow:\n    kind: ${kind}\n    config:\n      path: /data\n      password: ${kind}-Pw-Secret-1\n`);
      expect(m.storage!.provider, kind).toBe('other');
      expect(m.secrets).toContain(`${kind}-Pw-Secret-1`);
    }
  });

  it('mem and local types; stow without config falls back to the legacy connection with a warning', () => {
    const mem = fromText('storage:\n  type: mem\n');
    expect(mem.storage).toMatchObject({ provider: 'other', rawType: 'mem' });
    expect(mem.warnings.map((w) => w.key)).toEqual(['storage.type']);
    const fb = fromText('storage:\n  type: stow\n  container: c\n  stow:\n    kind: s3\n  connection:\n    endpoint: http://minio:9000\n');
    expect(fb.storage).toMatchObject({ provider: 's3', endpoint: 'http://minio:9000' });
    expect(fb.warnings[0]!.message).toMatch(/storage\.stow\.kind is s3 but storage\.stow\.config is empty: Flyte falls back to the legacy S3 storage\.connection/);
    const local = fromText('storage:\n  type: local\n  container: c\n');
    expect(local.storage!.provider).toBe('s3'); // flytestdlib: no stow section = legacy S3 connection
  });

  it('a missing container is a warning (Flyte refuses to start), not an input error', () => {
    expect(fromText('storage:\n  type: s3\n').warnings.map((w) => w.message)).toContain('storage.container is not set: Flyte refuses to start ("initContainer is required")');
  });

  it('unknown storage.type / stow.kind / auth type: one UserError naming the file, the key and the allowed values', () => {
    const f = write('storage:\n  type: ftp\n');
    expect(userError(() => map([readServerConfigFile(f, dir)]))).toBe(`${f}: storage.type: expected one of s3, minio, local, mem, stow, got "ftp"`);
    expect(userError(() => fromText('storage:\n  type: stow\n  stow:\n    kind: dropbox\n    config: {a: b}\n'))).toMatch(/: storage\.stow\.kind: expected one of s3, google, azure, oracle, swift, local, got "dropbox"$/);
    expect(userError(() => fromText('storage:\n  connection:\n    auth-type: keys\n'))).toMatch(/: storage\.connection\.auth-type: expected one of iam, accesskey, got "keys"$/);
    expect(userError(() => fromText('storage:\n  type: stow\n  stow:\n    kind: s3\n    config:\n      auth_type: keys\n'))).toMatch(/: storage\.stow\.config\.auth_type: expected one of iam, accesskey, got "keys"$/);
  });
});

describe('wrong input: one line naming the file, the key and what was expected', () => {
  it('wrong types at keys', () => {
    expect(userError(() => fromText('database: "postgres://u:Url-Pw-0042@db:5432/flyte"\n'))).toMatch(/: database: expected a map, got "postgres:\/\/u:Url-Pw-0042@db:5432\/flyte"$/);
    expect(userError(() => fromText('database:\n  postgres:\n    port: five\n'))).toMatch(/: database\.postgres\.port: expected a port number \(1-65535\), got "five"$/);
    expect(userError(() => fromText('storage: [a, b]\n'))).toMatch(/: storage: expected a map, got a list of 2 items$/);
    expect(userError(() => fromText('server:\n  security:\n    useAuth: sometimes\n'))).toMatch(/: server\.security\.useAuth: expected a boolean \(true or false\), got "sometimes"$/);
    const secret = userError(() => fromText('database:\n  postgres:\n    password: [Sekr1t-List-Pw]\n'));
    expect(secret).not.toContain('Sekr1t-List-Pw');
  });

  it('Helm values, Kubernetes manifests, empty files, lists and maps without a Flyte section are refused with what to do', () => {
    const values = join(SHARED_FIXTURES, 'flyte-values');
    expect(userError(() => readServerConfigFile('flyte-core__values.yaml', values))).toMatch(/^flyte-core__values\.yaml: this looks like Helm values, not a Flyte server config \(has .*\(Helm values of flyte-core\)\): pass it with --values$/);
    expect(userError(() => readServerConfigFile('flyte-binary__values.yaml', values))).toMatch(/\(Helm values of flyte-binary\)\): pass it with --values$/);
    expect(userError(() => readServerConfigFile(write('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n'), dir))).toMatch(/this is a Kubernetes ConfigMap manifest, not a Flyte server config: pass rendered manifests with --manifests$/);
    expect(userError(() => readServerConfigFile(write('# only a comment\n'), dir))).toMatch(/: the file is empty: expected a Flyte server config/);
    expect(userError(() => readServerConfigFile(write('- a\n- b\n'), dir))).toMatch(/: expected a map of Flyte config sections at the top level, got a list of 2 items$/);
    expect(userError(() => readServerConfigFile(write('foo: 1\nbar: 2\n'), dir))).toMatch(/: expected a Flyte server config \(top-level sections like database:.*\), got a map \(keys "foo", "bar"\)$/);
    expect(userError(() => readServerConfigFile('missing.yaml', dir))).toBe('--server-config: cannot read missing.yaml: no such file or directory');
    expect(userError(() => readServerConfigFile('.', dir))).toBe('--server-config: cannot read .: is a directory, expected a regular file');
  });

  it('invalid YAML and alias bombs are bounded input errors', () => {
    expect(userError(() => readServerConfigFile(write('storage:\n  type: [s3\n'), dir))).toMatch(/:\d+:\d+: invalid YAML/);
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`), 'storage: {type: s3}'].join('\n');
    expect(userError(() => readServerConfigFile(write(bomb), dir))).toMatch(/invalid YAML/);
  });

  it('the datacatalog config is a server config, not flyte-core values (its datacatalog: section is no Helm key)', () => {
    expect(parseServerConfig('x', 'datacatalog:\n  storage-prefix: metadata\nstorage:\n  type: minio\n').label).toBe('x');
  });
});
