import { httpRequest, type HttpResponse } from '../../src/clients/http.js';
import { describeService, identifyService } from '../../src/clients/sniff.js';
import { ProbeError } from '../../src/clients/tls.js';
import { placeholderTokens } from '../../src/config/hygiene.js';
import { isClusterInternal } from '../../src/config/endpoints.js';
import { cause, hostPortKey } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import { resolveTemplate } from '../../src/flyte/observability.js';

const MESSAGES = {
  answers: { status: 'pass', summary: 'The Kubernetes-logs link\'s base URL answers with a page (2xx HTML).' },
  loginPage: { status: 'warn', summary: 'The base URL answers with a login (a redirect to a sign-in page, 401, or a page with a password form): users must sign in first (fine when intended).' },
  notFound: { status: 'fail', summary: 'The base URL answers 404: the dashboard is not served at that path.' },
  serverError: { status: 'fail', summary: 'The base URL answers with a 5xx (a proxy with no backend, a crashing dashboard).' },
  forbidden: { status: 'fail', summary: 'The base URL answers 403: something in front refuses every user.' },
  unexpected: { status: 'warn', summary: 'The base URL answers with something that is not a web page (JSON, an empty body, another status): quoted.' },
  dead: { status: 'fail', summary: 'Nothing answers HTTP at the link\'s host (DNS, refused, timeout, TLS, or another protocol: named).' },
  notFromHere: { status: 'warn', summary: 'The link\'s host is a cluster-internal name: cannot be checked from this machine (run with --in-cluster; browsers cannot open it either).' },
  notEnabled: { status: 'skip', summary: 'No Kubernetes-logs plugin with a usable template is enabled (flyte.tasklogs.config reports the configuration).' },
} as const;

