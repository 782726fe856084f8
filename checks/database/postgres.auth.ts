import { clientCertOf, firstAuthCodeOf, pgTryLogin, PgProbeError, type PgServerError, type PgSession } from '../../src/clients/postgres.js';
import { PGX_CONNECTION_KEYWORDS } from '../../src/config/libpq.js';
import type { DatabaseTarget } from '../../src/config/target.js';
import { closeNames } from '../../src/distance.js';
import { isSecretKeyName } from '../../src/config/secret.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext, Json, Messages, Outcome } from '../../src/engine/types.js';
import { adminSql, dbSettingKey, ident, literal, sslmodeOf } from '../../src/flyte/database.js';
import { parseSource } from '../../src/flyte/settings.js';
import { passwordOrigin } from '../../src/flyte/database.js';
import { installedPassword } from '../flyte/config.live.js';
import { kubectl } from '../../src/clients/kube.js';
import { asDriverReads, authMethodFinding, carryNotFromHere, connOf, driverCredentialsOf, IN_CLUSTER_FIX, runsInCluster, databaseFor, dbInstances, hpKey, LOGIN_MESSAGES, loginServerFinding, loginWithSettings, NETWORK_MESSAGES, networkFinding, NOT_FROM_HERE_MESSAGES, query, sessionFor, TLS_FAILED_MESSAGES, tlsProblemText, where } from './_support.js';

const MESSAGES = {
  authenticated: { status: 'pass', summary: 'The user logged in with the configured password.' },
  unknownSetting: { status: 'fail', summary: 'The options values key holds a key=value that is not a connection keyword of Flyte\'s driver (pgx), which sends it to the server as a setting; the server has no such setting and refuses Flyte\'s login (42704).' },
  settingInvalid: { status: 'fail', summary: 'The options values key sets a server setting (sent by Flyte\'s driver at login) to a value the server refuses: not a number, out of range, not one of the allowed values (SQLSTATE 22023): Flyte\'s login fails.' },
  settingNotPermitted: { status: 'fail', summary: 'The options values key sets a superuser-only server setting (log_statement, session_replication_role...) that the role is not a superuser for, nor granted SET on (SQLSTATE 42501): Flyte\'s login fails.' },
  settingNotAtLogin: { status: 'fail', summary: 'The options values key sets a server-wide setting (max_connections, shared_buffers, a reload-only or read-only setting) that no session can set (SQLSTATE 55P02): Flyte\'s login fails.' },
  settingDropped: { status: 'warn', summary: 'A login sending the options\' settings, as Flyte\'s driver does, is accepted but its session does not have them: a pooler between (PgBouncer ignore_startup_parameters) drops them, and Flyte runs without them.' },
  settingUnitless: { status: 'warn', summary: 'The options values key sets a timeout in milliseconds without a unit and below 1000 (statement_timeout=5 is 5 ms): the server cancels Flyte\'s statements (or locks, or idle sessions) after that long.' },
  passwordMangled: { status: 'fail', summary: 'The configured password is right, but flytestdlib writes it unquoted into the driver\'s connection string, where whitespace inside it, a backslash escape or quotes change it: Flyte\'s driver (pgx) sends another password and is refused (28P01).' },
  passwordUnparseable: { status: 'fail', summary: 'flytestdlib writes the password unquoted into the driver\'s connection string, which then does not parse (whitespace inside the password with nothing after it, an unmatched single quote): flyteadmin and datacatalog exit at start.' },
  passwordNotChecked: { status: 'warn', summary: 'The server let the user in without asking for a password (pg_hba.conf trust for this machine\'s address): the configured password was not checked, and Flyte\'s pods connect from another address, whose line may ask for it.' },
  passwordNotHere: { status: 'warn', summary: 'The password Flyte uses is in a file or Secret this machine cannot read (passwordPath not local, configuration.inlineSecretRef): the server asks for one, so the login cannot be checked from here; set PGPASSWORD to check it.' },
  authenticatedDbRefused: { status: 'pass', summary: 'The password was accepted, but the configured database refused the session (missing, no CONNECT, not accepting connections, its limit): database.postgres.database reports it.' },
  passwordNotInstalled: { status: 'fail', summary: 'verify: the values\' password is refused (28P01), and the release runs with another password, which PostgreSQL accepts: the values are not the installed ones. Fix the values, not the role (changing its password would break the running release).' },
  loginNotCheckable: { status: 'warn', summary: 'The server answers in a way the protocol allows and Flyte\'s driver follows, but this machine\'s login probe cannot (a NoticeResponse before the authentication request): the login was not attempted.' },
  loginNoAnswer: { status: 'fail', summary: 'PostgreSQL answered the SSLRequest but did not finish the login in time: an overloaded server, a slow LDAP/RADIUS lookup, or a pooler waiting for a backend.' },
  ...LOGIN_MESSAGES,
  ...NETWORK_MESSAGES,
  ...TLS_FAILED_MESSAGES,
  ...NOT_FROM_HERE_MESSAGES,
} as const satisfies Messages;

