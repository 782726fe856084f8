// Broken-environment scenarios for the database: each breaks one thing of the healthy test bed
// (a --set, a role or database of our own, a private server on a free port) and asserts the report:
// exactly these checks fail, the root cause and its messageId, a fix naming the real key or SQL.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { expect } from 'vitest';
import { impostors, startTcp, testCert, type Running } from '../harness/private-servers.js';
import { getTestbed } from '../harness/testbed.js';
import { dropDb, dropRole, ensureDb, ensureRole, startPrivatePg, su, type PrivatePg } from '../checks/database/pg-servers.js';
import { describeScenarios, type Scenario } from './harness.js';

const only = ['database'];
const PW = 'fd-db-scn-pw-1';
const A = 'database.postgres.auth[flyteadmin]', C = 'database.postgres.connect[flyteadmin]', T = 'database.postgres.tls[flyteadmin]';
const D = 'database.postgres.database[flyteadmin]', P = 'database.postgres.privileges[flyteadmin]', N = 'database.postgres.dns[flyteadmin]';
const M = 'database.postgres.migrations[flyteadmin]';
const owner = () => getTestbed().postgres.owner.user;

/** A private server for one scenario: started by setup(), its port read by inputs(). */
function withServer(start: () => Promise<Running | PrivatePg>): { setup: Scenario['setup']; port: () => number } {
  let s: Running | PrivatePg | undefined;
  return {
    setup: async () => { s = await start(); return async () => { const x = s; s = undefined; if (x && 'psql' in x) x.stop(); else await x?.stop(); }; },
    port: () => s!.port,
  };
}

