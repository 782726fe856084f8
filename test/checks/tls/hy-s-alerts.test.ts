// Helper S: every TLS alert a server can end a handshake with, as tls.admin.handshake and the ingress routing
// checks read it. A raw TLS responder on 127.0.0.1 answers the ClientHello with one alert record (what a Go
// server, Envoy or a TLS-inspecting box sends); a node:tls server does TLS 1.2 mutual TLS for real.
// Before: certificate_revoked (44) read as "a chain caCertFilePath does not anchor" (the neighbouring cause: the
// alert's text matched "certificate revoked"), bad_certificate (42, Go's TLS 1.2 answer to a missing client
// certificate), unknown_ca (48) and decode_error (50) / illegal_parameter (47) as a generic "check its TLS
// configuration", insufficient_security (71) as "share no TLS version", and TLS 1.2 mutual TLS keyed
// tls-handshake while TLS 1.3 mutual TLS is front-auth. Now: each named with its reading, one cause per fault.
import { readFileSync } from 'node:fs';
import { createServer as netServer, type Server as NetServer } from 'node:net';
import { createServer as tlsServer, type Server } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../src/engine/types.js';
import { classifyNetError } from '../../../src/clients/tls.js';
import { testCert } from '../../harness/private-servers.js';
import { getTestbed } from '../../harness/testbed.js';
import { bedTarget, brief, runMany } from '../client/bed.js';
import { warmUp } from '../ingress/private-bed.js';

const IDS = ['tls.admin.handshake', 'ingress.grpc.admin', 'ingress.http.healthcheck'];
const ALERTS = [42, 44, 48, 50, 47, 71, 86] as const;
const port: Record<string, number> = {};
const servers: (NetServer | Server)[] = [];

async function listen(s: NetServer | Server, name: string, p: number): Promise<void> {
  servers.push(s);
  await new Promise<void>((r) => s.listen(p, '127.0.0.1', r));
  port[name] = p;
}

beforeAll(async () => {
  let p = 31300;
  for (const code of ALERTS) {
    // a fatal alert record (TLS 1.2 record version, as TLS 1.3 servers send it too) in answer to the ClientHello
    await listen(netServer((sock) => { sock.on('error', () => {}); sock.once('data', () => sock.end(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, code]))); }), `a${code}`, p++);
  }
  const c = testCert('ingress');
  const mtls = (maxVersion: 'TLSv1.2' | 'TLSv1.3') => {
    const s = tlsServer({ cert: readFileSync(c.cert), key: readFileSync(c.key), requestCert: true, rejectUnauthorized: true, ca: readFileSync(getTestbed().caCert), maxVersion, ALPNProtocols: ['h2', 'http/1.1'] }, (sock) => { sock.on('error', () => {}); sock.end(); });
    s.on('tlsClientError', () => {});
    return s;
  };
  await listen(mtls('TLSv1.2'), 'mtls12', 31318);
  await listen(mtls('TLSv1.3'), 'mtls13', 31319);
  await warmUp();
}, 60_000);
afterAll(async () => { await Promise.all(servers.map((s) => new Promise((r) => s.close(r)))); });

const by = (rs: CheckResult[], id: string) => rs.find((r) => r.id === id)!;

describe('TLS alerts: each named with its reading, never the neighbouring cause', () => {
  it('an alert text is the peer\'s verdict: "alert certificate revoked" is not a revoked server certificate', () => {
    const err = Object.assign(new Error('error:0A000414:SSL routines:ssl3_read_bytes:sslv3 alert certificate revoked:SSL alert number 44'), { code: 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED' });
    expect(classifyNetError(err).kind).toBe('tlsAlert');
    expect(classifyNetError(new Error('No connection established. Last error: Error: ... tlsv1 alert protocol version ... SSL alert number 70')).kind).toBe('tlsVersion');
    expect(classifyNetError(new Error('No connection established. Last error: Error: EE certificate key too weak.')).code).toBe('EE_KEY_TOO_SMALL');
  });

  for (const code of [42, 44, 48] as const) {
    it(`an alert about the client's certificate (${code}) to a client that sent none: clientCertRequired, keyed front-auth like certificate_required`, async () => {
      const rs = await runMany(IDS, bedTarget(port[`a${code}`]!), 'verify', 8000);
      for (const id of IDS) {
        const r = by(rs, id);
        expect(r.status, brief(r)).toBe('fail');
        expect(r.messageId, brief(r)).toBe('clientCertRequired');
        expect(r.cause, brief(r)).toBe(`front-auth:flyte.test:${port[`a${code}`]}`);
        expect(r.message, brief(r)).toMatch(/speaks of the client's certificate, never of the server's own/);
        expect(r.message, brief(r)).not.toMatch(/does not anchor|flyte-doctor has no reading/);
      }
    }, 30_000);
  }

  for (const code of [50, 47] as const) {
    it(`${code === 50 ? 'decode_error' : 'illegal_parameter'} (${code}): the server or a middlebox rejected the ClientHello, with the way to tell them apart`, async () => {
      const rs = await runMany(IDS, bedTarget(port[`a${code}`]!), 'verify', 8000);
      const h = by(rs, 'tls.admin.handshake');
      expect(h.messageId, brief(h)).toBe('clientHelloRejected');
      for (const id of IDS) {
        const r = by(rs, id);
        expect(r.message, brief(r)).toMatch(/could not parse or accept a standard ClientHello/);
        expect(r.hint, brief(r)).toMatch(/TLS-inspecting proxy/);
        expect(r.cause, brief(r)).toBe(h.cause);
      }
    }, 30_000);
  }

  it('insufficient_security (71): "requires stronger parameters", not "share no TLS version"', async () => {
    const rs = await runMany(IDS, bedTarget(port.a71!), 'verify', 8000);
    for (const id of IDS) {
      const r = by(rs, id);
      expect(r.message, brief(r)).toMatch(/insufficient_security \(71\): it requires stronger parameters than the client offered/);
      expect(r.message, brief(r)).not.toMatch(/share no TLS version|accepts none of the TLS versions/);
    }
  }, 30_000);

  it('an alert without a reading (inappropriate_fallback, 86): said as unrecognised, with the alert', async () => {
    const rs = await runMany(IDS, bedTarget(port.a86!), 'verify', 8000);
    for (const id of IDS) {
      const r = by(rs, id);
      expect(r.status, brief(r)).toBe('fail');
      expect(r.message, brief(r)).toMatch(/unrecognised: inappropriate_fallback/);
    }
  }, 30_000);

  it('TLS 1.2 mutual TLS (handshake_failure, decided by a throwaway certificate) is keyed front-auth everywhere, as TLS 1.3 mutual TLS is', async () => {
    const [r12, r13] = [await runMany(IDS, bedTarget(port.mtls12!), 'verify', 8000), await runMany(IDS, bedTarget(port.mtls13!), 'verify', 8000)];
    for (const id of IDS) {
      const a = by(r12, id), b = by(r13, id);
      expect(a.cause, brief(a)).toBe(`front-auth:flyte.test:${port.mtls12}`);
      expect(b.cause, brief(b)).toBe(`front-auth:flyte.test:${port.mtls13}`);
      expect(a.message, brief(a)).toMatch(/client certificate \(mutual TLS\)/);
      expect(a.message, brief(a)).not.toMatch(/no cipher suite in common, or/);
    }
  }, 40_000);
});
