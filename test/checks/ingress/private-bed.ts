// Private ingress variants for the ingress/auth/admin tests: Flyte admin backends of our own
// (test/infra/flyteadmin-server.ts on free ports, with the options a variant needs) behind a private
// nginx whose server blocks break one thing each. Nothing here touches the shared test bed's daemons.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startPrivateNginx, testCert, type Running } from '../../harness/private-servers.js';
import { getTestbed } from '../../harness/testbed.js';

const REPO = join(import.meta.dirname, '..', '..', '..');
const SERVER = join(REPO, 'test', 'infra', 'flyteadmin-server.ts');

export interface PrivateAdmin extends Running { httpPort: number; grpcPort: number; auth: boolean }

async function waitFor(ok: () => Promise<boolean>, ms: number, what: string, log: () => string): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await ok().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`${what} not ready after ${ms} ms: ${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const tcpOpen = (port: number) => new Promise<boolean>((r) => { const s = connect(port, '127.0.0.1'); s.once('connect', () => { s.destroy(); r(true); }); s.once('error', () => r(false)); });

/** A Flyte admin backend of the test's own (auth on/off, a tiny gRPC message limit...). */
export async function startPrivateAdmin(o: { auth?: boolean; maxMessageBytes?: number } = {}): Promise<PrivateAdmin> {
  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  const args = ['--import', 'tsx', SERVER, '--http-port', String(httpPort), '--grpc-port', String(grpcPort), '--version', getTestbed().admin.version];
  if (o.auth) args.push('--auth');
  if (o.maxMessageBytes) args.push('--max-message-bytes', String(o.maxMessageBytes));
  const child: ChildProcess = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  const ready = async () => {
    if (child.exitCode !== null) throw new Error(`private admin exited: ${out}`);
    const r = await fetch(`http://127.0.0.1:${httpPort}/healthcheck`, { signal: AbortSignal.timeout(500) });
    await r.arrayBuffer();
    return r.ok && (await tcpOpen(grpcPort));
  };
  try { await waitFor(ready, 30_000, 'private flyteadmin backend', () => out); } catch (e) { child.kill('SIGKILL'); throw e; }
  return {
    httpPort, grpcPort, port: httpPort, ports: [httpPort, grpcPort], auth: !!o.auth,
    stop: () => new Promise<void>((r) => { if (child.exitCode !== null) return r(); child.once('exit', () => r()); child.kill('SIGTERM'); setTimeout(() => child.kill('SIGKILL'), 3000).unref(); }),
  };
}

/**
 * Loads the SDKs the probes use, so a cold import on a busy machine is not billed to the first
 * check's budget (the CLI bundle loads them in milliseconds; a test worker transforms and loads them
 * on first use). Call from beforeAll.
 */
export async function warmUp(): Promise<void> {
  await Promise.all([import('@grpc/grpc-js'), import('@flyteorg/flyteidl/gen/pb-js/flyteidl.js'), import('grpc-health-check'), import('undici'), import('../../../src/clients/grpc.js'), import('../../../src/clients/http.js'), import('../../../checks/ingress/_support.js'), import('../../../src/clients/kube.js')]);
}

/** HTTP paths of the charts' HTTP ingress (facts §E), plus /oidc where the test issuer lives. */
export const HTTP_PATHS = ['/console', '/api', '/healthcheck', '/v1', '/.well-known', '/login', '/logout', '/callback', '/me', '/config', '/oauth2', '/oidc'];
/** The six gRPC prefixes of the charts' gRPC ingress. */
export const GRPC_PREFIXES = {
  admin: '/flyteidl.service.AdminService/',
  authmetadata: '/flyteidl.service.AuthMetadataService/',
  dataproxy: '/flyteidl.service.DataProxyService/',
  identity: '/flyteidl.service.IdentityService/',
  signal: '/flyteidl.service.SignalService/',
  health: '/grpc.health.v1.Health/',
} as const;
export type GrpcPrefix = keyof typeof GRPC_PREFIXES;

/** `location` blocks for the HTTP paths, proxied to `httpPort` (extra directives per location). */
export function httpLocations(httpPort: number, extra = '', paths: readonly string[] = HTTP_PATHS): string {
  return paths.map((p) => `    location ${p} { proxy_pass http://127.0.0.1:${httpPort}; proxy_set_header Host $host; proxy_http_version 1.1; ${extra} }`).join('\n');
}

