// flyte.rbac.runtime: SubjectAccessReviews for Flyte's own ServiceAccounts against the test bed's
// kube-apiserver (RBAC on). The needs in src/flyte/rbac.ts are checked against the REAL rendered
// RBAC of both charts; the shared flyte-binary install in `flyte` is only read (its ServiceAccount
// really has its rights there); every broken case runs on a private install in a namespace of its
// own (fd-rbac-*) with its own copies of the chart's ClusterRoles/ClusterRoleBindings, named
// fd-rbac-*: the shared ClusterRoles of the `flyte` install are never touched.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComponentSetting, Target } from '../../../src/config/target.js';
import type { CheckResult } from '../../../src/engine/types.js';
import { defaultTemplateKinds, kindResource, ruleAllows, rulesAllow, rulesOf, runtimeAccounts, templateObjects, type RbacInputs } from '../../../src/flyte/rbac.js';
import { fixturesDir, installFlyte, removeInstall, type InstallOptions } from '../../infra/flyte-install.js';
import { createIfMissing, kubeCall, kubeRequest } from '../../infra/kube.js';
import { startHttp, type Running } from '../../harness/private-servers.js';
import { runCheck } from '../../harness/run-check.js';
import { makeTarget } from '../../harness/target.js';
import { getTestbed } from '../../harness/testbed.js';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: unknown }; [k: string]: any };
const ID = 'flyte.rbac.runtime';
const tb = () => getTestbed();
const api = () => ({ kube: { server: tb().kube.server, caFile: tb().kube.caFile }, token: tb().kube.tokens.admin });
const call = <T = any>(method: string, path: string, body?: unknown, ok?: (s: number) => boolean) => kubeCall<T>(api().kube, api().token, method, path, body, undefined, ok);
const del = (path: string) => call('DELETE', path, undefined, (s) => s < 300 || s === 404);
const RBAC = '/apis/rbac.authorization.k8s.io/v1';
const render = (file: string): Obj[] => parseAllDocuments(readFileSync(join(fixturesDir(), file), 'utf8')).map((d) => d.toJS() as Obj).filter((o) => o?.kind);
const BINARY = 'sandbox-binary__flyte_sandbox_binary_helm_generated.yaml';
const CORE = 'eks__flyte_helm_generated.yaml';

const target = (ns: string, release: string, over: Partial<Target> = {}): Target =>
  makeTarget({ ...over, kubernetes: { kubeconfigPath: tb().kube.kubeconfig, context: 'admin', namespace: ns, release, ...(over.kubernetes ?? {}) } } as never);

/** Re-runs the check until `done` holds (RBAC changes reach the authorizer through its informers) or 10 s pass. */
async function until(t: Target, done: (r: CheckResult) => boolean): Promise<CheckResult> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = (await runCheck(ID, t)).result;
    if (done(r) || Date.now() > deadline) return r;
    await new Promise((ok) => setTimeout(ok, 200));
  }
}

const shaped = (r: CheckResult) => {
  expect(r.hint, `${r.messageId}: ${r.message}`).toBeTruthy();
  expect(r.cause).toBeTruthy();
  expect(r.details).toBeTruthy();
};

/** Rules of every ClusterRole the render binds to ServiceAccount `sa`. */
function renderedRules(objs: Obj[], sa: string) {
  const roles = objs.filter((o) => o.kind === 'ClusterRoleBinding' && (o.subjects ?? []).some((x: { kind: string; name: string }) => x.kind === 'ServiceAccount' && x.name === sa)).map((b) => b.roleRef.name as string);
  return { bindings: objs.filter((o) => o.kind === 'ClusterRoleBinding' && roles.includes(o.roleRef.name)).map((b) => b.metadata.name), rules: objs.filter((o) => o.kind === 'ClusterRole' && roles.includes(o.metadata.name)).flatMap((r) => rulesOf(r)) };
}

