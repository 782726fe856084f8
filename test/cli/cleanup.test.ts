// `flyte-doctor cleanup` through the CLI (argument parsing, the values file, redaction) against the
// test bed's MinIO: a probe prefix a killed run left is listed (exit 1), deleted only with --yes
// (exit 0), and nothing else is touched. The cleanup logic itself: test/cleanup.test.ts.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTestbed } from '../harness/testbed.js';
import { runCli } from './helpers.js';

const m = () => getTestbed().minio;
const s3 = () => new S3Client({ region: m().region, endpoint: m().endpoint, forcePathStyle: true, credentials: { accessKeyId: m().root.accessKey, secretAccessKey: m().root.secretKey } });
const runId = `20200102T030405-${randomBytes(3).toString('hex')}`;
const key = `flyte-doctor/${runId}/probe.txt`;
const other = `not-flyte-doctor/${runId}/keep.txt`;
const exists = async (k: string) => { const c = s3(); try { await c.send(new HeadObjectCommand({ Bucket: m().buckets.metadata, Key: k })); return true; } catch { return false; } finally { c.destroy(); } };

describe('flyte-doctor cleanup (CLI)', () => {
  const args = () => ['cleanup', '-f', join(getTestbed().dir, 'values.yaml'), '--older-than', '24h'];
  beforeAll(async () => {
    const c = s3();
    try { for (const k of [key, other]) await c.send(new PutObjectCommand({ Bucket: m().buckets.metadata, Key: k, Body: 'left by a killed run' })); } finally { c.destroy(); }
  });
  afterAll(async () => {
    const c = s3();
    try { for (const k of [key, other]) await c.send(new DeleteObjectCommand({ Bucket: m().buckets.metadata, Key: k })).catch(() => {}); } finally { c.destroy(); }
  });

  it('lists a stale probe prefix without deleting it (exit 1), in JSON too', async () => {
    const r = await runCli([...args(), '-o', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout) as { delete: boolean; buckets: { bucket: string; prefixes: { prefix: string; action: string }[] }[] };
    expect(doc.delete).toBe(false);
    const p = doc.buckets.find((b) => b.bucket === m().buckets.metadata)!.prefixes.find((x) => x.prefix === `flyte-doctor/${runId}/`);
    expect(p?.action).toBe('listed');
    expect(await exists(key)).toBe(true);
    expect(r.stdout).not.toContain(m().root.secretKey);
  });

  it('deletes it with --yes (exit 0) and leaves everything outside flyte-doctor/ alone', async () => {
    const r = await runCli([...args(), '--yes']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(runId);
    expect(await exists(key)).toBe(false);
    expect(await exists(other)).toBe(true);
  });

  it('bad input is exit 2 with one line', async () => {
    const r = await runCli(['cleanup', '-f', join(getTestbed().dir, 'values.yaml'), '--older-than', 'soon']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('--older-than');
  });
});
