// gRPC the way flytectl/pyflyte dial flyteadmin: @grpc/grpc-js as the transport, Flyte's messages
// in the wire format by hand (src/clients/flyteidl-wire.ts: empty requests, the response fields the
// checks read; tested against @flyteorg/flyteidl's own encoder), grpc.health.v1 (its two one-field
// messages encoded here). Names are resolved here (through --dns-server when given)
// and the address is dialled with ssl_target_name_override/default_authority = the name, so TLS
// verifies the name the user configured. One channel per endpoint per run (ctx.shared); every call
// has a deadline inside the check's budget and is cancelled with ctx.signal.
//
// Evidence only: a failed call is a GrpcCallError (status, details, peer address) that
// classifyGrpcError() sorts into transport / HTTP-status / peer-status / protocol evidence, and
// h2Evidence() shows what the endpoint answers to a gRPC-shaped HTTP/2 request (status,
// content-type, grpc-status, headers, body start). The checks turn that into findings.
import { hostPort, type GrpcTarget } from '../config/endpoints.js';
import { clientTrust } from './trust.js';
import { sharedSecureContext } from './secure-context.js';
import { probeTimeout, seconds } from '../engine/budget.js';
import type { CheckContext, Json } from '../engine/types.js';
import { DnsError, resolveHost } from './resolve.js';
import { ProbeError, classifyNetError, type NetErrorKind } from './tls.js';
import { RESPONSES, decodeMessage, type Schema } from './flyteidl-wire.js';

// ---------------------------------------------------------------- trust and budgets

/** The per-call setup every gRPC check shares: the client's trust options, a probe timeout within the check's budget, and the address for messages. */
export async function grpcCallSetup(ctx: CheckContext, t: GrpcTarget, capMs = 3000): Promise<{ o: GrpcOptions; timeoutMs: number; where: string }> {
  const trust = await clientTrust(ctx.target);
  return { o: { ...(trust.ca ? { ca: trust.ca } : {}), skipVerify: trust.skipVerify }, timeoutMs: probeTimeout(ctx, capMs), where: hostPort(t) };
}

// ---------------------------------------------------------------- calls

type GrpcJs = typeof import('@grpc/grpc-js');
type GrpcClient = import('@grpc/grpc-js').Client;

export class GrpcCallError extends Error {
  override readonly name = 'GrpcCallError';
  /** For a deadline grpc-js met before it called the transport ready: how far a plain connection got (watchTransport). */
  transport?: TransportSeen;
  /**
   * The status came from the peer (grpc-status in its headers or trailers): grpc-js hands the peer's
   * metadata (content-type at least) with it; the statuses it makes up itself carry none.
   */
  fromPeer = false;
  constructor(readonly code: number, readonly codeName: string, readonly details: string, readonly path: string, readonly address: string) {
    super(`${path}: ${codeName}: ${details}`);
  }
}

/** What a plain connection to the endpoint met, alongside the calls (see watchTransport). */
export interface TransportSeen { tcp: boolean; /** the TLS handshake completed */ tls: boolean; alpn?: string | false; settings: boolean; bytes: number; error?: string }

/**
 * grpc-js reports "Deadline exceeded … Waiting for LB pick" both for a port that never accepts and
 * for a server that completes TCP and TLS and then never sends its HTTP/2 SETTINGS (a hung proxy, a
 * TLS terminator whose backend is gone): one connection per endpoint and run, made next to the calls,
 * tells them apart without costing a call any time (its state is read when a call's deadline passes).
 */
