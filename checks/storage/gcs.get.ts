import { gcsCall, gcsIdentity, GcsProbeError, objectPath, type GcsIdentity } from '../../src/clients/gcs.js';
import { probeState } from '../../src/clients/s3.js';
import { defineCheck } from '../../src/engine/define.js';
import { bucketInstances } from '../../src/flyte/storage.js';
import { bucketFor, CANNOT_PROBE, GCS_FAILURES, gcsFinding, gcsNotGcs, gcsWhoNote, notCheckedHere, SKIP_MESSAGES, type GcsOp } from './_support.js';

export default defineCheck({
  id: 'storage.gcs.get',
  title: 'Flyte\'s identity may read objects back, byte for byte (storage.objects.get)',
  phases: ['preflight', 'verify'],
  needs: ['storage.gcs'],
  dependsOn: ['storage.gcs.put'],
  instances: bucketInstances,
  writes: 'none',
  messages: {
    readBack: { status: 'pass', summary: 'The probe object was read back, byte for byte.' },
    bytesDiffer: { status: 'fail', summary: 'GCS returned other bytes than were written.' },
    probeMissing: { status: 'fail', summary: 'The probe object written moments ago is not there (404).' },
    ...SKIP_MESSAGES,
    ...GCS_FAILURES,
  },
  explain: { what: 'Reads this run\'s probe object and compares the bytes.', why: 'Flyte reads inputs, outputs and code bundles.', fix: 'Grant storage.objects.get on the bucket.' },
  async run(ctx) {
    const skip = notCheckedHere(ctx, ['storage.gcs.bucket'], CANNOT_PROBE);
    if (skip) return { status: 'skip', messageId: 'notCheckedHere', message: skip };
    const st = ctx.target.storage!;
    const bucket = bucketFor(ctx);
    const op: GcsOp = { bucket, op: 'object read', permission: 'storage.objects.get', instanceKey: ctx.instance?.key };
    let id: GcsIdentity;
    try { id = await gcsIdentity(ctx); } catch (e) { return gcsFinding(ctx, op, e); }
    const state = await probeState(ctx, 'gcs', bucket);
    const who = gcsWhoNote(st, id);
    try {
      const a = await gcsCall(ctx, op.op, 'GET', `${objectPath(bucket, state.probeKey)}?alt=media`);
      const got = a.body;
      const details = { bucket, key: state.probeKey, bytesWritten: state.body.length, bytesRead: got.length, ...who.details };
      if (got.equals(state.body)) return { status: 'pass', messageId: 'readBack', message: `read gs://${bucket}/${state.probeKey} back: ${got.length} bytes, identical${who.suffix}`, details };
      if (!a.gcs) return gcsNotGcs(ctx, a, `object read of gs://${bucket}`, details);
      return { status: 'fail', messageId: 'bytesDiffer', message: `read back ${got.length} bytes from gs://${bucket}/${state.probeKey} that differ from what was written`, hint: 'something rewrites objects (a proxy or gateway); check the endpoint', details };
    } catch (e) {
      if (e instanceof GcsProbeError && e.status === 404) return { status: 'fail', messageId: 'probeMissing', message: `the probe object gs://${bucket}/${state.probeKey} written moments ago is not there (404)`, hint: 'check lifecycle rules and retention settings of the bucket', details: { bucket, key: state.probeKey } };
      return gcsFinding(ctx, op, e, id);
    }
  },
});