async function tlsOnlyServer(): Promise<Running> {
  const c = testCert('db-scn-tls-only');
  const server = createTlsServer({ cert: readFileSync(c.cert), key: readFileSync(c.key) }, (s) => { s.on('error', () => {}); s.end(); });
  server.on('tlsClientError', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, ports: [], stop: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A role (and optionally a database it owns) of the scenario's own; undo drops them. */
function withRole(name: string, attrs: string, o: { db?: string; sql?: string[] } = {}): Scenario['setup'] {
  return async () => {
    await ensureRole(name, PW, attrs);
    if (o.db) await ensureDb(o.db, name);
    for (const s of o.sql ?? []) await su(s);
    return async () => { if (o.db) await dropDb(o.db); await dropRole(name); };
  };
}

const ssh = withServer(() => startTcp(impostors.ssh));
const http = withServer(() => startTcp(impostors.http400));
const tlsOnly = withServer(tlsOnlyServer);
const plainPg = withServer(() => startPrivatePg());
const replica = withServer(() => startPrivatePg({
  tls: testCert('db-scn-valid', { sans: ['localhost', 'db.flyte.test', 'IP:127.0.0.1'] }), standby: true,
  setup: [`CREATE ROLE ${getTestbed().postgres.owner.user} LOGIN PASSWORD '${getTestbed().postgres.owner.password}'`, `CREATE DATABASE flyteadmin OWNER ${getTestbed().postgres.owner.user}`],
}));
const expiredCert = withServer(() => startPrivatePg({
  tls: testCert('db-scn-expired', { sans: ['localhost', 'db.flyte.test', 'IP:127.0.0.1'], expired: true }),
  setup: [`CREATE ROLE ${getTestbed().postgres.owner.user} LOGIN PASSWORD '${getTestbed().postgres.owner.password}'`, `CREATE DATABASE flyteadmin OWNER ${getTestbed().postgres.owner.user}`],
}));

/** A server whose pg_hba.conf wants a client certificate (the cert method), and a client certificate of the test CA with CN=someone (not the user). */
const certAuth = (() => {
  let dir = '';
  const srv = withServer(() => startPrivatePg({
    tls: testCert('db-scn-valid', { sans: ['localhost', 'db.flyte.test', 'IP:127.0.0.1'] }), hba: ['hostssl all all 127.0.0.1/32 cert'], conf: [`ssl_ca_file = '${getTestbed().caCert}'`],
    setup: [`CREATE ROLE ${getTestbed().postgres.owner.user} LOGIN`, `CREATE DATABASE flyteadmin OWNER ${getTestbed().postgres.owner.user}`],
  }));
  return {
    setup: async () => {
      dir = mkdtempSync(join(tmpdir(), 'fd-db-scn-cc-'));
      writeFileSync(join(dir, 'c.ext'), 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
      const ca = getTestbed().caCert;
      execFileSync('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'c.key'), '-out', join(dir, 'c.csr'), '-subj', '/CN=someone'], { stdio: 'ignore' });
      execFileSync('openssl', ['x509', '-req', '-in', join(dir, 'c.csr'), '-CA', ca, '-CAkey', ca.replace(/\.crt$/, '.key'), '-CAserial', join(dir, 'ca.srl'), '-CAcreateserial', '-days', '30', '-extfile', join(dir, 'c.ext'), '-out', join(dir, 'c.crt')], { stdio: 'ignore' });
      const undo = await srv.setup!();
      return async () => { if (undo) await undo(); rmSync(dir, { recursive: true, force: true }); };
    },
    inputs: () => ({ set: [`configuration.database.port=${srv.port()}`, `configuration.database.options=sslmode=require sslcert=${join(dir, 'c.crt')} sslkey=${join(dir, 'c.key')}`] }),
  };
})();

const scenarios: Scenario[] = [
  {
    name: 'pg_hba wants a client certificate and options names one whose CN is not the user: the certificate is presented, the fix is its CN (not "add sslcert")',
    phase: 'preflight', only,
    setup: certAuth.setup,
    inputs: certAuth.inputs,
    expect: {
      failing: [A], root: A, messageId: 'clientCertRejected', fix: ['with CN=flyte_owner', 'certmap someone flyte_owner'],
      check: (r) => expect(r.stdout).toContain('(CN=someone) for user flyte_owner'),
    },
  },
  {
    name: 'wrong password (values): 28P01 names configuration.database.password and the VALID UNTIL possibility',
    phase: 'preflight', only,
    inputs: { set: ['configuration.database.password=fd-db-scn-wrong-pw'] },
    expect: {
      failing: [A], root: A, messageId: 'passwordRejected', fix: ['configuration.database.password', 'rolvaliduntil'],
      check: (r) => expect(r.stdout).not.toContain('fd-db-scn-wrong-pw'),
    },
  },
  {
    // The values given to verify are not the installed ones (a password passed with --set at install,
    // a placeholder in the file): the release logs in with its own. ALTER ROLE would lock it out.
    name: 'verify: the values\' password is refused, the installed release\'s is accepted: fix the values, never ALTER ROLE; one root with flyte.config.live',
    phase: 'verify', only: ['database', 'flyte.config.live'],
    inputs: { set: ['configuration.database.password=fd-db-scn-not-installed'] },
    expect: {
      failing: [A, 'flyte.config.live'], root: A, messageId: 'passwordNotInstalled',
      fix: ['configuration.database.password', 'get secret flyte-flyte-binary-config-secret', 'would lock the running flyteadmin out'],
      check: (r) => {
        const a = r.results.find((x) => x.id === 'database.postgres.auth')!;
        expect(a.hint).not.toContain('ALTER ROLE');
        expect(a.message).toMatch(/the release runs with another password \(Secret flyte\/flyte-flyte-binary-config-secret key 012-database-secrets\.yaml: database\.postgres\.password\), which the server accepts/);
        expect(r.stdout).not.toContain('fd-db-scn-not-installed');
        expect(r.stdout).not.toContain(getTestbed().postgres.owner.password);
      },
    },
  },
  {
    // Both passwords refused: the values' one and the one the release runs with (for this role): the
    // usual passwordRejected, saying the installed one fails too (flyteadmin cannot log in either).
    name: 'verify: the values\' password and the installed release\'s are both refused: passwordRejected, saying flyteadmin cannot log in either',
    phase: 'verify', only,
    setup: withRole('fd_db_scn_both', 'LOGIN'),
    inputs: { set: ['configuration.database.username=fd_db_scn_both', 'configuration.database.password=fd-db-scn-both-wrong'] },
    expect: {
      failing: [A], root: A, messageId: 'passwordRejected', fix: ['configuration.database.password', 'roll the values out (helm upgrade)'],
      check: (r) => {
        const a = r.results.find((x) => x.id === 'database.postgres.auth')!;
        expect(a.message).toMatch(/the release runs with another password \(Secret flyte\/flyte-flyte-binary-config-secret key 012-database-secrets\.yaml: database\.postgres\.password\), and the server refuses that one too \(28P01\): flyteadmin cannot log in either/);
        expect(r.stdout).not.toContain(getTestbed().postgres.owner.password);
      },
    },
  },
  {
    name: 'role that may not log in (NOLOGIN): ALTER ROLE … LOGIN',
    phase: 'preflight', only,
    setup: withRole('fd_db_scn_nologin', 'NOLOGIN'),
    inputs: { set: ['configuration.database.username=fd_db_scn_nologin', `configuration.database.password=${PW}`] },
    expect: { failing: [A], root: A, messageId: 'roleNoLogin', fix: ['ALTER ROLE fd_db_scn_nologin LOGIN'] },
  },
  {
    name: 'expired password (VALID UNTIL in the past): 28P01 with the query that tells it apart',
    phase: 'preflight', only,
    setup: withRole('fd_db_scn_expired', "LOGIN VALID UNTIL '2001-01-01'"),
    inputs: { set: ['configuration.database.username=fd_db_scn_expired', `configuration.database.password=${PW}`] },
    expect: { failing: [A], root: A, messageId: 'passwordRejected', fix: ["rolname = 'fd_db_scn_expired'", "VALID UNTIL 'infinity'"] },
  },
  {
    name: 'role at its CONNECTION LIMIT: ALTER ROLE … CONNECTION LIMIT',
    phase: 'preflight', only,
    setup: withRole('fd_db_scn_limited', 'LOGIN CONNECTION LIMIT 0'),
    inputs: { set: ['configuration.database.username=fd_db_scn_limited', `configuration.database.password=${PW}`] },
    expect: { failing: [A], root: A, messageId: 'roleConnectionLimit', fix: ['ALTER ROLE fd_db_scn_limited CONNECTION LIMIT'] },
  },
  {
    name: 'CONNECT privilege revoked on the database: GRANT CONNECT (auth passes)',
    phase: 'preflight', only,
    setup: async () => { await ensureDb('fd_db_scn_noconnect'); await su('REVOKE CONNECT ON DATABASE fd_db_scn_noconnect FROM PUBLIC'); return () => dropDb('fd_db_scn_noconnect'); },
    inputs: { set: ['configuration.database.dbname=fd_db_scn_noconnect'] },
    expect: { failing: [D], root: D, messageId: 'connectRevoked', fix: ['GRANT CONNECT ON DATABASE fd_db_scn_noconnect TO flyte_owner'] },
  },
  {
    name: 'database closed to connections (datallowconn false): ALTER DATABASE … ALLOW_CONNECTIONS true',
    phase: 'preflight', only,
    setup: async () => { await ensureDb('fd_db_scn_closed', 'flyte_owner'); await su('ALTER DATABASE fd_db_scn_closed ALLOW_CONNECTIONS false'); return () => dropDb('fd_db_scn_closed'); },
    inputs: { set: ['configuration.database.dbname=fd_db_scn_closed'] },
    expect: { failing: [D], root: D, messageId: 'notAcceptingConnections', fix: ['ALTER DATABASE fd_db_scn_closed ALLOW_CONNECTIONS true'] },
  },
  {
    name: 'missing database, role without CREATEDB: CREATE DATABASE … OWNER',
    phase: 'preflight', only,
    inputs: { set: ['configuration.database.dbname=fd_db_scn_missing'] },
    expect: { failing: [D], root: D, messageId: 'missingNoCreatedb', fix: ['CREATE DATABASE fd_db_scn_missing OWNER flyte_owner', 'configuration.database.dbname'] },
  },
  {
    name: 'role without CREATE on schema public: GRANT CREATE ON SCHEMA public',
    phase: 'preflight', only,
    inputs: () => ({ set: [`configuration.database.username=${getTestbed().postgres.noCreate.user}`, `configuration.database.password=${getTestbed().postgres.noCreate.password}`] }),
    expect: { failing: [P], root: P, messageId: 'noCreateOnSchema', fix: ['GRANT CREATE ON SCHEMA public TO flyte_nocreate'] },
  },
  {
    name: 'read-only sessions (default_transaction_read_only on the role): ALTER ROLE … RESET',
    phase: 'preflight', only,
    setup: withRole('fd_db_scn_ro', 'LOGIN', { db: 'fd_db_scn_rodb', sql: ['ALTER ROLE fd_db_scn_ro SET default_transaction_read_only = on'] }),
    inputs: { set: ['configuration.database.username=fd_db_scn_ro', `configuration.database.password=${PW}`, 'configuration.database.dbname=fd_db_scn_rodb'] },
    expect: { failing: [P], root: P, messageId: 'readOnlyTransactions', fix: ['ALTER ROLE fd_db_scn_ro RESET default_transaction_read_only'] },
  },
  {
    name: 'a read-only replica (pg_is_in_recovery): point the host at the primary',
    phase: 'preflight', only,
    setup: replica.setup,
    inputs: () => ({ set: [`configuration.database.port=${replica.port()}`] }),
    expect: { failing: [P], root: P, messageId: 'readReplica', fix: ['configuration.database.host', 'writer'] },
  },
  {
    name: 'an SSH server on the database port: something else listens (not "TLS offered")',
    phase: 'preflight', only,
    setup: ssh.setup,
    inputs: () => ({ set: [`configuration.database.port=${ssh.port()}`] }),
    expect: {
      failing: [C], root: C, messageId: 'notPostgres', fix: ['configuration.database.port'],
      check: (r) => expect(r.results.find((x) => x.id === 'database.postgres.connect')!.message).toContain('an SSH server'),
    },
  },
  {
    name: 'an HTTP server on the database port',
    phase: 'preflight', only,
    setup: http.setup,
    inputs: () => ({ set: [`configuration.database.port=${http.port()}`] }),
    expect: {
      failing: [C], root: C, messageId: 'notPostgres', fix: ['configuration.database.port'],
      check: (r) => expect(r.results.find((x) => x.id === 'database.postgres.connect')!.message).toContain('HTTP/1.1 400'),
    },
  },
  {
    name: 'a TLS-only port with sslmode=disable: a TLS server listens, not PostgreSQL',
    phase: 'preflight', only,
    setup: tlsOnly.setup,
    inputs: () => ({ set: [`configuration.database.port=${tlsOnly.port()}`, 'configuration.database.options=sslmode=disable'] }),
    expect: {
      failing: [C], root: C, messageId: 'notPostgres', fix: ['configuration.database.port', 'TLS handshake first'],
      check: (r) => expect(r.results.find((x) => x.id === 'database.postgres.connect')!.message).toContain('a TLS server'),
    },
  },
  {
    name: 'PostgreSQL that refuses plaintext, sslmode=disable: set sslmode=require in options',
    phase: 'preflight', only,
    inputs: () => ({ set: [`configuration.database.port=${getTestbed().postgres.tlsOnlyPort}`, 'configuration.database.options=sslmode=disable'] }),
    expect: { failing: [T], root: T, messageId: 'serverRequiresTls', fix: ['configuration.database.options', 'sslmode=require'] },
  },
  {
    name: 'a plain (no TLS) PostgreSQL port with sslmode=verify-full: the server does not offer TLS',
    phase: 'preflight', only,
    setup: plainPg.setup,
    inputs: () => ({ set: [`configuration.database.port=${plainPg.port()}`, 'configuration.database.options=sslmode=verify-full'] }),
    expect: { failing: [T], root: T, messageId: 'serverWithoutTls', fix: ['enable TLS on the server', 'configuration.database.options'] },
  },
  {
    name: 'an expired server certificate with sslmode=verify-full: renew it',
    phase: 'preflight', only,
    setup: expiredCert.setup,
    inputs: () => ({ set: [`configuration.database.port=${expiredCert.port()}`, `configuration.database.options=sslmode=verify-full sslrootcert=${getTestbed().caCert}`] }),
    expect: { failing: [T], root: T, messageId: 'certExpired', fix: ['renew the server certificate'] },
  },
  {
    name: 'an sslmode PostgreSQL does not know: one failing check naming the options key and the allowed values',
    phase: 'preflight', only,
    inputs: { set: ['configuration.database.options=sslmode=requried'] },
    expect: { failing: [T], root: T, messageId: 'sslmodeInvalid', fix: ['configuration.database.options', 'sslmode=require', 'verify-full'] },
  },
  {
    name: 'closed port: connection refused, names the port key',
    phase: 'preflight', only,
    inputs: () => ({ set: [`configuration.database.port=${getTestbed().closedPort}`] }),
    expect: { failing: [C], root: C, messageId: 'refused', fix: ['configuration.database.port'] },
  },
  {
    name: 'stalled port (accepts, never answers): a black hole, not a firewall timeout',
    phase: 'preflight', only,
    inputs: () => ({ set: [`configuration.database.port=${getTestbed().stall.port}`] }),
    expect: { failing: [C], root: C, messageId: 'noAnswer', fix: ['configuration.database.port'] },
  },
  {
    name: 'host name that does not resolve: names the host key',
    phase: 'preflight', only,
    inputs: () => ({ set: [`configuration.database.host=${getTestbed().dns.nxdomain}`] }),
    expect: { failing: [N], root: N, messageId: 'nxdomain', fix: ['configuration.database.host'] },
  },
  {
    name: 'cluster-internal host that does not resolve here: warn "cannot be checked from this machine", nothing fails',
    phase: 'preflight', only,
    inputs: { set: ['configuration.database.host=flyte-db.flyte.svc.cluster.local'] },
    expect: {
      failing: [], root: N, messageId: 'notFromHere', fix: ['--in-cluster'],
      warnings: ['auth', 'connect', 'connections', 'database', 'dns', 'privileges', 'tls', 'version'].map((c) => `database.postgres.${c}[flyteadmin]`),
      check: (r) => { for (const x of r.results) if (x.status === 'warn' && x.id !== 'database.postgres.dns') expect(x.explainedBy).toBe(N); },
    },
  },
  {
    // dns.hosts.resolve says the same (clusterInternal): one fault, one root, not two unrelated warnings
    name: 'cluster-internal host, with the DNS area too: dns.hosts.resolve is explained by the same root',
    phase: 'preflight', only: [...only, 'dns.hosts.resolve'],
    inputs: { set: ['configuration.database.host=postgres'] },
    expect: {
      failing: [], root: N, messageId: 'notFromHere', fix: ['--in-cluster'],
      check: (r) => {
        const d = r.results.find((x) => x.id === 'dns.hosts.resolve' && x.instance === 'database-flyteadmin')!;
        expect(d).toMatchObject({ status: 'warn', messageId: 'clusterInternal', cause: 'dns:postgres', explainedBy: N });
        expect(r.results.filter((x) => x.rootCause).map((x) => `${x.id}[${x.instance}]`)).toEqual([N]);
      },
    },
  },
  {
    name: 'private address that does not answer as PostgreSQL from here: warn, the check ran from this machine',
    phase: 'preflight', only,
    inputs: { set: ['configuration.database.host=10.255.255.1', 'configuration.database.port=5432'] },
    expect: {
      failing: [], root: C, messageId: 'notFromHere', fix: ['--in-cluster'],
      warnings: ['auth', 'connect', 'connections', 'database', 'privileges', 'tls', 'version'].map((c) => `database.postgres.${c}[flyteadmin]`),
      check: (r) => expect(r.results.find((x) => x.id === 'database.postgres.connect')!.message).toMatch(/private-network address and this check ran from this machine/),
    },
  },
  {
    name: 'verify: an empty database (migrations never ran) fails only the migrations check',
    phase: 'verify', only,
    setup: async () => { await ensureDb('fd_db_scn_empty', owner()); return () => dropDb('fd_db_scn_empty'); },
    inputs: { set: ['configuration.database.dbname=fd_db_scn_empty'] },
    expect: { failing: [M], root: M, messageId: 'noMigrationsTable', fix: ['run-migrations'] },
  },
];

describeScenarios('database: broken environments', scenarios);
