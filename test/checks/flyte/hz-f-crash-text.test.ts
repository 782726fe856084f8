// What a crash-looping Flyte component says, read as its cause (src/flyte/crash-text.ts). Before, only a
// refused password and an unreachable database were read; every other text got "its log shows why it exits"
// with the component's own cause, so a storage, database or auth fault that crash-loops flyte-binary stood as
// a second root next to the check that found it from here, and a refused connection to the object store was
// blamed on the database. Each text is written as the kubelet writes a CrashLoopBackOff with its last
// termination message into a private flyte-binary install (namespace hz-f-bin) on the test bed's REAL
// kube-apiserver; the target is loaded by the real loader from the test bed's values, so the cause keys are
// built from the same provenance as the storage/database/auth checks'.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadTarget } from '../../../src/config/load.js';
import type { Target } from '../../../src/config/target.js';
import { maskIdentifier } from '../../../src/config/secret.js';
import { cause, hostPortKey } from '../../../src/engine/causes.js';
import type { CheckResult } from '../../../src/engine/types.js';
import { installFlyte, makeReady, removeInstall, setPodState, type Install, type InstallOptions } from '../../infra/flyte-install.js';
import { runSelection } from '../../harness/run-check.js';
import { getTestbed } from '../../harness/testbed.js';

const tb = () => getTestbed();
const o: InstallOptions = { namespace: 'hz-f-bin', release: 'hzf', noWebhook: true };
let inst: Install;
const dir = mkdtempSync(join(tmpdir(), 'hz-f-'));
type Values = Record<string, any>;

