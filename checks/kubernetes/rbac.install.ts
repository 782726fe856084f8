import { kubectl, type AccessAttributes, type AccessDecision } from '../../src/clients/kube.js';
import { binaryFullname } from '../../src/flyte/kubernetes.js';
import { cause } from '../../src/engine/causes.js';
import { API_MESSAGES, withKube } from './_support.js';
import type { Chart, Target } from '../../src/config/target.js';
import { defineCheck } from '../../src/engine/define.js';

/** Verbs helm needs to install and later upgrade/uninstall an object it owns. */
export const HELM_VERBS = ['get', 'list', 'create', 'patch', 'update', 'delete'] as const;

export interface Requirement extends AccessAttributes {
  /** Why it is needed, for the message. */
  why: string;
  /** Rules a chart ClusterRole grants: needed only when the installer lacks escalate/bind on clusterroles. */
  grant?: string;
}

const R = (resource: string, group: string, verbs: readonly string[], namespace: string | undefined, why: string, grant?: string): Requirement[] =>
  verbs.map((verb) => ({ verb, group, resource, ...(namespace ? { namespace } : {}), why, ...(grant ? { grant } : {}) }));

/**
 * What installing the chart needs (facts §A1-§A4). Objects helm creates: the namespaced objects in the
 * release namespace and the cluster-scoped CRD, ClusterRoles and ClusterRoleBindings; helm keeps its
 * release in a Secret. The ClusterRoles grant rules (§A3) the installer must hold itself unless it may
 * `escalate` (create a role with more rights) and `bind` (bind it).
 */
