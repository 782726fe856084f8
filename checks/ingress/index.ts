// Checks of area 'ingress', sorted by id. Kept equal to the files in this folder by test/checks.conformance.test.ts.
import type { Check } from '../../src/engine/types.js';
import annotationsGrpc from './annotations.grpc.js';
import annotationsHttp from './annotations.http.js';
import grpcAdmin from './grpc.admin.js';
import grpcAuthmetadata from './grpc.authmetadata.js';
import grpcDataproxy from './grpc.dataproxy.js';
import grpcHealth from './grpc.health.js';
import grpcIdentity from './grpc.identity.js';
import grpcSignal from './grpc.signal.js';
import hostValid from './host.valid.js';
import httpApi from './http.api.js';
import httpConsole from './http.console.js';
import httpHealthcheck from './http.healthcheck.js';

export const checks: readonly Check[] = [annotationsGrpc, annotationsHttp, grpcAdmin, grpcAuthmetadata, grpcDataproxy, grpcHealth, grpcIdentity, grpcSignal, hostValid, httpApi, httpConsole, httpHealthcheck];
