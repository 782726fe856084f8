// The Kubernetes client for the checks. @kubernetes/client-node 1.x is used to load the kubeconfig
// (merging, relative paths, tokens, token files, client certificates, legacy auth providers); it is
// imported only here and only dynamically (it costs ~1 s to import). The transport is node:https with
// the check's AbortSignal on every request, because client-node 1.3's fetch layer takes no signal (an
// abort destroys the socket, so a stalled API server costs exactly one timeout). Exec credential
// plugins (aws eks get-token, gke-gcloud-auth-plugin, kubelogin) are run here, also bounded by the
// signal, so a missing plugin binary is reported by name.
//
// Read-only by construction: a session can only GET, LIST (paginated) and create
// SelfSubjectAccessReviews. There is no write method.
import type { KubernetesTarget } from '../config/target.js';
import type { Json } from '../engine/types.js';

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

export type KubeErrorKind =
  | 'no-kubeconfig'      // no file at the path / $KUBECONFIG / ~/.kube/config
  | 'kubeconfig-invalid' // unparsable YAML or a broken entry
  | 'no-context'         // no --kube-context and no current-context
  | 'context-missing'    // the named context is not in the file
  | 'cluster-missing'    // the context names a cluster that is not in the file
  | 'user-missing'       // the context names a user that is not in the file
  | 'credential-file'    // a file the user entry names (token, cert, key) cannot be read
  | 'exec-not-found'     // exec plugin binary not on PATH
  | 'exec-failed'        // exec plugin ran and failed (non-zero exit, bad output)
  | 'dns' | 'refused' | 'timeout' | 'network'
  | 'tls-untrusted' | 'tls-hostname' | 'tls-expired' | 'tls-other'
  | 'unauthorized'       // HTTP 401: the credentials were rejected
  | 'forbidden'          // HTTP 403: authenticated (or anonymous), not allowed
  | 'not-found'          // HTTP 404
  | 'http';              // any other non-2xx

export class KubeError extends Error {
  override readonly name = 'KubeError';
  constructor(
    readonly kind: KubeErrorKind,
    message: string,
    readonly extra: { status?: number; reason?: string; code?: string; command?: string; path?: string; stderr?: string; installHint?: string } = {},
  ) { super(message); }
}

const TLS_UNTRUSTED = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED']);

/** Classifies a transport error (not an HTTP status). `signal` tells a timeout from other aborts. */
export function classifyTransportError(err: unknown, server: string): KubeError {
  if (err instanceof KubeError) return err;
  const e = err as NodeJS.ErrnoException & { reason?: string };
  const code = e?.code ?? '';
  const msg = e?.message ?? String(err);
  if (e?.name === 'AbortError' || code === 'ABORT_ERR') return new KubeError('timeout', `no answer from ${server} before the time was up`, { code });
  if (code === 'ECONNREFUSED') return new KubeError('refused', `connection refused by ${server}`, { code });
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new KubeError('dns', `cannot resolve the host of ${server} (${code})`, { code });
  if (code === 'ETIMEDOUT') return new KubeError('timeout', `connection to ${server} timed out`, { code });
  if (TLS_UNTRUSTED.has(code)) return new KubeError('tls-untrusted', `the API server certificate is not trusted (${code}): ${msg}`, { code });
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return new KubeError('tls-hostname', `the API server certificate does not cover the host: ${e.reason ?? msg}`, { code });
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return new KubeError('tls-expired', `the API server certificate is not valid now (${code})`, { code });
  if (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || /ssl|tls/i.test(code)) return new KubeError('tls-other', `TLS handshake with ${server} failed (${code}): ${msg}`, { code });
  if (['ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ECONNABORTED'].includes(code)) return new KubeError('network', `${server}: ${code} ${msg}`, { code });
  throw err instanceof Error ? err : new Error(String(err));
}

// ---------------------------------------------------------------------------------------------
// Session
// ---------------------------------------------------------------------------------------------

export type AuthKind = 'exec' | 'token' | 'token-file' | 'client-certificate' | 'basic' | 'auth-provider' | 'none';

export interface KubeIdentity {
  /** Kubeconfig files read (first one wins for current-context). */
  files: string[];
  context: string;
  cluster: string;
  server: string;
  user: string;
  /** Namespace the context names, if any. */
  contextNamespace?: string;
  auth: AuthKind;
  /** Exec plugin command (as written in the kubeconfig) and its installHint, when auth is exec. */
  execCommand?: string;
  execInstallHint?: string;
}

export interface ListOptions { labelSelector?: string; fieldSelector?: string; pageSize?: number }

