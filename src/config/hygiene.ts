// Placeholders: values an example file, a Terraform template or the chart itself left for the
// deployer to fill in (`<RDS_HOST_DNS>`, `${bucket_name}`, an unresolved `{{ .Values.x }}`, the
// chart's `my-organization-flyte-container`, a documentation domain such as flyte.example.com).
// Helm installs them verbatim, and a probe of one checks nothing real (or, worse, the operator's
// own machine: the chart's database host 127.0.0.1). The loader lists them on the target; the
// values.placeholders check reports them and the engine blocks every probe that would use one.
import { isIP } from 'node:net';
import { parseSource, valueAt } from '../flyte/settings.js';
import { storageKey, type StorageField } from '../flyte/storage.js';
import type { Placeholder, PlaceholderKind, Target } from './target.js';
import { CHART_DEFAULT, formatPath, isDict } from './values.js';
import type { MergedValues, Path } from './values.js';

/** `<DB_PASSWORD>`, `<AWS-REGION-CODE>`, `<your bucket>`; not HTML (`<b>`, `<br/>`). */
const MARKER = /<([A-Za-z][A-Za-z0-9]*(?:[-_ .][A-Za-z0-9]+)*)>/g;
/** Terraform templatefile() / shell / envsubst variables: `${bucket_name}`, `${gcp-project-id}`. */
const VARIABLE = /\$\{[A-Za-z_][A-Za-z0-9_.-]*\}/g;
/** A whole value that is filler text. */
const FILLER = /^(?:change[-_ ]?me|replace[-_ ]?me|to[-_ ]?do|tbd|fixme|x{3,}|your[-_ ][A-Za-z0-9_ -]+)$/i;
/** Documentation names (RFC 2606 / 6761): never a real deployment. */
const EXAMPLE_DOMAIN = /(^|\.)example\.(com|net|org)$|\.example$/i;

/** The chart's own example names (flyte-binary / flyte-core values.yaml): global names on AWS and GCS. */
const CHART_BUCKETS = new Set(['my-organization-flyte-container', 'my-s3-bucket']);
const CHART_GCP_PROJECT = 'my-organization-gcp-project';
const CHART_OIDC_CLIENT_ID = '657465813211-6eog7ek7li5k7i7fvgv2921075063hpe.apps.googleusercontent.com';

function isMarker(name: string): boolean {
  return /[A-Z]{2}/.test(name) || /[-_ ]/.test(name);
}

/** The placeholder tokens in a string (markers, variables, filler), in order, deduplicated. */
export function placeholderTokens(s: string): string[] {
  const out = new Set<string>();
  for (const m of s.matchAll(MARKER)) if (isMarker(m[1]!)) out.add(m[0]);
  for (const m of s.matchAll(VARIABLE)) out.add(m[0]);
  if (FILLER.test(s.trim())) out.add(s.trim());
  return [...out];
}

/** A value that is nothing but a placeholder (`<DB_PASSWORD>`, `${db_password}`): not a credential. */
export function isPlaceholderOnly(s: string): boolean {
  const t = s.trim();
  if (!t) return false;
  const tokens = placeholderTokens(t);
  return tokens.length > 0 && tokens.join('') === t || FILLER.test(t);
}

function kindOf(token: string): PlaceholderKind {
  if (token.startsWith('${')) return 'variable';
  if (token.startsWith('{{')) return 'template';
  return 'marker';
}

/** Whether a key name holds a credential (shown as its placeholder tokens only, never whole). */
const CREDENTIAL_KEY = /pass|secret|token|key$|credential|private/i;

interface Leaf { path: Path; origin: string; value: string; tokens: string[]; unresolved: string[]; via: string[] }

/** Every user-provided string leaf holding a placeholder or an unresolved `{{ .Values.x }}`. */
function leaves(mv: MergedValues): Leaf[] {
  const out: Leaf[] = [];
  const walk = (v: unknown, path: Path): void => {
    if (typeof v === 'string') {
      const origin = mv.originOf(path);
      if (origin === CHART_DEFAULT) return;
      const t = mv.templatesAt(path) ?? [];
      const unresolved = t.filter((r) => !r.from).map((r) => `{{ .Values.${r.ref} }}`);
      const via = t.filter((r) => r.from).map((r) => r.ref);
      const tokens = placeholderTokens(v);
      if (tokens.length || unresolved.length) out.push({ path, origin, value: v, tokens, unresolved, via });
      return;
    }
    if (Array.isArray(v)) { v.forEach((x, i) => walk(x, [...path, i])); return; }
    if (isDict(v)) for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(mv.root, []);
  return out;
}

function shownValue(key: string, value: string, tokens: string[]): string {
  const last = key.split('.').pop() ?? key;
  if (CREDENTIAL_KEY.test(last) && !isPlaceholderOnly(value)) return tokens.join(' ');
  return value.length > 100 ? `${tokens.join(' ')} (inside a ${value.length}-character value)` : value;
}

function hostOf(v: string): string | undefined {
  try {
    const u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? v : `https://${v}`);
    return u.hostname.replace(/^\[|\]$/g, '') || undefined;
  } catch { return undefined; }
}

