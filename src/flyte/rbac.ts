// What each Flyte component asks of the Kubernetes API at run time, per chart, and the RBAC objects
// the chart creates to grant it (flyte.rbac.runtime reviews these rights for Flyte's own
// ServiceAccounts; kubernetes.rbac.install is the operator's rights to install, another question).
//
// Source of the grants: the REAL rendered RBAC of both charts (../shared/fixtures/flyte-rendered):
//   flyte-binary  sandbox-binary__flyte_sandbox_binary_helm_generated.yaml: ClusterRole
//                 `<fn>-cluster-role`, ClusterRoleBinding `<fn>-cluster-role-binding` to ServiceAccount `<fn>`
//   flyte-core    eks__flyte_helm_generated.yaml: ClusterRoles `<ns>-flyteadmin` (binding `<ns>-flyteadmin-binding`),
//                 `<ns>-flytepropeller` and `<ns>-flyte-pod-webhook` (bindings of the same names);
//                 datacatalog and flytescheduler get a ServiceAccount and no role (facts §A3)
// Every need below is granted by those rules (test/checks/flyte/rbac.runtime.test.ts asserts it
// against the rendered files), so a healthy install passes; each one names the Flyte code path that
// uses it (flytepropeller's informers and task pods, flyteadmin's execution cluster, the cluster
// resource sync's create/get/patch of its templates, the webhook's certificate Secret and its
// MutatingWebhookConfiguration).
import type { Chart, ComponentSetting } from '../config/target.js';
import { binaryFullname, webhookConfigName, webhookOwner } from './kubernetes.js';

/** Where a right is needed: cluster-wide, in the release namespace, or in each project-domain namespace. */
export type RightScope = 'cluster' | 'release' | 'projects';

export interface RuntimeRight {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  scope: RightScope;
  /** A single object the component acts on (its Secret, its webhook configuration), for get/update. */
  name?: string;
  /** What Flyte does with it, for messages. */
  why: string;
  /** The component that needs it (flytepropeller, flyteadmin, cluster resource sync, webhook). */
  component: string;
}

export interface ChartBinding {
  kind: 'ClusterRoleBinding';
  name: string;
  /** The role the chart binds (roleRef). */
  roleKind: 'ClusterRole';
  role: string;
  /** flyte-core `*.serviceAccount.rbacScope: namespace` renders a Role/RoleBinding of the same names in the release namespace instead. */
  namespacedAlternative: boolean;
  /** Values keys that decide whether the chart renders them, and which rules. */
  createKey: string;
  rulesKey: string;
}

/** One ServiceAccount a Flyte Deployment runs as, what runs as it, and what it needs. */
export interface RuntimeAccount {
  /** The ServiceAccount the chart gives the Deployment (the live Deployment may name another). */
  account: string;
  /** The Deployment whose pods run as it (its spec.template.spec.serviceAccountName is the evidence). */
  deployment: string;
  /** Alternative Deployment names (flytepropeller-manager). */
  alternatives?: string[];
  /** What runs as it, for messages: flyte-binary (admin, propeller, webhook), flytepropeller... */
  components: string[];
  /** Values key naming / creating the ServiceAccount. */
  accountKey: string;
  /** The binding the chart creates for it; undefined when the chart grants it nothing (datacatalog, flytescheduler). */
  binding?: ChartBinding;
  rights: RuntimeRight[];
}

const R = (component: string, group: string, resource: string, verbs: readonly string[], scope: RightScope, why: string, name?: string): RuntimeRight[] =>
  verbs.map((verb) => ({ verb, group, resource, scope, why, component, ...(name && verb !== 'create' ? { name } : {}) }));

