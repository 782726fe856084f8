// A small Flyte admin backend for the test bed. It serves flyteadmin's REAL gRPC services, with the
// message codecs of @flyteorg/flyteidl's static protobufjs module (no hand-written protos), over
// plaintext h2c on its gRPC port (flyteadmin's 8089), and flyteadmin's HTTP/1.1 surface (8088):
// /healthcheck, /console, the grpc-gateway JSON routes, the auth metadata routes.
//
//   node --import tsx test/infra/flyteadmin-server.ts --http-port 18088 --grpc-port 18089 \
//        [--auth --issuer http://127.0.0.1:18188/oidc] [--version v1.16.8]
//
// With --auth (flyteadmin `security.useAuth: true`): AdminService and /api/v1/* require a bearer
// token (`flyte-authorization` or `authorization` metadata/header; the one accepted token is
// --token, default TESTBED_ADMIN_TOKEN of flyteadmin.ts), AuthMetadataService and grpc.health.v1 stay anonymous, and
// the OIDC discovery document of the issuer is served under <issuer path>/.well-known/openid-configuration.
// Without --auth, AuthMetadataService is not registered (gRPC UNIMPLEMENTED), and its gateway routes
// answer HTTP 501 — what flyteadmin does (facts §B2/§B3).
// DataProxyService and SignalService are always registered (auth-guarded like AdminService); their
// handlers reject an empty request with INVALID_ARGUMENT exactly as flyteadmin's validation does.
// IdentityService is registered only with --auth. `--max-message-bytes N` sets the gRPC server's
// send and receive limits (flyteadmin `server.grpc.maxMessageSizeBytes`).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { generateKeyPairSync } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';

type FlyteIdl = typeof import('@flyteorg/flyteidl/gen/pb-js/flyteidl.js');
const require = createRequire(import.meta.url);
const { flyteidl } = require('@flyteorg/flyteidl/gen/pb-js/flyteidl.js') as FlyteIdl;

const DEFAULT_TOKEN = 'flyte-doctor-testbed-token'; // = TESTBED_ADMIN_TOKEN in flyteadmin.ts

const { values: args } = parseArgs({
  options: {
    'http-port': { type: 'string' },
    'grpc-port': { type: 'string' },
    auth: { type: 'boolean', default: false },
    issuer: { type: 'string' },
    version: { type: 'string', default: 'v1.16.8' },
    token: { type: 'string', default: DEFAULT_TOKEN },
    host: { type: 'string', default: '127.0.0.1' },
    'max-message-bytes': { type: 'string' },
  },
});
const httpPort = Number(args['http-port']);
const grpcPort = Number(args['grpc-port']);
if (!httpPort || !grpcPort) throw new Error('usage: flyteadmin-server.ts --http-port N --grpc-port N [--auth --issuer URL] [--version vX]');
const auth = args.auth === true;
const host = args.host ?? '127.0.0.1';
const version = args.version ?? 'v1.16.8';
const token = args.token ?? DEFAULT_TOKEN;
const issuer = (args.issuer ?? `http://${host}:${httpPort}/oidc`).replace(/\/$/, '');
const maxMessageBytes = args['max-message-bytes'] ? Number(args['max-message-bytes']) : undefined;
const BUILD = 'f0e2c7d3a';
const BUILD_TIME = '2026-07-09T12:00:00Z';

// ---------- data (one source for gRPC and the JSON gateway) ----------
const versionMsg = { Build: BUILD, Version: version, BuildTime: BUILD_TIME };
const domains = ['development', 'staging', 'production'].map((d) => ({ id: d, name: d }));
const projects = [{ id: 'flytesnacks', name: 'flytesnacks', description: 'flytesnacks project', domains, state: 0 }];
const oauthMeta = {
  issuer,
  authorizationEndpoint: `${issuer}/authorize`,
  tokenEndpoint: `${issuer}/token`,
  responseTypesSupported: ['code', 'token', 'code token'],
  scopesSupported: ['all', 'offline'],
  tokenEndpointAuthMethodsSupported: ['client_secret_basic'],
  jwksUri: `${issuer}/keys`,
  codeChallengeMethodsSupported: ['S256'],
  grantTypesSupported: ['client_credentials', 'refresh_token', 'authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'],
  deviceAuthorizationEndpoint: `${issuer}/device/code`,
};
const publicClient = {
  clientId: 'flytectl',
  redirectUri: 'http://localhost:53593/callback',
  scopes: ['all', 'offline'],
  authorizationMetadataKey: 'flyte-authorization',
  serviceHttpEndpoint: '',
  audience: '',
};
const snake = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v]));

