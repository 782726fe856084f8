import { GRPC_SERVICES } from '../../src/flyte/ingress.js';
import { grpcRouteCheck } from './_support.js';

export default grpcRouteCheck({
  id: 'ingress.grpc.dataproxy',
  svc: GRPC_SERVICES.dataproxy,
  title: 'DataProxyService (uploads of `pyflyte run --remote`) is routed through the ingress',
  explain: {
    what: 'Calls `flyteidl.service.DataProxyService/CreateUploadLocation` with an empty request through the ingress: flyteadmin\'s handler rejects it with INVALID_ARGUMENT ("project and domain are required parameters") before signing anything, which proves the route reaches it. Nothing is created.',
    why: '`pyflyte run --remote` and `pyflyte register` upload code through signed URLs from this service; an ingress that routes AdminService but not DataProxyService lets `flytectl get projects` work while every remote run fails.',
    fix: 'Route `/flyteidl.service.DataProxyService` and `/flyteidl.service.DataProxyService/*` on the gRPC ingress to flyteadmin\'s gRPC port (the charts render it).',
  },
});
