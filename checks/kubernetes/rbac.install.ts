import { KubeError, kubectl, type AccessAttributes, type AccessDecision, type KubeSession } from '../../src/clients/kube.js';
import { whoAmI } from '../../src/clients/whoami.js';
import { readValuesFile } from '../../src/config/values.js';
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
  /**
   * Needed only by `helm install --create-namespace` (the release namespace exists): helm still POSTs the
   * Namespace and only an AlreadyExists answer is ignored, so without the right that flag fails with 403.
   */
  createNamespaceFlag?: boolean;
}

/**
 * Who creates the flyteworkflows.flyte.lyft.com CRD, from the chart and its values:
 *  - flyte-binary renders templates/crds/flyteworkflow.yaml only `if not configuration.propeller.createCRDs`
 *    (default true), and pastes the key into the binary's config as `propeller.create-flyteworkflow-crd`:
 *    by default the binary creates the CRD at start-up with its own ServiceAccount (rights from the chart
 *    ClusterRole: create/get/list customresourcedefinitions), so the installer needs no right on CRDs
 *    beyond holding that grant; with `createCRDs: false` helm creates it (the installer's rights);
 *  - flyte-core renders templates/propeller/crds/flyteworkflow.yaml `if flytepropeller.enabled` and
 *    `if flytepropeller.createCRDs` (default true): helm creates it; otherwise nobody does (propeller's
 *    create-flyteworkflow-crd defaults to false), and it must exist before executions run.
 */
export interface CrdCreation {
  by: 'helm' | 'propeller' | 'nobody';
  /** The values key that decides, as written (or the chart default). */
  key: string;
  value: string;
  /** Where the value comes from (a values file, or "chart default"). */
  origin: string;
  why: string;
}

/** A values key read from the target's values files as Helm merges them (the last file that sets it wins); --set is not seen here. */
function valueOf(target: Target, key: string): { v: unknown; file: string } | undefined {
  const prefix = target.chartName === 'flyte' ? ['flyte'] : target.chartName === 'flyte-sandbox' ? ['flyte-binary'] : [];
  let hit: { v: unknown; file: string } | undefined;
  for (const f of target.valuesFiles ?? []) {
    if (f === '-') continue;
    let values: unknown;
    try { values = readValuesFile(f, process.cwd()).values; } catch { continue; }
    for (const path of prefix.length ? [[...prefix, ...key.split('.')], key.split('.')] : [key.split('.')]) {
      const v = path.reduce<unknown>((o, k) => (o && typeof o === 'object' && !Array.isArray(o) ? (o as Record<string, unknown>)[k] : undefined), values);
      if (v !== undefined) hit = { v, file: f };
    }
  }
  return hit;
}

/** How a Go template's `if` reads a value: false, 0, "", nil, an empty map or list are false. */
const goTruthy = (v: unknown): boolean => !(v === false || v === null || v === undefined || v === 0 || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && Object.keys(v).length === 0));

export function crdCreation(target: Target): CrdCreation {
  const chart: Chart = target.chart ?? 'flyte-binary';
  const read = (key: string, dflt: boolean) => { const h = valueOf(target, key); return h ? { key, raw: h.v, value: JSON.stringify(h.v), origin: h.file } : { key, raw: dflt as unknown, value: String(dflt), origin: 'chart default' }; };
  if (chart === 'flyte-binary') {
    const c = read('configuration.propeller.createCRDs', true);
    if (!goTruthy(c.raw)) return { by: 'helm', key: c.key, value: c.value, origin: c.origin, why: `${c.key} is ${c.value} (${c.origin}): helm installs the CRD (templates/crds/flyteworkflow.yaml)` };
    // A quoted false word is a non-empty string: helm renders no CRD, and the binary reads create-flyteworkflow-crd: false.
    if (typeof c.raw === 'string' && /^(false|no|off|0)$/i.test(c.raw.trim())) return { by: 'nobody', key: c.key, value: c.value, origin: c.origin, why: `${c.key} is the string ${c.value} (${c.origin}): helm's \`if not\` reads a non-empty string as true, so the chart renders no CRD, and the binary reads create-flyteworkflow-crd as false, so it does not create one either` };
    return { by: 'propeller', key: c.key, value: c.value, origin: c.origin, why: `${c.key} is ${c.value} (${c.origin}): the flyte-binary pod creates the CRD at start-up with its own ServiceAccount (ClusterRole ${binaryFullname(target.kubernetes.release)}-cluster-role grants create/get/list customresourcedefinitions), not helm` };
  }
  const en = read('flytepropeller.enabled', true);
  if (!goTruthy(en.raw)) return { by: 'nobody', key: en.key, value: en.value, origin: en.origin, why: `${en.key} is ${en.value} (${en.origin}): the chart renders no propeller and no CRD` };
  const c = read('flytepropeller.createCRDs', true);
  if (goTruthy(c.raw)) return { by: 'helm', key: c.key, value: c.value, origin: c.origin, why: `${c.key} is ${c.value} (${c.origin}): helm installs the CRD (templates/propeller/crds/flyteworkflow.yaml)` };
  return { by: 'nobody', key: c.key, value: c.value, origin: c.origin, why: `${c.key} is ${c.value} (${c.origin}): the chart renders no CRD and propeller does not create it (create-flyteworkflow-crd defaults to false): apply it before installing` };
}

