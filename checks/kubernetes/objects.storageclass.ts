import { isObj, kubectl, KubeError, type KubeSession } from '../../src/clients/kube.js';
import type { ObjectReference } from '../../src/config/target.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext } from '../../src/engine/types.js';
import { DEFAULT_STORAGE_CLASS_ANNOTATIONS } from '../../src/flyte/references.js';
import { forbiddenHint, forbiddenText, getOr, isForbidden, isPlaceholder, rollUp, type Item } from './_objects.js';
import { API_MESSAGES, withKube } from './_support.js';

const MESSAGES = {
  noClaims: { status: 'pass', summary: 'The bundled dependencies claim no dynamically provisioned volume (emptyDir, or the PersistentVolumes the chart creates itself).' },
  classExists: { status: 'pass', summary: 'The StorageClass the values name for a bundled dependency exists; its provisioner is named.' },
  defaultExists: { status: 'pass', summary: 'No StorageClass is named and the cluster has a default one, which the claim gets.' },
  claimBound: { status: 'pass', summary: 'The existing claim the values name for a bundled dependency exists and is Bound.' },
  notUmbrella: { status: 'skip', summary: 'Not an umbrella chart\'s values (flyte, flyte-sandbox): flyte-binary and flyte-core bring no PostgreSQL or MinIO.' },
  classMissing: { status: 'fail', summary: 'The StorageClass the values name does not exist: the claim stays Pending and the dependency never starts (the classes that exist are named).' },
  noDefault: { status: 'fail', summary: 'No StorageClass is named and the cluster has no default one: the claim stays Pending.' },
  claimMissing: { status: 'fail', summary: 'The existing claim the values name (existingClaim) does not exist in the release namespace.' },
  claimPending: { status: 'warn', summary: 'The existing claim is not Bound yet (Pending): its StorageClass and provisioner are named.' },
  noProvisioning: { status: 'warn', summary: 'storageClass "-" turns dynamic provisioning off: a PersistentVolume must be created by hand for the claim.' },
  severalDefaults: { status: 'warn', summary: 'Several StorageClasses are marked default: which one a claim without a class gets depends on the Kubernetes version.' },
  staticOnly: { status: 'warn', summary: 'The StorageClass has provisioner kubernetes.io/no-provisioner (local volumes): nothing provisions the claim and no Available PersistentVolume of that class exists.' },
  cannotRead: { status: 'warn', summary: 'The identity may not read StorageClasses or claims (403): cannot be checked with these credentials.' },
  ...API_MESSAGES,
} as const;
type Id = keyof typeof MESSAGES;

type Obj = { metadata: { name: string; annotations?: Record<string, unknown> }; provisioner?: unknown; spec?: Record<string, unknown>; status?: Record<string, unknown> };
const isDefault = (c: Obj) => isObj(c.metadata.annotations) && DEFAULT_STORAGE_CLASS_ANNOTATIONS.some((a) => String(c.metadata.annotations![a]) === 'true');
const describe = (c: Obj) => `${c.metadata.name} (${typeof c.provisioner === 'string' ? c.provisioner : '?'})`;

