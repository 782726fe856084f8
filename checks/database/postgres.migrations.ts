import { PgProbeError } from '../../src/clients/postgres.js';
import { cause, hostPortKey } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Messages, Outcome } from '../../src/engine/types.js';
import { adminSql, ident } from '../../src/flyte/database.js';
import { carryNotFromHere, databaseFor, dbInstances, NOT_FROM_HERE_MESSAGES, query, QUERY_MESSAGES, queryFinding, serverDetails, sessionFor } from './_support.js';

/** Latest flyteadmin migration id of the Flyte release the facts file targets (1.16). */
export const LATEST_ADMIN_MIGRATION = '2025-05-29-add-index-executions-phase';
/** Tables datacatalog's AutoMigrate creates. */
export const DATACATALOG_TABLES = ['datasets', 'artifacts', 'artifact_data', 'tags', 'partition_keys', 'partitions', 'reservations'];

const MESSAGES = {
  applied: { status: 'pass', summary: 'flyteadmin\'s migrations table lists applied migrations.' },
  datacatalogTables: { status: 'pass', summary: 'The tables datacatalog\'s AutoMigrate creates are present.' },
  noMigrationsTable: { status: 'fail', summary: 'flyteadmin\'s migrations table does not exist: migrations have not run.' },
  emptyMigrations: { status: 'fail', summary: 'flyteadmin\'s migrations table is empty.' },
  datacatalogTablesMissing: { status: 'fail', summary: 'Tables datacatalog\'s AutoMigrate creates are missing.' },
  migrationsUnreadable: { status: 'fail', summary: 'The role may not read the migrations table (SQLSTATE 42501): it belongs to another role, so migrations fail too.' },
  foreignMigrationsTable: { status: 'fail', summary: 'A table named migrations exists but is not flyteadmin\'s (no id column, SQLSTATE 42703): another application shares the schema.' },
  ...QUERY_MESSAGES,
  ...NOT_FROM_HERE_MESSAGES,
} as const satisfies Messages;

