// Findings shared by the routing checks (ingress.*, flyte.admin.*, auth.discovery.*): what a gRPC or
// HTTP answer means in context. Evidence comes from src/clients (typed errors, h2Evidence, raw
// probes, identifyService, the TLS probe, the Kubernetes API); Flyte knowledge from src/flyte. Every
// status the probes can meet maps to a finding with its cause key, or to an honest "unrecognised"
// finding with the evidence. Nothing passes on a wrong answer.
import { frontAnswer, frontNetworkFix, statusFault } from '../../src/clients/answers.js';
import { hostPort, ingressGrpcEndpoint, ingressHttpBase, isClusterInternal, isPrivateAddress, type GrpcTarget } from '../../src/config/endpoints.js';
import type { Target } from '../../src/config/target.js';
import { GrpcCallError, callFlyteMethod, classifyGrpcError, grpcCallSetup, h2Evidence, type GrpcFailure, type GrpcOptions, type H2Evidence } from '../../src/clients/grpc.js';
import { HttpNoAnswerError, httpGetFollow, httpRequest, isHtml, jsonBody, rawHttpProbe, type HttpResponse } from '../../src/clients/http.js';
import { KubeError, kubeSession, kubectl, probeSignal } from '../../src/clients/kube.js';
import { resolveChartNames, type ChartNames } from '../../src/flyte/kubernetes.js';
import { describeService, identifyService, type ServiceEvidence } from '../../src/clients/sniff.js';
import { ProbeError, alertOf, plainProbe, postHandshakeAlert, tlsProbe, type NetErrorKind } from '../../src/clients/tls.js';
import { CERT_ALERTS, CLIENT_HELLO_ALERTS, clientCertAlertText, clientCertAnswerText, clientCertDemand, clientHelloAlertText, netFailureCause, tlsFailureCause, tlsView, weakKeyCert, weakSigned } from '../tls/_support.js';
import { ingressTlsSecretFix, ingressTlsSecretKey } from '../../src/flyte/client.js';
import { clientTrust } from '../../src/clients/trust.js';
import { resolveHost } from '../../src/clients/resolve.js';
import { probeTimeout, seconds } from '../../src/engine/budget.js';
import { cause, hostPortKey } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext, Json, Messages, Outcome } from '../../src/engine/types.js';
import {
  FLYTEADMIN_UNAUTH_RE, GRPC_SERVICES, adminGrpcBackend, adminHttpBackend, consoleBackend, flyteadminShape, grpcIngressFix, grpcRoutesFix,
  htmlTitle, httpAnnotationsKey, ingressKey, ingressTlsKey, looksLikeConsole, maxMessageSizeKey, rewriteTargetAnnotation, rolloutCommand, clientCertAnnotations,
  useAuthKey, type BackendService, type GrpcServiceSpec, type NamedTarget,
} from '../../src/flyte/ingress.js';
import { fixSetting, setting, whereSet } from '../../src/flyte/settings.js';

// ================================================================ messages

/** Findings of a connection that got no HTTP answer (shared by the gRPC and HTTP families). */
export const TRANSPORT_MESSAGES = {
  notFromHere: { status: 'warn', summary: 'A cluster-internal name or a private address that does not resolve or answer from this machine: it cannot be checked from here (run with --in-cluster, or dial the public ingress host).' },
  nxdomain: { status: 'fail', summary: 'The host name does not exist in DNS (NXDOMAIN).' },
  dnsFailure: { status: 'fail', summary: 'The host name could not be resolved (SERVFAIL, resolver timeout, no address).' },
  refused: { status: 'fail', summary: 'Nothing listens on the host and port (connection refused).' },
  noAnswer: { status: 'fail', summary: 'No answer within the time: dropped by a firewall / security group, or a proxy that waits on a dead or slow upstream.' },
  silentServer: { status: 'fail', summary: 'The port accepts the TCP connection (and completes TLS, where it says so) but sends no answer within the time: a proxy or load balancer without a working backend, or one that waits on a dead or slow upstream; not a firewall, which would not let TCP through.' },
  handshakeStalled: { status: 'fail', summary: 'The server sent the first bytes of its TLS answer and then nothing: a path that loses large packets (MTU black hole) or a TLS terminator that stalls mid-handshake.' },
  answerStalled: { status: 'fail', summary: 'The ingress answered a status and headers, then stopped sending the body: the proxy or the backend stalls in the middle of an answer (buffering, a stuck upstream).' },
  connectionReset: { status: 'fail', summary: 'The port accepts connections and closes them without an answer.' },
  wrongService: { status: 'fail', summary: 'Something other than an HTTP/gRPC ingress listens on the port (an SSH, database or other server, named from its banner).' },
  plaintextPort: { status: 'fail', summary: 'TLS is expected but the port speaks plaintext HTTP.' },
  tlsPortAsPlain: { status: 'fail', summary: 'The values say the ingress has no TLS, but the port speaks TLS ("plain HTTP request was sent to HTTPS port").' },
  certExpired: { status: 'fail', summary: 'The certificate has expired.' },
  certNotYetValid: { status: 'fail', summary: 'The certificate is not valid yet (clock or notBefore).' },
  certSelfSigned: { status: 'fail', summary: 'A self-signed certificate nobody trusts.' },
  certUntrusted: { status: 'fail', summary: 'The certificate chain ends at a CA the client does not trust.' },
  certWeakKey: { status: 'fail', summary: 'A certificate of the chain has an RSA key under 2048 bits, which OpenSSL at security level 2 (Node 24 / OpenSSL 3.5, Debian and Ubuntu: "ee key too small" / "EE certificate key too weak") refuses.' },
  certWeakSignature: { status: 'fail', summary: 'A certificate of the chain is signed with SHA-1 or MD5, which Node/OpenSSL 3 ("CA signature digest algorithm too weak"), Go and browsers refuse.' },
  chainIncomplete: { status: 'fail', summary: 'The server sends its certificate without the intermediate CA: serve the full chain.' },
  defaultCert: { status: 'fail', summary: 'The ingress controller serves its default (fake) certificate: the Ingress TLS Secret is missing or invalid.' },
  certHostname: { status: 'fail', summary: 'The certificate is not valid for the host name dialled.' },
  tlsVersion: { status: 'fail', summary: 'No common TLS version (the server offers only TLS 1.0/1.1 or the reverse).' },
  noH2Alpn: { status: 'fail', summary: 'The TLS listener does not offer HTTP/2 (ALPN h2), which gRPC needs.' },
  noHttp1Alpn: { status: 'fail', summary: 'The TLS listener offers only HTTP/2 (ALPN h2) and refuses http/1.1 (no_application_protocol): gRPC works, HTTP/1.1 clients (flytekit\'s requests, curl --http1.1) cannot connect.' },
  tlsAlert: { status: 'fail', summary: 'The server aborted the TLS handshake with an alert (named in the message: unrecognized_name, handshake_failure, internal_error, access_denied...).' },
  clientCertRequired: { status: 'fail', summary: 'The ingress requires a client certificate (mutual TLS: the certificate_required alert, or nginx\'s 496/495 sent as HTTP 400 "No required SSL certificate was sent" / "The SSL certificate error"), which flytectl and pyflyte do not present.' },
  caFileUnreadable: { status: 'fail', summary: 'admin.caCertFilePath cannot be read, so the certificate is checked against the system roots only.' },
  unrecognised: { status: 'fail', summary: 'An answer flyte-doctor does not recognise; the message carries the evidence.' },
} as const satisfies Messages;

/** How far a connection that got no answer came, when the probe says (HttpNoAnswerError, or a ProbeError that says it connected). */
function noAnswerStage(err: unknown): 'tcp' | 'tls-silent' | 'tls-stalled' | 'request' | undefined {
  if (err instanceof HttpNoAnswerError) return err.stage;
  if (err instanceof ProbeError && err.kind === 'timeout' && err.connected) return err.bytesIn ? 'tls-stalled' : 'tls-silent';
  return undefined;
}

/** Findings of an HTTP status that something in front of flyteadmin answers for itself (both families). */
const EDGE_MESSAGES = {
  plainToTlsUpstream: { status: 'fail', summary: 'A TLS-terminating hop in front of the ingress controller (a load balancer, a CDN) forwards plaintext to the controller\'s HTTPS port (nginx\'s 497 as HTTP 400 "The plain HTTP request was sent to HTTPS port", over a TLS connection).' },
  cdnOrigin: { status: 'fail', summary: 'A CDN in front of the ingress answers 520-530 (Cloudflare\'s origin codes): it cannot reach or talk to its origin, the ingress load balancer.' },
  networkLogin: { status: 'fail', summary: 'HTTP 511 Network Authentication Required: a captive portal or network access gateway on this machine\'s network answers instead of the ingress.' },
  filteredOut: { status: 'fail', summary: 'HTTP 451 Unavailable For Legal Reasons: a filtering proxy (a corporate web filter) blocks the host.' },
  requestTimedOut: { status: 'fail', summary: 'HTTP 408 Request Timeout to a complete request: a proxy in front closes requests it considers too slow (a broken client timeout, or one that does not handle HTTP/2 requests).' },
  pathGone: { status: 'fail', summary: 'HTTP 410 Gone: a rule in front of flyteadmin retires the path (flyteadmin never answers 410).' },
  methodRefused: { status: 'fail', summary: 'HTTP 405 to a GET flyteadmin serves: an API gateway or WAF method rule in front, or a backend that does not serve the path.' },
  proxyCredentials: { status: 'fail', summary: 'HTTP 407 Proxy Authentication Required: a proxy between this machine and the ingress (a TLS-intercepting corporate proxy) wants its own credentials; not Flyte\'s auth, not an ingress annotation.' },
  lbAuthFailed: { status: 'fail', summary: 'HTTP 561: the load balancer\'s own authentication action (AWS ALB authenticate-oidc / authenticate-cognito) failed in its exchange with its IdP.' },
  answerFault: { status: 'fail', summary: 'A status that names a fault of what stands in front, not of flyteadmin or the route: 406/415 (a content rule), 411 (a proxy wanting a body length), 425 (TLS early data refused), 501 (GET not implemented by what answers), 508 (proxies forwarding in a loop).' },
  notModified: { status: 'fail', summary: 'HTTP 304 Not Modified to a request that asked for no revalidation: a cache in front answers from its cache instead of the backend.' },
} as const satisfies Messages;

/**
 * What something in front of flyteadmin answers for itself, the same for a gRPC call and an HTTP GET
 * (flyteadmin sends none of these): one finding and one cause per host:port, whichever probe saw it.
 */
function edgeStatusOutcome(ctx: CheckContext, ep: Ep, status: number, observed: string, details: Record<string, Json>, grpc: boolean, headers: Record<string, string | undefined> = {}): Outcome<'networkLogin' | 'filteredOut' | 'requestTimedOut' | 'pathGone' | 'methodRefused' | 'proxyCredentials' | 'lbAuthFailed' | 'notModified'> | undefined {
  const hp = hpOf(ep);
  const where = hostPort(ep);
  if (status === 405) {
    return grpc ? undefined : { status: 'fail', messageId: 'methodRefused', cause: cause.frontAuth(hp), message: `${observed}: GET is refused on a path flyteadmin serves with GET (405 Method Not Allowed): an API gateway or WAF method rule in front, or a backend that does not serve the path`, hint: `allow GET (and POST for the API) through what serves ${ep.host} (a WAF or gateway method rule), and route the path to flyteadmin`, details };
  }
  if (status === 304) {
    return { status: 'fail', messageId: 'notModified', cause: cause.answer(hp, status), message: `${observed}: 304 Not Modified to a ${grpc ? 'call' : 'GET'} that sent no If-None-Match / If-Modified-Since: a cache in front of ${where} (a CDN, a caching proxy) answers from its cache, not a redirect and not flyteadmin`, hint: `exclude Flyte's paths from caching in what serves ${ep.host} (a CDN cache rule, nginx proxy_cache on the Ingress); flyteadmin's answers must not be cached`, details };
  }
  const f = frontAnswer({ status, headers }, { subject: ep.host });
  if (!f) return undefined;
  const message = `${observed}: ${f.text}${f.kind === 'request-timeout' && grpc ? ' (a gRPC call is an HTTP/2 request with a body)' : ''}${f.kind === 'gone' ? `, flyteadmin never does, on ${where}` : ''}`;
  switch (f.kind) {
    case 'captive-portal': return { status: 'fail', messageId: 'networkLogin', cause: cause.frontAuth(hp), message, hint: frontNetworkFix(f.kind, ep.host)!, details };
    case 'web-filter': return { status: 'fail', messageId: 'filteredOut', cause: cause.frontAuth(hp), message, hint: `have the web filter allow ${ep.host} (ask the network team; the answer's server header names the filter), or check from a network without it`, details };
    case 'request-timeout': return { status: 'fail', messageId: 'requestTimedOut', cause: cause.frontAuth(hp), message, hint: `check the proxy or load balancer in front of the ingress (its client/request timeouts${grpc ? ', and that it forwards HTTP/2 requests with bodies' : ''}); ingress-nginx: client-body-timeout / client-header-timeout in the controller ConfigMap`, details };
    case 'gone': return { status: 'fail', messageId: 'pathGone', cause: cause.frontAuth(hp), message, hint: `remove the rule that retires the path (a WAF rule, a gateway route, a server-snippet returning 410) from what serves ${ep.host}`, details };
    // 407 inside the TLS connection to the ingress: a proxy that terminates it (a corporate TLS-inspecting proxy) wants its own credentials
    case 'proxy-auth': return { status: 'fail', messageId: 'proxyCredentials', cause: cause.frontAuth(hp), message: `${message}, before the request reached the ingress: not flyteadmin's auth and not an ingress annotation`, hint: frontNetworkFix(f.kind, ep.host)!, details };
    case 'lb-auth': return { status: 'fail', messageId: 'lbAuthFailed', cause: cause.frontAuth(hp), message, hint: `check the load balancer listener rule's authenticate action for ${ep.host} (its IdP's issuer, token and user-info endpoints, client id and secret, and that the load balancer can reach the IdP), or take Flyte's API paths out of it: flytectl and pyflyte cannot pass a load balancer login in any case (Flyte's own auth is ${useAuthKey(ctx.target)})`, details };
    default: return undefined;
  }
}

