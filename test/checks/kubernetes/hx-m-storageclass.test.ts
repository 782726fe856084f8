// kubernetes.objects.storageclass against the test bed's kube-apiserver: a StorageClass of provisioner
// kubernetes.io/no-provisioner (local volumes) provisions nothing; the claim binds only to an
// Available PersistentVolume of that class made by hand. Objects here are named hx-m-*, deleted after.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTarget } from '../../../src/config/load.js';
import type { Target } from '../../../src/config/target.js';
import { SHARED_FIXTURES } from '../../harness/fixtures.js';
import { runCheck } from '../../harness/run-check.js';
import { getTestbed } from '../../harness/testbed.js';
import { removeNamespace } from '../../infra/flyte-install.js';
import { createIfMissing, kubeCall } from '../../infra/kube.js';

const ID = 'kubernetes.objects.storageclass';
const NS = 'hx-m-sc';
const CLASS = 'hx-m-local';
const PV = 'hx-m-pv';
const tb = () => getTestbed();
const admin = () => ({ server: tb().kube.server, caFile: tb().kube.caFile });
const tok = () => tb().kube.tokens.admin;
const dir = mkdtempSync(join(tmpdir(), 'hx-m-sc-'));
mkdirSync(join(dir, 'home'));
const SANDBOX = join(dir, 'flyte-sandbox-values.yaml');
writeFileSync(SANDBOX, readFileSync(join(SHARED_FIXTURES, 'flyte-values', 'flyte-sandbox__values.yaml'), 'utf8').replace(/\bpostgres$/gm, 'Hx-M-Pg-Pw-1').replace(/miniostorage/g, 'Hx-M-Minio-Pw-1'));
const PG = join(dir, 'pg.yaml');
writeFileSync(PG, stringify({ postgresql: { primary: { persistence: { existingClaim: '', storageClass: CLASS } } } }));
const target = (): Target => loadTarget({ values: [SANDBOX, PG], set: [], env: {}, cwd: dir, home: join(dir, 'home'), kubeconfig: tb().kube.kubeconfig, context: 'admin', namespace: NS });
const SC = '/apis/storage.k8s.io/v1/storageclasses';
const rm = (path: string) => kubeCall(admin(), tok(), 'DELETE', path, undefined, undefined, (s) => s < 300 || s === 404);
const rmPv = async () => {
  await kubeCall(admin(), tok(), 'PATCH', `/api/v1/persistentvolumes/${PV}`, { metadata: { finalizers: null } }, 'application/merge-patch+json', (s) => s < 300 || s === 404);
  await rm(`/api/v1/persistentvolumes/${PV}`);
};

beforeAll(async () => {
  await createIfMissing(admin(), tok(), '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await rmPv();
  await createIfMissing(admin(), tok(), SC, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: CLASS }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' });
}, 30_000);
afterAll(async () => {
  await rmPv();
  await rm(`${SC}/${CLASS}`);
  await removeNamespace(tb(), NS);
}, 30_000);

describe('a StorageClass that provisions nothing (kubernetes.io/no-provisioner)', () => {
  it('without an Available PersistentVolume of the class: warn, naming the provisioner, the binding mode and both fixes', async () => {
    const { result: r } = await runCheck(ID, target());
    expect(r).toMatchObject({ status: 'warn', messageId: 'staticOnly', cause: `object:storageclass/${CLASS}` });
    expect(r.message).toContain(`StorageClass ${CLASS} has provisioner kubernetes.io/no-provisioner (volumeBindingMode WaitForFirstConsumer)`);
    expect(r.message).toMatch(/no Available PersistentVolume of class hx-m-local exists/);
    expect(r.hint).toContain(`storageClassName: ${CLASS}`);
    expect(r.hint).toContain('postgresql.primary.persistence.storageClass');
  });

  it('with an Available PersistentVolume of the class: the class is usable (pass)', async () => {
    await createIfMissing(admin(), tok(), '/api/v1/persistentvolumes', { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: PV },
      spec: { storageClassName: CLASS, capacity: { storage: '8Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/hx-m-pv' } } });
    // no PV controller runs on the bed: set the phase it would set
    await kubeCall(admin(), tok(), 'PATCH', `/api/v1/persistentvolumes/${PV}/status`, { status: { phase: 'Available' } }, 'application/merge-patch+json');
    const { result: r } = await runCheck(ID, target());
    expect(r).toMatchObject({ status: 'pass', messageId: 'classExists' });
  });
});

