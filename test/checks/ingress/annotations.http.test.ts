import { describe, expect, it } from 'vitest';
import { makeTarget } from '../../harness/target.js';
import { ingressFor, run } from '../client/bed.js';

const ing = (over: Parameters<typeof ingressFor>[1]) => ({ ...ingressFor(443, over), host: 'flyte.example.com', httpUrl: 'https://flyte.example.com', grpcAddress: 'flyte.example.com:443' });
const check = async (over: Parameters<typeof ingressFor>[1], chart: 'flyte-binary' | 'flyte-core' = 'flyte-binary') =>
  (await run('ingress.annotations.http', makeTarget({ chart, ingress: { ...ing(over), valuesKey: chart === 'flyte-core' ? 'common.ingress' : 'ingress' } }), { phase: 'preflight' })).result;

describe('ingress.annotations.http (preflight, from values)', () => {
  it('the chart examples (app-root on HTTP, GRPC on the gRPC Ingress) pass', async () => {
    const r = await check({ annotations: { 'nginx.ingress.kubernetes.io/app-root': '/console' } });
    expect(r.status).toBe('pass');
  });
  it('rewrite-target on the HTTP Ingress fails and names the key to remove it from', async () => {
    const r = await check({ annotations: { 'ingress.kubernetes.io/rewrite-target': '/' } });
    expect(r.status).toBe('fail');
    expect(r.messageId).toBe('rewriteTarget');
    expect(r.hint).toContain('remove ingress.kubernetes.io/rewrite-target from ingress.httpAnnotations');
    expect(r.cause).toBe('config:ingress.httpAnnotations');
  });
  it('backend-protocol GRPC reaching the HTTP Ingress (commonAnnotations) fails', async () => {
    const r = await check({ annotations: { 'nginx.ingress.kubernetes.io/backend-protocol': 'GRPC' } });
    expect(r.status).toBe('fail');
    expect(r.messageId).toBe('grpcProtocolOnHttp');
    expect(r.hint).toContain('ingress.grpcAnnotations');
  });
  it('basic auth on the gRPC Ingress fails; on the HTTP Ingress only it warns', async () => {
    const g = await check({ grpcAnnotations: { 'nginx.ingress.kubernetes.io/backend-protocol': 'GRPC', 'nginx.ingress.kubernetes.io/auth-type': 'basic' } });
    expect(g.status).toBe('fail');
    expect(g.messageId).toBe('frontAuthOnGrpc');
    expect(g.hint).toContain('configuration.auth.enabled');
    const h = await check({ annotations: { 'nginx.ingress.kubernetes.io/auth-url': 'https://auth.example.com/oauth2/auth' } });
    expect(h.status).toBe('warn');
    expect(h.messageId).toBe('frontAuthOnHttp');
  });
  it('flyte-core with one shared Ingress: the common annotations reach the gRPC paths', async () => {
    const r = await check({ separateGrpcIngress: false, annotations: { 'nginx.ingress.kubernetes.io/auth-type': 'basic' }, grpcAnnotations: {} }, 'flyte-core');
    expect(r.status).toBe('fail');
    expect(r.messageId).toBe('frontAuthOnGrpc');
    expect(r.hint).toContain('configmap.adminServer.server.security.useAuth');
  });
  it('no Ingress rendered: skip with the reason', async () => {
    const r = await check({ enabled: false });
    expect(r.status).toBe('skip');
  });
});
