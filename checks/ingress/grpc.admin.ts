import { GRPC_SERVICES } from '../../src/flyte/ingress.js';
import { grpcRouteCheck } from './_support.js';

export default grpcRouteCheck({
  id: 'ingress.grpc.admin',
  svc: GRPC_SERVICES.admin,
  title: 'AdminService GetVersion answers through the ingress',
  explain: {
    what: 'Calls `flyteidl.service.AdminService/GetVersion` through the ingress gRPC address, dialled as the values define the ingress (TLS from the values, the client\'s CA file for trust; Flyte\'s GetVersion messages in the wire format, transport grpc-js). UNAUTHENTICATED is "routed" only when auth is on; with auth off it is a finding (auth on the live server, or something in front).',
    why: 'This is the call path of every flytectl/pyflyte command. No grpc-status (HTTP 400/502/504 while flyteadmin\'s HTTP side answers, a stream reset) means gRPC is proxied as HTTP/1.1; the ingress\'s own 404 means the prefix is not routed; an HTTP 404 of flyteadmin\'s HTTP port means the route points at the wrong port; UNIMPLEMENTED means another gRPC server.',
    fix: 'nginx: `nginx.ingress.kubernetes.io/backend-protocol: GRPC` on a separate gRPC Ingress; ALB: `alb.ingress.kubernetes.io/backend-protocol-version: GRPC`; Traefik: h2c to the backend; route every gRPC prefix (X and X/*) to flyteadmin\'s gRPC port.',
  },
});
