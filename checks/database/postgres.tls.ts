import type { Socket } from 'node:net';
import { PgProbeError, sslPlanOf, sslRequest, startupProbe, stepBudget, tcpConnect, tlsHandshake, type PgServerError, type StartupAnswer, type TlsInfo } from '../../src/clients/postgres.js';
import { editDistance as distance } from '../../src/distance.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Json, Messages, Outcome } from '../../src/engine/types.js';
import { dbFix, dbSettingKey, dbSource, SSLMODES } from '../../src/flyte/database.js';
import { carryNotFromHere, connOf, databaseFor, dbInstances, hpKey, LOGIN_MESSAGES, loginServerFinding, NETWORK_MESSAGES, networkFinding, NOT_FROM_HERE_MESSAGES, SERVER_MESSAGES, serverOnlyFinding, sessionFor, tlsProblemText, where } from './_support.js';
import { invisiblePathNote, shownPath } from '../../src/config/read.js';

const MESSAGES = {
  plaintext: { status: 'pass', summary: 'TLS is off as configured and the server accepts plaintext.' },
  tls: { status: 'pass', summary: 'TLS negotiated as the sslmode asks (chain and name verified for verify-full).' },
  preferPlaintext: { status: 'pass', summary: 'sslmode=prefer and the server has no TLS (or refuses it for this user): the connection falls back to plaintext.' },
  tlsAfterPlainRefused: { status: 'pass', summary: 'sslmode=allow: the server refuses plaintext and the connection falls back to TLS.' },
  sslmodeInvalid: { status: 'fail', summary: 'The sslmode in the options values key is not one PostgreSQL knows; Flyte cannot connect at all.' },
  serverRequiresTls: { status: 'fail', summary: 'The server refuses plaintext (pg_hba "no encryption"), but the configured sslmode connects without TLS.' },
  serverWithoutTls: { status: 'fail', summary: 'The sslmode requires TLS but the server does not offer it (answers N to SSLRequest).' },
  serverRefusesTls: { status: 'fail', summary: 'The server offers TLS, but pg_hba.conf has no hostssl line for this user and database (only plaintext ones).' },
  certUntrusted: { status: 'fail', summary: 'The server certificate is not signed by a trusted CA (or is self-signed): sslrootcert does not hold its CA.' },
  certChain: { status: 'fail', summary: 'The server certificate\'s issuer is unknown: the server does not send the intermediate and the CA file lacks it.' },
  certExpired: { status: 'fail', summary: 'The server certificate has expired (or is not valid yet).' },
  certNameMismatch: { status: 'fail', summary: 'The server certificate does not cover the configured host name (verify-full).' },
  tlsVersion: { status: 'fail', summary: 'No TLS version in common: the server offers only TLS 1.0/1.1.' },
  tlsHandshakeFailed: { status: 'fail', summary: 'The TLS handshake failed for another reason (reported verbatim).' },
  caFileNotHere: { status: 'warn', summary: 'The sslrootcert file is not readable where flyte-doctor runs, so the chain could not be verified here.' },
  ...NETWORK_MESSAGES,
  ...NOT_FROM_HERE_MESSAGES,
  ...SERVER_MESSAGES,
  tooManyConnections: LOGIN_MESSAGES.tooManyConnections,
  roleConnectionLimit: LOGIN_MESSAGES.roleConnectionLimit,
} as const satisfies Messages;
type Id = keyof typeof MESSAGES;

/**
 * The server refused the startup for its own state before pg_hba.conf was consulted: starting up,
 * shutting down, a standby without hot standby (57P03), no free connection slot (53300 "sorry, too
 * many clients already"), a protocol refusal (class 08, 0A000). Whether it accepts this encryption
 * is then unknown; the refusal is the finding.
 */
const stateRefusal = (a: StartupAnswer): PgServerError | undefined => (a.kind === 'error' && /^(57|53|08|0A)/.test(a.error.code) ? a.error : undefined);


