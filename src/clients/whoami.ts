// Who the API server says the current identity is: the name (and groups) a RoleBinding must name to
// fix a refusal. The kubeconfig's user entry name is only a label; the API server authenticates
// the request as the impersonated user (`as:`), the ServiceAccount of a token (its `sub`), the CN of
// a client certificate, or whatever a token authenticator / cloud IAM mapping says.
//
// Sources, surest first:
//  1. a 403 Status message: `User "<name>" cannot <verb> ...` is the authorizer's own word for the
//     request it refused (refusedSubject: synchronous, no request);
//  2. a SelfSubjectReview (authentication.k8s.io/v1, POST selfsubjectreviews; served since 1.28, v1beta1
//     in 1.27): name, uid and groups, asked at most once per session (one run) by whoAmI;
//  3. what the kubeconfig says (kubeconfigIdentity): `as:` / `as-groups:`, a ServiceAccount token's
//     `sub` claim, a client certificate's CN (O: groups); for static / OIDC tokens and exec plugins
//     the name is unknown from here, and the finding says so.
// whoAmI never throws: an API server without the review (before 1.27), a 403 on it, a timeout or an
// odd answer falls back to (3) with the reason kept in `reviewNote`.
import { X509Certificate } from 'node:crypto';
import { readMergedKubeconfig, selectContext, type KubeUser } from '../config/kubeconfig.js';
import { readRegularFileSync } from '../config/read.js';
import type { Json } from '../engine/types.js';
import { isObj, KubeError, probeSignal, type KubeSession } from './kube.js';

/** A kubeconfig's file reference read again only when it is a regular file (a FIFO or device must not block the run). */
const readRegular = (path: string): Buffer | undefined => { try { return readRegularFileSync(path, 1 << 20); } catch { return undefined; } };

/**
 * The identity the API server answers for. `name` is as RBAC subjects name it (user name, or
 * system:serviceaccount:<ns>:<name>); the kubeconfig user when unknown.
 */
export interface CheckedIdentity {
  name: string;
  known: boolean;
  serviceAccount?: { namespace: string; name: string };
  groups?: string[];
  /** How the name was found, for the message ("impersonated: kubeconfig user \"x\" acts as ..."). */
  how: string;
  /** The subject flag of `kubectl create (cluster)rolebinding` for this identity. */
  subjectFlag: string;
}

export interface WhoAmI extends CheckedIdentity {
  /** Where the name comes from: the API server's SelfSubjectReview, or the kubeconfig's evidence. */
  source: 'selfsubjectreview' | 'kubeconfig';
  /** The SelfSubjectReview version that answered. */
  reviewApi?: string;
  uid?: string;
  /** Why no SelfSubjectReview was used (not served, refused, no answer): said with a kubeconfig-based name. */
  reviewNote?: string;
  /** A review was sent (false: this session has no transport for it, so there is nothing to tell the operator). */
  reviewAsked: boolean;
}

const SA_RE = /^system:serviceaccount:([^:\s]+):([^:\s]+)$/;

/** `--serviceaccount=ns:name` or `--user=name` for a name as the API server spells it. */
export function subjectFlagOf(name: string): string {
  const sa = SA_RE.exec(name);
  return sa ? `--serviceaccount=${sa[1]}:${sa[2]}` : `--user=${name || '<you>'}`;
}

/** How a message names an identity: `ServiceAccount ns/name` or `user "name"`. */
export function subjectLabel(name: string): string {
  const sa = SA_RE.exec(name);
  return sa ? `ServiceAccount ${sa[1]}/${sa[2]}` : `user "${name || 'anonymous'}"`;
}

function fromName(name: string, how: string, groups?: string[]): CheckedIdentity {
  const sa = SA_RE.exec(name);
  return { name, known: true, how, ...(groups?.length ? { groups } : {}), ...(sa ? { serviceAccount: { namespace: sa[1]!, name: sa[2]! } } : {}), subjectFlag: subjectFlagOf(name) };
}

function jwtSubject(token: string | undefined): string | undefined {
  const parts = token?.trim().split('.');
  if (!parts || parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8')) as unknown;
    const sub = claims && typeof claims === 'object' ? (claims as Record<string, unknown>)['sub'] : undefined;
    return typeof sub === 'string' ? sub : undefined;
  } catch { return undefined; }
}

