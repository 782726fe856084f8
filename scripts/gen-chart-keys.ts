// Generates src/flyte/chart-keys.data.ts: the values keys flyte-binary and flyte-core (flyteorg/flyte
// `master` 89cf9cc7, chart v0.1.10) really read, for values.inputs.keys.
//
//   npx tsx scripts/gen-chart-keys.ts [<dir holding flyte-binary__values.yaml and flyte-core__values.yaml>]
//
// Sources (no template code is copied, only the key paths):
//  1. each chart's own values.yaml at 89cf9cc7 (../shared/fixtures/flyte-values/<chart>__values.yaml,
//     byte-for-byte copies): every key, walked down to the maps users fill freely (OPEN_NAMES, `{}`);
//  2. every `.Values.<path>` (also `with`/`range` scopes, `index .Values "a" "b"`) of the chart
//     templates, read on 2026-11-27 from the stored copies of flyteorg/flyte `charts/<chart>/templates/**`
//     (the versions stored there are not pinned to 89cf9cc7: the commit of each file read is named
//     below; only reads of the Flyte 1.x line are kept, reads of keys renamed before 89cf9cc7 are
//     listed in RENAMED instead);
//  3. keys documented only in comments of values.yaml (`# host:`, `# secretName:`, `# passwordPath:`);
//  4. for the values flyte-core pastes verbatim into Flyte's own config files (`db.<component>` →
//     db.yaml, `configmap.adminServer` → server.yaml), the JSON keys of the Go structs that read them:
//     flytestdlib/database (DbConfig with its deprecated flat keys, flyteadmin/pkg/runtime/interfaces
//     @54f43ebd), flyteadmin/pkg/config/config.go (ServerConfig @0fc80a34), flyteadmin/auth/config
//     (Config @080a4cf3), ApplicationConfig (@54f43ebd).
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';

type Chart = 'flyte-binary' | 'flyte-core';

/** Maps users fill with their own keys (Kubernetes objects, annotations, free-form Flyte config). */
const OPEN_NAMES = new Set([
  'annotations', 'labels', 'podAnnotations', 'podLabels', 'commonAnnotations', 'commonLabels', 'httpAnnotations', 'grpcAnnotations',
  'separateGrpcIngressAnnotations', 'nodeSelector', 'resources', 'affinity', 'tolerations', 'securityContext', 'podSecurityContext',
  'env', 'podEnv', 'envFrom', 'extraArgs', 'extraPodSpec', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycleHooks',
  'secretManifest', 'inline', 'custom', 'strategy', 'staticClients', 'labelClusterMap', 'envs', 'serviceMonitor', 'autoscaling',
  'topologySpreadConstraints', 'plugin_config', 'config',
]);

