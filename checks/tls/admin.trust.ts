import { adminEndpoint, hostPort } from '../../src/config/endpoints.js';
import { probeTimeout } from '../../src/engine/budget.js';
import { sharedTlsProbe } from '../../src/clients/tls.js';
import { clientTrust } from '../../src/clients/trust.js';
import { chainTrust } from '../../src/clients/tls.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext, Outcome } from '../../src/engine/types.js';

export function ingressTlsKey(chart: string | undefined, valuesKey = 'ingress'): string {
  return chart === 'flyte-core' ? `${valuesKey}.tls.enabled: true (and ${valuesKey}.tls.secretName)` : `${valuesKey}.tls (or ${valuesKey}.httpTls/grpcTls) with the certificate Secret`;
}

export default defineCheck({
  id: 'tls.admin.trust',
  title: 'The admin certificate chain is trusted (system store + caCertFilePath)',
  phases: ['preflight', 'verify'],
  needs: ['endpoint'],
  dependsOn: ['tls.admin.handshake'],
  timeoutMs: 8000,
  explain: {
    what: 'Checks that the chain the admin endpoint presents leads to a root of the system store (Node\'s bundled Mozilla roots), or to a certificate in `admin.caCertFilePath`. Dates and names are judged by tls.admin.expiry and tls.admin.hostname.',
    why: 'flytectl uses the system store plus caCertFilePath; pyflyte uses the roots bundled with Python gRPC. A private CA or a self-signed certificate fails with CERTIFICATE_VERIFY_FAILED / "certificate signed by unknown authority".',
    fix: 'Set `admin.caCertFilePath` to the CA PEM (flytekit: `FLYTE_PLATFORM_CA_CERT_FILE_PATH`), serve the full chain with intermediates, or use a publicly trusted certificate.',
  },
  async run(ctx: CheckContext): Promise<Outcome> {
    const e = adminEndpoint(ctx.target)!;
    const where = hostPort(e);
    const trust = await clientTrust(ctx.target);
    const p = await sharedTlsProbe(ctx, e, probeTimeout(ctx));
    const leaf = p.chain[0];
    const v = await chainTrust(p.chain, trust.caFileCerts);
    const details = {
      endpoint: where, subject: leaf?.subject ?? '', issuer: leaf?.issuer ?? '', chain: p.chain.map((c) => c.subject),
      ...(p.authorizationError ? { opensslVerdict: p.authorizationError } : {}), ...(trust.caFile ? { caCertFilePath: trust.caFile } : {}),
      insecureSkipVerify: trust.skipVerify,
    };
    if (trust.caFileError) {
      return { status: 'fail', messageId: 'caFileUnreadable', message: `admin.caCertFilePath ${trust.caFile}: ${trust.caFileError}`, hint: `point admin.caCertFilePath at the PEM file of the CA that signed ${where}'s certificate (flytectl refuses to start when the file cannot be read, even with insecureSkipVerify)`, details };
    }
    if (v.bySystem.anchored) return { status: 'pass', message: `chain of ${where} is trusted by the system store (anchor: ${v.bySystem.anchor})`, details: { ...details, anchor: v.bySystem.anchor ?? '' } };
    if (v.byCaFile.anchored) return { status: 'pass', messageId: 'trustedByCaFile', message: `chain of ${where} is trusted through admin.caCertFilePath (anchor: ${v.byCaFile.anchor}); not by the system store, so every client needs this CA`, details: { ...details, anchor: v.byCaFile.anchor ?? '' } };
    const what = v.fakeIngressCert ? 'the ingress controller\'s default "Kubernetes Ingress Controller Fake Certificate"' : v.selfSigned ? `a self-signed certificate (${leaf?.subject})` : `a chain issued by "${leaf?.issuer}" that no trusted root anchors`;
    if (trust.skipVerify) {
      return { status: 'warn', messageId: 'untrustedSkipVerify', message: `${where} presents ${what}; it works only because admin.insecureSkipVerify is true`, hint: 'set admin.caCertFilePath to the CA PEM and admin.insecureSkipVerify: false (skip-verify also hides a man in the middle; flytekit treats it differently and may still fail)', details };
    }
    if (v.fakeIngressCert) return { status: 'fail', messageId: 'fakeCertificate', message: `${where} presents ${what}: TLS is not configured on the Ingress`, hint: `enable ingress TLS: ${ingressTlsKey(ctx.target.chart, ctx.target.ingress?.valuesKey)}; e.g. with cert-manager (cert-manager.io/cluster-issuer annotation)`, details };
    if (trust.caFile) return { status: 'fail', messageId: 'caFileDoesNotSign', message: `${where} presents ${what}; admin.caCertFilePath ${trust.caFile} does not sign it`, hint: `set admin.caCertFilePath to the CA that issued the certificate (issuer: ${leaf?.issuer}), or the certificate itself when it is self-signed`, details };
    if (v.selfSigned) return { status: 'fail', messageId: 'selfSigned', message: `${where} presents ${what}, trusted by no CA`, hint: 'set admin.caCertFilePath to this certificate\'s PEM (flytekit: FLYTE_PLATFORM_CA_CERT_FILE_PATH), or serve a certificate from a CA your clients trust (cert-manager, ACM)', details };
    return { status: 'fail', messageId: 'untrusted', message: `${where} presents ${what}`, hint: `set admin.caCertFilePath to the PEM of the CA "${leaf?.issuer}" (flytekit: FLYTE_PLATFORM_CA_CERT_FILE_PATH), and serve the full chain (leaf + intermediates) in the ingress TLS Secret`, details };
  },
});
