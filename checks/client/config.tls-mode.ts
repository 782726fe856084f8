import { adminEndpoint, hostPort } from '../../src/config/endpoints.js';
import { shownPath } from '../../src/config/read.js';
import { probeTimeout } from '../../src/engine/budget.js';
import { ProbeError, type TlsProbeResult } from '../../src/clients/tls.js';
import { describeService } from '../../src/clients/sniff.js';
import { cause, hostPortKey } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Json } from '../../src/engine/types.js';
import { clientFix, clientSettingText, clientUnset, clientWhere, CLIENT_BEHAVIOUR } from '../../src/flyte/client.js';
import { endpointView, handshakeFailure, HANDSHAKE_FAILURE_MESSAGES, NOT_FROM_HERE_MESSAGE, whatListens } from '../tls/_support.js';
import { uncheckableHere } from './_support.js';
import type { EnvStore } from '../../src/clients/trust.js';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { pemPath } from '../../src/clients/tls.js';

/**
 * What a CA file without a PEM certificate holds instead, from its first bytes (a regular file only:
 * the read that found no certificate already ended): a DER certificate (an ASN.1 SEQUENCE, what
 * Windows and Java export as .cer/.der), or only a private key. Undefined when it is neither.
 */
async function notPemKind(path: string): Promise<{ kind: 'der' | 'keyOnly'; text: string; fix: string } | undefined> {
  try {
    const real = await pemPath(path);
    if (!statSync(real).isFile()) return undefined;
    const fd = openSync(real, 'r');
    const buf = Buffer.alloc(4096);
    let n = 0;
    try { n = readSync(fd, buf, 0, buf.length, 0); } finally { closeSync(fd); }
    const head = buf.subarray(0, n);
    // DER: SEQUENCE with a long-form length (0x30 0x82 / 0x30 0x83), then the tbsCertificate SEQUENCE
    if (n >= 8 && head[0] === 0x30 && (head[1] === 0x82 || head[1] === 0x83) && head[head[1] === 0x82 ? 4 : 5] === 0x30) {
      return { kind: 'der', text: 'it is a DER (binary) certificate, not PEM: Go\'s AppendCertsFromPEM and grpcio read PEM only', fix: `convert it (openssl x509 -inform der -in ${shownPath(path)} -out ca.pem), then` };
    }
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(head.toString('latin1'))) {
      return { kind: 'keyOnly', text: 'it holds a private key and no certificate: a CA file needs the CA\'s certificate (never a key)', fix: 'keep the private key off client machines, and' };
    }
  } catch { /* the read error was already reported */ }
  return undefined;
}

/**
 * A CA bundle variable that cannot be used, by what each client does with it: Python requests refuses
 * to start a request ("Could not find a suitable TLS CA certificate bundle, invalid path"), grpcio
 * has no roots at all, Go skips a missing SSL_CERT_FILE but reads whatever else is there to its end
 * (a FIFO or a device: flytectl hangs). NODE_EXTRA_CA_CERTS concerns no Flyte client.
 */
function trustEnvFinding(stores: readonly EnvStore[], caFileSet: boolean): { status: 'fail' | 'warn'; messageId: 'trustEnvBroken' | 'trustEnvIgnored'; cause: string; message: string; hint: string; details: Record<string, Json> } | undefined {
  const bad = stores.filter((s) => s.error && s.variable !== 'NODE_EXTRA_CA_CERTS');
  if (!bad.length) return undefined;
  const effect = (s: EnvStore): { fatal: boolean; text: string } => {
    const missing = /does not exist/.test(s.error!);
    switch (s.variable) {
      case 'REQUESTS_CA_BUNDLE': return { fatal: true, text: 'flytekit\'s HTTP calls (OAuth tokens, signed-URL uploads of pyflyte run --remote) fail before connecting: "Could not find a suitable TLS CA certificate bundle, invalid path"' };
      case 'GRPC_DEFAULT_SSL_ROOTS_FILE_PATH': return caFileSet
        ? { fatal: false, text: 'pyflyte passes admin.caCertFilePath to its gRPC channel instead, so it does not matter for Flyte; other grpcio programs have no root certificates' }
        : { fatal: true, text: 'pyflyte\'s gRPC channel has no root certificates and every TLS connection fails' };
      case 'SSL_CERT_FILE': return missing
        ? { fatal: false, text: 'flytectl (Go) skips it and uses the system certificate directories instead, so it is not what decides trust' }
        : { fatal: !/no PEM certificate/.test(s.error!), text: /no PEM certificate/.test(s.error!) ? 'flytectl (Go) reads it as its whole system store: no public CA is trusted' : 'flytectl (Go) reads it to its end as its system store: a pipe or a device may never end, and flytectl hangs (/dev/zero, a named pipe)' };
      default: return { fatal: false, text: '' };
    }
  };
  const parts = bad.map((s) => ({ s, e: effect(s) }));
  const fatal = parts.some((p) => p.e.fatal);
  const shown = parts.filter((p) => p.e.fatal || !fatal);
  return {
    status: fatal ? 'fail' : 'warn', messageId: fatal ? 'trustEnvBroken' : 'trustEnvIgnored', cause: cause.config(`env:${shown[0]!.s.variable}`),
    message: shown.map((p) => `${p.s.variable}=${shownPath(p.s.path)} (environment) ${p.s.error}: ${p.e.text}`).join('; '),
    hint: `point ${shown.map((p) => p.s.variable).join(' and ')} at an existing PEM bundle (e.g. /etc/ssl/certs/ca-certificates.crt plus your private CA), or unset ${shown.length > 1 ? 'them' : 'it'} in the shell profile or CI job that sets ${shown.length > 1 ? 'them' : 'it'}`,
    details: { trustEnv: Object.fromEntries(shown.map((p) => [p.s.variable, `${p.s.path}: ${p.s.error}`])) },
  };
}

