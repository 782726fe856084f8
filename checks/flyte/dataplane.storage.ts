// flyte.dataplane.storage: the object store as a data plane's pods reach it. Whether they reach it is an
// in-cluster question (the data plane's network, its nodes' or ServiceAccounts' cloud identity), which this
// machine cannot answer: said as such, with the command that answers it. What it can answer, in verify
// with a session to the data plane: which metadata bucket that plane's flytepropeller is configured with
// (its Deployment's mounted ConfigMaps, read as Flyte reads them). A data plane that writes to another
// bucket than the control plane reads (flyteadmin writes the inputs there, reads the outputs from there)
// fails every execution routed to it: that is a finding, not "cannot be judged".
import { isObj, KubeError, probeSignal, type KubeSession } from '../../src/clients/kube.js';
import { manifestSetFromObjects, mapManifests } from '../../src/config/manifests.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext } from '../../src/engine/types.js';
import { UserError } from '../../src/errors.js';
import { planeKubectl, type DataPlane } from '../../src/flyte/dataplanes.js';
import { setting, whereSet } from '../../src/flyte/settings.js';
import { planeAccess, planeOf, remoteInstances } from './dataplane.api.js';

type Obj = Record<string, any>;

/** The data plane's flytepropeller storage config (bucket, provider and where each is set), or why it was not read. */
async function planeStorage(ctx: CheckContext, p: DataPlane): Promise<{ bucket?: string; provider?: string; source?: string; deployment: string } | { why: string }> {
  const a = await planeAccess(ctx, p);
  const s: KubeSession | undefined = a.operator ?? a.flyteadmin;
  if (!s) return { why: 'no session to the data plane (flyte.dataplane.api says why)' };
  const ns = ctx.target.kubernetes.namespace;
  const signal = probeSignal(ctx.signal, Math.max(300, Math.min(6000, ctx.remainingMs() - 500)));
  try {
    let dep: Obj | undefined;
    for (const name of ['flytepropeller', 'flytepropeller-manager']) {
      dep = await s.getOptional<Obj>(`/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/deployments/${name}`, signal);
      if (dep) break;
    }
    if (!dep) return { why: `no flytepropeller Deployment in ${ns} of the data plane (flyte.dataplane.components says so)` };
    const vols: Obj[] = Array.isArray(dep['spec']?.['template']?.['spec']?.['volumes']) ? dep['spec']['template']['spec']['volumes'].filter(isObj) : [];
    const cmNames = new Set<string>();
    for (const v of vols) {
      if (isObj(v['configMap']) && typeof v['configMap']['name'] === 'string') cmNames.add(v['configMap']['name']);
      for (const src of Array.isArray(v['projected']?.['sources']) ? v['projected']['sources'].filter(isObj) : []) if (isObj(src['configMap']) && typeof src['configMap']['name'] === 'string') cmNames.add(src['configMap']['name']);
    }
    const cms: Obj[] = [];
    for (const name of [...cmNames].slice(0, 10)) {
      const cm = await s.getOptional<Obj>(`/api/v1/namespaces/${encodeURIComponent(ns)}/configmaps/${encodeURIComponent(name)}`, signal);
      if (cm) cms.push({ ...cm, kind: 'ConfigMap', apiVersion: 'v1' });
    }
    const objs = [{ ...dep, kind: 'Deployment', apiVersion: 'apps/v1' }, ...cms].map((o) => ({ obj: o, where: `cluster: ${o['kind']} ${ns}/${o['metadata']?.['name']}` }));
    const set = manifestSetFromObjects('cluster', objs);
    for (const v of set.secretValues()) ctx.addSecret(v);
    const live = mapManifests(set, { env: {}, cwd: '/', namespace: ns, from: `the data plane ${p.name}` });
    for (const v of live.secrets) ctx.addSecret(v);
    const st = live.storage;
    const where = (live.provenance['storage.metadataBucket'] ?? '').replace(/^ConfigMap /, `ConfigMap (${p.name}) `);
    return { ...(st?.metadataBucket ? { bucket: st.metadataBucket } : {}), ...(st?.provider ? { provider: st.provider } : {}), ...(where ? { source: where } : {}), deployment: String(dep['metadata']?.['name'] ?? 'flytepropeller') };
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    if (e instanceof KubeError) return { why: e.kind === 'forbidden' ? `the identity used may not read the data plane's flytepropeller Deployment or ConfigMaps (403)` : `reading the data plane's flytepropeller config failed (${e.message.split('\n')[0]})` };
    if (e instanceof UserError) return { why: `the data plane's flytepropeller config cannot be parsed (${e.message.split('\n')[0]})` };
    throw e;
  }
}

