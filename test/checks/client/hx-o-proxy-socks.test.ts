// A SOCKS proxy in the proxy variables: gRPC clients tunnel through HTTP CONNECT only. flytectl
// (grpc-go) sends CONNECT to it and fails; pyflyte (grpcio) ignores the scheme and goes direct.
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenario } from '../../scenarios/harness.js';

const ID = 'client.proxy.path';
const PORT = 17951;
const run = async (env: Record<string, string>) => (await runScenario('preflight', { env }, { only: [ID] })).results.find((x) => x.id === ID)!;

describe(`${ID}: SOCKS proxies`, () => {
  // a real SOCKS5 listener: answers a greeting with "no acceptable methods", anything else it closes
  let socks: Server;
  beforeAll(async () => {
    socks = createServer((c) => { c.once('data', (d) => { if (d[0] === 5) c.end(Buffer.from([5, 0xff])); else c.destroy(); }); c.on('error', () => {}); });
    await new Promise<void>((r) => socks.listen(PORT, '127.0.0.1', () => r()));
  });
  afterAll(async () => { await new Promise<void>((r) => socks.close(() => r())); });

  it('HTTPS_PROXY and https_proxy = socks5://: fail, per client, with an HTTP proxy or NO_PROXY as the fix', async () => {
    const url = `socks5://127.0.0.1:${PORT}`;
    const res = await run({ HTTPS_PROXY: url, https_proxy: url });
    expect(res.status, res.message).toBe('fail');
    expect(res.messageId).toBe('proxySchemeUnsupported');
    expect(res.cause).toBe('config:HTTPS_PROXY');
    expect(res.message).toContain('flytectl (Go gRPC) sends an HTTP CONNECT');
    expect(res.message).toContain("'socks5' scheme not supported in proxy URI");
    expect(res.hint).toContain('http://proxy-host:port');
    expect(res.hint).toContain('NO_PROXY and no_proxy');
  });

  it('only grpc_proxy = socks5h:// (pyflyte alone reads it): warn, pyflyte connects directly', async () => {
    const res = await run({ grpc_proxy: `socks5h://user:hx-o-socks-pass@127.0.0.1:${PORT}` });
    expect(res.status, res.message).toBe('warn');
    expect(res.messageId).toBe('proxySchemeIgnored');
    expect(res.message).toContain('connects directly');
    expect(res.message).not.toContain('flytectl');
    expect(JSON.stringify(res)).not.toContain('hx-o-socks-pass');
  });
});
