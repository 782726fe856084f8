import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { testCert } from '../../harness/private-servers.js';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck } from '../../harness/run-check.js';
import { pgDb, pgTarget } from './pg-target.js';
import { startPrivatePg, type PrivatePg } from './pg-servers.js';

describe('database.postgres.tls', () => {
  let plain: PrivatePg, expired: PrivatePg, selfSigned: PrivatePg, plainOnlyHba: PrivatePg, oldTls: PrivatePg;
  beforeAll(async () => {
    const sans = ['localhost', 'db.flyte.test', 'IP:127.0.0.1'];
    [plain, expired, selfSigned, plainOnlyHba, oldTls] = await Promise.all([
      startPrivatePg(),
      startPrivatePg({ tls: testCert('db-expired', { sans, expired: true }) }),
      startPrivatePg({ tls: testCert('db-self-signed', { sans, selfSigned: true }) }),
      startPrivatePg({ tls: testCert('db-valid', { sans }), hba: ['hostnossl all all 127.0.0.1/32 scram-sha-256'] }),
      startPrivatePg({ tls: testCert('db-valid', { sans }), conf: [`ssl_min_protocol_version = 'TLSv1'`, `ssl_max_protocol_version = 'TLSv1.1'`, `ssl_ciphers = 'DEFAULT:@SECLEVEL=0'`] }),
    ]);
  });
  afterAll(() => { for (const p of [plain, expired, selfSigned, plainOnlyHba, oldTls]) p?.stop(); });
  const su = (p: PrivatePg) => ({ port: p.port, user: 'postgres', pw: p.password, dbname: 'postgres' });

  it('verify-full with the test CA passes', async () => {
    const { result } = await runCheck('database.postgres.tls', pgTarget());
    expect(result.status).toBe('pass');
    expect(result.message).toContain('chain and host name verified');
  });

  it('verify-full by a name in the certificate passes through the test resolver', async () => {
    const { result } = await runCheck('database.postgres.tls', pgTarget(pgDb({ host: getTestbed().dns.names.database })));
    expect(result.status).toBe('pass');
  });

  it('an sslmode PostgreSQL does not know fails here, naming the options key and the allowed values; only its dependants are blocked', async () => {
    const db = pgDb({ sslmode: undefined as never, sslmodeInvalid: 'requried' });
    const t = pgTarget(db);
    t.provenance['databases[0].sslmodeInvalid'] = 'values.yaml: configuration.database.options';
    const { result, results } = await runCheck('database.postgres.auth', t);
    const tls = results.find((r) => r.id === 'database.postgres.tls')!;
    expect(tls.status).toBe('fail');
    expect(tls.messageId).toBe('sslmodeInvalid');
    expect(tls.hint).toContain('configuration.database.options: "sslmode=require"');
    expect(tls.hint).toContain('disable, allow, prefer, require, verify-ca, verify-full');
    expect(tls.cause).toBe('config:configuration.database.options');
    expect(results.find((r) => r.id === 'database.postgres.connect')!.status).toBe('pass');
    expect(result.status).toBe('skip');
    expect(result.blockedBy).toBe('database.postgres.tls[flyteadmin]');
  });

  it('sslmode=disable against the TLS-only listener fails with the options key', async () => {
    const { result } = await runCheck('database.postgres.tls', pgTarget(pgDb({ port: getTestbed().postgres.tlsOnlyPort, sslmode: 'disable' })));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('serverRequiresTls');
    expect(result.hint).toContain('configuration.database.options');
    expect(result.hint).toContain('sslmode=require');
  });

  it('an unset sslmode is Flyte\'s default (disable) and fails against the TLS-only listener', async () => {
    const { result } = await runCheck('database.postgres.tls', pgTarget(pgDb({ port: getTestbed().postgres.tlsOnlyPort, sslmode: undefined as never })));
    expect(result.status).toBe('fail');
    expect(result.message).toContain('Flyte\'s default');
  });

  it('sslmode=require against the TLS-only listener passes', async () => {
    const { result } = await runCheck('database.postgres.tls', pgTarget(pgDb({ port: getTestbed().postgres.tlsOnlyPort, sslmode: 'require', sslrootcert: undefined as never })));
    expect(result.status).toBe('pass');
  });

  it('verify-full (and require) against a server without TLS: serverWithoutTls; prefer and disable pass', async () => {
    for (const sslmode of ['verify-full', 'require'] as const) {
      const { result } = await runCheck('database.postgres.tls', pgTarget(pgDb({ ...su(plain), sslmode })));
      expect(result.messageId, sslmode).toBe('serverWithoutTls');
      expect(result.cause).toBe(`tls-plaintext:127.0.0.1:${plain.port}`);
      expect(result.hint).toMatch(/enable TLS on the server/);
    }
    for (const [sslmode, id] of [['prefer', 'preferPlaintext'], ['disable', 'plaintext']] as const) {
      const { result } = await runCheck('database.postgres.tls', pgTarget(pgDb({ ...su(plain), sslmode })));
      expect(result.status, sslmode).toBe('pass');
      expect(result.messageId, sslmode).toBe(id);
    }
  });

  it('verify-ca without the test CA fails as untrusted', async () => {
    const { result } = await runCheck('database.postgres.tls', pgTarget(pgDb({ sslmode: 'verify-ca', sslrootcert: undefined as never })));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('certUntrusted');
    expect(result.hint).toContain('sslrootcert');
  });

  it('sslrootcert not readable here: warn caFileNotHere; a path with a line break after it says so and names the file meant', async () => {
    const missing = await runCheck('database.postgres.tls', pgTarget(pgDb({ sslmode: 'verify-full', sslrootcert: '/etc/flyte/db-ca/ca.crt' })));
    expect(missing.result).toMatchObject({ status: 'warn', messageId: 'caFileNotHere' });
    expect(missing.result.message).toMatch(/^sslrootcert \/etc\/flyte\/db-ca\/ca\.crt is not readable where flyte-doctor runs, so/);
    const ca = getTestbed().caCert;
    const { result } = await runCheck('database.postgres.tls', pgTarget(pgDb({ sslmode: 'verify-full', sslrootcert: `${ca}\n` })));
    expect(result).toMatchObject({ status: 'warn', messageId: 'caFileNotHere' });
    expect(result.message).toContain(`sslrootcert ${JSON.stringify(`${ca}\n`)} is not readable where flyte-doctor runs (the path ends with a newline, and ${ca} exists: remove the whitespace from the path`);
    expect(result.message).toContain('Flyte\'s pods read the same path)');
  });

  it('an expired certificate is its own finding: renew it, not "change the CA"', async () => {
    const { result } = await runCheck('database.postgres.tls', pgTarget(pgDb({ ...su(expired) })));
    expect(result.messageId).toBe('certExpired');
    expect(result.cause).toBe(`tls-expired:127.0.0.1:${expired.port}`);
    expect(result.hint).toMatch(/renew the server certificate/);
    expect(result.message).toMatch(/expired .*valid .* to /);
    // Without verification the expired certificate is not looked at (what pgx does with require).
    const req = await runCheck('database.postgres.tls', pgTarget(pgDb({ ...su(expired), sslmode: 'require', sslrootcert: undefined as never })));
    expect(req.result.status).toBe('pass');
  });

  it('a self-signed server certificate is untrusted', async () => {
    const { result } = await runCheck('database.postgres.tls', pgTarget(pgDb({ ...su(selfSigned) })));
    expect(result.messageId).toBe('certUntrusted');
    expect(result.message).toMatch(/self-signed/);
    expect(result.cause).toBe(`tls-untrusted:127.0.0.1:${selfSigned.port}`);
  });

  it('verify-full by a name the certificate does not cover fails as name mismatch', async () => {
    // The ingress name resolves to 127.0.0.1 in the test zone but is not in the database certificate.
    const { result } = await runCheck('database.postgres.tls', pgTarget(pgDb({ host: getTestbed().dns.names.ingress })));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('certNameMismatch');
    expect(result.hint).toContain('DNS:db.flyte.test');
  });

  it('a server whose pg_hba.conf has only plaintext lines: require fails (serverRefusesTls), prefer falls back', async () => {
    const req = await runCheck('database.postgres.tls', pgTarget(pgDb({ ...su(plainOnlyHba), sslmode: 'require', sslrootcert: undefined as never })));
    expect(req.result.messageId).toBe('serverRefusesTls');
    expect(req.result.hint).toMatch(/hostssl/);
    const prefer = await runCheck('database.postgres.tls', pgTarget(pgDb({ ...su(plainOnlyHba), sslmode: 'prefer' })));
    expect(prefer.result.messageId).toBe('preferPlaintext');
    const auth = await runCheck('database.postgres.auth', pgTarget(pgDb({ ...su(plainOnlyHba), sslmode: 'prefer' })));
    expect(auth.result.status).toBe('pass');
    expect(auth.result.details?.tls).toBe(false);
  });

  it('a server refusing every startup for its state (no free slot: "sorry, too many clients already", 53300; shutting down, 57P03): the refusal, never "accepts plaintext"', async () => {
    const full = await startPrivatePg({ conf: ['max_connections = 3', 'superuser_reserved_connections = 0'] });
    const held: pg.Client[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const c = new pg.Client({ host: '127.0.0.1', port: full.port, user: 'postgres', password: full.password, database: 'postgres' });
        c.on('error', () => {});
        await c.connect();
        held.push(c);
      }
      for (const sslmode of ['disable', 'prefer'] as const) {
        const { result, results } = await runCheck('database.postgres.tls', pgTarget(pgDb({ ...su(full), sslmode, sslrootcert: undefined })));
        expect(result, sslmode).toMatchObject({ status: 'fail', messageId: 'tooManyConnections' });
        expect(result.message).toContain('sorry, too many clients already (SQLSTATE 53300)');
        expect(result.message).not.toMatch(/accepts plaintext/);
        expect(result.hint).toContain('max_connections');
        expect(results.find((r) => r.id === 'database.postgres.connect')!.status).toBe('pass');
      }
      for (const c of held.splice(0)) await c.end();
      // the ended sessions' backends exit a moment later; the tls probe and the login session (opened
      // beside it) need up to three slots at once: wait until the server counts no other client
      for (let i = 0; i < 50; i++) {
        const c = new pg.Client({ host: '127.0.0.1', port: full.port, user: 'postgres', password: full.password, database: 'postgres' });
        c.on('error', () => {});
        const n = await c.connect().then(() => c.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend'")).then((r) => r.rows[0].n as number, () => 99);
        await c.end().catch(() => {});
        if (n <= 1) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 150)); // (the counting session's own backend exits too)
      const { result: healthy } = await runCheck('database.postgres.tls', pgTarget(pgDb({ ...su(full), sslmode: 'disable', sslrootcert: undefined })));
      expect(healthy).toMatchObject({ status: 'pass', messageId: 'plaintext' });
    } finally { for (const c of held) await c.end().catch(() => {}); full.stop(); }
  });

  it('pg_hba.conf refusing the user with and without TLS: the sslmode is not the cause (pass), and the message does not claim plaintext is accepted', async () => {
    const p = await startPrivatePg({ tls: testCert('db-valid', { sans: ['localhost', 'IP:127.0.0.1'] }), hba: ['host all all 127.0.0.1/32 reject'] });
    try {
      const { result } = await runCheck('database.postgres.tls', pgTarget(pgDb({ ...su(p), sslmode: 'disable', sslrootcert: undefined })));
      expect(result.status).toBe('pass');
      expect(result.message).toMatch(/pg_hba\.conf on 127\.0\.0\.1:\d+ refuses postgres\/postgres from here with and without TLS/);
      expect(result.message).not.toMatch(/accepts plaintext/);
    } finally { p.stop(); }
  });

  it('sslrootcert=system is the system CA bundle with verify-full (as pgx reads it), not a file "system" missing here: the test CA is not in it, so untrusted', async () => {
    const { result } = await runCheck('database.postgres.tls', pgTarget(pgDb({ sslmode: 'require', sslrootcert: 'system' })));
    expect(result).toMatchObject({ status: 'fail', messageId: 'certUntrusted' });
    expect(result.message).toContain('sslrootcert=system, which also means verify-full');
    expect(result.hint).toContain('replace sslrootcert=system in configuration.database.options with sslrootcert=<CA file>');
    expect(result.details?.verify).toBe('full');
  });

  it('a server offering only TLS 1.0/1.1 is named as such', async () => {
    const { result } = await runCheck('database.postgres.tls', pgTarget(pgDb({ ...su(oldTls), sslmode: 'require', sslrootcert: undefined as never })));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('tlsVersion');
    expect(result.hint).toContain('ssl_min_protocol_version');
  });

  it('a stalled endpoint fails in connect (within the budget) and blocks the TLS check', async () => {
    const tb = getTestbed();
    const t0 = Date.now();
    const { result, results } = await runCheck('database.postgres.tls', pgTarget(pgDb({ host: tb.stall.host, port: tb.stall.port })), { timeoutMs: 3000 });
    expect(Date.now() - t0).toBeLessThan(6000);
    expect(results.find((r) => r.id === 'database.postgres.connect')?.messageId).toBe('noAnswer');
    expect(result.status).toBe('skip');
    expect(result.blockedBy).toBe('database.postgres.connect[flyteadmin]');
  });
});
