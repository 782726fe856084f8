import { describe, expect, it } from 'vitest';
import { Secret } from '../../../src/config/secret.js';
import { makeTarget } from '../../harness/target.js';
import { runCheck } from '../../harness/run-check.js';
import { gcsTarget, s3Target } from './store-target.js';

describe('storage.config.coherent', () => {
  it('the test bed MinIO and GCS configs are coherent', async () => {
    expect((await runCheck('storage.config.coherent', s3Target())).result.status).toBe('pass');
    expect((await runCheck('storage.config.coherent', gcsTarget())).result.status).toBe('pass');
  });

  it('Azure: judged (account, abfs:// prefix), and the S3 checks skip naming the provider', async () => {
    const az = { provider: 'azure' as const, rawType: 'azure', metadataBucket: 'c', authType: 'iam' as const, signedUrlKey: 'x', valuesKey: 'configuration.storage' };
    const t = makeTarget({ storage: { ...az, account: 'acct', azureAuth: 'token', rawOutputPrefix: 'abfs://c/raw' } });
    const { result, results } = await runCheck('storage.s3.put', t).catch(async () => runCheck('storage.config.coherent', t));
    const coherent = results.find((r) => r.id === 'storage.config.coherent')!;
    expect(coherent).toMatchObject({ status: 'pass', messageId: 'coherent' });
    expect(coherent.message).toContain('Azure Blob account acct');
    expect(coherent.message).toContain('abfs://c');
    expect(result).toMatchObject({ status: 'skip' });
    expect(result.message).toContain('storage provider is azure, not S3');
    // no account; an s3:// prefix on Azure
    const bad = (await runCheck('storage.config.coherent', makeTarget({ storage: { ...az, rawOutputPrefix: 's3://c/raw' } }))).result;
    expect(bad).toMatchObject({ status: 'fail', messageId: 'rawPrefixScheme' });
    expect(bad.message).toContain('Azure Blob storage without a storage account name');
    expect(bad.hint).toContain('configuration.storage.providerConfig.azure.account');
    // the other stow kinds are still skipped with the reason
    const other = (await runCheck('storage.config.coherent', makeTarget({ storage: { ...az, provider: 'other', rawType: 'swift' } }))).result;
    expect(other).toMatchObject({ status: 'skip', messageId: 'unsupportedProvider' });
    expect(other.message).toContain('swift');
  });

  it('the Azure checks skip on an S3 target, naming the provider', async () => {
    const { result } = await runCheck('storage.azure.container', s3Target());
    expect(result).toMatchObject({ status: 'skip' });
    expect(result.message).toContain('storage provider is s3, not Azure Blob');
  });

  it('accesskey without a secret key, and a raw prefix with the wrong scheme, fail with the keys (flyte-core)', async () => {
    const { result } = await runCheck('storage.config.coherent', s3Target(undefined, { valuesKey: 'storage', secretKey: undefined as never, rawOutputPrefix: 'gs://flyte-userdata/raw', userDataBucket: undefined as never }));
    expect(result.status).toBe('fail');
    expect(result.hint).toContain('storage.s3.secretKey');
    expect(result.hint).toContain('configmap.core.propeller.rawoutput-prefix');
  });

  it('an http endpoint with disableSSL false warns', async () => {
    const { result } = await runCheck('storage.config.coherent', s3Target(undefined, { disableSSL: false, secretKey: new Secret('abc-secret-x') }));
    expect(result.status).toBe('warn');
    expect(result.messageId).toBe('sslFlagMismatch');
  });
});
