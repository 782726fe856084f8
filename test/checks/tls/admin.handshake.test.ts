import { describe, expect, it } from 'vitest';
import { bed, bedTarget, brief, run } from '../client/bed.js';

describe('tls.admin.handshake', () => {
  it('TLS 1.2+ with ALPN h2 on the healthy listener', async () => {
    const { result } = await run('tls.admin.handshake', bedTarget(bed().nginx.https));
    expect(result.status, brief(result)).toBe('pass');
    expect(result.messageId).toBe('negotiated');
    expect(result.details).toMatchObject({ alpn: 'h2', sni: 'flyte.test', address: '127.0.0.1' });
  });
  it('skips when the client is configured for plaintext (insecure: true)', async () => {
    const { result } = await run('tls.admin.handshake', bedTarget(bed().admin.grpcPort, { insecure: true, endpoint: `dns:///127.0.0.1:${bed().admin.grpcPort}`, host: '127.0.0.1', port: bed().admin.grpcPort }));
    expect(result.status).toBe('skip');
  });
  it('closed port: refused', async () => {
    const p = bed().closedPort;
    const { result } = await run('tls.admin.handshake', bedTarget(p, { endpoint: `dns:///127.0.0.1:${p}`, host: '127.0.0.1', port: p }));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('refused');
  });
  it('TLS against the plaintext gRPC port: plaintextPort, the fix sets admin.insecure: true in the file that has it', async () => {
    const p = bed().admin.grpcPort;
    const t = bedTarget(p, { endpoint: `dns:///127.0.0.1:${p}`, host: '127.0.0.1', port: p }, { provenance: { 'client.insecure': '/home/u/.flyte/config.yaml: admin.insecure' } });
    const { result } = await run('tls.admin.handshake', t);
    expect(result.messageId, brief(result)).toBe('plaintextPort');
    expect(result.message).toContain('h2c');
    expect(result.hint).toContain('set admin.insecure: true in /home/u/.flyte/config.yaml');
  });
});
