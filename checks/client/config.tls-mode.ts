import { adminEndpoint, hostPort } from '../../src/config/endpoints.js';
import { probeTimeout } from '../../src/engine/budget.js';
import { sharedTlsProbe } from '../../src/clients/tls.js';
import { clientTrust } from '../../src/clients/trust.js';
import { ProbeError, chainTrust, describeNetFailure, plainProbe, type PlainProbeResult, type TlsProbeResult } from '../../src/clients/tls.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext, Json, Outcome } from '../../src/engine/types.js';

export default defineCheck({
  id: 'client.config.tls-mode',
  title: 'insecure / insecureSkipVerify / caCertFilePath match what the endpoint speaks',
  phases: ['preflight', 'verify'],
  needs: ['endpoint'],
  dependsOn: ['dns.admin.resolve'],
  timeoutMs: 8000,
  explain: {
    what: 'Probes the admin endpoint both ways (a TLS handshake, and a plaintext HTTP/2 preface) and compares the answer with `admin.insecure`, `admin.insecureSkipVerify` and `admin.caCertFilePath`.',
    why: '`insecure: true` means no TLS at all: against a TLS port clients fail with "Trying to connect an http1.x server"; `insecure: false` against a plaintext port fails with WRONG_VERSION_NUMBER. `insecureSkipVerify` is often set to silence a certificate problem that caCertFilePath fixes properly.',
    fix: 'Set `admin.insecure` to what the port speaks; for a private CA set `admin.caCertFilePath` and drop `insecureSkipVerify`.',
  },
  async run(ctx: CheckContext): Promise<Outcome> {
    const c = ctx.target.client;
    const e = adminEndpoint(ctx.target)!;
    const where = hostPort(e);
    const file = c.configPath ? ` (${c.configPath})` : '';
    const trust = await clientTrust(ctx.target);
    const base: Record<string, Json> = { endpoint: where, insecure: c.insecure, insecureSkipVerify: c.insecureSkipVerify, ...(c.caCertFilePath ? { caCertFilePath: c.caCertFilePath } : {}), ...(c.configPath ? { configPath: c.configPath } : {}) };
    if (trust.caFileError) {
      return { status: 'fail', messageId: 'caFileMissing', message: `admin.caCertFilePath ${c.caCertFilePath}${file}: ${trust.caFileError}`, hint: 'point admin.caCertFilePath at an existing PEM file with the CA that signed the server certificate, or remove the key (flytectl reads it even with insecureSkipVerify and fails when it is missing)', details: base };
    }
    const timeoutMs = probeTimeout(ctx);
    let tls: TlsProbeResult | undefined;
    let tlsErr: ProbeError | undefined;
    try { tls = await sharedTlsProbe(ctx, e, timeoutMs); } catch (err) {
      if (!(err instanceof ProbeError) || err.kind === 'aborted') throw err;
      tlsErr = err;
    }
    if (tlsErr && !['plaintext', 'reset', 'tlsAlert', 'other'].includes(tlsErr.kind)) {
      return { status: 'fail', ...describeNetFailure(tlsErr.kind, where, tlsErr.message, timeoutMs), details: { ...base, error: tlsErr.code ?? tlsErr.kind } };
    }
    if (tls) {
      const details = { ...base, serverSpeaks: 'TLS', tlsVersion: tls.protocol, alpn: tls.alpn || 'none' };
      if (c.insecure) {
        return { status: 'fail', messageId: 'insecureAgainstTls', message: `admin.insecure is true but ${where} speaks TLS (${tls.protocol}); clients send plaintext and fail with "Trying to connect an http1.x server"`, hint: `set admin.insecure: false${file}${trust.caFileCerts.length ? '' : ' (and admin.caCertFilePath if the CA is private)'}`, details };
      }
      const v = await chainTrust(tls.chain, trust.caFileCerts);
      const trusted = v.bySystem.anchored || v.byCaFile.anchored;
      const issuer = tls.chain[0]?.issuer ?? '';
      if (trusted && c.insecureSkipVerify) {
        return { status: 'warn', messageId: 'skipVerifyUnneeded', message: `admin.insecureSkipVerify is true although the chain of ${where} is trusted (${v.bySystem.anchored ? 'system store' : 'admin.caCertFilePath'})`, hint: `remove admin.insecureSkipVerify${file}: verification works, and skipping it lets anyone in the path read the token`, details };
      }
      if (!trusted && c.insecureSkipVerify) {
        return { status: 'warn', messageId: 'skipVerifyHidesUntrusted', message: `the chain of ${where} (issuer "${issuer}") is not trusted; only admin.insecureSkipVerify: true makes flytectl accept it`, hint: `set admin.caCertFilePath to the CA PEM and admin.insecureSkipVerify: false${file}; pyflyte's insecureSkipVerify behaves differently and may still fail`, details };
      }
      if (!trusted && c.caCertFilePath) {
        return { status: 'fail', messageId: 'caFileWrong', message: `admin.caCertFilePath ${c.caCertFilePath} does not sign the chain of ${where} (issuer "${issuer}")`, hint: `set admin.caCertFilePath to the CA that issued the certificate ("${issuer}")${v.selfSigned ? ', here the self-signed certificate itself' : ''}`, details };
      }
      if (!trusted) {
        return { status: 'fail', messageId: 'untrustedNoCa', message: `the chain of ${where} (issuer "${issuer}") is not trusted by the system store and no admin.caCertFilePath is set`, hint: `set admin.caCertFilePath: <path to the CA PEM>${file} (flytekit: FLYTE_PLATFORM_CA_CERT_FILE_PATH); do not use insecureSkipVerify`, details };
      }
      return { status: 'pass', message: `${where} speaks TLS and the client config verifies it (insecure: false${c.caCertFilePath ? ', caCertFilePath set' : ''})`, details };
    }
    // No TLS: what does the port speak in plaintext?
    let plain: PlainProbeResult;
    try { plain = await plainProbe({ host: e.host, port: e.port, timeoutMs, signal: ctx.signal, ...(ctx.target.dnsServer ? { dnsServer: ctx.target.dnsServer } : {}) }); } catch (err) {
      if (!(err instanceof ProbeError) || err.kind === 'aborted') throw err;
      return { status: 'fail', ...describeNetFailure(err.kind, where, err.message, timeoutMs), details: { ...base, error: err.code ?? err.kind } };
    }
    const details = { ...base, serverSpeaks: plain.kind, tlsError: tlsErr?.code ?? tlsErr?.kind ?? '', ...(plain.statusLine ? { httpStatusLine: plain.statusLine } : {}), ...(plain.snippet ? { body: plain.snippet } : {}) };
    if (plain.kind === 'h2c') {
      if (c.insecure) return { status: 'pass', messageId: 'plaintextGrpc', message: `${where} speaks plaintext gRPC (h2c), matching admin.insecure: true`, details };
      return { status: 'fail', messageId: 'tlsAgainstPlaintext', message: `admin.insecure is false but ${where} speaks plaintext gRPC (TLS handshake: WRONG_VERSION_NUMBER)`, hint: `set admin.insecure: true${file} for this plaintext port (a port-forward or flyteadmin's 8089), or dial the TLS ingress instead (admin.endpoint: dns:///<ingress host>)`, details };
    }
    if (plain.kind === 'http1') {
      return { status: 'fail', messageId: 'httpOnlyPort', message: `${where} answers plaintext HTTP/1.1 (${plain.statusLine}), not gRPC: it is an HTTP-only port (flyteadmin's 8088, or an ingress's plain HTTP listener)`, hint: `point admin.endpoint at a gRPC port: the TLS ingress (admin.endpoint: dns:///<ingress host>, admin.insecure: false) or flyteadmin's gRPC port 8089 with admin.insecure: true`, details };
    }
    return { status: 'fail', messageId: 'notGrpc', message: `${where} accepted the connection but answered neither TLS nor plaintext gRPC (${plain.kind})`, hint: 'check that admin.endpoint names the ingress TLS port (443) or flyteadmin\'s gRPC port (8089)', details };
  },
});
