// The test bed's dnsmasq zone, the stalling endpoint and the closed port.
import { Resolver } from 'node:dns/promises';
import { connect } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { getTestbed, type Testbed } from '../harness/testbed.js';
import { tcpOpen } from '../infra/common.js';

let tb: Testbed;
let r: Resolver;
beforeAll(() => {
  tb = getTestbed();
  r = new Resolver({ timeout: 2000, tries: 1 });
  r.setServers([tb.dns.server]);
});

describe('dnsmasq', () => {
  it('resolves the ingress, database and storage names to 127.0.0.1', async () => {
    for (const n of [tb.dns.names.ingress, tb.dns.names.database, tb.dns.names.storage]) {
      expect(await r.resolve4(n)).toEqual(['127.0.0.1']);
    }
    expect(tb.dns.names.ingress).toBe(tb.nginx?.host ?? 'flyte.test');
  });

  it('resolves the nowhere name to an address where nothing listens on the test bed ports', async () => {
    expect(await r.resolve4(tb.dns.names.nowhere)).toEqual([tb.dns.nowhereAddress]);
    const ports = [80, 443, tb.postgres.port, 19000, tb.nginx?.https ?? 18443, 16443];
    for (const p of ports) expect(await tcpOpen(p, tb.dns.nowhereAddress)).toBe(false);
  });

  it('answers NXDOMAIN (ENOTFOUND) for the nxdomain name', async () => {
    await expect(r.resolve4(tb.dns.nxdomain)).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('refuses names outside the test zone (no upstream: nothing leaves the machine)', async () => {
    await expect(r.resolve4('example.com')).rejects.toMatchObject({ code: 'EREFUSED' });
  });
});

describe('stall and closed port', () => {
  it('the stall endpoint accepts and never answers', async () => {
    const got = await new Promise<{ connected: boolean; bytes: number; closed: boolean }>((res) => {
      const s = connect({ host: tb.stall.host, port: tb.stall.port });
      let connected = false, bytes = 0, closed = false;
      s.on('connect', () => { connected = true; s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'); });
      s.on('data', (d) => { bytes += d.length; });
      s.on('close', () => { closed = true; });
      s.on('error', () => {});
      setTimeout(() => { s.destroy(); res({ connected, bytes, closed }); }, 1500);
    });
    expect(got).toEqual({ connected: true, bytes: 0, closed: false });
  });

  it('nothing listens on the closed port (ECONNREFUSED)', async () => {
    const err = await new Promise<NodeJS.ErrnoException>((res) => {
      const s = connect({ host: '127.0.0.1', port: tb.closedPort });
      s.on('error', res);
      s.on('connect', () => { s.destroy(); res(Object.assign(new Error('connected'), { code: 'CONNECTED' })); });
    });
    expect(err.code).toBe('ECONNREFUSED');
  });
});
