// An account key Go's base64.StdEncoding (Flyte's Azure client) refuses, but Node's lenient decoder
// (and so Azurite, and this probe's SDK) accepts: the padding cut off, base64url characters, a
// space inside. Before, the container check passed against a real Azurite; Flyte would not start.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../../src/config/secret.js';
import type { StorageTarget } from '../../../src/config/target.js';
import { runSelection } from '../../harness/run-check.js';
import { makeTarget } from '../../harness/target.js';
import { DEV_ACCOUNT, DEV_KEY, startAzurite, type Azurite } from '../../infra/azurite.js';

let az: Azurite;
beforeAll(async () => { az = await startAzurite(); await az.createContainer('flyte'); }, 30_000);
afterAll(async () => { await az?.stop(); });

const target = (key: string) => makeTarget({
  storage: {
    provider: 'azure', rawType: 'azure', authType: 'accesskey', azureAuth: 'key', account: DEV_ACCOUNT, endpoint: az.accountUrl(),
    metadataBucket: 'flyte', secretKey: new Secret(key), signedUrlKey: 'configuration.inline.storage.signedUrl.stowConfigOverride.endpoint', valuesKey: 'configuration.storage',
  } as StorageTarget,
});

async function container(key: string) {
  const r = await runSelection(target(key), 'preflight', ['storage.azure.container']);
  const c = r.results.find((x) => x.id === 'storage.azure.container')!;
  return { c, all: JSON.stringify(r) };
}

describe('storage.azure.container: a key Go cannot decode', () => {
  const cases: [string, string, RegExp][] = [
    ['the padding (==) cut off', DEV_KEY.replace(/=+$/, ''), /86 characters, not a multiple of 4: the padding \(=\) at its end is missing/],
    ['base64url characters', DEV_KEY.replace(/\//g, '_').replace(/\+/g, '-'), /a base64url character \(- or _\) at position \d+ of 88/],
    ['a space inside', `${DEV_KEY.slice(0, 40)} ${DEV_KEY.slice(40)}`, /a space or tab at position 41 of 89/],
  ];
  for (const [name, key, why] of cases) {
    it(`${name}: wrongAccountKey naming why, not a pass; the key is never printed`, async () => {
      const { c, all } = await container(key);
      expect(c.status, c.message).toBe('fail');
      expect(c.messageId).toBe('wrongAccountKey');
      expect(c.message).toMatch(why);
      expect(c.message).toContain('illegal base64 data');
      expect(c.hint).toContain('configuration.storage.providerConfig.azure.key');
      expect(c.hint).toContain('az storage account keys list --account-name devstoreaccount1');
      expect(c.cause).toBe('credentials:azure:key:devstoreaccount1');
      expect(all).not.toContain(DEV_KEY.slice(10, 40));
    });
  }

  it('the exact key, and the key with a trailing newline (Go skips \\r and \\n), still pass', async () => {
    expect((await container(DEV_KEY)).c.status).toBe('pass');
    expect((await container(`${DEV_KEY}\r\n`)).c.status).toBe('pass');
  });
});
