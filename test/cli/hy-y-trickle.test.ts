// An HTTP answer whose body trickles in (a byte every few hundred ms: below any idle timeout, so only
// a total deadline ends it) is bounded by the probe's own time and reported as a trickle, with what
// arrived; a body that really stopped is still reported as stopped. Real TLS servers on 127.0.0.1
// with the test bed's certificate (SAN 127.0.0.1), reached as the admin endpoint.
import { createServer, type Server } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTestbed } from '../harness/testbed.js';
import { runCli, tmpFiles } from './helpers.js';

const bed = getTestbed();
const tls = { cert: readFileSync(join(bed.dir, 'pki', 'nginx.crt')), key: readFileSync(join(bed.dir, 'pki', 'nginx.key')) };
const TRICKLE = 31821, STOPPED = 31822; // helper y's range
const servers: Server[] = [];

function serve(port: number, every: number | undefined): Promise<void> {
  const s = createServer(tls, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100000' });
    res.write('o');
    if (every === undefined) return; // one byte, then nothing
    const t = setInterval(() => res.write('k'), every);
    res.on('close', () => clearInterval(t));
  });
  servers.push(s);
  return new Promise((r) => s.listen(port, '127.0.0.1', () => r()));
}

beforeAll(async () => { await serve(TRICKLE, 300); await serve(STOPPED, undefined); });
afterAll(async () => { for (const s of servers) { s.closeAllConnections(); await new Promise((r) => s.close(r)); } });

async function healthcheck(port: number) {
  const dir = tmpFiles({
    'values.yaml': 'configuration:\n  database: {host: db.example.com, port: 5432, username: u, password: hy-y-pw-2, dbname: flyteadmin}\n',
    'flytectl.yaml': `admin:\n  endpoint: dns:///127.0.0.1:${port}\n  insecure: false\n  caCertFilePath: ${bed.caCert}\n`,
  });
  const t0 = Date.now();
  const r = await runCli(['verify', '-f', 'values.yaml', '--flytectl-config', 'flytectl.yaml', '--only', 'ingress.http.healthcheck', '--timeout', '3s', '-o', 'json'], { cwd: dir });
  if (!r.stdout.trim()) throw new Error(`exit ${r.code}: ${r.stderr}`);
  const doc = JSON.parse(r.stdout) as { results: { id: string; status: string; message: string }[] };
  return { ms: Date.now() - t0, res: doc.results.find((x) => x.id === 'ingress.http.healthcheck')! };
}

describe('an HTTP body that trickles in', () => {
  it('ends within --timeout as the probe\'s finding, saying it still trickled (not "stopped")', async () => {
    const { ms, res } = await healthcheck(TRICKLE);
    expect(ms).toBeLessThan(3000 + 1000);
    expect(res.status).toBe('fail');
    expect(res.message).toMatch(/^127\.0\.0\.1:31821 answered HTTP 200, then its body trickled in too slowly to finish: \d+ bytes of the 100000 its Content-Length announced in \d+(\.\d)?s, the last 0\.\ds ago \(still sending, not stopped\)/);
    expect(res.message).not.toMatch(/body stopped/);
  }, 20_000);

  it('a body that stopped after its first byte is still said to have stopped', async () => {
    const { ms, res } = await healthcheck(STOPPED);
    expect(ms).toBeLessThan(3000 + 1000);
    expect(res).toMatchObject({ status: 'fail', message: expect.stringMatching(/^127\.0\.0\.1:31822 answered HTTP 200, then its body stopped after 1 bytes of the 100000 its Content-Length announced \(no more within \d+(\.\d)?s\)/) });
  }, 20_000);
});
