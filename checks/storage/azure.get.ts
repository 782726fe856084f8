import { createHash } from 'node:crypto';
import { azureCall, azureProbeState, azureProbeWrite, AzureProbeError, okAnswer } from '../../src/clients/azure.js';
import { defineCheck } from '../../src/engine/define.js';
import { azureInstances } from '../../src/flyte/storage.js';
import { AZURE_FAILURES, azureFailure, azureNotAzure, SKIP_MESSAGES, azureOpen } from './_support.js';

async function readAll(stream: NodeJS.ReadableStream | undefined, limit = 1 << 20): Promise<Buffer> {
  if (!stream) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const ch of stream as AsyncIterable<Buffer | string>) {
    const b = Buffer.isBuffer(ch) ? ch : Buffer.from(ch);
    size += b.length;
    if (size <= limit) chunks.push(b);
  }
  return Buffer.concat(chunks);
}

export default defineCheck({
  id: 'storage.azure.get',
  title: 'Flyte\'s identity may read blobs back, byte for byte (Get Blob)',
  phases: ['preflight', 'verify'],
  needs: ['storage.azure'],
  dependsOn: ['storage.azure.container'],
  instances: azureInstances,
  writes: 'none',
  messages: {
    readBack: { status: 'pass', summary: 'The probe blob was read back, byte for byte.' },
    readAllowed: { status: 'pass', summary: 'No probe blob could be written (see storage.azure.put), but reading it answered BlobNotFound: reads are authorised.' },
    bytesDiffer: { status: 'fail', summary: 'An Azure answer returned other bytes than were written (a gateway rewrites blobs).' },
    probeMissing: { status: 'fail', summary: 'BlobNotFound: the probe blob written moments ago is not there (lifecycle rules, replication, a gateway).' },
    ...SKIP_MESSAGES,
    ...AZURE_FAILURES,
  },
  explain: {
    what: 'Reads this run\'s probe blob and compares its bytes with what was written. When the write was refused, reads the (missing) probe blob anyway: Azure checks the permission before the blob\'s existence, so BlobNotFound proves the read is authorised and 403 names what is missing. No other blob is read.',
    why: 'Flyte reads inputs, outputs and code bundles; without read permission (Storage Blob Data Reader at least, or a SAS with r) tasks fail.',
    fix: 'Assign Storage Blob Data Contributor (or Reader for read-only use) on the container to Flyte\'s managed identity, or issue a SAS with r.',
  },
  async run(ctx) {
    const open = await azureOpen(ctx, 'get', 'GetBlob');
    if ('done' in open) return open.done;
    const { op, container, box, who } = open;
    const state = await azureProbeState(ctx, container);
    const w = await azureProbeWrite(ctx, container);
    const blob = box.service.getContainerClient(container).getBlobClient(state.probeKey);
    try {
      const res = await azureCall(ctx, 'GetBlob', async (s) => {
        const r = await blob.download(0, undefined, { abortSignal: s });
        return { r, body: await readAll(r.readableStreamBody) };
      });
      const a = okAnswer(res.r);
      const got = res.body;
      const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
      const details = { container, key: state.probeKey, bytesWritten: state.body.length, bytesRead: got.length, sha256Written: sha(state.body), sha256Read: sha(got), ...who.details };
      if (!a.azure) return azureNotAzure(ctx, { ...a, body: got.subarray(0, 4096).toString('utf8') }, `GetBlob on abfs://${container}`, details);
      if (got.equals(state.body)) return { status: 'pass', messageId: 'readBack', message: `read abfs://${container}/${state.probeKey} back: ${got.length} bytes, identical${who.suffix}`, details };
      return { status: 'fail', messageId: 'bytesDiffer', message: `read back ${got.length} bytes from abfs://${container}/${state.probeKey} that differ from the ${state.body.length} written`, hint: 'something rewrites blobs (a proxy or gateway); check the endpoint', details };
    } catch (e) {
      if (e instanceof AzureProbeError && e.status === 404 && e.answer?.azure && (e.code === 'BlobNotFound' || !e.code)) {
        if (!w.ok) return { status: 'pass', messageId: 'readAllowed', message: `reads are authorised: the probe blob could not be written (storage.azure.put), and reading it answered BlobNotFound, not 403${who.suffix}`, details: { container, key: state.probeKey, httpStatus: 404, code: e.code ?? null, ...who.details } };
        return { status: 'fail', messageId: 'probeMissing', message: `the probe blob abfs://${container}/${state.probeKey} written moments ago is not there (BlobNotFound)`, hint: 'check lifecycle management rules, object replication and gateways of the account (a blob written must be readable right away)', details: { container, key: state.probeKey } };
      }
      return azureFailure(ctx, op, e, box.identity);
    }
  },
});
