// Helper P: an IP endpoint against a certificate with DNS SANs only (served with and without SNI), and an
// intermediate that expires before its leaf. Before: the IP case said "reissue it with 127.0.0.1 in subjectAltName
// (cert-manager Certificate dnsNames)" and listed the Ingress Secret fix first; the intermediate case said "renew the
// certificate in the Ingress TLS Secret" naming the intermediate as "certificate". Real Node TLS servers.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, createSecureContext, type Server } from 'node:tls';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { bedTarget, brief, run } from '../client/bed.js';

let dir: string;
const servers: Server[] = [];
const P: Record<'dnsOnly' | 'sni' | 'intShort' | 'soon' | 'wild', number> = { dnsOnly: 0, sni: 0, intShort: 0, soon: 0, wild: 0 };
const BASE = 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n';
const SANS = 'subjectAltName=DNS:flyte.test,DNS:localhost,IP:127.0.0.1\n';
function issue(name: string, cn: string, ca: { cert: string; key: string }, ext: string, days = 90): { cert: string; key: string; crt: string; keyFile: string } {
  const f = (x: string) => join(dir, `${name}.${x}`);
  writeFileSync(f('ext'), ext);
  execFileSync('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('key'), '-out', f('csr'), '-subj', `/CN=${cn}`], { stdio: 'ignore' });
  execFileSync('openssl', ['x509', '-req', '-sha256', '-in', f('csr'), '-CA', ca.cert, '-CAkey', ca.key, '-CAserial', join(dir, 'srl'), '-CAcreateserial', '-days', String(days), '-extfile', f('ext'), '-out', f('crt')], { stdio: 'ignore' });
  return { cert: readFileSync(f('crt'), 'utf8'), key: readFileSync(f('key'), 'utf8'), crt: f('crt'), keyFile: f('key') };
}
async function serve(name: keyof typeof P, opts: Parameters<typeof createServer>[0]): Promise<void> {
  const s = createServer({ ALPNProtocols: ['h2'], ...opts }, (sock) => sock.end());
  s.on('tlsClientError', () => {});
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  P[name] = (s.address() as { port: number }).port;
}
const at = (host: string, port: number) => bedTarget(port, { host, endpoint: `dns:///${host}:${port}` });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hx-p-'));
  const ca = { cert: getTestbed().caCert, key: join(dirname(getTestbed().caCert), 'ca.key') };
  const dnsOnly = issue('dnsonly', 'flyte.test', ca, `subjectAltName=DNS:flyte.test\n${BASE}`);
  await serve('dnsOnly', { cert: dnsOnly.cert, key: dnsOnly.key });
  const other = issue('other', 'default.example', ca, `subjectAltName=DNS:default.example\n${BASE}`);
  const good = issue('good', 'flyte.test', ca, `${SANS}${BASE}`);
  const goodCtx = createSecureContext({ cert: good.cert, key: good.key });
  await serve('sni', { cert: other.cert, key: other.key, SNICallback: (n, cb) => cb(null, n === 'flyte.test' ? goodCtx : undefined) });
  const int = issue('int', 'hx-p short intermediate', ca, 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n', 5);
  const leaf = issue('leaf', 'flyte.test', { cert: int.crt, key: int.keyFile }, `${SANS}${BASE}`, 90);
  await serve('intShort', { cert: leaf.cert + int.cert, key: leaf.key });
  const soon = issue('soon', 'flyte.test', ca, `${SANS}${BASE}`, 3);
  await serve('soon', { cert: soon.cert, key: soon.key });
  const wild = issue('wild', '*.flyte.test', ca, `subjectAltName=DNS:*.flyte.test\n${BASE}`);
  await serve('wild', { cert: wild.cert, key: wild.key });
}, 60_000);
afterAll(async () => { await Promise.all(servers.map((s) => new Promise((r) => s.close(r)))); });

describe('tls.admin.hostname: an IP endpoint against DNS SANs', () => {
  it('DNS SANs only, dialled by IP: names the IP-SAN rule and no SNI, fix dials the DNS name or adds an IP SAN (not dnsNames)', async () => {
    const { result } = await run('tls.admin.hostname', at('127.0.0.1', P.dnsOnly));
    expect(result.status, brief(result)).toBe('fail');
    expect(result.message).toMatch(/IP SAN/);
    expect(result.message).toMatch(/no SNI/);
    expect(result.hint).toContain(`dns:///flyte.test:${P.dnsOnly}`);
    expect(result.hint).toMatch(/ipAddresses/);
    expect(result.hint).not.toMatch(/dnsNames/);
    expect(result.cause).toBe(`tls-name:127.0.0.1:${P.dnsOnly}`);
  });

  it('a server that serves a default certificate without SNI: the same fix, and the name with SNI passes', async () => {
    const { result } = await run('tls.admin.hostname', at('127.0.0.1', P.sni));
    expect(result.status, brief(result)).toBe('fail');
    expect(result.message).toContain('default.example');
    expect(result.message).toMatch(/no SNI/);
    expect(result.hint).toMatch(/dial the DNS name/);
    const ok = await run('tls.admin.hostname', at('flyte.test', P.sni));
    expect(ok.result.status, brief(ok.result)).toBe('pass');
  });
});

describe('tls.admin.hostname: a wildcard that does not cover the host', () => {
  it('the apex: says a wildcard covers one label, not the apex, and the fix lists the apex itself', async () => {
    const { result } = await run('tls.admin.hostname', at('flyte.test', P.wild));
    expect(result.status, brief(result)).toBe('fail');
    expect(result.message).toMatch(/\*\.flyte\.test covers x\.flyte\.test, not the apex flyte\.test/);
    expect(result.hint).toMatch(/list flyte\.test itself next to \*\.flyte\.test/);
  });

  it('two labels deep: says so, and a one-label name passes (the control)', async () => {
    const { result } = await run('tls.admin.hostname', at('a.b.flyte.test', P.wild));
    expect(result.status, brief(result)).toBe('fail');
    expect(result.message).toMatch(/not a\.b\.flyte\.test \(two or more labels deep\)/);
    expect(result.hint).toMatch(/list a\.b\.flyte\.test itself/);
    const ok = await run('tls.admin.hostname', at('b.flyte.test', P.wild));
    expect(ok.result.status, brief(ok.result)).toBe('pass');
  });
});

describe('tls.admin.expiry: the whole chain sent', () => {
  it('an intermediate expiring before its leaf: warn naming the intermediate, fix serves the current intermediate', async () => {
    const { result } = await run('tls.admin.expiry', at('flyte.test', P.intShort));
    expect(result.status, brief(result)).toBe('warn');
    expect(result.message).toMatch(/intermediate certificate "CN=hx-p short intermediate"/);
    expect(result.message).toMatch(/before its leaf/);
    expect(result.hint).toMatch(/current intermediate/);
  });

  it('a leaf expiring in days: warn with the renew fix', async () => {
    const { result } = await run('tls.admin.expiry', at('flyte.test', P.soon));
    expect(result.status, brief(result)).toBe('warn');
    expect(result.message).toMatch(/certificate "CN=flyte.test" .* expires in [0-3] days/);
    expect(result.hint).toMatch(/renew the certificate/);
  });
});
