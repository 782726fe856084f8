// A backend plugin's operator CRD that is Established but does not serve the API version flytepropeller's
// plugin creates its objects in, on the REAL kube-apiserver: an old KubeRay (ray.io/v1alpha1 only; Flyte's ray
// plugin creates ray.io/v1 RayJobs), the standalone MPI operator owning mpijobs.kubeflow.org (v2beta1; Flyte
// creates kubeflow.org/v1 MPIJobs of the training operator), a version present but not served. Every such task
// fails with "no matches for kind … in version …"; before, each passed as "Established".
// The CRD names are fixed by Kubernetes (<plural>.<group>), so they cannot carry the hx-j- prefix: they are
// labelled hx-j, used by no other test (ray.io, mpijobs) and deleted at the end.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTarget } from '../../../src/config/load.js';
import type { Target } from '../../../src/config/target.js';
import { cause } from '../../../src/engine/causes.js';
import { runCheck } from '../../harness/run-check.js';
import { getTestbed } from '../../harness/testbed.js';
import { kubeCall, kubeRequest } from '../../infra/kube.js';

const tb = () => getTestbed();
const admin = () => ({ server: tb().kube.server, caFile: tb().kube.caFile });
const tok = () => tb().kube.tokens.admin;
const dir = mkdtempSync(join(tmpdir(), 'hx-j-plg-'));
mkdirSync(join(dir, 'home'));
let n = 0;
const target = (plugins: string[]): Target => {
  const f = `values-${n++}.yaml`;
  writeFileSync(join(dir, f), stringify({ configuration: { database: { host: 'db.hxj.test' } }, enabled_plugins: { tasks: { 'task-plugins': { 'enabled-plugins': plugins, 'default-for-task-types': { container: 'container' } } } } }));
  return loadTarget({ values: [f], set: [], env: {}, cwd: dir, home: join(dir, 'home'), kubeconfig: tb().kube.kubeconfig, context: 'admin', namespace: 'hx-j-plg' } as Parameters<typeof loadTarget>[0]);
};
const run = async (t: Target) => (await runCheck('flyte.plugins.crds', t, { phase: 'preflight' })).result;
const CRD_COLL = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const ok = (s: number) => s < 300 || s === 404;
type V = { name: string; served: boolean; storage: boolean };
const NAMES = ['rayjobs.ray.io', 'rayclusters.ray.io', 'mpijobs.kubeflow.org'];

async function crd(plural: string, kind: string, group: string, versions: V[]): Promise<void> {
  const name = `${plural}.${group}`;
  await remove([name]);
  await kubeCall(admin(), tok(), 'POST', CRD_COLL, {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name, labels: { 'hx-j': 'plugin-crd-version' } },
    spec: { group, scope: 'Namespaced', names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: versions.map((v) => ({ ...v, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } })) },
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const r = await kubeRequest<{ status?: { conditions?: { type: string; status: string }[] } }>(admin(), tok(), 'GET', `${CRD_COLL}/${name}`);
    if (r.body.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`${name} not Established within 30 s`);
}
async function remove(names: string[]): Promise<void> {
  for (const name of names) await kubeCall(admin(), tok(), 'DELETE', `${CRD_COLL}/${name}`, undefined, undefined, ok);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if ((await Promise.all(names.map((x) => kubeRequest(admin(), tok(), 'GET', `${CRD_COLL}/${x}`)))).every((r) => r.status === 404)) return;
    await new Promise((res) => setTimeout(res, 200));
  }
}
const only = (name: string): V[] => [{ name, served: true, storage: true }];

describe.sequential('hx-j: plugin CRDs serving another version than flytepropeller uses, on the real API server', () => {
  beforeAll(async () => { await remove(NAMES); }, 60_000);
  afterAll(async () => { await remove(NAMES); rmSync(dir, { recursive: true, force: true }); }, 60_000);

  it('KubeRay older than 1.0 (ray.io/v1alpha1 only): fail crdVersion naming the versions, the one propeller uses and the upgrade', async () => {
    await crd('rayjobs', 'RayJob', 'ray.io', only('v1alpha1'));
    await crd('rayclusters', 'RayCluster', 'ray.io', only('v1alpha1'));
    const r = await run(target(['container', 'ray']));
    expect(r, r.message).toMatchObject({ status: 'fail', messageId: 'crdVersion', cause: cause.object('customresourcedefinition', undefined, 'rayjobs.ray.io') });
    expect(r.message).toContain('serves v1alpha1, not ray.io/v1');
    expect(r.message).toContain('every ray task fails with: no matches for kind "RayJob" in version "ray.io/v1"');
    expect(r.message).toContain('KubeRay operator older than 1.0');
    expect(r.hint).toContain('upgrade the KubeRay operator to 1.0 or later');
    expect(r.hint).toContain('remove `ray` from `enabled_plugins.tasks.task-plugins.enabled-plugins`');
  }, 60_000);

  it('an empty enabled-plugins list (every plugin) counts the old ray CRD among those that cannot run', async () => {
    const r = await run(target([]));
    expect(r, r.message).toMatchObject({ status: 'warn', messageId: 'allEnabled' });
    expect(r.message).toContain('ray (rayjobs.ray.io serves v1alpha1, not v1)');
  }, 60_000);

  it('ray.io/v1 present but not served: still crdVersion (served versions only)', async () => {
    await crd('rayjobs', 'RayJob', 'ray.io', [{ name: 'v1alpha1', served: true, storage: true }, { name: 'v1', served: false, storage: false }]);
    const r = await run(target(['container', 'ray']));
    expect(r, r.message).toMatchObject({ status: 'fail', messageId: 'crdVersion' });
    expect(r.message).toContain('serves v1alpha1, not ray.io/v1');
  }, 60_000);

  it('KubeRay 1.x (v1alpha1 and v1 served): the CRDs pass', async () => {
    await crd('rayjobs', 'RayJob', 'ray.io', [{ name: 'v1alpha1', served: true, storage: false }, { name: 'v1', served: true, storage: true }]);
    await crd('rayclusters', 'RayCluster', 'ray.io', [{ name: 'v1alpha1', served: true, storage: false }, { name: 'v1', served: true, storage: true }]);
    const r = await run(target(['container', 'ray']));
    expect(r, r.message).toMatchObject({ status: 'pass', messageId: 'ready' });
    expect(r.message).toContain('ray: rayjobs.ray.io, rayclusters.ray.io Established');
  }, 60_000);

  it('the standalone MPI operator owns mpijobs.kubeflow.org (v2beta1): crdVersion naming it and the training operator as the fix', async () => {
    await crd('mpijobs', 'MPIJob', 'kubeflow.org', only('v2beta1'));
    const r = await run(target(['container', 'mpi']));
    expect(r, r.message).toMatchObject({ status: 'fail', messageId: 'crdVersion', cause: cause.object('customresourcedefinition', undefined, 'mpijobs.kubeflow.org') });
    expect(r.message).toContain('serves v2beta1, not kubeflow.org/v1');
    expect(r.message).toContain('standalone MPI operator');
    expect(r.hint).toContain('Kubeflow training operator');
    expect(r.hint).toContain('training-operator');
  }, 60_000);
});
