// AWS web identity (EKS IRSA: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE) against a real STS Query
// API of our own on 127.0.0.1 (reached through AWS_ENDPOINT_URL_STS, which the SDK's nested STS
// client of the web-identity provider honours), with real token files. Before, every refusal was
// one hint ("the role's trust policy must allow sts:AssumeRoleWithWebIdentity ..."): an
// unregistered OIDC provider, a wrong audience, an expired token, a malformed role ARN, a missing
// token file all got the trust-policy fix. Now each has its own cause and fix.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../harness/run-check.js';
import { s3Target } from './store-target.js';

const STS_PORT = 30700, CLOSED_PORT = 30701;
const ROLE = 'arn:aws:iam::123456789012:role/flyte-backend';
const ISS = 'https://oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF';
let reply = { status: 403, code: 'AccessDenied', message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity' };
let server: Server;
let dir: string;

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
function token(claims: Record<string, unknown>, name = 'token'): { file: string; text: string } {
  const text = `${b64({ alg: 'RS256', kid: 'k1' })}.${b64({ iss: ISS, sub: 'system:serviceaccount:flyte:flyte-binary', aud: ['sts.amazonaws.com'], exp: Math.floor(Date.now() / 1000) + 3600, iat: Math.floor(Date.now() / 1000), ...claims })}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk`;
  const file = join(dir, name);
  writeFileSync(file, text);
  return { file, text };
}

const VARS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_ENDPOINT_URL_STS', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_EC2_METADATA_DISABLED', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_REGION'];
let saved: Record<string, string | undefined> = {};
function env(vars: Record<string, string | undefined>): void {
  saved = Object.fromEntries(VARS.map((k) => [k, process.env[k]]));
  for (const k of VARS) delete process.env[k];
  Object.assign(process.env, { AWS_CONFIG_FILE: join(dir, 'no-config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'), AWS_EC2_METADATA_DISABLED: 'true', AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${STS_PORT}` });
  for (const [k, v] of Object.entries(vars)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
}
afterEach(() => { for (const k of VARS) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; } });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hz-g-webid-'));
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(reply.status, { 'content-type': 'text/xml', 'x-amzn-requestid': 'hz-g-req' });
      res.end(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${reply.code}</Code><Message>${reply.message}</Message></Error><RequestId>hz-g-req</RequestId></ErrorResponse>`);
    });
  });
  await new Promise<void>((r) => server.listen(STS_PORT, '127.0.0.1', r));
});
afterAll(async () => { await new Promise((r) => server.close(r)); rmSync(dir, { recursive: true, force: true }); });

const pod = () => ({ ...s3Target(undefined, { authType: 'iam', accessKey: undefined as never, secretKey: undefined as never }), inCluster: true, runtime: { ranAt: 'in-cluster/flyte/flyte-binary', apiServer: 'https://127.0.0.1' } });
const here = () => s3Target(undefined, { authType: 'iam', accessKey: undefined as never, secretKey: undefined as never });

async function bucket(target: ReturnType<typeof here>, sts: typeof reply, tok: { file: string; text?: string } | undefined, more: Record<string, string | undefined> = {}) {
  reply = sts;
  env({ AWS_ROLE_ARN: ROLE, AWS_WEB_IDENTITY_TOKEN_FILE: tok?.file, ...more });
  const { result } = await runCheck('storage.s3.bucket', target as never, { instance: 'metadata' });
  if (tok?.text) expect(JSON.stringify(result)).not.toContain(tok.text.split('.')[1]);
  return result;
}

