// The test bed's object stores: MinIO users each lack exactly one permission (and nothing else),
// the `none` user has no rights, pre-existing objects are there; fake-gcs serves the same buckets
// through @google-cloud/storage's apiEndpoint.
import { randomUUID } from 'node:crypto';
import {
  DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException,
} from '@aws-sdk/client-s3';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTestbed, type S3Cred, type Testbed } from '../harness/testbed.js';

let m: Testbed['minio'];
let g: Testbed['gcs'];
const run = randomUUID().slice(0, 8);
const s3 = (c: S3Cred) => new S3Client({
  endpoint: m.endpoint, region: m.region, forcePathStyle: true,
  credentials: { accessKeyId: c.accessKey, secretAccessKey: c.secretKey }, maxAttempts: 1,
});

beforeAll(() => {
  const tb = getTestbed();
  m = tb.minio;
  g = tb.gcs;
});

type Op = 'put' | 'get' | 'list' | 'delete';
/** Runs one operation; returns 'ok' or the S3 error name. */
async function attempt(c: S3Client, bucket: string, op: Op, key: string): Promise<string> {
  try {
    if (op === 'put') await c.send(new PutObjectCommand({ Bucket: bucket, Key: `${key}-put`, Body: 'x' }));
    if (op === 'get') await (await c.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body?.transformToString();
    if (op === 'list') await c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'testbed-tests/' }));
    if (op === 'delete') await c.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    return 'ok';
  } catch (e) {
    return e instanceof S3ServiceException ? e.name : String(e);
  }
}

describe('minio', () => {
  afterAll(async () => {
    // remove what the tests wrote (never the pre-existing objects)
    const root = s3(m.root);
    for (const b of Object.values(m.buckets)) {
      const l = await root.send(new ListObjectsV2Command({ Bucket: b, Prefix: `testbed-tests/${run}` }));
      for (const o of l.Contents ?? []) await root.send(new DeleteObjectCommand({ Bucket: b, Key: o.Key! }));
    }
  });

  it('both buckets hold the pre-existing objects', async () => {
    const root = s3(m.root);
    for (const b of Object.values(m.buckets)) {
      const l = await root.send(new ListObjectsV2Command({ Bucket: b }));
      const keys = (l.Contents ?? []).map((o) => o.Key);
      for (const k of m.preexistingKeys) expect(keys).toContain(k);
    }
  });

  const cases: [keyof Testbed['minio']['users'], Op | 'all'][] = [
    ['noPut', 'put'], ['noGet', 'get'], ['noList', 'list'], ['noDelete', 'delete'], ['none', 'all'],
  ];
  for (const [user, lacking] of cases) {
    it(`${user}: ${lacking === 'all' ? 'every operation' : `only ${lacking}`} gets AccessDenied, in both buckets`, async () => {
      const root = s3(m.root);
      const c = s3(m.users[user]);
      for (const b of Object.values(m.buckets)) {
        const key = `testbed-tests/${run}/${user}`;
        const result: Record<Op, string> = { put: '', get: '', list: '', delete: '' };
        for (const op of ['put', 'get', 'list', 'delete'] as Op[]) {
          await root.send(new PutObjectCommand({ Bucket: b, Key: key, Body: 'probe' }));
          result[op] = await attempt(c, b, op, key);
        }
        const expected = Object.fromEntries((['put', 'get', 'list', 'delete'] as Op[]).map((op) =>
          [op, lacking === 'all' || lacking === op ? 'AccessDenied' : 'ok'])) as Record<Op, string>;
        expect(result).toEqual(expected);
      }
    });
  }

  it('the noDelete user really cannot delete: the object is still there afterwards', async () => {
    const root = s3(m.root);
    const b = m.buckets.userdata, key = `testbed-tests/${run}/nodelete-survives`;
    await root.send(new PutObjectCommand({ Bucket: b, Key: key, Body: 'still here' }));
    expect(await attempt(s3(m.users.noDelete), b, 'delete', key)).toBe('AccessDenied');
    const body = await (await root.send(new GetObjectCommand({ Bucket: b, Key: key }))).Body!.transformToString();
    expect(body).toBe('still here');
  });

  it('the missing bucket is NoSuchBucket for root, and a wrong secret is SignatureDoesNotMatch', async () => {
    const root = s3(m.root);
    await expect(root.send(new ListObjectsV2Command({ Bucket: m.missingBucket }))).rejects.toMatchObject({ name: 'NoSuchBucket' });
    await expect(root.send(new HeadBucketCommand({ Bucket: m.missingBucket }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    const bad = s3({ accessKey: m.root.accessKey, secretKey: 'wrong-secret-value' });
    await expect(bad.send(new ListObjectsV2Command({ Bucket: m.buckets.metadata }))).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
  });
});

describe('fake-gcs-server', () => {
  const storage = () => new Storage({ apiEndpoint: g.endpoint, projectId: g.projectId });

  it('lists both buckets and their pre-existing objects through apiEndpoint', async () => {
    const [buckets] = await storage().getBuckets();
    const names = buckets.map((b) => b.name);
    expect(names).toEqual(expect.arrayContaining(Object.values(g.buckets)));
    for (const b of Object.values(g.buckets)) {
      const [files] = await storage().bucket(b).getFiles();
      expect(files.map((f) => f.name)).toEqual(expect.arrayContaining(g.preexistingKeys));
    }
  });

  it('writes, reads and deletes an object; the missing bucket does not exist', async () => {
    const f = storage().bucket(g.buckets.userdata).file(`testbed-tests/${run}/probe.txt`);
    await f.save('hello', { resumable: false });
    expect((await f.download())[0].toString()).toBe('hello');
    await f.delete();
    expect((await f.exists())[0]).toBe(false);
    expect((await storage().bucket(g.missingBucket).exists())[0]).toBe(false);
  });
});