/** pg_hba.conf refused this startup (no line, or a reject line), or a managed server's own TLS enforcement did (Azure Single Server: "SSL connection is required"). The pg_hba message always names the encryption used, so only a second try with the other encryption tells whether encryption is the reason. */
const hbaRefused = (a: StartupAnswer) => a.kind === 'error' && a.error.code === '28000' && (/pg_hba\.conf/.test(a.error.message) || /SSL connection is required/i.test(a.error.message));
const admitted = (a: StartupAnswer) => a.kind === 'auth' || !hbaRefused(a);
const startupText = (a: StartupAnswer) => (a.kind === 'auth' ? (a.code === 0 ? 'let in without a password (trust)' : `password requested (${a.method})`) : `${a.error.code} ${a.error.message}`);

export default defineCheck({
  id: 'database.postgres.tls',
  title: 'The connection uses TLS as the configured sslmode asks, and the server accepts it',
  phases: ['preflight', 'verify'],
  needs: ['database'],
  dependsOn: ['database.postgres.connect'],
  instances: dbInstances,
  timeoutMs: 10_000,
  writes: 'none',
  messages: MESSAGES,
  explain: {
    what: 'Checks that the `sslmode` in the options values key is one PostgreSQL knows, then negotiates the connection the way Flyte\'s driver (pgx) does for it (disable, allow, prefer, require, verify-ca, verify-full): asks the server for TLS, verifies the certificate chain against `sslrootcert` (verify-ca, or require with a root certificate) and the host name (verify-full), then sends a startup message without a password to see whether pg_hba accepts that encryption.',
    why: 'Managed databases often force TLS (RDS PostgreSQL 15+ `rds.force_ssl=1`) while Flyte\'s default options are `sslmode=disable`: the components then die with "no pg_hba.conf entry ... no encryption". The reverse (sslmode=require against a server without TLS) fails as well, and verify-* modes fail on an untrusted, expired or misnamed certificate. An unknown sslmode stops Flyte\'s driver before it connects.',
    fix: 'Set the database `options` values key, e.g. `sslmode=require`, or `sslmode=verify-full sslrootcert=/etc/db/ca.crt` with the CA mounted; or change the server\'s TLS settings.',
  },
  async run(ctx): Promise<Outcome<Id>> {
    const db = databaseFor(ctx);
    const w = where(db);
    const hp = hpKey(db);
    const optKey = dbSettingKey(ctx.target, db, 'options');
    if (db.sslmodeInvalid !== undefined) {
      const bad = db.sslmodeInvalid;
      const near = [...SSLMODES].sort((a, b) => distance(bad.toLowerCase(), a) - distance(bad.toLowerCase(), b))[0]!;
      return {
        status: 'fail', messageId: 'sslmodeInvalid', cause: cause.config(optKey),
        message: `sslmode=${JSON.stringify(bad)} in ${optKey}${dbSource(ctx.target, db, 'options')} is not an sslmode PostgreSQL knows; Flyte's driver refuses to connect ("sslmode is invalid")`,
        hint: `set ${optKey}: "sslmode=${near}"${distance(bad.toLowerCase(), near) <= 3 ? ` (did you mean ${near}?)` : ''}; the allowed values are ${SSLMODES.join(', ')}`,
        details: { host: db.host, port: db.port, sslmode: bad, allowed: [...SSLMODES], optionsKey: optKey },
      };
    }
    const carried = carryNotFromHere(ctx, db, ['database.postgres.connect']);
    if (carried) return carried;
    // database.postgres.connect has judged the server PostgreSQL: the shared login session that
    // database.postgres.auth and the checks after it use opens now, beside this probe, instead of
    // after it (it is the end of a run's critical path). It connects as Flyte's driver would, with
    // the same sslmode and certificate checks, so nothing is sent that auth would not send.
    sessionFor(ctx, db).catch(() => { /* (database.postgres.auth reads the session and reports it) */ });
    const plan = await sslPlanOf(connOf(db));
    const defaulted = db.sslmode === undefined;
    const base: Record<string, Json> = { host: db.host, port: db.port, sslmode: plan.mode, sslmodeSource: defaulted ? 'Flyte default (sslmode=disable)' : `${optKey}`, verify: plan.verify, ...(plan.caFile ? { sslrootcert: plan.caFile } : {}) };
    const budget = () => stepBudget(ctx, 8000);
    const dial = () => tcpConnect(db.host, db.port, { dnsServer: ctx.target.dnsServer, timeoutMs: budget(), signal: ctx.signal });
    class Refused { constructor(readonly error: PgServerError) {} }
    const open = async () => {
      const c = await dial();
      try {
        // database.postgres.connect (a dependency) has seen this server answer with one byte and wait
        const a = await sslRequest(c.socket, budget(), ctx.signal, 0);
        if ('error' in a) throw new Refused(a.error);
        return { socket: c.socket, offers: a.offers };
      } catch (e) { c.socket.destroy(); throw e; }
    };
    const probePlain = async (): Promise<{ offers: boolean; answer: StartupAnswer }> => {
      // An SSLRequest answered 'S' cannot be followed by plaintext: use a fresh connection without it.
      const { socket, offers } = await open();
      socket.destroy();
      const c = await dial();
      try { return { offers, answer: await startupProbe(c.socket, db.user, db.dbname, budget(), ctx.signal) }; } finally { c.socket.destroy(); }
    };
    const probeTls = async (verify: 'none' | 'ca' | 'full'): Promise<{ info: TlsInfo; answer: StartupAnswer } | 'no-tls'> => {
      const { socket, offers } = await open();
      if (!offers) { socket.destroy(); return 'no-tls'; }
      let s: Socket = socket;
      try {
        const { tls, info } = await tlsHandshake(socket, { mode: verify, host: db.host, ...(plan.ca ? { ca: plan.ca } : {}) }, budget(), ctx.signal);
        s = tls;
        return { info, answer: await startupProbe(tls, db.user, db.dbname, budget(), ctx.signal) };
      } finally { s.destroy(); }
    };
    const tlsDetails = (info: TlsInfo): Record<string, Json> => ({ tlsProtocol: info.protocol, cipher: info.cipher, certSubject: info.subject, certIssuer: info.issuer, certAltNames: info.altNames, certValidTo: info.validTo });
    const noTls = (): Outcome<Id> => {
      const relax = dbFix(ctx.target, db, 'options', 'sslmode=prefer');
      return {
        status: 'fail', messageId: 'serverWithoutTls', cause: cause.tls('plaintext', hp),
        message: `sslmode=${plan.mode}${dbSource(ctx.target, db, 'options')} requires TLS but the server ${w} does not offer it (answered 'N' to the SSLRequest)`,
        hint: `enable TLS on the server (ssl = on with a certificate and key; a pooler such as PgBouncer needs client_tls_sslmode), or, if plaintext on this network is acceptable, ${relax ?? `set ${optKey}: "sslmode=disable"`}`,
        details: { ...base, serverOffersTls: false },
      };
    };
    const refusesTls = (answer: StartupAnswer, info?: TlsInfo): Outcome<Id> => ({
      status: 'fail', messageId: 'serverRefusesTls', cause: cause.config(optKey),
      message: `the server ${w} offers TLS, but pg_hba.conf has no hostssl line for ${db.user}/${db.dbname} from this address (only plaintext lines): ${answer.kind === 'error' ? answer.error.message : ''}`,
      hint: `add a hostssl line for the pods' network on the server (e.g. "hostssl ${db.dbname} ${db.user} <pod CIDR> scram-sha-256") and reload; or ${dbFix(ctx.target, db, 'options', 'sslmode=prefer') ?? 'let the connection fall back to plaintext'}`,
      details: { ...base, ...(info ? tlsDetails(info) : {}), sqlstate: '28000' },
    });

    class StateRefused { constructor(readonly error: PgServerError) {} }
    const judge = <A extends { answer: StartupAnswer }>(x: A): A => { const r = stateRefusal(x.answer); if (r) throw new StateRefused(r); return x; };
    try {
      if (plan.mode === 'disable' || plan.mode === 'allow') {
        const { offers, answer } = judge(await probePlain());
        if (hbaRefused(answer) && offers) {
          const t = await probeTls('none');
          if (t !== 'no-tls') judge(t);
          if (t !== 'no-tls' && admitted(t.answer)) {
            if (plan.mode === 'allow') return { status: 'pass', messageId: 'tlsAfterPlainRefused', message: `server ${w} refuses plaintext; sslmode=allow falls back to TLS (${t.info.protocol}), certificate not verified`, details: { ...base, ...tlsDetails(t.info) } };
            const fix = dbFix(ctx.target, db, 'options', 'sslmode=require');
            return {
              status: 'fail', messageId: 'serverRequiresTls', cause: cause.config(optKey),
              message: `server ${w} requires TLS but the config connects without it (sslmode=${plan.mode}${defaulted ? ', Flyte\'s default when options sets none' : dbSource(ctx.target, db, 'options')}): plaintext gets "${answer.kind === 'error' ? answer.error.message : ''}", TLS is let in`,
              hint: `${fix ?? `set ${optKey}: "sslmode=require"`} (or "sslmode=verify-full sslrootcert=<CA file mounted in the pods>")`,
              details: { ...base, serverOffersTls: offers, sqlstate: '28000' },
            };
          }
        }
        // pg_hba.conf refusing plaintext and TLS alike: the encryption is not the cause (database.postgres.auth reports the refusal).
        const accepts = hbaRefused(answer) ? `pg_hba.conf on ${w} refuses ${db.user}/${db.dbname} from here with${offers ? ' and without' : 'out'} TLS, so the sslmode is not the cause (database.postgres.auth reports the refusal)` : `${w} accepts plaintext`;
        return { status: 'pass', messageId: 'plaintext', message: `TLS off as configured (sslmode=${plan.mode}); ${accepts}${offers && !hbaRefused(answer) ? ' (the server offers TLS: consider sslmode=require)' : ''}`, details: { ...base, serverOffersTls: offers, startup: startupText(answer) } };
      }

      if (plan.mode === 'prefer') {
        const t = await probeTls('none');
        if (t !== 'no-tls') judge(t);
        const plainAfter = t !== 'no-tls' && hbaRefused(t.answer) ? judge(await probePlain()) : undefined;
        if (t === 'no-tls' || (plainAfter && admitted(plainAfter.answer))) {
          const answer = plainAfter?.answer ?? judge(await probePlain()).answer;
          return { status: 'pass', messageId: 'preferPlaintext', message: `${t === 'no-tls' ? `server ${w} does not offer TLS` : `server ${w} refuses TLS for ${db.user}/${db.dbname} (pg_hba has only plaintext lines)`}; sslmode=prefer connects in plaintext`, details: { ...base, serverOffersTls: t !== 'no-tls', startup: startupText(answer) } };
        }
        return { status: 'pass', messageId: 'tls', message: `TLS (${t.info.protocol}) negotiated with ${w} (sslmode=prefer, certificate not verified)`, details: { ...base, ...tlsDetails(t.info) } };
      }

      // require / verify-ca / verify-full
      if (plan.caFileMissing) {
        const t = await probeTls('none');
        if (t === 'no-tls') return noTls();
        judge(t);
        if (hbaRefused(t.answer) && admitted(judge(await probePlain()).answer)) return refusesTls(t.answer, t.info);
        return { status: 'warn', messageId: 'caFileNotHere', message: `sslrootcert ${shownPath(plan.caFile!)} is not readable where flyte-doctor runs${invisiblePathNote(plan.caFile!) ? ` (${invisiblePathNote(plan.caFile!)}; Flyte's pods read the same path)` : ''}, so the certificate chain was not verified here; TLS (${t.info.protocol}) works (certificate CN=${t.info.subject}, issuer ${t.info.issuer})`, hint: `run flyte-doctor with the CA at ${plan.caFile} (the path the Flyte pods use, e.g. mounted from the secret), or check the CA mount in the pods`, details: { ...base, ...tlsDetails(t.info) } };
      }
      const t = await probeTls(plan.verify);
      if (t === 'no-tls') return noTls();
      judge(t);
      if (hbaRefused(t.answer) && admitted(judge(await probePlain()).answer)) return refusesTls(t.answer, t.info);
      const verified = plan.verify === 'full' ? 'chain and host name verified' : plan.verify === 'ca' ? 'chain verified, host name not checked' : 'certificate not verified';
      return { status: 'pass', messageId: 'tls', message: `TLS (${t.info.protocol}) with ${w}, sslmode=${plan.mode}: ${verified}${plan.verify !== 'none' ? ` against ${plan.caFile ?? 'the system CA bundle'}` : ''}`, details: { ...base, ...tlsDetails(t.info) } };
    } catch (e) {
      if (e instanceof Refused) return serverOnlyFinding(ctx.target, db, e.error, 'SSLRequest');
      if (e instanceof StateRefused) {
        const f = loginServerFinding(ctx.target, db, e.error);
        return { ...f, messageId: f.messageId as Id, message: `${f.message}; whether it accepts sslmode=${plan.mode} from here cannot be seen until it does` };
      }
      if (!(e instanceof PgProbeError) || e.kind === 'aborted') throw e;
      if (e.kind !== 'tls') return networkFinding(ctx.target, db, e);
      const { what, kind } = tlsProblemText(e);
      const details = { ...base, code: e.code ?? null, error: e.message, problem: e.tlsProblem ?? 'handshake' };
      const system = db.sslrootcert === 'system';
      const ca = plan.caFile ?? (system ? 'the system CA bundle (sslrootcert=system, which also means verify-full)' : 'the system CA bundle (no sslrootcert in options)');
      const c = cause.tls(kind, hp);
      switch (e.tlsProblem) {
        case 'untrusted': case 'self-signed':
          return { status: 'fail', messageId: 'certUntrusted', cause: c, message: `the certificate of ${w} is not trusted (sslmode=${plan.mode}, CA ${ca}): ${what}`, hint: `${plan.caFile ? `replace ${plan.caFile} with the CA that signed the server certificate` : system ? `the system CA bundle does not hold the CA that signed the server certificate: replace sslrootcert=system in ${optKey} with sslrootcert=<CA file> mounted into the pods` : `add sslrootcert=<CA file> to ${optKey} (e.g. "sslmode=${plan.mode} sslrootcert=/etc/db/ca.crt") with the CA that signed the server certificate mounted into the pods`}; for RDS/Aurora use the AWS RDS CA bundle, for Cloud SQL the instance's server CA`, details };
        case 'chain':
          return { status: 'fail', messageId: 'certChain', cause: c, message: `the certificate chain of ${w} cannot be built (sslmode=${plan.mode}, CA ${ca}): ${what}`, hint: `make the server send its full chain (ssl_cert_file with the server certificate followed by the intermediates), or put the intermediate and root CA in ${plan.caFile ?? `the sslrootcert file named in ${optKey}`}`, details };
        case 'expired': case 'not-yet-valid':
          return { status: 'fail', messageId: 'certExpired', cause: c, message: `the certificate of ${w}: ${what}`, hint: e.tlsProblem === 'expired' ? `renew the server certificate of ${w} (ssl_cert_file on the server, or rotate the managed instance's certificate) and reload the server; the CA file is not the problem` : `check the clocks of the server and of this machine; the certificate is valid from a later date`, details };
        case 'name': {
          const names = e instanceof PgProbeError && 'cert' in e ? ((e as { cert?: TlsInfo }).cert?.altNames ?? '') : '';
          return { status: 'fail', messageId: 'certNameMismatch', cause: c, message: `the certificate of ${w} does not cover the name ${db.host}: ${what}`, hint: `set ${dbSettingKey(ctx.target, db, 'host')} to a name in the certificate${names ? ` (${names})` : ''}, or use sslmode=verify-ca in ${optKey} (verifies the chain only)`, details };
        }
        case 'version':
          return { status: 'fail', messageId: 'tlsVersion', cause: c, message: `TLS with ${w} failed: ${what}: ${e.message}`, hint: `enable TLS 1.2 or 1.3 on the server (ssl_min_protocol_version = 'TLSv1.2' in postgresql.conf, or the managed instance's TLS policy)`, details };
        default:
          return { status: 'fail', messageId: 'tlsHandshakeFailed', cause: c, message: `TLS handshake with ${w} failed: ${e.message}`, hint: `check the server's TLS configuration (ssl = on, certificate and key, ssl_min_protocol_version, ciphers) and ${optKey}`, details };
      }
    }
  },
});
