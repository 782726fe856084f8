// Misspelled or misplaced keys in the client inputs (flytectl config, kubeconfig) and a --set value
// split by a comma: never a silent fallback to the default, never a fragment of a secret echoed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTarget, type TargetInput } from '../../src/config/load.js';
import { UserError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'fd-input-keys-'));
const home = mkdtempSync(join(tmpdir(), 'fd-input-keys-home-'));
const write = (name: string, text: string): string => { writeFileSync(join(dir, name), text); return join(dir, name); };
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

describe('flytectl config: a misspelled or misplaced admin key is bad input, not the default', () => {
  const cases: [string, string, RegExp][] = [
    ['admin.insecur', 'admin:\n  endpoint: dns:///flyte.example.com\n  insecur: true\n', /: admin\.insecur: not a key flytectl or pyflyte reads \(pyflyte ignores it, flytectl stops at start with "invalid keys: insecur"\); did you mean admin\.insecure\?$/],
    ['admin.endpiont', 'admin:\n  endpiont: dns:///flyte.example.com\n', /: admin\.endpiont: .*did you mean admin\.endpoint\?$/],
    ['admin.caCertFilepath', 'admin:\n  endpoint: dns:///flyte.example.com\n  caCertFilepath: /etc/ca.crt\n', /: admin\.caCertFilepath: expected admin\.caCertFilePath, spelled so: pyflyte reads only that spelling/],
    ['admin.Insecure (case)', 'admin:\n  endpoint: dns:///flyte.example.com\n  Insecure: true\n', /: admin\.Insecure: expected admin\.insecure, spelled so: pyflyte reads only that spelling and ignores admin\.Insecure \(flytectl's keys are case-insensitive\); write insecure$/],
    ['endpoint at the top level', 'endpoint: dns:///flyte.example.com\ninsecure: true\n', /: endpoint: at the top level, where flytectl and pyflyte do not read it; expected admin\.endpoint \(move endpoint, insecure under admin:\)$/],
    ['insecure beside admin:', 'admin:\n  endpoint: dns:///flyte.example.com\ninsecure: true\n', /: insecure: at the top level, .*expected admin\.insecure/],
    ['Admin: (case)', 'Admin:\n  endpoint: dns:///flyte.example.com\n', /: Admin: expected admin:, spelled so: pyflyte reads only that spelling/],
    ['admn:', 'admn:\n  endpoint: dns:///flyte.example.com\n', /: admn: not a section flytectl or pyflyte reads .*did you mean admin:\?$/],
  ];
  for (const [name, text, re] of cases) {
    it(name, () => {
      const f = write(`fc-${name.replace(/\W+/g, '-')}.yaml`, text);
      const m = message(() => load({ flytectlConfig: f }));
      expect(m.startsWith(`${f}: `), m).toBe(true);
      expect(m).toMatch(re);
    });
  }

  it('every key flytectl reads, and one far from all of them (a newer flytectl\'s), still load', () => {
    const f = write('fc-ok.yaml', 'admin:\n  endpoint: dns:///flyte.example.com\n  insecure: false\n  insecureSkipVerify: false\n  authType: Pkce\n  clientId: flytectl\n  scopes: [all]\n  maxRetries: 3\n  perRetryTimeout: 15s\n  pkceConfig: {timeout: 2m}\n  someFutureSetting: 1\nlogger:\n  level: 5\nstorage:\n  connection:\n    endpoint: http://minio:9000\nconsole:\n  endpoint: https://flyte.example.com\n');
    const t = load({ flytectlConfig: f });
    expect(t.client.endpoint).toBe('dns:///flyte.example.com');
  });
});

const KUBE = (user: string, extra = { context: '', cluster: '' }) => `apiVersion: v1
kind: Config
current-context: dev
contexts:
- name: dev
  context: {cluster: c1, user: u1${extra.context}}
clusters:
- name: c1
  cluster: {server: "https://127.0.0.1:17701"${extra.cluster}}
users:
- name: u1
${user}
- name: other
  user: {tokenfile: /elsewhere}
`;

describe('kubeconfig: a misspelled key of the selected context, cluster or user is bad input (kubectl ignores it silently)', () => {
  const cases: [string, string, RegExp][] = [
    ['tokenfile', KUBE('  user:\n    tokenfile: /var/run/token'), /: users\[0\]\.user\.tokenfile: not a key kubectl reads \(it ignores "tokenfile" silently, so user "u1" is used without it\); expected tokenFile$/],
    ['Token', KUBE('  user:\n    Token: abc'), /: users\[0\]\.user\.Token: .*expected token$/],
    ['client_key_data', KUBE('  user:\n    client-certificate-data: eA==\n    client_key_data: eA=='), /: users\[0\]\.user\.client_key_data: .*expected client-key-data$/],
    ['usr beside name', KUBE('  usr: {token: abc}'), /: users\[0\]\.usr: .*expected user$/],
    ['exec.arg', KUBE('  user:\n    exec: {command: aws, arg: [eks, get-token]}'), /: users\[0\]\.user\.exec\.arg: .*expected args$/],
    ['context namspace', KUBE('  user: {token: abc}', { context: ', namspace: flyte', cluster: '' }), /: contexts\[0\]\.context\.namspace: .*so context "dev" is used without it\); expected namespace$/],
    ['cluster certificate-authority_data', KUBE('  user: {token: abc}', { context: '', cluster: ', certificate-authority_data: eA==' }), /: clusters\[0\]\.cluster\.certificate-authority_data: .*so cluster "c1" is used without it\); expected certificate-authority-data$/],
  ];
  for (const [name, text, re] of cases) {
    it(name, () => {
      const f = write(`kube-${name.replace(/\W+/g, '-')}`, text);
      const m = message(() => load({ kubeconfig: f }));
      expect(m.startsWith(`${f}: `), m).toBe(true);
      expect(m).toMatch(re);
      expect(m).not.toContain('abc');
    });
  }

  it('a typo in a user no selected context uses, or beside the key it is close to, does not stop the run', () => {
    const f = write('kube-ok', KUBE('  user:\n    token: abc\n    Token: abc'));
    expect(load({ kubeconfig: f }).kubernetes.context).toBe('dev');
  });
});

