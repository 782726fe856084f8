// flyte.dataplane.storage: the object store as a data plane's pods reach it. That is an in-cluster
// question (the data plane's network, its nodes' or ServiceAccounts' cloud identity), which this
// machine cannot answer: said as such, with the command that answers it.
import { defineCheck } from '../../src/engine/define.js';
import { planeKubectl } from '../../src/flyte/dataplanes.js';
import { planeOf, remoteInstances } from './dataplane.api.js';

export default defineCheck({
  id: 'flyte.dataplane.storage',
  title: 'The object store is reachable from each data plane',
  phases: ['verify'],
  needs: ['dataplanes', 'storage'],
  instances: remoteInstances,
  messages: {
    notFromHere: { status: 'warn', summary: 'Cannot be checked from this machine: the data plane\'s pods reach the object store over their own network and identity; run --in-cluster in the data plane.' },
    inCluster: { status: 'skip', summary: 'The entry is flyteadmin\'s own cluster: the storage checks (and --in-cluster) cover it.' },
  },
  explain: {
    what: 'Says, per data plane, that whether its pods (flytepropeller, task pods) reach the object store cannot be judged from where flyte-doctor runs, and how to check it there.',
    why: 'flytepropeller and the task pods of a data plane read and write the metadata and raw-data buckets over the data plane\'s network with its own cloud identity (IRSA, Workload Identity); a bucket reachable from the control plane says nothing about them.',
    fix: 'Run `flyte-doctor verify --in-cluster` against the data plane (its kube context and its values): the storage checks then run in a pod there, as flytepropeller\'s ServiceAccount.',
  },
  async run(ctx) {
    const p = planeOf(ctx);
    if (p.inCluster) return { status: 'skip', messageId: 'inCluster', message: `${p.name} is flyteadmin's own cluster: the storage checks cover it` };
    const st = ctx.target.storage;
    const buckets = [st?.metadataBucket, st?.userDataBucket].filter((b): b is string => !!b);
    return {
      status: 'warn', messageId: 'notFromHere',
      message: `${p.name}: cannot be checked from this machine: whether the data plane's pods reach the object store${buckets.length ? ` (${[...new Set(buckets)].join(', ')})` : ''} depends on the data plane's network and cloud identity`,
      hint: `run flyte-doctor in the data plane: \`flyte-doctor verify --in-cluster --context ${p.context ?? `<context of ${p.name}>`} -f <data-plane values>\` (the storage checks then run in a pod there; \`${planeKubectl(ctx.target.kubernetes, p)} get sa flytepropeller -o yaml\` shows its cloud identity)`,
      details: { dataPlane: p.name, ...(p.context ? { context: p.context } : {}), buckets },
    };
  },
});
