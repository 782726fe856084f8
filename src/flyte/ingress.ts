// Flyte/Helm knowledge about the ingress of both charts (facts §A1, §A2, §B, §E): the gRPC services
// clients call and a harmless method of each, the paths the charts route, the Services and ports
// behind them, the values keys that switch auth and TLS, what flyteadmin's and the console's own
// answers look like (so a probe can tell flyteadmin's 404 from the ingress's 404), and the
// commands that roll a changed configuration out. No I/O here.
import type { Target } from '../config/target.js';
import { binaryFullname } from './kubernetes.js';
import { setting } from './settings.js';

// ---------------------------------------------------------------- gRPC services

export type GrpcServiceId = 'admin' | 'dataproxy' | 'authmetadata' | 'identity' | 'signal' | 'health';

export interface GrpcServiceSpec {
  id: GrpcServiceId;
  /** Fully qualified service name, e.g. flyteidl.service.AdminService. */
  service: string;
  /** The harmless method the probe calls (read-only; with an empty request where the handler validates it). */
  method: string;
  /** `/service/method`. */
  path: string;
  /** Short name for messages. */
  label: string;
  /** When flyteadmin registers the service: always, or only with useAuth (facts §B3). */
  registered: 'always' | 'auth';
  /** Whether flyteadmin requires a token for the method when auth is on. */
  needsToken: boolean;
  /** Who calls it, for messages. */
  usedBy: string;
  /**
   * gRPC status names that prove the route reaches the service's handler although the call did not
   * succeed: the probe sends an empty request, which the handler rejects before doing anything.
   */
  handlerAnswers: readonly string[];
}

export const GRPC_SERVICES: Readonly<Record<GrpcServiceId, GrpcServiceSpec>> = {
  admin: { id: 'admin', service: 'flyteidl.service.AdminService', method: 'GetVersion', path: '/flyteidl.service.AdminService/GetVersion', label: 'AdminService', registered: 'always', needsToken: true, usedBy: 'every flytectl/pyflyte command', handlerAnswers: [] },
  dataproxy: { id: 'dataproxy', service: 'flyteidl.service.DataProxyService', method: 'CreateUploadLocation', path: '/flyteidl.service.DataProxyService/CreateUploadLocation', label: 'DataProxyService', registered: 'always', needsToken: true, usedBy: '`pyflyte run --remote` and `pyflyte register` (uploads code through signed URLs)', handlerAnswers: ['INVALID_ARGUMENT', 'NOT_FOUND', 'FAILED_PRECONDITION', 'ALREADY_EXISTS'] },
  authmetadata: { id: 'authmetadata', service: 'flyteidl.service.AuthMetadataService', method: 'GetPublicClientConfig', path: '/flyteidl.service.AuthMetadataService/GetPublicClientConfig', label: 'AuthMetadataService', registered: 'auth', needsToken: false, usedBy: 'flytectl/pyflyte before they log in (auth discovery)', handlerAnswers: [] },
  identity: { id: 'identity', service: 'flyteidl.service.IdentityService', method: 'UserInfo', path: '/flyteidl.service.IdentityService/UserInfo', label: 'IdentityService', registered: 'auth', needsToken: true, usedBy: 'clients that show who is logged in (`flytectl get` with auth, FlyteRemote)', handlerAnswers: [] },
  signal: { id: 'signal', service: 'flyteidl.service.SignalService', method: 'ListSignals', path: '/flyteidl.service.SignalService/ListSignals', label: 'SignalService', registered: 'always', needsToken: true, usedBy: 'approve/gate nodes (`flytectl get signals`, FlyteRemote.set_signal)', handlerAnswers: ['INVALID_ARGUMENT', 'NOT_FOUND', 'FAILED_PRECONDITION'] },
  health: { id: 'health', service: 'grpc.health.v1.Health', method: 'Check', path: '/grpc.health.v1.Health/Check', label: 'grpc.health.v1', registered: 'always', needsToken: false, usedBy: 'load balancer health checks and clients that probe the channel', handlerAnswers: [] },
};

/** The gRPC path prefixes the charts route to flyteadmin's gRPC port, each as X and X/* (facts §E). */
export const GRPC_PATHS = ['/flyteidl.service.AdminService', '/flyteidl.service.AuthMetadataService', '/flyteidl.service.DataProxyService', '/flyteidl.service.IdentityService', '/flyteidl.service.SignalService', '/grpc.health.v1.Health'];