// Template reads beyond values.yaml (file @ commit of the stored version read).
const TEMPLATE_READS: Record<Chart, Record<string, string[]>> = {
  'flyte-binary': {
    '_helpers.tpl @af690b6e, @0263abc0': [
      'nameOverride', 'fullnameOverride', 'serviceAccount.create', 'serviceAccount.name', 'configuration.externalConfigMap',
      'configuration.externalSecretRef', 'configuration.storage.userDataContainer', 'configuration.storage.provider',
      'configuration.logging.plugins.kubernetes.enabled', 'configuration.logging.plugins.kubernetes.templateUri',
      'configuration.logging.plugins.cloudwatch.enabled', 'configuration.logging.plugins.cloudwatch.templateUri',
      'configuration.logging.plugins.stackdriver.enabled', 'configuration.logging.plugins.stackdriver.templateUri',
      'configuration.logging.plugins.custom', 'service.ports.http', 'service.ports.grpc',
    ],
    'configmap.yaml @44f5f42b': [
      'commonLabels', 'commonAnnotations', 'configuration.labels', 'configuration.annotations', 'configuration.auth.enabled',
      'configuration.auth.internal.clientId', 'configuration.auth.internal.audience', 'configuration.logging.level', 'flyte-core-components',
      'enabled_plugins.tasks', 'configuration.co-pilot.image.repository', 'configuration.co-pilot.image.tag',
      'configuration.database.username', 'configuration.database.host', 'configuration.database.port', 'configuration.database.dbname',
      'configuration.database.options', 'configuration.database.passwordPath', 'configuration.storage.provider',
      'configuration.storage.providerConfig.s3.region', 'configuration.storage.providerConfig.s3.disableSSL',
      'configuration.storage.providerConfig.s3.v2Signing', 'configuration.storage.providerConfig.s3.endpoint',
      'configuration.storage.providerConfig.s3.authType', 'configuration.storage.providerConfig.gcs.project',
      'configuration.storage.metadataContainer', 'configuration.auth.enableAuthServer', 'configuration.auth.flyteClient',
      'configuration.auth.authorizedUris', 'configuration.auth.oidc.baseUrl', 'configuration.auth.oidc.clientId', 'configuration.inline',
    ],
    'configmap.yaml @01e979b4 (storage part)': [
      'configuration.storage.providerConfig.azure.account', 'configuration.storage.providerConfig.azure.key',
      'configuration.storage.providerConfig.azure.configDomainSuffix', 'configuration.storage.providerConfig.azure.configUploadConcurrency',
    ],
    'deployment.yaml @6254bfd6': [
      'deployment.labels', 'deployment.annotations', 'deployment.podLabels', 'deployment.podAnnotations', 'deployment.extraPodSpec',
      'deployment.podSecurityContext', 'deployment.initContainers', 'deployment.waitForDB.image.repository', 'deployment.waitForDB.image.tag',
      'deployment.waitForDB.image.pullPolicy', 'deployment.waitForDB.command', 'deployment.waitForDB.args', 'deployment.waitForDB.securityContext',
      'deployment.resources', 'deployment.image.repository', 'deployment.image.tag', 'deployment.image.pullPolicy',
      'deployment.genAdminAuthSecret.command', 'deployment.genAdminAuthSecret.args', 'deployment.genAdminAuthSecret.securityContext',
      'deployment.command', 'deployment.args', 'deployment.extraEnvVars', 'deployment.extraEnvVarsConfigMap', 'deployment.extraEnvVarsSecret',
      'deployment.startupProbe', 'deployment.livenessProbe', 'deployment.readinessProbe', 'deployment.lifecycleHooks',
      'deployment.extraVolumeMounts', 'deployment.securityContext', 'deployment.sidecars', 'deployment.extraVolumes',
      'clusterResourceTemplates.externalConfigMap', 'clusterResourceTemplates.inlineConfigMap', 'configuration.auth.clientSecretsExternalSecretRef',
      'configuration.inlineConfigMap', 'configuration.inlineSecretRef',
    ],
    'ingress/http.yaml @060830ba, ingress/grpc.yaml @06f0d40e': [
      'ingress.create', 'ingress.labels', 'ingress.commonAnnotations', 'ingress.httpAnnotations', 'ingress.grpcAnnotations',
      'ingress.httpIngressClassName', 'ingress.grpcIngressClassName', 'ingress.ingressClassName', 'ingress.httpTls', 'ingress.grpcTls',
      'ingress.tls', 'ingress.httpExtraPaths.prepend', 'ingress.httpExtraPaths.append', 'ingress.grpcExtraPaths.prepend',
      'ingress.grpcExtraPaths.append', 'ingress.separateGrpcIngress', 'ingress.host',
    ],
    'serviceaccount.yaml @28abf1c0': ['serviceAccount.labels', 'serviceAccount.annotations', 'serviceAccount.imagePullSecrets'],
    'config-secret.yaml @1289eff4, auth-client-secret.yaml @2eab0a48': [
      'configuration.database.password', 'configuration.storage.providerConfig.s3.accessKey', 'configuration.storage.providerConfig.s3.secretKey',
      'configuration.auth.internal.clientSecretHash', 'configuration.auth.internal.clientSecret', 'configuration.auth.oidc.clientSecret',
    ],
    'copilot-storage-secret.yaml @c6ec1221': ['configuration.storage.copilotCredentialsSecretRef'],
    'service/http.yaml @b9851c89': [
      'service.labels', 'service.annotations', 'service.commonAnnotations', 'service.httpAnnotations', 'service.type',
      'service.externalTrafficPolicy', 'service.loadBalancerSourceRanges', 'service.loadBalancerIP', 'service.clusterIP',
      'service.nodePorts.http', 'service.nodePorts.grpc', 'service.extraPorts',
    ],
    'clusterrole.yaml @d361c17e': ['rbac.create', 'rbac.labels', 'rbac.annotations', 'rbac.extraRules'],
  },
  'flyte-core': {
    '_helpers.tpl @a080b99c, @016e93c4': [
      'nameOverride', 'forceNamespace', 'common.databaseSecret.name', 'storage.type', 'storage.bucketName', 'storage.s3.region',
      'storage.s3.authType', 'storage.s3.accessKey', 'storage.s3.secretKey', 'storage.gcs.projectId', 'storage.custom',
      'storage.enableMultiContainer', 'storage.limits.maxDownloadMBs',
    ],
    'admin/configmap.yaml @cd1e5ab9, @0827d74c': [
      'db.admin', 'configmap.domain', 'configmap.logger', 'configmap.adminServer', 'configmap.remoteData', 'configmap.task_resource_defaults',
      'configmap.clusters', 'configmap.namespace_config', 'configmap.clusterpool_config', 'workflow_notifications.enabled',
      'workflow_notifications.config', 'external_events', 'cloud_events.enable', 'cloud_events.secretName', 'cluster_resource_manager.enabled',
      'cluster_resource_manager.config', 'workflow_scheduler.enabled', 'workflow_scheduler.type', 'workflow_scheduler.config',
    ],
    'admin/deployment.yaml @d07726c1, @01ae1ac3': [
      'flyteadmin.enabled', 'flyteadmin.replicaCount', 'flyteadmin.podAnnotations', 'flyteadmin.priorityClassName', 'flyteadmin.configPath',
      'flyteadmin.image.repository', 'flyteadmin.image.tag', 'flyteadmin.image.pullPolicy', 'flyteadmin.initialProjects', 'flyteadmin.extraArgs',
      'flyteadmin.env', 'flyteadmin.resources', 'flyteadmin.additionalVolumeMounts', 'flyteadmin.additionalVolumes', 'flyteadmin.nodeSelector',
      'flyteadmin.affinity', 'flyteadmin.tolerations', 'flyteadmin.deployRedoc', 'db.checks', 'db.admin.database.host', 'db.admin.database.port',
      'cluster_resource_manager.standalone_deploy', 'configmap.adminServer.flyteadmin.profilerPort',
      // the sync-cluster-resources init container's extra mounts (multi-cluster guide: the data planes' credentials)
      'flyteadmin.initContainerClusterSyncAdditionalVolumeMounts',
    ],
    'admin/secret.yaml @68cd55bd': ['flyteadmin.secrets'],
    'common/ingress.yaml @94327d6e': [
      'common.ingress.enabled', 'common.ingress.annotations', 'common.ingress.albSSLRedirect', 'common.ingress.webpackHMR',
      'common.ingress.separateGrpcIngress', 'common.ingress.host', 'common.ingress.tls.enabled', 'common.ingress.tls.secretName',
      'common.ingress.separateGrpcIngressAnnotations',
    ],
    'common/secret.yaml @506408bb': ['common.databaseSecret.secretManifest'],
    'common/secret-auth.yaml @0b5de891': ['flytepropeller.enabled', 'flytescheduler.enabled'],
    'datacatalog/deployment.yaml @7d6b945b, datacatalog/configmap.yaml @44786a88': [
      'datacatalog.enabled', 'datacatalog.replicaCount', 'datacatalog.podAnnotations', 'datacatalog.configPath', 'datacatalog.image.repository',
      'datacatalog.image.tag', 'datacatalog.image.pullPolicy', 'datacatalog.extraArgs', 'datacatalog.resources', 'datacatalog.nodeSelector',
      'datacatalog.affinity', 'datacatalog.tolerations', 'db.datacatalog', 'db.datacatalog.database.host', 'db.datacatalog.database.port',
      'configmap.datacatalogServer.datacatalog.profiler-port', 'configmap.logger', 'configmap.datacatalogServer',
    ],
    'propeller/deployment.yaml @0ce73769, propeller/manager.yaml @0ce73769': [
      'flytepropeller.enabled', 'flytepropeller.manager', 'flytepropeller.replicaCount', 'flytepropeller.podAnnotations',
      'flytepropeller.configPath', 'flytepropeller.extraArgs', 'flytepropeller.image.repository', 'flytepropeller.image.tag',
      'flytepropeller.image.pullPolicy', 'flytepropeller.resources', 'flytepropeller.nodeSelector', 'flytepropeller.affinity',
      'flytepropeller.tolerations', 'configmap.core.propeller.prof-port', 'configmap.core.manager.pod-template-name',
      'configmap.core.manager.pod-application', 'configmap.core.manager.pod-template-container-name',
    ],
    'propeller/configmap.yaml @7d6b945b, @090bd756': [
      'configmap.admin', 'configmap.catalog', 'configmap.catalog_cache', 'configmap.copilot', 'configmap.core', 'configmap.enabled_plugins',
      'configmap.k8s', 'configmap.qubole', 'configmap.resource_manager', 'configmap.task_logs', 'configmap.plugins_yaml_enabled',
      'configmap.plugins', 'sparkoperator.enabled', 'sparkoperator.plugin_config', 'databricks.enabled', 'databricks.plugin_config',
      'flytepropeller.cacheSizeMbs',
    ],
    'propeller/webhook.yaml @7d6b945b': ['webhook.enabled', 'webhook.service.annotations', 'webhook.serviceAccount.create', 'webhook.serviceAccount.annotations'],
    'console/deployment.yaml @2e1846d4, console/configmap.yaml @e12f2453': [
      'flyteconsole.enabled', 'flyteconsole.replicaCount', 'flyteconsole.podAnnotations', 'flyteconsole.image.repository',
      'flyteconsole.image.tag', 'flyteconsole.image.pullPolicy', 'flyteconsole.ga.enabled', 'flyteconsole.ga.tracking_id',
      'flyteconsole.resources', 'flyteconsole.nodeSelector', 'flyteconsole.affinity', 'flyteconsole.tolerations', 'configmap.console',
    ],
    'flytescheduler/deployment.yaml @a0a005e2, flytescheduler/configmap.yaml @a0a005e2': [
      'flytescheduler.podAnnotations', 'flytescheduler.configPath', 'flytescheduler.image.repository', 'flytescheduler.image.tag',
      'flytescheduler.image.pullPolicy', 'flytescheduler.resources', 'flytescheduler.nodeSelector', 'flytescheduler.affinity',
      'flytescheduler.tolerations', 'configmap.schedulerConfig.scheduler.profilerPort', 'configmap.schedulerConfig',
    ],
    'clusterresourcesync/deployment.yaml @0e82cd44, clusterresourcesync/configmap.yaml @167a9eb3': [
      'cluster_resource_manager.podAnnotations', 'cluster_resource_manager.podEnv',
      'cluster_resource_manager.config.cluster_resources.standaloneDeployment', 'cluster_resource_manager.service_account_name',
      'cluster_resource_manager.resources', 'cluster_resource_manager.nodeSelector', 'configmap.clusters.labelClusterMap',
      // flyteadmin's ClusterConfigs (clusters.yaml): the label used when an execution names none
      'configmap.clusters.defaultExecutionLabel',
    ],
  },
};

