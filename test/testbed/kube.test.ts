// The test bed's Kubernetes API. These tests write (install, unready, remove the CRD), so they run
// against a private etcd + kube-apiserver started with startKube on other ports (~4 s) and never
// disturb the shared test bed that other test files read in parallel.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Testbed } from '../harness/testbed.js';
import { kubeCall, kubeRequest, KUBE_NAMESPACE, NODE_NAME, startKube } from '../infra/kube.js';
import { chartObjects, CRD_NAME, installFlyte, makeReady, makeUnready, PROJECT_NAMESPACES, removeCrd, uninstallFlyte, webhookName } from '../infra/flyte-install.js';
import { tempContext } from './kube-ingress-helpers.js';

let kube: Testbed['kube'];
let stop: () => Promise<void>;
const PRIVATE_PORTS = { apiserver: 26443, etcdClient: 22379, etcdPeer: 22380, etcdMetrics: 22381 };
const CLOSED_PORT = 29999;

beforeAll(async () => {
  const t = tempContext();
  stop = t.stop;
  kube = await startKube(t.ctx, { stallPort: CLOSED_PORT, ports: PRIVATE_PORTS });
}, 120_000);
afterAll(async () => { await stop?.(); });

const tb = (): Testbed => ({ kube } as Testbed);
const admin = (method: string, path: string, body?: unknown, ct?: string) => kubeCall(kube, kube.tokens.admin, method, path, body, ct);

