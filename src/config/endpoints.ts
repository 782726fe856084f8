// The one endpoint model. Every address flyte-doctor dials for Flyte's admin (the client's gRPC
// target, the ingress gRPC address, the HTTP bases) is parsed here, once, and computed into
// `target.endpoints` by the loader (with provenance). Clients and checks read target.endpoints.
import { surroundingWhitespace } from './hygiene.js';
import { schemeTwice } from './host-values.js';
import type { Target } from './target.js';
import { isIP } from 'node:net';

export interface ParsedEndpoint {
  host: string;
  port: number;
  /** The port was given explicitly (otherwise 443, as gRPC DNS and flytekit default to). */
  explicitPort?: boolean;
  /** 'dns', 'http', 'https', 'passthrough' or undefined (bare host[:port]). */
  scheme?: string;
  /** Something a check should report (an http(s):// scheme on a gRPC target, a bad port). Never thrown. */
  problem?: string;
}

export class EndpointSyntaxError extends Error {
  override readonly name = 'EndpointSyntaxError';
  constructor(readonly raw: string, readonly reason: string, readonly suggestion?: string) { super(`admin.endpoint "${raw}": ${reason}`); }
}

/**
 * Parses admin.endpoint the way the Go admin client accepts it: `dns:///host[:port]` or `host[:port]`.
 * Throws EndpointSyntaxError for what flytectl/pyflyte reject or misread (URL schemes, paths,
 * `dns://host` with two slashes, empty host, bad port).
 */
