// Every SQLSTATE of PostgreSQL's table becomes a finding (never a thrown error), and real errors
// from the real server land on the finding that explains them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { classifyPgError } from '../../../src/clients/postgres.js';
import { LOGIN_MESSAGES, loginServerFinding, QUERY_MESSAGES, queryFinding, SERVER_MESSAGES, serverOnlyFinding } from '../../../checks/database/_support.js';
import { describeSqlstate, SQLSTATE_CLASSES, SQLSTATE_NAMES } from '../../../checks/database/_sqlstate.js';
import { getTestbed } from '../../harness/testbed.js';
import { pgDb, pgTarget } from './pg-target.js';
import { dropDb, ensureDb, sqlOf, su } from './pg-servers.js';

const DB = 'fd_db_sqlstate';

describe('SQLSTATE findings', () => {
  const db = pgDb({ dbname: DB });
  const target = pgTarget(db);

  it('PostgreSQL\'s table is complete (Appendix A: every class, 200+ codes)', () => {
    expect(Object.keys(SQLSTATE_CLASSES).length).toBeGreaterThanOrEqual(40);
    expect(Object.keys(SQLSTATE_NAMES).length).toBeGreaterThanOrEqual(250);
    expect(describeSqlstate('28P01')).toBe('28P01 invalid_password (class 28: Invalid Authorization Specification)');
    expect(describeSqlstate('ZZ999')).toContain('not in PostgreSQL\'s SQLSTATE table');
  });

  it('every code, at login and in a query, maps to a declared finding with a fix (or to "unrecognised")', () => {
    for (const code of [...Object.keys(SQLSTATE_NAMES), 'ZZ999', '28000']) {
      const e = { code, severity: 'FATAL', message: `message for ${code}` };
      const login = loginServerFinding(target, db, e);
      const spec = LOGIN_MESSAGES[login.messageId as keyof typeof LOGIN_MESSAGES];
      expect(spec, `${code} at login -> ${login.messageId}`).toBeTruthy();
      expect(login.status).toBe(spec.status);
      expect(login.hint, code).toBeTruthy();
      const q = queryFinding(target, db, classifyPgError(Object.assign(new Error(e.message), e), db.host, db.port, 'query'), 'testing');
      const qspec = QUERY_MESSAGES[q.messageId as keyof typeof QUERY_MESSAGES];
      expect(qspec, `${code} in a query -> ${q.messageId}`).toBeTruthy();
      expect(q.status).toBe(qspec.status);
      expect(q.hint, code).toBeTruthy();
      if (login.messageId === 'unrecognised') expect(login.message).toContain(`unrecognised: SQLSTATE ${code} message for ${code}`);
    }
  });

  it('before the startup (an ErrorResponse to the SSLRequest), every code with a class finding gets it: 53300 is no longer unrecognised', () => {
    for (const code of Object.keys(SQLSTATE_NAMES)) {
      const f = serverOnlyFinding(target, db, { code, severity: 'FATAL', message: `message for ${code}` }, 'SSLRequest');
      expect(SERVER_MESSAGES[f.messageId as keyof typeof SERVER_MESSAGES]?.status, code).toBe(f.status);
      if (/^(53|54|57P0[1-5]|08|XX|58|F0)/.test(code)) expect(f.messageId, code).not.toBe('unrecognised');
    }
    expect(serverOnlyFinding(target, db, { code: '53300', severity: 'FATAL', message: 'no more connections allowed (max_client_conn)' }, 'SSLRequest').hint).toContain("max_client_conn");
  });

  it.each([
    ['53300', 'sorry, too many clients already', 'tooManyConnections'],
    ['53300', 'remaining connection slots are reserved for roles with the SUPERUSER attribute', 'tooManyConnections'],
    ['53400', 'out of shared memory', 'serverResources'],
    ['53200', 'out of memory', 'serverResources'],
    ['53100', 'could not extend file: No space left on device', 'serverResources'],
    ['57P01', 'terminating connection due to administrator command', 'serverTerminated'],
    ['57P02', 'terminating connection because of crash of another server process', 'serverTerminated'],
    ['57P03', 'the database system is starting up', 'serverNotReady'],
    ['57P03', 'the database system is in recovery mode', 'serverNotReady'],
    ['0A000', 'unsupported frontend protocol 3.0: server supports 2.0 to 2.0', 'protocolRejected'],
    ['08P01', 'invalid length of startup packet', 'protocolRejected'],
    ['08006', 'connection failure', 'connectionException'],
    ['08004', 'server rejected the connection', 'connectionException'],
    ['XX000', 'cache lookup failed for relation 1234', 'serverInternalError'],
    ['XX001', 'invalid page in block 0 of relation base/1/2', 'serverInternalError'],
    ['F0000', 'could not load pg_hba.conf', 'serverInternalError'],
    ['58030', 'could not read block', 'serverInternalError'],
  ])('at login %s "%s" -> %s', (code, message, id) => {
    const f = loginServerFinding(target, db, { code, severity: 'FATAL', message });
    expect(f.messageId).toBe(id);
    expect(f.message).toContain(code);
  });

  it('28000 texts are told apart', () => {
    const f = (message: string) => loginServerFinding(target, db, { code: '28000', severity: 'FATAL', message }).messageId;
    expect(f('role "x" is not permitted to log in')).toBe('roleNoLogin');
    expect(f('role "x" does not exist')).toBe('roleMissing');
    expect(f('no pg_hba.conf entry for host "10.1.2.3", user "x", database "y", no encryption')).toBe('noHbaEntry');
    expect(f('pg_hba.conf rejects connection for host "10.1.2.3", user "x", database "y", SSL encryption')).toBe('noHbaEntry');
    expect(f('Ident authentication failed for user "x"')).toBe('authMethodUnsupported');
    expect(f('connection requires a valid client certificate')).toBe('authMethodUnsupported');
    expect(f('LDAP authentication failed for user "x"')).toBe('passwordRejected');
    expect(f('something new')).toBe('loginRefused');
  });

  describe('real errors from the test bed server', () => {
    let c: pg.Client;
    beforeAll(async () => {
      await ensureDb(DB, getTestbed().postgres.owner.user);
      await su('CREATE TABLE IF NOT EXISTS private_t (id int); REVOKE ALL ON private_t FROM PUBLIC', DB);
      const tb = getTestbed().postgres;
      c = new pg.Client({ host: tb.host, port: tb.port, user: tb.owner.user, password: tb.owner.password, database: DB });
      c.on('error', () => {});
      await c.connect();
    });
    afterAll(async () => { await c?.end().catch(() => {}); await dropDb(DB); });

    const finding = async (sql: string, client = c) => {
      try { await client.query(sql); } catch (e) { return queryFinding(target, db, classifyPgError(e, db.host, db.port, 'query'), 'testing'); }
      throw new Error(`${sql} did not fail`);
    };

    it.each([
      ['SET statement_timeout = 50; SELECT pg_sleep(2)', 'statementTimeout', '57014'],
      ['BEGIN READ ONLY; CREATE TABLE ro_t (id int)', 'readOnly', '25006'],
      ['SELECT * FROM private_t', 'permissionDenied', '42501'],
      ['SELECT * FROM no_such_table', 'incompatibleServer', '42P01'],
      ['SELECT no_such_column FROM pg_class', 'incompatibleServer', '42703'],
      ['SELEC 1', 'incompatibleServer', '42601'],
      ['SET search_path = nowhere; CREATE TABLE t3f (id int)', 'invalidSchema', '3F000'],
      ['SELECT 1 / 0', 'unrecognised', '22012'],
    ])('%s -> %s (%s)', async (sql, id, code) => {
      const f = await finding(sql);
      await c.query('ROLLBACK').catch(() => {});
      await c.query('RESET ALL').catch(() => {});
      expect(f.messageId).toBe(id);
      expect(f.details?.sqlstate).toBe(code);
    });

    it('the statement_timeout fix is SQL the server accepts', async () => {
      const f = await finding('SET statement_timeout = 50; SELECT pg_sleep(2)');
      await c.query('RESET ALL').catch(() => {});
      expect(f.messageId).toBe('statementTimeout');
      await su(sqlOf(f.hint));
    });

    it('a session terminated by an administrator (57P01): serverTerminated', async () => {
      const tb = getTestbed().postgres;
      const victim = new pg.Client({ host: tb.host, port: tb.port, user: tb.owner.user, password: tb.owner.password, database: DB, application_name: 'fd_db_victim' });
      victim.on('error', () => {});
      await victim.connect();
      const [{ pid }] = (await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];
      await su(`SELECT pg_terminate_backend(${pid})`);
      const f = await finding('SELECT 1', victim);
      await victim.end().catch(() => {});
      expect(['serverTerminated', 'connectionLost']).toContain(f.messageId);
      if (f.messageId === 'serverTerminated') expect(f.details?.sqlstate).toBe('57P01');
    });
  });
});
