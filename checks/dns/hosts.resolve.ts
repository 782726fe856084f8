import { resolveDetailed, DnsError } from '../../src/clients/resolve.js';
import { adminEndpoint, ingressHttpBase, isClusterInternal, isPrivateAddress, validHostName } from '../../src/config/endpoints.js';
import { probeTimeout, seconds } from '../../src/engine/budget.js';
import { cause } from '../../src/engine/causes.js';
import type { Target } from '../../src/config/target.js';
import { defineCheck } from '../../src/engine/define.js';
import { hostValueParts, schemeTwice } from '../../src/config/host-values.js';
import { setting, whereSet } from '../../src/flyte/settings.js';
import { dbSettingKey } from '../../src/flyte/database.js';
import type { CheckContext, Instance, Outcome } from '../../src/engine/types.js';

interface NamedHost extends Instance { host: string; role: string }

function hostOfUrl(u: string | undefined): string | undefined {
  if (!u || schemeTwice(u)) return undefined; // the scheme twice: no host to resolve (the check of that URL says so)
  try { return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(u) ? u : `https://${u}`).hostname.replace(/^\[|\]$/g, '') || undefined; } catch { return undefined; }
}

/** Every host name the target names, except the admin endpoint (dns.admin.resolve), one instance each. */
export function namedHosts(t: Target): NamedHost[] {
  const out: NamedHost[] = [];
  const admin = adminEndpoint(t)?.host;
  const add = (key: string, role: string, host: string | undefined, field: string) => {
    if (!host || out.some((h) => h.key === key)) return;
    out.push({ key, label: `${role} ${host}`, host, role, fields: [field] });
  };
  const ing = hostOfUrl(ingressHttpBase(t)) ?? t.ingress?.host;
  if (ing && ing !== admin) add('ingress', 'ingress/console host', ing, 'ingress.host');
  t.databases.forEach((db, i) => add(`database-${db.role}`, `${db.role} database host`, db.host, `databases[${i}].host`));
  add('storage', 'object store endpoint', hostOfUrl(t.storage?.endpoint), 'storage.endpoint');
  // With auth off Flyte never contacts the issuer (a chart default such as flyte-core's accounts.google.com): not named.
  if (t.auth.enabled) add('oidc', 'OIDC issuer', hostOfUrl(t.auth.oidcIssuer), 'auth.oidcIssuer');
  return out;
}

/** Every finding of a DNS resolution: declared by dns.admin.resolve and dns.hosts.resolve. */
export const DNS_MESSAGES = {
  resolved: { status: 'pass', summary: 'The name resolves (A and/or AAAA records, possibly through a CNAME).' },
  ipLiteral: { status: 'pass', summary: 'The host is an IP address: nothing to resolve.' },
  resolvedPrivate: { status: 'pass', summary: 'The name resolves, from here, to a private network address (RFC 1918, CGNAT, IPv6 ULA): whether clients on other networks get the same answer (split-horizon DNS) cannot be judged from here.' },
  deadMember: { status: 'warn', summary: 'The admin host resolves to several addresses (DNS round robin) and some of them do not accept connections on the admin port while others do.' },
  wildcardOnly: { status: 'warn', summary: 'The admin host is one typo away from the values\' Ingress host and resolves as any name of its zone does (a wildcard record): the typo resolves, so resolving proves nothing.' },
  clusterInternalResolves: { status: 'pass', summary: 'A cluster-internal name that resolves from this machine too (port-forward, VPN, telepresence).' },
  clusterInternal: { status: 'warn', summary: 'A cluster-internal name (`*.svc`, `*.cluster.local`, a single-label Service name): it resolves only inside the cluster, so it cannot be checked from this machine.' },
  ipv6Only: { status: 'warn', summary: 'NOERROR with AAAA records only, no A record: clients without IPv6 connectivity cannot reach it.' },
  nxdomain: { status: 'fail', summary: 'The name does not exist (NXDOMAIN).' },
  danglingCname: { status: 'fail', summary: 'The name is a CNAME to a name that does not exist (or has no address): a dangling record.' },
  cnameLoop: { status: 'fail', summary: 'The name is a CNAME chain that comes back to a name already in it (a loop): no name in it has an address.' },
  noAddress: { status: 'fail', summary: 'The name exists but has no A or AAAA record (NOERROR, no data).' },
  servfail: { status: 'fail', summary: 'The resolver answered SERVFAIL: the zone\'s name servers are broken or unreachable for it (DNSSEC, lame delegation).' },
  dnsTimeout: { status: 'fail', summary: 'The resolver did not answer in time (unreachable resolver, VPN split DNS).' },
  dnsRefused: { status: 'fail', summary: 'The resolver refused the query (it neither serves the zone nor recurses).' },
  dnsUnreachable: { status: 'fail', summary: 'No DNS server answers at the resolver\'s address (connection refused: nothing listens on its port).' },
  dnsTcpRefused: { status: 'fail', summary: 'The resolver answers over UDP with the truncation flag (the answer is too large for UDP) and refuses the DNS-over-TCP connection every resolver then makes: a UDP-only DNS forwarder, or TCP port 53 blocked.' },
  dnsBadAnswer: { status: 'fail', summary: 'What answered at the resolver\'s address is not a valid DNS answer (EBADRESP), called the query malformed (FORMERR) or cut the answer short: another service on that port, or a broken middlebox.' },
  dnsNotImplemented: { status: 'fail', summary: 'The resolver answered NOTIMP: it does not implement address queries (an authoritative-only or special-purpose server).' },
  dnsUnrecognised: { status: 'fail', summary: 'The lookup failed with a resolver error no other finding covers; its code is shown.' },
  invalidName: { status: 'fail', summary: 'The host is not a valid DNS name (spaces, braces, quotes, an unrendered template): every client fails before any lookup.' },
} as const;