export function parseAdminEndpoint(raw: string): ParsedEndpoint & { explicitPort: boolean } {
  const s = raw.trim();
  const suggestHost = (h: string) => `dns:///${h}`;
  if (!s) throw new EndpointSyntaxError(raw, 'empty endpoint (flytectl: "dial tcp: missing address")');
  // flytectl parses it as a URL and pyflyte hands it to gRPC as written: whitespace around it breaks both
  const ws = surroundingWhitespace(raw);
  if (ws) throw new EndpointSyntaxError(raw, `the value ${ws}: flytectl refuses it as a URL and pyflyte resolves the name with it`, s);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(s)?.[1]?.toLowerCase();
  if (scheme === 'http' || scheme === 'https' || scheme === 'grpc' || scheme === 'grpcs') {
    // `https://dns:///host:443`: a URL scheme put in front of a gRPC target; the target is what was meant
    const twice = schemeTwice(s);
    if (twice && /^dns:\/\/\//i.test(twice.meant)) {
      const inner = (() => { try { return parseAdminEndpoint(twice.meant); } catch { return undefined; } })();
      if (inner) throw new EndpointSyntaxError(raw, `"${scheme}://" in front of the gRPC target ${twice.meant}, which neither flytectl nor pyflyte can dial; the scheme says nothing about TLS (admin.insecure does)`, twice.meant);
    }
    const u = (() => { try { return new URL(s); } catch { return undefined; } })();
    const hp = u ? `${u.hostname}${u.port ? `:${u.port}` : ''}` : s.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
    throw new EndpointSyntaxError(raw, `"${scheme}://" is not a gRPC target; the scheme says nothing about TLS (admin.insecure does)`, suggestHost(hp));
  }
  let rest = s;
  if (/^unix(-abstract)?:/i.test(s)) throw new EndpointSyntaxError(raw, 'a Unix-domain socket: flytectl and pyflyte dial it on this machine only; it has no host or port to check over the network');
  if (scheme === 'passthrough') {
    const hp = s.replace(/^[a-z]+:\/\/\/?/i, '');
    throw new EndpointSyntaxError(raw, 'flytectl (grpc-go) dials passthrough:/// as written, but pyflyte does not: flytekit removes only the prefix dns:///, and gRPC Python has no "passthrough" resolver (it looks the whole string up as a host name); dns:/// works for both', `dns:///${hp}`);
  }
  if (scheme === 'dns') {
    // the scheme in any case: Go's url.Parse lower-cases it (flytectl), gRPC Python takes DNS:/// too (pyflyte)
    if (!/^dns:\/\/\//i.test(s)) {
      const h = s.slice('dns://'.length).replace(/^[^/]*\//, '');
      throw new EndpointSyntaxError(raw, '"dns://x" names a DNS server x; the target needs three slashes', suggestHost(h || s.slice(6)));
    }
    rest = s.slice('dns:///'.length);
  } else if (scheme) {
    throw new EndpointSyntaxError(raw, `unsupported scheme "${scheme}://"`, suggestHost(s.replace(/^[a-z][a-z0-9+.-]*:\/\/\/?/i, '')));
  } else {
    // No scheme: flytectl reads admin.endpoint with Go's url.Parse, which takes "host:port" only when
    // the host could be a URL scheme (a letter first; letters, digits, '+', '-', '.'). An IP address,
    // a bracketed IPv6 address or a host starting with a digit stops flytectl at start; pyflyte
    // (gRPC's default dns resolver) dials it as written.
    const c = s.indexOf(':');
    if (c >= 0 && !/^[A-Za-z][A-Za-z0-9+.-]*$/.test(s.slice(0, c))) {
      const goErr = c === 0 ? 'missing protocol scheme' : 'first path segment in URL cannot contain colon';
      const v6bare = isIP(s) === 6;
      const meant = v6bare ? `[${s}]:443` : s;
      throw new EndpointSyntaxError(raw, `flytectl cannot read it: Go's url.Parse refuses "${s}" without dns:/// (parse "${s}": ${goErr}), so flytectl stops at start ("expected a map, got 'string'" for admin.endpoint); pyflyte dials it as written`, `dns:///${meant}`);
    }
  }
  if (rest.includes('/')) {
    const h = rest.replace(/\/.*$/, '');
    throw new EndpointSyntaxError(raw, 'an endpoint has no path or trailing slash', suggestHost(h));
  }
  let host: string; let portText: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(rest);
  if (v6) { host = v6[1]!; portText = v6[2]; } else {
    const i = rest.lastIndexOf(':');
    if (i >= 0 && rest.indexOf(':') === i) { host = rest.slice(0, i); portText = rest.slice(i + 1); } else { host = rest; }
  }
  if (!host) throw new EndpointSyntaxError(raw, 'no host (flytectl: "dial tcp: missing address")');
  // more than one ':' outside brackets is an IPv6 address or nothing (host:port:port, a pasted URL part)
  if (!v6 && host.includes(':') && isIP(host) !== 6) {
    const [h, p] = host.split(':');
    throw new EndpointSyntaxError(raw, `"${rest}" has more than one port (an IPv6 address is written in brackets, [addr]:port)`, h && p && /^\d{1,5}$/.test(p) ? suggestHost(`${h}:${p}`) : undefined);
  }
  if (!/^[A-Za-z0-9.:-]+$/.test(host)) throw new EndpointSyntaxError(raw, `"${host}" is not a host name`);
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) throw new EndpointSyntaxError(raw, `"${portText}" is not a port`, suggestHost(host));
    return { host, port: Number(portText), explicitPort: true, ...(scheme ? { scheme } : {}) };
  }
  return { host, port: 443, explicitPort: false, ...(scheme ? { scheme } : {}) };
}

/**
 * The lenient reading the loader uses: `dns:///host[:port]`, bare `host[:port]`, or
 * `http(s)://host[:port]` (accepted, with a problem noted). Port default 443 (gRPC DNS default,
 * also for http:// since flytectl strips the scheme). Undefined when no host can be found.
 */
