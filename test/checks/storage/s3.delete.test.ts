import { afterEach, describe, expect, it } from 'vitest';
import { probeResidue, residueLine } from '../../../src/clients/s3.js';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck, runSelection } from '../../harness/run-check.js';
import { assertS3Clean, s3Keys, s3RemoveProbeResidue, s3Target } from './store-target.js';

describe('storage.s3.delete', () => {
  afterEach(assertS3Clean);

  it('deletes its own probe and confirms it is gone', async () => {
    const { result, run } = await runCheck('storage.s3.delete', s3Target(), { instance: 'metadata' });
    expect(result.status).toBe('pass');
    expect(result.details?.confirmedBy).toBe('HeadObject');
    expect(residueLine(run.runId)).toMatch(/^residue: none/);
  });

  it('a user without s3:DeleteObject: exactly delete fails naming it; the residue is reported with the command', async () => {
    const m = getTestbed().minio;
    const run = await runSelection(s3Target(m.users.noDelete), 'preflight', ['storage.s3']);
    try {
      const failed = run.results.filter((r) => r.status === 'fail');
      expect([...new Set(failed.map((r) => r.id))]).toEqual(['storage.s3.delete']);
      expect(failed[0]!.message).toContain('s3:DeleteObject');
      // the probe cannot be removed by this identity: the run says so, per bucket, with the command
      expect(run.cleanupFailures.length).toBe(2);
      expect(run.cleanupFailures[0]!.error).toMatch(/residue: .*flyte-doctor\/.*aws s3 rm --recursive/);
      const res = probeResidue(run.runId);
      expect(res.every((r) => r.remaining && r.remaining.length === 2)).toBe(true);
      expect(residueLine(run.runId)).toContain('remain');
      expect(await s3Keys(m.buckets.metadata, `flyte-doctor/${run.runId}/`)).toHaveLength(2);
    } finally {
      await s3RemoveProbeResidue(m.buckets.metadata, run.runId);
      await s3RemoveProbeResidue(m.buckets.userdata, run.runId);
    }
  });
});
