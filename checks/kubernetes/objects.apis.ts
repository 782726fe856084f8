import { isObj, kubectl, KubeError, type KubeSession } from '../../src/clients/kube.js';
import type { ObjectReference } from '../../src/config/target.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import { BUILTIN_GROUPS, CRD_OWNERS, REMOVED_APIS, splitApiVersion } from '../../src/flyte/references.js';
import { forbiddenHint, forbiddenText, getOr, rollUp, type Item } from './_objects.js';
import { API_MESSAGES, withKube } from './_support.js';

const MESSAGES = {
  served: { status: 'pass', summary: 'Every apiVersion/kind the install uses is served by the cluster (or defined by a CustomResourceDefinition of the same render).' },
  noManifests: { status: 'skip', summary: 'No rendered manifests (--manifests) and no API kind in the values to check.' },
  removed: { status: 'fail', summary: 'An apiVersion the Kubernetes project removed (e.g. networking.k8s.io/v1beta1 Ingress, policy/v1beta1 PodDisruptionBudget, batch/v1beta1 CronJob, autoscaling/v2beta2): the version to use is named.' },
  versionNotServed: { status: 'fail', summary: 'The API group is served, but not in this version (the versions it serves are named).' },
  kindNotServed: { status: 'fail', summary: 'The group/version is served but has no such kind.' },
  crdMissing: { status: 'fail', summary: 'A kind of an API group the cluster does not serve: its CustomResourceDefinition (and operator) is not installed; the operator is named when known.' },
  cannotRead: { status: 'warn', summary: 'API discovery was refused (403): cannot be checked with these credentials.' },
  ...API_MESSAGES,
} as const;
type Id = keyof typeof MESSAGES;
type Obj = Record<string, unknown>;
/** API versions looked up per run (a Flyte render uses about ten). */
const MAX_GROUP_VERSIONS = 60;

export default defineCheck({
  id: 'kubernetes.objects.apis',
  title: 'Every apiVersion and kind of the render is served by the cluster',
  phases: ['preflight'],
  needs: ['kubernetes'],
  dependsOn: ['kubernetes.api.reachable'],
  messages: MESSAGES,
  explain: {
    what: 'With `--manifests` (the output of `helm template`): every (apiVersion, kind) of the render is looked up in the API server\'s discovery (`/api/v1`, `/apis/<group>/<version>`). A version the Kubernetes project removed is named with its replacement (networking.k8s.io/v1beta1 Ingress -> networking.k8s.io/v1, policy/v1beta1 PodDisruptionBudget -> policy/v1, batch/v1beta1 CronJob -> batch/v1, autoscaling/v2beta2 HorizontalPodAutoscaler -> autoscaling/v2); a kind of a group the cluster does not serve names the CustomResourceDefinition\'s operator (cert-manager, the Prometheus Operator for ServiceMonitor, External Secrets...), unless the same render brings that CRD. Also the kind of `common.databaseSecret.secretManifest` when it is not a Secret (an ExternalSecret).',
    why: '`helm install` stops at the first object the API server does not serve ("no matches for kind \\"Ingress\\" in version \\"networking.k8s.io/v1beta1\\"", "ensure CRDs are installed first"), after creating some of the release, and names only that one object.',
    fix: 'Render with a chart version made for this Kubernetes version (or pass `--kube-version` to `helm template` so the chart picks the API the cluster has), install the operator whose CRD is missing, or drop the object that needs it (e.g. `serviceMonitor.enabled: false`).',
  },
  async run(ctx) {
    const t = ctx.target;
    const refs = (t.references ?? []).filter((r) => r.api);
    if (!refs.length) return { status: 'skip', messageId: 'noManifests', message: 'no rendered manifests given (--manifests): the API kinds of the install are not known' };
    const crdGroups = new Map<string, string>();
    for (const r of refs) if (r.kind === 'CustomResourceDefinition' && r.name.includes('.')) crdGroups.set(r.name.slice(r.name.indexOf('.') + 1), r.name);
    const byGv = new Map<string, ObjectReference[]>();
    for (const r of refs) { const gv = r.apiVersion ?? 'v1'; byGv.set(gv, [...(byGv.get(gv) ?? []), r]); }
    return withKube<Id>(ctx, 'API discovery for the kinds of the render', async (s, signal) => {
      const version = await s.get<Obj>('/version', signal).then((v) => (typeof v['gitVersion'] === 'string' ? v['gitVersion'] : undefined), () => undefined);
      const items: Item<Id>[] = [];
      const groups = new Map<string, Promise<string[] | KubeError | undefined>>();
      const groupVersions = (g: string) => {
        if (!groups.has(g)) groups.set(g, getOr<Obj>(s, `/apis/${encodeURIComponent(g)}`, signal).then((x) => (x instanceof KubeError ? x : x && Array.isArray(x['versions']) ? (x['versions'] as unknown[]).filter(isObj).map((v) => String(v['version'])) : undefined)));
        return groups.get(g)!;
      };
      const gvs = [...byGv].slice(0, MAX_GROUP_VERSIONS);
      for (const [gv, list] of gvs) items.push(...(await checkGroupVersion(s, gv, list, signal, groupVersions, crdGroups, version, kubectl(t.kubernetes))));
      const out = rollUp(items, { what: 'the API kinds of the render', details: { ...(version ? { serverVersion: version } : {}), kinds: refs.length, ...(byGv.size > MAX_GROUP_VERSIONS ? { notChecked: byGv.size - MAX_GROUP_VERSIONS } : {}) } });
      if (byGv.size > MAX_GROUP_VERSIONS) out.message += ` (${byGv.size - MAX_GROUP_VERSIONS} more API versions not looked up: only the first ${MAX_GROUP_VERSIONS} are)`;
      return out;
    });
  },
});

