// kubernetes.rbac.install against the test bed's REAL kube-apiserver (RBAC authorizer): what the
// install really needs, and for whom.
//  - helm needs `create namespaces` only when the release namespace is missing; when it exists, the
//    right matters only for `--create-namespace` (helm still POSTs the Namespace: 403, not AlreadyExists),
//    which is a warning naming the flag, not a failed install;
//  - RBAC's bind check names the role the binding refers to (roleRef.name), so a `bind` limited by
//    resourceNames to the chart's ClusterRole is enough to create its binding without holding its rules;
//  - the reviews are answered for the identity the request authenticates as: the impersonated user
//    (`as:`), the ServiceAccount of a token (its `sub`), the CN of a client certificate; the message and
//    the clusterrolebinding fix name that identity, not the kubeconfig's user entry.
// Users are impersonated by the bed's admin (or authenticated by a token / certificate of their own); every
// ClusterRole, ClusterRoleBinding, namespace and ServiceAccount made here is named hy-k2-<run>-* and deleted.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../src/engine/types.js';
import { kubeRequest } from '../../infra/kube.js';
import { runCheck } from '../../harness/run-check.js';
import { makeTarget } from '../../harness/target.js';
import { getTestbed } from '../../harness/testbed.js';

const tb = () => getTestbed();
const kube = () => ({ server: tb().kube.server, caFile: tb().kube.caFile });
const RUN = `hy-k2-${Math.random().toString(36).slice(2, 7)}`;
const dir = mkdtempSync(join(tmpdir(), 'fd-hy-k2-'));
const ROLE = 'flyte-flyte-binary-cluster-role'; // the chart ClusterRole of release "flyte" (flyte-binary)
const made: string[] = [];
const rbac = '/apis/rbac.authorization.k8s.io/v1';

async function create(path: string, body: Record<string, unknown>): Promise<void> {
  const r = await kubeRequest(kube(), tb().kube.tokens.admin, 'POST', path, body);
  if (r.status !== 201) throw new Error(`POST ${path}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  const md = body['metadata'] as { name: string };
  made.push(`${path}/${md.name}`);
}
const clusterRole = (name: string, rules: Record<string, unknown>[]) => create(`${rbac}/clusterroles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules });
const bindUser = (role: string, user: string) => create(`${rbac}/clusterrolebindings`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: `${role}-${user.slice(RUN.length + 1)}` },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: user }] });

const HELM = ['get', 'list', 'create', 'patch', 'update', 'delete'];
/** Everything the flyte-binary install needs except `create namespaces` and `bind`. */
const CORE = [
  { apiGroups: ['apps'], resources: ['deployments'], verbs: HELM },
  { apiGroups: [''], resources: ['services', 'serviceaccounts', 'configmaps', 'secrets'], verbs: HELM },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: HELM },
  { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: HELM },
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles', 'clusterrolebindings'], verbs: HELM },
  { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], verbs: ['get', 'list'] },
  { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list'] },
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['escalate'] },
];

function kubeconfig(name: string, user: Record<string, unknown>): string {
  const f = join(dir, `${name}.yaml`);
  writeFileSync(f, stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'tb', cluster: { server: tb().kube.server, 'certificate-authority': tb().kube.caFile } }],
    users: [{ name, user }],
    contexts: [{ name: 'c', context: { cluster: 'tb', user: name, namespace: 'flyte' } }],
  }));
  return f;
}
const asUser = (user: string) => kubeconfig('imp', { token: tb().kube.tokens.admin, as: user });
const run = async (kc: string, namespace = 'flyte'): Promise<CheckResult> =>
  (await runCheck('kubernetes.rbac.install', makeTarget({ chart: 'flyte-binary', kubernetes: { kubeconfigPath: kc, namespace, release: 'flyte' } } as never), { phase: 'preflight' })).result;

const U = { noNs: `${RUN}-nons`, named: `${RUN}-named`, other: `${RUN}-other`, none: `${RUN}-none`, cert: `${RUN}-cert` };
const SA_NS = `${RUN}-ci`;
let saToken = '';

