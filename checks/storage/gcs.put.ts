import { gcsCall, gcsIdentity, registerGcsCleanup, uploadPath, type GcsIdentity } from '../../src/clients/gcs.js';
import { probeState } from '../../src/clients/s3.js';
import { defineCheck } from '../../src/engine/define.js';
import { bucketInstances } from '../../src/flyte/storage.js';
import { bucketFor, CANNOT_PROBE, GCS_FAILURES, gcsFinding, gcsNotGcs, gcsWhoNote, notCheckedHere, SKIP_MESSAGES, type GcsOp } from './_support.js';

export default defineCheck({
  id: 'storage.gcs.put',
  title: 'Flyte\'s identity may write objects (storage.objects.create)',
  phases: ['preflight', 'verify'],
  needs: ['storage.gcs'],
  dependsOn: ['storage.gcs.bucket'],
  instances: bucketInstances,
  writes: 'probe-object',
  messages: {
    written: { status: 'pass', summary: 'The probe object was written (a storage#object resource for it came back).' },
    ...SKIP_MESSAGES,
    ...GCS_FAILURES,
  },
  explain: {
    what: 'Writes one small probe object under `flyte-doctor/<run-id>/` and requires GCS\'s answer (the storage#object resource of that name); deleted at the end of the run (also on failure, timeout and Ctrl-C), and what may remain is reported.',
    why: 'Flyte writes metadata and task outputs.',
    fix: 'Grant storage.objects.create (roles/storage.objectAdmin) on the bucket.',
  },
  async run(ctx) {
    const skip = notCheckedHere(ctx, ['storage.gcs.bucket'], CANNOT_PROBE);
    if (skip) return { status: 'skip', messageId: 'notCheckedHere', message: skip };
    const st = ctx.target.storage!;
    const bucket = bucketFor(ctx);
    const op: GcsOp = { bucket, op: 'object write', permission: 'storage.objects.create', instanceKey: ctx.instance?.key };
    let id: GcsIdentity;
    try { id = await gcsIdentity(ctx); } catch (e) { return gcsFinding(ctx, op, e); }
    const state = await probeState(ctx, 'gcs', bucket);
    state.keys.add(state.probeKey);
    registerGcsCleanup(ctx, state);
    const who = gcsWhoNote(st, id);
    try {
      const a = await gcsCall(ctx, op.op, 'POST', uploadPath(bucket, state.probeKey), { body: state.body, contentType: 'text/plain' });
      const o = a.json as { kind?: unknown; name?: unknown; size?: unknown } | undefined;
      if (o?.name !== state.probeKey) return gcsNotGcs(ctx, a, `object write to gs://${bucket}`, { bucket, key: state.probeKey });
      return { status: 'pass', messageId: 'written', message: `wrote gs://${bucket}/${state.probeKey} (${state.body.length} bytes)${who.suffix}`, details: { bucket, key: state.probeKey, bytes: state.body.length, ...who.details } };
    } catch (e) {
      return gcsFinding(ctx, op, e, id);
    }
  },
});
