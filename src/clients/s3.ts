// Object-store probing shared by the storage.* checks: the S3 client (imported lazily), the probe
// object ledger (what this run created, under flyte-doctor/<runId>/ only), the deferred cleanup
// that deletes it and confirms nothing remains (the "residue" report), and a plain HTTP probe for
// endpoint reachability, clock skew and signed URLs.
import { randomBytes } from 'node:crypto';
import { request as httpRequest, Agent as HttpAgent, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import type { S3Client } from '@aws-sdk/client-s3';
import type { StorageTarget, Target } from '../config/target.js';
import type { CheckContext, Instance } from '../engine/types.js';
import { lookupFor } from './resolve.js';

// ---------------------------------------------------------------- buckets and instances

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
  if (md && ud && md === ud) return [{ key: 'metadata', label: `metadata+userdata bucket ${scheme}://${md}` }];
  return [
    ...(md ? [{ key: 'metadata', label: `metadata bucket ${scheme}://${md}` }] : []),
    ...(ud ? [{ key: 'userdata', label: `userdata bucket ${scheme}://${ud}` }] : []),
  ];
}

export function bucketFor(ctx: CheckContext): string {
  const st = ctx.target.storage;
  if (!st) throw new Error('no object store configured');
  const b = ctx.instance?.key === 'userdata' ? userDataBucketOf(st) : st.metadataBucket;
  if (!b) throw new Error(`no ${ctx.instance?.key ?? 'metadata'} bucket configured`);
  return b;
}

/** Values key for a storage field, per chart (derived from `valuesKey`). */
export function storageKey(st: StorageTarget, field: 'metadataBucket' | 'userDataBucket' | 'provider' | 'region' | 'endpoint' | 'disableSSL' | 'authType' | 'accessKey' | 'secretKey' | 'gcsProject' | 'keyFile'): string {
  const binary = st.valuesKey.startsWith('configuration.');
  const v = st.valuesKey;
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

/** The endpoint URL requests go to: the custom endpoint (scheme from disableSSL when absent) or AWS's regional one. */
export function effectiveEndpoint(st: StorageTarget): string {
  if (st.endpoint) return /^[a-z][a-z0-9+.-]*:\/\//i.test(st.endpoint) ? st.endpoint : `${st.disableSSL ? 'http' : 'https'}://${st.endpoint}`;
  const region = st.region ?? 'us-east-1';
  return `https://s3.${region}.amazonaws.com`;
}

/** A host only resolvable inside a cluster (service names). */
export function isClusterInternal(host: string): boolean {
  return /\.svc(\.cluster\.local)?$|\.cluster\.local$/i.test(host) || !host.includes('.') && host !== 'localhost' && !/^[0-9:]+$/.test(host);
}

// ---------------------------------------------------------------- S3 client

export function s3ClientFor(ctx: CheckContext): Promise<S3Client> {
  const st = ctx.target.storage!;
  ctx.addSecret(st.secretKey?.reveal());
  const key = `s3:${effectiveEndpoint(st)}:${st.region ?? ''}:${st.authType}:${st.accessKey ?? ''}`;
  return ctx.shared(key, async () => {
    const [{ S3Client }, { NodeHttpHandler }] = await Promise.all([import('@aws-sdk/client-s3'), import('@smithy/node-http-handler')]);
    const lookup = lookupFor(ctx.target.dnsServer);
    return new S3Client({
      region: st.region ?? 'us-east-1',
      ...(st.endpoint ? { endpoint: effectiveEndpoint(st) } : {}),
      forcePathStyle: st.forcePathStyle ?? !!st.endpoint,
      ...(st.authType === 'accesskey' && st.accessKey ? { credentials: { accessKeyId: st.accessKey, secretAccessKey: st.secretKey?.reveal() ?? '' } } : {}),
      maxAttempts: 1,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: new NodeHttpHandler({
        connectionTimeout: 5000, requestTimeout: 10_000,
        httpAgent: new HttpAgent({ keepAlive: true, ...(lookup ? { lookup } : {}) }),
        httpsAgent: new HttpsAgent({ keepAlive: true, ...(lookup ? { lookup } : {}) }),
      }),
    });
  }, (c) => c.destroy());
}

export interface S3Err { name: string; status?: number; message: string; region?: string; network?: string }

/** Classifies an S3 SDK error; network-level failures carry `network`. */
export function s3ErrorOf(e: unknown): S3Err {
  const err = e as { name?: string; Code?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number }; $response?: { headers?: Record<string, string> }; cause?: { code?: string } };
  const status = err?.$metadata?.httpStatusCode;
  const region = err?.$response?.headers?.['x-amz-bucket-region'];
  const code = err?.code ?? err?.cause?.code;
  const name = err?.Code ?? err?.name ?? 'Error';
  const network = code && /^E[A-Z]+/.test(code) ? code : name === 'TimeoutError' || name === 'RequestTimeout' && !status ? 'timeout' : name === 'AbortError' ? 'aborted' : undefined;
  let n = name;
  if (status === 301 && (n === 'Unknown' || n === 'UnknownError' || /^\d+$/.test(n) || n === 'MovedPermanently')) n = 'PermanentRedirect';
  if (status === 403 && (n === 'Unknown' || n === 'UnknownError' || n === 'Forbidden' || /^\d+$/.test(n))) n = 'AccessDenied';
  if (status === 404 && (n === 'Unknown' || n === 'UnknownError' || n === 'NotFound' || /^\d+$/.test(n))) n = 'NotFound';
  return { name: n, ...(status ? { status } : {}), message: err?.message ?? String(e), ...(region ? { region } : {}), ...(network ? { network } : {}) };
}

