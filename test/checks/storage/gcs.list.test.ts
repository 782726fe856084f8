import { afterEach, describe, expect, it } from 'vitest';
import { probeResidue } from '../../../src/clients/s3.js';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck } from '../../harness/run-check.js';
import { assertGcsClean, gcsTarget } from './store-target.js';

describe('storage.gcs.list', () => {
  afterEach(assertGcsClean);

  it('passes against the emulator for both buckets, and the run leaves no residue', async () => {
    for (const instance of ['metadata', 'userdata']) {
      const { result, run } = await runCheck('storage.gcs.list', gcsTarget(), { instance });
      expect(result.status).toBe('pass');
      expect(run.cleanupFailures).toEqual([]);
      expect(probeResidue(run.runId).every((r) => r.remaining?.length === 0)).toBe(true);
    }
  });

  it('is blocked (not failed) when the bucket is missing', async () => {
    const { result } = await runCheck('storage.gcs.list', gcsTarget({ metadataBucket: getTestbed().gcs.missingBucket }), { instance: 'metadata' });
    expect(result.status).toBe('skip');
    expect(result.message).toMatch(/blocked by storage\.gcs\./);
  });
});
