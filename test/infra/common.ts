// Shared pieces for the test bed: where things live, how a server process is started and stopped,
// how to wait for health, and the test CA. Every server binds to 127.0.0.1 only.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

export interface InfraContext {
  /** .testbed/ (git-ignored): state.json, generated files, pids/, logs/, data dirs. */
  dir: string;
  /** Cache outside the repo for built binaries: ${XDG_CACHE_HOME:-~/.cache}/flyte-doctor. */
  cacheDir: string;
  binDir: string;
  /** Test CA (PEM paths). */
  ca: { cert: string; key: string };
  log(msg: string): void;
}

export function cacheDir(): string {
  return process.env.FLYTE_DOCTOR_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'flyte-doctor');
}

export function makeContext(dir: string, log: (m: string) => void = (m) => process.stderr.write(`[testbed] ${m}\n`)): InfraContext {
  mkdirSync(join(dir, 'pids'), { recursive: true });
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const ca = ensureCA(join(dir, 'pki'));
  return { dir, cacheDir: cacheDir(), binDir: join(cacheDir(), 'bin'), ca, log };
}

/** Starts a long-running server detached, logs to <dir>/logs/<name>.log, records its PID in <dir>/pids/<name>.pid. */
export function startDaemon(ctx: InfraContext, name: string, cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): number {
  const out = openSync(join(ctx.dir, 'logs', `${name}.log`), 'a');
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', out, out], env: { ...process.env, ...opts.env }, cwd: opts.cwd ?? ctx.dir });
  if (child.pid === undefined) throw new Error(`could not start ${name}: ${cmd} not found?`);
  child.unref();
  writeFileSync(join(ctx.dir, 'pids', `${name}.pid`), String(child.pid));
  return child.pid;
}

/** Stops this test bed's own daemon `name` (by its PID file), if it runs, and waits until it is gone. */
export async function stopDaemon(ctx: InfraContext, name: string): Promise<void> {
  const f = join(ctx.dir, 'pids', `${name}.pid`);
  if (!existsSync(f)) return;
  const pid = Number(readFileSync(f, 'utf8'));
  if (isAlive(pid)) {
    try { process.kill(-pid, 'SIGTERM'); } catch { try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ } }
    const deadline = Date.now() + 5000;
    while (isAlive(pid) && Date.now() < deadline) await sleep(50);
    if (isAlive(pid)) { try { process.kill(-pid, 'SIGKILL'); } catch { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } } }
  }
  rmSync(f, { force: true });
}

/** Throws when one of `ports` is already taken (by a process this test bed does not know). */
export async function assertPortsFree(what: string, ports: number[]): Promise<void> {
  for (const port of ports) {
    if (await tcpOpen(port)) throw new Error(`${what}: port 127.0.0.1:${port} is taken by another process (a leftover test bed? \`ss -ltnp | grep ${port}\`)`);
  }
}

export function isAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/** Stops every process recorded under <dir>/pids (SIGTERM to its process group, then SIGKILL). */
export async function stopAll(dir: string, log: (m: string) => void = () => {}): Promise<void> {
  const pidDir = join(dir, 'pids');
  if (!existsSync(pidDir)) return;
  const pids: [string, number][] = readdirSync(pidDir).filter((f) => f.endsWith('.pid'))
    .map((f) => [f.slice(0, -4), Number(readFileSync(join(pidDir, f), 'utf8'))]);
  for (const [name, pid] of pids) {
    if (!isAlive(pid)) continue;
    log(`stopping ${name} (pid ${pid})`);
    try { process.kill(-pid, 'SIGTERM'); } catch { try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ } }
  }
  const deadline = Date.now() + 10_000;
  while (pids.some(([, p]) => isAlive(p)) && Date.now() < deadline) await sleep(100);
  for (const [, pid] of pids) if (isAlive(pid)) { try { process.kill(-pid, 'SIGKILL'); } catch { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } } }
  rmSync(pidDir, { recursive: true, force: true });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls probe() until it returns true (or a truthy value), or throws after timeoutMs naming what and the log. */
