// The HTTP status space, as a table, against the auth probes: the issuer's discovery document
// (auth.oidc.issuer), its keys (auth.oidc.jwks), flyteadmin's auth metadata (auth.discovery.metadata)
// and the token endpoint (auth.client.token). A raw TLS server of our own answers one path with each
// status and the others healthily. No row may be `error` or `pass`, and none may get the neighbour's fix:
// before, 407 at the issuer was "remove the auth / IP allow-list" (it is a proxy wanting this machine's
// credentials), 401 and 403 read the same, 426/505/421/413/431/494-497/520-530 at the issuer were
// "set the base URL", a 304 was a redirect; at jwks_uri 511 was "the IdP fails now", a 404 page was "let
// it through without a login"; a proxy's HTML 501 on the metadata was "flyteadmin runs without auth";
// at the token endpoint every non-OAuth status (407, 503, 426, 520...) was the same "unrecognised ...
// read the authorization server's logs". Port 30301 (helper c).
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../../src/config/secret.js';
import type { CheckResult, Phase } from '../../../src/engine/types.js';
import { bedTarget, brief, run } from '../client/bed.js';
import { ROWS, json, startRawTls, type Row } from '../ingress/hz-c-rows.js';

const PORT = 30301;
const pub = `https://flyte.test:${PORT}`;
const SECRET = 'hz-c-Secret-77Qx';
let row: Row = ROWS[0]!;
let target: string | undefined;
let srv: { stop: () => Promise<void> };

function healthy(s: Socket, path: string): void {
  if (path.startsWith('/idp/.well-known/openid-configuration')) return json(s, { issuer: `${pub}/idp`, authorization_endpoint: `${pub}/idp/auth`, token_endpoint: `${pub}/idp/token`, jwks_uri: `${pub}/idp/jwks` });
  if (path.startsWith('/idp/jwks')) return json(s, { keys: [{ kty: 'RSA', kid: 'hz-c-k1', n: 'AQAB', e: 'AQAB' }] });
  if (path.startsWith('/.well-known/oauth-authorization-server')) return json(s, { issuer: pub, authorization_endpoint: `${pub}/oauth2/authorize`, token_endpoint: `${pub}/oauth2/token`, jwks_uri: `${pub}/oauth2/jwks`, grant_types_supported: ['client_credentials'] });
  if (path.startsWith('/config/v1/flyte_client')) return json(s, { client_id: 'flytectl', redirect_uri: 'http://localhost:53593/callback', scopes: ['all', 'offline'], authorization_metadata_key: 'flyte-authorization' });
  s.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
}

beforeAll(async () => { srv = await startRawTls(PORT, () => row, { target: () => target, healthy }); });
afterAll(async () => { await srv?.stop(); });

const authTarget = () => bedTarget(PORT, { authType: 'ClientSecret', clientId: 'flytepropeller', clientSecret: new Secret(SECRET) }, { auth: { enabled: true, oidcIssuer: `${pub}/idp`, valuesKey: 'configuration.auth', authorizedUris: [pub] } });

async function check(id: string, phase: Phase, r: Row): Promise<CheckResult> {
  row = r;
  const x = (await run(id, authTarget(), { phase, timeoutMs: r.status < 200 ? 9000 : 8000 })).result;
  expect(x.status, brief(x)).not.toBe('error');
  expect(x.status, brief(x)).not.toBe('pass');
  expect(x.status, brief(x)).not.toBe('skip');
  expect(x.hint, brief(x)).toBeTruthy();
  if (x.messageId === 'unrecognised' || x.messageId === 'tokenError') expect(x.message, brief(x)).toMatch(r.name.startsWith('100') || r.status < 200 ? /HTTP 10[0-3]|interim/ : new RegExp(String(r.status)));
  expect(JSON.stringify(x)).not.toContain(SECRET);
  return x;
}

const CDN = [520, 521, 522, 523, 524, 525, 526, 530];
const FAULTS = [406, 408, 411, 413, 414, 415, 421, 425, 426, 431, 494, 495, 496, 497, 501, 505, 508, ...CDN];
const by = (codes: number[], id: string) => Object.fromEntries(codes.map((c) => [String(c), id]));

