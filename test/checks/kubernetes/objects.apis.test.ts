// kubernetes.objects.apis against the test bed's kube-apiserver (1.33) with rendered manifests
// (--manifests): the real render of flyte-core from ../shared/fixtures, and renders written here with
// removed API versions, kinds of CRDs the cluster lacks, and a CRD the render brings itself.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadTarget } from '../../../src/config/load.js';
import type { Target } from '../../../src/config/target.js';
import { cause } from '../../../src/engine/causes.js';
import type { CheckResult } from '../../../src/engine/types.js';
import { SHARED_FIXTURES } from '../../harness/fixtures.js';
import { runCheck } from '../../harness/run-check.js';
import { getTestbed } from '../../harness/testbed.js';

const ID = 'kubernetes.objects.apis';
const tb = () => getTestbed();
const dir = mkdtempSync(join(tmpdir(), 'fd-ref-api-'));
mkdirSync(join(dir, 'home'));
let n = 0;
const render = (objs: unknown[]): string => { const f = join(dir, `render-${n++}.yaml`); writeFileSync(f, objs.map((o) => stringify(o)).join('---\n')); return f; };
const target = (o: { manifests?: string; values?: unknown }): Target => loadTarget({
  values: o.values ? [(() => { const f = join(dir, `values-${n++}.yaml`); writeFileSync(f, stringify(o.values)); return f; })()] : [], ...(o.manifests ? { manifests: o.manifests } : {}),
  set: [], env: {}, cwd: dir, home: join(dir, 'home'), kubeconfig: tb().kube.kubeconfig, context: 'admin', namespace: 'flyte',
});
const run = async (t: Target): Promise<CheckResult> => (await runCheck(ID, t)).result;
const obj = (apiVersion: string, kind: string, name: string, extra: Record<string, unknown> = {}) => ({ apiVersion, kind, metadata: { name, namespace: 'flyte' }, ...extra });
const texts = (r: CheckResult) => (r.details!['objects'] as { finding: string; text: string }[]).map((o) => `${o.finding}: ${o.text}`);

describe('the API kinds of a render', () => {
  it('the real flyte-core render (eks): every kind is served on this cluster', async () => {
    const r = await run(target({ manifests: join(SHARED_FIXTURES, 'flyte-rendered', 'eks__flyte_helm_generated.yaml') }));
    expect(r, r.message).toMatchObject({ status: 'pass', messageId: 'served' });
    expect(r.message).toContain('apps/v1 Deployment is served');
    expect(r.message).toContain('apiextensions.k8s.io/v1 CustomResourceDefinition is served');
  });

  it('removed API versions: each named with the one to use (Ingress, PodDisruptionBudget, CronJob, HorizontalPodAutoscaler)', async () => {
    const r = await run(target({ manifests: render([
      obj('networking.k8s.io/v1beta1', 'Ingress', 'flyte-core', { spec: { rules: [{ host: 'flyte.test' }] } }),
      obj('policy/v1beta1', 'PodDisruptionBudget', 'flyteadmin', { spec: { minAvailable: 1 } }),
      obj('batch/v1beta1', 'CronJob', 'syncresources'),
      obj('autoscaling/v2beta2', 'HorizontalPodAutoscaler', 'flyteadmin'),
      obj('apps/v1', 'Deployment', 'flyteadmin'),
    ]) }));
    expect(r).toMatchObject({ status: 'fail', messageId: 'removed', cause: cause.object('apiversion', undefined, 'networking.k8s.io/v1beta1/Ingress') });
    expect(r.message).toMatch(/^4 problems with the API kinds of the render: networking\.k8s\.io\/v1beta1 Ingress \(flyte-core; .*render-\d+\.yaml:1\): networking\.k8s\.io\/v1beta1 Ingress was removed in Kubernetes 1\.22 \(the cluster runs v1\.33\.\d+\); use networking\.k8s\.io\/v1/);
    const t = texts(r);
    expect(t).toContainEqual(expect.stringMatching(/^removed: policy\/v1beta1 PodDisruptionBudget .* was removed in Kubernetes 1\.25 .*; use policy\/v1$/));
    expect(t).toContainEqual(expect.stringMatching(/^removed: batch\/v1beta1 CronJob .*; use batch\/v1$/));
    expect(t).toContainEqual(expect.stringMatching(/^removed: autoscaling\/v2beta2 HorizontalPodAutoscaler .* removed in Kubernetes 1\.26 .*; use autoscaling\/v2$/));
    expect(t).toContain('served: apps/v1 Deployment is served');
    expect(r.hint).toContain('helm template --kube-version');
  });

  it('a kind of a CRD the cluster lacks (ServiceMonitor): the operator named; a CRD in the same render: served', async () => {
    const r = await run(target({ manifests: render([
      obj('monitoring.coreos.com/v1', 'ServiceMonitor', 'flyteadmin'),
      { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.fdref.test' } },
      obj('fdref.test/v1', 'Widget', 'w'),
    ]) }));
    expect(r).toMatchObject({ status: 'fail', messageId: 'crdMissing', cause: cause.object('apigroup', undefined, 'monitoring.coreos.com') });
    expect(r.message).toContain('the cluster serves no API group monitoring.coreos.com: its CustomResourceDefinition is not installed (it comes with the Prometheus Operator');
    expect(r.hint).toContain('install the Prometheus Operator');
    expect(texts(r)).toContain('served: fdref.test/v1 Widget comes with CustomResourceDefinition widgets.fdref.test of the same render');
  });

  it('a version of a served group the cluster does not serve, and a kind a served version lacks', async () => {
    const r = await run(target({ manifests: render([obj('apps/v2', 'Deployment', 'flyteadmin'), obj('apps/v1', 'Deplyment', 'datacatalog')]) }));
    expect(r.status).toBe('fail');
    const t = texts(r);
    expect(t).toContainEqual(expect.stringMatching(/^versionNotServed: apps\/v2 Deployment .*: the cluster does not serve apps\/v2; apps is served as apps\/v1/));
    expect(t).toContainEqual(expect.stringMatching(/^kindNotServed: apps\/v1 Deplyment .*: apps\/v1 is served but has no kind Deplyment/));
  });

  it('flyte-core values whose databaseSecret.secretManifest is an ExternalSecret: its CRD is missing here', async () => {
    const r = await run(target({ values: { db: { admin: { database: { host: 'db.fdref.test', passwordPath: '/etc/db/pass.txt' } } },
      common: { databaseSecret: { name: 'db-pass', secretManifest: { apiVersion: 'external-secrets.io/v1beta1', kind: 'ExternalSecret', metadata: { name: 'db-pass' }, spec: {} } } } } }));
    expect(r).toMatchObject({ status: 'fail', messageId: 'crdMissing' });
    expect(r.message).toContain('the cluster serves no API group external-secrets.io');
    expect(r.message).toContain('External Secrets Operator');
  });

  it('no manifests: skip with the reason', async () => {
    expect(await run(target({ values: { configuration: { database: { host: 'db.fdref.test' } } } }))).toMatchObject({ status: 'skip', messageId: 'noManifests' });
  });
});
