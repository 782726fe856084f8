// Settings in the options behind PgBouncer: the probe's own login (no settings) gets through, Flyte's
// (pgx sends the settings in its startup message) is refused by the pooler ("unsupported startup
// parameter", 08P01). Real PgBouncer on a fixed port of this file's range, in front of the bed's PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck } from '../../harness/run-check.js';
import { pgDb, pgTarget } from './pg-target.js';
import { pgBouncerBin, sqlOf, su } from './pg-servers.js';

const ROLE = 'hz-h-bouncer', PW = 'hz-h-bouncer-pw-1', PORT = 30810;
const runAs = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
const bin = pgBouncerBin();

describe.skipIf(!bin)('database.postgres.auth: options settings behind PgBouncer', () => {
  let dir = '';
  const start = async (extra: string[]) => {
    stop();
    dir = mkdtempSync(join(tmpdir(), 'hz-h-pgbouncer-'));
    const tb = getTestbed().postgres;
    writeFileSync(join(dir, 'users.txt'), `"${ROLE}" "${PW}"\n`);
    writeFileSync(join(dir, 'pgbouncer.ini'), ['[databases]', `${tb.databases.flyteadmin} = host=${tb.host} port=${tb.port} dbname=${tb.databases.flyteadmin}`,
      '[pgbouncer]', 'listen_addr = 127.0.0.1', `listen_port = ${PORT}`, 'unix_socket_dir =', 'auth_type = scram-sha-256', `auth_file = ${join(dir, 'users.txt')}`,
      'pool_mode = transaction', `logfile = ${join(dir, 'log')}`, `pidfile = ${join(dir, 'pid')}`, ...extra, ''].join('\n'));
    if (runAs.length) execFileSync('chown', ['-R', 'postgres', dir]);
    const argv = [...runAs, bin!, '-d', join(dir, 'pgbouncer.ini')];
    execFileSync(argv[0]!, argv.slice(1), { stdio: 'ignore' });
    for (let i = 0; i < 50 && !existsSync(join(dir, 'pid')); i++) await new Promise((r) => setTimeout(r, 100));
    if (!existsSync(join(dir, 'pid'))) throw new Error(`pgbouncer did not start: ${existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8') : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  };
  const stop = () => {
    if (!dir) return;
    try { process.kill(Number(readFileSync(join(dir, 'pid'), 'utf8').trim())); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
    dir = '';
  };
  beforeAll(async () => {
    await su(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${ROLE}') THEN CREATE ROLE "${ROLE}"; END IF; END $$`);
    await su(`ALTER ROLE "${ROLE}" LOGIN PASSWORD '${PW}'`);
  });
  afterAll(async () => {
    stop();
    await su(`DROP ROLE IF EXISTS "${ROLE}"`);
  });
  const run = async (options: Record<string, string>) => (await runCheck('database.postgres.auth', pgTarget(pgDb({ port: PORT, user: ROLE, pw: PW, sslmode: 'disable', sslrootcert: undefined, runtimeParams: options })))).result;

  it('a setting PgBouncer does not pass on: the pooler\'s refusal of Flyte\'s login, with both fixes and what ignoring it costs', async () => {
    await start([]);
    const r = await run({ statement_timeout: '30s' });
    expect(r).toMatchObject({ status: 'fail', messageId: 'protocolRejected', details: { sqlstate: '08P01', settingsSent: ['statement_timeout'] } });
    expect(r.message).toContain('with them in the startup message (statement_timeout=30s), as Flyte\'s driver sends them, the pooler at 127.0.0.1:30810 refuses it');
    expect(r.message).toContain('unsupported startup parameter: statement_timeout');
    expect(r.hint).toContain('remove statement_timeout=30s from configuration.database.options and set it for the role');
    expect(sqlOf(r.hint!.slice(r.hint!.indexOf('psql')).split('; or add')[0]!)).toBe(`ALTER ROLE "${ROLE}" SET statement_timeout = '30s'`);
    expect(r.hint).toContain('ignore_startup_parameters');
  });

  it('a setting PgBouncer is told to ignore: the login gets in and the setting is lost: settingDropped, not a pass', async () => {
    await start(['ignore_startup_parameters = statement_timeout, search_path']);
    const r = await run({ statement_timeout: '30s', search_path: 'public', application_name: 'flyteadmin' });
    expect(r).toMatchObject({ status: 'warn', messageId: 'settingDropped', cause: 'config:configuration.database.options', details: { setting: 'statement_timeout', sessionValue: '0', droppedSettings: ['statement_timeout', 'search_path'] } });
    expect(r.message).toContain('its session has statement_timeout = "0", not "30s"');
    expect(sqlOf(r.hint)).toBe(`ALTER ROLE "${ROLE}" SET statement_timeout = '30s'`);
    expect(r.hint).toContain('and remove statement_timeout=30s from configuration.database.options');
    // a parameter PgBouncer tracks itself reaches the session: nothing to say
    expect((await run({ application_name: 'flyteadmin', TimeZone: 'UTC' })).status).toBe('pass');
  });
});
