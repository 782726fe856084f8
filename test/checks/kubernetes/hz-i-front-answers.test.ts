// What stands in front of the Kubernetes API server answers for itself: a status without the Status object
// every kube-apiserver answer carries (a captive portal's 511, a filter's 451, a proxy's 407/408, a CDN's
// 520-530, a protocol fault's 421/426/505, nginx's 494-497) is the front's finding (frontAnswered /
// apiFrontAnswered, cause front-auth:<host:port>) with the reading of src/clients/answers.ts, never "the
// token expired", "the API server failed" or "check the server URL". The API server's own answers (Status
// objects, and its plain-text "404 page not found") keep their findings. Raw TLS server of
// test/checks/ingress/hz-c-rows.ts on port 30900 (helper i).
import type { Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frontAnswer, statusFault } from '../../../src/clients/answers.js';
import type { CheckResult } from '../../../src/engine/types.js';
import { runSelection } from '../../harness/run-check.js';
import { makeTarget } from '../../harness/target.js';
import { getTestbed } from '../../harness/testbed.js';
import { ROWS, answer, json, startRawTls, type Row } from '../ingress/hz-c-rows.js';

const PORT = 30900;
const TOKEN = 'hz-i-kube-token-7713';
let row: Row = ROWS[0]!;
let target: string | undefined;
let srv: { stop: () => Promise<void> };
let dir = '';
let kubeconfig = '';

function healthy(s: Socket, path: string): void {
  if (path === '/version') return json(s, { major: '1', minor: '33', gitVersion: 'v1.33.1' });
  if (path === '/api') return json(s, { kind: 'APIVersions', versions: ['v1'] });
  if (path.startsWith('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews')) return json(s, { kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', status: { allowed: true } });
  return json(s, { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [] });
}

beforeAll(async () => {
  srv = await startRawTls(PORT, () => row, { target: () => target, healthy });
  dir = mkdtempSync(join(tmpdir(), 'hz-i-kube-'));
  kubeconfig = join(dir, 'config');
  writeFileSync(kubeconfig, stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'hz', cluster: { server: `https://127.0.0.1:${PORT}`, 'certificate-authority': getTestbed().caCert } }], users: [{ name: 'u', user: { token: TOKEN } }], contexts: [{ name: 'hz', context: { cluster: 'hz', user: 'u' } }], 'current-context': 'hz' }));
});
afterAll(async () => { await srv?.stop(); rmSync(dir, { recursive: true, force: true }); });

async function check(id: string, r: Row): Promise<CheckResult> {
  row = r;
  const t = makeTarget({ chart: 'flyte-binary', kubernetes: { kubeconfigPath: kubeconfig, namespace: 'flyte', release: 'flyte' } } as never);
  const x = (await runSelection(t, 'preflight', [id], { timeoutMs: 6000 })).results.find((y) => y.id === id)!;
  expect(JSON.stringify(x)).not.toContain(TOKEN);
  return x;
}
const brief = (x: CheckResult) => `${x.id} ${x.status} ${x.messageId}: ${x.message} | ${x.hint ?? ''}`;
const byName = (n: string) => ROWS.find((r) => r.name === n)!;
const kubeStatus = (code: number, reason: string, message: string): Row => ({ name: `Status ${reason}`, status: code, send: (s: Socket) => answer(code, { 'content-type': 'application/json' }, JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }))(s) });

