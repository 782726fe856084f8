// Checks of area 'client', sorted by id. Kept equal to the files in this folder by test/checks.conformance.test.ts.
import type { Check } from '../../src/engine/types.js';
import configEndpoint from './config.endpoint.js';
import configTlsMode from './config.tls-mode.js';
import proxyPath from './proxy.path.js';

export const checks: readonly Check[] = [configEndpoint, configTlsMode, proxyPath];
