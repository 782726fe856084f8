import { isObj, KubeError, kubectl } from '../../src/clients/kube.js';
import { DnsError, resolveHost } from '../../src/clients/resolve.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import { fixSetting } from '../../src/flyte/settings.js';
import { API_MESSAGES, withKube } from '../kubernetes/_support.js';

interface IngressObj { metadata: { name: string }; spec?: unknown; status?: unknown }

const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Rules and TLS hosts of an Ingress, and its load-balancer addresses; tolerant of odd shapes. */
export function ingressFacts(i: IngressObj): { hosts: (string | undefined)[]; tlsHosts: string[]; lb: { ip?: string; hostname?: string }[] } {
  const spec = isObj(i.spec) ? i.spec : {};
  const st = isObj(i.status) ? i.status : {};
  const hosts = arr(spec['rules']).filter(isObj).map((r) => (typeof r['host'] === 'string' && r['host'] ? r['host'] : undefined));
  const tlsHosts = arr(spec['tls']).filter(isObj).flatMap((t) => arr(t['hosts']).filter((h): h is string => typeof h === 'string'));
  const lbRaw = isObj(st['loadBalancer']) ? st['loadBalancer']['ingress'] : undefined;
  const lb = arr(lbRaw).filter(isObj).map((a) => ({ ...(typeof a['ip'] === 'string' && a['ip'] ? { ip: a['ip'] } : {}), ...(typeof a['hostname'] === 'string' && a['hostname'] ? { hostname: a['hostname'] } : {}) })).filter((a) => a.ip || a.hostname);
  return { hosts, tlsHosts, lb };
}

