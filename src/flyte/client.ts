// Flyte client-config knowledge (facts §F): which `admin.*` key and which flytekit environment
// variable hold each TLS setting, how flytectl (Go) and pyflyte/flytekit (Python gRPC) read them,
// and the values keys of the ingress TLS Secret per chart. Fixes are phrased through
// src/flyte/settings.ts, so they name the variable that overrides the file and never repeat a
// value already set. No I/O here.
import type { Target } from '../config/target.js';
import { fixSetting, setting, whereSet } from './settings.js';

export type ClientSettingName = 'endpoint' | 'insecure' | 'insecureSkipVerify' | 'caCertFilePath' | 'authType' | 'clientId';

/** admin.* key and flytekit env var of each client setting. */
export const CLIENT_SETTINGS: Readonly<Record<ClientSettingName, { key: string; env: string }>> = {
  endpoint: { key: 'admin.endpoint', env: 'FLYTE_PLATFORM_URL' },
  insecure: { key: 'admin.insecure', env: 'FLYTE_PLATFORM_INSECURE' },
  insecureSkipVerify: { key: 'admin.insecureSkipVerify', env: 'FLYTE_PLATFORM_INSECURE_SKIP_VERIFY' },
  caCertFilePath: { key: 'admin.caCertFilePath', env: 'FLYTE_PLATFORM_CA_CERT_FILE_PATH' },
  authType: { key: 'admin.authType', env: 'FLYTE_CREDENTIALS_AUTH_MODE' },
  clientId: { key: 'admin.clientId', env: 'FLYTE_CREDENTIALS_CLIENT_ID' },
};

/** How the two clients treat the TLS settings (facts §F, and what flytekit 1.16 does, checked by test/flytekit). */
export const CLIENT_BEHAVIOUR = {
  insecure: 'admin.insecure: true means plaintext gRPC, no TLS at all (insecureSkipVerify and caCertFilePath are then ignored)',
  caCertFilePath: 'with admin.caCertFilePath set, flytectl and pyflyte trust the certificates of that file ONLY, not the system roots',
  skipVerifyFlytectl: 'flytectl (Go) with insecureSkipVerify checks nothing: not the chain, not the name, not the dates',
  skipVerifyPyflyte: 'pyflyte/flytekit with insecureSkipVerify downloads the served certificate and trusts it, but still checks the host name and the dates',
} as const;

const field = (name: ClientSettingName) => `client.${name}`;

/** Where a client setting comes from, for messages: `env FLYTE_PLATFORM_INSECURE`, `~/.flyte/config.yaml: admin.insecure`, `the default`. */
export function clientSource(t: Target, name: ClientSettingName): string {
  return whereSet(setting(t, field(name)));
}

/** `admin.insecure: true (env FLYTE_PLATFORM_INSECURE)`: the value and, when not the file, where it comes from. */
export function clientSettingText(t: Target, name: ClientSettingName): string {
  const s = setting(t, field(name));
  // (a value with whitespace or control characters around or in it is shown quoted, so they are seen)
  const raw = s.value ?? 'not set';
  const v = typeof raw === 'string' && (raw !== raw.trim() || /[\u0000-\u001f\u007f]/.test(raw)) ? JSON.stringify(raw) : raw;
  const k = CLIENT_SETTINGS[name];
  if (s.origin === 'env') return `${k.env}=${v} (environment; it overrides ${k.key})`;
  if (s.origin === 'flag') return `${k.key} ${v} (from ${s.flag})`;
  return `${k.key}: ${v}${s.origin === 'default' || s.origin === 'unset' ? ' (default)' : ''}`;
}

/**
 * Where a client setting lives, without its value (for fixes: a hint never shows `key: value` of a
 * value already set): `FLYTE_PLATFORM_URL (environment; it overrides admin.endpoint)`,
 * `admin.endpoint in ~/.flyte/config.yaml`, `--endpoint`, `admin.endpoint`.
 */
export function clientWhere(t: Target, name: ClientSettingName): string {
  const s = setting(t, field(name));
  const k = CLIENT_SETTINGS[name];
  if (s.origin === 'env') return `${k.env} (environment; it overrides ${k.key})`;
  if (s.origin === 'flag') return s.flag!;
  if (s.origin === 'file') return `${s.key ?? k.key} in ${s.file}`;
  return t.client.configPath ? `${k.key} in ${t.client.configPath}` : k.key;
}

/**
 * The fix that sets a client setting, phrased for where it lives (the env var that overrides the
 * file, else the file), or undefined when the inputs already have that value.
 */
export function clientFix(t: Target, name: ClientSettingName, value: string | number | boolean): string | undefined {
  const k = CLIENT_SETTINGS[name];
  const f = fixSetting(t, field(name), k.key, value);
  if (!f) return undefined;
  const s = setting(t, field(name));
  if ((s.origin === 'default' || s.origin === 'unset' || s.origin === 'chart-default') && t.client.configPath) return `${f} in ${t.client.configPath} (pyflyte: ${k.env}=${String(value)})`;
  // The variable overrides the file: fix the variable, or drop it and let the file decide (without
  // asking to set the file to a value it may already have).
  if (s.origin === 'env') return `set ${k.env}=${String(value)} in the environment, or unset ${k.env} so that ${k.key}${t.client.configPath ? ` in ${t.client.configPath}` : ''} applies (it must say ${String(value)})`;
  return f;
}

/** The fix that removes a client setting (drops the key from its file, or unsets the env var). */
export function clientUnset(t: Target, name: ClientSettingName): string {
  const s = setting(t, field(name));
  const k = CLIENT_SETTINGS[name];
  if (s.origin === 'env') return `unset ${k.env} in the environment${t.client.configPath ? ` (and keep ${k.key} out of ${t.client.configPath})` : ''}`;
  if (s.origin === 'file') return `remove ${s.key ?? k.key} from ${s.file}`;
  if (s.origin === 'flag') return `drop ${s.flag}`;
  return `remove ${k.key}${t.client.configPath ? ` from ${t.client.configPath}` : ''}`;
}

/** The values key of the Secret the Ingress serves its certificate from, per chart. */
export function ingressTlsSecretKey(t: Target): string {
  const core = t.chart === 'flyte-core';
  const vk = t.ingress?.valuesKey ?? (core ? 'common.ingress' : 'ingress');
  const host = t.ingress?.host ?? '<host>';
  if (core) return `${vk}.tls.secretName (with ${vk}.tls.enabled: true; default Secret <release>-flyte-tls)`;
  return `${vk}.tls[].secretName with hosts: [${host}]${t.ingress?.separateGrpcIngress === false ? '' : ` (and ${vk}.grpcTls when the gRPC Ingress has its own)`}`;
}

/** What a fix about the Ingress TLS Secret says: where to look and what must be in it. */
export function ingressTlsSecretFix(t: Target): string {
  const ns = t.kubernetes.namespace;
  return `the Ingress for ${t.ingress?.host ?? 'the Flyte host'} has no valid TLS Secret: set ${ingressTlsSecretKey(t)}, and check that the Secret exists in namespace ${ns} with type kubernetes.io/tls and a certificate for the host (kubectl -n ${ns} get ingress,secret; with cert-manager: kubectl -n ${ns} describe certificate)`;
}
