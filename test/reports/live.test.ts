import { describe, expect, it } from 'vitest';
import { createLiveReporter } from '../../reports/live.js';
import { fixtureResults } from './fixtures/report.js';

function sink(columns = 200) {
  const chunks: string[] = [];
  return { chunks, stream: { columns, write: (s: string) => { chunks.push(s); return true; } }, text: () => chunks.join('') };
}

/** What a terminal would show: apply \r + clear-line, keep the last state of each line. */
function screen(raw: string): string[] {
  const lines: string[] = [''];
  for (const part of raw.split(/(\r\x1b\[2K|\n)/)) {
    if (part === '\r\x1b[2K') lines[lines.length - 1] = '';
    else if (part === '\n') lines.push('');
    else lines[lines.length - 1] += part;
  }
  return lines;
}

const checks = fixtureResults.map((r) => ({ id: r.id, title: r.title, instance: r.instance }));

describe('live reporter', () => {
  it('prints nothing at all when not a TTY', () => {
    const s = sink();
    const live = createLiveReporter(s.stream, { color: true, isTTY: false });
    live.onPlan(checks);
    live.onStart('kubernetes.api.reachable');
    live.onResult(fixtureResults[0]!);
    live.onWaiting(['database.postgres.auth'], 2, 'password authentication failed');
    live.finish();
    expect(s.chunks).toEqual([]);
    // so the CLI prepares nothing for it
    expect(live.active).toBe(false);
    expect(createLiveReporter(s.stream, { color: false, isTTY: true }).active).toBe(true);
  });

  it('on a TTY: one status line with done, failing and running; the result lines come once, in the final report', () => {
    const s = sink();
    const live = createLiveReporter(s.stream, { color: false, isTTY: true });
    live.onPlan(checks);
    live.onStart('kubernetes.api.reachable');
    live.onStart('database.postgres.auth', 'flyteadmin');
    expect(screen(s.text()).at(-1)).toBe('0/9 done, running: kubernetes.api.reachable, database.postgres.auth [flyteadmin]');
    live.onResult(fixtureResults[0]!);
    expect(screen(s.text())).toEqual(['Running 9 checks…', '1/9 done, running: database.postgres.auth [flyteadmin]']);
    live.onStart('tls.ingress.expiry');
    live.onResult(fixtureResults[2]!);
    expect(screen(s.text())).toEqual(['Running 9 checks…', '2/9 done, 1 failing, running: tls.ingress.expiry']);
    live.finish();
    expect(screen(s.text())).toEqual(['Running 9 checks…', '']); // the status line is cleared
    expect(s.text()).not.toContain('password authentication failed'); // no duplicate of the final report
    expect(s.text()).not.toContain('\x1b[3'); // no colour when color=false
  });

  it('verify --wait: shows the failing checks, the attempt and the current error', () => {
    const s = sink();
    const live = createLiveReporter(s.stream, { color: false, isTTY: true });
    live.onPlan(checks.slice(0, 1));
    live.onWaiting(['database.postgres.auth [flyteadmin]', 'tls.ingress.expiry'], 3, 'password authentication failed\nfor user "flyte"');
    expect(screen(s.text()).at(-1)).toBe('waiting (attempt 3): 2 checks failing (database.postgres.auth [flyteadmin], tls.ingress.expiry): password authentication failed for user "flyte"');
    live.onWaiting(['tls.ingress.expiry'], 4, 'certificate expires in 3 days');
    expect(screen(s.text()).at(-1)).toBe('waiting (attempt 4): 1 check failing (tls.ingress.expiry): certificate expires in 3 days');
    live.finish();
    expect(screen(s.text()).at(-1)).toBe('');
  });

  it('keeps the status line within the terminal width and control characters visible', () => {
    const s = sink(40);
    const live = createLiveReporter(s.stream, { color: false, isTTY: true });
    live.onPlan(checks);
    live.onWaiting(['storage.s3.put'], 1, 'x'.repeat(100) + '\x1b[2J');
    const last = screen(s.text()).at(-1)!;
    expect([...last].length).toBeLessThanOrEqual(39);
    expect(last.endsWith('…')).toBe(true);
    const t = sink(200);
    const live2 = createLiveReporter(t.stream, { color: false, isTTY: true });
    live2.onStart('evil\x1b[2J');
    expect(screen(t.text()).at(-1)).toBe('0/1 done, running: evil\\x1b[2J');
  });

  it('dims the status line when color=true; finish is idempotent and silences later events', () => {
    const s = sink();
    const live = createLiveReporter(s.stream, { color: true, isTTY: true });
    live.onStart('kubernetes.api.reachable');
    expect(s.text()).toContain('\x1b[2m0/1 done, running: kubernetes.api.reachable\x1b[0m');
    live.finish();
    const n = s.chunks.length;
    live.finish();
    live.onResult(fixtureResults[0]!);
    live.onStart('x');
    expect(s.chunks.length).toBe(n);
  });
});
