// client.proxy.path against a raw CONNECT responder of our own (127.0.0.1:30910, helper i) answering each status
// a forward proxy, a captive portal, a web filter or a web server sends to CONNECT flyte.test:<port>:
// 511 is a captive portal (log in to the network, not NO_PROXY), 451 a filter, 408 a proxy timeout (not a
// refusal to allow the port), 405/501/505 and a web server's 400/404 mean "not a forward proxy"; 403/502
// keep their findings (proxy.path.test.ts covers them against a real proxy).
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { runScenario } from '../../scenarios/harness.js';

const ID = 'client.proxy.path';
const PORT = 30910;
let line = 'HTTP/1.1 511 Network Authentication Required';
let server: Server;
const socks = new Set<Socket>();

beforeAll(async () => {
  server = createServer((s) => {
    socks.add(s); s.on('close', () => socks.delete(s)); s.on('error', () => {});
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (!buf.includes('\r\n\r\n')) return;
      const body = '<html><body>hz-i</body></html>';
      s.end(`${line}\r\nServer: hz-i-front\r\nContent-Type: text/html\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    });
  });
  await new Promise<void>((r) => server.listen(PORT, '127.0.0.1', () => r()));
});
afterAll(async () => { for (const s of socks) s.destroy(); await new Promise<void>((r) => server.close(() => r())); });

const run = async (statusLine: string) => {
  line = statusLine;
  const url = `http://127.0.0.1:${PORT}`;
  const r = await runScenario('preflight', { env: { HTTPS_PROXY: url, https_proxy: url } }, { only: [ID] });
  const x = r.results.find((y) => y.id === ID)!;
  return { x, brief: `${x.status} ${x.messageId}: ${x.message} | ${x.hint}` };
};

describe(`${ID}: what answers CONNECT for itself`, () => {
  it('511: a captive portal wants a login; not "the proxy cannot reach it, add it to NO_PROXY"', async () => {
    const { x, brief } = await run('HTTP/1.1 511 Network Authentication Required');
    expect(x.status).toBe('fail');
    expect(x.messageId, brief).toBe('proxyDenied');
    expect(x.message).toContain('captive portal');
    expect(x.hint, brief).toMatch(/log in to the network/);
    expect(x.hint).not.toMatch(/NO_PROXY/);
    expect(x.cause).toBe(`front-auth:127.0.0.1:${PORT}`);
  }, 30_000);

  it('451: a filtering proxy blocks the host; the fix is the filter\'s allow-list, not the CONNECT port', async () => {
    const { x, brief } = await run('HTTP/1.1 451 Unavailable For Legal Reasons');
    expect(x.messageId, brief).toBe('proxyDenied');
    expect(x.message).toContain('a filtering proxy blocks it (451');
    expect(x.hint, brief).toMatch(/have the proxy or filter let flyte\.test through/);
    expect(x.hint).not.toMatch(/port 443 only/);
  }, 30_000);

  it('408: the proxy closed a complete CONNECT as too slow; not a refusal', async () => {
    const { x, brief } = await run('HTTP/1.1 408 Request Timeout');
    expect(x.messageId, brief).toBe('proxyDenied');
    expect(x.message).toContain('408 Request Timeout');
    expect(x.message).toContain('as too slow');
    expect(x.hint, brief).not.toMatch(/port 443 only/);
  }, 30_000);

  for (const st of ['HTTP/1.1 501 Not Implemented', 'HTTP/1.1 505 HTTP Version Not Supported', 'HTTP/1.1 405 Method Not Allowed', 'HTTP/1.1 400 Bad Request', 'HTTP/1.1 404 Not Found']) {
    it(`${st}: not a forward proxy (a web server, a reverse proxy, an ingress)`, async () => {
      const { x, brief } = await run(st);
      expect(x.messageId, brief).toBe('proxyNotHttp');
      expect(x.message).toContain('does not implement CONNECT');
      expect(x.hint, brief).toMatch(/point HTTPS_PROXY \/ https_proxy at the forward proxy/);
      expect(x.hint).not.toMatch(/add it to NO_PROXY and no_proxy so/);
      expect(x.cause).toBe(`wrong-service:127.0.0.1:${PORT}`);
    }, 30_000);
  }

  it('HTTPS_PROXY set to the bed\'s real nginx (a web server / ingress): nginx answers CONNECT 400, which is proxyNotHttp, not "allow port 443"', async () => {
    const url = `http://127.0.0.1:${getTestbed().nginx.plaintext}`;
    const r = await runScenario('preflight', { env: { HTTPS_PROXY: url, https_proxy: url } }, { only: [ID] });
    const x = r.results.find((y) => y.id === ID)!;
    expect(x.messageId, `${x.message} | ${x.hint}`).toBe('proxyNotHttp');
    expect(x.message).toContain('400 Bad Request');
  }, 30_000);

  it('302 to a login page: an authenticating proxy or portal; log in, not "allow the port"', async () => {
    const { x, brief } = await run('HTTP/1.1 302 Found');
    expect(x.messageId, brief).toBe('proxyDenied');
    expect(x.message).toContain('a redirect, which authenticating proxies and captive portals send');
    expect(x.hint, brief).toMatch(/log in where the network or the proxy asks/);
    expect(x.hint).not.toMatch(/port 443 only/);
    expect(x.cause).toBe(`front-auth:127.0.0.1:${PORT}`);
  }, 30_000);

  it('403 and 502 keep their findings (a refusal; the proxy cannot reach the host)', async () => {
    expect((await run('HTTP/1.1 403 Forbidden')).x.messageId).toBe('proxyDenied');
    expect((await run('HTTP/1.1 502 Bad Gateway')).x.messageId).toBe('proxyUpstreamFailed');
  }, 60_000);
});
