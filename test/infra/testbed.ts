// Orchestrates the real-server test bed: starts every server (reusing ones already running and
// healthy), writes .testbed/state.json (the Testbed contract of test/harness/testbed.ts) and the
// generated target files (values.yaml, flytectl.yaml, kubeconfig, env), and stops them again.
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { type Testbed, testbedDir } from '../harness/testbed.js';
import { type InfraContext, isAlive, makeContext, sleep, tcpOpen } from './common.js';
import * as dnsmasq from './dnsmasq.js';
import * as gcs from './gcs.js';
import * as minio from './minio.js';
import * as postgres from './postgres.js';
import * as stall from './stall.js';

export type Part = 'stall' | 'dns' | 'postgres' | 'minio' | 'gcs' | 'admin' | 'nginx' | 'kube';
export const ALL_PARTS: Part[] = ['stall', 'dns', 'postgres', 'minio', 'gcs', 'admin', 'nginx', 'kube'];

export interface UpOptions {
  install?: 'flyte-binary' | 'flyte-core';
  /** Start only these parts (plus what they need: kube needs stall, nginx needs admin). Default: all. */
  only?: Part[];
  log?: (m: string) => void;
}

/** A server that failed to start: names the server and its log file. */
export class ServerStartError extends Error {
  constructor(readonly server: string, readonly logFile: string | undefined, cause: unknown) {
    super(`test bed: ${server} failed to start: ${cause instanceof Error ? cause.message : String(cause)}${logFile ? `\n  log: ${logFile}` : ''}`);
    this.name = 'ServerStartError';
  }
}

/** Log file names (under .testbed/logs) per part, for error messages. */
const LOGS: Record<Part, string> = {
  stall: 'stall', dns: 'dnsmasq', postgres: 'postgres-main', minio: 'minio', gcs: 'fake-gcs-server',
  admin: 'flyteadmin', nginx: 'nginx', kube: 'kube-apiserver',
};

function context(log?: (m: string) => void): InfraContext {
  return makeContext(testbedDir(), log);
}

async function step<T>(ctx: InfraContext, part: Part, fn: () => Promise<T>, label = `${part} ready`): Promise<T> {
  const t0 = Date.now();
  try {
    const r = await fn();
    ctx.log(`${label} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
    return r;
  } catch (e) {
    if (e instanceof ServerStartError) throw e;
    throw new ServerStartError(part, join(ctx.dir, 'logs', `${LOGS[part]}.log`), e);
  }
}

/** Imports a server module written by another engineer; a clear error when it is not there yet. */
async function importInfra<T>(file: string): Promise<T> {
  const path = join(import.meta.dirname, file);
  if (!existsSync(path)) throw new Error(`${path} does not exist (yet): this part of the test bed cannot start`);
  return (await import(pathToFileURL(path).href)) as T;
}

function readState(dir: string): Partial<Testbed> {
  const f = join(dir, 'state.json');
  try { return JSON.parse(readFileSync(f, 'utf8')) as Partial<Testbed>; } catch { return {}; }
}

function writeState(dir: string, patch: Partial<Testbed>): Partial<Testbed> {
  const next = { ...readState(dir), ...patch };
  const tmp = join(dir, `state.json.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(next, null, 2) + '\n');
  // rename is atomic: a test never reads half a file
  renameSync(tmp, join(dir, 'state.json'));
  return next;
}

/**
 * Serializes concurrent `up` calls (two vitest runs, or a run and `npm run testbed:up`): a lock
 * directory holding the owner's PID; a stale lock (owner gone) is taken over.
 */
async function withLock<T>(ctx: InfraContext, fn: () => Promise<T>): Promise<T> {
  const lock = join(ctx.dir, 'up.lock');
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      let owner = 0;
      try { owner = Number(readFileSync(join(lock, 'pid'), 'utf8')); } catch { /* being written */ }
      if (owner && !isAlive(owner)) { rmSync(lock, { recursive: true, force: true }); continue; }
      if (Date.now() > deadline) throw new Error(`another \`testbed up\` (pid ${owner}) holds ${lock} for over 5 minutes`);
      await sleep(250);
    }
  }
  try { return await fn(); } finally { rmSync(lock, { recursive: true, force: true }); }
}

