// PostgreSQL probing for the database.postgres.* checks. Evidence only: what answered, which
// protocol byte, which SQLSTATE with which fields, which certificate problem. The checks turn it
// into findings (checks/database/_support.ts); Flyte's values keys live in src/flyte/database.ts.
//  - Raw protocol steps (TCP connect, SSLRequest, TLS handshake, StartupMessage) that answer one
//    question each without sending a password: is something speaking PostgreSQL there, does it
//    offer TLS, is the certificate trusted, does pg_hba let this user/db/address in with this
//    encryption.
//  - A shared, authenticated session through `pg` (imported lazily) for the read-only queries.
// Every step is bounded by a timeout and an AbortSignal; nothing writes to the user's database.
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { Client as PgClient, ClientConfig } from 'pg';
import { seconds as secs, stepBudget } from '../engine/budget.js';
import type { CheckContext } from '../engine/types.js';
import { DnsError, resolveHost, type DnsErrorKind } from './resolve.js';
import { sharedSecureContext } from './secure-context.js';
import { readSmallFileSync } from './tls.js';
import { classifyBytes, identifyService, printable, type ServiceEvidence } from './sniff.js';

export { stepBudget, seconds as secs } from '../engine/budget.js';

export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

/** What a PostgreSQL ErrorResponse said (the fields of the protocol message). */
export interface PgServerError {
  /** SQLSTATE, e.g. 28P01. */
  code: string;
  severity: string;
  message: string;
  detail?: string;
  /** The ErrorResponse's H field (the server's own suggestion). */
  serverSuggestion?: string;
  routine?: string;
}

export type TlsProblem = 'untrusted' | 'self-signed' | 'expired' | 'not-yet-valid' | 'name' | 'chain' | 'version' | 'handshake';

export type PgErrorKind =
  | 'dns'            // the name does not resolve (dnsKind says how)
  | 'refused'        // TCP refused: nothing listens
  | 'timeout'        // TCP connect not answered (dropped)
  | 'unreachable'    // no route (EHOSTUNREACH, ENETUNREACH)
  | 'closed'         // TCP accepted, then closed without a byte
  | 'silent'         // TCP accepted, no answer within the time
  | 'reset'          // the connection broke in the middle of an exchange
  | 'not-postgres'   // answered with bytes that are not PostgreSQL's (seen)
  | 'no-ssl'         // answered 'N' to SSLRequest where TLS is required
  | 'tls'            // the TLS handshake failed (tlsProblem, tlsCode)
  | 'server'         // a PostgreSQL ErrorResponse (server)
  | 'password-required' // the server asked for a password and there was none to send
  | 'auth-method'    // the server asked for an authentication Flyte's driver cannot answer (GSS, SSPI, a SASL mechanism other than SCRAM)
  | 'probe-limit'    // the server answered in a way this process's driver cannot follow (Flyte's can): not judged
  | 'aborted'
  | 'other';

/** A classified failure of any step: evidence of what happened, never a finding. */
export class PgProbeError extends Error {
  readonly kind: PgErrorKind;
  /** SQLSTATE for 'server', errno/TLS code otherwise. */
  readonly code: string | undefined;
  /** The ErrorResponse, for 'server'. */
  readonly server: PgServerError | undefined;
  /** The bytes that answered, printable, for 'not-postgres'. */
  readonly seen: string | undefined;
  /** What classifyBytes made of them. */
  readonly service: ServiceEvidence | undefined;
  readonly tlsProblem: TlsProblem | undefined;
  readonly dnsKind: DnsErrorKind | undefined;
  /** Which step failed: 'tcp', 'sslrequest', 'tls', 'startup', 'login', 'query'. */
  readonly step: string | undefined;
  constructor(kind: PgErrorKind, message: string, o: { code?: string | undefined; server?: PgServerError; seen?: string; service?: ServiceEvidence; tlsProblem?: TlsProblem; dnsKind?: DnsErrorKind; step?: string } = {}) {
    super(message);
    this.name = 'PgProbeError';
    this.kind = kind; this.code = o.code ?? o.server?.code; this.server = o.server; this.seen = o.seen; this.service = o.service;
    this.tlsProblem = o.tlsProblem; this.dnsKind = o.dnsKind; this.step = o.step;
  }
}

/** Connection parameters of one probe (what Flyte's driver would use). */
export interface PgConn {
  host: string;
  port: number;
  user: string;
  database: string;
  password?: { reveal(): string } | undefined;
  sslmode: SslMode;
  sslrootcert?: string | undefined;
  /** Client certificate and key (libpq sslcert / sslkey), presented when the connection uses TLS. */
  sslcert?: string | undefined;
  sslkey?: string | undefined;
}

/** The client certificate and key, when both are configured and readable here. */
export function clientCertOf(c: Pick<PgConn, 'sslcert' | 'sslkey'>): { cert: Buffer; key: Buffer } | undefined {
  if (!c.sslcert || !c.sslkey) return undefined;
  try { return { cert: readSmallFileSync(c.sslcert), key: readSmallFileSync(c.sslkey) }; } catch { return undefined; }
}

// ---------------------------------------------------------------- raw protocol

const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]); // length 8, code 80877103

export interface RawConn { socket: Socket; address: string; connectMs: number }