/** Findings of a gRPC routing probe. */
export const GRPC_MESSAGES = {
  ...TRANSPORT_MESSAGES,
  ...EDGE_MESSAGES,
  answers: { status: 'pass', summary: 'The service answered the call.' },
  handlerAnswered: { status: 'pass', summary: 'The service\'s handler rejected the empty probe request (INVALID_ARGUMENT and the like): the route reaches it.' },
  authRequired: { status: 'pass', summary: 'flyteadmin answered UNAUTHENTICATED and auth is on (or the values do not say): routed, a token is needed.' },
  notRegisteredAuthOff: { status: 'pass', summary: 'A gRPC server answered UNIMPLEMENTED for a service flyteadmin registers only with auth on, and auth is off: routed.' },
  grpcAsHttp1: { status: 'fail', summary: 'The ingress proxies gRPC to flyteadmin as HTTP/1.1 (no grpc-status, HTTP 400/502/504 while flyteadmin\'s HTTP side answers, a stream reset).' },
  http1Listener: { status: 'fail', summary: 'gRPC reached an HTTP/1.1-only listener (plain port of the ingress): gRPC needs HTTP/2.' },
  grpcNotRouted: { status: 'fail', summary: 'The ingress answers 404 itself for this gRPC prefix: it does not route it.' },
  httpBackend: { status: 'fail', summary: 'An HTTP server (flyteadmin\'s HTTP port, the console) answers the gRPC path: the gRPC route points at the wrong port.' },
  wrongBackend: { status: 'fail', summary: 'A gRPC server without this service answers the path (UNIMPLEMENTED "unknown service", or an answer that is not the response message).' },
  methodMissing: { status: 'fail', summary: 'flyteadmin has the service but not the method: server and client versions differ.' },
  backendDown: { status: 'fail', summary: 'The ingress has no working flyteadmin backend (HTTP 502/503/504 or UNAVAILABLE); names the Service and its ready endpoints when the Kubernetes API answers.' },
  frontAuth: { status: 'fail', summary: 'Something in front of flyteadmin (basic auth, an auth proxy, a WAF) rejects the call (HTTP 401/403/407 or a login redirect).' },
  authOnServer: { status: 'fail', summary: 'flyteadmin requires a token although the values turn auth off: the live server runs with other values (not rolled out, or deployed from other values).' },
  authOffOnServer: { status: 'fail', summary: 'The values turn auth on, but the live server does not (a service registered only with auth is missing, or a guarded call succeeds without a token).' },
  permissionDenied: { status: 'fail', summary: 'PERMISSION_DENIED from an authorization layer in front of or in flyteadmin.' },
  messageTooLarge: { status: 'fail', summary: 'RESOURCE_EXHAUSTED: a message or header size limit of flyteadmin or the proxy (server.grpc.maxMessageSizeBytes, proxy buffers).' },
  rateLimited: { status: 'fail', summary: 'The ingress rate-limits the call (HTTP 429, RESOURCE_EXHAUSTED quota).' },
  misdirected: { status: 'fail', summary: 'HTTP 421 Misdirected Request: the ingress has no server for this host on this connection (SNI / Host mismatch).' },
  serverError: { status: 'fail', summary: 'flyteadmin (or the proxy) failed internally (INTERNAL / UNKNOWN / HTTP 500).' },
  notServing: { status: 'fail', summary: 'grpc.health.v1 says NOT_SERVING (health probe only).' },
} as const satisfies Messages;

/** Findings of an HTTP routing probe. */
export const HTTP_MESSAGES = {
  ...TRANSPORT_MESSAGES,
  ...EDGE_MESSAGES,
  authRequired: { status: 'pass', summary: 'flyteadmin answered 401 with its own JSON and auth is on (or the values do not say): routed, a token is needed.' },
  notRouted: { status: 'fail', summary: 'The ingress (or its default backend) answers 404 itself: the path is not routed.' },
  pathRewritten: { status: 'fail', summary: 'flyteadmin itself answers 404 (its JSON or Go "404 page not found"): the path reached it rewritten (a rewrite-target annotation).' },
  htmlNotJson: { status: 'fail', summary: 'An HTML page answers where flyteadmin answers JSON: the path is routed to the console or a default backend.' },
  grpcBackend: { status: 'fail', summary: 'The HTTP path reaches a gRPC (h2c) port: it answers with HTTP/2 frames, not HTTP/1.1.' },
  notFlyteadmin: { status: 'fail', summary: 'Something other than flyteadmin answers 200 (an HTML catch-all, another app).' },
  notConsole: { status: 'fail', summary: 'An HTML page that is not the Flyte console (an error or maintenance page) answers /console.' },
  frontAuth: GRPC_MESSAGES.frontAuth,
  authOnServer: GRPC_MESSAGES.authOnServer,
  authOffOnServer: GRPC_MESSAGES.authOffOnServer,
  permissionDenied: GRPC_MESSAGES.permissionDenied,
  backendDown: { status: 'fail', summary: 'The ingress has no working backend (HTTP 502/503/504); names the Service and its ready endpoints when the Kubernetes API answers.' },
  serverError: { status: 'fail', summary: 'flyteadmin (its JSON) or the proxy answered 500 or another 5xx.' },
  httpsRedirect: { status: 'fail', summary: 'The values say the ingress has no TLS, but it redirects to https.' },
  redirected: { status: 'fail', summary: 'An unexpected redirect (or a redirect loop) instead of the answer.' },
  requestTooLarge: { status: 'fail', summary: 'HTTP 413/414/431 or "Request Header Or Cookie Too Large": a proxy buffer limit.' },
  rateLimited: GRPC_MESSAGES.rateLimited,
  misdirected: GRPC_MESSAGES.misdirected,
  protocolMismatch: { status: 'fail', summary: 'HTTP 426/505: the ingress wants another protocol version.' },
  unexpectedAnswer: { status: 'fail', summary: 'flyteadmin\'s path answered, but not with the expected document.' },
} as const satisfies Messages;

export type TransportId = keyof typeof TRANSPORT_MESSAGES;
export type GrpcId = keyof typeof GRPC_MESSAGES;
export type HttpId = keyof typeof HTTP_MESSAGES;

// ================================================================ context

export type AuthExpectation = 'on' | 'off' | 'unknown';

/** What the values say about auth: on, off (values given, auth not enabled), unknown (no values). */
export function authExpectation(t: Target): AuthExpectation {
  if (t.auth.enabled) return 'on';
  return t.chart ? 'off' : 'unknown';
}

/** "configuration.auth.enabled is false in values.yaml" */
function authSettingText(t: Target): string {
  const s = setting(t, 'auth.enabled');
  const where = s.origin === 'file' || s.origin === 'flag' || s.origin === 'env' ? ` (${whereSet(s)})` : !t.auth.enabled ? ' (chart default)' : '';
  return `${useAuthKey(t)} is ${t.auth.enabled ? 'true' : 'false'}${where}`;
}

/** The gRPC address of the ingress as the values define it (TLS from the values, not from the client's admin.insecure). */
export function serverGrpcTarget(t: Target): GrpcTarget | undefined {
  return ingressGrpcEndpoint(t);
}

/**
 * Base URL of the HTTP side of the ingress as the values define it: the scheme follows the values'
 * ingress TLS when the chart renders the ingress; a client-only setting (admin.insecure) does not
 * change how the server is judged.
 */
export function serverHttpBase(t: Target): string | undefined {
  const base = ingressHttpBase(t);
  if (!base) return undefined;
  const i = t.ingress;
  if (!i?.enabled) return base;
  const u = new URL(base);
  const want = i.tls ? 'https:' : 'http:';
  if (u.protocol === want) return base;
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  const defaultPort = want === 'https:' ? '443' : '80';
  return `${want}//${u.hostname}${port === defaultPort ? '' : `:${port}`}${u.pathname.replace(/\/+$/, '')}`;
}

const hpOf = (e: { host: string; port: number }) => hostPortKey(e.host, e.port);
const endpointOfUrl = (url: string) => { const u = new URL(url); return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)), tls: u.protocol === 'https:' }; };

/** Cause key of faults in the gRPC routes of the ingress (missing prefixes, wrong backend). */
const grpcRoutesCause = (t: Target) => cause.config(`${ingressKey(t)}.grpc-routes`);
/** Cause key of faults in the HTTP routes of the ingress. */
const httpRoutesCause = (t: Target) => cause.config(`${ingressKey(t)}.http-routes`);
/** Cause key of the gRPC ingress proxying HTTP/1.1. */
const grpcProtocolCause = (t: Target) => cause.config(t.chart === 'flyte-core' ? `${ingressKey(t)}.separateGrpcIngressAnnotations` : `${ingressKey(t)}.grpcAnnotations`);

// ================================================================ Kubernetes evidence

export interface EndpointsEvidence { service: string; port: number; ready: number; notReady: number; exists: boolean }

/**
 * Ready endpoints of the Service behind a route, read-only through the Kubernetes API, when it
 * answers within what the check can spare (the client SDK loads in about a second). Undefined when
 * it cannot be read from here.
 */
export async function backendEndpoints(ctx: CheckContext, pick: (t: Target, fullname?: string) => BackendService): Promise<(EndpointsEvidence & { backend: BackendService }) | undefined> {
  const spare = Math.min(2500, ctx.remainingMs() - 700);
  if (spare < 600) return undefined;
  const ns = ctx.target.kubernetes.namespace;
  const work = (async () => {
    const s = await kubeSession(ctx);
    const sig = probeSignal(ctx.signal, spare);
    const b = pick(ctx.target, (ctx.target as NamedTarget).fullname);
    const enc = encodeURIComponent;
    const svc = await s.getOptional(`/api/v1/namespaces/${enc(ns)}/services/${enc(b.name)}`, sig);
    if (!svc) return { service: b.name, port: b.port, ready: 0, notReady: 0, exists: false, backend: b };
    let ready = 0, notReady = 0, seen = false;
    try {
      const slices = await s.list<{ endpoints?: { addresses?: string[]; conditions?: { ready?: boolean | null } }[] }>(`/apis/discovery.k8s.io/v1/namespaces/${enc(ns)}/endpointslices`, sig, { labelSelector: `kubernetes.io/service-name=${b.name}` });
      for (const sl of slices) for (const e of sl.endpoints ?? []) { seen = true; const n = Array.isArray(e.addresses) ? e.addresses.length : 0; if (e.conditions?.ready === false) notReady += n; else ready += n; }
    } catch (e) { if (!(e instanceof KubeError)) throw e; }
    if (!seen) {
      const ep = await s.getOptional<{ subsets?: { addresses?: unknown[]; notReadyAddresses?: unknown[] }[] }>(`/api/v1/namespaces/${enc(ns)}/endpoints/${enc(b.name)}`, sig);
      for (const sub of ep?.subsets ?? []) { ready += Array.isArray(sub.addresses) ? sub.addresses.length : 0; notReady += Array.isArray(sub.notReadyAddresses) ? sub.notReadyAddresses.length : 0; }
    }
    return { service: b.name, port: b.port, ready, notReady, exists: true, backend: b };
  })();
  work.catch(() => undefined);
  const timer = new Promise<undefined>((r) => { const t = setTimeout(() => r(undefined), spare); t.unref?.(); });
  try { return await Promise.race([work, timer]); } catch { return undefined; }
}

/**
 * The chart's object names as the cluster has them (flyte-binary's fullname comes from the Helm
 * release, which the values do not say), once per run and only on failure paths, within what the
 * check can spare. Undefined when the Kubernetes API cannot tell from here.
 */
async function chartNames(ctx: CheckContext): Promise<{ release: string; fullname?: string } | undefined> {
  if (ctx.target.chart === 'flyte-core') return undefined;
  const spare = Math.min(1500, ctx.remainingMs() - 900);
  if (spare < 300) return undefined;
  const work = ctx.shared(`ingress-chart-names:${ctx.target.kubernetes.namespace}`, async (runSignal) => {
    try {
      const s = await kubeSession(ctx);
      const names = await resolveChartNames(s, { ...(ctx.target.chart ? { chart: ctx.target.chart } : {}), kubernetes: ctx.target.kubernetes } as ChartNames, probeSignal(runSignal, 4000));
      return names.fullname ? { release: names.kubernetes.release, fullname: names.fullname } : undefined;
    } catch { return undefined; }
  });
  const timer = new Promise<undefined>((r) => { const t = setTimeout(() => r(undefined), spare); t.unref?.(); });
  return Promise.race([work, timer]).catch(() => undefined);
}

/** ctx with the target's object names resolved on the cluster when it can tell (for fixes that name Services and Deployments). */
export async function named(ctx: CheckContext): Promise<CheckContext> {
  if ((ctx.target as NamedTarget).fullname) return ctx;
  const n = await chartNames(ctx);
  if (!n) return ctx;
  const target: NamedTarget = { ...ctx.target, kubernetes: { ...ctx.target.kubernetes, release: n.release }, ...(n.fullname ? { fullname: n.fullname } : {}) };
  return { ...ctx, target };
}

function endpointsText(e: EndpointsEvidence, ns: string): string {
  if (!e.exists) return `Service ${e.service} does not exist in namespace ${ns}`;
  return `Service ${e.service} in namespace ${ns} has ${e.ready} ready endpoint(s)${e.notReady ? ` and ${e.notReady} not ready` : ''}`;
}

/** What the endpoints say about a 502/503/504: no ready pod, a missing Service, or pods that are up while the ingress cannot use them. */
function backendVerdict(e: EndpointsEvidence | undefined, component: string, ns: string): string {
  if (!e) return `${component} is down or not ready behind the ingress (the Kubernetes API cannot tell from here which)`;
  if (!e.exists) return `the ingress routes to ${endpointsText(e, ns)}`;
  if (e.ready === 0) return `${component} has no ready pod: ${endpointsText(e, ns)}`;
  return `${endpointsText(e, ns)}, so the pods are up: the Ingress backend names the wrong Service port, or the controller cannot reach the pods (a NetworkPolicy) or lags behind them`;
}

// ================================================================ transport

interface Ep { host: string; port: number; tls: boolean }

/** What listens on ep (for "something else listens here"), bounded by what the check can spare. */
async function sniff(ctx: CheckContext, ep: Ep): Promise<ServiceEvidence | undefined> {
  const ms = Math.min(1500, ctx.remainingMs() - 500);
  if (ms < 300) return undefined;
  try {
    const address = (await resolveHost(ep.host, ctx.target.dnsServer, ms)).address;
    return await identifyService(address, ep.port, { timeoutMs: ms, signal: ctx.signal, servername: ep.host });
  } catch { return undefined; }
}

function tlsFixForIngress(t: Target): string {
  return ingressTlsSecretKey(t);
}

/** Whether ep completes a TLS handshake (nginx answers plaintext on its TLS port with HTTP 400, so an HTTP answer alone does not tell). */
async function speaksTls(ctx: CheckContext, ep: Ep): Promise<boolean> {
  const ms = Math.min(1200, ctx.remainingMs() - 500);
  if (ms < 200) return false;
  try { await tlsProbe({ host: ep.host, port: ep.port, timeoutMs: ms, signal: ctx.signal, ...(ctx.target.dnsServer ? { dnsServer: ctx.target.dnsServer } : {}) }); return true; } catch { return false; }
}

/** The port speaks TLS but was dialled in plaintext: the values (server side) or admin.insecure (client side) say no TLS. */
function tlsPortAsPlainOutcome(ctx: CheckContext, ep: Ep, observed: string, details: Record<string, Json>, side: 'server' | 'client'): Outcome<'tlsPortAsPlain'> {
  const t = ctx.target;
  const key = ingressTlsKey(t);
  const where = hostPort(ep);
  if (side === 'client') {
    return { status: 'fail', messageId: 'tlsPortAsPlain', cause: cause.tls('plaintext', hpOf(ep)), message: `${where} ${observed}, but admin.insecure is true, so clients dial it in plaintext ("Trying to connect an http1.x server")`, hint: fixSetting(t, 'client.insecure', 'admin.insecure', false) ?? 'dial the port with TLS (see client.config.tls-mode)', details };
  }
  return { status: 'fail', messageId: 'tlsPortAsPlain', cause: cause.config(key), message: `${where} ${observed}, but ${key === 'admin.insecure' ? 'admin.insecure says plaintext' : `the values give the ingress no TLS (${key})`}, so it was dialled in plaintext: the values do not describe the ingress that runs`, hint: key === 'admin.insecure' ? (fixSetting(t, 'client.insecure', 'admin.insecure', false) ?? 'dial the port with TLS') : `set ${tlsFixForIngress(t)} so the values match what runs (or give the ingress's plaintext port)`, details };
}

