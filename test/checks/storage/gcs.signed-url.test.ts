import { afterEach, describe, expect, it } from 'vitest';
import { runCheck } from '../../harness/run-check.js';
import { assertGcsClean, gcsTarget } from './store-target.js';

describe('storage.gcs.signed-url', () => {
  afterEach(assertGcsClean);

  it('without signing credentials (the emulator needs none) it is a skip with the reason', async () => {
    const saved = process.env.GOOGLE_APPLICATION_CREDENTIALS;
    delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
    try {
      const { result } = await runCheck('storage.gcs.signed-url', gcsTarget(), { instance: 'metadata' });
      expect(result.status).toBe('skip');
      expect(result.messageId).toBe('cannotSign');
      expect(result.message).toContain('cannot sign');
    } finally {
      if (saved !== undefined) process.env.GOOGLE_APPLICATION_CREDENTIALS = saved;
    }
  });
});
