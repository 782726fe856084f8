// Maps the merged Helm values of flyte-binary / flyte-core to the Target's database, storage,
// ingress, auth and resource fields, with provenance for each field.
// Chart defaults (trimmed copies of each chart's values.yaml, flyteorg/flyte master 89cf9cc7) and
// the flytestdlib defaults the charts leave in place (facts §C1) carry the 'chart default' source.
import { UserError } from '../errors.js';
import { publishedDefault } from './credentials.js';
import { knownSslmode, parseLibpqOptions, runtimeParamsOf } from './libpq.js';
import { checkReadableLater, readInputFile, SECRET_FILE_LIMIT } from './read.js';
import { Secret } from './secret.js';
import { componentsFromValues } from '../flyte/components.js';
import { identitiesFromValues } from '../flyte/identity.js';
import type { AuthTarget, Chart, ComponentSetting, WorkloadIdentity, DatabaseTarget, EmptyValue, HelmBoolean, IngressTarget, Provenance, StorageProvider, StorageTarget } from './target.js';
import { CHART_DEFAULT, formatPath, isDict, shortJson } from './values.js';
import type { Dict, Layer, MergedValues, Path } from './values.js';

// ---------------------------------------------------------------------------------------------
// chart defaults

const BINARY_DEFAULTS: Dict = {
  'flyte-core-components': { admin: { seedProjects: ['flytesnacks'] } },
  configuration: {
    database: { username: 'postgres', password: '', passwordPath: '', host: '127.0.0.1', port: 5432, dbname: 'flyte', options: 'sslmode=disable' },
    storage: {
      metadataContainer: 'my-organization-flyte-container',
      userDataContainer: 'my-organization-flyte-container',
      provider: 's3',
      providerConfig: {
        s3: { region: 'us-east-1', disableSSL: false, v2Signing: false, endpoint: '', authType: 'iam', accessKey: '', secretKey: '' },
        gcs: { project: 'my-organization-gcp-project' },
        azure: { configDomainSuffix: '', configUploadConcurrency: 4, account: 'storage-account-name', key: '' },
      },
    },
    auth: {
      enabled: false,
      enableAuthServer: true,
      oidc: { baseUrl: '', clientId: '', clientSecret: '' },
      internal: { clientId: 'flytepropeller', clientSecret: '', clientSecretHash: '' },
      flyteClient: { clientId: 'flytectl', redirectUri: 'http://localhost:53593/callback', scopes: ['all'], audience: '' },
      authorizedUris: [],
    },
    inline: {},
  },
  ingress: {
    create: false, host: '', separateGrpcIngress: true, commonAnnotations: {}, httpAnnotations: {}, grpcAnnotations: {},
    ingressClassName: '', httpIngressClassName: '', grpcIngressClassName: '', tls: [], httpTls: [], grpcTls: [],
  },
};

const CORE_DEFAULTS: Dict = {
  flyteadmin: { enabled: true, initialProjects: ['flytesnacks', 'flytetester', 'flyteexamples'] },
  datacatalog: { enabled: true },
  secrets: { adminOauthClientCredentials: { enabled: true, clientSecret: 'foobar', clientId: 'flytepropeller', secretName: 'flyte-secret-auth' } },
  common: {
    databaseSecret: { name: '', secretManifest: {} },
    ingress: {
      albSSLRedirect: false, enabled: true, separateGrpcIngress: false,
      annotations: { 'nginx.ingress.kubernetes.io/app-root': '/console', 'nginx.ingress.kubernetes.io/service-upstream': 'true' },
      separateGrpcIngressAnnotations: { 'nginx.ingress.kubernetes.io/backend-protocol': 'GRPC' },
      tls: { enabled: false },
    },
  },
  storage: {
    type: 'sandbox', bucketName: 'my-s3-bucket',
    s3: { region: 'us-east-1', endpoint: '', authType: 'iam', accessKey: '', secretKey: '' },
    custom: {}, enableMultiContainer: false,
  },
  db: {
    admin: { database: { port: 5432, username: 'postgres', host: 'postgres', dbname: 'flyteadmin' } },
    datacatalog: { database: { port: 5432, username: 'postgres', host: 'postgres', dbname: 'datacatalog' } },
  },
  configmap: {
    domain: { domains: [{ id: 'development', name: 'development' }, { id: 'staging', name: 'staging' }, { id: 'production', name: 'production' }] },
    adminServer: {
      server: { httpPort: 8088, grpc: { port: 8089 }, security: { secure: false, useAuth: false } },
      auth: {
        userAuth: { openId: { baseUrl: 'https://accounts.google.com', clientId: '657465813211-6eog7ek7li5k7i7fvgv2921075063hpe.apps.googleusercontent.com' } },
        authorizedUris: ['https://localhost:30081', 'http://flyteadmin:80', 'http://flyteadmin.flyte.svc.cluster.local:80'],
      },
    },
    task_resource_defaults: { task_resources: { defaults: { cpu: '100m', memory: '500Mi' } } },
    core: { propeller: { 'rawoutput-prefix': 's3://{{ .Values.storage.bucketName }}/', 'leader-election': { 'lock-config-map': { name: 'propeller-leader', namespace: 'flyte' }, enabled: true } } },
  },
};

/** The chart-default layer, nested under the umbrella prefix when there is one. */
export function chartDefaultsLayer(chart: Chart, prefix: Path): Layer {
  let values: Dict = structuredClone(chart === 'flyte-binary' ? BINARY_DEFAULTS : CORE_DEFAULTS);
  for (const seg of [...prefix].reverse()) values = { [String(seg)]: values };
  return { label: CHART_DEFAULT, values };
}

/** flytestdlib defaults the charts leave in place (facts §C1, D1). */
export const STDLIB = { dbPassword: 'postgres', dbOptions: 'sslmode=disable', maxOpenConnections: 100, s3Region: 'us-east-1' };

// ---------------------------------------------------------------------------------------------
// typed reads with provenance

/**
 * Keys the charts test with `{{ if .Values.x }}` / `{{ if not .Values.x }}`: they decide what is
 * installed. Go templates read any non-empty string as true, so a quoted `create: "false"` renders
 * the Ingress; an empty string, and a key `null` removes, are false even where the chart's default
 * is true. (Keys the chart pastes into Flyte's config, `disableSSL: {{ .disableSSL }}`, are read by
 * Flyte as written and are not here.) Each: the chart's default, what the chart does when it reads
 * true, and when it reads false.
 */
