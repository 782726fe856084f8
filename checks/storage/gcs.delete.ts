import { gcsCall, gcsIdentity, GcsProbeError, objectPath, registerGcsCleanup, uploadPath, type GcsIdentity } from '../../src/clients/gcs.js';
import { probeState } from '../../src/clients/s3.js';
import { defineCheck } from '../../src/engine/define.js';
import { bucketInstances } from '../../src/flyte/storage.js';
import { bucketFor, CANNOT_PROBE, GCS_FAILURES, gcsFinding, gcsNotGcs, gcsWhoNote, notCheckedHere, SKIP_MESSAGES, type GcsOp } from './_support.js';

export default defineCheck({
  id: 'storage.gcs.delete',
  title: 'Flyte\'s identity may delete objects (storage.objects.delete), and they are gone afterwards',
  phases: ['preflight', 'verify'],
  needs: ['storage.gcs'],
  dependsOn: ['storage.gcs.put'],
  instances: bucketInstances,
  writes: 'probe-object',
  messages: {
    deleted: { status: 'pass', summary: 'The second probe object was deleted and a lookup answers 404.' },
    deletedUnconfirmed: { status: 'pass', summary: 'The delete was accepted; that the object is gone could not be confirmed.' },
    stillThere: { status: 'fail', summary: 'The delete was accepted but the object is still there (retention policy, object hold).' },
    ...SKIP_MESSAGES,
    ...GCS_FAILURES,
  },
  explain: { what: 'Writes a second probe object under `flyte-doctor/<run-id>/`, deletes it and confirms it is gone.', why: 'Flyte deletes and overwrites objects.', fix: 'Grant storage.objects.delete on the bucket.' },
  async run(ctx) {
    const skip = notCheckedHere(ctx, ['storage.gcs.bucket'], CANNOT_PROBE);
    if (skip) return { status: 'skip', messageId: 'notCheckedHere', message: skip };
    const st = ctx.target.storage!;
    const bucket = bucketFor(ctx);
    const op = (o: string, permission: string): GcsOp => ({ bucket, op: o, permission, instanceKey: ctx.instance?.key });
    let id: GcsIdentity;
    try { id = await gcsIdentity(ctx); } catch (e) { return gcsFinding(ctx, op('object delete', 'storage.objects.delete'), e); }
    const state = await probeState(ctx, 'gcs', bucket);
    const key = `${state.prefix}delete-probe.txt`;
    state.keys.add(key);
    registerGcsCleanup(ctx, state);
    const who = gcsWhoNote(st, id);
    try {
      const a = await gcsCall(ctx, 'object write (delete probe)', 'POST', uploadPath(bucket, key), { body: state.body, contentType: 'text/plain' });
      if ((a.json as { name?: unknown } | undefined)?.name !== key) return gcsNotGcs(ctx, a, `object write to gs://${bucket}`, { bucket, key });
    } catch (e) { return gcsFinding(ctx, op('object write (delete probe)', 'storage.objects.create'), e, id); }
    try { await gcsCall(ctx, 'object delete', 'DELETE', objectPath(bucket, key)); } catch (e) {
      const f = gcsFinding(ctx, op('object delete', 'storage.objects.delete'), e, id);
      return { ...f, details: { ...f.details, leftBehind: `gs://${bucket}/${key}` } };
    }
    let gone: boolean | undefined;
    try {
      const a = await gcsCall(ctx, 'object lookup', 'GET', objectPath(bucket, key));
      gone = (a.json as { name?: unknown } | undefined)?.name === key ? false : undefined;
    } catch (e) { gone = e instanceof GcsProbeError && e.status === 404 && !!e.answer?.gcs ? true : undefined; }
    const details = { bucket, key, ...who.details };
    if (gone === false) return { status: 'fail', messageId: 'stillThere', message: `gs://${bucket}/${key} is still there after the delete`, hint: 'check retention policies / object holds on the bucket', details };
    if (gone === undefined) return { status: 'pass', messageId: 'deletedUnconfirmed', message: `deleted gs://${bucket}/${key} (could not confirm it is gone)${who.suffix}`, details };
    return { status: 'pass', messageId: 'deleted', message: `deleted gs://${bucket}/${key} and confirmed it is gone${who.suffix}`, details };
  },
});
