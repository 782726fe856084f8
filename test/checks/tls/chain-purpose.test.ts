// Chains that a CA anchors but every client refuses for what a certificate on them may do:
//   eku      a leaf whose extendedKeyUsage is clientAuth only (OpenSSL "unsupported certificate purpose",
//            Go "x509: certificate specifies an incompatible key usage")
//   notCa    a leaf issued by a certificate with basicConstraints CA:FALSE, sent as the intermediate
//            (OpenSSL INVALID_CA, Go "x509: certificate is not authorized to sign other certificates")
//   order    leaf, int1, int2 where int2 issued the leaf and int1 issued int2: clients reorder the
//            intermediates they are sent and verify it; Node's getPeerCertificate(true) loses int1
// Before, tls.admin.trust said "caFileDoesNotSign" for the out-of-order chain (asking to set
// caCertFilePath to an intermediate the server sends), and said "privateCa" (a warn that the chain is trusted) for both, and the
// routing checks had no TLS cause to point at. Real Node TLS servers serve the crafted chains.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:tls';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { bedTarget, brief, run } from '../client/bed.js';

const LEAF = 'subjectAltName=DNS:flyte.test,DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n';
let dir: string;
const servers: Server[] = [];
const ports: Record<'eku' | 'notCa' | 'good' | 'order' | 'negSerial' | 'rsa1024', number> = { eku: 0, notCa: 0, good: 0, order: 0, negSerial: 0, rsa1024: 0 };

/** A key + certificate `name` for `cn` signed by `ca` (a { cert, key } pair) with the extensions `ext`. */
function issue(name: string, cn: string, ca: { cert: string; key: string }, ext: string, o: { bits?: number; serial?: string } = {}): { cert: string; key: string } {
  const f = (x: string) => join(dir, `${name}.${x}`);
  writeFileSync(f('ext'), ext);
  execFileSync('openssl', ['req', '-newkey', `rsa:${o.bits ?? 2048}`, '-nodes', '-keyout', f('key'), '-out', f('csr'), '-subj', `/CN=${cn}`], { stdio: 'ignore' });
  const serial = o.serial ? ['-set_serial', o.serial] : ['-CAserial', join(dir, 'srl'), '-CAcreateserial'];
  execFileSync('openssl', ['x509', '-req', '-sha256', '-in', f('csr'), '-CA', ca.cert, '-CAkey', ca.key, ...serial, '-days', '90', '-extfile', f('ext'), '-out', f('crt')], { stdio: 'ignore' });
  return { cert: f('crt'), key: f('key') };
}

async function serve(cert: string, key: string): Promise<number> {
  // (security level 0: Node 24's OpenSSL 3.5 refuses to load the 1024-bit key at its default level 2)
  const s = createServer({ cert, key, ALPNProtocols: ['h2'], ciphers: 'DEFAULT:@SECLEVEL=0' }, (sock) => sock.end());
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as { port: number }).port;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fd-purpose-'));
  const ca = { cert: getTestbed().caCert, key: join(dirname(getTestbed().caCert), 'ca.key') };
  const eku = issue('eku', 'flyte.test', ca, `${LEAF}extendedKeyUsage=clientAuth\n`);
  const notCaInt = issue('notca', 'flyte-doctor not-a-CA issuer', ca, 'basicConstraints=critical,CA:FALSE\nkeyUsage=digitalSignature,keyCertSign\nsubjectKeyIdentifier=hash\n');
  const leaf = issue('leaf', 'flyte.test', notCaInt, `${LEAF}extendedKeyUsage=serverAuth\n`);
  const good = issue('good', 'flyte.test', ca, `${LEAF}extendedKeyUsage=serverAuth\n`);
  ports.eku = await serve(readFileSync(eku.cert, 'utf8'), readFileSync(eku.key, 'utf8'));
  ports.notCa = await serve(readFileSync(leaf.cert, 'utf8') + readFileSync(notCaInt.cert, 'utf8'), readFileSync(leaf.key, 'utf8'));
  const caExt = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n';
  const int1 = issue('int1', 'flyte-doctor order int1', ca, caExt);
  const int2 = issue('int2', 'flyte-doctor order int2', int1, caExt);
  const ordered = issue('ordered', 'flyte.test', int2, `${LEAF}extendedKeyUsage=serverAuth\n`);
  ports.order = await serve([ordered.cert, int1.cert, int2.cert].map((f) => readFileSync(f, 'utf8')).join(''), readFileSync(ordered.key, 'utf8'));
  ports.good = await serve(readFileSync(good.cert, 'utf8'), readFileSync(good.key, 'utf8'));
  const neg = issue('neg', 'flyte.test', ca, `${LEAF}extendedKeyUsage=serverAuth\n`, { serial: '-4660' });
  ports.negSerial = await serve(readFileSync(neg.cert, 'utf8'), readFileSync(neg.key, 'utf8'));
  const small = issue('small', 'flyte.test', ca, `${LEAF}extendedKeyUsage=serverAuth\n`, { bits: 1024 });
  ports.rsa1024 = await serve(readFileSync(small.cert, 'utf8'), readFileSync(small.key, 'utf8'));
}, 60_000);
afterAll(async () => { await Promise.all(servers.map((s) => new Promise((r) => s.close(r)))); });