export function requirements(target: Target): Requirement[] {
  const ns = target.kubernetes.namespace;
  const chart: Chart = target.chart ?? 'flyte-binary';
  const ingress = target.ingress ? target.ingress.enabled : true;
  const out: Requirement[] = [
    ...R('namespaces', '', ['get', 'list', 'create'], undefined, 'release and project namespaces'),
    ...R('deployments', 'apps', HELM_VERBS, ns, 'Flyte Deployments'),
    ...R('services', '', HELM_VERBS, ns, 'Flyte Services'),
    ...R('serviceaccounts', '', HELM_VERBS, ns, 'Flyte ServiceAccounts'),
    ...R('configmaps', '', HELM_VERBS, ns, 'Flyte configuration'),
    ...R('secrets', '', HELM_VERBS, ns, 'Flyte secrets and the helm release record'),
    ...(ingress ? R('ingresses', 'networking.k8s.io', HELM_VERBS, ns, 'Flyte Ingresses') : []),
    ...R('customresourcedefinitions', 'apiextensions.k8s.io', HELM_VERBS, undefined, 'the flyteworkflows.flyte.lyft.com CRD'),
    ...R('clusterroles', 'rbac.authorization.k8s.io', HELM_VERBS, undefined, 'the Flyte ClusterRoles'),
    ...R('clusterrolebindings', 'rbac.authorization.k8s.io', HELM_VERBS, undefined, 'the Flyte ClusterRoleBindings'),
    ...R('mutatingwebhookconfigurations', 'admissionregistration.k8s.io', ['get', 'list'], undefined, 'the Flyte pod webhook (registered at runtime)'),
    ...R('clusterroles', 'rbac.authorization.k8s.io', ['escalate', 'bind'], undefined, 'granting the ClusterRole rules without holding them'),
  ];
  if (chart === 'flyte-binary') {
    const g = `ClusterRole ${binaryFullname(target.kubernetes.release)}-cluster-role`;
    for (const res of ['namespaces', 'resourcequotas', 'secrets', 'serviceaccounts']) out.push(...R(res, '', ['create', 'get', 'list', 'patch', 'update'], undefined, g, g));
    out.push(...R('pods', '', ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], undefined, g, g));
    out.push(...R('flyteworkflows', 'flyte.lyft.com', ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'], undefined, g, g));
    out.push(...R('customresourcedefinitions', 'apiextensions.k8s.io', ['create', 'get', 'list'], undefined, g, g));
    out.push(...R('mutatingwebhookconfigurations', 'admissionregistration.k8s.io', ['create', 'get', 'list', 'patch', 'update'], undefined, g, g));
  } else {
    const p = `ClusterRole ${ns}-flytepropeller`, a = `ClusterRole ${ns}-flyteadmin`, w = `ClusterRole ${ns}-flyte-pod-webhook`;
    out.push(...R('*', '*', ['get', 'list', 'watch', 'create', 'update', 'delete', 'patch'], undefined, p, p));
    for (const res of ['configmaps', 'namespaces', 'pods', 'resourcequotas', 'secrets', 'services', 'serviceaccounts', 'limitranges']) out.push(...R(res, '', ['*'], undefined, a, a));
    for (const res of ['roles', 'rolebindings']) out.push(...R(res, 'rbac.authorization.k8s.io', ['*'], undefined, a, a));
    out.push(...R('flyteworkflows', 'flyte.lyft.com', ['*'], undefined, a, a));
    out.push(...R('mutatingwebhookconfigurations', 'admissionregistration.k8s.io', ['get', 'create', 'update', 'patch'], undefined, w, w));
  }
  return out;
}

const resName = (a: AccessAttributes) => (a.group && a.group !== '' ? `${a.resource}.${a.group}` : a.resource);
const scope = (a: AccessAttributes) => (a.namespace ? ` in namespace ${a.namespace}` : ' (cluster-wide)');

/** Missing permissions grouped per resource+scope: "create, delete deployments.apps in namespace flyte". */
export function summarize(missing: readonly (AccessDecision & { grant?: string })[]): string[] {
  const groups = new Map<string, string[]>();
  for (const m of missing) {
    const key = `${resName(m)}${scope(m)}${m.grant ? ` [granted by ${m.grant}]` : ''}`;
    const verbs = groups.get(key) ?? [];
    if (!verbs.includes(m.verb)) verbs.push(m.verb);
    groups.set(key, verbs);
  }
  return [...groups].map(([k, verbs]) => `${verbs.join(',')} ${k}`);
}

/** Decides what is missing: direct needs always; ClusterRole grants only without escalate+bind. */
export function evaluate(reqs: readonly Requirement[], decisions: readonly AccessDecision[]): { missing: (AccessDecision & Requirement)[]; escalateAndBind: boolean } {
  const both = reqs.map((r, i) => ({ ...r, ...decisions[i]! }));
  const allowed = (verb: string) => both.some((d) => !d.grant && d.resource === 'clusterroles' && d.verb === verb && d.allowed);
  const escalateAndBind = allowed('escalate') && allowed('bind');
  const missingGrants = both.filter((d) => d.grant && !d.allowed);
  const missing = both.filter((d) => {
    if (d.allowed) return false;
    if (d.grant) return !escalateAndBind;
    if (d.verb === 'escalate' || d.verb === 'bind') return missingGrants.length > 0;
    return true;
  });
  return { missing, escalateAndBind };
}

export default defineCheck({
  id: 'kubernetes.rbac.install',
  title: 'The installing identity has every permission installing the chart needs',
  phases: ['preflight'],
  needs: ['kubernetes'],
  dependsOn: ['kubernetes.api.reachable'],
  timeoutMs: 20_000,
  messages: {
    allowed: { status: 'pass', summary: 'The identity holds every permission installing the chart needs.' },
    missingPermissions: { status: 'fail', summary: 'Permissions the install needs are missing; each missing verb and resource is named.' },
    deniedByPolicy: { status: 'fail', summary: 'An authorizer (a webhook or policy engine, not RBAC) explicitly denies permissions the install needs: no RoleBinding can override it; its reason is named.' },
    ...API_MESSAGES,
  },
  explain: {
    what: 'Asks the API server (one SelfSubjectRulesReview per namespace, then a SelfSubjectAccessReview for each right no listed rule grants; both create nothing) whether the current identity may create and manage every kind of object the detected chart installs: namespaces, the CRD, ClusterRoles and ClusterRoleBindings, Deployments, Services, ServiceAccounts, ConfigMaps, Secrets, Ingresses and (at runtime) the MutatingWebhookConfiguration. The chart ClusterRoles grant rights the installer must hold itself unless it has `escalate` and `bind` on clusterroles.',
    why: 'In locked-down clusters `helm install` stops half-way with "is forbidden", leaving a partial release; flyte-core\'s propeller ClusterRole grants `*/*`, which only a cluster admin (or an identity with escalate) can create.',
    fix: 'Run the install as a cluster admin, or have an admin bind the installing identity (e.g. `kubectl create clusterrolebinding flyte-installer --clusterrole=cluster-admin --user=<you>`), or apply the cluster-scoped objects out of band.',
  },
  async run(ctx) {
    const reqs = requirements(ctx.target);
    const chart = ctx.target.chart ?? 'flyte-binary';
    return withKube(ctx, 'the install permissions', async (s, signal) => {
      const decisions = await s.canI(reqs, signal);
      const { missing, escalateAndBind } = evaluate(reqs, decisions);
      const user = s.identity.user;
      const details = { chart, user, context: s.identity.context, checked: reqs.length, escalateAndBind, missing: summarize(missing) };
      if (missing.length === 0) {
        return { status: 'pass' as const, messageId: 'allowed' as const, message: `user "${user}" may install ${chart} into namespace ${ctx.target.kubernetes.namespace} (${reqs.length} permissions checked)`, details };
      }
      const k = kubectl(ctx.target.kubernetes);
      const canI = (m: AccessDecision) => `\`${k} auth can-i ${m.verb} ${resName(m)}${m.namespace ? ` -n ${m.namespace}` : ''}\``;
      // Two different answers behind allowed=false: an explicit deny (denied=true: a webhook or policy
      // authorizer said no, and no RBAC binding can override it) and no rule granting it (a binding fixes it).
      const why = (list: readonly AccessDecision[], f: (m: AccessDecision) => string | undefined) => [...new Set(list.map(f).filter((x): x is string => !!x))].slice(0, 3);
      const denied = missing.filter((m) => m.denied);
      const plain = missing.filter((m) => !m.denied);
      // evaluationError does not make allowed=false unknown (RBAC reports a binding whose role is gone
      // with it on every review); it is shown as evidence.
      const errs = why(plain, (m) => m.evaluationError);
      const missingDetail = missing.map((m) => ({ verb: m.verb, resource: resName(m), namespace: m.namespace ?? null, neededFor: m.why, ...(m.denied ? { denied: true } : {}), ...(m.reason ? { reason: m.reason } : {}), ...(m.evaluationError ? { evaluationError: m.evaluationError } : {}) }));
      const errNote = errs.length ? ` (the authorizer also reported: ${errs.join('; ')})` : '';
      if (denied.length) {
        const reasons = why(denied, (m) => m.reason);
        return {
          status: 'fail' as const, messageId: 'deniedByPolicy' as const,
          cause: cause.denied('kubernetes', user || 'anonymous', `install ${chart}`),
          message: `an authorizer explicitly denies user "${user}" ${denied.length} permission(s) needed to install ${chart}${reasons.length ? ` (reason: ${reasons.join('; ')})` : ' (no reason given)'}: ${summarize(denied).join('; ')}${plain.length ? `; ${plain.length} more are granted by no rule: ${summarize(plain).join('; ')}` : ''}${errNote}`,
          details: { ...details, denied: summarize(denied), ...(plain.length ? { notGranted: summarize(plain) } : {}), missingDetail },
          hint: `an explicit deny (a webhook or policy authorizer, not RBAC) wins over any RoleBinding or ClusterRoleBinding, so binding cluster-admin will not help: ask the owner of that policy to allow user ${user || '<you>'}, or have an identity it allows (a cluster admin) install ${chart} or apply the cluster-scoped objects; check one with ${canI(denied[0]!)}`,
        };
      }
      const lines = summarize(plain);
      const first = plain[0]!;
      return {
        status: 'fail' as const, messageId: 'missingPermissions' as const,
        cause: cause.denied('kubernetes', user || 'anonymous', `install ${chart}`),
        message: `user "${user}" lacks ${plain.length} permission(s) needed to install ${chart}: ${lines.join('; ')}${errNote}`,
        details: { ...details, missingDetail },
        hint: `have a cluster admin grant them (e.g. \`kubectl create clusterrolebinding flyte-installer --clusterrole=cluster-admin --user=${user || '<you>'}\`), or install as an admin; check one with ${canI(first)}`,
      };
    });
  },
});
