// GKE Workload Identity: the metadata server's refusals of a token, against a real metadata server
// of our own on 127.0.0.1 (GCE_METADATA_HOST, which google-auth-library honours). Before, a 403
// "Permission 'iam.serviceAccounts.getAccessToken' denied" in the pod was "credentialsRejected:
// create a new key for the service account and point the key file at it" (cause
// credentials:gcs:key-file), and the server's text was lost. Now each refusal names its own cause:
// the workloadIdentityUser binding, a GSA that does not exist, a KSA without annotation.
import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../harness/run-check.js';
import { gcsTarget } from './store-target.js';

const MD_PORT = 30702;
let reply = { status: 403, body: '' };
let email = 'flyte-gsa@my-proj.iam.gserviceaccount.com';
let server: Server;
const VARS = ['GCE_METADATA_HOST', 'GCE_METADATA_IP', 'GOOGLE_APPLICATION_CREDENTIALS', 'GOOGLE_CLOUD_PROJECT', 'GCLOUD_PROJECT'];
let saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  saved = Object.fromEntries(VARS.map((k) => [k, process.env[k]]));
  for (const k of VARS) delete process.env[k];
  process.env['GCE_METADATA_HOST'] = `127.0.0.1:${MD_PORT}`;
  server = createServer((req, res) => {
    const h = { 'Metadata-Flavor': 'Google', 'content-type': 'text/plain' };
    if (req.url?.includes('/token')) { res.writeHead(reply.status, h); res.end(reply.body); return; }
    if (req.url?.endsWith('/email')) { res.writeHead(200, h); res.end(email); return; }
    if (req.url?.endsWith('/project-id')) { res.writeHead(200, h); res.end('my-proj'); return; }
    res.writeHead(200, h); res.end('');
  });
  await new Promise<void>((r) => server.listen(MD_PORT, '127.0.0.1', r));
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  for (const k of VARS) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; }
});
afterEach(() => { email = 'flyte-gsa@my-proj.iam.gserviceaccount.com'; });

const pod = () => ({ ...gcsTarget({ endpoint: undefined as never, authType: 'iam' as never }), inCluster: true, runtime: { ranAt: 'in-cluster/flyte/flyte-binary', apiServer: 'https://127.0.0.1' } });
const here = () => gcsTarget({ endpoint: undefined as never, authType: 'iam' as never });
async function bucket(target: ReturnType<typeof here>, status: number, body: string) {
  reply = { status, body };
  const { result } = await runCheck('storage.gcs.bucket', target as never, { instance: 'metadata' });
  return result;
}

const DENIED = "Unable to generate access token; IAM returned 403 Forbidden: Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).\nThis error could be caused by a missing IAM policy binding on the target IAM service account.\nFor more information, refer to the Workload Identity documentation:\n\thttps://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity#authenticating_to\n";

describe('in the cluster: the metadata server\'s refusals of a Workload Identity token', () => {
  it('403 getAccessToken denied: the workloadIdentityUser binding for this KSA, not "create a new key"', async () => {
    const r = await bucket(pod(), 403, DENIED);
    expect(r).toMatchObject({ status: 'fail', messageId: 'podHasNoGoogleIdentity', cause: 'config:gke-wi-binding:flyte-gsa@my-proj.iam.gserviceaccount.com', details: { identityFailure: 'wi-binding-missing' } });
    expect(r.hint).toContain('gcloud iam service-accounts add-iam-policy-binding flyte-gsa@my-proj.iam.gserviceaccount.com --role roles/iam.workloadIdentityUser --member "serviceAccount:my-proj.svc.id.goog[flyte/flyte-binary]"');
    expect(r.hint).not.toContain('keys create');
    expect(r.message).toContain("Permission 'iam.serviceAccounts.getAccessToken' denied");
  });

  it('IAM 404 / the GSA does not exist: create the GSA or fix the annotation', async () => {
    const r = await bucket(pod(), 403, 'Unable to generate access token; IAM returned 404 Not Found: Not found; Gaia id not found for email flyte-gsa@my-proj.iam.gserviceaccount.com');
    expect(r).toMatchObject({ status: 'fail', messageId: 'podHasNoGoogleIdentity', details: { identityFailure: 'gsa-missing' } });
    expect(r.message).toContain('does not exist');
    expect(r.hint).toContain('gcloud iam service-accounts create');
  });

  it('a KSA without the iam.gke.io/gcp-service-account annotation: annotate it', async () => {
    email = 'my-proj.svc.id.goog';
    const r = await bucket(pod(), 404, 'Your Kubernetes service account (flyte/flyte-binary) is not annotated with a target Google service account, which is a requirement for retrieving Access Tokens using Workload Identity.');
    expect(r).toMatchObject({ cause: 'config:gke-wi-annotation:flyte/flyte-binary', details: { identityFailure: 'ksa-not-annotated' } });
    expect(r.hint).toContain('kubectl annotate serviceaccount -n flyte flyte-binary --overwrite iam.gke.io/gcp-service-account=');
  });

  it('the IAM Credentials API disabled: enable it', async () => {
    const r = await bucket(pod(), 403, 'Unable to generate access token; IAM returned 403 Forbidden: IAM Service Account Credentials API has not been used in project 123 before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/iamcredentials.googleapis.com/overview?project=123');
    expect(r.details).toMatchObject({ identityFailure: 'iamcredentials-api-disabled' });
    expect(r.hint).toContain('gcloud services enable iamcredentials.googleapis.com --project my-proj');
  });

  it('a 5xx of the metadata server: serverError (retry), not a wiring fault', async () => {
    const r = await bucket(pod(), 503, 'upstream unavailable');
    expect(r).toMatchObject({ status: 'fail', messageId: 'serverError', details: { identityFailure: 'metadata-server-error' } });
  });

  it('an answer nobody maps: "unrecognised: HTTP <status> <text>"', async () => {
    const r = await bucket(pod(), 418, 'I am a teapot');
    expect(r).toMatchObject({ status: 'fail', messageId: 'unrecognised' });
    expect(r.message).toContain('unrecognised: HTTP 418 I am a teapot');
  });
});

describe('from this machine (a GCE VM answering for this machine): the same causes, as warnings', () => {
  it('403 getAccessToken denied here: a warn about this machine\'s identity, with the binding fix', async () => {
    const r = await bucket(here(), 403, DENIED);
    expect(r).toMatchObject({ status: 'warn', messageId: 'thisMachineCredentialsRejected', details: { identityFailure: 'wi-binding-missing' } });
    expect(r.hint).toContain('--in-cluster');
  });
});
