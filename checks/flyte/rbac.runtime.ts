import { canReviewSubjects, reviewSubjects, serviceAccountSubject, type ReviewRequest, type SubjectDecision } from '../../src/clients/access.js';
import { isObj, KubeError, kubectl, type AccessAttributes, type KubeSession } from '../../src/clients/kube.js';
import type { Chart } from '../../src/config/target.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import { projectNamespaces } from '../../src/flyte/namespaces.js';
import { resolveChartNames, type ChartNames } from '../../src/flyte/kubernetes.js';
import {
  defaultTemplateKinds, helmUpgradeCommand, kindResource, resourceName, rulesAllow, rulesOf, runtimeAccounts, syncRuns, templateConfigMap, templateObjects,
  type ChartBinding, type RuntimeAccount, type RuntimeRight, type TemplateKind,
} from '../../src/flyte/rbac.js';
import { API_MESSAGES, withKube } from '../kubernetes/_support.js';

/** Project-domain namespaces reviewed per right (the rest are named as not reviewed). */
const MAX_PROJECT_NAMESPACES = 12;

type Obj = Record<string, any>;
const enc = encodeURIComponent;

/** GET that reads 404 as absent and 403 as unreadable (the check goes on with the chart's defaults). */
async function tryGet(s: KubeSession, path: string, signal: AbortSignal): Promise<{ obj?: Obj; missing?: true; forbidden?: true }> {
  try {
    const obj = await s.getOptional<Obj>(path, signal);
    return obj ? { obj } : { missing: true };
  } catch (e) {
    if (e instanceof KubeError && e.kind === 'forbidden') return { forbidden: true };
    throw e;
  }
}

/** One ServiceAccount as the cluster runs it: what runs as it and what it needs. */
interface Account {
  sa: string;
  deployments: string[];
  components: string[];
  /** The chart's bindings meant to grant it (none for datacatalog/flytescheduler). */
  bindings: ChartBinding[];
  accountKeys: string[];
  rights: RuntimeRight[];
  /** How the name was learned: the live Deployment, or the chart's default (Deployment absent/unreadable). */
  from: string;
  exists?: boolean;
}

interface Review { account: Account; right: RuntimeRight; attrs: AccessAttributes }

/** Why the chart's RBAC does not grant a denied right, from the binding and the role as they are. */
type Diagnosis =
  | { state: 'binding-missing'; binding: ChartBinding }
  | { state: 'not-bound'; binding: ChartBinding; bindingKind: string; subjects: string[]; roleRef: string; roleRefDiffers: boolean }
  | { state: 'role-missing'; binding: ChartBinding; roleKind: string; role: string }
  | { state: 'rule-missing'; binding: ChartBinding; roleKind: string; role: string; lacking: Review[] }
  | { state: 'namespace-only'; binding: ChartBinding; outside: Review[] }
  | { state: 'looks-granted'; binding: ChartBinding; roleKind: string; role: string }
  | { state: 'unreadable'; binding: ChartBinding; what: string }
  | { state: 'no-chart-binding' };

const saNs = (ns: string, sa: string) => `${ns}/${sa}`;

/** `verb/verb resource [in ns, ns]`, verbs merged per resource and namespaces, for messages. */
function summarize(reviews: readonly Review[], max = 6): string {
  const perVerb = new Map<string, { res: string; verb: string; ns: string[] }>();
  for (const r of reviews) {
    const res = `${resourceName(r.right)}${r.right.name ? `/${r.right.name}` : ''}`;
    const k = `${res} ${r.attrs.verb}`;
    const g = perVerb.get(k) ?? perVerb.set(k, { res, verb: r.attrs.verb, ns: [] }).get(k)!;
    if (r.attrs.namespace && !g.ns.includes(r.attrs.namespace)) g.ns.push(r.attrs.namespace);
  }
  const groups = new Map<string, { res: string; verbs: string[]; ns: string[] }>();
  for (const g of perVerb.values()) {
    const k = `${g.res}|${g.ns.join(',')}`;
    const e = groups.get(k) ?? groups.set(k, { res: g.res, verbs: [], ns: g.ns }).get(k)!;
    e.verbs.push(g.verb);
  }
  const parts = [...groups.values()].map((g) => `${g.verbs.join('/')} ${g.res}${g.ns.length ? ` in ${g.ns.join(', ')}` : ' (cluster-wide)'}`);
  return parts.slice(0, max).join('; ') + (parts.length > max ? `; and ${parts.length - max} more` : '');
}

