// gRPC the way flytectl/pyflyte dial flyteadmin: @grpc/grpc-js as the transport, Flyte's real
// service and message definitions from @flyteorg/flyteidl's static protobufjs module (rpcImpl hook),
// grpc.health.v1 from grpc-health-check. Names are resolved here (through --dns-server when given)
// and the address is dialled with ssl_target_name_override/default_authority = the name, so TLS
// verifies the name the user configured. One channel per endpoint per run (ctx.shared); every call
// has a deadline inside the check's budget and is cancelled with ctx.signal.
// Also an HTTP/2 evidence probe that shows what the ingress answered (status, content-type) when a
// call fails below gRPC. Endpoints come from target.endpoints (src/config/endpoints.ts).
import { hostPort, type GrpcTarget } from '../config/endpoints.js';
import { clientTrust } from './trust.js';
import { probeTimeout, seconds } from '../engine/budget.js';
import type { Target } from '../config/target.js';
import type { CheckContext, Json, Outcome } from '../engine/types.js';
import { DnsError, resolveHost } from './resolve.js';
import { ProbeError, classifyNetError, describeNetFailure, readPemFile, splitPem, tlsProbe, type NetErrorKind, type TlsProbeResult } from './tls.js';

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
  constructor(readonly code: number, readonly codeName: string, readonly details: string, readonly path: string, readonly address: string) {
    super(`${path}: ${codeName}: ${details}`);
  }
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
    const creds = t.tls
      ? grpc.credentials.createSsl(o.ca ? Buffer.from(o.ca.join('\n')) : null, null, null, o.skipVerify ? { rejectUnauthorized: false, checkServerIdentity: () => undefined } : {})
      : grpc.credentials.createInsecure();
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
    const call = ch.client.makeUnaryRequest(path, serialize, deserialize, req, md, { deadline: new Date(Date.now() + deadlineMs) }, (err, res) => {
      ctx.signal.removeEventListener('abort', onAbort);
      if (err) {
        const code = err.code ?? grpc.status.UNKNOWN;
        reject(new GrpcCallError(code, grpc.status[code] ?? String(code), err.details ?? err.message, path, `${ch.address}:${t.port}`));
      } else resolve(res as Res);
    });
    const onAbort = () => call.cancel();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
  });
}

type FlyteIdl = typeof import('@flyteorg/flyteidl/gen/pb-js/flyteidl.js');
export async function flyteidlModule(): Promise<FlyteIdl['flyteidl']> {
  const m = (await import('@flyteorg/flyteidl/gen/pb-js/flyteidl.js')) as FlyteIdl & { default?: FlyteIdl };
  return (m.default ?? m).flyteidl;
}

/** A protobufjs rpcImpl backed by grpc-js, for a Flyte service of the static module. */
function rpcImplFor(ctx: CheckContext, t: GrpcTarget, o: GrpcOptions, service: string, timeoutMs: number, metadata?: Record<string, string>) {
  const id = (b: Buffer) => b;
  return (method: { name: string }, data: Uint8Array, cb: (err: Error | null, res?: Uint8Array) => void) => {
    unaryCall<Buffer, Buffer>(ctx, t, o, `/${service}/${method.name}`, id, id, Buffer.from(data), timeoutMs, metadata)
      .then((r) => cb(null, r), (e: Error) => cb(e));
  };
}

export interface AdminVersion { version: string; build: string; buildTime: string }

/** flyteidl.service.AdminService/GetVersion. */
export async function getVersion(ctx: CheckContext, t: GrpcTarget, o: GrpcOptions, timeoutMs: number): Promise<AdminVersion> {
  const f = await flyteidlModule();
  const svc = f.service.AdminService.create(rpcImplFor(ctx, t, o, 'flyteidl.service.AdminService', timeoutMs) as never, false, false);
  const res = await svc.getVersion({});
  const v = res.controlPlaneVersion;
  return { version: v?.Version ?? '', build: v?.Build ?? '', buildTime: v?.BuildTime ?? '' };
}

export interface AuthMetadata { oauth2: Record<string, Json>; publicClient: Record<string, Json> }

