import { frontAnswer, frontNetworkFix } from '../../src/clients/answers.js';
import { isObj, KubeError, kubeSession, kubectl, probeSignal, type KubeSession } from '../../src/clients/kube.js';
import { resolveHost } from '../../src/clients/resolve.js';
import { describeService, identifyService, type ServiceEvidence } from '../../src/clients/sniff.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext, Json } from '../../src/engine/types.js';
import { refusedSubject, whoAmI } from '../../src/clients/whoami.js';
import { frontGenericFix, frontReading, identityKey, impersonationDenied, refreshHint, serverHostPort } from './_support.js';

/** What listens at the API server's host:port (for answers that are not TLS / not Kubernetes). */
async function sniff(server: string, ctx: CheckContext): Promise<ServiceEvidence | undefined> {
  try {
    const u = new URL(server);
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const port = Number(u.port || (u.protocol === 'http:' ? 80 : 443));
    const budget = Math.max(300, Math.min(1500, ctx.remainingMs() - 500));
    const addr = (await resolveHost(host, undefined, budget)).address;
    return await identifyService(addr, port, { timeoutMs: budget, servername: host });
  } catch { return undefined; }
}

export default defineCheck({
  id: 'kubernetes.api.reachable',
  title: 'The Kubernetes API server answers over trusted TLS and accepts the credentials',
  phases: ['preflight', 'verify'],
  needs: ['kubernetes'],
  dependsOn: ['kubernetes.config.load'],
  messages: {
    reachable: { status: 'pass', summary: 'The API server answered /version and /api and accepted the credentials.' },
    timeout: { status: 'fail', summary: 'No answer from the API server within the time (VPN, private endpoint, firewall).' },
    refused: { status: 'fail', summary: 'Nothing listens at the server URL (connection refused): a stale URL or a stopped cluster.' },
    dnsFailed: { status: 'fail', summary: 'The host name of the server URL does not resolve.' },
    networkError: { status: 'fail', summary: 'The connection broke (reset, no route) before an answer.' },
    proxyFailed: { status: 'fail', summary: 'The proxy the requests go through (proxy-url, HTTPS_PROXY) refused or failed.' },
    tlsUntrusted: { status: 'fail', summary: 'The API server certificate is not signed by the CA in the kubeconfig.' },
    tlsHostname: { status: 'fail', summary: 'The API server certificate does not cover the host name of the server URL.' },
    tlsExpired: { status: 'fail', summary: 'The API server certificate is expired or not yet valid.' },
    tlsPlaintext: { status: 'fail', summary: 'The https:// server URL points at a port that speaks plain HTTP, not TLS.' },
    tlsExpected: { status: 'fail', summary: 'The http:// server URL points at a TLS port: it needs https://.' },
    tlsClientCert: { status: 'fail', summary: 'The server refused the client certificate during the TLS handshake.' },
    tlsFailed: { status: 'fail', summary: 'The TLS handshake failed for another reason (named in the message).' },
    wrongService: { status: 'fail', summary: 'Something other than a Kubernetes API server listens at the server URL (SSH, PostgreSQL, another TLS service...).' },
    unauthorized: { status: 'fail', summary: 'The API server rejected the credentials (401): expired token, wrong certificate; the fix depends on the credential kind.' },
    forbidden: { status: 'fail', summary: 'Authenticated (or anonymous) but not allowed even to read API discovery (403).' },
    impersonationDenied: { status: 'fail', summary: 'The kubeconfig impersonates another identity (as / as-groups / as-uid) and the identity may not impersonate it (403): read rights do not help.' },
    notKubernetes: { status: 'fail', summary: 'An HTTP server answers, but not like a Kubernetes API server (404, HTML, not the /version or /api JSON).' },
    throttled: { status: 'warn', summary: 'The API server throttled the requests (429).' },
    serverError: { status: 'fail', summary: 'The API server answered with a server error (5xx).' },
    frontAnswered: { status: 'fail', summary: 'Something in front of the API server (a gateway, a proxy, a captive portal) answered for itself (a bare 401/403, 407, 408, 451, 511, 561, a protocol fault\'s 421/426/505, nginx\'s 494-497, a CDN\'s 520-530), without the Status object every API server answer carries.' },
    noApiServerBehind: { status: 'fail', summary: 'A load balancer or proxy in front of the API server answered 502/503/504 for itself (no Kubernetes Status object): it has no healthy API server behind it.' },
    credentials: { status: 'fail', summary: 'The credentials could not be obtained (kubernetes.config.load has the details).' },
  },
  explain: {
    what: 'Calls `GET /version` and `GET /api` on the API server of the selected context, with the context\'s CA and credentials. When the answer is not TLS or not Kubernetes, it looks at what listens on the port instead (plain HTTP, SSH, PostgreSQL...).',
    why: 'Separates the network (timeout, refused, DNS), the port (plain HTTP where TLS is expected and the reverse, another service), TLS trust (unknown CA, wrong host name) and identity (401: credentials rejected; 403: authenticated but not allowed) problems that `helm install` reports as one opaque error.',
    fix: 'Timeout/refused: VPN, private endpoint, firewall, or a stale server URL. Wrong port or protocol: fix the server URL (`kubectl config set-cluster <cluster> --server=https://<host>:<port>`). TLS: set the right CA (`kubectl config set-cluster <cluster> --certificate-authority=<ca.crt> --embed-certs`). 401: refresh the credentials with the tool that made them. 403: bind the identity to a role.',
  },
  async run(ctx) {
    const s = await kubeSession(ctx);
    const id = s.identity;
    const budget = Math.max(200, ctx.remainingMs() - 400);
    const signal = probeSignal(ctx.signal, budget);
    const k = kubectl({ ...ctx.target.kubernetes, context: id.context });
    const hp = serverHostPort(id.server);
    const details: Record<string, Json> = { server: id.server, context: id.context, user: id.user, auth: id.auth, ...(id.proxy ? { proxy: id.proxy } : {}) };
    let gitVersion: string;
    // Who the API server says this is (one SelfSubjectReview per run, shared with every check that names
    // who was refused): asked beside /version and /api, not after them (this check gates most others).
    // whoAmI never throws.
    const whoP = whoAmI(s, signal);
    try {
      const version = await s.get<Record<string, unknown>>('/version', signal);
      const gv = typeof version['gitVersion'] === 'string' ? version['gitVersion'] : typeof version['major'] === 'string' && typeof version['minor'] === 'string' ? `v${version['major']}.${version['minor']}` : undefined;
      if (!gv) throw new KubeError('bad-response', `GET /version: the JSON has no gitVersion (keys: ${Object.keys(version).slice(0, 8).join(', ') || 'none'})`, { request: 'GET /version' });
      gitVersion = gv;
      const apis = await s.get<Record<string, unknown>>('/api', signal);
      if (apis['kind'] !== 'APIVersions' && !Array.isArray(apis['versions'])) throw new KubeError('bad-response', `GET /api: the JSON is not an APIVersions list (kind ${JSON.stringify(apis['kind'] ?? null)})`, { request: 'GET /api' });
    } catch (e) {
      if (!(e instanceof KubeError)) throw e;
      if (e.kind === 'timeout' && ctx.signal.aborted) throw e; // the run was interrupted: not our finding
      return await failure(e, s, ctx, k, hp, { ...details, kind: e.kind, error: e.message, ...(e.extra.code ? { code: e.extra.code } : {}), ...(e.extra.status ? { httpStatus: e.extra.status } : {}) }, budget);
    }
    // the kubeconfig's entry name is only a label
    const who = await whoP;
    const as = who.source === 'selfsubjectreview' && who.name !== id.user
      ? ` as ${who.serviceAccount ? `ServiceAccount ${who.serviceAccount.namespace}/${who.serviceAccount.name}` : `"${who.name}"`}${who.groups?.length ? ` (groups ${who.groups.join(', ')})` : ''}`
      : '';
    return {
      status: 'pass', messageId: 'reachable',
      message: `API server ${id.server} answered (${gitVersion}) and accepted user "${id.user}"${as} (${id.auth === 'exec' ? `exec plugin \`${id.execCommand}\`` : id.auth === 'auth-provider' ? `${id.authProvider} auth-provider` : id.auth} credentials)`,
      details: { ...details, gitVersion, identity: { name: who.name, known: who.known, source: who.source, ...(who.groups ? { groups: who.groups } : {}), ...(who.reviewApi ? { reviewApi: who.reviewApi } : {}), ...(who.reviewAsked && who.reviewNote ? { reviewNote: who.reviewNote } : {}) } },
    };
  },
});

async function failure(e: KubeError, s: KubeSession, ctx: CheckContext, k: string, hp: string, d: Record<string, Json>, budget: number) {
  const id = s.identity;
  const setServer = (scheme: string) => {
    try { const u = new URL(id.server); return `\`kubectl config set-cluster ${id.cluster} --server=${scheme}//${u.host}${u.pathname === '/' ? '' : u.pathname}\``; } catch { return `\`kubectl config set-cluster ${id.cluster} --server=<url>\``; }
  };
  // Every answer of an API server carries a Status object; a 401/403/5xx without one comes from what stands in front,
  // and so do the statuses it never sends (407, 408, 451, 511, 561, a protocol fault's 421/426/505, nginx's 494-497, a CDN's 520-530).
  const front = frontReading(e, hp.replace(/:\d+$/, ''));
  const foreign = e.extra.body !== undefined && e.extra.status !== undefined && (front !== undefined || e.kind === 'unauthorized' || e.kind === 'forbidden' || e.kind === 'server-error');
  if (foreign) {
    const st = e.extra.status!;
    const seen = `${e.extra.request ?? 'GET /version'} answered HTTP ${st}${e.extra.contentType ? ` ${e.extra.contentType.split(';')[0]}` : ''}${e.extra.body ? ` ("${e.extra.body.slice(0, 60)}")` : ''} without the Status object an API server sends`;
    if (st === 502 || st === 503 || st === 504) {
      return { status: 'fail' as const, messageId: 'noApiServerBehind' as const, cause: cause.backend('kube-apiserver'), details: d,
        message: `${id.server}: ${seen}: a load balancer or proxy in front of the API server has no healthy API server behind it`,
        hint: `check the control plane behind ${hp}: the load balancer's targets and their health checks (the API servers' /readyz), a stopped or upgrading control plane, or the proxy's upstream${id.proxy ? ` (the requests go through ${id.proxy})` : ''}; \`${k} get --raw /readyz\` shows the same answer` };
    }
    if (front) d['front'] = front.kind;
    return { status: 'fail' as const, messageId: 'frontAnswered' as const, cause: cause.frontAuth(hp), details: d,
      message: `${id.server}: ${seen}: ${front?.text ?? 'something in front of the API server answers for itself'}`,
      hint: front?.fix ?? frontGenericFix(front?.kind ?? 'other', hp, k, e.extra.request, id.proxy) };
  }
  switch (e.kind) {
    case 'timeout':
      if ((e.extra.stage === 'proxy-connect' || e.extra.stage === 'proxy-handshake') && id.proxy) {
        const socks = id.proxy.startsWith('socks5');
        const hint = id.proxySource?.startsWith('env ') ? `fix or unset ${id.proxySource.slice(4)} (add the API server host to NO_PROXY if it is reachable directly)` : `fix proxy-url of cluster "${id.cluster}" (\`kubectl config set clusters.${id.cluster}.proxy-url <url>\`) or remove it`;
        return { status: 'fail' as const, messageId: 'proxyFailed' as const, cause: cause.unreachable(id.proxy), details: { ...d, timeoutMs: budget, stage: e.extra.stage, proxy: id.proxy, proxySource: id.proxySource ?? null },
          message: e.extra.stage === 'proxy-connect'
            ? `the proxy ${id.proxy} (${id.proxySource}) did not accept a connection within ${(budget / 1000).toFixed(1)} s (dropped: a firewall, or no route to it); the requests to ${id.server} go through it`
            : `the proxy ${id.proxy} (${id.proxySource}) accepts TCP connections but never answered the ${socks ? 'SOCKS5 greeting' : id.proxy.startsWith('https:') ? `TLS handshake or the CONNECT request for ${hp}` : `CONNECT request for ${hp}`} within ${(budget / 1000).toFixed(1)} s: no working ${socks ? 'SOCKS5' : 'HTTP'} proxy answers there (a dead tunnel's listener, another service on that port); the requests to ${id.server} go through it`,
          hint: `${hint}; kubectl hangs the same way` };
      }
      if (e.extra.stage === 'tls') {
        return { status: 'fail' as const, messageId: 'timeout' as const, cause: cause.unreachable(hp), message: `${hp} accepts TCP connections but never answers the TLS handshake (nothing within ${(budget / 1000).toFixed(1)} s): no API server answers there`, details: { ...d, timeoutMs: budget, stage: 'tls' },
          hint: `something accepts connections at ${id.server} without a working API server behind it: a load balancer without healthy control-plane targets, a \`kubectl port-forward\` or SSH tunnel whose far end is gone, or another service on that port (\`${k} config view --minify\` shows the server URL); kubectl hangs the same way` };
      }
      if (e.extra.stage === 'body') {
        return { status: 'fail' as const, messageId: 'timeout' as const, cause: cause.unreachable(hp), message: `${id.server} answered ${e.extra.request ?? 'GET /version'} with HTTP ${e.extra.status ?? '?'}, then its body stopped after ${e.extra.received ?? 0} bytes${e.extra.expected !== undefined ? ` of the ${e.extra.expected} its Content-Length announced` : ''} and did not end within ${(budget / 1000).toFixed(1)} s: the API server, or a proxy or load balancer in front of it, stalls in the middle of an answer`, details: { ...d, timeoutMs: budget, stage: 'body', status: e.extra.status ?? null, receivedBytes: e.extra.received ?? 0, ...(e.extra.expected !== undefined ? { contentLength: e.extra.expected } : {}) },
          hint: `an API server sends /version whole at once: look at what sits in front of ${id.server} (a load balancer or proxy that buffers or throttles answers, an idle timeout cutting streams) and at the control plane's health; \`${k} get --raw /version -v=8\` shows the same stall` };
      }
      if (e.extra.stage === 'response') {
        return { status: 'fail' as const, messageId: 'timeout' as const, cause: cause.unreachable(hp), message: `${id.server} completed the connection${id.server.startsWith('https:') ? ' and the TLS handshake' : ''} but sent no HTTP answer to ${e.extra.request ?? 'GET /version'} within ${(budget / 1000).toFixed(1)} s: the API server is stuck or overloaded`, details: { ...d, timeoutMs: budget, stage: 'response' },
          hint: 'check the control plane\'s health (the cloud console\'s cluster status; etcd; API server logs) and its load (a flood of LIST requests, an admission webhook that hangs every request); retry with a larger --timeout to see whether it is slow rather than stuck' };
      }
      return { status: 'fail' as const, messageId: 'timeout' as const, cause: cause.unreachable(hp), message: `no answer from the API server ${id.server} within ${(budget / 1000).toFixed(1)} s`, details: { ...d, timeoutMs: budget },
        hint: `check the network path to ${id.server} (VPN, private cluster endpoint, firewall / authorized networks${id.proxy ? `, the proxy ${id.proxy} from ${id.proxySource}` : ''}); \`${k} get --raw /readyz\` shows whether kubectl gets through` };
    case 'refused':
      return { status: 'fail' as const, messageId: 'refused' as const, cause: cause.unreachable(hp), message: `the API server ${id.server} refused the connection`, details: d,
        hint: `nothing listens there: the server URL may be stale (cluster recreated or stopped, wrong port): \`${k} config view --minify\`; regenerate the kubeconfig for the cluster` };
    case 'dns':
      return { status: 'fail' as const, messageId: 'dnsFailed' as const, cause: cause.dns(new URL(id.server).hostname), message: e.message, details: d, hint: `the API server host name does not resolve; check the cluster still exists and your DNS/VPN (\`${k} config view --minify\`)` };
    case 'proxy': {
      const pd = { ...d, proxy: id.proxy ?? null, proxySource: id.proxySource ?? null };
      const fromEnv = id.proxySource?.startsWith('env ') ? id.proxySource.slice(4) : undefined;
      const setIt = fromEnv ? `fix or unset ${fromEnv} (add the API server host to NO_PROXY if it is reachable directly)` : `fix proxy-url of cluster "${id.cluster}" (\`kubectl config set clusters.${id.cluster}.proxy-url <url>\`) or remove it`;
      const c = /^PROXY_(\d{3})$/.exec(e.extra.code ?? '')?.[1];
      const r = connectAnswer(c ? Number(c) : undefined, { id, hp, k, fromEnv });
      if (r) return { status: 'fail' as const, messageId: 'proxyFailed' as const, cause: r.cause ?? cause.unreachable(id.proxy ?? hp), message: `${e.message}; the requests to ${id.server} go through it: ${r.text}`, details: { ...pd, connectStatus: Number(c) }, hint: r.fix };
      return { status: 'fail' as const, messageId: 'proxyFailed' as const, cause: cause.unreachable(id.proxy ?? hp), message: `${e.message}; the requests to ${id.server} go through it`, details: pd, hint: setIt };
    }
    case 'tls-untrusted':
      return { status: 'fail' as const, messageId: 'tlsUntrusted' as const, cause: cause.tls('untrusted', hp), message: `the API server certificate at ${id.server} is not signed by the CA in the kubeconfig (${e.extra.code})`, details: d,
        hint: `set the cluster CA: \`kubectl config set-cluster ${id.cluster} --certificate-authority=<ca.crt> --embed-certs=true\` (or regenerate the kubeconfig); do not use insecure-skip-tls-verify` };
    case 'tls-hostname':
      return { status: 'fail' as const, messageId: 'tlsHostname' as const, cause: cause.tls('name', hp), message: e.message, details: d,
        hint: `use a server URL whose name is in the certificate, or \`kubectl config set-cluster ${id.cluster} --tls-server-name=<name in the certificate>\`` };
    case 'tls-expired':
      return { status: 'fail' as const, messageId: 'tlsExpired' as const, cause: cause.tls('expired', hp), message: e.message, details: d, hint: 'the API server certificate is outside its validity window: check this machine\'s clock, or rotate the cluster certificates (`kubeadm certs renew all` on kubeadm clusters)' };
    case 'tls-client-cert':
      return { status: 'fail' as const, messageId: 'tlsClientCert' as const, cause: cause.credentials('kubernetes', identityKey(s)), message: `${e.message}${id.clientCertNotAfter ? `; the client certificate is valid until ${id.clientCertNotAfter}` : ''}`, details: d, hint: refreshHint(s, k) };
    case 'tls-expected':
      return { status: 'fail' as const, messageId: 'tlsExpected' as const, cause: cause.wrongService(hp), message: `${id.server} is a TLS port but the server URL says http://: ${e.message}`, details: d,
        hint: `use https:// for this port: ${setServer('https:')}` };
    case 'tls-plaintext': case 'tls-other': case 'network': case 'bad-response': {
      const ev = e.kind === 'bad-response' && e.extra.status ? undefined : await sniff(id.server, ctx);
      const said = ev ? describeService(ev) : undefined;
      if (ev) d['listening'] = said!;
      const isHttps = id.server.startsWith('https:');
      if (ev?.kind === 'http' && isHttps) {
        return { status: 'fail' as const, messageId: 'tlsPlaintext' as const, cause: cause.tls('plaintext', hp), message: `the server URL ${id.server} says https://, but that port speaks plain HTTP: ${said} answers (${e.message})`, details: d,
          hint: `point the server URL at the API server's TLS port (usually 6443 or 443): ${setServer('https:')} with the right port; a plain HTTP port is an insecure port, a proxy or another service, not the API server` };
      }
      if (ev?.kind === 'tls' && !isHttps) {
        return { status: 'fail' as const, messageId: 'tlsExpected' as const, cause: cause.wrongService(hp), message: `${id.server} is a TLS port (${said}) but the server URL says http://`, details: d, hint: `use https:// for this port: ${setServer('https:')}` };
      }
      if (ev && ['ssh', 'smtp', 'ftp', 'mysql', 'redis', 'imap', 'pop3', 'postgres'].includes(ev.kind)) {
        return { status: 'fail' as const, messageId: 'wrongService' as const, cause: cause.wrongService(hp), message: `${said} listens at ${id.server}, not a Kubernetes API server (${e.message})`, details: d,
          hint: `the server URL points at another service: find the API server's address (\`${k} config view --minify\`, or the provider's get-credentials command) and set it with ${setServer(isHttps ? 'https:' : 'http:')}` };
      }
      if (e.kind === 'tls-plaintext') {
        return { status: 'fail' as const, messageId: 'tlsPlaintext' as const, cause: cause.tls('plaintext', hp), message: `${e.message}${said ? `; ${said} answers there` : ''}`, details: d,
          hint: `point the server URL at the API server's TLS port: ${setServer('https:')} with the right port` };
      }
      if (e.kind === 'bad-response') {
        return { status: 'fail' as const, messageId: 'notKubernetes' as const, cause: cause.wrongService(hp), message: `${id.server} does not answer like a Kubernetes API server: ${e.message}${said ? ` (${said})` : ''}`, details: d,
          hint: `check the server URL and port (\`${k} config view --minify\`): it may point at a load balancer page, a proxy or another HTTP service; \`${k} get --raw /api\` must answer a JSON APIVersions object` };
      }
      if (e.kind === 'tls-other') {
        return { status: 'fail' as const, messageId: 'tlsFailed' as const, cause: cause.tls('handshake', hp), message: `${e.message}${said ? `; ${said} answers there` : ''}`, details: d, hint: `check the server URL scheme and port (\`${k} config view --minify\`) and any TLS-intercepting proxy` };
      }
      return { status: 'fail' as const, messageId: 'networkError' as const, cause: cause.unreachable(hp), message: `${e.message}${said ? `; ${said} answers there` : ''}`, details: d, hint: `check proxies and firewalls between this machine and ${id.server}` };
    }
    case 'unauthorized':
      return { status: 'fail' as const, messageId: 'unauthorized' as const, cause: cause.credentials('kubernetes', identityKey(s)),
        message: `the API server rejected the ${id.auth === 'exec' ? `token from the exec plugin \`${id.execCommand}\`` : id.auth === 'auth-provider' ? `${id.authProvider} auth-provider token` : `${id.auth} credentials`} of user "${id.user}" (401 Unauthorized)${id.clientCertNotAfter && Date.parse(id.clientCertNotAfter) < Date.now() ? `; the client certificate expired at ${id.clientCertNotAfter}` : ''}`,
        details: d, hint: refreshHint(s, k) };
    case 'forbidden': {
      if (id.auth !== 'none' && /system:anonymous/.test(e.message)) {
        // Credentials the server does not know as an identity (basic auth since 1.19, a header a proxy strips): it treats the request as anonymous.
        return { status: 'fail' as const, messageId: 'unauthorized' as const, cause: cause.credentials('kubernetes', identityKey(s)),
          message: `the API server did not accept the ${id.auth === 'basic' ? 'basic-auth (username/password)' : id.auth} credentials of user "${id.user}" as an identity and treated the request as anonymous (403 for system:anonymous)`, details: d, hint: refreshHint(s, k) };
      }
      const imp = impersonationDenied(e, s, k);
      if (imp) return { status: 'fail' as const, messageId: 'impersonationDenied' as const, cause: imp.cause, message: imp.message, details: d, hint: imp.hint };
      const w = e.extra.verb && e.extra.resource ? `${e.extra.verb} ${e.extra.resource}` : (e.extra.request ?? 'API discovery');
      // The 403 names who the API server refused (an impersonated user, a token's ServiceAccount, a certificate's CN);
      // without that, whoAmI asks it (SelfSubjectReview), else the kubeconfig's evidence.
      const who = refusedSubject(e, id.user, /User "[^"]*" cannot /.test(e.message) ? undefined : await whoAmI(s, probeSignal(ctx.signal, Math.max(200, ctx.remainingMs() - 400))));
      if (who.name !== id.user) d['subject'] = who.name;
      return { status: 'fail' as const, messageId: 'forbidden' as const, cause: cause.denied('kubernetes', id.user || 'anonymous', w),
        message: `the API server accepted the connection but ${who.label} may not ${w} (403 Forbidden)${id.auth === 'none' ? '; the context sends no credentials, so the request was anonymous' : ''}: ${e.message}`, details: d,
        hint: id.auth === 'none' ? `add credentials to user "${id.user}" in the kubeconfig (token, client certificate or the provider's exec plugin); \`${k} auth whoami\` shows who you are`
          : `a cluster admin can bind it to a role that allows reading the API's discovery (\`kubectl create clusterrolebinding flyte-doctor-discovery --clusterrole=system:discovery ${who.subjectFlag}\`; the default ClusterRoleBinding system:discovery grants it to every authenticated user, so look for it having been removed or changed: \`kubectl get clusterrolebinding system:discovery -o yaml\`)` };
    }
    case 'not-found': case 'http':
      return { status: 'fail' as const, messageId: 'notKubernetes' as const, cause: cause.wrongService(hp), message: `${id.server} does not answer like a Kubernetes API server: ${e.message}`, details: d,
        hint: `check the server URL, its port and path (\`${k} config view --minify\`): \`${k} get --raw /version\` must answer` };
    case 'throttled':
      return { status: 'warn' as const, messageId: 'throttled' as const, cause: cause.backend('kube-apiserver'), message: `the API server ${id.server} throttled the requests: ${e.message}`, details: d,
        hint: `run again later; if it persists, the API server is overloaded (\`${k} get --raw /debug/api_priority_and_fairness/dump_priority_levels\`)` };
    case 'server-error':
      return { status: 'fail' as const, messageId: 'serverError' as const, cause: cause.backend('kube-apiserver'), message: `the API server ${id.server} failed: ${e.message}`, details: d,
        hint: `the control plane is unhealthy: \`${k} get --raw /readyz?verbose\` shows which part; a proxy or load balancer in front may also answer 5xx` };
    default:
      return { status: 'fail' as const, messageId: 'credentials' as const, cause: cause.credentials('kubernetes', identityKey(s)), message: e.message, details: d, hint: 'kubernetes.config.load has the fix: it obtains the same credentials' };
  }
}

