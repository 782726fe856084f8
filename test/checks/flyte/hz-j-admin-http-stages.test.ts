// flyte.admin.http and the ingress HTTP probes when no HTTP answer comes, told apart by how far the
// connection got (src/clients/http.ts keeps each connection's progress), each against a real server:
// - TCP not accepted (SYNs dropped): noAnswer, a firewall named;
// - TCP accepted, nothing back to the ClientHello: silentServer, no firewall;
// - the server's first bytes, then nothing (an MTU black hole in front of the bed's real nginx): handshakeStalled
//   with the byte count, no firewall;
// - TLS completed, the request sent, no answer: silentServer keyed to the ingress, no firewall.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../src/engine/types.js';
import { testCert } from '../../harness/private-servers.js';
import { bed, bedTarget, brief, runMany } from '../client/bed.js';
import { warmUp } from '../ingress/private-bed.js';

const MTU = 30952, SILENT = 30953, TLS_SILENT = 30954, DROP = 30955, BIG = 30956;
const IDS = ['flyte.admin.http', 'ingress.http.healthcheck'];
const sockets = new Set<Socket>();
const servers: (Server | TlsServer | HttpsServer)[] = [];
let py: ChildProcess | undefined;
let filler: Socket | undefined;

const listen = (s: Server | TlsServer | HttpsServer, port: number) => new Promise<void>((r) => { servers.push(s); s.listen(port, '127.0.0.1', r); });
const track = (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => {}); };

beforeAll(async () => {
  // a relay to the bed's TLS nginx that passes the ClientHello whole and only the first 60 bytes of the server's answer
  await listen(createServer((c) => {
    track(c);
    const up = connect(bed().nginx.https, '127.0.0.1');
    track(up);
    c.on('close', () => up.destroy());
    c.pipe(up);
    let passed = 0;
    up.on('data', (d: Buffer) => { const room = 60 - passed; if (room > 0) { c.write(d.subarray(0, room)); passed += Math.min(room, d.length); } });
  }), MTU);
  await listen(createServer((c) => { track(c); }), SILENT);
  const cert = testCert('ingress');
  // completes TLS, then never answers the request
  await listen(createTlsServer({ cert: readFileSync(cert.cert), key: readFileSync(cert.key), ALPNProtocols: ['http/1.1'] }, (c) => { track(c); c.on('data', () => {}); }), TLS_SILENT);
  // answers every path with 200 and a 200 KiB gzip-encoded JSON body (inflated, then cut at 64 KiB)
  const bigBody = gzipSync(Buffer.from(JSON.stringify({ control_plane_version: { Version: 'v1' }, pad: 'x'.repeat(200 * 1024) })));
  await listen(createHttpsServer({ cert: readFileSync(cert.cert), key: readFileSync(cert.key) }, (_req, res) => { res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }); res.end(bigBody); }), BIG);
  // a listener with a full accept backlog that never accepts: the kernel drops further SYNs, as a dropping firewall does
  py = spawn('python3', ['-c', `import socket,sys\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\ns.bind(("127.0.0.1",${DROP}))\ns.listen(0)\nprint("ok",flush=True)\nsys.stdin.read()`], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((res, rej) => { py!.once('error', rej); py!.stdout!.once('data', () => res()); });
  filler = connect(DROP, '127.0.0.1');
  filler.on('error', () => {});
  await new Promise<void>((r) => filler!.once('connect', () => r()));
  await warmUp();
}, 90_000);
afterAll(async () => {
  for (const s of sockets) s.destroy();
  for (const s of servers) (s as HttpsServer).closeAllConnections?.();
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  filler?.destroy();
  py?.stdin?.end(); py?.kill();
});

const probe = async (port: number, ids = IDS): Promise<CheckResult[]> => {
  const rs = await runMany(ids, bedTarget(port), 'verify', 3000);
  return rs.filter((r) => ids.includes(r.id));
};

describe('HTTP probes that get no answer: how far the connection got', () => {
  it('an MTU black hole in front of the real nginx: handshakeStalled with the bytes that came, no firewall', async () => {
    const t0 = Date.now();
    const rs = await probe(MTU);
    expect(rs.length).toBe(2);
    for (const r of rs) {
      expect(r.messageId, brief(r)).toBe('handshakeStalled');
      expect(r.message, brief(r)).toMatch(/accepted the TCP connection and sent 60 byte\(s\) of its answer to the TLS ClientHello, then nothing more/);
      expect(r.hint, brief(r)).toMatch(/MTU black hole/);
      expect(`${r.message} ${r.hint}`, brief(r)).not.toMatch(/firewall/);
      expect(r.details).toMatchObject({ tcp: 'connected', bytesReceived: 60 });
      expect(r.cause).toBe(`unreachable:flyte.test:${MTU}`);
    }
    expect(Date.now() - t0).toBeLessThan(4500);
  }, 20_000);

  it('TCP accepted, nothing back to the ClientHello: silentServer, no firewall', async () => {
    for (const r of await probe(SILENT)) {
      expect(r.messageId, brief(r)).toBe('silentServer');
      expect(r.message, brief(r)).toContain('accepted the TCP connection but sent nothing back to the TLS ClientHello');
      expect(r.hint, brief(r)).not.toMatch(/firewall/);
      expect(r.cause).toBe(`unreachable:flyte.test:${SILENT}`);
    }
  }, 20_000);

  it('TLS completed, the request sent, no answer: silentServer keyed to the ingress, no firewall', async () => {
    for (const r of await probe(TLS_SILENT)) {
      expect(r.messageId, brief(r)).toBe('silentServer');
      expect(r.message, brief(r)).toMatch(/accepted the connection and completed the TLS handshake, but sent no HTTP answer to GET \/(api\/v1\/version|healthcheck)/);
      expect(r.hint, brief(r)).not.toMatch(/firewall/);
      expect(r.cause).toBe(`backend:ingress flyte.test:${TLS_SILENT}`);
    }
  }, 20_000);

  it('gRPC too: TCP accepted and the TLS handshake never completes (a silent port, a stalled path): silentServer, no firewall', async () => {
    for (const port of [SILENT, MTU]) {
      const rs = await probe(port, ['ingress.grpc.admin', 'ingress.grpc.health']);
      expect(rs.length).toBe(2);
      for (const r of rs) {
        expect(r.messageId, brief(r)).toBe('silentServer');
        expect(r.message, brief(r)).toContain(`flyte.test:${port} accepted the TCP connection, but the TLS handshake did not complete`);
        expect(`${r.message} ${r.hint}`, brief(r)).not.toMatch(/firewall (\/ security group )?drops/);
        expect(r.cause).toBe(`unreachable:flyte.test:${port}`);
      }
    }
  }, 30_000);

  it('a 200 body past the 64 KiB read (gzip, inflated): said as cut, not only "not flyteadmin\'s document"', async () => {
    const rs = await probe(BIG);
    for (const r of rs) {
      expect(r.status, brief(r)).toBe('fail');
      expect(r.message, brief(r)).toContain('a body larger than 64 KiB, cut there');
    }
  }, 20_000);

  it('SYNs dropped (TCP never accepted): noAnswer, the firewall named, for the HTTP and the gRPC probes', async () => {
    for (const r of await probe(DROP, [...IDS, 'ingress.grpc.admin'])) {
      expect(r.messageId, brief(r)).toBe('noAnswer');
      expect(r.hint, brief(r)).toMatch(/firewall/);
    }
  }, 20_000);
});
