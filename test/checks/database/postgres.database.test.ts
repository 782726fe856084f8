import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck } from '../../harness/run-check.js';
import { pgDb, pgTarget } from './pg-target.js';
import { dropDb, ensureDb, sqlOf, su } from './pg-servers.js';

const NOCONNECT = 'fd_db_dbchk_noconnect', CLOSED = 'fd_db_dbchk_closed', LIMITED = 'fd_db_dbchk_limited';

describe('database.postgres.database', () => {
  beforeAll(async () => {
    for (const d of [NOCONNECT, CLOSED, LIMITED]) await ensureDb(d);
    await su(`REVOKE CONNECT ON DATABASE ${NOCONNECT} FROM PUBLIC`);
    await su(`ALTER DATABASE ${CLOSED} ALLOW_CONNECTIONS false`);
    await su(`ALTER DATABASE ${LIMITED} CONNECTION LIMIT 0`);
  });
  afterAll(async () => { for (const d of [NOCONNECT, CLOSED, LIMITED]) await dropDb(d); });

  it('passes when the database exists and reports its owner', async () => {
    const { result } = await runCheck('database.postgres.database', pgTarget());
    expect(result.status).toBe('pass');
    expect(result.details?.owner).toBe(getTestbed().postgres.owner.user);
  });

  it('a missing database with a role without CREATEDB fails (3D000) with the create command', async () => {
    const tb = getTestbed().postgres;
    const { result } = await runCheck('database.postgres.database', pgTarget(pgDb({ dbname: tb.missingDb, valuesKey: 'db.admin.database' })));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('missingNoCreatedb');
    expect(result.details?.sqlstate).toBe('3D000');
    expect(result.hint).toContain(`CREATE DATABASE ${tb.missingDb} OWNER ${tb.owner.user}`);
    expect(result.hint).toContain('db.admin.database.dbname');
  });

  it('a missing database with a superuser role is created by Flyte (preflight pass, verify fail)', async () => {
    const tb = getTestbed().postgres;
    const db = pgDb({ dbname: tb.missingDb, user: tb.superuser.user, pw: tb.superuser.password });
    const pre = await runCheck('database.postgres.database', pgTarget(db));
    expect(pre.result.status).toBe('pass');
    expect(pre.result.messageId).toBe('willBeCreated');
    const post = await runCheck('database.postgres.database', pgTarget(db), { phase: 'verify' });
    expect(post.result.status).toBe('fail');
    expect(post.result.messageId).toBe('missingAfterInstall');
  });

  it('a typo in the database name: the close database is named and offered; with CREATEDB it warns instead of passing on a new empty database', async () => {
    const tb = getTestbed().postgres;
    const typo = tb.databases.flyteadmin.slice(0, -1); // flyteadmi
    const owner = (await runCheck('database.postgres.database', pgTarget(pgDb({ dbname: typo })))).result;
    expect(owner).toMatchObject({ status: 'fail', messageId: 'missingNoCreatedb' });
    expect(owner.message).toContain(`databases with a close name on this server: ${tb.databases.flyteadmin}`);
    expect(owner.hint).toMatch(new RegExp(`^set configuration\\.database\\.dbname: ${tb.databases.flyteadmin}`));
    const su = (await runCheck('database.postgres.database', pgTarget(pgDb({ dbname: typo, user: tb.superuser.user, pw: tb.superuser.password })))).result;
    expect(su).toMatchObject({ status: 'warn', messageId: 'willBeCreatedNextToClose', cause: 'config:configuration.database.dbname' });
    expect(su.message).toContain('Flyte would start on a new, empty database');
    expect(su.details?.closeDatabases).toEqual([tb.databases.flyteadmin]);
  });

  it('CONNECT revoked (42501 at login): auth passes, this check fails with a GRANT the server accepts', async () => {
    const { result, results } = await runCheck('database.postgres.database', pgTarget(pgDb({ dbname: NOCONNECT })));
    expect(results.find((r) => r.id === 'database.postgres.auth')!.messageId).toBe('authenticatedDbRefused');
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('connectRevoked');
    expect(result.details?.sqlstate).toBe('42501');
    const sql = sqlOf(result.hint);
    expect(sql).toBe(`GRANT CONNECT ON DATABASE ${NOCONNECT} TO ${getTestbed().postgres.owner.user}`);
    await su(sql);
    try {
      expect((await runCheck('database.postgres.database', pgTarget(pgDb({ dbname: NOCONNECT })))).result.status).toBe('pass');
    } finally { await su(`REVOKE CONNECT ON DATABASE ${NOCONNECT} FROM ${getTestbed().postgres.owner.user}`); }
  });

  it('a database that does not accept connections (55000): the ALTER DATABASE the fix gives works', async () => {
    const { result } = await runCheck('database.postgres.database', pgTarget(pgDb({ dbname: CLOSED })));
    expect(result.messageId).toBe('notAcceptingConnections');
    await su(sqlOf(result.hint));
    try {
      expect((await runCheck('database.postgres.database', pgTarget(pgDb({ dbname: CLOSED })))).result.status).toBe('pass');
    } finally { await su(`ALTER DATABASE ${CLOSED} ALLOW_CONNECTIONS false`); }
  });

  it('a database at its CONNECTION LIMIT (53300): databaseConnectionLimit', async () => {
    const { result } = await runCheck('database.postgres.database', pgTarget(pgDb({ dbname: LIMITED })));
    expect(result.messageId).toBe('databaseConnectionLimit');
    await su(sqlOf(result.hint));
    try {
      expect((await runCheck('database.postgres.database', pgTarget(pgDb({ dbname: LIMITED })))).result.status).toBe('pass');
    } finally { await su(`ALTER DATABASE ${LIMITED} CONNECTION LIMIT 0`); }
  });
});
