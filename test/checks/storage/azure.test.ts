// storage.azure.* against a real Azurite (started per file, test/infra/azurite.ts): healthy, a
// missing container, a read-only SAS, a wrong account key, an expired SAS, a wrong account name,
// a second account, an HTTP server that is not Azure and a dead port; the probe blobs are gone
// after every run; the AKS fixture maps to Azure probes; no key or SAS signature is ever printed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../../src/config/secret.js';
import type { StorageTarget } from '../../../src/config/target.js';
import { loadTarget } from '../../../src/config/load.js';
import type { CheckResult } from '../../../src/engine/types.js';
import { runSelection } from '../../harness/run-check.js';
import { freePort, startHttp, type Running } from '../../harness/private-servers.js';
import { makeTarget } from '../../harness/target.js';
import { SHARED_FIXTURES } from '../../harness/fixtures.js';
import { runCli, tmpFiles } from '../../cli/helpers.js';
import { DEV_ACCOUNT, DEV_KEY, SECOND_ACCOUNT, SECOND_KEY, startAzurite, type Azurite } from '../../infra/azurite.js';

let az: Azurite;
let html: Running;
beforeAll(async () => {
  az = await startAzurite();
  await az.createContainer('flyte');
  await az.createContainer('flyte-raw');
  await az.createContainer('second', SECOND_ACCOUNT, SECOND_KEY);
  html = await startHttp((_req, res) => { res.writeHead(200, { 'content-type': 'text/html', server: 'nginx' }); res.end('<html><head><title>Welcome to nginx!</title></head><body>hi</body></html>'); });
}, 30_000);
afterAll(async () => { await az?.stop(); await html?.stop(); });

const target = (over: Partial<StorageTarget> = {}) => makeTarget({
  storage: {
    provider: 'azure', rawType: 'azure', authType: 'accesskey', azureAuth: 'key', account: DEV_ACCOUNT, endpoint: az.accountUrl(),
    metadataBucket: 'flyte', secretKey: new Secret(DEV_KEY), signedUrlKey: 'configuration.inline.storage.signedUrl.stowConfigOverride.endpoint', valuesKey: 'configuration.storage',
    ...over,
  } as StorageTarget,
});
const sasTarget = (sas: string, over: Partial<StorageTarget> = {}) => target({ authType: 'iam', azureAuth: 'sas', secretKey: undefined as never, sasToken: new Secret(sas), ...over });

async function run(t: ReturnType<typeof target>): Promise<Map<string, CheckResult>> {
  const r = await runSelection(t, 'preflight', ['storage.azure.*']);
  return new Map(r.results.map((x) => [`${x.id}${x.instance && x.instance !== 'metadata' ? `[${x.instance}]` : ''}`, x]));
}

async function blobsUnder(prefix: string, container = 'flyte'): Promise<string[]> {
  const sdk = await import('@azure/storage-blob');
  const c = new sdk.BlobServiceClient(az.accountUrl(), new sdk.StorageSharedKeyCredential(DEV_ACCOUNT, DEV_KEY)).getContainerClient(container);
  const out: string[] = [];
  for await (const b of c.listBlobsFlat({ prefix })) out.push(b.name);
  return out;
}