function watchTransport(ctx: CheckContext, t: GrpcTarget, address: string): Promise<TransportSeen> {
  return ctx.shared(`grpc-transport:${hostPort(t)}:${t.tls ? 'tls' : 'plain'}:${address}`, async (signal) => {
    const net = await import('node:net');
    const tls = await import('node:tls');
    const seen: TransportSeen = { tcp: false, tls: false, settings: false, bytes: 0 };
    const sock = t.tls
      ? tls.connect({ host: address, port: t.port, rejectUnauthorized: false, ALPNProtocols: ['h2'], ...(net.isIP(t.host) ? {} : { servername: t.host }) })
      : net.connect({ host: address, port: t.port });
    // the client connection preface and an empty SETTINGS frame: a live HTTP/2 server answers with its SETTINGS
    const preface = Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]);
    const end = () => sock.destroy();
    sock.once('connect', () => { seen.tcp = true; if (!t.tls) sock.write(preface); });
    sock.once('secureConnect', () => { seen.tls = true; seen.alpn = (sock as import('node:tls').TLSSocket).alpnProtocol ?? false; sock.write(preface); });
    sock.on('data', (d: Buffer) => { seen.bytes += d.length; if (d.length >= 9 && d[3] === 0x04) seen.settings = true; end(); });
    sock.on('error', (e) => { seen.error = e.message; });
    sock.setTimeout(0);
    if (signal.aborted) end(); else signal.addEventListener('abort', end, { once: true });
    return seen;
  });
}

export interface GrpcOptions { ca?: string[]; skipVerify?: boolean }

async function grpcJs(): Promise<GrpcJs> {
  const m = (await import('@grpc/grpc-js')) as GrpcJs & { default?: GrpcJs };
  return (m.default ?? m) as GrpcJs;
}

interface Channel { client: GrpcClient; address: string }

async function channelFor(ctx: CheckContext, t: GrpcTarget, o: GrpcOptions, timeoutMs: number): Promise<Channel> {
  const key = `grpc:${hostPort(t)}:${t.tls ? 'tls' : 'plain'}:${o.skipVerify ? 'skip' : 'verify'}:${(o.ca ?? []).length}:${ctx.target.dnsServer ?? 'system'}`;
  return ctx.shared(key, async () => {
    const grpc = await grpcJs();
    let address: string;
    try {
      address = (await resolveHost(t.host, ctx.target.dnsServer, timeoutMs)).address;
    } catch (e) {
      if (e instanceof DnsError) throw new ProbeError(e.kind === 'nxdomain' ? 'nxdomain' : 'dns', e.message, e.code);
      throw e;
    }
    const { isIP } = await import('node:net');
    const dial = isIP(address) === 6 ? `ipv6:[${address}]:${t.port}` : `${address}:${t.port}`;
    const authority = t.port === (t.tls ? 443 : 80) ? t.host : hostPort(t);
    const verify = o.skipVerify ? { rejectUnauthorized: false, checkServerIdentity: () => undefined } : {};
    const shared = t.tls && o.ca ? await sharedSecureContext({ ca: o.ca }) : undefined;
    const creds = !t.tls ? grpc.credentials.createInsecure()
      : shared ? grpc.credentials.createFromSecureContext(shared, verify)
        : grpc.credentials.createSsl(o.ca ? Buffer.from(o.ca.join('\n')) : null, null, null, verify);
    const client = new grpc.Client(dial, creds, {
      'grpc.default_authority': authority,
      ...(t.tls && !isIP(t.host) ? { 'grpc.ssl_target_name_override': t.host } : {}),
      'grpc.max_receive_message_length': 16 * 1024 * 1024,
      'grpc.enable_retries': 0,
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 1000,
    });
    return { client, address };
  }, (ch) => { ch.client.close(); });
}

