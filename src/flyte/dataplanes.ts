// Multi-cluster flyte-core: the data planes flyteadmin's cluster configuration names
// (`configmap.clusters.clusterConfigs[]`, `configmap.clusters.labelClusterMap`), where their
// credentials come from (the Secret flyteadmin mounts through `flyteadmin.additionalVolumes` /
// `additionalVolumeMounts`), and the `--data-plane NAME=CONTEXT` flags. Also the evidence the
// data-plane checks share: the credentials Secret as read from the control plane, and a Kubernetes
// session for each data plane (with flyteadmin's token and CA, or through a local context).
//
// What flyteadmin does with this configuration (flyteadmin/pkg/executioncluster):
//   - no clusterConfigs: every execution goes to flyteadmin's own cluster (in-cluster credentials);
//   - otherwise every entry is turned into a client at start-up, enabled or not: the token file
//     (auth.tokenPath) and the CA file (auth.certPath) are read, and a missing file or a duplicate
//     name panics flyteadmin (`duplicate clusters for name X`, `failed to read k8s bearer token`);
//   - `enabled` defaults to false (a Go bool): a disabled cluster gets no executions; no enabled
//     cluster at all panics (`entries is empty`);
//   - labelClusterMap: label -> [{id, weight 0..1}]; an id that is not an enabled cluster is
//     silently skipped, and a label left without clusters falls back to every enabled cluster.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { isObj, KubeError, openKube, type KubeSession } from '../clients/kube.js';
import type { Reader } from '../config/charts.js';
import type { Chart, KubernetesTarget } from '../config/target.js';
import { UserError } from '../errors.js';
import { parseYaml } from '../config/values.js';

/** Where a file flyteadmin reads (tokenPath / certPath) comes from in its pod. */
export interface MountedFile {
  path: string;
  /** The volume mount (flyteadmin.additionalVolumeMounts) whose mountPath holds the file. */
  volume?: string;
  mountPath?: string;
  /** The Secret behind that volume and the key the file is, when the volume is a Secret. */
  secret?: string;
  key?: string;
  /** A volume of another kind (configMap, projected, hostPath...): named, not followed. */
  otherVolume?: string;
  /** Why the file cannot be traced (no mount covers the path, a mount without a volume...). */
  problem?: string;
  /** The sync-cluster-resources init container does not see the file (its own mounts do not cover it). */
  syncInitMissing?: boolean;
}

export interface DataPlane {
  /** clusterConfigs[].name (or the id in labelClusterMap / the NAME of --data-plane). */
  name: string;
  /** Index of its first entry in clusterConfigs; undefined when only a label or a flag names it. */
  index?: number;
  /** The values key of its entry (`configmap.clusters.clusterConfigs[0]`) with provenance. */
  source?: string;
  /** Entries with this name in clusterConfigs (flyteadmin refuses duplicates). */
  entries: number;
  endpoint?: string;
  /** `enabled` as written; flyteadmin's default is false. */
  enabled: boolean;
  enabledSet: boolean;
  inCluster?: boolean;
  authType?: string;
  token?: MountedFile;
  ca?: MountedFile;
  /** labelClusterMap entries naming it. */
  labels: { label: string; weight?: number; weightRaw?: unknown }[];
  /** --data-plane NAME=CONTEXT. */
  context?: string;
  /** A clusterConfigs entry that is not a map, or fields of the wrong type: named. */
  problems: string[];
  /** Implicit: the values route executions to flyteadmin's own cluster (no clusterConfigs). */
  implicit?: boolean;
  /** This cluster is the data plane (a data-plane-only install: flyteadmin disabled here). */
  local?: boolean;
}

