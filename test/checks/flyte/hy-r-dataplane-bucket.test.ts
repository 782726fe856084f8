// flyte.dataplane.storage when a data plane's flytepropeller is configured with another metadata bucket than
// the control plane (multi-cluster flyte-core: values-dataplane.yaml with its own storage.bucketName).
// flyteadmin writes the inputs of executions routed there to its bucket; that flytepropeller reads another:
// every execution fails. Before, the check only said "cannot be checked from this machine".
// The data plane is the shared test bed's REAL API server, reached through the operator's context
// (--data-plane dp1=admin); its flytepropeller Deployment and ConfigMap are the chart's data-plane render,
// in a namespace of this test's own (hy-r-dp), deleted at the end.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { loadTarget } from '../../../src/config/load.js';
import { fixturesDir, removeNamespace } from '../../infra/flyte-install.js';
import { createIfMissing, kubeCall } from '../../infra/kube.js';
import { runCheck } from '../../harness/run-check.js';
import { getTestbed } from '../../harness/testbed.js';

const NS = 'hy-r-dp';
const tb = () => getTestbed();
const kube = () => ({ server: tb().kube.server, caFile: tb().kube.caFile });
const dir = mkdtempSync(join(tmpdir(), 'hy-r-dp-'));
mkdirSync(join(dir, 'home'));
type Obj = Record<string, any>;

/** The chart's data-plane flytepropeller Deployment and its ConfigMap, in NS, with the data plane's bucket. */
function rendered(bucket: string): Obj[] {
  const objs = parseAllDocuments(readFileSync(join(fixturesDir(), 'eks__flyte_helm_dataplane_generated.yaml'), 'utf8')).map((d) => d.toJS() as Obj).filter((o) => o && o.kind);
  const pick = objs.filter((o) => (o.kind === 'Deployment' && o.metadata.name === 'flytepropeller') || (o.kind === 'ConfigMap' && o.metadata.name === 'flyte-propeller-config'));
  return JSON.parse(JSON.stringify(pick).replaceAll('<METADATA_BUCKET_NAME>', bucket).replaceAll('<RAW_DATA_BUCKET_NAME>', bucket).replaceAll('<AWS_REGION>', 'us-east-1').replaceAll('"namespace":"flyte"', `"namespace":"${NS}"`));
}

async function apply(bucket: string): Promise<void> {
  for (const o of rendered(bucket)) {
    const coll = o.kind === 'Deployment' ? `/apis/apps/v1/namespaces/${NS}/deployments` : `/api/v1/namespaces/${NS}/configmaps`;
    await kubeCall(kube(), tb().kube.tokens.admin, 'DELETE', `${coll}/${o.metadata.name}`, undefined, undefined, (st) => st < 300 || st === 404);
    await createIfMissing(kube(), tb().kube.tokens.admin, coll, o);
  }
}

function target(cpBucket: string) {
  const f = join(dir, 'values.yaml');
  writeFileSync(f, stringify({
    storage: { type: 's3', bucketName: cpBucket, s3: { region: 'us-east-1', authType: 'iam' } },
    flytepropeller: { enabled: false },
    configmap: { clusters: { labelClusterMap: { team1: [{ id: 'dp1', weight: 1 }] }, clusterConfigs: [{ name: 'dp1', endpoint: tb().kube.server, enabled: true, auth: { type: 'file_path', tokenPath: '/var/run/credentials/dp1_token', certPath: '/var/run/credentials/dp1_cacert' } }] } },
  }));
  return loadTarget({ values: [f], set: [], kubeconfig: tb().kube.kubeconfig, context: 'admin', namespace: NS, env: {}, cwd: dir, home: join(dir, 'home'), dataPlanes: ['dp1=admin'] });
}
const storage = async (cpBucket: string) => (await runCheck('flyte.dataplane.storage', target(cpBucket), { instance: 'dp1', phase: 'verify', timeoutMs: 15_000 })).result;

describe.sequential('hy-r: a data plane\'s flytepropeller bucket against the control plane\'s', () => {
  beforeAll(async () => {
    await removeNamespace(tb(), NS);
    await createIfMissing(kube(), tb().kube.tokens.admin, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  }, 60_000);
  afterAll(async () => {
    await removeNamespace(tb(), NS).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('another bucket: fail, both buckets and where each is set, the data plane\'s values key', async () => {
    await apply('hy-r-dp-metadata');
    const r = await storage('hy-r-cp-metadata');
    expect(r, r.message).toMatchObject({ status: 'fail', messageId: 'bucketMismatch' });
    expect(r.message).toContain('its flytepropeller is configured with metadata bucket hy-r-dp-metadata (ConfigMap (dp1) hy-r-dp/flyte-propeller-config key storage.yaml: storage.container)');
    expect(r.message).toContain('the control plane uses hy-r-cp-metadata (');
    expect(r.hint).toContain('`storage.bucketName: hy-r-cp-metadata`');
    expect(r.hint).toContain('rollout restart deploy/flytepropeller');
  });

  it('the same bucket: still "cannot be checked from here" for reachability, with the bucket compared', async () => {
    await apply('hy-r-cp-metadata');
    const r = await storage('hy-r-cp-metadata');
    expect(r, r.message).toMatchObject({ status: 'warn', messageId: 'notFromHere' });
    expect(r.message).toContain('its flytepropeller is configured with the same metadata bucket (hy-r-cp-metadata)');
  });

  it('the chart\'s placeholder left in the data plane\'s config: said, not called another bucket', async () => {
    await apply('<METADATA_BUCKET_NAME>');
    const r = await storage('hy-r-cp-metadata');
    expect(r, r.message).toMatchObject({ status: 'warn', messageId: 'notFromHere' });
    expect(r.message).toContain('configured with the placeholder <METADATA_BUCKET_NAME> as its metadata bucket');
  });

  it('no flytepropeller there: not compared, said why', async () => {
    await kubeCall(kube(), tb().kube.tokens.admin, 'DELETE', `/apis/apps/v1/namespaces/${NS}/deployments/flytepropeller`, undefined, undefined, (st) => st < 300 || st === 404);
    const r = await storage('hy-r-cp-metadata');
    expect(r, r.message).toMatchObject({ status: 'warn', messageId: 'notFromHere' });
    expect(r.message).toContain('was not compared: no flytepropeller Deployment in hy-r-dp');
  });
});
