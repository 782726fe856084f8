// Where the served auth metadata sends clients for tokens, against a real HTTPS server answering like
// flyteadmin with auth on (ports 17900/17901): a token endpoint on a cluster-internal name (the first
// authorizedUris entry, taken when the public host is not listed), on the public host with http behind a
// TLS-terminating ingress, or on an external IdP given by an in-cluster name. Before, all of them passed.
import { createServer as createHttps, type Server as HttpsServer } from 'node:https';
import { createServer as createHttp, type Server as HttpServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCert } from '../../harness/private-servers.js';
import { Secret } from '../../../src/config/secret.js';
import { bed, bedTarget, brief, run } from '../client/bed.js';

const PORT = 17900;
const HTTP_PORT = 17901;
let meta: Record<string, unknown> = {};
const GOOD_CLIENT = { client_id: 'flytectl', redirect_uri: 'http://localhost:53593/callback', scopes: ['all', 'offline'], authorization_metadata_key: 'flyte-authorization' };
let flyteClient: Record<string, unknown> = GOOD_CLIENT;
let https: HttpsServer;
let http: HttpServer;
const listen = (s: HttpsServer | HttpServer, p: number) => new Promise<void>((r) => s.listen(p, '127.0.0.1', () => r()));
const close = (s: HttpsServer | HttpServer | undefined) => new Promise<void>((r) => { if (!s) return r(); s.closeAllConnections(); s.close(() => r()); });

beforeAll(async () => {
  const { cert, key } = testCert('hx-i-admin');
  https = createHttps({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
    const path = new URL(req.url ?? '/', 'https://x').pathname;
    const json = (o: unknown) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify(o)); };
    if (path === '/.well-known/oauth-authorization-server') return json(meta);
    if (path === '/config/v1/flyte_client') return json(flyteClient);
    if (path === '/oauth2/token' && req.method === 'POST') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString());
        const [id, secret] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString().split(':').map(decodeURIComponent);
        const oauthErr = (status: number, error: string) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify({ error, error_description: `${error} from the test IdP` })); };
        if (form.get('grant_type') !== 'client_credentials') return oauthErr(400, 'unsupported_grant_type');
        if (!['flytepropeller', 'nocc', 'weird', 'echo', 'stall'].includes(id!) || secret !== 'hx-i-good-secret') return oauthErr(401, 'invalid_client');
        if (id === 'nocc') return oauthErr(400, 'unauthorized_client');
        if (id === 'weird') return oauthErr(403, 'access_denied');
        if (id === 'stall') { res.writeHead(200, { 'content-type': 'application/json' }); return res.write('{"access_'); }
        if (id === 'echo') { res.writeHead(502, { 'content-type': 'text/plain' }); return res.end(`bad gateway; you sent ${req.headers.authorization} and ${secret}`); }
        if ((form.get('scope') ?? '').split(' ').includes('bogus')) return oauthErr(400, 'invalid_scope');
        return json({ access_token: 'hx-i-issued-token-value', token_type: 'bearer', expires_in: 3600 });
      });
      return;
    }
    if (path === '/oauth2/token') { res.writeHead(405); return res.end(); }
    res.writeHead(404); res.end();
  });
  http = createHttp((_req, res) => { res.writeHead(405); res.end(); });
  await listen(https, PORT);
  await listen(http, HTTP_PORT);
}, 30_000);
afterAll(async () => { await close(https); await close(http); });

const selfIssued = (origin: string) => ({ issuer: origin, authorization_endpoint: `${origin}/oauth2/authorize`, token_endpoint: `${origin}/oauth2/token`, grant_types_supported: ['client_credentials', 'authorization_code', 'refresh_token'] });
const target = (authorizedUris?: string[]) => bedTarget(PORT, { authType: 'Pkce' }, { auth: { enabled: true, oidcIssuer: bed().oidc.issuer, valuesKey: 'configuration.auth', ...(authorizedUris ? { authorizedUris } : {}) } });
const check = async (authorizedUris?: string[]) => (await run('auth.discovery.metadata', target(authorizedUris), { timeoutMs: 8000 })).result;
const pub = () => `https://${bed().nginx.host}:${PORT}`;

