// Shared by the kubernetes.objects.* checks (objects the values or manifests reference): reading a
// reference's name as helm renders it, whether the release is installed (verify), per-object items
// rolled up into one outcome (the worst finding leads; every problem is listed), and the wording of
// "where it is set" and "what to change" for a reference.
import { KubeError, type KubeSession } from '../../src/clients/kube.js';
import { refusedSubject } from '../../src/clients/whoami.js';
import type { ObjectReference, Target } from '../../src/config/target.js';
import type { Json, Outcome, Status } from '../../src/engine/types.js';
import { flyteComponents, resolveChartNames } from '../../src/flyte/kubernetes.js';
import { countEndpoints } from '../flyte/services.endpoints.js';

/** One object's finding inside a check that looks at several. */
export interface Item<Id extends string> {
  status: Status;
  id: Id;
  /** One clause: what was observed about this object. */
  text: string;
  hint?: string;
  cause?: string;
  details?: Record<string, Json>;
}

const RANK: Record<Status, number> = { error: 0, fail: 1, warn: 2, pass: 3, skip: 4 };

/**
 * The check's outcome from its items: the worst one gives status, messageId and cause; the message
 * lists every non-passing item (or every passing one); the fix joins the fixes of the non-passing ones.
 */
export function rollUp<Id extends string>(items: Item<Id>[], o: { what: string; details?: Record<string, Json> }): Outcome<Id> {
  const sorted = [...items].sort((a, b) => RANK[a.status] - RANK[b.status]);
  const lead = sorted[0]!;
  const bad = sorted.filter((i) => i.status === 'fail' || i.status === 'warn');
  const shown = bad.length ? bad : sorted;
  const hints = [...new Set(bad.map((i) => i.hint).filter((h): h is string => !!h))];
  const message = bad.length > 1 ? `${bad.length} problems with ${o.what}: ${shown.map((i) => i.text).join('; ')}` : shown.map((i) => i.text).join('; ');
  return {
    status: lead.status as 'pass', messageId: lead.id, message,
    ...(hints.length ? { hint: hints.map((h, i) => (hints.length > 1 ? `(${i + 1}) ${h}` : h)).join(' ') } : {}),
    ...(lead.cause && lead.status !== 'pass' && lead.status !== 'skip' ? { cause: lead.cause } : {}),
    details: { ...(o.details ?? {}), objects: items.map((i) => ({ status: i.status, finding: i.id, text: i.text, ...(i.details ?? {}) })) },
  };
}

/** Where a reference is set, for messages: `values.yaml: ingress.tls[0].secretName`, or the manifest object. */
export function whereSet(r: ObjectReference): string {
  return r.source;
}

/** The key to change in a fix: the values key as written, else where it was read. */
export function keyOf(r: ObjectReference): string {
  return r.key ?? r.source;
}

/** `kind ns/name` */
export const label = (kind: string, ns: string | undefined, name: string) => `${kind} ${ns ? `${ns}/` : ''}${name}`;

/**
 * A reference's name as helm renders it: `{{ .Release.Name }}` / `{{ .Release.Namespace }}` are
 * substituted from the target; any other template (an `include` of the chart's helpers) is left to
 * helm: undefined.
 */
export function renderedName(name: string, t: Target): string | undefined {
  if (!name.includes('{{')) return name;
  const out = name.replace(/\{\{-?\s*\.Release\.Name\s*-?\}\}/g, t.kubernetes.release).replace(/\{\{-?\s*\.Release\.Namespace\s*-?\}\}/g, t.kubernetes.namespace);
  return out.includes('{{') ? undefined : out;
}

/** A Kubernetes object name (DNS subdomain, RFC 1123): what every kind these checks read uses. */
export function validName(name: string): boolean {
  return name.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name);
}