export const HELM_GATES: Readonly<Record<string, { dflt: boolean; on: string; off: string }>> = {
  // flyte-binary
  'ingress.create': { dflt: false, on: 'creates the Ingress', off: 'creates no Ingress' },
  'ingress.separateGrpcIngress': { dflt: true, on: 'creates a separate gRPC Ingress', off: 'serves the gRPC paths on the HTTP Ingress (no separate gRPC Ingress)' },
  'configuration.auth.enabled': { dflt: false, on: 'turns authentication on', off: 'leaves authentication off' },
  'configuration.propeller.createCRDs': { dflt: true, on: 'renders no CRD (the binary creates it at start-up)', off: 'installs the flyteworkflows CRD' },
  // flyte-core
  'flytepropeller.createCRDs': { dflt: true, on: 'renders the flyteworkflows CRD', off: 'renders no CRD' },
  'common.ingress.enabled': { dflt: true, on: 'creates the Ingress', off: 'creates no Ingress' },
  'common.ingress.separateGrpcIngress': { dflt: false, on: 'creates a separate gRPC Ingress', off: 'serves the gRPC paths on the main Ingress' },
  'common.ingress.tls.enabled': { dflt: false, on: 'adds a tls: section to the Ingress', off: 'adds no tls: section to the Ingress' },
  'flyteadmin.enabled': { dflt: true, on: 'deploys flyteadmin', off: 'does not deploy flyteadmin' },
  'datacatalog.enabled': { dflt: true, on: 'deploys datacatalog', off: 'does not deploy datacatalog' },
  'flytepropeller.enabled': { dflt: true, on: 'deploys flytepropeller', off: 'does not deploy flytepropeller' },
  'flyteconsole.enabled': { dflt: true, on: 'deploys flyteconsole', off: 'does not deploy flyteconsole' },
  'webhook.enabled': { dflt: true, on: 'deploys the pod webhook', off: 'does not deploy the pod webhook' },
  'workflow_scheduler.enabled': { dflt: false, on: 'turns the workflow scheduler on', off: 'leaves the workflow scheduler off' },
  'cluster_resource_manager.enabled': { dflt: true, on: 'turns the cluster resource manager on', off: 'turns the cluster resource manager off' },
};

/** Written words that read as false to a person (and to Flyte's config), but as true to a Go template when quoted. */
const FALSE_WORD = /^(false|no|off|n|f|0)$/i;
const TRUE_WORD = /^(true|yes|on|y|t|1)$/i;

export class Reader {
  constructor(readonly mv: MergedValues) {}

  /** Whether these are Helm values, read by the chart's templates (a Flyte config file is read by Flyte, as written). */
  protected readonly templated: boolean = true;

  /** Gate keys (HELM_GATES) whose value Helm's `if` reads otherwise than it looks, by key. */
  readonly helmBooleans = new Map<string, HelmBoolean>();

  /**
   * How the chart's `if` reads a gate key: a boolean as it is, any non-empty string as true (noting a
   * quoted false word), "" or a key null removed as false (noting it when the chart's default is
   * true). Undefined: not a gate key, or a value for the ordinary boolean reading.
   */
  private gate(p: string | Path, v: unknown): boolean | undefined {
    if (!this.templated) return undefined;
    const abs = this.abs(p);
    const rel = formatPath(abs.slice(this.mv.prefix.length));
    const g = HELM_GATES[rel];
    if (!g) return undefined;
    const key = formatPath(abs);
    const note = (written: string, helm: boolean, chartDefault?: boolean): boolean => {
      if (!this.helmBooleans.has(key)) this.helmBooleans.set(key, { key, origin: this.mv.originOf(abs), written, helm, effect: helm ? g.on : g.off, ...(chartDefault !== undefined ? { chartDefault } : {}) });
      return helm;
    };
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string' && v !== '') {
      if (FALSE_WORD.test(v.trim())) return note(JSON.stringify(v), true);
      if (TRUE_WORD.test(v.trim())) return true;
      return undefined; // not a boolean word: the ordinary reading refuses it
    }
    if (v === '' && this.mv.originOf(abs) !== CHART_DEFAULT) return g.dflt ? note('""', false, true) : false;
    if (v === undefined || v === null) {
      // `key: null` (or `key:` with nothing after it) removes the key, chart default included; `if` then reads false
      const at = this.mv.origins.get(JSON.stringify(abs));
      const parent = this.mv.rawAt(abs.slice(0, -1));
      if (at !== undefined && at !== CHART_DEFAULT && isDict(parent) && !(String(abs[abs.length - 1]) in parent)) return g.dflt ? note('null', false, true) : false;
    }
    return undefined;
  }

  abs(p: string | Path): Path {
    return [...this.mv.prefix, ...(typeof p === 'string' ? p.split('.') : p)];
  }

  /**
   * The value at a key. An intermediate node that exists and is not a map (or not a list, before an
   * index) is an error: `configuration.database: postgres://…` must not read as "no database
   * configured" and fall back to chart defaults.
   */
  raw(p: string | Path): unknown {
    const abs = this.abs(p);
    let cur: unknown = this.mv.root;
    for (let i = 0; i < abs.length; i++) {
      const seg = abs[i]!;
      if (cur === undefined || cur === null) return undefined;
      if (typeof seg === 'number') {
        if (!Array.isArray(cur)) this.failAbs(abs.slice(0, i), 'a list', cur);
        cur = (cur as unknown[])[seg];
      } else {
        if (!isDict(cur)) this.failAbs(abs.slice(0, i), `a map (it holds ${formatPath(abs.slice(i))})`, cur);
        cur = (cur as Dict)[seg];
      }
    }
    return cur;
  }

  has(p: string | Path): boolean {
    const v = this.raw(p);
    return v !== undefined && v !== null && v !== '';
  }

  /** Provenance text for a values key: `<file>: <key>`, `--set: <key>`, or `chart default`. */
  prov(p: string | Path): string {
    const abs = this.abs(p);
    const origin = this.mv.originOf(abs);
    let s = origin === CHART_DEFAULT ? CHART_DEFAULT : `${origin}: ${formatPath(abs)}`;
    const t = this.mv.templatesAt(abs);
    if (t?.length) {
      s += ' (' + t.map((r) => (r.from ? `via .Values.${r.ref} from ${r.from}` : `unresolved {{ .Values.${r.ref} }}`)).join(', ') + ')';
    }
    return s;
  }

  private fail(p: string | Path, expected: string, v: unknown): never {
    return this.failAbs(this.abs(p), expected, v);
  }

  private failAbs(abs: Path, expected: string, v: unknown): never {
    const origin = this.mv.originOf(abs);
    throw new UserError(`${origin}: ${formatPath(abs) || '(top level)'}: expected ${expected}, got ${shortJson(v, abs[abs.length - 1])}`);
  }

  /** Fails like a wrong type, for a value of the right type that is not allowed. */
  invalid(p: string | Path, expected: string): never {
    return this.fail(p, expected, this.raw(p));
  }

  /** A scalar as a string; '' and null count as unset. */
  str(p: string | Path): string | undefined {
    const v = this.raw(p);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v === '' ? undefined : v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    return this.fail(p, 'a string', v);
  }

  num(p: string | Path, what = 'a number'): number | undefined {
    const v = this.raw(p);
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
    return this.fail(p, what, v);
  }

  port(p: string | Path): number | undefined {
    const n = this.num(p, 'a port number (1-65535)');
    if (n === undefined) return undefined;
    if (!Number.isInteger(n) || n < 1 || n > 65535) this.fail(p, 'a port number (1-65535)', this.raw(p));
    return n;
  }

  bool(p: string | Path): boolean | undefined {
    const v = this.raw(p);
    const gated = this.gate(p, v);
    if (gated !== undefined) return gated;
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string' && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === 'true';
    return this.fail(p, 'a boolean (true or false)', v);
  }

  dict(p: string | Path): Dict | undefined {
    const v = this.raw(p);
    if (v === undefined || v === null) return undefined;
    if (isDict(v)) return v;
    return this.fail(p, 'a map', v);
  }

  list(p: string | Path): unknown[] | undefined {
    const v = this.raw(p);
    if (v === undefined || v === null) return undefined;
    if (Array.isArray(v)) return v;
    return this.fail(p, 'a list', v);
  }

  /** A map of string values (annotations). */
  strMap(p: string | Path): Record<string, string> {
    const d = this.dict(p) ?? {};
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(d)) {
      if (v === null || v === undefined) continue;
      if (typeof v === 'object') this.fail([...(typeof p === 'string' ? p.split('.') : p), k], 'a string', v);
      out[k] = String(v);
    }
    return out;
  }

  /** A list of strings. */
  strList(p: string | Path): string[] | undefined {
    const l = this.list(p);
    if (!l) return undefined;
    return l.map((x, i) => {
      if (isDict(x) || Array.isArray(x)) this.fail([...(typeof p === 'string' ? p.split('.') : p), i], 'a string', x);
      return String(x);
    });
  }

  /** Whether the key holds an empty string that a values file or --set wrote (not the chart's default). */
  setEmpty(p: string | Path): boolean {
    return this.raw(p) === '' && this.mv.originOf(this.abs(p)) !== CHART_DEFAULT;
  }

  /**
   * A value out of a fixed set. An empty string a values file writes is not "unset": it replaces
   * the chart's default, and the chart's template refuses it like any other value outside the set.
   */
  oneOf<T extends string>(p: string | Path, allowed: readonly T[]): T | undefined {
    if (this.setEmpty(p)) this.fail(p, `one of ${allowed.join(', ')} (an empty string replaces the chart's default and the chart refuses it; remove the key to keep the default)`, '');
    const s = this.str(p);
    if (s === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(s)) this.fail(p, `one of ${allowed.join(', ')}`, this.raw(p));
    return s as T;
  }
}

