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
  targets.push(['full preflight ≤ 0.3 s (issue 15)', s(r.median), mark(r.median <= 0.3)]);
  const cold = pf.find((x) => x.command.startsWith('preflight, no code cache'));
  if (cold) targets.push(['full preflight, no code cache (a first run; reported)', s(cold.median), 'reported']);
}

const nodes = (read('nodes.tsv') ?? '').split('\n').filter(Boolean).map((l) => l.split('\t')).map(([v, name]) => ({ v, res: hf(name) })).filter((x) => x.res);
if (nodes.length) {
  // issue 15's goals, per supported Node (the same build, the healthy test bed)
  out.push('## Per Node version, healthy test bed (median wall)', '', '| Node | `node -e 0` | preflight | verify |', '| --- | --- | --- | --- |');
  for (const { v, res } of nodes) {
    const [n0, p, vf] = ['node -e 0', 'preflight', 'verify'].map((l) => pick(res, l));
    if (!n0 || !p || !vf) continue;
    out.push(`| ${v} | ${s(n0.median)} | ${spread(p)} | ${spread(vf)} |`);
    targets.push([`preflight ≤ 0.3 s on Node ${v} (issue 15)`, s(p.median), mark(p.median <= 0.3)]);
    targets.push([`verify ≤ 0.4 s on Node ${v} (issue 15)`, s(vf.median), mark(vf.median <= 0.4)]);
  }
  out.push('');
}

const rb = hf('runbook');
if (rb) {
  // issue 15: per phase, >= 5x faster than the runbook typed one step after the other, >= 3x than with every independent step in the background
  out.push('## Runbook (real CLIs) vs flyte-doctor, per phase', '', '| command | median | ÷ flyte-doctor of the phase |', '| --- | --- | --- |');
  for (const phase of ['preflight', 'verify']) {
    const fd = pick(rb, `flyte-doctor ${phase}`), seq = pick(rb, `runbook ${phase} (sequential)`), par = pick(rb, `runbook ${phase} (parallel)`);
    if (!fd || !seq || !par) continue;
    for (const r of [seq, par, fd]) out.push(`| ${r.command} | ${spread(r)} | ${(r.median / fd.median).toFixed(1)}× |`);
    if (phase === 'verify') targets.push(['full verify ≤ 0.4 s (issue 15; the runbook section\'s runs)', s(fd.median), mark(fd.median <= 0.4)]);
    targets.push([`sequential runbook ÷ flyte-doctor ${phase} ≥ 5×`, `${(seq.median / fd.median).toFixed(1)}× (${s(seq.median)} vs ${s(fd.median)})`, mark(seq.median / fd.median >= 5)]);
    targets.push([`parallel runbook ÷ flyte-doctor ${phase} ≥ 3×`, `${(par.median / fd.median).toFixed(1)}× (${s(par.median)} vs ${s(fd.median)})`, mark(par.median / fd.median >= 3)]);
  }
  for (const phase of ['preflight', 'verify']) {
    const steps = read(`runbook-steps-${phase}.txt`);
    if (steps) out.push('', `Runbook steps, ${phase} (one sequential run):`, '', '```', steps.trim(), '```');
  }
  out.push('');
}

const st = hf('stall');
if (st) {
  out.push('## Every endpoint stalled, `--timeout 2s`', '', '| command | median |', '| --- | --- |');
  for (const r of st) out.push(`| ${r.command} | ${spread(r)} |`);
  out.push('');
  // issue 15: a fully stalled run ends within the timeout (--timeout 2s) + 0.15 s
  for (const r of st) if (!r.command.includes("--concurrency")) targets.push([`${r.command} ≤ 2.15 s (timeout + 0.15 s)`, s(r.median), mark(r.median <= 2.15)]);
}

const chunks = read('chunk-cost.md');
if (chunks) out.push('## What each lazily loaded SDK bundle costs (fresh Node, no code cache, the bundle alone)', '', chunks.trim(), '');

if (rss.size) {
  out.push('## Peak RSS (median of `/usr/bin/time -v` maximum resident set size)', '', '| command | peak RSS | wall (median) | runs |', '| --- | --- | --- | --- |');
  for (const [label, e] of rss) out.push(`| ${label} | ${mb(median(e.kb))} | ${s(median(e.wall))} | ${e.kb.length} |`);
  out.push('');
  const p = rssMedian('preflight');
  if (p) targets.push(['peak RSS of a full preflight (reported)', mb(p), 'reported']);
}

