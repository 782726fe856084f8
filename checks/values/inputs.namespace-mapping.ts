import { defineCheck } from '../../src/engine/define.js';
import { cause } from '../../src/engine/causes.js';
import type { Json, Outcome } from '../../src/engine/types.js';
import { DEFAULT_NAMESPACE_TEMPLATE, mappingProblems, namespaceFor, projectNamespaces } from '../../src/flyte/namespaces.js';
import { fixSetting } from '../../src/flyte/settings.js';

type Id = 'valid' | 'invalid' | 'syncDiffers';

export default defineCheck({
  id: 'values.inputs.namespace-mapping',
  title: 'The namespace mapping gives every project-domain a valid namespace, the same for flyteadmin and the sync',
  phases: ['preflight', 'verify'],
  messages: {
    valid: { status: 'pass', summary: 'The namespace mapping (default or configured) maps every known project-domain to a valid namespace name.' },
    invalid: { status: 'fail', summary: 'The namespace mapping leaves placeholders Flyte does not substitute, or makes names Kubernetes refuses: executions cannot be created.' },
    syncDiffers: { status: 'fail', summary: 'flyteadmin and the cluster resource sync map project-domains to different namespaces: the sync creates namespaces flyteadmin does not use.' },
  },
  explain: {
    what: 'Reads flyteadmin\'s `namespace_mapping` (flyte-core `configmap.namespace_config.namespace_mapping`, overridden for flyteadmin alone by `configmap.adminServer.namespace_mapping`; flyte-binary `configuration.inline.namespace_mapping`; a server config\'s `namespace_mapping`; the rendered ConfigMaps of flyteadmin and syncresources), applies it to the known projects and domains exactly as flyteadmin does (plain replacement of `{{ project }}`, `{{ domain }}` and `{{ org }}`, with the spaces), and checks the names and that the sync uses the same template.',
    why: 'flyteadmin creates each execution in the namespace the template gives, and the cluster resource sync creates those namespaces from its own copy of the template. `{{project}}` without the spaces is left as is (an invalid name); two different templates make the sync create namespaces nobody uses while executions fail with `namespaces "<name>" not found`.',
    fix: 'Set one template with `{{ project }}` and/or `{{ domain }}` (with the spaces) in the key named, the same for flyteadmin and the sync (flyte-core: `configmap.namespace_config.namespace_mapping.template`, and no `configmap.adminServer.namespace_mapping`).',
  },
  async run(ctx): Promise<Outcome<Id>> {
    const t = ctx.target;
    const m = t.namespaceMapping;
    const template = m?.template ?? DEFAULT_NAMESPACE_TEMPLATE;
    const where = m ? `\`${template}\` (${m.source})` : `\`${template}\` (the default: the inputs set no namespace_mapping)`;
    const names = projectNamespaces(t);
    const details: Record<string, Json> = { template, source: m?.source ?? 'default', namespaces: names.map((n) => ({ project: n.project, domain: n.domain, namespace: n.namespace })) as Json };
    const problems = mappingProblems(template, t.projects, t.domains);
    if (m && problems.length) {
      const fixed = template.replace(/\{\{\s*\.?\s*([Pp]roject|[Dd]omain|[Oo]rg)\s*\}\}/g, (_x, v: string) => `{{ ${v.toLowerCase()} }}`);
      const better = mappingProblems(fixed, t.projects, t.domains).length === 0 && fixed !== template ? fixed : DEFAULT_NAMESPACE_TEMPLATE;
      return {
        status: 'fail', messageId: 'invalid', cause: cause.config(m.key),
        message: `namespace mapping ${where}: ${problems.map((p) => p.message).join('; ')}`,
        hint: `${fixSetting(t, 'namespaceMapping.template', m.key, better) ?? `set ${m.key}: "${better}"`}${m.sync ? `, and the sync's mapping (${m.sync.source}) to the same` : ''}`,
        details: { ...details, problems: problems.map((p) => p.kind) },
      };
    }
    if (m?.sync) {
      const sample = names.slice(0, 2).map((n) => `${n.project}/${n.domain}: flyteadmin uses "${n.namespace}", the sync creates "${namespaceFor(m.sync!.template, n.project, n.domain)}"`);
      return {
        status: 'fail', messageId: 'syncDiffers', cause: cause.config(m.key),
        message: `flyteadmin maps project-domains with ${where} but the cluster resource sync with \`${m.sync.template}\` (${m.sync.source}): ${sample.join('; ')}; executions fail with namespaces "<name>" not found`,
        hint: t.chart === 'flyte-core' && m.key.startsWith('configmap.adminServer.')
          ? `remove ${m.key.replace(/\.(template|mapping)$/, '')} and set configmap.namespace_config.namespace_mapping.template: "${template}" (rendered into both flyteadmin's and the sync's config)`
          : `give flyteadmin and the cluster resource sync the same namespace_mapping.template ("${template}" is flyteadmin's)`,
        details: { ...details, syncTemplate: m.sync.template, syncSource: m.sync.source },
      };
    }
    return { status: 'pass', messageId: 'valid', message: `namespace mapping ${where}: ${names.slice(0, 4).map((n) => n.namespace).join(', ')}${names.length > 4 ? `, … (${names.length})` : ''}`, details };
  },
});

