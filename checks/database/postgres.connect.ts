import { dbInstances, databaseFor, dbKey, PgProbeError, secs, sslRequest, stepBudget, tcpConnect } from '../../src/clients/postgres.js';
import { defineCheck } from '../../src/engine/define.js';

export default defineCheck({
  id: 'database.postgres.connect',
  title: 'A PostgreSQL server answers on the database host and port',
  phases: ['preflight', 'verify'],
  needs: ['database'],
  dependsOn: ['database.postgres.dns'],
  instances: dbInstances,
  timeoutMs: 10_000,
  writes: 'none',
  explain: {
    what: 'Opens a TCP connection to host:port and sends the PostgreSQL SSLRequest, which every PostgreSQL server answers without authentication.',
    why: 'A refused connection means nothing listens there (wrong port, server down); no answer means a firewall, security group or NetworkPolicy drops the packets, or the host is wrong.',
    fix: 'Correct the host/port values keys, or open the network path from the Flyte namespace to the database (security group, NetworkPolicy, private endpoint or proxy).',
  },
  async run(ctx) {
    const db = databaseFor(ctx);
    const where = `${db.host}:${db.port}`;
    const budget = stepBudget(ctx, 8000);
    const t0 = Date.now();
    try {
      const c = await tcpConnect(db.host, db.port, { ...(ctx.target.dnsServer ? { dnsServer: ctx.target.dnsServer } : {}), timeoutMs: budget, signal: ctx.signal });
      try {
        const offersTls = await sslRequest(c.socket, Math.max(200, budget - (Date.now() - t0)), ctx.signal);
        return {
          status: 'pass', messageId: 'connected',
          message: `PostgreSQL answers on ${where} (${c.address}) in ${c.connectMs} ms; TLS ${offersTls ? 'offered' : 'not offered'}`,
          details: { host: db.host, port: db.port, address: c.address, connectMs: c.connectMs, serverOffersTls: offersTls },
        };
      } finally { c.socket.destroy(); }
    } catch (e) {
      if (!(e instanceof PgProbeError)) throw e;
      const details = { host: db.host, port: db.port, kind: e.kind, ...(e.code ? { code: e.code } : {}) };
      switch (e.kind) {
        case 'refused':
          return { status: 'fail', messageId: 'refused', message: `connection refused by ${where}: nothing listens on port ${db.port} there`, hint: `check that PostgreSQL runs and listens on ${where} (listen_addresses, port); or fix ${dbKey(db, 'host')} / ${dbKey(db, 'port')}`, details };
        case 'timeout':
          return { status: 'fail', messageId: 'timeout', message: `no answer from ${where} within ${secs(budget)}${/SSLRequest/.test(e.message) ? ' (TCP accepted, but no PostgreSQL answer)' : ''}`, hint: `a firewall, security group or NetworkPolicy drops traffic to ${where}, or ${dbKey(db, 'host')} / ${dbKey(db, 'port')} point to the wrong machine; allow TCP ${db.port} from the Flyte namespace`, details };
        case 'unreachable':
          return { status: 'fail', messageId: 'unreachable', message: e.message, hint: `no network route to ${db.host}; check ${dbKey(db, 'host')} and the VPC/peering from the cluster`, details };
        case 'reset': case 'not-postgres':
          return { status: 'fail', messageId: 'notPostgres', message: `${where} accepted the connection but did not answer like PostgreSQL: ${e.message}`, hint: `check that ${dbKey(db, 'port')} is the PostgreSQL port (5432 by default), not a proxy or another service`, details };
        case 'dns':
          return { status: 'fail', messageId: 'dns', message: e.message, hint: `fix ${dbKey(db, 'host')}`, details };
        default:
          throw e;
      }
    }
  },
});
