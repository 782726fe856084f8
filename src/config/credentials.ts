// Secrets by construction: every credential-bearing value of every input is collected here for the
// redactor, by key name over whole trees (values files, flytectl config, credential files) and by
// name over the environment, plus the cloud SDKs' credential files the checks' SDKs would read.
// Identifiers (access key ids) are collected apart: they print as first4…last4.
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { isPlaceholderOnly } from './hygiene.js';
import { readInputFile, SECRET_FILE_LIMIT } from './read.js';
import { nestingBeyond } from './values.js';
import { fastYaml } from './yaml-fast.js';
import { assignments, flagSecrets, isIdentifierKeyName, isSecretKeyName } from './secret.js';
import type { Target } from './target.js';

/** A multi-line YAML/JSON mapping (`key: value` lines), parsed; undefined for anything else. */
function configDocument(s: string): Record<string, unknown> | undefined {
  if (!s.includes('\n') || /-----BEGIN /.test(s) || !/^[\s{]*"?[A-Za-z0-9_.-]+"?\s*:/m.test(s)) return undefined;
  if (nestingBeyond(s)) return undefined; // (too deep for the parser: not a config document)
  try {
    // the plain YAML most config documents are goes through the fast path (the same value as the yaml package's)
    const fast = fastYaml(s);
    const v: unknown = fast !== undefined ? fast : parseYaml(s);
    return v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length ? v as Record<string, unknown> : undefined;
  } catch { return undefined; }
}

/** Longest string value scanned for an embedded config document. */
const DOCUMENT_SCAN_MAX = 256 * 1024;

export class Credentials {
  readonly secrets = new Set<string>();
  readonly identifiers = new Set<string>();

  secret(v: unknown): void {
    if (typeof v === 'number' && Number.isFinite(v)) v = String(v);
    if (typeof v !== 'string') return;
    const s = v.trim();
    // A template or a bare placeholder (`<DB_PASSWORD>`) is no credential: values.placeholders shows it.
    if (!s || s.includes('{{') || isPlaceholderOnly(s)) return;
    // A config document kept in a Secret (flyte-binary's `012-database-secrets.yaml`): its values are
    // the secrets, not the document, whose keys (`database:`) are words every report prints.
    const doc = configDocument(s);
    if (doc) { this.scanTree(doc, { all: true }); return; }
    this.secrets.add(s);
    if (s !== v && v.length) this.secrets.add(v.replace(/\r?\n$/, ''));
    // A PEM private key: its base64 lines may be echoed one at a time.
    if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(s)) {
      for (const line of s.split(/\r?\n|\\n/)) if (/^[A-Za-z0-9+/=]{16,}$/.test(line.trim())) this.secrets.add(line.trim());
    }
  }

  identifier(v: unknown): void {
    if (typeof v !== 'string') return;
    const s = v.trim();
    if (s && !s.includes('{{') && !isPlaceholderOnly(s)) this.identifiers.add(s);
  }

  /** Passwords in URLs and connection strings inside any string value. */
  scanText(text: string): void {
    for (const m of text.matchAll(/\b[a-z][a-z0-9+.-]*:\/\/[^\s/?#@:'"]*:([^\s/?#@'"]+)@/gi)) {
      this.secret(m[1]);
      try { this.secret(decodeURIComponent(m[1]!)); } catch { /* not URL-encoded */ }
    }
    for (const [name, value] of assignments(text)) {
      if (isSecretKeyName(name)) this.secret(value);
      else if (isIdentifierKeyName(name)) this.identifier(value);
    }
    if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) {
      const block = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----/.exec(text);
      this.secret(block ? block[0] : text);
    }
    const t = text.trim();
    if (t.startsWith('{') && /private_key|client_secret|refresh_token|"type"\s*:/.test(t)) {
      try { this.scanTree(JSON.parse(t)); } catch { /* not JSON */ }
    }
    // A credential recognised by its scheme in any value (a header value `Bearer X` under
    // `AUTH_HEADER`, an env list entry): the token, and the password of a Basic `user:pass`.
    if (/\b(?:bearer|basic)\s/i.test(text)) {
      for (const m of text.matchAll(/\b(bearer|basic)\s+([A-Za-z0-9._~+/=-]{8,})/gi)) {
        if (m[1]!.toLowerCase() === 'bearer') { if (!/^[a-z]+$/.test(m[2]!)) this.secret(m[2]); continue; }
        const plain = decodeBase64(m[2]!);
        if (plain && /^[^:\s]*:\S+$/.test(plain)) { this.secret(m[2]); this.secret(plain.slice(plain.indexOf(':') + 1)); }
      }
    }
    // YAML/JSON documents held in a string under any key (a ConfigMap's kubeconfig or app config,
    // a cluster resource template holding a Secret, an inline config): scanned by key name as a
    // values file is, a Secret manifest's data and stringData whole.
    if (text.length <= DOCUMENT_SCAN_MAX && text.includes('\n') && text.includes(':')) {
      for (const part of text.split(/^---[^\n]*$/m)) {
        if (part === text && this.scanning.has(text)) break; // (the document being scanned: no recursion)
        const doc = configDocument(part);
        if (!doc) continue;
        this.scanning.add(part);
        try { this.scanTree(doc); } finally { this.scanning.delete(part); }
      }
    }
  }

  /** Documents being scanned (scanText of a document's own text does not scan it again). */
  private readonly scanning = new Set<string>();

  /**
   * Every string under a key whose name says it holds a credential (isSecretKeyName), every access
   * key id, every Kubernetes Secret's data, every URL password. `bareKey`: Azure's `key`.
   */
  scanTree(root: unknown, o: { skip?: (path: (string | number)[], value: unknown) => boolean; all?: boolean } = {}): void {
    const seen = new Set<object>();
    const walk = (v: unknown, path: (string | number)[], parent: Record<string, unknown> | undefined, allSecret: boolean): void => {
      if (v === null || v === undefined) return;
      const key = [...path].reverse().find((x): x is string => typeof x === 'string');
      if (typeof v === 'string' || typeof v === 'number') {
        if (o.skip?.(path, v)) return;
        if (typeof v === 'string') this.scanText(v);
        if (allSecret) { this.secret(v); if (typeof v === 'string') this.secret(decodeBase64(v)); return; }
        if (key === undefined) return;
        const azureKey = key === 'key' && parent !== undefined && ('account' in parent || 'account_name' in parent || 'accountName' in parent);
        if (isSecretKeyName(key, { bareKey: azureKey })) {
          this.secret(v);
          // client-key-data: the base64 of a PEM key, whose lines a server or a library may print
          if (typeof v === 'string' && /data$/i.test(key)) this.secret(decodeBase64(v));
        }
        else if (isIdentifierKeyName(key)) this.identifier(String(v));
        return;
      }
      if (typeof v !== 'object' || seen.has(v)) return;
      seen.add(v);
      if (Array.isArray(v)) {
        // an argument list (a container's or an exec plugin's args): `--client-secret X` pairs
        for (const f of flagSecrets(v)) this.secret(f);
        v.forEach((x, i) => walk(x, [...path, i], parent, allSecret));
        return;
      }
      const d = v as Record<string, unknown>;
      // An environment entry {name, value} (deployment.extraEnvVars, a container's env, an exec
      // plugin's env): its value is a secret when the variable's name says so (AWS_SECRET_ACCESS_KEY,
      // MY_SERVICE_TOKEN), an identifier when it names an access key id.
      if (typeof d['name'] === 'string' && (typeof d['value'] === 'string' || typeof d['value'] === 'number') && !o.skip?.([...path, 'value'], d['value'])) {
        if (isSecretKeyName(d['name']) && !BOOLEANISH.test(String(d['value']).trim())) this.secret(d['value']);
        else if (isIdentifierKeyName(d['name'])) this.identifier(String(d['value']));
      }
      const isSecretObject = d['kind'] === 'Secret';
      for (const [k, x] of Object.entries(d)) {
        // A Kubernetes Secret (extraObjects, secretManifest): everything under data/stringData.
        const under = allSecret || ((isSecretObject || key === 'secretManifest') && (k === 'data' || k === 'stringData'));
        walk(x, [...path, k], d, under);
      }
    };
    walk(root, [], undefined, o.all ?? false);
  }
}

function decodeBase64(v: string): string | undefined {
  const s = v.trim();
  if (s.length < 8 || !/^[A-Za-z0-9+/]+={0,2}$/.test(s) || s.length % 4 !== 0) return undefined;
  const text = Buffer.from(s, 'base64').toString('utf8');
  return /^[\x20-\x7e\t\r\n]+$/.test(text) ? text : undefined;
}

const BOOLEANISH = /^(true|false|yes|no|on|off|enabled|disabled|none|null|[0-9]{1,5})$/i;

/** Env vars that name a file, not a credential, although their names say "credentials". */
const ENV_FILE_NAMES = new Set(['GOOGLE_APPLICATION_CREDENTIALS', 'GOOGLE_GHA_CREDS_PATH', 'CLOUDSDK_CONFIG', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_CONFIG_FILE',
  // The shell's working directories end in `pwd` like MYSQL_PWD, but hold a path: as secrets they
  // turned every path under the current directory into *** (`cannot read ***/values.yaml`).
  'PWD', 'OLDPWD']);

/**
 * Secrets and identifiers of the environment: every variable whose name says it holds a credential
 * (AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AZURE_CLIENT_SECRET, AZURE_STORAGE_KEY,
 * AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_SAS_TOKEN, PGPASSWORD, FLYTE_CREDENTIALS_CLIENT_SECRET,
 * any *_TOKEN / *_PASSWORD / *_SECRET), access key ids (AWS_ACCESS_KEY_ID), URL passwords in any
 * variable (HTTPS_PROXY=http://user:pass@…). No file is read.
 */
export function collectEnv(env: NodeJS.ProcessEnv, into: Credentials): void {
  for (const [name, value] of Object.entries(env)) {
    if (!value || ENV_FILE_NAMES.has(name)) continue;
    if (value.includes('://')) into.scanText(value);
    // a proxy without a scheme: curl, Go (httpproxy) and requests read user:pass@host as http://user:pass@host
    else if (/^(https?|all|grpc|ftp|no)_proxy$/i.test(name) && value.includes('@')) into.scanText(`http://${value.trim()}`);
    if (isIdentifierKeyName(name)) { into.identifier(value); continue; }
    if (!isSecretKeyName(name) || BOOLEANISH.test(value.trim())) continue;
    into.secret(value);
    into.scanText(value.replace(/;/g, ' ')); // connection strings: AccountKey=…;SharedAccessSignature=…
    for (const m of value.matchAll(/(?:^|[?&;])(?:sig|SharedAccessSignature|AccountKey)=([^&;\s]+)/g)) {
      into.secret(m[1]);
      try { into.secret(decodeURIComponent(m[1]!)); } catch { /* raw */ }
    }
  }
}

/** An INI file (AWS credentials/config): `key = value` lines. */
function scanIni(text: string, into: Credentials): void {
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z0-9_.-]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || !m[2]) continue;
    if (isIdentifierKeyName(m[1]!)) into.identifier(m[2]);
    else if (isSecretKeyName(m[1]!)) into.secret(m[2]);
  }
}

