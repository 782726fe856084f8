import { isObj, kubeSession, probeSignal } from '../../src/clients/kube.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext } from '../../src/engine/types.js';

type Controller = 'nginx' | 'alb' | 'traefik' | 'gce' | 'contour' | 'haproxy' | 'f5nginx';

/** Our controller kind for an IngressClass's spec.controller (the cluster's word, not the class name's). */
function controllerOfSpec(controller: string): Controller | undefined {
  if (/^k8s\.io\/ingress-nginx$/.test(controller)) return 'nginx';
  if (/^nginx\.org\/ingress-controller$/.test(controller)) return 'f5nginx';
  if (/^ingress\.k8s\.aws\/alb$/.test(controller)) return 'alb';
  if (/^traefik\.io\/ingress-controller$/.test(controller)) return 'traefik';
  if (/^haproxy/.test(controller)) return 'haproxy';
  if (/^projectcontour\.io\//.test(controller)) return 'contour';
  if (/^k8s\.io\/gce|^networking\.gke\.io\//.test(controller)) return 'gce';
  return undefined;
}

/**
 * The IngressClass's spec.controller when the cluster can be read (a class named "public" may be
 * ingress-nginx; one named "nginx" may be F5's controller, which reads other annotations);
 * undefined when there is no cluster to ask, the class does not exist yet, or the read fails.
 */
async function clusterController(ctx: CheckContext, cls: string): Promise<string | undefined> {
  const k = ctx.target.kubernetes;
  if (!k.kubeconfigPath && !(k.kubeconfigFiles?.length) && !ctx.target.inCluster) return undefined;
  const ms = Math.min(2000, ctx.remainingMs() - 500);
  if (ms < 200) return undefined;
  try {
    const s = await kubeSession(ctx);
    const ic = await s.getOptional<Record<string, unknown>>(`/apis/networking.k8s.io/v1/ingressclasses/${encodeURIComponent(cls)}`, probeSignal(ctx.signal, ms));
    const c = ic && isObj(ic['spec']) ? ic['spec']['controller'] : undefined;
    return typeof c === 'string' && c ? c : undefined;
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    return undefined;
  }
}

function controllerOf(className: string | undefined): Controller | undefined {
  const c = (className ?? '').toLowerCase();
  if (!c) return undefined;
  if (c.includes('alb')) return 'alb';
  if (c.includes('traefik')) return 'traefik';
  if (c.includes('gce')) return 'gce';
  if (c.includes('contour')) return 'contour';
  if (c.includes('haproxy')) return 'haproxy';
  if (c.includes('nginx')) return 'nginx';
  return undefined;
}

export default defineCheck({
  id: 'ingress.annotations.grpc',
  title: 'The gRPC ingress has what its controller needs for gRPC',
  phases: ['preflight'],
  needs: ['ingress'],
  messages: {
    configured: { status: 'pass', summary: 'The gRPC Ingress has the settings its controller needs to proxy gRPC.' },
    noIngress: { status: 'skip', summary: 'The chart renders no Ingress.' },
    unknownController: { status: 'skip', summary: 'No ingress class, or a controller flyte-doctor does not know.' },
    nginxGrpc: { status: 'fail', summary: 'ingress-nginx: no separate gRPC Ingress, no backend-protocol GRPC, or no TLS (nginx serves gRPC only on TLS).' },
    albGrpc: { status: 'fail', summary: 'AWS ALB: no backend-protocol-version GRPC, an HTTP listener for the gRPC target group, or HTTP success codes.' },
    haproxyGrpc: { status: 'fail', summary: 'HAProxy: no gRPC backend protocol annotation, or no TLS.' },
    f5Grpc: { status: 'fail', summary: 'F5 NGINX Ingress Controller (nginx.org): no nginx.org/grpc-services naming the gRPC Service, or no TLS (it serves gRPC over HTTP/2 only with TLS).' },
    gceGrpc: { status: 'fail', summary: 'GCE: no TLS on the ingress (GCLB speaks HTTP/2 only with TLS).' },
    gceBackend: { status: 'warn', summary: 'GCE: TLS to the backend and a /healthcheck BackendConfig are not visible in the Ingress annotations.' },
    traefikGrpc: { status: 'warn', summary: 'Traefik: the backend scheme h2c is not visible in the Ingress annotations (it lives on the Service).' },
    contourGrpc: { status: 'warn', summary: 'Contour: the h2c upstream protocol is not visible in the Ingress annotations (it lives on the Service).' },
  },
  explain: {
    what: 'From the values: the ingress class and the annotations of the gRPC Ingress (common + gRPC-specific). The controller is the IngressClass\'s spec.controller when the cluster can be read (ingress-nginx, F5 NGINX, ALB, Traefik, GCE, Contour, HAProxy), else guessed from the class name.',
    why: 'Each controller proxies HTTP/1.1 by default; without its gRPC switch clients see "Trying to connect an http1.x server", HTTP 464/502 or 400.',
    fix: 'nginx: separate gRPC Ingress with `nginx.ingress.kubernetes.io/backend-protocol: GRPC` and TLS; ALB: `alb.ingress.kubernetes.io/backend-protocol-version: GRPC`, HTTPS-only listener; Traefik/Contour: h2c on the Service; GCE: TLS to the backend (admin `secure: true`).',
  },
  async run(ctx: CheckContext) {
    const t = ctx.target;
    const i = t.ingress!;
    const core = t.chart === 'flyte-core';
    const vk = i.valuesKey;
    if (!i.enabled) return { status: 'skip', messageId: 'noIngress', message: `the chart renders no Ingress (${core ? `${vk}.enabled` : `${vk}.create`} is false)` };
    const cls = i.className ?? i.annotations['kubernetes.io/ingress.class'];
    // The cluster's IngressClass says which controller it is; the class name is only a guess.
    const spec = cls ? await clusterController(ctx, cls) : undefined;
    const ctl = spec ? controllerOfSpec(spec) : controllerOf(cls);
    const grpcAnn: Record<string, string> = { ...i.annotations, ...i.grpcAnnotations };
    const annKey = core ? `${vk}.separateGrpcIngressAnnotations` : `${vk}.grpcAnnotations`;
    const details = { className: cls ?? '', controller: ctl ?? 'unknown', controllerFrom: spec ? `IngressClass ${cls} spec.controller ${spec}` : 'the class name', separateGrpcIngress: i.separateGrpcIngress, tls: i.tls, grpcAnnotations: grpcAnn };
    if (!ctl) return { status: 'skip', messageId: 'unknownController', message: spec ? `ingress class "${cls}" is served by ${spec}: flyte-doctor does not know what this controller needs for gRPC` : cls ? `ingress class "${cls}": flyte-doctor does not know what this controller needs for gRPC` : `no ingress class set (${vk}.ingressClassName): cannot tell which controller serves it`, details };
    const lower = Object.fromEntries(Object.entries(grpcAnn).map(([k, v]) => [k.toLowerCase(), String(v)]));
    const problems: string[] = [];
    const fixes: string[] = [];
    switch (ctl) {
      case 'nginx': {
        const bp = lower['nginx.ingress.kubernetes.io/backend-protocol'];
        if (!i.separateGrpcIngress) { problems.push('HTTP and gRPC share one Ingress, but ingress-nginx applies backend-protocol per Ingress object'); fixes.push(`${vk}.separateGrpcIngress: true`); }
        if (!bp || !/^grpcs?$/i.test(bp)) { problems.push(bp ? `backend-protocol is "${bp}", not GRPC` : 'the gRPC Ingress has no nginx.ingress.kubernetes.io/backend-protocol: GRPC'); fixes.push(`nginx.ingress.kubernetes.io/backend-protocol: GRPC in ${annKey}`); }
        if (!i.tls) { problems.push('no TLS: ingress-nginx serves gRPC (HTTP/2) only on its TLS listener'); fixes.push(core ? `${vk}.tls.enabled: true` : `${vk}.tls (a TLS secret for ${i.host ?? 'the host'})`); }
        break;
      }
      case 'f5nginx': {
        // F5's controller ignores nginx.ingress.kubernetes.io/*: gRPC is per Service in nginx.org/grpc-services
        const gs = lower['nginx.org/grpc-services'];
        if (!gs) { problems.push(`F5 NGINX (nginx.org) proxies gRPC only to the Services named in nginx.org/grpc-services${lower['nginx.ingress.kubernetes.io/backend-protocol'] ? ' (nginx.ingress.kubernetes.io/backend-protocol is ingress-nginx\'s annotation: this controller ignores it)' : ''}`); fixes.push(`nginx.org/grpc-services: "<flyteadmin's gRPC Service>" in ${annKey}`); }
        if (!i.tls) { problems.push('no TLS: it serves gRPC over HTTP/2 only on TLS'); fixes.push(core ? `${vk}.tls.enabled: true` : `${vk}.tls (a TLS secret for ${i.host ?? 'the host'})`); }
        break;
      }
      case 'alb': {
        const pv = lower['alb.ingress.kubernetes.io/backend-protocol-version'];
        if (!pv || pv.toUpperCase() !== 'GRPC') { problems.push(pv ? `backend-protocol-version is "${pv}" (HTTP2 is not enough), not GRPC` : 'no alb.ingress.kubernetes.io/backend-protocol-version: GRPC'); fixes.push(`alb.ingress.kubernetes.io/backend-protocol-version: GRPC in ${annKey}`); }
        const lp = lower['alb.ingress.kubernetes.io/listen-ports'];
        if (i.separateGrpcIngress && lp && /"HTTP"\s*:/i.test(lp)) { problems.push(`the gRPC Ingress listens on plain HTTP (${lp}): "Listener protocol 'HTTP' is not supported with a target group with the protocol-version 'GRPC'"`); fixes.push(`alb.ingress.kubernetes.io/listen-ports: '[{"HTTPS":443}]' in ${annKey}`); }
        const sc = lower['alb.ingress.kubernetes.io/success-codes'];
        if (sc && sc.split(/[,-]/).some((x) => Number(x) > 99)) { problems.push(`success-codes "${sc}" are HTTP codes; a GRPC target group needs gRPC codes 0-99`); fixes.push(`alb.ingress.kubernetes.io/success-codes: "0-99" (or "0,12") in ${annKey}`); }
        break;
      }
      case 'traefik': {
        const all = { ...lower };
        if (!Object.entries(all).some(([k, v]) => k.endsWith('service.serversscheme') && v === 'h2c')) {
          problems.push('Traefik proxies HTTP/1.1 unless the backend scheme is h2c (not visible in the Ingress annotations)');
          fixes.push('annotate the flyteadmin gRPC Service with traefik.ingress.kubernetes.io/service.serversscheme: h2c');
        }
        break;
      }
      case 'contour': {
        if (!Object.keys(lower).some((k) => k.startsWith('projectcontour.io/upstream-protocol.h2'))) {
          problems.push('Contour proxies HTTP/1.1 unless the Service says the port speaks h2c');
          fixes.push('annotate the flyteadmin gRPC Service with projectcontour.io/upstream-protocol.h2c: "<grpc port>"');
        }
        break;
      }
      case 'haproxy': {
        const bp = lower['ingress.kubernetes.io/backend-protocol'] ?? lower['haproxy.org/server-proto'];
        if (!bp || !/^(grpc|h2)$/i.test(bp)) { problems.push('no gRPC backend protocol annotation'); fixes.push(`ingress.kubernetes.io/backend-protocol: grpc (haproxy.org/server-proto: h2) in ${annKey}`); }
        if (!i.tls) { problems.push('no TLS: gRPC is exposed on 443 only with TLS'); fixes.push(core ? `${vk}.tls.enabled: true` : `${vk}.tls`); }
        break;
      }
      case 'gce': {
        if (!i.tls) { problems.push('no TLS on the GCE ingress'); fixes.push(core ? `${vk}.tls.enabled: true` : `${vk}.tls`); }
        if (!Object.keys(lower).some((k) => k.startsWith('cloud.google.com/') || k.includes('backend-config'))) {
          problems.push('GCLB speaks HTTP/2 to a backend only over TLS and health-checks / by default');
          fixes.push('flyteadmin server.security.secure: true (TLS on the backend), cloud.google.com/app-protocols on the Service, and a BackendConfig with healthCheck requestPath /healthcheck');
        }
        break;
      }
    }
    if (!problems.length) return { status: 'pass', messageId: 'configured', message: `gRPC ingress (${ctl}${cls && cls !== ctl ? `, class ${cls}` : ''}) has the gRPC settings its controller needs`, details };
    const message = `gRPC ingress (${ctl}): ${problems.join('; ')}`;
    const hint = `set ${fixes.join('; ')}`;
    switch (ctl) {
      case 'traefik': return { status: 'warn', messageId: 'traefikGrpc', message, hint, details };
      case 'contour': return { status: 'warn', messageId: 'contourGrpc', message, hint, details };
      case 'gce': return i.tls ? { status: 'warn', messageId: 'gceBackend', message, hint, details } : { status: 'fail', messageId: 'gceGrpc', message, hint, details };
      case 'alb': return { status: 'fail', messageId: 'albGrpc', message, hint, details };
      case 'haproxy': return { status: 'fail', messageId: 'haproxyGrpc', message, hint, details };
      case 'f5nginx': return { status: 'fail', messageId: 'f5Grpc', message, hint, details };
      default: return { status: 'fail', messageId: 'nginxGrpc', message, hint, details };
    }
  },
});
