// A check that makes its HTTP requests one after the other (auth.discovery.metadata: the OAuth
// discovery document, then /config/v1/flyte_client) against an endpoint that accepts and never
// answers: each request's own timeout is capped by what is left of the check's budget, so the
// check ends with its finding ("no answer from … within …"), not with the engine's "timed out".
import { describe, expect, it } from 'vitest';
import { getTestbed } from '../harness/testbed.js';
import { runCli, tmpFiles } from './helpers.js';

const bed = getTestbed();

describe('sequential requests to a dead endpoint', () => {
  for (const timeout of [3000, 5000]) {
    it(`auth.discovery.metadata against the stall port ends as its own finding within --timeout ${timeout}ms`, async () => {
      const dir = tmpFiles({
        'values.yaml': 'configuration:\n  auth:\n    enabled: true\n',
        'flytectl.yaml': `admin:\n  endpoint: dns:///${bed.stall.host}:${bed.stall.port}\n  insecure: false\n`,
      });
      const t0 = Date.now();
      const r = await runCli(['verify', '-f', 'values.yaml', '--flytectl-config', 'flytectl.yaml', '--only', 'auth.discovery.metadata', '--timeout', `${timeout}ms`, '-o', 'json'], { cwd: dir });
      const ms = Date.now() - t0;
      if (!r.stdout.trim()) throw new Error(`exit ${r.code}: ${r.stderr}`);
      const res = (JSON.parse(r.stdout) as { results: { id: string; status: string; messageId?: string; message: string; durationMs: number }[] }).results.find((x) => x.id === 'auth.discovery.metadata')!;
      expect(ms).toBeLessThan(timeout + 1000);
      expect(res.durationMs).toBeLessThanOrEqual(timeout);
      // the stall port accepts TCP and never answers: a silent server (not a firewall), said as such
      expect(res).toMatchObject({ status: 'fail', messageId: 'silentServer', message: expect.stringMatching(new RegExp(`^${bed.stall.host.replace(/\./g, '\\.')}:${bed.stall.port} accepted the TCP connection but sent nothing back .* within \\d+(\\.\\d)?s: .*not a firewall`)) });
    }, 20_000);
  }
});
