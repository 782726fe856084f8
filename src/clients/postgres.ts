// PostgreSQL probing for the database.postgres.* checks.
//  - Raw protocol steps (TCP connect, SSLRequest, TLS handshake, StartupMessage) that answer one
//    question each without sending a password: is something speaking PostgreSQL there, does it
//    offer TLS, is the certificate trusted, does pg_hba let this user/db/address in with this
//    encryption.
//  - A shared, authenticated session through `pg` (imported lazily) for the read-only queries.
// Every step is bounded by a timeout and an AbortSignal; nothing writes to the user's database.
import { readFile } from 'node:fs/promises';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { Client as PgClient, ClientConfig } from 'pg';
import type { DatabaseTarget } from '../config/target.js';
import type { CheckContext } from '../engine/types.js';
import { DnsError, resolveHost } from './resolve.js';

export type SslMode = NonNullable<DatabaseTarget['sslmode']>;

/** Flyte's default `options` is `sslmode=disable` (flytestdlib database config, both charts). */
export const DEFAULT_SSLMODE: SslMode = 'disable';
export function sslmodeOf(db: DatabaseTarget): SslMode { return db.sslmode ?? DEFAULT_SSLMODE; }

/** A classified failure of any step. `kind` drives the check's outcome. */
export class PgProbeError extends Error {
  constructor(
    readonly kind: 'dns' | 'refused' | 'timeout' | 'unreachable' | 'reset' | 'not-postgres' | 'no-ssl' | 'tls-untrusted' | 'tls-name' | 'tls-other'
      | 'auth' | 'hba' | 'no-db' | 'too-many' | 'aborted' | 'other',
    message: string,
    readonly code?: string,
    readonly extra: Record<string, string> = {},
  ) { super(message); this.name = 'PgProbeError'; }
}

export function instanceKeyOf(db: DatabaseTarget): string { return db.role; }
export function instanceLabelOf(db: DatabaseTarget): string { return `${db.role} db ${db.user}@${db.host}:${db.port}/${db.dbname}`; }
export function databaseFor(ctx: CheckContext): DatabaseTarget {
  const key = ctx.instance?.key;
  const db = ctx.target.databases.find((d) => d.role === key) ?? ctx.target.databases[0];
  if (!db) throw new Error('no database configured');
  return db;
}
export const dbInstances = (t: { databases: DatabaseTarget[] }) => t.databases.map((d) => ({ key: instanceKeyOf(d), label: instanceLabelOf(d) }));

export { stepBudget, seconds as secs } from '../engine/budget.js';
import { seconds as secs, stepBudget } from '../engine/budget.js';

// ---------------------------------------------------------------- raw protocol

const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]); // length 8, code 80877103

export interface RawConn { socket: Socket; address: string; connectMs: number }

/** TCP connect to host:port (name resolved through --dns-server when set). */
export async function tcpConnect(host: string, port: number, opts: { dnsServer?: string; timeoutMs: number; signal: AbortSignal }): Promise<RawConn> {
  let address: string;
  try {
    address = (await resolveHost(host, opts.dnsServer, opts.timeoutMs)).address;
  } catch (e) {
    if (e instanceof DnsError) throw new PgProbeError('dns', e.message, e.code);
    throw e;
  }
  const t0 = Date.now();
  return new Promise<RawConn>((resolve, reject) => {
    const socket = netConnect({ host: address, port });
    const done = (err?: PgProbeError) => {
      clearTimeout(timer); opts.signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners('error'); socket.removeAllListeners('connect');
      if (err) { socket.destroy(); reject(err); } else { socket.on('error', () => {}); resolve({ socket, address, connectMs: Date.now() - t0 }); }
    };
    const onAbort = () => done(new PgProbeError('aborted', 'aborted'));
    const timer = setTimeout(() => done(new PgProbeError('timeout', `no answer from ${host}:${port} within ${secs(opts.timeoutMs)}`)), opts.timeoutMs);
    opts.signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => done());
    socket.once('error', (e: NodeJS.ErrnoException) => done(netError(e, host, port)));
  });
}

