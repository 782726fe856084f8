// Summarises a V8 .cpuprofile (node --cpu-prof): total sampled time, self time per output file of
// the bundle (with the npm packages each file holds, from dist/bundle-manifest.json) and the top
// self-time functions. Usage: node bench/cpuprofile-top.mjs <file.cpuprofile> [top=25]
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [file, topArg] = process.argv.slice(2);
if (!file) { process.stderr.write('usage: node bench/cpuprofile-top.mjs <file.cpuprofile> [top]\n'); process.exit(2); }
// (a second profile file in the arguments is not a count)
const top = /^\d+$/.test(topArg ?? '') ? Number(topArg) : 25;
const prof = JSON.parse(readFileSync(file, 'utf8'));
const manifestFile = join(process.env.BENCH_DIST ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'dist'), 'bundle-manifest.json');
const manifest = existsSync(manifestFile) ? JSON.parse(readFileSync(manifestFile, 'utf8')) : {};

// self time per node = sum of its samples' time deltas
const self = new Map();
prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);

const where = (url) => {
  if (!url) return '(native/vm)';
  const m = url.match(/\/dist\/(.+)$/);
  if (m) return `dist/${m[1]}`;
  if (url.startsWith('node:')) return url;
  const nm = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  return nm ? `node_modules/${nm[1]}` : basename(url);
};
const byFn = new Map(), byFile = new Map();
for (const n of prof.nodes) {
  const t = self.get(n.id) ?? 0;
  if (!t) continue;
  const cf = n.callFrame;
  const loc = where(cf.url);
  const key = `${cf.functionName || '(anonymous)'}  ${loc}${cf.url ? `:${cf.lineNumber + 1}:${cf.columnNumber + 1}` : ''}`;
  byFn.set(key, (byFn.get(key) ?? 0) + t);
  byFile.set(loc, (byFile.get(loc) ?? 0) + t);
}
const ms = (us) => (us / 1000).toFixed(1).padStart(8);
const pct = (us) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
const out = [`# ${file}`, `sampled: ${(total / 1000).toFixed(1)} ms of CPU on the main thread (wall ${((prof.endTime - prof.startTime) / 1000).toFixed(1)} ms)`, '', '## self time by file', ''];
for (const [f, t] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
  const pk = manifest[f.replace(/^dist\//, '')];
  out.push(`${ms(t)} ms ${pct(t)}  ${f}${pk ? `  [${pk.join(', ')}]` : ''}`);
}
out.push('', `## top ${top} functions by self time`, '');
for (const [k, t] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) out.push(`${ms(t)} ms ${pct(t)}  ${k}`);
process.stdout.write(`${out.join('\n')}\n`);