async function canI(k: Testbed['kube'], token: string, attrs: Record<string, string>): Promise<boolean> {
  const r = await kubeCall<{ status: { allowed: boolean } }>(k, token, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: attrs } });
  return r.status.allowed;
}
const createCrd = { group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions', verb: 'create' };

function readAudit(file: string): { verb: string; requestURI: string; user: { username: string }; objectRef?: { name?: string; resource?: string }; responseStatus?: { code: number } }[] {
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

describe('kube-apiserver', () => {
  it('/version reports v1.33.13', async () => {
    const v = await kubeCall<{ gitVersion: string; major: string; minor: string }>(kube, kube.tokens.admin, 'GET', '/version');
    expect(v).toMatchObject({ gitVersion: 'v1.33.13', major: '1', minor: '33' });
    expect(kube.version).toBe('v1.33.13');
  });

  it('admin may create a CRD, restricted may not (SelfSubjectAccessReview); restricted reads namespace flyte only', async () => {
    expect(await canI(kube, kube.tokens.admin, createCrd)).toBe(true);
    expect(await canI(kube, kube.tokens.restricted, createCrd)).toBe(false);
    expect(await canI(kube, kube.tokens.restricted, { group: 'rbac.authorization.k8s.io', resource: 'clusterroles', verb: 'create' })).toBe(false);
    expect(await canI(kube, kube.tokens.restricted, { group: 'apps', resource: 'deployments', verb: 'list', namespace: KUBE_NAMESPACE })).toBe(true);
    expect(await canI(kube, kube.tokens.restricted, { group: 'apps', resource: 'deployments', verb: 'create', namespace: KUBE_NAMESPACE })).toBe(false);
    expect(await canI(kube, kube.tokens.restricted, { group: 'apps', resource: 'deployments', verb: 'list', namespace: 'default' })).toBe(false);
    expect((await kubeRequest(kube, kube.tokens.restricted, 'GET', `/apis/apps/v1/namespaces/${KUBE_NAMESPACE}/deployments`)).status).toBe(200);
    expect((await kubeRequest(kube, kube.tokens.restricted, 'GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions')).status).toBe(403);
  });

  it('the audit log records every request with verb and user (reads and writes)', async () => {
    const marker = `audit-probe-${Date.now()}`;
    await kubeRequest(kube, kube.tokens.restricted, 'GET', `/api/v1/namespaces/${KUBE_NAMESPACE}/configmaps?labelSelector=${marker}`);
    await kubeRequest(kube, kube.tokens.admin, 'POST', `/api/v1/namespaces/${KUBE_NAMESPACE}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: marker } });
    let events: ReturnType<typeof readAudit> = [];
    for (let i = 0; i < 50; i++) {
      events = readAudit(kube.auditLog).filter((e) => e.requestURI.includes(marker) || e.objectRef?.name === marker);
      if (events.length >= 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(events.map((e) => [e.verb, e.user.username])).toEqual([['list', 'restricted'], ['create', 'admin']]);
    // A SelfSubjectAccessReview is audited as verb `create` (resource selfsubjectaccessreviews) although
    // nothing is stored: a "no writes" proof must leave out the *reviews resources.
    const restricted = readAudit(kube.auditLog).filter((e) => e.user.username === 'restricted');
    expect(restricted.some((e) => e.verb === 'create' && e.objectRef?.resource === 'selfsubjectaccessreviews')).toBe(true);
    const writes = restricted.filter((e) => ['create', 'update', 'patch', 'delete', 'deletecollection'].includes(e.verb) && !e.objectRef?.resource?.endsWith('reviews'));
    expect(writes).toEqual([]);
  });

  it('the kubeconfig has contexts admin, restricted, stalled, missing-plugin; current-context admin', () => {
    const kc = parse(readFileSync(kube.kubeconfig, 'utf8')) as { 'current-context': string; contexts: { name: string; context: { cluster: string; user: string } }[]; clusters: { name: string; cluster: { server: string } }[]; users: { name: string; user: { token?: string; exec?: { command: string } } }[] };
    expect(kc['current-context']).toBe('admin');
    expect(kc.contexts.map((c) => c.name).sort()).toEqual(['admin', 'missing-plugin', 'restricted', 'stalled']);
    const cluster = (ctx: string) => kc.clusters.find((c) => c.name === kc.contexts.find((x) => x.name === ctx)!.context.cluster)!.cluster.server;
    expect(cluster('admin')).toBe(kube.server);
    expect(cluster('stalled')).toBe(`https://127.0.0.1:${CLOSED_PORT}`);
    expect(kc.users.find((u) => u.name === 'missing-plugin')!.user.exec!.command).toBe('flyte-doctor-missing-plugin-xyz');
    expect(kc.users.find((u) => u.name === 'restricted')!.user.token).toBe(kube.tokens.restricted);
  });

  it('the kubeconfig works with @kubernetes/client-node (admin lists namespaces, restricted is forbidden)', async () => {
    const k8s = await import('@kubernetes/client-node');
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kube.kubeconfig);
    const names = (await kc.makeApiClient(k8s.CoreV1Api).listNamespace()).items.map((n) => n.metadata?.name);
    expect(names).toContain(KUBE_NAMESPACE);
    kc.setCurrentContext('restricted');
    await expect(kc.makeApiClient(k8s.CoreV1Api).listNamespace()).rejects.toMatchObject({ code: 403 });
  });

  it('has a Ready node with allocatable cpu/memory and no taints', async () => {
    const n = await admin('GET', `/api/v1/nodes/${NODE_NAME}`);
    expect(n.status.allocatable).toMatchObject({ cpu: '8', memory: '32Gi' });
    expect(n.status.conditions.find((c: { type: string }) => c.type === 'Ready').status).toBe('True');
    expect(n.spec.taints ?? []).toEqual([]);
  });
});

describe('flyte-install', () => {
  it('flyte-binary: CRD Established, Deployment Available, Services with ready endpoints, webhook config, project namespaces', async () => {
    await installFlyte(tb(), 'flyte-binary');
    const crd = await admin('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}`);
    expect(crd.status.conditions.find((c: { type: string }) => c.type === 'Established').status).toBe('True');
    const d = await admin('GET', `/apis/apps/v1/namespaces/flyte/deployments/flyte-flyte-binary`);
    expect(d.status).toMatchObject({ replicas: 1, readyReplicas: 1, availableReplicas: 1 });
    expect(d.status.conditions.find((c: { type: string }) => c.type === 'Available').status).toBe('True');
    for (const svc of ['flyte-flyte-binary-http', 'flyte-flyte-binary-grpc', 'flyte-flyte-binary-webhook']) {
      const ep = await admin('GET', `/api/v1/namespaces/flyte/endpoints/${svc}`);
      expect(ep.subsets[0].addresses).toHaveLength(1);
      const slices = await admin('GET', `/apis/discovery.k8s.io/v1/namespaces/flyte/endpointslices?labelSelector=kubernetes.io/service-name=${svc}`);
      expect(slices.items[0].endpoints[0].conditions.ready).toBe(true);
    }
    const mwc = await admin('GET', `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${webhookName('flyte-binary')}`);
    expect(mwc.webhooks[0]).toMatchObject({ name: 'flyte-pod-webhook.flyte.org', clientConfig: { service: { name: 'flyte-flyte-binary-webhook', namespace: 'flyte', path: '/mutate--v1-pod' } } });
    const ns = (await admin('GET', '/api/v1/namespaces')).items.map((n: { metadata: { name: string } }) => n.metadata.name);
    expect(ns).toEqual(expect.arrayContaining(PROJECT_NAMESPACES));
  });

  it('makeUnready: Deployment unavailable, Pod waiting with the reason, endpoints not ready; makeReady restores', async () => {
    await makeUnready(tb(), 'flyte-flyte-binary', 'ImagePullBackOff');
    const d = await admin('GET', '/apis/apps/v1/namespaces/flyte/deployments/flyte-flyte-binary');
    expect(d.status.readyReplicas ?? 0).toBe(0);
    expect(d.status.conditions.find((c: { type: string }) => c.type === 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
    const pods = await admin('GET', '/api/v1/namespaces/flyte/pods?labelSelector=app.kubernetes.io/name=flyte-binary');
    expect(pods.items[0].status.containerStatuses[0].state.waiting.reason).toBe('ImagePullBackOff');
    const ep = await admin('GET', '/api/v1/namespaces/flyte/endpoints/flyte-flyte-binary-http');
    expect(ep.subsets[0].addresses).toBeUndefined();
    expect(ep.subsets[0].notReadyAddresses).toHaveLength(1);

    await makeUnready(tb(), 'flyte-flyte-binary', 'CrashLoopBackOff');
    const p2 = await admin('GET', '/api/v1/namespaces/flyte/pods?labelSelector=app.kubernetes.io/name=flyte-binary');
    expect(p2.items[0].status.containerStatuses[0]).toMatchObject({ restartCount: 7, state: { waiting: { reason: 'CrashLoopBackOff' } } });

    await makeReady(tb(), 'flyte-flyte-binary');
    expect((await admin('GET', '/apis/apps/v1/namespaces/flyte/deployments/flyte-flyte-binary')).status.readyReplicas).toBe(1);
    expect((await admin('GET', '/api/v1/namespaces/flyte/endpoints/flyte-flyte-binary-http')).subsets[0].addresses).toHaveLength(1);
  });

  it('removeCrd deletes the CRD; uninstall removes the chart objects but keeps the namespace', async () => {
    await removeCrd(tb());
    expect((await kubeRequest(kube, kube.tokens.admin, 'GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}`)).status).toBe(404);
    await uninstallFlyte(tb(), 'flyte-binary');
    expect((await kubeRequest(kube, kube.tokens.admin, 'GET', '/apis/apps/v1/namespaces/flyte/deployments/flyte-flyte-binary')).status).toBe(404);
    expect((await admin('GET', `/api/v1/namespaces/${KUBE_NAMESPACE}`)).status.phase).toBe('Active');
  });

  it('flyte-core: every Deployment of the real render becomes Available', async () => {
    await installFlyte(tb(), 'flyte-core');
    const names = chartObjects('flyte-core').filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name).sort();
    expect(names).toEqual(['datacatalog', 'flyte-pod-webhook', 'flyteadmin', 'flyteconsole', 'flytepropeller', 'flytescheduler', 'syncresources']);
    const deps = (await admin('GET', '/apis/apps/v1/namespaces/flyte/deployments')).items as { metadata: { name: string }; spec: { replicas?: number }; status: { availableReplicas?: number } }[];
    for (const d of deps) expect(d.status.availableReplicas, d.metadata.name).toBe(d.spec.replicas ?? 1);
    await uninstallFlyte(tb(), 'flyte-core');
  });
});
