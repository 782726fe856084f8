import { isHtml, jsonBody } from '../../src/clients/http.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext, Outcome } from '../../src/engine/types.js';
import { ingressGet, snippet } from './http.healthcheck.js';

export default defineCheck({
  id: 'ingress.http.api',
  title: 'The REST API (/api/v1/projects) answers JSON through the ingress',
  phases: ['verify'],
  needs: ['ingress'],
  timeoutMs: 8000,
  explain: {
    what: 'GET `<ingress>/api/v1/projects` without a token: 200 with JSON `projects`, or 401 when auth is on (routed, not authorized: a pass for routing).',
    why: 'The console talks to this API; HTML here ("invalid wire type", "Failed to fetch data") means /api is routed to the console or a default backend.',
    fix: 'Route `/api` and `/api/*` to flyteadmin\'s HTTP port.',
  },
  async run(ctx: CheckContext): Promise<Outcome> {
    const { res, fail, url, details } = await ingressGet(ctx, '/api/v1/projects', { accept: 'application/json' });
    if (fail) return fail;
    const r = res!;
    const json = jsonBody(r);
    if (r.status === 200 && json && Array.isArray(json.projects)) {
      const names = (json.projects as { id?: string }[]).map((p) => p.id ?? '?');
      return { status: 'pass', message: `${url} answered JSON with ${names.length} project(s)${names.length ? `: ${names.slice(0, 5).join(', ')}` : ''}`, details: { ...details, projects: names } };
    }
    if (r.status === 401) return { status: 'pass', messageId: 'authRequired', message: `${url} answered 401: routed to flyteadmin, which requires a token (auth is on)`, details };
    if (r.status === 404) return { status: 'fail', messageId: 'notRouted', message: `${url} answered 404${r.headers.server ? ` from ${r.headers.server}` : ''}: /api is not routed`, hint: 'route /api and /api/* to flyteadmin\'s HTTP port (binary <fullname>-http:8088, core flyteadmin:80)', details };
    if (isHtml(r)) return { status: 'fail', messageId: 'htmlNotJson', message: `${url} answered ${r.status} with HTML (${r.contentType}): /api is routed to the console or a default backend, not flyteadmin`, hint: 'route /api and /api/* to flyteadmin\'s HTTP port (binary <fullname>-http:8088, core flyteadmin:80); the console shows "invalid wire type" / "Failed to fetch data" otherwise', details };
    if (r.status >= 500) return { status: 'fail', messageId: 'backendDown', message: `${url} answered ${r.status} ${snippet(r)}`, hint: 'flyteadmin is not ready behind the ingress: kubectl -n <ns> get pods,endpoints and the flyteadmin logs', details };
    return { status: 'fail', messageId: 'unexpectedAnswer', message: `${url} answered ${r.status} ${r.contentType || 'without content-type'}: ${snippet(r)}`, hint: 'route /api and /api/* to flyteadmin\'s HTTP port with nothing rewriting the path', details };
  },
});