/**
 * The healthy flyte-binary install in namespace `flyte` that verify tests read (never change it:
 * broken installs go in namespaces of their own). Idempotent; for a test bed that is already up.
 */
export async function ensureSharedInstall(log?: (m: string) => void): Promise<void> {
  const ctx = context(log);
  await withLock(ctx, async () => {
    const state = readState(ctx.dir);
    if (!state.kube) return;
    await step(ctx, 'kube', async () => {
      const m = await importInfra<{ installFlyte(tb: Testbed, chart: 'flyte-binary' | 'flyte-core'): Promise<void> }>('flyte-install.ts');
      await m.installFlyte(state as Testbed, 'flyte-binary');
    }, 'healthy flyte-binary install present in the API server');
    if (state.postgres) await step(ctx, 'postgres', () => applyFlyteMigrations(state as Testbed), 'flyteadmin migrations and datacatalog tables recorded');
  });
}

export async function up(opts: UpOptions = {}): Promise<Testbed> {
  const ctx = context(opts.log);
  return withLock(ctx, () => upLocked(ctx, opts));
}

async function upLocked(ctx: InfraContext, opts: UpOptions): Promise<Testbed> {
  const t0 = Date.now();
  const want = new Set<Part>(opts.only ?? ALL_PARTS);
  if (want.has('kube')) want.add('stall');
  if (want.has('nginx')) want.add('admin');
  const dir = ctx.dir;
  writeState(dir, { dir, caCert: ctx.ca.cert });

  // stall first (kube's 'stalled' context points at it), then kube in parallel with the rest.
  if (want.has('stall')) writeState(dir, await step(ctx, 'stall', () => stall.start(ctx)));
  const stallPort = stall.STALL_PORT;
  const kubeP = want.has('kube')
    ? step(ctx, 'kube', async () => {
      const m = await importInfra<typeof import('./kube.js')>('kube.ts');
      return m.startKube(ctx, { stallPort });
    })
    : undefined;
  // Do not leave an unhandled rejection while the others start.
  kubeP?.catch(() => {});

  let err: unknown;
  try {
    if (want.has('dns')) writeState(dir, { dns: await step(ctx, 'dns', () => dnsmasq.start(ctx)) });
    if (want.has('postgres')) writeState(dir, { postgres: await step(ctx, 'postgres', () => postgres.start(ctx)) });
    if (want.has('minio')) writeState(dir, { minio: await step(ctx, 'minio', () => minio.start(ctx)) });
    if (want.has('gcs')) writeState(dir, { gcs: await step(ctx, 'gcs', () => gcs.start(ctx)) });
    if (want.has('admin')) {
      const a = await step(ctx, 'admin', async () => {
        const m = await importInfra<typeof import('./flyteadmin.js')>('flyteadmin.ts');
        return m.startAdmin(ctx);
      });
      writeState(dir, { admin: a.admin, oidc: a.oidc });
      if (want.has('nginx')) {
        const nginx = await step(ctx, 'nginx', async () => {
          const m = await importInfra<typeof import('./nginx.js')>('nginx.ts');
          return m.startNginx(ctx, { httpPort: a.admin.httpPort, grpcPort: a.admin.grpcPort, authHttpPort: a.authAdmin.httpPort, authGrpcPort: a.authAdmin.grpcPort });
        });
        writeState(dir, { nginx });
      }
    }
  } catch (e) { err = e; }
  // Whatever happened above, wait for kube so no start runs on in the background.
  if (kubeP) {
    const k = await kubeP.then((v) => ({ v }), (e: unknown) => ({ e }));
    if ('v' in k) writeState(dir, { kube: k.v }); else err ??= k.e;
  }
  if (err) throw err;

  const state = readState(dir);
  if (opts.install) {
    if (!state.kube) throw new Error('--install needs the Kubernetes API server (kube) of the test bed');
    await step(ctx, 'kube', async () => {
      const m = await importInfra<{ installFlyte(tb: Testbed, chart: 'flyte-binary' | 'flyte-core'): Promise<void> }>('flyte-install.ts');
      await m.installFlyte(state as Testbed, opts.install!);
    }, `healthy ${opts.install} install loaded into the API server`);
    if (state.postgres) await step(ctx, 'postgres', () => applyFlyteMigrations(state as Testbed), 'flyteadmin migrations and datacatalog tables recorded (as run-migrations would)');
  }
  writeGenerated(ctx, state);
  ctx.log(`test bed up in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  ctx.log(describe(state));
  return state as Testbed;
}

/** values.yaml (flyte-binary schema), flytectl.yaml, kubeconfig, env — pointing at the healthy test bed. */
function writeGenerated(ctx: InfraContext, s: Partial<Testbed>): void {
  const dir = ctx.dir;
  const host = s.nginx?.host ?? 'flyte.test';
  const values = {
    configuration: {
      database: {
        username: s.postgres?.owner.user ?? 'flyte_owner',
        password: s.postgres?.owner.password ?? '',
        host: '127.0.0.1',
        port: s.postgres?.port ?? postgres.PG_PORT,
        dbname: s.postgres?.databases.flyteadmin ?? 'flyteadmin',
        options: 'sslmode=require',
      },
      storage: {
        metadataContainer: s.minio?.buckets.metadata ?? 'flyte-metadata',
        userDataContainer: s.minio?.buckets.userdata ?? 'flyte-userdata',
        provider: 's3',
        providerConfig: {
          s3: {
            region: s.minio?.region ?? 'us-east-1',
            disableSSL: true,
            v2Signing: false,
            endpoint: s.minio?.endpoint ?? `http://127.0.0.1:${minio.MINIO_PORT}`,
            authType: 'accesskey',
            accessKey: s.minio?.root.accessKey ?? '',
            secretKey: s.minio?.root.secretKey ?? '',
          },
        },
      },
      auth: { enabled: false },
    },
    ingress: {
      create: true,
      host,
      separateGrpcIngress: true,
      ingressClassName: 'nginx',
      grpcAnnotations: { 'nginx.ingress.kubernetes.io/backend-protocol': 'GRPC' },
      tls: [{ secretName: 'flyte-tls', hosts: [host] }],
    },
  };
  writeFileSync(join(dir, 'values.yaml'), `# Generated by \`npm run testbed:up\`: flyte-binary values pointing at the healthy test bed.\n${stringify(values)}`);
  const flytectl = {
    admin: {
      endpoint: `dns:///${host}:${s.nginx?.https ?? 18443}`,
      insecure: false,
      caCertFilePath: ctx.ca.cert,
    },
  };
  writeFileSync(join(dir, 'flytectl.yaml'), `# Generated by \`npm run testbed:up\`.\n${stringify(flytectl)}`);
  if (s.kube?.kubeconfig && existsSync(s.kube.kubeconfig) && s.kube.kubeconfig !== join(dir, 'kubeconfig')) {
    copyFileSync(s.kube.kubeconfig, join(dir, 'kubeconfig'));
  }
  const dns = s.dns?.server ?? `127.0.0.1:${dnsmasq.DNS_PORT}`;
  writeFileSync(join(dir, 'env'), [
    '# Generated by `npm run testbed:up`. Source it: `. .testbed/env`',
    `FLYTE_DOCTOR_DNS_SERVER=${dns}`,
    'export FLYTE_DOCTOR_DNS_SERVER',
    `# flyte-doctor preflight -f ${join(dir, 'values.yaml')} --flytectl-config ${join(dir, 'flytectl.yaml')} --kubeconfig ${join(dir, 'kubeconfig')} --dns-server ${dns}`,
    `# flyte-doctor verify -f ${join(dir, 'values.yaml')} --flytectl-config ${join(dir, 'flytectl.yaml')} --kubeconfig ${join(dir, 'kubeconfig')} --dns-server ${dns}`,
    '',
  ].join('\n'));
}

