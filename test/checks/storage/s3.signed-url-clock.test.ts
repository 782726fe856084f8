// A pre-signed URL lives 5 minutes (the data proxy's, and the probe's): a machine whose clock is
// 10 minutes behind the store's signs API calls the store still accepts (S3 allows 15 minutes), but
// every URL it signs is already expired for the store, which answers AccessDenied "Request has
// expired". That is the clock, not a missing s3:GetObject. Real MinIO; the run's clock is set back.
import { afterAll, describe, expect, it } from 'vitest';
import { builtinChecks } from '../../../checks/index.js';
import { plan } from '../../../src/engine/plan.js';
import { runChecks } from '../../../src/engine/run.js';
import type { Clock } from '../../../src/engine/types.js';
import { assertNoSecrets } from '../../harness/run-check.js';
import { assertS3Clean, s3Target } from './store-target.js';

const behind = (ms: number): Clock => ({
  now: () => Date.now() - ms,
  sleep: (t, signal) => new Promise((resolve) => { const h = setTimeout(resolve, t); signal?.addEventListener('abort', () => { clearTimeout(h); resolve(); }, { once: true }); }),
});

describe('storage.s3.signed-url with this machine\'s clock behind the store\'s', () => {
  afterAll(assertS3Clean);

  it('10 minutes behind: clockSkew naming the minutes and NTP, not "allow s3:GetObject"; in sync it passes', async () => {
    const target = s3Target();
    const run = async (clock: Clock) => {
      const r = await runChecks({ target, plan: plan(builtinChecks, 'preflight', { only: ['storage.s3.signed-url'] }, target), timeoutMs: 10_000, concurrency: 8, clock });
      assertNoSecrets(target, r);
      return r.results.find((x) => x.id === 'storage.s3.signed-url' && x.instance === 'metadata')!;
    };
    const r = await run(behind(10 * 60_000));
    expect(r.messageId, r.message).toBe('clockSkew');
    expect(r.status).toBe('fail');
    expect(r.cause).toBe('config:clock');
    expect(r.message).toContain('Request has expired');
    expect(r.message).toMatch(/clock is 10 min behind the store's/);
    expect(r.hint).toContain('NTP');
    expect(r.hint).not.toMatch(/allow "s3:GetObject"/);
    const ok = await run(behind(0));
    expect(ok.messageId, ok.message).toBe('fetched');
  });
});
