// Name resolution shared by every client: through `--dns-server host:port` when given (tests point
// it at dnsmasq on loopback), else the system resolver. Clients that dial by name use
// `lookupFor(dnsServer)` as the `lookup` option of net/tls/undici/http agents, so a name that only
// the configured resolver knows still connects, and TLS still verifies the name (servername).
//
// Failures are evidence with the DNS answer told apart: NXDOMAIN (also through a CNAME whose target
// does not exist), SERVFAIL, no answer (timeout), REFUSED, and NOERROR without an address record.
// The system resolver (getaddrinfo) folds most of these into ENOTFOUND / EAI_AGAIN, so after a
// failed lookup the same question goes to the system's name servers directly (c-ares, as in
// /etc/resolv.conf) to learn which answer it was.
import { isIP } from 'node:net';
import type { LookupFunction } from 'node:net';

// 'refused' is the DNS answer REFUSED (rcode 5: the server will not answer for this name);
// 'unreachable' is no DNS server at the address at all (c-ares ECONNREFUSED: ICMP port unreachable).
// 'badresponse': what came back is not a valid DNS answer (c-ares EBADRESP), the server called our
// query malformed (EFORMERR) or closed the TCP connection mid-answer (EEOF); 'notimp': the server
// does not implement the query (rcode 4, NOTIMP). Anything else c-ares can say is 'other', with its code.
// 'tcpRefused': the server answers over UDP with the truncation flag (the answer does not fit) and
// refuses the TCP connection the resolver then makes (c-ares says ECONNREFUSED, as for no server).
export type DnsErrorKind = 'nxdomain' | 'servfail' | 'timeout' | 'refused' | 'unreachable' | 'tcpRefused' | 'nodata' | 'badresponse' | 'notimp' | 'other';

export class DnsError extends Error {
  /** When the name is a CNAME: its target (the name that does not exist / has no address). */
  cnameTarget?: string;
  constructor(readonly host: string, readonly kind: DnsErrorKind, readonly code: string, readonly server: string, extra: { cnameTarget?: string } = {}) {
    const what = kind === 'nxdomain' ? (extra.cnameTarget ? `CNAME to ${extra.cnameTarget}, which does not exist (NXDOMAIN)` : 'no such host (NXDOMAIN)')
      : kind === 'servfail' ? 'resolver failure (SERVFAIL)' : kind === 'timeout' ? 'DNS timeout' : kind === 'refused' ? 'query refused' : kind === 'unreachable' ? 'no DNS server answers (connection refused)'
        : kind === 'nodata' ? (extra.cnameTarget ? `CNAME to ${extra.cnameTarget}, which has no address records` : 'no address records')
          : kind === 'badresponse' ? `not a valid DNS answer (${code})` : kind === 'notimp' ? 'the server does not support the query (NOTIMP)'
            : kind === 'tcpRefused' ? 'a truncated UDP answer, and DNS over TCP refused' : code;
    super(`${host}: ${what} via ${server}`);
    if (extra.cnameTarget) this.cnameTarget = extra.cnameTarget;
  }
}

function kindOf(code: string): DnsErrorKind {
  switch (code) {
    case 'ENOTFOUND': return 'nxdomain';
    case 'ESERVFAIL': return 'servfail';
    case 'ETIMEOUT': case 'ETIMEDOUT': return 'timeout';
    case 'EREFUSED': return 'refused';
    case 'ECONNREFUSED': return 'unreachable';
    case 'ENODATA': return 'nodata';
    case 'EBADRESP': case 'EFORMERR': case 'EEOF': return 'badresponse';
    case 'ENOTIMP': return 'notimp';
    default: return 'other';
  }
}

export interface Resolved {
  address: string;
  family: 4 | 6;
  addresses: string[];
}

/** Everything one resolution learned, for the DNS checks. */
export interface ResolvedDetail extends Resolved {
  /** IPv4 addresses (A). */
  v4: string[];
  /** IPv6 addresses (AAAA). */
  v6: string[];
  /** The CNAME the name points to, when known. */
  cname?: string;
  /** 'system resolver' or the --dns-server address. */
  resolver: string;
}

const SYSTEM = 'system resolver';

