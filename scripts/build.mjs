// Bundles the CLI with esbuild into dist/ (dist/flyte-doctor.mjs is the file `bin` points to):
// dist/cli.cjs (yargs, yaml, the engine and the checks) and one CommonJS bundle per heavy SDK group in
// dist/sdk/ (AWS, Azure, GCS, gRPC + flyteidl, pg, undici), each read and compiled only when a check
// reaches it. The launcher compiles them with a V8 code cache (src/launcher.ts).
// FLYTE_DOCTOR_SINGLE_FILE=1 builds everything into the one file instead (for comparison in bench/);
// FD_NO_MINIFY=1 keeps names and lines (for reading a --cpu-prof profile).
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { resolve as resolvePath, dirname } from 'node:path';

// The heavy SDKs, by the specifier src/ imports them with (always a dynamic import()), grouped into
// the bundle that holds each: dist/sdk/<group>.cjs is only read and compiled when a check reaches it.
const SDK_GROUPS = {
  azure: ['@azure/identity', '@azure/storage-blob'],
  gcs: ['@google-cloud/storage'],
  grpc: ['@grpc/grpc-js'],
  pg: ['pg'],
};
const groupOf = new Map(Object.entries(SDK_GROUPS).flatMap(([g, specs]) => specs.map((s) => [s, g])));
// Groups built from a file of flyte-doctor's own that re-exports only the names its checks use
// (src/sdk/<group>.ts): esbuild then leaves the rest of the SDK out, and its set-up cost with it.
// src/ imports the SDK through that file; dist/sdk/<group>.cjs is built from it.
const SDK_FACADES = { aws: 'src/sdk/aws.ts', undici: 'src/sdk/undici.ts' };
const facadeOf = new Map(Object.entries(SDK_FACADES).map(([g, f]) => [resolvePath(f), g]));
const req = createRequire(import.meta.url);
// CommonJS output, so that src/launcher.ts can compile each file with a V8 code cache on every Node
// (Node 20 has no compile cache for ES modules). esbuild cannot split CommonJS output, so the lazy
// loading is by hand: an import('<sdk>') in src/ becomes require('./sdk/<group>.cjs')['<sdk>'](), a
// separate bundle whose entry is generated here; inside it the SDK resolves normally. What the
// import() resolves to is unchanged: the package's module namespace, as when it was bundled inline.
const sdkSplit = {
  name: 'sdk-split',
  setup(b) {
    const specs = [...groupOf.keys()];
    const filter = new RegExp(`^(${specs.map((n) => n.replace(/[/.]/g, '\\$&')).join('|')})$`);
    b.onResolve({ filter: /^sdk-entry:/ }, (a) => ({ path: a.path.slice('sdk-entry:'.length), namespace: 'sdk-entry' }));
    b.onLoad({ filter: /.*/, namespace: 'sdk-entry' }, (a) => ({
      contents: `module.exports = {\n${SDK_GROUPS[a.path].map((s) => `  ${JSON.stringify(s)}: () => require(${JSON.stringify(s)}),`).join('\n')}\n};\n`,
      resolveDir: process.cwd(), loader: 'js',
    }));
    // only imports from flyte-doctor's own code are redirected; inside node_modules and the sdk entries they resolve as usual
    b.onResolve({ filter }, (a) => (a.namespace !== 'file' || a.importer.includes('node_modules') ? undefined : { path: a.path, namespace: 'sdk-ref' }));
    // an ES module re-exporting the SDK (made once, on the first import()): an import() of a
    // CommonJS module would copy its hundreds of exports again on every call (~15 ms a preflight)
    b.onLoad({ filter: /.*/, namespace: 'sdk-ref' }, (a) => ({
      contents: `export * from ${JSON.stringify(`sdk-shim:${a.path}`)};\nexport { default } from ${JSON.stringify(`sdk-shim:${a.path}`)};\n`, loader: 'js', resolveDir: process.cwd(),
    }));
    // an import() of a facade (src/sdk/<group>.js) from the CLI: the group's bundle, required on first use
    b.onResolve({ filter: /[\\/]sdk[\\/][a-z]+\.js$/ }, (a) => {
      if (a.namespace !== 'file' || a.importer.includes('node_modules')) return undefined;
      const g = facadeOf.get(resolvePath(dirname(a.importer), a.path.replace(/\.js$/, '.ts')));
      return g && !a.importer.endsWith(SDK_FACADES[g]) ? { path: g, namespace: 'sdk-facade' } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'sdk-facade' }, (a) => ({
      contents: `module.exports = require(${JSON.stringify(`./sdk/${a.path}.cjs`)});\n`, loader: 'js', resolveDir: process.cwd(),
    }));
    b.onResolve({ filter: /^sdk-shim:/ }, (a) => ({ path: a.path.slice('sdk-shim:'.length), namespace: 'sdk-shim' }));
    b.onLoad({ filter: /.*/, namespace: 'sdk-shim' }, (a) => ({
      contents: `module.exports = require(${JSON.stringify(`./sdk/${groupOf.get(a.path)}.cjs`)})[${JSON.stringify(a.path)}]();\n`, loader: 'js', resolveDir: process.cwd(),
    }));
    b.onResolve({ filter: /^\.\/sdk\/[a-z]+\.cjs$/ }, (a) => (a.namespace === 'sdk-shim' || a.namespace === 'sdk-facade' ? { path: a.path, external: true } : undefined));
  },
};