const obj = (r: ObjectReference) => `${r.apiVersion ?? 'v1'} ${r.kind} (${r.count && r.count > 1 ? `${r.count} objects, e.g. ${r.name}` : r.name}; ${r.source})`;

async function checkGroupVersion(s: KubeSession, gv: string, refs: ObjectReference[], signal: AbortSignal, groupVersions: (g: string) => Promise<string[] | KubeError | undefined>,
  crdGroups: Map<string, string>, serverVersion: string | undefined, k: string): Promise<Item<Id>[]> {
  const { group, version } = splitApiVersion(gv);
  const path = group ? `/apis/${encodeURIComponent(group)}/${encodeURIComponent(version)}` : `/api/${encodeURIComponent(version)}`;
  const disc = await getOr<Obj>(s, path, signal);
  if (disc instanceof KubeError) {
    return [{ status: 'warn', id: 'cannotRead', text: `${gv}: ${forbiddenText(disc, s.identity.user)}, so its kinds cannot be checked with these credentials`, hint: forbiddenHint(disc, s.identity.user, k),
      cause: cause.denied('kubernetes', s.identity.user || 'anonymous', `discovery ${gv}`) }];
  }
  const on = serverVersion ? ` (the cluster runs ${serverVersion})` : '';
  if (disc) {
    const kinds = new Set(Array.isArray(disc['resources']) ? (disc['resources'] as unknown[]).filter(isObj).filter((x) => !String(x['name']).includes('/')).map((x) => String(x['kind'])) : []);
    const items: Item<Id>[] = [];
    for (const r of refs) {
      if (kinds.has(r.kind)) { items.push({ status: 'pass', id: 'served', text: `${gv} ${r.kind} is served`, details: { apiVersion: gv, kind: r.kind } }); continue; }
      const rm = REMOVED_APIS[`${gv}/${r.kind}`];
      if (rm) { items.push(removed(r, gv, rm, on, await useServed(s, rm.use, r.kind, signal))); continue; }
      items.push({ status: 'fail', id: 'kindNotServed', text: `${obj(r)}: ${gv} is served but has no kind ${r.kind}${on}`, hint: `check the kind's spelling and apiVersion in the manifest (\`${k} api-resources --api-group=${group}\` lists what ${group || 'the core group'} serves)`,
        cause: cause.object('apiversion', undefined, `${gv}/${r.kind}`), details: { apiVersion: gv, kind: r.kind } });
    }
    return items;
  }
  const out: Item<Id>[] = [];
  for (const r of refs) {
    const rm = REMOVED_APIS[`${gv}/${r.kind}`];
    if (rm) { out.push(removed(r, gv, rm, on, await useServed(s, rm.use, r.kind, signal))); continue; }
    const crd = crdGroups.get(group);
    if (crd) { out.push({ status: 'pass', id: 'served', text: `${gv} ${r.kind} comes with CustomResourceDefinition ${crd} of the same render`, details: { apiVersion: gv, kind: r.kind, crd } }); continue; }
    const versions = group ? await groupVersions(group) : undefined;
    const served = Array.isArray(versions) ? versions : [];
    if (served.length || BUILTIN_GROUPS.has(group)) {
      // Which served versions of the group have this kind (discovery of each), so the version named is
      // one the cluster serves the kind in, not merely the group's first version.
      const having: string[] = [];
      for (const v of served) if ((await kindsOf(s, `${group}/${v}`, signal))?.has(r.kind)) having.push(`${group}/${v}`);
      const none = served.length > 0 && having.length === 0;
      out.push({ status: 'fail', id: 'versionNotServed', text: `${obj(r)}: the cluster does not serve ${gv}${served.length ? `; ${group} is served as ${served.map((v) => `${group}/${v}`).join(', ')}${having.length ? `, ${r.kind} in ${having.join(', ')}` : `, but none of these versions has kind ${r.kind} (an alpha/beta API this cluster does not enable, or one Kubernetes dropped)`}` : ''}${on}`,
        hint: none
          ? `no version of ${group} this cluster serves has ${r.kind}: enable the API on the cluster (kube-apiserver \`--runtime-config=${gv}=true\` and its feature gate, where the provider allows it), use a Kubernetes version that serves it, or turn off what renders ${r.kind} in the values`
          : `render the manifests for this cluster (a chart version that uses ${having.length ? having[0] : 'a served version'}, or \`helm template --kube-version ${serverVersion ?? '<cluster version>'}\`)${BUILTIN_GROUPS.has(group) ? '' : `, or upgrade the operator that serves ${group}`}`,
        cause: cause.object('apiversion', undefined, `${gv}/${r.kind}`), details: { apiVersion: gv, kind: r.kind, served, servedWithKind: having } });
      continue;
    }
    const owner = CRD_OWNERS[group] ?? Object.entries(CRD_OWNERS).find(([g]) => group.endsWith(`.${g}`))?.[1];
    out.push({ status: 'fail', id: 'crdMissing', text: `${obj(r)}: the cluster serves no API group ${group}: its CustomResourceDefinition is not installed${owner ? ` (it comes with ${owner})` : ''}; helm install stops with "no matches for kind ${r.kind}"`,
      hint: `${owner ? `install ${owner.replace(/ \(.*\)$/, '')} first` : `install the operator that provides ${group} (its CRDs) first`}, or turn off what renders ${r.kind} in the values`, cause: cause.object('apigroup', undefined, group), details: { apiVersion: gv, kind: r.kind, group } });
  }
  return out;
}

