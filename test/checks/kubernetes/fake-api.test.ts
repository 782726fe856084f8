// A misbehaving Kubernetes API server of our own (an in-test HTTP server): odd JSON shapes on every
// path, HTML and empty answers, 401/403/404/429/5xx in the middle of a run, and the wrong thing on
// the API port (plain HTTP given as https, the TLS API given as http, an SSH banner). Every
// Kubernetes-reading check (kubernetes.*, flyte.* component checks, dns.ingress.address) must end
// as a finding with a declared messageId: never `error`, never a TypeError.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinChecks } from '../../../checks/index.js';
import type { Target } from '../../../src/config/target.js';
import type { CheckResult } from '../../../src/engine/types.js';
import { impostors, startHttp, startTcp, type Running } from '../../harness/private-servers.js';
import { runCheck, runSelection } from '../../harness/run-check.js';
import { makeTarget } from '../../harness/target.js';
import { getTestbed } from '../../harness/testbed.js';

type Mode = { name: string; handle: (path: string, req: IncomingMessage) => { status?: number; body: unknown; raw?: boolean; type?: string } | undefined };

const VERSION = { major: '1', minor: '33', gitVersion: 'v1.33.13' };
const APIS = { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
const sent = (req: IncomingMessage) => req.headers.authorization ?? '';

/** Objects with every field the checks read set to the wrong type. */
const wrongTypes = {
  metadata: { name: 'flyte-flyte-binary', generation: 'two', labels: 'x', deletionTimestamp: 5, finalizers: 'f' },
  spec: { replicas: '1', selector: 'app=x', template: 7, containers: { a: 1 }, initContainers: 'no', taints: 'none', ports: { port: 443 }, versions: 'v1alpha1', selector2: null, nodeName: 9, unschedulable: 'yes', rules: 'r', tls: 3 },
  status: { conditions: 'Ready', availableReplicas: '1', observedGeneration: null, containerStatuses: 5, initContainerStatuses: { x: 1 }, phase: 7, allocatable: 'lots', loadBalancer: { ingress: 'x' }, allowed: 'yes' },
  webhooks: 'w', subsets: 'none', endpoints: 'e', involvedObject: 1, reason: {}, message: [],
};
const list = (items: unknown[]) => ({ kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items });

const MODES: Mode[] = [
  { name: 'an object where a list is expected', handle: (p) => (isList(p) ? { body: { kind: 'Pod', metadata: { name: 'x' } } } : undefined) },
  { name: '"items" that is not an array', handle: (p) => (isList(p) ? { body: { kind: 'List', items: { a: 1 } } } : undefined) },
  { name: 'items without metadata', handle: (p) => (isList(p) ? { body: list([1, null, 'x', {}, { metadata: null }]) } : undefined) },
  { name: 'objects with null status and spec', handle: (p) => ({ body: isList(p) ? list([{ metadata: { name: 'flyte-flyte-binary' }, spec: null, status: null }]) : { metadata: { name: 'x' }, spec: null, status: null, webhooks: null } }) },
  { name: 'every field of the wrong type', handle: (p) => ({ body: isList(p) ? list([wrongTypes, { ...wrongTypes, metadata: { name: 'flyte-flyte-binary-http', labels: { 'kubernetes.io/service-name': 5 } } }]) : wrongTypes }) },
  { name: 'a valid unready Deployment whose pods, events, Services and endpoints have odd shapes', handle: (p) => {
    const path = p.split('?')[0]!;
    const dep = { metadata: { name: 'flyte-flyte-binary', generation: 2, labels: { 'app.kubernetes.io/name': 'flyte-binary' } }, spec: { replicas: 1, selector: { matchLabels: { 'app.kubernetes.io/name': 'flyte-binary' } }, template: { metadata: { labels: { 'app.kubernetes.io/name': 'flyte-binary' } } } }, status: { observedGeneration: 1, conditions: [null, 5, { type: 'Progressing', status: 'False', reason: 7 }] } };
    const oddPod = (name: string, status: unknown) => ({ metadata: { name, deletionTimestamp: null }, spec: { initContainers: 'x', containers: [null, { name: 5 }] }, status });
    if (path.endsWith('/deployments/flyte-flyte-binary')) return { body: dep };
    if (path.endsWith('/deployments')) return { body: list([dep]) };
    if (path.endsWith('/pods')) return { body: list([
      oddPod('a', { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: null, message: 42 }] }),
      oddPod('b', { phase: 'Running', containerStatuses: [{ name: null, state: { waiting: 'x' } }, { state: { terminated: { exitCode: 'one' } } }, 7] }),
      oddPod('c', { phase: 'Running', initContainerStatuses: [{ name: 'wait-for-db', state: { running: {} } }], conditions: 'no' }),
      oddPod('d', null),
    ]) };
    if (path.endsWith('/events')) return { body: list([{ metadata: { name: 'e' }, reason: null, message: { a: 1 }, type: 7 }, { metadata: { name: 'f' }, reason: 'FailedScheduling', message: null, count: 'x', series: 5 }]) };
    if (path.endsWith('/services')) return { body: list([{ metadata: { name: 'flyte-flyte-binary-http' }, spec: { selector: { 'app.kubernetes.io/name': 'flyte-binary' }, ports: 'p' } }]) };
    if (path.endsWith('/endpointslices')) return { body: list([{ metadata: { name: 's', labels: { 'kubernetes.io/service-name': 'flyte-flyte-binary-http' } }, endpoints: [null, { addresses: 'x', conditions: 5 }] }]) };
    if (path.endsWith('/endpoints')) return { body: list([{ metadata: { name: 'flyte-flyte-binary-http' }, subsets: [null, { addresses: 3 }] }]) };
    if (path.includes('/log')) return { body: 12345 };
    return undefined;
  } },
  { name: 'a 200 with an HTML page', handle: () => ({ body: '<!DOCTYPE html><html><body>Welcome to nginx!</body></html>', raw: true, type: 'text/html' }) },
  { name: 'a 200 with an empty body', handle: () => ({ body: '', raw: true }) },
  { name: 'a JSON array at the top', handle: () => ({ body: [1, 2, 3] }) },
  { name: 'a pagination that never ends', handle: (p) => (isList(p) ? { body: { kind: 'List', metadata: { continue: 'same-token' }, items: [] } } : undefined) },
  { name: '401 after discovery', handle: () => ({ status: 401, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 } }) },
  { name: '403 after discovery', handle: (p) => ({ status: 403, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `pods is forbidden: User "someone" cannot list resource "pods" in API group "" in the namespace "flyte"`, reason: 'Forbidden', details: { kind: 'pods' }, code: 403, path: p } }) },
  { name: '404 after discovery', handle: () => ({ status: 404, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', code: 404 } }) },
  { name: '429 after discovery', handle: () => ({ status: 429, body: { kind: 'Status', message: 'Too many requests, please try again later.', reason: 'TooManyRequests', code: 429 } }) },
  { name: '500 after discovery', handle: () => ({ status: 500, body: { kind: 'Status', message: 'etcdserver: request timed out', reason: 'InternalError', code: 500 } }) },
  { name: '503 with a proxy page', handle: () => ({ status: 503, body: '<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>', raw: true, type: 'text/html' }) },
  { name: '410 Gone on a list', handle: (p) => (isList(p) ? { status: 410, body: { kind: 'Status', message: 'The provided continue parameter is too old', reason: 'Expired', code: 410 } } : undefined) },
  { name: 'SelfSubjectAccessReviews without status', handle: (p) => (p.includes('selfsubjectaccessreviews') ? { status: 201, body: { kind: 'SelfSubjectAccessReview', status: 'allowed' } } : undefined) },
];

function isList(p: string): boolean {
  const path = p.split('?')[0]!;
  return /\/(pods|nodes|deployments|services|endpoints|endpointslices|events|ingresses|replicasets)$/.test(path);
}

let current: Mode | undefined;
let server: Running;
let kubeconfig: string;

function handler(req: IncomingMessage, res: ServerResponse): void {
  const p = req.url ?? '/';
  const send = (status: number, body: unknown, raw = false, type = 'application/json') => { res.writeHead(status, { 'content-type': type }); res.end(raw ? String(body) : JSON.stringify(body)); };
  if (p === '/version') return send(200, VERSION);
  if (p === '/api') return send(200, APIS);
  const r = current?.handle(p, req);
  if (r) return send(r.status ?? 200, r.body, r.raw, r.type);
  return send(404, { kind: 'Status', message: 'not found', reason: 'NotFound', code: 404, auth: sent(req) });
}

const target = (over: Partial<Target> = {}): Target => makeTarget({
  chart: 'flyte-binary', dnsServer: getTestbed().dns.server,
  ingress: { host: 'flyte.test', httpUrl: 'https://flyte.test', enabled: true, annotations: {}, grpcAnnotations: {}, separateGrpcIngress: true, tls: true, valuesKey: 'ingress' },
  ...over,
  kubernetes: { kubeconfigPath: kubeconfig, namespace: 'flyte', release: 'flyte', ...(over.kubernetes ?? {}) },
} as never);

const KUBE_CHECKS = builtinChecks.filter((c) => c.id.startsWith('kubernetes.') || (c.id.startsWith('flyte.') && !c.id.startsWith('flyte.admin.')) || c.id === 'dns.ingress.address').map((c) => c.id);

function writeKubeconfig(server: string, extra: Record<string, unknown> = {}): string {
  const d = mkdtempSync(join(tmpdir(), 'fd-k8s-fake-'));
  const f = join(d, 'config');
  writeFileSync(f, stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'fake', cluster: { server, ...extra } }], users: [{ name: 'someone', user: { token: 'fake-api-token-1234' } }], contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'someone' } }], 'current-context': 'fake' }));
  return f;
}

