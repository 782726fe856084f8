// The enabled components of the values decide what verify expects (issue 13): flyte-core's official
// control-plane and data-plane overlays (../shared/fixtures) against a REAL rendered flyte-core
// install in a private namespace, with the Deployments and Services a plane does not deploy removed
// the way that plane's render leaves them out. The shared install in `flyte` is never touched.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTarget } from '../../../src/config/load.js';
import type { Target } from '../../../src/config/target.js';
import type { CheckResult } from '../../../src/engine/types.js';
import { deleteObject, installFlyte, removeInstall, syncEndpoints, type InstallOptions } from '../../infra/flyte-install.js';
import { SHARED_FIXTURES } from '../../harness/fixtures.js';
import { runSelection } from '../../harness/run-check.js';
import { makeTarget } from '../../harness/target.js';
import { getTestbed } from '../../harness/testbed.js';

// flyte.webhook.configured is left to components.test.ts: flyte-core's webhook registration is cluster-scoped.
const IDS = ['flyte.deployments.ready', 'flyte.services.endpoints'];
const tb = () => getTestbed();
const o: InstallOptions = { namespace: 'fd-k8s-comp-planes', noWebhook: true };
const fixture = (f: string) => join(SHARED_FIXTURES, 'flyte-values', f);
const componentsOf = (files: string[], set: string[] = []) => loadTarget({ values: files, set, env: {}, cwd: SHARED_FIXTURES, home: '/nonexistent-home' }).components;
const target = (components: Target['components']): Target =>
  makeTarget({ chart: 'flyte-core', ...(components ? { components } : {}), kubernetes: { kubeconfigPath: tb().kube.kubeconfig, context: 'admin', namespace: o.namespace!, release: 'flyte' } } as never);
const verify = async (t: Target): Promise<Record<string, CheckResult>> =>
  Object.fromEntries((await runSelection(t, 'verify', IDS)).results.map((r) => [r.id, r]));

describe.sequential('verify expects what the values deploy (flyte-core planes, private namespace)', () => {
  beforeAll(async () => { await removeInstall(tb(), 'flyte-core', o); await installFlyte(tb(), 'flyte-core', o); }, 90_000);
  afterAll(async () => { await removeInstall(tb(), 'flyte-core', o); }, 60_000);

  it('the data-plane overlay: only flytepropeller and the webhook are expected; the same install without values fails', async () => {
    for (const d of ['flyteadmin', 'flyteconsole', 'datacatalog', 'flytescheduler', 'syncresources']) await deleteObject(tb(), 'Deployment', d, o);
    for (const s of ['flyteadmin', 'flyteconsole', 'datacatalog']) await deleteObject(tb(), 'Service', s, o);
    await syncEndpoints(tb(), o);
    const comps = componentsOf([fixture('flyte-core__values-dataplane.yaml')]);
    expect(comps?.filter((c) => c.enabled).map((c) => c.name)).toEqual(['flytepropeller', 'flyte-pod-webhook']);
    const r = await verify(target(comps));
    for (const id of IDS) expect(r[id]!.status, `${id}: ${r[id]!.message}`).toBe('pass');
    expect((r['flyte.deployments.ready']!.details!.ready as string[]).sort()).toEqual(['flyte-pod-webhook', 'flytepropeller']);
    // Without the values' components, the data plane looks broken: what the values say matters.
    const blind = await verify(target(undefined));
    expect(blind['flyte.deployments.ready']!.status).toBe('fail');
    expect(blind['flyte.services.endpoints']!.status).toBe('fail');
  });

  it('a scheduler the values enable (workflow_scheduler.enabled + type native) is required: its missing Deployment fails, named', async () => {
    const comps = componentsOf([fixture('flyte-core__values-dataplane.yaml')], ['workflow_scheduler.enabled=true', 'workflow_scheduler.type=native', 'flytescheduler.enabled=true']);
    expect(comps?.find((c) => c.name === 'flytescheduler')).toMatchObject({ enabled: true });
    const r = await verify(target(comps));
    const d = r['flyte.deployments.ready']!;
    expect(d.status, d.message).toBe('fail');
    expect(d.message).toContain('flytescheduler');
    expect(d.hint).toContain('these values deploy flytescheduler (--set: workflow_scheduler.enabled, workflow_scheduler.type: native)');
    expect(d.hint).toContain('helm upgrade <release> flyteorg/flyte-core -n fd-k8s-comp-planes');
  });

  it('a scheduler enabled with type aws deploys no flytescheduler: not expected, and the values say why', () => {
    const comps = componentsOf([fixture('flyte-core__values.yaml')], ['workflow_scheduler.enabled=true', 'workflow_scheduler.type=aws']);
    expect(comps?.find((c) => c.name === 'flytescheduler')).toMatchObject({ enabled: false, note: expect.stringContaining('only "native" deploys flytescheduler') });
  });
});
