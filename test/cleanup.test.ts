// `flyte-doctor cleanup` against the real MinIO and fake-gcs-server, with probe prefixes planted the
// way a killed run leaves them: old ones are listed (and deleted only with --yes), recent ones and
// names that are not run ids are left alone, nothing else in the bucket is touched.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupCommand, findAndCleanup, runStartOf, type CleanupReport } from '../src/cleanup.js';
import { newRunId } from '../src/engine/run.js';
import { getTestbed } from './harness/testbed.js';
import { gcsKeys, gcsTarget, s3Keys, s3Target } from './checks/storage/store-target.js';

const HOUR = 3_600_000;
const hex = () => randomBytes(3).toString('hex');

function rootS3(): S3Client {
  const m = getTestbed().minio;
  return new S3Client({ region: m.region, endpoint: m.endpoint, forcePathStyle: true, credentials: { accessKeyId: m.root.accessKey, secretAccessKey: m.root.secretKey } });
}

async function plantS3(bucket: string, keys: string[]): Promise<void> {
  const c = rootS3();
  try { for (const k of keys) await c.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: 'planted by test/cleanup.test.ts' })); } finally { c.destroy(); }
}
async function removeS3(bucket: string, keys: string[]): Promise<void> {
  const c = rootS3();
  try { for (const k of keys) await c.send(new DeleteObjectCommand({ Bucket: bucket, Key: k })).catch(() => {}); } finally { c.destroy(); }
}
const g = () => getTestbed().gcs;
async function plantGcs(bucket: string, keys: string[]): Promise<void> {
  for (const k of keys) {
    const r = await fetch(`${g().endpoint}/upload/storage/v1/b/${bucket}/o?uploadType=media&name=${encodeURIComponent(k)}`, { method: 'POST', body: 'planted', headers: { 'content-type': 'text/plain' } });
    if (!r.ok) throw new Error(`plant ${k}: ${r.status}`);
  }
}
async function removeGcs(bucket: string, keys: string[]): Promise<void> {
  for (const k of keys) await fetch(`${g().endpoint}/storage/v1/b/${bucket}/o/${encodeURIComponent(k)}`, { method: 'DELETE' }).catch(() => {});
}

function capture(): { io: { stdout: Writable; stderr: Writable }; out: () => string } {
  let out = '';
  const w = new Writable({ write(c, _e, cb) { out += c.toString(); cb(); } });
  return { io: { stdout: w, stderr: new Writable({ write(_c, _e, cb) { cb(); } }) }, out: () => out };
}

const entry = (r: CleanupReport, bucket: string, prefix: string) => r.buckets.find((b) => b.bucket === bucket)?.prefixes.find((p) => p.prefix === prefix);

describe('runStartOf', () => {
  it('reads the UTC start time from a run id and refuses anything else', () => {
    expect(runStartOf('20261127T112035-a1b2c3')).toBe(Date.UTC(2026, 10, 27, 11, 20, 35));
    const id = newRunId();
    expect(Math.abs(runStartOf(id)! - Date.now())).toBeLessThan(5000);
    for (const bad of ['abort-123', '20261127T112035', '20261127T112035-XYZ123', '../20261127T112035-a1b2c3', '']) expect(runStartOf(bad)).toBeUndefined();
  });
});

