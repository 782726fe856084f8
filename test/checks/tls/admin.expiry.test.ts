import { describe, expect, it } from 'vitest';
import { bed, bedTarget, brief, run } from '../client/bed.js';

describe('tls.admin.expiry', () => {
  it('passes on the healthy certificate with days left', async () => {
    const { result } = await run('tls.admin.expiry', bedTarget(bed().nginx.https));
    expect(result.status, brief(result)).toBe('pass');
    expect(result.messageId).toBe('valid');
    expect(Number(result.details?.daysLeft)).toBeGreaterThan(21);
  });
  it('fails on the expired certificate, also with insecureSkipVerify (pyflyte still checks dates)', async () => {
    const { result } = await run('tls.admin.expiry', bedTarget(bed().nginx.expired, { insecureSkipVerify: true }));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('expired');
    expect(result.message).toMatch(/expired on \d{4}-\d\d-\d\d/);
    expect(result.message).toMatch(/insecureSkipVerify does not help/);
  });
});