// ---------------------------------------------------------------------------------------------
// mapping

export interface ChartMapping {
  databases: DatabaseTarget[];
  components?: ComponentSetting[];
  identities?: WorkloadIdentity[];
  storage?: StorageTarget;
  ingress?: IngressTarget;
  auth: AuthTarget;
  projects?: string[];
  domains?: string[];
  taskResourceDefaults?: { cpu?: string; memory?: string };
  provenance: Provenance;
  secrets: string[];
  /** Keys set to "" that the chart renders empty (Flyte then uses its built-in default). */
  emptied?: EmptyValue[];
}

export interface MapOptions {
  namespace: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
}


/** Bucket of `s3://bucket/prefix`, `gs://bucket/...`, `abfs://container@account.../...`. */
export function bucketOf(url: string): string | undefined {
  const m = /^[a-z0-9]+:\/\/([^/@]+)(?:@[^/]*)?(?:\/|$)/i.exec(url);
  return m?.[1];
}

/** Password inside a URL (`scheme://user:pass@host`). */
export function urlPassword(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/:@]*:([^/@]+)@/i.exec(url);
  return m?.[1] ? decodeURIComponentSafe(m[1]) : undefined;
}

function decodeURIComponentSafe(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}

class Builder {
  readonly provenance: Provenance = {};
  readonly secrets = new Set<string>();
  readonly emptied: EmptyValue[] = [];
  constructor(readonly r: Reader, readonly opts: MapOptions) {}

  /** Reads a values key into a target field, recording provenance when set. */
  set<T>(field: string, key: string | Path, value: T | undefined): T | undefined {
    if (value !== undefined) this.provenance[field] = this.r.prov(key);
    return value;
  }

  fixed<T>(field: string, value: T, source: string): T {
    this.provenance[field] = source;
    return value;
  }

  /**
   * Wraps a secret value and tells the redactor about it, unless it is a published chart/library
   * default (postgres, miniostorage, foobar): those are not secrets, and redacting 'postgres'
   * would also hide the default user name.
   */
  secret(value: string | undefined, key?: string | Path): Secret | undefined {
    if (value === undefined || value === '') return undefined;
    const isDefault = key === undefined ? publishedDefault(['password'], value) : this.r.mv.originOf(this.r.abs(key)) === CHART_DEFAULT || publishedDefault(this.r.abs(key), value);
    if (!isDefault) this.secrets.add(value);
    return new Secret(value);
  }

  /** A published default secret value (never added to the redaction list). */
  defaultSecret(value: string): Secret {
    return new Secret(value);
  }