export default defineCheck({
  id: 'database.postgres.auth',
  title: 'The configured user authenticates with the configured password',
  phases: ['preflight', 'verify'],
  needs: ['database'],
  dependsOn: ['database.postgres.tls'],
  instances: dbInstances,
  timeoutMs: 12_000,
  writes: 'none',
  messages: MESSAGES,
  explain: {
    what: 'Logs in as the configured user with the password Flyte will use (from `password`, the `passwordPath` file or the environment), with the configured sslmode. The password is never printed. Every refusal is told apart by its SQLSTATE and message: wrong or expired password (28P01), a role that may not log in or does not exist, no pg_hba.conf line (28000), connection limits (53300), a server starting up or shutting down (57P03), a pooler refusing the protocol (08P01). The server settings in the options (what Flyte\'s driver sends in its startup message) are judged from pg_settings, a set_config that ends with its statement, and a second login that sends them: a name the server lacks (42704), a value it refuses (22023), a setting the role may not set (42501), one only the server\'s configuration sets (55P02), a pooler that refuses or drops them, a timeout without a unit.',
    why: 'A wrong password (SQLSTATE 28P01) or a missing pg_hba entry for the pods\' address (28000) makes flyteadmin\'s run-migrations and datacatalog crash; the binary chart\'s wait-for-db init container does not notice because pg_isready does not authenticate.',
    fix: 'Align the role name and password with the values (`username`, `password` or `passwordPath`; check the Secret key and mount path), let the role log in, or add a pg_hba line for the client address.',
  },
  async run(ctx): Promise<Outcome<keyof typeof MESSAGES>> {
    const db = databaseFor(ctx);
    const carried = carryNotFromHere(ctx, db, ['database.postgres.tls']);
    if (carried) return carried;
    const w = where(db);
    const s = await sessionFor(ctx, db);
    const details = { host: db.host, port: db.port, user: db.user, dbname: db.dbname, sslmode: sslmodeOf(db), passwordSource: passwordOrigin(ctx.target, db).text };
    const parsed = driverCredentialsOf(db);
    if (parsed && 'error' in parsed) {
      // flytestdlib's connection string does not parse: flyteadmin and datacatalog exit at start, whatever the server says.
      const origin = passwordOrigin(ctx.target, db);
      const pwRaw = db.password?.reveal() ?? '';
      const verdict = !s.error ? 'the server accepts the password as written' : s.error.kind === 'server' ? `the server refuses the password as written too (SQLSTATE ${s.error.code})` : `the login as written failed too (${s.error.message})`;
      return {
        status: 'fail', messageId: 'passwordUnparseable', cause: cause.config(origin.key),
        message: `Flyte's driver cannot parse the connection string flytestdlib builds from these values ("host=… user=… password=<password> <options>", the password from ${origin.text} written unquoted): pgx fails with "failed to parse as keyword/value (${parsed.error})", because the password ${dsnReasons(pwRaw).join(', and ')}; flyteadmin and datacatalog exit at start (${verdict})`,
        hint: `${CHOOSE_PASSWORD(db.user)}, and put it in ${origin.key}; or keep it and write it there as a quoted connection-string value: in single quotes, with a backslash before each \\ and ' inside ('<password>')`,
        details: { ...details, pgxError: parsed.error, driverMangles: dsnReasons(pwRaw), loginAsWritten: s.error ? (s.error.code ?? s.error.kind) : 'accepted' },
      };
    }
    if (!s.error) {
      const refused = s.dbRefused?.server;
      // options Flyte's driver sends to the server as settings: a name the server lacks refuses Flyte's login
      if (!refused && s.client && db.runtimeParams) {
        const refusedSettings = await settingsFinding(ctx, db, s, w, details);
        if (refusedSettings) return refusedSettings;
      }
      // With a client certificate over TLS, no password request is the cert method (or trust): nothing to tell apart here.
      const certPresented = s.tls && !!clientCertOf(connOf(db));
      if (firstAuthCodeOf(s.client) === 0 && certPresented) {
        return { status: 'pass', messageId: refused ? 'authenticatedDbRefused' : 'authenticated', message: `authenticated as ${db.user} on ${w} over TLS with the client certificate ${db.sslcert} (no password asked)${refused ? `; but database ${db.dbname} refused the session (SQLSTATE ${refused.code}: ${refused.message}): see database.postgres.database` : ''}`, details: { ...details, tls: true, authMethod: 'client certificate', sslcert: db.sslcert ?? null, ...(refused ? { databaseRefusal: refused.code } : {}) } };
      }
      if (firstAuthCodeOf(s.client) === 0) {
        // AuthenticationOk without a password: pg_hba.conf trusts this address; the password proves nothing here.
        const inCluster = runsInCluster(ctx.target);
        const msg = `${w} let ${db.user} in without asking for a password (pg_hba.conf "trust" for this ${inCluster ? 'pod\'s' : 'machine\'s'} address): the password from ${passwordOrigin(ctx.target, db).text} was not checked`;
        if (!inCluster) {
          return { status: 'warn', messageId: 'passwordNotChecked', message: `${msg}; Flyte's pods connect from the pod network, where the matching pg_hba.conf line may ask for it`, hint: `${IN_CLUSTER_FIX}; or, as an admin, check the password with a line that asks for it (e.g. "host ${db.dbname} ${db.user} <pod CIDR> scram-sha-256" before the trust line)`, details: { ...details, tls: s.tls, authMethod: 'trust', passwordChecked: false } };
        }
        return { status: 'pass', messageId: refused ? 'authenticatedDbRefused' : 'authenticated', message: `${msg}; the pods share this network, so Flyte gets in the same way${refused ? `; but database ${db.dbname} refused the session (SQLSTATE ${refused.code}: ${refused.message}): see database.postgres.database` : ''}`, details: { ...details, tls: s.tls, authMethod: 'trust', passwordChecked: false, ...(refused ? { databaseRefusal: refused.code } : {}) } };
      }
      return {
        status: 'pass', messageId: refused ? 'authenticatedDbRefused' : 'authenticated',
        message: `authenticated as ${db.user} on ${w}${s.tls ? ' over TLS' : ''}${refused ? `; but database ${db.dbname} refused the session (SQLSTATE ${refused.code}: ${refused.message}): see database.postgres.database` : ''}`,
        details: { ...details, tls: s.tls, ...(refused ? { databaseRefusal: refused.code } : {}) },
      };
    }
    const e = s.error;
    const origin = passwordOrigin(ctx.target, db);
    const unknownPassword = origin.kind === 'secret-ref' || origin.kind === 'unreadable-file';
    if (e.kind === 'password-required' && !unknownPassword) {
      // No password configured anywhere: Flyte sends an empty one and the server answers 28P01.
      return loginServerFinding(ctx.target, db, { code: '28P01', severity: 'FATAL', message: `password authentication failed for user "${db.user}" (no password configured: ${e.message})` });
    }
    if ((e.kind === 'password-required' || (e.kind === 'server' && e.server?.code === '28P01')) && unknownPassword) {
      // The password lives where this machine cannot read it: a refusal of no password proves nothing.
      return { status: 'warn', messageId: 'passwordNotHere', message: `${w} asks for a password, and the one Flyte uses is in ${origin.text}: it cannot be checked from here (${e.kind === 'password-required' ? 'it asked for one' : 'SQLSTATE 28P01 for the attempt without it'})`, hint: origin.fix, details: { ...details, code: '28P01' } };
    }
    // flytestdlib writes the password unquoted into pgx's keyword/value string: what pgx reads is
    // what this session sent (connOf). Refused, while the password as configured is accepted: the
    // connection string mangles it (whitespace inside, a backslash escape, quotes).
    const pw = db.password?.reveal();
    const seen = driverCredentialsOf(db);
    if (e.kind === 'server' && e.server?.code === '28P01' && pw !== undefined && seen && !('error' in seen) && (seen.password !== pw || seen.user !== db.user)) {
      const raw = await pgTryLogin(ctx, { ...connOf(db), user: db.user, password: db.password });
      const reasons = dsnReasons(pw);
      if (!raw) {
        return {
          status: 'fail', messageId: 'passwordMangled', cause: cause.credentials('postgres', `${db.user}@${hpKey(db)}`),
          message: `the password from ${origin.text} is right (the server accepts it as written), but Flyte's driver never sends it: flytestdlib writes it unquoted into the connection string "host=… user=… password=<password> <options>", where it ${reasons.join(', and ')}; pgx reads another password and ${w} answers 28P01 for it (this check sent what pgx reads)`,
          hint: `${CHOOSE_PASSWORD(db.user)}, and put it in ${origin.key}; or keep it and write it there as a quoted connection-string value: in single quotes, with a backslash before each \\ and ' inside ('<password>'); pgx then reads it back exactly`,
          details: { ...details, code: '28P01', driverMangles: reasons, ...(seen.swallowedOptions ? { swallowedOptions: true } : {}) },
        };
      }
    }
    if (e.kind === 'server' && e.server?.code === '28P01') {
      const f = loginServerFinding(ctx.target, db, e.server, { tls: sslmodeOf(db) !== 'disable' && sslmodeOf(db) !== 'allow' });
      // verify: the release may run with another password than these values give. Which one the
      // server takes decides what to fix: changing the role's password would break a running release.
      const installed = await installedPassword(ctx, db);
      if (!installed) return f;
      const other = await pgTryLogin(ctx, { ...connOf(db), password: asDriverReads(db, installed.password) });
      if (other) return { ...f, message: `${f.message}; the release runs with another password (${installed.source}), and the server refuses that one too (${other.code ?? other.kind}): flyteadmin cannot log in either`, hint: `${f.hint}. The release runs with a third password: once the role and the values agree, roll the values out (helm upgrade) so flyteadmin uses the same one`, details: { ...f.details, installedPassword: installed.source, installedPasswordRefused: true } };
      const key = passwordOrigin(ctx.target, db);
      return {
        status: 'fail', messageId: 'passwordNotInstalled', cause: f.cause!,
        message: `the password from ${key.text} is refused for user "${db.user}" on ${w} (SQLSTATE 28P01), but the release runs with another password (${installed.source}), which the server accepts: these values are not the ones installed`,
        hint: `fix the values, not the role: put the installed password where this one comes from (${key.text})${readSecretCommand(ctx, installed.source)}; changing the role's password, or rolling these values out with helm upgrade, would lock the running flyteadmin out`,
        details: { ...details, code: '28P01', installedPassword: installed.source, installedPasswordAccepted: true },
      };
    }
    if (e.kind === 'server' && e.server) return loginServerFinding(ctx.target, db, e.server, { tls: sslmodeOf(db) !== 'disable' && sslmodeOf(db) !== 'allow' });
    if (e.kind === 'auth-method') return authMethodFinding(ctx.target, db, e);
    const alert = /alert (unknown ca|bad certificate|certificate unknown|unsupported certificate|certificate expired|certificate revoked|decrypt error|access denied|certificate required)/i.exec(`${e.message} ${e.code ?? ''}`.replace(/_/g, ' '))?.[1]?.toLowerCase();
    if ((e.kind === 'tls' || e.kind === 'reset') && alert && db.sslcert && db.sslkey) {
      // The server's TLS refused the client certificate this login presented (not the server's certificate).
      const why = alert === 'unknown ca' ? 'it is not signed by a CA in the server\'s ssl_ca_file' : alert === 'certificate expired' ? 'it has expired' : alert === 'certificate revoked' ? 'it is in the server\'s ssl_crl_file' : 'the server could not verify it';
      return { status: 'fail', messageId: 'clientCertRejected', cause: cause.denied('postgres', `${db.user}@${hpKey(db)}`, 'pg_hba'), message: `${w} refused the client certificate ${db.sslcert} during the TLS handshake (alert "${alert}"): ${why}`, hint: `issue ${db.sslcert} (${dbSettingKey(ctx.target, db, 'options')}) from the CA the server trusts (its ssl_ca_file), with CN=${db.user}; or add that certificate's CA to the server's ssl_ca_file and reload`, details: { ...details, sslcert: db.sslcert, kind: e.kind, code: e.code ?? null, error: e.message } };
    }
    if (e.kind === 'tls' || e.kind === 'no-ssl') {
      const t = e.kind === 'tls' ? tlsProblemText(e) : { what: 'the server does not offer TLS', kind: 'plaintext' as const };
      return { status: 'fail', messageId: 'tlsFailed', cause: cause.tls(t.kind, hpKey(db)), message: `TLS failed while logging in to ${w}: ${t.what}: ${e.message}`, hint: `fix the sslmode in ${dbSettingKey(ctx.target, db, 'options')} or the server's certificate (see database.postgres.tls)`, details: { ...details, kind: e.kind, error: e.message } };
    }
    if (e.kind === 'aborted') throw e;
    if (e.kind === 'probe-limit') {
      return { status: 'warn', messageId: 'loginNotCheckable', message: `cannot be checked from this machine: ${e.message}`, hint: `check the login from a pod with psql (e.g. kubectl run psql --rm -it --image=postgres:16 -- psql "host=${db.host} port=${db.port} dbname=${db.dbname} user=${db.user} sslmode=${sslmodeOf(db)}"), and what sends the notice on ${w} (a pooler or proxy: its log)`, details: { ...details, kind: e.kind, code: e.code ?? null, error: e.message } };
    }
    if ((e.kind === 'silent' || e.kind === 'reset') && ctx.result('database.postgres.connect', ctx.instance?.key)?.status === 'pass') {
      return { status: 'fail', messageId: 'loginNoAnswer', cause: cause.unreachable(hpKey(db)), message: `${w} answered PostgreSQL's SSLRequest but ${e.kind === 'silent' ? 'did not finish the login in time' : 'closed the connection during the login'}: ${e.message}`, hint: `check the server's load and log on ${w} (log_connections), the authentication method of its pg_hba.conf line (an LDAP/RADIUS server that does not answer), or the pooler's backend (PgBouncer waiting for a server connection: its server_login_retry and pool limits)`, details: { ...details, kind: e.kind, error: e.message } };
    }
    return networkFinding(ctx.target, db, e);
  },
});

