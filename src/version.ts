// Replaced at build time by esbuild (define); read from package.json when running from source.
declare const __FLYTE_DOCTOR_VERSION__: string | undefined;
export const VERSION: string = typeof __FLYTE_DOCTOR_VERSION__ === 'string' ? __FLYTE_DOCTOR_VERSION__ : '0.1.0-dev';
