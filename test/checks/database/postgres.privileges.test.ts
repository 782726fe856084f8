import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck } from '../../harness/run-check.js';
import { pgDb, pgTarget } from './pg-target.js';
import { dropDb, dropRole, ensureDb, ensureRole, sqlOf, startPrivatePg, su, type PrivatePg } from './pg-servers.js';

const RO = 'fd_db_priv_ro', RODB = 'fd_db_priv_rodb';
const NOSCH = 'fd_db_priv_nosch', NOSCHDB = 'fd_db_priv_noschdb';
const FOREIGN = 'fd_db_priv_foreign';
const PW = 'fd-db-priv-pw-1';

describe('database.postgres.privileges', () => {
  let standby: PrivatePg;
  beforeAll(async () => {
    await ensureRole(RO, PW);
    await ensureDb(RODB, RO);
    await su(`ALTER ROLE ${RO} SET default_transaction_read_only = on`);
    await ensureRole(NOSCH, PW);
    await ensureDb(NOSCHDB, NOSCH);
    await su(`ALTER ROLE ${NOSCH} SET search_path = nowhere`);
    await ensureDb(FOREIGN, getTestbed().postgres.owner.user);
    await su('DROP TABLE IF EXISTS public.executions; CREATE TABLE public.executions (id int)', FOREIGN); // owned by the bootstrap superuser
    standby = await startPrivatePg({ standby: true });
  });
  afterAll(async () => {
    for (const d of [RODB, NOSCHDB, FOREIGN]) await dropDb(d);
    for (const r of [RO, NOSCH]) await dropRole(r);
    standby?.stop();
  });

  it('the database owner may create tables (PostgreSQL 15: owner of public via pg_database_owner)', async () => {
    const { result } = await runCheck('database.postgres.privileges', pgTarget());
    expect(result.status).toBe('pass');
    expect(result.details?.schema).toBe('public');
  });

  it('a role without CREATE on public fails and gets the GRANT', async () => {
    const tb = getTestbed().postgres;
    const { result } = await runCheck('database.postgres.privileges', pgTarget(pgDb({ user: tb.noCreate.user, pw: tb.noCreate.password })));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('noCreateOnSchema');
    expect(result.hint).toContain(`GRANT CREATE ON SCHEMA public TO ${tb.noCreate.user}`);
    expect(result.details?.schemaCreate).toBe(false);
  });

  it('read-only sessions (default_transaction_read_only on the role): the RESET the fix gives works', async () => {
    const { result } = await runCheck('database.postgres.privileges', pgTarget(pgDb({ user: RO, pw: PW, dbname: RODB })));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('readOnlyTransactions');
    expect(result.message).toContain(`set by role ${RO}`);
    const sql = sqlOf(result.hint);
    expect(sql).toBe(`ALTER ROLE ${RO} RESET default_transaction_read_only`);
    await su(sql);
    try {
      expect((await runCheck('database.postgres.privileges', pgTarget(pgDb({ user: RO, pw: PW, dbname: RODB })))).result.status).toBe('pass');
    } finally { await su(`ALTER ROLE ${RO} SET default_transaction_read_only = on`); }
  });

  it.each([
    ['database', `ALTER DATABASE ${RODB} SET default_transaction_read_only = on`, `ALTER DATABASE ${RODB} RESET default_transaction_read_only`],
    ['role in database', `ALTER ROLE ${RO} IN DATABASE ${RODB} SET default_transaction_read_only = on`, `ALTER ROLE ${RO} IN DATABASE ${RODB} RESET default_transaction_read_only`],
  ])('read-only sessions set on the %s: the fix resets it there', async (_where, set, reset) => {
    await su(`ALTER ROLE ${RO} RESET default_transaction_read_only`);
    await su(set);
    try {
      const { result } = await runCheck('database.postgres.privileges', pgTarget(pgDb({ user: RO, pw: PW, dbname: RODB })));
      expect(result.messageId).toBe('readOnlyTransactions');
      expect(sqlOf(result.hint)).toBe(reset);
      await su(sqlOf(result.hint));
      expect((await runCheck('database.postgres.privileges', pgTarget(pgDb({ user: RO, pw: PW, dbname: RODB })))).result.status).toBe('pass');
    } finally { await su(reset); await su(`ALTER ROLE ${RO} SET default_transaction_read_only = on`); }
  });

  it('a role without USAGE nor CREATE on public: the GRANT the fix gives lets it create tables', async () => {
    await su(`REVOKE ALL ON SCHEMA public FROM PUBLIC; REVOKE ALL ON SCHEMA public FROM ${RO}`, NOSCHDB);
    await su(`ALTER ROLE ${RO} RESET default_transaction_read_only`);
    try {
      const { result } = await runCheck('database.postgres.privileges', pgTarget(pgDb({ user: RO, pw: PW, dbname: NOSCHDB })));
      expect(result.messageId).toBe('noCreateOnSchema');
      expect(sqlOf(result.hint)).toBe(`GRANT USAGE, CREATE ON SCHEMA public TO ${RO}`);
      await su(sqlOf(result.hint), NOSCHDB);
      expect((await runCheck('database.postgres.privileges', pgTarget(pgDb({ user: RO, pw: PW, dbname: NOSCHDB })))).result.status).toBe('pass');
    } finally { await su(`ALTER ROLE ${RO} SET default_transaction_read_only = on`); }
  });

  it('a replica (pg_is_in_recovery): readReplica, points at the primary', async () => {
    const { result } = await runCheck('database.postgres.privileges', pgTarget(pgDb({ port: standby.port, user: 'postgres', pw: standby.password, dbname: 'postgres', sslmode: 'disable' })));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('readReplica');
    expect(result.hint).toContain('configuration.database.host');
    expect(result.hint).toMatch(/writer/);
  });

  it('a search_path without an existing schema: noSchema, with an ALTER ROLE the server accepts', async () => {
    const { result } = await runCheck('database.postgres.privileges', pgTarget(pgDb({ user: NOSCH, pw: PW, dbname: NOSCHDB })));
    expect(result.messageId).toBe('noSchema');
    await su(sqlOf(result.hint), NOSCHDB);
    try {
      expect((await runCheck('database.postgres.privileges', pgTarget(pgDb({ user: NOSCH, pw: PW, dbname: NOSCHDB })))).result.status).toBe('pass');
    } finally { await su(`ALTER ROLE ${NOSCH} SET search_path = nowhere`); }
  });

  it('tables owned by the bootstrap superuser: the fix hands them over table by table (REASSIGN OWNED BY postgres is refused)', async () => {
    const owner = getTestbed().postgres.owner.user;
    const { result } = await runCheck('database.postgres.privileges', pgTarget(pgDb({ dbname: FOREIGN })));
    expect(result.status).toBe('warn');
    expect(result.messageId).toBe('foreignTables');
    expect(result.hint).not.toContain('REASSIGN OWNED');
    await expect(su(`REASSIGN OWNED BY postgres TO ${owner}`, FOREIGN)).rejects.toThrow(/required by the database system/);
    const sql = sqlOf(result.hint);
    expect(sql).toBe(`ALTER TABLE public.executions OWNER TO ${owner}`);
    await su(sql, FOREIGN);
    expect((await runCheck('database.postgres.privileges', pgTarget(pgDb({ dbname: FOREIGN })))).result.messageId).toBe('canCreate');
  });
});
