// A clusterConfigs endpoint with a Kubernetes API path (https://host:6443/api, /apis/..., /version):
// client-go appends /api/v1/... to the endpoint's path, so every call flyteadmin makes gets 404.
// Proven against the bed's real kube-apiserver (it answers /api, but 404 under /api/api), then
// flyte.dataplane.config names the key and the base URL to set, while a proxy path (Rancher's
// /k8s/clusters/<id>) is left alone.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadTarget } from '../../../src/config/load.js';
import type { Target } from '../../../src/config/target.js';
import { runCheck } from '../../harness/run-check.js';
import { getTestbed, type Testbed } from '../../harness/testbed.js';
import { removeNamespace } from '../../infra/flyte-install.js';
import { kubeCall, kubeRequest } from '../../infra/kube.js';

let bed: Testbed;
const dir = mkdtempSync(join(tmpdir(), 'hx-q-ep-'));
const NS = `hx-q-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  bed = getTestbed();
  await kubeCall(bed.kube, bed.kube.tokens.admin, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await kubeCall(bed.kube, bed.kube.tokens.admin, 'POST', `/api/v1/namespaces/${NS}/secrets`, {
    apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cluster-credentials' }, type: 'Opaque',
    stringData: { dp1_token: bed.kube.tokens.admin, dp1_cacert: readFileSync(bed.kube.caFile, 'utf8') },
  });
}, 60_000);

afterAll(async () => {
  if (bed) await removeNamespace(bed, NS); // deletes the Secret, finalizes (the bed has no namespace controller)
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
function target(endpoint: string): Target {
  const f = join(dir, `v${n++}.yaml`);
  writeFileSync(f, stringify({
    flytepropeller: { enabled: false },
    flyteadmin: {
      additionalVolumes: [{ name: 'cluster-credentials', secret: { secretName: 'cluster-credentials' } }],
      additionalVolumeMounts: [{ name: 'cluster-credentials', mountPath: '/var/run/credentials' }],
    },
    configmap: { clusters: { clusterConfigs: [{ name: 'dp1', endpoint, enabled: true,
      auth: { type: 'file_path', tokenPath: '/var/run/credentials/dp1_token', certPath: '/var/run/credentials/dp1_cacert' } }] } },
  }));
  return loadTarget({ values: [f], set: [], kubeconfig: bed.kube.kubeconfig, context: 'admin', namespace: NS, env: {}, cwd: dir, home: join(dir, 'home') });
}

describe('a data plane endpoint with a Kubernetes API path', () => {
  it('the real API server answers the base URL but 404s under the path (what flyteadmin\'s client would call)', async () => {
    expect((await kubeRequest(bed.kube, bed.kube.tokens.admin, 'GET', '/api')).status).toBe(200);
    expect((await kubeRequest(bed.kube, bed.kube.tokens.admin, 'GET', '/api/api/v1/namespaces')).status).toBe(404);
  });

  for (const path of ['/api', '/api/', '/apis/flyte.lyft.com/v1alpha1', '/version']) {
    it(`endpoint ${path}: fail endpointInvalid naming the key and the base URL to set`, async () => {
      const { result: r } = await runCheck('flyte.dataplane.config', target(`${bed.kube.server}${path}`), { instance: 'dp1' });
      expect(r.status, r.message).toBe('fail');
      expect(r.messageId).toBe('endpointInvalid');
      expect(r.cause).toBe('config:configmap.clusters.clusterConfigs[0].endpoint');
      expect(r.message).toContain('Kubernetes API path');
      expect(r.hint).toContain(`set configmap.clusters.clusterConfigs[0].endpoint: ${bed.kube.server} `);
      expect(JSON.stringify(r)).not.toContain(bed.kube.tokens.admin);
    });
  }

  it('the base URL itself passes config, and the api check reaches the real server with the Secret\'s token', async () => {
    const t = target(bed.kube.server);
    expect((await runCheck('flyte.dataplane.config', t, { instance: 'dp1' })).result.messageId).toBe('configured');
    const { result: r } = await runCheck('flyte.dataplane.api', t, { instance: 'dp1', timeoutMs: 15_000 });
    expect(r.status, r.message).toBe('pass');
    expect(JSON.stringify(r)).not.toContain(bed.kube.tokens.admin);
  });

  it('a proxy path (Rancher /k8s/clusters/<id>) is not an API path: no endpoint finding', async () => {
    const { result: r } = await runCheck('flyte.dataplane.config', target('https://rancher.example.com/k8s/clusters/c-abc12'), { instance: 'dp1' });
    expect(r.messageId, r.message).toBe('configured');
  });
});
