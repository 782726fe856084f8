// Azure Blob transport for the storage.azure.* checks. Returns evidence, never findings: the raw
// answer of each request (status, x-ms-error-code / <Code>, <Message>, <AuthenticationErrorDetail>,
// the Date header, whether anything proves Azure Storage answered) or a typed AzureProbeError (an
// answer, a network failure, missing or failing credentials). The SDKs (@azure/storage-blob,
// @azure/identity) are loaded lazily, only when an Azure target is checked. Every call carries its
// own timeout inside the check's budget and the check's signal; the SDK's retries are off.
import { randomBytes } from 'node:crypto';
import type { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import type { StorageTarget } from '../config/target.js';
import { stepBudget, timeoutSignal } from '../engine/budget.js';
import type { CheckContext } from '../engine/types.js';
import { azureAccountUrl, azureSasFacts, type AzureIdentity, type AzureSasFacts } from '../flyte/storage.js';
import { CLEANUP_BUDGET_MS, netFailureOf, probePrefix, type NetFailure } from './s3.js';

// ---------------------------------------------------------------- evidence

export interface AzureAnswer {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** Start of the body (error XML, or an HTML page of something else). */
  body: string;
  /** x-ms-error-code, or <Code> of the error XML. */
  code?: string;
  message?: string;
  /** <AuthenticationErrorDetail> (real Azure sends it with AuthenticationFailed). */
  authDetail?: string;
  /** The server's Date header. */
  date?: string;
  /** Something proves Azure Storage (or Azurite) answered: x-ms-request-id / x-ms-version headers or Azure error XML. */
  azure: boolean;
}

export type AzureErrorKind =
  | 'answer'                // the server answered with an error status
  | 'network'               // no HTTP answer (see net)
  | 'no-credentials'        // no key, no SAS, and no Azure AD credential available here
  | 'credentials-provider'  // an Azure AD credential exists here but getting a token failed
  | 'config'                // nothing to dial (no account and no endpoint)
  | 'unreadable';           // an HTTP answer the SDK could not read as Azure Blob's (an empty 200, another API)

export class AzureProbeError extends Error {
  constructor(readonly kind: AzureErrorKind, readonly op: string, message: string, readonly evidence: { answer?: AzureAnswer; net?: NetFailure; tried?: string[]; /** The failure was Workload Identity's (AZURE_FEDERATED_TOKEN_FILE ...), the identity the environment declares. */ workloadIdentity?: boolean; /** Entra ID's AADSTS error number, when it named one. */ aadsts?: string } = {}) {
    super(message); this.name = 'AzureProbeError';
  }
  get answer(): AzureAnswer | undefined { return this.evidence.answer; }
  get net(): NetFailure | undefined { return this.evidence.net; }
  get status(): number | undefined { return this.evidence.answer?.status; }
  get code(): string | undefined { return this.evidence.answer?.code; }
}

function xmlField(body: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([\\s\\S]{0,2000}?)</${tag}>`).exec(body);
  return m ? m[1]!.replace(/&quot;/g, '"').replace(/&apos;/g, '\'').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').trim() : undefined;
}

/** Headers Azure Storage and Azurite send on every answer. */
export function hasAzureHeaders(h: Record<string, string>): boolean {
  return !!(h['x-ms-request-id'] || h['x-ms-version'] || h['x-ms-error-code'] || /Windows-Azure-Blob|Azurite/i.test(h.server ?? ''));
}

export function azureAnswerOf(status: number, headers: Record<string, string>, body: string): AzureAnswer {
  const code = headers['x-ms-error-code'] ?? xmlField(body, 'Code');
  const message = xmlField(body, 'Message')?.split('\n')[0];
  const authDetail = xmlField(body, 'AuthenticationErrorDetail');
  const azure = hasAzureHeaders(headers) || /<Error>\s*<Code>[^<]+<\/Code>\s*<Message>/.test(body);
  return { status, headers, body: body.slice(0, 4096), azure, ...(code ? { code } : {}), ...(message ? { message } : {}), ...(authDetail ? { authDetail } : {}), ...(headers.date ? { date: headers.date } : {}) };
}

function headersOf(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const h = raw as { toJSON?: () => Record<string, string>; toJson?: () => Record<string, string>; rawHeaders?: () => Record<string, string>; [Symbol.iterator]?: () => Iterator<[string, string]> } | undefined;
  if (!h || typeof h !== 'object') return out;
  const obj = typeof h.rawHeaders === 'function' ? h.rawHeaders() : typeof h.toJson === 'function' ? h.toJson() : typeof h.toJSON === 'function' ? h.toJSON() : undefined;
  if (obj && typeof obj === 'object') for (const [k, v] of Object.entries(obj)) out[k.toLowerCase()] = String(v);
  else if (typeof h[Symbol.iterator] === 'function') for (const [k, v] of h as Iterable<[string, string]>) out[k.toLowerCase()] = String(v);
  return out;
}

/** The evidence of a 2xx answer the SDK parsed (its `_response`). */
export function okAnswer(res: unknown): AzureAnswer {
  const r = (res as { _response?: { status?: number; headers?: unknown; bodyAsText?: string } } | undefined)?._response;
  return azureAnswerOf(r?.status ?? 0, headersOf(r?.headers), typeof r?.bodyAsText === 'string' ? r.bodyAsText : '');
}

// ---------------------------------------------------------------- credentials

interface Box { service: BlobServiceClient; identity: AzureIdentity; sharedKey?: StorageSharedKeyCredential; token?: TokenCredential }

const STORAGE_SCOPE = 'https://storage.azure.com/.default';

function jwtClaims(token: string): Record<string, unknown> {
  try { return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>; } catch { return {}; }
}

const WORKLOAD_IDENTITY_NAME = (env: NodeJS.ProcessEnv) => `Azure Workload Identity (client ${env['AZURE_CLIENT_ID']}, tenant ${env['AZURE_TENANT_ID']}, token file ${env['AZURE_FEDERATED_TOKEN_FILE']})`;

const MICROSOFT_AUTHORITIES = ['login.microsoftonline.com', 'login.microsoftonline.us', 'login.chinacloudapi.cn', 'login.partner.microsoftonline.cn', 'login.microsoft.com', 'login.windows.net', 'login.microsoftonline.de'];

/** AZURE_AUTHORITY_HOST when it names an authority other than Microsoft's own clouds (as an https URL), else undefined. */
function customAuthorityHost(v: string | undefined): string | undefined {
  if (!v) return undefined;
  try { const u = new URL(v); return MICROSOFT_AUTHORITIES.includes(u.hostname.toLowerCase()) ? undefined : v; } catch { return undefined; }
}

/**
 * Azure AD from this machine (or the pod): Workload Identity (AZURE_FEDERATED_TOKEN_FILE +
 * AZURE_CLIENT_ID + AZURE_TENANT_ID), a service principal (AZURE_CLIENT_SECRET / certificate),
 * the Azure CLI login, and in the cluster the managed identity endpoint. Tried in that order,
 * each bounded; the first that gives a token is used. Throws AzureProbeError.
 */
async function resolveToken(ctx: CheckContext): Promise<{ credential: TokenCredential; name: string; principal?: string }> {
  const id = await import('@azure/identity');
  const env = process.env;
  const candidates: [string, () => TokenCredential][] = [];
  if (env['AZURE_FEDERATED_TOKEN_FILE'] && env['AZURE_CLIENT_ID'] && env['AZURE_TENANT_ID']) {
    // A custom AZURE_AUTHORITY_HOST (Azure Stack, a private authority) is validated by its own
    // openid-configuration: MSAL's instance discovery at login.microsoftonline.com knows nothing of it.
    const custom = customAuthorityHost(env['AZURE_AUTHORITY_HOST']);
    candidates.push([WORKLOAD_IDENTITY_NAME(env), () => new id.WorkloadIdentityCredential({ tenantId: env['AZURE_TENANT_ID']!, clientId: env['AZURE_CLIENT_ID']!, tokenFilePath: env['AZURE_FEDERATED_TOKEN_FILE']!, ...(custom ? { authorityHost: custom, disableInstanceDiscovery: true } : {}) })]);
  }
  if (env['AZURE_CLIENT_ID'] && env['AZURE_TENANT_ID'] && (env['AZURE_CLIENT_SECRET'] || env['AZURE_CLIENT_CERTIFICATE_PATH'])) {
    candidates.push([`a service principal from the environment (AZURE_CLIENT_ID ${env['AZURE_CLIENT_ID']}, ${env['AZURE_CLIENT_SECRET'] ? 'AZURE_CLIENT_SECRET' : 'AZURE_CLIENT_CERTIFICATE_PATH'})`, () => new id.EnvironmentCredential()]);
  }
  if (ctx.target.inCluster) candidates.push(['the managed identity endpoint of the node (IMDS)', () => new id.ManagedIdentityCredential(env['AZURE_CLIENT_ID'] ? { clientId: env['AZURE_CLIENT_ID'] } : {})]);
  candidates.push(['the Azure CLI login (az login)', () => new id.AzureCliCredential({ processTimeoutInMs: Math.max(500, Math.min(4000, ctx.remainingMs() - 1500)) })]);
  const tried: string[] = [];
  for (const [name, make] of candidates) {
    const limit = Math.max(300, Math.min(5000, ctx.remainingMs() - 800));
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => ac.abort(), limit);
    try {
      const credential = make();
      const tok: AccessToken | null = await credential.getToken(STORAGE_SCOPE, { abortSignal: ac.signal });
      if (!tok?.token) { tried.push(`${name}: no token`); continue; }
      ctx.addSecret(tok.token);
      const c = jwtClaims(tok.token);
      const principal = [c['upn'] ?? c['unique_name'], c['appid'] ? `app ${String(c['appid'])}` : undefined, c['oid'] ? `object ${String(c['oid'])}` : undefined].filter(Boolean).join(', ');
      return { credential, name, ...(principal ? { principal } : {}) };
    } catch (e) {
      const err = e as Error;
      const msg = (err?.message ?? String(e)).split('\n')[0]!.slice(0, 300);
      if (ctx.signal.aborted) throw e;
      // Entra ID answered (AADSTS...): a refusal, never "unavailable" (AADSTS700016/90002 say "not found")
      const aadsts = /\bAADSTS(\d{4,})\b/.exec(err?.message ?? '')?.[1];
      // The environment declares Workload Identity: its failure is the finding (a pod would not fall back to az login)
      if (aadsts || name === WORKLOAD_IDENTITY_NAME(env)) {
        const full = (err?.message ?? String(e)).replace(/\s+/g, ' ');
        const text = aadsts ? full.slice(full.indexOf(`AADSTS${aadsts}`)).replace(/ Trace ID:.*$/, '').slice(0, 400) : ac.signal.aborted ? `no token within ${Math.round(limit / 100) / 10}s` : /endpoints_resolution_error/.test(full) ? `the Entra ID authority ${env['AZURE_AUTHORITY_HOST'] || 'https://login.microsoftonline.com'} could not be reached or did not describe the tenant ${env['AZURE_TENANT_ID'] ?? ''} (endpoints_resolution_error)` : msg;
        throw new AzureProbeError('credentials-provider', 'get an Azure AD token', `${name} failed: ${text}`, { tried: [...tried, name], ...(name === WORKLOAD_IDENTITY_NAME(env) ? { workloadIdentity: true } : {}), ...(aadsts ? { aadsts } : {}) });
      }
      if (err?.name === 'CredentialUnavailableError' || /not installed|not found|az login|Please run|unavailable|ENOENT/i.test(msg)) { tried.push(`${name}: ${ac.signal.aborted ? 'no answer in time' : msg}`); continue; }
      throw new AzureProbeError('credentials-provider', 'get an Azure AD token', `${name} failed: ${ac.signal.aborted ? `no token within ${Math.round(limit / 100) / 10}s` : msg}`, { tried: [...tried, name] });
    } finally { clearTimeout(timer); ctx.signal.removeEventListener('abort', onAbort); }
  }
  throw new AzureProbeError('no-credentials', 'get an Azure AD token', `no Azure AD credential on this machine (tried ${tried.join('; ')})`, { tried });
}

/** The shared Blob service client of the run, with who it runs as. Throws AzureProbeError. */
export function azureService(ctx: CheckContext): Promise<Box> {
  const st = ctx.target.storage!;
  ctx.addSecret(st.secretKey?.reveal());
  ctx.addSecret(st.sasToken?.reveal());
  for (const s of azureEmbeddedSecrets(st)) ctx.addSecret(s);
  return ctx.shared(`azure:${azureAccountUrl(st) ?? ''}:${st.azureAuth ?? ''}`, async () => {
    const url = azureAccountUrl(st);
    if (!url) throw new AzureProbeError('config', 'build the account URL', 'no storage account and no endpoint configured');
    const sdk = await import('@azure/storage-blob');
    // SDK retries off; the SDK's own HTTP client (keep-alive). --dns-server is not applied to the SDK's
    // requests (its pipeline re-adds per-client policies); the signed-URL fetch honours it.
    const options = { retryOptions: { maxTries: 1 }, userAgentOptions: { userAgentPrefix: 'flyte-doctor' } };
    let box: Box;
    if (st.azureAuth === 'key' && st.secretKey && st.account) {
      const sharedKey = new sdk.StorageSharedKeyCredential(st.account, st.secretKey.reveal());
      box = { service: new sdk.BlobServiceClient(url, sharedKey, options as never), identity: { mode: 'key', source: 'the account key' }, sharedKey };
    } else if (st.azureAuth === 'sas' && st.sasToken) {
      const sas = st.sasToken.reveal().replace(/^\?/, '');
      const facts = azureSasFacts(sas);
      box = { service: new sdk.BlobServiceClient(`${url}?${sas}`, new sdk.AnonymousCredential(), options as never), identity: { mode: 'sas', source: 'a SAS token', sas: facts } };
    } else {
      const t = await resolveToken(ctx);
      box = { service: new sdk.BlobServiceClient(url, t.credential, options as never), identity: { mode: 'token', source: t.name, ...(t.principal ? { principal: t.principal } : {}) }, token: t.credential };
    }
    return box;
  });
}

/**
 * Runs one SDK call with its own timeout (inside the check's budget) and the check's signal, and
 * turns whatever goes wrong into an AzureProbeError with the evidence.
 */
export async function azureCall<T>(ctx: CheckContext, op: string, fn: (abortSignal: AbortSignal) => Promise<T>, o: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<T> {
  const outer = o.signal ?? ctx.signal;
  const timeoutMs = o.timeoutMs ?? stepBudget(ctx, 8000);
  const ac = new AbortController();
  let timedOut = false;
  const onAbort = () => ac.abort();
  outer.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => { timedOut = true; ac.abort(); }, Math.max(100, timeoutMs));
  try {
    return await fn(ac.signal);
  } catch (e) {
    throw azureErrorOf(op, e, timedOut && !outer.aborted ? timeoutMs : undefined, outer);
  } finally {
    clearTimeout(timer);
    outer.removeEventListener('abort', onAbort);
  }
}

/** Was the error raised inside the Azure SDK (its frame on top of the stack), not in flyte-doctor's own code? */
function thrownBySdk(err: Error | undefined): boolean {
  const frame = (err?.stack ?? '').split('\n').find((l) => /^\s+at /.test(l));
  return !!frame && /[\\/]@azure[\\/]/.test(frame);
}

function azureErrorOf(op: string, e: unknown, timedOutAfter: number | undefined, outer: AbortSignal): unknown {
  if (e instanceof AzureProbeError) return e;
  if (timedOutAfter !== undefined) return new AzureProbeError('network', op, `${op}: no answer within ${Math.round(timedOutAfter / 100) / 10}s`, { net: { kind: 'timeout', code: 'ETIMEDOUT', message: `no answer within ${Math.round(timedOutAfter / 100) / 10}s` } });
  if (outer.aborted) return e; // the engine reports the abort/timeout
  const err = e as Error & { statusCode?: number; code?: string; response?: { status?: number; headers?: unknown; bodyAsText?: string }; cause?: unknown };
  const res = err?.response;
  if (res && typeof res.status === 'number' && res.status > 0) {
    const answer = azureAnswerOf(res.status, headersOf(res.headers), typeof res.bodyAsText === 'string' ? res.bodyAsText : '');
    if (!answer.code && err.code && /^[A-Z][A-Za-z]+$/.test(err.code) && answer.azure) answer.code = err.code;
    return new AzureProbeError('answer', op, `${op}: HTTP ${answer.status}${answer.code ? ` ${answer.code}` : ''}${answer.message ? `: ${answer.message}` : ''}`, { answer });
  }
  const net = netFailureOf(e) ?? netFailureOf(err?.cause);
  if (net) return new AzureProbeError('network', op, `${op}: ${net.message}`, { net });
  const msg = (err?.message ?? String(e)).split('\n')[0]!.slice(0, 300);
  if (/parse|unexpected|xml|deserializ/i.test(msg)) return new AzureProbeError('network', op, `${op}: the answer could not be read (${msg})`, { net: { kind: 'not-http', code: 'PARSE', message: msg } });
  // The SDK itself gave up on a 2xx answer it could not read (Get Blob without Content-Length, a
  // listing without EnumerationResults): a finding about what answered, not a failure of the check.
  if (thrownBySdk(err)) return new AzureProbeError('unreadable', op, `${op}: the answer is not one Azure Blob Storage gives (the SDK could not read it: ${msg})`);
  return e;
}

// ---------------------------------------------------------------- probe objects

export interface AzureProbe {
  container: string;
  prefix: string;
  probeKey: string;
  body: Buffer;
  /** Every blob this run may have created in the container (added before the write is sent). */
  keys: Set<string>;
  /** Set by the cleanup: [] = nothing remains; null = could not confirm. */
  remaining?: string[] | null;
  cleanupNote?: string;
  cleanupRegistered: boolean;
}

export function azureProbeState(ctx: CheckContext, container: string): Promise<AzureProbe> {
  return ctx.shared(`probe:azure:${container}`, async () => {
    const prefix = probePrefix(ctx.runId);
    return {
      container, prefix, probeKey: `${prefix}probe.txt`,
      body: Buffer.from(`flyte-doctor probe object, run ${ctx.runId}, ${randomBytes(8).toString('hex')}; safe to delete\n`),
      keys: new Set<string>(), cleanupRegistered: false,
    };
  });
}

export function azureDeleteCommand(st: StorageTarget, container: string, prefix: string): string {
  return `az storage blob delete-batch --account-name ${st.account ?? '<account>'} --source ${container} --pattern '${prefix}*'${st.endpoint ? ` --blob-endpoint ${azureAccountUrl(st)}` : ''} --auth-mode ${st.azureAuth === 'token' ? 'login' : 'key'}`;
}

/**
 * Registers the deletion of this run's probe blobs in the container (before the first write is
 * sent, so an abort mid-request still cleans up): parallel deletes, then a listing of the prefix
 * that confirms nothing remains, bounded by CLEANUP_BUDGET_MS. A residue throws with the command.
 */
export function registerAzureCleanup(ctx: CheckContext, state: AzureProbe): void {
  if (state.cleanupRegistered) return;
  state.cleanupRegistered = true;
  const st = ctx.target.storage!;
  const cmd = azureDeleteCommand(st, state.container, state.prefix);
  const boxP = azureService(ctx);
  boxP.catch(() => undefined);
  ctx.defer(`delete probe blobs abfs://${state.container}/${state.prefix}`, async () => {
    const signal = timeoutSignal(CLEANUP_BUDGET_MS);
    const errors: string[] = [];
    try {
      const box = await boxP;
      const c = box.service.getContainerClient(state.container);
      const per = CLEANUP_BUDGET_MS / 2;
      await Promise.all([...state.keys].map((k) => azureCall(ctx, 'DeleteBlob', (s) => c.deleteBlob(k, { abortSignal: s }), { timeoutMs: per, signal }).catch((e: unknown) => {
        if (!(e instanceof AzureProbeError && e.status === 404)) errors.push(e instanceof AzureProbeError ? e.message : String(e));
      })));
      try {
        const left: string[] = [];
        await azureCall(ctx, 'ListBlobs', async (s) => { for await (const b of c.listBlobsFlat({ prefix: state.prefix, abortSignal: s })) left.push(b.name); }, { timeoutMs: per / 2, signal });
        state.remaining = left;
      } catch (e) {
        // no list permission: confirm each key is gone
        const found = await Promise.all([...state.keys].map(async (k) => {
          try { await azureCall(ctx, 'GetBlobProperties', (s) => c.getBlobClient(k).getProperties({ abortSignal: s }), { timeoutMs: per / 2, signal }); return k; } catch (e2) { return e2 instanceof AzureProbeError && e2.status === 404 ? '' : null; }
        }));
        state.remaining = found.includes(null) ? null : found.filter((k): k is string => !!k);
        if (state.remaining === null) errors.push(e instanceof AzureProbeError ? e.message : String(e));
      }
    } catch (e) {
      state.remaining = null;
      errors.push((e as Error)?.message ?? String(e));
    }
    if (state.remaining === null || (state.remaining && state.remaining.length)) {
      state.cleanupNote = signal.aborted ? `cleanup stopped after ${CLEANUP_BUDGET_MS / 1000}s` : errors[0]?.slice(0, 200) ?? 'could not confirm';
      const what = state.remaining === null ? `could not confirm abfs://${state.container}/${state.prefix} is empty (${state.cleanupNote}); it may hold ${[...state.keys].map((k) => k.slice(state.prefix.length)).join(', ')}` : `${state.remaining.map((k) => `abfs://${state.container}/${k}`).join(', ')} could not be deleted (${state.cleanupNote})`;
      throw new Error(`residue: ${what}; delete with: ${cmd}`);
    }
  }, { command: cmd });
}

