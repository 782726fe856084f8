// Helper P: a TLS 1.2 server that requires a client certificate answers handshake_failure (40), like one that
// shares no cipher suite. Before: tls.admin.handshake said "no cipher suite in common, or wants a client
// certificate" with a cipher-suite fix first. Now a second handshake with a throwaway client certificate tells
// them apart: mTLS is named decisively (same messageId and cause as the ingress checks share); the cipher mismatch keeps the two readings.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:tls';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { bedTarget, brief, run } from '../client/bed.js';

const servers: Server[] = [];
const P = { mtls: 0, noCipher: 0 };

async function serve(opts: Parameters<typeof createServer>[0]): Promise<number> {
  const s = createServer({ ALPNProtocols: ['h2'], ...opts }, (sock) => sock.end());
  s.on('tlsClientError', () => {});
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as { port: number }).port;
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hx-p-mtls-'));
  const ca = { cert: getTestbed().caCert, key: join(dirname(getTestbed().caCert), 'ca.key') };
  const f = (x: string) => join(dir, x);
  writeFileSync(f('ext'), 'subjectAltName=DNS:flyte.test,DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n');
  execFileSync('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('key'), '-out', f('csr'), '-subj', '/CN=flyte.test'], { stdio: 'ignore' });
  execFileSync('openssl', ['x509', '-req', '-sha256', '-in', f('csr'), '-CA', ca.cert, '-CAkey', ca.key, '-CAserial', f('srl'), '-CAcreateserial', '-days', '90', '-extfile', f('ext'), '-out', f('crt')], { stdio: 'ignore' });
  const cert = readFileSync(f('crt'), 'utf8'), key = readFileSync(f('key'), 'utf8');
  P.mtls = await serve({ cert, key, requestCert: true, rejectUnauthorized: true, ca: readFileSync(ca.cert, 'utf8'), maxVersion: 'TLSv1.2' });
  // An RSA certificate with ECDSA-only suites: "no shared cipher", the same alert 40.
  P.noCipher = await serve({ cert, key, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
}, 60_000);
afterAll(async () => { await Promise.all(servers.map((s) => new Promise((r) => s.close(r)))); });

describe('tls.admin.handshake: handshake_failure on TLS 1.2, mTLS vs no shared cipher', () => {
  it('a server that requires a client certificate: named decisively, with the evidence of both handshakes', async () => {
    const { result } = await run('tls.admin.handshake', bedTarget(P.mtls));
    expect(result.status, brief(result)).toBe('fail');
    expect(result.messageId, brief(result)).toBe('handshakeFailure');
    expect(result.message).toMatch(/requires a client certificate \(mutual TLS\), not a cipher suite/);
    expect(result.message).toMatch(/handshake_failure \(40\)/);
    expect(result.hint).toMatch(/auth-tls-verify-client/);
    expect(result.hint).not.toMatch(/cipher/);
    expect(result.details?.withClientCertificate).toBeDefined();
  });

  it('a server with no cipher suite in common: stays handshakeFailure (the control)', async () => {
    const { result } = await run('tls.admin.handshake', bedTarget(P.noCipher));
    expect(result.status, brief(result)).toBe('fail');
    expect(result.messageId, brief(result)).toBe('handshakeFailure');
    expect(result.details?.tlsAlert).toBe('handshake_failure (40)');
    expect(result.details?.withClientCertificate).toBeUndefined();
    expect(result.message).not.toMatch(/requires a client certificate/);
  });
});