const bucketName = (b: string) => b.replace(/^[a-z0-9]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();

export default defineCheck({
  id: 'flyte.dataplane.storage',
  title: 'The object store is reachable from each data plane',
  phases: ['verify'],
  needs: ['dataplanes', 'storage'],
  instances: remoteInstances,
  timeoutMs: 15_000,
  messages: {
    notFromHere: { status: 'warn', summary: 'Cannot be checked from this machine: the data plane\'s pods reach the object store over their own network and identity; run --in-cluster in the data plane.' },
    bucketMismatch: { status: 'fail', summary: 'The data plane\'s flytepropeller is configured with another metadata bucket (or storage type) than the control plane: executions routed there cannot read their inputs, and flyteadmin cannot read their outputs.' },
    inCluster: { status: 'skip', summary: 'The entry is flyteadmin\'s own cluster: the storage checks (and --in-cluster) cover it.' },
  },
  explain: {
    what: 'Per data plane: in verify, with a session to it (--data-plane NAME=CONTEXT, or flyteadmin\'s token), reads its flytepropeller Deployment and the ConfigMaps it mounts, as Flyte reads them, and compares the metadata bucket and storage type with the control plane\'s. Whether its pods reach the object store cannot be judged from where flyte-doctor runs: said as such, with how to check it there.',
    why: 'flyteadmin writes each execution\'s inputs to the metadata bucket and reads its outputs from there; a data plane whose flytepropeller uses another bucket fails every execution routed to it ("not found" on the inputs). flytepropeller and the task pods read and write it over the data plane\'s network with its own cloud identity (IRSA, Workload Identity); a bucket reachable from the control plane says nothing about them.',
    fix: 'Give the data plane\'s values the control plane\'s metadata bucket (flyte-core `storage.bucketName`, and `storage.type`) and `helm upgrade` there. Run `flyte-doctor verify --in-cluster` against the data plane (its kube context and its values): the storage checks then run in a pod there, as flytepropeller\'s ServiceAccount.',
  },
  async run(ctx) {
    const p = planeOf(ctx);
    if (p.inCluster) return { status: 'skip', messageId: 'inCluster', message: `${p.name} is flyteadmin's own cluster: the storage checks cover it` };
    const st = ctx.target.storage;
    const buckets = [st?.metadataBucket, st?.userDataBucket].filter((b): b is string => !!b);
    const seen = st?.metadataBucket ? await planeStorage(ctx, p) : { why: 'the values name no metadata bucket' };
    const k = planeKubectl(ctx.target.kubernetes, p, ctx.target.kubernetes.namespace);
    // A template placeholder left in the data plane's config (`<METADATA_BUCKET_NAME>` of the chart's example values) is
    // not a bucket to compare with: said, not judged as another bucket.
    const placeholder = 'deployment' in seen && seen.bucket && /^<[^>]*>$/.test(seen.bucket.trim()) ? seen.bucket : undefined;
    if ('deployment' in seen && seen.bucket && !placeholder && st?.metadataBucket) {
      const otherBucket = bucketName(seen.bucket) !== bucketName(st.metadataBucket);
      const otherType = !!(seen.provider && st.provider && seen.provider !== st.provider);
      if (otherBucket || otherType) {
        const what = [otherBucket ? `metadata bucket ${seen.bucket}` : '', otherType ? `storage type ${seen.provider}` : ''].filter(Boolean).join(' and ');
        const cpWhat = [otherBucket ? `${st.metadataBucket}` : '', otherType ? `${st.provider}` : ''].filter(Boolean).join(' / ');
        return { status: 'fail', messageId: 'bucketMismatch', cause: cause.config(`${p.name}:storage.bucketName`),
          message: `${p.name}: its ${seen.deployment} is configured with ${what} (${seen.source ?? 'its config'}), but the control plane uses ${cpWhat} (${whereSet(setting(ctx.target, 'storage.metadataBucket'))}): flyteadmin writes the inputs of executions routed to ${p.name} where that flytepropeller does not read, and cannot read their outputs`,
          hint: `give the data plane's values the control plane's bucket: \`storage.bucketName: ${st.metadataBucket}\`${otherType ? ` and \`storage.type: ${st.provider}\`` : ''} in the values of ${p.name} (values-dataplane.yaml), then \`helm upgrade\` there and \`${k} rollout restart deploy/${seen.deployment}\`; its identity must have access to that bucket`,
          details: { dataPlane: p.name, dataPlaneBucket: seen.bucket, controlPlaneBucket: st.metadataBucket, ...(seen.provider ? { dataPlaneType: seen.provider } : {}), ...(st.provider ? { controlPlaneType: st.provider } : {}), ...(seen.source ? { dataPlaneSource: seen.source } : {}) } };
      }
    }
    const same = placeholder ? `; its ${'deployment' in seen ? seen.deployment : 'flytepropeller'} is configured with the placeholder ${placeholder} as its metadata bucket (${'deployment' in seen && seen.source ? seen.source : 'its config'}): the data plane's values were not filled in (flyte-core \`storage.bucketName\`), so it was not compared`
      : 'deployment' in seen && seen.bucket ? `; its ${seen.deployment} is configured with the same metadata bucket (${seen.bucket})` : 'why' in seen && st?.metadataBucket ? `; its flytepropeller's bucket was not compared: ${seen.why}` : '';
    return {
      status: 'warn', messageId: 'notFromHere',
      message: `${p.name}: cannot be checked from this machine: whether the data plane's pods reach the object store${buckets.length ? ` (${[...new Set(buckets)].join(', ')})` : ''} depends on the data plane's network and cloud identity${same}`,
      hint: `run flyte-doctor in the data plane: \`flyte-doctor verify --in-cluster --context ${p.context ?? `<context of ${p.name}>`} -f <data-plane values>\` (the storage checks then run in a pod there; \`${k} get sa flytepropeller -o yaml\` shows its cloud identity)`,
      details: { dataPlane: p.name, ...(p.context ? { context: p.context } : {}), buckets, ...('deployment' in seen && seen.bucket ? { dataPlaneBucket: seen.bucket } : {}) },
    };
  },
});