/** One unary call with raw (de)serializers; rejects with GrpcCallError (or ProbeError for DNS). */
export async function unaryCall<Req, Res>(
  ctx: CheckContext, t: GrpcTarget, o: GrpcOptions, path: string,
  serialize: (r: Req) => Buffer, deserialize: (b: Buffer) => Res, req: Req,
  timeoutMs: number, metadata?: Record<string, string>,
): Promise<Res> {
  const grpc = await grpcJs();
  const ch = await channelFor(ctx, t, o, timeoutMs);
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata ?? {})) md.set(k, v);
  return new Promise<Res>((resolve, reject) => {
    // The SDKs load before the call (CPU time): keep the deadline inside what is left of the check's
    // budget, so a dead endpoint ends as this check's own finding, not as the engine's timeout.
    const deadlineMs = Math.max(100, Math.min(timeoutMs, ctx.remainingMs() - 250));
    let seen: TransportSeen | undefined;
    // (only for a call still unanswered at half its deadline: a healthy run opens no extra connection)
    const watch = setTimeout(() => { watchTransport(ctx, t, ch.address).then((s) => { seen = s; }, () => undefined); }, Math.min(deadlineMs / 2, 1000));
    const call = ch.client.makeUnaryRequest(path, serialize, deserialize, req, md, { deadline: new Date(Date.now() + deadlineMs) }, (err, res) => {
      clearTimeout(watch);
      ctx.signal.removeEventListener('abort', onAbort);
      if (err) {
        // A receive filter that rejects with a plain Error (grpc-js: the answer's grpc-encoding is one it
        // has no decompressor for) ends the call with no code and no details ("undefined undefined: undefined").
        if (err.code === undefined && err.details === undefined) {
          const e = new GrpcCallError(grpc.status.INTERNAL, 'INTERNAL', `${UNSUPPORTED_ENCODING} this client did not offer and cannot decode (it accepts identity, gzip and deflate, as flytectl and flytekit do): a gRPC server or proxy that compresses answers regardless of grpc-accept-encoding`, path, `${ch.address}:${t.port}`);
          e.fromPeer = true;
          reject(e);
          return;
        }
        const code = err.code ?? grpc.status.UNKNOWN;
        const e = new GrpcCallError(code, grpc.status[code] ?? String(code), err.details ?? err.message, path, `${ch.address}:${t.port}`);
        e.fromPeer = Object.keys(err.metadata?.getMap?.() ?? {}).length > 0;
        if (seen && code === grpc.status.DEADLINE_EXCEEDED) e.transport = { ...seen };
        reject(e);
      } else resolve(res as Res);
    });
    const onAbort = () => call.cancel();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
  });
}

export interface AdminVersion { version: string; build: string; buildTime: string }

/** flyteidl.service.AdminService/GetVersion. */
export async function getVersion(ctx: CheckContext, t: GrpcTarget, o: GrpcOptions, timeoutMs: number): Promise<AdminVersion> {
  const res = await callFlyteMethod(ctx, t, o, 'flyteidl.service.AdminService', 'GetVersion', timeoutMs);
  const v = (res.controlPlaneVersion ?? {}) as Record<string, Json>;
  return { version: String(v.Version ?? ''), build: String(v.Build ?? ''), buildTime: String(v.BuildTime ?? '') };
}

/**
 * grpc.health.v1 by hand: HealthCheckRequest { string service = 1 } and HealthCheckResponse
 * { ServingStatus status = 1 } are one field each. (grpc-health-check built a protobufjs root and
 * descriptors for them when loaded: ~50 ms of a verify.)
 */
const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];
export function encodeHealthRequest(service: string): Buffer {
  // (an empty name is sent as an empty field, as the reference serializer does)
  const bytes = Buffer.from(service, 'utf8');
  const len: number[] = [];
  for (let n = bytes.length; ; n >>>= 7) { if (n < 0x80) { len.push(n); break; } len.push((n & 0x7f) | 0x80); }
  return Buffer.concat([Buffer.from([0x0a, ...len]), bytes]);
}
const HEALTH_RESPONSE: Schema = { name: 'grpc.health.v1.HealthCheckResponse', fields: { 1: ['status', { enum: SERVING_STATUS }] } };
/** The status name ('SERVING', ...; the number when the enum has no name for it). Throws on bytes that are not the message. */
export function decodeHealthResponse(b: Buffer): string {
  let m: Record<string, Json>;
  try { m = decodeMessage(b, HEALTH_RESPONSE); } catch (e) { throw new Error(`invalid HealthCheckResponse: ${(e as Error).message}`); }
  return String(m.status ?? SERVING_STATUS[0]); // proto3: an absent field is the default
}

