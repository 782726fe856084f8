// S3 transport for the storage.* checks. Returns evidence, never findings: every request's raw
// answer (status, headers, the start of the body, the S3 error code and whether anything in it
// proves an S3 server answered) or a typed S3ProbeError carrying what happened (the answer, a
// network failure, missing credentials). Also: the probe-object ledger (what this run created,
// under flyte-doctor/<runId>/ only), the bounded parallel cleanup that deletes it and confirms
// what remains, and a plain HTTP probe (endpoint reachability, clock, signed URLs).
import { randomBytes } from 'node:crypto';
import { request as httpRequest, Agent as HttpAgent, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import type { StorageTarget } from '../config/target.js';
import { maskIdentifier } from '../config/secret.js';
import { stalledText } from './answers.js';
import type { CheckContext } from '../engine/types.js';
import { awsSourceText, effectiveEndpoint, shownEndpoint, signedUrlEndpoint, type S3Identity } from '../flyte/storage.js';
import { lookupFor, resolveHost } from './resolve.js';
import { identifyService, type ServiceEvidence } from './sniff.js';
import { timeoutSignal } from '../engine/budget.js';

// ---------------------------------------------------------------- evidence of one answer

/** What answered one HTTP request, as evidence. */
export interface S3Answer {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** Start of the body (at most 1 MiB; probes only read their own small objects). */
  body: Buffer;
  /** S3 error code: `<Code>` of an XML error body, or MinIO's x-minio-error-code (HEAD answers have no body). */
  code?: string;
  message?: string;
  /** x-amz-bucket-region or `<Region>`. */
  region?: string;
  /** `<Endpoint>` of a PermanentRedirect. */
  redirectEndpoint?: string;
  /** Something in the answer proves an S3 API answered (request-id headers, MinIO headers, S3 XML). */
  s3: boolean;
}

const MAX_BODY = 1 << 20;

function xmlField(body: string, tag: string): string | undefined {
  // (a longer field is cut with a marker, not dropped; a body cut at MAX_BODY inside it still shows its start)
  const m = new RegExp(`<${tag}>([^<]*)(</${tag}>|$)`).exec(body);
  if (!m) return undefined;
  const text = m[1]!.length > 2000 ? `${m[1]!.slice(0, 2000)}… [cut: ${m[2] ? `${m[1]!.length - 2000} more characters` : 'the answer was longer than flyte-doctor reads'}]` : m[1]!;
  return text.replace(/&quot;/g, '"').replace(/&apos;/g, '\'').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Headers an S3 implementation sends on every answer (AWS, MinIO, Ceph RGW, Wasabi, Spaces, B2, GCS XML API). */
export function hasS3Headers(h: Record<string, string>): boolean {
  return !!(h['x-amz-request-id'] || h['x-amz-id-2'] || h['x-amz-bucket-region'] || Object.keys(h).some((k) => k.startsWith('x-minio-') || k.startsWith('x-rgw-') || k.startsWith('x-goog-') || k === 'x-guploader-uploadid')
    || /^(AmazonS3|MinIO|Ceph|RGW|SeaweedFS|Garage|UploadServer)/i.test(h.server ?? ''));
}

/** S3 XML in a body: an `<Error><Code>`, a listing, a location, a bucket list. */
export function isS3Xml(body: string): boolean {
  return /<Error>\s*<Code>[^<]+<\/Code>/.test(body) || /<(ListBucketResult|ListAllMyBucketsResult|LocationConstraint|DeleteResult|InitiateMultipartUploadResult|CopyObjectResult)[\s>/]/.test(body);
}

export function answerOf(status: number, rawHeaders: Record<string, unknown>, body: Buffer): S3Answer {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawHeaders)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  const text = body.subarray(0, 64 * 1024).toString('utf8');
  const code = xmlField(text, 'Code') ?? headers['x-minio-error-code'];
  const message = xmlField(text, 'Message') ?? headers['x-minio-error-desc']?.replace(/^"|"$/g, '');
  const region = headers['x-amz-bucket-region'] ?? xmlField(text, 'Region');
  const redirectEndpoint = xmlField(text, 'Endpoint');
  return {
    status, headers, body, s3: hasS3Headers(headers) || isS3Xml(text),
    ...(code ? { code } : {}), ...(message ? { message } : {}), ...(region ? { region } : {}), ...(redirectEndpoint ? { redirectEndpoint } : {}),
  };
}

/**
 * The compression of a body sent compressed although the request asked for none (S3 clients send no
 * Accept-Encoding, and an object store never compresses unasked; a proxy in front may): by its
 * Content-Encoding, or the gzip / zlib magic bytes. Such a body is never inflated (it may inflate to
 * gigabytes), only named.
 */
export function compressedAs(headers: Record<string, string>, body: Buffer): string | undefined {
  const ce = (headers['content-encoding'] ?? '').trim().toLowerCase();
  if (ce && ce !== 'identity') return /^(x-)?gzip\b/.test(ce) ? 'gzip' : /^br\b/.test(ce) ? 'Brotli' : /^deflate\b/.test(ce) ? 'deflate' : /^zstd\b/.test(ce) ? 'zstd' : ce.slice(0, 20);
  if (body.length >= 3 && body[0] === 0x1f && body[1] === 0x8b && body[2] === 0x08) return 'gzip';
  return undefined;
}

/** "an HTML page (title "Sign in") from nginx/1.25.3, HTTP 200" — what answered, for messages. */
export function describeAnswer(a: Pick<S3Answer, 'status' | 'headers' | 'body'>): string {
  const ct = (a.headers['content-type'] ?? '').toLowerCase();
  const text = a.body.subarray(0, 8192).toString('utf8');
  const server = a.headers.server ? ` from ${a.headers.server}` : a.headers['x-powered-by'] ? ` from ${a.headers['x-powered-by']}` : '';
  const title = /<title[^>]*>([^<]{1,80})<\/title>/i.exec(text)?.[1]?.trim().replace(/\s+/g, ' ');
  let what: string;
  const enc = compressedAs(a.headers, a.body);
  if (!a.body.length) what = `an empty answer`;
  else if (enc) what = `a ${enc}-compressed body of ${a.body.length}${a.body.length >= MAX_BODY ? '+' : ''} bytes${a.headers['content-encoding'] ? ` (Content-Encoding: ${a.headers['content-encoding'].slice(0, 30)}` : ' (no Content-Encoding'}, though the request asked for none: not read)`;
  else if (ct.includes('html') || /^\s*(<!doctype html|<html)/i.test(text)) what = `an HTML page${title ? ` ("${title}")` : ''}`;
  else if (ct.includes('json') || /^\s*[{[]/.test(text)) what = `a JSON document (${JSON.stringify(text.slice(0, 60))})`;
  else if (ct.includes('xml') || /^\s*<\?xml|^\s*</.test(text)) what = `an XML document that is not S3's (${JSON.stringify(text.replace(/\s+/g, ' ').slice(0, 60))})`;
  else what = `${a.body.length} bytes of ${ct || 'untyped data'} (${JSON.stringify(text.replace(/\s+/g, ' ').slice(0, 60))})`;
  return `${what}${server}, HTTP ${a.status}${redirectText(a.status, a.headers)}`;
}

/**
 * ` redirecting to https://s3.example.com:9000/bucket/…`: where a 3xx answer points (never followed:
 * the request carried credentials, and a redirect to another origin must not get them). The query is
 * left out (it may hold a signature); an https Location for the same host and port as a plain http
 * request says the endpoint wants TLS.
 */
export function redirectText(status: number, headers: Record<string, string>, from?: string): string {
  const loc = status >= 300 && status < 400 ? headers['location'] : undefined;
  if (!loc) return '';
  let shown: string;
  let upgrade = false;
  try {
    const u = new URL(loc, from ?? 'http://invalid.invalid/');
    shown = `${from || /^[a-z][a-z0-9+.-]*:/i.test(loc) ? u.origin : ''}${u.pathname}${u.search ? '?…' : ''}`;
    if (from) { const f = new URL(from); upgrade = f.protocol === 'http:' && u.protocol === 'https:' && u.hostname === f.hostname; }
  } catch { shown = JSON.stringify(loc.slice(0, 80)); }
  return ` redirecting to ${shown.slice(0, 200)}${upgrade ? ' (to HTTPS: the endpoint wants https://)' : ''}`;
}

// ---------------------------------------------------------------- typed errors

// 'stalled': the status line and headers came, then the body stopped (no more of it within the time):
// the server answered, so it is neither "no answer" nor a dropped connection.
export type NetKind = 'dns' | 'refused' | 'timeout' | 'stalled' | 'unreachable' | 'reset' | 'tls-plaintext' | 'tls-untrusted' | 'tls-name' | 'tls-expired' | 'tls-other' | 'not-http' | 'other';

/** The failure of an answer whose body stopped: what came of it, in the words every storage finding uses. */
export function stalledBody(status: number, headers: Record<string, unknown>, received: number, afterMs: number): NetFailure {
  return { kind: 'stalled', code: 'ETIMEDOUT', message: stalledText(status, headers, received, afterMs) };
}

export interface NetFailure { kind: NetKind; code: string; message: string }

export type S3ErrorKind =
  | 'answer'              // the server answered with an error status (see answer.code)
  | 'network'             // no HTTP answer (see net)
  | 'no-credentials'      // authType iam and the default chain found nothing on this machine
  | 'credentials-provider'// the default chain failed (profile missing, SSO expired, web identity...)
  | 'unparseable';        // a 2xx answer the SDK could not read (not S3)

/** A failed S3 call with its evidence. */
export class S3ProbeError extends Error {
  constructor(
    readonly kind: S3ErrorKind,
    readonly op: string,
    message: string,
    readonly evidence: { answer?: S3Answer; net?: NetFailure; sdkName?: string } = {},
  ) { super(message); this.name = 'S3ProbeError'; }
  get answer(): S3Answer | undefined { return this.evidence.answer; }
  get net(): NetFailure | undefined { return this.evidence.net; }
  get status(): number | undefined { return this.evidence.answer?.status; }
  get code(): string | undefined { return this.evidence.answer?.code; }
}

/** Classifies a Node/SDK network error. */
export function netFailureOf(e: unknown): NetFailure | undefined {
  const err = e as NodeJS.ErrnoException & { $metadata?: unknown; cause?: NodeJS.ErrnoException };
  const code = err?.code ?? err?.cause?.code ?? '';
  const msg = (err?.message ?? String(e)).split('\n')[0]!;
  const name = err?.name ?? '';
  if (/^(ENOTFOUND|EAI_AGAIN|EAI_NONAME|ESERVFAIL|ENODATA|EREFUSED|ENOTIMP|ETIMEOUT)$/.test(code)) return { kind: 'dns', code, message: msg };
  if (code === 'ECONNREFUSED') return { kind: 'refused', code, message: msg };
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL') return { kind: 'unreachable', code, message: msg };
  if (code === 'ETIMEDOUT' || name === 'TimeoutError' || code === 'ABORT_ERR' || name === 'AbortError' || /timed? ?out/i.test(msg) && !code) return { kind: 'timeout', code: code || name || 'timeout', message: msg };
  if (/wrong version number|packet length too long|unknown protocol|http request/i.test(msg) || code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') return { kind: 'tls-plaintext', code: code || 'EPROTO', message: msg };
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return { kind: 'tls-expired', code, message: msg };
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return { kind: 'tls-name', code, message: msg };
  if (/CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code)) return { kind: 'tls-untrusted', code, message: msg };
  if (code === 'EPROTO' || /^ERR_SSL|^ERR_TLS/.test(code) || /SSL|TLS/.test(msg) && !code.startsWith('HPE')) return { kind: 'tls-other', code: code || 'EPROTO', message: msg };
  if (code === 'HPE_HEADER_OVERFLOW') return { kind: 'not-http', code, message: `the answer's header block is larger than ${MAX_HEADER_BYTES / 1024 / 1024} MiB (oversized headers, not an object store's answer)` };
  if (code.startsWith('HPE_') || /Parse Error/i.test(msg)) return { kind: 'not-http', code: code || 'HPE', message: msg };
  if (code === 'ECONNRESET' || code === 'EPIPE' || /socket hang up/i.test(msg)) return { kind: 'reset', code: code || 'ECONNRESET', message: msg };
  if (code && /^E[A-Z]+$/.test(code)) return { kind: 'other', code, message: msg };
  return undefined;
}

// ---------------------------------------------------------------- the client

interface ClientBox { client: S3Client; identity?: S3Identity }

function agentOpts(ctx: CheckContext) {
  const lookup = lookupFor(ctx.target.dnsServer);
  return { keepAlive: true, maxSockets: 32, ...(lookup ? { lookup } : {}) };
}

/**
 * The largest header block of an answer read (status line and headers). Node's default is 16 KiB;
 * Go's net/http client, which Flyte's pods use, reads up to 10 MB (MaxResponseHeaderBytes), so an
 * answer carrying a 20 KiB cookie or a long header list is one Flyte reads: it is read here too and
 * judged on what it says, not refused as "closed the connection". A larger block still ends at the
 * cap, named as oversized (headerOverflowText).
 */
export const MAX_HEADER_BYTES = 1 << 20;

/** An Agent whose requests read header blocks up to MAX_HEADER_BYTES (set per request before its socket's parser starts). */
export function roomyHeaders<A extends HttpAgent>(a: A): A {
  const add = (a as unknown as { addRequest(req: { maxHeaderSize?: number }, o: unknown): void }).addRequest.bind(a);
  (a as unknown as { addRequest(req: { maxHeaderSize?: number }, o: unknown): void }).addRequest = (req, o) => { req.maxHeaderSize ??= MAX_HEADER_BYTES; add(req, o); };
  return a;
}

/** `127.0.0.1:9000 answered with a header block larger than 1 MiB (…)`: what a header overflow means, for messages. */
export function headerOverflowText(where: string): string {
  return `${where} answered with a header block larger than ${MAX_HEADER_BYTES / 1024 / 1024} MiB (HPE_HEADER_OVERFLOW: oversized headers, not an object store's answer; Flyte's clients refuse it too above 10 MB)`;
}

async function buildClient(st: StorageTarget, ctx: CheckContext, endpoint?: string): Promise<S3Client> {
  const { S3Client, NodeHttpHandler } = await import('../sdk/aws.js');
  const custom = endpoint ?? (st.endpoint ? effectiveEndpoint(st) : undefined);
  return new S3Client({
    region: st.region ?? 'us-east-1',
    ...(custom ? { endpoint: custom } : {}),
    forcePathStyle: st.forcePathStyle ?? !!st.endpoint,
    ...(st.authType === 'accesskey' ? { credentials: { accessKeyId: st.accessKey ?? '', secretAccessKey: st.secretKey?.reveal() ?? '' } } : {}),
    maxAttempts: 1,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // Every setting the SDK would otherwise take from this shell's AWS_* variables or ~/.aws/config
    // (AWS_USE_FIPS_ENDPOINT, AWS_USE_DUALSTACK_ENDPOINT, AWS_DEFAULTS_MODE, AWS_RETRY_MODE,
    // AWS_ENDPOINT_URL(_S3), endpoint_url, s3_use_arn_region...) is set: the probe talks to the
    // store the target names, as Flyte's pods would, whatever the operator's shell holds. Only the
    // credentials of authType iam come from this machine, and the findings say so.
    useFipsEndpoint: false,
    useDualstackEndpoint: false,
    defaultsMode: 'standard',
    retryMode: 'standard',
    useArnRegion: false,
    disableMultiregionAccessPoints: true,
    ignoreConfiguredEndpointUrls: true,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 5000, requestTimeout: 10_000,
      httpAgent: roomyHeaders(new HttpAgent(agentOpts(ctx))),
      httpsAgent: roomyHeaders(new HttpsAgent(agentOpts(ctx))),
    }),
  });
}

function clientKey(st: StorageTarget, endpoint?: string): string {
  return `s3:${endpoint ?? effectiveEndpoint(st)}:${st.region ?? ''}:${st.authType}:${st.accessKey ?? ''}`;
}

/** The shared S3 client of the run (one per endpoint/credentials). */
export async function s3ClientFor(ctx: CheckContext): Promise<S3Client> {
  return (await box(ctx)).client;
}

/**
 * The client that signs URLs the way Flyte's data proxy does: with the signed-URL endpoint
 * override when the values set one (storage.signedUrl.stowConfigOverride.endpoint), else the
 * store's endpoint. Same credentials.
 */
export async function s3PresignClient(ctx: CheckContext): Promise<S3Client> {
  const st = ctx.target.storage!;
  const override = signedUrlEndpoint(st);
  if (!override) return s3ClientFor(ctx);
  await box(ctx); // credentials registered with the redactor
  return ctx.shared(`${clientKey(st, override)}:presign`, () => buildClient(st, ctx, override), (c) => c.destroy());
}

function box(ctx: CheckContext): Promise<ClientBox> {
  const st = ctx.target.storage!;
  ctx.addSecret(st.secretKey?.reveal());
  return ctx.shared(clientKey(st), async () => ({ client: await buildClient(st, ctx) }), (b) => b.client.destroy());
}

/**
 * Who the probes run as. authType accesskey: the values' key (Flyte uses the same). authType iam:
 * this machine's default credential chain, resolved once (its secrets registered with the
 * redactor). Throws S3ProbeError 'no-credentials' / 'credentials-provider'.
 */
export async function s3Identity(ctx: CheckContext): Promise<S3Identity> {
  const st = ctx.target.storage!;
  if (st.authType === 'accesskey') return { mode: 'accesskey', ...(st.accessKey ? { keyId: maskIdentifier(st.accessKey) } : {}), source: 'values' };
  const b = await box(ctx);
  if (b.identity) return b.identity;
  return ctx.shared(`${clientKey(st)}:identity`, async () => {
    let creds: { accessKeyId: string; secretAccessKey: string; sessionToken?: string; $source?: Record<string, string> };
    try {
      const limit = Math.max(300, Math.min(4000, ctx.remainingMs() - 500));
      creds = await withDeadline(b.client.config.credentials(), limit, () => new S3ProbeError('credentials-provider', 'resolve credentials', `the AWS default credential chain did not answer within ${Math.round(limit / 100) / 10}s (instance metadata or SSO endpoint not answering?)`));
    } catch (e) {
      if (e instanceof S3ProbeError) throw e;
      const err = e as Error;
      const msg = (err?.message ?? String(e)).split('\n')[0]!;
      if (/could not load credentials from any providers/i.test(msg)) throw new S3ProbeError('no-credentials', 'resolve credentials', msg, { sdkName: err?.name ?? 'CredentialsProviderError' });
      throw new S3ProbeError('credentials-provider', 'resolve credentials', msg, { sdkName: err?.name ?? 'Error' });
    }
    ctx.addSecret(creds.secretAccessKey);
    ctx.addSecret(creds.sessionToken);
    const id: S3Identity = { mode: 'machine', ...(creds.accessKeyId ? { keyId: maskIdentifier(creds.accessKeyId) } : {}), source: awsSourceText(Object.keys(creds.$source ?? {})) };
    b.identity = id;
    return id;
  });
}

function withDeadline<T>(p: Promise<T>, ms: number, err: () => Error): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, rej) => { t = setTimeout(() => rej(err()), ms); })]).finally(() => clearTimeout(t));
}

