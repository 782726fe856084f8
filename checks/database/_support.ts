// Outcome builders shared by the database.postgres.* checks: evidence from src/clients/postgres.ts
// (network errors, what else listens, TLS problems, PostgreSQL ErrorResponses by SQLSTATE) plus
// the target's provenance become findings with a fix. Every SQLSTATE a probe can meet maps to a
// finding; a code without a specific one is reported as "unrecognised: SQLSTATE <code> <message>".
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { classifyPgError, clientCertOf, type PgConn, PgProbeError, type PgServerError, type PgSession, pgQuery, pgSession, PgTlsError, sslPlanOf, stepBudget, withoutPgEnvironment } from '../../src/clients/postgres.js';
import { resolveHost } from '../../src/clients/resolve.js';
import { describeService, type ServiceEvidence } from '../../src/clients/sniff.js';
import { isClusterInternal, isPrivateAddress } from '../../src/config/endpoints.js';
import { flyteDriverCredentials } from '../../src/config/libpq.js';
import type { DatabaseTarget, Target } from '../../src/config/target.js';
import { cause, hostPortKey } from '../../src/engine/causes.js';
import type { CheckContext, Json, Messages, Outcome } from '../../src/engine/types.js';
import { adminSql, dbFix, dbKey, dbSettingKey, dbSource, ident, literal, passwordOrigin, sslmodeOf, waitForDbNote } from '../../src/flyte/database.js';
import { describeSqlstate } from './_sqlstate.js';

// ---------------------------------------------------------------- instances and connection

export function instanceKeyOf(db: DatabaseTarget): string { return db.role; }
export function instanceLabelOf(db: DatabaseTarget): string { return `${db.role} db ${db.user}@${db.host}:${db.port}/${db.dbname}`; }
export const dbInstances = (t: { databases: DatabaseTarget[] }) => t.databases.map((d, i) => ({ key: instanceKeyOf(d), label: instanceLabelOf(d), fields: [`databases[${i}].`] }));

export function databaseFor(ctx: CheckContext): DatabaseTarget {
  const key = ctx.instance?.key;
  const db = ctx.target.databases.find((d) => d.role === key) ?? ctx.target.databases[0];
  if (!db) throw new Error('no database configured');
  return db;
}

/**
 * A stand-in for the options string that follows the password in flytestdlib's connection string:
 * only its first keyword matters to how the password parses (a trailing backslash swallows it).
 */
function optionsStandIn(db: DatabaseTarget): string {
  const mode = db.sslmodeInvalid ?? db.sslmode;
  if (mode) return `sslmode=${mode}`;
  if (db.sslrootcert) return 'sslrootcert=x';
  if (db.sslcert) return 'sslcert=x';
  const rt = Object.keys(db.runtimeParams ?? {})[0];
  return rt ? `${rt}=x` : '';
}

/**
 * The user and password Flyte's driver reads out of the connection string flytestdlib builds from
 * these values (src/config/libpq.ts flyteDriverCredentials), or undefined when no password is
 * configured here (a password-less string, or one this machine cannot read).
 */
export function driverCredentialsOf(db: DatabaseTarget): ReturnType<typeof flyteDriverCredentials> | undefined {
  const pw = db.password?.reveal();
  if (pw === undefined || pw === '') return undefined;
  return flyteDriverCredentials(db.user, pw, optionsStandIn(db));
}

/** Another password (the installed release's, in verify) as Flyte's driver reads it with these values' user and options. */
export function asDriverReads(db: DatabaseTarget, password: { reveal(): string }): { reveal(): string } {
  const pw = password.reveal();
  if (!pw) return password;
  const v = flyteDriverCredentials(db.user, pw, optionsStandIn(db));
  return 'error' in v || v.password === pw ? password : { reveal: () => v.password };
}

/** What Flyte's driver connects with: the user and password as pgx reads them out of flytestdlib's connection string. */
export function connOf(db: DatabaseTarget): PgConn {
  const v = driverCredentialsOf(db);
  const seen = v && !('error' in v) ? v : undefined;
  const password = seen && seen.password !== db.password?.reveal() ? { reveal: () => seen.password } : db.password;
  return { host: db.host, port: db.port, user: seen?.user || db.user, database: db.dbname, password, sslmode: sslmodeOf(db), sslrootcert: db.sslrootcert, sslcert: db.sslcert, sslkey: db.sslkey };
}

export const where = (db: DatabaseTarget) => `${db.host}:${db.port}`;
export const hpKey = (db: DatabaseTarget) => hostPortKey(db.host, db.port);

export function sessionFor(ctx: CheckContext, db: DatabaseTarget): Promise<PgSession> { return pgSession(ctx, connOf(db)); }

/** A read-only query on the shared session; failures are PgProbeError (queryFinding turns them into findings). */
export function query<R extends Record<string, unknown>>(ctx: CheckContext, db: DatabaseTarget, client: NonNullable<PgSession['client']>, text: string, values: unknown[] = []): Promise<R[]> {
  return pgQuery<R>(ctx, client, text, values, { host: db.host, port: db.port });
}

/**
 * One login as Flyte's driver makes it: pgx sends each options `key=value` that is not one of its
 * connection keywords as a parameter of the startup message, and the server applies them after the
 * password, refusing the login (FATAL) on the first it will not take. The shared session sends none.
 * `useTls`: what the session used (it already verified the server this way). The values of the
 * `read` settings in that session when the login is accepted, else the refusal; the connection is closed at once, nothing else is sent.
 * Only called after the session's own login (same user, password, database) succeeded: never a
 * second attempt with a wrong password.
 */
export async function loginWithSettings(ctx: CheckContext, db: DatabaseTarget, useTls: boolean, settings: Record<string, string>, read: string[] = []): Promise<PgProbeError | { values: Record<string, string | null> }> {
  const c = connOf(db);
  const timeoutMs = stepBudget(ctx, 5_000);
  ctx.addSecret(c.password?.reveal());
  let client: import('pg').Client | undefined;
  const onAbort = () => { void client?.end().catch(() => {}); };
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const { address } = await resolveHost(c.host, ctx.target.dnsServer, timeoutMs);
    let ssl: import('pg').ClientConfig['ssl'] = false;
    if (useTls) {
      const plan = await sslPlanOf(c);
      const cert = clientCertOf(c);
      ssl = plan.verify === 'none' || plan.caFileMissing
        ? { rejectUnauthorized: false, ...(cert ?? {}) }
        : { rejectUnauthorized: true, ...(plan.ca ? { ca: plan.ca } : {}), ...(cert ?? {}), ...(isIP(c.host) ? {} : { servername: c.host }), checkServerIdentity: plan.verify === 'full' ? (_h: string, pc: PeerCertificate) => checkServerIdentity(c.host, pc) : () => undefined };
    }
    const pg = (await import('pg')).default;
    const password = c.password?.reveal() ?? '';
    const made = withoutPgEnvironment(() => new pg.Client({ host: address, port: c.port, user: c.user, database: c.database, password: () => password, ssl, connectionTimeoutMillis: timeoutMs, application_name: 'flyte-doctor' }));
    client = made;
    made.on('error', () => {});
    // node-postgres sends a fixed set of startup parameters; add the settings as pgx does (case as written).
    const conf = made as unknown as { getStartupConf(): Record<string, string> };
    const base = conf.getStartupConf.bind(made);
    conf.getStartupConf = () => ({ ...base(), ...settings });
    await made.connect();
    // what the session has once logged in (a pooler may drop a parameter instead of refusing it)
    const values: Record<string, string | null> = {};
    if (read.length) {
      const res = await made.query<{ n: string; v: string | null }>({ text: 'SELECT n, current_setting(n, true) AS v FROM unnest($1::text[]) AS n', values: [read], query_timeout: timeoutMs } as never);
      for (const r of res.rows) values[r.n] = r.v;
    }
    return { values };
  } catch (e) {
    if (ctx.signal.aborted) throw new PgProbeError('aborted', 'aborted', { step: 'login' });
    return e instanceof PgProbeError ? e : classifyPgError(e, c.host, c.port, 'login');
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    void client?.end().catch(() => {});
  }
}

