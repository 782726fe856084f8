// The Kubernetes client for the checks: node:https with the check's AbortSignal on every request (an
// abort destroys the socket, so a stalled API server costs exactly one timeout). The kubeconfig is
// read and merged by src/config/kubeconfig.ts (kubectl's rules), the same module the loader uses,
// so the loader and the client always agree on files, context and credentials. Credentials
// supported: token, tokenFile (re-read like kubectl, every minute), basic auth, client certificate
// and key (data or file), exec credential plugins (env, args, installHint, provideClusterInfo,
// apiVersion v1/v1beta1; bounded by the signal; re-run once after a 401), auth-provider oidc
// (id-token) and gcp/azure (access-token), impersonation; TLS: certificate-authority(-data),
// insecure-skip-tls-verify, tls-server-name; proxy-url (http, https, socks5) and the
// HTTPS_PROXY/NO_PROXY environment like client-go.
//
// Evidence only: every failure is a typed KubeError (what answered, status, reason); checks turn it
// into findings. Every credential the session knows (and its base64, URL-encoded and hex forms) is
// scrubbed from any text a server or a plugin sends back before it enters an error, and handed to
// `onSecret` for the run's redactor.
//
// Read-only by construction: a session can only GET, LIST (paginated) and create
// SelfSubjectAccessReviews and SubjectAccessReviews (answered, never stored). There is no write method.
import { connectNotTunnel, stalledText } from './answers.js';
import { randomBytes, X509Certificate } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import type { KubernetesTarget } from '../config/target.js';
import { headerUnsafe } from '../config/hygiene.js';
import {
  authKind, AUTH_PROVIDER_SECRET_KEYS, credentialSecrets, KubeconfigError, kubeconfigFileList, readKubeFile, readMergedKubeconfig, selectContext,
  type AuthKind, type KubeCluster, type KubeExec, type KubeUser, type SelectedContext,
} from '../config/kubeconfig.js';
import type { Json } from '../engine/types.js';
import { withTimeout } from '../engine/budget.js';

export type { AuthKind } from '../config/kubeconfig.js';

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

export type KubeErrorKind =
  | 'no-kubeconfig'      // no file at the path / $KUBECONFIG / ~/.kube/config
  | 'kubeconfig-invalid' // unparsable YAML, wrong types, a cluster without a server URL
  | 'no-context'         // no --context and no current-context
  | 'context-missing'    // the named context is not in the files
  | 'cluster-missing'    // the context names a cluster that is not defined
  | 'user-missing'       // the context names a user that is not defined
  | 'credential-file'    // a file the entry names (CA, client cert/key, tokenFile) cannot be read
  | 'credential-invalid' // CA / client certificate / key data that is not valid PEM, an empty token file
  | 'credential-expired' // a credential whose expiry is in the kubeconfig and is past (oidc id-token, gcp/azure access-token)
  | 'auth-unsupported'   // an auth-provider or exec apiVersion kubectl no longer supports, interactive-only plugin
  | 'exec-not-found'     // exec plugin binary not on PATH / not executable
  | 'exec-failed'        // exec plugin ran and exited non-zero
  | 'exec-bad-output'    // exec plugin printed something that is not a valid ExecCredential
  | 'exec-held-open'     // exec plugin exited, but a process it started keeps its stdout open (kubectl waits for EOF and hangs)
  | 'proxy'              // the proxy (proxy-url / HTTPS_PROXY) refused, failed or is not reachable
  | 'dns' | 'refused' | 'timeout' | 'network'
  | 'tls-untrusted' | 'tls-hostname' | 'tls-expired'
  | 'tls-plaintext'      // https:// to a port that does not speak TLS (plain HTTP, SSH, ...): "wrong version number"
  | 'tls-expected'       // http:// to a TLS port ("Client sent an HTTP request to an HTTPS server")
  | 'tls-client-cert'    // the server refused our client certificate during the handshake
  | 'tls-other'
  | 'unauthorized'       // HTTP 401: the credentials were rejected
  | 'forbidden'          // HTTP 403: authenticated (or anonymous), not allowed
  | 'not-found'          // HTTP 404
  | 'throttled'          // HTTP 429
  | 'server-error'       // HTTP 5xx
  | 'bad-response'       // 2xx that is not the JSON shape a Kubernetes API server sends (HTML, a list where an object is expected...)
  | 'http';              // any other status

export interface KubeErrorExtra {
  status?: number; reason?: string; code?: string; command?: string; path?: string; stderr?: string; installHint?: string;
  /** The request that failed: `GET /api/v1/...`. */
  request?: string;
  /** From a 403 Status: what was denied. */
  verb?: string; resource?: string; group?: string; namespace?: string; name?: string;
  contentType?: string;
  retryAfter?: string;
  /** A short, scrubbed start of a body that was not what was expected. */
  body?: string;
  /** Which credential field or file is concerned (e.g. 'tokenFile', 'client-key-data'). */
  field?: string;
  /**
   * A timeout's stage: 'tls' the TCP connection was accepted but the TLS handshake never ended,
   * 'response' no HTTP answer came on an open connection; through a proxy, 'proxy-connect' the
   * proxy did not accept the TCP connection, 'proxy-handshake' it accepted it and never answered
   * the CONNECT request / SOCKS5 greeting; 'body' the status line and headers came (status) and
   * the body stopped before its end (received bytes, of expected when a Content-Length said).
   */
  stage?: 'tls' | 'response' | 'body' | 'proxy-connect' | 'proxy-handshake';
  /** With stage 'body': the body bytes that came, and the Content-Length when there was one. */
  received?: number; expected?: number;
}

export class KubeError extends Error {
  override readonly name = 'KubeError';
  constructor(readonly kind: KubeErrorKind, message: string, readonly extra: KubeErrorExtra = {}) { super(message); }
}

const TLS_UNTRUSTED = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED', 'INVALID_CA', 'CERT_REJECTED']);

/** Classifies a transport error (not an HTTP status). Never throws for an error of the network. */
export function classifyTransportError(err: unknown, server: string): KubeError {
  if (err instanceof KubeError) return err;
  if (err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError) throw err; // our bug, not the network
  const e = err as NodeJS.ErrnoException & { reason?: string; rawPacket?: Buffer };
  const code = e?.code ?? '';
  const msg = (e?.message ?? String(err)).split('\n')[0]!.replace(/^(write|read) EPROTO [0-9A-F]+:error:[0-9A-F]+:/, '').trim();
  if (e?.name === 'AbortError' || code === 'ABORT_ERR') return new KubeError('timeout', `no answer from ${server} before the time was up`, { code: code || 'ABORT_ERR' });
  if (code === 'ECONNREFUSED') return new KubeError('refused', `connection refused by ${server}`, { code });
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return new KubeError('dns', `cannot resolve the host of ${server} (${code})`, { code });
  if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT') return new KubeError('timeout', `connection to ${server} timed out`, { code });
  if (TLS_UNTRUSTED.has(code)) return new KubeError('tls-untrusted', `the API server certificate is not trusted (${code}): ${msg}`, { code });
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH') return new KubeError('tls-hostname', `the API server certificate does not cover the host: ${e.reason ?? msg}`, { code });
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return new KubeError('tls-expired', `the API server certificate is not valid now (${code})`, { code });
  if (/wrong version number|packet length too long|unknown protocol|record layer failure|http request/i.test(msg) || code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG' || code === 'ERR_SSL_HTTP_REQUEST') {
    return new KubeError('tls-plaintext', `${server} did not answer the TLS handshake with TLS (${msg}): the port speaks something else, e.g. plain HTTP`, { code: code || 'EPROTO' });
  }
  if (/alert (bad certificate|certificate required|unknown ca|certificate expired|certificate revoked|certificate unknown|access denied)|TLSV13_ALERT_CERTIFICATE_REQUIRED|SSLV3_ALERT_BAD_CERTIFICATE|TLSV1_ALERT_UNKNOWN_CA|SSLV3_ALERT_CERTIFICATE_EXPIRED/i.test(`${code} ${msg}`)) {
    return new KubeError('tls-client-cert', `${server} refused the client certificate during the TLS handshake (${code || msg})`, { code: code || 'EPROTO' });
  }
  if (code.startsWith('HPE_')) {
    const raw = e.rawPacket;
    if (raw && raw[0] === 0x15 && raw[1] === 0x03) return new KubeError('tls-expected', `${server} answered a plain HTTP request with a TLS alert: the port speaks TLS (use https://)`, { code });
    return new KubeError('bad-response', `${server} did not answer with HTTP (${e.reason ?? msg})`, { code });
  }
  if (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || code === 'EPROTO' || /ssl|tls/i.test(code) || /TLS connection was established/.test(msg)) return new KubeError('tls-other', `TLS handshake with ${server} failed (${code || 'no code'}): ${msg}`, { code: code || 'TLS' });
  if (code === 'ERR_OSSL_PEM_NO_START_LINE' || code.startsWith('ERR_OSSL')) return new KubeError('credential-invalid', `the TLS material in the kubeconfig cannot be used (${code})`, { code });
  if (code === 'ERR_STREAM_PREMATURE_CLOSE') return new KubeError('network', `${server} closed the connection before the answer was complete`, { code });
  return new KubeError('network', `${server}: ${code ? `${code} ` : ''}${msg}`, { ...(code ? { code } : {}) });
}

// ---------------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------------

/** Every form in which a secret can come back in a server's or a plugin's text. */
export function secretForms(s: string): string[] {
  if (!s || s.length < 3) return [];
  const b = Buffer.from(s, 'utf8');
  const out = new Set<string>([s, s.trim(), encodeURIComponent(s), b.toString('hex'), b.toString('hex').toUpperCase()]);
  // base64 of the secret at each alignment inside a longer base64 text (a Basic header, a JSON blob)
  for (let k = 0; k < 3; k++) {
    for (const enc of [Buffer.concat([Buffer.alloc(k), b]).toString('base64'), Buffer.concat([Buffer.alloc(k), b]).toString('base64url')]) {
      const start = Math.ceil((8 * k) / 6), end = Math.floor((8 * (k + b.length)) / 6);
      const core = enc.slice(start, end);
      if (core.length >= 4) out.add(core);
    }
  }
  out.add(b.toString('base64'));
  return [...out].filter((x) => x.length >= 3);
}

