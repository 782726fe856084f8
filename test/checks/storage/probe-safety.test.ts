// The safety promise of the storage probes: objects only under flyte-doctor/<runId>/, removed at
// the end of the run also when it is interrupted mid-probe (Ctrl-C is an abort of the run signal)
// or a check times out; pre-existing objects untouched.
import { afterEach, describe, expect, it } from 'vitest';
import { probeResidue } from '../../../src/clients/s3.js';
import { getTestbed } from '../../harness/testbed.js';
import { runSelection } from '../../harness/run-check.js';
import { assertGcsClean, assertS3Clean, gcsKeys, gcsTarget, s3Keys, s3Target } from './store-target.js';

describe('probe safety', () => {
  afterEach(async () => { await assertS3Clean(); await assertGcsClean(); });

  it('S3: a run interrupted mid-probe (as by SIGINT) removes its probe objects', async () => {
    const m = getTestbed().minio;
    const ac = new AbortController();
    // Abort as soon as the probe object exists: poll the bucket as root.
    const runId = `abort-${Date.now()}`;
    const watcher = (async () => {
      for (let i = 0; i < 400 && !ac.signal.aborted; i++) {
        if ((await s3Keys(m.buckets.metadata, `flyte-doctor/${runId}/`)).length) { ac.abort(); return true; }
        await new Promise((r) => setTimeout(r, 5));
      }
      ac.abort();
      return false;
    })();
    const run = await runSelection(s3Target(), 'preflight', ['storage.s3'], { signal: ac.signal, runId });
    const sawProbe = await watcher;
    expect(run.interrupted).toBeDefined();
    expect(sawProbe).toBe(true); // the abort really happened while a probe object existed
    expect(run.results.some((r) => r.status === 'error' || /not run/.test(r.message))).toBe(true);
    expect(run.cleanupFailures).toEqual([]);
    for (const b of [m.buckets.metadata, m.buckets.userdata]) expect(await s3Keys(b, `flyte-doctor/${runId}/`)).toEqual([]);
    expect(probeResidue(runId).every((r) => r.remaining?.length === 0)).toBe(true);
  });

  it('S3: an abort right after the first write request started still cleans up', async () => {
    const ac = new AbortController();
    const runId = `abort2-${Date.now()}`;
    const p = runSelection(s3Target(), 'preflight', ['storage.s3.put'], { signal: ac.signal, runId });
    setTimeout(() => ac.abort(), 30);
    const run = await p;
    const m = getTestbed().minio;
    expect(run.cleanupFailures).toEqual([]);
    for (const b of [m.buckets.metadata, m.buckets.userdata]) expect(await s3Keys(b, `flyte-doctor/${runId}/`)).toEqual([]);
  });

  it('GCS: an interrupted run removes its probe objects', async () => {
    const g = getTestbed().gcs;
    const ac = new AbortController();
    const runId = `abort-gcs-${Date.now()}`;
    const watcher = (async () => {
      for (let i = 0; i < 400 && !ac.signal.aborted; i++) {
        if ((await gcsKeys(g.buckets.metadata, `flyte-doctor/${runId}/`)).length) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      ac.abort();
    })();
    const run = await runSelection(gcsTarget(), 'preflight', ['storage.gcs'], { signal: ac.signal, runId });
    await watcher;
    expect(run.cleanupFailures).toEqual([]);
    for (const b of [g.buckets.metadata, g.buckets.userdata]) expect(await gcsKeys(b, `flyte-doctor/${runId}/`)).toEqual([]);
  });

  it('every probe key of a full run is under flyte-doctor/<runId>/', async () => {
    const run = await runSelection(s3Target(), 'preflight', ['storage.s3']);
    const keys = run.results.map((r) => r.details?.key).filter((k): k is string => typeof k === 'string');
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(k.startsWith(`flyte-doctor/${run.runId}/`)).toBe(true);
  });
});