type DnsId = keyof typeof DNS_MESSAGES;

/** The port a host setting held, when the port setting beside it says another (never one already set). */
function portFix(t: Target, field: string | undefined, port: number | undefined): string {
  if (port === undefined) return '';
  const i = field ? /^databases\[(\d+)\]\.host$/.exec(field)?.[1] : undefined;
  const db = i !== undefined ? t.databases[Number(i)] : undefined;
  if (db) return db.port === port ? '' : ` and ${dbSettingKey(t, db, 'port')}: ${port}`;
  return ` (its port, ${port}, goes in the port setting next to it)`;
}

/** The setting that gave a name that does not exist, with where it was set: the other fix of an NXDOMAIN. */
function nameFix(t: Target, field: string | undefined): string {
  const s = field ? setting(t, field) : undefined;
  if (!s?.key || s.origin === 'unset' || s.origin === 'derived') return 'fix the name in the values / admin.endpoint';
  return `fix the name in ${s.key} (${whereSet(s)})`;
}

/**
 * Follows the CNAME chain of `host` one record at a time (a CNAME query needs no chasing, so a
 * resolver answers it even where the chase loops or SERVFAILs): the names in order, and whether the
 * chain comes back to a name already in it. Bounded by `timeoutMs` overall.
 */
export async function cnameChain(host: string, dnsServer: string | undefined, timeoutMs: number): Promise<{ chain: string[]; loop: boolean; endCode?: string }> {
  const dns = await import('node:dns');
  const r = new dns.promises.Resolver({ timeout: Math.max(200, Math.min(timeoutMs, 1500)), tries: 1 });
  if (dnsServer) r.setServers([dnsServer]);
  const deadline = Date.now() + timeoutMs;
  const norm = (n: string) => n.toLowerCase().replace(/\.$/, '');
  const chain = [norm(host)];
  for (let i = 0; i < 16; i++) {
    const left = deadline - Date.now();
    if (left <= 0) return { chain, loop: false, endCode: 'ETIMEOUT' };
    let next: string | undefined;
    try {
      let t: NodeJS.Timeout | undefined;
      const answer = await Promise.race([
        r.resolveCname(chain[chain.length - 1]!),
        new Promise<never>((_, rej) => { t = setTimeout(() => { r.cancel(); rej(Object.assign(new Error('timeout'), { code: 'ETIMEOUT' })); }, left); }),
      ]).finally(() => clearTimeout(t));
      next = answer[0];
    } catch (e) {
      return { chain, loop: false, endCode: (e as NodeJS.ErrnoException)?.code ?? 'EOTHER' };
    }
    if (!next) return { chain, loop: false, endCode: 'ENODATA' };
    const n = norm(next);
    if (chain.includes(n)) return { chain: [...chain, n], loop: true };
    chain.push(n);
  }
  return { chain, loop: true }; // 16 aliases deep: every resolver gives up long before (glibc after 8-16)
}

