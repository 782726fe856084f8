// Broken environments whose one fault shows in several areas at once, run as a user would: the
// whole `verify` or `preflight` (no --only), so every check that can see the fault does. Each
// asserts that the report names ONE root cause (the check that says why) and that every other
// failure points at it. The area files (database, storage, kubernetes, tls-client, ingress) hold
// the per-area matrices.
import { afterAll, expect } from 'vitest';
import { endpointFor, ingressLab } from '../checks/ingress/private-bed.js';
import { getTestbed } from '../harness/testbed.js';
import { installFlyte, removeInstall, scaleDeployment, setPodState, type InstallOptions } from '../infra/flyte-install.js';
import { describeScenarios, type Scenario } from './harness.js';

const tb = () => getTestbed();
const GRPC = ['admin', 'authmetadata', 'dataproxy', 'health', 'identity', 'signal'].map((s) => `ingress.grpc.${s}`);
const HTTP = ['api', 'console', 'healthcheck'].map((s) => `ingress.http.${s}`);
const ROUTES = [...GRPC, ...HTTP, 'flyte.admin.grpc', 'flyte.admin.http'];

/** A private flyte-binary install (release fdx) in its own namespace, broken by `breakIt`; returns the undo. */
function privateInstall(ns: string, breakIt: (o: InstallOptions) => Promise<void>, db?: InstallOptions['db']) {
  const o: InstallOptions = { namespace: ns, release: 'fdx', ...(db ? { db } : {}) };
  return async () => {
    await removeInstall(tb(), 'flyte-binary', o);
    await installFlyte(tb(), 'flyte-binary', o);
    await breakIt(o);
    return async () => { await removeInstall(tb(), 'flyte-binary', o); };
  };
}

