import { beforeAll, describe, expect, it } from 'vitest';
import { bed, bedTarget, brief, run } from '../client/bed.js';
import { warmUp } from '../ingress/private-bed.js';

beforeAll(warmUp, 60_000);

describe('flyte.admin.http (verify)', () => {
  it('reads control_plane_version through the ingress', async () => {
    const { result } = await run('flyte.admin.http', bedTarget(bed().nginx.https));
    expect(result.status, brief(result)).toBe('pass');
    expect(result.details?.version).toBe(bed().admin.version);
  });
  it('auth on (values and server): flyteadmin\'s 401 counts as reachable', async () => {
    const { result } = await run('flyte.admin.http', bedTarget(bed().nginx.authHttps, {}, { auth: { enabled: true, valuesKey: 'configuration.auth' } }));
    expect(result.status, brief(result)).toBe('pass');
    expect(result.messageId).toBe('authRequired');
  });
  it('class 8: flyteadmin\'s 401 while the values turn auth off is a finding', async () => {
    const { result } = await run('flyte.admin.http', bedTarget(bed().nginx.authHttps));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('authOnServer');
    expect(result.cause).toBe('config:configuration.auth.enabled');
  });
  it('plaintext port where TLS is expected fails with the TLS fix', async () => {
    const { result } = await run('flyte.admin.http', bedTarget(bed().nginx.plaintext));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('plaintextPort');
    expect(result.cause).toBe(`tls-plaintext:flyte.test:${bed().nginx.plaintext}`);
  });
});
