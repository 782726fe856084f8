import { describe, expect, it } from 'vitest';
import { skewStatus } from '../../../checks/storage/_support.js';
import { runCheck } from '../../harness/run-check.js';
import { s3Target } from './store-target.js';

describe('storage.s3.clock-skew', () => {
  it('the local clock agrees with MinIO\'s Date header', async () => {
    const { result } = await runCheck('storage.s3.clock-skew', s3Target());
    expect(result.status).toBe('pass');
    expect(Math.abs(result.details?.skewSeconds as number)).toBeLessThanOrEqual(2);
  });

  it('thresholds: warn above 1 minute, fail above 15 minutes', () => {
    expect(skewStatus(59_000)).toBe('pass');
    expect(skewStatus(-61_000)).toBe('warn');
    expect(skewStatus(16 * 60_000)).toBe('fail');
  });
});