const tlsCauseOf = (ep: Ep, kind: 'version' | 'alpn') => cause.tls(kind, hpOf(ep));

/** A TLS listener without ALPN h2 in front of gRPC: the listener side, told apart from the backend side (backend-protocol GRPC). */
function noH2Outcome(ctx: CheckContext, ep: Ep, c: string, offered: string, details: Record<string, Json>): Outcome<'noH2Alpn'> {
  const bp = Object.entries(ctx.target.ingress?.grpcAnnotations ?? {}).find(([k]) => /backend-protocol$/i.test(k));
  const backend = bp && /^grpcs?$/i.test(bp[1])
    ? `the values already set ${bp[0]}: "${bp[1]}", which governs only the hop from the controller to flyteadmin, not what the listener offers to clients`
    : `${bp ? `${bp[0]} is "${bp[1]}" in the values; ` : ''}nginx.ingress.kubernetes.io/backend-protocol: "GRPC" on the gRPC Ingress is needed as well (the hop from the controller to flyteadmin), but it does not change what the listener offers to clients`;
  return {
    status: 'fail', messageId: 'noH2Alpn', cause: c,
    message: `${hostPort(ep)}: the TLS endpoint does not offer HTTP/2 (${offered}): its TLS listener speaks HTTP/1.1 only, and gRPC needs HTTP/2 (ALPN h2) on the listener clients connect to`,
    hint: `enable ALPN h2 on the listener that terminates TLS for ${ep.host} (ingress-nginx offers it unless the controller ConfigMap sets use-http2: "false"; plain nginx: listen 443 ssl http2; an AWS NLB TLS listener: ALPN policy HTTP2Preferred; an ALB: an HTTPS listener with a gRPC target group); ${backend}`,
    details,
  };
}

/** The finding for a TLS handshake that failed, keyed like the tls.* checks key the same fault (checks/tls/_support.ts). */
async function tlsOutcome(ctx: CheckContext, ep: Ep, kind: NetErrorKind, detail: string, details: Record<string, Json>, side: 'server' | 'client'): Promise<Outcome<TransportId>> {
  const where = hostPort(ep);
  const t = ctx.target;
  const c = (await tlsFailureCause(ctx, ep).catch(() => undefined)) ?? netFailureCause(kind, ep);
  const view = await tlsView(ctx, ep).catch(() => undefined);
  const leaf = view?.probe.chain[0];
  if (leaf) { details.subject = leaf.subject; details.issuer = leaf.issuer; }
  const tk = /^tls-([a-z-]+):/.exec(c)?.[1];
  if (c === cause.config('admin.caCertFilePath')) return { status: 'fail', messageId: 'caFileUnreadable', cause: c, message: `admin.caCertFilePath ${t.client.caCertFilePath ?? ''} cannot be read (${view?.trust.caFileError ?? 'unreadable'}), so ${where}'s certificate is checked against the system roots only: ${detail}`, hint: 'point admin.caCertFilePath at an existing PEM file with the CA that signed the certificate (see client.config.tls-mode)', details };
  switch (tk) {
    case 'default-cert': return { status: 'fail', messageId: 'defaultCert', cause: c, message: `${where} presents the ingress controller's default certificate (${leaf?.subject ?? 'Kubernetes Ingress Controller Fake Certificate'}): the Ingress has no valid TLS Secret for ${ep.host}`, hint: `${ingressTlsSecretFix(t)}; never "trust" the default certificate`, details };
    case 'chain': return { status: 'fail', messageId: 'chainIncomplete', cause: c, message: `${where} sends its certificate without the intermediate CA${leaf ? ` ("${leaf.issuer}")` : ''}: clients cannot build the chain`, hint: 'serve the full chain: leaf + intermediate(s) in tls.crt of the ingress TLS Secret (cert-manager writes it; a hand-made Secret often lacks it); changing caCertFilePath would only hide it for one client', details };
    case 'expired': return { status: 'fail', messageId: kind === 'notYetValid' ? 'certNotYetValid' : 'certExpired', cause: c, message: `the certificate of ${where} ${kind === 'notYetValid' ? 'is not valid yet' : 'has expired'}${leaf ? ` (valid ${leaf.validFrom} to ${leaf.validTo})` : ''}: ${detail}`, hint: kind === 'notYetValid' ? 'check this machine\'s clock and the certificate\'s notBefore' : `renew the certificate in the ingress TLS Secret (cert-manager: kubectl -n ${t.kubernetes.namespace} describe certificate)`, details };
    case 'name': return { status: 'fail', messageId: 'certHostname', cause: c, message: `the certificate of ${where} is not valid for ${ep.host}${leaf ? ` (names: ${leaf.altNames.join(', ') || leaf.subject})` : ''}: ${detail}`, hint: `reissue the certificate with ${ep.host} in subjectAltName, or dial a name it has`, details };
    case 'version': return { status: 'fail', messageId: 'tlsVersion', cause: c, message: `no common TLS version with ${where}${view ? ` (server: ${view.probe.protocol})` : ''}: ${detail}`, hint: 'enable TLS 1.2 and 1.3 on the ingress (ingress-nginx ssl-protocols "TLSv1.2 TLSv1.3"); gRPC clients refuse TLS 1.0/1.1', details };
    case 'alpn': return noH2Outcome(ctx, ep, c, view ? `ALPN offered: ${view.probe.alpn || 'none'}` : 'ALPN h2 refused', details);
    case 'untrusted': {
      const ca = t.client.caCertFilePath;
      return {
        status: 'fail', messageId: kind === 'selfSigned' || leaf?.selfIssued ? 'certSelfSigned' : 'certUntrusted', cause: c,
        message: `${where} presents ${leaf?.selfIssued ? 'a self-signed certificate' : `a chain${leaf ? ` issued by "${leaf.issuer}"` : ''}`} that ${ca ? `admin.caCertFilePath ${ca} does not anchor` : 'no trusted CA anchors'}: ${detail}`,
        hint: ca ? `set admin.caCertFilePath to the CA that issued the certificate${leaf ? ` ("${leaf.issuer}")` : ''}` : 'set admin.caCertFilePath to the CA PEM (flytekit: FLYTE_PLATFORM_CA_CERT_FILE_PATH), or serve a certificate from a CA the clients trust',
        details,
      };
    }
    case 'plaintext': return transportFailure(ctx, ep, 'plaintext', detail, 0, details, side);
    case 'weak-key': {
      const k = view ? weakKeyCert(view) : undefined;
      if (k?.rsaBits) details.rsaBits = k.rsaBits;
      return { status: 'fail', messageId: 'certWeakKey', cause: c, message: `${where}: ${k ? `"${k.subject}" has a ${k.rsaBits}-bit RSA key` : 'a certificate of the chain has an RSA key under 2048 bits'}, which OpenSSL at security level 2 refuses (this client: "${detail}"); flytectl (Go) and grpcio accept it, but Node 24 and later (OpenSSL 3.5), curl and Python's ssl on Debian/Ubuntu (flytekit's auth and requests) do not`, hint: `reissue ${k && k.subject !== leaf?.subject ? `"${k.subject}" and the certificates it signed` : 'the certificate'} with a 2048-bit (or larger) RSA key or an ECDSA P-256 key (openssl req -newkey rsa:2048; cert-manager: privateKey.size) and put it in the Secret the Ingress's tls.secretName names (${ingressTlsKey(t)})`, details };
    }
    case 'weak-signature': {
      const w = view ? weakSigned(view) : undefined;
      return { status: 'fail', messageId: 'certWeakSignature', cause: c, message: `${where} presents a chain in which ${w ? `"${w.subject}" is signed with ${w.algorithm}` : 'a certificate has a weak signature'}: clients refuse it (${detail})`, hint: `reissue ${w && w.subject !== leaf?.subject ? `the intermediate "${w.subject}"` : 'the certificate'} with a SHA-256 signature and put it in the ingress TLS Secret (${ingressTlsKey(t)}); cert-manager and public CAs do this by default`, details };
    }
    default: break;
  }
  // The alert the server sent says which: the call's own error first, then the shared TLS probe's.
  const alert = alertOf(detail) ?? (await tlsView(ctx, ep).then(() => undefined, (e: unknown) => (e instanceof ProbeError ? e.alert : undefined)));
  if (alert) details.tlsAlert = `${alert.name} (${alert.code})`;
  const said = alert ? `with the TLS alert ${alert.name} (${alert.code})` : '';
  // An alert about the client's certificate (bad_certificate from Go servers, unknown_ca, certificate_unknown ...) to a
  // client that sent none, or a TLS 1.2 handshake_failure a throwaway certificate changes: mutual TLS, as certificate_required.
  if (alert && alert.code !== 116 && CERT_ALERTS.has(alert.code)) return clientCertOutcome(ctx, ep, `${where} aborted the TLS handshake with the TLS alert ${clientCertAlertText(alert)}`, details);
  if (alert?.code === 40 && c === cause.frontAuth(hpOf(ep))) {
    const demand = await tlsView(ctx, ep).then(() => undefined, (e: unknown) => (e instanceof ProbeError ? clientCertDemand(ctx, ep, e) : undefined));
    if (demand) details.withClientCertificate = clientCertAnswerText(demand);
    const o = clientCertOutcome(ctx, ep, `${where} aborted the TLS handshake ${said} without a client certificate${demand ? ` and answered one with "${clientCertAnswerText(demand)}"` : ''}, so not for want of a cipher suite`, details);
    return { ...o, hint: `${o.hint}; flytectl and pyflyte never present client certificates` };
  }
  if (alert && CLIENT_HELLO_ALERTS.has(alert.code)) { const h = clientHelloAlertText(where, ep.host, alert); return { status: 'fail', messageId: 'tlsAlert', cause: c, message: `${h.message}: ${detail}`, hint: h.hint, details }; }
  switch (alert?.code) {
    case 116: return clientCertOutcome(ctx, ep, `${where} aborted the TLS handshake ${said}`, details);
    case 71: return { status: 'fail', messageId: 'tlsVersion', cause: tlsCauseOf(ep, 'version'), message: `${where} refused the TLS handshake ${said}: it requires stronger parameters than the client offered (a newer TLS version, or cipher suites / key-exchange groups its policy allows): ${detail}`, hint: 'Flyte clients speak TLS 1.2 and 1.3 with the usual ECDHE/AES-GCM suites: keep those allowed on the ingress (ingress-nginx ssl-protocols "TLSv1.2 TLSv1.3" and the default ssl-ciphers; ALB: an ELBSecurityPolicy-TLS13-1-2-* policy, not a FIPS/PQ-only one), and check the server\'s log for the parameter it wanted', details };
    case 70: return { status: 'fail', messageId: 'tlsVersion', cause: tlsCauseOf(ep, 'version'), message: `${where} aborted the TLS handshake ${said}: it accepts none of the TLS versions (1.2, 1.3) Flyte's clients speak: ${detail}`, hint: 'enable TLS 1.2 and 1.3 on the ingress (ingress-nginx ConfigMap ssl-protocols: "TLSv1.2 TLSv1.3"; ALB: an ELBSecurityPolicy-TLS13-* policy); gRPC clients refuse TLS 1.0/1.1', details };
    case 120:
      // the listener chose h2 when both were offered: what it refused is this client's http/1.1, not h2
      if (view?.probe.alpn === 'h2') return { status: 'fail', messageId: 'noHttp1Alpn', cause: tlsCauseOf(ep, 'alpn'), message: `${where} aborted the TLS handshake ${said} to a client that offers only http/1.1, and negotiates h2 when h2 is offered: the listener speaks HTTP/2 only, so HTTP/1.1 clients (flytekit's requests for the console, auth and data-proxy URLs, curl --http1.1, this check) cannot connect`, hint: `offer http/1.1 next to h2 on the TLS listener of ${ep.host} (Envoy/Istio: alpn_protocols: [h2, http/1.1]; a Go server: NextProtos ["h2", "http/1.1"]; an NLB TLS listener: ALPN policy HTTP2Preferred, not HTTP2Only)`, details };
      return noH2Outcome(ctx, ep, tlsCauseOf(ep, 'alpn'), `ALPN offered: none of h2, http/1.1: ${alert!.name} (${alert!.code})`, details);
    case 112: return { status: 'fail', messageId: 'tlsAlert', cause: c, message: `${where} aborted the TLS handshake ${said}: it has no TLS server (certificate) for the name ${ep.host}`, hint: `add ${ep.host} to the Ingress tls.hosts and its host rules (${ingressTlsKey(t)}), or dial a name the ingress serves`, details };
    case 40: return { status: 'fail', messageId: 'tlsAlert', cause: c, message: `${where} aborted the TLS handshake ${said}: no cipher suite in common, or it wants a client certificate`, hint: 'allow the usual TLS 1.2/1.3 cipher suites on the ingress (ingress-nginx ssl-ciphers; ALB security policy); if it requires client certificates (mutual TLS: auth-tls-verify-client), turn that off for the Flyte host: Flyte\'s clients cannot present one', details };
    case 80: return { status: 'fail', messageId: 'tlsAlert', cause: c, message: `${where} failed inside the TLS handshake ${said}: ${detail}`, hint: 'the server could not complete the handshake with its certificate, key or protocol settings: check the ingress TLS Secret (tls.crt and tls.key must match) and the controller\'s log for the SSL error', details };
    case 49: return { status: 'fail', messageId: 'tlsAlert', cause: c, message: `${where} refused the TLS handshake ${said}`, hint: 'something in front (a WAF, an allow-list by source address) rejects this machine: allow it, or run from an allowed network', details };
    default: break;
  }
  return { status: 'fail', messageId: 'tlsAlert', cause: c, message: `${where} aborted the TLS handshake${said ? ` ${said}, an alert flyte-doctor has no reading for (unrecognised: ${alert!.name})` : ''}: ${detail}`, hint: alert ? `the server rejected the handshake with ${alert.name}: check its TLS configuration (certificate, key, protocols) and its log` : `the ingress has no TLS server for ${ep.host} (SNI), or refuses this client: add ${ep.host} to the Ingress tls.hosts and its host rules`, details };
}

/**
 * The finding for a connection that got no HTTP answer. `side`: 'server' judges the ingress as the
 * values define it; 'client' dials the way the client config says (flyte.admin.grpc).
 */
