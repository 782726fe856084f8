// A gzip-encoded OIDC discovery document / JWKS: Go's transport (flyteadmin) sends Accept-Encoding: gzip
// and inflates the answer, so such an IdP (or a proxy in front compressing JSON) works for Flyte; before,
// auth.oidc.issuer said "not an OpenID discovery document". The inflated size is capped (a small gzip
// that inflates to megabytes is cut at 64 KiB, with `truncated` set), gzip that does not inflate is said
// as such, never `error`. A real HTTP server on 127.0.0.1:30960 (helper j).
import { createServer, type Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest } from '../../../src/clients/http.js';
import type { CheckContext } from '../../../src/engine/types.js';
import { bed, bedTarget, brief, run } from '../client/bed.js';

const PORT = 30960;
const base = `http://127.0.0.1:${PORT}`;
let srv: Server;
const seenEncodings: string[] = [];
// ~40 MB of JSON that gzips to ~40 KB
const bomb = gzipSync(Buffer.concat([Buffer.from('{"issuer":"x","pad":"'), Buffer.alloc(40 * 1024 * 1024, 0x20), Buffer.from('"}')]));

beforeAll(async () => {
  srv = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const [, realm, rest] = path.split('/');
    seenEncodings.push(String(req.headers['accept-encoding'] ?? ''));
    // compresses whatever the request asked for, as a misconfigured proxy in front of an IdP may
    const gz = (o: unknown) => { res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }); res.end(gzipSync(JSON.stringify(o))); };
    if (rest === '.well-known') {
      if (realm === 'bomb') { res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }); return res.end(bomb); }
      if (realm === 'broken') { res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }); return res.end('{"issuer":"not gzip at all"}'); }
      return gz({ issuer: `${base}/${realm}`, authorization_endpoint: `${base}/${realm}/auth`, token_endpoint: `${base}/${realm}/token`, jwks_uri: `${base}/${realm}/keys`, id_token_signing_alg_values_supported: ['RS256'] });
    }
    if (rest === 'keys') return gz({ keys: [{ kty: 'RSA', kid: 'hz-j-k1', use: 'sig', n: 'AQAB', e: 'AQAB' }] });
    res.writeHead(404); res.end();
  });
  await new Promise<void>((r) => srv.listen(PORT, '127.0.0.1', () => r()));
}, 30_000);
afterAll(async () => { await new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()); }); });

const target = (realm: string) => bedTarget(bed().nginx.https, {}, { auth: { enabled: true, oidcIssuer: `${base}/${realm}`, valuesKey: 'configuration.auth' } });

/** A bare context for one httpRequest (no engine): a signal, a budget, shared resources closed at the end. */
function bareCtx(ms: number): { ctx: CheckContext; close: () => Promise<void> } {
  const ac = new AbortController();
  const end = Date.now() + ms;
  const made = new Map<string, Promise<unknown>>();
  const closers: (() => Promise<void> | void)[] = [];
  const ctx = {
    signal: ac.signal, target: {}, remainingMs: () => end - Date.now(),
    shared: (key: string, make: (s: AbortSignal) => Promise<unknown>, close?: (v: unknown) => Promise<void> | void) => {
      if (!made.has(key)) { const p = make(ac.signal); made.set(key, p); if (close) closers.push(async () => close(await p)); }
      return made.get(key);
    },
  } as unknown as CheckContext;
  return { ctx, close: async () => { ac.abort(); for (const c of closers) await c(); } };
}

describe('gzip-encoded IdP documents', () => {
  it('a gzip discovery document: read as Go\'s transport reads it (auth.oidc.issuer passes), having asked for gzip', async () => {
    seenEncodings.length = 0;
    const r = (await run('auth.oidc.issuer', target('ok'), { phase: 'preflight' })).result;
    expect(r.status, brief(r)).toBe('pass');
    expect(seenEncodings).toContain('gzip');
  });

  it('a gzip JWKS: the keys are read (auth.oidc.jwks passes, naming the kid)', async () => {
    const r = (await run('auth.oidc.jwks', target('ok'), { phase: 'preflight' })).result;
    expect(r.status, brief(r)).toBe('pass');
    expect(r.message).toContain('kid hz-j-k1');
  });

  it('httpRequest: the inflated body is capped, both streams end at the cap, and the answer says it was cut', async () => {
    const { ctx, close } = bareCtx(5000);
    try {
      const t0 = Date.now();
      const r = await httpRequest(ctx, `${base}/bomb/.well-known/openid-configuration`, { timeoutMs: 3000 });
      expect(r.status).toBe(200);
      expect(r.truncated).toBe(true);
      expect(r.inflated).toBe(true);
      expect(r.body.length).toBe(64 * 1024);
      expect(r.headers['content-encoding']).toBeUndefined();
      expect(Date.now() - t0).toBeLessThan(1500);
      const small = await httpRequest(ctx, `${base}/ok/.well-known/openid-configuration`, { timeoutMs: 3000 });
      expect(small.truncated).toBeUndefined();
      expect(JSON.parse(small.body).issuer).toBe(`${base}/ok`);
      // a caller that names its own Accept-Encoding gets the bytes as sent (Go does not inflate then either)
      const own = await httpRequest(ctx, `${base}/ok/.well-known/openid-configuration`, { timeoutMs: 3000, headers: { 'accept-encoding': 'identity' } });
      expect(own.inflated).toBeUndefined();
      expect(own.headers['content-encoding']).toBe('gzip');
    } finally { await close(); }
  });

  it('a gzip bomb as the discovery document: a finding within the budget, never error', async () => {
    const t0 = Date.now();
    const r = (await run('auth.oidc.issuer', target('bomb'), { phase: 'preflight' })).result;
    expect(r.status, brief(r)).toBe('fail');
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('Content-Encoding gzip over bytes that do not inflate: said as such, never error', async () => {
    const r = (await run('auth.oidc.issuer', target('broken'), { phase: 'preflight' })).result;
    expect(r.status, brief(r)).toBe('fail');
    expect(r.message, brief(r)).toMatch(/Content-Encoding: gzip, but the body does not inflate/);
  });
});
