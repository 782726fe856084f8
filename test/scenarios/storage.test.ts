// Broken object stores, one thing at a time, on the healthy test bed (flyte-binary values, MinIO):
// credentials vs permissions, missing buckets, region, authType, TLS mismatches both ways, servers
// that are not S3, a cluster-internal endpoint, a stalled endpoint, and GCS without credentials.
// Each asserts the exact failing set, the root cause and its messageId, and the fix's key.
import { expect } from 'vitest';
import { DeleteObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { getTestbed } from '../harness/testbed.js';
import { startHttp, startPrivateNginx, testCert } from '../harness/private-servers.js';
import { minioUser } from '../checks/storage/mc.js';
import { describeScenarios, type Scenario, type ScenarioReport } from './harness.js';

const S3 = 'configuration.storage.providerConfig.s3';
const only = ['storage'];
const BUCKETS = ['storage.s3.bucket[metadata]', 'storage.s3.bucket[userdata]'];
const both = (id: string) => [`${id}[metadata]`, `${id}[userdata]`];

/** Removes what a run whose probes could not be deleted left (root credentials), after the scenario. */
function residueCleaner(): { check(r: ScenarioReport): void; undo(): Promise<void> } {
  let runId: string | undefined;
  return {
    check: (r) => { runId = r.runId; },
    undo: async () => {
      if (!runId) return;
      const m = getTestbed().minio;
      const c = new S3Client({ region: m.region, endpoint: m.endpoint, forcePathStyle: true, credentials: { accessKeyId: m.root.accessKey, secretAccessKey: m.root.secretKey } });
      try {
        for (const b of Object.values(m.buckets)) {
          const l = await c.send(new ListObjectsV2Command({ Bucket: b, Prefix: `flyte-doctor/${runId}/` }));
          for (const o of l.Contents ?? []) await c.send(new DeleteObjectCommand({ Bucket: b, Key: o.Key! }));
        }
      } finally { c.destroy(); }
    },
  };
}

let srv: { port: number; stop(): Promise<void> } | undefined;
const serve = (make: () => Promise<{ port: number; stop(): Promise<void> }>) => async () => { srv = await make(); return async () => { await srv?.stop(); srv = undefined; }; };
const endpointAt = (scheme: 'http' | 'https') => () => ({ set: [`${S3}.endpoint=${scheme}://127.0.0.1:${srv!.port}`] });
let disabled: ReturnType<typeof minioUser> | undefined;
const noDelete = residueCleaner();

const scenarios: Scenario[] = [
  {
    name: 'wrong secret key: SignatureDoesNotMatch on both buckets, one root, the secretKey fix',
    phase: 'preflight', only,
    inputs: { set: [`${S3}.secretKey=fd-st-not-the-secret`] },
    expect: { failing: BUCKETS, root: 'storage.s3.bucket[metadata]', messageId: 'wrongSecretKey', fix: [`${S3}.secretKey`] },
  },
  {
    name: 'unknown access key id: InvalidAccessKeyId, the accessKey fix',
    phase: 'preflight', only,
    inputs: { set: [`${S3}.accessKey=fd-st-unknown-key-id`] },
    expect: { failing: BUCKETS, root: 'storage.s3.bucket[metadata]', messageId: 'unknownAccessKey', fix: [`${S3}.accessKey`] },
  },
  {
    name: 'a disabled MinIO user: the account is disabled, not a permission',
    phase: 'preflight', only,
    setup: async () => { disabled = minioUser('scn-disabled', { disabled: true }); return async () => { disabled?.remove(); }; },
    inputs: () => ({ set: [`${S3}.accessKey=${disabled!.accessKey}`, `${S3}.secretKey=${disabled!.secretKey}`] }),
    expect: { failing: BUCKETS, root: 'storage.s3.bucket[metadata]', messageId: 'accountDisabled', fix: ['mc admin user enable'] },
  },
  {
    name: 'a user with no policy at all: AccessDenied on the bucket names s3:ListBucket',
    phase: 'preflight', only,
    inputs: () => ({ set: [`${S3}.accessKey=${getTestbed().minio.users.none.accessKey}`, `${S3}.secretKey=${getTestbed().minio.users.none.secretKey}`] }),
    expect: { failing: BUCKETS, root: 'storage.s3.bucket[metadata]', messageId: 'permissionDenied', fix: ['s3:ListBucket', 'arn:aws:s3:::flyte-metadata'] },
  },
  {
    name: 'missing s3:PutObject: put fails on both buckets, naming the action and ARN',
    phase: 'preflight', only,
    inputs: () => ({ set: [`${S3}.accessKey=${getTestbed().minio.users.noPut.accessKey}`, `${S3}.secretKey=${getTestbed().minio.users.noPut.secretKey}`] }),
    expect: { failing: both('storage.s3.put'), root: 'storage.s3.put[metadata]', messageId: 'permissionDenied', fix: ['s3:PutObject', 'arn:aws:s3:::flyte-metadata/*'] },
  },
  {
    name: 'missing s3:GetObject: get and the pre-signed URL fail, one root',
    phase: 'preflight', only,
    inputs: () => ({ set: [`${S3}.accessKey=${getTestbed().minio.users.noGet.accessKey}`, `${S3}.secretKey=${getTestbed().minio.users.noGet.secretKey}`] }),
    expect: { failing: [...both('storage.s3.get'), ...both('storage.s3.signed-url')], root: 'storage.s3.get[metadata]', messageId: 'permissionDenied', fix: ['s3:GetObject'] },
  },
  {
    name: 'missing s3:ListBucket: list fails on both buckets',
    phase: 'preflight', only,
    inputs: () => ({ set: [`${S3}.accessKey=${getTestbed().minio.users.noList.accessKey}`, `${S3}.secretKey=${getTestbed().minio.users.noList.secretKey}`] }),
    expect: { failing: both('storage.s3.list'), root: 'storage.s3.list[metadata]', messageId: 'permissionDenied', fix: ['s3:ListBucket', 'arn:aws:s3:::flyte-metadata'] },
  },
  {
    name: 'missing s3:DeleteObject: delete fails, and the probe objects left behind are reported with the command',
    phase: 'preflight', only,
    inputs: () => ({ set: [`${S3}.accessKey=${getTestbed().minio.users.noDelete.accessKey}`, `${S3}.secretKey=${getTestbed().minio.users.noDelete.secretKey}`] }),
    setup: async () => noDelete.undo,
    expect: {
      failing: both('storage.s3.delete'), root: 'storage.s3.delete[metadata]', messageId: 'permissionDenied', fix: ['s3:DeleteObject'],
      check: (r) => {
        noDelete.check(r);
        if (!r.residue.some((x) => x.includes('aws s3 rm --recursive s3://flyte-metadata/flyte-doctor/'))) throw new Error(`residue not reported with the command: ${JSON.stringify(r.residue)}`);
      },
    },
  },
  {
    name: 'metadata bucket missing: NoSuchBucket with the create command and the bucket key',
    phase: 'preflight', only,
    inputs: { set: ['configuration.storage.metadataContainer=fd-st-no-such-bucket'] },
    expect: { failing: ['storage.s3.bucket[metadata]'], root: 'storage.s3.bucket[metadata]', messageId: 'noSuchBucket', fix: ['configuration.storage.metadataContainer', 'aws s3 mb s3://fd-st-no-such-bucket'] },
  },
  {
    // verify with values that are not the installed ones: the bucket they name does not exist, the
    // release runs with another. Creating the bucket is not the fix; the fix says so, from flyte.config.live.
    name: 'verify: a bucket the values name does not exist while the release runs with another: the fix notes the installed bucket',
    phase: 'verify', only: [...only, 'flyte.config.live'],
    inputs: { set: ['configuration.storage.metadataContainer=fd-st-not-installed'] },
    expect: {
      failing: ['storage.s3.bucket[metadata]', 'flyte.config.live'], root: 'storage.s3.bucket[metadata]', messageId: 'noSuchBucket',
      fix: ['configuration.storage.metadataContainer', 'Note: the installed release runs with another metadata bucket ("flyte-metadata") (ConfigMap flyte/flyte-flyte-binary-config key 003-storage.yaml: storage.container; flyte.config.live): if Flyte works as installed, these values are not the installed ones'],
    },
  },
  {
    name: 'userdata bucket missing: only the userdata instance fails',
    phase: 'preflight', only,
    inputs: { set: ['configuration.storage.userDataContainer=fd-st-no-such-raw-bucket'] },
    expect: { failing: ['storage.s3.bucket[userdata]'], root: 'storage.s3.bucket[userdata]', messageId: 'noSuchBucket', fix: ['configuration.storage.userDataContainer'] },
  },
  {
    name: 'wrong region: the store names the right one, and the fix sets it',
    phase: 'preflight', only,
    inputs: { set: [`${S3}.region=eu-west-3`] },
    expect: { failing: BUCKETS, root: 'storage.s3.bucket[metadata]', messageId: 'wrongRegion', fix: [`${S3}.region: us-east-1`] },
  },
  {
    name: 'authType iam left on while keys are set (no AWS credentials here): the keys are ignored; fix authType',
    phase: 'preflight', only,
    inputs: { set: [`${S3}.authType=iam`] },
    expect: { failing: BUCKETS, root: 'storage.config.coherent', messageId: 'keysIgnored', fix: [`${S3}.authType: accesskey`] },
  },
  {
    name: 'https endpoint on the plain-HTTP MinIO port: the port speaks HTTP, fix the scheme',
    phase: 'preflight', only,
    inputs: { set: [`${S3}.endpoint=https://127.0.0.1:19000`] },
    expect: { failing: ['storage.s3.endpoint'], root: 'storage.s3.endpoint', messageId: 'tlsToPlainPort', fix: [`${S3}.endpoint: "http://127.0.0.1:19000"`] },
  },
  {
    name: 'http endpoint on a TLS port: the port speaks TLS, fix the scheme and disableSSL',
    phase: 'preflight', only,
    setup: serve(() => {
      const c = testCert('fd-st-s3-tls'); // file paths
      return startPrivateNginx(([p]) => `server { listen 127.0.0.1:${p} ssl; ssl_certificate ${c.cert}; ssl_certificate_key ${c.key}; location / { proxy_pass ${getTestbed().minio.endpoint}; proxy_set_header Host $http_host; } }`);
    }),
    inputs: endpointAt('http'),
    expect: { failing: ['storage.s3.endpoint'], root: 'storage.s3.endpoint', messageId: 'plainToTlsPort', fix: [`${S3}.endpoint: "https://127.0.0.1:`, `${S3}.disableSSL: false`] },
  },
  {
    name: 'an HTML web server as the endpoint: not S3, what answered is named',
    phase: 'preflight', only,
    setup: serve(() => startHttp((_q, res) => { res.writeHead(200, { 'content-type': 'text/html', server: 'nginx/1.25.3' }); res.end('<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body></body></html>'); })),
    inputs: endpointAt('http'),
    expect: {
      failing: ['storage.s3.endpoint'], root: 'storage.s3.endpoint', messageId: 'notS3', fix: [`${S3}.endpoint`],
      check: (r) => { const m = r.results.find((x) => x.id === 'storage.s3.endpoint')!.message; if (!m.includes('an HTML page ("Welcome to nginx!") from nginx/1.25.3')) throw new Error(m); },
    },
  },
  {
    name: 'a server answering every request with an empty 204: not S3',
    phase: 'preflight', only,
    setup: serve(() => startHttp((_q, res) => { res.writeHead(204); res.end(); })),
    inputs: endpointAt('http'),
    expect: { failing: ['storage.s3.endpoint'], root: 'storage.s3.endpoint', messageId: 'notS3', fix: [`${S3}.endpoint`] },
  },
  {
    name: 'a proxy whose upstream store is down (502): server-side, not "wrong endpoint"',
    phase: 'preflight', only,
    setup: serve(() => startHttp((_q, res) => { res.writeHead(502, { 'content-type': 'text/html', server: 'nginx' }); res.end('<html><head><title>502 Bad Gateway</title></head></html>'); })),
    inputs: endpointAt('http'),
    expect: { failing: ['storage.s3.endpoint'], root: 'storage.s3.endpoint', messageId: 'serverError', fix: ['upstream'] },
  },
  {
    name: 'nothing listens at the endpoint: refused',
    phase: 'preflight', only,
    inputs: () => ({ set: [`${S3}.endpoint=http://127.0.0.1:${getTestbed().closedPort}`] }),
    expect: { failing: ['storage.s3.endpoint'], root: 'storage.s3.endpoint', messageId: 'unreachable', fix: [`${S3}.endpoint`] },
  },
  {
    name: 'a stalled endpoint (accepts, never answers): ends within the timeout as unreachable',
    phase: 'preflight', only,
    inputs: () => ({ set: [`${S3}.endpoint=http://${getTestbed().stall.host}:${getTestbed().stall.port}`] }),
    expect: {
      failing: ['storage.s3.endpoint'], root: 'storage.s3.endpoint', messageId: 'unreachable', fix: [`${S3}.endpoint`],
      check: (r) => { if (r.durationMs > 3000 + 1500) throw new Error(`took ${r.durationMs} ms`); },
    },
  },
  {
    name: 'a cluster-internal endpoint: warn "cannot be checked from this machine", --in-cluster and the signed-URL key; nothing fails',
    phase: 'preflight', only,
    inputs: { set: [`${S3}.endpoint=http://minio.flyte.svc.cluster.local:9000`] },
    expect: {
      failing: [], root: 'storage.s3.endpoint', messageId: 'clusterInternal', fix: ['--in-cluster', 'configuration.inline.storage.signedUrl.stowConfigOverride.endpoint'],
      warnings: ['storage.s3.endpoint', ...BUCKETS],
    },
  },
  {
    // Go's url.Parse takes the inner "http" for a host name; a WHATWG parser too: the probe would ask
    // DNS for "http" and report a cluster-internal name (cannot check from here) instead of the typo.
    name: 'an endpoint written with the scheme twice (https://http://host:port): the value is the root cause, with the URL meant; no probe of a host named "http"',
    phase: 'preflight', only: [...only, 'dns.hosts.resolve'],
    inputs: () => ({ set: [`${S3}.endpoint=https://${getTestbed().minio.endpoint}`] }),
    expect: {
      failing: ['storage.config.coherent'], root: 'storage.config.coherent', messageId: 'badEndpoint', fix: [`${S3}.endpoint: "${getTestbed().minio.endpoint}"`],
      check: (r) => {
        expect(r.results.find((x) => x.id === 'storage.config.coherent')!.message).toContain('has the scheme twice: Flyte\'s storage client (Go) reads "http" as the host name');
        expect(r.results.find((x) => x.id === 'dns.hosts.resolve' && x.instance === 'storage')).toBeUndefined();
        expect(r.results.filter((x) => x.id.startsWith('storage.s3.')).every((x) => x.status === 'skip')).toBe(true);
      },
    },
  },
  {
    name: 'GCS without Google credentials on this machine: warn naming GOOGLE_APPLICATION_CREDENTIALS, nothing fails',
    phase: 'preflight', only,
    // (a real project: the chart's default my-organization-gcp-project is a placeholder finding of its own)
    inputs: { set: ['configuration.storage.provider=gcs', 'configuration.storage.providerConfig.gcs.project=fd-scn-project'] },
    expect: {
      failing: [], root: 'storage.gcs.bucket[metadata]', messageId: 'noCredentialsHere', fix: ['GOOGLE_APPLICATION_CREDENTIALS', '--in-cluster'],
      warnings: both('storage.gcs.bucket'),
    },
  },
];

scenarios.push({
  name: "GCS with the chart's example project (my-organization-gcp-project): a placeholder finding naming the values key; the GCS probes are blocked by it",
  phase: 'preflight', only,
  inputs: { set: ['configuration.storage.provider=gcs'] },
  expect: {
    failing: ['values.inputs.placeholders'], root: 'values.inputs.placeholders', messageId: 'chartPlaceholder', fix: ['configuration.storage.providerConfig.gcs.project'],
    check: (r) => { for (const x of r.results.filter((y) => y.id.startsWith('storage.gcs.'))) expect(x, x.id).toMatchObject({ status: 'skip', blockedBy: 'values.inputs.placeholders' }); },
  },
});

describeScenarios('storage: broken object stores', scenarios);