beforeAll(async () => {
  server = await startHttp((req, res) => handler(req, res));
  kubeconfig = writeKubeconfig(`http://127.0.0.1:${server.port}`);
});
afterAll(async () => { await server.stop(); });

const noError = (results: CheckResult[], label: string) => {
  const bad = results.filter((r) => r.status === 'error' || r.messageId === 'exception');
  expect(bad.map((r) => `${r.id} ${r.status} ${r.messageId}: ${r.message}`), label).toEqual([]);
};

describe('a misbehaving Kubernetes API server: every check ends as a finding', () => {
  for (const mode of MODES) {
    it(mode.name, async () => {
      current = mode;
      try {
        for (const phase of ['preflight', 'verify'] as const) {
          const run = await runSelection(target(), phase, KUBE_CHECKS, { timeoutMs: 5000 });
          noError(run.results, `${mode.name} (${phase})`);
          // the TypeError safety net of withKube must not be what catches an odd shape: the checks validate
          expect(run.results.filter((r) => /with a shape a Kubernetes API server does not send/.test(r.message)).map((r) => `${r.id}: ${r.message}`), mode.name).toEqual([]);
          expect(run.results.find((r) => r.id === 'kubernetes.api.reachable')!.status).toBe('pass');
          // at least one check read the odd answer and said so
          expect(run.results.filter((r) => r.status === 'fail' || r.status === 'warn').length, `${mode.name} (${phase})`).toBeGreaterThan(0);
          for (const r of run.results) if (r.status === 'fail' || r.status === 'warn') expect(r.hint, `${r.id}: ${r.message}`).toBeTruthy();
        }
      } finally { current = undefined; }
    });
  }

  it('the fault classes carry their own finding in a dependent check', async () => {
    const id = async (modeName: string, check = 'flyte.deployments.ready') => {
      current = MODES.find((m) => m.name === modeName)!;
      try { return (await runCheck(check, target(), { phase: check.startsWith('flyte') || check.startsWith('dns') ? 'verify' : 'preflight' })).result; } finally { current = undefined; }
    };
    expect((await id('401 after discovery')).messageId).toBe('apiUnauthorized');
    const f = await id('403 after discovery');
    expect(f).toMatchObject({ status: 'warn', messageId: 'apiForbidden' });
    expect(f.message).toContain('may not list pods in namespace flyte');
    expect(f.hint).toContain('auth can-i list pods -n flyte');
    expect((await id('429 after discovery')).messageId).toBe('apiThrottled');
    expect((await id('500 after discovery'))).toMatchObject({ messageId: 'apiServerError', cause: 'backend:kube-apiserver' });
    expect((await id('a 200 with an HTML page')).messageId).toBe('apiBadResponse');
    expect((await id('a pagination that never ends')).message).toContain('continue token');
    expect((await id('SelfSubjectAccessReviews without status', 'kubernetes.rbac.install')).messageId).toBe('apiBadResponse');
  });
});

