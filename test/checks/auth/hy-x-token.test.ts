// auth.client.token against a real HTTPS server answering like flyteadmin with auth on (its metadata, a
// token endpoint, /api/v1/projects that checks the token as flyteadmin does): ports 31700 (helper x).
//   - an IdP client that takes its secret only in the form (client_secret_post): before, invalidClient
//     ("the secret is not its secret"); now basicRefused (the secret is right; pyflyte fails, flytectl retries)
//   - an authorization server listing only private_key_jwt: before, invalidClient; now authMethodUnsupported
//   - a token flyteadmin refuses for its audience, its issuer, or its times (expired on issue, issued in
//     the future): before, a pass ("issued"); now tokenAudience / tokenIssuer / tokenClock naming both values
// No token or secret appears in any output.
import { createServer as createHttps, type Server } from 'node:https';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCert } from '../../harness/private-servers.js';
import { Secret } from '../../../src/config/secret.js';
import { bed, bedTarget, brief, run } from '../client/bed.js';

const PORT = 31700;
const SECRET = 'hy-x-Secret-9f3K';
let methods: string[] | undefined;
let mode: 'basic' | 'post' = 'basic';
let claims: (pub: string) => Record<string, unknown> = () => ({});
let kids = ['hy-x-k1'];
let front = false;
let srv: Server;
const issued: string[] = [];
const pub = () => `https://${bed().nginx.host}:${PORT}`;
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (payload: Record<string, unknown>) => `${b64({ alg: 'RS256', kid: 'hy-x-k1', typ: 'JWT' })}.${b64(payload)}.c2lnbmF0dXJlLWh5LXgtbm90LXJlYWw`;

beforeAll(async () => {
  const { cert, key } = testCert('hy-x-admin');
  srv = createHttps({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
    const path = new URL(req.url ?? '/', 'https://x').pathname;
    const json = (status: number, o: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(o)); };
    if (path === '/.well-known/oauth-authorization-server') return json(200, { issuer: pub(), authorization_endpoint: `${pub()}/oauth2/authorize`, token_endpoint: `${pub()}/oauth2/token`, grant_types_supported: ['client_credentials', 'authorization_code'], jwks_uri: `${pub()}/oauth2/jwks`, ...(methods ? { token_endpoint_auth_methods_supported: methods } : {}) });
    if (path === '/config/v1/flyte_client') return json(200, { client_id: 'flytectl', redirect_uri: 'http://localhost:53593/callback', scopes: ['all', 'offline'], authorization_metadata_key: 'flyte-authorization' });
    if (path === '/oauth2/jwks') return json(200, { keys: kids.map((kid) => ({ kty: 'RSA', use: 'sig', alg: 'RS256', kid, n: 'AQAB', e: 'AQAB' })) });
    if (path === '/api/v1/projects' && front) { res.writeHead(401, { 'content-type': 'text/html', 'www-authenticate': 'Basic realm="sso"' }); return res.end('<html>401 Authorization Required</html>'); }
    if (path === '/api/v1/projects') {
      // flyteadmin: the audience must be its public URL, the token unexpired, issued by itself
      const tok = String(req.headers['flyte-authorization'] ?? '').replace(/^Bearer /, '');
      let ok = false;
      try {
        const p = JSON.parse(Buffer.from(tok.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
        const aud = Array.isArray(p.aud) ? p.aud : [p.aud];
        const now = Date.now() / 1000;
        const h = JSON.parse(Buffer.from(tok.split('.')[0] ?? '', 'base64url').toString()) as Record<string, unknown>;
        ok = kids.includes(String(h.kid)) && aud.includes(pub()) && p.iss === pub() && Number(p.exp) > now && Number(p.iat) <= now + 60;
      } catch { ok = false; }
      const scp = (() => { try { return (JSON.parse(Buffer.from(tok.split('.')[1] ?? '', 'base64url').toString()) as { scp?: string[] }).scp; } catch { return undefined; } })();
      if (ok && scp && !scp.includes('all')) return json(403, { code: 7, message: 'authenticated user doesn\'t have required scope' });
      return ok ? json(200, { projects: [] }) : json(401, { code: 16, message: `token parse error [JWT_VERIFICATION_FAILED] Could not retrieve id token from metadata (${tok.slice(0, 30)})` });
    }
    if (path === '/oauth2/token' && req.method === 'POST') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString());
        const hasBasic = /^Basic /.test(req.headers.authorization ?? '');
        const [id, secret] = hasBasic ? Buffer.from((req.headers.authorization ?? '').slice(6), 'base64').toString().split(':').map(decodeURIComponent) : [form.get('client_id'), form.get('client_secret')];
        const refuse = () => json(401, { error: 'invalid_client', error_description: 'Client authentication failed' });
        if ((mode === 'basic') !== hasBasic) return refuse(); // the client's one authentication method
        if (id !== 'flytepropeller' || secret !== SECRET) return refuse();
        const tok = jwt(claims(pub()));
        issued.push(tok);
        return json(200, { access_token: tok, token_type: 'bearer', expires_in: 3600 });
      });
      return;
    }
    res.writeHead(404); res.end();
  });
  await new Promise<void>((r) => srv.listen(PORT, '127.0.0.1', () => r()));
}, 30_000);
afterAll(async () => { await new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()); }); });

