// A certificate signed with SHA-1 by a CA the client trusts: Node/OpenSSL 3 refuses it ("CA
// signature digest algorithm too weak"), as Go's crypto/x509 (flytectl) does. The TLS trust check
// must not pass it on its anchor, and the routing checks must name it (not "unrecognised ... a plain
// HTTP server"), all with one cause. nginx serves the crafted certificate; a SHA-256 one beside it is healthy.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { weakSignatureOf } from '../../../src/clients/tls.js';
import type { CheckResult } from '../../../src/engine/types.js';
import { testCert, type Running } from '../../harness/private-servers.js';
import { getTestbed } from '../../harness/testbed.js';
import { bedTarget, brief, runMany } from '../client/bed.js';
import { healthyBody, privateIngress, startPrivateAdmin, warmUp, type PrivateAdmin } from '../ingress/private-bed.js';

const IDS = ['tls.admin.trust', 'ingress.grpc.admin', 'ingress.http.healthcheck'];
let ng: Running;
let admin: PrivateAdmin;
let sha1: { cert: string; key: string };

/** A leaf for flyte.test signed by the test bed's CA with `md` (in a directory of this test's own). */
function leafSignedWith(md: string): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fd-weak-'));
  const ca = getTestbed().caCert;
  const [key, csr, cert, ext] = ['leaf.key', 'leaf.csr', 'leaf.crt', 'leaf.ext'].map((f) => join(dir, f)) as [string, string, string, string];
  writeFileSync(ext, 'subjectAltName=DNS:flyte.test,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n');
  execFileSync('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=flyte.test'], { stdio: 'ignore' });
  execFileSync('openssl', ['x509', '-req', `-${md}`, '-in', csr, '-CA', ca, '-CAkey', join(dirname(ca), 'ca.key'), '-CAserial', join(dir, 'srl'), '-CAcreateserial', '-days', '30', '-extfile', ext, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

beforeAll(async () => {
  sha1 = leafSignedWith('sha1');
  const good = testCert('ingress');
  admin = await startPrivateAdmin();
  const block = (port: number, c: { cert: string; key: string }) => `  server { listen 127.0.0.1:${port} ssl http2; server_name flyte.test; ssl_certificate ${c.cert}; ssl_certificate_key ${c.key}; ssl_ciphers DEFAULT:@SECLEVEL=0;\n${healthyBody(admin)}\n  }`;
  ng = await privateIngress((p) => `${block(p[0]!, good)}\n${block(p[1]!, sha1)}`, { count: 2 });
  await warmUp();
}, 90_000);
afterAll(async () => { await Promise.all([ng?.stop(), admin?.stop()]); });

const by = (rs: CheckResult[], id: string) => rs.find((r) => r.id === id)!;

describe('a SHA-1 signed certificate', () => {
  it('the signature algorithm is read from the DER: SHA-1 named, SHA-256 not', () => {
    expect(weakSignatureOf(new X509Certificate(readFileSync(sha1.cert)).raw)).toBe('sha1WithRSAEncryption');
    expect(weakSignatureOf(new X509Certificate(readFileSync(testCert('ingress').cert)).raw)).toBeUndefined();
  });

  it('healthy (SHA-256 from the same CA): routes pass, trust is the private-CA warn', async () => {
    const rs = await runMany(IDS, bedTarget(ng.ports[0]!), 'verify', 8000);
    expect(by(rs, 'tls.admin.trust').messageId, brief(by(rs, 'tls.admin.trust'))).toBe('privateCa');
    for (const id of ['ingress.grpc.admin', 'ingress.http.healthcheck']) expect(by(rs, id).status, brief(by(rs, id))).toBe('pass');
  });

  it('SHA-1: tls.admin.trust fails weakSignature (not a pass on its anchor); the routes name it with the same cause', async () => {
    const p = ng.ports[1]!;
    const rs = await runMany(IDS, bedTarget(p), 'verify', 8000);
    const tr = by(rs, 'tls.admin.trust');
    expect(tr.status, brief(tr)).toBe('fail');
    expect(tr.messageId, brief(tr)).toBe('weakSignature');
    expect(tr.cause).toBe(`tls-weak-signature:flyte.test:${p}`);
    for (const id of ['ingress.grpc.admin', 'ingress.http.healthcheck']) {
      const r = by(rs, id);
      expect(r.messageId, brief(r)).toBe('certWeakSignature');
      expect(r.cause, brief(r)).toBe(tr.cause);
      expect(r.message, brief(r)).toMatch(/sha1WithRSAEncryption/);
      expect(r.message, brief(r)).not.toMatch(/plain HTTP server/);
      expect(r.hint, brief(r)).toMatch(/SHA-256/);
    }
  });
});
