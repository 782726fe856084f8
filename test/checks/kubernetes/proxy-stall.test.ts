// A proxy in the kubeconfig (proxy-url) that accepts TCP connections and never answers, or drops
// them: the API server check names the proxy and the hop that is silent, within its budget, instead
// of an engine timeout with no cause (a request waiting for its tunnel emitted nothing on abort).
// The test bed's stall server (accepts, never answers) and a real kernel SYN drop.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../harness/run-check.js';
import { startDropping, startTcp, type Running } from '../../harness/private-servers.js';
import { makeTarget } from '../../harness/target.js';
import { getTestbed } from '../../harness/testbed.js';

function viaProxy(proxyUrl: string): string {
  const kc = parse(readFileSync(getTestbed().kube.kubeconfig, 'utf8')) as { clusters: { cluster: Record<string, unknown> }[]; 'current-context': string };
  for (const c of kc.clusters) c.cluster['proxy-url'] = proxyUrl;
  kc['current-context'] = 'admin';
  const f = join(mkdtempSync(join(tmpdir(), 'fd-k8s-pxstall-')), 'config');
  writeFileSync(f, stringify(kc), { mode: 0o600 });
  return f;
}
const target = (kubeconfigPath: string) => makeTarget({ kubernetes: { kubeconfigPath, namespace: 'flyte', release: 'flyte' } } as never);

describe('kubernetes.api.reachable through a proxy that does not answer', () => {
  let dropping: Running;
  beforeAll(async () => { dropping = await startDropping(); });
  afterAll(async () => { await dropping?.stop(); });

  it.each([
    ['http', /accepts TCP connections but never answered the CONNECT request for 127\.0\.0\.1:\d+ within/],
    ['socks5', /accepts TCP connections but never answered the SOCKS5 greeting within/],
    ['https', /accepts TCP connections but never answered the TLS handshake or the CONNECT request/],
  ])('a %s proxy that accepts and stays silent: proxyFailed naming it, not a timeout with no cause', async (scheme, re) => {
    const { host, port } = getTestbed().stall;
    const t0 = Date.now();
    const { result } = await runCheck('kubernetes.api.reachable', target(viaProxy(`${scheme}://${host}:${port}`)), { timeoutMs: 3000 });
    expect(Date.now() - t0).toBeLessThan(4500);
    expect(result, result.message).toMatchObject({ status: 'fail', messageId: 'proxyFailed', cause: `unreachable:${scheme}://${host}:${port}` });
    expect(result.message).toMatch(re);
    expect(result.hint).toContain('proxy-url of cluster');
  });

  it('a proxy whose SYNs are dropped: did not accept a connection', async () => {
    const { result } = await runCheck('kubernetes.api.reachable', target(viaProxy(`http://127.0.0.1:${dropping.port}`)), { timeoutMs: 3000 });
    expect(result, result.message).toMatchObject({ status: 'fail', messageId: 'proxyFailed' });
    expect(result.message).toMatch(/did not accept a connection within .* \(dropped/);
  });

  it('a web server where the proxy should be (CONNECT answered 200 with a body): proxyFailed saying no tunnel exists, not a TLS failure of the API server', async () => {
    const web = await startTcp((sock) => { sock.on('error', () => undefined); sock.once('data', () => sock.write('HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 70000\r\n\r\n<html><title>Welcome</title>')); });
    try {
      const { result } = await runCheck('kubernetes.api.reachable', target(viaProxy(`http://127.0.0.1:${web.port}`)), { timeoutMs: 3000 });
      expect(result, result.message).toMatchObject({ status: 'fail', messageId: 'proxyFailed' });
      expect(result.message).toMatch(/answered CONNECT 127\.0\.0\.1:\d+ with 200 and content-length: 70000, then content \(\"<html><title>Welcome<\/title>\"\): a web server answering every request, not a proxy opening a tunnel/);
    } finally { await web.stop(); }
  });
});
