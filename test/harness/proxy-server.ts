// A real HTTP CONNECT proxy on 127.0.0.1 for the proxy-path tests (node:http's 'connect' event,
// real TCP tunnels), in the variants a deployer meets: forwarding, wanting credentials, refusing,
// not reaching the target, and intercepting TLS with its own certificate (HTTP/1.1 only, like many
// inspection proxies). Names resolve through the test bed's DNS server, like a proxy on the network.
import { createServer, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { Resolver } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { createServer as createTlsServer } from 'node:tls';
import { getTestbed } from './testbed.js';
import { testCert, type Running } from './private-servers.js';

export type ProxyMode = 'forward' | 'auth' | 'deny' | 'upstream-fail' | 'intercept';

export async function startProxy(mode: ProxyMode, o: { user?: string; password?: string } = {}): Promise<Running & { connects: string[] }> {
  const tb = getTestbed();
  const resolver = new Resolver();
  resolver.setServers([tb.dns.server]);
  const sockets = new Set<Socket>();
  const connects: string[] = [];
  // The intercepting variant: a TLS server of its own (self-signed: nobody trusts it), http/1.1 only.
  const ic = mode === 'intercept' ? testCert('proxy-intercept', { selfSigned: true, sans: ['flyte.test', 'localhost', 'IP:127.0.0.1'] }) : undefined;
  const interceptor = ic ? createTlsServer({ cert: readFileSync(ic.cert), key: readFileSync(ic.key), ALPNProtocols: ['http/1.1'] }, (s) => { s.on('error', () => {}); s.end(); }) : undefined;
  interceptor?.on('tlsClientError', () => {});
  const server = createServer((_req, res) => { res.writeHead(400); res.end('CONNECT only'); });
  server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  server.on('connect', async (req: IncomingMessage, client: Socket, head: Buffer) => {
    client.on('error', () => {});
    connects.push(req.url ?? '');
    const [host, portText] = (req.url ?? '').split(/:(?=\d+$)/);
    if (mode === 'auth') {
      const want = `Basic ${Buffer.from(`${o.user}:${o.password}`).toString('base64')}`;
      if (req.headers['proxy-authorization'] !== want) { client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="fd-test-proxy"\r\nContent-Length: 0\r\n\r\n'); return; }
    }
    if (mode === 'deny') { client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'); return; }
    if (mode === 'upstream-fail') { client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n'); return; }
    if (mode === 'intercept') {
      const up = connect({ host: '127.0.0.1', port: (interceptor!.address() as { port: number }).port });
      up.on('error', () => client.destroy());
      up.once('connect', () => { client.write('HTTP/1.1 200 Connection established\r\n\r\n'); if (head.length) up.write(head); client.pipe(up); up.pipe(client); });
      return;
    }
    let address = host ?? '';
    try { if (!/^[\d.]+$/.test(address)) address = (await resolver.resolve4(address))[0] ?? address; } catch { client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'); return; }
    const up = connect({ host: address, port: Number(portText) });
    up.on('error', () => { client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'); });
    up.once('connect', () => { client.write('HTTP/1.1 200 Connection established\r\n\r\n'); if (head.length) up.write(head); client.pipe(up); up.pipe(client); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  if (interceptor) await new Promise<void>((r) => interceptor.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    port, ports: [port], connects,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      if (interceptor) await new Promise<void>((r) => interceptor.close(() => r()));
    },
  };
}