describe('storage.azure.* against Azurite', () => {
  it('healthy (account key): the six checks pass, the auth mode is named, the probe blobs are deleted', async () => {
    const res = await run(target({ userDataBucket: 'flyte-raw', rawOutputPrefix: 'abfs://flyte-raw/data' }));
    for (const id of ['container', 'put', 'get', 'list', 'delete', 'signed-url']) {
      expect(res.get(`storage.azure.${id}`)?.status, `${id}: ${res.get(`storage.azure.${id}`)?.message}`).toBe('pass');
      expect(res.get(`storage.azure.${id}[userdata]`)?.status, `${id}[userdata]`).toBe('pass');
    }
    expect(res.get('storage.azure.container')!.message).toMatch(/auth: account key of devstoreaccount1/);
    expect(res.get('storage.azure.get')!.messageId).toBe('readBack');
    expect(res.get('storage.azure.list')!.messageId).toBe('listed');
    expect(res.get('storage.azure.delete')!.messageId).toBe('deleted');
    expect(res.get('storage.azure.signed-url')!.messageId).toBe('fetched');
    expect(JSON.stringify([...res.values()])).not.toMatch(/sig=/);
    expect(await blobsUnder('flyte-doctor/')).toEqual([]);
    expect(await blobsUnder('flyte-doctor/', 'flyte-raw')).toEqual([]);
  });

  it('a missing container: ContainerNotFound with the az command and the key; the probes are blocked', async () => {
    const res = await run(target({ metadataBucket: 'no-such-container' }));
    const c = res.get('storage.azure.container')!;
    expect(c).toMatchObject({ status: 'fail', messageId: 'containerNotFound' });
    expect(c.hint).toContain('az storage container create --account-name devstoreaccount1 --name no-such-container');
    expect(c.hint).toContain('configuration.storage.metadataContainer');
    for (const id of ['put', 'get', 'list', 'delete', 'signed-url']) expect(res.get(`storage.azure.${id}`)?.status).toBe('skip');
  });

  it('a read-only SAS (sp=rl): put and delete fail naming the permission, get and list pass, no URL can be signed', async () => {
    const res = await run(sasTarget(await az.containerSas('flyte', 'rl')));
    expect(res.get('storage.azure.container')).toMatchObject({ status: 'pass', messageId: 'exists' });
    expect(res.get('storage.azure.container')!.message).toMatch(/auth: SAS token.*sp=rl/);
    const put = res.get('storage.azure.put')!;
    expect(put).toMatchObject({ status: 'fail', messageId: 'permissionDenied' });
    expect(put.message).toMatch(/sp=rl, put needs create and write/);
    expect(put.hint).toContain('--permissions racwdl');
    const del = res.get('storage.azure.delete')!;
    expect(del).toMatchObject({ status: 'fail', messageId: 'permissionDenied' });
    expect(del.message).toMatch(/needs delete \(d\)/);
    expect(res.get('storage.azure.get')).toMatchObject({ status: 'pass', messageId: 'readAllowed' });
    expect(res.get('storage.azure.list')).toMatchObject({ status: 'pass', messageId: 'listAllowed' });
    expect(res.get('storage.azure.signed-url')).toMatchObject({ status: 'skip', messageId: 'cannotSign' });
  });

  it('a write-only SAS (sp=cw): get and list fail naming read and list', async () => {
    const res = await run(sasTarget(await az.containerSas('flyte', 'cw')));
    expect(res.get('storage.azure.container')).toMatchObject({ status: 'fail', messageId: 'permissionDenied' });
  });

  it('a wrong account key: wrongAccountKey (not a permission), with the key command', async () => {
    const res = await run(target({ secretKey: new Secret(Buffer.from('not-the-key-of-this-account-canary-azure-0001').toString('base64')) }));
    const c = res.get('storage.azure.container')!;
    expect(c).toMatchObject({ status: 'fail', messageId: 'wrongAccountKey' });
    expect(c.hint).toContain('az storage account keys list --account-name devstoreaccount1');
    expect(c.hint).toContain('configuration.storage.providerConfig.azure.key');
    expect(c.cause).toBe('credentials:azure:key:devstoreaccount1');
  });

  it('the right key with a space after it: Azurite (Node decodes base64 leniently) accepts it, Flyte (Go) would not: wrongAccountKey naming the space', async () => {
    const res = await run(target({ secretKey: new Secret(`${DEV_KEY} `) }));
    const c = res.get('storage.azure.container')!;
    expect(c).toMatchObject({ status: 'fail', messageId: 'wrongAccountKey', cause: 'credentials:azure:key:devstoreaccount1' });
    expect(c.message).toMatch(/ends with a space: Flyte's Azure client \(Go's base64 decoder\) refuses it/);
    // a trailing newline is skipped by Go's decoder too: not a finding
    expect((await run(target({ secretKey: new Secret(`${DEV_KEY}\n`) }))).get('storage.azure.container')!.status).toBe('pass');
  });

  it('the key of another account: wrongAccountKey; the second account with its own key passes', async () => {
    const wrong = await run(target({ account: SECOND_ACCOUNT, endpoint: az.accountUrl(SECOND_ACCOUNT), metadataBucket: 'second' }));
    expect(wrong.get('storage.azure.container')).toMatchObject({ status: 'fail', messageId: 'wrongAccountKey' });
    const right = await run(target({ account: SECOND_ACCOUNT, endpoint: az.endpoint, metadataBucket: 'second', secretKey: new Secret(SECOND_KEY) }));
    expect(right.get('storage.azure.container')?.status, right.get('storage.azure.container')?.message).toBe('pass');
    expect(right.get('storage.azure.put')?.status).toBe('pass');
  });

  it('an expired SAS: sasExpired naming the expiry, not a permission or a wrong key', async () => {
    const sas = await az.containerSas('flyte', 'racwdl', { startsOn: new Date(Date.now() - 3 * 3600_000), expiresOn: new Date(Date.now() - 3600_000) });
    const c = (await run(sasTarget(sas))).get('storage.azure.container')!;
    expect(c).toMatchObject({ status: 'fail', messageId: 'sasExpired' });
    expect(c.message).toMatch(/expired at \d{4}-/);
    expect(c.hint).toContain('az storage container generate-sas');
  });

  it('a SAS that starts in the future: sasNotYetValid', async () => {
    const sas = await az.containerSas('flyte', 'racwdl', { startsOn: new Date(Date.now() + 3600_000), expiresOn: new Date(Date.now() + 7200_000) });
    expect((await run(sasTarget(sas))).get('storage.azure.container')).toMatchObject({ status: 'fail', messageId: 'sasNotYetValid' });
  });

  it('a SAS signed with another key: sasSignatureInvalid', async () => {
    const sas = await az.containerSas('flyte', 'racwdl', { key: SECOND_KEY });
    expect((await run(sasTarget(sas))).get('storage.azure.container')).toMatchObject({ status: 'fail', messageId: 'sasSignatureInvalid' });
  });

  it('a wrong account name: accountNotFound naming the account key', async () => {
    const c = (await run(target({ account: 'nosuchaccount', endpoint: az.endpoint }))).get('storage.azure.container')!;
    expect(c).toMatchObject({ status: 'fail', messageId: 'accountNotFound' });
    expect(c.hint).toContain('configuration.storage.providerConfig.azure.account');
  });

  it('an HTTP server that is not Azure: notAzure, never a pass', async () => {
    const res = await run(target({ endpoint: `http://127.0.0.1:${html.port}/${DEV_ACCOUNT}` }));
    const c = res.get('storage.azure.container')!;
    expect(c).toMatchObject({ status: 'fail', messageId: 'notAzure', cause: `wrong-service:127.0.0.1:${html.port}` });
    expect(c.message).toMatch(/HTML page/);
  });

  it('a captive portal (511) where the blob service should answer: interceptedInFront (front-auth), not "point the endpoint at the blob service"', async () => {
    const portal = await startHttp((_req, res) => { res.writeHead(511, { 'content-type': 'text/html' }); res.end('<html><title>Network Login</title></html>'); });
    try {
      const c = (await run(target({ endpoint: `http://127.0.0.1:${portal.port}/${DEV_ACCOUNT}` }))).get('storage.azure.container')!;
      expect(c).toMatchObject({ status: 'fail', messageId: 'interceptedInFront', cause: `front-auth:127.0.0.1:${portal.port}` });
      expect(c.message).toMatch(/captive portal/);
      expect(c.hint).toMatch(/log in to the network/);
    } finally { await portal.stop(); }
  });

  it('a dead port: unreachable, one root cause for the host:port', async () => {
    const port = await freePort();
    const res = await runSelection(target({ endpoint: `http://127.0.0.1:${port}/${DEV_ACCOUNT}`, userDataBucket: 'flyte-raw' }), 'preflight', ['storage.azure.*']);
    const fails = res.results.filter((r) => r.status === 'fail');
    expect(fails.map((r) => r.messageId)).toEqual(['unreachable', 'unreachable']);
    expect(new Set(fails.map((r) => r.cause))).toEqual(new Set([`unreachable:127.0.0.1:${port}`]));
  });

  it('no key and no Azure AD credential here: a warn pointing to --in-cluster, the probes skip', async () => {
    const saved = { ...process.env };
    for (const k of Object.keys(process.env)) if (k.startsWith('AZURE_')) delete process.env[k];
    process.env['PATH'] = '/nonexistent';
    try {
      const res = await run(target({ authType: 'iam', azureAuth: 'token', secretKey: undefined as never, flyteIdentity: 'Azure managed identity 0000 of flyteadmin' }));
      const c = res.get('storage.azure.container')!;
      expect(c).toMatchObject({ status: 'warn', messageId: 'noCredentialsHere' });
      expect(c.hint).toContain('--in-cluster');
      expect(res.get('storage.azure.put')).toMatchObject({ status: 'skip', messageId: 'notCheckedHere' });
    } finally { process.env = saved; }
  });
});

