// libpq connection options as Flyte's `database.options` holds them (`sslmode=require sslrootcert=/ca.pem`),
// shared by the Helm values mapping (charts.ts) and the Flyte server config mapping (serverconfig.ts).
import type { DatabaseTarget } from './target.js';

export type SslMode = NonNullable<DatabaseTarget['sslmode']>;
export const SSLMODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

/**
 * libpq `key=value` options as Flyte's driver (pgx) reads them: whitespace separates pairs, and may
 * stand around `=`; a value in single quotes keeps its whitespace (`default_transaction_isolation='repeatable read'`),
 * `\\` and `\'` lose their backslash. Keys keep their spelling (`dbname` stays `dbname`). A string pgx
 * cannot parse (a key without `=`, an unterminated quote) is read leniently, word by word, as before.
 */
export function parseLibpqOptions(options: string): Record<string, string> {
  const r = parsePgxKeywordValue(options.trim(), { keepDbname: true });
  if (!('error' in r)) return r.settings;
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

const PGX_SPACE = new Set([' ', '\t', '\n', '\v', '\f', '\r']);

/**
 * pgx v5's keyword/value connection-string parser (pgconn parseKeywordValueSettings), byte for byte:
 * an unquoted value ends at the first whitespace (a backslash keeps the next byte in it); a value
 * starting with a single quote ends at the next unescaped one; `\\` and `\'` are then unescaped,
 * nothing else. `dbname` is stored as `database`. The error texts are pgx's.
 */
export function parsePgxKeywordValue(s: string, o: { keepDbname?: boolean } = {}): { settings: Record<string, string> } | { error: string } {
  const settings: Record<string, string> = {};
  const trimLeft = (x: string) => { let i = 0; while (i < x.length && PGX_SPACE.has(x[i]!)) i++; return x.slice(i); };
  const unescape = (x: string) => x.replace(/\\\\/g, '\\').replace(/\\'/g, "'");
  while (s.length > 0) {
    const eq = s.indexOf('=');
    if (eq < 0) return { error: 'invalid keyword/value' };
    let key = s.slice(0, eq);
    while (key && PGX_SPACE.has(key[0]!)) key = key.slice(1);
    while (key && PGX_SPACE.has(key[key.length - 1]!)) key = key.slice(0, -1);
    s = trimLeft(s.slice(eq + 1));
    let val = '';
    if (s.length === 0) {
      // an empty value at the end
    } else if (s[0] !== "'") {
      let end = 0;
      for (; end < s.length; end++) {
        if (PGX_SPACE.has(s[end]!)) break;
        if (s[end] === '\\') { end++; if (end === s.length) return { error: 'invalid backslash' }; }
      }
      val = unescape(s.slice(0, end));
      s = end >= s.length ? '' : s.slice(end + 1);
    } else {
      s = s.slice(1);
      let end = 0;
      for (; end < s.length; end++) {
        if (s[end] === "'") break;
        if (s[end] === '\\') end++;
      }
      if (end >= s.length) return { error: 'unterminated quoted string in connection info string' };
      val = unescape(s.slice(0, end));
      s = s.slice(end + 1);
    }
    if (key === 'dbname' && !o.keepDbname) key = 'database';
    if (key === '') return { error: 'invalid keyword/value' };
    settings[key] = val;
  }
  return { settings };
}

/**
 * What Flyte's driver reads as user and password. flytestdlib's GetPostgresDsn writes them into a
 * keyword/value string without quoting ("host=%s port=%d dbname=%s user=%s password=%s %s", the
 * options last) and pgx parses it: whitespace around a value is dropped, whitespace inside one ends
 * it (the rest becomes a setting, or the string does not parse), `\\` and `\'` lose their
 * backslash, a value written in single quotes loses them, a trailing backslash swallows the options.
 * `options`: the options string, or a stand-in with the same first keyword (only what follows the
 * password matters). A password-less DSN has no password and no options (the development case).
 */
export function flyteDriverCredentials(user: string, password: string, options: string): { user: string; password: string; swallowedOptions: boolean } | { error: string } {
  const tail = options.trim();
  const r = parsePgxKeywordValue(`host=h port=5432 dbname=d user=${user} password=${password} ${tail}`);
  if ('error' in r) return r;
  const firstOption = /^([^=\s]+)=/.exec(tail)?.[1];
  return { user: r.settings['user'] ?? '', password: r.settings['password'] ?? '', swallowedOptions: !!firstOption && !(firstOption in r.settings) && (r.settings['password'] ?? '').includes(`${firstOption}=`) };
}
