// MinIO (built from the Go module proxy by ensure-bins.sh) on 127.0.0.1:19000, set up with `mc`:
// two buckets with pre-existing objects, four users each lacking exactly one of
// s3:PutObject / s3:GetObject / s3:ListBucket / s3:DeleteObject, and a user with no policy at all.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { S3Cred, Testbed } from '../harness/testbed.js';
import { type InfraContext, isAlive, startDaemon, tcpOpen, waitFor } from './common.js';

type MinioSection = Testbed['minio'];

export const MINIO_PORT = 19000;
export const MINIO_CONSOLE_PORT = 19001;
export const MINIO_VERSION = 'v0.0.0-20260212201848-7aac2a2c5b7c';
export const MC_VERSION = 'v0.0.0-20250813083541-7394ce0dd2a8';
const ENDPOINT = `http://127.0.0.1:${MINIO_PORT}`;
const REGION = 'us-east-1';
const ROOT: S3Cred = { accessKey: 'testbed-root', secretKey: 'testbed-root-secret-1' };
const BUCKETS = { metadata: 'flyte-metadata', userdata: 'flyte-userdata' };
export const PREEXISTING_KEYS = ['existing/keep-1.txt', 'data/keep-2.bin'];

type UserName = 'noPut' | 'noGet' | 'noList' | 'noDelete' | 'none';
const USERS: Record<UserName, S3Cred> = {
  noPut: { accessKey: 'no-put', secretKey: 'no-put-secret-123' },
  noGet: { accessKey: 'no-get', secretKey: 'no-get-secret-123' },
  noList: { accessKey: 'no-list', secretKey: 'no-list-secret-123' },
  noDelete: { accessKey: 'no-delete', secretKey: 'no-delete-secret-123' },
  none: { accessKey: 'no-rights', secretKey: 'no-rights-secret-123' },
};
const MISSING: Record<Exclude<UserName, 'none'>, string> = {
  noPut: 's3:PutObject', noGet: 's3:GetObject', noList: 's3:ListBucket', noDelete: 's3:DeleteObject',
};

/** Policy with every permission Flyte's storage needs, minus `lacking`. */
function policy(lacking: string): string {
  const bucketArns = Object.values(BUCKETS).map((b) => `arn:aws:s3:::${b}`);
  const objectArns = bucketArns.map((a) => `${a}/*`);
  const bucketActions = ['s3:GetBucketLocation', 's3:ListBucket'].filter((a) => a !== lacking);
  const objectActions = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'].filter((a) => a !== lacking);
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: bucketActions, Resource: bucketArns },
      { Effect: 'Allow', Action: objectActions, Resource: objectArns },
    ],
  }, null, 1);
}

function bins(ctx: InfraContext): { minio: string; mc: string } {
  const minio = join(ctx.binDir, `minio-${MINIO_VERSION}`), mc = join(ctx.binDir, `mc-${MC_VERSION}`);
  for (const b of [minio, mc]) {
    if (!existsSync(b)) throw new Error(`${b} is missing: run test/infra/install-deps.sh (or test/infra/ensure-bins.sh minio mc)`);
  }
  return { minio, mc };
}

async function ready(): Promise<boolean> {
  try { return (await fetch(`${ENDPOINT}/minio/health/ready`, { signal: AbortSignal.timeout(2000) })).ok; } catch { return false; }
}

