import { dbInstances, databaseFor, dbKey, pgQuery, pgSession } from '../../src/clients/postgres.js';
import { defineCheck } from '../../src/engine/define.js';

/** flytestdlib `database.maxOpenConnections` default, per component process. */
export const DEFAULT_MAX_OPEN = 100;

export default defineCheck({
  id: 'database.postgres.connections',
  title: 'The server has room for the connections Flyte\'s pools will open',
  phases: ['preflight', 'verify'],
  needs: ['database'],
  dependsOn: ['database.postgres.auth'],
  instances: dbInstances,
  writes: 'none',
  explain: {
    what: 'Compares `max_connections` minus reserved and in-use connections with the sum of `maxOpenConnections` (default 100 per component process) of every configured Flyte database on the same server, and the role\'s connection limit.',
    why: 'flyteadmin and datacatalog (and, in flyte-core, the scheduler and cluster-resource sync, times replicas) each keep a pool; a small managed database then answers "sorry, too many clients already" (SQLSTATE 53300) under load.',
    fix: 'Lower `maxOpenConnections`, put PgBouncer in front, or raise the server\'s max_connections.',
  },
  async run(ctx) {
    const db = databaseFor(ctx);
    const s = await pgSession(ctx, db);
    if (!s.client) throw s.error ?? s.fallbackError ?? new Error('no database session');
    const [r] = await pgQuery<{ max: number; reserved: number; used: number; role_limit: number; role_used: number }>(ctx, s.client, `
      SELECT current_setting('max_connections')::int AS max,
        current_setting('superuser_reserved_connections')::int AS reserved,
        (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS used,
        (SELECT rolconnlimit FROM pg_roles WHERE rolname = current_user)::int AS role_limit,
        (SELECT count(*) FROM pg_stat_activity WHERE usename = current_user)::int AS role_used`);
    const row = r!;
    const sameServer = ctx.target.databases.filter((d) => d.host === db.host && d.port === db.port);
    const pools = sameServer.map((d) => ({ role: d.role, maxOpenConnections: d.maxOpenConnections ?? DEFAULT_MAX_OPEN }));
    const needed = pools.reduce((a, p) => a + p.maxOpenConnections, 0);
    const usedByOthers = Math.max(0, row.used - 1); // this session is not Flyte's
    const free = row.max - row.reserved - usedByOthers;
    const details = { maxConnections: row.max, superuserReserved: row.reserved, inUse: usedByOthers, free, flytePools: pools, flyteMaxTotal: needed, roleConnectionLimit: row.role_limit, note: 'per process: multiply by replicas for flyte-core deployments with several replicas' };
    const fix = `lower ${dbKey(db, 'maxOpenConnections')} (each Flyte process opens up to that many), add PgBouncer, or raise max_connections on ${db.host}`;
    const roleNeeded = sameServer.filter((d) => d.user === db.user).reduce((a, d) => a + (d.maxOpenConnections ?? DEFAULT_MAX_OPEN), 0);
    if (row.role_limit >= 0 && roleNeeded > row.role_limit) {
      return { status: 'warn', messageId: 'roleLimit', message: `role ${db.user} is limited to ${row.role_limit} connections but Flyte's pools may open ${roleNeeded}`, hint: `ALTER ROLE ${db.user} CONNECTION LIMIT ${roleNeeded + 10}; or ${fix}`, details };
    }
    if (needed > free) {
      return { status: 'warn', messageId: 'insufficient', message: `Flyte's pools on ${db.host}:${db.port} may open up to ${needed} connections (${pools.map((p) => `${p.role} ${p.maxOpenConnections}`).join(' + ')}) but only ${free} of ${row.max} are free (${usedByOthers} in use, ${row.reserved} reserved)`, hint: fix, details };
    }
    if (needed > 0.8 * free) {
      return { status: 'warn', messageId: 'tight', message: `Flyte's pools may use ${needed} of the ${free} free connections on ${db.host}:${db.port} (over 80%)`, hint: fix, details };
    }
    return { status: 'pass', messageId: 'enough', message: `${free} of ${row.max} connections free on ${db.host}:${db.port}; Flyte's pools need at most ${needed}`, details };
  },
});
