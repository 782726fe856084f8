import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testCert } from '../../harness/private-servers.js';
import { startTcp, type Running } from '../../harness/private-servers.js';
import { getTestbed } from '../../harness/testbed.js';
import { makeTarget } from '../../harness/target.js';
import { startDnsServer, type DnsServer } from '../client/dns-server.js';
import { runCheck } from '../../harness/run-check.js';
import { pgDb, pgTarget } from './pg-target.js';
import { dropRole, ensureRole, pgBouncerBin, sqlOf, startPgBouncer, startPrivatePg, su, type PgBouncer, type PrivatePg } from './pg-servers.js';

const NOLOGIN = 'fd_db_auth_nologin', EXPIRED = 'fd_db_auth_expired', LIMITED = 'fd_db_auth_limited';
const PW = 'fd-db-auth-pw-1';

/** A PostgreSQL-protocol impostor: 'N' to SSLRequest, then this ErrorResponse to the startup message. */
function pgErrorServer(code: string, message: string): Promise<Running> {
  return startTcp((s) => {
    s.on('data', (d: Buffer) => {
      if (d.length === 8 && d.readInt32BE(4) === 80877103) { s.write('N'); return; }
      const body = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`, 'utf8');
      const head = Buffer.alloc(5); head.write('E', 0); head.writeInt32BE(body.length + 4, 1);
      s.end(Buffer.concat([head, body]));
    });
  });
}

/** A PostgreSQL-protocol impostor: 'N' to SSLRequest, then AuthenticationRequest `code` (with SASL mechanisms for 10), then waits. */
function pgAuthServer(code: number, mechanisms: string[] = []): Promise<Running> {
  return startTcp((s) => {
    s.on('data', (d: Buffer) => {
      if (d.length === 8 && d.readInt32BE(4) === 80877103) { s.write('N'); return; }
      if (d[0] === 0x70) return; // a password or SASL response: no answer
      const extra = mechanisms.length ? Buffer.from(`${mechanisms.join('\0')}\0\0`, 'utf8') : Buffer.alloc(0);
      const r = Buffer.alloc(9); r.write('R', 0); r.writeInt32BE(8 + extra.length, 1); r.writeInt32BE(code, 5);
      s.write(Buffer.concat([r, extra]));
    });
  });
}

describe('database.postgres.auth', () => {
  let hbaUserOnly: PrivatePg, ident: PrivatePg, tiny: PrivatePg, standbyNoHot: PrivatePg, gss: PrivatePg;
  const impostors: Record<string, Running> = {};
  beforeAll(async () => {
    await ensureRole(NOLOGIN, PW, 'NOLOGIN');
    await ensureRole(EXPIRED, PW, "LOGIN VALID UNTIL '2001-01-01'");
    await ensureRole(LIMITED, PW, 'LOGIN CONNECTION LIMIT 0');
    [hbaUserOnly, ident, tiny, standbyNoHot, gss] = await Promise.all([
      startPrivatePg({ hba: ['host all someone_else 127.0.0.1/32 scram-sha-256'] }),
      startPrivatePg({ hba: ['host all all 127.0.0.1/32 ident'] }),
      startPrivatePg({ conf: ['max_connections = 4', 'superuser_reserved_connections = 2'], setup: [`CREATE ROLE fd_db_app LOGIN PASSWORD '${PW}'`] }),
      startPrivatePg({ conf: ['hot_standby = off'], standby: true }),
      startPrivatePg({ hba: ['host all all 127.0.0.1/32 gss'] }),
    ]);
    // No PostgreSQL on Linux asks for SSPI (Windows only), and PostgreSQL 18's OAUTHBEARER is not
    // installed here (15 is): impostors send those requests byte for byte as the protocol defines.
    impostors.sspi = await pgAuthServer(9);
    impostors.oauth = await pgAuthServer(10, ['OAUTHBEARER']);
    impostors.scramPlus = await pgAuthServer(10, ['SCRAM-SHA-256-PLUS']);
    impostors.code42 = await pgAuthServer(42);
    impostors.pgbouncer = await pgErrorServer('08P01', 'unsupported startup parameter: application_name');
    impostors.unknown = await pgErrorServer('P0001', 'custom proxy says no');
    // Asks for a cleartext password, then never answers it (a pooler waiting for a backend).
    impostors.hangs = await startTcp((s) => {
      s.on('data', (d: Buffer) => {
        if (d.length === 8 && d.readInt32BE(4) === 80877103) { s.write('N'); return; }
        if (d[0] === 0x70) return; // PasswordMessage: silence
        const r = Buffer.alloc(9); r.write('R', 0); r.writeInt32BE(8, 1); r.writeInt32BE(3, 5); s.write(r);
      });
    });
  });
  afterAll(async () => {
    for (const r of [NOLOGIN, EXPIRED, LIMITED]) await dropRole(r);
    for (const p of [hbaUserOnly, ident, tiny, standbyNoHot, gss]) p?.stop();
    for (const s of Object.values(impostors)) await s.stop();
  });

  it('the owner authenticates over TLS (verify-full)', async () => {
    const { result } = await runCheck('database.postgres.auth', pgTarget());
    expect(result.status).toBe('pass');
    expect(result.details?.tls).toBe(true);
  });

  // pgx (Flyte's driver) sends an options key=value that is not one of its connection keywords to
  // the server as a setting; the server refuses a setting it lacks, after the password.
  it('options with a setting the server lacks (a typo, a libpq-only keyword, capitals): unknownSetting; what the server does with it is shown first', async () => {
    const tb = getTestbed().postgres;
    const startupWith = async (extra: Record<string, string>) => {
      const c = new pg.Client({ host: tb.host, port: tb.port, user: tb.owner.user, password: tb.owner.password, database: tb.databases.flyteadmin, ssl: { rejectUnauthorized: false } });
      const base = (c as unknown as { getStartupConf(): Record<string, string> }).getStartupConf.bind(c);
      (c as unknown as { getStartupConf(): Record<string, string> }).getStartupConf = () => ({ ...base(), ...extra });
      try { await c.connect(); return 'ok'; } catch (e) { return `${(e as { code?: string }).code}: ${(e as Error).message}`; } finally { await c.end().catch(() => {}); }
    };
    // the real server: an unknown setting in the startup message is a FATAL 42704; a known one or a custom (dotted) one is taken
    expect(await startupWith({ sslmod: 'verify-full' })).toBe('42704: unrecognized configuration parameter "sslmod"');
    expect(await startupWith({ SSLMODE: 'REQUIRE' })).toBe('42704: unrecognized configuration parameter "SSLMODE"');
    expect(await startupWith({ search_path: 'public', 'myapp.x': '1' })).toBe('ok');

    const run = async (options: Record<string, string>) => (await runCheck('database.postgres.auth', pgTarget(pgDb({ runtimeParams: options })))).result;
    const typo = await run({ sslmod: 'verify-full' });
    expect(typo).toMatchObject({ status: 'fail', messageId: 'unknownSetting', cause: 'config:configuration.database.options' });
    expect(typo.message).toContain('configuration.database.options has sslmod=verify-full: Flyte\'s driver (pgx) does not take "sslmod" as a connection keyword');
    expect(typo.message).toContain('FATAL: unrecognized configuration parameter "sslmod" (SQLSTATE 42704)');
    expect(typo.hint).toBe('write sslmode=verify-full in configuration.database.options');
    const caps = await run({ SSLMODE: 'REQUIRE' });
    expect(caps.hint).toBe('write sslmode=require in configuration.database.options (connection keywords are lowercase, as libpq spells them)');
    const libpqOnly = await run({ keepalives: '1' });
    expect(libpqOnly.hint).toBe('remove keepalives=1 from configuration.database.options, or name a setting the server has (SHOW ALL lists them)');
    // a misspelled credential keyword is no registered secret: its value is never shown
    const pw = await run({ passwrd: 'Hunter2-not-shown' });
    expect(pw).toMatchObject({ status: 'fail', messageId: 'unknownSetting' });
    expect(JSON.stringify(pw)).not.toContain('Hunter2-not-shown');
    expect(pw.message).toContain('has passwrd=<value>:');
    expect(pw.hint).toBe('write password=<value> in configuration.database.options');
    // settings the server has, and custom ones, pass
    expect((await run({ search_path: 'public', application_name: 'flyteadmin', 'myapp.x': '1' })).status).toBe('pass');
  });

  it('a Flyte server config (--server-config) with a setting the server lacks in database.postgres.options: the same finding, naming that file and key', async () => {
    const tb = getTestbed().postgres;
    const { loadTarget } = await import('../../../src/config/load.js');
    const dir = mkdtempSync(join(tmpdir(), 'fd-sc-opts-'));
    try {
      const file = join(dir, 'flyteadmin-config.yaml');
      const cfg = (options: string) => `database:\n  postgres:\n    host: ${tb.host}\n    port: ${tb.port}\n    dbname: ${tb.databases.flyteadmin}\n    username: ${tb.owner.user}\n    password: ${tb.owner.password}\n    options: "${options}"\n`;
      writeFileSync(file, cfg('sslmode=require sslmod=verify-full'));
      const t = loadTarget({ values: [], set: [], env: {}, cwd: dir, home: '/nonexistent-home', serverConfigs: [file] });
      expect(t.databases[0]!.runtimeParams).toEqual({ sslmod: 'verify-full' });
      const { result } = await runCheck('database.postgres.auth', t);
      expect(result).toMatchObject({ status: 'fail', messageId: 'unknownSetting' });
      expect(result.message).toContain(`database.postgres.options (${file}) has sslmod=verify-full`);
      expect(result.hint).toBe(`write sslmode=verify-full in database.postgres.options in ${file}`);
      writeFileSync(file, cfg('sslmode=require application_name=flyteadmin'));
      const ok = loadTarget({ values: [], set: [], env: {}, cwd: dir, home: '/nonexistent-home', serverConfigs: [file] });
      expect((await runCheck('database.postgres.auth', ok)).result).toMatchObject({ status: 'pass' });
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  it('one server hosting both databases: both instances authenticate', async () => {
    const tb = getTestbed().postgres;
    const { results } = await runCheck('database.postgres.auth', pgTarget(pgDb(), pgDb({ role: 'datacatalog', dbname: tb.databases.datacatalog, valuesKey: 'db.datacatalog.database' })));
    const mine = results.filter((r) => r.id === 'database.postgres.auth');
    expect(mine.map((r) => [r.instance, r.status])).toEqual([['datacatalog', 'pass'], ['flyteadmin', 'pass']]);
  });

  // Whitespace around the password or user name: pgx drops it from flytestdlib's connection string (postgres.auth-dsn.test.ts).

  it('a wrong password is 28P01: names the password key, says it may be a missing role or an expired password, never prints it', async () => {
    const tb = getTestbed().postgres;
    const { result } = await runCheck('database.postgres.auth', pgTarget(pgDb({ user: tb.wrongPasswordUser, pw: 'not-the-password-xyz' })));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('passwordRejected');
    expect(result.message).toContain('28P01');
    expect(result.message).toMatch(/expired password \(VALID UNTIL\)/);
    expect(result.hint).toContain('set configuration.database.password');
    expect(result.hint).toContain(`SELECT rolname, rolvaliduntil FROM pg_roles WHERE rolname = '${tb.wrongPasswordUser}'`);
    expect(result.cause).toBe(`credentials:postgres:${tb.wrongPasswordUser}@127.0.0.1:${tb.port}`);
    expect(JSON.stringify(result)).not.toContain('not-the-password-xyz'); // runCheck also asserts this for every secret
  });

  it('an expired password (VALID UNTIL) looks like a wrong one; the query the fix gives tells them apart', async () => {
    const { result } = await runCheck('database.postgres.auth', pgTarget(pgDb({ user: EXPIRED, pw: PW })));
    expect(result.messageId).toBe('passwordRejected');
    const rows = await su<{ rolname: string; rolvaliduntil: Date | null }>(sqlOf(result.hint));
    expect(rows[0]?.rolname).toBe(EXPIRED);
    expect(rows[0]!.rolvaliduntil!.getTime()).toBeLessThan(Date.now());
    expect(result.hint).toContain(`ALTER ROLE ${EXPIRED} VALID UNTIL 'infinity'`);
    await su(`ALTER ROLE ${EXPIRED} VALID UNTIL 'infinity'`);
    try {
      expect((await runCheck('database.postgres.auth', pgTarget(pgDb({ user: EXPIRED, pw: PW })))).result.status).toBe('pass');
    } finally { await su(`ALTER ROLE ${EXPIRED} VALID UNTIL '2001-01-01'`); }
  });

  it('the password from a passwordPath file: the fix names the file, not the values password key', async () => {
    const t = pgTarget(pgDb({ user: getTestbed().postgres.wrongPasswordUser, pw: 'wrong-from-file', passwordSource: 'passwordPath /etc/db/pass.txt' }));
    const { result } = await runCheck('database.postgres.auth', t);
    expect(result.messageId).toBe('passwordRejected');
    expect(result.message).toContain('the file /etc/db/pass.txt named by configuration.database.passwordPath');
    expect(result.hint).toContain('put the role\'s password in the file /etc/db/pass.txt');
    expect(result.hint).not.toContain('set configuration.database.password');
  });

  it('the password from env PGPASSWORD (passwordPath not readable here): the fix says so', async () => {
    const t = pgTarget(pgDb({ user: getTestbed().postgres.wrongPasswordUser, pw: 'wrong-from-env', passwordSource: 'env PGPASSWORD' }));
    const { result } = await runCheck('database.postgres.auth', t);
    expect(result.message).toContain('env PGPASSWORD');
    expect(result.hint).toMatch(/flyte-doctor used env PGPASSWORD/);
  });

  it('a NOLOGIN role with the right password: roleNoLogin, and the suggested ALTER ROLE … LOGIN works', async () => {
    const { result } = await runCheck('database.postgres.auth', pgTarget(pgDb({ user: NOLOGIN, pw: PW })));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('roleNoLogin');
    expect(result.details?.sqlstate).toBe('28000');
    const sql = sqlOf(result.hint);
    expect(sql).toBe(`ALTER ROLE ${NOLOGIN} LOGIN`);
    await su(sql);
    try {
      expect((await runCheck('database.postgres.auth', pgTarget(pgDb({ user: NOLOGIN, pw: PW })))).result.status).toBe('pass');
    } finally { await su(`ALTER ROLE ${NOLOGIN} NOLOGIN`); }
  });

  it('a role at its CONNECTION LIMIT: roleConnectionLimit with an ALTER ROLE the server accepts', async () => {
    const { result } = await runCheck('database.postgres.auth', pgTarget(pgDb({ user: LIMITED, pw: PW })));
    expect(result.messageId).toBe('roleConnectionLimit');
    await su(sqlOf(result.hint));
    try {
      expect((await runCheck('database.postgres.auth', pgTarget(pgDb({ user: LIMITED, pw: PW })))).result.status).toBe('pass');
    } finally { await su(`ALTER ROLE ${LIMITED} CONNECTION LIMIT 0`); }
  });

  it('no pg_hba.conf line for this user: noHbaEntry, names the client address the server saw', async () => {
    const { result } = await runCheck('database.postgres.auth', pgTarget(pgDb({ port: hbaUserOnly.port, user: 'postgres', pw: hbaUserOnly.password, dbname: 'postgres', sslmode: 'disable' })));
    expect(result.messageId).toBe('noHbaEntry');
    expect(result.details?.clientAddress).toBe('127.0.0.1');
    expect(result.hint).toMatch(/host postgres postgres <pod CIDR> scram-sha-256/);
    expect(result.hint).toMatch(/Flyte's pods connect from the pod or node network/);
  });

  it('pg_hba asks for ident: authMethodUnsupported', async () => {
    const { result } = await runCheck('database.postgres.auth', pgTarget(pgDb({ port: ident.port, user: 'postgres', pw: ident.password, dbname: 'postgres', sslmode: 'disable' })));
    expect(result.messageId).toBe('authMethodUnsupported');
    expect(result.hint).toMatch(/scram-sha-256/);
  });

  it('pg_hba asks for GSSAPI (AuthenticationRequest 7): authMethodUnsupported naming GSSAPI, not a login timeout (and no uncaught exception from the driver)', async () => {
    const t0 = Date.now();
    const { result, results } = await runCheck('database.postgres.auth', pgTarget(pgDb({ port: gss.port, user: 'postgres', pw: gss.password, dbname: 'postgres', sslmode: 'disable' })), { timeoutMs: 8000 });
    expect(results.find((r) => r.id === 'database.postgres.tls')!.details?.startup).toBe('password requested (GSSAPI)');
    expect(result).toMatchObject({ status: 'fail', messageId: 'authMethodUnsupported', cause: `denied:postgres:postgres@127.0.0.1:${gss.port}:pg_hba` });
    expect(result.message).toMatch(/asks postgres for GSSAPI authentication \(AuthenticationRequest code 7\)/);
    expect(result.message).toContain('no GSSAPI provider registered');
    expect(result.hint).toContain('"host postgres postgres <pod CIDR> scram-sha-256", before the gss line');
    expect(Date.now() - t0).toBeLessThan(4000); // told at once, not after the login's time runs out
  });

  it('the same server with a scram-sha-256 line first: the pass the fix leads to', async () => {
    const p = await startPrivatePg({ hba: ['host all all 127.0.0.1/32 scram-sha-256', 'host all all 127.0.0.1/32 gss'] });
    try {
      const { result } = await runCheck('database.postgres.auth', pgTarget(pgDb({ port: p.port, user: 'postgres', pw: p.password, dbname: 'postgres', sslmode: 'disable' })));
      expect(result).toMatchObject({ status: 'pass', messageId: 'authenticated' });
    } finally { p.stop(); }
  });

  it('pg_hba.conf trusts this machine\'s address: a wrong password is let in too, so the login proves nothing about it (warn, not "authenticated with the configured password")', async () => {
    const p = await startPrivatePg({ hba: ['host all all 127.0.0.1/32 trust'] });
    try {
      const { result } = await runCheck('database.postgres.auth', pgTarget(pgDb({ port: p.port, user: 'postgres', pw: 'fd-db-not-the-password', dbname: 'postgres', sslmode: 'disable' })));
      expect(result).toMatchObject({ status: 'warn', messageId: 'passwordNotChecked' });
      expect(result.message).toContain('without asking for a password (pg_hba.conf "trust"');
      expect(result.details?.passwordChecked).toBe(false);
      expect(result.hint).toContain('--in-cluster');
      const inCluster = pgTarget(pgDb({ port: p.port, user: 'postgres', pw: 'fd-db-not-the-password', dbname: 'postgres', sslmode: 'disable' }));
      inCluster.inCluster = true; // from a pod, the pods' own line is the one that matched
      const pod = (await runCheck('database.postgres.auth', inCluster)).result;
      expect(pod).toMatchObject({ status: 'pass', messageId: 'authenticated' });
      expect(pod.message).toContain('was not checked');
    } finally { p.stop(); }
  });

  it('requests no Linux client answers (SSPI, SASL without SCRAM-SHA-256) and a code the protocol lacks: named, or unrecognised with the code', async () => {
    const run = (port: number) => runCheck('database.postgres.auth', pgTarget(pgDb({ port, sslmode: 'disable' })), { timeoutMs: 6000 });
    const sspi = (await run(impostors.sspi!.port)).result;
    expect(sspi).toMatchObject({ status: 'fail', messageId: 'authMethodUnsupported' });
    expect(sspi.message).toMatch(/SSPI authentication \(AuthenticationRequest code 9\).*Windows-only/);
    const oauth = (await run(impostors.oauth!.port)).result;
    expect(oauth).toMatchObject({ status: 'fail', messageId: 'authMethodUnsupported' });
    expect(oauth.message).toMatch(/SASL authentication with OAUTHBEARER .*offers no SCRAM-SHA-256/);
    const plus = (await run(impostors.scramPlus!.port)).result;
    expect(plus.messageId).toBe('authMethodUnsupported');
    const odd = (await run(impostors.code42!.port)).result;
    expect(odd).toMatchObject({ status: 'fail', messageId: 'unrecognised' });
    expect(odd.message).toMatch(/^unrecognised: .* AuthenticationRequest code 42/);
  });

  it('all non-reserved slots taken: tooManyConnections (53300)', async () => {
    const held: pg.Client[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const c = new pg.Client({ host: '127.0.0.1', port: tiny.port, user: 'fd_db_app', password: PW, database: 'postgres' });
        await c.connect();
        held.push(c);
      }
      const { result } = await runCheck('database.postgres.auth', pgTarget(pgDb({ port: tiny.port, user: 'fd_db_app', pw: PW, dbname: 'postgres', sslmode: 'disable' })));
      expect(result.messageId).toBe('tooManyConnections');
      expect(result.details?.sqlstate).toBe('53300');
      expect(result.hint).toContain('configuration.inline.database.maxOpenConnections');
    } finally { for (const c of held) await c.end(); }
  });

  it('a standby without hot standby: serverNotReady (57P03), points at the primary; the first check to see it (tls) reports it and blocks the login', async () => {
    const t = pgTarget(pgDb({ port: standbyNoHot.port, user: 'postgres', pw: standbyNoHot.password, dbname: 'postgres', sslmode: 'disable' }));
    t.provenance['databases[0].host'] = 'values.yaml: configuration.database.host';
    const { result: auth, results } = await runCheck('database.postgres.auth', t);
    expect(auth.status).toBe('skip');
    const result = results.find((r) => r.id === 'database.postgres.tls')!;
    expect(result).toMatchObject({ status: 'fail', messageId: 'serverNotReady', cause: `unreachable:127.0.0.1:${standbyNoHot.port}` });
    expect(result.details?.sqlstate).toBe('57P03');
    expect(result.hint).toContain('configuration.database.host');
    expect(result.hint).toMatch(/primary/);
  });

  it('a server shutting down: serverNotReady (57P03)', async () => {
    const p = await startPrivatePg();
    const holder = new pg.Client({ host: '127.0.0.1', port: p.port, user: 'postgres', password: p.password, database: 'postgres' });
    await holder.connect();
    holder.on('error', () => {});
    try {
      p.stop('smart', false); // a smart shutdown waits for the open session and refuses new ones
      const { results } = await runCheck('database.postgres.auth', pgTarget(pgDb({ port: p.port, user: 'postgres', pw: p.password, dbname: 'postgres', sslmode: 'disable' })));
      const result = results.find((r) => r.id === 'database.postgres.tls')!;
      expect(result.messageId).toBe('serverNotReady');
      expect(result.message).toMatch(/shutting down/);
    } finally { await holder.end().catch(() => {}); p.stop('immediate'); }
  });

  it('a pooler refusing a startup parameter (08P01): protocolRejected with the pooler fix', async () => {
    const { results } = await runCheck('database.postgres.auth', pgTarget(pgDb({ port: impostors.pgbouncer!.port, sslmode: 'disable' })));
    const result = results.find((r) => r.id === 'database.postgres.tls')!; // the first startup message meets it
    expect(result.messageId).toBe('protocolRejected');
    expect(result.hint).toContain('ignore_startup_parameters');
  });

  it('a login that never completes after the password: loginNoAnswer within the budget', async () => {
    const t0 = Date.now();
    const { result, results } = await runCheck('database.postgres.auth', pgTarget(pgDb({ port: impostors.hangs!.port, sslmode: 'disable' })), { timeoutMs: 3000 });
    expect(Date.now() - t0).toBeLessThan(7000);
    expect(results.find((r) => r.id === 'database.postgres.tls')!.status).toBe('pass');
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('loginNoAnswer');
  });

  it('an SQLSTATE no finding covers: unrecognised, verbatim with its class, not an error', async () => {
    const { result } = await runCheck('database.postgres.auth', pgTarget(pgDb({ port: impostors.unknown!.port, sslmode: 'disable' })));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('unrecognised');
    expect(result.message).toContain('unrecognised: SQLSTATE P0001 custom proxy says no');
    expect(result.message).toContain('class P0: PL/pgSQL Error');
  });

  it('a plaintext login on the TLS-only listener (sslmode=allow falls back) authenticates', async () => {
    const { result } = await runCheck('database.postgres.auth', pgTarget(pgDb({ port: getTestbed().postgres.tlsOnlyPort, sslmode: 'allow', sslrootcert: undefined as never })));
    expect(result.status).toBe('pass');
    expect(result.details?.tls).toBe(true);
  });

  it('a missing database still authenticates and says so', async () => {
    const { result } = await runCheck('database.postgres.auth', pgTarget(pgDb({ dbname: getTestbed().postgres.missingDb })));
    expect(result.status).toBe('pass');
    expect(result.messageId).toBe('authenticatedDbRefused');
    expect(result.message).toContain('3D000');
  });

  describe('Azure Database for PostgreSQL (an impostor speaking its answers, reached by its host name through a private DNS server: no Azure server runs here)', () => {
    const AZ_HOST = 'fdtest-srv.postgres.database.azure.com';
    let dns: DnsServer;
    const az: Record<string, Running> = {};
    beforeAll(async () => {
      dns = await startDnsServer({ [AZ_HOST]: { a: ['127.0.0.1'] } });
      az.userFormat = await pgErrorServer('28000', 'Invalid Username specified. Please check the Username and retry connection. The Username should be in <username@hostname> format.');
      az.tls = await pgErrorServer('28000', 'SSL connection is required. Please specify SSL options and retry.');
      az.flexible = await pgErrorServer('28P01', 'password authentication failed for user "flyte@fdtest-srv"');
    });
    afterAll(async () => { await dns?.stop(); for (const x of Object.values(az)) await x.stop(); });
    const azTarget = (port: number, over: Parameters<typeof pgDb>[0] = {}) => makeTarget({ databases: [pgDb({ host: AZ_HOST, port, sslmode: 'prefer', sslrootcert: undefined, ...over })], dnsServer: dns.server });

    it('Single Server without user@server: azureUserFormat, the fix gives flyte@<server>', async () => {
      const { result } = await runCheck('database.postgres.auth', azTarget(az.userFormat!.port, { user: 'flyte' }));
      expect(result).toMatchObject({ status: 'fail', messageId: 'azureUserFormat', cause: 'config:configuration.database.username' });
      expect(result.hint).toContain('configuration.database.username');
      expect(result.hint).toContain('flyte@fdtest-srv');
    });

    it('"SSL connection is required": tlsRequired with the sslmode fix, not a verbatim refusal', async () => {
      const { result } = await runCheck('database.postgres.auth', azTarget(az.tls!.port, { sslmode: 'disable' }));
      expect(result).toMatchObject({ status: 'fail', messageId: 'tlsRequired' });
      expect(result.message).toContain('Azure Database for PostgreSQL enforces TLS');
      expect(result.hint).toContain('sslmode=require');
    });

    it('Flexible Server refusing user@server: the password finding says the plain role name is the form there', async () => {
      const { result } = await runCheck('database.postgres.auth', azTarget(az.flexible!.port, { user: 'flyte@fdtest-srv' }));
      expect(result).toMatchObject({ status: 'fail', messageId: 'passwordRejected' });
      expect(result.message).toContain("Single Server's <user>@<server> form");
      expect(result.hint).toContain('on Flexible Server set configuration.database.username to flyte');
    });

    it('the same answers from a host that is not Azure: no Azure advice', async () => {
      const { result } = await runCheck('database.postgres.auth', pgTarget(pgDb({ host: '127.0.0.1', port: az.flexible!.port, user: 'flyte@fdtest-srv', sslmode: 'prefer', sslrootcert: undefined })));
      expect(result).toMatchObject({ status: 'fail', messageId: 'passwordRejected' });
      expect(result.message).not.toContain('Flexible Server');
    });
  });

  describe('pg_hba asks for a client certificate (the cert method) on a real server: what options names decides the finding', () => {
    let p: PrivatePg, dir: string;
    const cc: Record<string, { sslcert: string; sslkey: string }> = {};
    beforeAll(async () => {
      const tb = getTestbed();
      dir = mkdtempSync(join(tmpdir(), 'fd-db-clientcert-'));
      writeFileSync(join(dir, 'c.ext'), 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
      const mk = (name: string, cn: string, selfSigned = false) => {
        const key = join(dir, `${name}.key`), crt = join(dir, `${name}.crt`), csr = join(dir, `${name}.csr`);
        const ssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
        if (selfSigned) ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', crt, '-days', '30', '-subj', `/CN=${cn}`]);
        else {
          ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`]);
          ssl(['x509', '-req', '-in', csr, '-CA', tb.caCert, '-CAkey', tb.caCert.replace(/\.crt$/, '.key'), '-CAserial', join(dir, 'ca.srl'), '-CAcreateserial', '-days', '30', '-extfile', join(dir, 'c.ext'), '-out', crt]);
        }
        cc[name] = { sslcert: crt, sslkey: key };
      };
      mk('good', 'postgres'); mk('otherCn', 'someone'); mk('otherCa', 'postgres', true);
      p = await startPrivatePg({ tls: testCert('db-valid', { sans: ['localhost', 'db.flyte.test', 'IP:127.0.0.1'] }), hba: ['hostssl all all 127.0.0.1/32 cert'], conf: [`ssl_ca_file = '${tb.caCert}'`] });
    });
    afterAll(() => { p?.stop(); if (dir) rmSync(dir, { recursive: true, force: true }); });
    const t = (o: Partial<{ sslcert: string; sslkey: string }>) => pgTarget(pgDb({ port: p.port, user: 'postgres', pw: p.password, dbname: 'postgres', sslmode: 'require', sslrootcert: undefined, ...o }));

    it('sslcert/sslkey in options with CN=user from the server\'s CA: the certificate is presented and the login passes', async () => {
      const { result } = await runCheck('database.postgres.auth', t(cc.good!));
      expect(result).toMatchObject({ status: 'pass', messageId: 'authenticated' });
      expect(result.details?.tls).toBe(true);
      expect(result.message).toContain(`with the client certificate ${cc.good!.sslcert} (no password asked)`);
    });

    it('none configured: authMethodUnsupported, the fix adds sslcert/sslkey to the options key', async () => {
      const { result } = await runCheck('database.postgres.auth', t({}));
      expect(result).toMatchObject({ status: 'fail', messageId: 'authMethodUnsupported' });
      expect(result.hint).toContain('add "sslcert=<file> sslkey=<file>" to configuration.database.options');
    });

    it('a certificate whose CN is not the user: clientCertRejected names both, never "add sslcert"', async () => {
      const { result } = await runCheck('database.postgres.auth', t(cc.otherCn!));
      expect(result).toMatchObject({ status: 'fail', messageId: 'clientCertRejected', cause: `denied:postgres:postgres@127.0.0.1:${p.port}:pg_hba` });
      expect(result.message).toContain('certificate authentication failed for user "postgres"');
      expect(result.message).toContain('"someone" is not "postgres"');
      expect(result.hint).toContain('with CN=postgres');
      expect(result.hint).not.toMatch(/add "sslcert/);
    });

    it('a certificate from a CA the server does not trust: the TLS alert is about the client certificate, not "fix the sslmode or the server\'s certificate"', async () => {
      const { result, results } = await runCheck('database.postgres.auth', t(cc.otherCa!));
      expect(results.find((r) => r.id === 'database.postgres.tls')!.status).toBe('pass');
      expect(result).toMatchObject({ status: 'fail', messageId: 'clientCertRejected' });
      expect(result.message).toMatch(/alert "unknown ca"\): it is not signed by a CA in the server's ssl_ca_file/);
      expect(result.hint).not.toMatch(/sslmode/);
    });

    it('configured but not readable here (a path in the pods): cannot be judged, a warn, not a fail asking to add it', async () => {
      const { result } = await runCheck('database.postgres.auth', t({ sslcert: '/etc/db/client.crt', sslkey: '/etc/db/client.key' }));
      expect(result).toMatchObject({ status: 'warn', messageId: 'clientCertNotHere' });
      expect(result.message).toContain('sslcert=/etc/db/client.crt sslkey=/etc/db/client.key, which are not readable here');
    });
  });

  // A real PgBouncer (1.18) in front of a real PostgreSQL; test/infra/install-deps.sh installs it (apt
  // pgbouncer). Skipped where no pgbouncer binary is found (FD_PGBOUNCER) only outside CI: under CI the
  // missing binary fails the run.
  describe.skipIf(!pgBouncerBin() && !(process.env.CI && process.env.CI !== 'false'))('PgBouncer in front of PostgreSQL: its own 08P01 refusals are named, not "refused at the protocol level"', () => {
    let p: PrivatePg, bouncer: PgBouncer;
    beforeAll(async () => {
      p = await startPrivatePg({ setup: ['CREATE DATABASE flyteadmin'] });
      bouncer = await startPgBouncer({ databases: { flyteadmin: `host=127.0.0.1 port=${p.port} dbname=flyteadmin` }, users: { postgres: p.password } });
    });
    afterAll(() => { bouncer?.stop(); p?.stop(); });
    const t = (o: Parameters<typeof pgDb>[0] = {}) => pgTarget(pgDb({ port: bouncer.port, user: 'postgres', pw: p.password, dbname: 'flyteadmin', sslmode: 'disable', sslrootcert: undefined, ...o }));

    it('through the pooler, the healthy login passes', async () => {
      expect((await runCheck('database.postgres.auth', t())).result).toMatchObject({ status: 'pass', messageId: 'authenticated' });
    });

    it('a database the pooler has no entry for ("no such database"): poolerNoDatabase, the [databases] line or the dbname key', async () => {
      const { result } = await runCheck('database.postgres.auth', t({ dbname: 'fd_db_not_pooled' }));
      expect(result).toMatchObject({ status: 'fail', messageId: 'poolerNoDatabase', cause: 'config:configuration.database.dbname' });
      expect(result.message).toContain('FATAL: no such database: fd_db_not_pooled');
      expect(result.hint).toContain('"fd_db_not_pooled = host=<PostgreSQL host> port=5432 dbname=fd_db_not_pooled" under [databases] in pgbouncer.ini');
      expect(result.hint).toContain('configuration.database.dbname');
    });

    it('a wrong password or an unknown user ("SASL authentication failed", 08P01): poolerAuthFailed with the password key and the auth_file', async () => {
      for (const over of [{ pw: 'fd-db-wrong-pooled-pw' }, { user: 'fd_db_nobody' }]) {
        const { result } = await runCheck('database.postgres.auth', t(over));
        expect(result).toMatchObject({ status: 'fail', messageId: 'poolerAuthFailed' });
        expect(result.cause).toMatch(/^credentials:postgres:/);
        expect(result.message).toContain('SASL authentication failed');
        expect(result.hint).toContain('set configuration.database.password');
        expect(result.hint).toContain('auth_file');
      }
    });
  });
});