// ---------------------------------------------------------------- what can be judged from here

/**
 * flyte-doctor runs inside the cluster (the --in-cluster mode, or a run in a pod, sets
 * `target.inCluster`). Deliberately not guessed from KUBERNETES_SERVICE_HOST: a CI job in some
 * other cluster is not Flyte's network either.
 */
export function runsInCluster(target: Target): boolean {
  return target.inCluster === true;
}

/**
 * Why a network failure toward this database cannot be judged from this machine, or undefined:
 * a cluster-internal name (only the cluster's DNS knows it, only pods reach it), or a private
 * address that does not answer here (Flyte's pods may well reach it).
 */
export function notJudgeableHere(target: Target, db: DatabaseTarget, e: PgProbeError, address?: string): string | undefined {
  if (runsInCluster(target)) return undefined;
  if (!['dns', 'refused', 'timeout', 'unreachable', 'silent', 'closed', 'reset', 'not-postgres'].includes(e.kind)) return undefined;
  if (isClusterInternal(db.host)) {
    return `${db.host} is a cluster-internal name (a Kubernetes Service): only the cluster's DNS resolves it and only pods reach it, and this check ran from this machine`;
  }
  const ip = address ?? (isIP(db.host.replace(/^\[|\]$/g, '')) ? db.host : undefined);
  if (ip && isPrivateAddress(ip)) {
    return `${db.host}${ip !== db.host ? ` (${ip})` : ''} is a private-network address and this check ran from this machine, whose network is not the cluster's: what answers (or not) here says nothing about what Flyte's pods reach`;
  }
  return undefined;
}

export const IN_CLUSTER_FIX = 'run flyte-doctor from inside the cluster (`flyte-doctor preflight --in-cluster`), where Flyte\'s pods resolve and reach the database; or from a machine on the same network (VPN, bastion), or pass --dns-server with a resolver that knows the name';

// ---------------------------------------------------------------- message sets

/** Every database check: a dependency could not be judged from here, so this one was not either. */
export const NOT_FROM_HERE_MESSAGES = {
  notFromHere: { status: 'warn', summary: 'Cannot be checked from this machine: the database host is cluster-internal or a private address that this machine does not reach (run with --in-cluster).' },
} as const satisfies Messages;

/** Network and protocol findings: the server could not be reached, or something else answers. */
export const NETWORK_MESSAGES = {
  refused: { status: 'fail', summary: 'Connection refused: nothing listens on the database host and port (wrong port, server down).' },
  timeout: { status: 'fail', summary: 'The TCP connection is not answered: a firewall, security group or NetworkPolicy drops it, or the host is wrong.' },
  unreachable: { status: 'fail', summary: 'No network route to the database host.' },
  dns: { status: 'fail', summary: 'The database host name does not resolve.' },
  notPostgres: { status: 'fail', summary: 'Something other than PostgreSQL answers on the database host and port (SSH, HTTP, TLS-only, another database): the host or port is wrong.' },
  noAnswer: { status: 'fail', summary: 'The port accepts connections but never answers, or closes them at once: a black hole (a proxy or load balancer without a backend, a half-open firewall).' },
  startupProtocol: { status: 'fail', summary: 'The server answers PostgreSQL\'s SSLRequest, but answers the startup message with a message that is neither an authentication request nor an error (NegotiateProtocolVersion to a plain 3.0 startup, ReadyForQuery before any login...): a proxy or compatible server speaking the protocol differently.' },
} as const satisfies Messages;

export const TLS_FAILED_MESSAGES = {
  tlsFailed: { status: 'fail', summary: 'TLS failed while logging in (database.postgres.tls has the details).' },
} as const satisfies Messages;

/** Server faults any session or query can meet (classes 08, 0A, 53, 54, 57, 58, F0, XX and the rest). */
export const SERVER_MESSAGES = {
  serverNotReady: { status: 'fail', summary: 'The server refuses connections for now: starting up, shutting down, in recovery, or a standby without hot standby (SQLSTATE 57P03).' },
  serverTerminated: { status: 'fail', summary: 'The server ended the session: administrator command, crash of another process, shutdown, idle timeout (SQLSTATE 57P01, 57P02, 57P05, 57000).' },
  serverResources: { status: 'fail', summary: 'The server is out of a resource: disk, memory, a configured limit (SQLSTATE class 53, 54).' },
  protocolRejected: { status: 'fail', summary: 'A PostgreSQL-protocol server or pooler refused the connection at the protocol level (SQLSTATE 08P01, 0A000: unsupported protocol or startup parameter, PgBouncer limits).' },
  poolerNoDatabase: { status: 'fail', summary: 'A pooler (PgBouncer) in front of PostgreSQL has no [databases] entry for the configured database ("no such database", SQLSTATE 08P01).' },
  poolerAuthFailed: { status: 'fail', summary: 'A pooler (PgBouncer) refused the user or password against its own auth_file / auth_query (SQLSTATE 08P01).' },
  poolerBackendDown: { status: 'fail', summary: 'A pooler (PgBouncer) accepts connections but cannot connect to its PostgreSQL server (SQLSTATE 08P01).' },
  connectionException: { status: 'fail', summary: 'The server reported a connection exception (SQLSTATE class 08).' },
  serverInternalError: { status: 'fail', summary: 'The server reported an internal, I/O or configuration-file error (SQLSTATE XX000, XX001, XX002, class 58, F0).' },
  unrecognised: { status: 'fail', summary: 'The server answered with an SQLSTATE no finding covers: reported verbatim with its class.' },
} as const satisfies Messages;

/** Login refusals (classes 28, 53300 and the server faults), for the auth check. */
export const LOGIN_MESSAGES = {
  passwordRejected: { status: 'fail', summary: 'The server rejected the password (SQLSTATE 28P01): a wrong password, a role that does not exist, or an expired password (VALID UNTIL).' },
  roleNoLogin: { status: 'fail', summary: 'The role exists but may not log in (NOLOGIN, SQLSTATE 28000).' },
  roleMissing: { status: 'fail', summary: 'The role does not exist (SQLSTATE 28000).' },
  noHbaEntry: { status: 'fail', summary: 'No pg_hba.conf line lets this user, database and address in, or a reject line matches (SQLSTATE 28000).' },
  authMethodUnsupported: { status: 'fail', summary: 'pg_hba.conf asks for an authentication method Flyte\'s connection cannot satisfy (ident, peer, GSSAPI, SSPI, client certificate) (SQLSTATE 28000).' },
  azureUserFormat: { status: 'fail', summary: 'Azure Database for PostgreSQL Single Server wants the user as <user>@<server> ("Invalid Username specified", SQLSTATE 28000).' },
  tlsRequired: { status: 'fail', summary: 'The server requires TLS and the connection did not use it (Azure "SSL connection is required", SQLSTATE 28000).' },
  loginRefused: { status: 'fail', summary: 'The server refused the login with another SQLSTATE 28000 message (reported verbatim).' },
  tooManyConnections: { status: 'fail', summary: 'The server refuses new connections: max_connections is reached, or the free slots are reserved for superusers (SQLSTATE 53300).' },
  roleConnectionLimit: { status: 'fail', summary: 'The role\'s CONNECTION LIMIT is reached (SQLSTATE 53300).' },
  clientCertRejected: { status: 'fail', summary: 'pg_hba.conf wants a client certificate and refused the configured one (sslcert): its CN is not the user name, or it does not verify (SQLSTATE 28000).' },
  clientCertNotHere: { status: 'warn', summary: 'pg_hba.conf wants a client certificate; the configured sslcert / sslkey are not readable here, so none was sent and the login could not be judged.' },
  ...SERVER_MESSAGES,
} as const satisfies Messages;

