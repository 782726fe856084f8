// Reads bench/results (hyperfine JSON, rss.tsv, scale.tsv, machine.txt) and prints a markdown
// summary with every target of issue 7 marked met / MISSED. Sections that were not run are left out.
// Usage: node bench/summarize.mjs <results-dir>
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'bench/results';
const read = (f) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : undefined);
const hf = (name) => { const t = read(`${name}.json`); return t ? JSON.parse(t).results : undefined; };
const pick = (res, label) => res?.find((r) => r.command === label);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const s = (x) => (x >= 1 ? `${x.toFixed(2)} s` : `${(x * 1000).toFixed(0)} ms`);
const mb = (kb) => `${(kb / 1024).toFixed(0)} MB`;
const mark = (ok) => (ok ? 'met' : '**MISSED**');
const spread = (r) => `${s(r.median)} (min ${s(r.min)}, max ${s(r.max)}, n=${r.times.length})`;

const rss = new Map();
for (const line of (read('rss.tsv') ?? '').split('\n').filter(Boolean)) {
  const [label, kb, wall, code] = line.split('\t');
  const e = rss.get(label) ?? { kb: [], wall: [], codes: [] };
  e.kb.push(Number(kb)); e.wall.push(Number(wall)); e.codes.push(Number(code));
  rss.set(label, e);
}
const rssMedian = (label) => (rss.has(label) ? median(rss.get(label).kb) : undefined);

const out = ['# flyte-doctor bench results', ''];
const machine = read('machine.txt');
if (machine) out.push('```', machine.trim(), '```', '');
const targets = [];

const cold = hf('coldstart');
if (cold) {
  const base = pick(cold, 'node -e 0');
  out.push('## Cold start (median wall)', '', '| command | median | ratio to `node -e 0` |', '| --- | --- | --- |');
  for (const r of cold) out.push(`| \`${r.command}\` | ${spread(r)} | ${(r.median / base.median).toFixed(2)}× |`);
  for (const l of ['flyte-doctor --version', 'flyte-doctor --help']) {
    const r = pick(cold, l); const ratio = r.median / base.median;
    targets.push([`cold start \`${l}\` ≤ 1.3× \`node -e 0\``, `${ratio.toFixed(2)}× (${s(r.median)} vs ${s(base.median)})`, mark(ratio <= 1.3)]);
  }
  const single = hf('coldstart-single');
  if (single) {
    const b2 = pick(single, 'node -e 0');
    out.push('', 'Single-file build (everything in one file, `FLYTE_DOCTOR_SINGLE_FILE=1`) in the same conditions:', '', '| command | median | ratio to `node -e 0` |', '| --- | --- | --- |');
    for (const r of single) out.push(`| \`${r.command}\` | ${spread(r)} | ${(r.median / b2.median).toFixed(2)}× |`);
  }
  const sizes = read('bundle-sizes.txt');
  if (sizes) out.push('', 'Bundle sizes (bytes): ' + sizes.trim().split('\n').map((l) => `\`${l.split(' ')[1]}\` ${l.split(' ')[0]}`).join(', '));
  out.push('');
}

const pf = hf('preflight');
if (pf) {
  const r = pf[0];
  out.push('## Full preflight, healthy test bed', '', `median ${spread(r)}; exit codes ${[...new Set(r.exit_codes)].join(',')}`, '');
  targets.push(['full preflight ≤ 0.8 s', s(r.median), mark(r.median <= 0.8)]);
}

const rb = hf('runbook');
if (rb) {
  const book = pick(rb, 'runbook.sh'), pre = pick(rb, 'flyte-doctor preflight'), ver = pick(rb, 'flyte-doctor verify');
  out.push('## Runbook (real CLIs) vs flyte-doctor', '', '| command | median | runbook ÷ this |', '| --- | --- | --- |');
  for (const r of rb) out.push(`| ${r.command} | ${spread(r)} | ${(book.median / r.median).toFixed(1)}× |`);
  const steps = read('runbook-steps.txt');
  if (steps) out.push('', 'Runbook steps (one run, after a warm-up run):', '', '```', steps.trim(), '```');
  out.push('');
  targets.push(['runbook ÷ flyte-doctor preflight ≥ 5×', `${(book.median / pre.median).toFixed(1)}× (${s(book.median)} vs ${s(pre.median)})`, mark(book.median / pre.median >= 5)]);
  if (ver) targets.push(['runbook ÷ flyte-doctor verify ≥ 5× (verify covers the runbook\'s ingress/TLS/gRPC steps)', `${(book.median / ver.median).toFixed(1)}× (${s(book.median)} vs ${s(ver.median)})`, mark(book.median / ver.median >= 5)]);
}

