import { describe, expect, it } from 'vitest';
import { bed, bedTarget, run } from '../client/bed.js';

describe('tls.admin.hostname', () => {
  it('passes and lists the names when the host is on the certificate', async () => {
    const { result } = await run('tls.admin.hostname', bedTarget(bed().nginx.https));
    expect(result.status).toBe('pass');
    expect(result.message).toContain('DNS:flyte.test');
  });
  it('warns instead of failing when insecureSkipVerify hides the mismatch', async () => {
    const { result } = await run('tls.admin.hostname', bedTarget(bed().nginx.wrongHost, { insecureSkipVerify: true }));
    expect(result.status).toBe('warn');
    expect(result.messageId).toBe('mismatchSkipVerify');
  });
});