/** Findings of a read-only query on an open session. */
export const QUERY_MESSAGES = {
  readOnly: { status: 'fail', summary: 'The session is read-only (SQLSTATE 25006): a replica or default_transaction_read_only.' },
  permissionDenied: { status: 'fail', summary: 'The role lacks a privilege a query needs (SQLSTATE 42501).' },
  statementTimeout: { status: 'fail', summary: 'The server cancelled a query: statement_timeout (or a cancel request) (SQLSTATE 57014).' },
  transientConflict: { status: 'fail', summary: 'A query met a lock, serialization or recovery conflict (SQLSTATE 40001, 40P01, 55P03, 55006).' },
  incompatibleServer: { status: 'fail', summary: 'The server does not answer PostgreSQL\'s catalog queries (syntax, function, table or column unknown): not PostgreSQL, or too old (SQLSTATE 42601, 42883, 42P01, 42703, 0A000).' },
  invalidSchema: { status: 'fail', summary: 'No schema of the search_path exists (SQLSTATE 3F000).' },
  connectionLost: { status: 'fail', summary: 'The connection broke or stopped answering during a query.' },
  noSession: { status: 'skip', summary: 'Not checked: no session could be opened (the failing dependency says why).' },
  ...SERVER_MESSAGES,
} as const satisfies Messages;

export type LoginId = keyof typeof LOGIN_MESSAGES | keyof typeof NETWORK_MESSAGES | keyof typeof TLS_FAILED_MESSAGES | keyof typeof NOT_FROM_HERE_MESSAGES;
export type QueryId = keyof typeof QUERY_MESSAGES;
type ServerId = keyof typeof SERVER_MESSAGES;

// ---------------------------------------------------------------- helpers

const sq = (e: PgServerError) => `SQLSTATE ${e.code}`;
const verbatim = (e: PgServerError) => `${e.severity ? `${e.severity}: ` : ''}${e.message}${e.detail ? ` (DETAIL: ${e.detail})` : ''}${e.serverSuggestion ? ` (HINT: ${e.serverSuggestion})` : ''}`;

export function serverDetails(e: PgServerError): Record<string, Json> {
  return { sqlstate: e.code, sqlstateName: describeSqlstate(e.code), severity: e.severity, serverMessage: e.message, ...(e.detail ? { serverDetail: e.detail } : {}), ...(e.serverSuggestion ? { serverHint: e.serverSuggestion } : {}), ...(e.routine ? { routine: e.routine } : {}) };
}

function baseDetails(target: Target, db: DatabaseTarget): Record<string, Json> {
  return { host: db.host, port: db.port, user: db.user, dbname: db.dbname, sslmode: db.sslmodeInvalid ?? sslmodeOf(db), passwordSource: passwordOrigin(target, db).text };
}

/** Pools Flyte opens against this server, for connection-limit fixes. */
export function flytePoolTotal(target: Target, db: DatabaseTarget, sameUser = false): number {
  return target.databases.filter((d) => d.host === db.host && d.port === db.port && (!sameUser || d.user === db.user)).reduce((a, d) => a + (d.maxOpenConnections ?? 100), 0);
}

/** Parses `no pg_hba.conf entry for host "a", user "u", database "d", SSL encryption`. */
export function parseHba(message: string): { clientAddress?: string; encryption?: 'plain' | 'ssl' | 'gss'; reject: boolean } {
  const addr = /for host "([^"]+)"/.exec(message)?.[1];
  const enc = /no encryption|SSL off/i.test(message) ? 'plain' : /SSL encryption|SSL on/i.test(message) ? 'ssl' : /GSS encryption/i.test(message) ? 'gss' : undefined;
  return { ...(addr ? { clientAddress: addr } : {}), ...(enc ? { encryption: enc } : {}), reject: /rejects connection/i.test(message) };
}

// ---------------------------------------------------------------- server faults (any stage)

type F<Id extends string> = Outcome<Id>;

