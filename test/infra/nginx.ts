// The test bed's ingress: one nginx master (Debian nginx-light 1.22, `listen ... ssl http2`) with a
// healthy TLS+h2 server routed like the Flyte charts' ingress (HTTP paths -> admin HTTP backend,
// gRPC prefixes -> grpc_pass to the admin gRPC backend) and one server per broken variant.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { Testbed } from '../harness/testbed.js';
import { assertPortsFree, issueCert, startDaemon, stopDaemon, tcpOpen, waitFor, type InfraContext } from './common.js';

export const NGINX_HOST = 'flyte.test';
export const NGINX_PORTS = {
  https: 18443, grpcAsHttp1: 18444, noGrpcRoutes: 18445, plaintext: 18446,
  expired: 18447, wrongHost: 18448, selfSigned: 18449, authHttps: 18450,
} as const;

/** HTTP paths of the charts' HTTP ingress (facts §E), plus /oidc where the test issuer lives. */
const HTTP_PATHS = ['/console', '/api', '/healthcheck', '/v1', '/.well-known', '/login', '/logout', '/callback', '/me', '/config', '/oauth2', '/oidc'];
/** gRPC prefixes of the charts' gRPC ingress, as nginx prefix locations. */
const GRPC_PATHS = ['/flyteidl.service.', '/grpc.health.v1.Health/'];

interface Backend { http: number; grpc: number }

function httpLocations(b: Backend): string {
  return HTTP_PATHS.map((p) => `    location ${p} { proxy_pass http://127.0.0.1:${b.http}; proxy_set_header Host $host; proxy_http_version 1.1; }`).join('\n');
}
function grpcLocations(b: Backend): string {
  return GRPC_PATHS.map((p) => `    location ${p} { grpc_pass grpc://127.0.0.1:${b.grpc}; grpc_read_timeout 300s; }`).join('\n');
}
/** The classic misroute: gRPC prefixes sent with proxy_pass (HTTP/1.1) to the h2c gRPC port. The h2c
 * server answers SETTINGS+GOAWAY (26 bytes) and closes; nginx takes that for an HTTP/0.9 response. In
 * about 1 call of 4 nginx then waits on the upstream; proxy_read_timeout bounds that to 2 s. */
function grpcAsHttp1Locations(b: Backend): string {
  return GRPC_PATHS.map((p) => `    location ${p} { proxy_pass http://127.0.0.1:${b.grpc}; proxy_http_version 1.1; proxy_set_header Host $host; proxy_read_timeout 2s; }`).join('\n');
}

function server(port: number, tls: { cert: string; key: string } | undefined, body: string, serverName = `${NGINX_HOST} localhost`): string {
  const listen = tls ? `listen 127.0.0.1:${port} ssl http2;` : `listen 127.0.0.1:${port};`;
  const ssl = tls ? `\n    ssl_certificate ${tls.cert};\n    ssl_certificate_key ${tls.key};` : '';
  // Anything not routed gets nginx's own 404 (as from ingress-nginx's default backend).
  return `  server {\n    ${listen}\n    server_name ${serverName};${ssl}\n${body}\n    location / { return 404; }\n  }\n`;
}

export function nginxConfig(prefix: string, certs: Record<'healthy' | 'expired' | 'wrongHost' | 'selfSigned', { cert: string; key: string }>, admin: Backend, authAdmin: Backend, P: Record<keyof typeof NGINX_PORTS, number> = NGINX_PORTS): string {
  const healthy = `${httpLocations(admin)}\n${grpcLocations(admin)}`;
  // As root, workers would run as nobody and could not read a 0700 temp prefix: keep them root.
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  return `${user}worker_processes 1;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'logs', 'error.log')} info;
events { worker_connections 256; }
http {
  access_log ${join(prefix, 'logs', 'access.log')};
  client_body_temp_path ${join(prefix, 'tmp', 'body')};
  proxy_temp_path ${join(prefix, 'tmp', 'proxy')};
  fastcgi_temp_path ${join(prefix, 'tmp', 'fastcgi')};
  uwsgi_temp_path ${join(prefix, 'tmp', 'uwsgi')};
  scgi_temp_path ${join(prefix, 'tmp', 'scgi')};
  ssl_protocols TLSv1.2 TLSv1.3;
  # healthy: TLS (test CA) + h2, HTTP paths and gRPC prefixes like the charts' ingress
${server(P.https, certs.healthy, healthy)}
  # broken: gRPC prefixes proxied as HTTP/1.1 to the h2c gRPC port
${server(P.grpcAsHttp1, certs.healthy, `${httpLocations(admin)}\n${grpcAsHttp1Locations(admin)}`)}
  # broken: only the HTTP paths; gRPC prefixes are not routed -> nginx 404
${server(P.noGrpcRoutes, certs.healthy, httpLocations(admin))}
  # broken: plain HTTP/1.1 where TLS is expected
${server(P.plaintext, undefined, httpLocations(admin))}
  # broken: expired certificate from the test CA
${server(P.expired, certs.expired, healthy)}
  # broken: valid test-CA certificate for another host (other.example)
${server(P.wrongHost, certs.wrongHost, healthy, 'other.example')}
  # broken: self-signed certificate in no CA bundle
${server(P.selfSigned, certs.selfSigned, healthy)}
  # healthy TLS in front of the auth-on backend
${server(P.authHttps, certs.healthy, `${httpLocations(authAdmin)}\n${grpcLocations(authAdmin)}`)}
}
`;
}

/** `opts.ports` overrides the default ports (tests run private instances beside the shared test bed). */
export async function startNginx(ctx: InfraContext, backends: { httpPort: number; grpcPort: number; authHttpPort: number; authGrpcPort: number }, opts: { ports?: Partial<Record<keyof typeof NGINX_PORTS, number>> } = {}): Promise<Testbed['nginx']> {
  const P = { ...NGINX_PORTS, ...opts.ports };
  const t0 = Date.now();
  const prefix = join(ctx.dir, 'nginx');
  for (const d of ['logs', 'tmp']) mkdirSync(join(prefix, d), { recursive: true });
  const sans = [NGINX_HOST, 'localhost', 'IP:127.0.0.1'];
  const certs = {
    healthy: issueCert(ctx, 'nginx', { sans }),
    expired: issueCert(ctx, 'nginx-expired', { sans, expired: true }),
    wrongHost: issueCert(ctx, 'nginx-wronghost', { sans: ['other.example'] }),
    selfSigned: issueCert(ctx, 'nginx-selfsigned', { sans, selfSigned: true }),
  };
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(conf, nginxConfig(prefix, certs, { http: backends.httpPort, grpc: backends.grpcPort }, { http: backends.authHttpPort, grpc: backends.authGrpcPort }, P));
  try {
    execFileSync('nginx', ['-t', '-q', '-p', prefix, '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    throw new Error(`nginx config test failed (${conf}): ${String((e as { stderr?: Buffer }).stderr ?? e)}`);
  }
  const ports = Object.values(P);
  // Restart our own nginx (0.1 s, and picks up config changes); refuse ports held by others.
  await stopDaemon(ctx, 'nginx');
  await assertPortsFree('nginx', ports);
  startDaemon(ctx, 'nginx', 'nginx', ['-p', prefix, '-c', conf, '-g', 'daemon off;']);
  await waitFor(ctx, 'nginx', async () => (await Promise.all(ports.map((p) => tcpOpen(p)))).every(Boolean), 15_000, 'nginx');
  ctx.log(`nginx up in ${Date.now() - t0} ms (https ${P.https}, variants ${ports.slice(1).join(', ')})`);
  return { host: NGINX_HOST, ...P };
}
