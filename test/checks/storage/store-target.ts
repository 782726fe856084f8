// Targets pointing at the test bed's MinIO and fake-gcs-server, and root-level helpers that
// prove what the checks leave behind (pre-existing objects intact, nothing under flyte-doctor/).
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Storage } from '@google-cloud/storage';
import { probeRuns } from '../../../src/clients/s3.js';
import { Secret } from '../../../src/config/secret.js';
import type { StorageTarget, Target } from '../../../src/config/target.js';
import { makeTarget } from '../../harness/target.js';
import { getTestbed, type S3Cred } from '../../harness/testbed.js';

export function s3Target(cred?: S3Cred, over: Partial<StorageTarget> = {}): Target {
  const m = getTestbed().minio;
  const c = cred ?? m.root;
  return makeTarget({
    dnsServer: getTestbed().dns.server,
    storage: {
      provider: 's3', rawType: 's3', metadataBucket: m.buckets.metadata, userDataBucket: m.buckets.userdata,
      endpoint: m.endpoint, region: m.region, forcePathStyle: true, disableSSL: true,
      authType: 'accesskey', accessKey: c.accessKey, secretKey: new Secret(c.secretKey),
      signedUrlKey: 'configuration.inline.storage.signedUrl.stowConfigOverride.endpoint', valuesKey: 'configuration.storage',
      ...over,
    },
  });
}

export function gcsTarget(over: Partial<StorageTarget> = {}): Target {
  const g = getTestbed().gcs;
  return makeTarget({
    storage: {
      provider: 'gcs', rawType: 'gcs', metadataBucket: g.buckets.metadata, userDataBucket: g.buckets.userdata,
      endpoint: g.endpoint, projectId: g.projectId, authType: 'adc',
      signedUrlKey: 'configuration.inline.storage.signedUrl.stowConfigOverride.endpoint', valuesKey: 'configuration.storage',
      ...over,
    },
  });
}

function rootS3(): S3Client {
  const m = getTestbed().minio;
  return new S3Client({ region: m.region, endpoint: m.endpoint, forcePathStyle: true, credentials: { accessKeyId: m.root.accessKey, secretAccessKey: m.root.secretKey } });
}

/** Every key in the bucket (root), to compare before/after. */
export async function s3Keys(bucket: string, prefix = ''): Promise<string[]> {
  const c = rootS3();
  try {
    const r = await c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return (r.Contents ?? []).map((o) => o.Key!).sort();
  } finally { c.destroy(); }
}

export async function gcsKeys(bucket: string, prefix = ''): Promise<string[]> {
  const s = new Storage({ apiEndpoint: getTestbed().gcs.endpoint, projectId: getTestbed().gcs.projectId, retryOptions: { autoRetry: false } });
  const [files] = await s.bucket(bucket).getFiles({ prefix });
  return files.map((f) => f.name).sort();
}

/** Removes what a run left under flyte-doctor/ (root), for tests where leaving it is the expected outcome. */
export async function s3RemoveProbeResidue(bucket: string, runId: string): Promise<void> {
  const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
  const c = rootS3();
  try {
    for (const k of await s3Keys(bucket, `flyte-doctor/${runId}/`)) await c.send(new DeleteObjectCommand({ Bucket: bucket, Key: k }));
  } finally { c.destroy(); }
}

/** Asserts the pre-existing objects are intact and nothing remains under flyte-doctor/. */
export async function assertS3Clean(): Promise<void> {
  const m = getTestbed().minio;
  for (const b of [m.buckets.metadata, m.buckets.userdata]) {
    const keys = await s3Keys(b);
    for (const k of m.preexistingKeys) if (!keys.includes(k)) throw new Error(`pre-existing object s3://${b}/${k} is gone`);
    // Only this test file's runs: other files run in parallel and may be mid-probe.
    const left = keys.filter((k) => probeRuns().some((id) => k.startsWith(`flyte-doctor/${id}/`)));
    if (left.length) throw new Error(`probe residue in s3://${b}: ${left.join(', ')}`);
  }
}

export async function assertGcsClean(): Promise<void> {
  const g = getTestbed().gcs;
  for (const b of [g.buckets.metadata, g.buckets.userdata]) {
    const keys = await gcsKeys(b);
    for (const k of g.preexistingKeys) if (!keys.includes(k)) throw new Error(`pre-existing object gs://${b}/${k} is gone`);
    const left = keys.filter((k) => probeRuns().some((id) => k.startsWith(`flyte-doctor/${id}/`)));
    if (left.length) throw new Error(`probe residue in gs://${b}: ${left.join(', ')}`);
  }
}
