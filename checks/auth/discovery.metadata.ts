import { adminHttpBase } from '../../src/config/endpoints.js';
import { probeTimeout } from '../../src/engine/budget.js';
import { clientTrust } from '../../src/clients/trust.js';
import { httpRequest, jsonBody, type HttpResponse } from '../../src/clients/http.js';
import { ProbeError } from '../../src/clients/tls.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext, Json } from '../../src/engine/types.js';
import { adminHttpBackend, rolloutCommand, useAuthKey } from '../../src/flyte/ingress.js';
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
        return transportFailure(ctx, { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)), tls: u.protocol === 'https:' }, f.error.kind, f.error.message, timeoutMs, details);
      }
      const r = f.res!;
      details[`${name}HttpStatus`] = r.status;
      details[`${name}ContentType`] = r.contentType;
      if (r.status === 501) {
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
    return { status: 'pass', messageId: 'served', message: `auth metadata served: issuer ${String(m.issuer)}, token endpoint ${String(m.token_endpoint)}, client_id ${String(c.client_id ?? '?')}`, details };
  },
});