/** flyteidl.service.AuthMetadataService GetOAuth2Metadata + GetPublicClientConfig (anonymous). */
export async function authMetadata(ctx: CheckContext, t: GrpcTarget, o: GrpcOptions, timeoutMs: number): Promise<AuthMetadata> {
  const f = await flyteidlModule();
  const svc = f.service.AuthMetadataService.create(rpcImplFor(ctx, t, o, 'flyteidl.service.AuthMetadataService', timeoutMs) as never, false, false);
  const oauth = await svc.getOAuth2Metadata({});
  const pub = await svc.getPublicClientConfig({});
  const plain = (m: object): Record<string, Json> => JSON.parse(JSON.stringify(m)) as Record<string, Json>;
  return { oauth2: plain(oauth), publicClient: plain(pub) };
}

/** grpc.health.v1.Health/Check; returns the serving status name ('SERVING', 'NOT_SERVING', ...). */
export async function healthCheck(ctx: CheckContext, t: GrpcTarget, o: GrpcOptions, timeoutMs: number, service = ''): Promise<string> {
  const hm = (await import('grpc-health-check')) as typeof import('grpc-health-check') & { default?: typeof import('grpc-health-check') };
  const def = (hm.service ?? hm.default?.service)!.Check!;
  const res = await unaryCall<{ service: string }, { status?: string | number }>(ctx, t, o, def.path,
    def.requestSerialize as (r: { service: string }) => Buffer, def.responseDeserialize as (b: Buffer) => { status?: string | number },
    { service }, timeoutMs);
  return String(res.status ?? 'UNKNOWN');
}

// ---------------------------------------------------------------- classification

export type GrpcFailureKind =
  | 'http1Proxy'     // the proxy talks HTTP/1.1 to a gRPC backend (or serves gRPC on an HTTP/1.1 listener): 400/502/426
  | 'notRouted'      // HTTP 404 / text/html: the gRPC prefix is not routed by the ingress
  | 'unimplemented'  // a gRPC server answered UNIMPLEMENTED: routed to a backend without this service
  | 'unauthenticated'
  | 'permissionDenied'
  | 'unavailable'    // backend down behind the proxy (503/504) or the server refused the stream
  | 'deadline'
  | NetErrorKind;    // transport: dns, refused, timeout, plaintext, expired, selfSigned, ...

export interface GrpcFailure { kind: GrpcFailureKind; code?: string; httpStatus?: number; detail: string }

/** Turns a GrpcCallError/ProbeError into a failure kind, using the HTTP status grpc-js reports. */
export function classifyGrpcError(err: unknown): GrpcFailure {
  if (err instanceof ProbeError) return { kind: err.kind, ...(err.code ? { code: err.code } : {}), detail: err.message };
  if (!(err instanceof GrpcCallError)) { const c = classifyNetError(err); return { kind: c.kind, ...(c.code ? { code: c.code } : {}), detail: (err as Error)?.message ?? String(err) }; }
  const http = /Received HTTP status code (\d+)/.exec(err.details);
  const httpStatus = http ? Number(http[1]) : undefined;
  const base = { code: err.codeName, ...(httpStatus ? { httpStatus } : {}), detail: err.details };
  if (httpStatus === 404) return { kind: 'notRouted', ...base };
  if (httpStatus === 400 || httpStatus === 502 || httpStatus === 426 || httpStatus === 505 || /http1\.x|HTTP\/1/i.test(err.details)) return { kind: 'http1Proxy', ...base };
  if (httpStatus === 503 || httpStatus === 504) return { kind: 'unavailable', ...base };
  if (httpStatus === 401 || err.codeName === 'UNAUTHENTICATED') return { kind: 'unauthenticated', ...base };
  if (httpStatus === 403 || err.codeName === 'PERMISSION_DENIED') return { kind: 'permissionDenied', ...base };
  if (err.codeName === 'UNIMPLEMENTED') return { kind: 'unimplemented', ...base };
  if (err.codeName === 'DEADLINE_EXCEEDED') return { kind: 'deadline', ...base };
  if (err.codeName === 'UNAVAILABLE' || err.codeName === 'INTERNAL' || err.codeName === 'UNKNOWN' || err.codeName === 'CANCELLED') {
    const net = classifyNetError(err.details);
    if (net.kind !== 'other') return { ...base, kind: net.kind, ...(net.code ? { code: net.code } : {}) };
    if (/RST_STREAM|Protocol error|without gRPC status/i.test(err.details)) return { kind: 'http1Proxy', ...base };
    return { kind: 'unavailable', ...base };
  }
  return { kind: 'other', ...base };
}

