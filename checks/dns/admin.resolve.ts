import { adminEndpoint } from '../../src/config/endpoints.js';
import { probeTimeout } from '../../src/engine/budget.js';
import { defineCheck } from '../../src/engine/define.js';
import { clientSource } from '../../src/flyte/client.js';
import { fixSetting } from '../../src/flyte/settings.js';
import { closeNames } from '../../src/distance.js';
import { DNS_MESSAGES, dnsOutcome } from './hosts.resolve.js';

export default defineCheck({
  id: 'dns.admin.resolve',
  title: 'The Flyte admin endpoint resolves',
  phases: ['preflight', 'verify'],
  needs: ['endpoint'],
  timeoutMs: 8000,
  messages: DNS_MESSAGES,
  explain: {
    what: 'Resolves the host of `admin.endpoint` (or the ingress gRPC address) through the system resolver, or through `--dns-server` (the message says which). A cluster-internal host (`flyteadmin.flyte.svc.cluster.local`, a single-label Service name) that does not resolve here is reported as not checkable from this machine, and the TLS and client checks of the endpoint are skipped.',
    why: 'flytectl and pyflyte dial this name; NXDOMAIN, a CNAME to a deleted load balancer, SERVFAIL, a resolver timeout and a name with only AAAA records are different problems with different owners.',
    fix: 'NXDOMAIN: create the record pointing at the ingress load balancer. Dangling CNAME: point it at the current load balancer. SERVFAIL: fix the zone/resolver. Timeout: the resolver is unreachable (VPN split DNS). A cluster-internal name: run with --in-cluster.',
  },
  async run(ctx) {
    const e = adminEndpoint(ctx.target)!;
    const from = e.source === 'admin.endpoint' ? `admin endpoint, ${clientSource(ctx.target, 'endpoint')}` : `admin endpoint (${e.source})`;
    const out = await dnsOutcome(ctx, e.host, from, probeTimeout(ctx));
    // A name that does not resolve, one typo away from the Ingress host the values name: say so.
    const ingressHost = ctx.target.ingress?.host;
    if ((out.messageId === 'nxdomain' || out.messageId === 'dnsRefused' || out.messageId === 'noAddress' || out.messageId === 'invalidName')
      && ingressHost && ingressHost.toLowerCase() !== e.host.toLowerCase() && closeNames(e.host, [ingressHost]).length) {
      const fixed = e.source === 'admin.endpoint' && ctx.target.client.endpoint ? ctx.target.client.endpoint.replace(e.host, ingressHost) : undefined;
      return {
        ...out,
        message: `${out.message}; the values' Ingress host is ${ingressHost}, one typo away`,
        hint: `${fixed ? `${fixSetting(ctx.target, 'client.endpoint', 'admin.endpoint', fixed) ?? `set admin.endpoint: ${fixed}`} if ${ingressHost} is the host meant; else ` : `use ${ingressHost} if that is the host meant; else `}${out.hint ?? ''}`,
        details: { ...(out.details ?? {}), ingressHost },
      } as typeof out;
    }
    return out;
  },
});
