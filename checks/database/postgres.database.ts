import { dbInstances, databaseFor, dbKey, pgQuery, pgSession } from '../../src/clients/postgres.js';
import { defineCheck } from '../../src/engine/define.js';

export default defineCheck({
  id: 'database.postgres.database',
  title: 'The configured database exists (or Flyte may create it)',
  phases: ['preflight', 'verify'],
  needs: ['database'],
  dependsOn: ['database.postgres.auth'],
  instances: dbInstances,
  writes: 'none',
  explain: {
    what: 'Connects to the configured database; when it does not exist (SQLSTATE 3D000), reads from the `postgres` database whether the role may CREATE DATABASE (rolcreatedb or superuser).',
    why: 'flyteadmin and datacatalog try `CREATE DATABASE` when their database is missing; managed databases usually deny it, and the components crash-loop.',
    fix: 'Create the database beforehand and make the Flyte role its owner, or grant CREATEDB, or point the dbname values key at an existing database.',
  },
  async run(ctx) {
    const db = databaseFor(ctx);
    const s = await pgSession(ctx, db);
    const details = { dbname: db.dbname, user: db.user, host: db.host };
    if (!s.dbMissing) {
      if (!s.client) throw s.error ?? new Error('no database session');
      const [row] = await pgQuery<{ owner: string }>(ctx, s.client, 'SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = current_database()');
      return { status: 'pass', messageId: 'exists', message: `database ${db.dbname} exists (owner ${row?.owner ?? '?'})`, details: { ...details, owner: row?.owner ?? null } };
    }
    const create = `CREATE DATABASE ${db.dbname} OWNER ${db.user}`;
    if (!s.client) {
      return { status: 'fail', messageId: 'missingCannotCheck', message: `database ${db.dbname} does not exist (3D000), and ${db.user} cannot connect to database postgres, which Flyte's auto-create uses: ${s.fallbackError?.message ?? ''}`, hint: `create it as an admin: psql -h ${db.host} -c "${create}"; or set ${dbKey(db, 'dbname')} to an existing database`, details: { ...details, sqlstate: '3D000' } };
    }
    const [r] = await pgQuery<{ rolcreatedb: boolean; rolsuper: boolean }>(ctx, s.client, 'SELECT rolcreatedb, rolsuper FROM pg_roles WHERE rolname = current_user');
    const canCreate = !!(r?.rolcreatedb || r?.rolsuper);
    const d = { ...details, sqlstate: '3D000', rolcreatedb: !!r?.rolcreatedb, rolsuper: !!r?.rolsuper };
    if (!canCreate) {
      return { status: 'fail', messageId: 'missingNoCreatedb', message: `database ${db.dbname} does not exist (3D000) and role ${db.user} may not create it (no CREATEDB, not superuser); Flyte's CREATE DATABASE at start will fail`, hint: `create it as an admin: psql -h ${db.host} -c "${create}"; or ALTER ROLE ${db.user} CREATEDB; or set ${dbKey(db, 'dbname')} to an existing database`, details: d };
    }
    if (ctx.phase === 'verify') {
      return { status: 'fail', messageId: 'missingAfterInstall', message: `database ${db.dbname} does not exist after install although ${db.user} may create it: Flyte has not started successfully against this server`, hint: `check the flyteadmin/datacatalog logs; or create it: psql -h ${db.host} -c "${create}"`, details: d };
    }
    return { status: 'pass', messageId: 'willBeCreated', message: `database ${db.dbname} does not exist yet; role ${db.user} has ${r?.rolsuper ? 'superuser' : 'CREATEDB'}, so Flyte will create it at start`, details: d };
  },
});
