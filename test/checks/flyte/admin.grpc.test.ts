import { describe, expect, it } from 'vitest';
import { bed, bedTarget, brief, run } from '../client/bed.js';

describe('flyte.admin.grpc (verify)', () => {
  it('reads the flyteadmin version over TLS through the ingress', async () => {
    const { result } = await run('flyte.admin.grpc', bedTarget(bed().nginx.https));
    expect(result.status, brief(result)).toBe('pass');
    expect(result.details?.version).toBe(bed().admin.version);
  });
  it('reads it over plaintext gRPC with insecure: true', async () => {
    const p = bed().admin.grpcPort;
    const { result } = await run('flyte.admin.grpc', bedTarget(p, { endpoint: `dns:///127.0.0.1:${p}`, host: '127.0.0.1', port: p, insecure: true }));
    expect(result.status, brief(result)).toBe('pass');
    expect(result.details?.version).toBe(bed().admin.version);
  });
  it('auth on: UNAUTHENTICATED is reachable, version unknown', async () => {
    const { result } = await run('flyte.admin.grpc', bedTarget(bed().nginx.authHttps));
    expect(result.status).toBe('pass');
    expect(result.messageId).toBe('authRequired');
  });
  it('expired certificate: fails with the TLS cause', async () => {
    const { result } = await run('flyte.admin.grpc', bedTarget(bed().nginx.expired));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('certExpired');
  });
});
