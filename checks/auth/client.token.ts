import { probeTimeout } from '../../src/engine/budget.js';
import { clientTrust } from '../../src/clients/trust.js';
import { httpRequest, jsonBody } from '../../src/clients/http.js';
import { frontAnswer, frontNetworkFix, statusFault } from '../../src/clients/answers.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import { setting, whereSet } from '../../src/flyte/settings.js';
import { fetchAuthMetadata } from './discovery.metadata.js';
import { maskTokenish } from '../../src/clients/kube.js';
import type { CheckContext, Json, Outcome } from '../../src/engine/types.js';
import { urisKey } from './public.uri.js';
import { fetchJwks, jwksKeys } from './oidc.jwks.js';

const LOOPBACK = /^(localhost|127(\.\d+){3}|::1|\[::1\])$/i;

export default defineCheck({
  id: 'auth.client.token',
  title: 'The client credentials (ClientSecret) get a token from the token endpoint',
  phases: ['verify'],
  needs: ['auth'],
  dependsOn: ['auth.client.type'],
  timeoutMs: 10000,
  messages: {
    issued: { status: 'pass', summary: 'The token endpoint issued an access token for the client id and secret of the client config.' },
    notClientSecret: { status: 'skip', summary: 'The authType is not ClientSecret (or no secret is set): no client-credentials token to ask for.' },
    metadataUnavailable: { status: 'skip', summary: 'The server\'s auth metadata (token endpoint) is not available (auth.discovery.metadata says why).' },
    cleartext: { status: 'skip', summary: 'The token endpoint is plain http on another machine: the secret is not sent in cleartext to test it.' },
    invalidClient: { status: 'fail', summary: 'invalid_client: the authorization server does not know the client id, or the secret does not match it.' },
    unauthorizedClient: { status: 'fail', summary: 'unauthorized_client: the client is known and authenticated, but not allowed the client_credentials grant.' },
    invalidScope: { status: 'fail', summary: 'invalid_scope: the client may not request the scopes sent (admin.scopes, else the server\'s flyte_client scopes).' },
    unsupportedGrant: { status: 'fail', summary: 'unsupported_grant_type / invalid_grant: the authorization server does not offer client_credentials here.' },
    tokenError: { status: 'fail', summary: 'The token endpoint refused with another answer (an unrecognised OAuth error, or not an OAuth answer at all); the evidence is shown.' },
    basicRefused: { status: 'warn', summary: 'The IdP client refuses its secret with HTTP Basic (client_secret_basic) and takes it in the form (client_secret_post): flytectl retries that way and works; pyflyte / flytekit send Basic only and get invalid_client.' },
    authMethodUnsupported: { status: 'fail', summary: 'invalid_client, and the authorization server lists no client secret method (token_endpoint_auth_methods_supported has only private_key_jwt and the like): flytectl and pyflyte authenticate only with a secret; the secret itself may be right.' },
    tokenClock: { status: 'fail', summary: 'The token is expired on issue, or issued in the future: the IdP\'s clock (or this machine\'s) is off, and flyteadmin refuses the token.' },
    tokenAudience: { status: 'fail', summary: 'flyteadmin refuses the token, whose audience (aud) is not one flyteadmin accepts (its public URL, allowedAudience).' },
    tokenIssuer: { status: 'fail', summary: 'flyteadmin refuses the token, whose issuer (iss) is not the authorization server flyteadmin announces.' },
    tokenRefused: { status: 'fail', summary: 'flyteadmin refuses the issued token though its audience, issuer and times look right (a signature flyteadmin cannot verify: the JWKS, or a key rotation).' },
    noToken: { status: 'fail', summary: 'The token endpoint answered 200 without an access_token.' },
    unreachable: { status: 'fail', summary: 'The token endpoint the metadata announces does not answer from here.' },
    tokenEndpointFront: { status: 'fail', summary: 'Something in front of the token endpoint answers for itself (a proxy wanting its own credentials 407, a captive portal 511, a web filter 451, a load balancer\'s auth 561, a proxy timeout 408): the client id and secret were not judged.' },
    tokenEndpointFault: { status: 'fail', summary: 'The token endpoint answers a status that names a fault on the way (a protocol or size limit 426/505/421/413/431, a CDN origin code 520-530, a client-certificate demand 495/496): the client id and secret were not judged.' },
    tokenEndpointDown: { status: 'fail', summary: 'The token endpoint answers a server error or a rate limit (HTTP 5xx / 429) without an OAuth error: the authorization server (or a proxy in front of it) fails now; the client settings may well be right.' },
  },
  explain: {
    what: 'With authType ClientSecret and a secret, asks the token endpoint of `/.well-known/oauth-authorization-server` for a client_credentials token, as flytectl does (HTTP Basic with admin.clientId and the secret; the scopes of admin.scopes, else the server\'s flyte_client scopes). When HTTP Basic gets invalid_client it asks again with the secret in the form (client_secret_post), as flytectl does, to tell a wrong secret from a client that takes it another way. The issued token is then shown to flyteadmin (GET /api/v1/projects) and, when refused, its claims are read without verifying it (aud, iss, exp, iat, kid) and compared with flyteadmin\'s public URL, the issuer it announces, this machine\'s clock and the key set. The token is never shown.',
    why: 'A wrong secret, a client not allowed the grant, or a scope the IdP refuses fail only at the first flytectl call, with "oauth2: cannot fetch token" and the IdP\'s error code; each needs another fix.',
    fix: 'invalid_client: put the IdP client\'s secret in the file of admin.clientSecretLocation (or the variable of admin.clientSecretEnvVar) and the client id in admin.clientId; unauthorized_client: allow client credentials on the IdP client; invalid_scope: set admin.scopes to scopes the client may request; Basic refused: set the IdP client\'s token endpoint authentication to client_secret_basic; a refused audience: admin.useAudienceFromAdmin / admin.audience, authorizedUris, or externalAuthServer.allowedAudience; a token expired on issue: the IdP\'s clock.',
  },
  async run(ctx) {
    const t = ctx.target;
    const c = t.client;
    const type = c.authType ?? 'ClientSecret';
    if (!['ClientSecret', 'basic', 'client_credentials', 'clientsecret'].includes(type) || !c.clientSecret) return { status: 'skip', messageId: 'notClientSecret', message: `admin.authType is ${type}${c.clientSecret ? '' : ' and no client secret is set'}: no client-credentials token to ask for` };
    const { oauth, client } = await fetchAuthMetadata(ctx);
    const meta = oauth.res && oauth.res.status === 200 ? jsonBody(oauth.res) : undefined;
    if (!meta || typeof meta.token_endpoint !== 'string') return { status: 'skip', messageId: 'metadataUnavailable', message: `no token endpoint known (${oauth.url}: ${oauth.error?.message ?? oauth.res?.status}); see auth.discovery.metadata` };
    let url: URL;
    try { url = new URL(meta.token_endpoint); } catch { return { status: 'skip', messageId: 'metadataUnavailable', message: `the token endpoint ${meta.token_endpoint} is not a URL; see auth.discovery.metadata` }; }
    if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname)) return { status: 'skip', messageId: 'cleartext', message: `the token endpoint ${url.href} is plain http on ${url.hostname}: the client secret is not sent there in cleartext to test it` };
    const cm = client.res && client.res.status === 200 ? jsonBody(client.res) : undefined;
    const scopes = Array.isArray(cm?.scopes) ? (cm!.scopes as unknown[]).filter((s): s is string => typeof s === 'string') : [];
    const clientId = c.clientId ?? 'flytepropeller';
    const idWhere = c.clientId ? `admin.clientId, from ${t.provenance['client.clientId'] ?? c.configPath ?? 'the client config'}` : 'admin.clientId not set: flytectl\'s default';
    const selfIssued = url.pathname.replace(/\/+$/, '') === '/oauth2/token';
    const serverHash = t.auth.valuesKey === 'configuration.auth' ? 'configuration.auth.internal.clientSecretHash' : `${t.auth.valuesKey}.appAuth.selfAuthServer.staticClients.${clientId}.client_secret`;
    const secretSetting = setting(t, 'client.clientSecret');
    const secretWhere = secretSetting.origin !== 'unset' ? whereSet(secretSetting) : (c.configPath ? `the client config ${c.configPath}` : 'the client config');
    const form = new URLSearchParams({ grant_type: 'client_credentials', ...(scopes.length ? { scope: scopes.join(' ') } : {}) });
    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(c.clientSecret.reveal())}`).toString('base64');
    const trust = await clientTrust(t);
    const timeoutMs = Math.min(probeTimeout(ctx), 6000);
    const details: Record<string, Json> = { tokenEndpoint: url.href, clientId, scopes, secretFrom: secretWhere };
    // RFC 8414: absent means client_secret_basic only; flytectl (Go oauth2, AuthStyleAutoDetect) sends HTTP Basic
    // and retries with the secret in the form when Basic is refused; pyflyte (flytekit) sends HTTP Basic only
    const methods = Array.isArray(meta.token_endpoint_auth_methods_supported) ? (meta.token_endpoint_auth_methods_supported as unknown[]).filter((x): x is string => typeof x === 'string') : undefined;
    if (methods) details.tokenEndpointAuthMethods = methods;
    const post = async (how: 'basic' | 'post'): Promise<{ status: number; body: string; headers?: Record<string, string> }> => {
      const f = new URLSearchParams(form);
      if (how === 'post') { f.set('client_id', clientId); f.set('client_secret', c.clientSecret!.reveal()); }
      return httpRequest(ctx, url.href, {
        method: 'POST', body: f.toString(), timeoutMs, ...(trust.ca ? { ca: trust.ca } : {}), skipVerify: trust.skipVerify,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...(how === 'basic' ? { authorization: `Basic ${basic}` } : {}) },
      });
    };
    const unreachable = (e: unknown): Outcome<'unreachable'> => {
      if (ctx.signal.aborted) throw e;
      const stalled = (e as { kind?: string }).kind === 'stalled';
      return { status: 'fail', messageId: 'unreachable', message: `POST ${url.href}: ${(e as Error).message}`, hint: stalled ? 'the token endpoint answered and then stopped sending: read the logs of the authorization server (or of the proxy in front of it) for this request' : 'see auth.discovery.metadata: the token endpoint the metadata announces must be reachable from where flytectl runs', details };
    };
    let r: { status: number; body: string; headers?: Record<string, string> };
    try { r = await post('basic'); } catch (e) { return unreachable(e); }
    const parse = (body: string) => { try { const v = JSON.parse(body) as unknown; return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined; } catch { return undefined; } };
    let j = parse(r.body);
    // what the server says is shown, never anything of the credentials it may echo (any encoding flyte-doctor sent),
    // judged on the whole text before it is cut (a secret cut at the end is still one), and no token it issued
    const sent = [basic, c.clientSecret.reveal(), encodeURIComponent(c.clientSecret.reveal()), new URLSearchParams({ s: c.clientSecret.reveal() }).toString().slice(2), Buffer.from(c.clientSecret.reveal()).toString('base64')].filter((x) => x.length >= 4);
    const scrub = (x: string) => (sent.some((v) => x.includes(v)) || /authorization|basic /i.test(x) ? '(withheld: it echoes the request\'s credentials)' : x);
    const errOf = (o: Record<string, unknown> | undefined) => (typeof o?.error === 'string' ? scrub(o.error.slice(0, 4096)).slice(0, 60) : undefined);
    let err = errOf(j);
    let desc = typeof j?.error_description === 'string' ? ` ("${scrub(j.error_description.slice(0, 4096)).slice(0, 160)}")` : '';
    let said = `POST ${url.href} (client_credentials, client ${clientId}${scopes.length ? `, scope ${scopes.join(' ')}` : ''}) answered ${r.status}${err ? ` ${err}${desc}` : ''}`;
    const SECRET_METHODS = ['client_secret_basic', 'client_secret_post'];
    // invalid_client to HTTP Basic: a wrong secret, or an IdP client that takes its secret in another way
    let basicRefused: string | undefined;
    if (err === 'invalid_client' && methods && methods.length && !methods.some((m) => SECRET_METHODS.includes(m))) {
      return {
        status: 'fail', messageId: 'authMethodUnsupported', cause: cause.backend(`oauth-client:${clientId}`),
        message: `${said}; the authorization server lists token_endpoint_auth_methods_supported [${methods.join(', ')}]: no client secret method (client_secret_basic / client_secret_post), and flytectl and pyflyte authenticate only with a client secret, so the secret (from ${secretWhere}) may well be right`,
        hint: `set the token endpoint authentication of IdP client ${clientId} to client_secret_basic (a client secret sent with HTTP Basic; Okta: Client authentication "Client secret"; Auth0: Token Endpoint Authentication Method "Basic"), or, to keep ${methods.join(' / ')}, use admin.authType: ExternalCommand with a command that gets the token`,
        details,
      };
    }
    if (err === 'invalid_client' && (!methods || methods.includes('client_secret_post'))) {
      let r2: { status: number; body: string } | undefined;
      try { r2 = await post('post'); } catch (e) { if (ctx.signal.aborted) throw e; details.clientSecretPost = `no answer: ${(e as Error).message}`; }
      const j2 = r2 ? parse(r2.body) : undefined;
      const err2 = errOf(j2);
      if (r2) details.clientSecretPost = `${r2.status}${err2 ? ` ${err2}` : ''}`;
      if (r2 && err2 !== 'invalid_client' && !(r2.status === 401 && !err2)) {
        // the same id and secret in the form got past client authentication: HTTP Basic is what is refused
        basicRefused = `${said}; the same client id and secret sent in the form (client_secret_post) ${r2.status === 200 ? 'got a token' : `got past client authentication (${r2.status}${err2 ? ` ${err2}` : ''})`}: the secret is right, IdP client ${clientId} does not take it with HTTP Basic${methods ? ` (token_endpoint_auth_methods_supported: ${methods.join(', ')})` : ''}`;
        details.basicRefused = true;
        r = r2; j = j2; err = err2;
        desc = typeof j2?.error_description === 'string' ? ` ("${scrub(j2.error_description.slice(0, 4096)).slice(0, 160)}")` : '';
        said = `POST ${url.href} (client_credentials, client ${clientId} as client_secret_post, HTTP Basic refused${scopes.length ? `, scope ${scopes.join(' ')}` : ''}) answered ${r.status}${err ? ` ${err}${desc}` : ''}`;
      } else if (r2) {
        said += ` (sent again as client_secret_post, as flytectl retries: ${r2.status}${err2 ? ` ${err2}` : ''})`;
      }
    }
    const basicHint = `set the token endpoint authentication of IdP client ${clientId} to client_secret_basic (Okta: Client authentication "Client secret", basic; Auth0: Token Endpoint Authentication Method "Basic"; Keycloak's "Client Id and Secret" takes both)`;
    if (r.status === 200 && j && typeof j.access_token === 'string' && j.access_token) {
      const judged = await judgeToken(ctx, j.access_token, { meta, client: cm, metaUrl: oauth.url, clientId, selfIssued, details, said: basicRefused ?? `the token endpoint issued client ${clientId} a token`, scrub: (x) => scrub(x.includes(j!.access_token as string) ? '(withheld)' : x) });
      if (judged) return judged;
      if (basicRefused) return { status: 'warn', messageId: 'basicRefused', cause: cause.backend(`oauth-client:${clientId}`), message: `${basicRefused}. flytectl and Flyte's own Go components retry that way and work; pyflyte / flytekit send HTTP Basic only and get invalid_client`, hint: basicHint, details };
      return { status: 'pass', messageId: 'issued', message: `the token endpoint issued a ${String(j.token_type ?? 'bearer')} token to client ${clientId}${typeof j.expires_in === 'number' ? ` (expires in ${j.expires_in} s)` : ''}${details.tokenAccepted ? '; flyteadmin accepts it' : ''}`, details };
    }
    if (r.status === 200) return { status: 'fail', messageId: 'noToken', message: `${said} without an access_token${j ? '' : ' (not JSON)'}`, hint: 'the token endpoint the metadata announces is not an OAuth2 token endpoint (a login page, a proxy): see auth.discovery.metadata', details };
    if (basicRefused && err !== 'invalid_client') details.alsoFix = basicHint;
    if (!err) {
      // no OAuth error: what answered is not the authorization server's verdict on the client; said with its cause
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const hp = `${host}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
      const notJudged = 'the client id and secret were not judged';
      const front = frontAnswer({ status: r.status, headers: r.headers ?? {} }, { subject: 'the token endpoint' });
      if (front && front.kind !== 'gone') return { status: 'fail', messageId: 'tokenEndpointFront', cause: cause.frontAuth(hp), message: `${said}: ${front.text}; ${notJudged}`, hint: frontNetworkFix(front.kind, host) ?? `check the proxy or load balancer in front of ${hp} (its timeouts); ${secretWhere} needs no change for this answer`, details };
      const fault = statusFault({ status: r.status, headers: r.headers ?? {} }, host);
      if (fault && fault.kind !== 'unrecognised' && fault.kind !== 'not-implemented') return { status: 'fail', messageId: 'tokenEndpointFault', cause: fault.kind === 'cdn-origin' ? cause.backend(`oauth-server:${hp}`) : cause.answer(hp, r.status), message: `${said}: ${fault.text}; ${notJudged}`, hint: `${fault.fix}; ${secretWhere} needs no change for this answer`, details };
      if (r.status === 429 || r.status === 500 || r.status === 502 || r.status === 503 || r.status === 504) {
        const retry = r.headers?.['retry-after'] ? ` (Retry-After: ${r.headers['retry-after'].slice(0, 40)})` : '';
        return { status: 'fail', messageId: 'tokenEndpointDown', cause: cause.backend(`oauth-server:${hp}`), message: `${said}${retry}: ${r.status === 429 ? 'the authorization server (or a proxy in front of it) rate-limits this client' : 'the authorization server (or a proxy in front of it) fails now'}; ${notJudged}`, hint: `retry${retry ? ' after the Retry-After time' : ''}, and check the authorization server's status and logs (flyteadmin's own: \`kubectl logs\` of flyteadmin); ${secretWhere} needs no change for this answer`, details };
      }
    }
    switch (err) {
      case 'invalid_client':
        return { status: 'fail', messageId: 'invalidClient', cause: cause.config('admin.clientSecretLocation'), message: `${said}: the authorization server does not know client ${clientId} (${idWhere}) or the secret (from ${secretWhere}) is not its secret`, hint: `check that client ${clientId} exists on the authorization server; put its current secret where the secret comes from (${secretWhere})${selfIssued ? ` (flyteadmin's own authorization server: the bcrypt hash of that secret is ${serverHash})` : ''}${c.clientId ? '' : ', and set admin.clientId to your IdP client\'s id'}`, details };
      case 'unauthorized_client':
        return { status: 'fail', messageId: 'unauthorizedClient', cause: cause.config('admin.clientId'), message: `${said}: client ${clientId} authenticated, but is not allowed the client_credentials grant`, hint: `allow client credentials on IdP client ${clientId} (Okta: grant type Client Credentials; Keycloak: Service accounts roles on; flyteadmin's own server: add client_credentials to its staticClients ${clientId}.grantTypes), or use admin.authType: Pkce for people`, details };
      case 'invalid_scope':
        return { status: 'fail', messageId: 'invalidScope', cause: cause.config('admin.scopes'), message: `${said}: client ${clientId} may not request ${scopes.length ? `[${scopes.join(', ')}]` : 'the default scope'} (flytectl sends admin.scopes, else the server's flyte_client scopes)`, hint: `set admin.scopes to the scopes client ${clientId} may request (Entra ID: [api://<app id>/.default]; Okta: a custom scope granted to the client), or grant ${scopes.join(' ') || 'them'} to the client on the IdP`, details };
      case 'unsupported_grant_type': case 'invalid_grant':
        return { status: 'fail', messageId: 'unsupportedGrant', message: `${said}: the authorization server does not offer client_credentials here`, hint: `enable the client_credentials grant on the authorization server, or use admin.authType: Pkce / DeviceFlow`, details };
      default:
        return { status: 'fail', messageId: 'tokenError', message: `unrecognised: ${said}${err ? '' : `, body ${JSON.stringify(scrub(maskTokenish(r.body.slice(0, 4096))).slice(0, 160))}`}`, hint: 'read the authorization server\'s logs for this request; the answer is not an OAuth2 error code flyte-doctor knows', details };
    }
  },
});

