// The discovery document's shape as flyteadmin (go-oidc) reads it, against a real HTTP server:
//   - go-oidc compares the configured issuer with the document's "issuer" exactly: a trailing slash on
//     one side only stops flyteadmin ("issuer did not match"); before, both were trimmed and it passed
//   - a document without token_endpoint: flyteadmin cannot exchange the login code; before, it passed
//   - an IdP whose certificate (from a CA the client trusts) has extendedKeyUsage clientAuth only:
//     before, "could not be fetched: unsuitable certificate purpose" with no cause; now issuerTls
//     naming the purpose, for each client, and that no CA bundle helps
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { startHttp, type Running } from '../../harness/private-servers.js';
import { bed, bedTarget, brief, run } from '../client/bed.js';

let srv: Running;
let base = '';
let idp: Server;
let ekuBase = '';
beforeAll(async () => {
  // an https IdP whose certificate the bed CA signed for clientAuth only
  const dir = mkdtempSync(join(tmpdir(), 'fd-idp-eku-'));
  const ca = getTestbed().caCert;
  writeFileSync(join(dir, 'ext'), 'subjectAltName=DNS:flyte.test,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
  execFileSync('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key'), '-out', join(dir, 'csr'), '-subj', '/CN=flyte.test'], { stdio: 'ignore' });
  execFileSync('openssl', ['x509', '-req', '-sha256', '-in', join(dir, 'csr'), '-CA', ca, '-CAkey', join(dirname(ca), 'ca.key'), '-CAserial', join(dir, 'srl'), '-CAcreateserial', '-days', '30', '-extfile', join(dir, 'ext'), '-out', join(dir, 'crt')], { stdio: 'ignore' });
  idp = createHttpsServer({ cert: readFileSync(join(dir, 'crt')), key: readFileSync(join(dir, 'key')) }, (_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{}'); });
  await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
  ekuBase = `https://127.0.0.1:${(idp.address() as { port: number }).port}`;
  srv = await startHttp((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const realm = path.split('/')[1] ?? '';
    const doc = (o: Record<string, string>) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify(o)); };
    const full = (issuer: string) => ({ issuer, authorization_endpoint: `${base}/${realm}/auth`, token_endpoint: `${base}/${realm}/token`, jwks_uri: `${base}/${realm}/jwks` });
    switch (realm) {
      case 'slash': return doc(full(`${base}/slash/`)); // Auth0-style issuer with a trailing slash
      case 'plain': return doc(full(`${base}/plain`));
      case 'noToken': { const d: Record<string, string> = full(`${base}/noToken`); delete d.token_endpoint; return doc(d); }
      default: res.writeHead(404); return res.end();
    }
  });
  base = `http://127.0.0.1:${srv.port}`;
}, 30_000);
afterAll(async () => { await srv?.stop(); await new Promise((r) => idp?.close(r)); });

const target = (issuer: string) => bedTarget(bed().nginx.https, {}, { auth: { enabled: true, oidcIssuer: issuer, valuesKey: 'configuration.auth' } });
const check = async (issuer: string) => (await run('auth.oidc.issuer', target(issuer), { phase: 'preflight' })).result;

describe('auth.oidc.issuer: the document as go-oidc reads it', () => {
  it('the issuer exactly as the document states it, with or without a trailing slash: pass', async () => {
    expect((await check(`${base}/slash/`)).status).toBe('pass');
    expect((await check(`${base}/plain`)).status).toBe('pass');
  });

  it('the document has a trailing slash, the base URL none: issuerMismatch naming the slash and go-oidc\'s error, the fix is the exact string', async () => {
    const r = await check(`${base}/slash`);
    expect(r.status, brief(r)).toBe('fail');
    expect(r.messageId).toBe('issuerMismatch');
    expect(r.message).toMatch(/trailing slash/);
    expect(r.message).toContain(`expected "${base}/slash" got "${base}/slash/"`);
    expect(r.hint).toBe(`set configuration.auth.oidc.baseUrl: ${base}/slash/ (exactly as the document states it, with the trailing slash)`);
  });

  it('the base URL has a trailing slash, the document none: issuerMismatch, the fix drops it', async () => {
    const r = await check(`${base}/plain/`);
    expect(r.messageId, brief(r)).toBe('issuerMismatch');
    expect(r.hint).toBe(`set configuration.auth.oidc.baseUrl: ${base}/plain (exactly as the document states it, without the trailing slash)`);
  });

  it('no token_endpoint: incompleteDiscovery naming it, not a pass', async () => {
    const r = await check(`${base}/noToken`);
    expect(r.status, brief(r)).toBe('fail');
    expect(r.messageId).toBe('incompleteDiscovery');
    expect(r.details?.missing).toEqual(['token_endpoint']);
    expect(r.hint).toMatch(/token_endpoint/);
  });

  it('an IdP certificate for clientAuth only (from a trusted CA): issuerTls naming the purpose, no "give flyteadmin the CA"', async () => {
    const r = await check(`${ekuBase}/realm`);
    expect(r.status, brief(r)).toBe('fail');
    expect(r.messageId, brief(r)).toBe('issuerTls');
    expect(r.cause).toMatch(/^tls-untrusted:127\.0\.0\.1:\d+$/);
    expect(r.details?.error).toBe('INVALID_PURPOSE');
    expect(r.hint).toMatch(/serverAuth/);
    expect(r.hint).toMatch(/incompatible key usage/);
    expect(r.hint).not.toMatch(/SSL_CERT_FILE/);
  });
});
