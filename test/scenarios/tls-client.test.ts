// Broken environments of the client path (issue 10, classes 4, 5 and 6): each breaks ONE thing of
// the healthy test bed — a client setting (in the flytectl config or through the flytekit variable
// that overrides it), or the server the client dials (the shared nginx variants, or private TLS
// servers from test/checks/tls/servers.ts) — and runs the real CLI (verify). Asserted: exactly these
// checks fail, the root cause and its messageId, every other failure explained by it, a fix that
// names the real key or variable and never repeats a value already set.
import { afterAll, describe, expect, it } from 'vitest';
import { describeScenarios, runScenario, type Scenario } from './harness.js';
import { getTestbed } from '../harness/testbed.js';
import { startTlsVariants, type TlsVariants } from '../checks/tls/servers.js';

/** The client path and what dials the same endpoint (routing, flyteadmin, auth); dependencies are pulled in. */
const ONLY = ['dns', 'tls', 'client', 'flyte.admin.grpc', 'flyte.admin.http', 'ingress.grpc.admin', 'ingress.grpc.health', 'ingress.http.*', 'auth'];
/** Checks that dial the admin endpoint over HTTP and through the ingress (the ingress follows admin.endpoint here). */
const VIA_ENDPOINT = ['flyte.admin.http', 'ingress.grpc.admin', 'ingress.grpc.health', 'ingress.http.api', 'ingress.http.console', 'ingress.http.healthcheck'];

let variants: Promise<TlsVariants> | undefined;
const tlsServers = () => (variants ??= startTlsVariants());
afterAll(async () => { if (variants) await (await variants).stop(); });

const tb = () => getTestbed();
const endpoint = (port: number, host = 'flyte.test') => ({ admin: { endpoint: `dns:///${host}:${port}` } });