export async function transportFailure(ctx: CheckContext, ep: Ep, kind: NetErrorKind | 'protocol', detail: string, timeoutMs: number, details: Record<string, Json>, side: 'server' | 'client' = 'server', err?: unknown): Promise<Outcome<TransportId>> {
  const where = hostPort(ep);
  const hp = hpOf(ep);
  const t = ctx.target;
  details.error = kind;
  // how far a connection that got no answer came (src/clients/http.ts HttpNoAnswerError): TCP accepted is no firewall
  const stage = kind === 'timeout' ? noAnswerStage(err) : undefined;
  if (stage && stage !== 'tcp') {
    details.tcp = 'connected';
    if (stage === 'tls-stalled') {
      details.bytesReceived = (err as ProbeError).bytesIn ?? 0;
      return { status: 'fail', messageId: 'handshakeStalled', cause: cause.unreachable(hp), message: `${detail}: the TLS handshake started and stopped midway`, hint: `the server's first flight (ServerHello and its certificate chain) is the largest part of a handshake: a path that loses large packets (an MTU black hole: a VPN, tunnel or overlay network with a smaller MTU where ICMP "fragmentation needed" is blocked) delivers the first bytes and drops the rest. Compare from another network (\`openssl s_client -connect ${where} -servername ${ep.host} </dev/null\`), and lower the tunnel's MTU or clamp the TCP MSS on it; if the path is not the cause, the TLS terminator in front of ${ep.host} stalled mid-handshake (read its logs)`, details };
    }
    if (stage === 'tls-silent') {
      return { status: 'fail', messageId: 'silentServer', cause: cause.unreachable(hp), message: `${detail}: it accepts TCP connections, but no TLS server completes a handshake behind them (a black hole, not a firewall: it let TCP through)`, hint: `something accepts connections on ${where} without a working server behind it: a load balancer whose targets are unhealthy or not registered (the ingress controller's pods, the target group / backend service health), a \`kubectl port-forward\` to a dead pod, or a port of another service that waits for the client to speak first; check the ingress controller pods and the load balancer's backends`, details };
    }
    return { status: 'fail', messageId: 'silentServer', cause: cause.backend(`ingress ${hp}`), message: `${detail}: the connection stands, the request went out, and nothing answered it (not a firewall: it let the connection through)`, hint: `the proxy or load balancer for ${ep.host} holds the request: its upstream is dead or slow (read the ingress controller's log for ${ep.host}, and flyteadmin's pod log and readiness), or what listens on ${where} does not speak HTTP${ep.tls ? ' inside TLS' : ''} (\`curl -v ${ep.tls ? 'https' : 'http'}://${where}/healthcheck\` shows the same wait)`, details };
  }
  // A Service name or a private address that does not resolve or answer from here says nothing about
  // the ingress: Flyte's pods may reach it. Warn with the same cause as dns.admin.resolve / tls.admin.handshake.
  const internalName = isClusterInternal(ep.host);
  if (!t.inCluster && ((internalName && (kind === 'nxdomain' || kind === 'dns' || kind === 'refused' || kind === 'timeout')) || (isPrivateAddress(ep.host) && kind === 'timeout'))) {
    return {
      status: 'warn', messageId: 'notFromHere', cause: kind === 'nxdomain' || kind === 'dns' ? cause.dns(ep.host) : cause.unreachable(hp),
      message: `cannot be checked from this machine: ${where} is ${internalName ? 'a cluster-internal name (a Kubernetes Service)' : 'a private network address'} that ${kind === 'nxdomain' || kind === 'dns' ? 'does not resolve' : 'does not answer'} here; Flyte's pods may well reach it`,
      hint: `run flyte-doctor with --in-cluster for the cluster's view${side === 'client' ? '; clients outside the cluster (flytectl, pyflyte) need the public ingress host in admin.endpoint' : ''}`,
      details,
    };
  }
  switch (kind) {
    case 'nxdomain':
      return { status: 'fail', messageId: 'nxdomain', cause: cause.dns(ep.host), message: `${ep.host} does not exist in DNS (NXDOMAIN)${t.dnsServer ? ` at ${t.dnsServer}` : ''}`, hint: `create the DNS record for ${ep.host} pointing at the ingress load balancer (kubectl -n ${t.kubernetes.namespace} get ingress -o wide), or fix the host (${side === 'client' ? 'admin.endpoint' : `${ingressKey(t)}.host`})`, details };
    case 'dns':
      return { status: 'fail', messageId: 'dnsFailure', cause: cause.dns(ep.host), message: `${ep.host} could not be resolved: ${detail}`, hint: 'the resolver answered with an error, not "no such name": check it (--dns-server, /etc/resolv.conf, VPN split DNS)', details };
    case 'refused':
      return { status: 'fail', messageId: 'refused', cause: cause.unreachable(hp), message: `nothing listens on ${where} (connection refused)`, hint: `check the port (the ingress listens on 443 with TLS, 80 without) and that the ingress controller / load balancer for ${ep.host} exists`, details };
    case 'timeout':
      return { status: 'fail', messageId: 'noAnswer', cause: cause.unreachable(hp), message: `no answer from ${where} within ${seconds(timeoutMs)}`, hint: `a firewall / security group drops TCP ${ep.port} from this machine, or the load balancer is not provisioned (internal-only?)`, details };
    case 'stalled':
      return { status: 'fail', messageId: 'answerStalled', cause: cause.backend(`ingress ${hp}`), message: `${detail}: the ingress, or the backend behind it, stalls in the middle of an answer`, hint: `look at the ingress controller's log for ${ep.host} and at its upstream (flyteadmin's pod log, proxy buffering and proxy-read-timeout settings); \`curl -v\` on the same URL shows the same stall`, details };
    case 'expired': case 'notYetValid': case 'selfSigned': case 'untrusted': case 'hostname': case 'tlsVersion': case 'tlsAlert':
      return tlsOutcome(ctx, ep, kind, detail, details, side);
    case 'plaintext': {
      const s = await sniff(ctx, ep);
      if (s) details.listener = describeService(s);
      if (s && s.kind !== 'http' && s.kind !== 'unknown' && s.kind !== 'silent' && s.kind !== 'closes') {
        return { status: 'fail', messageId: 'wrongService', cause: cause.wrongService(hp), message: `${where} is not the ingress: ${describeService(s)} listens there`, hint: `point ${side === 'client' ? 'admin.endpoint' : 'the ingress host/port'} at the ingress TLS listener (443)`, details };
      }
      return {
        status: 'fail', messageId: 'plaintextPort', cause: cause.tls('plaintext', hp),
        message: `${where} does not speak TLS (${/WRONG_VERSION_NUMBER|wrong version number/i.test(detail) ? 'WRONG_VERSION_NUMBER' : detail})${s ? `: ${describeService(s)}` : ''}, though ${side === 'client' ? 'the client' : 'the values'} expect TLS`,
        hint: side === 'client' ? 'point admin.endpoint at the TLS listener of the ingress (443), or set admin.insecure: true when you dial a plaintext admin port (8089, port-forward)'
          : t.ingress?.enabled && t.ingress.tls ? `the values already give the ingress TLS (${ingressTlsKey(t)}), but port ${ep.port} answers in plaintext: dial the ingress's TLS listener (443; the endpoint names its plain port?), or check that the controller really serves TLS for ${ep.host} (\`kubectl -n ${t.kubernetes.namespace} get ingress -o wide\`, the TLS Secret exists)`
            : `serve TLS on this port (${tlsFixForIngress(t)}), or use the ingress's TLS port`,
        details,
      };
    }
    case 'reset': case 'protocol': case 'other': {
      const s = await sniff(ctx, ep);
      if (s) details.listener = describeService(s);
      if (!ep.tls && (s?.kind === 'tls' || (s?.kind === 'http' && (await speaksTls(ctx, ep))))) return tlsPortAsPlainOutcome(ctx, ep, `speaks TLS (${s.detail ?? 'TLS'})`, details, side);
      if (ep.tls && (s?.kind === 'tls' || kind === 'reset')) {
        // TLS 1.3: a server that requires a client certificate says so (certificate_required) only
        // after the handshake the client already counted as done; the request just sees a close.
        const ms = Math.min(1200, ctx.remainingMs() - 500);
        const a = ms >= 200 ? await postHandshakeAlert({ host: ep.host, port: ep.port, timeoutMs: ms, signal: ctx.signal, ...(t.dnsServer ? { dnsServer: t.dnsServer } : {}) }) : undefined;
        if (a) { details.tlsAlert = `${a.name} (${a.code})`; return tlsOutcome(ctx, ep, 'tlsAlert', `${detail}; after the handshake the server sent the TLS alert ${a.name} (SSL alert number ${a.code})`, details, side); }
      }
      if (s && s.kind !== 'http' && s.kind !== 'tls' && s.kind !== 'unknown' && s.kind !== 'silent') {
        return { status: 'fail', messageId: s.kind === 'closes' ? 'connectionReset' : 'wrongService', cause: cause.wrongService(hp), message: `${where} ${s.kind === 'closes' ? 'accepts connections and closes them without a word' : `is not the ingress: ${describeService(s)} listens there`}`, hint: `point ${side === 'client' ? 'admin.endpoint' : 'the ingress host/port'} at the ingress (443 with TLS)`, details };
      }
      if (kind === 'reset') return { status: 'fail', messageId: 'connectionReset', cause: cause.wrongService(hp), message: `${where} closed the connection: ${detail}${s ? ` (${describeService(s)})` : ''}`, hint: 'the port accepts connections but drops this protocol: check that it is the ingress\'s TLS port and not a filtering proxy', details };
      return { status: 'fail', messageId: 'unrecognised', message: `unrecognised answer from ${where}: ${detail}${s ? ` (${describeService(s)})` : ''}`, hint: 'check that the host and port are the ingress of this Flyte install', details };
    }
    default:
      return { status: 'fail', messageId: 'unrecognised', message: `unrecognised failure talking to ${where}: ${kind}: ${detail}`, hint: 'check that the host and port are the ingress of this Flyte install', details };
  }
}

// ================================================================ auth cross-checks

/** Whether flyteadmin at `t` has auth on, from AuthMetadataService (registered only with useAuth). Shared per run. */
async function serverHasAuth(ctx: CheckContext, t: GrpcTarget, o: GrpcOptions): Promise<boolean | undefined> {
  const ms = Math.min(1500, ctx.remainingMs() - 600);
  if (ms < 300) return undefined;
  return ctx.shared(`ingress-server-auth:${hostPort(t)}:${t.tls}`, async () => {
    try { await callFlyteMethod(ctx, t, o, 'flyteidl.service.AuthMetadataService', 'GetOAuth2Metadata', ms); return true; } catch (e) {
      const f = classifyGrpcError(e);
      if (f.kind === 'status' && f.code === 'UNIMPLEMENTED') return false;
      return undefined;
    }
  });
}

function authOnServerOutcome(ctx: CheckContext, where: string, observed: string, details: Record<string, Json>): Outcome<'authOnServer'> {
  const t = ctx.target;
  const turnOn = fixSetting(t, 'auth.enabled', useAuthKey(t), true);
  return {
    status: 'fail', messageId: 'authOnServer', cause: cause.config(useAuthKey(t)),
    message: `${where}: ${observed}, although ${authSettingText(t)}: the live flyteadmin runs with auth on, so the values and the server disagree (the values were not rolled out, or the server was deployed from other values)`,
    hint: `to run without auth as the values say: ${rolloutCommand(t)}; if auth is meant to be on, ${turnOn ?? `keep ${useAuthKey(t)}: true`} and give the clients admin.authType`,
    details,
  };
}

function authOffOnServerOutcome(ctx: CheckContext, where: string, observed: string, details: Record<string, Json>): Outcome<'authOffOnServer'> {
  const t = ctx.target;
  return {
    status: 'fail', messageId: 'authOffOnServer', cause: cause.config(useAuthKey(t)),
    message: `${where}: ${observed}, although ${authSettingText(t)}: the live flyteadmin runs without auth, so the values and the server disagree`,
    hint: `roll the values out: ${rolloutCommand(t)} (flyteadmin reads useAuth at start-up); if the deployment is meant to be open, set ${useAuthKey(t)}: false`,
    details,
  };
}

/** The finding for an HTTP 401/403/407 or login redirect that is not flyteadmin's own. */
function frontAuthOutcome(ctx: CheckContext, ep: Ep, observed: string, evidence: { wwwAuthenticate?: string; title?: string; location?: string; server?: string }, details: Record<string, Json>): Outcome<'frontAuth'> {
  const hp = hpOf(ep);
  const what = /^basic/i.test(evidence.wwwAuthenticate ?? '') ? `HTTP basic auth (WWW-Authenticate: ${evidence.wwwAuthenticate})`
    : evidence.location && /oauth2\/(start|sign_in)|oauth2-proxy/i.test(evidence.location) ? `an oauth2-proxy login redirect (${evidence.location})`
      : evidence.location ? `a login redirect (${evidence.location})`
        : /^bearer/i.test(evidence.wwwAuthenticate ?? '') ? `a token-checking proxy (WWW-Authenticate: ${evidence.wwwAuthenticate})`
          : `an auth proxy or WAF${evidence.title ? ` ("${evidence.title}")` : ''}${evidence.server ? ` (server ${evidence.server})` : ''}`;
  const auth = authExpectation(ctx.target);
  return {
    status: 'fail', messageId: 'frontAuth', cause: cause.frontAuth(hp),
    message: `${observed} from ${what} in front of flyteadmin${auth === 'off' ? `, while ${authSettingText(ctx.target)}` : ''}: flytectl/pyflyte cannot get through it`,
    hint: `remove the authentication in front of flyteadmin's paths (ingress annotations such as nginx.ingress.kubernetes.io/auth-type / auth-url / auth-signin, an oauth2-proxy, a WAF rule); Flyte's own auth is ${useAuthKey(ctx.target)}`,
    details,
  };
}

// ================================================================ answers of what stands in front of flyteadmin

/**
 * nginx answers its own codes 494-497 as HTTP 400 under their own title (a client sees "400 No
 * required SSL certificate was sent"): which one this page is, if any.
 */
export function nginx400Kind(body: string | undefined): 'headerTooLarge' | 'noClientCert' | 'badClientCert' | 'plainToTls' | undefined {
  if (!body) return undefined;
  if (/No required SSL certificate was sent/i.test(body)) return 'noClientCert';
  if (/The SSL certificate error/i.test(body)) return 'badClientCert';
  if (/plain HTTP request was sent to HTTPS port|client sent an HTTP request to an HTTPS server/i.test(body)) return 'plainToTls';
  if (/Header Or Cookie Too Large|header too (long|large)/i.test(body)) return 'headerTooLarge';
  return undefined;
}

/** nginx's own 494-497, whether sent as 400 with their title or (relayed by another proxy, an error_page) as themselves. */
export function nginxOwnKind(status: number, body: string | undefined): ReturnType<typeof nginx400Kind> {
  if (status === 400) return nginx400Kind(body);
  return status === 494 ? 'headerTooLarge' : status === 495 ? 'badClientCert' : status === 496 ? 'noClientCert' : status === 497 ? 'plainToTls' : undefined;
}

/** The ingress asks for a client certificate (ssl_verify_client / auth-tls-verify-client) and answers 400 without one. */
function clientCertOutcome(ctx: CheckContext, ep: Ep, observed: string, details: Record<string, Json>): Outcome<'clientCertRequired'> {
  const anns = clientCertAnnotations(ctx.target);
  if (anns.length) details.clientCertAnnotations = anns.map((a) => `${a.key}: ${a.annotation}=${a.value}`);
  const verify = anns.find((a) => /verify-client$/i.test(a.annotation));
  return {
    status: 'fail', messageId: 'clientCertRequired', cause: cause.frontAuth(hpOf(ep)),
    message: `${observed}: the ingress for ${ep.host} requires a client certificate (mutual TLS), and flytectl and pyflyte present none${anns.length ? ` (the values set ${anns.map((a) => `${a.annotation}: "${a.value}" in ${a.key}`).join(', ')})` : ''}`,
    hint: verify
      ? `remove ${anns.map((a) => a.annotation).join(' and ')} from ${[...new Set(anns.map((a) => a.key))].join(' and ')} (or set ${verify.annotation}: "off"), then helm upgrade: Flyte's clients cannot present a client certificate`
      : `the values set no nginx.ingress.kubernetes.io/auth-tls-* annotation, so the requirement comes from elsewhere: another Ingress for ${ep.host} with auth-tls-verify-client, a server-snippet with ssl_verify_client on, or the load balancer's mTLS setting; turn it off for ${ep.host} (\`kubectl get ingress -A -o yaml | grep -n auth-tls\`): Flyte's clients cannot present a client certificate`,
    details,
  };
}

