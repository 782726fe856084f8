/** A secret value. Prints as *** everywhere (String(), JSON, util.inspect); call reveal() to use it. */
export class Secret {
  readonly #value: string;
  constructor(value: string) { this.#value = value; }
  reveal(): string { return this.#value; }
  toString(): string { return '***'; }
  toJSON(): string { return '***'; }
  [Symbol.for('nodejs.util.inspect.custom')](): string { return 'Secret(***)'; }
}

/**
 * An identifier that is half a credential (an AWS access key id, a client id used with a secret):
 * shown as its first and last four characters, never whole. Short values show as ***.
 */
export function maskIdentifier(value: string): string {
  // a secret access key given where the id goes (the two swapped: 40 characters with / or +) is a secret, not an id
  if (value.length >= 30 && /^[A-Za-z0-9/+=]+$/.test(value) && /[/+]/.test(value)) return '***';
  return value.length >= 12 ? `${value.slice(0, 4)}…${value.slice(-4)}` : '***';
}

// ---------------------------------------------------------------------------------------------
// Which keys of an input hold a credential, by name. One rule for values files, flytectl config,
// environment variables and the redactor's `key=value` / `"key": "value"` patterns.

const norm = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Names that end like this point at a credential or describe one, but are not one (a path, a Secret's name, a URL...). */
const NOT_SECRET_SUFFIX = /(path|paths|file|files|location|dir|name|names|ref|envvar|env|type|mode|url|uri|endpoint|issuer|audience|scopes?|header|ttl|expiry|expiration|expiresin|expiresat|lifespan|lifetime|duration|timeout|enabled|enable|disabled|length|size|format|kind|template|manifest|selector|count|version|provider|store|command|cmd|method|algorithm|source|sources|mount|volume|keys|generation|rotation|policy)$/;
/** Names that hold a secret when they end like this. */
const SECRET_SUFFIX = /(password|passwd|passphrase|pwd|secret|secretkey|secretaccesskey|token|apikey|privatekey|privatekeyid|accountkey|storagekey|signingkey|hashkey|blockkey|encryptionkey|masterkey|sharedkey|clientsecret|secrethash|connectionstring|sastoken|sharedaccesssignature|signature|credential|credentials|sessionkey|authkey|bearer|cookiesecret|refreshtoken|accesstoken|idtoken|hmackey|keydata|privatekeypem)$/;
const SECRET_EXACT = new Set(['pass', 'pw', 'sig', 'secret', 'key']);

/**
 * Whether a key named `name` (values key, config key, env var, query parameter) holds a secret:
 * password/secret/token/private-key material. Not: `secretName`, `passwordPath`, `keyFile`,
 * `clientSecretLocation`, `tokenUrl`, access key ids (those are identifiers, see isIdentifierKeyName).
 * `key` alone counts only when `bareKey` is set (Azure's `providerConfig.azure.key`); elsewhere it
 * names a key (a Secret's key, a toleration's key).
 */
export function isSecretKeyName(name: string, o: { bareKey?: boolean } = {}): boolean {
  const n = norm(name);
  if (!n) return false;
  if (isIdentifierKeyName(name)) return false;
  if (n === 'key') return Boolean(o.bareKey);
  if (SECRET_EXACT.has(n)) return true;
  if (n === 'privatekeyid') return true;
  if (NOT_SECRET_SUFFIX.test(n)) return false;
  return SECRET_SUFFIX.test(n);
}

/** Access key ids: half a credential, shown as first4…last4 (`accessKey`, `access-key`, `access_key_id`, `AWS_ACCESS_KEY_ID`). */
export function isIdentifierKeyName(name: string): boolean {
  const n = norm(name);
  return /(^|[^t])accesskey(id)?$/.test(n) || n === 'accesskeyid' || /accesskeyid$/.test(n) || n === 'hmacaccessid' || n === 'accessid';
}

/**
 * The values of credential flags in an argument list (an exec plugin's `args`, a container's
 * `args`/`command`): `--oidc-client-secret=X`, `--client-secret X`, Go style `-token X`, and
 * `NAME=value` words and JSON `"name": "value"` pairs whose name says secret (`sh -c "TOKEN=X cmd"`).
 */
export function flagSecrets(args: readonly unknown[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (typeof a !== 'string') continue;
    const m = /^--?([A-Za-z][A-Za-z0-9_.-]*)(?:=([\s\S]*))?$/.exec(a);
    if (m && isSecretKeyName(m[1]!.split('.').pop()!)) {
      const next = args[i + 1];
      if (m[2] !== undefined) out.push(m[2]);
      else if (typeof next === 'string' && next && !next.startsWith('-')) { out.push(next); i++; }
      continue;
    }
    for (const [name, value] of assignments(a)) if (isSecretKeyName(name.split('.').pop()!)) out.push(value);
    // JSON inside an argument (`sh -c 'echo {"token":"X"}'`)
    for (const kv of a.matchAll(/(\\?")([A-Za-z][A-Za-z0-9_ .-]{0,63})\1\s*:\s*(\\?")((?:[^"\\]|\\.)+?)\3/g)) {
      if (isSecretKeyName(kv[2]!)) out.push(kv[4]!);
    }
  }
  return out.filter((v) => v.trim().length > 0);
}

/**
 * The `name=value` words of a text (`password=x`, `--db-password=x`, `TOKEN='x y'`), quotes removed:
 * the credentials the inputs carry inside strings (connection strings, shell commands, flags).
 */
export function assignments(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const m of text.matchAll(/(?<![A-Za-z0-9_-])-{0,2}([A-Za-z][A-Za-z0-9_.-]{1,63})\s*=\s*('[^']*'|"[^"]*"|[^\s;&,'"]+)/g)) {
    out.push([m[1]!, m[2]!.replace(/^(['"])([\s\S]*)\1$/, '$2')]);
  }
  return out;
}