export function parseEndpoint(raw: string): ParsedEndpoint | undefined {
  // `https://dns:///host:443`: a URL scheme in front of a gRPC target; the probes dial the target meant
  // (client.config.endpoint reports the value), as for host:port:port below
  const twice = schemeTwice(raw);
  if (twice && /^dns:\/\/\//i.test(twice.meant)) {
    const inner = parseEndpoint(twice.meant);
    if (inner) return { ...inner, problem: `admin.endpoint has a URL scheme in front of the gRPC target ${twice.meant}` };
  }
  let s = raw.trim();
  if (/^unix(-abstract)?:/i.test(s)) return undefined; // a Unix-domain socket: no host or port to dial over the network
  let scheme: string | undefined;
  let problem: string | undefined;
  const m = /^([a-z][a-z0-9+.-]*):\/\/\/?/i.exec(s);
  if (m) {
    scheme = m[1]!.toLowerCase();
    s = s.slice(m[0].length);
    if (scheme === 'http' || scheme === 'https') {
      problem = `admin.endpoint has the scheme ${scheme}:// but is a gRPC target; use dns:///${s.split('/')[0] ?? s} (flytectl config init strips http(s)://)`;
    } else if (scheme !== 'dns' && scheme !== 'passthrough') {
      problem = `admin.endpoint has an unknown scheme ${scheme}://`;
    }
  }
  s = s.replace(/^[^@/]*@/, ''); // user:pass@
  s = s.split('/')[0]!;
  if (!s) return undefined;
  let host = s;
  let port: number | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) {
    host = v6[1]!;
    if (v6[2]) port = Number(v6[2]);
  } else {
    const i = s.lastIndexOf(':');
    if (i >= 0 && s.indexOf(':') === i) {
      host = s.slice(0, i);
      const p = s.slice(i + 1);
      if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535) {
        problem = `admin.endpoint port "${p}" is not a port number (1-65535)`;
      } else port = Number(p);
    } else if (i >= 0 && isIP(s) !== 6) {
      // host:port:port (not an IPv6 address): the first port is taken, the rest noted (parseAdminEndpoint refuses it)
      const [h, p] = s.split(':');
      host = h!;
      if (p && /^\d+$/.test(p) && Number(p) >= 1 && Number(p) <= 65535) port = Number(p);
      problem = `admin.endpoint "${s}" has more than one port`;
    }
  }
  if (!host) return undefined;
  const out: ParsedEndpoint = { host, port: port ?? 443 };
  if (scheme) out.scheme = scheme;
  if (problem) out.problem = problem;
  return out;
}

/** host:port for messages (IPv6 in brackets). */
export function hostPort(t: { host: string; port: number }): string {
  return t.host.includes(':') ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
}