// ---------- gRPC ----------
interface Codec<T> { encode(m: T): { finish(): Uint8Array }; decode(b: Uint8Array): T }
function unary<Req, Res>(service: string, method: string, req: Codec<Req>, res: Codec<Res>): grpc.MethodDefinition<Req, Res> {
  return {
    path: `/${service}/${method}`,
    requestStream: false,
    responseStream: false,
    requestSerialize: (m: Req) => Buffer.from(req.encode(m).finish()),
    requestDeserialize: (b: Buffer) => req.decode(b),
    responseSerialize: (m: Res) => Buffer.from(res.encode(m).finish()),
    responseDeserialize: (b: Buffer) => res.decode(b),
  };
}
const A = flyteidl.admin, S = flyteidl.service;
const adminService = {
  GetVersion: unary('flyteidl.service.AdminService', 'GetVersion', A.GetVersionRequest, A.GetVersionResponse),
  ListProjects: unary('flyteidl.service.AdminService', 'ListProjects', A.ProjectListRequest, A.Projects),
  GetDomains: unary('flyteidl.service.AdminService', 'GetDomains', A.GetDomainRequest, A.GetDomainsResponse),
} satisfies grpc.ServiceDefinition;
const dataProxyService = {
  CreateUploadLocation: unary('flyteidl.service.DataProxyService', 'CreateUploadLocation', S.CreateUploadLocationRequest, S.CreateUploadLocationResponse),
} satisfies grpc.ServiceDefinition;
const signalService = {
  ListSignals: unary('flyteidl.service.SignalService', 'ListSignals', A.SignalListRequest, A.SignalList),
} satisfies grpc.ServiceDefinition;
const identityService = {
  UserInfo: unary('flyteidl.service.IdentityService', 'UserInfo', S.UserInfoRequest, S.UserInfoResponse),
} satisfies grpc.ServiceDefinition;
const authMetadataService = {
  GetOAuth2Metadata: unary('flyteidl.service.AuthMetadataService', 'GetOAuth2Metadata', S.OAuth2MetadataRequest, S.OAuth2MetadataResponse),
  GetPublicClientConfig: unary('flyteidl.service.AuthMetadataService', 'GetPublicClientConfig', S.PublicClientAuthConfigRequest, S.PublicClientAuthConfigResponse),
} satisfies grpc.ServiceDefinition;

const UNAUTH_MSG = 'token parse error [JWT_VERIFICATION_FAILED] Could not retrieve id token from metadata, caused by: rpc error: code = Unauthenticated desc = Request unauthenticated with IDToken';
function bearerOk(value: string | undefined): boolean {
  return !!value && /^bearer\s+/i.test(value) && value.replace(/^bearer\s+/i, '') === token;
}
function grpcAuthorized(md: grpc.Metadata): boolean {
  const v = (md.get('flyte-authorization')[0] ?? md.get('authorization')[0])?.toString();
  return bearerOk(v);
}
function guarded<Req, Res>(fn: (req: Req) => Res): grpc.handleUnaryCall<Req, Res> {
  return (call, cb) => {
    if (auth && !grpcAuthorized(call.metadata)) { cb({ code: grpc.status.UNAUTHENTICATED, details: UNAUTH_MSG }); return; }
    cb(null, fn(call.request));
  };
}

/** Like guarded(), for handlers that can reject the request (flyteadmin validates after the auth interceptor). */
function guardedValidated<Req, Res>(fn: (req: Req) => Res | { code: grpc.status; details: string }): grpc.handleUnaryCall<Req, Res> {
  return (call, cb) => {
    if (auth && !grpcAuthorized(call.metadata)) { cb({ code: grpc.status.UNAUTHENTICATED, details: UNAUTH_MSG }); return; }
    const r = fn(call.request);
    if (r && typeof r === 'object' && 'code' in r && 'details' in r && typeof (r as { code: unknown }).code === 'number') cb(r as { code: grpc.status; details: string });
    else cb(null, r as Res);
  };
}

