import { describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck } from '../../harness/run-check.js';
import { pgDb, pgTarget } from './pg-target.js';

describe('database.postgres.auth', () => {
  it('the owner authenticates over TLS (verify-full)', async () => {
    const { result } = await runCheck('database.postgres.auth', pgTarget());
    expect(result.status).toBe('pass');
    expect(result.details?.tls).toBe(true);
  });

  it('one server hosting both databases: both instances authenticate', async () => {
    const tb = getTestbed().postgres;
    const { results } = await runCheck('database.postgres.auth', pgTarget(pgDb(), pgDb({ role: 'datacatalog', dbname: tb.databases.datacatalog, valuesKey: 'db.datacatalog.database' })));
    const mine = results.filter((r) => r.id === 'database.postgres.auth');
    expect(mine.map((r) => [r.instance, r.status])).toEqual([['datacatalog', 'pass'], ['flyteadmin', 'pass']]);
  });

  it('a wrong password is 28P01, names the password key and never prints the password', async () => {
    const tb = getTestbed().postgres;
    const { result } = await runCheck('database.postgres.auth', pgTarget(pgDb({ user: tb.wrongPasswordUser, pw: 'not-the-password-xyz' })));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('passwordRejected');
    expect(result.message).toContain('28P01');
    expect(result.hint).toContain('configuration.database.password');
    expect(JSON.stringify(result)).not.toContain('not-the-password-xyz'); // runCheck also asserts this for every secret
  });

  it('a plaintext login on the TLS-only listener (sslmode=allow falls back) authenticates', async () => {
    const { result } = await runCheck('database.postgres.auth', pgTarget(pgDb({ port: getTestbed().postgres.tlsOnlyPort, sslmode: 'allow', sslrootcert: undefined as never })));
    expect(result.status).toBe('pass');
    expect(result.details?.tls).toBe(true);
  });

  it('a missing database still authenticates and says so', async () => {
    const { result } = await runCheck('database.postgres.auth', pgTarget(pgDb({ dbname: getTestbed().postgres.missingDb })));
    expect(result.status).toBe('pass');
    expect(result.messageId).toBe('authenticatedDbRefused');
    expect(result.message).toContain('3D000');
  });
});
