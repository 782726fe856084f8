// PostgreSQL for the test bed: two clusters from the Debian binaries, run as a non-root user.
//  - main (127.0.0.1:15432): ssl=on with a test-CA certificate; pg_hba has `hostssl` and `host`
//    lines with scram-sha-256, like a managed Postgres that offers TLS but does not force it.
//  - tlsonly (127.0.0.1:15433): same roles/databases; pg_hba `hostssl` + `hostnossl ... reject`,
//    so a plaintext connection is refused.
// Both have: databases flyteadmin + datacatalog owned by the owner role, a role without CREATE on
// schema public, a role whose password tests get wrong. Superuser connects over the unix socket
// (trust) in the data directory for setup only.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Testbed } from '../harness/testbed.js';
import { type InfraContext, isAlive, issueCert, startDaemon, tcpOpen, waitFor } from './common.js';

type PgSection = Testbed['postgres'];

export const PG_PORT = 15432;
export const PG_TLS_ONLY_PORT = 15433;

const CERT_NAMES = ['localhost', 'db.flyte.test', 'IP:127.0.0.1'];

export const PG_CREDS = {
  superuser: { user: 'postgres', password: 'testbed-super-pw' },
  owner: { user: 'flyte_owner', password: 'testbed-owner-pw' },
  noCreate: { user: 'flyte_nocreate', password: 'testbed-nocreate-pw' },
  wrongPasswordUser: 'flyte_wrongpw',
  wrongPasswordUserRealPassword: 'testbed-wrongpw-real-pw',
};

/** Directory holding the PostgreSQL 15 server binaries (Debian layout first, then PATH). */
export function pgBinDir(): string {
  for (const d of ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin']) {
    if (existsSync(join(d, 'postgres'))) return d;
  }
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('PostgreSQL server binaries not found: run test/infra/install-deps.sh (installs postgresql-15)');
  }
}

/** The unprivileged system user the server runs as (postgres refuses to run as root). */
function pgUser(): string {
  if (process.getuid?.() !== 0) return '';
  const exists = (u: string) => { try { execFileSync('id', ['-u', u], { stdio: 'ignore' }); return true; } catch { return false; } };
  if (exists('postgres')) return 'postgres';
  if (!exists('flyte-doctor-pg')) execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'flyte-doctor-pg']);
  return 'flyte-doctor-pg';
}

/** argv prefix to run a command as the server's user (empty when not root). */
function asUser(user: string, cmd: string, args: string[]): [string, string[]] {
  return user ? ['runuser', ['-u', user, '--', cmd, ...args]] : [cmd, args];
}

