// Answers that say the same thing whichever client met them, in one wording: an HTTP body that
// stopped after its headers, what something in front of a service (a captive portal, a web filter,
// a proxy or gateway wanting its own credentials) answers for itself, and a CONNECT answer that is
// not a tunnel. The checks build their findings (ids, causes, fixes) around these phrases.

/** `answered HTTP 200, server X, then its body stopped after N bytes of the M its Content-Length announced (no more within Ts)`. */
export function stalledText(status: number, headers: Record<string, unknown>, received: number, afterMs?: number): string {
  const length = Number(headers['content-length']);
  const server = typeof headers['server'] === 'string' ? `, server ${headers['server'].slice(0, 60)}` : '';
  return `answered HTTP ${status}${server}, then its body stopped after ${received} bytes${Number.isSafeInteger(length) && length > received ? ` of the ${length} its Content-Length announced` : ''}${afterMs !== undefined ? ` (no more within ${Math.round(afterMs / 100) / 10}s)` : ''}`;
}

export type FrontKind = 'captive-portal' | 'web-filter' | 'proxy-auth' | 'auth-gateway' | 'lb-auth' | 'request-timeout' | 'gone';

/**
 * What something in front of a service answered for itself, or undefined. 511, 451, 407, 408, 410
 * and 561 (an AWS load balancer's authenticate action) always are (no service Flyte talks to sends them); a 401/403 only with WWW-Authenticate or a
 * login/block page, and only where the caller knows the service's own refusals look otherwise
 * (`gateway401`). `subject` names what is blocked ("it", "the IdP").
 */
export function frontAnswer(a: { status: number; headers?: Record<string, unknown>; body?: Buffer | string }, o: { subject?: string; gateway401?: boolean } = {}): { kind: FrontKind; text: string } | undefined {
  const h = (a.headers ?? {}) as Record<string, unknown>;
  const header = (k: string) => (typeof h[k] === 'string' ? (h[k] as string).slice(0, 60) : undefined);
  switch (a.status) {
    case 511: return { kind: 'captive-portal', text: 'the network this machine is on wants a login first (511 Network Authentication Required: a captive portal)' };
    case 451: return { kind: 'web-filter', text: `a filtering proxy blocks ${o.subject ?? 'it'} (451 Unavailable For Legal Reasons)` };
    case 407: return { kind: 'proxy-auth', text: `a proxy on the way wants its own credentials (407${header('proxy-authenticate') ? `, Proxy-Authenticate: ${header('proxy-authenticate')}` : ''})` };
    case 408: return { kind: 'request-timeout', text: 'a proxy in front closed the request as too slow (408 Request Timeout), although it was complete' };
    case 410: return { kind: 'gone', text: 'a rule in front answers 410 Gone (a retired route or a deny rule)' };
    // an AWS ALB listener rule with an authenticate-oidc / authenticate-cognito action answers 561 itself
    // when its IdP exchange fails (the IdP's token or user-info endpoint refused or could not be reached)
    case 561: return { kind: 'lb-auth', text: `the load balancer's own authentication step failed (561${header('server') ? ` from ${header('server')}` : ''}: an AWS ALB authenticate-oidc / authenticate-cognito action whose exchange with its IdP failed)` };
    default: break;
  }
  if (o.gateway401 && (a.status === 401 || a.status === 403)) {
    const body = (typeof a.body === 'string' ? a.body : a.body?.subarray(0, 4096).toString('utf8') ?? '').slice(0, 4096);
    if (header('www-authenticate') || /<title>[^<]*(sign[ -]?in|log[ -]?in|access denied|forbidden by|blocked)/i.test(body)) {
      return { kind: 'auth-gateway', text: `an auth proxy or gateway in front of ${o.subject ?? 'it'} answers ${a.status}${header('www-authenticate') ? ` (WWW-Authenticate: ${header('www-authenticate')})` : ' with a login or block page'}` };
    }
  }
  return undefined;
}

