// flyte.dataplane.config: flyteadmin's cluster configuration, one result per data plane (every
// name clusterConfigs, labelClusterMap or --data-plane gives), judged from the values alone.
import type { Target } from '../../src/config/target.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Json } from '../../src/engine/types.js';
import type { CheckContext, Instance } from '../../src/engine/types.js';
import { KubeError, kubeSession, probeSignal } from '../../src/clients/kube.js';
import { endpointUrl, inClusterService, readLiveClusters, type DataPlane, type DataPlanes } from '../../src/flyte/dataplanes.js';

/** Details as JSON (drops the optional-undefined union members object literals infer). */
const J = (d: Record<string, unknown>): Record<string, Json> => JSON.parse(JSON.stringify(d)) as Record<string, Json>;

export const DOCS_MULTICLUSTER = 'https://docs.flyte.org/en/latest/deployment/deployment/multicluster.html';

/** Every data plane the values or the flags name, one instance each. */
export function configInstances(t: Target): Instance[] {
  return (t.dataPlanes?.planes ?? []).map((p) => ({ key: p.name, label: p.local ? 'this cluster (data-plane install)' : p.implicit ? "flyteadmin's own cluster (no clusterConfigs)" : `data plane ${p.name}` }));
}

const entryKey = (p: DataPlane) => `configmap.clusters.clusterConfigs[${p.index ?? '?'}]`;

type Problem = { id: 'entryInvalid' | 'duplicate' | 'unknownLabelTarget' | 'endpointMissing' | 'endpointInvalid' | 'authPathsMissing' | 'notMounted' | 'weightInvalid' | 'noEnabledCluster' | 'inClusterWithoutPropeller' | 'flagOnly' | 'enabledUnset' | 'labelsToDisabled' | 'syncInitMissing'; text: string; hint: string; cause?: string };
const ORDER: Problem['id'][] = ['entryInvalid', 'duplicate', 'unknownLabelTarget', 'endpointMissing', 'endpointInvalid', 'authPathsMissing', 'notMounted', 'weightInvalid', 'noEnabledCluster', 'inClusterWithoutPropeller', 'flagOnly', 'enabledUnset', 'labelsToDisabled', 'syncInitMissing'];

