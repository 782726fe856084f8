import { azureCall, azureProbeState, AzureProbeError, okAnswer, registerAzureCleanup } from '../../src/clients/azure.js';
import { stepBudget } from '../../src/engine/budget.js';
import { defineCheck } from '../../src/engine/define.js';
import { azureInstances } from '../../src/flyte/storage.js';
import { AZURE_FAILURES, azureFailure, azureNotAzure, SKIP_MESSAGES, azureOpen } from './_support.js';

export default defineCheck({
  id: 'storage.azure.delete',
  title: 'Flyte\'s identity may delete blobs (Delete Blob)',
  phases: ['preflight', 'verify'],
  needs: ['storage.azure'],
  dependsOn: ['storage.azure.container'],
  instances: azureInstances,
  timeoutMs: 12_000,
  writes: 'probe-object',
  messages: {
    deleted: { status: 'pass', summary: 'A probe blob of its own was written, deleted, and is gone.' },
    deleteAllowed: { status: 'pass', summary: 'No blob could be written, but deleting the (missing) probe blob answered BlobNotFound: deletes are authorised.' },
    stillThere: { status: 'fail', summary: 'Delete Blob answered success but the blob is still there (soft delete does not do that; a gateway or policy).' },
    ...SKIP_MESSAGES,
    ...AZURE_FAILURES,
  },
  explain: {
    what: 'Writes a second probe blob under `flyte-doctor/<run-id>/`, deletes it and confirms it is gone. When writes are refused, deletes the missing blob anyway: Azure checks the permission first, so BlobNotFound proves the delete is authorised and 403 names what is missing. Whatever remains is deleted at the end of the run.',
    why: 'Flyte deletes intermediate data and replaces outputs; without delete permission (a SAS without d, Storage Blob Data Reader only) cleanup and overwrites fail.',
    fix: 'Assign Storage Blob Data Contributor on the container to Flyte\'s managed identity, or issue a SAS with d.',
  },
  async run(ctx) {
    const open = await azureOpen(ctx, 'delete', 'DeleteBlob');
    if ('done' in open) return open.done;
    const { op, container, box, who } = open;
    const state = await azureProbeState(ctx, container);
    const key = `${state.prefix}delete-probe.txt`;
    state.keys.add(key);
    registerAzureCleanup(ctx, state);
    const blob = box.service.getContainerClient(container).getBlockBlobClient(key);
    let written = false;
    try {
      await azureCall(ctx, 'PutBlob', (s) => blob.upload('flyte-doctor delete probe; safe to delete\n', 41, { abortSignal: s }), { timeoutMs: stepBudget(ctx, 4000) });
      written = true;
    } catch (e) {
      if (!(e instanceof AzureProbeError && e.kind === 'answer' && e.status === 403)) return azureFailure(ctx, { ...op, op: 'put', name: 'PutBlob (before the delete)' }, e, box.identity);
    }
    const details = { container, key, ...who.details };
    try {
      const res = await azureCall(ctx, 'DeleteBlob', (s) => blob.delete({ abortSignal: s }), { timeoutMs: stepBudget(ctx, 4000) });
      const a = okAnswer(res);
      if (!a.azure) return azureNotAzure(ctx, a, `DeleteBlob on abfs://${container}`, details);
    } catch (e) {
      if (!written && e instanceof AzureProbeError && e.status === 404 && e.answer?.azure && (e.code === 'BlobNotFound' || !e.code)) return { status: 'pass', messageId: 'deleteAllowed', message: `deletes are authorised: no blob could be written (403), and deleting the missing probe blob answered BlobNotFound${who.suffix}`, details };
      return azureFailure(ctx, op, e, box.identity);
    }
    try {
      await azureCall(ctx, 'GetBlobProperties', (s) => blob.getProperties({ abortSignal: s }), { timeoutMs: stepBudget(ctx, 3000) });
      return { status: 'fail', messageId: 'stillThere', message: `abfs://${container}/${key} was deleted (202) but is still there`, hint: 'check the container\'s policies and any gateway in front of the account; the cleanup at the end of the run tries again', details };
    } catch (e) {
      if (e instanceof AzureProbeError && e.status === 404) return { status: 'pass', messageId: 'deleted', message: `wrote, deleted and no longer found abfs://${container}/${key}${who.suffix}`, details };
      return azureFailure(ctx, { ...op, op: 'get', name: 'GetBlobProperties (after the delete)' }, e, box.identity);
    }
  },
});
