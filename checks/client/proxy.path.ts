import { frontAnswer, frontNetworkFix } from '../../src/clients/answers.js';
import { surroundingWhitespace } from '../../src/config/hygiene.js';
import { tunnel, type TunnelEvidence } from '../../src/clients/proxy.js';
import { sharedTlsProbe } from '../../src/clients/tls.js';
import { clientTrust } from '../../src/clients/trust.js';
import { adminEndpoint, hostPort } from '../../src/config/endpoints.js';
import { probeTimeout } from '../../src/engine/budget.js';
import { cause, hostPortKey } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Json, Outcome } from '../../src/engine/types.js';
import { parseProxyUrl, PROXY_CLIENTS, proxyRoutes, shownProxy, type ProxyRoute } from '../../src/flyte/proxy.js';

const MESSAGES = {
  noProxy: { status: 'pass', summary: 'No proxy variable is set: every client connects to the admin endpoint directly.' },
  bypassed: { status: 'pass', summary: 'Proxy variables are set, but NO_PROXY (or a loopback address) exempts the admin endpoint for every client.' },
  viaProxy: { status: 'pass', summary: 'The clients that take a proxy get a tunnel to the admin endpoint (CONNECT 2xx) and, through it, the server\'s own certificate with HTTP/2.' },
  clientsDiffer: { status: 'warn', summary: 'The clients take different paths: one goes through a proxy, another connects directly, because each reads other variable spellings (flytectl: HTTPS_PROXY/NO_PROXY first; pyflyte: lower-case grpc_proxy/https_proxy/no_proxy only).' },
  badProxyUrl: { status: 'fail', summary: 'A proxy variable does not hold a URL the clients can use.' },
  proxyRefused: { status: 'fail', summary: 'Nothing accepts connections at the proxy address (connection refused, no route, the name does not resolve).' },
  proxyTimeout: { status: 'fail', summary: 'The proxy does not answer (the connection or the CONNECT request stalls).' },
  proxyAuthRequired: { status: 'fail', summary: 'The proxy answers 407 Proxy Authentication Required: the variable needs user:password@ (or the proxy another scheme).' },
  proxyDenied: { status: 'fail', summary: 'The proxy refuses the tunnel to the admin endpoint (403 or another refusal; many proxies allow CONNECT to port 443 only).' },
  proxyUpstreamFailed: { status: 'fail', summary: 'The proxy cannot reach the admin endpoint itself (502/503/504): an internal host the proxy cannot see belongs in NO_PROXY.' },
  proxyNotHttp: { status: 'fail', summary: 'What answers at the proxy address is not an HTTP proxy (closed the connection, or answered something that is not HTTP).' },
  proxyIntercepts: { status: 'fail', summary: 'Through the proxy, the admin endpoint presents another certificate than directly, one the clients do not trust: the proxy intercepts TLS.' },
  proxyInterceptsTrusted: { status: 'warn', summary: 'The proxy intercepts TLS with a certificate the clients trust (a corporate CA in their trust store); gRPC works only while the proxy speaks HTTP/2.' },
  proxyNoH2: { status: 'fail', summary: 'Through the proxy, the TLS listener offers no HTTP/2 (ALPN h2): the proxy re-encrypts with HTTP/1.1 only, which gRPC cannot use.' },
  proxySchemeUnsupported: { status: 'fail', summary: 'A proxy variable names a SOCKS (or other non-HTTP) proxy: grpc-go (flytectl) sends it an HTTP CONNECT anyway and fails, grpcio (pyflyte) ignores it ("scheme not supported in proxy URI") and connects directly.' },
  proxySchemeIgnored: { status: 'warn', summary: 'Only pyflyte/flytekit read the SOCKS proxy variable: grpcio ignores it and connects directly, flytekit\'s HTTP needs PySocks for it.' },
  proxyTlsFailed: { status: 'fail', summary: 'The tunnel opened, but the TLS handshake with the admin endpoint through it failed.' },
} as const;
type Id = keyof typeof MESSAGES;

const label = (r: ProxyRoute) => PROXY_CLIENTS[r.client].label;