/** `; it is in …: kubectl … | base64 -d` for a live source that is a Secret key, else nothing. */
function readSecretCommand(ctx: CheckContext, source: string): string {
  const m = /^Secret ([^/\s]+)\/(\S+) key (\S+?):/.exec(source);
  if (!m) return `; it is in ${source}`;
  const [, ns, name, key] = m;
  return `; \`${kubectl(ctx.target.kubernetes, ns)} get secret ${name} -o jsonpath='{.data.${key!.replace(/\./g, '\\.')}}' | base64 -d\` shows the config that holds it (${source.replace(/^.*?: /, '')})`;
}

/**
 * pgx sends each `key=value` of the options that is not one of its connection keywords to the server
 * as a setting (case as written); PostgreSQL applies them once authenticated and refuses the login
 * (FATAL) on the first it will not take, so this session, which sends none, got in where Flyte will
 * not. What the server says decides: a name it lacks (42704), a value it refuses (22023), a setting
 * the role may not set (42501), one only the server's configuration sets (55P02). Each name is
 * judged on its own from pg_settings and a set_config that ends with its statement; then one login
 * with all of them in the startup message, as pgx sends them, gives the server's own answer.
 */
async function settingsFinding(ctx: CheckContext, db: DatabaseTarget, s: PgSession, w: string, details: Record<string, Json>): Promise<Outcome<keyof typeof MESSAGES> | undefined> {
  const client = s.client!;
  const sent = db.runtimeParams!; // what pgx puts in the startup message
  // an `options` parameter ('-c name=value ...', libpq's) is the server's command line: its settings are judged too
  const { settings: params, labels } = startupSettingsOf(sent);
  const all = Object.keys(params);
  // replication= is no setting but the startup message's own (a walsender connection): the login below answers for it
  const names = all.filter((n) => !n.includes('.') && n.toLowerCase() !== 'replication');
  const optKey = dbSettingKey(ctx.target, db, 'options');
  const src = parseSource(ctx.target.provenance[`databases[${ctx.target.databases.indexOf(db)}].runtimeParams`]);
  const file = src.origin === 'file' && src.file ? src.file : undefined;
  const inFile = file ? (file === '--set' ? ' (given with --set)' : ` in ${file}`) : '';
  const q = <R extends Record<string, unknown>>(text: string, values: unknown[] = []) => query<R>(ctx, db, client, text, values);
  const rethrow = (e: unknown) => { if (e instanceof PgProbeError && e.kind === 'aborted') throw e; };
  let rows: SettingRow[] = [];
  let superuser = false;
  let version = 0;
  if (names.length) {
    try {
      rows = await q<SettingRow>('SELECT name, context, vartype, unit, min_val, max_val, enumvals FROM pg_settings WHERE lower(name) = ANY($1::text[])', [names.map((n) => n.toLowerCase())]);
      const me = await q<{ su: boolean; v: string }>("SELECT coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false) AS su, current_setting('server_version_num') AS v");
      superuser = me[0]?.su === true;
      version = Number(me[0]?.v ?? 0);
    } catch (e) {
      rethrow(e);
      return undefined; // not readable: nothing to say either way
    }
  }
  const rowOf = (n: string) => rows.find((r) => r.name.toLowerCase() === n.toLowerCase()); // TimeZone, DateStyle, IntervalStyle have capitals
  // pg_settings leaves out settings it does not show (role, session_authorization) and, to other
  // roles than superusers, the superuser-only ones: current_setting tells those from a name it lacks.
  const bad: string[] = [];
  const hidden = new Set<string>();
  for (const n of names.filter((x) => !rowOf(x))) {
    try {
      const r = await q<{ missing: boolean }>('SELECT current_setting($1, true) IS NULL AS missing', [n]);
      if (r[0]?.missing === false) hidden.add(n); else bad.push(n);
    } catch (e) {
      rethrow(e);
      if (e instanceof PgProbeError && e.server?.code === '42501') hidden.add(n); else bad.push(n);
    }
  }
  if (bad.length) return unknownSettingFinding(ctx, db, params, bad, w, details, optKey, file, inFile, labels);
  // each name on its own, from what the server says about it
  const problems: SettingProblem[] = [];
  const warnings: SettingProblem[] = [];
  const expected = new Map<string, string>(); // what the server makes of each value (set_config's answer)
  for (const n of names) {
    const row = rowOf(n);
    const v = params[n]!;
    const ctxOf = row?.context;
    if (ctxOf === 'postmaster' || ctxOf === 'sighup' || ctxOf === 'internal') {
      const msg = ctxOf === 'postmaster' ? `parameter "${row!.name}" cannot be changed without restarting the server` : ctxOf === 'sighup' ? `parameter "${row!.name}" cannot be changed now` : `parameter "${row!.name}" cannot be changed`;
      problems.push({ name: n, value: v, row, code: '55P02', message: msg, from: 'pg_settings', label: labels[n] });
      continue;
    }
    if (ctxOf === 'superuser-backend' && !superuser) {
      let granted = false;
      if (version >= 150000) {
        try { granted = (await q<{ ok: boolean }>("SELECT has_parameter_privilege($1, 'SET') AS ok", [row!.name]))[0]?.ok === true; } catch (e) { rethrow(e); granted = true; /* unknown: the login below decides */ }
      }
      if (!granted) problems.push({ name: n, value: v, row, code: '42501', message: `permission denied to set parameter "${row!.name}"`, from: 'pg_settings', label: labels[n] });
      continue;
    }
    if (ctxOf === 'user' || ctxOf === 'superuser' || (!row && hidden.has(n))) {
      // set_config(..., true) lasts until the end of its own statement's transaction: nothing stays set
      try {
        const set = await q<{ v: string | null }>('SELECT set_config($1, $2, true) AS v', [n.toLowerCase(), v]);
        if (row && typeof set[0]?.v === 'string') expected.set(n, set[0].v);
      } catch (e) {
        rethrow(e);
        if (e instanceof PgProbeError && e.kind === 'server' && e.server && /^(22|42|55|25)/.test(e.server.code)) {
          problems.push({ name: n, value: v, row, code: e.server.code, message: e.server.message, ...(e.server.serverSuggestion ? { serverHint: e.server.serverSuggestion } : {}), from: 'set_config', label: labels[n] });
          continue;
        }
      }
    }
    const num = /^\s*([0-9]+(?:\.[0-9]+)?)\s*$/.exec(v)?.[1];
    if (row?.unit === 'ms' && num !== undefined && Number(num) > 0 && Number(num) < 1000) warnings.push({ name: n, value: v, row, code: '', message: '', from: 'pg_settings', label: labels[n] });
  }
  if (problems.length) return settingProblemFinding(ctx, db, problems, w, details, optKey, file, inFile, superuser, version, 'checking each setting on its own (pg_settings, set_config)');
  // the server's own answer: one login with every setting in the startup message, as pgx sends them
  const answer = await loginWithSettings(ctx, db, s.tls, { ...sent }, [...expected.keys()].map((k) => k.toLowerCase()));
  const refusal = answer instanceof PgProbeError ? answer : undefined;
  if (refusal?.kind === 'aborted') throw refusal;
  if (refusal?.kind === 'server' && refusal.server) {
    const e = refusal.server;
    if (e.code === '42704') {
      const named = /parameter "([^"]+)"/.exec(e.message)?.[1];
      const k = all.find((x) => x === named) ?? all.find((x) => x.toLowerCase() === named?.toLowerCase());
      if (k) return unknownSettingFinding(ctx, db, params, [k], w, details, optKey, file, inFile, labels);
    }
    if (/^(22|42|55|25)/.test(e.code)) {
      const k = culpritOf(e, all);
      if (k) return settingProblemFinding(ctx, db, [{ name: k, value: params[k]!, row: rowOf(k), code: e.code, message: e.message, ...(e.serverSuggestion ? { serverHint: e.serverSuggestion } : {}), from: 'login', label: labels[k] }], w, details, optKey, file, inFile, superuser, version, 'a login with these settings in the startup message, as Flyte\'s driver sends them');
    }
    // anything else (a pooler refusing a startup parameter, 08P01, ...): the login finding, said as Flyte's login with the settings
    const f = loginServerFinding(ctx.target, db, e, { tls: s.tls });
    const list = Object.keys(sent).map((k) => written(k, sent[k]!)).join(' ');
    const unsupported = /unsupported startup parameter:?\s*"?([^"\s]+)"?/i.exec(e.message)?.[1];
    const uk = unsupported ? Object.keys(sent).find((k) => k.toLowerCase() === unsupported.toLowerCase()) : undefined;
    if (uk) {
      // a pooler (PgBouncer) passes only the parameters it tracks; ignore_startup_parameters drops the setting, it does not apply it
      const v = sent[uk]!;
      const hint = `remove ${written(uk, v)} from ${optKey}${inFile} and set it for the role instead, which the pooler's server connections then carry: ${adminSql(db, `ALTER ROLE ${ident(db.user)} SET ${uk.toLowerCase()} = ${literal(v)}`)}; or add ${uk} to ignore_startup_parameters in pgbouncer.ini and reload, which lets the login in but drops the setting (the server never applies ${written(uk, v)})`;
      return { ...f, cause: cause.config(optKey), message: `the login without the settings of ${optKey} succeeded, but with them in the startup message (${list}), as Flyte's driver sends them, the pooler at ${w} refuses it: ${e.message} (SQLSTATE ${e.code}); PgBouncer passes on only the startup parameters it tracks (client_encoding, DateStyle, TimeZone, standard_conforming_strings, application_name)`, hint, details: { ...f.details, ...details, settingsSent: Object.keys(sent), options: optKey, setting: uk } };
    }
    return { ...f, message: `the login without the settings of ${optKey} succeeded, but with them in the startup message (${list}), as Flyte's driver sends them, it is refused: ${f.message}`, details: { ...f.details, ...details, settingsSent: Object.keys(sent), options: optKey } };
  }
  if (answer && !(answer instanceof PgProbeError)) {
    // accepted: did the session get the settings? A pooler told to ignore a startup parameter
    // (PgBouncer ignore_startup_parameters) lets the login in and drops the setting.
    const dropped = [...expected].filter(([k, want]) => k.toLowerCase() in answer.values && answer.values[k.toLowerCase()] !== want);
    if (dropped.length) {
      const [k, want] = dropped[0]!;
      const got = answer.values[k.toLowerCase()];
      return {
        status: 'warn', messageId: 'settingDropped', cause: cause.config(optKey),
        message: `${optKey}${file ? ` (${file})` : ''} has ${labels[k] ?? written(k, params[k]!)}, and a login that sends it, as Flyte's driver does, is accepted, but its session has ${k} = ${got === null ? '(unset)' : `"${got}"`}, not "${want}": something between (a pooler such as PgBouncer with ${k} in ignore_startup_parameters) drops it, so Flyte runs without it${dropped.length > 1 ? `; so are ${dropped.slice(1).map(([x]) => x).join(', ')}` : ''}`,
        hint: `set it for the role instead, which every server connection of the pooler carries: ${adminSql(db, `ALTER ROLE ${ident(db.user)} SET ${k.toLowerCase()} = ${literal(params[k]!)}`)} (or ALTER DATABASE ${ident(db.dbname)} SET …), and remove ${labels[k] ?? written(k, params[k]!)} from ${optKey}${inFile}`,
        details: { ...details, options: optKey, setting: k, value: params[k]!, sessionValue: got, droppedSettings: dropped.map(([x]) => x) },
      };
    }
  }
  if (warnings.length) {
    const first = warnings[0]!;
    const others = warnings.slice(1).map((x) => `${x.name}=${x.value}`);
    return {
      status: 'warn', messageId: 'settingUnitless', cause: cause.config(optKey),
      message: `${optKey}${file ? ` (${file})` : ''} has ${first.label ?? `${first.name}=${first.value}`} without a unit: ${first.name} counts in milliseconds, so it is ${first.value} ms, and the server ${first.name === 'lock_timeout' ? 'gives up waiting for a lock' : /idle/.test(first.name) ? 'ends a session idle' : 'cancels every statement running'} longer than that in Flyte's sessions${others.length ? `; so do ${others.join(', ')}` : ''} (${w} takes the value)`,
      hint: `write the unit in ${optKey}${inFile}: ${first.name}=${first.value}s if seconds were meant (PostgreSQL takes ms, s, min, h, d: ${first.name}=${first.value}min), or ${first.name}=${first.value}ms to keep it`,
      details: { ...details, options: optKey, setting: first.name, value: first.value, unit: 'ms', unitless: warnings.map((x) => x.name) },
    };
  }
  if (refusal && refusal.kind !== 'server') ctx.log(`the login with the settings of ${optKey} could not be completed: ${refusal.message}`);
  return undefined;
}

