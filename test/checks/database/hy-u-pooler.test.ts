// A pooler in transaction (or statement) mode in front of PostgreSQL: Flyte's driver (pgx) prepares
// every query under a name and reuses it on whatever server connection comes next, so PgBouncer in
// transaction mode without max_prepared_statements (1.18 here) breaks it with 42P05 / 26000.
// Real PgBouncer, real PostgreSQL; skipped where no pgbouncer binary is found (outside CI).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { runCheck } from '../../harness/run-check.js';
import { pgDb, pgTarget } from './pg-target.js';
import { pgBouncerBin, type PgBouncer, type PrivatePg, startPgBouncer, startPrivatePg } from './pg-servers.js';

describe.skipIf(!pgBouncerBin() && !(process.env.CI && process.env.CI !== 'false'))('database.postgres.connections: a pooler in front of PostgreSQL', () => {
  let p: PrivatePg;
  const bouncers: PgBouncer[] = [];
  const start = async (mode: string) => {
    const b = await startPgBouncer({ databases: { flyteadmin: `host=127.0.0.1 port=${p.port} dbname=flyteadmin pool_mode=${mode}` }, users: { postgres: p.password } });
    bouncers.push(b);
    return b;
  };
  const t = (port: number) => pgTarget(pgDb({ port, user: 'postgres', pw: p.password, dbname: 'flyteadmin', sslmode: 'disable', sslrootcert: undefined, maxOpenConnections: 5 }));
  beforeAll(async () => { p = await startPrivatePg({ setup: ['CREATE DATABASE flyteadmin'] }); });
  afterAll(() => { for (const b of bouncers) b.stop(); p?.stop(); });

  it('transaction pooling that passes named prepared statements through (what pgx breaks on): transactionPooler, with the max_prepared_statements / pool_mode fix; nothing is left prepared', async () => {
    const b = await start('transaction');
    // What Flyte's driver meets there: the same statement name prepared from a second client connection.
    const cfg = { host: '127.0.0.1', port: b.port, user: 'postgres', password: p.password, database: 'flyteadmin' };
    const c1 = new pg.Client(cfg), c2 = new pg.Client(cfg);
    await c1.connect(); await c2.connect();
    try {
      await c1.query({ name: 'stmtcache_hy_u', text: 'SELECT 1' });
      await expect(c2.query({ name: 'stmtcache_hy_u', text: 'SELECT 1' })).rejects.toMatchObject({ code: '42P05' });
      await c1.query('DEALLOCATE ALL');
    } finally { await c1.end(); await c2.end(); }

    const { result } = await runCheck('database.postgres.connections', t(b.port));
    expect(result).toMatchObject({ status: 'fail', messageId: 'transactionPooler' });
    expect(result.message).toContain('same PostgreSQL backend');
    expect(result.message).toContain('42P05');
    expect(result.hint).toContain('max_prepared_statements');
    expect(result.hint).toContain('pool_mode=session');
    expect(result.hint).toContain('configuration.database.host');
    // The probe deallocated its statement: no flyte_doctor_probe_* lingers on the pooled backend.
    const cfg2 = new pg.Client(cfg); await cfg2.connect();
    try { expect((await cfg2.query("SELECT name FROM pg_prepared_statements WHERE name LIKE 'flyte_doctor_probe_%'")).rows).toEqual([]); } finally { await cfg2.end(); }
  });

  it('statement pooling refuses transaction blocks: statementPooler', async () => {
    const b = await start('statement');
    const { result } = await runCheck('database.postgres.connections', t(b.port));
    expect(result).toMatchObject({ status: 'fail', messageId: 'statementPooler' });
    expect(result.message).toContain('statement pooling');
    expect(result.hint).toContain('pool_mode=session');
  });

  it('session pooling keeps one backend per client connection: no pooler finding (the connection arithmetic goes on)', async () => {
    const b = await start('session');
    const { result } = await runCheck('database.postgres.connections', t(b.port));
    expect(result.messageId).not.toMatch(/Pooler$/);
    expect(['pass', 'warn']).toContain(result.status);
    expect((result.details?.pooler as Record<string, unknown>)?.relayed).toBe(true);
  });

  it('PostgreSQL itself: the server sees this machine\'s own end of the connection, no second login', async () => {
    const { result } = await runCheck('database.postgres.connections', t(p.port));
    expect(result.messageId).not.toMatch(/Pooler$/);
    expect(result.details?.pooler).toBeUndefined();
  });
});
