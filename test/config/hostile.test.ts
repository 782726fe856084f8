// Hostile input at the loader: generated wrong types at many keys of both charts, unknown
// providers, YAML that is valid but dangerous (self-referencing aliases, alias bombs, deep
// nesting), files that are not regular files or are too large. Every case is one UserError
// naming the file (or flag), the key and the expectation; never a silent fallback to defaults.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { loadTarget, type TargetInput } from '../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'fd-hostile-'));
mkdirSync(join(dir, 'home'));
let n = 0;
const write = (text: string, name = `v${n++}.yaml`): string => { writeFileSync(join(dir, name), text); return name; };
const load = (o: Partial<TargetInput>) => loadTarget({ values: [], set: [], env: {}, cwd: dir, home: join(dir, 'home'), ...o });
function message(f: () => unknown): string {
  try { f(); } catch (e) {
    if (!(e instanceof UserError)) throw new Error(`expected a UserError, got ${(e as Error)?.stack ?? String(e)}`);
    return e.message;
  }
  throw new Error('expected a UserError, but it loaded');
}

/** Sets `value` at dotted `key` inside a YAML document built from nested maps. */
function doc(key: string, value: unknown, extra: Record<string, unknown> = {}): string {
  const root: Record<string, unknown> = structuredClone(extra);
  const parts = key.split('.');
  let cur = root;
  for (const p of parts.slice(0, -1)) cur = (cur[p] ??= {}) as Record<string, unknown>;
  cur[parts[parts.length - 1]!] = value;
  return JSON.stringify(root); // JSON is YAML
}

const WRONG_MAP: [string, unknown][] = [['a string', 'postgres://user:pw@db:5432/flyte'], ['a list', ['a', 'b']], ['a number', 5], ['a boolean', true]];

// Intermediate nodes that must be maps: a wrong type there must name the key, not fall back.
const BINARY_MAPS = ['configuration', 'configuration.database', 'configuration.storage', 'configuration.storage.providerConfig', 'configuration.storage.providerConfig.s3',
  'configuration.auth', 'configuration.auth.oidc', 'configuration.auth.internal', 'configuration.inline', 'configuration.inline.database', 'configuration.inline.storage',
  'ingress', 'ingress.commonAnnotations', 'ingress.httpAnnotations', 'ingress.grpcAnnotations', 'flyte-core-components', 'flyte-core-components.admin'];
const CORE_MAPS = ['db.admin', 'db.admin.database', 'db.datacatalog.database', 'storage', 'storage.s3', 'common', 'common.ingress', 'common.ingress.annotations',
  'configmap', 'configmap.adminServer', 'configmap.adminServer.server', 'configmap.adminServer.auth', 'secrets', 'secrets.adminOauthClientCredentials', 'flyteadmin', 'datacatalog'];

