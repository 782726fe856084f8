// A store that refuses writes for lack of room is its own finding (storeFull): not "unrecognised",
// not a permission, and not "retry". The bucket quota is the real MinIO's (a bucket of our own with
// a 1-byte hard quota answers XMinioAdminBucketQuotaExceeded); a full drive cannot be produced on
// the shared MinIO without filling its disk for everyone, so XMinioStorageFull (HTTP 507, MinIO's
// exact code and text) and Ceph RGW's QuotaExceeded come from a private S3-shaped server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck, runSelection } from '../../harness/run-check.js';
import { s3Error, startFakeS3, type Reply, type S3OpName } from './fake-stores.js';
import { mc, minioBucket } from './mc.js';
import { s3Keys, s3Target } from './store-target.js';

describe('storeFull on the real MinIO: a bucket quota', () => {
  let b: ReturnType<typeof minioBucket>;
  beforeAll(() => { b = minioBucket('quota'); });
  afterAll(() => b.remove());

  it('a bucket whose hard quota is used up: storeFull naming mc quota, and the same bucket without the quota passes', async () => {
    mc(['quota', 'set', `t/${b.bucket}`, '--size', '1B']);
    const t = s3Target(undefined, { metadataBucket: b.bucket, userDataBucket: b.bucket });
    const { result } = await runCheck('storage.s3.put', t, { instance: 'metadata' });
    expect(result.status, result.message).toBe('fail');
    expect(result.messageId).toBe('storeFull');
    expect(result.message).toContain('XMinioAdminBucketQuotaExceeded');
    expect(result.hint).toContain(`mc quota clear <alias>/${b.bucket}`);
    expect(result.hint).not.toMatch(/^retry/);
    expect(result.cause).toContain(`quota ${b.bucket}`);
    mc(['quota', 'clear', `t/${b.bucket}`]);
    const run = await runSelection(t, 'preflight', ['storage.s3']);
    const bad = run.results.filter((r) => r.status !== 'pass' && r.status !== 'skip');
    expect(bad.map((r) => `${r.id}[${r.instance}] ${r.status} ${r.message}`)).toEqual([]);
    expect(run.results.find((r) => r.id === 'storage.s3.put')!.messageId).toBe('written');
    expect(await s3Keys(b.bucket, 'flyte-doctor/')).toEqual([]);
  });
});

describe('storeFull from codes MinIO cannot be made to answer here (private S3-shaped server)', () => {
  let answer: (op: S3OpName) => Reply | undefined = () => undefined;
  let srv: Awaited<ReturnType<typeof startFakeS3>>;
  beforeAll(async () => { srv = await startFakeS3((op) => answer(op)); });
  afterAll(async () => { await srv.stop(); });
  const KEY = { accessKey: 'FAKESTORE0KEY1234567', secretKey: 'fake-store-secret-key-1' };
  const target = () => s3Target(KEY, { endpoint: `http://127.0.0.1:${srv.port}`, region: 'us-east-1' });

  const cases: [string, Reply, RegExp][] = [
    ['MinIO XMinioStorageFull (507)', s3Error(507, 'XMinioStorageFull', 'Storage backend has reached its minimum free drive threshold. Please delete a few objects to proceed.'), /free space on the store's drives/],
    ['Ceph RGW QuotaExceeded (403)', s3Error(403, 'QuotaExceeded'), /radosgw-admin quota set/],
    ['a 507 without a code', { status: 507, headers: { 'x-amz-request-id': 'R' } }, /free space/],
  ];
  for (const [name, reply, hint] of cases) {
    it(`${name} -> storeFull, not retry and not a permission`, async () => {
      answer = (op) => (op === 'put' ? reply : undefined);
      const { result } = await runCheck('storage.s3.put', target(), { instance: 'metadata' });
      expect(result.status, result.message).toBe('fail');
      expect(result.messageId).toBe('storeFull');
      expect(result.hint).toMatch(hint);
      expect(result.hint).not.toMatch(/^retry/);
    });
  }

  it('the same server answering the write normally passes', async () => {
    answer = () => undefined;
    const { result } = await runCheck('storage.s3.put', target(), { instance: 'metadata' });
    expect(result.messageId).toBe('written');
  });
});
