// The whole network path on the healthy test bed: every dns/tls/client/ingress/auth check plus the
// flyteadmin version checks, in verify, through the real engine.
import { describe, expect, it } from 'vitest';
import { bed, bedTarget, brief, runMany } from './bed.js';

const ALL = ['dns.admin.*', 'dns.hosts.*', 'tls.*', 'client.*', 'ingress.*', 'auth.*', 'flyte.admin.*'];

describe('healthy path over TLS with the test CA', () => {
  it('auth off: everything passes (auth checks skip: auth is not enabled)', async () => {
    const rs = await runMany(ALL, bedTarget(bed().nginx.https));
    for (const r of rs) {
      if (r.area === 'auth' || r.id === 'dns.hosts.resolve') expect(r.status, brief(r)).toBe('skip'); // auth off; no other host named
      else expect(r.status, brief(r)).toBe('pass');
    }
    expect(rs.find((r) => r.id === 'flyte.admin.grpc')?.details?.version).toBe(bed().admin.version);
    expect(rs.find((r) => r.id === 'flyte.admin.http')?.details?.version).toBe(bed().admin.version);
  });

  it('auth on: routing passes (401/UNAUTHENTICATED), discovery passes', async () => {
    const t = bedTarget(bed().nginx.authHttps, { authType: 'Pkce' }, { auth: { enabled: true, oidcIssuer: bed().oidc.issuer, valuesKey: 'configuration.auth' } });
    const rs = await runMany(ALL, t);
    for (const r of rs) expect(['pass'], brief(r)).toContain(r.status === 'skip' && r.id === 'dns.hosts.resolve' ? 'pass' : r.status);
    expect(rs.filter((r) => r.messageId === 'authRequired').map((r) => r.id).sort()).toEqual(['flyte.admin.grpc', 'flyte.admin.http', 'ingress.grpc.admin', 'ingress.http.api']);
  });

  it('preflight: DNS, TLS and client config run (the endpoint and its certificate exist before Flyte); routing and auth discovery wait for verify', async () => {
    const rs = await runMany(ALL, bedTarget(bed().nginx.https), 'preflight');
    expect(rs.map((r) => r.id).sort()).toEqual(['auth.client.type', 'auth.oidc.issuer', 'client.config.endpoint', 'client.config.tls-mode', 'dns.admin.resolve', 'dns.hosts.resolve', 'ingress.annotations.grpc',
      'tls.admin.expiry', 'tls.admin.handshake', 'tls.admin.hostname', 'tls.admin.trust']);
    for (const r of rs) expect(r.status, brief(r)).toBe(['auth.client.type', 'auth.oidc.issuer', 'dns.hosts.resolve'].includes(r.id) ? 'skip' : 'pass');
  });
});