/** The HTTP paths the charts route to flyteadmin's HTTP port (and /console to the console). */
export const HTTP_PATHS = ['/console', '/api', '/healthcheck', '/v1', '/.well-known', '/login', '/logout', '/callback', '/me', '/config', '/oauth2'];

// ---------------------------------------------------------------- names, Services, values keys

const isCore = (t: Target) => t.chart === 'flyte-core';
/** Values key prefix of the ingress. */
export const ingressKey = (t: Target) => t.ingress?.valuesKey ?? (isCore(t) ? 'common.ingress' : 'ingress');

/** A target with the chart's object names as found on the cluster (flyte-binary's fullname depends on the release name the values do not say). */
export type NamedTarget = Target & { fullname?: string };

/** flyte-binary fullname (objects are named after it): the one found on the cluster, else derived from the release. */
export function fullnameOf(t: Target, found?: string): string {
  return found ?? (t as NamedTarget).fullname ?? binaryFullname(t.kubernetes.release);
}

export interface BackendService {
  /** Service name. */
  name: string;
  /** Service port. */
  port: number;
  /** The component behind it, as cause.backend() names it. */
  component: 'flyteadmin' | 'flyteconsole';
  /** The Deployment to restart or inspect. */
  deployment: string;
}

/** flyteadmin's gRPC Service and port (binary `<fn>-grpc:8089`, or `<fn>-http:8089` when not separate; core flyteadmin:81, or :80 when secure). */
export function adminGrpcBackend(t: Target, fullname?: string): BackendService {
  if (isCore(t)) return { name: 'flyteadmin', port: 81, component: 'flyteadmin', deployment: 'flyteadmin' };
  const fn = fullnameOf(t, fullname);
  return { name: t.ingress && !t.ingress.separateGrpcIngress ? `${fn}-http` : `${fn}-grpc`, port: 8089, component: 'flyteadmin', deployment: fn };
}

/** flyteadmin's HTTP Service and port (binary `<fn>-http:8088`, core flyteadmin:80). */
export function adminHttpBackend(t: Target, fullname?: string): BackendService {
  if (isCore(t)) return { name: 'flyteadmin', port: 80, component: 'flyteadmin', deployment: 'flyteadmin' };
  const fn = fullnameOf(t, fullname);
  return { name: `${fn}-http`, port: 8088, component: 'flyteadmin', deployment: fn };
}

/** What serves /console: flyteconsole:80 (core) or the flyte-binary HTTP port (binary embeds the console). */
export function consoleBackend(t: Target, fullname?: string): BackendService {
  if (isCore(t)) return { name: 'flyteconsole', port: 80, component: 'flyteconsole', deployment: 'flyteconsole' };
  return { ...adminHttpBackend(t, fullname) };
}

/** The values key and value that turn auth on in flyteadmin. */
export function useAuthKey(t: Target): string {
  return isCore(t) ? 'configmap.adminServer.server.security.useAuth' : `${t.auth.valuesKey || 'configuration.auth'}.enabled`;
}

/** The values key of flyteadmin's gRPC max message size (server.grpc.maxMessageSizeBytes). */
export function maxMessageSizeKey(t: Target): string {
  return isCore(t) ? 'configmap.adminServer.server.grpc.maxMessageSizeBytes' : 'configuration.inline.server.grpc.maxMessageSizeBytes';
}

/** The values key that gives the ingress TLS (binary `ingress.tls`, core `common.ingress.tls.enabled`); `admin.insecure` when no chart ingress is rendered. */
export function ingressTlsKey(t: Target): string {
  if (!t.ingress?.enabled) return 'admin.insecure';
  return isCore(t) ? `${ingressKey(t)}.tls.enabled` : `${ingressKey(t)}.tls`;
}

/** Where the values file that sets `field` lives (else the first values file read), for `helm upgrade -f`. */
function valuesFileOf(t: Target, field: string): string {
  const s = setting(t, field);
  if (s.origin === 'file' && s.file) return s.file;
  const skip = new Set([t.client.configPath, t.kubernetes.kubeconfigPath].filter(Boolean));
  return t.inputs.find((f) => /\.ya?ml$/i.test(f) && !skip.has(f)) ?? '<your values.yaml>';
}

/**
 * The commands that roll changed values out: `helm upgrade` with the values, then a restart of the
 * Deployment (config is read at start-up; ConfigMap changes do not restart pods).
 */