  /** Resolves the password of one database. `idx` is the index in target.databases. */
  password(db: DatabaseTarget, idx: number, prefix: string, chart: Chart): void {
    const r = this.r;
    const field = `databases[${idx}].password`;
    const pwPath = r.str(`${prefix}.passwordPath`);
    const pw = r.str(`${prefix}.password`);
    if (pwPath) {
      // passwordPath replaces password (flyteadmin resolvePassword). Follow it when it is a local file.
      // Only a regular local file, up to SECRET_FILE_LIMIT (a FIFO or device is exit 2, never opened).
      const text = readInputFile(`${r.mv.originOf(r.abs(`${prefix}.passwordPath`))}: ${formatPath(r.abs(`${prefix}.passwordPath`))}`, pwPath, this.opts.cwd,
        { optional: true, limit: SECRET_FILE_LIMIT, what: 'a password file' });
      if (text !== undefined) {
        const pw = text.replace(/\r?\n$/, '').trim();
        if (pw) {
          db.password = this.secret(pw);
          db.passwordSource = `passwordPath ${pwPath}`;
          this.provenance[field] = `${r.prov(`${prefix}.passwordPath`)} (file ${pwPath})`;
          return;
        }
      }
      const fileErr = text === undefined ? 'not a local file' : 'the local file is empty';
      // flyte-core: the file usually comes from common.databaseSecret.secretManifest (mounted at /etc/db).
      if (chart === 'flyte-core' && pwPath.startsWith('/etc/db/')) {
        const key = pwPath.slice('/etc/db/'.length);
        for (const kind of ['stringData', 'data'] as const) {
          const mk: Path = ['common', 'databaseSecret', 'secretManifest', kind, key];
          const v = r.str(mk);
          if (v === undefined) continue;
          const text = kind === 'data' ? Buffer.from(v, 'base64').toString('utf8').trim() : v.trim();
          db.password = this.secret(text);
          db.passwordSource = `common.databaseSecret.secretManifest.${kind}.${key} (mounted as ${pwPath})`;
          this.provenance[field] = r.prov(mk);
          return;
        }
      }
      const env = this.opts.env['PGPASSWORD'];
      if (env) {
        db.password = this.secret(env);
        db.passwordSource = 'env PGPASSWORD';
        this.provenance[field] = 'env PGPASSWORD';
        return;
      }
      db.passwordSource = `passwordPath ${pwPath} (${fileErr}; set PGPASSWORD to check the password)`;
      this.provenance[field] = r.prov(`${prefix}.passwordPath`);
      return;
    }
    if (pw !== undefined) {
      db.password = this.secret(pw);
      db.passwordSource = `${prefix}.password`;
      this.provenance[field] = r.prov(`${prefix}.password`);
      return;
    }
    // flyte-binary: a Secret of config files (inlineSecretRef / externalSecretRef) may carry the password.
    const ref = chart === 'flyte-binary' ? (['configuration.inlineSecretRef', 'configuration.externalSecretRef'] as const).find((k) => r.str(k)) : undefined;
    if (ref) {
      const env = this.opts.env['PGPASSWORD'];
      if (env) {
        db.password = this.secret(env);
        db.passwordSource = 'env PGPASSWORD';
        this.provenance[field] = 'env PGPASSWORD';
        return;
      }
      db.passwordSource = `secretRef ${r.str(ref)} (${ref})`;
      this.provenance[field] = r.prov(ref);
      return;
    }
    // No password configured: flytestdlib's default password applies (facts §C1).
    db.password = this.defaultSecret(STDLIB.dbPassword);
    db.passwordSource = 'flytestdlib default (database.postgres.password)';
    this.provenance[field] = CHART_DEFAULT;
  }

  database(idx: number, role: DatabaseTarget['role'], prefix: string, chart: Chart, overrides?: string): DatabaseTarget {
    const r = this.r;
    const f = `databases[${idx}]`;
    // flyte-binary: configuration.inline.database.postgres.* is loaded after 002-database.yaml.
    const pick = <T>(name: string, key: string, read: (k: string) => T | undefined): T | undefined => {
      if (overrides) {
        const v = read(`${overrides}.${key}`);
        if (v !== undefined) return this.set(`${f}.${name}`, `${overrides}.${key}`, v);
      }
      return this.set(`${f}.${name}`, `${prefix}.${key}`, read(`${prefix}.${key}`));
    };
    // Unset, the key falls back to flytestdlib's registered default (database.postgres.*). Set to "",
    // it replaces the chart's default and is rendered empty: Flyte uses the same built-in default,
    // which is not what an operator writing the key meant (usually a value meant to come from
    // elsewhere, or a half-edited file): listed so that values.inputs.placeholders names it.
    const builtin = <T>(name: string, key: string, value: T): T => {
      const k = overrides && r.setEmpty(`${overrides}.${key}`) ? `${overrides}.${key}` : r.setEmpty(`${prefix}.${key}`) ? `${prefix}.${key}` : undefined;
      if (!k) return this.fixed(`${f}.${name}`, value, CHART_DEFAULT);
      this.emptied.push({ field: `${f}.${name}`, key: formatPath(r.abs(k)), origin: r.mv.originOf(r.abs(k)), fallback: String(value) });
      return this.fixed(`${f}.${name}`, value, `${r.prov(k)} (empty: Flyte's built-in default database.postgres.${key})`);
    };
    const host = pick('host', 'host', (k) => r.str(k)) ?? builtin('host', 'host', 'localhost');
    const port = pick('port', 'port', (k) => r.port(k)) ?? builtin('port', 'port', 30001);
    const dbname = pick('dbname', 'dbname', (k) => r.str(k)) ?? builtin('dbname', 'dbname', 'postgres');
    const user = pick('user', 'username', (k) => r.str(k)) ?? builtin('user', 'username', 'postgres');
    const db: DatabaseTarget = { role, host, port, dbname, user, valuesKey: prefix };
    const options = r.str(`${prefix}.options`) ?? (overrides ? r.str(`${overrides}.options`) : undefined);
    const optionsKey = r.str(`${prefix}.options`) !== undefined ? `${prefix}.options` : `${overrides}.options`;
    const opts = parseLibpqOptions(options ?? STDLIB.dbOptions);
    if (opts['sslmode'] !== undefined) {
      const mode = knownSslmode(opts['sslmode']);
      if (!mode) {
        // Not exit 2: database.postgres.tls fails naming the key and the allowed values.
        db.sslmodeInvalid = opts['sslmode'];
        this.provenance[`${f}.sslmodeInvalid`] = r.prov(optionsKey);
      } else {
        db.sslmode = mode;
        this.provenance[`${f}.sslmode`] = options === undefined ? CHART_DEFAULT : r.prov(optionsKey);
      }
    }
    const runtime = runtimeParamsOf(opts);
    if (Object.keys(runtime).length) {
      db.runtimeParams = runtime;
      this.provenance[`${f}.runtimeParams`] = r.prov(optionsKey);
    }
    if (opts['sslrootcert']) {
      checkReadableLater(`${r.mv.originOf(r.abs(optionsKey))}: ${formatPath(r.abs(optionsKey))} sslrootcert`, opts['sslrootcert'], this.opts.cwd);
      db.sslrootcert = opts['sslrootcert'];
      this.provenance[`${f}.sslrootcert`] = r.prov(optionsKey);
    }
    for (const k of ['sslcert', 'sslkey'] as const) {
      if (!opts[k]) continue;
      checkReadableLater(`${r.mv.originOf(r.abs(optionsKey))}: ${formatPath(r.abs(optionsKey))} ${k}`, opts[k], this.opts.cwd);
      db[k] = opts[k];
      this.provenance[`${f}.${k}`] = r.prov(optionsKey);
    }
    const moc = chart === 'flyte-binary' ? 'configuration.inline.database.maxOpenConnections' : `${prefix}.maxOpenConnections`;
    db.maxOpenConnections = this.set(`${f}.maxOpenConnections`, moc, r.num(moc)) ?? this.fixed(`${f}.maxOpenConnections`, STDLIB.maxOpenConnections, CHART_DEFAULT);
    this.password(db, idx, prefix, chart);
    return db;
  }
}

