// Flyte's database settings: the values keys of both charts, Flyte's defaults, where the password
// Flyte will use comes from, and fixes phrased for where a setting really lives. Used by the
// database.postgres.* checks (src/clients/postgres.ts knows only the PostgreSQL protocol).
import type { DatabaseTarget, Target } from '../config/target.js';
import { fixSetting, setting, type Setting } from './settings.js';

export type SslMode = NonNullable<DatabaseTarget['sslmode']>;

/** Every sslmode PostgreSQL (libpq) and Flyte's driver (pgx) accept, weakest first. */
export const SSLMODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

/** Flyte's default `options` is `sslmode=disable` (flytestdlib database config, both charts). */
export const DEFAULT_SSLMODE: SslMode = 'disable';
export function sslmodeOf(db: DatabaseTarget): SslMode { return db.sslmode ?? DEFAULT_SSLMODE; }

export type DbField = 'host' | 'port' | 'dbname' | 'username' | 'password' | 'passwordPath' | 'options' | 'maxOpenConnections';

/**
 * The values key of a database setting for the chart in use: `configuration.database.<field>`
 * (flyte-binary), `db.admin.database.<field>` / `db.datacatalog.database.<field>` (flyte-core).
 * flyte-binary's pool size lives under `configuration.inline.database`.
 */
export function dbKey(db: DatabaseTarget, field: DbField): string {
  if (field === 'maxOpenConnections') {
    return db.valuesKey.startsWith('configuration.') ? 'configuration.inline.database.maxOpenConnections' : `${db.valuesKey}.maxOpenConnections`;
  }
  return `${db.valuesKey}.${field}`;
}

/** Target field (`databases[0].host`) of a values field. */
const TARGET_FIELD: Partial<Record<DbField, keyof DatabaseTarget>> = { host: 'host', port: 'port', dbname: 'dbname', username: 'user', password: 'password', options: 'sslmode', maxOpenConnections: 'maxOpenConnections' };

export function dbIndex(target: Target, db: DatabaseTarget): number {
  const i = target.databases.indexOf(db);
  return i >= 0 ? i : Math.max(0, target.databases.findIndex((d) => d.role === db.role));
}

/** Provenance of one database setting (file and key, `--set`, env, chart default). */
export function dbSetting(target: Target, db: DatabaseTarget, field: DbField): Setting | undefined {
  const f = field === 'options' && db.sslmodeInvalid !== undefined ? 'sslmodeInvalid' : TARGET_FIELD[field];
  if (!f) return undefined;
  return setting(target, `databases[${dbIndex(target, db)}].${f}`); // `--set: key` reads as file '--set' + key
}

/** The key that really holds a setting (the inline override, the key a `--set` named), else the chart's key. */
export function dbSettingKey(target: Target, db: DatabaseTarget, field: DbField): string {
  const s = dbSetting(target, db, field);
  if (s?.key && s.origin === 'file') return s.key;
  return dbKey(db, field);
}

/** "(from values.yaml: configuration.database.port)" for messages. */
export function dbSource(target: Target, db: DatabaseTarget, field: DbField): string {
  const s = dbSetting(target, db, field);
  if (!s) return '';
  switch (s.origin) {
    case 'file': return s.file === '--set' ? ` (from --set ${s.key})` : ` (from ${s.file}: ${s.key})`;
    case 'env': return ` (from env ${s.envVar})`;
    case 'flag': return ` (from ${s.flag})`;
    case 'chart-default': return ' (the chart default)';
    default: return '';
  }
}

/**
 * "set <key>: <value>" for a database setting, phrased for where it lives; undefined when the
 * inputs already have that value (the cause is elsewhere).
 */
