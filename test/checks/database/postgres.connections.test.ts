import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck } from '../../harness/run-check.js';
import { pgDb, pgTarget } from './pg-target.js';
import { dropDb, dropRole, ensureDb, ensureRole, su } from './pg-servers.js';

const ROLE = 'fd_db_conn_limited', DB = 'fd_db_conn_limited_db', PW = 'fd-db-conn-pw-1';

describe('database.postgres.connections', () => {
  beforeAll(async () => { await ensureRole(ROLE, PW, 'LOGIN CONNECTION LIMIT 5'); await ensureDb(DB, ROLE); });
  afterAll(async () => { await dropDb(DB); await dropRole(ROLE); });

  it('a role CONNECTION LIMIT below the pools: roleLimit with an ALTER ROLE the server accepts', async () => {
    const { result } = await runCheck('database.postgres.connections', pgTarget(pgDb({ user: ROLE, pw: PW, dbname: DB, maxOpenConnections: 10 })));
    expect(result.status).toBe('warn');
    expect(result.messageId).toBe('roleLimit');
    expect(result.hint).toContain(`ALTER ROLE ${ROLE} CONNECTION LIMIT 20`);
    await su(`ALTER ROLE ${ROLE} CONNECTION LIMIT 20`);
    await su(`ALTER DATABASE ${DB} CONNECTION LIMIT 3`);
    try {
      const db = await runCheck('database.postgres.connections', pgTarget(pgDb({ user: ROLE, pw: PW, dbname: DB, maxOpenConnections: 10 })));
      expect(db.result.messageId).toBe('databaseLimit');
      expect(db.result.hint).toContain(`ALTER DATABASE ${DB} CONNECTION LIMIT 20`);
    } finally { await su(`ALTER ROLE ${ROLE} CONNECTION LIMIT 5`); await su(`ALTER DATABASE ${DB} CONNECTION LIMIT -1`); }
  });

  it('small pools fit (max_connections 250 on the test bed)', async () => {
    const { result } = await runCheck('database.postgres.connections', pgTarget());
    expect(result.status).toBe('pass');
    expect(result.details?.maxConnections).toBe(250);
  });

  it('pools larger than the free connections on one server: warn', async () => {
    const tb = getTestbed().postgres;
    const { result } = await runCheck('database.postgres.connections', pgTarget(
      pgDb({ maxOpenConnections: 150 }),
      pgDb({ role: 'datacatalog', dbname: tb.databases.datacatalog, maxOpenConnections: 150 }),
    ));
    expect(result.status).toBe('warn');
    expect(result.messageId).toBe('insufficient');
    expect(result.details?.flyteMaxTotal).toBe(300);
    expect(result.hint).toContain('configuration.inline.database.maxOpenConnections');
  });
});
