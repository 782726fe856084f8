// What a crashing Flyte component says, read as its cause. flyteadmin, datacatalog, flytepropeller and
// flyte-binary (Go: pgx/gorm, stow over aws-sdk-go / gocloud, go-oidc, client-go) exit with the error that
// stopped them; the pod's status (termination message) or its previous log carries it. Each family of that
// text is mapped to the fix (the values key) and to the cause key the check that finds the same fault from
// here uses (database.postgres.*, storage.*, auth.oidc.issuer, flyte.rbac.runtime), so the crash loop is
// put under that check's root instead of standing next to it as a second one. Started from the pattern
// index of the failure-mode notes (SQLSTATEs, S3 error codes, stow's "Container [x] lookup failed", the
// OIDC provider, the FlyteWorkflow CRD, etcd's size limit) and the texts these libraries print.
//
// The text is the pod's own words, possibly with credential material in it: nothing here quotes it. What a
// finding shows is the family's evidence (an error code, a SQLSTATE, a bucket or host the values name),
// never a raw excerpt.
import type { Chart, DatabaseTarget, Target } from '../config/target.js';
import { cause, hostPortKey } from '../engine/causes.js';
import { adminSql, dbSettingKey, ident, sslmodeOf } from './database.js';
import { oidcBaseUrlKey } from './settings.js';
import { configuredBuckets, endpointParts, storageKey, userDataBucketOf, S3_FLYTE_ACTIONS } from './storage.js';

export type CrashFamily =
  | 'db-auth' | 'db-role-missing' | 'db-missing' | 'db-create-denied' | 'db-tls-required' | 'db-tls-unsupported' | 'db-tls-untrusted' | 'db-hba'
  | 'db-migration' | 'db-too-many' | 'db-permission' | 'db-read-only' | 'db-unreachable'
  | 'bucket-missing' | 'bucket-create-failed' | 's3-unknown-key' | 's3-wrong-secret' | 's3-token-expired' | 's3-token-invalid' | 's3-access-denied'
  | 's3-no-credentials' | 's3-web-identity' | 's3-region' | 'kms' | 'gcs-workload-identity' | 'gcs-denied'
  | 'store-unreachable' | 'store-dns' | 'store-tls-untrusted' | 'store-tls-name' | 'store-plaintext'
  | 'oidc-provider' | 'oidc-unreachable' | 'oidc-issuer-mismatch' | 'audience'
  | 'config-parse' | 'k8s-forbidden' | 'crd-too-large' | 'apiserver-unreachable' | 'admin-endpoint' | 'quota' | 'unreachable-other';

