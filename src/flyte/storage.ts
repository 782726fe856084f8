// Flyte/Helm knowledge about object storage: which values key holds each storage setting per
// chart, which buckets Flyte uses, whose identity Flyte's storage calls run as (and whose
// flyte-doctor's probes run as), the permissions Flyte needs, and fixes phrased for where a value
// lives. No network here; findings are built in checks/storage/_support.ts.
import type { StorageTarget, Target } from '../config/target.js';
import { maskIdentifier } from '../config/secret.js';
import type { Instance } from '../engine/types.js';
import { fixSetting, setting } from './settings.js';

export type StorageField = 'metadataBucket' | 'userDataBucket' | 'provider' | 'region' | 'endpoint' | 'disableSSL' | 'authType' | 'accessKey' | 'secretKey' | 'gcsProject' | 'keyFile' | 'account' | 'domainSuffix';

/** Values key for a storage field, per chart (derived from `valuesKey`). */
export function storageKey(st: StorageTarget, field: StorageField): string {
  const binary = st.valuesKey.startsWith('configuration.');
  const v = st.valuesKey;
  if (st.provider === 'azure') {
    const az = azureKey(st, field);
    if (az) return az;
  }
  if (v === SERVER_CONFIG_STORAGE) {
    // A Flyte server config (--server-config): flytestdlib's own keys.
    const stow: Record<string, string> = { region: 'region', endpoint: 'endpoint', accessKey: 'access_key_id', secretKey: 'secret_key', disableSSL: 'disable_ssl', authType: 'auth_type' };
    switch (field) {
      case 'metadataBucket': return 'storage.container';
      case 'userDataBucket': return 'propeller.rawoutput-prefix';
      case 'provider': return 'storage.type / storage.stow.kind';
      case 'gcsProject': return 'storage.stow.config.project_id';
      case 'keyFile': return 'storage.stow.config.json';
      default: return `storage.stow.config.${stow[field] ?? field}`;
    }
  }
  if (binary) {
    switch (field) {
      case 'metadataBucket': return `${v}.metadataContainer`;
      case 'userDataBucket': return `${v}.userDataContainer`;
      case 'provider': return `${v}.provider`;
      case 'gcsProject': return `${v}.providerConfig.gcs.project`;
      case 'keyFile': return `${v}.providerConfig.gcs (json key via configuration.inline.storage.stow.config.json)`;
      default: return `${v}.providerConfig.s3.${field}`;
    }
  }
  switch (field) {
    case 'metadataBucket': return `${v}.bucketName`;
    case 'userDataBucket': return 'configmap.core.propeller.rawoutput-prefix';
    case 'provider': return `${v}.type`;
    case 'gcsProject': return `${v}.gcs.projectId`;
    case 'keyFile': return `${v}.gcs (custom stow config json)`;
    default: return `${v}.s3.${field}`;
  }
}

/** Values keys of the Azure fields (stow kind azure), per chart; undefined for the common ones. */
function azureKey(st: StorageTarget, field: StorageField): string | undefined {
  const v = st.valuesKey;
  const stow: Partial<Record<StorageField, string>> = { account: 'account', secretKey: 'key', domainSuffix: 'domain_suffix', endpoint: 'domain_suffix' };
  if (v === SERVER_CONFIG_STORAGE) return stow[field] ? `storage.stow.config.${stow[field]}` : undefined;
  if (v.startsWith('configuration.')) {
    const bin: Partial<Record<StorageField, string>> = { account: 'account', secretKey: 'key', domainSuffix: 'configDomainSuffix', endpoint: 'configDomainSuffix' };
    return bin[field] ? `${v}.providerConfig.azure.${bin[field]}` : undefined;
  }
  return stow[field] ? `${v}.custom.stow.config.${stow[field]}` : undefined;
}

/** StorageTarget.valuesKey of storage read from a Flyte server config (flytestdlib keys, not values keys). */
export const SERVER_CONFIG_STORAGE = 'storage@server-config';