/**
 * flyte-binary's TLS sections as written: `tls` goes into both Ingresses, `httpTls` into the HTTP
 * one and `grpcTls` into the gRPC one (templates/ingress/{http,grpc}.yaml, toYaml of the list).
 */
function binaryTlsEntries(r: Reader, ig: string): NonNullable<IngressTarget['tlsEntries']> {
  const out: NonNullable<IngressTarget['tlsEntries']> = [];
  const shared = (r.list(`${ig}.tls`) ?? []).length;
  for (const list of ['tls', 'httpTls', 'grpcTls'] as const) {
    (r.list(`${ig}.${list}`) ?? []).forEach((e, i) => {
      const key = `${ig}.${list}[${i}]`;
      if (!isDict(e)) return;
      const origin = r.mv.originOf(r.abs([ig, list, i]));
      const secretName = typeof e['secretName'] === 'string' || typeof e['secretName'] === 'number' ? String(e['secretName']) : undefined;
      const hosts = Array.isArray(e['hosts']) ? e['hosts'].filter((h) => h !== null && h !== undefined && typeof h !== 'object').map(String) : [];
      out.push({ key, origin, ...(secretName !== undefined ? { secretName } : {}), hosts, ...(list === 'grpcTls' ? { grpcOnly: true } : {}), spec: `spec.tls[${list === 'tls' ? i : shared + i}]` });
    });
  }
  return out;
}

function providerOf(raw: string): StorageProvider {
  switch (raw) {
    case 's3': case 'minio': case 'sandbox': return 's3';
    case 'gcs': case 'google': return 'gcs';
    case 'azure': return 'azure';
    default: return 'other';
  }
}

function mapBinary(b: Builder): Omit<ChartMapping, 'provenance' | 'secrets'> {
  const r = b.r;
  const databases = [b.database(0, 'flyteadmin', 'configuration.database', 'flyte-binary', 'configuration.inline.database.postgres')];

  // storage
  // The chart renders s3, gcs (stow kind google) or azure; anything else fails the template.
  const provRaw = r.oneOf('configuration.storage.provider', ['s3', 'gcs', 'azure'] as const) ?? 's3';
  const provider = providerOf(provRaw);
  const st: StorageTarget = {
    provider, rawType: provRaw, authType: 'iam',
    signedUrlKey: 'configuration.inline.storage.signedUrl.stowConfigOverride.endpoint',
    valuesKey: 'configuration.storage',
  };
  b.set('storage.provider', 'configuration.storage.provider', provider);
  b.set('storage.rawType', 'configuration.storage.provider', provRaw);
  st.metadataBucket = b.set('storage.metadataBucket', 'configuration.inline.storage.container', r.str('configuration.inline.storage.container'))
    ?? b.set('storage.metadataBucket', 'configuration.storage.metadataContainer', r.str('configuration.storage.metadataContainer'));
  const inlineRaw = r.str(['configuration', 'inline', 'propeller', 'rawoutput-prefix']);
  const userData = r.str('configuration.storage.userDataContainer');
  if (inlineRaw) {
    st.rawOutputPrefix = b.set('storage.rawOutputPrefix', ['configuration', 'inline', 'propeller', 'rawoutput-prefix'], inlineRaw);
    st.userDataBucket = b.set('storage.userDataBucket', ['configuration', 'inline', 'propeller', 'rawoutput-prefix'], bucketOf(inlineRaw));
  } else if (userData) {
    st.userDataBucket = b.set('storage.userDataBucket', 'configuration.storage.userDataContainer', userData);
    const scheme = provider === 'gcs' ? 'gs' : provider === 'azure' ? 'abfs' : 's3';
    st.rawOutputPrefix = b.set('storage.rawOutputPrefix', 'configuration.storage.userDataContainer', `${scheme}://${userData}/data`);
  } else if (r.raw('configuration.storage.userDataContainer') === '') {
    // an explicit "" replaces the chart's default (Helm drops a key only for null): the chart renders
    // rawoutput-prefix s3:///data, a prefix with no bucket (storage.config.coherent says so)
    st.userDataBucket = b.set('storage.userDataBucket', 'configuration.storage.userDataContainer', '');
  }
  if (provider === 's3') {
    const s3 = 'configuration.storage.providerConfig.s3';
    st.region = b.set('storage.region', `${s3}.region`, r.str(`${s3}.region`)) ?? b.fixed('storage.region', STDLIB.s3Region, CHART_DEFAULT);
    st.endpoint = b.set('storage.endpoint', `${s3}.endpoint`, r.str(`${s3}.endpoint`));
    st.disableSSL = b.set('storage.disableSSL', `${s3}.disableSSL`, r.bool(`${s3}.disableSSL`));
    r.bool(`${s3}.v2Signing`);
    if (st.endpoint) st.forcePathStyle = b.fixed('storage.forcePathStyle', true, `${r.prov(`${s3}.endpoint`)} (custom endpoint: path-style)`);
    st.authType = b.set('storage.authType', `${s3}.authType`, r.oneOf(`${s3}.authType`, ['iam', 'accesskey'] as const)) ?? 'iam';
    st.accessKey = b.set('storage.accessKey', `${s3}.accessKey`, r.str(`${s3}.accessKey`));
    st.secretKey = b.secret(b.set('storage.secretKey', `${s3}.secretKey`, r.str(`${s3}.secretKey`)), `${s3}.secretKey`);
  } else if (provider === 'gcs') {
    st.authType = b.fixed('storage.authType', 'adc', CHART_DEFAULT);
    st.projectId = b.set('storage.projectId', 'configuration.storage.providerConfig.gcs.project', r.str('configuration.storage.providerConfig.gcs.project'));
  } else if (provider === 'azure') {
    const az = 'configuration.storage.providerConfig.azure';
    const key = r.str(`${az}.key`) || undefined;
    st.authType = key ? b.fixed('storage.authType', 'accesskey', r.prov(`${az}.key`)) : b.fixed('storage.authType', 'iam', CHART_DEFAULT);
    st.secretKey = b.secret(b.set('storage.secretKey', `${az}.key`, key));
    azureAccess(b, st, { account: `${az}.account`, suffix: `${az}.configDomainSuffix`, key: `${az}.key` });
  }
  st.endpoint ??= undefined;
  signedUrlOverride(b, st);
  validateBinaryStorageTypes(r);

  // ingress
  const ig = 'ingress';
  const common = r.strMap(`${ig}.commonAnnotations`);
  const annotations = { ...common, ...r.strMap(`${ig}.httpAnnotations`) };
  const grpcAnnotations = { ...common, ...r.strMap(`${ig}.grpcAnnotations`) };
  const tlsList = [...(r.list(`${ig}.tls`) ?? []), ...(r.list(`${ig}.httpTls`) ?? [])];
  const ingress: IngressTarget = {
    enabled: b.set('ingress.enabled', `${ig}.create`, r.bool(`${ig}.create`)) ?? false,
    annotations, grpcAnnotations,
    separateGrpcIngress: b.set('ingress.separateGrpcIngress', `${ig}.separateGrpcIngress`, r.bool(`${ig}.separateGrpcIngress`)) ?? true,
    tls: tlsList.length > 0 || albTls(annotations),
    valuesKey: 'ingress',
  };
  b.provenance['ingress.tls'] = tlsList.length ? r.prov(`${ig}.tls`) : albTls(annotations) ? `${r.prov(`${ig}.commonAnnotations`)} (ALB HTTPS listener)` : CHART_DEFAULT;
  const tlsEntries = binaryTlsEntries(r, ig);
  if (tlsEntries.length) ingress.tlsEntries = tlsEntries;
  const host = b.set('ingress.host', `${ig}.host`, r.str(`${ig}.host`));
  if (host) ingress.host = host;
  const cls = b.set('ingress.className', `${ig}.httpIngressClassName`, r.str(`${ig}.httpIngressClassName`))
    ?? b.set('ingress.className', `${ig}.ingressClassName`, r.str(`${ig}.ingressClassName`));
  if (cls) ingress.className = cls;

  // auth
  const a = 'configuration.auth';
  const auth: AuthTarget = {
    enabled: b.set('auth.enabled', `${a}.enabled`, r.bool(`${a}.enabled`)) ?? false,
    valuesKey: 'configuration.auth',
  };
  const issuer = b.set('auth.oidcIssuer', `${a}.oidc.baseUrl`, r.str(`${a}.oidc.baseUrl`));
  if (issuer) auth.oidcIssuer = issuer;
  const cid = b.set('auth.oidcClientId', `${a}.oidc.clientId`, r.str(`${a}.oidc.clientId`));
  if (cid) auth.oidcClientId = cid;
  const icid = b.set('auth.internalClientId', `${a}.internal.clientId`, r.str(`${a}.internal.clientId`));
  if (icid) auth.internalClientId = icid;
  const cs = b.secret(b.set('auth.clientSecret', `${a}.oidc.clientSecret`, r.str(`${a}.oidc.clientSecret`)), `${a}.oidc.clientSecret`);
  if (cs) auth.clientSecret = cs;
  b.secret(r.str(`${a}.internal.clientSecret`), `${a}.internal.clientSecret`);
  const ast = r.str('configuration.inline.auth.appAuth.authServerType');
  auth.authServerType = ast ? b.set('auth.authServerType', 'configuration.inline.auth.appAuth.authServerType', ast)! : b.fixed('auth.authServerType', 'Self', CHART_DEFAULT);
  r.bool(`${a}.enableAuthServer`);
  auth.authorizedUris = b.set('auth.authorizedUris', `${a}.authorizedUris`, r.strList(`${a}.authorizedUris`)) ?? b.fixed('auth.authorizedUris', [], CHART_DEFAULT);
  auth.chartAddsInternalUris = true;

  const projects = b.set('projects', 'flyte-core-components.admin.seedProjects', r.strList('flyte-core-components.admin.seedProjects'));
  const trd = taskDefaults(b, 'configuration.inline.task_resources.defaults');
  const out: Omit<ChartMapping, 'provenance' | 'secrets'> = { databases, storage: st, ingress, auth };
  if (projects) out.projects = projects;
  if (trd) out.taskResourceDefaults = trd;
  return out;
}

