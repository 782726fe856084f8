// The database's encoding and collation version (a server of its own): a collation library upgraded
// under the database (PostgreSQL 15+ records the version and warns at each connection) and a
// SQL_ASCII database are warnings, with the fix; a normal UTF8 database passes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../harness/run-check.js';
import { pgDb, pgTarget } from './pg-target.js';
import { type PrivatePg, startPrivatePg } from './pg-servers.js';

const allSql = (hint: string | undefined) => [...(hint ?? '').matchAll(/-c "((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\"/g, '"'));

describe('database.postgres.database: encoding and collation version', () => {
  let p: PrivatePg;
  beforeAll(async () => {
    p = await startPrivatePg({ setup: [
      "CREATE DATABASE icudb LOCALE_PROVIDER icu ICU_LOCALE 'und' LOCALE 'C.UTF-8' TEMPLATE template0",
      // What an ICU (or glibc) upgrade under an existing database leaves: another recorded version.
      "UPDATE pg_database SET datcollversion = '1.0' WHERE datname = 'icudb'",
      "CREATE DATABASE asciidb ENCODING 'SQL_ASCII' LOCALE 'C' TEMPLATE template0",
      'CREATE DATABASE utf8db',
    ] });
  });
  afterAll(() => p?.stop());
  const t = (dbname: string) => pgTarget(pgDb({ port: p.port, user: 'postgres', pw: p.password, dbname, sslmode: 'disable', sslrootcert: undefined }));

  it('a collation version mismatch: a warn naming both versions; the REINDEX and REFRESH the fix gives clear it', async () => {
    const { result } = await runCheck('database.postgres.database', t('icudb'));
    expect(result).toMatchObject({ status: 'warn', messageId: 'collationVersionMismatch' });
    expect(result.message).toContain('version 1.0 of its ICU collation');
    expect(result.details?.collationLibraryVersion).toMatch(/^\d+/);
    const sql = allSql(result.hint);
    expect(sql).toEqual(['REINDEX DATABASE icudb', 'ALTER DATABASE icudb REFRESH COLLATION VERSION']);
    p.psql(sql[0]!, 'icudb'); p.psql(sql[1]!);
    expect((await runCheck('database.postgres.database', t('icudb'))).result).toMatchObject({ status: 'pass', messageId: 'exists' });
  });

  it('SQL_ASCII: a warn with a UTF8 database to create', async () => {
    const { result } = await runCheck('database.postgres.database', t('asciidb'));
    expect(result).toMatchObject({ status: 'warn', messageId: 'sqlAsciiEncoding' });
    expect(result.hint).toContain("ENCODING 'UTF8' TEMPLATE template0");
    expect(result.hint).toContain('configuration.database.dbname');
  });

  it('a UTF8 database: exists (pass), encoding reported', async () => {
    const { result } = await runCheck('database.postgres.database', t('utf8db'));
    expect(result).toMatchObject({ status: 'pass', messageId: 'exists' });
    expect(result.details?.encoding).toBe('UTF8');
  });
});