export interface DataPlanes {
  /** control-plane: flyteadmin here with cluster configs (or propeller off); data-plane: propeller without flyteadmin. */
  role: 'control-plane' | 'data-plane' | 'flags-only';
  planes: DataPlane[];
  /** Where the cluster configs are read from. */
  configKey: string;
  defaultExecutionLabel?: string;
  /** Labels of labelClusterMap (every one, even those whose clusters are all unknown). */
  labels: string[];
  /** flytepropeller is enabled in these values (executions can run in this cluster). */
  propellerHere: boolean;
  /** flyteadmin.serviceAccount.alwaysCreate (data-plane installs need the ServiceAccount for the control plane's token). */
  adminServiceAccount?: { created: boolean; source: string };
  /** Data-plane installs: where flytepropeller here sends events (configmap.admin.admin.endpoint) and looks up the cache (configmap.catalog.catalog-cache.endpoint). */
  propellerAdmin?: { endpoint?: string; source: string };
  propellerCatalog?: { endpoint?: string; source: string; type?: string };
  /** The flyteadmin volumes could be read from the values (false: other keys hold them, not cross-checked). */
  volumesKnown: boolean;
  /** The sync-cluster-resources init container runs (cluster_resource_manager.enabled, not standalone). */
  syncInit: boolean;
}

const CLUSTERS = 'configmap.clusters';
/** At most this many clusters are read from clusterConfigs (and label targets added). */
export const MAX_PLANES = 64;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Parses `--data-plane NAME=CONTEXT` flags. Throws UserError naming the flag and the value. */
export function parseDataPlaneFlags(flags: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of flags) {
    const m = /^([^=]*)=(.*)$/s.exec(raw.trim());
    const name = m?.[1]?.trim() ?? '', ctx = m?.[2]?.trim() ?? '';
    if (!m || !name || !ctx) throw new UserError(`--data-plane ${JSON.stringify(raw)}: expected NAME=CONTEXT (a cluster name of configmap.clusters.clusterConfigs and a kubeconfig context), e.g. --data-plane dataplane_1=dp1-admin`);
    if (!NAME_RE.test(name)) throw new UserError(`--data-plane ${JSON.stringify(raw)}: expected NAME=CONTEXT with NAME a cluster name (letters, digits, _ . -), got NAME ${JSON.stringify(name)}`);
    if (/[\s]/.test(ctx)) throw new UserError(`--data-plane ${JSON.stringify(raw)}: expected NAME=CONTEXT with CONTEXT a kubeconfig context name (no spaces)`);
    const prev = out.get(name);
    if (prev !== undefined && prev !== ctx) throw new UserError(`--data-plane ${JSON.stringify(raw)}: data plane ${name} is already given with context ${JSON.stringify(prev)}; expected one context per data plane`);
    out.set(name, ctx);
  }
  return out;
}

interface Vol { name: string; secret?: string; items?: { key: string; path: string }[]; kind: string }
interface Mount { name: string; mountPath: string; subPath?: string }

function volumesOf(r: Reader, key: string): Vol[] | undefined {
  const l = r.raw(key);
  if (l === undefined || l === null) return [];
  if (!Array.isArray(l)) return undefined;
  return l.filter(isObj).filter((v) => typeof v['name'] === 'string').map((v) => {
    const sec = isObj(v['secret']) ? v['secret'] : undefined;
    const items = sec && Array.isArray(sec['items']) ? sec['items'].filter(isObj).filter((i) => typeof i['key'] === 'string' && typeof i['path'] === 'string').map((i) => ({ key: i['key'] as string, path: i['path'] as string })) : undefined;
    const kind = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
    return { name: v['name'] as string, ...(sec && typeof sec['secretName'] === 'string' ? { secret: sec['secretName'] } : {}), ...(items?.length ? { items } : {}), kind };
  });
}

function mountsOf(r: Reader, key: string): Mount[] | undefined {
  const l = r.raw(key);
  if (l === undefined || l === null) return [];
  if (!Array.isArray(l)) return undefined;
  return l.filter(isObj).filter((m) => typeof m['name'] === 'string' && typeof m['mountPath'] === 'string')
    .map((m) => ({ name: m['name'] as string, mountPath: m['mountPath'] as string, ...(typeof m['subPath'] === 'string' ? { subPath: m['subPath'] } : {}) }));
}

const under = (path: string, dir: string) => { const d = dir.replace(/\/+$/, ''); return path === d || path.startsWith(`${d}/`); };