/** Shared by dns.admin.resolve and dns.hosts.resolve. */
export async function dnsOutcome(ctx: CheckContext, host: string, role: string, timeoutMs: number, field?: string): Promise<Outcome<DnsId>> {
  const viaFlag = !!ctx.target.dnsServer;
  const resolver = viaFlag ? `--dns-server ${ctx.target.dnsServer}` : 'the system resolver';
  const { isIP } = await import('node:net');
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare)) return { status: 'pass', messageId: 'ipLiteral', message: `${host} is an IP address (${role}); nothing to resolve`, details: { host, addresses: [bare], resolver: 'none (IP literal)' } };
  const key = cause.dns(bare);
  if (!validHostName(bare)) {
    const tpl = bare.includes('{{');
    // a URL or host:port in a host setting: the host inside it is what was meant
    const parts = tpl ? undefined : hostValueParts(host);
    if (parts) {
      const s = field ? setting(ctx.target, field) : undefined;
      const key = s?.key ?? `the ${role}`;
      return { status: 'fail', messageId: 'invalidName', cause: cause.dns(bare), message: `${JSON.stringify(host)} (${role}${s && s.origin !== 'unset' ? `, ${whereSet(s)}` : ''}) ${parts.why}: no host has that name`,
        hint: `set ${key} to ${parts.host}${s?.file && s.file !== '--set' ? ` in ${s.file}` : ''}${portFix(ctx.target, field, parts.port)}`, details: { host, meant: parts.host, ...(parts.port !== undefined ? { port: parts.port } : {}) } };
    }
    return { status: 'fail', messageId: 'invalidName', cause: key, message: `${JSON.stringify(host.length > 120 ? `${host.slice(0, 117)}...` : host)} (${role}) is not a valid host name${tpl ? ': a Helm template the chart renders at install time' : ''}`,
      hint: tpl ? `give the rendered name (e.g. --set with the value \`helm template\` produces), or check the render itself: \`helm template … | flyte-doctor preflight --manifests -\`` : `set the ${role} to a DNS name or an IP address (letters, digits, '-', '.')`, details: { host } };
  }
  const internal = isClusterInternal(bare);
  try {
    const r = await resolveDetailed(bare, ctx.target.dnsServer, internal ? Math.min(timeoutMs, 1500) : timeoutMs);
    const details = { host, addresses: r.addresses, v4: r.v4, v6: r.v6, resolver, ...(r.cname ? { cname: r.cname } : {}) };
    const via = r.cname ? ` through the CNAME ${r.cname}` : '';
    if (internal) return { status: 'pass', messageId: 'clusterInternalResolves', message: `${host} is a cluster-internal name (${role}) that also resolves from this machine, to ${r.addresses.join(', ')} (via ${resolver})`, details };
    if (!r.v4.length && r.v6.length) {
      return { status: 'warn', messageId: 'ipv6Only', cause: key, message: `${host} resolves only to IPv6 (${r.v6.join(', ')})${via}: NOERROR with AAAA records and no A record (${role}, via ${resolver})`, hint: `add an A record for ${host} (next to the AAAA), e.g. the load balancer's IPv4 address: clients and networks without IPv6 cannot reach it`, details };
    }
    // A private address (RFC 1918, CGNAT, ULA): this machine's answer. Whether clients elsewhere get
    // the same one, a public one (split-horizon DNS) or none cannot be seen from here: said so.
    const priv = r.addresses.filter((a) => isPrivateAddress(a));
    if (priv.length) {
      const all = priv.length === r.addresses.length;
      return { status: 'pass', messageId: 'resolvedPrivate', message: `${host} resolves to ${r.addresses.join(', ')}${via} (${role}, via ${resolver}); ${all ? (priv.length > 1 ? 'these are private network addresses' : 'a private network address') : `${priv.join(', ')} ${priv.length === 1 ? 'is a private network address' : 'are private network addresses'}`} (RFC 1918 / CGNAT / IPv6 ULA): reachable only from inside that network (VPC, VPN, office). That is the answer this machine gets; whether clients elsewhere get the same, a public address (split-horizon DNS) or nothing cannot be judged from here`,
        details: { ...details, private: priv } };
    }
    return { status: 'pass', messageId: 'resolved', message: `${host} resolves to ${r.addresses.join(', ')}${via} (${role}, via ${resolver})`, details };
  } catch (e) {
    if (!(e instanceof DnsError)) throw e;
    const details = { host, resolver, code: e.code, kind: e.kind, ...(e.cnameTarget ? { cnameTarget: e.cnameTarget } : {}) };
    if (internal && !ctx.target.inCluster) {
      return { status: 'warn', messageId: 'clusterInternal', cause: key, message: `${host} is a cluster-internal name (${role}): it resolves only inside the cluster (${resolver}: ${e.kind}), so it cannot be checked from this machine`, hint: 'run flyte-doctor with --in-cluster to check it from inside the cluster; from a laptop, dial the ingress host instead (or a port-forward on localhost)', details };
    }
    const other = viaFlag ? ' (asked --dns-server only: the system resolver may know more)' : '';
    // An alias: follow its chain record by record. The name that is missing (or has no address) is
    // the chain's last one, not the first target; a chain that comes back on itself is a loop
    // (resolvers answer SERVFAIL or an answer without address for it).
    if (e.cnameTarget || e.kind === 'servfail') {
      const walk = await cnameChain(bare, ctx.target.dnsServer, Math.min(2500, Math.max(300, timeoutMs)));
      const shown = walk.chain.join(' → ');
      const last = walk.chain[walk.chain.length - 1]!;
      if (walk.loop && walk.chain.length > 1) {
        return { status: 'fail', messageId: 'cnameLoop', cause: key, message: `${host} is a CNAME loop (${shown}): no name in the chain has an address, so no client can resolve it (${e.kind === 'servfail' ? 'SERVFAIL' : e.code} from ${resolver}); ${role}`,
          hint: `point the CNAME ${bare} at the load balancer's name (kubectl get ingress -o wide shows it), or replace one record of the loop with an A record: ${walk.chain[walk.chain.length - 2]} → ${last} closes it`, details: { ...details, cnameChain: walk.chain } };
      }
      if (walk.chain.length > 2 && (e.kind === 'nxdomain' || e.kind === 'nodata')) {
        const missing = e.kind === 'nxdomain' && walk.endCode === 'ENOTFOUND';
        return { status: 'fail', messageId: 'danglingCname', cause: key,
          message: `${host} is a chain of CNAMEs (${shown}) whose last name ${last} ${missing ? 'does not exist (NXDOMAIN' : 'has no A/AAAA record (NOERROR without data'} from ${resolver}); ${role}`,
          hint: missing ? `point ${walk.chain[walk.chain.length - 2]} (the CNAME to ${last}) at the load balancer's current name, or replace it with an A record: ${last} is gone (a deleted load balancer?)` : `give ${last} an address record, or point ${walk.chain[walk.chain.length - 2]} at the load balancer's current name`,
          details: { ...details, cnameTarget: last, cnameChain: walk.chain } };
      }
    }
    switch (e.kind) {
      case 'nxdomain':
        if (e.cnameTarget) return { status: 'fail', messageId: 'danglingCname', cause: key, message: `${host} is a CNAME to ${e.cnameTarget}, which does not exist (NXDOMAIN from ${resolver}); ${role}`, hint: `point the CNAME ${host} at the load balancer's current name (kubectl get ingress -o wide shows it), or replace it with an A record: ${e.cnameTarget} is gone (a deleted load balancer?)`, details };
        return { status: 'fail', messageId: 'nxdomain', cause: key, message: `${host} does not exist (NXDOMAIN from ${resolver})${other}; ${role}`, hint: `create a DNS record for ${host} (for the ingress: an A/CNAME to the load balancer address shown by kubectl get ingress -o wide), or ${nameFix(ctx.target, field)}`, details };
      case 'nodata':
        if (e.cnameTarget) return { status: 'fail', messageId: 'danglingCname', cause: key, message: `${host} is a CNAME to ${e.cnameTarget}, which has no A/AAAA record (${resolver}); ${role}`, hint: `give ${e.cnameTarget} an address record, or point the CNAME ${host} at the load balancer's current name`, details };
        return { status: 'fail', messageId: 'noAddress', cause: key, message: `${host} exists but has no A or AAAA record (NOERROR without data from ${resolver}); ${role}`, hint: `add an A (or AAAA, or CNAME to the load balancer) record for ${host}: the name exists only with other record types`, details };
      case 'servfail': return { status: 'fail', messageId: 'servfail', cause: key, message: `resolving ${host} failed with SERVFAIL from ${resolver}; ${role}`, hint: `the name servers of ${bare.split('.').slice(-2).join('.')} are broken or unreachable for ${resolver} (DNSSEC validation, lame delegation): fix the zone${viaFlag ? '' : ', or pass --dns-server host:port to ask another resolver'}`, details };
      case 'timeout': return { status: 'fail', messageId: 'dnsTimeout', cause: key, message: `no DNS answer for ${host} from ${resolver} within ${seconds(timeoutMs)}; ${role}`, hint: viaFlag ? `${ctx.target.dnsServer} does not answer from here: check the --dns-server address` : 'the resolver in /etc/resolv.conf is unreachable from here (VPN / split DNS?): fix it, or pass --dns-server host:port', details };
      case 'refused': return { status: 'fail', messageId: 'dnsRefused', cause: key, message: `${resolver} refused to resolve ${host}; ${role}`, hint: `${resolver} neither serves this zone nor recurses: use a resolver that knows ${host}${viaFlag ? ' (another --dns-server, or none for the system resolver)' : ' (--dns-server host:port)'}`, details };
      case 'unreachable': return { status: 'fail', messageId: 'dnsUnreachable', cause: key, message: `no DNS server answers at ${viaFlag ? ctx.target.dnsServer : 'the address in /etc/resolv.conf'} (connection refused: nothing listens on its port), so ${host} could not be looked up; ${role}`, hint: viaFlag ? `--dns-server ${ctx.target.dnsServer} is not a DNS server: give the resolver's host:port, or leave --dns-server out to use the system resolver` : 'the name server in /etc/resolv.conf does not run (a stopped systemd-resolved or dnsmasq?): start it, or pass --dns-server host:port', details };
      case 'tcpRefused': return { status: 'fail', messageId: 'dnsTcpRefused', cause: key, message: `${viaFlag ? resolver : 'the name server in /etc/resolv.conf'} answers the query for ${host} over UDP with the truncation flag set (the answer does not fit in UDP) and refuses DNS over TCP, which every resolver (Go's, glibc's, c-ares) then uses: ${host} cannot be looked up; ${role}`, hint: `let the resolver answer DNS over TCP on its port (a UDP-only forwarder, or a firewall blocking TCP ${viaFlag ? ctx.target.dnsServer!.replace(/^.*:/, '') : '53'}), or make the answer smaller (fewer A records for ${host})`, details };
      case 'badresponse': return { status: 'fail', messageId: 'dnsBadAnswer', cause: key, message: `${resolver} answered the query for ${host} with ${e.code === 'EFORMERR' ? 'FORMERR (it could not read a standard DNS query)' : e.code === 'EEOF' ? 'a connection closed in the middle of the answer (EEOF)' : 'something that is not a valid DNS answer (EBADRESP)'}; ${role}`, hint: viaFlag ? `check that ${ctx.target.dnsServer} is a DNS resolver (not another UDP service on that port, nor a middlebox rewriting DNS), or leave --dns-server out to use the system resolver` : 'the name server in /etc/resolv.conf (or a middlebox on the way) answers malformed DNS: fix it, or pass --dns-server host:port to ask another resolver', details };
      case 'notimp': return { status: 'fail', messageId: 'dnsNotImplemented', cause: key, message: `${resolver} does not implement the address query for ${host} (NOTIMP); ${role}`, hint: `use a recursive resolver that answers A/AAAA queries for ${host}${viaFlag ? ' (another --dns-server, or none for the system resolver)' : ' (--dns-server host:port)'}`, details };
      default: return { status: 'fail', messageId: 'dnsUnrecognised', cause: key, message: `resolving ${host} via ${resolver} failed: ${e.code} (${e.message}); ${role}`, hint: `\`dig ${bare}${viaFlag ? ` @${ctx.target.dnsServer!.replace(/:(\d+)$/, ' -p $1')}` : ''}\` shows the resolver's answer`, details };
    }
  }
}

