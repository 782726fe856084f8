// Checks of area 'flyte', sorted by id. Kept equal to the files in this folder by test/checks.conformance.test.ts.
// flyte.admin.* are the network engineer's flyteadmin API checks; the rest are the Kubernetes component checks.
import type { Check } from '../../src/engine/types.js';
import adminGrpc from './admin.grpc.js';
import adminHttp from './admin.http.js';
import configLive from './config.live.js';
import crdEstablished from './crd.established.js';
import dataplaneApi from './dataplane.api.js';
import dataplaneComponents from './dataplane.components.js';
import dataplaneConfig from './dataplane.config.js';
import dataplaneStorage from './dataplane.storage.js';
import deploymentsReady from './deployments.ready.js';
import metricsEndpoints from './metrics.endpoints.js';
import metricsServicemonitor from './metrics.servicemonitor.js';
import pluginsCrds from './plugins.crds.js';
import projectsNamespaces from './projects.namespaces.js';
import projectsQuota from './projects.quota.js';
import rbacRuntime from './rbac.runtime.js';
import servicesEndpoints from './services.endpoints.js';
import tasklogsConfig from './tasklogs.config.js';
import tasklogsKubernetes from './tasklogs.kubernetes.js';
import webhookConfigured from './webhook.configured.js';

export const checks: readonly Check[] = [
  adminGrpc,
  adminHttp,
  configLive,
  crdEstablished,
  dataplaneApi,
  dataplaneComponents,
  dataplaneConfig,
  dataplaneStorage,
  deploymentsReady,
  metricsEndpoints,
  metricsServicemonitor,
  pluginsCrds,
  projectsNamespaces,
  projectsQuota,
  rbacRuntime,
  servicesEndpoints,
  tasklogsConfig,
  tasklogsKubernetes,
  webhookConfigured,
];
