// Findings shared by the storage checks: every way an S3 or GCS call can fail, mapped from the
// evidence (HTTP status, S3 error code / GCS reason, what answered, network failure, credential
// chain) to one declared messageId with its message, fix and cause key. Started from the S3
// "Error responses" code list and the GCS JSON API error reasons; anything else is an honest
// "unrecognised" finding with the evidence. Only AccessDenied / forbidden means the policy.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { tokenClaims } from '../../src/incluster/runtime.js';
import { frontAnswer, frontNetworkFix, type FrontKind } from '../../src/clients/answers.js';
import { maskIdentifier } from '../../src/config/secret.js';
import { surroundingWhitespace } from '../../src/config/hygiene.js';
import { closeNames } from '../../src/distance.js';
import type { StorageTarget, Target } from '../../src/config/target.js';
import { cause, hostPortKey } from '../../src/engine/causes.js';
import type { CheckContext, Json, MessageSpec, Outcome } from '../../src/engine/types.js';
import { isClusterInternal } from '../../src/config/endpoints.js';
import { describeAnswer, headerOverflowText, netFailureOf, redirectText, s3Send, S3ProbeError, whatListens, type NetFailure, type S3Answer } from '../../src/clients/s3.js';
import { GcsProbeError, type GcsAnswer, type GcsIdentity, type MetadataRefusal } from '../../src/clients/gcs.js';
import { AzureProbeError, azureService, type AzureAnswer } from '../../src/clients/azure.js';
import { describeService } from '../../src/clients/sniff.js';
import {
  AWS_CHAIN_SOURCES, bucketOfInstance, changeHint, credentialPrecedence, effectiveEndpoint, endpointParts, shownEndpoint, flyteIdentityText, gcsGrantHint,
  iamNote, identityText, s3GrantHint, s3ResourceArn, storageField, storageFix, storageKey, type S3Identity,
  AZURE_OPS, azureAccountUrl, azureEndpointParts, azureRoleHint, azureSasHint, type AzureIdentity, type AzureOpName,
} from '../../src/flyte/storage.js';
import { fixSetting, setting } from '../../src/flyte/settings.js';

const m = (status: MessageSpec['status'], summary: string): MessageSpec => ({ status, summary });

// ---------------------------------------------------------------- shared

export function bucketFor(ctx: CheckContext): string {
  return bucketOfInstance(ctx.target.storage!, ctx.instance?.key);
}

/** Values key naming the bucket of this instance (from provenance when the loader recorded one). */
export function bucketKey(t: Target, instanceKey: string | undefined): string {
  const st = t.storage!;
  const field = instanceKey === 'userdata' ? 'userDataBucket' : 'metadataBucket';
  return setting(t, storageField(field)).key ?? storageKey(st, field);
}

/** Replaces credential material a server may echo (access key id, SigV4 Credential=...) in text we show. */
export function scrub(text: string, st: StorageTarget): string {
  let s = text.replace(/(Credential=)[A-Za-z0-9+/=_-]{4,}/g, '$1***').replace(/\bAKIA[A-Z0-9]{12,}\b|\bASIA[A-Z0-9]{12,}\b/g, (k) => maskIdentifier(k));
  if (st.accessKey && st.accessKey.length >= 4) s = s.split(st.accessKey).join(maskIdentifier(st.accessKey));
  const secret = st.secretKey?.reveal();
  if (secret && secret.length >= 4) s = s.split(secret).join('***');
  return s.slice(0, 400);
}

function hp(st: StorageTarget): { host: string; port: number; key: string; url: string; tls: boolean } {
  const p = endpointParts(st) ?? { url: effectiveEndpoint(st), host: 'unknown', port: 0, tls: true };
  return { ...p, key: hostPortKey(p.host, p.port) };
}

/** Did a dependency report a state in which this check cannot say anything from here? */
export function notCheckedHere(ctx: CheckContext, deps: string[], ids: string[]): string | undefined {
  for (const d of deps) {
    const r = ctx.result(d);
    if (r && r.messageId && ids.includes(r.messageId)) return `not checked from this machine: ${r.id}${r.instance ? `[${r.instance}]` : ''} reports ${r.messageId} (${r.message.split(':')[0]})`;
  }
  return undefined;
}

/**
 * The first check after a dependency that found the store cannot be probed from here (a warn the
 * engine does not treat as a blocker): a warn with the dependency's cause, so reports group it
 * under that root cause. Later checks skip (notCheckedHere).
 */
export function cannotProbeWarn(ctx: CheckContext, dep: string): Outcome<'cannotCheckHere'> | undefined {
  const r = ctx.result(dep);
  if (!r || r.messageId !== 'clusterInternal') return undefined;
  return { status: 'warn', messageId: 'cannotCheckHere', ...(r.cause ? { cause: r.cause } : {}), message: `cannot be checked from this machine: ${r.message.split(';')[0]!.replace(/^cannot be checked from this machine: /, '')} (see ${r.id})`, hint: r.hint ?? 'run flyte-doctor --in-cluster', details: { dependency: r.id } };
}

export const CANNOT_CHECK_HERE = {
  cannotCheckHere: m('warn', 'The endpoint is cluster-internal: the bucket cannot be checked from this machine (run --in-cluster); grouped under the endpoint\'s finding.'),
} as const;

/** Dependency outcomes that stop the probes from running here (warn, so not a blocker for the engine). */
export const CANNOT_PROBE = ['clusterInternal', 'cannotCheckHere', 'noCredentialsHere', 'localCredentialsFailed', 'thisMachineCredentialsRejected', 'vpcScThisMachine'];

/** Classifies a clock difference: warn above 1 minute, fail above S3's 15-minute limit. */
export function skewStatus(skewMs: number): 'pass' | 'warn' | 'fail' {
  const a = Math.abs(skewMs);
  return a > 15 * 60_000 ? 'fail' : a > 60_000 ? 'warn' : 'pass';
}

export const SKIP_MESSAGES = {
  notCheckedHere: m('skip', 'An earlier storage check found that this machine cannot probe the store (cluster-internal endpoint, or no usable credentials here).'),
} as const;

// ---------------------------------------------------------------- signed URLs
// A pre-signed / signed / SAS URL is fetched with a plain GET from the host it names (the signed-URL
// override when set, else the store endpoint): what answers there is judged here, by the URL's host
// and the key that sets it, never by the store endpoint the API calls used.

export const SIGNED_URL_MESSAGES = {
  bytesDiffer: m('fail', 'The signed URL returned other bytes than the probe object (a proxy or another store rewrites answers).'),
  urlRedirected: m('fail', 'The host of the signed URL answers with a redirect (to HTTPS, a login page, another host) instead of the object.'),
  urlIntercepted: m('fail', 'Something between here and the URL\'s host answers for itself (a proxy wanting credentials 407, a captive portal 511, a filter 451, an auth gateway).'),
  urlNotStore: m('fail', 'Something other than the object store answers at the host of the signed URL (an HTML page, an empty or plain answer).'),
  urlThrottled: m('fail', 'The host of the signed URL refuses the request as too many (HTTP 429 / SlowDown).'),
  urlServerError: m('fail', 'The host of the signed URL (the store, or a proxy in front of it) answered a server-side error (5xx).'),
  urlOtherStore: m('fail', 'The store at the signed URL\'s host does not have the probe object written through the API a moment ago: the URL reaches another store, bucket or path.'),
  urlExpired: m('fail', 'The store refused the signed URL as outside its validity (expired or not yet valid) right after signing it: the signing clock and the store\'s differ.'),
  urlDenied: m('fail', 'The store refused the signed URL\'s access: the identity that signed it lacks read access to the object, or a policy refuses signed-URL requests.'),
  urlUnrecognised: m('fail', 'An answer to the signed URL that no other finding covers; the status and evidence are shown.'),
} as const satisfies Record<string, MessageSpec>;

export type SignedUrlFindingId = keyof typeof SIGNED_URL_MESSAGES;

export interface SignedUrlContext {
  /** 'S3', 'GCS', 'Azure Blob Storage': for messages. */
  store: string;
  /** 'pre-signed URL', 'signed URL', 'SAS URL'. */
  what: string;
  /** The URL fetched (its query is never shown). */
  url: URL;
  /** The values key that sets the URL's host (the signed-URL override, else the store endpoint). */
  key: string;
  /** The answer carries the store's own headers or error document. */
  fromStore: boolean;
  /** false when the key is not an address (Azure's domain suffix): hints then name it without "set it to <url>". */
  keyTakesUrl?: boolean;
  /** The store's error code and message, when it sent them. */
  code?: string | undefined;
  message?: string | undefined;
  details: Record<string, Json>;
}

/**
 * What answered a signed URL's GET when it is not the probe object: a redirect, something in front,
 * a non-store answer, throttling, a 5xx, a 404 of the object just written, other bytes; anything
 * else "unrecognised: HTTP <status> <evidence>". Never a pass, never an error.
 */
export function signedUrlAnswer(a: { status: number; headers: Record<string, string>; body: Buffer }, ctx0: SignedUrlContext): Outcome<SignedUrlFindingId> {
  let c = ctx0;
  const u = c.url;
  const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  const key = hostPortKey(u.hostname.replace(/^\[|\]$/g, ''), port);
  const said = `HTTP ${a.status}${c.code ? ` ${c.code}` : ''}`;
  const setKey = (v: string) => c.keyTakesUrl === false ? `make the URLs point at ${v} (their host comes from ${c.key})` : `set ${c.key} to ${v}`;
  c = { ...c, message: c.message?.split('\n')[0]?.trim() };
  // the store's own error document is named by its code and message, not as "a document"
  const seen = c.fromStore && c.code ? `${said}${c.message ? `: ${c.message.slice(0, 200)}` : ''}${a.headers.server ? ` from ${a.headers.server.slice(0, 40)}` : ''}` : describeAnswer(a);
  const d: Record<string, Json> = { ...c.details, httpStatus: a.status, code: c.code ?? null, answeredBy: seen };
  const w = `the ${c.what} (${u.host})`;
  if (a.status === 200 && c.fromStore) return { status: 'fail', messageId: 'bytesDiffer', cause: cause.wrongService(key), message: `${w} returned ${a.body.length} bytes that are not the probe object (${seen}): nothing may pass on a wrong answer`, hint: `something at ${key} rewrites answers (a proxy transforming bodies, or another store with an object of the same name): fetch the URL with curl and compare; ${c.key} must reach the same store the API writes to`, details: d };
  const front = frontAnswer(a, { gateway401: !c.fromStore });
  if (front && front.kind !== 'request-timeout' && front.kind !== 'gone') return { status: 'fail', messageId: 'urlIntercepted', cause: cause.frontAuth(key), message: `${w}: ${front.text}: ${seen}`, hint: frontNetworkFix(front.kind, u.hostname) ?? `let ${c.what}s through the gateway at ${key} unauthenticated (the signature in the query authenticates them), or ${setKey("the store's own address")}; pyflyte and the console fetch these URLs without other credentials`, details: d };
  const loc = locationOf(a, u.origin);
  if (a.status >= 300 && a.status < 400) {
    const upgrade = loc && u.protocol === 'http:' && loc.protocol === 'https:' && loc.hostname === u.hostname;
    return { status: 'fail', messageId: 'urlRedirected', cause: cause.wrongService(key), message: `${w} answers with a redirect instead of the object: ${seen}${upgrade ? ' (to HTTPS)' : ''}; the signature covers the host it was made for, so a client that followed it would be refused there`, hint: upgrade ? `${setKey(loc!.origin)} (the URL's host wants HTTPS)` : `${setKey('the address where the store itself answers')} (${loc && /^https?:$/.test(loc.protocol) && loc.origin !== u.origin ? `${loc.origin} if that is the store; ` : ''}not a proxy's login or another host), or stop what answers at ${key} from redirecting`, details: { ...d, ...(loc ? { redirectTo: `${loc.origin}${loc.pathname}` } : {}) } };
  }
  if (a.status === 429 || c.code === 'SlowDown' || c.code === 'TooManyRequests' || c.code === 'ServerBusy') {
    const after = a.headers['retry-after'];
    return { status: 'fail', messageId: 'urlThrottled', cause: cause.backend(`${c.store} ${key}`), message: `${w} was refused as too many requests (${said}${after ? `, Retry-After: ${after.slice(0, 30)}` : ''}) by ${c.fromStore ? 'the store' : `what answers there (${seen})`}`, hint: c.fromStore ? 'retry later; if it persists, find the client that floods the store (its request rate) or raise the store\'s limits' : `raise or lift the rate limit of the proxy or gateway at ${key} for the store's paths (pyflyte and the console fetch many such URLs)`, details: d };
  }
  if (a.status === 501 && c.fromStore) return { status: 'fail', messageId: 'urlUnrecognised', cause: cause.wrongService(key), message: `${w}: unrecognised: ${seen}: the store does not implement something in a plain GET of a ${c.what} (a header or query parameter added on the way, or a gateway that is not a full ${c.store} API)`, hint: `fetch the URL with curl -v directly at the store and through ${key}; ${setKey('an address that passes requests unchanged')}`, details: d };
  if (a.status >= 500) {
    const proxy = !c.fromStore && (a.status === 502 || a.status === 503 || a.status === 504);
    return { status: 'fail', messageId: 'urlServerError', cause: cause.backend(`${c.store} ${key}`), message: proxy ? `${w}: a proxy at ${key} answered ${seen}: the store behind it is down or unreachable from it` : `${w}: ${c.fromStore ? 'the store' : 'what answers there'} answered ${c.fromStore && c.code ? seen : `${said} (${seen})`}: server-side`, hint: proxy ? `check the store behind the proxy at ${key} (is it running and ready?) and the proxy's upstream for the address ${c.key} names` : `retry; if it persists, check the health and logs of what serves ${key}`, details: d };
  }
  if (a.status === 404 && c.fromStore) return { status: 'fail', messageId: 'urlOtherStore', cause: cause.config(c.key), message: `${w}: the store there does not have the probe object written through the API a moment ago (${said}): the URL reaches another store, bucket or path than the API`, hint: `${setKey('an address of the same store the API calls reach')} (a proxy in front must pass the path unchanged, without a prefix)`, details: d };
  if (!c.fromStore) return { status: 'fail', messageId: 'urlNotStore', cause: cause.wrongService(key), message: `${w}: not an answer of ${c.store}: ${seen}`, hint: `${setKey(`the address where ${c.store} itself answers for clients (an ingress or LoadBalancer that passes the path and query unchanged)`)}, not ${u.origin}`, details: d };
  return { status: 'fail', messageId: 'urlUnrecognised', message: `${w}: unrecognised: ${c.fromStore && c.code ? seen : `HTTP ${a.status}: ${seen}`}`, hint: `fetch the URL with curl -v from here and look at the logs of what serves ${key}`, details: d };
}

// ---------------------------------------------------------------- S3

export const S3_FAILURES = {
  permissionDenied: m('fail', 'AccessDenied: the policy of Flyte\'s identity does not allow this action; the action, resource ARN and identity are named.'),
  deniedForThisMachine: m('warn', 'authType iam: this machine\'s AWS identity was denied; Flyte\'s own pod identity (IRSA) cannot be judged from here.'),
  kmsDenied: m('fail', 'KMS refused the operation: kms:GenerateDataKey/kms:Decrypt missing, the key disabled or missing, or a bucket policy requiring SSE-KMS headers.'),
  unknownAccessKey: m('fail', 'InvalidAccessKeyId: the store does not know the access key id (mistyped, deleted, or of another account or store).'),
  wrongSecretKey: m('fail', 'SignatureDoesNotMatch: the secret key does not belong to the access key id.'),
  accountDisabled: m('fail', 'The access key exists but its user or account is disabled (AccountProblem, AllAccessDisabled, NotSignedUp, a disabled MinIO user).'),
  sessionTokenExpired: m('fail', 'ExpiredToken / TokenRefreshRequired: the temporary credentials have expired.'),
  sessionTokenInvalid: m('fail', 'InvalidToken / InvalidSecurity: the session token is malformed or does not belong to the key.'),
  thisMachineCredentialsRejected: m('warn', 'authType iam: the store rejected this machine\'s AWS credentials; Flyte uses its pod identity, which cannot be judged from here.'),
  clockSkew: m('fail', 'RequestTimeTooSkewed: this machine\'s clock differs from the store\'s by more than 15 minutes.'),
  wrongRegion: m('fail', 'The bucket is in another region than configured (AuthorizationHeaderMalformed, PermanentRedirect, IllegalLocationConstraintException).'),
  noSuchBucket: m('fail', 'NoSuchBucket: the bucket does not exist (Flyte would try CreateBucket at start).'),
  endpointHasPath: m('fail', 'NoSuchBucket or NoSuchKey on a bucket request through a custom endpoint with a path (http://host:9000/flyte): the path comes before the bucket in every path-style request, so the store reads it as the bucket.'),
  invalidBucketName: m('fail', 'InvalidBucketName: the configured bucket name is not a valid S3 bucket name.'),
  serverError: m('fail', 'The store (or a proxy in front of it) answered a server-side error: InternalError, ServiceUnavailable, SlowDown, 5xx.'),
  storeFull: m('fail', 'The store refuses writes for lack of room: a bucket or user quota (XMinioAdminBucketQuotaExceeded, Ceph QuotaExceeded) or a full backend (XMinioStorageFull, HTTP 507); not transient, not a permission.'),
  notS3Api: m('fail', 'NotImplemented / MethodNotAllowed: a gateway or server that does not implement this S3 operation answers.'),
  notS3: m('fail', 'Something other than an S3 API answered (an HTML page, an empty answer, JSON): the endpoint is not the store\'s S3 port.'),
  interceptedInFront: m('fail', 'Something between here and the store answers for itself (a captive portal 511, a web filter 451, a proxy wanting credentials 407, an auth gateway 401/403 without S3\'s headers): the endpoint may be right.'),
  requestAltered: m('fail', 'XAmzContentSHA256Mismatch / BadDigest: the request arrived changed: a proxy between here and the store rewrites it.'),
  requestRejected: m('fail', 'InvalidRequest / InvalidArgument / MissingSecurityHeader / InvalidURI: the store refuses the form of the request (signature version, required headers, addressing).'),
  unreachable: m('fail', 'No answer from the endpoint: connection refused, dropped (timeout) or no route.'),
  answerStalled: m('fail', 'The store (or a proxy in front of it) answered with a status and headers, then stopped sending the body: it stalls in the middle of an answer (a buffering proxy, a stuck backend).'),
  dnsFailed: m('fail', 'The endpoint host does not resolve.'),
  tlsToPlainPort: m('fail', 'The endpoint is https:// but the port speaks plain HTTP.'),
  plainToTlsPort: m('fail', 'The endpoint is http:// but the port speaks TLS (HTTPS).'),
  tlsFailed: m('fail', 'TLS with the endpoint failed: certificate not trusted, expired or for another name, or the handshake failed.'),
  iamKeysIgnored: m('fail', 'authType iam while access keys are set: Flyte and flyte-doctor ignore the keys, and this machine has no other AWS credentials.'),
  noCredentialsHere: m('warn', 'authType iam and no AWS credentials on this machine: Flyte\'s pod identity cannot be checked from here.'),
  podHasNoIdentity: m('fail', 'In the cluster (--in-cluster): authType iam and the pod has no AWS credentials: IRSA is not wired (no role annotation on the service account, or the pods were not restarted).'),
  podIdentityFailed: m('fail', 'In the cluster (--in-cluster): the pod\'s web identity could not be exchanged for AWS credentials (the role\'s trust policy, the OIDC provider, the token file).'),
  localCredentialsFailed: m('warn', 'authType iam: this machine\'s AWS credential chain failed (profile, SSO, web identity); nothing was probed.'),
  unrecognised: m('fail', 'An answer no other finding covers; the status, error code and message are shown.'),
} as const satisfies Record<string, MessageSpec>;

export type S3FailureId = keyof typeof S3_FAILURES;
type S3Outcome = Outcome<S3FailureId>;

export interface S3Op {
  bucket: string;
  /** S3 operation name (PutObject...). */
  op: string;
  /** IAM action the operation needs (s3:PutObject). */
  action: string;
  objectLevel: boolean;
  /** Instance key, for the bucket's values key. */
  instanceKey?: string | undefined;
}

/** The identity an S3 credentials cause key names: this machine's key id, or the values' access key (masked). */
export function keyId(st: StorageTarget, id: S3Identity | undefined): string {
  if (id?.mode === 'machine') return id.keyId ?? 'this-machine';
  // a secret key in the access key's place is not shown, not even masked
  if (swappedKeys(st)) return '(the accessKey value)';
  return st.accessKey ? maskIdentifier(st.accessKey) : '(unset)';
}

/**
 * The access key and secret key look swapped: the secret has the shape of an access key id
 * (AKIA/ASIA + 16) or the access key the shape of an AWS secret (40 characters with / or +).
 * Access key ids are letters and digits; a slash in one breaks SigV4's Credential=<id>/<date>/...
 */
export function swappedKeys(st: StorageTarget): boolean {
  if (st.authType !== 'accesskey' || !st.accessKey) return false;
  const secret = st.secretKey?.reveal()?.trim() ?? '';
  return /^(AKIA|ASIA)[A-Z0-9]{16}$/.test(secret) && !/^(AKIA|ASIA)[A-Z0-9]{16}$/.test(st.accessKey.trim())
    || /^[A-Za-z0-9/+]{40}$/.test(st.accessKey.trim()) && /[/+]/.test(st.accessKey);
}

function swappedFinding(t: Target, what: string, said: string, d: Record<string, Json>, credCause: string): S3Outcome {
  const st = t.storage!;
  const accessKeyKey = storageKey(st, 'accessKey'), secretKeyKey = storageKey(st, 'secretKey');
  return { status: 'fail', messageId: 'unknownAccessKey', cause: credCause, message: `${what} rejected (${said}): the value in ${accessKeyKey} has the shape of a secret key${/^(AKIA|ASIA)[A-Z0-9]{16}$/.test(st.secretKey?.reveal()?.trim() ?? '') ? ` and the one in ${secretKeyKey} the shape of an access key id (AKIA/ASIA...)` : ' (40 characters with / or +; access key ids are letters and digits)'}: the two look swapped`, hint: `swap the values of ${accessKeyKey} and ${secretKeyKey}: the access key id (AKIA..., 20 characters) goes in ${accessKeyKey}, its secret in ${secretKeyKey}${envNote(st)}`, details: { ...d, swappedKeys: true } };
}

