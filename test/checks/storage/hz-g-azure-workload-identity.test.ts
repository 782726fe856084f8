// Azure Workload Identity (AZURE_FEDERATED_TOKEN_FILE + AZURE_CLIENT_ID + AZURE_TENANT_ID) against a
// real Entra-style token endpoint of our own (https on 127.0.0.1, reached through
// AZURE_AUTHORITY_HOST), with real token files. Before: AADSTS700016 ("Application ... was not
// found") and AADSTS90002 ("Tenant ... not found") matched "not found", were taken for "credential
// unavailable" and ended as podHasNoIdentity "Workload Identity is not wired"; every other AADSTS
// got one hint. Now each AADSTS code has its own cause and fix; unknown ones say "unrecognised".
import { createServer, type Server } from 'node:https';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StorageTarget } from '../../../src/config/target.js';
import { makeTarget } from '../../harness/target.js';
import { runCheck } from '../../harness/run-check.js';

const PORT = 30703;
const TENANT = '11111111-2222-3333-4444-555555555555', CLIENT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const ISS = 'https://eastus.oic.prod-aks.azure.com/tenant/cluster/';
let aadsts = { code: 70021, description: '' };
let server: Server;
let dir: string;
const VARS = ['AZURE_FEDERATED_TOKEN_FILE', 'AZURE_CLIENT_ID', 'AZURE_TENANT_ID', 'AZURE_AUTHORITY_HOST', 'AZURE_CLIENT_SECRET', 'AZURE_CLIENT_CERTIFICATE_PATH', 'NODE_TLS_REJECT_UNAUTHORIZED', 'PATH'];
let saved: Record<string, string | undefined> = {};

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
function token(claims: Record<string, unknown> = {}, name = 'token'): { file: string; text: string } {
  const now = Math.floor(Date.now() / 1000);
  const text = `${b64({ alg: 'RS256' })}.${b64({ iss: ISS, sub: 'system:serviceaccount:flyte:flyte-binary', aud: ['api://AzureADTokenExchange'], iat: now, exp: now + 3600, ...claims })}.c2ln`;
  const file = join(dir, name);
  writeFileSync(file, text);
  return { file, text };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hz-g-azwi-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
    req.resume();
    req.on('end', () => {
      const host = `https://127.0.0.1:${PORT}`;
      const tenant = (req.url ?? '/').split('/')[1];
      if (req.url?.includes('openid-configuration')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ token_endpoint: `${host}/${tenant}/oauth2/v2.0/token`, issuer: `${host}/${tenant}/v2.0`, authorization_endpoint: `${host}/${tenant}/oauth2/v2.0/authorize`, end_session_endpoint: `${host}/${tenant}/oauth2/v2.0/logout`, jwks_uri: `${host}/${tenant}/discovery/v2.0/keys`, response_types_supported: ['code'] }));
        return;
      }
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid_request', error_description: `AADSTS${aadsts.code}: ${aadsts.description} Trace ID: 0000 Correlation ID: 1111 Timestamp: 2026-01-01 00:00:00Z`, error_codes: [aadsts.code] }));
    });
  });
  await new Promise<void>((r) => server.listen(PORT, '127.0.0.1', r));
});
afterAll(async () => { await new Promise((r) => server.close(r)); rmSync(dir, { recursive: true, force: true }); });

function env(vars: Record<string, string | undefined>): void {
  saved = Object.fromEntries(VARS.map((k) => [k, process.env[k]]));
  for (const k of VARS) if (k !== 'PATH') delete process.env[k];
  // the test's own self-signed token endpoint; no az CLI on the PATH to fall back to
  Object.assign(process.env, { AZURE_CLIENT_ID: CLIENT, AZURE_TENANT_ID: TENANT, AZURE_AUTHORITY_HOST: `https://127.0.0.1:${PORT}`, NODE_TLS_REJECT_UNAUTHORIZED: '0', PATH: '/nonexistent' });
  for (const [k, v] of Object.entries(vars)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
}
afterEach(() => { for (const k of VARS) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; } });

const target = (inCluster: boolean) => ({
  ...makeTarget({ storage: { provider: 'azure', rawType: 'azure', authType: 'iam', azureAuth: 'token', account: 'flytestore', endpoint: 'http://127.0.0.1:30704/flytestore', metadataBucket: 'flyte', signedUrlKey: 'configuration.inline.storage.signedUrl.stowConfigOverride.endpoint', valuesKey: 'configuration.storage' } as StorageTarget }),
  ...(inCluster ? { inCluster: true, runtime: { ranAt: 'in-cluster/flyte/flyte-binary', apiServer: 'https://127.0.0.1' } } : {}),
});

