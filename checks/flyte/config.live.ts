// flyte.config.live: the configuration the installed release really runs with, read from the
// cluster the way the pods read it (each Flyte Deployment's `--config <dir>/*.yaml`: the ConfigMap
// and Secret keys mounted there, merged in Flyte's order; the Secret a passwordPath points at), and
// cross-checked against the target the values produced: database host/port/dbname/user (password:
// only "differs"), storage provider/buckets/endpoint/region/auth type (keys: only "differs"), auth
// enabled. A difference names the field, the values key and file, the live ConfigMap and key, both
// values, and the rollout command. When the config matches but a pod started before its ConfigMap
// or Secret last changed, the pod may run the old config: `kubectl rollout restart`.
import { isObj, KubeError, kubeSession, kubectl, probeSignal, selectorString, type KubeSession } from '../../src/clients/kube.js';
import { manifestSetFromObjects, mapManifests, type ManifestMapping, type ManifestSet } from '../../src/config/manifests.js';
import type { Chart, Target } from '../../src/config/target.js';
import { cause, hostPortKey } from '../../src/engine/causes.js';
import { endpointParts } from '../../src/flyte/storage.js';
import { maskIdentifier } from '../../src/config/secret.js';
import { defineCheck } from '../../src/engine/define.js';
import { secretsOf } from '../../src/config/credentials.js';
import { UserError } from '../../src/errors.js';
import { flyteComponents, resolveChartNames, type ChartNames } from '../../src/flyte/kubernetes.js';
import { parseSource } from '../../src/flyte/settings.js';
import { API_MESSAGES, withKube } from '../kubernetes/_support.js';
import type { CheckContext } from '../../src/engine/types.js';
import type { DatabaseTarget } from '../../src/config/target.js';
import type { Secret } from '../../src/config/secret.js';

type Obj = Record<string, any>;

/** The config ConfigMaps each chart creates, read when no Flyte Deployment is there to say (facts §A1, §A2). */
const FALLBACK_CONFIGMAPS = { 'flyte-binary': (fn: string) => [`${fn}-config`], 'flyte-core': () => ['flyte-admin-base-config', 'datacatalog-config', 'flyte-propeller-config'] } as const;