/** The rules a denied right needs, as one `kubectl create clusterrole`-style verb/resource list. */
function ruleJson(reviews: readonly Review[]): string {
  const byRes = new Map<string, { apiGroups: string[]; resources: string[]; verbs: string[] }>();
  for (const r of reviews) {
    const res = r.right.subresource ? `${r.right.resource}/${r.right.subresource}` : r.right.resource;
    const k = `${r.right.group}|${res}`;
    const e = byRes.get(k) ?? byRes.set(k, { apiGroups: [r.right.group], resources: [res], verbs: [] }).get(k)!;
    if (!e.verbs.includes(r.attrs.verb)) e.verbs.push(r.attrs.verb);
  }
  return JSON.stringify([...byRes.values()].map((v) => ({ op: 'add', path: '/rules/-', value: v })));
}

async function diagnose(s: KubeSession, ns: string, acc: Account, denied: Review[], signal: AbortSignal): Promise<Diagnosis> {
  const binding = acc.bindings[0];
  if (!binding) return { state: 'no-chart-binding' };
  let b = await tryGet(s, `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${enc(binding.name)}`, signal);
  let bindingKind = 'ClusterRoleBinding';
  if (b.missing && binding.namespacedAlternative) {
    const rb = await tryGet(s, `/apis/rbac.authorization.k8s.io/v1/namespaces/${enc(ns)}/rolebindings/${enc(binding.name)}`, signal);
    if (rb.obj || rb.forbidden) { b = rb; bindingKind = 'RoleBinding'; }
  }
  if (b.forbidden) return { state: 'unreadable', binding, what: `${bindingKind} ${binding.name}` };
  if (b.missing || !b.obj) return { state: 'binding-missing', binding };
  const subjects = (Array.isArray(b.obj['subjects']) ? b.obj['subjects'] : []).filter(isObj);
  const bindsIt = subjects.some((x) => (x['kind'] === 'ServiceAccount' && x['name'] === acc.sa && (x['namespace'] ?? (bindingKind === 'RoleBinding' ? ns : undefined)) === ns)
    || (x['kind'] === 'Group' && ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'].includes(String(x['name']))));
  const ref = isObj(b.obj['roleRef']) ? b.obj['roleRef'] : {};
  const roleKind = String(ref['kind'] ?? ''), role = String(ref['name'] ?? '');
  const expectedKind = bindingKind === 'RoleBinding' ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  const roleRefDiffers = !expectedKind.includes(roleKind) || (role !== binding.role);
  const shown = subjects.map((x) => `${String(x['kind'])} ${x['namespace'] ? `${String(x['namespace'])}/` : ''}${String(x['name'])}`);
  if (!bindsIt) return { state: 'not-bound', binding, bindingKind, subjects: shown, roleRef: `${roleKind} ${role}`, roleRefDiffers };
  if (bindingKind === 'RoleBinding') {
    const outside = denied.filter((d) => d.attrs.namespace !== ns);
    if (outside.length) return { state: 'namespace-only', binding, outside };
  }
  const rolePath = roleKind === 'ClusterRole' ? `/apis/rbac.authorization.k8s.io/v1/clusterroles/${enc(role)}` : `/apis/rbac.authorization.k8s.io/v1/namespaces/${enc(ns)}/roles/${enc(role)}`;
  const r = await tryGet(s, rolePath, signal);
  if (r.forbidden) return { state: 'unreadable', binding, what: `${roleKind} ${role}` };
  if (r.missing || !r.obj) return { state: 'role-missing', binding, roleKind, role };
  const rules = rulesOf(r.obj);
  const lacking = denied.filter((d, i) => !rulesAllow(rules, d.right) && denied.findIndex((x) => x.right === d.right) === i);
  if (lacking.length) return { state: 'rule-missing', binding, roleKind, role, lacking };
  return { state: 'looks-granted', binding, roleKind, role };
}

/** Kinds the live cluster resource templates create: from the ConfigMap the sync's Deployment mounts at the template path. */
async function liveTemplateKinds(s: KubeSession, ns: string, chart: Chart, names: { release: string; fullname?: string }, syncDeployment: Obj | undefined, signal: AbortSignal): Promise<{ kinds: TemplateKind[]; source: string }> {
  const tc = templateConfigMap({ chart, release: names.release, ...(names.fullname ? { fullname: names.fullname } : {}) });
  let cm = tc.name;
  const spec = syncDeployment?.['spec']?.['template']?.['spec'];
  if (isObj(spec)) {
    const containers = [...(Array.isArray(spec['containers']) ? spec['containers'] : []), ...(Array.isArray(spec['initContainers']) ? spec['initContainers'] : [])].filter(isObj);
    const mounts = containers.flatMap((c) => (Array.isArray(c['volumeMounts']) ? c['volumeMounts'] : []).filter(isObj));
    const vol = mounts.find((m) => typeof m['mountPath'] === 'string' && m['mountPath'].replace(/\/$/, '') === tc.mountPath)?.['name'];
    const v = (Array.isArray(spec['volumes']) ? spec['volumes'] : []).filter(isObj).find((x) => x['name'] === vol);
    // a configMap volume, or the first configMap of a projected one (flyte-binary)
    const sources = isObj(v?.['projected']) && Array.isArray(v['projected']['sources']) ? v['projected']['sources'].filter(isObj) : [];
    const named = isObj(v?.['configMap']) ? v['configMap']['name'] : sources.map((x) => (isObj(x['configMap']) ? x['configMap']['name'] : undefined)).find((x) => typeof x === 'string');
    if (typeof named === 'string' && named) cm = named;
  }
  const got = await tryGet(s, `/api/v1/namespaces/${enc(ns)}/configmaps/${enc(cm)}`, signal);
  if (!got.obj) return { kinds: defaultTemplateKinds(chart), source: `the chart's default templates (ConfigMap ${ns}/${cm} ${got.forbidden ? 'not readable' : 'not found'})` };
  const data = isObj(got.obj['data']) ? got.obj['data'] : {};
  const objs = templateObjects(data);
  const kinds = objs.map((o) => kindResource(o.kind, o.apiVersion));
  return { kinds: kinds.length ? kinds : defaultTemplateKinds(chart), source: `ConfigMap ${ns}/${cm} (${objs.length ? objs.map((o) => `${o.kind}${o.name ? ` ${o.name}` : ''}`).join(', ') : 'no objects'})` };
}

export default defineCheck({
  id: 'flyte.rbac.runtime',
  title: "Flyte's ServiceAccounts have the Kubernetes rights their components use at run time",
  phases: ['verify'],
  needs: ['kubernetes'],
  dependsOn: ['kubernetes.api.reachable', 'kubernetes.namespace.exists'],
  messages: {
    granted: { status: 'pass', summary: 'Every Flyte ServiceAccount the values deploy exists and the API server grants it every right its components use (SubjectAccessReviews).' },
    serviceAccountMissing: { status: 'fail', summary: 'A ServiceAccount a Flyte Deployment runs as does not exist: its pods cannot be created.' },
    bindingMissing: { status: 'fail', summary: "The chart's ClusterRoleBinding for a Flyte ServiceAccount does not exist, so it is denied what it needs." },
    bindingNotForAccount: { status: 'fail', summary: "The chart's binding exists but does not bind the ServiceAccount the Deployment runs as (or binds another role)." },
    roleMissing: { status: 'fail', summary: "The role the chart's binding refers to does not exist." },
    ruleMissing: { status: 'fail', summary: "The chart's role lacks a rule for a verb and resource the component uses (edited by hand, or replaced by the values' rules)." },
    namespaceOnlyBinding: { status: 'fail', summary: 'The ServiceAccount is bound only in the release namespace (rbacScope: namespace), but the component acts in other namespaces.' },
    explicitlyDenied: { status: 'fail', summary: 'An authorizer (not RBAC) explicitly denies a right the component uses.' },
    denied: { status: 'fail', summary: "The API server denies a right the component uses, and the chart's objects do not say why (unreadable, or they look right: another binding or authorizer decides)." },
    reviewForbidden: { status: 'warn', summary: 'The identity running flyte-doctor may not create SubjectAccessReviews, so Flyte\'s rights cannot be checked with these credentials.' },
    reviewUnsupported: { status: 'skip', summary: 'The Kubernetes client of this build cannot send SubjectAccessReviews.' },
    nothingDeployed: { status: 'skip', summary: 'The values deploy no Flyte component that runs under a ServiceAccount of the chart.' },
    ...API_MESSAGES,
  },
  explain: {
    what: "For every ServiceAccount the Flyte Deployments run as (flyte-binary: its one account; flyte-core: flyteadmin, flytepropeller, flyte-pod-webhook, the cluster resource sync's account, datacatalog and flytescheduler, only those the values enable), asks the API server with a SubjectAccessReview per right whether it may do what its components do at run time: flytepropeller watches FlyteWorkflows, pods and PodTemplates everywhere and creates pods, events and updates FlyteWorkflows in the project-domain namespaces; flyteadmin creates and deletes FlyteWorkflows; the cluster resource sync creates the namespaces and the other kinds of its templates (read from the live template ConfigMap); the webhook writes its certificate Secret and registers its MutatingWebhookConfiguration. A denied right is traced to the chart's binding and role as they are on the cluster. The ServiceAccounts themselves must exist. This is Flyte's own rights; the operator's rights to install the chart are kubernetes.rbac.install.",
    why: 'An install whose RBAC was deleted or edited starts fine and then fails at run time: executions stay queued because propeller may not create pods (`pods is forbidden: User "system:serviceaccount:flyte:flytepropeller" cannot create resource "pods"`), namespaces are never created, or the webhook cannot register. Pod logs show it only after the fact.',
    fix: 'Restore the chart\'s RBAC with `helm upgrade` of the release (it re-creates a deleted ClusterRole/ClusterRoleBinding and restores edited rules), or bind the chart\'s ClusterRole to the ServiceAccount (`kubectl create clusterrolebinding … --clusterrole=<role> --serviceaccount=<ns>:<sa>`). Running flyte-doctor needs `create subjectaccessreviews` (cluster-admin has it).',
  },
  async run(ctx) {
    const t = ctx.target;
    const chart: Chart = t.chart ?? 'flyte-binary';
    const ns = t.kubernetes.namespace;
    const k = kubectl(t.kubernetes);
    const kn = kubectl(t.kubernetes, ns);
    return withKube(ctx, "the rights of Flyte's ServiceAccounts", async (s, signal) => {
      if (!canReviewSubjects(s)) return { status: 'skip' as const, messageId: 'reviewUnsupported' as const, message: 'the Kubernetes client of this build cannot send SubjectAccessReviews, so the rights of Flyte\'s ServiceAccounts are not checked' };
      const names = await resolveChartNames<ChartNames>(s, { chart, kubernetes: t.kubernetes, components: t.components }, signal);
      const base = { chart, namespace: ns, release: names.kubernetes.release, ...(names.fullname ? { fullname: names.fullname } : {}), components: t.components };
      const specs0 = runtimeAccounts(base);
      if (specs0.length === 0) return { status: 'skip' as const, messageId: 'nothingDeployed' as const, message: 'the values deploy no Flyte component that runs under a ServiceAccount of the chart' };

      // The Deployments say which ServiceAccount their pods run as.
      const deployments = new Map<string, { obj?: Obj; forbidden?: true }>();
      await Promise.all([...new Set(specs0.flatMap((a) => [a.deployment, ...(a.alternatives ?? [])]))].map(async (d) => {
        deployments.set(d, await tryGet(s, `/apis/apps/v1/namespaces/${enc(ns)}/deployments/${enc(d)}`, signal));
      }));
      const depOf = (a: RuntimeAccount) => [a.deployment, ...(a.alternatives ?? [])].map((d) => ({ name: d, got: deployments.get(d)! })).find((x) => x.got.obj);

      // The cluster resource templates as the sync runs them decide which kinds it creates.
      const sync = syncRuns(base);
      let templates: { kinds: TemplateKind[]; source: string } | undefined;
      if (sync.runs) {
        const syncDep = chart === 'flyte-binary' ? specs0[0]!.deployment : sync.standalone ? 'syncresources' : 'flyteadmin';
        templates = await liveTemplateKinds(s, ns, chart, { release: base.release, ...(base.fullname ? { fullname: base.fullname } : {}) }, deployments.get(syncDep)?.obj, signal);
      }
      const specs = runtimeAccounts({ ...base, ...(templates ? { templateKinds: templates.kinds } : {}) });

      // One entry per ServiceAccount (flyteadmin and a standalone sync usually share one).
      const accounts = new Map<string, Account>();
      for (const a of specs) {
        const d = depOf(a);
        const spec = d?.got.obj?.['spec']?.['template']?.['spec'];
        const live = isObj(spec) ? (typeof spec['serviceAccountName'] === 'string' && spec['serviceAccountName'] ? spec['serviceAccountName'] : typeof spec['serviceAccount'] === 'string' && spec['serviceAccount'] ? spec['serviceAccount'] : 'default') : undefined;
        const sa = live ?? a.account;
        const from = live !== undefined ? `Deployment ${d!.name}` : `the chart's default (Deployment ${a.deployment} ${deployments.get(a.deployment)?.forbidden ? 'not readable' : 'not found'})`;
        const cur = accounts.get(sa) ?? accounts.set(sa, { sa, deployments: [], components: [], bindings: [], accountKeys: [], rights: [], from }).get(sa)!;
        const depName = d?.name ?? a.deployment;
        if (!cur.deployments.includes(depName)) cur.deployments.push(depName);
        for (const c of a.components) if (!cur.components.includes(c)) cur.components.push(c);
        if (!cur.accountKeys.includes(a.accountKey)) cur.accountKeys.push(a.accountKey);
        if (a.binding && !cur.bindings.some((b) => b.name === a.binding!.name)) cur.bindings.push(a.binding);
        for (const r of a.rights) {
          if (!cur.rights.some((x) => x.verb === r.verb && x.group === r.group && x.resource === r.resource && x.scope === r.scope && x.name === r.name)) cur.rights.push(r);
        }
      }

      // Each ServiceAccount exists (a Deployment whose account is missing creates no pods).
      let saUnreadable = false;
      await Promise.all([...accounts.values()].map(async (a) => {
        const got = await tryGet(s, `/api/v1/namespaces/${enc(ns)}/serviceaccounts/${enc(a.sa)}`, signal);
        if (got.forbidden) saUnreadable = true; else a.exists = !!got.obj;
      }));

      // One SubjectAccessReview per right and namespace (reviewSubjects asks a right of several namespaces cluster-wide first).
      const projectNs = projectNamespaces(t).map((n) => n.namespace);
      const reviewedNs = projectNs.slice(0, MAX_PROJECT_NAMESPACES);
      const reviews: Review[] = [];
      for (const a of accounts.values()) {
        for (const r of a.rights) {
          const attrs = (namespace?: string): AccessAttributes => ({ verb: r.verb, group: r.group, resource: r.resource, ...(r.subresource ? { subresource: r.subresource } : {}), ...(namespace ? { namespace } : {}), ...(r.name ? { name: r.name } : {}) });
          if (r.scope === 'cluster') reviews.push({ account: a, right: r, attrs: attrs() });
          else if (r.scope === 'release') reviews.push({ account: a, right: r, attrs: attrs(ns) });
          else if (reviewedNs.length) for (const n of reviewedNs) reviews.push({ account: a, right: r, attrs: attrs(n) });
          else reviews.push({ account: a, right: r, attrs: attrs() });
        }
      }
      const requests: ReviewRequest[] = reviews.map((r) => ({ subject: serviceAccountSubject(ns, r.account.sa), attrs: r.attrs }));
      let decisions: SubjectDecision[];
      try {
        decisions = await reviewSubjects(s, requests, signal, { concurrency: 8 });
      } catch (e) {
        if (e instanceof KubeError && e.kind === 'forbidden') {
          const user = s.identity.user || 'anonymous';
          return {
            status: 'warn' as const, messageId: 'reviewForbidden' as const,
            cause: cause.denied('kubernetes', user, 'create subjectaccessreviews.authorization.k8s.io'),
            message: `user "${user}" may not create subjectaccessreviews.authorization.k8s.io (403), so the rights of Flyte's ServiceAccounts (${[...accounts.keys()].map((x) => saNs(ns, x)).join(', ')}) cannot be checked with these credentials`,
            details: { user, accounts: [...accounts.keys()], error: e.message },
            hint: `run verify as a user who may ask (cluster-admin may; \`${k} auth can-i create subjectaccessreviews.authorization.k8s.io\` shows the answer), or have a cluster admin grant it: \`kubectl create clusterrole flyte-doctor-review --verb=create --resource=subjectaccessreviews.authorization.k8s.io\` and \`kubectl create clusterrolebinding flyte-doctor-review --clusterrole=flyte-doctor-review --user=${user}\`; by hand: \`${k} auth can-i <verb> <resource> --as=system:serviceaccount:${ns}:<serviceaccount> -n <namespace>\``,
          };
        }
        throw e;
      }
      const deniedBy = new Map<string, Review[]>();
      const explicit: { review: Review; d: SubjectDecision }[] = [];
      const evalErrors = new Set<string>();
      const reasons = new Set<string>();
      decisions.forEach((d, i) => {
        if (d.allowed) return;
        const r = reviews[i]!;
        (deniedBy.get(r.account.sa) ?? deniedBy.set(r.account.sa, []).get(r.account.sa)!).push(r);
        if (d.denied) explicit.push({ review: r, d });
        if (d.evaluationError) evalErrors.add(d.evaluationError);
        if (d.reason) reasons.add(d.reason);
      });

      const accountDetails = [...accounts.values()].map((a) => ({
        serviceAccount: saNs(ns, a.sa), deployments: a.deployments, components: a.components, from: a.from, exists: a.exists ?? null,
        rightsReviewed: reviews.filter((r) => r.account === a).length,
        denied: (deniedBy.get(a.sa) ?? []).slice(0, 100).map((r) => ({ verb: r.attrs.verb, resource: resourceName(r.right), namespace: r.attrs.namespace ?? null, ...(r.right.name ? { name: r.right.name } : {}), neededFor: `${r.right.component}: ${r.right.why}` })),
        chartBindings: a.bindings.map((b) => `${b.kind} ${b.name} -> ${b.roleKind} ${b.role}`),
      }));
      const details: Record<string, unknown> = {
        chart, namespace: ns, accounts: accountDetails, reviews: reviews.length,
        projectNamespaces: reviewedNs, ...(projectNs.length > reviewedNs.length ? { notReviewed: projectNs.slice(reviewedNs.length) } : {}),
        ...(templates ? { clusterResourceTemplates: templates.source } : {}),
        ...(saUnreadable ? { serviceAccountsUnreadable: true } : {}),
        ...(evalErrors.size ? { evaluationErrors: [...evalErrors] } : {}),
        ...(reasons.size ? { denyReasons: [...reasons].slice(0, 10) } : {}),
      };
      const missingSa = [...accounts.values()].filter((a) => a.exists === false);
      const helm = helmUpgradeCommand({ chart, release: base.release, namespace: ns, valuesFiles: t.valuesFiles });

      if (missingSa.length === 0 && deniedBy.size === 0) {
        const list = [...accounts.values()].map((a) => `${saNs(ns, a.sa)} (${a.components.join(', ')}: ${reviews.filter((r) => r.account === a).length} reviews)`);
        return {
          status: 'pass' as const, messageId: 'granted' as const, details,
          message: `${accounts.size} ServiceAccount(s) ${saUnreadable ? '' : 'exist and '}have every right their components use: ${list.join('; ')} (${reviews.length} SubjectAccessReviews${projectNs.length > reviewedNs.length ? `, ${reviewedNs.length} of ${projectNs.length} project namespaces` : ''})${saUnreadable ? '; the ServiceAccounts themselves could not be read with these credentials' : ''}`,
        };
      }

      // Other problems, said after the main one.
      const alsoDenied = (except?: string) => [...deniedBy.entries()].filter(([sa]) => sa !== except).map(([sa, rs]) => `${saNs(ns, sa)} is denied ${summarize(rs, 3)}`);

      if (missingSa.length) {
        const a = missingSa[0]!;
        const others = [...missingSa.slice(1).map((x) => `ServiceAccount ${saNs(ns, x.sa)} is missing too`), ...alsoDenied(a.sa)];
        // the chart creates flyte-binary's account (serviceAccount.create; `default` when not) and flyte-core's fixed ones, never a custom sync account
        const made = chart === 'flyte-binary' ? (a.sa !== 'default' ? ['serviceAccount.create'] : []) : specs.filter((x) => x.account === a.sa && x.accountKey.endsWith('.create')).map((x) => x.accountKey);
        const chartMade = made.length > 0;
        return {
          status: 'fail' as const, messageId: 'serviceAccountMissing' as const, cause: cause.object('serviceaccount', ns, a.sa), details,
          message: `ServiceAccount ${saNs(ns, a.sa)} does not exist, but ${a.deployments.map((d) => `Deployment ${d}`).join(', ')} (${a.components.join(', ')}) runs as it: its pods cannot be created ("error looking up service account ${saNs(ns, a.sa)}: serviceaccount \\"${a.sa}\\" not found")${others.length ? `; also: ${others.join('; ')}` : ''}`,
          hint: `${chartMade ? `\`${helm}\` re-creates it (the chart creates it while ${[...new Set(made)].join(' / ')} is true), or` : ''} create it: \`${kn} create serviceaccount ${a.sa}\`; then \`${kn} rollout restart deploy/${a.deployments[0]}\``,
        };
      }

      // Denied rights: the first account's, traced to the chart's objects.
      const [sa, denied] = [...deniedBy.entries()][0]!;
      const acc = accounts.get(sa)!;
      const subject = `system:serviceaccount:${ns}:${sa}`;
      const others = alsoDenied(sa);
      const otherText = others.length ? `. Also: ${others.join('; ')}` : '';
      const needed = reviews.filter((r) => r.account === acc).length;
      const what = `ServiceAccount ${saNs(ns, sa)} (${acc.components.join(', ')}) is denied ${denied.length === needed ? `all ${needed}` : `${denied.length} of ${needed}`} rights it needs: ${summarize(denied)}`;
      const first = denied[0]!;
      const canI = `\`${k} auth can-i ${first.attrs.verb} ${resourceName(first.right)} --as=${subject}${first.attrs.namespace ? ` -n ${first.attrs.namespace}` : ''}\``;
      const deniedDetails = { ...details, subject };
      const expl = explicit.find((x) => x.review.account === acc);
      if (expl) {
        return {
          status: 'fail' as const, messageId: 'explicitlyDenied' as const, cause: cause.denied('kubernetes', subject, `${first.attrs.verb} ${resourceName(first.right)}`), details: deniedDetails,
          message: `${what}. An authorizer explicitly denies it${expl.d.reason ? ` ("${expl.d.reason}")` : ''}, whatever RBAC grants${otherText}`,
          hint: `the deny comes from an authorizer other than RBAC (a webhook authorizer or a cloud provider's access policy): change its policy for ${subject}; ${canI} shows the answer`,
        };
      }
      const diag = await diagnose(s, ns, acc, denied, signal);
      const bind = (role: string, roleKind = 'ClusterRole') => roleKind === 'ClusterRole'
        ? `\`kubectl create clusterrolebinding ${acc.bindings[0]?.name ?? `flyte-${sa}`}${diag.state === 'not-bound' ? `-${sa}` : ''} --clusterrole=${role} --serviceaccount=${ns}:${sa}\``
        : `\`${kn} create rolebinding ${acc.bindings[0]?.name ?? `flyte-${sa}`} --role=${role} --serviceaccount=${ns}:${sa}\``;
      switch (diag.state) {
        case 'binding-missing': {
          const b = diag.binding;
          return {
            status: 'fail' as const, messageId: 'bindingMissing' as const, cause: cause.object('clusterrolebinding', undefined, b.name), details: { ...deniedDetails, binding: b.name, role: b.role },
            message: `${what}. ${b.kind} ${b.name}, which the chart creates to grant ${b.roleKind} ${b.role} to it, does not exist${otherText}`,
            hint: `\`${helm}\` re-creates it (the chart renders it while ${b.createKey} is true${chart === 'flyte-binary' ? ' and serviceAccount.create is true' : ''}), or create it: \`kubectl create clusterrolebinding ${b.name} --clusterrole=${b.role} --serviceaccount=${ns}:${sa}\`; check with ${canI}`,
          };
        }
        case 'not-bound': {
          const b = diag.binding;
          const custom = acc.deployments.includes('syncresources') && sa !== 'flyteadmin';
          return {
            status: 'fail' as const, messageId: 'bindingNotForAccount' as const, cause: cause.object(diag.bindingKind.toLowerCase(), diag.bindingKind === 'RoleBinding' ? ns : undefined, b.name),
            details: { ...deniedDetails, binding: b.name, bindingSubjects: diag.subjects, roleRef: diag.roleRef },
            message: `${what}. ${diag.bindingKind} ${b.name} exists but binds ${diag.subjects.length ? diag.subjects.join(', ') : 'no subject'}${diag.roleRefDiffers ? ` to ${diag.roleRef} (the chart binds ${b.roleKind} ${b.role})` : ''}, not ServiceAccount ${saNs(ns, sa)}${otherText}`,
            hint: custom
              ? `the chart binds its ClusterRole ${b.role} only to ServiceAccount flyteadmin, but the cluster resource sync runs as ${sa} (cluster_resource_manager.service_account_name): bind it, ${bind(b.role)}, or run the sync as flyteadmin (remove cluster_resource_manager.service_account_name from the values)`
              : diag.roleRefDiffers
                ? `a binding's roleRef cannot be changed: \`kubectl delete ${diag.bindingKind.toLowerCase()} ${b.name}${diag.bindingKind === 'RoleBinding' ? ` -n ${ns}` : ''}\`, then \`${helm}\` re-creates it as the chart renders it`
                : `\`${helm}\` restores its subjects, or bind the ServiceAccount: ${bind(b.role)}; check with ${canI}`,
          };
        }
        case 'role-missing':
          return {
            status: 'fail' as const, messageId: 'roleMissing' as const, cause: cause.object(diag.roleKind.toLowerCase(), diag.roleKind === 'Role' ? ns : undefined, diag.role),
            details: { ...deniedDetails, binding: diag.binding.name, role: diag.role },
            message: `${what}. ${diag.binding.kind} ${diag.binding.name} refers to ${diag.roleKind} ${diag.role}, which does not exist${otherText}`,
            hint: diag.role === diag.binding.role
              ? `\`${helm}\` re-creates ${diag.roleKind} ${diag.role} (the chart renders it while ${diag.binding.createKey} is true); check with ${canI}`
              : `the binding refers to ${diag.roleKind} ${diag.role}, not the chart's ${diag.binding.role}: create that role, or \`kubectl delete clusterrolebinding ${diag.binding.name}\` and \`${helm}\` to restore the chart's binding`,
          };
        case 'rule-missing':
          return {
            status: 'fail' as const, messageId: 'ruleMissing' as const, cause: cause.denied('kubernetes', subject, `${diag.lacking[0]!.attrs.verb} ${resourceName(diag.lacking[0]!.right)}`),
            details: { ...deniedDetails, binding: diag.binding.name, role: diag.role, lacking: diag.lacking.map((r) => `${r.attrs.verb} ${resourceName(r.right)}`) },
            message: `${what}. ${diag.roleKind} ${diag.role} (bound by ${diag.binding.name}) has no rule for ${summarize(diag.lacking, 4).replace(/ in [^;]+| \(cluster-wide\)/g, '')} (used by ${[...new Set(diag.lacking.map((r) => `${r.right.component}: ${r.right.why}`))].slice(0, 2).join('; ')})${otherText}`,
            hint: `\`${helm}\` restores the chart's rules (unless the values replace them: ${diag.binding.rulesKey}), or add them: \`kubectl patch ${diag.roleKind.toLowerCase()} ${diag.role}${diag.roleKind === 'Role' ? ` -n ${ns}` : ''} --type=json -p '${ruleJson(diag.lacking)}'\`; check with ${canI}`,
          };
        case 'namespace-only':
          return {
            status: 'fail' as const, messageId: 'namespaceOnlyBinding' as const, cause: cause.denied('kubernetes', subject, `${diag.outside[0]!.attrs.verb} ${resourceName(diag.outside[0]!.right)}`),
            details: { ...deniedDetails, binding: diag.binding.name },
            message: `${what}. The chart bound it with RoleBinding ${diag.binding.name} in ${ns} only (rbacScope: namespace), but it acts in ${[...new Set(diag.outside.map((r) => r.attrs.namespace ?? 'every namespace'))].join(', ')}${otherText}`,
            hint: `set ${diag.binding.rulesKey.replace(/rbacRules$/, 'rbacScope')}: cluster in the values and \`${helm}\`, or bind the role in each namespace it acts in (\`kubectl -n <namespace> create rolebinding ${diag.binding.name} --clusterrole=${diag.binding.role} --serviceaccount=${ns}:${sa}\`)`,
          };
        default: {
          const why = diag.state === 'looks-granted'
            ? `${diag.binding.kind} ${diag.binding.name} binds it to ${diag.roleKind} ${diag.role}, whose rules allow it, yet the API server's authorizer denies it`
            : diag.state === 'unreadable'
              ? `${diag.what} cannot be read with these credentials to say why`
              : 'the chart creates no binding for this ServiceAccount';
          const ev = [...evalErrors, ...reasons].slice(0, 2);
          return {
            status: 'fail' as const, messageId: 'denied' as const, cause: cause.denied('kubernetes', subject, `${first.attrs.verb} ${resourceName(first.right)}`), details: deniedDetails,
            message: `${what}. ${why.charAt(0).toUpperCase()}${why.slice(1)}${ev.length ? ` (the authorizer says: ${ev.join('; ')})` : ''}${otherText}`,
            hint: diag.state === 'no-chart-binding'
              ? `bind a role that grants it: \`kubectl create clusterrole flyte-${sa} --verb=${[...new Set(denied.map((d) => d.attrs.verb))].join(',')} --resource=${[...new Set(denied.map((d) => resourceName(d.right)))].join(',')}\` and \`kubectl create clusterrolebinding flyte-${sa} --clusterrole=flyte-${sa} --serviceaccount=${ns}:${sa}\`; check with ${canI}`
              : `${canI} shows the same answer; \`${k} get clusterrolebindings,rolebindings -A -o wide | grep ${sa}\` lists what binds it; \`${helm}\` restores the chart's RBAC; an authorizer other than RBAC (webhook) may deny it`,
          };
        }
      }
    });
  },
});
