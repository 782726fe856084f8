import { describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck } from '../../harness/run-check.js';
import { pgDb, pgTarget } from './pg-target.js';

describe('database.postgres.privileges', () => {
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
});
