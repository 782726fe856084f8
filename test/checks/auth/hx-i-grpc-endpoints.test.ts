// flytectl reads the auth metadata over gRPC (AuthMetadataService), where flyteadmin picks the public URL
// from the request's :authority: a token endpoint on a cluster-internal name there is the same failure as
// in the HTTP document. Against test/infra/flyteadmin-server.ts of our own (auth on, ports 17902/17903).
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { makeTarget } from '../../harness/target.js';
import { bed, brief, run } from '../client/bed.js';
import { warmUp } from '../ingress/private-bed.js';

const HTTP_PORT = 17902;
const GRPC_PORT = 17903;
let child: ChildProcess | undefined;
const tcpOpen = (port: number) => new Promise<boolean>((r) => { const s = connect(port, '127.0.0.1'); s.once('connect', () => { s.destroy(); r(true); }); s.once('error', () => r(false)); });

beforeAll(async () => {
  await warmUp();
  const server = join(import.meta.dirname, '..', '..', 'infra', 'flyteadmin-server.ts');
  // flyteadmin's own authorization server, its first authorizedUris entry the in-cluster service
  child = spawn(process.execPath, ['--import', 'tsx', server, '--http-port', String(HTTP_PORT), '--grpc-port', String(GRPC_PORT), '--auth', '--issuer', 'http://flyteadmin:8088/oauth2', '--version', getTestbed().admin.version], { stdio: 'ignore' });
  const end = Date.now() + 30_000;
  while (!(await tcpOpen(GRPC_PORT)) || !(await tcpOpen(HTTP_PORT))) {
    if (Date.now() > end || child.exitCode !== null) throw new Error('hx-i private flyteadmin did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}, 60_000);
afterAll(async () => {
  if (!child || child.exitCode !== null) return;
  await new Promise<void>((r) => { child!.once('exit', () => r()); child!.kill('SIGTERM'); setTimeout(() => child?.kill('SIGKILL'), 3000).unref(); });
});

describe('auth.discovery.grpc: where AuthMetadataService sends flytectl for tokens', () => {
  it('a token endpoint on http://flyteadmin:8088: endpointUnreachable naming authorizedUris and the public URL, not a pass', async () => {
    const t = makeTarget({
      dnsServer: bed().dns.server,
      client: { endpoint: `dns:///${bed().nginx.host}:${GRPC_PORT}`, host: bed().nginx.host, port: GRPC_PORT, insecure: true, insecureSkipVerify: false, authType: 'Pkce' },
      auth: { enabled: true, oidcIssuer: bed().oidc.issuer, valuesKey: 'configuration.auth', authorizedUris: ['http://flyteadmin:8088'] },
    });
    const r = (await run('auth.discovery.grpc', t, { timeoutMs: 8000 })).result;
    expect(r.status, brief(r)).toBe('fail');
    expect(r.messageId).toBe('endpointUnreachable');
    expect(r.message).toContain('http://flyteadmin:8088/oauth2/token');
    expect(r.cause).toBe('config:configuration.auth.authorizedUris');
    expect(r.hint).toContain(`write http://${bed().nginx.host}:${GRPC_PORT} in configuration.auth.authorizedUris`);
  });
});