/** Items of a LIST, page by page: memory stays at one page however large the cluster. */
export type ItemVisitor<T> = (item: T) => void;

export interface AccessAttributes { verb: string; group: string; resource: string; namespace?: string; name?: string; subresource?: string }
export interface AccessDecision extends AccessAttributes { allowed: boolean; denied?: boolean; reason?: string; evaluationError?: string }

export interface KubeSession {
  readonly identity: KubeIdentity;
  /** Obtains credentials (runs the exec plugin once; later calls reuse them until they expire). */
  credentials(signal: AbortSignal): Promise<void>;
  /** GET a path (e.g. /version, /api/v1/namespaces/flyte). Throws KubeError on non-2xx. */
  get<T = any>(path: string, signal: AbortSignal): Promise<T>;
  /** GET, returning undefined on 404. */
  getOptional<T = any>(path: string, signal: AbortSignal): Promise<T | undefined>;
  /** LIST with limit/continue pagination; returns every item. */
  list<T = any>(path: string, signal: AbortSignal, opts?: ListOptions): Promise<T[]>;
  /** LIST with pagination, handing each item to `visit` without keeping it; returns the item count. */
  forEach<T = any>(path: string, signal: AbortSignal, visit: ItemVisitor<T>, opts?: ListOptions): Promise<number>;
  /** SelfSubjectAccessReview for each attribute set (bounded parallelism), in input order. */
  canI(attrs: readonly AccessAttributes[], signal: AbortSignal): Promise<AccessDecision[]>;
  close(): void;
}

export interface OpenOptions {
  userAgent?: string;
  env?: NodeJS.ProcessEnv;
  /** Home directory for ~/.kube/config (tests). */
  home?: string;
}

type KubeConfigT = import('@kubernetes/client-node').KubeConfig;
type UserT = import('@kubernetes/client-node').User;

function describeAuth(user: UserT | null, raw: Record<string, unknown> | undefined): AuthKind {
  if (!user) return 'none';
  if (user.exec) return 'exec';
  if (user.authProvider) return 'auth-provider';
  if (user.token) return 'token';
  if (raw && typeof raw['tokenFile'] === 'string') return 'token-file';
  if (user.certData || user.certFile) return 'client-certificate';
  if (user.username) return 'basic';
  return 'none';
}

/** Which kubeconfig files apply: target path, else $KUBECONFIG (path list), else ~/.kube/config. */
export function kubeconfigFiles(k: Pick<KubernetesTarget, 'kubeconfigPath'>, env: NodeJS.ProcessEnv = process.env, home?: string): { files: string[]; source: string } {
  if (k.kubeconfigPath) return { files: [k.kubeconfigPath], source: 'kubeconfig path from the target' };
  const sep = process.platform === 'win32' ? ';' : ':';
  if (env.KUBECONFIG) return { files: env.KUBECONFIG.split(sep).filter(Boolean), source: '$KUBECONFIG' };
  const h = home ?? env.HOME ?? '';
  return { files: [`${h}/.kube/config`], source: '~/.kube/config' };
}

/**
 * Loads the kubeconfig and selects the context. Throws KubeError for every configuration problem.
 * Does not contact the server and does not run exec plugins (see credentials()).
 */
