// Bad input never yields a stack trace: exit 2 and one line naming the file/flag, the key and
// what was expected.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture } from '../harness/fixtures.js';
import { runCli, tmpFiles } from './helpers.js';

const dir = tmpFiles({
  'bad.yaml': 'configuration:\n  database:\n    host: db\n   port: 5432\n',
  'wrongtype.yaml': 'configuration:\n  database:\n    port: five\n',
  'ok.yaml': 'configuration:\n  database:\n    host: db.example.com\n    port: 5432\n    dbname: flyteadmin\n    username: flyte\n',
  'kubeconfig': 'apiVersion: v1\nkind: Config\ncurrent-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n- name: b\n  context: {cluster: c, user: u}\nclusters:\n- name: c\n  cluster: {server: "https://127.0.0.1:1"}\nusers:\n- name: u\n  user: {token: t}\n',
  'badkube': 'apiVersion: v1\nkind: Config\nclusters: [\n',
  'badflytectl.yaml': 'admin:\n  endpoint: dns:///x\n  insecure: [\n',
  'noexport.mjs': 'export const x = 1;\n',
  'cfg-bad.yaml': 'plugins: ./one.mjs\n',
  'cfg-typo.yaml': 'plugin:\n  - ./one.mjs\n',
  'v2.yaml': '',
  // a name written as a YAML block scalar (`current-context: |`) ends with a line break
  'kube-nl': 'apiVersion: v1\nkind: Config\ncurrent-context: |\n  a\ncontexts:\n- name: a\n  context: {cluster: "c ", user: u}\nclusters:\n- name: c\n  cluster: {server: "https://127.0.0.1:1"}\nusers:\n- name: u\n  user: {token: t}\n',
  'kube-sp': 'apiVersion: v1\nkind: Config\ncurrent-context: a\ncontexts:\n- name: a\n  context: {cluster: "c ", user: u}\nclusters:\n- name: c\n  cluster: {server: "https://127.0.0.1:1"}\nusers:\n- name: u\n  user: {token: t}\n',
  'fc-insecure-nl.yaml': 'admin:\n  endpoint: dns:///flyte.example.internal\n  insecure: "false\\n"\n',
  'fc-insecure-qyes.yaml': 'admin:\n  endpoint: dns:///flyte.example.internal\n  insecure: "yes"\n',
  'fc-insecure-yes.yaml': 'admin:\n  endpoint: dns:///flyte.example.internal\n  insecure: yes\n',
  'values-yes.yaml': 'configuration:\n  database:\n    host: db.example.internal\ningress:\n  create: yes\n  separateGrpcIngress: off\n  host: flyte.example.internal\n',
  'emptyprovider.yaml': 'configuration:\n  storage:\n    provider: ""\n',
  // the file's client secret, repeated at a key that expects a boolean: the exit-2 line must not print it
  'fc-secret-as-bool.yaml': 'admin:\n  endpoint: dns:///flyte.example.internal\n  clientSecret: FcSecret-0091-zz\n  insecure: FcSecret-0091-zz\n',
  'emptyauthtype.yaml': 'storage:\n  type: s3\n  s3:\n    authType: ""\nflyteadmin:\n  enabled: true\n',
});

