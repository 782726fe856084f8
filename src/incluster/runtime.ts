// The in-pod runtime: flyte-doctor running inside a Kubernetes pod (the Job `--in-cluster`
// launches, deploy/job.yaml, the helm test hook). Like client-go's rest.InClusterConfig():
//   - KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are set (the kubelet sets them in every pod),
//   - the service-account directory holds `token` (required), `ca.crt` and `namespace`;
// then the API server is https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT, trusted with
// ca.crt, authenticated with the bearer token file, which is re-read (the kubelet rotates projected
// tokens; the Kubernetes client re-reads a tokenFile every minute, like client-go's cached file token
// source). Only used when no kubeconfig applies (--kubeconfig, $KUBECONFIG, ~/.kube/config): a
// kubeconfig the user gives always wins, exactly as kubectl and client-go's default loading rules do.
//
// The directory is /var/run/secrets/kubernetes.io/serviceaccount, or $FLYTE_DOCTOR_SA_DIR (tests).
// The identity the pod runs as comes from the token's claims (`sub`
// system:serviceaccount:<namespace>:<name>, or the `kubernetes.io` claim of bound tokens); the
// token itself never leaves this module except as a file path (the client reads it and registers
// it with the redactor).
//
// Storage: nothing is configured here. The cloud SDKs' default chains find the pod's identity by
// themselves (AWS: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN injected by the EKS pod identity
// webhook, or EKS Pod Identity's AWS_CONTAINER_CREDENTIALS_FULL_URI; GCP: the GKE metadata server;
// Azure: AZURE_FEDERATED_TOKEN_FILE + AZURE_CLIENT_ID + AZURE_TENANT_ID); `cloudIdentities()` names
// which one the pod's environment offers, so every report says whose rights were probed.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SA_DIR_DEFAULT = '/var/run/secrets/kubernetes.io/serviceaccount';
export const SA_DIR_ENV = 'FLYTE_DOCTOR_SA_DIR';

export interface PodEnvironment {
  /** https://host:port of the API server (IPv6 in brackets). */
  server: string;
  /** The service-account directory used. */
  dir: string;
  tokenFile: string;
  /** ca.crt, when present (without it TLS to the API server is not trusted: kubernetes.api.reachable says so). */
  caFile?: string;
  /** From the namespace file; else from the token's claims. */
  namespace?: string;
  /** The service account, from the token's claims. */
  serviceAccount?: string;
  /** `in-cluster/<namespace>/<serviceaccount>`: what every result that ran here says. */
  ranAt: string;
  /** Where each fact came from (provenance lines). */
  sources: Record<string, string>;
}

const readSmall = (p: string): string | undefined => {
  try {
    const st = statSync(p);
    if (!st.isFile() || st.size > 64 * 1024) return undefined;
    return readFileSync(p, 'utf8');
  } catch { return undefined; }
};

/** The claims of a JWT (no signature check: the API server checks it; this only names the subject). */
export function tokenClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.trim().split('.');
  if (parts.length !== 3) return undefined;
  try {
    const v = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch { return undefined; }
}

/** `{ namespace, name }` of a service-account token, from `sub` or the bound token's `kubernetes.io` claim. */
export function serviceAccountOf(token: string): { namespace?: string; name?: string } {
  const c = tokenClaims(token);
  if (!c) return {};
  const m = typeof c['sub'] === 'string' ? /^system:serviceaccount:([^:]+):([^:]+)$/.exec(c['sub']) : null;
  if (m) return { namespace: m[1]!, name: m[2]! };
  const k = c['kubernetes.io'];
  if (typeof k === 'object' && k !== null) {
    const ns = (k as Record<string, unknown>)['namespace'];
    const sa = (k as Record<string, unknown>)['serviceaccount'];
    const name = typeof sa === 'object' && sa !== null ? (sa as Record<string, unknown>)['name'] : undefined;
    return { ...(typeof ns === 'string' ? { namespace: ns } : {}), ...(typeof name === 'string' ? { name } : {}) };
  }
  const legacyNs = c['kubernetes.io/serviceaccount/namespace'], legacyName = c['kubernetes.io/serviceaccount/service-account.name'];
  return { ...(typeof legacyNs === 'string' ? { namespace: legacyNs } : {}), ...(typeof legacyName === 'string' ? { name: legacyName } : {}) };
}