export function isDenied(e: S3Err): boolean { return e.status === 403 || e.name === 'AccessDenied' || e.name === 'Forbidden'; }

/** "who": the identity the permission must be granted to, for hints. */
export function identityOf(st: StorageTarget): string {
  if (st.authType === 'accesskey') return `the user of access key ${st.accessKey ?? '(unset)'} (${storageKey(st, 'accessKey')})`;
  return 'the IAM role of the Flyte service account (IRSA annotation eks.amazonaws.com/role-arn)';
}

export function grantHint(st: StorageTarget, action: string, bucket: string, objectLevel: boolean): string {
  const res = objectLevel ? `arn:aws:s3:::${bucket}/*` : `arn:aws:s3:::${bucket}`;
  return `allow "${action}" on ${res} for ${identityOf(st)}; Flyte needs s3:GetObject, s3:PutObject, s3:DeleteObject and s3:ListBucket`;
}

// ---------------------------------------------------------------- probe ledger and residue

export const PROBE_ROOT = 'flyte-doctor';
export function probePrefix(runId: string): string { return `${PROBE_ROOT}/${runId}/`; }

export interface ProbeBucket {
  store: 's3' | 'gcs';
  bucket: string;
  prefix: string;
  /** The probe object written by the put check and read by get/list/signed-url. */
  probeKey: string;
  body: Buffer;
  /** Every key this run may have created (added before the write is sent). */
  keys: Set<string>;
  /** Set by the cleanup: [] = nothing remains; null = could not confirm. */
  remaining?: string[] | null;
  deleteCommand?: string;
  cleanupRegistered: boolean;
}

const ledger = new Map<string, Map<string, ProbeBucket>>();

/** The per-run, per-bucket probe state (memoized through ctx.shared). No network. */
export function probeState(ctx: CheckContext, store: 's3' | 'gcs', bucket: string): Promise<ProbeBucket> {
  return ctx.shared(`probe:${store}:${bucket}`, async () => {
    const prefix = probePrefix(ctx.runId);
    const state: ProbeBucket = {
      store, bucket, prefix, probeKey: `${prefix}probe.txt`,
      body: Buffer.from(`flyte-doctor probe object, run ${ctx.runId}, ${randomBytes(8).toString('hex')}; safe to delete\n`),
      keys: new Set(), cleanupRegistered: false,
    };
    let m = ledger.get(ctx.runId);
    if (!m) { m = new Map(); ledger.set(ctx.runId, m); }
    m.set(`${store}:${bucket}`, state);
    return state;
  });
}

export interface ResidueEntry { store: 's3' | 'gcs'; bucket: string; prefix: string; remaining: string[] | null; deleteCommand?: string }

/**
 * What the run left behind, for the final "residue" line of a report: one entry per bucket the
 * run wrote to, after the deferred cleanups ran. `remaining: []` = confirmed none; null = could
 * not confirm (no list/read permission); otherwise the keys and `deleteCommand`.
 * Empty array when the run wrote nothing. Call after runChecks() returned.
 */
export function probeResidue(runId: string): ResidueEntry[] {
  return [...(ledger.get(runId)?.values() ?? [])].filter((b) => b.keys.size > 0).map((b) => ({
    store: b.store, bucket: b.bucket, prefix: b.prefix, remaining: b.remaining === undefined ? null : b.remaining,
    ...(b.deleteCommand ? { deleteCommand: b.deleteCommand } : {}),
  }));
}

