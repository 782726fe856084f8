import { isHtml } from '../../src/clients/http.js';
import { defineCheck } from '../../src/engine/define.js';
import { consoleBackend, htmlTitle, looksLikeConsole } from '../../src/flyte/ingress.js';
import { HTTP_MESSAGES, httpProbe } from './_support.js';

export default defineCheck({
  id: 'ingress.http.console',
  title: 'The console is served at /console through the ingress',
  phases: ['verify'],
  needs: ['ingress'],
  timeoutMs: 8000,
  messages: { ...HTTP_MESSAGES, answers: { status: 'pass', summary: 'The Flyte console page answered /console.' } },
  explain: {
    what: 'GET `<ingress>/console` (following same-origin redirects): expects 200 with the console\'s page (flyteconsole\'s index.html markers: the react-app/root element, the "Flyte Console"/"Flyte Dashboard" title). Any other HTML page (an error or maintenance page) is not the console.',
    why: 'Users reach Flyte through the console; a 404 here means the ingress lacks the /console paths (or the app-root redirect points elsewhere); 502/503 means the console backend is down.',
    fix: 'Route `/console` and `/console/*` to flyteconsole (core) or the flyte-binary HTTP port.',
  },
  async run(ctx) {
    const p = await httpProbe(ctx, { path: '/console', backend: consoleBackend, guarded: false, follow: true, what: 'the console', headers: { accept: 'text/html' }, accept: (r) => r.status === 200 && isHtml(r) && looksLikeConsole(r.body) });
    if (!p.ok) return p.outcome;
    return { status: 'pass', messageId: 'answers', message: `${p.res.url} serves the console (200 ${p.res.contentType}${htmlTitle(p.res.body) ? `, "${htmlTitle(p.res.body)}"` : ''})`, details: p.details };
  },
});
