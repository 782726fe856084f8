import { adminEndpoint, hostPort } from '../../src/config/endpoints.js';
import { probeTimeout } from '../../src/engine/budget.js';
import { sharedTlsProbe } from '../../src/clients/tls.js';
import { ProbeError, describeNetFailure } from '../../src/clients/tls.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext, Outcome } from '../../src/engine/types.js';

export default defineCheck({
  id: 'tls.admin.handshake',
  title: 'TLS handshake with the admin endpoint (version, ALPN h2)',
  phases: ['preflight', 'verify'],
  needs: ['endpoint'],
  dependsOn: ['dns.admin.resolve'],
  timeoutMs: 8000,
  explain: {
    what: 'Completes a TLS handshake with the admin endpoint (SNI = its host), offering ALPN h2 and http/1.1, and reports the TLS version and the negotiated protocol.',
    why: 'gRPC needs HTTP/2, negotiated by ALPN `h2`, over TLS 1.2 or newer. A plaintext port answers a handshake with WRONG_VERSION_NUMBER.',
    fix: 'Point `admin.endpoint` at the TLS listener of the ingress (443) with HTTP/2 enabled (nginx `listen 443 ssl http2`), or set `admin.insecure: true` for a plaintext admin port.',
  },
  async run(ctx: CheckContext): Promise<Outcome> {
    const e = adminEndpoint(ctx.target)!;
    const where = hostPort(e);
    if (!e.tls) return { status: 'skip', message: `admin.insecure is true: the client dials ${where} without TLS (client.config.tls-mode checks that the server agrees)` };
    const timeoutMs = probeTimeout(ctx);
    try {
      const p = await sharedTlsProbe(ctx, e, timeoutMs);
      const details = { endpoint: where, address: p.address, tlsVersion: p.protocol, alpn: p.alpn || 'none', cipher: p.cipher, ...(p.servername ? { sni: p.servername } : {}) };
      if (p.protocol === 'TLSv1' || p.protocol === 'TLSv1.1') {
        return { status: 'fail', messageId: 'oldTls', message: `${where} negotiated ${p.protocol}; gRPC clients require TLS 1.2 or newer`, hint: 'enable TLS 1.2/1.3 on the ingress / load balancer (nginx: ssl_protocols TLSv1.2 TLSv1.3; ALB: an ELBSecurityPolicy-TLS13-* policy)', details };
      }
      if (p.alpn !== 'h2') {
        return { status: 'fail', messageId: 'noH2', message: `${where} did not negotiate HTTP/2 (ALPN ${p.alpn || 'none'}); gRPC needs h2`, hint: 'enable HTTP/2 on the TLS listener (ingress-nginx: on by default, `use-http2: "true"` in the controller ConfigMap; plain nginx: `listen 443 ssl http2`; AWS: an ALB HTTPS listener, not a classic ELB/NLB TLS listener without ALPN)', details };
      }
      return { status: 'pass', message: `${where}: ${p.protocol}, ALPN h2, ${p.cipher}`, details };
    } catch (err) {
      if (!(err instanceof ProbeError) || err.kind === 'aborted') throw err;
      const f = describeNetFailure(err.kind, where, err.message, timeoutMs);
      return { status: 'fail', ...f, details: { endpoint: where, ...(err.address ? { address: err.address } : {}), error: err.code ?? err.kind } };
    }
  },
});
