// Raw TLS and plaintext probes of one host:port, the way gRPC clients see it: resolve the name
// first (through --dns-server when given, so DNS failures are told apart), connect to the address,
// send SNI = the name, offer ALPN h2 + http/1.1, and hand back what the server presented.
// Verification is never enforced here (rejectUnauthorized: false): the checks judge the chain,
// the names and the dates themselves from what this returns.
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { FileShapeError, readRegularFileSync } from '../config/read.js';
import { DnsError, resolveHost } from './resolve.js';
import { sharedSecureContext } from './secure-context.js';
import type { CheckContext } from '../engine/types.js';

/** Why a connection attempt failed, in the words the checks use. */
export type NetErrorKind =
  | 'nxdomain' | 'dns'                // name does not exist / other resolver failure
  | 'refused'                         // nothing listens
  | 'timeout'                         // no answer within the probe's own timeout
  | 'stalled'                         // HTTP: the status line and headers came, then the body stopped
  | 'reset'                           // connection closed or reset during the handshake
  | 'plaintext'                       // the port does not speak TLS (WRONG_VERSION_NUMBER & co)
  | 'expired' | 'notYetValid'
  | 'selfSigned'                      // self-signed leaf or a root nobody trusts
  | 'untrusted'                       // unknown issuer / incomplete chain
  | 'hostname'                        // name not in the certificate
  | 'tlsVersion'                      // no common TLS version
  | 'tlsAlert'                        // the server aborted the handshake
  | 'aborted'                         // our own signal fired (the check's budget)
  | 'other';

export class ProbeError extends Error {
  override readonly name = 'ProbeError';
  /** The TLS alert the server sent, when the handshake ended with one. */
  readonly alert?: TlsAlert;
  /** The TCP connection was accepted (a timeout after it is a silent server, not a dropped SYN). */
  readonly connected?: boolean;
  /** Bytes the server sent before a handshake timed out (0 or absent: nothing came back). */
  readonly bytesIn?: number;
  constructor(readonly kind: NetErrorKind, message: string, readonly code?: string, readonly address?: string, extra: { alert?: TlsAlert; connected?: boolean; bytesIn?: number } = {}) {
    super(message);
    if (extra.alert) this.alert = extra.alert;
    if (extra.connected) this.connected = true;
    if (extra.bytesIn) this.bytesIn = extra.bytesIn;
  }
}

/** A TLS alert (RFC 8446 §6, RFC 5246 §7.2): its number and its name. */
export interface TlsAlert { code: number; name: string }

/** Every alert a server can send a client during or right after the handshake (RFC 8446 §6, RFC 5246 §7.2, RFC 7301). */
export const TLS_ALERTS: Readonly<Record<number, string>> = {
  0: 'close_notify', 10: 'unexpected_message', 20: 'bad_record_mac', 21: 'decryption_failed', 22: 'record_overflow',
  30: 'decompression_failure', 40: 'handshake_failure', 41: 'no_certificate', 42: 'bad_certificate',
  43: 'unsupported_certificate', 44: 'certificate_revoked', 45: 'certificate_expired', 46: 'certificate_unknown',
  47: 'illegal_parameter', 48: 'unknown_ca', 49: 'access_denied', 50: 'decode_error', 51: 'decrypt_error',
  60: 'export_restriction', 70: 'protocol_version', 71: 'insufficient_security', 80: 'internal_error',
  86: 'inappropriate_fallback', 90: 'user_canceled', 100: 'no_renegotiation', 109: 'missing_extension',
  110: 'unsupported_extension', 111: 'certificate_unobtainable', 112: 'unrecognized_name', 113: 'bad_certificate_status_response',
  114: 'bad_certificate_hash_value', 115: 'unknown_psk_identity', 116: 'certificate_required', 120: 'no_application_protocol',
};

/** The alert in an OpenSSL/Node error ("SSL alert number 40", ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE), if any. */
export function alertOf(err: unknown): TlsAlert | undefined {
  const e = err as { message?: unknown; code?: unknown } | undefined;
  const text = `${typeof e?.message === 'string' ? e.message : String(err ?? '')} ${typeof e?.code === 'string' ? e.code : ''}`;
  const n = /alert number (\d+)/i.exec(text);
  if (n) { const code = Number(n[1]); return { code, name: TLS_ALERTS[code] ?? `alert ${code}` }; }
  const m = /(?:ERR_SSL_)?(?:SSLV3|TLSV1|TLSV13)_ALERT_([A-Z_]+)|(?:sslv3|tlsv1|tlsv13) alert ([a-z ]+)/i.exec(text);
  const name = (m?.[1] ?? m?.[2])?.trim().toLowerCase().replace(/ /g, '_');
  if (!name) return /TLSV1_UNRECOGNIZED_NAME|tlsv1 unrecognized name/i.test(text) ? { code: 112, name: 'unrecognized_name' } : undefined;
  const entry = Object.entries(TLS_ALERTS).find(([, v]) => v === name);
  return entry ? { code: Number(entry[0]), name } : { code: -1, name };
}

const TLS_CODES: Record<string, NetErrorKind> = {
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'notYetValid',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'selfSigned',
  SELF_SIGNED_CERT_IN_CHAIN: 'selfSigned',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'untrusted',
  UNABLE_TO_GET_ISSUER_CERT: 'untrusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'untrusted',
  CERT_UNTRUSTED: 'untrusted',
  CERT_SIGNATURE_FAILURE: 'untrusted',
  // a chain clients refuse for its algorithm (the checks name it from the chain: weakSignature)
  CA_MD_TOO_WEAK: 'untrusted',
  EE_KEY_TOO_SMALL: 'untrusted',
  CA_KEY_TOO_SMALL: 'untrusted',
  // a chain anchored but refused for what a certificate on it may do, or for its own fields
  INVALID_PURPOSE: 'untrusted',                 // extendedKeyUsage without serverAuth ("unsuitable certificate purpose")
  INVALID_CA: 'untrusted',                      // an issuer that is not a CA (basicConstraints CA:FALSE)
  PATH_LENGTH_EXCEEDED: 'untrusted',
  CERT_CHAIN_TOO_LONG: 'untrusted',
  CERT_REVOKED: 'untrusted',
  CERT_REJECTED: 'untrusted',
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: 'untrusted',
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: 'untrusted',
  ERROR_IN_CERT_NOT_BEFORE_FIELD: 'untrusted',
  ERROR_IN_CERT_NOT_AFTER_FIELD: 'untrusted',
  HOSTNAME_MISMATCH: 'hostname',
  ERR_TLS_CERT_ALTNAME_INVALID: 'hostname',
  ERR_SSL_WRONG_VERSION_NUMBER: 'plaintext',
  ERR_SSL_PACKET_LENGTH_TOO_LONG: 'plaintext',
  ERR_SSL_HTTP_REQUEST: 'plaintext',
  ERR_SSL_UNSUPPORTED_PROTOCOL: 'tlsVersion',
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: 'tlsVersion',
  ERR_SSL_NO_PROTOCOLS_AVAILABLE: 'tlsVersion',
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ETIMEDOUT: 'timeout',
  ENOTFOUND: 'nxdomain',
  EAI_AGAIN: 'dns',
  ESERVFAIL: 'dns',
  EREFUSED: 'dns',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_ABORTED: 'aborted',
  ABORT_ERR: 'aborted',
};

/**
 * Classifies an error from net/tls/undici/grpc-js (also a message text, e.g. grpc-js details)
 * into a NetErrorKind. Looks at `code`, then `cause`, then well-known OpenSSL/Node texts.
 */