/** grpc.health.v1.Health/Check; returns the serving status name ('SERVING', 'NOT_SERVING', ...). */
export async function healthCheck(ctx: CheckContext, t: GrpcTarget, o: GrpcOptions, timeoutMs: number, service = ''): Promise<string> {
  // Decoded after the call, as callFlyteMethod does: an answer that is not a HealthCheckResponse is
  // evidence of another server on the path, not grpc-js's "Response message parsing error".
  const raw = await unaryCall<string, Buffer>(ctx, t, o, '/grpc.health.v1.Health/Check', encodeHealthRequest, (b) => b, service, timeoutMs);
  return decodeHealthResponse(raw);
}

/**
 * One unary method of a Flyte service (`DataProxyService`, `SignalService`, `IdentityService`,
 * `AuthMetadataService`, `AdminService`) with an empty request message. Resolves the response as
 * protobufjs's JSON of it (src/clients/flyteidl-wire.ts: the fields of the responses the checks read;
 * other responses are checked and resolve as {}); rejects like unaryCall, or with a WireError when
 * the peer's answer is not a protobuf message of the method's response type.
 */
export async function callFlyteMethod(ctx: CheckContext, t: GrpcTarget, o: GrpcOptions, service: string, method: string, timeoutMs: number, metadata?: Record<string, string>): Promise<Record<string, Json>> {
  const path = `/${service}/${method}`;
  const raw = await unaryCall<null, Buffer>(ctx, t, o, path, () => Buffer.alloc(0), (b) => b, null, timeoutMs, metadata);
  return decodeMessage(raw, RESPONSES[path]);
}

// ---------------------------------------------------------------- classification (evidence)

/**
 * What a failed call tells:
 * - a NetErrorKind: no HTTP/2 exchange happened (DNS, refused, timeout, TLS, plaintext, reset);
 * - 'http': an HTTP answer without grpc-status (grpc-js maps the HTTP status to a gRPC code);
 * - 'status': the peer sent a grpc-status (a gRPC server or a gRPC-aware proxy);
 * - 'protocol': the peer does not speak gRPC over HTTP/2 (HTTP/1.x answer to the preface, a stream
 *   ended without status, an answer that is not the method's response message);
 * - 'deadline': connected (or not) but no answer before the deadline.
 */
export type GrpcFailureKind = 'http' | 'status' | 'protocol' | 'deadline' | NetErrorKind;

export interface GrpcFailure {
  kind: GrpcFailureKind;
  /** gRPC status name (UNAVAILABLE, UNIMPLEMENTED, ...), as the client reported it. */
  code?: string;
  /** The HTTP status when the answer had none (kind 'http'). */
  httpStatus?: number;
  /** Error code of a transport failure (ECONNREFUSED, CERT_HAS_EXPIRED, ...). */
  errorCode?: string;
  /** The status details / error text. */
  detail: string;
  /** The address dialled (ip:port), when known. */
  address?: string;
  /** For 'deadline': a connection was established (grpc-js reports remote_addr). */
  connected?: boolean;
}

/** HTTP/2 error codes (RFC 9113 section 7). */
const H2_ERRORS = ['NO_ERROR', 'PROTOCOL_ERROR', 'INTERNAL_ERROR', 'FLOW_CONTROL_ERROR', 'SETTINGS_TIMEOUT', 'STREAM_CLOSED', 'FRAME_SIZE_ERROR', 'REFUSED_STREAM', 'CANCEL', 'COMPRESSION_ERROR', 'CONNECT_ERROR', 'ENHANCE_YOUR_CALM', 'INADEQUATE_SECURITY', 'HTTP_1_1_REQUIRED'];
const UNSUPPORTED_ENCODING = 'the answer is compressed with a grpc-encoding';

/** Texts grpc-js synthesizes itself (no status came from the peer). */
const CLIENT_SIDE = /^(No connection established|Connection dropped|Stream refused by server|Call cancelled|Bandwidth exhausted|Protocol not secure enough|Received RST_STREAM|No status information received|failed to connect to all addresses|Deadline exceeded|Waiting for LB pick|Name resolution failed|Failed to parse server response|Received message larger than max|Response message parsing error|read ECONNRESET|Error: )/i;

