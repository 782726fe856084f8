// Flyte's own server config files (flytestdlib YAML): what flyteadmin, datacatalog, flytepropeller,
// the scheduler and the single binary read with `--config a.yaml --config b.yaml` (or a glob of a
// mounted ConfigMap). Layers merge in order (later wins, maps merge deeply), keys are
// case-insensitive like viper's (`Storage:` is `storage:`, `signedURL` is `signedUrl`), and the
// flytestdlib defaults apply where no layer sets a key (facts §C1, §D1). The mapping gives the same
// Target fields as a chart's values (src/config/charts.ts), with provenance `<layer>: <key>` per
// field, where a layer is a file or `ConfigMap ns/name key 002-database.yaml` from rendered
// manifests (src/config/manifests.ts). Every credential is a secret; provenance never holds a value.
import { UserError } from '../errors.js';
import { knownSslmode, parseLibpqOptions, runtimeParamsOf } from './libpq.js';
import { bucketOf, Reader, STDLIB, urlPassword } from './charts.js';
import { Credentials } from './credentials.js';
import { checkReadableLater, readInputFile, SECRET_FILE_LIMIT } from './read.js';
import { Secret } from './secret.js';
import type { AuthTarget, DatabaseTarget, Provenance, StorageProvider, StorageTarget } from './target.js';
import { templateOf, type NamespaceMapping } from '../flyte/namespaces.js';
import { CHART_DEFAULT, formatPath, isDict, MergedValues, parseYaml, shortJson } from './values.js';
import type { Dict, Path } from './values.js';

/** One config file Flyte reads: a file (label = the path as given) or a ConfigMap/Secret key of a manifest. */
export interface ServerConfigLayer {
  label: string;
  values: Dict;
}

export type ServerKind = 'flyteadmin' | 'datacatalog' | 'propeller' | 'single-binary' | 'scheduler' | 'clusterresource';

/** Something the config sets that Flyte ignores or refuses at start-up (not an input error: a finding). */
export interface ServerConfigWarning {
  /** The key concerned, e.g. `storage.stow.kind`. */
  key: string;
  /** Where it is set (`<layer>: <key>`), or `not set`. */
  source: string;
  message: string;
}

export interface ServerConfigMapping {
  /** What the layers configure, by the sections present. */
  kinds: ServerKind[];
  /** Why each kind was detected, e.g. `has datacatalog.* (datacatalog)`. */
  kindReasons: string[];
  databases: DatabaseTarget[];
  storage?: StorageTarget;
  /** Azure storage account (stow kind azure `account`), when set. */
  storageAccount?: string;
  /** Set when the layers configure flyteadmin (or the single binary): `server.security.useAuth` and the auth section. */
  auth?: AuthTarget;
  authEnabled?: boolean;
  /** propeller's (and the scheduler's) `admin.endpoint`, with `admin.insecure`. */
  adminEndpoint?: { endpoint: string; insecure: boolean };
  /** propeller's `catalog-cache.endpoint` (datacatalog), when the cache type is datacatalog. */
  catalogEndpoint?: { endpoint: string; insecure: boolean };
  projects?: string[];
  domains?: string[];
  taskResourceDefaults?: { cpu?: string; memory?: string };
  /** `namespace_mapping` (template, or the legacy mapping), when set. */
  namespaceMapping?: NamespaceMapping;
  provenance: Provenance;
  secrets: string[];
  /** Access key ids (shown as first4…last4). */
  identifiers: string[];
  warnings: ServerConfigWarning[];
  /** The layer labels, in merge order. */
  layers: string[];
}

export interface ServerMapOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  namespace: string;
  /**
   * Follows a `passwordPath` that is not a local file (rendered manifests: the Deployment's volume
   * mounted there, and the Secret key behind it). `value` when the Secret is known; otherwise
   * `source` says where the password lives.
   */
  resolvePasswordPath?: (path: string) => { value?: string; source: string } | undefined;
  /**
   * Whether paths in the config (passwordPath, sslrootcert) may be read on this machine (default
   * true: a config file given here). False for configs of a cluster: those paths are inside the pod.
   */
  localFiles?: boolean;
  /** Values key prefix for hints, when the layers were rendered from a chart (`configuration.storage`, `storage`). */
  valuesKeys?: { storage?: string; database?: string; auth?: string };
}

/** Provenance of a flytestdlib default (parseSource reads it as origin 'default'). */
const DEFAULT = (key: string) => `default (flytestdlib ${key})`;

// ---------------------------------------------------------------------------------------------
// keys: viper lower-cases every key; these are the canonical spellings of the keys read here.

type Schema = { [lower: string]: { name: string; sub?: Schema; free?: boolean; items?: Schema } };