export default defineCheck({
  id: 'kubernetes.objects.storageclass',
  title: 'The StorageClass (or claim) the bundled PostgreSQL/MinIO of an umbrella chart need exists',
  phases: ['preflight'],
  needs: ['kubernetes'],
  dependsOn: ['kubernetes.api.reachable', 'kubernetes.namespace.exists'],
  messages: MESSAGES,
  explain: {
    what: 'Umbrella charts only. flyte-sandbox: its bitnami PostgreSQL and MinIO (and the docker registry) persist either on the PersistentVolumes the chart creates itself (hostPath, class `manual`, through `existingClaim`), on an existing claim the values name (it must exist and be Bound), or on a dynamically provisioned claim with `persistence.storageClass` / `global.storageClass` (the StorageClass must exist) or the cluster\'s default StorageClass (one must be marked `storageclass.kubernetes.io/is-default-class`; with several, the newest is named: Kubernetes 1.26+ gives it the claim). A class of provisioner `kubernetes.io/no-provisioner` provisions nothing: it warns unless an Available PersistentVolume of that class exists. The flyte chart\'s PostgreSQL, MinIO and Redis use emptyDir volumes (nothing to provision; the data is lost when their pods restart).',
    why: 'A claim whose StorageClass does not exist, or that names none in a cluster without a default, stays Pending: the bundled database never starts and flyteadmin waits for it forever (wait-for-db), with nothing in `helm install` saying why.',
    fix: 'Set the dependency\'s `persistence.storageClass` (or `global.storageClass`) to a StorageClass that exists (`kubectl get storageclass`), mark one default (`kubectl patch storageclass <name> -p \'{"metadata":{"annotations":{"storageclass.kubernetes.io/is-default-class":"true"}}}\'`), or install a provisioner (e.g. local-path-provisioner).',
  },
  async run(ctx) {
    const t = ctx.target;
    if (t.chartName !== 'flyte' && t.chartName !== 'flyte-sandbox') {
      return { status: 'skip', messageId: 'notUmbrella', message: `${t.chartName ?? t.chart ?? 'these inputs'}: no bundled PostgreSQL or MinIO (only the flyte and flyte-sandbox umbrella charts bring them); the database and object store are checked directly` };
    }
    const refs = (t.references ?? []).filter((r) => r.bundled);
    const needsCluster = refs.filter((r) => r.bundled!.volume === 'dynamic' || r.bundled!.volume === 'claim');
    const local: Item<Id>[] = refs.filter((r) => !needsCluster.includes(r)).map((r) => ({ status: 'pass', id: 'noClaims', text: r.purpose, details: { dependency: r.bundled!.dependency, volume: r.bundled!.volume, source: r.source } }));
    if (!needsCluster.length) {
      if (!local.length) return { status: 'pass', messageId: 'noClaims', message: `the ${t.chartName} chart bundles no dependency with a volume in these values` };
      return rollUp(local, { what: 'the volumes of the bundled dependencies', details: { chart: t.chartName ?? null } });
    }
    return withKube<Id>(ctx, 'the StorageClasses and claims of the bundled dependencies', async (s, signal) => {
      let classes: Obj[] | KubeError | undefined;
      const list = async () => {
        if (classes === undefined) { try { classes = await s.list<Obj>('/apis/storage.k8s.io/v1/storageclasses', signal, { maxItems: 200 }); } catch (e) { if (isForbidden(e)) classes = e; else throw e; } }
        return classes;
      };
      const items: Item<Id>[] = [];
      for (const r of needsCluster) items.push(await checkOne(ctx, s, r, signal, list));
      return rollUp([...items, ...local], { what: 'the volumes of the bundled dependencies', details: { chart: t.chartName ?? null } });
    });
  },
});

const NO_PROVISIONER = 'kubernetes.io/no-provisioner';

/** A class of kubernetes.io/no-provisioner provisions nothing: the claim binds only to an Available PV of that class made by hand. */
async function staticOnly(s: KubeSession, c: Obj, dep: string, how: string, scKey: string, k: string, details: Record<string, unknown>, signal: AbortSignal): Promise<Item<Id> | undefined> {
  if (c.provisioner !== NO_PROVISIONER) return undefined;
  const name = c.metadata.name;
  let pvs: Obj[];
  try { pvs = await s.list<Obj>('/api/v1/persistentvolumes', signal, { maxItems: 500 }); } catch (e) { if (isForbidden(e)) return undefined; throw e; }
  const avail = pvs.filter((p) => isObj(p.spec) && p.spec['storageClassName'] === name && isObj(p.status) && p.status['phase'] === 'Available');
  if (avail.length) return undefined;
  const mode = typeof (c as Record<string, unknown>)['volumeBindingMode'] === 'string' ? String((c as Record<string, unknown>)['volumeBindingMode']) : 'Immediate';
  return { status: 'warn', id: 'staticOnly', text: `${dep}: ${how} StorageClass ${name} has provisioner ${NO_PROVISIONER} (volumeBindingMode ${mode}): it provisions nothing, and no Available PersistentVolume of class ${name} exists, so the claim stays Pending`,
    hint: `create a PersistentVolume with \`storageClassName: ${name}\` (local or hostPath) before install (\`${k} get pv\`), or set \`${scKey}\` to a StorageClass whose provisioner creates volumes (\`${k} get storageclass\`)`,
    cause: cause.object('storageclass', undefined, name), details: { ...details, storageClass: name, provisioner: NO_PROVISIONER, volumeBindingMode: mode, availableVolumes: 0 } };
}