const scaleRows = (read('scale.tsv') ?? '').split('\n').filter(Boolean).map((l) => { const [size, counts] = l.split('\t'); return { size: Number(size), counts: JSON.parse(counts) }; });
if (scaleRows.length) {
  for (const cmd of ['verify', 'preflight']) {
    const label = (size) => `${cmd} (${size})`;
    const rows = [];
    for (const { size, counts } of scaleRows) {
      const r = pick(hf(`scale-${size}`), label(size));
      if (r) rows.push({ size, counts, r, kb: rssMedian(`scale-${size} ${cmd}`) });
    }
    if (!rows.length) continue;
    const base = rows[0];
    out.push(`## Scale: \`${cmd}\` against a private kube-apiserver`, '', `| load (pods + namespaces + nodes) | ${cmd} median | peak RSS | time above ${base.size} pods |`, '| --- | --- | --- | --- |');
    for (const x of rows) out.push(`| ${x.counts.pods} pods + ${x.counts.namespaces} ns + ${x.counts.nodes ?? 0} nodes | ${spread(x.r)} | ${x.kb ? mb(x.kb) : '?'} | ${s(Math.max(0, x.r.median - base.r.median))} |`);
    out.push('');
    const topRow = rows.at(-1);
    if (topRow.size >= 10000) {
      const tgt = cmd === 'verify' ? '' : ' (reported; the issue names verify)';
      targets.push([`${cmd} at ${topRow.size} pods + ${topRow.counts.namespaces} ns ≤ 3 s${tgt}`, s(topRow.r.median), mark(topRow.r.median <= 3)]);
      // issue 15: verify at 10,000 pods within 120 MiB (preflight: the earlier 150 MB, reported)
      const limit = cmd === 'verify' ? 120 : 150;
      targets.push([`${cmd} at ${topRow.size} pods ≤ ${limit} MiB peak RSS${tgt}`, topRow.kb ? mb(topRow.kb) : '?', mark((topRow.kb ?? Infinity) <= limit * 1024)]);
    }
    // The checks that read the load, from the JSON report of one run per size: their own durations
    // are far less noisy than the process's wall time (which is dominated by loading the SDKs).
    const kubeRows = rows.map((x) => {
      const t = read(`scale-${x.size}-${cmd}-report.json`);
      const rep = t ? JSON.parse(t) : undefined;
      const k = (rep?.results ?? []).filter((c) => /^(kubernetes\.|flyte\.(?!admin\.))/.test(c.id));
      return { size: x.size, checks: k, cap: k.find((c) => c.id === 'kubernetes.capacity.resources') };
    });
    if (kubeRows.some((k) => k.checks.length)) {
      const ids = [...new Set(kubeRows.flatMap((k) => k.checks.map((c) => c.id)))];
      out.push(`Duration of each check that reads the API server in one \`${cmd}\` run per size (ms; status at the top size):`, '', `| check | ${kubeRows.map((k) => `${k.size} pods`).join(' | ')} |`, `| --- | ${kubeRows.map(() => '---').join(' | ')} |`);
      for (const id of ids) out.push(`| ${id} (${kubeRows.at(-1).checks.find((c) => c.id === id)?.status ?? '?'}) | ${kubeRows.map((k) => k.checks.find((c) => c.id === id)?.durationMs ?? '-').join(' | ')} |`);
      out.push('');
    }
    // at most linear: the capacity check (the one that lists every pod) must not grow faster than the load
    const capRows = kubeRows.filter((k) => k.cap);
    if (capRows.length >= 3) {
      const b = capRows[0], mid = capRows.at(-2), top = capRows.at(-1);
      const perMid = (mid.cap.durationMs - b.cap.durationMs) / (mid.size - b.size), perTop = (top.cap.durationMs - b.cap.durationMs) / (top.size - b.size);
      targets.push([`${cmd}: growth at most linear (kubernetes.capacity.resources, ${mid.size} → ${top.size} pods)`,
        `${(perTop * 1000).toFixed(0)} ms per 1,000 pods up to ${top.size} vs ${(perMid * 1000).toFixed(0)} ms per 1,000 up to ${mid.size} (${capRows.map((k) => `${k.size}: ${k.cap.durationMs} ms, ${k.cap.details?.podsCounted ?? '?'} pods counted`).join('; ')})`,
        mark(perTop <= perMid * 1.2 + 0.005)]);
    }
  }
}

out.push('## Targets', '', '| target | measured | |', '| --- | --- | --- |', ...targets.map((t) => `| ${t.join(' | ')} |`), '');
process.stdout.write(`${out.join('\n')}\n`);
