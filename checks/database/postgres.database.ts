import { PgProbeError } from '../../src/clients/postgres.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Messages, Outcome } from '../../src/engine/types.js';
import { adminSql, dbFix, dbSettingKey, dbSource, ident } from '../../src/flyte/database.js';
import { closeNames } from '../../src/distance.js';
import { carryNotFromHere, databaseFor, dbInstances, flytePoolTotal, hpKey, NOT_FROM_HERE_MESSAGES, query, QUERY_MESSAGES, queryFinding, serverDetails, sessionFor, where } from './_support.js';

const MESSAGES = {
  exists: { status: 'pass', summary: 'The configured database exists and the role may connect to it.' },
  willBeCreated: { status: 'pass', summary: 'The database does not exist yet, and the role may create it (Flyte creates it at start).' },
  willBeCreatedNextToClose: { status: 'warn', summary: 'The database does not exist and Flyte would create it, but a database with a close name exists: a typo would start Flyte on a new, empty database.' },
  missingNoCreatedb: { status: 'fail', summary: 'The database does not exist (SQLSTATE 3D000) and the role may not create it (no CREATEDB).' },
  missingAfterInstall: { status: 'fail', summary: 'After install the database still does not exist although the role may create it: Flyte has not started against this server.' },
  missingCannotCheck: { status: 'fail', summary: 'The database does not exist and the role cannot connect to `postgres` either, which Flyte\'s auto-create uses.' },
  connectRevoked: { status: 'fail', summary: 'The role may not connect to the database: its CONNECT privilege is revoked (SQLSTATE 42501).' },
  notAcceptingConnections: { status: 'fail', summary: 'The database does not accept connections (datallowconn = false, SQLSTATE 55000).' },
  databaseConnectionLimit: { status: 'fail', summary: 'The database\'s CONNECTION LIMIT is reached (SQLSTATE 53300).' },
  collationVersionMismatch: { status: 'warn', summary: 'The database\'s default collation was recorded with another library version than the server has now (an OS or ICU upgrade): indexes on text may be out of order, and PostgreSQL warns at every connection.' },
  sqlAsciiEncoding: { status: 'warn', summary: 'The database\'s encoding is SQL_ASCII: PostgreSQL neither validates nor converts text there, while Flyte reads and writes UTF-8.' },
  ...QUERY_MESSAGES,
  ...NOT_FROM_HERE_MESSAGES,
} as const satisfies Messages;

