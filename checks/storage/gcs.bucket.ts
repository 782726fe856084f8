import { gcsCall, gcsIdentity, type GcsIdentity } from '../../src/clients/gcs.js';
import { defineCheck } from '../../src/engine/define.js';
import { bucketInstances } from '../../src/flyte/storage.js';
import { bucketFor, GCS_FAILURES, gcsFinding, gcsNotGcs, gcsWhoNote, type GcsOp } from './_support.js';

export default defineCheck({
  id: 'storage.gcs.bucket',
  title: 'The GCS bucket exists and is visible (storage.buckets.get)',
  phases: ['preflight', 'verify'],
  needs: ['storage.gcs'],
  dependsOn: ['storage.config.coherent'],
  instances: bucketInstances,
  writes: 'none',
  messages: {
    exists: { status: 'pass', summary: 'The bucket exists (a storage#bucket resource came back).' },
    ...GCS_FAILURES,
  },
  explain: {
    what: 'Resolves whose credentials the probes use (the configured key file, this machine\'s Application Default Credentials, or none for an emulator), then reads the bucket\'s metadata (location, storage class) through the JSON API. 401 (rejected credentials, invalid_grant), 403 (a missing permission, named with the principal), 404, billing, requester-pays and rate limits are each their own finding.',
    why: 'Flyte looks the container up at start (`Container [<bucket>] lookup failed`); a missing bucket or missing storage.buckets.get stops admin and datacatalog.',
    fix: 'Create the bucket, fix the bucket name, or grant storage.buckets.get to the Google service account.',
  },
  async run(ctx) {
    const st = ctx.target.storage!;
    const bucket = bucketFor(ctx);
    const op: GcsOp = { bucket, op: 'bucket lookup', permission: 'storage.buckets.get', instanceKey: ctx.instance?.key };
    let id: GcsIdentity;
    try { id = await gcsIdentity(ctx); } catch (e) { return gcsFinding(ctx, op, e); }
    const who = gcsWhoNote(st, id);
    try {
      const a = await gcsCall(ctx, op.op, 'GET', `/storage/v1/b/${encodeURIComponent(bucket)}`);
      const md = a.json as { kind?: unknown; name?: unknown; location?: unknown; storageClass?: unknown } | undefined;
      if (md?.kind !== 'storage#bucket' && md?.name !== bucket) return gcsNotGcs(ctx, a, `bucket lookup of gs://${bucket}`, { bucket });
      const location = typeof md?.location === 'string' ? md.location : null;
      return { status: 'pass', messageId: 'exists', message: `bucket gs://${bucket} exists${location ? ` in ${location}` : ''}${who.suffix}`, details: { bucket, location, storageClass: typeof md?.storageClass === 'string' ? md.storageClass : null, ...who.details } };
    } catch (e) {
      return gcsFinding(ctx, op, e, id);
    }
  },
});
