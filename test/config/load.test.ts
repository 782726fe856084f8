// Merge order, --set, precedence, provenance and bad input for the target loader.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTarget, parseDnsServer } from '../../src/config/load.js';
import type { TargetInput } from '../../src/config/load.js';
import { parseEndpoint } from '../../src/config/flytectl.js';
import { parseSets } from '../../src/config/values.js';
import { UserError } from '../../src/errors.js';

let dir: string;
let home: string;
const write = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return name;
};
const load = (over: Partial<TargetInput>) => loadTarget({ values: [], set: [], env: {}, cwd: dir, home, ...over });

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    const m = (e as Error).message;
    expect(m).not.toContain('\n');
    return m;
  }
  throw new Error('expected a UserError');
}

const KUBECONFIG = `apiVersion: v1
kind: Config
current-context: dev
clusters: [{name: c1, cluster: {server: https://127.0.0.1:6443}}]
users: [{name: u1, user: {token: abc}}]
contexts:
- name: dev
  context: {cluster: c1, user: u1, namespace: team}
- name: prod
  context: {cluster: c1, user: u1}
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fd-config-'));
  home = join(dir, 'home');
  mkdirSync(home);
  write('base.yaml', `configuration:
  database:
    host: db-a.example.com
    port: 5432
    password: first-pass
  storage:
    metadataContainer: meta-a
    providerConfig:
      s3:
        region: eu-west-1
        authType: accesskey
        accessKey: AKIA1
        secretKey: secret-key-1
ingress:
  host: flyte.a.example.com
  tls: [{hosts: [flyte.a.example.com], secretName: t}]
  commonAnnotations: {a: "1", b: "2"}
`);
  write('override.yaml', `configuration:
  database:
    host: db-b.example.com
  storage:
    providerConfig:
      s3:
        region: us-west-2
ingress:
  tls: []
  commonAnnotations: {b: "3"}
`);
  write('client.yaml', `admin:
  endpoint: dns:///flyte.client.example.com:8443
  insecure: false
  insecureSkipVerify: true
  caCertFilePath: /tmp/ca.pem
  authType: ClientSecret
  clientId: my-client
  clientSecretLocation: secret.txt
