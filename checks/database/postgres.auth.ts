import { dbInstances, databaseFor, dbKey, pgSession, sslmodeOf } from '../../src/clients/postgres.js';
import { cause, hostPortKey } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';

export default defineCheck({
  id: 'database.postgres.auth',
  title: 'The configured user authenticates with the configured password',
  phases: ['preflight', 'verify'],
  needs: ['database'],
  dependsOn: ['database.postgres.tls'],
  instances: dbInstances,
  timeoutMs: 12_000,
  writes: 'none',
  messages: {
    authenticated: { status: 'pass', summary: 'The user logged in with the configured password.' },
    authenticatedDbMissing: { status: 'pass', summary: 'The user logged in, but the configured database does not exist (database.postgres.database reports it).' },
    passwordRejected: { status: 'fail', summary: 'The server rejected the password (SQLSTATE 28P01).' },
    noHbaEntry: { status: 'fail', summary: 'No pg_hba.conf line lets this user, database, address and encryption in (SQLSTATE 28000).' },
    tooManyConnections: { status: 'fail', summary: 'The server refuses new connections: max_connections is reached (SQLSTATE 53300).' },
    unreachable: { status: 'fail', summary: 'The server could not be reached to log in.' },
    tlsFailed: { status: 'fail', summary: 'TLS failed while logging in (database.postgres.tls has the details).' },
  },
  explain: {
    what: 'Logs in as the configured user with the password Flyte will use (from `password`, the `passwordPath` file or the environment), with the configured sslmode. The password is never printed.',
    why: 'A wrong password (SQLSTATE 28P01) or a missing pg_hba entry for the pods\' address (28000) makes flyteadmin\'s run-migrations and datacatalog crash; the binary chart\'s wait-for-db init container does not notice because pg_isready does not authenticate.',
    fix: 'Align the role name and password with the values (`username`, `password` or `passwordPath`; check the Secret key and mount path), or add a pg_hba line for the client address.',
  },
  async run(ctx) {
    const db = databaseFor(ctx);
    const where = `${db.host}:${db.port}`;
    const s = await pgSession(ctx, db);
    const details = { host: db.host, port: db.port, user: db.user, dbname: db.dbname, sslmode: sslmodeOf(db), passwordSource: db.passwordSource ?? (db.password ? 'values' : 'none (empty password)') };
    if (!s.error) {
      return {
        status: 'pass', messageId: s.dbMissing ? 'authenticatedDbMissing' : 'authenticated',
        message: `authenticated as ${db.user} on ${where}${s.tls ? ' over TLS' : ''}${s.dbMissing ? ` (database ${db.dbname} does not exist: see database.postgres.database)` : ''}`,
        details: { ...details, tls: s.tls },
      };
    }
    const e = s.error;
    const errDetails = { ...details, kind: e.kind, ...(e.code ? { sqlstate: e.code } : {}), error: e.message };
    switch (e.kind) {
      case 'auth':
        return { status: 'fail', messageId: 'passwordRejected', cause: cause.credentials('postgres', `${db.user}@${hostPortKey(db.host, db.port)}`), message: `password authentication failed for user "${db.user}" on ${where} (SQLSTATE 28P01); password from ${details.passwordSource}`, hint: `set the right password in ${dbKey(db, 'password')} (or the file named by ${dbKey(db, 'passwordPath')}, whitespace-trimmed), and check that ${dbKey(db, 'username')} is the role that owns it`, details: errDetails };
      case 'hba': {
        const addr = e.extra.clientAddress ?? 'the client address';
        return { status: 'fail', messageId: 'noHbaEntry', message: `the server rejects ${db.user}@${db.dbname} from ${addr} (SQLSTATE 28000): ${e.message}`, hint: `add a pg_hba.conf line for ${addr}, e.g. "hostssl ${db.dbname} ${db.user} ${addr}/32 scram-sha-256" and reload; the Flyte pods connect from the pod/node network, so allow that range`, details: { ...errDetails, clientAddress: e.extra.clientAddress ?? null } };
      }
      case 'too-many':
        return { status: 'fail', messageId: 'tooManyConnections', message: `${where} refuses new connections: ${e.message} (SQLSTATE 53300)`, hint: `raise max_connections on the server, add PgBouncer, or lower ${dbKey(db, 'maxOpenConnections')}`, details: errDetails };
      case 'timeout': case 'refused': case 'unreachable': case 'reset': case 'dns':
        return { status: 'fail', messageId: 'unreachable', cause: cause.unreachable(hostPortKey(db.host, db.port)), message: `could not reach ${where} to authenticate: ${e.message}`, hint: `check ${dbKey(db, 'host')} / ${dbKey(db, 'port')} and the network path (see database.postgres.connect)`, details: errDetails };
      case 'no-ssl': case 'tls-untrusted': case 'tls-name': case 'tls-other':
        return { status: 'fail', messageId: 'tlsFailed', message: `TLS failed while logging in to ${where}: ${e.message}`, hint: `fix the sslmode in ${dbKey(db, 'options')} (see database.postgres.tls)`, details: errDetails };
      default:
        throw e;
    }
  },
});
