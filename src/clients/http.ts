// HTTP probes through undici 7: one Agent per origin and TLS setting per run (ctx.shared), names
// resolved through --dns-server when given (TLS still verifies the name), every request bounded by
// the check's signal and the probe's own I/O timeout. Redirects are not followed automatically: the
// caller sees each hop (a 307 to /console/ or to an IdP is evidence).
import type { CheckContext } from '../engine/types.js';
import { sharedSecureContext } from './secure-context.js';
import { lookupFor, resolveHost } from './resolve.js';
import { stalledText } from './answers.js';
import { ProbeError, classifyNetError, tcpBytesRead } from './tls.js';
import { timeoutSignal } from '../engine/budget.js';

export interface HttpTls {
  /** PEMs to trust (undefined: Node's bundled roots). */
  ca?: string[];
  /** Do not verify the chain or the name (the client's insecureSkipVerify). */
  skipVerify?: boolean;
}

export interface HttpResponse {
  url: string;
  status: number;
  headers: Record<string, string>;
  contentType: string;
  /** The body as text, cut at maxBodyBytes. */
  body: string;
  /** The Location header resolved against url, for 3xx. */
  location?: string;
  /** The body was longer than maxBodyBytes (after inflating, for a gzip answer) and was cut there. */
  truncated?: boolean;
  /** The server sent the body gzip-encoded and it was inflated (Content-Encoding and Content-Length dropped, as Go's transport does). */
  inflated?: boolean;
}

export interface HttpRequestOptions extends HttpTls {
  method?: 'GET' | 'POST' | 'OPTIONS' | 'HEAD';
  headers?: Record<string, string>;
  /** A request body (sent as is; set its content-type in headers). */
  body?: string;
  /** The probe's own timeout: exceeding it throws ProbeError('timeout'). */
  timeoutMs: number;
  maxBodyBytes?: number;
}

type Agent = import('undici').Agent;
const undici = () => import('../sdk/undici.js');

/** How far one connection of an Agent got: TCP accepted, TLS done, the bytes the server sent. */
interface ConnSeen { at: number; tls: boolean; tcp: boolean; secure: boolean; bytes: () => number; end: () => void }
interface OriginAgent { agent: Agent; conns: ConnSeen[] }

async function agentFor(ctx: CheckContext, origin: string, o: HttpTls): Promise<OriginAgent> {
  const key = `http-agent:${origin}:${o.skipVerify ? 'skip' : 'verify'}:${(o.ca ?? []).length}:${ctx.target.dnsServer ?? 'system'}`;
  return ctx.shared(key, async () => {
    const { Agent } = await undici();
    const net = await import('node:net');
    const tls = await import('node:tls');
    const lookup = lookupFor(ctx.target.dnsServer);
    const secureContext = o.ca ? await sharedSecureContext({ ca: o.ca }) : undefined;
    const conns: ConnSeen[] = [];
    // undici's connector, with each connection's progress kept: a request that gets no answer can then
    // say whether TCP was accepted, the TLS handshake stalled after the server's first bytes (a path
    // that loses large packets), or the server stayed silent after it (not a firewall, in either case)
    const connect = (p: { hostname: string; protocol: string; port: string | number; servername?: string | null }, cb: (err: Error | null, sock?: import('node:net').Socket) => void) => {
      const isTls = p.protocol === 'https:';
      const port = Number(p.port || (isTls ? 443 : 80));
      const sock: import('node:net').Socket = isTls
        ? tls.connect({
          host: p.hostname, port, ...(p.servername ? { servername: p.servername } : net.isIP(p.hostname) ? {} : { servername: p.hostname }),
          ALPNProtocols: ['http/1.1'],
          ...(secureContext ? { secureContext } : o.ca ? { ca: o.ca } : {}), rejectUnauthorized: !o.skipVerify, ...(lookup ? { lookup } : {}),
        })
        : net.connect({ host: p.hostname, port, ...(lookup ? { lookup } : {}) });
      const seen: ConnSeen = { at: Date.now(), tls: isTls, tcp: false, secure: false, bytes: () => (isTls ? tcpBytesRead(sock as import('node:tls').TLSSocket) : sock.bytesRead), end: () => sock.destroy() };
      conns.push(seen);
      if (conns.length > 16) conns.shift();
      sock.setKeepAlive(true, 60_000);
      sock.setNoDelay(true);
      let cbk: typeof cb | undefined = cb;
      const timer = setTimeout(() => sock.destroy(Object.assign(new Error(`connect timeout (${p.hostname}:${port})`), { code: 'UND_ERR_CONNECT_TIMEOUT' })), 30_000);
      timer.unref?.();
      sock.once('connect', () => { seen.tcp = true; });
      sock.once(isTls ? 'secureConnect' : 'connect', () => { clearTimeout(timer); seen.secure = true; const c = cbk; cbk = undefined; c?.(null, sock); });
      sock.on('error', (err) => { clearTimeout(timer); const c = cbk; cbk = undefined; c?.(err); });
      return sock;
    };
    return { agent: new Agent({ connect: connect as never, connections: 4, pipelining: 0 }), conns };
  }, async (a) => {
    // (a connection still in its handshake belongs to no undici client yet: end it here, or it holds the process)
    for (const c of a.conns) if (!c.secure) c.end();
    await a.agent.destroy();
  });
}