function netError(e: NodeJS.ErrnoException, host: string, port: number): PgProbeError {
  switch (e.code) {
    case 'ECONNREFUSED': return new PgProbeError('refused', `connection refused by ${host}:${port}`, e.code);
    case 'EHOSTUNREACH': case 'ENETUNREACH': case 'EADDRNOTAVAIL': return new PgProbeError('unreachable', `${host}:${port} is unreachable (${e.code})`, e.code);
    case 'ETIMEDOUT': return new PgProbeError('timeout', `no answer from ${host}:${port} (${e.code})`, e.code);
    case 'ECONNRESET': case 'EPIPE': return new PgProbeError('reset', `${host}:${port} closed the connection (${e.code})`, e.code);
    default: return new PgProbeError('other', `${host}:${port}: ${e.message}`, e.code);
  }
}

/** Reads exactly n bytes (or fails on close/timeout/abort). */
function readBytes(sock: Socket, n: number, timeoutMs: number, signal: AbortSignal, what: string): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const cleanup = () => { clearTimeout(timer); sock.off('data', onData); sock.off('close', onClose); sock.off('error', onError); signal.removeEventListener('abort', onAbort); };
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= n) { cleanup(); sock.pause(); if (buf.length > n) sock.unshift(buf.subarray(n)); resolve(buf.subarray(0, n)); }
    };
    const onClose = () => { cleanup(); reject(new PgProbeError('reset', `the server closed the connection ${what}`)); };
    const onError = (e: NodeJS.ErrnoException) => { cleanup(); reject(new PgProbeError('reset', `${what}: ${e.code ?? e.message}`, e.code)); };
    const onAbort = () => { cleanup(); reject(new PgProbeError('aborted', 'aborted')); };
    const timer = setTimeout(() => { cleanup(); reject(new PgProbeError('timeout', `no answer ${what} within ${secs(timeoutMs)}`)); }, timeoutMs);
    sock.on('data', onData); sock.once('close', onClose); sock.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
    sock.resume();
  });
}

/** Sends SSLRequest; 'S' = server offers TLS, 'N' = it does not. Anything else: not PostgreSQL. */
export async function sslRequest(sock: Socket, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  sock.write(SSL_REQUEST);
  const b = await readBytes(sock, 1, timeoutMs, signal, 'to the PostgreSQL SSLRequest');
  const c = String.fromCharCode(b[0]!);
  if (c === 'S') return true;
  if (c === 'N') return false;
  throw new PgProbeError('not-postgres', `the server answered the PostgreSQL SSLRequest with byte 0x${b[0]!.toString(16)}; is this a PostgreSQL port?`);
}

export interface TlsVerify { mode: 'none' | 'ca' | 'full'; ca?: string | Buffer; host: string }

export interface TlsInfo { protocol: string | null; cipher: string; subject: string; issuer: string; validTo: string; altNames: string }

