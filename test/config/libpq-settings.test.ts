// The options values key as Flyte's driver (pgx) reads it: its connection keywords, and everything
// else, which it sends to the server as settings (database.postgres.auth asks the server about those).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTarget } from '../../src/config/load.js';
import { PGX_CONNECTION_KEYWORDS, parseLibpqOptions, runtimeParamsOf } from '../../src/config/libpq.js';

const dir = mkdtempSync(join(tmpdir(), 'fd-libpq-'));
const load = (options: string) => {
  const f = join(dir, 'values.yaml');
  writeFileSync(f, `configuration:\n  database:\n    host: db.internal\n    options: "${options}"\n`);
  return loadTarget({ values: [f], set: [], env: {}, cwd: dir, home: join(dir, 'home') });
};

describe('options: connection keywords and server settings', () => {
  it('pgx\'s own keywords stay out of the settings; the rest are kept as written, with where they come from', () => {
    const t = load('sslmode=require dbname=x connect_timeout=5 sslmod=verify-full search_path=flyte SSLMODE=REQUIRE');
    const db = t.databases[0]!;
    expect(db.sslmode).toBe('require');
    expect(db.runtimeParams).toEqual({ sslmod: 'verify-full', search_path: 'flyte', SSLMODE: 'REQUIRE' });
    expect(t.provenance['databases[0].runtimeParams']).toMatch(/values\.yaml: configuration\.database\.options$/);
    expect(load('sslmode=disable').databases[0]!.runtimeParams).toBeUndefined();
  });
  it('the keyword list is pgx v5\'s (plus dbname, its alias of database)', () => {
    for (const k of ['host', 'port', 'dbname', 'database', 'user', 'password', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'connect_timeout', 'target_session_attrs']) expect(PGX_CONNECTION_KEYWORDS.has(k), k).toBe(true);
    for (const k of ['keepalives', 'application_name', 'search_path', 'options', 'SSLMODE']) expect(PGX_CONNECTION_KEYWORDS.has(k), k).toBe(false);
    expect(runtimeParamsOf(parseLibpqOptions('application_name=flyteadmin sslmode=require'))).toEqual({ application_name: 'flyteadmin' });
  });
});