/** Whether the run has values to compare with (a file or --set decided the chart or sets a database/storage/auth field). */
export function valuesGiven(t: Target): boolean {
  if (!t.chart) return false;
  if (t.chartSource && !t.chartSource.startsWith('--chart')) return true;
  return Object.entries(t.provenance).some(([k, v]) => /^(databases\[|storage\.|auth\.)/.test(k) && parseSource(v).origin === 'file');
}

export interface Difference {
  /** Target field, e.g. `storage.metadataBucket`. */
  field: string;
  what: string;
  secret: boolean;
  values?: string;
  live?: string;
  /** Where the values set it (`values.yaml: configuration.storage.metadataContainer`, `chart default`). */
  valuesSource: string;
  /** Where the live config sets it (`ConfigMap flyte/x key 003-storage.yaml: storage.container`). */
  liveSource: string;
  /** The values key (for the cause and the fix). */
  valuesKey?: string;
}

const text = (v: unknown): string | undefined => (v === undefined || v === null || v === '' ? undefined : String(v));
const normUrl = (v: string | undefined) => v?.replace(/\/+$/, '');

/** Compares the values' target with the live mapping, field by field (only fields the live config carries). */
export function compareLive(t: Target, live: ManifestMapping, o: { secretsUnreadable?: boolean } = {}): Difference[] {
  const out: Difference[] = [];
  const unreadable = !!o.secretsUnreadable;
  const add = (field: string, what: string, values: unknown, liveValue: unknown, liveField: string, o: { secret?: boolean; identifier?: boolean; eq?: (a: string | undefined, b: string | undefined) => boolean } = {}) => {
    // A credential the live config only has as a default, while some of its Secrets could not be
    // read: the real one is probably in those Secrets. Not compared (the pass says what was not).
    if (unreadable && (o.secret || o.identifier) && /^(default|not set)/.test(live.provenance[liveField] ?? 'not set')) return;
    const a = text(values), b = text(liveValue);
    const eq = o.eq ?? ((x, y) => x === y);
    if (eq(a, b)) return;
    const src = t.provenance[field] ?? 'not set';
    const ps = parseSource(src);
    const hidden = o.secret || o.identifier;
    out.push({
      field, what, secret: !!hidden,
      ...(!hidden && a !== undefined ? { values: a } : {}), ...(!hidden && b !== undefined ? { live: b } : {}),
      valuesSource: src, liveSource: live.provenance[liveField] ?? 'not set in the live config',
      ...(ps.key ? { valuesKey: ps.key } : {}),
    });
  };
  const ci = (x: string | undefined, y: string | undefined) => (x ?? '').toLowerCase() === (y ?? '').toLowerCase();
  t.databases.forEach((db, i) => {
    const j = live.databases.findIndex((d) => d.role === db.role);
    if (j < 0) return;
    const l = live.databases[j]!;
    const f = (name: string) => `databases[${i}].${name}`, lf = (name: string) => `databases[${j}].${name}`;
    const who = `${db.role} database`;
    add(f('host'), `${who} host`, db.host, l.host, lf('host'), { eq: ci });
    add(f('port'), `${who} port`, db.port, l.port, lf('port'));
    add(f('dbname'), `${who} name`, db.dbname, l.dbname, lf('dbname'));
    add(f('user'), `${who} user`, db.user, l.user, lf('user'));
    if (db.password && l.password) add(f('password'), `${who} password`, db.password.reveal(), l.password.reveal(), lf('password'), { secret: true });
  });
  const st = t.storage, ls = live.storage;
  if (st && ls) {
    add('storage.provider', 'storage provider', st.provider, ls.provider, 'storage.provider');
    add('storage.metadataBucket', 'metadata bucket', st.metadataBucket, ls.metadataBucket, 'storage.metadataBucket');
    if (st.userDataBucket && ls.userDataBucket) add('storage.userDataBucket', 'raw-data bucket', st.userDataBucket, ls.userDataBucket, 'storage.userDataBucket');
    if (st.provider === 's3' && ls.provider === 's3') {
      add('storage.endpoint', 'storage endpoint', normUrl(st.endpoint), normUrl(ls.endpoint), 'storage.endpoint');
      add('storage.region', 'storage region', st.region, ls.region, 'storage.region');
      add('storage.authType', 'storage auth type', st.authType, ls.authType, 'storage.authType');
      if (st.accessKey && ls.accessKey) add('storage.accessKey', 'storage access key id', st.accessKey, ls.accessKey, 'storage.accessKey', { identifier: true });
      if (st.secretKey && ls.secretKey) add('storage.secretKey', 'storage secret key', st.secretKey.reveal(), ls.secretKey.reveal(), 'storage.secretKey', { secret: true });
    }
    if (st.provider === 'gcs' && ls.provider === 'gcs' && st.projectId && ls.projectId) add('storage.projectId', 'GCS project', st.projectId, ls.projectId, 'storage.projectId');
  }
  if (live.auth) add('auth.enabled', 'auth enabled', t.auth.enabled, live.auth.enabled, 'auth.enabled');
  // authorizedUris decide which audiences flyteadmin accepts in tokens (auth on): compared as sets,
  // the flyte-binary chart's own in-cluster URIs (http://<fullname>[.<ns>…]:8088) apart.
  if (live.auth?.enabled && t.auth.enabled) {
    const norm = (u: string) => u.trim().replace(/\/+$/, '').toLowerCase();
    const internal = (u: string) => !!t.auth.chartAddsInternalUris && /^http:\/\/[a-z0-9.-]+:8088$/.test(norm(u));
    const want = (t.auth.authorizedUris ?? []).filter((u) => !internal(u));
    const have = (live.auth.authorizedUris ?? []).filter((u) => !internal(u));
    const lacking = want.filter((u) => !have.some((h) => norm(h) === norm(u)));
    const extra = have.filter((u) => !want.some((w) => norm(w) === norm(u)));
    if (lacking.length || extra.length) {
      const src = t.provenance['auth.authorizedUris'] ?? 'not set';
      const ps = parseSource(src);
      out.push({
        field: 'auth.authorizedUris',
        what: `authorizedUris (flyteadmin accepts tokens only for these audiences; the live config ${[lacking.length ? `lacks ${lacking.join(', ')}` : '', extra.length ? `has ${extra.join(', ')} the values do not list` : ''].filter(Boolean).join(' and ')})`,
        secret: false, values: want.join(', ') || '(none)', live: have.join(', ') || '(none)',
        valuesSource: src, liveSource: live.provenance['auth.authorizedUris'] ?? 'not set in the live config',
        valuesKey: ps.key ?? `${t.auth.valuesKey}.authorizedUris`,
      });
    }
  }
  return out;
}

/**
 * The cause key the probe of this setting reports when the values' setting is the wrong one:
 * database.postgres.auth (login keyed by user@host:port), database.postgres.database (the dbname
 * key), database.postgres.connect and storage.s3.endpoint (the address: nothing or another service
 * answers there), storage.s3.* (the access key's credentials, a bucket key=name). Undefined for the others.
 */
export function probeCause(t: Target, d: Difference): string | undefined {
  const m = /^databases\[(\d+)\]\.(password|user|dbname|host|port)$/.exec(d.field);
  if (m) {
    const db = t.databases[Number(m[1])];
    if (!db) return undefined;
    if (m[2] === 'dbname') return d.valuesKey ? cause.config(d.valuesKey) : undefined;
    // another address: what the connect probe finds there (nothing, or another service) is keyed by it
    if (m[2] === 'host' || m[2] === 'port') return cause.unreachable(hostPortKey(db.host, db.port));
    return cause.credentials('postgres', `${db.user}@${hostPortKey(db.host, db.port)}`);
  }
  const st = t.storage;
  if (!st) return undefined;
  if ((d.field === 'storage.secretKey' || d.field === 'storage.accessKey') && st.provider === 's3' && st.authType === 'accesskey' && st.accessKey) {
    return cause.credentials('s3', maskIdentifier(st.accessKey));
  }
  if (d.field === 'storage.endpoint' && st.endpoint) {
    // the parts storage.s3.endpoint keys its findings by
    const p = endpointParts(st);
    return p ? cause.unreachable(hostPortKey(p.host, p.port)) : undefined;
  }
  if ((d.field === 'storage.metadataBucket' || d.field === 'storage.userDataBucket') && d.valuesKey && d.values) return cause.config(`${d.valuesKey}=${d.values}`);
  return undefined;
}

function describeDiff(d: Difference): string {
  if (d.secret) return `${d.what} differs between the values (${d.valuesSource}) and the live config (${d.liveSource})`;
  return `${d.what}: the values say ${d.values === undefined ? 'nothing' : JSON.stringify(d.values)} (${d.valuesSource}), the live config says ${d.live === undefined ? 'nothing' : JSON.stringify(d.live)} (${d.liveSource})`;
}

/** Target fields the values decide (not the client config's endpoint copied into ingress.*). */
const VALUES_FIELDS = /^(databases\[|storage\.|auth\.|projects$|domains$|taskResourceDefaults\.|ingress\.(enabled|host|className|tls|separateGrpcIngress)$)/;

/** `helm upgrade` with the values files the target was read from (and a note for --set). */
function helmUpgrade(t: Target, release: string, chart: Chart, ns: string): string {
  const files = new Set<string>();
  let sets = false;
  const detected = /^auto-detected from (.+?): /.exec(t.chartSource ?? '')?.[1];
  if (detected && detected !== '--set') files.add(detected);
  for (const [k, v] of Object.entries(t.provenance)) {
    if (!VALUES_FIELDS.test(k)) continue;
    const p = parseSource(v);
    if (p.origin !== 'file' || !p.file || p.key?.startsWith('admin.')) continue;
    if (p.file === '--set') sets = true;
    else if (t.inputs.includes(p.file)) files.add(p.file);
  }
  const ordered = t.inputs.filter((f) => files.has(f));
  return `helm upgrade ${release} flyteorg/${chart} -n ${ns} ${ordered.length ? ordered.map((f) => `-f ${f}`).join(' ') : '-f <your values files>'}${sets ? ' --set <the same --set flags>' : ''}`;
}

/** When a ConfigMap's or Secret's data last changed (managedFields that own data), else its creation. */
function lastDataChange(o: Obj): number | undefined {
  const md = isObj(o['metadata']) ? o['metadata'] : {};
  let t: number | undefined;
  for (const f of Array.isArray(md['managedFields']) ? md['managedFields'].filter(isObj) : []) {
    const fields = JSON.stringify(f['fieldsV1'] ?? {});
    if (!/"f:(data|stringData|binaryData)"/.test(fields) || typeof f['time'] !== 'string') continue;
    const x = Date.parse(f['time']);
    if (Number.isFinite(x)) t = Math.max(t ?? x, x);
  }
  if (t === undefined && typeof md['creationTimestamp'] === 'string') { const x = Date.parse(md['creationTimestamp']); if (Number.isFinite(x)) t = x; }
  return t;
}

interface Fetched {
  deployments: Obj[];
  configMaps: Map<string, Obj>;
  secrets: Map<string, Obj>;
  /** `Kind ns/name` that do not exist although a Deployment mounts them (not optional). */
  missing: { kind: 'ConfigMap' | 'Secret'; name: string; deployment: string }[];
  /** Secrets the identity may not read (compared by key name only: nothing). */
  unreadable: string[];
}

const PASSWORD_PATH = /^\s*passwordpath\s*:\s*["']?([^\s"'#]+)/gim;

/** Reads the Flyte Deployments, the ConfigMaps and Secrets their config dirs mount, and the Secret behind a passwordPath. */
async function fetchLive(s: KubeSession, ns: string, deploymentNames: string[], fallback: string[], signal: AbortSignal, addSecret: (v: string) => void): Promise<Fetched> {
  const enc = encodeURIComponent;
  const out: Fetched = { deployments: [], configMaps: new Map(), secrets: new Map(), missing: [], unreadable: [] };
  for (const name of deploymentNames) {
    const d = await s.getOptional<Obj>(`/apis/apps/v1/namespaces/${enc(ns)}/deployments/${enc(name)}`, signal);
    if (d && isObj(d)) out.deployments.push({ ...d, apiVersion: 'apps/v1', kind: 'Deployment' });
  }
  const getSecret = async (name: string): Promise<Obj | undefined | 'forbidden'> => {
    if (out.secrets.has(name)) return out.secrets.get(name);
    try {
      const sec = await s.getOptional<Obj>(`/api/v1/namespaces/${enc(ns)}/secrets/${enc(name)}`, signal);
      if (sec && isObj(sec)) {
        // Every value is a secret before anything else touches it.
        for (const field of ['data', 'stringData']) {
          const data = sec[field];
          // A config document in a Secret gives its values, never the document (its keys are words every report prints).
          if (isObj(data)) for (const v of Object.values(data)) if (typeof v === 'string') { if (field === 'data') addSecret(v); for (const x of secretsOf(field === 'data' ? Buffer.from(v, 'base64').toString('utf8') : v)) addSecret(x); }
        }
        const clean = { apiVersion: 'v1', kind: 'Secret', metadata: sec['metadata'], ...(isObj(sec['data']) ? { data: sec['data'] } : {}), ...(isObj(sec['stringData']) ? { stringData: sec['stringData'] } : {}) };
        out.secrets.set(name, clean);
        return clean;
      }
      return undefined;
    } catch (e) {
      if (e instanceof KubeError && e.kind === 'forbidden') { if (!out.unreadable.includes(name)) out.unreadable.push(name); return 'forbidden'; }
      throw e;
    }
  };
  const getConfigMap = async (name: string): Promise<Obj | undefined> => {
    if (out.configMaps.has(name)) return out.configMaps.get(name);
    const cm = await s.getOptional<Obj>(`/api/v1/namespaces/${enc(ns)}/configmaps/${enc(name)}`, signal);
    if (cm && isObj(cm)) { const c = { ...cm, apiVersion: 'v1', kind: 'ConfigMap' }; out.configMaps.set(name, c); return c; }
    return undefined;
  };
  if (!out.deployments.length) {
    for (const name of fallback) await getConfigMap(name);
    return out;
  }
  // Which volumes the config dirs are: the same reading the manifests use.
  const shape = manifestSetFromObjects('cluster', out.deployments.map((d) => ({ obj: d, where: `cluster: Deployment ${ns}/${d['metadata']?.['name']}` })));
  for (const d of shape.deployments) {
    const dirs = new Set(d.configGlobs.map((g) => g.replace(/\/[^/]*$/, '').replace(/\/+$/, '') || '/'));
    for (const m of d.mounts.filter((x) => dirs.has(x.mountPath) && !x.subPath)) {
      for (const src of m.sources) {
        const got = src.kind === 'ConfigMap' ? await getConfigMap(src.name) : await getSecret(src.name);
        if (got === undefined && !src.optional) out.missing.push({ kind: src.kind, name: src.name, deployment: d.name });
      }
    }
  }
  // The Secret a passwordPath points at (flyte-core: db-pass at /etc/db).
  const paths = new Set<string>();
  for (const cm of out.configMaps.values()) for (const v of Object.values(isObj(cm['data']) ? cm['data'] : {})) if (typeof v === 'string') for (const m of v.matchAll(PASSWORD_PATH)) paths.add(m[1]!);
  for (const p of paths) {
    for (const d of shape.deployments) {
      const m = d.mounts.filter((x) => !x.subPath && p.startsWith(`${x.mountPath}/`)).sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
      for (const src of m?.sources ?? []) {
        if (src.kind !== 'Secret') continue;
        const got = await getSecret(src.name);
        if (got === undefined && !src.optional && !out.missing.some((x) => x.name === src.name && x.kind === 'Secret')) out.missing.push({ kind: 'Secret', name: src.name, deployment: d.name });
      }
    }
  }
  return out;
}

interface Stale { deployment: string; pod: string; started: string; source: string; changed: string }

/** Pods of the Flyte Deployments whose containers started before a config source last changed. */
async function staleRollouts(s: KubeSession, ns: string, set: ManifestSet, f: Fetched, signal: AbortSignal): Promise<Stale[] | 'forbidden'> {
  const out: Stale[] = [];
  for (const c of set.components) {
    const dep = f.deployments.find((d) => d['metadata']?.['name'] === c.deployment);
    if (!dep) continue;
    let newest: { t: number; label: string } | undefined;
    for (const label of c.layerLabels) {
      const m = /^(ConfigMap|Secret) (?:[^/ ]+\/)?(\S+) key /.exec(label);
      if (!m) continue;
      const obj = m[1] === 'ConfigMap' ? f.configMaps.get(m[2]!) : f.secrets.get(m[2]!);
      const t = obj ? lastDataChange(obj) : undefined;
      if (t !== undefined && (!newest || t > newest.t)) newest = { t, label: `${m[1]} ${ns}/${m[2]}` };
    }
    if (!newest) continue;
    const sel = selectorString(isObj(dep['spec']) ? dep['spec']['selector'] : undefined);
    if (!sel) continue;
    let pods: Obj[];
    try { pods = await s.list<Obj>(`/api/v1/namespaces/${encodeURIComponent(ns)}/pods`, signal, { labelSelector: sel, maxItems: 100 }); } catch (e) {
      if (e instanceof KubeError && e.kind === 'forbidden') return 'forbidden';
      throw e;
    }
    for (const p of pods) {
      if (p['metadata']?.['deletionTimestamp']) continue;
      const st = isObj(p['status']) ? p['status'] : {};
      const starts = (Array.isArray(st['containerStatuses']) ? st['containerStatuses'] : []).filter(isObj)
        .map((cs) => (isObj(cs['state']) && isObj(cs['state']['running']) && typeof cs['state']['running']['startedAt'] === 'string' ? Date.parse(cs['state']['running']['startedAt']) : NaN))
        .filter((x) => Number.isFinite(x));
      if (!starts.length) continue;
      const started = Math.min(...starts);
      if (started < newest.t) out.push({ deployment: c.deployment, pod: String(p['metadata']?.['name'] ?? '?'), started: new Date(started).toISOString(), source: newest.label, changed: new Date(newest.t).toISOString() });
    }
  }
  return out;
}

interface LiveRead { f: Fetched; release: string; deploymentNames: string[]; fallback: string[]; mapped: () => ReturnType<typeof liveMapping> }

/** The release's Deployments, ConfigMaps and Secrets, read once per run (flyte.config.live and the probes that compare with it). */
function readLive(ctx: CheckContext, s: KubeSession, callerSignal: AbortSignal): Promise<LiveRead> {
  const t = ctx.target;
  const chart: Chart = t.chart ?? 'flyte-binary';
  const ns = t.kubernetes.namespace;
  // read under the run's signal (bounded), not one check's: each caller stops waiting at its own
  const read = ctx.shared(`live-config:${ns}:${t.kubernetes.release}:${chart}`, async (runSignal) => {
    const signal = probeSignal(runSignal, 10_000);
    const base: ChartNames = { chart, kubernetes: { release: t.kubernetes.release, namespace: ns } };
    const names = await resolveChartNames(s, base, signal);
    const fullname = names.fullname ?? (chart === 'flyte-binary' ? `${t.kubernetes.release.includes('flyte-binary') ? t.kubernetes.release : `${t.kubernetes.release}-flyte-binary`}` : undefined);
    const deploymentNames = [...new Set(flyteComponents(names).flatMap((c) => c.deployments))];
    const fallback = chart === 'flyte-binary' ? FALLBACK_CONFIGMAPS['flyte-binary'](fullname!) : FALLBACK_CONFIGMAPS['flyte-core']();
    const f = await fetchLive(s, ns, deploymentNames, fallback, signal, (v) => ctx.addSecret(v));
    const release = f.deployments.map((d) => d['metadata']?.['labels']?.['app.kubernetes.io/instance']).find((x): x is string => typeof x === 'string')
      ?? [...f.configMaps.values()].map((c) => c['metadata']?.['labels']?.['app.kubernetes.io/instance']).find((x): x is string => typeof x === 'string') ?? names.kubernetes.release;
    // mapped once per run: flyte.config.live and the probes that compare with it read the same
    let m: ReturnType<typeof liveMapping> | undefined;
    return { f, release, deploymentNames, fallback, mapped: () => (m ??= liveMapping(ctx, f, ns)) };
  });
  return new Promise<LiveRead>((resolve, reject) => {
    const stop = () => reject(new KubeError('timeout', `the live config of ${ns} was not read before the time was up`, { code: 'ABORT_ERR' }));
    if (callerSignal.aborted) return stop();
    callerSignal.addEventListener('abort', stop, { once: true });
    read.then(resolve, reject).finally(() => callerSignal.removeEventListener('abort', stop));
  });
}

/** The live config as Flyte reads it from what was fetched; its secrets registered with the redactor. */
function liveMapping(ctx: CheckContext, f: Fetched, ns: string): { set: ManifestSet; live: ManifestMapping } | { error: UserError } {
  const objects = [...f.deployments, ...f.configMaps.values(), ...f.secrets.values()]
    .map((o) => ({ obj: o, where: `cluster: ${o['kind']} ${ns}/${o['metadata']?.['name']}` }));
  try {
    const set = manifestSetFromObjects('cluster', objects);
    for (const v of set.secretValues()) ctx.addSecret(v);
    const live = mapManifests(set, { env: {}, cwd: '/', namespace: ns, from: 'what may be read from the cluster' });
    for (const v of live.secrets) ctx.addSecret(v);
    return { set, live };
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    return { error: e };
  }
}

/**
 * In verify: the password the installed release gives this database's role, when it is not the one
 * the values give (read from the release's own config, as flyte.config.live reads it). Undefined when
 * it is the same, cannot be read (no values, no API access, no right to read the Secret) or is not set.
 */
export async function installedPassword(ctx: CheckContext, db: DatabaseTarget): Promise<{ password: Secret; source: string } | undefined> {
  const t = ctx.target;
  if (ctx.phase !== 'verify' || !valuesGiven(t) || !db.password) return undefined;
  try {
    const s = await kubeSession(ctx);
    const signal = probeSignal(ctx.signal, Math.max(200, Math.min(3000, ctx.remainingMs() - 1500)));
    const mapped = (await readLive(ctx, s, signal)).mapped();
    if ('error' in mapped) return undefined;
    const j = mapped.live.databases.findIndex((d) => d.role === db.role);
    const l = j < 0 ? undefined : mapped.live.databases[j]!;
    if (!l?.password || l.password.reveal() === db.password.reveal()) return undefined;
    return { password: l.password, source: mapped.live.provenance[`databases[${j}].password`] ?? 'the live config' };
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    return undefined; // no cluster view: nothing to compare with
  }
}

export default defineCheck({
  id: 'flyte.config.live',
  title: 'The installed release runs with the configuration the values give',
  phases: ['verify'],
  needs: ['kubernetes'],
  dependsOn: ['kubernetes.api.reachable'],
  messages: {
    matches: { status: 'pass', summary: 'The live config of every Flyte component (its ConfigMaps and Secrets) matches the values: databases, storage, auth.' },
    noValues: { status: 'skip', summary: 'No Helm values were given, so there is nothing to compare the live config with.' },
    differs: { status: 'fail', summary: 'The live config differs from the values (a change never rolled out, or values that are not the installed ones); each field with both values, where each is set, and the rollout command.' },
    staleRollout: { status: 'warn', summary: 'The live config matches the values, but pods started before their ConfigMap or Secret last changed: they may still run the old config.' },
    configMissing: { status: 'fail', summary: 'A ConfigMap or Secret a Flyte Deployment reads its config from does not exist.' },
    notInstalled: { status: 'fail', summary: 'Neither a Flyte Deployment nor a Flyte config ConfigMap exists in the namespace.' },
    liveConfigInvalid: { status: 'fail', summary: 'A live config file cannot be read as Flyte config (invalid YAML, a wrong type, an unknown storage type): Flyte fails the same way.' },
    ...API_MESSAGES,
  },
  explain: {
    what: 'Reads the config the installed release runs with: each Flyte Deployment\'s `--config <dir>/*.yaml` (the ConfigMap and Secret keys mounted there, merged in the order Flyte reads them) and the Secret behind a database passwordPath, and compares it with the values: database host, port, name, user and password; storage provider, buckets, endpoint, region, auth type and keys; auth enabled and, with auth on, authorizedUris (as sets, the flyte-binary chart\'s in-cluster URIs apart). Secret values are compared, never shown.',
    why: 'Every other check judges the values; the pods run what was rendered at the last `helm upgrade` (or edited since). A values change never rolled out, values files that are not the installed ones, or a ConfigMap edited by hand make the checks pass on settings Flyte does not use.',
    fix: 'Roll the values out: `helm upgrade <release> flyteorg/<chart> -n <namespace> -f <values files>` (the chart restarts the pods); if the live setting is the right one, fix the values instead. When the ConfigMap matches but pods are older than it: `kubectl -n <namespace> rollout restart deployment/<name>`.',
  },
  async run(ctx) {
    const t = ctx.target;
    if (!valuesGiven(t)) {
      return { status: 'skip', messageId: 'noValues', message: 'no Helm values given (-f/--set): nothing to compare the live config of the release with' };
    }
    const chart: Chart = t.chart ?? 'flyte-binary';
    const ns = t.kubernetes.namespace;
    const k = kubectl(t.kubernetes, ns);
    return withKube(ctx, `the live Flyte config in namespace ${ns}`, async (s, signal) => {
      const { f, release, deploymentNames, fallback, mapped: mapLive } = await readLive(ctx, s, signal);
      const upgrade = helmUpgrade(t, release, chart, ns);
      const details = {
        chart, release, namespace: ns, deployments: f.deployments.map((d) => String(d['metadata']?.['name'])), configMaps: [...f.configMaps.keys()],
        secretsRead: [...f.secrets.keys()], secretsUnreadable: f.unreadable,
      };
      if (!f.deployments.length && !f.configMaps.size) {
        return { status: 'fail', messageId: 'notInstalled', cause: cause.object('flyte-install', ns, chart), details,
          message: `no Flyte ${chart} install in namespace ${ns}: none of the Deployments ${deploymentNames.join(', ')} and none of the config ConfigMaps ${fallback.join(', ')} exist`,
          hint: `install the release (\`${upgrade.replace('helm upgrade', 'helm upgrade --install')}\`), or point --namespace / --kubeconfig / --context at the cluster where it runs (\`${k} get deployments,configmaps\`)` };
      }
      if (f.missing.length) {
        const m = f.missing[0]!;
        const list = f.missing.map((x) => `${x.kind} ${ns}/${x.name} (read by Deployment ${x.deployment})`).join(', ');
        return { status: 'fail', messageId: 'configMissing', cause: cause.object(m.kind.toLowerCase(), ns, m.name), details: { ...details, missing: f.missing.map((x) => `${x.kind} ${ns}/${x.name}`) },
          message: `the Flyte config is incomplete: ${list} does not exist, so the pods cannot start with it`,
          hint: `the chart creates it: \`${upgrade}\` re-creates it (\`helm status ${release} -n ${ns}\` shows the release); if it is yours (an external Secret), create it: \`${k} get ${m.kind.toLowerCase()} ${m.name}\`` };
      }
      const mapped = mapLive();
      if ('error' in mapped) {
        const e = mapped.error;
        return { status: 'fail', messageId: 'liveConfigInvalid', cause: cause.config(`live:${ns}/${release}`), details: { ...details, error: e.message },
          message: `the live Flyte config cannot be read as Flyte reads it: ${e.message}`,
          hint: `Flyte fails on the same file at start-up: fix the values that render it and \`${upgrade}\`, or fix the object by hand (\`${k} edit ${e.message.startsWith('Secret') ? 'secret' : 'configmap'} <name>\`)` };
      }
      const { set, live } = mapped;
      const unreadNote = f.unreadable.length ? `; Secret${f.unreadable.length > 1 ? 's' : ''} ${f.unreadable.map((x) => `${ns}/${x}`).join(', ')} not compared: user "${s.identity.user}" may not get secrets in ${ns}` : '';
      const comps = live.components.map((c) => `${c.deployment} (${c.layers.length} config file${c.layers.length === 1 ? '' : 's'})`).join(', ');
      const diffs = compareLive(t, live, { secretsUnreadable: f.unreadable.length > 0 });
      const fullDetails = { ...details, components: live.components.map((c) => ({ deployment: c.deployment, kinds: c.kinds, layers: c.layers })),
        differences: diffs.map((d) => ({ field: d.field, secret: d.secret, ...(d.values !== undefined ? { values: d.values } : {}), ...(d.live !== undefined ? { live: d.live } : {}), valuesSource: d.valuesSource, liveSource: d.liveSource })),
        ...(live.warnings.length ? { liveWarnings: live.warnings.map((w) => w.message) } : {}) };
      if (diffs.length) {
        const keys = [...new Set(diffs.map((d) => d.valuesKey).filter((x): x is string => !!x))];
        // A difference is the same fault the probes see with the values' setting (a rejected login,
        // a missing bucket or database): keyed like that finding, so the two are one root cause.
        const probeKeyed = diffs.map((d) => probeCause(t, d)).find((x): x is string => !!x);
        const why = probeKeyed ?? cause.config(diffs[0]!.valuesKey ?? diffs[0]!.field);
        // A probe's finding on the same setting fixes the server (create the bucket or database, set
        // the role's password): the release may well work with its own. Said in that finding's fix.
        const byCause = new Map<string, Difference[]>();
        for (const d of diffs) { const c = probeCause(t, d); if (c) byCause.set(c, [...(byCause.get(c) ?? []), d]); }
        const rootNotes = [...byCause].map(([c, same]) => ({
          cause: c,
          text: `Note: the installed release runs with another ${same.map((d) => (d.secret || d.live === undefined ? d.what : `${d.what} (${JSON.stringify(d.live)})`)).join(' and ')} (${same.map((d) => d.liveSource).join('; ')}; flyte.config.live): if Flyte works as installed, these values are not the installed ones, and the values are what to fix${((ks) => (ks.length ? ` (${ks.join(', ')})` : ''))([...new Set(same.map((d) => d.valuesKey).filter((x): x is string => !!x))])}, not the server`,
          unlessSaid: same[0]!.liveSource,
        }));
        return { status: 'fail', messageId: 'differs', cause: why, details: fullDetails, ...(rootNotes.length ? { rootNotes } : {}),
          message: `release ${release} in ${ns} runs with another configuration than these values: ${diffs.map(describeDiff).join('; ')}${unreadNote}`,
          hint: `a values change that was never rolled out, or values that are not the installed ones: roll these values out with \`${upgrade}\` (the chart restarts the pods with the new config)${keys.length ? `; if the live setting is the right one, change ${keys.join(', ')} in the values instead` : ''}` };
      }
      const stale = await staleRollouts(s, ns, set, f, signal);
      if (stale !== 'forbidden' && stale.length) {
        const deps = [...new Set(stale.map((x) => x.deployment))];
        const x = stale[0]!;
        return { status: 'warn', messageId: 'staleRollout', cause: cause.object('deployment', ns, x.deployment), details: { ...fullDetails, stale: stale.map((y) => `${y.pod}: started ${y.started}, ${y.source} changed ${y.changed}`) },
          message: `the live config matches the values, but pod ${x.pod} (Deployment ${x.deployment}) started at ${x.started}, before ${x.source} last changed (${x.changed}): it may still run the old config${stale.length > 1 ? ` (${stale.length} pods)` : ''}${unreadNote}`,
          hint: `restart the pods so they read the current config: ${deps.map((d) => `\`${k} rollout restart deployment/${d}\``).join(', ')}` };
      }
      const compared = [t.databases.length ? 'databases' : '', t.storage && live.storage ? 'storage' : '', live.auth ? 'auth' : ''].filter(Boolean).join(', ');
      return { status: 'pass', messageId: 'matches', details: { ...fullDetails, ...(stale === 'forbidden' ? { podsUnreadable: true } : {}) },
        message: `release ${release} in ${ns} runs with the values' configuration (${compared || 'nothing to compare'}; ${comps || `ConfigMaps ${[...f.configMaps.keys()].join(', ')}`})${unreadNote}` };
    });
  },
});