const kindCache = new WeakMap<KubeSession, Map<string, Promise<Set<string> | undefined>>>();
/** The kinds a group/version serves (discovery), undefined when it is not served or cannot be read; one request per gv and session. */
function kindsOf(s: KubeSession, gv: string, signal: AbortSignal): Promise<Set<string> | undefined> {
  let m = kindCache.get(s);
  if (!m) { m = new Map(); kindCache.set(s, m); }
  if (!m.has(gv)) {
    const { group, version } = splitApiVersion(gv);
    const path = group ? `/apis/${encodeURIComponent(group)}/${encodeURIComponent(version)}` : `/api/${encodeURIComponent(version)}`;
    m.set(gv, getOr<Obj>(s, path, signal).then((d) => (d && !(d instanceof KubeError) && Array.isArray(d['resources'])
      ? new Set((d['resources'] as unknown[]).filter(isObj).filter((x) => !String(x['name']).includes('/')).map((x) => String(x['kind']))) : undefined)));
  }
  return m.get(gv)!;
}

/** Whether the replacement the table names serves the kind on this cluster (discovery); undefined when `use` is not an apiVersion. */
async function useServed(s: KubeSession, use: string, kind: string, signal: AbortSignal): Promise<boolean | undefined> {
  if (!/^([a-z0-9.-]+\/)?v\d+[a-z0-9]*$/.test(use)) return undefined;
  return (await kindsOf(s, use, signal))?.has(kind) ?? false;
}

function removed(r: ObjectReference, gv: string, rm: { use: string; removedIn: string }, on: string, served?: boolean): Item<Id> {
  const notServed = served === false ? `; this cluster does not serve ${rm.use} ${r.kind} either (its discovery has no such kind)` : '';
  return { status: 'fail', id: 'removed', text: `${obj(r)}: ${gv} ${r.kind} was removed in Kubernetes ${rm.removedIn}${on}; use ${rm.use}${notServed}`,
    hint: `render with a chart version that uses ${rm.use} (or \`helm template --kube-version <cluster version>\` for charts that pick the API by version), or change apiVersion to ${rm.use} in the manifest${served === false ? `; first make sure the cluster serves it (\`kubectl api-resources --api-group=${splitApiVersion(rm.use).group}\`)` : ''}`,
    cause: cause.object('apiversion', undefined, `${gv}/${r.kind}`), details: { apiVersion: gv, kind: r.kind, use: rm.use, removedIn: rm.removedIn, ...(served !== undefined ? { useServed: served } : {}) } };
}
