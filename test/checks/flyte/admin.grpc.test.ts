import { beforeAll, describe, expect, it } from 'vitest';
import { bed, bedTarget, brief, run } from '../client/bed.js';
import { warmUp } from '../ingress/private-bed.js';

beforeAll(warmUp, 60_000);

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
  it('auth on (values and server): UNAUTHENTICATED is reachable, version unknown', async () => {
    const { result } = await run('flyte.admin.grpc', bedTarget(bed().nginx.authHttps, {}, { auth: { enabled: true, valuesKey: 'configuration.auth' } }));
    expect(result.status, brief(result)).toBe('pass');
    expect(result.messageId).toBe('authRequired');
  });
  it('class 8: UNAUTHENTICATED while the values turn auth off is a finding, not "answers"', async () => {
    const { result } = await run('flyte.admin.grpc', bedTarget(bed().nginx.authHttps));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('authOnServer');
    expect(result.cause).toBe('config:configuration.auth.enabled');
    expect(result.hint).toContain('rollout restart');
  });
  it('the client dial path is blocked by client.config.tls-mode when the TLS mode is wrong', async () => {
    const { result, results } = await run('flyte.admin.grpc', bedTarget(bed().nginx.https, { insecure: true }));
    expect(result.status).toBe('skip');
    expect(result.blockedBy).toBe('client.config.tls-mode');
    expect(results.find((r) => r.id === 'client.config.tls-mode')?.status).toBe('fail');
  });
  it('expired certificate: fails with the cause tls.admin.expiry uses', async () => {
    const { result } = await run('flyte.admin.grpc', bedTarget(bed().nginx.expired));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('certExpired');
    expect(result.cause).toBe(`tls-expired:flyte.test:${bed().nginx.expired}`);
  });
});
