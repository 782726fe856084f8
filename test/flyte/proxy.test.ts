// Which proxy each Flyte client takes (src/flyte/proxy.ts): the spellings each reads, NO_PROXY forms.
import { describe, expect, it } from 'vitest';
import { noProxyMatch, proxyRoutes, shownProxy } from '../../src/flyte/proxy.js';

const route = (env: Record<string, string>, host = 'flyte.example.org', port = 443) => Object.fromEntries(proxyRoutes(env, host, port).map((r) => [r.client, r.proxy ? `${r.variable}=${r.proxy}` : r.bypass ? `direct: ${r.bypass}` : 'direct']));

describe('proxy routes per client', () => {
  it('upper case is flytectl\'s, lower case pyflyte\'s; requests prefers lower case', () => {
    expect(route({ HTTPS_PROXY: 'http://up:1' })).toEqual({ flytectl: 'HTTPS_PROXY=http://up:1', pyflyte: 'direct', 'flytekit-http': 'HTTPS_PROXY=http://up:1' });
    expect(route({ https_proxy: 'http://low:1' })).toEqual({ flytectl: 'https_proxy=http://low:1', pyflyte: 'https_proxy=http://low:1', 'flytekit-http': 'https_proxy=http://low:1' });
    expect(route({ HTTPS_PROXY: 'http://up:1', https_proxy: 'http://low:1' })).toEqual({ flytectl: 'HTTPS_PROXY=http://up:1', pyflyte: 'https_proxy=http://low:1', 'flytekit-http': 'https_proxy=http://low:1' });
    expect(route({ grpc_proxy: 'http://g:1', http_proxy: 'http://h:1' })).toEqual({ flytectl: 'direct', pyflyte: 'grpc_proxy=http://g:1', 'flytekit-http': 'direct' });
    expect(route({ http_proxy: 'http://h:1' }).pyflyte).toBe('http_proxy=http://h:1'); // grpcio falls back to http_proxy
  });

  it('loopback is never proxied by Go; NO_PROXY spellings and forms differ per client', () => {
    expect(route({ HTTPS_PROXY: 'http://p:1' }, '127.0.0.1').flytectl).toMatch(/^direct: 127\.0\.0\.1 is a loopback address/);
    expect(route({ HTTPS_PROXY: 'http://p:1', https_proxy: 'http://p:1', NO_PROXY: '.example.org' })).toEqual({ flytectl: 'direct: NO_PROXY entry .example.org', pyflyte: 'https_proxy=http://p:1', 'flytekit-http': 'direct: NO_PROXY entry .example.org' });
    expect(route({ https_proxy: 'http://p:1', no_grpc_proxy: 'flyte.example.org' }).pyflyte).toBe('direct: no_grpc_proxy entry flyte.example.org');
  });

  it('NO_PROXY entries: *, domain and subdomains, leading dot, host:port (Go), CIDR (Go, grpc), not CIDR for requests', () => {
    const go = { cidr: true, ports: true }, py = { cidr: false, ports: false };
    expect(noProxyMatch('*', 'a.b', 443, go)).toBe('*');
    expect(noProxyMatch('example.org', 'flyte.example.org', 443, go)).toBe('example.org');
    expect(noProxyMatch('example.org', 'notexample.org', 443, go)).toBeUndefined();
    expect(noProxyMatch('.example.org', 'example.org', 443, go)).toBe('.example.org');
    expect(noProxyMatch('flyte.example.org:8443', 'flyte.example.org', 443, go)).toBeUndefined();
    expect(noProxyMatch('flyte.example.org:8443', 'flyte.example.org', 8443, go)).toBe('flyte.example.org:8443');
    expect(noProxyMatch('10.0.0.0/8', '10.1.2.3', 443, go)).toBe('10.0.0.0/8');
    expect(noProxyMatch('10.0.0.0/8', '10.1.2.3', 443, py)).toBeUndefined();
    expect(noProxyMatch('fd00::/8', 'fd12::1', 443, go)).toBe('fd00::/8');
  });

  it('a proxy URL with a password is shown without it', () => {
    expect(shownProxy('http://user:s3cret@proxy:3128')).toBe('http://user:***@proxy:3128');
    expect(shownProxy('proxy:3128')).toBe('http://proxy:3128');
  });
});
