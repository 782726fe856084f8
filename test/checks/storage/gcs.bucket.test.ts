import { afterEach, describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck } from '../../harness/run-check.js';
import { assertGcsClean, gcsTarget } from './store-target.js';

describe('storage.gcs.bucket', () => {
  afterEach(assertGcsClean);

  it('the emulator bucket exists', async () => {
    const { result } = await runCheck('storage.gcs.bucket', gcsTarget(), { instance: 'metadata' });
    expect(result.status).toBe('pass');
  });

  it('a missing bucket fails with the create command and the values key', async () => {
    const g = getTestbed().gcs;
    const { result } = await runCheck('storage.gcs.bucket', gcsTarget({ metadataBucket: g.missingBucket }), { instance: 'metadata' });
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('noSuchBucket');
    expect(result.hint).toContain(`gs://${g.missingBucket}`);
    expect(result.hint).toContain('configuration.storage.metadataContainer');
  });
});
