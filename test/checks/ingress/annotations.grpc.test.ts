import { describe, expect, it } from 'vitest';
import { makeTarget } from '../../harness/target.js';
import { ingressFor, run } from '../client/bed.js';

const ing = (over: Parameters<typeof ingressFor>[1]) => ({ ...ingressFor(443, over), host: 'flyte.example.com', httpUrl: 'https://flyte.example.com', grpcAddress: 'flyte.example.com:443' });
const check = async (over: Parameters<typeof ingressFor>[1], chart: 'flyte-binary' | 'flyte-core' = 'flyte-binary') =>
  (await run('ingress.annotations.grpc', makeTarget({ chart, ingress: { ...ing(over), valuesKey: chart === 'flyte-core' ? 'common.ingress' : 'ingress' } }), { phase: 'preflight' })).result;

describe('ingress.annotations.grpc (preflight, from values)', () => {
  it('nginx with backend-protocol GRPC, separate ingress and TLS passes', async () => {
    expect((await check({})).status).toBe('pass');
  });
  it('nginx without backend-protocol fails and names the values key', async () => {
    const r = await check({ grpcAnnotations: {} });
    expect(r.status).toBe('fail');
    expect(r.hint).toContain('nginx.ingress.kubernetes.io/backend-protocol: GRPC in ingress.grpcAnnotations');
  });
  it('flyte-core nginx on one shared ingress fails: separateGrpcIngress', async () => {
    const r = await check({ separateGrpcIngress: false, grpcAnnotations: {} }, 'flyte-core');
    expect(r.status).toBe('fail');
    expect(r.hint).toContain('common.ingress.separateGrpcIngress: true');
    expect(r.hint).toContain('common.ingress.separateGrpcIngressAnnotations');
  });
  it('nginx without TLS fails', async () => {
    const r = await check({ tls: false });
    expect(r.status).toBe('fail');
    expect(r.message).toContain('TLS');
  });
  it('ALB with HTTP2 instead of GRPC, and an HTTP listener, fails', async () => {
    const r = await check({ className: 'alb', grpcAnnotations: { 'alb.ingress.kubernetes.io/backend-protocol-version': 'HTTP2', 'alb.ingress.kubernetes.io/listen-ports': '[{"HTTP":80},{"HTTPS":443}]' } });
    expect(r.status).toBe('fail');
    expect(r.hint).toContain('alb.ingress.kubernetes.io/backend-protocol-version: GRPC');
    expect(r.hint).toContain('[{"HTTPS":443}]');
  });
  it('ALB with GRPC passes', async () => {
    expect((await check({ className: 'alb', grpcAnnotations: { 'alb.ingress.kubernetes.io/backend-protocol-version': 'GRPC' } })).status).toBe('pass');
  });
  it('Traefik without h2c warns with the Service annotation', async () => {
    const r = await check({ className: 'traefik', grpcAnnotations: {} });
    expect(r.status).toBe('warn');
    expect(r.hint).toContain('traefik.ingress.kubernetes.io/service.serversscheme: h2c');
  });
  it('Contour without h2c warns', async () => {
    const r = await check({ className: 'contour', grpcAnnotations: {} });
    expect(r.status).toBe('warn');
    expect(r.hint).toContain('projectcontour.io/upstream-protocol.h2c');
  });
  it('GCE without TLS fails', async () => {
    const r = await check({ className: 'gce', grpcAnnotations: {}, tls: false });
    expect(r.status).toBe('fail');
  });
  it('unknown class: skip with the reason', async () => {
    const r = await check({ className: 'kong' });
    expect(r.status).toBe('skip');
    expect(r.message).toContain('kong');
  });
});