export interface H2Evidence { alpn?: string; status?: number; contentType?: string; grpcStatus?: string; server?: string; snippet?: string; error?: string }

/**
 * What the endpoint answers to a gRPC-shaped HTTP/2 POST (node:http2): the HTTP status and
 * content-type grpc-js does not surface. Evidence only; never throws.
 */
export async function h2Evidence(ctx: CheckContext, t: GrpcTarget, o: GrpcOptions, path: string, timeoutMs: number): Promise<H2Evidence> {
  try {
    const http2 = await import('node:http2');
    const address = (await resolveHost(t.host, ctx.target.dnsServer, timeoutMs)).address;
    const { isIP } = await import('node:net');
    const origin = `${t.tls ? 'https' : 'http'}://${hostPort(t)}`;
    return await new Promise<H2Evidence>((resolve) => {
      const ev: H2Evidence = {};
      let done = false;
      const session = http2.connect(origin, {
        ...(t.tls ? { ca: o.ca, rejectUnauthorized: false, ...(isIP(t.host) ? {} : { servername: t.host }), ALPNProtocols: ['h2'] } : {}),
        lookup: ((_h: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) => opts?.all ? cb(null, [{ address, family: isIP(address) }]) : cb(null, address, isIP(address))) as never,
      });
      const finish = () => { if (done) return; done = true; clearTimeout(timer); ctx.signal.removeEventListener('abort', finish); session.destroy(); resolve(ev); };
      const timer = setTimeout(() => { ev.error ??= `no answer within ${seconds(timeoutMs)}`; finish(); }, timeoutMs);
      ctx.signal.addEventListener('abort', finish, { once: true });
      session.on('error', (e) => { ev.error = e.message; finish(); });
      session.on('connect', (s) => { const a = (s.socket as { alpnProtocol?: string | false }).alpnProtocol; if (a) ev.alpn = a; });
      const req = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
      req.on('response', (h) => {
        ev.status = Number(h[':status']);
        if (h['content-type']) ev.contentType = String(h['content-type']);
        if (h['grpc-status'] !== undefined) ev.grpcStatus = String(h['grpc-status']);
        if (h.server) ev.server = String(h.server);
      });
      req.on('trailers', (h) => { if (h['grpc-status'] !== undefined) ev.grpcStatus = String(h['grpc-status']); });
      let body = '';
      req.on('data', (d: Buffer) => { if (body.length < 300) body += d.toString('utf8'); });
      req.on('end', () => { const s = body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 160); if (s && !/^[\x00-\x08]/.test(body)) ev.snippet = s; finish(); });
      req.on('error', (e) => { ev.error = e.message; finish(); });
      req.end(Buffer.from([0, 0, 0, 0, 0]));
    });
  } catch (e) {
    return { error: (e as Error).message };
  }
}

// ---------------------------------------------------------------- shared probes


// ---------------------------------------------------------------- findings for failed gRPC calls


/** The annotation the gRPC ingress needs for its controller, and the values key to put it in. */
export function grpcIngressFix(target: Target): string {
  const i = target.ingress;
  const cls = (i?.className ?? i?.annotations['kubernetes.io/ingress.class'] ?? '').toLowerCase();
  const core = target.chart === 'flyte-core';
  const vk = i?.valuesKey ?? (core ? 'common.ingress' : 'ingress');
  const annKey = core ? `${vk}.separateGrpcIngressAnnotations` : `${vk}.grpcAnnotations`;
  const sep = `${vk}.separateGrpcIngress: true`;
  if (cls.includes('alb')) return `set alb.ingress.kubernetes.io/backend-protocol-version: GRPC in ${annKey} (with ${sep}; HTTPS-only listen-ports on the gRPC ingress)`;
  if (cls.includes('traefik')) return 'have Traefik speak h2c to flyteadmin\'s gRPC port: annotate the gRPC Service with traefik.ingress.kubernetes.io/service.serversscheme: h2c';
  if (cls.includes('contour')) return 'annotate the gRPC Service with projectcontour.io/upstream-protocol.h2c: "<grpc port>"';
  if (cls.includes('gce')) return 'GCE needs HTTP/2 with TLS to the backend: set server.security.secure: true on flyteadmin and cloud.google.com/app-protocols on the Service';
  return `set nginx.ingress.kubernetes.io/backend-protocol: GRPC in ${annKey} (with ${sep}: nginx applies it per Ingress object); plain nginx: grpc_pass instead of proxy_pass`;
}