/** TCP connect to host:port (name resolved through --dns-server when set). */
export async function tcpConnect(host: string, port: number, opts: { dnsServer?: string | undefined; timeoutMs: number; signal: AbortSignal }): Promise<RawConn> {
  let address: string;
  try {
    address = (await resolveHost(host, opts.dnsServer, opts.timeoutMs)).address;
  } catch (e) {
    if (e instanceof DnsError) throw new PgProbeError('dns', e.message, { code: e.code, dnsKind: e.kind, step: 'dns' });
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
    const timer = setTimeout(() => done(new PgProbeError('timeout', `no answer to the TCP connection to ${host}:${port} within ${secs(opts.timeoutMs)}`, { step: 'tcp' })), opts.timeoutMs);
    if (opts.signal.aborted) { done(new PgProbeError('aborted', 'aborted')); return; }
    opts.signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => done());
    socket.once('error', (e: NodeJS.ErrnoException) => done(netError(e, host, port)));
  });
}

export function netError(e: NodeJS.ErrnoException, host: string, port: number, step = 'tcp'): PgProbeError {
  switch (e.code) {
    case 'ECONNREFUSED': return new PgProbeError('refused', `connection refused by ${host}:${port}`, { code: e.code, step });
    case 'EHOSTUNREACH': case 'ENETUNREACH': case 'EADDRNOTAVAIL': case 'EHOSTDOWN': case 'ENETDOWN':
      return new PgProbeError('unreachable', `${host}:${port} is unreachable (${e.code})`, { code: e.code, step });
    case 'ETIMEDOUT': return new PgProbeError('timeout', `no answer from ${host}:${port} (${e.code})`, { code: e.code, step });
    case 'ECONNRESET': case 'EPIPE': return new PgProbeError('reset', `${host}:${port} reset the connection (${e.code})`, { code: e.code, step });
    default: return new PgProbeError('other', `${host}:${port}: ${e.message}`, { code: e.code, step });
  }
}

/**
 * Reads what the server says: resolves with at least `min` bytes; a short answer that could be
 * complete is held `graceMs` longer to see whether more follows. Fails on close (with what was
 * received), timeout or abort.
 */
function readAnswer(sock: Socket, o: { min: number; timeoutMs: number; graceMs?: number; signal: AbortSignal; what: string; step: string }): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    let buf = Buffer.alloc(0);
    let grace: NodeJS.Timeout | undefined;
    const cleanup = () => { clearTimeout(timer); clearTimeout(grace); sock.off('data', onData); sock.off('close', onClose); sock.off('error', onError); o.signal.removeEventListener('abort', onAbort); sock.pause(); };
    const finish = () => { cleanup(); resolve(buf); };
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length > 65_536) return finish();
      if (buf.length >= o.min) {
        if (!o.graceMs) return finish();
        clearTimeout(grace);
        grace = setTimeout(finish, o.graceMs);
      }
    };
    const onClose = () => {
      cleanup();
      if (buf.length >= o.min) return resolve(buf);
      reject(buf.length ? notPostgres(buf, `${o.what}: the server sent ${buf.length} byte(s) and closed the connection`, o.step) : new PgProbeError('closed', `the server closed the connection without answering ${o.what}`, { step: o.step }));
    };
    const onError = (e: NodeJS.ErrnoException) => {
      cleanup();
      if (buf.length && buf.length < o.min) return reject(notPostgres(buf, `${o.what}: the server sent ${buf.length} byte(s), then ${e.code ?? e.message}`, o.step));
      reject(e.code === 'ECONNRESET' && !buf.length ? new PgProbeError('closed', `the server reset the connection without answering ${o.what}`, { code: e.code, step: o.step }) : new PgProbeError('reset', `${o.what}: ${e.code ?? e.message}`, { code: e.code, step: o.step }));
    };
    const onAbort = () => { cleanup(); reject(new PgProbeError('aborted', 'aborted')); };
    const timer = setTimeout(() => {
      cleanup();
      if (buf.length >= o.min) return resolve(buf);
      reject(buf.length ? notPostgres(buf, `${o.what}: an incomplete answer (${buf.length} byte(s)) within ${secs(o.timeoutMs)}`, o.step) : new PgProbeError('silent', `no answer ${o.what} within ${secs(o.timeoutMs)}`, { step: o.step }));
    }, o.timeoutMs);
    sock.on('data', onData); sock.once('close', onClose); sock.once('error', onError);
    if (o.signal.aborted) { onAbort(); return; }
    o.signal.addEventListener('abort', onAbort, { once: true });
    sock.resume();
  });
}

function notPostgres(b: Buffer, message: string, step: string): PgProbeError {
  const service = classifyBytes(b);
  return new PgProbeError('not-postgres', message, { seen: printable(b), ...(service ? { service } : {}), step });
}

/**
 * PostgreSQL never speaks first and answers SSLRequest with exactly one byte, 'S' (TLS offered) or
 * 'N', then waits for the client. Anything else (an SSH or SMTP banner, an HTTP page, a TLS
 * alert, a second byte after 'S') is not PostgreSQL. How long to wait for a stray second byte.
 */
export const SSL_ANSWER_GRACE_MS = 60;

export type SslAnswer = { offers: boolean } | { error: PgServerError };

