import { dbInstances, databaseFor, dbKey, stepBudget } from '../../src/clients/postgres.js';
import { DnsError, resolveHost } from '../../src/clients/resolve.js';
import { defineCheck } from '../../src/engine/define.js';

export default defineCheck({
  id: 'database.postgres.dns',
  title: 'The database host name resolves',
  phases: ['preflight', 'verify'],
  needs: ['database'],
  instances: dbInstances,
  timeoutMs: 8000,
  writes: 'none',
  explain: {
    what: 'Resolves the configured PostgreSQL host (through `--dns-server` when given).',
    why: 'flyteadmin and datacatalog cannot connect to a name that does not resolve; the binary chart\'s wait-for-db init container then waits forever.',
    fix: 'Set the database host values key to a resolvable name (managed database endpoint, in-cluster service name as seen from the Flyte namespace).',
  },
  async run(ctx) {
    const db = databaseFor(ctx);
    const where = `${db.host}:${db.port}`;
    try {
      const r = await resolveHost(db.host, ctx.target.dnsServer, stepBudget(ctx, 5000));
      const literal = r.address === db.host;
      return {
        status: 'pass', messageId: literal ? 'ipLiteral' : 'resolved',
        message: literal ? `${db.host} is an IP address (no lookup needed)` : `${db.host} resolves to ${r.addresses.join(', ')}`,
        details: { host: db.host, addresses: r.addresses, resolver: ctx.target.dnsServer ?? 'system' },
      };
    } catch (e) {
      if (!(e instanceof DnsError)) throw e;
      const details = { host: db.host, port: db.port, resolver: e.server, code: e.code, kind: e.kind };
      const fixHost = `set ${dbKey(db, 'host')} to the database's real host name (the value in use is ${db.host})`;
      switch (e.kind) {
        case 'nxdomain': case 'nodata':
          return { status: 'fail', messageId: 'nxdomain', message: `database host ${db.host} does not resolve (${e.kind === 'nxdomain' ? 'NXDOMAIN' : 'no address records'}) via ${e.server}; Flyte cannot reach ${where}`, hint: `${fixHost}; for a cluster-internal name run flyte-doctor where that name resolves (or pass --dns-server)`, details };
        case 'servfail': case 'refused':
          return { status: 'fail', messageId: 'resolverFailure', message: `the resolver ${e.server} failed to resolve ${db.host} (${e.code})`, hint: `check the DNS zone of ${db.host} and the resolver; or ${fixHost}`, details };
        case 'timeout':
          return { status: 'fail', messageId: 'dnsTimeout', message: `no DNS answer for ${db.host} from ${e.server}`, hint: `check that the resolver ${e.server} is reachable; or ${fixHost}`, details };
        default:
          throw e;
      }
    }
  },
});