export async function openKube(k: KubernetesTarget, o: OpenOptions = {}): Promise<KubeSession> {
  const { existsSync, readFileSync } = await import('node:fs');
  const { dirname, isAbsolute, resolve } = await import('node:path');
  const env = o.env ?? process.env;
  const { files: candidates, source } = kubeconfigFiles(k, env, o.home);
  const files = candidates.filter((f) => existsSync(f));
  if (files.length === 0) {
    throw new KubeError('no-kubeconfig', `no kubeconfig found (${source}: ${candidates.join(', ')} does not exist)`, { path: candidates.join(',') });
  }
  const kn = await import('@kubernetes/client-node');
  let kc: KubeConfigT;
  try {
    kc = new kn.KubeConfig();
    kc.loadFromFile(files[0]!);
    for (const f of files.slice(1)) { const more = new kn.KubeConfig(); more.loadFromFile(f); kc.mergeConfig(more, true); }
  } catch (e) {
    throw new KubeError('kubeconfig-invalid', `kubeconfig ${files.join(', ')} cannot be parsed: ${(e as Error).message}`, { path: files.join(',') });
  }
  const contextName = k.context ?? kc.getCurrentContext();
  if (!contextName) throw new KubeError('no-context', `kubeconfig ${files[0]} has no current-context and no context was given`, { path: files[0]! });
  const ctxObj = kc.getContextObject(contextName);
  if (!ctxObj) {
    const known = kc.getContexts().map((c) => c.name);
    throw new KubeError('context-missing', `context "${contextName}" is not in ${files.join(', ')} (contexts: ${known.join(', ') || 'none'})`, { path: files.join(',') });
  }
  kc.setCurrentContext(contextName);
  const cluster = kc.getCluster(ctxObj.cluster);
  if (!cluster) throw new KubeError('cluster-missing', `context "${contextName}" names cluster "${ctxObj.cluster}", which is not in the kubeconfig`);
  const user = ctxObj.user ? kc.getUser(ctxObj.user) : null;
  if (ctxObj.user && !user) throw new KubeError('user-missing', `context "${contextName}" names user "${ctxObj.user}", which is not in the kubeconfig`);

  // The raw user entry, for fields client-node does not model (tokenFile, exec.installHint).
  let rawUser: Record<string, unknown> | undefined;
  try {
    const yaml = await import('yaml');
    for (const f of files) {
      const doc = yaml.parse(readFileSync(f, 'utf8')) as { users?: { name: string; user?: Record<string, unknown> }[] } | null;
      const u = doc?.users?.find((x) => x.name === ctxObj.user);
      if (u) { rawUser = u.user ?? {}; break; }
    }
  } catch { /* client-node parsed it; extra fields are optional */ }

  const exec = user?.exec as undefined | { command?: string; args?: string[]; env?: { name: string; value: string }[]; apiVersion?: string; installHint?: string; provideClusterInfo?: boolean };
  const identity: KubeIdentity = {
    files, context: contextName, cluster: cluster.name, server: cluster.server, user: ctxObj.user ?? '',
    ...(ctxObj.namespace ? { contextNamespace: ctxObj.namespace } : {}),
    auth: describeAuth(user, rawUser),
    ...(exec?.command ? { execCommand: exec.command } : {}),
    ...(exec?.installHint ? { execInstallHint: exec.installHint } : {}),
  };
  if (exec && !exec.command) throw new KubeError('kubeconfig-invalid', `user "${identity.user}" has an exec section without a command`);

  // Static TLS + auth options from client-node, with the exec plugin taken out (we run it ourselves).
  const staticKc = new kn.KubeConfig();
  const userNoExec = user ? ({ ...user, exec: undefined } as UserT) : ({ name: 'anonymous' } as UserT);
  staticKc.loadFromClusterAndUser(cluster, userNoExec);
  const base: import('node:https').RequestOptions & { headers: Record<string, string> } = { headers: {} };
  try {
    await staticKc.applyToHTTPSOptions(base);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT' || err.code === 'EACCES') throw new KubeError('credential-file', `a file named in the kubeconfig cannot be read: ${err.message}`, { code: err.code, ...(err.path ? { path: err.path } : {}) });
    throw e;
  }
  const url = new URL(cluster.server);
  const isHttps = url.protocol === 'https:';
  const https = await import('node:https');
  const http = await import('node:http');
  // Our own keep-alive agent with client-node's TLS material (a proxyUrl keeps client-node's agent).
  const proxied = Boolean(cluster.proxyUrl);
  const agent = proxied ? base.agent : isHttps
    ? new https.Agent({ keepAlive: true, maxSockets: 16, ...pick(base, ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername']) })
    : new http.Agent({ keepAlive: true, maxSockets: 16 });

  let execCred: { token?: string; cert?: string; key?: string; expires?: number } | undefined;
  let execAgent: import('node:https').Agent | undefined;
  const ua = o.userAgent ?? 'flyte-doctor';

  async function credentials(signal: AbortSignal): Promise<void> {
    if (!exec) return;
    if (execCred && (execCred.expires === undefined || execCred.expires > Date.now() + 10_000)) return;
    let command = exec.command!;
    if (command.includes('/') && !isAbsolute(command)) command = resolve(dirname(files[0]!), command);
    execCred = await runExecPlugin({ command, shown: exec.command!, args: exec.args ?? [], env: exec.env ?? [], apiVersion: exec.apiVersion ?? 'client.authentication.k8s.io/v1beta1', installHint: exec.installHint, baseEnv: env, signal, server: cluster!.server, provideClusterInfo: exec.provideClusterInfo === true });
    if (execCred.cert && execCred.key && isHttps && !proxied) {
      execAgent?.destroy();
      execAgent = new https.Agent({ keepAlive: true, maxSockets: 16, ...pick(base, ['ca', 'rejectUnauthorized', 'servername']), cert: execCred.cert, key: execCred.key });
    }
  }

  async function request(method: 'GET' | 'POST', path: string, signal: AbortSignal, body?: Json): Promise<{ status: number; json: any; text: string }> {
    await credentials(signal);
    const headers: Record<string, string> = { ...(base.headers as Record<string, string>), accept: 'application/json', 'user-agent': ua };
    if (base.auth) headers.authorization = `Basic ${Buffer.from(base.auth).toString('base64')}`;
    if (execCred?.token) headers.authorization = `Bearer ${execCred.token}`;
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    if (payload) { headers['content-type'] = 'application/json'; headers['content-length'] = String(payload.length); }
    const target = new URL(url.pathname.replace(/\/$/, '') + path, url);
    const lib = isHttps ? https : http;
    return new Promise((res, rej) => {
      if (signal.aborted) return rej(classifyTransportError(Object.assign(new Error('aborted'), { name: 'AbortError' }), cluster!.server));
      const req = lib.request(target, { method, headers, agent: execAgent ?? agent, signal, ...(isHttps && !proxied ? pick(base, ['servername']) : {}) }, (resp) => {
        const chunks: Buffer[] = [];
        resp.on('data', (c: Buffer) => chunks.push(c));
        resp.on('error', (e) => { try { rej(classifyTransportError(e, cluster!.server)); } catch (x) { rej(x); } });
        resp.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: any;
          try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
          res({ status: resp.statusCode ?? 0, json, text });
        });
      });
      req.on('error', (e) => {
        try { rej(classifyTransportError(e, cluster!.server)); } catch (x) { rej(x); }
      });
      req.end(payload);
    });
  }

  function httpError(method: string, path: string, r: { status: number; json: any; text: string }): KubeError {
    const st = r.json?.kind === 'Status' ? r.json : undefined;
    const detail = st?.message ?? r.text.slice(0, 300).trim();
    const kind: KubeErrorKind = r.status === 401 ? 'unauthorized' : r.status === 403 ? 'forbidden' : r.status === 404 ? 'not-found' : 'http';
    return new KubeError(kind, `${method} ${path}: HTTP ${r.status}${detail ? `: ${detail}` : ''}`, { status: r.status, ...(st?.reason ? { reason: st.reason } : {}) });
  }

  async function get<T>(path: string, signal: AbortSignal): Promise<T> {
    const r = await request('GET', path, signal);
    if (r.status < 200 || r.status >= 300) throw httpError('GET', path, r);
    if (r.json === undefined) throw new KubeError('http', `GET ${path}: HTTP ${r.status} with a body that is not JSON: ${r.text.slice(0, 120)}`, { status: r.status });
    return r.json as T;
  }

  const session: KubeSession = {
    identity,
    credentials,
    get,
    async getOptional<T>(path: string, signal: AbortSignal): Promise<T | undefined> {
      try { return await get<T>(path, signal); } catch (e) { if (e instanceof KubeError && e.kind === 'not-found') return undefined; throw e; }
    },
    async list<T>(path: string, signal: AbortSignal, lo: ListOptions = {}): Promise<T[]> {
      const items: T[] = [];
      await this.forEach<T>(path, signal, (it) => { items.push(it); }, lo);
      return items;
    },
    async forEach<T>(path: string, signal: AbortSignal, visit: ItemVisitor<T>, lo: ListOptions = {}): Promise<number> {
      let n = 0;
      let cont: string | undefined;
      do {
        const q = new URLSearchParams();
        q.set('limit', String(lo.pageSize ?? 500));
        if (lo.labelSelector) q.set('labelSelector', lo.labelSelector);
        if (lo.fieldSelector) q.set('fieldSelector', lo.fieldSelector);
        if (cont) q.set('continue', cont);
        const page = await get<{ items?: T[]; metadata?: { continue?: string } }>(`${path}?${q}`, signal);
        for (const it of page.items ?? []) { visit(it); n++; }
        cont = page.metadata?.continue || undefined;
      } while (cont);
      return n;
    },
    async canI(all, signal) {
      // One review per distinct attribute set, answers mapped back in input order.
      const keyOf = (a: AccessAttributes) => [a.verb, a.group, a.resource, a.namespace ?? '', a.name ?? '', a.subresource ?? ''].join('|');
      const attrs = [...new Map(all.map((a) => [keyOf(a), a])).values()];
      const out: AccessDecision[] = new Array(attrs.length);
      let next = 0;
      const worker = async () => {
        while (next < attrs.length) {
          const i = next++;
          const a = attrs[i]!;
          const spec: Record<string, Json> = { verb: a.verb, group: a.group, resource: a.resource };
          if (a.namespace) spec.namespace = a.namespace;
          if (a.name) spec.name = a.name;
          if (a.subresource) spec.subresource = a.subresource;
          const path = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';
          const r = await request('POST', path, signal, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: spec } });
          if (r.status < 200 || r.status >= 300) throw httpError('POST', path, r);
          const s = r.json?.status ?? {};
          out[i] = { verb: a.verb, group: a.group, resource: a.resource, ...(a.namespace ? { namespace: a.namespace } : {}), ...(a.name ? { name: a.name } : {}), ...(a.subresource ? { subresource: a.subresource } : {}), allowed: s.allowed === true, ...(s.denied ? { denied: true } : {}), ...(s.reason ? { reason: s.reason } : {}), ...(s.evaluationError ? { evaluationError: s.evaluationError } : {}) };
        }
      };
      await Promise.all(Array.from({ length: Math.min(8, attrs.length) }, worker));
      const byKey = new Map(out.map((d) => [keyOf(d), d]));
      return all.map((a) => ({ ...byKey.get(keyOf(a))! }));
    },
    close() { (agent as { destroy?: () => void } | undefined)?.destroy?.(); execAgent?.destroy(); },
  };
  return session;
}