export interface AzureWrite { ok: boolean; error?: unknown; answer?: AzureAnswer }

/**
 * Writes the probe blob once per run and container (the put check reports it; get, list and the
 * signed URL wait for it, whichever check comes first starts it). Never throws.
 */
export function azureProbeWrite(ctx: CheckContext, container: string): Promise<AzureWrite> {
  return ctx.shared(`azure-write:${container}`, async () => {
    const state = await azureProbeState(ctx, container);
    let box: Box;
    try { box = await azureService(ctx); } catch (e) { return { ok: false, error: e }; }
    state.keys.add(state.probeKey);
    registerAzureCleanup(ctx, state);
    try {
      const res = await azureCall(ctx, 'PutBlob', (s) => box.service.getContainerClient(container).getBlockBlobClient(state.probeKey).upload(state.body, state.body.length, { abortSignal: s, blobHTTPHeaders: { blobContentType: 'text/plain' } }), { timeoutMs: stepBudget(ctx, 8000) });
      return { ok: true, answer: okAnswer(res) };
    } catch (e) {
      return { ok: false, error: e };
    }
  });
}

// ---------------------------------------------------------------- signed URLs

export interface AzureSignedUrl { url: string; kind: 'service SAS (account key)' | 'user delegation SAS (Azure AD)'; sas: AzureSasFacts }

