import { gcs, gcsClientFor, gcsErrorOf, gcsOpFailure } from '../../src/clients/gcs.js';
import { bucketFor, bucketInstances, probeState } from '../../src/clients/s3.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Outcome } from '../../src/engine/types.js';

export default defineCheck({
  id: 'storage.gcs.get',
  title: 'Flyte\'s identity may read objects back, byte for byte (storage.objects.get)',
  phases: ['preflight', 'verify'],
  needs: ['storage.gcs'],
  dependsOn: ['storage.gcs.put'],
  instances: bucketInstances,
  writes: 'none',
  explain: { what: 'Reads this run\'s probe object and compares the bytes.', why: 'Flyte reads inputs, outputs and code bundles.', fix: 'Grant storage.objects.get on the bucket.' },
  async run(ctx): Promise<Outcome> {
    const st = ctx.target.storage!;
    const bucket = bucketFor(ctx);
    const state = await probeState(ctx, 'gcs', bucket);
    const client = await gcsClientFor(ctx);
    try {
      const [got] = await gcs(ctx, client.bucket(bucket).file(state.probeKey).download());
      const details = { bucket, key: state.probeKey, bytesWritten: state.body.length, bytesRead: got.length };
      if (!got.equals(state.body)) return { status: 'fail', messageId: 'bytesDiffer', message: `read back ${got.length} bytes from gs://${bucket}/${state.probeKey} that differ from what was written`, hint: 'something rewrites objects (a proxy or gateway); check the endpoint', details };
      return { status: 'pass', messageId: 'readBack', message: `read gs://${bucket}/${state.probeKey} back: ${got.length} bytes, identical`, details };
    } catch (e) {
      const f = gcsOpFailure(st, bucket, 'object read', 'storage.objects.get', gcsErrorOf(e));
      if (f) return f;
      throw e;
    }
  },
});