describe('cleanup on S3 (MinIO)', () => {
  const m = () => getTestbed().minio;
  const oldId = `20200101T000000-${hex()}`;
  const recentId = newRunId();
  const planted = () => [`flyte-doctor/${oldId}/probe.txt`, `flyte-doctor/${oldId}/delete-probe.txt`, `flyte-doctor/${recentId}/probe.txt`, `flyte-doctor/fd-st-not-a-run-${oldId.slice(-6)}/keep.txt`];
  afterEach(async () => { for (const b of [m().buckets.metadata, m().buckets.userdata]) await removeS3(b, planted()); });

  it('lists old probe prefixes without deleting; recent ones and non-run names are left alone; exit 1', async () => {
    for (const b of [m().buckets.metadata, m().buckets.userdata]) await plantS3(b, planted());
    const c = capture();
    const code = await cleanupCommand({ target: s3Target(), olderThanMs: HOUR, yes: false, output: 'pretty' }, c.io);
    expect(code).toBe(1);
    const text = c.out();
    expect(text).toContain(`flyte-doctor/${oldId}/  2 object(s)`);
    expect(text).toContain('would be deleted (aws s3 rm --recursive s3://flyte-metadata/flyte-doctor/');
    expect(text).toContain('--endpoint-url http://127.0.0.1:19000');
    expect(text).toContain('Run again with --yes');
    expect(text).toMatch(new RegExp(`flyte-doctor/${recentId}/ .*younger than 1h`));
    expect(text).toContain('not a flyte-doctor run id: left alone');
    expect(await s3Keys(m().buckets.metadata, `flyte-doctor/${oldId}/`)).toHaveLength(2);
  });

  it('--yes deletes exactly the old prefixes, in every configured bucket; everything else stays', async () => {
    for (const b of [m().buckets.metadata, m().buckets.userdata]) await plantS3(b, planted());
    const r = await findAndCleanup({ target: s3Target(), olderThanMs: HOUR, yes: true, output: 'json' });
    for (const b of [m().buckets.metadata, m().buckets.userdata]) {
      expect(entry(r, b, `flyte-doctor/${oldId}/`)).toMatchObject({ action: 'deleted', objects: 2, runId: oldId, startedAt: '2020-01-01T00:00:00.000Z' });
      expect(entry(r, b, `flyte-doctor/${recentId}/`)?.action).toBe('too-recent');
      const keys = await s3Keys(b);
      expect(keys.filter((k) => k.startsWith(`flyte-doctor/${oldId}/`))).toEqual([]);
      expect(keys).toContain(`flyte-doctor/${recentId}/probe.txt`);
      expect(keys).toContain(`flyte-doctor/fd-st-not-a-run-${oldId.slice(-6)}/keep.txt`);
      for (const k of m().preexistingKeys) expect(keys).toContain(k);
    }
    expect(r.exitCode).toBe(0);
  });

  it('a store that cannot be reached is reported per bucket, exit 3, within the timeout', async () => {
    const t0 = Date.now();
    const c = capture();
    const code = await cleanupCommand({ target: s3Target(undefined, { endpoint: `http://${getTestbed().stall.host}:${getTestbed().stall.port}` }), olderThanMs: HOUR, yes: true, output: 'json', timeoutMs: 1000 }, c.io);
    expect(code).toBe(3);
    expect(Date.now() - t0).toBeLessThan(4000);
    const r = JSON.parse(c.out()) as CleanupReport;
    expect(r.buckets.map((b) => b.error)).toEqual([expect.stringContaining('could not list s3://flyte-metadata/flyte-doctor/'), expect.stringContaining('could not list s3://flyte-userdata/flyte-doctor/')]);
  });

  it('credentials that are rejected say so, and no secret is printed', async () => {
    const c = capture();
    const t = s3Target({ accessKey: m().root.accessKey, secretKey: 'fd-st-wrong-secret-value' });
    const code = await cleanupCommand({ target: t, olderThanMs: HOUR, yes: false, output: 'pretty' }, c.io);
    expect(code).toBe(3);
    expect(c.out()).toContain('SignatureDoesNotMatch');
    expect(c.out()).not.toContain('fd-st-wrong-secret-value');
  });
});

describe('cleanup on GCS (fake-gcs-server)', () => {
  const oldId = `20200101T000000-${hex()}`;
  const recentId = newRunId();
  const planted = () => [`flyte-doctor/${oldId}/probe.txt`, `flyte-doctor/${recentId}/probe.txt`];
  afterEach(async () => { for (const b of [g().buckets.metadata, g().buckets.userdata]) await removeGcs(b, planted()); });

  it('lists, then deletes with --yes, only the old prefix', async () => {
    for (const b of [g().buckets.metadata, g().buckets.userdata]) await plantGcs(b, planted());
    const listed = await findAndCleanup({ target: gcsTarget(), olderThanMs: HOUR, yes: false, output: 'json' });
    expect(entry(listed, g().buckets.metadata, `flyte-doctor/${oldId}/`)).toMatchObject({ action: 'listed', objects: 1 });
    expect(listed.exitCode).toBe(1);
    const done = await findAndCleanup({ target: gcsTarget(), olderThanMs: HOUR, yes: true, output: 'json' });
    expect(entry(done, g().buckets.userdata, `flyte-doctor/${oldId}/`)?.action).toBe('deleted');
    expect(entry(done, g().buckets.userdata, `flyte-doctor/${oldId}/`)?.deleteCommand).toBe(`gcloud storage rm --recursive gs://${g().buckets.userdata}/flyte-doctor/${oldId}/`);
    for (const b of [g().buckets.metadata, g().buckets.userdata]) {
      const keys = await gcsKeys(b);
      expect(keys.filter((k) => k.includes(oldId))).toEqual([]);
      expect(keys).toContain(`flyte-doctor/${recentId}/probe.txt`);
      for (const k of g().preexistingKeys) expect(keys).toContain(k);
    }
  });
});