/** Faults every stage shares; undefined when the code belongs to a stage-specific finding. */
function serverFault(target: Target, db: DatabaseTarget, e: PgServerError, stage: string): F<ServerId> | undefined {
  const w = where(db);
  const d = { ...baseDetails(target, db), ...serverDetails(e), stage };
  const code = e.code;
  const cls = code.slice(0, 2);
  if (code === '57P03') {
    const standby = /not accepting connections/i.test(e.message) && /hot standby/i.test(`${e.detail ?? ''} ${e.message}`);
    const what = /starting up/i.test(e.message) ? 'is starting up' : /shutting down/i.test(e.message) ? 'is shutting down' : /recovery mode/i.test(e.message) ? 'is in crash recovery'
      : standby ? 'is a standby (replica) with hot_standby off' : /not yet accepting/i.test(e.message) ? 'is a standby that has not reached a consistent state yet' : 'does not accept connections now';
    const fix = standby || /not yet accepting/i.test(e.message)
      ? `Flyte needs the primary: set ${dbSettingKey(target, db, 'host')} to the primary's (writer) endpoint${dbSource(target, db, 'host')}`
      : /shutting down/i.test(e.message) ? `start the server again and find out what stopped it (its log); re-run when it accepts connections` : `wait until the server accepts connections and re-run; if it stays like this, read the server log (a crash loop, a long recovery)`;
    return { status: 'fail', messageId: 'serverNotReady', cause: cause.unreachable(hpKey(db)), message: `the server at ${w} ${what} (${sq(e)}): ${verbatim(e)}`, hint: fix, details: d };
  }
  if (code === '25P03' || code === '25P04') {
    // FATAL: the server ended the session for a per-role/database timeout (PostgreSQL 14+ / 17+).
    const param = code === '25P03' ? 'idle_in_transaction_session_timeout' : 'transaction_timeout';
    return { status: 'fail', messageId: 'serverTerminated', message: `the server at ${w} ended the session: ${code === '25P03' ? 'it stayed idle inside a transaction' : 'a transaction ran'} longer than ${param} (${describeSqlstate(code)}): ${verbatim(e)}`, hint: `a ${param} this low also ends Flyte's sessions (migrations run in long transactions): as an admin, ${adminSql(db, `ALTER ROLE ${ident(db.user)} RESET ${param}`)} (or ALTER DATABASE ${ident(db.dbname)} RESET ${param}; SELECT setting, source FROM pg_settings WHERE name = '${param}' says where it is set)`, details: d };
  }
  if (code === '57P01' || code === '57P02' || code === '57P04' || code === '57P05' || code === '57000') {
    const why = code === '57P01' ? 'an administrator or a shutdown terminated the session (pg_terminate_backend, a fast shutdown, a failover)'
      : code === '57P02' ? 'another server process crashed and the server is restarting'
        : code === '57P05' ? 'the session was idle longer than idle_session_timeout' : code === '57P04' ? 'the database was dropped' : 'an operator intervened';
    const fix = code === '57P02' ? `read the server log for the crash (out of memory, a failing extension) and re-run when ${w} is back`
      : code === '57P05' ? `re-run; if Flyte's pools meet it too, raise idle_session_timeout for role ${db.user} (ALTER ROLE ${ident(db.user)} RESET idle_session_timeout) or lower their idle time`
        : `re-run; if it repeats, find what ends sessions on ${w} (a restart loop, a failover, a pooler, pg_terminate_backend in a cron job) in the server log`;
    return { status: 'fail', messageId: 'serverTerminated', message: `the server at ${w} ended the session: ${why} (${sq(e)}): ${verbatim(e)}`, hint: fix, details: d };
  }
  if (cls === '53' || cls === '54') {
    if (code === '53300') return undefined; // stage-specific
    const what = code === '53100' ? 'out of disk space' : code === '53200' ? 'out of memory' : code === '53400' ? 'past a configured limit' : cls === '54' ? 'past a program limit' : 'out of a resource';
    const fix = code === '53100' ? `free or grow the disk of the server at ${w} (data and WAL volumes); Flyte's migrations and writes fail until then`
      : code === '53200' ? `give the server at ${w} more memory or lower work_mem/shared_buffers/max_connections; re-run`
        : code === '53400' ? `raise the server setting the message names (e.g. max_locks_per_transaction, max_pred_locks_per_transaction, max_wal_senders) on ${w}, then restart or reload it`
          : `read the server log on ${w} for the exhausted resource`;
    return { status: 'fail', messageId: 'serverResources', message: `the server at ${w} is ${what} (${describeSqlstate(code)}): ${verbatim(e)}`, hint: fix, details: d };
  }
  if (code === '08P01') {
    // PgBouncer answers its own refusals with 08P01 (seen from PgBouncer 1.18): name the cause, not "the protocol level".
    const m = e.message;
    const hp = hpKey(db);
    const noDb = /^no such database: (.+)$/i.exec(m)?.[1];
    if (noDb !== undefined) {
      const dbk = dbSettingKey(target, db, 'dbname');
      return { status: 'fail', messageId: 'poolerNoDatabase', cause: cause.config(dbk),
        message: `the pooler at ${w} (PgBouncer) has no entry for database ${noDb} (${describeSqlstate(code)}): ${verbatim(e)}; a pooler refuses it before PostgreSQL sees it, so Flyte's create-if-missing (on SQLSTATE 3D000) does not run either`,
        hint: `add "${noDb} = host=<PostgreSQL host> port=5432 dbname=${noDb}" under [databases] in pgbouncer.ini (or a "* = host=…" fallback) and reload PgBouncer (RELOAD on its admin console, or SIGHUP); or set ${dbk} to a database the pooler serves${dbSource(target, db, 'dbname')}`,
        details: { ...d, pooler: 'pgbouncer' } };
    }
    if (/^(password|SASL|md5|cleartext) authentication failed|^no such user/i.test(m)) {
      const pw = passwordOrigin(target, db);
      return { status: 'fail', messageId: 'poolerAuthFailed', cause: cause.credentials('postgres', `${db.user}@${hp}`),
        message: `the pooler at ${w} (PgBouncer) refused the login of ${db.user} (${describeSqlstate(code)}): ${verbatim(e)}; it checks the password Flyte sends (from ${pw.text}) against its own auth_file (userlist.txt) or auth_query, and says the same for an unknown user`,
        hint: `${pw.fix}; and make the pooler know that password: the "${db.user}" line of its auth_file (with the role's SCRAM secret or password), or its auth_user/auth_query setup; then reload PgBouncer`,
        details: { ...d, pooler: 'pgbouncer', passwordKey: pw.key } };
    }
    if (/pgbouncer cannot connect to server|server login has been failing|server conn crashed|query_wait_timeout|server_connect_timeout/i.test(m)) {
      return { status: 'fail', messageId: 'poolerBackendDown', cause: cause.backend(`postgres-behind-pooler:${hp}`),
        message: `the pooler at ${w} (PgBouncer) accepts connections but cannot get one from its PostgreSQL server (${describeSqlstate(code)}): ${verbatim(e)}`,
        hint: `check the [databases] entry for ${db.dbname} in pgbouncer.ini (host, port, dbname, and the user/password PgBouncer logs in with) and that PostgreSQL server's health and pg_hba.conf; PgBouncer's log names the server error`,
        details: { ...d, pooler: 'pgbouncer' } };
    }
  }
  if (code === '08P01' || (code === '0A000' && stage !== 'query')) {
    const pooler = /startup parameter|max_client_conn|no more connections allowed|pool/i.test(e.message);
    const fix = /startup parameter/i.test(e.message)
      ? `the pooler in front of ${w} (PgBouncer) refuses a startup parameter Flyte's driver sends: add it to ignore_startup_parameters (e.g. "extra_float_digits, search_path") in pgbouncer.ini and reload`
      : /max_client_conn|no more connections allowed/i.test(e.message) ? `raise max_client_conn of the pooler in front of ${w}, or lower ${dbKey(db, 'maxOpenConnections')}`
        : /unsupported frontend protocol/i.test(e.message) ? `the server at ${w} does not speak protocol 3.0 as Flyte's driver does: point ${dbSettingKey(target, db, 'host')} / ${dbSettingKey(target, db, 'port')} at a PostgreSQL 12+ server`
          : `check what serves ${w} (a pooler or proxy?) and its log: it rejected the connection at the protocol level`;
    return { status: 'fail', messageId: 'protocolRejected', message: `${pooler ? 'a pooler' : 'the server'} at ${w} refused the connection at the protocol level (${describeSqlstate(code)}): ${verbatim(e)}`, hint: fix, details: d };
  }
  if (cls === '08') {
    return { status: 'fail', messageId: 'connectionException', message: `the server at ${w} reported a connection exception (${describeSqlstate(code)}): ${verbatim(e)}`, hint: `read the log of the server or pooler at ${w} for this connection; 08004 means it rejected the connection on its own terms (often a pooler's limit or an authentication proxy)`, details: d };
  }
  if (cls === 'XX' || cls === '58' || cls === 'F0') {
    const fix = code === 'XX001' || code === 'XX002' ? `the server at ${w} reports data corruption: have its administrator check the log, run amcheck/REINDEX or restore from a backup before Flyte writes to it`
      : cls === 'F0' ? `the server at ${w} cannot load its configuration files (pg_hba.conf, postgresql.conf): fix the file the message names and reload (SELECT pg_reload_conf())`
        : `read the server log on ${w} around this time: ${cls === '58' ? 'an operating-system or I/O error' : 'an internal error'} (report it to the server's operator)`;
    return { status: 'fail', messageId: 'serverInternalError', message: `the server at ${w} reported ${cls === '58' ? 'a system or I/O error' : cls === 'F0' ? 'a configuration-file error' : 'an internal error'} (${describeSqlstate(code)}): ${verbatim(e)}`, hint: fix, details: d };
  }
  return undefined;
}

function unrecognised(target: Target, db: DatabaseTarget, e: PgServerError, stage: string): F<'unrecognised'> {
  return {
    status: 'fail', messageId: 'unrecognised',
    message: `unrecognised: SQLSTATE ${e.code} ${e.message} — ${describeSqlstate(e.code)}, during ${stage} on ${where(db)}${e.detail ? ` (DETAIL: ${e.detail})` : ''}`,
    hint: `look SQLSTATE ${e.code} up in PostgreSQL's error table (https://www.postgresql.org/docs/current/errcodes-appendix.html) and read the server log on ${where(db)} for this ${stage}${e.serverSuggestion ? `; the server suggests: ${e.serverSuggestion}` : ''}`,
    details: { ...baseDetails(target, db), ...serverDetails(e), stage },
  };
}

// ---------------------------------------------------------------- login (startup + authentication)

/**
 * The server name of an Azure Database for PostgreSQL host (`<server>.postgres.database.azure.com`, and
 * the sovereign clouds' suffixes), or undefined for any other host.
 */
export function azureServerName(host: string): string | undefined {
  const m = /^([a-z0-9-]+)\.postgres\.database\.(?:azure\.com|chinacloudapi\.cn|usgovcloudapi\.net|cloudapi\.de)\.?$/i.exec(host);
  return m ? m[1]!.toLowerCase() : undefined;
}

