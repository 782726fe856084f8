// Servers that answer PostgreSQL's SSLRequest like PostgreSQL (one 'N') and then answer the startup
// message with something else than an authentication request or an ErrorResponse; and a
// NoticeResponse before the answer, which the protocol allows (libpq and pgx read past it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcp, type Running } from '../../harness/private-servers.js';
import { runCheck } from '../../harness/run-check.js';
import { pgDb, pgTarget } from './pg-target.js';

const msg = (type: string, body: Buffer) => { const h = Buffer.alloc(5); h.write(type, 0); h.writeInt32BE(body.length + 4, 1); return Buffer.concat([h, body]); };
const fields = (f: string) => Buffer.from(`${f}\0`, 'utf8');

function server(answer: () => Buffer): Promise<Running> {
  return startTcp((s) => {
    s.on('data', (d: Buffer) => {
      if (d.length === 8 && d.readInt32BE(4) === 80877103) { s.write('N'); return; }
      if (d.length >= 8 && d.readInt32BE(4) === 196608) s.write(answer());
    });
  });
}

describe('the startup message answered outside the protocol', () => {
  const s: Record<string, Running> = {};
  beforeAll(async () => {
    const v = Buffer.alloc(8); v.writeInt32BE(0, 0); v.writeInt32BE(1, 4);
    s.negotiate = await server(() => msg('v', Buffer.concat([v, Buffer.from('_pq_.foo\0')])));
    s.ready = await server(() => msg('Z', Buffer.from('I')));
    s.notice = await server(() => Buffer.concat([
      msg('N', fields('SWARNING\0VWARNING\0C01000\0Mproxy notice')),
      msg('E', fields('SFATAL\0VFATAL\0C28000\0Mno pg_hba.conf entry for host "127.0.0.1", user "flyte_owner", database "flyteadmin", no encryption')),
    ]));
    s.noticeThenPassword = await server(() => Buffer.concat([msg('N', fields('SNOTICE\0VNOTICE\0C00000\0Mwelcome to the proxy')), msg('R', Buffer.from([0, 0, 0, 3]))]));
  });
  afterAll(async () => { for (const r of Object.values(s)) await r.stop(); });
  const t = (port: number) => pgTarget(pgDb({ port, sslmode: 'disable', sslrootcert: undefined }));

  it('NegotiateProtocolVersion to a plain 3.0 startup: startupProtocol names the message and what it says, never "it answered the SSLRequest with" (was notPostgres)', async () => {
    const { result, results } = await runCheck('database.postgres.tls', t(s.negotiate!.port));
    expect(results.find((r) => r.id === 'database.postgres.connect')?.status).toBe('pass');
    expect(result).toMatchObject({ status: 'fail', messageId: 'startupProtocol' });
    expect(result.message).toMatch(/answers PostgreSQL's SSLRequest as PostgreSQL does, but not its startup message: .*NegotiateProtocolVersion: the server's newest protocol is 3\.0, options it does not know: _pq_\.foo/);
    expect(result.message).not.toMatch(/answered the PostgreSQL SSLRequest with/);
  });

  it('ReadyForQuery before any login: startupProtocol', async () => {
    const { result } = await runCheck('database.postgres.tls', t(s.ready!.port));
    expect(result).toMatchObject({ status: 'fail', messageId: 'startupProtocol' });
    expect(result.message).toContain('"Z" ReadyForQuery');
  });

  it('a NoticeResponse before the refusal is read past: the refusal is the finding (was notPostgres)', async () => {
    const { result, results } = await runCheck('database.postgres.auth', t(s.notice!.port));
    expect(results.find((r) => r.id === 'database.postgres.tls')?.status).toBe('pass');
    expect(result).toMatchObject({ status: 'fail', messageId: 'noHbaEntry' });
  });

  it('a NoticeResponse before an authentication request: a warn that says why the login was not tried, within the budget (was a hang: node-postgres spins on it)', async () => {
    const t0 = Date.now();
    const { result } = await runCheck('database.postgres.auth', t(s.noticeThenPassword!.port));
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(result).toMatchObject({ status: 'warn', messageId: 'loginNotCheckable' });
    expect(result.message).toContain('sends a NoticeResponse before its authentication request (NOTICE 00000: welcome to the proxy)');
  });
});