/** TLS handshake on the socket after 'S'. Verification per sslmode. */
export function tlsHandshake(sock: Socket, v: TlsVerify, timeoutMs: number, signal: AbortSignal): Promise<{ tls: TLSSocket; info: TlsInfo }> {
  return new Promise((resolve, reject) => {
    const tls = tlsConnect({
      socket: sock,
      ...(isIP(v.host) ? {} : { servername: v.host }),
      rejectUnauthorized: v.mode !== 'none',
      ...(v.ca ? { ca: v.ca } : {}),
      checkServerIdentity: v.mode === 'full' ? (_h: string, cert: PeerCertificate) => checkServerIdentity(v.host, cert) : () => undefined,
    });
    const cleanup = () => { clearTimeout(timer); signal.removeEventListener('abort', onAbort); };
    const onAbort = () => { cleanup(); tls.destroy(); reject(new PgProbeError('aborted', 'aborted')); };
    const timer = setTimeout(() => { cleanup(); tls.destroy(); reject(new PgProbeError('timeout', `no TLS handshake answer within ${secs(timeoutMs)}`)); }, timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    tls.once('secureConnect', () => {
      cleanup();
      tls.removeAllListeners('error'); tls.on('error', () => {});
      const c = tls.getPeerCertificate();
      resolve({ tls, info: { protocol: tls.getProtocol(), cipher: tls.getCipher()?.name ?? '', subject: String(c?.subject?.CN ?? ''), issuer: String(c?.issuer?.CN ?? ''), validTo: c?.valid_to ?? '', altNames: c?.subjectaltname ?? '' } });
    });
    tls.once('error', (e: NodeJS.ErrnoException) => { cleanup(); tls.destroy(); reject(tlsError(e)); });
  });
}

const UNTRUSTED = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_UNTRUSTED', 'CERT_REJECTED']);
function tlsError(e: NodeJS.ErrnoException): PgProbeError {
  const code = e.code ?? '';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return new PgProbeError('tls-name', e.message, code);
  if (UNTRUSTED.has(code)) return new PgProbeError('tls-untrusted', `${e.message} (${code})`, code);
  return new PgProbeError('tls-other', `TLS handshake failed: ${e.message}${code ? ` (${code})` : ''}`, code);
}

export type StartupAnswer =
  | { kind: 'auth'; method: string }
  | { kind: 'error'; code: string; message: string; severity: string };

const AUTH_METHODS: Record<number, string> = { 0: 'trust', 2: 'kerberos', 3: 'password (cleartext)', 5: 'md5', 7: 'gss', 9: 'sspi', 10: 'scram-sha-256' };

/**
 * Sends a StartupMessage for user/database and reads the first answer: an authentication request
 * (the server will ask for a password: pg_hba accepted this user/db/address/encryption) or an
 * error (28000 no pg_hba entry, 3D000 ...). No password is sent; the connection is then closed.
 */
export async function startupProbe(sock: Socket, user: string, database: string, timeoutMs: number, signal: AbortSignal): Promise<StartupAnswer> {
  const params = Buffer.from(`user\0${user}\0database\0${database}\0application_name\0flyte-doctor\0\0`, 'utf8');
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + params.length, 0);
  head.writeInt32BE(196608, 4); // protocol 3.0
  sock.write(Buffer.concat([head, params]));
  const h = await readBytes(sock, 5, timeoutMs, signal, 'to the PostgreSQL startup message');
  const type = String.fromCharCode(h[0]!);
  const len = h.readInt32BE(1);
  if (len < 4 || len > 65536) throw new PgProbeError('not-postgres', `unexpected startup answer (type ${JSON.stringify(type)}, length ${len})`);
  const body = len > 4 ? await readBytes(sock, len - 4, timeoutMs, signal, 'to the PostgreSQL startup message') : Buffer.alloc(0);
  if (type === 'R') {
    const code = body.readInt32BE(0);
    let method = AUTH_METHODS[code] ?? `auth code ${code}`;
    if (code === 10) method = body.subarray(4).toString('utf8').split('\0').filter(Boolean).join(', ') || 'SASL';
    return { kind: 'auth', method };
  }
  if (type === 'E') {
    const f: Record<string, string> = {};
    let i = 0;
    while (i < body.length && body[i] !== 0) {
      const k = String.fromCharCode(body[i]!);
      const end = body.indexOf(0, i + 1);
      f[k] = body.subarray(i + 1, end).toString('utf8');
      i = end + 1;
    }
    return { kind: 'error', code: f.C ?? '', message: f.M ?? '', severity: f.S ?? 'FATAL' };
  }
  throw new PgProbeError('not-postgres', `unexpected startup answer of type ${JSON.stringify(type)}`);
}

// ---------------------------------------------------------------- TLS config per sslmode

export interface SslPlan { mode: SslMode; verify: TlsVerify['mode']; caFile?: string; caFileMissing?: boolean; ca?: Buffer }

/** libpq/pgx semantics: require + sslrootcert behaves like verify-ca; verify-* without a CA uses the system roots. */
export async function sslPlanOf(db: DatabaseTarget): Promise<SslPlan> {
  const mode = sslmodeOf(db);
  const verify: TlsVerify['mode'] = mode === 'verify-full' ? 'full' : mode === 'verify-ca' || (mode === 'require' && db.sslrootcert) ? 'ca' : 'none';
  if (!db.sslrootcert || verify === 'none') return { mode, verify };
  try {
    return { mode, verify, caFile: db.sslrootcert, ca: await readFile(db.sslrootcert) };
  } catch {
    return { mode, verify, caFile: db.sslrootcert, caFileMissing: true };
  }
}

