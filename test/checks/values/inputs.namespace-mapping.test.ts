// Flyte's namespace mapping (namespace_mapping.template) through the loader and the real engine:
// values.inputs.namespace-mapping judges the template (placeholders Flyte does not substitute,
// invalid names, flyteadmin and the sync on different templates) from values, server configs and
// rendered manifests; flyte.projects.namespaces looks up the namespaces the mapping gives in the test
// bed's real kube-apiserver (namespaces of its own, fd-nsmap-*, created and removed here).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinChecks } from '../../../checks/index.js';
import { loadTarget, type TargetInput } from '../../../src/config/load.js';
import type { Target } from '../../../src/config/target.js';
import { plan } from '../../../src/engine/plan.js';
import { runChecks } from '../../../src/engine/run.js';
import { namespaceFor, projectNamespaces } from '../../../src/flyte/namespaces.js';
import { SHARED_FIXTURES } from '../../harness/fixtures.js';
import { assertDeclared, runCheck } from '../../harness/run-check.js';
import { makeTarget } from '../../harness/target.js';
import { getTestbed } from '../../harness/testbed.js';
import { createIfMissing } from '../../infra/kube.js';
import { removeNamespace } from '../../infra/flyte-install.js';

const ID = 'values.inputs.namespace-mapping';
const dir = mkdtempSync(join(tmpdir(), 'fd-nsmap-'));
const file = (name: string, text: string) => { const f = join(dir, name); writeFileSync(f, text); return f; };
const values = (name: string) => join(SHARED_FIXTURES, 'flyte-values', name);
const load = (input: Partial<TargetInput>) => loadTarget({ values: [], set: [], env: {}, cwd: dir, home: join(dir, 'home'), ...input });
async function result(t: Target) {
  const r = await runChecks({ target: t, plan: plan(builtinChecks, 'preflight', { only: [ID] }, t), timeoutMs: 2000, concurrency: 2 });
  assertDeclared(r);
  return r.results.find((x) => x.id === ID)!;
}
const coreValues = (ns: string) => file(`core-${Math.random().toString(36).slice(2)}.yaml`, `configmap:\n  namespace_config:\n    namespace_mapping:\n${ns}`);

describe('namespace mapping: what flyteadmin computes', () => {
  it('exact replacement of {{ project }}, {{ domain }}, {{ org }} (with the spaces), like namespaceutils.GetNamespaceName', () => {
    expect(namespaceFor('{{ project }}-{{ domain }}', 'p', 'd')).toBe('p-d');
    expect(namespaceFor('{{ domain }}', 'p', 'd')).toBe('d');
    expect(namespaceFor('{{project}}-{{ domain }}', 'p', 'd')).toBe('{{project}}-d');
    expect(namespaceFor('{{ org }}-{{ project }}', 'p', 'd')).toBe('-p');
    expect(projectNamespaces({ projects: ['a', 'b'], domains: ['x', 'y'], namespaceMapping: { template: '{{ domain }}', source: 's', key: 'k' } }).map((n) => n.namespace)).toEqual(['x', 'y']);
  });
});