const good = (p: string) => { const now = Math.floor(Date.now() / 1000); return { iss: p, aud: [p], sub: 'flytepropeller', iat: now, exp: now + 3600 }; };
const tok = async (secret = SECRET, valuesKey = 'configuration.auth') => {
  const t = bedTarget(PORT, { authType: 'ClientSecret', clientId: 'flytepropeller', clientSecret: new Secret(secret) }, { auth: { enabled: true, oidcIssuer: bed().oidc.issuer, valuesKey, authorizedUris: [pub()] } });
  t.provenance['client.clientSecret'] = 'env FLYTE_CREDENTIALS_CLIENT_SECRET';
  return (await run('auth.client.token', t, { timeoutMs: 10000 })).result;
};
const noSecrets = (r: unknown) => {
  const out = JSON.stringify(r);
  expect(out).not.toContain(SECRET);
  expect(out).not.toContain(Buffer.from(`flytepropeller:${SECRET}`).toString('base64'));
  for (const x of issued) { expect(out).not.toContain(x); expect(out).not.toContain(x.split('.')[2]!); }
};

describe('auth.client.token: how the client authenticates at the token endpoint', () => {
  it('healthy (HTTP Basic, a token flyteadmin accepts): pass, saying flyteadmin accepts it', async () => {
    methods = undefined; mode = 'basic'; claims = good;
    const r = await tok();
    expect(r.status, brief(r)).toBe('pass');
    expect(r.details?.tokenAccepted).toBe(true);
    noSecrets(r);
  });
  it('the IdP client takes its secret only as client_secret_post: basicRefused (secret right, pyflyte fails), not invalidClient', async () => {
    methods = ['client_secret_post']; mode = 'post'; claims = good;
    const r = await tok();
    expect(r.status, brief(r)).toBe('warn');
    expect(r.messageId).toBe('basicRefused');
    expect(r.message).toContain('the secret is right');
    expect(r.message).toContain('pyflyte / flytekit send HTTP Basic only');
    expect(r.hint).toContain('client_secret_basic');
    expect(r.hint).not.toContain('admin.clientSecretLocation');
    noSecrets(r);
  });
  it('post-only client and a wrong secret: still invalidClient (the secret), saying both ways were tried', async () => {
    methods = ['client_secret_basic', 'client_secret_post']; mode = 'post';
    const r = await tok('hy-x-Wrong-77aa');
    expect(r.messageId, brief(r)).toBe('invalidClient');
    expect(r.message).toContain('sent again as client_secret_post');
    expect(JSON.stringify(r)).not.toContain('hy-x-Wrong-77aa');
  });
  it('the server lists only private_key_jwt: authMethodUnsupported, the secret may be right', async () => {
    methods = ['private_key_jwt']; mode = 'post';
    const r = await tok();
    expect(r.status, brief(r)).toBe('fail');
    expect(r.messageId).toBe('authMethodUnsupported');
    expect(r.message).toContain('[private_key_jwt]');
    expect(r.hint).toContain('client_secret_basic');
    noSecrets(r);
  });
});

