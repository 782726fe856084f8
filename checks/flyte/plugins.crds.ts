import { isObj, kubectl, KubeError, type KubeSession } from '../../src/clients/kube.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext } from '../../src/engine/types.js';
import { crdsOf, crdVersionProblem, imageReferenceProblem, missingCrdCause, operatorOf, readCrd, type BackendPlugins } from '../../src/flyte/backend-plugins.js';
import { rollUp, type Item } from '../kubernetes/_objects.js';
import { API_MESSAGES, withKube } from '../kubernetes/_support.js';

const MESSAGES = {
  ready: { status: 'pass', summary: 'Every enabled backend plugin\'s CRD is Established (and, in verify, its operator Deployment is ready); the connector and the CoPilot image are in order.' },
  noOperatorPlugins: { status: 'pass', summary: 'The enabled plugins need no operator (container, sidecar, k8s-array, echo, web-API/connector plugins); the connector and CoPilot image are in order.' },
  noValues: { status: 'skip', summary: 'No Helm values were given: the enabled plugins are not known.' },
  crdMissing: { status: 'fail', summary: 'A plugin is enabled but its operator\'s CRD does not exist: every task of that type fails ("no matches for kind"). The operator to install (helm repo/chart) and the enabled-plugins key are named.' },
  crdNotReady: { status: 'fail', summary: 'The operator\'s CRD exists but is not Established, is being deleted, or its names conflict.' },
  crdVersion: { status: 'fail', summary: 'The operator\'s CRD is Established but does not serve the API version flytepropeller\'s plugin creates its objects in (an older operator release, or another operator owning the CRD): every task of that type fails ("no matches for kind … in version …"). The operator release or the one to use instead is named.' },
  operatorNotReady: { status: 'fail', summary: 'verify: the operator\'s Deployment exists but has no ready replica: its CRs are created and never run.' },
  operatorNotFound: { status: 'warn', summary: 'verify: the CRD exists but no Deployment with the operator\'s usual labels was found (installed another way, or the CRDs were left behind by an uninstall): cannot say whether it runs.' },
  connectorMissing: { status: 'fail', summary: 'connector-service routes task types to a connector whose Service (or, with flyteconnector.enabled, Deployment) does not exist or is not ready.' },
  connectorUnused: { status: 'pass', summary: 'connector-service is enabled (the chart default) with no connector deployed and no task type routed to it: nothing to check.' },
  operatorFlagOnly: { status: 'warn', summary: 'flyte-core sparkoperator.enabled / daskoperator.enabled is true but the plugin is not in enabled-plugins (the flag adds its config only).' },
  badImage: { status: 'fail', summary: 'The CoPilot image is not a well-formed image reference (no pod using raw containers could pull it).' },
  malformed: { status: 'fail', summary: 'enabled-plugins (or an item) has a shape propeller cannot read.' },
  allEnabled: { status: 'warn', summary: 'enabled-plugins is an empty list, which makes propeller enable every plugin it ships; the operators of some (their CRDs) are not installed, so tasks of those types fail.' },
  defaultNotEnabled: { status: 'fail', summary: 'default-for-task-types names a plugin that is not in enabled-plugins: propeller refuses to start ("cannot set default plugin … when it is not configured to be an enabled plugin").' },
  cannotRead: { status: 'warn', summary: 'The identity may not read CRDs or Deployments (403): cannot be checked with these credentials.' },
  ...API_MESSAGES,
} as const;
type Id = keyof typeof MESSAGES;
type Obj = Record<string, unknown>;

async function orForbidden<T>(p: Promise<T>): Promise<T | KubeError> {
  try { return await p; } catch (e) { if (e instanceof KubeError && e.kind === 'forbidden') return e; throw e; }
}

const readyOf = (d: Obj) => (isObj(d['status']) && typeof d['status']['readyReplicas'] === 'number' ? d['status']['readyReplicas'] : 0);
const nameOf = (d: Obj) => (isObj(d['metadata']) ? `${String(d['metadata']['namespace'] ?? '')}/${String(d['metadata']['name'] ?? '')}` : '?');

