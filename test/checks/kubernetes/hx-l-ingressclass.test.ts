// kubernetes.objects.ingressclass: spec.ingressClassName and the deprecated kubernetes.io/ingress.class
// annotation on one Ingress, naming different classes. The test bed's kube-apiserver refuses such an
// Ingress (dry run, nothing is created); the check used to pass on the class of spec.ingressClassName.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadTarget } from '../../../src/config/load.js';
import type { Target } from '../../../src/config/target.js';
import { cause } from '../../../src/engine/causes.js';
import type { CheckResult } from '../../../src/engine/types.js';
import { runCheck } from '../../harness/run-check.js';
import { getTestbed } from '../../harness/testbed.js';
import { kubeCall } from '../../infra/kube.js';

const ID = 'kubernetes.objects.ingressclass';
const tb = () => getTestbed();
const admin = () => ({ server: tb().kube.server, caFile: tb().kube.caFile });
const dir = mkdtempSync(join(tmpdir(), 'hx-l-ic-'));
mkdirSync(join(dir, 'home'));
let n = 0;
const file = (values: unknown): string => { const f = `values-${n++}.yaml`; writeFileSync(join(dir, f), stringify(values)); return f; };
const target = (values: unknown): Target => loadTarget({
  values: [file(values)], set: [], env: {}, cwd: dir, home: join(dir, 'home'), kubeconfig: tb().kube.kubeconfig, context: 'admin', namespace: 'flyte',
});
const run = async (t: Target): Promise<CheckResult> => (await runCheck(ID, t)).result;
const DB = { configuration: { database: { host: 'db.fdref.test' } } };

describe('spec.ingressClassName and the kubernetes.io/ingress.class annotation both set', () => {
  it('the real API server refuses an Ingress whose two differ (dry run)', async () => {
    const body = await kubeCall<{ code?: number; message?: string }>(admin(), tb().kube.tokens.admin, 'POST', '/apis/networking.k8s.io/v1/namespaces/default/ingresses?dryRun=All', {
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'hx-l-conflict', annotations: { 'kubernetes.io/ingress.class': 'traefik' } },
      spec: { ingressClassName: 'nginx', defaultBackend: { service: { name: 'x', port: { number: 80 } } } },
    }, undefined, (s) => s === 422);
    expect(body.message).toContain('must match `ingressClassName` when both are specified');
  });

  it('flyte-binary: different classes fail (not a pass on nginx), naming both, the API error, and removing the annotation', async () => {
    const r = await run(target({ ...DB, ingress: { create: true, host: 'flyte.test', ingressClassName: 'nginx', commonAnnotations: { 'kubernetes.io/ingress.class': 'traefik' },
      grpcAnnotations: { 'nginx.ingress.kubernetes.io/backend-protocol': 'GRPC' } } }));
    expect(r).toMatchObject({ status: 'fail', messageId: 'classConflict', cause: cause.config('ingress.ingressClassName') });
    expect(r.message).toMatch(/^the Ingress names class nginx in spec\.ingressClassName \(values-\d+\.yaml: ingress\.ingressClassName\) and class "traefik" in the deprecated kubernetes\.io\/ingress\.class annotation/);
    expect(r.message).toContain('must match `ingressClassName` when both are specified');
    expect(r.hint).toMatch(/^remove `kubernetes\.io\/ingress\.class` from the Ingress annotations \(ingress\.commonAnnotations/);
    expect(r.hint).toContain('if traefik is the class meant, set `ingress.ingressClassName` to traefik instead');
  });

  it('flyte-core: the fix names common.ingress.annotations', async () => {
    const r = await run(target({ flyteadmin: { enabled: true }, common: { ingress: { enabled: true, host: 'flyte.test', ingressClassName: 'nginx', annotations: { 'kubernetes.io/ingress.class': 'alb' } } } }));
    expect(r).toMatchObject({ status: 'fail', messageId: 'classConflict', cause: cause.config('common.ingress.ingressClassName') });
    expect(r.hint).toContain('(common.ingress.annotations)');
  });

  it('the same class in both is accepted by the API server: pass', async () => {
    const r = await run(target({ ...DB, ingress: { create: true, host: 'flyte.test', ingressClassName: 'nginx', commonAnnotations: { 'kubernetes.io/ingress.class': 'nginx' },
      grpcAnnotations: { 'nginx.ingress.kubernetes.io/backend-protocol': 'GRPC' } } }));
    expect(r).toMatchObject({ status: 'pass', messageId: 'exists' });
  });
});