/** The reading answers.ts gives a status: its text, and the fix (the network's own, or the fault's). */
function reading(status: number): { text: string; fix?: string } {
  const f = frontAnswer({ status }, { subject: 'the API server' });
  const sf = statusFault({ status }, '127.0.0.1');
  return { text: (f?.text ?? sf?.text)!, ...(sf?.fix ? { fix: sf.fix } : {}) };
}
const NETWORK_FIX: Record<number, RegExp> = { 511: /log in to the network/, 451: /have the proxy or filter let 127\.0\.0\.1 through/, 407: /give this machine the proxy's credentials/, 561: /authenticate-oidc/ };

const FRONT_MID = ['401 bare', '403', '407', '408', '410', '451', '505', '511', '520', '521', '522', '523', '524', '525', '526', '530', '561'];
describe('a check in the middle (kubernetes.namespace.exists): a bare answer from the front is apiFrontAnswered', () => {
  for (const n of FRONT_MID) {
    it(n, async () => {
      target = '/api/v1/namespaces/flyte';
      const r = byName(n);
      const x = await check('kubernetes.namespace.exists', r);
      expect(x.messageId, brief(x)).toBe('apiFrontAnswered');
      expect(x.status).toBe('fail');
      expect(x.message, brief(x)).toContain(`HTTP ${r.status}`);
      expect(x.message).not.toMatch(/expired|the API server failed/);
      expect(x.hint).not.toMatch(/kubectl create token|get apiservices|readyz\?verbose/);
      const rd = reading(r.status);
      if (rd.text) expect(x.message).toContain(rd.text);
      if (NETWORK_FIX[r.status]) expect(x.hint).toMatch(NETWORK_FIX[r.status]!);
      else if (rd.fix) expect(x.hint).toContain(rd.fix);
      expect(x.details?.['httpStatus']).toBe(r.status);
    }, 20_000);
  }
  it('the API server\'s own 401 (a Status object) is still the credentials\' finding, with the refresh fix', async () => {
    target = '/api/v1/namespaces/flyte';
    const x = await check('kubernetes.namespace.exists', kubeStatus(401, 'Unauthorized', 'Unauthorized'));
    expect(x.messageId, brief(x)).toBe('apiUnauthorized');
    expect(x.hint).toContain('kubectl create token');
  }, 20_000);
  it('the API server\'s own 5xx (a Status object) is still apiServerError', async () => {
    target = '/api/v1/namespaces/flyte';
    const x = await check('kubernetes.namespace.exists', kubeStatus(500, 'InternalError', 'Internal error occurred: etcdserver: request timed out'));
    expect(x.messageId, brief(x)).toBe('apiServerError');
  }, 20_000);
});

// nginx answers its 494-497 with the status line "400 Bad Request" and names them only in the page
const nginx400 = (title: string): Row => ({ name: `400 ${title}`, status: 400, send: answer(400, { 'content-type': 'text/html', server: 'nginx' }, `<html>\r\n<head><title>400 ${title}</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>${title}</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`) });
describe('nginx in front asking for a client certificate (400 with its 496/495/494 page): the mTLS or size reading, not "check the server URL"', () => {
  for (const [title, re] of [['No required SSL certificate was sent', /client certificate \(mutual TLS\)/], ['The SSL certificate error', /client certificate is not valid/], ['Request Header Or Cookie Too Large', /refuses the size of the request/]] as const) {
    for (const id of ['kubernetes.api.reachable', 'kubernetes.namespace.exists']) {
      it(`${id}: ${title}`, async () => {
        target = id === 'kubernetes.api.reachable' ? '/version' : '/api/v1/namespaces/flyte';
        const x = await check(id, nginx400(title));
        expect(x.messageId, brief(x)).toBe(id === 'kubernetes.api.reachable' ? 'frontAnswered' : 'apiFrontAnswered');
        expect(x.message, brief(x)).toMatch(re);
        expect(x.hint, brief(x)).toMatch(/ssl_verify_client|large_client_header_buffers/);
      }, 20_000);
    }
  }
});

const FRONT_VERSION = ['407', '408', '410', '421', '426', '451', '494', '495', '496', '497', '505', '508', '520', '521', '522', '523', '524', '525', '526', '530', '511', '561'];
describe('kubernetes.api.reachable: /version answered by the front is frontAnswered with the reading of its status', () => {
  for (const n of FRONT_VERSION) {
    it(n, async () => {
      target = '/version';
      const r = byName(n);
      const x = await check('kubernetes.api.reachable', r);
      expect(x.messageId, brief(x)).toBe('frontAnswered');
      expect(x.message).toContain(`HTTP ${r.status}`);
      expect(x.hint).not.toMatch(/check the server URL/);
      const rd = reading(r.status);
      expect(x.message, brief(x)).toContain(rd.text);
      if (NETWORK_FIX[r.status]) expect(x.hint).toMatch(NETWORK_FIX[r.status]!);
      else if (rd.fix) expect(x.hint, brief(x)).toContain(rd.fix);
    }, 20_000);
  }
  it('a plain 404 stays notKubernetes (a wrong path or another HTTP server)', async () => {
    target = '/version';
    const x = await check('kubernetes.api.reachable', byName('404'));
    expect(x.messageId, brief(x)).toBe('notKubernetes');
  }, 20_000);
});
