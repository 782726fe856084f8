// The machine-readable report: the Report document itself (reports/report.schema.json describes it).
import type { Report, ReportWriter } from './schema.js';

export function renderJson(report: Report): string {
  return JSON.stringify(report, null, 2) + '\n';
}

export const jsonWriter: ReportWriter = { name: 'json', render: (report) => renderJson(report) };