/** Target field (for provenance) of a storage field. */
export function storageField(field: StorageField): string {
  return field === 'gcsProject' ? 'storage.projectId' : `storage.${field}`;
}

// ---------------------------------------------------------------- Azure Blob

/** The blob service URL: the custom endpoint (Azurite/Azure Stack: path-style `/<account>`), else https://<account>.blob.<suffix>. */
export function azureAccountUrl(st: StorageTarget): string | undefined {
  if (st.endpoint) {
    try {
      const u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(st.endpoint) ? st.endpoint : `https://${st.endpoint}`);
      const path = u.pathname.replace(/\/+$/, '');
      // Azurite and other emulators address the account in the path (http://127.0.0.1:10000/devstoreaccount1).
      const withAccount = path || !st.account || !/^(\d+\.\d+\.\d+\.\d+|\[[0-9a-f:]+\]|localhost)$/i.test(u.hostname) ? path : `/${st.account}`;
      return `${u.protocol}//${u.host}${withAccount}`;
    } catch { return undefined; }
  }
  if (!st.account) return undefined;
  return `https://${st.account}.blob.${st.domainSuffix ?? 'core.windows.net'}`;
}

/** host, port and scheme of the blob service URL. */
export function azureEndpointParts(st: StorageTarget): { url: string; host: string; port: number; tls: boolean } | undefined {
  const url = azureAccountUrl(st);
  if (!url) return undefined;
  try {
    const u = new URL(url);
    const tls = u.protocol === 'https:';
    return { url, host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : tls ? 443 : 80, tls };
  } catch { return undefined; }
}

/** What a SAS allows, from its query (never the signature). */
export interface AzureSasFacts {
  /** sp: r read, a add, c create, w write, d delete, l list, ... */
  permissions?: string;
  start?: string;
  expiry?: string;
  /** sr (service SAS: b blob, c container) */
  resource?: string;
  /** ss, srt (account SAS: services, resource types) */
  services?: string;
  resourceTypes?: string;
  ip?: string;
  protocol?: string;
  version?: string;
  /** skoid present: a user delegation SAS. */
  userDelegation: boolean;
}

export function azureSasFacts(query: string): AzureSasFacts {
  const p = new URLSearchParams(query.replace(/^\?/, ''));
  const g = (k: string) => p.get(k) ?? undefined;
  const out: AzureSasFacts = { userDelegation: p.has('skoid') };
  const set = (k: keyof AzureSasFacts, q: string) => { const v = g(q); if (v !== undefined) (out as unknown as Record<string, string>)[k] = v; };
  set('permissions', 'sp'); set('start', 'st'); set('expiry', 'se'); set('resource', 'sr'); set('services', 'ss'); set('resourceTypes', 'srt'); set('ip', 'sip'); set('protocol', 'spr'); set('version', 'sv');
  return out;
}

/** Who the Azure probes run as (never a credential). */
export interface AzureIdentity {
  /** key: the account key (Flyte uses the same); sas: a SAS token; token: Azure AD (this machine's, or the pod's in the cluster). */
  mode: 'key' | 'sas' | 'token';
  /** Where it came from ("the account key", "Azure Workload Identity (client …)", "the Azure CLI login"). */
  source: string;
  /** Token claims: upn / app id / object id. */
  principal?: string;
  sas?: AzureSasFacts;
}

