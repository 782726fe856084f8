import { describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck } from '../../harness/run-check.js';
import { pgTarget } from './pg-target.js';

describe('database.postgres.version', () => {
  it('reports the test bed server version and its end of life', async () => {
    const { result } = await runCheck('database.postgres.version', pgTarget());
    const major = Number(getTestbed().postgres.version.split('.')[0]);
    expect(result.details?.major).toBe(major);
    // PostgreSQL 15 is supported until 2027-11-11; later majors longer.
    expect(result.status).toBe(new Date().toISOString().slice(0, 10) >= '2027-11-11' && major === 15 ? 'warn' : 'pass');
    expect(result.message).toContain(`PostgreSQL ${getTestbed().postgres.version}`);
  });
});