function problemsOf(dp: DataPlanes, p: DataPlane, ns: string): Problem[] {
  const out: Problem[] = [];
  const k = entryKey(p);
  const configured = dp.planes.filter((x) => x.index !== undefined);
  const names = configured.map((x) => x.name);
  if (p.problems.length) out.push({ id: 'entryInvalid', text: p.problems.join('; '), hint: `fix ${k}: each entry is {name, endpoint, enabled, auth: {type: file_path, tokenPath, certPath}}`, cause: cause.config(k) });
  if (p.entries > 1) out.push({ id: 'duplicate', text: `${p.entries} entries of configmap.clusters.clusterConfigs are named "${p.name}": flyteadmin refuses to start ("duplicate clusters for name ${p.name}")`, hint: `give each entry of configmap.clusters.clusterConfigs its own name (remove or rename the copies of "${p.name}")`, cause: cause.config(k) });
  if (p.index === undefined && p.labels.length) {
    out.push({ id: 'unknownLabelTarget', cause: cause.config(`configmap.clusters.labelClusterMap.${p.labels[0]!.label}`),
      text: `configmap.clusters.labelClusterMap ${p.labels.map((l) => `"${l.label}"`).join(', ')} route${p.labels.length === 1 ? 's' : ''} to "${p.name}", which configmap.clusters.clusterConfigs does not define (it defines ${names.length ? names.map((n) => `"${n}"`).join(', ') : 'nothing'}): flyteadmin skips it, and executions of such a label go to any enabled cluster instead`,
      hint: `spell the id as a clusterConfigs name (configmap.clusters.labelClusterMap.${p.labels[0]!.label}[].id: one of ${names.join(', ') || '(none defined)'}), or add a clusterConfigs entry named "${p.name}"` });
  }
  // defaultExecutionLabel must be a key of labelClusterMap (a cluster name there is the usual slip):
  // flyteadmin finds no clusters for another value and sends unlabelled executions to any enabled
  // cluster. Said once: on the cluster it names, else on the first entry.
  const dl = dp.defaultExecutionLabel;
  if (dl && p.index !== undefined && !dp.labels.includes(dl) && (configured.find((x) => x.name === dl) ?? configured[0]) === p) {
    const isName = names.includes(dl);
    out.push({ id: 'unknownLabelTarget', cause: cause.config('configmap.clusters.defaultExecutionLabel'),
      text: `configmap.clusters.defaultExecutionLabel "${dl}" is ${isName ? 'the name of a clusterConfigs entry, not' : 'not'} a label of configmap.clusters.labelClusterMap (${dp.labels.length ? `its labels: ${dp.labels.map((l) => `"${l}"`).join(', ')}` : 'it defines no labels'}): flyteadmin finds no clusters for it, so executions without a label of their own go to any enabled cluster instead of the default`,
      hint: dp.labels.length
        ? `set configmap.clusters.defaultExecutionLabel to one of ${dp.labels.join(', ')}${isName ? `, or add the label: configmap.clusters.labelClusterMap.${dl}: [{id: ${dl}, weight: 1}]` : ''}`
        : `add the label to configmap.clusters.labelClusterMap: {${dl}: [{id: ${isName ? dl : (names[0] ?? '<cluster name>')}, weight: 1}]}, or remove configmap.clusters.defaultExecutionLabel` });
  }
  if (p.index === undefined && !p.labels.length && p.context && dp.role === 'flags-only') {
    out.push({ id: 'flagOnly', text: `--data-plane names "${p.name}" (context ${p.context}), but these values are not a flyte-core control plane: flyte-binary (or no values) runs executions in its own cluster only, so no data plane is configured to check against`,
      hint: `pass the control plane's flyte-core values (-f) with configmap.clusters.clusterConfigs, or drop --data-plane ${p.name}=${p.context}` });
  } else if (p.index === undefined && !p.labels.length && p.context) {
    out.push({ id: 'flagOnly', text: `--data-plane names "${p.name}" (context ${p.context}), which configmap.clusters.clusterConfigs does not define${names.length ? ` (it defines ${names.map((n) => `"${n}"`).join(', ')})` : ''}: flyteadmin never sends executions there`,
      hint: names.length ? `use a configured name: --data-plane ${names[0]}=${p.context}; or add an entry named "${p.name}" to configmap.clusters.clusterConfigs` : `add an entry named "${p.name}" to configmap.clusters.clusterConfigs (name, endpoint, enabled: true, auth.tokenPath / certPath); see ${DOCS_MULTICLUSTER}` });
  }
  if (p.index !== undefined && !p.inCluster) {
    if (!p.endpoint) out.push({ id: 'endpointMissing', text: `${k} (${p.name}) has no endpoint: flyteadmin has no API server to create executions on`, hint: `set ${k}.endpoint to the data plane's API server URL (\`kubectl --context <data plane> cluster-info\` prints it), e.g. https://<api-server>:443`, cause: cause.config(`${k}.endpoint`) });
    else {
      const u = endpointUrl(p.endpoint);
      const placeholder = /[<>{}]|\b(your|testcluster\d*_endpoint|changeme)\b/i.test(p.endpoint);
      const why = !u ? 'is not a URL' : placeholder ? 'is a placeholder' : u.protocol === 'http:' ? 'uses http://: the bearer token would travel in clear and flyteadmin\'s client expects TLS with the CA of certPath' : u.protocol !== 'https:' ? `has scheme ${u.protocol} (expected https://)` : !u.hostname ? 'has no host' : apiPathOf(u);
      const base = u && why && why.startsWith('has the path ') ? apiBase(u) : undefined;
      if (why) out.push({ id: 'endpointInvalid', text: `${k}.endpoint "${p.endpoint}" ${why}`, hint: base ? `set ${k}.endpoint: ${base} (the API server's base URL, without /api; \`kubectl --context <data plane> cluster-info\` prints it)` : `set ${k}.endpoint to the data plane's API server URL, https://<host>[:port] (\`kubectl --context <data plane> cluster-info\` prints it)`, cause: cause.config(`${k}.endpoint`) });
    }
    const missing = [!p.token ? 'auth.tokenPath' : '', !p.ca ? 'auth.certPath' : ''].filter(Boolean);
    if (missing.length) out.push({ id: 'authPathsMissing', text: `${k} (${p.name}) has no ${missing.join(' and ')}: flyteadmin reads every cluster's token and CA file at start-up and panics without them ("failed to read k8s ${missing[0] === 'auth.tokenPath' ? 'bearer token' : 'CA cert'} from configured path")`, hint: `set ${missing.map((m) => `${k}.${m}`).join(' and ')} to files of the mounted credentials Secret, e.g. /var/run/credentials/${p.name}_token and /var/run/credentials/${p.name}_cacert`, cause: cause.config(`${k}.auth`) });
    for (const [what, f] of [['token', p.token], ['CA', p.ca]] as const) {
      if (f?.problem) out.push({ id: 'notMounted', text: `the ${what} file ${f.path} is not mounted into flyteadmin: ${f.problem}`, cause: cause.config(`${k}.auth`),
        hint: `mount the credentials Secret where ${k}.auth points: flyteadmin.additionalVolumes: [{name: cluster-credentials, secret: {secretName: cluster-credentials}}] and flyteadmin.additionalVolumeMounts: [{name: cluster-credentials, mountPath: ${posixDir(f.path)}}] (the Secret's keys are the file names)` });
    }
  }
  for (const l of p.labels) {
    if (l.weightRaw !== undefined || (l.weight !== undefined && (l.weight < 0 || l.weight > 1))) {
      out.push({ id: 'weightInvalid', text: `configmap.clusters.labelClusterMap.${l.label}: weight ${JSON.stringify(l.weightRaw ?? l.weight)} for "${p.name}" is not a number between 0 and 1: flyteadmin refuses to start ("invalid weight")`, hint: `set configmap.clusters.labelClusterMap.${l.label}[].weight to a number between 0 and 1 (the weights of one label add up to 1)`, cause: cause.config(`configmap.clusters.labelClusterMap.${l.label}`) });
    }
  }
  const anyEnabled = configured.some((x) => x.enabled);
  if (p.index !== undefined && !p.enabled) {
    if (!anyEnabled) out.push({ id: 'noEnabledCluster', text: `no entry of configmap.clusters.clusterConfigs is enabled (${p.name}: ${p.enabledSet ? 'enabled: false' : 'enabled is not set, and it defaults to false'}): flyteadmin has no cluster to run executions on and refuses to start ("entries is empty")`, hint: `set ${k}.enabled: true (and for each data plane that should run executions)`, cause: cause.config('configmap.clusters.clusterConfigs') });
    else if (!p.enabledSet) out.push({ id: 'enabledUnset', text: `${k} (${p.name}) does not set enabled, which defaults to false: flyteadmin sends no executions there${p.labels.length ? ` (labels ${p.labels.map((l) => l.label).join(', ')} fall back to the other enabled clusters)` : ''}`, hint: `set ${k}.enabled: true, or enabled: false to say it is off on purpose` });
    else if (p.labels.length) out.push({ id: 'labelsToDisabled', text: `${k} (${p.name}) is disabled (enabled: false) but labelClusterMap ${p.labels.map((l) => `"${l.label}"`).join(', ')} route to it: those executions go to the other enabled clusters`, hint: `set ${k}.enabled: true, or remove "${p.name}" from configmap.clusters.labelClusterMap` });
  }
  if (p.inCluster && !dp.propellerHere) {
    out.push({ id: 'inClusterWithoutPropeller', cause: cause.config('flytepropeller.enabled'),
      text: p.implicit ? 'configmap.clusters.clusterConfigs is empty, so flyteadmin creates every execution in its own cluster, but these values disable flytepropeller here (flytepropeller.enabled: false): executions stay Queued'
        : `${k} (${p.name}) is flyteadmin's own cluster (inCluster: true), but flytepropeller is disabled here: executions sent to it stay Queued`,
      hint: p.implicit ? `add the data planes to configmap.clusters.clusterConfigs (name, endpoint, enabled: true, auth.tokenPath / certPath; ${DOCS_MULTICLUSTER}), or set flytepropeller.enabled: true to run executions in this cluster`
        : `set flytepropeller.enabled: true in the control plane's values, or remove the inCluster entry "${p.name}"` });
  }
  if (dp.syncInit && p.index !== undefined && !p.inCluster) {
    const miss = [p.token, p.ca].filter((f) => f && !f.problem && f.syncInitMissing).map((f) => f!.path);
    if (miss.length) out.push({ id: 'syncInitMissing', text: `flyteadmin.initContainerClusterSyncAdditionalVolumeMounts does not mount the credentials where the cluster configuration reads them (${miss.join(' and ')}): the sync-cluster-resources init container, which reads the same configuration, cannot find ${p.name}'s token and CA (flyteadmin then stays in Init)`,
      hint: `mount the credentials Secret into the init container at the same path: flyteadmin.initContainerClusterSyncAdditionalVolumeMounts: [{name: ${p.token?.volume ?? 'cluster-credentials'}, mountPath: ${posixDir(miss[0]!)}}]` });
  }
  void ns;
  return out.sort((a, b) => ORDER.indexOf(a.id) - ORDER.indexOf(b.id));
}

