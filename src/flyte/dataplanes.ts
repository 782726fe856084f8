// Multi-cluster flyte-core: the data planes flyteadmin's cluster configuration names, and the
// `--data-plane NAME=CONTEXT` flags. Stub: filled in by the issue-14 multi-cluster work.
import type { Reader } from '../config/charts.js';
import type { Chart } from '../config/target.js';

export interface DataPlanes {
  /** Placeholder until the mapping is written. */
  readonly _stub?: never;
}

/**
 * The data planes of the values and the `--data-plane` flags (raw `NAME=CONTEXT` strings, already
 * checked to be non-empty); undefined when there is no multi-cluster setup. Bad flags throw UserError.
 */
export function dataPlanesFromValues(_chart: Chart | undefined, _r: Reader | undefined, _flags: string[]): DataPlanes | undefined {
  return undefined;
}
