// The HTTP status space against the Kubernetes API client: a raw TLS "API server" of our own (the test
// bed's CA in the kubeconfig) answers GET /version (kubernetes.api.reachable) or a GET of one object
// (kubernetes.namespace.exists) with each status of the list, and with Status objects of each reason
// (Unauthorized, Forbidden, NotFound, Expired/Gone, TooManyRequests, ServiceUnavailable, Timeout,
// InternalError). No row may end as `error` or `pass`. A row marked KNOWN would be wrong today: it runs as
// `it.fails`, so that the table flips red once its fix lands and the mark must go (none left).
// Port 30302 (helper c).
import type { Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../src/engine/types.js';
import { runSelection } from '../../harness/run-check.js';
import { makeTarget } from '../../harness/target.js';
import { getTestbed } from '../../harness/testbed.js';
import { ROWS, answer, json, startRawTls, type Row } from '../ingress/hz-c-rows.js';

const PORT = 30302;
const TOKEN = 'hz-c-kube-token-5521';
let row: Row = ROWS[0]!;
let target: string | undefined;
let srv: { stop: () => Promise<void> };
let dir = '';
let kubeconfig = '';

const status = (code: number, reason: string, message: string): Row => ({ name: `Status ${reason}`, status: code, send: (s: Socket) => answer(code, { 'content-type': 'application/json' }, JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }))(s) });
const STATUS_ROWS: Row[] = [
  status(401, 'Unauthorized', 'Unauthorized'), status(403, 'Forbidden', 'namespaces "flyte" is forbidden: User "x" cannot get resource "namespaces" in API group "" in the namespace "flyte"'),
  status(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result.'), status(410, 'Gone', 'too old resource version: 1 (2)'),
  status(429, 'TooManyRequests', 'Too many requests, please try again later.'), status(503, 'ServiceUnavailable', 'the server is currently unable to handle the request'),
  status(504, 'Timeout', 'the server was unable to return a response in the time allotted, but may still be processing the request'), status(500, 'InternalError', 'Internal error occurred: etcdserver: request timed out'),
];
const NOT_FOUND = status(404, 'NotFound', 'namespaces "flyte" not found');

function healthy(s: Socket, path: string): void {
  if (path === '/version') return json(s, { major: '1', minor: '33', gitVersion: 'v1.33.1' });
  if (path === '/api') return json(s, { kind: 'APIVersions', versions: ['v1'] });
  if (path.startsWith('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews')) return json(s, { kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', status: { allowed: true } });
  return json(s, { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [] });
}

beforeAll(async () => {
  srv = await startRawTls(PORT, () => row, { target: () => target, healthy });
  dir = mkdtempSync(join(tmpdir(), 'hz-c-kube-'));
  kubeconfig = join(dir, 'config');
  writeFileSync(kubeconfig, stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'hz', cluster: { server: `https://127.0.0.1:${PORT}`, 'certificate-authority': getTestbed().caCert } }], users: [{ name: 'u', user: { token: TOKEN } }], contexts: [{ name: 'hz', context: { cluster: 'hz', user: 'u' } }], 'current-context': 'hz' }));
});
afterAll(async () => { await srv?.stop(); rmSync(dir, { recursive: true, force: true }); });

async function check(id: string, r: Row): Promise<CheckResult> {
  row = r;
  const t = makeTarget({ chart: 'flyte-binary', kubernetes: { kubeconfigPath: kubeconfig, namespace: 'flyte', release: 'flyte' } } as never);
  const x = (await runSelection(t, 'preflight', [id], { timeoutMs: 6000 })).results.find((y) => y.id === id)!;
  const brief = `${x.id} ${x.status} ${x.messageId}: ${x.message} | ${x.hint ?? ''}`;
  expect(x.status, brief).not.toBe('error');
  expect(x.status, brief).not.toBe('pass');
  expect(x.hint, brief).toBeTruthy();
  expect(JSON.stringify(x)).not.toContain(TOKEN);
  return x;
}

// wrong today (see helper c's report for the patches to src/clients/kube.ts and checks/kubernetes/_support.ts)
const KNOWN_REACHABLE = new Set<string>([]); // (101: Node emits 'upgrade', no 'response': fixed in kube.ts rawRequest)
const KNOWN_GET = new Set<string>([]); // (201/202 "{}" and a proxy's HTML 404: fixed in kube.ts get/getOptional)

describe('kubernetes.api.reachable: each status of GET /version', () => {
  for (const r of [...ROWS, ...STATUS_ROWS, NOT_FOUND]) {
    (KNOWN_REACHABLE.has(r.name) ? it.fails : it)(r.name, async () => {
      target = '/version';
      const x = await check('kubernetes.api.reachable', r);
      // a Status object is the API server's own answer; a bare 401/403 is what stands in front of it
      if (r.name === 'Status Unauthorized') expect(x.messageId).toBe('unauthorized');
      if (r.name === '401 bare' || r.name === '403') expect(x.messageId).toBe('frontAnswered');
      if (r.status === 511) expect(x.hint).toMatch(/log in to the network/);
      if (r.status === 561) expect(x.hint).toMatch(/authenticate/);
    }, 20_000);
  }
});

describe('kubernetes.namespace.exists: each status of GET /api/v1/namespaces/flyte', () => {
  for (const r of [...ROWS, ...STATUS_ROWS]) {
    (KNOWN_GET.has(r.name) ? it.fails : it)(r.name, async () => {
      target = '/api/v1/namespaces/flyte';
      const x = await check('kubernetes.namespace.exists', r);
      if (r.name === 'Status TooManyRequests') expect(x.messageId).toBe('apiThrottled');
      if (r.name === 'Status InternalError') expect(x.messageId).toBe('apiServerError');
    }, 20_000);
  }
});