export interface S3Result<T> { output: T; answer: S3Answer }

/**
 * Sends one S3 command with the check's signal and an own timeout (a stalled store ends as a
 * 'timeout' network failure inside the check's budget). Returns the SDK output and the raw answer;
 * throws S3ProbeError with the evidence otherwise. 2xx answers are returned as they are: callers
 * decide whether they prove S3 (answer.s3, ETag...).
 */
export async function s3Send<T>(ctx: CheckContext, op: string, command: { middlewareStack: unknown }, o: { timeoutMs?: number; client?: S3Client; signal?: AbortSignal } = {}): Promise<S3Result<T>> {
  const client = o.client ?? await s3ClientFor(ctx);
  let answer: S3Answer | undefined;
  let head: { status: number; headers: Record<string, string>; received: () => number } | undefined;
  (command.middlewareStack as { add(fn: unknown, opts: unknown): void }).add((next: (a: unknown) => Promise<{ response: { statusCode: number; headers: Record<string, string>; body: unknown } }>) => async (args: unknown) => {
    const out = await next(args);
    const res = out.response;
    const chunks: Buffer[] = [];
    let size = 0;
    head = { status: res.statusCode, headers: res.headers, received: () => size };
    const body = res.body as AsyncIterable<Uint8Array> & { destroy?: () => void } | undefined;
    if (body && typeof (body as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function') {
      // no S3 answer to these calls comes near the cap: an endless body is read up to it, not until the timeout
      for await (const ch of body) { size += ch.length; chunks.push(Buffer.from(ch)); if (size >= MAX_BODY) { body.destroy?.(); break; } }
    }
    const buf = Buffer.concat(chunks).subarray(0, MAX_BODY);
    answer = answerOf(res.statusCode, res.headers, buf);
    res.body = Readable.from(buf.length ? [buf] : []);
    return out;
  }, { step: 'deserialize', name: 'flyteDoctorCapture', priority: 'low' });
  const timeoutMs = Math.max(200, o.timeoutMs ?? Math.min(10_000, ctx.remainingMs() - 400));
  const timer = timeoutSignal(timeoutMs);
  const signal = AbortSignal.any([o.signal ?? ctx.signal, timer]);
  try {
    const output = await (client.send as (c: unknown, o: unknown) => Promise<T>)(command, { abortSignal: signal });
    return { output, answer: answer ?? answerOf(0, {}, Buffer.alloc(0)) };
  } catch (e) {
    if (e instanceof S3ProbeError) throw e;
    const err = e as Error & { $metadata?: { httpStatusCode?: number } };
    if (answer) {
      if (answer.status >= 200 && answer.status < 300) throw new S3ProbeError('unparseable', op, `${op}: the answer could not be read as S3 (${firstLine(err?.message)})`, { answer, sdkName: err?.name });
      throw new S3ProbeError('answer', op, `${op}: HTTP ${answer.status}${answer.code ? ` ${answer.code}` : ''}${answer.message ? `: ${answer.message}` : ''}`, { answer, sdkName: err?.name });
    }
    if (timer.aborted && !(o.signal ?? ctx.signal).aborted && head) {
      const net = stalledBody(head.status, head.headers, head.received(), timeoutMs);
      throw new S3ProbeError('network', op, `${op}: ${net.message}`, { net });
    }
    if (timer.aborted && !(o.signal ?? ctx.signal).aborted) throw new S3ProbeError('network', op, `${op}: no answer within ${Math.round(timeoutMs / 100) / 10}s`, { net: { kind: 'timeout', code: 'ETIMEDOUT', message: `no answer within ${Math.round(timeoutMs / 100) / 10}s` } });
    if ((o.signal ?? ctx.signal).aborted) throw e; // the engine reports the abort/timeout
    const net = netFailureOf(e);
    if (net) throw new S3ProbeError('network', op, `${op}: ${net.message}`, { net, sdkName: err?.name });
    if (err?.name === 'CredentialsProviderError' || /could not load credentials/i.test(err?.message ?? '')) {
      throw new S3ProbeError(/any providers/i.test(err.message) ? 'no-credentials' : 'credentials-provider', op, firstLine(err.message), { sdkName: err.name });
    }
    throw e;
  }
}

function firstLine(s: string | undefined): string { return (s ?? '').split('\n')[0]!.slice(0, 300); }

// ---------------------------------------------------------------- what listens on a port

export interface PortEvidence {
  /** A TLS handshake succeeded on the port. */
  tls?: { protocol: string; alpn?: string; subject?: string };
  /** What identifyService saw (banner, HTTP status line, silent...). */
  service?: ServiceEvidence;
}

/** TLS handshake attempt (no verification), bounded. */
export function probeTls(address: string, port: number, servername: string | undefined, timeoutMs: number): Promise<PortEvidence['tls'] | undefined> {
  return new Promise((resolve) => {
    const s = tlsConnect({ host: address, port, rejectUnauthorized: false, ALPNProtocols: ['h2', 'http/1.1'], ...(servername && !/^[\d.:]+$/.test(servername) ? { servername } : {}) });
    const t = setTimeout(() => { s.destroy(); resolve(undefined); }, timeoutMs);
    s.once('secureConnect', () => {
      clearTimeout(t);
      const c = s.getPeerCertificate();
      const out = { protocol: s.getProtocol() ?? 'TLS', ...(s.alpnProtocol ? { alpn: s.alpnProtocol } : {}), ...(c?.subject?.CN ? { subject: `CN=${c.subject.CN}` } : {}) };
      s.destroy();
      resolve(out);
    });
    s.once('error', () => { clearTimeout(t); resolve(undefined); });
  });
}

/** What answers at host:port (a TLS handshake, and identifyService), within timeoutMs. Never throws. */
export async function whatListens(host: string, port: number, dnsServer: string | undefined, timeoutMs: number): Promise<PortEvidence> {
  let address: string;
  try { address = (await resolveHost(host, dnsServer, Math.min(2000, timeoutMs))).address; } catch { return {}; }
  const [tls, service] = await Promise.all([
    probeTls(address, port, host, timeoutMs),
    identifyService(address, port, { timeoutMs, servername: host }).catch(() => undefined),
  ]);
  return { ...(tls ? { tls } : {}), ...(service ? { service } : {}) };
}

// ---------------------------------------------------------------- probe ledger and residue

export const PROBE_ROOT = 'flyte-doctor';
export function probePrefix(runId: string): string { return `${PROBE_ROOT}/${runId}/`; }

export interface ProbeBucket {
  store: 's3' | 'gcs';
  bucket: string;
  prefix: string;
  /** The probe object written by the put check and read by get/list/signed-url. */
  probeKey: string;
  body: Buffer;
  /** Every key this run may have created (added before the write is sent). */
  keys: Set<string>;
  /**
   * Versioned buckets: the version ids this run created per key (its writes and the delete markers
   * of its deletes, from x-amz-version-id). A plain DeleteObject there only hides the bytes behind a
   * delete marker, so the cleanup deletes exactly these versions.
   */
  versions?: Map<string, Set<string>>;
  /** Set by the cleanup: [] = nothing remains; null = could not confirm. */
  remaining?: string[] | null;
  deleteCommand?: string;
  /** Why the cleanup could not confirm (timeout, denied...). */
  cleanupNote?: string;
  cleanupRegistered: boolean;
  /** The deletion, run once for every bucket of the run (set by the first cleanup to start). */
  cleanup?: () => Promise<void>;
}

const ledger = new Map<string, Map<string, ProbeBucket>>();

/** The per-run, per-bucket probe state (memoized through ctx.shared). No network. */
export function probeState(ctx: CheckContext, store: 's3' | 'gcs', bucket: string): Promise<ProbeBucket> {
  return ctx.shared(`probe:${store}:${bucket}`, async () => {
    const prefix = probePrefix(ctx.runId);
    const state: ProbeBucket = {
      store, bucket, prefix, probeKey: `${prefix}probe.txt`,
      body: Buffer.from(`flyte-doctor probe object, run ${ctx.runId}, ${randomBytes(8).toString('hex')}; safe to delete\n`),
      keys: new Set(), cleanupRegistered: false,
    };
    let m = ledger.get(ctx.runId);
    if (!m) { m = new Map(); ledger.set(ctx.runId, m); }
    m.set(`${store}:${bucket}`, state);
    return state;
  });
}

/** Records the version a write or delete of this run created (versioned buckets answer x-amz-version-id; "null" means unversioned). */
export function recordVersion(state: ProbeBucket, key: string, headers: Record<string, string>): void {
  const v = headers['x-amz-version-id'];
  if (!v || v === 'null') return;
  state.versions ??= new Map();
  let set = state.versions.get(key);
  if (!set) { set = new Set(); state.versions.set(key, set); }
  set.add(v);
}

export interface ResidueEntry { store: 's3' | 'gcs'; bucket: string; prefix: string; remaining: string[] | null; deleteCommand?: string; note?: string }

/**
 * What the run left behind: one entry per bucket the run wrote to. `remaining: []` = confirmed
 * none; null = not confirmed (cleanup not run, interrupted, timed out or not permitted);
 * otherwise the keys. Call after runChecks() returned, or at any time (e.g. on a second Ctrl-C).
 */
export function probeResidue(runId: string): ResidueEntry[] {
  return [...(ledger.get(runId)?.values() ?? [])].filter((b) => b.keys.size > 0).map((b) => ({
    store: b.store, bucket: b.bucket, prefix: b.prefix, remaining: b.remaining === undefined ? null : b.remaining,
    ...(b.deleteCommand ? { deleteCommand: b.deleteCommand } : {}), ...(b.cleanupNote ? { note: b.cleanupNote } : {}),
  }));
}

/** Entries of probeResidue that may still hold objects (not confirmed empty), for the exit path. */
export function pendingResidue(runId: string): ResidueEntry[] {
  return probeResidue(runId).filter((r) => r.remaining === null || r.remaining.length > 0);
}

/** One line for reports: "residue: none" or the leftovers with the command. */
export function residueLine(runId: string): string | undefined {
  const r = probeResidue(runId);
  if (!r.length) return undefined;
  const left = r.filter((x) => x.remaining === null || x.remaining.length);
  const url = (x: ResidueEntry, k = x.prefix) => `${x.store === 'gcs' ? 'gs' : 's3'}://${x.bucket}/${k}`;
  if (!left.length) return `residue: none (probe objects under ${r.map((x) => url(x)).join(', ')} deleted)`;
  return `residue: ${left.map((x) => x.remaining === null ? `${url(x)} may still hold probe objects${x.note ? ` (${x.note})` : ''}` : `${x.remaining.map((k) => url(x, k)).join(', ')} remain`).join('; ')}${left.map((x) => x.deleteCommand ? `; delete with: ${x.deleteCommand}` : '').join('')}`;
}

/** Run ids that created probe state in this process (for tests and the CLI's residue line). */
export function probeRuns(): string[] { return [...ledger.keys()]; }

/** Total time every probe cleanup of a run may take (deletes in parallel, then one confirmation). */
export const CLEANUP_BUDGET_MS = 4000;

/**
 * Registers the bucket's cleanup with the engine. The first cleanup of the run to start deletes
 * the probe objects of every bucket of the run in parallel, bounded by CLEANUP_BUDGET_MS in total;
 * each deferred cleanup then reports its own bucket: it throws with the bucket, prefix, what may
 * remain and the delete command (the engine turns that into the report's residue).
 */
export function registerCleanup(ctx: CheckContext, state: ProbeBucket, run: (signal: AbortSignal) => Promise<void>, deleteCommand: string, listCommand: string): void {
  if (state.cleanupRegistered) return;
  state.cleanupRegistered = true;
  state.deleteCommand = deleteCommand;
  state.cleanup = async () => {
    const signal = timeoutSignal(CLEANUP_BUDGET_MS);
    try { await run(signal); } catch (e) { state.remaining ??= null; state.cleanupNote ??= firstLine((e as Error)?.message ?? String(e)); }
    if (state.remaining === undefined) state.remaining = null;
  };
  const scheme = state.store === 'gcs' ? 'gs' : 's3';
  // One group per run (ctx.shared is per run): the first deferred cleanup to start runs them all.
  const group = ctx.shared('probe-cleanup-group', async () => ({ states: new Set<ProbeBucket>(), all: undefined as Promise<void> | undefined }));
  void group.then((g) => g.states.add(state));
  ctx.defer(`delete probe objects ${scheme}://${state.bucket}/${state.prefix}`, async () => {
    const g = await group;
    g.all ??= Promise.all([...g.states].map((b) => b.cleanup!())).then(() => undefined);
    await g.all;
    const left = state.remaining;
    if (left === null || left === undefined) throw new Error(`residue unknown: could not confirm ${scheme}://${state.bucket}/${state.prefix} is empty${state.cleanupNote ? ` (${state.cleanupNote})` : ''}; it may hold ${[...state.keys].map((k) => k.slice(state.prefix.length)).join(', ')}; check with: ${listCommand}; delete with: ${deleteCommand}`);
    if (left.length) throw new Error(`residue: ${scheme}://${state.bucket}/${state.prefix} still holds ${left.map((k) => k.startsWith(state.prefix) ? k.slice(state.prefix.length) : k).join(', ')}, which could not be deleted${state.cleanupNote ? ` (${state.cleanupNote})` : ''}; delete with: ${state.deleteCommand ?? deleteCommand}`);
  }, { command: deleteCommand });
}

export function s3DeleteCommand(st: StorageTarget, bucket: string, prefix: string): string {
  return `aws s3 rm --recursive s3://${bucket}/${prefix}${st.endpoint ? ` --endpoint-url ${shownEndpoint(st)}` : ''}`;
}

function s3ListCommand(st: StorageTarget, bucket: string, prefix: string): string {
  return `aws s3 ls s3://${bucket}/${prefix}${st.endpoint ? ` --endpoint-url ${shownEndpoint(st)}` : ''}`;
}

/** Deletes every key of the run in the bucket in parallel, then confirms the prefix is empty. */
export function registerS3Cleanup(ctx: CheckContext, state: ProbeBucket): void {
  const st = ctx.target.storage!;
  const clientP = s3ClientFor(ctx);
  registerCleanup(ctx, state, async (signal) => {
    const { DeleteObjectCommand, ListObjectsV2Command, HeadObjectCommand } = await import('../sdk/aws.js');
    const client = await clientP;
    const left = Math.max(500, CLEANUP_BUDGET_MS / 2);
    const send = <T>(op: string, cmd: { middlewareStack: unknown }, ms: number) => s3Send<T>(ctx, op, cmd, { client, signal, timeoutMs: ms });
    const errors: string[] = [];
    // Versions of this run that could not be deleted (object lock, retention, legal hold): they keep the probe's bytes.
    const stuck = new Map<string, string>();
    const delVersion = (k: string, v: string) => send('DeleteObject', new DeleteObjectCommand({ Bucket: state.bucket, Key: k, VersionId: v }), left)
      .then(() => { stuck.delete(`${k}?versionId=${v}`); state.versions?.get(k)?.delete(v); })
      .catch((e: unknown) => { const why = shortErr(e, true); stuck.set(`${k}?versionId=${v}`, why); errors.push(why); });
    const del = () => Promise.all([...state.keys].map((k) => {
      const vs = [...(state.versions?.get(k) ?? [])];
      if (vs.length) return Promise.all(vs.map((v) => delVersion(k, v)));
      return send('DeleteObject', new DeleteObjectCommand({ Bucket: state.bucket, Key: k }), left).then(({ answer }) => {
        // A versioned bucket answered the plain delete with a delete marker: the bytes stay as an older version we do not know
        if (answer.headers['x-amz-version-id'] && answer.headers['x-amz-version-id'] !== 'null') stuck.set(k, `versioned bucket: an older version of ${k} may remain behind delete marker ${answer.headers['x-amz-version-id']}`);
      }).catch((e: unknown) => { errors.push(shortErr(e)); });
    }));
    const confirm = async (): Promise<string[] | null> => {
      try {
        const r = await send<{ Contents?: { Key?: string }[] }>('ListObjectsV2', new ListObjectsV2Command({ Bucket: state.bucket, Prefix: state.prefix, MaxKeys: 100 }), left / 2);
        if (!r.answer.s3) return null;
        return (r.output.Contents ?? []).map((o) => o.Key!).filter((k) => k?.startsWith(state.prefix));
      } catch {
        const found = await Promise.all([...state.keys].map(async (k) => {
          try { await send('HeadObject', new HeadObjectCommand({ Bucket: state.bucket, Key: k }), left / 2); return k; } catch (e) {
            return e instanceof S3ProbeError && e.status === 404 ? '' : null;
          }
        }));
        return found.includes(null) ? null : found.filter((k): k is string => !!k);
      }
    };
    await del();
    let remaining = await confirm();
    if ((remaining?.length || [...stuck.keys()].some((k) => k.includes('?versionId='))) && !signal.aborted) { await del(); remaining = await confirm(); }
    if (remaining !== null && stuck.size) {
      // a key whose own versions are stuck is named by them (deleting our delete marker made the old version current again)
      const byVersion = new Set([...stuck.keys()].filter((k) => k.includes('?versionId=')).map((k) => k.split('?versionId=')[0]!));
      remaining = [...new Set([...remaining.filter((k) => !byVersion.has(k)), ...stuck.keys()])];
    }
    state.remaining = remaining;
    if (stuck.size) {
      const ep = st.endpoint ? ` --endpoint-url ${shownEndpoint(st)}` : '';
      state.deleteCommand = [...stuck.keys()].some((k) => k.includes('?versionId='))
        ? `aws s3api delete-object --bucket ${state.bucket} --key <key> --version-id <id> --bypass-governance-retention${ep} (COMPLIANCE mode: wait)`
        : `aws s3api list-object-versions --bucket ${state.bucket} --prefix ${state.prefix}${ep}, then delete-object --version-id for each`;
    }
    if (remaining === null || remaining.length) state.cleanupNote = signal.aborted ? `cleanup stopped after ${CLEANUP_BUDGET_MS / 1000}s` : [...stuck.values()][0] ?? errors[0] ?? (remaining === null ? 'no list or read permission to confirm' : undefined);
    if (!state.cleanupNote) delete state.cleanupNote;
  }, s3DeleteCommand(st, state.bucket, state.prefix), s3ListCommand(st, state.bucket, state.prefix));
}

function shortErr(e: unknown, withMessage = false): string {
  if (e instanceof S3ProbeError) return e.answer ? `HTTP ${e.answer.status}${e.answer.code ? ` ${e.answer.code}` : ''}${withMessage && e.answer.message ? `: ${e.answer.message.slice(0, 160)}` : ''}` : e.net ? e.net.message : e.message;
  return firstLine((e as Error)?.message ?? String(e));
}

// ---------------------------------------------------------------- plain HTTP probe

export interface HttpProbe { status: number; headers: IncomingHttpHeaders; body: Buffer; ms: number }

export class HttpProbeError extends Error {
  constructor(readonly kind: NetKind, message: string, readonly code?: string) { super(message); this.name = 'HttpProbeError'; }
}

/** GET/HEAD a URL (through --dns-server when set), bounded; reads at most maxBody bytes. */
export function httpProbe(url: string, opts: { method?: 'GET' | 'HEAD'; dnsServer?: string; timeoutMs: number; signal: AbortSignal; maxBody?: number }): Promise<HttpProbe> {
  const u = new URL(url);
  const lookup = lookupFor(opts.dnsServer);
  const t0 = Date.now();
  return new Promise<HttpProbe>((resolve, reject) => {
    const fn = u.protocol === 'https:' ? httpsRequest : httpRequest;
    // after the status line and headers, a timeout is a body that stopped (the server did answer)
    let stalled: (() => HttpProbeError) | undefined;
    // after the status line and headers, a connection closed in the middle of the body: the server answered, then broke off
    let cutShort: ((e: NodeJS.ErrnoException) => HttpProbeError) | undefined;
    let timedOut = false;
    const failed = (e: NodeJS.ErrnoException) => { clearTimeout(timer); reject(stalled && (timedOut || e.code === 'ETIMEDOUT') ? stalled() : cutShort && !timedOut && (e.code === 'ECONNRESET' || e.code === 'EPIPE') ? cutShort(e) : httpErr(e, u)); };
    const req = fn(u, { method: opts.method ?? 'GET', signal: opts.signal, timeout: opts.timeoutMs, maxHeaderSize: MAX_HEADER_BYTES, ...(lookup ? { lookup } : {}), headers: { 'user-agent': 'flyte-doctor' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const max = opts.maxBody ?? 1 << 20;
      const done = () => { clearTimeout(timer); resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).subarray(0, max), ms: Date.now() - t0 }); };
      stalled = () => { const n = stalledBody(res.statusCode ?? 0, res.headers, size, Date.now() - t0); return new HttpProbeError('stalled', `${u.host} ${n.message}`, n.code); };
      cutShort = (e) => {
        const length = Number(res.headers['content-length']);
        return new HttpProbeError('reset', `${u.host} answered HTTP ${res.statusCode ?? 0}${res.headers.server ? `, server ${String(res.headers.server).slice(0, 60)}` : ''}, then closed the connection in the middle of its body, after ${size} bytes${Number.isSafeInteger(length) && length > size ? ` of the ${length} its Content-Length announced` : ''} (${e.code})`, e.code);
      };
      // what is past the cap is never read: an endless body ends at the cap, not at the timeout
      res.on('data', (d: Buffer) => { size += d.length; chunks.push(d); if (size >= max) { res.removeAllListeners('data'); req.destroy(); done(); } });
      res.on('end', done);
      res.on('error', (e) => failed(e as NodeJS.ErrnoException));
    });
    const timeUp = () => { timedOut = true; req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })); };
    const timer = setTimeout(timeUp, opts.timeoutMs);
    req.on('timeout', timeUp);
    req.on('error', (e: NodeJS.ErrnoException) => failed(e));
    req.end();
  });
}