/** The furthest any connection begun since `since` got (or, for a reused connection, any still known). */
function progressSince(conns: ConnSeen[], since: number): { tcp: boolean; tls: boolean; secure: boolean; bytes: number } | undefined {
  const recent = conns.filter((c) => c.at >= since);
  const pool = recent.length ? recent : conns;
  if (!pool.length) return undefined;
  const rank = (c: ConnSeen) => (c.secure ? 3 : c.tcp && c.bytes() > 0 ? 2 : c.tcp ? 1 : 0);
  const best = pool.reduce((a, b) => (rank(b) > rank(a) ? b : a));
  return { tcp: best.tcp, tls: best.tls, secure: best.secure, bytes: best.bytes() };
}

/** A probe that got no HTTP answer, with how far the connection got (the message says it too). */
export class HttpNoAnswerError extends ProbeError {
  constructor(message: string, address: string | undefined, readonly stage: 'tcp' | 'tls-silent' | 'tls-stalled' | 'request', bytesIn = 0) {
    super('timeout', message, 'ETIMEDOUT', address, { connected: stage !== 'tcp', bytesIn });
  }
}

/** GET/POST one URL. Throws ProbeError (kind dns/refused/timeout/tls...) when no HTTP answer came. */
export async function httpRequest(ctx: CheckContext, url: string, o: HttpRequestOptions): Promise<HttpResponse> {
  const { request } = await undici();
  const u = new URL(url);
  const { agent: dispatcher, conns } = await agentFor(ctx, u.origin, o);
  // Within what is left of the check's budget: a check that makes its requests one after the other
  // (a discovery document, then the client config) against a dead endpoint ends with this probe's
  // finding ("no answer within …"), not with the engine's "timed out" once the second one starts late.
  const timeoutMs = Math.max(100, Math.min(o.timeoutMs, ctx.remainingMs() - 250));
  const ioTimeout = timeoutSignal(timeoutMs);
  const signal = AbortSignal.any([ctx.signal, ioTimeout]);
  const where = `${u.host}`;
  const t0 = Date.now();
  let head: { status: number; headers: Record<string, string | string[] | undefined>; received: () => number; at: number } | undefined;
  // when body bytes last came, and how many reads brought them: a body that keeps trickling in (a byte
  // a second, below any idle timeout) is not one that stopped, and the report says which it was
  let lastAt = 0, reads = 0;
  // interim (1xx) answers that came before any final status: a server that sends only 103 / 102
  // (or an endless stream of them) answered, it did not stay silent
  const interim: number[] = [];
  try {
    // undici does not abort a connection still in its TLS handshake: race the signal ourselves
    // (the socket is closed when the run ends and the shared Agent is destroyed).
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(Object.assign(new Error('aborted'), { name: 'AbortError', code: 'ABORT_ERR' }));
      if (signal.aborted) onAbort(); else signal.addEventListener('abort', onAbort, { once: true });
    });
    // Go's transport (flyteadmin, flytectl) asks for gzip unless the request says otherwise, and inflates
    // the answer: an IdP or proxy that compresses discovery / JWKS documents is fine for them
    const askGzip = (o.method ?? 'GET') !== 'HEAD' && !Object.keys(o.headers ?? {}).some((k) => /^(accept-encoding|range)$/i.test(k));
    const pending = request(url, {
      dispatcher, signal, method: o.method ?? 'GET',
      headers: { 'user-agent': 'flyte-doctor', ...(askGzip ? { 'accept-encoding': 'gzip' } : {}), ...(o.headers ?? {}) },
      ...(o.body !== undefined ? { body: o.body } : {}),
      headersTimeout: timeoutMs, bodyTimeout: timeoutMs,
      onInfo: ({ statusCode }: { statusCode: number }) => { if (interim.length < 1000) interim.push(statusCode); },
    });
    pending.catch(() => undefined);
    const res = await Promise.race([pending, aborted]).finally(() => signal.removeEventListener('abort', onAbort!));
    const max = o.maxBodyBytes ?? 64 * 1024;
    const chunks: Buffer[] = [];
    let size = 0, raw = 0, truncated = false;
    head = { status: res.statusCode, headers: res.headers, received: () => raw, at: Date.now() };
    const encoding = String(res.headers['content-encoding'] ?? '').trim();
    const gzip = askGzip && /^gzip$/i.test(encoding);
    if (gzip) {
      // inflated with the cap on the inflated bytes (a small gzip can inflate to gigabytes): both streams end at the cap
      const zlib = await import('node:zlib');
      const { pipeline } = await import('node:stream/promises');
      const gunzip = zlib.createGunzip();
      res.body.on('data', (b: Buffer) => { raw += b.length; lastAt = Date.now(); reads++; });
      const piping = pipeline(res.body, gunzip);
      piping.catch(() => undefined);
      try {
        for await (const chunk of gunzip) {
          const b = chunk as Buffer;
          chunks.push(b); size += b.length;
          if (size > max) { truncated = true; gunzip.destroy(); res.body.destroy(); break; }
        }
      } catch (e) {
        const z = e as { code?: string; message?: string };
        if (!/^Z_|ERR_ZLIB|ERR__ZLIB/.test(z.code ?? '')) throw e;
        throw new ProbeError('other', `${where} answered HTTP ${res.statusCode} with Content-Encoding: gzip, but the body does not inflate (${z.message ?? z.code}): a proxy that mislabels or corrupts compressed answers; Go's transport (flyteadmin, flytectl) fails on it the same way`, z.code, undefined, { connected: true });
      }
    } else {
      for await (const chunk of res.body) {
        const b = chunk as Buffer;
        chunks.push(b); size += b.length; raw = size; lastAt = Date.now(); reads++;
        if (size > max) { truncated = true; res.body.destroy(); break; }
      }
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
    if (gzip) { delete headers['content-encoding']; delete headers['content-length']; }
    const location = headers.location ? new URL(headers.location, url).toString() : undefined;
    return {
      url, status: res.statusCode, headers, contentType: headers['content-type'] ?? '',
      body: Buffer.concat(chunks).subarray(0, max).toString('utf8'), ...(location ? { location } : {}),
      ...(truncated ? { truncated: true } : {}), ...(gzip ? { inflated: true } : {}),
    };
  } catch (err) {
    if ((ioTimeout.aborted || (err as { code?: string })?.code === 'UND_ERR_BODY_TIMEOUT') && !ctx.signal.aborted && head) {
      // the server answered (status line and headers), then its body stopped: not "no answer"
      const now = Date.now();
      const text = trickling(reads, lastAt, head.at, now)
        ? trickleText(head.status, head.headers, head.received(), now - t0, now - lastAt)
        : stalledText(head.status, head.headers, head.received(), now - t0);
      throw new ProbeError('stalled', `${where} ${text}`, 'ETIMEDOUT', undefined, { connected: true });
    }
    if ((ioTimeout.aborted || (err as { code?: string })?.code === 'UND_ERR_HEADERS_TIMEOUT') && !ctx.signal.aborted && interim.length) {
      throw new ProbeError('stalled', `${where} ${interimText(interim, Date.now() - t0)}`, 'ETIMEDOUT', undefined, { connected: true });
    }
    if (ioTimeout.aborted && !ctx.signal.aborted) {
      const secs = `${Math.round(timeoutMs / 100) / 10}s`;
      const p = progressSince(conns, t0);
      if (p?.tcp && p.tls && !p.secure) {
        throw p.bytes
          ? new HttpNoAnswerError(`${where} accepted the TCP connection and sent ${p.bytes} byte(s) of its answer to the TLS ClientHello, then nothing more within ${secs}`, undefined, 'tls-stalled', p.bytes)
          : new HttpNoAnswerError(`${where} accepted the TCP connection but sent nothing back to the TLS ClientHello within ${secs}`, undefined, 'tls-silent');
      }
      if (p?.secure) {
        throw new HttpNoAnswerError(`${where} accepted the connection${p.tls ? ' and completed the TLS handshake' : ''}, but sent no HTTP answer to ${o.method ?? 'GET'} ${u.pathname} within ${secs}${p.bytes && !p.tls ? ` (${p.bytes} byte(s) came, no complete status line and headers)` : ''}`, undefined, 'request');
      }
      throw new HttpNoAnswerError(`no answer from ${where} within ${secs}`, undefined, 'tcp');
    }
    if (ctx.signal.aborted) throw err; // the engine reports its own timeout / interruption
    const c = classifyNetError(err);
    const e = err as Error & { cause?: Error };
    const text = e.cause?.message && e.cause.message !== e.message ? `${e.message}: ${e.cause.message}` : e.message;
    // undici drops the connection on an unasked-for 100 Continue ("bad response") and on a 101
    // Switching Protocols to a request that asked for no upgrade ("bad upgrade"): the server answered,
    // wrongly; not a reset of a silent port
    const bad = (err as { code?: string })?.code === 'UND_ERR_SOCKET' ? UNASKED[e.message] : undefined;
    if (bad) throw new ProbeError('other', `${where} ${bad} (undici: ${e.message})`, 'UND_ERR_SOCKET', undefined, { connected: true });
    throw new ProbeError(c.kind, `${where}: ${text}`, c.code);
  }
}

