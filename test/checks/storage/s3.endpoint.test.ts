import { describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck } from '../../harness/run-check.js';
import { s3Target } from './store-target.js';

describe('storage.s3.endpoint', () => {
  it('MinIO answers', async () => {
    const { result } = await runCheck('storage.s3.endpoint', s3Target());
    expect(result.status).toBe('pass');
    expect(result.details?.server).toBe('MinIO');
  });

  it('a wrong endpoint (closed port) is refused with the endpoint key', async () => {
    const { result } = await runCheck('storage.s3.endpoint', s3Target(undefined, { endpoint: `http://127.0.0.1:${getTestbed().closedPort}` }));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('unreachable');
    expect(result.message).toContain('connection refused');
    expect(result.cause).toBe(`unreachable:127.0.0.1:${getTestbed().closedPort}`);
    expect(result.hint).toContain('configuration.storage.providerConfig.s3.endpoint');
  });

  it('https against the plain-HTTP MinIO is a TLS mismatch pointing at disableSSL', async () => {
    const { result } = await runCheck('storage.s3.endpoint', s3Target(undefined, { endpoint: getTestbed().minio.endpoint.replace('http:', 'https:'), disableSSL: false }));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('tlsToPlainPort');
    expect(result.hint).toContain('configuration.storage.providerConfig.s3.endpoint: "http://127.0.0.1:19000"');
    expect(result.hint).toContain('configuration.storage.providerConfig.s3.disableSSL: true');
  });

  it('a cluster-internal MinIO name is a warn (cannot be checked here), with --in-cluster and the signed-URL override key', async () => {
    const { result } = await runCheck('storage.s3.endpoint', s3Target(undefined, { endpoint: 'http://minio.flyte.svc.cluster.local:9000' }));
    expect(result.status).toBe('warn');
    expect(result.messageId).toBe('clusterInternal');
    expect(result.message).toContain('cannot be checked from this machine');
    expect(result.hint).toContain('--in-cluster');
    expect(result.hint).toContain('signedUrl.stowConfigOverride.endpoint');
  });

  it('a stalled endpoint fails within the budget', async () => {
    const tb = getTestbed();
    const t0 = Date.now();
    const { result } = await runCheck('storage.s3.endpoint', s3Target(undefined, { endpoint: `http://${tb.stall.host}:${tb.stall.port}` }), { timeoutMs: 3000 });
    expect(Date.now() - t0).toBeLessThan(6000);
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('unreachable');
    expect(result.message).toMatch(/never answers|no answer/);
  });
});
