// The test bed's nginx ingress: the healthy TLS+h2 listener routes HTTP and gRPC like the charts'
// ingress; each broken variant is broken in exactly the described way.
import { readFileSync } from 'node:fs';
import { connect as h2connect } from 'node:http2';
import { checkServerIdentity, connect as tlsConnect, type PeerCertificate } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import type { Testbed } from '../harness/testbed.js';
import { startAdmin } from '../infra/flyteadmin.js';
import { startNginx } from '../infra/nginx.js';
import { bed, getVersion, healthCheck, rejection, tempContext, testbedIsUp } from './kube-ingress-helpers.js';

let ng: Testbed['nginx'];
let ca: Buffer;
let stop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  if (testbedIsUp() && bed().nginx) {
    const tb = bed();
    ng = tb.nginx;
    ca = readFileSync(tb.caCert);
  } else {
    const t = tempContext();
    stop = t.stop;
    const a = await startAdmin(t.ctx, { ports: { http: 30988, grpc: 30989, authHttp: 30978, authGrpc: 30979 } });
    ng = await startNginx(t.ctx, { httpPort: a.admin.httpPort, grpcPort: a.admin.grpcPort, authHttpPort: a.authAdmin.httpPort, authGrpcPort: a.authAdmin.grpcPort },
      { ports: { https: 30943, grpcAsHttp1: 30944, noGrpcRoutes: 30945, plaintext: 30946, expired: 30947, wrongHost: 30948, selfSigned: 30949, authHttps: 30950 } });
    ca = readFileSync(t.ctx.ca.cert);
  }
});
afterAll(async () => { await stop?.(); });

const tlsCreds = () => grpc.credentials.createSsl(ca);
const via = (port: number) => ({ target: `127.0.0.1:${port}`, o: { creds: tlsCreds(), servername: ng.host, timeoutMs: 5000 } });

/** GET over HTTP/2 with TLS verified against the test CA and SNI = flyte.test. */
function h2get(port: number, path: string): Promise<{ status: number; body: string; alpn: string | false | undefined }> {
  return new Promise((resolve, reject) => {
    const s = h2connect(`https://${ng.host}:${port}`, { ca, servername: ng.host, host: '127.0.0.1', port } as never);
    s.on('error', reject);
    const req = s.request({ ':path': path, ':authority': ng.host });
    let status = 0, body = '';
    req.on('response', (h) => { status = Number(h[':status']); });
    req.setEncoding('utf8');
    req.on('data', (c: string) => { body += c; });
    req.on('end', () => { const alpn = s.alpnProtocol; s.close(); resolve({ status, body, alpn }); });
    req.on('error', reject);
    req.end();
  });
}

/** TLS handshake only: what a client verifying with the test CA and SNI `servername` sees. */
function tlsProbe(port: number, servername = ng.host): Promise<{ authorized: boolean; error: string | undefined; subjectAltName: string | undefined }> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca, servername, rejectUnauthorized: false, ALPNProtocols: ['h2'] }, () => {
      let error = s.authorizationError ? String((s.authorizationError as unknown as { code?: string }).code ?? s.authorizationError) : undefined;
      if (!error) {
        // rejectUnauthorized:false skips the host check; run it the way a verifying client would.
        error = tlsCheckHost(servername, s.getPeerCertificate());
      }
      const subjectAltName = s.getPeerCertificate().subjectaltname;
      s.destroy();
      resolve({ authorized: s.authorized && !error, error, subjectAltName });
    });
    s.on('error', reject);
  });
}
function tlsCheckHost(host: string, cert: PeerCertificate): string | undefined {
  const e = checkServerIdentity(host, cert) as (Error & { code?: string }) | undefined;
  return e ? (e.code ?? e.message) : undefined;
}

describe('healthy TLS + h2 listener', () => {
  it('negotiates h2 with a certificate the test CA verifies for flyte.test', async () => {
    const r = await tlsProbe(ng.https);
    expect(r).toMatchObject({ authorized: true, error: undefined });
    expect(r.subjectAltName).toContain('DNS:flyte.test');
  });

  it('routes HTTP paths to the admin HTTP backend over h2', async () => {
    const h = await h2get(ng.https, '/healthcheck');
    expect(h).toMatchObject({ status: 200, body: '', alpn: 'h2' });
    expect(JSON.parse((await h2get(ng.https, '/api/v1/version')).body)).toMatchObject({ control_plane_version: { Version: 'v1.16.8' } });
    expect((await h2get(ng.https, '/console')).body).toMatch(/Flyte Console/);
    expect((await h2get(ng.https, '/.well-known/oauth-authorization-server')).status).toBe(501);
  });

  it('routes the gRPC prefixes with grpc_pass (GetVersion and health through TLS)', async () => {
    const { target, o } = via(ng.https);
    expect((await getVersion(target, o)).controlPlaneVersion?.Version).toBe('v1.16.8');
    expect(await healthCheck(target, o)).toBe('SERVING');
  });
});

