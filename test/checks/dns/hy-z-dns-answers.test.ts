// dns.admin.resolve / dns.hosts.resolve against DNS answers that are not plain A records, from a DNS
// server of the test's own (real UDP DNS on 127.0.0.1): a CNAME loop, a chain of CNAMEs whose last
// name is missing, a private address (split horizon: what can and cannot be judged from here) and a
// wildcard zone under which a typo of the Ingress host resolves too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bed, bedTarget, brief, ingressFor, run } from '../client/bed.js';
import { startDnsServer, type Answer, type DnsServer } from '../client/dns-server.js';

const ZONE: Record<string, Answer> = {
  'loop.example.com': { cname: 'loop2.example.com' }, 'loop2.example.com': { cname: 'loop3.example.com' }, 'loop3.example.com': { cname: 'loop.example.com' },
  'chain.example.com': { cname: 'mid.example.com' }, 'mid.example.com': { cname: 'gone-lb.example.com' },
  'chainnodata.example.com': { cname: 'mid2.example.com' }, 'mid2.example.com': { cname: 'empty.example.com' }, 'empty.example.com': {},
  'single.example.com': { cname: 'deleted-lb.example.com' },
  'private.example.com': { a: ['10.20.30.40'] },
  'mixed.example.com': { a: ['203.0.113.7', '192.168.1.5'] },
  'public.example.com': { a: ['203.0.113.8'] },
  'own.wild.example.com': { a: ['127.0.0.2'] },
};
// *.wild.example.com answers every name (a wildcard record), except the names with their own record
const zone = new Proxy(ZONE, { get: (z, k: string) => z[k] ?? (k.endsWith('.wild.example.com') ? { a: ['127.0.0.1'] } : undefined) });

let dns: DnsServer;
beforeAll(async () => { dns = await startDnsServer(zone); });
afterAll(async () => { await dns.stop(); });

const at = (host: string, ingressHost?: string) => {
  const port = bed().nginx.https;
  const t = bedTarget(port, { endpoint: `dns:///${host}:${port}`, host, port }, ingressHost ? { ingress: ingressFor(port, { host: ingressHost, httpUrl: `https://${ingressHost}:${port}`, grpcAddress: `${ingressHost}:${port}` }) } : {});
  t.dnsServer = dns.server;
  return t;
};

describe('CNAME chains', () => {
  it('a CNAME loop is a loop (the whole chain shown), not a dangling record nor "give it an address"', async () => {
    const { result } = await run('dns.admin.resolve', at('loop.example.com'));
    expect(result.status, brief(result)).toBe('fail');
    expect(result.messageId).toBe('cnameLoop');
    expect(result.message).toContain('loop.example.com → loop2.example.com → loop3.example.com → loop.example.com');
    expect(result.hint).toContain('loop3.example.com → loop.example.com closes it');
    expect(result.details?.cnameChain).toEqual(['loop.example.com', 'loop2.example.com', 'loop3.example.com', 'loop.example.com']);
  });

  it('a chain ending in NXDOMAIN names the last name as the missing one, and the record to change', async () => {
    const { result } = await run('dns.admin.resolve', at('chain.example.com'));
    expect(result).toMatchObject({ status: 'fail', messageId: 'danglingCname' });
    expect(result.message).toContain('chain.example.com → mid.example.com → gone-lb.example.com');
    expect(result.message).toContain('gone-lb.example.com does not exist');
    expect(result.message).not.toMatch(/mid\.example\.com, which does not exist/);
    expect(result.hint).toMatch(/^point mid\.example\.com \(the CNAME to gone-lb\.example\.com\)/);
    expect(result.details?.cnameTarget).toBe('gone-lb.example.com');
  });

  it('a chain whose last name has no address says which name lacks it', async () => {
    const { result } = await run('dns.admin.resolve', at('chainnodata.example.com'));
    expect(result).toMatchObject({ status: 'fail', messageId: 'danglingCname' });
    expect(result.message).toContain('last name empty.example.com has no A/AAAA record');
    expect(result.hint).toContain('give empty.example.com an address record');
  });

  it('a single dangling CNAME keeps its finding', async () => {
    const { result } = await run('dns.admin.resolve', at('single.example.com'));
    expect(result).toMatchObject({ status: 'fail', messageId: 'danglingCname', details: { cnameTarget: 'deleted-lb.example.com' } });
  });
});