/** `location` blocks for the gRPC prefixes (all, or `only`), grpc_pass to `grpcPort` (or `directive` instead). */
export function grpcLocations(grpcPort: number, o: { only?: readonly GrpcPrefix[]; directive?: string } = {}): string {
  const keys = o.only ?? (Object.keys(GRPC_PREFIXES) as GrpcPrefix[]);
  return keys.map((k) => `    location ${GRPC_PREFIXES[k]} { ${o.directive ?? `grpc_pass grpc://127.0.0.1:${grpcPort}; grpc_read_timeout 30s;`} }`).join('\n');
}

/** A healthy ingress body for `admin`: HTTP paths and the six gRPC prefixes. */
export function healthyBody(admin: { httpPort: number; grpcPort: number }): string {
  return `${httpLocations(admin.httpPort)}\n${grpcLocations(admin.grpcPort)}`;
}

/**
 * One nginx `server` on `port`: TLS + h2 with a test-CA certificate for flyte.test (default), plain
 * HTTP (`tls: false`), or TLS without HTTP/2 (`tls: 'no-h2'`). Unrouted paths get nginx's own 404.
 */
export function serverBlock(port: number, body: string, o: { tls?: boolean | 'no-h2'; serverExtra?: string } = {}): string {
  const tls = o.tls ?? true;
  const cert = testCert('ingress');
  const listen = tls === false ? `listen 127.0.0.1:${port};` : tls === 'no-h2' ? `listen 127.0.0.1:${port} ssl;` : `listen 127.0.0.1:${port} ssl http2;`;
  const ssl = tls === false ? '' : `\n    ssl_certificate ${cert.cert};\n    ssl_certificate_key ${cert.key};`;
  return `  server {\n    ${listen}\n    server_name flyte.test localhost;${ssl}\n${o.serverExtra ?? ''}\n${body}\n    location / { return 404; }\n  }\n`;
}

/** An htpasswd file with one user (password "secret", apr1 hash), for basic-auth variants. */
export function htpasswdFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fd-htpasswd-'));
  const file = join(dir, 'htpasswd');
  // user "doctor", password "secret" (openssl passwd -apr1 -salt abcdefgh secret)
  writeFileSync(file, 'doctor:$apr1$abcdefgh$h9FWgUz3n9YxylKLlR5SQ/\n');
  return file;
}

/** A private nginx with `count` servers built by `servers(ports)`. */
export function privateIngress(servers: (ports: number[]) => string, o: { count?: number; httpExtra?: string } = {}): Promise<Running> {
  return startPrivateNginx(servers, o);
}

/** The admin endpoint flag value for a private ingress port (flyte.test resolves to 127.0.0.1 through the test bed's dnsmasq). */
export const endpointFor = (port: number) => `dns:///${getTestbed().nginx.host}:${port}`;

// ---------------------------------------------------------------- the lab: one nginx, many variants

const HTML_ERROR_PAGE = '<!DOCTYPE html><html><head><title>Something went wrong</title></head><body><h1>We are down for maintenance</h1><p>Please try again later.</p></body></html>';
const CONSOLE_PAGE = '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Flyte Console</title></head><body><div id="react-app"></div></body></html>';

/** Every variant the lab serves, each on its own port: one thing broken (or healthy). */
export const VARIANTS = [
  'healthy', 'authOn', 'tinyMessages',
  'asHttp1', 'noAdmin', 'noDataproxy', 'noAuthmetadata', 'noIdentity', 'noSignal', 'noHealth', 'noGrpcAtAll',
  'rewrite', 'basicAuth', 'waf403', 'oauth2Proxy', 'closedUpstream', 'noUpstream', 'stalledUpstream',
  'htmlConsole', 'apiToConsole', 'httpBehindGrpc', 'grpcPassToHttp', 'grpcBehindHttp', 'noH2', 'plaintext', 'rateLimited', 'misdirected',
] as const;
export type Variant = (typeof VARIANTS)[number];

export interface Lab { port: Record<Variant, number>; admin: PrivateAdmin; authAdmin: PrivateAdmin; tinyAdmin: PrivateAdmin; ssh: Running; stop(): Promise<void> }

let labPromise: Promise<Lab> | undefined;

