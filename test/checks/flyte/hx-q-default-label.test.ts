// configmap.clusters.defaultExecutionLabel must be a key of labelClusterMap: flyteadmin finds no
// clusters for any other value (a cluster name is the usual slip) and sends every execution without
// a label of its own to any enabled cluster. The finding names the key and the labels to choose
// from; a valid default label stays a pass. The run reads the live configuration from the bed's
// real API server (verify, namespace hx-q-*), which has no flyte-admin-clusters-config there.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadTarget } from '../../../src/config/load.js';
import type { Target } from '../../../src/config/target.js';
import { runCheck } from '../../harness/run-check.js';
import { getTestbed, type Testbed } from '../../harness/testbed.js';
import { removeNamespace } from '../../infra/flyte-install.js';
import { kubeCall } from '../../infra/kube.js';

let bed: Testbed;
const dir = mkdtempSync(join(tmpdir(), 'hx-q-dl-'));
const NS = `hx-q-${randomBytes(3).toString('hex')}`;
beforeAll(async () => {
  bed = getTestbed();
  await kubeCall(bed.kube, bed.kube.tokens.admin, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
}, 60_000);
afterAll(async () => {
  if (bed) await removeNamespace(bed, NS); // deletes the Secret, finalizes (the bed has no namespace controller)
  rmSync(dir, { recursive: true, force: true });
});

const entry = (name: string) => ({ name, endpoint: `https://${name}.example.com:443`, enabled: true,
  auth: { type: 'file_path', tokenPath: `/var/run/credentials/${name}_token`, certPath: `/var/run/credentials/${name}_cacert` } });
let n = 0;
function target(clusters: Record<string, unknown>): Target {
  const f = join(dir, `v${n++}.yaml`);
  writeFileSync(f, stringify({ flytepropeller: { enabled: false }, flyteadmin: {
    additionalVolumes: [{ name: 'cluster-credentials', secret: { secretName: 'cluster-credentials' } }],
    additionalVolumeMounts: [{ name: 'cluster-credentials', mountPath: '/var/run/credentials' }],
  }, configmap: { clusters: { clusterConfigs: [entry('dp1'), entry('dp2')], ...clusters } } }));
  return loadTarget({ values: [f], set: [], kubeconfig: bed.kube.kubeconfig, context: 'admin', namespace: NS, env: {}, cwd: dir, home: join(dir, 'home') });
}
async function config(t: Target, instance: string, phase: 'preflight' | 'verify' = 'preflight') {
  return (await runCheck('flyte.dataplane.config', t, { instance, phase })).result;
}

describe('configmap.clusters.defaultExecutionLabel', () => {
  it('a cluster name instead of a label: fail on that cluster, naming the labels to choose from and how to add one', async () => {
    const t = target({ defaultExecutionLabel: 'dp2', labelClusterMap: { gpu: [{ id: 'dp2', weight: 1 }] } });
    for (const phase of ['preflight', 'verify'] as const) {
      const r = await config(t, 'dp2', phase);
      expect(r.status, r.message).toBe('fail');
      expect(r.messageId).toBe('unknownLabelTarget');
      expect(r.cause).toBe('config:configmap.clusters.defaultExecutionLabel');
      expect(r.message).toContain('"dp2" is the name of a clusterConfigs entry, not a label');
      expect(r.hint).toContain('set configmap.clusters.defaultExecutionLabel to one of gpu');
      expect(r.hint).toContain('labelClusterMap.dp2: [{id: dp2, weight: 1}]');
    }
    expect((await config(t, 'dp1')).messageId).toBe('configured'); // said once
  });

  it('no labelClusterMap at all: the finding is on the first entry and says to add the label', async () => {
    const r = await config(target({ defaultExecutionLabel: 'team1' }), 'dp1');
    expect(r.status, r.message).toBe('fail');
    expect(r.message).toContain('it defines no labels');
    expect(r.hint).toContain('{team1: [{id: dp1, weight: 1}]}');
    expect((await config(target({ defaultExecutionLabel: 'team1' }), 'dp2')).messageId).toBe('configured');
  });

  it('a default label that labelClusterMap defines: pass', async () => {
    const t = target({ defaultExecutionLabel: 'gpu', labelClusterMap: { gpu: [{ id: 'dp2', weight: 1 }] } });
    expect((await config(t, 'dp1')).messageId).toBe('configured');
    expect((await config(t, 'dp2', 'verify')).messageId).toBe('configured');
  });
});
