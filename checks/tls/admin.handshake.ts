import { adminEndpoint, hostPort } from '../../src/config/endpoints.js';
import { probeTimeout } from '../../src/engine/budget.js';
import { ProbeError, postHandshakeAlert } from '../../src/clients/tls.js';
import { cause, hostPortKey } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import { NOT_FROM_HERE_MESSAGE, HANDSHAKE_FAILURE_MESSAGES, handshakeFailure, tlsCause, tlsView } from './_support.js';
import { uncheckableHere } from '../client/_support.js';

export default defineCheck({
  id: 'tls.admin.handshake',
  title: 'TLS handshake with the admin endpoint (version, ALPN h2)',
  phases: ['preflight', 'verify'],
  needs: ['endpoint'],
  dependsOn: ['dns.admin.resolve'],
  timeoutMs: 8000,
  messages: {
    negotiated: { status: 'pass', summary: 'TLS 1.2 or 1.3 with ALPN h2: what gRPC clients need.' },
    oldTls: { status: 'fail', summary: 'The server speaks only TLS 1.0/1.1, which flytectl and pyflyte refuse.' },
    noH2: { status: 'fail', summary: 'The TLS listener does not offer HTTP/2 (ALPN h2), which gRPC needs.' },
    ...HANDSHAKE_FAILURE_MESSAGES,
    ...NOT_FROM_HERE_MESSAGE,
  },
  explain: {
    what: 'Completes a TLS handshake with the admin endpoint (SNI = its host), offering every TLS version and ALPN h2 + http/1.1, and reports the version and the protocol the server chose; a handshake that fails is named by the TLS alert the server sent, or by what listens on the port instead (plain HTTP, h2c gRPC, SSH, ...).',
    why: 'gRPC needs HTTP/2, negotiated by ALPN `h2`, over TLS 1.2 or newer. A plaintext port answers a handshake with WRONG_VERSION_NUMBER.',
    fix: 'Point `admin.endpoint` at the TLS listener of the ingress (443) with HTTP/2 enabled (nginx `listen 443 ssl http2`), or set `admin.insecure: true` for a plaintext admin port.',
  },
  async run(ctx) {
    const e = adminEndpoint(ctx.target)!;
    const where = hostPort(e);
    if (!e.tls) return { status: 'skip', message: `the client dials ${where} without TLS (admin.insecure is true): client.config.tls-mode checks that the server agrees` };
    const here = uncheckableHere(ctx);
    if (here) return here;
    const timeoutMs = probeTimeout(ctx);
    try {
      const { probe: p } = await tlsView(ctx, e);
      const details = { endpoint: where, address: p.address, tlsVersion: p.protocol, alpn: p.alpn || 'none', cipher: p.cipher, ...(p.servername ? { sni: p.servername } : {}) };
      if (p.protocol === 'TLSv1' || p.protocol === 'TLSv1.1' || p.protocol === 'SSLv3') {
        return { status: 'fail', messageId: 'oldTls', cause: tlsCause('version', e), message: `${where} negotiated ${p.protocol}, its best version: flytectl (Go) and pyflyte (gRPC/BoringSSL) require TLS 1.2 or newer`, hint: 'enable TLS 1.2 and 1.3 on the ingress / load balancer (ingress-nginx ConfigMap ssl-protocols: "TLSv1.2 TLSv1.3"; plain nginx: ssl_protocols TLSv1.2 TLSv1.3; ALB: an ELBSecurityPolicy-TLS13-* policy)', details };
      }
      if (p.alpn !== 'h2') {
        return { status: 'fail', messageId: 'noH2', cause: tlsCause('alpn', e), message: `${where} did not negotiate HTTP/2 (ALPN ${p.alpn || 'none'}): gRPC needs h2, so clients fail with "Trying to connect an http1.x server"`, hint: 'enable HTTP/2 on the TLS listener (ingress-nginx: on by default, use-http2: "true" in the controller ConfigMap; plain nginx: listen 443 ssl http2; AWS: an ALB HTTPS listener, not an NLB/ELB TLS listener without ALPN)', details };
      }
      if (p.protocol === 'TLSv1.3' && ctx.remainingMs() > 800) {
        // TLS 1.3: a server that requires a client certificate says so only after the handshake the client counted as done.
        const a = await postHandshakeAlert({ host: e.host, port: e.port, timeoutMs: Math.min(600, ctx.remainingMs() - 500), signal: ctx.signal, listenOnly: true, ...(ctx.target.dnsServer ? { dnsServer: ctx.target.dnsServer } : {}) });
        if (a?.code === 116) {
          return { status: 'fail', messageId: 'clientCertRequired', cause: cause.frontAuth(hostPortKey(e.host, e.port)), message: `${where} completes the TLS 1.3 handshake, then aborts it with the alert ${a.name} (${a.code}): it requires a client certificate (mutual TLS)`, hint: 'Flyte clients do not present client certificates: turn off client-certificate verification for the Flyte host (ingress-nginx auth-tls-verify-client: "off", or the load balancer\'s mTLS setting), or put Flyte behind a listener without mTLS', details: { ...details, tlsAlert: `${a.name} (${a.code})` } };
        }
      }
      return { status: 'pass', messageId: 'negotiated', message: `${where}: ${p.protocol}, ALPN h2, ${p.cipher}`, details };
    } catch (err) {
      if (!(err instanceof ProbeError) || err.kind === 'aborted') throw err;
      // handshake_failure (40) on TLS 1.2: handshakeFailure() tells mutual TLS from no shared cipher (clientCertDemand).
      return handshakeFailure(ctx, e, err, timeoutMs);
    }
  },
});
