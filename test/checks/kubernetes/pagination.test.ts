// 410 Expired in the middle of a paginated list, from the REAL kube-apiserver. A list whose reader is
// slower than etcd's compaction gets, on its next page, 410 with reason Expired and a token for the
// remainder in the Status' metadata.continue. That cannot be waited for here (compaction runs every
// 5 minutes), so a TLS pass-through on 127.0.0.1 in front of the test bed's API server (its
// certificate from the test bed's CA) does two things only: it asks for pages of 1 item, and it makes
// the continue token of the first page stale (its resourceVersion set to 2). On a fresh test bed
// revision 2 may not be compacted yet, so etcd is compacted to its current revision first (what the
// API server's own 5-minute compaction does). Every answer, the 410 included, is the real API
// server's.
import { request as httpsRequest, createServer, type Server } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { openKube } from '../../../src/clients/kube.js';
import { KUBE_PORTS } from '../../infra/kube.js';
import { testCert } from '../../harness/private-servers.js';
import { getTestbed } from '../../harness/testbed.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

const tb = () => getTestbed();
let server: Server;
let port = 0;
const seen: { path: string; status: number; reason?: string }[] = [];

function stale(token: string): string {
  const raw = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as Record<string, unknown>;
  return Buffer.from(JSON.stringify({ ...raw, rv: 2 })).toString('base64').replace(/=+$/, '');
}

/** Compacts the test bed's etcd to its current revision (etcdctl of the Debian etcd-client package). */
function compactEtcd(): void {
  const env = { ...process.env, ETCDCTL_API: '3' };
  const endpoints = `--endpoints=http://127.0.0.1:${KUBE_PORTS.etcdClient}`;
  const status = JSON.parse(execFileSync('etcdctl', [endpoints, 'endpoint', 'status', '-w', 'json'], { env, encoding: 'utf8' })) as { Status: { header: { revision: number } } }[];
  const rev = status[0]!.Status.header.revision;
  try { execFileSync('etcdctl', [endpoints, 'compact', String(rev)], { env, stdio: 'pipe' }); } catch (e) {
    // already compacted at or past rev (the API server's own compaction ran): fine
    if (!/compacted/.test(String((e as { stderr?: Buffer }).stderr ?? ''))) throw e;
  }
}

beforeAll(async () => {
  compactEtcd();
  // (the harness's existing 127.0.0.1 certificate, as server.test.ts uses: nothing new is written into the test bed)
  const c = testCert('kube-stuck', { sans: ['IP:127.0.0.1'] });
  const up = new URL(tb().kube.server);
  server = createServer({ cert: readFileSync(c.cert), key: readFileSync(c.key) }, (req, res) => {
    const u = new URL(req.url ?? '/', 'https://x');
    if (u.searchParams.has('limit')) u.searchParams.set('limit', '1');
    const out = httpsRequest({ host: up.hostname, port: up.port, path: `${u.pathname}${u.search}`, method: req.method, headers: { ...req.headers, host: up.host }, ca: readFileSync(tb().kube.caFile) }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (b: Buffer) => chunks.push(b));
      r.on('end', () => {
        let body = Buffer.concat(chunks);
        try {
          const j = JSON.parse(body.toString('utf8')) as { kind?: string; reason?: string; metadata?: { continue?: string } };
          seen.push({ path: `${u.pathname}${u.search}`, status: r.statusCode ?? 0, ...(j.reason ? { reason: j.reason } : {}) });
          // The first page's token made stale (only when the request had no continue yet).
          if (j.metadata?.continue && !u.searchParams.has('continue')) { j.metadata.continue = stale(j.metadata.continue); body = Buffer.from(JSON.stringify(j)); }
        } catch { /* not JSON: passed as is */ }
        res.writeHead(r.statusCode ?? 502, { 'content-type': r.headers['content-type'] ?? 'application/json' });
        res.end(body);
      });
    });
    out.on('error', () => { res.writeHead(502); res.end(); });
    req.pipe(out);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => { await new Promise((ok) => server.close(ok)); });

describe('a paginated list whose continue token expired (410 Expired)', () => {
  it('goes on with the remainder token the API server gives, and lists what a direct list lists', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fd-sweep-kube-pager-'));
    const kc = join(dir, 'config');
    writeFileSync(kc, stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
      clusters: [{ name: 'p', cluster: { server: `https://127.0.0.1:${port}`, 'certificate-authority': tb().kube.caFile } }, { name: 'd', cluster: { server: tb().kube.server, 'certificate-authority': tb().kube.caFile } }],
      users: [{ name: 'a', user: { token: tb().kube.tokens.admin } }],
      contexts: [{ name: 'c', context: { cluster: 'p', user: 'a' } }, { name: 'direct', context: { cluster: 'd', user: 'a' } }],
    }));
    const direct = await openKube({ kubeconfigPath: kc, context: 'direct', namespace: 'flyte', release: 'flyte' });
    const paged = await openKube({ kubeconfigPath: kc, context: 'c', namespace: 'flyte', release: 'flyte' });
    try {
      const signal = AbortSignal.timeout(10_000);
      const want = (await direct.list<{ metadata: { name: string } }>('/api/v1/namespaces/kube-system/configmaps', signal)).map((x) => x.metadata.name).sort();
      expect(want.length).toBeGreaterThan(1);
      const got = (await paged.list<{ metadata: { name: string } }>('/api/v1/namespaces/kube-system/configmaps', signal)).map((x) => x.metadata.name).sort();
      // The real API server did answer 410 Expired to the stale token.
      expect(seen.some((x) => x.status === 410 && x.reason === 'Expired'), JSON.stringify(seen)).toBe(true);
      expect(got).toEqual(want);
    } finally { direct.close(); paged.close(); rmSync(dir, { recursive: true, force: true }); }
  });
});