function pick<T extends object>(o: T, keys: string[]): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  for (const k of keys) { const v = (o as Record<string, unknown>)[k]; if (v !== undefined) r[k] = v; }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Exec credential plugins
// ---------------------------------------------------------------------------------------------

/** Install hints for the plugins users meet most, keyed by the command's basename. */
export const KNOWN_EXEC_PLUGINS: Record<string, string> = {
  aws: 'install the AWS CLI v2 (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html), then `aws eks update-kubeconfig --name <cluster> --region <region>`',
  'aws-iam-authenticator': 'install aws-iam-authenticator (https://github.com/kubernetes-sigs/aws-iam-authenticator/releases) or switch to `aws eks update-kubeconfig`',
  'gke-gcloud-auth-plugin': 'install it with `gcloud components install gke-gcloud-auth-plugin` (or `apt-get install google-cloud-cli-gke-gcloud-auth-plugin`), then `gcloud container clusters get-credentials <cluster>`',
  kubelogin: 'install it with `az aks install-cli` (Azure) or `kubectl krew install oidc-login` (OIDC), then `kubelogin convert-kubeconfig`',
  'kubectl-oidc_login': 'install it with `kubectl krew install oidc-login`',
  doctl: 'install doctl (https://docs.digitalocean.com/reference/doctl/how-to/install/), then `doctl kubernetes cluster kubeconfig save <cluster>`',
};

