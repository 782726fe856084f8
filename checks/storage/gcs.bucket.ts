import { gcs, gcsClientFor, gcsErrorOf, gcsOpFailure } from '../../src/clients/gcs.js';
import { bucketFor, bucketInstances } from '../../src/clients/s3.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Outcome } from '../../src/engine/types.js';

export default defineCheck({
  id: 'storage.gcs.bucket',
  title: 'The GCS bucket exists and is visible (storage.buckets.get)',
  phases: ['preflight', 'verify'],
  needs: ['storage.gcs'],
  dependsOn: ['storage.config.coherent'],
  instances: bucketInstances,
  writes: 'none',
  explain: {
    what: 'Reads the bucket\'s metadata (location, storage class).',
    why: 'Flyte looks the container up at start (`Container [<bucket>] lookup failed`); a missing bucket or missing storage.buckets.get stops admin and datacatalog.',
    fix: 'Create the bucket, fix the bucket name, or grant storage.buckets.get to the Google service account.',
  },
  async run(ctx): Promise<Outcome> {
    const st = ctx.target.storage!;
    const bucket = bucketFor(ctx);
    const client = await gcsClientFor(ctx);
    try {
      const [md] = await gcs(ctx, client.bucket(bucket).getMetadata());
      return { status: 'pass', messageId: 'exists', message: `bucket gs://${bucket} exists${md.location ? ` in ${md.location}` : ''}`, details: { bucket, location: md.location ?? null, storageClass: md.storageClass ?? null } };
    } catch (e) {
      const f = gcsOpFailure(st, bucket, 'bucket lookup', 'storage.buckets.get', gcsErrorOf(e));
      if (f) return f;
      throw e;
    }
  },
});