/** A login refused by the server (ErrorResponse during startup/authentication). */
export function loginServerFinding(target: Target, db: DatabaseTarget, e: PgServerError, o: { tls?: boolean } = {}): F<LoginId> {
  const w = where(db);
  const hp = hpKey(db);
  const who = `${db.user}@${hp}`;
  const d = { ...baseDetails(target, db), ...serverDetails(e) };
  const userKey = dbSettingKey(target, db, 'username');
  const pw = passwordOrigin(target, db);
  const admin = (sql: string) => adminSql(db, sql);
  const m = e.message;
  const azure = azureServerName(db.host);
  if (e.code === '28P01' || (e.code === '28000' && /(LDAP|PAM|RADIUS|BSD) authentication failed/i.test(m))) {
    const ext = /(LDAP|PAM|RADIUS|BSD) authentication/i.exec(m)?.[1];
    // Azure Flexible Server takes the plain role name; user@server is Single Server's form (which
    // answers "Invalid Username specified" instead when the suffix is missing).
    const at = db.user.indexOf('@');
    const azureNote = azure && at > 0 ? `. On Azure Database for PostgreSQL Flexible Server the user is the plain role name: "${db.user}" is Single Server's <user>@<server> form` : '';
    const azureFix = azure && at > 0 ? `; on Flexible Server set ${userKey} to ${db.user.slice(0, at)}` : '';
    return {
      status: 'fail', messageId: 'passwordRejected', cause: cause.credentials('postgres', who),
      message: `${ext ? `${ext} ` : 'password '}authentication failed for user "${db.user}" on ${w} (${sq(e)}); the password came from ${pw.text}. PostgreSQL answers the same for a wrong password, a role that does not exist and an expired password (VALID UNTIL)${azureNote}`,
      hint: `${pw.fix}${azureFix}${ext ? ` (the server checks it against ${ext})` : ''}; or, as an admin, set the role's password to the configured one: ALTER ROLE ${ident(db.user)} PASSWORD '…'. If the password is right, an admin can tell the other two apart: ${admin(`SELECT rolname, rolvaliduntil FROM pg_roles WHERE rolname = ${literal(db.user)}`)} (no row: the role does not exist, set ${userKey}; rolvaliduntil in the past: the password expired, ALTER ROLE ${ident(db.user)} VALID UNTIL 'infinity')`,
      details: { ...d, passwordKey: pw.key },
    };
  }
  if (e.code === '28000') {
    if (/Invalid Username specified|username@hostname|<username@hostname>/i.test(m)) {
      const server = azure ?? '<server name>';
      const base = db.user.split('@')[0] || db.user;
      return { status: 'fail', messageId: 'azureUserFormat', cause: cause.config(userKey),
        message: `${w} is Azure Database for PostgreSQL Single Server, which wants the user as <user>@<server>; "${db.user}"${dbSource(target, db, 'username')} is not (${sq(e)}): ${m}`,
        hint: `${dbFix(target, db, 'username', `${base}@${server}`) ?? `set ${userKey} to ${base}@${server}`} (Single Server is retired: on Flexible Server the plain name ${base} is right)`,
        details: d };
    }
    if (/SSL connection is required|SSL is required|requires? (an )?SSL|require_secure_transport/i.test(m)) {
      const fix = dbFix(target, db, 'options', 'sslmode=require');
      return { status: 'fail', messageId: 'tlsRequired', cause: cause.config(dbSettingKey(target, db, 'options')),
        message: `${w} requires TLS and refused this connection without it (${sq(e)}): ${m}${azure ? ' (Azure Database for PostgreSQL enforces TLS: "Enforce SSL connection" / require_secure_transport)' : ''}`,
        hint: `${fix ?? `set ${dbSettingKey(target, db, 'options')}: "sslmode=require"`} (or "sslmode=verify-full sslrootcert=<the provider's CA bundle, mounted in the pods>")`,
        details: d };
    }
    if (/is not permitted to log in/i.test(m)) {
      return { status: 'fail', messageId: 'roleNoLogin', cause: cause.credentials('postgres', who), message: `role "${db.user}" exists and the password was accepted, but the role may not log in (NOLOGIN) on ${w} (${sq(e)})`, hint: `as an admin: ${admin(`ALTER ROLE ${ident(db.user)} LOGIN`)}; or set ${userKey} to a role that may log in`, details: d };
    }
    if (/role "[^"]*" does not exist/i.test(m)) {
      return { status: 'fail', messageId: 'roleMissing', cause: cause.credentials('postgres', who), message: `role "${db.user}" does not exist on ${w} (${sq(e)})${dbSource(target, db, 'username')}`, hint: `set ${userKey} to an existing role, or create it as an admin: ${admin(`CREATE ROLE ${ident(db.user)} LOGIN PASSWORD '…'`)}`, details: d };
    }
    if (/pg_hba\.conf/i.test(m) && /no pg_hba\.conf entry|rejects connection/i.test(m)) {
      const h = parseHba(m);
      const addr = h.clientAddress ?? 'this machine';
      const fromHere = `the server saw this check come from ${addr}; Flyte's pods connect from the pod or node network`;
      const type = h.encryption === 'ssl' || o.tls ? 'hostssl' : 'host';
      return {
        status: 'fail', messageId: 'noHbaEntry', cause: cause.denied('postgres', who, 'pg_hba'),
        message: `${h.reject ? 'a reject line in pg_hba.conf matches' : 'no pg_hba.conf line matches'} user ${db.user}, database ${db.dbname}, address ${addr}${h.encryption ? `, ${h.encryption === 'plain' ? 'without TLS' : h.encryption === 'ssl' ? 'over TLS' : 'over GSS encryption'}` : ''} on ${w} (${sq(e)}): ${m}`,
        hint: `add a pg_hba.conf line before any reject line, e.g. "${type} ${db.dbname} ${db.user} <pod CIDR> scram-sha-256", and reload (SELECT pg_reload_conf()); ${fromHere}. Managed databases: allow the cluster's network in the instance's access settings`,
        details: { ...d, clientAddress: h.clientAddress ?? null },
      };
    }
    if (/client certificate|certificate (authentication|validation) failed/i.test(m)) return clientCertFinding(target, db, e);
    if (/(Ident|Peer|GSSAPI|SSPI|certificate|Kerberos|RADIUS) authentication failed|requires a valid client certificate|no password supplied for|certificate/i.test(m)) {
      const method = /requires a valid client certificate|certificate/i.test(m) ? 'client certificate (cert / clientcert=verify-*)' : (/(Ident|Peer|GSSAPI|SSPI|Kerberos)/i.exec(m)?.[1] ?? 'another method');
      return { status: 'fail', messageId: 'authMethodUnsupported', cause: cause.denied('postgres', who, 'pg_hba'), message: `pg_hba.conf on ${w} asks ${db.user} for ${method} authentication, which Flyte's password login cannot satisfy (${sq(e)}): ${m}`, hint: `change the matching pg_hba.conf line for ${db.user}/${db.dbname} to scram-sha-256 (or md5) and reload${/certificate/i.test(m) ? `; or give Flyte a client certificate: sslcert=… sslkey=… in ${dbSettingKey(target, db, 'options')}, mounted into the pods` : ''}`, details: d };
    }
    return { status: 'fail', messageId: 'loginRefused', cause: cause.credentials('postgres', who), message: `the server at ${w} refused the login of ${db.user} (${sq(e)}): ${verbatim(e)}`, hint: `read the server log on ${w} for this connection (log_connections); the message names what pg_hba.conf or the role's settings refuse`, details: d };
  }
  if (e.code === '53300') {
    if (/too many connections for role/i.test(m)) {
      const need = flytePoolTotal(target, db, true);
      return { status: 'fail', messageId: 'roleConnectionLimit', message: `role ${db.user} reached its CONNECTION LIMIT on ${w} (${sq(e)}): ${m}`, hint: `as an admin: ${admin(`ALTER ROLE ${ident(db.user)} CONNECTION LIMIT ${need + 10}`)} (Flyte's pools open up to ${need}; -1 is unlimited), or lower ${dbKey(db, 'maxOpenConnections')}`, details: d };
    }
    const reserved = /reserved/i.test(m);
    return { status: 'fail', messageId: 'tooManyConnections', message: `${w} refuses new connections: ${m} (${sq(e)})${reserved ? '; the remaining slots are reserved for superusers' : ''}`, hint: `raise max_connections on ${w} (restart needed), put PgBouncer in front, or lower ${dbKey(db, 'maxOpenConnections')} (Flyte's pools open up to ${flytePoolTotal(target, db)} connections here); see who holds them: SELECT usename, application_name, count(*) FROM pg_stat_activity GROUP BY 1, 2`, details: d };
  }
  return serverFault(target, db, e, 'login') ?? unrecognised(target, db, e, 'login');
}

