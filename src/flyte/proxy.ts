// Which proxy each Flyte client takes to the admin endpoint, from the environment, the way each
// client reads it (no I/O here):
// - flytectl (Go, grpc-go): http.ProxyFromEnvironment with an https:// URL for every gRPC target,
//   i.e. HTTPS_PROXY, then https_proxy; NO_PROXY, then no_proxy (host, .domain, domain and its
//   subdomains, IP, CIDR, host:port, *); requests to localhost and loopback addresses never go
//   through a proxy.
// - pyflyte / flytekit gRPC (grpcio, gRPC C-core): grpc_proxy, then https_proxy, then http_proxy,
//   lower case only; no_grpc_proxy, then no_proxy (host suffixes, CIDR).
// - flytekit's HTTP (requests: the OAuth/OIDC discovery, token and signed-URL requests):
//   https_proxy / HTTPS_PROXY (lower case wins), then all_proxy / ALL_PROXY; no_proxy / NO_PROXY
//   (host suffixes only, no CIDR).
import { isIP } from 'node:net';

export type ProxyClient = 'flytectl' | 'pyflyte' | 'flytekit-http';

export const PROXY_CLIENTS: Readonly<Record<ProxyClient, { label: string; reads: string; bypass: string }>> = {
  flytectl: { label: 'flytectl (Go gRPC)', reads: 'HTTPS_PROXY, then https_proxy', bypass: 'NO_PROXY, then no_proxy; never for localhost or loopback addresses' },
  pyflyte: { label: 'pyflyte / flytekit gRPC (grpcio)', reads: 'grpc_proxy, then https_proxy, then http_proxy (lower case only)', bypass: 'no_grpc_proxy, then no_proxy (lower case only)' },
  'flytekit-http': { label: "flytekit's HTTP requests (OAuth, signed URLs)", reads: 'https_proxy or HTTPS_PROXY (lower case wins), then all_proxy / ALL_PROXY', bypass: 'no_proxy or NO_PROXY (host suffixes)' },
};

/** Every variable any of them reads. */
export const PROXY_VARS = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'grpc_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy', 'no_grpc_proxy'] as const;

export interface ProxyRoute {
  client: ProxyClient;
  /** The proxy URL this client takes (undefined: it connects directly). */
  proxy?: string;
  /** The variable the proxy comes from. */
  variable?: string;
  /** Why it connects directly although a proxy is set (the NO_PROXY entry, loopback). */
  bypass?: string;
}

type Env = Readonly<Record<string, string | undefined>>;
const first = (env: Env, names: string[]): [string, string] | undefined => {
  for (const n of names) { const v = env[n]; if (v) return [n, v]; } // (as set: Go and Python use any non-empty value, and whitespace around it breaks Go's url.Parse, see client.proxy.path)
  return undefined;
};

function ipInCidr(ip: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  if (!net || !Number.isInteger(bits) || isIP(net) !== isIP(ip) || isIP(ip) === 0) return false;
  const toBits = (a: string): string => isIP(a) === 4
    ? a.split('.').map((x) => Number(x).toString(2).padStart(8, '0')).join('')
    : expand6(a).split(':').map((x) => parseInt(x, 16).toString(2).padStart(16, '0')).join('');
  return toBits(ip).slice(0, bits) === toBits(net).slice(0, bits);
}

function expand6(a: string): string {
  const [head, tail] = a.split('::');
  const h = head ? head.split(':') : [], t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = a.includes('::') ? Array(8 - h.length - t.length).fill('0') : [];
  return [...h, ...fill, ...t].map((x) => x || '0').join(':');
}

/** The NO_PROXY entry that exempts host:port for a client, or undefined. */
export function noProxyMatch(list: string, host: string, port: number, o: { cidr: boolean; ports: boolean }): string | undefined {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  for (const raw of list.split(',')) {
    const e = raw.trim().toLowerCase();
    if (!e) continue;
    if (e === '*') return e;
    if (e.includes('/')) { if (o.cidr && ipInCidr(h, e)) return raw.trim(); continue; }
    let name = e, p: number | undefined;
    const m = /^(.*?):(\d+)$/.exec(e);
    if (m && !e.startsWith('[') && isIP(e) !== 6) { if (!o.ports) continue; name = m[1]!; p = Number(m[2]); }
    if (p !== undefined && p !== port) continue;
    name = name.replace(/^\[|\]$/g, '').replace(/^\*\./, '.');
    if (name.startsWith('.')) { if (h.endsWith(name) || h === name.slice(1)) return raw.trim(); continue; }
    if (h === name || h.endsWith(`.${name}`)) return raw.trim();
  }
  return undefined;
}

const isLoopback = (h: string) => h === 'localhost' || h.endsWith('.localhost') || (isIP(h) === 4 && h.startsWith('127.')) || h === '::1';

/** The route of each client to host:port (a gRPC target, TLS or not). */
export function proxyRoutes(env: Env, host: string, port: number): ProxyRoute[] {
  const h = host.replace(/^\[|\]$/g, '');
  const out: ProxyRoute[] = [];
  // flytectl
  {
    const p = first(env, ['HTTPS_PROXY', 'https_proxy']);
    const np = first(env, ['NO_PROXY', 'no_proxy']);
    const r: ProxyRoute = { client: 'flytectl' };
    if (p) {
      if (isLoopback(h)) r.bypass = `${h} is a loopback address (Go never proxies those)`;
      else { const m = np ? noProxyMatch(np[1], h, port, { cidr: true, ports: true }) : undefined; if (m) r.bypass = `${np![0]} entry ${m}`; else { r.proxy = p[1]; r.variable = p[0]; } }
    }
    out.push(r);
  }
  // pyflyte (grpcio)
  {
    const p = first(env, ['grpc_proxy', 'https_proxy', 'http_proxy']);
    const np = first(env, ['no_grpc_proxy', 'no_proxy']);
    const r: ProxyRoute = { client: 'pyflyte' };
    if (p) { const m = np ? noProxyMatch(np[1], h, port, { cidr: true, ports: false }) : undefined; if (m) r.bypass = `${np![0]} entry ${m}`; else { r.proxy = p[1]; r.variable = p[0]; } }
    out.push(r);
  }
  // flytekit HTTP (requests)
  {
    const p = first(env, ['https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']);
    const np = first(env, ['no_proxy', 'NO_PROXY']);
    const r: ProxyRoute = { client: 'flytekit-http' };
    if (p) { const m = np ? noProxyMatch(np[1], h, port, { cidr: false, ports: false }) : undefined; if (m) r.bypass = `${np![0]} entry ${m}`; else { r.proxy = p[1]; r.variable = p[0]; } }
    out.push(r);
  }
  return out;
}

/** A proxy URL as the clients take it: `host:port` without a scheme means http://. */
export function parseProxyUrl(v: string): URL | undefined {
  try {
    const u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? v : `http://${v}`);
    return u.hostname ? u : undefined;
  } catch { return undefined; }
}

/** The proxy URL with any password replaced (for messages; the redactor hides it anyway). */
export function shownProxy(v: string): string {
  const u = parseProxyUrl(v);
  if (!u) return v;
  if (u.password) u.password = '***';
  return `${u.protocol}//${u.username ? `${u.username}${u.password ? ':***' : ''}@` : ''}${u.host}`;
}
