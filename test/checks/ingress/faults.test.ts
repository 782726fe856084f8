// Misbehaving servers (issue 11 faults): garbage bytes, connections closed at once, a silent port, an
// HTTP server with odd bodies and headers. Every routing check ends with a finding and a cause key:
// never `error`, never a TypeError from an unexpected shape.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../src/engine/types.js';
import { startHttp, startTcp, impostors, type Running } from '../../harness/private-servers.js';
import { bedTarget, brief, runMany } from '../client/bed.js';
import { warmUp } from './private-bed.js';

const SEL = ['ingress.grpc.*', 'ingress.http.*', 'flyte.admin.http'];
const servers: Running[] = [];
beforeAll(warmUp, 60_000);
afterAll(async () => { await Promise.all(servers.map((s) => s.stop())); });

const noErrors = (rs: CheckResult[]) => {
  for (const r of rs.filter((x) => SEL.some((p) => x.id.startsWith(p.replace('*', ''))))) {
    expect(r.status, brief(r)).not.toBe('error');
    expect(r.message, brief(r)).not.toMatch(/TypeError|Cannot read prop|undefined is not/);
  }
};

describe('misbehaving servers where the ingress should be', () => {
  it('garbage bytes on connect: not TLS, named with what it said', async () => {
    const s = await startTcp((sock) => { sock.write(Buffer.from('\x00\x01garbage\xff\xfe not a protocol\r\n', 'latin1')); });
    servers.push(s);
    const rs = await runMany(SEL, bedTarget(s.port), 'verify', 6000);
    noErrors(rs);
    for (const r of rs) { expect(r.status, brief(r)).toBe('fail'); expect(r.cause, brief(r)).toBe(`tls-plaintext:flyte.test:${s.port}`); }
  });

  it('a port that closes every connection at once: connection reset, keyed as another service', async () => {
    const s = await startTcp(impostors.close);
    servers.push(s);
    const rs = await runMany(SEL, bedTarget(s.port), 'verify', 6000);
    noErrors(rs);
    for (const r of rs) { expect(r.status, brief(r)).toBe('fail'); expect(r.cause, brief(r)).toMatch(/^(wrong-service|tls-handshake|unreachable):flyte\.test:\d+$/); }
  });

  it('a silent port: no answer within the budget (fail, not error)', async () => {
    const s = await startTcp(impostors.silent);
    servers.push(s);
    const rs = await runMany(['ingress.grpc.admin', 'ingress.http.healthcheck'], bedTarget(s.port), 'verify', 3000);
    noErrors(rs);
    // TCP accepted, nothing back: a silent server, never "a firewall drops TCP"
    for (const r of rs) { expect(r.status, brief(r)).toBe('fail'); expect(r.messageId, brief(r)).toBe('silentServer'); expect(r.hint, brief(r)).not.toMatch(/firewall/); expect(r.cause).toBe(`unreachable:flyte.test:${s.port}`); }
  });

  it('an HTTP server with odd bodies and headers: each path says what it got', async () => {
    const s = await startHttp((req, res) => {
      const p = new URL(req.url ?? '/', 'http://x').pathname;
      if (p === '/healthcheck') { res.writeHead(200, { 'content-type': 'application/json', 'x-odd': 'a'.repeat(2000) }); res.end('{"ok":true}'); return; }
      if (p === '/api/v1/projects') { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"projects":"not-an-array"}'); return; }
      if (p === '/api/v1/version') { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"control_plane_version":42}'); return; }
      if (p === '/console') { res.writeHead(204); res.end(); return; }
      res.writeHead(200, { 'content-type': 'text/plain' }); res.end('[1,2,3]');
    });
    servers.push(s);
    const t = bedTarget(s.port, { insecure: true });
    t.ingress = { ...t.ingress!, tls: false, httpUrl: `http://flyte.test:${s.port}` };
    const rs = await runMany(SEL, t, 'verify', 6000);
    noErrors(rs);
    const by = (id: string) => rs.find((r) => r.id === id)!;
    expect(by('ingress.http.healthcheck').messageId, brief(by('ingress.http.healthcheck'))).toBe('notFlyteadmin');
    expect(by('ingress.http.api').messageId, brief(by('ingress.http.api'))).toBe('unexpectedAnswer');
    expect(by('flyte.admin.http').messageId, brief(by('flyte.admin.http'))).toBe('unexpectedAnswer');
    expect(by('ingress.http.console').messageId, brief(by('ingress.http.console'))).toBe('unexpectedAnswer');
    for (const id of ['ingress.grpc.admin', 'ingress.grpc.signal']) { expect(by(id).status).toBe('fail'); expect(by(id).messageId, brief(by(id))).toBe('http1Listener'); }
  });

  it('a gRPC server that is not flyteadmin (UNIMPLEMENTED for every Flyte service): wrongBackend, auth services routed', async () => {
    const grpc = await import('@grpc/grpc-js');
    const server = new grpc.Server();
    const port = await new Promise<number>((r, j) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? j(e) : r(p))));
    servers.push({ port, ports: [port], stop: () => new Promise<void>((r) => server.tryShutdown(() => r())) });
    const t = bedTarget(port, { insecure: true });
    t.ingress = { ...t.ingress!, tls: false, grpcAddress: `flyte.test:${port}` };
    const rs = await runMany(['ingress.grpc.*'], t, 'verify', 6000);
    noErrors(rs);
    const by = (id: string) => rs.find((r) => r.id === id)!;
    for (const id of ['ingress.grpc.admin', 'ingress.grpc.dataproxy', 'ingress.grpc.signal', 'ingress.grpc.health']) { expect(by(id).messageId, brief(by(id))).toBe('wrongBackend'); expect(by(id).cause).toBe('config:ingress.grpc-routes'); }
    for (const id of ['ingress.grpc.authmetadata', 'ingress.grpc.identity']) expect(by(id).messageId, brief(by(id))).toBe('notRegisteredAuthOff');
  });
});
