import { isHtml } from '../../src/clients/http.js';
import { defineCheck } from '../../src/engine/define.js';
import { adminHttpBackend } from '../../src/flyte/ingress.js';
import { HTTP_MESSAGES, httpProbe } from './_support.js';

export default defineCheck({
  id: 'ingress.http.healthcheck',
  title: 'flyteadmin /healthcheck answers 200 through the ingress',
  phases: ['verify'],
  needs: ['ingress'],
  timeoutMs: 8000,
  messages: { ...HTTP_MESSAGES, answers: { status: 'pass', summary: 'flyteadmin answered /healthcheck with 200 and its empty body.' } },
  explain: {
    what: 'GET `<ingress>/healthcheck` (the ingress as the values define it: TLS from the values, the client\'s CA file for trust); flyteadmin answers 200 with an empty body, without auth. An HTML 200 (a catch-all) is not flyteadmin.',
    why: 'Separates HTTP routing problems from gRPC ones: when this passes and gRPC fails, the gRPC ingress is the problem. 401/403 here is something in front of flyteadmin (flyteadmin never guards it); 502/503/504 is a backend that is down or unready.',
    fix: 'Route `/healthcheck` to flyteadmin\'s HTTP port (the charts render it); a 502/503 means the ingress has no ready flyteadmin endpoint.',
  },
  async run(ctx) {
    const p = await httpProbe(ctx, { path: '/healthcheck', backend: adminHttpBackend, guarded: false, what: 'flyteadmin\'s HTTP port', accept: (r) => r.status === 200 && !isHtml(r) && r.body.trim() === '' });
    if (!p.ok) return p.outcome;
    return { status: 'pass', messageId: 'answers', message: `${p.url} answered 200`, details: p.details };
  },
});