/** flytepropeller (flyte-binary: inside the binary). */
function propellerRights(chart: Chart, c = 'flytepropeller'): RuntimeRight[] {
  return [
    ...R(c, 'flyte.lyft.com', 'flyteworkflows', ['list', 'watch'], 'cluster', 'watches FlyteWorkflows in every namespace (limit-namespace: all)'),
    ...R(c, 'flyte.lyft.com', 'flyteworkflows', ['get', 'update', 'patch', 'create', 'delete'], 'projects', 'runs and updates the executions\' FlyteWorkflows'),
    ...R(c, '', 'pods', ['list', 'watch'], 'cluster', 'watches the task pods'),
    ...R(c, '', 'pods', ['get', 'create', 'delete'], 'projects', 'creates and cleans up the task pods'),
    ...R(c, '', 'events', ['create'], 'projects', 'records events on workflows and pods'),
    ...R(c, '', 'podtemplates', ['list', 'watch'], 'cluster', 'watches PodTemplates (default-pod-template-name)'),
    ...(chart === 'flyte-binary'
      // flyte-binary's config sets propeller.create-flyteworkflow-crd: true (the chart renders no CRD by default)
      ? R(c, 'apiextensions.k8s.io', 'customresourcedefinitions', ['get', 'create'], 'cluster', 'creates the flyteworkflows CRD at start-up (propeller.create-flyteworkflow-crd)')
      // flyte-core's propeller config enables leader election with the lock ConfigMap propeller-leader in the release namespace
      : R(c, '', 'configmaps', ['get', 'create', 'update'], 'release', 'leader election (lock ConfigMap propeller-leader)')),
  ];
}

/** flyteadmin's execution cluster: it creates the FlyteWorkflow of each execution and deletes it on terminate. */
function adminRights(c = 'flyteadmin'): RuntimeRight[] {
  return R(c, 'flyte.lyft.com', 'flyteworkflows', ['create', 'delete'], 'projects', 'creates each execution\'s FlyteWorkflow and deletes it on terminate');
}

/** A kind the cluster resource templates create, as a resource. */
export interface TemplateKind { kind: string; group: string; resource: string; namespaced: boolean }

/** Kinds templates commonly use (core/v1, rbac). Anything else: the plural of the kind in the group of its apiVersion. */
const KIND_RESOURCES: Record<string, { resource: string; namespaced: boolean }> = {
  Namespace: { resource: 'namespaces', namespaced: false }, ServiceAccount: { resource: 'serviceaccounts', namespaced: true },
  ResourceQuota: { resource: 'resourcequotas', namespaced: true }, LimitRange: { resource: 'limitranges', namespaced: true },
  Secret: { resource: 'secrets', namespaced: true }, ConfigMap: { resource: 'configmaps', namespaced: true },
  PodTemplate: { resource: 'podtemplates', namespaced: true }, Role: { resource: 'roles', namespaced: true },
  RoleBinding: { resource: 'rolebindings', namespaced: true }, NetworkPolicy: { resource: 'networkpolicies', namespaced: true },
  PersistentVolumeClaim: { resource: 'persistentvolumeclaims', namespaced: true }, Service: { resource: 'services', namespaced: true },
};

export function kindResource(kind: string, apiVersion: string): TemplateKind {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
  const known = KIND_RESOURCES[kind];
  if (known) return { kind, group, ...known };
  const lower = kind.toLowerCase();
  const resource = /(s|x|ch|sh)$/.test(lower) ? `${lower}es` : /[^aeiou]y$/.test(lower) ? `${lower.slice(0, -1)}ies` : `${lower}s`;
  return { kind, group, resource, namespaced: true };
}

/** The chart's default cluster resource templates (rendered): flyte-binary a Namespace; flyte-core Namespace, ServiceAccount default, ResourceQuota project-quota. */
export function defaultTemplateKinds(chart: Chart): TemplateKind[] {
  return (chart === 'flyte-binary' ? ['Namespace'] : ['Namespace', 'ServiceAccount', 'ResourceQuota']).map((k) => kindResource(k, 'v1'));
}

/** One object of a cluster resource template file (kind, apiVersion, name as written: placeholders kept). */
export interface TemplateObject { file: string; kind: string; apiVersion: string; name?: string }

/**
 * The objects in cluster resource template files (`{{ namespace }}` placeholders make them invalid
 * YAML before substitution, so the top-level kind/apiVersion/metadata.name lines are read as text).
 */
