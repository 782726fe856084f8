import { dbInstances, databaseFor, dbKey, pgQuery, pgSession } from '../../src/clients/postgres.js';
import { defineCheck } from '../../src/engine/define.js';

interface Row { usr: string; schema: string | null; superuser: boolean; owns_db: boolean; db_owner: string; db_create: boolean; schema_create: boolean; owns_schema: boolean; schema_owner: string | null }

export default defineCheck({
  id: 'database.postgres.privileges',
  title: 'The role may create Flyte\'s tables in the database',
  phases: ['preflight', 'verify'],
  needs: ['database'],
  dependsOn: ['database.postgres.database'],
  instances: dbInstances,
  writes: 'none',
  explain: {
    what: 'Determines, without writing anything, whether the role can create tables where Flyte\'s migrations put them: the first schema of the search_path (`current_schema()`, normally `public`), via has_schema_privilege(CREATE), schema or database ownership, or superuser. Also lists existing tables there that the role does not own (migrations ALTER them).',
    why: 'Since PostgreSQL 15 the public schema no longer grants CREATE to everyone; a role that can log in but not create tables makes flyteadmin\'s migrations fail with "permission denied for schema public".',
    fix: 'Make the Flyte role the owner of the database (`ALTER DATABASE <db> OWNER TO <role>`) or grant `CREATE ON SCHEMA public`.',
  },
  async run(ctx) {
    const db = databaseFor(ctx);
    const s = await pgSession(ctx, db);
    if (s.dbMissing) {
      return { status: 'pass', messageId: 'willOwn', message: `database ${db.dbname} does not exist yet; when Flyte creates it, ${db.user} owns it and may create tables`, details: { dbname: db.dbname, user: db.user } };
    }
    if (!s.client) throw s.error ?? new Error('no database session');
    const [r] = await pgQuery<Row & Record<string, unknown>>(ctx, s.client, `
      SELECT current_user AS usr, current_schema() AS schema,
        (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
        pg_has_role(current_user, d.datdba, 'USAGE') AS owns_db, pg_get_userbyid(d.datdba) AS db_owner,
        has_database_privilege(current_database(), 'CREATE') AS db_create,
        COALESCE(has_schema_privilege(n.oid, 'CREATE'), false) AS schema_create,
        COALESCE(pg_has_role(current_user, n.nspowner, 'USAGE'), false) AS owns_schema,
        pg_get_userbyid(n.nspowner) AS schema_owner
      FROM pg_database d LEFT JOIN pg_namespace n ON n.nspname = current_schema()
      WHERE d.datname = current_database()`);
    const row = r!;
    const details = { user: row.usr, dbname: db.dbname, schema: row.schema, superuser: row.superuser, ownsDatabase: row.owns_db, databaseOwner: row.db_owner, databaseCreate: row.db_create, schemaCreate: row.schema_create, ownsSchema: row.owns_schema, schemaOwner: row.schema_owner };
    const grant = `psql -h ${db.host} -d ${db.dbname} -c "GRANT CREATE ON SCHEMA ${row.schema ?? 'public'} TO ${db.user}"`;
    if (!row.schema) {
      return { status: 'fail', messageId: 'noSchema', message: `no schema of ${db.user}'s search_path exists in ${db.dbname}, so Flyte's tables have nowhere to go`, hint: `create the schema or fix the role's search_path: psql -h ${db.host} -d ${db.dbname} -c "ALTER ROLE ${db.user} SET search_path = public"`, details };
    }
    if (!(row.superuser || row.schema_create || row.owns_schema)) {
      return { status: 'fail', messageId: 'noCreateOnSchema', message: `role ${db.user} may not create tables in schema ${row.schema} of ${db.dbname} (no CREATE privilege, not the schema owner${row.owns_db ? '' : `, database owned by ${row.db_owner}`}); Flyte's migrations will fail with "permission denied for schema ${row.schema}"`, hint: `${grant}; or make it the owner: ALTER DATABASE ${db.dbname} OWNER TO ${db.user} (PostgreSQL 15+ gives the database owner CREATE on public); or use another role in ${dbKey(db, 'username')}`, details };
    }
    const foreign = await pgQuery<{ relname: string; owner: string }>(ctx, s.client, `
      SELECT c.relname, pg_get_userbyid(c.relowner) AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT pg_has_role(current_user, c.relowner, 'USAGE')
      ORDER BY c.relname LIMIT 20`);
    if (foreign.length && !row.superuser) {
      return { status: 'warn', messageId: 'foreignTables', message: `${db.user} may create tables in ${row.schema}, but ${foreign.length}${foreign.length === 20 ? '+' : ''} existing tables there belong to other roles (${foreign.slice(0, 5).map((t) => `${t.relname} owned by ${t.owner}`).join(', ')}); migrations that ALTER them will fail`, hint: `transfer ownership, e.g. psql -h ${db.host} -d ${db.dbname} -c "REASSIGN OWNED BY ${foreign[0]!.owner} TO ${db.user}" (as an admin), or run Flyte as the owning role`, details: { ...details, foreignTables: foreign.map((t) => `${t.relname}:${t.owner}`) } };
    }
    const how = row.superuser ? 'superuser' : row.owns_schema ? `owner of schema ${row.schema}` : `CREATE on schema ${row.schema}`;
    return { status: 'pass', messageId: 'canCreate', message: `${db.user} may create tables in ${db.dbname}.${row.schema} (${how})`, details };
  },
});
