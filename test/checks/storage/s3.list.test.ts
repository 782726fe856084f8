import { afterEach, describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck, runSelection } from '../../harness/run-check.js';
import { assertS3Clean, s3Target } from './store-target.js';

describe('storage.s3.list', () => {
  afterEach(assertS3Clean);

  it('sees the probe under the run prefix and nothing else', async () => {
    const { result, run } = await runCheck('storage.s3.list', s3Target(), { instance: 'metadata' });
    expect(result.status).toBe('pass');
    expect(result.details?.seen).toEqual([`flyte-doctor/${run.runId}/probe.txt`]);
    // pre-existing keys are never listed into the results
    for (const k of getTestbed().minio.preexistingKeys) expect(JSON.stringify(run.results)).not.toContain(k);
  });

  it('a user without s3:ListBucket: exactly list fails, naming the permission', async () => {
    const run = await runSelection(s3Target(getTestbed().minio.users.noList), 'preflight', ['storage.s3']);
    const failed = run.results.filter((r) => r.status === 'fail');
    expect([...new Set(failed.map((r) => r.id))]).toEqual(['storage.s3.list']);
    expect(failed[0]!.message).toContain('s3:ListBucket');
    expect(failed[0]!.hint).toContain('arn:aws:s3:::flyte-');
    expect(run.cleanupFailures).toEqual([]);
  });
});
