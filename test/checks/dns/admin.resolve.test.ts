import { describe, expect, it } from 'vitest';
import { bed, bedTarget, brief, run, runMany } from '../client/bed.js';

describe('dns.admin.resolve (dnsmasq on the test bed)', () => {
  it('passes for flyte.test through --dns-server', async () => {
    const { result } = await run('dns.admin.resolve', bedTarget(bed().nginx.https));
    expect(result.status, brief(result)).toBe('pass');
    expect(result.details?.addresses).toEqual(['127.0.0.1']);
  });

  it('fails with NXDOMAIN for a missing name and blocks the TLS checks', async () => {
    const t = bedTarget(443, { endpoint: `dns:///${bed().dns.nxdomain}`, host: bed().dns.nxdomain, port: 443 });
    const { result } = await run('dns.admin.resolve', t);
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('nxdomain');
    expect(result.message).toContain('NXDOMAIN');
    expect(result.hint).toMatch(/create a DNS record/);
    const all = await runMany(['tls.*'], t);
    expect(all.find((r) => r.id === 'tls.admin.handshake')?.blockedBy).toBe('dns.admin.resolve');
  });

  it('tells a refusing resolver from NXDOMAIN', async () => {
    const { result } = await run('dns.admin.resolve', bedTarget(443, { endpoint: 'dns:///flyte.example.com', host: 'flyte.example.com', port: 443 }));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('dnsRefused');
  });

  it('a resolver that is not there is a finding (fail), not an error, within the budget', async () => {
    const t = bedTarget(443, { endpoint: 'dns:///flyte.test', host: 'x.flyte.test', port: 443 });
    t.dnsServer = `${bed().stall.host}:${bed().closedPort}`; // UDP to a closed port
    const t0 = Date.now();
    const { result } = await run('dns.admin.resolve', t, { timeoutMs: 3000 });
    expect(Date.now() - t0).toBeLessThan(6000);
    expect(result.status, brief(result)).toBe('fail');
    expect(['dnsTimeout', 'dnsRefused']).toContain(result.messageId);
  });
});