/** nginx's 497 over a TLS connection: a hop in front terminates TLS and speaks plaintext to the controller's TLS port. */
function plainToTlsUpstreamOutcome(ctx: CheckContext, ep: Ep, observed: string, details: Record<string, Json>): Outcome<'plainToTlsUpstream'> {
  return {
    status: 'fail', messageId: 'plainToTlsUpstream', cause: cause.tls('plaintext', `upstream-of:${hpOf(ep)}`),
    message: `${observed}, though this client spoke TLS to ${hostPort(ep)}: a hop in front of the ingress controller (a load balancer or CDN that terminates TLS) forwards plain HTTP to the controller's HTTPS port; the values' TLS (${ingressTlsKey(ctx.target)}) is not what is wrong`,
    hint: `point the load balancer's plaintext listener at the controller's HTTP port (80), or pass TLS through to the controller's 443 (ingress-nginx: controller.service.targetPorts.https: https, and no TLS termination on the load balancer, e.g. service.beta.kubernetes.io/aws-load-balancer-backend-protocol: tcp / ssl)`,
    details,
  };
}

/** Cloudflare's origin codes (also used by other CDNs): what the edge says about its hop to the origin. */
const CDN_CODES: Readonly<Record<number, string>> = {
  520: 'the origin answered with something empty, unknown or reset (520 Web Server Returned an Unknown Error)',
  521: 'the origin refused the connection (521 Web Server Is Down)',
  522: 'the connection to the origin timed out (522 Connection Timed Out)',
  523: 'the origin is unreachable from the CDN (523 Origin Is Unreachable: no route, or a wrong origin record)',
  524: 'the origin accepted the connection but did not answer in time (524 A Timeout Occurred)',
  525: 'the TLS handshake between the CDN and the origin failed (525 SSL Handshake Failed)',
  526: 'the origin\'s certificate is not valid for the CDN (526 Invalid SSL Certificate, strict TLS mode)',
  527: 'the CDN\'s Railgun connection to the origin failed (527 Railgun Error)',
  530: 'the CDN could not resolve or use the origin (530, with a 1xxx error on the page)',
};

/** The CDN finding for a 520-530 answer; undefined for other statuses. */
function cdnOutcome(ctx: CheckContext, ep: Ep, status: number, observed: string, details: Record<string, Json>, grpc: boolean): Outcome<'cdnOrigin'> | undefined {
  const what = CDN_CODES[status];
  if (!what) return undefined;
  const t = ctx.target;
  const ns = t.kubernetes.namespace;
  details.cdnCode = status;
  const hint = status === 525 || status === 526
    ? `give the origin a certificate and TLS the CDN accepts: the certificate of the ingress TLS Secret (${ingressTlsKey(t)}) must name ${ep.host} and come from a public CA or the CDN's origin CA, with TLS 1.2+ on the ingress (the tls.admin.* checks judge what the origin serves when run against it); or relax the CDN's TLS mode to "Full" (not "Flexible": that speaks plain HTTP to the origin)`
    : status === 524
      ? `the origin holds the request past the CDN's timeout (100 s on Cloudflare): check flyteadmin's log (\`${kubectl(t.kubernetes, ns)} logs deploy/${adminHttpBackend(t).deployment}\`)${grpc ? '; gRPC through a CDN also needs its gRPC support turned on (Cloudflare: Network → gRPC)' : ''}`
      : status === 530
        ? `fix the CDN's origin record for ${ep.host}: it must name the ingress load balancer (\`kubectl -n ${ns} get ingress -o wide\`, ADDRESS)`
        : `make the CDN's origin for ${ep.host} the ingress load balancer (\`kubectl -n ${ns} get ingress -o wide\`, ADDRESS), and let it accept the CDN's addresses on 443 (firewall / security group, controller.service.loadBalancerSourceRanges)${grpc ? '; gRPC through a CDN needs its gRPC support turned on (Cloudflare: Network → gRPC)' : ''}`;
  return { status: 'fail', messageId: 'cdnOrigin', cause: cause.backend(`cdn-origin:${hpOf(ep)}`), message: `${observed}: a CDN in front of ${hostPort(ep)} says ${what}; flyteadmin was not reached, and nothing here says it is down`, hint, details };
}

/** nginx's own error page ("<title>500 Internal Server Error</title> ... <center>nginx</center>"): the proxy failed, not a backend's answer relayed. */
function proxyOwnErrorPage(body: string | undefined, server: string | undefined): boolean {
  if (!body) return false;
  return /<title>5\d\d [^<]*<\/title>[\s\S]*<center>(nginx|openresty)[^<]*<\/center>/i.test(body) || (/^(nginx|openresty)/i.test(server ?? '') && /^\s*<html>\s*<head><title>5\d\d /i.test(body));
}

/** The ingress controller answered a 5xx of its own (500 / 501 / 507...): its log says why (an auth-url service that fails, a snippet or Lua error). */
function proxyErrorOutcome(ep: Ep, observed: string, status: number, details: Record<string, Json>): Outcome<'serverError'> {
  details.proxyOwnPage = true;
  return {
    status: 'fail', messageId: 'serverError', cause: cause.backend(`ingress-controller:${hpOf(ep)}`),
    message: `${observed}: nginx's own error page, so the ingress controller failed before or without its backend${status === 500 ? ' (ingress-nginx answers 500 itself when an auth-url service fails or cannot be reached, or a snippet / Lua script errs)' : status === 501 ? ' (501: a method or transfer encoding it does not implement)' : ''}; flyteadmin was not blamed by this answer`,
    hint: 'read the ingress controller\'s log for this request (`kubectl -n ingress-nginx logs deploy/ingress-nginx-controller`, or your controller\'s namespace): it names the failing auth subrequest or configuration; check nginx.ingress.kubernetes.io/auth-url and *-snippet annotations on the Flyte Ingresses',
    details,
  };
}

// ================================================================ gRPC

export interface GrpcProbe<T> { ok: true; value: T; where: string; o: GrpcOptions; t: GrpcTarget }
export interface GrpcProbeFail { ok: false; outcome: Outcome<GrpcId> }

/**
 * Calls one service through `t` and judges a failure. `call` gets the trust options and the timeout.
 * `side` says whose setting decides how to dial (see transportFailure).
 */
export async function grpcProbe<T>(ctx: CheckContext, t: GrpcTarget, svc: GrpcServiceSpec, call: (o: GrpcOptions, timeoutMs: number) => Promise<T>, side: 'server' | 'client' = 'server'): Promise<GrpcProbe<T> | GrpcProbeFail> {
  const { o, timeoutMs, where } = await grpcCallSetup(ctx, t);
  // A call that takes long may end as a deadline: ask the HTTP side of the same ingress meanwhile
  // (once per run), so the finding can tell a hanging backend from a proxy that waits on gRPC spoken as HTTP/1.1.
  const early = side === 'server' ? setTimeout(() => { void httpSideAnswers(ctx).catch(() => undefined); }, Math.round(timeoutMs * 0.4)) : undefined;
  try {
    return { ok: true, value: await call(o, timeoutMs), where, o, t };
  } catch (err) {
    return { ok: false, outcome: await judgeGrpcFailure(ctx, t, o, svc, err, timeoutMs, side) };
  } finally {
    clearTimeout(early);
  }
}

/** True when the call answered OK although a token is required when auth is on: the server has auth off. */
export function answeredWithoutToken(ctx: CheckContext, svc: GrpcServiceSpec): boolean {
  return svc.needsToken && authExpectation(ctx.target) === 'on';
}

/** The authOffOnServer finding for a guarded call that succeeded anonymously. */
export function anonymousAnswerOutcome(ctx: CheckContext, where: string, what: string, details: Record<string, Json>): Outcome<'authOffOnServer'> {
  return authOffOnServerOutcome(ctx, where, `${what} answered without a token`, details);
}

function grpcDetails(t: GrpcTarget, svc: GrpcServiceSpec, f: GrpcFailure): Record<string, Json> {
  return { endpoint: hostPort(t), path: svc.path, tls: t.tls, ...(f.code ? { grpcCode: f.code } : {}), grpcDetails: f.detail.slice(0, 300), ...(f.httpStatus ? { httpStatus: f.httpStatus } : {}), ...(f.address ? { address: f.address } : {}) };
}

async function evidence(ctx: CheckContext, t: GrpcTarget, o: GrpcOptions, path: string, details: Record<string, Json>, capMs = 1500): Promise<H2Evidence> {
  const ms = Math.min(capMs, Math.max(200, ctx.remainingMs() - 400));
  const ev = await h2Evidence(ctx, t, o, path, ms);
  for (const [k, v] of Object.entries(ev)) if (v !== undefined && k !== 'body') details[k === 'status' ? 'evidenceHttpStatus' : k] = v as Json;
  return ev;
}

/** GET /healthcheck on the HTTP side of the same ingress, once per run: does flyteadmin answer HTTP there? */
/** GET /healthcheck on the ingress's HTTP side, once per run: its status (and whether it is flyteadmin's answer). */
async function httpSideStatus(ctx: CheckContext): Promise<{ status: number; flyteadmin: boolean; url: string } | undefined> {
  const base = serverHttpBase(ctx.target);
  if (!base) return undefined;
  const ms = Math.min(1500, ctx.remainingMs() - 600);
  if (ms < 300) return undefined;
  return ctx.shared(`ingress-http-side:${base}`, async () => {
    try {
      const trust = await clientTrust(ctx.target);
      const url = `${base}/healthcheck`;
      const r = await httpRequest(ctx, url, { ...(trust.ca ? { ca: trust.ca } : {}), skipVerify: true, timeoutMs: ms });
      return { status: r.status, flyteadmin: r.status === 200 && !isHtml(r), url };
    } catch { return undefined; }
  });
}

function urlHostPort(url: string): string | undefined {
  try { const u = new URL(url); return hostPortKey(u.hostname, u.port || (u.protocol === 'https:' ? 443 : 80)); } catch { return undefined; }
}

async function httpSideAnswers(ctx: CheckContext): Promise<boolean | undefined> {
  const s = await httpSideStatus(ctx);
  return s ? s.flyteadmin : undefined;
}

async function backendDownGrpc(ctx: CheckContext, t: GrpcTarget, svc: GrpcServiceSpec, observed: string, details: Record<string, Json>): Promise<Outcome<GrpcId>> {
  const ep = await backendEndpoints(ctx, adminGrpcBackend);
  const b = ep?.backend ?? adminGrpcBackend(ctx.target);
  if (ep) details.backendEndpoints = { service: ep.service, ready: ep.ready, notReady: ep.notReady, exists: ep.exists };
  const ns = ctx.target.kubernetes.namespace;
  const k = kubectl(ctx.target.kubernetes, ns);
  return {
    status: 'fail', messageId: 'backendDown', cause: cause.backend('flyteadmin'),
    message: `${svc.label}/${svc.method} through ${hostPort(t)}: ${observed}: the ingress has no working flyteadmin gRPC backend; ${backendVerdict(ep, 'flyteadmin', ns)}`,
    hint: ep && ep.exists && ep.ready === 0
      ? `flyteadmin is not ready: \`${k} get pods\` and \`${k} describe deploy/${b.deployment}\` (see flyte.deployments.ready); the Service ${b.name} gets endpoints when the pods are Ready`
      : ep && !ep.exists ? `the gRPC Service ${b.name} is missing: the ingress routes to a Service that does not exist (check the Ingress backend and ${ingressKey(ctx.target)}.separateGrpcIngress)`
        : `check flyteadmin and its Service: \`${k} get pods,endpointslices -l kubernetes.io/service-name=${b.name}\`, and that the gRPC Ingress's backend is ${b.name}:${b.port}`,
    details,
  };
}

