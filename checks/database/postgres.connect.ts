import { PgProbeError, sslRequest, tcpConnect, whatListens } from '../../src/clients/postgres.js';
import type { ServiceEvidence } from '../../src/clients/sniff.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Outcome } from '../../src/engine/types.js';
import { carryNotFromHere, databaseFor, dbInstances, NETWORK_MESSAGES, networkFinding, NOT_FROM_HERE_MESSAGES, SERVER_MESSAGES, serverOnlyFinding, where } from './_support.js';

export default defineCheck({
  id: 'database.postgres.connect',
  title: 'A PostgreSQL server answers on the database host and port',
  phases: ['preflight', 'verify'],
  needs: ['database'],
  dependsOn: ['database.postgres.dns'],
  instances: dbInstances,
  timeoutMs: 10_000,
  writes: 'none',
  messages: {
    connected: { status: 'pass', summary: 'PostgreSQL answered the SSLRequest with one byte (S: TLS offered, N: not) and nothing else.' },
    ...NETWORK_MESSAGES,
    ...NOT_FROM_HERE_MESSAGES,
    ...SERVER_MESSAGES,
  },
  explain: {
    what: 'Opens a TCP connection to host:port and sends the PostgreSQL SSLRequest, which every PostgreSQL server answers with exactly one byte (S or N) without authentication. Any other answer (an SSH or SMTP banner, an HTTP page, a TLS alert, more bytes after the S) is another service; no answer, or a connection closed at once, is told apart by probing what listens (HTTP, TLS, a second SSLRequest).',
    why: 'A refused connection means nothing listens there (wrong port, server down); a dropped one means a firewall, security group or NetworkPolicy; another service means the host or port points at the wrong thing. Flyte\'s pods then fail to start (the binary chart\'s wait-for-db init container waits forever).',
    fix: 'Correct the host/port values keys, or open the network path from the Flyte namespace to the database (security group, NetworkPolicy, private endpoint or proxy).',
  },
  async run(ctx): Promise<Outcome<'connected' | keyof typeof NETWORK_MESSAGES | 'notFromHere' | keyof typeof SERVER_MESSAGES>> {
    const db = databaseFor(ctx);
    const carried = carryNotFromHere(ctx, db, ['database.postgres.dns']);
    if (carried) return carried;
    const w = where(db);
    const left = () => ctx.remainingMs();
    let address: string | undefined;
    try {
      const c = await tcpConnect(db.host, db.port, { dnsServer: ctx.target.dnsServer, timeoutMs: Math.max(300, Math.min(5000, Math.round(left() * 0.45))), signal: ctx.signal });
      address = c.address;
      try {
        const a = await sslRequest(c.socket, Math.max(300, Math.min(5000, Math.round(left() * 0.4))), ctx.signal);
        if ('error' in a) return serverOnlyFinding(ctx.target, db, a.error, 'SSLRequest');
        return {
          status: 'pass', messageId: 'connected',
          message: `PostgreSQL answers on ${w}${c.address !== db.host ? ` (${c.address})` : ''} in ${c.connectMs} ms; TLS ${a.offers ? 'offered' : 'not offered'}`,
          details: { host: db.host, port: db.port, address: c.address, connectMs: c.connectMs, serverOffersTls: a.offers },
        };
      } finally { c.socket.destroy(); }
    } catch (e) {
      if (!(e instanceof PgProbeError) || e.kind === 'aborted') throw e;
      let evidence: ServiceEvidence | undefined;
      if (address && (e.kind === 'silent' || e.kind === 'closed' || e.kind === 'reset')) {
        // Accepted but no PostgreSQL answer: what is it? (an HTTP server waits for a full request line, a TLS port for a hello).
        evidence = await whatListens(address, db.port, Math.max(300, Math.min(3000, left() - 400)), ctx.signal);
      }
      return networkFinding(ctx.target, db, e, { ...(address ? { address } : {}), ...(evidence ? { evidence } : {}) });
    }
  },
});

