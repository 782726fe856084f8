// The operator's shell is not Flyte's pod: node-postgres fills every connection parameter its
// config leaves empty from this process's PG* variables (PGOPTIONS, PGPASSWORD, PGSSLMODE,
// PGREPLICATION...) and ~/.pgpass (PGPASSFILE). The probes must send only what the target
// configures, whatever this process's environment holds. Real PostgreSQL of the test bed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck } from '../../harness/run-check.js';
import { pgDb, pgTarget } from './pg-target.js';

const saved = { ...process.env };
afterEach(() => {
  for (const k of Object.keys(process.env)) if (k.startsWith('PG') && !(k in saved)) delete process.env[k];
  for (const [k, v] of Object.entries(saved)) if (k.startsWith('PG')) process.env[k] = v;
});

describe('PG* variables of the shell running flyte-doctor do not reach the probes', () => {
  it('PGOPTIONS making sessions read-only: the privileges check still sees the database as Flyte would', async () => {
    process.env.PGOPTIONS = '-c default_transaction_read_only=on';
    const { result } = await runCheck('database.postgres.privileges', pgTarget());
    expect(result.status, result.message).toBe('pass');
  });

  it('PGREPLICATION / PGCLIENT_ENCODING / PGSSLMODE do not change the login', async () => {
    process.env.PGREPLICATION = 'database';
    process.env.PGCLIENT_ENCODING = 'no-such-encoding';
    process.env.PGSSLMODE = 'disable';
    const { result } = await runCheck('database.postgres.auth', pgTarget());
    expect(result.status, result.message).toBe('pass');
  });

  it('no password in the target: never PGPASSWORD nor ~/.pgpass of this shell, the login fails as Flyte\'s would', async () => {
    const tb = getTestbed().postgres;
    const dir = mkdtempSync(join(tmpdir(), 'fd-pgpass-'));
    writeFileSync(join(dir, 'pgpass'), `*:*:*:${tb.owner.user}:${tb.owner.password}\n`, { mode: 0o600 });
    process.env.PGPASSWORD = tb.owner.password;
    process.env.PGPASSFILE = join(dir, 'pgpass');
    const { result } = await runCheck('database.postgres.auth', pgTarget(pgDb({ password: undefined, passwordSource: undefined })));
    expect(result.status, result.message).toBe('fail');
    expect(JSON.stringify(result)).not.toContain(tb.owner.password);
  });
});