function schema(spec: Record<string, unknown>): Schema {
  const out: Schema = {};
  for (const [name, v] of Object.entries(spec)) {
    const node: Schema[string] = { name };
    if (v === 'free') node.free = true;
    else if (isDict(v) && isDict(v['[]'])) node.items = schema(v['[]'] as Dict);
    else if (isDict(v)) node.sub = schema(v);
    out[name.toLowerCase()] = node;
  }
  return out;
}

const DB_KEYS = { host: 1, port: 1, dbname: 1, username: 1, password: 1, passwordPath: 1, options: 1, debug: 1, readReplicaHost: 1 };
const SCHEMA = schema({
  database: { ...DB_KEYS, postgres: DB_KEYS, sqlite: { file: 1 }, maxOpenConnections: 1, maxIdleConnections: 1, connMaxLifeTime: 1 },
  storage: {
    type: 1, container: 1, 'enable-multicontainer': 1,
    connection: { endpoint: 1, region: 1, 'auth-type': 1, 'access-key': 1, 'secret-key': 1, 'disable-ssl': 1 },
    stow: { kind: 1, config: 'free' }, signedUrl: { stowConfigOverride: 'free' }, limits: { maxDownloadMBs: 1 }, cache: 'free', defaultHttpClient: 'free',
  },
  server: { httpPort: 1, grpc: { port: 1, serverReflection: 1 }, security: { secure: 1, useAuth: 1, allowCors: 1 }, 'kube-config': 1 },
  auth: { userAuth: { openId: { baseUrl: 1, clientId: 1, scopes: 1 } }, appAuth: { authServerType: 1, thirdPartyConfig: { flyteClient: { clientId: 1, redirectUri: 1 } } }, authorizedUris: 1 },
  admin: { endpoint: 1, insecure: 1, clientId: 1, clientSecretLocation: 1, authType: 1 },
  'catalog-cache': { type: 1, endpoint: 1, insecure: 1 },
  propeller: { 'rawoutput-prefix': 1, 'metadata-prefix': 1 },
  flyte: { admin: { seedProjects: 1, disabled: 1 }, propeller: { disabled: 1 }, dataCatalog: { disabled: 1 } },
  datacatalog: 1, application: 1, flyteadmin: 1, scheduler: 1, tasks: 1, plugins: 1, webhook: 1, logger: 1, otel: 1, event: 1,
  domains: { '[]': { id: 1, name: 1 } },
  task_resources: { defaults: { cpu: 1, memory: 1 }, limits: 1 },
  cluster_resources: 1, remoteData: 1, manager: 1, clusters: 1, namespace_mapping: 1, notifications: 1, externalEvents: 1, cloudEvents: 1, queues: 1, qualityOfService: 1, prof: 1,
});

/** Top-level sections that make a file a Flyte server config (lower case). */
const SECTIONS = new Set(Object.keys(SCHEMA).concat(['task_type_whitelist', 'connector-service', 'k8s', 'secrets', 'registration', 'artifacts', 'union']));

/** Top-level keys only Helm values have (flyte-binary, flyte-core and the umbrella charts). */
const HELM_ONLY = ['configuration', 'db', 'configmap', 'common', 'deployment', 'flyteconsole', 'flytepropeller', 'flytescheduler', 'workflow_scheduler',
  'cluster_resource_manager', 'ingress', 'serviceAccount', 'rbac', 'userSettings', 'flyte-core-components', 'fullnameOverride', 'nameOverride', 'commonLabels', 'flyte-binary', 'flyteconnector'];

/**
 * Canonical keys (known ones spelled as Flyte's structs, every other key lower case, like viper),
 * maps whose keys differ only in case merged. `spell` records the original spelling of each
 * renamed path for provenance.
 */
function canonicalize(v: unknown, sch: Schema | undefined, free: boolean, path: Path, orig: string, spell: Map<string, string>): unknown {
  if (Array.isArray(v)) return v.map((x, i) => canonicalize(x, sch, free, [...path, i], `${orig}[${i}]`, spell));
  if (!isDict(v)) return v;
  const out: Dict = {};
  for (const [k, x] of Object.entries(v)) {
    const node = free ? undefined : sch?.[k.toLowerCase()];
    const name = node?.name ?? k.toLowerCase();
    const p = [...path, name];
    const o = orig ? `${orig}.${k}` : k;
    if (o !== formatPath(p)) spell.set(JSON.stringify(p), o);
    const child = canonicalize(x, node?.items ?? node?.sub, free || !!node?.free, p, o, spell);
    const prev = out[name];
    out[name] = isDict(prev) && isDict(child) ? deepMerge(prev, child) : child;
  }
  return out;
}

function deepMerge(a: Dict, b: Dict): Dict {
  const out: Dict = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isDict(out[k]) && isDict(v) ? deepMerge(out[k] as Dict, v) : v;
  return out;
}

// ---------------------------------------------------------------------------------------------
// reading

