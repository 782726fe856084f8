import { gcsCall, gcsIdentity, listedNames, listPath, type GcsIdentity } from '../../src/clients/gcs.js';
import { probeState } from '../../src/clients/s3.js';
import { defineCheck } from '../../src/engine/define.js';
import { bucketInstances } from '../../src/flyte/storage.js';
import { bucketFor, CANNOT_PROBE, GCS_FAILURES, gcsFinding, gcsNotGcs, gcsWhoNote, notCheckedHere, SKIP_MESSAGES, type GcsOp } from './_support.js';

export default defineCheck({
  id: 'storage.gcs.list',
  title: 'Flyte\'s identity may list objects (storage.objects.list)',
  phases: ['preflight', 'verify'],
  needs: ['storage.gcs'],
  dependsOn: ['storage.gcs.put'],
  instances: bucketInstances,
  writes: 'none',
  messages: {
    listed: { status: 'pass', summary: 'A listing (storage#objects) of this run\'s prefix shows the probe object.' },
    probeNotListed: { status: 'fail', summary: 'The listing does not show the probe object that was just written.' },
    ...SKIP_MESSAGES,
    ...GCS_FAILURES,
  },
  explain: { what: 'Lists only `flyte-doctor/<run-id>/` and expects the probe object.', why: 'Flyte (propeller) lists prefixes.', fix: 'Grant storage.objects.list on the bucket.' },
  async run(ctx) {
    const skip = notCheckedHere(ctx, ['storage.gcs.bucket'], CANNOT_PROBE);
    if (skip) return { status: 'skip', messageId: 'notCheckedHere', message: skip };
    const st = ctx.target.storage!;
    const bucket = bucketFor(ctx);
    const op: GcsOp = { bucket, op: 'object list', permission: 'storage.objects.list', instanceKey: ctx.instance?.key };
    let id: GcsIdentity;
    try { id = await gcsIdentity(ctx); } catch (e) { return gcsFinding(ctx, op, e); }
    const state = await probeState(ctx, 'gcs', bucket);
    const who = gcsWhoNote(st, id);
    try {
      const a = await gcsCall(ctx, op.op, 'GET', listPath(bucket, state.prefix));
      const l = listedNames(a);
      if (!l) return gcsNotGcs(ctx, a, `object list of gs://${bucket}`, { bucket, prefix: state.prefix });
      const seen = l.names.filter((n) => n.startsWith(state.prefix));
      const details = { bucket, prefix: state.prefix, seen, ...who.details };
      if (!seen.includes(state.probeKey)) return { status: 'fail', messageId: 'probeNotListed', message: `listing gs://${bucket}/${state.prefix} does not show the probe object`, hint: 'check IAM conditions on the bucket (resource.name prefixes) and the endpoint', details };
      return { status: 'pass', messageId: 'listed', message: `listing gs://${bucket}/${state.prefix} shows the probe object${who.suffix}`, details };
    } catch (e) {
      return gcsFinding(ctx, op, e, id);
    }
  },
});
