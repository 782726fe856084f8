import { gcs, gcsClientFor, gcsErrorOf, gcsOpFailure, registerGcsCleanup } from '../../src/clients/gcs.js';
import { bucketFor, bucketInstances, probeState } from '../../src/clients/s3.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Outcome } from '../../src/engine/types.js';

export default defineCheck({
  id: 'storage.gcs.put',
  title: 'Flyte\'s identity may write objects (storage.objects.create)',
  phases: ['preflight', 'verify'],
  needs: ['storage.gcs'],
  dependsOn: ['storage.gcs.bucket'],
  instances: bucketInstances,
  writes: 'probe-object',
  explain: {
    what: 'Writes one small probe object under `flyte-doctor/<run-id>/`, deleted at the end of the run (also on failure, timeout and Ctrl-C).',
    why: 'Flyte writes metadata and task outputs.',
    fix: 'Grant storage.objects.create (roles/storage.objectAdmin) on the bucket.',
  },
  async run(ctx): Promise<Outcome> {
    const st = ctx.target.storage!;
    const bucket = bucketFor(ctx);
    const state = await probeState(ctx, 'gcs', bucket);
    const client = await gcsClientFor(ctx);
    state.keys.add(state.probeKey);
    registerGcsCleanup(ctx, state);
    try {
      await gcs(ctx, client.bucket(bucket).file(state.probeKey).save(state.body, { resumable: false, contentType: 'text/plain' }));
      return { status: 'pass', messageId: 'written', message: `wrote gs://${bucket}/${state.probeKey} (${state.body.length} bytes)`, details: { bucket, key: state.probeKey, bytes: state.body.length } };
    } catch (e) {
      const f = gcsOpFailure(st, bucket, 'object write', 'storage.objects.create', gcsErrorOf(e));
      if (f) return f;
      throw e;
    }
  },
});