export interface InstallState {
  /** Whether the release namespace exists (undefined: it could not be read). */
  namespaceExists?: boolean | undefined;
  /** Kinds of the render (--manifests) beyond the chart's usual objects, as discovery names them. */
  renderKinds?: RenderKind[];
  /** Who creates the flyteworkflows CRD (default: crdCreation of the target). */
  crd?: CrdCreation;
}

/** One (apiVersion, kind) of the render as a resource, from the API server's discovery. */
export interface RenderKind { kind: string; apiVersion: string; group: string; resource: string; namespace?: string; example: string; count: number }

const R = (resource: string, group: string, verbs: readonly string[], namespace: string | undefined, why: string, grant?: string): Requirement[] =>
  verbs.map((verb) => ({ verb, group, resource, ...(namespace ? { namespace } : {}), why, ...(grant ? { grant } : {}) }));

/** The ClusterRoles the chart creates (and binds): the RBAC `bind` check names the role (roleRef.name). */
export function chartClusterRoles(target: Target): string[] {
  const ns = target.kubernetes.namespace;
  return (target.chart ?? 'flyte-binary') === 'flyte-binary'
    ? [`${binaryFullname(target.kubernetes.release)}-cluster-role`]
    : [`${ns}-flyteadmin`, `${ns}-flytepropeller`, `${ns}-flyte-pod-webhook`];
}

/**
 * What installing the chart needs (facts §A1-§A4). Objects helm creates: the namespaced objects in the
 * release namespace and the cluster-scoped CRD, ClusterRoles and ClusterRoleBindings; helm keeps its
 * release in a Secret. The ClusterRoles grant rules (§A3) the installer must hold itself unless it may
 * `escalate` (create a role with more rights) and `bind` (bind it).
 */
