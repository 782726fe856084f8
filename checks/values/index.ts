// Checks of area 'values', sorted by id. Kept equal to the files in this folder by test/checks.conformance.test.ts.
import type { Check } from '../../src/engine/types.js';
import inputsKeys from './inputs.keys.js';
import inputsNamespaceMapping from './inputs.namespace-mapping.js';
import inputsPlaceholders from './inputs.placeholders.js';
import inputsReleaseNamespace from './inputs.release-namespace.js';
import inputsServerConfig from './inputs.server-config.js';

export const checks: readonly Check[] = [inputsKeys, inputsNamespaceMapping, inputsPlaceholders, inputsReleaseNamespace, inputsServerConfig];