interface SettingRow extends Record<string, unknown> { name: string; context: string; vartype: string; unit: string | null; min_val: string | null; max_val: string | null; enumvals: string[] | null }
interface SettingProblem { name: string; value: string; row: SettingRow | undefined; code: string; message: string; serverHint?: string; from: 'pg_settings' | 'set_config' | 'login'; /** how it is written when not name=value (a -c inside options=…) */ label?: string | undefined }

/**
 * The settings a startup message carries: its parameters, and for an `options` parameter (the
 * server's command line, libpq's options='-c name=value'), the `-c name=value` / `--name=value`
 * in it (a backslash keeps a space in a value; a dash in a name is an underscore, as the server
 * reads them). `labels` says how those are written in the options.
 */
export function startupSettingsOf(sent: Record<string, string>): { settings: Record<string, string>; labels: Record<string, string> } {
  const settings: Record<string, string> = {};
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(sent)) {
    if (k.toLowerCase() !== 'options') { settings[k] = v; continue; }
    const words: string[] = [];
    let cur = '', esc = false;
    for (const ch of v) {
      if (esc) { cur += ch; esc = false; } else if (ch === '\\') esc = true; else if (/\s/.test(ch)) { if (cur) words.push(cur); cur = ''; } else cur += ch;
    }
    if (cur) words.push(cur);
    for (let i = 0; i < words.length; i++) {
      const wd = words[i]!;
      const arg = wd === '-c' ? words[++i] : wd.startsWith('--') ? wd.slice(2) : wd.startsWith('-c') ? wd.slice(2) : undefined;
      const eq = arg?.indexOf('=') ?? -1;
      if (!arg || eq <= 0) continue; // other switches: the login itself answers for them
      const name = arg.slice(0, eq).replace(/-/g, '_');
      settings[name] = arg.slice(eq + 1);
      labels[name] = `-c ${arg} (in ${written(k, v)})`;
    }
  }
  return { settings, labels };
}