/** Starts (once per test file) the private admins and one nginx serving every variant. */
export function ingressLab(): Promise<Lab> {
  labPromise ??= (async () => {
    const { startTcp, impostors } = await import('../../harness/private-servers.js');
    const [admin, authAdmin, tinyAdmin] = await Promise.all([startPrivateAdmin(), startPrivateAdmin({ auth: true }), startPrivateAdmin({ maxMessageBytes: 16 })]);
    const stall = await startTcp(impostors.silent);
    const ssh = await startTcp(impostors.ssh);
    const closed = getTestbed().closedPort;
    const hp = htpasswdFile();
    const only = (missing: GrpcPrefix) => (Object.keys(GRPC_PREFIXES) as GrpcPrefix[]).filter((k) => k !== missing);
    const returnAll = (code: string) => `${httpLocations(0).replace(/proxy_pass[^;]*;[^}]*/g, `${code} `)}\n${grpcLocations(0, { directive: code })}`;
    const body: Record<Variant, () => string> = {
      healthy: () => healthyBody(admin),
      authOn: () => healthyBody(authAdmin),
      tinyMessages: () => healthyBody(tinyAdmin),
      asHttp1: () => `${httpLocations(admin.httpPort)}\n${grpcLocations(admin.grpcPort, { directive: `proxy_pass http://127.0.0.1:${admin.grpcPort}; proxy_http_version 1.1; proxy_read_timeout 2s;` })}`,
      noAdmin: () => `${httpLocations(admin.httpPort)}\n${grpcLocations(admin.grpcPort, { only: only('admin') })}`,
      noDataproxy: () => `${httpLocations(admin.httpPort)}\n${grpcLocations(admin.grpcPort, { only: only('dataproxy') })}`,
      noAuthmetadata: () => `${httpLocations(admin.httpPort)}\n${grpcLocations(admin.grpcPort, { only: only('authmetadata') })}`,
      noIdentity: () => `${httpLocations(admin.httpPort)}\n${grpcLocations(admin.grpcPort, { only: only('identity') })}`,
      noSignal: () => `${httpLocations(admin.httpPort)}\n${grpcLocations(admin.grpcPort, { only: only('signal') })}`,
      noHealth: () => `${httpLocations(admin.httpPort)}\n${grpcLocations(admin.grpcPort, { only: only('health') })}`,
      noGrpcAtAll: () => httpLocations(admin.httpPort),
      // ingress-nginx's rewrite-target: / on the HTTP Ingress: every path reaches flyteadmin as "/".
      rewrite: () => `${httpLocations(admin.httpPort, 'rewrite ^ / break;')}\n${grpcLocations(admin.grpcPort)}`,
      basicAuth: () => healthyBody(admin),
      waf403: () => returnAll('return 403;'),
      oauth2Proxy: () => returnAll('return 302 https://auth.example.com/oauth2/start?rd=$request_uri;'),
      closedUpstream: () => healthyBody({ httpPort: closed, grpcPort: closed }),
      noUpstream: () => returnAll('return 503;'),
      stalledUpstream: () => `${httpLocations(stall.port, 'proxy_read_timeout 1s;')}\n${grpcLocations(stall.port, { directive: `grpc_pass grpc://127.0.0.1:${stall.port}; grpc_read_timeout 1s;` })}`,
      htmlConsole: () => `${httpLocations(admin.httpPort, '', HTTP_PATHS.filter((p) => p !== '/console'))}\n    location /console { default_type text/html; return 200 '${HTML_ERROR_PAGE}'; }\n${grpcLocations(admin.grpcPort)}`,
      apiToConsole: () => `${httpLocations(admin.httpPort, '', HTTP_PATHS.filter((p) => p !== '/api'))}\n    location /api { default_type text/html; return 200 '${CONSOLE_PAGE}'; }\n${grpcLocations(admin.grpcPort)}`,
      httpBehindGrpc: () => `${httpLocations(admin.httpPort)}\n${grpcLocations(0, { directive: `proxy_pass http://127.0.0.1:${admin.httpPort}; proxy_http_version 1.1;` })}`,
      grpcPassToHttp: () => `${httpLocations(admin.httpPort)}\n${grpcLocations(admin.httpPort)}`,
      grpcBehindHttp: () => `${httpLocations(admin.grpcPort, 'proxy_read_timeout 2s;')}\n${grpcLocations(admin.grpcPort)}`,
      noH2: () => healthyBody(admin),
      plaintext: () => healthyBody(admin),
      rateLimited: () => returnAll('return 429;'),
      misdirected: () => returnAll('return 421;'),
    };
    const opts: Partial<Record<Variant, Parameters<typeof serverBlock>[2]>> = {
      basicAuth: { serverExtra: `    auth_basic "Flyte"; auth_basic_user_file ${hp};` },
      noH2: { tls: 'no-h2' },
      plaintext: { tls: false },
    };
    const ng = await startPrivateNginx((ports) => VARIANTS.map((v, i) => serverBlock(ports[i]!, body[v](), opts[v] ?? {})).join('\n'), { count: VARIANTS.length });
    await warmUp();
    const port = Object.fromEntries(VARIANTS.map((v, i) => [v, ng.ports[i]!])) as Record<Variant, number>;
    return {
      port, admin, authAdmin, tinyAdmin, ssh,
      stop: async () => { labPromise = undefined; await Promise.all([ng.stop(), admin.stop(), authAdmin.stop(), tinyAdmin.stop(), stall.stop(), ssh.stop()]); },
    };
  })();
  return labPromise;
}
