// Helper S: a 1024-bit RSA server key where OpenSSL runs at security level 2 (Node 24 / OpenSSL 3.5, Debian and
// Ubuntu). undici and grpc-js then refuse the handshake: "EE certificate key too weak". Before, the gRPC checks said
// "unrecognised answer" and the HTTP checks "a chain caCertFilePath does not anchor" (set caCertFilePath: the
// neighbouring cause). Now every check names the weak key, keyed tls-weak-key like tls.admin.trust's weakKey.
// This worker's default cipher string is raised to @SECLEVEL=2, what Node 24 runs with (its own probe keeps level 0).
import tls from 'node:tls';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createSecureServer } from 'node:http2';
import type { Server } from 'node:tls';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { bedTarget, brief, runMany } from '../client/bed.js';
import { warmUp } from './private-bed.js';

const PORT = 31330;
let server: Server;
const before = tls.DEFAULT_CIPHERS;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hy-s-weak-'));
  const ca = { cert: getTestbed().caCert, key: join(dirname(getTestbed().caCert), 'ca.key') };
  const f = (x: string) => join(dir, x);
  writeFileSync(f('ext'), 'subjectAltName=DNS:flyte.test,DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n');
  execFileSync('openssl', ['req', '-newkey', 'rsa:1024', '-nodes', '-keyout', f('key'), '-out', f('csr'), '-subj', '/CN=flyte.test'], { stdio: 'ignore' });
  execFileSync('openssl', ['x509', '-req', '-sha256', '-in', f('csr'), '-CA', ca.cert, '-CAkey', ca.key, '-CAserial', f('srl'), '-CAcreateserial', '-days', '90', '-extfile', f('ext'), '-out', f('crt')], { stdio: 'ignore' });
  // the server itself loads the small key at level 0; it answers HTTP/1.1 and gRPC (h2)
  server = createSecureServer({ cert: readFileSync(f('crt')), key: readFileSync(f('key')), allowHTTP1: true, ciphers: 'DEFAULT:@SECLEVEL=0' }, (_q, r) => { r.writeHead(200, { 'content-type': 'application/grpc', 'grpc-status': '12' }); r.end(); }) as unknown as Server;
  server.on('tlsClientError', () => {});
  await new Promise<void>((r) => server.listen(PORT, '127.0.0.1', r));
  await warmUp();
  tls.DEFAULT_CIPHERS = 'DEFAULT:@SECLEVEL=2';
}, 60_000);
afterAll(async () => { tls.DEFAULT_CIPHERS = before; await new Promise((r) => server.close(r)); });

describe('a 1024-bit server key under OpenSSL security level 2', () => {
  it('ingress.* and flyte.admin.* name the weak key with the cause of tls.admin.trust, not "unrecognised" or "not anchored"', async () => {
    const ids = ['ingress.grpc.admin', 'ingress.grpc.health', 'ingress.http.healthcheck', 'flyte.admin.grpc', 'flyte.admin.http'];
    const rs = await runMany(['tls.admin.trust', ...ids], bedTarget(PORT), 'verify', 8000);
    const trust = rs.find((r) => r.id === 'tls.admin.trust')!;
    expect(trust.messageId, brief(trust)).toBe('weakKey');
    expect(trust.cause, brief(trust)).toBe(`tls-weak-key:flyte.test:${PORT}`);
    for (const id of ids) {
      const r = rs.find((x) => x.id === id)!;
      expect(r.status, brief(r)).toBe('fail');
      expect(r.messageId, brief(r)).toBe('certWeakKey');
      expect(r.cause, brief(r)).toBe(trust.cause);
      expect(r.message, brief(r)).toMatch(/"CN=flyte\.test" has a 1024-bit RSA key, which OpenSSL at security level 2 refuses/);
      expect(r.hint, brief(r)).toMatch(/2048-bit/);
      expect(r.hint, brief(r)).not.toMatch(/caCertFilePath/);
    }
  }, 40_000);
});
