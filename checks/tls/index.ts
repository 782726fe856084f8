// Checks of area 'tls', sorted by id. Kept equal to the files in this folder by test/checks.conformance.test.ts.
import type { Check } from '../../src/engine/types.js';
import adminExpiry from './admin.expiry.js';
import adminHandshake from './admin.handshake.js';
import adminHostname from './admin.hostname.js';
import adminTrust from './admin.trust.js';

export const checks: readonly Check[] = [adminExpiry, adminHandshake, adminHostname, adminTrust];
