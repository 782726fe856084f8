// FLYTE_DOCTOR_DEBUG=1: when each phase of a run ended, in ms since the process started (printed on
// stderr at exit), to see where a run's time goes without a profiler. Free when off.
const marks: [string, number][] | undefined = process.env['FLYTE_DOCTOR_DEBUG'] ? [] : undefined;

export function mark(label: string): void {
  marks?.push([label, performance.now()]);
}

/** "phases (ms since the process started): cli loaded 108, arguments 118, ..." or '' when not debugging. */
export function phases(): string {
  return marks?.length ? `phases (ms since the process started): ${marks.map(([l, t]) => `${l} ${t.toFixed(0)}`).join(', ')}` : '';
}

/** "peak RSS so far: 97 MiB" (the process's maximum resident set until now) or '' when not debugging. */
export function peakRss(): string {
  return marks ? `peak RSS so far: ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB` : '';
}

const spans: [string, number, number][] | undefined = marks ? [] : undefined;

/** A check ran from `start` to now (performance.now() times). */
export function span(label: string, start: number): void {
  spans?.push([label, start, performance.now()]);
}

/** The checks that ended last (where a run's critical path is), one per line (every check with
 * FLYTE_DOCTOR_DEBUG=all); '' when not debugging. */
export function lastSpans(n = process.env['FLYTE_DOCTOR_DEBUG'] === 'all' ? Infinity : 12): string {
  if (!spans?.length) return '';
  return [...spans].sort((a, b) => a[2] - b[2]).slice(-n)
    .map(([l, s, e]) => `  ${l}: ${s.toFixed(0)}-${e.toFixed(0)} ms (${(e - s).toFixed(0)})`).join('\n');
}