// ---------------------------------------------------------------- authenticated session (pg)

export interface PgSession {
  client?: PgClient;
  /** The database the session is connected to (the configured one, or `postgres` when it is missing). */
  database: string;
  dbMissing: boolean;
  /** Whether TLS was used. */
  tls: boolean;
  error?: PgProbeError;
  /** When the configured database is missing and the fallback connection also failed. */
  fallbackError?: PgProbeError;
}

export function classifyPgError(e: unknown, host: string, port: number): PgProbeError {
  if (e instanceof PgProbeError) return e;
  const err = e as NodeJS.ErrnoException & { code?: string; message?: string };
  const msg = err?.message ?? String(e);
  const code = typeof err?.code === 'string' ? err.code : undefined;
  switch (code) {
    case '28P01': return new PgProbeError('auth', msg, code);
    case '28000': {
      const m = /pg_hba\.conf entry for host "([^"]+)"/.exec(msg);
      return new PgProbeError('hba', msg, code, m ? { clientAddress: m[1]! } : {});
    }
    case '3D000': return new PgProbeError('no-db', msg, code);
    case '53300': return new PgProbeError('too-many', msg, code);
    case 'ECONNREFUSED': case 'EHOSTUNREACH': case 'ENETUNREACH': case 'ECONNRESET': case 'ETIMEDOUT': return netError(err, host, port);
  }
  if (/timeout expired|Connection terminated due to connection timeout|timeout exceeded when trying to connect/i.test(msg)) return new PgProbeError('timeout', `no answer from ${host}:${port} during the PostgreSQL handshake`, 'timeout');
  if (/does not support SSL/i.test(msg)) return new PgProbeError('no-ssl', msg);
  if (err?.code && /^(ERR_TLS|UNABLE_|SELF_SIGNED|DEPTH_ZERO|CERT_)/.test(err.code)) return tlsError(err);
  return new PgProbeError('other', msg, code);
}

async function pgConnectOnce(db: DatabaseTarget, address: string, database: string, ssl: ClientConfig['ssl'], timeoutMs: number, runSignal: AbortSignal): Promise<PgClient> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({
    host: address, port: db.port, user: db.user, database,
    // An empty password is sent as-is (never PGPASSWORD from this process): what Flyte would send.
    password: db.password?.reveal() ?? '',
    ssl, connectionTimeoutMillis: timeoutMs, query_timeout: 15_000, application_name: 'flyte-doctor',
  });
  client.on('error', () => { /* a dropped shared session surfaces on the next query */ });
  const onAbort = () => { void client.end().catch(() => {}); };
  runSignal.addEventListener('abort', onAbort, { once: true });
  try {
    await client.connect();
    return client;
  } catch (e) {
    runSignal.removeEventListener('abort', onAbort);
    void client.end().catch(() => {});
    throw classifyPgError(e, db.host, db.port);
  }
}

async function pgSslOption(db: DatabaseTarget, wantTls: boolean): Promise<ClientConfig['ssl']> {
  if (!wantTls) return false;
  const plan = await sslPlanOf(db);
  if (plan.verify === 'none' || plan.caFileMissing) return { rejectUnauthorized: false };
  return {
    rejectUnauthorized: true,
    ...(plan.ca ? { ca: plan.ca } : {}),
    ...(isIP(db.host) ? {} : { servername: db.host }),
    checkServerIdentity: plan.verify === 'full' ? (_h: string, cert: PeerCertificate) => checkServerIdentity(db.host, cert) : () => undefined,
  };
}

/**
 * One authenticated session per (server, user, database, sslmode) per run, shared by the checks.
 * Never rejects: a failure is returned in `error` so every dependent check reports the same cause.
 * When the configured database does not exist, `dbMissing` is set and the session is opened on
 * `postgres` (as Flyte's auto-create does) so server-level questions can still be answered.
 */
