import { PgProbeError } from '../../src/clients/postgres.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Messages, Outcome } from '../../src/engine/types.js';
import { adminSql, dbSettingKey, dbSource, ident } from '../../src/flyte/database.js';
import { carryNotFromHere, databaseFor, dbInstances, hpKey, NOT_FROM_HERE_MESSAGES, query, QUERY_MESSAGES, queryFinding, sessionFor, where } from './_support.js';

interface Row {
  usr: string; schema: string | null; superuser: boolean; owns_db: boolean; db_owner: string; db_create: boolean; schema_create: boolean; schema_usage: boolean; owns_schema: boolean; schema_owner: string | null;
  in_recovery: boolean; tx_read_only: string; default_read_only: string; read_only_source: string | null; read_only_file: string | null; no_usage_schema: string | null;
}

const MESSAGES = {
  canCreate: { status: 'pass', summary: 'The role may create tables where Flyte\'s migrations put them.' },
  willOwn: { status: 'pass', summary: 'The database does not exist yet: the role will own it when Flyte creates it.' },
  readReplica: { status: 'fail', summary: 'The host is a read-only replica (pg_is_in_recovery() is true): Flyte needs the primary.' },
  readOnlyTransactions: { status: 'fail', summary: 'Sessions of this role/database are read-only (default_transaction_read_only = on): Flyte\'s migrations would fail with SQLSTATE 25006.' },
  noSchema: { status: 'fail', summary: 'No schema of the role\'s search_path exists, so Flyte\'s tables have nowhere to go (SQLSTATE 3F000 at migration).' },
  noCreateOnSchema: { status: 'fail', summary: 'The role may not create tables in the schema (no CREATE privilege, not the owner, not superuser).' },
  foreignTables: { status: 'warn', summary: 'Tables in the schema belong to other roles; migrations that ALTER them will fail.' },
  ...QUERY_MESSAGES,
  ...NOT_FROM_HERE_MESSAGES,
} as const satisfies Messages;