/** Traces a file flyteadmin reads to the mount, the volume and the Secret key behind it. */
export function traceFile(path: string, mounts: Mount[], vols: Vol[], syncMounts: Mount[] | undefined): MountedFile {
  const out: MountedFile = { path };
  if (!path.startsWith('/')) { out.problem = `${path} is not an absolute path`; return out; }
  const m = [...mounts].filter((x) => under(path, x.mountPath)).sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  if (syncMounts && !syncMounts.some((x) => under(path, x.mountPath))) out.syncInitMissing = true;
  if (!m) { out.problem = `no entry of flyteadmin.additionalVolumeMounts mounts a directory holding ${path}`; return out; }
  out.volume = m.name; out.mountPath = m.mountPath;
  const v = vols.find((x) => x.name === m.name);
  if (!v) { out.problem = `the mount ${m.mountPath} names volume "${m.name}", which flyteadmin.additionalVolumes does not define`; return out; }
  if (!v.secret) { out.otherVolume = `${v.kind} volume "${v.name}"`; return out; }
  out.secret = v.secret;
  const rel = m.subPath ? m.subPath : posix.relative(m.mountPath.replace(/\/+$/, ''), path);
  if (v.items) {
    const it = v.items.find((i) => i.path === rel);
    if (!it) { out.problem = `volume "${v.name}" projects only ${v.items.map((i) => i.path).join(', ')} of Secret ${v.secret} (items), not ${rel}`; return out; }
    out.key = it.key;
  } else if (rel && !rel.includes('/')) out.key = rel;
  else out.problem = `${path} is not a file directly under ${m.mountPath}`;
  return out;
}

/**
 * The data planes of the values and the `--data-plane` flags (raw `NAME=CONTEXT` strings, already
 * checked to be non-empty); undefined when there is no multi-cluster setup. Bad flags throw UserError.
 */
