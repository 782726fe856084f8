// search_path in the options: Flyte's driver sends it at login (the probe's session does not), so
// Flyte's tables go to its first usable schema, not to the role's default one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck } from '../../harness/run-check.js';
import { pgDb, pgTarget } from './pg-target.js';
import { sqlOf, su } from './pg-servers.js';

const ROLE = 'hy-u-sp', DB = 'hy-u-spdb', PW = 'hy-u-sp-pw-1';

describe('database.postgres.privileges: search_path in the options', () => {
  beforeAll(async () => {
    await su(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${ROLE}') THEN CREATE ROLE "${ROLE}"; END IF; END $$`);
    await su(`ALTER ROLE "${ROLE}" LOGIN PASSWORD '${PW}'`);
    if (!(await su(`SELECT 1 FROM pg_database WHERE datname = '${DB}'`)).length) await su(`CREATE DATABASE "${DB}" OWNER "${ROLE}"`);
    await su('CREATE SCHEMA IF NOT EXISTS flyte; GRANT USAGE ON SCHEMA flyte TO PUBLIC', DB);
  });
  afterAll(async () => {
    await su(`DROP DATABASE IF EXISTS "${DB}" WITH (FORCE)`);
    await su(`DROP ROLE IF EXISTS "${ROLE}"`);
  });
  const t = (searchPath: string) => pgTarget(pgDb({ user: ROLE, pw: PW, dbname: DB, runtimeParams: { search_path: searchPath } }));

  it('a schema that does not exist: noSchema naming the options key (the role itself may create in public: no pass)', async () => {
    const tb = getTestbed().postgres;
    const c = new pg.Client({ host: tb.host, port: tb.port, user: ROLE, password: PW, database: DB, options: '-c search_path=nosuch' });
    await c.connect();
    try { await expect(c.query('CREATE TABLE never_made(i int)')).rejects.toMatchObject({ code: '3F000' }); } finally { await c.end(); }
    expect((await runCheck('database.postgres.privileges', pgTarget(pgDb({ user: ROLE, pw: PW, dbname: DB })))).result.messageId).toBe('canCreate');

    const { result } = await runCheck('database.postgres.privileges', t('nosuch'));
    expect(result).toMatchObject({ status: 'fail', messageId: 'noSchema', cause: 'config:configuration.database.options' });
    expect(result.message).toContain('search_path=nosuch');
    expect(result.hint).toContain('remove search_path=nosuch from configuration.database.options');
    expect(sqlOf(result.hint)).toBe(`CREATE SCHEMA nosuch AUTHORIZATION "${ROLE}"`);
  });

  it('a schema the role may not create in: noCreateOnSchema with a GRANT on that schema, which works', async () => {
    const { result } = await runCheck('database.postgres.privileges', t('flyte, public'));
    expect(result).toMatchObject({ status: 'fail', messageId: 'noCreateOnSchema' });
    expect(result.message).toContain('schema flyte');
    const sql = sqlOf(result.hint);
    expect(sql).toBe(`GRANT CREATE ON SCHEMA flyte TO "${ROLE}"`);
    await su(sql, DB);
    expect((await runCheck('database.postgres.privileges', t('flyte, public'))).result).toMatchObject({ status: 'pass', messageId: 'canCreate', details: { schema: 'flyte' } });
  });
});