/** Replaces every known secret (in every form) by ***. */
export class Scrubber {
  #forms: string[] = [];
  #raw = new Set<string>();
  add(s: string | undefined): boolean {
    if (!s || s.trim().length < 3 || this.#raw.has(s)) return false;
    this.#raw.add(s);
    this.#forms = [...new Set([...this.#forms, ...secretForms(s)])].sort((a, b) => b.length - a.length);
    return true;
  }
  scrub(text: string): string {
    let out = text;
    for (const f of this.#forms) if (out.includes(f)) out = out.split(f).join('***');
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Session
// ---------------------------------------------------------------------------------------------

export interface KubeIdentity {
  /** Kubeconfig files merged (first one wins for current-context). */
  files: string[];
  context: string;
  cluster: string;
  server: string;
  user: string;
  /** Namespace the context names, if any. */
  contextNamespace?: string;
  auth: AuthKind;
  /** auth-provider name (oidc, gcp, azure), when auth is auth-provider. */
  authProvider?: string;
  /** Exec plugin command (as written in the kubeconfig) and its installHint, when auth is exec. */
  execCommand?: string;
  execArgs?: string[];
  execInstallHint?: string;
  tokenFile?: string;
  /** Client certificate expiry (ISO), when the kubeconfig has one. */
  clientCertNotAfter?: string;
  /** The proxy requests go through (credentials removed), and where that setting comes from. */
  proxy?: string;
  proxySource?: string;
  insecureSkipTlsVerify?: boolean;
  tlsServerName?: string;
}

export interface ListOptions { labelSelector?: string; fieldSelector?: string; pageSize?: number; /** Stop after this many items (default unlimited). */ maxItems?: number }

/** Items of a LIST, page by page: memory stays at one page however large the cluster. */
export type ItemVisitor<T> = (item: T) => void;

export interface AccessAttributes { verb: string; group: string; resource: string; namespace?: string; name?: string; subresource?: string }
/** One RBAC resource rule as a SelfSubjectRulesReview lists it. */
export interface ResourceRule { verbs: string[]; apiGroups: string[]; resources: string[]; resourceNames: string[] }

/**
 * Whether an RBAC rule grants these attributes, exactly as the RBAC authorizer matches
 * (rbac/v1 helpers VerbMatches, APIGroupMatches, ResourceMatches, ResourceNameMatches): `*` matches
 * any verb, group or resource; `resource/subresource` and `*\/subresource` (not `resource/*`); a rule
 * with resourceNames grants only requests that name one of them (never a create or list without a name).
 */
export function ruleAllows(rule: ResourceRule, a: AccessAttributes): boolean {
  if (!rule.verbs.includes('*') && !rule.verbs.includes(a.verb)) return false;
  if (!rule.apiGroups.includes('*') && !rule.apiGroups.includes(a.group)) return false;
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const resOk = rule.resources.some((r) => r === '*' || r === combined
    || (a.subresource ? r === `*/${a.subresource}` : false));
  if (!resOk) return false;
  if (rule.resourceNames.length === 0) return true;
  return !!a.name && rule.resourceNames.includes(a.name);
}

export interface AccessDecision extends AccessAttributes { allowed: boolean; denied?: boolean; reason?: string; evaluationError?: string }

/** A Kubernetes object as the client hands it out: a JSON map whose metadata.name is a string. */
export interface KubeObject { metadata: { name: string; namespace?: string; [k: string]: unknown }; [k: string]: unknown }

export interface KubeSession {
  readonly identity: KubeIdentity;
  /** Obtains credentials (runs the exec plugin once; later calls reuse them until they expire). */
  credentials(signal: AbortSignal): Promise<void>;
  /** GET a path (e.g. /version, /api/v1/namespaces/flyte). Throws KubeError on non-2xx and on a body that is not a JSON object. */
  get<T = any>(path: string, signal: AbortSignal): Promise<T>;
  /** GET, returning undefined on 404. */
  getOptional<T = any>(path: string, signal: AbortSignal): Promise<T | undefined>;
  /** GET a text resource (pod logs), at most `maxBytes`. */
  getText(path: string, signal: AbortSignal, maxBytes?: number): Promise<string>;
  /** LIST with limit/continue pagination; returns every item (each a map with metadata.name). */
  list<T = any>(path: string, signal: AbortSignal, opts?: ListOptions): Promise<T[]>;
  /** LIST with pagination, handing each item to `visit` without keeping it; returns the item count. */
  forEach<T = any>(path: string, signal: AbortSignal, visit: ItemVisitor<T>, opts?: ListOptions): Promise<number>;
  /** SelfSubjectAccessReview for each attribute set (bounded parallelism), in input order. */
  canI(attrs: readonly AccessAttributes[], signal: AbortSignal): Promise<AccessDecision[]>;
  /**
   * POSTs one SubjectAccessReview (authorization.k8s.io/v1): the API server answers it and stores
   * nothing, so the session stays read-only. Returns the answer's JSON object; throws KubeError on a
   * non-2xx answer (403: the identity may not create subjectaccessreviews) or a body that is not a
   * JSON object. src/clients/access.ts builds the reviews and validates the answers.
   */
  postSubjectAccessReview(body: Json, signal: AbortSignal): Promise<Record<string, unknown>>;
  /**
   * POSTs a review the API server answers and stores nothing of (SelfSubjectReview of
   * authentication.k8s.io, the *reviews of authorization.k8s.io): the session stays read-only. Returns
   * the answer's JSON object; KubeError on a non-2xx answer (404: the group version is not served).
   * src/clients/whoami.ts asks "who am I" with it.
   */
  postReview?(path: string, body: Json, signal: AbortSignal): Promise<Record<string, unknown>>;
  /** Removes every credential the session knows from `text`. */
  scrub(text: string): string;
  close(): void;
}

export interface OpenOptions {
  userAgent?: string;
  /** Environment for exec plugins and proxy variables (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Home directory for ~/.kube/config (tests). */
  home?: string;
  /** Base for relative kubeconfig paths in the target (default process.cwd()). */
  cwd?: string;
  /** Every credential the session learns (at open and at run time: token files, exec output). */
  onSecret?: (secret: string) => void;
}

/** Which kubeconfig files apply: the target's (a file, or a $KUBECONFIG path list), else $KUBECONFIG, else ~/.kube/config. */
export function kubeconfigFiles(k: Pick<KubernetesTarget, 'kubeconfigPath'>, env: NodeJS.ProcessEnv = process.env, home?: string, cwd = process.cwd()): { files: string[]; source: string } {
  if (k.kubeconfigPath) return { files: kubeconfigFileList(k.kubeconfigPath, cwd), source: 'kubeconfig path from the target' };
  const sep = process.platform === 'win32' ? ';' : ':';
  if (env.KUBECONFIG) return { files: [...new Set(env.KUBECONFIG.split(sep).filter(Boolean))], source: '$KUBECONFIG' };
  const h = home ?? env.HOME ?? '';
  return { files: [`${h}/.kube/config`], source: '~/.kube/config' };
}

const KIND_OF: Record<KubeconfigError['kind'], KubeErrorKind> = {
  file: 'kubeconfig-invalid', invalid: 'kubeconfig-invalid', 'context-missing': 'context-missing', 'no-context': 'no-context',
  'cluster-missing': 'cluster-missing', 'user-missing': 'user-missing', 'no-server': 'kubeconfig-invalid',
};

/** A credential/file problem as a KubeError (never quoting file content). */
function fileError(e: unknown, field: string, what: string): KubeError {
  if (e instanceof KubeconfigError) return new KubeError('credential-file', `${what} (${field}): ${e.expectation}`, { field, path: e.where });
  return new KubeError('credential-file', `${what} (${field}) cannot be read: ${(e as Error)?.message ?? String(e)}`, { field });
}

/** PEM from a `*-data` field (base64 of PEM) or a file. */
function pemFrom(data: string | undefined, file: string | undefined, field: string, what: string): Buffer | undefined {
  if (data) {
    const buf = Buffer.from(data.replace(/\s+/g, ''), 'base64');
    if (!buf.length || !/-----BEGIN /.test(buf.toString('latin1'))) throw new KubeError('credential-invalid', `${what} (${field}-data) is not base64-encoded PEM`, { field: `${field}-data` });
    return buf;
  }
  if (file) {
    let text: string;
    try { text = readKubeFile(file, file, 2 ** 20); } catch (e) { throw fileError(e, field, what); }
    if (!/-----BEGIN /.test(text)) throw new KubeError('credential-invalid', `${what} (${field} ${file}) is not a PEM file`, { field, path: file });
    return Buffer.from(text);
  }
  return undefined;
}

const EXEC_API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'];

/**
 * Loads the kubeconfig and selects the context. Throws KubeError for every configuration problem.
 * Does not contact the server and does not run exec plugins (see credentials()).
 */
export async function openKube(k: KubernetesTarget, o: OpenOptions = {}): Promise<KubeSession> {
  const env = o.env ?? process.env;
  const { existsSync } = await import('node:fs');
  const candidates = k.kubeconfigFiles?.length ? { files: k.kubeconfigFiles, source: 'kubeconfig files from the target' } : kubeconfigFiles(k, env, o.home, o.cwd);
  const files = candidates.files.filter((f) => existsSync(f));
  if (files.length === 0) {
    const named = candidates.files.join(', ') || k.kubeconfigPath;
    // KUBECONFIG=":" (or only separators) names no file at all: kubectl then has no configuration either
    const empty = !named && candidates.source.includes('KUBECONFIG') ? ` is set to ${JSON.stringify(env['KUBECONFIG'] ?? '')}, which names no file` : '';
    throw new KubeError('no-kubeconfig', `no kubeconfig found (${candidates.source}${empty || `: ${named || '(none)'} does not exist`})`, { path: candidates.files.join(',') });
  }
  let sel: SelectedContext;
  try {
    sel = selectContext(readMergedKubeconfig(files), k.context, 'context');
  } catch (e) {
    if (e instanceof KubeconfigError) throw new KubeError(KIND_OF[e.kind], e.message, { path: files.join(',') });
    const m = (e as Error)?.message ?? String(e);
    throw new KubeError('kubeconfig-invalid', `kubeconfig ${files.join(', ')} cannot be parsed: ${m}`, { path: files.join(',') });
  }
  const { cluster, user } = sel;
  const scrubber = new Scrubber();
  const secret = (s: string | undefined) => { if (s && scrubber.add(s)) { o.onSecret?.(s); } };
  for (const s of credentialSecrets(user)) secret(s);

  const auth = authKind(user);
  const server = cluster.server!;
  const url = new URL(server);
  const isHttps = url.protocol === 'https:';
  const identity: KubeIdentity = {
    files, context: sel.name, cluster: cluster.name, server, user: user.name,
    ...(sel.context.namespace ? { contextNamespace: sel.context.namespace } : {}),
    auth,
    ...(user.authProvider ? { authProvider: user.authProvider.name } : {}),
    ...(user.exec ? { execCommand: user.exec.command, execArgs: user.exec.args.map((a) => scrubber.scrub(a)) } : {}), // (args may carry a credential: --client-secret X)
    ...(user.exec?.installHint ? { execInstallHint: user.exec.installHint } : {}),
    ...(user.tokenFile ? { tokenFile: user.tokenFile } : {}),
    ...(cluster.insecureSkipTlsVerify ? { insecureSkipTlsVerify: true } : {}),
    ...(cluster.tlsServerName ? { tlsServerName: cluster.tlsServerName } : {}),
  };
  const proxy = proxyFor(cluster, url, env);
  // how far the latest tunnel through the proxy got (a timeout then says which hop was silent)
  const proxyProgress: TunnelProgress = {};
  if (proxy) { identity.proxy = proxy.shown; identity.proxySource = proxy.source; }

  const https = await import('node:https');
  const http = await import('node:http');
  const tls = await import('node:tls');
  const ua = o.userAgent ?? 'flyte-doctor';

  // ---- TLS material (read once, lazily: a missing file is config.load's finding, not a crash at open)
  let tlsOpts: import('node:tls').ConnectionOptions | undefined;
  function tlsMaterial(): import('node:tls').ConnectionOptions {
    if (tlsOpts) return tlsOpts;
    const ca = pemFrom(cluster.certificateAuthorityData, cluster.certificateAuthority, 'certificate-authority', `the CA of cluster "${cluster.name}"`);
    const cert = pemFrom(user.clientCertificateData, user.clientCertificate, 'client-certificate', `the client certificate of user "${user.name}"`);
    const key = pemFrom(user.clientKeyData, user.clientKey, 'client-key', `the client key of user "${user.name}"`);
    if (key) secret(key.toString('utf8'));
    if ((cert && !key) || (key && !cert)) throw new KubeError('credential-invalid', `user "${user.name}" has a client ${cert ? 'certificate without a key' : 'key without a certificate'} (client-certificate and client-key go together)`, { field: cert ? 'client-key' : 'client-certificate' });
    const opts: import('node:tls').ConnectionOptions = {
      ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}),
      rejectUnauthorized: !cluster.insecureSkipTlsVerify,
      ...(cluster.tlsServerName ? { servername: cluster.tlsServerName } : {}),
    };
    // one context for every connection of the session (Node would build one per connection from ca/cert/key)
    try { opts.secureContext = tls.createSecureContext(opts); } catch (e) {
      const m = (e as Error).message;
      const which = /key/i.test(m) ? 'client key' : /ca|certificate authority/i.test(m) && ca ? 'CA' : 'client certificate or key';
      throw new KubeError('credential-invalid', `the ${which} in the kubeconfig cannot be used (${(e as NodeJS.ErrnoException).code ?? m.split('\n')[0]})`, { field: which });
    }
    if (cert) {
      try {
        identity.clientCertNotAfter = new Date(new X509Certificate(cert).validTo).toISOString();
      } catch { /* not parsable: the server will say */ }
    }
    tlsOpts = opts;
    return opts;
  }

  let agent: import('node:http').Agent | undefined;
  let execAgent: import('node:http').Agent | undefined;
  const makeAgent = (extra: import('node:tls').ConnectionOptions = {}): import('node:http').Agent => {
    const base = { keepAlive: true, maxSockets: 16 };
    if (!isHttps) {
      if (!proxy) return new http.Agent(base);
      return new http.Agent(base); // plain http through an HTTP proxy: absolute-form requests, see request()
    }
    const base0 = tlsMaterial();
    // an exec plugin's client certificate: a context of its own
    const { secureContext: _shared, ...material } = base0;
    const t = extra.cert || extra.key ? { ...base0, ...extra, secureContext: tls.createSecureContext({ ...material, ...extra }) } : { ...base0, ...extra };
    if (!proxy) return new https.Agent({ ...base, ...t });
    const a = new https.Agent({ ...base, ...t });
    (a as unknown as { createConnection: unknown }).createConnection = (opts: { host?: string; port?: number; servername?: string }, cb: (err: Error | null, s?: import('node:net').Socket) => void) => {
      tunnel(proxy, url.hostname, Number(url.port || 443), t, proxyProgress).then((raw) => {
        const s = tls.connect({ ...t, socket: raw, ...(t.servername ? {} : isIpLiteral(url.hostname) ? {} : { servername: url.hostname }) });
        cb(null, s);
      }, (e: Error) => cb(e));
      return undefined;
    };
    return a;
  };

  // ---- credentials
  let execCred: { token?: string; cert?: string; key?: string; expires?: number } | undefined;
  let fileToken: { value: string; readAt: number } | undefined;

  function readTokenFile(): string | undefined {
    if (!user.tokenFile) return undefined;
    if (fileToken && Date.now() - fileToken.readAt < 60_000) return fileToken.value;
    let text: string;
    try { text = readKubeFile(user.tokenFile, user.tokenFile, 2 ** 20); } catch (e) {
      if (user.token) return user.token; // kubectl falls back to the static token when the file is unreadable
      throw fileError(e, 'tokenFile', `the token file of user "${user.name}"`);
    }
    const tok = text.trim();
    if (!tok) {
      if (user.token) return user.token;
      throw new KubeError('credential-invalid', `the token file of user "${user.name}" (tokenFile ${user.tokenFile}) is empty`, { field: 'tokenFile', path: user.tokenFile });
    }
    secret(tok);
    fileToken = { value: tok, readAt: Date.now() };
    return tok;
  }

  function providerToken(): string | undefined {
    const ap = user.authProvider;
    if (!ap) return undefined;
    const c = ap.config;
    for (const [key, v] of Object.entries(c)) if (AUTH_PROVIDER_SECRET_KEYS.test(key)) secret(v);
    if (ap.name === 'oidc') {
      const tok = c['id-token'];
      if (!tok) throw new KubeError('credential-expired', `user "${user.name}" uses the oidc auth-provider but has no id-token yet (kubectl obtains one with the refresh-token on first use)`, { field: 'auth-provider.config.id-token' });
      const exp = jwtExpiry(tok);
      if (exp !== undefined && exp <= Date.now()) throw new KubeError('credential-expired', `the oidc id-token of user "${user.name}" expired at ${new Date(exp).toISOString()}${c['refresh-token'] ? ' (kubectl would refresh it with the refresh-token; flyte-doctor does not change your kubeconfig)' : ''}`, { field: 'auth-provider.config.id-token' });
      return tok;
    }
    if (ap.name === 'gcp' || ap.name === 'azure') {
      const tok = c['access-token'];
      const expText = c['expiry'] ?? c['expires-on'];
      const exp = expText ? (/^\d+$/.test(expText) ? Number(expText) * 1000 : Date.parse(expText)) : undefined;
      const plugin = ap.name === 'gcp' ? 'gke-gcloud-auth-plugin' : 'kubelogin';
      if (!tok) throw new KubeError('auth-unsupported', `user "${user.name}" uses the ${ap.name} auth-provider without an access-token; kubectl removed that provider in 1.26 (use the ${plugin} exec plugin)`, { field: 'auth-provider' });
      if (exp !== undefined && !Number.isNaN(exp) && exp <= Date.now()) throw new KubeError('credential-expired', `the ${ap.name} access-token of user "${user.name}" expired at ${new Date(exp).toISOString()}; kubectl removed the ${ap.name} auth-provider in 1.26 and cannot refresh it (use the ${plugin} exec plugin)`, { field: 'auth-provider.config.access-token' });
      return tok;
    }
    throw new KubeError('auth-unsupported', `user "${user.name}" uses the auth-provider "${ap.name}", which kubectl does not support (only oidc; gcp and azure were removed in 1.26)`, { field: 'auth-provider.name' });
  }

  /**
   * Go's net/http (kubectl, client-go, Flyte) refuses a header value with a control character
   * ("net/http: invalid header field value for \"Authorization\""), and so does Node: an inline token
   * written as a YAML block scalar (`token: |`) ends with a line break. client-go trims a tokenFile,
   * not an inline token or an exec plugin's status.token.
   */
  function headerSafe(value: string | undefined, field: string, what: string): void {
    const bad = headerUnsafe(value);
    if (!bad) return;
    throw new KubeError('credential-invalid', `${what} ${bad}: kubectl and every client-go program (Go net/http) refuse it as an HTTP header ("invalid header field value for \"${field === 'impersonate' ? 'Impersonate-User' : 'Authorization'}\""), so every request fails before it is sent`, { field, code: 'invalid-header-value' });
  }

  async function credentials(signal: AbortSignal, force = false): Promise<void> {
    if (isHttps) tlsMaterial();
    if (user.tokenFile) readTokenFile();
    if (user.authProvider) headerSafe(providerToken(), `auth-provider.config.${user.authProvider.name === 'oidc' ? 'id-token' : 'access-token'}`, `the ${user.authProvider.name} token of user "${user.name}"`);
    if (user.token && !user.tokenFile && !user.exec && !user.authProvider) headerSafe(user.token, 'token', `the token of user "${user.name}"`);
    if (user.impersonate) headerSafe(user.impersonate, 'impersonate', `the user to impersonate (as) of user "${user.name}"`);
    const exec = user.exec;
    if (!exec) return;
    if (!force && execCred && (execCred.expires === undefined || execCred.expires > Date.now() + 10_000)) return;
    if (!exec.apiVersion || !EXEC_API_VERSIONS.includes(exec.apiVersion)) {
      throw new KubeError('auth-unsupported', `exec plugin \`${exec.command}\` of user "${user.name}" has apiVersion ${exec.apiVersion ? `"${exec.apiVersion}"` : '(none)'}; kubectl accepts ${EXEC_API_VERSIONS.join(' or ')} (v1alpha1 was removed in 1.24)`, { field: 'exec.apiVersion', command: exec.command });
    }
    if (exec.interactiveMode === 'Always') {
      throw new KubeError('auth-unsupported', `exec plugin \`${exec.command}\` of user "${user.name}" has interactiveMode Always: it needs a terminal, which flyte-doctor does not give it`, { field: 'exec.interactiveMode', command: exec.command });
    }
    const cred = await runExecPlugin({ exec, user: user.name, baseEnv: env, signal, cluster, caData: clusterCaBase64(cluster), scrubber, secret });
    headerSafe(cred.token, 'exec.status.token', `the token that exec plugin \`${exec.command}\` of user "${user.name}" printed (status.token)`);
    execCred = cred;
    if (execCred.cert && execCred.key && isHttps) {
      execAgent?.destroy();
      execAgent = makeAgent({ cert: execCred.cert, key: execCred.key });
    }
  }

  function authHeaders(): Record<string, string> {
    const h: Record<string, string> = {};
    let bearer: string | undefined;
    if (execCred?.token) bearer = execCred.token;
    else if (user.authProvider) bearer = providerToken();
    else if (user.tokenFile) bearer = readTokenFile();
    else if (user.token) bearer = user.token;
    if (bearer) h.authorization = `Bearer ${bearer}`;
    else if (user.username !== undefined || user.password !== undefined) h.authorization = `Basic ${Buffer.from(`${user.username ?? ''}:${user.password ?? ''}`).toString('base64')}`;
    if (user.impersonate) h['impersonate-user'] = user.impersonate;
    if (user.impersonateUid) h['impersonate-uid'] = user.impersonateUid;
    for (const [key, vals] of Object.entries(user.impersonateExtra ?? {})) h[`impersonate-extra-${encodeURIComponent(key)}`] = vals.join(',');
    return h;
  }

  const MAX_BODY = 64 * 2 ** 20;

  async function rawRequest(method: 'GET' | 'POST', path: string, signal: AbortSignal, body?: Json, maxBytes = MAX_BODY): Promise<{ status: number; json: unknown; text: string; contentType: string; retryAfter?: string }> {
    await credentials(signal);
    agent ??= makeAgent();
    const headers: Record<string, string | string[]> = { ...authHeaders(), accept: 'application/json', 'user-agent': ua };
    if (user.impersonateGroups?.length) headers['impersonate-group'] = user.impersonateGroups;
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    if (payload) { headers['content-type'] = 'application/json'; headers['content-length'] = String(payload.length); }
    // (joined as a path of the server's origin: a server path starting with "//" is not a host)
    const target = new URL(`${url.origin}${`${url.pathname.replace(/\/$/, '')}${path}`.replace(/^\/{2,}/, '/')}`);
    const lib = isHttps ? https : http;
    const plainViaProxy = !isHttps && proxy && proxy.scheme !== 'socks5:';
    return new Promise((res, rej) => {
      if (signal.aborted) return rej(classifyTransportError(Object.assign(new Error('aborted'), { name: 'AbortError' }), server));
      const reqOpts: import('node:https').RequestOptions = plainViaProxy
        ? { host: proxy!.host, port: proxy!.port, path: target.href, method, headers: { ...headers, host: target.host, ...(proxy!.auth ? { 'proxy-authorization': `Basic ${Buffer.from(proxy!.auth).toString('base64')}` } : {}) }, signal }
        : { method, headers, agent: execAgent ?? agent, signal, ...(isHttps && cluster.tlsServerName ? { servername: cluster.tlsServerName } : {}) };
      if (!isHttps && proxy?.scheme === 'socks5:') {
        (reqOpts as { createConnection?: unknown }).createConnection = (_o: unknown, cb: (e: Error | null, s?: import('node:net').Socket) => void) => { tunnel(proxy, url.hostname, Number(url.port || 80), {}, proxyProgress).then((s) => cb(null, s), (e: Error) => cb(e)); return undefined; };
        delete reqOpts.agent;
      }
      const req = plainViaProxy ? http.request(reqOpts) : lib.request(target, reqOpts);
      // How far a connection got, so a timeout can tell a silent server from a dropped connection
      // (direct connections only: through a proxy the proxy accepts the TCP connection).
      let stage: 'connect' | 'tls' | 'response' = 'connect';
      if (!proxy) {
        req.on('socket', (sock) => {
          if (!sock.connecting) { stage = 'response'; return; }
          sock.once('connect', () => { if (stage === 'connect') stage = isHttps ? 'tls' : 'response'; });
          sock.once('secureConnect', () => { stage = 'response'; });
        });
      }
      let bodyStalled: ((ke: KubeError) => KubeError) | undefined;
      // interim 1xx answers (102 Processing, 103 Early Hints): a server that sends only these never answers
      let interim = 0;
      const transportError = (e: unknown) => {
        const ke = classifyTransportError(e, server);
        if (ke.kind === 'timeout' && bodyStalled) return bodyStalled(ke);
        if (ke.kind === 'timeout' && interim) return new KubeError('timeout', `${method} ${path}: ${server} answered only interim HTTP 1xx (${interim} of them), never a final status`, { ...ke.extra, stage: 'response' });
        if (ke.kind === 'timeout' && proxy && (proxyProgress.stage === 'proxy-connect' || proxyProgress.stage === 'proxy-handshake')) return new KubeError('timeout', ke.message, { ...ke.extra, stage: proxyProgress.stage });
        return ke.kind === 'timeout' && stage !== 'connect' ? new KubeError('timeout', ke.message, { ...ke.extra, stage }) : ke;
      };
      req.on('response', (resp) => {
        const chunks: Buffer[] = [];
        let size = 0;
        resp.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) { req.destroy(); return rej(new KubeError('bad-response', `${method} ${path}: the answer is larger than ${Math.round(maxBytes / 2 ** 20)} MB`, { request: `${method} ${path}` })); }
          chunks.push(c);
        });
        // The status line and headers came: a timeout from here on is a body that stopped, not a server that never answered.
        bodyStalled = (ke: KubeError): KubeError => {
          const length = Number(resp.headers['content-length']);
          const status = resp.statusCode ?? 0;
          const expected = Number.isSafeInteger(length) && length > size ? length : undefined;
          return new KubeError('timeout', `${method} ${path}: ${server} ${stalledText(status, resp.headers, size)}`, { ...ke.extra, stage: 'body', status, received: size, ...(expected !== undefined ? { expected } : {}), request: `${method} ${path}` });
        };
        resp.on('error', (e) => { try { rej(transportError(e)); } catch (x) { rej(x); } });
        resp.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
          const ra = resp.headers['retry-after'];
          res({ status: resp.statusCode ?? 0, json, text, contentType: String(resp.headers['content-type'] ?? ''), ...(typeof ra === 'string' ? { retryAfter: ra } : {}) });
        });
      });
      req.on('information', () => { interim++; });
      // A 101 to a request that asked for no upgrade: Node emits 'upgrade' and never 'response' (the request would wait out its budget).
      req.on('upgrade', (resp, sock) => {
        sock.destroy();
        rej(new KubeError('bad-response', `${method} ${path}: ${server} answered HTTP 101 Switching Protocols${resp.headers.upgrade ? ` (Upgrade: ${String(resp.headers.upgrade).slice(0, 40)})` : ''} to a request that asked for no upgrade`, { status: 101, request: `${method} ${path}` }));
      });
      req.on('error', (e) => { try { rej(transportError(e)); } catch (x) { rej(x); } });
      // A request still waiting for its socket (a proxy tunnel that never opens) emits nothing when
      // aborted: Node destroys it only once a socket comes. Settle on the signal itself (direct
      // connections have their socket at once, and Node's own listener settles them).
      if (proxy) {
        const onAbort = () => {
          try { rej(transportError(Object.assign(new Error('aborted'), { name: 'AbortError' }))); } catch (x) { rej(x); }
          for (const sock of proxyProgress.pending ?? []) sock.destroy();
        };
        signal.addEventListener('abort', onAbort, { once: true });
        req.once('close', () => signal.removeEventListener('abort', onAbort));
      }
      req.end(payload);
    });
  }

  // Several checks of a run GET the same thing at about the same time (the release's Deployment,
  // the Flyte namespaces, /version: ~20 of a verify's ~90 requests): one request per path and size
  // limit per session (one run) answers them all, in flight too. Each caller gets its own parse of
  // the body. A failed request is not kept; a caller whose shared request was aborted by the check
  // that started it (its budget ran out) asks again itself. Nothing a run reads changes because of
  // the run itself (it is read-only), and nothing here polls (each --wait attempt has a new session).
  type Answer = Awaited<ReturnType<typeof rawRequest>>;
  const gets = new Map<string, { answer: Promise<Answer>; signal: AbortSignal }>();
  const KEEP_ANSWER_CHARS = 256 * 1024;
  async function request(method: 'GET' | 'POST', path: string, signal: AbortSignal, body?: Json, maxBytes?: number): Promise<Answer> {
    if (method !== 'GET') return requestOnce(method, path, signal, body, maxBytes);
    const key = `${path} ${maxBytes ?? ''}`;
    const hit = gets.get(key);
    if (hit) {
      try {
        const r = await hit.answer;
        return r.json === undefined ? r : { ...r, json: JSON.parse(r.text) as unknown };
      } catch (e) {
        if (!hit.signal.aborted || signal.aborted) throw e;
      }
    }
    const answer = requestOnce('GET', path, signal, undefined, maxBytes);
    gets.set(key, { answer, signal });
    // (a large answer, such as a page of a cluster's pods, is not kept once it is in: memory stays one page)
    const drop = () => { if (gets.get(key)?.answer === answer) gets.delete(key); };
    answer.then((r) => { if (r.text.length > KEEP_ANSWER_CHARS) drop(); }, drop);
    return answer;
  }

  /** A request with kubectl's retries: after a 401 an exec plugin runs again once; a 429 with a short Retry-After is retried once. */
  async function requestOnce(method: 'GET' | 'POST', path: string, signal: AbortSignal, body?: Json, maxBytes?: number): Promise<Answer> {
    let r = await rawRequest(method, path, signal, body, maxBytes);
    if (r.status === 401 && user.exec && execCred) {
      await credentials(signal, true);
      r = await rawRequest(method, path, signal, body, maxBytes);
    }
    if (r.status === 429) {
      const wait = Number(r.retryAfter ?? '1');
      if (Number.isFinite(wait) && wait <= 1 && !signal.aborted) {
        await new Promise((ok) => setTimeout(ok, Math.max(100, wait * 1000)));
        r = await rawRequest(method, path, signal, body, maxBytes);
      }
    }
    return r;
  }

  function httpError(method: string, path: string, r: { status: number; json: unknown; text: string; contentType: string; retryAfter?: string }): KubeError {
    const st = isObj(r.json) && r.json['kind'] === 'Status' ? r.json : undefined;
    const stMsg = st && typeof st['message'] === 'string' ? st['message'] : undefined;
    const detail = scrubber.scrub((stMsg ?? r.text.slice(0, 300)).replace(/\s+/g, ' ').trim()).slice(0, 400);
    const request = `${method} ${path.split('?')[0]}`;
    const extra: KubeErrorExtra = { status: r.status, request, ...(st && typeof st['reason'] === 'string' ? { reason: st['reason'] } : {}), ...(r.contentType ? { contentType: r.contentType } : {}), ...(r.retryAfter ? { retryAfter: r.retryAfter } : {}) };
    if (r.status === 400 && /HTTP request to an HTTPS server|plain HTTP request was sent to HTTPS port/i.test(r.text)) {
      return new KubeError('tls-expected', `${server} speaks TLS: it answered the plain HTTP request with "${detail.slice(0, 120)}"`, extra);
    }
    // kube-apiserver's own 403 always carries a Status object; a bare one comes from what stands in front (a WAF,
    // an auth gateway), which no RBAC grant fixes: it stays kind 'http' for the front reading (checks/kubernetes/_support.ts frontReading).
    if (r.status === 403 && st) {
      const denied = parseForbidden(stMsg ?? '', st);
      return new KubeError('forbidden', `${request}: HTTP 403${detail ? `: ${detail}` : ''}`, { ...extra, ...denied });
    }
    const kind: KubeErrorKind = r.status === 401 ? 'unauthorized' : r.status === 404 ? 'not-found' : r.status === 429 ? 'throttled' : r.status >= 500 ? 'server-error' : 'http';
    return new KubeError(kind, `${request}: HTTP ${r.status}${detail ? `: ${detail}` : ''}`, { ...extra, ...(st ? {} : { body: detail.slice(0, 120) }) });
  }

  function notJson(method: string, path: string, r: { status: number; text: string; contentType: string }, what: string): KubeError {
    const start = scrubber.scrub(r.text.replace(/\s+/g, ' ').trim()).slice(0, 120);
    const html = /^\s*</.test(r.text) || /html/i.test(r.contentType);
    return new KubeError('bad-response', `${method} ${path.split('?')[0]}: HTTP ${r.status} with ${html ? 'an HTML page' : r.text.trim() ? 'a body' : 'an empty body'}${r.contentType ? ` (${r.contentType.split(';')[0]})` : ''} where ${what} was expected${start && !html ? `: "${start}"` : ''}`, { status: r.status, request: `${method} ${path.split('?')[0]}`, contentType: r.contentType, body: start });
  }

  async function get<T>(path: string, signal: AbortSignal): Promise<T> {
    const r = await request('GET', path, signal);
    if (r.status < 200 || r.status >= 300) throw httpError('GET', path, r);
    // an API server answers a GET with 200; a 201/202/204 (or an empty object) comes from something else
    if (r.status !== 200 || !isObj(r.json)) throw notJson('GET', path, r, r.status !== 200 ? 'HTTP 200 with a JSON object' : 'a JSON object');
    return r.json as T;
  }

  /** The RBAC resource rules of this identity in a namespace; undefined when they cannot be read (then every right is reviewed). */
  async function rulesReview(namespace: string, signal: AbortSignal): Promise<ResourceRule[] | undefined> {
    const path = '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews';
    let r: Awaited<ReturnType<typeof request>>;
    try {
      r = await request('POST', path, signal, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace } });
    } catch (e) {
      if (signal.aborted) throw e;
      return undefined;
    }
    if (r.status < 200 || r.status >= 300 || !isObj(r.json) || !isObj(r.json['status'])) return undefined;
    const rr = r.json['status']['resourceRules'];
    if (!Array.isArray(rr)) return undefined;
    const strs = (v: unknown) => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined);
    const out: ResourceRule[] = [];
    for (const x of rr) {
      if (!isObj(x)) return undefined;
      const verbs = strs(x['verbs']), apiGroups = strs(x['apiGroups'] ?? []), resources = strs(x['resources'] ?? []), resourceNames = strs(x['resourceNames'] ?? []);
      if (!verbs || !apiGroups || !resources || !resourceNames) return undefined;
      out.push({ verbs, apiGroups, resources, resourceNames });
    }
    return out;
  }

  const session: KubeSession = {
    identity,
    credentials: (signal) => credentials(signal),
    get,
    async getOptional<T>(path: string, signal: AbortSignal): Promise<T | undefined> {
      // only the API server's own NotFound says the object does not exist: a Status object, or Go's "404 page
      // not found" for a group version it does not serve; a proxy's 404 page says nothing of it
      try { return await get<T>(path, signal); } catch (e) { if (e instanceof KubeError && e.kind === 'not-found' && (e.extra.body === undefined || /^404 page not found$/.test(e.extra.body.trim()))) return undefined; throw e; }
    },
    async getText(path, signal, maxBytes = 256 * 1024) {
      const r = await request('GET', path, signal, undefined, maxBytes * 4);
      if (r.status < 200 || r.status >= 300) throw httpError('GET', path, r);
      return scrubber.scrub(r.text.slice(-maxBytes));
    },
    async list<T>(path: string, signal: AbortSignal, lo: ListOptions = {}): Promise<T[]> {
      const items: T[] = [];
      await this.forEach<T>(path, signal, (it) => { items.push(it); }, lo);
      return items;
    },
    async forEach<T>(path: string, signal: AbortSignal, visit: ItemVisitor<T>, lo: ListOptions = {}): Promise<number> {
      let n = 0;
      let cont: string | undefined;
      const seen = new Set<string>();
      for (let page = 0; ; page++) {
        const q = new URLSearchParams();
        q.set('limit', String(lo.pageSize ?? 500));
        if (lo.labelSelector) q.set('labelSelector', lo.labelSelector);
        if (lo.fieldSelector) q.set('fieldSelector', lo.fieldSelector);
        if (cont) q.set('continue', cont);
        const r = await request('GET', `${path}?${q}`, signal);
        // 410 Expired in the middle of a paginated list: the continue token outlived etcd's compaction (a slow
        // reader of a big list). The API server's Status carries a token for the remainder (metadata.continue);
        // like kubectl's pager, go on with it once per page instead of failing a healthy server's answer.
        if (r.status === 410 && cont && isObj(r.json) && r.json['kind'] === 'Status' && r.json['reason'] === 'Expired') {
          const md410 = r.json['metadata'];
          const rest = isObj(md410) && typeof md410['continue'] === 'string' && md410['continue'] ? md410['continue'] : undefined;
          if (rest && !seen.has(`410:${rest}`)) { seen.add(`410:${rest}`); cont = rest; continue; }
        }
        if (r.status < 200 || r.status >= 300) throw httpError('GET', path, r);
        if (!isObj(r.json)) throw notJson('GET', path, r, 'a JSON list');
        const items = r.json['items'];
        // `items: null` is how Go encodes an empty list; anything else that is not a list is not an API server's answer.
        if (items !== null && items !== undefined && !Array.isArray(items)) throw new KubeError('bad-response', `GET ${path}: "items" is ${typeName(items)}, not a list`, { status: r.status, request: `GET ${path}` });
        if (items === undefined && !('kind' in r.json) && !('metadata' in r.json)) throw new KubeError('bad-response', `GET ${path}: the answer is a JSON object without "items", not a Kubernetes list`, { status: r.status, request: `GET ${path}` });
        for (const [i, it] of ((items as unknown[] | null) ?? []).entries()) {
          if (!isObj(it) || !isObj(it['metadata']) || typeof it['metadata']['name'] !== 'string') {
            throw new KubeError('bad-response', `GET ${path}: item ${i} is not a Kubernetes object (no metadata.name)`, { status: r.status, request: `GET ${path}` });
          }
          visit(it as T); n++;
          if (lo.maxItems !== undefined && n >= lo.maxItems) return n;
        }
        const md = r.json['metadata'];
        const next = isObj(md) && typeof md['continue'] === 'string' && md['continue'] ? md['continue'] : undefined;
        if (!next) return n;
        if (seen.has(next) || page >= 10_000) throw new KubeError('bad-response', `GET ${path}: the server keeps answering the same continue token (pagination does not end)`, { request: `GET ${path}` });
        seen.add(next);
        cont = next;
      }
    },
    async canI(all, signal) {
      // One review per distinct attribute set, answers mapped back in input order. A
      // SelfSubjectRulesReview per namespace asked about (cluster-scoped rights: a namespace that
      // cannot exist, so only ClusterRoleBindings count) pre-screens them: a right a listed RBAC rule
      // grants is allowed without its own review; every other one (and all of them when the rules
      // cannot be read) is asked with a SelfSubjectAccessReview, so a denial is always the
      // authorizer's own answer, with its reason.
      const keyOf = (a: AccessAttributes) => [a.verb, a.group, a.resource, a.namespace ?? '', a.name ?? '', a.subresource ?? ''].join('|');
      const unique = [...new Map(all.map((a) => [keyOf(a), a])).values()];
      const byKey = new Map<string, AccessDecision>();
      const shape = (a: AccessAttributes) => ({ verb: a.verb, group: a.group, resource: a.resource, ...(a.namespace ? { namespace: a.namespace } : {}), ...(a.name ? { name: a.name } : {}), ...(a.subresource ? { subresource: a.subresource } : {}) });
      if (unique.length > 2) {
        const clusterNs = `flyte-doctor-no-such-namespace-${randomBytes(4).toString('hex')}`;
        const nss = [...new Set(unique.map((a) => a.namespace ?? clusterNs))];
        const rules = new Map<string, ResourceRule[] | undefined>();
        await Promise.all(nss.map(async (ns) => { rules.set(ns, await rulesReview(ns, signal)); }));
        for (const a of unique) {
          const r = rules.get(a.namespace ?? clusterNs);
          if (r && r.some((rule) => ruleAllows(rule, a))) byKey.set(keyOf(a), { ...shape(a), allowed: true, reason: 'allowed by an RBAC rule of this identity (SelfSubjectRulesReview)' });
        }
      }
      const attrs = unique.filter((a) => !byKey.has(keyOf(a)));
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
          if (!isObj(r.json)) throw notJson('POST', path, r, 'a SelfSubjectAccessReview');
          const s = r.json['status'];
          if (!isObj(s) || typeof s['allowed'] !== 'boolean') throw new KubeError('bad-response', `POST ${path}: the answer has no status.allowed, not a SelfSubjectAccessReview`, { status: r.status, request: `POST ${path}` });
          const str = (v: unknown) => (typeof v === 'string' && v ? scrubber.scrub(v) : undefined);
          const reason = str(s['reason']), evaluationError = str(s['evaluationError']);
          out[i] = { verb: a.verb, group: a.group, resource: a.resource, ...(a.namespace ? { namespace: a.namespace } : {}), ...(a.name ? { name: a.name } : {}), ...(a.subresource ? { subresource: a.subresource } : {}), allowed: s['allowed'], ...(s['denied'] === true ? { denied: true } : {}), ...(reason ? { reason } : {}), ...(evaluationError ? { evaluationError } : {}) };
        }
      };
      await Promise.all(Array.from({ length: Math.min(8, attrs.length) }, worker));
      for (const d of out) byKey.set(keyOf(d), d);
      return all.map((a) => ({ ...byKey.get(keyOf(a))! }));
    },
    async postSubjectAccessReview(body, signal) {
      const path = '/apis/authorization.k8s.io/v1/subjectaccessreviews';
      const r = await request('POST', path, signal, body);
      if (r.status < 200 || r.status >= 300) throw httpError('POST', path, r);
      if (!isObj(r.json)) throw notJson('POST', path, r, 'a SubjectAccessReview');
      return r.json;
    },
    async postReview(path, body, signal) {
      if (!/^\/apis\/(authentication|authorization)\.k8s\.io\/[a-z0-9]+\/[a-z]+reviews$/.test(path)) throw new Error(`postReview: ${path} is not a review resource`);
      const r = await request('POST', path, signal, body);
      if (r.status < 200 || r.status >= 300) throw httpError('POST', path, r);
      if (!isObj(r.json)) throw notJson('POST', path, r, 'a review object');
      return r.json;
    },
    scrub: (t) => scrubber.scrub(t),
    close() { agent?.destroy(); execAgent?.destroy(); },
  };
  return session;
}