export default defineCheck({
  id: 'client.config.tls-mode',
  title: 'insecure / insecureSkipVerify / caCertFilePath match what the endpoint speaks',
  phases: ['preflight', 'verify'],
  needs: ['endpoint'],
  dependsOn: ['dns.admin.resolve'],
  timeoutMs: 8000,
  messages: {
    tlsMatches: { status: 'pass', summary: 'The endpoint speaks TLS and the client config asks for TLS.' },
    plaintextGrpc: { status: 'pass', summary: 'The endpoint speaks plaintext gRPC (h2c) and the client config asks for plaintext (insecure: true).' },
    insecureAgainstTls: { status: 'fail', summary: 'insecure: true (plaintext) against a TLS listener: clients fail with "Trying to connect an http1.x server".' },
    tlsAgainstPlaintext: { status: 'fail', summary: 'insecure: false (TLS) against a plaintext gRPC port: clients fail with WRONG_VERSION_NUMBER.' },
    httpOnlyPort: { status: 'fail', summary: 'The port answers plain HTTP/1.x, not gRPC (flyteadmin\'s 8088, an ingress\'s port 80).' },
    notGrpc: { status: 'fail', summary: 'Something other than a gRPC server listens on the port.' },
    caFileMissing: { status: 'fail', summary: 'admin.caCertFilePath cannot be read or holds no certificate: both clients stop before connecting.' },
    trustEnvBroken: { status: 'fail', summary: 'A CA bundle variable of the environment (REQUESTS_CA_BUNDLE, GRPC_DEFAULT_SSL_ROOTS_FILE_PATH, SSL_CERT_FILE) names a file that is missing or holds no certificate: the clients that read it fail before any certificate is judged.' },
    trustEnvIgnored: { status: 'warn', summary: 'SSL_CERT_FILE names a file that does not exist: flytectl silently falls back to the system certificate directories.' },
    skipVerifyUnneeded: { status: 'warn', summary: 'insecureSkipVerify is on although verification would succeed: it only weakens security.' },
    ...HANDSHAKE_FAILURE_MESSAGES,
    ...NOT_FROM_HERE_MESSAGE,
  },
  explain: {
    what: 'Probes the admin endpoint both ways (a TLS handshake, and a plaintext HTTP/2 preface) and compares what it speaks with `admin.insecure`, `admin.insecureSkipVerify` and `admin.caCertFilePath` — and with the environment variables that override them (FLYTE_PLATFORM_INSECURE, FLYTE_PLATFORM_INSECURE_SKIP_VERIFY, FLYTE_PLATFORM_CA_CERT_FILE_PATH), which the finding names.',
    why: '`insecure: true` means no TLS at all: against a TLS port clients fail with "Trying to connect an http1.x server"; `insecure: false` against a plaintext port fails with WRONG_VERSION_NUMBER. `insecureSkipVerify` is often set to silence a certificate problem that caCertFilePath fixes properly. These are client settings: the server is fine, so only this check fails for them.',
    fix: 'Set `admin.insecure` (or FLYTE_PLATFORM_INSECURE) to what the port speaks; for a private CA set `admin.caCertFilePath` and drop `insecureSkipVerify`.',
  },
  async run(ctx) {
    const c = ctx.target.client;
    const e = adminEndpoint(ctx.target)!;
    const where = hostPort(e);
    const hp = hostPortKey(e.host, e.port);
    const here = uncheckableHere(ctx);
    if (here) return here;
    const v = await endpointView(ctx, e);
    const base: Record<string, Json> = { endpoint: where, insecure: c.insecure, insecureSkipVerify: c.insecureSkipVerify, ...(c.caCertFilePath ? { caCertFilePath: c.caCertFilePath } : {}), ...(c.configPath ? { configPath: c.configPath } : {}) };
    const insecureText = clientSettingText(ctx.target, 'insecure');
    if (!c.insecure && v.trust.caFileError) {
      const kind = /no PEM certificate/.test(v.trust.caFileError) && c.caCertFilePath ? await notPemKind(c.caCertFilePath) : undefined;
      if (kind) {
        return { status: 'fail', messageId: 'caFileMissing', cause: cause.config('admin.caCertFilePath'), message: `${clientSettingText(ctx.target, 'caCertFilePath')}: no PEM certificate in the file, ${kind.text}; ${c.insecureSkipVerify ? 'flytectl stops before connecting (it reads the file even with insecureSkipVerify; pyflyte skips it then)' : 'flytectl and pyflyte stop before connecting'}`, hint: `${kind.fix} ${clientFix(ctx.target, 'caCertFilePath', kind.kind === 'der' ? '<path of ca.pem>' : '<path of the CA certificate (PEM)>') ?? 'point admin.caCertFilePath at the PEM certificate of the CA'}`, details: { ...base, caFileContent: kind.kind } };
      }
      return { status: 'fail', messageId: 'caFileMissing', cause: cause.config('admin.caCertFilePath'), message: `${clientSettingText(ctx.target, 'caCertFilePath')}: ${v.trust.caFileError}; ${c.insecureSkipVerify ? 'flytectl stops before connecting (it reads the file even with insecureSkipVerify; pyflyte skips it then)' : 'flytectl and pyflyte stop before connecting'}`, hint: `${clientFix(ctx.target, 'caCertFilePath', '<path to an existing PEM of the CA>') ?? 'point admin.caCertFilePath at an existing PEM file'} that signed ${where}'s certificate, or ${clientUnset(ctx.target, 'caCertFilePath')} when the certificate is publicly trusted; flytectl reads it even with insecureSkipVerify`, details: base };
    }
    const timeoutMs = probeTimeout(ctx);
    let tls: TlsProbeResult | undefined;
    let tlsErr: ProbeError | undefined;
    if (v.probe) tls = v.probe; else tlsErr = v.error;
    if (tlsErr && ['nxdomain', 'dns', 'refused', 'timeout'].includes(tlsErr.kind)) {
      if (!c.insecure) return { status: 'skip', message: `${where} did not answer a TLS handshake (${tlsErr.code ?? tlsErr.kind}): tls.admin.handshake reports it` };
      return handshakeFailure(ctx, e, tlsErr, timeoutMs);
    }
    if (tls) {
      const details = { ...base, serverSpeaks: 'TLS', tlsVersion: tls.protocol, alpn: tls.alpn || 'none' };
      if (c.insecure) {
        const fix = clientFix(ctx.target, 'insecure', false);
        return { status: 'fail', messageId: 'insecureAgainstTls', cause: cause.tls('plaintext', hp), message: `${insecureText} makes clients send plaintext, but ${where} speaks TLS (${tls.protocol}): they fail with "Trying to connect an http1.x server"`, hint: `${fix ?? 'set admin.insecure: false'}${v.trust.caFileCerts.length ? '' : ' (and admin.caCertFilePath when the CA is private)'}; the server is fine, this is a client setting`, details };
      }
      if (c.insecureSkipVerify && v.verifies) {
        return { status: 'warn', messageId: 'skipVerifyUnneeded', message: `${clientSettingText(ctx.target, 'insecureSkipVerify')} although ${where} verifies (${v.verifiesThrough}): ${CLIENT_BEHAVIOUR.skipVerifyFlytectl}`, hint: `${clientUnset(ctx.target, 'insecureSkipVerify')}: verification works, and skipping it lets anyone in the path read your token`, details };
      }
      const broken = trustEnvFinding(v.trust.envStores, !!c.caCertFilePath);
      if (broken) return { ...broken, details: { ...details, ...broken.details } };
      return { status: 'pass', messageId: 'tlsMatches', message: `${where} speaks TLS and the client asks for TLS (${insecureText}${c.caCertFilePath ? `, ${clientSettingText(ctx.target, 'caCertFilePath')}` : ''}); tls.admin.* judge the certificate`, details };
    }
    // A TLS alert (or a version refusal) is a TLS server talking: the mode matches, the handshake check names the refusal.
    if (tlsErr && (tlsErr.alert || tlsErr.kind === 'tlsVersion')) {
      const details = { ...base, serverSpeaks: 'TLS', tlsError: tlsErr.alert ? `${tlsErr.alert.name} (${tlsErr.alert.code})` : tlsErr.code ?? tlsErr.kind };
      if (c.insecure) {
        const fix = clientFix(ctx.target, 'insecure', false);
        return { status: 'fail', messageId: 'insecureAgainstTls', cause: cause.tls('plaintext', hp), message: `${insecureText} makes clients send plaintext, but ${where} speaks TLS (it answered a handshake with ${details.tlsError})`, hint: `${fix ?? 'set admin.insecure: false'}; then see tls.admin.handshake for why the server refuses the handshake`, details };
      }
      return { status: 'pass', messageId: 'tlsMatches', message: `${where} speaks TLS and the client asks for TLS; the server refused the handshake (${details.tlsError}): tls.admin.handshake reports why`, details };
    }
    // No TLS answer: what does the port speak?
    const seen = await whatListens(ctx, e, tlsErr!.address, Math.min(timeoutMs, 2000));
    const details: Record<string, Json> = { ...base, serverSpeaks: seen.plain?.kind ?? seen.service?.kind ?? 'unknown', tlsError: tlsErr!.code ?? tlsErr!.kind, ...(seen.plain?.statusLine ? { httpStatusLine: seen.plain.statusLine } : {}), ...(seen.plain?.snippet ? { body: seen.plain.snippet } : {}), ...(seen.service ? { service: describeService(seen.service) } : {}) };
    if (seen.plain?.kind === 'h2c') {
      if (c.insecure) return { status: 'pass', messageId: 'plaintextGrpc', message: `${where} speaks plaintext gRPC (h2c), matching ${insecureText}`, details };
      const fix = clientFix(ctx.target, 'insecure', true);
      return { status: 'fail', messageId: 'tlsAgainstPlaintext', cause: cause.tls('plaintext', hp), message: `${insecureText} makes clients start TLS, but ${where} speaks plaintext gRPC (h2c): they fail with WRONG_VERSION_NUMBER`, hint: `${fix ?? 'set admin.insecure: true'} for this plaintext port (a port-forward, or flyteadmin's gRPC port 8089), or dial the TLS ingress instead (${clientWhere(ctx.target, 'endpoint')}: dns:///<ingress host>)`, details };
    }
    if (seen.plain?.kind === 'http1') {
      return { status: 'fail', messageId: 'httpOnlyPort', cause: c.insecure ? cause.wrongService(hp) : cause.tls('plaintext', hp), message: `${where} answers plain HTTP/1.x (${seen.plain.statusLine}), not gRPC: an HTTP-only port (flyteadmin's 8088, or an ingress's plain HTTP listener)`, hint: `point ${clientWhere(ctx.target, 'endpoint')} at a gRPC port: the TLS ingress (dns:///<ingress host>, TLS on) or flyteadmin's gRPC port 8089 with plaintext (insecure: true)`, details };
    }
    if (seen.plain?.kind === 'tls') {
      // A TLS server that refused our handshake: the mode matches; tls.admin.handshake names the refusal.
      if (c.insecure) {
        const fix = clientFix(ctx.target, 'insecure', false);
        return { status: 'fail', messageId: 'insecureAgainstTls', cause: cause.tls('plaintext', hp), message: `${insecureText} makes clients send plaintext, but ${where} is a TLS port (it answers plaintext with a TLS alert / "plain HTTP request was sent to HTTPS port")`, hint: `${fix ?? 'set admin.insecure: false'}; the server is fine, this is a client setting`, details };
      }
      return { status: 'pass', messageId: 'tlsMatches', message: `${where} is a TLS port and the client asks for TLS; the handshake itself failed (tls.admin.handshake reports why)`, details };
    }
    if (!c.insecure) return { status: 'skip', message: `${where} answered neither TLS nor plaintext gRPC (${details.serverSpeaks}): tls.admin.handshake reports what listens there` };
    return { status: 'fail', messageId: 'notGrpc', cause: cause.wrongService(hp), message: `${where} accepted the connection but answered neither TLS nor plaintext gRPC: ${seen.service ? describeService(seen.service) : String(details.serverSpeaks)}`, hint: `${clientWhere(ctx.target, 'endpoint')} names a port of another service: point it at the ingress TLS port (443) or flyteadmin's gRPC port (8089, plaintext)`, details };
  },
});