export function dataPlanesFromValues(chart: Chart | undefined, r: Reader | undefined, flags: string[]): DataPlanes | undefined {
  const flagMap = parseDataPlaneFlags(flags);
  const withFlags = (dp: DataPlanes): DataPlanes => {
    for (const [name, context] of flagMap) {
      const p = dp.planes.find((x) => x.name === name && !x.implicit && !x.local);
      if (p) p.context = context;
      else dp.planes.push({ name, entries: 0, enabled: false, enabledSet: false, labels: [], problems: [], context });
    }
    return dp;
  };
  if (chart !== 'flyte-core' || !r) {
    if (!flagMap.size) return undefined;
    return withFlags({ role: 'flags-only', planes: [], configKey: `${CLUSTERS}.clusterConfigs`, labels: [], propellerHere: true, volumesKnown: false, syncInit: false });
  }
  const adminOn = r.bool('flyteadmin.enabled') ?? true;
  const propellerOn = r.bool('flytepropeller.enabled') ?? true;
  // Bounded: a hostile values file with thousands of entries gets the first MAX_PLANES (each is probed).
  const configs = (r.list(`${CLUSTERS}.clusterConfigs`) ?? []).slice(0, MAX_PLANES);
  const labelMap = r.dict(`${CLUSTERS}.labelClusterMap`) ?? {};
  const defaultLabel = r.str(`${CLUSTERS}.defaultExecutionLabel`);
  const saKey = 'flyteadmin.serviceAccount.alwaysCreate';
  const sa = { created: r.bool(saKey) ?? false, source: r.has(saKey) ? r.prov(saKey) : `chart default (${saKey}: false)` };
  const base = { configKey: `${CLUSTERS}.clusterConfigs`, labels: Object.keys(labelMap), propellerHere: propellerOn, ...(defaultLabel ? { defaultExecutionLabel: defaultLabel } : {}) };

  if (!adminOn) {
    // A data-plane install: this cluster is a data plane; the control plane's config is elsewhere.
    if (!propellerOn && !flagMap.size) return undefined;
    const ak = 'configmap.admin.admin.endpoint', ck = 'configmap.catalog.catalog-cache.endpoint', ct = 'configmap.catalog.catalog-cache.type';
    const adminEp = r.str(ak), catEp = r.str(ck), catType = r.str(ct);
    return withFlags({ role: 'data-plane', ...base, adminServiceAccount: sa, volumesKnown: false, syncInit: false,
      propellerAdmin: { ...(adminEp ? { endpoint: adminEp } : {}), source: r.has(ak) ? r.prov(ak) : 'chart default' },
      propellerCatalog: { ...(catEp ? { endpoint: catEp } : {}), source: r.has(ck) ? r.prov(ck) : 'chart default', ...(catType ? { type: catType } : {}) },
      planes: propellerOn ? [{ name: 'this-cluster', local: true, entries: 0, enabled: true, enabledSet: false, labels: [], problems: [] }] : [] });
  }
  if (!configs.length && propellerOn && !flagMap.size && !Object.keys(labelMap).length) return undefined; // single cluster

  const vols = volumesOf(r, 'flyteadmin.additionalVolumes');
  const mounts = mountsOf(r, 'flyteadmin.additionalVolumeMounts');
  const crm = r.bool('cluster_resource_manager.enabled') ?? true;
  const standalone = (r.bool('cluster_resource_manager.standalone_deploy') ?? false) || (r.bool('cluster_resource_manager.standaloneDeployment') ?? false);
  const syncInit = crm && !standalone;
  // Only when the values use the key (newer charts): older charts have no way to mount anything into that init container.
  const syncKey = 'flyteadmin.initContainerClusterSyncAdditionalVolumeMounts';
  const syncMounts = syncInit && r.has(syncKey) ? mountsOf(r, syncKey) : undefined;
  const volumesKnown = !!vols && !!mounts;
  const planes: DataPlane[] = [];
  configs.forEach((c, i) => {
    const key = `${CLUSTERS}.clusterConfigs[${i}]`;
    const src = r.prov(['configmap', 'clusters', 'clusterConfigs', i]);
    if (!isObj(c)) {
      planes.push({ name: `clusterConfigs[${i}]`, index: i, source: src, entries: 1, enabled: false, enabledSet: false, labels: [], problems: [`${key} is not a map (got ${Array.isArray(c) ? 'a list' : typeof c})`] });
      return;
    }
    const problems: string[] = [];
    const str = (k: string, v: unknown): string | undefined => {
      if (v === undefined || v === null || v === '') return undefined;
      if (typeof v === 'string' || typeof v === 'number') return String(v);
      problems.push(`${key}.${k} is not a string`); return undefined;
    };
    const name = str('name', c['name']);
    const existing = name ? planes.find((p) => p.name === name && p.index !== undefined) : undefined;
    if (existing) { existing.entries++; return; }
    const auth = isObj(c['auth']) ? c['auth'] : {};
    if (c['auth'] !== undefined && c['auth'] !== null && !isObj(c['auth'])) problems.push(`${key}.auth is not a map`);
    const enabledRaw = c['enabled'];
    const enabled = enabledRaw === true || (typeof enabledRaw === 'string' && enabledRaw.trim().toLowerCase() === 'true');
    if (enabledRaw !== undefined && enabledRaw !== null && typeof enabledRaw !== 'boolean' && !/^(true|false)$/i.test(String(enabledRaw).trim())) problems.push(`${key}.enabled is not true or false`);
    const inCluster = c['inCluster'] === true || c['inCluster'] === 'true';
    const tokenPath = str('auth.tokenPath', auth['tokenPath']);
    const certPath = str('auth.certPath', auth['certPath']);
    const endpoint = str('endpoint', c['endpoint']);
    const authType = str('auth.type', auth['type']);
    if (!name) problems.push(`${key}.name is missing`);
    planes.push({
      name: name ?? `clusterConfigs[${i}]`, index: i, source: src, entries: 1, enabled, enabledSet: enabledRaw !== undefined && enabledRaw !== null,
      ...(endpoint ? { endpoint } : {}), ...(inCluster ? { inCluster } : {}), ...(authType ? { authType } : {}),
      ...(tokenPath ? { token: volumesKnown ? traceFile(tokenPath, mounts!, vols!, syncMounts) : { path: tokenPath } } : {}),
      ...(certPath ? { ca: volumesKnown ? traceFile(certPath, mounts!, vols!, syncMounts) : { path: certPath } } : {}),
      labels: [], problems,
    });
  });
  for (const [label, list] of Object.entries(labelMap).slice(0, MAX_PLANES)) {
    const items = Array.isArray(list) ? list.slice(0, MAX_PLANES) : [];
    if (!Array.isArray(list)) throw new UserError(`${r.prov(`${CLUSTERS}.labelClusterMap.${label}`)}: expected a list of {id, weight}, got ${typeof list}`);
    for (const it of items) {
      if (!isObj(it) || (typeof it['id'] !== 'string' && typeof it['id'] !== 'number')) throw new UserError(`${r.prov(`${CLUSTERS}.labelClusterMap.${label}`)}: expected entries {id: <cluster name>, weight: 0..1}, got ${JSON.stringify(it)?.slice(0, 60)}`);
      const id = String(it['id']);
      const w = it['weight'];
      const weight = typeof w === 'number' ? w : typeof w === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(w) ? Number(w) : undefined;
      let p = planes.find((x) => x.name === id);
      if (!p && planes.length >= MAX_PLANES) continue;
      if (!p) { p = { name: id, entries: 0, enabled: false, enabledSet: false, labels: [], problems: [] }; planes.push(p); }
      p.labels.push({ label, ...(weight !== undefined ? { weight } : {}), ...(w !== undefined && weight === undefined ? { weightRaw: w } : {}) });
    }
  }
  if (!configs.length && !propellerOn) {
    planes.unshift({ name: 'in-cluster', implicit: true, inCluster: true, entries: 0, enabled: true, enabledSet: false, labels: [], problems: [] });
  }
  return withFlags({ role: 'control-plane', ...base, planes, volumesKnown, syncInit });
}

