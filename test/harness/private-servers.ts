// Private servers a test starts for itself beside the shared test bed, on free 127.0.0.1 ports, and
// stops when it is done: an nginx with the server blocks the test writes, a raw TCP listener that
// answers like some other service (an SSH banner, an HTTP page, a TLS-only port), and a tiny HTTP
// server with a handler. Certificates come from the test bed's CA (so the usual trust applies).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueCert, makeContext } from '../infra/common.js';
import { getTestbed } from './testbed.js';

/** A free TCP port on 127.0.0.1 (bound and released; fine for a test that binds it right after). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
}

async function waitPort(port: number, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((r) => { const s = connect(port, '127.0.0.1'); s.once('connect', () => { s.destroy(); r(true); }); s.once('error', () => r(false)); });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listens on 127.0.0.1:${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A certificate signed by the test bed's CA (or self-signed, or expired), cached in .testbed/pki
 * by `name`. SANs default to the test bed's ingress host, localhost and 127.0.0.1.
 */
export function testCert(name: string, o: { sans?: string[]; expired?: boolean; selfSigned?: boolean; days?: number } = {}): { cert: string; key: string } {
  const tb = getTestbed();
  const ctx = makeContext(tb.dir, () => {});
  return issueCert(ctx, `private-${name}`, { sans: o.sans ?? [tb.nginx.host, 'localhost', 'IP:127.0.0.1'], ...(o.expired ? { expired: true } : {}), ...(o.selfSigned ? { selfSigned: true } : {}), ...(o.days ? { days: o.days } : {}) });
}

export interface Running { port: number; ports: number[]; stop(): Promise<void> }

/** nginx processes this test process started: killed when it exits, even if a test never stopped them. */
const children = new Set<ChildProcess>();
process.once('exit', () => { for (const c of children) { try { c.kill('SIGKILL'); } catch { /* gone */ } } });

/**
 * An nginx of the test's own. `servers(ports)` returns the `server { ... }` blocks (inside `http {}`)
 * for `count` free ports; add `http2` / `ssl` to `listen` as needed. `httpExtra` goes into `http {}`.
 */
export async function startPrivateNginx(servers: (ports: number[]) => string, o: { count?: number; httpExtra?: string } = {}): Promise<Running> {
  const ports = await Promise.all(Array.from({ length: o.count ?? 1 }, () => freePort()));
  const prefix = mkdtempSync(join(tmpdir(), 'fd-nginx-'));
  for (const d of ['logs', 'tmp']) mkdirSync(join(prefix, d), { recursive: true });
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  const conf = `${user}worker_processes 1;\npid ${join(prefix, 'nginx.pid')};\nerror_log ${join(prefix, 'logs', 'error.log')} info;\nevents { worker_connections 64; }\nhttp {\n  access_log ${join(prefix, 'logs', 'access.log')};\n  client_body_temp_path ${join(prefix, 'tmp')};\n  proxy_temp_path ${join(prefix, 'tmp')};\n  fastcgi_temp_path ${join(prefix, 'tmp')};\n  uwsgi_temp_path ${join(prefix, 'tmp')};\n  scgi_temp_path ${join(prefix, 'tmp')};\n${o.httpExtra ?? ''}\n${servers(ports)}\n}\n`;
  writeFileSync(join(prefix, 'nginx.conf'), conf);
  const child: ChildProcess = spawn('nginx', ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let err = '';
  child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  try {
    await Promise.race([
      Promise.all(ports.map((p) => waitPort(p))),
      new Promise((_, rej) => child.once('exit', (c) => rej(new Error(`private nginx exited (${c}): ${err}\n${conf}`)))),
    ]);
  } catch (e) { child.kill('SIGKILL'); throw e; }
  return { port: ports[0]!, ports, stop: () => new Promise<void>((r) => { if (child.exitCode !== null) return r(); child.once('exit', () => r()); child.kill('SIGQUIT'); setTimeout(() => child.kill('SIGKILL'), 3000).unref(); }) };
}

/**
 * A raw TCP listener: `onConnect(socket)` decides what it says (e.g. write an SSH banner at once,
 * answer the first bytes with an HTTP response, close, or stay silent).
 */
export async function startTcp(onConnect: (s: Socket) => void): Promise<Running> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => {}); onConnect(s); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { port, ports: [port], stop: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }) };
}

/**
 * A port whose SYNs the kernel drops, as a firewall that drops packets does: a listener with an
 * accept backlog of 0 that never accepts (python3, since Node always accepts), whose one queue slot
 * this function fills. Every later connect gets no SYN-ACK and waits out its own timeout.
 */
export async function startDropping(): Promise<Running> {
  const py = spawn('python3', ['-c', 'import socket,sys,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\nsys.stdin.read()'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((res, rej) => {
    py.once('error', rej);
    py.stdout!.once('data', (d: Buffer) => res(Number(String(d).trim())));
  });
  const filler = connect(port, '127.0.0.1');
  filler.on('error', () => {});
  await new Promise<void>((r) => filler.once('connect', () => r()));
  // the queue is full once a second connection stays pending
  const probe = connect(port, '127.0.0.1');
  probe.on('error', () => {});
  const accepted = await new Promise<boolean>((r) => { probe.once('connect', () => r(true)); setTimeout(() => r(false), 300); });
  probe.destroy();
  if (accepted) throw new Error('startDropping: the kernel accepted a second connection; SYNs are not dropped here');
  return { port, ports: [port], stop: async () => { filler.destroy(); py.stdin!.end(); py.kill(); } };
}

/** A plain HTTP/1.1 server with a handler (echo servers, misbehaving APIs). */
export async function startHttp(handler: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void): Promise<Running> {
  const server = createHttpServer((req, res) => { const chunks: Buffer[] = []; req.on('data', (c: Buffer) => chunks.push(c)); req.on('end', () => handler(req, res, Buffer.concat(chunks))); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { port, ports: [port], stop: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

/** Common impostors: what answers on a port that should be PostgreSQL, S3, the Kubernetes API... */
export const impostors = {
  /** An SSH server: sends its banner as soon as a client connects. */
  ssh: (s: Socket) => { s.write('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n'); },
  /** An HTTP server answering anything with 400 (as nginx does to binary garbage). */
  http400: (s: Socket) => { s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: 11\r\nConnection: close\r\n\r\nBad Request')); },
  /** Accepts and never answers. */
  silent: (_s: Socket) => { /* nothing */ },
  /** Accepts and closes at once. */
  close: (s: Socket) => { s.destroy(); },
};
