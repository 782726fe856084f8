// Contract between the test bed (test/infra, `npm run testbed:up`, the vitest global setup) and the
// tests. The test bed writes `.testbed/state.json` with this shape; tests read it with getTestbed().
// All addresses are on 127.0.0.1.
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface Cred { user: string; password: string }
export interface S3Cred { accessKey: string; secretKey: string }

export interface Testbed {
  /** Absolute path of .testbed/ (state, generated values.yaml, flytectl.yaml, kubeconfig, env). */
  dir: string;
  /** PEM file of the test CA that signed every healthy server certificate. */
  caCert: string;
  postgres: {
    host: string;                 // 127.0.0.1
    port: number;                 // TLS available (hostssl + host lines), like a managed Postgres
    /** A second listener whose pg_hba only has `hostssl` lines: plaintext is refused. */
    tlsOnlyPort: number;
    version: string;              // server_version, e.g. "15.18"
    superuser: Cred;
    /** Owns databases flyteadmin and datacatalog. */
    owner: Cred;
    /** Can connect to flyteadmin/datacatalog but has no CREATE on schema public and does not own them. */
    noCreate: Cred;
    /** A role that exists; tests use a wrong password with it. */
    wrongPasswordUser: string;
    databases: { flyteadmin: string; datacatalog: string };
    /** A database name that does not exist. */
    missingDb: string;
    /** Server certificate is for these names. */
    certNames: string[];
  };
  minio: {
    endpoint: string;             // http://127.0.0.1:19000
    region: string;               // us-east-1
    root: S3Cred;
    buckets: { metadata: string; userdata: string };
    /** Keys that exist before any test and must survive every test (in both buckets). */
    preexistingKeys: string[];
    users: { noPut: S3Cred; noGet: S3Cred; noList: S3Cred; noDelete: S3Cred; none: S3Cred };
    /** A bucket name that does not exist. */
    missingBucket: string;
  };
  gcs: {
    endpoint: string;             // http://127.0.0.1:14443 (use as @google-cloud/storage apiEndpoint)
    projectId: string;
    buckets: { metadata: string; userdata: string };
    preexistingKeys: string[];
    missingBucket: string;
  };
  kube: {
    server: string;               // https://127.0.0.1:16443
    version: string;              // gitVersion, e.g. v1.33.13
    caFile: string;
    /** kubeconfig with contexts 'admin' (system:masters), 'restricted' (view only in ns flyte), 'stalled' (server = stall port), 'missing-plugin' (exec plugin binary that does not exist). current-context: admin */
    kubeconfig: string;
    tokens: { admin: string; restricted: string };
    auditLog: string;
    namespace: string;            // flyte
  };
  /** The Flyte admin backend (see README: a real server from @flyteorg/flyteidl protos, or the real binary). */
  admin: { httpPort: number; grpcPort: number; version: string };
  nginx: {
    host: string;                 // flyte.test (in the cert SANs and in dnsmasq)
    /** Healthy: TLS (test CA) + h2, HTTP paths and gRPC prefixes routed like the charts' ingress. */
    https: number;
    /** Broken variants, each on its own port. */
    grpcAsHttp1: number;          // gRPC prefixes proxied with proxy_pass (HTTP/1.1) -> 502/400
    noGrpcRoutes: number;         // gRPC prefixes not routed -> 404 from nginx
    plaintext: number;            // plain HTTP where TLS is expected
    expired: number;              // expired certificate (test CA)
    wrongHost: number;            // certificate for another host (test CA)
    selfSigned: number;           // self-signed certificate in no CA bundle
    /** Healthy TLS listener whose backend requires auth (401 on /api/v1, UNAUTHENTICATED on gRPC, auth metadata served). */
    authHttps: number;
  };
  dns: {
    server: string;               // 127.0.0.1:15353 (pass as --dns-server)
    /** Names in the test zone: each resolves to 127.0.0.1 unless said otherwise. */
    names: { ingress: string; database: string; storage: string; nowhere: string };
    /** `nowhere` resolves to an address where nothing listens: */
    nowhereAddress: string;
    /** A name that gets NXDOMAIN. */
    nxdomain: string;
  };
  /** A TCP listener that accepts and never answers (proves timeouts). */
  stall: { host: string; port: number };
  /** A port on 127.0.0.1 where nothing listens. */
  closedPort: number;
  /** OIDC issuer served by the admin backend, for auth discovery: `${issuer}/.well-known/openid-configuration`. */
  oidc: { issuer: string };
}

export function testbedDir(): string {
  return resolve(process.env.FLYTE_DOCTOR_TESTBED_DIR ?? join(import.meta.dirname, '..', '..', '.testbed'));
}

let cached: Testbed | undefined;
/** Reads .testbed/state.json. Throws with the command to run when the test bed is not up. */
export function getTestbed(): Testbed {
  if (cached) return cached;
  const file = join(testbedDir(), 'state.json');
  if (!existsSync(file)) throw new Error(`test bed is not up (${file} missing): run \`npm run testbed:up\``);
  cached = JSON.parse(readFileSync(file, 'utf8')) as Testbed;
  return cached;
}