/** The pod environment, or undefined when this process does not run in a pod (client-go's ErrNotInCluster). */
export function detectPod(env: NodeJS.ProcessEnv): PodEnvironment | undefined {
  const host = env['KUBERNETES_SERVICE_HOST'], port = env['KUBERNETES_SERVICE_PORT'];
  if (!host || !port) return undefined;
  const dir = env[SA_DIR_ENV] || SA_DIR_DEFAULT;
  const tokenFile = join(dir, 'token');
  const token = readSmall(tokenFile);
  if (token === undefined) return undefined;
  const caFile = join(dir, 'ca.crt');
  const nsText = readSmall(join(dir, 'namespace'))?.trim();
  const sa = serviceAccountOf(token);
  const namespace = nsText || sa.namespace;
  const server = `https://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
  const sources: Record<string, string> = {
    server: 'env KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT',
    token: `${tokenFile} (re-read every minute)`,
    ...(namespace ? { namespace: nsText ? join(dir, 'namespace') : `${tokenFile}: claims` } : {}),
    ...(sa.name ? { serviceAccount: `${tokenFile}: claims` } : {}),
  };
  return {
    server, dir, tokenFile, ...(existsSync(caFile) ? { caFile } : {}),
    ...(namespace ? { namespace } : {}), ...(sa.name ? { serviceAccount: sa.name } : {}),
    ranAt: `in-cluster/${namespace ?? 'unknown'}/${sa.name ?? 'unknown'}`,
    sources,
  };
}

let written: string | undefined;

/**
 * A kubeconfig for the pod environment, written once per process into a private temp directory
 * (0600) and removed at exit. It names the token and CA *files* (never their content), so the one
 * Kubernetes client reads them as it reads any kubeconfig (token file re-read, CA trusted).
 */
export function podKubeconfig(pod: PodEnvironment): string {
  if (written && existsSync(written)) return written;
  const dir = mkdtempSync(join(tmpdir(), 'flyte-doctor-pod-'));
  const file = join(dir, 'kubeconfig');
  const q = (s: string) => JSON.stringify(s);
  writeFileSync(file, [
    'apiVersion: v1', 'kind: Config', 'current-context: in-cluster',
    'clusters:', `- name: in-cluster`, `  cluster:`, `    server: ${q(pod.server)}`, ...(pod.caFile ? [`    certificate-authority: ${q(pod.caFile)}`] : []),
    'users:', `- name: ${q(pod.ranAt.slice('in-cluster/'.length).replace('/', ':'))}`, '  user:', `    tokenFile: ${q(pod.tokenFile)}`,
    'contexts:', '- name: in-cluster', '  context:', '    cluster: in-cluster', `    user: ${q(pod.ranAt.slice('in-cluster/'.length).replace('/', ':'))}`, ...(pod.namespace ? [`    namespace: ${q(pod.namespace)}`] : []),
    '',
  ].join('\n'), { mode: 0o600 });
  written = file;
  process.once('exit', () => { try { rmSync(dir, { recursive: true, force: true }); } catch { /* gone */ } });
  return file;
}

/**
 * The cloud identity the pod's environment offers to the storage SDK's default chain for this
 * provider, as people read it (never a credential: role ARNs, client ids and file paths are not secrets).
 */
export function storageIdentity(provider: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (provider === 's3') {
    if (env['AWS_ROLE_ARN'] && env['AWS_WEB_IDENTITY_TOKEN_FILE']) return `AWS IAM role ${env['AWS_ROLE_ARN']} through the web identity token ${env['AWS_WEB_IDENTITY_TOKEN_FILE']} (EKS IRSA)`;
    if (env['AWS_CONTAINER_CREDENTIALS_FULL_URI']) return `AWS EKS Pod Identity (${env['AWS_CONTAINER_CREDENTIALS_FULL_URI']})`;
    if (env['AWS_ACCESS_KEY_ID']) return 'AWS static keys of the pod environment (AWS_ACCESS_KEY_ID)';
    return 'AWS default chain of the pod (no web identity token: the node\'s instance role, if any)';
  }
  if (provider === 'gcs') {
    if (env['GOOGLE_APPLICATION_CREDENTIALS']) return `GCP key file ${env['GOOGLE_APPLICATION_CREDENTIALS']} (GOOGLE_APPLICATION_CREDENTIALS)`;
    return 'GCP Application Default Credentials from the metadata server (GKE Workload Identity: the Google service account bound to this Kubernetes service account)';
  }
  if (provider === 'azure') {
    if (env['AZURE_FEDERATED_TOKEN_FILE'] && env['AZURE_CLIENT_ID']) return `Azure managed identity ${env['AZURE_CLIENT_ID']} through the federated token ${env['AZURE_FEDERATED_TOKEN_FILE']} (Azure Workload Identity)`;
    return 'Azure default chain of the pod (no federated token file)';
  }
  return undefined;
}

/** The token's text (for the redactor), or undefined. */
export function readPodToken(file: string): string | undefined {
  const t = readSmall(file)?.trim();
  return t || undefined;
}