async function container(inCluster: boolean, code: number, description: string, tok: { file: string; text?: string } | undefined = token(), more: Record<string, string | undefined> = {}) {
  aadsts = { code, description };
  env({ AZURE_FEDERATED_TOKEN_FILE: tok?.file, ...more });
  const { result } = await runCheck('storage.azure.container', target(inCluster) as never);
  if (tok?.text) expect(JSON.stringify(result)).not.toContain(tok.text.split('.')[1]);
  return result;
}

describe('in the cluster: each AADSTS refusal of the federated token has its own cause and fix', () => {
  it('AADSTS70021: the federated credential, with the token\'s exact issuer and subject', async () => {
    const r = await container(true, 70021, `No matching federated identity record found for presented assertion. Assertion Issuer: '${ISS}'. Assertion Subject: 'system:serviceaccount:flyte:flyte-binary'. Assertion Audience: 'api://AzureADTokenExchange'.`);
    expect(r).toMatchObject({ status: 'fail', messageId: 'podIdentityFailed', cause: `config:azure-federated-credential:${CLIENT}`, details: { identityFailure: 'federated-credential-missing', aadsts: 'AADSTS70021' } });
    expect(r.hint).toContain(`--issuer ${ISS} --subject system:serviceaccount:flyte:flyte-binary --audience api://AzureADTokenExchange`);
  });

  it('AADSTS700016 (application not found): the client-id annotation, not "Workload Identity is not wired"', async () => {
    const r = await container(true, 700016, `Application with identifier '${CLIENT}' was not found in the directory '${TENANT}'.`);
    expect(r).toMatchObject({ status: 'fail', messageId: 'podIdentityFailed', cause: `config:azure.workload.identity/client-id=${CLIENT}`, details: { identityFailure: 'client-not-found' } });
    expect(r.hint).toContain('az identity show');
  });

  it('AADSTS90002 (tenant not found): AZURE_TENANT_ID, not "Workload Identity is not wired"', async () => {
    const r = await container(true, 90002, `Tenant '${TENANT}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
    expect(r).toMatchObject({ status: 'fail', messageId: 'podIdentityFailed', cause: `config:AZURE_TENANT_ID=${TENANT}`, details: { identityFailure: 'tenant-not-found' } });
  });

  it('AADSTS700024 with an expired token file: nothing refreshes it', async () => {
    const r = await container(true, 700024, 'Client assertion is not within its valid time range. Current time: 2026-11-29T18:00:00Z, assertion valid from 2026-11-28T10:00:00Z, expiry time of assertion 2026-11-28T11:00:00Z.', token({ exp: Math.floor(Date.now() / 1000) - 3600 }));
    expect(r.details).toMatchObject({ identityFailure: 'token-expired' });
  });

  it('AADSTS700024 with a token valid by this clock: the clock', async () => {
    const r = await container(true, 700024, 'Client assertion is not within its valid time range.');
    expect(r).toMatchObject({ cause: 'config:clock', details: { identityFailure: 'clock' } });
  });

  it('AADSTS700213 (subject mismatch): the exact subject', async () => {
    const r = await container(true, 700213, 'No matching federated identity record found for presented assertion subject \'system:serviceaccount:flyte:flyte-binary\'.');
    expect(r.details).toMatchObject({ identityFailure: 'federated-subject-mismatch' });
    expect(r.hint).toContain('exactly system:serviceaccount:flyte:flyte-binary');
  });

  it('an unmapped AADSTS code: "unrecognised: AADSTS<n> <message>"', async () => {
    const r = await container(true, 1234567, 'Something new happened.');
    expect(r.message).toContain('unrecognised: AADSTS1234567 Something new happened.');
  });

  it('the token file does not exist: the projected token is not mounted, not "not wired"', async () => {
    const r = await container(true, 70021, '', { file: join(dir, 'absent') });
    expect(r).toMatchObject({ status: 'fail', details: { identityFailure: 'token-file-missing' } });
    expect(r.message).toContain('does not exist');
  });

  it('the token file without AZURE_TENANT_ID: names what is missing', async () => {
    const r = await container(true, 70021, '', token(), { AZURE_TENANT_ID: undefined });
    expect(r).toMatchObject({ status: 'fail', messageId: 'podHasNoIdentity', cause: 'config:AZURE_TENANT_ID', details: { identityFailure: 'workload-identity-incomplete' } });
  });
});

describe('from this machine with Workload Identity in its environment: warnings with the same causes', () => {
  it('AADSTS700016 here: a warn naming the client id', async () => {
    const r = await container(false, 700016, `Application with identifier '${CLIENT}' was not found in the directory '${TENANT}'.`);
    expect(r).toMatchObject({ status: 'warn', messageId: 'localCredentialsFailed', details: { identityFailure: 'client-not-found' } });
    expect(r.hint).toContain('--in-cluster');
  });
});