describe('tls.admin.trust: what a certificate on an anchored chain may do', () => {
  it('the same CA with serverAuth: the private-CA warn (the control)', async () => {
    const { result } = await run('tls.admin.trust', bedTarget(ports.good));
    expect(result.messageId, brief(result)).toBe('privateCa');
  });

  it('extendedKeyUsage clientAuth only: fail noServerAuth naming the usage, per client, and the reissue', async () => {
    const { result } = await run('tls.admin.trust', bedTarget(ports.eku));
    expect(result.status, brief(result)).toBe('fail');
    expect(result.messageId, brief(result)).toBe('noServerAuth');
    expect(result.cause).toBe(`tls-untrusted:flyte.test:${ports.eku}`);
    expect(result.message).toContain('clientAuth');
    expect(result.message).toMatch(/Go: "x509: certificate specifies an incompatible key usage"/);
    expect(result.message).toMatch(/unsupported certificate purpose/);
    expect(result.hint).toMatch(/extendedKeyUsage serverAuth/);
    expect(result.hint).not.toMatch(/caCertFilePath/);
    expect(result.details?.extendedKeyUsage).toBe('CN=flyte.test: clientAuth');
  });

  it('insecureSkipVerify: not judged on its key usage (the skip-verify warn instead)', async () => {
    const { result } = await run('tls.admin.trust', bedTarget(ports.eku, { insecureSkipVerify: true }));
    expect(result.messageId, brief(result)).not.toBe('noServerAuth');
  });

  it('issued by a CA:FALSE certificate sent as the intermediate: fail notCaIssuer naming it, per client', async () => {
    const { result } = await run('tls.admin.trust', bedTarget(ports.notCa));
    expect(result.status, brief(result)).toBe('fail');
    expect(result.messageId, brief(result)).toBe('notCaIssuer');
    expect(result.cause).toBe(`tls-chain:flyte.test:${ports.notCa}`);
    expect(result.message).toContain('CN=flyte-doctor not-a-CA issuer');
    expect(result.message).toMatch(/INVALID_CA/);
    expect(result.message).toMatch(/not authorized to sign other certificates/);
    expect(result.hint).toMatch(/CA:TRUE/);
    expect(result.hint).not.toMatch(/caCertFilePath/);
  });

  it('intermediates sent out of order (leaf, int1, int2): trusted as clients see it, all three read, not "caFileDoesNotSign"', async () => {
    const { result } = await run('tls.admin.trust', bedTarget(ports.order));
    expect(result.messageId, brief(result)).toBe('privateCa');
    expect(result.details?.chainSent).toEqual(['CN=flyte.test', 'CN=flyte-doctor order int1', 'CN=flyte-doctor order int2']);
    expect(String(result.details?.chainOrder)).toMatch(/out of order/);
  });

  // Go and OpenSSL judge these differently from Node, which accepts both: said per client.
  it('a negative serial number: fail negativeSerial (flytectl, Go 1.23+, refuses it; Node accepts), the fix is a reissue', async () => {
    const { result } = await run('tls.admin.trust', bedTarget(ports.negSerial));
    expect(result.status, brief(result)).toBe('fail');
    expect(result.messageId, brief(result)).toBe('negativeSerial');
    expect(result.cause).toBe(`tls-negative-serial:flyte.test:${ports.negSerial}`);
    expect(result.message).toMatch(/x509: negative serial number/);
    expect(result.hint).toMatch(/positive serial/);
    expect(result.hint).not.toMatch(/caCertFilePath/);
  });

  it('a 1024-bit RSA key: warn weakKey (Debian/Ubuntu OpenSSL at level 2 refuses it), not the private-CA warn', async () => {
    const { result } = await run('tls.admin.trust', bedTarget(ports.rsa1024));
    expect(result.status, brief(result)).toBe('warn');
    expect(result.messageId, brief(result)).toBe('weakKey');
    expect(result.message).toMatch(/1024-bit RSA key/);
    expect(result.hint).toMatch(/2048-bit/);
    expect((await run('tls.admin.trust', bedTarget(ports.good))).result.messageId).toBe('privateCa');
  });
});