describe('src/flyte/rbac.ts: what Flyte needs is what a healthy install of each chart grants (the real rendered RBAC)', () => {
  const templateKinds = (objs: Obj[], cm: string) => templateObjects(objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === cm)!.data).map((o) => kindResource(o.kind, o.apiVersion));

  it('flyte-binary: every right of its one ServiceAccount is granted by <fn>-cluster-role through <fn>-cluster-role-binding', () => {
    const objs = render(BINARY);
    const kinds = templateKinds(objs, 'flyte-flyte-binary-cluster-resource-templates');
    expect(kinds.map((k) => k.kind)).toEqual(['Namespace']);
    const accounts = runtimeAccounts({ chart: 'flyte-binary', namespace: 'flyte', release: 'flyte', templateKinds: kinds });
    expect(accounts.map((a) => a.account)).toEqual(['flyte-flyte-binary']);
    const a = accounts[0]!;
    const { bindings, rules } = renderedRules(objs, a.account);
    expect(bindings).toEqual([a.binding!.name]);
    expect(objs.find((o) => o.kind === 'ClusterRole')!.metadata.name).toBe(a.binding!.role);
    expect(a.rights.length).toBeGreaterThan(15);
    expect(a.rights.filter((r) => !rulesAllow(rules, r)).map((r) => `${r.verb} ${r.resource}`)).toEqual([]);
    // what the brief names is there
    for (const need of ['list flyteworkflows', 'create pods', 'create events', 'create namespaces', 'create secrets', 'update mutatingwebhookconfigurations', 'create flyteworkflows'])
      expect(a.rights.map((r) => `${r.verb} ${r.resource}`), need).toContain(need);
  });

  it('flyte-core: flyteadmin (with the sync inside it), flytepropeller and the webhook are granted by their <ns>-* ClusterRoles; datacatalog and flytescheduler need nothing', () => {
    const objs = render(CORE);
    const kinds = templateKinds(objs, 'clusterresource-template');
    expect(kinds.map((k) => k.resource)).toEqual(['namespaces', 'serviceaccounts', 'resourcequotas']);
    const components: ComponentSetting[] = [{ name: 'flytescheduler', enabled: true, key: 'workflow_scheduler.enabled', source: 'test' }];
    const accounts = runtimeAccounts({ chart: 'flyte-core', namespace: 'flyte', release: 'flyte', components, templateKinds: kinds });
    expect(accounts.map((a) => a.account)).toEqual(['flyteadmin', 'flytepropeller', 'flyte-pod-webhook', 'datacatalog', 'flytescheduler']);
    for (const a of accounts) {
      const { bindings, rules } = renderedRules(objs, a.account);
      if (!a.binding) { expect(a.rights, a.account).toEqual([]); expect(bindings, a.account).toEqual([]); continue; }
      expect(bindings, a.account).toEqual([a.binding.name]);
      expect(a.rights.filter((r) => !rulesAllow(rules, r)).map((r) => `${a.account}: ${r.verb} ${r.resource}`)).toEqual([]);
    }
    const admin = accounts[0]!.rights.map((r) => `${r.verb} ${r.resource}`);
    for (const need of ['create namespaces', 'create resourcequotas', 'patch serviceaccounts', 'create flyteworkflows', 'delete flyteworkflows']) expect(admin).toContain(need);
    expect(accounts[1]!.rights.map((r) => `${r.verb} ${r.resource}`)).toEqual(expect.arrayContaining(['watch flyteworkflows', 'create pods', 'create events', 'update configmaps']));
    expect(accounts[2]!.rights.map((r) => `${r.verb} ${r.resource}${r.name ? `/${r.name}` : ''}`)).toEqual(expect.arrayContaining(['get secrets/flyte-pod-webhook', 'create secrets', 'update mutatingwebhookconfigurations/flyte-pod-webhook']));
  });

  it('only what the values enable: a standalone sync gets its own Deployment, a disabled propeller takes the webhook with it, flyte-binary parts drop their rights', () => {
    const core = (components: ComponentSetting[]) => runtimeAccounts({ chart: 'flyte-core', namespace: 'flyte', release: 'flyte', components });
    const c = (name: string, enabled: boolean, note?: string): ComponentSetting => ({ name, enabled, key: name, source: 'test', ...(note ? { note } : {}) });
    expect(core([c('syncresources', true)]).map((a) => `${a.account}@${a.deployment}`)).toEqual(['flyteadmin@flyteadmin', 'flyteadmin@syncresources', 'flytepropeller@flytepropeller', 'flyte-pod-webhook@flyte-pod-webhook', 'datacatalog@datacatalog']);
    expect(core([c('syncresources', true)])[0]!.rights.some((r) => r.resource === 'namespaces')).toBe(false);
    expect(core([c('syncresources', false)])[0]!.rights.some((r) => r.resource === 'namespaces')).toBe(false);
    expect(core([c('syncresources', false, 'the cluster resource sync runs inside flyteadmin (standaloneDeployment: false), not as its own Deployment')])[0]!.rights.some((r) => r.resource === 'namespaces')).toBe(true);
    expect(core([c('flytepropeller', false), c('datacatalog', false)]).map((a) => a.account)).toEqual(['flyteadmin']);
    const bin = (components: ComponentSetting[]) => runtimeAccounts({ chart: 'flyte-binary', namespace: 'flyte', release: 'flyte', components } as RbacInputs)[0]!.rights;
    expect(bin([c('propeller', false)]).some((r) => r.resource === 'pods' || r.resource === 'mutatingwebhookconfigurations')).toBe(false);
    expect(bin([c('webhook', false)]).some((r) => r.resource === 'mutatingwebhookconfigurations')).toBe(false);
    expect(bin([c('cluster-resource-sync', false)]).some((r) => r.resource === 'namespaces')).toBe(false);
    expect(bin([]).some((r) => r.resource === 'namespaces')).toBe(true);
  });

  it('RBAC rule semantics: wildcards, resourceNames, subresources; template kinds read as text', () => {
    expect(ruleAllows({ apiGroups: ['*'], resources: ['*'], verbs: ['get'] }, { verb: 'get', group: 'apps', resource: 'deployments' })).toBe(true);
    expect(ruleAllows({ apiGroups: [''], resources: ['pods'], verbs: ['*'] }, { verb: 'create', group: 'apps', resource: 'pods' })).toBe(false);
    expect(ruleAllows({ apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['a'] }, { verb: 'get', group: '', resource: 'secrets', name: 'b' })).toBe(false);
    expect(ruleAllows({ apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['a'] }, { verb: 'get', group: '', resource: 'secrets', name: 'a' })).toBe(true);
    expect(ruleAllows({ apiGroups: ['flyte.lyft.com'], resources: ['flyteworkflows'], verbs: ['update'] }, { verb: 'update', group: 'flyte.lyft.com', resource: 'flyteworkflows', subresource: 'finalizers' })).toBe(false);
    expect(ruleAllows({ apiGroups: ['flyte.lyft.com'], resources: ['flyteworkflows/finalizers'], verbs: ['update'] }, { verb: 'update', group: 'flyte.lyft.com', resource: 'flyteworkflows', subresource: 'finalizers' })).toBe(true);
    expect(templateObjects({ 'a.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {{ namespace }}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: "deny-all"\n  namespace: {{ namespace }}\n', 'notes.txt': 'kind: Secret' }))
      .toEqual([{ file: 'a.yaml', kind: 'Namespace', apiVersion: 'v1', name: '{{ namespace }}' }, { file: 'a.yaml', kind: 'NetworkPolicy', apiVersion: 'networking.k8s.io/v1', name: 'deny-all' }]);
    expect(kindResource('NetworkPolicy', 'networking.k8s.io/v1')).toMatchObject({ group: 'networking.k8s.io', resource: 'networkpolicies', namespaced: true });
    expect(kindResource('Ingress', 'networking.k8s.io/v1').resource).toBe('ingresses');
    expect(defaultTemplateKinds('flyte-core').map((k) => k.resource)).toEqual(['namespaces', 'serviceaccounts', 'resourcequotas']);
  });
});

