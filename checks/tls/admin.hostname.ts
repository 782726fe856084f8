import { adminEndpoint, hostPort } from '../../src/config/endpoints.js';
import { probeTimeout } from '../../src/engine/budget.js';
import { sharedTlsProbe } from '../../src/clients/tls.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext, Outcome } from '../../src/engine/types.js';

export default defineCheck({
  id: 'tls.admin.hostname',
  title: 'The admin certificate is valid for the endpoint host',
  phases: ['preflight', 'verify'],
  needs: ['endpoint'],
  dependsOn: ['tls.admin.handshake'],
  timeoutMs: 8000,
  explain: {
    what: 'Checks that the host of `admin.endpoint` is among the certificate\'s subjectAltNames (wildcards cover one label), and lists the names the certificate has.',
    why: 'Dialling the load balancer\'s own name or an IP while the certificate is for the vanity name fails with "x509: certificate is valid for X, not Y".',
    fix: 'Dial a name on the certificate (fix DNS so that name reaches the ingress), or reissue the certificate with the dialled name in its SANs.',
  },
  async run(ctx: CheckContext): Promise<Outcome> {
    const { checkServerIdentity } = await import('node:tls');
    const e = adminEndpoint(ctx.target)!;
    const where = hostPort(e);
    const p = await sharedTlsProbe(ctx, e, probeTimeout(ctx));
    const leaf = p.chain[0];
    const names = leaf?.altNames.length ? leaf.altNames : leaf?.commonName ? [`CN:${leaf.commonName}`] : [];
    const details = { endpoint: where, host: e.host, certificateNames: names, subject: leaf?.subject ?? '' };
    const err = checkServerIdentity(e.host, p.leaf);
    if (!err) return { status: 'pass', message: `${e.host} is in the certificate of ${where} (names: ${names.join(', ')})`, details };
    const list = names.map((n) => n.replace(/^(DNS|IP|CN):/, '')).join(', ') || 'no names';
    if (ctx.target.client.insecureSkipVerify) {
      return { status: 'warn', messageId: 'mismatchSkipVerify', message: `certificate of ${where} is valid for ${list}, not ${e.host}; works only because admin.insecureSkipVerify is true`, hint: `dial a name on the certificate (admin.endpoint: dns:///${names.find((n) => n.startsWith('DNS:') && !n.includes('*'))?.slice(4) ?? '<name on the certificate>'}:${e.port}) or reissue it with ${e.host} in subjectAltName, then set admin.insecureSkipVerify: false`, details };
    }
    const onCert = names.find((n) => n.startsWith('DNS:') && !n.includes('*'))?.slice(4);
    return {
      status: 'fail', messageId: 'hostnameMismatch', message: `certificate of ${where} is valid for ${list}, not ${e.host}`,
      hint: `reissue the certificate with ${e.host} in subjectAltName (ingress TLS Secret / cert-manager Certificate dnsNames, and the ingress host ${ctx.target.ingress?.valuesKey ?? 'ingress'}.host)${onCert ? `, or dial the name on it: admin.endpoint: dns:///${onCert}${e.port === 443 ? '' : `:${e.port}`}` : ''}`,
      details,
    };
  },
});
