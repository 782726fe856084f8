import { jsonBody } from '../../src/clients/http.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext, Outcome } from '../../src/engine/types.js';
import { fetchAuthMetadata } from './discovery.metadata.js';

/** flytectl's (Go) values, case-sensitive. */
export const GO_AUTH_TYPES = ['ClientSecret', 'Pkce', 'ExternalCommand', 'DeviceFlow'] as const;
/** flytekit also accepts these (FLYTE_CREDENTIALS_AUTH_MODE). */
const FLYTEKIT_ALIASES: Record<string, (typeof GO_AUTH_TYPES)[number]> = { standard: 'Pkce', basic: 'ClientSecret', client_credentials: 'ClientSecret', external_process: 'ExternalCommand', device_flow: 'DeviceFlow', pkce: 'Pkce', clientsecret: 'ClientSecret' };

export default defineCheck({
  id: 'auth.client.type',
  title: 'The client authType is valid and offered by the server',
  phases: ['preflight', 'verify'],
  needs: ['auth'],
  timeoutMs: 8000,
  explain: {
    what: '`admin.authType` is one of flytectl\'s case-sensitive values (ClientSecret, Pkce, ExternalCommand, DeviceFlow); in verify, the grant it needs is in the server\'s `grant_types_supported` (client_credentials, authorization_code, device_code).',
    why: 'A misspelt authType makes flytectl refuse the config; a flow the authorization server does not offer fails only at login time.',
    fix: 'Set `admin.authType` to a flow the server offers: Pkce for people, ClientSecret for CI, DeviceFlow for headless shells.',
  },
  async run(ctx: CheckContext): Promise<Outcome> {
    const c = ctx.target.client;
    const file = c.configPath ? ` in ${c.configPath}` : '';
    const raw = c.authType ?? 'ClientSecret';
    const details: Record<string, string | string[]> = { authType: raw, ...(c.authType ? {} : { defaulted: 'flytectl default' }) };
    let type = (GO_AUTH_TYPES as readonly string[]).includes(raw) ? (raw as (typeof GO_AUTH_TYPES)[number]) : undefined;
    if (!type) {
      const alias = FLYTEKIT_ALIASES[raw.toLowerCase()];
      if (!alias || GO_AUTH_TYPES.some((g) => g.toLowerCase() === raw.toLowerCase())) {
        return { status: 'fail', messageId: 'invalidAuthType', message: `admin.authType "${raw}"${file} is not a flytectl auth type (case-sensitive: ${GO_AUTH_TYPES.join(', ')})`, hint: `set admin.authType: ${alias ?? 'Pkce'}${file}`, details };
      }
      details.flytekitAlias = alias;
      type = alias;
    }
    if (ctx.phase === 'preflight') return { status: 'pass', message: `admin.authType ${raw}${file} is valid (the server's offer is checked in verify)`, details };
    const { oauth } = await fetchAuthMetadata(ctx);
    const meta = oauth.res && oauth.res.status === 200 ? jsonBody(oauth.res) : undefined;
    if (!meta) return { status: 'skip', message: `the server's auth metadata is not available (${oauth.url}: ${oauth.error?.message ?? oauth.res?.status}); see auth.discovery.metadata` };
    const grants = Array.isArray(meta.grant_types_supported) ? (meta.grant_types_supported as string[]) : [];
    details.grantTypesSupported = grants;
    const offered = new Set<string>(['ExternalCommand']);
    if (grants.includes('client_credentials')) offered.add('ClientSecret');
    if (grants.includes('authorization_code')) offered.add('Pkce');
    if (grants.some((g) => g.endsWith('device_code')) || meta.device_authorization_endpoint) offered.add('DeviceFlow');
    if (!grants.length) return { status: 'pass', message: `admin.authType ${type}; the server does not list grant_types_supported, so the offer cannot be compared`, details };
    details.offered = [...offered];
    if (!offered.has(type)) {
      return { status: 'fail', messageId: 'notOffered', message: `admin.authType ${type}${file} needs a grant the server does not offer (grant_types_supported: ${grants.join(', ')})`, hint: `set admin.authType to one of ${[...offered].join(', ')}${file}, or enable the grant on the authorization server / IdP client`, details };
    }
    return { status: 'pass', message: `admin.authType ${type} is offered by the server (${grants.join(', ')})`, details };
  },
});
