import { describe, expect, it } from 'vitest';
import { Secret } from '../../../src/config/secret.js';
import { makeTarget } from '../../harness/target.js';
import { runCheck } from '../../harness/run-check.js';
import { gcsTarget, s3Target } from './store-target.js';
import { getTestbed } from '../../harness/testbed.js';

describe('storage.config.coherent', () => {
  it('the test bed MinIO and GCS configs are coherent', async () => {
    expect((await runCheck('storage.config.coherent', s3Target())).result.status).toBe('pass');
    expect((await runCheck('storage.config.coherent', gcsTarget())).result.status).toBe('pass');
  });

  // The access key id and the region go into the Authorization header: Node refused the request
  // ("Invalid character in header content"), the AWS SDK the region ("Region not accepted"), and both
  // were 'exception' errors of storage.s3.bucket. Flyte's Go client cannot send them either.
  it('an access key id or region with a line break (a YAML block scalar) is named before any request; spaces around a key are left to the store', async () => {
    const m = getTestbed().minio;
    const cases: [string, Parameters<typeof s3Target>[1], RegExp, RegExp][] = [
      ['access key + newline', { accessKey: `${m.root.accessKey}\n` }, /the access key id \(configuration\.storage\.providerConfig\.s3\.accessKey\) ends with a newline: .* cannot send/, /accessKey to the access key id with nothing around it/],
      ['access key with a carriage return inside', { accessKey: `${m.root.accessKey.slice(0, 4)}\r${m.root.accessKey.slice(4)}` }, /contains a carriage return \(\\r\) at character 5 of 13: .* cannot send/, /accessKey to the access key id/],
      ['region with a tab inside', { region: 'us-east\t1' }, /contains whitespace: .* scoped to a region that does not exist/, /^set configuration\.storage\.providerConfig\.s3\.region to the buckets' region, without whitespace/],
      ['region + newline', { region: `${m.region}\n` }, /the region "us-east-1\\n" .* ends with a newline: .* cannot send/, /^set configuration\.storage\.providerConfig\.s3\.region: us-east-1, with nothing around it/],
      ['region + space', { region: `${m.region} ` }, /ends with a space: .* scoped to a region that does not exist/, /region: us-east-1/],
    ];
    for (const [name, over, msg, hint] of cases) {
      const { result, results } = await runCheck('storage.s3.bucket', s3Target(undefined, over));
      const c = results.find((r) => r.id === 'storage.config.coherent')!;
      expect(c, name).toMatchObject({ status: 'fail', messageId: 'unsendableValue' });
      expect(c.message, name).toMatch(msg);
      expect(c.hint, name).toMatch(hint);
      expect(c.message + c.hint, 'the key id is never printed').not.toContain(m.root.accessKey.slice(4));
      expect(result.status, name).toBe('skip');
    }
    // a tab is a legal header character (Go's httpguts allows it): the store decides about that key
    expect((await runCheck('storage.config.coherent', s3Target(undefined, { accessKey: `${m.root.accessKey.slice(0, 4)}\t${m.root.accessKey.slice(4)}` }))).result.status).toBe('pass');
    // a key with a trailing space is sendable: the store's InvalidAccessKeyId decides (storage.s3.bucket names the space)
    const sp = await runCheck('storage.s3.bucket', s3Target(undefined, { accessKey: `${m.root.accessKey} ` }));
    expect(sp.results.find((r) => r.id === 'storage.config.coherent')!.status).toBe('pass');
    expect(sp.result).toMatchObject({ status: 'fail', messageId: 'unknownAccessKey' });
    expect(sp.result.message).toContain('the access key id ends with a space');
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
