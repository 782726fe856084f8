// An Azure connection string (or a SAS URL) pasted as the storage account: the target table prints
// the account as a plain value of the inputs, and a secret inside a plain value was hidden only as a
// whole word, so the AccountKey was printed in pretty, json and markdown. Every format, through the CLI.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';
import { findLeak } from './leaks.js';

const KEY = Buffer.from('hx-k-account-key-canary-0123456789abcdef').toString('base64');
const SIG = 'hxKsasSig0123456789abcdefXYZ%3D';

describe('an Azure credential inside the account or the domain suffix', () => {
  for (const [name, azure, secret] of [
    ['a connection string as the account', `{account: "DefaultEndpointsProtocol=https;AccountName=flytedata;AccountKey=${KEY};EndpointSuffix=core.windows.net", key: "${Buffer.from('hx-k-other-key-canary-0123456789').toString('base64')}"}`, KEY],
    ['a SAS connection string as the account', `{account: "BlobEndpoint=https://flytedata.blob.core.windows.net/;SharedAccessSignature=sv=2022-11-02&ss=b&sig=${SIG}"}`, SIG],
  ] as const) {
    it(`${name}: not in any report format`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'fd-hx-k-az-'));
      writeFileSync(join(dir, 'values.yaml'), [
        'configuration:',
        '  database: {host: 127.0.0.1, port: 1, dbname: flyteadmin, username: flyte, password: "hx-k-db-pass-1234"}',
        '  storage:',
        '    metadataContainer: meta',
        '    userDataContainer: user',
        '    provider: azure',
        `    providerConfig: {azure: ${azure}}`,
      ].join('\n') + '\n');
      const outs = ['json', 'junit', 'markdown', 'pretty'].map((f) => join(dir, `out.${f}`));
      const r = await runCli(['preflight', '-f', join(dir, 'values.yaml'), '--only', 'storage.config.coherent',
        '--report', `json=${outs[0]}`, '--report', `junit=${outs[1]}`, '--report', `markdown=${outs[2]}`, '--report', `pretty=${outs[3]}`, '--verbose'], { cwd: dir });
      const texts = [r.stdout, r.stderr, ...outs.map((f) => readFileSync(f, 'utf8'))];
      expect(texts[0]).toContain('storage.account');
      for (const t of texts) expect(findLeak(t, secret.replace('%3D', ''))).toBeUndefined();
      expect(texts.join('\n')).toContain('flytedata');
    });
  }
});
