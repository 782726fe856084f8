import { dbInstances, databaseFor, pgQuery, pgSession } from '../../src/clients/postgres.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Outcome } from '../../src/engine/types.js';

/** Latest flyteadmin migration id of the Flyte release the facts file targets (1.16). */
export const LATEST_ADMIN_MIGRATION = '2025-05-29-add-index-executions-phase';
/** Tables datacatalog's AutoMigrate creates. */
export const DATACATALOG_TABLES = ['datasets', 'artifacts', 'artifact_data', 'tags', 'partition_keys', 'partitions', 'reservations'];

export default defineCheck({
  id: 'database.postgres.migrations',
  title: 'Flyte\'s schema migrations have been applied',
  phases: ['verify'],
  needs: ['database'],
  dependsOn: ['database.postgres.database'],
  instances: dbInstances,
  writes: 'none',
  explain: {
    what: 'flyteadmin: reads its gormigrate `migrations` table and reports how many migrations ran and the latest id. datacatalog: checks that the tables its AutoMigrate creates exist.',
    why: 'A missing table after install means the run-migrations step failed or never ran (check its logs); an old latest id means an older image migrated the database.',
    fix: 'Look at the flyteadmin `run-migrations` init container (flyte-core) or the flyte-binary pod logs; fix the database error there and restart.',
  },
  async run(ctx): Promise<Outcome> {
    const db = databaseFor(ctx);
    const s = await pgSession(ctx, db);
    if (!s.client || s.dbMissing) throw s.error ?? new Error(`database ${db.dbname} does not exist`);
    if (db.role === 'datacatalog') {
      const rows = await pgQuery<{ t: string }>(ctx, s.client, `SELECT t FROM unnest($1::text[]) AS t WHERE to_regclass(quote_ident(t)) IS NULL`, [DATACATALOG_TABLES]);
      const missing = rows.map((r) => r.t);
      if (missing.length) {
        return { status: 'fail', messageId: 'datacatalogTablesMissing', message: `datacatalog tables missing in ${db.dbname}: ${missing.join(', ')}`, hint: 'check the datacatalog pod logs (flyte-core: datacatalog run-migrations init container; flyte-binary: the flyte pod) for the database error and restart it', details: { missing, expected: DATACATALOG_TABLES } };
      }
      return { status: 'pass', messageId: 'datacatalogTables', message: `datacatalog tables present in ${db.dbname} (${DATACATALOG_TABLES.length})`, details: { tables: DATACATALOG_TABLES } };
    }
    const [exists] = await pgQuery<{ t: string | null }>(ctx, s.client, `SELECT to_regclass('migrations')::text AS t`);
    if (!exists?.t) {
      return { status: 'fail', messageId: 'noMigrationsTable', message: `flyteadmin's migrations table does not exist in ${db.dbname}: migrations have not run`, hint: 'check the flyteadmin run-migrations init container (flyte-core: kubectl -n <ns> logs deploy/flyteadmin -c run-migrations) or the flyte-binary pod logs', details: { dbname: db.dbname } };
    }
    const [r] = await pgQuery<{ n: number; latest: string | null; has_latest: boolean }>(ctx, s.client, `
      SELECT count(*)::int AS n, max(id) FILTER (WHERE id ~ '^[0-9]{4}-') AS latest, bool_or(id = $1) AS has_latest FROM migrations`, [LATEST_ADMIN_MIGRATION]);
    const details = { table: exists.t, applied: r!.n, latest: r!.latest, knownLatest: LATEST_ADMIN_MIGRATION, knownLatestApplied: !!r!.has_latest };
    if (!r!.n) {
      return { status: 'fail', messageId: 'emptyMigrations', message: `flyteadmin's migrations table in ${db.dbname} is empty`, hint: 'check the flyteadmin run-migrations logs for the failing migration', details };
    }
    return { status: 'pass', messageId: 'applied', message: `${r!.n} flyteadmin migrations applied; latest ${r!.latest ?? '?'}${r!.has_latest ? '' : ` (${LATEST_ADMIN_MIGRATION} of Flyte 1.16 not among them: an older flyteadmin image)`}`, details };
  },
});