/** Human-readable endpoint list. */
export function describe(s: Partial<Testbed>): string {
  const l: string[] = ['endpoints (all on 127.0.0.1):'];
  if (s.postgres) l.push(`  postgres     127.0.0.1:${s.postgres.port} (TLS optional), :${s.postgres.tlsOnlyPort} (TLS required)  owner ${s.postgres.owner.user}/${s.postgres.owner.password}  dbs flyteadmin, datacatalog  v${s.postgres.version}`);
  if (s.minio) l.push(`  minio (S3)   ${s.minio.endpoint}  root ${s.minio.root.accessKey}/${s.minio.root.secretKey}  buckets ${s.minio.buckets.metadata}, ${s.minio.buckets.userdata}`);
  if (s.gcs) l.push(`  fake-gcs     ${s.gcs.endpoint}  project ${s.gcs.projectId}  buckets ${s.gcs.buckets.metadata}, ${s.gcs.buckets.userdata}`);
  if (s.dns) l.push(`  dnsmasq      ${s.dns.server}  ${Object.values(s.dns.names).join(', ')}; ${s.dns.nxdomain} -> NXDOMAIN`);
  if (s.kube) l.push(`  kube-apiserver ${s.kube.server}  ${s.kube.version}  kubeconfig ${s.kube.kubeconfig}`);
  if (s.admin) l.push(`  flyteadmin   http :${s.admin.httpPort}  grpc :${s.admin.grpcPort}`);
  if (s.nginx) l.push(`  nginx        https://${s.nginx.host}:${s.nginx.https} (healthy)  variants: grpcAsHttp1 :${s.nginx.grpcAsHttp1} noGrpcRoutes :${s.nginx.noGrpcRoutes} plaintext :${s.nginx.plaintext} expired :${s.nginx.expired} wrongHost :${s.nginx.wrongHost} selfSigned :${s.nginx.selfSigned} auth :${s.nginx.authHttps}`);
  if (s.stall) l.push(`  stall        127.0.0.1:${s.stall.port} (accepts, never answers); closed port ${s.closedPort}`);
  if (s.caCert) l.push(`  test CA      ${s.caCert}`);
  l.push(`  generated    ${join(s.dir ?? testbedDir(), 'values.yaml')}, flytectl.yaml, kubeconfig, env`);
  return l.join('\n');
}