// Scalars of a given kind.
const SCALARS: [string, unknown, RegExp][] = [
  ['configuration.database.port', 'five', /expected a port number \(1-65535\), got "five"/],
  ['configuration.database.port', 70000, /expected a port number \(1-65535\), got 70000/],
  ['configuration.database.port', -1, /expected a port number/],
  ['configuration.database.port', { a: 1 }, /expected a port number \(1-65535\), got a map/],
  ['configuration.database.host', { a: 1 }, /expected a string, got a map \(keys "a"\)/],
  ['configuration.database.host', ['db'], /expected a string, got a list of 1 item/],
  ['configuration.database.dbname', [], /expected a string, got an empty list/],
  ['configuration.database.username', {}, /expected a string, got an empty map/],
  ['configuration.database.password', ['Sekr1t-value-99'], /expected a string, got a list of 1 item$/],
  ['configuration.database.passwordPath', { path: '/x' }, /expected a string/],
  ['configuration.storage.provider', 'ftp', /expected one of s3, gcs, azure, got "ftp"/],
  ['configuration.storage.provider', 'S3', /expected one of s3, gcs, azure, got "S3"/],
  ['configuration.storage.provider', ['s3'], /expected a string, got a list/],
  ['configuration.storage.providerConfig.s3.authType', 'keys', /expected one of iam, accesskey, got "keys"/],
  ['configuration.storage.providerConfig.s3.disableSSL', 'maybe', /expected a boolean \(true or false\), got "maybe"/],
  ['configuration.storage.providerConfig.s3.endpoint', { url: 'x' }, /expected a string/],
  ['configuration.storage.metadataContainer', { a: 1 }, /expected a string/],
  ['configuration.storage.userDataContainer', [1], /expected a string/],
  ['configuration.auth.enabled', 'sometimes', /expected a boolean/],
  ['configuration.auth.oidc.baseUrl', ['x'], /expected a string/],
  ['configuration.inline.database.maxOpenConnections', 'many', /expected a number/],
  ['ingress.create', 'yes please', /expected a boolean/],
  ['ingress.host', { a: 1 }, /expected a string/],
  ['ingress.tls', 'on', /expected a list, got "on"/],
  ['ingress.separateGrpcIngress', 2, /expected a boolean/],
  ['ingress.commonAnnotations.x', { nested: 1 }, /expected a string/],
  ['flyte-core-components.admin.seedProjects', 'flytesnacks', /expected a list, got "flytesnacks"/],
  ['flyte-core-components.admin.seedProjects', [{ a: 1 }], /expected a string, got a map/],
];
const CORE_SCALARS: [string, unknown, RegExp][] = [
  ['storage.type', 'ftp', /expected one of s3, minio, custom, gcs, sandbox, got "ftp"/],
  ['storage.custom.stow.kind', 'ftp', /expected one of s3, google, azure, oracle, swift, local, got "ftp"/],
  ['storage.custom.type', 'nfs', /expected one of s3, minio, local, mem, stow, got "nfs"/],
  ['db.admin.database.port', 'x', /expected a port number/],
  ['flyteadmin.enabled', 'maybe', /expected a boolean/],
  ['common.ingress.enabled', 'maybe', /expected a boolean/],
  ['configmap.domain.domains', 'development', /expected a list/],
  ['configmap.adminServer.server.security.useAuth', 'sure', /expected a boolean/],
  ['secrets.adminOauthClientCredentials.clientSecret', { a: 1 }, /expected a string/],
];

describe('wrong types: exit 2 naming file, key and expectation (generated)', () => {
  for (const key of BINARY_MAPS) {
    for (const [what, value] of WRONG_MAP) {
      it(`flyte-binary ${key}: ${what}`, () => {
        const f = write(doc(key, value, key === 'configuration' ? {} : { configuration: { database: { host: 'db' } } }));
        const m = message(() => load({ values: [f], chart: 'flyte-binary' }));
        expect(m).toMatch(new RegExp(`^${f.replace('.', '\\.')}: ${key.replace(/\./g, '\\.')}: expected a map`));
        expect(m).toContain(`got ${what === 'a string' ? '"postgres://user:***@db:5432/flyte"' : what === 'a number' ? '5' : what === 'a boolean' ? 'true' : 'a list of 2 items'}`);
        expect(m.split('\n')).toHaveLength(1);
      });
    }
  }
  for (const key of CORE_MAPS) {
    it(`flyte-core ${key}: a string`, () => {
      const f = write(doc(key, 'yes', { db: { admin: { database: { host: 'x' } } }, storage: { type: 's3' } }));
      const m = message(() => load({ values: [f], chart: 'flyte-core' }));
      // a value under a credential-named key is described, not quoted
      const got = key.endsWith('Credentials') ? 'a string \\(not shown: adminOauthClientCredentials is a credential\\)' : '"yes"';
      expect(m).toMatch(new RegExp(`^${f.replace('.', '\\.')}: ${key.replace(/\./g, '\\.')}: expected a map.*, got ${got}$`));
    });
  }
  for (const [key, value, re] of SCALARS) {
    it(`flyte-binary ${key}: ${JSON.stringify(value)}`, () => {
      const f = write(doc(key, value));
      const m = message(() => load({ values: [f], chart: 'flyte-binary' }));
      expect(m.startsWith(`${f}: ${key}: expected`) || m.startsWith(`${f}: ${key}[0]: expected`), m).toBe(true);
      expect(m).toMatch(re);
      expect(m).not.toContain('Sekr1t-value-99'); // a wrong-typed secret is described, never quoted
    });
    it(`--set ${key}`, () => {
      if (typeof value === 'object') return; // --set makes strings, numbers and booleans only
      const m = message(() => load({ set: [`${key}=${String(value)}`], chart: 'flyte-binary' }));
      expect(m.startsWith(`--set: ${key}: expected`), m).toBe(true);
    });
  }
  for (const [key, value, re] of CORE_SCALARS) {
    it(`flyte-core ${key}: ${JSON.stringify(value)}`, () => {
      const f = write(doc(key, value, key.startsWith('storage.custom') ? { storage: { type: 'custom' } } : { db: { admin: { database: { host: 'x' } } } }));
      const m = message(() => load({ values: [f], chart: 'flyte-core' }));
      expect(m.startsWith(`${f}: ${key}: expected`), m).toBe(true);
      expect(m).toMatch(re);
    });
  }
  it('`ingress: "yes"` and `configuration.database: postgres://…` are errors, never chart defaults', () => {
    expect(message(() => load({ values: [write('configuration:\n  database: postgres://u:p@db.example.com:5432/flyte\n')] })))
      .toMatch(/: configuration\.database: expected a map \(it holds host\), got "postgres:\/\/u:\*\*\*@db\.example\.com:5432\/flyte"$/);
    expect(message(() => load({ values: [write('configuration: {}\ningress: "yes"\n')] }))).toMatch(/: ingress: expected a map \(it holds .+\), got "yes"$/);
    expect(message(() => load({ values: [write('configuration: yes\n')] }))).toMatch(/: configuration: expected a map .*got true$/); // yes: a YAML 1.1 boolean to Helm
  });
});