export function execInstallHint(command: string, installHint?: string): string {
  const base = command.split(/[\\/]/).pop() ?? command;
  const known = KNOWN_EXEC_PLUGINS[base];
  const parts = [`the kubeconfig runs \`${command}\` to get credentials; make sure it is on PATH`];
  if (installHint) parts.push(installHint.trim().replace(/\s+/g, ' '));
  else if (known) parts.push(known);
  return parts.join('; ');
}

interface ExecRun {
  command: string; shown: string; args: string[]; env: { name: string; value: string }[]; apiVersion: string; installHint?: string | undefined;
  baseEnv: NodeJS.ProcessEnv; signal: AbortSignal; server: string; provideClusterInfo: boolean;
}

async function runExecPlugin(x: ExecRun): Promise<{ token?: string; cert?: string; key?: string; expires?: number }> {
  const { spawn } = await import('node:child_process');
  const env: NodeJS.ProcessEnv = { ...x.baseEnv };
  for (const e of x.env) env[e.name] = e.value;
  env.KUBERNETES_EXEC_INFO = JSON.stringify({ apiVersion: x.apiVersion, kind: 'ExecCredential', spec: { interactive: false, ...(x.provideClusterInfo ? { cluster: { server: x.server } } : {}) } });
  return new Promise((res, rej) => {
    let out = '', errText = '';
    let child: import('node:child_process').ChildProcess;
    try {
      child = spawn(x.command, x.args, { env, signal: x.signal, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      return rej(execSpawnError(e, x));
    }
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { errText += d; });
    child.on('error', (e) => rej(execSpawnError(e, x)));
    child.on('close', (code, sig) => {
      if (x.signal.aborted) return rej(new KubeError('timeout', `exec plugin \`${x.shown}\` did not finish before the time was up`, { command: x.shown }));
      const stderr = errText.trim().split('\n').slice(-5).join(' | ').slice(0, 500);
      if (code !== 0) return rej(new KubeError('exec-failed', `exec plugin \`${x.shown} ${x.args.join(' ')}\` exited with ${code ?? sig}${stderr ? `: ${stderr}` : ''}`, { command: x.shown, stderr }));
      let cred: { status?: { token?: string; clientCertificateData?: string; clientKeyData?: string; expirationTimestamp?: string } };
      try { cred = JSON.parse(out); } catch {
        return rej(new KubeError('exec-failed', `exec plugin \`${x.shown}\` printed no ExecCredential JSON (${out.length} bytes on stdout)`, { command: x.shown, stderr }));
      }
      const s = cred.status ?? {};
      if (!s.token && !(s.clientCertificateData && s.clientKeyData)) return rej(new KubeError('exec-failed', `exec plugin \`${x.shown}\` returned no token and no client certificate`, { command: x.shown }));
      const expires = s.expirationTimestamp ? Date.parse(s.expirationTimestamp) : undefined;
      res({ ...(s.token ? { token: s.token } : {}), ...(s.clientCertificateData ? { cert: s.clientCertificateData } : {}), ...(s.clientKeyData ? { key: s.clientKeyData } : {}), ...(expires && !Number.isNaN(expires) ? { expires } : {}) });
    });
  });
}

function execSpawnError(e: unknown, x: ExecRun): KubeError {
  const err = e as NodeJS.ErrnoException;
  if (err.name === 'AbortError') return new KubeError('timeout', `exec plugin \`${x.shown}\` did not finish before the time was up`, { command: x.shown });
  if (err.code === 'ENOENT') return new KubeError('exec-not-found', `exec credential plugin \`${x.shown}\` was not found on PATH`, { command: x.shown, code: 'ENOENT', ...(x.installHint ? { installHint: x.installHint } : {}) });
  if (err.code === 'EACCES') return new KubeError('exec-not-found', `exec credential plugin \`${x.shown}\` is not executable (EACCES)`, { command: x.shown, code: 'EACCES' });
  return new KubeError('exec-failed', `exec credential plugin \`${x.shown}\` could not be started: ${err.message}`, { command: x.shown, ...(err.code ? { code: err.code } : {}) });
}

// ---------------------------------------------------------------------------------------------
// Per-run session through the engine's shared(): one KubeConfig + agent per run.
// ---------------------------------------------------------------------------------------------

interface SessionCtx {
  readonly target: { kubernetes: KubernetesTarget };
  readonly runId: string;
  shared<T>(key: string, make: (runSignal: AbortSignal) => Promise<T>, close?: (value: T) => Promise<void> | void): Promise<T>;
}

/** The run's Kubernetes session (memoized by kubeconfig+context). Throws KubeError for config problems. */
export function kubeSession(ctx: SessionCtx): Promise<KubeSession> {
  const k = ctx.target.kubernetes;
  return ctx.shared(`kube:${k.kubeconfigPath ?? ''}:${k.context ?? ''}`,
    () => openKube(k, { userAgent: `flyte-doctor (run ${ctx.runId})` }), (s) => s.close());
}

/** A signal that fires `ms` before `signal` would (or at `ms` from now), so a check can report its own timeout. */
export function probeSignal(signal: AbortSignal, ms: number): AbortSignal {
  return AbortSignal.any([signal, AbortSignal.timeout(Math.max(50, ms))]);
}

// ---------------------------------------------------------------------------------------------
// Small pure helpers used by the checks
// ---------------------------------------------------------------------------------------------

const BIN: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DEC: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** Parses a Kubernetes resource quantity ("100m", "1.5", "500Mi", "2G", "1e3") into a number (cores or bytes). */
export function parseQuantity(q: string | number | undefined | null): number {
  if (q === undefined || q === null || q === '') return 0;
  if (typeof q === 'number') return q;
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|K|M|G|T|P|E)?$/.exec(q.trim());
  if (!m) throw new Error(`not a Kubernetes quantity: "${q}"`);
  const n = Number(m[1]);
  const suf = m[2] ?? '';
  return n * (BIN[suf] ?? DEC[suf] ?? 1);
}