/** The claims of a JWT, read without verifying it (header and payload only: the signature and the token itself are never shown). */
export function jwtClaims(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const dec = (x: string) => JSON.parse(Buffer.from(x, 'base64url').toString('utf8')) as unknown;
    const header = dec(parts[0]!);
    const payload = dec(parts[1]!);
    if (!header || typeof header !== 'object' || !payload || typeof payload !== 'object') return undefined;
    return { header: header as Record<string, unknown>, payload: payload as Record<string, unknown> };
  } catch { return undefined; }
}

const SKEW_S = 60;
const iso = (s: number) => { try { return new Date(s * 1000).toISOString().replace(/\.000Z$/, 'Z'); } catch { return String(s); } };
const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, 200) : undefined);

/**
 * The issued token as flyteadmin sees it: presented to flyteadmin (GET /api/v1/projects, as flytectl's
 * first call) and, when refused, its claims (decoded, not verified) against what flyteadmin accepts:
 * the audience, the issuer, the times. A token that expired on issue is a finding even when flyteadmin
 * cannot be asked. Returns undefined when the token is accepted or cannot be judged (said in details).
 */
async function judgeToken(ctx: CheckContext, token: string, o: { meta: Record<string, unknown>; client: Record<string, unknown> | undefined; metaUrl: string; clientId: string; selfIssued: boolean; details: Record<string, Json>; said: string; scrub: (x: string) => string }): Promise<Outcome<'tokenClock' | 'tokenAudience' | 'tokenIssuer' | 'tokenRefused'> | undefined> {
  const t = ctx.target;
  const d = o.details;
  const claims = jwtClaims(token);
  const now = Math.floor(Date.now() / 1000);
  const p = claims?.payload ?? {};
  const exp = typeof p.exp === 'number' ? p.exp : undefined;
  const iat = typeof p.iat === 'number' ? p.iat : typeof p.nbf === 'number' ? p.nbf : undefined;
  const aud = (Array.isArray(p.aud) ? p.aud : p.aud !== undefined ? [p.aud] : []).filter((x): x is string => typeof x === 'string').map((x) => x.slice(0, 200));
  const iss = str(p.iss);
  if (claims) d.tokenClaims = { ...(iss ? { iss } : {}), aud, ...(exp !== undefined ? { exp: iso(exp) } : {}), ...(iat !== undefined ? { iat: iso(iat) } : {}), ...(str(claims.header.kid) ? { kid: str(claims.header.kid)! } : {}), ...(str(claims.header.alg) ? { alg: str(claims.header.alg)! } : {}) };
  else d.tokenClaims = 'not a JWT (an opaque token): its claims cannot be read here';
  // flyteadmin's public URL as this run reaches it (the metadata's own origin)
  const metaBase = o.metaUrl.replace(/\/\.well-known\/oauth-authorization-server$/, '');
  const pub = new URL(metaBase).origin;
  const header = (str(o.client?.authorization_metadata_key) ?? 'flyte-authorization').toLowerCase();
  let verdict: { status: number; body: string } | undefined;
  try {
    const trust = await clientTrust(t);
    verdict = await httpRequest(ctx, `${metaBase}/api/v1/projects`, { ...(trust.ca ? { ca: trust.ca } : {}), skipVerify: trust.skipVerify, timeoutMs: Math.min(probeTimeout(ctx), 4000), headers: { accept: 'application/json', authorization: `Bearer ${token}`, ...(header !== 'authorization' ? { [header]: `Bearer ${token}` } : {}) } });
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    d.tokenAccepted = `not judged: GET ${metaBase}/api/v1/projects: ${o.scrub((e as Error).message)}`;
  }
  if (verdict && verdict.status === 200) { d.tokenAccepted = true; return undefined; }
  // flyteadmin's own refusal is grpc-gateway JSON ({"code":16,"message":...}); a login page or a proxy's
  // Basic challenge in front of it says nothing about the token
  const vj = (() => { try { const v = verdict ? JSON.parse(verdict.body) as unknown : undefined; return v && typeof v === 'object' ? v as Record<string, unknown> : undefined; } catch { return undefined; } })();
  const refused = !!verdict && (verdict.status === 401 || verdict.status === 403) && !!vj && ('code' in vj || 'message' in vj || 'error' in vj);
  if (verdict && !refused) d.tokenAccepted = `not judged: GET ${metaBase}/api/v1/projects answered ${verdict.status}${verdict.status === 401 || verdict.status === 403 ? ' without flyteadmin\'s JSON error (something in front of it)' : ''}`;
  const answer = verdict ? `GET ${metaBase}/api/v1/projects with it answered ${verdict.status}${verdict.body ? ` ${JSON.stringify(o.scrub(maskTokenish(verdict.body.slice(0, 2048))).slice(0, 160))}` : ''}` : '';
  const cid = o.clientId;
  // the times: decisive even when flyteadmin could not be asked (a token that has expired is refused everywhere)
  if (exp !== undefined && exp <= now) {
    return { status: 'fail', messageId: 'tokenClock', cause: cause.backend(`oauth-clock:${new URL(o.metaUrl).host}`), message: `${o.said}, but it has expired on issue: exp ${iso(exp)} is ${now - exp} s before this machine's clock (${iso(now)})${iat !== undefined ? `, iat ${iso(iat)}` : ''}${answer ? `; ${answer}` : ''}: the authorization server's clock (or this machine's) is off, or its token lifetime is 0`, hint: 'sync the clock of the authorization server (and of this machine) with NTP (`timedatectl status`, `chronyc tracking`); if the clocks are right, raise the access token lifetime of the IdP client', details: d };
  }
  if (iat !== undefined && iat > now + SKEW_S && refused) {
    return { status: 'fail', messageId: 'tokenClock', cause: cause.backend(`oauth-clock:${new URL(o.metaUrl).host}`), message: `${o.said}, issued in the future: iat ${iso(iat)} is ${iat - now} s after this machine's clock (${iso(now)}); ${answer}: flyteadmin refuses a token "used before issued" when the authorization server's clock runs ahead`, hint: 'sync the clock of the authorization server (and of flyteadmin\'s nodes and this machine) with NTP (`timedatectl status`, `chronyc tracking`)', details: d };
  }
  if (!refused) return undefined;
  const issuer = str(o.meta.issuer);
  const norm = (x: string) => x.replace(/\/+$/, '');
  const external = !o.selfIssued;
  const vk = t.auth.valuesKey;
  const appAuth = vk === 'configuration.auth' ? 'configuration.inline.auth.appAuth' : `${vk}.appAuth`;
  if (iss && issuer && norm(iss) !== norm(issuer)) {
    return { status: 'fail', messageId: 'tokenIssuer', cause: cause.config(external ? `${appAuth}.externalAuthServer.baseUrl` : urisKey(t)), message: `${o.said} with issuer (iss) "${iss}", but flyteadmin announces issuer "${issuer}" (${o.metaUrl}); ${answer}`, hint: external ? `set ${appAuth}.externalAuthServer.baseUrl to the authorization server that issues ${cid}'s tokens (${iss}), or have the token endpoint flyteadmin announces issue tokens named "${issuer}"` : `flyteadmin's own authorization server names itself after the ${urisKey(t)} entry matching the request's host: list ${pub} in ${urisKey(t)} (exactly as clients reach it), and use the token endpoint it announces`, details: d };
  }
  const wanted = [pub, ...(str(o.client?.audience) ? [str(o.client!.audience)!] : [])];
  const audOk = aud.some((a) => wanted.some((w) => norm(w) === norm(a)));
  if (claims && !audOk) {
    const audKey = external ? `${appAuth}.externalAuthServer.allowedAudience` : urisKey(t);
    const shown = aud.length ? `[${aud.join(', ')}]` : 'none';
    return {
      status: 'fail', messageId: 'tokenAudience', cause: cause.config(audKey),
      message: `${o.said} for audience (aud) ${shown}, and flyteadmin refuses it (${answer}): flyteadmin accepts its public URL ${pub}${wanted.length > 1 ? ` or the flyte_client audience ${wanted[1]}` : ''}${external ? ` plus ${audKey}` : ''} ("invalid audience")`,
      hint: external
        ? (aud.length ? `add ${aud.join(', ')} to ${audKey} (flyteadmin accepts those plus its public URL), or have the IdP issue ${pub} as the audience (Okta: the authorization server's Audience; Auth0: the API identifier; Keycloak: an audience mapper)` : `have the IdP put an audience in client ${cid}'s tokens (Auth0: send admin.audience / useAudienceFromAdmin; Keycloak: an audience mapper) and list it in ${audKey}`)
        : `have the client ask for flyteadmin's audience (flytectl: admin.useAudienceFromAdmin: true, or admin.audience: ${pub}); if ${shown} is an address clients use for flyteadmin, list it in ${audKey}`,
      details: d,
    };
  }
  const kid = claims ? str(claims.header.kid) : undefined;
  if (kid && typeof o.meta.jwks_uri === 'string') {
    const { hops } = await fetchJwks(ctx, o.meta.jwks_uri);
    const last = hops?.[hops.length - 1];
    const keys = last && last.status === 200 ? jwksKeys(jsonBody(last)) : undefined;
    if (keys && !keys.kids.includes(kid)) {
      d.jwksKids = keys.kids;
      return { status: 'fail', messageId: 'tokenRefused', cause: cause.backend(`oauth-verify:${new URL(pub).host}`), message: `${o.said}, signed with key kid ${kid}, and flyteadmin refuses it (${answer}): the key set flyteadmin reads (${o.meta.jwks_uri}) has no key ${kid} (it has ${keys.kids.length ? keys.kids.join(', ') : `${keys.count} key${keys.count === 1 ? '' : 's'} without a kid`})`, hint: `the token endpoint signs with a key its jwks_uri does not publish: a signing key rotated without publishing it, or a token endpoint of another tenant / realm than the jwks_uri of ${o.metaUrl}; make the IdP publish key ${kid} at ${o.meta.jwks_uri}, or point flyteadmin at the IdP that issues the tokens`, details: d };
    }
  }
  const vmsg = typeof vj?.message === 'string' ? vj.message : typeof vj?.error === 'string' ? vj.error : '';
  if (/required scope|scope/i.test(vmsg) && !/audience/i.test(vmsg)) {
    const sc = Array.isArray(p.scp) ? p.scp : typeof p.scope === 'string' ? p.scope.split(' ') : [];
    return { status: 'fail', messageId: 'tokenRefused', cause: cause.config('admin.scopes'), message: `${o.said}, and flyteadmin refuses it for its scopes (${answer}); the token's scopes: [${sc.filter((x): x is string => typeof x === 'string').map((x) => x.slice(0, 60)).join(', ')}]`, hint: `flyteadmin requires the scope all (the IdP's name for it, e.g. api://<app>/all on Entra ID): set admin.scopes to include it and grant it to client ${cid} on the IdP`, details: d };
  }
  return { status: 'fail', messageId: 'tokenRefused', cause: cause.backend(`oauth-verify:${new URL(pub).host}`), message: `${o.said}, and flyteadmin refuses it (${answer})${claims ? `, though its audience [${aud.join(', ')}], issuer ${iss ?? '(none)'} and times look right` : ' (an opaque token, its claims cannot be read)'}: flyteadmin cannot verify it`, hint: `read flyteadmin's log for this request ("JWT_VERIFICATION_FAILED", "invalid audience", "signature"): a token signed with a key flyteadmin does not have (auth.oidc.issuer: the JWKS${claims && str(claims.header.kid) ? ` must hold kid ${str(claims.header.kid)}` : ''}), or an opaque token flyteadmin cannot read (the IdP must issue JWT access tokens)`, details: d };
}