/** `host[:port]` / `[v6][:port]` / `dns:///host:port` → host and port (defPort when absent). */
export function splitHostPort(s: string, defPort: number): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) return { host: v6[1]!, port: v6[2] ? Number(v6[2]) : defPort };
  const m = /^([^:]+)(?::(\d+))?$/.exec(s.replace(/^dns:\/\/\//, ''));
  return m ? { host: m[1]!, port: m[2] ? Number(m[2]) : defPort } : { host: s, port: defPort };
}

/** A gRPC address flyte-doctor dials. */
export interface GrpcTarget {
  host: string;
  port: number;
  /** TLS (false: plaintext h2c, flytectl `insecure: true`). */
  tls: boolean;
  /** Where this endpoint came from, for messages: 'admin.endpoint', 'ingress'. */
  source: string;
}

export interface Endpoints {
  /** What flytectl/pyflyte dial: admin.endpoint (with admin.insecure), else the ingress gRPC address. */
  admin?: GrpcTarget;
  /** gRPC through the ingress: ingress.grpcAddress, else the ingress host on 443 (TLS) / 80. */
  ingressGrpc?: GrpcTarget;
  /** Base URL of the HTTP side of the ingress (no trailing slash). */
  ingressHttp?: string;
  /** Base URL of admin's HTTP surface: the ingress, else the admin endpoint itself. */
  adminHttp?: string;
}

function computeIngressGrpc(target: Target): GrpcTarget | undefined {
  const i = target.ingress;
  if (!i) return undefined;
  if (i.grpcAddress) return { ...splitHostPort(i.grpcAddress, i.tls ? 443 : 80), tls: i.tls, source: 'ingress' };
  if (i.httpUrl) { const u = new URL(i.httpUrl); return { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : (u.protocol === 'https:' ? 443 : 80), tls: u.protocol === 'https:', source: 'ingress' }; }
  if (i.host) return { host: i.host, port: i.tls ? 443 : 80, tls: i.tls, source: 'ingress' };
  return undefined;
}

/** Computes the endpoints of a target from its client and ingress fields (the loader stores the result in target.endpoints). */
export function computeEndpoints(target: Target): Endpoints {
  const out: Endpoints = {};
  const ingressGrpc = computeIngressGrpc(target);
  if (ingressGrpc) out.ingressGrpc = ingressGrpc;
  const c = target.client;
  if (c.host) out.admin = { host: c.host, port: c.port ?? 443, tls: !c.insecure, source: 'admin.endpoint' };
  else if (c.endpoint) {
    try { const p = parseAdminEndpoint(c.endpoint); out.admin = { host: p.host, port: p.port, tls: !c.insecure, source: 'admin.endpoint' }; } catch { /* client.config.endpoint reports it */ }
  }
  if (!out.admin && ingressGrpc) out.admin = ingressGrpc;
  const i = target.ingress;
  if (i?.httpUrl) out.ingressHttp = i.httpUrl.replace(/\/+$/, '');
  else if (i?.host) out.ingressHttp = `${i.tls ? 'https' : 'http'}://${i.host}`;
  if (out.ingressHttp) out.adminHttp = out.ingressHttp;
  else if (out.admin) {
    const e = out.admin;
    const h = e.host.includes(':') ? `[${e.host}]` : e.host;
    out.adminHttp = `${e.tls ? 'https' : 'http'}://${h}${(e.tls && e.port === 443) || (!e.tls && e.port === 80) ? '' : `:${e.port}`}`;
  }
  return out;
}

const endpointsOf = (t: Target): Endpoints => t.endpoints ?? computeEndpoints(t);

/** The endpoint flytectl/pyflyte dial. */
export const adminEndpoint = (t: Target): GrpcTarget | undefined => endpointsOf(t).admin;
/** gRPC through the ingress. */
export const ingressGrpcEndpoint = (t: Target): GrpcTarget | undefined => endpointsOf(t).ingressGrpc;
/** Base URL of the HTTP side of the ingress. */
export const ingressHttpBase = (t: Target): string | undefined => endpointsOf(t).ingressHttp;
/** Base URL for admin's HTTP surface. */
export const adminHttpBase = (t: Target): string | undefined => endpointsOf(t).adminHttp;

/** A host only resolvable inside a cluster (Service names, `*.svc`, `*.cluster.local`, single-label names). */
export function isClusterInternal(host: string): boolean {
  const h = host.replace(/\.$/, '').toLowerCase();
  return /\.svc(\.cluster\.local)?$|\.cluster\.local$/.test(h) || (!h.includes('.') && h !== 'localhost' && !/^[0-9a-f:.[\]]+$/.test(h));
}

/** RFC 1918, CGNAT, link-local and IPv6 unique-/link-local addresses: reachable only inside some network (pods, Services, internal load balancers). */
export function isPrivateAddress(addr: string | undefined): boolean {
  if (!addr) return false;
  const a = addr.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(a) === 4) {
    const [x, y] = a.split('.').map(Number) as [number, number];
    return x === 10 || (x === 172 && y >= 16 && y <= 31) || (x === 192 && y === 168) || (x === 100 && y >= 64 && y <= 127) || (x === 169 && y === 254);
  }
  if (isIP(a) === 6) return /^f[cd]/.test(a) || /^fe[89ab]/.test(a);
  return false;
}

/** A name a resolver can be asked for: dot-separated labels of letters, digits, '-' and '_' (SRV-style). */
export function validHostName(h: string): boolean {
  const n = h.replace(/\.$/, '');
  return n.length > 0 && n.length <= 253 && n.split('.').every((l) => /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/.test(l));
}
