// Probe cleanup is parallel and bounded: a store that stops answering after the probe was written
// costs the run a few seconds in total (not 15 s per bucket), and the report says exactly what may
// remain (bucket, prefix, keys) with the delete command.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLEANUP_BUDGET_MS, pendingResidue, residueLine } from '../../../src/clients/s3.js';
import { runSelection } from '../../harness/run-check.js';
import { startFakeS3, type S3OpName } from './fake-stores.js';
import { s3Target } from './store-target.js';

const KEY = { accessKey: 'FAKESTORE0KEY1234567', secretKey: 'fake-store-secret-key-1' };
let srv: Awaited<ReturnType<typeof startFakeS3>>;
const stalled = new Set<S3OpName>();
beforeAll(async () => {
  srv = await startFakeS3((op) => (stalled.has(op) ? { status: -1 } : undefined));
});
afterAll(async () => { await srv.stop(); });

describe('bounded probe cleanup', () => {
  it('deletes and listings that never answer: the run ends within the budget, both buckets reported with the command', async () => {
    stalled.clear();
    const t = s3Target(KEY, { endpoint: `http://127.0.0.1:${srv.port}` });
    // Stall the cleanup's requests only once the puts are done: the probes are put-only here.
    const p = runSelection(t, 'preflight', ['storage.s3.put'], { timeoutMs: 3000 });
    const waitPuts = async () => { for (let i = 0; i < 300 && srv.requests.filter((r) => r === 'PUT put').length < 2; i++) await new Promise((r) => setTimeout(r, 10)); };
    srv.requests.length = 0;
    await waitPuts();
    for (const op of ['delete', 'list', 'head-object'] as const) stalled.add(op);
    const t0 = Date.now();
    const run = await p;
    const afterPuts = Date.now() - t0;
    stalled.clear();
    expect(run.results.filter((r) => r.id === 'storage.s3.put').map((r) => r.status)).toEqual(['pass', 'pass']);
    expect(afterPuts).toBeLessThan(CLEANUP_BUDGET_MS + 1500); // both buckets in parallel, not one after the other
    expect(run.cleanupFailures.length).toBe(2);
    for (const f of run.cleanupFailures) {
      expect(f.error).toMatch(/^residue unknown: could not confirm s3:\/\/flyte-(metadata|userdata)\/flyte-doctor\/.+\/ is empty/);
      expect(f.error).toContain('probe.txt');
      expect(f.error).toContain(`aws s3 rm --recursive s3://`);
      expect(f.error).toContain(`--endpoint-url http://127.0.0.1:${srv.port}`);
    }
    expect(pendingResidue(run.runId).map((r) => r.bucket).sort()).toEqual(['flyte-metadata', 'flyte-userdata']);
    expect(residueLine(run.runId)).toContain('may still hold probe objects');
    // The store answers again: remove what the run left.
    for (const k of [...srv.objects.keys()]) if (k.includes(run.runId)) srv.objects.delete(k);
  });
});
