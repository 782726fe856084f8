import { probeState, s3Identity, s3Send } from '../../src/clients/s3.js';
import { defineCheck } from '../../src/engine/define.js';
import { bucketInstances, type S3Identity } from '../../src/flyte/storage.js';
import { bucketFor, CANNOT_PROBE, notCheckedHere, S3_FAILURES, s3Failure, s3NotS3, s3Who, SKIP_MESSAGES, type S3Op } from './_support.js';

export default defineCheck({
  id: 'storage.s3.list',
  title: 'Flyte\'s identity may list objects (s3:ListBucket)',
  phases: ['preflight', 'verify'],
  needs: ['storage.s3'],
  dependsOn: ['storage.s3.put'],
  instances: bucketInstances,
  writes: 'none',
  messages: {
    listed: { status: 'pass', summary: 'A listing (S3 XML) of this run\'s prefix shows the probe object.' },
    probeNotListed: { status: 'fail', summary: 'The listing does not show the probe object that was just written.' },
    ...SKIP_MESSAGES,
    ...S3_FAILURES,
  },
  explain: {
    what: 'Lists only this run\'s prefix `flyte-doctor/<run-id>/`, requires an S3 listing (ListBucketResult XML) and expects to see the probe object. Nothing outside the prefix is listed.',
    why: 'Flyte lists prefixes (multi-part outputs, fast-registration); without s3:ListBucket a missing object also looks like 403 instead of 404.',
    fix: 'Grant s3:ListBucket on arn:aws:s3:::<bucket> (the bucket ARN, not /*) to the Flyte identity.',
  },
  async run(ctx) {
    const skip = notCheckedHere(ctx, ['storage.s3.endpoint', 'storage.s3.bucket'], CANNOT_PROBE);
    if (skip) return { status: 'skip', messageId: 'notCheckedHere', message: skip };
    const st = ctx.target.storage!;
    const bucket = bucketFor(ctx);
    const op: S3Op = { bucket, op: 'ListObjectsV2', action: 's3:ListBucket', objectLevel: false, instanceKey: ctx.instance?.key };
    let id: S3Identity;
    try { id = await s3Identity(ctx); } catch (e) { return s3Failure(ctx, op, e); }
    const state = await probeState(ctx, 's3', bucket);
    const { ListObjectsV2Command } = await import('../../src/sdk/aws.js');
    const who = s3Who(st, id);
    try {
      const { output, answer } = await s3Send<{ Contents?: { Key?: string }[] }>(ctx, 'ListObjectsV2', new ListObjectsV2Command({ Bucket: bucket, Prefix: state.prefix, MaxKeys: 100 }));
      if (!/<ListBucketResult[\s>]/.test(answer.body.toString('utf8'))) return s3NotS3(ctx, answer, `ListObjectsV2 on s3://${bucket}`, { bucket, prefix: state.prefix });
      const keys = (Array.isArray(output.Contents) ? output.Contents : []).map((o) => o?.Key).filter((k): k is string => typeof k === 'string' && k.startsWith(state.prefix));
      const details = { bucket, prefix: state.prefix, seen: keys, ...who.details };
      if (!keys.includes(state.probeKey)) return { status: 'fail', messageId: 'probeNotListed', message: `listing s3://${bucket}/${state.prefix} does not show the probe object ${state.probeKey}`, hint: 'the store\'s listing is inconsistent or filtered (gateway, policy conditions on s3:prefix); check the bucket policy', details };
      return { status: 'pass', messageId: 'listed', message: `listing s3://${bucket}/${state.prefix} shows the probe object${who.suffix}`, details };
    } catch (e) {
      return s3Failure(ctx, op, e, id);
    }
  },
});
