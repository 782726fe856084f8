// An identity that may read Deployments but not pods (a namespace Role for deployments only), reached
// through impersonation on the REAL kube-apiserver: the Deployment's own status is evidence that it is
// not available, so a 403 on its pods must not turn "down" into "cannot be checked"; and a 403 names
// the identity the API server saw (the impersonated user), which a RoleBinding must name, not the
// kubeconfig's entry name.
import { writeFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../../src/config/target.js';
import { installFlyte, makeReady, makeUnready, removeInstall, type Install, type InstallOptions } from '../../infra/flyte-install.js';
import { createIfMissing } from '../../infra/kube.js';
import { runSelection } from '../../harness/run-check.js';
import { makeTarget } from '../../harness/target.js';
import { getTestbed } from '../../harness/testbed.js';

const tb = () => getTestbed();
const o: InstallOptions = { namespace: 'hx-d-forbid', release: 'hxf', noWebhook: true };
const READER = 'hx-d-deploy-reader';
let inst: Install;
let kubeconfig: string;
const target = (): Target => makeTarget({ chart: 'flyte-binary', kubernetes: { kubeconfigPath: kubeconfig, context: 'hxd', namespace: o.namespace!, release: o.release! } } as never);
const run = async (ids: string[]) => (await runSelection(target(), 'verify', ids)).results;

describe.sequential('hx-d: a 403 on pods, on the real API server', () => {
  beforeAll(async () => {
    await removeInstall(tb(), 'flyte-binary', o);
    inst = await installFlyte(tb(), 'flyte-binary', { ...o, db: { host: tb().postgres.host, port: tb().postgres.port, user: 'flyte_owner' } });
    const kube = { server: tb().kube.server, caFile: tb().kube.caFile };
    const admin = tb().kube.tokens.admin;
    await createIfMissing(kube, admin, `/apis/rbac.authorization.k8s.io/v1/namespaces/${o.namespace}/roles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'hx-d-deploy-only' }, rules: [{ apiGroups: ['apps'], resources: ['deployments', 'replicasets'], verbs: ['get', 'list'] }] });
    await createIfMissing(kube, admin, `/apis/rbac.authorization.k8s.io/v1/namespaces/${o.namespace}/rolebindings`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'hx-d-deploy-only' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'hx-d-deploy-only' }, subjects: [{ kind: 'User', name: READER, apiGroup: 'rbac.authorization.k8s.io' }] });
    // The admin token, impersonating a user with only the Role above (the kubeconfig's user entry is named "hxd").
    const kc = parse(readFileSync(tb().kube.kubeconfig, 'utf8'));
    kc.users.push({ name: 'hxd', user: { token: admin, as: READER } });
    kc.contexts.push({ name: 'hxd', context: { cluster: kc.contexts[0].context.cluster, user: 'hxd', namespace: o.namespace } });
    kubeconfig = join(mkdtempSync(join(tmpdir(), 'hx-d-')), 'kubeconfig');
    writeFileSync(kubeconfig, stringify(kc), { mode: 0o600 });
  }, 60_000);
  afterAll(async () => { if (kubeconfig) rmSync(dirname(kubeconfig), { recursive: true, force: true }); await removeInstall(tb(), 'flyte-binary', o); }, 60_000);

  it('a Deployment that is down stays a failure when its pods may not be read; the 403 is quoted', async () => {
    await makeUnready(tb(), inst.fullname!, 'CrashLoopBackOff', o);
    try {
      const d = (await run(['flyte.deployments.ready'])).find((x) => x.id === 'flyte.deployments.ready')!;
      expect(d, d.message).toMatchObject({ status: 'fail', messageId: 'podsUnreadable' });
      expect(d.message).toContain(`${inst.fullname}: 0/1 replicas available (from the Deployment's status); why is not known here`);
      expect(d.message).toContain(`User "${READER}" cannot list resource "pods"`);
      expect(d.hint).toContain('auth can-i list pods');
      expect(d.details).toMatchObject({ podsDenied: true });
    } finally { await makeReady(tb(), inst.fullname!, o); }
    // healthy again: the Deployment's status alone says available, no pod is read
    const ok = (await run(['flyte.deployments.ready'])).find((x) => x.id === 'flyte.deployments.ready')!;
    expect(ok.status, ok.message).toBe('pass');
  });

  it('a 403 names the identity the API server saw (the impersonated user) in the message and in the RoleBinding it suggests', async () => {
    const r = (await run(['flyte.services.endpoints'])).find((x) => x.id === 'flyte.services.endpoints')!;
    expect(r, r.message).toMatchObject({ status: 'warn', messageId: 'apiForbidden' });
    expect(r.message).toContain(`user "${READER}" (kubeconfig user "hxd") may not list`);
    expect(r.hint).toContain(`--user=${READER}`);
    expect(r.hint).not.toContain('--user=hxd');
  });
});
