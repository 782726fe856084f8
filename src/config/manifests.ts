// Rendered Kubernetes manifests (`helm template … | flyte-doctor preflight --manifests -`, a file, or
// a directory such as `helm template --output-dir`): multi-document YAML or JSON, `kind: List`.
// Read into what the install really creates: the Flyte config files each Deployment mounts (the
// ConfigMap and Secret keys behind its `--config <dir>/*.yaml`, merged in the order Flyte globs
// them, kept per component so flyteadmin's, datacatalog's and propeller's configs are never merged
// into one), Ingresses, Deployments (images, ServiceAccount, which Secret is mounted where),
// ServiceAccounts (workload identity annotations), Secrets (names and key names only: their values
// are registered as secrets and used only to resolve a password, never stored in a printable field),
// the chart, namespaces and release. mapManifests() maps the whole install to Target fields with
// provenance, reusing the server config mapping (src/config/serverconfig.ts).
//
// Hostile input is a UserError naming the file and what was expected, or bounded work: a terminal
// on stdin, a directory of thousands of files, a huge file, a FIFO, a symlink loop, non-YAML, a
// document that is not an object, alias bombs (src/config/read.ts and values.ts parseYaml caps).
import { fstatSync, lstatSync, opendirSync, readSync, statSync, type Stats } from 'node:fs';
import { isatty } from 'node:tty';
import { join, posix, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { Credentials } from './credentials.js';
import { fsReason, mib, readInputFile, readStdinText } from './read.js';
export { readStdinText } from './read.js';
import { mapServerConfig, serverConfigReason, type ServerConfigLayer, type ServerConfigMapping, type ServerConfigWarning, type ServerKind } from './serverconfig.js';
import type { Chart, DatabaseTarget, IngressTarget, Provenance } from './target.js';
import { DEFAULT_NAMESPACE_TEMPLATE, type NamespaceMapping } from '../flyte/namespaces.js';
import { parseDocument, visit } from 'yaml';
import { isDict, parseYaml, shortJson } from './values.js';
import type { Dict } from './values.js';

/** One manifest file (or stdin): 4 MiB (a rendered flyte-core with its CRD is ~100 KiB). */
export const MANIFEST_FILE_LIMIT = 4 * 1024 * 1024;
/** All manifest files of a directory together. */
export const MANIFEST_TOTAL_LIMIT = 16 * 1024 * 1024;
/** Manifest files read from one directory tree. */
export const MANIFEST_MAX_FILES = 500;
/** Directory entries looked at (any kind) before giving up on a directory. */
const MAX_ENTRIES = 10_000;
/** Levels below the given directory (`helm template --output-dir` writes <dir>/<chart>/templates/*.yaml; subcharts go deeper). */
const MAX_DEPTH = 5;
/** Kubernetes objects in one input (a Flyte install has ~50). */
const MAX_OBJECTS = 20_000;
/**
 * YAML aliases (`*name`) in all the documents of the manifests together. Each document is capped on
 * its own (values.ts parseYaml: an alias bomb is refused), but a file of thousands of documents each
 * just under that cap costs seconds apiece before any check runs, unbounded by --timeout. Rendered
 * manifests rarely hold one (helm writes objects out, not anchors).
 */
export const MAX_SET_ALIASES = 1000;

export interface ManifestObject {
  kind: string;
  apiVersion: string;
  name: string;
  /** undefined: none in the manifest (helm leaves some out: the object goes to the release namespace). */
  namespace?: string;
  labels: Record<string, string>;
  /** Where it was read: `file:line`. */
  source: string;
}

export interface IngressPath { host?: string; path: string; pathType?: string; service?: string; port?: number | string }
export interface ManifestIngress {
  name: string;
  namespace?: string;
  className?: string;
  /** Where className came from: `spec.ingressClassName` or the `kubernetes.io/ingress.class` annotation. */
  classSource?: string;
  hosts: string[];
  paths: IngressPath[];
  tls: { secretName?: string; hosts: string[] }[];
  annotations: Record<string, string>;
  /** Routes Flyte's gRPC services (/flyteidl.service.*, /grpc.health.v1.Health) or says GRPC in its annotations. */
  grpc: boolean;
  source: string;
}

export interface VolumeSource { kind: 'ConfigMap' | 'Secret'; name: string; items?: { key: string; path: string }[]; optional?: boolean }
export interface ManifestMount { container: string; volume: string; mountPath: string; subPath?: string; sources: VolumeSource[]; other?: string }
export interface ManifestDeployment {
  name: string;
  namespace?: string;
  /** `app.kubernetes.io/component`, else `app.kubernetes.io/name`, else `app`, else the name. */
  component: string;
  labels: Record<string, string>;
  replicas?: number;
  serviceAccountName: string;
  images: string[];
  initContainers: string[];
  /** `--config` arguments of the main containers (globs like /etc/flyte/config/*.yaml). */
  configGlobs: string[];
  /** Every mount of a ConfigMap or Secret volume (projected sources included): which Secret is where. */
  mounts: ManifestMount[];
  /** `envFrom` of every container (init containers too). */
  envFrom: { kind: 'Secret' | 'ConfigMap'; name: string; optional?: boolean; container?: string }[];
  /** `env[].valueFrom.secretKeyRef / configMapKeyRef` of every container. */
  envRefs: { kind: 'Secret' | 'ConfigMap'; name: string; key?: string; optional?: boolean; container?: string; env?: string }[];
  /** The pod's imagePullSecrets. */
  imagePullSecrets: string[];
  source: string;
}

export type IdentityProvider = 'aws-irsa' | 'gke-workload-identity' | 'azure-workload-identity';
export interface WorkloadIdentity { provider: IdentityProvider; annotation: string; value: string; serviceAccount: string; namespace?: string }
export const IDENTITY_ANNOTATIONS: Record<string, IdentityProvider> = {
  'eks.amazonaws.com/role-arn': 'aws-irsa',
  'iam.gke.io/gcp-service-account': 'gke-workload-identity',
  'azure.workload.identity/client-id': 'azure-workload-identity',
};

export interface ManifestServiceAccount { name: string; namespace?: string; annotations: Record<string, string>; identities: WorkloadIdentity[]; imagePullSecrets: string[]; source: string }
/** A Secret by name and key names only. */
export interface ManifestSecret { name: string; namespace?: string; keys: string[]; type?: string; source: string }

/** The Flyte config a Deployment runs with: the files behind its `--config` globs, in Flyte's order. */
export interface ManifestComponent {
  deployment: string;
  namespace?: string;
  component: string;
  /** Every config file, in merge order (labels; Secret-backed ones included by name only). */
  layerLabels: string[];
  /** ConfigMaps and Secrets it mounts for config that the manifests do not contain (created elsewhere). */
  missing: string[];
}

export interface ChartRef { name: string; version?: string }

const isObj = (v: unknown): v is Dict => isDict(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const strMap = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  if (isObj(v)) for (const [k, x] of Object.entries(v)) { const s = str(x); if (s !== undefined) out[k] = s; }
  return out;
};
const objLabel = (kind: string, ns: string | undefined, name: string) => `${kind} ${ns ? `${ns}/` : ''}${name}`;

/**
 * What rendered manifests hold. Secret values live only in a private field (never enumerated,
 * never serialized): secretValue() hands one out for a password, the rest is names.
 */
export class ManifestSet {
  readonly inputs: string[] = [];
  readonly objects: ManifestObject[] = [];
  /** Every ConfigMap key holding a Flyte config file (label `ConfigMap ns/name key k`). */
  readonly configLayers: ServerConfigLayer[] = [];
  readonly components: ManifestComponent[] = [];
  readonly ingresses: ManifestIngress[] = [];
  readonly deployments: ManifestDeployment[] = [];
  readonly serviceAccounts: ManifestServiceAccount[] = [];
  readonly secrets: ManifestSecret[] = [];
  readonly charts: ChartRef[] = [];
  /** The Flyte chart the manifests come from. */
  chart?: Chart;
  readonly namespaces: string[] = [];
  readonly releases: string[] = [];
  /** Access key ids seen in ConfigMap configs (shown as first4…last4). */
  readonly identifiers: string[] = [];
  #secretData = new Map<string, Map<string, string>>();
  #secretValues: string[] = [];
  #layers = new Map<string, ServerConfigLayer[]>();

  /** @internal */ putSecret(ns: string | undefined, name: string, data: Map<string, string>): void { this.#secretData.set(`${ns ?? ''}/${name}`, data); }
  /** @internal */ putSecretValues(values: string[]): void { this.#secretValues = values; }
  /** Every Secret value (and every value inside a Secret-held config file), for the redactor; kept out of every field. */
  secretValues(): string[] { return [...this.#secretValues]; }
  /** @internal */ putLayers(key: string, layers: ServerConfigLayer[]): void { this.#layers.set(key, layers); }

  /** A Secret's value at a key (a namespace-less Secret matches any namespace: helm leaves it to the release's). */
  secretValue(namespace: string | undefined, name: string, key: string): string | undefined {
    return (this.#secretData.get(`${namespace ?? ''}/${name}`) ?? this.#secretData.get(`/${name}`) ?? this.#findByName(name))?.get(key);
  }

  hasSecret(namespace: string | undefined, name: string): boolean {
    return this.#secretData.has(`${namespace ?? ''}/${name}`) || this.#secretData.has(`/${name}`) || !!this.#findByName(name, namespace === undefined);
  }

  #findByName(name: string, any = true): Map<string, string> | undefined {
    if (!any) return undefined;
    for (const [k, v] of this.#secretData) if (k.endsWith(`/${name}`) && k.indexOf('/') === k.length - name.length - 1) return v;
    return undefined;
  }

  /** The config layers of a component (ConfigMap and Secret keys), in Flyte's merge order. */
  layersOf(c: Pick<ManifestComponent, 'deployment' | 'namespace'>): ServerConfigLayer[] {
    return this.#layers.get(`${c.namespace ?? ''}/${c.deployment}`) ?? [];
  }
}

// ---------------------------------------------------------------------------------------------
// reading input

interface Input { label: string; text: string }

function listDir(root: string, given: string): string[] {
  const files: string[] = [];
  let entries = 0;
  const walk = (dir: string, rel: string, depth: number): void => {
    let d;
    try { d = opendirSync(dir); } catch (e) { throw new UserError(`--manifests ${given}: cannot read directory ${rel || '.'}: ${fsReason(e)}`); }
    try {
      const names: { name: string; dir: boolean }[] = [];
      for (let ent = d.readSync(); ent; ent = d.readSync()) {
        if (++entries > MAX_ENTRIES) throw new UserError(`--manifests ${given}: the directory holds more than ${MAX_ENTRIES} entries: expected a directory of rendered manifests (helm template --output-dir)`);
        if (ent.name.startsWith('.')) continue;
        const p = join(dir, ent.name);
        let isDir = ent.isDirectory();
        if (ent.isSymbolicLink()) {
          // A symlinked directory is not followed (no loops); a symlinked file is read (a loop fails there).
          let t: Stats | undefined;
          try { t = statSync(p); } catch { t = undefined; }
          if (t?.isDirectory()) continue;
          isDir = false;
        }
        if (isDir) { if (depth < MAX_DEPTH) names.push({ name: ent.name, dir: true }); continue; }
        if (/\.(ya?ml|json)$/i.test(ent.name)) names.push({ name: ent.name, dir: false });
      }
      names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const n of names) {
        const r = rel ? `${rel}/${n.name}` : n.name;
        if (n.dir) walk(join(dir, n.name), r, depth + 1);
        else {
          files.push(r);
          if (files.length > MANIFEST_MAX_FILES) throw new UserError(`--manifests ${given}: more than ${MANIFEST_MAX_FILES} manifest files (*.yaml, *.yml, *.json): expected the rendered manifests of one release`);
        }
      }
    } finally { d.closeSync(); }
  };
  walk(root, '', 0);
  return files;
}

function readInputs(given: string, cwd: string, readStdin: () => string): Input[] {
  if (given === '-') return [{ label: '<stdin>', text: readStdin() }];
  if (given === '') throw new UserError('--manifests: expected a file, a directory or - (standard input)');
  const abs = resolve(cwd, given);
  let st: Stats;
  try { st = statSync(abs); } catch (e) {
    let link: Stats | undefined;
    try { link = lstatSync(abs); } catch { link = undefined; }
    throw new UserError(`--manifests: cannot read ${given}: ${link?.isSymbolicLink() && (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'a symbolic link to nothing' : fsReason(e)}`);
  }
  if (!st.isDirectory()) return [{ label: given, text: readInputFile('--manifests', given, cwd, { limit: MANIFEST_FILE_LIMIT, what: 'manifest files', yaml: true }) }];
  const files = listDir(abs, given);
  if (!files.length) throw new UserError(`--manifests ${given}: the directory holds no *.yaml, *.yml or *.json file: expected rendered manifests (helm template --output-dir <dir>)`);
  let total = 0;
  return files.map((f) => {
    const label = join(given, f);
    const text = readInputFile('--manifests', label, cwd, { limit: MANIFEST_FILE_LIMIT, what: 'manifest files', yaml: true });
    total += Buffer.byteLength(text);
    if (total > MANIFEST_TOTAL_LIMIT) throw new UserError(`--manifests ${given}: the files are more than ${mib(MANIFEST_TOTAL_LIMIT)} together, over the limit for manifests; pass only the Flyte release's manifests`);
    return { label, text };
  });
}

/**
 * The documents of a multi-document YAML text, each parsed with the one safe parser (errors give
 * the line in the file). `---` lines split documents; `...` ends one.
 */
export function parseDocuments(label: string, text: string, budget: { aliases: number } = { aliases: 0 }): { doc: unknown; line: number }[] {
  const lines = text.split(/\r?\n/);
  const out: { doc: unknown; line: number }[] = [];
  let start = 0;
  let buf: string[] = [];
  let docs = 0;
  const flush = () => {
    const body = buf.join('\n');
    buf = [];
    const first = body.split('\n').findIndex((l) => l.trim() && !l.trim().startsWith('#'));
    if (first < 0) return;
    if (++docs > MAX_OBJECTS) throw new UserError(`${label}: more than ${MAX_OBJECTS} documents: expected the manifests of one release`);
    budget.aliases += aliasCount(body);
    if (budget.aliases > MAX_SET_ALIASES) throw new UserError(`${label}:${start + 1 + first}: more than ${MAX_SET_ALIASES} YAML aliases (*name) in the manifests together (an alias bomb spread over documents?): expected rendered manifests (helm template output), which rarely hold any`);
    let doc: unknown;
    try { doc = parseYaml(label, body); } catch (e) {
      // Line numbers of the file, not of the document.
      if (e instanceof UserError && e.message.startsWith(`${label}:`)) {
        const m = /^:(\d+):(\d+):/.exec(e.message.slice(label.length));
        if (m) throw new UserError(`${label}:${Number(m[1]) + start}:${m[2]}:${e.message.slice(label.length + m[0].length)}`);
      }
      throw e;
    }
    if (doc !== null && doc !== undefined) out.push({ doc, line: start + 1 + first });
  };
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const m = /^---(?=\s|$)(.*)$/.exec(l);
    if (m) {
      flush();
      start = i;
      buf.push(`   ${m[1]}`);
      continue;
    }
    if (/^\.\.\.\s*$/.test(l)) { flush(); start = i + 1; continue; }
    if (!buf.length) start = i;
    buf.push(l);
  }
  flush();
  return out;
}

/**
 * The alias nodes (`*name`) of one document, counted on the parse tree (never expanded); 0 at once
 * for a text without both an anchor-like `&x` and an alias-like `*x` (nearly every document).
 */
function aliasCount(body: string): number {
  if (!/&[^\s,[\]{}]/.test(body) || !/\*[^\s,[\]{}]/.test(body)) return 0;
  let n = 0;
  try {
    visit(parseDocument(body, { prettyErrors: false, uniqueKeys: false }), { Alias: () => { n++; } });
  } catch { return 0; } // (the parse below reports it)
  return n;
}

// ---------------------------------------------------------------------------------------------
// building the set

const GRPC_PATH = /^\/(flyteidl\.service\.|grpc\.health\.v1\.)/;
const FLYTE_SECTIONS_STRONG = ['database', 'storage', 'propeller', 'datacatalog', 'application', 'flyteadmin', 'flyte', 'catalog-cache', 'tasks', 'task_resources',
  'cluster_resources', 'domains', 'auth', 'scheduler', 'event', 'remotedata', 'clusters', 'namespace_mapping', 'manager', 'otel', 'webhook'];

function chartOf(labels: Record<string, string>): ChartRef | undefined {
  const c = labels['helm.sh/chart'] ?? labels['chart'];
  if (!c) return undefined;
  const m = /^(.*?)-v?(\d+(?:\.\d+)*(?:[-+][0-9A-Za-z.-]+)?)$/.exec(c);
  return m ? { name: m[1]!, version: c.slice(m[1]!.length + 1) } : { name: c };
}

function globRe(pattern: string): RegExp {
  const re = pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]').replace(/\[!/g, '[^');
  return new RegExp(`^${re}$`);
}

/** `--config X` / `--config=X` in a container's command and args (also inside `sh -c "…"`). */
function configArgs(c: Dict): string[] {
  const words = [...arr(c['command']), ...arr(c['args'])].map(str).filter((w): w is string => w !== undefined).flatMap((w) => w.split(/\s+/)).filter(Boolean);
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!.replace(/^["']|["']$/g, '');
    if (w === '--config' && words[i + 1]) out.push(words[++i]!.replace(/^["']|["']$/g, ''));
    else if (w.startsWith('--config=')) out.push(w.slice('--config='.length));
  }
  return out;
}

function volumeSources(v: Dict): { sources: VolumeSource[]; other?: string } {
  const items = (x: unknown) => {
    const l = arr(x).filter(isObj).map((i) => ({ key: str(i['key']) ?? '', path: str(i['path']) ?? str(i['key']) ?? '' })).filter((i) => i.key);
    return l.length ? { items: l } : {};
  };
  const opt = (x: Dict) => (x['optional'] === true ? { optional: true } : {});
  if (isObj(v['configMap'])) { const n = str(v['configMap']['name']); return { sources: n ? [{ kind: 'ConfigMap', name: n, ...items(v['configMap']['items']), ...opt(v['configMap']) }] : [] }; }
  if (isObj(v['secret'])) { const n = str(v['secret']['secretName']); return { sources: n ? [{ kind: 'Secret', name: n, ...items(v['secret']['items']), ...opt(v['secret']) }] : [] }; }
  if (isObj(v['projected'])) {
    const sources: VolumeSource[] = [];
    for (const s of arr(v['projected']['sources']).filter(isObj)) {
      if (isObj(s['configMap']) && str(s['configMap']['name'])) sources.push({ kind: 'ConfigMap', name: str(s['configMap']['name'])!, ...items(s['configMap']['items']), ...opt(s['configMap']) });
      if (isObj(s['secret']) && str(s['secret']['name'])) sources.push({ kind: 'Secret', name: str(s['secret']['name'])!, ...items(s['secret']['items']), ...opt(s['secret']) });
    }
    return { sources };
  }
  const kind = Object.keys(v).find((k) => k !== 'name');
  return { sources: [], ...(kind ? { other: kind } : {}) };
}

interface RawConfigMap { name: string; namespace?: string; data: Map<string, string>; labels: Record<string, string> }

function isBase64(s: string): boolean {
  const t = s.replace(/\s+/g, '');
  return /^[A-Za-z0-9+/]*={0,2}$/.test(t) && t.length % 4 === 0;
}

/** Every leaf of a parsed Secret-held config file is a secret. */
function leaves(v: unknown, into: Credentials, depth = 0): void {
  if (depth > 70) return;
  if (typeof v === 'string' || typeof v === 'number') { into.secret(v); return; }
  if (Array.isArray(v)) { for (const x of v) leaves(x, into, depth + 1); return; }
  if (isObj(v)) for (const x of Object.values(v)) leaves(x, into, depth + 1);
}

/**
 * Reads rendered manifests: a file, a directory (every *.yaml, *.yml and *.json, sorted, in
 * subdirectories too) or `-` (stdin). `readStdin` replaces the stdin reader (tests).
 */
export function readManifests(given: string, cwd: string, readStdin: () => string = () => readStdinText(0, MANIFEST_FILE_LIMIT)): ManifestSet {
  const inputs = readInputs(given, cwd, readStdin);
  const budget = { aliases: 0 };
  return buildSet(inputs.map((input) => {
    const docs = parseDocuments(input.label, input.text, budget);
    if (!docs.length && inputs.length === 1) {
      throw new UserError(given === '-' ? '--manifests -: standard input holds no Kubernetes objects: pipe helm template output into it' : `${input.label}: no Kubernetes objects in it: expected rendered manifests (helm template output)`);
    }
    return { label: input.label, docs };
  }));
}

/**
 * A ManifestSet from objects already parsed (read from the API server: verify's live config).
 * `where` names each object's origin, e.g. `cluster: ConfigMap flyte/x`.
 */
export function manifestSetFromObjects(label: string, objects: { obj: unknown; where: string }[]): ManifestSet {
  return buildSet([{ label, docs: objects.map((o, i) => ({ doc: o.obj, line: i + 1, where: o.where })) }]);
}

function buildSet(inputs: { label: string; docs: { doc: unknown; line: number; where?: string }[] }[]): ManifestSet {
  const set = new ManifestSet();
  const creds = new Credentials();
  const configMaps: RawConfigMap[] = [];
  const charts = new Map<string, ChartRef>();
  const namespaces = new Set<string>();
  const releases = new Set<string>();
  for (const input of inputs) {
    set.inputs.push(input.label);
    const queue: { doc: unknown; line: number; where?: string; inList?: string }[] = input.docs.map((d) => ({ ...d }));
    for (let qi = 0; qi < queue.length; qi++) {
      const { doc, line, inList } = queue[qi]!;
      const where = `${queue[qi]!.where ?? `${input.label}:${line}`}${inList ? ` (${inList})` : ''}`;
      if (doc === null || doc === undefined) continue;
      if (!isObj(doc)) throw new UserError(`${where}: expected a Kubernetes object (a map with apiVersion, kind and metadata), got ${shortJson(doc)}`);
      const kind = doc['kind'];
      if (typeof kind !== 'string' || !kind) {
        const hint = serverConfigReason(doc) ? '; this looks like a Flyte server config: pass it with --server-config' : ('configuration' in doc || 'db' in doc || 'configmap' in doc) ? '; this looks like Helm values: pass it with --values' : '';
        throw new UserError(`${where}: expected a Kubernetes object (a map with apiVersion, kind and metadata), got ${shortJson(doc)}${hint}`);
      }
      if (typeof doc['apiVersion'] !== 'string') throw new UserError(`${where}: ${kind}: expected apiVersion to be a string, got ${shortJson(doc['apiVersion'])}`);
      if (kind === 'List' || (kind.endsWith('List') && Array.isArray(doc['items']))) {
        if (!Array.isArray(doc['items'])) throw new UserError(`${where}: ${kind}: expected items to be a list, got ${shortJson(doc['items'])}`);
        if (queue.length + doc['items'].length > MAX_OBJECTS) throw new UserError(`${input.label}: more than ${MAX_OBJECTS} objects: expected the manifests of one release`);
        doc['items'].forEach((item, i) => queue.push({ doc: item, line, ...(queue[qi]!.where ? { where: queue[qi]!.where! } : {}), inList: `${kind} item ${i}` }));
        continue;
      }
      const md = doc['metadata'];
      if (!isObj(md) || typeof md['name'] !== 'string' || !md['name']) throw new UserError(`${where}: ${kind}: expected metadata.name to be a string, got ${shortJson(isObj(md) ? md['name'] : md)}`);
      if (set.objects.length >= MAX_OBJECTS) throw new UserError(`${input.label}: more than ${MAX_OBJECTS} objects: expected the manifests of one release`);
      const name = md['name'];
      const namespace = typeof md['namespace'] === 'string' && md['namespace'] ? md['namespace'] : undefined;
      const labels = strMap(md['labels']);
      const source = where;
      set.objects.push({ kind, apiVersion: doc['apiVersion'], name, ...(namespace ? { namespace } : {}), labels, source });
      if (namespace) namespaces.add(namespace);
      const ch = chartOf(labels);
      if (ch) charts.set(`${ch.name}@${ch.version ?? ''}`, ch);
      const rel = labels['app.kubernetes.io/instance'] ?? labels['release'];
      if (rel) releases.add(rel);
      const spec = isObj(doc['spec']) ? doc['spec'] : {};
      switch (kind) {
        case 'ConfigMap': {
          const data = new Map<string, string>();
          const d = doc['data'];
          if (d !== undefined && d !== null && !isObj(d)) throw new UserError(`${where}: ConfigMap ${name}: expected data to be a map of strings, got ${shortJson(d)}`);
          if (isObj(d)) for (const [k, v] of Object.entries(d)) {
            const s = str(v);
            if (s === undefined && v !== null) throw new UserError(`${where}: ConfigMap ${name}: data.${k}: expected a string, got ${shortJson(v)}`);
            if (s !== undefined) data.set(k, s);
          }
          configMaps.push({ name, ...(namespace ? { namespace } : {}), data, labels });
          break;
        }
        case 'Secret': {
          const data = new Map<string, string>();
          for (const field of ['data', 'stringData'] as const) {
            const d = doc[field];
            if (d === undefined || d === null) continue;
            if (!isObj(d)) throw new UserError(`${where}: Secret ${name}: expected ${field} to be a map of strings, got ${Array.isArray(d) ? 'a list' : `a ${typeof d}`}`);
            for (const [k, v] of Object.entries(d)) {
              if (v === null || v === undefined) continue;
              const s = str(v);
              if (s === undefined) throw new UserError(`${where}: Secret ${name}: ${field}.${k}: expected a string, got ${Array.isArray(v) ? 'a list' : 'a map'}`);
              if (field === 'data' && !isBase64(s)) throw new UserError(`${where}: Secret ${name}: data.${k}: expected base64 (use stringData for plain text)`);
              data.set(k, field === 'data' ? Buffer.from(s.replace(/\s+/g, ''), 'base64').toString('utf8') : s);
            }
          }
          for (const v of data.values()) {
            creds.secret(v);
            creds.scanText(v);
            if (/^[\s\S]*:\s/.test(v) && v.length < 256 * 1024) {
              try { leaves(parseYaml('(secret)', v), creds); } catch { /* not YAML: the whole value is the secret */ }
            }
          }
          set.putSecret(namespace, name, data);
          set.secrets.push({ name, ...(namespace ? { namespace } : {}), keys: [...data.keys()].sort(), ...(typeof doc['type'] === 'string' ? { type: doc['type'] } : {}), source });
          break;
        }
        case 'ServiceAccount': {
          const annotations = strMap(md['annotations']);
          const identities: WorkloadIdentity[] = Object.entries(annotations).filter(([k, v]) => IDENTITY_ANNOTATIONS[k] && v.trim())
            .map(([k, v]) => ({ provider: IDENTITY_ANNOTATIONS[k]!, annotation: k, value: v, serviceAccount: name, ...(namespace ? { namespace } : {}) }));
          set.serviceAccounts.push({ name, ...(namespace ? { namespace } : {}), annotations, identities, imagePullSecrets: pullSecrets(doc['imagePullSecrets']), source });
          break;
        }
        case 'Ingress': set.ingresses.push(readIngress(md, spec, name, namespace, source)); break;
        case 'Deployment': set.deployments.push(readDeployment(spec, name, namespace, labels, source)); break;
        default: break;
      }
    }
  }
  set.charts.push(...charts.values());
  set.namespaces.push(...[...namespaces].sort());
  set.releases.push(...[...releases].sort());
  const names = set.charts.map((c) => c.name);
  const chart: Chart | undefined = names.includes('flyte-core') ? 'flyte-core' : names.includes('flyte-binary') ? 'flyte-binary'
    : set.deployments.some((d) => d.component === 'flyte-binary') ? 'flyte-binary' : set.deployments.some((d) => ['flyteadmin', 'datacatalog', 'flytepropeller'].includes(d.name)) ? 'flyte-core' : undefined;
  if (chart) set.chart = chart;
  buildComponents(set, configMaps, creds);
  set.putSecretValues([...creds.secrets].filter(Boolean));
  set.identifiers.push(...[...creds.identifiers].filter((x) => x && !creds.secrets.has(x)));
  return set;
}

function readIngress(md: Dict, spec: Dict, name: string, namespace: string | undefined, source: string): ManifestIngress {
  const annotations = strMap(md['annotations']);
  const paths: IngressPath[] = [];
  const hosts: string[] = [];
  for (const rule of arr(spec['rules']).filter(isObj)) {
    const host = str(rule['host']);
    if (host && !hosts.includes(host)) hosts.push(host);
    const http = isObj(rule['http']) ? rule['http'] : {};
    for (const p of arr(http['paths']).filter(isObj)) {
      const be = isObj(p['backend']) ? p['backend'] : {};
      const svc = isObj(be['service']) ? be['service'] : {};
      const port = isObj(svc['port']) ? (typeof svc['port']['number'] === 'number' ? svc['port']['number'] : str(svc['port']['name'])) : undefined;
      const service = str(svc['name']) ?? str(be['serviceName']);
      const legacyPort = be['servicePort'];
      paths.push({ ...(host ? { host } : {}), path: str(p['path']) ?? '/', ...(str(p['pathType']) ? { pathType: str(p['pathType'])! } : {}), ...(service ? { service } : {}),
        ...(port !== undefined ? { port } : typeof legacyPort === 'number' || typeof legacyPort === 'string' ? { port: legacyPort } : {}) });
    }
  }
  const tls = arr(spec['tls']).filter(isObj).map((t) => ({ ...(str(t['secretName']) ? { secretName: str(t['secretName'])! } : {}), hosts: arr(t['hosts']).map(str).filter((h): h is string => h !== undefined) }));
  for (const t of tls) for (const h of t.hosts) if (h && !hosts.includes(h)) hosts.push(h);
  const cls = str(spec['ingressClassName']);
  const annCls = annotations['kubernetes.io/ingress.class'];
  const grpc = paths.some((p) => GRPC_PATH.test(p.path)) || Object.entries(annotations).some(([k, v]) => /backend-protocol/.test(k) && /^grpcs?$/i.test(v));
  return { name, ...(namespace ? { namespace } : {}), ...(cls ? { className: cls, classSource: 'spec.ingressClassName' } : annCls ? { className: annCls, classSource: 'metadata.annotations.kubernetes.io/ingress.class' } : {}),
    hosts, paths, tls, annotations, grpc, source };
}

function readDeployment(spec: Dict, name: string, namespace: string | undefined, labels: Record<string, string>, source: string): ManifestDeployment {
  const tpl = isObj(spec['template']) ? spec['template'] : {};
  const podLabels = strMap(isObj(tpl['metadata']) ? tpl['metadata']['labels'] : undefined);
  const pod = isObj(tpl['spec']) ? tpl['spec'] : {};
  const containers = arr(pod['containers']).filter(isObj);
  const inits = arr(pod['initContainers']).filter(isObj);
  const volumes = new Map<string, Dict>();
  for (const v of arr(pod['volumes']).filter(isObj)) { const n = str(v['name']); if (n) volumes.set(n, v); }
  const mounts: ManifestMount[] = [];
  for (const c of [...containers, ...inits]) {
    const cname = str(c['name']) ?? '?';
    for (const m of arr(c['volumeMounts']).filter(isObj)) {
      const vol = str(m['name']);
      const mountPath = str(m['mountPath']);
      if (!vol || !mountPath) continue;
      const v = volumes.get(vol);
      const vs = v ? volumeSources(v) : { sources: [], other: 'missing volume' };
      mounts.push({ container: cname, volume: vol, mountPath: mountPath.replace(/\/+$/, '') || '/', ...(str(m['subPath']) ? { subPath: str(m['subPath'])! } : {}), sources: vs.sources, ...(vs.other ? { other: vs.other } : {}) });
    }
  }
  const envFrom: ManifestDeployment['envFrom'] = [];
  const envRefs: ManifestDeployment['envRefs'] = [];
  for (const c of [...containers, ...inits]) {
    const container = str(c['name']);
    for (const e of arr(c['envFrom']).filter(isObj)) {
      for (const [field, kind] of [['secretRef', 'Secret'], ['configMapRef', 'ConfigMap']] as const) {
        const ref = e[field];
        const n = isObj(ref) ? str(ref['name']) : undefined;
        if (n) envFrom.push({ kind, name: n, ...(isObj(ref) && ref['optional'] === true ? { optional: true } : {}), ...(container ? { container } : {}) });
      }
    }
    for (const e of arr(c['env']).filter(isObj)) {
      const vf = e['valueFrom'];
      if (!isObj(vf)) continue;
      for (const [field, kind] of [['secretKeyRef', 'Secret'], ['configMapKeyRef', 'ConfigMap']] as const) {
        const ref = vf[field];
        const n = isObj(ref) ? str(ref['name']) : undefined;
        if (!n || !isObj(ref)) continue;
        const key = str(ref['key']), env = str(e['name']);
        envRefs.push({ kind, name: n, ...(key ? { key } : {}), ...(ref['optional'] === true ? { optional: true } : {}), ...(container ? { container } : {}), ...(env ? { env } : {}) });
      }
    }
  }
  const all = { ...labels, ...podLabels };
  const component = all['app.kubernetes.io/component'] ?? all['app.kubernetes.io/name'] ?? all['app'] ?? name;
  const replicas = typeof spec['replicas'] === 'number' ? spec['replicas'] : undefined;
  return {
    name, ...(namespace ? { namespace } : {}), component, labels: all, ...(replicas !== undefined ? { replicas } : {}),
    serviceAccountName: str(pod['serviceAccountName']) ?? str(pod['serviceAccount']) ?? 'default',
    images: [...new Set([...containers, ...inits].map((c) => str(c['image'])).filter((i): i is string => !!i))],
    initContainers: inits.map((c) => str(c['name'])).filter((n): n is string => !!n),
    configGlobs: [...new Set(containers.flatMap(configArgs))],
    mounts, envFrom, envRefs, imagePullSecrets: pullSecrets(pod['imagePullSecrets']), source,
  };
}

/** `imagePullSecrets: [{name}]` (or plain names, as some renders have them). */
function pullSecrets(v: unknown): string[] {
  return arr(v).map((x) => (isObj(x) ? str(x['name']) : str(x))).filter((n): n is string => !!n);
}

function buildComponents(set: ManifestSet, configMaps: RawConfigMap[], creds: Credentials): void {
  const cmOf = (ns: string | undefined, name: string) => configMaps.find((c) => c.name === name && (c.namespace === ns || c.namespace === undefined || ns === undefined));
  const mountedKeys = new Set<string>();
  const parsed = new Map<string, ServerConfigLayer | null>();
  const parseLayer = (label: string, text: string, secret: boolean): ServerConfigLayer | null => {
    const hit = parsed.get(label);
    if (hit !== undefined) return hit;
    let data: unknown;
    try { data = parseYaml(label, text); } catch (e) {
      if (secret && e instanceof UserError) throw new UserError(`${label}: invalid YAML in a Flyte config file held by a Secret (contents not shown)`);
      throw e;
    }
    let layer: ServerConfigLayer | null = null;
    if (data !== null && data !== undefined) {
      if (!isObj(data)) throw new UserError(`${label}: expected a Flyte config file (a map of sections), got ${secret ? 'something else (contents not shown)' : shortJson(data)}`);
      layer = { label, values: data };
      if (secret) leaves(data, creds); else creds.scanTree(data);
    }
    parsed.set(label, layer);
    return layer;
  };
  for (const d of set.deployments) {
    if (!d.configGlobs.length) continue;
    const files = new Map<string, { label: string; text: string; secret: boolean }>();
    const missing: string[] = [];
    const main = new Set(d.mounts.filter((m) => !m.subPath).map((m) => m.mountPath));
    for (const g of d.configGlobs) {
      const dir = posix.dirname(g).replace(/\/+$/, '') || '/';
      const re = globRe(posix.basename(g));
      const mount = d.mounts.find((m) => m.mountPath === dir && !m.subPath && main.has(m.mountPath));
      if (!mount) continue;
      for (const src of mount.sources) {
        const keys: { key: string; path: string }[] = [];
        if (src.kind === 'ConfigMap') {
          const cm = cmOf(d.namespace, src.name);
          if (!cm) { if (!src.optional) missing.push(objLabel('ConfigMap', d.namespace, src.name)); continue; }
          for (const k of cm.data.keys()) keys.push({ key: k, path: k });
          const items = src.items;
          for (const { key, path } of items ?? keys) {
            if (!re.test(path)) continue;
            const text = cm.data.get(key);
            if (text === undefined) continue;
            const label = `ConfigMap ${cm.namespace ?? d.namespace ?? ''}${cm.namespace ?? d.namespace ? '/' : ''}${cm.name} key ${key}`;
            mountedKeys.add(`${cm.namespace ?? ''}/${cm.name}/${key}`);
            files.set(path, { label, text, secret: false });
          }
        } else {
          if (!set.hasSecret(d.namespace, src.name)) { if (!src.optional) missing.push(objLabel('Secret', d.namespace, src.name)); continue; }
          const sec = set.secrets.find((s) => s.name === src.name && (s.namespace === d.namespace || !s.namespace || !d.namespace));
          for (const k of src.items ?? (sec?.keys ?? []).map((key) => ({ key, path: key }))) {
            if (!re.test(k.path)) continue;
            const text = set.secretValue(d.namespace, src.name, k.key);
            if (text === undefined) continue;
            files.set(k.path, { label: `Secret ${sec?.namespace ?? d.namespace ?? ''}${sec?.namespace ?? d.namespace ? '/' : ''}${src.name} key ${k.key}`, text, secret: true });
          }
        }
      }
    }
    // Flyte globs the files (sorted by name) and merges them in that order.
    const ordered = [...files.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const layers = ordered.map(([, f]) => parseLayer(f.label, f.text, f.secret)).filter((l): l is ServerConfigLayer => l !== null);
    if (!layers.length && !missing.length) continue;
    set.putLayers(`${d.namespace ?? ''}/${d.name}`, layers);
    set.components.push({ deployment: d.name, ...(d.namespace ? { namespace: d.namespace } : {}), component: d.component, layerLabels: layers.map((l) => l.label), missing: [...new Set(missing)] });
    for (const l of layers) if (l.label.startsWith('ConfigMap ') && !set.configLayers.some((x) => x.label === l.label)) set.configLayers.push(l);
  }
  // ConfigMaps no Deployment mounts (a partial render, kustomize output): keys that hold a Flyte config.
  for (const cm of configMaps) {
    const ch = chartOf(cm.labels);
    if (ch && !ch.name.startsWith('flyte')) continue;
    const loose: ServerConfigLayer[] = [];
    for (const [key, text] of [...cm.data.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      if (mountedKeys.has(`${cm.namespace ?? ''}/${cm.name}/${key}`) || !/\.ya?ml$/i.test(key)) continue;
      // Templates (`name: {{ namespace }}`: cluster resource templates) are no Flyte config.
      if (/(^|[:-]\s+)\{\{/m.test(text)) continue;
      let data: unknown;
      try { data = parseYaml(`ConfigMap ${cm.name} key ${key}`, text); } catch { continue; }
      if (!isObj(data) || typeof data['kind'] === 'string' || !serverConfigReason(data)) continue;
      if (!Object.keys(data).some((k) => FLYTE_SECTIONS_STRONG.includes(k.toLowerCase()) || (k === 'admin' && isObj(data['admin']) && 'endpoint' in (data['admin'] as Dict)))) continue;
      creds.scanTree(data);
      const layer = { label: `ConfigMap ${cm.namespace ? `${cm.namespace}/` : ''}${cm.name} key ${key}`, values: data };
      set.configLayers.push(layer);
      loose.push(layer);
    }
    if (loose.length && !set.components.length) {
      // No Deployment mounts config: each such ConfigMap is read as one component's config (keys in name order).
      const pseudo = `configmap:${cm.name}`;
      set.putLayers(`${cm.namespace ?? ''}/${pseudo}`, loose);
      set.components.push({ deployment: pseudo, ...(cm.namespace ? { namespace: cm.namespace } : {}), component: cm.name, layerLabels: loose.map((l) => l.label), missing: [] });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// mapping the install

export interface ManifestComponentMapping { deployment: string; component: string; kinds: ServerKind[]; layers: string[]; missing: string[] }

/** The whole install, mapped: a server-config mapping per component merged, plus what only a render has. */
export interface ManifestMapping extends Omit<ServerConfigMapping, 'kindReasons' | 'catalogEndpoint' | 'layers'> {
  chart?: Chart;
  release?: string;
  namespace?: string;
  components: ManifestComponentMapping[];
  ingress?: IngressTarget;
  /** Workload identity of the ServiceAccounts the Flyte Deployments run as. */
  identities: (WorkloadIdentity & { deployments: string[] })[];
}

/** Resolves a passwordPath through the Deployment's volume mounted there (Secret key, or where it comes from). */
function passwordFollower(set: ManifestSet, d: ManifestDeployment | undefined, from: string): (path: string) => { value?: string; source: string } | undefined {
  return (path) => {
    if (!d) return { source: `no Deployment ${from} mounts it: the file is read inside the pod` };
    const m = [...d.mounts].filter((x) => !x.subPath && (path.startsWith(`${x.mountPath}/`) || (x.mountPath === '/' && path.startsWith('/'))))
      .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
    if (!m) return { source: `Deployment ${d.name} mounts no volume at ${posix.dirname(path)}: the file does not exist in the pod` };
    const rel = path.slice(m.mountPath === '/' ? 1 : m.mountPath.length + 1);
    for (const src of [...m.sources].reverse()) {
      const item = src.items?.find((i) => i.path === rel);
      if (src.items && !item) continue;
      const key = item?.key ?? rel;
      const where = `${src.kind} ${d.namespace ? `${d.namespace}/` : ''}${src.name} key ${key}, mounted at ${m.mountPath} by Deployment ${d.name}`;
      if (src.kind === 'Secret') {
        if (!set.hasSecret(d.namespace, src.name)) return { source: `${where}; the Secret is not in ${from}${from === 'the manifests' ? ' (created outside the chart)' : ''}: its password cannot be checked from here` };
        const v = set.secretValue(d.namespace, src.name, key);
        if (v === undefined) { if (src.items || m.sources.length > 1) continue; return { source: `${where}; the Secret has no key ${key}: the pod cannot read the password` }; }
        return { value: v, source: where };
      }
      return { source: `${where} (a ConfigMap: the password is not secret there)` };
    }
    return { source: m.other ? `a ${m.other} volume mounted at ${m.mountPath} by Deployment ${d.name}: filled at run time` : `nothing at ${rel} in the volume mounted at ${m.mountPath} by Deployment ${d.name}` };
  };
}

const ingressLabel = (i: ManifestIngress) => `Ingress ${i.namespace ? `${i.namespace}/` : ''}${i.name}`;

function mapIngress(set: ManifestSet, prov: Provenance): IngressTarget | undefined {
  if (!set.ingresses.length) return undefined;
  const grpc = set.ingresses.find((i) => i.grpc && i.paths.some((p) => GRPC_PATH.test(p.path)) && !i.paths.some((p) => /^\/(console|api)\b/.test(p.path)));
  const http = set.ingresses.find((i) => i !== grpc && i.paths.some((p) => /^\/(console|api|healthcheck)\b/.test(p.path))) ?? set.ingresses.find((i) => i !== grpc) ?? grpc!;
  const valuesKey = set.chart === 'flyte-core' ? 'common.ingress' : 'ingress';
  const albTls = (a: Record<string, string>) => !!a['alb.ingress.kubernetes.io/certificate-arn'] || /HTTPS/.test(a['alb.ingress.kubernetes.io/listen-ports'] ?? '');
  const t: IngressTarget = {
    enabled: true, annotations: http.annotations, grpcAnnotations: (grpc ?? http).annotations, separateGrpcIngress: !!grpc && grpc !== http,
    tls: http.tls.length > 0 || albTls(http.annotations), valuesKey,
  };
  prov['ingress.enabled'] = `${ingressLabel(http)} (rendered)`;
  prov['ingress.separateGrpcIngress'] = grpc && grpc !== http ? `${ingressLabel(grpc)} (gRPC paths in their own Ingress)` : `${ingressLabel(http)} (no separate gRPC Ingress)`;
  prov['ingress.tls'] = http.tls.length ? `${ingressLabel(http)}: spec.tls` : albTls(http.annotations) ? `${ingressLabel(http)}: metadata.annotations (ALB HTTPS listener)` : `${ingressLabel(http)} (no spec.tls)`;
  const tlsEntries = [http, ...(grpc && grpc !== http ? [grpc] : [])].flatMap((i) => i.tls.map((e, n) => ({
    key: `spec.tls[${n}]`, spec: `spec.tls[${n}]`, origin: ingressLabel(i), ...(e.secretName !== undefined ? { secretName: e.secretName } : {}), hosts: e.hosts, ...(i === grpc && grpc !== http ? { grpcOnly: true } : {}),
  })));
  if (tlsEntries.length) t.tlsEntries = tlsEntries;
  const host = http.hosts[0] ?? grpc?.hosts[0];
  if (host) { t.host = host; prov['ingress.host'] = `${ingressLabel(http.hosts[0] ? http : grpc!)}: spec.rules.host`; }
  if (http.className) { t.className = http.className; prov['ingress.className'] = `${ingressLabel(http)}: ${http.classSource}`; }
  return t;
}

/**
 * The whole install: each component's config mapped on its own (flyteadmin's database and
 * datacatalog's are two), storage and auth from flyteadmin (or the single binary), the raw-data
 * bucket from propeller when flyteadmin's config does not name it, passwords followed through the
 * Deployment's volume to the Secret key, ingress host/class/TLS from the Ingress objects, workload
 * identity from the ServiceAccounts the Deployments run as.
 */
export function mapManifests(set: ManifestSet, opts: { env: NodeJS.ProcessEnv; cwd: string; namespace: string; from?: string }): ManifestMapping {
  const from = opts.from ?? 'the manifests';
  const provenance: Provenance = {};
  const secrets = new Set(set.secretValues());
  const identifiers = new Set(set.identifiers);
  const warnings: ServerConfigWarning[] = [];
  const valuesKeys = set.chart === 'flyte-binary' ? { storage: 'configuration.storage', database: 'configuration.database', auth: 'configuration.auth' }
    : set.chart === 'flyte-core' ? { storage: 'storage', auth: 'configmap.adminServer.auth' } : undefined;
  const mapped: { c: ManifestComponent; m: ServerConfigMapping }[] = [];
  for (const c of set.components) {
    const d = set.deployments.find((x) => x.name === c.deployment && x.namespace === c.namespace);
    const layers = set.layersOf(c);
    if (!layers.length) {
      for (const miss of c.missing) warnings.push({ key: miss, source: `Deployment ${c.deployment}`, message: `Deployment ${c.deployment} reads its Flyte config from ${miss}, which is not in ${from}` });
      continue;
    }
    const dbKey = set.chart === 'flyte-core' ? (c.component === 'datacatalog' ? 'db.datacatalog.database' : 'db.admin.database') : valuesKeys?.database;
    const m = mapServerConfig(layers, { env: opts.env, cwd: opts.cwd, namespace: opts.namespace, localFiles: false, resolvePasswordPath: passwordFollower(set, d, from), ...(valuesKeys ? { valuesKeys: { ...valuesKeys, ...(dbKey ? { database: dbKey } : {}) } } : {}) });
    for (const s of m.secrets) secrets.add(s);
    for (const s of m.identifiers) identifiers.add(s);
    for (const w of m.warnings) warnings.push({ ...w, message: `${c.deployment}: ${w.message}` });
    for (const miss of c.missing) warnings.push({ key: miss, source: `Deployment ${c.deployment}`, message: `Deployment ${c.deployment} also reads its Flyte config from ${miss}, which is not in ${from}` });
    mapped.push({ c, m });
  }
  const by = (k: ServerKind, prefer?: string) => mapped.find((x) => x.m.kinds.includes(k) && (!prefer || x.c.deployment === prefer)) ?? mapped.find((x) => x.m.kinds.includes(k));
  const admin = by('single-binary') ?? by('flyteadmin', 'flyteadmin');
  const catalog = admin?.m.kinds.includes('single-binary') ? undefined : by('datacatalog', 'datacatalog');
  const prop = admin?.m.kinds.includes('single-binary') ? admin : by('propeller', 'flytepropeller');
  const out: ManifestMapping = {
    kinds: [...new Set(mapped.flatMap((x) => x.m.kinds))],
    components: mapped.map(({ c, m }) => ({ deployment: c.deployment, component: c.component, kinds: m.kinds, layers: c.layerLabels, missing: c.missing })),
    databases: [], identities: [], provenance, secrets: [], identifiers: [], warnings,
  };
  if (set.chart) { out.chart = set.chart; provenance['chart'] = `manifests: ${set.charts.map((c) => `${c.name}${c.version ? ` ${c.version}` : ''}`).join(', ')}`; }
  const flyteRelease = set.objects.find((o) => o.kind === 'Deployment' && set.components.some((c) => c.deployment === o.name))?.labels['app.kubernetes.io/instance'] ?? set.releases[0];
  if (flyteRelease) { out.release = flyteRelease; provenance['kubernetes.release'] = 'manifests: app.kubernetes.io/instance'; }
  const ns = set.components.find((c) => c.namespace)?.namespace ?? set.namespaces[0];
  if (ns) { out.namespace = ns; provenance['kubernetes.namespace'] = 'manifests: metadata.namespace'; }
  const take = (x: { m: ServerConfigMapping } | undefined, idx: number, role: DatabaseTarget['role']) => {
    const db = x?.m.databases[0];
    if (!db) return;
    out.databases.push({ ...db, role });
    Object.assign(provenance, Object.fromEntries(Object.entries(x!.m.provenance).filter(([k]) => k.startsWith('databases[0].')).map(([k, v]) => [k.replace('databases[0].', `databases[${idx}].`), v])));
  };
  // A partial render (a ConfigMap alone, no Deployment): its database is flyteadmin's unless it says datacatalog.
  take(admin ?? (catalog ? undefined : mapped.find((x) => !x.m.kinds.length && x.m.databases.length)), 0, 'flyteadmin');
  if (catalog && catalog !== admin) take(catalog, out.databases.length, 'datacatalog');
  const storageFrom = admin ?? catalog ?? prop ?? mapped.find((x) => x.m.storage);
  if (storageFrom?.m.storage) {
    out.storage = { ...storageFrom.m.storage };
    Object.assign(provenance, Object.fromEntries(Object.entries(storageFrom.m.provenance).filter(([k]) => k.startsWith('storage.'))));
    if (storageFrom.m.storageAccount) { out.storageAccount = storageFrom.m.storageAccount; provenance['storageAccount'] = storageFrom.m.provenance['storageAccount']!; }
    const ps = prop?.m.storage;
    if (ps && prop !== storageFrom && !out.storage.rawOutputPrefix && ps.rawOutputPrefix) {
      out.storage.rawOutputPrefix = ps.rawOutputPrefix;
      provenance['storage.rawOutputPrefix'] = prop!.m.provenance['storage.rawOutputPrefix']!;
      if (ps.userDataBucket) { out.storage.userDataBucket = ps.userDataBucket; provenance['storage.userDataBucket'] = prop!.m.provenance['storage.userDataBucket']!; }
    }
    for (const x of mapped) {
      const b = x.m.storage?.metadataBucket;
      if (x !== storageFrom && b && out.storage.metadataBucket && b !== out.storage.metadataBucket) {
        warnings.push({ key: 'storage.container', source: x.m.provenance['storage.metadataBucket'] ?? x.c.deployment, message: `${x.c.deployment} uses bucket ${b} but ${storageFrom.c.deployment} uses ${out.storage.metadataBucket}: the components do not share their metadata` });
      }
    }
  }
  if (admin?.m.auth) {
    out.auth = admin.m.auth;
    out.authEnabled = admin.m.auth.enabled;
    Object.assign(provenance, Object.fromEntries(Object.entries(admin.m.provenance).filter(([k]) => k.startsWith('auth.'))));
  }
  const ep = prop?.m.adminEndpoint ?? mapped.find((x) => x.m.adminEndpoint)?.m.adminEndpoint;
  if (ep) {
    out.adminEndpoint = ep;
    const src = (prop?.m.adminEndpoint ? prop : mapped.find((x) => x.m.adminEndpoint))!;
    provenance['adminEndpoint.endpoint'] = src.m.provenance['adminEndpoint.endpoint']!;
    provenance['adminEndpoint.insecure'] = src.m.provenance['adminEndpoint.insecure']!;
  }
  const src = admin?.m;
  if (src?.projects) { out.projects = src.projects; provenance['projects'] = src.provenance['projects']!; }
  if (src?.domains) { out.domains = src.domains; provenance['domains'] = src.provenance['domains']!; }
  if (src?.taskResourceDefaults) { out.taskResourceDefaults = src.taskResourceDefaults; for (const k of ['cpu', 'memory']) if (src.provenance[`taskResourceDefaults.${k}`]) provenance[`taskResourceDefaults.${k}`] = src.provenance[`taskResourceDefaults.${k}`]!; }
  // flyteadmin's namespace mapping, and the cluster resource sync's when it differs (it then creates other namespaces).
  const syncCfg = mapped.find((x) => x.m.kinds.includes('clusterresource'))?.m.namespaceMapping;
  const adminNs = src?.namespaceMapping;
  if (adminNs || syncCfg) {
    const nm: NamespaceMapping = adminNs ? { ...adminNs } : { template: DEFAULT_NAMESPACE_TEMPLATE, source: 'default (flyteadmin\'s config sets no namespace_mapping)', key: 'namespace_mapping.template' };
    const syncTemplate = syncCfg?.template ?? DEFAULT_NAMESPACE_TEMPLATE;
    if (mapped.some((x) => x.m.kinds.includes('clusterresource')) && syncTemplate !== nm.template) nm.sync = { template: syncTemplate, source: syncCfg?.source ?? 'default (the sync\'s config sets no namespace_mapping)' };
    out.namespaceMapping = nm;
    provenance['namespaceMapping.template'] = nm.source;
  }
  const ingress = mapIngress(set, provenance);
  if (ingress) out.ingress = ingress;
  // Workload identity of the ServiceAccounts the Flyte Deployments run as.
  const flyteDeps = set.deployments.filter((d) => set.components.some((c) => c.deployment === d.name && c.namespace === d.namespace));
  for (const sa of set.serviceAccounts) {
    const users = (flyteDeps.length ? flyteDeps : set.deployments).filter((d) => d.serviceAccountName === sa.name && (!sa.namespace || !d.namespace || sa.namespace === d.namespace)).map((d) => d.name);
    if (!users.length) continue;
    for (const id of sa.identities) {
      out.identities.push({ ...id, deployments: users });
      provenance[`identity.${sa.name}`] = `ServiceAccount ${sa.namespace ? `${sa.namespace}/` : ''}${sa.name}: metadata.annotations.${id.annotation}`;
    }
  }
  out.secrets = [...secrets].filter(Boolean);
  out.identifiers = [...identifiers].filter((x) => x && !secrets.has(x));
  return out;
}
