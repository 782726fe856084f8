// auth.oidc.jwks: the discovery document answers, but its jwks_uri does not serve keys (a login page, a
// 404, JSON without keys, nothing listening, an error, an empty set), against a real HTTP server on
// 127.0.0.1:31701 (helper x). Before, auth.oidc.issuer passed on every one of them (flyteadmin then fails
// every login with "failed to verify signature"); now each is a finding naming jwks_uri and what it answered.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bed, bedTarget, brief, run } from '../client/bed.js';

const PORT = 31701;
const CLOSED = 31799; // in helper x's range; nothing listens there
const base = `http://127.0.0.1:${PORT}`;
let srv: Server;

beforeAll(async () => {
  srv = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const [, realm, rest] = path.split('/');
    const json = (status: number, o: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(o)); };
    if (rest === '.well-known') {
      const jwks = realm === 'down' ? `http://127.0.0.1:${CLOSED}/${realm}/keys` : realm === 'elsewhere' ? `http://localhost:${PORT}/elsewhere/hop` : `${base}/${realm}/keys`;
      return json(200, { issuer: `${base}/${realm}`, authorization_endpoint: `${base}/${realm}/auth`, token_endpoint: `${base}/${realm}/token`, jwks_uri: jwks, id_token_signing_alg_values_supported: ['RS256'] });
    }
    if (rest === 'hop') { res.writeHead(302, { location: `${base}/ok/keys` }); return res.end(); }
    if (rest === 'form') { res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }); return res.end('<html><body><form>Username Password</form></body></html>'); }
    if (rest !== 'keys') { res.writeHead(404); return res.end(); }
    switch (realm) {
      case 'ok': return json(200, { keys: [{ kty: 'RSA', kid: 'hy-x-k1', use: 'sig', n: 'AQAB', e: 'AQAB' }] });
      case 'login': res.writeHead(302, { location: `${base}/login/form` }); return res.end();
      case 'html': res.writeHead(200, { 'content-type': 'text/html' }); return res.end('<!doctype html><html><title>Sign in</title></html>');
      case 'nokeys': return json(200, { error: 'not here' });
      case 'empty': return json(200, { keys: [] });
      case 'down503': res.writeHead(503); return res.end('unavailable');
      default: res.writeHead(404); return res.end('404 page not found');
    }
  });
  await new Promise<void>((r) => srv.listen(PORT, '127.0.0.1', () => r()));
}, 30_000);
afterAll(async () => { await new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()); }); });

const check = async (realm: string) => (await run('auth.oidc.jwks', bedTarget(bed().nginx.https, {}, { auth: { enabled: true, oidcIssuer: `${base}/${realm}`, valuesKey: 'configuration.auth' } }), { phase: 'preflight' })).result;

describe('auth.oidc.jwks: the keys behind a discovery document that answers', () => {
  it('a key set with keys: pass, naming the kid; also after a redirect to another host', async () => {
    let r = await check('ok');
    expect(r.status, brief(r)).toBe('pass');
    expect(r.message).toContain('kid hy-x-k1');
    r = await check('elsewhere');
    expect(r.status, brief(r)).toBe('pass');
  });
  it('jwks_uri on a port nothing listens on: jwksUnreachable, not a pass', async () => {
    const r = await check('down');
    expect(r.status, brief(r)).toBe('fail');
    expect(r.messageId).toBe('jwksUnreachable');
    expect(r.cause).toBe(`unreachable:127.0.0.1:${CLOSED}`);
  });
  it('a login page (HTML 200, also behind a redirect): jwksNotKeys, the fix is to let it through', async () => {
    for (const realm of ['html', 'login']) {
      const r = await check(realm);
      expect(r.messageId, brief(r)).toBe('jwksNotKeys');
      expect(r.message).toContain('an HTML page');
      expect(r.hint).toContain('without a login');
    }
  });
  it('404 and JSON without keys: jwksNotKeys naming the base URL key; 503: jwksError', async () => {
    let r = await check('gone');
    expect(r.messageId, brief(r)).toBe('jwksNotKeys');
    expect(r.cause).toBe('config:configuration.auth.oidc.baseUrl');
    r = await check('nokeys');
    expect(r.messageId, brief(r)).toBe('jwksNotKeys');
    expect(r.message).toContain('JSON without a "keys" list');
    r = await check('down503');
    expect(r.messageId, brief(r)).toBe('jwksError');
  });
  it('an empty key set: jwksEmpty (warn), not a pass', async () => {
    const r = await check('empty');
    expect(r.status, brief(r)).toBe('warn');
    expect(r.messageId).toBe('jwksEmpty');
  });
});
