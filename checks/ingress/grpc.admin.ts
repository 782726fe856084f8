import { ingressGrpcEndpoint } from '../../src/config/endpoints.js';
import { getVersion, grpcCallSetup, grpcFailureOutcome } from '../../src/clients/grpc.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext, Outcome } from '../../src/engine/types.js';

export default defineCheck({
  id: 'ingress.grpc.admin',
  title: 'AdminService GetVersion answers through the ingress',
  phases: ['verify'],
  needs: ['ingress'],
  timeoutMs: 8000,
  explain: {
    what: 'Calls `flyteidl.service.AdminService/GetVersion` through the ingress gRPC address (definitions from @flyteorg/flyteidl, transport grpc-js). UNAUTHENTICATED counts as routed.',
    why: 'This is the call path of flytectl/pyflyte. HTTP 400/502 means gRPC is proxied as HTTP/1.1, 404 or text/html means the gRPC prefixes are not routed, UNIMPLEMENTED means the wrong backend.',
    fix: 'nginx: `nginx.ingress.kubernetes.io/backend-protocol: GRPC` on a separate gRPC Ingress; ALB: `alb.ingress.kubernetes.io/backend-protocol-version: GRPC`; Traefik: h2c to the backend; route every gRPC prefix (X and X/*).',
  },
  async run(ctx: CheckContext): Promise<Outcome> {
    const t = ingressGrpcEndpoint(ctx.target)!;
    const { o, timeoutMs, where } = await grpcCallSetup(ctx, t);
    try {
      const v = await getVersion(ctx, t, o, timeoutMs);
      return { status: 'pass', message: `AdminService/GetVersion through ${where}: flyteadmin ${v.version || 'unknown'}`, details: { endpoint: where, version: v.version, build: v.build, buildTime: v.buildTime } };
    } catch (err) {
      const out = await grpcFailureOutcome(ctx, t, o, err, '/flyteidl.service.AdminService/GetVersion', timeoutMs);
      return out ?? { status: 'pass', messageId: 'authRequired', message: `AdminService/GetVersion through ${where}: UNAUTHENTICATED, so the call was routed to flyteadmin (auth is on; a token is needed)`, details: { endpoint: where, grpcCode: 'UNAUTHENTICATED' } };
    }
  },
});