/** The reference's value is a placeholder (values.inputs.placeholders reports it): not looked up. */
export function isPlaceholder(r: ObjectReference, t: Target): boolean {
  if (/<[A-Za-z_][A-Za-z0-9_ -]*>|\$\{[^}]+\}|\{\{\s*\.Values\./.test(r.name)) return true;
  return (t.placeholders ?? []).some((p) => !!r.key && p.key === r.key);
}

/**
 * 403 on a read, as a clause: who was refused (the name the API server's 403 gives, which is the
 * impersonated user, a token's ServiceAccount or a certificate's CN, not the kubeconfig's entry
 * name; see refusedSubject) and which verb on which resource.
 */
export function forbiddenText(e: KubeError, user: string): string {
  const what = e.extra.verb && e.extra.resource ? `${e.extra.verb} ${e.extra.resource}${e.extra.group ? `.${e.extra.group}` : ''}${e.extra.namespace ? ` in namespace ${e.extra.namespace}` : ''}` : e.extra.request ?? 'read it';
  return `${refusedSubject(e, user).label} may not ${what} (403)`;
}

export function forbiddenHint(e: KubeError, user: string, k: string): string {
  const res = `${e.extra.resource ?? '<resource>'}${e.extra.group ? `.${e.extra.group}` : ''}`;
  const who = refusedSubject(e, user);
  const grant = e.extra.namespace
    ? `\`kubectl create rolebinding flyte-doctor-view --clusterrole=view ${who.subjectFlag} -n ${e.extra.namespace}\``
    : `\`kubectl create clusterrole flyte-doctor-read --verb=${e.extra.verb ?? 'get'},list --resource=${res}\` and \`kubectl create clusterrolebinding flyte-doctor-read --clusterrole=flyte-doctor-read ${who.subjectFlag}\``;
  return `cannot be checked with these credentials: run as a user who may \`${e.extra.verb ?? 'get'} ${res}\` (\`${k} auth can-i ${e.extra.verb ?? 'get'} ${res}${e.extra.namespace ? ` -n ${e.extra.namespace}` : ''}\` shows the answer), or have a cluster admin grant it to ${who.label.replace(/ \(kubeconfig user "[^"]*"\)$/, '')} (${grant})`;
}

export const isForbidden = (e: unknown): e is KubeError => e instanceof KubeError && e.kind === 'forbidden';

/** GET that returns undefined on 404 and 'forbidden' on 403 (other API errors propagate to withKube). */
export async function getOr<T = Record<string, unknown>>(s: KubeSession, path: string, signal: AbortSignal): Promise<T | undefined | KubeError> {
  try { return await s.getOptional<T>(path, signal); } catch (e) { if (isForbidden(e)) return e; throw e; }
}

/**
 * verify: is the release installed in the namespace (any Deployment of the chart)? `unknown` when the
 * Deployments cannot be read. The objects of an install that does not exist are not looked for: the
 * missing install is flyte.deployments.ready's finding.
 */
export async function releaseInstalled(s: KubeSession, t: Target, signal: AbortSignal): Promise<boolean | 'unknown'> {
  try {
    const names = await resolveChartNames(s, { ...(t.chart ? { chart: t.chart } : {}), kubernetes: t.kubernetes, components: t.components }, signal);
    const ns = encodeURIComponent(t.kubernetes.namespace);
    for (const c of flyteComponents(names)) {
      for (const d of c.deployments) if (await s.getOptional(`/apis/apps/v1/namespaces/${ns}/deployments/${encodeURIComponent(d)}`, signal)) return true;
    }
    return false;
  } catch (e) {
    if (isForbidden(e)) return 'unknown';
    throw e;
  }
}

/** Conditions of a status as a map type -> {status, reason, message}. */
export function conditions(obj: unknown): Map<string, { status: string; reason?: string; message?: string }> {
  const out = new Map<string, { status: string; reason?: string; message?: string }>();
  const st = obj && typeof obj === 'object' ? (obj as Record<string, unknown>)['status'] : undefined;
  const cs = st && typeof st === 'object' ? (st as Record<string, unknown>)['conditions'] : undefined;
  if (!Array.isArray(cs)) return out;
  for (const c of cs) {
    if (!c || typeof c !== 'object') continue;
    const x = c as Record<string, unknown>;
    if (typeof x['type'] !== 'string' || typeof x['status'] !== 'string') continue;
    out.set(x['type'], { status: x['status'], ...(typeof x['reason'] === 'string' && x['reason'] ? { reason: x['reason'] } : {}), ...(typeof x['message'] === 'string' && x['message'] ? { message: x['message'].slice(0, 300) } : {}) });
  }
  return out;
}

/** Runs `fn` over `xs` with at most `n` at a time, results in input order. */
export async function mapLimit<T, R>(xs: readonly T[], n: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(xs.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, xs.length) }, async () => {
    while (next < xs.length) { const i = next++; out[i] = await fn(xs[i]!); }
  }));
  return out;
}

/** Ready / not-ready endpoints of one Service (EndpointSlices, else v1 Endpoints); undefined when they may not be read here. */
export async function serviceEndpoints(s: KubeSession, ns: string, svc: string, signal: AbortSignal): Promise<ReturnType<typeof countEndpoints> | undefined> {
  const base = `/namespaces/${encodeURIComponent(ns)}`;
  try {
    let slices: { metadata: { name?: string; labels?: unknown }; endpoints?: unknown }[] = [];
    try { slices = await s.list(`/apis/discovery.k8s.io/v1${base}/endpointslices`, signal, { labelSelector: `kubernetes.io/service-name=${svc}` }); } catch (e) { if (!(e instanceof KubeError) || (e.kind !== 'forbidden' && e.kind !== 'not-found')) throw e; }
    const ep = await s.getOptional<{ metadata: { name: string }; subsets?: unknown }>(`/api/v1${base}/endpoints/${encodeURIComponent(svc)}`, signal);
    return countEndpoints(svc, slices, ep ? [ep] : []);
  } catch (e) {
    if (isForbidden(e)) return undefined;
    throw e;
  }
}