describe('auth.client.token: the issued token as flyteadmin sees it', () => {
  it('audience not flyteadmin\'s: tokenAudience naming the token\'s aud, the public URL and the key', async () => {
    methods = undefined; mode = 'basic';
    claims = (p) => ({ ...good(p), aud: ['account'] });
    let r = await tok();
    expect(r.status, brief(r)).toBe('fail');
    expect(r.messageId).toBe('tokenAudience');
    expect(r.message).toContain('[account]');
    expect(r.message).toContain(pub());
    expect(r.hint).toContain('admin.useAudienceFromAdmin');
    expect(r.cause).toBe('config:configuration.auth.authorizedUris');
    noSecrets(r);
    // an external authorization server: the fix is allowedAudience
    claims = (p) => ({ ...good(p), aud: 'api://flyte' });
    const t = bedTarget(PORT, { authType: 'ClientSecret', clientId: 'flytepropeller', clientSecret: new Secret(SECRET) }, { auth: { enabled: true, oidcIssuer: bed().oidc.issuer, valuesKey: 'configmap.adminServer.auth' } });
    const ext = await (async () => { methods = undefined; return (await run('auth.client.token', t, { timeoutMs: 10000 })).result; })();
    expect(ext.messageId, brief(ext)).toBe('tokenAudience');
    expect(ext.message).toContain('[api://flyte]');
    void r; r = ext;
  });
  it('issuer not the one flyteadmin announces: tokenIssuer naming both', async () => {
    methods = undefined; mode = 'basic';
    claims = (p) => ({ ...good(p), iss: 'https://idp.other.example/oauth2/default' });
    const r = await tok();
    expect(r.messageId, brief(r)).toBe('tokenIssuer');
    expect(r.message).toContain('"https://idp.other.example/oauth2/default"');
    expect(r.message).toContain(`"${pub()}"`);
    noSecrets(r);
  });
  it('expired on issue (the IdP\'s clock behind) and issued 10 minutes in the future: tokenClock, not a pass', async () => {
    methods = undefined; mode = 'basic';
    claims = (p) => { const now = Math.floor(Date.now() / 1000) - 7200; return { ...good(p), iat: now, exp: now + 3600 }; };
    let r = await tok();
    expect(r.status, brief(r)).toBe('fail');
    expect(r.messageId).toBe('tokenClock');
    expect(r.message).toContain('expired on issue');
    claims = (p) => { const now = Math.floor(Date.now() / 1000) + 600; return { ...good(p), iat: now, exp: now + 3600 }; };
    r = await tok();
    expect(r.messageId, brief(r)).toBe('tokenClock');
    expect(r.message).toContain('issued in the future');
    noSecrets(r);
  });
  it('signed with a key the JWKS does not publish (a rotation): tokenRefused naming the kid and the kids the key set has', async () => {
    methods = undefined; mode = 'basic'; claims = good; kids = ['hy-x-rotated-k2'];
    const r = await tok();
    kids = ['hy-x-k1'];
    expect(r.status, brief(r)).toBe('fail');
    expect(r.messageId).toBe('tokenRefused');
    expect(r.message).toContain('has no key hy-x-k1 (it has hy-x-rotated-k2)');
    noSecrets(r);
  });
  it('a proxy in front answers 401 HTML (not flyteadmin\'s JSON): the token is not blamed (issued, not judged), even with an odd audience', async () => {
    methods = undefined; mode = 'basic'; front = true;
    claims = (p) => ({ ...good(p), aud: ['account'] });
    const r = await tok();
    front = false;
    expect(r.status, brief(r)).toBe('pass');
    expect(String(r.details?.tokenAccepted)).toContain('without flyteadmin\'s JSON error');
    noSecrets(r);
  });
  it('flyteadmin refuses for the scope (no all): tokenRefused keyed to admin.scopes, not the signature', async () => {
    methods = undefined; mode = 'basic'; claims = (p) => ({ ...good(p), scp: ['offline'] });
    const r = await tok();
    expect(r.messageId, brief(r)).toBe('tokenRefused');
    expect(r.cause).toBe('config:admin.scopes');
    expect(r.message).toContain('[offline]');
    noSecrets(r);
  });
});
