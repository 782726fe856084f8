// What listens on a port, as evidence: used when a probe got an answer that is not the protocol it
// expected (or no answer at all after TCP was accepted), so the finding can say "an SSH server
// listens on db.example:5432" instead of "timeout" or "could not check". Bounded, read-only, never
// sends credentials: an unsolicited-banner wait, then an HTTP request, a TLS ClientHello and a
// PostgreSQL SSLRequest on separate connections, in parallel.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export type ServiceKind =
  | 'ssh' | 'smtp' | 'ftp' | 'mysql' | 'redis' | 'imap' | 'pop3'   // speak first (banner)
  | 'http' | 'tls' | 'postgres'                                      // answer a probe
  | 'silent'   // accepts TCP, answers nothing
  | 'closes'   // accepts TCP, then closes without a word
  | 'refused' | 'unreachable' | 'unknown';

export interface ServiceEvidence {
  kind: ServiceKind;
  /** Printable start of what it said (control bytes escaped, at most 80 characters). */
  banner?: string;
  /** HTTP status line, TLS protocol/ALPN/certificate subject, PostgreSQL answer byte... */
  detail?: string;
  /** For 'tls': the negotiated ALPN protocol, if any. */
  alpn?: string;
  /** For 'http': the status code. */
  httpStatus?: number;
}

/** "an SSH server (SSH-2.0-OpenSSH_9.2)" — for messages. */
export function describeService(e: ServiceEvidence): string {
  const what: Record<ServiceKind, string> = {
    ssh: 'an SSH server', smtp: 'an SMTP server', ftp: 'an FTP server', mysql: 'a MySQL/MariaDB server', redis: 'a Redis server',
    imap: 'an IMAP server', pop3: 'a POP3 server', http: 'a plain HTTP server', tls: 'a TLS server', postgres: 'a PostgreSQL server',
    silent: 'something that accepts connections but never answers', closes: 'something that accepts connections and closes them at once',
    refused: 'nothing (connection refused)', unreachable: 'nothing reachable', unknown: 'an unknown service',
  };
  const d = e.detail ?? e.banner;
  return `${what[e.kind]}${d ? ` (${d})` : ''}`;
}

export function printable(b: Buffer, max = 80): string {
  return b.subarray(0, max * 2).toString('latin1').replace(/[\x00-\x1f\x7f-\xff]/g, (c) => (c === '\r' || c === '\n' ? ' ' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)).replace(/\s+/g, ' ').trim().slice(0, max);
}

/** Names a first message that a server sent without being asked (or in answer to a probe). */
export function classifyBytes(b: Buffer): ServiceEvidence | undefined {
  if (!b.length) return undefined;
  const s = b.toString('latin1');
  const banner = printable(b);
  if (s.startsWith('SSH-')) return { kind: 'ssh', banner, detail: banner.split(' ')[0]! };
  if (/^HTTP\/\d/.test(s)) { const m = /^HTTP\/[\d.]+ (\d{3})[^\r\n]*/.exec(s); return { kind: 'http', banner, detail: m?.[0] ?? banner, ...(m ? { httpStatus: Number(m[1]) } : {}) }; }
  if (b[0] === 0x15 && b[1] === 0x03) return { kind: 'tls', banner, detail: 'answered with a TLS alert: it expects a TLS ClientHello first' };
  if (b[0] === 0x16 && b[1] === 0x03) return { kind: 'tls', banner, detail: 'answered with a TLS handshake record' };
  if (/^220[ -]/.test(s)) return { kind: /FTP/i.test(s) ? 'ftp' : 'smtp', banner, detail: banner };
  if (/^\* OK/.test(s)) return { kind: 'imap', banner, detail: banner };
  if (/^\+OK/.test(s)) return { kind: 'pop3', banner, detail: banner };
  if (/^-ERR|^-NOAUTH|^\$\d/.test(s)) return { kind: 'redis', banner, detail: banner };
  if (b.length > 5 && b[4] === 0x0a && b.readUIntLE(0, 3) === b.length - 4) return { kind: 'mysql', banner, detail: `MySQL protocol 10 greeting ${printable(b.subarray(5, 40)).split('\\x00')[0]}` };
  return undefined;
}

interface Opts { timeoutMs: number; signal?: AbortSignal; servername?: string }

