// Hostile files on the input paths the earlier sweeps did not drive: --server-config, --manifests,
// a KUBECONFIG list (a:b), and symbolic links that lead nowhere (dangling, or a loop). Each is one
// UserError line naming the flag or variable, the path and the reason, at once (never a block on a FIFO).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { loadTarget, type TargetInput } from '../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'fd-hy-p-paths-'));
mkdirSync(join(dir, 'home'));
mkdirSync(join(dir, 'sub'));
const fifo = join(dir, 'fifo');
execFileSync('mkfifo', [fifo]);
symlinkSync(join(dir, 'gone.yaml'), join(dir, 'dangling.yaml'));
symlinkSync(join(dir, 'loopB'), join(dir, 'loopA'));
symlinkSync(join(dir, 'loopA'), join(dir, 'loopB'));
const KC = 'apiVersion: v1\nkind: Config\ncurrent-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\nclusters:\n- name: c\n  cluster: {server: "https://127.0.0.1:31001"}\nusers:\n- name: u\n  user: {token: t}\n';
writeFileSync(join(dir, 'kc'), KC);
const load = (o: Partial<TargetInput>) => loadTarget({ values: [], set: [], env: {}, cwd: dir, home: join(dir, 'home'), ...o });
function refusal(f: () => unknown): string {
  const t0 = Date.now();
  try { f(); } catch (e) {
    if (!(e instanceof UserError)) throw new Error(`expected a UserError, got ${(e as Error)?.stack ?? String(e)}`);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(e.message.split('\n')).toHaveLength(1);
    return e.message;
  }
  throw new Error('expected a UserError, but it loaded');
}

describe('a symbolic link that leads nowhere is named as such, not "no such file"', () => {
  const DANGLING = 'a symbolic link to .*gone\\.yaml, which does not exist \\(a dangling link\\): point it at the file, or pass the file itself';
  it.each([
    ['--values', { values: ['dangling.yaml'] }],
    ['--flytectl-config', { flytectlConfig: 'dangling.yaml' }],
    ['--server-config', { serverConfigs: ['dangling.yaml'] }],
    ['--kubeconfig', { kubeconfig: 'dangling.yaml' }],
  ] as [string, Partial<TargetInput>][])('%s', (flag, input) => {
    expect(refusal(() => load(input))).toMatch(new RegExp(`^${flag}: cannot read dangling\\.yaml: ${DANGLING}$`));
  });
  it('--kubeconfig a symlink loop: too many symbolic links (it said "no such file or directory")', () => {
    expect(refusal(() => load({ kubeconfig: 'loopA' }))).toBe('--kubeconfig: cannot read loopA: too many symbolic links');
  });
  it('a missing file is still just missing', () => {
    expect(refusal(() => load({ kubeconfig: 'nope' }))).toBe('--kubeconfig: cannot read nope: no such file or directory');
  });
});

describe('FIFOs, devices and huge sparse files on the other input paths: refused at once', () => {
  it.each([
    ['--server-config FIFO', { serverConfigs: [fifo] }, /^--server-config: cannot read .*fifo: is a pipe that gave no data/],
    ['--server-config /dev/zero', { serverConfigs: ['/dev/zero'] }, /^--server-config: cannot read \/dev\/zero: is a character device, expected a regular file$/],
    ['--manifests FIFO', { manifests: fifo }, /^--manifests: cannot read .*fifo: is a pipe that gave no data/],
    ['--manifests /dev/urandom', { manifests: '/dev/urandom' }, /^--manifests: cannot read \/dev\/urandom: is a character device/],
    ['a FIFO in a KUBECONFIG list', { env: { KUBECONFIG: `${join(dir, 'kc')}:${fifo}` } }, /^env KUBECONFIG: cannot read .*fifo: is a pipe that gave no data/],
    ['/dev/zero in a KUBECONFIG list', { env: { KUBECONFIG: `${join(dir, 'kc')}:/dev/zero` } }, /^env KUBECONFIG: cannot read \/dev\/zero: is a character device/],
    ['a directory in a KUBECONFIG list', { env: { KUBECONFIG: `${join(dir, 'sub')}:${join(dir, 'kc')}` } }, /^env KUBECONFIG: cannot read .*sub: is a directory, expected a regular file$/],
  ] as [string, Partial<TargetInput>, RegExp][])('%s', (_name, input, re) => {
    expect(refusal(() => load(input))).toMatch(re);
  });

  it('a 2 GB sparse file is refused by its size without reading it', () => {
    const sparse = join(dir, 'sparse.yaml');
    execFileSync('truncate', ['-s', '2G', sparse]);
    expect(refusal(() => load({ values: [sparse] }))).toMatch(/^--values: cannot read .*sparse\.yaml: is 2048 MiB, over the 2 MiB limit/);
    expect(refusal(() => load({ manifests: sparse }))).toMatch(/^--manifests: cannot read .*sparse\.yaml: is 2048 MiB, over the 4 MiB limit/);
    expect(refusal(() => load({ kubeconfig: sparse }))).toMatch(/^--kubeconfig: cannot read .*sparse\.yaml: is 2048 MiB/);
  });
});

