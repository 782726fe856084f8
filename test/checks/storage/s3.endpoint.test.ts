import { describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { impostors, startTcp, testCert } from '../../harness/private-servers.js';
import { runCheck, runSelection } from '../../harness/run-check.js';
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

  it('the scheme twice (https://http://host:port): storage.config.coherent fails with the URL meant and this probe is blocked (no host named http is dialed)', async () => {
    const m = getTestbed().minio;
    const t = s3Target(undefined, { endpoint: `https://${m.endpoint}` });
    const run = await runCheck('storage.s3.endpoint', t);
    expect(run.results.find((r) => r.id === 'storage.config.coherent')).toMatchObject({ status: 'fail', messageId: 'badEndpoint', rootCause: true });
    expect(run.result).toMatchObject({ status: 'skip', blockedBy: 'storage.config.coherent' });
    const meant = (run.results.find((r) => r.id === 'storage.config.coherent')!.hint ?? '').match(/endpoint: "([^"]+)"/)?.[1];
    expect(meant).toBe(m.endpoint);
    // the URL meant is MinIO's
    expect((await runCheck('storage.s3.endpoint', s3Target(undefined, { endpoint: meant! }))).result.status).toBe('pass');
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

describe('storage.s3.endpoint: what listens when it is not S3', () => {
  it('a TLS-only port given as http:// (a server that drops plain requests) is named as TLS, fix https + disableSSL', async () => {
    const { readFileSync } = await import('node:fs');
    const { createServer } = await import('node:tls');
    const c = testCert('fd-st-endpoint-tls');
    const srv = createServer({ cert: readFileSync(c.cert), key: readFileSync(c.key) }, (s) => s.end());
    srv.on('tlsClientError', () => {});
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    try {
      const { result } = await runCheck('storage.s3.endpoint', s3Target(undefined, { endpoint: `http://127.0.0.1:${port}`, disableSSL: true }));
      expect(result.messageId).toBe('plainToTlsPort');
      expect(result.message).toContain('TLS');
      expect(result.hint).toContain(`configuration.storage.providerConfig.s3.endpoint: "https://127.0.0.1:${port}"`);
      expect(result.hint).toContain('configuration.storage.providerConfig.s3.disableSSL: false');
    } finally { await new Promise((r) => srv.close(r)); }
  });

  it('an SSH server on the port: not S3, and says an SSH server listens', async () => {
    const srv = await startTcp(impostors.ssh);
    try {
      const { result } = await runCheck('storage.s3.endpoint', s3Target(undefined, { endpoint: `http://127.0.0.1:${srv.port}` }));
      expect(result.messageId).toBe('notS3');
      expect(result.message).toContain('SSH');
      expect(result.cause).toBe(`wrong-service:127.0.0.1:${srv.port}`);
    } finally { await srv.stop(); }
  });

  it('a cluster-internal endpoint: the buckets warn under the endpoint\'s finding, the probes are skipped, nothing fails', async () => {
    const run = await runSelection(s3Target(undefined, { endpoint: 'http://minio.flyte.svc.cluster.local:9000' }), 'preflight', ['storage.s3']);
    expect(run.results.filter((r) => r.status === 'fail' || r.status === 'error')).toEqual([]);
    const b = run.results.find((r) => r.id === 'storage.s3.bucket' && r.instance === 'metadata')!;
    expect(b.messageId).toBe('cannotCheckHere');
    expect(b.explainedBy).toBe('storage.s3.endpoint');
    expect(run.results.find((r) => r.id === 'storage.s3.endpoint')!.rootCause).toBe(true);
    expect(run.results.filter((r) => r.id === 'storage.s3.put').every((r) => r.status === 'skip')).toBe(true);
  });
});
