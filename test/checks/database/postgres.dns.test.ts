import { describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck } from '../../harness/run-check.js';
import { pgDb, pgTarget } from './pg-target.js';

describe('database.postgres.dns', () => {
  it('passes for an IP literal and for a name in the test zone', async () => {
    const ip = await runCheck('database.postgres.dns', pgTarget());
    expect(ip.result.status).toBe('pass');
    expect(ip.result.messageId).toBe('ipLiteral');
    const named = await runCheck('database.postgres.dns', pgTarget(pgDb({ host: getTestbed().dns.names.database })));
    expect(named.result.status).toBe('pass');
    expect(named.result.details?.addresses).toContain('127.0.0.1');
  });

  it('a host with whitespace around it: invalid, the whitespace named, the fix the host without it', async () => {
    const { result } = await runCheck('database.postgres.dns', pgTarget(pgDb({ host: '127.0.0.1 ' })));
    expect(result).toMatchObject({ status: 'fail', messageId: 'invalidName' });
    expect(result.message).toMatch(/the database host "127\.0\.0\.1 " is not a valid host name: it ends with a space/);
    expect(result.hint).toContain('to "127.0.0.1", with nothing around it');
  });

  it('fails on NXDOMAIN and names the host key', async () => {
    const { result } = await runCheck('database.postgres.dns', pgTarget(pgDb({ host: getTestbed().dns.nxdomain })));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('nxdomain');
    expect(result.hint).toContain('configuration.database.host');
  });

  it('a cluster-internal name that does not resolve here: warn, cannot be checked from this machine (--in-cluster)', async () => {
    for (const host of ['flyte-db.flyte.svc.cluster.local', 'postgres.flyte.svc', 'postgres']) {
      const { result } = await runCheck('database.postgres.dns', pgTarget(pgDb({ host })));
      expect(result.status, host).toBe('warn');
      expect(result.messageId, host).toBe('notFromHere');
      expect(result.hint, host).toContain('--in-cluster');
      expect(result.cause, host).toBe(`unreachable:${host}:${getTestbed().postgres.port}`);
    }
  });

  it('inside the cluster (--in-cluster) the same name not resolving is a failure', async () => {
    const t = pgTarget(pgDb({ host: 'flyte-db.flyte.svc.cluster.local' }));
    (t as { inCluster?: boolean }).inCluster = true;
    const { result } = await runCheck('database.postgres.dns', t);
    expect(result.status).toBe('fail');
    expect(result.hint).toContain('configuration.database.host');
  });
});
