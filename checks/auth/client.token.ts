import { probeTimeout } from '../../src/engine/budget.js';
import { clientTrust } from '../../src/clients/trust.js';
import { httpRequest, jsonBody } from '../../src/clients/http.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import { setting, whereSet } from '../../src/flyte/settings.js';
import { fetchAuthMetadata } from './discovery.metadata.js';
import { maskTokenish } from '../../src/clients/kube.js';

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
    noToken: { status: 'fail', summary: 'The token endpoint answered 200 without an access_token.' },
    unreachable: { status: 'fail', summary: 'The token endpoint the metadata announces does not answer from here.' },
  },
  explain: {
    what: 'With authType ClientSecret and a secret, asks the token endpoint of `/.well-known/oauth-authorization-server` for a client_credentials token, as flytectl does (HTTP Basic with admin.clientId and the secret; the scopes of admin.scopes, else the server\'s flyte_client scopes). The token is never shown.',
    why: 'A wrong secret, a client not allowed the grant, or a scope the IdP refuses fail only at the first flytectl call, with "oauth2: cannot fetch token" and the IdP\'s error code; each needs another fix.',
    fix: 'invalid_client: put the IdP client\'s secret in the file of admin.clientSecretLocation (or the variable of admin.clientSecretEnvVar) and the client id in admin.clientId; unauthorized_client: allow client credentials on the IdP client; invalid_scope: set admin.scopes to scopes the client may request.',
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
    const details = { tokenEndpoint: url.href, clientId, scopes, secretFrom: secretWhere };
    let r: { status: number; body: string };
    try {
      r = await httpRequest(ctx, url.href, {
        method: 'POST', body: form.toString(), timeoutMs, ...(trust.ca ? { ca: trust.ca } : {}), skipVerify: trust.skipVerify,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', authorization: `Basic ${basic}` },
      });
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      const stalled = (e as { kind?: string }).kind === 'stalled';
      return { status: 'fail', messageId: 'unreachable', message: `POST ${url.href}: ${(e as Error).message}`, hint: stalled ? 'the token endpoint answered and then stopped sending: read the logs of the authorization server (or of the proxy in front of it) for this request' : 'see auth.discovery.metadata: the token endpoint the metadata announces must be reachable from where flytectl runs', details };
    }
    const j = (() => { try { const v = JSON.parse(r.body) as unknown; return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined; } catch { return undefined; } })();
    // what the server says is shown, never anything of the credentials it may echo (any encoding flyte-doctor sent),
    // judged on the whole text before it is cut (a secret cut at the end is still one), and no token it issued
    const sent = [basic, c.clientSecret.reveal(), encodeURIComponent(c.clientSecret.reveal()), Buffer.from(c.clientSecret.reveal()).toString('base64')].filter((x) => x.length >= 4);
    const scrub = (x: string) => (sent.some((v) => x.includes(v)) || /authorization|basic /i.test(x) ? '(withheld: it echoes the request\'s credentials)' : x);
    const err = typeof j?.error === 'string' ? scrub(j.error.slice(0, 4096)).slice(0, 60) : undefined;
    const desc = typeof j?.error_description === 'string' ? ` ("${scrub(j.error_description.slice(0, 4096)).slice(0, 160)}")` : '';
    const said = `POST ${url.href} (client_credentials, client ${clientId}${scopes.length ? `, scope ${scopes.join(' ')}` : ''}) answered ${r.status}${err ? ` ${err}${desc}` : ''}`;
    if (r.status === 200 && j && typeof j.access_token === 'string' && j.access_token) return { status: 'pass', messageId: 'issued', message: `the token endpoint issued a ${String(j.token_type ?? 'bearer')} token to client ${clientId}${typeof j.expires_in === 'number' ? ` (expires in ${j.expires_in} s)` : ''}`, details };
    if (r.status === 200) return { status: 'fail', messageId: 'noToken', message: `${said} without an access_token${j ? '' : ' (not JSON)'}`, hint: 'the token endpoint the metadata announces is not an OAuth2 token endpoint (a login page, a proxy): see auth.discovery.metadata', details };
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
