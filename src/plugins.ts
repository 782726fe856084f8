// User check modules: `--plugin PATH` (repeatable) and a `plugins:` list in an optional config file
// (`--config FILE`, default ./flyte-doctor.yaml when present). A plugin module default-exports a
// check, an array of checks, or { checks: [...] }, made with defineCheck (or a plain spec).
import { existsSync, lstatSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defineCheck } from './engine/define.js';
import type { Check, CheckSpec } from './engine/types.js';
import { UserError } from './errors.js';
import { fileKind, INPUT_LIMIT, mib, readInputFile } from './config/read.js';
import { parseYaml } from './config/values.js';
import { closeNames } from './distance.js';

// A plugin is an ES module. The bundled CLI runs as CommonJS compiled by the launcher (a vm.Script,
// where import() has no loader), so the launcher hands over its own import(); from src/ (tests, tsx)
// the native one is used.
const importModule = (url: string): Promise<unknown> =>
  (globalThis as { __flyteDoctorImport?: (u: string) => Promise<unknown> }).__flyteDoctorImport?.(url) ?? import(url);

/** Where each plugin check came from (`--plugin ./x.mjs` or `flyte-doctor.yaml: plugins`, and the file), for messages. */
export const pluginSource = new WeakMap<Check, string>();

export async function loadPlugins(paths: string[], configFile: string | undefined, cwd: string): Promise<Check[]> {
  const all: { path: string; from: string }[] = paths.map((p) => ({ path: resolve(cwd, p), from: `--plugin ${p}` }));
  // ./flyte-doctor.yaml when present: also a link to nothing, which is a broken config, not an absent one
  const found = (() => { try { lstatSync(resolve(cwd, 'flyte-doctor.yaml')); return true; } catch { return false; } })();
  const cfg = configFile ?? (found ? 'flyte-doctor.yaml' : undefined);
  if (cfg) {
    const file = resolve(cwd, cfg);
    const label = configFile !== undefined ? `--config ${cfg}` : `./flyte-doctor.yaml (found in the working directory)`;
    // Only a regular file up to the input cap; YAML errors (aliases, depth) are exit 2 like values files.
    const text = readInputFile(label, file, cwd, { what: 'a flyte-doctor config file', yaml: true });
    const doc: unknown = parseYaml(cfg, text) ?? {};
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new UserError(`${cfg}: expected a mapping with a plugins: list`);
    // plugins: is the only key: any other (plugin:, Plugins:) would leave the list unread, silently
    for (const k of Object.keys(doc)) {
      if (k !== 'plugins') throw new UserError(`${cfg}: ${k}: not a key flyte-doctor reads; expected plugins: (a list of check module paths)${closeNames(k, ['plugins']).length || k.toLowerCase() === 'plugins' ? ' (a misspelling of plugins?)' : ''}`);
    }
    const list = (doc as Record<string, unknown>).plugins;
    if (list !== undefined) {
      if (!Array.isArray(list) || list.some((x) => typeof x !== 'string')) throw new UserError(`${cfg}: plugins: expected a list of file paths, got ${JSON.stringify(list)}`);
      for (const p of list as string[]) all.push({ path: resolve(dirname(file), p), from: `${cfg}: plugins` });
    }
  }
  const out: Check[] = [];
  for (const { path, from } of all) {
    let st;
    try { st = statSync(path); } catch { throw new UserError(`${from}: cannot read ${path}: no such file`); }
    // import() of a FIFO or device would block forever: only a regular file is loaded.
    if (!st.isFile()) throw new UserError(`${from}: cannot read ${path}: is ${fileKind(st)}, expected a regular file (a JavaScript module)`);
    if (st.size > INPUT_LIMIT) throw new UserError(`${from}: cannot read ${path}: is ${mib(st.size)}, over the ${mib(INPUT_LIMIT)} limit for plugin modules`);
    let mod: Record<string, unknown>;
    try { mod = (await importModule(pathToFileURL(path).href)) as Record<string, unknown>; } catch (e) { throw new UserError(`${from}: cannot load ${path}: ${(e as Error).message.split('\n')[0]}`); }
    const exp = (mod.default ?? mod.checks ?? mod) as unknown;
    const list = Array.isArray(exp) ? exp : exp && typeof exp === 'object' && Array.isArray((exp as { checks?: unknown }).checks) ? (exp as { checks: unknown[] }).checks : [exp];
    for (const c of list) {
      const spec = c as CheckSpec;
      let valid: boolean;
      // A getter that throws is a broken plugin (exit 2), not an internal error.
      try { valid = Boolean(spec && typeof spec === 'object' && typeof spec.id === 'string' && typeof spec.run === 'function' && Array.isArray(spec.phases)); }
      catch (e) { throw new UserError(`${from}: ${path}: reading its check failed: ${(e as Error)?.message?.split('\n')[0] ?? String(e)}`); }
      if (!valid) {
        throw new UserError(`${from}: ${path} does not export a check (expected defineCheck({ id, title, phases, explain, run }))`);
      }
      let check: Check;
      try { check = 'docsUrl' in spec ? (spec as Check) : defineCheck({ ...spec, explain: spec.explain ?? { what: spec.title, why: '', fix: '' } }); }
      catch (e) { throw new UserError(`${from}: ${path}: ${(e as Error).message}`); }
      pluginSource.set(check, `${from} (${path})`);
      out.push(check);
    }
  }
  return out;
}