const UNASKED: Record<string, string> = {
  'bad response': 'answered with an interim HTTP 100 Continue this request did not ask for (it sent no Expect: 100-continue), or with an answer before any request: an HTTP/1.1 client drops such a connection; a proxy or server in front does not speak HTTP/1.1 correctly',
  'bad upgrade': 'answered HTTP 101 Switching Protocols to a request that asked for no upgrade: the server or a proxy in front switched the connection to another protocol (a WebSocket or h2c upgrade) unasked',
};

/** `answered only interim HTTP 103 (4 of them), then no final status within 5s` */
export function interimText(interim: number[], afterMs: number): string {
  const codes = [...new Set(interim)].slice(0, 4);
  return `answered only interim HTTP ${codes.join('/')} (${interim.length >= 1000 ? '1000 or more' : interim.length} of them${interim.length > 1 ? ', an endless 1xx stream' : ''}), then no final status within ${Math.round(afterMs / 100) / 10}s: the server or a proxy in front sends informational answers and never the answer itself`;
}

/**
 * The body was still coming in when the time was up: more than one read brought bytes, and the last
 * came recently (within a second and a half, or half the time since the headers), so it trickles
 * rather than stopped.
 */
export function trickling(reads: number, lastAt: number, headAt: number, now: number): boolean {
  return reads >= 2 && lastAt > headAt && now - lastAt < Math.max(1500, (now - headAt) / 2);
}

