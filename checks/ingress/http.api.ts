import { jsonBody } from '../../src/clients/http.js';
import { defineCheck } from '../../src/engine/define.js';
import { adminHttpBackend } from '../../src/flyte/ingress.js';
import { HTTP_MESSAGES, anonymousAnswerOutcome, authExpectation, httpProbe, named } from './_support.js';

export default defineCheck({
  id: 'ingress.http.api',
  title: 'The REST API (/api/v1/projects) answers JSON through the ingress',
  phases: ['verify'],
  needs: ['ingress'],
  timeoutMs: 8000,
  messages: { ...HTTP_MESSAGES, answers: { status: 'pass', summary: 'flyteadmin answered /api/v1/projects with its JSON project list.' } },
  explain: {
    what: 'GET `<ingress>/api/v1/projects` without a token: 200 with JSON `projects`, or 401 with flyteadmin\'s JSON when auth is on (routed, not authorized: a pass for routing). A 401 that is not flyteadmin\'s (basic auth, an auth proxy) is something in front; flyteadmin\'s own 404 means the path was rewritten.',
    why: 'The console talks to this API; HTML here ("invalid wire type", "Failed to fetch data") means /api is routed to the console or a default backend. An anonymous 200 while the values turn auth on means the server runs without auth.',
    fix: 'Route `/api` and `/api/*` to flyteadmin\'s HTTP port, unchanged (no rewrite-target).',
  },
  async run(ctx) {
    const p = await httpProbe(ctx, {
      path: '/api/v1/projects', backend: adminHttpBackend, guarded: true, what: 'flyteadmin\'s HTTP port', headers: { accept: 'application/json' },
      accept: (r) => r.status === 200 && Array.isArray(jsonBody(r)?.projects),
    });
    if (!p.ok) return p.outcome;
    const names = (jsonBody(p.res)!.projects as { id?: unknown }[]).map((x) => (x && typeof x === 'object' && typeof x.id === 'string' ? x.id : '?'));
    const details = { ...p.details, projects: names };
    if (authExpectation(ctx.target) === 'on') return anonymousAnswerOutcome(await named(ctx), p.url, 'GET /api/v1/projects', details);
    return { status: 'pass', messageId: 'answers', message: `${p.url} answered JSON with ${names.length} project(s)${names.length ? `: ${names.slice(0, 5).join(', ')}` : ''}`, details };
  },
});