export function classifyNetError(err: unknown): { kind: NetErrorKind; code?: string } {
  if (err instanceof ProbeError) return { kind: err.kind, ...(err.code ? { code: err.code } : {}) };
  if (err instanceof DnsError) return { kind: err.kind === 'nxdomain' ? 'nxdomain' : 'dns', code: err.code };
  const seen = new Set<unknown>();
  let e: unknown = err;
  while (e && typeof e === 'object' && !seen.has(e)) {
    seen.add(e);
    // a lookup failure wrapped by the connecting client (undici, the AWS SDK): never a connect error
    if (e instanceof DnsError) return { kind: e.kind === 'nxdomain' ? 'nxdomain' : 'dns', code: e.code };
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && TLS_CODES[code]) return { kind: TLS_CODES[code]!, code };
    if ((e as Error).name === 'AbortError') return { kind: 'aborted', code: 'ABORT_ERR' };
    e = (e as { cause?: unknown }).cause;
  }
  const text = typeof err === 'string' ? err : err instanceof Error ? `${err.message} ${String((err as { cause?: unknown }).cause ?? '')}` : String(err);
  // A TLS alert the peer sent is the peer's verdict, never this client's: "sslv3 alert certificate revoked"
  // (44) or "alert certificate expired" (45) is a server speaking of the client's certificate, not a
  // revoked or expired server certificate. Only protocol_version (70) is a version fault.
  const alert = alertOf(err) ?? (err instanceof Error ? alertOf((err as { cause?: unknown }).cause) : undefined);
  if (alert) return alert.code === 70 ? { kind: 'tlsVersion', code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' } : { kind: 'tlsAlert', code: 'TLS_ALERT' };
  const byText: [RegExp, NetErrorKind, string][] = [
    [/wrong version number|packet length too long|http request|WRONG_VERSION_NUMBER/i, 'plaintext', 'ERR_SSL_WRONG_VERSION_NUMBER'],
    [/certificate has expired|CERT_HAS_EXPIRED/i, 'expired', 'CERT_HAS_EXPIRED'],
    [/certificate is not yet valid/i, 'notYetValid', 'CERT_NOT_YET_VALID'],
    [/self[- ]signed certificate/i, 'selfSigned', 'DEPTH_ZERO_SELF_SIGNED_CERT'],
    [/unable to (verify the first certificate|get local issuer certificate|get issuer certificate)/i, 'untrusted', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
    [/does not match certificate's altnames|ERR_TLS_CERT_ALTNAME_INVALID/i, 'hostname', 'ERR_TLS_CERT_ALTNAME_INVALID'],
    [/digest algorithm too weak|md too weak/i, 'untrusted', 'CA_MD_TOO_WEAK'],
    // OpenSSL at security level 2 (Node 24 / OpenSSL 3.5): "EE certificate key too weak", "ee key too small"
    [/\bCA certificate key too weak|ca key too small/i, 'untrusted', 'CA_KEY_TOO_SMALL'],
    [/key too (?:weak|small)/i, 'untrusted', 'EE_KEY_TOO_SMALL'],
    [/unsuitable certificate purpose|unsupported certificate purpose|incompatible key usage/i, 'untrusted', 'INVALID_PURPOSE'],
    [/invalid CA certificate|not authorized to sign other certificates/i, 'untrusted', 'INVALID_CA'],
    [/certificate revoked/i, 'untrusted', 'CERT_REVOKED'],
    [/unsupported protocol|protocol version/i, 'tlsVersion', 'ERR_SSL_UNSUPPORTED_PROTOCOL'],
    [/ECONNREFUSED|connection refused/i, 'refused', 'ECONNREFUSED'],
    [/ENOTFOUND|NXDOMAIN/i, 'nxdomain', 'ENOTFOUND'],
    [/ECONNRESET|socket hang up|Client network socket disconnected|Connection dropped/i, 'reset', 'ECONNRESET'],
    [/alert|handshake failure/i, 'tlsAlert', 'TLS_ALERT'],
    [/timed? ?out|deadline exceeded/i, 'timeout', 'ETIMEDOUT'],
  ];
  for (const [re, kind, code] of byText) if (re.test(text)) return { kind, code };
  return { kind: 'other' };
}

export interface CertInfo {
  subject: string;
  issuer: string;
  /** DNS and IP names of subjectAltName, e.g. ["DNS:flyte.test", "IP:127.0.0.1"]. */
  altNames: string[];
  commonName?: string;
  validFrom: string;
  validTo: string;
  notAfterMs: number;
  notBeforeMs: number;
  fingerprint256: string;
  selfIssued: boolean;
  pem: string;
  /** basicConstraints CA:TRUE. */
  isCa?: boolean;
  /** Authority Information Access "CA Issuers" URLs: where the issuer's certificate is published. */
  caIssuers?: string[];
  /** Extended key usage OIDs (serverAuth is 1.3.6.1.5.5.7.3.1). */
  extKeyUsage?: string[];
  /** Public key size in bits. */
  bits?: number;
  /** The signature algorithm when it is one clients refuse (SHA-1, MD5, MD2): OpenSSL 3 "CA_MD_TOO_WEAK", Go "insecure algorithm SHA1-RSA". */
  weakSignature?: string;
  /** The serial number is negative (DER INTEGER with its high bit set): Go 1.23+ refuses to parse it. */
  negativeSerial?: true;
  /** RSA modulus size in bits (absent for EC and other keys). */
  rsaBits?: number;
}

export interface TlsProbeResult {
  host: string;
  port: number;
  address: string;
  servername?: string;
  /** e.g. 'TLSv1.3' */
  protocol: string;
  /** Negotiated ALPN protocol ('h2', 'http/1.1') or false when the server chose none. */
  alpn: string | false;
  cipher: string;
  /** OpenSSL chain + hostname verdict with the CA list given (default: Node's bundled roots). */
  authorized: boolean;
  authorizationError?: string;
  /** Leaf first, as presented (roots the server does not send are not included). */
  chain: CertInfo[];
  /** The raw peer certificate of the leaf, for tls.checkServerIdentity. */
  leaf: PeerCertificate;
}

export interface ProbeOptions {
  host: string;
  port: number;
  dnsServer?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

function toPem(raw: Buffer): string {
  const b64 = raw.toString('base64').match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

function nameOf(x: unknown): string {
  if (!x || typeof x !== 'object') return '';
  return Object.entries(x as Record<string, unknown>).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`).join(', ');
}

export function certInfo(c: PeerCertificate): CertInfo {
  const alt = (c.subjectaltname ?? '').split(',').map((s) => s.trim()).filter(Boolean).map((s) => s.replace(/^IP Address:/, 'IP:'));
  const cn = (c.subject as unknown as Record<string, unknown> | undefined)?.CN;
  const subject = nameOf(c.subject);
  const issuer = nameOf(c.issuer);
  return {
    subject, issuer, altNames: alt,
    ...(cn !== undefined ? { commonName: Array.isArray(cn) ? String(cn[0]) : String(cn) } : {}),
    validFrom: c.valid_from, validTo: c.valid_to,
    notAfterMs: Date.parse(c.valid_to), notBeforeMs: Date.parse(c.valid_from),
    fingerprint256: c.fingerprint256, selfIssued: subject === issuer, pem: c.raw ? toPem(c.raw) : '',
    ...(typeof (c as { ca?: unknown }).ca === 'boolean' ? { isCa: (c as { ca: boolean }).ca } : {}),
    ...(caIssuersOf(c).length ? { caIssuers: caIssuersOf(c) } : {}),
    ...(Array.isArray(c.ext_key_usage) ? { extKeyUsage: c.ext_key_usage } : {}),
    ...(typeof c.bits === 'number' ? { bits: c.bits } : {}),
    ...(c.raw && weakSignatureOf(c.raw) ? { weakSignature: weakSignatureOf(c.raw)! } : {}),
    ...(c.raw && negativeSerialOf(c.raw) ? { negativeSerial: true as const } : {}),
    ...(typeof c.bits === 'number' && typeof (c as { modulus?: unknown }).modulus === 'string' ? { rsaBits: c.bits } : {}),
  };
}

/** Signature algorithms no current client accepts on a certificate below the root (by the OID's DER bytes). */
const WEAK_SIGNATURES: Readonly<Record<string, string>> = {
  '2a864886f70d010105': 'sha1WithRSAEncryption', '2b0e03021d': 'sha1WithRSAEncryption', '2a864886f70d010104': 'md5WithRSAEncryption',
  '2a864886f70d010102': 'md2WithRSAEncryption', '2a8648ce3d0401': 'ecdsa-with-SHA1', '2a8648ce380403': 'dsa-with-SHA1',
};

/** The DER headers of tbsCertificate's serialNumber and signature fields (the certificate's own DER walked by hand). */
function tbsHead(der: Buffer): { serial: { tag: number; start: number; end: number }; alg: { tag: number; start: number; end: number } } {
  const hdr = (off: number) => {
    let len = der[off + 1]!;
    let p = off + 2;
    if (len & 0x80) { const n = len & 0x7f; len = 0; for (let i = 0; i < n; i++) len = len * 256 + der[p++]!; }
    return { tag: der[off]!, start: p, end: p + len };
  };
  const tbs = hdr(hdr(0).start);
  let serial = hdr(tbs.start);
  if (serial.tag === 0xa0) serial = hdr(serial.end); // [0] version
  return { serial, alg: hdr(hdr(serial.end).start) };
}

/** The certificate's signature algorithm (tbsCertificate.signature) when it is a weak one; undefined otherwise or when the DER does not parse. */
export function weakSignatureOf(der: Buffer): string | undefined {
  try {
    const { alg: oid } = tbsHead(der);
    if (oid.tag !== 0x06) return undefined;
    return WEAK_SIGNATURES[der.subarray(oid.start, oid.end).toString('hex')];
  } catch { return undefined; }
}

/** Whether the certificate's serial number (tbsCertificate.serialNumber) is negative: Go 1.23+ "x509: negative serial number". */
export function negativeSerialOf(der: Buffer): boolean {
  try {
    const { serial: h } = tbsHead(der);
    return h.tag === 0x02 && h.end > h.start && (der[h.start]! & 0x80) !== 0;
  } catch { return false; }
}

function caIssuersOf(c: PeerCertificate): string[] {
  const ia = (c as { infoAccess?: Record<string, string[]> }).infoAccess;
  if (!ia || typeof ia !== 'object') return [];
  return Object.entries(ia).filter(([k]) => /CA Issuers/i.test(k)).flatMap(([, v]) => (Array.isArray(v) ? v : [String(v)])).map((u) => u.replace(/^URI:/, ''));
}

/** Resolves the host (IP literals as is); DNS failures become ProbeError nxdomain/dns. */
async function resolveAddress(o: ProbeOptions): Promise<string> {
  try {
    return (await resolveHost(o.host, o.dnsServer, o.timeoutMs)).address;
  } catch (e) {
    if (e instanceof DnsError) throw new ProbeError(e.kind === 'nxdomain' ? 'nxdomain' : 'dns', e.message, e.code);
    throw e;
  }
}

/**
 * The chain as the server sent it, when it holds more certificates than Node's walk of
 * getPeerCertificate(true) found (the leaf from Node kept); undefined otherwise. Costs one more
 * handshake: call it only for a chain that does not verify and ends below a root.
 */
export async function sentInOrder(o: ProbeOptions, walked: CertInfo[]): Promise<CertInfo[] | undefined> {
  const t0 = Date.now();
  // TLS 1.2 shows the Certificate message in clear; a TLS 1.3-only server encrypts it (sentCertificates13)
  const ders = await sentCertificates({ ...o, timeoutMs: Math.min(o.timeoutMs, 1500) })
    ?? await sentCertificates13({ ...o, timeoutMs: Math.min(o.timeoutMs - (Date.now() - t0), 1500) });
  if (!ders || ders.length <= walked.length) return undefined;
  X509CertificateCtor ??= (await import('node:crypto')).X509Certificate;
  const infos = ders.map(certInfoFromDer);
  if (infos.some((i) => !i) || infos[0]!.fingerprint256 !== walked[0]!.fingerprint256) return undefined;
  return [walked[0]!, ...(infos.slice(1) as CertInfo[])];
}

/**
 * One TLS handshake to host:port. `ca`: PEMs to verify against (undefined = Node's bundled roots).
 * Throws ProbeError for anything that prevents a completed handshake.
 */
export async function tlsProbe(o: ProbeOptions & { ca?: string[]; alpn?: string[] }): Promise<TlsProbeResult> {
  const tls = await import('node:tls');
  const net = await import('node:net');
  const address = await resolveAddress(o);
  const servername = net.isIP(o.host) ? undefined : o.host;
  // Offer everything OpenSSL can still speak, so a TLS 1.0/1.1-only server or a weak key is
  // seen (and named by the checks) instead of ending as "no protocols available".
  const protocol = { ciphers: 'DEFAULT:@SECLEVEL=0', minVersion: 'TLSv1' as const };
  const secureContext = await sharedSecureContext({ ...protocol, ...(o.ca ? { ca: o.ca } : {}) });
  return new Promise<TlsProbeResult>((resolve, reject) => {
    let settled = false;
    const where = `${o.host}:${o.port}${address !== o.host ? ` (${address})` : ''}`;
    const sock: TLSSocket = tls.connect({
      host: address, port: o.port, ...(servername ? { servername } : {}),
      ALPNProtocols: o.alpn ?? ['h2', 'http/1.1'], rejectUnauthorized: false,
      ...(secureContext ? { secureContext } : { ...protocol, ...(o.ca ? { ca: o.ca } : {}) }),
      // Node runs checkServerIdentity on the name given as servername; IP endpoints use the address.
      checkServerIdentity: (_h, cert) => tls.checkServerIdentity(o.host, cert),
    });
    const done = (err?: Error, res?: TlsProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      if (err) reject(err); else resolve(res!);
    };
    let connected = false;
    const timer = setTimeout(() => {
      const secs = Math.round(o.timeoutMs / 100) / 10;
      const bytesIn = connected ? tcpBytesRead(sock) : 0;
      done(!connected
        ? new ProbeError('timeout', `no TLS answer from ${where} within ${secs}s`, 'ETIMEDOUT', address)
        : bytesIn
          ? new ProbeError('timeout', `${where} accepted the TCP connection and sent ${bytesIn} byte(s) of its answer to the TLS ClientHello, then nothing more within ${secs}s`, 'ETIMEDOUT', address, { connected, bytesIn })
          : new ProbeError('timeout', `${where} accepted the TCP connection but sent nothing back to the TLS ClientHello within ${secs}s`, 'ETIMEDOUT', address, { connected }));
    }, o.timeoutMs);
    const onAbort = () => done(new ProbeError('aborted', `aborted while connecting to ${where}`, 'ABORT_ERR', address));
    if (o.signal?.aborted) return onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    sock.once('connect', () => { connected = true; });
    sock.once('secureConnect', () => {
      const leaf = sock.getPeerCertificate(true);
      const chain: CertInfo[] = [];
      const seen = new Set<string>();
      for (let c: PeerCertificate | undefined = leaf; c && c.raw && !seen.has(c.fingerprint256); c = (c as { issuerCertificate?: PeerCertificate }).issuerCertificate) {
        seen.add(c.fingerprint256);
        chain.push(certInfo(c));
      }
      const cipher = sock.getCipher();
      const authErr = sock.authorizationError as unknown as Error | string | null | undefined;
      const result: TlsProbeResult = {
        host: o.host, port: o.port, address, ...(servername ? { servername } : {}),
        protocol: sock.getProtocol() ?? 'unknown', alpn: sock.alpnProtocol ?? false, cipher: cipher?.standardName ?? cipher?.name ?? '',
        authorized: sock.authorized,
        ...(authErr ? { authorizationError: typeof authErr === 'string' ? authErr : ((authErr as { code?: string }).code ?? authErr.message) } : {}),
        chain, leaf,
      };
      done(undefined, result);
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      const c = classifyNetError(err);
      const alert = alertOf(err);
      done(new ProbeError(c.kind, `${where}: ${err.message}`, c.code ?? err.code, address, alert ? { alert } : {}));
    });
    sock.once('close', () => done(new ProbeError('reset', `${where} closed the connection during the TLS handshake`, 'ECONNRESET', address)));
  });
}

/**
 * Bytes read from the TCP connection under a TLS socket, TLS records included (TLSSocket.bytesRead
 * counts only decrypted data: 0 during a handshake). Node keeps the TCP handle as the TLS wrap's
 * `_parent` (Node 20-26); 0 where that is not so.
 */
export function tcpBytesRead(sock: TLSSocket): number {
  const n = (sock as unknown as { _handle?: { _parent?: { bytesRead?: unknown } } })._handle?._parent?.bytesRead;
  return typeof n === 'number' && n > 0 ? n : 0;
}

// other: bytes came that are none of these (another protocol: identifyService names it)
export type PlainKind = 'h2c' | 'http1' | 'tls' | 'closed' | 'silent' | 'other';
/**
 * The alert a server sends right after a handshake that looked complete to the client: in TLS 1.3
 * the client's (empty) Certificate travels with its Finished, so a server that requires a client
 * certificate answers with certificate_required (116) only then. Connects, sends one HTTP/1.1
 * request, and reports the alert (or undefined when the server answers or just closes). Never throws.
 */
export async function postHandshakeAlert(o: ProbeOptions & { listenOnly?: boolean }): Promise<TlsAlert | undefined> {
  try {
    const tls = await import('node:tls');
    const net = await import('node:net');
    const address = await resolveAddress(o);
    const servername = net.isIP(o.host) ? undefined : o.host;
    return await new Promise<TlsAlert | undefined>((resolve) => {
      let settled = false;
      // listenOnly: send nothing after the handshake (a gRPC-only server need not speak HTTP/1.1) and
      // wait twice the handshake's own time (at least 100 ms) for the alert. Both ALPN protocols are
      // offered: an h2-only listener (a gRPC server, Envoy's gRPC listener) answers an http/1.1-only
      // offer with no_application_protocol (120), which would read as "the server refuses h2".
      // The alert comes with the server's reading of the client's Finished flight, before any request.
      const sock = tls.connect({ host: address, port: o.port, ...(servername ? { servername } : {}), ALPNProtocols: ['h2', 'http/1.1'], rejectUnauthorized: false });
      const done = (a?: TlsAlert) => { if (settled) return; settled = true; clearTimeout(timer); o.signal?.removeEventListener('abort', onAbort); sock.destroy(); resolve(a); };
      const onAbort = () => done();
      let timer = setTimeout(() => done(), o.timeoutMs);
      o.signal?.addEventListener('abort', onAbort, { once: true });
      const t0 = Date.now();
      sock.once('secureConnect', () => {
        if (!o.listenOnly) { sock.write(`GET / HTTP/1.1\r\nHost: ${o.host}\r\nConnection: close\r\n\r\n`); return; }
        clearTimeout(timer);
        timer = setTimeout(() => done(), Math.min(o.timeoutMs, Math.max(100, 2 * (Date.now() - t0))));
      });
      sock.on('data', () => done());
      sock.once('error', (err) => done(alertOf(err)));
      sock.once('close', () => done());
    });
  } catch { return undefined; }
}

/**
 * The certificates a server sends, in the order it sends them, read from the Certificate message of a
 * TLS 1.2 handshake (TLS 1.3 encrypts it). Node's getPeerCertificate(true) rebuilds the chain by
 * following issuers and loses certificates of a chain sent out of order; clients (Go, OpenSSL,
 * BoringSSL) use every certificate sent. Undefined when the server does not speak TLS 1.2 or the
 * message cannot be read within the timeout.
 */
export async function sentCertificates(o: ProbeOptions): Promise<Buffer[] | undefined> {
  try {
    const tls = await import('node:tls');
    const net = await import('node:net');
    const { Duplex } = await import('node:stream');
    const address = await resolveAddress(o);
    const servername = net.isIP(o.host) ? undefined : o.host;
    return await new Promise<Buffer[] | undefined>((resolve) => {
      let settled = false;
      const chunks: Buffer[] = [];
      const raw = net.connect({ host: address, port: o.port });
      const pipe = new Duplex({
        read() { /* pushed from raw */ },
        write(chunk: Buffer, _enc, cb) { raw.write(chunk, cb); },
        final(cb) { raw.end(); cb(); },
      });
      const sock = tls.connect({ socket: pipe, ...(servername ? { servername } : {}), maxVersion: 'TLSv1.2', minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0', ALPNProtocols: ['h2', 'http/1.1'], rejectUnauthorized: false });
      const done = () => {
        if (settled) return;
        settled = true; clearTimeout(timer); o.signal?.removeEventListener('abort', done);
        sock.destroy(); raw.destroy();
        resolve(certificateMessage(Buffer.concat(chunks)));
      };
      const timer = setTimeout(done, o.timeoutMs);
      o.signal?.addEventListener('abort', done, { once: true });
      raw.on('data', (d: Buffer) => { chunks.push(d); pipe.push(d); });
      raw.on('end', () => pipe.push(null));
      raw.on('error', done);
      sock.once('secureConnect', done);
      sock.once('error', done);
      sock.once('close', done);
    });
  } catch { return undefined; }
}

/** TLS 1.3 cipher suites: the AEAD and the hash of the key schedule (RFC 8446 §B.4). */
const TLS13_SUITES: Readonly<Record<string, { aead: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305'; keyLen: number; hash: 'sha256' | 'sha384' }>> = {
  TLS_AES_128_GCM_SHA256: { aead: 'aes-128-gcm', keyLen: 16, hash: 'sha256' },
  TLS_AES_256_GCM_SHA384: { aead: 'aes-256-gcm', keyLen: 32, hash: 'sha384' },
  TLS_CHACHA20_POLY1305_SHA256: { aead: 'chacha20-poly1305', keyLen: 32, hash: 'sha256' },
};

/** HKDF-Expand-Label of TLS 1.3 (RFC 8446 §7.1) with an empty context. */
function expandLabel(createHmac: typeof import('node:crypto').createHmac, hash: string, secret: Buffer, label: string, length: number): Buffer {
  const full = Buffer.from(`tls13 ${label}`, 'latin1');
  const info = Buffer.concat([Buffer.from([length >> 8, length & 0xff, full.length]), full, Buffer.from([0])]);
  const out: Buffer[] = [];
  let t = Buffer.alloc(0);
  for (let i = 1, n = 0; n < length; i++) { t = createHmac(hash, secret).update(Buffer.concat([t, info, Buffer.from([i])])).digest(); out.push(t); n += t.length; }
  return Buffer.concat(out).subarray(0, length);
}

/**
 * The certificates a TLS 1.3 server sends, in its order: TLS 1.3 encrypts the Certificate message, so the
 * handshake's own server traffic secret (Node's 'keylog' event, as SSLKEYLOGFILE gives it) decrypts the
 * server's handshake records. Undefined when the server does not speak TLS 1.3, the suite is not one of
 * the three usual ones, or the message cannot be read within the timeout. Never throws.
 */
export async function sentCertificates13(o: ProbeOptions): Promise<Buffer[] | undefined> {
  if (o.timeoutMs < 100) return undefined;
  try {
    const tls = await import('node:tls');
    const net = await import('node:net');
    const { Duplex } = await import('node:stream');
    const { createHmac, createDecipheriv } = await import('node:crypto');
    const address = await resolveAddress(o);
    const servername = net.isIP(o.host) ? undefined : o.host;
    const got = await new Promise<{ bytes: Buffer; secret?: Buffer; suite?: string } | undefined>((resolve) => {
      let settled = false;
      const chunks: Buffer[] = [];
      let secret: Buffer | undefined;
      const raw = net.connect({ host: address, port: o.port });
      const pipe = new Duplex({
        read() { /* pushed from raw */ },
        write(chunk: Buffer, _enc, cb) { raw.write(chunk, cb); },
        final(cb) { raw.end(); cb(); },
      });
      const sock = tls.connect({ socket: pipe, ...(servername ? { servername } : {}), minVersion: 'TLSv1.3', ALPNProtocols: ['h2', 'http/1.1'], rejectUnauthorized: false });
      const done = (ok: boolean) => {
        if (settled) return;
        settled = true; clearTimeout(timer); o.signal?.removeEventListener('abort', onAbort);
        const suite = ok ? sock.getCipher()?.standardName : undefined;
        sock.destroy(); raw.destroy();
        resolve(ok && secret && suite ? { bytes: Buffer.concat(chunks), secret, suite } : undefined);
      };
      const onAbort = () => done(false);
      const timer = setTimeout(onAbort, o.timeoutMs);
      o.signal?.addEventListener('abort', onAbort, { once: true });
      sock.on('keylog', (line: Buffer) => {
        const m = /^SERVER_HANDSHAKE_TRAFFIC_SECRET [0-9a-f]+ ([0-9a-f]+)/i.exec(line.toString('latin1'));
        if (m) secret = Buffer.from(m[1]!, 'hex');
      });
      raw.on('data', (d: Buffer) => { chunks.push(d); pipe.push(d); });
      raw.on('end', () => pipe.push(null));
      raw.on('error', onAbort);
      sock.once('secureConnect', () => done(true));
      sock.once('error', onAbort);
      sock.once('close', onAbort);
    });
    const suite = got?.suite ? TLS13_SUITES[got.suite] : undefined;
    if (!got?.secret || !suite) return undefined;
    const key = expandLabel(createHmac, suite.hash, got.secret, 'key', suite.keyLen);
    const iv = expandLabel(createHmac, suite.hash, got.secret, 'iv', 12);
    // the server's records after its ServerHello: application_data records (23) under the handshake keys
    const hs: Buffer[] = [];
    let seq = 0;
    for (let at = 0; at + 5 <= got.bytes.length;) {
      const type = got.bytes[at]!, len = got.bytes.readUInt16BE(at + 3);
      if (at + 5 + len > got.bytes.length) break;
      if (type === 23 && len > 16) {
        const body = got.bytes.subarray(at + 5, at + 5 + len);
        const nonce = Buffer.from(iv);
        for (let i = 0; i < 8; i++) nonce[11 - i]! ^= Math.floor(seq / 2 ** (8 * i)) & 0xff;
        seq++;
        let plain: Buffer;
        try {
          const d = createDecipheriv(suite.aead, key, nonce, { authTagLength: 16 } as never) as import('node:crypto').DecipherGCM;
          d.setAAD(got.bytes.subarray(at, at + 5));
          d.setAuthTag(body.subarray(len - 16));
          plain = Buffer.concat([d.update(body.subarray(0, len - 16)), d.final()]);
        } catch { break; } // application keys from here on (NewSessionTicket): the handshake is over
        let end = plain.length;
        while (end > 0 && plain[end - 1] === 0) end--;
        if (end > 0 && plain[end - 1] === 22) hs.push(plain.subarray(0, end - 1));
      }
      at += 5 + len;
    }
    const msgs = Buffer.concat(hs);
    for (let at = 0; at + 4 <= msgs.length;) {
      const type = msgs[at]!, len = msgs.readUIntBE(at + 1, 3);
      if (type === 11) {
        const body = msgs.subarray(at + 4, at + 4 + len);
        let p = 1 + (body[0] ?? 0);                       // certificate_request_context
        if (p + 3 > body.length) return undefined;
        const total = Math.min(p + 3 + body.readUIntBE(p, 3), body.length);
        p += 3;
        const out: Buffer[] = [];
        while (p + 3 <= total) {
          const n = body.readUIntBE(p, 3);
          if (p + 3 + n + 2 > total) break;
          out.push(body.subarray(p + 3, p + 3 + n));
          p += 3 + n;
          p += 2 + body.readUInt16BE(p);                  // the entry's extensions
        }
        return out.length ? out : undefined;
      }
      at += 4 + len;
    }
    return undefined;
  } catch { return undefined; }
}

/** The certificates of the first Certificate handshake message (type 11) in plaintext TLS records. */
function certificateMessage(bytes: Buffer): Buffer[] | undefined {
  const hs: Buffer[] = [];
  for (let at = 0; at + 5 <= bytes.length;) {
    const type = bytes[at]!, len = bytes.readUInt16BE(at + 3);
    if (type === 20) break; // ChangeCipherSpec: the rest is encrypted
    if (type === 22) hs.push(bytes.subarray(at + 5, at + 5 + len));
    at += 5 + len;
  }
  const msgs = Buffer.concat(hs);
  for (let at = 0; at + 4 <= msgs.length;) {
    const type = msgs[at]!, len = msgs.readUIntBE(at + 1, 3);
    if (type === 11) {
      const body = msgs.subarray(at + 4, at + 4 + len);
      if (body.length < 3) return undefined;
      const total = Math.min(body.readUIntBE(0, 3) + 3, body.length);
      const out: Buffer[] = [];
      for (let p = 3; p + 3 <= total;) { const n = body.readUIntBE(p, 3); if (p + 3 + n > total) break; out.push(body.subarray(p + 3, p + 3 + n)); p += 3 + n; }
      return out.length ? out : undefined;
    }
    at += 4 + len;
  }
  return undefined;
}

/** CertInfo of a certificate read as DER (the same fields certInfo reads from a PeerCertificate). */
export function certInfoFromDer(der: Buffer): CertInfo | undefined {
  let x: import('node:crypto').X509Certificate;
  try { x = new X509CertificateCtor!(der); } catch { return undefined; }
  const name = (t: string) => t.split('\n').filter(Boolean).join(', ');
  const subject = name(x.subject), issuer = name(x.issuer);
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(x.subject)?.[1];
  const alt = (x.subjectAltName ?? '').split(',').map((v) => v.trim()).filter(Boolean).map((v) => v.replace(/^IP Address:/, 'IP:'));
  const caIssuers = (x.infoAccess ?? '').split('\n').filter((l) => /^CA Issuers/i.test(l)).map((l) => l.replace(/^CA Issuers\s*-\s*URI:/i, '').trim()).filter(Boolean);
  const bits = x.publicKey.asymmetricKeyDetails?.modulusLength;
  const weak = weakSignatureOf(x.raw);
  return {
    subject, issuer, altNames: alt, ...(cn !== undefined ? { commonName: cn } : {}),
    validFrom: x.validFrom, validTo: x.validTo, notAfterMs: Date.parse(x.validTo), notBeforeMs: Date.parse(x.validFrom),
    fingerprint256: x.fingerprint256, selfIssued: subject === issuer, pem: x.toString(), isCa: x.ca,
    ...(caIssuers.length ? { caIssuers } : {}), ...(x.keyUsage?.length ? { extKeyUsage: x.keyUsage } : {}),
    ...(typeof bits === 'number' ? { bits } : {}), ...(weak ? { weakSignature: weak } : {}),
    ...(negativeSerialOf(x.raw) ? { negativeSerial: true as const } : {}),
    ...(typeof bits === 'number' && x.publicKey.asymmetricKeyType === 'rsa' ? { rsaBits: bits } : {}),
  };
}
let X509CertificateCtor: typeof import('node:crypto').X509Certificate | undefined;

export interface PlainProbeResult { kind: PlainKind; address: string; statusLine?: string; snippet?: string }

/**
 * Speaks plaintext to host:port: sends the HTTP/2 connection preface (what a plaintext gRPC client
 * sends first) and reads the first answer. h2c: an HTTP/2 SETTINGS frame came back (a plaintext
 * gRPC port such as flyteadmin's 8089); http1: an HTTP/1.x response (an HTTP-only port such as 8088,
 * or nginx's "plain HTTP request was sent to HTTPS port", which is reported as tls); tls: a TLS alert.
 */
export async function plainProbe(o: ProbeOptions): Promise<PlainProbeResult> {
  const net = await import('node:net');
  const address = await resolveAddress(o);
  const where = `${o.host}:${o.port}`;
  return new Promise<PlainProbeResult>((resolve, reject) => {
    let settled = false;
    let buf = Buffer.alloc(0);
    const sock = net.connect({ host: address, port: o.port });
    const finish = (err?: Error, res?: PlainProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer); clearTimeout(quiet);
      o.signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      if (err) reject(err); else resolve(res!);
    };
    const classify = (): PlainProbeResult | undefined => {
      if (buf.length === 0) return undefined;
      const text = buf.toString('latin1');
      if (text.startsWith('HTTP/')) {
        const statusLine = text.split('\r\n')[0]!;
        const body = text.slice(text.indexOf('\r\n\r\n') + 4).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 160);
        const tlsPort = /plain HTTP request was sent to HTTPS port|client sent an HTTP request to an HTTPS server/i.test(text);
        return { kind: tlsPort ? 'tls' : 'http1', address, statusLine, ...(body ? { snippet: body } : {}) };
      }
      if (buf[0] === 0x15 && buf[1] === 0x03) return { kind: 'tls', address };
      if (buf.length >= 9 && buf[3] === 0x04) return { kind: 'h2c', address };
      if (buf.length >= 9 && buf[3] === 0x07) return { kind: 'h2c', address, snippet: 'GOAWAY' };
      return undefined;
    };
    const timer = setTimeout(() => {
      const r = classify();
      if (r) finish(undefined, r);
      else if (connected) finish(undefined, buf.length ? { kind: 'other', address, snippet: buf.subarray(0, 64).toString('latin1').replace(/[^\x20-\x7e]/g, '.') } : { kind: 'silent', address });
      else finish(new ProbeError('timeout', `no answer from ${where} within ${Math.round(o.timeoutMs / 100) / 10}s`, 'ETIMEDOUT', address));
    }, o.timeoutMs);
    let quiet: NodeJS.Timeout | undefined;
    let answered = false;
    let connected = false;
    const onAbort = () => finish(new ProbeError('aborted', `aborted while connecting to ${where}`, 'ABORT_ERR', address));
    if (o.signal?.aborted) return onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    sock.once('connect', () => {
      connected = true;
      // HTTP/2 preface + an empty SETTINGS frame.
      sock.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]));
    });
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]).subarray(0, 4096);
      if (buf.length >= 4096) sock.pause(); // what is kept is read: a flood is not drained into memory
      const r = classify();
      if (r && (r.kind !== 'http1' && r.kind !== 'tls' || buf.includes('\r\n\r\n'))) {
        // give an HTTP body a moment to arrive for the snippet (once: a body that trickles does not postpone the answer)
        if (!answered) { answered = true; clearTimeout(quiet); quiet = setTimeout(() => finish(undefined, classify() ?? r), r.kind === 'h2c' ? 0 : 100); }
      } else if (!r) {
        // bytes of another protocol: what came is the answer (a flood ends at the 4 KiB kept, a trickle after a pause)
        const other = (): PlainProbeResult => classify() ?? { kind: 'other', address, snippet: buf.subarray(0, 64).toString('latin1').replace(/[^\x20-\x7e]/g, '.') };
        clearTimeout(quiet);
        if (buf.length >= 4096) finish(undefined, other());
        else quiet = setTimeout(() => finish(undefined, other()), 150);
      }
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      const r = classify();
      if (r) return finish(undefined, r);
      if (connected && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) return finish(undefined, { kind: 'closed', address });
      const c = classifyNetError(err);
      finish(new ProbeError(c.kind, `${where}: ${err.message}`, c.code ?? err.code, address));
    });
    sock.once('end', () => finish(undefined, classify() ?? { kind: 'closed', address }));
    sock.once('close', () => finish(undefined, classify() ?? { kind: 'closed', address }));
  });
}

/** A PEM path as the clients read it: a leading `~/` is the home directory. */
export async function pemPath(path: string): Promise<string> {
  const { homedir } = await import('node:os');
  return path.replace(/^~(?=\/)/, homedir());
}

/** Reads a PEM bundle from disk. Undefined when the path is not set; throws ENOENT as is. */
export async function readPemFile(path: string | undefined): Promise<string | undefined> {
  if (!path) return undefined;
  return readSmallFileSync(await pemPath(path)).toString('utf8');
}

/** The largest CA bundle, certificate or key file read (a system bundle is ~200 KB). */
export const PEM_FILE_LIMIT = 4 * 1024 * 1024;

/**
 * Reads a small local file (a CA bundle, sslrootcert) at once. Synchronously on purpose: an async
 * read is five trips through the thread pool and the event loop, and in a busy run each trip waits
 * for a whole loop iteration (~400 ms before the first gRPC call of a verify, all spent waiting to
 * read the 200 KB bundle in NODE_EXTRA_CA_CERTS); a sync read of it takes ~0.2 ms. Only a regular
 * file under PEM_FILE_LIMIT is read (readRegularFileSync, as for every input file), so a FIFO or a
 * device in a path can neither hang the run nor fill its memory. Throws fs errors as they are
 * (ENOENT, EACCES, EISDIR) and EINVAL/EFBIG errors naming what the path is.
 */
export function readSmallFileSync(path: string, limit = PEM_FILE_LIMIT): Buffer {
  try { return readRegularFileSync(path, limit); } catch (e) {
    if (!(e instanceof FileShapeError)) throw e;
    if (e.kind === 'a directory') throw Object.assign(new Error('is a directory, not a file'), { code: 'EISDIR' });
    if (e.kind) throw Object.assign(new Error(`is ${e.kind}, not a regular file`), { code: 'EINVAL' });
    throw Object.assign(new Error(`is over ${Math.round(limit / 1024 / 1024)} MiB (${e.atLeast ? 'more than ' : ''}${e.size} bytes): not a CA bundle`), { code: 'EFBIG' });
  }
}

/** Splits a PEM bundle into its certificates. */
export function splitPem(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** A set of trust anchors: Node's bundled roots ('system'), admin.caCertFilePath, an env var's bundle. */
export interface TrustStore { label: string; certs: readonly string[] }

export interface StoreAnchor {
  /** Subject of the certificate of the store the chain ends at. */
  subject: string;
  /** The store holds an intermediate the server did not send (subject): clients without this store fail. */
  viaStoreIntermediate?: string;
}

/** What the certificate chain a server sent shows, judged against trust stores (dates and names aside). */
export interface ChainFacts {
  /** How many certificates the server sent. */
  sent: number;
  /** The server sent one certificate, signed by itself. */
  selfSigned: boolean;
  /** Each certificate sent is signed by the next one. */
  linked: boolean;
  /** The server's chain ends with a self-signed (root) certificate it sent itself. */
  sentRoot: boolean;
  /** The issuer (DN) of the last certificate sent, when that one is not self-signed: the certificate a client must find. */
  missingIssuer?: string;
  /** Per store label: where the chain is anchored, or absent. */
  anchors: Record<string, StoreAnchor>;
  /** Where the last certificate's issuer is published (AIA caIssuers). */
  caIssuers?: string[];
  /** The last certificate sent is a CA (an intermediate): its missing issuer is then usually a root. */
  lastIsCa: boolean;
  /** A store holds the missing issuer as a non-root (intermediate) certificate. */
  issuerInStore?: { store: string; subject: string };
  /** The leaf is an ingress controller's built-in default certificate. */
  defaultCert?: 'ingress-nginx' | 'traefik' | 'kong';
  /** The leaf has no subjectAltName (only a CN): Go clients refuse it. */
  cnOnly: boolean;
  /** The leaf does not allow serverAuth (extendedKeyUsage without it). */
  noServerAuth: boolean;
  /** The first certificate of the chain (a root sent aside) whose extendedKeyUsage excludes serverAuth: every client refuses the chain. */
  ekuRefused?: { subject: string; usages: string[] };
  /** The chain verifies, but the server sends its intermediates out of order (clients reorder them). */
  outOfOrder: boolean;
  /** A certificate the server sent that issues another on the path to the anchor but is not a CA (basicConstraints CA:FALSE or absent). */
  notCa?: string;
}

const DEFAULT_CERTS: [RegExp, NonNullable<ChainFacts['defaultCert']>][] = [
  [/Kubernetes Ingress Controller Fake Certificate/i, 'ingress-nginx'],
  [/TRAEFIK DEFAULT CERT/i, 'traefik'],
  [/O=Kong\b[\s\S]*CN=localhost|CN=localhost[\s\S]*O=Kong\b/, 'kong'],
];

/** Which built-in default certificate of an ingress controller this is, if any. */
export function defaultCertOf(c: CertInfo | undefined): ChainFacts['defaultCert'] {
  if (!c) return undefined;
  for (const [re, name] of DEFAULT_CERTS) if (re.test(c.subject)) return name;
  if (c.altNames.includes('DNS:ingress.local') && c.selfIssued) return 'ingress-nginx';
  return undefined;
}

type X509 = import('node:crypto').X509Certificate;
const x509Cache = new Map<string, X509 | null>();
async function x509(pem: string): Promise<X509 | null> {
  let c = x509Cache.get(pem);
  if (c === undefined) {
    const { X509Certificate } = await import('node:crypto');
    try { c = new X509Certificate(pem); } catch { c = null; }
    if (x509Cache.size > 2000) x509Cache.clear();
    x509Cache.set(pem, c);
  }
  return c;
}
const signs = (issuer: X509, c: X509) => { try { return c.checkIssued(issuer) && c.verify(issuer.publicKey); } catch { return false; } };
const selfSigned = (c: X509) => signs(c, c);
const dn = (c: X509) => c.subject.replace(/\n/g, ', ');

/**
 * The DER names of a certificate (issuer and subject) and its whole DER, as latin1 strings (map keys),
 * read by a minimal walk of the TBSCertificate: lets a trust store be searched without parsing its
 * ~150 certificates (X509Certificate costs ~0.5 ms each; only the candidates are parsed). A run
 * indexes the system roots and every CA bundle of the environment (~300 certificates).
 */
interface NameKeys { issuer: string; subject: string; der: string }
const nameKeyCache = new Map<string, NameKeys | null>();
function derOf(pem: string): Buffer {
  // Node's base64 decoder skips line breaks: only the armour lines need cutting off
  const begin = pem.indexOf('-----BEGIN');
  const from = begin < 0 ? -1 : pem.indexOf('-----', begin + 10);
  const to = pem.indexOf('-----END', from);
  if (from < 0 || to < 0) return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return Buffer.from(pem.slice(from + 5, to), 'base64');
}
function nameKeys(pem: string): NameKeys | null {
  let k = nameKeyCache.get(pem);
  if (k !== undefined) return k;
  k = null;
  try {
    const der = derOf(pem);
    // one TLV: [tag, start of value, end]
    const tlv = (at: number): [number, number, number] => {
      let len = der[at + 1]!, off = at + 2;
      if (len & 0x80) { const n = len & 0x7f; if (n > 4) throw new Error('length'); len = 0; for (let i = 0; i < n; i++) len = len * 256 + der[off + i]!; off += n; }
      if (off + len > der.length) throw new Error('truncated');
      return [der[at]!, off, off + len];
    };
    const cert = tlv(0);
    let at = tlv(cert[1])[1];                  // inside the TBSCertificate
    let f = tlv(at);
    if (f[0] === 0xa0) { at = f[2]; f = tlv(at); } // [0] version
    at = f[2];                                 // the serial
    at = tlv(at)[2];                           // signature algorithm
    const issuer = tlv(at);
    const issuerKey = der.toString('latin1', at, issuer[2]);
    at = tlv(issuer[2])[2];                    // validity
    const subject = tlv(at);
    k = { issuer: issuerKey, subject: der.toString('latin1', at, subject[2]), der: der.toString('latin1', 0, cert[2]) };
  } catch { k = null; }
  if (nameKeyCache.size > 5000) nameKeyCache.clear();
  nameKeyCache.set(pem, k);
  return k;
}

/** A trust store indexed by subject name and by the whole certificate (built once per store array). */
interface StoreIndex { bySubject: Map<string, string[]>; byDer: Map<string, string> }
const storeIndexes = new WeakMap<readonly string[], StoreIndex>();
function storeIndex(certs: readonly string[]): StoreIndex {
  let ix = storeIndexes.get(certs);
  if (ix) return ix;
  ix = { bySubject: new Map(), byDer: new Map() };
  for (const pem of certs) {
    const k = nameKeys(pem);
    if (!k) continue;
    ix.byDer.set(k.der, pem);
    const l = ix.bySubject.get(k.subject);
    if (l) l.push(pem); else ix.bySubject.set(k.subject, [pem]);
  }
  storeIndexes.set(certs, ix);
  return ix;
}

/** The store certificates whose subject is the issuer of `c` (parsed), i.e. that may have signed it. */
async function issuersIn(ix: StoreIndex, c: X509): Promise<X509[]> {
  const k = nameKeys(c.toString());
  const pems = k ? ix.bySubject.get(k.issuer) ?? [] : [];
  return (await Promise.all(pems.map((p) => x509(p)))).filter((x): x is X509 => !!x);
}

/**
 * Anchors `sent` in one store the way Go and gRPC clients do: any certificate of the store is a trust
 * anchor, and the certificates the server sent after its leaf are a pool of intermediates in any order
 * (Go's VerifyOptions.Intermediates, OpenSSL's untrusted stack): a chain sent out of order still
 * verifies. `path` receives the sent certificates the path goes through (leaf first, anchor excluded).
 */
async function anchorIn(sent: X509[], ix: StoreIndex, path: X509[] = []): Promise<StoreAnchor | undefined> {
  let c = sent[0];
  const used = new Set<X509>();
  while (c && !used.has(c)) {
    used.add(c);
    const samePem = ix.byDer.get(c.raw.toString('latin1'));
    const same = samePem ? await x509(samePem) : null;
    if (same) return { subject: dn(same) };
    path.push(c);
    const issuer = (await issuersIn(ix, c)).find((r) => signs(r, c!));
    if (issuer) {
      if (selfSigned(issuer)) return { subject: dn(issuer) };
      // An intermediate of the store: clients take it as an anchor, but only this store has it.
      let top = issuer;
      for (let d = 0; d < 5; d++) { const up = (await issuersIn(ix, top)).find((r) => r !== top && signs(r, top)); if (!up) break; top = up; }
      return { subject: dn(top), ...(!sent.some((x) => x.fingerprint256 === issuer.fingerprint256) ? { viaStoreIntermediate: dn(issuer) } : {}) };
    }
    const cur: X509 = c;
    const next = sent.slice(1).find((x) => !used.has(x) && signs(x, cur));
    if (!next) return undefined;
    c = next;
  }
  return undefined;
}

/** The subject of a PEM certificate and whether it signs itself (a root); undefined when it does not parse. */
export async function pemFacts(pem: string): Promise<{ subject: string; selfSigned: boolean } | undefined> {
  const c = await x509(pem);
  return c ? { subject: dn(c), selfSigned: selfSigned(c) } : undefined;
}

const EKU_NAMES: Readonly<Record<string, string>> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth', '1.3.6.1.5.5.7.3.2': 'clientAuth', '1.3.6.1.5.5.7.3.3': 'codeSigning', '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping', '1.3.6.1.5.5.7.3.9': 'OCSPSigning', '2.5.29.37.0': 'anyExtendedKeyUsage',
};
/** An extended key usage OID by its name (clientAuth), else the OID. */
export const ekuName = (oid: string): string => EKU_NAMES[oid] ?? oid;
/** The certificate has an extendedKeyUsage that allows neither serverAuth nor any usage. */
function refusesServerAuth(c: CertInfo | undefined): boolean {
  return !!c?.extKeyUsage && c.extKeyUsage.length > 0 && !c.extKeyUsage.includes('1.3.6.1.5.5.7.3.1') && !c.extKeyUsage.includes('2.5.29.37.0');
}

/** Facts about the chain a server sent (leaf first), judged against each trust store. Never throws. */
export async function analyzeChain(chain: CertInfo[], stores: readonly TrustStore[]): Promise<ChainFacts> {
  const sent = (await Promise.all(chain.map((c) => x509(c.pem)))).filter((x): x is X509 => !!x);
  const leaf = chain[0];
  const linked = sent.every((c, i) => i === sent.length - 1 || signs(sent[i + 1]!, c));
  // the top of what the server sent: the end of the path from the leaf through the sent certificates, in any order
  let last = sent[0];
  for (const seen = new Set<X509>(); last && !seen.has(last) && !selfSigned(last);) {
    seen.add(last);
    const cur: X509 = last;
    const up = sent.find((x) => !seen.has(x) && signs(x, cur));
    if (!up) break;
    last = up;
  }
  if (linked) last = sent[sent.length - 1];
  const lastSelf = !!last && selfSigned(last);
  const anchors: Record<string, StoreAnchor> = {};
  let issuerInStore: ChainFacts['issuerInStore'];
  let notCa: string | undefined;
  for (const st of stores) {
    const ix = storeIndex(st.certs);
    const path: X509[] = [];
    const a = await anchorIn(sent, ix, path);
    if (a) anchors[st.label] = a;
    // a sent certificate that signs the next one on the path but is not a CA (basicConstraints CA:FALSE or absent)
    if (a && !notCa) { const bad = path.slice(1).find((x) => !x.ca); if (bad) notCa = dn(bad); }
    if (last && !lastSelf && !issuerInStore) {
      const i = (await issuersIn(ix, last)).find((r) => signs(r, last) && !selfSigned(r));
      if (i) issuerInStore = { store: st.label, subject: dn(i) };
    }
  }
  const lastInfo = (last && sent.length === chain.length ? chain[sent.indexOf(last)] : undefined) ?? chain[chain.length - 1];
  // Go checks extendedKeyUsage down the whole chain, OpenSSL the leaf and its CAs: a root sent is not judged
  const ekuRefused = chain.find((c, i) => refusesServerAuth(c) && !(i > 0 && c.selfIssued));
  const sans = leaf?.altNames ?? [];
  return {
    sent: chain.length,
    selfSigned: chain.length === 1 && lastSelf,
    linked,
    outOfOrder: !linked && Object.keys(anchors).length > 0,
    ...(notCa ? { notCa } : {}),
    sentRoot: chain.length > 1 && lastSelf,
    ...(last && !lastSelf ? { missingIssuer: lastInfo!.issuer } : {}),
    anchors,
    ...(lastInfo?.caIssuers?.length && !lastSelf ? { caIssuers: lastInfo.caIssuers } : {}),
    lastIsCa: chain.length > 1 && !!lastInfo?.isCa,
    ...(issuerInStore ? { issuerInStore } : {}),
    ...(defaultCertOf(leaf) ? { defaultCert: defaultCertOf(leaf)! } : {}),
    cnOnly: !!leaf && !sans.some((n) => /^(DNS|IP):/.test(n)),
    noServerAuth: refusesServerAuth(leaf),
    ...(ekuRefused ? { ekuRefused: { subject: ekuRefused.subject, usages: ekuRefused.extKeyUsage ?? [] } } : {}),
  };
}

/**
 * Downloads a certificate from an AIA caIssuers URL (http only, as CAs publish them), DER or PEM,
 * within `timeoutMs`. Returns the PEM, or undefined when it cannot be had.
 */
export async function fetchIssuer(url: string, o: { timeoutMs: number; signal?: AbortSignal; dnsServer?: string }): Promise<string | undefined> {
  if (!/^http:\/\//i.test(url)) return undefined;
  const http = await import('node:http');
  const { lookupFor } = await import('./resolve.js');
  const lookup = lookupFor(o.dnsServer);
  const body = await new Promise<Buffer | undefined>((resolve) => {
    const req = http.get(url, { timeout: o.timeoutMs, ...(lookup ? { lookup } : {}), ...(o.signal ? { signal: o.signal } : {}) }, (res) => {
      if (res.statusCode !== 200) { res.resume(); return resolve(undefined); }
      const parts: Buffer[] = [];
      let n = 0;
      res.on('data', (d: Buffer) => { n += d.length; if (n > 64 * 1024) { req.destroy(); resolve(undefined); } else parts.push(d); });
      res.on('end', () => resolve(Buffer.concat(parts)));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => { req.destroy(); resolve(undefined); });
    req.on('error', () => resolve(undefined));
  });
  if (!body?.length) return undefined;
  const text = body.toString('latin1');
  if (text.includes('-----BEGIN CERTIFICATE-----')) return splitPem(text)[0];
  const { X509Certificate } = await import('node:crypto');
  try { return new X509Certificate(body).toString(); } catch { return undefined; }
}

/** One TLS handshake per endpoint per run (shared by tls.admin.* and client.config.tls-mode). */
export async function sharedTlsProbe(ctx: CheckContext, t: { host: string; port: number }, timeoutMs: number): Promise<TlsProbeResult> {
  const hostPort = (x: { host: string; port: number }) => (x.host.includes(':') ? `[${x.host}]:${x.port}` : `${x.host}:${x.port}`);
  return ctx.shared(`tls-probe:${hostPort(t)}:${ctx.target.dnsServer ?? 'system'}`, () =>
    tlsProbe({ host: t.host, port: t.port, timeoutMs, signal: ctx.signal, ...(ctx.target.dnsServer ? { dnsServer: ctx.target.dnsServer } : {}) }));
}

