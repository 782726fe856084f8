// Credentials vs permissions on the real MinIO: a wrong secret, an unknown key, a disabled user,
// and authType iam (this machine's identity, not Flyte's) each have their own finding and fix.
import { afterEach, describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck, runSelection } from '../../harness/run-check.js';
import { minioUser } from './mc.js';
import { assertS3Clean, s3Target } from './store-target.js';

const AWS_VARS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'];
function withAwsEnv(vars: Record<string, string>): () => void {
  const saved = Object.fromEntries(AWS_VARS.map((k) => [k, process.env[k]]));
  for (const k of AWS_VARS) delete process.env[k];
  Object.assign(process.env, vars);
  return () => { for (const k of AWS_VARS) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; } };
}

const failing = (run: Awaited<ReturnType<typeof runSelection>>) => run.results.filter((r) => r.status === 'fail' || r.status === 'error').map((r) => `${r.id}[${r.instance ?? ''}]`).sort();

describe('S3 credentials on MinIO', () => {
  afterEach(assertS3Clean);

  it('a wrong secret key is SignatureDoesNotMatch with the secretKey fix, on both buckets, one cause', async () => {
    const m = getTestbed().minio;
    const run = await runSelection(s3Target({ accessKey: m.root.accessKey, secretKey: 'not-the-right-secret' }), 'preflight', ['storage.s3']);
    expect(failing(run)).toEqual(['storage.s3.bucket[metadata]', 'storage.s3.bucket[userdata]']);
    const b = run.results.find((r) => r.id === 'storage.s3.bucket' && r.instance === 'metadata')!;
    expect(b.messageId).toBe('wrongSecretKey');
    expect(b.hint).toContain('configuration.storage.providerConfig.s3.secretKey');
    expect(b.rootCause).toBe(true);
    expect(run.results.find((r) => r.id === 'storage.s3.bucket' && r.instance === 'userdata')!.explainedBy).toBe('storage.s3.bucket[metadata]');
    expect(b.cause).toBe('credentials:s3:test…root');
  });

  it('whitespace around the keys, the bucket or the endpoint is named as the cause (Flyte sends them as written)', async () => {
    const m = getTestbed().minio;
    const secret = (await runCheck('storage.s3.bucket', s3Target({ accessKey: m.root.accessKey, secretKey: `${m.root.secretKey}\n` }), { instance: 'metadata' })).result;
    expect(secret).toMatchObject({ status: 'fail', messageId: 'wrongSecretKey' });
    expect(secret.message).toMatch(/\(SignatureDoesNotMatch\): the secret key of access key \S+ ends with a newline/);
    expect(secret.hint).toMatch(/with nothing around it/);
    const key = (await runCheck('storage.s3.bucket', s3Target({ accessKey: `${m.root.accessKey} `, secretKey: m.root.secretKey }), { instance: 'metadata' })).result;
    expect(key.status).toBe('fail');
    expect(key).toMatchObject({ messageId: "unknownAccessKey" });
    expect(key.message).toMatch(/the access key id ends with a space, so the store looks up a key that does not exist/);
    // a bucket name with a space is named from the values, before any request (storage.config.coherent)
    const bucketRun = await runCheck('storage.s3.bucket', s3Target(m.root, { metadataBucket: `${m.buckets.metadata} ` }), { instance: 'metadata' });
    const bucket = bucketRun.results.find((r) => r.id === 'storage.config.coherent')!;
    expect(bucket).toMatchObject({ status: 'fail', messageId: 'invalidBucketName', rootCause: true });
    expect(bucket.message).toMatch(/the metadata bucket ".+ " \(configuration\.storage\.metadataContainer\) ends with a space/);
    expect(bucket.hint).toBe(`set configuration.storage.metadataContainer: ${m.buckets.metadata}`);
    expect(bucketRun.result.status).toBe('skip');
    const endpoint = (await runCheck('storage.s3.endpoint', s3Target(m.root, { endpoint: `${m.endpoint} ` }))).result;
    expect(endpoint).toMatchObject({ status: 'fail', messageId: 'notAUrl' });
    expect(endpoint.message).toMatch(/ends with a space: Flyte's storage client refuses it as a URL/);
    expect(endpoint.hint).toContain(`to ${JSON.stringify(m.endpoint)}, with nothing around it`);
  });

  it('with authType accesskey, AWS_* variables in the environment are ignored, and the fix says so', async () => {
    const m = getTestbed().minio;
    const undo = withAwsEnv({ AWS_ACCESS_KEY_ID: m.root.accessKey, AWS_SECRET_ACCESS_KEY: m.root.secretKey });
    try {
      const { result } = await runCheck('storage.s3.bucket', s3Target({ accessKey: m.root.accessKey, secretKey: 'not-the-right-secret' }), { instance: 'metadata' });
      expect(result.messageId).toBe('wrongSecretKey');
      expect(result.hint).toContain('AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in this environment are ignored');
      expect(result.details?.precedence).toContain('authType accesskey');
    } finally { undo(); }
  });

  it('an unknown access key is InvalidAccessKeyId', async () => {
    const { result } = await runCheck('storage.s3.bucket', s3Target({ accessKey: 'fd-st-nobody-at-all', secretKey: 'whatever-secret' }), { instance: 'metadata' });
    expect(result.messageId).toBe('unknownAccessKey');
    expect(result.message).toContain('fd-s…-all');
    expect(result.hint).toContain('configuration.storage.providerConfig.s3.accessKey');
    // MinIO deletes a service account when its --expiry passes: an expired one answers exactly this
    expect(result.hint).toContain('a service account created with --expiry no longer exists once it expired');
  });

  it('a disabled MinIO user is its own finding (not a permission)', async () => {
    const u = minioUser('disabled', { disabled: true });
    try {
      const { result } = await runCheck('storage.s3.bucket', s3Target(u), { instance: 'metadata' });
      expect(result.messageId).toBe('accountDisabled');
      expect(result.hint).toContain('mc admin user enable');
    } finally { u.remove(); }
  });

  it('an enabled user of our own with readwrite passes (the disabled case is the only difference)', async () => {
    const u = minioUser('enabled');
    try {
      const { result } = await runCheck('storage.s3.put', s3Target(u), { instance: 'metadata' });
      expect(result.status).toBe('pass');
    } finally { u.remove(); }
  });
});

describe('authType iam: this machine\'s identity', () => {
  afterEach(assertS3Clean);

  it('with credentials in the environment the probes pass and say whose identity they used', async () => {
    const m = getTestbed().minio;
    const undo = withAwsEnv({ AWS_ACCESS_KEY_ID: m.root.accessKey, AWS_SECRET_ACCESS_KEY: m.root.secretKey });
    try {
      const run = await runSelection(s3Target(undefined, { authType: 'iam', accessKey: undefined as never, secretKey: undefined as never }), 'preflight', ['storage.s3.put']);
      const put = run.results.find((r) => r.id === 'storage.s3.put' && r.instance === 'metadata')!;
      expect(put.status).toBe('pass');
      expect(put.message).toContain('this machine\'s AWS identity (access key test…root, from env AWS_ACCESS_KEY_ID)');
      expect(put.message).toContain('--in-cluster');
      expect(put.details?.judgedFor).toBe('this machine (authType iam)');
      expect(JSON.stringify(run.results)).not.toContain(m.root.secretKey);
    } finally { undo(); }
  });

  it('the IRSA role the values give Flyte is named: the probe says it used this machine\'s identity, not that role', async () => {
    const m = getTestbed().minio;
    const undo = withAwsEnv({ AWS_ACCESS_KEY_ID: m.root.accessKey, AWS_SECRET_ACCESS_KEY: m.root.secretKey });
    try {
      const role = 'arn:aws:iam::123456789012:role/flyte-backend';
      const t = s3Target(undefined, { authType: 'iam', accessKey: undefined as never, secretKey: undefined as never, flyteIdentity: `AWS IAM role (IRSA) ${role} of flyte-binary, serviceAccount.annotations.eks.amazonaws.com/role-arn` });
      const put = (await runSelection(t, 'preflight', ['storage.s3.put'])).results.find((r) => r.id === 'storage.s3.put' && r.instance === 'metadata')!;
      expect(put.status).toBe('pass');
      expect(put.message).toContain(`not the IRSA role Flyte's pods use (AWS IAM role (IRSA) ${role} of flyte-binary, serviceAccount.annotations.eks.amazonaws.com/role-arn)`);
    } finally { undo(); }
  });

  it('a denied permission for this machine\'s identity is a warn, not a fail about Flyte\'s role', async () => {
    const m = getTestbed().minio;
    const undo = withAwsEnv({ AWS_ACCESS_KEY_ID: m.users.noPut.accessKey, AWS_SECRET_ACCESS_KEY: m.users.noPut.secretKey });
    try {
      const run = await runSelection(s3Target(undefined, { authType: 'iam', accessKey: undefined as never, secretKey: undefined as never }), 'preflight', ['storage.s3.put']);
      const put = run.results.find((r) => r.id === 'storage.s3.put' && r.instance === 'metadata')!;
      expect(put.status).toBe('warn');
      expect(put.messageId).toBe('deniedForThisMachine');
      expect(put.hint).toContain('--in-cluster');
      expect(failing(run)).toEqual([]);
    } finally { undo(); }
  });

  it('rejected credentials of this machine are a warn naming the env vars', async () => {
    const undo = withAwsEnv({ AWS_ACCESS_KEY_ID: 'fd-st-unknown-env-key', AWS_SECRET_ACCESS_KEY: 'nope-nope-nope' });
    try {
      const { result } = await runCheck('storage.s3.bucket', s3Target(undefined, { authType: 'iam', accessKey: undefined as never, secretKey: undefined as never }), { instance: 'metadata' });
      expect(result.status).toBe('warn');
      expect(result.messageId).toBe('thisMachineCredentialsRejected');
      expect(result.hint).toContain('AWS_ACCESS_KEY_ID');
    } finally { undo(); }
  });

  it('a local credential chain whose AWS_PROFILE gives nothing: the warn names the profile', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'fd-st-aws-'));
    const undo = withAwsEnv({ AWS_PROFILE: 'fd-st-no-such-profile', AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), AWS_CONFIG_FILE: join(dir, 'config') } as Record<string, string>);
    try {
      const { result } = await runCheck('storage.s3.bucket', s3Target(undefined, { authType: 'iam', accessKey: undefined as never, secretKey: undefined as never }), { instance: 'metadata' });
      expect(result.status).toBe('warn');
      expect(result.messageId).toBe('noCredentialsHere');
      expect(result.message).toContain('cannot be checked from this machine');
      expect(result.message).toContain('AWS_PROFILE=fd-st-no-such-profile is set, but that profile gives no usable credentials');
    } finally { undo(); delete process.env.AWS_SHARED_CREDENTIALS_FILE; delete process.env.AWS_CONFIG_FILE; }
  });

  it('no credentials anywhere: a warn (cannot be checked here) naming the chain, and the probes are skipped', async () => {
    const undo = withAwsEnv({});
    try {
      const run = await runSelection(s3Target(undefined, { authType: 'iam', accessKey: undefined as never, secretKey: undefined as never }), 'preflight', ['storage.s3']);
      const b = run.results.find((r) => r.id === 'storage.s3.bucket' && r.instance === 'metadata')!;
      expect(b.status).toBe('warn');
      expect(b.messageId).toBe('noCredentialsHere');
      expect(b.message).toContain('cannot be checked from this machine');
      expect(b.hint).toContain('AWS_ACCESS_KEY_ID');
      expect(b.hint).toContain('--in-cluster');
      expect(failing(run)).toEqual([]);
      expect(run.results.filter((r) => r.id === 'storage.s3.put').every((r) => r.status === 'skip' && r.messageId === 'notCheckedHere')).toBe(true);
    } finally { undo(); }
  });

  it('authType iam with keys set and no other credentials: the keys are ignored; the fix is authType accesskey', async () => {
    const undo = withAwsEnv({});
    try {
      const run = await runSelection(s3Target(undefined, { authType: 'iam' }), 'preflight', ['storage.s3']);
      expect(failing(run)).toEqual(['storage.s3.bucket[metadata]', 'storage.s3.bucket[userdata]']);
      const b = run.results.find((r) => r.id === 'storage.s3.bucket' && r.instance === 'metadata')!;
      expect(b.messageId).toBe('iamKeysIgnored');
      expect(b.hint).toContain('configuration.storage.providerConfig.s3.authType: accesskey');
      const c = run.results.find((r) => r.id === 'storage.config.coherent')!;
      expect(c.messageId).toBe('keysIgnored');
      expect(c.rootCause).toBe(true);
      expect(b.explainedBy).toBe('storage.config.coherent');
    } finally { undo(); }
  });
});

