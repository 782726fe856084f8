import { adminHttpBase } from '../../src/config/endpoints.js';
import { probeTimeout } from '../../src/engine/budget.js';
import { clientTrust } from '../../src/clients/trust.js';
import { httpRequest, jsonBody, type HttpResponse } from '../../src/clients/http.js';
import { ProbeError } from '../../src/clients/tls.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext, Json, Outcome } from '../../src/engine/types.js';
import { adminHttpBackend, flyteadminShape, rolloutCommand, useAuthKey } from '../../src/flyte/ingress.js';
import { isClusterInternal } from '../../src/config/endpoints.js';
import { urisKey } from './public.uri.js';
import { HTTP_MESSAGES, judgeHttpAnswer, named, serverHttpBase, transportFailure } from '../ingress/_support.js';

export interface MetadataFetch { url: string; res?: HttpResponse; error?: ProbeError }

/** GET of the two anonymous auth-metadata routes, once per run (the ingress as the values define it, else the admin endpoint). */
export async function fetchAuthMetadata(ctx: CheckContext): Promise<{ oauth: MetadataFetch; client: MetadataFetch; timeoutMs: number }> {
  const base = serverHttpBase(ctx.target) ?? adminHttpBase(ctx.target)!;
  const timeoutMs = probeTimeout(ctx);
  return ctx.shared(`auth-metadata:${base}`, async () => {
    const trust = await clientTrust(ctx.target);
    const get = async (path: string): Promise<MetadataFetch> => {
      const url = `${base}${path}`;
      try { return { url, res: await httpRequest(ctx, url, { ...(trust.ca ? { ca: trust.ca } : {}), skipVerify: trust.skipVerify, timeoutMs, headers: { accept: 'application/json' } }) }; } catch (err) {
        if (!(err instanceof ProbeError) || err.kind === 'aborted') throw err;
        return { url, error: err };
      }
    };
    return { oauth: await get('/.well-known/oauth-authorization-server'), client: await get('/config/v1/flyte_client'), timeoutMs };
  });
}

