import { randomBytes } from 'node:crypto';
import { pgExtraClient, pgLocalEnd, PgProbeError, type PgSession } from '../../src/clients/postgres.js';
import { defineCheck } from '../../src/engine/define.js';
import type { DatabaseTarget } from '../../src/config/target.js';
import type { CheckContext, Json, Messages, Outcome } from '../../src/engine/types.js';
import { adminSql, dbKey, dbSettingKey, dbSource, ident } from '../../src/flyte/database.js';
import { carryNotFromHere, connOf, databaseFor, dbInstances, NOT_FROM_HERE_MESSAGES, query, QUERY_MESSAGES, queryFinding, sessionFor, where } from './_support.js';

/** flytestdlib `database.maxOpenConnections` default, per component process. */
export const DEFAULT_MAX_OPEN = 100;

const MESSAGES = {
  enough: { status: 'pass', summary: 'The server has room for every Flyte pool.' },
  tight: { status: 'warn', summary: 'Flyte\'s pools may use over 80% of the free connections.' },
  insufficient: { status: 'warn', summary: 'Flyte\'s pools may open more connections than the server has free.' },
  roleLimit: { status: 'warn', summary: 'The role\'s CONNECTION LIMIT is below what Flyte\'s pools may open.' },
  databaseLimit: { status: 'warn', summary: 'The database\'s CONNECTION LIMIT is below what Flyte\'s pools may open.' },
  transactionPooler: { status: 'fail', summary: 'A pooler in transaction pooling mode serves the database (two connections open at once got the same server backend) and passes named prepared statements through: Flyte\'s driver (pgx) prepares each query under a name, so its queries fail with "prepared statement … already exists" (42P05) or "… does not exist" (26000).' },
  statementPooler: { status: 'fail', summary: 'A pooler in statement pooling mode serves the database: it refuses transaction blocks, which Flyte\'s migrations and writes use.' },
  ...QUERY_MESSAGES,
  ...NOT_FROM_HERE_MESSAGES,
} as const satisfies Messages;

interface Row { max: number; reserved: number; reserved_roles?: number; used: number; role_limit: number; db_limit: number | null; pid: number; client_addr: string | null; client_port: number | null }

type PoolerOutcome = Outcome<'transactionPooler' | 'statementPooler'>;

/**
 * Is a pooler in transaction (or statement) mode in between? Only when the server does not see this
 * machine's own end of the session's connection (something relays it): a second connection, opened
 * while the session stays open, is served by the same backend only through such a pooler (a direct
 * connection, or a session-mode pooler, keeps one backend per client connection). Then a named
 * prepared statement inside a transaction (nothing written; deallocated) shows whether the pooler
 * passes it through as named (PgBouncer before 1.21, or max_prepared_statements = 0), which breaks
 * pgx's statement cache, or renames it (PgBouncer 1.21+ with max_prepared_statements), which works.
 */
