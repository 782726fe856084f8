// vitest globalSetup: reuse a healthy test bed (and leave it running), otherwise bring it up and,
// at the end, stop only the processes this run started. Tests read .testbed/state.json through
// getTestbed(). Under CI=true a server that cannot start fails the run, naming the server and its
// log; locally the error says which command to run. FLYTE_DOCTOR_TESTBED_KEEP=1 leaves what this
// run started running.
import { ServerStartError, ensureSharedInstall, runningProcesses, status, stopProcesses, up } from './testbed.js';

let startedHere: string[] = [];

export async function setup(): Promise<void> {
  const log = (m: string) => process.stderr.write(`[testbed] ${m}\n`);
  const t0 = Date.now();
  const s = await status();
  if (s.up) {
    log('reusing the running test bed (`npm run testbed:down` stops it)');
    // verify tests read the shared healthy install in namespace flyte: make sure it is there
    await ensureSharedInstall((m) => { if (!m.startsWith('endpoints')) log(m); });
    return;
  }
  const before = new Set(runningProcesses());
  try {
    // with the healthy flyte-binary install in namespace flyte that verify tests read
    await up({ install: 'flyte-binary', log: (m) => { if (!m.startsWith('endpoints')) log(m); } });
  } catch (e) {
    startedHere = runningProcesses().filter((n) => !before.has(n));
    const what = e instanceof ServerStartError ? e.message : `test bed: ${e instanceof Error ? e.message : String(e)}`;
    const hint = process.env.CI && process.env.CI !== 'false'
      ? 'CI: the test bed must start; failing the run (no test is skipped).'
      : 'Run `test/infra/install-deps.sh` (packages + Go servers) and `npm run testbed:up`, or set FLYTE_DOCTOR_NO_TESTBED=1 for pure-logic tests.';
    await teardown();
    throw new Error(`${what}\n${hint}`);
  }
  startedHere = runningProcesses().filter((n) => !before.has(n));
  log(`test bed ready in ${((Date.now() - t0) / 1000).toFixed(1)}s; this run started: ${startedHere.join(', ') || 'nothing'}`);
}

export async function teardown(): Promise<void> {
  if (startedHere.length === 0) return;
  if (process.env.FLYTE_DOCTOR_TESTBED_KEEP === '1') {
    process.stderr.write('[testbed] FLYTE_DOCTOR_TESTBED_KEEP=1: leaving the test bed running (`npm run testbed:down` stops it)\n');
    return;
  }
  await stopProcesses(startedHere, undefined, (m) => process.stderr.write(`[testbed] ${m}\n`));
  startedHere = [];
}
