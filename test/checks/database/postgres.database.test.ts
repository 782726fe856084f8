import { describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck } from '../../harness/run-check.js';
import { pgDb, pgTarget } from './pg-target.js';

describe('database.postgres.database', () => {
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
});
