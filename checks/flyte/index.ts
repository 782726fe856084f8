// Checks of area 'flyte', sorted by id. Kept equal to the files in this folder by test/checks.conformance.test.ts.
// Kubernetes component checks (CRD, Deployments, Services, webhook, project namespaces) are here; the
// flyteadmin version/API checks of the network engineer are added by the lead in id order.
import type { Check } from '../../src/engine/types.js';
import crdEstablished from './crd.established.js';
import deploymentsReady from './deployments.ready.js';
import projectsNamespaces from './projects.namespaces.js';
import servicesEndpoints from './services.endpoints.js';
import webhookConfigured from './webhook.configured.js';

export const checks: readonly Check[] = [
  crdEstablished,
  deploymentsReady,
  projectsNamespaces,
  servicesEndpoints,
  webhookConfigured,
];
