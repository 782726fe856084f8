import { KubeError, kubeSession, kubectl } from '../../src/clients/kube.js';
import { DnsError, resolveHost } from '../../src/clients/resolve.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext, Outcome } from '../../src/engine/types.js';

interface IngressObj {
  metadata: { name: string };
  spec?: { rules?: { host?: string }[]; tls?: { hosts?: string[] }[] };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

export default defineCheck({
  id: 'dns.ingress.address',
  title: 'The ingress host resolves to the address of its Ingress',
  phases: ['verify'],
  needs: ['ingress'],
  dependsOn: ['kubernetes.api.reachable'],
  timeoutMs: 8000,
  explain: {
    what: 'Lists the Ingresses of the Flyte namespace, takes those whose rules name the ingress host, and compares what the host resolves to (system resolver or --dns-server) with the addresses in their status (load balancer IPs, or the addresses of its hostname, e.g. an ALB).',
    why: 'A DNS record left pointing at an old or another load balancer sends flytectl, pyflyte and the console somewhere else: TLS errors, 404s or timeouts far from the cause. An Ingress without an address means the controller never provisioned a load balancer.',
    fix: 'Point the DNS record of the host at the Ingress address (external-dns, Route 53, Cloud DNS, your DNS provider); if the Ingress has no address, look at the ingress controller (`kubectl describe ingress`), its class, and its events.',
  },
  async run(ctx: CheckContext): Promise<Outcome> {
    const ing = ctx.target.ingress!;
    const host = ing.host ?? ctx.target.client.host;
    if (!host) return { status: 'skip', message: 'no ingress host configured' };
    const ns = ctx.target.kubernetes.namespace;
    const k = kubectl(ctx.target.kubernetes, ns);
    const s = await kubeSession(ctx);
    let items: IngressObj[];
    try {
      items = await s.list<IngressObj>(`/apis/networking.k8s.io/v1/namespaces/${encodeURIComponent(ns)}/ingresses`, ctx.signal);
    } catch (e) {
      if (e instanceof KubeError && e.kind === 'forbidden') {
        return { status: 'warn', messageId: 'cannotList', message: `user "${s.identity.user}" may not list Ingresses in ${ns}, so the DNS record of ${host} cannot be compared with them`, hint: `check as an admin: \`${k} get ingress -o wide\``, details: { error: e.message } };
      }
      throw e;
    }
    // a rule without a host serves every host
    const mine = items.filter((i) => (i.spec?.rules ?? []).some((r) => !r.host || r.host === host) || (i.spec?.tls ?? []).some((t) => t.hosts?.includes(host)));
    if (!mine.length) {
      return { status: 'warn', messageId: 'noIngress', message: `no Ingress in namespace ${ns} serves host ${host} (${items.length} Ingress${items.length === 1 ? '' : 'es'} there)`, hint: `set ${ing.valuesKey}.host to ${host} (and ${ctx.target.chart === 'flyte-core' ? 'common.ingress.enabled: true' : 'ingress.create: true'}), or check \`${k} get ingress\``, details: { host, namespace: ns, ingresses: items.map((i) => i.metadata.name) } };
    }
    const lb = mine.flatMap((i) => (i.status?.loadBalancer?.ingress ?? []).map((a) => ({ ingress: i.metadata.name, ip: a.ip, hostname: a.hostname })));
    if (!lb.length) {
      return { status: 'warn', messageId: 'notProvisioned', message: `Ingress ${mine.map((i) => i.metadata.name).join(', ')} for ${host} has no load-balancer address yet`, hint: `the ingress controller has not provisioned it: \`${k} describe ingress ${mine[0]!.metadata.name}\` (class, controller logs, events)`, details: { host, ingresses: mine.map((i) => i.metadata.name) } };
    }
    const budget = Math.max(500, ctx.remainingMs() - 300);
    let resolved: string[];
    try {
      resolved = (await resolveHost(host, ctx.target.dnsServer, budget)).addresses;
    } catch (e) {
      if (!(e instanceof DnsError)) throw e;
      return { status: 'fail', messageId: 'noResolve', message: `${host} does not resolve (${e.message}); its Ingress has address ${lb.map((a) => a.ip ?? a.hostname).join(', ')}`, hint: `create the DNS record ${host} → ${lb.map((a) => a.ip ?? a.hostname).join(', ')}`, details: { host, kind: e.kind } };
    }
    const expected = new Set<string>();
    for (const a of lb) {
      if (a.ip) expected.add(a.ip);
      if (a.hostname) {
        try { for (const x of (await resolveHost(a.hostname, ctx.target.dnsServer, budget)).addresses) expected.add(x); } catch { /* an unresolvable LB hostname simply matches nothing */ }
      }
    }
    const shown = lb.map((a) => a.ip ?? a.hostname).join(', ');
    const details = { host, resolved, ingressAddresses: lb.map((a) => a.ip ?? a.hostname ?? ''), expected: [...expected], ingresses: [...new Set(lb.map((a) => a.ingress))] };
    if (resolved.some((r) => expected.has(r))) {
      return { status: 'pass', message: `${host} resolves to ${resolved.join(', ')}, the address of Ingress ${details.ingresses.join(', ')} (${shown})`, details };
    }
    return { status: 'fail', messageId: 'addressMismatch', message: `${host} resolves to ${resolved.join(', ')}, but its Ingress ${details.ingresses.join(', ')} has address ${shown}: the DNS record points elsewhere`, hint: `update the DNS record of ${host} to ${shown} (external-dns / your DNS provider); a stale record keeps clients on an old load balancer`, details };
  },
});
