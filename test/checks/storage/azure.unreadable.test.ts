// A server with Azure's headers whose 2xx answers are not Azure Blob's (an empty 200 to Get Blob, no
// EnumerationResults in a listing): the SDK gives up on them, and that used to surface as the
// checks' own `error` ("check could not run: File download response doesn't contain valid content
// length header"). It is a finding about what answers: notAzure. Azurite always answers properly, so
// a private HTTP server on 127.0.0.1 sends Azure's headers (x-ms-request-id, x-ms-version) with
// those bodies; the healthy half is Azurite's run in azure.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../../src/config/secret.js';
import type { StorageTarget } from '../../../src/config/target.js';
import { runSelection } from '../../harness/run-check.js';
import { startHttp } from '../../harness/private-servers.js';
import { makeTarget } from '../../harness/target.js';

let srv: Awaited<ReturnType<typeof startHttp>>;
beforeAll(async () => {
  srv = await startHttp((req, res) => {
    const h = { 'x-ms-request-id': 'f00d', 'x-ms-version': '2021-08-06', server: 'Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0', date: new Date().toUTCString() };
    // writes and deletes answer like Azure (201 / 202); reads and listings answer an empty 200
    res.writeHead(req.method === 'PUT' ? 201 : req.method === 'DELETE' ? 202 : 200, { ...h, ...(req.method === 'PUT' ? { etag: '"0x8D0"', 'last-modified': new Date().toUTCString() } : {}) });
    res.end();
  });
});
afterAll(async () => { await srv.stop(); });

const KEY = Buffer.from('k'.repeat(64)).toString('base64');
const target = () => makeTarget({ storage: { provider: 'azure', rawType: 'azure', authType: 'accesskey', azureAuth: 'key', account: 'fdacct', endpoint: `http://127.0.0.1:${srv.port}/fdacct`, metadataBucket: 'flyte', secretKey: new Secret(KEY), signedUrlKey: 'configuration.inline.storage.signedUrl.stowConfigOverride.endpoint', valuesKey: 'configuration.storage' } as StorageTarget });

describe('Azure-looking answers the SDK cannot read', () => {
  it('an empty 200 to Get Blob and to List Blobs: notAzure (a finding), never an error and never a pass', async () => {
    const run = await runSelection(target(), 'preflight', ['storage.azure.*']);
    expect(run.results.filter((r) => r.status === 'error').map((r) => `${r.id} ${r.message}`)).toEqual([]);
    for (const id of ['storage.azure.get', 'storage.azure.list']) {
      const r = run.results.find((x) => x.id === id)!;
      expect(r, id).toMatchObject({ status: 'fail', messageId: 'notAzure' });
      expect(r.message).toContain('not one Azure Blob Storage gives');
      expect(r.cause).toBe(`wrong-service:127.0.0.1:${srv.port}`);
      expect(JSON.stringify(r)).not.toContain(KEY);
    }
  });
});