/** The subject CN of a PEM certificate file, or undefined. */
function certCn(file: string | undefined): string | undefined {
  if (!file) return undefined;
  try { return /(?:^|\n)CN=([^\n]+)/.exec(new X509Certificate(readFileSync(file)).subject)?.[1]; } catch { return undefined; }
}

/**
 * pg_hba.conf wants a client certificate (the `cert` method, or clientcert=verify-ca/verify-full
 * on a password line) and the server refused: none was sent, or its CN is not the user. What was
 * configured (sslcert / sslkey in options) decides the finding: never "add sslcert" when it is there.
 */
function clientCertFinding(target: Target, db: DatabaseTarget, e: PgServerError): F<'authMethodUnsupported' | 'clientCertRejected' | 'clientCertNotHere'> {
  const w = where(db);
  const who = `${db.user}@${hpKey(db)}`;
  const optKey = dbSettingKey(target, db, 'options');
  const d = { ...baseDetails(target, db), ...serverDetails(e), ...(db.sslcert ? { sslcert: db.sslcert } : {}), ...(db.sslkey ? { sslkey: db.sslkey } : {}) };
  const m = e.message;
  const none = /requires a valid client certificate/i.test(m);
  if (!db.sslcert || !db.sslkey) {
    const half = db.sslcert ? `sslcert=${db.sslcert} is set but no sslkey` : db.sslkey ? `sslkey=${db.sslkey} is set but no sslcert` : '';
    return { status: 'fail', messageId: 'authMethodUnsupported', cause: cause.denied('postgres', who, 'pg_hba'),
      message: `pg_hba.conf on ${w} wants a client certificate from ${db.user} (the cert method, or clientcert=verify-ca/verify-full), and ${half || `${optKey} names none (no sslcert / sslkey)`} (${sq(e)}): ${m}`,
      hint: `give Flyte a client certificate signed by the CA in the server's ssl_ca_file, with CN=${db.user}: ${half ? `add the missing ${db.sslcert ? 'sslkey' : 'sslcert'}=<file> to` : 'add "sslcert=<file> sslkey=<file>" to'} ${optKey}, the files mounted into the pods; or change the matching pg_hba.conf line to "hostssl ${db.dbname} ${db.user} <pod CIDR> scram-sha-256" without clientcert and reload (SELECT pg_reload_conf())`,
      details: d };
  }
  if (none) {
    // Configured, and the server says none came: not readable here (a path in the pods), so none was sent.
    return { status: 'warn', messageId: 'clientCertNotHere',
      message: `pg_hba.conf on ${w} wants a client certificate from ${db.user}; ${optKey} names sslcert=${db.sslcert} sslkey=${db.sslkey}, which are not readable here, so this check sent none (${sq(e)}): ${m}`,
      hint: `run flyte-doctor where ${db.sslcert} and ${db.sslkey} are readable (inside the cluster: \`flyte-doctor preflight --in-cluster\`, or copy them to those paths), or check that the pods mount them there`,
      details: d };
  }
  const cn = certCn(db.sslcert);
  const cnMismatch = /certificate (authentication|validation) failed/i.test(m);
  return { status: 'fail', messageId: 'clientCertRejected', cause: cause.denied('postgres', who, 'pg_hba'),
    message: `${w} refused the client certificate ${db.sslcert}${cn ? ` (CN=${cn})` : ''} for user ${db.user} (${sq(e)}): ${m}${cnMismatch && cn && cn !== db.user ? `; the server matches the certificate's CN against the user name: "${cn}" is not "${db.user}"` : ''}`,
    hint: cnMismatch
      ? `issue ${db.sslcert} with CN=${db.user} (signed by the CA in the server's ssl_ca_file)${cn ? `, or set ${dbSettingKey(target, db, 'username')} to ${cn} if that role is meant, or map the CN to ${db.user} in pg_ident.conf ("certmap ${cn} ${db.user}") with "cert map=certmap" on the pg_hba.conf line, and reload (SELECT pg_reload_conf())` : ''}`
      : `check ${db.sslcert} (${optKey}) against what the server's pg_hba.conf line and ssl_ca_file expect`,
    details: { ...d, ...(cn ? { certCn: cn } : {}) } };
}

/**
 * The server's first authentication request is one Flyte's driver cannot answer (PgProbeError kind
 * 'auth-method': GSSAPI, SSPI, Kerberos V5, SCM credentials, SASL without SCRAM-SHA-256), or a
 * request code the protocol does not have (unrecognised).
 */
export function authMethodFinding(target: Target, db: DatabaseTarget, e: PgProbeError): F<'authMethodUnsupported' | 'unrecognised'> {
  const w = where(db);
  const code = Number(e.code);
  const d = { ...baseDetails(target, db), authRequestCode: code, error: e.message };
  const hba = `the pg_hba.conf line that matches ${db.user}/${db.dbname} from the pods' network`;
  const driver: Record<number, string> = {
    7: 'pgx fails with "kerberos error: no GSSAPI provider registered" (Flyte\'s images register none)',
    9: 'SSPI is Windows-only (a PostgreSQL server on Windows): no Linux client, Flyte\'s driver included, answers it',
    2: 'Kerberos V5 was removed in PostgreSQL 9.4: this is a very old server or not PostgreSQL',
    6: 'SCM credentials work over Unix sockets only, never over TCP',
    10: `the server offers no SCRAM-SHA-256 (e.g. PostgreSQL 18's oauth method offers OAUTHBEARER), the only SASL mechanism Flyte's driver speaks`,
  };
  if (!(code in driver)) {
    return {
      status: 'fail', messageId: 'unrecognised',
      message: `unrecognised: ${w} answered the startup of ${db.user} with AuthenticationRequest code ${Number.isFinite(code) ? code : e.code}, which the PostgreSQL protocol does not define: ${e.message}`,
      hint: `check what serves ${w} (a pooler or proxy speaking a variant of the protocol?) and ${hba}; Flyte's driver answers trust, password, md5 and scram-sha-256`,
      details: d,
    };
  }
  return {
    status: 'fail', messageId: 'authMethodUnsupported', cause: cause.denied('postgres', `${db.user}@${hpKey(db)}`, 'pg_hba'),
    message: `${e.message}: ${driver[code]}`,
    hint: code === 2 || code === 9
      ? `point ${dbSettingKey(target, db, 'host')} / ${dbSettingKey(target, db, 'port')} at a PostgreSQL 12+ server on Linux, or change ${hba} to scram-sha-256 and reload (SELECT pg_reload_conf())`
      : `change ${hba} to scram-sha-256 (e.g. "host${sslmodeOf(db) === 'disable' ? '' : 'ssl'} ${db.dbname} ${db.user} <pod CIDR> scram-sha-256", before the ${code === 10 ? 'oauth' : code === 7 ? 'gss' : 'current'} line), and reload (SELECT pg_reload_conf()); ${db.user} then logs in with the password Flyte sends (${passwordOrigin(target, db).text})`,
    details: d,
  };
}

// ---------------------------------------------------------------- queries on an open session

