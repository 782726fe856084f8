// Checks of area 'kubernetes', sorted by id. Kept equal to the files in this folder by test/checks.conformance.test.ts.
import type { Check } from '../../src/engine/types.js';
import apiReachable from './api.reachable.js';
import capacityResources from './capacity.resources.js';
import configLoad from './config.load.js';
import inclusterPod from './incluster.pod.js';
import inclusterRbac from './incluster.rbac.js';
import namespaceExists from './namespace.exists.js';
import objectsApis from './objects.apis.js';
import objectsCertmanager from './objects.certmanager.js';
import objectsIngressclass from './objects.ingressclass.js';
import objectsSecrets from './objects.secrets.js';
import objectsStorageclass from './objects.storageclass.js';
import rbacInstall from './rbac.install.js';
import versionSupported from './version.supported.js';

export const checks: readonly Check[] = [
  apiReachable,
  capacityResources,
  configLoad,
  inclusterPod,
  inclusterRbac,
  namespaceExists,
  objectsApis,
  objectsCertmanager,
  objectsIngressclass,
  objectsSecrets,
  objectsStorageclass,
  rbacInstall,
  versionSupported,
];
