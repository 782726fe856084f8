import { gcs, gcsClientFor, gcsErrorOf, gcsOpFailure } from '../../src/clients/gcs.js';
import { bucketFor, bucketInstances, probeState } from '../../src/clients/s3.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Outcome } from '../../src/engine/types.js';

export default defineCheck({
  id: 'storage.gcs.list',
  title: 'Flyte\'s identity may list objects (storage.objects.list)',
  phases: ['preflight', 'verify'],
  needs: ['storage.gcs'],
  dependsOn: ['storage.gcs.put'],
  instances: bucketInstances,
  writes: 'none',
  explain: { what: 'Lists only `flyte-doctor/<run-id>/` and expects the probe object.', why: 'Flyte (propeller) lists prefixes.', fix: 'Grant storage.objects.list on the bucket.' },
  async run(ctx): Promise<Outcome> {
    const st = ctx.target.storage!;
    const bucket = bucketFor(ctx);
    const state = await probeState(ctx, 'gcs', bucket);
    const client = await gcsClientFor(ctx);
    try {
      const [files] = await gcs(ctx, client.bucket(bucket).getFiles({ prefix: state.prefix, maxResults: 100, autoPaginate: false }));
      const seen = files.map((f) => f.name).filter((n) => n.startsWith(state.prefix));
      if (!seen.includes(state.probeKey)) return { status: 'fail', messageId: 'probeNotListed', message: `listing gs://${bucket}/${state.prefix} does not show the probe object`, hint: 'check IAM conditions on the bucket', details: { bucket, prefix: state.prefix, seen } };
      return { status: 'pass', messageId: 'listed', message: `listing gs://${bucket}/${state.prefix} shows the probe object`, details: { bucket, prefix: state.prefix, seen } };
    } catch (e) {
      const f = gcsOpFailure(st, bucket, 'object list', 'storage.objects.list', gcsErrorOf(e));
      if (f) return f;
      throw e;
    }
  },
});
