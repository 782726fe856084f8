import { probeState, recordVersion, registerS3Cleanup, s3Identity, s3Send, S3ProbeError } from '../../src/clients/s3.js';
import { defineCheck } from '../../src/engine/define.js';
import { bucketInstances, type S3Identity } from '../../src/flyte/storage.js';
import { bucketFor, CANNOT_PROBE, contentMd5, notCheckedHere, S3_FAILURES, s3Failure, s3NotS3, s3Who, SKIP_MESSAGES, type S3Op } from './_support.js';

export default defineCheck({
  id: 'storage.s3.delete',
  title: 'Flyte\'s identity may delete objects (s3:DeleteObject), and they are gone afterwards',
  phases: ['preflight', 'verify'],
  needs: ['storage.s3'],
  dependsOn: ['storage.s3.put'],
  instances: bucketInstances,
  writes: 'probe-object',
  messages: {
    deleted: { status: 'pass', summary: 'The second probe object was deleted and is gone (HeadObject 404 or a listing).' },
    deletedUnconfirmed: { status: 'pass', summary: 'The delete was accepted; that the object is gone could not be confirmed (no read or list permission).' },
    stillThere: { status: 'fail', summary: 'DeleteObject succeeded but the object is still there (object lock, retention, a gateway).' },
    ...SKIP_MESSAGES,
    ...S3_FAILURES,
  },
  explain: {
    what: 'Writes a second probe object under `flyte-doctor/<run-id>/`, deletes it, and confirms it is gone (HeadObject 404, or a listing of the prefix). Only objects this run created are ever deleted.',
    why: 'Flyte deletes intermediate data and overwrites objects; the Flyte docs list s3:DeleteObject among the required permissions.',
    fix: 'Grant s3:DeleteObject on arn:aws:s3:::<bucket>/* to the Flyte identity.',
  },
  async run(ctx) {
    const skip = notCheckedHere(ctx, ['storage.s3.endpoint', 'storage.s3.bucket'], CANNOT_PROBE);
    if (skip) return { status: 'skip', messageId: 'notCheckedHere', message: skip };
    const st = ctx.target.storage!;
    const bucket = bucketFor(ctx);
    const op = (o: string, action: string): S3Op => ({ bucket, op: o, action, objectLevel: true, instanceKey: ctx.instance?.key });
    let id: S3Identity;
    try { id = await s3Identity(ctx); } catch (e) { return s3Failure(ctx, op('DeleteObject', 's3:DeleteObject'), e); }
    const state = await probeState(ctx, 's3', bucket);
    const { PutObjectCommand, DeleteObjectCommand, HeadObjectCommand, ListObjectsV2Command } = await import('../../src/sdk/aws.js');
    const key = `${state.prefix}delete-probe.txt`;
    state.keys.add(key);
    registerS3Cleanup(ctx, state);
    const who = s3Who(st, id);
    try {
      const { answer } = await s3Send(ctx, 'PutObject', new PutObjectCommand({ Bucket: bucket, Key: key, Body: state.body, ContentType: 'text/plain', ContentMD5: contentMd5(state.body) }));
      recordVersion(state, key, answer.headers);
      if (!answer.headers.etag) return s3NotS3(ctx, answer, `PutObject (delete probe) on s3://${bucket}`, { bucket, key });
    } catch (e) {
      return s3Failure(ctx, op('PutObject (delete probe)', 's3:PutObject'), e, id);
    }
    try {
      const { answer } = await s3Send(ctx, 'DeleteObject', new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      recordVersion(state, key, answer.headers); // a versioned bucket's delete marker: the cleanup removes it with the data version
      if (!answer.s3) return s3NotS3(ctx, answer, `DeleteObject on s3://${bucket}`, { bucket, key });
    } catch (e) {
      const f = await s3Failure(ctx, op('DeleteObject', 's3:DeleteObject'), e, id);
      return { ...f, details: { ...f.details, leftBehind: `s3://${bucket}/${key}` } };
    }
    // Gone afterwards? HeadObject (needs s3:GetObject), else a listing of just that key.
    let gone: boolean | undefined, how = 'HeadObject';
    try {
      const { answer } = await s3Send(ctx, 'HeadObject', new HeadObjectCommand({ Bucket: bucket, Key: key }));
      gone = answer.s3 ? false : undefined;
    } catch (e) {
      if (e instanceof S3ProbeError && e.status === 404 && e.answer?.s3) gone = true;
      else {
        how = 'ListObjectsV2';
        try {
          const { output, answer } = await s3Send<{ Contents?: { Key?: string }[] }>(ctx, 'ListObjectsV2', new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }));
          gone = /<ListBucketResult[\s>]/.test(answer.body.toString('utf8')) ? !(output.Contents ?? []).some((o) => o?.Key === key) : undefined;
        } catch { gone = undefined; }
      }
    }
    const details = { bucket, key, confirmedBy: gone === undefined ? null : how, ...who.details };
    if (gone === false) return { status: 'fail', messageId: 'stillThere', message: `s3://${bucket}/${key} is still there after DeleteObject succeeded`, hint: 'check object lock / retention, versioning with delete markers hidden by a gateway, and replication settings of the bucket', details };
    if (gone === undefined) return { status: 'pass', messageId: 'deletedUnconfirmed', message: `deleted s3://${bucket}/${key} (that it is gone could not be confirmed: no read or list permission)${who.suffix}`, details };
    return { status: 'pass', messageId: 'deleted', message: `deleted s3://${bucket}/${key} and confirmed it is gone (${how})${who.suffix}`, details };
  },
});
