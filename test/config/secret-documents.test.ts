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