describe('a private address (split horizon)', () => {
  it('resolves, and says what cannot be judged from here: what clients on other networks get', async () => {
    const { result } = await run('dns.admin.resolve', at('private.example.com'));
    expect(result.status, brief(result)).toBe('pass');
    expect(result.messageId).toBe('resolvedPrivate');
    expect(result.message).toContain('10.20.30.40');
    expect(result.message).toContain('a private network address');
    expect(result.message).toContain('split-horizon DNS');
    expect(result.message).toContain('cannot be judged from here');
    expect(result.details?.private).toEqual(['10.20.30.40']);
  });

  it('names the private members of a mixed answer; a public answer stays plain', async () => {
    const mixed = (await run('dns.admin.resolve', at('mixed.example.com'))).result;
    expect(mixed.messageId).toBe('resolvedPrivate');
    expect(mixed.message).toContain('192.168.1.5 is a private network address');
    const pub = (await run('dns.admin.resolve', at('public.example.com'))).result;
    expect(pub.messageId).toBe('resolved');
  });
});

describe('a wildcard zone', () => {
  it('a typo of the Ingress host that resolves only through *.zone is a warning with the fix, not a pass', async () => {
    const t = at('flyet.wild.example.com', 'flyte.wild.example.com');
    t.provenance['client.endpoint'] = '/home/u/.flyte/config.yaml: admin.endpoint';
    const { result } = await run('dns.admin.resolve', t);
    expect(result.status, brief(result)).toBe('warn');
    expect(result.messageId).toBe('wildcardOnly');
    expect(result.message).toContain('a wildcard record *.wild.example.com');
    expect(result.message).toContain("The values' Ingress host is flyte.wild.example.com, one typo away");
    expect(result.hint).toContain(`dns:///flyte.wild.example.com:${bed().nginx.https}`);
    expect(result.details?.wildcardAddresses).toEqual(['127.0.0.1']);
  });

  it('a host with its own record under a wildcard zone, or the Ingress host itself, passes', async () => {
    const own = (await run('dns.admin.resolve', at('own.wild.example.com', 'flyte.wild.example.com'))).result;
    expect(own.messageId, brief(own)).toBe('resolved');
    const same = (await run('dns.admin.resolve', at('flyte.wild.example.com', 'flyte.wild.example.com'))).result;
    expect(same.messageId, brief(same)).toBe('resolved');
  });
});

describe('round robin with a dead member', () => {
  // servers of the test's own on 127.0.0.1 and 127.0.0.2 (port 32100, helper z's range); 127.0.0.3 has nothing
  const PORT = 32100;
  const servers: import('node:net').Server[] = [];
  beforeAll(async () => {
    const { createServer } = await import('node:net');
    for (const host of ['127.0.0.1', '127.0.0.2']) {
      const s = createServer((c) => c.destroy());
      await new Promise<void>((r) => s.listen(PORT, host, () => r()));
      servers.push(s);
    }
    ZONE['rr-dead.example.com'] = { a: ['127.0.0.3', '127.0.0.1'] };
    ZONE['rr-ok.example.com'] = { a: ['127.0.0.1', '127.0.0.2'] };
  });
  afterAll(async () => { for (const s of servers) await new Promise<void>((r) => s.close(() => r())); });
  const rr = (host: string) => {
    const t = bedTarget(PORT, { endpoint: `dns:///${host}:${PORT}`, host, port: PORT }, { ingress: ingressFor(PORT, { host, httpUrl: `https://${host}:${PORT}`, grpcAddress: `${host}:${PORT}` }) });
    t.dnsServer = dns.server;
    return t;
  };

  it('tries every address on the admin port: a member that refuses, next to one that accepts, is a warning naming it', async () => {
    const { result } = await run('dns.admin.resolve', rr('rr-dead.example.com'));
    expect(result.status, brief(result)).toBe('warn');
    expect(result.messageId).toBe('deadMember');
    expect(result.message).toContain(`127.0.0.3:${PORT} refuses connections (ECONNREFUSED)`);
    expect(result.message).toContain(`127.0.0.1:${PORT} accepts`);
    expect(result.hint).toMatch(/^remove 127\.0\.0\.3 from the DNS record of rr-dead\.example\.com/);
    expect(result.details?.open).toEqual(['127.0.0.1']);
  });

  it('every member accepting stays a pass', async () => {
    const { result } = await run('dns.admin.resolve', rr('rr-ok.example.com'));
    expect(result.messageId, brief(result)).toBe('resolved');
  });
});

describe('a wildcard zone, another name on purpose', () => {
  it('a host far from the Ingress host under a wildcard stays a pass, with the wildcard noted', async () => {
    const { result } = await run('dns.admin.resolve', at('grpc-api.wild.example.com', 'flyte.wild.example.com'));
    expect(result.messageId, brief(result)).toBe('resolved');
    expect(result.message).toContain('a wildcard record *.wild.example.com answers every name under it');
  });
});