describe('--set: a comma in a secret value', () => {
  it('is named by its key, never by the part of the secret after the comma', () => {
    const m = message(() => load({ set: ['configuration.database.password=s3cr3t-head,s3cr3t-tail'] }));
    expect(m).toMatch(/^--set configuration\.database\.password=\*\*\*: the value holds a ",", where helm starts another key=value .*escape each comma of the value as \\,/);
    expect(m).not.toMatch(/s3cr3t/);
  });

  it('an escaped comma is part of the value', () => {
    const t = load({ set: ['configuration.database.host=db.example.com', 'configuration.database.password=s3cr3t\\,tail'], chart: 'flyte-binary' });
    expect(t.secrets).toContain('s3cr3t,tail');
  });
});

describe('numbers as Helm reads them (Go yaml.v2)', () => {
  it('port: 05432 is octal 2842 for Helm and Flyte, so it is what gets probed; 5_432 is 5432, not bad input', () => {
    const octal = write('v-octal.yaml', 'configuration:\n  database:\n    host: db.example.com\n    port: 05432\n');
    expect(load({ values: [octal] }).databases[0]!.port).toBe(2842);
    const flow = write('v-underscore.yaml', 'configuration:\n  database: {host: db.example.com, port: 5_432}\n');
    expect(load({ values: [flow] }).databases[0]!.port).toBe(5432);
  });
});

describe('a misspelled FLYTE_DOCTOR_* variable is bad input, not the default namespace or resolver', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ FLYTE_DOCTOR_NAMESPCE: 'team-flyte' }, /^env FLYTE_DOCTOR_NAMESPCE: not a variable flyte-doctor reads \(it would be ignored silently\); expected FLYTE_DOCTOR_NAMESPACE$/],
    [{ FLYTE_DOCTOR_DNS: '10.0.0.2:53' }, /^env FLYTE_DOCTOR_DNS: .*expected FLYTE_DOCTOR_DNS_SERVER$/],
    [{ flyte_doctor_namespace: 'team-flyte' }, /^env flyte_doctor_namespace: .*expected FLYTE_DOCTOR_NAMESPACE$/],
  ];
  for (const [env, re] of cases) it(Object.keys(env)[0]!, () => expect(message(() => load({ env }))).toMatch(re));

  it('the variables flyte-doctor reads, and its internal ones, load', () => {
    const t = load({ env: { FLYTE_DOCTOR_NAMESPACE: 'team-flyte', FLYTE_DOCTOR_DNS_SERVER: '127.0.0.1:53', FLYTE_DOCTOR_DEBUG: '1', FLYTE_DOCTOR_TESTBED_KEEP: '1', FLYTE_DOCTOR_SET_0: 'a=b', FLYTE_DOCTOR_VERSION__: 'x' } });
    expect(t.kubernetes.namespace).toBe('team-flyte');
  });
});
