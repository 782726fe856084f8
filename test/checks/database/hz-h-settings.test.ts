// Server settings in the options (configuration.database.options "statement_timeout=5s search_path=flyte"):
// Flyte's driver (pgx) sends each one in the startup message, and PostgreSQL refuses the login on
// the first it will not take. Names are not enough: the value, the role's right to set it and the
// setting's context decide. Every case is the real PostgreSQL 15 of the test bed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck } from '../../harness/run-check.js';
import { pgDb, pgTarget } from './pg-target.js';
import { sqlOf, su } from './pg-servers.js';

const ROLE = 'hz-h-settings', PW = 'hz-h-settings-pw-1', OTHER = 'hz-h-other';

/** What the server answers a login that carries these settings in its startup message, as pgx sends them. */
async function startupWith(user: string, password: string, extra: Record<string, string>): Promise<string> {
  const tb = getTestbed().postgres;
  const c = new pg.Client({ host: tb.host, port: tb.port, user, password, database: tb.databases.flyteadmin, ssl: { rejectUnauthorized: false } });
  const base = (c as unknown as { getStartupConf(): Record<string, string> }).getStartupConf.bind(c);
  (c as unknown as { getStartupConf(): Record<string, string> }).getStartupConf = () => ({ ...base(), ...extra });
  try { await c.connect(); return 'ok'; } catch (e) { return `${(e as { code?: string }).code}: ${(e as Error).message}`; } finally { await c.end().catch(() => {}); }
}

const run = async (options: Record<string, string>, over: Parameters<typeof pgDb>[0] = {}) => (await runCheck('database.postgres.auth', pgTarget(pgDb({ ...over, runtimeParams: options })))).result;
const asRole = { user: ROLE, pw: PW };

