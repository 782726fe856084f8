// Read-only sessions where this check's own login does not see them, or sees them where Flyte's do
// not: default_transaction_read_only in the options Flyte's driver sends at login (the probe's
// session sends none), and set by ALTER SYSTEM (postgresql.auto.conf overrides postgresql.conf).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck } from '../../harness/run-check.js';
import { pgDb, pgTarget } from './pg-target.js';
import { type PrivatePg, sqlOf, startPrivatePg, su } from './pg-servers.js';

const RO = 'hy-u-ro', RODB = 'hy-u-rodb', PW = 'hy-u-ro-pw-1';

describe('database.postgres.privileges: read-only sessions Flyte\'s driver gets', () => {
  beforeAll(async () => {
    await su(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${RO}') THEN CREATE ROLE "${RO}"; END IF; END $$`);
    await su(`ALTER ROLE "${RO}" LOGIN PASSWORD '${PW}'`);
    if (!(await su(`SELECT 1 FROM pg_database WHERE datname = '${RODB}'`)).length) await su(`CREATE DATABASE "${RODB}" OWNER "${RO}"`);
    await su(`ALTER ROLE "${RO}" SET default_transaction_read_only = on`);
  });
  afterAll(async () => {
    await su(`DROP DATABASE IF EXISTS "${RODB}" WITH (FORCE)`);
    await su(`DROP ROLE IF EXISTS "${RO}"`);
  });

  it('default_transaction_read_only=on in the options: the server makes Flyte\'s sessions read-only (25006); the finding names the options key, not a pass', async () => {
    const tb = getTestbed().postgres;
    // What Flyte's driver meets: the setting sent at login makes CREATE TABLE fail with 25006.
    const c = new pg.Client({ host: tb.host, port: tb.port, user: tb.owner.user, password: tb.owner.password, database: tb.databases.flyteadmin, options: '-c default_transaction_read_only=on' });
    await c.connect();
    try { await expect(c.query('CREATE TABLE "hy-u-never"(i int)')).rejects.toMatchObject({ code: '25006' }); } finally { await c.end(); }

    const { result } = await runCheck('database.postgres.privileges', pgTarget(pgDb({ runtimeParams: { default_transaction_read_only: 'on' } })));
    expect(result).toMatchObject({ status: 'fail', messageId: 'readOnlyTransactions', cause: 'config:configuration.database.options' });
    expect(result.message).toContain('default_transaction_read_only=on');
    expect(result.message).toContain('25006');
    expect(result.hint).toBe('remove default_transaction_read_only=on from configuration.database.options');
  });

  it('the role\'s sessions are read-only but the options turn it off for Flyte\'s: not a read-only finding', async () => {
    const plain = await runCheck('database.postgres.privileges', pgTarget(pgDb({ user: RO, pw: PW, dbname: RODB })));
    expect(plain.result.messageId).toBe('readOnlyTransactions');
    const { result } = await runCheck('database.postgres.privileges', pgTarget(pgDb({ user: RO, pw: PW, dbname: RODB, runtimeParams: { default_transaction_read_only: 'off' } })));
    expect(result).toMatchObject({ status: 'pass', messageId: 'canCreate' });
    expect(String(result.details?.note)).toContain('overridden by default_transaction_read_only=off');
  });

  describe('set by ALTER SYSTEM (a server of its own)', () => {
    let p: PrivatePg;
    beforeAll(async () => { p = await startPrivatePg({ setup: ['CREATE DATABASE flyteadmin', 'ALTER SYSTEM SET default_transaction_read_only = on', 'SELECT pg_reload_conf()'] }); await new Promise((r) => setTimeout(r, 300)); });
    afterAll(() => p?.stop());

    it('the fix is ALTER SYSTEM RESET (postgresql.auto.conf overrides postgresql.conf), and it works', async () => {
      const t = () => pgTarget(pgDb({ port: p.port, user: 'postgres', pw: p.password, dbname: 'flyteadmin', sslmode: 'disable', sslrootcert: undefined }));
      const { result } = await runCheck('database.postgres.privileges', t());
      expect(result).toMatchObject({ status: 'fail', messageId: 'readOnlyTransactions' });
      expect(result.message).toContain('postgresql.auto.conf');
      const sql = sqlOf(result.hint);
      expect(sql).toBe('ALTER SYSTEM RESET default_transaction_read_only');
      expect(result.hint).toContain('pg_reload_conf()');
      p.psql(sql); p.psql('SELECT pg_reload_conf()');
      await new Promise((r) => setTimeout(r, 300));
      expect((await runCheck('database.postgres.privileges', t())).result).toMatchObject({ status: 'pass', messageId: 'canCreate' });
    });
  });
});
