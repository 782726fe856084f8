// Checks of area 'ingress', sorted by id. Kept equal to the files in this folder by test/checks.conformance.test.ts.
import type { Check } from '../../src/engine/types.js';

export const checks: readonly Check[] = [];
