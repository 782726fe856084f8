// A second Kubernetes cluster as a multi-cluster flyte-core data plane: its own etcd + kube-apiserver
// (the same cached binary as the shared bed, startKube on ports 27443 / 27379-27381, its own
// directory and its own CA), with flyte-core installed into namespace `fd-dataplane` (Deployments made
// ready through the status subresource, the FlyteWorkflow CRD, the project-domain namespaces, the
// flyteadmin ServiceAccount bound to its ClusterRole) and a TokenRequest token for that account:
// what the control plane's flyteadmin uses. The control-plane side lives in the shared bed in
// namespace `fd-dataplane` (the credentials Secret), created and removed by the test.
// The test that starts it stops it (stop()); the shared bed is never touched beyond that namespace.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Testbed } from '../harness/testbed.js';
import { makeContext, sleep, stopAll, tcpOpen } from './common.js';
import { installFlyte } from './flyte-install.js';
import { createIfMissing, kubeCall, startKube } from './kube.js';

export const DP_PORTS = { apiserver: 27443, etcdClient: 27379, etcdPeer: 27380, etcdMetrics: 27381 } as const;
/** A port nothing listens on (the data plane "down"). */
export const DP_DEAD_PORT = 26999;
/** Namespace of the install in both clusters (the control plane's Secret, the data plane's Flyte). */
export const DP_NS = 'fd-dataplane';

export interface DataPlaneBed {
  kube: Testbed['kube'];
  /** The data plane's CA (PEM file), not the shared bed's. */
  caFile: string;
  /** flyteadmin's ServiceAccount token in the data plane (TokenRequest, 1 h). */
  flyteadminToken: string;
  dir: string;
  stop(): Promise<void>;
}

export async function startDataPlane(): Promise<DataPlaneBed> {
  const dir = mkdtempSync(join(tmpdir(), 'flyte-doctor-dp-bed-'));
  const ctx = makeContext(dir, () => {});
  // test/testbed/kube.test.ts starts its private API server on the same ports for ~a minute: wait for it.
  const ports = Object.values(DP_PORTS);
  const until = Date.now() + 150_000;
  while ((await Promise.all(ports.map((p) => tcpOpen(p)))).some(Boolean) && Date.now() < until) await sleep(1000);
  let kube: Testbed['kube'];
  try {
    kube = await startKube(ctx, { stallPort: DP_DEAD_PORT, ports: DP_PORTS });
  } catch (e) { await stopAll(dir); rmSync(dir, { recursive: true, force: true }); throw e; }
  const tb = { kube } as Testbed;
  await installFlyte(tb, 'flyte-core', { namespace: DP_NS, noWebhook: true });
  const tr = await kubeCall<{ status: { token: string } }>(kube, kube.tokens.admin, 'POST', `/api/v1/namespaces/${DP_NS}/serviceaccounts/flyteadmin/token`,
    { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } });
  return { kube, caFile: ctx.ca.cert, flyteadminToken: tr.status.token, dir, stop: async () => { await stopAll(dir); rmSync(dir, { recursive: true, force: true }); } };
}

/** Creates (or replaces) an Opaque Secret in the control plane (the shared bed) with `data` (raw values, base64-encoded here). */
export async function putSecret(cp: Testbed, ns: string, name: string, data: Record<string, string>): Promise<void> {
  await createIfMissing(cp.kube, cp.kube.tokens.admin, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  const body = { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name, namespace: ns }, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) };
  await kubeCall(cp.kube, cp.kube.tokens.admin, 'DELETE', `/api/v1/namespaces/${ns}/secrets/${name}`, undefined, undefined, (s) => s < 300 || s === 404);
  await kubeCall(cp.kube, cp.kube.tokens.admin, 'POST', `/api/v1/namespaces/${ns}/secrets`, body);
}

/**
 * A kubeconfig with the control plane's contexts (cp-admin, cp-restricted: the shared bed) and the
 * data plane's (dp-admin, dp-restricted; dp-down: the dead port). Written to `dir`.
 */
export function writeKubeconfig(dir: string, cp: Testbed, dp: DataPlaneBed): string {
  const file = join(dir, 'kubeconfig-multicluster');
  writeFileSync(file, stringify({
    apiVersion: 'v1', kind: 'Config',
    clusters: [
      { name: 'cp', cluster: { server: cp.kube.server, 'certificate-authority': cp.kube.caFile } },
      { name: 'dp', cluster: { server: dp.kube.server, 'certificate-authority': dp.caFile } },
      { name: 'dp-down', cluster: { server: `https://127.0.0.1:${DP_DEAD_PORT}`, 'certificate-authority': dp.caFile } },
    ],
    users: [
      { name: 'cp-admin', user: { token: cp.kube.tokens.admin } },
      { name: 'cp-restricted', user: { token: cp.kube.tokens.restricted } },
      { name: 'dp-admin', user: { token: dp.kube.tokens.admin } },
      { name: 'dp-restricted', user: { token: dp.kube.tokens.restricted } },
    ],
    contexts: [
      { name: 'cp-admin', context: { cluster: 'cp', user: 'cp-admin', namespace: DP_NS } },
      { name: 'cp-restricted', context: { cluster: 'cp', user: 'cp-restricted', namespace: DP_NS } },
      { name: 'dp-admin', context: { cluster: 'dp', user: 'dp-admin', namespace: DP_NS } },
      { name: 'dp-restricted', context: { cluster: 'dp', user: 'dp-restricted', namespace: DP_NS } },
      { name: 'dp-down', context: { cluster: 'dp-down', user: 'dp-admin', namespace: DP_NS } },
    ],
    'current-context': 'cp-admin',
  }), { mode: 0o600 });
  return file;
}

/** PEM text of a file. */
export const pem = (file: string) => readFileSync(file, 'utf8');
