// flytectl / flytekit client config (`admin.*`), file lookup, flytekit env overrides, endpoint parsing.
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { Credentials } from './credentials.js';
import { parseEndpoint, type ParsedEndpoint } from './endpoints.js';
import { checkReadableLater, readInputFile, readRegularFileSync, SECRET_FILE_LIMIT } from './read.js';
import { Secret } from './secret.js';
import { surroundingWhitespace } from './chars.js';
import type { ClientTarget, Provenance } from './target.js';
import { detectChart, isDict, parseYaml, readTextFile, shortJson } from './values.js';
import { kubeconfigReason } from './input-kind.js';
import type { Dict } from './values.js';
import { closeNames } from '../distance.js';
import { makeRedactor } from '../engine/redact.js';

export { parseEndpoint, type ParsedEndpoint } from './endpoints.js';

export interface ClientResult {
  client: ClientTarget;
  /** The parsed endpoint of client.endpoint, if any. */
  parsed?: ParsedEndpoint;
  provenance: Provenance;
  secrets: string[];
  /** Access key ids (storage.connection.access-key): shown as first4…last4. */
  identifiers: string[];
  inputs: string[];
}

export interface ClientInput {
  flytectlConfig?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  home: string;
}

/**
 * The file pyflyte (flytekit's get_config_file) reads when no --config is given: $_FLYTECTL_CONFIG_PYFLYTE_OVERRIDE,
 * then $FLYTECTL_CONFIG (each only when the file exists: a missing one is ignored with a warning), then
 * ./flytekit.config (INI), ~/.flyte/config (INI), ~/.flyte/config.yaml. flytectl reads only
 * $FLYTECTL_CONFIG or else ~/.flyte/config.yaml.
 */
export function pyflyteConfigFile(input: ClientInput): string | undefined {
  for (const v of ['_FLYTECTL_CONFIG_PYFLYTE_OVERRIDE', 'FLYTECTL_CONFIG']) {
    const p = input.env[v];
    if (p && existsSync(resolve(input.cwd, p))) return resolve(input.cwd, p);
    if (p) break; // flytekit: getenv(OVERRIDE, getenv(FLYTECTL_CONFIG)) -- one of them only
  }
  for (const p of [resolve(input.cwd, 'flytekit.config'), join(input.home, '.flyte', 'config'), join(input.home, '.flyte', 'config.yaml')]) if (existsSync(p)) return p;
  return undefined;
}

/** admin.endpoint (YAML) or [platform] url (flytekit's legacy INI) of a pyflyte config file, as pyflyte reads it (dns:/// removed). */
function pyflyteEndpointOf(path: string): string | undefined {
  let text: string;
  // (a regular file only: a FIFO or a device there must not block the run; it is pyflyte's file, not an input of ours)
  try { text = readRegularFileSync(path, 4 * 2 ** 20).toString('utf8').slice(0, 256 * 1024); } catch { return undefined; }
  if (/\.ya?ml$/i.test(path)) {
    try { const d = parseYaml(path, text); const a = isDict(d) && isDict(d['admin']) ? d['admin']['endpoint'] : undefined; return typeof a === 'string' ? a.replace('dns:///', '') : undefined; } catch { return undefined; }
  }
  let section = '';
  for (const line of text.split(/\r?\n/)) {
    const sec = /^\s*\[([^\]]+)\]/.exec(line);
    if (sec) { section = sec[1]!.trim().toLowerCase(); continue; }
    const kv = /^\s*url\s*[=:]\s*(.*?)\s*$/i.exec(line);
    if (section === 'platform' && kv) return kv[1]!.replace('dns:///', '') || undefined;
  }
  return undefined;
}

/** Which config file to read: --flytectl-config, then $FLYTECTL_CONFIG, then ~/.flyte/config.yaml. */
function locate(input: ClientInput): { path: string; flag: string } | undefined {
  if (input.flytectlConfig) return { path: input.flytectlConfig, flag: '--flytectl-config' };
  const envPath = input.env['FLYTECTL_CONFIG'];
  if (envPath && !existsSync(resolve(input.cwd, envPath))) {
    // The two clients part ways here: say what each reads instead of a bare "cannot read".
    const py = pyflyteConfigFile(input);
    throw new UserError(`env FLYTECTL_CONFIG: ${envPath} does not exist. flytectl reads only that path (FLYTECTL_CONFIG replaces ~/.flyte/config.yaml), so it runs without a config; pyflyte ignores it ("does not exist, ignoring...") and reads ${py ?? 'no config at all (none of ./flytekit.config, ~/.flyte/config, ~/.flyte/config.yaml exists)'}. Point FLYTECTL_CONFIG at the config file, unset it, or pass --flytectl-config <file>`);
  }
  if (envPath) return { path: envPath, flag: 'env FLYTECTL_CONFIG' };
  const def = join(input.home, '.flyte', 'config.yaml');
  if (existsSync(def)) return { path: def, flag: '~/.flyte/config.yaml' };
  return undefined;
}