describe('YAML that parses but must not be used', () => {
  it('a self-referencing alias is exit 2 (not a stack overflow)', () => {
    for (const text of ['a: &x\n  b: *x\n', 'configuration: &c\n  database: *c\n', 'list: &l [1, *l]\n']) {
      const f = write(text);
      expect(message(() => load({ values: [f] }))).toMatch(new RegExp(`^${f.replace('.', '\\.')}: .*self-referencing alias`));
    }
  });
  it('an alias bomb is exit 2', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    const f = write(lines.join('\n') + '\n');
    expect(message(() => load({ values: [f] }))).toMatch(new RegExp(`^${f.replace('.', '\\.')}: invalid YAML: `));
  });
  it('deep nesting is exit 2', () => {
    const f = write(`${'['.repeat(5000)}${']'.repeat(5000)}\n`);
    expect(message(() => load({ values: [f] }))).toMatch(/invalid YAML|nested too deeply|expected a map/);
    // deeper than the (recursive) parser can go: refused before it runs, many times in one process
    // (a stack overflow inside V8's regexp compiler used to kill a warmed-up process: OOM, no error)
    for (const doc of [`a: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`, `a: ${'{a: '.repeat(20_000)}1${'}'.repeat(20_000)}\n`, `${Array.from({ length: 1000 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')} x\n`]) {
      for (let i = 0; i < 5; i++) {
        const deep = message(() => load({ values: [write(doc)] }));
        expect(deep).toMatch(/:\d+:\d+: invalid YAML: nested too deeply \(expected at most 64 levels\)/);
        expect(deep).not.toMatch(/call stack/i);
      }
    }
    // brackets inside quoted scalars and comments are text, not nesting
    const q = write(`a: "${'['.repeat(500)}"\nb: '${'{'.repeat(500)}'\n# ${'['.repeat(500)}\nc: x\n`);
    expect(() => load({ values: [q] })).not.toThrow();
    const g = write(Array.from({ length: 100 }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n') + ' x\n');
    expect(message(() => load({ values: [g] }))).toMatch(/nested too deeply \(expected at most 64 levels\)/);
  });
  it('a duplicate key in a map of many keys is found in linear time, with line and column', () => {
    const keys = Array.from({ length: 40_000 }, (_, i) => `  k${i}: v`);
    keys.push('  k7: again');
    const f = write(`configuration:\n  inline:\n${keys.map((k) => `  ${k}`).join('\n')}\n`);
    const t0 = Date.now();
    expect(message(() => load({ values: [f] }))).toMatch(new RegExp(`^${f.replace('.', '\\.')}:40003:5: invalid YAML: Map keys must be unique \\("k7" appears twice\\)$`));
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});

describe('input files: only regular files, up to a size cap', () => {
  const fifo = join(dir, 'fifo.yaml');
  execFileSync('mkfifo', [fifo]);
  const cases: [string, Partial<TargetInput>, RegExp][] = [
    ['values FIFO', { values: [fifo] }, /^--values: cannot read .*fifo\.yaml: is a pipe that gave no data \(nothing writes to it, or the command writing it printed nothing: see its own error\)$/],
    ['values /dev/zero', { values: ['/dev/zero'] }, /^--values: cannot read \/dev\/zero: is a character device, expected a regular file$/],
    ['values /dev/urandom', { values: ['/dev/urandom'] }, /^--values: cannot read \/dev\/urandom: is a character device/],
    ['values directory', { values: ['.'] }, /^--values: cannot read \.: is a directory, expected a regular file$/],
    ['values below a file', { values: [`${write('x: 1\n', 'plain.yaml')}/x.yaml`] }, /^--values: cannot read plain\.yaml\/x\.yaml: a parent path is not a directory$/],
    ['values too large', { values: [write(`configuration:\n  inline:\n${'    k: v\n'.repeat(300_000)}`, 'huge.yaml')] }, /^--values: cannot read huge\.yaml: is 2\.6 MiB, over the 2 MiB limit for values and config files .*pass the right file$/],
    ['values binary', { values: [write('configuration:\0\x01\x02', 'bin.yaml')] }, /^--values: cannot read bin\.yaml: is a binary file/],
    ['flytectl config FIFO', { flytectlConfig: fifo }, /^--flytectl-config: cannot read .*fifo\.yaml: is a pipe that gave no data/],
    ['$FLYTECTL_CONFIG /dev/zero', { env: { FLYTECTL_CONFIG: '/dev/zero' } }, /^env FLYTECTL_CONFIG: cannot read \/dev\/zero: is a character device/],
    ['passwordPath FIFO', { values: [write(`configuration:\n  database:\n    passwordPath: ${fifo}\n`)] }, /: configuration\.database\.passwordPath: cannot read .*fifo\.yaml: is a pipe that gave no data/],
    ['passwordPath /dev/urandom', { values: [write('configuration:\n  database:\n    passwordPath: /dev/urandom\n')] }, /configuration\.database\.passwordPath: cannot read \/dev\/urandom: is a character device/],
    ['passwordPath too large', { values: [write(`configuration:\n  database:\n    passwordPath: ${write('x'.repeat(100_000), 'bigpw.txt')}\n`)] }, /passwordPath: cannot read bigpw\.txt: is 98 KiB, over the 64 KiB limit for a password file/],
    ['clientSecretLocation FIFO', { flytectlConfig: write(`admin:\n  endpoint: dns:///x:1\n  clientSecretLocation: ${fifo}\n`) }, /admin\.clientSecretLocation: cannot read .*fifo\.yaml: is a pipe that gave no data/],
    ['caCertFilePath FIFO (a TLS check would block reading it)', { flytectlConfig: write(`admin:\n  endpoint: dns:///x:1\n  caCertFilePath: ${fifo}\n`, 'c-ca.yaml') }, /^c-ca\.yaml: admin\.caCertFilePath: cannot read .*fifo\.yaml: is a FIFO \(named pipe\), expected a regular file$/],
    ['FLYTE_PLATFORM_CA_CERT_FILE_PATH /dev/zero', { env: { FLYTE_PLATFORM_CA_CERT_FILE_PATH: '/dev/zero' } }, /^env FLYTE_PLATFORM_CA_CERT_FILE_PATH: cannot read \/dev\/zero: is a character device/],
    ['sslrootcert FIFO', { values: [write(`configuration:\n  database:\n    options: "sslmode=verify-full sslrootcert=${fifo}"\n`)] }, /: configuration\.database\.options sslrootcert: cannot read .*fifo\.yaml: is a FIFO/],
    ['GOOGLE_APPLICATION_CREDENTIALS FIFO', { env: { GOOGLE_APPLICATION_CREDENTIALS: fifo } }, /^env GOOGLE_APPLICATION_CREDENTIALS: cannot read .*fifo\.yaml: is a pipe that gave no data/],
    ['AWS_SHARED_CREDENTIALS_FILE /dev/zero', { env: { AWS_SHARED_CREDENTIALS_FILE: '/dev/zero' } }, /^env AWS_SHARED_CREDENTIALS_FILE: cannot read \/dev\/zero: is a character device/],
  ];
  for (const [name, input, re] of cases) {
    it(name, () => {
      const t0 = Date.now();
      expect(message(() => load(input))).toMatch(re);
      expect(Date.now() - t0).toBeLessThan(5000); // never blocks on a FIFO or reads a device
    });
  }
  it('a missing passwordPath or clientSecretLocation is no error (it lives in the pod)', () => {
    const t = load({ values: [write('configuration:\n  database:\n    passwordPath: /etc/db/pass.txt\n')] });
    expect(t.databases[0]!.passwordSource).toMatch(/not a local file/);
  });
});

describe('an sslmode PostgreSQL does not know is kept for the TLS check, not exit 2', () => {
  it('sslmodeInvalid holds it; sslmode stays unset', () => {
    const f = write('configuration:\n  database:\n    options: "sslmode=requried"\n');
    const t = load({ values: [f] });
    expect(t.databases[0]!.sslmodeInvalid).toBe('requried');
    expect(t.databases[0]!.sslmode).toBeUndefined();
    expect(t.provenance['databases[0].sslmodeInvalid']).toBe(`${f}: configuration.database.options`);
  });
});

describe('fuzz: random values at the keys both charts read never crash the loader', () => {
  // A seeded PRNG so a failure is reproducible.
  let seed = 20261127;
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const KEYS = [...BINARY_MAPS, ...SCALARS.map((s) => s[0]), ...CORE_MAPS, ...CORE_SCALARS.map((s) => s[0]),
    'configuration.database.options', 'configuration.inline.propeller.rawoutput-prefix', 'configmap.core.propeller.rawoutput-prefix', 'storage.bucketName',
    'storage.custom.stow.config', 'common.databaseSecret.secretManifest', 'configuration.storage.providerConfig.azure.key', 'storage.gcs.projectId'];
  const VALUES: unknown[] = ['', 'x', 'yes', '{{ .Values.nope }}', '{{ .Values.configuration }}', 0, -1, 1e308, 65536, true, false, null, [], [null], {}, { a: { b: [1, { c: 'd' }] } }, 'sslmode=weird', 's3://', 'gs://b/p', '\u0000', 'é'.repeat(300)];
  it('400 random documents: a target or one UserError line, never anything else', () => {
    for (let i = 0; i < 400; i++) {
      const root: Record<string, unknown> = {};
      for (let j = 0; j < 1 + Math.floor(rnd() * 6); j++) {
        const parts = pick(KEYS).split('.');
        let cur: Record<string, unknown> = root;
        for (const p of parts.slice(0, -1)) { if (typeof cur[p] !== 'object' || cur[p] === null || Array.isArray(cur[p])) cur[p] = {}; cur = cur[p] as Record<string, unknown>; }
        cur[parts[parts.length - 1]!] = pick(VALUES);
      }
      const f = write(JSON.stringify(root));
      const chart = pick([undefined, 'flyte-binary', 'flyte-core'] as const);
      try {
        load({ values: [f], ...(chart ? { chart } : {}) });
      } catch (e) {
        if (!(e instanceof UserError)) throw new Error(`document ${i} (${JSON.stringify(root)}, chart ${chart}): ${(e as Error)?.stack}`);
        expect(e.message.split('\n'), JSON.stringify(root)).toHaveLength(1);
        expect(e.message.startsWith(`${f}: `) || e.message.startsWith(`${f}:`), e.message).toBe(true); // names the file (then the key)
      }
    }
  });
});

describe('surroundingWhitespace', () => {
  it('names what surrounds a value, or nothing', async () => {
    const { surroundingWhitespace } = await import('../../src/config/hygiene.js');
    expect(surroundingWhitespace('pw\n')).toBe('ends with a newline');
    expect(surroundingWhitespace(' \tpw')).toBe('starts with a space and a tab');
    expect(surroundingWhitespace('\r\npw \n')).toBe('starts with a carriage return and a newline and ends with a space and a newline');
    expect(surroundingWhitespace('p w')).toBeUndefined();
    expect(surroundingWhitespace(undefined)).toBeUndefined();
  });
});