export function requirements(target: Target, state: InstallState = {}): Requirement[] {
  const ns = target.kubernetes.namespace;
  const chart: Chart = target.chart ?? 'flyte-binary';
  const ingress = target.ingress ? target.ingress.enabled : true;
  const crd = state.crd ?? crdCreation(target);
  // The release namespace: helm creates it only with --create-namespace, and only when it is missing
  // does the install need that right (when it exists, the right matters only for that flag: a warning).
  const createNs: Requirement = state.namespaceExists === true
    ? { verb: 'create', group: '', resource: 'namespaces', why: `only for \`helm install --create-namespace\`: namespace ${ns} exists`, createNamespaceFlag: true }
    : { verb: 'create', group: '', resource: 'namespaces', why: state.namespaceExists === false ? `namespace ${ns} does not exist: \`helm install --create-namespace\` creates it` : `the release namespace ${ns} (whether it exists could not be read)` };
  const out: Requirement[] = [
    ...R('namespaces', '', ['get', 'list'], undefined, 'release and project namespaces'),
    createNs,
    ...R('deployments', 'apps', HELM_VERBS, ns, 'Flyte Deployments'),
    ...R('services', '', HELM_VERBS, ns, 'Flyte Services'),
    ...R('serviceaccounts', '', HELM_VERBS, ns, 'Flyte ServiceAccounts'),
    ...R('configmaps', '', HELM_VERBS, ns, 'Flyte configuration'),
    ...R('secrets', '', HELM_VERBS, ns, 'Flyte secrets and the helm release record'),
    ...(ingress ? R('ingresses', 'networking.k8s.io', HELM_VERBS, ns, 'Flyte Ingresses') : []),
    // the CRD: the installer's rights only when helm creates it (see crdCreation)
    ...(crd.by === 'helm' ? R('customresourcedefinitions', 'apiextensions.k8s.io', HELM_VERBS, undefined, `the flyteworkflows.flyte.lyft.com CRD (${crd.why})`) : []),
    ...R('clusterroles', 'rbac.authorization.k8s.io', HELM_VERBS, undefined, 'the Flyte ClusterRoles'),
    ...R('clusterrolebindings', 'rbac.authorization.k8s.io', HELM_VERBS, undefined, 'the Flyte ClusterRoleBindings'),
    ...R('mutatingwebhookconfigurations', 'admissionregistration.k8s.io', ['get', 'list'], undefined, 'the Flyte pod webhook (registered at runtime)'),
    // escalate is checked on the create (no name); bind on the role the binding refers to (RBAC's
    // BindingAuthorized names roleRef.name), so a bind right limited by resourceNames to the chart's roles counts.
    ...R('clusterroles', 'rbac.authorization.k8s.io', ['escalate'], undefined, 'granting the ClusterRole rules without holding them'),
    ...chartClusterRoles(target).map((name): Requirement => ({ verb: 'bind', group: 'rbac.authorization.k8s.io', resource: 'clusterroles', name, why: `binding ClusterRole ${name} without holding its rules` })),
  ];
  // Every other kind of the render (a Role, a StatefulSet, a PodDisruptionBudget, a ServiceMonitor...):
  // helm creates, patches and (on upgrade) deletes it like the rest.
  for (const k of state.renderKinds ?? []) {
    const why = `${k.apiVersion} ${k.kind} of the render (${k.count > 1 ? `${k.count} objects, e.g. ${k.example}` : k.example})`;
    for (const verb of HELM_VERBS) {
      if (out.some((r) => !r.grant && !r.createNamespaceFlag && r.verb === verb && r.group === k.group && r.resource === k.resource && r.namespace === k.namespace)) continue;
      out.push({ verb, group: k.group, resource: k.resource, ...(k.namespace ? { namespace: k.namespace } : {}), why });
    }
  }
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
    // (bind is asked per chart ClusterRole, by name: it groups with the other clusterroles verbs; missingDetail names the role)
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
  // every escalate/bind asked (bind: one per chart ClusterRole, by name) must be allowed
  const allowed = (verb: string) => { const ds = both.filter((d) => !d.grant && d.resource === 'clusterroles' && d.verb === verb); return ds.length > 0 && ds.every((d) => d.allowed); };
  const escalateAndBind = allowed('escalate') && allowed('bind');
  const missingGrants = both.filter((d) => d.grant && !d.allowed);
  const missing = both.filter((d) => {
    if (d.allowed || d.createNamespaceFlag) return false;
    if (d.grant) return !escalateAndBind;
    if (d.verb === 'escalate' || d.verb === 'bind') return missingGrants.length > 0;
    return true;
  });
  return { missing, escalateAndBind };
}

/**
 * The (apiVersion, kind)s of the render (--manifests) as resources: plural and scope from the API
 * server's discovery of that group/version. A kind discovery does not list (not served, a CRD the render
 * brings, discovery refused) is left out: kubernetes.objects.apis reports it.
 */
async function kindsOfRender(s: KubeSession, target: Target, signal: AbortSignal): Promise<RenderKind[]> {
  const refs = (target.references ?? []).filter((r) => r.api && r.apiVersion);
  const disc = new Map<string, Promise<{ name: string; kind: string; namespaced: boolean }[]>>();
  const out: RenderKind[] = [];
  for (const r of refs.slice(0, 60)) {
    const gv = r.apiVersion!;
    const group = gv.includes('/') ? gv.slice(0, gv.indexOf('/')) : '';
    if (!disc.has(gv)) {
      const path = group ? `/apis/${gv.split('/').map(encodeURIComponent).join('/')}` : `/api/${encodeURIComponent(gv)}`;
      disc.set(gv, s.getOptional<Record<string, unknown>>(path, signal).then((d) => (Array.isArray(d?.['resources']) ? (d!['resources'] as unknown[]) : [])
        .filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null && typeof (x as Record<string, unknown>)['name'] === 'string' && !String((x as Record<string, unknown>)['name']).includes('/'))
        .map((x) => ({ name: String(x['name']), kind: String(x['kind']), namespaced: x['namespaced'] === true })), (e) => { if (signal.aborted) throw e; return []; }));
    }
    const res = (await disc.get(gv)!).find((x) => x.kind === r.kind);
    if (!res) continue;
    out.push({ kind: r.kind, apiVersion: gv, group, resource: res.name, ...(res.namespaced ? { namespace: r.namespace ?? target.kubernetes.namespace } : {}), example: r.name, count: r.count ?? 1 });
  }
  return out;
}

