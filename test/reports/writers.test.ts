// Cross-writer behaviour: the registry, determinism, and that writers never transform text beyond
// escaping (redaction happens before them; the lead's redaction test scans all four formats).
import { describe, expect, it } from 'vitest';
import { getWriter, WRITER_NAMES, writers } from '../../reports/index.js';
import type { CheckResult } from '../../src/engine/types.js';
import { UserError } from '../../src/errors.js';
import { fixtureResults, makeReport } from './fixtures/report.js';

const opts = { color: false, width: 100, verbose: false };
const SECRET = 'Sekret0Value1For2The3Writer4Test5zz';

describe('report writers', () => {
  it('registers exactly pretty, json, junit and markdown, each under its own name', () => {
    expect(WRITER_NAMES).toEqual(['pretty', 'json', 'junit', 'markdown']);
    for (const name of WRITER_NAMES) {
      expect(getWriter(name)).toBe(writers[name]);
      expect(writers[name].name).toBe(name);
    }
  });

  it('an unknown format is bad input (UserError naming the choices)', () => {
    expect(() => getWriter('html')).toThrow(UserError);
    expect(() => getWriter('html')).toThrow('unknown report format "html": expected one of pretty, json, junit, markdown');
    expect(() => getWriter('toString')).toThrow(UserError);
  });

  it.each(WRITER_NAMES)('%s: output depends only on the report (same input, same bytes; input not mutated)', (name) => {
    const report = makeReport();
    const before = JSON.stringify(report);
    const a = writers[name].render(report, opts);
    const b = writers[name].render(makeReport(), opts);
    expect(a).toBe(b);
    expect(JSON.stringify(report)).toBe(before);
    expect(a.endsWith('\n')).toBe(true);
  });

  it.each(WRITER_NAMES)('%s: a secret-looking value in a result comes out exactly as given', (name) => {
    const r: CheckResult = { ...fixtureResults[2]!, message: `auth failed with ${SECRET}`, hint: `set ${SECRET}`, details: { key: SECRET } };
    const out = writers[name].render(makeReport([r]), { ...opts, verbose: true });
    expect(out).toContain(SECRET);
    expect(out).toContain(`auth failed with ${SECRET}`);
  });
});