async function resolver(dnsServer: string | undefined, timeoutMs: number) {
  const dns = await import('node:dns');
  const r = new dns.promises.Resolver({ timeout: Math.max(200, Math.min(timeoutMs, 5000)), tries: 1 });
  if (dnsServer) r.setServers([dnsServer]);
  return r;
}

const codeOf = (e: unknown) => (e as NodeJS.ErrnoException)?.code ?? 'EOTHER';

/**
 * Asks `server` (the --dns-server, or the system's name servers) directly: A, then AAAA when there
 * is no A. Throws DnsError with the CNAME target when the name is an alias.
 */
async function ask(host: string, dnsServer: string | undefined, timeoutMs: number): Promise<ResolvedDetail> {
  const label = dnsServer ?? SYSTEM;
  const raw = await resolver(dnsServer, timeoutMs);
  // c-ares rounds its timeout up to whole seconds: bound each query ourselves and cancel it.
  const deadline = Date.now() + timeoutMs;
  const bounded = <T>(p: Promise<T>): Promise<T> => new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => { raw.cancel(); reject(Object.assign(new Error('DNS timeout'), { code: 'ETIMEOUT' })); }, Math.max(1, deadline - Date.now()));
    p.then((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject((e as NodeJS.ErrnoException)?.code === 'ECANCELLED' ? Object.assign(new Error('DNS timeout'), { code: 'ETIMEOUT' }) : e); });
  });
  const r = { resolve4: (h: string) => bounded(raw.resolve4(h)), resolve6: (h: string) => bounded(raw.resolve6(h)), resolveCname: (h: string) => bounded(raw.resolveCname(h)) };
  const cnameOf = async (): Promise<string | undefined> => {
    try { return (await r.resolveCname(host))[0]; } catch { return undefined; }
  };
  let v4: string[] = [];
  let code4: string | undefined;
  try { v4 = await r.resolve4(host); } catch (e) { code4 = codeOf(e); }
  if (code4 && code4 !== 'ENODATA') {
    let kind = kindOf(code4);
    // "connection refused" is also the TCP retry after a truncated UDP answer: ask once over UDP ourselves
    if (kind === 'unreachable' && await truncatedOverUdp(raw.getServers()[0], host, Math.min(600, Math.max(100, deadline - Date.now())))) kind = 'tcpRefused';
    // NXDOMAIN for an alias is the answer for its target: say which name is missing.
    const cnameTarget = kind === 'nxdomain' ? await cnameOf() : undefined;
    throw new DnsError(host, kind, code4, label, cnameTarget ? { cnameTarget } : {});
  }
  let v6: string[] = [];
  if (!v4.length) {
    try { v6 = await r.resolve6(host); } catch (e) {
      const c6 = codeOf(e);
      const cnameTarget = await cnameOf();
      throw new DnsError(host, c6 === 'ENODATA' || c6 === 'ENOTFOUND' ? 'nodata' : kindOf(c6), c6 === 'ENOTFOUND' ? 'ENODATA' : c6, label, cnameTarget ? { cnameTarget } : {});
    }
  }
  const addresses = [...v4, ...v6];
  const cname = await cnameOf();
  if (!addresses.length) throw new DnsError(host, 'nodata', 'ENODATA', label, cname ? { cnameTarget: cname } : {});
  return { address: addresses[0]!, family: v4.length ? 4 : 6, addresses, v4, v6, resolver: label, ...(cname ? { cname } : {}) };
}

/** Whether `server` (c-ares' host:port form) answers an A query for `host` over UDP with the TC flag set. */
async function truncatedOverUdp(server: string | undefined, host: string, ms: number): Promise<boolean> {
  if (!server) return false;
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(server) ?? (server.split(':').length === 2 ? /^([^:]+):(\d+)$/.exec(server) : /^(.+)()$/.exec(server));
  if (!m) return false;
  const address = m[1]!, port = Number(m[2] || 53);
  const dgram = await import('node:dgram');
  const id = Math.floor(Math.random() * 0xffff);
  const labels = host.replace(/\.$/, '').split('.').map((l) => Buffer.concat([Buffer.from([Buffer.byteLength(l)]), Buffer.from(l)]));
  const query = Buffer.concat([Buffer.from([id >> 8, id & 255, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, 1, 0, 1])]);
  return new Promise<boolean>((resolve) => {
    const sock = dgram.createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
    const done = (v: boolean) => { clearTimeout(t); try { sock.close(); } catch { /* closed */ } resolve(v); };
    const t = setTimeout(() => done(false), ms);
    sock.on('error', () => done(false));
    sock.on('message', (msg) => { if (msg.length >= 4 && msg.readUInt16BE(0) === id) done((msg[2]! & 0x02) !== 0); });
    // connected: a port where nothing listens answers with an error at once (ICMP port unreachable), not the wait
    sock.connect(port, address, () => sock.send(query, (e) => { if (e) done(false); }));
  });
}