// Keys documented only in comments of values.yaml at 89cf9cc7 (and read by the templates).
const COMMENTED: Record<Chart, string[]> = {
  'flyte-binary': ['configuration.auth.internal.audience'],
  'flyte-core': ['common.ingress.host', 'common.ingress.tls.secretName', 'storage.gcs.projectId', 'db.admin.database.passwordPath', 'db.datacatalog.database.passwordPath'],
};

// Flyte's own config keys for the values flyte-core pastes verbatim into a config file.
const DB_KEYS = [
  // flyteadmin/pkg/runtime/interfaces DbConfig @54f43ebd: deprecated flat keys (what flyte-core renders), then the current ones.
  'host', 'port', 'dbname', 'username', 'password', 'passwordPath', 'options', 'debug',
  'enableForeignKeyConstraintWhenMigrating', 'maxIdleConnections', 'maxOpenConnections', 'connMaxLifeTime',
  'postgres.host', 'postgres.readReplicaHost', 'postgres.port', 'postgres.dbname', 'postgres.username', 'postgres.password',
  'postgres.passwordPath', 'postgres.options', 'postgres.debug', 'sqlite.file',
];
const FLYTE_CONFIG: Record<Chart, string[]> = {
  'flyte-binary': [],
  'flyte-core': [
    ...['admin', 'datacatalog'].flatMap((c) => DB_KEYS.map((k) => `db.${c}.database.${k}`)),
    // Sections flyteadmin registers (any may be written into server.yaml).
    ...['server', 'flyteadmin', 'auth', 'database', 'storage', 'logger', 'otel', 'domains', 'remoteData', 'task_resource_defaults',
      'cluster_resources', 'clusters', 'notifications', 'externalEvents', 'cloudEvents', 'scheduler', 'queues', 'registration',
      'namespace_mapping', 'qualityOfService', 'task_type_whitelist', 'secrets', 'admin', 'plugins', 'artifacts', 'event']
      .map((s) => `configmap.adminServer.${s}`),
    // flyteadmin/pkg/config/config.go ServerConfig @0fc80a34
    ...['httpPort', 'grpcPort', 'grpcServerReflection', 'kube-config', 'master', 'security.secure', 'security.ssl.certificateFile',
      'security.ssl.keyFile', 'security.useAuth', 'security.auditAccess', 'security.allowCors', 'security.allowedOrigins',
      'security.allowedHeaders', 'grpc.port', 'grpc.serverReflection', 'grpc.maxMessageSizeBytes', 'grpc.enable-grpc-latency-metrics',
      'thirdPartyConfig.flyteClient.clientId', 'thirdPartyConfig.flyteClient.redirectUri', 'thirdPartyConfig.flyteClient.scopes',
      'thirdPartyConfig.flyteClient.audience', 'dataProxy.upload.maxSize', 'dataProxy.upload.maxExpiresIn',
      'dataProxy.upload.defaultFileNameLength', 'dataProxy.upload.storagePrefix', 'dataProxy.download.maxExpiresIn',
      'readHeaderTimeoutSeconds', 'kubeClientConfig.qps', 'kubeClientConfig.burst', 'kubeClientConfig.timeout', 'watchService']
      .map((k) => `configmap.adminServer.server.${k}`),
    // flyteadmin/auth/config/config.go Config @080a4cf3
    ...['httpAuthorizationHeader', 'grpcAuthorizationHeader', 'disableForHttp', 'disableForGrpc', 'authorizedUris', 'httpProxyURL',
      'userAuth.redirectUrl', 'userAuth.openId.clientId', 'userAuth.openId.clientSecretName', 'userAuth.openId.clientSecretFile',
      'userAuth.openId.baseUrl', 'userAuth.openId.scopes', 'userAuth.openId.onlyStartIfOIDCIsAvailable', 'userAuth.httpProxyURL',
      'userAuth.cookieHashKeySecretName', 'userAuth.cookieBlockKeySecretName', 'userAuth.cookieSetting.sameSitePolicy',
      'userAuth.cookieSetting.domain', 'userAuth.idpQueryParameter', 'appAuth.authServerType', 'appAuth.selfAuthServer.issuer',
      'appAuth.selfAuthServer.accessTokenLifespan', 'appAuth.selfAuthServer.refreshTokenLifespan',
      'appAuth.selfAuthServer.authorizationCodeLifespan', 'appAuth.selfAuthServer.claimSymmetricEncryptionKeySecretName',
      'appAuth.selfAuthServer.tokenSigningRSAKeySecretName', 'appAuth.selfAuthServer.oldTokenSigningRSAKeySecretName',
      'appAuth.selfAuthServer.staticClients', 'appAuth.externalAuthServer.baseUrl', 'appAuth.externalAuthServer.allowedAudience',
      'appAuth.externalAuthServer.metadataUrl', 'appAuth.externalAuthServer.httpProxyURL', 'appAuth.externalAuthServer.retryAttempts',
      'appAuth.externalAuthServer.retryDelay', 'appAuth.thirdPartyConfig.flyteClient.clientId',
      'appAuth.thirdPartyConfig.flyteClient.redirectUri', 'appAuth.thirdPartyConfig.flyteClient.scopes',
      'appAuth.thirdPartyConfig.flyteClient.audience']
      .map((k) => `configmap.adminServer.auth.${k}`),
    // flyteadmin/pkg/runtime/interfaces ApplicationConfig @54f43ebd
    ...['roleNameKey', 'metricsScope', 'metricsKeys', 'profilerPort', 'metadataStoragePrefix', 'eventVersion', 'asyncEventsBufferSize',
      'maxParallelism', 'labels', 'annotations', 'interruptible', 'overwriteCache', 'assumableIamRole', 'k8sServiceAccount',
      'outputLocationPrefix', 'useOffloadedWorkflowClosure', 'envs', 'featureGates.enableArtifacts', 'consoleUrl']
      .map((k) => `configmap.adminServer.flyteadmin.${k}`),
  ],
};

