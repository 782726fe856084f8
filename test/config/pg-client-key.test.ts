// The PostgreSQL client key named by sslkey in the database options (libpq/pgx) is a credential: its
// contents are a secret of the run like every other input's, so no output can carry them. A key
// that cannot be read from here is not a load error (the database checks report it).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTarget } from '../../src/config/load.js';
import { redactorFor } from '../../src/main.js';

const dir = mkdtempSync(join(tmpdir(), 'fd-pgkey-'));
mkdirSync(join(dir, 'home'));
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCanaryPgClientKey7\nQ2FuYXJ5LXBnLWNsaWVudC1rZXktYm9keS1zZWNyZXQtNzc3\n-----END PRIVATE KEY-----\n';
writeFileSync(join(dir, 'client.key'), KEY, { mode: 0o600 });
writeFileSync(join(dir, 'values.yaml'), 'configuration:\n  database:\n    host: db.internal.corp\n    password: pw-for-the-test-1\n');
const load = (options: string) => loadTarget({ values: ['values.yaml'], set: [`configuration.database.options=${options}`], env: {}, cwd: dir, home: join(dir, 'home') });

describe('sslkey of the database options', () => {
  it('its private key is a secret of the run: the redactor hides it in any output', () => {
    const t = load(`sslmode=verify-full sslcert=${join(dir, 'client.crt')} sslkey=${join(dir, 'client.key')}`);
    expect(t.databases[0]!.sslkey).toBe(join(dir, 'client.key'));
    expect(t.secrets.some((s) => s.includes('CanaryPgClientKey7'))).toBe(true);
    const out = redactorFor(t)(`a server echoed: ${KEY}`);
    expect(out).not.toContain('CanaryPgClientKey7');
    expect(out).not.toContain('Q2FuYXJ5LXBnLWNsaWVudC1rZXktYm9keS1zZWNyZXQtNzc3');
  });

  it('a key file that does not exist here loads (relative path: the pod\'s), nothing registered', () => {
    const t = load('sslmode=verify-full sslcert=/etc/db/client.crt sslkey=/etc/db/client.key');
    expect(t.databases[0]!.sslkey).toBe('/etc/db/client.key');
  });
});