/** One line for reports: "residue: none" or the leftovers with the command. */
export function residueLine(runId: string): string | undefined {
  const r = probeResidue(runId);
  if (!r.length) return undefined;
  const left = r.filter((x) => x.remaining === null || x.remaining.length);
  if (!left.length) return `residue: none (probe objects under ${r.map((x) => `${x.store === 'gcs' ? 'gs' : 's3'}://${x.bucket}/${x.prefix}`).join(', ')} deleted)`;
  return `residue: ${left.map((x) => x.remaining === null ? `could not confirm ${x.bucket}/${x.prefix} is empty` : `${x.remaining.map((k) => `${x.bucket}/${k}`).join(', ')} remain`).join('; ')}${left.map((x) => x.deleteCommand ? `; delete with: ${x.deleteCommand}` : '').join('')}`;
}

function s3DeleteCommand(st: StorageTarget, bucket: string, prefix: string): string {
  return `aws s3 rm --recursive s3://${bucket}/${prefix}${st.endpoint ? ` --endpoint-url ${effectiveEndpoint(st)}` : ''}`;
}

/**
 * Registers (once per bucket per run) the cleanup that deletes every key the run created and
 * confirms nothing is left under the prefix; leftovers make it throw, which the engine reports
 * as a cleanup failure. Runs on failure, timeout and Ctrl-C as well.
 */
export function registerS3Cleanup(ctx: CheckContext, state: ProbeBucket): void {
  if (state.cleanupRegistered) return;
  state.cleanupRegistered = true;
  const st = ctx.target.storage!;
  const clientP = s3ClientFor(ctx);
  state.deleteCommand = s3DeleteCommand(st, state.bucket, state.prefix);
  ctx.defer(`delete probe objects s3://${state.bucket}/${state.prefix}`, async () => {
    const { DeleteObjectCommand, ListObjectsV2Command, HeadObjectCommand } = await import('@aws-sdk/client-s3');
    const client = await clientP;
    const opts = () => ({ abortSignal: AbortSignal.timeout(5000) });
    const del = async () => {
      for (const k of state.keys) {
        try { await client.send(new DeleteObjectCommand({ Bucket: state.bucket, Key: k }), opts()); } catch { /* confirmed below */ }
      }
    };
    const confirm = async (): Promise<string[] | null> => {
      try {
        const r = await client.send(new ListObjectsV2Command({ Bucket: state.bucket, Prefix: state.prefix, MaxKeys: 100 }), opts());
        return (r.Contents ?? []).map((o) => o.Key!).filter((k) => k.startsWith(state.prefix));
      } catch {
        const left: string[] = [];
        for (const k of state.keys) {
          try { await client.send(new HeadObjectCommand({ Bucket: state.bucket, Key: k }), opts()); left.push(k); } catch (e) {
            if (s3ErrorOf(e).status !== 404) return null;
          }
        }
        return left;
      }
    };
    await del();
    let left = await confirm();
    if (left?.length) { await new Promise((r) => setTimeout(r, 300)); await del(); left = await confirm(); }
    state.remaining = left;
    if (left === null) throw new Error(`residue unknown: could not confirm s3://${state.bucket}/${state.prefix} is empty (no list/read permission); check with: aws s3 ls s3://${state.bucket}/${state.prefix}`);
    if (left.length) throw new Error(`residue: ${left.map((k) => `s3://${state.bucket}/${k}`).join(', ')} could not be deleted; delete with: ${state.deleteCommand}`);
  });
}

// ---------------------------------------------------------------- plain HTTP probe

export interface HttpProbe { status: number; headers: IncomingHttpHeaders; body: Buffer; ms: number }

export class HttpProbeError extends Error {
  constructor(readonly kind: 'dns' | 'refused' | 'timeout' | 'tls' | 'tls-untrusted' | 'reset' | 'unreachable' | 'other', message: string, readonly code?: string) { super(message); this.name = 'HttpProbeError'; }
}

/** GET/HEAD a URL (through --dns-server when set), bounded; reads at most maxBody bytes. */
export function httpProbe(url: string, opts: { method?: 'GET' | 'HEAD'; dnsServer?: string; timeoutMs: number; signal: AbortSignal; maxBody?: number }): Promise<HttpProbe> {
  const u = new URL(url);
  const lookup = lookupFor(opts.dnsServer);
  const t0 = Date.now();
  return new Promise<HttpProbe>((resolve, reject) => {
    const fn = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = fn(u, { method: opts.method ?? 'GET', signal: opts.signal, timeout: opts.timeoutMs, ...(lookup ? { lookup } : {}), headers: { 'user-agent': 'flyte-doctor' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (d: Buffer) => { size += d.length; if (size <= (opts.maxBody ?? 1 << 20)) chunks.push(d); });
      res.on('end', () => { clearTimeout(timer); resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), ms: Date.now() - t0 }); });
      res.on('error', (e) => { clearTimeout(timer); reject(httpErr(e as NodeJS.ErrnoException, u)); });
    });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), opts.timeoutMs);
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => { clearTimeout(timer); reject(httpErr(e, u)); });
    req.end();
  });
}