export default defineCheck({
  id: 'auth.discovery.metadata',
  title: 'Auth metadata is served over HTTP (/.well-known/oauth-authorization-server, /config/v1/flyte_client)',
  phases: ['verify'],
  needs: ['auth'],
  timeoutMs: 8000,
  messages: {
    ...HTTP_MESSAGES,
    served: { status: 'pass', summary: 'Both documents are served anonymously with the issuer, token endpoint and client id.' },
    incompleteMetadata: { status: 'fail', summary: 'The OAuth2 metadata lacks the issuer or the token endpoint.' },
    endpointUnreachable: { status: 'fail', summary: 'The metadata announces a token (or authorization) endpoint on an address that does not answer from here (a cluster-internal name, another scheme or port): clients fetch the metadata, then fail to log in.' },
    endpointInternal: { status: 'warn', summary: 'The metadata announces a token endpoint on a cluster-internal name: it answers from here, but users outside the cluster cannot resolve it.' },
    redirectNotLocal: { status: 'warn', summary: 'flyte_client\'s redirect_uri is not on localhost: pyflyte and flytectl (Pkce) listen for the login callback on the redirect_uri\'s port on the user\'s machine, so the browser is sent elsewhere.' },
    scopesMissing: { status: 'warn', summary: 'flyte_client\'s scopes lack `all`: flyteadmin refuses tokens without it ("doesn\'t have required scope"). (Without `offline` only refresh tokens are missing: said in the details.)' },
    endpointOtherScheme: { status: 'warn', summary: 'The metadata announces the token endpoint on the public host with another scheme or port (http where clients use https, TLS ending at the ingress): tokens travel on another address than the one clients use.' },
  },
  explain: {
    what: 'GET `/.well-known/oauth-authorization-server` (issuer, token endpoint, grant types) and `/config/v1/flyte_client` (client_id, redirect_uri, scopes, authorization_metadata_key) without a token.',
    why: 'Clients discover how to log in from these documents; without them flytectl fails with "failed to fetch auth metadata". flyteadmin answers 501 when auth is off on the server (the values say on: the change is not rolled out).',
    fix: 'Route `/.well-known` and `/config` (and their `/*`) to flyteadmin\'s HTTP port; roll the auth values out to the server.',
  },
  async run(ctx) {
    const { oauth, client, timeoutMs } = await fetchAuthMetadata(ctx);
    const details: Record<string, Json> = { oauthUrl: oauth.url, clientConfigUrl: client.url };
    for (const [name, f] of [['oauth', oauth], ['clientConfig', client]] as const) {
      if (f.error) {
        const u = new URL(f.url);
        return transportFailure(ctx, { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)), tls: u.protocol === 'https:' }, f.error.kind, f.error.message, timeoutMs, details, 'server', f.error);
      }
      const r = f.res!;
      details[`${name}HttpStatus`] = r.status;
      details[`${name}ContentType`] = r.contentType;
      // flyteadmin without auth answers these routes 501 with its grpc-gateway JSON (code 12, "unknown service
      // ...AuthMetadataService"); a 501 page of a proxy in front is not that server, and is judged as an answer
      if (r.status === 501 && flyteadminShape(r) === 'gateway-json') {
        ctx = await named(ctx);
        return { status: 'fail', messageId: 'authOffOnServer', cause: cause.config(useAuthKey(ctx.target)), message: `${f.url} answered 501: flyteadmin runs without auth, though ${useAuthKey(ctx.target)} is true in the values (not rolled out, or deployed from other values)`, hint: `roll the values out: ${rolloutCommand(ctx.target)}; if the deployment is meant to be open, set ${useAuthKey(ctx.target)}: false`, details };
      }
      if (r.status !== 200 || !jsonBody(r)) {
        const path = new URL(f.url).pathname;
        return judgeHttpAnswer(ctx, { path, backend: adminHttpBackend, guarded: false, what: 'flyteadmin\'s HTTP port', accept: () => false }, f.url, r, details);
      }
    }
    const m = jsonBody(oauth.res!)!;
    const c = jsonBody(client.res!)!;
    for (const k of ['issuer', 'token_endpoint', 'authorization_endpoint', 'grant_types_supported', 'device_authorization_endpoint'] as const) if (m[k] !== undefined) details[k] = m[k] as Json;
    for (const k of ['client_id', 'redirect_uri', 'scopes', 'authorization_metadata_key', 'audience'] as const) if (c[k] !== undefined) details[k] = c[k] as Json;
    if (!m.token_endpoint || !m.issuer) return { status: 'fail', messageId: 'incompleteMetadata', message: `${oauth.url} has no ${!m.issuer ? 'issuer' : 'token_endpoint'}`, hint: `configure the authorization server (${ctx.target.auth.valuesKey}: appAuth.authServerType / externalAuthServer.baseUrl)`, details };
    const finding = await judgeEndpoints(ctx, oauth.url, m, details);
    if (finding) return finding;
    const fcKey = ctx.target.auth.valuesKey === 'configuration.auth' ? 'configuration.auth.flyteClient' : `${ctx.target.auth.valuesKey}.appAuth.thirdPartyConfig.flyteClient`;
    if (typeof c.redirect_uri === 'string' && c.redirect_uri) {
      let host = '';
      try { host = new URL(c.redirect_uri).hostname; } catch { host = ''; }
      if (!LOOPBACK.test(host)) {
        return { status: 'warn', messageId: 'redirectNotLocal', cause: cause.config(`${fcKey}.redirectUri`), message: `${client.url} gives redirect_uri ${c.redirect_uri}${host ? `, on ${host}, not localhost` : ', not a URL'}: pyflyte and flytectl (Pkce) listen for the login callback on that port of the user's machine, so after the login the browser goes to an address nothing of theirs listens on`, hint: `set ${fcKey}.redirectUri: http://localhost:53593/callback (and register that redirect URI with the IdP client ${String(c.client_id ?? 'flytectl')})`, details };
      }
    }
    if (Array.isArray(c.scopes)) {
      const sc = (c.scopes as unknown[]).filter((x): x is string => typeof x === 'string');
      const lack = [...(sc.some((x) => x === 'all' || x.endsWith('/all')) ? [] : ['all']), ...(sc.some((x) => x === 'offline' || x === 'offline_access') ? [] : ['offline'])];
      // offline alone missing is the flyte-binary chart's own default ([all]): logins work, only refresh
      // tokens are not issued; said in the details, not as a finding on a default that works
      if (lack.length === 1 && lack[0] === 'offline') details.scopesWithoutOffline = 'no refresh token is issued (a new login at every expiry); add offline (offline_access) to the flyteClient scopes to keep sessions';
      if (lack.includes('all')) {
        const why = [lack.includes('all') ? 'without all, flyteadmin refuses the tokens clients get ("authenticated user doesn\'t have required scope")' : '', lack.includes('offline') ? 'without offline (offline_access at most IdPs), no refresh token is issued and users log in again at every expiry' : ''].filter(Boolean).join('; ');
        return { status: 'warn', messageId: 'scopesMissing', cause: cause.config(`${fcKey}.scopes`), message: `${client.url} gives scopes [${sc.join(', ')}], lacking ${lack.join(' and ')}: ${why}`, hint: `set ${fcKey}.scopes to include ${lack.map((x) => (x === 'offline' ? 'offline (offline_access for Okta / Entra ID)' : 'all (the scope your IdP names all, e.g. api://<app>/all on Entra ID)')).join(' and ')}, keeping [${sc.join(', ')}]`, details };
      }
    }
    return { status: 'pass', messageId: 'served', message: `auth metadata served: issuer ${String(m.issuer)}, token endpoint ${String(m.token_endpoint)}, client_id ${String(c.client_id ?? '?')}`, details };
  },
});