describe('flyte.rbac.runtime on the shared flyte-binary install (read only)', () => {
  it('healthy: its ServiceAccount exists and has every right (each right in every project namespace)', async () => {
    const r = (await runCheck(ID, target('flyte', 'flyte', { chart: 'flyte-binary' }))).result;
    expect(r.status, r.message).toBe('pass');
    expect(r.messageId).toBe('granted');
    expect(r.message).toContain('flyte/flyte-flyte-binary');
    const acc = (r.details!.accounts as { serviceAccount: string; exists: boolean; rightsReviewed: number; from: string }[]);
    expect(acc).toHaveLength(1);
    expect(acc[0]).toMatchObject({ serviceAccount: 'flyte/flyte-flyte-binary', exists: true, from: 'Deployment flyte-flyte-binary' });
    expect(acc[0]!.rightsReviewed).toBeGreaterThan(30);
    expect(r.details!.projectNamespaces).toEqual(['flytesnacks-development', 'flytesnacks-staging', 'flytesnacks-production']);
    expect(r.details!.clusterResourceTemplates).toContain('ConfigMap flyte/flyte-flyte-binary-cluster-resource-templates (Namespace');
  });

  it('the restricted user may not create SubjectAccessReviews: a warning (cannot check with these credentials), never a fail', async () => {
    const r = (await runCheck(ID, target('flyte', 'flyte', { chart: 'flyte-binary', kubernetes: { context: 'restricted' } as never }))).result;
    expect(r).toMatchObject({ status: 'warn', messageId: 'reviewForbidden', cause: 'denied:kubernetes:restricted:create subjectaccessreviews.authorization.k8s.io' });
    expect(r.message).toContain('user "restricted" may not create subjectaccessreviews.authorization.k8s.io (403)');
    expect(r.message).toContain('flyte/flyte-flyte-binary');
    expect(r.hint).toContain('--resource=subjectaccessreviews.authorization.k8s.io');
    expect(r.hint).toContain('--user=restricted');
  });

  it('read-only: the only writes are SubjectAccessReviews (the audit log)', async () => {
    const runId = `fd-rbac-audit-${Date.now()}`;
    await runCheck(ID, target('flyte', 'flyte', { chart: 'flyte-binary' }), { runId });
    type Ev = { verb: string; userAgent?: string; requestURI: string; objectRef?: { resource?: string } };
    let mine: Ev[] = [];
    for (let i = 0; i < 50; i++) {
      mine = readFileSync(tb().kube.auditLog, 'utf8').split('\n').filter((l) => l.includes(runId)).map((l) => JSON.parse(l) as Ev).filter((e) => e.userAgent === `flyte-doctor (run ${runId})`);
      if (mine.some((e) => e.objectRef?.resource === 'subjectaccessreviews')) break;
      await new Promise((ok) => setTimeout(ok, 100));
    }
    // 44 rights x namespaces; each right of the three project namespaces asked once cluster-wide (allowed there: the
    // chart binds a ClusterRole with a ClusterRoleBinding), so 17 + 9 reviews, not 44
    const reviews = mine.filter((e) => e.verb === 'create' && e.objectRef?.resource === 'subjectaccessreviews').length;
    expect(reviews).toBeGreaterThan(20);
    expect(reviews).toBeLessThan(30);
    // (and the run's one who-am-I, a SelfSubjectReview: the API server stores no review)
    expect(mine.filter((e) => !['get', 'list', 'watch'].includes(e.verb) && !(e.verb === 'create' && /^(subjectaccess|selfsubject)reviews$/.test(e.objectRef?.resource ?? ''))).map((e) => `${e.verb} ${e.requestURI}`)).toEqual([]);
  });
});

