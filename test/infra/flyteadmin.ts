// Starts the test bed's Flyte admin backend (test/infra/flyteadmin-server.ts) twice, as detached
// daemons: one with auth off (the healthy backend behind nginx :https) and one with auth on (behind
// nginx :authHttps), which also serves the OIDC issuer's discovery document.
import { join } from 'node:path';
import type { Testbed } from '../harness/testbed.js';
import { assertPortsFree, REPO_ROOT, startDaemon, stopDaemon, tcpOpen, waitFor, type InfraContext } from './common.js';

export const ADMIN_PORTS = { http: 18088, grpc: 18089, authHttp: 18188, authGrpc: 18189 } as const;
export const ADMIN_VERSION = 'v1.16.8';
/** The one bearer token the auth-on backend accepts (`flyte-authorization: Bearer <token>`). */
export const TESTBED_ADMIN_TOKEN = 'flyte-doctor-testbed-token';

const SERVER = join(REPO_ROOT, 'test', 'infra', 'flyteadmin-server.ts');

async function httpOk(url: string): Promise<boolean> {
  const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
  await r.arrayBuffer();
  return r.ok;
}

/** `opts.ports` overrides the default ports (tests run private instances beside the shared test bed). */
export async function startAdmin(ctx: InfraContext, opts: { ports?: Partial<Record<keyof typeof ADMIN_PORTS, number>> } = {}): Promise<{ admin: Testbed['admin']; authAdmin: { httpPort: number; grpcPort: number }; oidc: Testbed['oidc'] }> {
  const p = { ...ADMIN_PORTS, ...opts.ports };
  const issuer = `http://127.0.0.1:${p.authHttp}/oidc`;
  const t0 = Date.now();
  const common = ['--import', 'tsx', SERVER, '--version', ADMIN_VERSION, '--token', TESTBED_ADMIN_TOKEN];
  // Restart our own backends (cheap, and picks up code changes); refuse ports held by others.
  await stopDaemon(ctx, 'flyteadmin');
  await stopDaemon(ctx, 'flyteadmin-auth');
  await assertPortsFree('flyteadmin test backend', [p.http, p.grpc, p.authHttp, p.authGrpc]);
  // cwd = repo root so that `--import tsx` resolves from the repo's node_modules.
  startDaemon(ctx, 'flyteadmin', process.execPath, [...common, '--http-port', String(p.http), '--grpc-port', String(p.grpc)], { cwd: REPO_ROOT });
  startDaemon(ctx, 'flyteadmin-auth', process.execPath, [...common, '--http-port', String(p.authHttp), '--grpc-port', String(p.authGrpc), '--auth', '--issuer', issuer], { cwd: REPO_ROOT });
  await waitFor(ctx, 'flyteadmin test backend', () => httpOk(`http://127.0.0.1:${p.http}/healthcheck`), 30_000, 'flyteadmin');
  await waitFor(ctx, 'flyteadmin test backend (auth)', () => httpOk(`${issuer}/.well-known/openid-configuration`), 30_000, 'flyteadmin-auth');
  await waitFor(ctx, 'flyteadmin test backend gRPC ports', async () => (await tcpOpen(p.grpc)) && tcpOpen(p.authGrpc), 10_000, 'flyteadmin');
  ctx.log(`flyteadmin backends up in ${Date.now() - t0} ms (http ${p.http}, grpc ${p.grpc}; auth http ${p.authHttp}, grpc ${p.authGrpc})`);
  return {
    admin: { httpPort: p.http, grpcPort: p.grpc, version: ADMIN_VERSION },
    authAdmin: { httpPort: p.authHttp, grpcPort: p.authGrpc },
    oidc: { issuer },
  };
}