/** The options key a server refusal names (`parameter "x"`, `set role "x"`, `role "x" does not exist`), or the only setting sent. */
function culpritOf(e: PgServerError, keys: string[]): string | undefined {
  const named = /parameter(?: name)? "([^"]+)"/.exec(e.message)?.[1];
  if (named) return keys.find((k) => k === named) ?? keys.find((k) => k.toLowerCase() === named.toLowerCase());
  if (/session authorization/i.test(e.message)) return keys.find((k) => k.toLowerCase() === 'session_authorization');
  if (/walsender|replication/i.test(e.message)) return keys.find((k) => k.toLowerCase() === 'replication');
  if (/\brole\b/i.test(e.message)) return keys.find((k) => k.toLowerCase() === 'role');
  if (/TRANSACTION/.test(e.message)) return keys.find((k) => /^transaction_/i.test(k));
  return keys.length === 1 ? keys[0] : undefined;
}

// a misspelled credential keyword (passwrd=, sslpasword=) is not registered as a secret: its value is not shown
const credentialName = (n: string) => isSecretKeyName(n) || /pass|pwd|secret|token/i.test(n);

function unknownSettingFinding(ctx: CheckContext, db: DatabaseTarget, params: Record<string, string>, bad: string[], w: string, details: Record<string, Json>, optKey: string, file: string | undefined, inFile: string, labels: Record<string, string> = {}): Outcome<keyof typeof MESSAGES> {
  const k = bad[0]!;
  const label = labels[k];
  const keyword = label ? undefined : PGX_CONNECTION_KEYWORDS.has(k.toLowerCase()) ? k.toLowerCase() : closeNames(k.toLowerCase(), [...PGX_CONNECTION_KEYWORDS])[0];
  const shown = (n: string) => (credentialName(n) || (keyword !== undefined && credentialName(keyword)) ? '<value>' : params[n]!);
  if (label) {
    return {
      status: 'fail', messageId: 'unknownSetting', cause: cause.config(optKey),
      message: `${optKey}${file ? ` (${file})` : ''} has ${label}: Flyte's driver (pgx) sends the options parameter to the server as its command line, and ${w} has no setting "${k}": Flyte's login fails with FATAL: unrecognized configuration parameter "${k}" (SQLSTATE 42704)${bad.length > 1 ? `; so do ${bad.slice(1).map((b) => `"${b}"`).join(', ')}` : ''} (this check's own login sent no settings and got in)`,
      hint: `remove -c ${k}=${shown(k)} from the options value in ${optKey}${inFile}, or name a setting the server has (SHOW ALL lists them)`,
      details: { ...details, unknownSettings: bad, options: optKey },
    };
  }
  return {
    status: 'fail', messageId: 'unknownSetting', cause: cause.config(optKey),
    message: `${optKey}${file ? ` (${file})` : ''} has ${k}=${shown(k)}: Flyte's driver (pgx) does not take "${k}" as a connection keyword and sends it to the server as a setting, which ${w} does not have: Flyte's login fails with FATAL: unrecognized configuration parameter "${k}" (SQLSTATE 42704)${bad.length > 1 ? `; so do ${bad.slice(1).map((b) => `"${b}"`).join(', ')}` : ''} (this login sent no settings and got in)`,
    hint: keyword ? `write ${keyword}=${keyword === 'sslmode' ? params[k]!.toLowerCase() : shown(k)} in ${optKey}${inFile}${keyword === k.toLowerCase() ? ' (connection keywords are lowercase, as libpq spells them)' : ''}` : `remove ${k}=${shown(k)} from ${optKey}${inFile}, or name a setting the server has (SHOW ALL lists them)`,
    details: { ...details, unknownSettings: bad, options: optKey },
  };
}

