// kubernetes.rbac.install and the flyteworkflows CRD, against the test bed's REAL kube-apiserver: the
// installer needs rights on CustomResourceDefinitions only when helm creates the CRD.
//  - flyte-binary: templates/crds/flyteworkflow.yaml renders only `if not configuration.propeller.createCRDs`
//    (default true); by default the binary creates the CRD at start-up with its own ServiceAccount (the chart
//    ClusterRole grants create/get/list customresourcedefinitions), so asking the installer for
//    get..delete on CRDs failed installers that helm install would not fail;
//  - flyte-core: the chart renders the CRD while flytepropeller.createCRDs is true (default): the installer's.
// The identity is impersonated by the bed's admin; its ClusterRoles and bindings are hz-b-<run>-* and deleted.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTarget } from '../../../src/config/load.js';
import type { CheckResult } from '../../../src/engine/types.js';
import { kubeRequest } from '../../infra/kube.js';
import { runCheck } from '../../harness/run-check.js';
import { getTestbed } from '../../harness/testbed.js';

const tb = () => getTestbed();
const kube = () => ({ server: tb().kube.server, caFile: tb().kube.caFile });
const RUN = `hz-b-${Math.random().toString(36).slice(2, 7)}`;
const USER = `${RUN}-installer`;
const dir = mkdtempSync(join(tmpdir(), 'fd-hz-b-crd-'));
const rbac = '/apis/rbac.authorization.k8s.io/v1';
const made: string[] = [];
const HELM = ['get', 'list', 'create', 'patch', 'update', 'delete'];

/** Every right installing either chart needs, but none on CustomResourceDefinitions. */
const RULES = [
  { apiGroups: ['apps'], resources: ['deployments'], verbs: HELM },
  { apiGroups: [''], resources: ['services', 'serviceaccounts', 'configmaps', 'secrets'], verbs: HELM },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: HELM },
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles', 'clusterrolebindings'], verbs: HELM },
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['escalate', 'bind'] },
  { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], verbs: ['get', 'list'] },
  { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'create'] },
];

async function create(path: string, body: Record<string, unknown>): Promise<void> {
  const r = await kubeRequest(kube(), tb().kube.tokens.admin, 'POST', path, body);
  if (r.status !== 201) throw new Error(`POST ${path}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  made.push(`${path}/${(body['metadata'] as { name: string }).name}`);
}

beforeAll(async () => {
  await create(`${rbac}/clusterroles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: `${RUN}-nocrd` }, rules: RULES });
  await create(`${rbac}/clusterrolebindings`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: `${RUN}-nocrd` },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${RUN}-nocrd` }, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: USER }] });
}, 30_000);
afterAll(async () => {
  for (const p of made.reverse()) await kubeRequest(kube(), tb().kube.tokens.admin, 'DELETE', p);
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
const kc = () => {
  const f = join(dir, 'kubeconfig.yaml');
  writeFileSync(f, stringify({ apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'tb', cluster: { server: tb().kube.server, 'certificate-authority': tb().kube.caFile } }],
    users: [{ name: 'imp', user: { token: tb().kube.tokens.admin, as: USER } }],
    contexts: [{ name: 'c', context: { cluster: 'tb', user: 'imp', namespace: 'flyte' } }] }));
  return f;
};
const run = async (values: Record<string, unknown>, chart: 'flyte-binary' | 'flyte-core'): Promise<CheckResult> => {
  const f = join(dir, `values-${n++}.yaml`);
  writeFileSync(f, stringify(values));
  const t = loadTarget({ values: [f], set: [], env: {}, cwd: dir, home: join(dir, 'home'), kubeconfig: kc(), namespace: 'flyte', chart });
  return (await runCheck('kubernetes.rbac.install', t, { phase: 'preflight' })).result;
};
const BIN = { configuration: { database: { host: 'db.fdref.test' } } };
const CORE = { db: { admin: { database: { host: 'db.fdref.test' } } } };
const CRD = 'customresourcedefinitions.apiextensions.k8s.io (cluster-wide)';

describe('kubernetes.rbac.install: who creates the flyteworkflows CRD', () => {
  it('flyte-binary, createCRDs default (true): the binary creates it, not helm: the installer is not asked for CRD rights', async () => {
    const r = await run(BIN, 'flyte-binary');
    expect(r, r.message).toMatchObject({ status: 'pass', messageId: 'allowed' });
    expect(r.message).toContain('the flyteworkflows CRD is not created by helm: configuration.propeller.createCRDs is true (chart default): the flyte-binary pod creates the CRD at start-up with its own ServiceAccount');
    expect(r.details).toMatchObject({ crd: { createdBy: 'propeller', origin: 'chart default' } });
  });
  it('flyte-binary, createCRDs: false: helm installs it, so the installer needs the CRD rights, and the reason names the key', async () => {
    const r = await run({ ...BIN, configuration: { ...BIN.configuration, propeller: { createCRDs: false } } }, 'flyte-binary');
    expect(r, r.message).toMatchObject({ status: 'fail', messageId: 'missingPermissions' });
    expect(r.details!['missing']).toEqual([`get,list,create,patch,update,delete ${CRD}`]);
    expect(r.details!['missingDetail']).toContainEqual(expect.objectContaining({ verb: 'create', resource: 'customresourcedefinitions.apiextensions.k8s.io', neededFor: expect.stringContaining('configuration.propeller.createCRDs is false') }));
  });
  it('flyte-core, createCRDs default (true): the chart renders the CRD: the installer needs the rights', async () => {
    const r = await run(CORE, 'flyte-core');
    expect(r, r.message).toMatchObject({ status: 'fail', messageId: 'missingPermissions' });
    expect(r.details!['missing']).toEqual([`get,list,create,patch,update,delete ${CRD}`]);
  });
  it('flyte-core, createCRDs: false: no CRD from helm; the installer is not asked, and the message says nobody creates it', async () => {
    const r = await run({ ...CORE, flytepropeller: { createCRDs: false } }, 'flyte-core');
    expect(r, r.message).toMatchObject({ status: 'pass', messageId: 'allowed' });
    expect(r.message).toContain('the flyteworkflows CRD is created by nobody: flytepropeller.createCRDs is false');
  });
});