interface FileSpec { label: string; path: string; kind: 'ini' | 'json' | 'token' | 'pem' }

/**
 * The credential files the cloud SDKs of the checks would read, so what they hold is a secret
 * before any server can echo it: AWS shared credentials and config (AWS_SHARED_CREDENTIALS_FILE,
 * AWS_CONFIG_FILE or ~/.aws), AWS_WEB_IDENTITY_TOKEN_FILE, GOOGLE_APPLICATION_CREDENTIALS and the
 * gcloud application-default credentials, AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_CERTIFICATE_PATH.
 * Only regular files up to a cap are read; a FIFO or device there is a UserError (an SDK would hang
 * on it), a missing file is the SDK's business.
 */
export function collectCloudFiles(env: NodeJS.ProcessEnv, home: string, cwd: string, into: Credentials): string[] {
  const files: FileSpec[] = [];
  const fromEnv = (name: string, def: string | undefined, kind: FileSpec['kind']) => {
    const v = env[name];
    if (v) files.push({ label: `env ${name}`, path: v, kind });
    else if (def) files.push({ label: def.replace(home, '~'), path: def, kind });
  };
  fromEnv('AWS_SHARED_CREDENTIALS_FILE', join(home, '.aws', 'credentials'), 'ini');
  fromEnv('AWS_CONFIG_FILE', join(home, '.aws', 'config'), 'ini');
  fromEnv('AWS_WEB_IDENTITY_TOKEN_FILE', undefined, 'token');
  fromEnv('GOOGLE_APPLICATION_CREDENTIALS', undefined, 'json');
  files.push({ label: 'gcloud application-default credentials', path: join(env['CLOUDSDK_CONFIG'] || join(home, '.config', 'gcloud'), 'application_default_credentials.json'), kind: 'json' });
  fromEnv('AZURE_FEDERATED_TOKEN_FILE', undefined, 'token');
  fromEnv('AZURE_CLIENT_CERTIFICATE_PATH', undefined, 'pem');
  const read: string[] = [];
  for (const f of files) {
    const text = readInputFile(f.label, f.path, cwd, { optional: true, limit: f.kind === 'token' ? SECRET_FILE_LIMIT : 1024 * 1024, what: 'credential files' });
    if (text === undefined) continue;
    read.push(f.path);
    if (f.kind === 'ini') scanIni(text, into);
    else if (f.kind === 'token') into.secret(text);
    else if (f.kind === 'pem') into.scanText(text);
    else {
      try { into.scanTree(JSON.parse(text)); } catch { into.scanText(text); }
      // A broken JSON key file still must not leak its key material.
      for (const m of text.matchAll(/"(private_key|private_key_id|client_secret|refresh_token)"\s*:\s*"((?:[^"\\]|\\.)*)"/g)) {
        try { into.secret(JSON.parse(`"${m[2]}"`)); } catch { into.secret(m[2]); }
      }
    }
  }
  return read;
}

