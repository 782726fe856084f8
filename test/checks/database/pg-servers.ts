// Test-side PostgreSQL helpers for the database checks and scenarios:
//  - su(): SQL as the shared test bed's superuser (over TCP, with its password), for the extra
//    roles and databases tests create (always named fd_db_*, idempotent, dropped afterwards).
//  - startPrivatePg(): a PostgreSQL cluster of the test's own on a free port (ssl off, a chosen
//    certificate, a chosen pg_hba.conf, a standby...), from the same server binaries as the bed.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../harness/private-servers.js';
import { getTestbed } from '../../harness/testbed.js';

/** Runs SQL on the shared test bed as its superuser; returns the rows of the last statement. */
export async function su<R = Record<string, unknown>>(sql: string, database = 'postgres', port = getTestbed().postgres.port): Promise<R[]> {
  const tb = getTestbed().postgres;
  const c = new pg.Client({ host: tb.host, port, user: tb.superuser.user, password: tb.superuser.password, database, ssl: false, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    const r = await c.query(sql);
    const last = Array.isArray(r) ? r[r.length - 1] : r;
    return (last?.rows ?? []) as R[];
  } finally { await c.end().catch(() => {}); }
}

/** Creates (or resets) a login role of the tests' own. */
export async function ensureRole(name: string, password: string, attrs = 'LOGIN'): Promise<void> {
  if (!name.startsWith('fd_db_')) throw new Error(`test roles are named fd_db_*: ${name}`);
  await su(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${name}') THEN CREATE ROLE ${name}; END IF; END $$`);
  await su(`ALTER ROLE ${name} ${attrs} PASSWORD '${password}'`);
}

export async function ensureDb(name: string, owner = 'postgres'): Promise<void> {
  if (!name.startsWith('fd_db_')) throw new Error(`test databases are named fd_db_*: ${name}`);
  const rows = await su(`SELECT 1 FROM pg_database WHERE datname = '${name}'`);
  if (!rows.length) await su(`CREATE DATABASE ${name} OWNER ${owner}`);
}

export async function dropDb(name: string): Promise<void> {
  await su(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`).catch(() => {});
  await su(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

export async function dropRole(name: string): Promise<void> {
  const exists = await su(`SELECT 1 FROM pg_roles WHERE rolname = '${name}'`);
  if (!exists.length) return;
  for (const db of ['postgres', 'flyteadmin', 'datacatalog']) await su(`DROP OWNED BY ${name}`, db).catch(() => {});
  await su(`DROP ROLE IF EXISTS ${name}`);
}

/** Pulls the SQL out of a fix that says `psql ... -c "<sql>"`. */
export function sqlOf(hint: string | undefined): string {
  const m = /-c "((?:[^"\\]|\\.)*)"/.exec(hint ?? '');
  if (!m) throw new Error(`no psql -c "…" in the fix: ${hint}`);
  return m[1]!.replace(/\\"/g, '"');
}

// ---------------------------------------------------------------- private clusters

function pgBin(): string {
  for (const d of ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin']) if (existsSync(join(d, 'postgres'))) return d;
  return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
}
const runAs = process.getuid?.() === 0 ? 'postgres' : '';
function run(cmd: string, args: string[]): string {
  const [c, a] = runAs ? ['runuser', ['-u', runAs, '--', cmd, ...args]] : [cmd, args];
  return execFileSync(c, a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
function own(path: string): void { if (runAs) execFileSync('chown', ['-R', runAs, path]); }

/** An initdb'd data directory, made once and copied for each cluster. */
function template(): string {
  const dir = join(tmpdir(), `fd-db-pg-template-${pgBin().split('/').at(-2)}`);
  if (existsSync(join(dir, 'PG_VERSION'))) return dir;
  const tmp = mkdtempSync(join(tmpdir(), 'fd-db-pg-init-'));
  own(tmp);
  run(join(pgBin(), 'initdb'), ['-D', join(tmp, 'data'), '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-instructions']);
  try { renameSync(join(tmp, 'data'), dir); } catch { /* another worker made it */ }
  rmSync(tmp, { recursive: true, force: true });
  return dir;
}

export interface PrivatePg {
  port: number;
  dataDir: string;
  /** SQL over the unix socket as the bootstrap superuser (trust). */
  psql(sql: string, db?: string): string;
  /** pg_ctl stop (smart waits for clients; fast ends them). */
  stop(mode?: 'fast' | 'immediate' | 'smart', wait?: boolean): void;
  /** Password of the superuser `postgres` over TCP. */
  password: string;
}

export interface PrivatePgOptions {
  /** ssl = on with this certificate (paths), or off. */
  tls?: { cert: string; key: string };
  /** pg_hba.conf lines after `local all all trust` (default: host + hostssl, scram-sha-256). */
  hba?: string[];
  /** Extra postgresql.conf lines. */
  conf?: string[];
  /** Start as a standby (standby.signal): hot standby answers read-only queries. */
  standby?: boolean;
  /** SQL run before the cluster starts as a standby, or after start otherwise. */
  setup?: string[];
}

/** Every cluster this process started and has not stopped: stopped at exit if a test could not (a failed beforeAll). */
const running = new Set<PrivatePg>();
process.once('exit', () => { for (const p of running) p.stop('immediate'); });

/** Starts a private PostgreSQL cluster on a free 127.0.0.1 port. Call stop() (immediate) when done. */
export async function startPrivatePg(o: PrivatePgOptions = {}): Promise<PrivatePg> {
  // The free port is released before the server binds it: another test may take it first, so retry.
  for (let attempt = 1; ; attempt++) {
    try { return await startOnce(o, await freePort()); } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
}

async function startOnce(o: PrivatePgOptions, port: number): Promise<PrivatePg> {
  const base = mkdtempSync(join(tmpdir(), 'fd-db-pg-'));
  const dataDir = join(base, 'data');
  cpSync(template(), dataDir, { recursive: true });
  chmodSync(dataDir, 0o700); // Node >= 22's cpSync does not keep the directory mode; PostgreSQL refuses a data directory other than 0700/0750
  if (o.tls) {
    copyFileSync(o.tls.cert, join(dataDir, 'server.crt'));
    copyFileSync(o.tls.key, join(dataDir, 'server.key'));
    chmodSync(join(dataDir, 'server.key'), 0o600);
  }
  const password = 'fd-db-private-super-pw';
  writeFileSync(join(dataDir, 'postgresql.auto.conf'), [
    `listen_addresses = '127.0.0.1'`, `port = ${port}`, `unix_socket_directories = '${dataDir}'`,
    `ssl = ${o.tls ? 'on' : 'off'}`, ...(o.tls ? [`ssl_cert_file = 'server.crt'`, `ssl_key_file = 'server.key'`] : []),
    `fsync = off`, `shared_buffers = '16MB'`, `max_connections = 20`, `password_encryption = 'scram-sha-256'`, `logging_collector = off`,
    ...(o.conf ?? []), '',
  ].join('\n'));
  writeFileSync(join(dataDir, 'pg_hba.conf'), ['local all all trust', ...(o.hba ?? ['host all all 127.0.0.1/32 scram-sha-256', 'hostssl all all 127.0.0.1/32 scram-sha-256']), ''].join('\n'));
  own(base);
  const bin = pgBin();
  const ctl = (args: string[]) => run(join(bin, 'pg_ctl'), ['-D', dataDir, '-l', join(base, 'log'), ...args]);
  const psql = (sql: string, db = 'postgres') => execFileSync(join(bin, 'psql'), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', dataDir, '-p', String(port), '-U', 'postgres', '-d', db, '-c', sql], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  try { ctl(['-w', 'start']); } catch (e) {
    const log = (() => { try { return readFileSync(join(base, 'log'), 'utf8').slice(-2000); } catch { return ''; } })();
    rmSync(base, { recursive: true, force: true });
    throw new Error(`private PostgreSQL on port ${port} did not start: ${(e as Error).message}\n${log}`);
  }
  try {
    psql(`ALTER ROLE postgres PASSWORD '${password}'`);
    for (const s of o.setup ?? []) psql(s);
    if (o.standby) {
      ctl(['-w', '-m', 'fast', 'stop']);
      writeFileSync(join(dataDir, 'standby.signal'), '');
      own(dataDir);
      ctl(['-w', 'start']);
    }
  } catch (e) {
    try { ctl(['-w', '-m', 'immediate', 'stop']); } catch { /* not running */ }
    rmSync(base, { recursive: true, force: true });
    throw e;
  }
  let stopped = false;
  const handle: PrivatePg = {
    port, dataDir, psql, password,
    stop(mode = 'immediate', wait = true) {
      if (stopped) return;
      if (mode !== 'smart') { stopped = true; running.delete(handle); }
      try { ctl([wait ? '-w' : '-W', '-m', mode, 'stop']); } catch { /* already down */ }
      if (stopped) rmSync(base, { recursive: true, force: true });
    },
  };
  running.add(handle);
  return handle;
}

// ---------------------------------------------------------------- PgBouncer

/**
 * The PgBouncer binary: FD_PGBOUNCER, else pgbouncer on PATH or in /usr/sbin; undefined when none
 * (tests that need it skip, saying so). A binary unpacked from the Debian package without installing
 * it (`apt-get download pgbouncer libc-ares2 && dpkg-deb -x …`) works: its lib directory next to it
 * is put on LD_LIBRARY_PATH.
 */
export function pgBouncerBin(): string | undefined {
  for (const c of [process.env.FD_PGBOUNCER, '/usr/sbin/pgbouncer', '/usr/bin/pgbouncer']) if (c && existsSync(c)) return c;
  try { return execFileSync('sh', ['-c', 'command -v pgbouncer'], { encoding: 'utf8' }).trim() || undefined; } catch { return undefined; }
}

export interface PgBouncer { port: number; stop(): void }

/** PgBouncer on a free 127.0.0.1 port in front of `databases` (name -> libpq connection string), scram-sha-256 against `users` (name -> password). */
export async function startPgBouncer(o: { databases: Record<string, string>; users: Record<string, string>; extra?: string[] }): Promise<PgBouncer> {
  const bin = pgBouncerBin();
  if (!bin) throw new Error('no pgbouncer binary (set FD_PGBOUNCER)');
  const dir = mkdtempSync(join(tmpdir(), 'fd-db-pgbouncer-'));
  const port = await freePort();
  writeFileSync(join(dir, 'users.txt'), Object.entries(o.users).map(([u, p]) => `"${u}" "${p}"`).join('\n') + '\n');
  writeFileSync(join(dir, 'pgbouncer.ini'), [
    '[databases]', ...Object.entries(o.databases).map(([n, c]) => `${n} = ${c}`),
    '[pgbouncer]', 'listen_addr = 127.0.0.1', `listen_port = ${port}`, 'unix_socket_dir =', 'auth_type = scram-sha-256', `auth_file = ${join(dir, 'users.txt')}`,
    'pool_mode = transaction', `logfile = ${join(dir, 'log')}`, `pidfile = ${join(dir, 'pid')}`, ...(o.extra ?? []), '',
  ].join('\n'));
  own(dir);
  const lib = join(dirname(dirname(bin)), 'lib', 'x86_64-linux-gnu');
  const env = existsSync(join(lib, 'libcares.so.2')) ? [`LD_LIBRARY_PATH=${lib}`] : [];
  // PgBouncer refuses to run as root: as the server's user, daemonized (-d), stopped by its pid file.
  run('env', [...env, bin, '-d', join(dir, 'pgbouncer.ini')]);
  for (let i = 0; i < 50 && !existsSync(join(dir, 'pid')); i++) await new Promise((r) => setTimeout(r, 100));
  const stop = () => {
    try { process.kill(Number(readFileSync(join(dir, 'pid'), 'utf8').trim())); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
  };
  if (!existsSync(join(dir, 'pid'))) { const log = (() => { try { return readFileSync(join(dir, 'log'), 'utf8'); } catch { return ''; } })(); stop(); throw new Error(`pgbouncer did not start: ${log}`); }
  await new Promise((r) => setTimeout(r, 200));
  return { port, stop };
}
