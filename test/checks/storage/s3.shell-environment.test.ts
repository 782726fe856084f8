// The AWS SDK takes every setting its client config leaves open from this shell's AWS_* variables
// and ~/.aws/config: a FIPS or dual-stack switch, a defaults or retry mode, an endpoint URL. Flyte's
// pods never see the operator's shell: the S3 probes must reach the store the target names, with
// the behaviour it names, whatever the shell holds. Real MinIO of the test bed.
import { afterEach, describe, expect, it } from 'vitest';
import { runCheck } from '../../harness/run-check.js';
import { s3Target } from './store-target.js';

const saved = { ...process.env };
afterEach(() => {
  for (const k of Object.keys(process.env)) if (k.startsWith('AWS_') && !(k in saved)) delete process.env[k];
  for (const [k, v] of Object.entries(saved)) if (k.startsWith('AWS_')) process.env[k] = v;
});

describe('AWS_* settings of the shell running flyte-doctor do not reach the S3 probes', () => {
  it.each([
    ['AWS_USE_FIPS_ENDPOINT', 'true'],
    ['AWS_USE_DUALSTACK_ENDPOINT', 'true'],
    ['AWS_DEFAULTS_MODE', 'no-such-mode'],
    ['AWS_RETRY_MODE', 'no-such-mode'],
  ])('%s=%s: the healthy MinIO bucket still passes (was: "check could not run")', async (k, v) => {
    process.env[k] = v;
    const { result } = await runCheck('storage.s3.bucket', s3Target());
    expect(result.status, result.message).toBe('pass');
  });
  // AWS_ENDPOINT_URL(_S3) / endpoint_url (ignoreConfiguredEndpointUrls) matter only for a target
  // without an endpoint, i.e. AWS itself, which storage.s3.endpoint must reach first: not from here.
});