export default defineCheck({
  id: 'client.proxy.path',
  title: 'The proxy path each client takes to the admin endpoint works (HTTPS_PROXY, https_proxy, grpc_proxy, NO_PROXY)',
  phases: ['preflight', 'verify'],
  needs: ['endpoint'],
  timeoutMs: 8000,
  messages: MESSAGES,
  explain: {
    what: 'Reads the proxy variables of this environment the way each client does — flytectl (Go): HTTPS_PROXY then https_proxy, NO_PROXY then no_proxy, never for loopback; pyflyte/flytekit gRPC (grpcio): grpc_proxy, https_proxy, http_proxy, no_grpc_proxy, no_proxy, lower case only; flytekit\'s HTTP (requests): https_proxy/HTTPS_PROXY, no_proxy/NO_PROXY — and for every proxy a client would take to the admin endpoint opens the tunnel (CONNECT host:port) and the TLS handshake through it, comparing the certificate with the one served directly.',
    why: 'A proxy that refuses, stalls, wants credentials or cannot reach an internal host makes the clients fail with "connection refused", "deadline exceeded" or "failed to connect to all addresses" although the endpoint itself is fine; a TLS-intercepting proxy presents its own certificate ("certificate signed by unknown authority") and often no HTTP/2. Upper- and lower-case variables are read by different clients, so flytectl and pyflyte can take different paths from the same shell.',
    fix: 'Add the admin host to NO_PROXY and no_proxy (both spellings), give the proxy credentials in the variable (http://user:password@proxy:3128), or trust the proxy\'s CA with admin.caCertFilePath.',
  },
  async run(ctx): Promise<Outcome<Id>> {
    const e = adminEndpoint(ctx.target)!;
    const where = hostPort(e);
    const env = ctx.target.client.proxyEnv ?? {};
    const routes = proxyRoutes(env, e.host, e.port);
    const set = Object.entries(env).filter(([k]) => !/^no_|^NO_/.test(k));
    const details: Record<string, Json> = {
      endpoint: where, variables: Object.keys(env),
      routes: routes.map((r) => ({ client: label(r), ...(r.proxy ? { proxy: shownProxy(r.proxy), variable: r.variable! } : { direct: true }), ...(r.bypass ? { bypass: r.bypass } : {}) })),
    };
    if (!set.length) return { status: 'pass', messageId: 'noProxy', message: `no proxy variable is set: the clients connect to ${where} directly`, details };
    const proxied = routes.filter((r) => r.proxy);
    if (!proxied.length) return { status: 'pass', messageId: 'bypassed', message: `proxies are set (${set.map(([k]) => k).join(', ')}) but every client reaches ${where} directly: ${[...new Set(routes.map((r) => r.bypass).filter(Boolean))].join('; ') || 'no variable they read applies'}`, details };

    // One tunnel per distinct proxy.
    const byProxy = new Map<string, ProxyRoute[]>();
    for (const r of proxied) byProxy.set(r.proxy!, [...(byProxy.get(r.proxy!) ?? []), r]);
    for (const [p, rs] of byProxy) {
      if (!p.trim()) {
        return { status: 'fail', messageId: 'badProxyUrl', cause: cause.config(rs[0]!.variable!), message: `${rs[0]!.variable} is ${JSON.stringify(p)}, only whitespace: Go and Python take any non-empty value as the proxy, and it is no URL (${rs.map(label).join(', ')} would fail before connecting)`, hint: `unset ${rs[0]!.variable} (or set it to http://proxy-host:port)`, details };
      }
      const ws = surroundingWhitespace(p);
      if (ws) {
        return { status: 'fail', messageId: 'badProxyUrl', cause: cause.config(rs[0]!.variable!), message: `${rs[0]!.variable} is ${JSON.stringify(p.replace(p.trim(), shownProxy(p.trim())))}, which ${ws}: Go's url.Parse refuses it, so flytectl fails before connecting ("invalid proxy URL"; ${rs.map(label).join(', ')} use it)`, hint: `set ${rs[0]!.variable}=${shownProxy(p.trim())} with nothing around it (or unset it)`, details: { ...details, whitespace: ws } };
      }
      if (!parseProxyUrl(p)) {
        return { status: 'fail', messageId: 'badProxyUrl', cause: cause.config(rs[0]!.variable!), message: `${rs[0]!.variable} is "${shownProxy(p)}", not a proxy URL (${rs.map(label).join(', ')} would fail before connecting)`, hint: `set ${rs[0]!.variable}=http://proxy-host:port (or unset it)`, details };
      }
    }
    // gRPC goes through HTTP CONNECT only: grpc-go dials any proxy URL's host:port and sends CONNECT
    // (no SOCKS), grpcio refuses every scheme but http and connects directly, requests needs PySocks.
    for (const [p, rs] of byProxy) {
      const scheme = parseProxyUrl(p)!.protocol.replace(/:$/, '');
      if (scheme === 'http' || scheme === 'https') continue;
      const vars = [...new Set(rs.map((r) => r.variable!))];
      const effect = rs.map((r) => r.client === 'flytectl'
        ? `${label(r)} sends an HTTP CONNECT to it anyway and fails ("failed to do connect handshake")`
        : r.client === 'pyflyte'
          ? `${label(r)} ignores it ("'${scheme}' scheme not supported in proxy URI") and connects directly`
          : `${label(r)} needs PySocks (requests[socks]) for it, else fails with "Missing dependencies for SOCKS support"`).join('; ');
      const fatal = rs.some((r) => r.client === 'flytectl');
      const host = where.replace(/:\d+$/, '');
      return {
        status: fatal ? 'fail' : 'warn', messageId: fatal ? 'proxySchemeUnsupported' : 'proxySchemeIgnored', cause: cause.config(vars[0]!),
        message: `${vars.join(' / ')} is ${shownProxy(p)}, a ${scheme} proxy, but gRPC clients tunnel through HTTP CONNECT only: ${effect}`,
        hint: `set ${vars.join(' and ')} to an HTTP proxy (http://proxy-host:port; a SOCKS-only tunnel such as ssh -D cannot carry gRPC), or add ${host} to NO_PROXY and no_proxy when it needs no proxy`,
        details: { ...details, scheme },
      };
    }
    const trust = await clientTrust(ctx.target);
    const timeoutMs = probeTimeout(ctx, 6000);
    const probes = await Promise.all([...byProxy.keys()].map(async (p) => ({ p, rs: byProxy.get(p)!, ev: await tunnel({ proxy: parseProxyUrl(p)!, host: e.host, port: e.port, tls: e.tls, timeoutMs, signal: ctx.signal, ...(trust.ca ? { ca: trust.ca } : {}) }) })));
    details['tunnels'] = probes.map(({ p, ev }) => ({ proxy: shownProxy(p), step: ev.step, ok: ev.ok, ...(ev.status ? { status: ev.status } : {}), ...(ev.error ? { error: ev.error.message } : {}), ...(ev.tls ? { issuer: ev.tls.leaf.issuer, alpn: ev.tls.alpn, authorized: ev.tls.authorized } : {}) }));

    const direct = e.tls ? await sharedTlsProbe(ctx, e, timeoutMs).catch(() => undefined) : undefined;
    for (const { p, rs, ev } of probes) {
      const f = tunnelFinding(ev, p, rs, where, e.tls, direct?.chain[0]?.fingerprint256, trust.skipVerify);
      if (f) return { ...f, details: { ...details, ...(f.details ?? {}) } };
    }
    const directOnes = routes.filter((r) => !r.proxy);
    if (directOnes.length) {
      const viaText = proxied.map((r) => `${label(r)} through ${shownProxy(r.proxy!)} (${r.variable})`).join(', ');
      const directText = directOnes.map((r) => `${label(r)} directly${r.bypass ? ` (${r.bypass})` : ` (it reads ${PROXY_CLIENTS[r.client].reads})`}`).join(', ');
      const missing = proxied.map((r) => r.variable!).some((v) => v === v.toUpperCase()) ? 'https_proxy (lower case)' : 'HTTPS_PROXY (upper case)';
      return { status: 'warn', messageId: 'clientsDiffer', message: `the clients take different paths to ${where}: ${viaText}; ${directText}. The proxy path works; if the direct one is blocked on this network, the others fail`, hint: `set both spellings the same way (e.g. also ${missing}), and NO_PROXY and no_proxy alike, so every client takes one path`, details };
    }
    return { status: 'pass', messageId: 'viaProxy', message: `${proxied.map(label).join(', ')} reach ${where} through ${[...byProxy.keys()].map(shownProxy).join(', ')} (${[...new Set(proxied.map((r) => r.variable))].join(', ')}): the tunnel opens${e.tls ? ' and the server\'s own certificate comes back with HTTP/2' : ''}`, details };
  },
});