describe(ID, () => {
  it('no mapping set: the default, passing with the names it gives', async () => {
    const r = await result(load({ values: [values('flyte-binary__eks-starter.yaml')] }));
    expect(r).toMatchObject({ status: 'pass', messageId: 'valid' });
    expect(r.message).toContain('`{{ project }}-{{ domain }}` (the default');
    expect(r.message).toContain('flytesnacks-development');
  });

  it("the GCP fixture's `{{ domain }}` (configmap.namespace_config) maps to the domain names", async () => {
    const t = load({ values: [values('flyte-core__values-gcp.yaml')] });
    expect(t.namespaceMapping).toMatchObject({ template: '{{ domain }}', key: 'configmap.namespace_config.namespace_mapping.template' });
    const r = await result(t);
    expect(r).toMatchObject({ status: 'pass', messageId: 'valid' });
    expect((r.details!.namespaces as { namespace: string }[]).map((n) => n.namespace)).toEqual(expect.arrayContaining(['development', 'staging', 'production']));
  });

  it('`{{project}}` without the spaces is not substituted: fail naming the key, its file and the corrected template', async () => {
    const f = coreValues('      template: "{{project}}-{{domain}}"\n');
    const r = await result(load({ values: [values('flyte-core__values-eks.yaml'), f] }));
    expect(r).toMatchObject({ status: 'fail', messageId: 'invalid' });
    expect(r.message).toContain('`{{project}}`, `{{domain}}` are not substituted by Flyte');
    expect(r.hint).toContain('configmap.namespace_config.namespace_mapping.template: "{{ project }}-{{ domain }}"');
    expect(r.hint).toContain(f);
  });

  it('`{{ org }}` is empty in open-source Flyte: "-flytesnacks" is not a namespace name', async () => {
    const f = file('binary-org.yaml', 'configuration:\n  inline:\n    namespace_mapping:\n      template: "{{ org }}-{{ project }}"\n');
    const r = await result(load({ values: [values('flyte-binary__eks-starter.yaml'), f] }));
    expect(r).toMatchObject({ status: 'fail', messageId: 'invalid' });
    expect(r.message).toMatch(/"-flytesnacks", not a valid namespace name/);
  });

  it('the legacy `mapping: domain` is read as `{{ domain }}`', async () => {
    const f = coreValues('      mapping: domain\n');
    const t = load({ values: [values('flyte-core__values-eks.yaml'), f] });
    expect(t.namespaceMapping).toMatchObject({ template: '{{ domain }}', key: 'configmap.namespace_config.namespace_mapping.mapping' });
  });

  it('flyte-core: configmap.adminServer.namespace_mapping overrides flyteadmin only; the sync keeps namespace_config: fail with the two templates', async () => {
    const f = file('core-admin.yaml', 'configmap:\n  adminServer:\n    namespace_mapping:\n      template: "{{ project }}"\n');
    const r = await result(load({ values: [values('flyte-core__values-gcp.yaml'), f] }));
    expect(r).toMatchObject({ status: 'fail', messageId: 'syncDiffers' });
    expect(r.message).toContain('flyteadmin uses "flytesnacks", the sync creates "development"');
    expect(r.hint).toContain('remove configmap.adminServer.namespace_mapping and set configmap.namespace_config.namespace_mapping.template: "{{ project }}"');
  });

  it('a server config: its top-level namespace_mapping, with the file named', async () => {
    const f = join(SHARED_FIXTURES, 'flyte-server-config', 'flyteadmin__flyteadmin_config.yaml');
    const t = load({ serverConfigs: [f] });
    expect(t.namespaceMapping).toMatchObject({ template: '{{ project }}-{{ domain }}', source: `${f}: namespace_mapping.template` });
    expect(await result(t)).toMatchObject({ status: 'pass' });
  });

  it("rendered manifests: flyteadmin's ConfigMap, and the sync's when it differs (a render edited by hand)", async () => {
    const render = join(SHARED_FIXTURES, 'flyte-rendered', 'gcp__flyte_helm_generated.yaml');
    const t = load({ manifests: render });
    expect(t.namespaceMapping).toMatchObject({ template: '{{ domain }}', source: 'ConfigMap flyte/flyte-admin-base-config key namespace_config.yaml: namespace_mapping.template' });
    expect(t.namespaceMapping!.sync).toBeUndefined();
    // the sync's copy changed: the second occurrence (flyte-clusterresourcesync-config)
    const text = readFileSync(render, 'utf8');
    const second = text.indexOf("template: '{{ domain }}'", text.indexOf("template: '{{ domain }}'") + 1);
    expect(second).toBeGreaterThan(0);
    const edited = file('render.yaml', `${text.slice(0, second)}template: '{{ project }}-{{ domain }}'${text.slice(second + "template: '{{ domain }}'".length)}`);
    const r = await result(load({ manifests: edited }));
    expect(r).toMatchObject({ status: 'fail', messageId: 'syncDiffers' });
    expect(r.message).toContain('ConfigMap flyte/flyte-clusterresourcesync-config key namespace_config.yaml');
  });
});

describe('flyte.projects.namespaces under a namespace mapping (real kube-apiserver)', () => {
  const tb = () => getTestbed();
  const proj = 'fd-nsmap';
  const made = [`${proj}-x-development`];
  const target = (template: string, sync?: string): Target => makeTarget({
    projects: [proj], domains: ['development', 'staging'],
    namespaceMapping: { template, source: 'values.yaml: configmap.namespace_config.namespace_mapping.template', key: 'configmap.namespace_config.namespace_mapping.template', ...(sync ? { sync: { template: sync, source: 'values.yaml: configmap.namespace_config.namespace_mapping.template' } } : {}) },
    kubernetes: { kubeconfigPath: tb().kube.kubeconfig, context: 'admin', namespace: 'flyte', release: 'flyte' },
  } as never);
  afterAll(async () => { for (const ns of made) await removeNamespace(tb(), ns).catch(() => undefined); });

  it('looks up the mapped names: the one that exists passes, the other is missing by its mapped name', async () => {
    await createIfMissing(tb().kube, tb().kube.tokens.admin, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: made[0] } });
    const { result } = await runCheck('flyte.projects.namespaces', target('{{ project }}-x-{{ domain }}'), { phase: 'verify' });
    expect(result).toMatchObject({ status: 'fail', messageId: 'missing' });
    expect(result.details!.checked).toEqual([`${proj}-x-development`, `${proj}-x-staging`]);
    expect(result.details!.missing).toEqual([`${proj}-x-staging`]);
  });

  it('the sync on another template: the missing namespaces are explained by it, with both templates', async () => {
    const { result } = await runCheck('flyte.projects.namespaces', target('{{ project }}-x-{{ domain }}', '{{ domain }}'), { phase: 'verify' });
    expect(result).toMatchObject({ status: 'fail', messageId: 'mappingDiffers' });
    expect(result.message).toContain('so it creates development, staging instead');
  });

  it('an invalid template: no lookup, the mapping is the cause', async () => {
    const { result } = await runCheck('flyte.projects.namespaces', target('{{project}}-{{ domain }}'), { phase: 'verify' });
    expect(result).toMatchObject({ status: 'fail', messageId: 'mappingInvalid' });
    expect(result.cause).toBe('config:configmap.namespace_config.namespace_mapping.template');
  });
});