export function isObj(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);
const isIpLiteral = (h: string) => /^[\d.]+$/.test(h) || h.includes(':');

/** Exp (ms) of a JWT, or undefined. */
function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try { const p = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { exp?: unknown }; return typeof p.exp === 'number' ? p.exp * 1000 : undefined; } catch { return undefined; }
}

function clusterCaBase64(c: KubeCluster): string | undefined {
  if (c.certificateAuthorityData) return c.certificateAuthorityData;
  if (c.certificateAuthority) { try { return Buffer.from(readKubeFile(c.certificateAuthority, c.certificateAuthority, 2 ** 20)).toString('base64'); } catch { return undefined; } }
  return undefined;
}

/** What a 403 Status says was denied: `User "x" cannot list resource "pods" in API group "" in the namespace "flyte"`. */
export function parseForbidden(message: string, st?: Record<string, any>): Pick<KubeErrorExtra, 'verb' | 'resource' | 'group' | 'namespace' | 'name'> {
  const out: Pick<KubeErrorExtra, 'verb' | 'resource' | 'group' | 'namespace' | 'name'> = {};
  const m = /cannot (\S+) resource "([^"]*)" in API group "([^"]*)"(?: in the namespace "([^"]*)")?/.exec(message);
  if (m) {
    out.verb = m[1]!; out.resource = m[2]!; out.group = m[3]!;
    // for the cluster-scoped namespaces resource, the "namespace" the API server names is the object
    if (m[4]) { if (m[2] === 'namespaces' && m[3] === '') out.name = m[4]; else out.namespace = m[4]; }
  }
  const nr = /cannot (\S+) path "([^"]*)"/.exec(message);
  if (nr) { out.verb = nr[1]!; out.resource = nr[2]!; }
  const d = isObj(st?.['details']) ? st!['details'] : undefined;
  if (d && typeof d['name'] === 'string' && d['name']) out.name = d['name'];
  if (!out.resource && d && typeof d['kind'] === 'string') out.resource = d['kind'];
  return out;
}

