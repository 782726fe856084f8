import { beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../../src/config/secret.js';
import { bed, bedTarget, brief, run } from '../client/bed.js';
import { warmUp } from '../ingress/private-bed.js';

beforeAll(warmUp, 60_000);

const authOn = (client: Parameters<typeof bedTarget>[1] = {}) => bedTarget(bed().nginx.authHttps, { authType: 'Pkce', ...client }, { auth: { enabled: true, oidcIssuer: bed().oidc.issuer, valuesKey: 'configuration.auth' } });
const authOffServer = () => bedTarget(bed().nginx.https, { authType: 'Pkce' }, { auth: { enabled: true, oidcIssuer: bed().oidc.issuer, valuesKey: 'configuration.auth' } });

describe('auth discovery against the auth-on admin backend', () => {
  it('auth.discovery.metadata: both documents served, anonymously', async () => {
    const { result } = await run('auth.discovery.metadata', authOn());
    expect(result.status, brief(result)).toBe('pass');
    expect(result.details).toMatchObject({ client_id: 'flytectl', authorization_metadata_key: 'flyte-authorization' });
    expect(String(result.details?.token_endpoint)).toMatch(/^http/);
  });
  it('auth.discovery.metadata: 501 from a server without auth: values and server disagree, roll the values out', async () => {
    const { result } = await run('auth.discovery.metadata', authOffServer());
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('authOffOnServer');
    expect(result.cause).toBe('config:configuration.auth.enabled');
    expect(result.message).toContain('configuration.auth.enabled');
    expect(result.hint).toMatch(/helm upgrade .*kubectl -n flyte rollout restart deploy\//);
    expect(result.hint).not.toContain('configuration.auth.enabled: true');
  });
  it('auth.discovery.grpc: AuthMetadataService answers through the ingress', async () => {
    const { result } = await run('auth.discovery.grpc', authOn());
    expect(result.status, brief(result)).toBe('pass');
    expect(result.details?.clientId).toBe('flytectl');
  });
  it('auth.discovery.grpc: UNIMPLEMENTED when the server has auth off', async () => {
    const { result } = await run('auth.discovery.grpc', authOffServer());
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('authOffOnServer');
    expect(result.cause).toBe('config:configuration.auth.enabled');
  });
  it('auth.discovery.grpc: prefix not routed through the ingress', async () => {
    const t = authOn();
    t.client = { ...t.client, endpoint: `dns:///flyte.test:${bed().nginx.noGrpcRoutes}`, port: bed().nginx.noGrpcRoutes };
    const { result } = await run('auth.discovery.grpc', t);
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('grpcNotRouted');
    expect(result.hint).toContain('/flyteidl.service.AuthMetadataService/*');
  });
});

describe('auth.oidc.issuer', () => {
  it('a chart default issuer Flyte does not use (auth off) is not probed', async () => {
    const t = bedTarget(bed().nginx.https, {}, { auth: { enabled: false, oidcIssuer: 'https://accounts.google.com', valuesKey: 'configmap.adminServer.auth' } });
    const { result } = await run('auth.oidc.issuer', t, { phase: 'preflight' });
    expect(result.status).toBe('skip');
  });
  it('auth on and no issuer: flyteadmin cannot start (noIssuer, naming the key); auth off and no issuer: nothing to check', async () => {
    const t = authOn();
    delete t.auth.oidcIssuer;
    t.provenance['auth.enabled'] = 'values.yaml: configuration.auth.enabled';
    const { result } = await run('auth.oidc.issuer', t, { phase: 'preflight' });
    expect(result).toMatchObject({ status: 'fail', messageId: 'noIssuer', cause: 'config:configuration.auth.oidc.baseUrl' });
    expect(result.message).toBe('auth is on (values.yaml: configuration.auth.enabled) but no OIDC issuer is set (configuration.auth.oidc.baseUrl is empty): flyteadmin builds its OIDC provider from it at start and does not start ("Error creating oidc provider w/ issuer []")');
    expect(result.hint).toMatch(/^set configuration\.auth\.oidc\.baseUrl to your IdP's issuer URL .*, or turn auth off \(configuration\.auth\.enabled: false\)$/);
    t.auth.enabled = false;
    expect((await run('auth.oidc.issuer', t, { phase: 'preflight' })).result).toMatchObject({ status: 'skip' });
  });
  it('the issuer serves its discovery document and the issuer matches', async () => {
    const { result } = await run('auth.oidc.issuer', authOn(), { phase: 'preflight' });
    expect(result.status, brief(result)).toBe('pass');
    expect(result.details?.issuer).toBe(bed().oidc.issuer);
  });
  it('an issuer written with the scheme twice: malformedIssuer with the URL meant, nothing dialed; the URL meant passes against the bed IdP', async () => {
    const t = authOn();
    t.auth.oidcIssuer = `https://${bed().oidc.issuer}`;
    const { result } = await run('auth.oidc.issuer', t, { phase: 'preflight' });
    expect(result).toMatchObject({ status: 'fail', messageId: 'malformedIssuer', cause: 'config:configuration.auth.oidc.baseUrl' });
    expect(result.message).toContain(`has the scheme twice: flyteadmin reads "${new URL(bed().oidc.issuer).protocol.slice(0, -1)}" as the host name`);
    expect(result.hint).toBe(`set configuration.auth.oidc.baseUrl: ${bed().oidc.issuer}`);
    t.auth.oidcIssuer = (result.details as { meant: string }).meant;
    expect((await run('auth.oidc.issuer', t, { phase: 'preflight' })).result.status).toBe('pass');
  });
  it('a base URL that is not the issuer fails (404) with the values key', async () => {
    const t = authOn();
    t.auth.oidcIssuer = `${bed().oidc.issuer}/oauth2/v2.0/authorize`;
    const { result } = await run('auth.oidc.issuer', t, { phase: 'preflight' });
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('noDiscovery');
    expect(result.hint).toContain('configuration.auth.oidc.baseUrl');
  });
  it('issuer mismatch (same IdP reached through another address)', async () => {
    const t = authOn();
    t.auth.oidcIssuer = bed().oidc.issuer.replace('127.0.0.1', bed().nginx.host);
    const { result } = await run('auth.oidc.issuer', t, { phase: 'preflight' });
    expect(result.status, brief(result)).toBe('fail');
    expect(result.messageId).toBe('issuerMismatch');
    expect(result.hint).toContain(bed().oidc.issuer);
  });
  it('an issuer on a name where nothing listens: refused, not error', async () => {
    const t = authOn();
    t.auth.oidcIssuer = `https://${bed().dns.names.nowhere}/oidc`;
    const { result } = await run('auth.oidc.issuer', t, { phase: 'preflight' });
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('refused');
  });
});

describe('auth.client.type', () => {
  it('Pkce is offered by the server', async () => {
    const { result } = await run('auth.client.type', authOn());
    expect(result.status, brief(result)).toBe('pass');
  });
  it('wrong case is rejected in preflight with the right spelling', async () => {
    const { result } = await run('auth.client.type', authOn({ authType: 'pkce' }), { phase: 'preflight' });
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('invalidAuthType');
    expect(result.hint).toContain('admin.authType: Pkce');
  });
  it('unknown type fails', async () => {
    const { result } = await run('auth.client.type', authOn({ authType: 'Password' }), { phase: 'preflight' });
    expect(result.status).toBe('fail');
  });
  it('ClientSecret (with its secret) and DeviceFlow are checked against grant_types_supported', async () => {
    for (const a of ['ClientSecret', 'DeviceFlow', 'ExternalCommand']) {
      const { result } = await run('auth.client.type', authOn({ authType: a, clientSecret: new Secret('ci-client-secret-value') }));
      expect(result.status, brief(result)).toBe('pass');
    }
  });
  it('class 8: ClientSecret without a secret does not pass (preflight and verify)', async () => {
    for (const phase of ['preflight', 'verify'] as const) {
      const { result } = await run('auth.client.type', authOn({ authType: 'ClientSecret' }), { phase });
      expect(result.status, brief(result)).toBe('fail');
      expect(result.messageId).toBe('noClientSecret');
      expect(result.hint).toContain('admin.clientSecretLocation');
      expect(result.cause).toBe('config:admin.clientSecretLocation');
    }
  });
  it('no authType: flytectl\'s default ClientSecret without a secret fails and offers Pkce for people', async () => {
    const t = authOn();
    delete t.client.authType;
    const { result } = await run('auth.client.type', t, { phase: 'preflight' });
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('noClientSecret');
    expect(result.hint).toContain('admin.authType: Pkce');
  });
});