/** Why a map is Helm values rather than a server config, or undefined. */
export function helmValuesReason(values: Dict): string | undefined {
  const hits = HELM_ONLY.filter((k) => k in values);
  if (!hits.length) return undefined;
  const binary = hits.some((k) => ['configuration', 'deployment', 'flyte-core-components', 'flyte-binary'].includes(k));
  return `has ${hits.slice(0, 3).map((k) => `${k}.*`).join(', ')} (Helm values of ${binary ? 'flyte-binary' : 'flyte-core'})`;
}

/** Why a map is a Flyte server config (its flytestdlib sections), or undefined. */
export function serverConfigReason(values: Dict): string | undefined {
  if (helmValuesReason(values)) return undefined;
  const hits = Object.keys(values).filter((k) => SECTIONS.has(k.toLowerCase()));
  return hits.length ? `has ${hits.slice(0, 4).map((k) => `${k}:`).join(', ')} (a Flyte server config)` : undefined;
}

/**
 * Reads one `--server-config` file. A Helm values file, a Kubernetes manifest, an empty file or a
 * map without any Flyte section is a UserError naming the file and what was expected.
 */
export function readServerConfigFile(given: string, cwd: string): ServerConfigLayer {
  const text = readInputFile('--server-config', given, cwd, { what: 'Flyte server config files', yaml: true });
  return parseServerConfig(given, text);
}

/** Parses the text of one server config (a file, or a ConfigMap key when `label` names one). */
export function parseServerConfig(label: string, text: string): ServerConfigLayer {
  const data = parseYaml(label, text);
  if (data === null || data === undefined) throw new UserError(`${label}: the file is empty: expected a Flyte server config (flyteadmin, datacatalog, flytepropeller or single-binary YAML with sections like database:, storage:, server:, admin:, propeller:)`);
  if (!isDict(data)) throw new UserError(`${label}: expected a map of Flyte config sections at the top level, got ${shortJson(data)}`);
  if (typeof data['apiVersion'] === 'string' && typeof data['kind'] === 'string') {
    throw new UserError(`${label}: this is a Kubernetes ${data['kind']} manifest, not a Flyte server config: pass rendered manifests with --manifests`);
  }
  const helm = helmValuesReason(data);
  if (helm) throw new UserError(`${label}: this looks like Helm values, not a Flyte server config (${helm}): pass it with --values`);
  if (!serverConfigReason(data)) {
    throw new UserError(`${label}: expected a Flyte server config (top-level sections like database:, storage:, server:, admin:, propeller:, datacatalog:), got ${shortJson(data)}`);
  }
  return { label, values: data };
}

// ---------------------------------------------------------------------------------------------
// mapping

class ServerReader extends Reader {
  constructor(mv: MergedValues, private readonly spellings: Map<string, Map<string, string>>) { super(mv); }

  /** Flyte reads its config files itself: no Go template decides anything here. */
  protected override readonly templated = false;

  override prov(p: string | Path): string {
    const abs = this.abs(p);
    const origin = this.mv.originOf(abs);
    if (origin === CHART_DEFAULT) return 'not set';
    return `${origin}: ${this.spellings.get(origin)?.get(JSON.stringify(abs)) ?? formatPath(abs)}`;
  }

  /** The label of the layer that set a key (undefined when none did). */
  layerOf(p: string | Path): string | undefined {
    const o = this.mv.originOf(this.abs(p));
    return o === CHART_DEFAULT ? undefined : o;
  }
}

class Builder {
  readonly provenance: Provenance = {};
  readonly creds = new Credentials();
  readonly warnings: ServerConfigWarning[] = [];
  constructor(readonly r: ServerReader, readonly opts: ServerMapOptions) {}

  set<T>(field: string, key: string | Path, value: T | undefined): T | undefined {
    if (value !== undefined) this.provenance[field] = this.r.prov(key);
    return value;
  }

  fixed<T>(field: string, value: T, source: string): T {
    this.provenance[field] = source;
    return value;
  }

  secret(value: string | undefined): Secret | undefined {
    if (value === undefined || value === '') return undefined;
    this.creds.secret(value);
    return new Secret(value);
  }

  warn(key: string, message: string): void {
    this.warnings.push({ key, source: this.r.layerOf(key) ? this.r.prov(key) : 'not set', message });
  }
}

const has = (d: Dict, k: string) => d[k] !== undefined && d[k] !== null;

