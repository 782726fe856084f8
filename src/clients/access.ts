// SubjectAccessReviews: what the API server's authorizer answers for ANOTHER identity (a Flyte
// ServiceAccount), asked with the operator's credentials. This is not `kubectl auth can-i` for the
// operator (that is KubeSession.canI, a SelfSubjectAccessReview): the review names the subject,
// and the operator needs `create subjectaccessreviews.authorization.k8s.io` to ask. A review is
// answered and stored nowhere, so asking changes nothing in the cluster.
//
// Evidence only: decisions (allowed, explicitly denied, the authorizer's reason and evaluation
// error) or a typed KubeError (a 403 means the operator may not ask; checks turn that into a
// warning, never a failure of Flyte's rights).
import { isObj, KubeError, type AccessAttributes, type KubeSession } from './kube.js';
import type { Json } from '../engine/types.js';

/** Who is asked about: a user name and the groups the authenticator would give it. */
export interface Subject { user: string; groups: string[] }

/**
 * A ServiceAccount as the API server authenticates its tokens: user
 * `system:serviceaccount:<ns>:<name>`, groups `system:serviceaccounts`, `system:serviceaccounts:<ns>`
 * and `system:authenticated` (a binding to any of those groups grants the account too).
 */
export function serviceAccountSubject(namespace: string, name: string): Subject {
  return { user: `system:serviceaccount:${namespace}:${name}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'] };
}

/** The authorizer's answer for one subject and one attribute set. */
export interface SubjectDecision extends AccessAttributes {
  user: string;
  allowed: boolean;
  /** An authorizer denied it explicitly (a webhook authorizer); RBAC alone never sets this. */
  denied?: boolean;
  /** The authorizer's reason (RBAC: `RBAC: allowed by ClusterRoleBinding "x" of ClusterRole "y" to ServiceAccount "z/ns"`). */
  reason?: string;
  /** An error while evaluating (RBAC: a binding whose role does not exist: `clusterrole.rbac.authorization.k8s.io "x" not found`). */
  evaluationError?: string;
}

export interface ReviewRequest { subject: Subject; attrs: AccessAttributes }

/**
 * The transport: POST a SubjectAccessReview and return the answer's JSON object (KubeError on a
 * non-2xx answer or a body that is not a JSON object). KubeSession provides it as
 * `postSubjectAccessReview`; a session without it cannot ask (an older client build).
 */
type Poster = (body: Json, signal: AbortSignal) => Promise<Record<string, unknown>>;

function posterOf(s: KubeSession): Poster | undefined {
  const p = (s as unknown as { postSubjectAccessReview?: Poster }).postSubjectAccessReview;
  return typeof p === 'function' ? p.bind(s) : undefined;
}

/** Whether the session can send SubjectAccessReviews at all. */
export function canReviewSubjects(s: KubeSession): boolean {
  return posterOf(s) !== undefined;
}

const keyOf = (r: ReviewRequest) => [r.subject.user, r.attrs.verb, r.attrs.group, r.attrs.resource, r.attrs.subresource ?? '', r.attrs.namespace ?? '', r.attrs.name ?? ''].join('|');

/** The SubjectAccessReview body for one request (authorization.k8s.io/v1). */
export function reviewBody(r: ReviewRequest): Json {
  const a = r.attrs;
  const resourceAttributes: Record<string, Json> = { verb: a.verb, group: a.group, resource: a.resource };
  if (a.subresource) resourceAttributes['subresource'] = a.subresource;
  if (a.namespace) resourceAttributes['namespace'] = a.namespace;
  if (a.name) resourceAttributes['name'] = a.name;
  return { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: r.subject.user, groups: r.subject.groups, resourceAttributes } };
}

/**
 * Asks the authorizer about every request (duplicates asked once), at most `concurrency` at a
 * time, answers in input order. The first failure (403: the operator may not ask; 5xx; a body that
 * is not a SubjectAccessReview) stops the remaining requests and is thrown.
 *
 * The same right asked in two or more namespaces is asked once cluster-wide first (a review
 * without a namespace: RBAC then counts only ClusterRoleBindings, so an allow holds in every
 * namespace) and each namespace is asked only when that is not allowed. A healthy install, bound
 * cluster-wide, costs one review per right instead of one per right and project namespace; a denial
 * is still the authorizer's own answer for that namespace, with its reason.
 */
export async function reviewSubjects(s: KubeSession, requests: readonly ReviewRequest[], signal: AbortSignal, o: { concurrency?: number } = {}): Promise<SubjectDecision[]> {
  const post = posterOf(s);
  if (!post) throw new Error('this build of the Kubernetes client cannot send SubjectAccessReviews (KubeSession.postSubjectAccessReview is missing)');
  const unique = [...new Map(requests.map((r) => [keyOf(r), r])).values()];
  const answers = new Map<string, SubjectDecision>();
  const path = '/apis/authorization.k8s.io/v1/subjectaccessreviews';
  const str = (v: unknown) => (typeof v === 'string' && v.trim() ? s.scrub(v.trim()).slice(0, 500) : undefined);
  const ask = async (list: readonly ReviewRequest[]): Promise<void> => {
    let next = 0;
    let failed: unknown;
    const worker = async () => {
      while (next < list.length && failed === undefined) {
        const r = list[next++]!;
        try {
          const body = await post(reviewBody(r), signal);
          const st = body['status'];
          if (!isObj(st) || typeof st['allowed'] !== 'boolean') {
            throw new KubeError('bad-response', `POST ${path}: the answer has no status.allowed, not a SubjectAccessReview`, { request: `POST ${path}` });
          }
          const reason = str(st['reason']), evaluationError = str(st['evaluationError']);
          answers.set(keyOf(r), {
            user: r.subject.user, ...r.attrs, allowed: st['allowed'],
            ...(st['denied'] === true ? { denied: true } : {}), ...(reason ? { reason } : {}), ...(evaluationError ? { evaluationError } : {}),
          });
        } catch (e) {
          failed ??= e;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency ?? 8, list.length)) }, worker));
    if (failed !== undefined) throw failed;
  };
  // rights asked in several namespaces: one cluster-wide review each first
  const perRight = new Map<string, ReviewRequest[]>();
  for (const r of unique) {
    if (!r.attrs.namespace) continue;
    const k = keyOf({ subject: r.subject, attrs: { ...r.attrs, namespace: '' } });
    (perRight.get(k) ?? perRight.set(k, []).get(k)!).push(r);
  }
  const widened = [...perRight.values()].filter((g) => g.length >= 2);
  const inGroup = new Set(widened.flat().map(keyOf));
  const wide = widened.map((g) => { const { namespace: _ns, ...attrs } = g[0]!.attrs; return { subject: g[0]!.subject, attrs } as ReviewRequest; });
  const wideKeys = new Set(wide.map(keyOf));
  await ask([...wide, ...unique.filter((r) => !inGroup.has(keyOf(r)) && !wideKeys.has(keyOf(r)))]);
  const rest: ReviewRequest[] = [];
  for (const [i, g] of widened.entries()) {
    const w = answers.get(keyOf(wide[i]!))!;
    for (const r of g) {
      if (w.allowed) answers.set(keyOf(r), { user: r.subject.user, ...r.attrs, allowed: true, reason: `${w.reason ? `${w.reason}; ` : ''}asked cluster-wide: allowed in every namespace` });
      else rest.push(r);
    }
  }
  await ask(rest);
  return requests.map((r) => ({ ...answers.get(keyOf(r))! }));
}
