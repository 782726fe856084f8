// A proxy variable without a scheme (HTTPS_PROXY=alice:pw@proxy:3128): curl, Go (net/http/httpproxy
// reads it as http://…) and Python's requests all accept it, and client.proxy.path dials it as
// http://alice:***@proxy. The target table printed the variable as a plain value, password and all
// (json, pretty, markdown, junit, --dry-run): the redactor knew userinfo only after a scheme.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getTestbed } from '../harness/testbed.js';
import { runCli } from './helpers.js';
import { findLeak } from './leaks.js';

const PASSWORD = 'Pr0xyPassw0rd-hyQ';

describe('a proxy URL with user:password and no scheme', () => {
  it('is never printed whole: the target fields, the proxy finding, every report format and --dry-run', async () => {
    const tb = getTestbed();
    const dir = mkdtempSync(join(tmpdir(), 'fd-hy-q-proxy-'));
    const proxy = `alice:${PASSWORD}@127.0.0.1:${tb.closedPort}`;
    const env = { PATH: process.env.PATH, HTTPS_PROXY: proxy, https_proxy: proxy, grpc_proxy: `bob:${PASSWORD}@proxy.example.com:3128` };
    const base = ['verify', '--flytectl-config', join(tb.dir, 'flytectl.yaml'), '--dns-server', tb.dns.server];
    const outs = ['json', 'junit', 'markdown', 'pretty'].map((f) => join(dir, `out.${f}`));
    const run = await runCli([...base, '--only', 'client.proxy.path', '--verbose',
      '--report', `json=${outs[0]}`, '--report', `junit=${outs[1]}`, '--report', `markdown=${outs[2]}`, '--report', `pretty=${outs[3]}`], { cwd: dir, env });
    const dry = await Promise.all(['json', 'pretty'].map((o) => runCli([...base, '--dry-run', '-o', o], { cwd: dir, env })));
    const texts = [run.stdout, run.stderr, ...outs.map((f) => readFileSync(f, 'utf8')), ...dry.flatMap((d) => [d.stdout, d.stderr])];
    for (const t of texts) expect(findLeak(t, PASSWORD, 8)).toBeUndefined();
    // what is not the password stays: the user, the proxy's address, the variable's name
    const fields = JSON.parse(dry[0]!.stdout).target.fields as { field: string; value: string }[];
    expect(fields.find((f) => f.field === 'client.proxyEnv.HTTPS_PROXY')?.value).toBe(`alice:***@127.0.0.1:${tb.closedPort}`);
    expect(fields.find((f) => f.field === 'client.proxyEnv.grpc_proxy')?.value).toBe('bob:***@proxy.example.com:3128');
    const result = JSON.parse(readFileSync(outs[0]!, 'utf8')).results.find((r: { id: string }) => r.id === 'client.proxy.path');
    expect(result.message).toContain(`http://alice:***@127.0.0.1:${tb.closedPort}`);
  });
});