/** Names of the processes recorded under .testbed/pids that are alive. */
export function runningProcesses(dir = testbedDir()): string[] {
  const p = join(dir, 'pids');
  if (!existsSync(p)) return [];
  return readdirSync(p).filter((f) => f.endsWith('.pid')).map((f) => f.slice(0, -4))
    .filter((n) => isAlive(Number(readFileSync(join(p, `${n}.pid`), 'utf8'))));
}

/** Stops the named processes (by the PIDs recorded in .testbed/pids): SIGTERM to the group, then SIGKILL. */
export async function stopProcesses(names: string[], dir = testbedDir(), log: (m: string) => void = () => {}): Promise<void> {
  const pids = names.map((n) => {
    const f = join(dir, 'pids', `${n}.pid`);
    return [n, existsSync(f) ? Number(readFileSync(f, 'utf8')) : 0, f] as const;
  }).filter(([, pid]) => pid > 0);
  for (const [n, pid] of pids) {
    if (!isAlive(pid)) continue;
    log(`stopping ${n} (pid ${pid})`);
    // Postgres: SIGINT is "fast" shutdown (SIGTERM would wait for every client session to end).
    const sig = n.startsWith('postgres-') ? 'SIGINT' : 'SIGTERM';
    try { process.kill(-pid, sig); } catch { try { process.kill(pid, sig); } catch { /* gone */ } }
  }
  const deadline = Date.now() + 10_000;
  while (pids.some(([, p]) => isAlive(p)) && Date.now() < deadline) await sleep(100);
  for (const [, pid] of pids) if (isAlive(pid)) { try { process.kill(-pid, 'SIGKILL'); } catch { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } } }
  for (const [, , f] of pids) rmSync(f, { force: true });
}

