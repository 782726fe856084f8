import { kubeSession, kubectl } from '../../src/clients/kube.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Outcome } from '../../src/engine/types.js';

export default defineCheck({
  id: 'flyte.projects.namespaces',
  title: 'Every project-domain namespace exists',
  phases: ['verify'],
  needs: ['kubernetes'],
  dependsOn: ['kubernetes.api.reachable'],
  explain: {
    what: 'For each known project (seed projects from the values) and domain, checks that the namespace `<project>-<domain>` (the default namespace mapping) exists.',
    why: 'flyteadmin creates executions in that namespace; when the cluster resource sync has not created it, launching fails with "failed to create workflow in propeller namespaces \\"<project>-<domain>\\" not found".',
    fix: 'Make the cluster resource sync run (flyte-core `cluster_resource_manager.enabled: true`, the syncresources Deployment; flyte-binary: not disabled by `flyte-core-components.admin.disableClusterResourceManager`), check its logs, or create the namespaces.',
  },
  async run(ctx): Promise<Outcome> {
    const { projects, domains } = ctx.target;
    if (projects.length === 0 || domains.length === 0) {
      return { status: 'skip', messageId: 'noProjects', message: 'no projects/domains are known from the values, so there is no namespace to check' };
    }
    const s = await kubeSession(ctx);
    const wanted = projects.flatMap((p) => domains.map((d) => `${p}-${d}`));
    const missing: string[] = [], terminating: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < wanted.length) {
        const name = wanted[next++]!;
        const ns = await s.getOptional<{ status?: { phase?: string } }>(`/api/v1/namespaces/${encodeURIComponent(name)}`, ctx.signal);
        if (!ns) missing.push(name); else if (ns.status?.phase === 'Terminating') terminating.push(name);
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, wanted.length) }, worker));
    missing.sort(); terminating.sort();
    const details = { checked: wanted, missing, terminating, mapping: '{{ project }}-{{ domain }}' };
    if (missing.length === 0 && terminating.length === 0) {
      return { status: 'pass', messageId: 'exist', message: `all ${wanted.length} project-domain namespaces exist: ${wanted.join(', ')}`, details };
    }
    const chart = ctx.target.chart ?? 'flyte-binary';
    const first = missing[0] ?? terminating[0]!;
    const sync = chart === 'flyte-core'
      ? `\`cluster_resource_manager.enabled: true\` and the syncresources logs (\`${kubectl(ctx.target.kubernetes, ctx.target.kubernetes.namespace)} logs deploy/syncresources\`)`
      : `that \`configuration.inline.cluster_resources\` / \`flyte-core-components.admin.disableClusterResourceManager\` do not disable the sync, and the binary's logs`;
    return {
      status: 'fail', messageId: 'missing',
      message: `${missing.length + terminating.length} of ${wanted.length} project-domain namespaces are ${missing.length ? `missing (${missing.join(', ')})` : ''}${missing.length && terminating.length ? ' or ' : ''}${terminating.length ? `terminating (${terminating.join(', ')})` : ''}; executions there fail with "failed to create workflow in propeller namespaces \\"${first}\\" not found"`,
      details,
      hint: `check the cluster resource sync: ${sync}; or create one by hand: \`${kubectl(ctx.target.kubernetes)} create namespace ${first}\``,
    };
  },
});