export default defineCheck({
  id: 'dns.ingress.address',
  title: 'The ingress host resolves to the address of its Ingress',
  phases: ['verify'],
  needs: ['ingress'],
  dependsOn: ['kubernetes.api.reachable'],
  timeoutMs: 8000,
  messages: {
    matches: { status: 'pass', summary: 'Every address the host resolves to belongs to its Ingress\'s load balancer.' },
    addressMismatch: { status: 'fail', summary: 'The host resolves only to addresses that are not its Ingress\'s: the DNS record points elsewhere.' },
    staleAddress: { status: 'fail', summary: 'The host resolves to its Ingress\'s address and to others that are not: the stale ones are named.' },
    rotatingAddress: { status: 'warn', summary: 'The host resolves to an address its load-balancer host name does not give right now (the load balancer\'s addresses may rotate).' },
    noResolve: { status: 'fail', summary: 'The host does not resolve at all.' },
    notProvisioned: { status: 'warn', summary: 'The Ingress has no load-balancer address yet (the controller has not provisioned it).' },
    noIngress: { status: 'warn', summary: 'No Ingress in the namespace serves the host.' },
    cannotList: { status: 'warn', summary: 'The identity may not list Ingresses, so the DNS record cannot be compared with them.' },
    noHost: { status: 'skip', summary: 'No ingress host is configured.' },
    ...API_MESSAGES,
  },
  explain: {
    what: 'Lists the Ingresses of the Flyte namespace, takes those whose rules name the ingress host, and compares every address the host resolves to (system resolver or --dns-server) with the addresses in their status (load balancer IPs, or the addresses of its hostname, e.g. an ALB). An address that is not the Ingress\'s is named.',
    why: 'A DNS record left pointing at an old or another load balancer sends flytectl, pyflyte and the console somewhere else: TLS errors, 404s or timeouts far from the cause. With one stale address among several, clients fail only some of the time. An Ingress without an address means the controller never provisioned a load balancer.',
    fix: 'Point the DNS record of the host at the Ingress address only (external-dns, Route 53, Cloud DNS, your DNS provider) and remove stale records; if the Ingress has no address, look at the ingress controller (`kubectl describe ingress`), its class, and its events.',
  },
  async run(ctx) {
    const ing = ctx.target.ingress!;
    const host = ing.host ?? ctx.target.client.host;
    if (!host) return { status: 'skip', messageId: 'noHost', message: 'no ingress host configured' };
    const ns = ctx.target.kubernetes.namespace;
    const k = kubectl(ctx.target.kubernetes, ns);
    return withKube(ctx, `the Ingresses in ${ns}`, async (s, signal) => {
      let items: IngressObj[];
      try {
        items = await s.list<IngressObj>(`/apis/networking.k8s.io/v1/namespaces/${encodeURIComponent(ns)}/ingresses`, signal);
      } catch (e) {
        if (e instanceof KubeError && e.kind === 'forbidden') {
          return { status: 'warn' as const, messageId: 'cannotList' as const, message: `user "${s.identity.user}" may not list Ingresses in ${ns}, so the DNS record of ${host} cannot be compared with them`, hint: `check as an admin: \`${k} get ingress -o wide\``, details: { error: e.message } };
        }
        throw e;
      }
      // a rule without a host serves every host
      const facts = items.map((i) => ({ name: i.metadata.name, ...ingressFacts(i) }));
      const mine = facts.filter((f) => f.hosts.some((h) => !h || h === host) || f.tlsHosts.includes(host));
      if (!mine.length) {
        const createKey = ctx.target.chart === 'flyte-core' ? 'common.ingress.enabled' : 'ingress.create';
        const fixes = [fixSetting(ctx.target, 'ingress.host', `${ing.valuesKey}.host`, host), fixSetting(ctx.target, 'ingress.enabled', createKey, true)].filter((x): x is string => !!x);
        // The Ingresses there serve the host the client dials: the values' host is not the installed one.
        // No Ingress at all: nothing is installed in that namespace (the fault of kubernetes.namespace.exists / flyte.deployments.ready).
        const clientHost = ctx.target.client.host;
        const served = clientHost && clientHost !== host && facts.some((f) => f.hosts.includes(clientHost) || f.tlsHosts.includes(clientHost)) ? clientHost : undefined;
        const hostFix = served ? fixSetting(ctx.target, 'ingress.host', `${ing.valuesKey}.host`, served) : undefined;
        const hint = hostFix
          ? `${hostFix}: the Ingresses in ${ns} serve ${served}, the host admin.endpoint dials, so the values' ${host} is not the installed host (or roll out these values with helm upgrade, and give ${host} its DNS record and certificate); \`${k} get ingress\``
          : fixes.length
            ? `${fixes.join('; ')}; or check \`${k} get ingress\``
            : `the values already render an Ingress for ${host}, but none is in namespace ${ns}: the release is not installed here (-n) or was installed with other values (\`helm get values <release> -n ${ns}\`); \`${k} get ingress\``;
        return { status: 'warn' as const, messageId: 'noIngress' as const, cause: items.length ? cause.config(`${ing.valuesKey}.host=${host}`) : cause.object('flyte-install', ns, ctx.target.chart ?? 'flyte-binary'), message: `no Ingress in namespace ${ns} serves host ${host} (${items.length} Ingress${items.length === 1 ? '' : 'es'} there${served ? `; they serve ${served}` : ''})`, hint, details: { host, namespace: ns, ingresses: items.map((i) => i.metadata.name), ...(served ? { servedHost: served } : {}) } };
      }
      const lb = mine.flatMap((f) => f.lb.map((a) => ({ ingress: f.name, ...a })));
      if (!lb.length) {
        return { status: 'warn' as const, messageId: 'notProvisioned' as const, message: `Ingress ${mine.map((i) => i.name).join(', ')} for ${host} has no load-balancer address yet`, hint: `the ingress controller has not provisioned it: \`${k} describe ingress ${mine[0]!.name}\` (class, controller logs, events)`, details: { host, ingresses: mine.map((i) => i.name) } };
      }
      const budget = Math.max(500, ctx.remainingMs() - 500);
      const shown = lb.map((a) => a.ip ?? a.hostname).join(', ');
      let resolved: string[];
      try {
        resolved = (await resolveHost(host, ctx.target.dnsServer, budget)).addresses;
      } catch (e) {
        if (!(e instanceof DnsError)) throw e;
        return { status: 'fail' as const, messageId: 'noResolve' as const, cause: cause.dns(host), message: `${host} does not resolve (${e.message}); its Ingress has address ${shown}`, hint: `create the DNS record ${host} → ${shown}`, details: { host, kind: e.kind } };
      }
      const expected = new Set<string>();
      const byHostname = lb.some((a) => a.hostname && !a.ip);
      for (const a of lb) {
        if (a.ip) expected.add(a.ip);
        if (a.hostname) {
          // twice: a load balancer's host name may hand out a rotating subset of its addresses
          for (let i = 0; i < 2; i++) {
            try { for (const x of (await resolveHost(a.hostname, ctx.target.dnsServer, Math.min(2000, budget))).addresses) expected.add(x); } catch { /* an unresolvable LB hostname simply matches nothing */ }
          }
        }
      }
      const ingresses = [...new Set(lb.map((a) => a.ingress))];
      const stale = resolved.filter((r) => !expected.has(r));
      const details = { host, resolved, ingressAddresses: lb.map((a) => a.ip ?? a.hostname ?? ''), expected: [...expected], ingresses, stale };
      if (stale.length === 0) {
        return { status: 'pass' as const, messageId: 'matches' as const, message: `${host} resolves to ${resolved.join(', ')}, the address of Ingress ${ingresses.join(', ')} (${shown})`, details };
      }
      if (stale.length === resolved.length) {
        return { status: 'fail' as const, messageId: 'addressMismatch' as const, cause: cause.dns(host), message: `${host} resolves to ${resolved.join(', ')}, but its Ingress ${ingresses.join(', ')} has address ${shown}: the DNS record points elsewhere`, hint: `update the DNS record of ${host} to ${shown} (external-dns / your DNS provider); a stale record keeps clients on an old load balancer`, details };
      }
      if (byHostname) {
        return { status: 'warn' as const, messageId: 'rotatingAddress' as const, message: `${host} resolves to ${resolved.join(', ')}; ${stale.join(', ')} is not among the addresses of the load balancer ${shown} right now (they may rotate)`, hint: `make ${host} a CNAME (or alias record) of ${shown} rather than fixed addresses, so it follows the load balancer`, details };
      }
      return { status: 'fail' as const, messageId: 'staleAddress' as const, cause: cause.dns(host),
        message: `${host} resolves to ${resolved.join(', ')}: ${stale.join(', ')} ${stale.length === 1 ? 'is' : 'are'} not an address of its Ingress ${ingresses.join(', ')} (${shown}); clients that get ${stale.length === 1 ? 'it' : 'them'} reach something else some of the time`,
        hint: `remove the stale record${stale.length === 1 ? '' : 's'} ${stale.map((a) => `${host} → ${a}`).join(', ')} from the DNS zone (external-dns / your DNS provider), keeping ${shown}`, details };
    });
  },
});