const server = new grpc.Server({ ...(maxMessageBytes ? { 'grpc.max_send_message_length': maxMessageBytes, 'grpc.max_receive_message_length': maxMessageBytes } : {}) });
server.addService(adminService, {
  GetVersion: guarded(() => A.GetVersionResponse.create({ controlPlaneVersion: versionMsg })),
  ListProjects: guarded(() => A.Projects.create({ projects, token: '' })),
  GetDomains: guarded(() => A.GetDomainsResponse.create({ domains })),
});
type UploadReq = { project?: string; domain?: string; filenameRoot?: string; contentMd5?: Uint8Array };
server.addService(dataProxyService, {
  CreateUploadLocation: guardedValidated((req: UploadReq) => {
    if (!req.project || !req.domain) return { code: grpc.status.INVALID_ARGUMENT, details: 'project and domain are required parameters' };
    if (!req.filenameRoot && !req.contentMd5?.length) return { code: grpc.status.INVALID_ARGUMENT, details: 'content_md5 or filename_root is a required parameter' };
    return S.CreateUploadLocationResponse.create({ signedUrl: `http://${host}:${httpPort}/upload/${req.project}/${req.domain}/${req.filenameRoot ?? 'x'}`, nativeUrl: `s3://flyte-userdata/${req.project}/${req.domain}` });
  }) as grpc.handleUnaryCall<unknown, unknown>,
});
server.addService(signalService, {
  ListSignals: guardedValidated((req: { workflowExecutionId?: { project?: string; domain?: string; name?: string } }) => {
    const id = req.workflowExecutionId;
    if (!id?.project || !id.domain || !id.name) return { code: grpc.status.INVALID_ARGUMENT, details: 'missing execution_id' };
    return A.SignalList.create({ signals: [], token: '' });
  }) as grpc.handleUnaryCall<unknown, unknown>,
});
if (auth) {
  server.addService(identityService, {
    UserInfo: guarded(() => S.UserInfoResponse.create({ subject: 'testbed-user', name: 'Test Bed User', preferredUsername: 'testbed' })) as grpc.handleUnaryCall<unknown, unknown>,
  });
  server.addService(authMetadataService, {
    GetOAuth2Metadata: ((_call, cb) => cb(null, S.OAuth2MetadataResponse.create(oauthMeta))) as grpc.handleUnaryCall<unknown, unknown>,
    GetPublicClientConfig: ((_call, cb) => cb(null, S.PublicClientAuthConfigResponse.create(publicClient))) as grpc.handleUnaryCall<unknown, unknown>,
  });
}
new HealthImplementation({ '': 'SERVING', flyteadmin: 'SERVING' }).addToServer(server);

// ---------- HTTP (flyteadmin's 8088: mux + grpc-gateway) ----------
function json(res: ServerResponse, status: number, body: unknown): void {
  const s = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(s) });
  res.end(s);
}
const gatewayError = (res: ServerResponse, http: number, code: number, message: string) => json(res, http, { code, message, details: [] });
function httpAuthorized(req: IncomingMessage): boolean {
  const h = req.headers['flyte-authorization'] ?? req.headers.authorization;
  return bearerOk(Array.isArray(h) ? h[0] : h);
}
const CONSOLE_HTML = '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Flyte Console</title></head><body><div id="react-app">Flyte Console (flyte-doctor test bed)</div></body></html>\n';
const issuerPath = new URL(issuer).pathname.replace(/\/$/, '');
const servesIssuer = new URL(issuer).port === String(httpPort);

