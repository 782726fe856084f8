// A policy that denies s3:PutObject unless the request carries x-amz-server-side-encryption (the
// well-known "DenyUnEncryptedObjectUploads" statement) refuses Flyte's plain write with the same
// bare "Access Denied." as a missing grant on MinIO (and Ceph, and cross-account AWS). The fix for
// one is the wrong fix for the other: the put check writes once more with the header to tell them
// apart. Real MinIO: a user of our own whose policy allows s3:* with that conditional Deny; the bed's
// no-put user (no grant at all) stays a missing permission.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck } from '../../harness/run-check.js';
import { mc } from './mc.js';
import { assertS3Clean, s3Keys, s3Target } from './store-target.js';

const POLICY = 'fd-st-require-sse';
const USER = { accessKey: 'fd-st-sse-user', secretKey: 'fd-st-sse-user-secret-0' };

describe('a Deny conditioned on the encryption header is not a missing s3:PutObject (real MinIO)', () => {
  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'fd-st-sse-'));
    const file = join(dir, 'policy.json');
    writeFileSync(file, JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['s3:*'], Resource: ['arn:aws:s3:::*'] },
        { Sid: 'DenyUnEncryptedObjectUploads', Effect: 'Deny', Action: ['s3:PutObject'], Resource: ['arn:aws:s3:::*'], Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption': 'AES256' } } },
      ],
    }));
    mc(['admin', 'policy', 'create', 't', POLICY, file]);
    mc(['admin', 'user', 'add', 't', USER.accessKey, USER.secretKey]);
    mc(['admin', 'policy', 'attach', 't', POLICY, '--user', USER.accessKey]);
  });
  afterAll(async () => {
    try { mc(['admin', 'user', 'remove', 't', USER.accessKey]); } catch { /* gone */ }
    try { mc(['admin', 'policy', 'remove', 't', POLICY]); } catch { /* gone */ }
    await assertS3Clean();
  });

  it('the plain write is denied, the write with the header passes the policy: the finding says the header is required and s3:PutObject is granted; nothing is left', async () => {
    const { result, run } = await runCheck('storage.s3.put', s3Target(USER), { instance: 'metadata' });
    expect(result.status, result.message).toBe('fail');
    expect(result.messageId).toBe('kmsDenied');
    expect(result.message).toContain('x-amz-server-side-encryption: AES256');
    expect(result.message).toContain('s3:PutObject itself is granted');
    // the wrong fix ("allow s3:PutObject") is not offered
    expect(result.hint).not.toMatch(/allow "s3:PutObject"/);
    expect(result.hint).toContain('remove the Deny on s3:PutObject conditioned on s3:x-amz-server-side-encryption');
    expect(result.hint).toContain(`mc encrypt set sse-s3 <alias>/${getTestbed().minio.buckets.metadata}`);
    expect(result.cause).toBe(`config:s3-encryption-header:${getTestbed().minio.buckets.metadata}`);
    expect(run.cleanupFailures).toEqual([]);
    expect(await s3Keys(getTestbed().minio.buckets.metadata, `flyte-doctor/${run.runId}/`)).toEqual([]);
  });

  it('a user without s3:PutObject at all stays a missing permission (the header changes nothing)', async () => {
    const { result } = await runCheck('storage.s3.put', s3Target(getTestbed().minio.users.noPut), { instance: 'metadata' });
    expect(result.messageId, result.message).toBe('permissionDenied');
    expect(result.hint).toMatch(/^allow "s3:PutObject"/);
  });
});