/** The kinds of server the merged sections configure (facts §A, B, C). */
export function detectKinds(root: Dict): { kinds: ServerKind[]; reasons: string[] } {
  const reasons: string[] = [];
  const flyte = root['flyte'];
  if (isDict(flyte) && ['admin', 'propeller', 'dataCatalog'].some((k) => k in flyte)) return { kinds: ['single-binary'], reasons: ['has flyte.admin/propeller/dataCatalog (single binary)'] };
  if ((has(root, 'propeller') || has(root, 'tasks')) && (has(root, 'database') || has(root, 'server'))) {
    return { kinds: ['single-binary'], reasons: [`has ${has(root, 'propeller') ? 'propeller' : 'tasks'}: and ${has(root, 'database') ? 'database' : 'server'}: (single binary)`] };
  }
  const kinds: ServerKind[] = [];
  const server = root['server'];
  if (has(root, 'flyteadmin') || (isDict(server) && (has(server, 'security') || has(server, 'httpPort') || has(server, 'grpc'))) || has(root, 'auth')) {
    kinds.push('flyteadmin'); reasons.push(`has ${has(root, 'flyteadmin') ? 'flyteadmin' : has(root, 'server') ? 'server' : 'auth'}: (flyteadmin)`);
  }
  if (has(root, 'datacatalog') || has(root, 'application')) { kinds.push('datacatalog'); reasons.push(`has ${has(root, 'datacatalog') ? 'datacatalog' : 'application'}: (datacatalog)`); }
  if (has(root, 'propeller') || has(root, 'tasks') || has(root, 'manager')) { kinds.push('propeller'); reasons.push(`has ${['propeller', 'tasks', 'manager'].find((k) => has(root, k))}: (flytepropeller)`); }
  const sched = root['scheduler'];
  if (!kinds.includes('flyteadmin') && isDict(sched) && Object.keys(sched).some((k) => ['profilerport', 'metricsscope'].includes(k.toLowerCase()))) { kinds.push('scheduler'); reasons.push('has scheduler.profilerPort (flytescheduler)'); }
  if (!kinds.length && has(root, 'cluster_resources')) { kinds.push('clusterresource'); reasons.push('has cluster_resources: (cluster resource sync)'); }
  return { kinds, reasons };
}


/** flytestdlib database: the deprecated flat `database.*` keys are copied over `database.postgres.*` (facts §C1). */
function mapDatabase(b: Builder, role: DatabaseTarget['role']): DatabaseTarget | undefined {
  const r = b.r;
  if (r.dict('database') === undefined) return undefined;
  r.dict('database.postgres');
  if (r.str('database.sqlite.file')) {
    b.warn('database.sqlite.file', 'the database is SQLite (database.sqlite.file): no PostgreSQL server to check');
    return undefined;
  }
  const f = 'databases[0]';
  const keyOf = (name: string): string => (r.has(`database.${name}`) ? `database.${name}` : `database.postgres.${name}`);
  const pick = <T>(field: string, name: string, read: (k: string) => T | undefined, def: T): T => {
    const k = keyOf(name);
    const v = read(k);
    return v !== undefined ? b.set(`${f}.${field}`, k, v)! : b.fixed(`${f}.${field}`, def, DEFAULT(`database.postgres.${name}`));
  };
  const host = pick('host', 'host', (k) => r.str(k), 'localhost');
  const port = pick('port', 'port', (k) => r.port(k), 30001);
  const dbname = pick('dbname', 'dbname', (k) => r.str(k), 'postgres');
  const user = pick('user', 'username', (k) => r.str(k), 'postgres');
  const flat = ['host', 'port', 'dbname', 'username', 'password', 'passwordPath', 'options'].some((k) => r.has(`database.${k}`));
  const valuesKey = b.opts.valuesKeys?.database ?? (flat ? 'database' : 'database.postgres');
  const db: DatabaseTarget = { role, host, port, dbname, user, valuesKey };
  const optKey = keyOf('options');
  const options = r.str(optKey);
  const o = parseLibpqOptions(options ?? STDLIB.dbOptions);
  if (o['sslmode'] !== undefined) {
    const mode = knownSslmode(o['sslmode']);
    if (!mode) {
      db.sslmodeInvalid = o['sslmode'];
      b.provenance[`${f}.sslmodeInvalid`] = r.prov(optKey);
    } else {
      db.sslmode = mode;
      b.provenance[`${f}.sslmode`] = options === undefined ? DEFAULT('database.postgres.options') : r.prov(optKey);
    }
  }
  // What pgx sends as run-time settings (database.postgres.auth asks the server about them).
  const runtime = runtimeParamsOf(o);
  if (Object.keys(runtime).length) {
    db.runtimeParams = runtime;
    b.provenance[`${f}.runtimeParams`] = r.prov(optKey);
  }
  if (o['sslrootcert']) {
    if (b.opts.localFiles !== false) checkReadableLater(`${r.prov(optKey)} sslrootcert`, o['sslrootcert'], b.opts.cwd);
    db.sslrootcert = o['sslrootcert'];
    b.provenance[`${f}.sslrootcert`] = r.prov(optKey);
  }
  for (const k of ['sslcert', 'sslkey'] as const) {
    if (!o[k]) continue;
    if (b.opts.localFiles !== false) checkReadableLater(`${r.prov(optKey)} ${k}`, o[k], b.opts.cwd);
    db[k] = o[k];
    b.provenance[`${f}.${k}`] = r.prov(optKey);
  }
  db.maxOpenConnections = b.set(`${f}.maxOpenConnections`, 'database.maxOpenConnections', r.num('database.maxOpenConnections'))
    ?? b.fixed(`${f}.maxOpenConnections`, STDLIB.maxOpenConnections, DEFAULT('database.maxOpenConnections'));
  password(b, db, keyOf('passwordPath'), keyOf('password'));
  return db;
}

