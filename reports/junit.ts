// JUnit XML, mapped on purpose (style.md C5): one <testsuite> per area, one <testcase> per check.
//   pass  -> <testcase/> (evidence, when any, in <system-out>)
//   warn  -> passes, with "WARN: <message>" in <system-out> so CI stays green but shows it
//   fail  -> <failure type="<messageId|fail>" message="<message>">
//   error -> <error type="<messageId|error>" message="<message>"> (the check could not run)
//   skip  -> <skipped message="<reason>"/> (the reason is always present)
// Hint and evidence (details as JSON) go to <system-out>. Run metadata is in <properties> of each
// suite (the de-facto JUnit schemas allow <properties> only inside <testsuite>). The root carries
// no `skipped` attribute for the same reason; every suite carries its own.
import { AREAS, type CheckResult } from '../src/engine/types.js';
import type { Report, ReportWriter } from './schema.js';
import { capReport, displayId, displayKey, jsonVisible, nodeKeyOf, seconds, skipReason } from './text.js';
import { escapeXml, escapeXmlAttr } from './xml.js';

const attrs = (pairs: [string, string | number][]): string => pairs.map(([k, v]) => ` ${k}="${escapeXmlAttr(String(v))}"`).join('');

function properties(report: Report): [string, string][] {
  const p: [string, string][] = [
    ['runId', report.runId],
    ['command', report.command],
    ['tool.version', report.tool.version],
    ['node.version', report.tool.node],
    ['startedAt', report.startedAt],
    ['finishedAt', report.finishedAt],
  ];
  if (report.target.chart) p.push(['chart', report.target.chart]);
  if (report.target.chartSource) p.push(['chartSource', report.target.chartSource]);
  p.push(['namespace', report.target.namespace]);
  if (report.target.kubeContext) p.push(['kubeContext', report.target.kubeContext]);
  if (report.target.inputs.length > 0) p.push(['inputs', report.target.inputs.join(', ')]);
  for (const [k, v] of Object.entries(report.versions)) p.push([`version.${k}`, v]);
  p.push(['rootCauses', report.rootCauses.length > 0 ? report.rootCauses.map(displayKey).join(', ') : 'none']);
  p.push(['residue', report.residue.length > 0 ? report.residue.join(', ') : 'none']);
  if (report.interrupted) p.push(['interrupted', report.interrupted]);
  p.push(['exitCode', String(report.exitCode)]);
  return p;
}

function systemOut(r: CheckResult, showRanAt = false): string {
  const lines: string[] = [];
  if (r.status === 'warn') lines.push(`WARN: ${r.message}`);
  if (showRanAt && r.ranAt) lines.push(`Ran at: ${r.ranAt}`);
  if (r.instanceLabel) lines.push(`Instance: ${r.instanceLabel}`);
  if (r.hint) lines.push(`Fix: ${r.hint}`);
  if (r.status !== 'pass') lines.push(`Docs: flyte-doctor explain ${r.id} · ${r.docsUrl}`);
  if (r.details && Object.keys(r.details).length > 0) lines.push(`Details: ${jsonVisible(JSON.stringify(r.details, null, 2))}`);
  return lines.join('\n');
}

function testcase(r: CheckResult, showRanAt = false): string {
  const open = `    <testcase${attrs([['classname', r.area], ['name', `${displayId(r)}: ${r.title}`], ['time', seconds(r.durationMs)]])}`;
  // Root causes say so; consequences name their root first, so the first failure a CI view shows is the one to fix.
  const lead = r.rootCause ? 'ROOT CAUSE: ' : r.explainedBy ? `caused by ${displayKey(r.explainedBy)}: ` : '';
  const message = `${lead}${r.message}`;
  const body = [message, r.hint && `Fix: ${r.hint}`, `Docs: flyte-doctor explain ${r.id} · ${r.docsUrl}`].filter(Boolean).join('\n');
  const inner: string[] = [];
  if (r.status === 'fail') inner.push(`<failure${attrs([['type', r.messageId ?? 'fail'], ['message', message]])}>${escapeXml(body)}</failure>`);
  if (r.status === 'error') inner.push(`<error${attrs([['type', r.messageId ?? 'error'], ['message', message]])}>${escapeXml(body)}</error>`);
  if (r.status === 'skip') inner.push(`<skipped${attrs([['message', skipReason(r)]])}/>`);
  const out = systemOut(r, showRanAt);
  if (out) inner.push(`<system-out>${escapeXml(out)}</system-out>`);
  if (inner.length === 0) return `${open}/>`;
  return `${open}>\n${inner.map((l) => `      ${l}`).join('\n')}\n    </testcase>`;
}

export function renderJunit(full: Report): string {
  const report = capReport(full);
  const props = properties(report);
  // Where the checks ran, when not all on this machine (--in-cluster, the Job, the helm test): every case says it.
  const places = [...new Set(report.results.map((r) => r.ranAt).filter((x): x is string => !!x))];
  const showRanAt = places.some((p) => p !== 'local');
  if (showRanAt) props.push(['ranAt', places.join(', ')]);
  const propsXml = ['    <properties>', ...props.map(([name, value]) => `      <property${attrs([['name', name], ['value', value]])}/>`), '    </properties>'];
  const suites: string[] = [];
  // Suites holding root causes come first (in rootCauses order), and inside a suite root causes lead.
  const rootIndex = new Map(report.rootCauses.map((k, i) => [k, i]));
  const rootRank = (r: CheckResult) => rootIndex.get(nodeKeyOf(r)) ?? Infinity;
  const natural = [...AREAS, ...[...new Set(report.results.map((r) => r.area))].filter((a) => !(AREAS as readonly string[]).includes(a)).sort()];
  const areaRank = (a: string) => Math.min(...report.results.filter((r) => r.area === a).map(rootRank));
  const areaOrder = [...natural].sort((a, b) => areaRank(a) - areaRank(b) || natural.indexOf(a) - natural.indexOf(b));
  let tests = 0;
  let failures = 0;
  let errors = 0;
  for (const area of areaOrder) {
    const rs = report.results.filter((r) => r.area === area).map((r, i) => ({ r, i })).sort((a, b) => rootRank(a.r) - rootRank(b.r) || a.i - b.i).map((x) => x.r);
    if (rs.length === 0) continue;
    const count = (s: CheckResult['status']) => rs.filter((r) => r.status === s).length;
    const f = count('fail');
    const e = count('error');
    tests += rs.length;
    failures += f;
    errors += e;
    const time = seconds(rs.reduce((sum, r) => sum + Math.max(0, r.durationMs), 0));
    suites.push(
      `  <testsuite${attrs([['name', area], ['tests', rs.length], ['failures', f], ['errors', e], ['skipped', count('skip')], ['time', time], ['timestamp', report.startedAt]])}>`,
      ...propsXml,
      ...rs.map((r) => testcase(r, showRanAt)),
      '  </testsuite>',
    );
  }
  const rootAttrs = attrs([['name', `flyte-doctor ${report.command}`], ['tests', tests], ['failures', failures], ['errors', errors], ['time', seconds(report.durationMs)]]);
  const root = suites.length === 0 ? [`<testsuites${rootAttrs}/>`] : [`<testsuites${rootAttrs}>`, ...suites, '</testsuites>'];
  return ['<?xml version="1.0" encoding="UTF-8"?>', ...root].join('\n') + '\n';
}

export const junitWriter: ReportWriter = { name: 'junit', render: (report) => renderJunit(report) };
