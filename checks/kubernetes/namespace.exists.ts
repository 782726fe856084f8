import { KubeError, kubeSession, kubectl } from '../../src/clients/kube.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Outcome } from '../../src/engine/types.js';

export default defineCheck({
  id: 'kubernetes.namespace.exists',
  title: 'The target namespace exists or can be created',
  phases: ['preflight'],
  needs: ['kubernetes'],
  dependsOn: ['kubernetes.api.reachable'],
  explain: {
    what: 'Reads the release namespace. When it does not exist, asks (SelfSubjectAccessReview) whether the identity may create it.',
    why: '`helm install -n <ns>` fails when the namespace is missing (unless `--create-namespace`), and a namespace stuck in Terminating rejects every new object.',
    fix: '`kubectl create namespace <ns>` (or `helm install --create-namespace`), as an identity allowed to create namespaces.',
  },
  async run(ctx): Promise<Outcome> {
    const s = await kubeSession(ctx);
    const ns = ctx.target.kubernetes.namespace;
    const k = kubectl(ctx.target.kubernetes);
    let obj: { status?: { phase?: string }; metadata?: { deletionTimestamp?: string } } | undefined;
    try {
      obj = await s.getOptional(`/api/v1/namespaces/${encodeURIComponent(ns)}`, ctx.signal);
    } catch (e) {
      if (!(e instanceof KubeError) || e.kind !== 'forbidden') throw e;
      // Cannot read it: fall back to the access review alone.
      const [create] = await s.canI([{ verb: 'create', group: '', resource: 'namespaces' }], ctx.signal);
      return { status: 'warn', messageId: 'cannotRead', message: `user "${s.identity.user}" may not read namespace ${ns} (403), so whether it exists is unknown${create!.allowed ? '; the user may create namespaces' : ''}`,
        details: { namespace: ns, user: s.identity.user, canCreate: create!.allowed, error: e.message },
        hint: `check as an admin: \`${k} get namespace ${ns}\`; or grant read access: \`kubectl create clusterrole ns-reader --verb=get,list --resource=namespaces && kubectl create clusterrolebinding ns-reader --clusterrole=ns-reader --user=${s.identity.user}\`` };
    }
    if (obj) {
      if (obj.status?.phase === 'Terminating' || obj.metadata?.deletionTimestamp) {
        return { status: 'fail', messageId: 'terminating', message: `namespace ${ns} is being deleted (Terminating since ${obj.metadata?.deletionTimestamp ?? '?'}); new objects in it are rejected`, details: { namespace: ns, phase: obj.status?.phase ?? null },
          hint: `wait for the deletion to finish or find what blocks it: \`${k} get namespace ${ns} -o jsonpath='{.status.conditions}'\`` };
      }
      return { status: 'pass', messageId: 'exists', message: `namespace ${ns} exists (${obj.status?.phase ?? 'Active'})`, details: { namespace: ns, phase: obj.status?.phase ?? null } };
    }
    const [create] = await s.canI([{ verb: 'create', group: '', resource: 'namespaces' }], ctx.signal);
    if (create!.allowed) {
      return { status: 'pass', messageId: 'canCreate', message: `namespace ${ns} does not exist yet; user "${s.identity.user}" may create it (helm install --create-namespace)`, details: { namespace: ns, exists: false, canCreate: true } };
    }
    return { status: 'fail', messageId: 'missingCannotCreate', message: `namespace ${ns} does not exist and user "${s.identity.user}" may not create it${create!.reason ? ` (${create!.reason})` : ''}`,
      details: { namespace: ns, exists: false, canCreate: false },
      hint: `ask a cluster admin to run \`kubectl create namespace ${ns}\` (or choose an existing namespace)` };
  },
});