/**
 * Sends SSLRequest; `offers` true for 'S', false for 'N'; an old server may answer with an ErrorResponse.
 * `graceMs`: how long a one-byte answer is held to see whether more follows (SSL_ANSWER_GRACE_MS).
 * 0 where that is already known: a later step, after database.postgres.connect has seen this
 * server answer with one byte and wait (stray bytes would also break the TLS handshake or the
 * startup that follows). The wait is idle time on the database checks' chain.
 */
export async function sslRequest(sock: Socket, timeoutMs: number, signal: AbortSignal, graceMs = SSL_ANSWER_GRACE_MS): Promise<SslAnswer> {
  sock.write(SSL_REQUEST);
  const b = await readAnswer(sock, { min: 1, timeoutMs, graceMs, signal, what: 'to the PostgreSQL SSLRequest', step: 'sslrequest' });
  if (b.length === 1 && (b[0] === 0x53 || b[0] === 0x4e)) return { offers: b[0] === 0x53 };
  if (b[0] === 0x45 && b.length >= 5) {
    const err = parseErrorResponse(b);
    if (err) return { error: err };
  }
  const first = b[0] === 0x53 || b[0] === 0x4e ? `'${String.fromCharCode(b[0])}' followed by ${b.length - 1} more byte(s) (PostgreSQL sends one byte and waits)` : `byte 0x${b[0]!.toString(16).padStart(2, '0')}`;
  throw notPostgres(b, `the server answered the PostgreSQL SSLRequest with ${first}`, 'sslrequest');
}

/** Parses one complete ErrorResponse ('E', length, fields) or undefined when it is not one. */
export function parseErrorResponse(b: Buffer): PgServerError | undefined {
  if (b[0] !== 0x45 || b.length < 5) return undefined;
  const len = b.readInt32BE(1);
  if (len < 4 || len > 65_536 || b.length < len + 1) return undefined;
  const body = b.subarray(5, len + 1);
  const f: Record<string, string> = {};
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const k = String.fromCharCode(body[i]!);
    const end = body.indexOf(0, i + 1);
    if (end < 0) return undefined;
    f[k] = body.subarray(i + 1, end).toString('utf8');
    i = end + 1;
  }
  if (!f.C || !/^[0-9A-Z]{5}$/.test(f.C)) return undefined;
  return { code: f.C, severity: f.V ?? f.S ?? 'FATAL', message: f.M ?? '', ...(f.D ? { detail: f.D } : {}), ...(f.H ? { serverSuggestion: f.H } : {}), ...(f.R ? { routine: f.R } : {}) };
}

export interface TlsVerify { mode: 'none' | 'ca' | 'full'; ca?: string | Buffer | undefined; host: string; client?: { cert: Buffer; key: Buffer } | undefined }

export interface TlsInfo { protocol: string | null; cipher: string; subject: string; issuer: string; validFrom: string; validTo: string; altNames: string; selfSigned: boolean }

function tlsInfo(c: PeerCertificate | undefined, tls: TLSSocket): TlsInfo {
  const subject = String(c?.subject?.CN ?? '');
  const issuer = String(c?.issuer?.CN ?? '');
  return { protocol: tls.getProtocol(), cipher: tls.getCipher()?.name ?? '', subject, issuer, validFrom: c?.valid_from ?? '', validTo: c?.valid_to ?? '', altNames: c?.subjectaltname ?? '', selfSigned: !!c && c.fingerprint256 === (c as { issuerCertificate?: PeerCertificate }).issuerCertificate?.fingerprint256 };
}

/** TLS handshake on the socket after 'S'. Verification per sslmode; on failure the certificate facts are attached. */
export function tlsHandshake(sock: Socket, v: TlsVerify, timeoutMs: number, signal: AbortSignal): Promise<{ tls: TLSSocket; info: TlsInfo }> {
  return new Promise((resolve, reject) => {
    const tls = tlsConnect({
      socket: sock,
      ...(isIP(v.host) ? {} : { servername: v.host }),
      rejectUnauthorized: false, // verified below, so a failure can say what the certificate is
      ...(v.ca ? { ca: v.ca } : {}),
      ...(v.client ? { cert: v.client.cert, key: v.client.key } : {}),
    });
    const cleanup = () => { clearTimeout(timer); signal.removeEventListener('abort', onAbort); };
    const onAbort = () => { cleanup(); tls.destroy(); reject(new PgProbeError('aborted', 'aborted')); };
    // the raw socket counts every byte read from the connection, TLS records included (the 'S' before them too)
    const before = sock.bytesRead;
    const timer = setTimeout(() => {
      const n = sock.bytesRead - before;
      cleanup(); tls.destroy();
      reject(new PgProbeError('silent', n > 0 ? `the server sent ${n} byte(s) of its TLS handshake answer, then nothing more within ${secs(timeoutMs)}` : `no TLS handshake answer within ${secs(timeoutMs)}`, { step: 'tls', ...(n > 0 ? { code: 'TLS_HANDSHAKE_STALLED' } : {}) }));
    }, timeoutMs);
    if (signal.aborted) { onAbort(); return; }
    signal.addEventListener('abort', onAbort, { once: true });
    tls.once('secureConnect', () => {
      cleanup();
      tls.removeAllListeners('error'); tls.on('error', () => {});
      const cert = tls.getPeerCertificate(true);
      const info = tlsInfo(cert, tls);
      if (v.mode !== 'none') {
        const authErr = tls.authorizationError as unknown as string | Error | null;
        const code = authErr ? (typeof authErr === 'string' ? authErr : ((authErr as NodeJS.ErrnoException).code ?? authErr.message)) : undefined;
        if (code) { tls.destroy(); reject(tlsError(code, `certificate verification failed: ${code}`, info)); return; }
        if (v.mode === 'full') {
          const idErr = checkServerIdentity(v.host, cert);
          if (idErr) { tls.destroy(); reject(tlsError('ERR_TLS_CERT_ALTNAME_INVALID', idErr.message, info)); return; }
        }
      }
      resolve({ tls, info });
    });
    tls.once('error', (e: NodeJS.ErrnoException) => { cleanup(); tls.destroy(); reject(tlsError(e.code ?? '', `TLS handshake failed: ${e.message}`)); });
  });
}

