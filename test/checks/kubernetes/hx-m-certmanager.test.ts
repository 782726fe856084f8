// kubernetes.objects.certmanager with a ClusterIssuer whose Ready condition is stale
// (observedGeneration < metadata.generation: its spec changed and no cert-manager controller
// processed it), served by an API server of our own on 127.0.0.1: the cert-manager CRDs on the shared
// test bed belong to objects.certmanager.test.ts, which installs and removes them.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTarget } from '../../../src/config/load.js';
import { startApiServer, type ApiServer } from '../../harness/api-server.js';
import { runCheck } from '../../harness/run-check.js';

const NS = 'hx-m-cm';
const dir = mkdtempSync(join(tmpdir(), 'hx-m-cm-'));
mkdirSync(join(dir, 'home'));
let issuer: Record<string, unknown> = {};
let server: ApiServer;
let kubeconfig: string;

beforeAll(async () => {
  server = await startApiServer(dir, { token: 'hx-m-token-7777', route: (path) => {
    if (path === `/api/v1/namespaces/${NS}`) return { status: 200, body: { kind: 'Namespace', apiVersion: 'v1', metadata: { name: NS }, status: { phase: 'Active' } } };
    if (path === '/apis/cert-manager.io/v1') return { status: 200, body: { kind: 'APIResourceList', groupVersion: 'cert-manager.io/v1', resources: ['certificates', 'issuers', 'clusterissuers'].map((name) => ({ name, namespaced: name !== 'clusterissuers', kind: 'X', verbs: ['get', 'list'] })) } };
    if (path === '/apis/cert-manager.io/v1/clusterissuers/hx-m-le') return { status: 200, body: issuer };
    return undefined;
  } });
  kubeconfig = server.kubeconfig;
  writeFileSync(join(dir, 'values.yaml'), stringify({ configuration: { database: { host: 'db.hxm.test' } },
    ingress: { create: true, host: 'flyte.test', ingressClassName: 'nginx', commonAnnotations: { 'cert-manager.io/cluster-issuer': 'hx-m-le' }, tls: [{ secretName: 'hx-m-tls', hosts: ['flyte.test'] }] } }));
});
afterAll(async () => { await server.stop(); });

const target = () => loadTarget({ values: ['values.yaml'], set: [], env: {}, cwd: dir, home: join(dir, 'home'), kubeconfig, namespace: NS });
const ACME = { acme: { server: 'https://acme-v02.api.letsencrypt.org/directory', email: 'ops@hxm.test', privateKeySecretRef: { name: 'hx-m-acme' }, solvers: [{ http01: { ingress: { ingressClassName: 'nginx' } } }] } };
const withReady = (generation: number, observedGeneration: number, status: string) => ({ apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'hx-m-le', generation }, spec: ACME,
  status: { conditions: [{ type: 'Ready', status, reason: status === 'True' ? 'ACMEAccountRegistered' : 'ErrRegisterACMEAccount', message: status === 'True' ? 'The ACME account was registered with the ACME server' : 'Failed to register ACME account: 400 invalidContact', observedGeneration }] } });

describe('a ClusterIssuer whose Ready condition is of an older generation', () => {
  it('Ready=True of generation 1 while the spec is at 2: warn (cannot be judged), not pass', async () => {
    issuer = withReady(2, 1, 'True');
    const { result: r } = await runCheck('kubernetes.objects.certmanager', target());
    expect(r).toMatchObject({ status: 'warn', messageId: 'issuerStale', cause: 'object:clusterissuer/hx-m-le' });
    expect(r.message).toContain('says Ready=True (ACMEAccountRegistered: The ACME account was registered with the ACME server) for generation 1, but its spec is at generation 2');
    expect(r.hint).toContain('kubectl get pods -n cert-manager');
  });

  it('Ready=False of an older generation: warn, not a confident fail on a message about the old spec', async () => {
    issuer = withReady(3, 2, 'False');
    expect((await runCheck('kubernetes.objects.certmanager', target())).result).toMatchObject({ status: 'warn', messageId: 'issuerStale' });
  });

  it('a current Ready=True still passes; a current Ready=False still fails', async () => {
    issuer = withReady(2, 2, 'True');
    expect((await runCheck('kubernetes.objects.certmanager', target())).result).toMatchObject({ status: 'pass', messageId: 'issuerReady' });
    issuer = withReady(2, 2, 'False');
    expect((await runCheck('kubernetes.objects.certmanager', target())).result).toMatchObject({ status: 'fail', messageId: 'issuerNotReady' });
  });
});
