// One TLS secure context per trust set (src/clients/secure-context.ts): the same certificates give
// the same context whatever array holds them, repeated certificates are added once, and a shared
// context really verifies: a real
// handshake to the test bed's nginx passes with the test CA in the set and fails without it.
import { readFileSync } from 'node:fs';
import { connect, rootCertificates } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { distinctCerts, sharedSecureContext } from '../../../src/clients/secure-context.js';
import { getTestbed } from '../../harness/testbed.js';

const handshake = (port: number, ca: string[]) => sharedSecureContext({ ca }).then((secureContext) => new Promise<{ authorized: boolean; error?: string }>((resolve, reject) => {
  const s = connect({ host: '127.0.0.1', port, servername: 'flyte.test', secureContext: secureContext!, rejectUnauthorized: false });
  s.once('secureConnect', () => { resolve({ authorized: s.authorized, ...(s.authorizationError ? { error: String(s.authorizationError) } : {}) }); s.destroy(); });
  s.once('error', reject);
}));

describe('shared TLS secure contexts', () => {
  it('the same certificates in another array (or order-equal copy) give the same context; other options another one', async () => {
    const ca = [...rootCertificates.slice(0, 5)];
    const a = await sharedSecureContext({ ca });
    const b = await sharedSecureContext({ ca: [...ca] });
    expect(a).toBeDefined();
    expect(b).toBe(a);
    expect(await sharedSecureContext({ ca, minVersion: 'TLSv1' })).not.toBe(a);
    expect(await sharedSecureContext({})).toBeUndefined();
  });

  it('a certificate in two bundles is added once (the env bundle repeats the system roots)', () => {
    const root = rootCertificates[0]!;
    expect(distinctCerts([root, `${root.replace(/\n/g, '\r\n')}\n`, `junk\n${root}\n${rootCertificates[1]!}`])).toHaveLength(2);
  });

  it('a shared context verifies for real: the test CA in the set is trusted, the system roots alone are not', async () => {
    const tb = getTestbed();
    const testCa = readFileSync(tb.caCert, 'utf8');
    const port = tb.nginx.https;
    expect(await handshake(port, [...rootCertificates, testCa])).toEqual({ authorized: true });
    const without = await handshake(port, [...rootCertificates]);
    expect(without.authorized).toBe(false);
    expect(without.error).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/);
  });
});
