// verify --wait: failing checks are re-run until they pass or the time is up, with the current
// error shown while waiting. A plugin check fails until a file appears, which the test creates.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'fd-wait-'));
  const flag = join(dir, 'ready');
  writeFileSync(join(dir, 'ready.mjs'), `import { existsSync } from 'node:fs';
    let runs = 0;
    export default {
      id: 'flyte.test.ready', title: 'Becomes ready when a file appears', phases: ['verify'],
      explain: { what: 'test only', why: 'test only', fix: 'test only' },
      async run() { runs++; return existsSync(${JSON.stringify(flag)}) ? { status: 'pass', message: 'ready after ' + runs + ' runs' } : { status: 'fail', message: 'not ready yet (run ' + runs + ')', hint: 'wait' }; },
    };\n`);
  return { dir, flag, args: ['verify', '--plugin', join(dir, 'ready.mjs'), '--only', 'flyte.test.ready', '-o', 'json'] };
}

describe('verify --wait', () => {
  it('re-runs the failing check until it passes, showing the current error while waiting; exit 0', async () => {
    const { dir, flag, args } = setup();
    setTimeout(() => writeFileSync(flag, ''), 1500);
    const r = await runCli([...args, '--wait', '30s'], { cwd: dir });
    expect(existsSync(flag)).toBe(true);
    expect(r.stderr).toMatch(/waiting \(attempt 1\): 1 check\(s\) not passing; flyte\.test\.ready: not ready yet \(run 1\)/);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.results[0]).toMatchObject({ id: 'flyte.test.ready', status: 'pass' });
    expect(doc.results[0].message).toMatch(/^ready after [2-9] runs$/);
  });

  it('gives up when the time is up and reports the last failure; exit 1', async () => {
    const { dir, args } = setup();
    const t0 = Date.now();
    const r = await runCli([...args, '--wait', '1s'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(JSON.parse(r.stdout).results[0]).toMatchObject({ status: 'fail', message: expect.stringMatching(/^not ready yet \(run [2-9]\)$/) });
  });

  it('without --wait, runs once', async () => {
    const { dir, args } = setup();
    const r = await runCli(args, { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).results[0].message).toBe('not ready yet (run 1)');
  });
});