function open(address: string, port: number, o: Opts): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host: address, port });
    const t = setTimeout(() => { s.destroy(); reject(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })); }, o.timeoutMs);
    s.once('connect', () => { clearTimeout(t); resolve(s); });
    s.once('error', (e) => { clearTimeout(t); reject(e); });
  });
}

/** Collects what the socket says within `ms` (after writing `hello`, if any). */
function listen(s: Socket, ms: number, hello?: Buffer | string): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (closed: boolean) => { clearTimeout(t); s.removeAllListeners('data'); resolve({ data: Buffer.concat(chunks), closed }); };
    const t = setTimeout(() => done(false), ms);
    s.on('data', (d: Buffer) => { chunks.push(d); size += d.length; if (size >= 256) done(false); });
    s.once('close', () => done(true));
    s.once('error', () => done(true));
    if (hello !== undefined) s.write(hello);
  });
}

/**
 * Identifies the service at address:port (an IP address; resolve names first). Never throws;
 * returns 'unknown' with what it saw when nothing matches. Costs at most ~timeoutMs.
 */
export async function identifyService(address: string, port: number, o: Opts): Promise<ServiceEvidence> {
  const budget = Math.max(300, o.timeoutMs);
  const bannerMs = Math.min(400, Math.round(budget / 3));
  let first: Socket;
  try { first = await open(address, port, { ...o, timeoutMs: budget }); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ECONNREFUSED' ? { kind: 'refused' } : code === 'ETIMEDOUT' ? { kind: 'unreachable', detail: 'TCP connect timed out' } : { kind: 'unreachable', detail: code ?? (e as Error).message };
  }
  // 1. Servers that speak first.
  const banner = await listen(first, bannerMs);
  first.destroy();
  const fromBanner = classifyBytes(banner.data);
  if (fromBanner) return fromBanner;
  if (banner.data.length) return { kind: 'unknown', banner: printable(banner.data) };
  const closedAtOnce = banner.closed;
  // 2. Probes on fresh connections, in parallel: HTTP, TLS, PostgreSQL.
  const left = Math.max(200, budget - bannerMs);
  const probe = async (hello: Buffer | string): Promise<{ data: Buffer; closed: boolean } | undefined> => {
    try { const s = await open(address, port, { ...o, timeoutMs: left }); try { return await listen(s, left, hello); } finally { s.destroy(); } } catch { return undefined; }
  };
  const tls = new Promise<ServiceEvidence | undefined>((resolve) => {
    const s = tlsConnect({ host: address, port, rejectUnauthorized: false, ALPNProtocols: ['h2', 'http/1.1'], ...(o.servername ? { servername: o.servername } : {}) });
    const t = setTimeout(() => { s.destroy(); resolve(undefined); }, left);
    s.once('secureConnect', () => {
      clearTimeout(t);
      const c = s.getPeerCertificate();
      const alpn = s.alpnProtocol || undefined;
      resolve({ kind: 'tls', detail: `${s.getProtocol() ?? 'TLS'}${alpn ? `, ALPN ${alpn}` : ', no ALPN'}${c?.subject?.CN ? `, certificate CN=${c.subject.CN}` : ''}`, ...(alpn ? { alpn } : {}) });
      s.destroy();
    });
    s.once('error', () => { clearTimeout(t); resolve(undefined); });
  });
  const [http, pg, t] = await Promise.all([
    probe(`GET / HTTP/1.0\r\nHost: ${o.servername ?? address}\r\nUser-Agent: flyte-doctor\r\n\r\n`),
    probe(Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])),
    tls,
  ]);
  if (pg && pg.data.length === 1 && (pg.data[0] === 0x53 || pg.data[0] === 0x4e)) return { kind: 'postgres', detail: `answers SSLRequest with '${String.fromCharCode(pg.data[0]!)}'` };
  const fromHttp = http && classifyBytes(http.data);
  if (fromHttp?.kind === 'http') return fromHttp;
  if (t) return t;
  if (fromHttp) return fromHttp;
  const fromPg = pg && classifyBytes(pg.data);
  if (fromPg) return fromPg;
  const seen = http?.data.length ? http.data : pg?.data;
  if (seen?.length) return { kind: 'unknown', banner: printable(seen) };
  if (closedAtOnce || (http?.closed && pg?.closed)) return { kind: 'closes' };
  return { kind: 'silent' };
}
