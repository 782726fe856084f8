import { describe, expect, it } from 'vitest';
import { bed, bedTarget, run } from '../client/bed.js';

describe('tls.admin.trust', () => {
  it('trusted through caCertFilePath on the healthy listener', async () => {
    const { result } = await run('tls.admin.trust', bedTarget(bed().nginx.https));
    expect(result.status).toBe('pass');
    expect(result.messageId).toBe('trustedByCaFile');
  });
  it('caCertFilePath that does not exist: fail naming the key', async () => {
    const { result } = await run('tls.admin.trust', bedTarget(bed().nginx.https, { caCertFilePath: '/nonexistent/ca.pem' }));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('caFileUnreadable');
    expect(result.hint).toContain('admin.caCertFilePath');
  });
});
