// A probe's own deadline must fire even after a garbage collection. On Node 20,
// AbortSignal.any([signal, AbortSignal.timeout(ms)]) holds the timeout signal only weakly and never
// aborts once it is collected: the probe then ran into the engine's timeout (an `error` with no
// cause) instead of reporting its own finding. withTimeout/timeoutSignal hold their timer strongly.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { timeoutSignal, withTimeout } from '../../src/engine/budget.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('timeout signals survive garbage collection', () => {
  it('withTimeout(signal, ms) aborts after ms although only the composite is held', async () => {
    const outer = new AbortController();
    const s = withTimeout(outer.signal, 100);
    let fired = 0;
    s.addEventListener('abort', () => { fired = Date.now(); });
    const t0 = Date.now();
    await sleep(20);
    gc(); gc();
    await sleep(400);
    expect(s.aborted).toBe(true);
    expect(fired - t0).toBeGreaterThanOrEqual(95);
    expect((s.reason as Error).name).toBe('TimeoutError');
  });

  it('timeoutSignal(ms) alone, and the outer signal still aborts the composite first', async () => {
    const t = timeoutSignal(80);
    gc();
    await sleep(300);
    expect(t.aborted).toBe(true);
    const outer = new AbortController();
    const s = withTimeout(outer.signal, 10_000);
    outer.abort(new Error('run interrupted'));
    expect(s.aborted).toBe(true);
    expect((s.reason as Error).message).toBe('run interrupted');
  });
});
