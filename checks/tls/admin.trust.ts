import { adminEndpoint, hostPort } from '../../src/config/endpoints.js';
import { ekuName, fetchIssuer, pemFacts } from '../../src/clients/tls.js';
import { probeTimeout } from '../../src/engine/budget.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Json } from '../../src/engine/types.js';
import { clientFix, clientSettingText, clientUnset, ingressTlsSecretFix, CLIENT_BEHAVIOUR } from '../../src/flyte/client.js';
import { intermediateNotSent, tlsCause, tlsView, weakKeyCert, weakSigned } from './_support.js';
import { handshakeNotFromHere } from './_support.js';

/** Kept for importers: the values key that turns on the ingress TLS of a chart. */
export function ingressTlsKey(chart: string | undefined, valuesKey = 'ingress'): string {
  return chart === 'flyte-core' ? `${valuesKey}.tls.enabled: true (and ${valuesKey}.tls.secretName)` : `${valuesKey}.tls (or ${valuesKey}.httpTls/grpcTls) with the certificate Secret`;
}

const CONTROLLER: Record<string, string> = { 'ingress-nginx': 'ingress-nginx\'s built-in "Kubernetes Ingress Controller Fake Certificate"', traefik: 'Traefik\'s built-in "TRAEFIK DEFAULT CERT"', kong: 'Kong\'s built-in default certificate' };

