import { ingressGrpcEndpoint } from '../../src/config/endpoints.js';
import { grpcCallSetup, grpcFailureOutcome, healthCheck } from '../../src/clients/grpc.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext, Outcome } from '../../src/engine/types.js';

export default defineCheck({
  id: 'ingress.grpc.health',
  title: 'grpc.health.v1 Check answers through the ingress',
  phases: ['verify'],
  needs: ['ingress'],
  timeoutMs: 8000,
  explain: {
    what: 'Calls `grpc.health.v1.Health/Check` through the ingress gRPC address with the client\'s TLS settings (grpc-js, ALPN h2).',
    why: 'Proves the gRPC path end to end (TLS, HTTP/2, proxying as gRPC, routing of /grpc.health.v1.Health) without credentials.',
    fix: 'See the message: gRPC proxied as HTTP/1.1 needs the controller\'s gRPC backend annotation; 404 means the prefix is not routed; UNIMPLEMENTED means the wrong backend.',
  },
  async run(ctx: CheckContext): Promise<Outcome> {
    const t = ingressGrpcEndpoint(ctx.target)!;
    const { o, timeoutMs, where } = await grpcCallSetup(ctx, t);
    try {
      const status = await healthCheck(ctx, t, o, timeoutMs);
      const details = { endpoint: where, servingStatus: status, tls: t.tls };
      if (status === 'SERVING') return { status: 'pass', message: `grpc.health.v1 Check through ${where}: SERVING`, details };
      return { status: 'fail', messageId: 'notServing', message: `grpc.health.v1 Check through ${where}: ${status}`, hint: 'flyteadmin reports itself not serving: check its logs and readiness (kubectl -n <ns> logs deploy/<flyteadmin>)', details };
    } catch (err) {
      const out = await grpcFailureOutcome(ctx, t, o, err, '/grpc.health.v1.Health/Check', timeoutMs);
      return out ?? { status: 'pass', messageId: 'authRequired', message: `grpc.health.v1 Check through ${where}: UNAUTHENTICATED, so the call was routed to flyteadmin (auth is on)`, details: { endpoint: where, grpcCode: 'UNAUTHENTICATED' } };
    }
  },
});