/** A family of crash text and what the text names (only what the configuration also names, or codes). */
export interface CrashReading {
  family: CrashFamily;
  /** The evidence to quote: an error code, SQLSTATE or fixed phrase (never raw text from the pod). */
  said: string;
  /** A bucket the text names that the configuration names too. */
  bucket?: string;
  /** A bucket-like name the text names that the configuration does not. */
  otherBucket?: string;
  /** The database name the text says does not exist. */
  dbname?: string;
  /** Where a network failure went (host from the text, port when it says one). */
  host?: string;
  port?: number;
  /** A database host the text names that no configured database has. */
  otherHost?: boolean;
  /** refused / timeout / dns / unreachable, for network failures. */
  net?: 'refused' | 'timeout' | 'dns' | 'unreachable';
  /** A Kubernetes identity and what it was denied ("create customresourcedefinitions"). */
  user?: string;
  denied?: string;
  /** A KMS key ARN the text names. */
  kmsKey?: string;
  /** A config field the parser names (unknown field "x", has invalid keys: x), a line number. */
  field?: string;
  line?: number;
  /** The relation a migration did not find (42P01). */
  relation?: string;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const namesWord = (text: string, w: string) => new RegExp(`(?<![\\w.-])${esc(w)}(?![\\w-])`, 'i').test(text);
const safeName = (s: string | undefined, re = /^[\w.-]{1,63}$/) => (s && re.test(s) ? s : undefined);

/** Where a Go network error went: `dial tcp H:P`, `lookup H ... no such host`, a URL, pgx's `host=H`. */
export function destinationOf(text: string): { host?: string; port?: number; net?: CrashReading['net'] } {
  const net: CrashReading['net'] = /no such host|could not translate host|server misbehaving|name resolution|Name or service not known/i.test(text) ? 'dns'
    : /connection refused/i.test(text) ? 'refused'
      : /i\/o timeout|Client\.Timeout|context deadline exceeded|timeout expired|timed out/i.test(text) ? 'timeout'
        : /no route to host|network is unreachable|cannot assign requested address/i.test(text) ? 'unreachable' : undefined;
  const lookup = /lookup ([\w.-]+)(?: on [^\s:]+(?::\d+)?)?: (?:no such host|server misbehaving|i\/o timeout)/i.exec(text);
  const url = /\bhttps?:\/\/(?:[^@/\s"]*@)?(\[[0-9a-f:.]+\]|[\w.-]+)(?::(\d+))?/i.exec(text);
  const dial = /dial tcp (\[[0-9a-f:.]+\]|[\w.-]+):(\d+)/i.exec(text);
  const pg = /\bhost=([\w.-]+)/.exec(text);
  const host = lookup?.[1] ?? url?.[1]?.replace(/^\[|\]$/g, '') ?? pg?.[1] ?? dial?.[1]?.replace(/^\[|\]$/g, '');
  const port = dial ? Number(dial[2]) : url?.[2] ? Number(url[2]) : undefined;
  return { ...(host ? { host } : {}), ...(port !== undefined ? { port } : {}), ...(net ? { net } : {}) };
}

const PG_CONTEXT = /SQLSTATE|failed to connect to `host=|pgconn|\bpq: |postgres|gorm|database migration|FATAL: /i;
const STORE_CONTEXT = /Container \[|stow|NoSuchBucket|amazonaws\.com|storage\.googleapis\.com|blob\.core\.windows\.net|RequestError: send request failed|DataStore|\bs3\b|bucket/i;
const OIDC_CONTEXT = /oidc|openid|issuer/i;

/** Classifies crash text. `t` decides which names are the configuration's own (buckets, hosts). */
export function readCrashText(text: string, t: Pick<Target, 'storage' | 'databases'>, o: { usesDb?: boolean } = {}): CrashReading | undefined {
  if (!text) return undefined;
  const st = t.storage;
  const buckets = st ? configuredBuckets(st) : [];
  const namedBucket = buckets.find((b) => namesWord(text, b));
  const bucketFields = (...explicit: (string | undefined)[]) => {
    // the bucket the error itself names (Container [x], bucket "x") decides; else a configured one the text mentions
    const e = explicit.find((x) => !!x);
    if (e && buckets.includes(e)) return { bucket: e };
    const other = safeName(e, /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/);
    if (other) return { otherBucket: other };
    return namedBucket ? { bucket: namedBucket } : {};
  };
  const code = (c: string) => new RegExp(`\\b${c}\\b`).test(text);
  const sqlstate = /SQLSTATE ([0-9A-Z]{5})/.exec(text)?.[1] ?? /\bpq: .*\(([0-9A-Z]{5})\)/.exec(text)?.[1];
  const dest = destinationOf(text);

  // --- PostgreSQL (pgx: "server error (FATAL: ... (SQLSTATE x))"; lib/pq: "pq: ...")
  if (sqlstate === '28P01' || /password authentication failed|authentication failed for user/i.test(text)) return { family: 'db-auth', said: 'password authentication failed (SQLSTATE 28P01)' };
  if (/role "[^"]*" does not exist/i.test(text)) return { family: 'db-role-missing', said: 'role does not exist (SQLSTATE 28000)' };
  if (sqlstate === '3D000' || /database "[^"]+" does not exist/i.test(text)) {
    const name = safeName(/database "([^"]+)" does not exist/i.exec(text)?.[1]);
    return { family: 'db-missing', said: `database ${name ? `"${name}" ` : ''}does not exist (SQLSTATE 3D000)`, ...(name ? { dbname: name } : {}) };
  }
  if (/permission denied to create database/i.test(text)) return { family: 'db-create-denied', said: 'permission denied to create database (SQLSTATE 42501)' };
  if (/no pg_hba\.conf entry/i.test(text)) {
    if (/no encryption|SSL off/i.test(text)) return { family: 'db-tls-required', said: 'no pg_hba.conf entry ... no encryption (the server admits only TLS connections)' };
    return { family: 'db-hba', said: 'no pg_hba.conf entry for the pods\' address (SQLSTATE 28000)' };
  }
  if (/SSL connection is required|SSL is required|require_secure_transport/i.test(text)) return { family: 'db-tls-required', said: 'the server requires SSL' };
  if (/server refused TLS connection|SSL is not enabled on the server|server does not support SSL/i.test(text)) return { family: 'db-tls-unsupported', said: 'the server does not offer TLS' };
  if (PG_CONTEXT.test(text) && /x509: certificate signed by unknown authority|certificate verify failed|tls: failed to verify certificate/i.test(text)) return { family: 'db-tls-untrusted', said: 'x509: certificate signed by unknown authority (the database\'s certificate)' };
  if (sqlstate === '53300' || /too many clients already|remaining connection slots are reserved|too many connections for (role|database)/i.test(text)) return { family: 'db-too-many', said: 'too many clients already (SQLSTATE 53300)' };
  if (sqlstate === '25006' || /read-only transaction/i.test(text)) return { family: 'db-read-only', said: 'cannot execute in a read-only transaction (SQLSTATE 25006)' };
  if (sqlstate === '42P01' || sqlstate === '42703' || /database migration failed|migration failed|relation "[^"]+" does not exist/i.test(text)) {
    const rel = safeName(/relation "([^"]+)" does not exist/i.exec(text)?.[1]);
    return { family: 'db-migration', said: `${/migration failed/i.test(text) ? 'database migration failed' : 'a schema object is missing'}${rel ? `: relation "${rel}" does not exist` : ''}${sqlstate ? ` (SQLSTATE ${sqlstate})` : ''}`, ...(rel ? { relation: rel } : {}) };
  }
  if (sqlstate === '42501' || /permission denied for (schema|table|relation|database)/i.test(text)) {
    const what = /permission denied for (schema|table|relation|database) ([\w.]+)/i.exec(text);
    return { family: 'db-permission', said: `permission denied${what ? ` for ${what[1]!.toLowerCase()} ${safeName(what[2]) ?? ''}`.trimEnd() : ''} (SQLSTATE 42501)` };
  }

  // --- object store (aws-sdk-go "Code: message", stow / flytestdlib, gocloud)
  if (/Call to create container \[([^\]]+)\] failed/i.test(text)) {
    const b = /Call to create container \[([^\]]+)\] failed/i.exec(text)![1];
    return { family: 'bucket-create-failed', said: 'Flyte found no bucket and could not create it ("Call to create container [...] failed")', ...bucketFields(b) };
  }
  if (code('InvalidAccessKeyId')) return { family: 's3-unknown-key', said: 'InvalidAccessKeyId' };
  if (code('SignatureDoesNotMatch')) return { family: 's3-wrong-secret', said: 'SignatureDoesNotMatch' };
  if (code('ExpiredToken') || code('TokenRefreshRequired') || code('RequestExpired') && /token/i.test(text)) return { family: 's3-token-expired', said: code('ExpiredToken') ? 'ExpiredToken' : 'TokenRefreshRequired' };
  if (code('InvalidToken')) return { family: 's3-token-invalid', said: 'InvalidToken' };
  if (/kms:(GenerateDataKey|Decrypt|Encrypt)|\bKMS\.\w+|KMSAccessDenied|XMinioKMS\w*|KMS key/i.test(text)) {
    const arn = /arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(?:key|alias)\/[A-Za-z0-9/_-]+/.exec(text)?.[0];
    return { family: 'kms', said: 'KMS refused the operation', ...(arn ? { kmsKey: arn } : {}), ...bucketFields() };
  }
  if (code('WebIdentityErr') || /AssumeRoleWithWebIdentity/i.test(text)) return { family: 's3-web-identity', said: 'WebIdentityErr (sts:AssumeRoleWithWebIdentity failed)' };
  if (code('NoCredentialProviders') || /no valid providers in chain|EC2RoleRequestError|failed to refresh cached credentials, no EC2 IMDS role/i.test(text)) return { family: 's3-no-credentials', said: 'NoCredentialProviders: no valid providers in chain' };
  if (/iam\.serviceAccounts\.getAccessToken|Unable to generate access token/i.test(text)) return { family: 'gcs-workload-identity', said: 'Permission \'iam.serviceAccounts.getAccessToken\' denied (Workload Identity)' };
  if (code('NoSuchBucket') || /specified bucket does not exist|storage: bucket doesn'?t exist|ContainerNotFound/i.test(text)
    || /Container \[[^\]]+\] lookup failed/i.test(text) && /not ?found|404|does not exist/i.test(text) && !/403|forbidden|AccessDenied/i.test(text)) {
    const b = /Container \[([^\]]+)\] lookup failed/i.exec(text)?.[1] ?? /bucket[ :=]+"?([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/i.exec(text)?.[1];
    return { family: 'bucket-missing', said: code('NoSuchBucket') ? 'NoSuchBucket' : 'the bucket does not exist', ...bucketFields(b) };
  }
  if (code('PermanentRedirect') || code('BucketRegionError') || code('AuthorizationHeaderMalformed') && /region/i.test(text)) {
    const region = /expecting '([a-z0-9-]+)'|region[: ]+"?([a-z]{2}(?:-[a-z]+)+-\d)/i.exec(text);
    return { family: 's3-region', said: code('PermanentRedirect') ? 'PermanentRedirect (the bucket is in another region)' : code('BucketRegionError') ? 'BucketRegionError' : 'AuthorizationHeaderMalformed (region)', ...(region ? { field: region[1] ?? region[2] } : {}) };
  }
  if (/\bAccessDenied\b|\bstatus code: 403\b/.test(text) && STORE_CONTEXT.test(text)) return { family: 's3-access-denied', said: 'AccessDenied', ...bucketFields() };
  if (/googleapi: Error 403|storage\.(buckets|objects)\.\w+ access|does not have storage\.\w+\.\w+ access/i.test(text)) {
    const perm = /storage\.(?:buckets|objects)\.\w+/.exec(text)?.[0];
    return { family: 'gcs-denied', said: `GCS 403${perm ? ` (missing ${perm})` : ''}`, ...(perm ? { field: perm } : {}), ...bucketFields() };
  }

  // --- auth (flyteadmin's OIDC provider at start, go-oidc)
  if (/issuer did not match/i.test(text)) return { family: 'oidc-issuer-mismatch', said: 'oidc: issuer did not match the issuer returned by provider' };
  if (/Error creating oidc provider|failed to initialize (the )?oidc|oidc: failed to decode provider discovery object/i.test(text)) {
    if (dest.net && dest.host) return { family: 'oidc-unreachable', said: `Error creating oidc provider (${dest.net === 'dns' ? 'the issuer\'s name does not resolve' : dest.net === 'refused' ? 'connection refused' : dest.net === 'timeout' ? 'no answer' : 'no route'})`, host: dest.host, ...(dest.port ? { port: dest.port } : {}), net: dest.net };
    return { family: 'oidc-provider', said: 'Error creating oidc provider' };
  }
  if (/invalid audience/i.test(text)) return { family: 'audience', said: 'invalid audience' };

  // --- Kubernetes (client-go), propeller's CRD and etcd
  const forbidden = /User "([^"]+)" cannot (\w+) resource "([^"]+)"(?: in API group "([^"]*)")?/.exec(text);
  if (forbidden) {
    const [, user, verb, res, group] = forbidden;
    return { family: 'k8s-forbidden', said: `forbidden: ${verb} ${res}${/FlyteWorkflow CRD/i.test(text) ? ' (creating the FlyteWorkflow CRD)' : ''}`, user: user!, denied: `${verb} ${res}${group ? `.${group}` : ''}` };
  }
  if (/etcdserver: request is too large|Request entity too large/i.test(text)) return { family: 'crd-too-large', said: /etcdserver/i.test(text) ? 'etcdserver: request is too large' : 'Request entity too large' };
  if (/exceeded quota/i.test(text)) return { family: 'quota', said: 'exceeded quota' };
  if (/FlyteWorkflow CRD|customresourcedefinitions|kubernetes\.default|KUBERNETES_SERVICE_HOST|unable to load in-cluster configuration/i.test(text) && dest.net) return { family: 'apiserver-unreachable', said: 'the API server does not answer the pod', ...dest };

  // --- configuration the component cannot read (viper/yaml/json)
  const unknown = /unknown field "([\w.-]+)"|has invalid keys: ([\w.,\s-]+)|json: unknown field "([\w.-]+)"/i.exec(text);
  const yamlLine = /yaml: (?:line (\d+)|unmarshal errors)/i.exec(text);
  if (unknown || yamlLine || /failed to unmarshal|error unmarshaling|cannot unmarshal|failed to (load|parse|read) config|Fatal error config file|While parsing config/i.test(text)) {
    const field = safeName((unknown?.[1] ?? unknown?.[2] ?? unknown?.[3])?.split(',')[0]?.trim());
    const into = /cannot unmarshal \w+ into Go (?:struct field|value of type) ([\w.]+)/i.exec(text)?.[1];
    return { family: 'config-parse', said: field ? `unknown configuration key "${field}"` : yamlLine?.[1] ? `yaml: line ${yamlLine[1]}` : into ? `cannot unmarshal into ${safeName(into, /^[\w.]{1,120}$/) ?? 'a config field'}` : 'the configuration cannot be parsed', ...(field ? { field } : into ? { field: safeName(into, /^[\w.]{1,120}$/) ?? '' } : {}), ...(yamlLine?.[1] ? { line: Number(yamlLine[1]) } : {}) };
  }

  // --- network failures, by where they went
  if (/x509: certificate signed by unknown authority|x509: certificate is valid for|certificate verify failed|server gave HTTP response to HTTPS client/i.test(text)) {
    const ep = st ? endpointParts(st) : undefined;
    if (ep && (dest.host?.toLowerCase() === ep.host.toLowerCase() || !dest.host && STORE_CONTEXT.test(text))) {
      if (/server gave HTTP response to HTTPS client/i.test(text)) return { family: 'store-plaintext', said: 'http: server gave HTTP response to HTTPS client', host: ep.host, port: ep.port };
      if (/certificate is valid for/i.test(text)) return { family: 'store-tls-name', said: 'x509: certificate is valid for other names', host: ep.host, port: ep.port };
      return { family: 'store-tls-untrusted', said: 'x509: certificate signed by unknown authority', host: ep.host, port: ep.port };
    }
  }
  if (dest.net) {
    const db = t.databases.find((d) => dest.host && d.host.toLowerCase() === dest.host.toLowerCase() && (dest.port === undefined || dest.port === d.port));
    const ep = st ? endpointParts(st) : undefined;
    const toStore = ep && dest.host && ep.host.toLowerCase() === dest.host.toLowerCase();
    if (toStore) return { family: dest.net === 'dns' ? 'store-dns' : 'store-unreachable', said: dest.net === 'dns' ? 'no such host' : dest.net === 'refused' ? 'connection refused' : dest.net === 'timeout' ? 'i/o timeout' : 'no route to host', host: ep.host, port: ep.port, net: dest.net };
    const netSaid = dest.net === 'dns' ? 'no such host' : dest.net === 'refused' ? 'connection refused' : dest.net === 'timeout' ? 'i/o timeout' : 'no route to host';
    if (db) return { family: 'db-unreachable', said: netSaid, host: db.host, port: db.port, net: dest.net };
    const onlyDb = t.databases[0];
    if (onlyDb && PG_CONTEXT.test(text)) {
      // the pods dial a database host the values do not name (pgx says host=<name>): the release is not the values
      if (dest.host && !/^[\d.]+$|:/.test(dest.host)) return { family: 'db-unreachable', said: netSaid, host: dest.host, port: dest.port ?? onlyDb.port, net: dest.net, otherHost: true };
      return { family: 'db-unreachable', said: netSaid, host: onlyDb.host, port: onlyDb.port, net: dest.net };
    }
    // propeller/scheduler/sync dial flyteadmin's gRPC port (flyte-core's default flyteadmin:81, insecure)
    if (dest.port === 81 || dest.port === 8089 || /flyteadmin/i.test(dest.host ?? '') || /failed to fetch auth metadata|AdminService|token source provider/i.test(text)) return { family: 'admin-endpoint', said: `flyteadmin does not answer${dest.port ? ` at port ${dest.port}` : ''} (${netSaid})`, ...dest };
    if (STORE_CONTEXT.test(text)) return { family: 'unreachable-other', said: `the object store does not answer the pod (${netSaid})`, ...dest };
    // a database by its port, or a bare network error of a component that only talks to its database
    if (onlyDb && o.usesDb !== false && (dest.port === onlyDb.port || !dest.host && !OIDC_CONTEXT.test(text))) return { family: 'db-unreachable', said: netSaid, host: onlyDb.host, port: onlyDb.port, net: dest.net };
    return { family: 'unreachable-other', said: `${dest.net === 'dns' ? 'a name does not resolve' : dest.net === 'refused' ? 'connection refused' : dest.net === 'timeout' ? 'no answer' : 'no route'}${dest.host ? ` (${dest.host}${dest.port ? `:${dest.port}` : ''})` : ''}`, ...dest };
  }
  return undefined;
}

/** What the caller knows that the text does not: the chart, the component's database, the storage checks' keys. */
export interface CrashContext {
  target: Target;
  /** The chart (undefined: not known; flyte-binary's keys are named then). */
  chart?: Chart | undefined;
  /** The component (flyteadmin, datacatalog, flytepropeller, flyte-binary...). */
  component: string;
  /** Its backend key (cause.backend), the cause when the text names no fault of another check. */
  backend: string;
  /** The database the component uses, when it uses one. */
  db?: DatabaseTarget;
  /** The values key of a configured bucket, as storage.* builds it (metadata / userdata instance). */
  bucketKey: (instance: 'metadata' | 'userdata') => string;
  /** The access key id as the storage checks name it in their credentials cause (accesskey mode only). */
  s3KeyId?: string;
  /** `kubectl -n <ns>` */
  k: string;
}

export interface CrashExplained { family: CrashFamily; said: string; hint: string; cause?: string }

/** The fix and the cause key for a reading; cause undefined: the component's own (backend) key stays. */
export function explainCrash(r: CrashReading, c: CrashContext): CrashExplained {
  const t = c.target, st = t.storage, db = c.db;
  const binary = c.chart !== 'flyte-core';
  const out = (hint: string, key?: string): CrashExplained => ({ family: r.family, said: r.said, hint, ...(key ? { cause: key } : {}) });
  const who = db ? `${db.user}@${hostPortKey(db.host, db.port)}` : '';
  const inline = binary ? 'configuration.inline' : 'configmap.<section>';
  switch (r.family) {
    // ---------------- database
    case 'db-auth':
      return db ? out(`the database refuses the password of ${db.user}: fix ${dbSettingKey(t, db, 'password')} (or the passwordPath file); database.postgres.auth checks it from here`, cause.credentials('postgres', who))
        : out('the database refuses the password the component uses: fix the database password in the values');
    case 'db-role-missing':
      return db ? out(`role "${db.user}" does not exist on ${db.host}:${db.port}: set ${dbSettingKey(t, db, 'username')} to an existing role, or create it (${adminSql(db, `CREATE ROLE ${ident(db.user)} LOGIN PASSWORD '…'`)}); database.postgres.auth checks it from here`, cause.credentials('postgres', who))
        : out('the database role the component logs in as does not exist: fix the database username in the values');
    case 'db-missing': case 'db-create-denied': {
      if (!db) return out('the database the component uses does not exist: create it, or fix the database name in the values');
      const k = dbSettingKey(t, db, 'dbname');
      if (r.dbname && r.dbname !== db.dbname && r.dbname !== 'postgres') {
        return out(`the pods use database "${r.dbname}", which does not exist, while ${k} says "${db.dbname}": the installed release is not the values (\`helm upgrade\` with them), or ${k} is not what the release reads`, cause.backend(c.backend));
      }
      const create = adminSql(db, `CREATE DATABASE ${ident(db.dbname)} OWNER ${ident(db.user)}`);
      return out(`${r.family === 'db-create-denied' ? `database ${db.dbname} does not exist and ${db.user} may not create it (Flyte's CREATE DATABASE at start is refused)` : `database ${db.dbname} does not exist on ${db.host}:${db.port}`}: create it (${create}), or ALTER ROLE ${ident(db.user)} CREATEDB so Flyte creates it, or set ${k} to the existing database; database.postgres.database checks it from here`, cause.config(k));
    }
    case 'db-tls-required': {
      if (!db) return out('the database admits only TLS connections and the component connects without: set sslmode=require in the database options');
      const k = dbSettingKey(t, db, 'options');
      const mode = sslmodeOf(db);
      if (mode === 'require' || mode === 'verify-ca' || mode === 'verify-full') {
        return out(`the pods connect to ${db.host}:${db.port} without TLS, which the server refuses, yet ${k} already says sslmode=${mode}: the installed release does not have these values (\`helm upgrade\` with them), or a password-less config drops options (Flyte ignores options when the password is empty)`, cause.backend(c.backend));
      }
      return out(`${db.host}:${db.port} admits only TLS connections and the pods connect without (sslmode=${mode}${db.sslmode ? '' : ', Flyte\'s default'}): set ${k}: "sslmode=require" (or verify-full with sslrootcert mounted in the pods); database.postgres.tls checks it from here`, cause.config(k));
    }
    case 'db-tls-unsupported': {
      if (!db) return out('the database offers no TLS and the component asks for it: set sslmode=disable in the database options, or enable TLS on the server');
      const k = dbSettingKey(t, db, 'options');
      return out(`${db.host}:${db.port} offers no TLS and the pods ask for it (sslmode=${sslmodeOf(db)}): enable ssl on the server, or set ${k}: "sslmode=prefer" (or disable) if plaintext is acceptable on that network; database.postgres.tls checks it from here`, cause.config(k));
    }
    case 'db-tls-untrusted':
      return db ? out(`the pods do not trust the certificate of ${db.host}:${db.port} (sslmode=${sslmodeOf(db)}): mount the server's CA in the pods and name it with sslrootcert in ${dbSettingKey(t, db, 'options')}, or use sslmode=require (encrypts without verifying); database.postgres.tls checks it from here`, cause.tls('untrusted', hostPortKey(db.host, db.port)))
        : out('the component does not trust the database\'s certificate: name the CA with sslrootcert in the database options');
    case 'db-hba':
      return db ? out(`pg_hba.conf on ${db.host}:${db.port} has no line for the pods' address: add e.g. "hostssl ${db.dbname} ${db.user} <pod CIDR> scram-sha-256" and reload (SELECT pg_reload_conf()); managed databases: allow the cluster's network in the instance's access settings`, cause.denied('postgres', who, 'pg_hba'))
        : out('pg_hba.conf has no line for the pods\' address: allow the pod network on the database server');
    case 'db-too-many':
      return out(`the database has no connection slots left (53300): lower ${db ? dbSettingKey(t, db, 'maxOpenConnections') : 'the database maxOpenConnections'} (each Flyte process opens up to 100 by default; every replica and component counts), put PgBouncer in front, or raise max_connections; database.postgres.connections compares them`);
    case 'db-read-only':
      return db ? out(`${db.host}:${db.port} is a read-only replica (or default_transaction_read_only is on): Flyte's migrations and writes need the primary: set ${dbSettingKey(t, db, 'host')} to the writer endpoint; database.postgres.privileges checks it from here`, cause.config(dbSettingKey(t, db, 'host')))
        : out('the database is read-only: point the component at the primary');
    case 'db-migration':
      return out(`the schema migrations fail${r.relation ? ` (relation "${r.relation}" is missing)` : ''}: an unsupported PostgreSQL (Flyte needs 12+; database.postgres.version checks it), a migration left half done by an earlier upgrade, or a Flyte bug fixed later (flyte#5157: "relation \\"description_entities\\" does not exist" on Aurora 14.8: upgrade Flyte); \`${c.k} logs <pod>${binary ? '' : ' -c run-migrations'} --previous\` names the migration; database.postgres.migrations shows what is applied`);
    case 'db-permission':
      return db ? out(`role ${db.user} lacks a privilege Flyte needs on ${db.dbname} (${r.said}): make it the owner (${adminSql(db, `ALTER DATABASE ${ident(db.dbname)} OWNER TO ${ident(db.user)}`)}) or grant CREATE/USAGE on schema public (${adminSql(db, `GRANT ALL ON SCHEMA public TO ${ident(db.user)}`, db.dbname)}); database.postgres.privileges checks it from here`)
        : out('the database role lacks a privilege: grant it CREATE and USAGE on schema public');
    case 'db-unreachable':
      if (db && r.otherHost) return out(`the pods connect to the database host ${r.host} (${r.said}), which is not ${dbSettingKey(t, db, 'host')} (${db.host}): the installed release is not the values (\`helm upgrade\` with them), or the release reads the host from elsewhere (an env var, a Secret); fix whichever is wrong`, cause.backend(c.backend));
      return db ? out(`the pod cannot reach the database ${db.host}:${db.port} (${r.said}): check ${db.valuesKey}.host / port and the network path from the pods (database.postgres.connect checks it from here)`, cause.unreachable(hostPortKey(db.host, db.port)))
        : out(`the pod cannot reach the database (${r.said}): check the database host/port and the network path`);

    // ---------------- object store
    case 'bucket-missing': case 'bucket-create-failed': {
      if (!st) return out('the bucket the component uses does not exist: create it or fix the bucket name in the values');
      const create = st.provider === 'gcs' ? `gcloud storage buckets create gs://${r.bucket ?? '<bucket>'}` : `aws s3 mb s3://${r.bucket ?? '<bucket>'}${st.endpoint ? ' --endpoint-url <endpoint>' : ''}`;
      const why = r.family === 'bucket-create-failed' ? 'Flyte found no bucket and its identity may not create one (CreateBucket refused)' : `bucket ${r.bucket ?? r.otherBucket ?? ''} does not exist`.replace('  ', ' ');
      if (r.bucket) {
        const inst = r.bucket === st.metadataBucket ? 'metadata' : 'userdata';
        const k = c.bucketKey(inst);
        return out(`${why}${r.family === 'bucket-create-failed' ? ` (${r.bucket})` : ''}: create it beforehand (${create}) or set ${k} to the existing bucket; storage.${st.provider === 'gcs' ? 'gcs' : 's3'}.bucket checks it from here`, cause.config(`${k}=${r.bucket}`));
      }
      if (r.otherBucket) return out(`the pods use bucket ${r.otherBucket}, which does not exist and which the values do not name (${configuredBuckets(st).join(', ')}): the installed release is not the values (\`helm upgrade\`), or a raw-output prefix elsewhere names it; create it or fix that setting`);
      return out(`${why}: check ${storageKey(st, 'metadataBucket')} and ${storageKey(st, 'userDataBucket')} (${[st.metadataBucket, userDataBucketOf(st)].filter(Boolean).join(', ')}) against the buckets that exist`);
    }
    case 's3-unknown-key': case 's3-wrong-secret': case 's3-token-expired': case 's3-token-invalid': case 's3-access-denied': {
      if (!st) return out(`the object store refuses the component's credentials (${r.said})`);
      const ak = storageKey(st, 'accessKey'), sk = storageKey(st, 'secretKey');
      const keys = st.authType === 'accesskey' && c.s3KeyId ? cause.credentials('s3', c.s3KeyId) : undefined;
      const iam = st.authType !== 'accesskey';
      const byFamily: Record<string, string> = {
        's3-unknown-key': iam ? 'the store does not know the access key the pods use: with authType iam that is the pod\'s identity (IRSA role, or AWS_ACCESS_KEY_ID in the pod env overriding it): check the env of the Deployment and the role' : `the store does not know the access key id the pods use: set ${ak} to an access key id that exists on this store, with its secret in ${sk}; storage.s3.* checks them from here`,
        's3-wrong-secret': iam ? 'the store rejects the signature of the pods\' credentials: a static AWS_SECRET_ACCESS_KEY in the pod env does not belong to its key id' : `the secret key is not the one of the access key the pods use: set ${sk} to the secret of that key (no whitespace or newline around it); storage.s3.* checks it from here`,
        's3-token-expired': iam ? 'the pods\' temporary AWS credentials expired: IRSA refreshes its own; a static AWS_SESSION_TOKEN in the pod env does not: remove it and use the service account\'s role' : `temporary credentials cannot live in ${ak}/${sk} (they expire within hours): use a long-lived access key there, or authType iam with IRSA`,
        's3-token-invalid': iam ? 'the pods\' session token is invalid for their key: remove static AWS_* variables from the pod env and use the service account\'s role' : `the key in ${ak} needs a session token the values cannot carry: use a long-lived access key, or authType iam with IRSA`,
        's3-access-denied': `the pods' identity (${iam ? 'the service account\'s IAM role, IRSA' : `access key ${c.s3KeyId ?? ak}`}) may not use the bucket${r.bucket ? ` ${r.bucket}` : ''}: allow ${S3_FLYTE_ACTIONS.replace(/<bucket>/g, r.bucket ?? '<bucket>')}${iam ? '' : ' (MinIO: mc admin policy attach)'}; storage.s3.* checks each action from here`,
      };
      return out(byFamily[r.family]!, keys);
    }
    case 's3-no-credentials': case 's3-web-identity': {
      const sa = binary ? 'serviceAccount.annotations' : `${c.component}.serviceAccount.annotations`;
      const key = t.inCluster ? cause.credentials('s3', 'pod') : undefined;
      return out(r.family === 's3-no-credentials'
        ? `the pods have no AWS credentials (authType iam, and no IRSA reached them): annotate the service account with eks.amazonaws.com/role-arn: <role> (\`${sa}\`), with the cluster's OIDC provider in the role's trust policy, then restart the pods; or use authType accesskey with keys in ${st ? storageKey(st, 'accessKey') : 'the values'}`
        : `the pods' web identity could not be exchanged for AWS credentials: the role's trust policy must allow sts:AssumeRoleWithWebIdentity for system:serviceaccount:${t.kubernetes.namespace}:<service account> from the cluster's OIDC provider (\`${sa}\` names the role)`, key);
    }
    case 's3-region':
      return st ? out(`the bucket is in another region than the pods ask for (${r.said}): set ${storageKey(st, 'region')} to the bucket's region${r.field ? ` (${r.field})` : ' (aws s3api get-bucket-location)'}; storage.s3.bucket checks it from here`, cause.config(storageKey(st, 'region')))
        : out('the bucket is in another region than configured: fix the storage region');
    case 'kms':
      return out(`KMS refuses the pods' writes (${r.kmsKey ?? 'the bucket\'s default encryption key'}): allow kms:GenerateDataKey and kms:Decrypt on the key to the pods' identity (key policy and IAM policy), and check the key is enabled; storage.s3.put checks it from here`, r.kmsKey || r.bucket ? cause.config(`kms-key:${r.kmsKey ?? r.bucket}`) : undefined);
    case 'gcs-workload-identity': {
      const ksa = binary ? 'the flyte-binary service account' : `the ${c.component} service account`;
      return out(`Workload Identity: ${ksa} may not act as its Google service account (iam.serviceAccounts.getAccessToken denied): gcloud iam service-accounts add-iam-policy-binding <gsa> --role roles/iam.workloadIdentityUser --member "serviceAccount:<project>.svc.id.goog[${t.kubernetes.namespace}/<ksa>]" (one binding per component service account), and check the iam.gke.io/gcp-service-account annotation`);
    }
    case 'gcs-denied':
      return out(`the pods' Google identity lacks ${r.field ?? 'a storage permission'} on the bucket${r.bucket ? ` ${r.bucket}` : ''}: grant it (roles/storage.objectAdmin on the bucket, plus storage.buckets.get); storage.gcs.* checks it from here`);
    case 'store-unreachable': case 'store-dns': {
      const hp = hostPortKey(r.host!, r.port!);
      const ek = st ? storageKey(st, 'endpoint') : 'the storage endpoint';
      return out(r.family === 'store-dns' ? `the pods cannot resolve the object store's host ${r.host}: fix ${ek} (an in-cluster Service name must exist in that namespace)` : `the pods cannot reach the object store at ${hp} (${r.said}): check ${ek} and the network path from the pods; storage.s3.endpoint checks it from here`,
        r.family === 'store-dns' ? cause.dns(r.host!) : cause.unreachable(hp));
    }
    case 'store-tls-untrusted': case 'store-tls-name': {
      const hp = hostPortKey(r.host!, r.port!);
      return out(r.family === 'store-tls-name' ? `the object store's certificate at ${hp} does not name ${r.host}: serve a certificate for that name or set ${st ? storageKey(st, 'endpoint') : 'the endpoint'} to a name it has` : `the pods do not trust the object store's certificate at ${hp}: serve one from a public CA, or mount the private CA into the pods' trust store (a volume over /etc/ssl/certs, or SSL_CERT_FILE in the pod env)`,
        cause.tls(r.family === 'store-tls-name' ? 'name' : 'untrusted', hp));
    }
    case 'store-plaintext': {
      const hp = hostPortKey(r.host!, r.port!);
      return out(`the object store at ${hp} speaks plain HTTP and the pods use https: set ${st ? storageKey(st, 'endpoint') : 'the endpoint'} to http://${hp}${st ? ` and ${storageKey(st, 'disableSSL')}: true` : ''}, or enable TLS on the store`, cause.tls('plaintext', hp));
    }

    // ---------------- auth
    case 'oidc-provider': case 'oidc-issuer-mismatch': case 'oidc-unreachable': {
      const k = oidcBaseUrlKey({ ...t, chart: c.chart });
      if (r.family === 'oidc-unreachable') {
        const port = r.port ?? 443;
        return out(`flyteadmin cannot load its OIDC issuer ${r.host} at start (${r.said}): fix ${k} or the pods' egress to the IdP (proxy: httpProxyURL); auth.oidc.issuer checks it from here`, r.net === 'dns' ? cause.dns(r.host!) : cause.unreachable(hostPortKey(r.host!, port)));
      }
      return out(r.family === 'oidc-issuer-mismatch'
        ? `the IdP's discovery document names another issuer than ${k}: set ${k} to exactly the issuer it names (trailing slash included; Azure AD: https://login.microsoftonline.com/<tenant>/v2.0), or set issuerUrl when the pods reach the IdP by another address; auth.oidc.issuer checks it from here`
        : `flyteadmin cannot create its OIDC provider from ${k} at start: it must be the issuer URL (its /.well-known/openid-configuration must answer), not the authorize endpoint; auth.oidc.issuer checks it from here`, cause.config(k));
    }
    case 'audience': {
      const vk = t.auth.valuesKey;
      const appAuth = vk === 'configuration.auth' ? 'configuration.inline.auth.appAuth' : `${vk}.appAuth`;
      return out(`flyteadmin rejects tokens whose audience it does not expect: list the audience the IdP issues in ${appAuth}.externalAuthServer.allowedAudience, and the public URL in ${vk === 'configuration.auth' ? 'configuration.auth.authorizedUris' : `${vk}.authorizedUris`}`);
    }

    // ---------------- Kubernetes
    case 'k8s-forbidden':
      return out(`the API server denies ${r.user} "${r.denied}": ${/customresourcedefinitions/.test(r.denied ?? '') ? 'the component creates the FlyteWorkflow CRD at start: give its ClusterRole create/get on customresourcedefinitions (the chart\'s rbac), or install the CRD beforehand' : 'its Role/ClusterRole lacks the right (the chart\'s rbac templates)'}; \`kubectl auth can-i ${r.denied?.split(' ')[0] ?? 'get'} ${r.denied?.split(' ')[1] ?? ''} --as=${r.user}\`; flyte.rbac.runtime checks every right it needs`,
        cause.denied('kubernetes', r.user!, r.denied!));
    case 'crd-too-large':
      return out(`a FlyteWorkflow object is larger than etcd accepts (about 1.5 MB): offload workflow closures: set ${binary ? 'configuration.inline.flyteadmin.useOffloadedWorkflowClosure' : 'configmap.adminServer.flyteadmin.useOffloadedWorkflowClosure'}: true; restructure large fan-outs into map tasks or sub-launch plans`);
    case 'quota':
      return out(`a ResourceQuota refuses what the component creates: \`${c.k} describe resourcequota\` in the namespace it names; raise the quota or lower the requests`);
    case 'apiserver-unreachable':
      return out(`the pod cannot reach the Kubernetes API server (${r.said}${r.host ? `, ${r.host}` : ''}): check the cluster network (CNI, kube-proxy) and NetworkPolicies that deny egress to the API server from namespace ${t.kubernetes.namespace}`);
    case 'admin-endpoint': {
      const key = binary ? 'configuration.inline.admin.endpoint' : 'configmap.admin.admin.endpoint';
      return out(`the component cannot reach flyteadmin${r.host ? ` at ${r.host}${r.port ? `:${r.port}` : ''}` : ''} (${r.said}): if flyteadmin runs, ${key} names the wrong address or port (flyte-core's default dns:///flyteadmin:81 stops answering once server.security.secure is on: use port 80 with insecure: false), else flyteadmin's own failure is the cause`, cause.backend('flyteadmin'));
    }
    case 'config-parse':
      return out(`the component cannot read its configuration (${r.said}): the Flyte config the chart renders from ${inline}${r.field ? ` has "${r.field}", which this Flyte version does not know or cannot read there (a misspelling, a key of another version, a wrong indentation level)` : r.line ? ` is not valid YAML at line ${r.line} of the rendered file` : ' does not parse'}: fix it in the values; \`${c.k} get configmap -o yaml\` shows the rendered files`);
    case 'unreachable-other':
      return out(`the component cannot reach a service it needs (${r.said}): the previous log names the address; check the setting that names it (database, storage endpoint, OIDC issuer, admin endpoint) and the network path from the pods`);
  }
}

/** The telling line of a log tail or a long termination message: the last line of a known family (stack frames skipped). */
export function familyLine(text: string, t: Pick<Target, 'storage' | 'databases'> = { databases: [] }): string | undefined {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i]!;
    if (/^(goroutine \d|\/|created by |[\w./-]+\(.*\)$)/.test(l)) continue;
    // a bare network failure names the least (an earlier retry, a sidecar): the last error line says more then
    const r = readCrashText(l, t);
    if (r && r.family !== 'unreachable-other') return l;
  }
  return undefined;
}
