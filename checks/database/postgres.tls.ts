import type { Socket } from 'node:net';
import { dbInstances, databaseFor, dbKey, PgProbeError, sslPlanOf, sslRequest, startupProbe, stepBudget, tcpConnect, tlsHandshake, type StartupAnswer, type TlsInfo } from '../../src/clients/postgres.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Json, Outcome } from '../../src/engine/types.js';

const needsTls = (a: StartupAnswer) => a.kind === 'error' && a.code === '28000' && /no encryption|SSL off/i.test(a.message);

export default defineCheck({
  id: 'database.postgres.tls',
  title: 'The connection uses TLS as the configured sslmode asks, and the server accepts it',
  phases: ['preflight', 'verify'],
  needs: ['database'],
  dependsOn: ['database.postgres.connect'],
  instances: dbInstances,
  timeoutMs: 10_000,
  writes: 'none',
  explain: {
    what: 'Negotiates the connection the way Flyte\'s driver (pgx) does for the configured `sslmode` (disable, allow, prefer, require, verify-ca, verify-full): asks the server for TLS, verifies the certificate chain against `sslrootcert` (verify-ca, or require with a root certificate) and the host name (verify-full), then sends a startup message without a password to see whether pg_hba accepts that encryption.',
    why: 'Managed databases often force TLS (RDS PostgreSQL 15+ `rds.force_ssl=1`) while Flyte\'s default options are `sslmode=disable`: the components then die with "no pg_hba.conf entry ... no encryption". The reverse (sslmode=require against a server without TLS) fails as well, and verify-* modes fail on an untrusted certificate or a name the certificate does not cover.',
    fix: 'Set the database `options` values key, e.g. `sslmode=require`, or `sslmode=verify-full sslrootcert=/etc/db/ca.crt` with the CA mounted; or change the server\'s TLS settings.',
  },
  async run(ctx): Promise<Outcome> {
    const db = databaseFor(ctx);
    const where = `${db.host}:${db.port}`;
    const plan = await sslPlanOf(db);
    const optKey = dbKey(db, 'options');
    const base: Record<string, Json> = { host: db.host, port: db.port, sslmode: plan.mode, sslmodeSource: db.sslmode ? `${optKey}` : 'Flyte default (sslmode=disable)', verify: plan.verify, ...(plan.caFile ? { sslrootcert: plan.caFile } : {}) };
    const budget = () => stepBudget(ctx, 8000);
    const open = async () => {
      const c = await tcpConnect(db.host, db.port, { ...(ctx.target.dnsServer ? { dnsServer: ctx.target.dnsServer } : {}), timeoutMs: budget(), signal: ctx.signal });
      const offers = await sslRequest(c.socket, budget(), ctx.signal).catch((e) => { c.socket.destroy(); throw e; });
      return { socket: c.socket, offers };
    };
    const probePlain = async (): Promise<{ offers: boolean; answer: StartupAnswer }> => {
      // SSLRequest answered 'S' cannot be followed by plaintext; use a fresh connection without it.
      const { socket, offers } = await open();
      socket.destroy();
      const c = await tcpConnect(db.host, db.port, { ...(ctx.target.dnsServer ? { dnsServer: ctx.target.dnsServer } : {}), timeoutMs: budget(), signal: ctx.signal });
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

    try {
      if (plan.mode === 'disable' || plan.mode === 'allow') {
        const { offers, answer } = await probePlain();
        if (needsTls(answer)) {
          if (plan.mode === 'allow' && offers) {
            const t = await probeTls('none');
            if (t !== 'no-tls') return { status: 'pass', messageId: 'tlsAfterPlainRefused', message: `server ${where} refuses plaintext; sslmode=allow falls back to TLS (${t.info.protocol}), certificate not verified`, details: { ...base, ...tlsDetails(t.info) } };
          }
          return {
            status: 'fail', messageId: 'serverRequiresTls',
            message: `server ${where} requires TLS but the config connects without it (sslmode=${plan.mode}${db.sslmode ? '' : ', Flyte\'s default'}): ${answer.kind === 'error' ? answer.message : ''}`,
            hint: `set ${optKey}: "sslmode=require" (or "sslmode=verify-full sslrootcert=<CA file mounted in the pod>")`,
            details: { ...base, serverOffersTls: offers, sqlstate: '28000' },
          };
        }
        return { status: 'pass', messageId: 'plaintext', message: `TLS off as configured (sslmode=${plan.mode}); ${where} accepts plaintext${offers ? ' (the server offers TLS: consider sslmode=require)' : ''}`, details: { ...base, serverOffersTls: offers, startup: answer.kind === 'auth' ? `password requested (${answer.method})` : `${answer.code} ${answer.message}` } };
      }

      if (plan.mode === 'prefer') {
        const t = await probeTls('none');
        if (t === 'no-tls') {
          const { answer } = await probePlain();
          return { status: 'pass', messageId: 'preferPlaintext', message: `server ${where} does not offer TLS; sslmode=prefer connects in plaintext`, details: { ...base, serverOffersTls: false, startup: answer.kind === 'auth' ? `password requested (${answer.method})` : `${answer.code} ${answer.message}` } };
        }
        return { status: 'pass', messageId: 'tls', message: `TLS (${t.info.protocol}) negotiated with ${where} (sslmode=prefer, certificate not verified)`, details: { ...base, ...tlsDetails(t.info) } };
      }

      // require / verify-ca / verify-full
      if (plan.caFileMissing) {
        const t = await probeTls('none');
        if (t === 'no-tls') return noTls(where, plan.mode, optKey, base);
        return { status: 'warn', messageId: 'caFileNotHere', message: `sslrootcert ${plan.caFile} is not readable where flyte-doctor runs, so the certificate chain was not verified; TLS (${t.info.protocol}) works`, hint: `run flyte-doctor with the CA at ${plan.caFile} (the path the Flyte pods use, e.g. mounted from the secret), or check the CA mount in the pods`, details: { ...base, ...tlsDetails(t.info) } };
      }
      const t = await probeTls(plan.verify);
      if (t === 'no-tls') return noTls(where, plan.mode, optKey, base);
      const verified = plan.verify === 'full' ? 'chain and host name verified' : plan.verify === 'ca' ? 'chain verified, host name not checked' : 'certificate not verified';
      return { status: 'pass', messageId: 'tls', message: `TLS (${t.info.protocol}) with ${where}, sslmode=${plan.mode}: ${verified}${plan.verify !== 'none' ? ` against ${plan.caFile ?? 'the system CA bundle'}` : ''}`, details: { ...base, ...tlsDetails(t.info) } };
    } catch (e) {
      if (!(e instanceof PgProbeError)) throw e;
      const details = { ...base, kind: e.kind, ...(e.code ? { code: e.code } : {}), error: e.message };
      switch (e.kind) {
        case 'tls-untrusted':
          return { status: 'fail', messageId: 'certUntrusted', message: `the certificate of ${where} is not trusted (sslmode=${plan.mode}, CA ${plan.caFile ?? 'system bundle'}): ${e.message}`, hint: `put the server's CA in the file named by sslrootcert in ${optKey} (e.g. "sslmode=${plan.mode} sslrootcert=/etc/db/ca.crt", mounted into the pods); for RDS use the AWS RDS CA bundle`, details };
        case 'tls-name':
          return { status: 'fail', messageId: 'certNameMismatch', message: `the certificate of ${where} does not cover the name ${db.host}: ${e.message}`, hint: `set ${dbKey(db, 'host')} to a name in the certificate, or use sslmode=verify-ca in ${optKey} (verifies the chain only)`, details };
        case 'tls-other':
          return { status: 'fail', messageId: 'tlsHandshakeFailed', message: `TLS handshake with ${where} failed: ${e.message}`, hint: `check the server's TLS configuration (ssl = on, certificate, minimum protocol) and ${optKey}`, details };
        case 'timeout':
          return { status: 'fail', messageId: 'timeout', message: `no answer from ${where} during the TLS/startup exchange: ${e.message}`, hint: `something accepts TCP on ${where} but does not answer like PostgreSQL (proxy, firewall, overloaded server); check ${dbKey(db, 'host')} / ${dbKey(db, 'port')}`, details };
        case 'refused': case 'reset': case 'unreachable': case 'not-postgres':
          return { status: 'fail', messageId: 'connectionLost', message: `connection to ${where} failed during the TLS check: ${e.message}`, hint: `check that ${where} is the PostgreSQL server (${dbKey(db, 'host')} / ${dbKey(db, 'port')})`, details };
        default:
          throw e;
      }
    }
  },
});

function noTls(where: string, mode: string, optKey: string, base: Record<string, Json>): Outcome {
  return {
    status: 'fail', messageId: 'serverWithoutTls',
    message: `sslmode=${mode} requires TLS but the server ${where} does not offer it (answered 'N' to SSLRequest)`,
    hint: `enable TLS on the server (ssl = on with a certificate), or set ${optKey}: "sslmode=disable" if plaintext on this network is acceptable`,
    details: { ...base, serverOffersTls: false },
  };
}
