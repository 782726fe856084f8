import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck } from '../../harness/run-check.js';
import { pgDb, pgTarget } from './pg-target.js';

// A scratch database (made by the test with the superuser, dropped afterwards) holds a migrations
// table like flyteadmin's; the shared flyteadmin/datacatalog databases are never written.
const scratch = `fd_migr_${process.pid}`;
const empty = `fd_migr_empty_${process.pid}`; // an un-migrated database (the shared ones may be migrated by `testbed:up --install`)
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
    su(`SET ROLE ${tb.owner.user}; CREATE TABLE migrations (id varchar(255) PRIMARY KEY); INSERT INTO migrations VALUES ('2019-05-22-projects'), ('2024-01-01-something'), ('2025-05-29-add-index-executions-phase')`, scratch);
  });
  afterAll(() => { su(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`); su(`DROP DATABASE IF EXISTS ${empty} WITH (FORCE)`); });

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
