// flytestdlib writes the password unquoted into the keyword/value connection string pgx parses
// ("host=%s port=%d dbname=%s user=%s password=%s %s"): what the server sees is what pgx reads out
// of it, not the configured text. Expected parses were taken from pgx v5.7.2's pgconn.ParseConfig.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flyteDriverCredentials, parsePgxKeywordValue } from '../../../src/config/libpq.js';
import { runCheck } from '../../harness/run-check.js';
import { getTestbed } from '../../harness/testbed.js';
import { pgDb, pgTarget } from './pg-target.js';
import { asDriverReads } from '../../../checks/database/_support.js';
import { dropRole, ensureRole, su } from './pg-servers.js';

const SPACED = 'fd_db_dsn_spaced', BACKSLASH = 'fd_db_dsn_backslash';
const PASSPHRASE = 'correct horse battery staple';
const BS_PW = 'fd\\\\db\\\\pw'; // the role's password has two backslash pairs: fd\\db\\pw

describe('pgx keyword/value parsing of flytestdlib\'s connection string (pgx v5.7.2 answers)', () => {
  it.each([
    ['correct horse battery', 'sslmode=require', { password: 'correct' }],
    ['pw\n', 'sslmode=require', { password: 'pw' }],
    [' \tpw', 'sslmode=require', { password: 'pw' }],
    ["'my pass'", 'sslmode=require', { password: 'my pass' }],
    ['a\\\\b', 'sslmode=require', { password: 'a\\b' }],
    ["a\\'b", 'sslmode=require', { password: "a'b" }],
    ['ab\\', 'sslmode=require', { password: 'ab\\ sslmode=require', swallowedOptions: true }],
    ['a\\ b', 'sslmode=require', { password: 'a\\ b' }],
    ['a=b', 'sslmode=require', { password: 'a=b' }],
    ['p%40ss', 'sslmode=require', { password: 'p%40ss' }],
    ["'abc", 'sslmode=require', { error: 'unterminated quoted string in connection info string' }],
    ['my pass', '', { error: 'invalid keyword/value' }],
  ])('%j with options %j', (pw, options, want) => {
    expect(flyteDriverCredentials('u', pw, options)).toMatchObject(want);
  });
  it('settings after a split password become a runtime setting, dbname is database', () => {
    expect(parsePgxKeywordValue('dbname=d password=correct horse sslmode=require')).toEqual({ settings: { database: 'd', password: 'correct', 'horse sslmode': 'require' } });
  });
});

describe('database.postgres.auth: the password as Flyte\'s driver reads it', () => {
  beforeAll(async () => {
    await ensureRole(SPACED, PASSPHRASE.replace(/'/g, "''"));
    await ensureRole(BACKSLASH, BS_PW);
    for (const r of [SPACED, BACKSLASH]) await su(`GRANT CONNECT ON DATABASE flyteadmin TO ${r}`);
  });
  afterAll(async () => { for (const r of [SPACED, BACKSLASH]) await dropRole(r); });

  it('a right password with whitespace inside: passwordMangled (was a pass; Flyte sends only its first word)', async () => {
    const { result } = await runCheck('database.postgres.auth', pgTarget(pgDb({ user: SPACED, pw: PASSPHRASE })));
    expect(result).toMatchObject({ status: 'fail', messageId: 'passwordMangled', cause: `credentials:postgres:${SPACED}@127.0.0.1:${getTestbed().postgres.port}` });
    expect(result.message).toMatch(/is right \(the server accepts it as written\).*whitespace inside it/);
    expect(result.hint).toMatch(/without whitespace, single quotes or backslashes .*configuration\.database\.password.*in single quotes/);
    expect(JSON.stringify(result)).not.toMatch(/correct|horse/);
  });

  it('the same password written as a quoted connection-string value: pgx reads it back, the login passes', async () => {
    const { result } = await runCheck('database.postgres.auth', pgTarget(pgDb({ user: SPACED, pw: `'${PASSPHRASE}'` })));
    expect(result).toMatchObject({ status: 'pass', messageId: 'authenticated' });
  });

  it('a right password with \\\\ in it: pgx unescapes it, passwordMangled names the escape', async () => {
    const { result } = await runCheck('database.postgres.auth', pgTarget(pgDb({ user: BACKSLASH, pw: BS_PW })));
    expect(result).toMatchObject({ status: 'fail', messageId: 'passwordMangled' });
    expect(result.message).toMatch(/unescapes/);
  });

  it('whitespace around the values\' password or user name is dropped by pgx: the login passes (was passwordWhitespace)', async () => {
    const tb = getTestbed().postgres;
    expect((await runCheck('database.postgres.auth', pgTarget(pgDb({ pw: `${tb.owner.password}\n` })))).result).toMatchObject({ status: 'pass', messageId: 'authenticated' });
    expect((await runCheck('database.postgres.auth', pgTarget(pgDb({ pw: ` \t${tb.owner.password}` })))).result).toMatchObject({ status: 'pass' });
    expect((await runCheck('database.postgres.auth', pgTarget(pgDb({ user: `${tb.owner.user} ` })))).result).toMatchObject({ status: 'pass' });
    const wrong = await runCheck('database.postgres.auth', pgTarget(pgDb({ user: tb.wrongPasswordUser, pw: 'not-the-password-xyz ' })));
    expect(wrong.result).toMatchObject({ status: 'fail', messageId: 'passwordRejected' });
  });

  it('a password the connection string cannot hold (an unmatched single quote): passwordUnparseable, Flyte exits at start even though the server accepts it', async () => {
    await su(`ALTER ROLE ${SPACED} PASSWORD '''fd-db-quote'`);
    try {
      const { result } = await runCheck('database.postgres.auth', pgTarget(pgDb({ user: SPACED, pw: "'fd-db-quote" })));
      expect(result).toMatchObject({ status: 'fail', messageId: 'passwordUnparseable', cause: 'config:configuration.database.password' });
      expect(result.message).toMatch(/unterminated quoted string .*starts with a single quote.*the server accepts the password as written/);
      expect(JSON.stringify(result)).not.toContain('fd-db-quote');
    } finally { await su(`ALTER ROLE ${SPACED} PASSWORD '${PASSPHRASE}'`); }
  });
});

// verify tries the installed release's password when the values' one is refused: flyteadmin sends that
// one through the same connection string, so it is tried as pgx reads it too.
describe('the installed password is tried as Flyte\'s driver reads it', () => {
  it('cut at whitespace, unquoted, unescaped; a plain one is sent as is', () => {
    const db = pgDb();
    expect(asDriverReads(db, { reveal: () => 'right pw' }).reveal()).toBe('right');
    expect(asDriverReads(db, { reveal: () => "'a b'" }).reveal()).toBe('a b');
    expect(asDriverReads(db, { reveal: () => 'x\\\\y' }).reveal()).toBe('x\\y');
    expect(asDriverReads(db, { reveal: () => 'plain-pw' }).reveal()).toBe('plain-pw');
  });
});