/** passwordPath replaces password (flyteadmin resolvePassword); follow it like charts.ts does. */
function password(b: Builder, db: DatabaseTarget, pathKey: string, pwKey: string): void {
  const r = b.r;
  const field = 'databases[0].password';
  const pwPath = r.str(pathKey);
  const pw = r.str(pwKey);
  if (pwPath) {
    const via = b.opts.resolvePasswordPath?.(pwPath);
    if (via?.value !== undefined && via.value.trim() !== '') {
      db.password = b.secret(via.value.replace(/\r?\n$/, '').trim());
      db.passwordSource = `passwordPath ${pwPath} (${via.source})`;
      b.provenance[field] = `${r.prov(pathKey)} (${via.source})`;
      return;
    }
    let where = via?.source;
    if (!via && b.opts.localFiles === false) where = 'read inside the pod';
    else if (!via) {
      const text = readInputFile(r.prov(pathKey), pwPath, b.opts.cwd, { optional: true, limit: SECRET_FILE_LIMIT, what: 'a password file' });
      const pwText = text?.replace(/\r?\n$/, '').trim();
      if (pwText) {
        db.password = b.secret(pwText);
        db.passwordSource = `passwordPath ${pwPath}`;
        b.provenance[field] = `${r.prov(pathKey)} (file ${pwPath})`;
        return;
      }
      where = text === undefined ? 'not a local file: it is read inside the pod' : 'the local file is empty';
    }
    const env = b.opts.env['PGPASSWORD'];
    if (env) {
      db.password = b.secret(env);
      db.passwordSource = 'env PGPASSWORD';
      b.provenance[field] = 'env PGPASSWORD';
      return;
    }
    db.passwordSource = `passwordPath ${pwPath} (${where}; set PGPASSWORD to check the password)`;
    b.provenance[field] = r.prov(pathKey);
    return;
  }
  if (pw !== undefined) {
    db.password = b.secret(pw);
    db.passwordSource = r.prov(pwKey);
    b.provenance[field] = r.prov(pwKey);
    return;
  }
  // flytestdlib's default password applies (a published default: not registered as a secret).
  db.password = new Secret(STDLIB.dbPassword);
  db.passwordSource = 'flytestdlib default (database.postgres.password)';
  b.provenance[field] = DEFAULT('database.postgres.password');
}

const STORAGE_TYPES = ['s3', 'minio', 'local', 'mem', 'stow'] as const;
const STOW_KINDS = ['s3', 'google', 'azure', 'oracle', 'swift', 'local'] as const;

function providerOfKind(kind: string): StorageProvider {
  return kind === 's3' ? 's3' : kind === 'google' ? 'gcs' : kind === 'azure' ? 'azure' : 'other';
}

