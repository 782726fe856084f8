// What loading each lazily imported SDK chunk costs on its own: wall time of `import()` (compile +
// evaluate, the chunk's own static imports included) and the RSS it adds, each in a fresh Node,
// median of `runs`. Prints a markdown table. Usage: node bench/chunk-cost.mjs <dist-dir> [runs=5]
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [dist, runsArg] = process.argv.slice(2);
if (!dist) { process.stderr.write('usage: node bench/chunk-cost.mjs <dist-dir> [runs]\n'); process.exit(2); }
const runs = Number(runsArg ?? 5);
const manifest = JSON.parse(readFileSync(join(dist, 'bundle-manifest.json'), 'utf8'));
const SDKS = ['@kubernetes/client-node', '@aws-sdk/client-s3', '@google-cloud/storage', 'pg', '@grpc/grpc-js', '@flyteorg/flyteidl', 'undici', 'yaml'];
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const probe = `const t=process.hrtime.bigint();const r0=process.memoryUsage().rss;import(process.argv[1]).then(()=>{process.stdout.write(JSON.stringify({ms:Number(process.hrtime.bigint()-t)/1e6,mb:(process.memoryUsage().rss-r0)/1048576}))})`;

const rows = [];
for (const c of SDKS.map((sdk) => ({ sdk, file: Object.entries(manifest).find(([f, p]) => f.startsWith('chunks/') && p.includes(sdk))?.[0] })).filter((c) => c.file)) {
  const abs = resolve(dist, c.file);
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, ['-e', probe, pathToFileURL(abs).href], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    samples.push(JSON.parse(out.slice(out.indexOf('{'))));
  }
  rows.push({ ...c, kib: statSync(abs).size / 1024, ms: median(samples.map((s) => s.ms)), mb: median(samples.map((s) => s.mb)) });
}
const out = ['| chunk | holds | size | import() alone (median) | RSS added |', '| --- | --- | --- | --- | --- |'];
for (const r of rows) out.push(`| \`${r.file}\` | ${r.sdk} | ${r.kib.toFixed(0)} KiB | ${r.ms.toFixed(0)} ms | ${r.mb.toFixed(0)} MB |`);
process.stdout.write(`${out.join('\n')}\n`);
