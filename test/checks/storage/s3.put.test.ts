import { afterEach, describe, expect, it } from 'vitest';
import { probeResidue } from '../../../src/clients/s3.js';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck, runSelection } from '../../harness/run-check.js';
import { assertS3Clean, s3Target } from './store-target.js';

describe('storage.s3.put', () => {
  afterEach(assertS3Clean);

  it('root writes the probe under flyte-doctor/<runId>/ and the run ends with no residue', async () => {
    const { result, run } = await runCheck('storage.s3.put', s3Target(), { instance: 'metadata' });
    expect(result.status).toBe('pass');
    expect(result.details?.key).toBe(`flyte-doctor/${run.runId}/probe.txt`);
    expect(run.cleanupFailures).toEqual([]);
    expect(probeResidue(run.runId).map((r) => r.remaining)).toEqual([[], []]);
  });

  it('the whole S3 probe passes for root, and every result is pass', async () => {
    const run = await runSelection(s3Target(), 'preflight', ['storage']);
    const bad = run.results.filter((r) => r.status !== 'pass' && !(r.status === 'skip' && /not (GCS|Azure Blob)/.test(r.message)));
    expect(bad.map((r) => `${r.id}[${r.instance}] ${r.status} ${r.message}`)).toEqual([]);
    expect(run.results.filter((r) => r.id.startsWith('storage.s3.') && r.instance).length).toBe(12);
  });

  it('one instance when metadata and userdata are the same bucket', async () => {
    const m = getTestbed().minio;
    const run = await runSelection(s3Target(undefined, { userDataBucket: m.buckets.metadata }), 'preflight', ['storage.s3.put']);
    expect(run.results.filter((r) => r.id === 'storage.s3.put').map((r) => r.instance)).toEqual(['metadata']);
  });

  it('a user without s3:PutObject: put fails naming it, get/list/delete are blocked', async () => {
    const run = await runSelection(s3Target(getTestbed().minio.users.noPut), 'preflight', ['storage.s3']);
    const put = run.results.find((r) => r.id === 'storage.s3.put' && r.instance === 'metadata')!;
    expect(put.status).toBe('fail');
    expect(put.messageId).toBe('permissionDenied');
    expect(put.message).toContain('s3:PutObject');
    expect(put.hint).toContain('arn:aws:s3:::flyte-metadata/*');
    const fails = run.results.filter((r) => r.status === 'fail').map((r) => r.id);
    expect([...new Set(fails)]).toEqual(['storage.s3.put']);
    expect(run.results.filter((r) => ['storage.s3.get', 'storage.s3.list', 'storage.s3.delete'].includes(r.id)).every((r) => r.status === 'skip')).toBe(true);
  });
});
