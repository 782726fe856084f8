// Helper S: ALPN and the chain as a TLS 1.3-only server sends it, with real node:https / node:http2 / node:tls servers.
//   alpn11   a TLS listener that negotiates http/1.1 only (no h2) in front of gRPC. Before: "does not offer HTTP/2
//            (ALPN http/1.1)" with a listener fix only; now the message says "the TLS endpoint does not offer HTTP/2
//            (ALPN offered: http/1.1)" and the fix tells the listener side (ALPN h2) from the backend side
//            (backend-protocol GRPC, already set in these values: not asked again).
//   h2only   a gRPC-style listener that speaks h2 only. Before: the HTTP checks (undici offers http/1.1) got
//            no_application_protocol and said "it refuses ALPN h2, which gRPC needs", the opposite of the fault; and
//            the post-handshake probe offered http/1.1 only, so a gRPC call's reset read the same way.
//   order13  leaf, int1, int2 (int2 issued the leaf) on a TLS 1.3-only server. Before: tls.admin.trust asked to set
//            caCertFilePath to the intermediate the server sends (caFileDoesNotSign: the TLS 1.2 read of the sent
//            chain could not happen); now the encrypted Certificate message is read and the chain verifies.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as httpsServer } from 'node:https';
import { createSecureServer } from 'node:http2';
import { createServer as tlsServer, type Server } from 'node:tls';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sentCertificates13 } from '../../../src/clients/tls.js';
import type { CheckResult } from '../../../src/engine/types.js';
import { getTestbed } from '../../harness/testbed.js';
import { bedTarget, brief, run, runMany } from '../client/bed.js';
import { warmUp } from './private-bed.js';

const LEAF = 'subjectAltName=DNS:flyte.test,DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n';
const CA_EXT = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n';
let dir: string;
const servers: Server[] = [];
const port = { alpn11: 31320, h2only: 31321, order13: 31322 };
const chain: string[] = [];

function issue(name: string, cn: string, ca: { cert: string; key: string }, ext: string): { cert: string; key: string } {
  const f = (x: string) => join(dir, `${name}.${x}`);
  writeFileSync(f('ext'), ext);
  execFileSync('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('key'), '-out', f('csr'), '-subj', `/CN=${cn}`], { stdio: 'ignore' });
  execFileSync('openssl', ['x509', '-req', '-sha256', '-in', f('csr'), '-CA', ca.cert, '-CAkey', ca.key, '-CAserial', join(dir, 'srl'), '-CAcreateserial', '-days', '90', '-extfile', f('ext'), '-out', f('crt')], { stdio: 'ignore' });
  return { cert: f('crt'), key: f('key') };
}
const read = (f: string) => readFileSync(f, 'utf8');
async function listen(s: Server, p: number): Promise<void> {
  s.on('tlsClientError', () => {});
  servers.push(s);
  await new Promise<void>((r) => s.listen(p, '127.0.0.1', r));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hy-s-alpn-'));
  const ca = { cert: getTestbed().caCert, key: join(dirname(getTestbed().caCert), 'ca.key') };
  const good = issue('good', 'flyte.test', ca, LEAF);
  // an HTTPS server whose TLS listener offers http/1.1 only
  await listen(httpsServer({ cert: read(good.cert), key: read(good.key), ALPNProtocols: ['http/1.1'] }, (_q, r) => { r.writeHead(200, { 'content-type': 'text/plain' }); r.end('ok'); }) as unknown as Server, port.alpn11);
  // an HTTP/2-only TLS listener (no allowHTTP1) that answers every request as a gRPC server would
  await listen(createSecureServer({ cert: read(good.cert), key: read(good.key) }, (_q, r) => { r.writeHead(200, { 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'unknown service' }); r.end(); }) as unknown as Server, port.h2only);
  const int1 = issue('int1', 'hy-s order int1', ca, CA_EXT);
  const int2 = issue('int2', 'hy-s order int2', int1, CA_EXT);
  const leaf = issue('leaf', 'flyte.test', int2, LEAF);
  chain.push(read(leaf.cert), read(int1.cert), read(int2.cert));
  await listen(tlsServer({ cert: chain.join(''), key: read(leaf.key), ALPNProtocols: ['h2', 'http/1.1'], minVersion: 'TLSv1.3' }, (s) => { s.on('error', () => {}); s.end(); }), port.order13);
  await warmUp();
}, 60_000);
afterAll(async () => { await Promise.all(servers.map((s) => new Promise((r) => s.close(r)))); });

const by = (rs: CheckResult[], id: string) => rs.find((r) => r.id === id)!;

describe('ALPN: the listener side, named from what it negotiates', () => {
  it('a TLS listener with http/1.1 only in front of gRPC: "does not offer HTTP/2 (ALPN offered: http/1.1)", listener fix, backend-protocol not asked again', async () => {
    const ids = ['ingress.grpc.admin', 'ingress.grpc.health', 'flyte.admin.grpc'];
    const rs = await runMany(['tls.admin.handshake', ...ids], bedTarget(port.alpn11), 'verify', 8000);
    for (const id of ids) {
      const r = by(rs, id);
      expect(r.messageId, brief(r)).toBe('noH2Alpn');
      expect(r.cause, brief(r)).toBe(`tls-alpn:flyte.test:${port.alpn11}`);
      expect(r.message, brief(r)).toMatch(/the TLS endpoint does not offer HTTP\/2 \(ALPN offered: http\/1\.1\)/);
      expect(r.hint, brief(r)).toMatch(/ALPN h2 on the listener/);
      expect(r.hint, brief(r)).toMatch(/already set nginx\.ingress\.kubernetes\.io\/backend-protocol: "GRPC", which governs only the hop from the controller to flyteadmin/);
    }
  }, 40_000);

  it('an h2-only listener: the HTTP/1.1 check says the listener refuses http/1.1, never "it refuses ALPN h2"', async () => {
    const rs = await runMany(['tls.admin.handshake', 'ingress.http.healthcheck', 'ingress.grpc.admin'], bedTarget(port.h2only), 'verify', 8000);
    expect(by(rs, 'tls.admin.handshake').status, brief(by(rs, 'tls.admin.handshake'))).toBe('pass');
    const h = by(rs, 'ingress.http.healthcheck');
    expect(h.messageId, brief(h)).toBe('noHttp1Alpn');
    expect(h.message, brief(h)).toMatch(/negotiates h2 when h2 is offered/);
    expect(h.hint, brief(h)).toMatch(/offer http\/1\.1 next to h2/);
    const g = by(rs, 'ingress.grpc.admin');
    expect(g.messageId, brief(g)).not.toBe('noH2Alpn');
    expect(`${g.message} ${g.hint}`, brief(g)).not.toMatch(/refuses ALPN h2|does not offer HTTP\/2/);
  }, 40_000);
});

describe('the chain a TLS 1.3-only server sends, out of order', () => {
  it('sentCertificates13 reads the encrypted Certificate message in the order sent', async () => {
    const { X509Certificate } = await import('node:crypto');
    const ders = await sentCertificates13({ host: '127.0.0.1', port: port.order13, timeoutMs: 3000 });
    expect(ders?.map((d) => new X509Certificate(d).subject.trim())).toEqual(chain.map((p) => new X509Certificate(p).subject.trim()));
  });

  it('tls.admin.trust: the chain verifies (clients reorder it), not "set caCertFilePath to the intermediate the server sends"', async () => {
    const { result } = await run('tls.admin.trust', bedTarget(port.order13));
    expect(result.messageId, brief(result)).toBe('privateCa');
    expect(result.details?.chainOrder, brief(result)).toMatch(/out of order/);
  }, 30_000);
});
