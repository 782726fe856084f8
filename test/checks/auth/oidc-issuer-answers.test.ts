// What the OIDC issuer's discovery URL can answer besides the document, each against a real HTTP
// server (or the test bed's self-signed nginx): a server error or rate limit is the IdP failing now,
// not a wrong base URL; 401/403 is something in front of it; a redirect is named with where it goes;
// JSON without the OpenID fields is not "another issuer ''"; an untrusted certificate is a TLS
// finding with its cause, not "could not be fetched".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttp, type Running } from '../../harness/private-servers.js';
import { bed, bedTarget, brief, run } from '../client/bed.js';

let srv: Running;
let base = '';
beforeAll(async () => {
  srv = await startHttp((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const realm = path.split('/')[1] ?? '';
    const doc = (o: Record<string, string>) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify(o)); };
    switch (realm) {
      case 'ok': return doc({ issuer: `${base}/ok`, authorization_endpoint: `${base}/ok/auth`, token_endpoint: `${base}/ok/token`, jwks_uri: `${base}/ok/jwks` });
      case 'down': res.writeHead(503, { 'content-type': 'text/html' }); return res.end('<html><title>503 Service Unavailable</title></html>');
      case 'limited': res.writeHead(429, { 'retry-after': '30' }); return res.end('Too Many Requests');
      case 'portal': res.writeHead(511, { 'content-type': 'text/html' }); return res.end('<html><title>Network Login</title></html>');
      case 'filtered': res.writeHead(451, { 'content-type': 'text/html' }); return res.end('<html><title>Blocked by policy</title></html>');
      case 'waf': res.writeHead(403, { 'content-type': 'text/html' }); return res.end('<html><title>403 Forbidden</title></html>');
      case 'toHttps': res.writeHead(301, { location: `https://127.0.0.1:${srv.port}${path}` }); return res.end();
      // an IdP (or a proxy in front of it) that sends the headers and the start of the document, then nothing
      case 'stall': res.writeHead(200, { 'content-type': 'application/json', 'content-length': '900', server: 'idp-proxy' }); res.flushHeaders(); return void res.write('{"issuer":');
      case 'oauthOnly': return doc({ token_endpoint: `${base}/oauthOnly/token`, grant_types_supported: 'client_credentials' });
      default: res.writeHead(404); return res.end();
    }
  });
  base = `http://127.0.0.1:${srv.port}`;
}, 30_000);
afterAll(async () => { await srv?.stop(); });

const target = (issuer: string) => bedTarget(bed().nginx.https, {}, { auth: { enabled: true, oidcIssuer: issuer, valuesKey: 'configuration.auth' } });
const check = async (issuer: string) => (await run('auth.oidc.issuer', target(issuer), { phase: 'preflight' })).result;

describe('auth.oidc.issuer: the discovery URL\'s other answers', () => {
  it('healthy: the document with a matching issuer passes', async () => {
    const r = await check(`${base}/ok`);
    expect(r.status, brief(r)).toBe('pass');
  });

  for (const [realm, code] of [['down', 503], ['limited', 429]] as const) {
    it(`HTTP ${code}: issuerError, keyed to the IdP, no "set the base URL"`, async () => {
      const r = await check(`${base}/${realm}`);
      expect(r.messageId, brief(r)).toBe('issuerError');
      expect(r.cause, brief(r)).toBe(`backend:oidc-issuer:127.0.0.1:${srv.port}`);
      expect(r.hint, brief(r)).toMatch(/needs no change/);
    });
  }

  it('the headers, then a document that stops: answerStalled with the bytes that came, keyed to the IdP, not "no answer" or a firewall', async () => {
    const r = (await run('auth.oidc.issuer', target(`${base}/stall`), { phase: 'preflight', timeoutMs: 2500 })).result;
    expect(r.messageId, brief(r)).toBe('answerStalled');
    expect(r.message).toContain(`127.0.0.1:${srv.port} answered HTTP 200, server idp-proxy, then its body stopped after 10 bytes of the 900 its Content-Length announced`);
    expect(r.cause, brief(r)).toBe(`backend:oidc-issuer:127.0.0.1:${srv.port}`);
    expect(r.hint).not.toMatch(/firewall/);
  });

  it('a captive portal (511) or a web filter (451) in front: issuerBlocked (front-auth), not "the IdP fails" nor "set the base URL"', async () => {
    for (const [realm, text] of [['portal', /captive portal/], ['filtered', /filtering proxy blocks the IdP/]] as const) {
      const r = await check(`${base}/${realm}`);
      expect(r.messageId, brief(r)).toBe('issuerBlocked');
      expect(r.message).toMatch(text);
      expect(r.cause).toBe(`front-auth:127.0.0.1:${srv.port}`);
      expect(r.hint).not.toMatch(/set configuration\.auth/);
    }
  });

  it('HTTP 403 from a WAF: issuerBlocked (front-auth), the document must be public', async () => {
    const r = await check(`${base}/waf`);
    expect(r.messageId, brief(r)).toBe('issuerBlocked');
    expect(r.cause, brief(r)).toBe(`front-auth:127.0.0.1:${srv.port}`);
  });

  it('a 301 to https: issuerRedirect, fix is the https URL', async () => {
    const r = await check(`${base}/toHttps`);
    expect(r.messageId, brief(r)).toBe('issuerRedirect');
    expect(r.hint, brief(r)).toContain(`https://127.0.0.1:${srv.port}/toHttps`);
  });

  it('JSON without the OpenID fields: incompleteDiscovery naming them, not issuerMismatch with an empty issuer', async () => {
    const r = await check(`${base}/oauthOnly`);
    expect(r.messageId, brief(r)).toBe('incompleteDiscovery');
    expect(r.message, brief(r)).toMatch(/without issuer, authorization_endpoint, jwks_uri/);
    expect(r.hint, brief(r)).not.toMatch(/: —|baseUrl: $/);
  });

  it('an issuer with a self-signed certificate: issuerTls with the TLS cause', async () => {
    const p = bed().nginx.selfSigned;
    const r = await check(`https://${bed().nginx.host}:${p}/oidc`);
    expect(r.messageId, brief(r)).toBe('issuerTls');
    expect(r.cause, brief(r)).toBe(`tls-untrusted:${bed().nginx.host}:${p}`);
    expect(r.hint, brief(r)).toMatch(/flyteadmin must trust that CA/);
  });
});