/** The test bed's flyte-binary values, changed by `edit`, loaded as the CLI loads them, aimed at the private install. */
function target(edit: (v: Values) => void = () => undefined): Target {
  const v = parse(readFileSync(join(tb().dir, 'values.yaml'), 'utf8')) as Values;
  edit(v);
  const f = join(dir, `values-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(f, stringify(v));
  return loadTarget({ values: [f], set: [], kubeconfig: tb().kube.kubeconfig, context: 'admin', namespace: o.namespace!, env: {}, cwd: dir, home: dir, dnsServer: tb().dns.server });
}
const crash = (message: string) => ({ containers: { flyte: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container=flyte pod=x' }, restarts: 6, lastTerminated: { reason: 'Error', exitCode: 1, message } } } });
const deployments = async (t: Target): Promise<CheckResult> => (await runSelection(t, 'verify', ['flyte.deployments.ready'])).results.find((x) => x.id === 'flyte.deployments.ready')!;

const minio = () => new URL(tb().minio.endpoint);
const store = () => hostPortKey(minio().hostname, Number(minio().port));
const db = () => hostPortKey(tb().postgres.host, tb().postgres.port);
const keyId = () => maskIdentifier(tb().minio.root.accessKey);
const sa = () => `system:serviceaccount:${o.namespace}:${inst.fullname}`;
const arn = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
// a FallbackToLogsOnError tail: earlier lines, the cause in the middle, a stack trace after it (over 500 characters)
const logTail = () => [
  ...Array.from({ length: 6 }, (_, i) => `{"json":{"src":"viper.go:${400 + i}"},"level":"info","msg":"config key ${i} loaded from /etc/flyte/config.d/000-core.yaml","ts":"2026-11-29T18:00:0${i}Z"}`),
  `{"json":{"src":"stow_store.go:315"},"level":"error","msg":"Container [${tb().minio.buckets.metadata}] lookup failed. Error NoSuchBucket: The specified bucket does not exist\\n\\tstatus code: 404, request id: 17A3B"}`,
  'panic: Failed to create DataStore',
  '',
  'goroutine 1 [running]:',
  'github.com/flyteorg/flyte/flytestdlib/storage.NewDataStore(0xc000123450, 0xc000abcdef)',
  '\t/go/src/github.com/flyteorg/flyte/flytestdlib/storage/rawstores.go:70 +0x1c5',
  'main.main()',
  '\t/go/src/github.com/flyteorg/flyte/cmd/main.go:12 +0x25',
].join('\n');

interface Row {
  name: string;
  text: () => string;
  values?: (v: Values) => void;
  cause: () => string;
  hint: RegExp;
  notHint?: RegExp;
  msg?: RegExp;
}

const rows: Row[] = [
  // ---- PostgreSQL
  { name: 'database missing (3D000): the dbname key, database.postgres.database\'s cause', cause: () => cause.config('configuration.database.dbname'), hint: /CREATE DATABASE "?flyteadmin"?.*CREATEDB.*configuration\.database\.dbname/,
    text: () => `failed to connect to \`host=${tb().postgres.host} user=flyte_owner database=flyteadmin\`: server error (FATAL: database "flyteadmin" does not exist (SQLSTATE 3D000))` },
  { name: 'CREATE DATABASE refused at start: the same key', cause: () => cause.config('configuration.database.dbname'), hint: /may not create it/,
    text: () => 'failed to create database flyteadmin: ERROR: permission denied to create database (SQLSTATE 42501)' },
  { name: 'pg_hba refuses plaintext, values without sslmode: the options key, database.postgres.tls\'s cause', cause: () => cause.config('configuration.database.options'), hint: /set configuration\.database\.options: "sslmode=require"/,
    values: (v) => { v['configuration'].database.options = 'sslmode=disable'; },
    text: () => `failed to connect to \`host=${tb().postgres.host} user=flyte_owner database=flyteadmin\`: server error (FATAL: no pg_hba.conf entry for host "10.1.0.7", user "flyte_owner", database "flyteadmin", no encryption (SQLSTATE 28000))` },
  { name: 'pg_hba refuses plaintext while the values already say sslmode=require: no fix that sets what is set', cause: () => cause.backend('flyteadmin'), hint: /already says sslmode=require.*helm upgrade/, notHint: /set configuration\.database\.options/,
    text: () => 'server error (FATAL: no pg_hba.conf entry for host "10.1.0.7", user "flyte_owner", database "flyteadmin", no encryption (SQLSTATE 28000))' },
  { name: 'pg_hba has no line for the pod network (over TLS): pg_hba denial of the role', cause: () => cause.denied('postgres', `flyte_owner@${db()}`, 'pg_hba'), hint: /hostssl flyteadmin flyte_owner <pod CIDR>/,
    text: () => 'server error (FATAL: no pg_hba.conf entry for host "10.1.0.7", user "flyte_owner", database "flyteadmin", SSL encryption (SQLSTATE 28000))' },
  { name: 'migrations fail (42P01)', cause: () => cause.backend('flyteadmin'), hint: /migrations fail \(relation "description_entities" is missing\).*database\.postgres\.version.*flyte#5157/,
    text: () => 'Error: database migration failed: ERROR: relation "description_entities" does not exist (SQLSTATE 42P01)' },
  { name: 'too many clients (53300): maxOpenConnections', cause: () => cause.backend('flyteadmin'), hint: /lower configuration\.(inline\.)?database\.maxOpenConnections.*database\.postgres\.connections/,
    text: () => 'failed to connect to `host=db user=flyte_owner database=flyteadmin`: server error (FATAL: sorry, too many clients already (SQLSTATE 53300))' },
  { name: 'read-only replica (25006): the host key', cause: () => cause.config('configuration.database.host'), hint: /read-only replica.*writer endpoint/,
    text: () => 'ERROR: cannot execute CREATE TABLE in a read-only transaction (SQLSTATE 25006)' },
  { name: 'the pods dial another database host than the values: the release, not the values', cause: () => cause.backend('flyteadmin'), hint: /connect to the database host old-db.*helm upgrade/,
    text: () => 'failed to connect to `host=old-db user=flyte_owner database=flyteadmin`: hostname resolving error (lookup old-db on 10.96.0.10:53: no such host)' },
  // ---- object store
  { name: 'NoSuchBucket on the metadata bucket: storage.s3.bucket\'s cause', cause: () => cause.config(`configuration.storage.metadataContainer=${tb().minio.buckets.metadata}`), hint: /create it beforehand .*or set configuration\.storage\.metadataContainer/,
    text: () => `Container [${tb().minio.buckets.metadata}] lookup failed. Error NoSuchBucket: The specified bucket does not exist\n\tstatus code: 404, request id: 17A3B` },
  { name: 'the bucket was not found and CreateBucket was refused (stow): the bucket, not a permission', cause: () => cause.config(`configuration.storage.userDataContainer=${tb().minio.buckets.userdata}`), hint: /its identity may not create one.*configuration\.storage\.userDataContainer/,
    text: () => `Call to create container [${tb().minio.buckets.userdata}] failed. Error AccessDenied: Access Denied\n\tstatus code: 403` },
  { name: 'a missing bucket the values do not name', cause: () => cause.backend('flyteadmin'), hint: /bucket old-bucket.*values do not name/,
    text: () => 'Container [old-bucket] lookup failed. Error NoSuchBucket: The specified bucket does not exist' },
  { name: 'InvalidAccessKeyId (accesskey: the pods use the values\' keys): the storage checks\' credentials cause', cause: () => cause.credentials('s3', keyId()), hint: /set configuration\.storage\.providerConfig\.s3\.accessKey to an access key id that exists/,
    text: () => 'Container [flyte-metadata] lookup failed. Error InvalidAccessKeyId: The Access Key Id you provided does not exist in our records.\n\tstatus code: 403' },
  { name: 'SignatureDoesNotMatch: the secret key', cause: () => cause.credentials('s3', keyId()), hint: /set configuration\.storage\.providerConfig\.s3\.secretKey to the secret/, notHint: /accessKey to an access key id/,
    text: () => 'SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided. Check your key and signing method.' },
  { name: 'ExpiredToken is not InvalidAccessKeyId', cause: () => cause.credentials('s3', keyId()), hint: /temporary credentials cannot live in/,
    text: () => 'ExpiredToken: The provided token has expired.\n\tstatus code: 400' },
  { name: 'AccessDenied with the values\' keys', cause: () => cause.credentials('s3', keyId()), hint: /may not use the bucket.*s3:ListBucket/,
    text: () => 'Container [flyte-metadata] lookup failed. Error AccessDenied: Access Denied\n\tstatus code: 403, request id: 1' },
  { name: 'InvalidAccessKeyId with authType iam: the pod\'s identity, not this machine\'s keys', cause: () => cause.backend('flyteadmin'), hint: /authType iam that is the pod's identity/,
    values: (v) => { const s3 = v['configuration'].storage.providerConfig.s3; s3.authType = 'iam'; delete s3.accessKey; delete s3.secretKey; },
    text: () => 'InvalidAccessKeyId: The AWS Access Key Id you provided does not exist in our records.' },
  { name: 'NoCredentialProviders (authType iam): IRSA on the service account', cause: () => cause.backend('flyteadmin'), hint: /eks\.amazonaws\.com\/role-arn.*serviceAccount\.annotations/,
    values: (v) => { const s3 = v['configuration'].storage.providerConfig.s3; s3.authType = 'iam'; delete s3.accessKey; delete s3.secretKey; },
    text: () => 'Failed to create DataStore: NoCredentialProviders: no valid providers in chain. Deprecated.\n\tFor verbose messaging see aws.Config.CredentialsChainVerboseErrors' },
  { name: 'WebIdentityErr: the role\'s trust policy', cause: () => cause.backend('flyteadmin'), hint: /AssumeRoleWithWebIdentity for system:serviceaccount:hz-f-bin/,
    text: () => 'WebIdentityErr: failed to retrieve credentials\ncaused by: AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity' },
  { name: 'KMS refuses the write: the key, s3.put\'s cause', cause: () => cause.config(`kms-key:${arn}`), hint: /kms:GenerateDataKey and kms:Decrypt/,
    text: () => `AccessDenied: User: arn:aws:sts::123456789012:assumed-role/flyte/x is not authorized to perform: kms:GenerateDataKey on resource: ${arn}` },
  { name: 'GCS Workload Identity binding missing', cause: () => cause.backend('flyteadmin'), hint: /roles\/iam\.workloadIdentityUser.*svc\.id\.goog\[hz-f-bin\//,
    text: () => 'Container [gcs-bucket] lookup failed. Error Get "https://storage.googleapis.com/storage/v1/b/gcs-bucket?alt=json&prettyPrint=false": compute: Received 403 `Unable to generate access token; IAM returned 403 Forbidden: Permission \'iam.serviceAccounts.getAccessToken\' denied on resource (or it may not exist).`' },
  { name: 'the object store refuses the connection: the store\'s endpoint, not the database', cause: () => cause.unreachable(store()), hint: /cannot reach the object store at .*configuration\.storage\.providerConfig\.s3\.endpoint/, notHint: /database/,
    text: () => `Container [flyte-metadata] lookup failed. Error RequestError: send request failed\ncaused by: Head "${tb().minio.endpoint}/flyte-metadata": dial tcp ${store()}: connect: connection refused` },
  { name: 'the pods do not trust the store\'s certificate', cause: () => cause.tls('untrusted', store()), hint: /do not trust the object store's certificate/, notHint: /database/,
    text: () => `RequestError: send request failed\ncaused by: Head "${tb().minio.endpoint.replace('http:', 'https:')}/flyte-metadata": tls: failed to verify certificate: x509: certificate signed by unknown authority` },
  // ---- auth
  { name: 'OIDC provider cannot be created: the issuer key, auth.oidc.issuer\'s cause', cause: () => cause.config('configuration.auth.oidc.baseUrl'), hint: /configuration\.auth\.oidc\.baseUrl.*issuer URL/,
    text: () => 'Error creating oidc provider w/ issuer [https://login.example.com/tenant/oauth2/v2.0/authorize]. Error: 404 Not Found: {"error":"not found"}' },
  { name: 'OIDC issuer mismatch', cause: () => cause.config('configuration.auth.oidc.baseUrl'), hint: /names another issuer/,
    text: () => 'oidc: issuer did not match the issuer returned by provider, expected "https://idp.example.com" got "https://idp.example.com/"' },
  { name: 'OIDC issuer does not resolve from the pod: the issuer\'s name', cause: () => cause.dns('idp.hz-f.invalid'), hint: /cannot load its OIDC issuer idp\.hz-f\.invalid/,
    text: () => 'Error creating oidc provider w/ issuer [https://idp.hz-f.invalid]. Error: Get "https://idp.hz-f.invalid/.well-known/openid-configuration": dial tcp: lookup idp.hz-f.invalid on 10.96.0.10:53: no such host' },
  // ---- Kubernetes and config
  { name: 'the FlyteWorkflow CRD creation is forbidden: the service account\'s denial, flyte.rbac.runtime\'s key', cause: () => cause.denied('kubernetes', sa(), 'create customresourcedefinitions.apiextensions.k8s.io'), hint: /creates the FlyteWorkflow CRD at start/,
    text: () => `Failed to start Propeller, err: failed to create FlyteWorkflow CRD: customresourcedefinitions.apiextensions.k8s.io is forbidden: User "${sa()}" cannot create resource "customresourcedefinitions" in API group "apiextensions.k8s.io" at the cluster scope` },
  { name: 'etcd refuses a large FlyteWorkflow', cause: () => cause.backend('flyteadmin'), hint: /configuration\.inline\.flyteadmin\.useOffloadedWorkflowClosure: true/,
    text: () => 'Failed to update workflow. Error [etcdserver: request is too large]' },
  { name: 'an unknown config key', cause: () => cause.backend('flyteadmin'), hint: /configuration\.inline has "proxycommand"/,
    text: () => "failed to load config: 1 error(s) decoding:\n\n* '' has invalid keys: proxycommand" },
  { name: 'flyteadmin\'s gRPC port 81 refused', cause: () => cause.backend('flyteadmin'), hint: /configuration\.inline\.admin\.endpoint/, notHint: /database/,
    text: () => 'rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing dial tcp 10.110.127.57:81: connect: connection refused"' },
  // ---- the log tail of FallbackToLogsOnError: the cause in the middle of 1500 characters
  { name: 'a long termination message: its telling line is shown and read', cause: () => cause.config(`configuration.storage.metadataContainer=${tb().minio.buckets.metadata}`), hint: /configuration\.storage\.metadataContainer/,
    msg: /last termination: Error, exit 1, … \{"json":\{"src":"stow_store\.go:315"\}.*NoSuchBucket/, text: logTail },
  // ---- what matches nothing keeps the generic finding
  { name: 'text of no known family: the generic line', cause: () => cause.backend('flyteadmin'), hint: /--previous\` shows why it exits/, text: () => 'panic: the flux capacitor is not charged' },
];

describe.sequential('hz-f: a crash loop read as its cause, on the real API server', () => {
  beforeAll(async () => {
    await removeInstall(tb(), 'flyte-binary', o);
    inst = await installFlyte(tb(), 'flyte-binary', { ...o, db: { host: tb().postgres.host, port: tb().postgres.port, user: 'flyte_owner' } });
  }, 60_000);
  afterAll(async () => {
    await removeInstall(tb(), 'flyte-binary', o);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('healthy first: the private install passes', async () => {
    const d = await deployments(target());
    expect(d.status, d.message).toBe('pass');
  });

  for (const row of rows) {
    it(row.name, async () => {
      await setPodState(tb(), inst.fullname!, crash(row.text()), o);
      try {
        const d = await deployments(target(row.values));
        expect(d, `${d.message}\n${d.hint}`).toMatchObject({ status: 'fail', messageId: 'crashLooping', cause: row.cause() });
        expect(d.hint).toMatch(row.hint);
        if (row.notHint) expect(d.hint).not.toMatch(row.notHint);
        if (row.msg) expect(d.message).toMatch(row.msg);
        // the services check reads the same pods: the same cause
        const s = (await runSelection(target(row.values), 'verify', ['flyte.services.endpoints'])).results.find((x) => x.id === 'flyte.services.endpoints')!;
        expect(s.cause).toBe(row.cause());
      } finally { await makeReady(tb(), inst.fullname!, o); }
    });
  }

  it('a secret in the crash text is not in the finding', async () => {
    const secret = tb().minio.root.secretKey;
    await setPodState(tb(), inst.fullname!, crash(`SignatureDoesNotMatch: The request signature we calculated does not match (secret_key=${secret})`), o);
    try {
      const run = await runSelection(target(), 'verify', ['flyte.deployments.ready', 'flyte.services.endpoints']);
      const d = run.results.find((x) => x.id === 'flyte.deployments.ready')!;
      expect(d.cause).toBe(cause.credentials('s3', keyId()));
      expect(JSON.stringify(d)).not.toContain(secret);
      // the endpoints check quotes why a pod is not ready: the same reading, redacted too
      expect(JSON.stringify(run.results.find((x) => x.id === 'flyte.services.endpoints'))).not.toContain(secret);
    } finally { await makeReady(tb(), inst.fullname!, o); }
  });
});