function mcRun(ctx: InfraContext, mc: string, args: string[], input?: string): string {
  const env = {
    ...process.env,
    MC_CONFIG_DIR: join(ctx.dir, 'mc'),
    MC_HOST_t: `http://${ROOT.accessKey}:${ROOT.secretKey}@127.0.0.1:${MINIO_PORT}`,
    MC_DISABLE_PAGER: '1',
    MC_NO_COLOR: '1',
  };
  try {
    return execFileSync(mc, ['--quiet', '--no-color', ...args], { env, encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string };
    throw new Error(`mc ${args.join(' ')} failed: ${err.stderr ?? ''}${err.stdout ?? ''}`);
  }
}

export async function start(ctx: InfraContext): Promise<MinioSection> {
  const { minio, mc } = bins(ctx);
  const pidFile = join(ctx.dir, 'pids', 'minio.pid');
  const marker = join(ctx.dir, 'minio.ready');
  const running = existsSync(pidFile) && isAlive(Number(readFileSync(pidFile, 'utf8')));
  if (running && (await ready())) {
    ctx.log(`minio already running on ${MINIO_PORT}`);
  } else {
    if (running) throw new Error(`minio is running (pid file ${pidFile}) but not ready: run \`npm run testbed:down\` first`);
    if (await tcpOpen(MINIO_PORT)) throw new Error(`minio: port 127.0.0.1:${MINIO_PORT} is taken by another process`);
    const data = join(ctx.dir, 'minio-data');
    mkdirSync(data, { recursive: true });
    startDaemon(ctx, 'minio', minio, ['server', data, '--address', `127.0.0.1:${MINIO_PORT}`, '--console-address', `127.0.0.1:${MINIO_CONSOLE_PORT}`, '--quiet'], {
      env: { MINIO_ROOT_USER: ROOT.accessKey, MINIO_ROOT_PASSWORD: ROOT.secretKey, MINIO_BROWSER: 'off', MINIO_CI_CD: '1', MINIO_REGION: REGION, MINIO_UPDATE: 'off' },
    });
    await waitFor(ctx, `minio on 127.0.0.1:${MINIO_PORT}`, ready, 60_000, 'minio');
  }
  // Set-up is idempotent; skip it when the data dir says it is done and the objects are still there.
  const done = existsSync(marker) && PREEXISTING_KEYS.every((k) => Object.values(BUCKETS).every((b) => existsSync(join(ctx.dir, 'minio-data', b, k))));
  if (!done) setup(ctx, mc);
  writeFileSync(marker, new Date().toISOString());
  return {
    endpoint: ENDPOINT,
    region: REGION,
    root: ROOT,
    buckets: BUCKETS,
    preexistingKeys: PREEXISTING_KEYS,
    users: USERS,
    missingBucket: 'flyte-doctor-no-such-bucket',
  };
}

function setup(ctx: InfraContext, mc: string): void {
  const polDir = join(ctx.dir, 'mc', 'policies');
  mkdirSync(polDir, { recursive: true });
  for (const b of Object.values(BUCKETS)) {
    mcRun(ctx, mc, ['mb', '--ignore-existing', '--region', REGION, `t/${b}`]);
    mcRun(ctx, mc, ['pipe', `t/${b}/${PREEXISTING_KEYS[0]}`], 'pre-existing object: flyte-doctor must never touch it\n');
    mcRun(ctx, mc, ['pipe', `t/${b}/${PREEXISTING_KEYS[1]}`], '\u0000\u0001\u0002 pre-existing binary object\n');
  }
  for (const [name, cred] of Object.entries(USERS) as [UserName, S3Cred][]) {
    mcRun(ctx, mc, ['admin', 'user', 'add', 't', cred.accessKey, cred.secretKey]);
    if (name === 'none') continue;
    const polName = `testbed-${cred.accessKey}`;
    const file = join(polDir, `${polName}.json`);
    writeFileSync(file, policy(MISSING[name]));
    mcRun(ctx, mc, ['admin', 'policy', 'create', 't', polName, file]);
    try {
      mcRun(ctx, mc, ['admin', 'policy', 'attach', 't', polName, '--user', cred.accessKey]);
    } catch (e) {
      if (!/already/i.test(String(e))) throw e;
    }
  }
  ctx.log(`minio: buckets ${Object.values(BUCKETS).join(', ')} and users ${Object.values(USERS).map((u) => u.accessKey).join(', ')} ready`);
}

export async function healthy(): Promise<boolean> {
  return ready();
}