// ---------------------------------------------------------------------------------------------
// Evidence at run time: the credentials Secret, and a session per data plane
// ---------------------------------------------------------------------------------------------

/** The endpoint as client-go reads it: a URL without a scheme is https (the CA is set). */
export function endpointUrl(endpoint: string): URL | undefined {
  const s = endpoint.trim();
  try { return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(s) ? s : `https://${s}`); } catch { return undefined; }
}

/** What was read from the credentials Secret in the control plane for one data plane. */
export type SecretRead =
  | { kind: 'ok'; namespace: string; secret: string; tokenKey: string; caKey: string; token: string; caPem: string; tokenEncoding?: 'base64-twice' | 'whitespace'; caEncoding?: 'base64-twice' | 'not-pem'; claims?: TokenClaims }
  | { kind: 'missing'; namespace: string; secret: string }
  | { kind: 'key-missing'; namespace: string; secret: string; keys: string[]; missing: string[] }
  | { kind: 'forbidden'; namespace: string; secret: string; error: KubeError }
  | { kind: 'untraceable'; why: string }
  | { kind: 'error'; namespace: string; secret: string; error: KubeError };

/** The public claims of a JWT bearer token (never the token): whom it names, who issued it, when it expires. */
export interface TokenClaims { sub?: string; iss?: string; exp?: number }

export function tokenClaims(token: string): TokenClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const c = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (!isObj(c)) return undefined;
    const out: TokenClaims = {};
    if (typeof c['sub'] === 'string') out.sub = c['sub'].slice(0, 200);
    if (typeof c['iss'] === 'string') out.iss = c['iss'].slice(0, 200);
    if (typeof c['exp'] === 'number' && Number.isFinite(c['exp'])) out.exp = c['exp'];
    return out;
  } catch { return undefined; }
}

const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');
const looksB64 = (s: string) => /^[A-Za-z0-9+/=\s]+$/.test(s) && s.replace(/\s/g, '').length % 4 === 0;