export default defineCheck({
  id: 'database.postgres.privileges',
  title: 'The role may create Flyte\'s tables in the database, on a writable primary',
  phases: ['preflight', 'verify'],
  needs: ['database'],
  dependsOn: ['database.postgres.database'],
  instances: dbInstances,
  writes: 'none',
  messages: MESSAGES,
  explain: {
    what: 'Determines, without writing anything, whether the role can create tables where Flyte\'s migrations put them: that the server is a writable primary (`pg_is_in_recovery()`, `default_transaction_read_only` and where it is set), the first schema of the search_path (`current_schema()`, normally `public`), the CREATE privilege there (has_schema_privilege), schema ownership or superuser. Also lists existing tables there that the role does not own (migrations ALTER them).',
    why: 'Since PostgreSQL 15 the public schema no longer grants CREATE to everyone; a role that can log in but not create tables makes flyteadmin\'s migrations fail with "permission denied for schema public". A replica (a reader endpoint) or a role with read-only sessions fails them with "cannot execute CREATE TABLE in a read-only transaction".',
    fix: 'Point the host at the primary; reset default_transaction_read_only; make the Flyte role the owner of the database (`ALTER DATABASE <db> OWNER TO <role>`) or grant `CREATE ON SCHEMA public`.',
  },
  async run(ctx): Promise<Outcome<keyof typeof MESSAGES>> {
    const db = databaseFor(ctx);
    const carried = carryNotFromHere(ctx, db, ['database.postgres.database']);
    if (carried) return carried;
    const w = where(db);
    const s = await sessionFor(ctx, db);
    if (s.dbRefused?.code === '3D000') {
      return { status: 'pass', messageId: 'willOwn', message: `database ${db.dbname} does not exist yet; when Flyte creates it, ${db.user} owns it and may create tables`, details: { dbname: db.dbname, user: db.user } };
    }
    if (!s.client || s.dbRefused) return { status: 'skip', messageId: 'noSession', message: `not checked: no session on database ${db.dbname} (database.postgres.database says why)`, details: { dbname: db.dbname } };
    try {
      const [r] = await query<Row & Record<string, unknown>>(ctx, db, s.client, `
        SELECT current_user AS usr, current_schema() AS schema,
          (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
          pg_has_role(current_user, d.datdba, 'USAGE') AS owns_db, pg_get_userbyid(d.datdba) AS db_owner,
          has_database_privilege(current_database(), 'CREATE') AS db_create,
          COALESCE(has_schema_privilege(n.oid, 'CREATE'), false) AS schema_create,
          COALESCE(has_schema_privilege(n.oid, 'USAGE'), false) AS schema_usage,
          COALESCE(pg_has_role(current_user, n.nspowner, 'USAGE'), false) AS owns_schema,
          pg_get_userbyid(n.nspowner) AS schema_owner,
          pg_is_in_recovery() AS in_recovery,
          current_setting('transaction_read_only') AS tx_read_only,
          current_setting('default_transaction_read_only') AS default_read_only,
          (SELECT source FROM pg_settings WHERE name = 'default_transaction_read_only') AS read_only_source,
          (SELECT sourcefile FROM pg_settings WHERE name = 'default_transaction_read_only') AS read_only_file,
          (SELECT n.nspname FROM unnest(string_to_array(current_setting('search_path'), ',')) WITH ORDINALITY AS p(name, i)
             JOIN pg_namespace n ON n.nspname = btrim(replace(btrim(p.name), '$user', current_user), '"')
             WHERE NOT has_schema_privilege(n.oid, 'USAGE') ORDER BY p.i LIMIT 1) AS no_usage_schema
        FROM pg_database d LEFT JOIN pg_namespace n ON n.nspname = current_schema()
        WHERE d.datname = current_database()`);
      if (!r) throw new PgProbeError('other', 'the server returned no row for the current database', { step: 'query' });
      const row = r;
      const details = { user: row.usr, dbname: db.dbname, schema: row.schema, superuser: row.superuser, ownsDatabase: row.owns_db, databaseOwner: row.db_owner, databaseCreate: row.db_create, schemaCreate: row.schema_create, ownsSchema: row.owns_schema, schemaOwner: row.schema_owner, inRecovery: row.in_recovery, transactionReadOnly: row.tx_read_only, defaultTransactionReadOnly: row.default_read_only, readOnlySource: row.read_only_source };
      const hostKey = dbSettingKey(ctx.target, db, 'host');
      if (row.in_recovery) {
        return { status: 'fail', messageId: 'readReplica', cause: cause.config(hostKey), message: `${w} is a read-only replica (pg_is_in_recovery() is true): Flyte's migrations and writes fail there with "cannot execute … in a read-only transaction" (SQLSTATE 25006)`, hint: `set ${hostKey}${dbSource(ctx.target, db, 'host')} to the primary's (writer) endpoint; on RDS/Aurora the cluster (writer) endpoint, not the reader or a replica instance`, details };
      }
      // Flyte's driver sends the options' key=values as settings at login (this probe's session does
      // not): there, default_transaction_read_only overrides the role's, database's and server's.
      const optKey = Object.keys(db.runtimeParams ?? {}).find((k) => k.toLowerCase() === 'default_transaction_read_only');
      const optVal = optKey ? db.runtimeParams![optKey]!.trim() : undefined;
      const optOn = optVal === undefined ? undefined : /^(on|t|tr|tru|true|y|ye|yes|1)$/i.test(optVal);
      if (optOn) {
        const optionsKey = dbSettingKey(ctx.target, db, 'options');
        return { status: 'fail', messageId: 'readOnlyTransactions', cause: cause.config(optionsKey), message: `${optionsKey}${dbSource(ctx.target, db, 'options')} has ${optKey}=${optVal}: Flyte's driver sends it to the server as a setting at login, so Flyte's sessions on ${db.dbname} are read-only and its migrations fail with "cannot execute CREATE TABLE in a read-only transaction" (SQLSTATE 25006)${row.default_read_only === 'on' ? '' : ` (the role's own sessions are writable: this check's login, which does not send it, is)`}`, hint: `remove ${optKey}=${optVal} from ${optionsKey}`, details: { ...details, optionsReadOnly: `${optKey}=${optVal}` } };
      }
      if ((row.tx_read_only === 'on' || row.default_read_only === 'on') && optOn === false) {
        // The options turn it off for Flyte's sessions: the role's setting does not reach them.
        Object.assign(details, { optionsReadOnly: `${optKey}=${optVal}`, note: `default_transaction_read_only = on (set by ${row.read_only_source ?? '?'}) is overridden by ${optKey}=${optVal} in the options Flyte's driver sends` });
      } else if (row.tx_read_only === 'on' || row.default_read_only === 'on') {
        const src = row.read_only_source ?? 'unknown';
        const file = row.read_only_file;
        const fix = src === 'user' ? adminSql(db, `ALTER ROLE ${ident(db.user)} RESET default_transaction_read_only`)
          : src === 'database' ? adminSql(db, `ALTER DATABASE ${ident(db.dbname)} RESET default_transaction_read_only`)
            : src === 'database user' ? adminSql(db, `ALTER ROLE ${ident(db.user)} IN DATABASE ${ident(db.dbname)} RESET default_transaction_read_only`)
              : src === 'configuration file' && file && /postgresql\.auto\.conf$/.test(file) ? `${adminSql(db, 'ALTER SYSTEM RESET default_transaction_read_only')} and then ${adminSql(db, 'SELECT pg_reload_conf()')} (it is set by ALTER SYSTEM, in ${file}, which overrides postgresql.conf)`
              : src === 'configuration file' && file ? `set default_transaction_read_only = off in ${file} (or remove the line) and reload (SELECT pg_reload_conf())`
              : src === 'configuration file' ? `set default_transaction_read_only = off where the server's configuration sets it (its parameter group on a managed instance; else postgresql.conf, or postgresql.auto.conf when it was set by ALTER SYSTEM: ${adminSql(db, 'ALTER SYSTEM RESET default_transaction_read_only')}) and reload (SELECT pg_reload_conf())`
              : src === 'command line' ? `remove "-c default_transaction_read_only=on" from the server's command line (the container's args, the service unit) and restart it`
              : src === 'default' ? `set default_transaction_read_only = off in the server's postgresql.conf (or the managed instance's parameter group) and reload (SELECT pg_reload_conf())`
                : `find where default_transaction_read_only is set (${src}: ${adminSql(db, 'SELECT * FROM pg_db_role_setting')}) and reset it`;
        const by = src === 'user' ? `role ${db.user}` : src === 'database' ? `database ${db.dbname}` : src === 'database user' ? `role ${db.user} in database ${db.dbname}` : src === 'configuration file' ? `the server configuration${file ? ` (${file})` : ''}` : src === 'command line' ? 'the server\'s command line' : src;
        return { status: 'fail', messageId: 'readOnlyTransactions', message: `sessions of ${db.user} on ${db.dbname} are read-only: default_transaction_read_only = on, set by ${by}; Flyte's migrations would fail with "cannot execute CREATE TABLE in a read-only transaction" (SQLSTATE 25006)`, hint: `as an admin: ${fix}`, details };
      }
      // A search_path in the options is sent by Flyte's driver at login (this probe's session does not
      // send it): Flyte's tables go to its first existing schema the role may use, not the role's default.
      const spKey = Object.keys(db.runtimeParams ?? {}).find((k) => k.toLowerCase() === 'search_path');
      if (spKey) {
        const optionsKey = dbSettingKey(ctx.target, db, 'options');
        const raw = db.runtimeParams![spKey]!;
        const names = raw.split(',').map((x) => x.trim()).filter(Boolean).map((x) => x === '$user' ? db.user : /^".*"$/.test(x) ? x.slice(1, -1).replace(/""/g, '"') : x.toLowerCase());
        const rows = await query<{ name: string; found: boolean; usage: boolean; create: boolean; owns: boolean; owner: string | null }>(ctx, db, s.client, `
          SELECT p.name, n.oid IS NOT NULL AS found, COALESCE(has_schema_privilege(n.oid, 'USAGE'), false) AS usage, COALESCE(has_schema_privilege(n.oid, 'CREATE'), false) AS create,
            COALESCE(pg_has_role(current_user, n.nspowner, 'USAGE'), false) AS owns, pg_get_userbyid(n.nspowner) AS owner
          FROM unnest($1::text[]) WITH ORDINALITY AS p(name, i) LEFT JOIN pg_namespace n ON n.nspname = p.name ORDER BY p.i`, [names]);
        const target = rows.find((x) => x.found && x.usage && !/^pg_/.test(x.name));
        const sd = { ...details, optionsSearchPath: `${spKey}=${raw}`, schema: target?.name ?? null };
        if (!target) {
          const first = names[0] ?? 'public';
          const unusable = rows.find((x) => x.found && !x.usage);
          return { status: 'fail', messageId: unusable ? 'noCreateOnSchema' : 'noSchema', cause: cause.config(optionsKey),
            message: `${optionsKey}${dbSource(ctx.target, db, 'options')} has ${spKey}=${raw}, which Flyte's driver sends at login: ${unusable ? `schema ${unusable.name} exists but ${db.user} has no USAGE on it, and no other schema of it exists` : `no schema of it exists in ${db.dbname}`}, so Flyte's migrations fail with "no schema has been selected to create in" (SQLSTATE 3F000)`,
            hint: unusable
              ? `as the schema owner or a superuser: ${adminSql(db, `GRANT USAGE, CREATE ON SCHEMA ${ident(unusable.name)} TO ${ident(db.user)}`, db.dbname)}; or remove ${spKey}=${raw} from ${optionsKey}`
              : `create the schema as an admin: ${adminSql(db, `CREATE SCHEMA ${ident(first)} AUTHORIZATION ${ident(db.user)}`, db.dbname)}; or remove ${spKey}=${raw} from ${optionsKey} (Flyte then uses ${row.schema ?? 'the role\'s search_path'})`,
            details: sd };
        }
        if (!row.superuser && !target.create && !target.owns) {
          return { status: 'fail', messageId: 'noCreateOnSchema', cause: cause.denied('postgres', `${db.user}@${hpKey(db)}`, `schema ${db.dbname}.${target.name}`),
            message: `${optionsKey} has ${spKey}=${raw}, which Flyte's driver sends at login, so its tables go to schema ${target.name}, where role ${db.user} may not create tables (no CREATE privilege, not the owner ${target.owner ?? '?'}); Flyte's migrations will fail with "permission denied for schema ${target.name}" (SQLSTATE 42501)`,
            hint: `as the schema owner or a superuser: ${adminSql(db, `GRANT CREATE ON SCHEMA ${ident(target.name)} TO ${ident(db.user)}`, db.dbname)}; or change ${spKey} in ${optionsKey} to a schema ${db.user} owns`,
            details: sd };
        }
        return { status: 'pass', messageId: 'canCreate', message: `${db.user} may create tables in ${db.dbname}.${target.name} (${row.superuser ? 'superuser' : target.owns ? `owner of schema ${target.name}` : `CREATE on schema ${target.name}`}), the schema ${spKey}=${raw} in ${optionsKey} selects, on a writable primary`, details: sd };
      }
      // current_schema() skips schemas the role has no USAGE on: that is a privilege, not a missing schema.
      const schema = row.schema ?? row.no_usage_schema ?? 'public';
      if (!row.schema && row.no_usage_schema) {
        const [o] = await query<{ owner: string; create: boolean; owns: boolean }>(ctx, db, s.client, `SELECT pg_get_userbyid(nspowner) AS owner, has_schema_privilege(oid, 'CREATE') AS create, pg_has_role(current_user, nspowner, 'USAGE') AS owns FROM pg_namespace WHERE nspname = $1`, [row.no_usage_schema]);
        Object.assign(row, { schema_usage: false, schema_create: !!o?.create, owns_schema: !!o?.owns, schema_owner: o?.owner ?? null });
      }
      if (!row.schema && !row.no_usage_schema) {
        return { status: 'fail', messageId: 'noSchema', message: `no schema of ${db.user}'s search_path exists in ${db.dbname}, so Flyte's tables have nowhere to go (migrations fail with "no schema has been selected to create in", SQLSTATE 3F000)`, hint: `as an admin: ${adminSql(db, `ALTER ROLE ${ident(db.user)} SET search_path = public`, db.dbname)} (or create the schema the search_path names)`, details };
      }
      if (!(row.superuser || row.schema_create || row.owns_schema)) {
        const owner = row.schema_owner ?? '?';
        const viaOwner = owner === 'pg_database_owner' ? `; or make ${db.user} the database owner, which owns schema ${schema} through pg_database_owner: ${adminSql(db, `ALTER DATABASE ${ident(db.dbname)} OWNER TO ${ident(db.user)}`)}` : '';
        return {
          status: 'fail', messageId: 'noCreateOnSchema', cause: cause.denied('postgres', `${db.user}@${hpKey(db)}`, `schema ${db.dbname}.${schema}`),
          message: `role ${db.user} may not create tables in schema ${schema} of ${db.dbname} (no CREATE privilege${row.schema_usage ? '' : ', no USAGE'}, not the schema owner ${owner}${row.owns_db ? '' : `, database owned by ${row.db_owner}`}); Flyte's migrations will fail with "permission denied for schema ${schema}" (SQLSTATE 42501)`,
          hint: `as the schema owner or a superuser: ${adminSql(db, `GRANT ${row.schema_usage ? '' : 'USAGE, '}CREATE ON SCHEMA ${ident(schema)} TO ${ident(db.user)}`, db.dbname)}${viaOwner}; or set ${dbSettingKey(ctx.target, db, 'username')} to the role that owns the schema`,
          details,
        };
      }
      const foreign = await query<{ schemaname: string; relname: string; owner: string }>(ctx, db, s.client, `
        SELECT n.nspname AS schemaname, c.relname, pg_get_userbyid(c.relowner) AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT pg_has_role(current_user, c.relowner, 'USAGE')
        ORDER BY c.relname LIMIT 20`);
      if (foreign.length && !row.superuser) {
        // REASSIGN OWNED BY would move every object of those roles (and is refused for the bootstrap superuser): name the tables.
        const alters = foreign.map((t) => `ALTER TABLE ${ident(t.schemaname)}.${ident(t.relname)} OWNER TO ${ident(db.user)}`).join('; ');
        return {
          status: 'warn', messageId: 'foreignTables',
          message: `${db.user} may create tables in ${schema}, but ${foreign.length}${foreign.length === 20 ? '+' : ''} existing tables there belong to other roles (${foreign.slice(0, 5).map((t) => `${t.relname} owned by ${t.owner}`).join(', ')}); migrations that ALTER them will fail with "must be owner of table"`,
          hint: `as a superuser (or a member of the owning roles), hand them over: ${adminSql(db, alters, db.dbname)}; or run Flyte as the owning role`,
          details: { ...details, foreignTables: foreign.map((t) => `${t.relname}:${t.owner}`) },
        };
      }
      const how = row.superuser ? 'superuser' : row.owns_schema ? `owner of schema ${schema}` : `CREATE on schema ${schema}`;
      return { status: 'pass', messageId: 'canCreate', message: `${db.user} may create tables in ${db.dbname}.${schema} (${how}) on a writable primary`, details };
    } catch (e) {
      if (e instanceof PgProbeError && e.kind !== 'aborted') return queryFinding(ctx.target, db, e, 'reading the role\'s privileges');
      throw e;
    }
  },
});