const scenarios: Scenario[] = [
  {
    name: 'FLYTE_PLATFORM_INSECURE=true against the TLS ingress: a client finding naming the variable; the server-side checks stay green',
    phase: 'verify', only: ONLY, timeout: '10s',
    inputs: { env: { FLYTE_PLATFORM_INSECURE: 'true' } },
    expect: { failing: ['client.config.tls-mode'], root: 'client.config.tls-mode', messageId: 'insecureAgainstTls', fix: ['FLYTE_PLATFORM_INSECURE=false'] },
  },
  {
    name: 'admin.insecure: true in the config file against the TLS ingress: fix the file',
    phase: 'verify', only: ONLY, timeout: '10s',
    inputs: { flytectl: { admin: { insecure: true } } },
    expect: { failing: ['client.config.tls-mode'], root: 'client.config.tls-mode', messageId: 'insecureAgainstTls', fix: ['admin.insecure: false in'] },
  },
  {
    name: 'TLS (insecure: false) against flyteadmin\'s plaintext gRPC port: the plaintext port is named, set insecure: true',
    phase: 'verify', only: ONLY, timeout: '10s',
    inputs: () => ({ flytectl: endpoint(tb().admin.grpcPort, '127.0.0.1') }),
    expect: { failing: ['tls.admin.handshake', 'client.config.tls-mode', ...VIA_ENDPOINT], root: 'tls.admin.handshake', messageId: 'plaintextPort', fix: ['admin.insecure: true'] },
  },
  {
    name: 'FLYTE_PLATFORM_INSECURE=false overrides a correct insecure: true for the plaintext port: the variable is named',
    phase: 'verify', only: ONLY, timeout: '10s',
    inputs: () => ({ flytectl: { admin: { endpoint: `dns:///127.0.0.1:${tb().admin.grpcPort}`, insecure: true } }, env: { FLYTE_PLATFORM_INSECURE: 'false' } }),
    expect: { failing: ['tls.admin.handshake', 'client.config.tls-mode', ...VIA_ENDPOINT], root: 'tls.admin.handshake', messageId: 'plaintextPort', fix: ['FLYTE_PLATFORM_INSECURE=true'] },
  },
  {
    name: 'the private CA is not given (no caCertFilePath): set caCertFilePath to the issuing CA',
    phase: 'verify', only: ONLY, timeout: '10s',
    inputs: { flytectl: { admin: { caCertFilePath: null } } },
    expect: { failing: ['tls.admin.trust', 'flyte.admin.grpc', ...VIA_ENDPOINT], root: 'tls.admin.trust', messageId: 'untrusted', fix: ['admin.caCertFilePath', 'CN=flyte-doctor test ca'] },
  },
  {
    name: 'caCertFilePath holds another CA: caFileDoesNotSign names the CA to put there',
    phase: 'verify', only: ONLY, timeout: '10s',
    inputs: async () => ({ flytectl: { admin: { caCertFilePath: (await tlsServers()).pki.root } } }),
    expect: { failing: ['tls.admin.trust', 'flyte.admin.grpc', ...VIA_ENDPOINT], root: 'tls.admin.trust', messageId: 'caFileDoesNotSign', fix: ['admin.caCertFilePath', 'CN=flyte-doctor test ca'] },
  },
  {
    name: 'FLYTE_PLATFORM_CA_CERT_FILE_PATH names a file that does not exist: a client finding naming the variable',
    phase: 'verify', only: ONLY, timeout: '10s',
    inputs: { env: { FLYTE_PLATFORM_CA_CERT_FILE_PATH: '/nonexistent/flyte-ca.pem' } },
    expect: { failing: ['client.config.tls-mode', ...VIA_ENDPOINT], root: 'client.config.tls-mode', messageId: 'caFileMissing', fix: ['FLYTE_PLATFORM_CA_CERT_FILE_PATH='] },
  },
  {
    name: 'expired certificate: renew it (the TLS Secret), nothing on the client',
    phase: 'verify', only: ONLY, timeout: '10s',
    inputs: () => ({ flytectl: endpoint(tb().nginx.expired) }),
    expect: { failing: ['tls.admin.expiry', 'flyte.admin.grpc', ...VIA_ENDPOINT], root: 'tls.admin.expiry', messageId: 'expired', fix: ['renew the certificate'] },
  },
  {
    name: 'certificate for another name on the Ingress host: the Ingress TLS Secret (ingress.tls[].secretName)',
    phase: 'verify', only: ONLY, timeout: '10s',
    inputs: () => ({ flytectl: endpoint(tb().nginx.wrongHost) }),
    expect: { failing: ['tls.admin.hostname', 'flyte.admin.grpc', ...VIA_ENDPOINT], root: 'tls.admin.hostname', messageId: 'nameMismatch', fix: ['ingress.tls[].secretName', 'subjectAltName'] },
  },
  {
    name: 'self-signed certificate that caCertFilePath does not hold',
    phase: 'verify', only: ONLY, timeout: '10s',
    inputs: () => ({ flytectl: endpoint(tb().nginx.selfSigned) }),
    expect: { failing: ['tls.admin.trust', 'flyte.admin.grpc', ...VIA_ENDPOINT], root: 'tls.admin.trust', messageId: 'caFileDoesNotSign', fix: ['admin.caCertFilePath', 'self-signed'] },
  },
  {
    name: 'the ingress\'s plain HTTP port given as the TLS endpoint: named as a plain HTTP listener',
    phase: 'verify', only: ONLY, timeout: '10s',
    inputs: () => ({ flytectl: endpoint(tb().nginx.plaintext) }),
    expect: { failing: ['tls.admin.handshake', 'client.config.tls-mode', ...VIA_ENDPOINT], root: 'tls.admin.handshake', messageId: 'plaintextPort', fix: ['TLS listener'] },
  },
  {
    name: 'FLYTE_PLATFORM_URL points at a port where nothing listens: refused, the variable named',
    phase: 'verify', only: ONLY, timeout: '10s',
    inputs: () => ({ env: { FLYTE_PLATFORM_URL: `dns:///flyte.test:${tb().closedPort}` } }),
    expect: { failing: ['tls.admin.handshake', ...VIA_ENDPOINT], root: 'tls.admin.handshake', messageId: 'refused', fix: ['FLYTE_PLATFORM_URL (environment'] },
  },
  {
    name: 'the endpoint host does not exist (NXDOMAIN): dns.admin.resolve is the root',
    phase: 'verify', only: ONLY, timeout: '10s',
    inputs: () => ({ flytectl: endpoint(tb().nginx.https, tb().dns.nxdomain) }),
    expect: { failing: ['dns.admin.resolve', ...VIA_ENDPOINT], root: 'dns.admin.resolve', messageId: 'nxdomain', fix: [`create a DNS record for ${'missing.test'}`] },
  },
  {
    name: 'TLS listener without HTTP/2 (no h2 in ALPN): noH2',
    phase: 'verify', only: ONLY, timeout: '10s',
    inputs: async () => ({ flytectl: endpoint((await tlsServers()).ports.noH2) }),
    expect: { failing: ['tls.admin.handshake', 'flyte.admin.grpc', 'ingress.grpc.admin', 'ingress.grpc.health'], root: 'tls.admin.handshake', messageId: 'noH2', fix: ['http2'] },
  },
  {
    name: 'a TLS 1.0/1.1-only server: oldTls',
    phase: 'verify', only: ONLY, timeout: '10s',
    inputs: async () => ({ flytectl: endpoint((await tlsServers()).ports.tls10) }),
    expect: { failing: ['tls.admin.handshake', 'flyte.admin.grpc', ...VIA_ENDPOINT], root: 'tls.admin.handshake', messageId: 'oldTls', fix: ['TLSv1.2 TLSv1.3'] },
  },
  {
    name: 'the server does not send its intermediate: serve the full chain, never change caCertFilePath',
    phase: 'verify', only: ONLY, timeout: '10s',
    inputs: async () => { const v = await tlsServers(); return { flytectl: { admin: { endpoint: `dns:///flyte.test:${v.ports.leafOnlyAia}`, caCertFilePath: v.pki.root } } }; },
    expect: {
      failing: ['tls.admin.trust', 'flyte.admin.grpc', ...VIA_ENDPOINT], root: 'tls.admin.trust', messageId: 'intermediateNotSent', fix: ['full chain', 'tls.crt'],
      check: (r) => { for (const x of r.results) expect(x.hint ?? '', `${x.id} must not ask to change caCertFilePath`).not.toMatch(/set admin\.caCertFilePath|caCertFilePath: /); },
    },
  },
  {
    name: 'the ingress serves its controller\'s fake certificate: the Ingress TLS Secret is missing (tls.secretName), never "trust it"',
    phase: 'verify', only: ONLY, timeout: '10s',
    inputs: async () => ({ flytectl: endpoint((await tlsServers()).ports.fakeCert) }),
    expect: {
      failing: ['tls.admin.hostname', 'tls.admin.trust', 'flyte.admin.grpc', ...VIA_ENDPOINT], root: 'tls.admin.hostname', messageId: 'defaultCertificate', fix: ['ingress.tls[].secretName', 'kubernetes.io/tls'],
      check: (r) => expect(r.results.find((x) => x.id === 'tls.admin.trust')?.messageId).toBe('defaultCertificate'),
    },
  },
  {
    name: 'a certificate not valid yet: notYetValid points at the clock',
    phase: 'verify', only: ONLY, timeout: '10s',
    inputs: async () => ({ flytectl: endpoint((await tlsServers()).ports.notYetValid) }),
    expect: { failing: ['tls.admin.expiry', 'flyte.admin.grpc', ...VIA_ENDPOINT], root: 'tls.admin.expiry', messageId: 'notYetValid', fix: ['clock'] },
  },
  {
    name: 'FLYTE_PLATFORM_INSECURE_SKIP_VERIFY hides a name mismatch from flytectl, not from pyflyte: still a fail',
    phase: 'verify', only: ONLY, timeout: '10s',
    inputs: () => ({ flytectl: endpoint(tb().nginx.wrongHost), env: { FLYTE_PLATFORM_INSECURE_SKIP_VERIFY: 'true' } }),
    expect: { failing: ['tls.admin.hostname'], root: 'tls.admin.hostname', messageId: 'nameMismatchSkipVerify', fix: ['subjectAltName', 'unset FLYTE_PLATFORM_INSECURE_SKIP_VERIFY'] },
  },
  {
    name: 'a server that requires a client certificate: the handshake_failure alert is named',
    phase: 'verify', only: ONLY, timeout: '10s',
    inputs: async () => ({ flytectl: endpoint((await tlsServers()).ports.mtls) }),
    expect: { failing: ['tls.admin.handshake', 'flyte.admin.grpc', ...VIA_ENDPOINT], root: 'tls.admin.handshake', messageId: 'handshakeFailure', fix: ['client certificate'] },
  },
];

describeScenarios('client path: TLS, client config, DNS (issue 10 classes 4-6)', scenarios);

describe('client path: what cannot be judged from here', () => {
  it('a cluster-internal admin host (flyteadmin.flyte.svc.cluster.local:81) from FLYTE_PLATFORM_URL: a warn pointing to --in-cluster, nothing fails', async () => {
    const r = await runScenario('verify', { env: { FLYTE_PLATFORM_URL: 'dns:///flyteadmin.flyte.svc.cluster.local:81', FLYTE_PLATFORM_INSECURE: 'true' } }, { only: ['dns', 'tls', 'client'], timeout: '10s' });
    const d = r.results.find((x) => x.id === 'dns.admin.resolve')!;
    expect(d.status).toBe('warn');
    expect(d.messageId).toBe('clusterInternal');
    expect(d.message).toContain('cannot be checked from this machine');
    expect(d.hint).toContain('--in-cluster');
    expect(r.results.filter((x) => x.status === 'fail' || x.status === 'error').map((x) => x.id)).toEqual([]);
    expect(r.code).toBe(0);
  }, 60_000);
});