/** Stops every test-bed process. Data (Postgres/MinIO data dirs, PKI) is kept so the next `up` is fast. */
export async function down(opts: { log?: (m: string) => void; purge?: boolean } = {}): Promise<void> {
  const dir = testbedDir();
  const log = opts.log ?? ((m: string) => process.stderr.write(`[testbed] ${m}\n`));
  const pidDir = join(dir, 'pids');
  const all = existsSync(pidDir) ? readdirSync(pidDir).filter((f) => f.endsWith('.pid')).map((f) => f.slice(0, -4)) : [];
  await stopProcesses(all, dir, log);
  rmSync(join(dir, 'state.json'), { force: true });
  if (opts.purge) rmSync(dir, { recursive: true, force: true });
}

export interface PartStatus { part: Part; ok: boolean; detail: string }

/** Health of each part named in state.json (probes, not just PIDs). */
export async function status(): Promise<{ up: boolean; parts: PartStatus[] }> {
  const dir = testbedDir();
  const s = readState(dir);
  const ctx = context(() => {});
  const parts: PartStatus[] = [];
  const add = (part: Part, ok: boolean, detail: string) => parts.push({ part, ok, detail });
  if (!existsSync(join(dir, 'state.json'))) return { up: false, parts: ALL_PARTS.map((part) => ({ part, ok: false, detail: 'not started' })) };
  const port = async (p: number) => tcpOpen(p);
  add('stall', !!s.stall && (await stall.healthy()), s.stall ? `127.0.0.1:${s.stall.port}` : 'not started');
  add('dns', !!s.dns && (await dnsmasq.healthy()), s.dns?.server ?? 'not started');
  add('postgres', !!s.postgres && postgres.healthy(ctx), s.postgres ? `127.0.0.1:${s.postgres.port}, :${s.postgres.tlsOnlyPort}` : 'not started');
  add('minio', !!s.minio && (await minio.healthy()), s.minio?.endpoint ?? 'not started');
  add('gcs', !!s.gcs && (await gcs.healthy()), s.gcs?.endpoint ?? 'not started');
  add('admin', !!s.admin && (await port(s.admin.httpPort)) && (await port(s.admin.grpcPort)), s.admin ? `http :${s.admin.httpPort} grpc :${s.admin.grpcPort}` : 'not started');
  add('nginx', !!s.nginx && (await port(s.nginx.https)), s.nginx ? `https :${s.nginx.https}` : 'not started');
  let kubeOk = false;
  if (s.kube && existsSync(join(import.meta.dirname, 'kube.ts'))) {
    try {
      const m = await importInfra<typeof import('./kube.js')>('kube.ts');
      kubeOk = (await m.kubeRequest(s.kube, s.kube.tokens.admin, 'GET', '/readyz')).status === 200;
    } catch { kubeOk = false; }
  }
  add('kube', kubeOk, s.kube?.server ?? 'not started');
  return { up: parts.every((p) => p.ok), parts };
}

/**
 * What Flyte's run-migrations steps leave in the databases of a healthy install: flyteadmin's
 * gormigrate `migrations` table with the latest 1.16 id, and datacatalog's tables. The test bed
 * writes them (flyte-doctor itself never writes to a database).
 */
export async function applyFlyteMigrations(tb: Testbed): Promise<void> {
  const { LATEST_ADMIN_MIGRATION, DATACATALOG_TABLES } = await import('../../checks/database/postgres.migrations.js');
  const pg = (await import('pg')).default;
  const pgc = tb.postgres;
  const run = async (db: string, sql: string[]) => {
    const c = new pg.Client({ host: pgc.host, port: pgc.port, user: pgc.owner.user, password: pgc.owner.password, database: db, ssl: { rejectUnauthorized: false } });
    await c.connect();
    try { for (const q of sql) await c.query(q); } finally { await c.end(); }
  };
  await run(pgc.databases.flyteadmin, [
    'CREATE TABLE IF NOT EXISTS migrations (id varchar(255) PRIMARY KEY)',
    `INSERT INTO migrations (id) VALUES ('2019-11-19-initial'), ('${LATEST_ADMIN_MIGRATION}') ON CONFLICT DO NOTHING`,
  ]);
  await run(pgc.databases.datacatalog, DATACATALOG_TABLES.map((t: string) => `CREATE TABLE IF NOT EXISTS ${t} (id bigserial PRIMARY KEY)`));
}
