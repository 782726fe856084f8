import { afterEach, describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck } from '../../harness/run-check.js';
import { assertS3Clean, s3Target } from './store-target.js';

describe('storage.s3.signed-url', () => {
  afterEach(assertS3Clean);

  it('a pre-signed GET is fetched from here and matches; the signature is not printed', async () => {
    const { result } = await runCheck('storage.s3.signed-url', s3Target(), { instance: 'metadata' });
    expect(result.status).toBe('pass');
    expect(JSON.stringify(result)).not.toMatch(/X-Amz-Signature/i);
  });
});

describe('storage.s3.signed-url with the signed-URL endpoint override', () => {
  afterEach(assertS3Clean);

  it('URLs are signed for the override endpoint (as Flyte\'s data proxy does) and fetched from here', async () => {
    const tb = getTestbed();
    const override = `http://${tb.dns.names.storage}:${new URL(tb.minio.endpoint).port}`;
    const { result } = await runCheck('storage.s3.signed-url', s3Target(undefined, { signedUrlEndpoint: override } as never), { instance: 'metadata' });
    expect(result.status).toBe('pass');
    expect(result.message).toContain(tb.dns.names.storage);
    expect(result.details?.signedWith).toContain('override');
  });

  it('an override clients cannot reach is a real finding (S6) with the override key', async () => {
    const override = `http://127.0.0.1:${getTestbed().closedPort}`;
    const { result } = await runCheck('storage.s3.signed-url', s3Target(undefined, { signedUrlEndpoint: override } as never), { instance: 'metadata' });
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('urlUnreachable');
    expect(result.hint).toContain('configuration.inline.storage.signedUrl.stowConfigOverride.endpoint');
  });

  it('a cluster-internal endpoint whose override does not answer here fails on the endpoint check (not "cannot be checked")', async () => {
    const override = `http://127.0.0.1:${getTestbed().closedPort}`;
    const { result } = await runCheck('storage.s3.endpoint', s3Target(undefined, { endpoint: 'http://minio.flyte.svc.cluster.local:9000', signedUrlEndpoint: override } as never));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('signedUrlUnreachable');
    expect(result.hint).toContain('signedUrl.stowConfigOverride.endpoint');
  });
});
