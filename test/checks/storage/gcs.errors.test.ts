// The GCS error space against a private JSON API lookalike and token endpoint: 401 vs 403 vs 404,
// invalid_grant (and its clock variant), billing, requester pays, rate limits, server errors, and
// answers that are not GCS at all; plus Application Default Credentials missing on this machine.
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck, runSelection } from '../../harness/run-check.js';
import { empty204, gcsError, gcsLookalike, html, serviceAccountKey, startFakeGcs, type Reply } from './fake-stores.js';
import { gcsTarget } from './store-target.js';

let answer: () => Reply | undefined = () => undefined;
let token: Reply | undefined;
let srv: Awaited<ReturnType<typeof startFakeGcs>>;
let tokenSrv: Awaited<ReturnType<typeof startFakeGcs>>;
let keyFile: string;
beforeAll(async () => {
  srv = await startFakeGcs(() => answer());
  // The token endpoint answers what the test sets (default: a token).
  const ok: Reply = { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ access_token: 'fake-access-token-xyz', expires_in: 3600 }) };
  tokenSrv = await startFakeGcs(() => undefined, { get status() { return (token ?? ok).status; }, get headers() { return (token ?? ok).headers; }, get body() { return (token ?? ok).body; } } as Reply);
  keyFile = serviceAccountKey(`http://127.0.0.1:${tokenSrv.port}/token`);
});
afterAll(async () => { await srv.stop(); await tokenSrv.stop(); });

const keyTarget = () => gcsTarget({ endpoint: `http://127.0.0.1:${srv.port}`, authType: 'keyfile', keyFile, userDataBucket: 'flyte-metadata' });

describe('GCS errors (storage.gcs.bucket, key-file credentials)', () => {
  const cases: [string, Reply, string, string][] = [
    ['403 forbidden', gcsError(403, 'forbidden', 'flyte-gsa@fd-test.iam.gserviceaccount.com does not have storage.buckets.get access to the Google Cloud Storage bucket. Permission \'storage.buckets.get\' denied on resource (or it may not exist).'), 'permissionDenied', 'storage.buckets.get'],
    ['401 invalid credentials', gcsError(401, 'authError', 'Invalid Credentials'), 'credentialsRejected', 'keys create'],
    ['billing disabled', gcsError(403, 'accountDisabled', 'The billing account for the owning project is disabled in state closed'), 'accountDisabled', 'billing'],
    ['requester pays', gcsError(400, 'required', 'Bucket is a requester pays bucket but no user project provided.'), 'requesterPays', '--no-requester-pays'],
    ['429 rate limit', gcsError(429, 'rateLimitExceeded', 'The rate of change requests to the bucket exceeds the rate limit.'), 'rateLimited', 'retry'],
    ['503 backend error', gcsError(503, 'backendError', 'Backend Error'), 'serverError', 'retry'],
    ['404 bucket', gcsError(404, 'notFound', 'The specified bucket does not exist.'), 'noSuchBucket', 'gcloud storage buckets create'],
    ['an HTML page', html(200, 'Sign in'), 'notGcs', 'GCS JSON API'],
    ['an empty 204', empty204, 'notGcs', 'GCS JSON API'],
    ['an unknown 409', gcsError(409, 'conflict', 'odd'), 'unrecognised', 'status-codes'],
    // what stands between here and the store answers for itself: the endpoint may be right
    ['a captive portal (511)', { status: 511, headers: { 'content-type': 'text/html' }, body: '<html><title>Network Login</title></html>' }, 'interceptedInFront', 'log in to the network'],
    ['an auth gateway (401 with WWW-Authenticate, no GCS headers)', { status: 401, headers: { 'www-authenticate': 'Basic realm="gateway"' }, body: 'no' }, 'interceptedInFront', 'unauthenticated by the gateway'],
  ];
  for (const [name, reply, messageId, fix] of cases) {
    it(`${name} -> ${messageId}`, async () => {
      token = undefined;
      answer = () => reply;
      const { result } = await runCheck('storage.gcs.bucket', keyTarget(), { instance: 'metadata' });
      expect(result.messageId, result.message).toBe(messageId);
      expect(result.status).toBe('fail');
      expect(result.hint).toContain(fix);
      expect(JSON.stringify(result)).not.toContain('fake-access-token-xyz');
      expect(JSON.stringify(result)).not.toContain('PRIVATE KEY');
    });
  }

  it('403 names the principal and the permission from the answer, and the request carried the key\'s token', async () => {
    token = undefined;
    answer = () => gcsError(403, 'forbidden', 'flyte-gsa@fd-test.iam.gserviceaccount.com does not have storage.buckets.get access to the Google Cloud Storage bucket.');
    const { result } = await runCheck('storage.gcs.bucket', keyTarget(), { instance: 'metadata' });
    expect(result.message).toContain('flyte-gsa@fd-test.iam.gserviceaccount.com');
    expect(result.cause).toBe('denied:gcs:flyte-gsa@fd-test.iam.gserviceaccount.com:storage.buckets.get');
    expect(srv.requests.at(-1)).toMatch(/ auth$/);
  });

  it('invalid_grant from the token endpoint: the key was deleted or revoked (401-class), not a permission', async () => {
    token = { status: 400, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: 'invalid_grant', error_description: 'Invalid grant: account not found' }) };
    answer = () => undefined;
    const { result } = await runCheck('storage.gcs.bucket', keyTarget(), { instance: 'metadata' });
    expect(result.messageId).toBe('credentialsRejected');
    expect(result.message).toContain('invalid_grant');
    expect(result.message).toContain('deleted or revoked');
  });

  it('invalid_grant because of the JWT times is the clock', async () => {
    token = { status: 400, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: 'invalid_grant', error_description: 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.' }) };
    const { result } = await runCheck('storage.gcs.bucket', keyTarget(), { instance: 'metadata' });
    expect(result.messageId).toBe('clockSkew');
    expect(result.cause).toBe('config:clock');
  });

  it('a token endpoint that never answers: a finding within the check budget, naming the token endpoint', async () => {
    const { getTestbed } = await import('../../harness/testbed.js');
    const tb = getTestbed();
    const stalledKey = serviceAccountKey(`http://${tb.stall.host}:${tb.stall.port}/token`);
    const t0 = Date.now();
    const { result } = await runCheck('storage.gcs.bucket', gcsTarget({ endpoint: `http://127.0.0.1:${srv.port}`, authType: 'keyfile', keyFile: stalledKey, userDataBucket: 'flyte-metadata' }), { instance: 'metadata', timeoutMs: 3000 });
    expect(Date.now() - t0).toBeLessThan(4500);
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('unreachable');
    expect(result.message).toContain(`${tb.stall.host}:${tb.stall.port} (the token endpoint)`);
  });

  it('a key file that is not a service-account key is named as such', async () => {
    token = undefined;
    const bad = `${keyFile}.bad.json`;
    writeFileSync(bad, '{"type":"authorized_user"}');
    const { result } = await runCheck('storage.gcs.bucket', gcsTarget({ endpoint: `http://127.0.0.1:${srv.port}`, authType: 'keyfile', keyFile: bad }), { instance: 'metadata' });
    expect(result.messageId).toBe('keyFileUnreadable');
    expect(result.message).toContain('not a service-account key');
  });

  it('a healthy lookalike passes the whole GCS probe with the key\'s identity', async () => {
    token = undefined;
    const objects = new Map<string, Buffer>();
    const { startHttp } = await import('../../harness/private-servers.js');
    const s = await startHttp(gcsLookalike(objects));
    try {
      const run = await runSelection(gcsTarget({ endpoint: `http://127.0.0.1:${s.port}`, authType: 'keyfile', keyFile }), 'preflight', ['storage.gcs']);
      const bad = run.results.filter((r) => r.status !== 'pass' && !(r.id === 'storage.gcs.signed-url'));
      expect(bad.map((r) => `${r.id}[${r.instance}] ${r.status} ${r.message}`)).toEqual([]);
      expect(run.results.find((r) => r.id === 'storage.gcs.put')!.details?.identity).toContain('flyte-gsa@fd-test.iam.gserviceaccount.com');
      expect([...objects.keys()]).toEqual([]);
      expect(run.cleanupFailures).toEqual([]);
    } finally {
      await s.stop();
    }
  });
});