/** The strings Go's strconv.ParseBool takes: what flytectl makes of a quoted boolean. */
const GO_PARSE_BOOL = new Map<string, boolean>([...['1', 't', 'T', 'TRUE', 'true', 'True'].map((k) => [k, true] as const), ...['0', 'f', 'F', 'FALSE', 'false', 'False'].map((k) => [k, false] as const)]);

function parseBool(v: string): boolean | undefined {
  const s = v.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(s)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(s)) return false;
  return undefined;
}

/**
 * The keys of flytectl's `admin` section (flyteidl clients/go/admin Config, Flyte 1.x and later);
 * pyflyte (flytekit) reads a subset of them, spelled exactly so.
 */
export const ADMIN_KEYS = ['endpoint', 'insecure', 'insecureSkipVerify', 'caCertFilePath', 'maxBackoffDelay', 'perRetryTimeout', 'maxRetries', 'maxMessageSizeBytes',
  'authType', 'tokenRefreshWindow', 'useAuth', 'clientId', 'clientSecret', 'clientSecretLocation', 'clientSecretEnvVar', 'scopes', 'useAudienceFromAdmin', 'audience',
  'authorizationServerUrl', 'tokenUrl', 'authorizationHeader', 'pkceConfig', 'deviceFlowConfig', 'command', 'proxyCommand', 'defaultServiceConfig', 'httpProxyURL', 'defaultOrg'] as const;

/** The admin settings flyte-doctor reads (a misplaced or misspelled one would silently be the default). */
const READ_ADMIN_KEYS = ['endpoint', 'insecure', 'insecureSkipVerify', 'caCertFilePath', 'authType', 'clientId', 'clientSecretLocation', 'clientSecretEnvVar'];

/**
 * A misspelled admin key (`insecur`, `Insecure`, `endpiont`) or an admin key outside `admin:` would
 * silently leave the setting at its default here and in pyflyte, while flytectl (strict config
 * decoding) stops at start: bad input, named with the key meant. A key far from every known one is
 * left alone (a newer flytectl may read it).
 */
function checkAdminKeys(label: string, root: Dict): void {
  const admin = isDict(root['admin']) ? root['admin'] : undefined;
  if (!('admin' in root)) {
    const near = Object.keys(root).find((k) => isDict(root[k]) && (k.toLowerCase() === 'admin' || (k.length >= 4 && closeNames(k, ['admin'], 1).length > 0)));
    if (near) {
      throw new UserError(near.toLowerCase() === 'admin'
        ? `${label}: ${near}: expected admin:, spelled so: pyflyte reads only that spelling and ignores ${JSON.stringify(near)} (flytectl's keys are case-insensitive); write admin:`
        : `${label}: ${near}: not a section flytectl or pyflyte reads (pyflyte ignores it, flytectl stops at start with "strict mode is on but received keys"); did you mean admin:?`);
    }
  }
  const misplaced = Object.keys(root).filter((k) => READ_ADMIN_KEYS.includes(k) && !(admin && k in admin));
  if (misplaced.length) throw new UserError(`${label}: ${misplaced[0]}: at the top level, where flytectl and pyflyte do not read it; expected admin.${misplaced[0]} (move ${misplaced.join(', ')} under admin:)`);
  if (!admin) return;
  for (const k of Object.keys(admin)) {
    if ((ADMIN_KEYS as readonly string[]).includes(k)) continue;
    const same = ADMIN_KEYS.find((a) => a.toLowerCase() === k.toLowerCase());
    if (same) throw new UserError(`${label}: admin.${k}: expected admin.${same}, spelled so: pyflyte reads only that spelling and ignores admin.${k} (flytectl's keys are case-insensitive); write ${same}`);
    const near = closeNames(k, ADMIN_KEYS, 1)[0];
    if (near && !(near in admin)) throw new UserError(`${label}: admin.${k}: not a key flytectl or pyflyte reads (pyflyte ignores it, flytectl stops at start with "invalid keys: ${k.toLowerCase()}"); did you mean admin.${near}?`);
  }
}

export function loadClient(input: ClientInput): ClientResult {
  // the file's own credentials, collected as it is read: an error that quotes one (a secret given
  // at a key that expects a boolean) is redacted with them before it leaves
  const creds = new Credentials();
  try { return loadClientWith(input, creds); } catch (e) {
    if (e instanceof UserError) throw new UserError(makeRedactor({ secrets: [...creds.secrets], identifiers: [...creds.identifiers] })(e.message));
    throw e;
  }
}

