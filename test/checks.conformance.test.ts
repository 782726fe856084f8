// One test over every check (ESLint's checkRuleFiles, Renovate's manager index spec): registry ==
// files, id == <area>.<file name>, unique ids, dependencies valid, each check exercised by a test,
// explain text present, README table and docs/checks.md generated from the registry.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtinChecks } from '../checks/index.js';
import { validateRegistry } from '../src/engine/plan.js';
import { AREAS } from '../src/engine/types.js';
import { renderChecksDoc, renderReadmeTable, README_START, README_END } from '../scripts/docs.js';

const root = join(import.meta.dirname, '..');
const walk = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));

describe('check registry conformance', () => {
  it('is valid: unique ids, known dependencies, no cycles, phase-consistent', () => {
    expect(() => validateRegistry(builtinChecks)).not.toThrow();
  });

  it('has one folder per area and nothing else', () => {
    const dirs = readdirSync(join(root, 'checks')).filter((f) => statSync(join(root, 'checks', f)).isDirectory()).sort();
    expect(dirs).toEqual([...AREAS].sort());
  });

  for (const area of AREAS) {
    it(`checks/${area}: the files, the index and the ids agree`, async () => {
      // `_name.ts` files hold outcome builders shared by checks of the area (not checks themselves).
      const files = readdirSync(join(root, 'checks', area)).filter((f) => f.endsWith('.ts') && f !== 'index.ts' && !f.startsWith('_')).sort();
      const { checks } = await import(/* @vite-ignore */ pathToFileURL(join(root, 'checks', area, 'index.ts')).href);
      const ids = (checks as { id: string }[]).map((c) => c.id);
      expect(ids).toEqual([...ids].sort());
      expect(files.map((f) => `${area}.${f.slice(0, -3)}`)).toEqual([...ids].sort());
      for (const f of files) {
        const mod = await import(/* @vite-ignore */ pathToFileURL(join(root, 'checks', area, f)).href);
        expect(mod.default?.id, `checks/${area}/${f} default export`).toBe(`${area}.${f.slice(0, -3)}`);
        expect(checks).toContain(mod.default);
      }
    });
  }

  it('every check has a title, explain text, and at least one phase', () => {
    for (const c of builtinChecks) {
      expect(c.title.length, c.id).toBeGreaterThan(5);
      expect(c.phases.length, c.id).toBeGreaterThan(0);
      for (const k of ['what', 'why', 'fix'] as const) expect(c.explain[k].trim().length, `${c.id} explain.${k}`).toBeGreaterThan(10);
    }
  });

  it('every built-in check declares its findings (messages); the harness holds every run to them', () => {
    expect(builtinChecks.filter((c) => !c.messages || Object.keys(c.messages).length === 0).map((c) => c.id)).toEqual([]);
    // a check that can pass says how (its pass finding), and every check has a finding that is not a pass
    for (const c of builtinChecks) {
      const st = new Set(Object.values(c.messages ?? {}).map((m) => m.status));
      expect(st.has('pass') || st.has('skip'), `${c.id} declares how it passes`).toBe(true);
      expect([...st].some((s) => s !== 'pass'), `${c.id} declares what it finds when something is wrong`).toBe(true);
    }
  });

  it('declared messages are well formed: a status, a summary, ids in camelCase', () => {
    for (const c of builtinChecks) {
      for (const [id, m] of Object.entries(c.messages ?? {})) {
        expect(id, `${c.id} messageId`).toMatch(/^[a-z][A-Za-z0-9]*$/);
        expect(['pass', 'warn', 'fail', 'skip', 'error'], `${c.id}.${id} status`).toContain(m.status);
        expect(m.summary.trim().length, `${c.id}.${id} summary`).toBeGreaterThan(10);
      }
    }
  });

  it('every check is driven by a test under test/checks/', () => {
    const text = walk(join(root, 'test', 'checks')).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(f, 'utf8')).join('\n');
    const untested = builtinChecks.map((c) => c.id).filter((id) => !text.includes(`'${id}'`) && !text.includes(`"${id}"`) && !text.includes(`\`${id}\``));
    expect(untested).toEqual([]);
  });

  it('no check imports a heavy SDK at the top level (they load lazily in src/clients)', () => {
    const heavy = /^import\s+(?!type\b)[^;]*from\s+['"](@kubernetes\/client-node|@aws-sdk\/[^'"]+|@google-cloud\/storage|pg|@grpc\/grpc-js|undici|@flyteorg\/flyteidl[^'"]*|grpc-health-check)['"]/m;
    const offenders = [...walk(join(root, 'checks')), ...walk(join(root, 'src'))].filter((f) => f.endsWith('.ts') && heavy.test(readFileSync(f, 'utf8')));
    expect(offenders.map((f) => f.slice(root.length + 1))).toEqual([]);
  });

  it('README check table and docs/checks.md are generated from the registry (run `npm run docs`)', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf(README_START), readme.indexOf(README_END) + README_END.length);
    expect(table).toBe(renderReadmeTable());
    expect(readFileSync(join(root, 'docs', 'checks.md'), 'utf8')).toBe(renderChecksDoc());
  });

  it('every docsUrl points to a heading of docs/checks.md', () => {
    const doc = renderChecksDoc();
    for (const c of builtinChecks) expect(doc, c.id).toContain(`### ${c.id}\n`);
  });
});
