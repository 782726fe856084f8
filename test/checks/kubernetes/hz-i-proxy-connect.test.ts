// kubernetes.api.reachable through the kubeconfig's proxy-url, against a raw CONNECT responder of our own
// (127.0.0.1:30911, helper i) answering each status a forward proxy, the network in front of it or a web server
// sends to CONNECT <API server>: each gets its own reading and fix, never only "fix proxy-url or remove it".
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../src/engine/types.js';
import { runSelection } from '../../harness/run-check.js';
import { makeTarget } from '../../harness/target.js';

const PORT = 30911;
const PW = 'hz-i-proxy-pw-4471';
let line = '';
let server: Server;
const socks = new Set<Socket>();
let dir = '';

beforeAll(async () => {
  server = createServer((s) => {
    socks.add(s); s.on('close', () => socks.delete(s)); s.on('error', () => {});
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (!buf.includes('\r\n\r\n')) return;
      s.end(`${line}\r\nServer: hz-i-front\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    });
  });
  await new Promise<void>((r) => server.listen(PORT, '127.0.0.1', () => r()));
  dir = mkdtempSync(join(tmpdir(), 'hz-i-kproxy-'));
});
afterAll(async () => { for (const s of socks) s.destroy(); await new Promise<void>((r) => server.close(() => r())); rmSync(dir, { recursive: true, force: true }); });

async function reach(statusLine: string, proxyUrl = `http://127.0.0.1:${PORT}`): Promise<CheckResult & { brief: string }> {
  line = statusLine;
  const kubeconfig = join(dir, `config-${Math.random().toString(36).slice(2)}`);
  writeFileSync(kubeconfig, stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'hz', cluster: { server: 'https://kube.hz-i.test:6443', 'proxy-url': proxyUrl } }], users: [{ name: 'u', user: { token: 'hz-i-tok' } }], contexts: [{ name: 'hz', context: { cluster: 'hz', user: 'u' } }], 'current-context': 'hz' }));
  const t = makeTarget({ chart: 'flyte-binary', kubernetes: { kubeconfigPath: kubeconfig, namespace: 'flyte', release: 'flyte' } } as never);
  const x = (await runSelection(t, 'preflight', ['kubernetes.api.reachable'], { timeoutMs: 6000 })).results.find((y) => y.id === 'kubernetes.api.reachable')!;
  expect(JSON.stringify(x)).not.toContain(PW);
  return { ...x, brief: `${x.status} ${x.messageId}: ${x.message} | ${x.hint} | ${x.cause}` };
}

describe('kubernetes.api.reachable: what the proxy-url answers to CONNECT', () => {
  it('403 to port 6443: the proxy refuses the port (443 only, usually); allow it or remove proxy-url', async () => {
    const x = await reach('HTTP/1.1 403 Forbidden');
    expect(x.messageId, x.brief).toBe('proxyFailed');
    expect(x.message, x.brief).toMatch(/port 443 only; this API server listens on 6443/);
    expect(x.hint, x.brief).toMatch(/ask for CONNECT to kube\.hz-i\.test:6443 to be allowed/);
    expect(x.cause).toBe(`denied:proxy:127.0.0.1:${PORT}:CONNECT kube.hz-i.test:6443`);
  }, 20_000);
  it('407 with credentials in the URL: the credentials, not "fix or remove proxy-url"; the password is never shown', async () => {
    const x = await reach('HTTP/1.1 407 Proxy Authentication Required', `http://bob:${PW}@127.0.0.1:${PORT}`);
    expect(x.messageId, x.brief).toBe('proxyFailed');
    expect(x.hint, x.brief).toMatch(/put the proxy's user and password in proxy-url of cluster "hz"/);
    expect(x.cause).toBe(`credentials:proxy:127.0.0.1:${PORT}`);
  }, 20_000);
  it('511: a captive portal, log in to the network', async () => {
    const x = await reach('HTTP/1.1 511 Network Authentication Required');
    expect(x.message, x.brief).toContain('captive portal');
    expect(x.hint, x.brief).toMatch(/log in to the network/);
    expect(x.cause).toBe(`front-auth:127.0.0.1:${PORT}`);
  }, 20_000);
  it('302: a redirect to a login page (authenticating proxy, portal)', async () => {
    const x = await reach('HTTP/1.1 302 Found');
    expect(x.message, x.brief).toContain('a redirect (302)');
    expect(x.hint, x.brief).toMatch(/log in where the network or the proxy asks/);
    expect(x.cause).toBe(`front-auth:127.0.0.1:${PORT}`);
  }, 20_000);
  it('451: a filter blocks the API server host', async () => {
    const x = await reach('HTTP/1.1 451 Unavailable For Legal Reasons');
    expect(x.message, x.brief).toContain('a filtering proxy blocks kube.hz-i.test');
    expect(x.hint, x.brief).toMatch(/let kube\.hz-i\.test through/);
  }, 20_000);
  it('502: the proxy cannot reach a private endpoint; remove proxy-url if it is reachable directly', async () => {
    const x = await reach('HTTP/1.1 502 Bad Gateway');
    expect(x.message, x.brief).toContain('the proxy cannot reach kube.hz-i.test:6443 itself');
    expect(x.hint, x.brief).toContain('kubectl config unset clusters.hz.proxy-url');
    expect(x.cause).toBe('unreachable:kube.hz-i.test:6443');
  }, 20_000);
  for (const st of ['HTTP/1.1 400 Bad Request', 'HTTP/1.1 405 Method Not Allowed', 'HTTP/1.1 501 Not Implemented']) {
    it(`${st}: not a forward proxy`, async () => {
      const x = await reach(st);
      expect(x.message, x.brief).toContain('does not implement CONNECT');
      expect(x.hint, x.brief).toMatch(/point proxy-url of cluster "hz" at the forward proxy/);
      expect(x.cause).toBe(`wrong-service:127.0.0.1:${PORT}`);
    }, 20_000);
  }
});
