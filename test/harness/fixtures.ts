// The shared fixtures live beside the repository (../shared/fixtures), in development and in CI.
import { resolve } from 'node:path';

export const SHARED_FIXTURES = resolve(process.env.FLYTE_DOCTOR_SHARED_FIXTURES ?? resolve(import.meta.dirname, '..', '..', '..', 'shared', 'fixtures'));
export const fixture = (...parts: string[]) => resolve(SHARED_FIXTURES, ...parts);
