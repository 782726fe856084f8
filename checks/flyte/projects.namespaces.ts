import { isObj, kubectl } from '../../src/clients/kube.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import { DEFAULT_NAMESPACE_TEMPLATE, mappingProblems, projectNamespaces } from '../../src/flyte/namespaces.js';
import { API_MESSAGES, terminatingNamespace, withKube } from '../kubernetes/_support.js';

export default defineCheck({
  id: 'flyte.projects.namespaces',
  title: 'Every project-domain namespace exists',
  phases: ['verify'],
  needs: ['kubernetes'],
  dependsOn: ['kubernetes.api.reachable'],
  messages: {
    exist: { status: 'pass', summary: 'Every project-domain namespace exists and is Active.' },
    missing: { status: 'fail', summary: 'Project-domain namespaces are missing: the cluster resource sync has not created them.' },
    terminating: { status: 'fail', summary: 'Project-domain namespaces are stuck Terminating: what blocks the deletion is named.' },
    noProjects: { status: 'skip', summary: 'No projects/domains are known from the values.' },
    mappingInvalid: { status: 'fail', summary: 'The namespace mapping makes names that cannot exist (see values.inputs.namespace-mapping): no namespace is looked up.' },
    mappingDiffers: { status: 'fail', summary: 'Project-domain namespaces are missing because the cluster resource sync maps project-domains with another template than flyteadmin.' },
    ...API_MESSAGES,
  },
  explain: {
    what: 'For each known project (seed projects from the values) and domain, checks that the namespace flyteadmin maps it to exists: `<project>-<domain>` by default, or what the configured `namespace_mapping.template` gives (see values.inputs.namespace-mapping).',
    why: 'flyteadmin creates executions in that namespace; when the cluster resource sync has not created it, launching fails with "failed to create workflow in propeller namespaces \\"<project>-<domain>\\" not found".',
    fix: 'Make the cluster resource sync run (flyte-core `cluster_resource_manager.enabled: true`, the syncresources Deployment; flyte-binary: not disabled by `flyte-core-components.admin.disableClusterResourceManager`), check its logs, or create the namespaces.',
  },
  async run(ctx) {
    const { projects, domains } = ctx.target;
    if (projects.length === 0 || domains.length === 0) {
      return { status: 'skip', messageId: 'noProjects', message: 'no projects/domains are known from the values, so there is no namespace to check' };
    }
    const t = ctx.target;
    const nm = t.namespaceMapping;
    const template = nm?.template ?? DEFAULT_NAMESPACE_TEMPLATE;
    const problems = nm ? mappingProblems(template, projects, domains) : [];
    if (nm && problems.length) {
      return { status: 'fail', messageId: 'mappingInvalid', cause: cause.config(nm.key),
        message: `the namespace mapping \`${template}\` (${nm.source}) cannot give valid namespaces: ${problems.map((p) => p.message).join('; ')}`,
        hint: `fix ${nm.key} (values.inputs.namespace-mapping says how); no namespace was looked up`, details: { template, problems: problems.map((p) => p.kind) } };
    }
    const wanted = projectNamespaces(t).map((n) => n.namespace);
    const k = kubectl(ctx.target.kubernetes);
    return withKube(ctx, 'the project namespaces', async (s, signal) => {
      const missing: string[] = [];
      const terminating: { name: string; obj: unknown }[] = [];
      let next = 0;
      const worker = async () => {
        while (next < wanted.length) {
          const name = wanted[next++]!;
          const ns = await s.getOptional<Record<string, unknown>>(`/api/v1/namespaces/${encodeURIComponent(name)}`, signal);
          if (!ns) { missing.push(name); continue; }
          const st = isObj(ns['status']) ? ns['status'] : {};
          const md = isObj(ns['metadata']) ? ns['metadata'] : {};
          if (st['phase'] === 'Terminating' || typeof md['deletionTimestamp'] === 'string') terminating.push({ name, obj: ns });
        }
      };
      await Promise.all(Array.from({ length: Math.min(8, wanted.length) }, worker));
      missing.sort(); terminating.sort((a, b) => (a.name < b.name ? -1 : 1));
      const details = { checked: wanted, missing, terminating: terminating.map((x) => x.name), mapping: template, ...(nm ? { mappingSource: nm.source } : {}) };
      if (missing.length === 0 && terminating.length === 0) {
        return { status: 'pass' as const, messageId: 'exist' as const, message: `all ${wanted.length} project-domain namespaces exist: ${wanted.join(', ')}`, details };
      }
      const chart = ctx.target.chart ?? 'flyte-binary';
      const sync = chart === 'flyte-core'
        ? `\`cluster_resource_manager.enabled: true\` and the syncresources logs (\`${kubectl(ctx.target.kubernetes, ctx.target.kubernetes.namespace)} logs deploy/syncresources\`)`
        : `that \`flyte-core-components.admin.disableClusterResourceManager\` does not disable the sync, and the binary's logs`;
      const missingText = missing.length ? `${missing.length} of ${wanted.length} project-domain namespaces are missing (${missing.join(', ')}); executions there fail with "failed to create workflow in propeller namespaces \\"${missing[0]}\\" not found"` : '';
      if (terminating.length) {
        const t = terminatingNamespace(terminating[0]!.obj, terminating[0]!.name, k);
        return { status: 'fail' as const, messageId: 'terminating' as const, cause: cause.object('namespace', undefined, terminating[0]!.name),
          message: `${terminating.length} project-domain namespace(s) are stuck Terminating (${terminating.map((x) => x.name).join(', ')}): ${t.message}${missingText ? `; ${missingText}` : ''}`,
          details: { ...details, blocking: t.details },
          hint: `${t.hint}; the cluster resource sync re-creates the namespace once the deletion has finished` };
      }
      if (nm?.sync && missing.length) {
        const syncNs = projectNamespaces({ projects, domains, namespaceMapping: { ...nm, template: nm.sync.template } }).map((n) => n.namespace);
        return {
          status: 'fail' as const, messageId: 'mappingDiffers' as const, cause: cause.config(nm.key),
          message: `${missingText}: flyteadmin maps project-domains with \`${template}\` (${nm.source}) but the cluster resource sync with \`${nm.sync.template}\` (${nm.sync.source}), so it creates ${syncNs.slice(0, 3).join(', ')}${syncNs.length > 3 ? ', …' : ''} instead`,
          details: { ...details, syncTemplate: nm.sync.template },
          hint: 'give flyteadmin and the sync one namespace_mapping.template (values.inputs.namespace-mapping names the keys)',
        };
      }
      return {
        status: 'fail' as const, messageId: 'missing' as const, cause: cause.backend(chart === 'flyte-core' ? 'syncresources' : 'flyteadmin'),
        message: missingText, details,
        hint: `check the cluster resource sync: ${sync}; or create one by hand: \`${k} create namespace ${missing[0]}\``,
      };
    });
  },
});