/** The certificate facts of a failed verification, for the finding. */
export class PgTlsError extends PgProbeError {
  constructor(message: string, o: { code: string; tlsProblem: TlsProblem }, readonly cert?: TlsInfo) { super('tls', message, { ...o, step: 'tls' }); }
}

function tlsError(code: string, message: string, cert?: TlsInfo): PgTlsError {
  const problem: TlsProblem =
    code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH' ? 'name'
      : code === 'CERT_HAS_EXPIRED' ? 'expired'
        : code === 'CERT_NOT_YET_VALID' ? 'not-yet-valid'
          : code === 'DEPTH_ZERO_SELF_SIGNED_CERT' ? 'self-signed'
            : code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' ? 'chain'
              : ['SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'CERT_SIGNATURE_FAILURE', 'INVALID_CA'].includes(code) ? 'untrusted'
                : /UNSUPPORTED_PROTOCOL|WRONG_VERSION|VERSION_TOO_LOW|TLSV1_ALERT_PROTOCOL_VERSION|NO_PROTOCOLS_AVAILABLE/i.test(code + message) ? 'version'
                  : 'handshake';
  return new PgTlsError(code && !message.includes(code) ? `${message} (${code})` : message, { code, tlsProblem: problem }, cert);
}

export type StartupAnswer = (
  /** `code`: the AuthenticationRequest code; `mechanisms`: the SASL mechanisms offered (code 10). */
  | { kind: 'auth'; method: string; code: number; mechanisms?: string[] }
  | { kind: 'error'; error: PgServerError }
) & {
  /** NoticeResponses the server sent before this answer (the protocol allows them; pgx and libpq read past them). */
  notices?: PgServerError[];
};

/** The wire protocol's AuthenticationRequest codes a server opens with (8, 11, 12 only continue an exchange). */
export const AUTH_METHODS: Readonly<Record<number, string>> = { 0: 'trust', 2: 'Kerberos V5', 3: 'password (cleartext)', 5: 'md5', 6: 'SCM credential', 7: 'GSSAPI', 9: 'SSPI', 10: 'scram-sha-256' };

/**
 * Whether Flyte's driver (pgx, built without a GSS provider) and this process's (node-postgres)
 * can answer the server's first authentication request: trust, cleartext, md5, and SASL when
 * SCRAM-SHA-256 is among the mechanisms (SCRAM-SHA-256-PLUS is offered next to it over TLS).
 * GSSAPI, SSPI, Kerberos V5, SCM credentials, SASL without SCRAM (PostgreSQL 18's OAUTHBEARER)
 * and codes the protocol does not have are not.
 */
export function driverAnswers(a: Extract<StartupAnswer, { kind: 'auth' }>): boolean {
  if (a.code === 10) return (a.mechanisms ?? []).includes('SCRAM-SHA-256');
  return a.code === 0 || a.code === 3 || a.code === 5;
}

/**
 * Sends a StartupMessage for user/database and reads the first answer: an authentication request
 * (pg_hba accepted this user/db/address/encryption and asks for a password) or an ErrorResponse
 * (28000 no pg_hba entry, 57P03 starting up, 53300 too many clients...). No password is sent.
 */
export async function startupProbe(sock: Socket, user: string, database: string, timeoutMs: number, signal: AbortSignal): Promise<StartupAnswer> {
  const params = Buffer.from(`user\0${user}\0database\0${database}\0application_name\0flyte-doctor\0\0`, 'utf8');
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + params.length, 0);
  head.writeInt32BE(196608, 4); // protocol 3.0
  sock.write(Buffer.concat([head, params]));
  const deadline = Date.now() + timeoutMs;
  const read = (min: number) => readAnswer(sock, { min, timeoutMs: Math.max(50, deadline - Date.now()), signal, what: 'to the PostgreSQL startup message', step: 'startup' });
  let type: string, len: number, msg: Buffer;
  const notices: PgServerError[] = [];
  for (;;) {
    const h = await read(5);
    type = String.fromCharCode(h[0]!);
    len = h.readInt32BE(1);
    const known = type === 'R' || type === 'E' || (type === 'N' && notices.length < 8);
    if (!known || len < 4 || len > 65_536) throw notPostgres(h, `unexpected answer to the PostgreSQL startup message (${describeBackendMessage(h)}): neither an authentication request nor an error`, 'startup');
    msg = h;
    if (msg.length < len + 1) {
      sock.unshift(h);
      msg = await read(len + 1);
    }
    if (type !== 'N') break;
    // A NoticeResponse may come before the authentication request (libpq and pgx pass it on): read past it.
    const asError = Buffer.from(msg.subarray(0, len + 1)); asError[0] = 0x45;
    notices.push(parseErrorResponse(asError) ?? { code: '01000', severity: 'NOTICE', message: printable(msg.subarray(5, len + 1)) });
    if (msg.length > len + 1) sock.unshift(msg.subarray(len + 1));
  }
  const seen = notices.length ? { notices } : {};
  if (type === 'R') {
    const code = msg.readInt32BE(5);
    if (code === 10) {
      const mechanisms = msg.subarray(9, len + 1).toString('utf8').split('\0').filter(Boolean);
      return { kind: 'auth', method: mechanisms.join(', ') || 'SASL', code, mechanisms, ...seen };
    }
    return { kind: 'auth', method: AUTH_METHODS[code] ?? `authentication request code ${code}`, code, ...seen };
  }
  const err = parseErrorResponse(msg);
  if (!err) throw notPostgres(msg, 'an unreadable ErrorResponse to the PostgreSQL startup message', 'startup');
  return { kind: 'error', error: err, ...seen };
}