function psql(bin: string, dataDir: string, port: number, sql: string, db = 'postgres'): string {
  return execFileSync(join(bin, 'psql'), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', dataDir, '-p', String(port), '-U', 'postgres', '-d', db, '-c', sql],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

const SETUP_SQL = (c: typeof PG_CREDS) => `
ALTER ROLE postgres PASSWORD '${c.superuser.password}';
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${c.owner.user}') THEN CREATE ROLE ${c.owner.user} LOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${c.noCreate.user}') THEN CREATE ROLE ${c.noCreate.user} LOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${c.wrongPasswordUser}') THEN CREATE ROLE ${c.wrongPasswordUser} LOGIN; END IF;
END $$;
ALTER ROLE ${c.owner.user} PASSWORD '${c.owner.password}' NOSUPERUSER NOCREATEDB NOCREATEROLE;
ALTER ROLE ${c.noCreate.user} PASSWORD '${c.noCreate.password}' NOSUPERUSER NOCREATEDB NOCREATEROLE;
ALTER ROLE ${c.wrongPasswordUser} PASSWORD '${c.wrongPasswordUserRealPassword}';
`;

const DB_SQL = (c: typeof PG_CREDS) => `
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON SCHEMA public FROM ${c.noCreate.user};
GRANT USAGE ON SCHEMA public TO ${c.noCreate.user};
`;

interface Cluster { name: string; port: number; hba: string }

async function ensureCluster(ctx: InfraContext, bin: string, user: string, cl: Cluster, tls: { cert: string; key: string }): Promise<void> {
  const dataDir = join(ctx.dir, 'pg', cl.name);
  const daemon = `postgres-${cl.name}`;
  const pidFile = join(ctx.dir, 'pids', `${daemon}.pid`);
  const ready = join(ctx.dir, 'pg', `${cl.name}.ready`);
  const running = existsSync(pidFile) && isAlive(Number(readFileSync(pidFile, 'utf8')));
  if (running && existsSync(ready)) {
    try { psql(bin, dataDir, cl.port, 'SELECT 1'); ctx.log(`postgres ${cl.name} already running on ${cl.port}`); return; } catch { /* restart below */ }
  }
  if (running) throw new Error(`postgres ${cl.name} (pid file ${pidFile}) is running but not healthy: run \`npm run testbed:down\` first`);
  if (await tcpOpen(cl.port)) throw new Error(`postgres ${cl.name}: port 127.0.0.1:${cl.port} is taken by another process`);

  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(ready, { force: true });
    mkdirSync(dataDir, { recursive: true });
    if (user) execFileSync('chown', [user, dataDir]);
    const [cmd, args] = asUser(user, join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth-local=trust', '--auth-host=reject', '-E', 'UTF8', '--no-instructions']);
    execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  }
  // Config is rewritten every start (cheap, keeps it in step with this file).
  copyFileSync(tls.cert, join(dataDir, 'server.crt'));
  copyFileSync(tls.key, join(dataDir, 'server.key'));
  copyFileSync(ctx.ca.cert, join(dataDir, 'ca.crt'));
  chmodSync(join(dataDir, 'server.key'), 0o600);
  writeFileSync(join(dataDir, 'postgresql.auto.conf'), [
    `listen_addresses = '127.0.0.1'`,
    `port = ${cl.port}`,
    `unix_socket_directories = '${dataDir}'`,
    `ssl = on`,
    `ssl_cert_file = 'server.crt'`,
    `ssl_key_file = 'server.key'`,
    `ssl_ca_file = 'ca.crt'`,
    `password_encryption = 'scram-sha-256'`,
    `max_connections = 250`, // Flyte's default pools open up to 100 per component: keep the healthy bed healthy
    `shared_buffers = '32MB'`,
    `fsync = off`,
    `logging_collector = off`,
    `log_connections = on`,
    '',
  ].join('\n'));
  writeFileSync(join(dataDir, 'pg_hba.conf'), cl.hba);
  if (user) execFileSync('chown', ['-R', user, dataDir]);

  const [cmd, args] = asUser(user, join(bin, 'postgres'), ['-D', dataDir]);
  startDaemon(ctx, daemon, cmd, args);
  await waitFor(ctx, `postgres ${cl.name} on 127.0.0.1:${cl.port}`, () => { psql(bin, dataDir, cl.port, 'SELECT 1'); return true; }, 30_000, daemon);

  if (!existsSync(ready)) {
    const c = PG_CREDS;
    psql(bin, dataDir, cl.port, SETUP_SQL(c));
    for (const db of ['flyteadmin', 'datacatalog']) {
      if (psql(bin, dataDir, cl.port, `SELECT 1 FROM pg_database WHERE datname = '${db}'`) !== '1') {
        psql(bin, dataDir, cl.port, `CREATE DATABASE ${db} OWNER ${c.owner.user}`);
      }
      psql(bin, dataDir, cl.port, DB_SQL(c), db);
    }
    writeFileSync(ready, new Date().toISOString());
  }
}

export async function start(ctx: InfraContext): Promise<PgSection> {
  const bin = pgBinDir();
  const user = pgUser();
  const tls = issueCert(ctx, 'postgres', { sans: CERT_NAMES });
  const common = 'local all all trust\n';
  await ensureCluster(ctx, bin, user, {
    name: 'main', port: PG_PORT,
    hba: `${common}hostssl all all 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 scram-sha-256\n`,
  }, tls);
  await ensureCluster(ctx, bin, user, {
    name: 'tlsonly', port: PG_TLS_ONLY_PORT,
    hba: `${common}hostssl all all 127.0.0.1/32 scram-sha-256\nhostnossl all all 127.0.0.1/32 reject\n`,
  }, tls);
  const version = psql(bin, join(ctx.dir, 'pg', 'main'), PG_PORT, 'SHOW server_version').split(' ')[0]!;
  return {
    host: '127.0.0.1',
    port: PG_PORT,
    tlsOnlyPort: PG_TLS_ONLY_PORT,
    version,
    superuser: PG_CREDS.superuser,
    owner: PG_CREDS.owner,
    noCreate: PG_CREDS.noCreate,
    wrongPasswordUser: PG_CREDS.wrongPasswordUser,
    databases: { flyteadmin: 'flyteadmin', datacatalog: 'datacatalog' },
    missingDb: 'flyte_doctor_no_such_db',
    certNames: CERT_NAMES.map((n) => n.replace(/^IP:/, '')),
  };
}

/** Health: a query over the unix socket of each cluster. */
export function healthy(ctx: InfraContext): boolean {
  try {
    const bin = pgBinDir();
    psql(bin, join(ctx.dir, 'pg', 'main'), PG_PORT, 'SELECT 1');
    psql(bin, join(ctx.dir, 'pg', 'tlsonly'), PG_TLS_ONLY_PORT, 'SELECT 1');
    return true;
  } catch { return false; }
}
