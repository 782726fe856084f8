import { describe, expect, it } from 'vitest';
import { bed, bedTarget, brief, run } from './bed.js';

const direct = (port: number, client: Parameters<typeof bedTarget>[1], extra: Parameters<typeof bedTarget>[2] = {}) => bedTarget(port, { endpoint: `dns:///127.0.0.1:${port}`, host: '127.0.0.1', port, caCertFilePath: undefined, ...client }, extra);

describe('client.config.tls-mode (the insecure / insecureSkipVerify confusion)', () => {
  it('healthy: TLS server, insecure false, CA via caCertFilePath', async () => {
    const { result } = await run('client.config.tls-mode', bedTarget(bed().nginx.https));
    expect(result.status, brief(result)).toBe('pass');
    expect(result.messageId).toBe('tlsMatches');
  });
  it('insecure: true against a TLS server fails and says to set insecure: false in the file that sets it', async () => {
    const t = bedTarget(bed().nginx.https, { insecure: true }, { provenance: { 'client.insecure': '/home/u/.flyte/config.yaml: admin.insecure' } });
    const { result } = await run('client.config.tls-mode', t);
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('insecureAgainstTls');
    expect(result.hint).toContain('set admin.insecure: false in /home/u/.flyte/config.yaml');
    expect(result.message).toContain('http1.x');
  });
  it('insecure: false against a plaintext gRPC port fails and says insecure: true (FLYTE_PLATFORM_INSECURE when the env sets it)', async () => {
    const { result } = await run('client.config.tls-mode', direct(bed().admin.grpcPort, { insecure: false }, { provenance: { 'client.insecure': 'env FLYTE_PLATFORM_INSECURE' } }));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('tlsAgainstPlaintext');
    expect(result.hint).toContain('set FLYTE_PLATFORM_INSECURE=true in the environment');
    expect(result.details?.serverSpeaks).toBe('h2c');
    expect(result.cause).toBe(`tls-plaintext:127.0.0.1:${bed().admin.grpcPort}`);
  });
  it('insecure: true against the plaintext gRPC port passes', async () => {
    const { result } = await run('client.config.tls-mode', direct(bed().admin.grpcPort, { insecure: true }));
    expect(result.status, brief(result)).toBe('pass');
    expect(result.messageId).toBe('plaintextGrpc');
  });
  it('the HTTP-only port (flyteadmin 8088) is called out even with insecure: true', async () => {
    const { result } = await run('client.config.tls-mode', direct(bed().admin.httpPort, { insecure: true }));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('httpOnlyPort');
    expect(result.hint).toContain('8089');
    expect(result.cause).toBe(`wrong-service:127.0.0.1:${bed().admin.httpPort}`);
  });
  it('insecureSkipVerify: true although the chain is valid: warn', async () => {
    const { result } = await run('client.config.tls-mode', bedTarget(bed().nginx.https, { insecureSkipVerify: true }));
    expect(result.status).toBe('warn');
    expect(result.messageId).toBe('skipVerifyUnneeded');
    expect(result.hint).toContain('admin.insecureSkipVerify');
  });
  it('an untrusted chain is tls.admin.trust\'s finding: the mode (TLS) matches', async () => {
    const { result } = await run('client.config.tls-mode', bedTarget(bed().nginx.https, { caCertFilePath: undefined }));
    expect(result.status, brief(result)).toBe('pass');
  });
  it('caCertFilePath that does not exist: fail with the config cause', async () => {
    const { result } = await run('client.config.tls-mode', bedTarget(bed().nginx.https, { caCertFilePath: '/nonexistent/ca.pem' }));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('caFileMissing');
    expect(result.message).toContain('does not exist');
    expect(result.cause).toBe('config:admin.caCertFilePath');
  });
  it('caCertFilePath that does not exist does not matter with insecure: true (neither client reads it)', async () => {
    const { result } = await run('client.config.tls-mode', direct(bed().admin.grpcPort, { insecure: true, caCertFilePath: '/nonexistent/ca.pem' }));
    expect(result.status, brief(result)).toBe('pass');
  });
  it('stalled endpoint with insecure: true: fail "accepts TCP but never answers" (not a firewall) within the budget', async () => {
    const t0 = Date.now();
    const { result } = await run('client.config.tls-mode', direct(bed().stall.port, { insecure: true }), { timeoutMs: 3000 });
    expect(result.status, brief(result)).toBe('fail');
    expect(result.messageId).toBe('silentServer');
    expect(Date.now() - t0).toBeLessThan(3500);
  });
  it('stalled endpoint with TLS: left to tls.admin.handshake (skip, no duplicate failure)', async () => {
    const { result } = await run('client.config.tls-mode', bedTarget(bed().stall.port, { endpoint: `dns:///127.0.0.1:${bed().stall.port}`, host: '127.0.0.1', port: bed().stall.port }), { timeoutMs: 3000 });
    expect(result.status, brief(result)).toBe('skip');
  });
});