export default defineCheck({
  id: 'tls.admin.trust',
  title: 'The admin certificate chain is trusted the way flytectl and pyflyte verify it',
  phases: ['preflight', 'verify'],
  needs: ['endpoint'],
  dependsOn: ['tls.admin.handshake'],
  timeoutMs: 8000,
  messages: {
    trusted: { status: 'pass', summary: 'The chain leads to a publicly trusted root that both clients know.' },
    privateCa: { status: 'warn', summary: 'Trusted only through a private CA this machine has (caCertFilePath or an env bundle): Flyte\'s task pods and browsers need that CA too.' },
    intermediateNotSentHidden: { status: 'warn', summary: 'The server does not send its intermediate certificate; it works here only because a local bundle holds it.' },
    untrustedSkipVerify: { status: 'warn', summary: 'The chain is not trusted; only insecureSkipVerify makes the clients accept it.' },
    defaultCertificate: { status: 'fail', summary: 'The ingress serves its controller\'s built-in default certificate: the Ingress TLS Secret is missing or invalid.' },
    intermediateNotSent: { status: 'fail', summary: 'The server sends its certificate without the intermediate CA that issued it: serve the full chain.' },
    selfSigned: { status: 'fail', summary: 'A self-signed certificate that no configured CA bundle holds.' },
    untrustedRoot: { status: 'fail', summary: 'The chain ends at a root CA that no configured bundle trusts (a private CA).' },
    untrusted: { status: 'fail', summary: 'The certificate is issued by a CA that no configured bundle knows.' },
    caFileDoesNotSign: { status: 'fail', summary: 'admin.caCertFilePath is set, but no certificate in it signs the server\'s chain.' },
    caFileReplacesSystem: { status: 'fail', summary: 'The certificate is publicly trusted, but caCertFilePath replaces the system roots and does not hold its root.' },
    weakSignature: { status: 'fail', summary: 'A certificate below the root is signed with SHA-1 or MD5: flytectl (Go), OpenSSL 3 ("CA signature digest algorithm too weak") and browsers refuse it, whatever CA anchors it.' },
    notCaIssuer: { status: 'fail', summary: 'A certificate the server sends as an intermediate is not a CA (basicConstraints CA:FALSE or none): every client refuses what it signed (OpenSSL INVALID_CA, Go "not authorized to sign other certificates").' },
    noServerAuth: { status: 'fail', summary: 'The certificate (or a CA above it) has an extendedKeyUsage without serverAuth: every client refuses it for a server (OpenSSL "unsupported certificate purpose", Go "incompatible key usage").' },
    negativeSerial: { status: 'fail', summary: 'A certificate the server sends has a negative serial number: flytectl (Go 1.23 and later, "x509: negative serial number") refuses the handshake; pyflyte, Node and OpenSSL accept it.' },
    weakKey: { status: 'warn', summary: 'A certificate below the root has an RSA key under 2048 bits: OpenSSL at security level 2 (Debian and Ubuntu\'s default: curl, Python\'s ssl, which flytekit\'s auth and requests calls use) refuses it ("ee key too small"); flytectl (Go) and grpcio accept 1024 bits.' },
    onlyOneClient: { status: 'fail', summary: 'Only one of flytectl and pyflyte trusts the chain (they read different CA bundles).' },
  },
  explain: {
    what: 'Follows the chain the admin endpoint sends (leaf, then intermediates) to a trust anchor, in the stores each client really uses: `admin.caCertFilePath` ALONE when it is set (flytectl and pyflyte both replace the system roots with it), else the system roots (flytectl: the OS store, SSL_CERT_FILE on Linux; pyflyte: the roots bundled with grpcio, GRPC_DEFAULT_SSL_ROOTS_FILE_PATH). A missing intermediate is told from an unknown CA by whether the issuer can be found (its AIA caIssuers URL, or a local bundle that holds it). Dates and names are judged by tls.admin.expiry and tls.admin.hostname.',
    why: 'Clients fail with CERTIFICATE_VERIFY_FAILED / "certificate signed by unknown authority". The fixes differ: a missing intermediate is fixed on the server (the TLS Secret\'s tls.crt must hold leaf + intermediates), a private CA by distributing it (caCertFilePath), the controller\'s default certificate by the Ingress TLS Secret.',
    fix: 'Serve the full chain; give the Ingress a valid TLS Secret; set `admin.caCertFilePath` (flytekit: `FLYTE_PLATFORM_CA_CERT_FILE_PATH`) to your private CA, or remove it for a publicly trusted certificate.',
  },
  async run(ctx) {
    const notHere = handshakeNotFromHere(ctx);
    if (notHere) return notHere;
    const e = adminEndpoint(ctx.target)!;
    const where = hostPort(e);
    const v = await tlsView(ctx, e);
    const { trust, facts: f, probe: p } = v;
    const leaf = p.chain[0];
    const details: Record<string, Json> = {
      endpoint: where, subject: leaf?.subject ?? '', issuer: leaf?.issuer ?? '', chainSent: p.chain.map((c) => c.subject),
      ...(f.missingIssuer ? { missingIssuer: f.missingIssuer } : {}), ...(f.caIssuers ? { caIssuers: f.caIssuers } : {}),
      anchors: Object.fromEntries(Object.entries(f.anchors).map(([k, a]) => [k, a.subject])), flytectlStore: v.stores.flytectl, pyflyteStore: v.stores.pyflyte,
      ...(p.authorizationError ? { opensslVerdict: p.authorizationError } : {}), ...(trust.caFile ? { caCertFilePath: trust.caFile } : {}), insecureSkipVerify: trust.skipVerify,
    };
    if (trust.caFileError) {
      return { status: 'skip', message: `${clientSettingText(ctx.target, 'caCertFilePath')} cannot be read (${trust.caFileError}): client.config.tls-mode reports it` };
    }
    const key = (k: Parameters<typeof tlsCause>[0]) => tlsCause(k, e);
    const ca = clientSettingText(ctx.target, 'caCertFilePath');
    const caFix = (what: string) => clientFix(ctx.target, 'caCertFilePath', `<path to the PEM of ${what}>`);
    // The controller's default certificate: the Ingress has no usable TLS Secret. Never "trust it".
    if (f.defaultCert) {
      return { status: 'fail', messageId: 'defaultCertificate', cause: key('default-cert'), message: `${where} presents ${CONTROLLER[f.defaultCert]} (${leaf?.subject}), not a certificate for ${e.host}: the Ingress serves no TLS Secret of its own`, hint: `${ingressTlsSecretFix(ctx.target)}; do not trust the default certificate or skip verification`, details };
    }
    // A chain the stores anchor is still refused for a SHA-1/MD5 signature below the root.
    const weak = trust.skipVerify ? undefined : weakSigned(v);
    if (weak) {
      details.weakSignature = `${weak.subject}: ${weak.algorithm}`;
      return { status: 'fail', messageId: 'weakSignature', cause: key('weak-signature'), message: `${where}: "${weak.subject}" is signed with ${weak.algorithm}; flytectl (Go: "x509: ... insecure algorithm SHA1-RSA"), Node/OpenSSL 3 ("CA signature digest algorithm too weak") and browsers refuse it, whatever CA anchors it`, hint: `reissue ${weak.subject === leaf?.subject ? 'the certificate' : `the intermediate "${weak.subject}" and the certificates it signed`} with a SHA-256 signature (openssl -sha256; cert-manager and public CAs do by default) and put it in the Secret the Ingress's tls.secretName names`, details };
    }
    // Go 1.23+ refuses to parse a certificate with a negative serial, whatever anchors it (x509negativeserial=1 re-allows it).
    const neg = trust.skipVerify ? undefined : p.chain.find((c) => c.negativeSerial);
    if (neg) {
      details.negativeSerial = neg.subject;
      return { status: 'fail', messageId: 'negativeSerial', cause: key('negative-serial'), message: `${where}: "${neg.subject}" has a negative serial number; flytectl (Go 1.23 and later: "tls: failed to parse certificate from server: x509: negative serial number") cannot connect, while pyflyte, Node and OpenSSL accept it`, hint: `reissue ${neg.subject === leaf?.subject ? 'the certificate' : `"${neg.subject}" and the certificates it signed`} with a positive serial (openssl x509 -req ... -CAcreateserial or -set_serial with a positive number; cert-manager and public CAs always do) and put it in the Secret the Ingress's tls.secretName names; GODEBUG=x509negativeserial=1 in flytectl's environment is a stopgap`, details };
    }
    const af = v.anchorFor.flytectl, ap = v.anchorFor.pyflyte;
    // A chain the stores anchor is still refused when a certificate on it may not do what it is used for.
    if (!trust.skipVerify && f.ekuRefused) {
      const isLeaf = f.ekuRefused.subject === leaf?.subject;
      const usages = f.ekuRefused.usages.map(ekuName).join(', ');
      details.extendedKeyUsage = `${f.ekuRefused.subject}: ${usages}`;
      return { status: 'fail', messageId: 'noServerAuth', cause: key('untrusted'), message: `${where}: ${isLeaf ? 'the certificate' : 'the CA certificate'} "${f.ekuRefused.subject}" has extendedKeyUsage ${usages}, without serverAuth: flytectl (Go: "x509: certificate specifies an incompatible key usage"), pyflyte and Node/OpenSSL ("unsupported certificate purpose") refuse it for a server, whatever CA anchors it`, hint: isLeaf ? `reissue the certificate with extendedKeyUsage serverAuth (cert-manager Certificate spec.usages: [server auth, digital signature, key encipherment], or leave usages unset; openssl -addext "extendedKeyUsage=serverAuth") and put it in the Secret the Ingress's tls.secretName names` : `the intermediate "${f.ekuRefused.subject}" may not issue server certificates (its extendedKeyUsage lacks serverAuth): issue the server certificate from a CA whose extendedKeyUsage includes serverAuth (or has none) and serve that chain`, details };
    }
    if (!trust.skipVerify && f.notCa && (af || ap)) {
      details.notCa = f.notCa;
      return { status: 'fail', messageId: 'notCaIssuer', cause: key('chain'), message: `${where} sends "${f.notCa}" as the issuer of its certificate, but it is not a CA (basicConstraints CA:FALSE or absent): flytectl (Go: "x509: certificate signed by unknown authority (possibly because of \"x509: certificate is not authorized to sign other certificates\")"), pyflyte and Node/OpenSSL ("invalid CA certificate", INVALID_CA) refuse the chain`, hint: `issue the server certificate from a real CA certificate (basicConstraints CA:TRUE, keyUsage keyCertSign; a cert-manager Issuer of kind CA needs a CA certificate in its Secret), not from "${f.notCa}", then serve the leaf followed by that CA's intermediate(s) in tls.crt of the Ingress TLS Secret`, details };
    }
    if (f.outOfOrder) details.chainOrder = 'out of order (clients reorder it; openssl s_client -showcerts shows it)';
    const hidden = af?.viaStoreIntermediate ?? ap?.viaStoreIntermediate;
    if (af && ap) {
      if (hidden) {
        return { status: 'warn', messageId: 'intermediateNotSentHidden', cause: key('chain'), message: `${where} sends ${p.chain.length} certificate(s) without the intermediate "${hidden}"; it verifies here only because ${v.stores.flytectl === 'system' ? 'a local bundle' : v.stores.flytectl} holds that intermediate`, hint: `serve the full chain: put the leaf followed by the intermediate "${hidden}" in tls.crt of the Ingress TLS Secret (cert-manager does this itself); clients without this bundle, task pods and browsers fail now`, details };
      }
      // RSA under 2048 bits below the root: Node here (security level 1) and Go accept 1024, Debian/Ubuntu OpenSSL (level 2) does not.
      const small = weakKeyCert(v);
      if (small) {
        details.rsaBits = small.rsaBits!;
        return { status: 'warn', messageId: 'weakKey', cause: key('weak-key'), message: `${where}: "${small.subject}" has a ${small.rsaBits}-bit RSA key; flytectl (Go) and grpcio accept it, but OpenSSL at security level 2 (the default of Debian and Ubuntu: curl, Python's ssl, which flytekit's auth and requests use; Node 24 and later) refuses it ("ee key too small" / "ca key too small")`, hint: `reissue ${small.subject === leaf?.subject ? 'the certificate' : `"${small.subject}" and the certificates it signed`} with a 2048-bit (or larger) RSA key or an ECDSA P-256 key (openssl req -newkey rsa:2048; cert-manager: privateKey.size) and put it in the Secret the Ingress's tls.secretName names`, details };
      }
      if (v.stores.flytectl === 'system' && v.stores.pyflyte === 'system') {
        return { status: 'pass', messageId: 'trusted', message: `chain of ${where} is publicly trusted (anchor: ${af.subject})`, details: { ...details, anchor: af.subject } };
      }
      const via = [...new Set([v.stores.flytectl, v.stores.pyflyte].filter((s) => s !== 'system'))].map((s) => (s === 'caCertFilePath' ? ca : `env ${s}`)).join(' and ');
      return { status: 'warn', messageId: 'privateCa', message: `chain of ${where} is trusted through ${via} (anchor: ${af.subject}), a private CA this machine has: it cannot be checked from here whether Flyte's task pods and browsers trust it`, hint: `give every client the CA "${af.subject}": task pods that call Flyte (FlyteRemote, dynamic workflows) need it in their image or as FLYTE_PLATFORM_CA_CERT_FILE_PATH, browsers in their trust store; or serve a publicly trusted certificate (cert-manager with Let's Encrypt, ACM)`, details: { ...details, anchor: af.subject } };
    }
    if (trust.skipVerify) {
      return { status: 'warn', messageId: 'untrustedSkipVerify', message: `the chain of ${where} (issuer "${leaf?.issuer}") is not trusted; clients accept it only because ${clientSettingText(ctx.target, 'insecureSkipVerify')} (${CLIENT_BEHAVIOUR.skipVerifyPyflyte})`, hint: `${intermediateNotSent(f) ? `serve the full chain (leaf + intermediate "${f.missingIssuer}" in tls.crt of the TLS Secret)` : `set admin.caCertFilePath to the CA that issued it ("${f.missingIssuer ?? leaf?.issuer}")`}, then ${clientUnset(ctx.target, 'insecureSkipVerify')}: skipping verification lets anyone in the path read your token`, details };
    }
    if (af || ap) {
      const ok = af ? 'flytectl' : 'pyflyte', bad = af ? 'pyflyte' : 'flytectl';
      const okStore = af ? v.stores.flytectl : v.stores.pyflyte, badStore = af ? v.stores.pyflyte : v.stores.flytectl;
      return { status: 'fail', messageId: 'onlyOneClient', cause: key('untrusted'), message: `the chain of ${where} is trusted by ${ok} (through ${okStore === 'system' ? 'the system roots' : `env ${okStore}`}) but not by ${bad} (${badStore === 'system' ? 'system roots' : `env ${badStore}`})`, hint: `${caFix((af ?? ap)!.subject) ?? 'point admin.caCertFilePath at the CA PEM'} so both clients use the same CA`, details };
    }
    // Not trusted by either client. Why?
    if (trust.caFileCerts.length && f.anchors['system']) {
      return { status: 'fail', messageId: 'caFileReplacesSystem', cause: key('untrusted'), message: `the certificate of ${where} is publicly trusted (anchor: ${f.anchors['system'].subject}), but ${ca} holds other CAs and ${CLIENT_BEHAVIOUR.caCertFilePath}`, hint: `${clientUnset(ctx.target, 'caCertFilePath')}, or add the root "${f.anchors['system'].subject}" to that file`, details };
    }
    if (intermediateNotSent(f)) {
      // The issuer is findable: fetch it (AIA) to confirm it is an intermediate, not a root nobody trusts.
      let fetched: string | undefined;
      for (const url of f.caIssuers ?? []) { fetched = await fetchIssuer(url, { timeoutMs: Math.min(2000, probeTimeout(ctx)), signal: ctx.signal, ...(ctx.target.dnsServer ? { dnsServer: ctx.target.dnsServer } : {}) }); if (fetched) break; }
      const fetchedFacts = fetched ? await pemFacts(fetched) : undefined;
      if (fetchedFacts) details.fetchedIssuer = fetchedFacts.subject;
      if (!fetchedFacts?.selfSigned) {
        const found = f.issuerInStore ? `a local bundle (${f.issuerInStore.store === 'caCertFilePath' ? 'admin.caCertFilePath' : f.issuerInStore.store}) holds it` : fetchedFacts ? `it is published at ${f.caIssuers![0]}` : `the certificate names where it is published: ${f.caIssuers![0]}`;
        return { status: 'fail', messageId: 'intermediateNotSent', cause: key('chain'), message: `${where} sends its certificate without the intermediate CA "${f.missingIssuer}" that issued it (${p.chain.length} certificate(s) sent; ${found}): gRPC clients do not fetch missing intermediates`, hint: `serve the full chain on the server: tls.crt of the Ingress TLS Secret must hold the leaf followed by the intermediate "${f.missingIssuer}" (kubectl -n ${ctx.target.kubernetes.namespace} create secret tls <name> --cert=fullchain.pem --key=...; cert-manager does this itself); no client setting needs to change`, details };
      }
    }
    if (trust.caFileCerts.length) {
      return { status: 'fail', messageId: 'caFileDoesNotSign', cause: key('untrusted'), message: `${where} presents ${f.selfSigned ? `a self-signed certificate (${leaf?.subject})` : `a chain issued by "${f.missingIssuer ?? leaf?.issuer}"`}; no certificate in ${ca} signs it`, hint: `${caFix(f.selfSigned ? 'this self-signed certificate' : (f.missingIssuer ?? leaf?.issuer ?? 'the issuing CA')) ?? 'point admin.caCertFilePath at the right CA PEM'}${f.selfSigned ? '' : `; if "${f.missingIssuer ?? leaf?.issuer}" is an intermediate of your CA, the server must send it instead (serve the full chain)`}`, details };
    }
    if (f.selfSigned) {
      return { status: 'fail', messageId: 'selfSigned', cause: key('untrusted'), message: `${where} presents a self-signed certificate (${leaf?.subject}) that no trusted CA signs`, hint: `${caFix('this self-signed certificate') ?? 'set admin.caCertFilePath to this certificate\'s PEM'}, or serve a certificate from a CA your clients trust (cert-manager, ACM); do not use insecureSkipVerify`, details };
    }
    const localOnly = trust.envStores.filter((s) => f.anchors[s.variable]).map((s) => `${s.variable} (read by ${s.usedBy})`);
    const note = localOnly.length ? `; this machine trusts it through ${localOnly.join(', ')}` : '';
    if (f.sentRoot) {
      const root = p.chain[p.chain.length - 1]!.subject;
      return { status: 'fail', messageId: 'untrustedRoot', cause: key('untrusted'), message: `the chain of ${where} ends at the root "${root}", which no configured bundle trusts${note}`, hint: `${caFix(`the root ${root}`) ?? 'set admin.caCertFilePath to the root CA PEM'}`, details };
    }
    return { status: 'fail', messageId: 'untrusted', cause: key('untrusted'), message: `the certificate of ${where} is issued by "${f.missingIssuer ?? leaf?.issuer}", a CA that neither the system roots nor a configured bundle knows${note}`, hint: `${caFix(f.missingIssuer ?? leaf?.issuer ?? 'the issuing CA') ?? 'set admin.caCertFilePath to the issuing CA PEM'}; if that issuer is an intermediate of a public CA, serve the full chain instead`, details };
  },
});
