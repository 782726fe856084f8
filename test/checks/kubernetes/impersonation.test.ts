// Impersonation (`as` / `as-groups` in the kubeconfig user) against the test bed's REAL kube-apiserver:
// an identity that may impersonate passes; one that may not gets the API server's own 403
// ('users "jane" is forbidden: User "restricted" cannot impersonate resource "users" in API group ""
// at the cluster scope') on every request, discovery included. That is not a missing read right:
// the fix is to drop the impersonation or grant the `impersonate` verb, never "bind it to view".
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { cause } from '../../../src/engine/causes.js';
import { runCheck, runSelection } from '../../harness/run-check.js';
import { makeTarget } from '../../harness/target.js';
import { getTestbed } from '../../harness/testbed.js';

const tb = () => getTestbed();
const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function kubeconfig(user: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'fd-sweep-kube-imp-'));
  dirs.push(dir);
  const f = join(dir, 'config');
  writeFileSync(f, stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'tb', cluster: { server: tb().kube.server, 'certificate-authority': tb().kube.caFile } }],
    users: [{ name: 'imp', user }],
    contexts: [{ name: 'c', context: { cluster: 'tb', user: 'imp', namespace: 'flyte' } }],
  }));
  return f;
}
const target = (f: string) => makeTarget({ kubernetes: { kubeconfigPath: f, namespace: 'flyte', release: 'flyte' } } as never);

describe('impersonation in the kubeconfig', () => {
  it('an identity allowed to impersonate (system:masters) passes', async () => {
    const { result } = await runCheck('kubernetes.api.reachable', target(kubeconfig({ token: tb().kube.tokens.admin, as: 'jane' })), { phase: 'preflight' });
    expect(result.status, result.message).toBe('pass');
  });

  it('impersonation refused: named as such, the fix is the kubeconfig\'s `as` or the impersonate verb, not a read role', async () => {
    const f = kubeconfig({ token: tb().kube.tokens.restricted, as: 'jane' });
    const { result } = await runCheck('kubernetes.api.reachable', target(f), { phase: 'preflight' });
    expect(result, result.message).toMatchObject({ status: 'fail', messageId: 'impersonationDenied', cause: cause.denied('kubernetes', 'restricted', 'impersonate users/jane') });
    expect(result.message).toContain('act as user "jane" (as of user "imp") but "restricted" may not impersonate users (403)');
    expect(result.hint).toContain('kubectl config unset users.imp.as');
    expect(result.hint).toContain('--verb=impersonate --resource=users --resource-name=jane');
    expect(result.hint).not.toContain('clusterrole=view');
    expect(JSON.stringify(result)).not.toContain(tb().kube.tokens.restricted);
  });

  it('a group impersonation refused names as-groups', async () => {
    // The API server checks the user first; an identity with no impersonate right is refused on the user.
    // Impersonating oneself (as: restricted) keeps the user check and fails on the group.
    const { result } = await runCheck('kubernetes.api.reachable', target(kubeconfig({ token: tb().kube.tokens.restricted, as: 'restricted', 'as-groups': ['ops'] })), { phase: 'preflight' });
    expect(result, result.message).toMatchObject({ status: 'fail', messageId: 'impersonationDenied' });
    expect(result.hint).toMatch(/unset users\.imp\.as(-groups)?/);
  });

  it('the checks behind it are skipped under one cause, not each a read-permission warning', async () => {
    const run = await runSelection(target(kubeconfig({ token: tb().kube.tokens.restricted, as: 'jane' })), 'preflight', ['kubernetes.api.reachable', 'kubernetes.namespace.exists']);
    const ns = run.results.find((r) => r.id === 'kubernetes.namespace.exists')!;
    expect(ns.status).toBe('skip');
  });
});
