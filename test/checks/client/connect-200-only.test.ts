// A forward proxy that opens the tunnel (and really tunnels to the bed's nginx) but answers CONNECT with
// a 2xx other than 200: Go's clients (grpc-go's proxy dialer: flytectl, flyteadmin) and Python's
// http.client (pyflyte) take only 200 as a tunnel, so they fail there; Node would go through. It was a
// pass (any 2xx), it is a finding naming the status; 200 still passes. Port 30994.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { runScenario } from '../../scenarios/harness.js';

const ID = 'client.proxy.path';
const PORT = 30994;
let line = 'HTTP/1.1 200 Connection established';
let server: Server;
const socks = new Set<Socket>();

beforeAll(async () => {
  const nginx = getTestbed().nginx!;
  server = createServer((c) => {
    socks.add(c); c.on('close', () => socks.delete(c)); c.on('error', () => {});
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('latin1');
      if (!buf.includes('\r\n\r\n')) return;
      c.off('data', onData);
      // every CONNECT goes to the bed's nginx, whatever host:port it names (flyte.test resolves there anyway)
      const up = connect(nginx.https, '127.0.0.1');
      up.on('error', () => c.destroy());
      c.on('close', () => up.destroy());
      up.once('connect', () => { c.write(`${line}\r\n\r\n`); c.pipe(up); up.pipe(c); });
    };
    c.on('data', onData);
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

describe(`${ID}: a tunnel opened with a 2xx other than 200`, () => {
  it('200 Connection established: the tunnel works (pass)', async () => {
    const { x, brief } = await run('HTTP/1.1 200 Connection established');
    expect(x.status, brief).toBe('pass');
  }, 30_000);
  for (const l of ['HTTP/1.1 204 No Content', 'HTTP/1.1 201 Created']) {
    it(`${l}: a finding naming the status, since flytectl and pyflyte need 200`, async () => {
      const { x, brief } = await run(l);
      expect(x.status, brief).toBe('fail');
      expect(x.messageId, brief).toBe('proxyDenied');
      expect(x.message, brief).toMatch(/not 200: flytectl and flyteadmin \(Go\) and pyflyte \(Python\) open a tunnel only on 200/);
      expect(x.hint, brief).toContain('200 Connection established');
      expect(x.hint, brief).not.toMatch(/allow port 443/);
    }, 30_000);
  }
});
