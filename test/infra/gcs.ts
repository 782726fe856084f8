// fake-gcs-server (built from the Go module proxy by ensure-bins.sh) on 127.0.0.1:14443, memory
// backend. Buckets and pre-existing objects are created through its JSON API after every start
// (memory backend: a restart loses them; set-up is idempotent).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Testbed } from '../harness/testbed.js';
import { type InfraContext, isAlive, startDaemon, tcpOpen, waitFor } from './common.js';

type GcsSection = Testbed['gcs'];

export const GCS_PORT = 14443;
export const FAKEGCS_VERSION = 'v1.55.1';
const ENDPOINT = `http://127.0.0.1:${GCS_PORT}`;
const PROJECT = 'flyte-doctor-test';
const BUCKETS = { metadata: 'flyte-metadata', userdata: 'flyte-userdata' };
export const PREEXISTING_KEYS = ['existing/keep-1.txt', 'data/keep-2.bin'];

async function ready(): Promise<boolean> {
  try { return (await fetch(`${ENDPOINT}/_internal/healthcheck`, { signal: AbortSignal.timeout(2000) })).ok; } catch { return false; }
}

async function call(method: string, path: string, body?: string | Uint8Array, contentType = 'application/json'): Promise<Response> {
  const r = await fetch(`${ENDPOINT}${path}`, { method, body, headers: body ? { 'content-type': contentType } : {}, signal: AbortSignal.timeout(5000) });
  return r;
}

async function setup(ctx: InfraContext): Promise<void> {
  for (const b of Object.values(BUCKETS)) {
    const head = await call('GET', `/storage/v1/b/${b}`);
    if (head.status === 404) {
      const r = await call('POST', `/storage/v1/b?project=${PROJECT}`, JSON.stringify({ name: b }));
      if (!r.ok && r.status !== 409) throw new Error(`fake-gcs: create bucket ${b}: HTTP ${r.status} ${await r.text()}`);
    }
    for (const k of PREEXISTING_KEYS) {
      const got = await call('GET', `/storage/v1/b/${b}/o/${encodeURIComponent(k)}`);
      if (got.ok) continue;
      const r = await call('POST', `/upload/storage/v1/b/${b}/o?uploadType=media&name=${encodeURIComponent(k)}`,
        k.endsWith('.bin') ? new Uint8Array([0, 1, 2, 3]) : 'pre-existing object: flyte-doctor must never touch it\n', 'application/octet-stream');
      if (!r.ok) throw new Error(`fake-gcs: upload ${b}/${k}: HTTP ${r.status} ${await r.text()}`);
    }
  }
  ctx.log(`fake-gcs: buckets ${Object.values(BUCKETS).join(', ')} ready`);
}

export async function start(ctx: InfraContext): Promise<GcsSection> {
  const bin = join(ctx.binDir, `fake-gcs-server-${FAKEGCS_VERSION}`);
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run test/infra/install-deps.sh (or test/infra/ensure-bins.sh fakegcs)`);
  const pidFile = join(ctx.dir, 'pids', 'fake-gcs-server.pid');
  const running = existsSync(pidFile) && isAlive(Number(readFileSync(pidFile, 'utf8')));
  if (running && (await ready())) {
    ctx.log(`fake-gcs-server already running on ${GCS_PORT}`);
  } else {
    if (running) throw new Error(`fake-gcs-server is running (pid file ${pidFile}) but not healthy: run \`npm run testbed:down\` first`);
    if (await tcpOpen(GCS_PORT)) throw new Error(`fake-gcs-server: port 127.0.0.1:${GCS_PORT} is taken by another process`);
    startDaemon(ctx, 'fake-gcs-server', bin, ['-scheme', 'http', '-host', '127.0.0.1', '-port', String(GCS_PORT), '-backend', 'memory',
      '-external-url', ENDPOINT, '-public-host', `127.0.0.1:${GCS_PORT}`, '-log-level', 'warn']);
    await waitFor(ctx, `fake-gcs-server on 127.0.0.1:${GCS_PORT}`, ready, 30_000, 'fake-gcs-server');
  }
  await setup(ctx);
  return { endpoint: ENDPOINT, projectId: PROJECT, buckets: BUCKETS, preexistingKeys: PREEXISTING_KEYS, missingBucket: 'flyte-doctor-no-such-bucket' };
}

export async function healthy(): Promise<boolean> {
  return ready();
}