/** The chart's cluster-scoped RBAC for a private install, renamed so it is this test's own (fd-rbac-*). */
function rbacCopies(chart: 'flyte-binary' | 'flyte-core', ns: string, release: string): Obj[] {
  const objs = render(chart === 'flyte-binary' ? BINARY : CORE).filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding');
  const rename = (n: string) => (chart === 'flyte-binary' ? n.replace('flyte-flyte-binary', `${release}-flyte-binary`) : n.replace(/^flyte-/, `${ns}-`));
  return objs.map((o) => {
    const { namespace: _n, ...meta } = o.metadata;
    const out: Obj = { ...o, metadata: { ...meta, name: rename(o.metadata.name) } };
    if (o.roleRef) out.roleRef = { ...o.roleRef, name: rename(o.roleRef.name) };
    if (o.subjects) out.subjects = o.subjects.map((x: Obj) => ({ ...x, namespace: ns, name: chart === 'flyte-binary' ? rename(x.name) : x.name }));
    if (!out.metadata.name.startsWith('fd-rbac-')) throw new Error(`refusing to create a cluster-scoped object not of this test: ${out.metadata.name}`);
    return out;
  });
}
const pathOf = (o: Obj) => `${RBAC}/${o.kind === 'ClusterRole' ? 'clusterroles' : 'clusterrolebindings'}/${o.metadata.name}`;
/**
 * Leaves only this test's RBAC for a private install: a ClusterRoleBinding that binds a ServiceAccount
 * of the namespace and is not one of `mine` (e.g. one the install helper binds for a healthy private
 * install) is deleted, so the breaks below are the only RBAC the ServiceAccounts have.
 */
async function onlyMine(ns: string, mine: Obj[]): Promise<void> {
  const all = await call<{ items: Obj[] }>('GET', `${RBAC}/clusterrolebindings`);
  const keep = new Set(mine.map((o) => o.metadata.name));
  for (const b of all.items) {
    if (keep.has(b.metadata.name)) continue;
    if ((b.subjects ?? []).some((x: Obj) => x.kind === 'ServiceAccount' && x.namespace === ns)) await del(`${RBAC}/clusterrolebindings/${b.metadata.name}`);
  }
}
async function apply(objs: Obj[]): Promise<void> {
  for (const o of objs) { await del(pathOf(o)); await createIfMissing(api().kube, api().token, pathOf(o).replace(/\/[^/]+$/, ''), o); }
}

