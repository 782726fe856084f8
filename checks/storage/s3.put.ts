import { bucketFor, bucketInstances, probeState, registerS3Cleanup, s3ClientFor, s3ErrorOf, s3OpFailure } from '../../src/clients/s3.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Outcome } from '../../src/engine/types.js';

export default defineCheck({
  id: 'storage.s3.put',
  title: 'Flyte\'s identity may write objects (s3:PutObject)',
  phases: ['preflight', 'verify'],
  needs: ['storage.s3'],
  dependsOn: ['storage.s3.bucket'],
  instances: bucketInstances,
  writes: 'probe-object',
  explain: {
    what: 'Writes one small probe object under `flyte-doctor/<run-id>/` (never elsewhere). It is deleted at the end of the run, also on failure, timeout and Ctrl-C, and the run confirms nothing remains under its prefix.',
    why: 'Flyte writes workflow metadata and task outputs; without s3:PutObject every execution fails. Bucket policies that require SSE-KMS headers also show up here.',
    fix: 'Grant s3:PutObject on arn:aws:s3:::<bucket>/* to the Flyte identity; with KMS default encryption also kms:GenerateDataKey.',
  },
  async run(ctx): Promise<Outcome> {
    const st = ctx.target.storage!;
    const bucket = bucketFor(ctx);
    const state = await probeState(ctx, 's3', bucket);
    const client = await s3ClientFor(ctx);
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    state.keys.add(state.probeKey);
    registerS3Cleanup(ctx, state); // before the write: an abort mid-request still cleans up
    try {
      const r = await client.send(new PutObjectCommand({ Bucket: bucket, Key: state.probeKey, Body: state.body, ContentType: 'text/plain' }), { abortSignal: ctx.signal });
      return { status: 'pass', messageId: 'written', message: `wrote s3://${bucket}/${state.probeKey} (${state.body.length} bytes)`, details: { bucket, key: state.probeKey, bytes: state.body.length, etag: r.ETag ?? null } };
    } catch (e) {
      const err = s3ErrorOf(e);
      if (/kms/i.test(err.message)) return { status: 'fail', messageId: 'kmsDenied', message: `PutObject on s3://${bucket} denied by KMS: ${err.message}`, hint: 'grant kms:GenerateDataKey and kms:Decrypt on the bucket\'s KMS key to the Flyte identity, or use default bucket encryption instead of a policy that requires SSE headers', details: { bucket, error: err.name } };
      const f = s3OpFailure(st, bucket, 'PutObject', 's3:PutObject', true, err);
      if (f) return f;
      throw e;
    }
  },
});
