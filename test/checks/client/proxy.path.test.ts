// client.proxy.path against real proxies on 127.0.0.1 (test/harness/proxy-server.ts: node:http
// CONNECT tunnels) in front of the test bed's nginx (flyte.test, TLS + h2): forwarding, upper-
// vs lower-case variables, NO_PROXY, credentials, refusal, an unreachable upstream, TLS
// interception, an SSH server and a stall where the proxy should be, a closed port.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy } from '../../harness/proxy-server.js';
import { impostors, startTcp, type Running } from '../../harness/private-servers.js';
import { getTestbed } from '../../harness/testbed.js';
import { runScenario } from '../../scenarios/harness.js';

const ID = 'client.proxy.path';
const run = async (env: Record<string, string>) => {
  const r = await runScenario('preflight', { env }, { only: [ID] });
  return { r, res: r.results.find((x) => x.id === ID)! };
};
const both = (url: string) => ({ HTTPS_PROXY: url, https_proxy: url });

describe(ID, () => {
  let forward: Running & { connects: string[] };
  beforeAll(async () => { forward = await startProxy('forward'); });
  afterAll(async () => { await forward.stop(); });

  it('no proxy variable: pass, direct', async () => {
    const { res } = await run({});
    expect(res).toMatchObject({ status: 'pass', messageId: 'noProxy' });
  });

  it('HTTPS_PROXY and https_proxy to a working proxy: every client tunnels and sees the server\'s own certificate with h2', async () => {
    const before = forward.connects.length;
    const { res } = await run(both(`http://127.0.0.1:${forward.port}`));
    expect(res.status, res.message).toBe('pass');
    expect(res.messageId).toBe('viaProxy');
    expect(forward.connects.slice(before).some((c) => c.startsWith(`${getTestbed().nginx.host}:`))).toBe(true);
  });

  it('only the upper-case HTTPS_PROXY: flytectl tunnels, pyflyte connects directly: a warn naming both paths and the missing spelling', async () => {
    const { res } = await run({ HTTPS_PROXY: `http://127.0.0.1:${forward.port}` });
    expect(res).toMatchObject({ status: 'warn', messageId: 'clientsDiffer' });
    expect(res.message).toContain('flytectl (Go gRPC) through http://127.0.0.1');
    expect(res.message).toContain('pyflyte / flytekit gRPC (grpcio) directly (it reads grpc_proxy, then https_proxy, then http_proxy (lower case only))');
    expect(res.hint).toContain('https_proxy (lower case)');
  });

  it('NO_PROXY / no_proxy exempt the host for every client: pass, and the proxy sees nothing', async () => {
    const before = forward.connects.length;
    const { res } = await run({ ...both(`http://127.0.0.1:${forward.port}`), NO_PROXY: 'flyte.test', no_proxy: '.test' });
    expect(res).toMatchObject({ status: 'pass', messageId: 'bypassed' });
    expect(res.message).toContain('NO_PROXY entry flyte.test');
    expect(forward.connects.length).toBe(before);
  });

  it('a proxy that wants credentials: 407 with its realm; with user:password@ in the variable it passes and the password is never shown', async () => {
    const p = await startProxy('auth', { user: 'fduser', password: 'fd-proxy-pw-9' });
    try {
      const { res } = await run(both(`http://127.0.0.1:${p.port}`));
      expect(res).toMatchObject({ status: 'fail', messageId: 'proxyAuthRequired', rootCause: true });
      expect(res.message).toContain('Proxy-Authenticate: Basic realm="fd-test-proxy"');
      expect(res.hint).toContain(`give the credentials in HTTPS_PROXY / https_proxy, as the user-info of the proxy URL (user and password, joined by a colon, before "@127.0.0.1:${p.port}")`);
      const ok = await run(both(`http://fduser:fd-proxy-pw-9@127.0.0.1:${p.port}`));
      expect(ok.res.status, ok.res.message).toBe('pass');
      expect(ok.r.stdout).not.toContain('fd-proxy-pw-9');
      const wrong = await run(both(`http://fduser:wrong-pw-1@127.0.0.1:${p.port}`));
      expect(wrong.res.message).toContain('the credentials in the variable were refused');
      expect(wrong.r.stdout).not.toContain('wrong-pw-1');
    } finally { await p.stop(); }
  });

  it('a proxy that refuses the tunnel (403) and one that cannot reach the host (502): each its own finding and fix', async () => {
    const deny = await startProxy('deny');
    const up = await startProxy('upstream-fail');
    try {
      const d = (await run(both(`http://127.0.0.1:${deny.port}`))).res;
      expect(d).toMatchObject({ status: 'fail', messageId: 'proxyDenied' });
      expect(d.message).toContain('403 Forbidden');
      const u = (await run(both(`http://127.0.0.1:${up.port}`))).res;
      expect(u).toMatchObject({ status: 'fail', messageId: 'proxyUpstreamFailed' });
      expect(u.hint).toContain('add it to NO_PROXY and no_proxy');
    } finally { await deny.stop(); await up.stop(); }
  });

  it('a TLS-intercepting proxy: another certificate than the server\'s, untrusted: proxyIntercepts', async () => {
    const p = await startProxy('intercept');
    try {
      const { res } = await run(both(`http://127.0.0.1:${p.port}`));
      expect(res).toMatchObject({ status: 'fail', messageId: 'proxyIntercepts' });
      expect(res.message).toContain('not the one it serves directly');
      expect(res.hint).toContain('NO_PROXY and no_proxy');
    } finally { await p.stop(); }
  });

  // HTTPS_PROXY pointing at a plain web server that answers every request with 200: no tunnel
  // exists, whatever the status says (a tunnel's 2xx never carries a body, RFC 9110 9.3.6).
  it('a web server where the proxy should be (CONNECT answered 200 with a body, or headers that never end): proxyNotHttp at once, not a TLS failure in a tunnel', async () => {
    const web = await startTcp((s) => { s.on('error', () => undefined); s.once('data', () => s.write('HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5000000\r\n\r\n<html>')); });
    const endless = await startTcp((s) => {
      s.on('error', () => undefined);
      s.once('data', () => { s.write('HTTP/1.1 200 OK\r\n'); const pad = `X-Pad: ${'a'.repeat(1000)}\r\n`; const go = () => { while (!s.destroyed && s.write(pad)) { /* until pushed back */ } }; s.on('drain', go); go(); });
    });
    try {
      const t0 = Date.now();
      const a = (await run(both(`http://127.0.0.1:${web.port}`))).res;
      expect(a).toMatchObject({ status: 'fail', messageId: 'proxyNotHttp' });
      expect(a.message).toMatch(/answered CONNECT flyte\.test:\d+ with HTTP\/1\.1 200 OK and content-length: 5000000.*not a proxy opening a tunnel/);
      const b = (await run(both(`http://127.0.0.1:${endless.port}`))).res;
      expect(b).toMatchObject({ status: 'fail', messageId: 'proxyNotHttp' });
      expect(b.message).toContain('HTTP headers that do not end');
      expect(Date.now() - t0).toBeLessThan(6000);
    } finally { await web.stop(); await endless.stop(); }
  });

  it('nothing at the proxy address, a stall, an SSH server, a bad URL: refused, timeout, not an HTTP proxy, bad URL', async () => {
    const tb = getTestbed();
    const refused = (await run(both(`http://127.0.0.1:${tb.closedPort}`))).res;
    expect(refused).toMatchObject({ status: 'fail', messageId: 'proxyRefused' });
    const t0 = Date.now();
    const stalled = (await run(both(`http://${tb.stall.host}:${tb.stall.port}`))).res;
    expect(stalled).toMatchObject({ status: 'fail', messageId: 'proxyTimeout' });
    expect(Date.now() - t0).toBeLessThan(6000);
    const ssh: Running = await startTcp(impostors.ssh);
    try {
      const notHttp = (await run(both(`http://127.0.0.1:${ssh.port}`))).res;
      expect(notHttp).toMatchObject({ status: 'fail', messageId: 'proxyNotHttp' });
      expect(notHttp.message).toContain('SSH-2.0');
    } finally { await ssh.stop(); }
    const bad = (await run({ https_proxy: 'http://' })).res;
    expect(bad).toMatchObject({ status: 'fail', messageId: 'badProxyUrl' });
    // whitespace around it: Go's url.Parse refuses what Node's URL parser strips
    const spaced = (await run({ HTTPS_PROXY: `http://${tb.stall.host}:${tb.stall.port}\n` })).res;
    expect(spaced).toMatchObject({ status: 'fail', messageId: 'badProxyUrl', cause: 'config:HTTPS_PROXY' });
    expect(spaced.message).toMatch(/HTTPS_PROXY is "http:\/\/127\.0\.0\.1:\d+\\n", which ends with a newline: Go's url\.Parse refuses it/);
    // only whitespace: Go and Python take it as a proxy all the same
    const blank = (await run({ HTTPS_PROXY: '  ' })).res;
    expect(blank).toMatchObject({ status: 'fail', messageId: 'badProxyUrl' });
    expect(blank.message).toContain('HTTPS_PROXY is "  ", only whitespace');
  }, 30_000);
});
