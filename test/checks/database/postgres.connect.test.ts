import { createServer as createTlsServer } from 'node:tls';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { impostors, startTcp, testCert, type Running } from '../../harness/private-servers.js';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck } from '../../harness/run-check.js';
import { pgDb, pgTarget } from './pg-target.js';
import { startPrivatePg, type PrivatePg } from './pg-servers.js';
import { PgProbeError, SSL_ANSWER_GRACE_MS, sslRequest, tcpConnect } from '../../../src/clients/postgres.js';

/** A TLS-only listener (a TLS-terminating proxy, stunnel, a port that expects a ClientHello first). */
async function startTlsOnly(): Promise<Running> {
  const c = testCert('db-tls-only');
  const server = createTlsServer({ cert: readFileSync(c.cert), key: readFileSync(c.key) }, (s) => { s.on('error', () => {}); s.end('hello\n'); });
  server.on('tlsClientError', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { port, ports: [port], stop: () => new Promise<void>((r) => server.close(() => r())) };
}

/** An HTTP server that, like nginx, waits for a complete request line before it answers. */
const httpWaiting = (s: Socket) => {
  let buf = '';
  s.on('data', (d: Buffer) => { buf += d.toString('latin1'); if (buf.includes('\r\n\r\n')) s.end('HTTP/1.1 404 Not Found\r\nServer: nginx\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'); });
};

describe('database.postgres.connect', () => {
  const servers: Record<string, Running> = {};
  let plain: PrivatePg;
  beforeAll(async () => {
    servers.ssh = await startTcp(impostors.ssh);
    servers.http400 = await startTcp(impostors.http400);
    servers.httpWaiting = await startTcp(httpWaiting);
    servers.close = await startTcp(impostors.close);
    servers.tlsOnly = await startTlsOnly();
    // 'S' and then more bytes: PostgreSQL sends exactly one byte and waits.
    servers.sPlus = await startTcp((s) => { s.once('data', () => s.write('SSH-2.0-dropbear\r\n')); });
    // 'S', then more bytes a moment later (two writes): seen within the grace, not after it.
    servers.sLater = await startTcp((s) => { s.once('data', () => { s.write('S'); setTimeout(() => { if (!s.destroyed) s.write('SH-2.0-dropbear\r\n'); }, SSL_ANSWER_GRACE_MS / 2); }); });
    // A server that answers SSLRequest with a protocol ErrorResponse (a pooler refusing it).
    servers.pgError = await startTcp((s) => { s.once('data', () => s.write(errorResponse('08P01', 'unsupported startup parameter: sslrequest'))); });
    plain = await startPrivatePg();
  });
  afterAll(async () => { for (const s of Object.values(servers)) await s.stop(); plain?.stop(); });

  it('passes against the healthy server and sees that it offers TLS', async () => {
    const { result } = await runCheck('database.postgres.connect', pgTarget());
    expect(result.status).toBe('pass');
    expect(result.messageId).toBe('connected');
    expect(result.details?.serverOffersTls).toBe(true);
  });

  // The bed's dnsmasq refuses every name outside its zone, localhost too: a --dns-server is never asked
  // for localhost (RFC 6761 6.3; Go's resolver and /etc/hosts answer it locally, as Flyte's pods do).
  it('localhost through --dns-server is loopback, not a REFUSED name', async () => {
    const t = pgTarget(pgDb({ host: 'localhost', sslmode: 'require' }));
    expect(t.dnsServer).toBe(getTestbed().dns.server);
    const dns = (await runCheck('database.postgres.dns', t)).result;
    expect(dns.status, dns.message).toBe('pass');
    const { result } = await runCheck('database.postgres.connect', t);
    expect(result.status, result.message).toBe('pass');
    expect(result.details?.address).toBe('127.0.0.1');
  });

  it('passes against a server without TLS (answers N)', async () => {
    const { result } = await runCheck('database.postgres.connect', pgTarget(pgDb({ port: plain.port })));
    expect(result.status).toBe('pass');
    expect(result.details?.serverOffersTls).toBe(false);
  });

  it('reports a closed port as refused (nothing listening)', async () => {
    const { result } = await runCheck('database.postgres.connect', pgTarget(pgDb({ port: getTestbed().closedPort })));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('refused');
    expect(result.hint).toContain('configuration.database.port');
    expect(result.cause).toBe(`unreachable:127.0.0.1:${getTestbed().closedPort}`);
  });

  it('a stalled port (accepts, never answers) is a black hole, not a firewall timeout, within the budget', async () => {
    const tb = getTestbed();
    const t0 = Date.now();
    const { result } = await runCheck('database.postgres.connect', pgTarget(pgDb({ host: tb.stall.host, port: tb.stall.port })), { timeoutMs: 3000 });
    expect(Date.now() - t0).toBeLessThan(3500);
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('noAnswer');
    expect(result.message).toMatch(/accepts TCP connections but never answers/);
    expect(result.message).not.toMatch(/firewall/);
    expect(result.details?.service).toBe('silent');
  });

  it('an SSH banner is not PostgreSQL (the S of SSH-2.0 is not a TLS offer)', async () => {
    const { result } = await runCheck('database.postgres.connect', pgTarget(pgDb({ port: servers.ssh!.port })));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('notPostgres');
    expect(result.message).toContain(`something else listens on 127.0.0.1:${servers.ssh!.port}: an SSH server`);
    expect(result.cause).toBe(`wrong-service:127.0.0.1:${servers.ssh!.port}`);
    expect(result.hint).toContain('configuration.database.port');
  });

  it("'S' followed by more bytes is not PostgreSQL", async () => {
    const { result } = await runCheck('database.postgres.connect', pgTarget(pgDb({ port: servers.sPlus!.port })));
    expect(result.messageId).toBe('notPostgres');
    expect(result.message).toMatch(/SSH server/);
  });

  it('sslRequest holds a one-byte answer for the grace (stray bytes that follow are seen); with grace 0 (database.postgres.tls, after connect has seen the server wait) it answers at once', async () => {
    const ask = async (graceMs?: number) => {
      const c = await tcpConnect('127.0.0.1', servers.sLater!.port, { timeoutMs: 2000, signal: new AbortController().signal });
      try { return { answer: await sslRequest(c.socket, 2000, new AbortController().signal, ...(graceMs === undefined ? [] : [graceMs])) }; }
      catch (e) { return { error: e as PgProbeError }; }
      finally { c.socket.destroy(); }
    };
    const held = await ask();
    expect(held.error?.kind).toBe('not-postgres');
    expect(held.error?.message).toMatch(/'S' followed by \d+ more byte/);
    const now = await ask(0);
    expect(now.answer).toEqual({ offers: true });
  });

  it('an HTTP server answering 400 to binary input is named', async () => {
    const { result } = await runCheck('database.postgres.connect', pgTarget(pgDb({ port: servers.http400!.port })));
    expect(result.messageId).toBe('notPostgres');
    expect(result.message).toContain('a plain HTTP server (HTTP/1.1 400 Bad Request)');
  });

  it('an HTTP server that waits for a full request is found by probing, not reported as a timeout', async () => {
    const { result } = await runCheck('database.postgres.connect', pgTarget(pgDb({ port: servers.httpWaiting!.port })), { timeoutMs: 3000 });
    expect(result.messageId).toBe('notPostgres');
    expect(result.message).toContain('a plain HTTP server (HTTP/1.1 404 Not Found)');
  });

  it('a TLS-only port (expects a ClientHello first) is named as such', async () => {
    const { result } = await runCheck('database.postgres.connect', pgTarget(pgDb({ port: servers.tlsOnly!.port, sslmode: 'disable' })), { timeoutMs: 3000 });
    expect(result.messageId).toBe('notPostgres');
    expect(result.message).toMatch(/a TLS server/);
    expect(result.hint).toMatch(/expects a TLS handshake first/);
  });

  it('a port that accepts and closes at once', async () => {
    const { result } = await runCheck('database.postgres.connect', pgTarget(pgDb({ port: servers.close!.port })), { timeoutMs: 3000 });
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('noAnswer');
    expect(result.message).toMatch(/closes them without a word/);
  });

  it('an ErrorResponse to the SSLRequest is the server\'s own finding (08P01)', async () => {
    const { result } = await runCheck('database.postgres.connect', pgTarget(pgDb({ port: servers.pgError!.port })));
    expect(result.messageId).toBe('protocolRejected');
    expect(result.details?.sqlstate).toBe('08P01');
  });

  it('a cluster-internal host that does not resolve here: warn, not checked from this machine (dns and connect)', async () => {
    const { results } = await runCheck('database.postgres.connect', pgTarget(pgDb({ host: 'flyte-db.flyte.svc.cluster.local' })));
    for (const id of ['database.postgres.dns', 'database.postgres.connect']) {
      const r = results.find((x) => x.id === id)!;
      expect(r.status, id).toBe('warn');
      expect(r.messageId, id).toBe('notFromHere');
      expect(r.message, id).toMatch(/cannot be checked from this machine/);
      expect(r.hint, id).toContain('--in-cluster');
    }
  });

  it('a private address that does not answer from here: warn, says the check ran from this machine', async () => {
    const { result } = await runCheck('database.postgres.connect', pgTarget(pgDb({ host: '10.255.255.1' })), { timeoutMs: 2000 });
    expect(result.status).toBe('warn');
    expect(result.messageId).toBe('notFromHere');
    expect(result.message).toMatch(/private-network address .* from this machine/);
  });
});

function errorResponse(code: string, message: string): Buffer {
  const body = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`, 'utf8');
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}