const st = hf('stall');
if (st) {
  out.push('## Every endpoint stalled, `--timeout 2s`', '', '| command | median |', '| --- | --- |');
  for (const r of st) out.push(`| ${r.command} | ${spread(r)} |`);
  out.push('');
  for (const r of st) if (!r.command.includes('--concurrency')) targets.push([`${r.command} ≤ 2.3 s`, s(r.median), mark(r.median <= 2.3)]);
}

if (rss.size) {
  out.push('## Peak RSS (median of `/usr/bin/time -v` maximum resident set size)', '', '| command | peak RSS | wall (median) | runs |', '| --- | --- | --- | --- |');
  for (const [label, e] of rss) out.push(`| ${label} | ${mb(median(e.kb))} | ${s(median(e.wall))} | ${e.kb.length} |`);
  out.push('');
  const p = rssMedian('preflight');
  if (p) targets.push(['peak RSS of a full preflight (reported)', mb(p), 'reported']);
}

const scaleRows = (read('scale.tsv') ?? '').split('\n').filter(Boolean).map((l) => { const [size, counts] = l.split('\t'); return { size: Number(size), counts: JSON.parse(counts) }; });
if (scaleRows.length) {
  out.push('## Scale: `verify` against a private kube-apiserver', '', '| load (pods + namespaces) | verify median | peak RSS | time above the empty cluster |', '| --- | --- | --- | --- |');
  const base = pick(hf(`scale-${scaleRows[0].size}`), `verify (${scaleRows[0].size})`);
  const rows = [];
  for (const { size, counts } of scaleRows) {
    const r = pick(hf(`scale-${size}`), `verify (${size})`);
    if (!r) continue;
    const kb = rssMedian(`scale-${size}`);
    rows.push({ size, r, kb });
    out.push(`| ${counts.pods} pods + ${counts.namespaces} ns | ${spread(r)} | ${kb ? mb(kb) : '?'} | ${s(Math.max(0, r.median - base.median))} |`);
  }
  out.push('');
  const topRow = rows.at(-1);
  if (topRow && topRow.size >= 10000) {
    targets.push([`verify at ${topRow.size} pods ≤ 3 s`, s(topRow.r.median), mark(topRow.r.median <= 3)]);
    targets.push([`verify at ${topRow.size} pods ≤ 150 MB peak RSS`, topRow.kb ? mb(topRow.kb) : '?', mark((topRow.kb ?? Infinity) <= 150 * 1024)]);
  }
  // at most linear: the increment over the empty cluster per 1,000 pods must not grow with size (20% noise allowance + 50 ms)
  const inc = rows.filter((x) => x.size > 0).map((x) => ({ size: x.size, per1k: (Math.max(0, x.r.median - base.median) * 1000) / x.size }));
  if (inc.length >= 2) {
    const small = inc.at(-2), big = inc.at(-1);
    const bigInc = big.per1k * big.size / 1000, linearBound = small.per1k * big.size / 1000 * 1.2 + 0.05;
    targets.push([`growth at most linear (${small.size} → ${big.size})`, `+${s(bigInc)} at ${big.size} vs linear bound ${s(linearBound)} (${inc.map((x) => `${x.size}: ${(x.per1k * 1000).toFixed(0)} ms/1k pods`).join(', ')})`, mark(bigInc <= linearBound)]);
  }
}

out.push('## Targets', '', '| target | measured | |', '| --- | --- | --- |', ...targets.map((t) => `| ${t.join(' | ')} |`), '');
process.stdout.write(`${out.join('\n')}\n`);