describe('an Azurite that checks API versions (an old emulator or Azure Stack)', () => {
  it('InvalidHeaderValue for the API version: requestRejected naming the version, not a credential', async () => {
    const strict = await startAzurite({ apiVersionCheck: true });
    try {
      const c = (await run(target({ endpoint: strict.accountUrl() }))).get('storage.azure.container')!;
      expect(c).toMatchObject({ status: 'fail', messageId: 'requestRejected' });
      expect(c.hint).toMatch(/API version/);
    } finally { await strict.stop(); }
  }, 30_000);
});

describe('Azure targets from values', () => {
  it('the AKS fixture (flyte-core, storage.type custom, stow kind azure) maps to Azure probes', () => {
    const t = loadTarget({ values: [join(SHARED_FIXTURES, 'flyte-values', 'flyte-core__deploy-flyte-azure-values-aks.yaml')], set: [], env: {}, cwd: SHARED_FIXTURES, home: '/nonexistent-home' });
    expect(t.storage).toMatchObject({ provider: 'azure', account: '${storage_account_name}', metadataBucket: '${storage_account_container_name}', userDataBucket: '${storage_account_container_name}', azureAuth: 'token', authType: 'iam' });
    expect(t.provenance['storage.account']).toMatch(/storage\.custom\.stow\.config\.account/);
    expect(t.storage?.flyteIdentity).toMatch(/azure|Azure/);
  });

  it('flyte-binary providerConfig.azure: account, key (a secret), configDomainSuffix', () => {
    const dir = tmpFiles({ 'v.yaml': 'configuration:\n  storage:\n    provider: azure\n    metadataContainer: flyte\n    userDataContainer: flyte-raw\n    providerConfig:\n      azure:\n        account: flyteacct\n        key: a2V5LWNhbmFyeS1henVyZS1iaW5hcnk=\n        configDomainSuffix: core.chinacloudapi.cn\n' });
    const t = loadTarget({ values: [join(dir, 'v.yaml')], set: [], env: {}, cwd: dir, home: '/nonexistent-home' });
    expect(t.storage).toMatchObject({ provider: 'azure', account: 'flyteacct', domainSuffix: 'core.chinacloudapi.cn', azureAuth: 'key', rawOutputPrefix: 'abfs://flyte-raw/data' });
    expect(t.secrets).toContain('a2V5LWNhbmFyeS1henVyZS1iaW5hcnk=');
  });

  it('a SAS in a full-URL domain suffix (Azurite / Azure Stack): the endpoint without it, the SAS a secret that --dry-run never prints', async () => {
    const sig = 'canary-sas-sig-in-domain-suffix';
    const dir = tmpFiles({ 'v.yaml': `configuration:\n  storage:\n    provider: azure\n    metadataContainer: flyte\n    userDataContainer: flyte\n    providerConfig:\n      azure:\n        account: devstoreaccount1\n        configDomainSuffix: "http://127.0.0.1:10000/devstoreaccount1?sv=2022-11-02&sp=racwdl&sig=${sig}"\n` });
    const t = loadTarget({ values: [join(dir, 'v.yaml')], set: [], env: {}, cwd: dir, home: '/nonexistent-home' });
    expect(t.storage).toMatchObject({ endpoint: 'http://127.0.0.1:10000/devstoreaccount1', azureAuth: 'sas' });
    expect(t.secrets.some((x) => x.includes(sig))).toBe(true);
    const r = await runCli(['preflight', '--values', 'v.yaml', '--dry-run'], { cwd: dir, home: dir, env: { PATH: process.env.PATH ?? '' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(sig);
  });

  it('the CLI against Azurite: the account key and a SAS signature appear in no output (JSON, markdown)', async () => {
    const canaryKey = DEV_KEY;
    const dir = tmpFiles({
      'v.yaml': `configuration:\n  storage:\n    provider: azure\n    metadataContainer: flyte\n    userDataContainer: flyte\n    providerConfig:\n      azure:\n        account: ${DEV_ACCOUNT}\n        key: ${canaryKey}\n        configDomainSuffix: ${az.endpoint}\n`,
    });
    const r = await runCli(['preflight', '--values', 'v.yaml', '--only', 'storage.azure.*', '-o', 'json', '--report', `markdown=${join(dir, 'r.md')}`], { cwd: dir, home: dir, env: { PATH: process.env.PATH ?? '' } });
    if (!r.stdout.trim().startsWith("{")) throw new Error(`CLI exit ${r.code}: ${r.stderr.slice(0, 800)} ${r.stdout.slice(0, 800)}`);
    const md = readFileSync(join(dir, 'r.md'), 'utf8');
    const report = JSON.parse(r.stdout) as { results: CheckResult[] };
    expect(report.results.find((x) => x.id === 'storage.azure.signed-url')?.status, r.stdout.slice(0, 2000)).toBe('pass');
    for (const out of [r.stdout, r.stderr, md]) {
      expect(out).not.toContain(canaryKey);
      expect(out).not.toMatch(/sig=[A-Za-z0-9%]/);
    }
  });
});