/** Target fields a probe reads, for the value scan (string fields with provenance). */
const SCANNED_FIELD = /^(databases\[\d+\]\.(host|dbname|user|password)|storage\.(metadataBucket|userDataBucket|rawOutputPrefix|endpoint|region|accessKey|secretKey|projectId|signedUrlEndpoint)|ingress\.(host|httpUrl|grpcAddress)|client\.(endpoint|host|caCertFilePath|clientId)|auth\.(oidcIssuer|oidcClientId|internalClientId|clientSecret))$/;

/**
 * The placeholders of the resolved target: every user leaf that holds one (used or not), each with
 * the target fields that use it, plus the chart's example defaults and documentation domains in the
 * fields the probes would use. `mv` is the merged values (undefined without values files).
 */
export function findPlaceholders(target: Target, mv: MergedValues | undefined): Placeholder[] {
  const out: Placeholder[] = [];
  const byToken = new Map<string, Placeholder[]>();
  const add = (p: Placeholder, tokens: string[]) => {
    out.push(p);
    for (const t of tokens) byToken.set(t, [...(byToken.get(t) ?? []), p]);
  };

  if (mv) {
    const found = leaves(mv);
    const listed = new Set(found.map((l) => formatPath(l.path)));
    for (const l of found) {
      const key = formatPath(l.path);
      // A value that only carries another listed leaf's placeholder through {{ .Values.ref }}: that
      // leaf is listed; this one is where it is used.
      const own = l.tokens.filter((t) => !l.via.some((ref) => listed.has(ref) && (mvString(mv, ref)?.includes(t) ?? false)));
      const tokens = [...own, ...l.unresolved];
      if (!tokens.length) continue;
      add({
        key, origin: l.origin, shown: shownValue(key, l.value, tokens), tokens,
        kind: l.unresolved.length && !own.length ? 'template' : kindOf(own[0] ?? l.unresolved[0]!), fields: [],
      }, tokens);
    }
  }

  // Which target fields carry which placeholder.
  const p = target.provenance;
  for (const field of Object.keys(p)) {
    if (!SCANNED_FIELD.test(field)) continue;
    const v = valueAt(target, field);
    const s = typeof v === 'string' ? v : v && typeof (v as { reveal?: () => string }).reveal === 'function' ? (v as { reveal: () => string }).reveal() : undefined;
    if (!s) continue;
    const tokens = placeholderTokens(s);
    for (const m of (p[field] ?? '').matchAll(/unresolved (\{\{ \.Values\.[^}]+\}\})/g)) tokens.push(m[1]!);
    if (!tokens.length && s.includes('{{')) {
      // A template Helm renders at install time (`{{ printf "%s-postgresql" .Release.Name }}`, `{{ include … }}`):
      // not the deployer's mistake, but nothing a probe can use before it is rendered.
      const src = parseSource(p[field]);
      const key = src.key ?? field;
      const tpl = /\{\{[^}]*\}\}/.exec(s)?.[0] ?? s;
      out.push({ key, origin: src.file ?? p[field] ?? '', shown: s.length > 100 ? `${tpl.slice(0, 97)}...` : s, tokens: [tpl], kind: 'render-template', fields: [field], why: 'a template Helm renders at install time (the release name, a helper): its value is not known before rendering' });
      continue;
    }
    if (!tokens.length) continue;
    let hit = false;
    for (const t of tokens) for (const ph of byToken.get(t) ?? []) { if (!ph.fields.includes(field)) ph.fields.push(field); hit = true; }
    if (!hit) {
      // Not from a values file: the client config, a flag, an env var, --set.
      const src = parseSource(p[field]);
      const key = src.key ?? src.envVar ?? src.flag ?? field;
      add({ key, origin: src.file ?? (src.envVar ? `env ${src.envVar}` : src.flag ?? p[field] ?? ''), shown: shownValue(key, s, tokens), tokens, kind: kindOf(tokens[0]!), fields: [field] }, tokens);
    }
  }

  // Keys written as "" (a half-edited file, a value meant to come from elsewhere): the chart renders
  // them empty and Flyte falls back to its built-in default, which no probe should stand in for.
  for (const e of target.emptyValues ?? []) {
    out.push({ key: e.key, origin: e.origin, shown: '""', tokens: [], kind: 'empty', fields: [e.field], why: `an empty string replaces the chart's default, so the chart renders the key empty and Flyte uses its built-in default, ${e.fallback}` });
  }

  // The chart's example defaults, where they name something real somebody else owns (AWS/GCS
  // bucket names are global) or this machine instead of the pod.
  const chartDefault = (field: string, value: string, why: string, kind: PlaceholderKind = 'chart-placeholder') => {
    if (out.some((x) => x.fields.includes(field))) return;
    const src = parseSource(p[field]);
    out.push({ key: src.key ?? valuesKeyOf(target, field) ?? field, origin: src.file ?? CHART_DEFAULT, shown: value, tokens: [value], kind, fields: [field], why });
  };
  const st = target.storage;
  if (st) {
    const global = st.provider === 'gcs' || (st.provider === 's3' && !st.endpoint);
    for (const f of ['metadataBucket', 'userDataBucket'] as const) {
      const b = st[f];
      if (b && global && CHART_BUCKETS.has(b)) chartDefault(`storage.${f}`, b, `the chart's example bucket name: bucket names are global on ${st.provider === 'gcs' ? 'GCS' : 'AWS S3'}, so this one is somebody else's (or nobody's)`);
    }
    if (st.projectId === CHART_GCP_PROJECT) chartDefault('storage.projectId', st.projectId, "the chart's example GCP project");
  }
  target.databases.forEach((db, i) => {
    const hostSrc = parseSource(p[`databases[${i}].host`]);
    const deliberate = hostSrc.file === '--set' || hostSrc.origin === 'env' || hostSrc.origin === 'flag';
    const loop = db.host === 'localhost' || db.host === '::1' || (isIP(db.host) === 4 && db.host.startsWith('127.'));
    if (loop && db.port === 5432 && !deliberate) {
      chartDefault(`databases[${i}].host`, `${db.host}:${db.port}`,
        "the pod's own loopback (flyte-binary's chart default): right only with a database sidecar in the Flyte pod (e.g. cloud-sql-proxy), and from this machine it would probe this machine's own PostgreSQL",
        'pod-loopback');
    } else if (db.host === 'postgres' && hostSrc.origin === 'chart-default') {
      chartDefault(`databases[${i}].host`, db.host, "not set in the values: flyte-core's default, a Service named `postgres` that only the sandbox setup (flyte-deps) creates");
    }
  });
  if (target.auth.enabled && target.auth.oidcClientId === CHART_OIDC_CLIENT_ID) {
    chartDefault('auth.oidcClientId', CHART_OIDC_CLIENT_ID, "flyte-core's example Google OAuth client id, not your IdP's client");
  }

  // Documentation domains in the hosts the probes would contact.
  const hostFields: [string, string | undefined][] = [
    ...target.databases.map((db, i): [string, string | undefined] => [`databases[${i}].host`, db.host]),
    ['storage.endpoint', st?.endpoint ? hostOf(st.endpoint) : undefined],
    ['ingress.host', target.ingress?.host],
    ['client.host', target.client.host],
    ['auth.oidcIssuer', target.auth.oidcIssuer ? hostOf(target.auth.oidcIssuer) : undefined],
  ];
  for (const [field, host] of hostFields) {
    if (!host || !EXAMPLE_DOMAIN.test(host.replace(/\.$/, ''))) continue;
    const src = parseSource(p[field]);
    if (src.origin === 'flag' || src.origin === 'env' || src.file === '--set') continue; // typed on purpose
    chartDefault(field, host, 'a documentation domain (RFC 2606): no deployment answers there', 'example-domain');
  }
  return out;
}

