import { resolveHost, DnsError } from '../../src/clients/resolve.js';
import { adminEndpoint, ingressHttpBase } from '../../src/config/endpoints.js';
import { probeTimeout, seconds } from '../../src/engine/budget.js';
import type { Target } from '../../src/config/target.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext, Instance, Outcome } from '../../src/engine/types.js';

interface NamedHost extends Instance { host: string; role: string }

function hostOfUrl(u: string | undefined): string | undefined {
  if (!u) return undefined;
  try { return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(u) ? u : `https://${u}`).hostname.replace(/^\[|\]$/g, '') || undefined; } catch { return undefined; }
}

/** Every host name the target names, except the admin endpoint (dns.admin.resolve), one instance each. */
export function namedHosts(t: Target): NamedHost[] {
  const out: NamedHost[] = [];
  const admin = adminEndpoint(t)?.host;
  const add = (key: string, role: string, host: string | undefined) => {
    if (!host || out.some((h) => h.key === key)) return;
    out.push({ key, label: `${role} ${host}`, host, role });
  };
  const ing = hostOfUrl(ingressHttpBase(t)) ?? t.ingress?.host;
  if (ing && ing !== admin) add('ingress', 'ingress/console host', ing);
  for (const db of t.databases) add(`database-${db.role}`, `${db.role} database host`, db.host);
  add('storage', 'object store endpoint', hostOfUrl(t.storage?.endpoint));
  add('oidc', 'OIDC issuer', hostOfUrl(t.auth.oidcIssuer));
  return out;
}

const CLUSTER_LOCAL = /(\.svc|\.svc\.cluster\.local|\.cluster\.local)\.?$/i;

/** Shared by dns.admin.resolve and dns.hosts.resolve. */
export async function dnsOutcome(ctx: CheckContext, host: string, role: string, timeoutMs: number): Promise<Outcome> {
  const resolver = ctx.target.dnsServer ?? 'system resolver';
  if (CLUSTER_LOCAL.test(host) || (!host.includes('.') && host !== 'localhost' && !host.includes(':'))) {
    return { status: 'skip', message: `${host} is a cluster-internal name (${role}); it resolves only inside the cluster` , details: { host } };
  }
  const { isIP } = await import('node:net');
  if (isIP(host)) return { status: 'pass', message: `${host} is an IP address (${role}); nothing to resolve`, details: { host, addresses: [host], resolver: 'none (IP literal)' } };
  try {
    const r = await resolveHost(host, ctx.target.dnsServer, timeoutMs);
    return { status: 'pass', message: `${host} resolves to ${r.addresses.join(', ')} (${role}, via ${resolver})`, details: { host, addresses: r.addresses, resolver } };
  } catch (e) {
    if (!(e instanceof DnsError)) throw e;
    const details = { host, resolver, code: e.code, kind: e.kind };
    switch (e.kind) {
      case 'nxdomain': return { status: 'fail', messageId: 'nxdomain', message: `${host} does not exist (NXDOMAIN from ${resolver}); ${role}`, hint: `create a DNS record for ${host} (for the ingress: an A/CNAME to the load balancer address shown by kubectl get ingress), or fix the name in the values / admin.endpoint`, details };
      case 'servfail': return { status: 'fail', messageId: 'servfail', message: `resolving ${host} failed with SERVFAIL from ${resolver}; ${role}`, hint: `the name servers of ${host.split('.').slice(-2).join('.')} are broken or unreachable for ${resolver} (DNSSEC, lame delegation): fix the zone or use a resolver that can reach it (--dns-server)`, details };
      case 'timeout': return { status: 'fail', messageId: 'dnsTimeout', message: `no DNS answer for ${host} from ${resolver} within ${seconds(timeoutMs)}; ${role}`, hint: 'the resolver is unreachable from here (VPN/split DNS?): check /etc/resolv.conf or pass --dns-server host:port', details };
      case 'refused': return { status: 'fail', messageId: 'dnsRefused', message: `${resolver} refused to resolve ${host}; ${role}`, hint: `${resolver} does not serve this zone and does not recurse: use a resolver that knows ${host} (--dns-server)`, details };
      case 'nodata': return { status: 'fail', messageId: 'noAddress', message: `${host} exists but has no A/AAAA record (${resolver}); ${role}`, hint: `add an A or AAAA record (or a CNAME to the load balancer) for ${host}`, details };
      default: throw e;
    }
  }
}

export default defineCheck({
  id: 'dns.hosts.resolve',
  title: 'Every host the target names resolves',
  phases: ['preflight', 'verify'],
  timeoutMs: 8000,
  instances: (t) => namedHosts(t).map(({ key, label }) => ({ key, label })),
  explain: {
    what: 'Resolves each host named by the target other than the admin endpoint: ingress/console host, database hosts, object-store endpoint, OIDC issuer.',
    why: 'A name that does not resolve from here is the first thing that breaks the console, registration (signed URLs) and login.',
    fix: 'Create the missing record, fix the resolver, or correct the host in the values. Cluster-internal names (*.svc) are skipped: they resolve only inside the cluster.',
  },
  async run(ctx: CheckContext): Promise<Outcome> {
    const h = namedHosts(ctx.target).find((x) => x.key === ctx.instance?.key);
    if (!h) return { status: 'skip', message: 'host no longer in the target' };
    return dnsOutcome(ctx, h.host, h.role, probeTimeout(ctx));
  },
});
