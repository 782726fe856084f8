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

export type FrontKind = 'captive-portal' | 'web-filter' | 'proxy-auth' | 'auth-gateway' | 'request-timeout' | 'gone';

/**
 * What something in front of a service answered for itself, or undefined. 511, 451, 407, 408 and
 * 410 always are (no service Flyte talks to sends them); a 401/403 only with WWW-Authenticate or a
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
  if (kind === 'web-filter' || kind === 'proxy-auth') return `have the proxy or filter let ${host} through (NO_PROXY, or an allow-list entry), or check from a network without it; Flyte's pods do not go through it`;
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
