import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// The global setup brings the real-server test bed up (or reuses a running one) and stops what it
// started. FLYTE_DOCTOR_NO_TESTBED=1 skips it for pure-logic work; tests needing servers then fail
// with the command to run.
const globalSetup = existsSync('test/infra/global-setup.ts') && !process.env.FLYTE_DOCTOR_NO_TESTBED ? ['test/infra/global-setup.ts'] : [];

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