export const GRPC_PATHS = ['/flyteidl.service.AdminService', '/flyteidl.service.AuthMetadataService', '/flyteidl.service.DataProxyService', '/flyteidl.service.IdentityService', '/flyteidl.service.SignalService', '/grpc.health.v1.Health'];

/**
 * The outcome for a failed gRPC call to `t` (through an ingress or direct). Transport failures,
 * gRPC-over-HTTP/1.1 proxies, unrouted prefixes, wrong backends and deadlines each get their own
 * message, evidence and fix. `unauthenticated` is returned as undefined: the caller decides.
 */
export async function grpcFailureOutcome(ctx: CheckContext, t: GrpcTarget, o: GrpcOptions, err: unknown, path: string, timeoutMs: number): Promise<Outcome | undefined> {
  if (err instanceof ProbeError && err.kind === 'aborted') throw err;
  if (ctx.signal.aborted) throw err;
  const where = hostPort(t);
  const f = classifyGrpcError(err);
  const details: Record<string, Json> = { endpoint: where, path, tls: t.tls, ...(err instanceof GrpcCallError ? { address: err.address, grpcCode: err.codeName, grpcDetails: err.details.slice(0, 300) } : {}), ...(f.httpStatus ? { httpStatus: f.httpStatus } : {}) };
  const withEvidence = async () => {
    const ev = await h2Evidence(ctx, t, o, path, Math.min(timeoutMs, Math.max(200, ctx.remainingMs() - 300)));
    for (const [k, v] of Object.entries(ev)) if (v !== undefined) details[k === 'status' ? 'evidenceHttpStatus' : k] = v as Json;
    return ev;
  };
  const service = path.split('/')[1] ?? path;
  switch (f.kind) {
    case 'unauthenticated': return undefined;
    case 'http1Proxy': {
      const ev = await withEvidence();
      if (ev.status === 200 && ev.contentType && /text\/html/i.test(ev.contentType)) {
        return { status: 'fail', messageId: 'grpcNotRouted', message: `gRPC call ${path} to ${where} got an HTML page (HTTP 200 ${ev.contentType}): the gRPC prefix is routed to the console/HTTP backend`, hint: `route the gRPC prefixes (${GRPC_PATHS.join(', ')}, each also with /*) to flyteadmin's gRPC port on the gRPC ingress`, details };
      }
      const seen = f.httpStatus ? `HTTP ${f.httpStatus}` : ev.status !== undefined && ev.status !== 200 ? `HTTP ${ev.status === 0 ? '000' : ev.status}${ev.contentType ? ` ${ev.contentType}` : ''}` : /Protocol error/i.test(f.detail) ? 'an HTTP/1.x answer to the HTTP/2 preface' : 'no gRPC status';
      const plainListener = /Protocol error/i.test(f.detail);
      return {
        status: 'fail', messageId: 'grpcAsHttp1',
        message: plainListener ? `${where} answered gRPC with HTTP/1.x (${seen}): gRPC reached an HTTP/1.1-only listener ("Trying to connect an http1.x server")`
          : `gRPC call ${path} through ${where} ended with ${seen} (${f.detail}): the ingress proxies gRPC to flyteadmin as HTTP/1.1`,
        hint: plainListener ? `dial the ingress TLS listener (gRPC needs HTTP/2: TLS + ALPN h2 on 443), not its plain HTTP port; ${grpcIngressFix(ctx.target)}` : grpcIngressFix(ctx.target),
        details,
      };
    }
    case 'notRouted': {
      const ev = await withEvidence();
      return { status: 'fail', messageId: 'grpcNotRouted', message: `gRPC call ${path} through ${where}: HTTP 404${ev.contentType ? ` ${ev.contentType}` : ''}${ev.server ? ` from ${ev.server}` : ''}: the ingress does not route ${service}`, hint: `add the gRPC paths to the gRPC ingress, each as X and X/* (${GRPC_PATHS.join(', ')}) → flyteadmin's gRPC port (binary <fullname>-grpc:8089, core flyteadmin:81); the charts render them with ${ctx.target.ingress?.valuesKey ?? 'ingress'}.separateGrpcIngress`, details };
    }
    case 'unimplemented':
      return { status: 'fail', messageId: 'wrongBackend', message: `a gRPC server behind ${where} answered UNIMPLEMENTED for ${path} (${f.detail}): the route reaches a backend that does not serve ${service}`, hint: 'point the gRPC paths at flyteadmin\'s gRPC port (binary <fullname>-grpc:8089; core flyteadmin:81, or :80 when server.security.secure), not datacatalog or another service', details };
    case 'permissionDenied':
      return { status: 'fail', messageId: 'permissionDenied', message: `${where} answered PERMISSION_DENIED for ${path}${f.httpStatus ? ` (HTTP ${f.httpStatus})` : ''}`, hint: 'something in front of flyteadmin (WAF, ingress auth, IP allow-list) rejects the call: allow the gRPC paths from this network', details };
    case 'unavailable':
      return { status: 'fail', messageId: 'backendUnavailable', message: `gRPC call ${path} through ${where} failed: ${f.detail}`, hint: 'the ingress has no healthy flyteadmin backend: kubectl -n <ns> get pods,endpoints (flyteadmin gRPC port 8089 / 81)', details };
    case 'deadline': {
      // Connected (remote_addr known) but no gRPC answer: a proxy waiting on an upstream it talks
      // HTTP/1.1 to hangs like this. Ask the endpoint directly what it answers (a few short tries).
      if (/remote_addr=/.test(f.detail)) {
        for (let i = 0; i < 3 && ctx.remainingMs() > 900; i++) {
          const ev = await h2Evidence(ctx, t, o, path, Math.min(1500, ctx.remainingMs() - 500));
          if (ev.status === undefined) continue;
          for (const [k, v] of Object.entries(ev)) if (v !== undefined) details[k === 'status' ? 'evidenceHttpStatus' : k] = v as Json;
          if (ev.status === 404) return { status: 'fail', messageId: 'grpcNotRouted', message: `gRPC call ${path} through ${where}: HTTP 404${ev.contentType ? ` ${ev.contentType}` : ''}: the ingress does not route ${service}`, hint: `add the gRPC paths to the gRPC ingress, each as X and X/* (${GRPC_PATHS.join(', ')}) → flyteadmin's gRPC port`, details };
          if (!(ev.status === 200 && /application\/grpc/.test(ev.contentType ?? ''))) {
            return { status: 'fail', messageId: 'grpcAsHttp1', message: `gRPC call ${path} through ${where} got no gRPC answer within ${seconds(timeoutMs)}, and a gRPC-shaped request gets HTTP ${ev.status === 0 ? '000 (the proxy relayed an upstream answer that is not HTTP/1.x)' : ev.status}${ev.contentType ? ` ${ev.contentType}` : ''} without grpc-status: the ingress proxies gRPC to flyteadmin as HTTP/1.1`, hint: grpcIngressFix(ctx.target), details };
          }
          break;
        }
        return { status: 'fail', messageId: 'noAnswer', message: `connected to ${where}, but ${path} got no answer within ${seconds(timeoutMs)} (DEADLINE_EXCEEDED)`, hint: `the proxy waits on its upstream: flyteadmin's gRPC backend is down or slow, or gRPC is proxied as HTTP/1.1 (${grpcIngressFix(ctx.target)})`, details };
      }
      return { status: 'fail', messageId: 'noAnswer', message: `no answer from ${where} for ${path} within ${seconds(timeoutMs)} (DEADLINE_EXCEEDED)`, hint: `a firewall / security group drops ${where}, or the load balancer is not provisioned: open the port from this machine`, details };
    }
    case 'timeout':
      return { status: 'fail', messageId: 'noAnswer', message: `no answer from ${where} for ${path} within ${seconds(timeoutMs)} (DEADLINE_EXCEEDED)`, hint: `a firewall / security group drops ${where}, the load balancer is not provisioned, or the proxy waits on a dead backend (check the gRPC backend and its read timeout)`, details };
    default: {
      const nf = describeNetFailure(f.kind === 'other' ? 'other' : f.kind, where, f.detail, timeoutMs);
      if (f.kind === 'plaintext' && t.tls) nf.hint = `this port speaks plaintext: use the ingress TLS port (443, ingress TLS enabled), or admin.insecure: true when you dial a plaintext admin port`;
      return { status: 'fail', ...nf, details };
    }
  }
}
