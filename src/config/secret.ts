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
  return value.length >= 12 ? `${value.slice(0, 4)}…${value.slice(-4)}` : '***';
}

// ---------------------------------------------------------------------------------------------
// Which keys of an input hold a credential, by name. One rule for values files, flytectl config,
// environment variables and the redactor's `key=value` / `"key": "value"` patterns.

const norm = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Names that end like this point at a credential or describe one, but are not one (a path, a Secret's name, a URL...). */
const NOT_SECRET_SUFFIX = /(path|paths|file|files|location|dir|name|names|ref|envvar|env|type|mode|url|uri|endpoint|issuer|audience|scopes?|header|ttl|expiry|expiration|expiresin|expiresat|lifespan|lifetime|duration|timeout|enabled|enable|disabled|length|size|format|kind|template|manifest|selector|count|version|provider|store|command|cmd|method|algorithm|source|sources|mount|volume|keys|generation|rotation|policy)$/;
/** Names that hold a secret when they end like this. */
const SECRET_SUFFIX = /(password|passwd|passphrase|pwd|secret|secretkey|secretaccesskey|token|apikey|privatekey|privatekeyid|accountkey|storagekey|signingkey|hashkey|blockkey|encryptionkey|masterkey|sharedkey|clientsecret|secrethash|connectionstring|sastoken|sharedaccesssignature|signature|credential|credentials|sessionkey|authkey|bearer|cookiesecret|refreshtoken|accesstoken|idtoken)$/;
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
