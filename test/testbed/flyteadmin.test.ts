// The test bed's Flyte admin backend answers like flyteadmin: real flyteidl gRPC over h2c, grpc-gateway
// JSON over HTTP/1.1, and the auth-on variant refuses anonymous calls but serves its auth metadata.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { startAdmin, TESTBED_ADMIN_TOKEN, ADMIN_PORTS } from '../infra/flyteadmin.js';
import { bed, flyteidl, getVersion, grpcUnary, healthCheck, rejection, tempContext, testbedIsUp } from './kube-ingress-helpers.js';

let http: number, grpcPort: number, authHttp: number, authGrpc: number, issuer: string;
let stop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  if (testbedIsUp() && bed().admin) {
    const tb = bed();
    ({ httpPort: http, grpcPort } = tb.admin);
    issuer = tb.oidc.issuer;
    authHttp = Number(new URL(issuer).port);
    authGrpc = ADMIN_PORTS.authGrpc;
  } else {
    const t = tempContext();
    stop = t.stop;
    const r = await startAdmin(t.ctx, { ports: { http: 28088, grpc: 28089, authHttp: 28188, authGrpc: 28189 } });
    ({ httpPort: http, grpcPort } = r.admin);
    ({ httpPort: authHttp, grpcPort: authGrpc } = r.authAdmin);
    issuer = r.oidc.issuer;
  }
});
afterAll(async () => { await stop?.(); });

const get = (port: number, path: string, headers: Record<string, string> = {}) =>
  fetch(`http://127.0.0.1:${port}${path}`, { headers, redirect: 'manual' });

describe('admin backend, auth off', () => {
  it('GetVersion over plaintext gRPC returns the control plane version', async () => {
    const r = await getVersion(`127.0.0.1:${grpcPort}`);
    expect(r.controlPlaneVersion?.Version).toBe('v1.16.8');
    expect(r.controlPlaneVersion?.Build).toBeTruthy();
    expect(r.controlPlaneVersion?.BuildTime).toBeTruthy();
  });

  it('ListProjects returns flytesnacks with its three domains', async () => {
    const A = flyteidl.admin;
    const r = await grpcUnary(`127.0.0.1:${grpcPort}`, '/flyteidl.service.AdminService/ListProjects', A.ProjectListRequest, A.Projects, A.ProjectListRequest.create({ limit: 10 }));
    expect(r.projects?.map((p) => p.id)).toEqual(['flytesnacks']);
    expect(r.projects?.[0]?.domains?.map((d) => d.id)).toEqual(['development', 'staging', 'production']);
  });

  it('grpc.health.v1 reports SERVING for "" and flyteadmin', async () => {
    expect(await healthCheck(`127.0.0.1:${grpcPort}`)).toBe('SERVING');
    expect(await healthCheck(`127.0.0.1:${grpcPort}`, { service: 'flyteadmin' })).toBe('SERVING');
  });

  it('AuthMetadataService is not registered (UNIMPLEMENTED), like flyteadmin with useAuth=false', async () => {
    const S = flyteidl.service;
    const e = await rejection(grpcUnary(`127.0.0.1:${grpcPort}`, '/flyteidl.service.AuthMetadataService/GetOAuth2Metadata', S.OAuth2MetadataRequest, S.OAuth2MetadataResponse, S.OAuth2MetadataRequest.create()));
    expect(e.code).toBe(grpc.status.UNIMPLEMENTED);
  });

  it('the HTTP port has no gRPC handler (gRPC to 8088 fails)', async () => {
    const e = await rejection(getVersion(`127.0.0.1:${http}`, { timeoutMs: 3000 }));
    expect(e.code).not.toBe(grpc.status.OK);
  });

  it('serves /healthcheck, /console and the gateway JSON routes', async () => {
    const h = await get(http, '/healthcheck');
    expect(h.status).toBe(200);
    expect(await h.text()).toBe('');
    const c = await get(http, '/console');
    expect(c.status).toBe(200);
    expect(c.headers.get('content-type')).toMatch(/text\/html/);
    expect(await c.text()).toMatch(/Flyte Console/);
    const v = await get(http, '/api/v1/version');
    expect(await v.json()).toEqual({ control_plane_version: { Build: expect.any(String), Version: 'v1.16.8', BuildTime: expect.any(String) } });
    const p = (await (await get(http, '/api/v1/projects')).json()) as { projects: { id: string }[] };
    expect(p.projects.map((x) => x.id)).toEqual(['flytesnacks']);
  });

  it('auth metadata routes answer 501 when auth is off', async () => {
    expect((await get(http, '/.well-known/oauth-authorization-server')).status).toBe(501);
    expect((await get(http, '/config/v1/flyte_client')).status).toBe(501);
    expect((await get(http, '/no/such/path')).status).toBe(404);
  });
});

