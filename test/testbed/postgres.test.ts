// The test bed's PostgreSQL: healthy paths work, each broken state is broken in the described way.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { getTestbed, type Testbed } from '../harness/testbed.js';

let p: Testbed['postgres'];
let ca: string;

beforeAll(() => {
  const tb = getTestbed();
  p = tb.postgres;
  ca = readFileSync(tb.caCert, 'utf8');
});

type Opts = { port?: number; user?: string; password?: string; database?: string; tls?: boolean };
async function withClient<T>(o: Opts, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({
    host: p.host, port: o.port ?? p.port, user: o.user ?? p.owner.user, password: o.password ?? p.owner.password,
    database: o.database ?? p.databases.flyteadmin, connectionTimeoutMillis: 5000,
    ssl: o.tls === false ? false : { ca, rejectUnauthorized: true },
  });
  await c.connect();
  try { return await fn(c); } finally { await c.end(); }
}
async function connectError(o: Opts): Promise<{ code?: string; message: string }> {
  try {
    await withClient(o, async () => undefined);
  } catch (e) {
    return e as { code?: string; message: string };
  }
  throw new Error('connection unexpectedly succeeded');
}

describe('postgres (main listener)', () => {
  it('owner connects over TLS verified against the test CA, and the reported version is the server version', async () => {
    const r = await withClient({}, (c) => c.query<{ ssl: boolean; v: string; u: string }>(
      "SELECT s.ssl, current_setting('server_version') AS v, current_user AS u FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()"));
    expect(r.rows[0]).toEqual({ ssl: true, v: expect.stringMatching(new RegExp(`^${p.version.replace('.', '\\.')}`)), u: p.owner.user });
  });

  it('owner owns flyteadmin and datacatalog and may create tables in public', async () => {
    for (const db of [p.databases.flyteadmin, p.databases.datacatalog]) {
      const r = await withClient({ database: db }, async (c) => {
        await c.query('BEGIN');
        await c.query('CREATE TABLE testbed_probe (id int)');
        await c.query('ROLLBACK');
        return c.query<{ owner: string; create: boolean }>(
          "SELECT pg_get_userbyid(datdba) AS owner, has_schema_privilege('public', 'CREATE') AS create FROM pg_database WHERE datname = current_database()");
      });
      expect(r.rows[0]).toEqual({ owner: p.owner.user, create: true });
    }
  });

  it('plaintext is allowed on the main listener (host line), like a managed Postgres that does not force TLS', async () => {
    const r = await withClient({ tls: false }, (c) => c.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'));
    expect(r.rows[0]!.ssl).toBe(false);
  });

  it('noCreate can connect but has no CREATE on schema public: CREATE TABLE fails with 42501', async () => {
    for (const db of [p.databases.flyteadmin, p.databases.datacatalog]) {
      await withClient({ user: p.noCreate.user, password: p.noCreate.password, database: db }, async (c) => {
        const r = await c.query<{ create: boolean; usage: boolean; connect: boolean }>(
          "SELECT has_schema_privilege('public', 'CREATE') AS create, has_schema_privilege('public', 'USAGE') AS usage, has_database_privilege(current_database(), 'CONNECT') AS connect");
        expect(r.rows[0]).toEqual({ create: false, usage: true, connect: true });
        await expect(c.query('CREATE TABLE testbed_probe (id int)')).rejects.toMatchObject({ code: '42501' });
      });
    }
  });

  it('a wrong password gives 28P01 for the wrongPasswordUser (and for the owner)', async () => {
    expect((await connectError({ user: p.wrongPasswordUser, password: 'not-the-password' })).code).toBe('28P01');
    expect((await connectError({ password: 'not-the-password' })).code).toBe('28P01');
  });

  it('the missing database gives 3D000', async () => {
    expect((await connectError({ database: p.missingDb })).code).toBe('3D000');
  });

  it('the superuser exists with the recorded password', async () => {
    const r = await withClient({ user: p.superuser.user, password: p.superuser.password, database: 'postgres' },
      (c) => c.query<{ s: boolean }>('SELECT rolsuper AS s FROM pg_roles WHERE rolname = current_user'));
    expect(r.rows[0]!.s).toBe(true);
  });

  it('the server certificate is issued by the test CA for the recorded names', async () => {
    const der = await withClient({}, async (c) => {
      // pg keeps the TLS socket on the connection
      const sock = (c as unknown as { connection: { stream: import('node:tls').TLSSocket } }).connection.stream;
      return sock.getPeerX509Certificate()!;
    });
    const caCert = new X509Certificate(ca);
    expect(der.checkIssued(caCert)).toBe(true);
    for (const n of p.certNames) {
      if (/^\d+\.\d+\.\d+\.\d+$/.test(n)) expect(der.checkIP(n)).toBe(n);
      else expect(der.checkHost(n)).toBe(n);
    }
  });
});

describe('postgres (tlsOnlyPort)', () => {
  it('refuses plaintext: pg_hba rejects the connection with "no encryption" (28000)', async () => {
    const e = await connectError({ port: p.tlsOnlyPort, tls: false });
    expect(e.code).toBe('28000');
    expect(e.message).toMatch(/no encryption/);
  });

  it('accepts the owner over TLS', async () => {
    const r = await withClient({ port: p.tlsOnlyPort }, (c) => c.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'));
    expect(r.rows[0]!.ssl).toBe(true);
  });
});