/** The signed-URL endpoint override (`…storage.signedUrl.stowConfigOverride.endpoint`): where signed URLs point. */
function signedUrlOverride(b: Builder, st: StorageTarget): void {
  const v = b.set('storage.signedUrlEndpoint', st.signedUrlKey, b.r.str(st.signedUrlKey));
  if (v) st.signedUrlEndpoint = v;
}

function validateBinaryStorageTypes(r: Reader): void {
  r.str('configuration.storage.metadataContainer');
  r.str('configuration.storage.userDataContainer');
  r.dict('configuration.storage.providerConfig');
}

function albTls(annotations: Record<string, string>): boolean {
  if (annotations['alb.ingress.kubernetes.io/certificate-arn']) return true;
  return /HTTPS/.test(annotations['alb.ingress.kubernetes.io/listen-ports'] ?? '');
}

function taskDefaults(b: Builder, key: string): { cpu?: string; memory?: string } | undefined {
  const r = b.r;
  const cpu = b.set('taskResourceDefaults.cpu', `${key}.cpu`, r.str(`${key}.cpu`));
  const memory = b.set('taskResourceDefaults.memory', `${key}.memory`, r.str(`${key}.memory`));
  if (cpu === undefined && memory === undefined) return undefined;
  const out: { cpu?: string; memory?: string } = {};
  if (cpu !== undefined) out.cpu = cpu;
  if (memory !== undefined) out.memory = memory;
  return out;
}

