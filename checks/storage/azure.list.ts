import { azureCall, azureProbeState, azureProbeWrite, okAnswer } from '../../src/clients/azure.js';
import { defineCheck } from '../../src/engine/define.js';
import { azureInstances } from '../../src/flyte/storage.js';
import { AZURE_FAILURES, azureFailure, azureNotAzure, SKIP_MESSAGES, azureOpen } from './_support.js';

export default defineCheck({
  id: 'storage.azure.list',
  title: 'Flyte\'s identity may list blobs (List Blobs)',
  phases: ['preflight', 'verify'],
  needs: ['storage.azure'],
  dependsOn: ['storage.azure.container'],
  instances: azureInstances,
  writes: 'none',
  messages: {
    listed: { status: 'pass', summary: 'Listing this run\'s prefix showed the probe blob.' },
    listAllowed: { status: 'pass', summary: 'No probe blob could be written (see storage.azure.put), but listing this run\'s prefix was allowed.' },
    probeNotListed: { status: 'fail', summary: 'The listing of this run\'s prefix does not show the probe blob written moments ago.' },
    ...SKIP_MESSAGES,
    ...AZURE_FAILURES,
  },
  explain: {
    what: 'Lists `flyte-doctor/<run-id>/` (nothing else) and looks for the probe blob.',
    why: 'Flyte lists prefixes (datacatalog, multipart outputs, `pyflyte` fast registration); without list permission (a SAS without l) those fail while single reads work.',
    fix: 'Assign Storage Blob Data Contributor (Reader lists too) on the container to Flyte\'s managed identity, or issue a SAS with l.',
  },
  async run(ctx) {
    const open = await azureOpen(ctx, 'list', 'ListBlobs');
    if ('done' in open) return open.done;
    const { op, container, box, who } = open;
    const state = await azureProbeState(ctx, container);
    const w = await azureProbeWrite(ctx, container);
    const c = box.service.getContainerClient(container);
    try {
      const page = await azureCall(ctx, 'ListBlobs', async (s) => (await c.listBlobsFlat({ prefix: state.prefix, abortSignal: s }).byPage({ maxPageSize: 100 }).next()).value);
      const a = okAnswer(page);
      const names: string[] = ((page as { segment?: { blobItems?: { name?: string }[] } } | undefined)?.segment?.blobItems ?? []).map((b) => String(b?.name ?? ''));
      const details = { container, prefix: state.prefix, found: names.slice(0, 10), ...who.details };
      if (!a.azure) return azureNotAzure(ctx, a, `ListBlobs on abfs://${container}`, details);
      if (!w.ok) return { status: 'pass', messageId: 'listAllowed', message: `listing abfs://${container}/${state.prefix} is allowed (${names.length} blobs; no probe blob was written, see storage.azure.put)${who.suffix}`, details };
      if (names.includes(state.probeKey)) return { status: 'pass', messageId: 'listed', message: `listed abfs://${container}/${state.prefix}: the probe blob is there${who.suffix}`, details };
      return { status: 'fail', messageId: 'probeNotListed', message: `the listing of abfs://${container}/${state.prefix} does not show the probe blob written moments ago (${names.length} entries)`, hint: 'something between here and the store filters listings, or the account lists another namespace (a gateway, an emulator with another account); check the endpoint', details };
    } catch (e) {
      return azureFailure(ctx, op, e, box.identity);
    }
  },
});
