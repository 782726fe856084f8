// Where a target setting lives, for fixes. A fix must name the place the value really comes from
// (the environment variable that overrides the file, the flag, the values key in that file), and
// must never ask to set a value the inputs already have. Every check builds "set X to Y" fixes
// through fixSetting(), and the scenario matrix asserts no hint repeats a value already set.
import type { Target } from '../config/target.js';

export type SettingOrigin = 'flag' | 'env' | 'file' | 'chart-default' | 'default' | 'derived' | 'unset';

export interface Setting {
  /** Target field, e.g. 'client.insecure', 'databases[0].host'. */
  field: string;
  /** The resolved value as text; undefined when unset or secret. */
  value: string | undefined;
  /** Provenance text as recorded by the loader. */
  source: string;
  origin: SettingOrigin;
  /** The environment variable that set it (`FLYTE_PLATFORM_INSECURE`). */
  envVar?: string;
  /** The flag that set it (`--endpoint`). */
  flag?: string;
  /** The file and the key in it (`values.yaml`, `configuration.database.host`). */
  file?: string;
  key?: string;
}

/** The value at a dotted target path (`databases[0].host`), or undefined. */
export function valueAt(target: Target, field: string): unknown {
  let cur: unknown = target;
  for (const part of field.replace(/\[(\d+)\]/g, '.$1').split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function text(v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'object') return typeof (v as { reveal?: unknown }).reveal === 'function' ? undefined : JSON.stringify(v);
  return String(v);
}

/** Parses a provenance text: `env X`, `--flag`, `<file>: <key> (...)`, `chart default`, `default...`. */
export function parseSource(source: string | undefined): Omit<Setting, 'field' | 'value' | 'source'> {
  if (!source) return { origin: 'unset' };
  // `derived: not admin.insecure (…)`: computed from another setting (fix that one, not this).
  if (source.startsWith('derived')) return { origin: 'derived' };
  let m = /^env ([A-Za-z_][A-Za-z0-9_]*)/.exec(source);
  if (m) return { origin: 'env', envVar: m[1]! };
  // `--set: configuration.database.port`: a values key given on the command line.
  m = /^--set(?:-string|-file)?: ([^\s(]+)/.exec(source);
  if (m) return { origin: 'file', file: '--set', key: m[1]! };
  m = /^(--[a-z][a-z0-9-]*)/.exec(source);
  if (m) return { origin: 'flag', flag: m[1]! };
  if (source.startsWith('chart default')) return { origin: 'chart-default' };
  if (source.startsWith('default')) return { origin: 'default' };
  m = /^(.+?): ([^\s(]+)/.exec(source);
  if (m) return { origin: 'file', file: m[1]!, key: m[2]! };
  m = /^file (.+)$/.exec(source);
  if (m) return { origin: 'file', file: m[1]! };
  return { origin: 'default' };
}

export function setting(target: Target, field: string): Setting {
  const source = target.provenance[field] ?? '';
  return { field, value: text(valueAt(target, field)), source: source || 'not set', ...parseSource(source || undefined) };
}

/** "where it comes from" for messages: `env FLYTE_PLATFORM_INSECURE`, `values.yaml: ingress.host`, `the chart default`. */
export function whereSet(s: Setting): string {
  switch (s.origin) {
    case 'env': return `env ${s.envVar}`;
    case 'flag': return s.flag!;
    case 'file': return s.key ? `${s.file}: ${s.key}` : s.file!;
    case 'chart-default': return 'the chart default';
    case 'default': return 'the default';
    case 'derived': return s.source;
    default: return 'not set';
  }
}

const fmt = (v: string | number | boolean) => (typeof v === 'string' && (v === '' || /[:#{}[\],&*?|<>=!%@`'"]|^\s|\s$/.test(v)) ? JSON.stringify(v) : String(v));

/**
 * The fix that sets target field `field` to `value`, phrased for where the setting lives; undefined
 * when the inputs already have that value (the cause is elsewhere: say that instead of repeating it).
 * `key` is the values/client-config key to name when nothing set it yet (or a file set it).
 */
export function fixSetting(target: Target, field: string, key: string, value: string | number | boolean): string | undefined {
  const s = setting(target, field);
  if (s.value !== undefined && s.value === String(value)) return undefined;
  switch (s.origin) {
    case 'env':
      return `set ${s.envVar}=${String(value)} in the environment (it overrides ${key}${target.client.configPath && field.startsWith('client.') ? ` in ${target.client.configPath}` : ''}), or unset it and set ${key}: ${fmt(value)}`;
    case 'flag':
      return `pass ${s.flag} ${String(value)}`;
    case 'file':
      return s.file === '--set' ? `set ${s.key ?? key}: ${fmt(value)} (given with --set)` : `set ${s.key ?? key}: ${fmt(value)} in ${s.file}`;
    default:
      return `set ${key}: ${fmt(value)}`;
  }
}

/** A phrase naming the env var when one overrides the file: for findings about a value that is wrong as set. */
export function overrideNote(target: Target, field: string): string {
  const s = setting(target, field);
  return s.origin === 'env' ? ` (set by env ${s.envVar}, which overrides the config file)` : s.origin === 'flag' ? ` (set by ${s.flag})` : '';
}

/** The values key of the OIDC issuer flyteadmin loads (flyte-binary: <auth>.oidc.baseUrl; flyte-core: <auth>.userAuth.openId.baseUrl). */
export function oidcBaseUrlKey(t: Target): string {
  return t.chart === 'flyte-core' || t.auth.valuesKey.startsWith('configmap') ? `${t.auth.valuesKey}.userAuth.openId.baseUrl` : `${t.auth.valuesKey}.oidc.baseUrl`;
}