function mapCore(b: Builder): Omit<ChartMapping, 'provenance' | 'secrets'> {
  const r = b.r;
  const databases: DatabaseTarget[] = [];
  if (r.bool('flyteadmin.enabled') !== false) databases.push(b.database(databases.length, 'flyteadmin', 'db.admin.database', 'flyte-core'));
  if (r.bool('datacatalog.enabled') !== false) databases.push(b.database(databases.length, 'datacatalog', 'db.datacatalog.database', 'flyte-core'));

  // storage
  const type = r.oneOf('storage.type', ['s3', 'minio', 'custom', 'gcs', 'sandbox'] as const) ?? 'sandbox';
  const st: StorageTarget = {
    provider: 's3', rawType: type, authType: 'iam',
    signedUrlKey: 'configmap.adminServer.storage.signedUrl.stowConfigOverride.endpoint',
    valuesKey: 'storage',
  };
  b.set('storage.rawType', 'storage.type', type);
  st.metadataBucket = b.set('storage.metadataBucket', 'storage.bucketName', r.str('storage.bucketName'));
  if (type === 'sandbox') {
    const src = `${r.prov('storage.type')} (chart renders MinIO)`;
    st.provider = b.fixed('storage.provider', 's3', src);
    st.endpoint = b.fixed('storage.endpoint', `http://minio.${b.opts.namespace}.svc.cluster.local:9000`, src);
    st.region = b.fixed('storage.region', STDLIB.s3Region, CHART_DEFAULT);
    st.authType = b.fixed('storage.authType', 'accesskey', src);
    st.accessKey = b.fixed('storage.accessKey', 'minio', src);
    st.secretKey = b.defaultSecret(b.fixed('storage.secretKey', 'miniostorage', src));
    st.disableSSL = b.fixed('storage.disableSSL', true, src);
    st.forcePathStyle = b.fixed('storage.forcePathStyle', true, src);
  } else if (type === 's3' || type === 'minio') {
    b.set('storage.provider', 'storage.type', (st.provider = 's3'));
    st.region = b.set('storage.region', 'storage.s3.region', r.str('storage.s3.region')) ?? b.fixed('storage.region', STDLIB.s3Region, CHART_DEFAULT);
    st.endpoint = b.set('storage.endpoint', 'storage.s3.endpoint', r.str('storage.s3.endpoint'));
    if (st.endpoint || type === 'minio') st.forcePathStyle = b.fixed('storage.forcePathStyle', true, r.prov(st.endpoint ? 'storage.s3.endpoint' : 'storage.type'));
    if (st.endpoint?.startsWith('http://')) st.disableSSL = b.fixed('storage.disableSSL', true, r.prov('storage.s3.endpoint'));
    st.authType = b.set('storage.authType', 'storage.s3.authType', r.oneOf('storage.s3.authType', ['iam', 'accesskey'] as const)) ?? 'iam';
    st.accessKey = b.set('storage.accessKey', 'storage.s3.accessKey', r.str('storage.s3.accessKey'));
    st.secretKey = b.secret(b.set('storage.secretKey', 'storage.s3.secretKey', r.str('storage.s3.secretKey')), 'storage.s3.secretKey');
  } else if (type === 'gcs') {
    b.set('storage.provider', 'storage.type', (st.provider = 'gcs'));
    st.authType = b.fixed('storage.authType', 'adc', CHART_DEFAULT);
    st.projectId = b.set('storage.projectId', 'storage.gcs.projectId', r.str('storage.gcs.projectId'));
  } else {
    mapCoreCustom(b, st);
  }
  signedUrlOverride(b, st);
  const rop: Path = ['configmap', 'core', 'propeller', 'rawoutput-prefix'];
  const raw = r.str(rop);
  if (raw) {
    st.rawOutputPrefix = b.set('storage.rawOutputPrefix', rop, raw);
    st.userDataBucket = b.set('storage.userDataBucket', rop, bucketOf(raw));
  }

  // ingress
  const ig = 'common.ingress';
  const annotations = r.strMap(`${ig}.annotations`);
  const separate = b.set('ingress.separateGrpcIngress', `${ig}.separateGrpcIngress`, r.bool(`${ig}.separateGrpcIngress`)) ?? false;
  const tlsOn = r.bool(`${ig}.tls.enabled`) ?? false;
  const ingress: IngressTarget = {
    enabled: b.set('ingress.enabled', `${ig}.enabled`, r.bool(`${ig}.enabled`)) ?? true,
    annotations,
    grpcAnnotations: { ...annotations, ...r.strMap(`${ig}.separateGrpcIngressAnnotations`) },
    separateGrpcIngress: separate,
    tls: tlsOn || albTls(annotations),
    valuesKey: 'common.ingress',
  };
  b.provenance['ingress.tls'] = tlsOn ? r.prov(`${ig}.tls.enabled`) : albTls(annotations) ? `${r.prov(`${ig}.annotations`)} (ALB HTTPS listener)` : r.prov(`${ig}.tls.enabled`);
  const host = b.set('ingress.host', `${ig}.host`, r.str(`${ig}.host`));
  if (host) ingress.host = host;
  const cls = b.set('ingress.className', `${ig}.ingressClassName`, r.str(`${ig}.ingressClassName`))
    ?? b.set('ingress.className', [...`${ig}.annotations`.split('.'), 'kubernetes.io/ingress.class'], annotations['kubernetes.io/ingress.class']);
  if (cls) ingress.className = cls;

  // auth
  const as = 'configmap.adminServer';
  const auth: AuthTarget = {
    enabled: b.set('auth.enabled', `${as}.server.security.useAuth`, r.bool(`${as}.server.security.useAuth`)) ?? false,
    valuesKey: 'configmap.adminServer.auth',
  };
  r.bool(`${as}.server.security.secure`);
  const issuer = b.set('auth.oidcIssuer', `${as}.auth.userAuth.openId.baseUrl`, r.str(`${as}.auth.userAuth.openId.baseUrl`));
  if (issuer) auth.oidcIssuer = issuer;
  const cid = b.set('auth.oidcClientId', `${as}.auth.userAuth.openId.clientId`, r.str(`${as}.auth.userAuth.openId.clientId`));
  if (cid) auth.oidcClientId = cid;
  const sc = 'secrets.adminOauthClientCredentials';
  const icid = b.set('auth.internalClientId', `${sc}.clientId`, r.str(`${sc}.clientId`));
  if (icid) auth.internalClientId = icid;
  const cs = b.secret(b.set('auth.clientSecret', `${sc}.clientSecret`, r.str(`${sc}.clientSecret`)), `${sc}.clientSecret`);
  if (cs) auth.clientSecret = cs;
  const uris = b.set('auth.authorizedUris', `${as}.auth.authorizedUris`, r.strList(`${as}.auth.authorizedUris`));
  if (uris) auth.authorizedUris = uris;
  auth.authServerType = b.set('auth.authServerType', `${as}.auth.appAuth.authServerType`, r.str(`${as}.auth.appAuth.authServerType`)) ?? b.fixed('auth.authServerType', 'Self', CHART_DEFAULT);

  const projects = b.set('projects', 'flyteadmin.initialProjects', r.strList('flyteadmin.initialProjects'));
  const domainList = r.list('configmap.domain.domains');
  let domains: string[] | undefined;
  if (domainList) {
    domains = domainList.map((d, i) => {
      if (isDict(d) && d['id'] !== undefined) return String(d['id']);
      if (typeof d === 'string') return d;
      return r.str(['configmap', 'domain', 'domains', i, 'id']) ?? '';
    }).filter(Boolean);
    b.set('domains', 'configmap.domain.domains', domains);
  }
  const trd = taskDefaults(b, 'configmap.task_resource_defaults.task_resources.defaults');
  const out: Omit<ChartMapping, 'provenance' | 'secrets'> = { databases, storage: st, ingress, auth };
  if (projects) out.projects = projects;
  if (domains) out.domains = domains;
  if (trd) out.taskResourceDefaults = trd;
  return out;
}

