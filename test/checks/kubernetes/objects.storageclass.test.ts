// kubernetes.objects.storageclass against the test bed's kube-apiserver (which has no StorageClass of
// its own), with the real umbrella values files (flyte-sandbox, flyte) from ../shared/fixtures and
// overlays written here. StorageClasses this file creates are named fd-ref-*, the claim lives in
// namespace fd-ref-sc; all are deleted after. The default StorageClass exists only inside its test.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTarget } from '../../../src/config/load.js';
import type { Target } from '../../../src/config/target.js';
import { cause } from '../../../src/engine/causes.js';
import type { CheckResult } from '../../../src/engine/types.js';
import { SHARED_FIXTURES } from '../../harness/fixtures.js';
import { runCheck } from '../../harness/run-check.js';
import { getTestbed } from '../../harness/testbed.js';
import { removeNamespace } from '../../infra/flyte-install.js';
import { createIfMissing, kubeCall } from '../../infra/kube.js';

const ID = 'kubernetes.objects.storageclass';
const NS = 'fd-ref-sc';
const tb = () => getTestbed();
const admin = () => ({ server: tb().kube.server, caFile: tb().kube.caFile });
const tok = () => tb().kube.tokens.admin;
const FLYTE = join(SHARED_FIXTURES, 'flyte-values', 'flyte__values.yaml');
const dir = mkdtempSync(join(tmpdir(), 'fd-ref-sc-'));
mkdirSync(join(dir, 'home'));
// The published flyte-sandbox values with other passwords: the loader takes its `postgres` password for a
// secret, and the redaction of that word would hide the `postgresql.*` keys these results name.
const SANDBOX = join(dir, 'flyte-sandbox-values.yaml');
writeFileSync(SANDBOX, readFileSync(join(SHARED_FIXTURES, 'flyte-values', 'flyte-sandbox__values.yaml'), 'utf8').replace(/\bpostgres$/gm, 'Fd-Ref-Pg-Pw-1').replace(/miniostorage/g, 'Fd-Ref-Minio-Pw-1'));
let n = 0;
const file = (values: unknown): string => { const f = join(dir, `values-${n++}.yaml`); writeFileSync(f, stringify(values)); return f; };
const target = (files: string[]): Target => loadTarget({ values: files, set: [], env: {}, cwd: dir, home: join(dir, 'home'), kubeconfig: tb().kube.kubeconfig, context: 'admin', namespace: NS });
const run = async (t: Target): Promise<CheckResult> => (await runCheck(ID, t)).result;
const SC = '/apis/storage.k8s.io/v1/storageclasses';
const mkClass = (name: string, isDefault = false) => createIfMissing(admin(), tok(), SC, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name, ...(isDefault ? { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } : {}) }, provisioner: 'fd-ref.test/none' });
const rm = (path: string) => kubeCall(admin(), tok(), 'DELETE', path, undefined, undefined, (s) => s < 300 || s === 404);
/** The sandbox's PostgreSQL without the chart's own claim: it claims a volume from a StorageClass. */
/** The claim, deleted for good (no controller here removes the pvc-protection finalizer the API server adds). */
async function rmClaim(): Promise<void> {
  const p = `/api/v1/namespaces/${NS}/persistentvolumeclaims/fd-ref-claim`;
  await kubeCall(admin(), tok(), 'PATCH', p, { metadata: { finalizers: null } }, 'application/merge-patch+json', (s) => s < 300 || s === 404);
  await rm(p);
}
const dynamicPg = (storageClass?: string) => file({ postgresql: { primary: { persistence: { existingClaim: '', ...(storageClass !== undefined ? { storageClass } : {}) } } } });

