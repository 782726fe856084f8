import { PgProbeError } from '../../src/clients/postgres.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Messages, Outcome } from '../../src/engine/types.js';
import { adminSql, dbKey, ident } from '../../src/flyte/database.js';
import { carryNotFromHere, databaseFor, dbInstances, NOT_FROM_HERE_MESSAGES, query, QUERY_MESSAGES, queryFinding, sessionFor } from './_support.js';

/** flytestdlib `database.maxOpenConnections` default, per component process. */
export const DEFAULT_MAX_OPEN = 100;

const MESSAGES = {
  enough: { status: 'pass', summary: 'The server has room for every Flyte pool.' },
  tight: { status: 'warn', summary: 'Flyte\'s pools may use over 80% of the free connections.' },
  insufficient: { status: 'warn', summary: 'Flyte\'s pools may open more connections than the server has free.' },
  roleLimit: { status: 'warn', summary: 'The role\'s CONNECTION LIMIT is below what Flyte\'s pools may open.' },
  databaseLimit: { status: 'warn', summary: 'The database\'s CONNECTION LIMIT is below what Flyte\'s pools may open.' },
  ...QUERY_MESSAGES,
  ...NOT_FROM_HERE_MESSAGES,
} as const satisfies Messages;

interface Row { max: number; reserved: number; used: number; role_limit: number; db_limit: number | null }

export default defineCheck({
  id: 'database.postgres.connections',
  title: 'The server has room for the connections Flyte\'s pools will open',
  phases: ['preflight', 'verify'],
  needs: ['database'],
  dependsOn: ['database.postgres.auth'],
  instances: dbInstances,
  writes: 'none',
  messages: MESSAGES,
  explain: {
    what: 'Compares `max_connections` minus reserved and in-use connections with the sum of `maxOpenConnections` (default 100 per component process) of every configured Flyte database on the same server, and the role\'s and the database\'s connection limits.',
    why: 'flyteadmin and datacatalog (and, in flyte-core, the scheduler and cluster-resource sync, times replicas) each keep a pool; a small managed database then answers "sorry, too many clients already" (SQLSTATE 53300) under load.',
    fix: 'Lower `maxOpenConnections`, put PgBouncer in front, or raise the server\'s max_connections (or the role\'s / database\'s CONNECTION LIMIT).',
  },
  async run(ctx): Promise<Outcome<keyof typeof MESSAGES>> {
    const db = databaseFor(ctx);
    const carried = carryNotFromHere(ctx, db, ['database.postgres.auth']);
    if (carried) return carried;
    const s = await sessionFor(ctx, db);
    if (!s.client) return { status: 'skip', messageId: 'noSession', message: `not checked: no session on ${db.host}:${db.port} (${s.error?.message ?? s.fallbackError?.message ?? 'the dependencies say why'})`, details: { host: db.host } };
    let row: Row | undefined;
    try {
      [row] = await query<Row & Record<string, unknown>>(ctx, db, s.client, `
        SELECT current_setting('max_connections')::int AS max,
          current_setting('superuser_reserved_connections')::int AS reserved,
          (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS used,
          (SELECT rolconnlimit FROM pg_roles WHERE rolname = current_user)::int AS role_limit,
          (SELECT datconnlimit FROM pg_database WHERE datname = $1)::int AS db_limit`, [db.dbname]);
    } catch (e) {
      if (e instanceof PgProbeError && e.kind !== 'aborted') return queryFinding(ctx.target, db, e, 'reading max_connections and pg_stat_activity');
      throw e;
    }
    if (!row || typeof row.max !== 'number') throw new PgProbeError('other', 'the server returned no connection settings', { step: 'query' });
    const sameServer = ctx.target.databases.filter((d) => d.host === db.host && d.port === db.port);
    const pools = sameServer.map((d) => ({ role: d.role, maxOpenConnections: d.maxOpenConnections ?? DEFAULT_MAX_OPEN }));
    const needed = pools.reduce((a, p) => a + p.maxOpenConnections, 0);
    const usedByOthers = Math.max(0, row.used - 1); // this session is not Flyte's
    const free = row.max - row.reserved - usedByOthers;
    const details = { maxConnections: row.max, superuserReserved: row.reserved, inUse: usedByOthers, free, flytePools: pools, flyteMaxTotal: needed, roleConnectionLimit: row.role_limit, databaseConnectionLimit: row.db_limit, note: 'per process: multiply by replicas for flyte-core deployments with several replicas' };
    const fix = `lower ${dbKey(db, 'maxOpenConnections')} (each Flyte process opens up to that many), add PgBouncer, or raise max_connections on ${db.host}`;
    const roleNeeded = sameServer.filter((d) => d.user === db.user).reduce((a, d) => a + (d.maxOpenConnections ?? DEFAULT_MAX_OPEN), 0);
    if (row.role_limit >= 0 && roleNeeded > row.role_limit) {
      return { status: 'warn', messageId: 'roleLimit', message: `role ${db.user} is limited to ${row.role_limit} connections but Flyte's pools may open ${roleNeeded}`, hint: `as an admin: ${adminSql(db, `ALTER ROLE ${ident(db.user)} CONNECTION LIMIT ${roleNeeded + 10}`)}; or ${fix}`, details };
    }
    const dbNeeded = sameServer.filter((d) => d.dbname === db.dbname).reduce((a, d) => a + (d.maxOpenConnections ?? DEFAULT_MAX_OPEN), 0);
    if (row.db_limit !== null && row.db_limit >= 0 && dbNeeded > row.db_limit) {
      return { status: 'warn', messageId: 'databaseLimit', message: `database ${db.dbname} is limited to ${row.db_limit} connections but Flyte's pools may open ${dbNeeded}`, hint: `as an admin: ${adminSql(db, `ALTER DATABASE ${ident(db.dbname)} CONNECTION LIMIT ${dbNeeded + 10}`)}; or ${fix}`, details };
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
