import { GRPC_SERVICES } from '../../src/flyte/ingress.js';
import { grpcRouteCheck } from './_support.js';

export default grpcRouteCheck({
  id: 'ingress.grpc.health',
  svc: GRPC_SERVICES.health,
  title: 'grpc.health.v1 Check answers through the ingress',
  explain: {
    what: 'Calls `grpc.health.v1.Health/Check` through the ingress gRPC address (TLS as the values define the ingress, ALPN h2).',
    why: 'Proves the gRPC path end to end (TLS, HTTP/2, proxying as gRPC, routing of /grpc.health.v1.Health) without credentials; load balancers health-check this path.',
    fix: 'See the message: gRPC proxied as HTTP/1.1 needs the controller\'s gRPC backend annotation; the ingress\'s 404 means the prefix is not routed; UNIMPLEMENTED means the wrong backend; NOT_SERVING means flyteadmin is unhealthy.',
  },
});