export default defineCheck({
  id: 'dns.hosts.resolve',
  title: 'Every host the target names resolves',
  phases: ['preflight', 'verify'],
  timeoutMs: 8000,
  instances: (t) => namedHosts(t).map(({ key, label, fields }) => ({ key, label, ...(fields ? { fields } : {}) })),
  messages: DNS_MESSAGES,
  explain: {
    what: 'Resolves each host named by the target other than the admin endpoint: ingress/console host, database hosts, object-store endpoint, OIDC issuer; through the system resolver or `--dns-server` (the message says which).',
    why: 'A name that does not resolve from here is the first thing that breaks the console, registration (signed URLs) and login. NXDOMAIN, a dangling CNAME, SERVFAIL, a resolver timeout and a name with only AAAA records are different problems with different owners.',
    fix: 'Create the missing record, fix the resolver, or correct the host in the values. Cluster-internal names (*.svc) resolve only inside the cluster: they are reported as not checkable from here (use --in-cluster).',
  },
  async run(ctx) {
    const h = namedHosts(ctx.target).find((x) => x.key === ctx.instance?.key);
    if (!h) return { status: 'skip', message: 'host no longer in the target' };
    return dnsOutcome(ctx, h.host, h.role, probeTimeout(ctx), h.fields?.[0]);
  },
});