function certSubject(u: KubeUser): { cn?: string; orgs: string[] } | undefined {
  try {
    const pem = u.clientCertificateData ? Buffer.from(u.clientCertificateData, 'base64') : u.clientCertificate ? readRegular(u.clientCertificate) : undefined;
    if (!pem) return undefined;
    const lines = new X509Certificate(pem).subject.split('\n');
    const cn = lines.find((l) => l.startsWith('CN='))?.slice(3);
    return { ...(cn ? { cn } : {}), orgs: lines.filter((l) => l.startsWith('O=')).map((l) => l.slice(2)) };
  } catch { return undefined; }
}

function kubeconfigUser(s: Pick<KubeSession, 'identity'>): KubeUser | undefined {
  try { return s.identity.files.length ? selectContext(readMergedKubeconfig(s.identity.files), s.identity.context).user : undefined; } catch { return undefined; }
}

/** The identity from the kubeconfig's evidence alone (no request). */
export function kubeconfigIdentity(s: Pick<KubeSession, 'identity'>): CheckedIdentity {
  const kc = s.identity.user;
  const user = kubeconfigUser(s);
  if (user?.impersonate) return fromName(user.impersonate, `impersonated: kubeconfig user "${kc}" acts as "${user.impersonate}" (as:${user.impersonateGroups?.length ? `, as-groups: ${user.impersonateGroups.join(',')}` : ''}), so its rights are checked, not "${kc}"'s`, user.impersonateGroups);
  if (user?.impersonateGroups?.length) {
    return { name: kc, known: false, groups: user.impersonateGroups, how: `kubeconfig user "${kc}" with as-groups: ${user.impersonateGroups.join(',')}`, subjectFlag: `--group=${user.impersonateGroups[0]}` };
  }
  if (user && (s.identity.auth === 'token' || s.identity.auth === 'token-file')) {
    let token = user.token;
    if (s.identity.auth === 'token-file' && user.tokenFile) { token = readRegular(user.tokenFile)?.toString('utf8'); }
    const sub = jwtSubject(token);
    if (sub && SA_RE.test(sub)) return fromName(sub, `the ServiceAccount token of kubeconfig user "${kc}" (its sub claim)`);
  }
  if (user && s.identity.auth === 'client-certificate') {
    const c = certSubject(user);
    if (c?.cn) return fromName(c.cn, `the client certificate of kubeconfig user "${kc}" (CN${c.orgs.length ? `; groups from O: ${c.orgs.join(',')}` : ''})`, c.orgs);
  }
  return { name: kc, known: false, how: `kubeconfig user "${kc}" (${s.identity.auth} credentials: the name the API server knows it by is not in the kubeconfig)`, subjectFlag: `--user=${kc || '<you>'}` };
}

/**
 * The subject a 403 names (`User "x" cannot ...`): the authorizer's own word for the refused request.
 * Undefined when the message does not name one (a webhook authorizer's own text, a proxy's 403).
 */
export function refusedName(e: Pick<KubeError, 'message'>): string | undefined {
  return /User "([^"]*)" cannot /.exec(e.message)?.[1];
}

/**
 * Who was refused, for a 403 finding: the name in the 403, else `known` (a whoAmI answer or the
 * kubeconfig's evidence, when the caller has one), else the kubeconfig user `kc`. `label` names it for a
 * message (with the kubeconfig user when that differs), `subjectFlag` for the rolebinding fix.
 */
export function refusedSubject(e: Pick<KubeError, 'message'>, kc: string, known?: CheckedIdentity): { name: string; label: string; subjectFlag: string } {
  const name = refusedName(e) ?? (known?.known ? known.name : kc);
  const label = name && name !== kc ? `${subjectLabel(name)} (kubeconfig user "${kc}")` : subjectLabel(name);
  return { name, label, subjectFlag: subjectFlagOf(name) };
}

// ---- SelfSubjectReview ------------------------------------------------------------------------

/**
 * The transport: POST a review object (created nowhere: the API server answers it and stores nothing)
 * to `path` and return the answer's JSON object; KubeError on a non-2xx answer. KubeSession provides
 * it as `postReview`; a session without it cannot ask (the kubeconfig's evidence is used).
 */
type Poster = (path: string, body: Json, signal: AbortSignal) => Promise<Record<string, unknown>>;

function posterOf(s: KubeSession): Poster | undefined {
  const p = (s as unknown as { postReview?: Poster }).postReview;
  return typeof p === 'function' ? p.bind(s) : undefined;
}

/** Longest a whoAmI waits for its review (the caller's budget may end it sooner). */
export const WHOAMI_TIMEOUT_MS = 4000;

const asked = new WeakMap<object, Promise<WhoAmI>>();

const VERSIONS = ['v1', 'v1beta1'] as const;