export default defineCheck({
  id: 'flyte.plugins.crds',
  title: 'Enabled backend plugins: their operators\' CRDs (and, in verify, the operators) are installed; connector and CoPilot image',
  phases: ['preflight', 'verify'],
  needs: ['kubernetes'],
  dependsOn: ['kubernetes.api.reachable'],
  messages: MESSAGES,
  explain: {
    what: 'Reads `enabled-plugins` (flyte-binary `enabled_plugins.tasks.task-plugins`, or `configuration.inline.tasks.task-plugins`; flyte-core `configmap.enabled_plugins.tasks.task-plugins`). For spark (sparkapplications.sparkoperator.k8s.io), ray (rayjobs.ray.io, rayclusters.ray.io), dask (daskjobs.kubernetes.dask.org), pytorch/tensorflow/mpi (pytorchjobs/tfjobs/mpijobs.kubeflow.org) it reads the CRD and its conditions; in verify it looks for the operator\'s Deployment by its chart\'s labels in every namespace and reads its ready replicas. With connector-service it reads the connector\'s Service (the `k8s://` endpoint) or, with `flyteconnector.enabled`, its Deployment. The CoPilot sidecar image must be a well-formed image reference.',
    why: 'propeller starts fine with a plugin whose operator is missing; every task of that type then fails at run time with "no matches for kind SparkApplication" (or waits forever when the operator is not running).',
    fix: 'Install the operator (the helm command is named) before enabling its plugin, or remove the plugin from `enabled-plugins`.',
  },
  async run(ctx) {
    const bp = ctx.target.backendPlugins;
    if (!bp) return { status: 'skip', messageId: 'noValues', message: 'no Helm values given: the enabled plugins are not known' };
    return withKube<Id>(ctx, 'the backend plugins\' CRDs', async (s, signal) => {
      const items: Item<Id>[] = [];
      for (const m of bp.malformed) items.push({ status: 'fail', id: 'malformed', cause: cause.config(bp.key), text: m, hint: `\`${bp.key}\` is a list of plugin ids, e.g. [container, sidecar, k8s-array, spark]` });
      if (bp.enabled.length) {
        // propeller's TaskPluginConfig.GetEnabledPlugins: every default must be an enabled plugin (an empty list enables all)
        const byPlugin = new Map<string, string[]>();
        for (const [type, plugin] of Object.entries(bp.defaults)) if (!bp.enabled.includes(plugin)) byPlugin.set(plugin, [...(byPlugin.get(plugin) ?? []), type]);
        const defaultsKey = bp.key.replace(/enabled-plugins$/, 'default-for-task-types');
        for (const [plugin, types] of byPlugin) {
          items.push({ status: 'fail', id: 'defaultNotEnabled', cause: cause.config(defaultsKey),
            text: `${defaultsKey} maps task type${types.length > 1 ? 's' : ''} ${types.join(', ')} to plugin ${plugin}, which is not in ${bp.key} (${bp.enabled.join(', ')}): flytepropeller exits at start with "cannot set default plugin [${plugin}] for task types [${types.join(' ')}] when it is not configured to be an enabled plugin"`,
            hint: `add \`${plugin}\` to \`${bp.key}\`, or remove ${types.map((x) => `\`${x}\``).join(', ')} from \`${defaultsKey}\`` });
        }
      }
      items.push(...await operators(ctx, s, bp, signal));
      items.push(...await connector(ctx, s, bp, signal));
      for (const f of bp.operatorFlags) {
        if (f.enabled && !bp.enabled.includes(f.plugin)) items.push({ status: 'warn', id: 'operatorFlagOnly', cause: cause.config(bp.key), text: `${f.key} is true but ${f.plugin} is not in ${bp.key}: the flag adds the plugin's configuration, propeller does not load the plugin`, hint: `add \`${f.plugin}\` to \`${bp.key}\` (and install its operator), or set \`${f.key}: false\`` });
      }
      if (bp.copilot?.image) {
        const problem = imageReferenceProblem(bp.copilot.image);
        if (problem) items.push({ status: 'fail', id: 'badImage', cause: cause.config(bp.copilot.key), text: `the CoPilot image "${bp.copilot.image}" (${bp.copilot.source ?? bp.copilot.key}) is not a valid image reference: ${problem}`, hint: `set \`${bp.copilot.key}\` to e.g. cr.flyte.org/flyteorg/flytecopilot:v1.16.8` });
      }
      if (!items.length) items.push({ status: 'pass', id: 'noOperatorPlugins', text: `the enabled plugins (${bp.enabled.join(', ')}) need no operator${bp.copilot?.image ? `; CoPilot image ${bp.copilot.image}` : ''}` });
      return rollUp(items, { what: 'the backend plugins', details: { enabled: bp.enabled, key: bp.key } });
    });
  },
});