describe('GCS with Application Default Credentials', () => {
  it('no Google credentials on this machine: a warn naming GOOGLE_APPLICATION_CREDENTIALS and workload identity; probes skipped', async () => {
    const saved = process.env.GOOGLE_APPLICATION_CREDENTIALS;
    delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
    try {
      const run = await runSelection(gcsTarget({ endpoint: undefined as never }), 'preflight', ['storage.gcs']);
      const b = run.results.find((r) => r.id === 'storage.gcs.bucket' && r.instance === 'metadata')!;
      expect(b.status).toBe('warn');
      expect(b.messageId).toBe('noCredentialsHere');
      expect(b.hint).toContain('GOOGLE_APPLICATION_CREDENTIALS');
      expect(b.message).toContain('Workload Identity');
      expect(run.results.filter((r) => r.status === 'fail' || r.status === 'error')).toEqual([]);
      expect(run.results.filter((r) => r.id === 'storage.gcs.put').every((r) => r.status === 'skip')).toBe(true);
    } finally { if (saved !== undefined) process.env.GOOGLE_APPLICATION_CREDENTIALS = saved; }
  });

  it('a 403 for an anonymous/ADC probe is a warn: it says nothing about Flyte\'s Workload Identity', async () => {
    answer = () => gcsError(403, 'forbidden', 'anonymous does not have storage.buckets.get access to the Google Cloud Storage bucket.');
    const { result } = await runCheck('storage.gcs.bucket', gcsTarget({ endpoint: `http://127.0.0.1:${srv.port}` }), { instance: 'metadata' });
    expect(result.status).toBe('warn');
    expect(result.messageId).toBe('deniedForThisMachine');
    expect(result.hint).toContain('--in-cluster');
  });
});

describe('GCS Workload Identity from inside the cluster (target.inCluster)', () => {
  it('no Google credentials in the pod: a fail naming the annotation and the IAM binding, not "cannot be checked from here"', async () => {
    const saved = process.env.GOOGLE_APPLICATION_CREDENTIALS;
    delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
    try {
      const t = { ...gcsTarget({ endpoint: undefined as never }), inCluster: true, runtime: { ranAt: 'in-cluster/flyte/flyteadmin', apiServer: 'https://127.0.0.1' } };
      const run = await runSelection(t as never, 'preflight', ['storage.gcs.bucket']);
      const b = run.results.find((r) => r.id === 'storage.gcs.bucket' && r.instance === 'metadata')!;
      expect(b).toMatchObject({ status: 'fail', messageId: 'podHasNoGoogleIdentity' });
      expect(b.hint).toContain('iam.gke.io/gcp-service-account');
      expect(b.hint).toContain('roles/iam.workloadIdentityUser');
    } finally { if (saved !== undefined) process.env.GOOGLE_APPLICATION_CREDENTIALS = saved; }
  });
});
