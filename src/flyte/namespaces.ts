// Flyte's namespace mapping: which Kubernetes namespace a project-domain's executions run in.
// flyteadmin (and the cluster resource sync, which creates those namespaces) map a project and a
// domain through `namespace_mapping.template` (flytestdlib namespaceutils.GetNamespaceName: plain
// string replacement of exactly `{{ org }}`, `{{ project }}` and `{{ domain }}`, with those spaces).
// When no template is set, the older `namespace_mapping.mapping` (project | domain | project-domain)
// decides, and else the default `{{ project }}-{{ domain }}`.
// Where it is set: flyte-core `configmap.namespace_config.namespace_mapping` (rendered into both
// flyteadmin's and the sync's config), flyte-binary `configuration.inline.namespace_mapping`, a
// server config's top-level `namespace_mapping`.

import type { Reader } from '../config/charts.js';
import type { Chart } from '../config/target.js';

export const DEFAULT_NAMESPACE_TEMPLATE = '{{ project }}-{{ domain }}';

export interface NamespaceMapping {
  /** The template flyteadmin uses, e.g. `{{ project }}-{{ domain }}`. */
  template: string;
  /** Where it comes from: a values key and file, a server config, or `default`. */
  source: string;
  /** The values / config key to change it (for hints). */
  key: string;
  /** The cluster resource sync's template when it differs from flyteadmin's (it then creates other namespaces). */
  sync?: { template: string; source: string };
}

/** The template of a `namespace_mapping` section (`template`, else the legacy `mapping`), or undefined when it sets neither. */
export function templateOf(section: { template?: unknown; mapping?: unknown } | undefined): string | undefined {
  if (!section) return undefined;
  if (typeof section.template === 'string' && section.template !== '') return section.template;
  switch (section.mapping) {
    case 'project': return '{{ project }}';
    case 'domain': return '{{ domain }}';
    case 'project-domain': return DEFAULT_NAMESPACE_TEMPLATE;
    default: return undefined;
  }
}

/** The namespace of a project-domain, exactly as flyteadmin computes it (org is empty in open-source Flyte). */
export function namespaceFor(template: string, project: string, domain: string, org = ''): string {
  return template.split('{{ org }}').join(org).split('{{ project }}').join(project).split('{{ domain }}').join(domain);
}

export interface ProjectNamespace { project: string; domain: string; namespace: string }

/** Every project-domain's namespace under the target's mapping (distinct namespaces, first pair kept). */
export function projectNamespaces(t: { projects: string[]; domains: string[]; namespaceMapping?: NamespaceMapping }): ProjectNamespace[] {
  const template = t.namespaceMapping?.template ?? DEFAULT_NAMESPACE_TEMPLATE;
  const seen = new Set<string>();
  const out: ProjectNamespace[] = [];
  for (const project of t.projects) {
    for (const domain of t.domains) {
      const namespace = namespaceFor(template, project, domain);
      if (seen.has(namespace)) continue;
      seen.add(namespace);
      out.push({ project, domain, namespace });
    }
  }
  return out;
}

/** The mapping in words for messages: `{{ project }}-{{ domain }}` (default) or `{{ domain }}` (from …). */
export function describeMapping(m: NamespaceMapping | undefined): string {
  if (!m || m.source === 'default') return `\`${DEFAULT_NAMESPACE_TEMPLATE}\` (the default namespace mapping)`;
  return `\`${m.template}\` (namespace mapping from ${m.source})`;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export interface MappingProblem {
  kind: 'unsubstituted' | 'invalidName';
  message: string;
}

/**
 * What is wrong with a template for these projects and domains: placeholders Flyte does not
 * substitute (`{{project}}` without the spaces, `{{ .Project }}`), names that are not DNS-1123 labels
 * (Kubernetes refuses to create them), a template that maps every project-domain to one namespace.
 */
export function mappingProblems(template: string, projects: string[], domains: string[]): MappingProblem[] {
  const out: MappingProblem[] = [];
  const left = namespaceFor(template, 'p', 'd');
  const braces = left.match(/\{\{[^}]*\}\}/g);
  if (braces) {
    out.push({ kind: 'unsubstituted', message: `${braces.map((b) => `\`${b}\``).join(', ')} ${braces.length === 1 ? 'is' : 'are'} not substituted by Flyte: it replaces exactly \`{{ project }}\`, \`{{ domain }}\` and \`{{ org }}\` (with one space inside the braces)` });
  }
  const bad: string[] = [];
  for (const p of projects.length ? projects : ['flytesnacks']) {
    for (const d of domains.length ? domains : ['development']) {
      const ns = namespaceFor(template, p, d);
      if ((ns.length > 63 || !DNS_LABEL.test(ns)) && !bad.includes(ns)) bad.push(ns);
    }
  }
  if (bad.length) {
    out.push({ kind: 'invalidName', message: `it maps to ${bad.slice(0, 3).map((n) => `"${n}"`).join(', ')}${bad.length > 3 ? ` and ${bad.length - 3} more` : ''}, not a valid namespace name (lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters): Kubernetes refuses to create ${bad.length === 1 ? 'it' : 'them'}` });
  }
  return out;
}

/**
 * The mapping the values configure: flyte-core `configmap.namespace_config.namespace_mapping`
 * (flyteadmin and the sync), overridden for flyteadmin alone by `configmap.adminServer.namespace_mapping`
 * (its server.yaml is read after namespace_config.yaml); flyte-binary
 * `configuration.inline.namespace_mapping`. Undefined when the values set none (the default applies).
 */
export function namespaceMappingFromValues(chart: Chart, r: Reader): NamespaceMapping | undefined {
  const at = (key: string) => {
    const raw = r.raw(key);
    const t = raw && typeof raw === 'object' && !Array.isArray(raw) ? templateOf(raw as { template?: unknown; mapping?: unknown }) : undefined;
    if (t === undefined) return undefined;
    const sub = typeof (raw as { template?: unknown }).template === 'string' && (raw as { template?: string }).template !== '' ? 'template' : 'mapping';
    return { template: t, source: r.prov(`${key}.${sub}`), key: `${key}.${sub}` };
  };
  if (chart === 'flyte-binary') {
    const m = at('configuration.inline.namespace_mapping');
    return m ? { template: m.template, source: m.source, key: m.key } : undefined;
  }
  const shared = at('configmap.namespace_config.namespace_mapping');
  const admin = at('configmap.adminServer.namespace_mapping');
  if (!admin) return shared ? { template: shared.template, source: shared.source, key: shared.key } : undefined;
  const syncTemplate = shared?.template ?? DEFAULT_NAMESPACE_TEMPLATE;
  return {
    template: admin.template, source: admin.source, key: admin.key,
    ...(syncTemplate !== admin.template ? { sync: { template: syncTemplate, source: shared?.source ?? 'default (configmap.namespace_config sets none)' } } : {}),
  };
}
