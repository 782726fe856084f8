// Objects the values (or rendered manifests) reference and the install silently relies on: Secrets
// (and the key read from each), the IngressClass, cert-manager Issuers, StorageClasses of bundled
// dependencies, and the API kinds a render uses. Being built: see the helper's report.
import type { Reader } from '../config/charts.js';
import type { ManifestSet } from '../config/manifests.js';
import type { Chart, ObjectReference } from '../config/target.js';

/** What the values of `chart` reference (names and keys only, never secret values). */
export function referencesFromValues(_chart: Chart, _r: Reader, _namespace: string): ObjectReference[] {
  return [];
}

/** What rendered manifests reference (volumes, imagePullSecrets, Ingress TLS and class, envFrom, API kinds). */
export function referencesFromManifests(_set: ManifestSet, _namespace: string): ObjectReference[] {
  return [];
}