/** A read-only SAS URL for a blob, made the way Flyte's data proxy makes them. Throws AzureProbeError. */
export async function azureSignedUrl(ctx: CheckContext, container: string, blob: string): Promise<AzureSignedUrl> {
  const box = await azureService(ctx);
  const sdk = await import('@azure/storage-blob');
  const now = ctx.clock.now();
  const startsOn = new Date(now - 5 * 60_000), expiresOn = new Date(now + 10 * 60_000);
  const blobClient = box.service.getContainerClient(container).getBlobClient(blob);
  const base = blobClient.url.split('?')[0]!;
  let query: string;
  let kind: AzureSignedUrl['kind'];
  if (box.sharedKey) {
    query = sdk.generateBlobSASQueryParameters({ containerName: container, blobName: blob, permissions: sdk.BlobSASPermissions.parse('r'), startsOn, expiresOn }, box.sharedKey).toString();
    kind = 'service SAS (account key)';
  } else if (box.token) {
    const key = await azureCall(ctx, 'GetUserDelegationKey', (s) => box.service.getUserDelegationKey(startsOn, expiresOn, { abortSignal: s }), { timeoutMs: stepBudget(ctx, 6000) });
    ctx.addSecret(key.value);
    query = sdk.generateBlobSASQueryParameters({ containerName: container, blobName: blob, permissions: sdk.BlobSASPermissions.parse('r'), startsOn, expiresOn }, key, ctx.target.storage!.account ?? '').toString();
    kind = 'user delegation SAS (Azure AD)';
  } else {
    throw new AzureProbeError('config', 'sign a URL', 'a SAS token cannot sign new URLs');
  }
  ctx.addSecret(query);
  const sig = /(?:^|&)sig=([^&]+)/.exec(query)?.[1];
  if (sig) { ctx.addSecret(sig); ctx.addSecret(decodeURIComponent(sig)); }
  return { url: `${base}?${query}`, kind, sas: azureSasFacts(query) };
}

/**
 * Credentials pasted where a name belongs: a connection string (AccountKey=..., SharedAccessSignature=...)
 * or a SAS URL in the account, endpoint or domain suffix. They are secrets in every output.
 */
export function azureEmbeddedSecrets(st: StorageTarget): string[] {
  const out: string[] = [];
  for (const v of [st.account, st.endpoint, st.domainSuffix]) {
    if (!v) continue;
    for (const m of v.matchAll(/(?:^|;)\s*(AccountKey|SharedAccessSignature)=([^;]+)/gi)) {
      const val = m[2]!.trim();
      out.push(val);
      try { out.push(decodeURIComponent(val)); } catch { /* not URL-encoded */ }
      const sig = /(?:^|[?&])sig=([^&]+)/.exec(val)?.[1];
      if (sig) { out.push(sig); try { out.push(decodeURIComponent(sig)); } catch { /* as is */ } }
    }
    const sig = /[?&]sig=([^&;]+)/.exec(v)?.[1];
    if (sig) { out.push(sig); try { out.push(decodeURIComponent(sig)); } catch { /* as is */ } }
  }
  return out.filter((x) => x.length >= 8);
}
