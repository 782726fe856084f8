import { createHash } from 'node:crypto';
import { probeState, s3Identity, s3Send, S3ProbeError } from '../../src/clients/s3.js';
import { defineCheck } from '../../src/engine/define.js';
import { bucketInstances, type S3Identity } from '../../src/flyte/storage.js';
import { bucketFor, CANNOT_PROBE, notCheckedHere, S3_FAILURES, s3Failure, s3NotS3, s3Who, SKIP_MESSAGES, type S3Op } from './_support.js';

export default defineCheck({
  id: 'storage.s3.get',
  title: 'Flyte\'s identity may read objects back, byte for byte (s3:GetObject)',
  phases: ['preflight', 'verify'],
  needs: ['storage.s3'],
  dependsOn: ['storage.s3.put'],
  instances: bucketInstances,
  writes: 'none',
  messages: {
    readBack: { status: 'pass', summary: 'The probe object was read back, byte for byte.' },
    bytesDiffer: { status: 'fail', summary: 'An S3 answer returned other bytes than were written (a gateway or transformation rewrites objects).' },
    probeMissing: { status: 'fail', summary: 'NoSuchKey: the probe object written moments ago is not there (lifecycle rules, replication, a gateway).' },
    ...SKIP_MESSAGES,
    ...S3_FAILURES,
  },
  explain: {
    what: 'Reads this run\'s probe object and compares its bytes with what was written. No other object is read.',
    why: 'Flyte reads inputs, outputs and code bundles; without s3:GetObject tasks fail with 403 on HeadObject/GetObject.',
    fix: 'Grant s3:GetObject on arn:aws:s3:::<bucket>/* to the Flyte identity.',
  },
  async run(ctx) {
    const skip = notCheckedHere(ctx, ['storage.s3.endpoint', 'storage.s3.bucket'], CANNOT_PROBE);
    if (skip) return { status: 'skip', messageId: 'notCheckedHere', message: skip };
    const st = ctx.target.storage!;
    const bucket = bucketFor(ctx);
    const op: S3Op = { bucket, op: 'GetObject', action: 's3:GetObject', objectLevel: true, instanceKey: ctx.instance?.key };
    let id: S3Identity;
    try { id = await s3Identity(ctx); } catch (e) { return s3Failure(ctx, op, e); }
    const state = await probeState(ctx, 's3', bucket);
    const { GetObjectCommand } = await import('../../src/sdk/aws.js');
    const who = s3Who(st, id);
    try {
      const { answer } = await s3Send(ctx, 'GetObject', new GetObjectCommand({ Bucket: bucket, Key: state.probeKey }));
      const got = answer.body;
      const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
      const details = { bucket, key: state.probeKey, bytesWritten: state.body.length, bytesRead: got.length, sha256Written: sha(state.body), sha256Read: sha(got), ...who.details };
      if (got.equals(state.body)) return { status: 'pass', messageId: 'readBack', message: `read s3://${bucket}/${state.probeKey} back: ${got.length} bytes, identical${who.suffix}`, details };
      if (!answer.s3) return s3NotS3(ctx, answer, `GetObject on s3://${bucket}`, details);
      return { status: 'fail', messageId: 'bytesDiffer', message: `read back ${got.length} bytes from s3://${bucket}/${state.probeKey} that differ from the ${state.body.length} written`, hint: 'something rewrites objects (a proxy, gateway or transformation such as S3 Object Lambda); check the endpoint and bucket settings', details };
    } catch (e) {
      if (e instanceof S3ProbeError && e.code === 'NoSuchKey') return { status: 'fail', messageId: 'probeMissing', message: `the probe object s3://${bucket}/${state.probeKey} written moments ago is not there (NoSuchKey)`, hint: 'check lifecycle rules, replication and gateway settings of the bucket (an object written must be readable right away)', details: { bucket, key: state.probeKey } };
      return s3Failure(ctx, op, e, id);
    }
  },
});
