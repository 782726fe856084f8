// auth.client.token quotes the token endpoint's answer when it is not an OAuth2 error it knows: a
// token the server issued with another success status (201) must not be printed with that body.
// Real HTTPS server on 127.0.0.1 (an OS-chosen port), answering like flyteadmin's metadata.
import { createServer, type Server } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCert } from '../harness/private-servers.js';
import { Secret } from '../../src/config/secret.js';
import { bed, bedTarget, brief, run } from '../checks/client/bed.js';
import { findLeak } from './leaks.js';
import { makeRedactor } from '../../src/engine/redact.js';

const TOKEN = 'hxKissuedTok3nValue9876543210abcdef';
const REFRESH = 'hxKrefreshTok3nValue1234567890zyxw';
let answer: { status: number; body: string } = { status: 201, body: '' };
let server: Server;
let port = 0;

beforeAll(async () => {
  const { cert, key } = testCert('hx-k-admin');
  server = createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
    const path = new URL(req.url ?? '/', 'https://x').pathname;
    const origin = `https://${bed().nginx.host}:${port}`;
    const json = (o: unknown) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify(o)); };
    if (path === '/.well-known/oauth-authorization-server') return json({ issuer: origin, authorization_endpoint: `${origin}/oauth2/authorize`, token_endpoint: `${origin}/oauth2/token`, grant_types_supported: ['client_credentials'] });
    if (path === '/config/v1/flyte_client') return json({ client_id: 'flytectl', redirect_uri: 'http://localhost:53593/callback', scopes: ['all'], authorization_metadata_key: 'flyte-authorization' });
    if (path === '/oauth2/token') { req.resume(); req.on('end', () => { res.writeHead(answer.status, { 'content-type': 'application/json' }); res.end(answer.body); }); return; }
    res.writeHead(404); res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
}, 30_000);
afterAll(async () => { server.closeAllConnections(); await new Promise<void>((r) => server.close(() => r())); });

const tok = async () => {
  const t = bedTarget(port, { authType: 'ClientSecret', clientId: 'flytepropeller', clientSecret: new Secret('hx-k-client-secret-value') }, { auth: { enabled: true, oidcIssuer: bed().oidc.issuer, valuesKey: 'configuration.auth' } });
  return (await run('auth.client.token', t, { timeoutMs: 8000 })).result;
};

describe('auth.client.token: a token in a body it quotes', () => {
  it('201 with an access_token (a non-standard success status): the token is not in the output', async () => {
    answer = { status: 201, body: JSON.stringify({ access_token: TOKEN, refresh_token: REFRESH, token_type: 'bearer' }) };
    const r = await tok();
    expect(r.status, brief(r)).not.toBe('error');
    expect(findLeak(JSON.stringify(r), TOKEN)).toBeUndefined();
    expect(findLeak(JSON.stringify(r), REFRESH)).toBeUndefined();
  });
  it('a JWT the 160-character quote cuts (no closing quote left for the redactor to see it by): not in the output', async () => {
    const jwt = `eyJhbGciOiJSUzI1NiIsImtpZCI6IjEyMyJ9.${'eyJzdWIiOiJmbHl0ZXByb3BlbGxlciIsImF1ZCI6ImZseXRlIiwiZXhwIjoxNzAwMDAwMDAwfQ'.repeat(4)}.c2ln`;
    answer = { status: 201, body: JSON.stringify({ access_token: jwt, token_type: 'bearer' }) };
    const r = await tok();
    const out = makeRedactor(['hx-k-client-secret-value'])(JSON.stringify(r));
    expect(findLeak(out, jwt.slice(0, 40))).toBeUndefined();
    expect(findLeak(out, jwt.slice(40, 80))).toBeUndefined();
  });
  it('an error_description echoing the client secret cut at 160 characters: withheld', async () => {
    answer = { status: 400, body: JSON.stringify({ error: 'invalid_request', error_description: `${'x'.repeat(140)} you sent hx-k-client-secret-value` }) };
    const r = await tok();
    expect(findLeak(JSON.stringify(r), 'hx-k-client-secret-value', 8)).toBeUndefined();
    expect(r.message).toContain('withheld');
  });
  it('an error body carrying a token-like field: not in the output either', async () => {
    answer = { status: 400, body: JSON.stringify({ id_token: TOKEN, message: 'bad request' }) };
    const r = await tok();
    expect(r.messageId, brief(r)).toBe('tokenError');
    expect(findLeak(JSON.stringify(r), TOKEN)).toBeUndefined();
  });
});