describe('a crash-looping pod whose status has no termination message: its previous log says why', () => {
  it('reads the log (bounded) and names the database password as the cause', async () => {
    const dep = { metadata: { name: 'flyte-flyte-binary', generation: 1, labels: { 'app.kubernetes.io/name': 'flyte-binary', 'app.kubernetes.io/instance': 'flyte' } }, spec: { replicas: 1, selector: { matchLabels: { 'app.kubernetes.io/name': 'flyte-binary' } } }, status: { observedGeneration: 1, availableReplicas: 0 } };
    const podObj = { metadata: { name: 'flyte-flyte-binary-abc' }, spec: { containers: [{ name: 'flyte', image: 'flyte:1' }] }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: [{ name: 'flyte', ready: false, restartCount: 6, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { reason: 'Error', exitCode: 1 } } }] } };
    const logs: string[] = [];
    current = { name: 'log', handle: (p) => {
      if (p.includes('/log?')) { logs.push(p); return { body: '{"level":"info","msg":"starting"}\n{"level":"fatal","msg":"failed to connect to `host=db.example user=flyte database=flyteadmin`: server error (FATAL: password authentication failed for user \\"flyte\\" (SQLSTATE 28P01))"}\n', raw: true, type: 'text/plain' }; }
      if (p.includes('/deployments/flyte-flyte-binary')) return { body: dep };
      if (p.split('?')[0]!.endsWith('/deployments')) return { body: list([dep]) };
      if (p.split('?')[0]!.endsWith('/pods')) return { body: list([podObj]) };
      if (p.split('?')[0]!.endsWith('/events')) return { body: list([]) };
      return undefined;
    } };
    try {
      const t = target({ databases: [{ role: 'flyteadmin', host: 'db.example', port: 5432, dbname: 'flyteadmin', user: 'flyte', valuesKey: 'configuration.database' }] as never });
      const { result } = await runCheck('flyte.deployments.ready', t, { phase: 'verify' });
      expect(result).toMatchObject({ status: 'fail', messageId: 'crashLooping', cause: 'credentials:postgres:flyte@db.example:5432' });
      expect(result.message).toContain('log: {"level":"fatal","msg":"failed to connect to');
      expect(result.hint).toContain('configuration.database.password');
      expect(logs[0]).toContain('container=flyte&previous=true&tailLines=80');
    } finally { current = undefined; }
  });
});

