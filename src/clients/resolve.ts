// Name resolution shared by every client: through `--dns-server host:port` when given (tests point
// it at dnsmasq on loopback), else the system resolver. Clients that dial by name use
// `lookupFor(dnsServer)` as the `lookup` option of net/tls/undici/http agents, so a name that only
// the configured resolver knows still connects, and TLS still verifies the name (servername).
import { isIP } from 'node:net';
import type { LookupFunction } from 'node:net';

export type DnsErrorKind = 'nxdomain' | 'servfail' | 'timeout' | 'refused' | 'nodata' | 'other';

export class DnsError extends Error {
  constructor(readonly host: string, readonly kind: DnsErrorKind, readonly code: string, readonly server: string) {
    super(`${host}: ${kind === 'nxdomain' ? 'no such host (NXDOMAIN)' : kind === 'servfail' ? 'resolver failure (SERVFAIL)' : kind === 'timeout' ? 'DNS timeout' : kind === 'refused' ? 'query refused' : kind === 'nodata' ? 'no address records' : code} via ${server}`);
  }
}

function kindOf(code: string): DnsErrorKind {
  switch (code) {
    case 'ENOTFOUND': return 'nxdomain';
    case 'ESERVFAIL': return 'servfail';
    case 'ETIMEOUT': case 'ETIMEDOUT': return 'timeout';
    case 'EREFUSED': case 'ECONNREFUSED': return 'refused';
    case 'ENODATA': return 'nodata';
    default: return 'other';
  }
}

export interface Resolved { address: string; family: 4 | 6; addresses: string[] }

/** Resolves `host` (an IP literal resolves to itself). Throws DnsError. */
export async function resolveHost(host: string, dnsServer?: string, timeoutMs = 5000): Promise<Resolved> {
  const fam = isIP(host);
  if (fam) return { address: host, family: fam as 4 | 6, addresses: [host] };
  const dns = await import('node:dns');
  if (!dnsServer) {
    try {
      const all = await dns.promises.lookup(host, { all: true });
      const first = all[0]!;
      return { address: first.address, family: first.family as 4 | 6, addresses: all.map((a) => a.address) };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'EOTHER';
      throw new DnsError(host, code === 'EAI_AGAIN' ? 'timeout' : kindOf(code), code, 'system resolver');
    }
  }
  const r = new dns.promises.Resolver({ timeout: Math.max(200, Math.min(timeoutMs, 5000)), tries: 1 });
  r.setServers([dnsServer]);
  try {
    const a = await r.resolve4(host);
    return { address: a[0]!, family: 4, addresses: a };
  } catch (e4) {
    const code = (e4 as NodeJS.ErrnoException).code ?? 'EOTHER';
    if (code === 'ENODATA') {
      try { const a6 = await r.resolve6(host); return { address: a6[0]!, family: 6, addresses: a6 }; } catch { /* report the A error */ }
    }
    throw new DnsError(host, kindOf(code), code, dnsServer);
  }
}

/** A `lookup` for net.connect / tls.connect / undici / http.Agent that resolves through `dnsServer`. */
export function lookupFor(dnsServer?: string): LookupFunction | undefined {
  if (!dnsServer) return undefined;
  return ((hostname: string, options: { all?: boolean }, callback: (...a: unknown[]) => void) => {
    resolveHost(hostname, dnsServer).then(
      (r) => (options && options.all ? callback(null, r.addresses.map((address) => ({ address, family: r.family }))) : callback(null, r.address, r.family)),
      (e: DnsError) => callback(Object.assign(new Error(e.message), { code: e.code })),
    );
  }) as unknown as LookupFunction;
}
