import { adminEndpoint } from '../../src/config/endpoints.js';
import { probeTimeout } from '../../src/engine/budget.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext, Outcome } from '../../src/engine/types.js';
import { dnsOutcome } from './hosts.resolve.js';

export default defineCheck({
  id: 'dns.admin.resolve',
  title: 'The Flyte admin endpoint resolves',
  phases: ['preflight', 'verify'],
  needs: ['endpoint'],
  timeoutMs: 8000,
  explain: {
    what: 'Resolves the host of `admin.endpoint` (or the ingress gRPC address) through the system resolver, or through `--dns-server`.',
    why: 'flytectl and pyflyte dial this name; NXDOMAIN, SERVFAIL and a resolver timeout are different problems with different owners.',
    fix: 'NXDOMAIN: create the record pointing at the ingress load balancer. SERVFAIL: fix the zone/resolver. Timeout: the resolver is unreachable (VPN split DNS).',
  },
  async run(ctx: CheckContext): Promise<Outcome> {
    const e = adminEndpoint(ctx.target)!;
    return dnsOutcome(ctx, e.host, `admin endpoint (${e.source})`, probeTimeout(ctx));
  },
});