describe('broken variants', () => {
  it('grpcAsHttp1: HTTP works, gRPC proxied as HTTP/1.1 fails (nginx relays the h2c server\'s bytes as an HTTP/0.9 body; grpc-js: INTERNAL, RST_STREAM without gRPC status)', async () => {
    expect((await h2get(ng.grpcAsHttp1, '/healthcheck')).status).toBe(200);
    const { target, o } = via(ng.grpcAsHttp1);
    // Usually at once (RST_STREAM code 0, "Call ended without gRPC status"); in ~1 of 4 calls nginx
    // keeps waiting on the upstream until proxy_read_timeout (2 s), then resets (RST_STREAM code 2).
    // Under load the client's deadline can come first: DEADLINE_EXCEEDED is the same misroute.
    // One call at a time: a call started early and awaited late rejects with no handler attached yet.
    for (const call of [() => getVersion(target, o), () => healthCheck(target, o), () => getVersion(target, o)]) {
      const e = await rejection(call());
      expect([grpc.status.INTERNAL, grpc.status.DEADLINE_EXCEEDED]).toContain(e.code);
      if (e.code === grpc.status.INTERNAL) expect(e.details).toMatch(/RST_STREAM/);
    }
  });

  it('noGrpcRoutes: HTTP works, gRPC prefixes get nginx 404 (grpc-js: UNIMPLEMENTED, HTTP status 404)', async () => {
    expect((await h2get(ng.noGrpcRoutes, '/api/v1/version')).status).toBe(200);
    const raw = await h2get(ng.noGrpcRoutes, '/flyteidl.service.AdminService/GetVersion');
    expect(raw.status).toBe(404);
    expect(raw.body).toMatch(/nginx/);
    const { target, o } = via(ng.noGrpcRoutes);
    const e = await rejection(getVersion(target, o));
    expect(e.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(e.details).toMatch(/404/);
  });

  it('plaintext: plain HTTP/1.1 answers, a TLS client fails the handshake', async () => {
    const r = await fetch(`http://127.0.0.1:${ng.plaintext}/healthcheck`);
    expect(r.status).toBe(200);
    await expect(tlsProbe(ng.plaintext)).rejects.toThrow(/wrong version number|packet length|SSL/i);
    const { target, o } = via(ng.plaintext);
    expect((await rejection(getVersion(target, o))).code).toBe(grpc.status.UNAVAILABLE);
  });

  it('expired: the test-CA certificate has expired', async () => {
    const r = await tlsProbe(ng.expired);
    expect(r.error).toBe('CERT_HAS_EXPIRED');
    const { target, o } = via(ng.expired);
    const e = await rejection(getVersion(target, o));
    expect(e.code).toBe(grpc.status.UNAVAILABLE);
    expect(e.details).toMatch(/expired/);
  });

  it('wrongHost: a valid test-CA certificate, but for other.example', async () => {
    const r = await tlsProbe(ng.wrongHost);
    expect(r.error).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(r.subjectAltName).toBe('DNS:other.example');
    expect((await tlsProbe(ng.wrongHost, 'other.example')).authorized).toBe(true);
  });

  it('selfSigned: a self-signed certificate in no CA bundle', async () => {
    const r = await tlsProbe(ng.selfSigned);
    expect(r.error).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    const { target, o } = via(ng.selfSigned);
    expect((await rejection(getVersion(target, o))).details).toMatch(/self-signed/);
  });

  it('authHttps: healthy TLS in front of the auth-on backend (401 / UNAUTHENTICATED, metadata served)', async () => {
    expect((await tlsProbe(ng.authHttps)).authorized).toBe(true);
    expect((await h2get(ng.authHttps, '/api/v1/version')).status).toBe(401);
    const meta = await h2get(ng.authHttps, '/.well-known/oauth-authorization-server');
    expect(meta.status).toBe(200);
    expect(JSON.parse(meta.body)).toHaveProperty('token_endpoint');
    expect((await h2get(ng.authHttps, '/config/v1/flyte_client')).status).toBe(200);
    const { target, o } = via(ng.authHttps);
    expect((await rejection(getVersion(target, o))).code).toBe(grpc.status.UNAUTHENTICATED);
    expect(await healthCheck(target, o)).toBe('SERVING');
  });
});
