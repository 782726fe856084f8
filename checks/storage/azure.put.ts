import { azureProbeState, azureProbeWrite } from '../../src/clients/azure.js';
import { defineCheck } from '../../src/engine/define.js';
import { azureInstances } from '../../src/flyte/storage.js';
import { AZURE_FAILURES, azureFailure, azureNotAzure, SKIP_MESSAGES, azureOpen } from './_support.js';

export default defineCheck({
  id: 'storage.azure.put',
  title: 'Flyte\'s identity may write blobs (Put Blob)',
  phases: ['preflight', 'verify'],
  needs: ['storage.azure'],
  dependsOn: ['storage.azure.container'],
  instances: azureInstances,
  writes: 'probe-object',
  messages: {
    written: { status: 'pass', summary: 'The probe blob was written and Azure Storage answered (ETag, request id); the auth mode is named.' },
    ...SKIP_MESSAGES,
    ...AZURE_FAILURES,
  },
  explain: {
    what: 'Writes one small probe blob under `flyte-doctor/<run-id>/` (never elsewhere) and requires an Azure answer (ETag and x-ms-request-id; an HTML page is not a write). It is deleted at the end of the run, also on failure, timeout and Ctrl-C, and the run reports anything that may remain.',
    why: 'Flyte writes workflow metadata and task outputs; without write permission (Storage Blob Data Contributor, or a SAS with c and w) every execution fails.',
    fix: 'Assign Storage Blob Data Contributor on the container (or account) to Flyte\'s managed identity, or issue a SAS with racwdl.',
  },
  async run(ctx) {
    const open = await azureOpen(ctx, 'put', 'PutBlob');
    if ('done' in open) return open.done;
    const { op, container, box, who } = open;
    const state = await azureProbeState(ctx, container);
    const w = await azureProbeWrite(ctx, container);
    if (!w.ok) return azureFailure(ctx, op, w.error, box.identity);
    const details = { container, key: state.probeKey, bytes: state.body.length, etag: w.answer?.headers.etag ?? null, httpStatus: w.answer?.status ?? null, ...who.details };
    if (!w.answer?.azure || !w.answer.headers.etag) return azureNotAzure(ctx, w.answer!, `PutBlob on abfs://${container}`, details);
    return { status: 'pass', messageId: 'written', message: `wrote abfs://${container}/${state.probeKey} (${state.body.length} bytes, ETag ${w.answer.headers.etag})${who.suffix}`, details };
  },
});