export default defineCheck({
  id: 'database.postgres.migrations',
  title: 'Flyte\'s schema migrations have been applied',
  phases: ['verify'],
  needs: ['database'],
  dependsOn: ['database.postgres.database'],
  instances: dbInstances,
  writes: 'none',
  messages: MESSAGES,
  explain: {
    what: 'flyteadmin: reads its gormigrate `migrations` table and reports how many migrations ran and the latest id. datacatalog: checks that the tables its AutoMigrate creates exist.',
    why: 'A missing table after install means the run-migrations step failed or never ran (check its logs); an old latest id means an older image migrated the database; a migrations table the role cannot read or that is not flyteadmin\'s stops every later migration.',
    fix: 'Look at the flyteadmin `run-migrations` init container (flyte-core) or the flyte-binary pod logs; fix the database error there and restart.',
  },
  async run(ctx): Promise<Outcome<keyof typeof MESSAGES>> {
    const db = databaseFor(ctx);
    const carried = carryNotFromHere(ctx, db, ['database.postgres.database']);
    if (carried) return carried;
    const s = await sessionFor(ctx, db);
    if (!s.client || s.dbRefused) return { status: 'skip', messageId: 'noSession', message: `not checked: no session on database ${db.dbname} (database.postgres.database says why)`, details: { dbname: db.dbname } };
    const client = s.client;
    // keyed by the server and database it is missing in: a release that runs with another address
    // (flyte.config.live) and this finding are one fault when the values point at another server
    const schema = cause.object('database-schema', hostPortKey(db.host, db.port), db.dbname);
    const logs = db.role === 'datacatalog'
      ? 'the datacatalog pod logs (flyte-core: datacatalog run-migrations init container; flyte-binary: the flyte pod)'
      : 'the flyteadmin run-migrations init container (flyte-core: kubectl -n <ns> logs deploy/flyteadmin -c run-migrations) or the flyte-binary pod logs';
    try {
      if (db.role === 'datacatalog') {
        const rows = await query<{ t: string }>(ctx, db, client, `SELECT t FROM unnest($1::text[]) AS t WHERE to_regclass(quote_ident(t)) IS NULL`, [DATACATALOG_TABLES]);
        const missing = rows.map((r) => r.t);
        if (missing.length) {
          return { status: 'fail', messageId: 'datacatalogTablesMissing', cause: schema, message: `datacatalog tables missing in ${db.dbname}: ${missing.join(', ')}`, hint: `check ${logs} for the database error and restart it`, details: { missing, expected: DATACATALOG_TABLES } };
        }
        return { status: 'pass', messageId: 'datacatalogTables', message: `datacatalog tables present in ${db.dbname} (${DATACATALOG_TABLES.length})`, details: { tables: DATACATALOG_TABLES } };
      }
      const [exists] = await query<{ t: string | null; owner: string | null }>(ctx, db, client, `SELECT to_regclass('migrations')::text AS t, (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = to_regclass('migrations')) AS owner`);
      if (!exists?.t) {
        return { status: 'fail', messageId: 'noMigrationsTable', cause: schema, message: `flyteadmin's migrations table does not exist in ${db.dbname}: migrations have not run`, hint: `check ${logs}`, details: { dbname: db.dbname } };
      }
      let r: { n: number; latest: string | null; has_latest: boolean } | undefined;
      try {
        [r] = await query<{ n: number; latest: string | null; has_latest: boolean }>(ctx, db, client, `
          SELECT count(*)::int AS n, max(id) FILTER (WHERE id ~ '^[0-9]{4}-') AS latest, bool_or(id = $1) AS has_latest FROM migrations`, [LATEST_ADMIN_MIGRATION]);
      } catch (e) {
        if (e instanceof PgProbeError && e.server?.code === '42501') {
          return { status: 'fail', messageId: 'migrationsUnreadable', message: `role ${db.user} may not read ${exists.t} in ${db.dbname} (owned by ${exists.owner ?? '?'}; SQLSTATE 42501: ${e.server.message}); flyteadmin's migrations fail the same way`, hint: `as a superuser: ${adminSql(db, `ALTER TABLE ${exists.t} OWNER TO ${ident(db.user)}`, db.dbname)} (or run Flyte as ${exists.owner ?? 'the owning role'})`, details: { table: exists.t, owner: exists.owner, ...serverDetails(e.server) } };
        }
        if (e instanceof PgProbeError && e.server?.code === '42703') {
          return { status: 'fail', messageId: 'foreignMigrationsTable', message: `${exists.t} in ${db.dbname} (owned by ${exists.owner ?? '?'}) is not flyteadmin's gormigrate table (SQLSTATE 42703: ${e.server.message}): another application uses this schema`, hint: `give Flyte a database of its own (set the dbname values key to a new database), or move the other application's tables out of the search_path schema`, details: { table: exists.t, owner: exists.owner, ...serverDetails(e.server) } };
        }
        throw e;
      }
      const details = { table: exists.t, owner: exists.owner, applied: r?.n ?? 0, latest: r?.latest ?? null, knownLatest: LATEST_ADMIN_MIGRATION, knownLatestApplied: !!r?.has_latest };
      if (!r?.n) {
        return { status: 'fail', messageId: 'emptyMigrations', cause: schema, message: `flyteadmin's migrations table in ${db.dbname} is empty`, hint: `check ${logs} for the failing migration`, details };
      }
      return { status: 'pass', messageId: 'applied', message: `${r.n} flyteadmin migrations applied; latest ${r.latest ?? '?'}${r.has_latest ? '' : ` (${LATEST_ADMIN_MIGRATION} of Flyte 1.16 not among them: an older flyteadmin image)`}`, details };
    } catch (e) {
      if (e instanceof PgProbeError && e.kind !== 'aborted') return queryFinding(ctx.target, db, e, 'reading flyteadmin\'s migrations');
      throw e;
    }
  },
});
