import { afterEach, describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck, runSelection } from '../../harness/run-check.js';
import { assertS3Clean, s3Target } from './store-target.js';

describe('storage.s3.bucket', () => {
  afterEach(assertS3Clean);

  it('both buckets exist in the configured region', async () => {
    const run = await runSelection(s3Target(), 'preflight', ['storage.s3.bucket']);
    expect(run.results.filter((r) => r.id === 'storage.s3.bucket').map((r) => [r.instance, r.status])).toEqual([['metadata', 'pass'], ['userdata', 'pass']]);
  });

  it('a missing bucket is NoSuchBucket with the create command and the values key', async () => {
    const m = getTestbed().minio;
    const { result } = await runCheck('storage.s3.bucket', s3Target(undefined, { metadataBucket: m.missingBucket }), { instance: 'metadata' });
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('noSuchBucket');
    expect(result.hint).toContain(`aws s3 mb s3://${m.missingBucket}`);
    expect(result.hint).toContain('configuration.storage.metadataContainer');
  });

  it('a typo in the bucket name: the close bucket the same credentials list is named, and offered as the fix', async () => {
    const m = getTestbed().minio;
    const typo = m.buckets.metadata.slice(0, -1); // flyte-metadat
    const { result } = await runCheck('storage.s3.bucket', s3Target(undefined, { metadataBucket: typo }), { instance: 'metadata' });
    expect(result).toMatchObject({ status: 'fail', messageId: 'noSuchBucket' });
    expect(result.message).toContain(`buckets the same credentials see with a close name: ${m.buckets.metadata}`);
    expect(result.hint).toMatch(new RegExp(`^set configuration\\.storage\\.metadataContainer: ${m.buckets.metadata}`));
    expect(result.details!['closeBuckets']).toEqual([m.buckets.metadata]);
    // a name close to nothing: no suggestion, the create command stays the fix
    const far = (await runCheck('storage.s3.bucket', s3Target(undefined, { metadataBucket: m.missingBucket }), { instance: 'metadata' })).result;
    expect(far.message).not.toContain('close name');
  });

  // aws-sdk-go (Flyte) and the probe keep an endpoint's path before the bucket (path-style): MinIO then
  // reads the path as the bucket. A path naming no bucket meets NoSuchBucket, one naming a bucket
  // NoSuchKey; either way one root (the endpoint key) for both buckets, and the fix drops the path.
  for (const [path, code] of [['/flyte', 'NoSuchBucket'], ['/BUCKET', 'NoSuchKey']] as const) {
    it(`an endpoint with a path (${code}): the path is named as the cause, not a missing bucket`, async () => {
      const m = getTestbed().minio;
      const endpoint = `${m.endpoint}${path === '/BUCKET' ? `/${m.buckets.userdata}` : path}`;
      const run = await runSelection(s3Target(undefined, { endpoint }), 'preflight', ['storage.s3.bucket']);
      const b = run.results.filter((r) => r.id === 'storage.s3.bucket');
      expect(b.map((r) => [r.instance, r.status, r.messageId])).toEqual([['metadata', 'fail', 'endpointHasPath'], ['userdata', 'fail', 'endpointHasPath']]);
      expect(b.filter((r) => r.rootCause).length, 'one root for both buckets').toBe(1);
      expect(b[0]!.message).toContain(code === 'NoSuchBucket' ? 'NoSuchBucket for bucket flyte, not' : `NoSuchKey: it read ${m.buckets.userdata} as the bucket`);
      expect(b[0]!.hint).toMatch(new RegExp(`^set configuration\\.storage\\.providerConfig\\.s3\\.endpoint: "?${m.endpoint.replace(/[.]/g, '\\.')}"?:`));
      expect(b[0]!.hint).not.toContain('aws s3 mb');
    });
  }

  it('a region other than the server\'s is a region mismatch naming the region key', async () => {
    const { result } = await runCheck('storage.s3.bucket', s3Target(undefined, { region: 'eu-west-3' }), { instance: 'metadata' });
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('wrongRegion');
    expect(result.hint).toContain('configuration.storage.providerConfig.s3.region');
  });

  it('a user with no rights is AccessDenied, and nothing is written', async () => {
    const run = await runSelection(s3Target(getTestbed().minio.users.none), 'preflight', ['storage.s3']);
    const b = run.results.find((r) => r.id === 'storage.s3.bucket' && r.instance === 'metadata')!;
    expect(b.status).toBe('fail');
    expect(b.messageId).toBe('permissionDenied');
    expect(b.message).toContain('s3:ListBucket');
    expect(b.message).toContain('arn:aws:s3:::flyte-metadata');
    expect(b.cause).toBe('denied:s3:***:s3:ListBucket');
    expect(run.results.find((r) => r.id === 'storage.s3.put')?.status).toBe('skip');
  });
});
