import { clientCertOf, firstAuthCodeOf, pgTryLogin, PgProbeError, type PgSession } from '../../src/clients/postgres.js';
import { PGX_CONNECTION_KEYWORDS } from '../../src/config/libpq.js';
import type { DatabaseTarget } from '../../src/config/target.js';
import { closeNames } from '../../src/distance.js';
import { isSecretKeyName } from '../../src/config/secret.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext, Json, Messages, Outcome } from '../../src/engine/types.js';
import { dbSettingKey, sslmodeOf } from '../../src/flyte/database.js';
import { parseSource } from '../../src/flyte/settings.js';
import { passwordOrigin } from '../../src/flyte/database.js';
import { surroundingWhitespace } from '../../src/config/hygiene.js';
import { installedPassword } from '../flyte/config.live.js';
import { kubectl } from '../../src/clients/kube.js';
import { authMethodFinding, carryNotFromHere, connOf, IN_CLUSTER_FIX, runsInCluster, databaseFor, dbInstances, hpKey, LOGIN_MESSAGES, loginServerFinding, NETWORK_MESSAGES, networkFinding, NOT_FROM_HERE_MESSAGES, query, sessionFor, TLS_FAILED_MESSAGES, tlsProblemText, where } from './_support.js';

const MESSAGES = {
  authenticated: { status: 'pass', summary: 'The user logged in with the configured password.' },
  unknownSetting: { status: 'fail', summary: 'The options values key holds a key=value that is not a connection keyword of Flyte\'s driver (pgx), which sends it to the server as a setting; the server has no such setting and refuses Flyte\'s login (42704).' },
  passwordWhitespace: { status: 'fail', summary: 'The configured password or user name has whitespace around it (a trailing newline or space) and is refused; without it the login succeeds.' },
  passwordNotChecked: { status: 'warn', summary: 'The server let the user in without asking for a password (pg_hba.conf trust for this machine\'s address): the configured password was not checked, and Flyte\'s pods connect from another address, whose line may ask for it.' },
  passwordNotHere: { status: 'warn', summary: 'The password Flyte uses is in a file or Secret this machine cannot read (passwordPath not local, configuration.inlineSecretRef): the server asks for one, so the login cannot be checked from here; set PGPASSWORD to check it.' },
  authenticatedDbRefused: { status: 'pass', summary: 'The password was accepted, but the configured database refused the session (missing, no CONNECT, not accepting connections, its limit): database.postgres.database reports it.' },
  passwordNotInstalled: { status: 'fail', summary: 'verify: the values\' password is refused (28P01), and the release runs with another password, which PostgreSQL accepts: the values are not the installed ones. Fix the values, not the role (changing its password would break the running release).' },
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
    // A password or user name with whitespace around it (a trailing newline from a file or
    // `--set-file`, a pasted space): PostgreSQL compares both byte for byte. One more login without
    // the whitespace tells.
    const pw = db.password?.reveal();
    const pwWs = pw !== undefined && pw.trim() !== '' ? surroundingWhitespace(pw) : undefined;
    const userWs = db.user.trim() !== '' ? surroundingWhitespace(db.user) : undefined;
    if (e.kind === 'server' && e.server?.code === '28P01' && (pwWs || userWs)) {
      const trimmed = await pgTryLogin(ctx, { ...connOf(db), user: db.user.trim(), ...(pw !== undefined ? { password: { reveal: () => pw.trim() } } : {}) });
      const what = [userWs ? `the user name ${JSON.stringify(db.user)} (${dbSettingKey(ctx.target, db, 'username')}) ${userWs}` : '', pwWs ? `the password from ${origin.text} ${pwWs}` : ''].filter(Boolean).join(', and ');
      if (!trimmed) {
        const fixes = [userWs ? `set ${dbSettingKey(ctx.target, db, 'username')} to ${JSON.stringify(db.user.trim())}` : '', pwWs ? `${origin.fix} exactly` : ''].filter(Boolean).join('; ');
        return { status: 'fail', messageId: 'passwordWhitespace', cause: cause.credentials('postgres', `${db.user.trim()}@${hpKey(db)}`), message: `password authentication failed for user ${JSON.stringify(db.user)} on ${w} (SQLSTATE 28P01): ${what}, and without it the login succeeds`, hint: `remove the whitespace: ${fixes}, with nothing around it (a file written by \`echo\` ends with a newline: use \`printf '%s'\`, or \`kubectl create secret ... --from-literal\`)`, details: { ...details, code: '28P01', ...(pwWs ? { passwordWhitespace: pwWs } : {}), ...(userWs ? { userWhitespace: userWs } : {}) } };
      }
      const f = loginServerFinding(ctx.target, db, e.server, { tls: sslmodeOf(db) !== 'disable' && sslmodeOf(db) !== 'allow' });
      return { ...f, message: `${f.message}; ${what.replace(/^the /, 'also the ')}, and without it the login fails too (${trimmed.code ?? trimmed.kind})` };
    }
    if (e.kind === 'server' && e.server?.code === '28P01') {
      const f = loginServerFinding(ctx.target, db, e.server, { tls: sslmodeOf(db) !== 'disable' && sslmodeOf(db) !== 'allow' });
      // verify: the release may run with another password than these values give. Which one the
      // server takes decides what to fix: changing the role's password would break a running release.
      const installed = await installedPassword(ctx, db);
      if (!installed) return f;
      const other = await pgTryLogin(ctx, { ...connOf(db), password: installed.password });
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