describe('auth.oidc.issuer: each status of the discovery URL', () => {
  const EXPECT: Record<string, string> = {
    '103 then silence': 'answerStalled', 'endless 1xx': 'answerStalled', '100 then 502': 'unrecognised', '101 unrequested': 'unrecognised',
    '304': 'issuerAnswerFault', '404': 'noDiscovery', '400': 'unrecognised', '405': 'unrecognised', '409': 'unrecognised', '499': 'unrecognised', '507': 'unrecognised',
    '401 www-auth': 'issuerBlocked', '401 bare': 'issuerBlocked', '403': 'issuerBlocked', '407': 'issuerBlocked', '451': 'issuerBlocked', '511': 'issuerBlocked', '561': 'issuerBlocked',
    '429': 'issuerError', '500': 'issuerError', '502': 'issuerError', '503': 'issuerError', '504': 'issuerError', ...by(FAULTS, 'issuerAnswerFault'),
  };
  for (const r of ROWS) {
    it(r.name, async () => {
      target = '/idp/.well-known/openid-configuration';
      const x = await check('auth.oidc.issuer', 'preflight', r);
      if (EXPECT[r.name]) expect(x.messageId, brief(x)).toBe(EXPECT[r.name]);
      // a fault on the way never asks to change the base URL
      if (['issuerAnswerFault', 'issuerBlocked', 'issuerError', 'answerStalled'].includes(x.messageId!) || (x.messageId === 'unrecognised')) expect(x.hint, brief(x)).not.toMatch(/^set configuration\.auth\.oidc\.baseUrl/);
      if (r.status === 407) expect(x.hint, brief(x)).toMatch(/HTTPS_PROXY/);
      if (r.name === '401 bare') expect(x.message, brief(x)).toMatch(/wants credentials/);
      if (r.status === 403) expect(x.message, brief(x)).toMatch(/refuses/);
      if (r.status === 561) expect(x.hint, brief(x)).toMatch(/authenticate/);
    }, 30_000);
  }
});

describe('auth.oidc.jwks: each status of jwks_uri', () => {
  const EXPECT: Record<string, string> = {
    '304': 'jwksAnswerFault', '404': 'jwksNotKeys', '410': 'jwksNotKeys', '400': 'unrecognised', '405': 'unrecognised', '409': 'unrecognised', '499': 'unrecognised', '507': 'unrecognised',
    '401 www-auth': 'jwksNotKeys', '403': 'jwksNotKeys', '407': 'jwksAnswerFault', '408': 'jwksAnswerFault', '451': 'jwksAnswerFault', '511': 'jwksAnswerFault', '561': 'jwksAnswerFault',
    '429': 'jwksError', '500': 'jwksError', '502': 'jwksError', '503': 'jwksError', '504': 'jwksError', ...by(FAULTS, 'jwksAnswerFault'),
  };
  for (const r of ROWS) {
    it(r.name, async () => {
      target = '/idp/jwks';
      const x = await check('auth.oidc.jwks', 'preflight', r);
      if (EXPECT[r.name]) expect(x.messageId, brief(x)).toBe(EXPECT[r.name]);
      if (r.status === 404) expect(x.hint, brief(x)).not.toMatch(/without a login/);
      if (r.status === 511) expect(x.hint, brief(x)).toMatch(/log in to the network/);
      if (r.name === '302 no location') expect(x.message, brief(x)).not.toMatch(/another host/);
    }, 30_000);
  }
});

describe('auth.discovery.metadata: each status of /.well-known/oauth-authorization-server', () => {
  for (const r of ROWS) {
    it(r.name, async () => {
      target = '/.well-known/oauth-authorization-server';
      const x = await check('auth.discovery.metadata', 'verify', r);
      // a proxy's own 501 page is not flyteadmin without auth
      if (r.status === 501) { expect(x.messageId, brief(x)).toBe('answerFault'); expect(x.hint, brief(x)).not.toMatch(/helm upgrade/); }
      if (r.status === 407) expect(x.messageId, brief(x)).toBe('proxyCredentials');
    }, 30_000);
  }
});

describe('auth.client.token: each status of the token endpoint', () => {
  const EXPECT: Record<string, string> = {
    '407': 'tokenEndpointFront', '408': 'tokenEndpointFront', '451': 'tokenEndpointFront', '511': 'tokenEndpointFront', '561': 'tokenEndpointFront',
    '429': 'tokenEndpointDown', '500': 'tokenEndpointDown', '502': 'tokenEndpointDown', '503': 'tokenEndpointDown', '504': 'tokenEndpointDown',
    ...by(FAULTS.filter((c) => c !== 406 && c !== 408 && c !== 501), 'tokenEndpointFault'), '401 bare': 'tokenError', '404': 'tokenError',
  };
  for (const r of ROWS) {
    it(r.name, async () => {
      target = '/oauth2/token';
      const x = await check('auth.client.token', 'verify', r);
      if (EXPECT[r.name]) expect(x.messageId, brief(x)).toBe(EXPECT[r.name]);
      // no answer without an OAuth error judges the client id or secret
      expect(x.messageId, brief(x)).not.toBe('invalidClient');
      if (x.messageId?.startsWith('tokenEndpoint')) expect(x.message, brief(x)).toMatch(/not judged/);
      if (r.status === 503) expect(x.message, brief(x)).toMatch(/Retry-After: 120/);
    }, 30_000);
  }
});