describe('in the cluster: each STS refusal of AssumeRoleWithWebIdentity has its own cause and fix', () => {
  it('AccessDenied: the trust policy, with the exact sub/aud condition for this service account and issuer', async () => {
    const r = await bucket(pod(), { status: 403, code: 'AccessDenied', message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity' }, token({}));
    expect(r).toMatchObject({ status: 'fail', messageId: 'podIdentityFailed', cause: `config:aws-role-trust:${ROLE}` });
    expect(r.hint).toContain('"oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF:sub": "system:serviceaccount:flyte:flyte-binary"');
    expect(r.hint).toContain(':aud": "sts.amazonaws.com"');
    expect(r.hint).toContain('arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF');
    expect(r.details).toMatchObject({ identityFailure: 'trust-policy', stsCode: 'AccessDenied' });
  });

  it('InvalidIdentityToken "No OpenIDConnect provider found": register the OIDC provider, not the trust policy', async () => {
    const r = await bucket(pod(), { status: 400, code: 'InvalidIdentityToken', message: `No OpenIDConnect provider found in your account for ${ISS}` }, token({}));
    expect(r).toMatchObject({ status: 'fail', messageId: 'podIdentityFailed', cause: 'config:aws-oidc-provider:oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF' });
    expect(r.hint).toContain('eksctl utils associate-iam-oidc-provider');
    expect(r.hint).not.toContain('trust policy must allow');
  });

  it('"Incorrect token audience" with aud sts.amazonaws.com: the OIDC provider lacks the client id (not "set aud", which is set)', async () => {
    const r = await bucket(pod(), { status: 400, code: 'InvalidIdentityToken', message: 'Incorrect token audience' }, token({}));
    expect(r.details).toMatchObject({ identityFailure: 'audience' });
    expect(r.hint).toContain('add-client-id-to-open-id-connect-provider');
  });

  it('"Incorrect token audience" with another aud: project the token for sts.amazonaws.com', async () => {
    const r = await bucket(pod(), { status: 400, code: 'InvalidIdentityToken', message: 'Incorrect token audience' }, token({ aud: ['https://kubernetes.default.svc'] }));
    expect(r.message).toContain('aud https://kubernetes.default.svc');
    expect(r.hint).toContain('audience: sts.amazonaws.com');
    expect(r.hint).not.toContain('add-client-id');
  });

  it('ExpiredTokenException with a token expired by this clock: nothing rotates the file', async () => {
    const r = await bucket(pod(), { status: 400, code: 'ExpiredTokenException', message: 'Token expired: current date/time 1795976206 must be before the expiration date/time 1795972606' }, token({ exp: Math.floor(Date.now() / 1000) - 600 }));
    expect(r.details).toMatchObject({ identityFailure: 'token-expired' });
    expect(r.hint).toContain('projected serviceAccountToken');
  });

  it('ExpiredTokenException with a token still valid by this clock: the clock, not the token', async () => {
    const r = await bucket(pod(), { status: 400, code: 'ExpiredTokenException', message: 'Token expired: current date/time 1795976206 must be before the expiration date/time 1795972606' }, token({}));
    expect(r).toMatchObject({ cause: 'config:clock', details: { identityFailure: 'clock' } });
    expect(r.hint).toContain('NTP');
  });

  it('IDPCommunicationError: IAM cannot fetch the issuer\'s keys', async () => {
    const r = await bucket(pod(), { status: 400, code: 'IDPCommunicationError', message: 'Couldn\'t retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements' }, token({}));
    expect(r).toMatchObject({ cause: `backend:oidc-issuer ${ISS.toLowerCase()}`, details: { identityFailure: 'idp-unreachable' } });
    expect(r.hint).toContain('/.well-known/openid-configuration');
  });

  it('RegionDisabledException: activate STS in the region', async () => {
    const r = await bucket(pod(), { status: 403, code: 'RegionDisabledException', message: 'STS is not activated in this region for account:123456789012. Your account administrator can activate STS in this region using the IAM Console.' }, token({}), { AWS_REGION: 'ap-east-1' });
    expect(r).toMatchObject({ cause: 'config:aws-sts-region:ap-east-1', details: { identityFailure: 'sts-region-disabled' } });
    expect(r.hint).toContain('activate STS in ap-east-1');
  });

  it('ValidationError on the role ARN from STS: the role-arn annotation', async () => {
    const r = await bucket(pod(), { status: 400, code: 'ValidationError', message: 'Request ARN is invalid' }, token({}));
    expect(r.details).toMatchObject({ identityFailure: 'role-arn-malformed' });
    expect(r.hint).toContain('eks.amazonaws.com/role-arn');
  });

  it('a malformed AWS_ROLE_ARN is named from the value itself, whatever STS answers', async () => {
    const r = await bucket(pod(), { status: 403, code: 'AccessDenied', message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity' }, token({}), { AWS_ROLE_ARN: 'flyte-backend' });
    expect(r).toMatchObject({ status: 'fail', cause: 'config:eks.amazonaws.com/role-arn=flyte-backend', details: { identityFailure: 'role-arn-malformed' } });
    expect(r.message).toContain('"flyte-backend" is not an IAM role ARN');
    expect(r.hint).not.toContain('trust policy');
  });

  it('the token file does not exist: the projected token is not mounted', async () => {
    const r = await bucket(pod(), reply, { file: join(dir, 'absent') });
    expect(r).toMatchObject({ status: 'fail', messageId: 'podIdentityFailed', details: { identityFailure: 'token-file-missing' } });
    expect(r.message).toContain('does not exist');
  });

  it('the token file is empty', async () => {
    const file = join(dir, 'empty'); writeFileSync(file, '');
    const r = await bucket(pod(), reply, { file });
    expect(r.details).toMatchObject({ identityFailure: 'token-file-empty' });
  });

  it('AWS_ROLE_ARN without AWS_WEB_IDENTITY_TOKEN_FILE: the SDK ignores the role; says so instead of "annotate the service account"', async () => {
    const r = await bucket(pod(), reply, undefined);
    expect(r).toMatchObject({ status: 'fail', messageId: 'podHasNoIdentity', cause: 'config:AWS_WEB_IDENTITY_TOKEN_FILE', details: { identityFailure: 'role-without-token-file' } });
    expect(r.message).toContain('AWS_WEB_IDENTITY_TOKEN_FILE is not');
  });

  it('STS not reachable: the network path to STS', async () => {
    const r = await bucket(pod(), reply, token({}), { AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${CLOSED_PORT}` });
    expect(r).toMatchObject({ cause: `unreachable:127.0.0.1:${CLOSED_PORT}`, details: { identityFailure: 'sts-unreachable' } });
    expect(r.hint).toContain('com.amazonaws.<region>.sts');
  });

  it('an STS code nobody maps: "unrecognised: <code> <message>"', async () => {
    const r = await bucket(pod(), { status: 400, code: 'PackedPolicyTooLarge', message: 'Packed policy consumes 120% of allotted space' }, token({}));
    expect(r.message).toContain('unrecognised: PackedPolicyTooLargeException Packed policy consumes 120% of allotted space');
    expect(r.hint).not.toContain('sub claim');
  });
});

describe('from this machine with a web identity in its environment: the same causes, as warnings about this machine', () => {
  it('AccessDenied here is a warn naming this machine\'s role trust, not Flyte\'s', async () => {
    const r = await bucket(here(), { status: 403, code: 'AccessDenied', message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity' }, token({}));
    expect(r).toMatchObject({ status: 'warn', messageId: 'localCredentialsFailed', cause: `config:aws-role-trust:${ROLE}` });
    expect(r.hint).toContain('--in-cluster');
  });

  it('no OIDC provider here: a warn with the OIDC fix', async () => {
    const r = await bucket(here(), { status: 400, code: 'InvalidIdentityToken', message: `No OpenIDConnect provider found in your account for ${ISS}` }, token({}));
    expect(r).toMatchObject({ status: 'warn', messageId: 'localCredentialsFailed', details: { identityFailure: 'oidc-provider-missing' } });
  });
});