function httpErr(e: NodeJS.ErrnoException, u: URL): HttpProbeError {
  const where = u.host;
  const code = e.code ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ESERVFAIL' || code === 'ENODATA' || code === 'EREFUSED' || code === 'ETIMEOUT' || code === 'ENOTIMP') return new HttpProbeError('dns', `${u.hostname} does not resolve (${code})`, code);
  if (code === 'ECONNREFUSED') return new HttpProbeError('refused', `connection refused by ${where}`, code);
  if (code === 'ETIMEDOUT' || code === 'ABORT_ERR' || e.name === 'AbortError') return new HttpProbeError('timeout', `no answer from ${where}`, code || 'timeout');
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return new HttpProbeError('unreachable', `${where} is unreachable (${code})`, code);
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'HPE_INVALID_CONSTANT') return new HttpProbeError('reset', `${where} closed the connection (${code})`, code);
  if (/CERT|SELF_SIGNED|UNABLE_TO_/.test(code)) return new HttpProbeError('tls-untrusted', `${where}: certificate not trusted (${code})`, code);
  if (code === 'EPROTO' || /SSL|TLS|wrong version/i.test(e.message)) return new HttpProbeError('tls', `${where}: TLS failed (${e.message.split('\n')[0]})`, code);
  return new HttpProbeError('other', `${where}: ${e.message}`, code);
}

/** Classifies a clock difference: warn above 1 minute, fail above S3's 15-minute limit. */
export function skewStatus(skewMs: number): 'pass' | 'warn' | 'fail' {
  const a = Math.abs(skewMs);
  return a > 15 * 60_000 ? 'fail' : a > 60_000 ? 'warn' : 'pass';
}

/**
 * The outcome for a failed probe operation: a denied permission is named exactly; network
 * failures and other server errors are `fail` with the error; returns undefined for errors the
 * caller must handle itself (or rethrow).
 */
export function s3OpFailure(st: StorageTarget, bucket: string, op: string, permission: string, objectLevel: boolean, e: S3Err): { status: 'fail'; messageId: string; message: string; hint: string; details: Record<string, string | number> } | undefined {
  const details = { bucket, operation: op, error: e.name, ...(e.status ? { httpStatus: e.status } : {}), ...(e.network ? { network: e.network } : {}) };
  if (isDenied(e)) return { status: 'fail', messageId: 'permissionDenied', message: `${op} on s3://${bucket} denied (${e.name}): missing ${permission}`, hint: grantHint(st, permission, bucket, objectLevel), details: { ...details, permission } };
  if (e.name === 'NoSuchBucket') return { status: 'fail', messageId: 'noSuchBucket', message: `${op}: bucket ${bucket} does not exist`, hint: `create the bucket, or fix ${storageKey(st, 'metadataBucket')} / ${storageKey(st, 'userDataBucket')}`, details };
  if (e.name === 'RequestTimeTooSkewed') return { status: 'fail', messageId: 'clockSkew', message: `${op} rejected: ${e.message}`, hint: 'synchronise this machine\'s clock (NTP)', details };
  if (e.name === 'SignatureDoesNotMatch' || e.name === 'InvalidAccessKeyId') return { status: 'fail', messageId: 'badCredentials', message: `${op} rejected: ${e.name} (${e.message})`, hint: `check ${storageKey(st, 'accessKey')} / ${storageKey(st, 'secretKey')}`, details };
  if (e.network) return { status: 'fail', messageId: 'network', message: `${op} on s3://${bucket} failed: ${e.network} (${e.message})`, hint: `check ${storageKey(st, 'endpoint')} and the network path to the object store`, details };
  return undefined;
}

/** Run ids that created probe state in this process (for tests and the CLI's residue line). */
export function probeRuns(): string[] { return [...ledger.keys()]; }
