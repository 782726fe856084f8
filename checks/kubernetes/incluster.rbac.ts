import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import { kubectl } from '../../src/clients/kube.js';
import { LAUNCHER_PERMISSIONS } from '../../src/incluster/objects.js';
import { API_MESSAGES, withKube } from './_support.js';

const resName = (group: string, resource: string) => (group ? `${resource}.${group}` : resource);

export default defineCheck({
  id: 'kubernetes.incluster.rbac',
  title: 'With --in-cluster: this identity may create and delete the in-cluster run\'s objects',
  phases: ['preflight'],
  needs: ['kubernetes'],
  dependsOn: ['kubernetes.api.reachable'],
  timeoutMs: 15_000,
  messages: {
    notRequested: { status: 'skip', summary: 'Runs only with --in-cluster.' },
    allowed: { status: 'pass', summary: 'The identity may create, follow and delete everything --in-cluster creates.' },
    missingPermissions: { status: 'fail', summary: 'Permissions the launcher needs in the namespace are missing; each verb and resource is named.' },
    ...API_MESSAGES,
  },
  explain: {
    what: 'With `--in-cluster`, asks the API server (SelfSubjectAccessReview) whether the current identity may, in the namespace the pod runs in: create/get/delete ConfigMaps (and update/patch them: a Role grants only what its creator holds), create/delete Secrets, Roles and RoleBindings, create/get/delete Jobs, list/get/delete Pods, and get ServiceAccounts.',
    why: 'Without them the launcher stops half-way with "forbidden"; flyte-doctor deletes what it created, but the in-cluster view is lost.',
    fix: 'Bind the identity to a role holding them in that namespace, e.g. `kubectl -n flyte create rolebinding flyte-doctor-launcher --clusterrole=admin --user=<you>` (the built-in `admin` ClusterRole has them all), or run as a cluster admin.',
  },
  async run(ctx) {
    const launch = ctx.target.inClusterLaunch;
    if (!launch) return { status: 'skip', messageId: 'notRequested', message: 'runs only with --in-cluster' };
    const ns = launch.namespace;
    const reqs = LAUNCHER_PERMISSIONS.map((p) => ({ verb: p.verb, group: p.group, resource: p.resource, namespace: ns }));
    return withKube(ctx, 'the in-cluster launcher permissions', async (s, signal) => {
      const decisions = await s.canI(reqs, signal);
      const missing = decisions.map((d, i) => ({ ...d, why: LAUNCHER_PERMISSIONS[i]!.why })).filter((d) => !d.allowed);
      const user = s.identity.user;
      const details = { user, namespace: ns, serviceAccount: launch.serviceAccount, checked: reqs.length };
      if (!missing.length) return { status: 'pass' as const, messageId: 'allowed' as const, message: `user "${user}" may create, follow and delete the in-cluster run's objects in namespace ${ns} (${reqs.length} permissions checked)`, details };
      const groups = new Map<string, string[]>();
      for (const m of missing) { const key = resName(m.group, m.resource); groups.set(key, [...(groups.get(key) ?? []), m.verb]); }
      const lines = [...groups].map(([r, verbs]) => `${verbs.join(',')} ${r}`);
      const k = kubectl(ctx.target.kubernetes, ns);
      const first = missing[0]!;
      return {
        status: 'fail' as const, messageId: 'missingPermissions' as const,
        cause: cause.denied('kubernetes', user || 'anonymous', 'in-cluster run'),
        message: `user "${user}" lacks ${missing.length} permission(s) --in-cluster needs in namespace ${ns}: ${lines.join('; ')}`,
        hint: `bind the identity to a role with them in ${ns}, e.g. \`${kubectl(ctx.target.kubernetes)} -n ${ns} create rolebinding flyte-doctor-launcher --clusterrole=admin --user=${user || '<you>'}\`; check one with \`${k} auth can-i ${first.verb} ${resName(first.group, first.resource)}\``,
        details: { ...details, missing: lines, missingDetail: missing.map((m) => ({ verb: m.verb, resource: resName(m.group, m.resource), neededFor: m.why })) },
      };
    });
  },
});