// ---------------------------------------------------------------------------------------------
// Proxies (proxy-url, HTTPS_PROXY / HTTP_PROXY / NO_PROXY like Go's ProxyFromEnvironment)
// ---------------------------------------------------------------------------------------------

interface Proxy { scheme: 'http:' | 'https:' | 'socks5:'; host: string; port: number; auth?: string; shown: string; source: string }

function proxyFor(cluster: KubeCluster, target: URL, env: NodeJS.ProcessEnv): Proxy | undefined {
  let raw: string | undefined, source: string;
  if (cluster.proxyUrl) { raw = cluster.proxyUrl; source = `proxy-url of cluster "${cluster.name}"`; }
  else {
    const host = target.hostname.replace(/^\[|\]$/g, '');
    if (host === 'localhost' || /^127\./.test(host) || host === '::1') return undefined;
    const noProxy = env['NO_PROXY'] ?? env['no_proxy'] ?? '';
    const port = target.port || (target.protocol === 'https:' ? '443' : '80');
    const h = host.toLowerCase();
    // as Go's httpproxy (kubectl): "*", a CIDR (for an IP-literal host), an IP, a domain (and its subdomains), each with an optional :port
    const matches = (raw: string): boolean => {
      const entry = raw.toLowerCase();
      if (entry === '*') return true;
      if (entry.includes('/')) {
        const [a, b] = entry.split('/');
        const fam = isIP(a ?? '');
        if (!fam || isIP(h) !== fam || !/^\d+$/.test(b ?? '')) return false;
        try { const bl = new BlockList(); bl.addSubnet(a!, Number(b), fam === 6 ? 'ipv6' : 'ipv4'); return bl.check(h, fam === 6 ? 'ipv6' : 'ipv4'); } catch { return false; }
      }
      if (isIP(entry.replace(/^\[|\]$/g, '')) === 6) return h === entry.replace(/^\[|\]$/g, '');
      const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry);
      if (!m || (m[2] && m[2] !== port)) return false;
      const name = m[1]!.replace(/^\[|\]$/g, '').replace(/^\*/, '');
      // (Go: "y.com" matches y.com and its subdomains, ".y.com" its subdomains only)
      return (!name.startsWith('.') && h === name) || h.endsWith(name.startsWith('.') ? name : `.${name}`);
    };
    if (noProxy.split(',').map((s) => s.trim()).filter(Boolean).some(matches)) return undefined;
    const name = target.protocol === 'https:' ? ['HTTPS_PROXY', 'https_proxy'] : ['HTTP_PROXY', 'http_proxy'];
    const key = name.find((n) => env[n]);
    if (!key) return undefined;
    raw = env[key]!; source = `env ${key}`;
  }
  let u: URL;
  try { u = new URL(raw.includes('://') ? raw : `http://${raw}`); } catch { throw new KubeError('kubeconfig-invalid', `${source}: "${raw.replace(/\/\/[^@/]*@/, '//***@')}" is not a proxy URL`, { field: 'proxy-url' }); }
  const scheme = u.protocol === 'socks5h:' ? 'socks5:' : u.protocol;
  if (scheme !== 'http:' && scheme !== 'https:' && scheme !== 'socks5:') throw new KubeError('kubeconfig-invalid', `${source}: proxy scheme ${u.protocol} is not supported (http, https, socks5)`, { field: 'proxy-url' });
  const auth = u.username ? `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}` : undefined;
  return { scheme, host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || (scheme === 'https:' ? 443 : scheme === 'socks5:' ? 1080 : 80)), ...(auth ? { auth } : {}), shown: `${scheme}//${u.host}`, source };
}