/** "set X to Y" fixes joined, without the ones the inputs already have. */
function fixes(...parts: (string | undefined)[]): string | undefined {
  const p = parts.filter((x): x is string => !!x);
  return p.length ? p.join('; ') : undefined;
}

function endpointWithScheme(st: StorageTarget, tls: boolean): string {
  const p = hp(st);
  const defPort = tls ? 443 : 80;
  return `${tls ? 'https' : 'http'}://${p.host.includes(':') ? `[${p.host}]` : p.host}${p.port && p.port !== defPort ? `:${p.port}` : ''}`;
}

/** The fix for a scheme that does not match what the port speaks. */
export function schemeFix(t: Target, speaksTls: boolean): string {
  const st = t.storage!;
  const hasScheme = !!st.endpoint && /^[a-z][a-z0-9+.-]*:\/\//i.test(st.endpoint);
  if (!st.endpoint) return `the AWS endpoint ${shownEndpoint(st)} always speaks TLS: check the network path (a proxy intercepting HTTPS?)`;
  const f = fixes(
    hasScheme ? storageFix(t, 'endpoint', endpointWithScheme(st, speaksTls)) : undefined,
    storageFix(t, 'disableSSL', !speaksTls),
  );
  return f ?? `the values already say ${speaksTls ? 'https' : 'http'}; the store listens differently on this port: check ${storageKey(st, 'endpoint')}`;
}

async function portEvidence(st: StorageTarget, ctx: CheckContext): Promise<string | undefined> {
  const p = hp(st);
  const ev = await whatListens(p.host, p.port, ctx.target.dnsServer, Math.min(1500, Math.max(300, ctx.remainingMs() - 500)));
  if (ev.tls) return `a TLS server (${ev.tls.protocol}${ev.tls.alpn ? `, ALPN ${ev.tls.alpn}` : ''}${ev.tls.subject ? `, ${ev.tls.subject}` : ''})`;
  return ev.service ? describeService(ev.service) : undefined;
}

/** Outcome for a network failure of an S3 call (any check). */
export async function s3NetFailure(ctx: CheckContext, net: NetFailure, what: string, details: Record<string, Json>): Promise<Outcome<'dnsFailed' | 'unreachable' | 'answerStalled' | 'tlsToPlainPort' | 'tlsFailed' | 'plainToTlsPort' | 'notS3'>> {
  const t = ctx.target, st = t.storage!;
  const p = hp(st);
  const ep = storageKey(st, 'endpoint');
  const d = { ...details, network: net.kind, code: net.code };
  switch (net.kind) {
    case 'dns':
      return { status: 'fail', messageId: 'dnsFailed', cause: cause.dns(p.host), message: `${what}: the endpoint host ${p.host} does not resolve (${net.code})${isClusterInternal(p.host) ? '; it is a cluster-internal name' : ''}`, hint: st.endpoint ? `fix the host in ${ep}, or run flyte-doctor where the name resolves (--in-cluster)` : `check DNS and network access to ${p.host} from this machine`, details: d };
    case 'refused': case 'timeout': case 'unreachable': {
      let how = net.kind === 'refused' ? `connection refused by ${p.key}: nothing listens there` : `${p.key} is unreachable (${net.code})`;
      if (net.kind === 'timeout') {
        // Accepted but silent, or dropped? One short TCP look tells them apart.
        const left = ctx.remainingMs() - 300;
        const ev = left > 400 ? await whatListens(p.host, p.port, ctx.target.dnsServer, Math.min(800, left)) : {};
        how = ev.service?.kind === 'silent' ? `${p.key} accepts connections but never answers (${net.message})`
          : ev.service?.kind === 'unreachable' ? `connections to ${p.key} time out: dropped by a firewall, or a wrong address (${net.message})`
          : `no answer from ${p.key}${/^no answer/.test(net.message) ? '' : ` (${net.message})`}`;
      }
      return { status: 'fail', messageId: 'unreachable', cause: cause.unreachable(p.key), message: `${what}: ${how}`, hint: `check ${ep} (host and port) and that the object store runs and is reachable from here (firewall, proxy)`, details: d };
    }
    case 'stalled':
      return { status: 'fail', messageId: 'answerStalled', cause: cause.backend(`s3 ${p.key}`), message: `${what}: ${net.message.startsWith(`${p.key} `) ? net.message : `${p.key} ${net.message}`}: the store, or a proxy in front of it, stalls in the middle of its answer`, hint: `check the object store at ${p.key} (its health and log) and any proxy or load balancer between here and it (response buffering, body or idle timeouts); \`curl -v ${p.url}\` shows the same stall`, details: d };
    case 'tls-plaintext':
      return { status: 'fail', messageId: 'tlsToPlainPort', cause: cause.tls('plaintext', p.key), message: `${what}: ${p.key} answered the TLS handshake with plain text: the port speaks HTTP, not HTTPS`, hint: schemeFix(t, false), details: d };
    case 'tls-untrusted': case 'tls-name': case 'tls-expired': case 'tls-other': {
      const kind = net.kind === 'tls-untrusted' ? 'untrusted' : net.kind === 'tls-name' ? 'name' : net.kind === 'tls-expired' ? 'expired' : 'handshake';
      return { status: 'fail', messageId: 'tlsFailed', cause: cause.tls(kind, p.key), message: `${what}: TLS with ${p.key} failed: ${net.message}`, hint: kind === 'untrusted' ? 'serve a certificate from a CA the Flyte pods and clients trust, or add the CA to their trust stores (NODE_EXTRA_CA_CERTS / SSL_CERT_FILE for flyte-doctor)' : kind === 'name' ? `serve a certificate for ${p.host}, or use the name on the certificate in ${ep}` : kind === 'expired' ? `renew the certificate of ${p.key}` : `check the TLS setup of ${p.key} (protocol versions, ciphers)`, details: d };
    }
    default: {
      // an answer whose header block passed the cap: something answered, with more headers than any store sends
      if (net.code === 'HPE_HEADER_OVERFLOW') return { status: 'fail', messageId: 'notS3', cause: cause.wrongService(p.key), message: `${what}: ${net.message.startsWith(`${p.key} `) ? net.message : headerOverflowText(p.key)}`, hint: `the answer's headers are oversized: check the proxy or load balancer in front of the store at ${p.key} (a cookie or header loop) and the store itself (\`curl -sv -o /dev/null ${p.url}\` shows the headers); ${ep} must point at the store's S3 API`, details: { ...d, oversizedHeaders: true } };
      const seen = await portEvidence(st, ctx);
      if (seen?.startsWith('a TLS server') && !p.tls) return { status: 'fail', messageId: 'plainToTlsPort', cause: cause.wrongService(p.key), message: `${what}: ${p.key} closed the plain HTTP request (${net.code}): it speaks TLS: ${seen}`, hint: schemeFix(t, true), details: { ...d, listening: seen } };
      if (seen && !/plain HTTP server/.test(seen)) return { status: 'fail', messageId: 'notS3', cause: cause.wrongService(p.key), message: `${what}: ${p.key} does not answer HTTP (${net.code}): ${seen} listens there`, hint: `point ${ep} at the object store's S3 API port`, details: { ...d, listening: seen } };
      return { status: 'fail', messageId: 'unreachable', cause: cause.unreachable(p.key), message: `${what}: ${net.message.startsWith(`${p.key} `) ? net.message : `${p.key} closed the connection (${net.code}: ${net.message})`}`, hint: `check ${ep} and the network path (a proxy or load balancer dropping connections?)`, details: d };
    }
  }
}

/** An AWS S3 host (s3.amazonaws.com, s3.eu-west-1.amazonaws.com, b.s3-accelerate.amazonaws.com, s3.dualstack.…, .amazonaws.com.cn). */
const AWS_S3_HOST = /(^|\.)s3[.-]([a-z0-9-]+\.)*amazonaws\.com(\.cn)?(:\d+)?$/i;

/** Where a 3xx answer points, resolved against the request's endpoint. */
function locationOf(a: { status: number; headers: Record<string, unknown> }, base: string): URL | undefined {
  const loc = a.status >= 300 && a.status < 400 ? a.headers['location'] : undefined;
  if (typeof loc !== 'string' || !loc) return undefined;
  try { return new URL(loc, base); } catch { return undefined; }
}

const PLAIN_TO_TLS = /plain HTTP request was sent to HTTPS port|Client sent an HTTP request to an HTTPS server|speak(s|ing)? plain HTTP to an SSL/i;

/** What something between here and a store answered for itself (frontAnswer; a store signs its own 401/403 with its headers and error document). */
function interceptedInFront(a: { status: number; headers: Record<string, unknown>; body: Buffer | string }): { kind: FrontKind; text: string } | undefined {
  const f = frontAnswer(a, { gateway401: true });
  return f && f.kind !== 'request-timeout' && f.kind !== 'gone' ? f : undefined;
}

function frontHint(kind: FrontKind, host: string, hostPort: string, api: string, endpointKey: string): string {
  return frontNetworkFix(kind, host) ?? `let ${api} requests reach the store unauthenticated by the gateway at ${hostPort} (the store authenticates them itself), or point ${endpointKey} at the store's own endpoint`;
}

