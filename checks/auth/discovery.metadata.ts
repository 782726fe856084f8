import { adminHttpBase } from '../../src/config/endpoints.js';
import { probeTimeout } from '../../src/engine/budget.js';
import { clientTrust } from '../../src/clients/trust.js';
import { httpRequest, isHtml, jsonBody, type HttpResponse } from '../../src/clients/http.js';
import { ProbeError, describeNetFailure } from '../../src/clients/tls.js';
import type { Target } from '../../src/config/target.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext, Json, Outcome } from '../../src/engine/types.js';

export function useAuthKey(t: Target): string {
  return t.chart === 'flyte-core' ? 'configmap.adminServer.server.security.useAuth: true' : `${t.auth.valuesKey}.enabled: true`;
}

export interface MetadataFetch { url: string; res?: HttpResponse; error?: ProbeError }

/** GET of the two anonymous auth-metadata routes, once per run. */
export async function fetchAuthMetadata(ctx: CheckContext): Promise<{ oauth: MetadataFetch; client: MetadataFetch; timeoutMs: number }> {
  const base = adminHttpBase(ctx.target)!;
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
  explain: {
    what: 'GET `/.well-known/oauth-authorization-server` (issuer, token endpoint, grant types) and `/config/v1/flyte_client` (client_id, redirect_uri, scopes, authorization_metadata_key) without a token.',
    why: 'Clients discover how to log in from these documents; without them flytectl fails with "failed to fetch auth metadata". flyteadmin answers 501 when auth is off on the server.',
    fix: 'Route `/.well-known` and `/config` (and their `/*`) to flyteadmin\'s HTTP port; turn auth on in the server values when the clients expect it.',
  },
  async run(ctx: CheckContext): Promise<Outcome> {
    const { oauth, client, timeoutMs } = await fetchAuthMetadata(ctx);
    const details: Record<string, Json> = { oauthUrl: oauth.url, clientConfigUrl: client.url };
    for (const [name, f] of [['oauth', oauth], ['clientConfig', client]] as const) {
      if (f.error) {
        const u = new URL(f.url);
        return { status: 'fail', ...describeNetFailure(f.error.kind, `${u.hostname}:${u.port || (u.protocol === 'https:' ? 443 : 80)}`, f.error.message, timeoutMs), details: { ...details, error: f.error.code ?? f.error.kind } };
      }
      const r = f.res!;
      details[`${name}HttpStatus`] = r.status;
      details[`${name}ContentType`] = r.contentType;
      if (r.status === 501) return { status: 'fail', messageId: 'authOffOnServer', message: `${f.url} answered 501: auth is not enabled on flyteadmin, though the target expects it`, hint: `enable auth on the server (${useAuthKey(ctx.target)}), or remove admin.authType from the client config if the deployment is meant to be open`, details };
      if (r.status === 404 || isHtml(r)) return { status: 'fail', messageId: 'notRouted', message: `${f.url} answered ${r.status} ${r.contentType || ''}: the auth metadata route does not reach flyteadmin`, hint: 'route /.well-known, /.well-known/*, /config and /config/* to flyteadmin\'s HTTP port on the HTTP ingress (the chart ingress renders them)', details };
      if (r.status !== 200 || !jsonBody(r)) return { status: 'fail', messageId: 'unexpectedAnswer', message: `${f.url} answered ${r.status} ${r.contentType}`, hint: 'these routes must be anonymous and reach flyteadmin: remove ingress-level auth in front of /.well-known and /config', details };
    }
    const m = jsonBody(oauth.res!)!;
    const c = jsonBody(client.res!)!;
    for (const k of ['issuer', 'token_endpoint', 'authorization_endpoint', 'grant_types_supported', 'device_authorization_endpoint'] as const) if (m[k] !== undefined) details[k] = m[k] as Json;
    for (const k of ['client_id', 'redirect_uri', 'scopes', 'authorization_metadata_key', 'audience'] as const) if (c[k] !== undefined) details[k] = c[k] as Json;
    if (!m.token_endpoint || !m.issuer) return { status: 'fail', messageId: 'incompleteMetadata', message: `${oauth.url} has no ${!m.issuer ? 'issuer' : 'token_endpoint'}`, hint: `configure the authorization server (${ctx.target.auth.valuesKey}: appAuth.authServerType / externalAuthServer.baseUrl)`, details };
    return { status: 'pass', message: `auth metadata served: issuer ${m.issuer}, token endpoint ${m.token_endpoint}, client_id ${c.client_id ?? '?'}`, details };
  },
});