const scenarios: Scenario[] = [
  {
    name: 'flyteadmin is scaled to 0: the Deployment says why; the Services, the ingress 502s and the admin probes are its consequences',
    phase: 'verify',
    setup: privateInstall('fd-x-down', (o) => scaleDeployment(tb(), 'fdx-flyte-binary', 0, o)),
    inputs: async () => ({ args: ['-n', 'fd-x-down', '--endpoint', endpointFor((await ingressLab()).port.closedUpstream)] }),
    // The ingress checks look up the backend's endpoints only within what their budget can spare
    // (checks/ingress/_support.ts); the stall bound runs from the start of the run, so under the
    // load of a full suite 3 s sometimes left no room and the finding could not name the Service.
    // Nothing stalls here (the 502s are immediate): a longer budget costs no time.
    timeout: '6s',
    expect: {
      failing: [...ROUTES, 'flyte.deployments.ready', 'flyte.services.endpoints'], root: 'flyte.deployments.ready', messageId: 'scaledToZero',
      fix: ['scale deployment fdx-flyte-binary --replicas=1'],
      check: (r) => {
        // the ingress findings still say what they saw, and name the Service that has no ready pod
        const g = r.results.find((x) => x.id === 'ingress.grpc.admin')!;
        expect(g.message).toMatch(/502/);
        expect(g.message).toContain('fdx-flyte-binary-grpc');
      },
    },
  },
  {
    name: 'the database is down: the database check is the root, the pods waiting in wait-for-db are its consequence',
    phase: 'verify',
    setup: privateInstall('fd-x-waitdb', (o) => setPodState(tb(), 'fdx-flyte-binary', { init: { 'wait-for-db': { running: true } }, containers: { '*': { waiting: { reason: 'PodInitializing' } } } }, o),
      { host: tb().postgres.host, port: tb().closedPort, user: tb().postgres.owner.user }),
    inputs: () => ({ args: ['-n', 'fd-x-waitdb'], set: [`configuration.database.port=${tb().closedPort}`] }),
    expect: {
      failing: ['database.postgres.connect[flyteadmin]', 'flyte.deployments.ready', 'flyte.services.endpoints'], root: 'database.postgres.connect[flyteadmin]', messageId: 'refused',
      fix: ['configuration.database.port'],
      check: (r) => expect(r.results.find((x) => x.id === 'flyte.deployments.ready')!.message).toContain(`${tb().postgres.host}:${tb().closedPort}`),
    },
  },
  {
    name: 'the ingress host does not exist in DNS: dns.admin.resolve is the root of every routing and admin failure',
    phase: 'verify',
    inputs: () => ({ args: ['--endpoint', `dns:///${tb().dns.nxdomain}:${tb().nginx.https}`] }),
    expect: {
      failing: ['dns.admin.resolve', ...ROUTES.filter((id) => id !== 'flyte.admin.grpc')], root: 'dns.admin.resolve', messageId: 'nxdomain', fix: [`create a DNS record for ${tb().dns.nxdomain}`],
      // the client's own gRPC path waits for the client TLS check, which waits for resolution: blocked, pointing at the root
      check: (r) => expect(r.results.find((x) => x.id === 'flyte.admin.grpc')).toMatchObject({ status: 'skip', explainedBy: 'dns.admin.resolve' }),
    },
  },
  {
    // c-ares answers a query to a port without a DNS server with ECONNREFUSED (ICMP port
    // unreachable): that is no resolver at all, not the DNS answer REFUSED, and the HTTP routes
    // used to report it as "nothing listens on flyte.test:18443", a second root
    name: '--dns-server names a port where no DNS server runs: dns.admin.resolve says so and is the one root; no route blames the ingress port',
    phase: 'verify',
    inputs: () => ({ dnsServer: `127.0.0.1:${tb().closedPort}` }),
    expect: {
      failing: ['dns.admin.resolve', 'dns.ingress.address', ...ROUTES.filter((id) => id !== 'flyte.admin.grpc')], root: 'dns.admin.resolve', messageId: 'dnsUnreachable',
      fix: [`--dns-server 127.0.0.1:${tb().closedPort} is not a DNS server`, 'leave --dns-server out'],
      check: (r) => {
        expect(r.results.find((x) => x.id === 'dns.admin.resolve')!.message).toContain(`no DNS server answers at 127.0.0.1:${tb().closedPort}`);
        for (const id of HTTP) {
          const x = r.results.find((y) => y.id === id)!;
          expect(x.messageId, id).not.toBe('refused');
          expect(x.explainedBy, id).toBe('dns.admin.resolve');
        }
      },
    },
  },
  {
    name: 'the ingress certificate has expired: tls.admin.expiry is the root of every routing and admin failure',
    phase: 'verify',
    inputs: () => ({ flytectl: { admin: { endpoint: `dns:///${tb().nginx.host}:${tb().nginx.expired}` } } }),
    expect: { failing: ['tls.admin.expiry', ...ROUTES], root: 'tls.admin.expiry', messageId: 'expired', fix: ['renew the certificate'] },
  },
  {
    name: 'a wrong S3 secret key: one root for both buckets, the object probes wait for it',
    phase: 'preflight',
    inputs: { set: ['configuration.storage.providerConfig.s3.secretKey=not-the-secret-123'] },
    expect: {
      failing: ['storage.s3.bucket[metadata]', 'storage.s3.bucket[userdata]'], root: 'storage.s3.bucket[metadata]', messageId: 'wrongSecretKey',
      fix: ['configuration.storage.providerConfig.s3.secretKey'],
      check: (r) => {
        expect(r.stdout).not.toContain('not-the-secret-123');
        for (const id of ['storage.s3.put', 'storage.s3.get', 'storage.s3.list', 'storage.s3.delete']) {
          for (const x of r.results.filter((y) => y.id === id)) expect(x.explainedBy, `${id}[${x.instance}]`).toBe('storage.s3.bucket[metadata]');
        }
      },
    },
  },
];

describeScenarios('one fault, several areas: one root cause (full runs)', scenarios);
afterAll(async () => { await (await ingressLab()).stop(); });
