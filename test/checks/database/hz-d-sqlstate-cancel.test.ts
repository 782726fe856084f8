// SQLSTATEs whose fix depends on the message or the code next door, driven on the test bed's real
// PostgreSQL (read-only queries on the bed's own database; only this test's own backends are touched):
// - 57014 query_canceled "due to user request" (pg_cancel_backend from another session, a watchdog, a
//   pooler) is not statement_timeout: no "RESET statement_timeout" for it;
// - 25P03 idle_in_transaction_session_timeout (and PostgreSQL 17's 25P04 transaction_timeout) end the
//   session (FATAL): serverTerminated naming the setting, not "unrecognised".
import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { classifyPgError } from '../../../src/clients/postgres.js';
import { queryFinding, loginServerFinding } from '../../../checks/database/_support.js';
import { describeSqlstate } from '../../../checks/database/_sqlstate.js';
import { getTestbed } from '../../harness/testbed.js';
import { pgDb, pgTarget } from './pg-target.js';
import { su } from './pg-servers.js';

const db = pgDb();
const target = pgTarget(db);
const clients: pg.Client[] = [];
const open = async (): Promise<pg.Client> => {
  const tb = getTestbed().postgres;
  const c = new pg.Client({ host: tb.host, port: tb.port, user: tb.owner.user, password: tb.owner.password, database: db.dbname, application_name: 'hz-d-sqlstate' });
  c.on('error', () => {});
  await c.connect();
  clients.push(c);
  return c;
};
afterEach(async () => { await Promise.all(clients.splice(0).map((c) => c.end().catch(() => {}))); });
const failure = async (p: Promise<unknown>) => {
  try { await p; } catch (e) { return queryFinding(target, db, classifyPgError(e, db.host, db.port, 'query'), 'reading the server version'); }
  throw new Error('did not fail');
};

describe('57014 query_canceled: which cancel', () => {
  it('cancelled by another session (pg_cancel_backend): not statement_timeout, no RESET statement_timeout', async () => {
    const c = await open();
    const [{ pid }] = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];
    const running = failure(c.query('SELECT pg_sleep(5)'));
    await new Promise((r) => setTimeout(r, 300));
    await su(`SELECT pg_cancel_backend(${pid})`);
    const f = await running;
    expect(f.details?.sqlstate).toBe('57014');
    expect(f.details?.serverMessage).toMatch(/user request/);
    expect(f.messageId).toBe('statementTimeout');
    expect(f.message).toContain('not a timeout: a cancel request from outside this session');
    expect(f.hint).not.toMatch(/RESET statement_timeout/);
    expect(f.hint).toMatch(/pg_cancel_backend/);
  }, 20_000);

  it('statement_timeout keeps its fix', async () => {
    const c = await open();
    await c.query('SET statement_timeout = 50');
    const f = await failure(c.query('SELECT pg_sleep(2)'));
    expect(f.details?.serverMessage).toMatch(/statement timeout/);
    expect(f.hint).toMatch(/RESET statement_timeout/);
  }, 20_000);
});

describe('session timeouts of class 25 end the session', () => {
  it('25P03 idle_in_transaction_session_timeout: serverTerminated naming the setting', async () => {
    const c = await open();
    // the server sends this FATAL on its own while the session idles: node-postgres hands it to 'error'
    const fatal = new Promise<unknown>((r) => c.once('error', r));
    await c.query('SET idle_in_transaction_session_timeout = 100');
    await c.query('BEGIN');
    const f = await failure(fatal.then((e) => { throw e; }));
    expect(f.details?.sqlstate).toBe('25P03');
    expect(f.messageId).toBe('serverTerminated');
    expect(f.hint).toContain('RESET idle_in_transaction_session_timeout');
  }, 20_000);

  it('25P04 transaction_timeout (PostgreSQL 17) is named and ends as serverTerminated, at login and in a query', () => {
    expect(describeSqlstate('25P04')).toBe('25P04 transaction_timeout (class 25: Invalid Transaction State)');
    const e = { code: '25P04', severity: 'FATAL', message: 'terminating connection due to transaction timeout' };
    expect(loginServerFinding(target, db, e).messageId).toBe('serverTerminated');
    const q = queryFinding(target, db, classifyPgError(Object.assign(new Error(e.message), e), db.host, db.port, 'query'), 'testing');
    expect(q.messageId).toBe('serverTerminated');
    expect(q.hint).toContain('RESET transaction_timeout');
  });
});
