// GCS transport for the storage.gcs.* checks: the JSON API over plain HTTP(S) requests of our own,
// so every answer is evidence (status, headers, body, error reason) and a non-GCS server (an HTML
// page, an empty 204) is recognised as such. Tokens: none for a custom endpoint (emulators) unless
// a key file is configured; a service-account key's JWT exchanged at its token_uri (so
// invalid_grant is seen as such); otherwise Application Default Credentials through
// google-auth-library (imported lazily). Signed URLs still use @google-cloud/storage. Returns
// evidence or a typed GcsProbeError; never findings. Probe objects share the ledger of s3.ts.
import { createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest, Agent as HttpAgent } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import type { Storage } from '@google-cloud/storage';
import type { StorageTarget } from '../config/target.js';
import type { CheckContext } from '../engine/types.js';
import { lookupFor } from './resolve.js';
import { netFailureOf, registerCleanup, stalledBody, type NetFailure, type ProbeBucket } from './s3.js';
import { timeoutSignal, withTimeout } from '../engine/budget.js';

export const GCS_DEFAULT_ENDPOINT = 'https://storage.googleapis.com';

export function gcsEndpoint(st: StorageTarget): string {
  const e = st.endpoint ?? GCS_DEFAULT_ENDPOINT;
  return (/^[a-z][a-z0-9+.-]*:\/\//i.test(e) ? e : `https://${e}`).replace(/\/+$/, '');
}

// ---------------------------------------------------------------- evidence

export interface GcsAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** Parsed JSON body, when it is JSON. */
  json?: unknown;
  /** `error.errors[0].reason` (forbidden, notFound, accountDisabled, rateLimitExceeded...). */
  reason?: string;
  /** `error.message`. */
  message?: string;
  /** The answer is GCS's: a storage#* resource, a GCS error document or Google's upload headers. */
  gcs: boolean;
}

