// EKS Pod Identity (AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, the
// agent on 169.254.170.23) with a fake agent of this file on 127.0.0.1:30126 (the SDK allows loopback
// full URIs), a closed port 30127 and a silent one 30128, in an in-cluster target. Before, the SDK's
// chain swallowed the agent's answer and every case was "has no AWS credentials: ... annotate Flyte's
// service account with eks.amazonaws.com/role-arn (IRSA)", or the raw ENOENT with the IRSA trust-policy
// hint. Now the agent's silence, its refusal and the token file each name their own cause and fix,
// and the token never appears in the report.
import { createServer, type Server } from 'node:http';
import { createServer as tcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../harness/run-check.js';
import { s3Target } from './store-target.js';

const AGENT = 30126, CLOSED = 30127, SILENT = 30128;
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6Zmx5dGU6Zmx5dGUtYmluYXJ5IiwiYXVkIjpbInBvZHMuZWtzLmFtYXpvbmF3cy5jb20iXX0.aHota2F1dGgtc2lnbmF0dXJl';
let reply = { status: 500, body: '' };
const seenAuth: string[] = [];
let agent: Server, silent: TcpServer;
const sockets = new Set<Socket>();
let dir: string, tokenFile: string;

const VARS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_EC2_METADATA_DISABLED', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_AUTHORIZATION_TOKEN', 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE'];
let saved: Record<string, string | undefined> = {};
function env(vars: Record<string, string | undefined>): void {
  saved = Object.fromEntries(VARS.map((k) => [k, process.env[k]]));
  for (const k of VARS) delete process.env[k];
  Object.assign(process.env, { AWS_CONFIG_FILE: join(dir, 'no-config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'), AWS_EC2_METADATA_DISABLED: 'true' });
  for (const [k, v] of Object.entries(vars)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
}
afterEach(() => { for (const k of VARS) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; } });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hz-k-podid-'));
  tokenFile = join(dir, 'eks-pod-identity-token');
  writeFileSync(tokenFile, TOKEN);
  agent = createServer((req, res) => { seenAuth.push(String(req.headers.authorization ?? '')); req.resume(); req.on('end', () => { res.writeHead(reply.status, { 'content-type': 'application/json' }); res.end(reply.body); }); });
  silent = tcpServer((s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => agent.listen(AGENT, '127.0.0.1', r));
  await new Promise<void>((r) => silent.listen(SILENT, '127.0.0.1', r));
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => { agent.closeAllConnections(); agent.close(() => r()); });
  await new Promise<void>((r) => silent.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

const pod = () => ({ ...s3Target(undefined, { authType: 'iam', accessKey: undefined as never, secretKey: undefined as never }), inCluster: true, runtime: { ranAt: 'in-cluster/flyte/flyte-binary', apiServer: 'https://127.0.0.1' } });

async function bucket(port: number, file: string | undefined, r = reply) {
  reply = r;
  env({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${port}/v1/credentials`, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: file });
  const { result } = await runCheck('storage.s3.bucket', pod() as never, { instance: 'metadata' });
  expect(JSON.stringify(result)).not.toContain(TOKEN.split('.')[1]);
  expect(result.hint ?? '').not.toContain('eks.amazonaws.com/role-arn');
  return result;
}

describe('EKS Pod Identity in the cluster', () => {
  it('the agent does not listen: unreachable, names the agent and the add-on', async () => {
    const r = await bucket(CLOSED, tokenFile);
    expect(r.messageId, r.message).toBe('podIdentityFailed');
    expect(r.cause).toBe(`unreachable:127.0.0.1:${CLOSED}`);
    expect(r.message).toContain('EKS Pod Identity Agent');
    expect(r.message).toContain('connection refused');
    expect(r.hint).toContain('eks-pod-identity-agent');
  });

  it('the agent accepts and never answers: bounded, the same finding', async () => {
    const t0 = Date.now();
    const r = await bucket(SILENT, tokenFile);
    expect(r.messageId, r.message).toBe('podIdentityFailed');
    expect(r.message).toMatch(/cannot be reached: no answer within/);
    expect(Date.now() - t0).toBeLessThan(12_000);
  }, 20_000);

  it('the token file is missing: the file and the webhook\'s volume, not the IRSA trust policy', async () => {
    const r = await bucket(AGENT, join(dir, 'nope'));
    expect(r.messageId, r.message).toBe('podIdentityFailed');
    expect(r.message).toContain('does not exist');
    expect(r.hint).toContain('eks-pod-identity-token');
    expect(r.hint).not.toMatch(/AssumeRoleWithWebIdentity/);
  });

  it('the agent refuses the token (400/403): the token\'s audience and the volume; the token is sent, never shown', async () => {
    seenAuth.length = 0;
    const r = await bucket(AGENT, tokenFile, { status: 400, body: '{"Code":"InvalidParameterException","Message":"Invalid token"}' });
    expect(r.messageId, r.message).toBe('podIdentityFailed');
    expect(r.message).toContain('HTTP 400 InvalidParameterException: Invalid token');
    expect(r.hint).toContain('pods.eks.amazonaws.com');
    expect(seenAuth).toContain(TOKEN);
  });

  it('no association: the exact create-pod-identity-association command for this service account', async () => {
    const r = await bucket(AGENT, tokenFile, { status: 400, body: '{"Code":"ResourceNotFoundException","Message":"No Pod Identity Association found for the service account"}' });
    expect(r.details?.identityFailure).toBe('pod-identity-no-association');
    expect(r.hint).toContain('aws eks create-pod-identity-association --cluster-name <cluster> --namespace flyte --service-account flyte-binary');
  });

  it('the agent fails (5xx) assuming the role: the trust policy for pods.eks.amazonaws.com', async () => {
    const r = await bucket(AGENT, tokenFile, { status: 500, body: '{"Code":"AccessDeniedException","Message":"not authorized to perform sts:AssumeRole"}' });
    expect(r.messageId).toBe('podIdentityFailed');
    expect(r.cause).toBe(`backend:eks-pod-identity-agent 127.0.0.1:${AGENT}`);
    expect(r.hint).toContain('sts:TagSession');
  });

  it('the agent fails (503) otherwise: its node role and its log', async () => {
    const r = await bucket(AGENT, tokenFile, { status: 503, body: 'upstream unavailable' });
    expect(r.messageId).toBe('podIdentityFailed');
    expect(r.hint).toContain('eks-auth:AssumeRoleForPodIdentity');
  });

  it('an unknown refusal is "unrecognised" with the status and the text', async () => {
    const r = await bucket(AGENT, tokenFile, { status: 418, body: '{"Code":"Teapot","Message":"short and stout"}' });
    expect(r.message).toContain('unrecognised: HTTP 418 Teapot: short and stout');
  });
});
