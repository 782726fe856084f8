// Credentials quoted by new exit-2 lines and probe messages: never a part of a secret in the output.
// (helper K's audit: a --set value cut at a comma under a key not named like a secret; an exec
// plugin flooding its output with a token the 48-character excerpt cuts below the masking length.)
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadTarget, type TargetInput } from '../../src/config/load.js';
import { UserError } from '../../src/errors.js';
import { runCheck } from '../harness/run-check.js';
import { makeTarget } from '../harness/target.js';
import { getTestbed } from '../harness/testbed.js';
import { findLeak } from './leaks.js';

const dir = mkdtempSync(join(tmpdir(), 'fd-hx-k-'));
const load = (over: Partial<TargetInput>) => loadTarget({ values: [], set: [], env: {}, cwd: dir, home: dir, ...over });

function message(fn: () => unknown): string {
  try { fn(); } catch (e) { expect(e).toBeInstanceOf(UserError); return (e as Error).message; }
  throw new Error('expected a UserError');
}

describe('--set: a comma inside a credential under a key not named like a secret', () => {
  it('a URL with a password cut at the comma: the key is named, neither part of the password is printed', () => {
    const m = message(() => load({ set: ['configuration.database.dsn=postgres://flyte:Hunter2Secret,Tail9SecretX@db.example.com/flyte'] }));
    expect(m).toMatch(/^--set configuration\.database\.dsn=\*\*\*: the value holds a ","/);
    expect(findLeak(m, 'Tail9SecretX@db', 8)).toBeUndefined();
    expect(findLeak(m, 'Hunter2Secret', 8)).toBeUndefined();
  });
  it('a connection string whose AccountKey holds the comma', () => {
    const m = message(() => load({ set: ['storage.connection=AccountName=acct;AccountKey=Zm9vYmFyYmF6cXV4,c2VjcmV0S2V5TWF0ZXJpYWw'] }));
    expect(m).toMatch(/^--set storage\.connection=\*\*\*: the value holds a ","/);
    expect(findLeak(m, 'c2VjcmV0S2V5TWF0ZXJpYWw', 8)).toBeUndefined();
  });
});

describe('kubernetes.config.load: an exec plugin flooding a token', () => {
  it('the excerpt of what it prints never holds a token cut below the masking length', async () => {
    const tb = getTestbed();
    const token = 'AbCdEfGh1234567890ZyXwVu9876';
    const kc = join(dir, 'kubeconfig');
    // 31 characters before the token: the 48-character excerpt keeps its first 17
    writeFileSync(kc, stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
      clusters: [{ name: 'tb', cluster: { server: tb.kube.server, 'certificate-authority': tb.kube.caFile } }],
      users: [{ name: 'u', user: { exec: { command: 'sh', args: ['-c', `yes '{"status":{"expiry":"x","jwt":"${token}"}}' 1>&2`], apiVersion: 'client.authentication.k8s.io/v1' } } }],
      contexts: [{ name: 'c', context: { cluster: 'tb', user: 'u', namespace: 'flyte' } }],
    }, { version: '1.1' }));
    const { result } = await runCheck('kubernetes.config.load', makeTarget({ kubernetes: { kubeconfigPath: kc, namespace: 'flyte', release: 'flyte' } } as never), { timeoutMs: 8000 });
    expect(result).toMatchObject({ status: 'fail', messageId: 'execPluginBadOutput' });
    expect(result.message).toMatch(/printed more than 4 MiB on stderr without ending \(it begins "\{\\"status\\":\{\\"expiry\\":\\"x\\",\\"jwt\\":\\"\*\*\*/);
    expect(findLeak(JSON.stringify(result), token.slice(0, 12), 8)).toBeUndefined();
  });
});
