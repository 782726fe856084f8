import { gcs, gcsClientFor, gcsErrorOf, gcsOpFailure, registerGcsCleanup } from '../../src/clients/gcs.js';
import { bucketFor, bucketInstances, probeState } from '../../src/clients/s3.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Outcome } from '../../src/engine/types.js';

export default defineCheck({
  id: 'storage.gcs.delete',
  title: 'Flyte\'s identity may delete objects (storage.objects.delete), and they are gone afterwards',
  phases: ['preflight', 'verify'],
  needs: ['storage.gcs'],
  dependsOn: ['storage.gcs.put'],
  instances: bucketInstances,
  writes: 'probe-object',
  explain: { what: 'Writes a second probe object under `flyte-doctor/<run-id>/`, deletes it and confirms it is gone.', why: 'Flyte deletes and overwrites objects.', fix: 'Grant storage.objects.delete on the bucket.' },
  async run(ctx): Promise<Outcome> {
    const st = ctx.target.storage!;
    const bucket = bucketFor(ctx);
    const state = await probeState(ctx, 'gcs', bucket);
    const client = await gcsClientFor(ctx);
    const key = `${state.prefix}delete-probe.txt`;
    state.keys.add(key);
    registerGcsCleanup(ctx, state);
    const file = client.bucket(bucket).file(key);
    try { await gcs(ctx, file.save(state.body, { resumable: false })); } catch (e) {
      const f = gcsOpFailure(st, bucket, 'object write (delete probe)', 'storage.objects.create', gcsErrorOf(e));
      if (f) return f;
      throw e;
    }
    try { await gcs(ctx, file.delete()); } catch (e) {
      const f = gcsOpFailure(st, bucket, 'object delete', 'storage.objects.delete', gcsErrorOf(e));
      if (f) return f;
      throw e;
    }
    let gone: boolean | undefined;
    try { gone = !(await gcs(ctx, file.exists()))[0]; } catch { gone = undefined; }
    if (gone === false) return { status: 'fail', messageId: 'stillThere', message: `gs://${bucket}/${key} is still there after delete`, hint: 'check retention policies / object holds on the bucket', details: { bucket, key } };
    return { status: 'pass', messageId: 'deleted', message: `deleted gs://${bucket}/${key}${gone ? ' and confirmed it is gone' : ' (could not confirm)'}`, details: { bucket, key } };
  },
});