/**
 * What a proxy's answer to CONNECT <API server> says (kubectl and this tool both need a 200): its credentials (407),
 * a refusal of the host or port (403: many proxies allow CONNECT to 443 only, API servers listen on 6443), an
 * upstream it cannot reach (502-504: a private endpoint), the network's own answer (a captive portal's 511, a
 * filter's 451, a timeout's 408), or no forward proxy at all (400/404/405/501/505: a web server or an ingress).
 */
function connectAnswer(st: number | undefined, o: { id: KubeSession['identity']; hp: string; k: string; fromEnv: string | undefined }): { text: string; fix: string; cause?: string } | undefined {
  if (st === undefined) return undefined;
  const { id, hp, k, fromEnv } = o;
  const host = hp.replace(/:\d+$/, '');
  const port = hp.split(':').pop();
  const proxyKey = id.proxy ? serverHostPort(id.proxy) : hp;
  const where = fromEnv ?? `proxy-url of cluster "${id.cluster}"`;
  const bypass = fromEnv ? `or, when ${host} is reachable without the proxy, add it to NO_PROXY (kubectl reads it too)` : `or, when ${host} is reachable without the proxy, remove proxy-url (\`kubectl config unset clusters.${id.cluster}.proxy-url\`)`;
  if (st === 407) return { cause: cause.credentials('proxy', proxyKey), text: 'the proxy wants credentials',
    fix: `put the proxy's user and password in ${where} as the user-info of its URL (http://user:password@${id.proxy?.replace(/^\w+:\/\//, '') ?? 'proxy:port'}; if they are there, they were refused), ${bypass}` };
  if (st >= 300 && st < 400) return { cause: cause.frontAuth(proxyKey), text: `a redirect (${st}), which authenticating proxies and captive portals send towards their login page; a tunnel cannot follow it`,
    fix: `log in where the network or the proxy asks (open a web page in a browser on this machine), or put the proxy's credentials in ${where} (http://user:password@host:port) if it takes them, ${bypass}` };
  const f = frontAnswer({ status: st }, { subject: host });
  if (f) return { cause: cause.frontAuth(proxyKey), text: f.text, fix: frontNetworkFix(f.kind, host) ?? `check the proxy ${id.proxy} (${where}) and its rules for ${hp}, ${bypass}` };
  if (st === 403) return { cause: cause.denied('proxy', proxyKey, `CONNECT ${hp}`), text: `the proxy refuses to open a tunnel to ${hp}${port !== '443' ? ` (many proxies allow CONNECT to port 443 only; this API server listens on ${port})` : ''}`,
    fix: `ask for CONNECT to ${hp} to be allowed on the proxy (squid: an SSL_ports / acl entry for port ${port}), ${bypass}` };
  if (st === 502 || st === 503 || st === 504) return { cause: cause.unreachable(hp), text: `the proxy cannot reach ${hp} itself (a private cluster endpoint, or a name only this network's DNS resolves)`,
    fix: fromEnv ? `add ${host} to NO_PROXY (and no_proxy) so kubectl and this tool connect directly, or let the proxy reach it; \`${k} get --raw /version\` shows the same` : `remove proxy-url of cluster "${id.cluster}" if ${host} is reachable directly (\`kubectl config unset clusters.${id.cluster}.proxy-url\`), or let the proxy reach it` };
  if (st === 400 || st === 404 || st === 405 || st === 501 || st === 505) return { cause: cause.wrongService(proxyKey), text: `${id.proxy} does not implement CONNECT (${st}): a web server, a reverse proxy or an ingress, not a forward proxy`,
    fix: `point ${where} at the forward proxy (http://host:port), or ${fromEnv ? `unset ${fromEnv}` : `remove it (\`kubectl config unset clusters.${id.cluster}.proxy-url\`)`}` };
  return undefined;
}