/** flyte-core `storage.type: custom`: `storage.custom` is pasted verbatim as flytestdlib `storage.*`. */
function mapCoreCustom(b: Builder, st: StorageTarget): void {
  const r = b.r;
  const c = 'storage.custom';
  // flytestdlib: storage.type s3/minio/local/mem/stow; stow.kind s3/google/azure/oracle/swift/local.
  const kind = r.oneOf(`${c}.stow.kind`, ['s3', 'google', 'azure', 'oracle', 'swift', 'local'] as const);
  const ctype = r.oneOf(`${c}.type`, ['s3', 'minio', 'local', 'mem', 'stow'] as const);
  const raw = kind ?? ctype ?? 'custom';
  st.provider = b.set('storage.provider', kind ? `${c}.stow.kind` : `${c}.type`, providerOf(raw)) ?? 'other';
  if (!kind && !ctype) b.provenance['storage.provider'] = r.prov('storage.type');
  const container = r.str(`${c}.container`);
  if (container) st.metadataBucket = b.set('storage.metadataBucket', `${c}.container`, container);
  const cfg = kind ? `${c}.stow.config` : `${c}.connection`;
  const k = kind
    ? { region: 'region', endpoint: 'endpoint', auth: 'auth_type', access: 'access_key_id', secret: 'secret_key', ssl: 'disable_ssl' }
    : { region: 'region', endpoint: 'endpoint', auth: 'auth-type', access: 'access-key', secret: 'secret-key', ssl: 'disable-ssl' };
  if (st.provider === 's3') {
    st.region = b.set('storage.region', `${cfg}.${k.region}`, r.str(`${cfg}.${k.region}`)) ?? b.fixed('storage.region', STDLIB.s3Region, CHART_DEFAULT);
    st.endpoint = b.set('storage.endpoint', `${cfg}.${k.endpoint}`, r.str(`${cfg}.${k.endpoint}`));
    if (st.endpoint) st.forcePathStyle = b.fixed('storage.forcePathStyle', true, r.prov(`${cfg}.${k.endpoint}`));
    st.disableSSL = b.set('storage.disableSSL', `${cfg}.${k.ssl}`, r.bool(`${cfg}.${k.ssl}`));
    const auth = r.str(`${cfg}.${k.auth}`);
    st.authType = auth === 'accesskey' ? b.set('storage.authType', `${cfg}.${k.auth}`, 'accesskey' as const)! : 'iam';
    st.accessKey = b.set('storage.accessKey', `${cfg}.${k.access}`, r.str(`${cfg}.${k.access}`));
    st.secretKey = b.secret(b.set('storage.secretKey', `${cfg}.${k.secret}`, r.str(`${cfg}.${k.secret}`)), `${cfg}.${k.secret}`);
  } else if (st.provider === 'gcs') {
    st.authType = r.str(`${c}.stow.config.json`) ? 'keyfile' : 'adc';
    st.projectId = b.set('storage.projectId', `${c}.stow.config.project_id`, r.str(`${c}.stow.config.project_id`));
  } else if (st.provider === 'azure') {
    const ac = `${c}.stow.config`;
    const key = r.str(`${ac}.key`) || undefined;
    st.authType = key ? b.fixed('storage.authType', 'accesskey', r.prov(`${ac}.key`)) : b.fixed('storage.authType', 'iam', `${r.prov(`${c}.stow.kind`)} (no key: the Azure default credential chain)`);
    st.secretKey = b.secret(b.set('storage.secretKey', `${ac}.key`, key));
    azureAccess(b, st, { account: `${ac}.account`, suffix: r.str(`${ac}.domain_suffix`) ? `${ac}.domain_suffix` : `${ac}.base_url`, key: `${ac}.key` });
  }
}

/**
 * Azure Blob (stow kind azure): the account, the endpoint suffix (a full URL there is a custom
 * endpoint: Azurite, Azure Stack; a SAS query in it is a secret), and the auth mode: the account
 * key, else a SAS (AZURE_STORAGE_SAS_TOKEN on this machine), else Azure AD through the default
 * chain (Workload Identity in Flyte's pods).
 */
function azureAccess(b: Builder, st: StorageTarget, keys: { account: string; suffix: string; key: string }): void {
  const r = b.r;
  const account = b.set('storage.account', keys.account, r.str(keys.account) || undefined);
  if (account) st.account = account;
  const suffix = r.str(keys.suffix) || undefined;
  if (suffix && /^https?:\/\//i.test(suffix)) {
    const [base, query] = suffix.split('?', 2) as [string, string | undefined];
    st.endpoint = b.set('storage.endpoint', keys.suffix, base)!;
    if (query && /(^|&)sig=/.test(query)) {
      st.sasToken = b.secret(query);
      b.fixed('storage.sasToken', '', `${r.prov(keys.suffix)} (SAS query of the URL)`);
    }
  } else if (suffix) {
    st.domainSuffix = b.set('storage.domainSuffix', keys.suffix, suffix.replace(/^\.+|\/+$/g, ''))!;
  }
  const envSas = b.opts.env['AZURE_STORAGE_SAS_TOKEN']?.trim().replace(/^\?/, '');
  if (st.secretKey) st.azureAuth = b.fixed('storage.azureAuth', 'key', r.prov(keys.key));
  else if (st.sasToken) st.azureAuth = b.fixed('storage.azureAuth', 'sas', b.provenance['storage.sasToken']!);
  else if (envSas) {
    st.sasToken = b.secret(envSas);
    b.fixed('storage.sasToken', '', 'env AZURE_STORAGE_SAS_TOKEN');
    st.azureAuth = b.fixed('storage.azureAuth', 'sas', 'env AZURE_STORAGE_SAS_TOKEN (this machine; Flyte\'s pods use their own identity)');
  } else st.azureAuth = b.fixed('storage.azureAuth', 'token', `${r.prov(keys.key)} (no key: Azure AD through the default credential chain, Workload Identity in the pods)`);
}

export function mapChart(chart: Chart, r: Reader, opts: MapOptions): ChartMapping {
  const b = new Builder(r, opts);
  const m: Omit<ChartMapping, 'provenance' | 'secrets'> = chart === 'flyte-binary' ? mapBinary(b) : mapCore(b);
  m.components = componentsFromValues(chart, r);
  const ids = identitiesFromValues(chart, r);
  if (ids.length) m.identities = ids;
  // Passwords inside URLs (storage endpoint, IdP URL) are secrets too.
  for (const u of [m.storage?.endpoint, m.auth.oidcIssuer]) {
    const p = urlPassword(u);
    if (p) b.secrets.add(p);
  }
  if (m.storage && m.storage.endpoint === undefined) delete m.storage.endpoint;
  return { ...m, provenance: b.provenance, secrets: [...b.secrets], ...(b.emptied.length ? { emptied: b.emptied } : {}) };
}
