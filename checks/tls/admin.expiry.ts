import { adminEndpoint, hostPort } from '../../src/config/endpoints.js';
import { defineCheck } from '../../src/engine/define.js';
import { CLIENT_BEHAVIOUR } from '../../src/flyte/client.js';
import { tlsCause, tlsView } from './_support.js';
import { handshakeNotFromHere } from './_support.js';

const DAY = 86_400_000;
export const WARN_DAYS = 21;
const date = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export default defineCheck({
  id: 'tls.admin.expiry',
  title: 'The admin certificate is not expired or about to expire',
  phases: ['preflight', 'verify'],
  needs: ['endpoint'],
  dependsOn: ['tls.admin.handshake'],
  timeoutMs: 8000,
  messages: {
    valid: { status: 'pass', summary: 'Every certificate the server sends is valid for more than three weeks.' },
    expiresSoon: { status: 'warn', summary: `A certificate of the chain expires within ${WARN_DAYS} days.` },
    expired: { status: 'fail', summary: 'A certificate of the chain (leaf or intermediate) has expired.' },
    notYetValid: { status: 'fail', summary: 'A certificate of the chain is not valid yet (its notBefore is in the future, or this machine\'s clock is behind).' },
  },
  explain: {
    what: `Reads the validity dates of the certificates the admin endpoint presents (leaf and intermediates): fail when one is expired or not yet valid, warn when one expires within ${WARN_DAYS} days.`,
    why: 'An expired certificate breaks every client at once ("certificate has expired"); cert-manager renewals fail silently when the issuer or the HTTP-01 route is broken. insecureSkipVerify does not help pyflyte: it still checks the dates.',
    fix: 'Renew the certificate in the ingress TLS Secret; with cert-manager check `kubectl describe certificate` and the Issuer.',
  },
  async run(ctx) {
    const notHere = handshakeNotFromHere(ctx);
    if (notHere) return notHere;
    const e = adminEndpoint(ctx.target)!;
    const where = hostPort(e);
    const { probe: p } = await tlsView(ctx, e);
    const now = ctx.clock.now();
    // Judge what the server sends; a self-signed root it also sends is a trust anchor, not checked for dates by clients.
    const certs = p.chain.filter((c, i) => i === 0 || !c.selfIssued);
    const leaf = certs[0]!;
    const ns = ctx.target.kubernetes.namespace;
    const details = { endpoint: where, subject: leaf.subject, notBefore: new Date(leaf.notBeforeMs).toISOString(), notAfter: new Date(leaf.notAfterMs).toISOString(), daysLeft: Math.floor((leaf.notAfterMs - now) / DAY) };
    const renew = `renew the certificate in the Ingress TLS Secret (cert-manager: kubectl -n ${ns} describe certificate; check the Issuer and the ACME challenge route)`;
    const skip = ctx.target.client.insecureSkipVerify ? ` (insecureSkipVerify does not help: ${CLIENT_BEHAVIOUR.skipVerifyPyflyte})` : '';
    const expired = certs.find((c) => c.notAfterMs < now);
    if (expired) {
      const which = expired === leaf ? 'certificate' : 'intermediate certificate';
      return { status: 'fail', messageId: 'expired', cause: tlsCause('expired', e), message: `${which} "${expired.subject}" of ${where} expired on ${date(expired.notAfterMs)} (${Math.ceil((now - expired.notAfterMs) / DAY)} days ago)${skip}`, hint: expired === leaf ? renew : `serve the current intermediate of your CA in tls.crt of the TLS Secret (the one sent expired on ${date(expired.notAfterMs)})`, details };
    }
    const early = certs.find((c) => c.notBeforeMs > now);
    if (early) {
      return { status: 'fail', messageId: 'notYetValid', cause: tlsCause('expired', e), message: `certificate "${early.subject}" of ${where} is valid only from ${new Date(early.notBeforeMs).toISOString()} (this machine's clock says ${new Date(now).toISOString()})${skip}`, hint: 'check the clock of this machine (timedatectl; NTP) and the notBefore of the certificate: a certificate issued with a clock ahead must be reissued', details };
    }
    const soonest = certs.reduce((a, c) => (c.notAfterMs < a.notAfterMs ? c : a));
    const days = Math.floor((soonest.notAfterMs - now) / DAY);
    if (days < WARN_DAYS) {
      // An intermediate that runs out before the leaf is not renewed with the leaf: the Secret must carry the CA's current one.
      if (soonest !== leaf) return { status: 'warn', messageId: 'expiresSoon', message: `intermediate certificate "${soonest.subject}" that ${where} sends expires in ${days} days (${date(soonest.notAfterMs)}), before its leaf "${leaf.subject}" (${date(leaf.notAfterMs)})`, hint: `serve the current intermediate of your CA in tls.crt of the TLS Secret (leaf first, then the new intermediate); renewing the leaf alone keeps the old intermediate if the issuer still sends it`, details: { ...details, expiringIntermediate: soonest.subject, intermediateNotAfter: new Date(soonest.notAfterMs).toISOString() } };
      return { status: 'warn', messageId: 'expiresSoon', message: `certificate "${soonest.subject}" of ${where} expires in ${days} days (${date(soonest.notAfterMs)})`, hint: renew, details };
    }
    return { status: 'pass', messageId: 'valid', message: `certificate of ${where} valid until ${date(leaf.notAfterMs)} (${details.daysLeft} days)`, details };
  },
});
