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
