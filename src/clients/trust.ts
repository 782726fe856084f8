// The trust a client config implies, for every TLS connection flyte-doctor makes the way
// flytectl/pyflyte would. Both clients verify against `admin.caCertFilePath` ALONE when it is set
// (Go: x509.NewCertPool + the file; flytekit: grpc.ssl_channel_credentials(file)), and against the
// system roots (Go: the OS store, which SSL_CERT_FILE replaces on Linux) or the roots bundled with
// gRPC (pyflyte; GRPC_DEFAULT_SSL_ROOTS_FILE_PATH replaces them) otherwise. This module reads those
// files and says which stores exist; it judges nothing.
import type { Target } from '../config/target.js';
import { pemPath, readPemFile, splitPem, type TrustStore } from './tls.js';
import { invisiblePathNote } from '../config/read.js';

/** A CA bundle this machine adds through an environment variable, and which clients read it. */
export interface EnvStore {
  variable: 'SSL_CERT_FILE' | 'GRPC_DEFAULT_SSL_ROOTS_FILE_PATH' | 'REQUESTS_CA_BUNDLE' | 'NODE_EXTRA_CA_CERTS';
  path: string;
  certs: string[];
  /** Set when the file cannot be read or holds no certificate. */
  error?: string;
  /** Whether flytectl's / pyflyte's gRPC channel uses it (when caCertFilePath is not set). */
  flytectl: boolean;
  pyflyte: boolean;
  /** Who reads it, for messages. */
  usedBy: string;
}

export interface ClientTrust {
  /**
   * PEMs to verify against the way the clients do: caCertFilePath's certificates alone when it is set
   * and readable; otherwise Node's bundled roots plus the env bundles the gRPC clients read
   * (SSL_CERT_FILE, GRPC_DEFAULT_SSL_ROOTS_FILE_PATH); undefined = Node's default store.
   */
  ca?: string[];
  skipVerify: boolean;
  caFile?: string;
  /** Set when caCertFilePath is configured but cannot be read (or holds no PEM certificate). */
  caFileError?: string;
  /** Certificates found in caCertFilePath. */
  caFileCerts: string[];
  /** CA bundles named by environment variables of this machine. */
  envStores: EnvStore[];
}

const ENV_STORES: Omit<EnvStore, 'path' | 'certs'>[] = [
  { variable: 'SSL_CERT_FILE', flytectl: true, pyflyte: false, usedBy: 'flytectl (Go reads it as the system store on Linux) and OpenSSL tools, not pyflyte\'s gRPC channel' },
  { variable: 'GRPC_DEFAULT_SSL_ROOTS_FILE_PATH', flytectl: false, pyflyte: true, usedBy: 'pyflyte/flytekit\'s gRPC channel (replaces the roots bundled with grpcio), not flytectl' },
  { variable: 'REQUESTS_CA_BUNDLE', flytectl: false, pyflyte: false, usedBy: 'Python requests (flytekit\'s HTTP token calls), not the gRPC channel of either client' },
  { variable: 'NODE_EXTRA_CA_CERTS', flytectl: false, pyflyte: false, usedBy: 'Node.js programs (flyte-doctor itself), neither Flyte client' },
];

/**
 * Bundles read this run, by path and the file's identity (inode, size, mtime: a file fixed during
 * --wait is read again). Every TLS check asks for the trust of the client config: a 200 KB system
 * bundle in SSL_CERT_FILE / NODE_EXTRA_CA_CERTS was read and split ~50 times per verify, and each
 * new array of its certificates indexed again. One array per file keeps its index too.
 */
const bundles = new Map<string, { id: string; value: Promise<{ certs: string[]; error?: string }> }>();
async function readBundle(path: string): Promise<{ certs: string[]; error?: string }> {
  const { statSync } = await import('node:fs');
  let id: string | undefined;
  // (sync, as readPemFile reads: see readSmallFileSync)
  try { const st = statSync(await pemPath(path)); if (st.isFile()) id = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`; } catch { /* read below says why */ }
  if (!id) return readBundleNow(path);
  const hit = bundles.get(path);
  if (hit && hit.id === id) return hit.value;
  const value = readBundleNow(path);
  bundles.set(path, { id, value });
  return value;
}

async function readBundleNow(path: string): Promise<{ certs: string[]; error?: string }> {
  try {
    const certs = splitPem((await readPemFile(path)) ?? '');
    return certs.length ? { certs } : { certs, error: 'no PEM certificate in the file' };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const note = err.code === 'ENOENT' ? invisiblePathNote(path) : undefined;
    return { certs: [], error: err.code === 'ENOENT' ? `file does not exist${note ? `: ${note}` : ''}` : err.code === 'EACCES' ? 'file is not readable' : err.code === 'EISDIR' ? 'is a directory, not a PEM file' : err.message };
  }
}

/**
 * The trust the client config implies: caCertFilePath (alone) or the system roots, insecureSkipVerify,
 * and the env bundles (as the loader read them from the run's environment: target.client.trustEnv).
 */
export async function clientTrust(target: Target, env: Readonly<Record<string, string | undefined>> = target.client.trustEnv ?? {}): Promise<ClientTrust> {
  const { rootCertificates } = await import('node:tls');
  const c = target.client;
  const envStores: EnvStore[] = [];
  for (const s of ENV_STORES) {
    const path = env[s.variable];
    if (!path) continue;
    const b = await readBundle(path);
    envStores.push({ ...s, path, certs: b.certs, ...(b.error ? { error: b.error } : {}) });
  }
  const base: ClientTrust = { skipVerify: c.insecureSkipVerify, caFileCerts: [], envStores, ...(c.caCertFilePath ? { caFile: c.caCertFilePath } : {}) };
  if (!c.caCertFilePath) {
    const extra = envStores.filter((s) => s.flytectl || s.pyflyte).flatMap((s) => s.certs);
    return extra.length ? { ...base, ca: [...rootCertificates, ...extra] } : base;
  }
  const b = await readBundle(c.caCertFilePath);
  if (b.error) return { ...base, caFileError: b.error };
  return { ...base, ca: b.certs, caFileCerts: b.certs };
}

/**
 * The stores to judge a chain against, labelled: 'system' (Node's bundled Mozilla roots, close to
 * both the OS store and grpcio's roots.pem), 'caCertFilePath', and one per env bundle (its variable).
 */
export async function trustStores(trust: ClientTrust): Promise<TrustStore[]> {
  const { rootCertificates } = await import('node:tls');
  return [
    { label: 'system', certs: rootCertificates },
    ...(trust.caFileCerts.length ? [{ label: 'caCertFilePath', certs: trust.caFileCerts }] : []),
    ...trust.envStores.filter((s) => s.certs.length).map((s) => ({ label: s.variable, certs: s.certs })),
  ];
}