/** Reads the Secret that holds the data plane's token and CA (the one flyteadmin mounts). Never throws for an API answer. */
export async function readPlaneSecret(s: KubeSession, ns: string, p: DataPlane, signal: AbortSignal, addSecret: (v: string) => void): Promise<SecretRead> {
  const t = p.token, c = p.ca;
  if (!t?.secret || !t.key || !c?.secret || !c.key) return { kind: 'untraceable', why: (t?.problem ?? c?.problem ?? (t?.otherVolume || c?.otherVolume ? `the files come from a ${t?.otherVolume ?? c?.otherVolume}, not a Secret` : 'the token and CA paths are not traced to a Secret of the values')) };
  if (t.secret !== c.secret) return { kind: 'untraceable', why: `the token and the CA come from two Secrets (${t.secret}, ${c.secret})` };
  const path = `/api/v1/namespaces/${encodeURIComponent(ns)}/secrets/${encodeURIComponent(t.secret)}`;
  let obj: Record<string, unknown> | undefined;
  try { obj = await s.getOptional<Record<string, unknown>>(path, signal); } catch (e) {
    if (!(e instanceof KubeError)) throw e;
    return e.kind === 'forbidden' ? { kind: 'forbidden', namespace: ns, secret: t.secret, error: e } : { kind: 'error', namespace: ns, secret: t.secret, error: e };
  }
  if (!obj) return { kind: 'missing', namespace: ns, secret: t.secret };
  const data = isObj(obj['data']) ? obj['data'] : {};
  const keys = Object.keys(data);
  const missing = [t.key, c.key].filter((k) => typeof data[k] !== 'string');
  if (missing.length) return { kind: 'key-missing', namespace: ns, secret: t.secret, keys, missing };
  let token = b64(data[t.key] as string);
  let caPem = b64(data[c.key] as string);
  addSecret(token);
  let tokenEncoding: 'base64-twice' | 'whitespace' | undefined;
  let caEncoding: 'base64-twice' | 'not-pem' | undefined;
  // A token copied with `-o jsonpath='{.data.token}'` into stringData is base64 once more (a JWT starts with "eyJ", its base64 with "ZXlK").
  if (/^ZXlK/.test(token.trim()) && looksB64(token)) { tokenEncoding = 'base64-twice'; token = b64(token.trim()); addSecret(token); }
  else if (token !== token.trim()) { tokenEncoding = 'whitespace'; token = token.trim(); }
  if (!/-----BEGIN CERTIFICATE-----/.test(caPem)) {
    if (looksB64(caPem) && /-----BEGIN CERTIFICATE-----/.test(b64(caPem.trim()))) { caEncoding = 'base64-twice'; caPem = b64(caPem.trim()); } else caEncoding = 'not-pem';
  }
  const claims = tokenClaims(token);
  return { kind: 'ok', namespace: ns, secret: t.secret, tokenKey: t.key, caKey: c.key, token, caPem, ...(claims ? { claims } : {}),
    ...(tokenEncoding ? { tokenEncoding } : {}), ...(caEncoding ? { caEncoding } : {}) };
}

/**
 * A session to `server` with a bearer token and a CA (PEM), as flyteadmin builds its client. The
 * client reads kubeconfig files only: the credentials go into a private temporary kubeconfig
 * (directory 0700, file 0600, on /dev/shm when it exists) that is removed as soon as the session is open (the client keeps
 * the token and the embedded CA in memory).
 */
export async function openTokenSession(server: string, token: string, caPem: string | undefined, namespace: string, onSecret: (s: string) => void, userAgent: string): Promise<KubeSession> {
  // tmpfs when there is one (/dev/shm): the token never reaches a disk.
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = mkdtempSync(join(base, 'flyte-doctor-dp-'));
  const file = join(dir, 'kubeconfig');
  try {
    const cluster: Record<string, unknown> = { server, ...(caPem ? { 'certificate-authority-data': Buffer.from(caPem).toString('base64') } : {}) };
    writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'dataplane', cluster }], users: [{ name: 'flyteadmin', user: { token } }],
      contexts: [{ name: 'dataplane', context: { cluster: 'dataplane', user: 'flyteadmin', namespace } }], 'current-context': 'dataplane' }), { mode: 0o600 });
    const target: KubernetesTarget = { kubeconfigFiles: [file], context: 'dataplane', namespace, release: 'flyte' };
    return await openKube(target, { userAgent, onSecret });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A session through a context of the target's kubeconfig (`--data-plane NAME=CONTEXT`). */