export function dbFix(target: Target, db: DatabaseTarget, field: DbField, value: string | number): string | undefined {
  const key = dbSettingKey(target, db, field);
  const s = dbSetting(target, db, field);
  if (field === 'options') {
    // options holds several libpq settings: name the sslmode only, keep the rest.
    const cur = db.sslmodeInvalid ?? db.sslmode;
    const want = /^sslmode=(\S+)/.exec(String(value))?.[1];
    if (want && cur === want && !db.sslmodeInvalid) return undefined;
    const where = s?.origin === 'file' && s.file && s.file !== '--set' ? ` in ${s.file}` : '';
    return `set ${key}: "${String(value)}"${where}${db.sslrootcert && !/sslrootcert=/.test(String(value)) ? ` (keep sslrootcert=${db.sslrootcert} if the server's CA is needed)` : ''}`;
  }
  const f = TARGET_FIELD[field];
  return fixSetting(target, `databases[${dbIndex(target, db)}].${String(f ?? field)}`, key, value);
}

/** Where the password Flyte will send comes from, for fixes (never the password itself). */
export interface PasswordOrigin {
  kind: 'file' | 'secret-manifest' | 'env' | 'values' | 'default' | 'unreadable-file' | 'secret-ref';
  /** The values key to change (password, passwordPath, the secretManifest key). */
  key: string;
  /** passwordPath: the file the pods read. */
  path?: string;
  /** One phrase: "the file /etc/db/pass.txt (configuration.database.passwordPath)". */
  text: string;
  /** The fix: where to put the right password. */
  fix: string;
}

export function passwordOrigin(target: Target, db: DatabaseTarget): PasswordOrigin {
  const src = db.passwordSource ?? '';
  const pwKey = dbSettingKey(target, db, 'password');
  const pathKey = dbKey(db, 'passwordPath');
  let m = /^passwordPath (\S+) \((.*)\)$/.exec(src);
  if (m) {
    return { kind: 'unreadable-file', key: pathKey, path: m[1]!, text: `the file ${m[1]} named by ${pathKey} (not readable here: ${m[2]})`,
      fix: `put the role's password in the file ${m[1]} the pods read (the Secret mounted there), or run flyte-doctor with PGPASSWORD set to that file's content` };
  }
  // flyte-binary configuration.inlineSecretRef / externalSecretRef: a Secret of config files the pod
  // loads after the values' config: it may set database.postgres.password; its content is not here.
  m = /^secretRef (\S+) \((\S+)\)$/.exec(src);
  if (m) {
    return { kind: 'secret-ref', key: m[2]!, path: m[1]!, text: `the Secret ${m[1]} named by ${m[2]} (config the pod loads; not readable from the values)`,
      fix: `run flyte-doctor with PGPASSWORD set to the database.postgres.password in Secret ${m[1]} (kubectl -n ${target.kubernetes.namespace} get secret ${m[1]} -o yaml)` };
  }
  m = /^passwordPath (\S+)$/.exec(src);
  if (m) {
    return { kind: 'file', key: pathKey, path: m[1]!, text: `the file ${m[1]} named by ${pathKey}`,
      fix: `put the role's password in the file ${m[1]} (${pathKey}; whitespace is trimmed), or point ${pathKey} at the file that holds it` };
  }
  m = /^(common\.databaseSecret\.secretManifest\.\S+) \(mounted as (\S+)\)$/.exec(src);
  if (m) {
    return { kind: 'secret-manifest', key: m[1]!, path: m[2]!, text: `${m[1]} (mounted as ${m[2]})`,
      fix: `set ${m[1]} to the role's password (the Secret mounted at ${m[2]} for ${pathKey})` };
  }
  if (src === 'env PGPASSWORD') {
    return { kind: 'env', key: 'PGPASSWORD', text: `env PGPASSWORD (${pathKey} is not a local file)`,
      fix: `check the password in the Secret mounted for ${pathKey} (flyte-doctor used env PGPASSWORD in its place); re-run with PGPASSWORD set to the file's content` };
  }
  if (/^flytestdlib default/.test(src) || (!db.password && !src)) {
    return { kind: 'default', key: pwKey, text: 'no password in the values (Flyte then sends flytestdlib\'s default password "postgres")',
      fix: `set ${pwKey} (or ${pathKey}) to the role's password: none is configured` };
  }
  const s = dbSetting(target, db, 'password');
  const where = s?.origin === 'file' && s.file && s.file !== '--set' ? ` in ${s.file}` : s?.origin === 'file' ? ' (given with --set)' : '';
  return { kind: 'values', key: pwKey, text: `${pwKey}${where}`, fix: `set ${pwKey}${where} to the role's password` };
}

/** A SQL identifier, quoted when PostgreSQL would fold or refuse it. */
export function ident(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) && !SQL_RESERVED.has(name) ? name : `"${name.replace(/"/g, '""')}"`;
}
/** A SQL string literal. */
export function literal(s: string): string { return `'${s.replace(/'/g, "''")}'`; }
const SQL_RESERVED = new Set(['all', 'analyse', 'analyze', 'and', 'any', 'array', 'as', 'asc', 'both', 'case', 'cast', 'check', 'collate', 'column', 'constraint', 'create', 'current_user', 'default', 'do', 'else', 'end', 'for', 'from', 'grant', 'group', 'in', 'into', 'is', 'not', 'null', 'on', 'or', 'order', 'primary', 'references', 'select', 'session_user', 'table', 'then', 'to', 'user', 'when', 'where', 'with']);

/** `psql -h host -p port -U <admin> -d <db> -c "<sql>"`: the command an administrator runs. */
export function adminSql(db: DatabaseTarget, sql: string, database = 'postgres'): string {
  return `psql -h ${db.host} -p ${db.port} -U <admin role> -d ${database} -c "${sql.replace(/"/g, '\\"')}"`;
}

/** The binary chart's wait-for-db init container, which waits on this host with pg_isready. */
export function waitForDbNote(target: Target): string {
  return target.chart === 'flyte-binary' ? '; the flyte-binary pod waits in its wait-for-db init container until it answers' : '';
}