function loadClientWith(input: ClientInput, creds: Credentials): ClientResult {
  const provenance: Provenance = {};
  const secrets = creds.secrets;
  const inputs: string[] = [];
  const client: ClientTarget = { insecure: false, insecureSkipVerify: false };
  const loc = locate(input);
  let admin: Dict = {};
  let label = '';
  if (loc) {
    const text = readTextFile(loc.flag, loc.path, input.cwd);
    inputs.push(loc.path);
    label = loc.path;
    client.configPath = loc.path;
    const data = parseYaml(loc.path, text);
    if (data !== null && data !== undefined && !isDict(data)) throw new UserError(`${loc.path}: expected a map at the top level, got ${shortJson(data)}`);
    const root = (data ?? {}) as Dict;
    if (root['admin'] === undefined) {
      // another input passed here: read as a flytectl config it would be one without an endpoint
      const kc = kubeconfigReason(root);
      if (kc) throw new UserError(`${loc.path}: this is a kubeconfig (${kc}), not a flytectl config (admin.endpoint): pass it with --kubeconfig`);
      const chart = detectChart(root);
      if (chart) throw new UserError(`${loc.path}: this looks like Helm values (${chart.reason}), not a flytectl config (admin.endpoint): pass it with --values`);
    }
    if (root['admin'] !== undefined && root['admin'] !== null && !isDict(root['admin'])) throw new UserError(`${loc.path}: admin: expected a map, got ${shortJson(root['admin'])}`);
    admin = (root['admin'] as Dict | undefined) ?? {};
    checkAdminKeys(loc.path, root);
    // Every credential in the file by key name: admin.clientSecret, storage.connection.secret-key
    // (flytekit's S3 access; access-key is an identifier), tokens, URL passwords.
    creds.scanTree(root);
  }
  const fileStr = (key: string): string | undefined => {
    const v = admin[key];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v === 'string' || typeof v === 'number') return String(v);
    throw new UserError(`${label}: admin.${key}: expected a string, got ${shortJson(v)}`);
  };
  const fileBool = (key: string): boolean | undefined => {
    const v = admin[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'boolean') return v;
    // A string here is a quoted value (an unquoted yes/on/true is already a boolean: YAML 1.1, as
    // flytectl's yaml.v2 reads it). flytectl decodes a string with Go's strconv.ParseBool (viper,
    // mapstructure's weak typing): "yes" or "false\n" (a block scalar, a templated file) stop it at start.
    if (typeof v === 'string' && GO_PARSE_BOOL.has(v)) return GO_PARSE_BOOL.get(v);
    if (v === '') return false; // mapstructure's weak typing (and flytekit) read an empty string as false
    if (typeof v === 'string' && v.trim() !== '' && parseBool(v) !== undefined) {
      const ws = surroundingWhitespace(v);
      throw new UserError(`${label}: admin.${key}: ${JSON.stringify(v)} ${ws ?? 'is a quoted string'}, and flytectl stops at start with "cannot parse 'admin.${key}' as bool" (Go's strconv.ParseBool takes ${ws ? 'no whitespace' : 'true/false, 1/0, t/f'}); write ${key}: ${parseBool(v)}`);
    }
    throw new UserError(`${label}: admin.${key}: expected a boolean (true or false), got ${shortJson(v)}`);
  };
  const env = input.env;
  const envStr = (name: string): string | undefined => (env[name] !== undefined && env[name] !== '' ? env[name] : undefined);
  const envBool = (name: string): boolean | undefined => {
    const v = envStr(name);
    if (v === undefined) return undefined;
    const b = parseBool(v);
    if (b === undefined) throw new UserError(`env ${name}: expected a boolean (true or false), got ${shortJson(v)}`);
    return b;
  };

  // flytekit env vars override file values.
  const pickStr = (field: keyof ClientTarget, key: string, envName: string): string | undefined => {
    const e = envStr(envName);
    if (e !== undefined) { provenance[`client.${field}`] = `env ${envName}`; return e; }
    const f = fileStr(key);
    if (f !== undefined) { provenance[`client.${field}`] = `${label}: admin.${key}`; return f; }
    return undefined;
  };
  const pickBool = (field: 'insecure' | 'insecureSkipVerify', key: string, envName: string): void => {
    const e = envBool(envName);
    if (e !== undefined) { client[field] = e; provenance[`client.${field}`] = `env ${envName}`; return; }
    const f = fileBool(key);
    if (f !== undefined) { client[field] = f; provenance[`client.${field}`] = `${label}: admin.${key}`; return; }
    provenance[`client.${field}`] = 'default';
  };

  const endpoint = pickStr('endpoint', 'endpoint', 'FLYTE_PLATFORM_URL');
  pickBool('insecure', 'insecure', 'FLYTE_PLATFORM_INSECURE');
  pickBool('insecureSkipVerify', 'insecureSkipVerify', 'FLYTE_PLATFORM_INSECURE_SKIP_VERIFY');
  const ca = pickStr('caCertFilePath', 'caCertFilePath', 'FLYTE_PLATFORM_CA_CERT_FILE_PATH');
  if (ca) {
    client.caCertFilePath = ca;
    checkReadableLater(provenance['client.caCertFilePath']!, ca, input.cwd);
  }
  const authType = pickStr('authType', 'authType', 'FLYTE_CREDENTIALS_AUTH_MODE');
  if (authType) client.authType = authType;
  const clientId = pickStr('clientId', 'clientId', 'FLYTE_CREDENTIALS_CLIENT_ID');
  if (clientId) client.clientId = clientId;

  // Client secret (flytekit order): FLYTE_CREDENTIALS_CLIENT_SECRET itself, then clientSecretEnvVar
  // (names an env var), then clientSecretLocation (a file). Every one of them is a secret.
  const direct = envStr('FLYTE_CREDENTIALS_CLIENT_SECRET');
  const envVarName = envStr('FLYTE_CREDENTIALS_CLIENT_SECRET_ENV_VAR') ?? fileStr('clientSecretEnvVar');
  const locationEnv = envStr('FLYTE_CREDENTIALS_CLIENT_SECRET_LOCATION');
  const location = locationEnv ?? fileStr('clientSecretLocation');
  if (envVarName && env[envVarName]) creds.secret(env[envVarName]);
  if (direct) {
    client.clientSecret = new Secret(direct);
    creds.secret(direct);
    provenance['client.clientSecret'] = 'env FLYTE_CREDENTIALS_CLIENT_SECRET';
  } else if (envVarName && env[envVarName]) {
    client.clientSecret = new Secret(env[envVarName]!);
    provenance['client.clientSecret'] = `env ${envVarName}`;
  } else if (location) {
    const where = locationEnv ? 'env FLYTE_CREDENTIALS_CLIENT_SECRET_LOCATION' : `${label}: admin.clientSecretLocation`;
    const candidates = isAbsolute(location) ? [location] : [resolve(input.cwd, location), ...(label ? [resolve(input.cwd, label, '..', location)] : [])];
    for (const p of candidates) {
      // Only a regular file up to SECRET_FILE_LIMIT; missing here = the auth checks report it.
      const text = readInputFile(where, p, input.cwd, { optional: true, limit: SECRET_FILE_LIMIT, what: 'a client secret file' });
      if (text === undefined) continue;
      const s = text.trim();
      if (s) {
        client.clientSecret = new Secret(s);
        creds.secret(s);
        provenance['client.clientSecret'] = `file ${location}`;
      }
      break;
    }
  }
  if (location && (direct || (envVarName && env[envVarName]))) {
    // A client secret file the config names but the environment overrides: never used, but still a
    // credential of this input (a server or a pod may echo it): registered, never an error of its own.
    const p = isAbsolute(location) ? location : resolve(input.cwd, location);
    try {
      const text = readInputFile('admin.clientSecretLocation', p, input.cwd, { optional: true, limit: SECRET_FILE_LIMIT, what: 'a client secret file' });
      if (text?.trim()) creds.secret(text.trim());
    } catch { /* not a readable regular file: nothing to register */ }
  }

  // pyflyte reads another file than flytectl (a legacy ./flytekit.config or ~/.flyte/config first, or
  // _FLYTECTL_CONFIG_PYFLYTE_OVERRIDE): its endpoint, for client.config.endpoint to compare.
  if (!input.flytectlConfig) {
    const py = pyflyteConfigFile(input);
    if (py && (!loc || resolve(input.cwd, loc.path) !== py)) {
      provenance['client.pyflyteConfig'] = py;
      const ep = pyflyteEndpointOf(py);
      if (ep) provenance['client.pyflyteEndpoint'] = ep;
    }
  }
  const out: ClientResult = { client, provenance, secrets: [...secrets], identifiers: [...creds.identifiers], inputs };
  if (endpoint) {
    client.endpoint = endpoint;
    const parsed = parseEndpoint(endpoint);
    if (parsed) {
      client.host = parsed.host;
      client.port = parsed.port;
      provenance['client.host'] = provenance['client.endpoint']!;
      provenance['client.port'] = /:\d+$/.test(endpoint.split('/').filter(Boolean).pop() ?? '') ? provenance['client.endpoint']! : 'default (443)';
      out.parsed = parsed;
      if (parsed.problem) provenance['client.endpoint.problem'] = parsed.problem;
    } else {
      provenance['client.endpoint.problem'] = `admin.endpoint ${JSON.stringify(endpoint)} has no host`;
    }
  }
  return out;
}
