// The Azure storage account written as something other than its name: a blob URL, a host name, a
// connection string (with the account key inside it), capitals. Before, the config check passed
// and the probes said "the key is not a key of the account" or "host https does not resolve";
// and a connection string's AccountKey was printed in the details.
import { describe, expect, it } from 'vitest';
import { Secret } from '../../../src/config/secret.js';
import type { StorageTarget } from '../../../src/config/target.js';
import { runSelection } from '../../harness/run-check.js';
import { makeTarget } from '../../harness/target.js';

const KEY = Buffer.from('coherent-azure-account-key-canary-0123456789abcdef0123').toString('base64');
const az = (account: string, over: Partial<StorageTarget> = {}) => makeTarget({
  storage: { provider: 'azure', rawType: 'azure', metadataBucket: 'flyte', authType: 'accesskey', azureAuth: 'key', account, secretKey: new Secret(KEY), signedUrlKey: 'x', valuesKey: 'configuration.storage', ...over } as StorageTarget,
});

async function coherent(account: string, over: Partial<StorageTarget> = {}) {
  const r = await runSelection(az(account, over), 'preflight', ['storage.config.coherent']);
  return { c: r.results.find((x) => x.id === 'storage.config.coherent')!, all: JSON.stringify(r) };
}

describe('storage.config.coherent: the Azure account name', () => {
  it('a blob URL: invalidAccountName with the account it names', async () => {
    const { c } = await coherent('https://flytedata.blob.core.windows.net/');
    expect(c).toMatchObject({ status: 'fail', messageId: 'invalidAccountName', cause: 'config:configuration.storage.providerConfig.azure.account' });
    expect(c.message).toContain('is a URL');
    expect(c.hint).toContain('flytedata');
    expect(c.hint).not.toContain('domain');
  });

  it('a host name in another cloud: the account and the domain suffix', async () => {
    const { c } = await coherent('flytedata.blob.core.chinacloudapi.cn');
    expect(c.messageId).toBe('invalidAccountName');
    expect(c.message).toContain('is a host name');
    expect(c.hint).toContain('flytedata');
    expect(c.hint).toContain('core.chinacloudapi.cn');
  });

  it('a connection string: the AccountName, and its AccountKey never printed', async () => {
    const secret = Buffer.from('connection-string-account-key-canary-abcdefghijklmnop').toString('base64');
    const { c, all } = await coherent(`DefaultEndpointsProtocol=https;AccountName=flytedata;AccountKey=${secret};EndpointSuffix=core.windows.net`);
    expect(c.messageId).toBe('invalidAccountName');
    expect(c.message).toContain('a connection string');
    expect(c.hint).toContain('flytedata');
    expect(all).not.toContain(secret);
    expect(all).not.toContain(secret.slice(0, 20));
  });

  it('capitals: the lower-case name (Azure signs for the lower-case account)', async () => {
    const { c } = await coherent('FlyteData');
    expect(c.messageId).toBe('invalidAccountName');
    expect(c.message).toContain('written with capitals');
    expect(c.hint).toContain('flytedata');
  });

  it('a valid name, and any name with a custom endpoint (emulators), still pass', async () => {
    expect((await coherent('flytedata')).c.status).toBe('pass');
    expect((await coherent('devstoreaccount1', { endpoint: 'http://127.0.0.1:17850' })).c.status).toBe('pass');
    expect((await coherent('Dev-Account', { endpoint: 'http://127.0.0.1:17850' })).c.status).toBe('pass');
  });
});
