import { ingressHttpBase } from '../../src/config/endpoints.js';
import { probeTimeout } from '../../src/engine/budget.js';
import { clientTrust } from '../../src/clients/trust.js';
import { httpGetFollow, isHtml } from '../../src/clients/http.js';
import { ProbeError, describeNetFailure } from '../../src/clients/tls.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext, Json, Outcome } from '../../src/engine/types.js';
import { snippet } from './http.healthcheck.js';

export default defineCheck({
  id: 'ingress.http.console',
  title: 'The console is served at /console through the ingress',
  phases: ['verify'],
  needs: ['ingress'],
  timeoutMs: 8000,
  explain: {
    what: 'GET `<ingress>/console` (following same-origin redirects): expects 200 with an HTML page.',
    why: 'Users reach Flyte through the console; a 404 here means the ingress lacks the /console paths (or the app-root redirect points elsewhere).',
    fix: 'Route `/console` and `/console/*` to flyteconsole (core) or the flyte-binary HTTP port.',
  },
  async run(ctx: CheckContext): Promise<Outcome> {
    const url = `${ingressHttpBase(ctx.target)}/console`;
    const trust = await clientTrust(ctx.target);
    const timeoutMs = probeTimeout(ctx);
    let hops;
    try {
      hops = await httpGetFollow(ctx, url, { ...(trust.ca ? { ca: trust.ca } : {}), skipVerify: trust.skipVerify, timeoutMs, headers: { accept: 'text/html' } });
    } catch (err) {
      if (!(err instanceof ProbeError) || err.kind === 'aborted') throw err;
      const u = new URL(url);
      return { status: 'fail', ...describeNetFailure(err.kind, `${u.hostname}:${u.port || (u.protocol === 'https:' ? 443 : 80)}`, err.message, timeoutMs), details: { url, error: err.code ?? err.kind } };
    }
    const r = hops[hops.length - 1]!;
    const details: Record<string, Json> = { url, finalUrl: r.url, httpStatus: r.status, contentType: r.contentType, redirects: hops.slice(0, -1).map((h) => `${h.status} ${h.location ?? ''}`), ...(r.headers.server ? { server: r.headers.server } : {}) };
    if (r.status === 200 && isHtml(r)) return { status: 'pass', message: `${r.url} serves the console (200 ${r.contentType})`, details };
    if (r.status === 404) return { status: 'fail', messageId: 'notRouted', message: `${r.url} answered 404${r.headers.server ? ` from ${r.headers.server}` : ''}: /console is not routed`, hint: `route /console and /console/* to the console (core: flyteconsole:80; binary: <fullname>-http:8088); the chart ingress (${ctx.target.ingress?.valuesKey ?? 'ingress'}) renders them`, details };
    if (r.status === 401 || r.status === 403) return { status: 'fail', messageId: 'blocked', message: `${r.url} answered ${r.status}: something in front of the console requires authentication`, hint: 'the console must be reachable anonymously (flyteadmin handles login at /login); remove ingress-level auth from /console', details };
    if (r.status >= 300 && r.status < 400) return { status: 'fail', messageId: 'redirectLoop', message: `${url} keeps redirecting (${details.redirects}); last: ${r.status} ${r.location ?? ''}`, hint: 'fix the app-root/ssl-redirect annotations of the HTTP ingress (nginx.ingress.kubernetes.io/app-root: /console)', details };
    if (r.status >= 500) return { status: 'fail', messageId: 'backendDown', message: `${r.url} answered ${r.status}`, hint: 'the console backend is not ready: kubectl -n <ns> get pods,endpoints (flyteconsole or flyte-binary)', details };
    return { status: 'fail', messageId: 'notConsole', message: `${r.url} answered ${r.status} ${r.contentType || 'without content-type'}, not the console page: ${snippet(r)}`, hint: 'route /console to the console service, not to flyteadmin\'s API', details };
  },
});