type Finding = Omit<Outcome<Id>, 'details'> & { details?: Record<string, Json> };

function tunnelFinding(ev: TunnelEvidence, p: string, rs: ProxyRoute[], where: string, tls: boolean, directFp: string | undefined, skipVerify: boolean): Finding | undefined {
  const who = rs.map(label).join(', ');
  const vars = [...new Set(rs.map((r) => r.variable!))];
  const v = vars.join(' / ');
  const shown = shownProxy(p);
  const u = parseProxyUrl(p)!;
  const proxyKey = hostPortKey(u.hostname.replace(/^\[|\]$/g, ''), Number(u.port || (u.protocol === 'https:' ? 443 : 80)));
  const bypassFix = `or, when ${where.replace(/:\d+$/, '')} needs no proxy, add it to NO_PROXY and no_proxy`;
  if (!ev.ok && (ev.step === 'connect' || ev.step === 'proxy-tls')) {
    const kind = ev.error?.kind ?? 'other';
    if (kind === 'timeout' || kind === 'silent') return { status: 'fail', messageId: 'proxyTimeout', cause: cause.unreachable(proxyKey), message: `${who} go through the proxy ${shown} (${v}), which does not answer: ${ev.error?.message}`, hint: `check the proxy address in ${v} and that this network reaches it (the clients fail with "deadline exceeded"), ${bypassFix}` };
    return { status: 'fail', messageId: 'proxyRefused', cause: cause.unreachable(proxyKey), message: `${who} go through the proxy ${shown} (${v}), but it cannot be reached: ${ev.error?.message}`, hint: `fix or unset ${v} (nothing accepts connections at ${u.host}), ${bypassFix}` };
  }
  if (!ev.ok && ev.step === 'connect-request') {
    if (ev.status === 407) return { status: 'fail', messageId: 'proxyAuthRequired', cause: cause.credentials('proxy', proxyKey), message: `the proxy ${shown} (${v}) wants credentials for CONNECT ${where}: ${ev.statusLine}${ev.proxyAuthenticate ? ` (Proxy-Authenticate: ${ev.proxyAuthenticate})` : ''}${u.username ? '; the credentials in the variable were refused' : ''}`, hint: `${u.username ? 'fix the user or the password' : 'give the credentials'} in ${v}, as the user-info of the proxy URL (user and password, joined by a colon, before "@${u.host}"); ${who} send them as Basic credentials` };
    // What the network in front says for itself (a captive portal's 511, a filter's 451, a proxy's 408): not the proxy's
    // view of the admin endpoint, so neither NO_PROXY nor "allow the port" is the fix.
    const f = frontAnswer({ status: ev.status ?? 0 });
    if (f && f.kind !== 'proxy-auth') {
      return { status: 'fail', messageId: 'proxyDenied', cause: cause.frontAuth(proxyKey), details: { front: f.kind },
        message: `the proxy ${shown} (${v}) answered CONNECT ${where} with ${ev.statusLine}: ${f.text}`,
        hint: frontNetworkFix(f.kind, where.replace(/:\d+$/, '')) ?? (f.kind === 'request-timeout' ? `check the proxy (${v}): it closes a complete CONNECT as too slow (its client timeout, or it is overloaded), ${bypassFix}` : `check the proxy's rules (${v}) for ${where}, ${bypassFix}`) };
    }
    // A forward proxy implements CONNECT; a web server, a reverse proxy or an ingress (an HTTPS_PROXY set to Flyte's own
    // URL) answers it 405/501 (not implemented), 505, or nginx's 400 / a 404 (no such host:port "path").
    if (ev.status === 501 || ev.status === 505 || ev.status === 405 || ev.status === 400 || ev.status === 404) {
      const why = ev.status === 400 || ev.status === 404
        ? `a forward proxy opens a tunnel for a well-formed CONNECT or refuses it with 403/407; a ${ev.status} is what a web server or reverse proxy (nginx, an ingress) answers to a method it does not proxy`
        : 'a web server or reverse proxy, not a forward proxy';
      return { status: 'fail', messageId: 'proxyNotHttp', cause: cause.wrongService(proxyKey), details: { connectStatus: ev.status },
        message: `${shown} (${v}) does not implement CONNECT (it answered ${ev.statusLine}): ${why}`,
        hint: `point ${v} at the forward proxy (http://host:port; the one the browser or \`env | grep -i proxy\` on a working machine uses), or unset it; a Flyte or ingress URL is not a proxy` };
    }
    // a 2xx other than 200 (src/clients/proxy.ts): a tunnel Node would take, but Go's and Python's clients refuse
    if (ev.status && ev.status > 200 && ev.status < 300) {
      return { status: 'fail', messageId: 'proxyDenied', cause: cause.answer(proxyKey, ev.status), details: { connectStatus: ev.status },
        message: ev.error?.message ?? `the proxy ${shown} (${v}) answered CONNECT ${where} with ${ev.statusLine}, not 200`,
        hint: `the proxy answers CONNECT with a status its clients do not take as a tunnel: have it answer "200 Connection established" (its CONNECT handling or version), or use another proxy, ${bypassFix}` };
    }
    if (ev.status && ev.status >= 500) return { status: 'fail', messageId: 'proxyUpstreamFailed', cause: cause.unreachable(hostPortKey(where.replace(/:\d+$/, ''), Number(where.split(':').pop()))), message: `the proxy ${shown} (${v}) cannot reach ${where}: ${ev.statusLine}`, hint: `${where.replace(/:\d+$/, '')} is probably internal to this network: add it to NO_PROXY and no_proxy so ${who} connect directly, or let the proxy reach it` };
    // Authenticating proxies and captive portals answer with a redirect to their login page: a tunnel cannot follow it.
    if (ev.status && ev.status >= 300 && ev.status < 400) {
      return { status: 'fail', messageId: 'proxyDenied', cause: cause.frontAuth(proxyKey), details: { front: 'redirect' },
        message: `the proxy ${shown} (${v}) answered CONNECT ${where} with ${ev.statusLine}: a redirect, which authenticating proxies and captive portals send towards their login page; a tunnel cannot follow it, so ${who} fail`,
        hint: `log in where the network or the proxy asks (open a web page in a browser on this machine), or give the proxy's credentials in ${v} (user and password as the user-info of the URL) if it takes them; no Flyte setting causes this, ${bypassFix}` };
    }
    if (ev.status) return { status: 'fail', messageId: 'proxyDenied', cause: cause.denied('proxy', proxyKey, `CONNECT ${where}`), message: `the proxy ${shown} (${v}) refuses the tunnel to ${where}: ${ev.statusLine}`, hint: `ask for CONNECT to ${where} to be allowed (many proxies allow port 443 only), ${bypassFix}` };
    if (ev.error?.kind === 'timeout') return { status: 'fail', messageId: 'proxyTimeout', cause: cause.unreachable(proxyKey), message: `the proxy ${shown} (${v}) accepted the connection but did not answer CONNECT ${where}: ${ev.error.message}`, hint: `check the proxy (${v}), ${bypassFix}` };
    return { status: 'fail', messageId: 'proxyNotHttp', cause: cause.wrongService(proxyKey), message: `${shown} (${v}) is not an HTTP proxy: ${ev.error?.message ?? ev.statusLine ?? 'no answer'}`, hint: `point ${v} at the HTTP proxy (http://host:port), or unset it` };
  }
  if (tls && !ev.ok && ev.step === 'tls') {
    return { status: 'fail', messageId: 'proxyTlsFailed', cause: cause.tls('handshake', hostPortKey(where.replace(/:\d+$/, ''), Number(where.split(':').pop()))), message: `the tunnel through ${shown} (${v}) opened, but the TLS handshake with ${where} in it failed: ${ev.error?.message}`, hint: `the proxy may filter TLS: ${bypassFix}` };
  }
  if (tls && ev.tls) {
    const same = directFp !== undefined && ev.tls.leaf.fingerprint256 === directFp;
    const intercepted = directFp !== undefined ? !same : !ev.tls.authorized;
    if (intercepted && !ev.tls.authorized && !skipVerify) {
      return { status: 'fail', messageId: 'proxyIntercepts', cause: cause.tls('untrusted', hostPortKey(where.replace(/:\d+$/, ''), Number(where.split(':').pop()))), message: `through the proxy ${shown} (${v}), ${where} presents a certificate issued by "${ev.tls.leaf.issuer}"${directFp ? ', not the one it serves directly' : ''}: the proxy intercepts TLS and ${who} reject it (${ev.tls.authorizationError ?? 'untrusted'})`, hint: `add ${where.replace(/:\d+$/, '')} to NO_PROXY and no_proxy (the usual answer for an internal Flyte), or trust the proxy's CA: admin.caCertFilePath (flytectl, pyflyte) pointing at a bundle with it` };
    }
    if (ev.tls.alpn !== 'h2') return { status: 'fail', messageId: 'proxyNoH2', cause: cause.tls('alpn', hostPortKey(where.replace(/:\d+$/, ''), Number(where.split(':').pop()))), message: `through the proxy ${shown} (${v}), ${where} negotiates ${ev.tls.alpn || 'no ALPN protocol'}, not h2${intercepted ? ' (the proxy intercepts TLS)' : ''}: gRPC needs HTTP/2`, hint: `exempt ${where.replace(/:\d+$/, '')} from the proxy (NO_PROXY and no_proxy), or have the proxy pass TLS through untouched` };
    if (intercepted) return { status: 'warn', messageId: 'proxyInterceptsTrusted', message: `through the proxy ${shown} (${v}), ${where} presents a certificate issued by "${ev.tls.leaf.issuer}", not its own: the proxy intercepts TLS with a CA the clients trust, and offers h2`, hint: `prefer NO_PROXY/no_proxy for ${where.replace(/:\d+$/, '')}: interception hides the server's real certificate from every check` };
  }
  return undefined;
}