/** `answered HTTP 200, then its body trickled in too slowly: 3 bytes of the 100000 … in 2.5s, the last 0.4s ago` */
export function trickleText(status: number, headers: Record<string, unknown>, received: number, afterMs: number, lastAgoMs: number): string {
  const length = Number(headers['content-length']);
  const server = typeof headers['server'] === 'string' ? `, server ${headers['server'].slice(0, 60)}` : '';
  const s = (ms: number) => `${Math.round(ms / 100) / 10}s`;
  return `answered HTTP ${status}${server}, then its body trickled in too slowly to finish: ${received} bytes${Number.isSafeInteger(length) && length > received ? ` of the ${length} its Content-Length announced` : ''} in ${s(afterMs)}, the last ${s(lastAgoMs)} ago (still sending, not stopped)`;
}

/** Follows up to `max` redirects within the same request options; returns every hop. */
export async function httpGetFollow(ctx: CheckContext, url: string, o: HttpRequestOptions, max = 3): Promise<HttpResponse[]> {
  const hops: HttpResponse[] = [];
  let next: string | undefined = url;
  while (next && hops.length <= max) {
    const r = await httpRequest(ctx, next, o);
    hops.push(r);
    next = r.status >= 300 && r.status < 400 && r.location && new URL(r.location).origin === new URL(url).origin ? r.location : undefined;
  }
  return hops;
}

