// TLS variants of the admin endpoint that the shared test bed does not have, as real servers: one
// private nginx (test/harness/private-servers.ts) with a server block per variant, each routed to the
// test bed's admin backend like the charts' ingress (so a working variant really answers gRPC), and
// a PKI of its own made with openssl: a root CA, an intermediate CA, and leaves for the variants.
//   chainFull       leaf + intermediate (trusted through caCertFilePath = the root)
//   leafOnlyAia     the leaf alone; its AIA caIssuers URL serves the intermediate (missing intermediate)
//   leafOnly        the leaf alone, no AIA (found only when a local bundle holds the intermediate)
//   sentRoot        leaf + intermediate + root (a private root sent by the server)
//   tls10           ssl_protocols TLSv1 TLSv1.1 (test-CA certificate)
//   noH2            listen ... ssl without http2 (test-CA certificate)
//   fakeCert        ingress-nginx's "Kubernetes Ingress Controller Fake Certificate" (self-signed, ingress.local)
//   notYetValid     test-CA certificate valid from tomorrow
//   cnOnly          test-CA certificate with CN=flyte.test and no subjectAltName
//   mtls            a Node TLS server that requires a client certificate (TLS 1.2: handshake_failure alert)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { startHttp, startPrivateNginx, type Running } from '../../harness/private-servers.js';
import { getTestbed } from '../../harness/testbed.js';

export const VARIANTS = ['chainFull', 'leafOnlyAia', 'leafOnly', 'sentRoot', 'tls10', 'noH2', 'fakeCert', 'notYetValid', 'cnOnly', 'bundleAppended'] as const;
export type Variant = (typeof VARIANTS)[number] | 'mtls';

export interface TlsVariants {
  ports: Record<Variant, number>;
  /** PEM files: the private root, the intermediate, root + intermediate (a bundle that hides a missing intermediate). */
  pki: { root: string; intermediate: string; rootAndIntermediate: string; fake: string };
  /** The URL the AIA leaf names for its issuer. */
  aiaUrl: string;
  stop(): Promise<void>;
}

const SANS = 'subjectAltName=DNS:flyte.test,DNS:localhost,IP:127.0.0.1';

function ossl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** openssl ca with explicit dates (x509 -req cannot set them). */
function signWithDates(dir: string, name: string, caCert: string, caKey: string, ext: string, start: Date, end: Date): void {
  const caDir = join(dir, `${name}-ca`);
  mkdirSync(join(caDir, 'new'), { recursive: true });
  writeFileSync(join(caDir, 'index.txt'), '');
  const hex = Date.now().toString(16).toUpperCase();
  writeFileSync(join(caDir, 'serial'), `${hex.length % 2 ? `0${hex}` : hex}\n`);
  writeFileSync(join(caDir, 'ca.cnf'), `[ca]\ndefault_ca=d\n[d]\ndir=${caDir}\ndatabase=$dir/index.txt\nnew_certs_dir=$dir/new\nserial=$dir/serial\ndefault_md=sha256\npolicy=p\ncopy_extensions=none\nunique_subject=no\n[p]\ncommonName=supplied\n`);
  writeFileSync(join(dir, `${name}.ext`), ext);
  const fmt = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  ossl(['ca', '-batch', '-config', join(caDir, 'ca.cnf'), '-cert', caCert, '-keyfile', caKey, '-in', `${name}.csr`, '-out', `${name}.crt`, '-startdate', fmt(start), '-enddate', fmt(end), '-extfile', `${name}.ext`, '-notext'], dir);
}

