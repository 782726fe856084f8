import { adminEndpoint, hostPort } from '../../src/config/endpoints.js';
import { probeTimeout } from '../../src/engine/budget.js';
import { sharedTlsProbe } from '../../src/clients/tls.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext, Outcome } from '../../src/engine/types.js';

const DAY = 86_400_000;
export const WARN_DAYS = 21;

export default defineCheck({
  id: 'tls.admin.expiry',
  title: 'The admin certificate is not expired or about to expire',
  phases: ['preflight', 'verify'],
  needs: ['endpoint'],
  dependsOn: ['tls.admin.handshake'],
  timeoutMs: 8000,
  explain: {
    what: `Reads the validity dates of the certificates the admin endpoint presents (leaf and intermediates): fail when expired or not yet valid, warn when one expires within ${WARN_DAYS} days.`,
    why: 'An expired certificate breaks every client at once ("certificate has expired"); cert-manager renewals fail silently when the issuer or the HTTP-01 route is broken.',
    fix: 'Renew the certificate in the ingress TLS Secret; with cert-manager check `kubectl describe certificate` and the Issuer.',
  },
  async run(ctx: CheckContext): Promise<Outcome> {
    const e = adminEndpoint(ctx.target)!;
    const where = hostPort(e);
    const p = await sharedTlsProbe(ctx, e, probeTimeout(ctx));
    const now = ctx.clock.now();
    const certs = p.chain.filter((c, i) => i === 0 || !c.selfIssued);
    const leaf = certs[0]!;
    const details = { endpoint: where, subject: leaf.subject, notBefore: new Date(leaf.notBeforeMs).toISOString(), notAfter: new Date(leaf.notAfterMs).toISOString(), daysLeft: Math.floor((leaf.notAfterMs - now) / DAY) };
    const hint = 'renew the certificate in the ingress TLS Secret (cert-manager: kubectl describe certificate -n <ns>; check the Issuer and the ACME challenge route)';
    const expired = certs.find((c) => c.notAfterMs < now);
    if (expired) return { status: 'fail', messageId: 'expired', message: `certificate "${expired.subject}" of ${where} expired on ${new Date(expired.notAfterMs).toISOString().slice(0, 10)} (${Math.ceil((now - expired.notAfterMs) / DAY)} days ago)`, hint, details };
    const early = certs.find((c) => c.notBeforeMs > now);
    if (early) return { status: 'fail', messageId: 'notYetValid', message: `certificate "${early.subject}" of ${where} is valid only from ${new Date(early.notBeforeMs).toISOString()}`, hint: 'check the clock of this machine and of the issuer; reissue the certificate', details };
    const soonest = certs.reduce((a, c) => (c.notAfterMs < a.notAfterMs ? c : a));
    const days = Math.floor((soonest.notAfterMs - now) / DAY);
    if (days < WARN_DAYS) return { status: 'warn', messageId: 'expiresSoon', message: `certificate "${soonest.subject}" of ${where} expires in ${days} days (${new Date(soonest.notAfterMs).toISOString().slice(0, 10)})`, hint, details };
    return { status: 'pass', message: `certificate of ${where} valid until ${new Date(leaf.notAfterMs).toISOString().slice(0, 10)} (${details.daysLeft} days)`, details };
  },
});
