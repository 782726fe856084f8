import { clientCertOf, firstAuthCodeOf, pgTryLogin, PgProbeError, type PgSession } from '../../src/clients/postgres.js';
import { PGX_CONNECTION_KEYWORDS } from '../../src/config/libpq.js';
import type { DatabaseTarget } from '../../src/config/target.js';
import { closeNames } from '../../src/distance.js';
import { isSecretKeyName } from '../../src/config/secret.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext, Json, Messages, Outcome } from '../../src/engine/types.js';
import { dbSettingKey, ident, sslmodeOf } from '../../src/flyte/database.js';
import { parseSource } from '../../src/flyte/settings.js';
import { passwordOrigin } from '../../src/flyte/database.js';
import { installedPassword } from '../flyte/config.live.js';
import { kubectl } from '../../src/clients/kube.js';
import { asDriverReads, authMethodFinding, carryNotFromHere, connOf, driverCredentialsOf, IN_CLUSTER_FIX, runsInCluster, databaseFor, dbInstances, hpKey, LOGIN_MESSAGES, loginServerFinding, NETWORK_MESSAGES, networkFinding, NOT_FROM_HERE_MESSAGES, query, sessionFor, TLS_FAILED_MESSAGES, tlsProblemText, where } from './_support.js';

const MESSAGES = {
  authenticated: { status: 'pass', summary: 'The user logged in with the configured password.' },
  unknownSetting: { status: 'fail', summary: 'The options values key holds a key=value that is not a connection keyword of Flyte\'s driver (pgx), which sends it to the server as a setting; the server has no such setting and refuses Flyte\'s login (42704).' },
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
    what: 'Logs in as the configured user with the password Flyte will use (from `password`, the `passwordPath` file or the environment), with the configured sslmode. The password is never printed. Every refusal is told apart by its SQLSTATE and message: wrong or expired password (28P01), a role that may not log in or does not exist, no pg_hba.conf line (28000), connection limits (53300), a server starting up or shutting down (57P03), a pooler refusing the protocol (08P01).',
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
        const unknown = await unknownSettings(ctx, db, s.client, w, details);
        if (unknown) return unknown;
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
 * as a setting (case as written); PostgreSQL refuses a login naming a setting it does not have
 * (FATAL 42704 "unrecognized configuration parameter") once authenticated, so this session, which
 * sends none, got in where Flyte will not. Names with a dot are custom settings the server accepts.
 */
async function unknownSettings(ctx: CheckContext, db: DatabaseTarget, client: NonNullable<PgSession['client']>, w: string, details: Record<string, Json>): Promise<Outcome<keyof typeof MESSAGES> | undefined> {
  const params = db.runtimeParams!;
  const names = Object.keys(params).filter((n) => !n.includes('.'));
  if (!names.length) return undefined;
  let known: Set<string>;
  try {
    known = new Set((await query<{ name: string }>(ctx, db, client, 'SELECT name FROM pg_settings WHERE name = ANY($1::text[])', [names.map((n) => n.toLowerCase())])).map((r) => r.name));
  } catch (e) {
    if (e instanceof PgProbeError && e.kind === 'aborted') throw e;
    return undefined; // not readable: nothing to say either way
  }
  const bad = names.filter((n) => !known.has(n.toLowerCase()));
  if (!bad.length) return undefined;
  const k = bad[0]!;
  const optKey = dbSettingKey(ctx.target, db, 'options');
  const src = parseSource(ctx.target.provenance[`databases[${ctx.target.databases.indexOf(db)}].runtimeParams`]);
  const file = src.origin === 'file' && src.file ? src.file : undefined;
  const inFile = file ? (file === '--set' ? ' (given with --set)' : ` in ${file}`) : '';
  const keyword = PGX_CONNECTION_KEYWORDS.has(k.toLowerCase()) ? k.toLowerCase() : closeNames(k.toLowerCase(), [...PGX_CONNECTION_KEYWORDS])[0];
  // a misspelled credential keyword (passwrd=, sslpasword=) is not registered as a secret: its value is not shown
  const credential = (n: string) => isSecretKeyName(n) || /pass|pwd|secret|token/i.test(n);
  const shown = (n: string) => (credential(n) || (keyword !== undefined && credential(keyword)) ? '<value>' : params[n]!);
  return {
    status: 'fail', messageId: 'unknownSetting', cause: cause.config(optKey),
    message: `${optKey}${file ? ` (${file})` : ''} has ${k}=${shown(k)}: Flyte's driver (pgx) does not take "${k}" as a connection keyword and sends it to the server as a setting, which ${w} does not have: Flyte's login fails with FATAL: unrecognized configuration parameter "${k}" (SQLSTATE 42704)${bad.length > 1 ? `; so do ${bad.slice(1).map((b) => `"${b}"`).join(', ')}` : ''} (this login sent no settings and got in)`,
    hint: keyword ? `write ${keyword}=${keyword === 'sslmode' ? params[k]!.toLowerCase() : shown(k)} in ${optKey}${inFile}${keyword === k.toLowerCase() ? ' (connection keywords are lowercase, as libpq spells them)' : ''}` : `remove ${k}=${shown(k)} from ${optKey}${inFile}, or name a setting the server has (SHOW ALL lists them)`,
    details: { ...details, unknownSettings: bad, options: optKey },
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