describe('CRD states from a server of our own (the shared CRD is never touched)', () => {
  const crd = (status: unknown, extra: Record<string, unknown> = {}) => ({ name: 'crd', handle: (p: string) => (p.startsWith('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/flyteworkflows') ? { body: { kind: 'CustomResourceDefinition', metadata: { name: 'flyteworkflows.flyte.lyft.com', ...extra }, spec: { versions: [{ name: 'v1alpha1', served: true }] }, status } } : undefined) });
  const check = async (mode: Mode, chart: 'flyte-binary' | 'flyte-core' = 'flyte-binary') => { current = mode; try { return (await runCheck('flyte.crd.established', target({ chart }), { phase: 'verify' })).result; } finally { current = undefined; } };
  it('missing (chart-specific fix), not Established, names not accepted, being deleted, Flyte 2', async () => {
    const missing = await check({ name: 'none', handle: () => undefined });
    expect(missing).toMatchObject({ status: 'fail', messageId: 'crdMissing' });
    expect(missing.hint).toContain('configuration.propeller.createCRDs');
    expect((await check({ name: 'none', handle: () => undefined }, 'flyte-core')).hint).toContain('--show-only templates/propeller/crds/flyteworkflow.yaml'); // the chart's template, not a crds/ file it does not have
    const notEst = await check(crd({ conditions: [{ type: 'NamesAccepted', status: 'True', reason: 'NoConflicts' }, { type: 'Established', status: 'False', reason: 'Installing', message: 'the initial names have not been accepted' }] }));
    expect(notEst).toMatchObject({ status: 'fail', messageId: 'notEstablished' });
    expect(notEst.message).toContain('Established=False (Installing: the initial names have not been accepted)');
    const names = await check(crd({ conditions: [{ type: 'NamesAccepted', status: 'False', reason: 'KindConflict', message: '"FlyteWorkflow" is already in use' }] }));
    expect(names).toMatchObject({ status: 'fail', messageId: 'namesNotAccepted' });
    expect(names.message).toContain('KindConflict');
    const term = await check(crd({ conditions: [{ type: 'Established', status: 'True' }, { type: 'Terminating', status: 'True', reason: 'InstanceDeletionInProgress', message: 'CustomResource deletion is in progress' }] }, { deletionTimestamp: '2026-11-01T00:00:00Z' }));
    expect(term).toMatchObject({ status: 'fail', messageId: 'terminating' });
    const v2 = await check({ name: 'v2', handle: (p) => (p.includes('taskactions.flyte.org') ? { body: { kind: 'CustomResourceDefinition', metadata: { name: 'taskactions.flyte.org' } } } : undefined) });
    expect(v2).toMatchObject({ status: 'fail', messageId: 'flyte2Installed' });
    const ok = await check(crd({ conditions: [{ type: 'Established', status: 'True' }] }));
    expect(ok).toMatchObject({ status: 'pass', messageId: 'established' });
  });
});

