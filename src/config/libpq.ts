// libpq connection options as Flyte's `database.options` holds them (`sslmode=require sslrootcert=/ca.pem`),
// shared by the Helm values mapping (charts.ts) and the Flyte server config mapping (serverconfig.ts).
import type { DatabaseTarget } from './target.js';

export type SslMode = NonNullable<DatabaseTarget['sslmode']>;
export const SSLMODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

/** libpq `key=value` options (space separated; single quotes around a value are dropped). */
export function parseLibpqOptions(options: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of options.trim().split(/\s+/)) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq)] = part.slice(eq + 1).replace(/^'(.*)'$/, '$1');
  }
  return out;
}

/** An sslmode libpq knows, else undefined (the caller keeps the raw value for database.postgres.tls). */
export function knownSslmode(v: string): SslMode | undefined {
  return (SSLMODES as readonly string[]).includes(v) ? (v as SslMode) : undefined;
}

/**
 * The connection keywords Flyte's driver takes itself (pgx v5 pgconn's notRuntimeParams, `dbname` as
 * its alias of `database`, and the pgx-level cache and exec-mode keys). pgx sends every other
 * `key=value` of the options to the server as a setting in the startup message, case as written: the
 * server refuses a name it does not know ("FATAL: unrecognized configuration parameter", 42704).
 */
export const PGX_CONNECTION_KEYWORDS: ReadonlySet<string> = new Set([
  'host', 'port', 'database', 'dbname', 'user', 'password', 'passfile', 'connect_timeout', 'sslmode', 'sslkey', 'sslcert', 'sslrootcert',
  'sslnegotiation', 'sslpassword', 'sslsni', 'krbspn', 'krbsrvname', 'target_session_attrs', 'service', 'servicefile', 'min_read_buffer_size',
  'statement_cache_capacity', 'description_cache_capacity', 'default_query_exec_mode',
]);

/** The options Flyte's driver sends to the server as settings (see PGX_CONNECTION_KEYWORDS). */
export function runtimeParamsOf(opts: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(opts).filter(([k]) => !PGX_CONNECTION_KEYWORDS.has(k)));
}
