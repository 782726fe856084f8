// A PostgreSQL server that completes the login (trust) and then never answers a query, as a database
// whose tables are locked by a running migration would look: every check that queries the session
// ends on its own finding ("no answer ... to a query"), within its budget. Before, the checks queued
// behind the first unanswered query waited without a bound of their own and ended as the engine's
// timeout (error), with no cause.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcp, type Running } from '../../harness/private-servers.js';
import { runMany } from '../client/bed.js';
import { pgDb, pgTarget } from './pg-target.js';

const msg = (type: string, body: Buffer) => { const h = Buffer.alloc(5); h.write(type, 0); h.writeInt32BE(body.length + 4, 1); return Buffer.concat([h, body]); };
const param = (k: string, v: string) => msg('S', Buffer.from(`${k}\0${v}\0`, 'utf8'));

let srv: Running;
beforeAll(async () => {
  srv = await startTcp((s) => {
    s.on('error', () => {});
    s.on('data', (d: Buffer) => {
      if (d.length === 8 && d.readInt32BE(4) === 80877103) { s.write('N'); return; }
      if (d.length >= 8 && d.readInt32BE(4) === 196608) {
        const key = Buffer.alloc(8); key.writeInt32BE(4242, 0); key.writeInt32BE(7, 4);
        s.write(Buffer.concat([msg('R', Buffer.from([0, 0, 0, 0])), param('server_version', '15.4'), param('server_encoding', 'UTF8'), param('client_encoding', 'UTF8'),
          param('standard_conforming_strings', 'on'), param('DateStyle', 'ISO, MDY'), param('integer_datetimes', 'on'), msg('K', key), msg('Z', Buffer.from('I'))]));
      }
      // every query after that: no answer
    });
  });
});
afterAll(async () => { await srv.stop(); });

describe('a session whose queries are never answered', () => {
  it('every querying check ends on its own "no answer to a query" finding, none on the engine\'s timeout', async () => {
    const t0 = Date.now();
    const rs = await runMany(['database.postgres.*'], pgTarget(pgDb({ port: srv.port, sslmode: 'disable', sslrootcert: undefined })), 'preflight', 4000);
    expect(Date.now() - t0).toBeLessThan(15_000);
    const show = rs.map((r) => `${r.id} ${r.status} ${r.messageId ?? ''}: ${r.message}`).join('\n');
    expect(rs.filter((r) => r.status === 'error').map((r) => r.id), show).toEqual([]);
    const silent = rs.filter((r) => /no answer from 127\.0\.0\.1:\d+ to a query/.test(r.message));
    expect(silent.length, show).toBeGreaterThan(1);
  }, 30_000);
});