/** Names a backend message by its type byte (what an unexpected answer was), with NegotiateProtocolVersion's contents. */
export function describeBackendMessage(b: Buffer): string {
  const type = String.fromCharCode(b[0]!);
  const len = b.length >= 5 ? b.readInt32BE(1) : -1;
  const names: Record<string, string> = { v: 'NegotiateProtocolVersion', Z: 'ReadyForQuery', S: 'ParameterStatus', K: 'BackendKeyData', N: 'NoticeResponse', C: 'CommandComplete', T: 'RowDescription', D: 'DataRow', A: 'NotificationResponse' };
  let what = names[type] ? `type ${JSON.stringify(type)} ${names[type]}` : `type ${JSON.stringify(type)}`;
  if (type === 'v' && len >= 12 && b.length >= len + 1) {
    const minor = b.readInt32BE(5);
    const opts = b.subarray(13, len + 1).toString('utf8').split('\0').filter(Boolean);
    what += `: the server's newest protocol is 3.${minor}${opts.length ? `, options it does not know: ${opts.join(', ')}` : ''}; this probe asked for 3.0 without options, so no PostgreSQL sends it`;
  }
  return `${what}, length ${len}`;
}

/** What listens at address:port, for failure paths (an HTTP server waiting on binary garbage, a TLS-only port, a black hole). */
export function whatListens(address: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<ServiceEvidence> {
  return identifyService(address, port, { timeoutMs, ...(signal ? { signal } : {}) });
}

// ---------------------------------------------------------------- TLS per sslmode

export interface SslPlan { mode: SslMode; verify: TlsVerify['mode']; caFile?: string; caFileMissing?: boolean; ca?: Buffer }

/** libpq/pgx semantics: require + sslrootcert behaves like verify-ca; verify-* without a CA uses the system roots. */
export async function sslPlanOf(c: Pick<PgConn, 'sslmode' | 'sslrootcert'>): Promise<SslPlan> {
  // sslrootcert=system (libpq 16, pgx): the system CA bundle, and verify-full whatever sslmode says (TLS at all).
  if (c.sslrootcert === 'system' && c.sslmode !== 'disable') return { mode: c.sslmode, verify: 'full' };
  const mode = c.sslmode;
  const verify: TlsVerify['mode'] = mode === 'verify-full' ? 'full' : mode === 'verify-ca' || (mode === 'require' && c.sslrootcert) ? 'ca' : 'none';
  if (!c.sslrootcert || verify === 'none') return { mode, verify };
  try {
    return { mode, verify, caFile: c.sslrootcert, ca: readSmallFileSync(c.sslrootcert) };
  } catch {
    return { mode, verify, caFile: c.sslrootcert, caFileMissing: true };
  }
}

// ---------------------------------------------------------------- authenticated session (pg)

export interface PgSession {
  client?: PgClient;
  /** The database the session is connected to (the configured one, or a fallback). */
  database: string;
  /** Whether TLS was used. */
  tls: boolean;
  /** Logging in failed: the session has no client. */
  error?: PgProbeError;
  /**
   * The server accepted the login (authentication comes first) but refused the configured
   * database: 3D000 (missing), 42501 (no CONNECT), 55000 (not accepting connections), 53300 (its
   * connection limit). The session is then opened on `postgres` (as Flyte's auto-create does).
   */
  dbRefused?: PgProbeError;
  /** When the database was refused and the fallback databases refused too. */
  fallbackError?: PgProbeError;
}

/** SQLSTATEs that the server raises after authentication, about the database asked for. */
export function isDatabaseRefusal(e: PgProbeError): boolean {
  if (e.kind !== 'server' || !e.server) return false;
  const { code, message } = e.server;
  return code === '3D000' || (code === '42501' && /for database/i.test(message)) || (code === '55000' && /not currently accepting connections/i.test(message)) || (code === '53300' && /too many connections for database/i.test(message));
}

export function classifyPgError(e: unknown, host: string, port: number, step = 'login'): PgProbeError {
  if (e instanceof PgProbeError) return e;
  const err = e as NodeJS.ErrnoException & { code?: unknown; message?: string; severity?: unknown; detail?: unknown; routine?: unknown } & Record<string, unknown>;
  const msg = err?.message ?? String(e);
  const code = typeof err?.code === 'string' ? err.code : undefined;
  if (code && /^[0-9A-Z]{5}$/.test(code) && typeof err.severity === 'string') {
    const server: PgServerError = { code, severity: err.severity, message: msg, ...(typeof err.detail === 'string' ? { detail: err.detail } : {}), ...(typeof err['hint'] === 'string' ? { serverSuggestion: err['hint'] } : {}), ...(typeof err.routine === 'string' ? { routine: err.routine } : {}) };
    return new PgProbeError('server', msg, { server, step });
  }
  if (code && /^E[A-Z]+$/.test(code)) return netError(err, host, port, step);
  if (/^timeout expired$|connection timeout|timeout exceeded when trying to connect/i.test(msg)) return new PgProbeError('silent', `no answer from ${host}:${port} during the PostgreSQL handshake`, { code: 'timeout', step });
  if (/Query read timeout/i.test(msg)) return new PgProbeError('silent', `no answer from ${host}:${port} to a query`, { code: 'timeout', step });
  if (/does not support SSL/i.test(msg)) return new PgProbeError('no-ssl', msg, { step });
  // node-postgres refuses to answer a password request (SCRAM, md5, cleartext) without a password.
  if (/password must be a (non-empty )?string/i.test(msg)) return new PgProbeError('password-required', `${host}:${port} asked for a password and there was none to send (${msg})`, { step });
  if (/error establishing an SSL connection/i.test(msg)) return new PgProbeError('not-postgres', msg, { step });
  if (/Connection terminated/i.test(msg)) return new PgProbeError('reset', `${host}:${port} closed the connection${step === 'query' ? ' during a query' : ' during login'}`, { step });
  if (code && /^(ERR_TLS|ERR_SSL|UNABLE_|SELF_SIGNED|DEPTH_ZERO|CERT_)/.test(code)) return tlsError(code, msg);
  return new PgProbeError('other', msg, { ...(code ? { code } : {}), step });
}

/**
 * Builds a node-postgres client with none of this process's PG* variables in sight. node-postgres
 * fills every parameter its config leaves empty from them (PGOPTIONS, PGSSLMODE, PGREPLICATION,
 * PGCLIENT_ENCODING, PGSSLNEGOTIATION...), in its constructor: the operator's shell would change
 * what the probe sends, and Flyte's pods never see that shell. The probe sends what the target
 * configures, nothing else.
 */
export function withoutPgEnvironment<T>(build: () => T): T {
  const saved = Object.keys(process.env).filter((k) => k.startsWith('PG')).map((k) => [k, process.env[k]] as const);
  for (const [k] of saved) delete process.env[k];
  try { return build(); } finally { for (const [k, v] of saved) process.env[k] = v; }
}

/**
 * The server's first answer to a startup message for this user/database, over TLS or not (the
 * certificate is not checked here: the login that follows does). Undefined when it cannot be had
 * (the login that follows reports why).
 */
async function firstAuthAnswer(c: PgConn, address: string, database: string, useTls: boolean, timeoutMs: number, signal: AbortSignal): Promise<StartupAnswer | undefined> {
  let sock: Socket | undefined;
  try {
    sock = (await tcpConnect(address, c.port, { timeoutMs, signal })).socket;
    if (useTls) {
      const a = await sslRequest(sock, timeoutMs, signal, 0);
      if ('error' in a || !a.offers) return undefined;
      sock = (await tlsHandshake(sock, { mode: 'none', host: c.host, client: clientCertOf(c) }, timeoutMs, signal)).tls;
    }
    return await startupProbe(sock, c.user, database, timeoutMs, signal);
  } catch {
    return undefined;
  } finally {
    // Wait (briefly) for the server to close its side: its backend then no longer holds a
    // connection slot that the login that follows may need (a server at max_connections).
    const s = sock;
    if (s && !s.destroyed) {
      await new Promise<void>((resolve) => { const t = setTimeout(resolve, 300); s.once('close', () => { clearTimeout(t); resolve(); }); s.on('error', () => {}); s.end(); s.resume(); });
    }
    s?.destroy();
  }
}

/** The server's first authentication request for a session's client (0: trust, no password checked), when the pre-probe saw it. */
const firstAuthCodes = new WeakMap<PgClient, number>();
export function firstAuthCodeOf(client: PgClient | undefined): number | undefined { return client ? firstAuthCodes.get(client) : undefined; }

async function pgConnectOnce(c: PgConn, address: string, database: string, ssl: ClientConfig['ssl'], timeoutMs: number, runSignal: AbortSignal): Promise<PgClient> {
  // node-postgres throws out of its socket handler (an uncaught exception, the process dies) on an
  // authentication request it does not know (GSSAPI, SSPI...), and fails a SASL exchange without
  // SCRAM: learn the server's first request without a password before handing it the connection.
  const t0 = Date.now();
  const first = await firstAuthAnswer(c, address, database, ssl !== false, Math.min(timeoutMs, 5_000), runSignal);
  if (first?.kind === 'auth' && !driverAnswers(first)) {
    throw new PgProbeError('auth-method', `${c.host}:${c.port} asks ${c.user} for ${first.code === 10 ? `SASL authentication with ${first.method}` : `${first.method} authentication`} (AuthenticationRequest code ${first.code}), which Flyte's driver cannot answer`, { code: String(first.code), step: 'login' });
  }
  if (first?.notices?.length) {
    // node-postgres (8.x) spins forever, timers included, on a NoticeResponse before authentication:
    // never hand it such a server. Its refusal is the answer; an authentication request cannot be followed here.
    if (first.kind === 'error') throw new PgProbeError('server', first.error.message, { server: first.error, step: 'login' });
    const n = first.notices[0]!;
    throw new PgProbeError('probe-limit', `${c.host}:${c.port} sends a NoticeResponse before its authentication request (${n.severity} ${n.code}: ${n.message}); the protocol allows it and Flyte's driver (pgx) reads past it, but this machine's login probe (node-postgres) cannot, so the login was not attempted`, { code: n.code, step: 'login' });
  }
  timeoutMs = Math.max(200, timeoutMs - (Date.now() - t0));
  const pg = (await import('pg')).default;
  const password = c.password?.reveal() ?? '';
  const client = withoutPgEnvironment(() => new pg.Client({
    host: address, port: c.port, user: c.user, database,
    // A function: node-postgres takes it as is, where an empty string falls back to PGPASSWORD and
    // then ~/.pgpass. An empty password is sent as empty: what Flyte would send.
    password: () => password,
    ssl, connectionTimeoutMillis: timeoutMs, query_timeout: 15_000, application_name: 'flyte-doctor',
  }));
  client.on('error', () => { /* a dropped shared session surfaces on the next query */ });
  const onAbort = () => { void client.end().catch(() => {}); };
  runSignal.addEventListener('abort', onAbort, { once: true });
  try {
    await client.connect();
    if (first?.kind === 'auth') firstAuthCodes.set(client, first.code);
    return client;
  } catch (e) {
    runSignal.removeEventListener('abort', onAbort);
    void client.end().catch(() => {});
    throw classifyPgError(e, c.host, c.port, 'login');
  }
}

/**
 * One login with other credentials than the session's (the configured password without the
 * whitespace around it): undefined when it is accepted, else the refusal. The connection is closed
 * at once; nothing else is sent.
 */
export async function pgTryLogin(ctx: CheckContext, c: PgConn): Promise<PgProbeError | undefined> {
  const timeoutMs = stepBudget(ctx, 5_000);
  ctx.addSecret(c.password?.reveal());
  try {
    const { address } = await resolveHost(c.host, ctx.target.dnsServer, timeoutMs);
    const useTls = c.sslmode !== 'disable' && c.sslmode !== 'allow';
    const client = await pgConnectOnce(c, address, c.database, await pgSslOption(c, useTls), timeoutMs, ctx.signal);
    await client.end().catch(() => {});
    return undefined;
  } catch (e) {
    return e instanceof PgProbeError ? e : classifyPgError(e, c.host, c.port);
  }
}

/**
 * A second login with the session's parameters (its database, its TLS choice), kept open for the
 * caller, which ends it: for probes that need two connections open at once (is a pooler in
 * transaction mode handing both the same server backend?). Failures are PgProbeError.
 */
export async function pgExtraClient(ctx: CheckContext, c: PgConn, database: string, useTls: boolean): Promise<PgClient> {
  const timeoutMs = stepBudget(ctx, 5_000);
  ctx.addSecret(c.password?.reveal());
  try {
    const { address } = await resolveHost(c.host, ctx.target.dnsServer, timeoutMs);
    return await pgConnectOnce(c, address, database, await pgSslOption(c, useTls), timeoutMs, ctx.signal);
  } catch (e) {
    throw e instanceof DnsError ? new PgProbeError('dns', e.message, { code: e.code, dnsKind: e.kind, step: 'dns' }) : classifyPgError(e, c.host, c.port);
  }
}

/** This machine's end of a client's connection (node-postgres keeps the socket as connection.stream), when known. */
export function pgLocalEnd(client: PgClient): { address?: string; port?: number } {
  const stream = (client as unknown as { connection?: { stream?: { localAddress?: unknown; localPort?: unknown } } }).connection?.stream;
  return { ...(typeof stream?.localAddress === 'string' ? { address: stream.localAddress } : {}), ...(typeof stream?.localPort === 'number' ? { port: stream.localPort } : {}) };
}

async function pgSslOption(c: PgConn, wantTls: boolean): Promise<ClientConfig['ssl']> {
  if (!wantTls) return false;
  const plan = await sslPlanOf(c);
  const client = clientCertOf(c);
  if (plan.verify === 'none' || plan.caFileMissing) return { rejectUnauthorized: false, ...(client ?? {}) };
  // A client certificate goes in the options, next to a CA-only shared context.
  const secureContext = plan.ca && !client ? await sharedSecureContext({ ca: plan.ca }) : undefined;
  return {
    rejectUnauthorized: true,
    ...(secureContext ? { secureContext } : plan.ca ? { ca: plan.ca } : {}),
    ...(client ?? {}),
    ...(isIP(c.host) ? {} : { servername: c.host }),
    checkServerIdentity: plan.verify === 'full' ? (_h: string, cert: PeerCertificate) => checkServerIdentity(c.host, cert) : () => undefined,
  };
}

/** Databases a session falls back to when the configured one is refused. */
export const FALLBACK_DATABASES = ['postgres', 'template1'];

/**
 * One authenticated session per (server, user, database, sslmode) per run, shared by the checks.
 * Never rejects: a failure is returned in `error` so every dependent check reports the same cause.
 */
export function pgSession(ctx: CheckContext, c: PgConn): Promise<PgSession> {
  const key = `pg:${c.host}:${c.port}:${c.user}:${c.database}:${c.sslmode}:${c.sslrootcert ?? ''}:${c.sslcert ?? ''}:${c.sslkey ?? ''}`;
  const timeoutMs = stepBudget(ctx, 15_000);
  ctx.addSecret(c.password?.reveal());
  const p = ctx.shared<PgSession>(key, async (runSignal) => {
    // Every attempt (TLS then plaintext, fallback databases) shares the first caller's budget.
    const deadline = Date.now() + timeoutMs;
    const left = () => Math.max(200, deadline - Date.now());
    const mode = c.sslmode;
    let address: string;
    try { address = (await resolveHost(c.host, ctx.target.dnsServer, timeoutMs)).address; } catch (e) {
      return { database: c.database, tls: false, error: e instanceof DnsError ? new PgProbeError('dns', e.message, { code: e.code, dnsKind: e.kind, step: 'dns' }) : classifyPgError(e, c.host, c.port) };
    }
    // allow: plaintext first, TLS if refused; prefer: TLS first, plaintext if the server has none or refuses it.
    const attempts: boolean[] = mode === 'disable' ? [false] : mode === 'allow' ? [false, true] : mode === 'prefer' ? [true, false] : [true];
    const open = async (database: string): Promise<{ client: PgClient; tls: boolean } | PgProbeError> => {
      let last: PgProbeError | undefined;
      for (const useTls of attempts) {
        try {
          return { client: await pgConnectOnce(c, address, database, await pgSslOption(c, useTls), left(), runSignal), tls: useTls };
        } catch (e) {
          last = classifyPgError(e, c.host, c.port);
          const hba = last.kind === 'server' && last.code === '28000';
          const retry = (mode === 'prefer' && (last.kind === 'no-ssl' || hba)) || (mode === 'allow' && hba);
          if (!retry || deadline - Date.now() < 300) break;
        }
      }
      return last!;
    };
    const r = await open(c.database);
    if (!(r instanceof PgProbeError)) return { client: r.client, database: c.database, tls: r.tls };
    if (!isDatabaseRefusal(r)) return { database: c.database, tls: false, error: r };
    // The login itself succeeded (these come after authentication): open the session elsewhere.
    let fallbackError: PgProbeError | undefined;
    for (const fallback of FALLBACK_DATABASES.filter((d) => d !== c.database)) {
      if (deadline - Date.now() < 300) break;
      const f = await open(fallback);
      if (!(f instanceof PgProbeError)) return { client: f.client, database: fallback, tls: f.tls, dbRefused: r };
      fallbackError = f;
    }
    return { database: c.database, tls: false, dbRefused: r, ...(fallbackError ? { fallbackError } : {}) };
  }, (s) => s.client?.end().catch(() => {}));
  return raceSignal(p, ctx.signal);
}

// One session is shared by the checks of a database, which run in parallel: queue their queries
// (pg would queue them too, but warns that this goes away in pg 9).
const queues = new WeakMap<object, Promise<unknown>>();

/** Runs a read-only query on the session, bounded by the check's remaining time. Failures are PgProbeError. */
export async function pgQuery<R extends Record<string, unknown>>(ctx: CheckContext, client: PgClient, text: string, values: unknown[] = [], where = { host: '', port: 0 }): Promise<R[]> {
  const prev = queues.get(client) ?? Promise.resolve();
  // The budget counts from now, not from when the queue gets to this query: waiting behind another
  // check's unanswered query is the same silence, said as this check's finding, never the engine's timeout.
  const budget = stepBudget(ctx, 15_000);
  const deadline = Date.now() + budget;
  const silent = () => new PgProbeError('silent', `no answer from ${where.host}:${where.port} to a query within ${(budget / 1000).toFixed(1)}s (this session still waited for the answer to an earlier query)`, { code: 'timeout', step: 'query' });
  const run = prev.catch(() => {}).then(() => {
    const left = deadline - Date.now();
    if (left < 100) throw silent();
    return client.query<R>({ text, values, query_timeout: left } as never);
  });
  queues.set(client, run.catch(() => {}));
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(silent()), budget + 50); });
  try {
    const res = await raceSignal(Promise.race([run, waited]), ctx.signal);
    const rows = (res as { rows?: unknown })?.rows;
    if (!Array.isArray(rows)) throw new PgProbeError('other', 'the server answered a query without rows', { step: 'query' });
    return rows as R[];
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    if (e instanceof PgProbeError) throw e;
    throw classifyPgError(e, where.host, where.port, 'query');
  } finally {
    clearTimeout(timer);
  }
}

export function raceSignal<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then((v) => { signal.removeEventListener('abort', onAbort); resolve(v); }, (e) => { signal.removeEventListener('abort', onAbort); reject(e); });
  });
}