/**
 * The identity the API server answers the reviews for, from the kubeconfig's evidence (kept for the
 * checks that name it without a request); the checks ask whoAmI (src/clients/whoami.ts), which asks
 * the API server (SelfSubjectReview) and falls back to this.
 */
export { kubeconfigIdentity as checkedIdentity, type CheckedIdentity } from '../../src/clients/whoami.js';

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
    createNamespaceDenied: { status: 'warn', summary: 'Every permission is held and the namespace exists, but the identity may not create namespaces: `helm install --create-namespace` fails with 403 even for an existing namespace; install without that flag.' },
    deniedByPolicy: { status: 'fail', summary: 'An authorizer (a webhook or policy engine, not RBAC) explicitly denies permissions the install needs: no RoleBinding can override it; its reason is named.' },
    ...API_MESSAGES,
  },
  explain: {
    what: 'Asks the API server (one SelfSubjectRulesReview per namespace, then a SelfSubjectAccessReview for each right no listed rule grants; both create nothing) whether the current identity may create and manage every kind of object the detected chart installs: namespaces, the CRD, ClusterRoles and ClusterRoleBindings, Deployments, Services, ServiceAccounts, ConfigMaps, Secrets, Ingresses and (at runtime) the MutatingWebhookConfiguration. The chart ClusterRoles grant rights the installer must hold itself unless it has `escalate` on clusterroles and `bind` on each chart ClusterRole (by name, as RBAC checks it). With `--manifests`, every other kind of the render (Role, StatefulSet, PodDisruptionBudget...) is asked too. `create namespaces` is needed only when the release namespace does not exist; when it exists, lacking it is a warning about `helm install --create-namespace`. The identity named is the one the API server answers for: the impersonated user (`as:`), the ServiceAccount of a token, the CN of a client certificate.',
    why: 'In locked-down clusters `helm install` stops half-way with "is forbidden", leaving a partial release; flyte-core\'s propeller ClusterRole grants `*/*`, which only a cluster admin (or an identity with escalate) can create.',
    fix: 'Run the install as a cluster admin, or have an admin bind the installing identity (e.g. `kubectl create clusterrolebinding flyte-installer --clusterrole=cluster-admin --user=<you>`), or apply the cluster-scoped objects out of band.',
  },
  async run(ctx) {
    const chart = ctx.target.chart ?? 'flyte-binary';
    const ns = ctx.target.kubernetes.namespace;
    return withKube(ctx, 'the install permissions', async (s, signal) => {
      // Whether the release namespace exists decides whether creating namespaces is needed at all.
      let namespaceExists: boolean | undefined;
      try { namespaceExists = (await s.getOptional(`/api/v1/namespaces/${encodeURIComponent(ns)}`, signal)) !== undefined; } catch (e) {
        if (!(e instanceof KubeError) || e.kind !== 'forbidden') throw e;
      }
      const renderKinds = await kindsOfRender(s, ctx.target, signal);
      const crd = crdCreation(ctx.target);
      const reqs = requirements(ctx.target, { namespaceExists, renderKinds, crd });
      const decisions = await s.canI(reqs, signal);
      const { missing, escalateAndBind } = evaluate(reqs, decisions);
      // The cause key names the kubeconfig user like every other Kubernetes check (one root cause);
      // the message and the fix name the identity the API server answered for.
      const user = s.identity.user;
      const id = await whoAmI(s, signal);
      const who = id.known ? (id.serviceAccount ? `ServiceAccount ${id.serviceAccount.namespace}/${id.serviceAccount.name}` : `user "${id.name}"`) : `user "${user}"`;
      const whoNote = id.known && id.how ? ` (${id.how})` : '';
      const identity = { name: id.name, known: id.known, how: id.how, source: id.source, ...(id.reviewNote ? { reviewNote: id.reviewNote } : {}), ...(id.groups ? { groups: id.groups } : {}), ...(id.serviceAccount ? { serviceAccount: `${id.serviceAccount.namespace}/${id.serviceAccount.name}` } : {}) };
      const details = { chart, user, identity, context: s.identity.context, namespaceExists: namespaceExists ?? null, crd: { createdBy: crd.by, key: crd.key, value: crd.value, origin: crd.origin, why: crd.why }, checked: reqs.length, escalateAndBind, missing: summarize(missing) };
      const whoami = id.known ? '' : `; use the name the API server knows you by, as \`${kubectl(ctx.target.kubernetes)} auth whoami\` shows it${id.reviewAsked && id.reviewNote ? ` (the API server was asked and could not say: ${id.reviewNote})` : ''}`;
      // Who creates the CRD, when it is not helm (so not the installer's rights): said, never asked of the installer.
      const crdNote = crd.by === 'helm' ? '' : `; the flyteworkflows CRD is ${crd.by === 'propeller' ? 'not created by helm' : 'created by nobody'}: ${crd.why}`;
      if (missing.length === 0) {
        const flag = decisions.find((d, i) => reqs[i]!.createNamespaceFlag && !d.allowed);
        if (flag) {
          return { status: 'warn' as const, messageId: 'createNamespaceDenied' as const, cause: cause.denied('kubernetes', user || 'anonymous', 'create namespaces'),
            message: `${who}${whoNote} holds every permission installing ${chart} into the existing namespace ${ns} needs (${reqs.length} checked), but may not create namespaces: \`helm install --create-namespace\` fails with 403 even though ${ns} exists (helm still creates the Namespace and ignores only "already exists")${flag.reason ? ` (${flag.reason})` : ''}`,
            details: { ...details, createNamespaces: false },
            hint: `install without \`--create-namespace\` (namespace ${ns} already exists), e.g. \`helm install ${ctx.target.kubernetes.release} flyteorg/${chart} -n ${ns} -f <values>\`` };
        }
        return { status: 'pass' as const, messageId: 'allowed' as const, message: `${who}${whoNote} may install ${chart} into namespace ${ns} (${reqs.length} permissions checked)${crdNote}`, details };
      }
      const k = kubectl(ctx.target.kubernetes);
      const canI = (m: AccessDecision) => `\`${k} auth can-i ${m.verb} ${resName(m)}${m.name ? `/${m.name}` : ''}${m.namespace ? ` -n ${m.namespace}` : ''}\``;
      // Two different answers behind allowed=false: an explicit deny (denied=true: a webhook or policy
      // authorizer said no, and no RBAC binding can override it) and no rule granting it (a binding fixes it).
      const why = (list: readonly AccessDecision[], f: (m: AccessDecision) => string | undefined) => [...new Set(list.map(f).filter((x): x is string => !!x))].slice(0, 3);
      const denied = missing.filter((m) => m.denied);
      const plain = missing.filter((m) => !m.denied);
      // evaluationError does not make allowed=false unknown (RBAC reports a binding whose role is gone
      // with it on every review); it is shown as evidence.
      const errs = why(plain, (m) => m.evaluationError);
      const missingDetail = missing.map((m) => ({ verb: m.verb, resource: resName(m), ...(m.name ? { name: m.name } : {}), namespace: m.namespace ?? null, neededFor: m.why, ...(m.denied ? { denied: true } : {}), ...(m.reason ? { reason: m.reason } : {}), ...(m.evaluationError ? { evaluationError: m.evaluationError } : {}) }));
      const errNote = errs.length ? ` (the authorizer also reported: ${errs.join('; ')})` : '';
      if (denied.length) {
        const reasons = why(denied, (m) => m.reason);
        return {
          status: 'fail' as const, messageId: 'deniedByPolicy' as const,
          cause: cause.denied('kubernetes', user || 'anonymous', `install ${chart}`),
          message: `an authorizer explicitly denies ${who}${whoNote} ${denied.length} permission(s) needed to install ${chart}${reasons.length ? ` (reason: ${reasons.join('; ')})` : ' (no reason given)'}: ${summarize(denied).join('; ')}${plain.length ? `; ${plain.length} more are granted by no rule: ${summarize(plain).join('; ')}` : ''}${errNote}`,
          details: { ...details, denied: summarize(denied), ...(plain.length ? { notGranted: summarize(plain) } : {}), missingDetail },
          hint: `an explicit deny (a webhook or policy authorizer, not RBAC) wins over any RoleBinding or ClusterRoleBinding, so binding cluster-admin will not help: ask the owner of that policy to allow ${id.known ? who : `user ${user || '<you>'}`}, or have an identity it allows (a cluster admin) install ${chart} or apply the cluster-scoped objects; check one with ${canI(denied[0]!)}`,
        };
      }
      const lines = summarize(plain);
      const first = plain[0]!;
      return {
        status: 'fail' as const, messageId: 'missingPermissions' as const,
        cause: cause.denied('kubernetes', user || 'anonymous', `install ${chart}`),
        message: `${who}${whoNote} lacks ${plain.length} permission(s) needed to install ${chart}: ${lines.join('; ')}${errNote}${crdNote}`,
        details: { ...details, missingDetail },
        hint: `have a cluster admin grant them (e.g. \`kubectl create clusterrolebinding flyte-installer --clusterrole=cluster-admin ${id.subjectFlag}\`${whoami}), or install as an admin; check one with ${canI(first)}`,
      };
    });
  },
});