/** `name=value` as written in the options: single quotes around a value with whitespace (pgx reads them back). */
const written = (n: string, v: string) => `${n}=${/[\s'\\]/.test(v) || v === '' ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : v}`;

/** What the server takes for a setting, from its pg_settings row. */
function acceptedValues(row: SettingRow | undefined, serverHint: string | undefined): string | undefined {
  if (!row) return serverHint;
  if (/^(timezone|log_timezone)$/i.test(row.name)) return 'a time zone the server knows: UTC, or a name SELECT name FROM pg_timezone_names lists';
  if (row.vartype === 'enum' && row.enumvals?.length) return `one of ${row.enumvals.join(', ')}`;
  if (row.vartype === 'bool') return 'on or off';
  if (row.vartype === 'integer' || row.vartype === 'real') {
    const unit = row.unit ? ` ${row.unit}` : '';
    const units = row.unit === 'ms' || row.unit === 's' || row.unit === 'min' ? ' (or with a unit: 30s, 5min)' : row.unit && /B$/.test(row.unit) ? ' (or with a unit: 64MB, 1GB)' : '';
    return `${row.vartype === 'integer' ? 'an integer' : 'a number'}${row.min_val !== null && row.max_val !== null ? ` from ${row.min_val} to ${row.max_val}` : ''}${unit}${units}`;
  }
  return serverHint;
}

