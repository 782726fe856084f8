import { GRPC_SERVICES } from '../../src/flyte/ingress.js';
import { grpcRouteCheck } from './_support.js';

export default grpcRouteCheck({
  id: 'ingress.grpc.authmetadata',
  svc: GRPC_SERVICES.authmetadata,
  title: 'AuthMetadataService is routed through the ingress',
  explain: {
    what: 'Calls `flyteidl.service.AuthMetadataService/GetPublicClientConfig` anonymously through the ingress. With auth on it must answer; with auth off flyteadmin does not register the service, so UNIMPLEMENTED from a gRPC server proves the route (the ingress\'s own 404 does not).',
    why: 'flytectl/pyflyte fetch auth metadata over this service before they log in ("failed to fetch auth metadata"); a missing prefix breaks every client the day auth is turned on.',
    fix: 'Route `/flyteidl.service.AuthMetadataService` and `/flyteidl.service.AuthMetadataService/*` on the gRPC ingress (flyte-binary before PR #5185 listed the prefix without /*); turn auth on on the server when the values say so.',
  },
});