/** Sorts a GrpcCallError / ProbeError / decode error into evidence. Never throws. */
export function classifyGrpcError(err: unknown): GrpcFailure {
  if (err instanceof ProbeError) return { kind: err.kind, ...(err.code ? { errorCode: err.code } : {}), detail: err.message, ...(err.address ? { address: err.address } : {}) };
  if (!(err instanceof GrpcCallError)) {
    const msg = (err as Error)?.message ?? String(err);
    // decoding the peer's answer as the response message failed (flyteidl-wire.ts): not this method's answer.
    if (/index out of range|invalid wire type|illegal tag|invalid (?:utf8|varint)|Unexpected end|premature end/i.test(msg)) return { kind: 'protocol', code: 'INTERNAL', detail: `the answer is not the method's response message: ${msg}` };
    const c = classifyNetError(err);
    return { kind: c.kind, ...(c.code ? { errorCode: c.code } : {}), detail: msg };
  }
  const d = err.details;
  const base = { code: err.codeName, detail: d, address: err.address };
  const http = /^Received HTTP status code (\d+)$/.exec(d.trim());
  if (http) return { ...base, kind: 'http', httpStatus: Number(http[1]) };
  // grpc-js's own deadline says "Deadline exceeded[ after ...]"; any other text is a status the peer
  // sent (Envoy's "upstream request timeout", Go's "context deadline exceeded"): an answer, not silence.
  // So is an empty one that came with the peer's metadata (grpc-status 4 without grpc-message).
  if (err.codeName === 'DEADLINE_EXCEEDED') {
    if (!(/^Deadline exceeded\b/i.test(d.trim()) || (!d.trim() && !err.fromPeer))) return { ...base, kind: 'status' };
    if (/remote_addr=\S+/.test(d)) return { ...base, kind: 'deadline', connected: true };
    // grpc-js never called the transport ready, but a plain connection got through TCP (and TLS) and
    // the server stayed silent: connected, not "no answer" (a firewall would not have let TCP through)
    const tr = err.transport;
    // (TLS endpoints only: a bare TCP accept with nothing behind it is the black hole the TLS checks name)
    if (tr?.tls && !tr.settings) {
      return { ...base, kind: 'deadline', connected: true, detail: `${d}; the TLS handshake completed${tr.alpn ? ` (ALPN ${tr.alpn})` : ' (no ALPN)'}, then the server sent ${tr.bytes ? `${tr.bytes} byte(s) that are not HTTP/2 SETTINGS` : 'nothing (no HTTP/2 SETTINGS)'}` };
    }
    return { ...base, kind: 'deadline', connected: false };
  }
  // "Call cancelled": our own cancel (the check's signal; the caller knows) or an RST_STREAM(CANCEL) from the peer.
  if (err.codeName === 'CANCELLED' && /Call cancelled/i.test(d)) return { ...base, kind: 'status' };
  // An answer compressed with an encoding grpc-js cannot decode (unaryCall): the peer answered, in a form no Flyte client reads.
  if (d.startsWith(UNSUPPORTED_ENCODING)) return { ...base, kind: 'other' };
  if (/^Failed to decompress \S+-encoded message/i.test(d.trim())) return { ...base, kind: 'other', detail: `${d}: the answer says it is compressed, but its bytes do not decompress (a proxy that rewrites gRPC frames, or not a gRPC answer)` };
  // This client's receive limit (16 MB), not the server's: flyteadmin answers every probed method in
  // well under a kilobyte, so a bigger frame is not its answer (an HTTP body read as a gRPC frame, another server).
  const big = /^Received message (?:larger than max \((\d+) vs \d+\)|that decompresses to a size larger than \d+)/i.exec(d.trim());
  if (big) {
    return { ...base, kind: 'protocol', detail: `the answer is not the method's response message: ${d}: ${big[1] ? `the frame announces ${big[1]} bytes` : 'it decompresses'} past this client's receive limit (grpc.max_receive_message_length, 16 MB), while flyteadmin answers ${err.path} in well under a kilobyte (this is not flyteadmin's server.grpc.maxMessageSizeBytes, which says "Sent message larger than max")` };
  }
  // grpc-js's own UNIMPLEMENTED for a unary call whose answer is not exactly one message: the peer said
  // OK (or sent more), it never said UNIMPLEMENTED, so this proves no route and no missing service.
  if (err.codeName === 'UNIMPLEMENTED' && /^(No message received|Too many responses received)$/i.test(d.trim())) {
    return { ...base, kind: 'protocol', code: 'OK', detail: `the answer is not the method's response message: ${/^No/i.test(d.trim()) ? 'grpc-status 0 (OK) with no response message' : 'more than one response message'} for a unary method, which answers exactly one (grpc-js: "${d.trim()}")` };
  }
  // HTTP/2 stream resets grpc-js reports with its own words; say what the peer did.
  if (/^Bandwidth exhausted/i.test(d.trim())) {
    return { ...base, kind: 'status', detail: `${d} (the peer reset the stream with RST_STREAM ENHANCE_YOUR_CALM, HTTP/2 error 11: its rate or abuse limit, e.g. Envoy's overload manager or a proxy's HTTP/2 flood protection)` };
  }
  if (/^Stream refused by server/i.test(d.trim())) {
    return { ...base, kind: 'other', detail: `${d}: the HTTP/2 server refused every stream before processing it (RST_STREAM REFUSED_STREAM, or a GOAWAY that drops new streams): it is draining or shutting down, or at its concurrent-stream limit; the connection itself works` };
  }
  // The server ended the HTTP/2 connection with GOAWAY(error) while the call was open (Node: "Session closed with error code N").
  // (not code 1: Node closes its own session with PROTOCOL_ERROR when the answer is not valid HTTP/2, see below)
  const goaway = /Session closed with error code (\d+)/i.exec(d);
  if (goaway && goaway[1] !== '1') {
    const name = H2_ERRORS[Number(goaway[1])] ?? `error ${goaway[1]}`;
    return { ...base, kind: 'other', detail: `${d}: the server closed the HTTP/2 connection with GOAWAY ${name} while the call was open (HTTP/2 spoken, the call dropped: a proxy that fails or restarts, or refuses this client's HTTP/2 use)` };
  }
  if (/^Received RST_STREAM with code 13\b/i.test(d.trim())) {
    return { ...base, kind: 'other', detail: `${d} (HTTP_1_1_REQUIRED): the server refuses HTTP/2 for this request and asks for HTTP/1.1, which cannot carry gRPC (a WAF, or IIS/HTTP.sys wanting a client certificate by renegotiation)` };
  }
  if (CLIENT_SIDE.test(d.trim()) || (err.codeName === 'UNAVAILABLE' && !d.trim() && !err.fromPeer)) {
    if (/Protocol error|RST_STREAM with code \d+ \(Call ended without gRPC status\)|No status information received|Failed to parse server response|Response message parsing error|http1\.x/i.test(d)) return { ...base, kind: 'protocol' };
    if (/Received RST_STREAM with code 2/i.test(d) && !/triggered by internal client error: (?!Protocol error)/i.test(d)) return { ...base, kind: 'protocol' };
    if (/Received RST_STREAM with code 1\b/i.test(d)) return { ...base, kind: 'protocol' }; // Node >= 24 resets an answer that is not valid HTTP/2 (':status: 0' relayed from an HTTP/1.x upstream) with PROTOCOL_ERROR
    if (/Received message larger than max|Bandwidth exhausted/i.test(d)) return { ...base, kind: 'status' };
    const net = classifyNetError(d);
    if (net.kind !== 'other') return { ...base, kind: net.kind, ...(net.code ? { errorCode: net.code } : {}) };
    if (/Connection dropped|Stream refused|RST_STREAM/i.test(d)) return { ...base, kind: 'reset', errorCode: 'ECONNRESET' };
    return { ...base, kind: 'other' };
  }
  return { ...base, kind: 'status' };
}