describe.sequential('flyte-binary: a private install whose RBAC is broken one way at a time', () => {
  const ns = 'fd-rbac-bin', release = 'fd-rbac-bin', fn = 'fd-rbac-bin-flyte-binary';
  const o: InstallOptions = { namespace: ns, release, noWebhook: true };
  let rbac: Obj[] = [];
  const t = (over: Partial<Target> = {}) => target(ns, release, { chart: 'flyte-binary', ...over });
  const role = () => rbac.find((x) => x.kind === 'ClusterRole')!;
  const binding = () => rbac.find((x) => x.kind === 'ClusterRoleBinding')!;
  beforeAll(async () => {
    await removeInstall(tb(), 'flyte-binary', o);
    await installFlyte(tb(), 'flyte-binary', o);
    rbac = rbacCopies('flyte-binary', ns, release);
    await apply(rbac);
    await onlyMine(ns, rbac);
  });
  afterAll(async () => {
    for (const x of rbac) await del(pathOf(x));
    await removeInstall(tb(), 'flyte-binary', o);
  });

  it('healthy copy: pass', async () => {
    const r = await until(t(), (x) => x.status === 'pass');
    expect(r.status, r.message).toBe('pass');
    expect(r.message).toContain(`${ns}/${fn}`);
  });

  it('the ClusterRoleBinding deleted: fail naming the ServiceAccount, verbs, resources, namespaces and the binding, with helm upgrade and the kubectl line', async () => {
    await del(pathOf(binding()));
    try {
      const r = await until(t({ valuesFiles: ['/tmp/values.yaml'] }), (x) => x.messageId === 'bindingMissing');
      expect(r).toMatchObject({ status: 'fail', messageId: 'bindingMissing', cause: `object:clusterrolebinding/${fn}-cluster-role-binding` });
      shaped(r);
      expect(r.message).toContain(`ServiceAccount ${ns}/${fn}`);
      expect(r.message).toMatch(/is denied all \d+ rights it needs: create\/delete\/get\/update\/patch flyteworkflows.flyte.lyft.com in flytesnacks-development, flytesnacks-staging, flytesnacks-production; create\/get\/patch namespaces \(cluster-wide\)/);
      expect(r.message).toContain(`ClusterRoleBinding ${fn}-cluster-role-binding, which the chart creates to grant ClusterRole ${fn}-cluster-role to it, does not exist`);
      expect(r.hint).toContain(`helm upgrade ${release} flyteorg/flyte-binary -n ${ns} -f /tmp/values.yaml`);
      expect(r.hint).toContain(`kubectl create clusterrolebinding ${fn}-cluster-role-binding --clusterrole=${fn}-cluster-role --serviceaccount=${ns}:${fn}`);
      expect(r.hint).toContain(`auth can-i`);
      expect(r.hint).toContain(`--as=system:serviceaccount:${ns}:${fn}`);
    } finally { await apply([binding()]); }
    expect((await until(t(), (x) => x.status === 'pass')).status).toBe('pass');
  });

  it('the ClusterRole edited (pods without create): fail naming the missing verb, resource and role, with the patch that adds it', async () => {
    const edited = { ...role(), rules: role().rules.map((r: { resources: string[]; verbs: string[] }) => (r.resources.includes('pods') ? { ...r, verbs: r.verbs.filter((v) => v !== 'create') } : r)) };
    await apply([edited]);
    try {
      const r = await until(t(), (x) => x.messageId === 'ruleMissing');
      expect(r).toMatchObject({ status: 'fail', messageId: 'ruleMissing', cause: `denied:kubernetes:system:serviceaccount:${ns}:${fn}:create pods` });
      shaped(r);
      expect(r.message).toMatch(/is denied 3 of \d+ rights it needs: create pods in flytesnacks-development, flytesnacks-staging, flytesnacks-production\. /);
      expect(r.message).toContain(`ClusterRole ${fn}-cluster-role (bound by ${fn}-cluster-role-binding) has no rule for create pods`);
      expect(r.message).toContain('(used by propeller: creates and cleans up the task pods)');
      expect(r.hint).toContain(`kubectl patch clusterrole ${fn}-cluster-role --type=json -p '[{"op":"add","path":"/rules/-","value":{"apiGroups":[""],"resources":["pods"],"verbs":["create"]}}]'`);
      expect(r.hint).toContain('rbac.extraRules');
      expect(r.details!.lacking).toEqual(['create pods']);
    } finally { await apply([role()]); }
  });

  it('only the components the values enable are reviewed: without the webhook rule, pass when the webhook is disabled, fail when it is not', async () => {
    const edited = { ...role(), rules: role().rules.filter((r: { resources: string[] }) => !r.resources.includes('mutatingwebhookconfigurations')) };
    await apply([edited]);
    try {
      const off: ComponentSetting[] = [{ name: 'webhook', enabled: false, key: 'flyte-core-components.propeller.disableWebhook', source: 'test' }];
      const r = await until(t(), (x) => x.messageId === 'ruleMissing');
      expect(r.message).toContain('rights it needs: get/update mutatingwebhookconfigurations.admissionregistration.k8s.io/fd-rbac-bin-flyte-binary-webhook (cluster-wide); create mutatingwebhookconfigurations.admissionregistration.k8s.io (cluster-wide). ');
      const p = await until(t({ components: off }), (x) => x.status === 'pass');
      expect(p.status, p.message).toBe('pass');
      expect(p.message).not.toContain('webhook');
    } finally { await apply([role()]); }
  });

  it('the binding binds another ServiceAccount: fail bindingNotForAccount naming who it binds', async () => {
    await apply([{ ...binding(), subjects: [{ kind: 'ServiceAccount', name: 'someone-else', namespace: ns }] }]);
    try {
      const r = await until(t(), (x) => x.messageId === 'bindingNotForAccount');
      expect(r).toMatchObject({ status: 'fail', messageId: 'bindingNotForAccount', cause: `object:clusterrolebinding/${fn}-cluster-role-binding` });
      shaped(r);
      expect(r.message).toContain(`ClusterRoleBinding ${fn}-cluster-role-binding exists but binds ServiceAccount ${ns}/someone-else, not ServiceAccount ${ns}/${fn}`);
      expect(r.hint).toContain(`--clusterrole=${fn}-cluster-role --serviceaccount=${ns}:${fn}`);
    } finally { await apply([binding()]); }
  });

  it('the ClusterRole deleted: fail roleMissing, with the authorizer\'s evaluation error as evidence', async () => {
    await del(pathOf(role()));
    try {
      const r = await until(t(), (x) => x.messageId === 'roleMissing');
      expect(r).toMatchObject({ status: 'fail', messageId: 'roleMissing', cause: `object:clusterrole/${fn}-cluster-role` });
      shaped(r);
      expect(r.message).toContain(`ClusterRoleBinding ${fn}-cluster-role-binding refers to ClusterRole ${fn}-cluster-role, which does not exist`);
      expect(r.hint).toContain(`re-creates ClusterRole ${fn}-cluster-role`);
      expect(JSON.stringify(r.details!.denyReasons ?? [])).toContain(`\\"${fn}-cluster-role\\" not found`);
    } finally { await apply([role()]); }
  });

  it('the ServiceAccount deleted: its own finding (pods cannot be created), with the command that re-creates it', async () => {
    const sa = await call<Obj>('GET', `/api/v1/namespaces/${ns}/serviceaccounts/${fn}`);
    await del(`/api/v1/namespaces/${ns}/serviceaccounts/${fn}`);
    try {
      const r = await until(t(), (x) => x.messageId === 'serviceAccountMissing');
      expect(r).toMatchObject({ status: 'fail', messageId: 'serviceAccountMissing', cause: `object:serviceaccount/${ns}/${fn}` });
      shaped(r);
      expect(r.message).toContain(`ServiceAccount ${ns}/${fn} does not exist, but Deployment ${fn}`);
      expect(r.hint).toContain(`-n ${ns} create serviceaccount ${fn}`);
      expect(r.hint).toContain(`rollout restart deploy/${fn}`);
    } finally {
      await createIfMissing(api().kube, api().token, `/api/v1/namespaces/${ns}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: fn, namespace: ns, labels: sa.metadata['labels'] } });
    }
  });
});

describe.sequential('flyte-core: a private install with its own <ns>-* ClusterRoles', () => {
  const ns = 'fd-rbac-core';
  const o: InstallOptions = { namespace: ns, noWebhook: true };
  let rbac: Obj[] = [];
  const t = (over: Partial<Target> = {}) => target(ns, 'flyte', { chart: 'flyte-core', ...over });
  beforeAll(async () => {
    await removeInstall(tb(), 'flyte-core', o);
    await installFlyte(tb(), 'flyte-core', o);
    rbac = rbacCopies('flyte-core', ns, 'flyte');
    await apply(rbac);
    await onlyMine(ns, rbac);
  });
  afterAll(async () => {
    for (const x of rbac) await del(pathOf(x));
    await del(`${RBAC}/namespaces/${ns}/rolebindings/${ns}-flytepropeller`);
    await removeInstall(tb(), 'flyte-core', o);
  });

  it('healthy: flyteadmin (with the sync), flytepropeller, flyte-pod-webhook, datacatalog and flytescheduler exist and have their rights', async () => {
    const components: ComponentSetting[] = [{ name: 'flytescheduler', deployment: 'flytescheduler', enabled: true, key: 'workflow_scheduler.enabled', source: 'test' }];
    const r = await until(t({ components }), (x) => x.status === 'pass');
    expect(r.status, r.message).toBe('pass');
    const acc = r.details!.accounts as { serviceAccount: string; exists: boolean; rightsReviewed: number }[];
    expect(acc.map((a) => a.serviceAccount)).toEqual([`${ns}/flyteadmin`, `${ns}/flytepropeller`, `${ns}/flyte-pod-webhook`, `${ns}/datacatalog`, `${ns}/flytescheduler`]);
    expect(acc.every((a) => a.exists)).toBe(true);
    expect(r.details!.clusterResourceTemplates).toBe(`ConfigMap ${ns}/clusterresource-template (Namespace {{ namespace }}, ServiceAccount default, ResourceQuota project-quota)`);
  });

  it('flytepropeller\'s ClusterRoleBinding deleted: fail naming flytepropeller and <ns>-flytepropeller', async () => {
    const binding = rbac.find((x) => x.kind === 'ClusterRoleBinding' && x.metadata.name === `${ns}-flytepropeller`)!;
    expect(binding.roleRef.name).toBe(`${ns}-flytepropeller`);
    await del(pathOf(binding));
    try {
      const r = await until(t(), (x) => x.messageId === 'bindingMissing');
      expect(r).toMatchObject({ status: 'fail', messageId: 'bindingMissing', cause: `object:clusterrolebinding/${ns}-flytepropeller` });
      expect(r.message).toContain(`ServiceAccount ${ns}/flytepropeller (flytepropeller) is denied`);
      expect(r.message).toContain('list/watch flyteworkflows.flyte.lyft.com (cluster-wide)');
      expect(r.hint).toContain(`kubectl create clusterrolebinding ${ns}-flytepropeller --clusterrole=${ns}-flytepropeller --serviceaccount=${ns}:flytepropeller`);
      expect(r.hint).toContain('helm upgrade flyte flyteorg/flyte-core -n fd-rbac-core --reuse-values');
    } finally { await apply([binding]); }
  });

  it('rbacScope namespace (a RoleBinding in the release namespace only): fail naming the namespaces it cannot act in', async () => {
    const binding = rbac.find((x) => x.kind === 'ClusterRoleBinding' && x.metadata.name === `${ns}-flytepropeller`)!;
    await del(pathOf(binding));
    await createIfMissing(api().kube, api().token, `${RBAC}/namespaces/${ns}/rolebindings`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: `${ns}-flytepropeller`, namespace: ns }, roleRef: binding.roleRef, subjects: binding.subjects });
    try {
      const r = await until(t(), (x) => x.messageId === 'namespaceOnlyBinding');
      expect(r).toMatchObject({ status: 'fail', messageId: 'namespaceOnlyBinding' });
      expect(r.message).toContain(`RoleBinding ${ns}-flytepropeller in ${ns} only (rbacScope: namespace)`);
      expect(r.message).toContain('flytesnacks-development');
      expect(r.message).not.toContain('configmaps'); // the leader-election lock in the release namespace is granted
      expect(r.hint).toContain('flytepropeller.serviceAccount.rbacScope: cluster');
    } finally {
      await del(`${RBAC}/namespaces/${ns}/rolebindings/${ns}-flytepropeller`);
      await apply([binding]);
    }
  });

  it('a standalone cluster resource sync running as its own ServiceAccount: the chart binds only flyteadmin', async () => {
    const components: ComponentSetting[] = [{ name: 'syncresources', deployment: 'syncresources', enabled: true, key: 'cluster_resource_manager.enabled', source: 'test' }];
    await createIfMissing(api().kube, api().token, `/api/v1/namespaces/${ns}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'fd-sync', namespace: ns } });
    await kubeCall(api().kube, api().token, 'PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/syncresources`, { spec: { template: { spec: { serviceAccountName: 'fd-sync' } } } }, 'application/merge-patch+json');
    try {
      const r = await until(t({ components }), (x) => x.messageId === 'bindingNotForAccount');
      expect(r).toMatchObject({ status: 'fail', messageId: 'bindingNotForAccount', cause: `object:clusterrolebinding/${ns}-flyteadmin-binding` });
      expect(r.message).toContain(`ServiceAccount ${ns}/fd-sync (cluster resource sync (syncresources)) is denied all 21 rights it needs`);
      expect(r.message).toContain('create/get/patch namespaces (cluster-wide); create/get/patch serviceaccounts in flytesnacks-development, flytesnacks-staging, flytesnacks-production; create/get/patch resourcequotas in flytesnacks-development');
      expect(r.hint).toContain('cluster_resource_manager.service_account_name');
      expect(r.hint).toContain(`--clusterrole=${ns}-flyteadmin --serviceaccount=${ns}:fd-sync`);
    } finally {
      await kubeCall(api().kube, api().token, 'PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/syncresources`, { spec: { template: { spec: { serviceAccountName: 'flyteadmin' } } } }, 'application/merge-patch+json');
    }
    const back = await until(t({ components }), (x) => x.status === 'pass');
    expect(back.status, back.message).toBe('pass');
    expect((back.details!.accounts as { deployments: string[] }[])[0]!.deployments).toEqual(['flyteadmin', 'syncresources']);
  });

  it('the webhook\'s secrets rule narrowed to another Secret name: fail ruleMissing for its own Secret', async () => {
    const name = `${ns}-flyte-pod-webhook`;
    const role = rbac.find((x) => x.kind === 'ClusterRole' && x.metadata.name === name)!;
    await apply([{ ...role, rules: [{ apiGroups: ['*'], resources: ['mutatingwebhookconfigurations', 'pods', 'replicasets/finalizers'], verbs: ['get', 'create', 'update', 'patch'] }, { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'update'], resourceNames: ['other'] }] }]);
    try {
      const r = await until(t(), (x) => x.messageId === 'ruleMissing');
      expect(r.message).toContain(`ServiceAccount ${ns}/flyte-pod-webhook (flyte-pod-webhook) is denied`);
      expect(r.message).toContain(`get/update secrets/flyte-pod-webhook in ${ns}`);
      expect(r.message).toContain(`create secrets in ${ns}`);
    } finally { await apply([role]); }
  });
});