export default defineCheck({
  id: 'database.postgres.database',
  title: 'The configured database exists and accepts the role (or Flyte may create it)',
  phases: ['preflight', 'verify'],
  needs: ['database'],
  dependsOn: ['database.postgres.auth'],
  instances: dbInstances,
  writes: 'none',
  messages: MESSAGES,
  explain: {
    what: 'Connects to the configured database. When the server refuses it after accepting the login, says why: it does not exist (SQLSTATE 3D000; then reads from the `postgres` database whether the role may CREATE DATABASE), the role has no CONNECT privilege on it (42501), it does not accept connections (55000), or its connection limit is reached (53300).',
    why: 'flyteadmin and datacatalog try `CREATE DATABASE` when their database is missing; managed databases usually deny it, and the components crash-loop. A revoked CONNECT privilege or a database closed to connections stops them the same way.',
    fix: 'Create the database beforehand and make the Flyte role its owner, grant CONNECT or CREATEDB, or point the dbname values key at an existing database.',
  },
  async run(ctx): Promise<Outcome<keyof typeof MESSAGES>> {
    const db = databaseFor(ctx);
    const carried = carryNotFromHere(ctx, db, ['database.postgres.auth']);
    if (carried) return carried;
    const w = where(db);
    const s = await sessionFor(ctx, db);
    const details = { dbname: db.dbname, user: db.user, host: db.host, port: db.port };
    const dbKeyName = dbSettingKey(ctx.target, db, 'dbname');
    const refused = s.dbRefused?.server;
    try {
      if (!refused) {
        if (!s.client) return { status: 'skip', messageId: 'noSession', message: `not checked: no session on ${w} (${s.error?.message ?? 'database.postgres.auth says why'})`, details };
        const [row] = await query<{ owner: string; encoding: string | null; v: number }>(ctx, db, s.client, `SELECT pg_get_userbyid(datdba) AS owner, pg_encoding_to_char(encoding) AS encoding, current_setting('server_version_num')::int AS v FROM pg_database WHERE datname = current_database()`);
        // PostgreSQL 15+ records the default collation's library version (datcollversion); other versions: not judged.
        const coll = (row?.v ?? 0) >= 150000
          ? (await query<{ recorded: string | null; actual: string | null; provider: string | null }>(ctx, db, s.client, 'SELECT datcollversion AS recorded, pg_database_collation_actual_version(oid) AS actual, datlocprovider::text AS provider FROM pg_database WHERE datname = current_database()').catch(() => []))[0]
          : undefined;
        const dd = { ...details, owner: row?.owner ?? null, encoding: row?.encoding ?? null, ...(coll ? { collationVersion: coll.recorded, collationLibraryVersion: coll.actual, localeProvider: coll.provider === 'i' ? 'icu' : coll.provider === 'c' ? 'libc' : coll.provider } : {}) };
        if (coll?.recorded && coll.actual && coll.recorded !== coll.actual) {
          return {
            status: 'warn', messageId: 'collationVersionMismatch',
            message: `database ${db.dbname} on ${w} was created with version ${coll.recorded} of its ${coll.provider === 'i' ? 'ICU' : 'C library (glibc)'} collation, and the server now has ${coll.actual} (an operating-system or ICU upgrade, or a restore onto another image): indexes on text that Flyte's unique constraints rely on may be out of order, and PostgreSQL warns "database \"${db.dbname}\" has a collation version mismatch" at every connection`,
            hint: `as the database owner or a superuser, rebuild the indexes, then record the new version: ${adminSql(db, `REINDEX DATABASE ${ident(db.dbname)}`, db.dbname)}; then ${adminSql(db, `ALTER DATABASE ${ident(db.dbname)} REFRESH COLLATION VERSION`)}`,
            details: dd,
          };
        }
        if (row?.encoding === 'SQL_ASCII') {
          return {
            status: 'warn', messageId: 'sqlAsciiEncoding',
            message: `database ${db.dbname} on ${w} has encoding SQL_ASCII: PostgreSQL stores the bytes it is given without checking or converting them, so text another client writes in another encoding reaches Flyte as invalid UTF-8, and upper()/lower()/ordering work byte by byte`,
            hint: `for a new installation, create the database as UTF8: ${adminSql(db, `CREATE DATABASE ${ident(`${db.dbname}_utf8`)} OWNER ${ident(db.user)} ENCODING 'UTF8' TEMPLATE template0`)} and set ${dbKeyName} to it${dbSource(ctx.target, db, 'dbname')}; an existing one: pg_dump it and restore into that database`,
            details: dd,
          };
        }
        return { status: 'pass', messageId: 'exists', message: `database ${db.dbname} exists (owner ${row?.owner ?? '?'})`, details: dd };
      }
      const d = { ...details, ...serverDetails(refused) };
      if (refused.code === '42501') {
        return {
          status: 'fail', messageId: 'connectRevoked', cause: cause.denied('postgres', `${db.user}@${hpKey(db)}`, `database ${db.dbname}`),
          message: `role ${db.user} may not connect to database ${db.dbname} on ${w}: its CONNECT privilege is revoked (SQLSTATE 42501: ${refused.message}${refused.detail ? `; ${refused.detail}` : ''}); the password was accepted`,
          hint: `as an admin (the database owner or a superuser): ${adminSql(db, `GRANT CONNECT ON DATABASE ${ident(db.dbname)} TO ${ident(db.user)}`)}`,
          details: d,
        };
      }
      if (refused.code === '55000') {
        return { status: 'fail', messageId: 'notAcceptingConnections', message: `database ${db.dbname} on ${w} does not accept connections (SQLSTATE 55000: ${refused.message}; datallowconn is false)`, hint: `as an admin: ${adminSql(db, `ALTER DATABASE ${ident(db.dbname)} ALLOW_CONNECTIONS true`)}; or set ${dbKeyName} to the database Flyte should use${dbSource(ctx.target, db, 'dbname')}`, details: d };
      }
      if (refused.code === '53300') {
        const need = flytePoolTotal(ctx.target, db);
        return { status: 'fail', messageId: 'databaseConnectionLimit', message: `database ${db.dbname} on ${w} reached its CONNECTION LIMIT (SQLSTATE 53300: ${refused.message})`, hint: `as an admin: ${adminSql(db, `ALTER DATABASE ${ident(db.dbname)} CONNECTION LIMIT ${need + 10}`)} (Flyte's pools open up to ${need}; -1 is unlimited)`, details: d };
      }
      // 3D000: the database does not exist.
      const create = `CREATE DATABASE ${ident(db.dbname)} OWNER ${ident(db.user)}`;
      if (!s.client) {
        return { status: 'fail', messageId: 'missingCannotCheck', cause: cause.config(dbKeyName), message: `database ${db.dbname} does not exist (3D000), and ${db.user} cannot connect to database postgres, which Flyte's auto-create uses: ${s.fallbackError?.message ?? ''}`, hint: `create it as an admin: ${adminSql(db, create)}; or set ${dbKeyName} to an existing database${dbSource(ctx.target, db, 'dbname')}`, details: { ...d } };
      }
      const [r] = await query<{ rolcreatedb: boolean; rolsuper: boolean }>(ctx, db, s.client, 'SELECT rolcreatedb, rolsuper FROM pg_roles WHERE rolname = current_user');
      const canCreate = !!(r?.rolcreatedb || r?.rolsuper);
      // Databases with a close name (a typo, another case, a suffix): named, and offered as the fix.
      const names = (await query<{ datname: string }>(ctx, db, s.client, 'SELECT datname FROM pg_database WHERE NOT datistemplate').catch(() => [])).map((x) => x.datname);
      const close = closeNames(db.dbname, names);
      const closeText = close.length ? `; databases with a close name on this server: ${close.join(', ')}` : '';
      const useClose = close.length ? `${dbFix(ctx.target, db, 'dbname', close[0]!) ?? `set ${dbKeyName}: ${close[0]}`} if that is the database meant; else ` : '';
      const dd = { ...d, rolcreatedb: !!r?.rolcreatedb, rolsuper: !!r?.rolsuper, ...(close.length ? { closeDatabases: close } : {}) };
      if (!canCreate) {
        return { status: 'fail', messageId: 'missingNoCreatedb', cause: cause.config(dbKeyName), message: `database ${db.dbname} does not exist (3D000) and role ${db.user} may not create it (no CREATEDB, not superuser); Flyte's CREATE DATABASE at start will fail${closeText}`, hint: `${useClose}create it as an admin: ${adminSql(db, create)}; or ALTER ROLE ${ident(db.user)} CREATEDB; or set ${dbKeyName} to an existing database${dbSource(ctx.target, db, 'dbname')}`, details: dd };
      }
      if (ctx.phase === 'verify') {
        return { status: 'fail', messageId: 'missingAfterInstall', cause: cause.config(dbKeyName), message: `database ${db.dbname} does not exist after install although ${db.user} may create it: Flyte has not started successfully against this server${closeText}`, hint: `${useClose}check the flyteadmin/datacatalog logs; or create it: ${adminSql(db, create)}`, details: dd };
      }
      if (close.length) {
        return { status: 'warn', messageId: 'willBeCreatedNextToClose', cause: cause.config(dbKeyName),
          message: `database ${db.dbname} does not exist; role ${db.user} may create it, so Flyte would start on a new, empty database, while ${close.join(', ')} exist${close.length === 1 ? 's' : ''} with a close name${dbSource(ctx.target, db, 'dbname')}`,
          hint: `${dbFix(ctx.target, db, 'dbname', close[0]!) ?? `set ${dbKeyName}: ${close[0]}`} if that is the database meant; if ${db.dbname} is really new, nothing to do`, details: dd };
      }
      return { status: 'pass', messageId: 'willBeCreated', message: `database ${db.dbname} does not exist yet; role ${db.user} has ${r?.rolsuper ? 'superuser' : 'CREATEDB'}, so Flyte will create it at start`, details: dd };
    } catch (e) {
      if (e instanceof PgProbeError && e.kind !== 'aborted') return queryFinding(ctx.target, db, e, 'reading the database owner');
      throw e;
    }
  },
});
