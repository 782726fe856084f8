import { describe, expect, it } from 'vitest';
import { bed, bedTarget, brief, run } from '../client/bed.js';

describe('dns.hosts.resolve', () => {
  const target = () => bedTarget(bed().nginx.https, {}, {
    databases: [{ role: 'flyteadmin', host: bed().dns.names.database, port: 5432, dbname: 'flyteadmin', user: 'flyte', valuesKey: 'configuration.database' }],
    storage: { provider: 's3', endpoint: `http://${bed().dns.nxdomain}:9000`, authType: 'accesskey', signedUrlKey: 'x', valuesKey: 'configuration.storage' },
    auth: { enabled: true, oidcIssuer: `https://${bed().dns.names.nowhere}/oidc`, valuesKey: 'configuration.auth' },
  });

  it('resolves each named host as its own instance', async () => {
    const { result } = await run('dns.hosts.resolve', target(), { phase: 'preflight', instance: 'database-flyteadmin' });
    expect(result.status, brief(result)).toBe('pass');
    expect(result.messageId).toBe('resolved');
    expect(result.message).toContain(bed().dns.names.database);
  });

  it('NXDOMAIN for the storage endpoint host, keyed dns:<host>', async () => {
    const { result } = await run('dns.hosts.resolve', target(), { phase: 'preflight', instance: 'storage' });
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('nxdomain');
    expect(result.hint).toContain(bed().dns.nxdomain);
    expect(result.cause).toBe(`dns:${bed().dns.nxdomain}`);
  });

  it('the nowhere name resolves (to an address where nothing listens)', async () => {
    const { result } = await run('dns.hosts.resolve', target(), { phase: 'preflight', instance: 'oidc' });
    expect(result.status, brief(result)).toBe('pass');
    expect(result.details?.addresses).toEqual([bed().dns.nowhereAddress]);
  });

  it('with auth off the OIDC issuer is not named (a chart default Flyte never contacts, e.g. flyte-core\'s accounts.google.com): no instance, never a fail', async () => {
    const t = target();
    t.auth = { ...t.auth, enabled: false, oidcIssuer: `https://${bed().dns.nxdomain}` };
    const { results } = await run('dns.hosts.resolve', t, { phase: 'preflight' });
    expect(results.filter((r) => r.id === 'dns.hosts.resolve').map((r) => r.instance).sort()).toEqual(['database-flyteadmin', 'storage']);
    t.auth.enabled = true;
    const on = (await run('dns.hosts.resolve', t, { phase: 'preflight', instance: 'oidc' })).result;
    expect(on).toMatchObject({ status: 'fail', messageId: 'nxdomain' });
  });

  it('a cluster-internal database host: warn that it cannot be checked from here, never a fail', async () => {
    const t = target();
    t.databases[0]!.host = 'postgres.flyte.svc.cluster.local';
    const { result } = await run('dns.hosts.resolve', t, { phase: 'preflight', instance: 'database-flyteadmin' });
    expect(result.status, brief(result)).toBe('warn');
    expect(result.messageId).toBe('clusterInternal');
    expect(result.message).toContain('cannot be checked from this machine');
  });
});
