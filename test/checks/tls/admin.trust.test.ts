import { describe, expect, it } from 'vitest';
import { bed, bedTarget, brief, run } from '../client/bed.js';

describe('tls.admin.trust', () => {
  it('trusted only through caCertFilePath (a private CA): warn that pods and browsers need the CA too', async () => {
    const { result } = await run('tls.admin.trust', bedTarget(bed().nginx.https));
    expect(result.status, brief(result)).toBe('warn');
    expect(result.messageId).toBe('privateCa');
    expect(result.message).toContain('cannot be checked from here');
    expect(result.cause).toBeUndefined();
  });
  it('caCertFilePath that does not exist: skipped here, client.config.tls-mode reports it', async () => {
    const { result } = await run('tls.admin.trust', bedTarget(bed().nginx.https, { caCertFilePath: '/nonexistent/ca.pem' }));
    expect(result.status).toBe('skip');
    expect(result.message).toContain('client.config.tls-mode');
  });
  it('FLYTE_PLATFORM_CA_CERT_FILE_PATH pointing at the wrong CA: the fix names the variable', async () => {
    const t = bedTarget(bed().nginx.selfSigned, {}, { provenance: { 'client.caCertFilePath': 'env FLYTE_PLATFORM_CA_CERT_FILE_PATH' } });
    const { result } = await run('tls.admin.trust', t);
    expect(result.messageId).toBe('caFileDoesNotSign');
    expect(result.message).toContain('FLYTE_PLATFORM_CA_CERT_FILE_PATH=');
    expect(result.hint).toContain('set FLYTE_PLATFORM_CA_CERT_FILE_PATH=');
  });
});