/** flytestdlib storage (facts §D1; stow_store.go newStowRawStore): stow when kind and config are set, else the legacy S3 `connection`. */
function mapStorage(b: Builder): { storage?: StorageTarget; account?: string } {
  const r = b.r;
  if (r.dict('storage') === undefined) return {};
  const type = r.oneOf('storage.type', STORAGE_TYPES);
  const effType = type ?? 's3';
  const kind = r.oneOf('storage.stow.kind', STOW_KINDS);
  const stowCfg = r.dict('storage.stow.config');
  const cfgHasValues = !!stowCfg && Object.values(stowCfg).some((v) => v !== null && v !== undefined && v !== '');
  const useStow = effType !== 'mem' && !!kind && cfgHasValues;
  const st: StorageTarget = {
    provider: 's3', rawType: kind && useStow ? `${effType} (stow kind ${kind})` : effType, authType: 'iam',
    signedUrlKey: 'storage.signedUrl.stowConfigOverride.endpoint',
    valuesKey: b.opts.valuesKeys?.storage ?? 'storage',
  };
  b.provenance['storage.rawType'] = type ? r.prov('storage.type') : DEFAULT('storage.type');
  let account: string | undefined;
  if (effType === 'mem') {
    st.provider = b.fixed('storage.provider', 'other', r.prov('storage.type'));
    b.warn('storage.type', 'storage.type is mem: an in-memory store that loses every object on restart (tests only)');
  } else if (useStow) {
    st.provider = b.set('storage.provider', 'storage.stow.kind', providerOfKind(kind!))!;
    const c = 'storage.stow.config';
    if (kind === 's3') {
      st.region = b.set('storage.region', `${c}.region`, r.str(`${c}.region`)) ?? b.fixed('storage.region', STDLIB.s3Region, DEFAULT('storage.stow.config.region'));
      const ep = b.set('storage.endpoint', `${c}.endpoint`, r.str(`${c}.endpoint`));
      if (ep) { st.endpoint = ep; st.forcePathStyle = b.fixed('storage.forcePathStyle', true, `${r.prov(`${c}.endpoint`)} (custom endpoint: path-style)`); }
      const ssl = b.set('storage.disableSSL', `${c}.disable_ssl`, r.bool(`${c}.disable_ssl`));
      if (ssl !== undefined) st.disableSSL = ssl;
      r.bool(`${c}.v2_signing`);
      const auth = r.str(`${c}.auth_type`);
      if (auth !== undefined && !['iam', 'accesskey'].includes(auth)) r.invalid(`${c}.auth_type`, 'one of iam, accesskey');
      st.authType = auth === 'accesskey' ? b.set('storage.authType', `${c}.auth_type`, 'accesskey' as const)! : b.fixed('storage.authType', 'iam' as const, auth ? r.prov(`${c}.auth_type`) : DEFAULT('storage.stow.config.auth_type'));
      const ak = b.set('storage.accessKey', `${c}.access_key_id`, r.str(`${c}.access_key_id`));
      if (ak) { st.accessKey = ak; b.creds.identifier(ak); }
      const sk = b.secret(b.set('storage.secretKey', `${c}.secret_key`, r.str(`${c}.secret_key`)));
      if (sk) st.secretKey = sk;
      if (st.authType === 'accesskey' && (!ak || !sk)) b.warn(`${c}.auth_type`, `auth_type is accesskey but ${!ak ? 'access_key_id' : 'secret_key'} is not set`);
    } else if (kind === 'google') {
      const json = r.str(`${c}.json`);
      st.authType = json ? b.fixed('storage.authType', 'keyfile' as const, r.prov(`${c}.json`)) : b.fixed('storage.authType', 'adc' as const, json === undefined && r.layerOf(`${c}.json`) ? r.prov(`${c}.json`) : DEFAULT('storage.stow.config.json'));
      if (json) b.secret(json);
      const pid = b.set('storage.projectId', `${c}.project_id`, r.str(`${c}.project_id`));
      if (pid) st.projectId = pid;
    } else if (kind === 'azure') {
      account = r.str(`${c}.account`) || undefined;
      if (account) { b.provenance['storageAccount'] = r.prov(`${c}.account`); st.account = b.set('storage.account', `${c}.account`, account)!; }
      const key = r.str(`${c}.key`) || undefined;
      st.authType = key ? b.fixed('storage.authType', 'accesskey' as const, r.prov(`${c}.key`)) : b.fixed('storage.authType', 'iam' as const, DEFAULT('storage.stow.config.key (Azure default credential chain)'));
      const sk = b.secret(b.set('storage.secretKey', `${c}.key`, key));
      if (sk) st.secretKey = sk;
      // domain_suffix (legacy base_url): a full URL there is a custom endpoint (Azurite, Azure Stack); a SAS query in it is a secret.
      const suffixKey = r.str(`${c}.domain_suffix`) ? `${c}.domain_suffix` : `${c}.base_url`;
      const suffix = r.str(suffixKey) || undefined;
      if (suffix && /^https?:\/\//i.test(suffix)) {
        const [base, query] = suffix.split('?', 2) as [string, string | undefined];
        st.endpoint = b.set('storage.endpoint', suffixKey, base)!;
        if (query && /(^|&)sig=/.test(query)) { st.sasToken = b.secret(query)!; b.fixed('storage.sasToken', '', `${r.prov(suffixKey)} (SAS query of the URL)`); }
      } else if (suffix) st.domainSuffix = b.set('storage.domainSuffix', suffixKey, suffix.replace(/^\.+|\/+$/g, ''))!;
      const envSas = b.opts.env['AZURE_STORAGE_SAS_TOKEN']?.trim().replace(/^\?/, '');
      if (sk) st.azureAuth = b.fixed('storage.azureAuth', 'key' as const, r.prov(`${c}.key`));
      else if (st.sasToken) st.azureAuth = b.fixed('storage.azureAuth', 'sas' as const, b.provenance['storage.sasToken']!);
      else if (envSas) {
        st.sasToken = b.secret(envSas)!;
        b.fixed('storage.sasToken', '', 'env AZURE_STORAGE_SAS_TOKEN');
        st.azureAuth = b.fixed('storage.azureAuth', 'sas' as const, 'env AZURE_STORAGE_SAS_TOKEN (this machine; Flyte\'s pods use their own identity)');
      } else st.azureAuth = b.fixed('storage.azureAuth', 'token' as const, DEFAULT('storage.stow.config.key (no key: Azure AD through the default credential chain, Workload Identity in the pods)'));
      if (!account) b.warn(`${c}.account`, 'stow kind azure without account: stow cannot dial the storage account');
    } else {
      // oracle, swift, local: their credentials are secrets; nothing more is probed.
      for (const k of ['password', 'key', 'secret_key']) b.secret(r.str(`${c}.${k}`));
      st.authType = 'iam';
      const ep = r.str(`${c}.${kind === 'local' ? 'path' : 'authorization_endpoint'}`);
      if (ep) st.endpoint = b.set('storage.endpoint', `${c}.${kind === 'local' ? 'path' : 'authorization_endpoint'}`, ep)!;
    }
  } else {
    if (type === 'stow' || kind) {
      b.warn(kind ? 'storage.stow.config' : 'storage.stow.kind', `${kind ? `storage.stow.kind is ${kind} but storage.stow.config is empty` : 'storage.type is stow but storage.stow.kind is not set'}: Flyte falls back to the legacy S3 storage.connection settings`);
    }
    const c = 'storage.connection';
    st.provider = b.fixed('storage.provider', 's3', type ? `${r.prov('storage.type')} (legacy storage.connection: S3)` : DEFAULT('storage.type: s3'));
    st.region = b.set('storage.region', `${c}.region`, r.str(`${c}.region`)) ?? b.fixed('storage.region', STDLIB.s3Region, DEFAULT('storage.connection.region'));
    const ep = b.set('storage.endpoint', `${c}.endpoint`, r.str(`${c}.endpoint`));
    if (ep) { st.endpoint = ep; st.forcePathStyle = b.fixed('storage.forcePathStyle', true, `${r.prov(`${c}.endpoint`)} (custom endpoint: path-style)`); }
    const ssl = b.set('storage.disableSSL', `${c}.disable-ssl`, r.bool(`${c}.disable-ssl`));
    if (ssl !== undefined) st.disableSSL = ssl;
    const auth = r.oneOf(`${c}.auth-type`, ['iam', 'accesskey'] as const);
    st.authType = auth ? b.set('storage.authType', `${c}.auth-type`, auth)! : b.fixed('storage.authType', 'iam' as const, DEFAULT('storage.connection.auth-type'));
    const ak = b.set('storage.accessKey', `${c}.access-key`, r.str(`${c}.access-key`));
    if (ak) { st.accessKey = ak; b.creds.identifier(ak); }
    const sk = b.secret(b.set('storage.secretKey', `${c}.secret-key`, r.str(`${c}.secret-key`)));
    if (sk) st.secretKey = sk;
  }
  const container = b.set('storage.metadataBucket', 'storage.container', r.str('storage.container'));
  if (container) st.metadataBucket = container;
  else if (effType !== 'mem') b.warn('storage.container', 'storage.container is not set: Flyte refuses to start ("initContainer is required")');
  r.bool('storage.enable-multicontainer');
  const override = r.dict('storage.signedUrl.stowConfigOverride');
  if (override) {
    const sep = b.set('storage.signedUrlEndpoint', st.signedUrlKey, r.str(st.signedUrlKey));
    if (sep) st.signedUrlEndpoint = sep;
    for (const [k, v] of Object.entries(override)) if (/key|secret|password|json/.test(k) && typeof v === 'string') b.secret(v);
  }
  const rop: Path = ['propeller', 'rawoutput-prefix'];
  const raw = r.str(rop);
  if (raw) {
    st.rawOutputPrefix = b.set('storage.rawOutputPrefix', rop, raw)!;
    const ub = bucketOf(raw);
    if (ub) st.userDataBucket = b.set('storage.userDataBucket', rop, ub)!;
  }
  return { storage: st, ...(account ? { account } : {}) };
}