async function operators(ctx: CheckContext, s: KubeSession, bp: BackendPlugins, signal: AbortSignal): Promise<Item<Id>[]> {
  const k = kubectl(ctx.target.kubernetes);
  const items: Item<Id>[] = [];
  if (bp.allEnabled) {
    // an empty list enables every plugin: say which of the operator-backed ones could not run
    const all = ['spark', 'ray', 'dask', 'pytorch', 'tensorflow', 'mpi'];
    const missing: string[] = [];
    for (const plugin of all) {
      for (const name of crdsOf(plugin)) {
        const crd = await orForbidden(readCrd(s, name, signal));
        if (crd instanceof KubeError) continue;
        if (crd.state === 'missing') missing.push(`${plugin} (${name})`);
        else { const v = crdVersionProblem(crd, plugin); if (v) missing.push(`${plugin} (${name} serves ${crd.versions.join(', ') || 'no version'}, not ${v.want})`); }
      }
    }
    if (!missing.length) return [{ status: 'pass', id: 'ready', text: `${bp.key} is empty (every plugin enabled) and every operator CRD exists` }];
    return [{ status: 'warn', id: 'allEnabled', cause: cause.config(bp.key),
      text: `${bp.key} is an empty list (${bp.source}), so propeller enables every plugin it ships, but ${missing.join(', ')} ${missing.length > 1 ? 'have' : 'has'} no CRD in the version propeller uses: tasks of those types fail`,
      hint: `list the plugins you use in \`${bp.key}\` (e.g. [container, sidecar, k8s-array]), or install the operators (${[...new Set(missing.map((m) => operatorOf(m.split(' ')[0]!)!.name))].join(', ')})` }];
  }
  const needing = bp.enabled.filter((p) => crdsOf(p).length);
  const doneOps = new Set<string>();
  for (const plugin of needing) {
    const op = operatorOf(plugin)!;
    const remove = `or remove \`${plugin}\` from \`${bp.key}\` (${bp.source})`;
    let allOk = true;
    for (const name of crdsOf(plugin)) {
      const crd = await orForbidden(readCrd(s, name, signal));
      if (crd instanceof KubeError) { items.push({ status: 'warn', id: 'cannotRead', text: `user "${s.identity.user}" may not read CRD ${name} (403): the ${plugin} plugin's operator cannot be checked`, hint: `\`${k} auth can-i get customresourcedefinitions\`` }); allOk = false; continue; }
      if (crd.state === 'missing') {
        items.push({ status: 'fail', id: 'crdMissing', cause: await missingCrdCause(s, name, signal),
          text: `the ${plugin} plugin is enabled (${bp.key}) but CRD ${name} does not exist: the ${op.name} is not installed, so every ${plugin} task fails ("no matches for kind")`,
          hint: `install the ${op.name}: ${op.install}; ${remove}` });
        allOk = false;
      } else if (crd.state !== 'established') {
        items.push({ status: 'fail', id: 'crdNotReady', cause: cause.object('customresourcedefinition', undefined, name),
          text: `CRD ${name} (the ${plugin} plugin) is ${crd.state === 'terminating' ? 'being deleted' : crd.state === 'names-conflict' ? 'not served: its names conflict with another CRD' : 'not Established'}${crd.condition ? ` (${crd.condition})` : ''}`,
          hint: `\`${k} get crd ${name} -o yaml\` shows its conditions; re-install the ${op.name}: ${op.install}` });
        allOk = false;
      } else {
        const v = crdVersionProblem(crd, plugin);
        if (v) {
          const group = name.slice(name.indexOf('.') + 1);
          items.push({ status: 'fail', id: 'crdVersion', cause: cause.object('customresourcedefinition', undefined, name),
            text: `CRD ${name} (the ${plugin} plugin, enabled in ${bp.key}) is Established but serves ${crd.versions.join(', ') || 'no version'}, not ${group}/${v.want}, the version flytepropeller's ${plugin} plugin creates its objects in: ${v.cause}; every ${plugin} task fails with: no matches for kind "${v.kind}" in version "${group}/${v.want}"`,
            hint: `${v.fix}; check with \`${k} get crd ${name} -o jsonpath='{.spec.versions[*].name}'\`; ${remove}` });
          allOk = false;
        }
      }
    }
    if (!allOk) continue;
    if (ctx.phase !== 'verify' || doneOps.has(op.name)) {
      if (!doneOps.has(op.name)) items.push({ status: 'pass', id: 'ready', text: `${plugin}: ${crdsOf(plugin).join(', ')} Established` });
      doneOps.add(op.name);
      continue;
    }
    doneOps.add(op.name);
    let found: Obj[] = [];
    let denied: KubeError | undefined;
    for (const sel of op.deploymentSelectors) {
      const r = await orForbidden(s.list<Obj>('/apis/apps/v1/deployments', signal, { labelSelector: sel, maxItems: 10 }));
      if (r instanceof KubeError) { denied = r; break; }
      if (r.length) { found = r; break; }
    }
    if (denied) { items.push({ status: 'warn', id: 'cannotRead', text: `user "${s.identity.user}" may not list Deployments in all namespaces (403): whether the ${op.name} runs cannot be checked`, hint: `\`${k} auth can-i list deployments -A\`` }); continue; }
    if (!found.length) {
      items.push({ status: 'warn', id: 'operatorNotFound', text: `${plugin}: CRD ${crdsOf(plugin).join(', ')} Established, but no Deployment labelled ${op.deploymentSelectors.join(' or ')} was found in any namespace: the ${op.name} may be installed another way, or its CRDs were left behind by an uninstall`,
        hint: `find the operator (\`${k} get deploy -A | grep -i ${plugin === 'pytorch' || plugin === 'tensorflow' || plugin === 'mpi' ? 'training' : plugin}\`); if none runs, install it: ${op.install}` });
      continue;
    }
    const ready = found.filter((d) => readyOf(d) > 0);
    if (!ready.length) {
      items.push({ status: 'fail', id: 'operatorNotReady', cause: cause.backend(op.name), text: `${plugin}: the ${op.name} Deployment ${found.map(nameOf).join(', ')} has no ready replica: ${plugin} jobs are created and never run`,
        hint: `\`${k} -n ${nameOf(found[0]!).split('/')[0]} describe deploy ${nameOf(found[0]!).split('/')[1]}\` and its pods' events say why` });
      continue;
    }
    items.push({ status: 'pass', id: 'ready', text: `${plugin}: ${crdsOf(plugin).join(', ')} Established, ${op.name} ${ready.map(nameOf).join(', ')} ready` });
  }
  return items;
}