describe('database.postgres.auth: the settings of the options, as the server takes them at login', () => {
  beforeAll(async () => {
    await su(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${ROLE}') THEN CREATE ROLE "${ROLE}"; END IF; IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${OTHER}') THEN CREATE ROLE "${OTHER}" NOLOGIN; END IF; END $$`);
    await su(`ALTER ROLE "${ROLE}" LOGIN PASSWORD '${PW}'`);
  });
  afterAll(async () => {
    await su(`REVOKE SET ON PARAMETER log_statement FROM "${ROLE}"`).catch(() => {});
    await su(`REVOKE "${OTHER}" FROM "${ROLE}"`).catch(() => {});
    await su(`DROP OWNED BY "${ROLE}"`, getTestbed().postgres.databases.flyteadmin).catch(() => {});
    await su(`DROP ROLE IF EXISTS "${ROLE}"`);
    await su(`DROP ROLE IF EXISTS "${OTHER}"`);
  });

  it('a value the server refuses (22023): settingInvalid naming the key, the setting and what it takes', async () => {
    expect(await startupWith(ROLE, PW, { statement_timeout: 'abc' })).toBe('22023: invalid value for parameter "statement_timeout": "abc"');
    const r = await run({ statement_timeout: 'abc' }, asRole);
    expect(r).toMatchObject({ status: 'fail', messageId: 'settingInvalid', cause: 'config:configuration.database.options' });
    expect(r.message).toContain('configuration.database.options has statement_timeout=abc');
    expect(r.message).toContain('FATAL: invalid value for parameter "statement_timeout": "abc" (SQLSTATE 22023)');
    expect(r.hint).toBe('remove statement_timeout=abc from configuration.database.options, or give it a value the server takes: statement_timeout=<an integer from 0 to 2147483647 ms (or with a unit: 30s, 5min)>');

    expect(await startupWith(ROLE, PW, { work_mem: '-1' })).toMatch(/^22023: -1 kB is outside the valid range for parameter "work_mem"/);
    const mem = await run({ work_mem: '-1' }, asRole);
    expect(mem).toMatchObject({ status: 'fail', messageId: 'settingInvalid', details: { setting: 'work_mem', sqlstate: '22023', min: '64' } });
    expect(mem.hint).toContain('work_mem=<an integer from 64 to 2147483647 kB (or with a unit: 64MB, 1GB)>');

    // an enum: the allowed values, and how to write one with a space
    const iso = await run({ default_transaction_isolation: 'bogus' }, asRole);
    expect(iso).toMatchObject({ status: 'fail', messageId: 'settingInvalid' });
    expect(iso.message).toContain('(HINT: Available values: serializable, repeatable read, read committed, read uncommitted.)');
    expect(iso.hint).toBe("remove default_transaction_isolation=bogus from configuration.database.options, or give it a value the server takes: default_transaction_isolation=<one of serializable, repeatable read, read committed, read uncommitted> (a value with a space in single quotes: default_transaction_isolation='repeatable read')");

    // a near miss of an allowed value: the value meant, written as pgx reads it back
    expect((await run({ default_transaction_isolation: 'serializible' }, asRole)).hint).toBe('write default_transaction_isolation=serializable in configuration.database.options (the server takes one of serializable, repeatable read, read committed, read uncommitted)');
    const spaced = await run({ default_transaction_isolation: 'repeatable_read' }, asRole);
    expect(spaced).toMatchObject({ messageId: 'settingInvalid', details: { suggested: 'repeatable read' } });
    expect(spaced.hint).toContain("write default_transaction_isolation='repeatable read' in configuration.database.options");
    // a setting whose name looks like a credential: its value is shown nowhere, not even in the server's words
    const pwEnc = await run({ password_encryption: 'hz-h-not-shown' }, asRole);
    expect(pwEnc).toMatchObject({ status: 'fail', messageId: 'settingInvalid' });
    expect(JSON.stringify(pwEnc)).not.toContain('hz-h-not-shown');

    // a time zone the server does not know, with its capitals as written
    const tz = await run({ TimeZone: 'Mars/Olympus' }, asRole);
    expect(tz).toMatchObject({ status: 'fail', messageId: 'settingInvalid', details: { setting: 'TimeZone' } });
    expect(tz.hint).toBe('remove TimeZone=Mars/Olympus from configuration.database.options, or give it a value the server takes: TimeZone=<a time zone the server knows: UTC, or a name SELECT name FROM pg_timezone_names lists>');

    // role= names a role that does not exist (role is a setting pg_settings does not list)
    expect(await startupWith(ROLE, PW, { role: 'hz-h-nosuch' })).toBe('22023: role "hz-h-nosuch" does not exist');
    const role = await run({ role: 'hz-h-nosuch' }, asRole);
    expect(role).toMatchObject({ status: 'fail', messageId: 'settingInvalid', details: { setting: 'role' } });
  });

  it('a superuser-only setting the role may not set (42501): settingNotPermitted, and the GRANT it names lets the login in', async () => {
    expect(await startupWith(ROLE, PW, { log_statement: 'all' })).toBe('42501: permission denied to set parameter "log_statement"');
    const r = await run({ log_statement: 'all' }, asRole);
    expect(r).toMatchObject({ status: 'fail', messageId: 'settingNotPermitted', cause: 'config:configuration.database.options', details: { setting: 'log_statement', sqlstate: '42501', context: 'superuser', superuser: false } });
    expect(r.message).toContain('FATAL: permission denied to set parameter "log_statement" (SQLSTATE 42501)');
    expect(r.hint).toContain('remove log_statement=all from configuration.database.options: only a superuser, or a role granted SET on it, may set log_statement (context superuser)');
    const grant = sqlOf(r.hint!.slice(r.hint!.indexOf('psql')));
    expect(grant).toBe(`GRANT SET ON PARAMETER log_statement TO "${ROLE}"`);
    await su(grant);
    try {
      expect(await startupWith(ROLE, PW, { log_statement: 'all' })).toBe('ok');
      expect((await run({ log_statement: 'all' }, asRole)).status).toBe('pass');
    } finally { await su(`REVOKE SET ON PARAMETER log_statement FROM "${ROLE}"`); }

    const rep = await run({ session_replication_role: 'replica' }, asRole);
    expect(rep).toMatchObject({ status: 'fail', messageId: 'settingNotPermitted', details: { setting: 'session_replication_role' } });
    // superuser-backend: only a login can set it, so set_config cannot tell; the privilege decides
    expect(await startupWith(ROLE, PW, { log_connections: 'on' })).toBe('42501: permission denied to set parameter "log_connections"');
    expect(await run({ log_connections: 'on' }, asRole)).toMatchObject({ status: 'fail', messageId: 'settingNotPermitted', details: { setting: 'log_connections', context: 'superuser-backend' } });
    // role= a role it is not a member of: the GRANT of that role
    const role = await run({ role: OTHER }, asRole);
    expect(role).toMatchObject({ status: 'fail', messageId: 'settingNotPermitted' });
    expect(sqlOf(role.hint!.slice(role.hint!.indexOf('psql')))).toBe(`GRANT "${OTHER}" TO "${ROLE}"`);
  });

  it('a server-wide setting no session sets (55P02): settingNotAtLogin, restart / reload / read-only told apart', async () => {
    expect(await startupWith(ROLE, PW, { max_connections: '5' })).toBe('55P02: parameter "max_connections" cannot be changed without restarting the server');
    const mc = await run({ max_connections: '5' }, asRole);
    expect(mc).toMatchObject({ status: 'fail', messageId: 'settingNotAtLogin', cause: 'config:configuration.database.options', details: { setting: 'max_connections', sqlstate: '55P02', context: 'postmaster' } });
    expect(mc.message).toContain('FATAL: parameter "max_connections" cannot be changed without restarting the server (SQLSTATE 55P02)');
    expect(mc.hint).toMatch(/^remove max_connections=5 from configuration\.database\.options; if the server needs another value, an admin sets it in postgresql\.conf, with ALTER SYSTEM SET max_connections = '5'.*restarts the server$/);
    expect(await run({ shared_buffers: '1MB' }, asRole)).toMatchObject({ messageId: 'settingNotAtLogin', details: { context: 'postmaster' } });
    expect(await startupWith(ROLE, PW, { archive_command: 'x' })).toBe('55P02: parameter "archive_command" cannot be changed now');
    const sighup = await run({ archive_command: 'x' }, asRole);
    expect(sighup).toMatchObject({ messageId: 'settingNotAtLogin', details: { context: 'sighup' } });
    expect(sighup.hint).toContain('reloads it (SELECT pg_reload_conf())');
    expect((await run({ server_version: '1' }, asRole)).hint).toBe('remove server_version=1 from configuration.database.options');
    // libpq's ssl_min_protocol_version is no pgx keyword: sent to the server, which has it (hidden from
    // pg_settings for a non-superuser) and refuses it at login: not "unrecognized" (42704)
    expect(await startupWith(ROLE, PW, { ssl_min_protocol_version: 'TLSv1.2' })).toBe('55P02: parameter "ssl_min_protocol_version" cannot be changed now');
    const tlsv = await run({ ssl_min_protocol_version: 'TLSv1.2' }, asRole);
    expect(tlsv).toMatchObject({ status: 'fail', messageId: 'settingNotAtLogin', details: { sqlstate: '55P02' } });
    expect(tlsv.hint).toContain('remove ssl_min_protocol_version=TLSv1.2 from configuration.database.options');
  });

  it('every refused setting is named, not only the first', async () => {
    const r = await run({ statement_timeout: 'abc', max_connections: '5', search_path: 'public' }, asRole);
    expect(r).toMatchObject({ status: 'fail', messageId: 'settingInvalid', details: { refusedSettings: ['statement_timeout', 'max_connections'] } });
    expect(r.message).toContain("the server refuses max_connections=5 (SQLSTATE 55P02: parameter \"max_connections\" cannot be changed without restarting the server) too");
  });

  it('what only the login itself can judge (a backend-context value): the refusal of a login with the settings, as pgx sends them', async () => {
    expect(await startupWith(ROLE, PW, { ignore_system_indexes: 'maybe' })).toBe('22023: parameter "ignore_system_indexes" requires a Boolean value');
    const r = await run({ ignore_system_indexes: 'maybe', search_path: 'public' }, asRole);
    expect(r).toMatchObject({ status: 'fail', messageId: 'settingInvalid', details: { setting: 'ignore_system_indexes', sqlstate: '22023' } });
    expect(r.message).toContain('a login with these settings in the startup message');
    expect(r.hint).toBe('remove ignore_system_indexes=maybe from configuration.database.options, or give it a value the server takes: ignore_system_indexes=<on or off>');
  });

  it('a timeout without a unit below 1000 is milliseconds: settingUnitless warns with the unit to write', async () => {
    expect(await startupWith(ROLE, PW, { statement_timeout: '5' })).toBe('ok');
    const r = await run({ statement_timeout: '5', search_path: 'public' }, asRole);
    expect(r).toMatchObject({ status: 'warn', messageId: 'settingUnitless', cause: 'config:configuration.database.options', details: { setting: 'statement_timeout', value: '5', unit: 'ms' } });
    expect(r.message).toContain('has statement_timeout=5 without a unit: statement_timeout counts in milliseconds, so it is 5 ms');
    expect(r.hint).toBe('write the unit in configuration.database.options: statement_timeout=5s if seconds were meant (PostgreSQL takes ms, s, min, h, d: statement_timeout=5min), or statement_timeout=5ms to keep it');
    expect((await run({ idle_in_transaction_session_timeout: '30' }, asRole)).messageId).toBe('settingUnitless');
    for (const ok of ['5s', '0', '5000', '5ms']) expect((await run({ statement_timeout: ok }, asRole)).status, ok).toBe('pass');
  });

  it('healthy settings pass, whatever their kind (TimeZone and DateStyle are spelled with capitals in pg_settings: not unknown)', async () => {
    const r = await run({ statement_timeout: '30s', lock_timeout: '10s', search_path: 'public', application_name: 'flyteadmin', default_transaction_isolation: 'read committed', work_mem: '8MB', TimeZone: 'UTC', DateStyle: 'ISO, MDY', role: ROLE, 'myapp.x': '1' }, asRole);
    expect(r).toMatchObject({ status: 'pass', messageId: 'authenticated' });
  });

  it('a quoted value with a space in the options (default_transaction_isolation=\'repeatable read\') is read as pgx reads it, and passes', async () => {
    const tb = getTestbed().postgres;
    const { loadTarget } = await import('../../../src/config/load.js');
    const dir = mkdtempSync(join(tmpdir(), 'hz-h-opts-'));
    try {
      const f = join(dir, 'values.yaml');
      const values = (options: string) => `configuration:\n  database:\n    host: ${tb.host}\n    port: ${tb.port}\n    dbname: ${tb.databases.flyteadmin}\n    username: ${ROLE}\n    password: ${PW}\n    options: "${options}"\n`;
      writeFileSync(f, values("sslmode=require default_transaction_isolation='repeatable read' search_path=public"));
      const t = loadTarget({ values: [f], set: [], env: {}, cwd: dir, home: join(dir, 'home') });
      expect(t.databases[0]!.runtimeParams).toEqual({ default_transaction_isolation: 'repeatable read', search_path: 'public' });
      expect(t.databases[0]!.sslmode).toBe('require');
      expect((await runCheck('database.postgres.auth', t)).result).toMatchObject({ status: 'pass' });
      writeFileSync(f, values("sslmode=require options='-c search_path=public -c statement_timeout=30s'"));
      const libpqStyle = loadTarget({ values: [f], set: [], env: {}, cwd: dir, home: join(dir, 'home') });
      expect(libpqStyle.databases[0]!.runtimeParams).toEqual({ options: '-c search_path=public -c statement_timeout=30s' });
      expect((await runCheck('database.postgres.auth', libpqStyle)).result).toMatchObject({ status: 'pass' });
      writeFileSync(f, values("sslmode=require default_transaction_isolation='repeatable reads'"));
      const bad = (await runCheck('database.postgres.auth', loadTarget({ values: [f], set: [], env: {}, cwd: dir, home: join(dir, 'home') }))).result;
      expect(bad).toMatchObject({ status: 'fail', messageId: 'settingInvalid' });
      expect(bad.message).toContain(`configuration.database.options (${f}) has default_transaction_isolation='repeatable reads'`);
      expect(bad.hint).toBe(`write default_transaction_isolation='repeatable read' in configuration.database.options in ${f} (the server takes one of serializable, repeatable read, read committed, read uncommitted)`);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  it('libpq\'s options=\'-c name=value\' (the server\'s command line, which pgx passes on): its settings are judged, it is not an unknown setting', async () => {
    expect(await startupWith(ROLE, PW, { options: '-c search_path=public --work-mem=8MB' })).toBe('ok');
    expect(await run({ options: '-c search_path=public --work-mem=8MB' }, asRole)).toMatchObject({ status: 'pass', messageId: 'authenticated' });
    expect(await startupWith(ROLE, PW, { options: '-c statement_timeout=abc' })).toBe('22023: invalid value for parameter "statement_timeout": "abc"');
    const bad = await run({ options: '-c statement_timeout=abc' }, asRole);
    expect(bad).toMatchObject({ status: 'fail', messageId: 'settingInvalid', details: { setting: 'statement_timeout' } });
    expect(bad.message).toContain("configuration.database.options has -c statement_timeout=abc (in options='-c statement_timeout=abc')");
    expect(bad.hint).toContain("remove -c statement_timeout=abc (in options='-c statement_timeout=abc') from configuration.database.options");
    expect(await startupWith(ROLE, PW, { options: '-c statment_timeout=5s' })).toBe('42704: unrecognized configuration parameter "statment_timeout"');
    const typo = await run({ options: '-c statment_timeout=5s' }, asRole);
    expect(typo).toMatchObject({ status: 'fail', messageId: 'unknownSetting', details: { unknownSettings: ['statment_timeout'] } });
    expect(typo.hint).toBe('remove -c statment_timeout=5s from the options value in configuration.database.options, or name a setting the server has (SHOW ALL lists them)');
    expect((await run({ options: '-c statement_timeout=5' }, asRole)).messageId).toBe('settingUnitless');
  });

  it('replication= is the startup message\'s own parameter, not a setting: false passes, database is a walsender the role may not open', async () => {
    expect(await run({ replication: 'false' }, asRole)).toMatchObject({ status: 'pass' });
    expect(await startupWith(ROLE, PW, { replication: 'database' })).toBe('42501: must be superuser or replication role to start walsender');
    const r = await run({ replication: 'database' }, asRole);
    expect(r).toMatchObject({ status: 'fail', messageId: 'settingNotPermitted', details: { setting: 'replication', sqlstate: '42501' } });
    expect(r.hint).toBe('remove replication=database from configuration.database.options: it makes the connection a replication (walsender) connection, which Flyte does not use, and only a superuser or a REPLICATION role may open one');
  });

  it('a wrong password: the settings are not looked at and no second login is tried', async () => {
    const r = await run({ statement_timeout: 'abc' }, { user: ROLE, pw: 'hz-h-wrong-pw' });
    expect(r).toMatchObject({ status: 'fail', messageId: 'passwordRejected' });
  });
});
