// `flyte-doctor cleanup` against an S3-compatible server of the test's own whose ListObjectsV2 never
// ends: IsTruncated=true on every page, with the same continuation token, or with a new one on
// every (empty) page. Before, the listing looped for ~42 s and ~42,000 requests at --timeout 3s and
// listed the same prefix 20 times; now it ends with an error naming the listing, within its budget.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

const PORT = 31830;
let mode: 'same' | 'new' = 'same';
let requests = 0;
let server: Server;
const xml = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>${body}</ListBucketResult>`;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    const u = new URL(req.url ?? '/', 'http://x');
    const token = u.searchParams.get('continuation-token');
    const next = mode === 'same' ? 'tok-same' : `tok-${requests}`;
    const delimiter = u.searchParams.get('delimiter');
    // the run prefixes (delimiter /): one stale run prefix on every page; the keys under it: empty pages
    const page = delimiter ? '<CommonPrefixes><Prefix>flyte-doctor/20200102T030405-aaaaaa/</Prefix></CommonPrefixes>' : '';
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.end(xml(`<Prefix>${u.searchParams.get('prefix') ?? ''}</Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys>${page}<IsTruncated>true</IsTruncated>${token ? `<ContinuationToken>${token}</ContinuationToken>` : ''}<NextContinuationToken>${next}</NextContinuationToken>`));
  });
  await new Promise<void>((r) => server.listen(PORT, '127.0.0.1', () => r()));
});
afterAll(async () => { server.closeAllConnections(); await new Promise((r) => server.close(r)); });

const values = () => {
  const dir = mkdtempSync(join(tmpdir(), 'fd-hy-y-cleanup-'));
  const f = join(dir, 'values.yaml');
  writeFileSync(f, ['configuration:', '  storage:', '    metadataContainer: hy-y-meta', '    userDataContainer: hy-y-meta', '    provider: s3', '    providerConfig:', '      s3:', `        endpoint: http://127.0.0.1:${PORT}`, '        authType: accesskey', '        accessKey: hyyaccesskey0001', '        secretKey: hy-y-secret-key-0123456789', '        region: us-east-1', '        disableSSL: true', ''].join('\n'));
  return { dir, f };
};

describe('cleanup: a listing that never ends', () => {
  for (const m of ['same', 'new'] as const) {
    it(`${m === 'same' ? 'the same continuation token on every page' : 'a new token on every empty page'}: ends within its budget with an error naming the listing`, async () => {
      mode = m; requests = 0;
      const { dir, f } = values();
      const t0 = Date.now();
      const r = await runCli(['cleanup', '-f', f, '--timeout', '2s', '-o', 'json'], { cwd: dir });
      const took = Date.now() - t0;
      expect(took, r.stderr).toBeLessThan(15_000);
      expect(requests).toBeLessThan(500);
      const doc = JSON.parse(r.stdout) as { buckets: { bucket: string; error?: string; prefixes: { prefix: string }[] }[] };
      const b = doc.buckets[0]!;
      const said = JSON.stringify(doc);
      if (m === 'same') expect(said).toMatch(/keeps answering the same continuation token/);
      else expect(said).toMatch(/"truncated":true|did not end within/); // cut at the page cap (or the listing's time budget), said so
      // the stale prefix the pages repeat is listed once
      expect(b.prefixes.filter((p) => p.prefix === 'flyte-doctor/20200102T030405-aaaaaa/').length).toBeLessThanOrEqual(1);
    }, 30_000);
  }
});
