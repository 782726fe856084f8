// What loading each lazily loaded SDK bundle costs on its own (dist/sdk/<group>.cjs): wall time of
// requiring it and evaluating every SDK it holds (compile + evaluate, without the launcher's code
// cache: what a first run pays) and the RSS it adds, each in a fresh Node, median of `runs`. Prints
// a markdown table. Usage: node bench/chunk-cost.mjs <dist-dir> [runs=5]
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const [dist, runsArg] = process.argv.slice(2);
if (!dist) { process.stderr.write('usage: node bench/chunk-cost.mjs <dist-dir> [runs]\n'); process.exit(2); }
const runs = Number(runsArg ?? 5);
const manifest = JSON.parse(readFileSync(join(dist, 'bundle-manifest.json'), 'utf8'));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
// require the bundle, then call each SDK's thunk (what an import() of that SDK does in the CLI). A
// bundle built from a file of flyte-doctor's own (src/sdk/<group>.ts) exports the SDK's classes and
// functions themselves, set up when required: it has no thunks (zero-argument functions, not classes).
const probe = `const t=process.hrtime.bigint();const r0=process.memoryUsage().rss;const m=require(process.argv[1]);for(const f of Object.values(m))if(typeof f==='function'&&f.length===0&&!/^class\\b/.test(Function.prototype.toString.call(f)))f();process.stdout.write(JSON.stringify({ms:Number(process.hrtime.bigint()-t)/1e6,mb:(process.memoryUsage().rss-r0)/1048576}))`;

const rows = [];
for (const file of Object.keys(manifest).filter((f) => f.startsWith('sdk/'))) {
  const abs = resolve(dist, file);
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, ['-e', probe, abs], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    samples.push(JSON.parse(out.slice(out.indexOf('{'))));
  }
  const sdks = manifest[file].filter((p) => /^(@aws-sdk\/client-s3|@azure\/storage-blob|@google-cloud\/storage|@grpc\/grpc-js|@flyteorg\/flyteidl|pg|undici)$/.test(p));
  rows.push({ file, sdks: sdks.join(', '), kib: statSync(abs).size / 1024, ms: median(samples.map((s) => s.ms)), mb: median(samples.map((s) => s.mb)) });
}
const out = ['| bundle | holds | size | load alone, no code cache (median) | RSS added |', '| --- | --- | --- | --- | --- |'];
for (const r of rows) out.push(`| \`${r.file}\` | ${r.sdks} | ${r.kib.toFixed(0)} KiB | ${r.ms.toFixed(0)} ms | ${r.mb.toFixed(0)} MB |`);
process.stdout.write(`${out.join('\n')}\n`);
