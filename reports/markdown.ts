// Markdown for pasting into a support channel or an issue: versions, the target header, a summary,
// a results table, and the details (hint, docs, evidence) of every non-pass result.
import type { CheckResult, Status } from '../src/engine/types.js';
import type { Report, ReportWriter } from './schema.js';
import { capReport, displayId, displayKey, escapeControls, formatDuration, jsonVisible, listSome, rootCauseGroups, skipReason, STATUS_ORDER } from './text.js';

export const STATUS_BADGE: Record<Status, string> = { pass: '✅ pass', warn: '⚠️ warn', fail: '❌ fail', skip: '⏭️ skip', error: '❓ error' };

/**
 * Plain inline text: a backslash before punctuation (Markdown would take it as an escape: `\\|` would
 * end a table cell), `& < >` (HTML), backticks (a code span), `](` / `][` (a link or an image) escaped.
 */
function plain(text: string): string {
  return text.replace(/\\(?=[!-/:-@[-`{-~])/g, '\\\\').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/`/g, '\\`').replace(/\]([([])/g, '\\]$1');
}

/** A balanced code span on one line: a backtick run, text, the same run (CommonMark's rule). */
const CODE_SPAN = /(?<!`)(`+)(?!`)([^\n]*?[^`\n])\1(?!`)/g;

/**
 * Escapes inline text so it cannot open HTML, a link or an image (`[text](url)`, or
 * `![x](https://tracker/pixel.png)` a server put in its message, would render as a link or load an
 * image where the report is pasted), and a stray backtick cannot open a code span that swallows the
 * rest of the line or cell. A balanced code span (a command in a hint) stays one, its text verbatim
 * (inside a code span `&lt;` would show as is, and nothing renders as HTML there). Control and
 * invisible characters are made visible.
 */
function inline(text: string): string {
  const t = escapeControls(text);
  let out = '';
  let at = 0;
  for (const m of t.matchAll(CODE_SPAN)) {
    out += plain(t.slice(at, m.index)) + m[0];
    at = m.index + m[0].length;
  }
  return out + plain(t.slice(at));
}

/**
 * A line that continues a text inside a list item or a quote: a Markdown block marker at its start
 * (`# `, `> `, `- `, `1. `, `===`, `~~~`, `|`, `[ref]:`) is escaped, so a server's multi-line
 * message cannot turn the report's lines into headings, lists, tables or link definitions.
 */
function continuation(line: string): string {
  return line.replace(/^(\s*)(?:(\d{1,9})([.)])|(~~~|[#>+\-*=_|[]))/, (_m, sp: string, digits: string | undefined, punct: string | undefined, mark: string | undefined) => (digits ? `${sp}${digits}\\${punct}` : `${sp}\\${mark}`));
}

/** A table cell: inline-escaped, `|` escaped, line breaks as <br>. */
export function cell(text: string): string {
  return inline(text).replace(/\|/g, '\\|').replace(/\r\n|\r|\n/g, '<br>');
}

/** A prose value on one list item: continuation lines indented so they stay in the item. */
function prose(text: string): string {
  return inline(text).split(/\r\n|\r|\n/).map((l, i) => (i === 0 ? l : continuation(l))).join('\n  ');
}

/** A fenced block whose fence is longer than any backtick run inside it. */
function fenced(lang: string, text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${lang}\n${text}\n${fence}`;
}

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => ' --- ').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

function code(text: string): string {
  return /[`|\n\r]/.test(text) ? cell(text) : `\`${escapeControls(text)}\``;
}

function lineMessage(r: CheckResult): string {
  return r.status === 'skip' ? skipReason(r) : r.message;
}

function details(r: CheckResult, showRanAt = false): string[] {
  const out = ['', `### ${STATUS_BADGE[r.status]}: ${inline(displayId(r))}: ${prose(r.title)}`, ''];
  if (r.instanceLabel) out.push(`- **Instance:** ${prose(r.instanceLabel)}`);
  if (showRanAt && r.ranAt) out.push(`- **Ran at:** ${code(r.ranAt)}`);
  out.push(`- **${r.status === 'skip' ? 'Reason' : 'Message'}:** ${prose(lineMessage(r))}`);
  if (r.blockedBy) out.push(`- **Blocked by:** \`${r.blockedBy}\``);
  if (r.rootCause) out.push('- **Root cause:** yes (fix this first)');
  if (r.explainedBy) out.push(`- **Caused by:** \`${displayKey(r.explainedBy)}\` (fix that first)`);
  if (r.hint) out.push(`- **Fix:** ${prose(r.hint)}`);
  if (r.messageId) out.push(`- **Message id:** \`${r.messageId}\``);
  out.push(`- **Docs:** \`flyte-doctor explain ${r.id}\` · <${r.docsUrl}>`);
  if (r.details && Object.keys(r.details).length > 0) out.push('', fenced('json', jsonVisible(JSON.stringify(r.details, null, 2))));
  return out;
}

export function renderMarkdown(full: Report): string {
  const report = capReport(full);
  const t = report.target;
  const out: string[] = [`# flyte-doctor ${report.command} report`, ''];
  const s = report.summary;
  const verdict = s.total === 0 ? 'nothing was checked' : s.fail > 0 ? '❌ failed' : s.error > 0 ? '❓ could not check everything' : s.warn > 0 ? '⚠️ passed with warnings' : '✅ passed';
  out.push(`**Result:** ${verdict} (exit code ${report.exitCode})`, '');
  out.push(`Run \`${report.runId}\`, started ${report.startedAt}, finished ${report.finishedAt}, took ${formatDuration(report.durationMs)}.`);
  if (report.interrupted) out.push('', `> **Interrupted:** ${inline(report.interrupted).split(/\r\n|\r|\n/).map((l, i) => (i === 0 ? l : continuation(l))).join('\n> ')}`);

  const roots = rootCauseGroups(report).filter((g) => g.root.status !== 'warn' || g.consequences.length > 0);
  if (roots.length > 0) {
    out.push('', roots.length === 1 ? '## Root cause (fix this first)' : `## Root causes (${roots.length}; fix these first)`, '');
    roots.forEach((g, i) => {
      const r = g.root;
      out.push(`${i + 1}. ${STATUS_BADGE[r.status]} ${code(displayId(r))}: ${prose(r.message)}`);
      if (r.hint) out.push(`   - **Fix:** ${prose(r.hint).replace(/\n  /g, '\n     ')}`);
      out.push(`   - **Docs:** \`flyte-doctor explain ${r.id}\` · <${r.docsUrl}>`);
      if (g.consequences.length > 0) out.push(`   - **Also explains (${g.consequences.length}):** ${g.consequences.map((c) => code(displayId(c))).join(', ')}`);
    });
  }

  out.push('', '## Versions', '');
  const versions: string[][] = [['flyte-doctor', cell(report.tool.version)], ['node', cell(report.tool.node)]];
  for (const [k, v] of Object.entries(report.versions)) versions.push([cell(k), cell(v)]);
  out.push(...table(['component', 'version'], versions));

  out.push('', '## Target', '');
  const rows: string[][] = [['command', cell(report.command), '']];
  const chartText = t.chartName && t.chartName !== t.chart ? `${t.chartName}${t.chart ? ` (${t.chart} subchart)` : ''}` : t.chart;
  if (chartText) rows.push(['chart', cell(chartText), cell(t.chartSource ?? '')]);
  for (const l of t.scope ?? []) rows.push(['scope', cell(l), '']);
  rows.push(['namespace', cell(t.namespace), '']);
  if (t.kubeContext) rows.push(['context', cell(t.kubeContext), '']);
  rows.push(['inputs', t.inputs.length > 0 ? t.inputs.map(cell).join('<br>') : 'none', '']);
  for (const f of t.fields) rows.push([code(f.field), cell(f.value), cell(f.source)]);
  out.push(...table(['field', 'value', 'source'], rows));

  out.push('', '## Summary', '');
  out.push(...table([...STATUS_ORDER, 'total', 'time'], [[...STATUS_ORDER.map((st) => String(s[st])), String(s.total), formatDuration(report.durationMs)]]));
  out.push('', `Residue: ${report.residue.length === 0 ? 'none' : report.residue.map(code).join(', ')}`);

  // Where the checks ran, when not all on this machine (--in-cluster, the Job, the helm test).
  const showRanAt = report.results.some((r) => r.ranAt && r.ranAt !== 'local');
  out.push('', '## Results', '');
  if (report.results.length === 0) out.push('No checks ran.');
  else if (showRanAt) out.push(...table(['status', 'check', 'ran at', 'message', 'time'], report.results.map((r) => [STATUS_BADGE[r.status], code(displayId(r)), cell(r.ranAt ?? ''), cell(lineMessage(r)), formatDuration(r.durationMs)])));
  else out.push(...table(['status', 'check', 'message', 'time'], report.results.map((r) => [STATUS_BADGE[r.status], code(displayId(r)), cell(lineMessage(r)), formatDuration(r.durationMs)])));

  const nonPass = report.results.filter((r) => r.status !== 'pass');
  if (nonPass.length > 0) {
    out.push('', '## Details');
    for (const r of nonPass) out.push(...details(r, showRanAt));
  }
  return out.join('\n') + '\n';
}

export const markdownWriter: ReportWriter = { name: 'markdown', render: (report) => renderMarkdown(report) };
