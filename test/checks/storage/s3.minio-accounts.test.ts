// MinIO service accounts (mc admin user svcacct) on the real MinIO: a disabled service account
// answers "Your account is disabled" like a disabled user, but is re-enabled by another command;
// a service account whose parent user is disabled answers only a bare AccessDenied to everything,
// like a user without any policy: the bucket check says the key is refused every request (its
// ListBuckets too) and names the parent, instead of a single missing action.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../harness/run-check.js';
import { getTestbed } from '../../harness/testbed.js';
import { mc, minioUser } from './mc.js';
import { s3Target } from './store-target.js';

describe('MinIO service accounts', () => {
  let parent: ReturnType<typeof minioUser>;
  let offParent: ReturnType<typeof minioUser>;
  const off = { accessKey: 'fdstsvcoff01', secretKey: 'fd-st-svc-off-secret-01' };
  const orphan = { accessKey: 'fdstsvcorph1', secretKey: 'fd-st-svc-orph-secret-1' };
  beforeAll(() => {
    parent = minioUser('svc-parent');
    offParent = minioUser('svc-parent-off');
    mc(['admin', 'user', 'svcacct', 'add', 't', parent.accessKey, '--access-key', off.accessKey, '--secret-key', off.secretKey]);
    mc(['admin', 'user', 'svcacct', 'disable', 't', off.accessKey]);
    mc(['admin', 'user', 'svcacct', 'add', 't', offParent.accessKey, '--access-key', orphan.accessKey, '--secret-key', orphan.secretKey]);
    mc(['admin', 'user', 'disable', 't', offParent.accessKey]);
  });
  afterAll(() => {
    for (const k of [off.accessKey, orphan.accessKey]) { try { mc(['admin', 'user', 'svcacct', 'rm', 't', k]); } catch { /* gone */ } }
    parent.remove(); offParent.remove();
  });

  it('a disabled service account: accountDisabled, and the fix names the svcacct command', async () => {
    const { result } = await runCheck('storage.s3.bucket', s3Target(off), { instance: 'metadata' });
    expect(result.messageId, result.message).toBe('accountDisabled');
    expect(result.hint).toContain('mc admin user svcacct enable <alias> <access key>');
  });

  it('a service account whose parent user is disabled: refused every request (ListBuckets too), the fix names the parent besides the grant', async () => {
    const { result } = await runCheck('storage.s3.bucket', s3Target(orphan), { instance: 'metadata' });
    expect(result.messageId, result.message).toBe('permissionDenied');
    expect(result.message).toContain('ListBuckets is denied as well');
    expect(result.hint).toContain('if its policy grants these already, the key is refused everything');
    expect(result.hint).toContain('parent user is enabled');
    expect(result.details?.listBuckets).toBe('AccessDenied');
  });

  it('a user without any policy (the bed\'s no-rights) is refused every request the same way: the fix says to give it a policy', async () => {
    const { result } = await runCheck('storage.s3.bucket', s3Target(getTestbed().minio.users.none), { instance: 'metadata' });
    expect(result.messageId, result.message).toBe('permissionDenied');
    expect(result.hint).toContain('mc admin user info <alias> <user>');
  });

  it('a user that may list some bucket (ListBuckets answers) but not this one keeps the plain grant fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fd-st-pol-'));
    writeFileSync(join(dir, 'p.json'), JSON.stringify({ Version: '2012-10-17', Statement: [
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], Resource: [`arn:aws:s3:::${getTestbed().minio.buckets.metadata}/*`] },
      { Effect: 'Allow', Action: ['s3:ListBucket', 's3:GetBucketLocation'], Resource: [`arn:aws:s3:::${getTestbed().minio.buckets.userdata}`] },
    ] }));
    const u = { accessKey: 'fd-st-other-bucket', secretKey: 'fd-st-other-bucket-secret-0' };
    mc(['admin', 'policy', 'create', 't', 'fd-st-other-bucket', join(dir, 'p.json')]);
    mc(['admin', 'user', 'add', 't', u.accessKey, u.secretKey]);
    try {
      mc(['admin', 'policy', 'attach', 't', 'fd-st-other-bucket', '--user', u.accessKey]);
      const { result } = await runCheck('storage.s3.bucket', s3Target(u), { instance: 'metadata' });
      expect(result.messageId, result.message).toBe('permissionDenied');
      expect(result.hint).toMatch(/^allow "s3:ListBucket"/);
      expect(result.hint).not.toContain('parent user');
      expect(result.details?.listBuckets).toBeUndefined();
    } finally {
      try { mc(['admin', 'user', 'remove', 't', u.accessKey]); } catch { /* gone */ }
      try { mc(['admin', 'policy', 'remove', 't', 'fd-st-other-bucket']); } catch { /* gone */ }
    }
  });
});
