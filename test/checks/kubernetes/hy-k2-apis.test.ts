// kubernetes.objects.apis against the test bed's REAL kube-apiserver (1.33): a version of a served
// group that the cluster does not serve is named with the version the cluster serves THIS KIND in,
// read from discovery of each served version, not the group's first version. VolumeAttributesClass is
// storage.k8s.io/v1beta1 (off by default) on 1.33 and storage.k8s.io/v1 has no such kind there, so
// "use storage.k8s.io/v1" is a wrong fix; CSIDriver is served as storage.k8s.io/v1. The replacement a
// removed API's table names is confirmed by discovery too.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTarget } from '../../../src/config/load.js';
import { runCheck } from '../../harness/run-check.js';
import { getTestbed } from '../../harness/testbed.js';

const dir = mkdtempSync(join(tmpdir(), 'fd-hy-k2-apis-'));
mkdirSync(join(dir, 'home'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
type Obj = { finding: string; text: string; apiVersion: string; kind: string; servedWithKind?: string[]; useServed?: boolean };

describe('kubernetes.objects.apis: the version to use comes from discovery of the kind', () => {
  it('a kind no served version has: said so, the fix is not a version that lacks it; a kind served elsewhere: that version', async () => {
    const f = join(dir, 'render.yaml');
    writeFileSync(f, [
      { apiVersion: 'storage.k8s.io/v1beta1', kind: 'VolumeAttributesClass', metadata: { name: 'fast' }, driverName: 'csi.example.com' },
      { apiVersion: 'storage.k8s.io/v1alpha1', kind: 'CSIDriver', metadata: { name: 'csi.example.com' } },
      { apiVersion: 'networking.k8s.io/v1beta1', kind: 'Ingress', metadata: { name: 'flyte', namespace: 'flyte' } },
    ].map((o) => stringify(o)).join('---\n'));
    const t = loadTarget({ values: [], manifests: f, set: [], env: {}, cwd: dir, home: join(dir, 'home'), kubeconfig: getTestbed().kube.kubeconfig, context: 'admin', namespace: 'flyte' });
    const r = (await runCheck('kubernetes.objects.apis', t)).result;
    expect(r.status, r.message).toBe('fail');
    const objs = r.details!['objects'] as Obj[];
    const vac = objs.find((o) => o.kind === 'VolumeAttributesClass')!;
    expect(vac).toMatchObject({ finding: 'versionNotServed', servedWithKind: [] });
    expect(vac.text).toContain('storage.k8s.io is served as storage.k8s.io/v1, but none of these versions has kind VolumeAttributesClass');
    expect(r.hint).toContain('no version of storage.k8s.io this cluster serves has VolumeAttributesClass');
    expect(r.hint).toContain('--runtime-config=storage.k8s.io/v1beta1=true');
    expect(r.hint).not.toMatch(/\(1\) render the manifests for this cluster \(a chart version that uses storage\.k8s\.io\/v1,/);
    const csi = objs.find((o) => o.kind === 'CSIDriver')!;
    expect(csi).toMatchObject({ finding: 'versionNotServed', servedWithKind: ['storage.k8s.io/v1'] });
    expect(csi.text).toContain('storage.k8s.io is served as storage.k8s.io/v1, CSIDriver in storage.k8s.io/v1');
    const ing = objs.find((o) => o.kind === 'Ingress')!;
    expect(ing).toMatchObject({ finding: 'removed', useServed: true });
  });
});