interface TunnelProgress {
  stage?: 'proxy-connect' | 'proxy-handshake' | 'tunnel';
  /** Connections to the proxy whose tunnel is not open yet: destroyed when their request is aborted. */
  pending?: Set<import('node:net').Socket>;
}

/** A raw TCP stream to host:port through the proxy (CONNECT for http/https proxies, SOCKS5 CONNECT). */
async function tunnel(p: Proxy, host: string, port: number, _tls: object, progress: TunnelProgress = {}): Promise<import('node:net').Socket> {
  const net = await import('node:net');
  const tls = await import('node:tls');
  const where = `proxy ${p.shown} (${p.source})`;
  if (progress.stage !== 'tunnel') progress.stage = 'proxy-connect';
  const connectTo = (): Promise<import('node:net').Socket> => new Promise((res, rej) => {
    const s: import('node:net').Socket = p.scheme === 'https:' ? tls.connect({ host: p.host, port: p.port, servername: p.host }) : net.connect({ host: p.host, port: p.port });
    (progress.pending ??= new Set()).add(s);
    s.once('close', () => progress.pending?.delete(s));
    s.once(p.scheme === 'https:' ? 'secureConnect' : 'connect', () => res(s));
    // the TCP connection to the proxy is up (for an https proxy, before its TLS handshake)
    s.once('connect', () => { if (progress.stage !== 'tunnel') progress.stage = 'proxy-handshake'; });
    s.once('error', (e) => rej(new KubeError('proxy', `${where} cannot be reached: ${(e as NodeJS.ErrnoException).code ?? e.message}`, { code: (e as NodeJS.ErrnoException).code ?? 'PROXY' })));
  });
  const s = await connectTo();
  if (progress.stage !== 'tunnel') progress.stage = 'proxy-handshake';
  const readSome = (n: number): Promise<Buffer> => new Promise((res, rej) => {
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => { buf = Buffer.concat([buf, d]); if (buf.length >= n) { cleanup(); res(buf); } };
    const onEnd = () => { cleanup(); rej(new KubeError('proxy', `${where} closed the connection`, { code: 'PROXY' })); };
    const cleanup = () => { s.off('data', onData); s.off('end', onEnd); s.off('error', onEnd); };
    s.on('data', onData); s.once('end', onEnd); s.once('error', onEnd);
  });
  if (p.scheme === 'socks5:') {
    s.write(Buffer.from(p.auth ? [5, 2, 0, 2] : [5, 1, 0]));
    const hello = await readSome(2);
    if (hello[0] !== 5 || hello[1] === 0xff) { s.destroy(); throw new KubeError('proxy', `${where} refused every SOCKS5 authentication method`, { code: 'PROXY' }); }
    if (hello[1] === 2) {
      const [u, pw] = (p.auth ?? ':').split(/:(.*)/s) as [string, string];
      s.write(Buffer.concat([Buffer.from([1, Buffer.byteLength(u)]), Buffer.from(u), Buffer.from([Buffer.byteLength(pw ?? '')]), Buffer.from(pw ?? '')]));
      const ok = await readSome(2);
      if (ok[1] !== 0) { s.destroy(); throw new KubeError('proxy', `${where} rejected the SOCKS5 user name and password`, { code: 'PROXY_AUTH' }); }
    }
    const h = Buffer.from(host);
    s.write(Buffer.concat([Buffer.from([5, 1, 0, 3, h.length]), h, Buffer.from([port >> 8, port & 0xff])]));
    const rep = await readSome(2);
    if (rep[1] !== 0) { s.destroy(); throw new KubeError('proxy', `${where} could not connect to ${host}:${port} (SOCKS5 reply ${rep[1]})`, { code: 'PROXY_CONNECT' }); }
    // the rest of the reply (bound address) is consumed as it arrives: wait for the full header
    const full = rep.length >= 5 ? rep : Buffer.concat([rep, await readSome(5 - rep.length)]);
    const need = full[3] === 1 ? 10 : full[3] === 4 ? 22 : 7 + full[4]!;
    if (full.length < need) await readSome(need - full.length);
    progress.stage = 'tunnel';
    progress.pending?.delete(s);
    return s;
  }
  s.write(`CONNECT ${host}:${port} HTTP/1.1\r\nHost: ${host}:${port}\r\n${p.auth ? `Proxy-Authorization: Basic ${Buffer.from(p.auth).toString('base64')}\r\n` : ''}\r\n`);
  let head = Buffer.alloc(0);
  while (!head.includes('\r\n\r\n')) {
    head = Buffer.concat([head, await readSome(1)]);
    if (head.length > 16 * 1024) { s.destroy(); throw new KubeError('proxy', `${where} answered CONNECT with an oversized header`, { code: 'PROXY' }); }
  }
  const status = /^HTTP\/\d\.\d (\d{3})/.exec(head.toString('latin1'));
  if (!status || status[1] !== '200') {
    s.destroy();
    const code = status?.[1] ?? 'no HTTP status';
    throw new KubeError('proxy', `${where} refused CONNECT ${host}:${port} (${code}${code === '407' ? ': proxy authentication required' : ''})`, { code: `PROXY_${code}` });
  }
  const end = head.indexOf('\r\n\r\n') + 4;
  const notTunnel = connectNotTunnel(head.subarray(0, end).toString('latin1'), head.subarray(end));
  if (notTunnel) {
    s.destroy();
    throw new KubeError('proxy', `${where} answered CONNECT ${host}:${port} with 200${notTunnel}`, { code: 'PROXY_NOT_A_PROXY' });
  }
  progress.stage = 'tunnel';
  progress.pending?.delete(s);
  return s;
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

/** How to log in again for the credentials a plugin hands out (for 401 and plugin failures). */
export const EXEC_REFRESH: Record<string, string> = {
  aws: '`aws sso login` (or refresh the profile\'s keys), then `aws eks update-kubeconfig --name <cluster> --region <region>`',
  'aws-iam-authenticator': 'refresh the AWS credentials of the profile, or switch to `aws eks update-kubeconfig --name <cluster>`',
  'gke-gcloud-auth-plugin': '`gcloud auth login`, then `gcloud container clusters get-credentials <cluster> --region <region>`',
  kubelogin: '`az login` (or `kubelogin remove-tokens`), then `az aks get-credentials -n <cluster> -g <group>`',
  'kubectl-oidc_login': '`kubectl oidc-login clean` and log in again',
  doctl: '`doctl auth init`, then `doctl kubernetes cluster kubeconfig save <cluster>`',
};

export const basename = (command: string) => command.split(/[\\/]/).pop() ?? command;

export function execInstallHint(command: string, installHint?: string): string {
  const known = KNOWN_EXEC_PLUGINS[basename(command)];
  const parts = [`the kubeconfig runs \`${command}\` to get credentials; make sure it is on PATH`];
  if (installHint) parts.push(installHint.trim().replace(/\s+/g, ' '));
  else if (known) parts.push(known);
  return parts.join('; ');
}

interface ExecRun {
  exec: KubeExec; user: string; baseEnv: NodeJS.ProcessEnv; signal: AbortSignal; cluster: KubeCluster; caData: string | undefined;
  scrubber: Scrubber; secret: (s: string) => void;
}

async function runExecPlugin(x: ExecRun): Promise<{ token?: string; cert?: string; key?: string; expires?: number }> {
  const { spawn } = await import('node:child_process');
  const shown = x.exec.command;
  const apiVersion = x.exec.apiVersion!;
  const env: NodeJS.ProcessEnv = { ...x.baseEnv };
  for (const e of x.exec.env) env[e.name] = e.value;
  const cluster = x.exec.provideClusterInfo ? {
    server: x.cluster.server, ...(x.cluster.tlsServerName ? { 'tls-server-name': x.cluster.tlsServerName } : {}),
    ...(x.cluster.insecureSkipTlsVerify ? { 'insecure-skip-tls-verify': true } : {}), ...(x.caData ? { 'certificate-authority-data': x.caData } : {}),
    ...(x.cluster.proxyUrl ? { 'proxy-url': x.cluster.proxyUrl } : {}), ...(x.cluster.execExtension !== undefined ? { config: x.cluster.execExtension } : {}),
  } : undefined;
  env.KUBERNETES_EXEC_INFO = JSON.stringify({ apiVersion, kind: 'ExecCredential', spec: { interactive: false, ...(cluster ? { cluster } : {}) } });
  const timeoutErr = () => new KubeError('timeout', `exec plugin \`${shown}\` did not finish before the time was up`, { command: shown });
  return new Promise((res, rej) => {
    let out = '', errText = '';
    let child: import('node:child_process').ChildProcess;
    try {
      // its own process group: what it starts (`sleep &`, a helper) is stopped with it on a timeout, a flood or Ctrl-C
      child = spawn(x.exec.command, x.exec.args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
    } catch (e) {
      return rej(execSpawnError(e, x));
    }
    const cap = 4 * 2 ** 20;
    // An ExecCredential is a few KB. A plugin that floods its output without ending (a wrapper that
    // loops, `yes`) would keep this loop busy until the timeout and say nothing; kubectl reads on
    // until it runs out of memory. Past the cap it is stopped and said as such.
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      if (out.length < cap) out += d;
      if (out.length >= cap && !settled) flooded('stdout');
    });
    // A plugin flooding stderr (a loop printing an error) would run until the timeout, read as "may be
    // waiting for an interactive login": past the cap it is stopped and said as such too.
    let errBytes = 0;
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      if (errText.length < 64 * 1024) errText += d;
      errBytes += d.length;
      if (errBytes >= cap && !settled) flooded('stderr');
    });
    child.on('error', (e) => rej(execSpawnError(e, x)));
    const killGroup = () => {
      try { if (process.platform !== 'win32' && child.pid) process.kill(-child.pid, 'SIGKILL'); else child.kill('SIGKILL'); } catch { try { child.kill('SIGKILL'); } catch { /* already gone */ } }
    };
    // A process the plugin started (`daemon &`) can keep its stdout open after the plugin exits:
    // 'close' then never comes, not even on abort, and kubectl (client-go waits for EOF) hangs. So
    // once the plugin has exited, its output gets a short grace to end, then the pipes are let go.
    let settled = false;
    let heldOpen: NodeJS.Timeout | undefined;
    child.on('exit', (code, sig) => {
      heldOpen = setTimeout(() => {
        child.stdout!.destroy(); child.stderr!.destroy();
        done(code, sig, true);
      }, EXEC_OUTPUT_GRACE_MS);
    });
    const flooded = (stream: 'stdout' | 'stderr') => {
      settled = true;
      clearTimeout(heldOpen);
      x.signal.removeEventListener('abort', onAbort);
      child.stdout!.destroy(); child.stderr!.destroy();
      killGroup();
      // masked before it is cut: a token cut at 48 characters is below the length maskTokenish masks
      const start = maskTokenish(x.scrubber.scrub((stream === 'stdout' ? out : errText).slice(0, 4096))).replace(/\s+/g, ' ').slice(0, 48);
      rej(new KubeError('exec-bad-output', stream === 'stdout'
        ? `exec plugin \`${shown}\` printed more than ${cap / 2 ** 20} MiB on stdout without ending (it begins ${JSON.stringify(start)}): an ExecCredential is a few KB, and kubectl would read on until it runs out of memory`
        : `exec plugin \`${shown}\` printed more than ${cap / 2 ** 20} MiB on stderr without ending (it begins ${JSON.stringify(start)}): it loops on an error instead of printing an ExecCredential; run it by hand to see why`, { command: shown }));
    };
    const onAbort = () => { killGroup(); if (!settled) { settled = true; clearTimeout(heldOpen); child.stdout!.destroy(); child.stderr!.destroy(); rej(timeoutErr()); } };
    if (x.signal.aborted) onAbort();
    x.signal.addEventListener('abort', onAbort, { once: true });
    child.on('close', (code, sig) => done(code, sig, false));
    const done = (code: number | null, sig: NodeJS.Signals | null, held: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(heldOpen);
      x.signal.removeEventListener('abort', onAbort);
      if (x.signal.aborted) return rej(timeoutErr());
      const quoted = () => maskTokenish(x.scrubber.scrub(errText.trim().split('\n').slice(-5).join(' | '))).slice(0, 500);
      // Register whatever credential it printed before any message is built.
      const register = (c: unknown) => { if (isObj(c) && isObj(c['status'])) for (const k of ['token', 'clientKeyData']) { const v = c['status'][k]; if (typeof v === 'string') x.secret(v); } };
      if (held) {
        killGroup(); // what holds the output open would outlive the run
        try { register(JSON.parse(out)); } catch { /* not JSON */ }
        const stderr = quoted();
        return rej(new KubeError('exec-held-open', `exec plugin \`${shown}\` exited with ${code ?? sig}, but a process it started still holds its standard output open ${EXEC_OUTPUT_GRACE_MS} ms later: kubectl waits for that output to end and hangs${out.trim() ? ` (${out.length} bytes printed so far)` : ''}`, { command: shown, ...(stderr ? { stderr } : {}) }));
      }
      if (code !== 0) {
        const stderr = quoted();
        return rej(new KubeError('exec-failed', `exec plugin \`${shown}${x.exec.args.length ? ` ${x.scrubber.scrub(x.exec.args.join(' '))}` : ''}\` exited with ${code ?? sig}${stderr ? `: ${stderr}` : ''}`, { command: shown, ...(stderr ? { stderr } : {}) }));
      }
      const badOut = (why: string) => rej(new KubeError('exec-bad-output', `exec plugin \`${shown}\` printed ${why}`, { command: shown, ...(errText.trim() ? { stderr: quoted() } : {}) }));
      let cred: unknown;
      try { cred = JSON.parse(out); } catch { return badOut(`no ExecCredential JSON on stdout (${out.length} bytes${out.trim() ? ', not JSON' : ''})`); }
      if (!isObj(cred)) return badOut('JSON that is not an ExecCredential object');
      const st = cred['status'];
      register(cred);
      if (cred['kind'] !== 'ExecCredential') return badOut(`an object of kind ${JSON.stringify(cred['kind'] ?? null)}, not ExecCredential`);
      if (cred['apiVersion'] !== apiVersion) return badOut(`apiVersion ${JSON.stringify(cred['apiVersion'] ?? null)}, but the kubeconfig asks for ${apiVersion}`);
      if (!isObj(st)) return badOut('an ExecCredential without status');
      const s = st as { token?: unknown; clientCertificateData?: unknown; clientKeyData?: unknown; expirationTimestamp?: unknown };
      const token = typeof s.token === 'string' && s.token ? s.token : undefined;
      const cert = typeof s.clientCertificateData === 'string' && s.clientCertificateData ? s.clientCertificateData : undefined;
      const key = typeof s.clientKeyData === 'string' && s.clientKeyData ? s.clientKeyData : undefined;
      if (!token && !(cert && key)) return badOut(`an ExecCredential with ${cert || key ? `only ${cert ? 'clientCertificateData' : 'clientKeyData'}` : 'no token and no client certificate'}`);
      let expires: number | undefined;
      if (s.expirationTimestamp !== undefined && s.expirationTimestamp !== null) {
        expires = typeof s.expirationTimestamp === 'string' ? Date.parse(s.expirationTimestamp) : NaN;
        if (Number.isNaN(expires)) return badOut(`an expirationTimestamp that is not a timestamp (${JSON.stringify(s.expirationTimestamp).slice(0, 40)})`);
        if (expires <= Date.now()) return badOut(`a credential that already expired at ${new Date(expires).toISOString()}`);
      }
      res({ ...(token ? { token } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}), ...(expires !== undefined ? { expires } : {}) });
    };
  });
}

