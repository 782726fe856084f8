// The one versioned document every report writer renders. reports/report.schema.json is its
// JSON Schema (tests validate real output against it).
import type { CheckResult, Phase, Status } from '../src/engine/types.js';

export const SCHEMA_VERSION = 2 as const;

export interface TargetField {
  /** Dotted field name, e.g. 'database.flyteadmin.host', 'client.endpoint'. */
  field: string;
  /** Value as shown to people; never a secret (secrets show as ***). */
  value: string;
  /** Provenance, e.g. 'values.yaml: configuration.database.host', '--endpoint', 'chart default'. */
  source: string;
}

export interface Report {
  schemaVersion: typeof SCHEMA_VERSION;
  tool: { name: 'flyte-doctor'; version: string; node: string };
  runId: string;
  command: Phase;
  startedAt: string;   // ISO 8601
  finishedAt: string;  // ISO 8601
  durationMs: number;
  target: {
    chart?: string;
    chartSource?: string;
    /** The chart whose values were given when not the Flyte chart itself (flyte, flyte-sandbox, flyte-deps, flyteconnector). */
    chartName?: string;
    /** What this run checks and what it does not. */
    scope?: string[];
    namespace: string;
    kubeContext?: string;
    inputs: string[];
    fields: TargetField[];
  };
  /** Versions learned during the run (e.g. flyteadmin, kubernetes, postgres), for the header. */
  versions: Record<string, string>;
  summary: Record<Status, number> & { total: number };
  /** Sorted by area, then id, then instance. */
  results: CheckResult[];
  /** Node keys of the root causes (results marked rootCause), most severe first: what to fix first. */
  rootCauses: string[];
  /** Probe objects left behind (empty when cleanup succeeded). */
  residue: string[];
  /** Set when the run was interrupted (Ctrl-C) or hit --deadline. */
  interrupted?: string;
  exitCode: number;
}

export interface RenderOptions {
  color: boolean;
  /** Terminal width for the pretty writer. */
  width: number;
  verbose: boolean;
}

export interface ReportWriter {
  readonly name: 'pretty' | 'json' | 'junit' | 'markdown';
  /** Pure: no fs, no clock, no env. */
  render(report: Report, opts: RenderOptions): string;
}