/** The values key of a target field the chart default set (no provenance key to name). */
function valuesKeyOf(t: Target, field: string): string | undefined {
  const st = t.storage;
  const sf: Record<string, StorageField> = { 'storage.metadataBucket': 'metadataBucket', 'storage.userDataBucket': 'userDataBucket', 'storage.projectId': 'gcsProject', 'storage.endpoint': 'endpoint', 'storage.region': 'region' };
  if (st && sf[field]) return storageKey(st, sf[field]!);
  const m = /^databases\[(\d+)\]\.(host|port|dbname|user)$/.exec(field);
  if (m) { const db = t.databases[Number(m[1])]; if (db) return `${db.valuesKey}.${m[2] === 'user' ? 'username' : m[2]}`; }
  if (field === 'auth.oidcClientId') return t.chart === 'flyte-core' ? `${t.auth.valuesKey}.userAuth.openId.clientId` : `${t.auth.valuesKey}.oidc.clientId`;
  return undefined;
}

function mvString(mv: MergedValues, dotted: string): string | undefined {
  const v = mv.rawAt(dotted.split('.'));
  return typeof v === 'string' ? v : undefined;
}

/** Placeholders that block a probe reading one of `fields` (matched by prefix or pattern). */
export function placeholdersIn(target: Target, match: (field: string) => boolean): Placeholder[] {
  return (target.placeholders ?? []).filter((ph) => ph.fields.some(match));
}

// (where a value's invisible characters are named: src/config/chars.ts, also used by the file readers)
export { headerUnsafe, surroundingWhitespace } from './chars.js';