/**
 * After the system resolver (getaddrinfo) failed: which DNS answer was it? Asks the system's name
 * servers directly; falls back to what getaddrinfo said when they cannot be asked.
 */
async function refineSystemFailure(host: string, code: string, timeoutMs: number): Promise<DnsError> {
  const fallback = new DnsError(host, code === 'EAI_AGAIN' ? 'timeout' : kindOf(code), code, SYSTEM);
  try {
    await ask(host, undefined, timeoutMs);
    return fallback; // the name servers answer, getaddrinfo did not (nsswitch, search domains): keep its word
  } catch (e) {
    return e instanceof DnsError ? e : fallback;
  }
}

/** Resolves `host` (an IP literal resolves to itself). Throws DnsError. */
export async function resolveHost(host: string, dnsServer?: string, timeoutMs = 5000): Promise<Resolved> {
  const d = await resolveDetailed(host, dnsServer, timeoutMs);
  return { address: d.address, family: d.family, addresses: d.addresses };
}

/** Like resolveHost, with A and AAAA apart, the CNAME and the resolver used. Throws DnsError. */
export async function resolveDetailed(host: string, dnsServer?: string, timeoutMs = 5000): Promise<ResolvedDetail> {
  const name = host.replace(/^\[|\]$/g, '');
  const fam = isIP(name);
  if (fam) return { address: name, family: fam as 4 | 6, addresses: [name], v4: fam === 4 ? [name] : [], v6: fam === 6 ? [name] : [], resolver: 'none (IP literal)' };
  // RFC 6761 6.3: localhost and *.localhost are loopback and never sent to DNS (Go's resolver,
  // glibc's /etc/hosts and systemd-resolved all answer them locally); a --dns-server refuses them.
  if (dnsServer && /^(.+\.)?localhost\.?$/i.test(name)) return { address: '127.0.0.1', family: 4, addresses: ['127.0.0.1', '::1'], v4: ['127.0.0.1'], v6: ['::1'], resolver: 'none (localhost is loopback, RFC 6761)' };
  if (dnsServer) return ask(name, dnsServer, timeoutMs);
  const dns = await import('node:dns');
  try {
    const all = await dns.promises.lookup(name, { all: true });
    if (!all.length) throw Object.assign(new Error('no addresses'), { code: 'ENODATA' });
    const v4 = all.filter((a) => a.family === 4).map((a) => a.address);
    const v6 = all.filter((a) => a.family === 6).map((a) => a.address);
    const first = all.find((a) => a.family === 4) ?? all[0]!;
    return { address: first.address, family: first.family as 4 | 6, addresses: all.map((a) => a.address), v4, v6, resolver: SYSTEM };
  } catch (e) {
    throw await refineSystemFailure(name, codeOf(e), timeoutMs);
  }
}

/** A `lookup` for net.connect / tls.connect / undici / http.Agent that resolves through `dnsServer`. */
export function lookupFor(dnsServer?: string): LookupFunction | undefined {
  if (!dnsServer) return undefined;
  return ((hostname: string, options: { all?: boolean }, callback: (...a: unknown[]) => void) => {
    resolveHost(hostname, dnsServer).then(
      (r) => (options && options.all ? callback(null, r.addresses.map((address) => ({ address, family: isIP(address) }))) : callback(null, r.address, r.family)),
      (e: DnsError) => callback(e), // the DnsError itself: classifyNetError keeps it a DNS failure (its code may be ECONNREFUSED)
    );
  }) as unknown as LookupFunction;
}
