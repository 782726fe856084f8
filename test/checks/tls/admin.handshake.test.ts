import { describe, expect, it } from 'vitest';
import { bed, bedTarget, brief, run } from '../client/bed.js';

describe('tls.admin.handshake', () => {
  it('TLS 1.2+ with ALPN h2 on the healthy listener', async () => {
    const { result } = await run('tls.admin.handshake', bedTarget(bed().nginx.https));
    expect(result.status, brief(result)).toBe('pass');
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
});
