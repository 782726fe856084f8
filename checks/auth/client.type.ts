import { jsonBody } from '../../src/clients/http.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import { setting, whereSet } from '../../src/flyte/settings.js';
import { fetchAuthMetadata } from './discovery.metadata.js';

/** flytectl's (Go) values, case-sensitive. */
export const GO_AUTH_TYPES = ['ClientSecret', 'Pkce', 'ExternalCommand', 'DeviceFlow'] as const;
/** flytekit also accepts these (FLYTE_CREDENTIALS_AUTH_MODE). */
const FLYTEKIT_ALIASES: Record<string, (typeof GO_AUTH_TYPES)[number]> = { standard: 'Pkce', basic: 'ClientSecret', client_credentials: 'ClientSecret', external_process: 'ExternalCommand', device_flow: 'DeviceFlow', pkce: 'Pkce', clientsecret: 'ClientSecret' };

export default defineCheck({
  id: 'auth.client.type',
  title: 'The client authType is valid, has what it needs, and is offered by the server',
  phases: ['preflight', 'verify'],
  needs: ['auth'],
  timeoutMs: 8000,
  messages: {
    valid: { status: 'pass', summary: 'The authType is valid (preflight) and, in verify, the server offers its grant.' },
    grantsUnknown: { status: 'pass', summary: 'The authType is valid; the server does not list grant_types_supported, so the offer cannot be compared.' },
    metadataUnavailable: { status: 'skip', summary: 'The server\'s auth metadata is not available (auth.discovery.metadata says why).' },
    invalidAuthType: { status: 'fail', summary: 'admin.authType is not one of flytectl\'s case-sensitive values.' },
    noClientSecret: { status: 'fail', summary: 'authType ClientSecret (also flytectl\'s default) without a client secret: no readable clientSecretLocation file and no clientSecretEnvVar variable.' },
    noDeviceEndpoint: { status: 'fail', summary: 'authType DeviceFlow, but the server\'s metadata has no device_authorization_endpoint: flytectl starts the device flow there and cannot log in.' },
    notOffered: { status: 'fail', summary: 'The authType needs a grant the authorization server does not offer.' },
  },
  explain: {
    what: '`admin.authType` is one of flytectl\'s case-sensitive values (ClientSecret, Pkce, ExternalCommand, DeviceFlow); ClientSecret (flytectl\'s default) has a secret (a readable `clientSecretLocation` file or a set `clientSecretEnvVar`); in verify, the grant it needs is in the server\'s `grant_types_supported` (client_credentials, authorization_code, device_code).',
    why: 'A misspelt authType makes flytectl refuse the config; ClientSecret without a secret fails with "open /etc/secrets/client_secret: no such file" at the first call; a flow the authorization server does not offer fails only at login time.',
    fix: 'Set `admin.authType` to a flow the server offers: Pkce for people, ClientSecret (with clientSecretLocation / clientSecretEnvVar) for CI, DeviceFlow for headless shells.',
  },
  async run(ctx) {
    const c = ctx.target.client;
    const file = c.configPath ? ` in ${c.configPath}` : '';
    const raw = c.authType ?? 'ClientSecret';
    const typeSetting = setting(ctx.target, 'client.authType');
    const details: Record<string, string | string[]> = { authType: raw, ...(c.authType ? { source: whereSet(typeSetting) } : { defaulted: 'flytectl default' }) };
    let type = (GO_AUTH_TYPES as readonly string[]).includes(raw) ? (raw as (typeof GO_AUTH_TYPES)[number]) : undefined;
    if (!type) {
      const alias = FLYTEKIT_ALIASES[raw.toLowerCase()];
      if (!alias || GO_AUTH_TYPES.some((g) => g.toLowerCase() === raw.toLowerCase())) {
        return { status: 'fail', messageId: 'invalidAuthType', cause: cause.config('admin.authType'), message: `admin.authType "${raw}"${file} is not a flytectl auth type (case-sensitive: ${GO_AUTH_TYPES.join(', ')})`, hint: `set admin.authType: ${alias ?? 'Pkce'}${file}`, details };
      }
      details.flytekitAlias = alias;
      type = alias;
    }
    if (type === 'ClientSecret' && !c.clientSecret) {
      return {
        status: 'fail', messageId: 'noClientSecret', cause: cause.config('admin.clientSecretLocation'),
        message: `admin.authType ${c.authType ? `ClientSecret${file}` : 'is not set, so flytectl uses its default ClientSecret'}, but no client secret is available: no readable admin.clientSecretLocation file (default /etc/secrets/client_secret) and no admin.clientSecretEnvVar variable; flytectl fails at its first call`,
        hint: `${c.authType ? '' : 'for people, set admin.authType: Pkce (or DeviceFlow on a headless shell); for CI, '}set admin.clientSecretLocation${file} to a file holding the secret of client ${c.clientId ?? 'flytepropeller'} (or admin.clientSecretEnvVar to a variable that holds it; flytekit: FLYTE_CREDENTIALS_CLIENT_SECRET_LOCATION)`,
        details,
      };
    }
    if (ctx.phase === 'preflight') return { status: 'pass', messageId: 'valid', message: `admin.authType ${raw}${file} is valid (the server's offer is checked in verify)`, details };
    const { oauth } = await fetchAuthMetadata(ctx);
    const meta = oauth.res && oauth.res.status === 200 ? jsonBody(oauth.res) : undefined;
    if (!meta) return { status: 'skip', messageId: 'metadataUnavailable', message: `the server's auth metadata is not available (${oauth.url}: ${oauth.error?.message ?? oauth.res?.status}); see auth.discovery.metadata` };
    const grants = Array.isArray(meta.grant_types_supported) ? (meta.grant_types_supported as unknown[]).filter((g): g is string => typeof g === 'string') : [];
    details.grantTypesSupported = grants;
    // flytekit's FLYTE_CREDENTIALS_AUTH_MODE overrides the file: the fix goes where the value comes from
    const setType = (v: string) => (typeSetting.origin === 'env' ? `set ${typeSetting.envVar}=${v} (it overrides admin.authType${file})` : `set admin.authType: ${v}${file}`);
    if (type === 'DeviceFlow' && !meta.device_authorization_endpoint) {
      const selfIssued = typeof meta.token_endpoint === 'string' && /\/oauth2\/token\/?$/.test(meta.token_endpoint);
      return {
        status: 'fail', messageId: 'noDeviceEndpoint', cause: cause.config('admin.authType'),
        message: `admin.authType DeviceFlow${file}, but ${oauth.url} has no device_authorization_endpoint${grants.length ? ` (grant_types_supported: ${grants.join(', ')})` : ''}: flytectl starts the device flow at that endpoint and cannot log in${selfIssued ? '; flyteadmin\'s own authorization server has no device flow' : ''}`,
        hint: selfIssued
          ? `${setType(c.clientSecret ? 'ClientSecret' : 'Pkce')} (flyteadmin's own authorization server offers ${grants.includes('client_credentials') ? 'ClientSecret and ' : ''}Pkce), or use an external IdP that offers the device grant`
          : `enable the device authorization grant on the IdP client (Okta: grant type Device Authorization; Keycloak: OAuth 2.0 Device Authorization Grant; Entra ID: allow public client flows), or ${setType('Pkce')}`,
        details,
      };
    }
    const offered = new Set<string>(['ExternalCommand']);
    if (grants.includes('client_credentials')) offered.add('ClientSecret');
    if (grants.includes('authorization_code')) offered.add('Pkce');
    if (meta.device_authorization_endpoint) offered.add('DeviceFlow');
    if (!grants.length) return { status: 'pass', messageId: 'grantsUnknown', message: `admin.authType ${type}; the server does not list grant_types_supported, so the offer cannot be compared`, details };
    details.offered = [...offered];
    if (!offered.has(type)) {
      return { status: 'fail', messageId: 'notOffered', message: `admin.authType ${type}${file} needs a grant the server does not offer (grant_types_supported: ${grants.join(', ')})`, hint: `set admin.authType to one of ${[...offered].join(', ')}${file}, or enable the grant on the authorization server / IdP client`, details };
    }
    return { status: 'pass', messageId: 'valid', message: `admin.authType ${type} is offered by the server (${grants.join(', ')})`, details };
  },
});
