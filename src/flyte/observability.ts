// Prometheus metrics (serviceMonitor) and task-log links (task_logs plugins) the values configure.
// Stub: filled in by the issue-14 observability work.
import type { Reader } from '../config/charts.js';
import type { Chart } from '../config/target.js';

export interface Observability {
  /** Placeholder until the mapping is written. */
  readonly _stub?: never;
}

/** What the values say about metrics and task logs; undefined when they say nothing. */
export function observabilityFromValues(_chart: Chart, _r: Reader, _namespace: string): Observability | undefined {
  return undefined;
}