function mapAuth(b: Builder): AuthTarget {
  const r = b.r;
  const auth: AuthTarget = {
    enabled: b.set('auth.enabled', 'server.security.useAuth', r.bool('server.security.useAuth')) ?? b.fixed('auth.enabled', false, DEFAULT('server.security.useAuth')),
    valuesKey: b.opts.valuesKeys?.auth ?? 'auth',
  };
  r.bool('server.security.secure');
  const issuer = b.set('auth.oidcIssuer', 'auth.userAuth.openId.baseUrl', r.str('auth.userAuth.openId.baseUrl'));
  if (issuer) auth.oidcIssuer = issuer;
  const cid = b.set('auth.oidcClientId', 'auth.userAuth.openId.clientId', r.str('auth.userAuth.openId.clientId'));
  if (cid) auth.oidcClientId = cid;
  const uris = b.set('auth.authorizedUris', 'auth.authorizedUris', r.strList('auth.authorizedUris'));
  if (uris) auth.authorizedUris = uris;
  const ast = r.str('auth.appAuth.authServerType');
  auth.authServerType = ast ? b.set('auth.authServerType', 'auth.appAuth.authServerType', ast)! : b.fixed('auth.authServerType', 'Self', DEFAULT('auth.appAuth.authServerType'));
  return auth;
}