function settingProblemFinding(ctx: CheckContext, db: DatabaseTarget, problems: SettingProblem[], w: string, details: Record<string, Json>, optKey: string, file: string | undefined, inFile: string, superuser: boolean, version: number, how: string): Outcome<keyof typeof MESSAGES> {
  const hide = (x: SettingProblem) => (credentialName(x.name) && x.value ? { ...x, message: x.message.split(x.value).join('<value>') } : x);
  problems = problems.map(hide);
  const p = problems[0]!;
  const pair = p.label ?? written(p.name, p.value);
  const shownPair = credentialName(p.name) ? `${p.name}=<value>` : pair;
  const others = problems.slice(1).map((x) => `${credentialName(x.name) ? `${x.name}=<value>` : x.label ?? written(x.name, x.value)} (SQLSTATE ${x.code}: ${x.message})`);
  const head = `${optKey}${file ? ` (${file})` : ''} has ${shownPair}, which Flyte's driver (pgx) sends to the server as a setting when it logs in, and ${w} refuses it: Flyte's login fails with FATAL: ${p.message}${p.serverHint ? ` (HINT: ${p.serverHint})` : ''} (SQLSTATE ${p.code})`;
  const tail = `${others.length ? `; the server refuses ${others.join('; ')} too` : ''}. Found by ${how}; this check's own login sent no settings and got in`;
  const remove = `remove ${shownPair} from ${optKey}${inFile}`;
  const d = { ...details, options: optKey, setting: p.name, value: credentialName(p.name) ? '<value>' : p.value, sqlstate: p.code, serverMessage: p.message, ...(p.row ? { context: p.row.context, vartype: p.row.vartype } : {}), ...(p.serverHint ? { serverHint: p.serverHint } : {}), refusedSettings: problems.map((x) => x.name) };
  const user = db.user;
  if (p.code === '42501') {
    const roleTarget = /permission denied to set role "([^"]+)"/.exec(p.message)?.[1];
    const fix = p.name.toLowerCase() === 'replication'
      ? `${remove}: it makes the connection a replication (walsender) connection, which Flyte does not use, and only a superuser or a REPLICATION role may open one`
      : roleTarget
      ? `${remove}, or, as an admin, let ${user} act as that role: ${adminSql(db, `GRANT ${ident(roleTarget)} TO ${ident(user)}`)}`
      : /session authorization/i.test(p.message)
        ? `${remove}: only a superuser may change the session authorization; to run as another role, set ${dbSettingKey(ctx.target, db, 'username')} to it`
        : `${remove}: only a superuser${version >= 150000 ? ', or a role granted SET on it,' : ''} may set ${p.row?.name ?? p.name}${p.row ? ` (context ${p.row.context})` : ''}${version >= 150000 ? `; or, as an admin, ${adminSql(db, `GRANT SET ON PARAMETER ${p.row?.name ?? p.name} TO ${ident(user)}`)}` : ''}${p.row?.context === 'superuser' ? `${version >= 150000 ? ', or' : '; or, as an admin,'} set it for the role instead: ${adminSql(db, `ALTER ROLE ${ident(user)} SET ${p.row.name} = ${literal(p.value)}`)}` : ''}`;
    return { status: 'fail', messageId: 'settingNotPermitted', cause: cause.config(optKey), message: `${head}: role ${user} ${p.name.toLowerCase() === 'replication' ? 'has neither SUPERUSER nor REPLICATION' : `is not ${superuser ? 'allowed to' : 'a superuser and may not'} set it`}${tail}`, hint: fix, details: { ...d, superuser } };
  }
  if (p.code === '55P02') {
    const c = p.row?.context;
    const why = c === 'postmaster' ? `${p.row!.name} is a server-wide setting (context postmaster): only the server's configuration sets it, and a restart applies it`
      : c === 'sighup' ? `${p.row!.name} is a server-wide setting (context sighup): only the server's configuration sets it, and a reload applies it`
        : c === 'internal' ? `${p.row!.name} is read-only (context internal): it reports how the server was built or initialised, and nothing sets it`
          : 'the server does not take it at connection start';
    const where = c === 'postmaster' || c === 'sighup' ? `; if the server needs another value, an admin sets it in postgresql.conf, with ALTER SYSTEM SET ${p.row!.name} = ${literal(p.value)}, or in the managed service's parameter group, then ${c === 'postmaster' ? 'restarts the server' : 'reloads it (SELECT pg_reload_conf())'}` : '';
    return { status: 'fail', messageId: 'settingNotAtLogin', cause: cause.config(optKey), message: `${head}: ${why}${tail}`, hint: `${remove}${where}`, details: d };
  }
  const takes = acceptedValues(p.row, p.serverHint);
  const near = p.row?.vartype === 'enum' && p.row.enumvals?.length && p.value.length >= 2 ? closeNames(p.value.toLowerCase(), p.row.enumvals)[0] : undefined;
  if (near !== undefined) {
    return {
      status: 'fail', messageId: 'settingInvalid', cause: cause.config(optKey), message: `${head}${tail}`,
      hint: `write ${written(p.name, near)} in ${optKey}${inFile} (the server takes ${takes})`,
      details: { ...d, allowed: p.row!.enumvals!, suggested: near },
    };
  }
  if (p.code === '42602') {
    return { status: 'fail', messageId: 'settingInvalid', cause: cause.config(optKey), message: `${head}${tail}`, hint: `${remove}: ${p.row ? '' : 'its prefix belongs to an extension loaded on the server, which has no such setting; '}SHOW ALL lists the settings the server has`, details: d };
  }
  const quoteNote = p.row?.vartype === 'enum' && p.row.enumvals?.some((x) => /\s/.test(x)) ? ` (a value with a space in single quotes: ${written(p.name, p.row.enumvals.find((x) => /\s/.test(x))!)})` : '';
  return {
    status: 'fail', messageId: 'settingInvalid', cause: cause.config(optKey), message: `${head}${tail}`,
    hint: takes ? `${remove}, or give it a value the server takes: ${p.name}=<${takes}>${quoteNote}` : `${remove}, or give it a value the server takes (${p.message})`,
    details: { ...d, ...(p.row?.enumvals ? { allowed: p.row.enumvals } : {}), ...(p.row?.min_val !== undefined && p.row?.min_val !== null ? { min: p.row.min_val, max: p.row.max_val, unit: p.row.unit } : {}) },
  };
}

/** How an unquoted value misparses in pgx's keyword/value string (never the password itself). */
export function dsnReasons(pw: string): string[] {
  const t = pw.trim();
  const out: string[] = [];
  if (t.startsWith("'")) out.push('starts with a single quote, which pgx reads as the start of a quoted value (up to the next single quote, which it drops)');
  else if (/\s/.test(t)) out.push('has whitespace inside it, which ends the value: pgx takes only the part before it, and the rest becomes part of the next keyword');
  if (/\\\\|\\'/.test(t)) out.push("has \\\\ or \\' in it, which pgx unescapes to \\ and '");
  if (/\\$/.test(t)) out.push('ends with a backslash, which joins the space and the options after it into the password');
  if (t !== pw) out.push('has whitespace around it, which pgx drops');
  if (!out.length) out.push('is changed by pgx\'s keyword/value parsing');
  return out;
}

const CHOOSE_PASSWORD = (user: string) => `as an admin, give role ${user} a password without whitespace, single quotes or backslashes (ALTER ROLE ${ident(user)} PASSWORD '…')`;