export function openContextSession(k: KubernetesTarget, context: string, onSecret: (s: string) => void, userAgent: string): Promise<KubeSession> {
  return openKube({ ...k, context }, { userAgent, onSecret });
}

/** `kubectl` for hints about a data plane: its context when one is given, else the endpoint. */
export function planeKubectl(k: Pick<KubernetesTarget, 'kubeconfigPath'>, p: DataPlane, ns?: string): string {
  const parts = ['kubectl'];
  if (p.context) { if (k.kubeconfigPath) parts.push(`--kubeconfig ${k.kubeconfigPath}`); parts.push(`--context ${p.context}`); }
  else parts.push(`--context <${p.name}>`);
  if (ns) parts.push(`-n ${ns}`);
  return parts.join(' ');
}

/**
 * The Kubernetes Service an endpoint names inside the cluster (`flyteadmin:81`,
 * `dns:///flyteadmin.flyte.svc.cluster.local:81`), when it is one of `names`: a data-plane install
 * does not deploy flyteadmin or datacatalog, so such an address leads nowhere there.
 */
export function inClusterService(endpoint: string | undefined, names: readonly string[]): string | undefined {
  if (!endpoint) return undefined;
  const host = endpoint.trim().replace(/^[a-z][a-z0-9+.-]*:\/\/\/?/i, '').replace(/\/.*$/, '').replace(/:\d+$/, '').toLowerCase();
  const first = host.split('.')[0]!;
  if (!names.includes(first)) return undefined;
  return !host.includes('.') || /\.svc(\.cluster\.local)?$/.test(host) || host.split('.').length === 2 ? first : undefined;
}

/** One cluster entry of the configuration flyteadmin runs with (its ConfigMap), as far as it matters here. */
export interface LiveCluster { name: string; endpoint?: string; enabled: boolean; tokenPath?: string; certPath?: string; inCluster?: boolean }

/** The ConfigMaps flyte-core renders clusters.yaml into (newer charts: its own; older: the admin config). */
export const CLUSTERS_CONFIGMAPS = ['flyte-admin-clusters-config', 'flyte-admin-config'] as const;

/**
 * The clusters flyteadmin runs with, read from its ConfigMap in the control plane; undefined when
 * no such ConfigMap (or key) exists. Throws KubeError for an API failure (403 included).
 */
export async function readLiveClusters(s: KubeSession, ns: string, signal: AbortSignal): Promise<{ configMap: string; clusters: LiveCluster[] } | undefined> {
  for (const name of CLUSTERS_CONFIGMAPS) {
    const cm = await s.getOptional<Record<string, unknown>>(`/api/v1/namespaces/${encodeURIComponent(ns)}/configmaps/${name}`, signal);
    const data = cm && isObj(cm['data']) ? cm['data'] : undefined;
    const text = data && typeof data['clusters.yaml'] === 'string' ? data['clusters.yaml'] : undefined;
    if (!text) continue;
    let doc: unknown;
    try { doc = parseYaml(`ConfigMap ${ns}/${name} clusters.yaml`, text.slice(0, 1024 * 1024)); } catch { return { configMap: name, clusters: [] }; }
    const clusters = isObj(doc) && isObj(doc['clusters']) ? doc['clusters'] : {};
    const list = Array.isArray(clusters['clusterConfigs']) ? clusters['clusterConfigs'].slice(0, MAX_PLANES) : [];
    return { configMap: name, clusters: list.filter(isObj).filter((c) => typeof c['name'] === 'string').map((c) => {
      const auth = isObj(c['auth']) ? c['auth'] : {};
      return { name: c['name'] as string, enabled: c['enabled'] === true || c['enabled'] === 'true',
        ...(typeof c['endpoint'] === 'string' ? { endpoint: c['endpoint'] } : {}), ...(c['inCluster'] === true ? { inCluster: true } : {}),
        ...(typeof auth['tokenPath'] === 'string' ? { tokenPath: auth['tokenPath'] } : {}), ...(typeof auth['certPath'] === 'string' ? { certPath: auth['certPath'] } : {}) };
    }) };
  }
  return undefined;
}
