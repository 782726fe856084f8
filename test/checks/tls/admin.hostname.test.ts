import { describe, expect, it } from 'vitest';
import { bed, bedTarget, brief, run } from '../client/bed.js';

describe('tls.admin.hostname', () => {
  it('passes and lists the names when the host is on the certificate', async () => {
    const { result } = await run('tls.admin.hostname', bedTarget(bed().nginx.https));
    expect(result.status, brief(result)).toBe('pass');
    expect(result.messageId).toBe('nameMatches');
    expect(result.message).toContain('flyte.test');
  });
  it('an IP endpoint that the certificate has (IP:127.0.0.1) passes', async () => {
    const p = bed().nginx.https;
    const { result } = await run('tls.admin.hostname', bedTarget(p, { endpoint: `dns:///127.0.0.1:${p}`, host: '127.0.0.1', port: p }));
    expect(result.status, brief(result)).toBe('pass');
  });
  it('a mismatch without values (client config only): reissue, or dial the name on the certificate', async () => {
    const { result } = await run('tls.admin.hostname', bedTarget(bed().nginx.wrongHost));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('nameMismatch');
    expect(result.hint).toContain(`dns:///other.example:${bed().nginx.wrongHost}`);
  });
});