/** Keys renamed before 89cf9cc7 (older files still set them): old path -> the path read now. */
const RENAMED: Record<Chart, Record<string, string>> = {
  // configmap.yaml @44f5f42b read configuration.agentService; values.yaml @89cf9cc7 has configuration.connectorService.
  'flyte-binary': { 'configuration.agentService': 'configuration.connectorService' },
  'flyte-core': {},
};

function isDict(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function walkValues(v: unknown, path: string[], keys: Set<string>, open: Set<string>): void {
  if (!isDict(v)) return;
  for (const [k, x] of Object.entries(v)) {
    const p = [...path, k];
    if (k.includes('.')) throw new Error(`a key with a dot below ${path.join('.')}: ${k} (make its parent open)`);
    const key = p.join('.');
    keys.add(key);
    // Only below the top level: top-level keys are sections, never a user's free map.
    if (isDict(x) && (Object.keys(x).length === 0 || (path.length > 0 && OPEN_NAMES.has(k)))) { open.add(key); continue; }
    walkValues(x, p, keys, open);
  }
}

function build(chart: Chart, dir: string): { keys: string[]; open: string[] } {
  const keys = new Set<string>();
  const open = new Set<string>();
  walkValues(parse(readFileSync(join(dir, `${chart}__values.yaml`), 'utf8')), [], keys, open);
  const add = (key: string): void => {
    const segs = key.split('.');
    for (let i = 1; i <= segs.length; i++) keys.add(segs.slice(0, i).join('.'));
    const last = segs[segs.length - 1]!;
    if (segs.length > 1 && OPEN_NAMES.has(last)) open.add(key);
  };
  for (const list of Object.values(TEMPLATE_READS[chart])) list.forEach(add);
  COMMENTED[chart].forEach(add);
  FLYTE_CONFIG[chart].forEach(add);
  // Nothing is known below an open map.
  const openList = [...open].sort();
  const below = (k: string): boolean => openList.some((o) => k.startsWith(`${o}.`));
  return { keys: [...keys].filter((k) => !below(k)).sort(), open: openList.filter((o) => !below(o)) };
}

const charts: Chart[] = ['flyte-binary', 'flyte-core'];

/** A string array wrapped at 130 columns, single-quoted. */
function list(items: readonly string[]): string {
  const lines: string[] = [];
  let cur = '';
  for (const it of items) {
    if (it.includes("'") || it.includes('\\')) throw new Error(`unexpected character in key ${it}`);
    const q = `'${it}',`;
    if (cur && cur.length + q.length + 1 > 124) { lines.push(cur); cur = ''; }
    cur += (cur ? ' ' : '') + q;
  }
  if (cur) lines.push(cur);
  return `[\n${lines.map((l) => `      ${l}`).join('\n')}\n    ]`;
}

/** The text of src/flyte/chart-keys.data.ts, from the values.yaml files in `dir`. */
export function renderChartKeys(dir: string): string {
  const data = Object.fromEntries(charts.map((c) => [c, { ...build(c, dir), renamed: RENAMED[c] }]));
  return `// GENERATED by scripts/gen-chart-keys.ts — do not edit by hand; change the script and rerun it.
// The values keys each chart really reads (flyteorg/flyte master 89cf9cc7, chart v0.1.10): its own
// values.yaml, every \`.Values.<path>\` of its templates (stored copies of flyteorg/flyte
// charts/<chart>/templates/**, commits named in the script, read 2026-11-27), keys documented only in
// values.yaml comments, and for the maps flyte-core pastes into Flyte's config files (db.<component>,
// configmap.adminServer) the JSON keys of the Go structs that read them. Only key paths, no template code.
// \`keys\`: every known path (dotted); \`open\`: maps users fill with their own keys (never descended);
// \`renamed\`: keys renamed before 89cf9cc7 -> the key read now.

export interface ChartKeyData {
  readonly keys: readonly string[];
  readonly open: readonly string[];
  readonly renamed: Readonly<Record<string, string>>;
}

export const CHART_KEY_DATA: Readonly<Record<'flyte-binary' | 'flyte-core', ChartKeyData>> = {
${charts.map((c) => `  '${c}': {\n    keys: ${list(data[c]!.keys)},\n    open: ${list(data[c]!.open)},\n    renamed: ${JSON.stringify(data[c]!.renamed).replace(/"/g, "'")},\n  },`).join('\n')}
};
`;
}

export const DATA_FILE = join(import.meta.dirname, '..', 'src', 'flyte', 'chart-keys.data.ts');
export const DEFAULT_VALUES_DIR = join(import.meta.dirname, '..', '..', 'shared', 'fixtures', 'flyte-values');

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  writeFileSync(DATA_FILE, renderChartKeys(resolve(process.argv[2] ?? DEFAULT_VALUES_DIR)));
  console.log(`wrote ${DATA_FILE}`);
}
