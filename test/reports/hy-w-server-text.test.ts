// Server-controlled text in each writer, one class at a time (the CLI-level proof against real
// servers is test/cli/hy-w-server-text.test.ts):
// - invisible and reordering characters (bidi overrides, zero-width spaces, line separators) shown
//   as \u202e in pretty, Markdown, live and JUnit, and as JSON \u escapes in JSON evidence;
// - Markdown: a server's link or image does not render, a stray backtick does not open a code span,
//   a message line cannot start a heading, list, table or link definition, and a code span in a
//   hint keeps `<` as `<` (entities inside a code span show as `&lt;`);
// - JUnit: C1 controls visible (\x9b), the XML still well-formed;
// - every format: a huge server text is cut with a visible marker (capText, capReport).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { renderJson } from '../../reports/json.js';
import { renderJunit } from '../../reports/junit.js';
import { createLiveReporter } from '../../reports/live.js';
import { renderMarkdown } from '../../reports/markdown.js';
import { renderPretty } from '../../reports/pretty.js';
import type { Report } from '../../reports/schema.js';
import { capText, escapeControls, jsonVisible, MAX_TEXT } from '../../reports/text.js';
import type { CheckResult } from '../../src/engine/types.js';
import { makeReport } from './fixtures/report.js';

const withResult = (patch: Partial<CheckResult>): Report => {
  // (a copy of the results: the fixture's array is shared by every makeReport())
  const r = makeReport();
  return { ...r, results: r.results.map((x) => (x.id === 'database.postgres.auth' ? { ...x, ...patch } : x)) };
};
const OPTS = { color: false, width: 120, verbose: true };

describe('invisible and reordering characters', () => {
  it('escapeControls shows bidi overrides, isolates, zero-width and separator characters as \\uXXXX, keeps ordinary text', () => {
    expect(escapeControls('a\u202eb\u202cc\u2066d\u2069e\u200bf\u200dg\ufeffh\u2028i\u2029j\u00adk\u{E0041}l')).toBe('a\\u202eb\\u202cc\\u2066d\\u2069e\\u200bf\\u200dg\\ufeffh\\u2028i\\u2029j\\u00adk\\u{e0041}l');
    expect(escapeControls('ünïcødé ✓ 日本語 🚀 ⚠️ עברית')).toBe('ünïcødé ✓ 日本語 🚀 ⚠️ עברית');
  });

  it('jsonVisible keeps JSON that parses back to the same value', () => {
    const v = { m: 'x\u202ey\u009bz\u200b\u{E0041}\u2028' };
    const shown = jsonVisible(JSON.stringify(v));
    expect(shown).not.toMatch(/[\u202e\u009b\u200b\u2028]|\u{E0041}/u);
    expect(JSON.parse(shown)).toEqual(v);
  });

  it('pretty, Markdown and JUnit show a bidi override in a message and in details escaped', () => {
    const report = withResult({ message: 'bucket my-\u200bbucket: \u202eevil\u202c', details: { serverMessage: '\u202eevil\u202c' } });
    for (const text of [renderPretty(report, OPTS), renderMarkdown(report), renderJunit(report)]) {
      expect(text).not.toMatch(/[\u202e\u202c\u200b]/);
      expect(text).toContain('my-\\u200bbucket: \\u202eevil\\u202c');
    }
  });

  it('the live status line shows them escaped', () => {
    let out = '';
    const live = createLiveReporter({ write: (c: string) => { out += c; }, columns: 200 }, { color: false, isTTY: true });
    live.onPlan([{ id: 'a', title: 't' }]);
    live.onWaiting(['a'], 1, 'the server said \u202eevil\u202c');
    expect(out).not.toContain('\u202e');
    expect(out).toContain('\\u202eevil\\u202c');
  });
});

