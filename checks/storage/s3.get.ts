import { createHash } from 'node:crypto';
import { bucketFor, bucketInstances, probeState, s3ClientFor, s3ErrorOf, s3OpFailure } from '../../src/clients/s3.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Outcome } from '../../src/engine/types.js';

export default defineCheck({
  id: 'storage.s3.get',
  title: 'Flyte\'s identity may read objects back, byte for byte (s3:GetObject)',
  phases: ['preflight', 'verify'],
  needs: ['storage.s3'],
  dependsOn: ['storage.s3.put'],
  instances: bucketInstances,
  writes: 'none',
  explain: {
    what: 'Reads this run\'s probe object and compares its bytes with what was written. No other object is read.',
    why: 'Flyte reads inputs, outputs and code bundles; without s3:GetObject tasks fail with 403 on HeadObject/GetObject.',
    fix: 'Grant s3:GetObject on arn:aws:s3:::<bucket>/* to the Flyte identity.',
  },
  async run(ctx): Promise<Outcome> {
    const st = ctx.target.storage!;
    const bucket = bucketFor(ctx);
    const state = await probeState(ctx, 's3', bucket);
    const client = await s3ClientFor(ctx);
    const { GetObjectCommand } = await import('@aws-sdk/client-s3');
    try {
      const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: state.probeKey }), { abortSignal: ctx.signal });
      const got = Buffer.from(await r.Body!.transformToByteArray());
      const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
      const details = { bucket, key: state.probeKey, bytesWritten: state.body.length, bytesRead: got.length, sha256Written: sha(state.body), sha256Read: sha(got) };
      if (!got.equals(state.body)) return { status: 'fail', messageId: 'bytesDiffer', message: `read back ${got.length} bytes from s3://${bucket}/${state.probeKey} that differ from the ${state.body.length} written`, hint: 'something rewrites objects (a proxy, gateway or transformation); check the endpoint and bucket settings', details };
      return { status: 'pass', messageId: 'readBack', message: `read s3://${bucket}/${state.probeKey} back: ${got.length} bytes, identical`, details };
    } catch (e) {
      const err = s3ErrorOf(e);
      if (err.name === 'NoSuchKey') return { status: 'fail', messageId: 'probeMissing', message: `the probe object s3://${bucket}/${state.probeKey} written moments ago is not there (NoSuchKey)`, hint: 'check lifecycle rules and replication/gateway settings of the bucket', details: { bucket, key: state.probeKey } };
      const f = s3OpFailure(st, bucket, 'GetObject', 's3:GetObject', true, err);
      if (f) return f;
      throw e;
    }
  },
});
