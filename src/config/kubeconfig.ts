// The one kubeconfig module: which files apply, how they merge, which context is selected, and
// which of its values are credentials. kubectl's rules (client-go clientcmd):
//   - `--kubeconfig FILE` alone (it must exist); else `$KUBECONFIG`, a path list (`:`), in order,
//     missing files skipped, duplicates dropped; else `~/.kube/config` when it exists.
//   - the first file that sets `current-context` wins; for clusters, users and contexts the first
//     definition of a name wins (later files only add names);
//   - relative paths (certificate-authority, client-certificate, client-key, tokenFile, and an exec
//     command that contains a `/`) resolve against the directory of the file that defined them.
// Used by the loader (src/config/load.ts: bad input exits 2 with one line) and by the Kubernetes
// client at run time (src/clients/kube.ts: the same merge, so both always agree). No network, no
// @kubernetes/client-node.
import { existsSync, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import type { Provenance } from './target.js';
import { INPUT_LIMIT, missingReason, readInputFile } from './read.js';
import { detectChart, isDict, parseYaml } from './values.js';
import { flytectlReason } from './input-kind.js';
import type { Dict } from './values.js';
import { flagSecrets } from './secret.js';
import { surroundingWhitespace } from './hygiene.js';
import { schemeTwice } from './host-values.js';
import { closeNames } from '../distance.js';

// ---------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------

export interface KubeCluster {
  name: string;
  /** File that defined it (absolute). */
  origin: string;
  server?: string;
  /** Absolute path. */
  certificateAuthority?: string;
  /** Base64 PEM, as in the file. */
  certificateAuthorityData?: string;
  insecureSkipTlsVerify?: boolean;
  tlsServerName?: string;
  proxyUrl?: string;
  /** `extensions` entry `client.authentication.k8s.io/exec` (handed to exec plugins with provideClusterInfo). */
  execExtension?: unknown;
  /** Misspelled keys kubectl ignores silently (see misspelledKeys). */
  misspelled?: Misspelled[];
}

/** A key kubectl does not read, close to one it does: `at` is its path in the file, `meant` the key it is close to. */
export interface Misspelled { at: string; key: string; meant: string }

export interface KubeExec {
  command: string;
  args: string[];
  env: { name: string; value: string }[];
  apiVersion?: string;
  installHint?: string;
  provideClusterInfo: boolean;
  interactiveMode?: string;
}

export interface KubeUser {
  name: string;
  origin: string;
  token?: string;
  /** Absolute path. */
  tokenFile?: string;
  username?: string;
  password?: string;
  /** Absolute path. */
  clientCertificate?: string;
  clientCertificateData?: string;
  /** Absolute path. */
  clientKey?: string;
  clientKeyData?: string;
  exec?: KubeExec;
  authProvider?: { name: string; config: Record<string, string> };
  impersonate?: string;
  impersonateUid?: string;
  impersonateGroups?: string[];
  impersonateExtra?: Record<string, string[]>;
  /** Misspelled keys kubectl ignores silently (see misspelledKeys). */
  misspelled?: Misspelled[];
}

export interface KubeContextEntry { name: string; origin: string; cluster: string; user: string; namespace?: string; misspelled?: Misspelled[] }

export interface MergedKubeconfig {
  /** Files merged, in order (absolute). */
  files: string[];
  clusters: Map<string, KubeCluster>;
  users: Map<string, KubeUser>;
  contexts: Map<string, KubeContextEntry>;
  currentContext?: string;
  /** File whose current-context won. */
  currentContextFile?: string;
}

/** A kubeconfig problem: the file (or flag), the key and what was expected. */
export class KubeconfigError extends Error {
  override readonly name = 'KubeconfigError';
  constructor(readonly where: string, readonly key: string, readonly expectation: string, readonly kind: 'file' | 'invalid' | 'context-missing' | 'no-context' | 'cluster-missing' | 'user-missing' | 'no-server' = 'invalid') {
    super(`${where}${key ? `: ${key}` : ''}: ${expectation}`);
  }
}

/**
 * A kubeconfig is YAML, read as client-go reads it (go-yaml: UTF-16 with a byte-order mark decoded,
 * bytes that are not UTF-8 refused), the same by the loader and by every check that reads it again.
 */
const KUBECONFIG_READ = { yaml: true, readers: 'kubectl' } as const;

/** Largest kubeconfig or credential file read (a kubeconfig with many embedded certificates is ~1 MB). */
/** A kubeconfig or a credential file it names: the input cap (real ones are a few KiB; parsing 2 MiB of YAML takes ~170 MB). */
export const KUBE_FILE_CAP = INPUT_LIMIT;

/**
 * Reads a regular file up to the cap (never a FIFO, a device or a directory; opened non-blocking,
 * so a path swapped for a FIFO cannot hang). Throws KubeconfigError(kind 'file').
 */
export function readKubeFile(path: string, label = path, cap = KUBE_FILE_CAP, o: { yaml?: boolean } = {}): string {
  try {
    return readInputFile(label, path, '/', { limit: cap, what: 'a kubeconfig or credential file', ...(o.yaml ? KUBECONFIG_READ : {}) });
  } catch (e) {
    if (e instanceof UserError) throw new KubeconfigError(label, '', e.message.startsWith(`${label}: `) ? e.message.slice(label.length + 2) : e.message, 'file');
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing one file (types checked like client-go's strict decode of the known fields)
// ---------------------------------------------------------------------------------------------

const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a map' : typeof v === 'number' ? 'a number' : typeof v === 'boolean' ? 'a boolean' : typeof v === 'string' ? 'a string' : typeof v);

interface Reader { file: string; at: string }
/** Type error naming the key and the type found (never the value: it may be a credential). */
const bad = (r: Reader, key: string, want: string, got: unknown): never => { throw new KubeconfigError(r.file, `${r.at}${key ? `.${key}` : ''}`, `expected ${want}, got ${typeName(got)}`); };
function optStr(r: Reader, d: Dict, key: string): string | undefined {
  const v = d[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  return bad(r, key, 'a string', v);
}
function optBool(r: Reader, d: Dict, key: string): boolean | undefined {
  const v = d[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  return bad(r, key, 'true or false', v);
}
function optStrList(r: Reader, d: Dict, key: string): string[] | undefined {
  const v = d[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) return bad(r, key, 'a list of strings', v);
  return v.map((x, i) => (typeof x === 'string' ? x : bad(r, `${key}[${i}]`, 'a string', x)));
}
function optMap(r: Reader, d: Dict, key: string): Dict | undefined {
  const v = d[key];
  if (v === undefined || v === null) return undefined;
  if (isDict(v)) return v;
  return bad(r, key, 'a map', v);
}

// The fields client-go's clientcmd v1 types read (it decodes case-sensitively and ignores any other key).
const CLUSTER_KEYS = ['server', 'tls-server-name', 'insecure-skip-tls-verify', 'certificate-authority', 'certificate-authority-data', 'proxy-url', 'disable-compression', 'extensions'];
const USER_KEYS = ['client-certificate', 'client-certificate-data', 'client-key', 'client-key-data', 'token', 'tokenFile', 'as', 'as-uid', 'as-groups', 'as-user-extra', 'username', 'password', 'auth-provider', 'exec', 'extensions'];
const CONTEXT_KEYS = ['cluster', 'user', 'namespace', 'extensions'];
const EXEC_KEYS = ['command', 'args', 'env', 'apiVersion', 'installHint', 'provideClusterInfo', 'interactiveMode'];

/**
 * Keys of `body` kubectl does not read that are a case variant or a near miss of one it does and
 * that is not set beside them (`tokenfile`, `Token`, `certificate-authority_data`): kubectl ignores
 * them silently, so the setting meant is not used at all.
 */
function misspelledKeys(body: Dict, known: readonly string[], at: string): Misspelled[] {
  const out: Misspelled[] = [];
  for (const k of Object.keys(body)) {
    if (known.includes(k)) continue;
    const meant = known.find((x) => x.toLowerCase() === k.toLowerCase() || x.replace(/[-_]/g, '').toLowerCase() === k.replace(/[-_]/g, '').toLowerCase())
      ?? (k.length >= 3 ? closeNames(k, known.filter((x) => x.length >= 4), 1)[0] : undefined);
    if (meant && !(meant in body)) out.push({ at: `${at}.${k}`, key: k, meant });
  }
  return out;
}

const abs = (base: string, p: string | undefined): string | undefined => (p === undefined || p === '' ? undefined : isAbsolute(p) ? p : resolve(base, p));

interface ParsedFile { file: string; clusters: KubeCluster[]; users: KubeUser[]; contexts: KubeContextEntry[]; currentContext?: string }

function namedList(file: string, data: Dict, key: 'clusters' | 'users' | 'contexts', inner: 'cluster' | 'user' | 'context'): { name: string; body: Dict; at: string; misspelled: Misspelled[] }[] {
  const v = data[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new KubeconfigError(file, key, `expected a list of {name, ${inner}}, got ${typeName(v)}`);
  return v.map((e, i) => {
    const at = `${key}[${i}]`;
    if (!isDict(e)) throw new KubeconfigError(file, at, `expected a map with name and ${inner}, got ${typeName(e)}`);
    if (typeof e['name'] !== 'string' || !e['name']) throw new KubeconfigError(file, `${at}.name`, `expected a non-empty string, got ${typeName(e['name'])}`);
    const body = e[inner];
    if (body !== undefined && body !== null && !isDict(body)) throw new KubeconfigError(file, `${at}.${inner}`, `expected a map, got ${typeName(body)}`);
    return { name: e['name'], body: (body as Dict | undefined) ?? {}, at: `${at}.${inner}`, misspelled: misspelledKeys(e, ['name', inner], at) };
  });
}

/** Parses one kubeconfig file's text (`file` absolute). Throws KubeconfigError on wrong types; YAML errors come as UserError from parseYaml. */
export function parseKubeconfig(file: string, text: string, label = file): ParsedFile {
  const data = parseYaml(label, text);
  const out: ParsedFile = { file, clusters: [], users: [], contexts: [] };
  if (data === null || data === undefined) return out;
  if (!isDict(data)) throw new KubeconfigError(label, '', `expected a kubeconfig map (apiVersion, clusters, contexts, users, current-context), got ${typeName(data)}`);
  if (!['apiVersion', 'kind', 'clusters', 'contexts', 'users', 'current-context'].some((k) => k in data)) {
    // another input passed as the kubeconfig: read as one it would hold no context
    const fc = flytectlReason(data);
    if (fc) throw new UserError(`${label}: this is a flytectl config (${fc}), not a kubeconfig (clusters, contexts, users): pass it with --flytectl-config`);
    const chart = detectChart(data);
    if (chart) throw new UserError(`${label}: this looks like Helm values (${chart.reason}), not a kubeconfig (clusters, contexts, users): pass it with --values`);
  }
  const base = dirname(file);
  const cc = data['current-context'];
  if (cc !== undefined && cc !== null && typeof cc !== 'string') throw new KubeconfigError(label, 'current-context', `expected a string, got ${typeName(cc)}`);
  if (cc) out.currentContext = cc;
  for (const { name, body, at, misspelled } of namedList(label, data, 'clusters', 'cluster')) {
    const r = { file: label, at };
    const c: KubeCluster = { name, origin: file };
    const cm = [...misspelled, ...misspelledKeys(body, CLUSTER_KEYS, at)]; if (cm.length) c.misspelled = cm;
    const server = optStr(r, body, 'server'); if (server !== undefined) c.server = server;
    const ca = abs(base, optStr(r, body, 'certificate-authority')); if (ca) c.certificateAuthority = ca;
    const cad = optStr(r, body, 'certificate-authority-data'); if (cad) c.certificateAuthorityData = cad;
    const sk = optBool(r, body, 'insecure-skip-tls-verify'); if (sk !== undefined) c.insecureSkipTlsVerify = sk;
    const sn = optStr(r, body, 'tls-server-name'); if (sn) c.tlsServerName = sn;
    const px = optStr(r, body, 'proxy-url'); if (px) c.proxyUrl = px;
    const ext = body['extensions'];
    if (Array.isArray(ext)) { const e = ext.find((x) => isDict(x) && x['name'] === 'client.authentication.k8s.io/exec'); if (isDict(e)) c.execExtension = e['extension']; }
    out.clusters.push(c);
  }
  for (const { name, body, at, misspelled } of namedList(label, data, 'users', 'user')) {
    const r = { file: label, at };
    const u: KubeUser = { name, origin: file };
    const um = [...misspelled, ...misspelledKeys(body, USER_KEYS, at)];
    const s = (k: string) => optStr(r, body, k);
    const token = s('token'); if (token) u.token = token;
    const tf = abs(base, s('tokenFile')); if (tf) u.tokenFile = tf;
    const un = s('username'); if (un) u.username = un;
    const pw = s('password'); if (pw) u.password = pw;
    const cc2 = abs(base, s('client-certificate')); if (cc2) u.clientCertificate = cc2;
    const ccd = s('client-certificate-data'); if (ccd) u.clientCertificateData = ccd;
    const ck = abs(base, s('client-key')); if (ck) u.clientKey = ck;
    const ckd = s('client-key-data'); if (ckd) u.clientKeyData = ckd;
    const as = s('as'); if (as) u.impersonate = as;
    const asUid = s('as-uid'); if (asUid) u.impersonateUid = asUid;
    const asGroups = optStrList(r, body, 'as-groups'); if (asGroups?.length) u.impersonateGroups = asGroups;
    const extra = optMap(r, body, 'as-user-extra');
    if (extra) {
      u.impersonateExtra = {};
      for (const [k, v] of Object.entries(extra)) u.impersonateExtra[k] = Array.isArray(v) ? v.map((x, i) => (typeof x === 'string' ? x : bad(r, `as-user-extra.${k}[${i}]`, 'a string', x))) : bad(r, `as-user-extra.${k}`, 'a list of strings', v);
    }
    const ap = optMap(r, body, 'auth-provider');
    if (ap) {
      const ar = { file: label, at: `${at}.auth-provider` };
      const apName = optStr(ar, ap, 'name');
      if (!apName) throw new KubeconfigError(label, `${at}.auth-provider.name`, 'expected the provider name (oidc, gcp, azure)');
      const config: Record<string, string> = {};
      for (const [k, v] of Object.entries(optMap(ar, ap, 'config') ?? {})) {
        if (v === null || v === undefined) continue;
        if (typeof v !== 'string') bad(ar, `config.${k}`, 'a string', v);
        config[k] = v as string;
      }
      u.authProvider = { name: apName, config };
    }
    const ex = optMap(r, body, 'exec');
    if (ex) {
      const er = { file: label, at: `${at}.exec` };
      const command = optStr(er, ex, 'command');
      if (!command) throw new KubeconfigError(label, `${at}.exec.command`, 'expected the credential plugin command (e.g. aws, gke-gcloud-auth-plugin, kubelogin)');
      const envRaw = ex['env'];
      if (envRaw !== undefined && envRaw !== null && !Array.isArray(envRaw)) bad(er, 'env', 'a list of {name, value}', envRaw);
      const env = ((envRaw as unknown[] | null | undefined) ?? []).map((e, i) => {
        if (!isDict(e) || typeof e['name'] !== 'string') return bad(er, `env[${i}]`, 'a map with name and value', e);
        const v = e['value'];
        if (v !== undefined && v !== null && typeof v !== 'string') return bad(er, `env[${i}].value`, 'a string', v);
        return { name: e['name'], value: (v as string | undefined) ?? '' };
      });
      const exec: KubeExec = {
        // kubectl resolves the command against the kubeconfig only when it names a path (contains a /).
        command: command.includes('/') && !isAbsolute(command) ? resolve(base, command) : command,
        args: optStrList(er, ex, 'args') ?? [], env,
        provideClusterInfo: optBool(er, ex, 'provideClusterInfo') ?? false,
      };
      const apiVersion = optStr(er, ex, 'apiVersion'); if (apiVersion) exec.apiVersion = apiVersion;
      const hint = optStr(er, ex, 'installHint'); if (hint) exec.installHint = hint;
      const im = optStr(er, ex, 'interactiveMode'); if (im) exec.interactiveMode = im;
      u.exec = exec;
      um.push(...misspelledKeys(ex, EXEC_KEYS, `${at}.exec`));
    }
    if (um.length) u.misspelled = um;
    out.users.push(u);
  }
  for (const { name, body, at, misspelled } of namedList(label, data, 'contexts', 'context')) {
    const r = { file: label, at };
    const c: KubeContextEntry = { name, origin: file, cluster: optStr(r, body, 'cluster') ?? '', user: optStr(r, body, 'user') ?? '' };
    const xm = [...misspelled, ...misspelledKeys(body, CONTEXT_KEYS, at)]; if (xm.length) c.misspelled = xm;
    const ns = optStr(r, body, 'namespace'); if (ns) c.namespace = ns;
    out.contexts.push(c);
  }
  return out;
}

/** kubectl's merge: first current-context wins; the first definition of a name wins. */
export function mergeKubeconfigs(parsed: readonly ParsedFile[]): MergedKubeconfig {
  const m: MergedKubeconfig = { files: parsed.map((p) => p.file), clusters: new Map(), users: new Map(), contexts: new Map() };
  for (const p of parsed) {
    if (p.currentContext && m.currentContext === undefined) { m.currentContext = p.currentContext; m.currentContextFile = p.file; }
    for (const c of p.clusters) if (!m.clusters.has(c.name)) m.clusters.set(c.name, c);
    for (const u of p.users) if (!m.users.has(u.name)) m.users.set(u.name, u);
    for (const c of p.contexts) if (!m.contexts.has(c.name)) m.contexts.set(c.name, c);
  }
  return m;
}

/** Reads and merges `files` (absolute, existing). Throws KubeconfigError / UserError (YAML). */
export function readMergedKubeconfig(files: readonly string[]): MergedKubeconfig {
  return mergeKubeconfigs(files.map((f) => parseKubeconfig(f, readKubeFile(f, f, KUBE_FILE_CAP, { yaml: true }))));
}

// ---------------------------------------------------------------------------------------------
// Selection
// ---------------------------------------------------------------------------------------------

export interface SelectedContext {
  name: string;
  /** Where the name came from: '--context' or '<file>: current-context'. */
  source: string;
  context: KubeContextEntry;
  cluster: KubeCluster;
  /** The user entry; an empty one (anonymous) when the context names no user. */
  user: KubeUser;
}

const shownFiles = (m: MergedKubeconfig) => m.files.join(', ') || '(no kubeconfig file)';

/**
 * A name that references no entry, quoted (a line break from a YAML block scalar stays visible, not
 * turned into "; " on the one-line error), with its surrounding whitespace named and the entry meant
 * when the name without it is defined.
 */
function refName(name: string, defined: Iterable<string>): string {
  const ws = whitespaceNote(name, defined);
  return `${JSON.stringify(name)}${ws ? ` (it ${ws})` : ''}`;
}

/** "ends with a space, and "admin" is defined: remove the whitespace", or undefined without whitespace around the name. */
function whitespaceNote(name: string, defined: Iterable<string>): string | undefined {
  const ws = surroundingWhitespace(name);
  if (!ws) return undefined;
  return `${ws}${[...defined].includes(name.trim()) ? `, and ${JSON.stringify(name.trim())} is defined: remove the whitespace` : ''}`;
}

/** Selects `name` (or the current context) and checks it names a cluster with a server and a user that exist, as kubectl does. */
export function selectContext(m: MergedKubeconfig, name?: string, flag = '--context'): SelectedContext {
  const avail = [...m.contexts.keys()];
  const list = avail.length ? avail.join(', ') : '(none)';
  let ctxName: string;
  let source: string;
  if (name) {
    if (!m.contexts.has(name)) {
      const ws = whitespaceNote(name, m.contexts.keys());
      throw new KubeconfigError(`${flag} ${ws ? JSON.stringify(name) : name}`, '', `no such context in ${shownFiles(m)}${ws ? ` (the name ${ws})` : ''}; available: ${list}`, 'context-missing');
    }
    ctxName = name; source = flag;
  } else if (m.currentContext) {
    if (!m.contexts.has(m.currentContext)) throw new KubeconfigError(m.currentContextFile!, 'current-context', `names context ${refName(m.currentContext, m.contexts.keys())}, which is not defined in ${shownFiles(m)}; available: ${list} (pass --context or fix current-context)`, 'context-missing');
    ctxName = m.currentContext; source = `${m.currentContextFile}: current-context`;
  } else {
    throw new KubeconfigError(shownFiles(m), 'current-context', `not set and no --context given; available contexts: ${list}`, 'no-context');
  }
  const context = m.contexts.get(ctxName)!;
  if (!context.cluster) throw new KubeconfigError(context.origin, `contexts[${ctxName}].context.cluster`, 'expected the name of a cluster', 'cluster-missing');
  const cluster = m.clusters.get(context.cluster);
  if (!cluster) throw new KubeconfigError(context.origin, `context "${ctxName}"`, `names cluster ${refName(context.cluster, m.clusters.keys())}, which is not defined in ${shownFiles(m)}`, 'cluster-missing');
  if (!cluster.server) throw new KubeconfigError(cluster.origin, `cluster "${cluster.name}".server`, 'not set; expected the API server URL, e.g. https://<host>:6443', 'no-server');
  // kubectl parses it with Go's url.Parse, which refuses whitespace a WHATWG URL parser would strip
  const ws = surroundingWhitespace(cluster.server);
  if (ws) throw new KubeconfigError(cluster.origin, `cluster "${cluster.name}".server`, `${JSON.stringify(cluster.server)} ${ws}, which kubectl refuses (Go's url.Parse: "invalid port" or "first path segment in URL cannot contain colon"); expected ${JSON.stringify(cluster.server.trim())}`, 'no-server');
  let url: URL | undefined;
  try { url = new URL(cluster.server); } catch { url = undefined; }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || !url.hostname) {
    throw new KubeconfigError(cluster.origin, `cluster "${cluster.name}".server`, `"${cluster.server}" is not an http(s) URL; expected e.g. https://<host>:6443`, 'no-server');
  }
  // "https://https://host:6443": Go's url.Parse reads host "https" and path "//host:6443", and kubectl dials https:443
  const twice = schemeTwice(cluster.server);
  if (twice) {
    throw new KubeconfigError(cluster.origin, `cluster "${cluster.name}".server`, `"${cluster.server}" has the scheme twice, so kubectl dials a host named "${twice.dialed}"; expected ${JSON.stringify(twice.meant)}`, 'no-server');
  }
  if (cluster.insecureSkipTlsVerify && (cluster.certificateAuthority || cluster.certificateAuthorityData) && url.protocol === 'https:') {
    throw new KubeconfigError(cluster.origin, `cluster "${cluster.name}"`, 'sets both insecure-skip-tls-verify and a certificate-authority, which kubectl refuses ("specifying a root certificates file with the insecure flag is not allowed"); keep the CA and remove insecure-skip-tls-verify', 'invalid');
  }
  let user: KubeUser;
  if (context.user) {
    const u = m.users.get(context.user);
    if (!u) throw new KubeconfigError(context.origin, `context "${ctxName}"`, `names user ${refName(context.user, m.users.keys())}, which is not defined in ${shownFiles(m)}`, 'user-missing');
    user = u;
  } else {
    user = { name: '', origin: context.origin };
  }
  return { name: ctxName, source, context, cluster, user };
}

// ---------------------------------------------------------------------------------------------
// Credentials
// ---------------------------------------------------------------------------------------------

export type AuthKind = 'exec' | 'token' | 'token-file' | 'client-certificate' | 'basic' | 'auth-provider' | 'none';

/** The credential kind a user entry uses (what kubectl sends). */
export function authKind(u: KubeUser): AuthKind {
  if (u.exec) return 'exec';
  if (u.authProvider) return 'auth-provider';
  if (u.tokenFile) return 'token-file';
  if (u.token) return 'token';
  if (u.clientCertificate || u.clientCertificateData) return 'client-certificate';
  if (u.username || u.password) return 'basic';
  return 'none';
}

/** Exec env variable names whose values are secrets whatever their length. */
const SECRET_NAME = /token|secret|passw|key|credential|auth|session|cookie/i;

/** Exec env values that are settings, not secrets (a region, a number, a boolean, a path, a URL without credentials). */
const PLAIN_VALUE = /^(?:[a-z]{2,}(?:-[a-z]+)+-\d+|\d+|true|false|[/~][^\s]*|https?:\/\/[^@\s]+)$/i;

/** Auth-provider config keys that hold credentials. */
export const AUTH_PROVIDER_SECRET_KEYS = /token|secret|password|key|credential/i;

/**
 * Every credential in a user entry, for the redactor: token, tokenFile content (when readable),
 * basic password and the base64 `user:pass` header value, client key (data and its decoded PEM,
 * file content), exec env values, auth-provider credential values. Short non-secret-looking exec
 * env values (a region, a profile name) are left out: masking a common word corrupts output.
 */
export function credentialSecrets(u: KubeUser, read: (path: string) => string | undefined = tryRead): string[] {
  const out: string[] = [];
  const add = (v: string | undefined) => { if (v && v.trim().length >= 3) { out.push(v); if (v.trim() !== v) out.push(v.trim()); } };
  add(u.token);
  if (u.tokenFile) add(read(u.tokenFile));
  add(u.password);
  if (u.username !== undefined || u.password !== undefined) add(Buffer.from(`${u.username ?? ''}:${u.password ?? ''}`).toString('base64'));
  add(u.clientKeyData);
  if (u.clientKeyData) add(decodeBase64(u.clientKeyData));
  if (u.clientKey) add(read(u.clientKey));
  for (const v of flagSecrets(u.exec?.args ?? [])) add(v);
  for (const e of u.exec?.env ?? []) if (e.value && (SECRET_NAME.test(e.name) ? e.value.length >= 3 : e.value.length >= 8 && !PLAIN_VALUE.test(e.value))) add(e.value);
  for (const [k, v] of Object.entries(u.authProvider?.config ?? {})) if (AUTH_PROVIDER_SECRET_KEYS.test(k)) add(v);
  return [...new Set(out)];
}

function tryRead(path: string): string | undefined {
  try { return readKubeFile(path, path, 2 ** 20); } catch { return undefined; }
}

function decodeBase64(s: string): string | undefined {
  try { const d = Buffer.from(s, 'base64').toString('utf8'); return d.length >= 3 ? d : undefined; } catch { return undefined; }
}

// ---------------------------------------------------------------------------------------------
// Which files
// ---------------------------------------------------------------------------------------------

export interface KubeInput {
  kubeconfig?: string;
  context?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  home: string;
}

export interface Located {
  /** Existing files to merge, absolute, in order. */
  files: string[];
  /** As the user gave them (for messages). */
  given: string[];
  /** '--kubeconfig', 'env KUBECONFIG' or '~/.kube/config'; undefined when nothing applies. */
  source?: '--kubeconfig' | 'env KUBECONFIG' | '~/.kube/config';
  /** Paths looked at that do not exist (KUBECONFIG entries, ~/.kube/config). */
  missing: string[];
}

/** kubectl's loading rules. `--kubeconfig` must exist (UserError otherwise). */
export function locateKubeconfigs(input: Pick<KubeInput, 'kubeconfig' | 'env' | 'cwd' | 'home'>): Located {
  if (input.kubeconfig !== undefined) {
    const f = resolve(input.cwd, input.kubeconfig);
    if (!existsSync(f)) {
      let why = 'no such file or directory';
      try { statSync(f); } catch (e) { why = missingReason(f, e); }
      throw new UserError(`--kubeconfig: cannot read ${input.kubeconfig}: ${why}`);
    }
    return { files: [f], given: [input.kubeconfig], source: '--kubeconfig', missing: [] };
  }
  const env = input.env['KUBECONFIG'];
  if (env !== undefined && env !== '') {
    const seen = new Set<string>();
    const out: Located = { files: [], given: [], source: 'env KUBECONFIG', missing: [] };
    for (const p of env.split(delimiter)) {
      if (!p) continue;
      const f = resolve(input.cwd, p);
      if (seen.has(f)) continue;
      seen.add(f);
      if (existsSync(f)) { out.files.push(f); out.given.push(p); } else out.missing.push(p);
    }
    return out;
  }
  const def = join(input.home, '.kube', 'config');
  if (existsSync(def)) return { files: [def], given: [def], source: '~/.kube/config', missing: [] };
  return { files: [], given: [], missing: [def] };
}

export interface KubeResult {
  /**
   * The kubeconfig the client loads: the one file, or (several files from $KUBECONFIG) the path
   * list joined with the OS path delimiter, as KUBECONFIG writes it. See kubeconfigFileList().
   */
  kubeconfigPath?: string;
  /** Every file merged (absolute), in order. */
  kubeconfigFiles: string[];
  context?: string;
  /** Namespace of the selected context, when it sets one. */
  contextNamespace?: string;
  provenance: Provenance;
  inputs: string[];
  /** Credentials of the selected context's user (see credentialSecrets), for the redactor. */
  secrets: string[];
}

/**
 * The files a target's kubeconfigPath stands for: the path itself when it exists, else (a path
 * list from $KUBECONFIG) its entries that exist. Relative paths resolve against `cwd`.
 */
export function kubeconfigFileList(kubeconfigPath: string, cwd = process.cwd()): string[] {
  const whole = resolve(cwd, kubeconfigPath);
  if (existsSync(whole) || !kubeconfigPath.includes(delimiter)) return [whole];
  return [...new Set(kubeconfigPath.split(delimiter).filter(Boolean).map((p) => resolve(cwd, p)))].filter((f) => existsSync(f));
}

/**
 * Finds, reads, merges and validates the kubeconfig, and selects the context: the loader's step.
 * Bad input (unreadable or invalid file, wrong types, an unknown --context, a context naming a
 * missing cluster or user, a cluster without a server URL) throws UserError (exit 2, one line).
 * Credentials are not checked here: kubernetes.config.load obtains them at run time.
 */
export function loadKubeconfig(input: KubeInput): KubeResult {
  const provenance: Provenance = {};
  const out: KubeResult = { provenance, inputs: [], kubeconfigFiles: [], secrets: [] };
  const loc = locateKubeconfigs(input);
  if (!loc.files.length) {
    if (input.context) {
      const looked = loc.source === 'env KUBECONFIG' ? `env KUBECONFIG (none of ${loc.missing.join(delimiter)} exist)` : `--kubeconfig, $KUBECONFIG, ${join(input.home, '.kube', 'config')}`;
      throw new UserError(`--context ${input.context}: no kubeconfig found (looked at ${looked})`);
    }
    return out;
  }
  const parsed = loc.files.map((f, i) => {
    const label = loc.given[i]!;
    try {
      // Regular files only, up to the input cap (src/config/read.ts).
      return parseKubeconfig(f, readInputFile(loc.source!, label, input.cwd, { what: 'values and config files', ...KUBECONFIG_READ }), label);
    } catch (e) {
      if (e instanceof KubeconfigError) throw new UserError(e.message);
      throw e;
    }
  });
  const merged = mergeKubeconfigs(parsed);
  out.inputs.push(...loc.given);
  out.kubeconfigFiles = loc.files;
  out.kubeconfigPath = loc.given.length === 1 ? loc.given[0]! : loc.given.join(delimiter);
  provenance['kubernetes.kubeconfigPath'] = loc.source!;
  if (!input.context && !merged.currentContext) return out; // kubernetes.config.load says no context is selected
  let sel: SelectedContext;
  try {
    sel = selectContext(merged, input.context);
  } catch (e) {
    if (e instanceof KubeconfigError) {
      const labelOf = (f: string) => loc.given[loc.files.indexOf(f)] ?? f;
      let msg = e.message;
      for (const f of loc.files) msg = msg.split(f).join(labelOf(f));
      throw new UserError(msg);
    }
    throw e;
  }
  // A misspelled key of the selected context, its cluster or its user: kubectl ignores it, so the
  // setting meant (a token file, a CA) is not used; said before anything runs, not as anonymous 401s.
  for (const [entry, what] of [[sel.context, `context "${sel.name}"`], [sel.cluster, `cluster "${sel.cluster.name}"`], [sel.user, `user "${sel.user.name}"`]] as const) {
    const m = entry.misspelled?.[0];
    if (!m) continue;
    const file = loc.given[loc.files.indexOf(entry.origin)] ?? entry.origin;
    throw new UserError(`${file}: ${m.at}: not a key kubectl reads (it ignores ${JSON.stringify(m.key)} silently, so ${what} is used without it); expected ${m.meant}`);
  }
  out.context = sel.name;
  provenance['kubernetes.context'] = sel.source === '--context' ? '--context' : `${loc.given[loc.files.indexOf(merged.currentContextFile!)] ?? merged.currentContextFile}: current-context`;
  if (sel.context.namespace) out.contextNamespace = sel.context.namespace;
  // Every user's inline credentials, not only the selected one's: a data-plane or in-cluster client
  // may load another context of the same file later, and a server may echo any of them. Files named
  // by other users are not read (only the selected user's tokenFile / client-key files are).
  const others = [...merged.users.values()].filter((u) => u !== sel.user).flatMap((u) => credentialSecrets(u, () => undefined));
  out.secrets = [...new Set([...credentialSecrets(sel.user), ...others])];
  return out;
}