export function rolloutCommand(t: Target, field = 'auth.enabled', fullname?: string): string {
  const ns = t.kubernetes.namespace;
  const chart = t.chart ?? 'flyte-binary';
  const release = t.kubernetes.release;
  const dep = isCore(t) ? 'flyteadmin' : fullnameOf(t, fullname);
  return `helm upgrade ${release} flyteorg/${chart} -n ${ns} -f ${valuesFileOf(t, field)}, then kubectl -n ${ns} rollout restart deploy/${dep}`;
}

// ---------------------------------------------------------------- fixes

/** Annotations (values key → annotations) of the gRPC and HTTP ingress as the values define them. */
function annotationSources(t: Target): { key: string; annotations: Record<string, string> }[] {
  const i = t.ingress;
  if (!i) return [];
  const vk = ingressKey(t);
  if (isCore(t)) return [{ key: `${vk}.annotations`, annotations: i.annotations }, { key: `${vk}.separateGrpcIngressAnnotations`, annotations: i.grpcAnnotations }];
  return [{ key: `${vk}.httpAnnotations`, annotations: i.annotations }, { key: `${vk}.grpcAnnotations`, annotations: i.grpcAnnotations }];
}

const lowerKeys = (a: Record<string, string>) => Object.fromEntries(Object.entries(a).map(([k, v]) => [k.toLowerCase(), String(v)]));

/** The rewrite-target annotation the values put on the HTTP (or common) ingress, with where. */
export function rewriteTargetAnnotation(t: Target): { annotation: string; value: string; key: string } | undefined {
  for (const src of annotationSources(t)) {
    for (const [k, v] of Object.entries(src.annotations)) {
      if (/(^|\/)rewrite-target$/i.test(k)) return { annotation: k, value: String(v), key: src.key };
    }
  }
  return undefined;
}

/** The client-certificate (mutual TLS) annotations the values put on the HTTP or gRPC ingress (ingress-nginx auth-tls-*), with where. */
export function clientCertAnnotations(t: Target): { annotation: string; value: string; key: string }[] {
  const out: { annotation: string; value: string; key: string }[] = [];
  for (const src of annotationSources(t)) {
    for (const [k, v] of Object.entries(src.annotations)) {
      if (/(^|\/)auth-tls-(verify-client|secret)$/i.test(k)) out.push({ annotation: k, value: String(v), key: src.key });
    }
  }
  return out;
}

/** The values key holding the HTTP ingress annotations (where a rewrite-target would be). */
export function httpAnnotationsKey(t: Target): string {
  return isCore(t) ? `${ingressKey(t)}.annotations` : `${ingressKey(t)}.httpAnnotations`;
}

/** The ingress controller the class names (nginx when none is named: the charts' examples and most installs). */
export function ingressController(t: Target): 'nginx' | 'alb' | 'traefik' | 'contour' | 'gce' | 'haproxy' | 'other' {
  const i = t.ingress;
  const cls = (i?.className ?? i?.annotations['kubernetes.io/ingress.class'] ?? '').toLowerCase();
  if (!cls || cls.includes('nginx')) return 'nginx';
  for (const c of ['alb', 'traefik', 'contour', 'gce', 'haproxy'] as const) if (cls.includes(c)) return c;
  return 'other';
}

/** The controller's gRPC switch as the values give it to the gRPC ingress, if they do. */
export function grpcProtocolAnnotated(t: Target): string | undefined {
  const a = lowerKeys({ ...(t.ingress?.annotations ?? {}), ...(t.ingress?.grpcAnnotations ?? {}) });
  switch (ingressController(t)) {
    case 'nginx': { const bp = a['nginx.ingress.kubernetes.io/backend-protocol']; return bp && /^grpcs?$/i.test(bp) ? `nginx.ingress.kubernetes.io/backend-protocol: ${bp}` : undefined; }
    case 'alb': { const v = a['alb.ingress.kubernetes.io/backend-protocol-version']; return v && v.toUpperCase() === 'GRPC' ? `alb.ingress.kubernetes.io/backend-protocol-version: ${v}` : undefined; }
    case 'haproxy': { const v = a['ingress.kubernetes.io/backend-protocol'] ?? a['haproxy.org/server-proto']; return v && /^(grpc|h2)$/i.test(v) ? `backend protocol ${v}` : undefined; }
    default: return undefined;
  }
}