/** The fix for a FrontKind that is this network's own (portal, filter, proxy credentials); undefined for the others. */
export function frontNetworkFix(kind: FrontKind, host: string): string | undefined {
  if (kind === 'captive-portal') return 'log in to the network (open a web page for the portal), or check from another network or through the VPN; no Flyte setting causes this';
  if (kind === 'lb-auth') return `check the load balancer listener rule's authenticate-oidc / authenticate-cognito action in front of ${host} (its IdP endpoints, client id and secret, and that the load balancer reaches its IdP), or take the paths clients and Flyte fetch without a browser out of it`;
  if (kind === 'web-filter') return `have the proxy or filter let ${host} through (NO_PROXY, or an allow-list entry), or check from a network without it; Flyte's pods do not go through it`;
  if (kind === 'proxy-auth') return `give this machine the proxy's credentials (HTTPS_PROXY=http://user:password@proxy:port), or have the proxy let ${host} through (NO_PROXY, or an allow-list entry); Flyte's pods do not go through it, and no Flyte setting causes this`;
  return undefined;
}

/**
 * Why a 2xx answer to CONNECT is not a tunnel: a tunnel's 2xx carries no Content-Length or
 * Transfer-Encoding and nothing follows it until the client speaks (RFC 9110 9.3.6). `head` is the
 * header block, `following` the bytes already read after it.
 */
export function connectNotTunnel(head: string, following: Buffer): string | undefined {
  const framing = /^(content-length|transfer-encoding):\s*(.+)$/im.exec(head);
  if (!framing && !following.length) return undefined;
  return `${framing ? ` and ${framing[1]!.toLowerCase()}: ${framing[2]!.trim().slice(0, 30)}` : ''}${following.length ? `, then content (${JSON.stringify(following.subarray(0, 40).toString('latin1'))})` : ''}: a web server answering every request, not a proxy opening a tunnel (a tunnel's 2xx carries no body)`;
}

export type StatusFaultKind = 'interim' | 'not-modified' | 'use-proxy' | 'protocol' | 'request-size' | 'misdirected' | 'client-cert' | 'plain-to-tls' | 'too-early' | 'cdn-origin' | 'not-implemented' | 'proxy-loop' | 'unrecognised';

/**
 * What an HTTP status says that is neither "this URL is wrong" nor "the service failed": a protocol
 * fault between this client and the server (426, 505, 421), a size or header limit of a proxy (413,
 * 414, 431, nginx 494), nginx's certificate answers (495-497), a cache (304), a CDN's origin codes
 * (520-530), a loop between proxies (508). For the probes that read a document (an IdP's discovery
 * document and keys, an API): each with its cause in words and the fix, never the neighbouring
 * status's. undefined: a status the caller judges itself (2xx, 3xx redirects, 401/403/404, 429, 502-504).
 * `host` is the server's host, for the fixes.
 */