/** Probe operations and what each needs: SAS permission letter and the RBAC role. */
export const AZURE_OPS = {
  container: { sas: 'r', sasName: 'read', role: 'Storage Blob Data Reader', action: 'Microsoft.Storage/storageAccounts/blobServices/containers/read' },
  put: { sas: 'cw', sasName: 'create and write', role: 'Storage Blob Data Contributor', action: 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write' },
  get: { sas: 'r', sasName: 'read', role: 'Storage Blob Data Reader', action: 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read' },
  list: { sas: 'l', sasName: 'list', role: 'Storage Blob Data Reader', action: 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read (list)' },
  delete: { sas: 'd', sasName: 'delete', role: 'Storage Blob Data Contributor', action: 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete' },
  sign: { sas: '', sasName: '', role: 'Storage Blob Delegator (or Reader/Contributor)', action: 'Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action' },
} as const;
export type AzureOpName = keyof typeof AZURE_OPS;

/** Who Flyte's own Azure calls run as (what a role assignment must name). */
export function azureFlyteIdentityText(st: StorageTarget): string {
  if (st.azureAuth === 'key' || st.secretKey) return `the account key of ${st.account ?? 'the storage account'} (${storageKey(st, 'secretKey')})`;
  return `the managed identity of Flyte's pods (Azure Workload Identity: service-account annotation azure.workload.identity/client-id${st.flyteIdentity ? `; ${st.flyteIdentity}` : ''})`;
}

/** The role assignment that fixes a missing Azure data permission, with the az command. */
export function azureRoleHint(st: StorageTarget, op: AzureOpName, container: string, principal?: string): string {
  const o = AZURE_OPS[op];
  const scope = `/subscriptions/<subscription>/resourceGroups/<resource-group>/providers/Microsoft.Storage/storageAccounts/${st.account ?? '<account>'}${op === 'sign' ? '' : `/blobServices/default/containers/${container}`}`;
  const who = principal ?? '<client-id of the managed identity>';
  return `assign "${op === 'put' || op === 'delete' ? 'Storage Blob Data Contributor' : o.role}" (${o.action}) to ${azureFlyteIdentityText(st)}${op === 'sign' ? ' on the storage account' : ` on the container ${container} (or the storage account)`}: az role assignment create --assignee ${who} --role "${op === 'put' || op === 'delete' ? 'Storage Blob Data Contributor' : op === 'sign' ? 'Storage Blob Delegator' : o.role}" --scope ${scope}; Flyte needs Storage Blob Data Contributor (read, write, list, delete); role assignments take up to 10 minutes to apply`;
}

/** A SAS with the permissions Flyte needs, for the container. */
export function azureSasHint(st: StorageTarget, container: string, missing: string): string {
  return `issue a SAS that allows ${missing} (Flyte needs racwdl: read, add, create, write, delete, list): az storage container generate-sas --account-name ${st.account ?? '<account>'} --name ${container} --permissions racwdl --expiry <date> --https-only, and put it where it came from (${st.azureAuth === 'sas' ? 'AZURE_STORAGE_SAS_TOKEN or the endpoint URL' : 'the configuration'})`;
}

/** metadata and userdata containers (abfs://), one instance when both are the same. */
export function azureInstances(t: Target): Instance[] {
  const st = t.storage;
  if (!st || st.provider !== 'azure') return [];
  const md = st.metadataBucket, ud = userDataBucketOf(st);
  const common = ['storage.account', 'storage.endpoint', 'storage.domainSuffix', 'storage.secretKey', 'storage.sasToken'];
  const mdFields = ['storage.metadataBucket', ...common];
  const udFields = ['storage.userDataBucket', 'storage.rawOutputPrefix', ...common];
  if (md && ud && md === ud) return [{ key: 'metadata', label: `metadata+userdata container abfs://${md}`, fields: [...mdFields, ...udFields] }];
  return [
    ...(md ? [{ key: 'metadata', label: `metadata container abfs://${md}`, fields: mdFields }] : []),
    ...(ud ? [{ key: 'userdata', label: `userdata container abfs://${ud}`, fields: ud === st.metadataBucket ? mdFields : udFields }] : []),
  ];
}

// ---------------------------------------------------------------- buckets

export function bucketFromUrl(url: string | undefined): string | undefined {
  const m = url ? /^[a-z0-9]+:\/\/([^/]+)/i.exec(url) : null;
  return m?.[1];
}

export function userDataBucketOf(st: StorageTarget): string | undefined {
  return st.userDataBucket ?? bucketFromUrl(st.rawOutputPrefix) ?? st.metadataBucket;
}

/** metadata and userdata buckets; one instance when both are the same bucket. */
export function bucketInstances(t: Target): Instance[] {
  const st = t.storage;
  if (!st) return [];
  const scheme = st.provider === 'gcs' ? 'gs' : 's3';
  const md = st.metadataBucket, ud = userDataBucketOf(st);
  // The target fields each instance's probes read (a placeholder in one blocks only its probes).
  const common = ['storage.endpoint', 'storage.region', 'storage.accessKey', 'storage.secretKey', 'storage.projectId'];
  const mdFields = ['storage.metadataBucket', ...common];
  const udFields = ['storage.userDataBucket', 'storage.rawOutputPrefix', ...common];
  if (md && ud && md === ud) return [{ key: 'metadata', label: `metadata+userdata bucket ${scheme}://${md}`, fields: [...mdFields, ...udFields] }];
  return [
    ...(md ? [{ key: 'metadata', label: `metadata bucket ${scheme}://${md}`, fields: mdFields }] : []),
    ...(ud ? [{ key: 'userdata', label: `userdata bucket ${scheme}://${ud}`, fields: ud === st.metadataBucket ? mdFields : udFields }] : []),
  ];
}

/** The bucket of an instance key ('metadata' | 'userdata'). */
export function bucketOfInstance(st: StorageTarget, instanceKey: string | undefined): string {
  const b = instanceKey === 'userdata' ? userDataBucketOf(st) : st.metadataBucket;
  if (!b) throw new Error(`no ${instanceKey ?? 'metadata'} bucket configured`);
  return b;
}

/** Every bucket the configuration names (deduplicated). */
export function configuredBuckets(st: StorageTarget): string[] {
  return [...new Set([st.metadataBucket, userDataBucketOf(st)].filter((b): b is string => !!b))];
}

/** Where probe objects live: flyte-doctor/<run-id>/ under this root. */
export const probePrefixRoot = 'flyte-doctor/';

// ---------------------------------------------------------------- endpoints

/** The endpoint URL requests go to: the custom endpoint (scheme from disableSSL when absent) or AWS's regional one. */
export function effectiveEndpoint(st: StorageTarget): string {
  if (st.endpoint) return /^[a-z][a-z0-9+.-]*:\/\//i.test(st.endpoint) ? st.endpoint : `${st.disableSSL ? 'http' : 'https'}://${st.endpoint}`;
  const region = st.region ?? 'us-east-1';
  return `https://s3.${region}.amazonaws.com`;
}

/** The effective endpoint for messages and commands: without credentials written into the URL. */
export function shownEndpoint(st: StorageTarget): string {
  return effectiveEndpoint(st).replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}

/** host, port and scheme of the effective endpoint (undefined when it is not a URL). */
export function endpointParts(st: StorageTarget): { url: string; host: string; port: number; tls: boolean } | undefined {
  try {
    const u = new URL(effectiveEndpoint(st));
    const tls = u.protocol === 'https:';
    return { url: u.origin, host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : tls ? 443 : 80, tls };
  } catch { return undefined; }
}

/** The signed-URL endpoint override, when the values set it (`signedUrlKey`). */
export function signedUrlEndpoint(st: StorageTarget): string | undefined {
  return st.signedUrlEndpoint;
}

// ---------------------------------------------------------------- identities

/** The environment variables the AWS SDK default credential chain reads (in order), for messages. */
export const AWS_CHAIN_SOURCES = 'AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), AWS_PROFILE and ~/.aws/credentials or ~/.aws/config (SSO, credential_process, role_arn), AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, the ECS/EC2 metadata endpoints';

const AWS_SOURCE_TEXT: Record<string, string> = {
  CREDENTIALS_ENV_VARS: 'env AWS_ACCESS_KEY_ID',
  CREDENTIALS_ENV_VARS_STS_WEB_ID_TOKEN: 'env AWS_WEB_IDENTITY_TOKEN_FILE',
  CREDENTIALS_STS_WEB_ID_TOKEN: 'a web identity token (AWS_WEB_IDENTITY_TOKEN_FILE)',
  CREDENTIALS_PROFILE: `an AWS profile (${'AWS_PROFILE'} or default, ~/.aws)`,
  CREDENTIALS_PROFILE_SOURCE_PROFILE: 'an AWS profile with source_profile',
  CREDENTIALS_PROFILE_NAMED_PROVIDER: 'an AWS profile with credential_source',
  CREDENTIALS_PROFILE_STS_WEB_ID_TOKEN: 'an AWS profile with web_identity_token_file',
  CREDENTIALS_PROFILE_SSO: 'an AWS SSO profile',
  CREDENTIALS_SSO: 'AWS SSO',
  CREDENTIALS_PROFILE_SSO_LEGACY: 'an AWS SSO profile',
  CREDENTIALS_SSO_LEGACY: 'AWS SSO',
  CREDENTIALS_PROFILE_PROCESS: 'an AWS profile with credential_process',
  CREDENTIALS_PROCESS: 'credential_process',
  CREDENTIALS_HTTP: 'the container credentials endpoint',
  CREDENTIALS_IMDS: 'the EC2 instance metadata service',
  CREDENTIALS_STS_ASSUME_ROLE: 'an assumed role',
  CREDENTIALS_CODE: 'static credentials',
};

/** Text for the credential source markers of the AWS SDK (`$source` of resolved credentials). */
export function awsSourceText(markers: string[]): string {
  const texts = markers.map((m) => AWS_SOURCE_TEXT[m]).filter((s): s is string => !!s);
  return texts.length ? [...new Set(texts)].join(' via ') : 'the AWS default credential chain';
}

/** Who the S3 probes run as, and who Flyte runs as: for messages and grant hints. */
export interface S3Identity {
  /** `accesskey`: the values' keys (Flyte uses the same). `machine`: this machine's default chain (authType iam: Flyte uses its pod identity instead). */
  mode: 'accesskey' | 'machine';
  /** Masked access key id, when known. */
  keyId?: string;
  /** Where the credentials came from ("values key ...", "env AWS_ACCESS_KEY_ID", "an AWS profile"). */
  source: string;
}

/** Identity text for messages: "access key no-p…-put (configuration.storage.providerConfig.s3.accessKey)". */
export function identityText(st: StorageTarget, id: S3Identity | undefined): string {
  if (!id || id.mode === 'accesskey') {
    const k = st.accessKey ? maskIdentifier(st.accessKey) : '(unset)';
    return `access key ${k} (${keySource(st)})`;
  }
  return `this machine's AWS identity${id.keyId ? ` (access key ${id.keyId}` : ' ('}${id.keyId ? ', ' : ''}from ${id.source})`;
}

function keySource(st: StorageTarget): string {
  return storageKey(st, 'accessKey');
}

/** Who Flyte's own storage calls run as (what a grant must name). */
export function flyteIdentityText(st: StorageTarget): string {
  if (st.provider === 'gcs') {
    return st.authType === 'keyfile' ? 'the service account of the JSON key Flyte is configured with' : 'the Google service account bound to the Flyte Kubernetes service account (Workload Identity annotation iam.gke.io/gcp-service-account)';
  }
  if (st.authType === 'accesskey') return `the user of access key ${st.accessKey ? maskIdentifier(st.accessKey) : '(unset)'} (${storageKey(st, 'accessKey')})`;
  return 'the IAM role of the Flyte service account (IRSA annotation eks.amazonaws.com/role-arn), or the node role';
}

/** The note every probe result carries when authType is iam: whose identity was used. */
export function iamNote(st: StorageTarget): string {
  const named = st.flyteIdentity ? ` (${st.flyteIdentity})` : '';
  if (st.provider === 'gcs') return `with this machine's Google credentials, not the Workload Identity of Flyte's pods${named}: run flyte-doctor --in-cluster for the backend's view`;
  return `with this machine's AWS identity, not the IRSA role Flyte's pods use${named || ' (authType iam)'}: run flyte-doctor --in-cluster for the backend's view`;
}

// ---------------------------------------------------------------- permissions and grants

export const S3_FLYTE_ACTIONS = 's3:GetObject, s3:PutObject and s3:DeleteObject on arn:aws:s3:::<bucket>/*, s3:ListBucket and s3:GetBucketLocation on arn:aws:s3:::<bucket>';

export function s3ResourceArn(bucket: string, objectLevel: boolean): string {
  return objectLevel ? `arn:aws:s3:::${bucket}/*` : `arn:aws:s3:::${bucket}`;
}

/** The grant that fixes a missing S3 permission for Flyte's identity. */
export function s3GrantHint(st: StorageTarget, action: string, bucket: string, objectLevel: boolean): string {
  const minio = !!st.endpoint;
  return `allow "${action}" on ${s3ResourceArn(bucket, objectLevel)} in the policy of ${flyteIdentityText(st)}${minio ? ' (MinIO: mc admin policy create/attach)' : ''}; Flyte needs ${S3_FLYTE_ACTIONS.replace(/<bucket>/g, bucket)}`;
}

/** The GCS grant that fixes a missing permission. */
export function gcsGrantHint(st: StorageTarget, permission: string, bucket: string, principal?: string): string {
  const who = principal ? `${principal} (${flyteIdentityText(st)})` : flyteIdentityText(st);
  return `grant ${permission} on gs://${bucket} to ${who}, e.g. gcloud storage buckets add-iam-policy-binding gs://${bucket} --member=serviceAccount:<email> --role=roles/storage.objectAdmin (plus storage.buckets.get: roles/storage.legacyBucketReader)`;
}

// ---------------------------------------------------------------- fixes phrased for where values live

/**
 * "set <key> to <what>" for a value that must change (a secret, or one whose right value is not
 * known here): names the env var or --set flag when one sets it. `what` is a description, never a value.
 */
export function changeHint(t: Target, field: string, key: string, what: string): string {
  const s = setting(t, field);
  switch (s.origin) {
    case 'env': return `set ${s.envVar} to ${what} (the environment variable overrides ${key})`;
    case 'flag': return `pass ${s.flag} <${what}>`;
    case 'file': return s.file === '--set' ? `set ${s.key ?? key} to ${what} (given with --set)` : `set ${s.key ?? key} in ${s.file} to ${what}`;
    default: return `set ${key} to ${what}`;
  }
}

/** fixSetting for a storage field; undefined when the inputs already have that value. */
export function storageFix(t: Target, field: StorageField, value: string | number | boolean): string | undefined {
  return fixSetting(t, storageField(field), storageKey(t.storage!, field), value);
}

/** Which credentials win, for Flyte and for flyte-doctor (for details and hints). */
export function credentialPrecedence(st: StorageTarget): string {
  if (st.authType === 'accesskey') return 'authType accesskey: Flyte and flyte-doctor both use the keys from the values; AWS_* environment variables are ignored by both (only flytekit in task pods reads FLYTE_AWS_ACCESS_KEY_ID/FLYTE_AWS_SECRET_ACCESS_KEY)';
  return 'authType iam: Flyte\'s pods use their own identity (IRSA env AWS_ROLE_ARN/AWS_WEB_IDENTITY_TOKEN_FILE, else the node role) and ignore access keys in the values; flyte-doctor uses this machine\'s default chain (AWS_ACCESS_KEY_ID... env first, then profiles)';
}
