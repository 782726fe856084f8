// A path that delivers the first bytes of the database's TLS answer and loses the rest (an MTU
// black hole: a VPN or tunnel with a smaller MTU where ICMP "fragmentation needed" is blocked), in
// front of the bed's real PostgreSQL: a relay passes the client's bytes whole and only the first
// 61 bytes of the server's (the 'S' and 60 of its TLS flight) back. The finding says the handshake
// started and stopped with the byte count, and names the path, not "no answer".
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcp, type Running } from '../../harness/private-servers.js';
import { getTestbed } from '../../harness/testbed.js';
import { runMany } from '../client/bed.js';
import { pgDb, pgTarget } from './pg-target.js';

let relay: Running;
beforeAll(async () => {
  const pg = getTestbed().postgres;
  relay = await startTcp((c) => {
    const up = connect(pg.port, pg.host);
    up.on('error', () => c.destroy());
    c.on('close', () => up.destroy());
    c.pipe(up);
    let passed = 0;
    up.on('data', (d: Buffer) => { const room = 61 - passed; if (room > 0) { c.write(d.subarray(0, room)); passed += Math.min(room, d.length); } });
  });
});
afterAll(async () => { await relay.stop(); });

describe('the TLS handshake with the database stops after its first bytes', () => {
  it('database.postgres.tls: the byte count and a stalled handshake (the path or the server), within its budget', async () => {
    const t0 = Date.now();
    const rs = await runMany(['database.postgres.tls'], pgTarget(pgDb({ port: relay.port, sslmode: 'require', sslrootcert: undefined })), 'preflight', 3000);
    const r = rs.find((x) => x.id === 'database.postgres.tls')!;
    expect(rs.find((x) => x.id === 'database.postgres.connect')!.status).toBe('pass');
    expect(r.status, r.message).toBe('fail');
    expect(r.message).toMatch(/the server sent 60 byte\(s\) of its TLS handshake answer, then nothing more within \d+(\.\d)?s/);
    expect(r.hint).toMatch(/MTU black hole/);
    expect(Date.now() - t0).toBeLessThan(5000);
  }, 20_000);
});