describe('auth.discovery.metadata: where the metadata sends clients for tokens', () => {
  it('the token endpoint on the public URL: pass', async () => {
    meta = selfIssued(pub());
    const r = await check();
    expect(r.status, brief(r)).toBe('pass');
  });
  it('self-issued, on http://flyteadmin:8088 (public host not in authorizedUris): endpointUnreachable naming authorizedUris and the public URL to add', async () => {
    meta = selfIssued('http://flyteadmin:8088');
    const r = await check(['http://flyteadmin:8088']);
    expect(r.status, brief(r)).toBe('fail');
    expect(r.messageId).toBe('endpointUnreachable');
    expect(r.cause).toBe('config:configuration.auth.authorizedUris');
    expect(r.message).toContain('http://flyteadmin:8088/oauth2/token');
    expect(r.hint).toBe(`write ${pub()} in configuration.auth.authorizedUris (scheme and port as clients use them; flyteadmin takes the issuer and token endpoint from the entry matching the request's host, else the first)`);
  });
  it('the values already list the public URL, the server still announces the internal one: roll out, not "write what is written"', async () => {
    meta = selfIssued('http://flyteadmin:8088');
    const r = await check([pub()]);
    expect(r.messageId, brief(r)).toBe('endpointUnreachable');
    expect(r.hint).toMatch(/already list .* roll the values out \(helm upgrade/);
    expect(r.hint).not.toMatch(/^write /);
    expect(r.cause).toBe('config:configuration.auth.enabled');
  });
  it('http on the public host where clients use https, nothing answers there: endpointUnreachable; it answers (another port): endpointOtherScheme warn', async () => {
    meta = selfIssued(`http://${bed().nginx.host}:${PORT}`);
    let r = await check();
    expect(r.messageId, brief(r)).toBe('endpointUnreachable');
    expect(r.message).toContain('(http, port 17900) while clients reach flyteadmin at');
    expect(r.hint).toContain(`write ${pub()} in configuration.auth.authorizedUris`);
    meta = selfIssued(`http://${bed().nginx.host}:${HTTP_PORT}`);
    r = await check();
    expect(r.status, brief(r)).toBe('warn');
    expect(r.messageId).toBe('endpointOtherScheme');
    expect(r.message).toContain('in cleartext');
  });
  it('an external IdP announced by its in-cluster name: endpointUnreachable keyed to the external auth server, not authorizedUris', async () => {
    meta = { issuer: 'http://keycloak.keycloak.svc:8080/realms/flyte', token_endpoint: 'http://keycloak.keycloak.svc:8080/realms/flyte/protocol/openid-connect/token', grant_types_supported: ['authorization_code'] };
    const r = await check();
    expect(r.messageId, brief(r)).toBe('endpointUnreachable');
    expect(r.cause).toBe('config:configuration.auth.appAuth.externalAuthServer.baseUrl');
    expect(r.hint).not.toContain('authorizedUris');
  });
});

describe('auth.discovery.metadata: the public client config (flyte_client)', () => {
  it('redirect_uri on the server\'s host instead of localhost: redirectNotLocal naming flyteClient.redirectUri and the localhost callback', async () => {
    meta = selfIssued(pub());
    flyteClient = { ...GOOD_CLIENT, redirect_uri: 'https://flyte.example.com/callback' };
    const r = await check();
    flyteClient = GOOD_CLIENT;
    expect(r.status, brief(r)).toBe('warn');
    expect(r.messageId).toBe('redirectNotLocal');
    expect(r.cause).toBe('config:configuration.auth.flyteClient.redirectUri');
    expect(r.hint).toContain('configuration.auth.flyteClient.redirectUri: http://localhost:53593/callback');
  });
  it('scopes without all: scopesMissing naming all; without offline only (the flyte-binary chart default [all]) a pass that says so in the details; offline_access and api://x/all count', async () => {
    meta = selfIssued(pub());
    flyteClient = { ...GOOD_CLIENT, scopes: ['offline'] };
    let r = await check();
    expect(r.messageId, brief(r)).toBe('scopesMissing');
    expect(r.message).toContain('lacking all:');
    flyteClient = { ...GOOD_CLIENT, scopes: ['all'] };
    r = await check();
    expect(r.status, brief(r)).toBe('pass');
    expect(String(r.details?.scopesWithoutOffline)).toMatch(/no refresh token/);
    flyteClient = { ...GOOD_CLIENT, scopes: ['api://flyte/all', 'offline_access'] };
    r = await check();
    flyteClient = GOOD_CLIENT;
    expect(r.status, brief(r)).toBe('pass');
  });
});

describe('auth.client.type: DeviceFlow needs the device authorization endpoint', () => {
  const ct = async () => (await run('auth.client.type', (() => { const t = target(); t.client.authType = 'DeviceFlow'; return t; })(), { timeoutMs: 8000 })).result;
  it('flyteadmin\'s own authorization server (no device_authorization_endpoint): noDeviceEndpoint, the fix is another authType, not "enable the grant"', async () => {
    meta = selfIssued(pub());
    const r = await ct();
    expect(r.status, brief(r)).toBe('fail');
    expect(r.messageId).toBe('noDeviceEndpoint');
    expect(r.message).toContain('flyteadmin\'s own authorization server has no device flow');
    expect(r.hint).toMatch(/^set admin\.authType: Pkce in \/home\/u\/\.flyte\/config\.yaml/);
  });
  it('an external IdP listing the device_code grant but no endpoint: noDeviceEndpoint naming the IdP setting; with the endpoint: pass', async () => {
    const idp = 'https://idp.example.com/oauth2/default';
    meta = { issuer: idp, token_endpoint: `${idp}/v1/token`, authorization_endpoint: `${idp}/v1/authorize`, grant_types_supported: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'] };
    let r = await ct();
    expect(r.messageId, brief(r)).toBe('noDeviceEndpoint');
    expect(r.hint).toContain('enable the device authorization grant on the IdP client');
    const fromEnv = target();
    fromEnv.client.authType = 'DeviceFlow';
    fromEnv.provenance['client.authType'] = 'env FLYTE_CREDENTIALS_AUTH_MODE';
    meta = selfIssued(pub());
    const e = (await run('auth.client.type', fromEnv, { timeoutMs: 8000 })).result;
    expect(e.messageId, brief(e)).toBe('noDeviceEndpoint');
    expect(e.hint, brief(e)).toMatch(/^set FLYTE_CREDENTIALS_AUTH_MODE=Pkce \(it overrides admin\.authType/);
    meta = { issuer: idp, token_endpoint: `${idp}/v1/token`, authorization_endpoint: `${idp}/v1/authorize`, grant_types_supported: ['authorization_code'], device_authorization_endpoint: `${idp}/v1/device/authorize` };
    r = await ct();
    expect(r.status, brief(r)).toBe('pass');
  });
});

describe('auth.client.token: the client credentials at the token endpoint, neighbouring OAuth errors told apart', () => {
  const tok = async (clientId: string | undefined, secret: string) => {
    const t = target();
    t.client.authType = 'ClientSecret';
    if (clientId) t.client.clientId = clientId;
    t.client.clientSecret = new Secret(secret);
    t.provenance['client.clientSecret'] = 'env FLYTE_CREDENTIALS_CLIENT_SECRET';
    return (await run('auth.client.token', t, { timeoutMs: 8000 })).result;
  };
  it('the right secret for flytectl\'s default client: issued, and the token is not in the output', async () => {
    meta = selfIssued(pub());
    flyteClient = GOOD_CLIENT;
    const r = await tok(undefined, 'hx-i-good-secret');
    expect(r.status, brief(r)).toBe('pass');
    expect(JSON.stringify(r)).not.toContain('hx-i-issued-token-value');
    expect(JSON.stringify(r)).not.toContain('hx-i-good-secret');
  });
  it('a wrong secret: invalidClient naming where the secret comes from (the env var), not the grant or the scopes', async () => {
    meta = selfIssued(pub());
    const r = await tok('flytepropeller', 'hx-i-stale-secret');
    expect(r.messageId, brief(r)).toBe('invalidClient');
    expect(r.hint).toContain('env FLYTE_CREDENTIALS_CLIENT_SECRET');
    expect(JSON.stringify(r)).not.toContain('hx-i-stale-secret');
  });
  it('unauthorized_client: the grant on the IdP client, not the secret', async () => {
    meta = selfIssued(pub());
    const r = await tok('nocc', 'hx-i-good-secret');
    expect(r.messageId, brief(r)).toBe('unauthorizedClient');
    expect(r.hint).toContain('allow client credentials on IdP client nocc');
    expect(r.hint).not.toContain('secret');
  });
  it('invalid_scope: admin.scopes, naming the scopes sent', async () => {
    meta = selfIssued(pub());
    flyteClient = { ...GOOD_CLIENT, scopes: ['all', 'offline', 'bogus'] };
    const r = await tok('flytepropeller', 'hx-i-good-secret');
    flyteClient = GOOD_CLIENT;
    expect(r.messageId, brief(r)).toBe('invalidScope');
    expect(r.cause).toBe('config:admin.scopes');
    expect(r.message).toContain('[all, offline, bogus]');
  });
  it('an OAuth error it does not know (access_denied, 403): tokenError "unrecognised" with the evidence, not invalidClient', async () => {
    meta = selfIssued(pub());
    const r = await tok('weird', 'hx-i-good-secret');
    expect(r.messageId, brief(r)).toBe('tokenError');
    expect(r.message).toMatch(/^unrecognised: .* answered 403 access_denied/);
  });
  it('a proxy that echoes the request with a 502: tokenEndpointDown (the credentials were not judged), withheld in every encoding', async () => {
    meta = selfIssued(pub());
    const r = await tok('echo', 'hx-i-good-secret');
    expect(r.messageId, brief(r)).toBe('tokenEndpointDown');
    expect(r.message).toContain('answered 502');
    const out = JSON.stringify(r);
    for (const v of ['hx-i-good-secret', Buffer.from('echo:hx-i-good-secret').toString('base64')]) expect(out).not.toContain(v);
  });
  it('a token endpoint where nothing listens: unreachable (a fail naming the connection refusal), never error', async () => {
    meta = { ...selfIssued(pub()), token_endpoint: `https://127.0.0.1:${bed().closedPort}/oauth2/token` };
    const r = await tok('flytepropeller', 'hx-i-good-secret');
    expect(r.messageId, brief(r)).toBe('unreachable');
    expect(r.message).toMatch(/ECONNREFUSED|refused/);
  });
  it('a token endpoint that answers 200 and then stalls its body: unreachable saying it answered and stalled, within the probe timeout', async () => {
    meta = selfIssued(pub());
    const t0 = Date.now();
    const t = target();
    t.client.authType = 'ClientSecret'; t.client.clientId = 'stall'; t.client.clientSecret = new Secret('hx-i-good-secret');
    const r = (await run('auth.client.token', t, { timeoutMs: 3000 })).result;
    expect(r.messageId, brief(r)).toBe('unreachable');
    expect(r.message).toMatch(/answered HTTP 200.*body stopped/);
    expect(r.hint).toContain('answered and then stopped');
    expect(Date.now() - t0).toBeLessThan(4000);
  });
  it('a plain-http token endpoint on another machine: the secret is not sent (skip), no confident verdict', async () => {
    meta = { issuer: 'http://idp.example.com', token_endpoint: 'http://idp.example.com/oauth2/token' };
    const r = await tok('flytepropeller', 'hx-i-good-secret');
    expect(r.status, brief(r)).toBe('skip');
    expect(r.messageId).toBe('cleartext');
  });
});

describe('auth.client.token against the bed\'s IdP (through the auth-on ingress)', () => {
  it('a secret the IdP does not hold: a finding (invalidClient), never error', async () => {
    const t = bedTarget(bed().nginx.authHttps, { authType: 'ClientSecret', clientSecret: new Secret('hx-i-not-the-bed-secret') }, { auth: { enabled: true, oidcIssuer: bed().oidc.issuer, valuesKey: 'configuration.auth' } });
    const r = (await run('auth.client.token', t, { timeoutMs: 8000 })).result;
    expect(r.messageId, brief(r)).toBe('invalidClient');
    expect(r.message).toContain('answered 400 invalid_client');
    expect(r.message).toContain('from the client config');
    expect(JSON.stringify(r)).not.toContain('hx-i-not-the-bed-secret');
  });
});
