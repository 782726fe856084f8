// Checks of area 'dns', sorted by id. Kept equal to the files in this folder by test/checks.conformance.test.ts.
import type { Check } from '../../src/engine/types.js';
import adminResolve from './admin.resolve.js';
import hostsResolve from './hosts.resolve.js';
import ingressAddress from './ingress.address.js';

export const checks: readonly Check[] = [adminResolve, hostsResolve, ingressAddress];
