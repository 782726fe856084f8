// HTTP probes through undici 7: one Agent per origin and TLS setting per run (ctx.shared), names
// resolved through --dns-server when given (TLS still verifies the name), every request bounded by
// the check's signal and the probe's own I/O timeout. Redirects are not followed automatically: the
// caller sees each hop (a 307 to /console/ or to an IdP is evidence).
import type { CheckContext } from '../engine/types.js';
import { sharedSecureContext } from './secure-context.js';
import { lookupFor, resolveHost } from './resolve.js';
import { stalledText } from './answers.js';
import { ProbeError, classifyNetError } from './tls.js';
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

async function agentFor(ctx: CheckContext, origin: string, o: HttpTls): Promise<Agent> {
  const key = `http-agent:${origin}:${o.skipVerify ? 'skip' : 'verify'}:${(o.ca ?? []).length}:${ctx.target.dnsServer ?? 'system'}`;
  return ctx.shared(key, async () => {
    const { Agent } = await undici();
    const lookup = lookupFor(ctx.target.dnsServer);
    const secureContext = o.ca ? await sharedSecureContext({ ca: o.ca }) : undefined;
    return new Agent({
      connect: {
        ...(secureContext ? { secureContext } : o.ca ? { ca: o.ca } : {}),
        rejectUnauthorized: !o.skipVerify,
        ...(lookup ? { lookup } : {}),
        timeout: 30_000,
      },
      connections: 4,
      pipelining: 0,
    });
  }, async (a) => { await a.destroy(); });
}

/** GET/POST one URL. Throws ProbeError (kind dns/refused/timeout/tls...) when no HTTP answer came. */
export async function httpRequest(ctx: CheckContext, url: string, o: HttpRequestOptions): Promise<HttpResponse> {
  const { request } = await undici();
  const u = new URL(url);
  const dispatcher = await agentFor(ctx, u.origin, o);
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
    const pending = request(url, {
      dispatcher, signal, method: o.method ?? 'GET',
      headers: { 'user-agent': 'flyte-doctor', ...(o.headers ?? {}) },
      ...(o.body !== undefined ? { body: o.body } : {}),
      headersTimeout: timeoutMs, bodyTimeout: timeoutMs,
      onInfo: ({ statusCode }: { statusCode: number }) => { if (interim.length < 1000) interim.push(statusCode); },
    });
    pending.catch(() => undefined);
    const res = await Promise.race([pending, aborted]).finally(() => signal.removeEventListener('abort', onAbort!));
    const max = o.maxBodyBytes ?? 64 * 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    head = { status: res.statusCode, headers: res.headers, received: () => size, at: Date.now() };
    for await (const chunk of res.body) {
      const b = chunk as Buffer;
      chunks.push(b); size += b.length; lastAt = Date.now(); reads++;
      if (size >= max) { res.body.destroy(); break; }
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
    const location = headers.location ? new URL(headers.location, url).toString() : undefined;
    return {
      url, status: res.statusCode, headers, contentType: headers['content-type'] ?? '',
      body: Buffer.concat(chunks).subarray(0, max).toString('utf8'), ...(location ? { location } : {}),
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
      throw new ProbeError('timeout', `no answer from ${where} within ${Math.round(timeoutMs / 100) / 10}s`, 'ETIMEDOUT');
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