/** How long an exec plugin's output may stay open after the plugin exited (see runExecPlugin). */
export const EXEC_OUTPUT_GRACE_MS = 500;

/**
 * A plugin's stderr may print credentials the session never learns (the token it failed to
 * refresh): mask the word after token/secret/password/key, and long mixed letter-digit words.
 */
export function maskTokenish(text: string): string {
  return text
    .replace(/\b(token|secret|password|passwd|apikey|api[-_]key|key|credentials?|bearer|authorization)(\s*[:=]\s*)(["']?)([^\s"',;|]{3,})/gi, '$1$2$3***')
    .replace(/\b(token|secret|password|passwd|apikey|api[-_]key|key|credentials?|bearer)(\s+)(["']?)([^\s"',;|]{8,})/gi, (m, a: string, b: string, c: string, w: string) => (/\d/.test(w) ? `${a}${b}${c}***` : m))
    .replace(/[A-Za-z0-9._~+/=-]{20,}/g, (w) => (/[0-9]/.test(w) && /[A-Za-z]/.test(w) && !/^[a-z]+(?:[._/-][a-z]+)*$/.test(w) ? '***' : w));
}

function execSpawnError(e: unknown, x: ExecRun): KubeError {
  const err = e as NodeJS.ErrnoException;
  const shown = x.exec.command;
  if (err.name === 'AbortError') return new KubeError('timeout', `exec plugin \`${shown}\` did not finish before the time was up`, { command: shown });
  if (err.code === 'ENOENT') return new KubeError('exec-not-found', `exec credential plugin \`${shown}\` was not found${shown.includes('/') ? '' : ' on PATH'}`, { command: shown, code: 'ENOENT', ...(x.exec.installHint ? { installHint: x.exec.installHint } : {}) });
  if (err.code === 'EACCES') return new KubeError('exec-not-found', `exec credential plugin \`${shown}\` is not executable (EACCES)`, { command: shown, code: 'EACCES' });
  return new KubeError('exec-failed', `exec credential plugin \`${shown}\` could not be started: ${x.scrubber.scrub(err.message)}`, { command: shown, ...(err.code ? { code: err.code } : {}) });
}

// ---------------------------------------------------------------------------------------------
// Per-run session through the engine's shared(): one session + agent per run.
// ---------------------------------------------------------------------------------------------

interface SessionCtx {
  readonly target: { kubernetes: KubernetesTarget };
  readonly runId: string;
  shared<T>(key: string, make: (runSignal: AbortSignal) => Promise<T>, close?: (value: T) => Promise<void> | void): Promise<T>;
  addSecret?(value: string | undefined): void;
}

/** The run's Kubernetes session (memoized by kubeconfig+context). Throws KubeError for config problems. */
export function kubeSession(ctx: SessionCtx): Promise<KubeSession> {
  const k = ctx.target.kubernetes;
  return ctx.shared(`kube:${k.kubeconfigFiles?.join(',') ?? k.kubeconfigPath ?? ''}:${k.context ?? ''}`,
    () => openKube(k, { userAgent: `flyte-doctor (run ${ctx.runId})`, ...(ctx.addSecret ? { onSecret: (s: string) => ctx.addSecret!(s) } : {}) }), (s) => s.close());
}

/** A signal that fires `ms` before `signal` would (or at `ms` from now), so a check can report its own timeout. */
export function probeSignal(signal: AbortSignal, ms: number): AbortSignal {
  return withTimeout(signal, Math.max(50, ms));
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
  if (typeof q !== 'string') throw new Error(`not a Kubernetes quantity: ${JSON.stringify(q)}`);
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|K|M|G|T|P|E)?$/.exec(q.trim());
  if (!m) throw new Error(`not a Kubernetes quantity: "${q}"`);
  const n = Number(m[1]);
  const suf = m[2] ?? '';
  return n * (BIN[suf] ?? DEC[suf] ?? 1);
}

/** parseQuantity that reads an unparsable value as 0 (for answers from a server that may be odd). */
export function quantityOr0(q: unknown): number {
  try { const n = parseQuantity(q as string); return Number.isFinite(n) ? n : 0; } catch { return 0; }
}

export function formatCpu(cores: number): string {
  return cores < 1 ? `${Math.round(cores * 1000)}m` : `${Number(cores.toFixed(2))}`;
}

export function formatMem(bytes: number): string {
  const gi = bytes / 2 ** 30;
  return gi >= 1 ? `${Number(gi.toFixed(2))}Gi` : `${Math.round(bytes / 2 ** 20)}Mi`;
}

/** A LabelSelector object as a selector string (matchLabels + matchExpressions); tolerant of odd shapes. */
export function selectorString(sel: unknown): string {
  if (!isObj(sel)) return '';
  const parts = isObj(sel['matchLabels']) ? Object.entries(sel['matchLabels']).filter(([, v]) => typeof v === 'string').map(([k, v]) => `${k}=${v as string}`) : [];
  for (const e of Array.isArray(sel['matchExpressions']) ? sel['matchExpressions'] : []) {
    if (!isObj(e) || typeof e['key'] !== 'string') continue;
    const values = Array.isArray(e['values']) ? e['values'].filter((v): v is string => typeof v === 'string') : [];
    if (e['operator'] === 'In') parts.push(`${e['key']} in (${values.join(',')})`);
    else if (e['operator'] === 'NotIn') parts.push(`${e['key']} notin (${values.join(',')})`);
    else if (e['operator'] === 'Exists') parts.push(e['key']);
    else if (e['operator'] === 'DoesNotExist') parts.push(`!${e['key']}`);
  }
  return parts.join(',');
}

/** `kubectl` prefix with --kubeconfig (or KUBECONFIG=a:b for a merged list) and --context when the target names them, for hints. */
export function kubectl(k: Pick<KubernetesTarget, 'kubeconfigPath' | 'kubeconfigFiles' | 'context'>, ns?: string): string {
  const files = k.kubeconfigFiles && k.kubeconfigFiles.length > 1 ? k.kubeconfigFiles : undefined;
  const multi = files ?? (k.kubeconfigPath && k.kubeconfigPath.includes(':') && kubeconfigFileList(k.kubeconfigPath).length > 1 ? kubeconfigFileList(k.kubeconfigPath) : undefined);
  return [multi ? `KUBECONFIG=${multi.join(':')} kubectl` : 'kubectl', !multi && k.kubeconfigPath ? `--kubeconfig ${k.kubeconfigPath}` : '', k.context ? `--context ${k.context}` : '', ns ? `-n ${ns}` : ''].filter(Boolean).join(' ');
}