/** A query failed: the finding, by SQLSTATE (or by what broke). `what` names the query's purpose. */
export function queryFinding(target: Target, db: DatabaseTarget, e: PgProbeError, what: string): F<QueryId> {
  const w = where(db);
  if (e.kind !== 'server' || !e.server) {
    return { status: 'fail', messageId: 'connectionLost', cause: cause.unreachable(hpKey(db)), message: `the connection to ${w} ${e.kind === 'silent' ? 'stopped answering' : 'broke'} while ${what}: ${e.message}`, hint: `re-run; if it repeats, check the server's health and anything between (a pooler, a proxy with an idle timeout, a failover) on ${w}`, details: { ...baseDetails(target, db), kind: e.kind, error: e.message } };
  }
  const s = e.server;
  const d = { ...baseDetails(target, db), ...serverDetails(s), query: what };
  const code = s.code;
  if (code === '25006') {
    return { status: 'fail', messageId: 'readOnly', message: `the session on ${w} is read-only (${sq(s)}) while ${what}: ${s.message}`, hint: `Flyte needs a writable primary: set ${dbSettingKey(target, db, 'host')} to the primary's (writer) endpoint, or reset default_transaction_read_only for role ${db.user}`, details: d };
  }
  if (code === '42501') {
    return { status: 'fail', messageId: 'permissionDenied', cause: cause.denied('postgres', `${db.user}@${hpKey(db)}`, what), message: `role ${db.user} lacks a privilege while ${what} on ${w} (${sq(s)}): ${verbatim(s)}`, hint: `grant the privilege the message names to ${db.user} as an admin (e.g. GRANT SELECT ON <table> TO ${ident(db.user)}), or run Flyte as the owning role`, details: d };
  }
  if (code === '57014') {
    // 57014 query_canceled is also a cancel request from another session (pg_cancel_backend, a
    // watchdog, a pooler or proxy): only "due to statement timeout" is statement_timeout.
    if (!/statement timeout/i.test(s.message)) {
      const byUser = /user request/i.test(s.message);
      return { status: 'fail', messageId: 'statementTimeout', message: `the server on ${w} cancelled a query while ${what} (${sq(s)}): ${s.message}${byUser ? '; not a timeout: a cancel request from outside this session (pg_cancel_backend from another session, a watchdog job, a pooler or proxy)' : ''}`, hint: byUser ? `re-run; if it repeats, find what cancels queries on ${w}: a job or monitor calling pg_cancel_backend (log_statement / the server log names it), or the pooler or proxy in front; statement_timeout is not the cause` : `read the server log on ${w} for this cancel; re-run`, details: d };
    }
    return { status: 'fail', messageId: 'statementTimeout', message: `the server on ${w} cancelled a query while ${what} (${sq(s)}): ${s.message}`, hint: `a statement_timeout this low also cancels Flyte's migrations: as an admin, ${adminSql(db, `ALTER ROLE ${ident(db.user)} RESET statement_timeout`)} (or ALTER DATABASE ${ident(db.dbname)} RESET statement_timeout)`, details: d };
  }
  if (['40001', '40P01', '55P03', '55006'].includes(code) || code.startsWith('40')) {
    return { status: 'fail', messageId: 'transientConflict', message: `a query met a conflict on ${w} while ${what} (${describeSqlstate(code)}): ${s.message}`, hint: `re-run; if it repeats, look for long-running transactions or locks on ${w} (SELECT pid, state, query FROM pg_stat_activity WHERE state <> 'idle'), or replication conflicts on a standby`, details: d };
  }
  if (['42601', '42883', '42P01', '42703', '42704', '0A000'].includes(code)) {
    return { status: 'fail', messageId: 'incompatibleServer', message: `the server on ${w} does not answer PostgreSQL's catalog queries while ${what} (${describeSqlstate(code)}): ${s.message}; it is not PostgreSQL (CockroachDB, Redshift, another PostgreSQL-compatible system) or it is older than PostgreSQL 12`, hint: `Flyte needs PostgreSQL 12 or newer: point ${dbSettingKey(target, db, 'host')} / ${dbSettingKey(target, db, 'port')} at a PostgreSQL server`, details: d };
  }
  if (code === '3F000') {
    return { status: 'fail', messageId: 'invalidSchema', message: `no schema of ${db.user}'s search_path exists in ${db.dbname} (${sq(s)}) while ${what}: ${s.message}`, hint: `as an admin: ${adminSql(db, `ALTER ROLE ${ident(db.user)} SET search_path = public`, db.dbname)} (or create the schema the search_path names)`, details: d };
  }
  return serverFault(target, db, s, 'query') ?? (code === '53300' ? { status: 'fail', messageId: 'serverResources', message: `the server on ${w} refused: ${s.message} (${sq(s)})`, hint: `raise max_connections on ${w} or lower ${dbKey(db, 'maxOpenConnections')}`, details: d } : unrecognised(target, db, s, 'query'));
}

// ---------------------------------------------------------------- network, wrong service, TLS

export interface NetworkOpts { address?: string; evidence?: ServiceEvidence; budgetMs?: number }