async function poolerProbe(ctx: CheckContext, db: DatabaseTarget, s: PgSession, row: Row): Promise<{ outcome?: PoolerOutcome; details: Record<string, Json> }> {
  const local = s.client ? pgLocalEnd(s.client) : {};
  const bare = (a: string | null | undefined) => (a ?? '').replace(/^::ffff:/, '').replace(/\/\d+$/, '');
  if (local.port !== undefined && row.client_port === local.port && bare(row.client_addr) === bare(local.address)) return { details: { relayed: false } };
  const details: Record<string, Json> = { relayed: true, serverSeesClient: row.client_addr ? `${bare(row.client_addr)}:${row.client_port ?? '?'}` : 'a unix socket', backendPid: row.pid };
  let b: Awaited<ReturnType<typeof pgExtraClient>> | undefined;
  try {
    b = await pgExtraClient(ctx, { ...connOf(db), database: s.database }, s.database, s.tls);
    const client = b;
    const q = async <R>(text: string | { name: string; text: string }): Promise<R[]> => {
      const r: unknown = await client.query((typeof text === 'string' ? { text, query_timeout: 5_000 } : { ...text, query_timeout: 5_000 }) as never);
      return (r as { rows: R[] }).rows;
    };
    const [other] = await q<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    details.secondConnectionPid = other?.pid ?? null;
    if (other?.pid !== row.pid) return { details: { ...details, pooling: 'one backend per connection (direct, a proxy, or a session-mode pooler)' } };
    const w = where(db);
    const hostKey = dbSettingKey(ctx.target, db, 'host');
    const portKey = dbSettingKey(ctx.target, db, 'port');
    const seen = `two connections to ${w} open at the same time were served by the same PostgreSQL backend (pid ${row.pid}), which the server sees connected from ${details.serverSeesClient}: a pooler in front of PostgreSQL hands server connections out per transaction`;
    try { await q('BEGIN'); } catch (e) {
      const m = (e as Error).message ?? String(e);
      if (/statement pooling/i.test(m)) {
        return { outcome: { status: 'fail', messageId: 'statementPooler', message: `${seen}, and it refuses transaction blocks ("${m}"): statement pooling, under which Flyte's migrations and multi-statement writes fail`, hint: `set pool_mode = session (or transaction with max_prepared_statements, PgBouncer 1.21+) for ${db.dbname} in the pooler's configuration (pgbouncer.ini: "${db.dbname} = host=… pool_mode=session" under [databases]) and reload it; or point ${hostKey}${dbSource(ctx.target, db, 'host')} / ${portKey} at PostgreSQL itself`, details: { ...details, pooling: 'statement', serverMessage: m } }, details };
      }
      throw e;
    }
    const name = `flyte_doctor_probe_${randomBytes(6).toString('hex')}`;
    const text = `SELECT 1 AS ${name}`;
    try {
      await q({ name, text });
      const names = (await q<{ name: string }>(`SELECT name FROM pg_prepared_statements WHERE statement = '${text}'`)).map((r: { name: string }) => r.name);
      const passedThrough = names.includes(name);
      if (passedThrough) await q(`DEALLOCATE ${name}`);
      await q('COMMIT');
      if (!passedThrough) return { details: { ...details, pooling: 'transaction', preparedStatements: `renamed by the pooler (${names[0] ?? 'not kept'}): PgBouncer 1.21+ max_prepared_statements, which pgx's statement cache works with` } };
    } catch (e) {
      await q('ROLLBACK').catch(() => {});
      throw e;
    }
    return {
      outcome: {
        status: 'fail', messageId: 'transactionPooler',
        message: `${seen}; it passes named prepared statements through unchanged (one prepared as ${name} kept that name on the server). Flyte's driver (pgx) prepares every query under a name ("stmtcache_…") and reuses it on whichever server connection the pooler hands out next: flyteadmin and datacatalog fail with "prepared statement \"stmtcache_…\" already exists" (SQLSTATE 42P05) or "… does not exist" (26000)`,
        hint: `PgBouncer 1.21 or newer: set max_prepared_statements = 200 in the [pgbouncer] section of pgbouncer.ini and reload it (older PgBouncer: upgrade); or use session pooling for Flyte's databases ("${db.dbname} = host=… pool_mode=session" under [databases]); or point ${hostKey}${dbSource(ctx.target, db, 'host')} / ${portKey} at PostgreSQL itself`,
        details: { ...details, pooling: 'transaction', preparedStatements: 'passed through by name' },
      },
      details,
    };
  } catch (e) {
    // Not judged: the second login or a probe statement failed (a connection limit, a pooler quirk); the main check goes on.
    return { details: { ...details, poolerProbe: `not judged: ${e instanceof Error ? e.message : String(e)}` } };
  } finally {
    await b?.end().catch(() => {});
  }
}

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
          COALESCE(current_setting('reserved_connections', true), '0')::int AS reserved_roles,
          (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS used,
          (SELECT rolconnlimit FROM pg_roles WHERE rolname = current_user)::int AS role_limit,
          (SELECT datconnlimit FROM pg_database WHERE datname = $1)::int AS db_limit,
          pg_backend_pid() AS pid, inet_client_addr()::text AS client_addr, inet_client_port() AS client_port`, [db.dbname]);
    } catch (e) {
      if (e instanceof PgProbeError && e.kind !== 'aborted') return queryFinding(ctx.target, db, e, 'reading max_connections and pg_stat_activity');
      throw e;
    }
    if (!row || typeof row.max !== 'number') throw new PgProbeError('other', 'the server returned no connection settings', { step: 'query' });
    const pooler = await poolerProbe(ctx, db, s, row);
    if (pooler.outcome) return pooler.outcome;
    const sameServer = ctx.target.databases.filter((d) => d.host === db.host && d.port === db.port);
    const pools = sameServer.map((d) => ({ role: d.role, maxOpenConnections: d.maxOpenConnections ?? DEFAULT_MAX_OPEN }));
    const needed = pools.reduce((a, p) => a + p.maxOpenConnections, 0);
    const usedByOthers = Math.max(0, row.used - 1); // this session is not Flyte's
    // PostgreSQL 16+: reserved_connections are kept for roles with pg_use_reserved_connections too (NULL before 16)
    const reserved = row.reserved + (row.reserved_roles ?? 0);
    const free = row.max - reserved - usedByOthers;
    const details = { maxConnections: row.max, superuserReserved: row.reserved, ...(row.reserved_roles ? { reservedConnections: row.reserved_roles } : {}), inUse: usedByOthers, free, flytePools: pools, flyteMaxTotal: needed, roleConnectionLimit: row.role_limit, databaseConnectionLimit: row.db_limit, note: 'per process: multiply by replicas for flyte-core deployments with several replicas', ...(pooler.details.relayed ? { pooler: pooler.details } : {}) };
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
      return { status: 'warn', messageId: 'insufficient', message: `Flyte's pools on ${db.host}:${db.port} may open up to ${needed} connections (${pools.map((p) => `${p.role} ${p.maxOpenConnections}`).join(' + ')}) but only ${free} of ${row.max} are free (${usedByOthers} in use, ${reserved} reserved)`, hint: fix, details };
    }
    if (needed > 0.8 * free) {
      return { status: 'warn', messageId: 'tight', message: `Flyte's pools may use ${needed} of the ${free} free connections on ${db.host}:${db.port} (over 80%)`, hint: fix, details };
    }
    return { status: 'pass', messageId: 'enough', message: `${free} of ${row.max} connections free on ${db.host}:${db.port}; Flyte's pools need at most ${needed}`, details };
  },
});
