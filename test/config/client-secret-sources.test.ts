// A client secret file the flytectl config names is a credential of that input even when the
// environment overrides it (FLYTE_CREDENTIALS_CLIENT_SECRET, clientSecretEnvVar): it is registered as a
// secret, and a file that cannot be read there is no error (it is not used).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTarget } from '../../src/config/load.js';
import { makeRedactor } from '../../src/engine/redact.js';

const dir = mkdtempSync(join(tmpdir(), 'fd-client-secret-'));
const fileSecret = ['file', 'Secret', '-Kq7', '-0042'].join('');
const envSecret = ['env', 'Secret', '-Zx9', '-0043'].join('');
writeFileSync(join(dir, 'secret.txt'), `${fileSecret}\n`);
mkdirSync(join(dir, 'a-dir'));
const config = (location: string) => { const f = join(dir, `fc-${location.replace(/\W/g, '')}.yaml`); writeFileSync(f, `admin:\n  endpoint: dns:///flyte.example.internal\n  authType: ClientSecret\n  clientId: flytepropeller\n  clientSecretLocation: ${location}\n`); return f; };
const load = (flytectlConfig: string, env: Record<string, string>) => loadTarget({ values: [], set: [], env, cwd: dir, home: dir, flytectlConfig });

describe('clientSecretLocation overridden by the environment', () => {
  it('the env secret is used, and the file\'s secret is still masked in output', () => {
    const t = load(config(join(dir, 'secret.txt')), { FLYTE_CREDENTIALS_CLIENT_SECRET: envSecret });
    expect(t.client.clientSecret?.reveal()).toBe(envSecret);
    const r = makeRedactor({ secrets: t.secrets ?? [] });
    expect(r(`a server echoed ${fileSecret} and ${envSecret}`)).toBe('a server echoed *** and ***');
  });
  it('clientSecretEnvVar wins too; a location that is a directory is no error when it is not used', () => {
    const t = load(config(join(dir, 'a-dir')), { MY_SECRET: envSecret, FLYTE_CREDENTIALS_CLIENT_SECRET_ENV_VAR: 'MY_SECRET' });
    expect(t.client.clientSecret?.reveal()).toBe(envSecret);
    const t2 = load(config(join(dir, 'secret.txt')), { MY_SECRET: envSecret, FLYTE_CREDENTIALS_CLIENT_SECRET_ENV_VAR: 'MY_SECRET' });
    expect(makeRedactor({ secrets: t2.secrets ?? [] })(fileSecret)).toBe('***');
  });
});