describe('the wrong thing on the API port', () => {
  const reach = async (server: string, extra: Record<string, unknown> = {}) => (await runCheck('kubernetes.api.reachable', makeTarget({ kubernetes: { kubeconfigPath: writeKubeconfig(server, extra), namespace: 'flyte', release: 'flyte' } } as never))).result;
  it('a plain-HTTP port given as https: "speaks plain HTTP", with the fix to use the TLS port', async () => {
    const r = await reach(`https://127.0.0.1:${server.port}`);
    expect(r).toMatchObject({ status: 'fail', messageId: 'tlsPlaintext', cause: `tls-plaintext:127.0.0.1:${server.port}` });
    expect(r.message).toContain('that port speaks plain HTTP: a plain HTTP server');
    expect(r.hint).toContain('kubectl config set-cluster fake --server=https://');
  });
  it('the TLS API port given as http://: use https', async () => {
    const r = await reach(getTestbed().kube.server.replace('https:', 'http:'));
    expect(r).toMatchObject({ status: 'fail', messageId: 'tlsExpected' });
    expect(r.message).toContain('Client sent an HTTP request to an HTTPS server');
    expect(r.hint).toContain(`--server=https://127.0.0.1:${new URL(getTestbed().kube.server).port}`);
  });
  it('an SSH server, a closed port, something silent', async () => {
    const ssh = await startTcp(impostors.ssh);
    try {
      const r = await reach(`https://127.0.0.1:${ssh.port}`);
      expect(r).toMatchObject({ status: 'fail', messageId: 'wrongService', cause: `wrong-service:127.0.0.1:${ssh.port}` });
      expect(r.message).toContain('an SSH server (SSH-2.0-OpenSSH_9.2p1)');
    } finally { await ssh.stop(); }
    expect((await reach(`https://127.0.0.1:${getTestbed().closedPort}`))).toMatchObject({ status: 'fail', messageId: 'refused' });
  });
  it('a server URL with a path (a Rancher-style proxy prefix) is kept: every request goes under it', async () => {
    const seen: string[] = [];
    const proxy = await startHttp((q, res) => {
      seen.push(q.url ?? '');
      if (q.url === '/k8s/clusters/c-1/version') { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify(VERSION)); return; }
      res.writeHead(404, { 'content-type': 'application/json' }); res.end(JSON.stringify({ kind: 'Status', status: 'Failure', code: 404, reason: 'NotFound' }));
    });
    try {
      await reach(`http://127.0.0.1:${proxy.port}/k8s/clusters/c-1/`);
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.filter((u) => !u.startsWith('/k8s/clusters/c-1/'))).toEqual([]);
      expect(seen).toContain('/k8s/clusters/c-1/version');
    } finally { await proxy.stop(); }
  });
  it('an answer whose body stops after the headers: "answered HTTP 200, then its body stopped", not "sent no HTTP answer"', async () => {
    const stall = await startHttp((_q, res) => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': '300' }); res.flushHeaders(); res.write('{"major":"1",'); });
    try {
      const r = (await runCheck('kubernetes.api.reachable', makeTarget({ kubernetes: { kubeconfigPath: writeKubeconfig(`http://127.0.0.1:${stall.port}`), namespace: 'flyte', release: 'flyte' } } as never), { timeoutMs: 2500 })).result;
      expect(r).toMatchObject({ status: 'fail', messageId: 'timeout' });
      expect(r.message).toContain(`http://127.0.0.1:${stall.port} answered GET /version with HTTP 200, then its body stopped after 13 bytes of the 300 its Content-Length announced`);
      expect(r.message).not.toContain('sent no HTTP answer');
      expect(r.details).toMatchObject({ stage: 'body', status: 200, receivedBytes: 13, contentLength: 300 });
    } finally { await stall.stop(); }
  });
  it('401/403/5xx without a Status object come from what stands in front: frontAnswered (front-auth), noApiServerBehind for a load balancer\'s 502/503/504; an API server\'s own 401 stays unauthorized', async () => {
    const plain = async (status: number, body: string, type = 'text/plain') => {
      const s = await startHttp((_q, res) => { res.writeHead(status, { 'content-type': type }); res.end(body); });
      try { return { r: await reach(`http://127.0.0.1:${s.port}`), port: s.port }; } finally { await s.stop(); }
    };
    const lb = await plain(503, '<html><body><h1>503 Service Unavailable</h1>No server is available to handle this request.</body></html>', 'text/html');
    expect(lb.r).toMatchObject({ status: 'fail', messageId: 'noApiServerBehind', cause: 'backend:kube-apiserver' });
    expect(lb.r.message).toContain('GET /version answered HTTP 503 text/html');
    expect(lb.r.hint).toMatch(/load balancer's targets/);
    for (const [status, text] of [[401, /wants its own credentials/], [403, /refuses the request/], [511, /captive portal/]] as const) {
      const x = await plain(status, `status ${status}`);
      expect(x.r, `${status}`).toMatchObject({ status: 'fail', messageId: 'frontAnswered', cause: `front-auth:127.0.0.1:${x.port}` });
      expect(x.r.message).toMatch(text);
      expect(x.r.hint).not.toMatch(/^refresh/);
    }
    const own = await plain(401, JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 }), 'application/json');
    expect(own.r.messageId).toBe('unauthorized');
  });
  it('an HTTP server that is not Kubernetes (404 on /version, HTML)', async () => {
    const web = await startHttp((_q, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<html>hello</html>'); });
    try {
      const r = await reach(`http://127.0.0.1:${web.port}`);
      expect(r).toMatchObject({ status: 'fail', messageId: 'notKubernetes' });
      expect(r.message).toContain('an HTML page (text/html) where a JSON object was expected');
    } finally { await web.stop(); }
  });
  it('discovery answered 401 / 403 (anonymous) / 500 / 429', async () => {
    const codes = async (status: number, message: string) => {
      const s = await startHttp((_q, res) => { res.writeHead(status, { 'content-type': 'application/json', 'retry-after': '30' }); res.end(JSON.stringify({ kind: 'Status', status: 'Failure', message, code: status })); });
      try { return await reach(`http://127.0.0.1:${s.port}`); } finally { await s.stop(); }
    };
    expect(await codes(401, 'Unauthorized')).toMatchObject({ messageId: 'unauthorized' });
    const anon = await codes(403, 'forbidden: User "system:anonymous" cannot get path "/version"');
    expect(anon).toMatchObject({ messageId: 'unauthorized' });
    expect(anon.message).toContain('treated the request as anonymous');
    const denied = await codes(403, 'forbidden: User "someone" cannot get path "/version"');
    expect(denied).toMatchObject({ messageId: 'forbidden' });
    expect(denied.message).toContain('may not get /version');
    expect(await codes(500, 'boom')).toMatchObject({ messageId: 'serverError' });
    expect(await codes(429, 'slow down')).toMatchObject({ status: 'warn', messageId: 'throttled' });
  });
});