/** Parses a JSON body; undefined when it is not JSON. */
export function jsonBody(r: HttpResponse): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(r.body) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch { return undefined; }
}

/** True when the response looks like an HTML page (a console/SPA or an error page of a proxy). */
export function isHtml(r: HttpResponse): boolean {
  return /text\/html/i.test(r.contentType) || /^\s*<(!doctype html|html)/i.test(r.body);
}

export interface RawAnswer {
  /** The first bytes the server sent (up to 512), or none. */
  bytes: Buffer;
  /** It answered with an HTTP/1.x status line. */
  http1: boolean;
  /** It answered with HTTP/2 frames (SETTINGS / GOAWAY): an h2c server such as a gRPC port. */
  h2Frames: boolean;
  /** It closed without a byte. */
  closed: boolean;
}

/**
 * A raw `GET path HTTP/1.1` on a fresh connection (TLS when the URL is https, never verifying: this
 * is evidence of what answers, not a trust decision), returning the first bytes. For answers undici
 * refuses to parse (an HTTP/2 frame relayed as HTTP/0.9 by a proxy). Never throws.
 */
export async function rawHttpProbe(ctx: CheckContext, url: string, timeoutMs: number): Promise<RawAnswer | undefined> {
  try {
    const u = new URL(url);
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const address = (await resolveHost(host, ctx.target.dnsServer, timeoutMs)).address;
    const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
    const net = await import('node:net');
    const tls = await import('node:tls');
    return await new Promise<RawAnswer | undefined>((resolve) => {
      let buf = Buffer.alloc(0);
      let settled = false;
      const sock = u.protocol === 'https:'
        ? tls.connect({ host: address, port, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'], ...(net.isIP(host) ? {} : { servername: host }) })
        : net.connect({ host: address, port });
      const done = (closed: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer); ctx.signal.removeEventListener('abort', abort);
        sock.destroy();
        const s = buf.toString('latin1');
        resolve({ bytes: buf, http1: /^HTTP\/1\.[01] \d{3}/.test(s), h2Frames: buf.length >= 9 && buf[0] === 0 && (buf[3] === 0x04 || buf[3] === 0x07), closed: closed && buf.length === 0 });
      };
      const abort = () => done(false);
      const timer = setTimeout(() => done(false), timeoutMs);
      ctx.signal.addEventListener('abort', abort, { once: true });
      sock.once(u.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
        sock.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUser-Agent: flyte-doctor\r\nConnection: close\r\n\r\n`);
      });
      sock.on('data', (d: Buffer) => { buf = Buffer.concat([buf, d]).subarray(0, 512); if (buf.length >= 512) done(false); });
      sock.once('end', () => done(true));
      sock.once('close', () => done(true));
      sock.once('error', () => done(true));
    });
  } catch {
    return undefined;
  }
}
