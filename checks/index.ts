// The registry: every built-in check, static imports (bundler-friendly, no directory scanning).
// Each area folder owns its own index; test/checks.conformance.test.ts keeps them equal to the files.
import type { Check } from '../src/engine/types.js';
import { checks as auth } from './auth/index.js';
import { checks as client } from './client/index.js';
import { checks as database } from './database/index.js';
import { checks as dns } from './dns/index.js';
import { checks as flyte } from './flyte/index.js';
import { checks as ingress } from './ingress/index.js';
import { checks as kubernetes } from './kubernetes/index.js';
import { checks as storage } from './storage/index.js';
import { checks as tls } from './tls/index.js';
import { checks as values } from './values/index.js';

export const builtinChecks: readonly Check[] = [
  ...values, ...kubernetes, ...database, ...storage, ...dns, ...tls, ...client, ...ingress, ...auth, ...flyte,
];