const cases: { name: string; args: string[]; expect: RegExp }[] = [
  { name: 'unknown flag', args: ['preflight', '--bogus'], expect: /Unknown argument: bogus/ },
  { name: 'no command', args: [], expect: /a command is required/ },
  { name: 'unknown command', args: ['doctorate'], expect: /Unknown argument: doctorate/ },
  { name: 'missing values file', args: ['preflight', '--dry-run', '-f', join(dir, 'nope.yaml')], expect: /nope\.yaml.*(cannot read|no such file|ENOENT)/i },
  // a path with a space after it (copied from a terminal): quoted, and the file meant is named
  { name: 'values path ending in a space', args: ['preflight', '--dry-run', '-f', `${join(dir, 'v2.yaml')} `], expect: new RegExp(`^flyte-doctor: --values: cannot read "${join(dir, 'v2.yaml').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} ": no such file or directory: the path ends with a space, and \\S+v2\\.yaml exists: remove the whitespace from the path$`, 'm') },
  { name: 'values file is a directory', args: ['preflight', '--dry-run', '-f', dir], expect: /cannot read|directory|EISDIR/i },
  { name: 'invalid YAML with line and column', args: ['preflight', '--dry-run', '-f', join(dir, 'bad.yaml')], expect: /bad\.yaml:\d+:\d+: invalid YAML/ },
  { name: 'values key of the wrong type', args: ['preflight', '--dry-run', '-f', join(dir, 'wrongtype.yaml')], expect: /wrongtype\.yaml: configuration\.database\.port: expected .*number.*five/ },
  // "" replaces the chart's default, and the chart's template refuses it like any value outside its set
  { name: 'provider written as ""', args: ['preflight', '--dry-run', '-f', join(dir, 'emptyprovider.yaml')], expect: /^flyte-doctor: \S*emptyprovider\.yaml: configuration\.storage\.provider: expected one of s3, gcs, azure \(an empty string replaces the chart's default and the chart refuses it; remove the key to keep the default\), got ""$/m },
  { name: 'flyte-core authType written as ""', args: ['preflight', '--dry-run', '-f', join(dir, 'emptyauthtype.yaml')], expect: /emptyauthtype\.yaml: storage\.s3\.authType: expected one of iam, accesskey .*got ""$/m },
  { name: '--set of an enum key to ""', args: ['preflight', '--dry-run', '--set', 'configuration.storage.provider='], expect: /^flyte-doctor: --set: configuration\.storage\.provider: expected one of s3, gcs, azure .*got ""$/m },
  { name: 'current-context with a line break: quoted, named, and the context meant', args: ['preflight', '--dry-run', '--kubeconfig', join(dir, 'kube-nl')], expect: /^flyte-doctor: \S*kube-nl: current-context: names context "a\\n" \(it ends with a newline, and "a" is defined: remove the whitespace\), which is not defined in /m },
  { name: 'a context naming a cluster with a space after it', args: ['preflight', '--dry-run', '--kubeconfig', join(dir, 'kube-sp')], expect: /^flyte-doctor: \S*kube-sp: context "a": names cluster "c " \(it ends with a space, and "c" is defined: remove the whitespace\), which is not defined in /m },
  { name: '--context with a space after it', args: ['preflight', '--dry-run', '--kubeconfig', join(dir, 'kubeconfig'), '--context', 'b '], expect: /^flyte-doctor: --context "b ": no such context in \S+ \(the name ends with a space, and "b" is defined: remove the whitespace\); available: a, b$/m },
  // flytectl decodes a string boolean with Go's strconv.ParseBool: no whitespace
  { name: 'admin.insecure "false\\n" (a quoted value with a newline)', args: ['preflight', '--dry-run', '--flytectl-config', join(dir, 'fc-insecure-nl.yaml')], expect: /^flyte-doctor: \S*fc-insecure-nl\.yaml: admin\.insecure: "false\\n" ends with a newline, and flytectl stops at start with "cannot parse 'admin\.insecure' as bool" \(Go's strconv\.ParseBool takes no whitespace\); write insecure: false$/m },
  { name: 'admin.insecure "yes" quoted (a string, which Go\'s ParseBool refuses)', args: ['preflight', '--dry-run', '--flytectl-config', join(dir, 'fc-insecure-qyes.yaml')], expect: /^flyte-doctor: \S*fc-insecure-qyes\.yaml: admin\.insecure: "yes" is a quoted string, and flytectl stops at start with "cannot parse 'admin\.insecure' as bool" \(Go's strconv\.ParseBool takes true\/false, 1\/0, t\/f\); write insecure: true$/m },
  { name: 'malformed --set', args: ['preflight', '--dry-run', '--set', 'configuration.database.host'], expect: /--set configuration\.database\.host.*expected.*key=value/ },
  { name: 'unknown check id in --only', args: ['preflight', '--dry-run', '--only', 'storage.s3.teleport'], expect: /--only storage\.s3\.teleport: no check matches; expected a check id, an area/ },
  { name: 'unknown area in --skip', args: ['preflight', '--dry-run', '--skip', 'weather'], expect: /--skip weather: no check matches/ },
  { name: 'bad --timeout', args: ['preflight', '--dry-run', '--timeout', 'soon'], expect: /--timeout "soon": expected a positive duration like 10s/ },
  { name: 'zero --deadline', args: ['preflight', '--dry-run', '--deadline', '0s'], expect: /--deadline "0s": zero; expected a positive duration/ },
  { name: '--concurrency 0', args: ['preflight', '--dry-run', '--concurrency', '0'], expect: /--concurrency 0: expected a whole number from 1 to 1024/ },
  { name: '--concurrency 1.5', args: ['preflight', '--dry-run', '--concurrency', '1.5'], expect: /--concurrency 1\.5: expected a whole number/ },
  { name: '--concurrency not a number: shown as typed', args: ['preflight', '--dry-run', '--concurrency', 'lots'], expect: /--concurrency "lots": expected a whole number from 1 to 1024/ },
  { name: 'bad --fail-on', args: ['preflight', '--dry-run', '--fail-on', 'maybe'], expect: /^flyte-doctor: --fail-on maybe: expected one of warn, fail$/m },
  { name: 'bad --output', args: ['preflight', '--dry-run', '-o', 'xml'], expect: /^flyte-doctor: --output xml: expected one of pretty, json, junit, markdown$/m },
  { name: '-f without a file (the last word of the line)', args: ['preflight', '--dry-run', '-f'], expect: /--values: no value given; expected a values file/ },
  { name: '--report without a value', args: ['preflight', '--dry-run', '--report'], expect: /--report: no value given; expected FORMAT=PATH/ },
  { name: '--skip that excludes everything', args: ['preflight', '--dry-run', '--skip', '*'], expect: /--skip \*: excludes every check of the preflight phase; nothing would run/ },
  { name: '--only and --skip that cancel out', args: ['preflight', '--dry-run', '--only', 'values', '--skip', 'values'], expect: /--skip values: excludes every check --only values selects; nothing would run/ },
  { name: '--report without a path', args: ['preflight', '--dry-run', '--report', 'junit'], expect: /--report junit: expected FORMAT=PATH/ },
  { name: '--report unknown format', args: ['preflight', '--dry-run', '--report', 'xml=out.xml'], expect: /--report xml=out\.xml: unknown format "xml"; expected one of pretty, json, junit, markdown/ },
  { name: '--report to a directory', args: ['preflight', '--dry-run', '--report', `json=${dir}`], expect: /--report json=.*is a directory/ },
  { name: 'bad --chart', args: ['preflight', '--dry-run', '--chart', 'flyte-lite'], expect: /--chart flyte-lite: expected flyte-binary or flyte-core/ },
  { name: 'unknown kube context', args: ['preflight', '--dry-run', '--kubeconfig', join(dir, 'kubeconfig'), '--context', 'prod'], expect: /--context prod.*(a, b|"a", "b"|a,b)/ },
  { name: 'missing kubeconfig', args: ['preflight', '--dry-run', '--kubeconfig', join(dir, 'nokube')], expect: /--kubeconfig.*nokube/ },
  { name: 'invalid kubeconfig YAML', args: ['preflight', '--dry-run', '--kubeconfig', join(dir, 'badkube'), '--context', 'a'], expect: /badkube.*(invalid YAML|:\d+:\d+)/ },
  { name: 'missing flytectl config', args: ['preflight', '--dry-run', '--flytectl-config', join(dir, 'nope-config.yaml')], expect: /nope-config\.yaml/ },
  { name: 'invalid flytectl config YAML', args: ['preflight', '--dry-run', '--flytectl-config', join(dir, 'badflytectl.yaml')], expect: /badflytectl\.yaml:\d+:\d+: invalid YAML/ },
  { name: 'bad --dns-server', args: ['preflight', '--dry-run', '--dns-server', 'dns:server:x'], expect: /--dns-server dns:server:x: expected host\[:port\]/ },
  { name: 'explain an unknown id', args: ['explain', 'storage.s3.teleport'], expect: /explain storage\.s3\.teleport: unknown check id/ },
  { name: 'missing plugin', args: ['list', '--plugin', join(dir, 'nope.mjs')], expect: /--plugin .*nope\.mjs: cannot read/ },
  { name: 'plugin that exports no check', args: ['list', '--plugin', join(dir, 'noexport.mjs')], expect: /does not export a check/ },
  { name: 'config file with plugin: for plugins: (the list would go unread)', args: ['list', '--config', join(dir, 'cfg-typo.yaml')], expect: /cfg-typo\.yaml: plugin: not a key flyte-doctor reads; expected plugins: .*misspelling of plugins/ },
  { name: 'config file with a malformed plugins list', args: ['list', '--config', join(dir, 'cfg-bad.yaml')], expect: /cfg-bad\.yaml: plugins: expected a list of file paths/ },
  { name: 'flag given twice', args: ['preflight', '--dry-run', '--timeout', '1s', '--timeout', '2s'], expect: /--timeout: given more than once/ },
  { name: 'bad --wait', args: ['verify', '--dry-run', '--wait', 'forever'], expect: /--wait "forever": expected a positive duration/ },
  { name: '--wait is for verify only', args: ['preflight', '--dry-run', '--wait', '5m'], expect: /Unknown argument: wait/ },
  { name: 'Flyte 2 values file', args: ['preflight', '--dry-run', '-f', fixture('flyte-values', 'flyte-binary-v2main__values.yaml')], expect: /Flyte 2/ },
];

describe('bad input: exit 2, one line, no stack trace', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const r = await runCli(c.args, { cwd: dir });
      expect(r.stderr).toMatch(c.expect);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
    });
  }
});

// flytectl reads its config with viper's yaml.v2 (YAML 1.1), where an unquoted yes/on is a boolean:
// accepted, as flytectl and pyflyte accept it (only whitespace inside a quoted value stops flytectl).
describe('a YAML 1.1 boolean (yes, on, off) in the inputs', () => {
  it('values: create: yes / separateGrpcIngress: off are the booleans Helm reads (sigs.k8s.io/yaml), not bad input', async () => {
    const r = await runCli(['preflight', '--dry-run', '-o', 'json', '-f', join(dir, 'values-yes.yaml')], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const f = new Map((JSON.parse(r.stdout).target.fields as { field: string; value: unknown }[]).map((x) => [x.field, x.value]));
    expect([f.get('ingress.enabled'), f.get('ingress.separateGrpcIngress')]).toEqual(['true', 'false']);
  });
  it('insecure: "" is false, as flytectl (mapstructure) and flytekit read it, not bad input', async () => {
    const f = join(dir, 'fc-insecure-empty.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(f, 'admin:\n  endpoint: dns:///flyte.example.internal\n  insecure: ""\n');
    const r = await runCli(['preflight', '--dry-run', '-o', 'json', '--flytectl-config', f], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout).target.fields as { field: string; value: unknown; source: string }[]).find((x) => x.field === 'client.insecure')).toMatchObject({ value: 'false', source: `${f}: admin.insecure` });
  });
  it('a client config\'s own secret quoted by its exit-2 line is masked (the file\'s credentials redact the error)', async () => {
    const r = await runCli(['preflight', '--dry-run', '--flytectl-config', join(dir, 'fc-secret-as-bool.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`flyte-doctor: ${join(dir, 'fc-secret-as-bool.yaml')}: admin.insecure: expected a boolean (true or false), got "***"`);
    expect(r.stderr + r.stdout).not.toContain('FcSecret-0091');
  });

  it('insecure: yes is true, not bad input', async () => {
    const r = await runCli(['preflight', '--dry-run', '-o', 'json', '--flytectl-config', join(dir, 'fc-insecure-yes.yaml')], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout).target.fields as { field: string; value: unknown }[]).find((f) => f.field === 'client.insecure')?.value).toBe('true');
  });
});

// The shell exports PWD and OLDPWD (names ending in `pwd`, like MYSQL_PWD): they hold directories, and
// taken as secrets they turned every path under the current directory into *** in the error line.
describe('the shell\'s working directories are not secrets', () => {
  it('a missing file under $PWD is named whole; a password variable ending in _PWD still hides its value', async () => {
    const file = join(dir, 'nope.yaml');
    const r = await runCli(['preflight', '--dry-run', '-f', file], { cwd: dir, env: { PATH: process.env.PATH, PWD: dir, OLDPWD: dir, DB_PWD: dir } });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('***/nope.yaml'); // DB_PWD holds the same text: a credential, hidden
    const clean = await runCli(['preflight', '--dry-run', '-f', file], { cwd: dir, env: { PATH: process.env.PATH, PWD: dir, OLDPWD: dir } });
    expect(clean.code, clean.stderr).toBe(2);
    expect(clean.stderr).toContain(`cannot read ${file}:`);
  });
});

// --dry-run writes nothing: a report path is checked (its nearest existing directory must be
// writable) but its missing directories are not created.
describe('--dry-run with --report', () => {
  it('creates no directory for the report, and a report below a file is still exit 2', async () => {
    const { existsSync, writeFileSync } = await import('node:fs');
    const out = join(dir, 'dry-new', 'deeper', 'r.json');
    const r = await runCli(['preflight', '--dry-run', '--report', `json=${out}`], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(dir, 'dry-new'))).toBe(false);
    writeFileSync(join(dir, 'dry-file'), 'x');
    const bad = await runCli(['preflight', '--dry-run', '--report', `json=${join(dir, 'dry-file', 'sub', 'r.json')}`], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/a parent of .*dry-file\/sub\/r\.json is a file, not a directory; expected a writable file path/);
  });
});

describe('./flyte-doctor.yaml found in the working directory', () => {
  it('a dangling link there is a broken config (exit 2 naming the file as found, not a --config never given), not an absent one', async () => {
    const { mkdtempSync, symlinkSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const cwd = mkdtempSync(join(tmpdir(), 'fd-cfg-link-'));
    symlinkSync(join(cwd, 'gone.yaml'), join(cwd, 'flyte-doctor.yaml'));
    const r = await runCli(['list'], { cwd });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/\.\/flyte-doctor\.yaml \(found in the working directory\): .*dangling link/);
    expect(r.stderr).not.toContain('--config');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
