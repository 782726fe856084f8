import { afterEach, describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck, runSelection } from '../../harness/run-check.js';
import { assertS3Clean, s3Target } from './store-target.js';

describe('storage.s3.get', () => {
  afterEach(assertS3Clean);

  it('reads the probe back byte for byte', async () => {
    const { result } = await runCheck('storage.s3.get', s3Target(), { instance: 'userdata' });
    expect(result.status).toBe('pass');
    expect(result.details?.sha256Read).toBe(result.details?.sha256Written);
  });

  it('a user without s3:GetObject: exactly get fails, naming the permission', async () => {
    const run = await runSelection(s3Target(getTestbed().minio.users.noGet), 'preflight', ['storage.s3']);
    const failed = run.results.filter((r) => r.status === 'fail');
    expect([...new Set(failed.map((r) => r.id))].sort()).toEqual(['storage.s3.get', 'storage.s3.signed-url']);
    const get = failed.find((r) => r.id === 'storage.s3.get')!;
    expect(get.message).toContain('s3:GetObject');
    expect(run.results.filter((r) => ['storage.s3.put', 'storage.s3.list', 'storage.s3.delete'].includes(r.id)).every((r) => r.status === 'pass')).toBe(true);
    expect(run.cleanupFailures).toEqual([]);
  });
});