async function connector(ctx: CheckContext, s: KubeSession, bp: BackendPlugins, signal: AbortSignal): Promise<Item<Id>[]> {
  const c = bp.connector;
  const uses = bp.enabled.includes('connector-service') || bp.enabled.includes('agent-service');
  if (!c || !uses) return [];
  const k = kubectl(ctx.target.kubernetes);
  const ns = ctx.target.kubernetes.namespace;
  if (!c.deployed && !c.taskTypes.length) {
    return [{ status: 'pass', id: 'connectorUnused', text: `connector-service is enabled with no connector deployed (${c.deployedKey} false) and no task type routed to it in default-for-task-types` }];
  }
  const items: Item<Id>[] = [];
  const svc = c.service;
  const routed = c.taskTypes.length ? ` (task types ${c.taskTypes.join(', ')} are routed to it)` : '';
  if (svc) {
    const got = await orForbidden(s.getOptional<Obj>(`/api/v1/namespaces/${encodeURIComponent(svc.namespace)}/services/${encodeURIComponent(svc.name)}`, signal));
    if (got instanceof KubeError) items.push({ status: 'warn', id: 'cannotRead', text: `user "${s.identity.user}" may not read Service ${svc.namespace}/${svc.name} (403)`, hint: `\`${k} auth can-i get services -n ${svc.namespace}\`` });
    else if (!got) {
      items.push({ status: 'fail', id: 'connectorMissing', cause: cause.object('service', svc.namespace, svc.name),
        text: `the connector endpoint ${c.endpoint} (${c.endpointKey}) names Service ${svc.namespace}/${svc.name}, which does not exist${routed}: connector tasks fail`,
        hint: c.deployed ? `the flyteconnector chart creates it in the release namespace: check \`${k} -n ${ns} get svc,deploy -l app.kubernetes.io/name=flyteconnector\`; or fix \`${c.endpointKey}\`` : `deploy the connector (\`${c.deployedKey}: true\`) or set \`${c.endpointKey}\` to where your connector runs` });
    }
  }
  if (c.deployed && ctx.phase === 'verify') {
    const name = svc?.name ?? 'flyteconnector';
    const dns = svc?.namespace ?? ns;
    const d = await orForbidden(s.getOptional<Obj>(`/apis/apps/v1/namespaces/${encodeURIComponent(dns)}/deployments/${encodeURIComponent(name)}`, signal));
    if (d instanceof KubeError) items.push({ status: 'warn', id: 'cannotRead', text: `user "${s.identity.user}" may not read Deployment ${dns}/${name} (403)`, hint: `\`${k} auth can-i get deployments -n ${dns}\`` });
    else if (!d) items.push({ status: 'fail', id: 'connectorMissing', cause: cause.object('deployment', dns, name), text: `${c.deployedKey} is true but Deployment ${dns}/${name} does not exist${routed}`, hint: `\`helm upgrade\` with ${c.deployedKey}: true renders it; \`${k} -n ${dns} get deploy\`` });
    else if (readyOf(d) === 0) items.push({ status: 'fail', id: 'connectorMissing', cause: cause.backend('flyteconnector'), text: `the connector Deployment ${dns}/${name} has no ready replica${routed}: connector tasks fail`, hint: `\`${k} -n ${dns} describe deploy ${name}\` and its pods' events say why` });
  }
  if (!items.length) items.push({ status: 'pass', id: 'ready', text: `connector ${c.endpoint ?? ''}${svc ? ` (Service ${svc.namespace}/${svc.name})` : ''} in place${routed}` });
  return items;
}
