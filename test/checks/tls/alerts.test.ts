// TLS alerts a real server sends, as the TLS check and the ingress routing checks meet them: each
// named from the alert (not "plain HTTP", not "add the host to tls.hosts" for every alert), and the
// same fault keyed alike across the checks. nginx produces unrecognized_name (ssl_reject_handshake)
// and protocol_version (ssl_protocols TLSv1); node:tls produces certificate_required (TLS 1.3 mutual
// TLS: sent after the handshake the client counted as done) and handshake_failure (TLS 1.2 mTLS).
import { readFileSync } from 'node:fs';
import { createServer as tlsServer, type Server } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../src/engine/types.js';
import { testCert, type Running } from '../../harness/private-servers.js';
import { getTestbed } from '../../harness/testbed.js';
import { bedTarget, brief, runMany } from '../client/bed.js';
import { healthyBody, privateIngress, serverBlock, startPrivateAdmin, warmUp, type PrivateAdmin } from '../ingress/private-bed.js';

const IDS = ['tls.admin.handshake', 'ingress.grpc.admin', 'ingress.http.healthcheck'];
const port: Record<'healthy' | 'rejectSni' | 'tls10' | 'mtls13' | 'mtls12', number> = { healthy: 0, rejectSni: 0, tls10: 0, mtls13: 0, mtls12: 0 };
const servers: Server[] = [];
let ng: Running;
let admin: PrivateAdmin;

beforeAll(async () => {
  const c = testCert('ingress');
  const mtls = async (maxVersion: 'TLSv1.2' | 'TLSv1.3') => {
    const s = tlsServer({ cert: readFileSync(c.cert), key: readFileSync(c.key), requestCert: true, rejectUnauthorized: true, ca: readFileSync(getTestbed().caCert), maxVersion, ALPNProtocols: ['h2', 'http/1.1'] }, (sock) => { sock.on('error', () => {}); sock.end(); });
    s.on('tlsClientError', () => {});
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    servers.push(s);
    return (s.address() as { port: number }).port;
  };
  port.mtls13 = await mtls('TLSv1.3');
  port.mtls12 = await mtls('TLSv1.2');
  admin = await startPrivateAdmin();
  ng = await privateIngress((p) => [
    serverBlock(p[0]!, healthyBody(admin)),
    // a listener with no server for the name asked: ingress-nginx without a default certificate, or plain nginx's ssl_reject_handshake
    `  server { listen 127.0.0.1:${p[1]} ssl http2 default_server; ssl_reject_handshake on; }\n  server { listen 127.0.0.1:${p[1]} ssl http2; server_name other.test; ssl_certificate ${c.cert}; ssl_certificate_key ${c.key}; }`,
    serverBlock(p[2]!, healthyBody(admin), { serverExtra: '    ssl_protocols TLSv1;' }),
  ].join('\n'), { count: 3 });
  [port.healthy, port.rejectSni, port.tls10] = ng.ports as [number, number, number];
  await warmUp();
}, 90_000);
afterAll(async () => { for (const s of servers) s.close(); await Promise.all([ng?.stop(), admin?.stop()]); });

const by = (rs: CheckResult[], id: string) => rs.find((r) => r.id === id)!;

describe('TLS alerts through the TLS and ingress checks', () => {
  it('healthy: the handshake and both routes pass', async () => {
    const rs = await runMany(IDS, bedTarget(port.healthy), 'verify', 8000);
    for (const id of IDS) expect(by(rs, id).status, brief(by(rs, id))).toBe('pass');
  });

  it('unrecognized_name (112): named as such by every check, one cause; the TLS check does not call the port plain HTTP', async () => {
    const rs = await runMany(IDS, bedTarget(port.rejectSni), 'verify', 8000);
    const h = by(rs, 'tls.admin.handshake');
    expect(h.messageId, brief(h)).toBe('unrecognizedName');
    for (const id of ['ingress.grpc.admin', 'ingress.http.healthcheck']) {
      const r = by(rs, id);
      expect(r.messageId, brief(r)).toBe('tlsAlert');
      expect(r.message, brief(r)).toMatch(/unrecognized_name \(112\).*no TLS server \(certificate\) for the name flyte\.test/);
      expect(r.cause, brief(r)).toBe(h.cause);
    }
  });

  it('a TLS 1.0-only server: protocol version everywhere, keyed tls-version (not plaintextPort / internal_error)', async () => {
    const rs = await runMany(IDS, bedTarget(port.tls10), 'verify', 8000);
    const h = by(rs, 'tls.admin.handshake');
    expect(h.messageId, brief(h)).toBe('protocolVersion');
    expect(h.cause, brief(h)).toBe(`tls-version:flyte.test:${port.tls10}`);
    for (const id of ['ingress.grpc.admin', 'ingress.http.healthcheck']) {
      const r = by(rs, id);
      expect(r.messageId, brief(r)).toBe('tlsVersion');
      expect(r.cause, brief(r)).toBe(h.cause);
      expect(r.hint, brief(r)).toMatch(/TLSv1\.2 TLSv1\.3/);
    }
  });

  it('preflight (the TLS check alone) names TLS 1.3 mutual TLS too', async () => {
    const rs = await runMany(['tls.admin.handshake'], bedTarget(port.mtls13), 'preflight', 8000);
    const r = by(rs, 'tls.admin.handshake');
    expect(r.messageId, brief(r)).toBe('clientCertRequired');
  });

  it('TLS 1.3 mutual TLS (certificate_required after the handshake): clientCertRequired on the TLS check (not a pass), gRPC and HTTP (not "connection reset / another service"), one cause', async () => {
    const rs = await runMany(IDS, bedTarget(port.mtls13), 'verify', 8000);
    for (const id of IDS) {
      const r = by(rs, id);
      expect(r.status, brief(r)).toBe('fail');
      expect(r.messageId, brief(r)).toBe('clientCertRequired');
      expect(r.cause, brief(r)).toBe(`front-auth:flyte.test:${port.mtls13}`);
      expect(r.message, brief(r)).toMatch(/certificate_required \(116\)/);
    }
  });

  it('TLS 1.2 mutual TLS (handshake_failure): the ingress checks name the alert and the client-certificate reading, not the SNI fix', async () => {
    const rs = await runMany(IDS, bedTarget(port.mtls12), 'verify', 8000);
    const h = by(rs, 'tls.admin.handshake');
    expect(h.messageId, brief(h)).toBe('handshakeFailure');
    for (const id of ['ingress.grpc.admin', 'ingress.http.healthcheck']) {
      const r = by(rs, id);
      expect(r.messageId, brief(r)).toBe('clientCertRequired');
      expect(r.message, brief(r)).toMatch(/handshake_failure \(40\)/);
      expect(r.hint, brief(r)).toMatch(/client certificates/);
      expect(r.hint, brief(r)).not.toMatch(/tls\.hosts/);
      expect(r.cause, brief(r)).toBe(h.cause);
    }
  });
});