export function statusFault(a: { status: number; headers?: Record<string, unknown> }, host: string): { kind: StatusFaultKind; text: string; fix: string } | undefined {
  const s = a.status;
  const h = (a.headers ?? {}) as Record<string, unknown>;
  const header = (k: string) => (typeof h[k] === 'string' ? (h[k] as string).slice(0, 60) : undefined);
  const cdn: Record<number, string> = { 520: 'the origin answered with something empty, unknown or reset', 521: 'the origin refused the connection', 522: 'the connection to the origin timed out', 523: 'the origin is unreachable from the CDN', 524: 'the origin accepted the connection but did not answer in time', 525: 'the TLS handshake between the CDN and the origin failed', 526: 'the origin\'s certificate is not valid for the CDN', 527: 'the CDN\'s tunnel to the origin failed', 530: 'the CDN could not resolve or use the origin' };
  if (s >= 100 && s < 200) return { kind: 'interim', text: `an interim HTTP ${s} as the final answer`, fix: `check what serves ${host}: a server or proxy that ends an answer with a 1xx does not speak HTTP/1.1 correctly` };
  switch (s) {
    case 304: return { kind: 'not-modified', text: '304 Not Modified to a request that asked for no revalidation (no If-None-Match / If-Modified-Since): a cache in front answers from its cache, not a redirect', fix: `exclude this path from caching in the CDN or caching proxy in front of ${host}` };
    case 305: return { kind: 'use-proxy', text: `305 Use Proxy${header('location') ? ` (${header('location')})` : ''}: something wants this client to go through a proxy (a deprecated status clients do not follow)`, fix: `reach ${host} through the proxy the network requires (HTTPS_PROXY), or have the network let it through directly` };
    case 406: return { kind: 'protocol', text: '406 Not Acceptable: what answers refuses to serve JSON (Accept: application/json), which a service that serves these documents does not do', fix: `check what answers for ${host} (a proxy or WAF rule on Accept headers, or not the service itself)` };
    case 411: return { kind: 'protocol', text: '411 Length Required to a GET without a body: a proxy in front mishandles requests without a body', fix: `check the proxy in front of ${host}: it wants a Content-Length on requests that carry none` };
    case 413: case 414: case 431: case 494: return { kind: 'request-size', text: `${s}: a proxy in front refuses the size of the request (${s === 413 ? 'body' : s === 414 ? 'URL' : 'headers'})`, fix: `raise the request size limits of the proxy in front of ${host} (nginx: client_max_body_size, large_client_header_buffers; ingress-nginx: proxy-body-size, large-client-header-buffers)` };
    case 415: return { kind: 'protocol', text: '415 Unsupported Media Type to a GET: a proxy or gateway in front applies a content-type rule', fix: `check the gateway or WAF rules in front of ${host}` };
    case 421: return { kind: 'misdirected', text: `421 Misdirected Request: the server has no virtual host for ${host} on this connection (its TLS name / SNI or an HTTP/2 connection reused for another host selects another server)`, fix: `serve ${host} on that listener (its TLS certificate and server_name / host rule), or give ${host} its own address; not a wrong path` };
    case 425: return { kind: 'too-early', text: '425 Too Early: a proxy refuses a request sent in TLS early data (0-RTT) that it does not want replayed', fix: `turn off 0-RTT (early data) on the proxy in front of ${host}, or accept early data for GETs` };
    case 426: return { kind: 'protocol', text: `426 Upgrade Required${header('upgrade') ? ` (Upgrade: ${header('upgrade')})` : ''}: the server wants another protocol (TLS or HTTP/2) than this HTTP/1.1 request`, fix: `use the scheme and port ${host} serves (https; an HTTP/1.1-capable listener): a protocol fault, not a wrong path` };
    case 505: return { kind: 'protocol', text: '505 HTTP Version Not Supported: the server refuses HTTP/1.1', fix: `serve HTTP/1.1 on ${host} (every OIDC and Kubernetes client uses it): a protocol fault, not a wrong path` };
    case 495: case 496: return { kind: 'client-cert', text: `${s} (nginx: ${s === 495 ? 'the client certificate is not valid' : 'no client certificate was sent'}): the server wants a client certificate (mutual TLS)`, fix: `turn off client-certificate verification (ssl_verify_client / auth-tls-verify-client) for ${host}'s public paths, or give the client a certificate the server trusts` };
    case 497: return { kind: 'plain-to-tls', text: '497 (nginx: an HTTP request sent to its HTTPS port): a hop in front of the server forwards plain HTTP to a TLS port', fix: `point the hop in front of ${host} at the server's plain port, or forward TLS to its TLS port` };
    case 499: return { kind: 'unrecognised', text: '499 (nginx\'s code for a client that closed the request; a proxy between here and the server gave up waiting upstream)', fix: `look at the proxies between this machine and ${host}: one of them closed the request upstream (its timeout) and relays nginx's 499` };
    case 501: return { kind: 'not-implemented', text: '501 Not Implemented: what answers does not implement GET for this path (a proxy, or not the service)', fix: `check what answers for ${host}: the service serves these documents with GET` };
    case 508: return { kind: 'proxy-loop', text: '508 Loop Detected: proxies in front forward the request in a loop (a load balancer or CDN whose origin points back at itself)', fix: `fix the origin / upstream of the proxy or CDN in front of ${host}: it must point at the server, not at its own public address` };
    case 507: return { kind: 'unrecognised', text: '507 Insufficient Storage: the server or a proxy in front is out of disk', fix: `free disk on the server or the proxy in front of ${host}` };
    default: break;
  }
  if (cdn[s]) return { kind: 'cdn-origin', text: `${s}: a CDN in front of ${host} says ${cdn[s]}`, fix: `check the CDN's origin for ${host} (its address, port, TLS mode and certificate) and that the origin answers the CDN` };
  return undefined;
}