it('verify against a namespace that does not exist: blocked by kubernetes.namespace.exists (no "ServiceAccount missing" second root)', async () => {
  const { result, results } = await runCheck(ID, target('fd-rbac-no-such-ns', 'flyte'), { phase: 'verify' });
  expect(result).toMatchObject({ status: 'skip', blockedBy: 'kubernetes.namespace.exists' });
  expect(results.find((r) => r.id === 'kubernetes.namespace.exists')).toMatchObject({ status: 'fail', messageId: 'notInstalled' });
});

it('an API server that is not reachable skips the check behind kubernetes.api.reachable', async () => {
  const r = (await runCheck(ID, target('flyte', 'flyte', { kubernetes: { context: 'stalled' } as never }), { timeoutMs: 1500 })).result;
  expect(r).toMatchObject({ status: 'skip', blockedBy: 'kubernetes.api.reachable' });
  expect((await kubeRequest(api().kube, api().token, 'GET', '/version')).status).toBe(200);
});

/**
 * Answers the test bed's kube-apiserver (RBAC only) cannot give: an authorizer that explicitly
 * denies (a webhook authorizer), RBAC objects that look right while the answer is no, odd
 * SubjectAccessReview answers and statuses. A Kubernetes API of our own on 127.0.0.1, serving the
 * shared install's names (flyte-binary, release flyte, namespace flyte).
 */