export function gcsAnswerOf(status: number, raw: Record<string, unknown>, body: Buffer): GcsAnswer {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  let json: unknown;
  const text = body.subarray(0, 256 * 1024).toString('utf8');
  if (/json/i.test(headers['content-type'] ?? '') || /^\s*[{[]/.test(text)) { try { json = JSON.parse(text); } catch { /* not JSON */ } }
  const err = (json as { error?: { code?: unknown; message?: unknown; errors?: { reason?: unknown; message?: unknown }[] } } | undefined)?.error;
  const reason = typeof err?.errors?.[0]?.reason === 'string' ? err.errors[0].reason : undefined;
  const message = typeof err?.message === 'string' ? err.message : undefined;
  const kind = (json as { kind?: unknown } | undefined)?.kind;
  const gcs = (typeof kind === 'string' && kind.startsWith('storage#')) || (err !== undefined && typeof err === 'object' && typeof err.code === 'number')
    || Object.keys(headers).some((k) => k === 'x-guploader-uploadid' || k.startsWith('x-goog-'));
  return { status, headers, body, ...(json !== undefined ? { json } : {}), ...(reason ? { reason } : {}), ...(message ? { message } : {}), gcs };
}

export type GcsErrorKind = 'answer' | 'network' | 'no-credentials' | 'token' | 'key-file';

export class GcsProbeError extends Error {
  constructor(
    readonly kind: GcsErrorKind,
    readonly op: string,
    message: string,
    readonly evidence: { answer?: GcsAnswer; net?: NetFailure; tokenError?: string; tokenDescription?: string; /** host:port the failed request went to. */ where?: string; /** The metadata server's refusal of a token (GKE Workload Identity): its status, text and the identity it names. */ metadata?: MetadataRefusal } = {},
  ) { super(message); this.name = 'GcsProbeError'; }
  get answer(): GcsAnswer | undefined { return this.evidence.answer; }
  get status(): number | undefined { return this.evidence.answer?.status; }
}

// ---------------------------------------------------------------- credentials

/** What the metadata server (GKE's, for Workload Identity) said when it refused a token. */
export interface MetadataRefusal { status: number; text: string; host: string; email?: string; project?: string }

/** The metadata server's host (google-auth-library's gcp-metadata: GCE_METADATA_HOST, GCE_METADATA_IP, else 169.254.169.254). */
function metadataHost(): string {
  return process.env['GCE_METADATA_HOST'] || process.env['GCE_METADATA_IP'] || '169.254.169.254';
}

/** One short metadata read (the service account's e-mail, the project id): evidence for a refusal, never a credential. */
async function metadataValue(path: string, ms: number): Promise<string | undefined> {
  try {
    const r = await fetch(`http://${metadataHost()}/computeMetadata/v1/${path}`, { headers: { 'Metadata-Flavor': 'Google' }, signal: AbortSignal.timeout(ms) });
    if (r.status !== 200 || r.headers.get('metadata-flavor') !== 'Google') return undefined;
    const v = (await r.text()).trim();
    return v && v.length < 300 && !/\s/.test(v) ? v : undefined;
  } catch { return undefined; }
}

/** The metadata server's refusal of a token request, with the GSA and project it names (undefined when the error is not one). */
async function metadataRefusal(err: unknown): Promise<MetadataRefusal | undefined> {
  const e = err as { response?: { status?: number; data?: unknown; config?: { url?: unknown } }; config?: { url?: unknown } };
  const status = e?.response?.status;
  const url = String(e?.response?.config?.url ?? e?.config?.url ?? '');
  if (!status || !/\/computeMetadata\/v1\//.test(url)) return undefined;
  const data = e.response!.data;
  const text = (typeof data === 'string' ? data : data !== undefined ? JSON.stringify(data) : '').replace(/\s+/g, ' ').trim().slice(0, 600);
  let host = metadataHost();
  try { host = new URL(url).host; } catch { /* the configured one */ }
  const [email, project] = await Promise.all([metadataValue('instance/service-accounts/default/email', 1000), metadataValue('project/project-id', 1000)]);
  return { status, text, host, ...(email ? { email } : {}), ...(project ? { project } : {}) };
}

export interface GcsIdentity {
  /** 'none': no token is sent (emulator / custom endpoint without a key file). */
  mode: 'none' | 'keyfile' | 'adc';
  /** Service-account e-mail or 'user credentials' (not a secret). */
  principal?: string;
  /** Where the credentials came from. */
  source: string;
  token?: string;
}

interface ServiceAccountKey { type?: string; client_email?: string; private_key?: string; private_key_id?: string; token_uri?: string }

function readKey(path: string): ServiceAccountKey {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (e) {
    throw new GcsProbeError('key-file', 'read key file', `cannot read the key file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try { return JSON.parse(text) as ServiceAccountKey; } catch {
    throw new GcsProbeError('key-file', 'read key file', `the key file ${path} is not JSON`);
  }
}

async function jwtToken(ctx: CheckContext, key: ServiceAccountKey, path: string, signal: AbortSignal): Promise<string> {
  if (key.type !== 'service_account' || !key.client_email || !key.private_key) throw new GcsProbeError('key-file', 'read key file', `the key file ${path} is not a service-account key (type ${JSON.stringify(key.type ?? null)})`);
  ctx.addSecret(key.private_key);
  const tokenUri = key.token_uri ?? 'https://oauth2.googleapis.com/token';
  const now = Math.floor(ctx.clock.now() / 1000);
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${b64({ alg: 'RS256', typ: 'JWT', ...(key.private_key_id ? { kid: key.private_key_id } : {}) })}.${b64({ iss: key.client_email, scope: 'https://www.googleapis.com/auth/devstorage.read_write', aud: tokenUri, iat: now, exp: now + 3600 })}`;
  let sig: string;
  try { sig = createSign('RSA-SHA256').update(unsigned).sign(key.private_key, 'base64url'); } catch (e) {
    throw new GcsProbeError('key-file', 'sign token request', `the private key in ${path} cannot sign (${(e as Error).message.split('\n')[0]})`);
  }
  const form = `grant_type=${encodeURIComponent('urn:ietf:params:oauth:grant-type:jwt-bearer')}&assertion=${unsigned}.${sig}`;
  const a = await rawRequest(ctx, 'token', 'POST', tokenUri, { body: Buffer.from(form), contentType: 'application/x-www-form-urlencoded', signal });
  const j = a.json as { access_token?: unknown; error?: unknown; error_description?: unknown } | undefined;
  if (a.status === 200 && typeof j?.access_token === 'string') { ctx.addSecret(j.access_token); return j.access_token; }
  const err = typeof j?.error === 'string' ? j.error : undefined;
  const desc = typeof j?.error_description === 'string' ? j.error_description : undefined;
  throw new GcsProbeError('token', 'token', `the token endpoint ${new URL(tokenUri).host} refused the key${err ? `: ${err}` : ` (HTTP ${a.status})`}${desc ? ` (${desc})` : ''}`, { answer: a, ...(err ? { tokenError: err } : {}), ...(desc ? { tokenDescription: desc } : {}) });
}

/** Who the GCS probes run as; the token to send (resolved once per run). Throws GcsProbeError. */
export function gcsIdentity(ctx: CheckContext): Promise<GcsIdentity> {
  const st = ctx.target.storage!;
  return ctx.shared(`gcs-identity:${st.endpoint ?? ''}:${st.authType}:${st.keyFile ?? ''}`, async (runSignal) => {
    const limit = Math.max(300, Math.min(8000, ctx.remainingMs() - 500));
    const signal = withTimeout(runSignal, limit);
    if (st.authType === 'keyfile' && st.keyFile) {
      const key = readKey(st.keyFile);
      const token = await jwtToken(ctx, key, st.keyFile, signal);
      return { mode: 'keyfile', ...(key.client_email ? { principal: key.client_email } : {}), source: `key file ${st.keyFile}`, token };
    }
    if (st.endpoint) return { mode: 'none', source: `no credentials (custom endpoint ${st.endpoint})` };
    const gac = process.env.GOOGLE_APPLICATION_CREDENTIALS;
    if (gac) {
      const key = readKey(gac);
      if (key.type === 'service_account') {
        const token = await jwtToken(ctx, key, gac, signal);
        return { mode: 'adc', ...(key.client_email ? { principal: key.client_email } : {}), source: `env GOOGLE_APPLICATION_CREDENTIALS (${gac})`, token };
      }
    }
    const auth = (await gcsLibraryFor(ctx)).authClient;
    try {
      const token = await Promise.race([
        auth.getAccessToken(),
        new Promise<never>((_, rej) => signal.addEventListener('abort', () => rej(new GcsProbeError('network', 'token', `no token within ${Math.round(limit / 100) / 10}s (metadata server or token endpoint does not answer)`, { net: { kind: 'timeout', code: 'ETIMEDOUT', message: 'no answer' } })), { once: true })),
      ]);
      if (!token) throw new GcsProbeError('no-credentials', 'token', 'Application Default Credentials returned no token');
      ctx.addSecret(token);
      let principal: string | undefined;
      try { principal = (await auth.getCredentials()).client_email ?? undefined; } catch { /* user credentials have no e-mail */ }
      return { mode: 'adc', ...(principal ? { principal } : {}), source: gac ? `env GOOGLE_APPLICATION_CREDENTIALS (${gac})` : 'Application Default Credentials (gcloud auth application-default login, or the metadata server)', token };
    } catch (e) {
      if (e instanceof GcsProbeError) throw e;
      const err = e as Error & { response?: { data?: { error?: string; error_description?: string } } };
      const msg = (err?.message ?? String(e)).split('\n')[0]!;
      if (/could not load the default credentials/i.test(msg)) throw new GcsProbeError('no-credentials', 'token', msg);
      const md = await metadataRefusal(e);
      if (md) throw new GcsProbeError('token', 'token', `the metadata server ${md.host} refused a token (HTTP ${md.status})${md.text ? `: ${md.text}` : ''}`, { metadata: md });
      const data = err.response?.data;
      if (data?.error) throw new GcsProbeError('token', 'token', `${data.error}${data.error_description ? `: ${data.error_description}` : ''}`, { tokenError: data.error, ...(data.error_description ? { tokenDescription: data.error_description } : {}) });
      const net = netFailureOf(e);
      if (net) throw new GcsProbeError('network', 'token', msg, { net });
      if (/invalid_grant|invalid_client|unauthorized_client/.test(msg)) throw new GcsProbeError('token', 'token', msg, { tokenError: /invalid_grant|invalid_client|unauthorized_client/.exec(msg)![0] });
      throw new GcsProbeError('token', 'token', msg);
    }
  });
}

// ---------------------------------------------------------------- requests

const agents = new Map<string, HttpAgent | HttpsAgent>();
function agentFor(ctx: CheckContext, tls: boolean): HttpAgent | HttpsAgent {
  const k = `${tls}:${ctx.target.dnsServer ?? ''}`;
  let a = agents.get(k);
  if (!a) {
    const lookup = lookupFor(ctx.target.dnsServer);
    const o = { keepAlive: false, ...(lookup ? { lookup } : {}) };
    a = tls ? new HttpsAgent(o) : new HttpAgent(o);
    agents.set(k, a);
  }
  return a;
}

/** One HTTP exchange, bounded by `signal`; returns the answer or throws GcsProbeError('network'). */
export function rawRequest(ctx: CheckContext, op: string, method: string, url: string, o: { body?: Buffer; contentType?: string; token?: string; signal: AbortSignal }): Promise<GcsAnswer> {
  const u = new URL(url);
  const tls = u.protocol === 'https:';
  return new Promise<GcsAnswer>((resolve, reject) => {
    const fn = tls ? httpsRequest : httpRequest;
    const headers: Record<string, string> = { 'user-agent': 'flyte-doctor' };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    if (o.body) { headers['content-type'] = o.contentType ?? 'application/octet-stream'; headers['content-length'] = String(o.body.length); }
    const t0 = Date.now();
    const req = fn(u, { method, headers, agent: agentFor(ctx, tls), signal: o.signal }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => resolve(gcsAnswerOf(res.statusCode ?? 0, res.headers as Record<string, unknown>, Buffer.concat(chunks).subarray(0, 1 << 20)));
      // an endless body ends at the cap (the answers these calls get are small), not at the timeout
      res.on('data', (d: Buffer) => { size += d.length; chunks.push(d); if (size >= 1 << 20) { res.removeAllListeners('data'); req.destroy(); done(); } });
      res.on('end', done);
      // the status line and headers came: when the time runs out now, the body stopped
      stalled = () => stalledError(op, u, stalledBody(res.statusCode ?? 0, res.headers as Record<string, unknown>, size, Date.now() - t0));
      res.on('error', (e) => failed(e));
    });
    let stalled: (() => GcsProbeError) | undefined;
    const failed = (e: unknown) => reject(o.signal.aborted && stalled ? stalled() : netError(op, e, o.signal, u));
    req.on('error', failed);
    req.end(o.body);
  });
}

function stalledError(op: string, u: URL, net: NetFailure): GcsProbeError {
  const where = `${u.hostname}:${u.port || (u.protocol === 'https:' ? 443 : 80)}`;
  return new GcsProbeError('network', op, `${op}: ${where} ${net.message}`, { net, where });
}

function netError(op: string, e: unknown, signal: AbortSignal, u: URL): GcsProbeError {
  const where = `${u.hostname}:${u.port || (u.protocol === 'https:' ? 443 : 80)}`;
  if (signal.aborted) return new GcsProbeError('network', op, `${op}: no answer from ${where} in time`, { net: { kind: 'timeout', code: 'ETIMEDOUT', message: 'no answer in time' }, where });
  const net = netFailureOf(e) ?? { kind: 'other' as const, code: (e as NodeJS.ErrnoException)?.code ?? '', message: (e as Error)?.message ?? String(e) };
  return new GcsProbeError('network', op, `${op}: ${net.message}`, { net, where });
}

/**
 * One JSON API call with the run's credentials, bounded by the check's budget. Returns the answer
 * for 2xx; throws GcsProbeError('answer') with it otherwise (callers decide whether a 2xx proves GCS).
 */
export async function gcsCall(ctx: CheckContext, op: string, method: string, path: string, o: { body?: Buffer; contentType?: string; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<GcsAnswer> {
  const id = await gcsIdentity(ctx);
  const st = ctx.target.storage!;
  const timeoutMs = Math.max(200, o.timeoutMs ?? Math.min(10_000, ctx.remainingMs() - 400));
  const timer = timeoutSignal(timeoutMs);
  const outer = o.signal ?? ctx.signal;
  const signal = AbortSignal.any([outer, timer]);
  let a: GcsAnswer;
  try {
    a = await rawRequest(ctx, op, method, `${gcsEndpoint(st)}${path}`, { ...(o.body ? { body: o.body } : {}), ...(o.contentType ? { contentType: o.contentType } : {}), ...(id.token ? { token: id.token } : {}), signal });
  } catch (e) {
    if (outer.aborted) throw e;
    if (e instanceof GcsProbeError && timer.aborted) throw new GcsProbeError('network', op, `${op}: no answer within ${Math.round(timeoutMs / 100) / 10}s`, { net: { kind: 'timeout', code: 'ETIMEDOUT', message: `no answer within ${Math.round(timeoutMs / 100) / 10}s` }, ...(e.evidence.where ? { where: e.evidence.where } : {}) });
    throw e;
  }
  if (a.status >= 200 && a.status < 300) return a;
  throw new GcsProbeError('answer', op, `${op}: HTTP ${a.status}${a.reason ? ` ${a.reason}` : ''}${a.message ? `: ${a.message}` : ''}`, { answer: a });
}

export const enc = (s: string) => encodeURIComponent(s);
export const objectPath = (bucket: string, key: string) => `/storage/v1/b/${enc(bucket)}/o/${enc(key)}`;
export const uploadPath = (bucket: string, key: string) => `/upload/storage/v1/b/${enc(bucket)}/o?uploadType=media&name=${enc(key)}`;
export const listPath = (bucket: string, prefix: string, o: { delimiter?: string; max?: number; pageToken?: string } = {}) =>
  `/storage/v1/b/${enc(bucket)}/o?prefix=${enc(prefix)}&maxResults=${o.max ?? 100}${o.delimiter ? `&delimiter=${enc(o.delimiter)}` : ''}${o.pageToken ? `&pageToken=${enc(o.pageToken)}` : ''}`;

/** Object names in a list answer (validated shape); undefined when the answer is not a listing. */
export function listedNames(a: GcsAnswer): { names: string[]; prefixes: string[]; next?: string } | undefined {
  const j = a.json as { kind?: unknown; items?: unknown; prefixes?: unknown; nextPageToken?: unknown } | undefined;
  if (!j || typeof j !== 'object' || (j.kind !== undefined && j.kind !== 'storage#objects')) return undefined;
  if (j.items !== undefined && !Array.isArray(j.items)) return undefined;
  const names = ((j.items ?? []) as { name?: unknown }[]).map((i) => i?.name).filter((n): n is string => typeof n === 'string');
  const prefixes = Array.isArray(j.prefixes) ? j.prefixes.filter((p): p is string => typeof p === 'string') : [];
  return { names, prefixes, ...(typeof j.nextPageToken === 'string' ? { next: j.nextPageToken } : {}) };
}

// ---------------------------------------------------------------- signed URLs (library)

export function gcsLibraryFor(ctx: CheckContext): Promise<Storage> {
  const st = ctx.target.storage!;
  return ctx.shared(`gcs-lib:${st.endpoint ?? ''}:${st.projectId ?? ''}:${st.keyFile ?? ''}`, async () => {
    const { Storage } = await import('@google-cloud/storage');
    return new Storage({
      ...(st.endpoint ? { apiEndpoint: st.endpoint } : {}),
      ...(st.projectId ? { projectId: st.projectId } : {}),
      ...(st.authType === 'keyfile' && st.keyFile ? { keyFilename: st.keyFile } : {}),
      retryOptions: { autoRetry: false, maxRetries: 0 },
      timeout: 10_000,
    });
  });
}

// ---------------------------------------------------------------- cleanup

/** Deletes the run's GCS probe objects in parallel, then confirms the prefix is empty (bounded, see registerCleanup). */
export function registerGcsCleanup(ctx: CheckContext, state: ProbeBucket): void {
  const del = `gcloud storage rm --recursive gs://${state.bucket}/${state.prefix}`;
  registerCleanup(ctx, state, async (signal) => {
    const errors: string[] = [];
    const budget = 2000;
    const delAll = () => Promise.all([...state.keys].map((k) => gcsCall(ctx, 'delete', 'DELETE', objectPath(state.bucket, k), { signal, timeoutMs: budget }).catch((e: unknown) => {
      if (e instanceof GcsProbeError && e.status === 404) return;
      errors.push(e instanceof GcsProbeError ? e.message : String(e));
    })));
    const confirm = async (): Promise<string[] | null> => {
      try {
        const a = await gcsCall(ctx, 'list', 'GET', listPath(state.bucket, state.prefix), { signal, timeoutMs: budget / 2 });
        const l = listedNames(a);
        return l ? l.names.filter((n) => n.startsWith(state.prefix)) : null;
      } catch { return null; }
    };
    await delAll();
    let left = await confirm();
    if (left?.length && !signal.aborted) { await delAll(); left = await confirm(); }
    state.remaining = left;
    if (left === null || left.length) state.cleanupNote = signal.aborted ? 'cleanup stopped after its time budget' : errors[0] ?? (left === null ? 'could not list the prefix to confirm' : undefined);
    if (!state.cleanupNote) delete state.cleanupNote;
  }, del, `gcloud storage ls gs://${state.bucket}/${state.prefix}`);
}