// Issue 14: a Kubernetes-dashboard page for the bed's task-log link (flyte.tasklogs.kubernetes), and
// Prometheus text as the components' profiler port serves it (flytestdlib profutils /metrics).
const DASHBOARD_HTML = '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Kubernetes Dashboard</title></head><body><kd-root>Kubernetes Dashboard (flyte-doctor test bed)</kd-root></body></html>\n';
const METRICS_TEXT = '# HELP flyte:admin:admin:create_execution:codes:OK count of OK\n# TYPE flyte:admin:admin:create_execution:codes:OK counter\nflyte:admin:admin:create_execution:codes:OK 0\n# HELP go_goroutines Number of goroutines that currently exist.\n# TYPE go_goroutines gauge\ngo_goroutines 12\n';

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const p = url.pathname;
  if (p === '/healthcheck') { res.writeHead(200, { 'content-length': 0 }); res.end(); return; }
  if (p === '/kubernetes-dashboard' || p.startsWith('/kubernetes-dashboard/')) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(DASHBOARD_HTML) });
    res.end(DASHBOARD_HTML);
    return;
  }
  if (p === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(METRICS_TEXT) });
    res.end(METRICS_TEXT);
    return;
  }
  if (p === '/console' || p.startsWith('/console/')) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(CONSOLE_HTML) });
    res.end(CONSOLE_HTML);
    return;
  }
  if (p === '/api/v1/version' || p === '/api/v1/projects' || p === '/api/v1/domains') {
    if (auth && !httpAuthorized(req)) { gatewayError(res, 401, grpc.status.UNAUTHENTICATED, UNAUTH_MSG); return; }
    if (p === '/api/v1/version') json(res, 200, { control_plane_version: versionMsg });
    else if (p === '/api/v1/projects') json(res, 200, { projects: projects.map(({ state: _s, ...rest }) => rest) });
    else json(res, 200, { domains });
    return;
  }
  if (p.startsWith('/api/')) { gatewayError(res, 404, grpc.status.NOT_FOUND, 'Not Found'); return; }
  if (p === '/.well-known/oauth-authorization-server' || p === '/config/v1/flyte_client') {
    if (!auth) { gatewayError(res, 501, grpc.status.UNIMPLEMENTED, 'unknown service flyteidl.service.AuthMetadataService'); return; }
    json(res, 200, p === '/config/v1/flyte_client' ? snake(publicClient) : snake(oauthMeta));
    return;
  }
  if (auth && p === '/.well-known/openid-configuration') {
    res.writeHead(303, { location: `${issuer}/.well-known/openid-configuration` });
    res.end();
    return;
  }
  if (auth && p === '/login') { res.writeHead(307, { location: `${issuer}/authorize?client_id=flytectl&response_type=code` }); res.end(); return; }
  if (auth && p === '/me') { gatewayError(res, 401, grpc.status.UNAUTHENTICATED, UNAUTH_MSG); return; }
  if (servesIssuer && issuerPath && p.startsWith(`${issuerPath}/`)) {
    const sub = p.slice(issuerPath.length);
    if (sub === '/.well-known/openid-configuration') {
      json(res, 200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/keys`,
        userinfo_endpoint: `${issuer}/userinfo`,
        device_authorization_endpoint: `${issuer}/device/code`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
        code_challenge_methods_supported: ['S256'],
      });
      return;
    }
    if (sub === '/keys') { json(res, 200, { keys: [signingJwk()] }); return; }
    if (sub === '/token') { json(res, 400, { error: 'invalid_client' }); return; }
  }
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  res.end('404 page not found\n');
}

const t0 = performance.now();
const http = createServer(handle);
http.listen(httpPort, host, () => {
  server.bindAsync(`${host}:${grpcPort}`, grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) { console.error(`gRPC bind ${host}:${grpcPort} failed: ${err.message}`); process.exit(1); }
    console.log(`flyteadmin test backend ${version} auth=${auth} http=${host}:${httpPort} grpc=${host}:${port} issuer=${issuer} (listening ${Math.round(performance.now() - t0)} ms after load, ${Math.round(process.uptime() * 1000)} ms after process start)`);
  });
});
http.on('error', (e) => { console.error(`HTTP listen ${host}:${httpPort} failed: ${e.message}`); process.exit(1); });

const stop = () => { http.close(); server.tryShutdown(() => process.exit(0)); setTimeout(() => process.exit(0), 2000).unref(); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

// The issuer's signing key, as a JWKS serves it: a real RSA public key (a key set with no key is a
// finding of auth.oidc.jwks). Made once, on first request.
let jwk: Record<string, unknown> | undefined;
function signingJwk(): Record<string, unknown> {
  jwk ??= { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }), kid: 'testbed-1', use: 'sig', alg: 'RS256' };
  return jwk;
}