function clientEndpoint(b: Builder, section: 'admin' | 'catalog-cache', field: string): { endpoint: string; insecure: boolean } | undefined {
  const r = b.r;
  if (r.dict(section) === undefined) return undefined;
  const ep = b.set(`${field}.endpoint`, `${section}.endpoint`, r.str(`${section}.endpoint`));
  if (!ep) return undefined;
  const insecure = b.set(`${field}.insecure`, `${section}.insecure`, r.bool(`${section}.insecure`)) ?? b.fixed(`${field}.insecure`, false, DEFAULT(`${section}.insecure`));
  return { endpoint: ep, insecure };
}

/**
 * Maps server config layers (merged in order, like `--config a.yaml --config b.yaml`) to Target
 * fields with provenance. Wrong types and unknown `storage.type` / `stow.kind` values are a
 * UserError naming the layer, the key and the allowed values.
 */
export function mapServerConfig(layers: ServerConfigLayer[], opts: ServerMapOptions): ServerConfigMapping {
  const spellings = new Map<string, Map<string, string>>();
  const canon = layers.map((l) => {
    const spell = new Map<string, string>();
    const values = canonicalize(l.values, SCHEMA, false, [], '', spell) as Dict;
    spellings.set(l.label, spell);
    return { label: l.label, values };
  });
  const mv = new MergedValues(canon);
  const r = new ServerReader(mv, spellings);
  const b = new Builder(r, opts);
  for (const l of layers) b.creds.scanTree(l.values);
  const { kinds, reasons } = detectKinds(mv.root);

  const out: ServerConfigMapping = { kinds, kindReasons: reasons, databases: [], provenance: b.provenance, secrets: [], identifiers: [], warnings: b.warnings, layers: layers.map((l) => l.label) };
  if (!(kinds.length === 1 && kinds[0] === 'propeller')) {
    const role = kinds.includes('datacatalog') && !kinds.includes('flyteadmin') && !kinds.includes('single-binary') ? 'datacatalog' : 'flyteadmin';
    const db = mapDatabase(b, role);
    if (db) out.databases.push(db);
  }
  const s = mapStorage(b);
  if (s.storage) out.storage = s.storage;
  if (s.account) out.storageAccount = s.account;
  if (kinds.includes('flyteadmin') || kinds.includes('single-binary')) {
    out.auth = mapAuth(b);
    out.authEnabled = out.auth.enabled;
  }
  const admin = clientEndpoint(b, 'admin', 'adminEndpoint');
  if (admin) out.adminEndpoint = admin;
  if (r.str('catalog-cache.type') === 'datacatalog' || (r.has('catalog-cache.endpoint') && r.str('catalog-cache.type') === undefined)) {
    const cat = clientEndpoint(b, 'catalog-cache', 'catalogEndpoint');
    if (cat) out.catalogEndpoint = cat;
  }
  const projects = b.set('projects', 'flyte.admin.seedProjects', r.strList('flyte.admin.seedProjects'));
  if (projects) out.projects = projects;
  const domainList = r.list('domains');
  if (domainList) {
    const domains = domainList.map((d, i) => (isDict(d) ? r.str(['domains', i, 'id']) ?? '' : typeof d === 'string' ? d : r.str(['domains', i, 'id']) ?? '')).filter(Boolean);
    out.domains = b.set('domains', 'domains', domains)!;
  }
  const cpu = b.set('taskResourceDefaults.cpu', 'task_resources.defaults.cpu', r.str('task_resources.defaults.cpu'));
  const memory = b.set('taskResourceDefaults.memory', 'task_resources.defaults.memory', r.str('task_resources.defaults.memory'));
  if (cpu !== undefined || memory !== undefined) out.taskResourceDefaults = { ...(cpu !== undefined ? { cpu } : {}), ...(memory !== undefined ? { memory } : {}) };
  const nsTemplate = templateOf({ template: r.str('namespace_mapping.template'), mapping: r.str('namespace_mapping.mapping') });
  if (nsTemplate !== undefined) {
    const key = r.str('namespace_mapping.template') ? 'namespace_mapping.template' : 'namespace_mapping.mapping';
    out.namespaceMapping = { template: nsTemplate, source: r.prov(key), key };
    b.provenance['namespaceMapping.template'] = out.namespaceMapping.source;
  }
  for (const u of [out.storage?.endpoint, out.storage?.signedUrlEndpoint, out.auth?.oidcIssuer, out.adminEndpoint?.endpoint]) {
    const p = urlPassword(u);
    if (p) b.creds.secret(p);
  }
  out.secrets = [...b.creds.secrets].filter((x) => x !== '');
  out.identifiers = [...b.creds.identifiers].filter((x) => x !== '' && !b.creds.secrets.has(x));
  return out;
}