beforeAll(async () => {
  await createIfMissing(admin(), tok(), '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await rmClaim(); // left by an interrupted run
  await mkClass('fd-ref-sc-fast');
}, 30_000);
afterAll(async () => {
  for (const c of ['fd-ref-sc-fast', 'fd-ref-sc-default', 'fd-ref-sc-default2']) await rm(`${SC}/${c}`);
  await rmClaim();
  await removeNamespace(tb(), NS);
}, 30_000);

describe('umbrella charts: the storage of the bundled PostgreSQL / MinIO', () => {
  it('flyte-sandbox as published: the chart\'s own hostPath PersistentVolumes, nothing to provision', async () => {
    const r = await run(target([SANDBOX]));
    expect(r).toMatchObject({ status: 'pass', messageId: 'noClaims' });
    expect(r.message).toContain('PostgreSQL uses the PersistentVolume the flyte-sandbox chart creates (hostPath on the node, class manual): no provisioner needed');
    expect(r.message).toContain('the docker registry keeps its data in an emptyDir volume');
  });

  it('the flyte chart: emptyDir volumes (nothing to provision)', async () => {
    const r = await run(target([FLYTE]));
    expect(r).toMatchObject({ status: 'pass', messageId: 'noClaims' });
    expect(r.message).toContain('PostgreSQL bundled by the flyte chart keeps its data in an emptyDir volume');
  });

  it('flyte-binary values: skip, nothing bundled', async () => {
    expect(await run(target([file({ configuration: { database: { host: 'db.fdref.test' } } })]))).toMatchObject({ status: 'skip', messageId: 'notUmbrella' });
  });

  it('a named StorageClass that does not exist: fail listing the classes, the key; one that exists: pass', async () => {
    const r = await run(target([SANDBOX, dynamicPg('fd-ref-sc-nope')]));
    expect(r).toMatchObject({ status: 'fail', messageId: 'classMissing', cause: cause.object('storageclass', undefined, 'fd-ref-sc-nope') });
    expect(r.message).toMatch(/^PostgreSQL: StorageClass fd-ref-sc-nope \(.*values-\d+\.yaml: postgresql\.primary\.persistence\.storageClass\) does not exist; the classes that exist: .*fd-ref-sc-fast \(fd-ref\.test\/none\)/);
    expect(r.hint).toMatch(/^set `postgresql\.primary\.persistence\.storageClass` to .*fd-ref-sc-fast/);
    expect(await run(target([SANDBOX, dynamicPg('fd-ref-sc-fast')]))).toMatchObject({ status: 'pass', messageId: 'classExists' });
  });

  it('storageClass "-": warn, no dynamic provisioning', async () => {
    expect(await run(target([SANDBOX, dynamicPg('-')]))).toMatchObject({ status: 'warn', messageId: 'noProvisioning' });
  });

  it('an existing claim that does not exist: fail; Pending: warn; Bound: pass', async () => {
    const t = target([SANDBOX, file({ minio: { persistence: { existingClaim: 'fd-ref-claim' } } })]);
    const missing = await run(t);
    expect(missing).toMatchObject({ status: 'fail', messageId: 'claimMissing', cause: cause.object('persistentvolumeclaim', NS, 'fd-ref-claim') });
    expect(missing.message).toContain(`PersistentVolumeClaim ${NS}/fd-ref-claim, the existing claim of MinIO`);
    await createIfMissing(admin(), tok(), `/api/v1/namespaces/${NS}/persistentvolumeclaims`, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'fd-ref-claim', namespace: NS },
      spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'fd-ref-sc-fast', resources: { requests: { storage: '1Gi' } } } });
    const pending = await run(t);
    expect(pending).toMatchObject({ status: 'warn', messageId: 'claimPending' });
    expect(pending.message).toContain('(storageClassName "fd-ref-sc-fast")');
    // what the PV controller writes when it binds the claim
    await kubeCall(admin(), tok(), 'PATCH', `/api/v1/namespaces/${NS}/persistentvolumeclaims/fd-ref-claim/status`, { status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } } }, 'application/merge-patch+json');
    expect(await run(t)).toMatchObject({ status: 'pass', messageId: 'claimBound' });
  });
});

describe.sequential('no StorageClass named: the default one', () => {
  it('none: fail naming the key and the classes; one default: pass; two: warn', async () => {
    const t = target([SANDBOX, dynamicPg()]);
    const none = await run(t);
    expect(none).toMatchObject({ status: 'fail', messageId: 'noDefault', cause: cause.object('storageclass', undefined, '(default)') });
    expect(none.message).toContain('PostgreSQL claims a volume without naming a StorageClass');
    expect(none.hint).toContain('storageclass.kubernetes.io/is-default-class');
    try {
      await mkClass('fd-ref-sc-default', true);
      expect(await run(t)).toMatchObject({ status: 'pass', messageId: 'defaultExists', message: expect.stringContaining('the cluster\'s default fd-ref-sc-default (fd-ref.test/none) provisions its volume') });
      await mkClass('fd-ref-sc-default2', true);
      expect(await run(t)).toMatchObject({ status: 'warn', messageId: 'severalDefaults' });
    } finally { await rm(`${SC}/fd-ref-sc-default`); await rm(`${SC}/fd-ref-sc-default2`); }
  });
});