export function pgSession(ctx: CheckContext, db: DatabaseTarget): Promise<PgSession> {
  const key = `pg:${db.host}:${db.port}:${db.user}:${db.dbname}:${sslmodeOf(db)}:${db.sslrootcert ?? ''}`;
  const timeoutMs = stepBudget(ctx, 15_000);
  ctx.addSecret(db.password?.reveal());
  const p = ctx.shared<PgSession>(key, async (runSignal) => {
    const mode = sslmodeOf(db);
    let address: string;
    try { address = (await resolveHost(db.host, ctx.target.dnsServer, timeoutMs)).address; } catch (e) {
      return { database: db.dbname, dbMissing: false, tls: false, error: e instanceof DnsError ? new PgProbeError('dns', e.message, e.code) : classifyPgError(e, db.host, db.port) };
    }
    // allow: plaintext first, TLS if refused; prefer: TLS first, plaintext if the server has none.
    const attempts: boolean[] = mode === 'disable' ? [false] : mode === 'allow' ? [false, true] : mode === 'prefer' ? [true, false] : [true];
    const open = async (database: string): Promise<{ client: PgClient; tls: boolean } | PgProbeError> => {
      let last: PgProbeError | undefined;
      for (const useTls of attempts) {
        try {
          return { client: await pgConnectOnce(db, address, database, await pgSslOption(db, useTls), timeoutMs, runSignal), tls: useTls };
        } catch (e) {
          last = classifyPgError(e, db.host, db.port);
          const retry = (mode === 'prefer' && last.kind === 'no-ssl') || (mode === 'allow' && last.kind === 'hba');
          if (!retry) break;
        }
      }
      return last!;
    };
    const r = await open(db.dbname);
    if (!(r instanceof PgProbeError)) return { client: r.client, database: db.dbname, dbMissing: false, tls: r.tls };
    if (r.kind !== 'no-db') return { database: db.dbname, dbMissing: false, tls: false, error: r };
    // The configured database is missing: authentication itself succeeded (3D000 comes after it).
    for (const fallback of ['postgres', 'template1']) {
      const f = await open(fallback);
      if (!(f instanceof PgProbeError)) return { client: f.client, database: fallback, dbMissing: true, tls: f.tls };
      if (fallback === 'template1') return { database: fallback, dbMissing: true, tls: false, fallbackError: f };
    }
    return { database: db.dbname, dbMissing: true, tls: false };
  }, (s) => s.client?.end().catch(() => {}));
  return raceSignal(p, ctx.signal);
}

/** Runs a read-only query on the session, bounded by the check's remaining time. */
// One session is shared by the checks of a database, which run in parallel: queue their queries
// (pg would queue them too, but warns that this goes away in pg 9).
const queues = new WeakMap<object, Promise<unknown>>();

export async function pgQuery<R extends Record<string, unknown>>(ctx: CheckContext, client: PgClient, text: string, values: unknown[] = []): Promise<R[]> {
  const prev = queues.get(client) ?? Promise.resolve();
  const run = prev.catch(() => {}).then(() => client.query<R>({ text, values, query_timeout: stepBudget(ctx, 15_000) } as never));
  queues.set(client, run.catch(() => {}));
  const res = await raceSignal(run, ctx.signal);
  return (res as { rows: R[] }).rows;
}

export function raceSignal<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then((v) => { signal.removeEventListener('abort', onAbort); resolve(v); }, (e) => { signal.removeEventListener('abort', onAbort); reject(e); });
  });
}

// ---------------------------------------------------------------- values keys for hints

export function dbKey(db: DatabaseTarget, field: 'host' | 'port' | 'dbname' | 'username' | 'password' | 'passwordPath' | 'options' | 'maxOpenConnections'): string {
  if (field === 'maxOpenConnections') {
    return db.valuesKey.startsWith('configuration.') ? 'configuration.inline.database.maxOpenConnections' : `${db.valuesKey}.maxOpenConnections`;
  }
  return `${db.valuesKey}.${field}`;
}