/** Judges a failed gRPC call through `t` to `svc`. Never returns for our own abort (rethrows). */
export async function judgeGrpcFailure(ctx: CheckContext, t: GrpcTarget, o: GrpcOptions, svc: GrpcServiceSpec, err: unknown, timeoutMs: number, side: 'server' | 'client' = 'server'): Promise<Outcome<GrpcId>> {
  if (ctx.signal.aborted) throw err;
  const f = classifyGrpcError(err);
  if (f.kind === 'aborted') throw err;
  const where = hostPort(t);
  const ep: Ep = { host: t.host, port: t.port, tls: t.tls };
  const details = grpcDetails(t, svc, f);
  const auth = authExpectation(ctx.target);
  const call = `${svc.label}/${svc.method} through ${where}`;
  // Answers that prove the route come first: they need no names from the cluster.
  if (f.kind === 'status') {
    const code = f.code ?? 'UNKNOWN';
    if (code === 'UNIMPLEMENTED' && svc.registered === 'auth' && auth !== 'on' && f.detail.trim()) {
      return { status: 'pass', messageId: 'notRegisteredAuthOff', message: `${call}: UNIMPLEMENTED from a gRPC server ("${f.detail}"): the prefix is routed; flyteadmin registers ${svc.label} only with auth on, and ${auth === 'off' ? authSettingText(ctx.target) : 'the values do not turn auth on'}`, details };
    }
    if (code === 'UNAUTHENTICATED' && svc.id !== 'authmetadata' && auth !== 'off') {
      return { status: 'pass', messageId: 'authRequired', message: `${call}: UNAUTHENTICATED from flyteadmin: routed; auth is on${auth === 'unknown' ? ' on the server' : ''}, so a token is needed`, details };
    }
    if (svc.handlerAnswers.includes(code) && !answeredWithoutToken(ctx, svc)) {
      return { status: 'pass', messageId: 'handlerAnswered', message: `${call}: ${svc.label} rejected the empty probe request with ${code} ("${f.detail}"): routed to flyteadmin's handler`, details };
    }
  }
  ctx = await named(ctx);
  const target = ctx.target;
  switch (f.kind) {
    case 'http': return judgeHttpStatusOnGrpc(ctx, t, o, svc, f.httpStatus!, details, side);
    case 'status': {
      const code = f.code ?? 'UNKNOWN';
      const d = f.detail;
      switch (code) {
        case 'UNIMPLEMENTED':
          if (!d.trim()) {
            // gRPC servers name the service or method they lack; an empty UNIMPLEMENTED is a proxy's own "no route" (Envoy/Istio send their 404 to gRPC clients as 12).
            return { status: 'fail', messageId: 'grpcNotRouted', cause: grpcRoutesCause(target), message: `${call}: UNIMPLEMENTED with no message, which gRPC servers never send (they name the unknown service or method): a proxy in front (Envoy, Istio, a gateway) has no route for ${svc.service} and answers its 404 as UNIMPLEMENTED`, hint: grpcRoutesFix(target, [`/${svc.service}`]), details };
          }
          if (svc.registered === 'auth') return authOffOnServerOutcome(ctx, where, `${svc.label} is UNIMPLEMENTED ("${d}"); flyteadmin registers it only with auth on`, details);
          if (/unknown method/i.test(d)) return { status: 'fail', messageId: 'methodMissing', message: `${call}: the server has ${svc.label} but not ${svc.method} ("${d}"): its version does not match the clients'`, hint: 'upgrade flyteadmin to the release the clients use (flyte-doctor reads its version in flyte.admin.grpc), or pin the clients to the server\'s release', details };
          return { status: 'fail', messageId: 'wrongBackend', cause: grpcRoutesCause(target), message: `${call}: a gRPC server that does not serve ${svc.label} answered UNIMPLEMENTED ("${d}"): the route reaches another gRPC server (datacatalog, a connector, another app)`, hint: `point ${svc.service} on the gRPC ingress at flyteadmin's gRPC port (${adminGrpcBackend(target).name}:${adminGrpcBackend(target).port})`, details };
        case 'UNAUTHENTICATED': {
          if (svc.id === 'authmetadata') {
            return frontAuthOutcome(ctx, ep, `${call}: UNAUTHENTICATED ("${d}"), though flyteadmin serves ${svc.label} without a token; it comes`, {}, details);
          }
          if (FLYTEADMIN_UNAUTH_RE.test(d) || (await serverHasAuth(ctx, t, o)) === true) return authOnServerOutcome(ctx, where, `${svc.label}/${svc.method} answered UNAUTHENTICATED ("${d.slice(0, 140)}")`, details);
          return frontAuthOutcome(ctx, ep, `${call}: UNAUTHENTICATED ("${d.slice(0, 140)}"), not flyteadmin's auth (AuthMetadataService is not registered), so it comes`, {}, details);
        }
        case 'PERMISSION_DENIED':
          return { status: 'fail', messageId: 'permissionDenied', cause: cause.frontAuth(hpOf(ep)), message: `${call}: PERMISSION_DENIED ("${d}")${auth === 'off' ? `, while ${authSettingText(target)}` : ''}: an authorization layer (service mesh policy, WAF, ext_authz) refuses the call`, hint: 'allow flyteadmin\'s gRPC paths from the clients in the policy in front of it (e.g. an Istio AuthorizationPolicy, an ingress allow-list)', details };
        case 'RESOURCE_EXHAUSTED': {
          if (/^Received message larger than max/i.test(d)) {
            const ev = await evidence(ctx, t, o, svc.path, details);
            if (ev.status === 200 && ev.contentType && !/grpc/i.test(ev.contentType)) return httpBackendOutcome(ctx, t, svc, `HTTP 200 ${ev.contentType}${ev.body ? ` ("${htmlTitle(ev.body) ?? ev.snippet ?? ''}")` : ''}`, details);
          }
          if (/metadata size|header/i.test(d)) return { status: 'fail', messageId: 'messageTooLarge', message: `${call}: RESOURCE_EXHAUSTED ("${d}"): response headers exceed a limit`, hint: 'raise the proxy header buffers (nginx.ingress.kubernetes.io/proxy-buffer-size: 256k, as the AKS example does) and use a client with a larger metadata limit (flytekit ≥ 1.13)', details };
          if (/quota|rate|too many/i.test(d)) return { status: 'fail', messageId: 'rateLimited', cause: cause.frontAuth(hpOf(ep)), message: `${call}: RESOURCE_EXHAUSTED ("${d}"): rate-limited`, hint: 'raise or remove the rate limit in front of flyteadmin (ingress limit-rps / mesh rate limit) for the clients\' address', details };
          const key = maxMessageSizeKey(target);
          return { status: 'fail', messageId: 'messageTooLarge', cause: cause.config(key), message: `${call}: RESOURCE_EXHAUSTED ("${d}"): flyteadmin's gRPC message size limit is smaller than its answers`, hint: `raise ${key} (flyteadmin server.grpc.maxMessageSizeBytes; e.g. 16777216), then ${rolloutCommand(target, 'none')}`, details };
        }
        case 'UNAVAILABLE': case 'DEADLINE_EXCEEDED':
          // Envoy/Istio answer a local rate limit (HTTP 429) to gRPC as UNAVAILABLE "local_rate_limited".
          if (/rate[ _-]?limit|too many requests/i.test(d)) return { status: 'fail', messageId: 'rateLimited', cause: cause.frontAuth(hpOf(ep)), message: `${call}: ${code} ("${d}"): a rate limit in front of flyteadmin refuses the call (Envoy/Istio send their HTTP 429 to gRPC clients as UNAVAILABLE)`, hint: 'raise or remove the rate limit in front of flyteadmin for the clients (Envoy local_ratelimit / Istio EnvoyFilter token bucket, ingress limit-rps)', details };
          return backendDownGrpc(ctx, t, svc, code === 'DEADLINE_EXCEEDED' ? `DEADLINE_EXCEEDED sent by the proxy/server ("${d}"), not this client's own deadline: its upstream did not answer within the proxy's timeout` : `${code} from the proxy/server ("${d}")`, details);
        case 'CANCELLED':
          return { status: 'fail', messageId: 'unrecognised', cause: cause.answer(hpOf(ep), 'CANCELLED'), message: `${call}: CANCELLED ("${d}") by the peer: ${/Call cancelled/i.test(d) ? 'the proxy or server reset the stream (RST_STREAM CANCEL) before answering' : 'the proxy or server answered grpc-status 1 (CANCELLED) itself'}`, hint: `read the ingress controller's log for ${svc.path} and flyteadmin's log: a proxy cancels when its upstream resets or times out`, details };
        case 'INTERNAL': case 'UNKNOWN': case 'DATA_LOSS':
          return { status: 'fail', messageId: 'serverError', cause: cause.backend('flyteadmin'), message: `${call}: ${code} ("${d}"): flyteadmin failed while answering`, hint: `read flyteadmin's log: \`${kubectl(target.kubernetes, target.kubernetes.namespace)} logs deploy/${adminGrpcBackend(target).deployment}\``, details };
        default:
          if (svc.handlerAnswers.includes(code)) return anonymousAnswerOutcome(ctx, where, `${svc.label}/${svc.method}`, details);
          return { status: 'fail', messageId: 'unrecognised', cause: cause.answer(hpOf(ep), code), message: `unrecognised answer to ${call}: ${code} ("${d}")`, hint: `${svc.method} takes no arguments on flyteadmin; check what serves ${svc.service} behind ${where}`, details };
      }
    }
    case 'protocol': {
      if (!t.tls && /Protocol error/i.test(f.detail)) {
        // A plaintext dial: what does the port speak?
        try {
          const p = await plainProbe({ host: t.host, port: t.port, timeoutMs: Math.min(1500, Math.max(200, ctx.remainingMs() - 500)), signal: ctx.signal, ...(target.dnsServer ? { dnsServer: target.dnsServer } : {}) });
          details.listener = p.kind + (p.statusLine ? ` (${p.statusLine})` : '');
          if (p.kind === 'tls' || (p.kind === 'http1' && (await speaksTls(ctx, ep)))) {
            details.listener = 'TLS';
            return tlsPortAsPlainOutcome(ctx, ep, `answers the HTTP/2 preface with ${p.statusLine ?? 'an HTTP error'} and completes a TLS handshake`, details, side);
          }
          if (p.kind === 'http1') {
            const key = ingressTlsKey(target);
            return { status: 'fail', messageId: 'http1Listener', cause: side === 'client' ? cause.config('admin.insecure') : cause.config(key), message: `${where} answers gRPC with HTTP/1.x (${p.statusLine ?? 'an HTTP/1 answer to the HTTP/2 preface'}): a plaintext HTTP/1.1 listener; pyflyte says "Trying to connect an http1.x server"`, hint: side === 'client' ? 'dial the ingress TLS listener: admin.insecure: false and the ingress port 443' : `gRPC through the ingress needs its TLS listener (HTTP/2): set ${tlsFixForIngress(target)}`, details };
          }
        } catch { /* fall through */ }
      }
      const streamLevel = /RST_STREAM|No status information received|without gRPC status/i.test(f.detail);
      const ev = await evidence(ctx, t, o, svc.path, details);
      if (ev.error && ev.status === undefined && !streamLevel) return transportFailure(ctx, ep, 'protocol', `${f.detail} (${ev.error})`, timeoutMs, details, side);
      if (ev.status === 200 && ev.contentType && !/grpc/i.test(ev.contentType)) return httpBackendOutcome(ctx, t, svc, `HTTP 200 ${ev.contentType}${ev.body ? ` ("${htmlTitle(ev.body) ?? ev.snippet ?? ''}")` : ''}`, details);
      if (/answer is not the method/i.test(f.detail)) return { status: 'fail', messageId: 'wrongBackend', cause: grpcRoutesCause(target), message: `${call}: the answer is not ${svc.label}'s response message (${f.detail}): another gRPC server answers the path`, hint: `point ${svc.service} at flyteadmin's gRPC port (${adminGrpcBackend(target).name}:${adminGrpcBackend(target).port})`, details };
      return grpcAsHttp1Outcome(ctx, t, svc, ev.status === 0 ? 'a response without status line (an HTTP/1.x or HTTP/0.9 answer relayed from the upstream)' : ev.status !== undefined ? `HTTP ${ev.status}${ev.contentType ? ` ${ev.contentType}` : ''} without grpc-status` : `the stream ended without a gRPC status ("${f.detail}")`, details);
    }
    case 'deadline': {
      if (f.connected) {
        for (let i = 0; i < 3 && ctx.remainingMs() > 900; i++) {
          const ev = await evidence(ctx, t, o, svc.path, details, Math.min(1500, ctx.remainingMs() - 500));
          if (ev.status === undefined) continue;
          if (ev.status === 404) return notRoutedOutcome(ctx, t, svc, ev, details);
          // grpc-js waited to its deadline, yet a gRPC-shaped request gets a complete gRPC answer (status
          // and grpc-status) at once: the answer is not one unary message (two response messages: grpc-js
          // keeps the first and waits), so not a silent backend and not gRPC spoken as HTTP/1.1
          if (ev.status === 200 && /application\/grpc/.test(ev.contentType ?? '') && ev.grpcStatus !== undefined) {
            return { status: 'fail', messageId: 'wrongBackend', cause: grpcRoutesCause(target), message: `${call}: no answer grpc-js could finish within ${seconds(timeoutMs)}, yet the server answers a gRPC-shaped request at once (HTTP 200 ${ev.contentType}, grpc-status ${ev.grpcStatus}${ev.grpcMessage ? ` "${ev.grpcMessage}"` : ''}) but not as one unary message (more than one response message, or a stream that stays open after it): what answers ${svc.path} is not flyteadmin's unary ${svc.method}`, hint: `point ${svc.service} at flyteadmin's gRPC port (${adminGrpcBackend(target).name}:${adminGrpcBackend(target).port}); a streaming method of another server, or a proxy that duplicates gRPC frames, answers there (read the log of what terminates HTTP/2 for ${t.host})`, details };
          }
          if (!(ev.status === 200 && /application\/grpc/.test(ev.contentType ?? ''))) return grpcAsHttp1Outcome(ctx, t, svc, `no gRPC answer within ${seconds(timeoutMs)}, and a gRPC-shaped request gets HTTP ${ev.status === 0 ? '000 (an upstream answer that is not HTTP/1.x)' : ev.status}${ev.contentType ? ` ${ev.contentType}` : ''} without grpc-status`, details);
          break;
        }
        const httpUp = await Promise.race([httpSideAnswers(ctx), new Promise<undefined>((r) => setTimeout(() => r(undefined), Math.max(0, ctx.remainingMs() - 300)).unref?.())]);
        if (httpUp === true) return grpcAsHttp1Outcome(ctx, t, svc, `no gRPC answer within ${seconds(timeoutMs)} although the connection stands, while flyteadmin answers /healthcheck through the same ingress at once: the proxy waits on a gRPC upstream it speaks HTTP/1.1 to`, details);
        return { status: 'fail', messageId: 'noAnswer', cause: cause.backend('flyteadmin'), message: `connected to ${where}, but ${svc.path} got no answer within ${seconds(timeoutMs)} (DEADLINE_EXCEEDED)${httpUp === false ? ', and flyteadmin\'s HTTP side does not answer either' : ''}`, hint: `the proxy waits on its upstream: flyteadmin's gRPC backend is slow or hangs (${kubectl(target.kubernetes, target.kubernetes.namespace)} logs deploy/${adminGrpcBackend(target).deployment}), or gRPC is proxied as HTTP/1.1 (${grpcIngressFix(target)})`, details };
      }
      // grpc-js never got a transport, but the plain connection made next to the call was accepted: not a firewall
      const tr = err instanceof GrpcCallError ? err.transport : undefined;
      if (tr?.tcp) {
        const seen = t.tls ? `${where} accepted the TCP connection, but the TLS handshake did not complete within ${seconds(timeoutMs)}` : `${where} accepted the TCP connection, but sent nothing back to the HTTP/2 preface within ${seconds(timeoutMs)}`;
        return transportFailure(ctx, ep, 'timeout', `${seen} (${f.detail})`, timeoutMs, details, side, new HttpNoAnswerError(seen, f.address, t.tls ? 'tls-silent' : 'request'));
      }
      return transportFailure(ctx, ep, 'timeout', f.detail, timeoutMs, details, side);
    }
    default:
      // HTTP/2 refusals grpc-js words itself (src/clients/grpc.ts classifyGrpcError): the server spoke HTTP/2 and said no
      if (f.kind === 'other' && f.code && H2_REFUSAL_RE.test(f.detail)) {
        return { status: 'fail', messageId: 'unrecognised', cause: cause.answer(hpOf(ep), f.code ?? 'HTTP2'), message: `unrecognised answer to ${call}: ${f.code}: ${f.detail}`, hint: `the HTTP/2 exchange reached a server that refused or dropped the call: read the log of what terminates HTTP/2 for ${t.host} (ingress controller, load balancer, WAF) for ${svc.path}`, details };
      }
      return transportFailure(ctx, ep, f.kind, f.detail, timeoutMs, details, side);
  }
}

/** What classifyGrpcError words as an HTTP/2 refusal (REFUSED_STREAM, GOAWAY, HTTP_1_1_REQUIRED) or an answer in an encoding it cannot read. */
const H2_REFUSAL_RE = /REFUSED_STREAM|GOAWAY|HTTP_1_1_REQUIRED|grpc-encoding|decompress/i;

function grpcAsHttp1Outcome(ctx: CheckContext, t: GrpcTarget, svc: GrpcServiceSpec, observed: string, details: Record<string, Json>): Outcome<GrpcId> {
  return { status: 'fail', messageId: 'grpcAsHttp1', cause: grpcProtocolCause(ctx.target), message: `${svc.label}/${svc.method} through ${hostPort(t)}: ${observed}: the ingress proxies gRPC to flyteadmin as HTTP/1.1`, hint: grpcIngressFix(ctx.target), details };
}

function httpBackendOutcome(ctx: CheckContext, t: GrpcTarget, svc: GrpcServiceSpec, observed: string, details: Record<string, Json>): Outcome<GrpcId> {
  const target = ctx.target;
  const g = adminGrpcBackend(target), h = adminHttpBackend(target);
  return { status: 'fail', messageId: 'httpBackend', cause: grpcRoutesCause(target), message: `${svc.label}/${svc.method} through ${hostPort(t)}: ${observed}: an HTTP server answers the gRPC path, so the gRPC route points at an HTTP port (flyteadmin's HTTP port ${h.name}:${h.port}, the console), not at flyteadmin's gRPC port`, hint: `point the gRPC Ingress paths (${svc.service} and the other gRPC prefixes) at ${g.name}:${g.port} and proxy them as gRPC (${grpcIngressFix(target)})`, details };
}

