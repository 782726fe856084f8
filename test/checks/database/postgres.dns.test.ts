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

  it('a host:port or a connection URL in the host key: the host inside it is the fix (and the port only when the port key says another); with it the database answers', async () => {
    const db = pgDb();
    const other = db.port === 5432 ? 5433 : 5432;
    const cases: [string, RegExp, string][] = [
      [`${db.host}:${db.port}`, new RegExp(`has a port; the port is a setting of its own \\(configuration\\.database\\.port is already ${db.port}\\)`), `set configuration.database.host: ${db.host}`],
      [`${db.host}:${other}`, new RegExp(`\\(configuration\\.database\\.port is ${db.port}\\)`), `set configuration.database.host: ${db.host} and configuration.database.port: ${other}`],
      [`postgres://flyte@${db.host}:${db.port}/flyteadmin?sslmode=require`, /is a URL \(postgres:\/\/\); the setting takes the host name alone/, `set configuration.database.host: ${db.host}`],
    ];
    for (const [host, msg, hint] of cases) {
      const { result, results } = await runCheck('database.postgres.dns', pgTarget(pgDb({ host })));
      expect(result, host).toMatchObject({ status: 'fail', messageId: 'invalidName' });
      expect(result.message, host).toMatch(msg);
      expect(result.hint, host).toBe(hint);
      expect(results.length, host).toBeGreaterThan(0);
      // one fault: the DNS check of the same host finds the same (and, ranking first, is its root)
      const t = pgTarget(pgDb({ host }));
      t.provenance['databases[0].host'] = 'values.yaml: configuration.database.host';
      const dns = (await runCheck('dns.hosts.resolve', t, { instance: 'database-flyteadmin' })).result;
      expect(dns, host).toMatchObject({ status: 'fail', messageId: 'invalidName', cause: result.cause });
      expect(dns.message, host).toContain('(flyteadmin database host, values.yaml: configuration.database.host)');
      expect(dns.hint, host).toBe(`set configuration.database.host to ${db.host} in values.yaml${host.endsWith(`:${other}`) ? ` and configuration.database.port: ${other}` : ''}`);
    }
    const fixed = await runCheck('database.postgres.connect', pgTarget(pgDb({ host: db.host })));
    expect(fixed.result.status).toBe('pass');
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
      // the same fault dns.hosts.resolve reports (clusterInternal): one key, so one root cause
      expect(result.cause, host).toBe(`dns:${host}`);
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
