import { describe, expect, it } from 'vitest';
import { startTcp } from '../../harness/private-servers.js';
import { bed, bedTarget, brief, run } from './bed.js';

const direct = (port: number, client: Parameters<typeof bedTarget>[1], extra: Parameters<typeof bedTarget>[2] = {}) => bedTarget(port, { endpoint: `dns:///127.0.0.1:${port}`, host: '127.0.0.1', port, caCertFilePath: undefined, ...client }, extra);

describe('client.config.tls-mode (the insecure / insecureSkipVerify confusion)', () => {
  it('healthy: TLS server, insecure false, CA via caCertFilePath', async () => {
    const { result } = await run('client.config.tls-mode', bedTarget(bed().nginx.https));
    expect(result.status, brief(result)).toBe('pass');
    expect(result.messageId).toBe('tlsMatches');
  });
  it('a CA bundle variable that cannot be used: what each client does with it (requests refuses, Go skips a missing file but hangs on a device, grpcio has no roots unless caCertFilePath)', async () => {
    const b = bed();
    const withEnv = (trustEnv: Record<string, string>, ca: string | null = b.caCert) => bedTarget(b.nginx.https, { caCertFilePath: ca ?? undefined, trustEnv } as never);
    const requests = (await run('client.config.tls-mode', withEnv({ REQUESTS_CA_BUNDLE: '/nonexistent/bundle.pem' }))).result;
    expect(requests).toMatchObject({ status: 'fail', messageId: 'trustEnvBroken', cause: 'config:env:REQUESTS_CA_BUNDLE' });
    expect(requests.message).toContain('REQUESTS_CA_BUNDLE=/nonexistent/bundle.pem (environment) file does not exist');
    expect(requests.message).toContain('Could not find a suitable TLS CA certificate bundle, invalid path');
    expect(requests.hint).toContain('point REQUESTS_CA_BUNDLE at an existing PEM bundle');
    const device = (await run('client.config.tls-mode', withEnv({ SSL_CERT_FILE: '/dev/zero' }))).result;
    expect(device).toMatchObject({ status: 'fail', messageId: 'trustEnvBroken' });
    expect(device.message).toMatch(/SSL_CERT_FILE=\/dev\/zero .*character device.*flytectl hangs/);
    const missing = (await run('client.config.tls-mode', withEnv({ SSL_CERT_FILE: '/nonexistent/certs.pem' }))).result;
    expect(missing).toMatchObject({ status: 'warn', messageId: 'trustEnvIgnored' });
    const grpcNoCa = (await run('client.config.tls-mode', withEnv({ GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: '/etc/hostname', SSL_CERT_FILE: b.caCert }, null))).result;
    expect(grpcNoCa).toMatchObject({ status: 'fail', messageId: 'trustEnvBroken' });
    expect(grpcNoCa.message).toContain('no PEM certificate in the file: pyflyte\'s gRPC channel has no root certificates');
    const grpcWithCa = (await run('client.config.tls-mode', withEnv({ GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: '/etc/hostname' }))).result;
    expect(grpcWithCa).toMatchObject({ status: 'warn', messageId: 'trustEnvIgnored' });
    // NODE_EXTRA_CA_CERTS concerns no Flyte client
    const node = (await run('client.config.tls-mode', withEnv({ NODE_EXTRA_CA_CERTS: '/nonexistent/extra.pem' }))).result;
    expect(node.status, brief(node)).toBe('pass');
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
  it('caCertFilePath with a line break after it (a YAML block scalar): the path is shown quoted and the file named', async () => {
    const { result } = await run('client.config.tls-mode', bedTarget(bed().nginx.https, { caCertFilePath: `${bed().caCert}\n` }));
    expect(result).toMatchObject({ status: 'fail', messageId: 'caFileMissing', cause: 'config:admin.caCertFilePath' });
    expect(result.message).toContain(`admin.caCertFilePath: ${JSON.stringify(`${bed().caCert}\n`)}`);
    expect(result.message).toContain(`: file does not exist: the path ends with a newline, and ${bed().caCert} exists: remove the whitespace from the path (a YAML block scalar`);
    expect(result.message).not.toMatch(/\n/);
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
  // What the plaintext probe reads is bounded in time and memory: an endless stream of another
  // protocol, or an HTTP answer whose body trickles, is judged from its first bytes, not at the timeout.
  it('a port flooding another protocol, and an HTTP answer that trickles: named at once, not at the timeout and not "silent"', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'Z');
    const flood = await startTcp((s) => { const go = () => { while (!s.destroyed && s.write(chunk)) { /* until pushed back */ } }; s.on('drain', go); s.on('error', () => undefined); go(); });
    const trickle = await startTcp((s) => {
      s.on('error', () => undefined);
      s.once('data', () => { s.write('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n'); const t = setInterval(() => s.write('x'), 40); s.on('close', () => clearInterval(t)); });
    });
    try {
      let t0 = Date.now();
      const f = (await run('client.config.tls-mode', direct(flood.port, { insecure: true }), { timeoutMs: 8000 })).result;
      expect(f.messageId, brief(f)).toBe('notGrpc');
      expect(f.message).toContain('an unknown service (ZZZZ');
      expect(Date.now() - t0).toBeLessThan(2500);
      t0 = Date.now();
      const h = (await run('client.config.tls-mode', direct(trickle.port, { insecure: true }), { timeoutMs: 8000 })).result;
      expect(h.messageId, brief(h)).toBe('httpOnlyPort');
      expect(h.message).toContain('HTTP/1.1 200 OK');
      expect(Date.now() - t0).toBeLessThan(2500);
    } finally { await flood.stop(); await trickle.stop(); }
  });
  it('stalled endpoint with TLS: left to tls.admin.handshake (skip, no duplicate failure)', async () => {
    const { result } = await run('client.config.tls-mode', bedTarget(bed().stall.port, { endpoint: `dns:///127.0.0.1:${bed().stall.port}`, host: '127.0.0.1', port: bed().stall.port }), { timeoutMs: 3000 });
    expect(result.status, brief(result)).toBe('skip');
  });
});
