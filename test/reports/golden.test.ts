// Byte-for-byte golden files of every writer over the fixed fixture. After an intended change,
// regenerate with `UPDATE_GOLDEN=1 FLYTE_DOCTOR_NO_TESTBED=1 npx vitest run test/reports/golden.test.ts`
// and review the diff.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { writers } from '../../reports/index.js';
import type { RenderOptions, Report } from '../../reports/schema.js';
import { makeEmptyReport, makeReport } from './fixtures/report.js';

const plain: RenderOptions = { color: false, width: 100, verbose: false };
const cases: [file: string, writer: keyof typeof writers, report: () => Report, opts: RenderOptions][] = [
  ['report.pretty.txt', 'pretty', makeReport, plain],
  ['report.pretty-verbose.txt', 'pretty', makeReport, { ...plain, verbose: true }],
  ['report.json', 'json', makeReport, plain],
  ['report.junit.xml', 'junit', makeReport, plain],
  ['report.md', 'markdown', makeReport, plain],
  ['empty.pretty.txt', 'pretty', makeEmptyReport, plain],
  ['empty.junit.xml', 'junit', makeEmptyReport, plain],
  ['empty.md', 'markdown', makeEmptyReport, plain],
];

describe('golden files', () => {
  it.each(cases)('%s', (file, writer, report, opts) => {
    const path = new URL(`./__golden__/${file}`, import.meta.url);
    const actual = writers[writer].render(report(), opts);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, actual);
    expect(existsSync(path), `missing golden file ${file}; run with UPDATE_GOLDEN=1`).toBe(true);
    expect(actual).toBe(readFileSync(path, 'utf8'));
  });
});