function httpErr(e: NodeJS.ErrnoException, u: URL): HttpProbeError {
  const where = u.host;
  const n = netFailureOf(e) ?? { kind: 'other' as const, code: e.code ?? '', message: e.message };
  const text: Record<NetKind, string> = {
    dns: `${u.hostname} does not resolve (${n.code})`,
    refused: `connection refused by ${where}`,
    timeout: `no answer from ${where}`,
    stalled: `${where} ${n.message}`,
    unreachable: `${where} is unreachable (${n.code})`,
    reset: `${where} closed the connection (${n.code})`,
    'tls-plaintext': `${where} answered the TLS handshake with plain text: it speaks plain HTTP, not TLS (${n.message})`,
    'tls-untrusted': `${where}: certificate not trusted (${n.code})`,
    'tls-name': `${where}: certificate is not for ${u.hostname} (${n.code})`,
    'tls-expired': `${where}: certificate expired or not yet valid (${n.code})`,
    'tls-other': `${where}: TLS failed (${n.message})`,
    'not-http': n.code === 'HPE_HEADER_OVERFLOW' ? headerOverflowText(where) : `${where} does not answer HTTP (${n.code})`,
    other: `${where}: ${n.message}`,
  };
  return new HttpProbeError(n.kind, text[n.kind], n.code);
}
