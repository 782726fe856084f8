// The machine-readable report: the Report document itself (reports/report.schema.json describes it).
import type { Report, ReportWriter } from './schema.js';
import { capReport } from './text.js';

export function renderJson(report: Report): string {
  // (server texts bounded: capReport; JSON.stringify escapes control characters and lone surrogates)
  return JSON.stringify(capReport(report), null, 2) + '\n';
}

export const jsonWriter: ReportWriter = { name: 'json', render: (report) => renderJson(report) };