describe('admin backend, auth on', () => {
  it('AdminService answers UNAUTHENTICATED without a token and works with the test token', async () => {
    const e = await rejection(getVersion(`127.0.0.1:${authGrpc}`));
    expect(e.code).toBe(grpc.status.UNAUTHENTICATED);
    const md = new grpc.Metadata();
    md.set('flyte-authorization', `Bearer ${TESTBED_ADMIN_TOKEN}`);
    expect((await getVersion(`127.0.0.1:${authGrpc}`, { metadata: md })).controlPlaneVersion?.Version).toBe('v1.16.8');
  });

  it('health and AuthMetadataService stay anonymous', async () => {
    expect(await healthCheck(`127.0.0.1:${authGrpc}`)).toBe('SERVING');
    const S = flyteidl.service;
    const m = await grpcUnary(`127.0.0.1:${authGrpc}`, '/flyteidl.service.AuthMetadataService/GetOAuth2Metadata', S.OAuth2MetadataRequest, S.OAuth2MetadataResponse, S.OAuth2MetadataRequest.create());
    expect(m.issuer).toBe(issuer);
    expect(m.tokenEndpoint).toBe(`${issuer}/token`);
    const c = await grpcUnary(`127.0.0.1:${authGrpc}`, '/flyteidl.service.AuthMetadataService/GetPublicClientConfig', S.PublicClientAuthConfigRequest, S.PublicClientAuthConfigResponse, S.PublicClientAuthConfigRequest.create());
    expect(c.clientId).toBe('flytectl');
    expect(c.authorizationMetadataKey).toBe('flyte-authorization');
  });

  it('/api/v1/* is 401 without a token, 200 with it; /healthcheck stays open', async () => {
    expect((await get(authHttp, '/api/v1/version')).status).toBe(401);
    expect((await get(authHttp, '/api/v1/projects')).status).toBe(401);
    expect((await get(authHttp, '/api/v1/version', { authorization: `Bearer ${TESTBED_ADMIN_TOKEN}` })).status).toBe(200);
    expect((await get(authHttp, '/healthcheck')).status).toBe(200);
  });

  it('serves OAuth2 metadata, the public client config and the OIDC discovery document', async () => {
    const m = (await (await get(authHttp, '/.well-known/oauth-authorization-server')).json()) as Record<string, unknown>;
    expect(m).toMatchObject({ issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/keys` });
    const c = (await (await get(authHttp, '/config/v1/flyte_client')).json()) as Record<string, unknown>;
    expect(c).toMatchObject({ client_id: 'flytectl', redirect_uri: 'http://localhost:53593/callback', scopes: ['all', 'offline'], authorization_metadata_key: 'flyte-authorization' });
    const d = await fetch(`${issuer}/.well-known/openid-configuration`);
    expect(d.status).toBe(200);
    expect(((await d.json()) as { issuer: string }).issuer).toBe(issuer);
    const r = await get(authHttp, '/.well-known/openid-configuration');
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe(`${issuer}/.well-known/openid-configuration`);
  });
});