function notRoutedOutcome(ctx: CheckContext, t: GrpcTarget, svc: GrpcServiceSpec, ev: H2Evidence, details: Record<string, Json>): Outcome<GrpcId> {
  return { status: 'fail', messageId: 'grpcNotRouted', cause: grpcRoutesCause(ctx.target), message: `${svc.label}/${svc.method} through ${hostPort(t)}: HTTP 404${ev.contentType ? ` ${ev.contentType}` : ''}${ev.server ? ` from ${ev.server}` : ''}${ev.body && htmlTitle(ev.body) ? ` ("${htmlTitle(ev.body)}")` : ''}: the ingress does not route ${svc.service} (${svc.usedBy} calls it)`, hint: grpcRoutesFix(ctx.target, [`/${svc.service}`]), details };
}

async function judgeHttpStatusOnGrpc(ctx: CheckContext, t: GrpcTarget, o: GrpcOptions, svc: GrpcServiceSpec, status: number, details: Record<string, Json>, side: 'server' | 'client'): Promise<Outcome<GrpcId>> {
  const target = ctx.target;
  const ep: Ep = { host: t.host, port: t.port, tls: t.tls };
  const ev = await evidence(ctx, t, o, svc.path, details);
  const call = `${svc.label}/${svc.method} through ${hostPort(t)}`;
  const title = ev.body ? htmlTitle(ev.body) : undefined;
  const seen = `HTTP ${status}${ev.contentType ? ` ${ev.contentType}` : ''}${title ? ` ("${title}")` : ''}`;
  if (status === 401 || status === 403) {
    return frontAuthOutcome(ctx, ep, `${call}: ${seen} without grpc-status`, { ...(ev.wwwAuthenticate ? { wwwAuthenticate: ev.wwwAuthenticate } : {}), ...(title ? { title } : {}), ...(ev.server ? { server: ev.server } : {}) }, details);
  }
  if (status >= 300 && status < 400 && status !== 304) {
    const loc = ev.location ?? '';
    if (LOGIN_RE.test(loc)) return frontAuthOutcome(ctx, ep, `${call}: a ${status} redirect`, { location: loc }, details);
    if (/^https:/i.test(loc) && !t.tls) {
      const key = ingressTlsKey(target);
      return { status: 'fail', messageId: 'tlsPortAsPlain', cause: cause.config(key), message: `${call}: ${status} redirect to ${loc}: the ingress forces TLS, but ${key} does not turn TLS on in the values`, hint: `set ${tlsFixForIngress(target)} so the values match what runs`, details };
    }
    if (t.tls && /^https:/i.test(loc) && new URL(loc).hostname === t.host && new URL(loc).pathname === svc.path) {
      return { status: 'fail', messageId: 'unrecognised', cause: cause.config(`use-forwarded-headers:${hpOf(ep)}`), message: `${call}: a ${status} redirect to ${loc}, the same https URL this call used: the controller sees plain HTTP behind a load balancer that terminates TLS, and ssl-redirect sends the call back to https forever`, hint: 'set use-forwarded-headers: "true" in the ingress-nginx controller ConfigMap (controller.config in its Helm values; the load balancer must send X-Forwarded-Proto), or nginx.ingress.kubernetes.io/ssl-redirect: "false" on the Flyte Ingresses; gRPC cannot follow redirects in any case', details };
    }
    return { status: 'fail', messageId: 'unrecognised', message: `unrecognised answer to ${call}: a ${status} redirect to ${loc || '(no Location)'}`, hint: 'gRPC cannot follow redirects: remove the redirect (app-root / ssl-redirect annotations) from the gRPC Ingress', details };
  }
  if (status === 404) {
    if (ev.body && flyteadminShape({ status, contentType: ev.contentType ?? '', body: ev.body, headers: {} })) return httpBackendOutcome(ctx, t, svc, `${seen}, flyteadmin's HTTP 404`, details);
    return notRoutedOutcome(ctx, t, svc, ev, details);
  }
  if (status === 405) {
    // 405 to gRPC's POST and to the HTTP side's GET: what answers refuses every method, not a gRPC route to an HTTP port.
    const side = await httpSideStatus(ctx);
    if (side?.status === 405 && urlHostPort(side.url) === hpOf(ep)) {
      return { status: 'fail', messageId: 'methodRefused', cause: cause.frontAuth(hpOf(ep)), message: `${call}: ${seen} without grpc-status, and GET ${side.url} is refused with 405 too: what answers on ${hostPort(ep)} refuses the methods flyteadmin serves (POST for gRPC, GET for HTTP): an API gateway or WAF method rule in front, or a server that is not the ingress`, hint: `allow GET and POST through what serves ${ep.host} (a WAF or gateway method rule), and route the paths to flyteadmin`, details };
    }
  }
  if (status === 405 || status === 415) return httpBackendOutcome(ctx, t, svc, seen, details);
  if (status === 400 || (status >= 494 && status <= 497)) {
    // nginx's own 494-497 arrive as 400 with their title (or as themselves from a proxy that relays them): not gRPC spoken as HTTP/1.1.
    const k = nginxOwnKind(status, ev.body);
    if (k === 'noClientCert' || k === 'badClientCert') return clientCertOutcome(ctx, ep, `${call}: ${seen}`, details);
    if (k === 'plainToTls') return t.tls ? plainToTlsUpstreamOutcome(ctx, ep, `${call}: ${seen}`, details) : tlsPortAsPlainOutcome(ctx, ep, `answers ${call} with ${seen}`, details, side);
    if (k === 'headerTooLarge') return { status: 'fail', messageId: 'messageTooLarge', message: `${call}: ${seen}: the proxy refuses the size of the request headers`, hint: 'raise the header buffers of the gRPC Ingress (nginx.ingress.kubernetes.io/proxy-buffer-size, large-client-header-buffers in the controller ConfigMap; the AKS example sets 256k): auth tokens are large', details };
  }
  const cdn = cdnOutcome(ctx, ep, status, `${call}: ${seen} without grpc-status`, details, true) ?? edgeStatusOutcome(ctx, ep, status, `${call}: ${seen} without grpc-status`, details, true, { server: ev.server });
  if (cdn) return cdn;
  if (status === 400 || status === 426 || status === 464 || status === 505) return grpcAsHttp1Outcome(ctx, t, svc, `${seen} without grpc-status`, details);
  if (status === 413 || status === 431 || status === 414) return { status: 'fail', messageId: 'messageTooLarge', cause: cause.answer(hpOf(ep), status), message: `${call}: ${seen}: the proxy refuses the request size`, hint: 'raise the proxy\'s limits for the gRPC Ingress (nginx.ingress.kubernetes.io/proxy-body-size, client-header-buffer-size / large-client-header-buffers)', details };
  if (status === 421) return { status: 'fail', messageId: 'misdirected', cause: cause.config(`${ingressKey(target)}.host`), message: `${call}: ${seen}: the ingress has no server for ${t.host} on this connection`, hint: `make ${t.host} a host of the gRPC Ingress (rules and tls.hosts), so SNI and :authority select it`, details };
  if (status === 429) return { status: 'fail', messageId: 'rateLimited', cause: cause.frontAuth(hpOf(ep)), message: `${call}: ${seen}: rate-limited by the ingress`, hint: 'raise the ingress rate limit (nginx.ingress.kubernetes.io/limit-rps / limit-connections) for the clients', details };
  if (status === 502 || status === 503 || status === 504) {
    // Is flyteadmin up behind the same ingress? Then the gRPC upstream is reached the wrong way.
    const httpUp = await httpSideAnswers(ctx);
    if (httpUp === true && status !== 503) {
      const ep2 = await backendEndpoints(ctx, adminGrpcBackend);
      if (ep2) details.backendEndpoints = { service: ep2.service, ready: ep2.ready, notReady: ep2.notReady, exists: ep2.exists };
      if (!ep2 || (ep2.exists && ep2.ready > 0)) {
        return grpcAsHttp1Outcome(ctx, t, svc, `${seen}, while flyteadmin answers /healthcheck through the same ingress${ep2 ? ` and ${endpointsText(ep2, target.kubernetes.namespace)}` : ''}: its gRPC upstream is reached with the wrong protocol (HTTP/1.1, or h2c to the HTTP port)`, details);
      }
    }
    return backendDownGrpc(ctx, t, svc, `${seen}${httpUp === true ? ' (flyteadmin\'s HTTP side answers)' : ''}`, details);
  }
  if (status >= 500 && status !== 502 && status !== 503 && status !== 504 && status !== 505 && proxyOwnErrorPage(ev.body, ev.server)) return proxyErrorOutcome(ep, `${call}: ${seen} without grpc-status`, status, details);
  if (status === 500) return { status: 'fail', messageId: 'serverError', cause: cause.backend('flyteadmin'), message: `${call}: ${seen} without grpc-status: flyteadmin or the proxy failed`, hint: `read flyteadmin's log (\`${kubectl(target.kubernetes, target.kubernetes.namespace)} logs deploy/${adminGrpcBackend(target).deployment}\`) and the ingress controller's for the request`, details };
  if (status === 200) return httpBackendOutcome(ctx, t, svc, `${seen} without grpc-status`, details);
  return { status: 'fail', messageId: 'unrecognised', cause: cause.answer(hpOf(ep), status), message: `unrecognised answer to ${call}: ${seen} without grpc-status${ev.snippet ? `: ${ev.snippet}` : ''}`, hint: `check what serves ${svc.service} behind ${hostPort(t)}`, details };
}

// ================================================================ HTTP

export interface HttpSpec {
  /** Path on the ingress, e.g. /healthcheck. */
  path: string;
  /** What serves it (for the 5xx Service evidence). */
  backend: (t: Target, fullname?: string) => BackendService;
  /** flyteadmin requires a token for it when auth is on. */
  guarded: boolean;
  /** The expected answer. */
  accept: (r: HttpResponse) => boolean;
  /** Follow same-origin redirects (the console). */
  follow?: boolean;
  /** Headers (accept). */
  headers?: Record<string, string>;
  /** What serves it, in words ("flyteadmin's HTTP port", "the console"). */
  what: string;
  /** Base URL; default the ingress HTTP base as the values define it. */
  base?: string;
}

export interface HttpProbe { ok: true; res: HttpResponse; url: string; details: Record<string, Json>; hops: HttpResponse[] }
export interface HttpProbeFail { ok: false; outcome: Outcome<HttpId>; res?: HttpResponse; url: string; details: Record<string, Json> }

/** GET spec.path and judge it. ok: the accepted answer (the check words its pass). */
export async function httpProbe(ctx: CheckContext, spec: HttpSpec): Promise<HttpProbe | HttpProbeFail> {
  const base = spec.base ?? serverHttpBase(ctx.target) ?? '';
  const url = `${base}${spec.path}`;
  const ep = endpointOfUrl(url);
  const trust = await clientTrust(ctx.target);
  const timeoutMs = probeTimeout(ctx);
  const details: Record<string, Json> = { url };
  const opts = { ...(trust.ca ? { ca: trust.ca } : {}), skipVerify: trust.skipVerify, timeoutMs, ...(spec.headers ? { headers: spec.headers } : {}) };
  let hops: HttpResponse[];
  try {
    hops = spec.follow ? await httpGetFollow(ctx, url, opts) : [await httpRequest(ctx, url, opts)];
  } catch (err) {
    if (!(err instanceof ProbeError) || err.kind === 'aborted' || ctx.signal.aborted) throw err;
    const notHttp1 = err.kind === 'other' && /does not match the HTTP\/1\.1 protocol|Expected HTTP\/|HPE_/i.test(err.message);
    if (notHttp1 || err.kind === 'reset') {
      let raw = await rawHttpProbe(ctx, url, Math.min(1500, Math.max(200, ctx.remainingMs() - 400)));
      for (let i = 0; i < 2 && raw && !raw.h2Frames && !raw.http1 && ctx.remainingMs() > 1200; i++) raw = await rawHttpProbe(ctx, url, Math.min(1000, ctx.remainingMs() - 600));
      if (raw?.h2Frames) {
        const g = adminGrpcBackend(ctx.target), h = spec.backend(ctx.target);
        details.firstBytes = raw.bytes.subarray(0, 24).toString('hex');
        return { ok: false, url, details, outcome: { status: 'fail', messageId: 'grpcBackend', cause: httpRoutesCause(ctx.target), message: `${url} answers with HTTP/2 frames relayed as HTTP/0.9 (SETTINGS/GOAWAY): the HTTP path reaches a gRPC (h2c) port, flyteadmin's ${g.name}:${g.port}, not ${h.name}:${h.port}`, hint: `point ${spec.path} (and the other HTTP paths) on the HTTP Ingress at ${h.name}:${h.port}; only the gRPC prefixes go to ${g.name}:${g.port}`, details } };
      }
    }
    if (notHttp1) {
      return { ok: false, url, details, outcome: { status: 'fail', messageId: 'unrecognised', cause: httpRoutesCause(ctx.target), message: `${url} answered with something that is not HTTP/1.x (${err.message}): the proxy relays the answer of a non-HTTP upstream (a gRPC h2c port, another protocol) for ${spec.path}`, hint: `point ${spec.path} on the HTTP Ingress at ${spec.what} (${spec.backend(ctx.target).name}:${spec.backend(ctx.target).port})`, details } };
    }
    const o = await transportFailure(ctx, { host: ep.host, port: ep.port, tls: ep.tls }, err.kind, err.message, timeoutMs, details, 'server', err);
    return { ok: false, url, details, outcome: o };
  }
  const r = hops[hops.length - 1]!;
  details.httpStatus = r.status;
  details.contentType = r.contentType;
  if (r.headers.server) details.server = r.headers.server;
  if (hops.length > 1) { details.finalUrl = r.url; details.redirects = hops.slice(0, -1).map((h) => `${h.status} ${h.location ?? ''}`); }
  if (spec.accept(r)) {
    return { ok: true, res: r, url, details, hops };
  }
  return { ok: false, res: r, url, details, outcome: await judgeHttpAnswer(ctx, spec, url, r, details, hops) };
}

export function snippet(r: { body: string }): string {
  return r.body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 120);
}

const LOGIN_RE = /oauth2\/(start|sign_in)|\/authorize\b|\/login\b|\/saml|\/sso\b|signin|auth\/realms|accounts\.google\.com|login\.microsoftonline|okta\.com|auth0\.com/i;
const LOGIN_PAGE_RE = /Sign in with|oauth2[- ]proxy|type="password"|<title>[^<]*(log ?in|sign ?in)[^<]*<\/title>|keycloak/i;