/** Non-secret values of a target (hosts, users, names, buckets...), for the redactor: never corrupted. */
export function plainValues(t: Target): string[] {
  const out = new Set<string>();
  const ids = new Set(t.identifiers ?? []);
  const walk = (v: unknown, key: string): void => {
    if (v === null || v === undefined) return;
    // without the credentials a value carries (URL userinfo, a connection string's AccountKey, a SAS
    // signature): a secret inside a "plain" value would otherwise be hidden only as a whole word
    if (typeof v === 'string') { if (v && !ids.has(v)) out.add(v.replace(/(:\/\/[^\s/?#@:]*:)[^\s/?#@]+@/g, '$1@').replace(/((?:^|;)\s*(?:AccountKey|SharedAccessSignature)=)[^;]*/gi, '$1').replace(/([?&]sig=)[^&;]*/gi, '$1')); return; }
    if (typeof v === 'number') { out.add(String(v)); return; }
    if (typeof v !== 'object') return;
    if (typeof (v as { reveal?: unknown }).reveal === 'function') return;
    if (Array.isArray(v)) { for (const x of v) walk(x, key); return; }
    for (const [k, x] of Object.entries(v)) if (!['secrets', 'identifiers', 'provenance', 'inputs'].includes(k)) walk(x, k);
  };
  walk(t, '');
  return [...out];
}

/** The secrets in one secret value: the value itself, or the values of a config document it holds. */
export function secretsOf(value: string): string[] {
  const c = new Credentials();
  c.secret(value);
  return [...c.secrets];
}

/**
 * The bundled dependencies' published default passwords, repeated in the umbrella charts' own values
 * (flyte-sandbox `postgresql.auth.postgresPassword: postgres`, `minio.auth.rootPassword: miniostorage`;
 * flyte / flyte-deps `postgres`/`minio`): known to everyone, so no secret, and redacting `postgres`
 * would hide a word of every database check id and key.
 */
const PUBLISHED_DEFAULTS: [RegExp, string][] = [
  [/password$/i, 'postgres'],                                   // PostgreSQL's and flytestdlib's default
  [/(secretKey|secret_key|rootPassword|password|SECRET_ACCESS_KEY)$/i, 'miniostorage'], // the sandbox MinIO's
];
export function publishedDefault(path: (string | number)[], v: unknown): boolean {
  const key = path.filter((x): x is string => typeof x === 'string').join('.');
  return PUBLISHED_DEFAULTS.some(([re, value]) => re.test(key) && String(v) === value);
}
