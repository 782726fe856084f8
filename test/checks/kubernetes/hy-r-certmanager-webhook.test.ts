// kubernetes.objects.certmanager when cert-manager's OWN admission webhook (webhook.cert-manager.io,
// failurePolicy Fail) has no ready endpoints, or its Service is gone: the API server then refuses every
// Certificate/Issuer create or update ("failed calling webhook ... no endpoints available for service
// \"cert-manager-webhook\""), so ingress-shim never creates the Ingress's Certificate. The check passed on a
// Ready ClusterIssuer. Served by an API server of this test's own on 127.0.0.1:31201 (webhook configurations
// are cluster-wide: one on the shared test bed would be seen by the other cert-manager tests).
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTarget } from '../../../src/config/load.js';
import { runCheck } from '../../harness/run-check.js';

const PORT = 31201;
const NS = 'hy-r-cm';
const TOKEN = 'hy-r-token-4242';
const dir = mkdtempSync(join(tmpdir(), 'hy-r-cm-'));
mkdirSync(join(dir, 'home'));
let server: Server;

const state = { vwc: 'ok' as 'ok' | 'forbidden', service: true, ready: false };
const list = (kind: string, items: unknown[]) => ({ kind, apiVersion: 'v1', metadata: {}, items });
const vwc = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'cert-manager-webhook' },
  webhooks: [{ name: 'webhook.cert-manager.io', failurePolicy: 'Fail', admissionReviewVersions: ['v1'], sideEffects: 'None', clientConfig: { service: { name: 'cert-manager-webhook', namespace: 'cert-manager', path: '/validate', port: 443 } },
    rules: [{ apiGroups: ['cert-manager.io', 'acme.cert-manager.io'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['*/*'] }] }] };

function route(path: string): { status: number; body: unknown } {
  if (path === `/api/v1/namespaces/${NS}`) return { status: 200, body: { kind: 'Namespace', apiVersion: 'v1', metadata: { name: NS }, status: { phase: 'Active' } } };
  if (path === '/api') return { status: 200, body: { kind: 'APIVersions', versions: ['v1'] } };
  if (path === '/version') return { status: 200, body: { major: '1', minor: '33', gitVersion: 'v1.33.13' } };
  if (path === '/apis/cert-manager.io/v1') return { status: 200, body: { kind: 'APIResourceList', groupVersion: 'cert-manager.io/v1', resources: ['certificates', 'issuers', 'clusterissuers'].map((name) => ({ name, namespaced: name !== 'clusterissuers', kind: 'X', verbs: ['get', 'list'] })) } };
  if (path === '/apis/cert-manager.io/v1/clusterissuers/hy-r-le') {
    return { status: 200, body: { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'hy-r-le', generation: 1 }, spec: { selfSigned: {} }, status: { conditions: [{ type: 'Ready', status: 'True', reason: 'IsReady', message: '', observedGeneration: 1 }] } } };
  }
  if (path === '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations') {
    return state.vwc === 'forbidden'
      ? { status: 403, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403, message: 'validatingwebhookconfigurations.admissionregistration.k8s.io is forbidden: User "u" cannot list resource "validatingwebhookconfigurations" in API group "admissionregistration.k8s.io" at the cluster scope', details: { group: 'admissionregistration.k8s.io', kind: 'validatingwebhookconfigurations' } } }
      : { status: 200, body: list('ValidatingWebhookConfigurationList', [vwc]) };
  }
  if (path === '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations') return { status: 200, body: list('MutatingWebhookConfigurationList', []) };
  if (path === '/api/v1/namespaces/cert-manager/services/cert-manager-webhook' && state.service) {
    return { status: 200, body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'cert-manager-webhook', namespace: 'cert-manager' }, spec: { type: 'ClusterIP', selector: { 'app.kubernetes.io/name': 'webhook' }, ports: [{ name: 'https', port: 443, targetPort: 'https' }] } } };
  }
  if (path === '/apis/discovery.k8s.io/v1/namespaces/cert-manager/endpointslices' && state.service) {
    return { status: 200, body: list('EndpointSliceList', [{ metadata: { name: 'cert-manager-webhook-x7k2p', labels: { 'kubernetes.io/service-name': 'cert-manager-webhook' } }, addressType: 'IPv4',
      endpoints: [{ addresses: ['10.244.3.17'], conditions: { ready: state.ready, serving: state.ready, terminating: false } }], ports: [{ name: 'https', port: 10250, protocol: 'TCP' }] }]) };
  }
  return { status: 404, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' } };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const a = req.headers.authorization === `Bearer ${TOKEN}` ? route((req.url ?? '').split('?')[0]!) : { status: 401, body: { kind: 'Status', code: 401, reason: 'Unauthorized' } };
    res.writeHead(a.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(a.body));
  });
  await new Promise<void>((r) => server.listen(PORT, '127.0.0.1', r));
  writeFileSync(join(dir, 'kubeconfig'), stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'x', cluster: { server: `http://127.0.0.1:${PORT}` } }], users: [{ name: 'u', user: { token: TOKEN } }], contexts: [{ name: 'c', context: { cluster: 'x', user: 'u' } }], 'current-context': 'c' }));
  writeFileSync(join(dir, 'values.yaml'), stringify({ configuration: { database: { host: 'db.hyr.test' } },
    ingress: { create: true, host: 'flyte.test', ingressClassName: 'nginx', commonAnnotations: { 'cert-manager.io/cluster-issuer': 'hy-r-le' }, tls: [{ secretName: 'hy-r-tls', hosts: ['flyte.test'] }] } }));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

const target = () => loadTarget({ values: ['values.yaml'], set: [], env: {}, cwd: dir, home: join(dir, 'home'), kubeconfig: join(dir, 'kubeconfig'), namespace: NS });
const check = async () => (await runCheck('kubernetes.objects.certmanager', target(), { phase: 'preflight' })).result;

describe.sequential('hy-r: cert-manager\'s own webhook without endpoints', () => {
  it('its Service has no ready endpoints: fail, the Service named, although the ClusterIssuer is Ready', async () => {
    Object.assign(state, { vwc: 'ok', service: true, ready: false });
    const r = await check();
    expect(r, r.message).toMatchObject({ status: 'fail', messageId: 'webhookUnavailable', cause: 'object:service/cert-manager/cert-manager-webhook' });
    expect(r.message).toContain('calls Service cert-manager/cert-manager-webhook, which has no ready endpoints (1 not ready)');
    expect(JSON.stringify(r.details)).toContain('ClusterIssuer hy-r-le exists and is Ready');
    expect(r.hint).toContain('kubectl -n cert-manager rollout status deploy/cert-manager-webhook');
  });

  it('its Service is gone (cert-manager uninstalled, configuration left): delete the leftover or reinstall', async () => {
    Object.assign(state, { vwc: 'ok', service: false, ready: false });
    const r = await check();
    expect(r, r.message).toMatchObject({ status: 'fail', messageId: 'webhookUnavailable' });
    expect(r.message).toContain('which does not exist');
    expect(r.hint).toContain('kubectl delete validatingwebhookconfiguration cert-manager-webhook');
  });

  it('ready endpoints, or configurations that may not be listed: the issuer decides (pass)', async () => {
    Object.assign(state, { vwc: 'ok', service: true, ready: true });
    expect((await check())).toMatchObject({ status: 'pass', messageId: 'issuerReady' });
    Object.assign(state, { vwc: 'forbidden', service: true, ready: false });
    expect((await check())).toMatchObject({ status: 'pass', messageId: 'issuerReady' });
  });
});
