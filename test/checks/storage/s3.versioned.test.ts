// Versioned and object-locked buckets on the real MinIO (buckets of our own, fd-st-*). There a plain
// DeleteObject only puts a delete marker in front of the probe's bytes: the run used to report
// "residue: none" while every probe object stayed in the bucket as an older version. The cleanup
// now deletes exactly the versions this run created (and the markers of its own deletes), and where
// retention forbids that (object lock), the leftover versions are reported with the command.
import { ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSelection } from '../../harness/run-check.js';
import { getTestbed } from '../../harness/testbed.js';
import { mc, minioBucket } from './mc.js';
import { s3Target } from './store-target.js';

async function versionsUnder(bucket: string, prefix: string): Promise<string[]> {
  const m = getTestbed().minio;
  const c = new S3Client({ region: m.region, endpoint: m.endpoint, forcePathStyle: true, credentials: { accessKeyId: m.root.accessKey, secretAccessKey: m.root.secretKey } });
  try {
    const r = await c.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix }));
    return [...(r.Versions ?? []).map((v) => `${v.Key} ${v.VersionId}`), ...(r.DeleteMarkers ?? []).map((v) => `${v.Key} ${v.VersionId} marker`)].sort();
  } finally { c.destroy(); }
}

describe('probe objects in versioned buckets', () => {
  let plain: ReturnType<typeof minioBucket>, locked: ReturnType<typeof minioBucket>;
  beforeAll(() => {
    plain = minioBucket('versioned');
    mc(['version', 'enable', `t/${plain.bucket}`]);
    locked = minioBucket('locked', { withLock: true });
    mc(['retention', 'set', '--default', 'GOVERNANCE', '1d', `t/${locked.bucket}`]);
  });
  afterAll(() => {
    plain.remove();
    try { mc(['rm', '--recursive', '--versions', '--force', '--bypass', `t/${locked.bucket}`]); } catch { /* nothing left */ }
    locked.remove();
  });

  it('a versioned bucket: every check passes and no version or delete marker of the run remains', async () => {
    const run = await runSelection(s3Target(undefined, { metadataBucket: plain.bucket, userDataBucket: plain.bucket }), 'preflight', ['storage.s3']);
    const bad = run.results.filter((r) => r.status !== 'pass' && r.status !== 'skip');
    expect(bad.map((r) => `${r.id}[${r.instance}] ${r.status} ${r.message}`)).toEqual([]);
    expect(run.results.find((r) => r.id === 'storage.s3.delete')!.messageId).toBe('deleted');
    expect(run.cleanupFailures).toEqual([]);
    expect(await versionsUnder(plain.bucket, `flyte-doctor/${run.runId}/`)).toEqual([]);
  });

  it('object lock with default GOVERNANCE retention: the probe versions cannot be deleted, and the run says which remain and how to delete them', async () => {
    const run = await runSelection(s3Target(undefined, { metadataBucket: locked.bucket, userDataBucket: locked.bucket }), 'preflight', ['storage.s3']);
    const left = await versionsUnder(locked.bucket, `flyte-doctor/${run.runId}/`);
    expect(left.length).toBeGreaterThan(0); // retention keeps them: the report must not say "none"
    const text = JSON.stringify(run.cleanupFailures);
    expect(text).toContain('versionId=');
    expect(text).toContain('--bypass-governance-retention');
    for (const v of left.filter((x) => !x.endsWith('marker'))) expect(text).toContain(v.split(' ')[1]);
  });
});