// An import() of a Node built-in in flyte-doctor's own code (the lazy `await import('node:tls')`)
// becomes `__toESM(require('node:tls'))` in CommonJS output, which copies every export of the
// built-in into a new object on every call (~8 ms of a verify: readBundle alone runs per TLS check).
// Each is redirected to an ES module re-exporting the built-in, made once on its first import().
const builtinOnce = {
  name: 'builtin-once',
  setup(b) {
    b.onResolve({ filter: /^node:[a-z0-9_/]+$/ }, (a) => (a.kind !== 'dynamic-import' || a.importer.includes('node_modules') ? undefined : { path: a.path, namespace: 'builtin-ref' }));
    b.onLoad({ filter: /.*/, namespace: 'builtin-ref' }, (a) => ({
      contents: `export * from ${JSON.stringify(a.path)};\nexport { default } from ${JSON.stringify(a.path)};\n`, loader: 'js', resolveDir: process.cwd(),
    }));
  },
};

// Start-up work some packages do at load time, for something flyte-doctor never or rarely needs,
// made lazy at build time. Each patch names the exact text it replaces: a changed package fails the
// build here, loudly, instead of silently keeping the cost.
const LOAD_TIME_PATCHES = [
  {
    // string-width (yargs' help layout, via cliui and wrap-ansi; three copies) builds an ICU
    // grapheme segmenter when loaded: ~11 ms on every run, for help text that is rarely rendered.
    file: /[\\/]string-width[\\/]index\.js$/,
    from: 'const segmenter = new Intl.Segmenter();',
    to: 'let segmenter_; const segmenter = { segment: (s) => (segmenter_ ??= new Intl.Segmenter()).segment(s) };',
  },
  {
    // yargs imports Node's assert module (~2 ms to load on every run) for two internal invariant
    // checks (assertNotStrictEqual / assertSingleKey): the same checks, without the module.
    file: /[\\/]yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/,
    from: "import { notStrictEqual, strictEqual } from 'assert'",
    to: "const notStrictEqual = (a, b, m) => { if (a === b) throw new Error(m ?? `expected a value other than ${String(b)}`); }; const strictEqual = (a, b, m) => { if (a !== b) throw new Error(m ?? `expected ${String(b)}, got ${String(a)}`); };",
  },
  {
    // pg asks "is this a Cloudflare Worker?" when loaded by constructing a fetch Response, which
    // loads Node's bundled undici on Node 20 (~12 ms). flyte-doctor runs on Node only.
    file: /[\\/]pg[\\/]lib[\\/]stream\.js$/,
    from: 'if (isCloudflareRuntime()) {',
    to: 'if (false) {',
  },
];
// string-width's regular expressions with the v flag and Unicode properties cost ~40 ms to create on
// Node 20 (its ICU sets), at load time, for help text that is rarely rendered: each becomes an object
// that builds it on first use. Only .test(x) and x.search(re) use them; anything else fails the build.
function lazyVFlagRegexes(src, path) {
  const defs = [...src.matchAll(/^const (\w+) = (\/.*\/v);$/gm)];
  if (!defs.length) throw new Error(`${path}: no v-flag regular expression constants left; update lazyVFlagRegexes in scripts/build.mjs`);
  for (const [line, name, re] of defs) {
    const uses = [...src.matchAll(new RegExp(`\\b${name}\\b`, 'g'))].length - 1;
    const known = [...src.matchAll(new RegExp(`\\b${name}\\.test\\(|\\.search\\(${name}\\)`, 'g'))].length;
    if (uses !== known) throw new Error(`${path}: ${name} is used other than by .test() / .search(); update lazyVFlagRegexes in scripts/build.mjs`);
    src = src.replace(line, `let ${name}_; const ${name} = { test: (s) => (${name}_ ??= ${re}).test(s), [Symbol.search]: (s) => s.search(${name}_ ??= ${re}) };`);
  }
  return src;
}
// One onLoad for every patched file: each patch whose file matches applies, in order. string-width
// also gets its v-flag regular expressions made lazy (only the copy that has them).
const loadTimePatches = {
  name: 'load-time-patches',
  setup(b) {
    const filter = new RegExp(LOAD_TIME_PATCHES.map((p) => p.file.source).join('|'));
    b.onLoad({ filter }, (a) => {
      let src = readFileSync(a.path, 'utf8');
      for (const p of LOAD_TIME_PATCHES) {
        if (!p.file.test(a.path)) continue;
        if (!src.includes(p.from)) throw new Error(`${a.path}: "${p.from}" is gone; update LOAD_TIME_PATCHES in scripts/build.mjs`);
        src = src.replace(p.from, p.to);
      }
      if (/[\\/]string-width[\\/]index\.js$/.test(a.path) && /\/v;$/m.test(src)) src = lazyVFlagRegexes(src, a.path);
      return { contents: src, loader: 'js' };
    });
  },
};

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const single = process.env.FLYTE_DOCTOR_SINGLE_FILE === '1';
// Built into a directory of its own beside dist/ (same file system) and swapped in at the end (two
// renames): a build never leaves dist/ missing or half-written for a CLI or test that runs it
// meanwhile, and a failed build leaves the previous dist/ in place.
const out = `.dist-build-${process.pid}`;
rmSync(out, { recursive: true, force: true });
process.on('exit', () => rmSync(out, { recursive: true, force: true }));
const t0 = Date.now();
// The built-in checks' vocabulary (src/main.ts checkWords), computed here once instead of on every run.
const vocabScript = `${out}-vocabulary.cjs`;
process.on('exit', () => rmSync(vocabScript, { force: true }));
await build({
  stdin: { contents: "import { builtinChecks } from './checks/index.ts'; import { checkWords } from './src/main.ts'; process.stdout.write(checkWords(builtinChecks).join(' '));", resolveDir: process.cwd(), loader: 'ts' },
  outfile: vocabScript, bundle: true, platform: 'node', format: 'cjs', target: 'node20.19', packages: 'external', logLevel: 'warning',
  define: { __FLYTE_DOCTOR_VERSION__: JSON.stringify(pkg.version) },
});
const vocabulary = execFileSync(process.execPath, [vocabScript], { encoding: 'utf8' });
if (!/^[a-z0-9]{4,}( [a-z0-9]{4,}){100,}$/.test(vocabulary)) throw new Error(`the built-in checks' vocabulary looks wrong: ${vocabulary.slice(0, 200)}`);
const result = await build({
  entryPoints: single ? { cli: 'src/cli.ts' } : {
    cli: 'src/cli.ts',
    ...Object.fromEntries(Object.keys(SDK_GROUPS).map((g) => [`sdk/${g}`, `sdk-entry:${g}`])),
    ...Object.fromEntries(Object.entries(SDK_FACADES).map(([g, f]) => [`sdk/${g}`, f])),
  },
  outdir: out,
  outExtension: { '.js': '.cjs' },
  entryNames: '[dir]/[name]',
  bundle: true,
  platform: 'node',
  // prefer the packages' ES module builds (the AWS SDK's dist-es): real named exports, better tree-shaking
  mainFields: ['module', 'main'],
  plugins: single ? [builtinOnce, loadTimePatches] : [builtinOnce, sdkSplit, loadTimePatches],
  format: 'cjs',
  // every import() becomes a require() inside the bundle (a vm.Script has no ES module loader); a
  // plugin module (src/plugins.ts) is imported through the launcher's own import(). Node 20.19 has
  // the regular expression v flag and property escapes: kept as literals, they are compiled on first
  // use instead of by a new RegExp() at load time (string-width's emoji set: ~2-15 ms per run).
  supported: { 'dynamic-import': false, 'regexp-set-notation': true, 'regexp-unicode-property-escapes': true },
  target: 'node20.19',
  minify: !process.env.FD_NO_MINIFY,
  // ASCII only (non-ASCII escaped): the launcher reads the files as latin1, the cheapest decoding
  charset: 'ascii',
  sourcemap: false,
  legalComments: 'none',
  metafile: true,
  define: { __FLYTE_DOCTOR_VERSION__: JSON.stringify(pkg.version), __FLYTE_DOCTOR_VOCABULARY__: JSON.stringify(vocabulary), 'import.meta.url': '__fd_import_meta_url' },
  // ES module packages bundled into CommonJS: import.meta.url is the file's own URL
  banner: { js: "var __fd_import_meta_url=require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});
// charset 'ascii' escapes strings and templates, not regular expression literals: escape what is left
// (\uXXXX means the same inside a regular expression), so that every file is ASCII for the launcher.
for (const f of Object.keys(result.metafile.outputs)) {
  const text = readFileSync(f, 'utf8');
  if (/[^\x00-\x7f]/.test(text)) writeFileSync(f, text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
const buildId = createHash('sha256').update(Object.keys(result.metafile.outputs).sort().map((f) => readFileSync(f)).reduce((a, b) => Buffer.concat([a, b]), Buffer.alloc(0))).digest('hex').slice(0, 16);
// The launcher (what `bin` points to): answers a bare --version/--help from text captured from the
// CLI just built, and runs dist/cli.cjs (through the code cache) for everything else.
const help = execFileSync(process.execPath, [`${out}/cli.cjs`, '--help'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
await build({
  entryPoints: ['src/launcher.ts'], outfile: `${out}/flyte-doctor.mjs`, bundle: true, platform: 'node', format: 'esm', target: 'node20.19',
  minify: true, logLevel: 'warning',
  define: { __FLYTE_DOCTOR_VERSION__: JSON.stringify(pkg.version), __FLYTE_DOCTOR_HELP__: JSON.stringify(help), __FLYTE_DOCTOR_BUILD_ID__: JSON.stringify(buildId) },
  banner: { js: '#!/usr/bin/env node' },
});
chmodSync(`${out}/flyte-doctor.mjs`, 0o755);
// Which npm packages each output file holds (tests and bench/ use it to prove `--version` loads no SDK).
const pkgOf = (input) => { const m = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/); return m ? m[1] : 'flyte-doctor'; };
const manifest = Object.fromEntries(Object.entries(result.metafile.outputs).map(([f, o]) => [f.slice(out.length + 1), [...new Set(Object.keys(o.inputs).map(pkgOf))].sort()]));
writeFileSync(`${out}/bundle-manifest.json`, JSON.stringify(manifest, null, 2) + '\n');
const old = `${out}-old`;
if (existsSync('dist')) renameSync('dist', old);
renameSync(out, 'dist');
rmSync(old, { recursive: true, force: true });
const outs = Object.entries(result.metafile.outputs).map(([f, o]) => [f, o.bytes]);
const entry = outs.find(([f]) => f.endsWith('cli.cjs'));
console.log(`built dist/flyte-doctor.mjs (launcher) + dist/cli.cjs (${(entry[1] / 1024).toFixed(0)} KiB${single ? ', single file' : `, + ${outs.length - 1} lazily loaded SDK bundles ${(outs.filter(([f]) => f !== entry[0]).reduce((s, [, b]) => s + b, 0) / 1048576).toFixed(1)} MiB`}) in ${Date.now() - t0} ms`);
