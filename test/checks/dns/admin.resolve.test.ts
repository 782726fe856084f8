// dns.admin.resolve against real resolvers: the test bed's dnsmasq and a DNS server of the test's own
// (test/checks/client/dns-server.ts) that answers SERVFAIL, NXDOMAIN through a CNAME, AAAA only,
// NOERROR without data, REFUSED, or nothing at all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bed, bedTarget, brief, run, runMany } from '../client/bed.js';
import { startDnsServer, type DnsServer } from '../client/dns-server.js';

const at = (host: string, port = 443) => bedTarget(port, { endpoint: `dns:///${host}:${port}`, host, port });

describe('dns.admin.resolve (dnsmasq on the test bed)', () => {
  it('passes for flyte.test through --dns-server, and says which resolver answered', async () => {
    const { result } = await run('dns.admin.resolve', bedTarget(bed().nginx.https));
    expect(result.status, brief(result)).toBe('pass');
    expect(result.messageId).toBe('resolved');
    expect(result.details?.addresses).toEqual(['127.0.0.1']);
    expect(result.message).toContain(`--dns-server ${bed().dns.server}`);
  });

  it('fails with NXDOMAIN for a missing name, keyed dns:<host>, and blocks the TLS checks', async () => {
    const t = at(bed().dns.nxdomain);
    const { result } = await run('dns.admin.resolve', t);
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('nxdomain');
    expect(result.message).toContain('NXDOMAIN');
    expect(result.cause).toBe(`dns:${bed().dns.nxdomain}`);
    expect(result.hint).toMatch(/create a DNS record/);
    const all = await runMany(['tls.*', 'client.*'], t);
    expect(all.find((r) => r.id === 'tls.admin.handshake')?.blockedBy).toBe('dns.admin.resolve');
    expect(all.find((r) => r.id === 'client.config.tls-mode')?.blockedBy).toBe('dns.admin.resolve');
  });

  it("a client host one typo away from the values' Ingress host: says so, and offers the corrected admin.endpoint", async () => {
    const t = at('flyte.tset', bed().nginx.https);
    t.provenance['client.endpoint'] = '/home/u/.flyte/config.yaml: admin.endpoint';
    const { result } = await run('dns.admin.resolve', t);
    expect(result).toMatchObject({ status: 'fail', messageId: 'dnsRefused' });
    expect(result.message).toContain(`the values' Ingress host is ${bed().nginx.host}, one typo away`);
    expect(result.hint).toContain(`set admin.endpoint: "dns:///${bed().nginx.host}:${bed().nginx.https}" in /home/u/.flyte/config.yaml`);
    // a name nowhere near the Ingress host: no such advice
    const far = (await run('dns.admin.resolve', at('flyte.example.com'))).result;
    expect(far.message).not.toContain('one typo away');
  });

  it('tells a refusing resolver from NXDOMAIN', async () => {
    const { result } = await run('dns.admin.resolve', at('flyte.example.com'));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('dnsRefused');
  });

  it('a resolver that is not there is a finding (fail), not an error, within the budget', async () => {
    const t = at('x.flyte.test');
    t.dnsServer = `${bed().stall.host}:${bed().closedPort}`; // UDP to a closed port
    const t0 = Date.now();
    const { result } = await run('dns.admin.resolve', t, { timeoutMs: 3000 });
    expect(Date.now() - t0).toBeLessThan(6000);
    expect(result.status, brief(result)).toBe('fail');
    // c-ares: ECONNREFUSED (ICMP port unreachable), no DNS server there; not the answer REFUSED
    expect(result.messageId).toBe('dnsUnreachable');
    expect(result.message).toContain(`no DNS server answers at ${t.dnsServer}`);
    expect(result.hint).toContain('leave --dns-server out');
  });

  it('an IP literal needs no resolution', async () => {
    const { result } = await run('dns.admin.resolve', at('127.0.0.1', bed().nginx.https));
    expect(result.messageId).toBe('ipLiteral');
  });
});