export function templateObjects(files: Record<string, unknown>): TemplateObject[] {
  const out: TemplateObject[] = [];
  for (const [file, text] of Object.entries(files)) {
    if (typeof text !== 'string' || !/\.ya?ml$/i.test(file)) continue;
    for (const doc of text.split(/^---\s*$/m)) {
      const kind = /^kind:\s*["']?([A-Za-z][A-Za-z0-9]*)["']?\s*$/m.exec(doc)?.[1];
      if (!kind) continue;
      const apiVersion = /^apiVersion:\s*["']?([A-Za-z0-9./-]+)["']?\s*$/m.exec(doc)?.[1] ?? 'v1';
      const meta = /^metadata:\s*\n((?:[ \t]+.*\n?)*)/m.exec(doc)?.[1] ?? '';
      const name = /^[ \t]+name:\s*["']?([^"'\n#]+?)["']?\s*$/m.exec(meta)?.[1];
      out.push({ file, kind, apiVersion, ...(name ? { name } : {}) });
    }
  }
  return out;
}

/** The cluster resource sync: it creates, reads and patches every object of its templates (flyteadmin/pkg/clusterresource: Create, on AlreadyExists Get + Patch). */
function syncRights(kinds: readonly TemplateKind[], c = 'cluster resource sync'): RuntimeRight[] {
  const seen = new Set<string>();
  const out: RuntimeRight[] = [];
  for (const k of kinds.length ? kinds : defaultTemplateKinds('flyte-binary')) {
    const id = `${k.group}/${k.resource}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(...R(c, k.group, k.resource, ['create', 'get', 'patch'], k.namespaced ? 'projects' : 'cluster', `creates the ${k.kind}${k.namespaced ? 's' : ''} of its templates${k.kind === 'Namespace' ? ' (the project-domain namespaces)' : ''}`));
  }
  return out;
}

/** The pod webhook: its certificate Secret (written at start) and the MutatingWebhookConfiguration it registers (facts §A4). */
function webhookRights(secret: string, mwc: string, c = 'webhook'): RuntimeRight[] {
  return [
    ...R(c, '', 'secrets', ['get', 'create', 'update'], 'release', `writes its certificates to Secret ${secret}`, secret),
    ...R(c, 'admissionregistration.k8s.io', 'mutatingwebhookconfigurations', ['get', 'create', 'update'], 'cluster', `registers MutatingWebhookConfiguration ${mwc}`, mwc),
  ];
}

export interface RbacInputs {
  chart: Chart;
  namespace: string;
  release: string;
  /** flyte-binary fullname found on the cluster (resolveChartNames), else derived from the release. */
  fullname?: string;
  components?: ComponentSetting[] | undefined;
  /** Kinds of the live cluster resource templates (default: the chart's). */
  templateKinds?: TemplateKind[];
}

const on = (cs: ComponentSetting[] | undefined, name: string, dflt = true) => { const c = cs?.find((x) => x.name === name); return c ? c.enabled : dflt; };

/** Whether the cluster resource sync runs (flyte-core: standalone, or inside flyteadmin). */
export function syncRuns(t: Pick<RbacInputs, 'chart' | 'components'>): { runs: boolean; standalone: boolean } {
  if (t.chart === 'flyte-binary') return { runs: on(t.components, 'cluster-resource-sync') && on(t.components, 'admin'), standalone: false };
  const c = t.components?.find((x) => x.name === 'syncresources');
  if (!c) return { runs: on(t.components, 'flyteadmin'), standalone: false };
  if (c.enabled) return { runs: true, standalone: true };
  return { runs: /inside flyteadmin/.test(c.note ?? '') && on(t.components, 'flyteadmin'), standalone: false };
}

/**
 * The ServiceAccounts the values deploy, each with what runs as it and what it needs at run time
 * (only components the values enable). flyte-binary: one account; flyte-core: one per component.
 */
export function runtimeAccounts(t: RbacInputs): RuntimeAccount[] {
  const cs = t.components;
  const names = { chart: t.chart, kubernetes: { release: t.release, namespace: t.namespace }, ...(t.fullname ? { fullname: t.fullname } : {}) };
  const secret = webhookOwner(names).secret, mwc = webhookConfigName(names);
  const sync = syncRuns(t);
  const kinds = t.templateKinds ?? defaultTemplateKinds(t.chart);
  if (t.chart === 'flyte-binary') {
    const fn = t.fullname ?? binaryFullname(t.release);
    const admin = on(cs, 'admin'), propeller = on(cs, 'propeller'), webhook = on(cs, 'webhook') && propeller;
    const rights = [
      ...(admin ? adminRights('admin') : []),
      ...(sync.runs ? syncRights(kinds, 'cluster resource sync') : []),
      ...(propeller ? propellerRights('flyte-binary', 'propeller') : []),
      ...(webhook ? webhookRights(secret, mwc, 'webhook') : []),
    ];
    const parts = [admin && 'admin', sync.runs && 'cluster resource sync', propeller && 'propeller', webhook && 'webhook', on(cs, 'datacatalog') && 'datacatalog'].filter((x): x is string => !!x);
    return [{
      account: fn, deployment: fn, components: [`flyte-binary (${parts.join(', ') || 'nothing enabled'})`], accountKey: 'serviceAccount.name',
      binding: { kind: 'ClusterRoleBinding', name: `${fn}-cluster-role-binding`, roleKind: 'ClusterRole', role: `${fn}-cluster-role`, namespacedAlternative: false, createKey: 'rbac.create', rulesKey: 'rbac.extraRules' },
      rights,
    }];
  }
  const ns = t.namespace;
  const out: RuntimeAccount[] = [];
  const adminBinding: ChartBinding = { kind: 'ClusterRoleBinding', name: `${ns}-flyteadmin-binding`, roleKind: 'ClusterRole', role: `${ns}-flyteadmin`, namespacedAlternative: true, createKey: 'flyteadmin.serviceAccount.createClusterRole', rulesKey: 'flyteadmin.serviceAccount.rbacRules' };
  if (on(cs, 'flyteadmin')) {
    out.push({ account: 'flyteadmin', deployment: 'flyteadmin', components: ['flyteadmin', ...(sync.runs && !sync.standalone ? ['cluster resource sync (inside flyteadmin)'] : [])], accountKey: 'flyteadmin.serviceAccount.create',
      binding: adminBinding, rights: [...adminRights(), ...(sync.runs && !sync.standalone ? syncRights(kinds) : [])] });
  }
  if (sync.standalone) {
    out.push({ account: 'flyteadmin', deployment: 'syncresources', components: ['cluster resource sync (syncresources)'], accountKey: 'cluster_resource_manager.service_account_name', binding: adminBinding, rights: syncRights(kinds) });
  }
  if (on(cs, 'flytepropeller')) {
    out.push({ account: 'flytepropeller', deployment: 'flytepropeller', alternatives: ['flytepropeller-manager'], components: ['flytepropeller'], accountKey: 'flytepropeller.serviceAccount.create',
      binding: { kind: 'ClusterRoleBinding', name: `${ns}-flytepropeller`, roleKind: 'ClusterRole', role: `${ns}-flytepropeller`, namespacedAlternative: true, createKey: 'flytepropeller.serviceAccount.create', rulesKey: 'flytepropeller.serviceAccount.rbacRules' },
      rights: propellerRights('flyte-core') });
  }
  if (on(cs, 'flyte-pod-webhook') && on(cs, 'flytepropeller')) {
    out.push({ account: 'flyte-pod-webhook', deployment: 'flyte-pod-webhook', components: ['flyte-pod-webhook'], accountKey: 'webhook.serviceAccount.create',
      binding: { kind: 'ClusterRoleBinding', name: `${ns}-flyte-pod-webhook`, roleKind: 'ClusterRole', role: `${ns}-flyte-pod-webhook`, namespacedAlternative: true, createKey: 'webhook.serviceAccount.create', rulesKey: 'webhook.serviceAccount.rbacRules' },
      rights: webhookRights(secret, mwc, 'flyte-pod-webhook') });
  }
  if (on(cs, 'datacatalog')) out.push({ account: 'datacatalog', deployment: 'datacatalog', components: ['datacatalog'], accountKey: 'datacatalog.serviceAccount.create', rights: [] });
  if (on(cs, 'flytescheduler', false)) out.push({ account: 'flytescheduler', deployment: 'flytescheduler', components: ['flytescheduler'], accountKey: 'flytescheduler.serviceAccount.create', rights: [] });
  return out;
}

/** The cluster resource templates: the ConfigMap the chart mounts and where (the sync's templatePath). */
export function templateConfigMap(t: Pick<RbacInputs, 'chart' | 'release' | 'fullname'>): { name: string; mountPath: string; valuesKey: string } {
  if (t.chart === 'flyte-binary') {
    const fn = t.fullname ?? binaryFullname(t.release);
    return { name: `${fn}-cluster-resource-templates`, mountPath: '/etc/flyte/cluster-resource-templates', valuesKey: 'clusterResourceTemplates.inline' };
  }
  return { name: 'clusterresource-template', mountPath: '/etc/flyte/clusterresource/templates', valuesKey: 'cluster_resource_manager.templates' };
}

// ---------------------------------------------------------------------------------------------
// RBAC rules (what a role grants), for naming the rule a denied right lacks
// ---------------------------------------------------------------------------------------------

export interface PolicyRule { apiGroups?: string[]; resources?: string[]; verbs?: string[]; resourceNames?: string[]; nonResourceURLs?: string[] }

const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** Rules of a (Cluster)Role object as the API returns it; odd shapes read as no rules. */
export function rulesOf(role: unknown): PolicyRule[] {
  const rules = (role as { rules?: unknown } | undefined)?.rules;
  if (!Array.isArray(rules)) return [];
  return rules.filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null).map((r) => ({
    apiGroups: strs(r['apiGroups']), resources: strs(r['resources']), verbs: strs(r['verbs']), resourceNames: strs(r['resourceNames']),
  }));
}

/** Whether a rule grants a right (RBAC's RuleAllows: `*` wildcards, `resource/subresource`, resourceNames). */
export function ruleAllows(rule: PolicyRule, r: Pick<RuntimeRight, 'verb' | 'group' | 'resource' | 'subresource' | 'name'>): boolean {
  const has = (list: string[] | undefined, v: string) => !!list && (list.includes('*') || list.includes(v));
  if (!has(rule.verbs, r.verb) || !has(rule.apiGroups, r.group)) return false;
  const res = r.subresource ? `${r.resource}/${r.subresource}` : r.resource;
  const resources = rule.resources ?? [];
  const resOk = resources.includes('*') || resources.includes(res) || (!!r.subresource && resources.includes(`*/${r.subresource}`));
  if (!resOk) return false;
  if (rule.resourceNames?.length) return !!r.name && rule.resourceNames.includes(r.name);
  return true;
}

export function rulesAllow(rules: readonly PolicyRule[], r: Pick<RuntimeRight, 'verb' | 'group' | 'resource' | 'subresource' | 'name'>): boolean {
  return rules.some((rule) => ruleAllows(rule, r));
}

/** `pods`, `flyteworkflows.flyte.lyft.com`, `pods/log` as kubectl names them. */
export function resourceName(r: Pick<RuntimeRight, 'group' | 'resource' | 'subresource'>): string {
  return `${r.resource}${r.subresource ? `/${r.subresource}` : ''}${r.group ? `.${r.group}` : ''}`;
}

/**
 * `helm upgrade` of the release with the values files it was read from: re-renders the chart's
 * RBAC, re-creating a deleted binding or role and restoring edited rules (Helm 3's three-way merge).
 */
export function helmUpgradeCommand(t: { chart: Chart; release: string; namespace: string; valuesFiles?: string[] | undefined }): string {
  const files = t.valuesFiles?.length ? t.valuesFiles.map((f) => `-f ${f}`).join(' ') : '--reuse-values';
  return `helm upgrade ${t.release} flyteorg/${t.chart} -n ${t.namespace} ${files}`;
}

// ---------------------------------------------------------------------------------------------
// Task pods: what a task that sets no resources requests (flyte.projects.quota)
// ---------------------------------------------------------------------------------------------

/**
 * flyteadmin's built-in `task_resources.defaults` (flyteadmin/pkg/runtime/task_resource_provider.go:
 * CPU 2, memory 200Mi), used when the values set none. flyte-core's chart sets its own (100m/500Mi,
 * `configmap.task_resource_defaults`); flyte-binary's sets none.
 */
export const FLYTEADMIN_TASK_DEFAULTS = { cpu: '2', memory: '200Mi' } as const;

/** The values key of the task resource defaults, per chart. */
export function taskDefaultsKey(chart: Chart): string {
  return chart === 'flyte-core' ? 'configmap.task_resource_defaults.task_resources.defaults' : 'configuration.inline.task_resources.defaults';
}