async function checkOne(ctx: CheckContext, s: KubeSession, r: ObjectReference, signal: AbortSignal, list: () => Promise<Obj[] | KubeError>): Promise<Item<Id>> {
  const t = ctx.target;
  const k = kubectl(t.kubernetes);
  const dep = r.bundled!.dependency;
  const details = { dependency: dep, source: r.source, ...(r.key ? { key: r.key } : {}) };
  const forbidden = (e: KubeError): Item<Id> => ({ status: 'warn', id: 'cannotRead', text: `${dep}: ${forbiddenText(e, s.identity.user)}, so its volume cannot be checked with these credentials`, hint: forbiddenHint(e, s.identity.user, k),
    cause: cause.denied('kubernetes', s.identity.user || 'anonymous', `${e.extra.verb ?? 'get'} ${e.extra.resource ?? 'storageclasses'}`), details });
  const scKey = r.key ?? r.source;
  const choose = (l: Obj[]) => (l.length ? `set \`${scKey}\` to ${l.map((c) => c.metadata.name).join(' or ')}` : 'install a provisioner (e.g. local-path-provisioner: https://github.com/rancher/local-path-provisioner) and name its class');
  if (r.kind === 'PersistentVolumeClaim') {
    if (isPlaceholder(r, t)) return { status: 'pass', id: 'noClaims', text: `${dep}: claim "${r.name}" is a placeholder (${r.source}), not looked up`, details };
    const ns = r.namespace ?? t.kubernetes.namespace;
    const pvc = await getOr<Obj>(s, `/api/v1/namespaces/${encodeURIComponent(ns)}/persistentvolumeclaims/${encodeURIComponent(r.name)}`, signal);
    if (pvc instanceof KubeError) return forbidden(pvc);
    if (!pvc) {
      return { status: 'fail', id: 'claimMissing', text: `PersistentVolumeClaim ${ns}/${r.name}, the existing claim of ${dep} (${r.source}), does not exist: the ${dep} pod stays Pending`,
        hint: `create the claim in ${ns} before install, or clear \`${r.key ?? r.source}\` to let the chart claim a volume from a StorageClass`, cause: cause.object('persistentvolumeclaim', ns, r.name), details: { ...details, claim: r.name } };
    }
    const phase = isObj(pvc.status) && typeof pvc.status['phase'] === 'string' ? pvc.status['phase'] : '?';
    const cls = isObj(pvc.spec) && typeof pvc.spec['storageClassName'] === 'string' ? pvc.spec['storageClassName'] : undefined;
    if (phase === 'Bound') return { status: 'pass', id: 'claimBound', text: `${dep}: PersistentVolumeClaim ${ns}/${r.name} is Bound`, details: { ...details, claim: r.name } };
    return { status: 'warn', id: 'claimPending', text: `${dep}: PersistentVolumeClaim ${ns}/${r.name} is ${phase}${cls !== undefined ? ` (storageClassName "${cls}")` : ''}: it binds only when a volume is provisioned or matches`,
      hint: `\`${kubectl(t.kubernetes, ns)} describe pvc ${r.name}\` shows the provisioner's events${cls ? `; \`${k} get storageclass ${cls}\`` : ''}`, cause: cause.object('persistentvolumeclaim', ns, r.name), details: { ...details, claim: r.name, phase } };
  }
  if (r.problem === 'no-provisioning') {
    return { status: 'warn', id: 'noProvisioning', text: `${dep}: ${r.purpose} (${r.source})`, hint: `create a PersistentVolume that matches the claim by hand, or set \`${scKey}\` to a StorageClass that provisions (\`${k} get storageclass\`)`,
      cause: cause.config(scKey), details };
  }
  const l = await list();
  if (l instanceof KubeError) return forbidden(l);
  if (r.useDefault) {
    const defaults = l.filter(isDefault);
    if (defaults.length === 1) return (await staticOnly(s, defaults[0]!, dep, 'the cluster\'s default', scKey, k, details, signal)) ?? { status: 'pass', id: 'defaultExists', text: `${dep}: no StorageClass named; the cluster's default ${describe(defaults[0]!)} provisions its volume`, details: { ...details, storageClass: defaults[0]!.metadata.name } };
    if (defaults.length > 1) {
      // The DefaultStorageClass admission plugin (1.26+) takes the newest by creationTimestamp, ties by name.
      const ts = (c: Obj) => { const v = Date.parse(String((c.metadata as Record<string, unknown>)['creationTimestamp'] ?? '')); return Number.isNaN(v) ? 0 : v; };
      const sorted = [...defaults].sort((a, b) => ts(b) - ts(a) || (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
      const newest = sorted[0]!;
      const others = sorted.slice(1);
      const unmark = others.map((c) => `\`${k} annotate storageclass ${c.metadata.name} ${DEFAULT_STORAGE_CLASS_ANNOTATIONS.filter((a) => isObj(c.metadata.annotations) && String(c.metadata.annotations[a]) === 'true').map((a) => `${a}-`).join(' ')}\``).join(', ');
      return { status: 'warn', id: 'severalDefaults', text: `${dep}: no StorageClass named and ${defaults.length} are marked default (${defaults.map(describe).join(', ')}): Kubernetes 1.26+ gives the claim the newest, ${describe(newest)}; older versions reject the claim`,
        hint: `name the class you mean with \`${scKey}\`, or keep a single default (${unmark})`, cause: cause.config(scKey), details: { ...details, defaults: defaults.map((c) => c.metadata.name), chosen: newest.metadata.name } };
    }
    return { status: 'fail', id: 'noDefault', text: `${dep} claims a volume without naming a StorageClass (${r.source}) and the cluster has no default StorageClass${l.length ? ` (classes: ${l.map(describe).join(', ')})` : ' nor any StorageClass'}: the claim stays Pending and ${dep} never starts`,
      hint: `${choose(l)}${l.length ? `, or mark one default: \`${k} patch storageclass ${l[0]!.metadata.name} -p '{"metadata":{"annotations":{"storageclass.kubernetes.io/is-default-class":"true"}}}'\`` : ''}`,
      cause: cause.object('storageclass', undefined, '(default)'), details: { ...details, classes: l.map((c) => c.metadata.name) } };
  }
  if (isPlaceholder(r, t)) return { status: 'pass', id: 'noClaims', text: `${dep}: StorageClass "${r.name}" is a placeholder (${r.source}), not looked up`, details };
  const found = l.find((c) => c.metadata.name === r.name);
  if (found) return (await staticOnly(s, found, dep, `the named (${r.source})`, scKey, k, details, signal)) ?? { status: 'pass', id: 'classExists', text: `${dep}: StorageClass ${describe(found)} exists`, details: { ...details, storageClass: r.name } };
  return { status: 'fail', id: 'classMissing', text: `${dep}: StorageClass ${r.name} (${r.source}) does not exist${l.length ? `; the classes that exist: ${l.map(describe).join(', ')}` : '; the cluster has no StorageClass'}: the claim stays Pending`,
    hint: choose(l), cause: cause.object('storageclass', undefined, r.name), details: { ...details, classes: l.map((c) => c.metadata.name) } };
}