/**
 * An endpoint whose path is a Kubernetes API path (`https://host:6443/api`, `/apis/...`, `/version`,
 * `/readyz`): client-go treats the path as a prefix and appends `/api/v1/...` to it, so every call
 * flyteadmin makes answers 404. Other paths are proxies (Rancher `/k8s/clusters/c-xxx`) and are fine.
 */
function apiPathOf(u: URL): string | undefined {
  const path = u.pathname.replace(/\/+$/, '');
  const m = /(^|\/)(api|apis|version|healthz|livez|readyz|openapi|metrics)(\/|$)/i.exec(path);
  if (!m) return undefined;
  return `has the path ${path}, a Kubernetes API path: flyteadmin's client appends /api/v1/... and /apis/... to the endpoint's path, so every request gets 404 and executions routed here fail ("failed to create workflow in propeller"); the endpoint is the API server's base URL ${apiBase(u)}`;
}
/** The endpoint without its Kubernetes API path (what `kubectl cluster-info` prints). */
function apiBase(u: URL): string {
  const path = u.pathname.replace(/\/+$/, '');
  const m = /(^|\/)(api|apis|version|healthz|livez|readyz|openapi|metrics)(\/|$)/i.exec(path);
  return `${u.origin}${m ? path.slice(0, m.index) : path}`;
}

