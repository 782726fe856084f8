// The terminal view: a "what was checked" header, results grouped by area (AREAS order), a fix
// and docs link under every non-pass, then the summary and the residue line.
import { AREAS, type CheckResult, type Status } from '../src/engine/types.js';
import type { RenderOptions, Report, ReportWriter } from './schema.js';
import { capReport, displayId, displayKey, escapeControls as safe, formatDuration, groupByArea, jsonVisible, listSome, rootCauseGroups, skipReason } from './text.js';

export const SYMBOLS: Record<Status, string> = { pass: '✓', warn: '!', fail: '✗', skip: '-', error: '?' };

const SGR = { reset: '\x1b[0m', bold: '\x1b[1m', dim: '\x1b[2m', red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', magenta: '\x1b[35m', cyan: '\x1b[36m' } as const;
const STATUS_COLOR: Record<Status, string> = { pass: SGR.green, warn: SGR.yellow, fail: SGR.red, skip: SGR.dim, error: SGR.magenta };

type Paint = (codes: string, text: string) => string;
const painter = (color: boolean): Paint => (color ? (codes, text) => (text ? `${codes}${text}${SGR.reset}` : text) : (_codes, text) => text);

/** Lines of a possibly multi-line text; continuation lines get `indent`. */
/** A setting on one line: line breaks and tabs in it are shown as \n, \r, \t (a value cannot add lines to the table). */
function oneLine(text: string): string {
  return safe(text).replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}

function indentLines(text: string, indent: string): string {
  return safe(text).split(/\r\n|\r|\n/).join(`\n${indent}`);
}

/** The line's message for a result: a skip shows its reason. */
function lineMessage(r: CheckResult): string {
  return r.status === 'skip' ? skipReason(r) : r.message;
}

/** Fields set by nobody (built-in defaults) are in --verbose, JSON and Markdown; the terminal shows what the inputs set. */
const isDefault = (source: string) => source === 'default' || source === 'chart default';

function header(report: Report, paint: Paint, verbose: boolean): string[] {
  const t = report.target;
  const rows: [string, string][] = [['command', report.command]];
  const chartText = t.chartName && t.chartName !== t.chart ? `${t.chartName}${t.chart ? ` (${t.chart} subchart)` : ''}` : t.chart;
  if (chartText) rows.push(['chart', t.chartSource ? `${chartText} (${t.chartSource})` : chartText]);
  for (const l of t.scope ?? []) rows.push(['scope', l]);
  rows.push(['namespace', t.namespace]);
  if (t.kubeContext) rows.push(['context', t.kubeContext]);
  const places = [...new Set(report.results.map((r) => r.ranAt).filter((x): x is string => !!x))];
  if (places.some((p) => p !== 'local')) rows.push(['ran at', places.map((p) => (p === 'local' ? 'local (this machine)' : p)).join(', ')]);
  rows.push(['inputs', t.inputs.length > 0 ? t.inputs.join(', ') : 'none']);
  const w = Math.max(...rows.map(([k]) => k.length));
  const out = [paint(SGR.bold, `flyte-doctor ${report.command}`) + paint(SGR.dim, `  run ${safe(report.runId)}, started ${safe(report.startedAt)}`), '', paint(SGR.bold, 'What was checked')];
  for (const [k, v] of rows) out.push(`  ${k.padEnd(w)}  ${indentLines(v, ' '.repeat(w + 4))}`);
  const fields = verbose ? t.fields : t.fields.filter((f) => !isDefault(f.source));
  if (fields.length > 0) {
    const fw = Math.min(34, Math.max(...fields.map((f) => f.field.length)));
    const vw = Math.min(40, Math.max(...fields.map((f) => f.value.length)));
    out.push(verbose || fields.length === t.fields.length ? '  target:' : `  target (from your inputs; ${t.fields.length - fields.length} defaults with --verbose):`);
    for (const f of fields) {
      out.push(`    ${oneLine(f.field).padEnd(fw)}  ${oneLine(f.value).padEnd(vw)}  ${paint(SGR.dim, `(${oneLine(f.source)})`)}`);
    }
  }
  const versions = Object.entries(report.versions);
  if (versions.length > 0) out.push(`  versions: ${versions.map(([k, v]) => indentLines(`${k} ${v}`, '    ')).join(', ')}`);
  return out;
}

/** Where results ran, when not all on this machine (--in-cluster, the Job, the helm test): every line says it. */
function ranAtOf(report: Report): (r: CheckResult) => string {
  const show = report.results.some((x) => x.ranAt && x.ranAt !== 'local');
  return (r) => (show && r.ranAt ? ` [${safe(r.ranAt)}]` : '');
}

function resultLines(r: CheckResult, opts: RenderOptions, paint: Paint, where: (r: CheckResult) => string = () => ''): string[] {
  const symbol = paint(STATUS_COLOR[r.status], SYMBOLS[r.status]);
  const id = r.status === 'pass' ? safe(displayId(r)) : paint(SGR.bold, safe(displayId(r)));
  const out = [`  ${symbol} ${id}${paint(SGR.dim, where(r))}  ${indentLines(lineMessage(r), '      ')}  ${paint(SGR.dim, formatDuration(r.durationMs))}`];
  if (r.explainedBy && r.status === 'skip' && r.blockedBy && displayKey(r.blockedBy) === displayKey(r.explainedBy)) {
    // "blocked by X" already names the cause
  } else if (r.explainedBy && r.status !== 'pass') {
    // A consequence: the fix is the root cause's (listed first); its own evidence stays in JSON/--verbose.
    out.push(`      ${paint(SGR.yellow, 'Cause:')} ${safe(displayKey(r.explainedBy))} (fix that first)`);
    if (opts.verbose && r.hint) out.push(`      ${paint(SGR.dim, 'Own fix:')} ${indentLines(r.hint, '           ')}`);
  } else if (r.status !== 'pass') {
    if (r.hint) out.push(`      ${paint(SGR.cyan, 'Fix:')} ${indentLines(r.hint, '           ')}`);
    if (r.status !== 'skip') out.push(`      ${paint(SGR.dim, 'Docs:')} flyte-doctor explain ${safe(r.id)} · ${safe(r.docsUrl)}`); // a skip's line already says why
  }
  if (opts.verbose) {
    if (r.instanceLabel) out.push(`      ${paint(SGR.dim, 'Instance:')} ${indentLines(r.instanceLabel, '      ')}`);
    if (r.details && Object.keys(r.details).length > 0) {
      out.push(`      ${paint(SGR.dim, 'Details:')} ${indentLines(jsonVisible(JSON.stringify(r.details, null, 2)), '      ')}`);
    }
  }
  return out;
}

function summaryLine(report: Report, paint: Paint): string {
  const s = report.summary;
  const parts = (['pass', 'warn', 'fail', 'skip', 'error'] as const).map((st) => {
    const text = `${s[st]} ${st}`;
    return s[st] > 0 && st !== 'skip' ? paint(STATUS_COLOR[st], text) : text;
  });
  return `${paint(SGR.bold, 'Summary:')} ${parts.join(', ')} (${s.total} checks) in ${formatDuration(report.durationMs)}`;
}

export function renderPretty(full: Report, opts: RenderOptions): string {
  const report = capReport(full);
  const paint = painter(opts.color);
  const out = header(report, paint, opts.verbose);
  const roots = rootCauseGroups(report).filter((g) => g.root.status !== 'warn' || g.consequences.length > 0);
  if (roots.length > 0) {
    out.push('', paint(SGR.bold, roots.length === 1 ? 'Root cause (fix this first)' : `Root causes (${roots.length}; fix these first)`));
    roots.forEach((g, i) => {
      const r = g.root;
      out.push(`  ${i + 1}. ${paint(STATUS_COLOR[r.status], SYMBOLS[r.status])} ${paint(SGR.bold, safe(displayId(r)))}${paint(SGR.dim, ranAtOf(report)(r))}  ${indentLines(r.message, '       ')}`);
      if (r.hint) out.push(`       ${paint(SGR.cyan, 'Fix:')} ${indentLines(r.hint, '            ')}`);
      out.push(`       ${paint(SGR.dim, 'Docs:')} flyte-doctor explain ${safe(r.id)} · ${safe(r.docsUrl)}`);
      if (g.consequences.length > 0) out.push(`       ${paint(SGR.dim, `Also explains (${g.consequences.length}):`)} ${safe(listSome(g.consequences.map((c) => displayId(c))))}`);
    });
  }
  const where = ranAtOf(report);
  const groups = groupByArea(report.results, AREAS);
  if (groups.length === 0) out.push('', 'No checks ran.');
  for (const g of groups) {
    out.push('', paint(SGR.bold, safe(g.area)));
    for (const r of g.results) out.push(...resultLines(r, opts, paint, where));
  }
  out.push('', summaryLine(report, paint));
  if (report.interrupted) out.push(paint(SGR.yellow, `interrupted: ${indentLines(report.interrupted, '  ')}`));
  out.push(report.residue.length === 0 ? 'residue: none' : paint(SGR.red, `residue: ${indentLines(report.residue.join(', '), '  ')}`));
  return out.join('\n') + '\n';
}

export const prettyWriter: ReportWriter = { name: 'pretty', render: renderPretty };
