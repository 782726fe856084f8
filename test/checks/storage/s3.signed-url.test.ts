import { afterEach, describe, expect, it } from 'vitest';
import { runCheck } from '../../harness/run-check.js';
import { assertS3Clean, s3Target } from './store-target.js';

describe('storage.s3.signed-url', () => {
  afterEach(assertS3Clean);

  it('a pre-signed GET is fetched from here and matches; the signature is not printed', async () => {
    const { result } = await runCheck('storage.s3.signed-url', s3Target(), { instance: 'metadata' });
    expect(result.status).toBe('pass');
    expect(JSON.stringify(result)).not.toMatch(/X-Amz-Signature/i);
  });
});
