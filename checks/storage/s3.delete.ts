import { bucketFor, bucketInstances, probeState, registerS3Cleanup, s3ClientFor, s3ErrorOf, s3OpFailure } from '../../src/clients/s3.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Outcome } from '../../src/engine/types.js';

export default defineCheck({
  id: 'storage.s3.delete',
  title: 'Flyte\'s identity may delete objects (s3:DeleteObject), and they are gone afterwards',
  phases: ['preflight', 'verify'],
  needs: ['storage.s3'],
  dependsOn: ['storage.s3.put'],
  instances: bucketInstances,
  writes: 'probe-object',
  explain: {
    what: 'Writes a second probe object under `flyte-doctor/<run-id>/`, deletes it, and confirms it is gone (HeadObject 404, or a listing of the prefix). Only objects this run created are ever deleted.',
    why: 'Flyte deletes intermediate data and overwrites objects; the Flyte docs list s3:DeleteObject among the required permissions.',
    fix: 'Grant s3:DeleteObject on arn:aws:s3:::<bucket>/* to the Flyte identity.',
  },
  async run(ctx): Promise<Outcome> {
    const st = ctx.target.storage!;
    const bucket = bucketFor(ctx);
    const state = await probeState(ctx, 's3', bucket);
    const client = await s3ClientFor(ctx);
    const { PutObjectCommand, DeleteObjectCommand, HeadObjectCommand, ListObjectsV2Command } = await import('@aws-sdk/client-s3');
    const key = `${state.prefix}delete-probe.txt`;
    state.keys.add(key);
    registerS3Cleanup(ctx, state);
    try {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: state.body, ContentType: 'text/plain' }), { abortSignal: ctx.signal });
    } catch (e) {
      const f = s3OpFailure(st, bucket, 'PutObject (delete probe)', 's3:PutObject', true, s3ErrorOf(e));
      if (f) return f;
      throw e;
    }
    try {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: ctx.signal });
    } catch (e) {
      const f = s3OpFailure(st, bucket, 'DeleteObject', 's3:DeleteObject', true, s3ErrorOf(e));
      if (f) return { ...f, details: { ...f.details, leftBehind: `s3://${bucket}/${key}` } };
      throw e;
    }
    // Gone afterwards? HeadObject (needs s3:GetObject), else a listing of just that key.
    let gone: boolean | undefined, how = 'HeadObject';
    try {
      await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: ctx.signal });
      gone = false;
    } catch (e) {
      const err = s3ErrorOf(e);
      if (err.status === 404) gone = true;
      else {
        how = 'ListObjectsV2';
        try {
          const r = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }), { abortSignal: ctx.signal });
          gone = !(r.Contents ?? []).some((o) => o.Key === key);
        } catch { gone = undefined; }
      }
    }
    const details = { bucket, key, confirmedBy: gone === undefined ? null : how };
    if (gone === false) return { status: 'fail', messageId: 'stillThere', message: `s3://${bucket}/${key} is still there after DeleteObject succeeded`, hint: 'check object lock / retention and replication settings of the bucket', details };
    return { status: 'pass', messageId: 'deleted', message: `deleted s3://${bucket}/${key}${gone ? ` and confirmed it is gone (${how})` : ' (could not confirm: no read or list permission)'}`, details };
  },
});
