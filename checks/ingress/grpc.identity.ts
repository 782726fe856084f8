import { GRPC_SERVICES } from '../../src/flyte/ingress.js';
import { grpcRouteCheck } from './_support.js';

export default grpcRouteCheck({
  id: 'ingress.grpc.identity',
  svc: GRPC_SERVICES.identity,
  title: 'IdentityService is routed through the ingress',
  explain: {
    what: 'Calls `flyteidl.service.IdentityService/UserInfo` without a token through the ingress: UNAUTHENTICATED from flyteadmin when auth is on; with auth off flyteadmin does not register the service, so UNIMPLEMENTED from a gRPC server proves the route.',
    why: 'Clients ask who is logged in through this service; a half-routed gRPC ingress (some prefixes missing) fails only the clients that use them.',
    fix: 'Route `/flyteidl.service.IdentityService` and `/flyteidl.service.IdentityService/*` on the gRPC ingress to flyteadmin\'s gRPC port.',
  },
});
