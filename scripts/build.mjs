// Bundles the CLI with esbuild into dist/ (dist/flyte-doctor.mjs is the file `bin` points to).
// Heavy SDKs are only reached through dynamic import() in src/clients/*, so with code splitting
// each lands in its own lazily loaded chunk next to the entry: `--version`/`--help` parse only the
// entry (yargs, yaml, the engine and the checks), never client-node, the AWS/GCS SDKs, pg or grpc-js.
// FLYTE_DOCTOR_SINGLE_FILE=1 builds everything into the one file instead (for comparison in bench/).
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

// esbuild gives a dynamic import() of a CommonJS package only `default` when the importer is an ES
// module ("node mode"), where Node itself also finds the named exports (cjs-module-lexer), so
// `const { Agent } = await import('undici')` works in tests and breaks in the bundle. This plugin
// puts the named exports back for the CommonJS packages the clients import.
const CJS_NAMED = ['undici', '@grpc/grpc-js', 'yaml', 'pg'];
const req = createRequire(import.meta.url);
const cjsNamedExports = {
  name: 'cjs-named-exports',
  setup(b) {
    const filter = new RegExp(`^(${CJS_NAMED.map((n) => n.replace(/[/.]/g, '\\$&')).join('|')})$`);
    b.onResolve({ filter }, (a) => (a.namespace === 'cjs-named' ? undefined : { path: a.path, namespace: 'cjs-named' }));
    b.onLoad({ filter: /.*/, namespace: 'cjs-named' }, (a) => {
      const names = Object.keys(req(a.path)).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default');
      return { contents: `const m = require(${JSON.stringify(a.path)});\nexport default m;\nexport const { ${names.join(', ')} } = m;\n`, resolveDir: process.cwd(), loader: 'js' };
    });
  },
};

// grpc-health-check reads its .proto file from its own directory when it is loaded
// (proto-loader's loadSync with includeDirs: [`${__dirname}/../../proto`]), which a bundle cannot
// follow. This plugin parses that .proto at build time, with the package's own loader and options,
// and swaps the call for proto-loader's fromJSON of the result: the same package definition, no
// file read at run time, so grpc-health-check is bundled like everything else and the published
// package needs no dependency at all. A changed grpc-health-check fails the build here, loudly.
const inlineHealthProto = {
  name: 'inline-health-proto',
  setup(b) {
    b.onLoad({ filter: /[\\/]grpc-health-check[\\/]build[\\/]src[\\/]health\.js$/ }, (a) => {
      const src = readFileSync(a.path, 'utf8');
      const call = /\(0, proto_loader_1\.loadSync\)\(('[^']+\.proto'), (\{[\s\S]*?\n\})\)/;
      const m = src.match(call);
      if (!m) throw new Error(`${a.path}: the proto-loader loadSync call this build inlines is gone; update scripts/build.mjs (inline-health-proto)`);
      const options = new Function('__dirname', `return ${m[2]}`)(dirname(a.path));
      const loaderUtil = createRequire(createRequire(a.path).resolve('@grpc/proto-loader'))('./util.js');
      const json = loaderUtil.loadProtosWithOptionsSync(JSON.parse(m[1].replace(/'/g, '"')), options).toJSON();
      // the same options text (longs: String, enums: String are functions); fromJSON ignores includeDirs
      return { contents: src.replace(call, `(0, proto_loader_1.fromJSON)(${JSON.stringify(json)}, ${m[2]})`), loader: 'js' };
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
const result = await build({
  entryPoints: { cli: 'src/cli.ts' },
  outdir: out,
  outExtension: { '.js': '.mjs' },
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: !single,
  platform: 'node',
  // prefer the packages' ES module builds (the AWS SDK's dist-es): real named exports, better tree-shaking
  mainFields: ['module', 'main'],
  plugins: [cjsNamedExports, inlineHealthProto],
  format: 'esm',
  target: 'node20.19',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  metafile: true,
  define: { __FLYTE_DOCTOR_VERSION__: JSON.stringify(pkg.version) },
  // CommonJS dependencies inside an ESM bundle need require/__dirname.
  banner: { js: "import{createRequire as __cr}from'node:module';import{fileURLToPath as __fu}from'node:url';import{dirname as __dn}from'node:path';const require=__cr(import.meta.url);const __filename=__fu(import.meta.url);const __dirname=__dn(__filename);" },
  logLevel: 'warning',
});
// The launcher (what `bin` points to): answers a bare --version/--help from text captured from the
// CLI just built, and imports dist/cli.mjs for everything else.
const help = execFileSync(process.execPath, [`${out}/cli.mjs`, '--help'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
await build({
  entryPoints: ['src/launcher.ts'], outfile: `${out}/flyte-doctor.mjs`, bundle: true, platform: 'node', format: 'esm', target: 'node20.19',
  minify: true, logLevel: 'warning', external: ['./cli.mjs'],
  define: { __FLYTE_DOCTOR_VERSION__: JSON.stringify(pkg.version), __FLYTE_DOCTOR_HELP__: JSON.stringify(help) },
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
const entry = outs.find(([f]) => f.endsWith('cli.mjs'));
console.log(`built dist/flyte-doctor.mjs (launcher) + dist/cli.mjs (${(entry[1] / 1024).toFixed(0)} KiB${single ? ', single file' : `, + ${outs.length - 1} lazy chunks ${(outs.filter(([f]) => f !== entry[0]).reduce((s, [, b]) => s + b, 0) / 1048576).toFixed(1)} MiB`}) in ${Date.now() - t0} ms`);
