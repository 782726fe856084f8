// When the terminal view is coloured: on a TTY, unless --no-color, NO_COLOR (non-empty, per
// no-color.org) or TERM=dumb; machine formats never.
import { describe, expect, it } from 'vitest';
import { colorFor } from '../../src/main.js';

const tty = { isTTY: true } as NodeJS.WritableStream & { isTTY: boolean };
const pipe = { isTTY: false } as NodeJS.WritableStream & { isTTY: boolean };

describe('colour', () => {
  it('follows the TTY, NO_COLOR (only when non-empty), TERM=dumb and --color/--no-color', () => {
    expect(colorFor({ output: 'pretty' }, { stdout: tty, env: {} })).toBe(true);
    expect(colorFor({ output: 'pretty' }, { stdout: pipe, env: {} })).toBe(false);
    expect(colorFor({ output: 'pretty' }, { stdout: tty, env: { NO_COLOR: '1' } })).toBe(false);
    expect(colorFor({ output: 'pretty' }, { stdout: tty, env: { NO_COLOR: '' } })).toBe(true);
    expect(colorFor({ output: 'pretty' }, { stdout: tty, env: { TERM: 'dumb' } })).toBe(false);
    expect(colorFor({ output: 'pretty', color: false }, { stdout: tty, env: {} })).toBe(false);
    expect(colorFor({ output: 'pretty', color: true }, { stdout: pipe, env: { NO_COLOR: '1' } })).toBe(true);
    expect(colorFor({ output: 'json', color: true }, { stdout: tty, env: {} })).toBe(false);
  });
});