async function review(s: KubeSession, post: Poster, signal: AbortSignal): Promise<{ who?: { name: string; groups: string[]; uid?: string; reviewApi: string }; note?: string; aborted?: boolean }> {
  const notServed: string[] = [];
  for (const v of VERSIONS) {
    const path = `/apis/authentication.k8s.io/${v}/selfsubjectreviews`;
    let body: Record<string, unknown>;
    try {
      body = await post(path, { apiVersion: `authentication.k8s.io/${v}`, kind: 'SelfSubjectReview' }, signal);
    } catch (e) {
      if (signal.aborted) return { aborted: true, note: `no answer to POST ${path} in time` };
      if (e instanceof KubeError && (e.kind === 'not-found' || (e.kind === 'http' && (e.extra.status === 405 || e.extra.status === 400)))) { notServed.push(`authentication.k8s.io/${v}`); continue; }
      if (e instanceof KubeError && e.kind === 'forbidden') return { note: `the identity may not create selfsubjectreviews (403: ${e.message.slice(0, 160)})` };
      return { note: `POST ${path} failed (${e instanceof KubeError ? e.message.slice(0, 160) : (e as Error)?.message ?? String(e)})` };
    }
    const ui = isObj(body['status']) ? body['status']['userInfo'] : undefined;
    if (!isObj(ui) || typeof ui['username'] !== 'string') return { note: `POST ${path} answered without status.userInfo.username (not a SelfSubjectReview)` };
    const groups = Array.isArray(ui['groups']) ? ui['groups'].filter((g): g is string => typeof g === 'string').map((g) => s.scrub(g)) : [];
    const uid = typeof ui['uid'] === 'string' && ui['uid'] ? s.scrub(ui['uid']) : undefined;
    return { who: { name: s.scrub(ui['username']), groups, ...(uid ? { uid } : {}), reviewApi: `authentication.k8s.io/${v}` } };
  }
  return { note: `the API server serves no SelfSubjectReview (${notServed.join(', ')}: 404; it is served since Kubernetes 1.27 as v1beta1, 1.28 as v1)` };
}

/**
 * Who the API server says the session's identity is. Asked at most once per session (a run shares one
 * session per kubeconfig+context); bounded by `signal` and WHOAMI_TIMEOUT_MS; never throws: without an
 * answer, the kubeconfig's evidence with the reason in `reviewNote`. An answer cut short by the caller's
 * budget is not kept (the next caller asks again).
 */
export function whoAmI(s: KubeSession, signal: AbortSignal): Promise<WhoAmI> {
  const hit = asked.get(s);
  if (hit) return hit;
  const p = (async (): Promise<WhoAmI> => {
    const fallback = kubeconfigIdentity(s);
    const post = posterOf(s);
    if (!post) return { ...fallback, source: 'kubeconfig', reviewAsked: false, reviewNote: 'this build of the Kubernetes client cannot send a SelfSubjectReview (KubeSession.postReview is missing)' };
    const r = await review(s, post, probeSignal(signal, WHOAMI_TIMEOUT_MS)).catch((e: unknown) => ({ note: `SelfSubjectReview failed (${(e as Error)?.message ?? String(e)})`, aborted: signal.aborted } as { note: string; aborted?: boolean; who?: undefined }));
    if (r.aborted) asked.delete(s);
    if (!r.who) return { ...fallback, source: 'kubeconfig', reviewAsked: true, ...(r.note ? { reviewNote: r.note } : {}) };
    const { name, groups, uid, reviewApi } = r.who;
    const kc = s.identity.user;
    // The kubeconfig's evidence, when it agrees, says how that name came about (as:, a token's sub, a CN).
    const how = fallback.known && fallback.name === name
      ? `${fallback.how}; confirmed by the API server (SelfSubjectReview)`
      : kc === name && !fallback.known ? '' // the kubeconfig entry carries the name the server knows: nothing to add
        : `the API server's SelfSubjectReview: kubeconfig user "${kc}" is authenticated as "${name}"${fallback.known && fallback.name !== name ? ` (the kubeconfig suggested "${fallback.name}")` : ''}`;
    const sa = SA_RE.exec(name);
    return { name, known: true, how, ...(groups?.length ? { groups } : {}), ...(sa ? { serviceAccount: { namespace: sa[1]!, name: sa[2]! } } : {}), subjectFlag: subjectFlagOf(name), source: 'selfsubjectreview', reviewAsked: true, ...(reviewApi ? { reviewApi } : {}), ...(uid ? { uid } : {}) };
  })();
  asked.set(s, p);
  return p;
}
