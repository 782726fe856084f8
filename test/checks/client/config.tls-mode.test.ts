import { describe, expect, it } from 'vitest';
import { bed, bedTarget, brief, run } from './bed.js';

const direct = (port: number, client: Parameters<typeof bedTarget>[1]) => bedTarget(port, { endpoint: `dns:///127.0.0.1:${port}`, host: '127.0.0.1', port, caCertFilePath: undefined, ...client });

describe('client.config.tls-mode (the insecure / insecureSkipVerify confusion)', () => {
  it('healthy: TLS server, insecure false, CA via caCertFilePath', async () => {
    const { result } = await run('client.config.tls-mode', bedTarget(bed().nginx.https));
    expect(result.status, brief(result)).toBe('pass');
  });
  it('insecure: true against a TLS server fails and says to set insecure: false', async () => {
    const { result } = await run('client.config.tls-mode', bedTarget(bed().nginx.https, { insecure: true }));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('insecureAgainstTls');
    expect(result.hint).toContain('admin.insecure: false');
    expect(result.message).toContain('http1.x');
  });
  it('insecure: false against a plaintext gRPC port fails and says insecure: true', async () => {
    const { result } = await run('client.config.tls-mode', direct(bed().admin.grpcPort, { insecure: false }));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('tlsAgainstPlaintext');
    expect(result.hint).toContain('admin.insecure: true');
    expect(result.details?.serverSpeaks).toBe('h2c');
  });
  it('insecure: true against the plaintext gRPC port passes', async () => {
    const { result } = await run('client.config.tls-mode', direct(bed().admin.grpcPort, { insecure: true }));
    expect(result.status, brief(result)).toBe('pass');
  });
  it('the HTTP-only port (flyteadmin 8088) is called out even with insecure: true', async () => {
    const { result } = await run('client.config.tls-mode', direct(bed().admin.httpPort, { insecure: true }));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('httpOnlyPort');
    expect(result.hint).toContain('8089');
  });
  it('insecureSkipVerify: true although the chain is valid: warn', async () => {
    const { result } = await run('client.config.tls-mode', bedTarget(bed().nginx.https, { insecureSkipVerify: true }));
    expect(result.status).toBe('warn');
    expect(result.messageId).toBe('skipVerifyUnneeded');
    expect(result.hint).toContain('admin.insecureSkipVerify');
  });
  it('untrusted chain without insecureSkipVerify or caCertFilePath: fail, set caCertFilePath', async () => {
    const { result } = await run('client.config.tls-mode', bedTarget(bed().nginx.https, { caCertFilePath: undefined }));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('untrustedNoCa');
    expect(result.hint).toContain('admin.caCertFilePath');
  });
  it('caCertFilePath that does not exist: fail', async () => {
    const { result } = await run('client.config.tls-mode', bedTarget(bed().nginx.https, { caCertFilePath: '/nonexistent/ca.pem' }));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('caFileMissing');
    expect(result.message).toContain('does not exist');
  });
  it('stalled endpoint: fail "no answer" within the budget', async () => {
    const t0 = Date.now();
    const { result } = await run('client.config.tls-mode', bedTarget(bed().stall.port, { endpoint: `dns:///127.0.0.1:${bed().stall.port}`, host: '127.0.0.1', port: bed().stall.port }), { timeoutMs: 3000 });
    expect(result.status, brief(result)).toBe('fail');
    expect(result.messageId).toBe('noAnswer');
    expect(Date.now() - t0).toBeLessThan(3500);
  });
});
