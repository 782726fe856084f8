// A config document kept in a Secret (flyte-binary's 012-database-secrets.yaml): its values are the
// secrets, never the document, whose keys ("database:", "storage:") are words every report prints.
// The bug this guards: the whole document as a secret made the redactor hide "database" in check ids.
import { describe, expect, it } from 'vitest';
import { Credentials, secretsOf } from '../../src/config/credentials.js';
import { makeRedactor } from '../../src/engine/redact.js';

describe('secret values that are config documents', () => {
  it('gives the leaf values, not the document', () => {
    const doc = 'database:\n  postgres:\n    password: "Db-Pw-2741"\n    host: db.internal\n';
    const s = secretsOf(doc);
    expect(s).toContain('Db-Pw-2741');
    expect(s).not.toContain(doc.trim());
    const redact = makeRedactor({ secrets: s, identifiers: [] });
    expect(redact('database.postgres.database failed for Db-Pw-2741')).toBe('database.postgres.database failed for ***');
  });

  it('a PEM key and a one-line value stay whole secrets', () => {
    const c = new Credentials();
    c.secret('s3cr3t-one-line');
    expect([...c.secrets]).toContain('s3cr3t-one-line');
    expect(secretsOf('line one\nline two of a multi-line password')).toContain('line one\nline two of a multi-line password');
  });
});

describe('published default passwords of the bundled dependencies', () => {
  it('flyte-sandbox values: postgres / miniostorage are no secrets (they would hide the word "postgres" everywhere)', async () => {
    const { loadTarget } = await import('../../src/config/load.js');
    const { SHARED_FIXTURES } = await import('../harness/fixtures.js');
    const { join } = await import('node:path');
    const t = loadTarget({ values: [join(SHARED_FIXTURES, 'flyte-values', 'flyte-sandbox__values.yaml')], set: [], env: {}, cwd: SHARED_FIXTURES, home: '/nonexistent-home' });
    expect(t.secrets).not.toContain('postgres');
    expect(t.secrets).not.toContain('miniostorage');
    const real = loadTarget({ values: [join(SHARED_FIXTURES, 'flyte-values', 'flyte-sandbox__values.yaml')], set: ['flyte-binary.configuration.database.password=Real-Pw-7731'], env: {}, cwd: SHARED_FIXTURES, home: '/nonexistent-home' });
    expect(real.secrets).toContain('Real-Pw-7731');
  });
});

describe('a secret that ends or starts with a plain word', () => {
  it('does not hide that word at the start or end of other text (a cut secret must be a strong piece)', () => {
    const redact = makeRedactor({ secrets: ['not-the-password', 'admin-secret-pw9'], identifiers: [] });
    expect(redact('password authentication failed for user "flyte"')).toBe('password authentication failed for user "flyte"');
    expect(redact('the value was not-the-password')).toBe('the value was ***');
    // a real cut inside a strong secret is still hidden
    expect(redact('header echoed: admin-secret-p')).not.toContain('admin-secret-p');
  });
});

describe('credentials passed as command-line flags', () => {
  it('an argument list (a container\'s or plugin\'s args) gives up the values of its credential flags; other flags stay plain', () => {
    const c = new Credentials();
    c.scanTree({ deployment: { extraContainers: [{ name: 'proxy', args: ['--client-secret', 'cs-Arg-551', '--db-password=pw-Arg-552', '--client-id', 'public-id', '--port', '8080'] }] } });
    c.scanText('flyteadmin serve -db.password=pw-Text-553 --verbose');
    for (const s of ['cs-Arg-551', 'pw-Arg-552', 'pw-Text-553']) expect([...c.secrets], s).toContain(s);
    for (const s of ['public-id', '8080', '--port']) expect([...c.secrets], s).not.toContain(s);
  });
});