const posixDir = (p: string) => p.replace(/\/[^/]*$/, '') || '/';

export default defineCheck({
  id: 'flyte.dataplane.config',
  title: 'Each data plane of flyteadmin\'s cluster configuration is complete and consistent',
  phases: ['preflight', 'verify'],
  needs: ['dataplanes'],
  instances: configInstances,
  messages: {
    configured: { status: 'pass', summary: 'The data plane is defined, enabled, with an https endpoint, and its token and CA files come from a mounted Secret.' },
    disabledOnPurpose: { status: 'pass', summary: 'The data plane is defined with enabled: false and no label routes to it.' },
    inCluster: { status: 'pass', summary: 'The entry is flyteadmin\'s own cluster (inCluster: true) and flytepropeller runs there.' },
    dataPlaneInstall: { status: 'pass', summary: 'A data-plane-only install that creates the flyteadmin ServiceAccount the control plane connects with.' },
    adminServiceAccountMissing: { status: 'fail', summary: 'A data-plane-only install that does not create the flyteadmin ServiceAccount: the control plane has no identity here.' },
    adminEndpointLocal: { status: 'fail', summary: 'A data-plane-only install whose flytepropeller reports to flyteadmin in its own cluster (configmap.admin.admin.endpoint: flyteadmin:81), where none runs.' },
    catalogEndpointLocal: { status: 'warn', summary: 'A data-plane-only install whose cache points at datacatalog in its own cluster, where none runs.' },
    entryInvalid: { status: 'fail', summary: 'A clusterConfigs entry is not a map, has no name, or has fields of the wrong type.' },
    duplicate: { status: 'fail', summary: 'Two clusterConfigs entries share a name: flyteadmin refuses to start.' },
    unknownLabelTarget: { status: 'fail', summary: 'labelClusterMap routes a label to a cluster clusterConfigs does not define.' },
    endpointMissing: { status: 'fail', summary: 'A data plane has no endpoint.' },
    endpointInvalid: { status: 'fail', summary: 'A data plane\'s endpoint is not an https URL (a placeholder, http://, not a URL).' },
    authPathsMissing: { status: 'fail', summary: 'A data plane has no auth.tokenPath or auth.certPath: flyteadmin panics at start-up.' },
    notMounted: { status: 'fail', summary: 'The token or CA file is not mounted into flyteadmin from a Secret (no mount covers the path, an undefined volume, items without the key).' },
    weightInvalid: { status: 'fail', summary: 'A labelClusterMap weight is not a number between 0 and 1: flyteadmin refuses to start.' },
    noEnabledCluster: { status: 'fail', summary: 'No clusterConfigs entry is enabled (enabled defaults to false): flyteadmin refuses to start.' },
    inClusterWithoutPropeller: { status: 'fail', summary: 'Executions go to flyteadmin\'s own cluster (no clusterConfigs, or inCluster: true) where flytepropeller is disabled.' },
    flagOnly: { status: 'warn', summary: '--data-plane names a cluster the configuration does not define.' },
    enabledUnset: { status: 'warn', summary: 'A data plane does not set enabled, which defaults to false: it gets no executions.' },
    labelsToDisabled: { status: 'warn', summary: 'Labels route to a disabled data plane: their executions go elsewhere.' },
    syncInitMissing: { status: 'warn', summary: 'The sync-cluster-resources init container does not mount the credentials at the configured paths.' },
    liveDiffers: { status: 'warn', summary: 'verify: the cluster configuration flyteadmin runs with (its ConfigMap) differs from the values for this data plane: the release was not upgraded with them.' },
  },
  explain: {
    what: 'For every cluster named by `configmap.clusters.clusterConfigs`, `configmap.clusters.labelClusterMap` or `--data-plane NAME=CONTEXT`: the entry exists once, is enabled, has an https endpoint and token/CA paths, and those files are mounted into flyteadmin from a Secret (`flyteadmin.additionalVolumes` / `additionalVolumeMounts`, also into the sync-cluster-resources init container); labels name defined clusters with weights in 0..1. A control plane with no clusterConfigs and flytepropeller disabled is reported; a data-plane-only install must create the flyteadmin ServiceAccount and point flytepropeller at the control plane\'s flyteadmin (`configmap.admin.admin.endpoint`, not the in-cluster `flyteadmin:81`) and cache. In verify, each entry is also compared with the clusters.yaml flyteadmin runs with (ConfigMap `flyte-admin-clusters-config`).',
    why: 'flyteadmin builds a client for every entry at start-up: a duplicate name, a missing token or CA file, a bad weight or no enabled cluster stop it from starting; an unknown label target or a disabled cluster silently sends executions elsewhere.',
    fix: `Follow the multi-cluster guide (${DOCS_MULTICLUSTER}): a \`cluster-credentials\` Secret with \`<name>_token\` and \`<name>_cacert\`, mounted at /var/run/credentials, and one clusterConfigs entry per data plane with \`enabled: true\`.`,
  },
  async run(ctx) {
    const dp = ctx.target.dataPlanes;
    const p = dp?.planes.find((x) => x.name === ctx.instance?.key);
    if (!dp || !p) throw new Error(`no data plane ${ctx.instance?.key ?? ''} in the target`);
    const ns = ctx.target.kubernetes.namespace;
    if (p.local) {
      const sa = dp.adminServiceAccount ?? { created: false, source: 'chart default (flyteadmin.serviceAccount.alwaysCreate: false)' };
      const adminEp = dp.propellerAdmin?.endpoint ?? 'flyteadmin:81';
      const catEp = dp.propellerCatalog?.endpoint ?? 'datacatalog:89';
      const adminLocal = inClusterService(adminEp, ['flyteadmin']);
      const catLocal = dp.propellerCatalog?.type !== 'noop' ? inClusterService(catEp, ['datacatalog']) : undefined;
      const details = J({ role: dp.role, serviceAccount: sa.source, adminEndpoint: adminEp, adminEndpointSource: dp.propellerAdmin?.source, catalogEndpoint: catEp });
      const found: { id: 'adminServiceAccountMissing' | 'adminEndpointLocal' | 'catalogEndpointLocal'; text: string; hint: string; cause?: string }[] = [];
      if (!sa.created) found.push({ id: 'adminServiceAccountMissing', cause: cause.config('flyteadmin.serviceAccount.alwaysCreate'),
        text: `it does not create the flyteadmin ServiceAccount (${sa.source}): the control plane's flyteadmin has no identity (and no token Secret) in this cluster`,
        hint: `set flyteadmin.serviceAccount.alwaysCreate: true in the data plane's values, then create its token Secret (type kubernetes.io/service-account-token, annotation kubernetes.io/service-account.name: flyteadmin) in ${ns}` });
      if (adminLocal) found.push({ id: 'adminEndpointLocal', cause: cause.config('configmap.admin.admin.endpoint'),
        text: `flytepropeller here sends execution events to configmap.admin.admin.endpoint "${adminEp}" (${dp.propellerAdmin?.source ?? 'chart default'}), the flyteadmin Service of this cluster, which a data-plane install does not deploy: executions never report their progress to the control plane`,
        hint: 'set configmap.admin.admin.endpoint to the control plane\'s flyteadmin address as seen from this cluster (its ingress, e.g. flyte.example.com:443) and configmap.admin.admin.insecure: false (with auth: configmap.admin.admin.clientId / clientSecretLocation)' });
      if (catLocal) found.push({ id: 'catalogEndpointLocal', cause: cause.config('configmap.catalog.catalog-cache.endpoint'),
        text: `the cache (configmap.catalog.catalog-cache.endpoint "${catEp}") is the datacatalog Service of this cluster, which a data-plane install does not deploy: cached tasks fail their cache lookups`,
        hint: 'set configmap.catalog.catalog-cache.endpoint to the control plane\'s datacatalog as reachable from this cluster (an internal load balancer; datacatalog has no auth), or configmap.catalog.catalog-cache.type: noop to run without the cache' });
      const first = found[0];
      if (first) {
        return { status: first.id === 'catalogEndpointLocal' ? 'warn' : 'fail', messageId: first.id, ...(first.cause ? { cause: first.cause } : {}), hint: first.hint, details,
          message: `this is a data-plane install (flyteadmin disabled, flytepropeller enabled): ${found.map((f) => f.text).join('; ')}` };
      }
      return { status: 'pass', messageId: 'dataPlaneInstall', message: `this is a data-plane install (flyteadmin disabled, flytepropeller enabled); it creates the flyteadmin ServiceAccount (${sa.source}) whose token the control plane uses, and flytepropeller reports to ${adminEp}; check the control plane with its own values`, details };
    }
    const probs = problemsOf(dp, p, ns);
    const details = J({
      name: p.name, ...(p.source ? { source: p.source } : {}), ...(p.endpoint ? { endpoint: p.endpoint } : {}), enabled: p.enabled, enabledSet: p.enabledSet,
      ...(p.inCluster ? { inCluster: true } : {}), ...(p.context ? { context: p.context } : {}),
      ...(p.token ? { tokenPath: p.token.path, ...(p.token.secret ? { tokenSecret: `${p.token.secret}/${p.token.key ?? '?'}` } : {}) } : {}),
      ...(p.ca ? { certPath: p.ca.path, ...(p.ca.secret ? { caSecret: `${p.ca.secret}/${p.ca.key ?? '?'}` } : {}) } : {}),
      labels: p.labels.map((l) => `${l.label}${l.weight !== undefined ? `:${l.weight}` : ''}`), volumesKnown: dp.volumesKnown,
      findings: probs.map((x) => x.id),
    });
    const first = probs[0];
    if (first) {
      const rest = probs.slice(1).map((x) => x.text);
      const st = (['flagOnly', 'enabledUnset', 'labelsToDisabled', 'syncInitMissing'] as const).includes(first.id as never) ? 'warn' : 'fail';
      return { status: st, messageId: first.id, message: `${p.name}: ${first.text}${rest.length ? `; also: ${rest.join('; ')}` : ''}`, hint: first.hint, details, ...(first.cause ? { cause: first.cause } : {}) };
    }
    if (ctx.phase === 'verify' && p.index !== undefined && !p.implicit) {
      const live = await liveEntry(ctx, ns);
      if (live) {
        const e = live.clusters.find((c) => c.name === p.name);
        const diffs = !e ? [`it has no entry "${p.name}" (it has ${live.clusters.map((c) => c.name).join(', ') || 'none'})`]
          : [e.endpoint !== p.endpoint && !p.inCluster ? `endpoint ${e.endpoint ?? '(none)'} instead of ${p.endpoint ?? '(none)'}` : '', e.enabled !== p.enabled ? `enabled: ${e.enabled}` : '',
            e.tokenPath !== p.token?.path && !p.inCluster ? `tokenPath ${e.tokenPath ?? '(none)'}` : '', e.certPath !== p.ca?.path && !p.inCluster ? `certPath ${e.certPath ?? '(none)'}` : ''].filter(Boolean);
        if (diffs.length) {
          return { status: 'warn', messageId: 'liveDiffers', details: J({ ...details, configMap: `${ns}/${live.configMap}`, differences: diffs }),
            message: `${p.name}: flyteadmin runs with ConfigMap ${ns}/${live.configMap}, where ${diffs.join(', ')}: the release runs other values than these`,
            hint: `apply these values: \`helm upgrade <release> flyteorg/flyte-core -n ${ns}${(ctx.target.valuesFiles ?? []).map((f) => ` -f ${f}`).join('')}\` (flyteadmin reads the cluster configuration at start-up: the upgrade restarts it); \`helm get values <release> -n ${ns}\` shows what it runs with` };
        }
      }
    }
    if (p.inCluster) return { status: 'pass', messageId: 'inCluster', message: `${p.name}: flyteadmin's own cluster (inCluster: true, flyteadmin's ServiceAccount); flytepropeller runs here`, details };
    if (p.enabledSet && !p.enabled) return { status: 'pass', messageId: 'disabledOnPurpose', message: `${p.name}: defined with enabled: false; no label routes to it`, details };
    const cred = p.token?.secret ? `token ${p.token.path} and CA ${p.ca?.path} from Secret ${ns}/${p.token.secret} (keys ${p.token.key}, ${p.ca?.key})` : `token ${p.token?.path} and CA ${p.ca?.path}${dp.volumesKnown ? ` (${p.token?.otherVolume ?? 'not a Secret volume'})` : ' (the values do not say which Secret holds them)'}`;
    return { status: 'pass', messageId: 'configured', message: `${p.name}: enabled, endpoint ${p.endpoint}, ${cred}${p.labels.length ? `; labels ${p.labels.map((l) => l.label).join(', ')}` : ''}`, details };
  },
});

/** The clusters flyteadmin runs with (verify), read once per run; undefined when not readable from here (that is other checks' finding). */
function liveEntry(ctx: CheckContext, ns: string): Promise<Awaited<ReturnType<typeof readLiveClusters>>> {
  return ctx.shared('dataplane:live-clusters', async () => {
    try {
      const s = await kubeSession(ctx);
      return await readLiveClusters(s, ns, probeSignal(ctx.signal, Math.max(300, Math.min(4000, ctx.remainingMs() - 300))));
    } catch (e) {
      if (e instanceof KubeError) return undefined;
      throw e;
    }
  });
}