describe('Markdown: server text cannot render as a link, an image, a code span or a block', () => {
  it('a link or an image in a message is shown, not rendered', () => {
    const md = renderMarkdown(withResult({ message: 'see ![x](https://tracker.example/p.png) and [docs](https://evil.example)' }));
    expect(md).not.toMatch(/(?<!\\)\]\(https:\/\//);
    expect(md).toContain('![x\\](https://tracker.example/p.png) and [docs\\](https://evil.example)');
  });

  it('a stray backtick is escaped; a balanced code span stays one with its text verbatim', () => {
    const md = renderMarkdown(withResult({ message: 'open ``` and a lone ` tick', hint: 'run `helm template <release> <chart> | flyte-doctor preflight -f -`' }));
    expect(md).toContain('open \\`\\`\\` and a lone \\` tick');
    // (inside a code span `&lt;` would show as is; nothing renders as HTML there)
    expect(md).toContain('- **Fix:** run `helm template <release> <chart> | flyte-doctor preflight -f -`');
  });

  it('a continuation line cannot start a heading, a list, a quote, a table or a link definition', () => {
    const md = renderMarkdown(withResult({ message: 'first\n# heading\n- item\n> quote\n1. one\n| a | b |\n[ref]: https://evil.example\n===\n~~~' }));
    const message = md.split('\n').filter((l) => l.startsWith('- **Message:** first'))[0]!;
    const at = md.indexOf(message);
    expect(md.slice(at, at + 200)).toContain('first\n  \\# heading\n  \\- item\n  &gt; quote\n  1\\. one\n  \\| a | b |\n  \\[ref]: https://evil.example\n  \\===\n  \\~~~');
  });
});

describe('JUnit: C1 controls visible, still well-formed', () => {
  it('\\x9b (a one-byte CSI) is shown, xmllint reads the document', () => {
    const xml = renderJunit(withResult({ message: 'csi \u009b2J nel \u0085 end' }));
    expect(xml).not.toMatch(/[\u0080-\u009f]/);
    expect(xml).toContain('csi \\x9b2J nel \\x85 end');
    expect(spawnSync('xmllint', ['--noout', '-'], { input: xml, encoding: 'utf8' }).status).toBe(0);
  });
});

describe('length: a huge server text is cut with a visible marker in every format', () => {
  it('capText cuts at MAX_TEXT, never inside a surrogate pair, and says how much', () => {
    expect(capText('short')).toBe('short');
    const cut = capText('x'.repeat(MAX_TEXT + 10));
    expect(cut).toBe(`${'x'.repeat(MAX_TEXT)}… [cut: 10 more characters]`);
    const pair = capText(`${'x'.repeat(MAX_TEXT - 1)}🚀tail`);
    expect(pair).toBe(`${'x'.repeat(MAX_TEXT - 1)}… [cut: 6 more characters]`);
  });

  it('a 10 MB message, hint and details string, and a list of 100 000 entries: bounded in json, junit, markdown and pretty', () => {
    const huge = 'A'.repeat(10 * 1024 * 1024);
    const report = withResult({ message: `server said ${huge}`, hint: huge, details: { body: huge, names: Array.from({ length: 100_000 }, (_, i) => `n${i}`) } });
    const outputs = { json: renderJson(report), junit: renderJunit(report), markdown: renderMarkdown(report), pretty: renderPretty(report, OPTS) };
    for (const [name, text] of Object.entries(outputs)) {
      expect(text.length, name).toBeLessThan(120_000);
      expect(text, name).toMatch(/A… \[cut: \d+ more characters\]/);
    }
    expect(outputs.json).toContain('"… [cut: 99800 more entries]"');
    // the report itself is not changed (writers are pure)
    expect(report.results.find((r) => r.id === 'database.postgres.auth')!.message.length).toBe(huge.length + 12);
  });

  it('a report with nothing over the limit renders exactly as before (the same object)', () => {
    const r = makeReport();
    expect(renderJson(r)).toBe(JSON.stringify(r, null, 2) + '\n');
  });
});

describe('Markdown: a backslash in server text', () => {
  it('before a pipe does not end the table cell; before other punctuation it is shown, not taken as an escape', () => {
    const md = renderMarkdown(withResult({ message: 'path C:\\dir\\| then \\* star \\x plain' }));
    const row = md.split('\n').find((l) => l.startsWith('| ') && l.includes('database.postgres.auth [flyteadmin]'))!;
    expect(row).toContain('C:\\dir\\\\\\| then \\\\* star \\x plain');
    // status | check | message | time: five cell borders, every other pipe escaped by an odd run of backslashes
    const borders = [...row.matchAll(/(\\*)\|/g)].filter((m) => m[1]!.length % 2 === 0).length;
    expect(borders).toBe(5);
  });
});
