// The client path on the healthy test bed: every dns/tls/client check (what flytectl/pyflyte depend
// on before their first call), through the real engine, auth off and on. The routing, auth and
// flyteadmin checks of the same path have their own tests (test/checks/ingress, auth, flyte).
import { describe, expect, it } from 'vitest';
import { bed, bedTarget, brief, runMany } from './bed.js';

const MINE = ['dns.admin.*', 'dns.hosts.*', 'tls.*', 'client.*'];

describe('healthy client path over TLS with the test CA', () => {
  it('auth off: everything passes; trust warns that the test CA is private', async () => {
    const rs = await runMany(MINE, bedTarget(bed().nginx.https));
    expect(rs.map((r) => r.id).sort()).toEqual(['client.config.endpoint', 'client.config.tls-mode', 'client.proxy.path', 'dns.admin.resolve', 'dns.hosts.resolve', 'tls.admin.expiry', 'tls.admin.handshake', 'tls.admin.hostname', 'tls.admin.trust']);
    for (const r of rs) {
      if (r.id === 'dns.hosts.resolve') expect(r.status, brief(r)).toBe('skip'); // no other host named
      else if (r.id === 'tls.admin.trust') expect(r.messageId, brief(r)).toBe('privateCa'); // the test CA is private: a warn by design
      else expect(r.status, brief(r)).toBe('pass');
    }
  });

  it('auth on (the auth backend behind its own TLS listener): the client path is the same', async () => {
    const t = bedTarget(bed().nginx.authHttps, { authType: 'Pkce' }, { auth: { enabled: true, oidcIssuer: bed().oidc.issuer, valuesKey: 'configuration.auth' } });
    const rs = await runMany(MINE, t);
    for (const r of rs) {
      if (r.id === 'tls.admin.trust') expect(r.messageId, brief(r)).toBe('privateCa');
      else expect(r.status, brief(r)).toBe('pass');
    }
  });

  it('preflight: DNS, TLS and client config run (the endpoint and its certificate exist before Flyte)', async () => {
    const rs = await runMany(MINE, bedTarget(bed().nginx.https), 'preflight');
    expect(rs.map((r) => r.id).sort()).toEqual(['client.config.endpoint', 'client.config.tls-mode', 'client.proxy.path', 'dns.admin.resolve', 'dns.hosts.resolve', 'tls.admin.expiry', 'tls.admin.handshake', 'tls.admin.hostname', 'tls.admin.trust']);
    for (const r of rs) expect(r.status, brief(r)).toBe(r.id === 'dns.hosts.resolve' ? 'skip' : r.id === 'tls.admin.trust' ? 'warn' : 'pass');
  });
});