/** The PKI (cached in .testbed/pki/tls-client, except the AIA leaf whose URL names a port of this run). */
function makePki(aiaUrl: string): { dir: string } {
  const tb = getTestbed();
  const dir = join(tb.dir, 'pki', 'tls-client');
  if (!existsSync(join(dir, 'done'))) rmSync(dir, { recursive: true, force: true }); // a half-made PKI is made again
  mkdirSync(dir, { recursive: true });
  const leafExt = (extra = '') => `${SANS}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n${extra}`;
  if (!existsSync(join(dir, 'done'))) {
    ossl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'root.key', '-out', 'root.crt', '-days', '3650', '-subj', '/O=flyte-doctor tests/CN=flyte-doctor tls-client root',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
    ossl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'int.key', '-out', 'int.csr', '-subj', '/O=flyte-doctor tests/CN=flyte-doctor tls-client intermediate'], dir);
    writeFileSync(join(dir, 'int.ext'), 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
    ossl(['x509', '-req', '-in', 'int.csr', '-CA', 'root.crt', '-CAkey', 'root.key', '-CAcreateserial', '-days', '3000', '-extfile', 'int.ext', '-out', 'int.crt'], dir);
    // leaf without AIA (signed by the intermediate)
    ossl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=flyte.test'], dir);
    writeFileSync(join(dir, 'leaf.ext'), leafExt());
    ossl(['x509', '-req', '-in', 'leaf.csr', '-CA', 'int.crt', '-CAkey', 'int.key', '-CAcreateserial', '-days', '800', '-extfile', 'leaf.ext', '-out', 'leaf.crt'], dir);
    writeFileSync(join(dir, 'leaf-int.pem'), readFileSync(join(dir, 'leaf.crt'), 'utf8') + readFileSync(join(dir, 'int.crt'), 'utf8'));
    writeFileSync(join(dir, 'leaf-int-root.pem'), readFileSync(join(dir, 'leaf-int.pem'), 'utf8') + readFileSync(join(dir, 'root.crt'), 'utf8'));
    writeFileSync(join(dir, 'root-int.pem'), readFileSync(join(dir, 'root.crt'), 'utf8') + readFileSync(join(dir, 'int.crt'), 'utf8'));
    ossl(['x509', '-in', 'int.crt', '-outform', 'DER', '-out', 'int.der'], dir);
    // ingress-nginx's fake certificate (same subject and SAN as the controller generates)
    ossl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'fake.key', '-out', 'fake.crt', '-days', '365', '-subj', '/O=Acme Co/CN=Kubernetes Ingress Controller Fake Certificate',
      '-addext', 'subjectAltName=DNS:ingress.local', '-addext', 'extendedKeyUsage=serverAuth'], dir);
    // test-CA certificates: not yet valid, and CN only
    const ca = { cert: join(tb.dir, 'pki', 'ca.crt'), key: join(tb.dir, 'pki', 'ca.key') };
    ossl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'future.key', '-out', 'future.csr', '-subj', '/CN=flyte.test'], dir);
    signWithDates(dir, 'future', ca.cert, ca.key, leafExt(), new Date(Date.now() + 2 * 86400_000), new Date(Date.now() + 400 * 86400_000));
    ossl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'cnonly.key', '-out', 'cnonly.csr', '-subj', '/CN=flyte.test'], dir);
    writeFileSync(join(dir, 'cnonly.ext'), 'extendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n');
    ossl(['x509', '-req', '-in', 'cnonly.csr', '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '800', '-extfile', 'cnonly.ext', '-out', 'cnonly.crt'], dir);
    writeFileSync(join(dir, 'done'), new Date().toISOString());
  }
  // The AIA leaf names this run's issuer URL: made each time (one openssl signing).
  writeFileSync(join(dir, 'aia.ext'), leafExt(`authorityInfoAccess=caIssuers;URI:${aiaUrl}\n`));
  ossl(['x509', '-req', '-in', 'leaf.csr', '-CA', 'int.crt', '-CAkey', 'int.key', '-CAcreateserial', '-days', '800', '-extfile', 'aia.ext', '-out', `aia-${process.pid}.crt`], dir);
  return { dir };
}

function locations(): string {
  const a = getTestbed().admin;
  const http = ['/console', '/api', '/healthcheck', '/v1', '/.well-known', '/login', '/logout', '/callback', '/me', '/config', '/oauth2']
    .map((p) => `    location ${p} { proxy_pass http://127.0.0.1:${a.httpPort}; proxy_set_header Host $host; proxy_http_version 1.1; }`).join('\n');
  const grpc = ['/flyteidl.service.', '/grpc.health.v1.Health/'].map((p) => `    location ${p} { grpc_pass grpc://127.0.0.1:${a.grpcPort}; }`).join('\n');
  return `${http}\n${grpc}\n    location / { return 404; }`;
}

