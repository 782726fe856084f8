import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck } from '../../harness/run-check.js';
import { pgDb, pgTarget } from './pg-target.js';

// A scratch database (made by the test with the superuser, dropped afterwards) holds a migrations
// table like flyteadmin's; the shared flyteadmin/datacatalog databases are never written.
const scratch = `fd_migr_${process.pid}`;
const empty = `fd_migr_empty_${process.pid}`;
const unreadable = 'fd_db_migr_unreadable', foreign = 'fd_db_migr_foreign'; // an un-migrated database (the shared ones may be migrated by `testbed:up --install`)
function su(sql: string, db = 'postgres'): void {
  const tb = getTestbed().postgres;
  const psql = ['/usr/lib/postgresql/15/bin/psql', '/usr/bin/psql'].find((p) => { try { execFileSync(p, ['--version']); return true; } catch { return false; } }) ?? 'psql';
  execFileSync(psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', join(getTestbed().dir, 'pg', 'main'), '-p', String(tb.port), '-U', tb.superuser.user, '-d', db, '-c', sql], { stdio: 'pipe' });
}

describe('database.postgres.migrations (verify)', () => {
  beforeAll(() => {
    const tb = getTestbed().postgres;
    su(`DROP DATABASE IF EXISTS ${scratch}`);
    su(`CREATE DATABASE ${scratch} OWNER ${tb.owner.user}`);
    su(`DROP DATABASE IF EXISTS ${empty}`);
    su(`CREATE DATABASE ${empty} OWNER ${tb.owner.user}`);
    for (const d of [unreadable, foreign]) { su(`DROP DATABASE IF EXISTS ${d}`); su(`CREATE DATABASE ${d} OWNER ${tb.owner.user}`); }
    su(`CREATE TABLE migrations (id varchar(255) PRIMARY KEY); REVOKE ALL ON migrations FROM PUBLIC`, unreadable); // owned by the superuser
    su(`SET ROLE ${tb.owner.user}; CREATE TABLE migrations (version int, applied_at timestamptz)`, foreign); // another tool's table
    su(`SET ROLE ${tb.owner.user}; CREATE TABLE migrations (id varchar(255) PRIMARY KEY); INSERT INTO migrations VALUES ('2019-05-22-projects'), ('2024-01-01-something'), ('2025-05-29-add-index-executions-phase')`, scratch);
  });
  afterAll(() => { for (const d of [scratch, empty, unreadable, foreign]) su(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`); });

  it('a migrations table the role may not read (42501): migrationsUnreadable, with an ALTER TABLE the server accepts', async () => {
    const { result } = await runCheck('database.postgres.migrations', pgTarget(pgDb({ dbname: unreadable })), { phase: 'verify' });
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('migrationsUnreadable');
    expect(result.details?.sqlstate).toBe('42501');
    const sql = /-c "([^"]+)"/.exec(result.hint ?? '')![1]!;
    su(sql, unreadable);
    expect((await runCheck('database.postgres.migrations', pgTarget(pgDb({ dbname: unreadable })), { phase: 'verify' })).result.messageId).toBe('emptyMigrations');
  });

  it("another application's migrations table (no id column, 42703): foreignMigrationsTable", async () => {
    const { result } = await runCheck('database.postgres.migrations', pgTarget(pgDb({ dbname: foreign })), { phase: 'verify' });
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('foreignMigrationsTable');
    expect(result.details?.sqlstate).toBe('42703');
  });

  it('an un-migrated flyteadmin database fails: no migrations table', async () => {
    const { result } = await runCheck('database.postgres.migrations', pgTarget(pgDb({ dbname: empty })), { phase: 'verify' });
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('noMigrationsTable');
  });

  it('reports the count and the latest applied migration id', async () => {
    const { result } = await runCheck('database.postgres.migrations', pgTarget(pgDb({ dbname: scratch })), { phase: 'verify' });
    expect(result.status).toBe('pass');
    expect(result.details).toMatchObject({ applied: 3, latest: '2025-05-29-add-index-executions-phase', knownLatestApplied: true });
  });

  it('datacatalog: missing AutoMigrate tables fail', async () => {
    const { result } = await runCheck('database.postgres.migrations', pgTarget(pgDb({ role: 'datacatalog', dbname: empty })), { phase: 'verify' });
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('datacatalogTablesMissing');
  });

  it('is not part of preflight', async () => {
    await expect(runCheck('database.postgres.migrations', pgTarget(), { phase: 'preflight' })).rejects.toThrow();
  });
});