/** Judges an HTTP answer that is not the expected one. */
export async function judgeHttpAnswer(ctx: CheckContext, spec: HttpSpec, url: string, r: HttpResponse, details: Record<string, Json>, hops: HttpResponse[] = [r]): Promise<Outcome<HttpId>> {
  const shape = flyteadminShape(r);
  const j = jsonBody(r);
  const s = r.status;
  const adminUnauth = (s === 401 || s === 403) && shape === 'gateway-json' && (j?.code === 16 || FLYTEADMIN_UNAUTH_RE.test(String(j?.message ?? '')));
  if (adminUnauth && spec.guarded && authExpectation(ctx.target) !== 'off') return { status: 'pass', messageId: 'authRequired', message: `${url} answered ${s} with flyteadmin's JSON: routed; auth is on, so a token is needed`, details };
  ctx = await named(ctx);
  const t = ctx.target;
  const ep = endpointOfUrl(url);
  const title = isHtml(r) ? htmlTitle(r.body) : undefined;
  const seen = `${r.status}${r.contentType ? ` ${r.contentType}` : ''}${title ? ` ("${title}")` : ''}${r.headers.server ? ` from ${r.headers.server}` : ''}`;
  if (s === 401 || s === 403) {
    if (adminUnauth && spec.guarded) {
      return authOnServerOutcome(ctx, url, `flyteadmin answered ${s} ("${String(j?.message ?? '').slice(0, 120)}")`, details);
    }
    if (shape === 'gateway-json' && j?.code === 7) return { status: 'fail', messageId: 'permissionDenied', cause: cause.frontAuth(hpOf(ep)), message: `${url} answered ${s} PERMISSION_DENIED from flyteadmin ("${String(j?.message ?? '')}")`, hint: 'the identity has no permission on this path: check flyteadmin\'s authorization (RBAC) configuration', details };
    return frontAuthOutcome(ctx, ep, `${url} answered ${seen}`, { ...(r.headers['www-authenticate'] ? { wwwAuthenticate: r.headers['www-authenticate'] } : {}), ...(title ? { title } : {}), ...(r.headers.server ? { server: r.headers.server } : {}) }, details);
  }
  if (s >= 300 && s < 400 && s !== 304) {
    const loc = r.location ?? r.headers.location ?? '';
    details.location = loc;
    if (LOGIN_RE.test(loc) && !(loc.startsWith(new URL(url).origin) && /\/oauth2\/authorize|\/login/.test(new URL(loc, url).pathname) && spec.path.startsWith('/login'))) return frontAuthOutcome(ctx, ep, `${url} answered a ${s} redirect`, { location: loc }, details);
    if (/^https:/i.test(loc) && url.startsWith('http:') && new URL(loc).hostname === ep.host) {
      const key = ingressTlsKey(t);
      return { status: 'fail', messageId: 'httpsRedirect', cause: cause.config(key), message: `${url} redirects to ${loc}: the ingress serves TLS (ssl-redirect), but ${key} does not turn TLS on in the values`, hint: `set ${tlsFixForIngress(t)} so the values match what runs (clients need admin.insecure: false and port 443)`, details };
    }
    const selfLoop = loc !== '' && new URL(loc, url).toString() === new URL(url).toString();
    if (selfLoop || (hops.length > 1 && new Set(hops.map((h) => h.url)).size < hops.length)) {
      return { status: 'fail', messageId: 'redirected', ...(url.startsWith('https:') ? { cause: cause.config(`use-forwarded-headers:${hpOf(ep)}`) } : {}), message: `${url} redirects ${selfLoop ? `to itself (${s} ${loc})` : `in a loop (${hops.map((h) => `${h.status} ${h.location ?? ''}`).join(' → ')})`}: a redirect loop, what browsers call ERR_TOO_MANY_REDIRECTS`, hint: url.startsWith('https:') ? 'the ingress controller sees plain HTTP although this client spoke https: a load balancer in front terminates TLS, and ssl-redirect sends every request back to https. Set use-forwarded-headers: "true" in the ingress-nginx controller ConfigMap (controller.config in its Helm values; the load balancer must send X-Forwarded-Proto), or nginx.ingress.kubernetes.io/ssl-redirect: "false" on the Flyte Ingresses' : `remove the redirect that points ${spec.path} back at itself (app-root / permanent-redirect / ssl-redirect annotations of the HTTP Ingress)`, details };
    }
    return { status: 'fail', messageId: 'redirected', message: hops.length > 1 ? `${url} keeps redirecting (${hops.map((h) => `${h.status} ${h.location ?? ''}`).join(' → ')})` : `${url} answered a ${s} redirect to ${loc || '(no Location)'} instead of ${spec.what}`, hint: `fix the redirect annotations of the HTTP Ingress (app-root /console is fine for /, not for ${spec.path}; ssl-redirect loops behind a TLS-terminating load balancer need use-forwarded-headers)`, details };
  }
  if (s === 404) {
    if (shape || /Cannot GET \//.test(r.body)) {
      const rw = rewriteTargetAnnotation(t);
      const key = rw?.key ?? httpAnnotationsKey(t);
      return {
        status: 'fail', messageId: 'pathRewritten', cause: cause.config(key),
        message: `${url} answered ${seen}: that is ${shape === 'gateway-json' ? 'flyteadmin\'s grpc-gateway JSON' : shape === 'go-404' ? 'flyteadmin\'s own "404 page not found"' : 'the backend\'s own 404'}, so ${spec.path} reached the backend under another path: the ingress rewrites it${rw ? ` (${rw.annotation}: "${rw.value}" in ${rw.key})` : ''}`,
        hint: rw ? `remove ${rw.annotation} from ${rw.key} (Flyte's paths must reach flyteadmin unchanged)` : `remove the rewrite (nginx.ingress.kubernetes.io/rewrite-target, a path-prefix strip middleware) from the HTTP Ingress in ${key} or your own Ingress: Flyte's paths must reach ${spec.what} unchanged`,
        details,
      };
    }
    return { status: 'fail', messageId: 'notRouted', cause: httpRoutesCause(t), message: `${url} answered ${seen}: the ingress does not route ${spec.path}`, hint: `route ${spec.path} and ${spec.path}/* to ${spec.what} (${spec.backend(t).name}:${spec.backend(t).port}); the chart ingress renders them when ${ingressKey(t)}.${t.chart === 'flyte-core' ? 'enabled' : 'create'} is true`, details };
  }
  const k400 = nginxOwnKind(s, r.body);
  if (k400 === 'noClientCert' || k400 === 'badClientCert') return clientCertOutcome(ctx, ep, `${url} answered ${seen}`, details);
  if (k400 === 'plainToTls' && ep.tls) return plainToTlsUpstreamOutcome(ctx, ep, `${url} answered ${seen}`, details);
  const cdn = cdnOutcome(ctx, ep, s, `${url} answered ${seen}`, details, false) ?? edgeStatusOutcome(ctx, ep, s, `${url} answered ${seen}`, details, false, r.headers);
  if (cdn) return cdn;
  if (k400 === 'plainToTls') {
    return tlsPortAsPlainOutcome(ctx, ep, `answered ${url} with ${seen} ("plain HTTP request was sent to HTTPS port"): it speaks TLS`, details, 'server');
  }
  if (s === 413 || s === 414 || s === 431 || k400 === 'headerTooLarge') {
    return { status: 'fail', messageId: 'requestTooLarge', cause: cause.answer(hpOf(ep), s), message: `${url} answered ${seen}: the proxy refuses the request's size`, hint: 'raise the proxy limits on the HTTP Ingress (nginx.ingress.kubernetes.io/proxy-buffer-size, large-client-header-buffers; the AKS example sets 256k): auth cookies and tokens are large', details };
  }
  if (s === 421) return { status: 'fail', messageId: 'misdirected', cause: cause.config(`${ingressKey(t)}.host`), message: `${url} answered ${seen}: the ingress has no server for ${ep.host} on this connection`, hint: `make ${ep.host} a host of the HTTP Ingress (rules and tls.hosts)`, details };
  if (s === 426 || s === 505) return { status: 'fail', messageId: 'protocolMismatch', cause: cause.answer(hpOf(ep), s), message: `${url} answered ${seen}: the ingress wants another protocol version`, hint: 'serve HTTP/1.1 on the HTTP paths (the console and REST clients use it)', details };
  if (s === 429) return { status: 'fail', messageId: 'rateLimited', cause: cause.frontAuth(hpOf(ep)), message: `${url} answered ${seen}: rate-limited by the ingress`, hint: 'raise the ingress rate limit (nginx.ingress.kubernetes.io/limit-rps) for the clients', details };
  if (s === 502 || s === 503 || s === 504) {
    const b = await backendEndpoints(ctx, spec.backend);
    const svc = b?.backend ?? spec.backend(t);
    if (b) details.backendEndpoints = { service: b.service, ready: b.ready, notReady: b.notReady, exists: b.exists };
    const k = kubectl(t.kubernetes, t.kubernetes.namespace);
    const why = s === 502 ? 'the upstream refused the connection or answered garbage' : s === 503 ? 'the ingress has no available upstream' : 'the upstream did not answer in time';
    return {
      status: 'fail', messageId: 'backendDown', cause: cause.backend(svc.component),
      message: `${url} answered ${seen}: ${why}; ${backendVerdict(b, svc.component, t.kubernetes.namespace)}`,
      hint: b && b.exists && b.ready === 0 ? `${svc.component} has no ready pod: \`${k} get pods\`, \`${k} describe deploy/${svc.deployment}\` (see flyte.deployments.ready)`
        : b && !b.exists ? `the Service ${svc.name} does not exist: the Ingress points at a missing backend`
          : `check ${svc.component} and the Ingress backend: \`${k} get pods,endpointslices -l kubernetes.io/service-name=${svc.name}\`; the Ingress must point at ${svc.name}:${svc.port}`,
      details,
    };
  }
  // a 5xx flyteadmin does not send (507, 508, 599...), in no page of a known proxy: unrecognised, keyed by the answer
  if (s >= 500 && (s === 500 || shape === 'gateway-json' || proxyOwnErrorPage(r.body, r.headers.server))) {
    const adminErr = shape === 'gateway-json';
    if (!adminErr && proxyOwnErrorPage(r.body, r.headers.server)) return proxyErrorOutcome(ep, `${url} answered ${seen}`, s, details);
    return { status: 'fail', messageId: 'serverError', cause: cause.backend(adminErr ? 'flyteadmin' : spec.backend(t).component), message: `${url} answered ${seen}${adminErr ? `: flyteadmin failed ("${String(j?.message ?? '').slice(0, 140)}")` : `: ${snippet(r)}`}`, hint: `read ${adminErr ? 'flyteadmin\'s' : 'the backend\'s'} log: \`${kubectl(t.kubernetes, t.kubernetes.namespace)} logs deploy/${spec.backend(t).deployment}\``, details };
  }
  if (s >= 200 && s < 300) {
    if (isHtml(r)) {
      if (LOGIN_PAGE_RE.test(r.body)) return frontAuthOutcome(ctx, ep, `${url} answered a login page (${seen})`, { ...(title ? { title } : {}) }, details);
      if (spec.path.startsWith('/console')) {
        return { status: 'fail', messageId: 'notConsole', message: `${r.url} answered ${seen}, an HTML page that is not the Flyte console (no console markup): ${snippet(r)}`, hint: `route /console and /console/* to the console (${consoleBackend(t).name}:${consoleBackend(t).port}); an error or maintenance page answers now`, details };
      }
      return { status: 'fail', messageId: 'htmlNotJson', cause: httpRoutesCause(t), message: `${url} answered ${seen} with an HTML page${looksLikeConsole(r.body) ? ' (the console)' : ''}: ${spec.path} is routed to ${looksLikeConsole(r.body) ? 'the console' : 'a default backend or another app'}, not ${spec.what}`, hint: `route ${spec.path} and ${spec.path}/* to ${spec.what} (${spec.backend(t).name}:${spec.backend(t).port}); the console shows "invalid wire type" / "Failed to fetch data" otherwise`, details };
    }
    // flyteadmin's answers on these paths are a few hundred bytes: one past the read limit is not its answer, whatever it holds
    const cut = r.truncated ? ` (a body larger than 64 KiB, cut there: flyteadmin's answer is a few hundred bytes)` : '';
    if (spec.path === '/healthcheck') return { status: 'fail', messageId: 'notFlyteadmin', cause: httpRoutesCause(t), message: `${url} answered ${seen} with a body flyteadmin does not send${cut} (${snippet(r) || 'empty'})`, hint: `route /healthcheck to ${spec.what} (${spec.backend(t).name}:${spec.backend(t).port})`, details };
    return { status: 'fail', messageId: 'unexpectedAnswer', message: `${url} answered ${seen}, not ${spec.what}'s document${cut}: ${snippet(r) || '(empty body)'}`, hint: `route ${spec.path} to ${spec.what} (${spec.backend(t).name}:${spec.backend(t).port}) with nothing rewriting the path or the body`, details };
  }
  const fault = statusFault(r, ep.host);
  if (fault) {
    const known = fault.kind !== 'unrecognised';
    return { status: 'fail', messageId: known ? 'answerFault' : 'unrecognised', cause: cause.answer(hpOf(ep), s), message: `${known ? '' : 'unrecognised: '}${url} answered ${seen}: ${fault.text}`, hint: fault.fix, details };
  }
  return { status: 'fail', messageId: 'unrecognised', cause: cause.answer(hpOf(ep), s), message: `unrecognised answer from ${url}: ${seen}${snippet(r) ? `: ${snippet(r)}` : ''}`, hint: `check what serves ${spec.path} behind ${hostPort(ep)}`, details };
}


// ================================================================ one routing check per gRPC service

export interface GrpcRouteCheckSpec {
  id: string;
  svc: GrpcServiceSpec;
  title: string;
  explain: { what: string; why: string; fix: string };
}

/**
 * The check for one gRPC service through the ingress (as the values define it): calls the
 * service's harmless method and judges the answer. A success where auth is on but no token was
 * sent is the values/server auth mismatch; grpc.health's NOT_SERVING is its own finding.
 */
export function grpcRouteCheck(spec: GrpcRouteCheckSpec) {
  const svc = spec.svc;
  return defineCheck({
    id: spec.id,
    title: spec.title,
    phases: ['verify'],
    needs: ['ingress'],
    timeoutMs: 8000,
    messages: GRPC_MESSAGES,
    explain: spec.explain,
    async run(ctx) {
      const t = serverGrpcTarget(ctx.target)!;
      const p = await grpcProbe(ctx, t, svc, (o, ms) => callService(ctx, t, o, svc, ms));
      if (!p.ok) return p.outcome;
      const details: Record<string, Json> = { endpoint: p.where, path: svc.path, tls: t.tls, ...p.value.details };
      if (svc.id === 'health' && p.value.serving !== 'SERVING') {
        return { status: 'fail', messageId: 'notServing', cause: cause.backend('flyteadmin'), message: `grpc.health.v1 Check through ${p.where}: ${p.value.serving}`, hint: `flyteadmin reports itself not serving: read its log (\`${kubectl(ctx.target.kubernetes, ctx.target.kubernetes.namespace)} logs deploy/${adminGrpcBackend(ctx.target).deployment}\`) and readiness`, details };
      }
      if (answeredWithoutToken(ctx, svc)) return anonymousAnswerOutcome(await named(ctx), p.where, `${svc.label}/${svc.method}`, details);
      return { status: 'pass', messageId: 'answers', message: `${svc.label}/${svc.method} through ${p.where}: ${p.value.summary}`, details };
    },
  });
}

/** Calls `svc`'s probe method; a summary for the pass message and details. */
async function callService(ctx: CheckContext, t: GrpcTarget, o: GrpcOptions, svc: GrpcServiceSpec, ms: number): Promise<{ summary: string; serving?: string; details: Record<string, Json> }> {
  const { getVersion, healthCheck } = await import('../../src/clients/grpc.js');
  if (svc.id === 'admin') { const v = await getVersion(ctx, t, o, ms); return { summary: `flyteadmin ${v.version || 'unknown'}`, details: { version: v.version, build: v.build, buildTime: v.buildTime } }; }
  if (svc.id === 'health') { const s = await healthCheck(ctx, t, o, ms); return { summary: s, serving: s, details: { servingStatus: s } }; }
  const r = await callFlyteMethod(ctx, t, o, svc.service, svc.method, ms);
  if (svc.id === 'authmetadata') return { summary: `client_id ${String(r.clientId ?? '?')}, authorization_metadata_key ${String(r.authorizationMetadataKey ?? '?')}`, details: { clientId: r.clientId ?? '', authorizationMetadataKey: r.authorizationMetadataKey ?? '' } };
  return { summary: 'answered', details: {} };
}
