// An exec credential plugin that floods its standard output and never ends (a wrapper script in a
// loop; here `yes`): kubectl reads on until it runs out of memory. flyte-doctor stops it at 4 MiB,
// at once, and says what it printed; the run's memory stays bounded. Real kube-apiserver config.
import { execSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { runCheck } from '../../harness/run-check.js';
import { makeTarget } from '../../harness/target.js';
import { getTestbed } from '../../harness/testbed.js';

function kubeconfigWithExec(exec: Record<string, unknown>): string {
  const tb = getTestbed();
  const f = join(mkdtempSync(join(tmpdir(), 'fd-k8s-flood-')), 'config');
  writeFileSync(f, stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'tb', cluster: { server: tb.kube.server, 'certificate-authority': tb.kube.caFile } }],
    users: [{ name: 'u', user: { exec } }],
    contexts: [{ name: 'c', context: { cluster: 'tb', user: 'u', namespace: 'flyte' } }],
  }, { version: '1.1' })); // YAML 1.1, as kubectl reads it: the command `yes` is quoted, not the boolean true
  return f;
}

describe('kubernetes.config.load: an exec plugin that floods its output', () => {
  it('is stopped past 4 MiB and named at once (not a timeout with no cause)', async () => {
    const kc = kubeconfigWithExec({ command: 'yes', args: ['not-a-credential'], apiVersion: 'client.authentication.k8s.io/v1' });
    const t0 = Date.now();
    const { result } = await runCheck('kubernetes.config.load', makeTarget({ kubernetes: { kubeconfigPath: kc, namespace: 'flyte', release: 'flyte' } } as never), { timeoutMs: 8000 });
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(result).toMatchObject({ status: 'fail', messageId: 'execPluginBadOutput' });
    expect(result.message).toMatch(/exec plugin `yes` printed more than 4 MiB on stdout without ending \(it begins "not-a-credential not-a-credential/);
  });
  it('flooding stderr is stopped and named too (not "did not finish", read as an interactive login)', async () => {
    const kc = kubeconfigWithExec({ command: 'sh', args: ['-c', 'yes "error: cannot refresh" 1>&2'], apiVersion: 'client.authentication.k8s.io/v1' });
    const t0 = Date.now();
    const { result } = await runCheck('kubernetes.config.load', makeTarget({ kubernetes: { kubeconfigPath: kc, namespace: 'flyte', release: 'flyte' } } as never), { timeoutMs: 8000 });
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(result).toMatchObject({ status: 'fail', messageId: 'execPluginBadOutput' });
    expect(result.message).toMatch(/printed more than 4 MiB on stderr without ending \(it begins "error: cannot refresh error: cannot refresh/);
  });
});

describe('kubernetes.config.load: what an exec plugin starts does not outlive the run', () => {
  const alive = (tag: string) => { try { return execSync(`pgrep -f "^sleep ${tag}"`, { encoding: 'utf8' }).trim() !== ''; } catch { return false; } };
  it('a plugin that never exits: stopped with everything it started at the time limit', async () => {
    const tag = String(4000 + Math.floor(Math.random() * 900));
    const kc = kubeconfigWithExec({ command: 'sh', args: ['-c', `sleep ${tag}.5 & sleep ${tag}.6`], apiVersion: 'client.authentication.k8s.io/v1' });
    const { result } = await runCheck('kubernetes.config.load', makeTarget({ kubernetes: { kubeconfigPath: kc, namespace: 'flyte', release: 'flyte' } } as never), { timeoutMs: 2000 });
    expect(result.status).not.toBe('pass');
    await new Promise((r) => setTimeout(r, 300));
    expect(alive(tag), 'a process the plugin started is still running').toBe(false);
  });
  it('a plugin that exits but leaves a child holding its output: the child is stopped too', async () => {
    const tag = String(5000 + Math.floor(Math.random() * 900));
    const kc = kubeconfigWithExec({ command: 'sh', args: ['-c', `sleep ${tag}.5 & echo '{}'`], apiVersion: 'client.authentication.k8s.io/v1' });
    const { result } = await runCheck('kubernetes.config.load', makeTarget({ kubernetes: { kubeconfigPath: kc, namespace: 'flyte', release: 'flyte' } } as never), { timeoutMs: 5000 });
    expect(result.status).not.toBe('pass');
    await new Promise((r) => setTimeout(r, 300));
    expect(alive(tag), 'the child holding the output is still running').toBe(false);
  });
});
