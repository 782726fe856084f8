// Live progress for a terminal. On a TTY a single status line (redrawn in place) says how many checks
// are done, how many fail and what is running, or, for `verify --wait`, which checks are still
// failing and their current error; the result lines come once, in the final report. Not a TTY: prints nothing (the CLI prints
// the final pretty view). No timers, so it never keeps the process alive.
import type { CheckResult, Status } from '../src/engine/types.js';
import { SYMBOLS } from './pretty.js';
import { displayId, escapeControls, formatDuration, skipReason } from './text.js';

export interface LiveStream {
  write(chunk: string): unknown;
  /** Terminal width when the stream is a TTY. */
  columns?: number;
}

export interface LiveOptions {
  color: boolean;
  isTTY: boolean;
}

export interface LiveReporter {
  /** False when it draws nothing (not a terminal): callers need not prepare what they pass. */
  readonly active: boolean;
  onPlan(checks: readonly { id: string; title: string; instance?: string }[]): void;
  onStart(id: string, instance?: string): void;
  onResult(result: CheckResult): void;
  /** `verify --wait`: these checks still fail; the next attempt is `attempt`; `message` is the current error. */
  onWaiting(failingIds: readonly string[], attempt: number, message: string): void;
  /** Clears the status line. Idempotent. */
  finish(): void;
}

const CLEAR_LINE = '\r\x1b[2K';
const COLOR: Record<Status, string> = { pass: '\x1b[32m', warn: '\x1b[33m', fail: '\x1b[31m', skip: '\x1b[2m', error: '\x1b[35m' };
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

const oneLine = (text: string): string => escapeControls(text.replace(/\s*(\r\n|\r|\n)\s*/g, ' '));

/** Cuts to `width` columns (code points; good enough for the status line) with an ellipsis. */
function truncate(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : chars.slice(0, Math.max(0, width - 1)).join('') + '…';
}

const NOOP: LiveReporter = { active: false, onPlan() {}, onStart() {}, onResult() {}, onWaiting() {}, finish() {} };

export function createLiveReporter(stream: LiveStream, opts: LiveOptions): LiveReporter {
  if (!opts.isTTY) return NOOP;
  const paint = (code: string, text: string) => (opts.color ? `${code}${text}${RESET}` : text);
  const running: string[] = [];
  let planned = 0;
  let done = 0;
  let status = '';
  let waiting: string | undefined;
  let finished = false;
  let failed = 0;

  const width = () => Math.max(20, (stream.columns ?? 80) - 1);
  const draw = () => {
    if (finished) return;
    // per-instance checks can make more results than planned checks
    const total = Math.max(planned, done + running.length);
    let text: string;
    if (waiting !== undefined) text = waiting;
    else if (running.length > 0) text = `${done}/${total} done${failed ? `, ${failed} failing` : ''}, running: ${running.join(', ')}`;
    else text = done < total ? `${done}/${total} done` : '';
    const next = truncate(escapeControls(text), width());
    if (next === status) return;
    stream.write(CLEAR_LINE + (next ? paint(DIM, next) : ''));
    status = next;
  };
  /** Prints permanent lines above the status line. */
  const print = (line: string) => {
    if (finished) return;
    stream.write(CLEAR_LINE + line + '\n');
    status = '';
    draw();
  };

  return {
    active: true,
    onPlan(checks) {
      planned = checks.length;
      print(paint(DIM, `Running ${planned} check${planned === 1 ? '' : 's'}…`));
    },
    onStart(id, instance) {
      running.push(oneLine(instance ? `${id} [${instance}]` : id));
      draw();
    },
    onResult(r) {
      const key = oneLine(displayId(r));
      const i = running.indexOf(key);
      if (i >= 0) running.splice(i, 1);
      if (waiting === undefined) done += 1;
      if (r.status === 'fail' || r.status === 'error') failed += 1;
      // Only the status line moves: the full result lines come once, in the final report.
      draw();
    },
    onWaiting(failingIds, attempt, message) {
      const n = failingIds.length;
      waiting = `waiting (attempt ${attempt}): ${n} check${n === 1 ? '' : 's'} failing (${oneLine(failingIds.join(', '))}): ${oneLine(message)}`;
      status = '';
      draw();
    },
    finish() {
      if (finished) return;
      if (status) stream.write(CLEAR_LINE);
      status = '';
      finished = true;
    },
  };
}