const LOOPBACK = /^(localhost|127(\.\d+){3}|::1|\[::1\])$/i;
const effPort = (u: URL) => u.port || (u.protocol === 'https:' ? '443' : '80');

/**
 * Where the metadata sends clients for tokens: the public host with another scheme/port (authorizedUris
 * list it as http behind a TLS-terminating ingress), or a cluster-internal / loopback name (the first
 * authorizedUris entry, taken when the public host is not listed; or an external IdP given by an internal
 * name). Probed from here: what does not answer is a fail, what answers from here only is a warn.
 */
export async function judgeEndpoints(ctx: CheckContext, metaUrl: string, m: Record<string, unknown>, details: Record<string, Json>, publicBase?: string): Promise<Outcome<'endpointUnreachable' | 'endpointInternal' | 'endpointOtherScheme'> | undefined> {
  const pub = new URL(publicBase ?? metaUrl);
  const parse = (v: unknown) => { try { return typeof v === 'string' ? new URL(v) : undefined; } catch { return undefined; } };
  const token = parse(m.token_endpoint);
  if (!token) return undefined;
  const t = ctx.target;
  const key = urisKey(t);
  // flyteadmin's own authorization server serves its tokens at <public URL>/oauth2/token (IdPs use other paths)
  const selfIssued = token.pathname.replace(/\/+$/, '') === '/oauth2/token';
  const sameHost = token.hostname.toLowerCase() === pub.hostname.toLowerCase();
  const otherScheme = sameHost && (token.protocol !== pub.protocol || effPort(token) !== effPort(pub));
  const internal = !sameHost && (isClusterInternal(token.hostname) || LOOPBACK.test(token.hostname)) && !LOOPBACK.test(pub.hostname);
  if (!otherScheme && !internal) return undefined;
  const probeUrl = token.href;
  let answered: string | undefined;
  let failure: string | undefined;
  try {
    const trust = await clientTrust(t);
    const r = await httpRequest(ctx, probeUrl, { ...(trust.ca ? { ca: trust.ca } : {}), skipVerify: trust.skipVerify, timeoutMs: Math.min(probeTimeout(ctx), 4000), headers: { accept: 'application/json' } });
    answered = `HTTP ${r.status}`;
  } catch (err) {
    if (!(err instanceof ProbeError) || err.kind === 'aborted') throw err;
    failure = `${err.kind}: ${err.message}`;
  }
  details.tokenEndpointProbe = answered ?? failure ?? '';
  const pubOrigin = pub.origin;
  const valuesList = t.auth.authorizedUris ?? [];
  const listedInValues = valuesList.some((u) => { try { return new URL(u.trim()).origin.toLowerCase() === pubOrigin.toLowerCase(); } catch { return false; } });
  const rollout = rolloutCommand(t);
  // self-issued: flyteadmin built the endpoint from the authorizedUris entry it matched (or the first one)
  const fix = selfIssued
    ? (listedInValues
      ? `the values already list ${pubOrigin} in ${key}, but the running flyteadmin does not: roll the values out (${rollout})`
      : `write ${pubOrigin} in ${key} (scheme and port as clients use them; flyteadmin takes the issuer and token endpoint from the entry matching the request's host, else the first)`)
    : `give flyteadmin the IdP's public URL (${t.auth.valuesKey}: appAuth.externalAuthServer.baseUrl / metadataUrl), the one users reach, not a cluster-internal or loopback name`;
  const causeOf = selfIssued ? (listedInValues ? cause.config(useAuthKey(t)) : cause.config(key)) : cause.config(`${t.auth.valuesKey}.appAuth.externalAuthServer.baseUrl`);
  const what = otherScheme
    ? `${metaUrl} announces token endpoint ${token.href} (${token.protocol.slice(0, -1)}, port ${effPort(token)}) while clients reach flyteadmin at ${pubOrigin}`
    : `${metaUrl} announces token endpoint ${token.href}, on ${LOOPBACK.test(token.hostname) ? 'a loopback address' : 'a cluster-internal name'} that users outside the cluster cannot reach (clients use ${pubOrigin})`;
  if (failure) {
    return { status: 'fail', messageId: 'endpointUnreachable', cause: causeOf, message: `${what}; from here it does not answer (${failure}): flytectl and pyflyte fetch the metadata, then fail to get a token`, hint: fix, details };
  }
  if (otherScheme) {
    return { status: 'warn', messageId: 'endpointOtherScheme', cause: causeOf, message: `${what}; it answers there (${answered}), so tokens are requested on another address than clients use${token.protocol === 'http:' && pub.protocol === 'https:' ? ', in cleartext' : ''}`, hint: fix, details };
  }
  if (LOOPBACK.test(token.hostname)) return undefined; // answers on this machine: cannot be judged from here
  return { status: 'warn', messageId: 'endpointInternal', cause: causeOf, message: `${what}; it answers from here (${answered}), so this machine is inside the cluster network, but users elsewhere cannot resolve it`, hint: fix, details };
}