describe('--set with a key nested thousands of levels deep', () => {
  it('is one UserError line, not a stack overflow (exit 4, "internal error")', () => {
    const dotted = `${Array(5000).fill('a').join('.')}=1`;
    expect(refusal(() => load({ set: [dotted] }))).toBe('--set a.a.a.a.a.a...=…: the key is nested 5000 levels deep (expected at most 64 levels); expected key=value, e.g. --set configuration.database.host=db.example.com');
    expect(refusal(() => load({ set: [`a${'[0]'.repeat(3000)}=1`] }))).toMatch(/^--set a\[0\]\[0\]\[0\]\[0\]\[0\]\.\.\.=…: the key is nested 3001 levels deep/);
    expect(() => load({ set: [`${Array(64).fill('a').join('.')}=1`] })).not.toThrow(); // as deep as a values file may go
  });
});

// A file passed with another input's flag was read as an empty input of that kind (a flytectl config
// without an endpoint, a kubeconfig without a context, values of no chart): the run went on with
// defaults and never said the file was the wrong one.
describe('an input passed with the wrong flag is named as what it is, with the flag meant', () => {
  const VALUES = 'configuration:\n  database:\n    host: db.example.internal\n';
  const FC = 'admin:\n  endpoint: dns:///flyte.example.internal\n  insecure: false\n';
  writeFileSync(join(dir, 'values.yaml'), VALUES);
  writeFileSync(join(dir, 'config.yaml'), FC);
  it.each([
    ['Helm values as --flytectl-config', { flytectlConfig: 'values.yaml' }, 'values.yaml: this looks like Helm values (has configuration.* (flyte-binary)), not a flytectl config (admin.endpoint): pass it with --values'],
    ['a kubeconfig as --flytectl-config', { flytectlConfig: 'kc' }, 'kc: this is a kubeconfig (kind: Config with clusters, contexts, users), not a flytectl config (admin.endpoint): pass it with --kubeconfig'],
    ['a flytectl config as --kubeconfig', { kubeconfig: 'config.yaml' }, `config.yaml: this is a flytectl config (admin.endpoint), not a kubeconfig (clusters, contexts, users): pass it with --flytectl-config`],
    ['Helm values as --kubeconfig', { kubeconfig: 'values.yaml' }, `values.yaml: this looks like Helm values (has configuration.* (flyte-binary)), not a kubeconfig (clusters, contexts, users): pass it with --values`],
    ['a kubeconfig as -f', { values: ['kc'] }, 'kc: this is a kubeconfig (kind: Config with clusters, contexts, users), not Helm values: pass it with --kubeconfig'],
    ['a flytectl config as -f', { values: ['config.yaml'] }, 'config.yaml: this is a flytectl config (admin.endpoint), not Helm values: pass it with --flytectl-config'],
  ] as [string, Partial<TargetInput>, string][])('%s', (_name, input, expected) => {
    expect(refusal(() => load(input))).toBe(expected);
  });
  it('each in its own place loads', () => {
    const t = load({ values: ['values.yaml'], flytectlConfig: 'config.yaml', kubeconfig: 'kc' });
    expect([t.databases[0]!.host, t.client.endpoint, t.kubernetes.context]).toEqual(['db.example.internal', 'dns:///flyte.example.internal', 'a']);
  });
});
