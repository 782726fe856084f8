import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTarget } from '../../../src/config/load.js';
import { Secret } from '../../../src/config/secret.js';
import { makeTarget } from '../../harness/target.js';
import { runCheck } from '../../harness/run-check.js';
import { gcsTarget, s3Target } from './store-target.js';
import { getTestbed } from '../../harness/testbed.js';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { bucketNameProblem } from '../../../src/config/bucket-names.js';

describe('storage.config.coherent', () => {
  it('the test bed MinIO and GCS configs are coherent', async () => {
    expect((await runCheck('storage.config.coherent', s3Target())).result.status).toBe('pass');
    expect((await runCheck('storage.config.coherent', gcsTarget())).result.status).toBe('pass');
  });

  // A bucket written as a URL or with a path (s3://b, b/prefix) or in capitals: the AWS SDK refused
  // some before sending ('check could not run: Bucket name shouldn't contain /'), the store the rest.
  it('a bucket name the store refuses is named before any request, with the bucket meant; that bucket is the real one', async () => {
    const m = getTestbed().minio;
    const url = await runCheck('storage.s3.bucket', s3Target(undefined, { metadataBucket: `s3://${m.buckets.metadata}` }), { instance: 'metadata' });
    const c = url.results.find((r) => r.id === 'storage.config.coherent')!;
    expect(c).toMatchObject({ status: 'fail', messageId: 'invalidBucketName', cause: 'config:configuration.storage.metadataContainer' });
    expect(c.message).toContain(`the metadata bucket "s3://${m.buckets.metadata}" (configuration.storage.metadataContainer) is a URL (s3://); the key takes the bucket name alone`);
    expect(c.hint).toBe(`set configuration.storage.metadataContainer: ${m.buckets.metadata}`);
    expect(url.result.status).toBe('skip'); // blocked along storage.s3.endpoint
    // the value meant passes against MinIO
    expect((await runCheck('storage.s3.bucket', s3Target(undefined, { metadataBucket: bucketNameProblem('s3', `s3://${m.buckets.metadata}`)!.meant! }), { instance: 'metadata' })).result.status).toBe('pass');
    const path = (await runCheck('storage.config.coherent', s3Target(undefined, { userDataBucket: `${m.buckets.userdata}/raw` }))).result;
    expect(path).toMatchObject({ status: 'fail', messageId: 'invalidBucketName' });
    expect(path.message).toContain("has a '/': the key takes the bucket name alone, without a path or prefix");
    expect(path.hint).toContain(`set configuration.storage.userDataContainer: ${m.buckets.userdata}`);
    const caps = (await runCheck('storage.config.coherent', s3Target(undefined, { metadataBucket: 'Flyte_Metadata' }))).result;
    expect(caps.message).toContain('contains an uppercase letter ("F")');
    expect(caps.hint).toBe("set configuration.storage.metadataContainer to the bucket's name as the store lists it (3 to 63 lowercase letters, digits, '.' and '-')");
    // a placeholder is values.inputs.placeholders' finding, not a bucket name to judge
    expect((await runCheck('storage.config.coherent', s3Target(undefined, { metadataBucket: '<METADATA_BUCKET>' }))).result.messageId).not.toBe('invalidBucketName');
    const g = getTestbed().gcs;
    const gs = (await runCheck('storage.config.coherent', gcsTarget({ metadataBucket: `gs://${g.buckets.metadata}/` }))).result;
    expect(gs).toMatchObject({ status: 'fail', messageId: 'invalidBucketName' });
    expect(gs.message).toContain('is a URL (gs://)');
  });

  // ("Region not accepted" from the AWS SDK: storage.s3.bucket was an 'exception' error)
  it('a region written as a URL, with a port or a path is named with the region inside it; that region works against MinIO', async () => {
    const m = getTestbed().minio;
    for (const region of [`https://${m.region}`, `${m.region}:443`, `${m.region}/`]) {
      const run = await runCheck('storage.s3.bucket', s3Target(undefined, { region }), { instance: 'metadata' });
      const c = run.results.find((r) => r.id === 'storage.config.coherent')!;
      expect(c, region).toMatchObject({ status: 'fail', messageId: 'invalidRegion', cause: 'config:configuration.storage.providerConfig.s3.region' });
      expect(c.message, region).toContain(`the region ${JSON.stringify(region)} (configuration.storage.providerConfig.s3.region) is not a region name`);
      expect(c.hint, region).toMatch(new RegExp(`^set configuration\\.storage\\.providerConfig\\.s3\\.region: ${m.region} \\(the endpoint has its own key`));
      expect(run.result.status, region).toBe('skip');
    }
    expect((await runCheck('storage.s3.bucket', s3Target(undefined, { region: m.region }), { instance: 'metadata' })).result.status).toBe('pass');
  });

  it('userDataContainer: "" (it replaces the chart default) is named: the chart renders s3:///data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fd-ud-'));
    const f = join(dir, 'values.yaml');
    writeFileSync(f, 'configuration:\n  storage:\n    metadataContainer: flyte-metadata\n    userDataContainer: ""\n    providerConfig:\n      s3:\n        region: us-east-1\n');
    const t = loadTarget({ values: [f], set: [], env: {}, cwd: dir, home: join(dir, 'home') });
    expect(t.storage?.userDataBucket).toBe('');
    const r = (await runCheck('storage.config.coherent', t)).result;
    expect(r).toMatchObject({ status: 'fail', messageId: 'invalidBucketName', cause: 'config:configuration.storage.userDataContainer' });
    expect(r.message).toContain('configuration.storage.userDataContainer is set to "" (an empty string replaces the chart\'s default; only null removes a key): the chart renders the raw data prefix s3:///data');
    expect(r.hint).toBe('set configuration.storage.userDataContainer to the raw data bucket (the metadata bucket, flyte-metadata, serves too); removing the key gives the chart\'s example name, not a bucket of yours');
  });

  it('the S3 name rules agree with MinIO: HeadBucket is refused (400) exactly for the names they refuse, 404 for a valid name not there', async () => {
    const m = getTestbed().minio;
    const client = new S3Client({ endpoint: m.endpoint, region: m.region, forcePathStyle: true, credentials: { accessKeyId: m.root.accessKey, secretAccessKey: m.root.secretKey } });
    const corpus = ['fd-absent-bucket', 'fd.absent.bucket', 'fd-a1', 'abc', `fd${'a'.repeat(61)}`, 'ab', `fd${'a'.repeat(62)}`, 'Fd-absent', 'fd_absent', 'fd..absent', '-fdabsent', 'fdabsent-', '192.168.1.1', 'fd absent'];
    const disagreements: string[] = [];
    try {
      for (const name of corpus) {
        let status = 0;
        try { await client.send(new HeadBucketCommand({ Bucket: name })); status = 200; } catch (e) { status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? -1; }
        expect([400, 404], `${name}: ${status}`).toContain(status);
        const refused = status === 400;
        if (refused !== Boolean(bucketNameProblem('s3', name))) disagreements.push(`${JSON.stringify(name)}: MinIO ${status}, rules ${bucketNameProblem('s3', name)?.why ?? 'accept'}`);
      }
    } finally { client.destroy(); }
    expect(disagreements).toEqual([]);
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
    const az = { provider: 'azure' as const, rawType: 'azure', metadataBucket: 'flyte', authType: 'iam' as const, signedUrlKey: 'x', valuesKey: 'configuration.storage' };
    const t = makeTarget({ storage: { ...az, account: 'acct', azureAuth: 'token', rawOutputPrefix: 'abfs://flyte/raw' } });
    const { result, results } = await runCheck('storage.s3.put', t).catch(async () => runCheck('storage.config.coherent', t));
    const coherent = results.find((r) => r.id === 'storage.config.coherent')!;
    expect(coherent).toMatchObject({ status: 'pass', messageId: 'coherent' });
    expect(coherent.message).toContain('Azure Blob account acct');
    expect(coherent.message).toContain('abfs://flyte');
    expect(result).toMatchObject({ status: 'skip' });
    expect(result.message).toContain('storage provider is azure, not S3');
    // no account; an s3:// prefix on Azure
    const bad = (await runCheck('storage.config.coherent', makeTarget({ storage: { ...az, rawOutputPrefix: 's3://flyte/raw' } }))).result;
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