beforeAll(async () => {
  await clusterRole(`${RUN}-core`, CORE);
  await clusterRole(`${RUN}-bind-any`, [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['bind'] }]);
  await clusterRole(`${RUN}-bind-chart`, [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['bind'], resourceNames: [ROLE] }]);
  await clusterRole(`${RUN}-bind-other`, [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['bind'], resourceNames: [`${RUN}-not-the-chart-role`] }]);
  await clusterRole(`${RUN}-ns-create`, [{ apiGroups: [''], resources: ['namespaces'], verbs: ['create'] }]);
  for (const u of [U.noNs, U.named, U.other]) await bindUser(`${RUN}-core`, u);
  await bindUser(`${RUN}-bind-any`, U.noNs);
  await bindUser(`${RUN}-bind-chart`, U.named);
  await bindUser(`${RUN}-ns-create`, U.named);
  await bindUser(`${RUN}-bind-other`, U.other);
  await bindUser(`${RUN}-ns-create`, U.other);
  // a ServiceAccount of another namespace, with a token of its own (TokenRequest)
  await create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SA_NS } });
  await create(`/api/v1/namespaces/${SA_NS}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'deployer' } });
  const t = await kubeRequest<{ status: { token: string } }>(kube(), tb().kube.tokens.admin, 'POST', `/api/v1/namespaces/${SA_NS}/serviceaccounts/deployer/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } });
  if (t.status !== 201) throw new Error(`TokenRequest: HTTP ${t.status}`);
  saToken = t.body.status.token;
  // a client certificate (CN = the user name) from the bed's client CA, serial file kept in our own dir
  const pki = join(tb().dir, 'pki');
  execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'c.key'), '-out', join(dir, 'c.csr'), '-subj', `/O=${RUN}-team/CN=${U.cert}`], { stdio: 'ignore' });
  execFileSync('openssl', ['x509', '-req', '-in', join(dir, 'c.csr'), '-CA', join(pki, 'ca.crt'), '-CAkey', join(pki, 'ca.key'), '-CAserial', join(dir, 'ca.srl'), '-CAcreateserial', '-days', '1', '-out', join(dir, 'c.crt')], { stdio: 'ignore' });
}, 60_000);

