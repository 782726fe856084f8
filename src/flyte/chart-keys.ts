// The values keys each chart really reads, for values.inputs.keys (unknown keys under the sections
// flyte-doctor reads, with the nearest known key). Being built: see the helper's report.
import type { Chart } from '../config/target.js';
import type { MergedValues } from '../config/values.js';

export interface UnknownKey {
  /** The key as written, e.g. `configmap.configmap.console`. */
  key: string;
  /** The file (or `--set`) that sets it. */
  origin: string;
  /** The nearest key the chart reads, e.g. `configmap.console`. */
  suggestion?: string;
  /** The section it is under, e.g. `configmap`. */
  section: string;
}

/** Unknown keys of the user's layers (not chart defaults) under the sections flyte-doctor reads. */
export function unknownKeys(_chart: Chart, _mv: MergedValues): UnknownKey[] {
  return [];
}
