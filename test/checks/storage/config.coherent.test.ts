import { describe, expect, it } from 'vitest';
import { Secret } from '../../../src/config/secret.js';
import { makeTarget } from '../../harness/target.js';
import { runCheck } from '../../harness/run-check.js';
import { gcsTarget, s3Target } from './store-target.js';

describe('storage.config.coherent', () => {
  it('the test bed MinIO and GCS configs are coherent', async () => {
    expect((await runCheck('storage.config.coherent', s3Target())).result.status).toBe('pass');
    expect((await runCheck('storage.config.coherent', gcsTarget())).result.status).toBe('pass');
  });

  it('Azure is a skip with the reason, not a crash, and the S3 checks are skipped too', async () => {
    const t = makeTarget({ storage: { provider: 'azure', rawType: 'azure', metadataBucket: 'c', authType: 'iam', signedUrlKey: 'x', valuesKey: 'configuration.storage' } });
    const { result, results } = await runCheck('storage.s3.put', t).catch(async () => runCheck('storage.config.coherent', t));
    expect(results.find((r) => r.id === 'storage.config.coherent')?.status).toBe('skip');
    expect(results.find((r) => r.id === 'storage.config.coherent')?.message).toContain('azure');
    expect(result.status).toBe('skip');
  });

  it('accesskey without a secret key, and a raw prefix with the wrong scheme, fail with the keys (flyte-core)', async () => {
    const { result } = await runCheck('storage.config.coherent', s3Target(undefined, { valuesKey: 'storage', secretKey: undefined as never, rawOutputPrefix: 'gs://flyte-userdata/raw', userDataBucket: undefined as never }));
    expect(result.status).toBe('fail');
    expect(result.hint).toContain('storage.s3.secretKey');
    expect(result.hint).toContain('configmap.core.propeller.rawoutput-prefix');
  });

  it('an http endpoint with disableSSL false warns', async () => {
    const { result } = await runCheck('storage.config.coherent', s3Target(undefined, { disableSSL: false, secretKey: new Secret('abc-secret-x') }));
    expect(result.status).toBe('warn');
    expect(result.messageId).toBe('sslFlagMismatch');
  });
});
