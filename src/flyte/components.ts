// Which Flyte components the values deploy (flyte-core `<component>.enabled`, the scheduler's
// `workflow_scheduler.enabled` + `type: native`, the standalone cluster-resource sync; flyte-binary's
// `flyte-core-components.*.disabled` inside the one binary). verify expects exactly these, and the
// report says what is not checked because the values turn it off (facts §A1, §A2).
import type { Reader } from '../config/charts.js';
import type { Chart, ComponentSetting } from '../config/target.js';

/** The components of a chart as the values decide them, with the key that decides each. */
export function componentsFromValues(chart: Chart, r: Reader): ComponentSetting[] {
  const src = (key: string, dflt: boolean) => { const p = r.has(key) ? r.prov(key) : 'chart default'; return p === 'chart default' ? `chart default (${key}: ${dflt})` : p; };
  const on = (key: string, dflt: boolean) => ({ enabled: r.bool(key) ?? dflt, source: src(key, dflt), key });
  if (chart === 'flyte-core') {
    const sched = r.bool('workflow_scheduler.enabled') ?? false;
    const type = r.str('workflow_scheduler.type') ?? '';
    const schedKey = 'workflow_scheduler.enabled';
    const crm = on('cluster_resource_manager.enabled', true);
    const standalone = r.bool('cluster_resource_manager.standaloneDeployment') ?? false;
    return [
      { name: 'flyteadmin', deployment: 'flyteadmin', ...on('flyteadmin.enabled', true) },
      { name: 'flyteconsole', deployment: 'flyteconsole', ...on('flyteconsole.enabled', true) },
      { name: 'datacatalog', deployment: 'datacatalog', ...on('datacatalog.enabled', true) },
      { name: 'flytepropeller', deployment: 'flytepropeller', ...on('flytepropeller.enabled', true) },
      { name: 'flyte-pod-webhook', deployment: 'flyte-pod-webhook', ...on('webhook.enabled', true) },
      {
        name: 'flytescheduler', deployment: 'flytescheduler', key: schedKey,
        enabled: sched && type === 'native',
        source: r.has(schedKey) ? `${r.prov(schedKey)}${sched ? `, workflow_scheduler.type: ${type || '(unset)'}` : ''}` : `chart default (${schedKey}: false)`,
        ...(sched && type !== 'native' ? { note: `workflow_scheduler.type is ${type ? `"${type}"` : 'unset'}: only "native" deploys flytescheduler (aws uses EventBridge/SQS instead)` } : {}),
      },
      {
        name: 'syncresources', deployment: 'syncresources', key: 'cluster_resource_manager.enabled',
        enabled: crm.enabled && standalone,
        source: crm.source + (crm.enabled ? `, cluster_resource_manager.standaloneDeployment: ${standalone}` : ''),
        ...(crm.enabled && !standalone ? { note: 'the cluster resource sync runs inside flyteadmin (standaloneDeployment: false), not as its own Deployment' } : {}),
      },
      { name: 'flyteconnector', deployment: 'flyteconnector', ...on('flyteconnector.enabled', false) },
    ];
  }
  // flyte-binary: one Deployment; the parts inside it.
  const off = (key: string) => ({ enabled: !(r.bool(key) ?? false), source: src(key, false), key });
  return [
    { name: 'admin', ...off('flyte-core-components.admin.disabled') },
    { name: 'scheduler', ...off('flyte-core-components.admin.disableScheduler') },
    { name: 'cluster-resource-sync', ...off('flyte-core-components.admin.disableClusterResourceManager') },
    { name: 'propeller', ...off('flyte-core-components.propeller.disabled') },
    { name: 'webhook', ...off('flyte-core-components.propeller.disableWebhook') },
    { name: 'datacatalog', ...off('flyte-core-components.dataCatalog.disabled') },
  ];
}

/** The component setting by name, when the values decided it. */
export function component(t: { components?: ComponentSetting[] | undefined }, name: string): ComponentSetting | undefined {
  return t.components?.find((c) => c.name === name);
}

/** Whether the values turn the component off (undefined components: nothing is known, so no). */
export function isDisabled(t: { components?: ComponentSetting[] | undefined }, name: string): boolean {
  return component(t, name)?.enabled === false;
}