/** Outcome for an answer without S3 evidence. */
export function s3NotS3(ctx: CheckContext, a: Pick<S3Answer, 'status' | 'headers' | 'body'>, what: string, details: Record<string, Json>): Outcome<'plainToTlsPort' | 'serverError' | 'notS3' | 'interceptedInFront'> {
  const t = ctx.target, st = t.storage!;
  const p = hp(st);
  const seen = describeAnswer(a);
  const d = { ...details, httpStatus: a.status, answeredBy: seen };
  const front = interceptedInFront(a);
  if (front) return { status: 'fail', messageId: 'interceptedInFront', cause: cause.frontAuth(p.key), message: `${what}: ${front.text}: ${seen}`, hint: frontHint(front.kind, p.host, p.key, 'S3', storageKey(st, 'endpoint')), details: d };
  if (PLAIN_TO_TLS.test(a.body.subarray(0, 4096).toString('utf8'))) return { status: 'fail', messageId: 'plainToTlsPort', cause: cause.wrongService(p.key), message: `${what}: ${p.key} speaks HTTPS: it answered the plain HTTP request with ${seen}`, hint: schemeFix(t, true), details: d };
  const loc = locationOf(a, p.url);
  if (loc) {
    // S3 clients (Flyte's, flyte-doctor's) do not follow a redirect to another place: name where it points
    const upgrade = !p.tls && loc.protocol === 'https:' && loc.hostname === p.host;
    const shown = `${p.key} answers with a redirect instead of S3: ${seen}${upgrade ? ' (to HTTPS: the endpoint wants https://)' : ''}`;
    const elsewhere = loc.origin !== new URL(p.url).origin && /^https?:$/.test(loc.protocol);
    return { status: 'fail', messageId: 'notS3', cause: cause.wrongService(p.key), message: `${what}: ${shown}`, hint: upgrade ? `the endpoint wants HTTPS: ${fixes(st.endpoint ? storageFix(t, 'endpoint', loc.origin) : undefined, storageFix(t, 'disableSSL', false)) ?? `point ${storageKey(st, 'endpoint')} at ${loc.origin}`}` : `point ${storageKey(st, 'endpoint')} at the object store's S3 API itself${elsewhere ? ` (${loc.origin} if that is the store, e.g. MinIO's API port rather than its console)` : ''}, or stop what answers at ${p.key} from redirecting S3 requests (a proxy's login or HTTPS redirect)`, details: { ...d, redirectTo: `${loc.origin}${loc.pathname}` } };
  }
  if (a.status === 502 || a.status === 503 || a.status === 504) return { status: 'fail', messageId: 'serverError', cause: cause.backend(`s3 ${p.key}`), message: `${what}: a proxy at ${p.key} answered ${seen}: the store behind it is down or unreachable`, hint: `check the object store behind the proxy at ${p.key} (is it running and ready?) and the proxy's upstream`, details: d };
  return { status: 'fail', messageId: 'notS3', cause: cause.wrongService(p.key), message: `${what}: not an S3 answer: ${seen}`, hint: `point ${storageKey(st, 'endpoint')} at the object store's S3 API (MinIO: the API port, usually 9000, not the console), not at ${p.url}${st.endpoint ? '' : ' (a proxy intercepts it?)'}`, details: d };
}

// ---------------------------------------------------------------- cloud workload identities
// The pod's (or this machine's) web identity exchanged at the provider's token service: AWS STS
// AssumeRoleWithWebIdentity (EKS IRSA), the GKE metadata server (Workload Identity), Entra ID's
// token endpoint (Azure Workload Identity). Every refusal names its own cause and fix, from the
// error code and text, the environment the SDK read (AWS_ROLE_ARN, the token file) and the token's
// claims (iss, sub, aud, exp: never the token itself); anything else is "unrecognised: <code> <message>".

interface IdentityFinding {
  /** Short name of the cause, in details.identityFailure. */
  reason: string;
  cause: string;
  text: string;
  fix: string;
  details: Record<string, Json>;
}

interface TokenFacts { file?: string; state: 'unset' | 'missing' | 'unreadable' | 'empty' | 'not-jwt' | 'jwt'; iss?: string; sub?: string; aud?: string[]; exp?: number }

/** What the token file holds, without ever returning the token (it is registered as a secret). */
function tokenFacts(ctx: CheckContext, file: string | undefined): TokenFacts {
  if (!file) return { state: 'unset' };
  let text: string;
  try {
    const s = statSync(file);
    if (!s.isFile()) return { file, state: 'unreadable' };
    text = readFileSync(file, 'utf8');
  } catch (e) { return { file, state: (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable' }; }
  const tok = text.trim();
  if (!tok) return { file, state: 'empty' };
  ctx.addSecret(tok);
  const c = tokenClaims(tok);
  if (!c) return { file, state: 'not-jwt' };
  const aud = typeof c['aud'] === 'string' ? [c['aud']] : Array.isArray(c['aud']) ? c['aud'].filter((x): x is string => typeof x === 'string') : undefined;
  return {
    file, state: 'jwt',
    ...(typeof c['iss'] === 'string' ? { iss: c['iss'] } : {}),
    ...(typeof c['sub'] === 'string' ? { sub: c['sub'] } : {}),
    ...(aud ? { aud } : {}),
    ...(typeof c['exp'] === 'number' ? { exp: c['exp'] } : {}),
  };
}

function tokenDetails(f: TokenFacts): Record<string, Json> {
  return { tokenFile: f.file ?? null, tokenState: f.state, ...(f.iss ? { tokenIssuer: f.iss } : {}), ...(f.sub ? { tokenSubject: f.sub } : {}), ...(f.aud ? { tokenAudience: f.aud } : {}), ...(f.exp !== undefined ? { tokenExpires: new Date(f.exp * 1000).toISOString() } : {}) };
}

/** The service account whose token this is: from the claims, else from where the run is. */
function subjectOf(t: Target, f: TokenFacts): string {
  if (f.sub) return f.sub;
  const ran = /^in-cluster\/([^/]+)\/([^/]+)$/.exec(t.runtime?.ranAt ?? '');
  return ran && ran[1] !== 'unknown' && ran[2] !== 'unknown' ? `system:serviceaccount:${ran[1]}:${ran[2]}` : 'system:serviceaccount:<namespace>:<service-account>';
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const SA_ANNOTATION = 'eks.amazonaws.com/role-arn';

/** A token file the SDK would fail on, told from the file itself (checked before any STS answer is read). */
function tokenFileFinding(f: TokenFacts, envName: string, mountedBy: string, fixOwner: string): IdentityFinding | undefined {
  const d = tokenDetails(f);
  if (f.state === 'missing') return { reason: 'token-file-missing', cause: cause.config(`${envName}=${f.file}`), text: `${envName}=${f.file} names a file that does not exist: the projected service-account token is not mounted`, fix: `${mountedBy}; if the env var was copied into the pod spec by hand, remove it and let ${fixOwner} inject it with the volume, then restart the pods`, details: d };
  if (f.state === 'unreadable') return { reason: 'token-file-unreadable', cause: cause.config(`${envName}=${f.file}`), text: `${envName}=${f.file} cannot be read (not a file, or no permission for this user)`, fix: `let the container's user read the projected token (the pod's securityContext fsGroup; ${mountedBy})`, details: d };
  if (f.state === 'empty') return { reason: 'token-file-empty', cause: cause.config(`${envName}=${f.file}`), text: `the token file ${f.file} (${envName}) is empty: there is no web identity token to exchange`, fix: `${mountedBy} (a projected serviceAccountToken volume, written by the kubelet); an empty file is not one`, details: d };
  if (f.state === 'not-jwt') return { reason: 'token-not-jwt', cause: cause.config(`${envName}=${f.file}`), text: `the token file ${f.file} (${envName}) does not hold a JWT (three base64url parts with JSON claims)`, fix: `${mountedBy}; it must hold the kubelet's projected service-account token, not another file`, details: d };
  return undefined;
}

/**
 * EKS Pod Identity (AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, the
 * agent on 169.254.170.23): the SDK's chain swallows the agent's answer ("Could not load credentials
 * from any providers"), so the agent is asked once more here (bounded) with the pod's token, and its
 * answer, or its silence, named. Undefined when Pod Identity is not in play.
 */
export async function awsPodIdentityFinding(ctx: CheckContext, env: NodeJS.ProcessEnv = process.env): Promise<IdentityFinding | undefined> {
  const uri = env['AWS_CONTAINER_CREDENTIALS_FULL_URI'];
  if (!uri) return undefined;
  const file = env['AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE'];
  const inline = env['AWS_CONTAINER_AUTHORIZATION_TOKEN'];
  if (inline) ctx.addSecret(inline);
  let shown = uri;
  try { const u = new URL(uri); shown = `${u.origin}${u.pathname}`; } catch { /* shown as set */ }
  const restart = 'restart the pods (the EKS Pod Identity webhook injects AWS_CONTAINER_CREDENTIALS_FULL_URI, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE and the eks-pod-identity-token volume only when a pod is created)';
  const sa = subjectOf(ctx.target, { state: 'unset' }).replace(/^system:serviceaccount:/, '').split(':');
  const assoc = `aws eks create-pod-identity-association --cluster-name <cluster> --namespace ${sa[0] ?? '<namespace>'} --service-account ${sa[1] ?? '<service-account>'} --role-arn arn:aws:iam::<account>:role/<role>`;
  const f = tokenFacts(ctx, file);
  const base: Record<string, Json> = { podIdentityAgent: shown, ...tokenDetails(f) };
  if (!file && !inline) return { reason: 'pod-identity-token-unset', cause: cause.config('AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE'), text: `AWS_CONTAINER_CREDENTIALS_FULL_URI=${shown} is set but neither AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE nor AWS_CONTAINER_AUTHORIZATION_TOKEN: the agent refuses a request without the pod's token`, fix: `remove a hand-set AWS_CONTAINER_CREDENTIALS_FULL_URI from the pod spec and let the EKS Pod Identity webhook inject both with the token volume: ${restart}`, details: base };
  const fileIssue = file && !inline ? tokenFileFinding(f, 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE', 'the EKS Pod Identity webhook mounts the token volume eks-pod-identity-token at /var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token when a Pod Identity association exists for the pod\'s service account', 'the webhook') : undefined;
  if (fileIssue) return fileIssue;
  const token = inline ?? (file ? readFileSync(file, 'utf8').trim() : '');
  ctx.addSecret(token);
  const { request } = await import('node:http');
  const timeoutMs = Math.max(300, Math.min(2000, ctx.remainingMs() - 500));
  const ans = await new Promise<{ status: number; body: string } | { error: string; code: string }>((resolve) => {
    let u: URL;
    try { u = new URL(uri); } catch { resolve({ error: 'not a URL', code: 'EINVAL' }); return; }
    const req = request(u, { method: 'GET', headers: { authorization: token }, timeout: timeoutMs, signal: ctx.signal }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { if (body.length < 4096) body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.message, code: e.code ?? 'ERR' }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.message, code: e.code ?? 'ERR' }));
    req.end();
  });
  const agentKey = (() => { try { const u = new URL(uri); return hostPortKey(u.hostname, u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80); } catch { return shown; } })();
  const agentFix = `check the eks-pod-identity-agent add-on (aws eks describe-addon --cluster-name <cluster> --addon-name eks-pod-identity-agent; its DaemonSet must run on this pod's node, hostNetwork, on 169.254.170.23:80) and that nothing (a NetworkPolicy, a proxy via HTTP_PROXY without NO_PROXY=169.254.170.23) blocks the pod from it`;
  if ('error' in ans) return { reason: 'pod-identity-agent-unreachable', cause: cause.unreachable(agentKey), text: `the EKS Pod Identity Agent at ${shown} (AWS_CONTAINER_CREDENTIALS_FULL_URI) cannot be reached: ${ans.code === 'ECONNREFUSED' ? 'connection refused' : ans.code === 'ETIMEDOUT' ? ans.error : `${ans.code}: ${ans.error}`}`, fix: agentFix, details: { ...base, agentError: ans.code } };
  let code = '', msg = '';
  try { const j = JSON.parse(ans.body) as Record<string, unknown>; code = String(j['Code'] ?? j['code'] ?? ''); msg = String(j['Message'] ?? j['message'] ?? ''); } catch { msg = ans.body.replace(/\s+/g, ' ').slice(0, 160); }
  msg = scrub(msg, ctx.target.storage!).split(token).join('***');
  const said = `HTTP ${ans.status}${code ? ` ${code}` : ''}${msg ? `: ${msg.slice(0, 200)}` : ''}`;
  const d = { ...base, agentStatus: ans.status, agentCode: code || null, agentMessage: msg || null };
  if (ans.status >= 500) return { reason: 'pod-identity-agent-error', cause: cause.backend(`eks-pod-identity-agent ${agentKey}`), text: `the EKS Pod Identity Agent at ${shown} failed to get credentials (${said})`, fix: /assume|trust|not authorized|AccessDenied/i.test(`${code} ${msg}`) ? `the role's trust policy must allow the principal pods.eks.amazonaws.com the actions sts:AssumeRole and sts:TagSession; check the association's role (aws eks list-pod-identity-associations --cluster-name <cluster>)` : `${agentFix}; the agent's own node role needs eks-auth:AssumeRoleForPodIdentity and the node must reach the EKS Auth endpoint (its log: kubectl logs -n kube-system -l app.kubernetes.io/name=eks-pod-identity-agent)`, details: d };
  if (ans.status >= 400) {
    const text = `${code} ${msg}`;
    if (/association/i.test(text)) return { reason: 'pod-identity-no-association', cause: cause.config(`eks-pod-identity-association:${sa.join('/')}`), text: `the EKS Pod Identity Agent refused (${said}): no Pod Identity association for this pod's service account`, fix: `${assoc}, then ${restart}`, details: d };
    if (/token|jwt|audience|expired|unauthori[sz]ed/i.test(text) || ans.status === 401) return { reason: 'pod-identity-token-refused', cause: cause.config('AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE'), text: `the EKS Pod Identity Agent refused the pod's token (${said})`, fix: `the token must be the kubelet's projected service-account token with audience pods.eks.amazonaws.com (the webhook's eks-pod-identity-token volume), not another token: ${restart}`, details: d };
    if (/assume|trust|not authorized|AccessDenied/i.test(text)) return { reason: 'pod-identity-trust-policy', cause: cause.config('eks-pod-identity-role-trust'), text: `the EKS Pod Identity Agent could not assume the associated role (${said})`, fix: 'the role\'s trust policy must allow the principal pods.eks.amazonaws.com the actions sts:AssumeRole and sts:TagSession (aws iam get-role --role-name <role> --query Role.AssumeRolePolicyDocument)', details: d };
    return { reason: 'unrecognised', cause: cause.credentials('s3', 'pod'), text: `the EKS Pod Identity Agent at ${shown} refused: unrecognised: ${said}`, fix: `look at the agent's log (kubectl logs -n kube-system -l app.kubernetes.io/name=eks-pod-identity-agent) and the association (aws eks list-pod-identity-associations --cluster-name <cluster>)`, details: d };
  }
  return { reason: 'unrecognised', cause: cause.credentials('s3', 'pod'), text: `the EKS Pod Identity Agent at ${shown} answered, but the SDK got no credentials from it: unrecognised: HTTP ${ans.status} ${JSON.stringify(msg.slice(0, 80))}`, fix: `check what answers at ${shown} (it must be the eks-pod-identity-agent) and its log`, details: d };
}

/** AWS web identity (IRSA / AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE): the finding for a failed credential chain, or undefined when no web identity is in play. */
export function awsWebIdentityFinding(ctx: CheckContext, e: S3ProbeError, env: NodeJS.ProcessEnv = process.env): IdentityFinding | undefined {
  const t = ctx.target;
  const role = env['AWS_ROLE_ARN'], file = env['AWS_WEB_IDENTITY_TOKEN_FILE'];
  if (!role && !file) return undefined;
  const f = tokenFacts(ctx, file);
  const td = tokenDetails(f);
  const base: Record<string, Json> = { roleArn: role ?? null, ...td };
  const restart = 'restart the pods (the EKS pod identity webhook injects AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE and the token volume only when a pod is created)';
  if (!file) return { reason: 'role-without-token-file', cause: cause.config('AWS_WEB_IDENTITY_TOKEN_FILE'), text: `AWS_ROLE_ARN=${role} is set but AWS_WEB_IDENTITY_TOKEN_FILE is not, so the SDK does not use the role at all`, fix: `the EKS pod identity webhook sets both (with the token at /var/run/secrets/eks.amazonaws.com/serviceaccount/token): remove a hand-set AWS_ROLE_ARN from the pod spec, annotate Flyte's service account with ${SA_ANNOTATION}: ${role} and ${restart}; outside a pod, set AWS_WEB_IDENTITY_TOKEN_FILE to a token file`, details: base };
  const fileIssue = tokenFileFinding(f, 'AWS_WEB_IDENTITY_TOKEN_FILE', 'the EKS pod identity webhook mounts the token volume aws-iam-token at /var/run/secrets/eks.amazonaws.com/serviceaccount/token when Flyte\'s service account carries ' + SA_ANNOTATION, 'the webhook');
  if (!role) return fileIssue ?? { reason: 'token-file-without-role', cause: cause.config('AWS_ROLE_ARN'), text: `AWS_WEB_IDENTITY_TOKEN_FILE=${file} is set but AWS_ROLE_ARN is not, so the SDK has no role to assume with it`, fix: `annotate Flyte's service account with ${SA_ANNOTATION}: arn:aws:iam::<account>:role/<role> and ${restart}; outside a pod, set AWS_ROLE_ARN`, details: base };
  if (!ROLE_ARN.test(role.trim())) return { reason: 'role-arn-malformed', cause: cause.config(`${SA_ANNOTATION}=${role}`), text: `AWS_ROLE_ARN=${JSON.stringify(role)} is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)`, fix: `set the ${SA_ANNOTATION} annotation of Flyte's service account to the role's ARN (aws iam get-role --role-name <name> --query Role.Arn) and ${restart}`, details: base };
  if (fileIssue) return fileIssue;
  if (e.kind === 'no-credentials') return undefined;
  const code = e.evidence.sdkName ?? '';
  const msg = scrub(e.message, t.storage!);
  const account = /::(\d{12}):/.exec(role)?.[1] ?? '<account>';
  const issHost = f.iss?.replace(/^https?:\/\//, '').replace(/\/$/, '');
  const sub = subjectOf(t, f);
  const said = `${code && code !== 'Error' ? `${code}: ` : ''}${msg}`;
  const d = { ...base, stsCode: code || null, stsMessage: msg };
  if (/^AccessDenied/.test(code) || /not authorized to perform:? sts:AssumeRoleWithWebIdentity/i.test(msg)) {
    return { reason: 'trust-policy', cause: cause.config(`aws-role-trust:${role}`), text: `STS refused AssumeRoleWithWebIdentity on ${role} (${said}): the role's trust policy does not let ${sub} assume it${issHost ? ` through the OIDC provider ${issHost}` : ''}`,
      fix: `in the trust policy of ${role}, allow sts:AssumeRoleWithWebIdentity for Principal {"Federated": "arn:aws:iam::${account}:oidc-provider/${issHost ?? '<cluster OIDC issuer host>'}"} with Condition StringEquals {"${issHost ?? '<issuer host>'}:sub": "${sub}", "${issHost ?? '<issuer host>'}:aud": "sts.amazonaws.com"} (aws iam get-role --role-name ${role.split('/').pop()} --query Role.AssumeRolePolicyDocument)`, details: d };
  }
  if (/^InvalidIdentityToken/.test(code) && /No OpenIDConnect provider found/i.test(msg)) {
    const issuer = /provider found in your account for (\S+)/i.exec(msg)?.[1] ?? f.iss ?? '<cluster OIDC issuer>';
    return { reason: 'oidc-provider-missing', cause: cause.config(`aws-oidc-provider:${issuer.replace(/^https?:\/\//, '')}`), text: `STS does not know the token's issuer (${said}): the cluster's OIDC provider ${issuer} is not registered in IAM of account ${account}`,
      fix: `register it: eksctl utils associate-iam-oidc-provider --cluster <cluster> --approve (or aws iam create-open-id-connect-provider --url ${/^https?:\/\//.test(issuer) ? issuer : `https://${issuer}`} --client-id-list sts.amazonaws.com); the role's trust policy must name that provider`, details: d };
  }
  if (/^InvalidIdentityToken/.test(code) && /audience/i.test(msg)) {
    const audOk = f.aud?.includes('sts.amazonaws.com');
    return { reason: 'audience', cause: cause.config(`aws-oidc-audience:${issHost ?? role}`), text: `STS refused the token's audience (${said}): the token says aud ${f.aud ? f.aud.join(', ') : '(unknown)'}${audOk ? ', which is sts.amazonaws.com, so the OIDC provider in IAM does not list it as a client id' : ', and IRSA needs sts.amazonaws.com'}`,
      fix: audOk ? `add the audience to the OIDC provider: aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn arn:aws:iam::${account}:oidc-provider/${issHost ?? '<issuer host>'} --client-id sts.amazonaws.com` : `project the token with audience sts.amazonaws.com (the webhook does; a hand-written projected volume needs serviceAccountToken.audience: sts.amazonaws.com, or the annotation eks.amazonaws.com/audience on the service account must be sts.amazonaws.com or listed in the OIDC provider's client ids), then restart the pods`, details: d };
  }
  if (/^ExpiredToken/.test(code) || /token (is )?expired/i.test(msg)) {
    const now = ctx.clock.now();
    if (f.exp !== undefined && f.exp * 1000 <= now) return { reason: 'token-expired', cause: cause.config(`AWS_WEB_IDENTITY_TOKEN_FILE=${file}`), text: `STS says the web identity token expired (${said}): the token in ${file} expired at ${new Date(f.exp * 1000).toISOString()}: nothing refreshes the file`, fix: `mount the token as a projected serviceAccountToken volume (the kubelet rotates it before it expires; the webhook does this), not a copied token or a Secret; restart the pods`, details: d };
    return { reason: 'clock', cause: cause.config('clock'), text: `STS says the web identity token expired (${said}) though it is valid by this clock${f.exp !== undefined ? ` until ${new Date(f.exp * 1000).toISOString()}` : ''}: this machine's (the node's) clock is off`, fix: 'synchronise the node\'s clock with NTP (`timedatectl set-ntp true`, `chronyc makestep`); STS checks the token\'s iat/exp against AWS time', details: d };
  }
  if (/^IDPCommunicationError/.test(code)) return { reason: 'idp-unreachable', cause: cause.backend(`oidc-issuer ${f.iss ?? 'unknown'}`), text: `IAM could not fetch the signing keys of the token's issuer ${f.iss ?? ''} (${said})`, fix: `the issuer's ${f.iss ?? '<issuer>'}/.well-known/openid-configuration and its jwks_uri must answer over public HTTPS (EKS serves them; a self-managed cluster must publish them); retry, it is often transient`, details: d };
  if (/^IDPRejectedClaim/.test(code)) return { reason: 'idp-rejected-claim', cause: cause.config(`aws-oidc-provider:${issHost ?? 'unknown'}`), text: `STS rejected a claim of the token (${said})`, fix: `compare the token's claims (iss ${f.iss ?? '?'}, sub ${sub}, aud ${f.aud?.join(',') ?? '?'}) with the OIDC provider and the role's trust policy conditions`, details: d };
  if (/^InvalidIdentityToken/.test(code)) return { reason: 'invalid-token', cause: cause.config(`aws-oidc-provider:${issHost ?? 'unknown'}`), text: `STS refused the web identity token (${said})`, fix: `the OIDC provider in IAM (arn:aws:iam::${account}:oidc-provider/${issHost ?? '<issuer host>'}) must match the cluster's issuer ${f.iss ?? ''} and its current signing keys (thumbprint); aws eks describe-cluster --query cluster.identity.oidc.issuer`, details: d };
  if (/^(ValidationError|InvalidParameterValue|MalformedInput)/.test(code) && /role ?arn|\bARN\b/i.test(msg)) return { reason: 'role-arn-malformed', cause: cause.config(`${SA_ANNOTATION}=${role}`), text: `STS refused the role ARN AWS_ROLE_ARN=${JSON.stringify(role)} (${said})`, fix: `set the ${SA_ANNOTATION} annotation of Flyte's service account to the role's exact ARN (aws iam get-role --role-name <name> --query Role.Arn) and ${restart}`, details: d };
  if (/^(ValidationError|InvalidParameterValue)/.test(code) && /webIdentityToken/i.test(msg)) return { reason: 'token-invalid-form', cause: cause.config(`AWS_WEB_IDENTITY_TOKEN_FILE=${file}`), text: `STS refused the form of the token in ${file} (${said})`, fix: 'mount the projected service-account token the webhook provides (a JWT); the file holds something else', details: d };
  if (/^RegionDisabled/.test(code)) {
    const region = env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'] ?? t.storage?.region ?? '<region>';
    return { reason: 'sts-region-disabled', cause: cause.config(`aws-sts-region:${region}`), text: `STS is not activated in ${region} for account ${account} (${said})`, fix: `activate STS in ${region} (IAM console → Account settings → Security Token Service endpoints), or set AWS_REGION to a region where it is active`, details: { ...d, region } };
  }
  if (/did not answer within/.test(msg)) return { reason: 'sts-unreachable', cause: cause.credentials('s3', 'web-identity'), text: `STS gave no answer in time (${msg})`, fix: 'give the pods a network path to STS (an interface VPC endpoint com.amazonaws.<region>.sts for a private cluster, or a NAT gateway); check AWS_ENDPOINT_URL_STS and HTTPS_PROXY if set', details: d };
  const net = netFailureOf({ message: e.message, code: /\b(E[A-Z]{3,}|EAI_AGAIN)\b/.exec(e.message)?.[1] });
  if (net && net.kind !== 'other') {
    const sts = env['AWS_ENDPOINT_URL_STS'] ?? `https://sts.${env['AWS_REGION'] ?? t.storage?.region ?? 'us-east-1'}.amazonaws.com`;
    let key = sts;
    try { const u = new URL(sts); key = hostPortKey(u.hostname, u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80); } catch { /* as written */ }
    return { reason: 'sts-unreachable', cause: cause.unreachable(key), text: `STS at ${sts} did not answer (${msg}): the role cannot be assumed`, fix: `give the pods a network path to STS: an interface VPC endpoint com.amazonaws.<region>.sts for a private cluster, or a NAT gateway; an HTTPS proxy must be in HTTPS_PROXY with STS not in NO_PROXY${env['AWS_ENDPOINT_URL_STS'] ? `; AWS_ENDPOINT_URL_STS=${env['AWS_ENDPOINT_URL_STS']} overrides the STS endpoint: check it` : ''}`, details: { ...d, stsEndpoint: sts } };
  }
  return { reason: 'unrecognised', cause: cause.credentials('s3', 'web-identity'), text: `unrecognised: ${code || 'Error'} ${msg}`, fix: `the exchange of the web identity token (${file}) for role ${role} failed in a way not recognised here: check the role's trust policy and the cluster's OIDC provider in IAM, and the pod's logs`, details: d };
}

/**
 * The outcome for a failed S3 call. `identity` is whose credentials were used (for messages and
 * cause keys). Async: a closed connection is explained by looking at what listens on the port.
 */
export async function s3Failure(ctx: CheckContext, op: S3Op, e: unknown, identity?: S3Identity): Promise<S3Outcome> {
  if (!(e instanceof S3ProbeError)) throw e;
  const t = ctx.target, st = t.storage!;
  const p = hp(st);
  // authType iam judged from this machine (its own AWS identity) vs from inside the cluster, where
  // the identity is the pod's (IRSA): there every refusal is Flyte's own.
  const pod = t.inCluster === true;
  const iam = st.authType === 'iam' && !pod;
  const podIam = st.authType === 'iam' && pod;
  // a secret in the access key's place is never shown, not even masked, and is redacted wherever it appears
  const swapped = swappedKeys(st);
  if (swapped) ctx.addSecret(st.accessKey);
  const who = swapped ? `the access key in ${storageKey(st, 'accessKey')} (not shown: it has the shape of a secret key)` : identityText(st, identity);
  const what = `${op.op} on s3://${op.bucket}`;
  const base: Record<string, Json> = { bucket: op.bucket, operation: op.op, endpoint: p.url, identity: who, authType: st.authType };
  const credCause = cause.credentials('s3', keyId(st, identity));
  const accessKeyKey = storageKey(st, 'accessKey'), secretKeyKey = storageKey(st, 'secretKey');

  switch (e.kind) {
    case 'no-credentials':
      if (iam && st.accessKey) {
        return {
          status: 'fail', messageId: 'iamKeysIgnored', cause: cause.config(storageKey(st, 'authType')),
          message: `authType is iam, so Flyte and flyte-doctor ignore the access key ${maskIdentifier(st.accessKey)} set in ${accessKeyKey}; no other AWS credentials were found on this machine either (${e.message})`,
          hint: `${storageFix(t, 'authType', 'accesskey') ?? `set ${storageKey(st, 'authType')}: accesskey`} to use the keys; or remove them and give Flyte's service account an IAM role (IRSA)`,
          details: { ...base, sdkError: e.message, precedence: credentialPrecedence(st) },
        };
      }
      if (st.authType === 'iam') {
        const pi = await awsPodIdentityFinding(ctx);
        if (pi && podIam) return { status: 'fail', messageId: 'podIdentityFailed', cause: pi.cause, message: `the pod's EKS Pod Identity failed (${t.runtime?.ranAt ?? 'in-cluster'}): ${pi.text}`, hint: pi.fix, details: { ...base, ...pi.details, identityFailure: pi.reason, sdkError: scrub(e.message, st) } };
        if (pi) return { status: 'warn', messageId: 'noCredentialsHere', cause: pi.cause, message: `cannot be checked from this machine: its EKS Pod Identity failed: ${pi.text}`, hint: `${pi.fix}; or run flyte-doctor --in-cluster to probe with Flyte's own identity`, details: { ...base, ...pi.details, identityFailure: pi.reason, sdkError: scrub(e.message, st) } };
        const w = awsWebIdentityFinding(ctx, e);
        if (w && podIam) return { status: 'fail', messageId: 'podHasNoIdentity', cause: w.cause, message: `the pod (${t.runtime?.ranAt ?? 'in-cluster'}) has no usable AWS web identity: ${w.text}`, hint: w.fix, details: { ...base, ...w.details, identityFailure: w.reason, sdkError: scrub(e.message, st) } };
        if (w) return { status: 'warn', messageId: 'noCredentialsHere', cause: w.cause, message: `cannot be checked from this machine: its AWS web identity is incomplete: ${w.text}`, hint: `${w.fix}; or run flyte-doctor --in-cluster to probe with Flyte's own identity`, details: { ...base, ...w.details, identityFailure: w.reason, sdkError: scrub(e.message, st) } };
      }
      if (podIam) {
        return {
          status: 'fail', messageId: 'podHasNoIdentity', cause: cause.credentials('s3', 'pod'),
          message: `the pod (${t.runtime?.ranAt ?? 'in-cluster'}) has no AWS credentials: authType iam needs IRSA (a role on the service account) and none reached the pod (${e.message})`,
          hint: `annotate Flyte's service account with eks.amazonaws.com/role-arn: <role> (flyte-binary: serviceAccount.annotations; flyte-core: <component>.serviceAccount.annotations), with the cluster's OIDC provider in the role's trust policy, and restart the pods`,
          details: { ...base, sdkError: e.message },
        };
      }
      return {
        status: 'warn', messageId: 'noCredentialsHere', cause: cause.credentials('s3', 'this-machine'),
        message: `cannot be checked from this machine: authType iam (Flyte uses the IAM role of its pods, IRSA) and no AWS credentials were found here (${e.message})${process.env.AWS_PROFILE ? `; AWS_PROFILE=${process.env.AWS_PROFILE} is set, but that profile gives no usable credentials (missing, or its SSO/credential_process failed)` : ''}`,
        hint: `run flyte-doctor --in-cluster to probe with Flyte's own identity, or provide credentials of a role with the same policy here (the default chain reads ${AWS_CHAIN_SOURCES})`,
        details: { ...base, sdkError: e.message, precedence: credentialPrecedence(st) },
      };
    case 'credentials-provider':
      if (st.authType === 'iam') {
        const pi = await awsPodIdentityFinding(ctx);
        if (pi && podIam) return { status: 'fail', messageId: 'podIdentityFailed', cause: pi.cause, message: `the pod's EKS Pod Identity failed (${t.runtime?.ranAt ?? 'in-cluster'}): ${pi.text}`, hint: pi.fix, details: { ...base, ...pi.details, identityFailure: pi.reason, sdkError: scrub(e.message, st) } };
        if (pi) return { status: 'warn', messageId: 'localCredentialsFailed', cause: pi.cause, message: `cannot be checked from this machine: its EKS Pod Identity failed: ${pi.text}`, hint: `${pi.fix}; this is this machine's identity, not Flyte's: run flyte-doctor --in-cluster to probe with Flyte's own`, details: { ...base, ...pi.details, identityFailure: pi.reason, sdkError: scrub(e.message, st) } };
        const w = awsWebIdentityFinding(ctx, e);
        if (w && podIam) return { status: 'fail', messageId: 'podIdentityFailed', cause: w.cause, message: `the pod's AWS web identity failed (${t.runtime?.ranAt ?? 'in-cluster'}): ${w.text}`, hint: w.fix, details: { ...base, ...w.details, identityFailure: w.reason, sdkError: scrub(e.message, st) } };
        if (w) return { status: 'warn', messageId: 'localCredentialsFailed', cause: w.cause, message: `cannot be checked from this machine: its AWS web identity failed: ${w.text}`, hint: `${w.fix}; this is this machine's web identity (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE here), not Flyte's: run flyte-doctor --in-cluster to probe with Flyte's own`, details: { ...base, ...w.details, identityFailure: w.reason, sdkError: scrub(e.message, st) } };
      }
      if (podIam) {
        return {
          status: 'fail', messageId: 'podIdentityFailed', cause: cause.credentials('s3', 'pod'),
          message: `the pod's AWS identity failed (${t.runtime?.ranAt ?? 'in-cluster'}): ${scrub(e.message, st)}`,
          hint: 'IRSA: the role\'s trust policy must allow sts:AssumeRoleWithWebIdentity for this service account (its sub claim system:serviceaccount:<namespace>:<name>) from the cluster\'s OIDC provider; the token file AWS_WEB_IDENTITY_TOKEN_FILE must be mounted',
          details: { ...base, sdkError: scrub(e.message, st) },
        };
      }
      return {
        status: 'warn', messageId: 'localCredentialsFailed', cause: cause.credentials('s3', 'this-machine'),
        message: `cannot be checked from this machine: its AWS credential chain failed: ${scrub(e.message, st)}`,
        hint: `fix the local AWS credentials (AWS_PROFILE and ~/.aws/config, aws sso login, AWS_WEB_IDENTITY_TOKEN_FILE) or run flyte-doctor --in-cluster; Flyte's pods use their own identity (authType iam)`,
        details: { ...base, sdkError: scrub(e.message, st) },
      };
    case 'network':
      return s3NetFailure(ctx, e.net!, what, base);
    case 'unparseable':
      return s3NotS3(ctx, e.answer!, what, base);
    case 'answer':
      break;
  }
  const a = e.answer!;
  const code = a.code;
  const msg = a.message ? scrub(a.message, st) : undefined;
  const d: Record<string, Json> = { ...base, httpStatus: a.status, code: code ?? null, serverMessage: msg ?? null, requestId: a.headers['x-amz-request-id'] ?? null };
  const said = `HTTP ${a.status}${code ? ` ${code}` : ''}${msg ? `: ${msg}` : ''}`;
  if (!code) {
    if (!a.s3) return s3NotS3(ctx, a, what, base);
    // a redirect is the bucket's region only when it says so (x-amz-bucket-region) or points at an AWS S3 host;
    // any other redirect is something else answering (a proxy sending to HTTPS or a login, MinIO to its console)
    if ((a.status === 301 || a.status === 307) && (a.region || AWS_S3_HOST.test(locationOf(a, p.url)?.host ?? ''))) return regionFailure(t, op, a.region, `HTTP ${a.status}${redirectText(a.status, a.headers, p.url)}`, d);
    if (a.status >= 300 && a.status < 400) return s3NotS3(ctx, a, what, base);
    // S3 answers a HEAD signed for the wrong region with a bare 400 that carries the bucket's region in x-amz-bucket-region
    if (a.status === 400 && a.region && a.region !== (st.region ?? 'us-east-1')) return regionFailure(t, op, a.region, `HTTP 400 without a body, x-amz-bucket-region: ${a.region}`, d);
    if (a.status === 404 && !op.objectLevel) return endpointPathFinding(t, op, d, 'NoSuchBucket') ?? noSuchBucket(t, op, d);
    if (a.status === 507) return { status: 'fail', messageId: 'storeFull', cause: cause.backend(`s3 ${p.key}`), message: `${what}: the store answered ${said} (507 Insufficient Storage): its drives are full`, hint: 'free space on the store\'s drives (delete data or add capacity); retrying does not help', details: d };
    if (a.status >= 500) return { status: 'fail', messageId: 'serverError', cause: cause.backend(`s3 ${p.key}`), message: `${what}: the store answered ${said} (server-side; usually transient)`, hint: 'retry; if it persists, check the object store\'s health and logs', details: d };
    return { status: 'fail', messageId: 'unrecognised', message: `${what}: unrecognised answer: ${said} without an error code (${describeAnswer(a)})`, hint: `look at the store's logs for request ${a.headers['x-amz-request-id'] ?? '(no request id)'}`, details: d };
  }
  // "The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access." is KMS too
  const kms = /\bkms\b|KMS\.|^XMinioKMS|key management|x-amz-server-side-encryption|SSE-KMS|customer master key|ciphertext refers to/i.test(`${code} ${msg ?? ''}`);
  const pathed = endpointPathFinding(t, op, d, code, a.body);
  if (pathed) return pathed;
  switch (code) {
    case 'AccessDenied': case 'AllAccessDisabled': {
      if (code === 'AllAccessDisabled') return accountDisabled(t, op, said, d, credCause);
      if (kms) return kmsFailure(st, op, said, d, code);
      // AWS and MinIO answer AccessDenied when x-amz-* headers arrive that the signature does not cover: something on the way added them
      if (/headers present in the request which were not signed/i.test(msg ?? '')) return { status: 'fail', messageId: 'requestAltered', cause: cause.wrongService(p.key), message: `${what}: the store received x-amz-* headers the request was not signed with (${said}): something between here and the store adds them; not a permission`, hint: `connect to the store directly, or stop the proxy or gateway in front of ${p.key} from adding x-amz-* headers (e.g. x-amz-server-side-encryption, x-amz-acl) to requests`, details: d };
      const named = /not authorized to perform: ([a-z0-9-]+:[A-Za-z0-9]+)/.exec(msg ?? '')?.[1] ?? op.action;
      const principal = /User: (arn:[^\s]+) is not authorized/.exec(msg ?? '')?.[1];
      const arn = s3ResourceArn(op.bucket, op.objectLevel);
      const dd = { ...d, permission: named, resource: arn, ...(principal ? { principal } : {}) };
      if (iam) {
        return { status: 'warn', messageId: 'deniedForThisMachine', cause: cause.denied('s3', keyId(st, identity), named), message: `${what} denied (AccessDenied) for ${who}: it lacks ${named} on ${arn}; this says nothing about Flyte's own role (${iamNote(st)})`, hint: `run flyte-doctor --in-cluster to check Flyte's role; Flyte's role needs ${named} on ${arn} (${flyteIdentityText(st)})`, details: dd };
      }
      // AWS names the policy that decided: an explicit Deny wins over any Allow, so "allow X" is then the wrong fix
      const by = denyingPolicy(msg ?? '');
      if (by && by.kind !== 'identity-allow') {
        const subject = principal ?? who;
        const fix: Record<string, string> = {
          'resource-deny': `a Deny statement in the bucket policy of ${op.bucket} matches ${subject} for ${named}; adding an Allow cannot override it: read it (aws s3api get-bucket-policy --bucket ${op.bucket}) and narrow the Deny (its Condition, e.g. aws:SecureTransport, aws:SourceVpce, s3:x-amz-server-side-encryption) or exclude Flyte's identity`,
          'resource-allow': `the bucket policy of ${op.bucket} does not allow ${subject} (another account's bucket needs an Allow for ${named} in its bucket policy, besides the identity policy)`,
          'identity-deny': `a Deny statement in a policy attached to ${subject} matches ${named} on ${arn}: find it (aws iam list-attached-role-policies / list-role-policies, or the user's) and remove or narrow it; another Allow cannot override it`,
          'scp': `an AWS Organizations service control policy denies ${named} to the account; nothing inside the account overrides it: ask the organization's administrators (aws organizations list-policies-for-target)`,
          'rcp': `an AWS Organizations resource control policy denies ${named} on the bucket; nothing inside the account overrides it: ask the organization's administrators`,
          'vpce': `the policy of the S3 VPC endpoint this request went through does not allow ${named} on ${arn}: extend the endpoint policy (aws ec2 describe-vpc-endpoints --filters Name=service-name,Values=com.amazonaws.<region>.s3)`,
          'boundary': `the permissions boundary of ${subject} does not allow ${named}: add it to the boundary policy (aws iam get-role --role-name <role> shows PermissionsBoundary), not only to the role's policy`,
          'session': `the session policy passed when these credentials were issued does not allow ${named}: issue them without that policy or include the action`,
        };
        return { status: 'fail', messageId: 'permissionDenied', cause: cause.denied('s3', keyId(st, identity), named), message: `${what} denied (AccessDenied) for ${principal ? `${principal}, ` : ''}${who} by ${by.text}: ${msg}`, hint: fix[by.kind]!, details: { ...dd, decidedBy: by.text } };
      }
      return { status: 'fail', messageId: 'permissionDenied', cause: cause.denied('s3', keyId(st, identity), named), message: `${what} denied (AccessDenied) for ${principal ? `${principal}, ` : ''}${who}: missing ${named} on ${arn}${msg && !/^access denied\.?$/i.test(msg) ? ` (${msg})` : ''}`, hint: s3GrantHint(st, named, op.bucket, op.objectLevel), details: dd };
    }
    case 'InvalidAccessKeyId':
      if (/disabled|inactive/i.test(msg ?? '')) return accountDisabled(t, op, said, d, credCause);
      if (iam) return machineRejected(st, what, said, d, identity);
      if (swappedKeys(st)) return swappedFinding(t, what, said, d, credCause);
      // AWS answers InvalidAccessKeyId for a temporary key (ASIA...) sent without its session token, which the values cannot carry
      if (/^ASIA[A-Z0-9]{16}$/.test(st.accessKey?.trim() ?? '')) return { status: 'fail', messageId: 'sessionTokenInvalid', cause: credCause, message: `${what} rejected (${said}): ${keyId(st, identity)} is a temporary access key (ASIA...), valid only with the session token it was issued with; ${accessKeyKey}/${secretKeyKey} cannot carry a session token, so the store does not accept it (and it expires within hours anyway)`, hint: `${changeHint(t, 'storage.accessKey', accessKeyKey, 'a long-lived access key id (AKIA..., aws iam create-access-key)')}, with its secret in ${secretKeyKey}; or use authType iam with an IAM role for Flyte's service account (IRSA)${envNote(st)}`, details: { ...d, temporaryKey: true } };
      {
        const ws = surroundingWhitespace(st.accessKey);
        if (ws) return { status: 'fail', messageId: 'unknownAccessKey', cause: credCause, message: `${what} rejected (${said}): the access key id ${ws}, so the store looks up a key that does not exist`, hint: `${changeHint(t, 'storage.accessKey', accessKeyKey, 'the access key id')} with nothing around it${envNote(st)}`, details: { ...d, whitespace: ws } };
      }
      return { status: 'fail', messageId: 'unknownAccessKey', cause: credCause, message: `${what} rejected: the store does not know access key ${keyId(st, identity)} (${said})`, hint: `${changeHint(t, 'storage.accessKey', accessKeyKey, 'an access key id that exists on this store')}, with its secret in ${secretKeyKey}${st.endpoint ? ' (MinIO: mc admin user list / mc admin user svcacct list; a service account created with --expiry no longer exists once it expired)' : ' (aws iam list-access-keys)'}${envNote(st)}`, details: { ...d, precedence: credentialPrecedence(st) } };
    case 'SignatureDoesNotMatch':
      if (iam) return machineRejected(st, what, said, d, identity);
      {
        // S3 signs with the exact bytes of the secret: whitespace around it alone breaks every signature
        const ws = surroundingWhitespace(st.secretKey?.reveal());
        if (ws) return { status: 'fail', messageId: 'wrongSecretKey', cause: credCause, message: `${what} rejected (SignatureDoesNotMatch): the secret key of access key ${keyId(st, identity)} ${ws}; the signature is computed over its exact bytes, so that alone makes every request fail`, hint: `${changeHint(t, 'storage.secretKey', secretKeyKey, `the secret key of access key ${keyId(st, identity)}`)} with nothing around it (a file written by \`echo\` ends with a newline: use \`printf '%s'\`)${envNote(st)}`, details: { ...d, whitespace: ws, precedence: credentialPrecedence(st) } };
      }
      return { status: 'fail', messageId: 'wrongSecretKey', cause: credCause, message: `${what} rejected: the secret key is not the one of access key ${keyId(st, identity)} (SignatureDoesNotMatch)`, hint: `${changeHint(t, 'storage.secretKey', secretKeyKey, `the secret key of access key ${keyId(st, identity)}`)} (no whitespace or newline around it)${envNote(st)}; if a proxy sits in front of the store, it must not change the Host header or path`, details: { ...d, precedence: credentialPrecedence(st) } };
    case 'AccountProblem': case 'NotSignedUp': case 'InvalidPayment': case 'AccountDisabled': case 'XMinioAccountDisabled': case 'UserSuspended': // Ceph RGW: radosgw-admin user suspend
      return accountDisabled(t, op, said, d, credCause);
    case 'ExpiredToken': case 'TokenRefreshRequired': case 'ExpiredTokenException':
      if (iam) return machineRejected(st, what, said, d, identity);
      return { status: 'fail', messageId: 'sessionTokenExpired', cause: credCause, message: `${what} rejected: the temporary credentials of ${who} have expired (${code})`, hint: `temporary (session) credentials cannot live in ${accessKeyKey}/${secretKeyKey}: use a long-lived access key there, or authType iam with IRSA`, details: d };
    case 'InvalidToken': case 'InvalidSecurity': case 'CredentialsNotSupported': case 'InvalidTokenId':
      if (iam) return machineRejected(st, what, said, d, identity);
      return { status: 'fail', messageId: 'sessionTokenInvalid', cause: credCause, message: `${what} rejected: ${said}`, hint: `the credentials of ${who} need a session token that the values cannot carry, or it is invalid: use a long-lived access key in ${accessKeyKey}/${secretKeyKey}, or authType iam with IRSA`, details: d };
    case 'RequestTimeTooSkewed': case 'RequestExpired':
      return { status: 'fail', messageId: 'clockSkew', cause: cause.config('clock'), message: `${what} rejected: this machine's clock differs from the store's by more than S3 allows (${said})`, hint: 'synchronise the clocks with NTP on this machine, the Kubernetes nodes and the store (e.g. `timedatectl set-ntp true`, `chronyc makestep`)', details: { ...d, serverTime: /<ServerTime>([^<]+)</.exec(a.body.toString('utf8'))?.[1] ?? null } };
    case 'AuthorizationHeaderMalformed': case 'AuthorizationQueryParametersError': {
      // "the region 'us-east-1' is wrong; expecting 'eu-west-1'" is the region; "the Credential is mal-formed; expecting
      // "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request"" is the access key id (a slash in it splits the credential scope)
      const credential = /credential is mal-?formed|non-empty Access Key|AKID/i.test(msg ?? '');
      const expect = /expecting '([a-z0-9-]+)'/i.exec(msg ?? '')?.[1] ?? a.region;
      if (expect || !credential && /\bregion\b/.test(msg ?? '')) return regionFailure(t, op, expect, code, d);
      if (iam) return machineRejected(st, what, said, d, identity);
      if (credential && swappedKeys(st)) return swappedFinding(t, what, said, d, credCause);
      if (/non-empty Access Key/i.test(msg ?? '') || credential && !st.accessKey?.trim()) return { status: 'fail', messageId: 'unknownAccessKey', cause: credCause, message: `${what} rejected: the access key id is empty (${said})`, hint: `${changeHint(t, 'storage.accessKey', accessKeyKey, 'the access key id')}, with its secret in ${secretKeyKey}${envNote(st)}`, details: d };
      if (credential) {
        const bad = /[/\s]/.test(st.accessKey ?? '') ? `the access key id ${keyId(st, identity)} contains ${/\//.test(st.accessKey ?? '') ? 'a slash' : 'whitespace'}, which breaks the signature's credential scope` : `the access key id ${keyId(st, identity)} is not in a form the store can parse`;
        return { status: 'fail', messageId: 'unknownAccessKey', cause: credCause, message: `${what} rejected (${said}): ${bad}`, hint: `${changeHint(t, 'storage.accessKey', accessKeyKey, 'the access key id (letters and digits only)')}, with its secret in ${secretKeyKey}${envNote(st)}`, details: d };
      }
      return { status: 'fail', messageId: 'requestRejected', cause: credCause, message: `${what} rejected: ${said}`, hint: `check the access key id in ${accessKeyKey} (no spaces, slashes or line breaks)`, details: d };
    }
    case 'PermanentRedirect': case 'TemporaryRedirect': case 'IllegalLocationConstraintException': case 'InvalidRegion': case 'IncorrectEndpoint':
      // the bucket's region: x-amz-bucket-region / <Region>, "expecting 'eu-west-1'", "The eu-south-1 location constraint is
      // incompatible ...", or the regional host of a PermanentRedirect's <Endpoint> (b.s3.eu-central-1.amazonaws.com)
      return regionFailure(t, op, a.region ?? /expecting '([a-z0-9-]+)'/.exec(msg ?? '')?.[1] ?? /^The ([a-z]{2}(?:-[a-z]+)+-\d) location constraint/.exec(msg ?? '')?.[1]
        ?? /(?:^|\.)s3[.-](?:dualstack\.)?([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com$/.exec(a.redirectEndpoint ?? '')?.[1], code, { ...d, redirectEndpoint: a.redirectEndpoint ?? null });
    case 'NoSuchBucket':
      return withCloseBuckets(ctx, op, noSuchBucket(t, op, d));
    case 'InvalidBucketName': {
      const k = bucketKey(t, op.instanceKey);
      const ws = surroundingWhitespace(op.bucket);
      if (ws) return { status: 'fail', messageId: 'invalidBucketName', cause: cause.config(k), message: `${what}: the bucket name ${JSON.stringify(op.bucket)} ${ws} (${said})`, hint: `set ${k} to ${JSON.stringify(op.bucket.trim())}, with nothing around it`, details: { ...d, whitespace: ws } };
      return { status: 'fail', messageId: 'invalidBucketName', cause: cause.config(k), message: `${what}: "${op.bucket}" is not a valid bucket name (${said})`, hint: `set ${k} to a valid bucket name (3-63 characters: lower-case letters, digits, dots and hyphens; no scheme or path)`, details: d };
    }
    case 'XMinioAdminBucketQuotaExceeded': case 'XMinioBucketQuotaExceeded': case 'QuotaExceeded':
      return { status: 'fail', messageId: 'storeFull', cause: cause.backend(`s3 ${p.key} quota ${op.bucket}`), message: `${what}: the store refuses the write because a quota is used up (${said}); this is neither a permission nor transient`, hint: st.endpoint ? `raise or remove the quota: MinIO: mc quota info <alias>/${op.bucket}, then mc quota set <alias>/${op.bucket} --size <size> or mc quota clear <alias>/${op.bucket}; Ceph RGW: radosgw-admin quota set --quota-scope=bucket --bucket=${op.bucket} --max-size=<bytes> (or --quota-scope=user for the key's user); or delete old data from the bucket` : `raise the quota of the account or bucket (the provider's console), or delete old data from s3://${op.bucket}`, details: d };
    case 'XMinioStorageFull': case 'InsufficientStorage':
      return { status: 'fail', messageId: 'storeFull', cause: cause.backend(`s3 ${p.key}`), message: `${what}: the store's drives are full (${said}); every write to any bucket on ${p.key} fails until space is freed`, hint: 'free space on the store\'s drives (MinIO: mc admin info <alias> shows the drives; delete data, add drives or a server pool); retrying does not help', details: d };
    case 'InternalError': case 'ServiceUnavailable': case 'SlowDown': case 'RequestTimeout': case 'OperationAborted': case 'XMinioServerNotInitialized': case 'XMinioBackendDown': case 'XMinioReadQuorum': case 'XMinioWriteQuorum': case 'InsufficientCapacity': case 'Busy':
      return { status: 'fail', messageId: 'serverError', cause: cause.backend(`s3 ${p.key}`), message: `${what}: the store answered ${said} (server-side${code === 'SlowDown' ? ': request rate too high' : ''})`, hint: code === 'SlowDown' ? 'reduce the request rate (other clients?) and retry' : 'retry; if it persists, check the object store\'s health, disks and logs', details: d };
    case 'NotImplemented': case 'MethodNotAllowed': case 'XMinioNotImplemented': case 'UnsupportedOperation':
      if (kms) return kmsFailure(st, op, said, d, code);
      return { status: 'fail', messageId: 'notS3Api', cause: cause.wrongService(p.key), message: `${what}: ${p.key} does not implement this S3 operation (${said}): a gateway or a server that is not a full S3 API`, hint: `point ${storageKey(st, 'endpoint')} at the store's S3 API itself (not a gateway, a website endpoint or an S3-like proxy)`, details: d };
    // the probe always sends Content-Length (a fixed, small body): a store missing it got the request re-chunked on the way
    case 'XAmzContentSHA256Mismatch': case 'BadDigest': case 'InvalidDigest': case 'XAmzContentChecksumMismatch': case 'IncompleteBody': case 'MissingContentLength':
      return { status: 'fail', messageId: 'requestAltered', cause: cause.wrongService(p.key), message: `${what}: the request body arrived changed (${said})${code === 'MissingContentLength' ? ': the probe sent a Content-Length, the store got none (re-chunked on the way)' : ''}: something between here and the store rewrites requests`, hint: `connect to the store directly, or configure the proxy in front of ${p.key} to pass request bodies unchanged (no re-chunking, no compression)`, details: d };
    // the probe sends no ACL: a bucket with ACLs disabled (Object Ownership: BucketOwnerEnforced) refusing one got it from something on the way
    case 'AccessControlListNotSupported':
      return { status: 'fail', messageId: 'requestAltered', cause: cause.wrongService(p.key), message: `${what}: the store refuses an ACL the probe did not send (${said}): something between here and the store adds an x-amz-acl header, and the bucket has ACLs disabled (Object Ownership: bucket owner enforced)`, hint: `connect to the store directly, or stop the proxy or gateway in front of ${p.key} from adding x-amz-acl (or x-amz-grant-*) headers; Flyte sends no ACL either`, details: d };
    case 'MissingSecurityHeader': case 'InvalidRequest': case 'InvalidArgument': case 'InvalidURI': case 'InvalidEncryptionAlgorithmError': case 'MalformedXML': case 'UnexpectedContent':
      if (kms) return kmsFailure(st, op, said, d, code);
      {
        // Cloudflare R2 checks the form of the key before looking it up: "Credential access key has length 20, should be 32"
        const len = /Credential access key has length (\d+), should be (\d+)/i.exec(msg ?? '');
        if (len && !iam) return { status: 'fail', messageId: 'unknownAccessKey', cause: credCause, message: `${what} rejected: the access key ${keyId(st, identity)} is ${len[1]} characters long, this store's keys have ${len[2]} (${said}): it is a key of another store or account, or cut short`, hint: `${changeHint(t, 'storage.accessKey', accessKeyKey, `an access key id of this store (${len[2]} characters)`)}, with its secret in ${secretKeyKey}${envNote(st)}`, details: { ...d, accessKeyLength: Number(len[1]), expectedLength: Number(len[2]) } };
        if (len) return machineRejected(st, what, said, d, identity);
      }
      return { status: 'fail', messageId: 'requestRejected', message: `${what}: the store refuses the request: ${said}`, hint: requestHint(st, msg ?? ''), details: d };
    default:
      if (code.startsWith('KMS.') || kms) return kmsFailure(st, op, said, d, code);
      if (a.status >= 500) return { status: 'fail', messageId: 'serverError', cause: cause.backend(`s3 ${p.key}`), message: `${what}: the store answered ${said} (server-side)`, hint: 'retry; if it persists, check the object store\'s health and logs', details: d };
      return { status: 'fail', messageId: 'unrecognised', message: `${what}: unrecognised S3 error: ${said}`, hint: `look the code up in the S3 error reference (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html) or the store's documentation; request id ${a.headers['x-amz-request-id'] ?? 'none'}`, details: d };
  }
}

/**
 * Content-MD5 of a probe body. Flyte's S3 client (aws-sdk-go v1, under stow) sends it on every
 * PutObject; S3 refuses writes without it (or a checksum) to a bucket with an Object Lock default
 * retention, so a probe without it would fail where Flyte works.
 */
export function contentMd5(body: Buffer): string {
  return createHash('md5').update(body).digest('base64');
}

function requestHint(st: StorageTarget, msg: string): string {
  if (/Content-MD5|x-amz-checksum/i.test(msg)) return 'the store wants an integrity header (Content-MD5 or x-amz-checksum-*) on writes, as S3 does for a bucket with Object Lock: the probe sends Content-MD5 like Flyte\'s S3 client, so something between here and the store drops it (a proxy or gateway): connect to the store directly or let the proxy pass the header';
  if (/AWS4-HMAC-SHA256|signature version|SigV2|Signature Version 2/i.test(msg)) return `the store wants another signature version: set ${st.valuesKey.startsWith('configuration.') ? 'configuration.storage.providerConfig.s3.v2Signing' : 'the stow config v2_signing'} to match it`;
  if (/virtual|path.?style|host.?style|bucket.*host/i.test(msg)) return 'the store wants another addressing style (path-style vs virtual-hosted): check the endpoint and the store\'s domain settings';
  if (/security-token|session token/i.test(msg)) return 'temporary credentials need their session token; use a long-lived access key in the values, or authType iam';
  return `the store refuses the request form; compare its S3 compatibility notes with Flyte's use (path-style, SigV4) and check ${storageKey(st, 'endpoint')}`;
}

/**
 * Which policy decided an AWS AccessDenied, from AWS's own wording ("with an explicit deny in a
 * resource-based policy", "because no VPC endpoint policy allows ..."). undefined: not said.
 */
export function denyingPolicy(msg: string): { kind: 'identity-allow' | 'resource-allow' | 'resource-deny' | 'identity-deny' | 'scp' | 'rcp' | 'vpce' | 'boundary' | 'session'; text: string } | undefined {
  const m = /(with an explicit deny in an?|because no) (resource-based|identity-based|service control|resource control|VPC endpoint|permissions boundary|session)( policy| policies)?/i.exec(msg);
  if (!m) return undefined;
  const deny = /explicit deny/i.test(m[1]!);
  const what = m[2]!.toLowerCase();
  const text = `${deny ? 'an explicit deny in a' : 'no allow in any'} ${m[2]}${/boundary/.test(what) ? '' : ' policy'}`;
  const kind = what === 'resource-based' ? (deny ? 'resource-deny' : 'resource-allow') : what === 'identity-based' ? (deny ? 'identity-deny' : 'identity-allow')
    : what === 'service control' ? 'scp' : what === 'resource control' ? 'rcp' : what === 'vpc endpoint' ? 'vpce' : what === 'permissions boundary' ? 'boundary' : 'session';
  return { kind, text };
}

/** With authType accesskey, AWS_* variables in this environment change nothing: say so when they are set. */
function envNote(st: StorageTarget): string {
  if (st.authType !== 'accesskey') return '';
  const set = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE'].filter((k) => process.env[k]);
  return set.length ? ` (${set.join('/')} in this environment ${set.length > 1 ? 'are' : 'is'} ignored: with authType accesskey the values' keys win, for Flyte and flyte-doctor alike)` : '';
}

function machineRejected(st: StorageTarget, what: string, said: string, d: Record<string, Json>, id: S3Identity | undefined): S3Outcome {
  return { status: 'warn', messageId: 'thisMachineCredentialsRejected', cause: cause.credentials('s3', keyId(st, id)), message: `cannot be checked from this machine: the store rejected ${identityText(st, id)} for ${what} (${said}); authType iam: Flyte uses its pods' identity instead`, hint: `fix or unset this machine's AWS credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, AWS_PROFILE; aws sso login), or run flyte-doctor --in-cluster`, details: { ...d, precedence: credentialPrecedence(st) } };
}

function accountDisabled(t: Target, op: S3Op, said: string, d: Record<string, Json>, credCause: string): S3Outcome {
  const st = t.storage!;
  const k = st.accessKey ? maskIdentifier(st.accessKey) : '(unset)';
  return { status: 'fail', messageId: 'accountDisabled', cause: credCause, message: `${op.op} on s3://${op.bucket} rejected: the user or account of access key ${k} is disabled (${said})`, hint: `re-enable it (MinIO: mc admin user enable <alias> <user>, or for a service account mc admin user svcacct enable <alias> <access key>; AWS: make the access key Active and check the account's standing), or ${changeHint(t, 'storage.accessKey', storageKey(st, 'accessKey'), 'an enabled access key')}`, details: d };
}

/**
 * KMS behind S3, by what KMS said: the key's state (disabled, pending deletion, deleted or a wrong
 * key id in the bucket's default encryption, throttled) is fixed on the key, not by a grant; only
 * AccessDenied / KMS.AccessDeniedException / "the ciphertext refers to a customer master key ...
 * you are not allowed to access" is the key policy or IAM.
 */
function kmsFailure(st: StorageTarget, op: S3Op, said: string, d: Record<string, Json>, code = ''): S3Outcome {
  const text = `${code} ${said}`;
  const keyArn = /arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(?:key|alias)\/[A-Za-z0-9/_-]+/.exec(said)?.[0];
  const key = keyArn ?? 'the bucket\'s KMS key';
  const keyArg = keyArn ?? '<key-id>';
  const where = `${op.op} on s3://${op.bucket} refused by KMS`;
  const dd = { ...d, ...(keyArn ? { kmsKey: keyArn } : {}) };
  const kmsCause = cause.config(`kms-key:${keyArn ?? op.bucket}`);
  if (/KMS\.DisabledException|\bis disabled\b/i.test(text)) return { status: 'fail', messageId: 'kmsDenied', cause: kmsCause, message: `${where}: ${key} is disabled (${said}); no permission changes this`, hint: `enable the key: aws kms enable-key --key-id ${keyArg} (or point the bucket's default encryption at an enabled key: aws s3api get-bucket-encryption --bucket ${op.bucket}); granting kms:GenerateDataKey or kms:Decrypt does not help while the key is disabled`, details: { ...dd, kmsState: 'disabled' } };
  if (/KMS\.KMSInvalidStateException|pending (deletion|import|replica)|KMSInvalidState/i.test(text)) return { status: 'fail', messageId: 'kmsDenied', cause: kmsCause, message: `${where}: ${key} is not in a usable state (${said})${/pending deletion/i.test(said) ? ': it is scheduled for deletion' : ''}; no permission changes this`, hint: /pending deletion/i.test(said) || !/pending/i.test(said) ? `cancel the deletion and enable the key: aws kms cancel-key-deletion --key-id ${keyArg} && aws kms enable-key --key-id ${keyArg} (aws kms describe-key --key-id ${keyArg} shows its KeyState); or point the bucket's default encryption at a usable key` : `aws kms describe-key --key-id ${keyArg} shows its KeyState: finish the key material import or the replica, or point the bucket's default encryption at a usable key`, details: { ...dd, kmsState: 'invalid' } };
  if (/KMS\.NotFoundException|XMinioKMSKeyNotFound|does not exist(?! in this region, or you are not allowed)|Invalid (arn|keyId)|not ?found/i.test(text) && !/not allowed to access/i.test(text)) return { status: 'fail', messageId: 'kmsDenied', cause: kmsCause, message: `${where}: the KMS key the bucket's encryption names does not exist (${said}): deleted, in another region or account, or a wrong key id`, hint: st.endpoint ? `create the key on the store's KMS (MinIO: mc admin kms key create <alias> <key-name>) or point the bucket's encryption at an existing key (mc encrypt info <alias>/${op.bucket})` : `point the bucket's default encryption at an existing key in the bucket's region (aws s3api get-bucket-encryption --bucket ${op.bucket}; aws s3api put-bucket-encryption ...), or use SSE-S3 (AES256)`, details: { ...dd, kmsState: 'not-found' } };
  if (/KMS\.(ThrottlingException|LimitExceededException)|KMS\.KMSInternalException|KMS\.DependencyTimeoutException/i.test(text)) return { status: 'fail', messageId: 'kmsDenied', cause: cause.backend(`kms ${keyArn ?? op.bucket}`), message: `${where}: KMS is throttling or failing (${said}); not a permission`, hint: 'retry later; for throttling, raise the KMS request quota of the account (Service Quotas) or enable S3 Bucket Keys on the bucket to cut KMS calls', details: { ...dd, kmsState: 'throttled' } };
  if (/KMS is not configured|XMinioKMSNotConfigured/i.test(text)) return { status: 'fail', messageId: 'kmsDenied', cause: cause.config(`kms:${op.bucket}`), message: `${where}: the store has no KMS configured, yet the bucket's encryption (or a request header) asks for SSE-KMS (${said})`, hint: `configure a KMS for the store (MinIO: MINIO_KMS_KES_* or MINIO_KMS_SECRET_KEY) or remove the SSE-KMS default encryption of the bucket (mc encrypt clear <alias>/${op.bucket})`, details: { ...dd, kmsState: 'no-kms' } };
  return { status: 'fail', messageId: 'kmsDenied', message: `${op.op} on s3://${op.bucket} refused by KMS or the bucket's encryption policy: ${said}`, hint: `grant kms:GenerateDataKey and kms:Decrypt on ${key} to ${flyteIdentityText(st)} (key policy and IAM), make sure the key is enabled, or use default bucket encryption instead of a policy that requires SSE headers (Flyte does not send them)`, details: dd };
}

/**
 * A missing bucket: the buckets the same identity can list whose names are close (a typo, another
 * case, a missing suffix) are named, and the fix offers the closest. Best effort: ListBuckets may be
 * denied or slow, and then the finding stays as it was.
 */
async function withCloseBuckets(ctx: CheckContext, op: S3Op, out: S3Outcome): Promise<S3Outcome> {
  try {
    const { ListBucketsCommand } = await import('../../src/sdk/aws.js');
    const { output } = await s3Send<{ Buckets?: { Name?: string }[] }>(ctx, 'ListBuckets', new ListBucketsCommand({}), { timeoutMs: 2000 });
    const names = (output.Buckets ?? []).map((b) => b.Name).filter((n): n is string => typeof n === 'string');
    const close = closeNames(op.bucket, names);
    if (!close.length) return { ...out, details: { ...(out.details as Record<string, Json>), visibleBuckets: names.length } };
    const k = bucketKey(ctx.target, op.instanceKey);
    const best = close[0]!;
    return {
      ...out,
      message: `${out.message}; buckets the same credentials see with a close name: ${close.join(', ')}`,
      hint: `${fixSetting(ctx.target, storageField(op.instanceKey === 'userdata' ? 'userDataBucket' : 'metadataBucket'), k, best) ?? `set ${k}: ${best}`} if that is the bucket meant; else ${out.hint}`,
      details: { ...(out.details as Record<string, Json>), closeBuckets: close },
    };
  } catch {
    return out;
  }
}

/** A custom S3 endpoint's path beyond `/` (`http://minio:9000/flyte` -> `/flyte`) and its origin, else undefined. */
function endpointPath(st: StorageTarget): { path: string; origin: string } | undefined {
  if (!st.endpoint) return undefined;
  try {
    const u = new URL(st.endpoint.trim());
    return u.pathname && u.pathname !== '/' ? { path: u.pathname, origin: u.origin } : undefined;
  } catch { return undefined; }
}

/**
 * aws-sdk-go (Flyte's stow client) and this probe keep an endpoint's path and put the bucket after it
 * (path-style): with http://minio:9000/flyte the store reads `flyte` as the bucket and the configured
 * bucket as a key, so a bucket-level request meets NoSuchBucket (no bucket `flyte`) or NoSuchKey (a
 * bucket `flyte` without that key). One cause for every bucket: the endpoint's path.
 */
function endpointPathFinding(t: Target, op: S3Op, d: Record<string, Json>, code: string, body?: Buffer): S3Outcome | undefined {
  const st = t.storage!;
  const pathed = endpointPath(st);
  if (!pathed || op.objectLevel || (code !== 'NoSuchBucket' && code !== 'NoSuchKey')) return undefined;
  const ep = storageKey(st, 'endpoint');
  const asked = /<BucketName>([^<]*)<\/BucketName>/.exec(body?.toString('utf8') ?? '')?.[1];
  const { path, origin } = pathed;
  const seg = path.split('/').filter(Boolean)[0] ?? '';
  let first = seg;
  try { first = decodeURIComponent(seg); } catch { /* shown as written */ }
  const read = code === 'NoSuchKey' ? `the store answered NoSuchKey: it read ${first || 'the path'} as the bucket and ${op.bucket} as a key in it`
    : asked && asked !== op.bucket ? `the store answered NoSuchBucket for bucket ${asked}, not ${op.bucket}` : `the store answered NoSuchBucket`;
  return {
    status: 'fail', messageId: 'endpointHasPath', cause: cause.config(ep),
    message: `bucket ${op.bucket} not found through the S3 endpoint ${shownEndpoint(st)}, whose path ${path} comes before the bucket in every request (path-style): ${read}`,
    hint: `${storageFix(t, 'endpoint', origin) ?? `set ${ep}: ${origin}`}: an S3 endpoint is scheme://host:port, the bucket names go in ${bucketKey(t, 'metadata')} and ${bucketKey(t, 'userdata')}`,
    details: { ...d, endpointPath: path, ...(asked ? { bucketAsked: asked } : {}) },
  };
}

function noSuchBucket(t: Target, op: S3Op, d: Record<string, Json>): S3Outcome {
  const st = t.storage!;
  const k = bucketKey(t, op.instanceKey);
  return { status: 'fail', messageId: 'noSuchBucket', cause: cause.config(`${k}=${op.bucket}`), message: `bucket ${op.bucket} does not exist (NoSuchBucket); Flyte would try CreateBucket at start, which its identity usually may not do`, hint: `create it beforehand (aws s3 mb s3://${op.bucket}${st.endpoint ? ` --endpoint-url ${shownEndpoint(st)}` : ''} --region ${st.region ?? 'us-east-1'}${st.endpoint ? `, or mc mb <alias>/${op.bucket}` : ''}), or fix the name in ${k}`, details: d };
}

export function regionFailure(t: Target, op: S3Op, actual: string | undefined, how: string, d: Record<string, Json>): Outcome<'wrongRegion'> {
  const st = t.storage!;
  const configured = st.region ?? 'us-east-1';
  const regionKey = storageKey(st, 'region');
  const fix = actual ? storageFix(t, 'region', actual) : undefined;
  return {
    status: 'fail', messageId: 'wrongRegion', cause: cause.config(regionKey),
    message: `bucket ${op.bucket} is ${actual ? `in region ${actual}` : 'in another region'}, the configuration says ${configured} (${how})`,
    hint: fix ?? (actual ? `the region is already ${actual}: the endpoint ${shownEndpoint(st)} serves another region; fix ${storageKey(st, 'endpoint')}` : `set ${regionKey} to the bucket's region (aws s3api get-bucket-location --bucket ${op.bucket})`),
    details: { ...d, configuredRegion: configured, bucketRegion: actual ?? null },
  };
}

/** Pass-message suffix and details for whose identity a probe used. */
export function s3Who(st: StorageTarget, id: S3Identity | undefined): { suffix: string; details: Record<string, Json> } {
  if (st.authType === 'iam') return { suffix: ` as ${identityText(st, id)}, ${iamNote(st).replace(/^with this machine's AWS identity, /, '')}`, details: { identity: identityText(st, id), judgedFor: 'this machine (authType iam)', precedence: credentialPrecedence(st) } };
  return { suffix: '', details: { identity: identityText(st, id) } };
}

// ---------------------------------------------------------------- GCS

export const GCS_FAILURES = {
  permissionDenied: m('fail', 'forbidden: the service account of Flyte\'s key file lacks the storage permission; the permission and principal are named.'),
  deniedForThisMachine: m('warn', 'Application Default Credentials: this machine\'s Google identity was denied; Flyte\'s Workload Identity cannot be judged from here.'),
  credentialsRejected: m('fail', 'The key file\'s credentials were rejected (HTTP 401, invalid_grant: key deleted or revoked, invalid_client).'),
  thisMachineCredentialsRejected: m('warn', 'Application Default Credentials: this machine\'s credentials were rejected (401, invalid_grant); Flyte\'s own identity cannot be judged from here.'),
  noCredentialsHere: m('warn', 'No Google credentials on this machine (GOOGLE_APPLICATION_CREDENTIALS, gcloud ADC, metadata server): Flyte\'s Workload Identity cannot be checked from here.'),
  podHasNoGoogleIdentity: m('fail', 'In the cluster (--in-cluster): the pod has no Google credentials: Workload Identity is not wired (annotation, IAM binding, metadata server).'),
  keyFileUnreadable: m('fail', 'The service-account key file is missing, not JSON, not a service-account key, or its private key cannot sign.'),
  clockSkew: m('fail', 'The token endpoint refused the JWT because of this machine\'s clock (iat/exp out of range).'),
  accountDisabled: m('fail', 'The project\'s billing or the account is disabled (accountDisabled, userProjectAccountProblem).'),
  requesterPays: m('fail', 'The bucket is requester-pays (userProjectMissing): Flyte does not send a billing project.'),
  noSuchBucket: m('fail', 'The bucket does not exist (404 notFound).'),
  invalidBucketName: m('fail', 'The configured bucket name is not a valid GCS bucket name.'),
  apiDisabled: m('fail', '403 accessNotConfigured: the Cloud Storage JSON API is not enabled in the project of the credentials (not a permission).'),
  vpcScDenied: m('fail', 'In the cluster (--in-cluster): 403 vpcServiceControls: a VPC Service Controls perimeter refuses the pod\'s requests (not a permission).'),
  vpcScThisMachine: m('warn', '403 vpcServiceControls from this machine: a VPC Service Controls perimeter refuses this network (not a permission); that says nothing about Flyte\'s pods inside the perimeter.'),
  objectLocked: m('fail', '403 retentionPolicyNotMet / an object hold: the bucket\'s retention policy or a hold forbids deleting and overwriting objects (not a permission).'),
  rateLimited: m('fail', 'rateLimitExceeded / 429: too many requests; retry later.'),
  serverError: m('fail', 'GCS (or a proxy in front of the endpoint) answered a 5xx server error.'),
  notGcs: m('fail', 'Something other than the GCS JSON API answered (an HTML page, an empty answer).'),
  interceptedInFront: m('fail', 'Something between here and GCS answers for itself (a captive portal 511, a web filter 451, a proxy wanting credentials 407, an auth gateway\'s 401/403 login page): the endpoint may be right.'),
  unreachable: m('fail', 'No answer from the endpoint or token endpoint: refused, dropped, no route.'),
  answerStalled: m('fail', 'The endpoint or token endpoint answered with a status and headers, then stopped sending the body (a stuck server or a buffering proxy in front).'),
  dnsFailed: m('fail', 'The endpoint or token host does not resolve.'),
  tlsFailed: m('fail', 'TLS with the endpoint failed (plain-HTTP port, untrusted, expired or wrong-name certificate).'),
  unrecognised: m('fail', 'An answer no other finding covers; the status, reason and message are shown.'),
} as const satisfies Record<string, MessageSpec>;

export type GcsFailureId = keyof typeof GCS_FAILURES;
type GcsOutcome = Outcome<GcsFailureId>;

export interface GcsOp { bucket: string; op: string; permission: string; instanceKey?: string | undefined }

function gcsHostPort(st: StorageTarget, url?: string): { host: string; key: string } {
  const u = new URL(url ?? (st.endpoint ? (/^[a-z]+:\/\//i.test(st.endpoint) ? st.endpoint : `https://${st.endpoint}`) : 'https://storage.googleapis.com'));
  const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  return { host: u.hostname, key: hostPortKey(u.hostname, port) };
}

/** Outcome for an answer without GCS evidence. */
export function gcsNotGcs(ctx: CheckContext, a: GcsAnswer, what: string, details: Record<string, Json>): GcsOutcome {
  const st = ctx.target.storage!;
  const h = gcsHostPort(st);
  const seen = describeAnswer(a);
  const front = interceptedInFront(a);
  if (front) return { status: 'fail', messageId: 'interceptedInFront', cause: cause.frontAuth(h.key), message: `${what}: ${front.text}: ${seen}`, hint: frontHint(front.kind, h.host, h.key, 'GCS', storageKey(st, 'endpoint')), details: { ...details, answeredBy: seen } };
  if (a.status === 502 || a.status === 503 || a.status === 504) return { status: 'fail', messageId: 'serverError', cause: cause.backend(`gcs ${h.key}`), message: `${what}: a proxy at ${h.key} answered ${seen}: what is behind it is down`, hint: `check the GCS endpoint ${st.endpoint ?? 'storage.googleapis.com'} and the proxy's upstream`, details: { ...details, answeredBy: seen } };
  return { status: 'fail', messageId: 'notGcs', cause: cause.wrongService(h.key), message: `${what}: not a GCS answer: ${seen}`, hint: st.endpoint ? `point the GCS endpoint at a GCS JSON API (${st.endpoint} answers something else)` : 'a proxy on the path to storage.googleapis.com answers instead of GCS: check HTTPS_PROXY and the network path', details: { ...details, answeredBy: seen } };
}

function gcsWho(st: StorageTarget, id: GcsIdentity | undefined, principal?: string): string {
  const p = principal ?? id?.principal;
  if (!id || id.mode === 'none') return p ?? 'no credentials (custom endpoint)';
  return `${p ?? 'this machine\'s credentials'} (from ${id.source})`;
}

/** GKE Workload Identity: the metadata server's refusal of a token, told by its status and text. */
function gkeMetadataFinding(t: Target, md: MetadataRefusal): IdentityFinding & { serverSide?: boolean } {
  const ran = /^in-cluster\/([^/]+)\/([^/]+)$/.exec(t.runtime?.ranAt ?? '');
  const ns = ran?.[1] && ran[1] !== 'unknown' ? ran[1] : '<namespace>', ksa = ran?.[2] && ran[2] !== 'unknown' ? ran[2] : '<service-account>';
  const project = md.project ?? '<project>';
  const gsa = md.email && /@.*\.iam\.gserviceaccount\.com$/.test(md.email) ? md.email : undefined;
  const gsaText = gsa ?? '<gsa>@<project>.iam.gserviceaccount.com';
  const said = `HTTP ${md.status}${md.text ? `: ${md.text.split(/(?<=[.!]) /)[0]!.slice(0, 240)}` : ''}`;
  const d: Record<string, Json> = { metadataServer: md.host, metadataStatus: md.status, metadataMessage: md.text.slice(0, 300), googleServiceAccount: md.email ?? null, project: md.project ?? null, kubernetesServiceAccount: `${ns}/${ksa}` };
  const member = `serviceAccount:${project}.svc.id.goog[${ns}/${ksa}]`;
  const annotate = `kubectl annotate serviceaccount -n ${ns} ${ksa} --overwrite iam.gke.io/gcp-service-account=${gsaText}`;
  const text = `${md.text} ${md.email ?? ''}`;
  if (/not annotated|no .*annotation|iam\.gke\.io\/gcp-service-account/i.test(md.text) || md.email && /\.svc\.id\.goog$/.test(md.email) && md.status === 404) {
    return { reason: 'ksa-not-annotated', cause: cause.config(`gke-wi-annotation:${ns}/${ksa}`), text: `the metadata server refused a token (${said}): the Kubernetes service account ${ns}/${ksa} is not annotated with a Google service account`, fix: `${annotate}, grant that GSA roles/iam.workloadIdentityUser for ${member}, and restart the pods`, details: d };
  }
  if (/iamcredentials\.googleapis\.com|IAM Service Account Credentials API/i.test(md.text) && /disabled|not been used|not enabled/i.test(md.text)) {
    return { reason: 'iamcredentials-api-disabled', cause: cause.config(`gcp-api:iamcredentials:${project}`), text: `the metadata server cannot mint a token (${said}): the IAM Service Account Credentials API is disabled in project ${project}`, fix: `gcloud services enable iamcredentials.googleapis.com --project ${project}`, details: d };
  }
  if (/IAM returned 404|does not exist|Gaia id not found|service account .*not found|NOT_FOUND/i.test(text) || md.status === 404) {
    return { reason: 'gsa-missing', cause: cause.config(`gke-wi-gsa:${gsa ?? `${ns}/${ksa}`}`), text: `the metadata server refused a token (${said}): the Google service account ${gsa ?? 'named by the iam.gke.io/gcp-service-account annotation'} does not exist (deleted, mistyped, or of another project)`, fix: `check the annotation of ${ns}/${ksa} (kubectl get serviceaccount -n ${ns} ${ksa} -o jsonpath='{.metadata.annotations.iam\\.gke\\.io/gcp-service-account}'): create that GSA (gcloud iam service-accounts create) or fix the annotation to an existing one (${annotate}); then grant it roles/iam.workloadIdentityUser for ${member} and restart the pods`, details: d };
  }
  if (md.status === 403 || /getAccessToken|workloadIdentityUser|IAM returned 403/i.test(md.text)) {
    return { reason: 'wi-binding-missing', cause: cause.config(`gke-wi-binding:${gsa ?? `${ns}/${ksa}`}`), text: `the metadata server refused a token (${said}): ${ns}/${ksa} may not act as ${gsa ?? 'its Google service account'} (no roles/iam.workloadIdentityUser binding for ${member})`, fix: `gcloud iam service-accounts add-iam-policy-binding ${gsaText} --role roles/iam.workloadIdentityUser --member "${member}" (IAM gives the same 403 when the GSA does not exist: gcloud iam service-accounts describe ${gsaText}); a new binding takes a few minutes`, details: d };
  }
  if (md.status >= 500 || md.status === 429) return { reason: 'metadata-server-error', serverSide: true, cause: cause.backend(`gke-metadata ${md.host}`), text: `the metadata server answered ${said}`, fix: 'retry; if it persists, check the gke-metadata-server pods of the node (kubectl -n kube-system get pods -l k8s-app=gke-metadata-server) and that the node pool runs with --workload-metadata=GKE_METADATA', details: d };
  return { reason: 'unrecognised', cause: cause.credentials('gcs', 'metadata-server'), text: `unrecognised: HTTP ${md.status} ${md.text.slice(0, 300)}`, fix: `look at the metadata server's answer (curl -H 'Metadata-Flavor: Google' http://${md.host}/computeMetadata/v1/instance/service-accounts/default/email from the pod) and the Workload Identity setup of ${ns}/${ksa}`, details: d };
}

export function gcsFailure(ctx: CheckContext, op: GcsOp, e: unknown, id?: GcsIdentity): GcsOutcome {
  if (!(e instanceof GcsProbeError)) throw e;
  const t = ctx.target, st = t.storage!;
  const machine = st.authType !== 'keyfile' && !t.inCluster; // in the cluster the identity is the pod's own (Workload Identity)
  const what = `${op.op} on gs://${op.bucket}`;
  const base: Record<string, Json> = { bucket: op.bucket, operation: op.op, endpoint: st.endpoint ?? 'https://storage.googleapis.com', identity: gcsWho(st, id), authType: st.authType };
  const credCause = cause.credentials('gcs', id?.principal ?? (machine ? 'this-machine' : st.keyFile ?? 'key-file'));
  switch (e.kind) {
    case 'no-credentials':
      if (t.inCluster) return { status: 'fail', messageId: 'podHasNoGoogleIdentity', cause: cause.credentials('gcs', 'pod'), message: `the pod (${t.runtime?.ranAt ?? 'in-cluster'}) has no Google credentials: Workload Identity is not wired (${e.message.split('. ')[0]})`, hint: 'annotate Flyte\'s service account with iam.gke.io/gcp-service-account: <gsa>@<project>.iam.gserviceaccount.com, grant that GSA roles/iam.workloadIdentityUser for serviceAccount:<project>.svc.id.goog[<namespace>/<name>], enable the GKE metadata server on the node pool, and restart the pods', details: base };
      return { status: 'warn', messageId: 'noCredentialsHere', cause: cause.credentials('gcs', 'this-machine'), message: `cannot be checked from this machine: Flyte uses the Google service account of its pods (Workload Identity), and no Google credentials were found here (${e.message.split('. ')[0]})`, hint: 'run flyte-doctor --in-cluster to probe with Flyte\'s identity, or provide credentials here: GOOGLE_APPLICATION_CREDENTIALS=<service-account key of the Flyte GSA> or `gcloud auth application-default login` (an account with the same roles)', details: base };
    case 'key-file':
      return { status: 'fail', messageId: 'keyFileUnreadable', cause: cause.config(storageKey(st, 'keyFile')), message: `${e.message}`, hint: `point ${machine ? 'GOOGLE_APPLICATION_CREDENTIALS' : storageKey(st, 'keyFile')} at the service account's JSON key (gcloud iam service-accounts keys create)`, details: base };
    case 'token': {
      const md = e.evidence.metadata;
      if (md) {
        const w = gkeMetadataFinding(t, md);
        const dd = { ...base, ...w.details, identityFailure: w.reason };
        if (machine) return { status: 'warn', messageId: 'thisMachineCredentialsRejected', cause: w.cause, message: `cannot be checked from this machine: its Google identity (the metadata server here) failed: ${w.text}`, hint: `${w.fix}; this is this machine's identity, not Flyte's: run flyte-doctor --in-cluster to probe with Flyte's own`, details: dd };
        if (w.reason === 'unrecognised') return { status: 'fail', messageId: 'unrecognised', cause: w.cause, message: `the pod's Google identity (${t.runtime?.ranAt ?? 'in-cluster'}): ${w.text}`, hint: w.fix, details: dd };
        if (w.serverSide) return { status: 'fail', messageId: 'serverError', cause: w.cause, message: `the pod's Google identity (${t.runtime?.ranAt ?? 'in-cluster'}): ${w.text}`, hint: w.fix, details: dd };
        return { status: 'fail', messageId: 'podHasNoGoogleIdentity', cause: w.cause, message: `the pod's Workload Identity failed (${t.runtime?.ranAt ?? 'in-cluster'}): ${w.text}`, hint: w.fix, details: dd };
      }
      const desc = `${e.evidence.tokenError ?? ''} ${e.evidence.tokenDescription ?? ''} ${e.message}`;
      if (/iat|exp|short-lived|reasonable timeframe|clock/i.test(desc)) return { status: 'fail', messageId: 'clockSkew', cause: cause.config('clock'), message: `the token endpoint refused the signed JWT: ${e.message} (this machine's clock is off)`, hint: 'synchronise this machine\'s clock with NTP (`timedatectl set-ntp true`)', details: base };
      if (e.answer && !e.evidence.tokenError && !e.answer.json) return gcsNotGcs(ctx, e.answer, 'token request', base);
      const text = `${e.message}: ${/invalid_grant/.test(desc) ? 'the key was deleted or revoked, or the account disabled' : /invalid_client|unauthorized_client/.test(desc) ? 'the client (service account) is unknown or not allowed' : 'the credentials were refused'}`;
      if (machine) return { status: 'warn', messageId: 'thisMachineCredentialsRejected', cause: credCause, message: `cannot be checked from this machine: ${text}`, hint: 'refresh this machine\'s Google credentials (gcloud auth application-default login, or a valid key in GOOGLE_APPLICATION_CREDENTIALS) or run flyte-doctor --in-cluster', details: base };
      return { status: 'fail', messageId: 'credentialsRejected', cause: credCause, message: text, hint: `create a new key for the service account (gcloud iam service-accounts keys create) and point ${storageKey(st, 'keyFile')} at it`, details: base };
    }
    case 'network': {
      const n = e.evidence.net!;
      const h = e.evidence.where ? gcsHostPort(st, `http://${e.evidence.where}`) : gcsHostPort(st);
      const tokenNote = e.op === 'token' ? ' (the token endpoint)' : '';
      const d = { ...base, network: n.kind, code: n.code };
      if (n.kind === 'dns') return { status: 'fail', messageId: 'dnsFailed', cause: cause.dns(h.host), message: `${what}: ${h.host} does not resolve (${n.code})`, hint: st.endpoint ? 'fix the GCS endpoint host' : 'check DNS and network access to storage.googleapis.com from this machine', details: d };
      if (n.kind === 'stalled') return { status: 'fail', messageId: 'answerStalled', cause: cause.backend(`gcs ${h.key}`), message: `${what}: ${h.key}${tokenNote} ${n.message}: the server, or a proxy in front of it, stalls in the middle of its answer`, hint: `check ${h.key} (its health) and any proxy or load balancer between here and it (response buffering, body or idle timeouts)`, details: d };
      if (n.kind.startsWith('tls')) return { status: 'fail', messageId: 'tlsFailed', cause: n.kind === 'tls-plaintext' ? cause.tls('plaintext', h.key) : cause.tls(n.kind === 'tls-untrusted' ? 'untrusted' : n.kind === 'tls-name' ? 'name' : n.kind === 'tls-expired' ? 'expired' : 'handshake', h.key), message: `${what}: TLS with ${h.key} failed: ${n.message}`, hint: n.kind === 'tls-plaintext' ? `${h.key} speaks plain HTTP: use http:// for the endpoint` : 'trust the endpoint\'s CA (NODE_EXTRA_CA_CERTS) or fix its certificate', details: d };
      return { status: 'fail', messageId: 'unreachable', cause: cause.unreachable(h.key), message: `${what}: ${n.kind === 'refused' ? `connection refused by ${h.key}${tokenNote}` : n.kind === 'timeout' ? `no answer from ${h.key}${tokenNote} (${n.message})` : `${h.key}${tokenNote}: ${n.message}`}`, hint: st.endpoint ? 'check the GCS endpoint (host, port) and that it runs' : 'check network access to storage.googleapis.com (firewall, proxy)', details: d };
    }
    case 'answer':
      break;
  }
  const a = e.answer!;
  const reason = a.reason;
  const msg = a.message ?? a.body.subarray(0, 200).toString('utf8').trim();
  const said = `HTTP ${a.status}${reason ? ` ${reason}` : ''}${msg ? `: ${msg.slice(0, 300)}` : ''}`;
  const d: Record<string, Json> = { ...base, httpStatus: a.status, reason: reason ?? null, serverMessage: msg.slice(0, 300) || null };
  const h = gcsHostPort(st);
  if (!a.gcs && !(a.status === 404 && op.op === 'object read')) return gcsNotGcs(ctx, a, what, base);
  if (/billing|accountDisabled|userProjectAccountProblem/i.test(`${reason} ${msg}`)) return { status: 'fail', messageId: 'accountDisabled', cause: cause.config('gcs-billing'), message: `${what}: ${said}`, hint: 'enable billing for the bucket\'s project (or re-enable the account): gcloud billing projects link <project> --billing-account=<id>', details: d };
  if (/userProjectMissing|requester pays/i.test(`${reason} ${msg}`)) return { status: 'fail', messageId: 'requesterPays', message: `${what}: gs://${op.bucket} is a requester-pays bucket (${said}); Flyte does not send a billing project`, hint: `disable requester pays (gcloud storage buckets update gs://${op.bucket} --no-requester-pays) or use another bucket`, details: d };
  if (a.status === 429 || /rateLimitExceeded|userRateLimitExceeded|quotaExceeded/.test(reason ?? '')) return { status: 'fail', messageId: 'rateLimited', message: `${what}: rate limited (${said})`, hint: 'retry later; reduce request rates of other clients of the bucket or project', details: d };
  if (a.status === 403) {
    const text = `${reason ?? ''} ${msg}`;
    if (/accessNotConfigured|SERVICE_DISABLED|has not been used in project|API .*is disabled/i.test(text)) {
      const project = /project[= ](\d+|[a-z][a-z0-9-]{4,28}[a-z0-9])\b/.exec(msg)?.[1] ?? st.projectId;
      return { status: 'fail', messageId: 'apiDisabled', cause: cause.config(`gcs-api:${project ?? 'project'}`), message: `${what}: the Cloud Storage JSON API is not enabled in project ${project ?? '(the credentials\' project)'} (${said}); no IAM grant changes this`, hint: `gcloud services enable storage-api.googleapis.com storage.googleapis.com --project ${project ?? '<project>'} (the project of ${gcsWho(st, id)}), then wait a few minutes`, details: { ...d, project: project ?? null } };
    }
    if (/vpcServiceControls|prohibited by organi[sz]ation'?s policy|VPC Service Controls/i.test(text)) {
      const vpcId = /vpcServiceControlsUniqueIdentifier:\s*([A-Za-z0-9_-]+)/.exec(msg)?.[1];
      const dd = { ...d, vpcServiceControlsUniqueIdentifier: vpcId ?? null };
      if (!t.inCluster) return { status: 'warn', messageId: 'vpcScThisMachine', cause: cause.config('gcs-vpc-service-controls'), message: `cannot be checked from this machine: ${what} refused by a VPC Service Controls perimeter (${said}): this machine's network is outside the perimeter, which says nothing about Flyte's pods inside it; no IAM grant changes this`, hint: `run flyte-doctor --in-cluster (inside the perimeter); or add an access level for this machine's address to the perimeter (look the request up with the troubleshooter: gcloud access-context-manager ... or the console's VPC Service Controls troubleshooter with id ${vpcId ?? '<vpcServiceControlsUniqueIdentifier>'})`, details: dd };
      return { status: 'fail', messageId: 'vpcScDenied', cause: cause.config('gcs-vpc-service-controls'), message: `${what} refused by a VPC Service Controls perimeter (${said}): the pod's network or identity is outside the perimeter of the bucket's project`, hint: `add the cluster's project (or an ingress rule for ${gcsWho(st, id)}) to the perimeter of the bucket's project; the troubleshooter takes the id ${vpcId ?? '<vpcServiceControlsUniqueIdentifier>'}`, details: dd };
    }
    if (/retentionPolicyNotMet|retention policy|object retention|active (Event-Based|Temporary) hold|under active .*hold/i.test(text)) {
      return { status: 'fail', messageId: 'objectLocked', cause: cause.config(`gcs-retention:${op.bucket}`), message: `${what} refused by a retention rule of gs://${op.bucket} (${said}): objects cannot be deleted or overwritten before their retention ends; this is not a missing permission`, hint: `Flyte overwrites objects (retries, re-runs) and its operators delete old data: use a bucket without a retention policy or default event-based hold for Flyte (gcloud storage buckets describe gs://${op.bucket} --format="default(retention_policy,default_event_based_hold)"; remove an unlocked policy with gcloud storage buckets update gs://${op.bucket} --clear-retention-period); a locked policy cannot be removed`, details: d };
    }
  }
  if (a.status === 401) {
    const anonymous = /anonymous caller/i.test(msg);
    if (machine) return { status: 'warn', messageId: 'thisMachineCredentialsRejected', cause: credCause, message: `cannot be checked from this machine: ${anonymous ? 'the request went without credentials' : 'this machine\'s Google credentials were rejected'} (${said})`, hint: 'provide valid credentials here (GOOGLE_APPLICATION_CREDENTIALS, gcloud auth application-default login) or run flyte-doctor --in-cluster', details: d };
    return { status: 'fail', messageId: 'credentialsRejected', cause: credCause, message: `${what}: the key file's credentials were rejected (${said})`, hint: `create a new key (gcloud iam service-accounts keys create) and point ${storageKey(st, 'keyFile')} at it`, details: d };
  }
  if (a.status === 403) {
    const named = /does not have ([a-z]+\.[a-zA-Z]+\.[a-zA-Z]+) access/.exec(msg)?.[1] ?? /Permission '([a-z]+\.[a-zA-Z]+\.[a-zA-Z]+)'/.exec(msg)?.[1] ?? op.permission;
    const principal = /^(\S+@\S+) does not have/.exec(msg)?.[1] ?? id?.principal;
    const dd = { ...d, permission: named, ...(principal ? { principal } : {}) };
    if (machine) return { status: 'warn', messageId: 'deniedForThisMachine', cause: cause.denied('gcs', principal ?? 'this-machine', named), message: `${what} denied for ${gcsWho(st, id, principal)}: it lacks ${named}; this says nothing about Flyte's own service account (${iamNote(st)})`, hint: `run flyte-doctor --in-cluster to check Flyte's identity; it needs ${named} on gs://${op.bucket}`, details: dd };
    return { status: 'fail', messageId: 'permissionDenied', cause: cause.denied('gcs', principal ?? 'key-file', named), message: `${what} denied (403 ${reason ?? 'forbidden'}) for ${gcsWho(st, id, principal)}: missing ${named}`, hint: gcsGrantHint(st, named, op.bucket, principal), details: dd };
  }
  if (a.status === 404 && op.op === 'bucket lookup') {
    const k = bucketKey(t, op.instanceKey);
    return { status: 'fail', messageId: 'noSuchBucket', cause: cause.config(`${k}=${op.bucket}`), message: `bucket gs://${op.bucket} does not exist (${said})`, hint: `create it (gcloud storage buckets create gs://${op.bucket}) or fix the name in ${k}`, details: d };
  }
  // only the bucket's name: "Invalid bucket name: 'X'" (reason invalid); not every 400 whose text says "bucket"
  // ("... when uniform bucket-level access is enabled", a bucket's settings)
  if (a.status === 400 && /invalid/i.test(`${reason} ${msg}`) && /bucket name|invalid bucket\b(?!-)/i.test(msg) && !/uniform bucket-level access/i.test(msg)) {
    const k = bucketKey(t, op.instanceKey);
    return { status: 'fail', messageId: 'invalidBucketName', cause: cause.config(k), message: `${what}: ${said}`, hint: `set ${k} to a valid bucket name (3-63 lower-case letters, digits, dashes, underscores, dots; no gs:// or path)`, details: d };
  }
  if (a.status >= 500) return { status: 'fail', messageId: 'serverError', cause: cause.backend(`gcs ${h.key}`), message: `${what}: GCS answered ${said} (server-side, usually transient)`, hint: 'retry; check https://status.cloud.google.com if it persists', details: d };
  return { status: 'fail', messageId: 'unrecognised', message: `${what}: unrecognised answer: ${said}`, hint: 'look the reason up in the Cloud Storage JSON API error reference (https://cloud.google.com/storage/docs/json_api/v1/status-codes)', details: d };
}

/** Pass suffix and details: whose identity the GCS probe used. */
export function gcsWhoNote(st: StorageTarget, id: GcsIdentity | undefined): { suffix: string; details: Record<string, Json> } {
  const who = gcsWho(st, id);
  if (st.authType !== 'keyfile' && id?.mode === 'adc') return { suffix: ` as ${who}, ${iamNote(st).replace(/^with this machine's Google credentials, /, '')}`, details: { identity: who, judgedFor: 'this machine (Application Default Credentials)' } };
  return { suffix: '', details: { identity: who } };
}

// ---------------------------------------------------------------- Azure Blob

// Started from the Azure Blob REST error codes (common and blob service codes) a probe can meet.
// Azurite answers authentication failures with AuthorizationFailure and the AuthenticationFailed
// text, and real Azure adds <AuthenticationErrorDetail>: both are read, and for a SAS its own
// start/expiry are compared with this machine's clock and the server's Date header.
export const AZURE_FAILURES = {
  permissionDenied: m('fail', 'AuthorizationPermissionMismatch: the identity (role assignment or SAS permissions) does not allow this operation; the missing permission, role and command are named.'),
  deniedForThisMachine: m('warn', 'Azure AD from this machine was denied; Flyte\'s Workload Identity cannot be judged from here.'),
  sasScopeMismatch: m('fail', 'AuthorizationResourceTypeMismatch / AuthorizationServiceMismatch: the account SAS does not cover this resource type (srt) or the blob service (ss).'),
  sourceIpMismatch: m('fail', 'AuthorizationSourceIPMismatch: the SAS is limited to other IP addresses (sip).'),
  protocolMismatch: m('fail', 'AuthorizationProtocolMismatch: the SAS requires HTTPS (spr=https) and the endpoint is http://.'),
  networkRulesDenied: m('fail', 'AuthorizationFailure: the storage account\'s firewall / virtual network rules (or private endpoint) refuse this address, or the identity has no data role at all.'),
  keyAuthNotPermitted: m('fail', 'KeyBasedAuthenticationNotPermitted: the account disallows shared key (and key-signed SAS) access (allowSharedKeyAccess=false).'),
  wrongAccountKey: m('fail', 'AuthenticationFailed with the account key: the key is not one of the account\'s keys (rotated, mistyped, another account\'s).'),
  sasExpired: m('fail', 'AuthenticationFailed with a SAS whose expiry (se) has passed, or whose start (st) is after its expiry.'),
  sasNotYetValid: m('fail', 'AuthenticationFailed with a SAS whose start time (st) is still in the future (or this machine\'s clock is behind).'),
  sasSignatureInvalid: m('fail', 'AuthenticationFailed with a valid-looking SAS: its signature does not match (signed with a rotated or another key, or altered).'),
  clockSkew: m('fail', 'AuthenticationFailed because this machine\'s clock differs from the server\'s by more than 15 minutes.'),
  credentialsRejected: m('fail', 'InvalidAuthenticationInfo / 401 / AuthenticationFailed with an Azure AD token: the token is not accepted (audience, tenant, expired).'),
  thisMachineCredentialsRejected: m('warn', 'Azure AD from this machine was rejected; Flyte\'s Workload Identity cannot be judged from here.'),
  accountDisabled: m('fail', 'AccountIsDisabled / AccountBeingCreated: the storage account cannot be used.'),
  insufficientAccountPermissions: m('fail', 'InsufficientAccountPermissions: the storage account (its kind or tier) does not allow this operation.'),
  containerNotFound: m('fail', 'ContainerNotFound: the container does not exist in the account (Flyte would try to create it at start).'),
  accountNotFound: m('fail', 'The storage account does not exist: its blob host does not resolve, or the server answers ResourceNotFound for the account.'),
  invalidName: m('fail', 'InvalidResourceName / OutOfRangeInput: the container name is not a valid Azure container name.'),
  objectLocked: m('fail', 'LeaseIdMissing / BlobImmutableDueToPolicy / ContainerBeingDeleted: a lease, immutability policy or deletion in progress blocks the operation.'),
  requestRejected: m('fail', 'InvalidHeaderValue / UnsupportedHeader / InvalidQueryParameterValue / Md5Mismatch: the server refuses the form of the request (API version too new for Azurite or Azure Stack, a proxy changing it).'),
  serverError: m('fail', 'Azure Storage (or a proxy in front) answered a server-side error: ServerBusy, InternalError, OperationTimedOut, 5xx.'),
  notAzure: m('fail', 'Something other than Azure Blob Storage answered (an HTML page, an empty answer, another API).'),
  interceptedInFront: m('fail', 'Something between here and Azure Storage answers for itself (a captive portal 511, a web filter 451, a proxy wanting credentials 407, an auth gateway\'s 401/403 login page): the endpoint may be right.'),
  unreachable: m('fail', 'No answer from the blob endpoint: connection refused, dropped (timeout) or no route.'),
  dnsFailed: m('fail', 'The blob endpoint host does not resolve (not an account name: a custom endpoint or DNS).'),
  tlsToPlainPort: m('fail', 'The endpoint is https:// but the port speaks plain HTTP.'),
  plainToTlsPort: m('fail', 'The endpoint is http:// but the port speaks TLS (HTTPS).'),
  tlsFailed: m('fail', 'TLS with the blob endpoint failed: certificate not trusted, expired or for another name, or the handshake failed.'),
  noAccount: m('fail', 'Neither a storage account nor an endpoint is configured: nothing to dial.'),
  noCredentialsHere: m('warn', 'No account key or SAS in the configuration and no Azure AD credential on this machine: Flyte\'s Workload Identity cannot be checked from here.'),
  localCredentialsFailed: m('warn', 'An Azure AD credential on this machine failed to give a token (az login expired, a wrong federated token); nothing was probed.'),
  podHasNoIdentity: m('fail', 'In the cluster (--in-cluster): no account key and the pod has no Azure identity: Workload Identity is not wired (label azure.workload.identity/use, annotation azure.workload.identity/client-id, federated credential).'),
  podIdentityFailed: m('fail', 'In the cluster (--in-cluster): the pod\'s federated token could not be exchanged for an Azure AD token (federated credential subject/issuer, client id, tenant).'),
  unrecognised: m('fail', 'An answer no other finding covers; the status, error code and message are shown.'),
} as const satisfies Record<string, MessageSpec>;

export type AzureFailureId = keyof typeof AZURE_FAILURES;
type AzureOutcome = Outcome<AzureFailureId>;

/** Azure probe states in which the later checks cannot say anything from here. */
export const AZURE_CANNOT_PROBE = ['noCredentialsHere', 'localCredentialsFailed', 'thisMachineCredentialsRejected'];

export interface AzureOp { container: string; op: AzureOpName; name: string; instanceKey?: string | undefined }

function azHp(st: StorageTarget): { host: string; port: number; key: string; tls: boolean; url: string } {
  const p = azureEndpointParts(st) ?? { url: azureAccountUrl(st) ?? '(none)', host: 'unknown', port: 0, tls: true };
  return { ...p, key: hostPortKey(p.host, p.port) };
}

/** "with the account key (…key)" / "with a SAS (sp=rl, expires …)" / "as Azure AD … from …": the auth mode, for pass messages and details. */
export function azureWho(st: StorageTarget, id: AzureIdentity | undefined, t?: Target): { suffix: string; details: Record<string, Json> } {
  if (!id) return { suffix: '', details: {} };
  if (id.mode === 'key') return { suffix: ` (auth: account key of ${st.account ?? 'the account'}, ${storageKey(st, 'secretKey')})`, details: { authMode: 'account key', keySource: storageKey(st, 'secretKey') } };
  if (id.mode === 'sas') {
    const s = id.sas;
    const src = t ? (setting(t, 'storage.sasToken').source ?? 'a SAS token') : 'a SAS token';
    return { suffix: ` (auth: SAS token from ${src}${s?.permissions ? `, permissions sp=${s.permissions}` : ''}${s?.expiry ? `, expires ${s.expiry}` : ''}${s?.userDelegation ? ', user delegation' : ''})`, details: { authMode: 'SAS token', sasSource: src, sasPermissions: s?.permissions ?? null, sasExpiry: s?.expiry ?? null } };
  }
  const machine = !t?.inCluster;
  return {
    suffix: ` (auth: Azure AD token from ${id.source}${id.principal ? `, ${id.principal}` : ''}${machine ? `; this machine's identity, not the Workload Identity of Flyte's pods${st.flyteIdentity ? ` (${st.flyteIdentity})` : ''}: run flyte-doctor --in-cluster for the backend's view` : ''})`,
    details: { authMode: 'Azure AD token', credential: id.source, principal: id.principal ?? null, judgedFor: machine ? 'this machine' : 'the pod' },
  };
}

/** Outcome for an answer without Azure evidence. */
export function azureNotAzure(ctx: CheckContext, a: AzureAnswer, what: string, details: Record<string, Json>): AzureOutcome {
  const st = ctx.target.storage!;
  const h = azHp(st);
  const seen = describeAnswer({ status: a.status, headers: a.headers, body: Buffer.from(a.body) });
  const front = interceptedInFront({ status: a.status, headers: a.headers, body: a.body });
  if (front) return { status: 'fail', messageId: 'interceptedInFront', cause: cause.frontAuth(h.key), message: `${what}: ${front.text}: ${seen}`, hint: frontHint(front.kind, h.host, h.key, 'Blob', storageKey(st, st.endpoint ? 'endpoint' : 'account')), details: { ...details, answeredBy: seen } };
  if (a.status === 502 || a.status === 503 || a.status === 504) return { status: 'fail', messageId: 'serverError', cause: cause.backend(`azure ${h.key}`), message: `${what}: a proxy at ${h.key} answered ${seen}: what is behind it is down`, hint: `check the blob endpoint ${h.url} and the proxy's upstream`, details: { ...details, answeredBy: seen } };
  return { status: 'fail', messageId: 'notAzure', cause: cause.wrongService(h.key), message: `${what}: not an Azure Blob Storage answer: ${seen}`, hint: st.endpoint ? `point ${storageKey(st, 'endpoint')} at the blob service (${st.endpoint} answers something else)` : `a proxy on the path to ${h.host} answers instead of Azure Storage: check HTTPS_PROXY and the network path`, details: { ...details, answeredBy: seen } };
}

function sasTimes(id: AzureIdentity | undefined, now: number): { expired?: boolean; notYet?: boolean; inverted?: boolean; expiry?: string; start?: string } {
  const s = id?.sas;
  if (!s) return {};
  const se = s.expiry ? Date.parse(s.expiry) : NaN, stt = s.start ? Date.parse(s.start) : NaN;
  return {
    ...(s.expiry ? { expiry: s.expiry } : {}), ...(s.start ? { start: s.start } : {}),
    ...(Number.isFinite(se) && se <= now ? { expired: true } : {}),
    ...(Number.isFinite(stt) && stt > now ? { notYet: true } : {}),
    ...(Number.isFinite(se) && Number.isFinite(stt) && stt >= se ? { inverted: true } : {}),
  };
}

/** Outcome for a network failure of an Azure call. */
async function azureNetFailure(ctx: CheckContext, net: NetFailure, what: string, details: Record<string, Json>): Promise<AzureOutcome> {
  const st = ctx.target.storage!;
  const p = azHp(st);
  const d = { ...details, network: net.kind, code: net.code };
  const ep = st.endpoint ? storageKey(st, 'endpoint') : storageKey(st, 'account');
  switch (net.kind) {
    case 'dns':
      if (!st.endpoint && st.account && /\.blob\./.test(p.host)) {
        const suffix = st.domainSuffix ?? 'core.windows.net';
        return { status: 'fail', messageId: 'accountNotFound', cause: cause.dns(p.host), message: `${what}: ${p.host} does not resolve (${net.code}): there is no storage account ${st.account}${st.domainSuffix ? ` under ${suffix}` : ''} (or DNS from here fails)`, hint: `check the account name in ${storageKey(st, 'account')} (az storage account list --query "[].name")${st.domainSuffix ? ` and the suffix in ${storageKey(st, 'domainSuffix')}` : ''}; a private endpoint needs the privatelink.blob.${suffix} DNS zone where flyte-doctor runs`, details: d };
      }
      return { status: 'fail', messageId: 'dnsFailed', cause: cause.dns(p.host), message: `${what}: the endpoint host ${p.host} does not resolve (${net.code})${isClusterInternal(p.host) ? '; it is a cluster-internal name' : ''}`, hint: `fix the host in ${ep}, or run flyte-doctor where the name resolves (--in-cluster)`, details: d };
    case 'refused': case 'timeout': case 'unreachable': {
      let how = net.kind === 'refused' ? `connection refused by ${p.key}: nothing listens there` : `${p.key} is unreachable (${net.code})`;
      if (net.kind === 'timeout') {
        const left = ctx.remainingMs() - 300;
        const ev = left > 400 ? await whatListens(p.host, p.port, ctx.target.dnsServer, Math.min(800, left)) : {};
        how = ev.service?.kind === 'silent' ? `${p.key} accepts connections but never answers (${net.message})` : ev.service?.kind === 'unreachable' ? `connections to ${p.key} time out: dropped by a firewall, or a wrong address (${net.message})` : `no answer from ${p.key} (${net.message})`;
      }
      return { status: 'fail', messageId: 'unreachable', cause: cause.unreachable(p.key), message: `${what}: ${how}`, hint: `check ${ep} and that the blob service runs and is reachable from here (firewall, proxy, private endpoint)`, details: d };
    }
    case 'tls-plaintext':
      return { status: 'fail', messageId: 'tlsToPlainPort', cause: cause.tls('plaintext', p.key), message: `${what}: ${p.key} answered the TLS handshake with plain text: the port speaks HTTP, not HTTPS`, hint: `use http:// in ${ep}, or serve TLS on ${p.key}`, details: d };
    case 'tls-untrusted': case 'tls-name': case 'tls-expired': case 'tls-other': {
      const kind = net.kind === 'tls-untrusted' ? 'untrusted' : net.kind === 'tls-name' ? 'name' : net.kind === 'tls-expired' ? 'expired' : 'handshake';
      return { status: 'fail', messageId: 'tlsFailed', cause: cause.tls(kind, p.key), message: `${what}: TLS with ${p.key} failed: ${net.message}`, hint: kind === 'untrusted' ? 'serve a certificate from a CA the Flyte pods and clients trust, or add the CA to their trust stores (NODE_EXTRA_CA_CERTS for flyte-doctor); a TLS-inspecting proxy on the path does the same' : kind === 'name' ? `serve a certificate for ${p.host}, or use the name on the certificate in ${ep}` : kind === 'expired' ? `renew the certificate of ${p.key}` : `check the TLS setup of ${p.key} (protocol versions, ciphers)`, details: d };
    }
    default: {
      const ev = await whatListens(p.host, p.port, ctx.target.dnsServer, Math.min(1500, Math.max(300, ctx.remainingMs() - 500)));
      if (ev.tls && !p.tls) return { status: 'fail', messageId: 'plainToTlsPort', cause: cause.wrongService(p.key), message: `${what}: ${p.key} closed the plain HTTP request (${net.code}): it speaks TLS (${ev.tls.protocol}${ev.tls.subject ? `, ${ev.tls.subject}` : ''})`, hint: `use https:// in ${ep}`, details: { ...d, listening: 'tls' } };
      const seen = ev.service ? describeService(ev.service) : undefined;
      if (seen && ev.service?.kind !== 'http') return { status: 'fail', messageId: 'notAzure', cause: cause.wrongService(p.key), message: `${what}: something else listens on ${p.key}: ${seen} (${net.message})`, hint: `point ${ep} at the blob service`, details: { ...d, listening: seen } };
      return { status: 'fail', messageId: 'unreachable', cause: cause.unreachable(p.key), message: `${what}: ${p.key} closed the connection without an HTTP answer (${net.code}: ${net.message})`, hint: `check ${ep} and the network path (a proxy or load balancer dropping requests)`, details: d };
    }
  }
}

/** Every way an Azure Blob call can fail, mapped from the evidence to a finding. */
/** Azure Workload Identity (AZURE_FEDERATED_TOKEN_FILE + AZURE_CLIENT_ID + AZURE_TENANT_ID): the finding for a failed token exchange, or undefined when Workload Identity is not in play. */
function azureWorkloadIdentityFinding(ctx: CheckContext, e: AzureProbeError, env: NodeJS.ProcessEnv = process.env): IdentityFinding | undefined {
  const t = ctx.target;
  const file = env['AZURE_FEDERATED_TOKEN_FILE'], client = env['AZURE_CLIENT_ID'], tenant = env['AZURE_TENANT_ID'];
  if (!file && !e.evidence.workloadIdentity) return undefined;
  const f = tokenFacts(ctx, file);
  const base: Record<string, Json> = { clientId: client ?? null, tenantId: tenant ?? null, ...tokenDetails(f) };
  const restart = 'restart the pods (the Azure Workload Identity webhook injects AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE and the token volume only when a pod is created)';
  const missing = [!client && 'AZURE_CLIENT_ID', !tenant && 'AZURE_TENANT_ID'].filter((x): x is string => !!x);
  if (missing.length) return { reason: 'workload-identity-incomplete', cause: cause.config(missing[0]!), text: `AZURE_FEDERATED_TOKEN_FILE=${file} is set but ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not, so no credential uses the token`, fix: `label the pods azure.workload.identity/use: "true" and annotate Flyte's service account with azure.workload.identity/client-id: <client id of the managed identity>${!tenant ? ' (and azure.workload.identity/tenant-id, or the webhook\'s default tenant)' : ''}, then ${restart}`, details: base };
  const fileIssue = tokenFileFinding(f, 'AZURE_FEDERATED_TOKEN_FILE', 'the Azure Workload Identity webhook mounts the projected token at /var/run/secrets/azure/tokens/azure-identity-token in pods labelled azure.workload.identity/use: "true"', 'the webhook');
  if (fileIssue) return fileIssue;
  if (e.kind === 'no-credentials') return undefined;
  const code = e.evidence.aadsts;
  const msg = e.message.replace(/^.*? failed: /, '');
  const d: Record<string, Json> = { ...base, aadsts: code ? `AADSTS${code}` : null, entraMessage: msg.slice(0, 400) };
  const iss = /Assertion Issuer: '([^']+)'/.exec(msg)?.[1] ?? f.iss ?? '<the cluster\'s OIDC issuer URL>';
  const sub = /Assertion Subject: '([^']+)'/.exec(msg)?.[1] ?? subjectOf(t, f);
  const aud = /Assertion Audience: '([^']+)'/.exec(msg)?.[1] ?? f.aud?.join(',');
  const fedCreate = `az identity federated-credential create --name flyte --identity-name <managed identity of client ${client}> --resource-group <rg> --issuer ${iss} --subject ${sub} --audience api://AzureADTokenExchange`;
  const issuerCheck = 'az aks show -g <rg> -n <cluster> --query oidcIssuerProfile.issuerUrl -o tsv';
  switch (code) {
    case '70021':
      return { reason: 'federated-credential-missing', cause: cause.config(`azure-federated-credential:${client}`), text: `Entra ID found no federated credential on client ${client} for this token (issuer ${iss}, subject ${sub}${aud ? `, audience ${aud}` : ''}): ${msg.slice(0, 240)}`, fix: `add one with exactly that issuer and subject: ${fedCreate} (the issuer must be ${issuerCheck}, with its trailing slash as printed)`, details: d };
    case '700211':
      return { reason: 'federated-issuer-mismatch', cause: cause.config(`azure-federated-credential:${client}`), text: `Entra ID has no federated credential on client ${client} for the token's issuer ${iss} (${msg.slice(0, 200)})`, fix: `set the federated credential's issuer to the cluster's OIDC issuer, exactly (${issuerCheck}; trailing slash included), or enable the cluster's OIDC issuer (az aks update --enable-oidc-issuer --enable-workload-identity)`, details: d };
    case '700212':
      return { reason: 'federated-audience-mismatch', cause: cause.config(`azure-federated-credential:${client}`), text: `Entra ID has no federated credential on client ${client} for the token's audience ${aud ?? '(unknown)'} (${msg.slice(0, 200)})`, fix: aud && aud !== 'api://AzureADTokenExchange' ? 'project the token with audience api://AzureADTokenExchange (the webhook does; the service account annotation azure.workload.identity/... or a hand-written projected volume changed it), then restart the pods' : `set the federated credential's audience to api://AzureADTokenExchange (az identity federated-credential update ... --audience api://AzureADTokenExchange)`, details: d };
    case '700213':
      return { reason: 'federated-subject-mismatch', cause: cause.config(`azure-federated-credential:${client}`), text: `Entra ID has no federated credential on client ${client} for the subject ${sub} (${msg.slice(0, 200)})`, fix: `the federated credential's subject must be exactly ${sub} (namespace and service account of the pod): ${fedCreate}`, details: d };
    case '700016':
      return { reason: 'client-not-found', cause: cause.config(`azure.workload.identity/client-id=${client}`), text: `Entra ID knows no application ${client} in tenant ${tenant} (${msg.slice(0, 200)}): AZURE_CLIENT_ID is not the client id of an identity in this tenant`, fix: `set the annotation azure.workload.identity/client-id of Flyte's service account to the managed identity's client id (az identity show -g <rg> -n <identity> --query clientId -o tsv), in tenant ${tenant}, and ${restart}`, details: d };
    case '90002': case '900023': case '90072':
      return { reason: 'tenant-not-found', cause: cause.config(`AZURE_TENANT_ID=${tenant}`), text: `Entra ID does not know tenant ${tenant} (${msg.slice(0, 200)})`, fix: `AZURE_TENANT_ID must be the tenant of the managed identity (az account show --query tenantId -o tsv): set the annotation azure.workload.identity/tenant-id on Flyte's service account (or the webhook's azureTenantID) and ${restart}`, details: d };
    case '700024': {
      const now = ctx.clock.now();
      if (f.exp !== undefined && f.exp * 1000 <= now) return { reason: 'token-expired', cause: cause.config(`AZURE_FEDERATED_TOKEN_FILE=${file}`), text: `Entra ID says the federated token is outside its valid time range (${msg.slice(0, 200)}): the token in ${file} expired at ${new Date(f.exp * 1000).toISOString()}: nothing refreshes the file`, fix: 'mount the token as a projected serviceAccountToken volume (the kubelet rotates it; the webhook does this), not a copied token; restart the pods', details: d };
      return { reason: 'clock', cause: cause.config('clock'), text: `Entra ID says the federated token is outside its valid time range (${msg.slice(0, 200)}) though it is valid by this clock${f.exp !== undefined ? ` until ${new Date(f.exp * 1000).toISOString()}` : ''}: the node's clock is off`, fix: 'synchronise the node\'s clock with NTP (`timedatectl set-ntp true`, `chronyc makestep`)', details: d };
    }
    case '50166': case '700027': case '5002738':
      return { reason: 'issuer-keys', cause: cause.backend(`oidc-issuer ${f.iss ?? iss}`), text: `Entra ID could not verify the token with its issuer's published keys (${msg.slice(0, 200)})`, fix: `the issuer ${iss} must serve /.well-known/openid-configuration and its JWKS over public HTTPS (AKS does when the OIDC issuer is enabled); after a key rotation, retry`, details: d };
    case undefined:
      if (/endpoints_resolution_error|no token within/.test(msg)) {
        const host = env['AZURE_AUTHORITY_HOST'] || 'https://login.microsoftonline.com';
        let key = host;
        try { const u = new URL(host); key = hostPortKey(u.hostname, u.port ? Number(u.port) : 443); } catch { /* as written */ }
        return { reason: 'authority-unreachable', cause: cause.unreachable(key), text: msg, fix: `give the pods HTTPS egress to ${host} (Entra ID; a firewall or proxy must allow it)${env['AZURE_AUTHORITY_HOST'] ? `; AZURE_AUTHORITY_HOST=${env['AZURE_AUTHORITY_HOST']} overrides the authority: check it` : ''}`, details: d };
      }
  }
  return { reason: 'unrecognised', cause: cause.credentials('azure', 'workload-identity'), text: `unrecognised: ${code ? `AADSTS${code}` : 'error'} ${msg.replace(/^AADSTS\d+:\s*/, '').slice(0, 300)}`, fix: `check the federated credential of client ${client} (issuer ${iss}, subject ${sub}, audience api://AzureADTokenExchange) and AZURE_TENANT_ID ${tenant}`, details: d };
}

export async function azureFailure(ctx: CheckContext, op: AzureOp, e: unknown, id?: AzureIdentity): Promise<AzureOutcome> {
  if (!(e instanceof AzureProbeError)) throw e;
  const t = ctx.target, st = t.storage!;
  const what = `${op.name} on abfs://${op.container}`;
  const who = azureWho(st, id, t);
  const base: Record<string, Json> = { container: op.container, account: st.account ?? null, operation: op.name, endpoint: azureAccountUrl(st) ?? null, ...who.details };
  const machine = id?.mode === 'token' && !t.inCluster;
  const credWho = id?.mode === 'key' ? `key:${st.account ?? '?'}` : id?.mode === 'sas' ? `sas:${st.account ?? '?'}` : machine ? 'this-machine' : 'pod';
  const credCause = cause.credentials('azure', credWho);
  if (e.kind === 'no-credentials' || e.kind === 'credentials-provider') {
    const w = azureWorkloadIdentityFinding(ctx, e);
    if (w) {
      const dd = { ...base, ...w.details, identityFailure: w.reason, ...(e.evidence.tried ? { tried: e.evidence.tried as Json } : {}) };
      const none = e.kind === 'no-credentials';
      if (t.inCluster) return { status: 'fail', messageId: none ? 'podHasNoIdentity' : 'podIdentityFailed', cause: w.cause, message: `the pod's Azure Workload Identity failed (${t.runtime?.ranAt ?? 'in-cluster'}): ${w.text}`, hint: w.fix, details: dd };
      return { status: 'warn', messageId: none ? 'noCredentialsHere' : 'localCredentialsFailed', cause: w.cause, message: `cannot be checked from this machine: its Azure Workload Identity failed: ${w.text}`, hint: `${w.fix}; this is this machine's identity (AZURE_* here), not Flyte's: run flyte-doctor --in-cluster to probe with Flyte's own`, details: dd };
    }
  }
  switch (e.kind) {
    case 'config':
      return { status: 'fail', messageId: 'noAccount', cause: cause.config(storageKey(st, 'account')), message: `${what}: ${e.message}`, hint: `set ${storageKey(st, 'account')} to the storage account name`, details: base };
    case 'no-credentials':
      if (t.inCluster) return { status: 'fail', messageId: 'podHasNoIdentity', cause: cause.credentials('azure', 'pod'), message: `the pod (${t.runtime?.ranAt ?? 'in-cluster'}) has no Azure identity and the configuration no account key: ${e.message}`, hint: 'label the pods azure.workload.identity/use: "true", annotate Flyte\'s service account with azure.workload.identity/client-id: <client-id>, add a federated credential for system:serviceaccount:<namespace>:<name> to that identity (az identity federated-credential create), and restart the pods', details: { ...base, tried: (e.evidence.tried ?? []) as Json } };
      return { status: 'warn', messageId: 'noCredentialsHere', cause: cause.credentials('azure', 'this-machine'), message: `cannot be checked from this machine: there is no account key in ${storageKey(st, 'secretKey')}, so Flyte uses the Workload Identity of its pods${st.flyteIdentity ? ` (${st.flyteIdentity})` : ''}, and ${e.message}`, hint: 'run flyte-doctor --in-cluster to probe with Flyte\'s identity, or sign in here with an identity holding the same roles (az login), or give a SAS for the container in AZURE_STORAGE_SAS_TOKEN', details: { ...base, tried: (e.evidence.tried ?? []) as Json } };
    case 'credentials-provider':
      if (t.inCluster) return { status: 'fail', messageId: 'podIdentityFailed', cause: cause.credentials('azure', 'pod'), message: `the pod's Azure identity failed: ${e.message}`, hint: 'check the federated credential of the managed identity (issuer = the cluster\'s OIDC issuer URL, subject = system:serviceaccount:<namespace>:<service-account>), AZURE_CLIENT_ID / AZURE_TENANT_ID injected by the webhook, and the token file', details: base };
      return { status: 'warn', messageId: 'localCredentialsFailed', cause: cause.credentials('azure', 'this-machine'), message: `cannot be checked from this machine: ${e.message}`, hint: 'refresh this machine\'s Azure login (az login) or run flyte-doctor --in-cluster', details: base };
    case 'network': {
      const o = await azureNetFailure(ctx, e.net!, what, base);
      return o;
    }
    case 'unreadable': {
      const h = azHp(st);
      return { status: 'fail', messageId: 'notAzure', cause: cause.wrongService(h.key), message: `${what}: ${e.message.replace(/^[^:]+: /, '')}`, hint: st.endpoint ? `point ${storageKey(st, 'endpoint')} at the blob service of the account (Azure or Azurite); ${st.endpoint} answers with Azure headers but not Azure Blob's answers (a gateway or lookalike)` : `a proxy on the path to ${h.host} answers instead of Azure Storage: check HTTPS_PROXY and the network path`, details: { ...base, sdkError: e.message } };
    }
    case 'answer':
      break;
  }
  const a = e.answer!;
  const code = a.code ?? '';
  const msg = a.message ?? a.body.replace(/\s+/g, ' ').slice(0, 200);
  const said = `HTTP ${a.status}${code ? ` ${code}` : ''}${msg ? `: ${msg.slice(0, 240)}` : ''}${a.authDetail ? ` (${a.authDetail.slice(0, 200)})` : ''}`;
  const d: Record<string, Json> = { ...base, httpStatus: a.status, code: code || null, serverMessage: msg.slice(0, 300) || null, ...(a.authDetail ? { authenticationErrorDetail: a.authDetail.slice(0, 300) } : {}) };
  if (!a.azure) return azureNotAzure(ctx, a, what, base);
  const h = azHp(st);
  const ops = AZURE_OPS[op.op];
  const authText = `${code} ${msg} ${a.authDetail ?? ''}`;
  const authFailed = code === 'AuthenticationFailed' || /failed to authenticate|Signature (did not match|not valid|fields not well formed)|MAC signature|Signed expiry|signed start|Request date header/i.test(authText);
  // ---- authentication (who), before authorization (what)
  if (code === 'KeyBasedAuthenticationNotPermitted') return { status: 'fail', messageId: 'keyAuthNotPermitted', cause: cause.config(`azure-shared-key:${st.account ?? h.key}`), message: `${what}: the storage account ${st.account ?? ''} does not allow shared key access (${said}); Flyte's account key${id?.mode === 'sas' ? ' and key-signed SASs' : ''} cannot work`, hint: `use Azure AD instead: remove ${storageKey(st, 'secretKey')} so Flyte uses its Workload Identity (annotation azure.workload.identity/client-id, role Storage Blob Data Contributor), or allow shared keys: az storage account update --name ${st.account ?? '<account>'} --allow-shared-key-access true`, details: d };
  if (code === 'AccountIsDisabled' || code === 'AccountBeingCreated') return { status: 'fail', messageId: 'accountDisabled', cause: cause.config(`azure-account:${st.account ?? h.key}`), message: `${what}: ${said}`, hint: code === 'AccountBeingCreated' ? 'wait until the storage account is provisioned' : `re-enable the storage account ${st.account ?? ''} (subscription state, az storage account show --name ${st.account ?? '<account>'})`, details: d };
  if (authFailed || code === 'InvalidAuthenticationInfo' || code === 'NoAuthenticationInformation' || a.status === 401) {
    const now = ctx.clock.now();
    const server = a.date ? Date.parse(a.date) : NaN;
    const skew = Number.isFinite(server) ? now - server : undefined;
    const dd = { ...d, ...(skew !== undefined ? { clockSkewMs: skew } : {}) };
    if (skew !== undefined && Math.abs(skew) > 15 * 60_000 || /Request date header too old|too skewed|x-ms-date/i.test(authText)) return { status: 'fail', messageId: 'clockSkew', cause: cause.config('clock'), message: `${what}: the server refused the request because of the time: this machine's clock is ${skew !== undefined ? `${Math.round(Math.abs(skew) / 60_000)} min ${skew > 0 ? 'ahead of' : 'behind'}` : 'off from'} the server's (${said})`, hint: 'synchronise this machine\'s clock with NTP (`timedatectl set-ntp true`); Azure refuses requests more than 15 minutes off', details: dd };
    if (id?.mode === 'sas') {
      const times = sasTimes(id, Number.isFinite(server) ? server : now);
      const sasD = { ...dd, sasStart: times.start ?? null, sasExpiry: times.expiry ?? null, sasPermissions: id.sas?.permissions ?? null };
      const src = setting(t, 'storage.sasToken').source ?? 'the SAS token';
      if (times.inverted || /Signed expiry time .* must be after signed start time/i.test(authText)) return { status: 'fail', messageId: 'sasExpired', cause: credCause, message: `${what}: the SAS's expiry (se=${times.expiry ?? '?'}) is not after its start (st=${times.start ?? '?'}) (${said})`, hint: azureSasHint(st, op.container, 'access for a period that has not ended').replace('issue a SAS', 'issue a new SAS with se after st'), details: sasD };
      if (times.expired || /expired|not valid in the specified time frame/i.test(authText) && !times.notYet) return { status: 'fail', messageId: 'sasExpired', cause: credCause, message: `${what}: the SAS from ${src} expired at ${times.expiry ?? '(see the server message)'} (${said})`, hint: azureSasHint(st, op.container, 'access until a later expiry (se)').replace('issue a SAS', 'issue a new SAS'), details: sasD };
      if (times.notYet) return { status: 'fail', messageId: 'sasNotYetValid', cause: credCause, message: `${what}: the SAS from ${src} starts at ${times.start}, still in the future for the server (${said})`, hint: 'issue the SAS with a start time (st) a few minutes in the past, or leave st out; check this machine\'s clock (timedatectl)', details: sasD };
      return { status: 'fail', messageId: 'sasSignatureInvalid', cause: credCause, message: `${what}: the SAS from ${src} is within its validity (st=${times.start ?? 'unset'}, se=${times.expiry ?? '?'}) but its signature is refused (${said}): it was signed with a key that was rotated since, with another account's key, or it was altered`, hint: azureSasHint(st, op.container, 'the same permissions, signed with a current account key (or a user delegation key)').replace('issue a SAS', 'issue a new SAS'), details: sasD };
    }
    if (id?.mode === 'key') return { status: 'fail', messageId: 'wrongAccountKey', cause: credCause, message: `${what}: the account key in ${storageKey(st, 'secretKey')} is not a key of storage account ${st.account ?? '?'} (${said})`, hint: `${changeHint(t, 'storage.secretKey', storageKey(st, 'secretKey'), 'a current key of the account')} (az storage account keys list --account-name ${st.account ?? '<account>'}); check also that ${storageKey(st, 'account')} names the account the key belongs to`, details: d };
    if (machine) return { status: 'warn', messageId: 'thisMachineCredentialsRejected', cause: credCause, message: `cannot be checked from this machine: this machine's Azure AD token (${id?.source ?? 'default chain'}) was rejected (${said})`, hint: 'refresh this machine\'s Azure login (az login --tenant <tenant of the storage account>) or run flyte-doctor --in-cluster', details: d };
    return { status: 'fail', messageId: 'credentialsRejected', cause: credCause, message: `${what}: the Azure AD token of ${id?.source ?? 'Flyte\'s identity'} was rejected (${said})`, hint: 'check the tenant of the managed identity (AZURE_TENANT_ID) matches the storage account\'s, and its federated credential; an audience other than https://storage.azure.com is rejected', details: d };
  }
  // ---- authorization (what)
  if (code === 'AuthorizationPermissionMismatch') {
    if (machine) return { status: 'warn', messageId: 'deniedForThisMachine', cause: cause.denied('azure', id?.principal ?? 'this-machine', ops.action), message: `${what} denied for this machine's Azure AD identity (${id?.source ?? ''}${id?.principal ? `, ${id.principal}` : ''}): it lacks ${ops.action}; this says nothing about Flyte's Workload Identity${st.flyteIdentity ? ` (${st.flyteIdentity})` : ''}`, hint: `run flyte-doctor --in-cluster to check Flyte's identity; it needs ${ops.role === 'Storage Blob Data Reader' ? 'Storage Blob Data Reader at least (Contributor for Flyte)' : 'Storage Blob Data Contributor'} on the container`, details: { ...d, permission: ops.action } };
    if (id?.mode === 'sas') {
      const have = id.sas?.permissions ?? '?';
      return { status: 'fail', messageId: 'permissionDenied', cause: cause.denied('azure', `sas:${st.account ?? '?'}`, ops.sas || ops.action), message: `${what} denied (${said}): the SAS allows sp=${have}, ${op.op} needs ${ops.sasName} (${ops.sas.split('').join('+')})`, hint: azureSasHint(st, op.container, `${ops.sasName} (${ops.sas})`), details: { ...d, permission: ops.sas, sasPermissions: have } };
    }
    return { status: 'fail', messageId: 'permissionDenied', cause: cause.denied('azure', id?.principal ?? 'workload-identity', ops.action), message: `${what} denied (${said}) for ${id?.source ?? 'Flyte\'s identity'}${id?.principal ? ` (${id.principal})` : ''}: missing ${ops.action} (role ${ops.role === 'Storage Blob Data Reader' && (op.op === 'get' || op.op === 'list' || op.op === 'container') ? 'Storage Blob Data Reader or Contributor' : 'Storage Blob Data Contributor'})`, hint: azureRoleHint(st, op.op, op.container, id?.principal?.match(/object ([0-9a-f-]+)/)?.[1]), details: { ...d, permission: ops.action } };
  }
  if (code === 'AuthorizationResourceTypeMismatch' || code === 'AuthorizationServiceMismatch') return { status: 'fail', messageId: 'sasScopeMismatch', cause: credCause, message: `${what}: ${said}: the account SAS does not cover ${code === 'AuthorizationServiceMismatch' ? 'the blob service (ss must include b)' : 'this resource type (srt must include c for containers and o for blobs)'}`, hint: `issue an account SAS with ss=b and srt=co (az storage account generate-sas --services b --resource-types co --permissions racwdl ...), or a container SAS: ${azureSasHint(st, op.container, 'racwdl')}`, details: { ...d, sasServices: id?.sas?.services ?? null, sasResourceTypes: id?.sas?.resourceTypes ?? null } };
  if (code === 'AuthorizationSourceIPMismatch') return { status: 'fail', messageId: 'sourceIpMismatch', cause: credCause, message: `${what}: ${said}: the SAS is limited to ${id?.sas?.ip ?? 'other addresses'} (sip), and this request came from elsewhere`, hint: 'issue the SAS without --ip, or with the addresses Flyte\'s pods egress from (the cluster\'s NAT/outbound IPs) and this machine\'s', details: { ...d, sasIp: id?.sas?.ip ?? null } };
  if (code === 'AuthorizationProtocolMismatch') return { status: 'fail', messageId: 'protocolMismatch', cause: credCause, message: `${what}: ${said}: the SAS allows ${id?.sas?.protocol ?? 'https'} only and the endpoint is ${h.tls ? 'https' : 'http'}://`, hint: `use the https:// endpoint${st.endpoint ? ` in ${storageKey(st, 'endpoint')}` : ''}, or issue the SAS with --https-only off for an http-only emulator`, details: d };
  if (code === 'AuthorizationFailure') {
    if (id?.mode === 'token' && machine) return { status: 'warn', messageId: 'deniedForThisMachine', cause: cause.denied('azure', id.principal ?? 'this-machine', ops.action), message: `${what} refused for this machine's Azure AD identity (${said}): the account's network rules refuse this address, or the identity has no data role; this says nothing about Flyte's Workload Identity`, hint: 'run flyte-doctor --in-cluster; or allow this address in the account\'s networking settings (az storage account network-rule add --ip-address <ip>)', details: d };
    return { status: 'fail', messageId: 'networkRulesDenied', cause: cause.config(`azure-network-rules:${st.account ?? h.key}`), message: `${what}: ${said}: ${id?.mode === 'token' ? 'the storage account\'s firewall / virtual network rules refuse the caller, or the identity has no data role on the account' : `the storage account's firewall / virtual network rules (or a private endpoint) refuse requests from this address; the ${id?.mode === 'sas' ? 'SAS' : 'key'} itself was accepted`}`, hint: `allow the AKS subnet (az storage account network-rule add --account-name ${st.account ?? '<account>'} --vnet-name <vnet> --subnet <aks-subnet>) and this machine's address (--ip-address <ip>), or run flyte-doctor --in-cluster${id?.mode === 'token' ? `; ${azureRoleHint(st, op.op, op.container)}` : ''}`, details: d };
  }
  if (code === 'InsufficientAccountPermissions') return { status: 'fail', messageId: 'insufficientAccountPermissions', message: `${what}: ${said}`, hint: `the storage account ${st.account ?? ''} (its kind or performance tier) does not support this operation: use a StorageV2 (general-purpose v2) account with block blobs`, details: d };
  // ---- resources
  if (code === 'ContainerNotFound' || (a.status === 404 && op.op === 'container' && code !== 'ResourceNotFound')) {
    const k = azureContainerKey(t, op.instanceKey);
    return { status: 'fail', messageId: 'containerNotFound', cause: cause.config(`${k}=${op.container}`), message: `container ${op.container} does not exist in storage account ${st.account ?? h.key} (${said})`, hint: `create it (az storage container create --account-name ${st.account ?? '<account>'} --name ${op.container} --auth-mode login) or fix the name in ${k}`, details: d };
  }
  if (code === 'ResourceNotFound' || code === 'AccountNotFound') return { status: 'fail', messageId: 'accountNotFound', cause: cause.config(`${storageKey(st, 'account')}=${st.account ?? ''}`), message: `${what}: the server at ${h.key} does not know storage account ${st.account ?? '(none)'} (${said})`, hint: `check the account name in ${storageKey(st, 'account')}${st.endpoint ? ` and the endpoint ${storageKey(st, 'endpoint')} (Azurite: the accounts in AZURITE_ACCOUNTS)` : ''}`, details: d };
  if (code === 'InvalidResourceName' || code === 'OutOfRangeInput' || (code === 'InvalidUri' && op.op === 'container')) {
    const k = azureContainerKey(t, op.instanceKey);
    return { status: 'fail', messageId: 'invalidName', cause: cause.config(k), message: `${what}: ${said}`, hint: `set ${k} to a valid container name (3-63 lower-case letters, digits and single dashes, starting with a letter or digit; no abfs:// or path)`, details: d };
  }
  if (/^(LeaseIdMissing|LeaseIdMismatchWithBlobOperation|LeaseNotPresentWithBlobOperation|BlobImmutableDueToPolicy|BlobImmutableDueToLegalHold|ContainerBeingDeleted|ContainerDisabled|BlobArchived|BlobBeingRehydrated|OperationNotAllowedOnImmutableBlob)$/.test(code) || (a.status === 409 && code)) return { status: 'fail', messageId: 'objectLocked', message: `${what}: ${said}`, hint: /Immutable|LegalHold/.test(code) ? `an immutability policy or legal hold on ${op.container} forbids changes under flyte-doctor/; Flyte needs to overwrite and delete its objects: remove the policy from the container` : /ContainerBeing/.test(code) ? `container ${op.container} is being deleted: wait and create it again` : 'a lease or state blocks the blob: release it (az storage blob lease break) or check the container\'s policies', details: d };
  if (a.status >= 500) return { status: 'fail', messageId: 'serverError', cause: cause.backend(`azure ${h.key}`), message: `${what}: Azure Storage answered ${said} (server-side, usually transient)`, hint: code === 'ServerBusy' ? 'the account is throttled (ServerBusy): retry later; check the account\'s request rate and its scalability targets' : 'retry; check https://status.azure.com and the account\'s health if it persists', details: d };
  if (/^(InvalidHeaderValue|UnsupportedHeader|MissingRequiredHeader|InvalidQueryParameterValue|UnsupportedQueryParameter|InvalidHttpVerb|Md5Mismatch|InvalidMd5|InvalidInput|InvalidXmlDocument|InvalidUri|RequestBodyTooLarge|UnsupportedHttpVerb|InvalidRange)$/.test(code)) return { status: 'fail', messageId: 'requestRejected', message: `${what}: the server refused the form of the request (${said})`, hint: /Md5/.test(code) ? 'something between here and the store changes request bodies: check proxies' : /HeaderValue|Header|Query/.test(code) && /version/i.test(authText) ? 'the server does not support this API version (an old Azurite or Azure Stack Hub): update it (Azurite: run with --skipApiVersionCheck, or a newer release)' : 'check proxies between here and the store, and the endpoint (it may be an Azure Stack or emulator with another API version)', details: d };
  return { status: 'fail', messageId: 'unrecognised', message: `${what}: unrecognised answer: ${said}`, hint: 'look the code up in the Azure Blob Storage error codes (https://learn.microsoft.com/rest/api/storageservices/blob-service-error-codes)', details: d };
}

/** Values key naming the container of this instance. */
export function azureContainerKey(t: Target, instanceKey: string | undefined): string {
  return bucketKey(t, instanceKey);
}

/** The container of this instance. */
/**
 * The opening every Azure probe check shares: a skip when the container check says the store cannot
 * be probed from here, this instance's container and operation, the service client (its failure is
 * the finding) and whose identity it uses.
 */
export async function azureOpen(ctx: CheckContext, op: AzureOp['op'], name: string): Promise<
  { done: AzureOutcome | { status: 'skip'; messageId: 'notCheckedHere'; message: string } }
  | { op: AzureOp; container: string; box: Awaited<ReturnType<typeof azureService>>; who: ReturnType<typeof azureWho> }> {
  const skip = notCheckedHere(ctx, ['storage.azure.container'], AZURE_CANNOT_PROBE);
  if (skip) return { done: { status: 'skip', messageId: 'notCheckedHere', message: skip } };
  const container = containerFor(ctx);
  const o: AzureOp = { container, op, name, instanceKey: ctx.instance?.key };
  try {
    const box = await azureService(ctx);
    return { op: o, container, box, who: azureWho(ctx.target.storage!, box.identity, ctx.target) };
  } catch (e) { return { done: await azureFailure(ctx, o, e) }; }
}

export function containerFor(ctx: CheckContext): string {
  return bucketOfInstance(ctx.target.storage!, ctx.instance?.key);
}

/**
 * gcsFailure, with the token endpoint's refusals told apart from the clock by whole words: "Token
 * has been expired or revoked." (a stale `gcloud auth application-default login`, a revoked key)
 * or "...inappropriate..." are not the JWT's iat/exp being out of range. Every GCS check maps
 * its errors through this.
 */
export function gcsFinding(ctx: CheckContext, op: GcsOp, e: unknown, id?: GcsIdentity): GcsOutcome {
  if (!(e instanceof GcsProbeError) || e.kind !== 'token' || e.evidence.metadata) return gcsFailure(ctx, op, e, id);
  const desc = `${e.evidence.tokenError ?? ''} ${e.evidence.tokenDescription ?? ''} ${e.message}`;
  const clock = /\biat\b|\bexp\b|short-lived|reasonable timeframe|clock|in the future|too early/i.test(desc);
  if (clock || !/iat|exp/i.test(desc)) return gcsFailure(ctx, op, e, id);
  const t = ctx.target, st = t.storage!;
  if (e.answer && !e.evidence.tokenError && !e.answer.json) return gcsFailure(ctx, op, e, id);
  const machine = st.authType !== 'keyfile' && !t.inCluster;
  const base: Record<string, Json> = { bucket: op.bucket, operation: op.op, endpoint: st.endpoint ?? 'https://storage.googleapis.com', identity: gcsWho(st, id), authType: st.authType, tokenError: e.evidence.tokenError ?? null };
  const credCause = cause.credentials('gcs', id?.principal ?? (machine ? 'this-machine' : st.keyFile ?? 'key-file'));
  const revoked = /expired or revoked|revoked|expired/i.test(desc);
  const why = revoked ? 'the credentials expired or were revoked (a refresh token or key no longer valid), not this machine\'s clock' : /invalid_grant/.test(desc) ? 'the key was deleted or revoked, or the account disabled' : /invalid_client|unauthorized_client/.test(desc) ? 'the client (service account) is unknown or not allowed' : 'the credentials were refused';
  const text = `${e.message}: ${why}`;
  if (machine) return { status: 'warn', messageId: 'thisMachineCredentialsRejected', cause: credCause, message: `cannot be checked from this machine: ${text}`, hint: `refresh this machine's Google credentials (gcloud auth application-default login${process.env.GOOGLE_APPLICATION_CREDENTIALS ? `, or a valid key in GOOGLE_APPLICATION_CREDENTIALS, now ${process.env.GOOGLE_APPLICATION_CREDENTIALS}` : ''}) or run flyte-doctor --in-cluster`, details: base };
  return { status: 'fail', messageId: 'credentialsRejected', cause: credCause, message: text, hint: `create a new key for the service account (gcloud iam service-accounts keys create) and point ${storageKey(st, 'keyFile')} at it`, details: base };
}