/** A network failure or wrong answer toward the database. */
export function networkFinding(target: Target, db: DatabaseTarget, e: PgProbeError, o: NetworkOpts = {}): F<keyof typeof NETWORK_MESSAGES | 'notFromHere'> {
  const w = where(db);
  const hp = hpKey(db);
  const hostKey = dbSettingKey(target, db, 'host');
  const portKey = dbSettingKey(target, db, 'port');
  const details: Record<string, Json> = { host: db.host, port: db.port, ...(o.address ? { address: o.address } : {}), kind: e.kind, ...(e.code ? { code: e.code } : {}), ...(e.step ? { step: e.step } : {}), error: e.message };
  const why = notJudgeableHere(target, db, e, o.address);
  if (why) {
    const seen = o.evidence ?? e.service;
    const reason = `${e.message}${seen ? ` (${describeService(seen)} answered here)` : ''}; ${why}`;
    return { status: 'warn', messageId: 'notFromHere', cause: cause.unreachable(hp), message: `cannot be checked from this machine: ${reason}`, hint: IN_CLUSTER_FIX, details: { ...details, ranFrom: 'this machine', inCluster: false, reason } };
  }
  const ev = o.evidence ?? e.service;
  if (e.kind === 'not-postgres' && e.step === 'startup') {
    // It answered the SSLRequest as PostgreSQL does: the startup message is what it answers differently.
    return {
      status: 'fail', messageId: 'startupProtocol', cause: cause.wrongService(hp),
      message: `${w} answers PostgreSQL's SSLRequest as PostgreSQL does, but not its startup message: ${e.message}${e.seen ? ` ("${e.seen}")` : ''}`,
      hint: `check what serves ${w}: a pooler, proxy or PostgreSQL-compatible server that speaks the protocol differently (its log shows this connection); point ${hostKey}${dbSource(target, db, 'host')} / ${portKey}${dbSource(target, db, 'port')} at PostgreSQL 12+ or a pooler that speaks protocol 3.0 (PgBouncer, pgpool, RDS Proxy)`,
      details: { ...details, ...(e.seen ? { answered: e.seen } : {}) },
    };
  }
  if (e.kind === 'not-postgres' || (ev && ['ssh', 'smtp', 'ftp', 'mysql', 'redis', 'imap', 'pop3', 'http', 'tls', 'unknown'].includes(ev.kind))) {
    const what = ev ? describeService(ev) : `a service that answered "${e.seen ?? ''}"`;
    const tlsOnly = ev?.kind === 'tls';
    return {
      status: 'fail', messageId: 'notPostgres', cause: cause.wrongService(hp),
      message: `something else listens on ${w}: ${what}${e.seen && ev?.kind !== 'http' ? `; it answered the PostgreSQL SSLRequest with "${e.seen}"` : ''}${ev?.kind === 'http' && e.kind === 'silent' ? '; it waited for more input after PostgreSQL\'s SSLRequest, as HTTP servers do' : ''}`,
      hint: tlsOnly
        ? `${w} expects a TLS handshake first (a TLS-only port or a TLS-terminating proxy); PostgreSQL negotiates TLS inside its own protocol (SSLRequest), which Flyte's driver uses: point ${hostKey} / ${portKey} at PostgreSQL itself (5432 by default). (PostgreSQL 17 also accepts TLS first, but only with sslnegotiation=direct, which flyte-doctor does not probe)`
        : `point ${hostKey}${dbSource(target, db, 'host')} / ${portKey}${dbSource(target, db, 'port')} at the PostgreSQL server (port 5432 by default); ${w} is another service`,
      details: { ...details, service: ev?.kind ?? 'unknown', ...(ev ? { serviceDetail: describeService(ev) } : {}), ...(e.seen ? { answered: e.seen } : {}) },
    };
  }
  switch (e.kind) {
    case 'dns':
      return { status: 'fail', messageId: 'dns', cause: cause.dns(db.host), message: e.message, hint: `set ${hostKey} to the database's real host name${dbSource(target, db, 'host')}`, details };
    case 'refused':
      return { status: 'fail', messageId: 'refused', cause: cause.unreachable(hp), message: `connection refused by ${w}: nothing listens on port ${db.port} there${o.address && o.address !== db.host ? ` (${o.address})` : ''}`, hint: `check that PostgreSQL runs and listens on ${w} (listen_addresses, port); or fix ${hostKey}${dbSource(target, db, 'host')} / ${portKey}${dbSource(target, db, 'port')}${waitForDbNote(target)}`, details };
    case 'timeout':
      return { status: 'fail', messageId: 'timeout', cause: cause.unreachable(hp), message: `no answer to a TCP connection to ${w}${o.address && o.address !== db.host ? ` (${o.address})` : ''} from this machine: the packets are dropped`, hint: `a firewall, security group or NetworkPolicy drops traffic to ${w}, or ${hostKey} / ${portKey} point at the wrong machine; allow TCP ${db.port} from the Flyte namespace${waitForDbNote(target)}`, details };
    case 'unreachable':
      return { status: 'fail', messageId: 'unreachable', cause: cause.unreachable(hp), message: `${e.message}: no network route from this machine`, hint: `check ${hostKey}${dbSource(target, db, 'host')} and the route (VPC, peering, VPN) to ${db.host}`, details };
    case 'silent': case 'closed': case 'reset': {
      const closes = e.kind !== 'silent' || ev?.kind === 'closes';
      if (e.step && e.step !== 'sslrequest' && e.step !== 'tcp') {
        // PostgreSQL answered the SSLRequest: it is the later exchange that stalls or breaks.
        if (e.code === 'TLS_HANDSHAKE_STALLED') {
          // the first bytes of the server's TLS flight came, the rest never did (src/clients/postgres.ts tlsHandshake)
          return { status: 'fail', messageId: 'noAnswer', cause: cause.unreachable(hp), message: `${w} answered PostgreSQL's SSLRequest and began the TLS handshake, then stopped: ${e.message}`, hint: `the server's certificate flight is the largest packet of the connection: a path that loses large packets (an MTU black hole: a VPN, tunnel or overlay network with a smaller MTU where ICMP "fragmentation needed" is blocked) delivers its first bytes and drops the rest; compare from another network (\`psql "host=${db.host} port=${db.port} sslmode=require"\`), and lower the tunnel's MTU or clamp the TCP MSS on it; if the path is not the cause, what terminates TLS for ${w} (the server, a pooler or proxy) stalled mid-handshake: read its log`, details: { ...details, tlsBytesReceived: Number(/sent (\d+) byte/.exec(e.message)?.[1] ?? 0) } };
        }
        return { status: 'fail', messageId: 'noAnswer', cause: cause.unreachable(hp), message: `${w} answered PostgreSQL's SSLRequest but then ${e.kind === 'silent' ? 'stopped answering' : 'closed the connection'} during the ${e.step === 'tls' ? 'TLS handshake' : e.step === 'startup' ? 'startup message' : e.step}: ${e.message}`, hint: `check the server's load and log on ${w}; a pooler or proxy in front of it may have no healthy backend (PgBouncer, pgpool, cloud-sql-proxy, RDS Proxy)`, details };
      }
      return {
        status: 'fail', messageId: 'noAnswer', cause: cause.unreachable(hp),
        message: closes ? `${w} accepts TCP connections and closes them without a word: not PostgreSQL (it always answers the SSLRequest)${ev ? `; ${describeService(ev)}` : ''}` : `${w} accepts TCP connections but never answers PostgreSQL's SSLRequest${ev ? ` nor an HTTP request, a TLS hello or a second SSLRequest (${describeService(ev)})` : ''}: a black hole`,
        hint: `something accepts connections on ${w} without a PostgreSQL behind it: a proxy or load balancer whose backend is down (kubectl port-forward to a dead pod, cloud-sql-proxy without credentials, an NLB target group without healthy targets), or the wrong port; point ${hostKey} / ${portKey} at PostgreSQL, or fix the proxy`,
        details: { ...details, ...(ev ? { service: ev.kind } : {}) },
      };
    }
    default:
      return { status: 'fail', messageId: 'unreachable', cause: cause.unreachable(hp), message: `could not connect to ${w}: ${e.message}`, hint: `check ${hostKey} / ${portKey} and the network path to ${w}`, details };
  }
}

/** Certificate and handshake problems, with the options key and what the certificate says. */
export function tlsProblemText(e: PgProbeError): { what: string; kind: Parameters<typeof cause.tls>[0] } {
  const c = e instanceof PgTlsError ? e.cert : undefined;
  const cert = c ? ` (certificate CN=${c.subject || '?'}, issuer ${c.issuer || '?'}, valid ${c.validFrom} to ${c.validTo}${c.altNames ? `, ${c.altNames}` : ''})` : '';
  switch (e.tlsProblem) {
    case 'expired': return { what: `the certificate has expired${cert}`, kind: 'expired' };
    case 'not-yet-valid': return { what: `the certificate is not valid yet (or this machine's clock is behind)${cert}`, kind: 'expired' };
    case 'self-signed': return { what: `the certificate is self-signed and not in the trusted CA file${cert}`, kind: 'untrusted' };
    case 'chain': return { what: `the certificate's issuer is unknown: the server sends no intermediate certificate and the CA file does not contain it, or the CA file is for another CA${cert}`, kind: 'chain' };
    case 'untrusted': return { what: `the certificate is signed by a CA that is not trusted${cert}`, kind: 'untrusted' };
    case 'name': return { what: `the certificate does not cover the name${cert}`, kind: 'name' };
    case 'version': return { what: 'no TLS protocol version in common (the server offers only TLS 1.0/1.1, which Flyte\'s driver refuses)', kind: 'version' };
    default: return { what: `the TLS handshake failed${cert}`, kind: 'handshake' };
  }
}

/** Faults of the server outside login and queries (an ErrorResponse to the SSLRequest): shared classes or unrecognised. */
export function serverOnlyFinding(target: Target, db: DatabaseTarget, e: PgServerError, stage: string): F<ServerId> {
  if (e.code === '53300') {
    // No free connection slot (a server's "sorry, too many clients already", a pooler's max_client_conn): not unrecognised.
    return { status: 'fail', messageId: 'serverResources', message: `the server at ${where(db)} has no free connection slot (${describeSqlstate(e.code)}) during ${stage}: ${verbatim(e)}`, hint: `raise max_connections (or the pooler's max_client_conn) on ${where(db)}, or lower ${dbKey(db, 'maxOpenConnections')} (Flyte's pools open up to ${flytePoolTotal(target, db)} connections here)`, details: { ...baseDetails(target, db), ...serverDetails(e), stage } };
  }
  return serverFault(target, db, e, stage) ?? unrecognised(target, db, e, stage);
}

/**
 * When a dependency could not be judged from this machine (a cluster-internal host, a private
 * address), this check cannot be either: the same warn, the same cause, so the report groups them.
 */
export function carryNotFromHere(ctx: CheckContext, db: DatabaseTarget, deps: readonly string[]): F<'notFromHere'> | undefined {
  for (const id of deps) {
    const r = ctx.result(id, ctx.instance?.key);
    if (r?.messageId !== 'notFromHere') continue;
    const origin = typeof r.details?.['notFromHereOrigin'] === 'string' ? r.details['notFromHereOrigin'] : id;
    const reason = typeof r.details?.['reason'] === 'string' ? r.details['reason'] : r.message.replace(/^cannot be checked from this machine: /, '');
    return {
      status: 'warn', messageId: 'notFromHere', cause: r.cause ?? cause.unreachable(hpKey(db)),
      message: `cannot be checked from this machine: ${where(db)} was not reached from here (${origin} says why)`,
      hint: IN_CLUSTER_FIX,
      details: { host: db.host, port: db.port, ranFrom: 'this machine', notFromHereOrigin: origin, reason },
    };
  }
  return undefined;
}
