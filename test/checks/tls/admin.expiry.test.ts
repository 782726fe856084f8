import { describe, expect, it } from 'vitest';
import { bed, bedTarget, run } from '../client/bed.js';

describe('tls.admin.expiry', () => {
  it('passes on the healthy certificate with days left', async () => {
    const { result } = await run('tls.admin.expiry', bedTarget(bed().nginx.https));
    expect(result.status).toBe('pass');
    expect(Number(result.details?.daysLeft)).toBeGreaterThan(21);
  });
  it('fails on the expired certificate', async () => {
    const { result } = await run('tls.admin.expiry', bedTarget(bed().nginx.expired));
    expect(result.status).toBe('fail');
    expect(result.message).toMatch(/expired on \d{4}-\d\d-\d\d/);
  });
});
