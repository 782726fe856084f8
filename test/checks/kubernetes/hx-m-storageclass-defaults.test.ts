// kubernetes.objects.storageclass with two default StorageClasses, served by an API server of our own
// on 127.0.0.1 (default StorageClasses are cluster-wide: making two on the shared test bed would
// change what every other StorageClass test there sees). The finding names the class the
// DefaultStorageClass admission plugin (1.26+) gives the claim: the newest, ties by name.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTarget } from '../../../src/config/load.js';
import { SHARED_FIXTURES } from '../../harness/fixtures.js';
import { startApiServer, type ApiServer } from '../../harness/api-server.js';
import { runCheck } from '../../harness/run-check.js';

const NS = 'hx-m-scd';
const dir = mkdtempSync(join(tmpdir(), 'hx-m-scd-'));
mkdirSync(join(dir, 'home'));
const SANDBOX = join(dir, 'flyte-sandbox-values.yaml');
writeFileSync(SANDBOX, readFileSync(join(SHARED_FIXTURES, 'flyte-values', 'flyte-sandbox__values.yaml'), 'utf8').replace(/\bpostgres$/gm, 'Hx-M-Pg-Pw-2').replace(/miniostorage/g, 'Hx-M-Minio-Pw-2'));
const PG = join(dir, 'pg.yaml');
writeFileSync(PG, stringify({ postgresql: { primary: { persistence: { existingClaim: '' } } } }));
let classes: unknown[] = [];
let server: ApiServer;
let kubeconfig: string;
const sc = (name: string, created: string, beta = false) => ({ metadata: { name, creationTimestamp: created, annotations: { [beta ? 'storageclass.beta.kubernetes.io/is-default-class' : 'storageclass.kubernetes.io/is-default-class']: 'true' } }, provisioner: `${name}.csi.test` });

beforeAll(async () => {
  server = await startApiServer(dir, { token: 'hx-m-token-5555', route: (path) => {
    if (path === `/api/v1/namespaces/${NS}`) return { status: 200, body: { kind: 'Namespace', apiVersion: 'v1', metadata: { name: NS }, status: { phase: 'Active' } } };
    if (path === '/apis/storage.k8s.io/v1/storageclasses') return { status: 200, body: { kind: 'StorageClassList', apiVersion: 'storage.k8s.io/v1', metadata: { resourceVersion: '1' }, items: classes } };
    return undefined;
  } });
  kubeconfig = server.kubeconfig;
});
afterAll(async () => { await server.stop(); });

const chosen = (d: unknown) => (d as { objects: { chosen?: string }[] }).objects.find((o) => o.chosen)?.chosen;
const target = () => loadTarget({ values: [SANDBOX, PG], set: [], env: {}, cwd: dir, home: join(dir, 'home'), kubeconfig, namespace: NS });

describe('two default StorageClasses', () => {
  it('names the one the API server gives the claim (the newest, not the first listed or by name) and how to unmark the others', async () => {
    classes = [sc('hx-m-def-a', '2026-01-01T00:00:00Z'), sc('hx-m-def-b', '2026-03-01T00:00:00Z', true), sc('hx-m-def-c', '2025-06-01T00:00:00Z')];
    const { result: r } = await runCheck('kubernetes.objects.storageclass', target());
    expect(r).toMatchObject({ status: 'warn', messageId: 'severalDefaults' });
    expect(chosen(r.details)).toBe('hx-m-def-b');
    expect(r.message).toContain('Kubernetes 1.26+ gives the claim the newest, hx-m-def-b (hx-m-def-b.csi.test)');
    expect(r.hint).toContain('annotate storageclass hx-m-def-a storageclass.kubernetes.io/is-default-class-');
    expect(r.hint).toContain('annotate storageclass hx-m-def-c storageclass.kubernetes.io/is-default-class-');
    expect(r.hint).not.toContain('annotate storageclass hx-m-def-b');
    expect(r.hint).toContain('postgresql.primary.persistence.storageClass');
  });

  it('same creationTimestamp: the first by name', async () => {
    classes = [sc('hx-m-def-z', '2026-01-01T00:00:00Z'), sc('hx-m-def-y', '2026-01-01T00:00:00Z')];
    const { result: r } = await runCheck('kubernetes.objects.storageclass', target());
    expect(r).toMatchObject({ status: 'warn', messageId: 'severalDefaults' });
    expect(chosen(r.details)).toBe('hx-m-def-y');
  });
});