describe('authType iam from inside the cluster (target.inCluster): the identity is the pod\'s, every refusal is a finding', () => {
  afterEach(assertS3Clean);
  const podTarget = () => ({ ...s3Target(undefined, { authType: 'iam', accessKey: undefined as never, secretKey: undefined as never }), inCluster: true, runtime: { ranAt: 'in-cluster/flyte/flyte-binary', apiServer: 'https://127.0.0.1' } });

  it('no AWS credentials in the pod: a fail (IRSA not wired), not "cannot be checked from here"', async () => {
    const undo = withAwsEnv({});
    try {
      const { result } = await runCheck('storage.s3.bucket', podTarget() as never, { instance: 'metadata' });
      expect(result).toMatchObject({ status: 'fail', messageId: 'podHasNoIdentity' });
      expect(result.message).toContain('in-cluster/flyte/flyte-binary');
      expect(result.hint).toContain('eks.amazonaws.com/role-arn');
    } finally { undo(); }
  });

  it('the pod\'s identity denied a permission: permissionDenied (fail) naming it, not the this-machine warning', async () => {
    const m = getTestbed().minio;
    const undo = withAwsEnv({ AWS_ACCESS_KEY_ID: m.users.noPut.accessKey, AWS_SECRET_ACCESS_KEY: m.users.noPut.secretKey });
    try {
      const run = await runSelection(podTarget() as never, 'preflight', ['storage.s3.put']);
      const put = run.results.find((r) => r.id === 'storage.s3.put' && r.instance === 'metadata')!;
      expect(put).toMatchObject({ status: 'fail', messageId: 'permissionDenied' });
      expect(put.message).toContain('s3:PutObject');
    } finally { undo(); }
  });
});
