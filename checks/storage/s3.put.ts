import { probeState, recordVersion, registerS3Cleanup, s3Identity, s3Send } from '../../src/clients/s3.js';
import { defineCheck } from '../../src/engine/define.js';
import { bucketInstances, type S3Identity } from '../../src/flyte/storage.js';
import { bucketFor, CANNOT_PROBE, notCheckedHere, S3_FAILURES, s3Failure, s3NotS3, s3Who, SKIP_MESSAGES, type S3Op } from './_support.js';

export default defineCheck({
  id: 'storage.s3.put',
  title: 'Flyte\'s identity may write objects (s3:PutObject)',
  phases: ['preflight', 'verify'],
  needs: ['storage.s3'],
  dependsOn: ['storage.s3.bucket'],
  instances: bucketInstances,
  writes: 'probe-object',
  messages: {
    written: { status: 'pass', summary: 'The probe object was written and the store answered as S3 (ETag, request id).' },
    ...SKIP_MESSAGES,
    ...S3_FAILURES,
  },
  explain: {
    what: 'Writes one small probe object under `flyte-doctor/<run-id>/` (never elsewhere) and requires an S3 answer (an ETag and S3 headers; an HTML page or an empty 204 from something else is not a write). It is deleted at the end of the run, also on failure, timeout and Ctrl-C, and the run reports anything that may remain.',
    why: 'Flyte writes workflow metadata and task outputs; without s3:PutObject every execution fails. Bucket policies that require SSE-KMS headers also show up here.',
    fix: 'Grant s3:PutObject on arn:aws:s3:::<bucket>/* to the Flyte identity; with KMS default encryption also kms:GenerateDataKey.',
  },
  async run(ctx) {
    const skip = notCheckedHere(ctx, ['storage.s3.endpoint', 'storage.s3.bucket'], CANNOT_PROBE);
    if (skip) return { status: 'skip', messageId: 'notCheckedHere', message: skip };
    const st = ctx.target.storage!;
    const bucket = bucketFor(ctx);
    const op: S3Op = { bucket, op: 'PutObject', action: 's3:PutObject', objectLevel: true, instanceKey: ctx.instance?.key };
    let id: S3Identity;
    try { id = await s3Identity(ctx); } catch (e) { return s3Failure(ctx, op, e); }
    const state = await probeState(ctx, 's3', bucket);
    const { PutObjectCommand } = await import('../../src/sdk/aws.js');
    state.keys.add(state.probeKey);
    registerS3Cleanup(ctx, state); // before the write: an abort mid-request still cleans up
    const who = s3Who(st, id);
    try {
      const { answer } = await s3Send<{ ETag?: string }>(ctx, 'PutObject', new PutObjectCommand({ Bucket: bucket, Key: state.probeKey, Body: state.body, ContentType: 'text/plain' }));
      recordVersion(state, state.probeKey, answer.headers);
      const etag = answer.headers.etag;
      const details = { bucket, key: state.probeKey, bytes: state.body.length, etag: etag ?? null, httpStatus: answer.status, ...who.details };
      // S3 answers a PUT with an ETag and an empty body; an HTML page or an empty 204 is something else.
      if (!etag || !(answer.s3 || answer.body.length === 0) || /<html/i.test(answer.body.subarray(0, 2048).toString('utf8'))) return s3NotS3(ctx, answer, `PutObject on s3://${bucket}`, details);
      return { status: 'pass', messageId: 'written', message: `wrote s3://${bucket}/${state.probeKey} (${state.body.length} bytes, ETag ${etag})${who.suffix}`, details };
    } catch (e) {
      return s3Failure(ctx, op, e, id);
    }
  },
});