`);
  write('secret.txt', 'client-secret-value\n');
  write('dbpass.txt', '  pass-from-file \n');
  write('kubeconfig.yaml', KUBECONFIG);
});

afterAll(() => { /* temp dir left for the OS to clean */ });

describe('values merge and --set', () => {
  it('merges -f files in order: maps deep-merged, lists replaced, provenance names the file', () => {
    const t = load({ values: ['base.yaml', 'override.yaml'] });
    expect(t.databases[0]).toMatchObject({ host: 'db-b.example.com', port: 5432 });
    expect(t.provenance['databases[0].host']).toBe('override.yaml: configuration.database.host');
    expect(t.provenance['databases[0].port']).toBe('base.yaml: configuration.database.port');
    expect(t.storage).toMatchObject({ region: 'us-west-2', metadataBucket: 'meta-a', accessKey: 'AKIA1' });
    expect(t.provenance['storage.region']).toBe('override.yaml: configuration.storage.providerConfig.s3.region');
    expect(t.ingress?.tls).toBe(false); // list replaced by []
    expect(t.ingress?.annotations).toEqual({ a: '1', b: '3' });
    expect(t.inputs).toEqual(['base.yaml', 'override.yaml']);
  });

  it('--set overrides files, with helm typing, indexes and escaped dots', () => {
    const t = load({
      values: ['base.yaml'],
      set: ['configuration.database.port=6543,configuration.database.dbname=flyte2', 'ingress.commonAnnotations.kubernetes\\.io/ingress\\.class=nginx', 'configuration.auth.enabled=true'],
    });
    expect(t.databases[0]).toMatchObject({ port: 6543, dbname: 'flyte2' });
    expect(t.provenance['databases[0].port']).toBe('--set: configuration.database.port');
    expect(t.ingress?.annotations['kubernetes.io/ingress.class']).toBe('nginx');
    expect(t.auth.enabled).toBe(true);
    const layer = parseSets(['a.b[1].c=x', 'n=0012', 'z=null', 'l={1,two,true}', 'e=', 'q=a\\,b']);
    expect(layer.values).toEqual({ a: { b: [null, { c: 'x' }] }, n: '0012', z: null, l: [1, 'two', true], e: '', q: 'a,b' });
  });

  it('YAML merge keys (<<: *anchor) are applied as Helm applies them, with provenance of the file; a plain yes is a boolean', () => {
    const f = write('merge.yaml', 'dbDefaults: &db\n  host: db.merge.internal\n  port: 5433\nconfiguration:\n  database:\n    <<: *db\n    dbname: flyte\ningress:\n  create: yes\n');
    const t = load({ values: [f] });
    expect(t.databases[0]).toMatchObject({ host: 'db.merge.internal', port: 5433, dbname: 'flyte' });
    expect(t.provenance['databases[0].host']).toBe(`${f}: configuration.database.host`);
    expect(t.ingress?.enabled).toBe(true);
  });

  it('null in a later file removes a chart default', () => {
    write('nullport.yaml', 'configuration:\n  database:\n    port: null\n');
    const t = load({ values: ['nullport.yaml'] });
    expect(t.databases[0]?.port).toBe(30001); // flytestdlib default once the chart sets none
    expect(t.provenance['databases[0].port']).toBe('chart default');
  });

  it('resolves .Values references against other files and --set, and records unresolved ones', () => {
    write('tpl.yaml', 'userSettings:\n  dbHost: db.tpl.example.com\nconfiguration:\n  database:\n    host: "{{ .Values.userSettings.dbHost }}"\n  storage:\n    metadataContainer: "{{ .Values.userSettings.missing }}"\n');
    const t = load({ values: ['tpl.yaml'], set: ['userSettings.dbHost=db.set.example.com'] });
    expect(t.databases[0]?.host).toBe('db.set.example.com');
    expect(t.provenance['databases[0].host']).toBe('tpl.yaml: configuration.database.host (via .Values.userSettings.dbHost from --set)');
    expect(t.storage?.metadataBucket).toBe('{{ .Values.userSettings.missing }}');
    expect(t.provenance['storage.metadataBucket']).toBe('tpl.yaml: configuration.storage.metadataContainer (unresolved {{ .Values.userSettings.missing }})');
  });

  it('follows passwordPath to a local file; PGPASSWORD fills in when the file is in-cluster only', () => {
    write('pp.yaml', 'configuration:\n  database:\n    password: ignored\n    passwordPath: dbpass.txt\n');
    const t = load({ values: ['pp.yaml'] });
    expect(t.databases[0]?.password?.reveal()).toBe('pass-from-file');
    expect(t.databases[0]?.passwordSource).toBe('passwordPath dbpass.txt');
    expect(t.secrets).toContain('pass-from-file');
    write('pp2.yaml', 'db:\n  admin:\n    database:\n      passwordPath: /etc/db/pass.txt\n');
    const t2 = load({ values: ['pp2.yaml'], env: { PGPASSWORD: 'env-pass' } });
    expect(t2.chart).toBe('flyte-core');
    expect(t2.databases[0]?.password?.reveal()).toBe('env-pass');
    expect(t2.provenance['databases[0].password']).toBe('env PGPASSWORD');
    const t3 = load({ values: ['pp2.yaml'] });
    expect(t3.databases[0]?.password).toBeUndefined();
    expect(t3.databases[0]?.passwordSource).toContain('passwordPath /etc/db/pass.txt (not a local file');
  });

  it('a cluster-internal admin.endpoint leaves the ingress checks on the Ingress host of the values', () => {
    const t = load({ values: ['base.yaml'], env: { FLYTE_PLATFORM_URL: 'dns:///flyteadmin.flyte.svc.cluster.local:81' } });
    expect(t.client.host).toBe('flyteadmin.flyte.svc.cluster.local');
    expect(t.ingress).toMatchObject({ host: 'flyte.a.example.com', grpcAddress: 'flyte.a.example.com:443' });
    expect(t.endpoints?.admin?.host).toBe('flyteadmin.flyte.svc.cluster.local');
  });

  it('records the CA-bundle variables of the run\'s environment (client.trustEnv) with provenance', () => {
    const t = load({ env: { SSL_CERT_FILE: '/etc/ssl/corp.pem', GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: '/opt/roots.pem', HOME: '/x' } });
    expect(t.client.trustEnv).toEqual({ SSL_CERT_FILE: '/etc/ssl/corp.pem', GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: '/opt/roots.pem' });
    expect(t.provenance['client.trustEnv.SSL_CERT_FILE']).toBe('env SSL_CERT_FILE');
    expect(load({}).client.trustEnv).toBeUndefined();
  });

  it('reads the signed-URL endpoint override of both charts, with provenance', () => {
    const bin = load({ set: ['configuration.storage.provider=s3', 'configuration.inline.storage.signedUrl.stowConfigOverride.endpoint=https://s3.example.com'] });
    expect(bin.storage?.signedUrlEndpoint).toBe('https://s3.example.com');
    expect(bin.provenance['storage.signedUrlEndpoint']).toBe('--set: configuration.inline.storage.signedUrl.stowConfigOverride.endpoint');
    const core = load({ chart: 'flyte-core', set: ['storage.type=minio', 'configmap.adminServer.storage.signedUrl.stowConfigOverride.endpoint=http://minio.example.com:30084'] });
    expect(core.storage?.signedUrlEndpoint).toBe('http://minio.example.com:30084');
    expect(load({ set: ['configuration.storage.provider=s3'] }).storage?.signedUrlEndpoint).toBeUndefined();
  });

  it('collects secrets: S3 keys, passwords inside URLs', () => {
    write('urlpw.yaml', 'configuration:\n  storage:\n    providerConfig:\n      s3:\n        endpoint: "http://minio:url-secret@minio.local:9000"\n');
    const t = load({ values: ['base.yaml', 'urlpw.yaml'] });
    expect(t.secrets).toEqual(expect.arrayContaining(['first-pass', 'secret-key-1', 'url-secret']));
  });
});

describe('precedence and client config', () => {
  it('flags > env > flytectl config > values', () => {
    const t = load({ values: ['base.yaml'], flytectlConfig: 'client.yaml' });
    expect(t.client).toMatchObject({ host: 'flyte.client.example.com', port: 8443, insecureSkipVerify: true, caCertFilePath: '/tmp/ca.pem', authType: 'ClientSecret', clientId: 'my-client' });
    expect(t.client.clientSecret?.reveal()).toBe('client-secret-value');
    expect(t.secrets).toContain('client-secret-value');
    expect(t.ingress).toMatchObject({ host: 'flyte.a.example.com', httpUrl: 'https://flyte.client.example.com:8443', grpcAddress: 'flyte.client.example.com:8443' });
    expect(t.provenance['ingress.grpcAddress']).toBe('client.yaml: admin.endpoint');

    const e = load({ values: ['base.yaml'], flytectlConfig: 'client.yaml', env: { FLYTE_PLATFORM_URL: 'env.example.com:9443', FLYTE_PLATFORM_INSECURE: 'true', FLYTE_CREDENTIALS_AUTH_MODE: 'Pkce' } });
    expect(e.client).toMatchObject({ host: 'env.example.com', port: 9443, insecure: true, authType: 'Pkce' });
    expect(e.provenance['client.endpoint']).toBe('env FLYTE_PLATFORM_URL');
    expect(e.ingress?.httpUrl).toBe('http://env.example.com:9443');

    const f = load({ values: ['base.yaml'], flytectlConfig: 'client.yaml', env: { FLYTE_PLATFORM_URL: 'env.example.com:9443' }, endpoint: 'dns:///flag.example.com' });
    expect(f.client).toMatchObject({ host: 'flag.example.com', port: 443 });
    expect(f.provenance['client.endpoint']).toBe('--endpoint');
    expect(f.ingress?.grpcAddress).toBe('flag.example.com:443');
    expect(f.provenance['ingress.grpcAddress']).toBe('--endpoint');
  });

  it('finds the client config via $FLYTECTL_CONFIG, then ~/.flyte/config.yaml', () => {
    expect(load({ env: { FLYTECTL_CONFIG: 'client.yaml' } }).client.configPath).toBe('client.yaml');
    const h = join(dir, 'home2');
    mkdirSync(join(h, '.flyte'), { recursive: true });
    writeFileSync(join(h, '.flyte', 'config.yaml'), 'admin:\n  endpoint: localhost:30080\n  insecure: true\n');
    const t = load({ home: h });
    expect(t.client).toMatchObject({ configPath: join(h, '.flyte', 'config.yaml'), host: 'localhost', port: 30080, insecure: true });
    expect(load({}).client.configPath).toBeUndefined();
  });

  it('parses endpoints', () => {
    expect(parseEndpoint('dns:///flyte.example.com')).toEqual({ host: 'flyte.example.com', port: 443, scheme: 'dns' });
    expect(parseEndpoint('localhost:30080')).toEqual({ host: 'localhost', port: 30080 });
    expect(parseEndpoint('https://flyte.example.com/')).toMatchObject({ host: 'flyte.example.com', port: 443, scheme: 'https' });
    expect(parseEndpoint('https://flyte.example.com/')?.problem).toContain('use dns:///flyte.example.com');
    expect(parseEndpoint('[::1]:8089')).toEqual({ host: '::1', port: 8089 });
  });

  it('namespace: --namespace > FLYTE_DOCTOR_NAMESPACE > flyte; dns server default port 53', () => {
    expect(load({ env: { FLYTE_DOCTOR_NAMESPACE: 'ops' } }).kubernetes.namespace).toBe('ops');
    expect(load({ namespace: 'x', env: { FLYTE_DOCTOR_NAMESPACE: 'ops' } }).kubernetes.namespace).toBe('x');
    expect(load({ dnsServer: '10.0.0.10' }).dnsServer).toBe('10.0.0.10:53');
    expect(load({ env: { FLYTE_DOCTOR_DNS_SERVER: 'dns.local:5353' } }).dnsServer).toBe('dns.local:5353');
    expect(parseDnsServer('--dns-server', '[::1]:53')).toBe('[::1]:53');
  });

  it('kubeconfig: --kubeconfig, $KUBECONFIG first existing path, context', () => {
    const t = load({ kubeconfig: 'kubeconfig.yaml' });
    expect(t.kubernetes).toMatchObject({ kubeconfigPath: 'kubeconfig.yaml', context: 'dev', namespace: 'flyte' });
    expect(t.provenance['kubernetes.context']).toBe('kubeconfig.yaml: current-context');
    const k = load({ env: { KUBECONFIG: `missing.yaml:kubeconfig.yaml` }, context: 'prod' });
    expect(k.kubernetes).toMatchObject({ kubeconfigPath: 'kubeconfig.yaml', context: 'prod' });
    expect(k.provenance['kubernetes.context']).toBe('--context');
  });

  it('chart: --chart wins; auto-detection is stated', () => {
    const t = load({ values: ['base.yaml'], chart: 'flyte-binary' });
    expect(t.chartSource).toBe('--chart');
    expect(load({ values: ['base.yaml'] }).chartSource).toBe('auto-detected from base.yaml: has configuration.* (flyte-binary)');
    write('empty.yaml', '# nothing here\n');
    const e = load({ values: ['empty.yaml'] });
    expect(e.chart).toBeUndefined();
    expect(e.inputs).toEqual(['empty.yaml']);
  });
});

describe('bad input: one line naming the file/flag, the key and what was expected', () => {
  const cases: Array<[string, () => Partial<TargetInput>, string | RegExp]> = [
    ['missing values file', () => ({ values: ['nope.yaml'] }), '--values: cannot read nope.yaml: no such file or directory'],
    ['values path is a directory', () => ({ values: ['home'] }), '--values: cannot read home: is a directory, expected a regular file'],
    ['invalid YAML with line and column', () => ({ values: [write('bad.yaml', 'configuration:\n  database:\n    host: [unclosed\n')] }), /^bad\.yaml:\d+:\d+: invalid YAML: .+/],
    ['duplicate key', () => ({ values: [write('dup.yaml', 'a: 1\na: 2\n')] }), /^dup\.yaml:2:1: invalid YAML: Map keys must be unique/],
    ['top level is a list', () => ({ values: [write('list.yaml', '- a\n- b\n')] }), 'list.yaml: expected a map of values at the top level, got a list of 2 items'],
    ['port is not a number', () => ({ values: [write('port.yaml', 'configuration:\n  database:\n    port: five\n')] }), 'port.yaml: configuration.database.port: expected a port number (1-65535), got "five"'],
    ['port out of range', () => ({ values: [write('port2.yaml', 'configuration:\n  database:\n    port: 70000\n')] }), 'port2.yaml: configuration.database.port: expected a port number (1-65535), got 70000'],
    ['bucket is a list', () => ({ values: [write('bucket.yaml', 'configuration:\n  storage:\n    metadataContainer: [1]\n')] }), 'bucket.yaml: configuration.storage.metadataContainer: expected a string, got a list of 1 item'],
    ['boolean is a word', () => ({ values: [write('bool.yaml', 'ingress:\n  create: maybe\nconfiguration: {}\n')] }), 'bool.yaml: ingress.create: expected a boolean (true or false), got "maybe"'],
    ['authType not iam/accesskey', () => ({ values: [write('auth.yaml', 'configuration:\n  storage:\n    providerConfig:\n      s3:\n        authType: keys\n')] }), 'auth.yaml: configuration.storage.providerConfig.s3.authType: expected one of iam, accesskey, got "keys"'],
    ['core storage type unknown', () => ({ values: [write('st.yaml', 'db: {}\nstorage:\n  type: ftp\n')] }), 'st.yaml: storage.type: expected one of s3, minio, custom, gcs, sandbox, got "ftp"'],
    ['wrong type via --set', () => ({ values: ['base.yaml'], set: ['configuration.database.port=abc'] }), '--set: configuration.database.port: expected a port number (1-65535), got "abc"'],
    ['--set without =', () => ({ set: ['configuration.database.host'] }), '--set configuration.database.host: missing "="; expected key=value, e.g. --set configuration.database.host=db.example.com'],
    ['--set with an empty key', () => ({ set: ['=x'] }), '--set =x: empty key; expected key=value, e.g. --set configuration.database.host=db.example.com'],
    ['--set with a bad index', () => ({ set: ['a.b[x]=1'] }), '--set a.b[x]=1: list index "x" is not a non-negative integer; expected key=value, e.g. --set configuration.database.host=db.example.com'],
    ['--set with an unclosed bracket', () => ({ set: ['a.b[0=1'] }), '--set a.b[0=1: unclosed "[" in "a.b[0"; expected key=value, e.g. --set configuration.database.host=db.example.com'],
    ['--set with an empty segment', () => ({ set: ['a..b=1'] }), '--set a..b=1: empty key segment in "a..b"; expected key=value, e.g. --set configuration.database.host=db.example.com'],
    ['Flyte 2 values', () => ({ values: [write('v2.yaml', 'configuration:\n  database:\n    postgres:\n      host: x\n')] }), 'v2.yaml: this is a Flyte 2 values file (has configuration.database.postgres); flyte-doctor checks Flyte 1.x charts (flyte-binary, flyte-core)'],
    ['mixed charts', () => ({ values: ['base.yaml', write('core.yaml', 'db:\n  admin: {}\n')] }), 'core.yaml: looks like flyte-core values (has db.* (flyte-core)) but base.yaml looks like flyte-binary; pass --chart flyte-binary or --chart flyte-core'],
    ['unknown --chart', () => ({ chart: 'flyte' as never }), '--chart flyte: expected one of flyte-binary, flyte-core'],
    ['missing --flytectl-config', () => ({ flytectlConfig: 'nofile.yaml' }), '--flytectl-config: cannot read nofile.yaml: no such file or directory'],
    ['missing $FLYTECTL_CONFIG', () => ({ env: { FLYTECTL_CONFIG: 'gone.yaml' } }), /^env FLYTECTL_CONFIG: gone\.yaml does not exist\. flytectl reads only that path .* pyflyte ignores it/],
    ['client insecure not a boolean', () => ({ flytectlConfig: write('c-bad.yaml', 'admin:\n  endpoint: x:1\n  insecure: sometimes\n') }), 'c-bad.yaml: admin.insecure: expected a boolean (true or false), got "sometimes"'],
    ['client admin not a map', () => ({ flytectlConfig: write('c-bad2.yaml', 'admin: dns:///x\n') }), 'c-bad2.yaml: admin: expected a map, got "dns:///x"'],
    ['env insecure not a boolean', () => ({ env: { FLYTE_PLATFORM_INSECURE: 'nah' } }), 'env FLYTE_PLATFORM_INSECURE: expected a boolean (true or false), got "nah"'],
    ['unknown --context', () => ({ kubeconfig: 'kubeconfig.yaml', context: 'staging' }), '--context staging: no such context in kubeconfig.yaml; available: dev, prod'],
    ['missing --kubeconfig', () => ({ kubeconfig: 'nokube.yaml' }), '--kubeconfig: cannot read nokube.yaml: no such file or directory'],
    ['invalid kubeconfig YAML', () => ({ kubeconfig: write('kbad.yaml', 'contexts: [\n') }), /^kbad\.yaml:\d+:\d+: invalid YAML: /],
    ['kubeconfig contexts not a list', () => ({ kubeconfig: write('kbad2.yaml', 'contexts: {a: 1}\n') }), /^kbad2\.yaml: contexts: expected a list.*, got (a map|\{"a":1\})/],
    ['bad --dns-server', () => ({ dnsServer: 'dns.local:abc' }), '--dns-server dns.local:abc: expected host[:port], e.g. 1.1.1.1:53 or [2606:4700::1111]:53'],
    ['bad FLYTE_DOCTOR_DNS_SERVER', () => ({ env: { FLYTE_DOCTOR_DNS_SERVER: 'a b' } }), 'env FLYTE_DOCTOR_DNS_SERVER a b: expected host[:port], e.g. 1.1.1.1:53 or [2606:4700::1111]:53'],
    ['bad --endpoint', () => ({ endpoint: 'dns:///' }), '--endpoint dns:///: expected host[:port], dns:///host[:port] or https://host[:port]'],
    ['bad --namespace', () => ({ namespace: 'Flyte_NS' }), "--namespace Flyte_NS: expected a Kubernetes namespace name (lowercase letters, digits and '-', at most 63 characters)"],
  ];
  for (const [name, input, expected] of cases) {
    it(name, () => {
      const m = message(() => load(input()));
      if (typeof expected === 'string') expect(m).toBe(expected);
      else expect(m).toMatch(expected);
    });
  }

  it('values path below a file', () => {
    expect(message(() => load({ values: ['base.yaml/x.yaml'] }))).toBe('--values: cannot read base.yaml/x.yaml: a parent path is not a directory');
  });
});
