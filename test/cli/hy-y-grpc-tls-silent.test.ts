// A gRPC endpoint that completes TCP and the TLS handshake (ALPN h2), then never sends its HTTP/2
// SETTINGS (a hung TLS terminator, a proxy whose upstream is gone). grpc-js reports only "Deadline
// exceeded … Waiting for LB pick", the same as for a port a firewall drops: the report said "no
// answer … a firewall / security group drops TCP". It is connected, so the finding is the server's.
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTestbed } from '../harness/testbed.js';
import { runCli, tmpFiles } from './helpers.js';

const bed = getTestbed();
const PORT = 31823; // helper y's range
let server: Server;
const sockets = new Set<TLSSocket>();

beforeAll(async () => {
  server = createServer({ cert: readFileSync(join(bed.dir, 'pki', 'nginx.crt')), key: readFileSync(join(bed.dir, 'pki', 'nginx.key')), ALPNProtocols: ['h2'] }, (s) => {
    sockets.add(s); s.on('error', () => undefined); s.on('close', () => sockets.delete(s)); // silent after the handshake
  });
  await new Promise<void>((r) => server.listen(PORT, '127.0.0.1', r));
});
afterAll(async () => { for (const s of sockets) s.destroy(); await new Promise((r) => server.close(r)); });

async function grpcCheck(hostPort: string) {
  const dir = tmpFiles({
    'values.yaml': 'configuration:\n  database: {host: db.example.com, port: 5432, username: u, password: hy-y-pw-3, dbname: flyteadmin}\n',
    'flytectl.yaml': `admin:\n  endpoint: dns:///${hostPort}\n  insecure: false\n  caCertFilePath: ${bed.caCert}\n`,
  });
  const t0 = Date.now();
  const r = await runCli(['verify', '-f', 'values.yaml', '--flytectl-config', 'flytectl.yaml', '--only', 'flyte.admin.grpc', '--timeout', '3s', '-o', 'json'], { cwd: dir });
  if (!r.stdout.trim()) throw new Error(`exit ${r.code}: ${r.stderr}`);
  const doc = JSON.parse(r.stdout) as { results: { id: string; status: string; messageId?: string; cause?: string; message: string; hint?: string; details?: Record<string, unknown> }[] };
  return { ms: Date.now() - t0, res: doc.results.find((x) => x.id === 'flyte.admin.grpc')! };
}

describe('gRPC: TLS handshake done, then silence', () => {
  it('is "connected, but no answer" (the server\'s finding), not a firewall, within --timeout', async () => {
    const { ms, res } = await grpcCheck(`127.0.0.1:${PORT}`);
    expect(ms).toBeLessThan(4000);
    expect(res).toMatchObject({
      status: 'fail', messageId: 'noAnswer', cause: 'backend:flyteadmin',
      message: expect.stringMatching(new RegExp(`^connected to 127\\.0\\.0\\.1:${PORT}, but /flyteidl\\.service\\.AdminService/GetVersion got no answer within \\d+(\\.\\d)?s \\(DEADLINE_EXCEEDED\\)`)),
    });
    expect(res.hint).not.toMatch(/firewall/);
    expect(String(res.details?.grpcDetails)).toMatch(/the TLS handshake completed \(ALPN h2\), then the server sent nothing \(no HTTP\/2 SETTINGS\)$/);
  }, 20_000);
});