export function formatCpu(cores: number): string {
  return cores < 1 ? `${Math.round(cores * 1000)}m` : `${Number(cores.toFixed(2))}`;
}

export function formatMem(bytes: number): string {
  const gi = bytes / 2 ** 30;
  return gi >= 1 ? `${Number(gi.toFixed(2))}Gi` : `${Math.round(bytes / 2 ** 20)}Mi`;
}

/** A LabelSelector object as a selector string (matchLabels + matchExpressions). */
export function selectorString(sel: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined): string {
  if (!sel) return '';
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    if (e.operator === 'In') parts.push(`${e.key} in (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

/** `kubectl` prefix with --kubeconfig/--context when the target names them, for hints. */
export function kubectl(k: Pick<KubernetesTarget, 'kubeconfigPath' | 'context'>, ns?: string): string {
  return ['kubectl', k.kubeconfigPath ? `--kubeconfig ${k.kubeconfigPath}` : '', k.context ? `--context ${k.context}` : '', ns ? `-n ${ns}` : ''].filter(Boolean).join(' ');
}

// ---------------------------------------------------------------------------------------------
// Flyte chart object names (facts §A1, §A2, §A4)
// ---------------------------------------------------------------------------------------------

/** flyte-binary fullname: the release name if it contains "flyte-binary", else `<release>-flyte-binary`. */
export function binaryFullname(release: string): string {
  return release.includes('flyte-binary') ? release : `${release}-flyte-binary`;
}

export interface FlyteComponent {
  /** Deployment name(s): the first is the usual one, others are alternatives (propeller manager mode). */
  deployments: string[];
  /** Human name. */
  component: string;
  /** Values key prefix of this component for the detected chart (image, resources). */
  valuesKey: string;
  /** Optional components are checked only when their Deployment exists (disabled by default / by values). */
  optional: boolean;
}

/** The Deployments of the detected chart (facts §A1, §A2). */
export function flyteComponents(t: ChartNames): FlyteComponent[] {
  if ((t.chart ?? 'flyte-binary') === 'flyte-binary') {
    return [{ deployments: [t.fullname ?? binaryFullname(t.kubernetes.release)], component: 'flyte-binary', valuesKey: 'deployment', optional: false }];
  }
  return [
    { deployments: ['flyteadmin'], component: 'flyteadmin', valuesKey: 'flyteadmin', optional: false },
    { deployments: ['flytepropeller', 'flytepropeller-manager'], component: 'flytepropeller', valuesKey: 'flytepropeller', optional: false },
    { deployments: ['datacatalog'], component: 'datacatalog', valuesKey: 'datacatalog', optional: false },
    { deployments: ['flyteconsole'], component: 'flyteconsole', valuesKey: 'flyteconsole', optional: false },
    { deployments: ['flyte-pod-webhook'], component: 'flyte-pod-webhook', valuesKey: 'webhook', optional: false },
    { deployments: ['flytescheduler'], component: 'flytescheduler', valuesKey: 'flytescheduler', optional: true },
    { deployments: ['syncresources'], component: 'cluster resource sync', valuesKey: 'cluster_resource_manager', optional: true },
  ];
}

export interface FlyteService { name: string; optional: boolean; component: string }

/** The Services clients and the API server call (facts §A1, §A2). */
export function flyteServices(t: ChartNames & { ingress?: { separateGrpcIngress: boolean } | undefined }): FlyteService[] {
  if ((t.chart ?? 'flyte-binary') === 'flyte-binary') {
    const fn = t.fullname ?? binaryFullname(t.kubernetes.release);
    return [
      { name: `${fn}-http`, optional: false, component: 'flyte-binary' },
      { name: `${fn}-grpc`, optional: t.ingress ? !t.ingress.separateGrpcIngress : true, component: 'flyte-binary' },
      { name: `${fn}-webhook`, optional: false, component: 'flyte-binary' },
    ];
  }
  return [
    { name: 'flyteadmin', optional: false, component: 'flyteadmin' },
    { name: 'datacatalog', optional: false, component: 'datacatalog' },
    { name: 'flyteconsole', optional: false, component: 'flyteconsole' },
    { name: 'flyte-pod-webhook', optional: false, component: 'flyte-pod-webhook' },
  ];
}

/** Name of the MutatingWebhookConfiguration the webhook registers (facts §A4). */
export function webhookConfigName(t: ChartNames): string {
  return (t.chart ?? 'flyte-binary') === 'flyte-binary' ? `${t.fullname ?? binaryFullname(t.kubernetes.release)}-webhook` : 'flyte-pod-webhook';
}

/** What names a chart's objects: the chart, the release and (flyte-binary) a fullname found on the cluster. */
export interface ChartNames { chart?: 'flyte-binary' | 'flyte-core'; kubernetes: { release: string; namespace?: string }; fullname?: string }

/**
 * flyte-binary objects are named after the release (`<release>-flyte-binary`), which the values do not
 * say. When the Deployment for the target's release is absent and exactly one Deployment in the
 * namespace carries the chart's label `app.kubernetes.io/name=flyte-binary`, that one is the install:
 * its name is the fullname (also covers fullnameOverride). flyte-core names are fixed.
 */
export async function resolveChartNames<T extends ChartNames>(s: KubeSession, t: T, signal: AbortSignal): Promise<T & { detected?: string }> {
  if ((t.chart ?? 'flyte-binary') !== 'flyte-binary' || t.fullname) return t;
  const ns = encodeURIComponent(t.kubernetes.namespace ?? 'flyte');
  const expected = binaryFullname(t.kubernetes.release);
  if (await s.getOptional(`/apis/apps/v1/namespaces/${ns}/deployments/${encodeURIComponent(expected)}`, signal)) return t;
  const found = await s.list<{ metadata: { name: string; labels?: Record<string, string> } }>(`/apis/apps/v1/namespaces/${ns}/deployments`, signal, { labelSelector: 'app.kubernetes.io/name=flyte-binary' });
  if (found.length !== 1) return t;
  const d = found[0]!;
  const release = d.metadata.labels?.['app.kubernetes.io/instance'] ?? t.kubernetes.release;
  return { ...t, fullname: d.metadata.name, kubernetes: { ...t.kubernetes, release },
    detected: `no Deployment ${expected} (release "${t.kubernetes.release}"); using ${d.metadata.name}, the only flyte-binary Deployment (release "${release}")` };
}

// ---------------------------------------------------------------------------------------------
// Pod diagnosis (why a Deployment is not ready)
// ---------------------------------------------------------------------------------------------

interface ContainerStatus {
  name: string; ready?: boolean; restartCount?: number;
  state?: { running?: unknown; waiting?: { reason?: string; message?: string }; terminated?: { reason?: string; message?: string; exitCode?: number } };
  lastState?: { terminated?: { reason?: string; message?: string; exitCode?: number } };
}
export interface PodLike {
  metadata: { name: string; deletionTimestamp?: string };
  status?: {
    phase?: string; reason?: string; message?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: ContainerStatus[]; initContainerStatuses?: ContainerStatus[];
  };
}

export interface PodDiagnosis {
  pod: string;
  /** ImagePullBackOff, CrashLoopBackOff, Unschedulable, CreateContainerConfigError, Error, ... */
  reason: string;
  container?: string;
  init?: boolean;
  message?: string;
  restarts?: number;
  lastTermination?: { reason?: string; exitCode?: number; message?: string };
}

/** The most telling reason a pod is not ready, or undefined when it is Running and Ready. */
export function diagnosePod(p: PodLike): PodDiagnosis | undefined {
  const s = p.status ?? {};
  const pod = p.metadata.name;
  const sched = s.conditions?.find((c) => c.type === 'PodScheduled');
  if (sched && sched.status === 'False') return { pod, reason: sched.reason ?? 'Unschedulable', ...(sched.message ? { message: sched.message } : {}) };
  if (s.phase === 'Failed') return { pod, reason: s.reason ?? 'Failed', ...(s.message ? { message: s.message } : {}) };
  const look = (cs: ContainerStatus[] | undefined, init: boolean): PodDiagnosis | undefined => {
    for (const c of cs ?? []) {
      const w = c.state?.waiting, t = c.state?.terminated, last = c.lastState?.terminated;
      const lastTermination = last ?? (t && (t.exitCode ?? 0) !== 0 ? t : undefined);
      const base = { pod, container: c.name, ...(init ? { init: true } : {}), ...(c.restartCount ? { restarts: c.restartCount } : {}),
        ...(lastTermination ? { lastTermination: { ...(lastTermination.reason ? { reason: lastTermination.reason } : {}), ...(lastTermination.exitCode !== undefined ? { exitCode: lastTermination.exitCode } : {}), ...(lastTermination.message ? { message: lastTermination.message.trim().slice(-500) } : {}) } } : {}) };
      if (w?.reason && w.reason !== 'PodInitializing' && w.reason !== 'ContainerCreating') return { ...base, reason: w.reason, ...(w.message ? { message: w.message } : {}) };
      if (t && (t.exitCode ?? 0) !== 0) return { ...base, reason: t.reason ?? 'Error', ...(t.message ? { message: t.message.trim().slice(-500) } : {}) };
      if (!init && c.ready === false) return { ...base, reason: w?.reason ?? (c.state?.running ? 'NotReady' : 'ContainerNotReady'), ...(w?.message ? { message: w.message } : {}) };
    }
    return undefined;
  };
  const d = look(s.initContainerStatuses, true) ?? look(s.containerStatuses, false);
  if (d) return d;
  const ready = s.conditions?.find((c) => c.type === 'Ready');
  if (ready && ready.status !== 'True') return { pod, reason: ready.reason ?? 'NotReady', ...(ready.message ? { message: ready.message } : {}) };
  if (s.phase && s.phase !== 'Running') return { pod, reason: s.phase };
  return undefined;
}
