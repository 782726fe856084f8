// Backend plugins and connectors the values enable (spark, ray, dask, kubeflow operators, connectors,
// CoPilot). Stub: filled in by the issue-14 plugins work.
import type { Reader } from '../config/charts.js';
import type { Chart } from '../config/target.js';

export interface BackendPlugins {
  /** Placeholder until the mapping is written. */
  readonly _stub?: never;
}

/** The plugins the values enable; undefined when they say nothing. */
export function backendPluginsFromValues(_chart: Chart, _r: Reader, _namespace: string): BackendPlugins | undefined {
  return undefined;
}