export interface H2Evidence {
  alpn?: string;
  status?: number;
  contentType?: string;
  grpcStatus?: string;
  grpcMessage?: string;
  server?: string;
  location?: string;
  wwwAuthenticate?: string;
  /** Printable start of the body (markup stripped), for messages. */
  snippet?: string;
  /** The raw start of the body (up to 2 KB, text), for shape detection. */
  body?: string;
  error?: string;
}

/**
 * What the endpoint answers to a gRPC-shaped HTTP/2 POST (node:http2): the HTTP status, headers and
 * body start that grpc-js does not surface. Evidence only; never throws.
 */
export async function h2Evidence(ctx: CheckContext, t: GrpcTarget, o: GrpcOptions, path: string, timeoutMs: number): Promise<H2Evidence> {
  try {
    const http2 = await import('node:http2');
    const address = (await resolveHost(t.host, ctx.target.dnsServer, timeoutMs)).address;
    const { isIP } = await import('node:net');
    const origin = `${t.tls ? 'https' : 'http'}://${hostPort(t)}`;
    const h2Context = t.tls && o.ca ? await sharedSecureContext({ ca: o.ca }) : undefined;
    return await new Promise<H2Evidence>((resolve) => {
      const ev: H2Evidence = {};
      let done = false;
      const session = http2.connect(origin, {
        ...(t.tls ? { ...(h2Context ? { secureContext: h2Context } : { ca: o.ca }), rejectUnauthorized: false, ...(isIP(t.host) ? {} : { servername: t.host }), ALPNProtocols: ['h2'] } : {}),
        lookup: ((_h: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) => opts?.all ? cb(null, [{ address, family: isIP(address) }]) : cb(null, address, isIP(address))) as never,
      });
      const finish = () => { if (done) return; done = true; clearTimeout(timer); ctx.signal.removeEventListener('abort', finish); session.destroy(); resolve(ev); };
      const timer = setTimeout(() => { ev.error ??= `no answer within ${seconds(timeoutMs)}`; finish(); }, timeoutMs);
      ctx.signal.addEventListener('abort', finish, { once: true });
      session.on('error', (e) => { ev.error = e.message; finish(); });
      session.on('connect', (s) => { const a = (s.socket as { alpnProtocol?: string | false }).alpnProtocol; if (a) ev.alpn = a; });
      const req = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
      const one = (v: unknown) => (Array.isArray(v) ? v.join(', ') : String(v));
      req.on('response', (h) => {
        ev.status = Number(h[':status']);
        if (h['content-type']) ev.contentType = one(h['content-type']);
        if (h['grpc-status'] !== undefined) ev.grpcStatus = one(h['grpc-status']);
        if (h['grpc-message'] !== undefined) ev.grpcMessage = decodeURIComponent(one(h['grpc-message'])).slice(0, 300);
        if (h.server) ev.server = one(h.server);
        if (h.location) ev.location = one(h.location);
        if (h['www-authenticate']) ev.wwwAuthenticate = one(h['www-authenticate']).slice(0, 200);
      });
      req.on('trailers', (h) => {
        if (h['grpc-status'] !== undefined) ev.grpcStatus = one(h['grpc-status']);
        if (h['grpc-message'] !== undefined) ev.grpcMessage = decodeURIComponent(one(h['grpc-message'])).slice(0, 300);
      });
      let body = Buffer.alloc(0);
      req.on('data', (d: Buffer) => { if (body.length < 2048) body = Buffer.concat([body, d]).subarray(0, 2048); });
      req.on('end', () => {
        if (body.length) {
          const text = body.toString('utf8');
          if (!/^[\x00-\x08]/.test(text)) {
            ev.body = text;
            const s = text.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 160);
            if (s) ev.snippet = s;
          }
        }
        finish();
      });
      req.on('error', (e) => { ev.error = e.message; if (ev.status === undefined && /NGHTTP2_PROTOCOL_ERROR/.test(e.message)) ev.status = 0; finish(); });
      req.end(Buffer.from([0, 0, 0, 0, 0]));
    });
  } catch (e) {
    return { error: (e as Error).message };
  }
}
