import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Json } from '../../src/engine/types.js';
import { ingressKey } from '../../src/flyte/ingress.js';

/** Annotations that put authentication in front of every path of an Ingress (ingress-nginx, Traefik, ALB). */
const FRONT_AUTH = [/^nginx\.ingress\.kubernetes\.io\/auth-(type|url|signin)$/i, /^ingress\.kubernetes\.io\/auth-(type|url)$/i, /^traefik\.ingress\.kubernetes\.io\/router\.middlewares$/i, /^alb\.ingress\.kubernetes\.io\/auth-type$/i];
const REWRITE = /(^|\/)rewrite-target$/i;
const BACKEND_PROTOCOL = /^nginx\.ingress\.kubernetes\.io\/backend-protocol$/i;

export default defineCheck({
  id: 'ingress.annotations.http',
  title: 'The HTTP Ingress annotations leave Flyte\'s paths intact and open',
  phases: ['preflight'],
  needs: ['ingress'],
  messages: {
    clean: { status: 'pass', summary: 'No annotation rewrites, re-protocols or guards Flyte\'s HTTP paths.' },
    noIngress: { status: 'skip', summary: 'The chart renders no Ingress.' },
    rewriteTarget: { status: 'fail', summary: 'A rewrite-target annotation on the HTTP Ingress: /api, /healthcheck and /console reach flyteadmin rewritten (its own 404).' },
    grpcProtocolOnHttp: { status: 'fail', summary: 'backend-protocol GRPC applies to the HTTP Ingress too (common annotations, or one shared Ingress): the HTTP paths are proxied as gRPC (502).' },
    frontAuthOnGrpc: { status: 'fail', summary: 'An auth annotation (basic auth, auth-url / oauth2-proxy) applies to the gRPC Ingress: flytectl/pyflyte cannot pass it.' },
    frontAuthOnHttp: { status: 'warn', summary: 'An auth annotation guards every HTTP path: browsers can log in, but REST clients and the auth metadata routes get 401/302.' },
  },
  explain: {
    what: 'From the values: the annotations of the HTTP Ingress (common + HTTP-specific) and of the gRPC Ingress, looking for rewrite-target, backend-protocol GRPC on the HTTP side, and authentication annotations (auth-type, auth-url, auth-signin, Traefik middlewares, ALB auth).',
    why: 'Flyte\'s paths must reach flyteadmin unchanged (a rewrite makes flyteadmin answer its own 404), the HTTP paths speak HTTP/1.1 (a gRPC backend protocol on them gives 502), and clients authenticate with Flyte\'s own auth, not with an auth proxy in front.',
    fix: 'Remove the rewrite-target annotation; keep backend-protocol GRPC in the gRPC annotations only (with a separate gRPC Ingress); put auth proxies only in front of the console if at all, and turn on Flyte\'s auth instead.',
  },
  async run(ctx) {
    const t = ctx.target;
    const i = t.ingress!;
    const core = t.chart === 'flyte-core';
    const vk = ingressKey(t);
    if (!i.enabled) return { status: 'skip', messageId: 'noIngress', message: `the chart renders no Ingress (${core ? `${vk}.enabled` : `${vk}.create`} is false)` };
    const httpKey = core ? `${vk}.annotations` : `${vk}.httpAnnotations`;
    const grpcKey = core ? `${vk}.separateGrpcIngressAnnotations` : `${vk}.grpcAnnotations`;
    const http = i.annotations;
    // flyte-core's gRPC Ingress gets the common annotations plus its own; one shared Ingress carries both sets.
    const grpc = i.separateGrpcIngress ? i.grpcAnnotations : { ...i.annotations, ...i.grpcAnnotations };
    const details: Record<string, Json> = { httpAnnotations: http, grpcAnnotations: grpc, separateGrpcIngress: i.separateGrpcIngress };
    const find = (a: Record<string, string>, re: RegExp) => Object.entries(a).find(([k]) => re.test(k));
    const rw = find(http, REWRITE);
    if (rw) return { status: 'fail', messageId: 'rewriteTarget', cause: cause.config(httpKey), message: `${httpKey} has ${rw[0]}: "${rw[1]}": the HTTP paths (/api, /healthcheck, /console, /.well-known) reach flyteadmin rewritten, and it answers its own 404`, hint: `remove ${rw[0]} from ${httpKey} (Flyte's paths must reach flyteadmin unchanged)`, details };
    const bp = find(http, BACKEND_PROTOCOL);
    if (bp && /^grpcs?$/i.test(bp[1])) {
      const where = i.separateGrpcIngress ? `${httpKey}${core ? '' : ` (${vk}.commonAnnotations reach both Ingresses)`}` : `the one Ingress that carries HTTP and gRPC paths (${vk}.separateGrpcIngress is false)`;
      return { status: 'fail', messageId: 'grpcProtocolOnHttp', cause: cause.config(httpKey), message: `${bp[0]}: ${bp[1]} applies to the HTTP paths through ${where}: ingress-nginx proxies /api, /console and /healthcheck as gRPC, and they answer 502`, hint: i.separateGrpcIngress ? `move ${bp[0]} from ${core ? httpKey : `${vk}.commonAnnotations / ${httpKey}`} to ${grpcKey}` : `set ${vk}.separateGrpcIngress: true and keep ${bp[0]}: GRPC in ${grpcKey} only`, details };
    }
    const ga = Object.entries(grpc).find(([k]) => FRONT_AUTH.some((re) => re.test(k)));
    if (ga) return { status: 'fail', messageId: 'frontAuthOnGrpc', cause: cause.config(grpcKey), message: `${ga[0]}: "${ga[1]}" applies to the gRPC Ingress: flytectl and pyflyte send Flyte tokens, not basic auth or an auth proxy's cookie, and get UNAUTHENTICATED`, hint: `remove ${ga[0]} from the gRPC Ingress annotations (${i.separateGrpcIngress ? grpcKey : `${httpKey}, shared with gRPC`}); turn on Flyte's own auth instead (${core ? 'configmap.adminServer.server.security.useAuth' : 'configuration.auth.enabled'})`, details };
    const ha = Object.entries(http).find(([k]) => FRONT_AUTH.some((re) => re.test(k)));
    if (ha) return { status: 'warn', messageId: 'frontAuthOnHttp', message: `${ha[0]}: "${ha[1]}" guards every HTTP path: the console may log in through it, but REST clients, /healthcheck probes and the auth metadata routes (/.well-known, /config) get 401/302`, hint: `keep ${ha[0]} off ${httpKey}, or exempt /api, /healthcheck, /.well-known and /config; Flyte's own auth (${core ? 'configmap.adminServer.server.security.useAuth' : 'configuration.auth.enabled'}) protects the API`, details };
    return { status: 'pass', messageId: 'clean', message: `the HTTP Ingress annotations leave Flyte's paths intact (${Object.keys(http).length} annotation(s))`, details };
  },
});
