import { adminEndpoint, hostPort } from '../../src/config/endpoints.js';
import { defineCheck } from '../../src/engine/define.js';
import { clientFix, clientSettingText, clientUnset, ingressTlsSecretFix } from '../../src/flyte/client.js';
import { certNames, chartIngressHost, tlsCause, tlsView } from './_support.js';
import { handshakeNotFromHere } from './_support.js';
import { isIP } from 'node:net';

const CONTROLLER: Record<string, string> = { 'ingress-nginx': '"Kubernetes Ingress Controller Fake Certificate"', traefik: '"TRAEFIK DEFAULT CERT"', kong: 'Kong\'s default certificate' };

/** Does `name` (a SAN entry without prefix) cover `host`? Wildcards cover one label. */
function covers(name: string, host: string): boolean {
  const n = name.toLowerCase(), h = host.toLowerCase();
  if (n === h) return true;
  if (n.startsWith('*.')) { const rest = h.split('.').slice(1).join('.'); return rest === n.slice(2) && h.split('.').length > 2; }
  return false;
}

export default defineCheck({
  id: 'tls.admin.hostname',
  title: 'The admin certificate is valid for the endpoint host',
  phases: ['preflight', 'verify'],
  needs: ['endpoint'],
  dependsOn: ['tls.admin.handshake'],
  timeoutMs: 8000,
  messages: {
    nameMatches: { status: 'pass', summary: 'The endpoint host is in the certificate\'s subjectAltNames.' },
    nameMismatch: { status: 'fail', summary: 'The certificate is for other names than the host the client dials.' },
    nameMismatchSkipVerify: { status: 'fail', summary: 'The names do not match: flytectl accepts it only because insecureSkipVerify skips every check, pyflyte still fails.' },
    wrongNameDialled: { status: 'fail', summary: 'The client dials another name (an IP, a load balancer name) than the one the certificate and the Ingress are for.' },
    defaultCertificate: { status: 'fail', summary: 'The ingress serves its controller\'s default certificate (not for this host): the Ingress TLS Secret is missing or invalid.' },
    cnOnly: { status: 'fail', summary: 'The certificate has no subjectAltName, only a Common Name: Go clients (flytectl) refuse it.' },
  },
  explain: {
    what: 'Checks that the host of `admin.endpoint` is among the certificate\'s subjectAltNames (wildcards cover one label), lists the names the certificate has, and tells a client that dials the wrong name (an IP, the load balancer\'s own name) from an Ingress that serves a certificate for other names (its TLS Secret is missing or wrong).',
    why: 'Dialling the load balancer\'s own name or an IP while the certificate is for the vanity name fails with "x509: certificate is valid for X, not Y". pyflyte checks the name even with insecureSkipVerify.',
    fix: 'Dial a name on the certificate (fix DNS so that name reaches the ingress), or reissue the certificate with the dialled name in its SANs (the Ingress TLS Secret / cert-manager Certificate dnsNames).',
  },
  async run(ctx) {
    const { checkServerIdentity } = await import('node:tls');
    const notHere = handshakeNotFromHere(ctx);
    if (notHere) return notHere;
    const e = adminEndpoint(ctx.target)!;
    const where = hostPort(e);
    const v = await tlsView(ctx, e);
    const leaf = v.probe.chain[0];
    const names = certNames(v);
    const list = names.join(', ') || 'no names';
    const details = { endpoint: where, host: e.host, certificateNames: leaf?.altNames.length ? leaf.altNames : leaf?.commonName ? [`CN:${leaf.commonName}`] : [], subject: leaf?.subject ?? '' };
    const key = tlsCause(v.facts.defaultCert ? 'default-cert' : 'name', e);
    if (v.facts.defaultCert) {
      return { status: 'fail', messageId: 'defaultCertificate', cause: key, message: `${where} presents the ingress controller's default certificate ${CONTROLLER[v.facts.defaultCert]} (names: ${list}), not one for ${e.host}`, hint: `${ingressTlsSecretFix(ctx.target)}; do not dial ${list} or skip verification`, details };
    }
    const err = checkServerIdentity(e.host, v.probe.leaf);
    if (!err && v.facts.cnOnly) {
      return { status: 'fail', messageId: 'cnOnly', cause: key, message: `the certificate of ${where} has no subjectAltName, only CN=${leaf?.commonName}: flytectl (Go) refuses it ("x509: certificate relies on legacy Common Name field")`, hint: `reissue the certificate with ${e.host} in subjectAltName (cert-manager Certificate dnsNames; openssl -addext "subjectAltName=DNS:${e.host}")`, details };
    }
    if (!err) return { status: 'pass', messageId: 'nameMatches', message: `${e.host} is in the certificate of ${where} (names: ${list})`, details };
    const ingressHost = chartIngressHost(ctx.target);
    const onCert = names.find((n) => !n.includes('*') && !/^[\d.:]+$/.test(n));
    const port = e.port === 443 ? '' : `:${e.port}`;
    // A wildcard that looks like it covers the host but does not: the apex (*.example.com vs example.com) or two labels deep.
    const h = e.host.toLowerCase().replace(/\.$/, '');
    const wild = names.find((n) => n.startsWith('*.') && (h === n.slice(2).toLowerCase() || h.endsWith(`.${n.slice(2).toLowerCase()}`)));
    const wildNote = wild ? `; a wildcard covers exactly one label: ${wild} covers x.${wild.slice(2)}, not ${h === wild.slice(2).toLowerCase() ? `the apex ${e.host}` : `${e.host} (two or more labels deep)`}` : '';
    const wildFix = wild ? ` (list ${e.host} itself next to ${wild})` : '';
    if (ctx.target.client.insecureSkipVerify) {
      return { status: 'fail', messageId: 'nameMismatchSkipVerify', cause: key, message: `certificate of ${where} is valid for ${list}, not ${e.host}${wildNote}; ${clientSettingText(ctx.target, 'insecureSkipVerify')} hides it from flytectl only: pyflyte still fails (it trusts the served certificate but checks the host name and the dates)`, hint: `reissue the certificate with ${e.host} in subjectAltName${onCert ? `, or dial a name on it (${clientFix(ctx.target, 'endpoint', `dns:///${onCert}${port}`) ?? `admin.endpoint: dns:///${onCert}${port}`})` : ''}; then ${clientUnset(ctx.target, 'insecureSkipVerify')}`, details };
    }
    // The client dials another name than the one the Ingress (and its certificate) is for.
    if (ingressHost && ingressHost.toLowerCase() !== e.host.toLowerCase() && names.some((n) => covers(n, ingressHost))) {
      const fix = clientFix(ctx.target, 'endpoint', `dns:///${ingressHost}${port}`);
      return { status: 'fail', messageId: 'wrongNameDialled', cause: key, message: `the client dials ${e.host}, but the certificate of ${where} is for ${list} (the Ingress host is ${ingressHost})`, hint: `${fix ?? `dial ${ingressHost}`}: the certificate and the Ingress are for ${ingressHost}; make that name resolve to the load balancer (DNS record), rather than dialling ${e.host}`, details };
    }
    // An IP endpoint: no SNI is sent (the server picks its default certificate), and Go and Node match an IP only against IP SANs.
    if (isIP(e.host) && onCert) {
      const fix = clientFix(ctx.target, 'endpoint', `dns:///${onCert}${port}`) ?? `admin.endpoint: dns:///${onCert}${port}`;
      return { status: 'fail', messageId: 'nameMismatch', cause: key, message: `the client dials the IP address ${e.host}, but the certificate of ${where} is for ${list} (no IP SAN ${e.host}): an IP is matched only against IP SANs (Go: "x509: cannot validate certificate for ${e.host} because it doesn't contain any IP SANs"), and a client dialling an IP sends no SNI, so the server answers with its default certificate`, hint: `dial the DNS name instead (${fix}), so that SNI selects the right certificate; or add ${e.host} as an IP SAN (cert-manager Certificate ipAddresses; openssl subjectAltName=IP:${e.host})`, details };
    }
    const onIngress = !ingressHost || ingressHost.toLowerCase() === e.host.toLowerCase();
    return {
      status: 'fail', messageId: 'nameMismatch', cause: key, message: `certificate of ${where} is valid for ${list}, not ${e.host}${wildNote}`,
      hint: onIngress
        ? `the Ingress for ${e.host} serves a certificate for other names: reissue it with ${e.host} in subjectAltName${wildFix} (cert-manager Certificate dnsNames), or ${ingressTlsSecretFix(ctx.target)}${onCert ? `; or dial the name on it (admin.endpoint: dns:///${onCert}${port})` : ''}`
        : `reissue the certificate with ${e.host} in subjectAltName${wildFix}${onCert ? `, or dial the name on it (${clientFix(ctx.target, 'endpoint', `dns:///${onCert}${port}`) ?? `admin.endpoint: dns:///${onCert}${port}`})` : ''}`,
      details,
    };
  },
});
