import { describe, expect, it } from 'vitest';
import { makeTarget } from '../../harness/target.js';
import { brief, run } from './bed.js';

const t = (endpoint: string, extra: Parameters<typeof makeTarget>[0] = {}) => makeTarget({ client: { endpoint, insecure: false, insecureSkipVerify: false, configPath: '/home/u/.flyte/config.yaml' }, ...extra });

describe('client.config.endpoint', () => {
  it('accepts dns:///host and host:port', async () => {
    for (const e of ['dns:///flyte.example.com', 'dns:///flyte.example.com:443', 'localhost:30080']) {
      const { result } = await run('client.config.endpoint', t(e), { phase: 'preflight' });
      expect(result.status, brief(result)).toBe('pass');
      expect(result.messageId).toBe('wellFormed');
    }
  });
  it.each([
    ['https://flyte.example.com', 'dns:///flyte.example.com'],
    ['http://localhost:30080/', 'dns:///localhost:30080'],
    ['dns:///flyte.example.com/', 'dns:///flyte.example.com'],
    ['dns://flyte.example.com', 'dns:///flyte.example.com'],
    ['dns:///flyte.example.com:99999', 'dns:///flyte.example.com'],
    ['dns:///flyte.example.com:443:8089', 'dns:///flyte.example.com:443'],
    // a URL scheme in front of a whole gRPC target: the target, not "dns:///dns"
    ['https://dns:///flyte.example.com:443', 'dns:///flyte.example.com:443'],
  ])('fails on the malformed endpoint %s and suggests %s', async (endpoint, fix) => {
    const { result } = await run('client.config.endpoint', t(endpoint), { phase: 'preflight' });
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('malformed');
    expect(result.hint).toContain(`admin.endpoint: "${fix}" in /home/u/.flyte/config.yaml`);
    expect(result.hint).toContain(`FLYTE_PLATFORM_URL=${fix}`);
    expect(result.cause).toBe('config:admin.endpoint');
  });
  it('https://dns:///host:port: the probes dial the target meant, so the value is the only finding (not a cluster-internal host "dns")', async () => {
    const { parseEndpoint } = await import('../../../src/config/endpoints.js');
    expect(parseEndpoint('https://dns:///flyte.example.com:8443')).toMatchObject({ host: 'flyte.example.com', port: 8443 });
    expect(parseEndpoint('https://dns:///flyte.example.com:8443')?.problem).toContain('a URL scheme in front of the gRPC target dns:///flyte.example.com:8443');
    const { result } = await run('client.config.endpoint', t('https://dns:///flyte.example.com:8443'), { phase: 'preflight' });
    expect(result.message).toContain('"https://" in front of the gRPC target dns:///flyte.example.com:8443, which neither flytectl nor pyflyte can dial');
  });
  it('a malformed FLYTE_PLATFORM_URL is named as the variable that overrides the file', async () => {
    const t = makeTarget({ client: { endpoint: 'https://flyte.example.com', insecure: false, insecureSkipVerify: false, configPath: '/home/u/.flyte/config.yaml' }, provenance: { 'client.endpoint': 'env FLYTE_PLATFORM_URL' } });
    const { result } = await run('client.config.endpoint', t, { phase: 'preflight' });
    expect(result.messageId).toBe('malformed');
    expect(result.message).toContain('FLYTE_PLATFORM_URL=https://flyte.example.com');
    expect(result.hint).toContain('set FLYTE_PLATFORM_URL=dns:///flyte.example.com in the environment');
  });
  it('FLYTE_PLATFORM_URL without a usable value, or dialing 8088 / a stale sandbox port / localhost: every fix names the variable, never only the file key it overrides', async () => {
    const env = (endpoint: string, extra: Parameters<typeof makeTarget>[0] = {}) => makeTarget({ client: { endpoint, insecure: false, insecureSkipVerify: false, configPath: '/home/u/.flyte/config.yaml' }, provenance: { 'client.endpoint': 'env FLYTE_PLATFORM_URL' }, ...extra });
    const blank = (await run('client.config.endpoint', env(' '), { phase: 'preflight' })).result;
    expect(blank.messageId).toBe('malformed');
    expect(blank.hint).toMatch(/^set FLYTE_PLATFORM_URL=dns:\/\/\/<host>\[:<port>\] in the environment, or unset FLYTE_PLATFORM_URL/);
    const http = (await run('client.config.endpoint', env('dns:///flyte.example.com:8088'), { phase: 'preflight' })).result;
    expect(http.messageId).toBe('httpPort');
    expect(http.message).toMatch(/^FLYTE_PLATFORM_URL \(environment; it overrides admin\.endpoint\) uses port 8088/);
    expect(http.hint).toContain('FLYTE_PLATFORM_URL in the environment overrides admin.endpoint in /home/u/.flyte/config.yaml');
    const stale = (await run('client.config.endpoint', env('dns:///localhost:30081'), { phase: 'preflight' })).result;
    expect(stale.hint).toMatch(/^set FLYTE_PLATFORM_URL=dns:\/\/\/localhost:30080 in the environment/);
    const local = (await run('client.config.endpoint', env('dns:///localhost:443', { ingress: { host: 'flyte.example.com', enabled: true, annotations: {}, grpcAnnotations: {}, separateGrpcIngress: true, valuesKey: 'ingress' } as never }), { phase: 'preflight' })).result;
    expect(local.messageId).toBe('localhost');
    expect(local.hint).toMatch(/^set FLYTE_PLATFORM_URL=dns:\/\/\/flyte\.example\.com in the environment/);
  });
  it('whitespace around the endpoint (a pasted space, a newline from a file or Secret): named and shown quoted, from the file or the variable', async () => {
    const { result } = await run('client.config.endpoint', t('dns:///flyte.example.com\n'), { phase: 'preflight' });
    expect(result).toMatchObject({ status: 'fail', messageId: 'malformed' });
    expect(result.message).toMatch(/admin\.endpoint: "dns:\/\/\/flyte\.example\.com\\n".*: the value ends with a newline/);
    expect(result.hint).toContain('admin.endpoint: "dns:///flyte.example.com" in /home/u/.flyte/config.yaml');
    const env = makeTarget({ client: { endpoint: ' flyte.example.com:443', insecure: false, insecureSkipVerify: false }, provenance: { 'client.endpoint': 'env FLYTE_PLATFORM_URL' } });
    const r2 = (await run('client.config.endpoint', env, { phase: 'preflight' })).result;
    expect(r2.message).toContain('FLYTE_PLATFORM_URL=" flyte.example.com:443" (environment; it overrides admin.endpoint): the value starts with a space');
    expect(r2.hint).toContain('set FLYTE_PLATFORM_URL=flyte.example.com:443 in the environment');
  });
  it('host:port:port is refused as two ports (an IPv6 address stays one host); the probes dial the first port meanwhile, so nothing else errors', async () => {
    const two = (await run('client.config.endpoint', t('dns:///flyte.example.com:443:8089'), { phase: 'preflight' })).result;
    expect(two.message).toContain('"flyte.example.com:443:8089" has more than one port (an IPv6 address is written in brackets, [addr]:port)');
    expect((await run('client.config.endpoint', t('dns:///[::1]:8089'), { phase: 'preflight' })).result).toMatchObject({ status: 'pass', messageId: 'wellFormed' });
    const { parseEndpoint } = await import('../../../src/config/endpoints.js');
    expect(parseEndpoint('dns:///flyte.example.com:443:8089')).toMatchObject({ host: 'flyte.example.com', port: 443, problem: 'admin.endpoint "flyte.example.com:443:8089" has more than one port' });
    expect(parseEndpoint('dns:///::1')).toMatchObject({ host: '::1', port: 443 });
    // against the bed: the ingress answers on the first port, so only the config is the finding
    const { bed } = await import('./bed.js');
    const { loadTarget } = await import('../../../src/config/load.js');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const b = bed();
    const dir = mkdtempSync(join(tmpdir(), 'fd-ep-'));
    writeFileSync(join(dir, 'config.yaml'), `admin:\n  endpoint: dns:///${b.nginx.host}:${b.nginx.https}:8089\n  caCertFilePath: ${b.caCert}\n`);
    const target = loadTarget({ values: [], set: [], flytectlConfig: join(dir, 'config.yaml'), dnsServer: b.dns.server, env: {}, cwd: dir, home: dir });
    expect([target.client.host, target.client.port]).toEqual([b.nginx.host, b.nginx.https]);
    const { result, results } = await run('tls.admin.handshake', target);
    expect(result.status, results.map(brief).join(' | ')).toBe('pass');
    expect((await run('client.config.endpoint', target, { phase: 'preflight' })).result).toMatchObject({ status: 'fail', messageId: 'malformed' });
  });
  it('fails on an empty host', async () => {
    const { result } = await run('client.config.endpoint', t('dns:///:443'), { phase: 'preflight' });
    expect(result.status).toBe('fail');
    expect(result.message).toContain('missing address');
  });
  it('warns on flyteadmin\'s HTTP-only port 8088 and names 8089', async () => {
    const { result } = await run('client.config.endpoint', t('dns:///localhost:8088'), { phase: 'preflight' });
    expect(result.status).toBe('warn');
    expect(result.messageId).toBe('httpPort');
    expect(result.hint).toContain('8089');
  });
  it('warns on the stale sandbox port 30081', async () => {
    const { result } = await run('client.config.endpoint', t('dns:///localhost:30081'), { phase: 'preflight' });
    expect(result.messageId).toBe('staleSandboxPort');
    expect(result.hint).toContain('30080');
  });
  describe('the client host and the Ingress host of the values', () => {
    const withIngress = (endpoint: string, host: string) => {
      const target = t(endpoint, { ingress: { host, enabled: true, annotations: {}, grpcAnnotations: {}, separateGrpcIngress: true, valuesKey: 'ingress' } as never });
      target.provenance['ingress.host'] = '/v/values.yaml: ingress.host';
      target.provenance['client.endpoint'] = '/home/u/.flyte/config.yaml: admin.endpoint';
      return target;
    };
    it('one typo apart: warns, names both, and the fix is the client endpoint with the Ingress host', async () => {
      const { result } = await run('client.config.endpoint', withIngress('dns:///flyte.exmaple.com', 'flyte.example.com'), { phase: 'preflight' });
      expect(result).toMatchObject({ status: 'warn', messageId: 'otherHost', cause: 'host-mismatch:flyte.exmaple.com|flyte.example.com' });
      expect(result.message).toContain('dials flyte.exmaple.com, but the values give the Ingress host flyte.example.com (one typo away) (/v/values.yaml: ingress.host)');
      expect(result.hint).toContain('set admin.endpoint: "dns:///flyte.example.com" in /home/u/.flyte/config.yaml');
      expect(result.hint).toContain('set ingress.host: flyte.exmaple.com in /v/values.yaml');
    });
    it('two unrelated names: warns with both ways to make them one', async () => {
      const { result } = await run('client.config.endpoint', withIngress('dns:///flyte.corp.internal', 'flyte.example.com'), { phase: 'preflight' });
      expect(result).toMatchObject({ status: 'warn', messageId: 'otherHost' });
      expect(result.message).not.toContain('typo');
      expect(result.hint).toMatch(/^make them the same name: /);
    });
    it('the same name (any case), a wildcard Ingress host, an IP, or a cluster-internal name: no warning', async () => {
      for (const [ep, host] of [['dns:///Flyte.Example.com', 'flyte.example.com'], ['dns:///flyte.example.com', '*.example.com'], ['dns:///10.0.0.5:443', 'flyte.example.com'], ['dns:///flyteadmin.flyte.svc.cluster.local:81', 'flyte.example.com']] as const) {
        const { result } = await run('client.config.endpoint', withIngress(ep, host), { phase: 'preflight' });
        expect(result.status, `${ep} vs ${host}: ${brief(result)}`).toBe('pass');
      }
    });
  });
});