/** The annotation the gRPC ingress needs for its controller, and the values key to put it in. */
export function grpcIngressFix(target: Target): string {
  const i = target.ingress;
  const ctl = ingressController(target);
  const core = isCore(target);
  const vk = ingressKey(target);
  const annKey = core ? `${vk}.separateGrpcIngressAnnotations` : `${vk}.grpcAnnotations`;
  const sep = `${vk}.separateGrpcIngress: true`;
  const present = grpcProtocolAnnotated(target);
  const g = adminGrpcBackend(target);
  if (present && (i?.separateGrpcIngress || ctl !== 'nginx')) {
    // The values already have it: the live Ingress differs from them (not rolled out, or another object/controller serves the host).
    return `the values already set ${present} in ${annKey}, but the live gRPC Ingress does not proxy gRPC: compare \`kubectl -n ${target.kubernetes.namespace} get ingress -o yaml\` with the values (helm upgrade not applied, another Ingress or controller serving the host), and check that its backend is flyteadmin's gRPC port (${g.name}:${g.port})`;
  }
  switch (ctl) {
    case 'alb': return `set alb.ingress.kubernetes.io/backend-protocol-version: GRPC in ${annKey} (with ${sep}; HTTPS-only listen-ports on the gRPC ingress)`;
    case 'traefik': return 'have Traefik speak h2c to flyteadmin\'s gRPC port: annotate the gRPC Service with traefik.ingress.kubernetes.io/service.serversscheme: h2c';
    case 'contour': return 'annotate the gRPC Service with projectcontour.io/upstream-protocol.h2c: "<grpc port>"';
    case 'gce': return 'GCE needs HTTP/2 with TLS to the backend: set server.security.secure: true on flyteadmin and cloud.google.com/app-protocols on the Service';
    case 'haproxy': return `set ingress.kubernetes.io/backend-protocol: grpc in ${annKey} (with TLS on the ingress)`;
    default:
      if (present) return `set ${sep}: nginx applies ${present} per Ingress object, and the HTTP paths share the object now`;
      return `set nginx.ingress.kubernetes.io/backend-protocol: GRPC in ${annKey} (with ${sep}: nginx applies it per Ingress object); plain nginx: grpc_pass instead of proxy_pass`;
  }
}

/** The fix for gRPC prefixes the ingress does not route. */
export function grpcRoutesFix(target: Target, services: readonly string[] = GRPC_PATHS): string {
  const b = adminGrpcBackend(target);
  return `route ${services.map((s) => `${s} and ${s}/*`).join(', ')} on the gRPC ingress to flyteadmin's gRPC port (${b.name}:${b.port}); the chart renders all ${GRPC_PATHS.length} prefixes when ${ingressKey(target)}.${isCore(target) ? 'enabled' : 'create'} is set, so a custom Ingress/IngressRoute/proxy is missing them`;
}

// ---------------------------------------------------------------- what answered

export interface HttpAnswer { status: number; contentType: string; body: string; headers: Record<string, string> }

/**
 * flyteadmin's own error shapes: the grpc-gateway JSON `{"code":N,"message":...}` (with `details`
 * or `error`), and the Go mux's `404 page not found` (text/plain). Undefined for anything else.
 */
export function flyteadminShape(r: HttpAnswer): 'gateway-json' | 'go-404' | undefined {
  const body = r.body.trim();
  if (/^404 page not found$/.test(body) && /text\/plain/i.test(r.contentType || 'text/plain')) return 'go-404';
  if (/json/i.test(r.contentType) || body.startsWith('{')) {
    try {
      const j = JSON.parse(body) as Record<string, unknown>;
      if (j && typeof j === 'object' && typeof j.code === 'number' && (typeof j.message === 'string' || typeof j.error === 'string')) return 'gateway-json';
    } catch { /* not JSON */ }
  }
  return undefined;
}

/** flyteadmin's UNAUTHENTICATED texts (auth interceptor, token parsing). */
export const FLYTEADMIN_UNAUTH_RE = /JWT_VERIFICATION_FAILED|Request unauthenticated|token parse error|Could not retrieve id token|failed to (?:verify|parse) (?:access )?token|authentication error|unauthenticated with/i;

/** The console's page: flyteconsole's index.html markers (old `react-app`, new "Flyte Dashboard"/`root`, the app name). */
export function looksLikeConsole(body: string): boolean {
  return /<div id="react-app"|<title>\s*Flyte (?:Console|Dashboard)|content="flyteconsole"|window\.env\b|flyteconsole/i.test(body);
}

/** The page's title (or first heading), for messages. */
export function htmlTitle(body: string): string | undefined {
  const m = /<title[^>]*>([^<]{1,120})<\/title>/i.exec(body) ?? /<h1[^>]*>([^<]{1,120})<\/h1>/i.exec(body);
  return m ? m[1]!.replace(/\s+/g, ' ').trim() : undefined;
}