describe('dns.admin.resolve against a DNS server of the test\'s own', () => {
  let dns: DnsServer;
  beforeAll(async () => {
    dns = await startDnsServer({
      'ok.example': { a: ['127.0.0.1'] },
      'alias.example': { cname: 'ok.example' },
      'dangling.example': { cname: 'deleted-lb-123.elb.example' },
      'v6only.example': { aaaa: ['::1'] },
      'nodata.example': {},
      'broken.example': { rcode: 'SERVFAIL' },
      'refused.example': { rcode: 'REFUSED' },
      'slow.example': { silent: true },
      'notimp.example': { rcode: 'NOTIMP' },
      'formerr.example': { rcode: 'FORMERR' },
      'garbage.example': { garbage: true },
      'big.example': { truncated: true },
    });
  });
  afterAll(async () => { await dns?.stop(); });
  const via = (host: string) => { const t = at(host); t.dnsServer = dns.server; return t; };

  it.each([
    ['alias.example', 'pass', 'resolved', /through the CNAME ok\.example/],
    ['dangling.example', 'fail', 'danglingCname', /CNAME to deleted-lb-123\.elb\.example, which does not exist/],
    ['v6only.example', 'warn', 'ipv6Only', /only to IPv6 \(::1\).*no A record/],
    ['nodata.example', 'fail', 'noAddress', /no A or AAAA record/],
    ['broken.example', 'fail', 'servfail', /SERVFAIL/],
    ['refused.example', 'fail', 'dnsRefused', /refused/],
    ['missing.example', 'fail', 'nxdomain', /NXDOMAIN/],
    // the rest of what a resolver can answer: findings, never "could not run"
    ['notimp.example', 'fail', 'dnsNotImplemented', /does not implement the address query for notimp\.example \(NOTIMP\)/],
    ['formerr.example', 'fail', 'dnsBadAnswer', /answered the query for formerr\.example with FORMERR/],
    ['garbage.example', 'fail', 'dnsBadAnswer', /with something that is not a valid DNS answer \(EBADRESP\)/],
    ['big.example', 'fail', 'dnsTcpRefused', /over UDP with the truncation flag set .* and refuses DNS over TCP/],
  ] as const)('%s: %s %s', async (host, status, id, text) => {
    const { result } = await run('dns.admin.resolve', via(host));
    expect(result.status, brief(result)).toBe(status);
    expect(result.messageId).toBe(id);
    expect(result.message).toMatch(text);
    expect(result.message).toContain(`--dns-server ${dns.server}`);
    if (status !== 'pass') expect(result.cause).toBe(`dns:${host}`);
  });

  it('a resolver that never answers: dnsTimeout within the budget', async () => {
    const t0 = Date.now();
    const { result } = await run('dns.admin.resolve', via('slow.example'), { timeoutMs: 3000 });
    expect(result.messageId, brief(result)).toBe('dnsTimeout');
    expect(Date.now() - t0).toBeLessThan(3500);
  });

  it('a cluster-internal admin host: warn "cannot be checked from this machine" (--in-cluster), and the TLS/client checks skip instead of failing', async () => {
    const t = via('flyteadmin.flyte.svc.cluster.local');
    t.client.port = 81; t.client.endpoint = 'dns:///flyteadmin.flyte.svc.cluster.local:81'; t.client.insecure = true;
    t.endpoints = undefined;
    const rs = await runMany(['dns.admin.resolve', 'tls.*', 'client.*'], t);
    const d = rs.find((r) => r.id === 'dns.admin.resolve')!;
    expect(d.status, brief(d)).toBe('warn');
    expect(d.messageId).toBe('clusterInternal');
    expect(d.message).toContain('cannot be checked from this machine');
    expect(d.hint).toContain('--in-cluster');
    for (const r of rs.filter((x) => x.id !== 'dns.admin.resolve')) expect(['pass', 'skip'], brief(r)).toContain(r.status);
    expect(rs.find((r) => r.id === 'client.config.tls-mode')?.message).toContain('cannot be checked from this machine');
  });

  it('a single-label Service name is cluster-internal too', async () => {
    const t = via('flyteadmin');
    const { result } = await run('dns.admin.resolve', t);
    expect(result.messageId, brief(result)).toBe('clusterInternal');
  });
});
