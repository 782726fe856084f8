// User check modules: `--plugin PATH` (repeatable) and a `plugins:` list in an optional config file
// (`--config FILE`, default ./flyte-doctor.yaml when present). A plugin module default-exports a
// check, an array of checks, or { checks: [...] }, made with defineCheck (or a plain spec).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defineCheck } from './engine/define.js';
import type { Check, CheckSpec } from './engine/types.js';
import { UserError } from './errors.js';

export async function loadPlugins(paths: string[], configFile: string | undefined, cwd: string): Promise<Check[]> {
  const all: { path: string; from: string }[] = paths.map((p) => ({ path: resolve(cwd, p), from: `--plugin ${p}` }));
  const cfg = configFile ?? (existsSync(resolve(cwd, 'flyte-doctor.yaml')) ? 'flyte-doctor.yaml' : undefined);
  if (cfg) {
    const file = resolve(cwd, cfg);
    let text: string;
    try { text = readFileSync(file, 'utf8'); } catch (e) { throw new UserError(`--config ${cfg}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); }
    const { parse } = await import('yaml');
    let doc: unknown;
    try { doc = parse(text) ?? {}; } catch (e) { throw new UserError(`${cfg}: invalid YAML: ${(e as Error).message.split('\n')[0]}`); }
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new UserError(`${cfg}: expected a mapping with a plugins: list`);
    const list = (doc as Record<string, unknown>).plugins;
    if (list !== undefined) {
      if (!Array.isArray(list) || list.some((x) => typeof x !== 'string')) throw new UserError(`${cfg}: plugins: expected a list of file paths, got ${JSON.stringify(list)}`);
      for (const p of list as string[]) all.push({ path: resolve(dirname(file), p), from: `${cfg}: plugins` });
    }
  }
  const out: Check[] = [];
  for (const { path, from } of all) {
    if (!existsSync(path)) throw new UserError(`${from}: cannot read ${path}: no such file`);
    let mod: Record<string, unknown>;
    try { mod = await import(pathToFileURL(path).href); } catch (e) { throw new UserError(`${from}: cannot load ${path}: ${(e as Error).message.split('\n')[0]}`); }
    const exp = (mod.default ?? mod.checks ?? mod) as unknown;
    const list = Array.isArray(exp) ? exp : exp && typeof exp === 'object' && Array.isArray((exp as { checks?: unknown }).checks) ? (exp as { checks: unknown[] }).checks : [exp];
    for (const c of list) {
      const spec = c as CheckSpec;
      if (!spec || typeof spec !== 'object' || typeof spec.id !== 'string' || typeof spec.run !== 'function' || !Array.isArray(spec.phases)) {
        throw new UserError(`${from}: ${path} does not export a check (expected defineCheck({ id, title, phases, explain, run }))`);
      }
      try { out.push('docsUrl' in spec ? (spec as Check) : defineCheck({ ...spec, explain: spec.explain ?? { what: spec.title, why: '', fix: '' } })); }
      catch (e) { throw new UserError(`${from}: ${path}: ${(e as Error).message}`); }
    }
  }
  return out;
}