describe('SubjectAccessReview answers from an API server of our own', () => {
  type Answer = { status?: number; body: unknown; raw?: boolean };
  let sar: (attrs: Record<string, string>) => Answer = () => ({ body: { status: { allowed: true } } });
  let rbacReadable = true;
  let server: Running;
  let kubeconfig: string;
  const fn = 'flyte-flyte-binary';
  const role = render(BINARY).find((o) => o.kind === 'ClusterRole')!;
  const binding = render(BINARY).find((o) => o.kind === 'ClusterRoleBinding')!;
  const handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const send = (a: Answer) => { res.writeHead(a.status ?? 200, { 'content-type': a.raw ? 'text/html' : 'application/json' }); res.end(a.raw ? String(a.body) : JSON.stringify(a.body)); };
    const p = (req.url ?? '/').split('?')[0]!;
    const forbidden = { status: 403, body: { kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403, message: 'forbidden: User "someone" cannot get resource' } };
    if (p === '/version') return send({ body: { major: '1', minor: '33', gitVersion: 'v1.33.13' } });
    if (p === '/api') return send({ body: { kind: 'APIVersions', versions: ['v1'] } });
    if (p === '/api/v1/namespaces/flyte') return send({ body: { kind: 'Namespace', metadata: { name: 'flyte' }, status: { phase: 'Active' } } });
    if (p === `/apis/apps/v1/namespaces/flyte/deployments/${fn}`) return send({ body: { metadata: { name: fn }, spec: { template: { spec: { serviceAccountName: fn, containers: [{ name: 'flyte' }] } } } } });
    if (p === `/api/v1/namespaces/flyte/serviceaccounts/${fn}`) return send({ body: { metadata: { name: fn, namespace: 'flyte' } } });
    if (p === '/apis/authorization.k8s.io/v1/subjectaccessreviews' && req.method === 'POST') {
      const review = JSON.parse(body.toString('utf8')) as { spec: { user: string; resourceAttributes: Record<string, string> } };
      expect(review.spec.user).toBe(`system:serviceaccount:flyte:${fn}`);
      return send(sar(review.spec.resourceAttributes));
    }
    if (p === `${RBAC}/clusterrolebindings/${fn}-cluster-role-binding`) return send(rbacReadable ? { body: binding } : forbidden);
    if (p === `${RBAC}/clusterroles/${fn}-cluster-role`) return send(rbacReadable ? { body: role } : forbidden);
    return send({ status: 404, body: { kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' } });
  };
  const t = () => makeTarget({ chart: 'flyte-binary', kubernetes: { kubeconfigPath: kubeconfig, namespace: 'flyte', release: 'flyte' } } as never);
  const run = async () => (await runCheck(ID, t())).result;
  const podsCreate = (a: Record<string, string>) => a['verb'] === 'create' && a['resource'] === 'pods';

  beforeAll(async () => {
    server = await startHttp(handler);
    const d = mkdtempSync(join(tmpdir(), 'fd-rbac-fake-'));
    kubeconfig = join(d, 'config');
    writeFileSync(kubeconfig, stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'fake', cluster: { server: `http://127.0.0.1:${server.port}` } }], users: [{ name: 'someone', user: { token: 'fd-rbac-fake-token' } }], contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'someone' } }], 'current-context': 'fake' }));
  });
  afterAll(async () => { await server.stop(); });

  it('everything allowed: pass', async () => {
    sar = () => ({ body: { kind: 'SubjectAccessReview', status: { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding' } } });
    expect((await run())).toMatchObject({ status: 'pass', messageId: 'granted' });
  });

  it('an authorizer explicitly denies (a webhook authorizer): fail explicitlyDenied with its reason', async () => {
    sar = (a) => ({ body: { status: podsCreate(a) ? { allowed: false, denied: true, reason: 'policy no-pods-in-projects forbids it' } : { allowed: true } } });
    const r = await run();
    expect(r).toMatchObject({ status: 'fail', messageId: 'explicitlyDenied', cause: `denied:kubernetes:system:serviceaccount:flyte:${fn}:create pods` });
    expect(r.message).toContain('An authorizer explicitly denies it ("policy no-pods-in-projects forbids it")');
    expect(r.hint).toContain('an authorizer other than RBAC');
  });

  it('denied while the chart\'s binding and role grant it: fail denied, said as such (not blamed on the chart)', async () => {
    sar = (a) => ({ body: { status: podsCreate(a) ? { allowed: false, reason: 'webhook authorizer: no opinion; RBAC: no match' } : { allowed: true } } });
    const r = await run();
    expect(r).toMatchObject({ status: 'fail', messageId: 'denied' });
    expect(r.message).toContain(`ClusterRoleBinding ${fn}-cluster-role-binding binds it to ClusterRole ${fn}-cluster-role, whose rules allow it, yet the API server's authorizer denies it`);
    expect(r.message).toContain('(the authorizer says: webhook authorizer: no opinion; RBAC: no match)');
  });

  it('denied and the RBAC objects are not readable with these credentials: fail denied, saying it cannot tell why', async () => {
    rbacReadable = false;
    sar = (a) => ({ body: { status: podsCreate(a) ? { allowed: false } : { allowed: true } } });
    try {
      const r = await run();
      expect(r).toMatchObject({ status: 'fail', messageId: 'denied' });
      expect(r.message).toContain(`ClusterRoleBinding ${fn}-cluster-role-binding cannot be read with these credentials to say why`);
    } finally { rbacReadable = true; }
  });

  it('odd answers and statuses end as the API findings, never an error', async () => {
    const cases: [Answer, string, string][] = [
      [{ body: { kind: 'SubjectAccessReview', status: { allowed: 'yes' } } }, 'fail', 'apiBadResponse'],
      [{ body: { kind: 'SubjectAccessReview' } }, 'fail', 'apiBadResponse'],
      [{ body: '<html><body>login</body></html>', raw: true }, 'fail', 'apiBadResponse'],
      [{ status: 500, body: { kind: 'Status', code: 500, message: 'webhook authorizer unavailable' } }, 'fail', 'apiServerError'],
      [{ status: 401, body: { kind: 'Status', code: 401, reason: 'Unauthorized', message: 'Unauthorized' } }, 'fail', 'apiUnauthorized'],
      [{ status: 429, body: { kind: 'Status', code: 429, reason: 'TooManyRequests', message: 'slow down' } }, 'warn', 'apiThrottled'],
      [{ status: 404, body: { kind: 'Status', code: 404, reason: 'NotFound', message: 'the server could not find the requested resource' } }, 'fail', 'apiNotServed'],
    ];
    for (const [answer, status, messageId] of cases) {
      sar = () => answer;
      const r = await run();
      expect({ status: r.status, messageId: r.messageId }, JSON.stringify(answer)).toEqual({ status, messageId });
    }
  });
});
