import { bucketFor, bucketInstances, probeState, s3ClientFor, s3ErrorOf, s3OpFailure } from '../../src/clients/s3.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Outcome } from '../../src/engine/types.js';

export default defineCheck({
  id: 'storage.s3.list',
  title: 'Flyte\'s identity may list objects (s3:ListBucket)',
  phases: ['preflight', 'verify'],
  needs: ['storage.s3'],
  dependsOn: ['storage.s3.put'],
  instances: bucketInstances,
  writes: 'none',
  explain: {
    what: 'Lists only this run\'s prefix `flyte-doctor/<run-id>/` and expects to see the probe object. Nothing outside the prefix is listed.',
    why: 'Flyte lists prefixes (multi-part outputs, fast-registration); without s3:ListBucket a missing object also looks like 403 instead of 404.',
    fix: 'Grant s3:ListBucket on arn:aws:s3:::<bucket> (the bucket ARN, not /*) to the Flyte identity.',
  },
  async run(ctx): Promise<Outcome> {
    const st = ctx.target.storage!;
    const bucket = bucketFor(ctx);
    const state = await probeState(ctx, 's3', bucket);
    const client = await s3ClientFor(ctx);
    const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
    try {
      const r = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: state.prefix, MaxKeys: 100 }), { abortSignal: ctx.signal });
      const keys = (r.Contents ?? []).map((o) => o.Key!).filter((k) => k.startsWith(state.prefix));
      const details = { bucket, prefix: state.prefix, seen: keys };
      if (!keys.includes(state.probeKey)) return { status: 'fail', messageId: 'probeNotListed', message: `listing s3://${bucket}/${state.prefix} does not show the probe object ${state.probeKey}`, hint: 'the store\'s listing is inconsistent or filtered (gateway, policy conditions on s3:prefix); check the bucket policy', details };
      return { status: 'pass', messageId: 'listed', message: `listing s3://${bucket}/${state.prefix} shows the probe object`, details };
    } catch (e) {
      const f = s3OpFailure(st, bucket, 'ListObjectsV2', 's3:ListBucket', false, s3ErrorOf(e));
      if (f) return f;
      throw e;
    }
  },
});