/** Starts every variant (one nginx, one port each) and the AIA issuer server. */
export async function startTlsVariants(): Promise<TlsVariants> {
  const tb = getTestbed();
  const der = () => readFileSync(join(tb.dir, 'pki', 'tls-client', 'int.der'));
  let ready = false;
  const aia: Running = await startHttp((_req, res) => {
    if (!ready) { res.writeHead(503).end(); return; }
    res.writeHead(200, { 'content-type': 'application/pkix-cert' }).end(der());
  });
  const aiaUrl = `http://127.0.0.1:${aia.port}/int.der`;
  const { dir } = makePki(aiaUrl);
  ready = true;
  const f = (n: string) => join(dir, n);
  const pk = (n: string) => join(tb.dir, 'pki', n);
  const loc = locations();
  // a CA bundle appended to the served certificate (~180 KB of chain): more than any TLS client reads
  writeFileSync(f('leaf-bundle.pem'), readFileSync(f('leaf-int.pem'), 'utf8') + readFileSync(f('root.crt'), 'utf8').repeat(150));
  const blocks: Record<(typeof VARIANTS)[number], (port: number) => string> = {
    chainFull: (p) => block(p, 'ssl http2', f('leaf-int.pem'), f('leaf.key')),
    leafOnlyAia: (p) => block(p, 'ssl http2', f(`aia-${process.pid}.crt`), f('leaf.key')),
    leafOnly: (p) => block(p, 'ssl http2', f('leaf.crt'), f('leaf.key')),
    sentRoot: (p) => block(p, 'ssl http2', f('leaf-int-root.pem'), f('leaf.key')),
    tls10: (p) => block(p, 'ssl http2', pk('nginx.crt'), pk('nginx.key'), 'ssl_protocols TLSv1 TLSv1.1; ssl_ciphers DEFAULT:@SECLEVEL=0;'),
    noH2: (p) => block(p, 'ssl', pk('nginx.crt'), pk('nginx.key')),
    fakeCert: (p) => block(p, 'ssl http2', f('fake.crt'), f('fake.key')),
    notYetValid: (p) => block(p, 'ssl http2', f('future.crt'), f('future.key')),
    cnOnly: (p) => block(p, 'ssl http2', f('cnonly.crt'), f('cnonly.key')),
    bundleAppended: (p) => block(p, 'ssl http2', f('leaf-bundle.pem'), f('leaf.key')),
  };
  function block(port: number, listen: string, cert: string, key: string, extra = ''): string {
    return `  server {\n    listen 127.0.0.1:${port} ${listen};\n    server_name flyte.test localhost;\n    ssl_certificate ${cert};\n    ssl_certificate_key ${key};\n    ${extra}\n${loc}\n  }\n`;
  }
  const nginx = await startPrivateNginx((ports) => VARIANTS.map((v, i) => blocks[v](ports[i]!)).join('\n'), { count: VARIANTS.length });
  // Mutual TLS: nginx asks for a client certificate but finishes the handshake (then answers 400);
  // a Node TLS server that requires one aborts the handshake itself, as many load balancers do.
  const mtls = createTlsServer({ cert: readFileSync(pk('nginx.crt')), key: readFileSync(pk('nginx.key')), ca: [readFileSync(pk('ca.crt'))], requestCert: true, rejectUnauthorized: true, maxVersion: 'TLSv1.2' }, (s) => s.end());
  mtls.on('tlsClientError', () => {});
  await new Promise<void>((r) => mtls.listen(0, '127.0.0.1', () => r()));
  const ports = { ...Object.fromEntries(VARIANTS.map((v, i) => [v, nginx.ports[i]!])), mtls: (mtls.address() as { port: number }).port } as Record<Variant, number>;
  return {
    ports, aiaUrl,
    pki: { root: f('root.crt'), intermediate: f('int.crt'), rootAndIntermediate: f('root-int.pem'), fake: f('fake.crt') },
    stop: async () => { await nginx.stop(); await aia.stop(); await new Promise<void>((r) => mtls.close(() => r())); },
  };
}