export default defineCheck({
  id: 'flyte.tasklogs.kubernetes',
  title: 'The Kubernetes-logs link of a task opens a page',
  phases: ['verify'],
  timeoutMs: 12_000,
  messages: MESSAGES,
  explain: {
    what: 'Resolves the Kubernetes-logs template (`kubernetes-template-uri` / `configuration.logging.plugins.kubernetes.templateUri`) for a sample task and GETs its base (the URL without the `#…` fragment, which a browser never sends), following redirects on the same host. A 2xx HTML page passes; a sign-in page (redirect to a login or OAuth page, 401, a password form) warns; 404, 403, 5xx and a dead host fail; other answers are quoted.',
    why: 'The link is what users click in the console when a task fails. A dashboard that moved, a port-forward that only worked on the installer\'s laptop (localhost) or a proxy without a backend leave them with no logs at the moment they need them.',
    fix: 'Point the template at the dashboard URL users can open (Kubernetes Dashboard, Headlamp, your log UI) and keep its path: `https://<dashboard host>/#/log/{{ .namespace }}/{{ .podName }}/pod?namespace={{ .namespace }}`.',
  },
  async run(ctx) {
    const t = ctx.target;
    const p = (t.observability?.taskLogs.plugins ?? []).find((x) => x.kind === 'kubernetes' && x.templates.length);
    if (!p) return { status: 'skip', messageId: 'notEnabled', message: 'no Kubernetes-logs plugin with a template is enabled' };
    const tpl = p.templates[0]!;
    const sample = resolveTemplate(tpl.uri);
    let u: URL;
    try { u = new URL(sample); } catch { return { status: 'skip', messageId: 'notEnabled', message: `the Kubernetes-logs template "${tpl.uri}" does not resolve to a URL (flyte.tasklogs.config)` }; }
    if (!/^https?:$/.test(u.protocol) || placeholderTokens(sample).length || /\{\{/.test(u.origin + u.pathname)) return { status: 'skip', messageId: 'notEnabled', message: `the Kubernetes-logs template "${tpl.uri}" is not a usable http(s) URL yet (flyte.tasklogs.config)` };
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
    const hp = hostPortKey(host, port);
    const base = `${u.origin}${u.pathname}${u.search}`;
    const details = { template: tpl.uri, key: tpl.key, url: base };
    if (isClusterInternal(host) && !t.inCluster) {
      return { status: 'warn', messageId: 'notFromHere', message: `the Kubernetes-logs link points at ${u.host}, a cluster-internal name: cannot be checked from this machine, and users' browsers cannot open it either`, details,
        hint: `run with \`--in-cluster\` to test it from a pod; for users, set \`${tpl.key}\` to a host their browsers resolve (an Ingress of the dashboard)` };
    }
    const hops: HttpResponse[] = [];
    try {
      let next: string | undefined = base;
      while (next && hops.length < 4) {
        const r = await httpRequest(ctx, next, { timeoutMs: Math.min(5000, Math.max(500, ctx.remainingMs() - 800)), headers: { accept: 'text/html,*/*;q=0.8' } });
        hops.push(r);
        next = r.status >= 300 && r.status < 400 && r.location ? r.location : undefined;
        if (next && new URL(next).origin !== u.origin) break; // a sign-in page elsewhere (IdP): look at the hop itself
      }
    } catch (err) {
      if (!(err instanceof ProbeError)) throw err;
      const ev = ['refused', 'timeout', 'dns'].includes(err.kind) ? undefined : await identifyService(host, port, { timeoutMs: 1500 }).catch(() => undefined);
      return { status: 'fail', messageId: 'dead', cause: err.kind === 'dns' ? cause.dns(host) : err.kind === 'refused' || err.kind === 'timeout' ? cause.unreachable(hp) : cause.wrongService(hp), details: { ...details, error: err.message },
        message: `the Kubernetes-logs link ${base} does not answer: ${err.kind} (${err.message})${ev ? `; ${describeService(ev)}` : ''}${host === 'localhost' || host.startsWith('127.') ? ' — a localhost link works only on the machine running the sandbox or a port-forward' : ''}`,
        hint: `set \`${tpl.key}\` to the URL of a dashboard users can reach (Kubernetes Dashboard, Headlamp, your log UI)${host === 'localhost' ? '; localhost links work only where `flytectl demo` runs' : ''}` };
    }
    const last = hops[hops.length - 1]!;
    const chain = hops.map((h) => `${h.status}${h.location ? ` → ${h.location}` : ''}`).join(', ');
    const loginLoc = hops.find((h) => h.location && /login|signin|sign_in|oauth|authorize|auth\/|sso|dex|keycloak/i.test(h.location));
    const html = /text\/html/i.test(last.contentType) || /^\s*<(!doctype|html)/i.test(last.body);
    const passwordForm = html && /type=["']?password|name=["']?(password|passwd)|sign[ -]?in|log[ -]?in/i.test(last.body) && /<form/i.test(last.body);
    const d = { ...details, answers: chain };
    if (loginLoc || last.status === 401 || (last.status === 200 && passwordForm)) {
      return { status: 'warn', messageId: 'loginPage', cause: cause.frontAuth(hp), details: d,
        message: `the Kubernetes-logs link ${base} answers with a sign-in (${chain}${loginLoc?.location ? `; login at ${loginLoc.location}` : ''}): users must log in before they see logs`,
        hint: `fine when the dashboard is meant to require a login; otherwise the sign-in comes from a proxy in front of ${u.host} (oauth2-proxy, the Ingress auth annotations)` };
    }
    if (last.status >= 200 && last.status < 300) {
      if (html) return { status: 'pass', messageId: 'answers', details: d, message: `the Kubernetes-logs link ${base} answers ${last.status} with a page (a sample task's link: ${sample})` };
      return { status: 'warn', messageId: 'unexpected', cause: cause.wrongService(hp), details: { ...d, contentType: last.contentType },
        message: `the Kubernetes-logs link ${base} answers ${last.status} with ${last.body.trim() ? `${last.contentType || 'no content type'}: "${last.body.trim().slice(0, 80)}"` : 'an empty body'}, not a web page: is this the dashboard?`,
        hint: `check that \`${tpl.key}\` points at the dashboard's web UI, not its API` };
    }
    if (last.status === 404) {
      return { status: 'fail', messageId: 'notFound', cause: cause.config(tpl.key), details: d, message: `the Kubernetes-logs link ${base} answers 404 (${chain}): no dashboard at that path`, hint: `fix the path in \`${tpl.key}\` (open ${u.origin}/ in a browser to find where the dashboard is served)` };
    }
    if (last.status === 403) {
      return { status: 'fail', messageId: 'forbidden', cause: cause.frontAuth(hp), details: d, message: `the Kubernetes-logs link ${base} answers 403 (${chain}): the dashboard or a proxy in front refuses the request`, hint: `allow users through the proxy/Ingress in front of ${u.host} (IP allow-lists, auth annotations), or point \`${tpl.key}\` at a reachable dashboard` };
    }
    if (last.status >= 500) {
      return { status: 'fail', messageId: 'serverError', cause: cause.backend(u.host), details: d, message: `the Kubernetes-logs link ${base} answers ${last.status} (${chain}): the dashboard behind ${u.host} is down or failing`, hint: `check the dashboard's pods and the proxy/Ingress in front of ${u.host} (a 502/503 from a proxy means it has no ready backend)` };
    }
    return { status: 'warn', messageId: 'unexpected', cause: cause.wrongService(hp), details: d, message: `the Kubernetes-logs link ${base} answers ${chain}`, hint: `open ${base} in a browser; set \`${tpl.key}\` to the dashboard URL users can open` };
  },
});
