import { GRPC_SERVICES } from '../../src/flyte/ingress.js';
import { grpcRouteCheck } from './_support.js';

export default grpcRouteCheck({
  id: 'ingress.grpc.signal',
  svc: GRPC_SERVICES.signal,
  title: 'SignalService (approve / gate nodes) is routed through the ingress',
  explain: {
    what: 'Calls `flyteidl.service.SignalService/ListSignals` with an empty request through the ingress: flyteadmin\'s validation rejects it with INVALID_ARGUMENT ("missing execution_id"), which proves the route reaches its handler. Nothing is read or written.',
    why: 'Approving a gate node (`flytectl`, FlyteRemote.set_signal, the console\'s approve button through the gateway) needs this service; a half-routed ingress leaves workflows waiting forever.',
    fix: 'Route `/flyteidl.service.SignalService` and `/flyteidl.service.SignalService/*` on the gRPC ingress to flyteadmin\'s gRPC port.',
  },
});