export async function waitFor(ctx: InfraContext, what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 30_000, logName?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const logFile = logName ? join(ctx.dir, 'logs', `${logName}.log`) : undefined;
  const tail = () => (logFile && existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n') : '');
  // A daemon that already exited (e.g. its port is taken) will never become ready: say so at once.
  const pidFile = logName ? join(ctx.dir, 'pids', `${logName}.pid`) : undefined;
  const pid = pidFile && existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined;
  let last: unknown;
  while (Date.now() < deadline) {
    try { if (await probe()) return; } catch (e) { last = e; }
    if (pid && !isAlive(pid)) throw new Error(`${what} exited before becoming ready (pid ${pid})${last ? ` (last error: ${String(last)})` : ''}\n--- ${logFile}\n${tail()}`);
    await sleep(150);
  }
  const t = tail();
  throw new Error(`${what} did not become ready within ${timeoutMs / 1000}s${last ? ` (last error: ${String(last)})` : ''}${t ? `\n--- ${logFile}\n${t}` : ''}`);
}

export function tcpOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((res) => {
    const s = connect({ port, host });
    s.setTimeout(1000);
    s.once('connect', () => { s.destroy(); res(true); });
    s.once('error', () => res(false));
    s.once('timeout', () => { s.destroy(); res(false); });
  });
}

function openssl(args: string[], cwd?: string): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], ...(cwd ? { cwd } : {}) });
}

/** Creates (once) a test CA in `pkiDir`: ca.crt / ca.key. */
export function ensureCA(pkiDir: string, name = 'ca'): { cert: string; key: string } {
  mkdirSync(pkiDir, { recursive: true });
  const cert = join(pkiDir, `${name}.crt`), key = join(pkiDir, `${name}.key`);
  if (!existsSync(cert)) {
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '3650',
      '-subj', `/CN=flyte-doctor test ${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  }
  return { cert, key };
}

export interface IssueOptions {
  /** DNS names and IPs for subjectAltName, e.g. ['localhost', 'flyte.test', 'IP:127.0.0.1']. */
  sans: string[];
  /** Certificate that expired yesterday (validity window entirely in the past). */
  expired?: boolean;
  /** Self-signed (not issued by the test CA). */
  selfSigned?: boolean;
  days?: number;
}

/** Issues <name>.crt / <name>.key in the CA's directory (idempotent). */
export function issueCert(ctx: InfraContext, name: string, o: IssueOptions): { cert: string; key: string } {
  const dir = join(ctx.dir, 'pki');
  const cert = join(dir, `${name}.crt`), key = join(dir, `${name}.key`);
  if (existsSync(cert)) return { cert, key };
  const san = o.sans.map((s) => (s.startsWith('IP:') ? s : `DNS:${s}`)).join(',');
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n`);
  const cn = o.sans.find((s) => !s.startsWith('IP:')) ?? name;
  if (o.selfSigned) {
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', String(o.days ?? 825), '-subj', `/CN=${cn}`, '-addext', `subjectAltName=${san}`]);
    return { cert, key };
  }
  const csr = join(dir, `${name}.csr`);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`]);
  if (o.expired) {
    // `openssl x509 -req` cannot backdate; `openssl ca` can (-startdate/-enddate).
    const caDir = join(dir, `${name}-ca`);
    mkdirSync(join(caDir, 'new'), { recursive: true });
    writeFileSync(join(caDir, 'index.txt'), '');
    writeFileSync(join(caDir, 'serial'), '1000\n');
    const cnf = join(caDir, 'ca.cnf');
    writeFileSync(cnf, `[ca]\ndefault_ca=d\n[d]\ndir=${caDir}\ndatabase=$dir/index.txt\nnew_certs_dir=$dir/new\nserial=$dir/serial\ndefault_md=sha256\npolicy=p\ncopy_extensions=none\n[p]\ncommonName=supplied\n`);
    const start = new Date(Date.now() - 10 * 86400_000), end = new Date(Date.now() - 86400_000);
    const fmt = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
    openssl(['ca', '-batch', '-config', cnf, '-cert', ctx.ca.cert, '-keyfile', ctx.ca.key, '-in', csr, '-out', cert,
      '-startdate', fmt(start), '-enddate', fmt(end), '-extfile', ext, '-notext']);
  } else {
    openssl(['x509', '-req', '-in', csr, '-CA', ctx.ca.cert, '-CAkey', ctx.ca.key, '-CAcreateserial', '-days', String(o.days ?? 825), '-extfile', ext, '-out', cert]);
  }
  return { cert, key };
}
