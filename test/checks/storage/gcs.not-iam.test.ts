// GCS 403s that are not IAM: no role grant fixes them, so "grant storage.x.y" is the wrong fix.
// fake-gcs-server has no retention policies, API enablement or VPC Service Controls, so a private
// GCS JSON API lookalike on 127.0.0.1 answers GCS's exact error documents for them (the
// accessNotConfigured, vpcServiceControls and retentionPolicyNotMet bodies GCS sends), and is a
// fair GCS otherwise: the same server passes the whole probe when it does not refuse.
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck, runSelection } from '../../harness/run-check.js';
import { startHttp } from '../../harness/private-servers.js';
import { gcsError, gcsLookalike, serviceAccountKey, startFakeGcs, type Reply } from './fake-stores.js';
import { gcsTarget } from './store-target.js';

const API_DISABLED = gcsError(403, 'accessNotConfigured', 'Cloud Storage JSON API has not been used in project 123456789012 before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/storage-api.googleapis.com/overview?project=123456789012 then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.');
const VPC_SC = gcsError(403, 'vpcServiceControls', 'Request is prohibited by organization\'s policy. vpcServiceControlsUniqueIdentifier: Xk2q9fTzW1');
const RETENTION = (name: string) => gcsError(403, 'retentionPolicyNotMet', `Object 'flyte-metadata/${name}' is subject to bucket's retention policy or object retention and cannot be deleted or overwritten until 2031-01-01T00:00:00.000000+00:00`);

let refuse: (req: IncomingMessage, name?: string) => Reply | undefined = () => undefined;
let srv: Awaited<ReturnType<typeof startHttp>>;
let tokenSrv: Awaited<ReturnType<typeof startFakeGcs>>;
let keyFile: string;
const objects = new Map<string, Buffer>();

beforeAll(async () => {
  tokenSrv = await startFakeGcs(() => undefined);
  keyFile = serviceAccountKey(`http://127.0.0.1:${tokenSrv.port}/token`);
  srv = await startHttp(gcsLookalike(objects, (req, name) => refuse(req, name)));
});
afterAll(async () => { await srv.stop(); await tokenSrv.stop(); });

const target = () => gcsTarget({ endpoint: `http://127.0.0.1:${srv.port}`, authType: 'keyfile', keyFile, userDataBucket: 'flyte-metadata' });

describe('GCS 403s that no IAM grant fixes', () => {
  it('the same lookalike, refusing nothing, passes the whole probe (it is a fair GCS)', async () => {
    refuse = () => undefined;
    const run = await runSelection(target(), 'preflight', ['storage.gcs']);
    const bad = run.results.filter((r) => r.status !== 'pass' && r.id !== 'storage.gcs.signed-url');
    expect(bad.map((r) => `${r.id}[${r.instance}] ${r.status} ${r.message}`)).toEqual([]);
  });

  it('accessNotConfigured: apiDisabled naming gcloud services enable and the project from the answer, not a role grant', async () => {
    refuse = () => API_DISABLED;
    const { result } = await runCheck('storage.gcs.bucket', target(), { instance: 'metadata' });
    expect(result).toMatchObject({ status: 'fail', messageId: 'apiDisabled' });
    expect(result.hint).toContain('gcloud services enable storage-api.googleapis.com');
    expect(result.hint).toContain('--project 123456789012');
    expect(result.hint).not.toContain('add-iam-policy-binding');
    expect(result.cause).toBe('config:gcs-api:123456789012');
  });

  it('vpcServiceControls from this machine: a warn (outside the perimeter says nothing about the pods), naming the troubleshooter id', async () => {
    refuse = () => VPC_SC;
    let { result } = await runCheck('storage.gcs.bucket', target(), { instance: 'metadata' });
    expect(result).toMatchObject({ status: 'warn', messageId: 'vpcScThisMachine' });
    expect(result.message).toContain('VPC Service Controls');
    expect(result.hint).toContain('--in-cluster');
    expect(result.hint).toContain('Xk2q9fTzW1');
    expect(result.hint).not.toContain('add-iam-policy-binding');
    // the probes after it skip with the reason instead of repeating the warn
    const run = await runSelection(target(), 'preflight', ['storage.gcs']);
    const probes = run.results.filter((r) => /^storage\.gcs\.(put|get|list|delete)$/.test(r.id));
    expect(probes.length).toBeGreaterThan(0);
    expect(probes.every((r) => r.status === 'skip')).toBe(true);
    expect(probes.find((r) => r.id === 'storage.gcs.put')!.message).toContain('vpcScThisMachine');
    // from inside the cluster the pod itself is outside the perimeter: a fail
    const inCluster = { ...target(), inCluster: true, runtime: { ranAt: 'in-cluster/flyte/flyteadmin', apiServer: 'https://127.0.0.1' } };
    ({ result } = await runCheck('storage.gcs.bucket', inCluster as never, { instance: 'metadata' }));
    expect(result).toMatchObject({ status: 'fail', messageId: 'vpcScDenied' });
  });

  it('retentionPolicyNotMet on the delete probe: objectLocked naming the retention policy, not "missing storage.objects.delete"; the leftover is reported', async () => {
    refuse = (req, name) => (req.method === 'DELETE' && name?.startsWith('flyte-doctor/') ? RETENTION(name) : undefined);
    const run = await runSelection(target(), 'preflight', ['storage.gcs']);
    const del = run.results.find((r) => r.id === 'storage.gcs.delete' && r.instance === 'metadata')!;
    expect(del).toMatchObject({ status: 'fail', messageId: 'objectLocked' });
    expect(del.message).toContain('retention');
    expect(del.message).not.toContain('missing storage.objects.delete');
    expect(del.hint).toContain('--clear-retention-period');
    expect(JSON.stringify(del.details)).toContain('leftBehind');
    // the cleanup cannot delete the probes either: the run says what remains
    expect(JSON.stringify(run.cleanupFailures)).toContain('flyte-doctor/');
    refuse = () => undefined;
    for (const k of [...objects.keys()]) objects.delete(k);
  });
});