afterAll(async () => {
  for (const p of made.reverse()) {
    await kubeRequest(kube(), tb().kube.tokens.admin, 'DELETE', p);
    // no namespace controller on the bed: finalize it so it is gone for good
    if (p === `/api/v1/namespaces/${SA_NS}`) await kubeRequest(kube(), tb().kube.tokens.admin, 'PUT', `${p}/finalize`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SA_NS }, spec: { finalizers: [] } });
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('kubernetes.rbac.install: the release namespace', () => {
  it('it exists and the identity may not create namespaces: not a failed install; a warning about --create-namespace', async () => {
    const r = await run(asUser(U.noNs));
    expect(r, r.message).toMatchObject({ status: 'warn', messageId: 'createNamespaceDenied' });
    expect(r.message).toContain('may not create namespaces');
    expect(r.message).toContain('--create-namespace');
    expect(r.hint).toContain('install without `--create-namespace`');
    expect(r.details).toMatchObject({ namespaceExists: true, missing: [] });
  });
  it('it does not exist and the identity may not create it: create namespaces is missing, saying why', async () => {
    const absent = `${RUN}-absent`;
    const r = await run(asUser(U.noNs), absent);
    expect(r, r.message).toMatchObject({ status: 'fail', messageId: 'missingPermissions' });
    expect(r.message).toContain('lacks 1 permission(s)');
    expect(r.details!['missing']).toEqual(['create namespaces (cluster-wide)']);
    expect(r.details!['missingDetail']).toEqual([expect.objectContaining({ verb: 'create', resource: 'namespaces', neededFor: `namespace ${absent} does not exist: \`helm install --create-namespace\` creates it` })]);
  });
});

describe('kubernetes.rbac.install: bind on the chart ClusterRole by name (escalation prevention)', () => {
  it('bind limited by resourceNames to the chart role, escalate, no chart rules held: the install is allowed', async () => {
    const r = await run(asUser(U.named));
    expect(r, r.message).toMatchObject({ status: 'pass', messageId: 'allowed' });
    expect(r.details).toMatchObject({ escalateAndBind: true });
  });
  it('bind only on another role: bind and every rule of the chart role are missing, the role named', async () => {
    const r = await run(asUser(U.other));
    expect(r, r.message).toMatchObject({ status: 'fail', messageId: 'missingPermissions', details: { escalateAndBind: false } });
    expect(r.message).toContain('bind clusterroles.rbac.authorization.k8s.io (cluster-wide)');
    expect(r.message).toContain(`pods (cluster-wide) [granted by ClusterRole ${ROLE}]`);
    expect(r.details!['missingDetail']).toContainEqual(expect.objectContaining({ verb: 'bind', resource: 'clusterroles.rbac.authorization.k8s.io', name: ROLE }));
  });
});

describe('kubernetes.rbac.install: every kind of the render (--manifests), not only the usual chart objects', () => {
  // references as the manifests loader gives them: one per (apiVersion, kind), with one object named
  const ref = (apiVersion: string, kind: string, name: string, namespace?: string, count = 1) => ({ kind, apiVersion, name, ...(namespace ? { namespace } : {}), api: true, count, source: `render.yaml: ${kind}/${name}`, purpose: 'an object of the render' });
  const withRender = (kc: string) => makeTarget({ chart: 'flyte-binary', kubernetes: { kubeconfigPath: kc, namespace: 'flyte', release: 'flyte' },
    references: [ref('apps/v1', 'Deployment', 'flyte-binary', 'flyte'), ref('rbac.authorization.k8s.io/v1', 'Role', 'flyte-sandbox-docker-registry', 'flyte'),
      ref('rbac.authorization.k8s.io/v1', 'RoleBinding', 'flyte-sandbox-docker-registry', 'flyte'), ref('apps/v1', 'StatefulSet', 'flyte-sandbox-postgresql', 'flyte'),
      ref('policy/v1', 'PodDisruptionBudget', 'flyteadmin', 'flyte'), ref('v1', 'PersistentVolume', 'flyte-sandbox-db-storage', undefined, 2)] } as never);
  it('a Role, RoleBinding, StatefulSet, PodDisruptionBudget and PersistentVolume the identity may not create are missing', async () => {
    const r = (await runCheck('kubernetes.rbac.install', withRender(asUser(U.named)), { phase: 'preflight' })).result;
    expect(r, r.message).toMatchObject({ status: 'fail', messageId: 'missingPermissions' });
    for (const line of ['get,list,create,patch,update,delete roles.rbac.authorization.k8s.io in namespace flyte', 'get,list,create,patch,update,delete rolebindings.rbac.authorization.k8s.io in namespace flyte',
      'get,list,create,patch,update,delete statefulsets.apps in namespace flyte', 'get,list,create,patch,update,delete poddisruptionbudgets.policy in namespace flyte',
      'get,list,create,patch,update,delete persistentvolumes (cluster-wide)']) expect(r.details!['missing']).toContain(line);
    expect(r.details!['missingDetail']).toContainEqual(expect.objectContaining({ verb: 'create', resource: 'persistentvolumes', neededFor: 'v1 PersistentVolume of the render (2 objects, e.g. flyte-sandbox-db-storage)' }));
    // the kinds it may manage are not listed (Deployment)
    expect(JSON.stringify(r.details!['missing'])).not.toContain('deployments');
  });
  it('the admin may install the same render', async () => {
    const r = (await runCheck('kubernetes.rbac.install', withRender(kubeconfig('admin-entry', { token: tb().kube.tokens.admin })), { phase: 'preflight' })).result;
    expect(r, r.message).toMatchObject({ status: 'pass', messageId: 'allowed' });
  });
});

describe('kubernetes.rbac.install: which identity was checked', () => {
  it('impersonation (as:): the impersonated user is named, and the fix binds it, not the kubeconfig user', async () => {
    const r = await run(asUser(U.none));
    expect(r, r.message).toMatchObject({ status: 'fail', messageId: 'missingPermissions' });
    expect(r.message).toMatch(new RegExp(`^user "${U.none}" \\(impersonated: kubeconfig user "imp" acts as "${U.none}"`));
    expect(r.hint).toContain(`--clusterrole=cluster-admin --user=${U.none}\``);
    expect(r.hint).not.toContain('--user=imp');
    expect(r.details!['identity']).toMatchObject({ name: U.none, known: true });
    expect(JSON.stringify(r)).not.toContain(tb().kube.tokens.admin);
  });
  it('a ServiceAccount token of another namespace: the ServiceAccount is named, the fix uses --serviceaccount', async () => {
    const r = await run(kubeconfig('ci-deployer', { token: saToken }));
    expect(r, r.message).toMatchObject({ status: 'fail', messageId: 'missingPermissions' });
    expect(r.message).toMatch(new RegExp(`^ServiceAccount ${SA_NS}/deployer \\(the ServiceAccount token of kubeconfig user "ci-deployer"`));
    expect(r.hint).toContain(`--serviceaccount=${SA_NS}:deployer\``);
    expect(r.hint).not.toContain('--user=ci-deployer');
    expect(r.details!['identity']).toMatchObject({ name: `system:serviceaccount:${SA_NS}:deployer`, serviceAccount: `${SA_NS}/deployer` });
    expect(JSON.stringify(r)).not.toContain(saToken.split('.')[2]!);
  });
  it('a client certificate: its CN is the user checked (O the groups)', async () => {
    const r = await run(kubeconfig('cert-user', { 'client-certificate-data': readFileSync(join(dir, 'c.crt')).toString('base64'), 'client-key-data': readFileSync(join(dir, 'c.key')).toString('base64') }));
    expect(r, r.message).toMatchObject({ status: 'fail', messageId: 'missingPermissions' });
    expect(r.message).toMatch(new RegExp(`^user "${U.cert}" \\(the client certificate of kubeconfig user "cert-user"`));
    expect(r.hint).toContain(`--user=${U.cert}\``);
    expect(r.details!['identity']).toMatchObject({ name: U.cert, groups: expect.arrayContaining([`${RUN}-team`]) });
  });
  it('a static token: the API server says whom it accepted (SelfSubjectReview), and the fix binds that name, not the kubeconfig entry', async () => {
    const r = await run(kubeconfig('restricted-entry', { token: tb().kube.tokens.restricted }));
    expect(r.hint).toContain('--user=restricted`');
    expect(r.hint).not.toContain('--user=restricted-entry');
    expect(r.details!['identity']).toMatchObject({ name: 'restricted', known: true });
  });
});

describe('kubernetes.namespace.exists: which identity may not read or create the namespace', () => {
  it('impersonated user without read access: named, and the ns-reader binding is for it, not the kubeconfig user', async () => {
    const r = (await runCheck('kubernetes.namespace.exists', makeTarget({ kubernetes: { kubeconfigPath: asUser(U.none), namespace: 'flyte', release: 'flyte' } } as never), { phase: 'preflight' })).result;
    expect(r, r.message).toMatchObject({ status: 'warn', messageId: 'cannotRead' });
    expect(r.message).toMatch(new RegExp(`^user "${U.none}" \\(impersonated: kubeconfig user "imp"`));
    expect(r.hint).toContain(`--clusterrole=ns-reader --user=${U.none}\``);
    expect(r.hint).not.toContain('--user=imp');
  });
  it('a ServiceAccount token that may not create a missing namespace: the ServiceAccount is named', async () => {
    const r = (await runCheck('kubernetes.namespace.exists', makeTarget({ kubernetes: { kubeconfigPath: kubeconfig('ci-deployer', { token: saToken }), namespace: `${RUN}-absent`, release: 'flyte' } } as never), { phase: 'preflight' })).result;
    // the ServiceAccount may not read namespaces either: the 403 names it
    expect(r.message).toContain(`ServiceAccount ${SA_NS}/deployer`);
    expect(r.hint).toContain(`--serviceaccount=${SA_NS}:deployer`);
  });
});
