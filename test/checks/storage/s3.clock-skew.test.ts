import { describe, expect, it } from 'vitest';
import { skewStatus } from '../../../checks/storage/_support.js';
import { runCheck, runSelection } from '../../harness/run-check.js';
import { s3Target } from './store-target.js';

describe('storage.s3.clock-skew', () => {
  it('the local clock agrees with MinIO\'s Date header', async () => {
    const { result } = await runCheck('storage.s3.clock-skew', s3Target());
    expect(result.status).toBe('pass');
    expect(Math.abs(result.details?.skewSeconds as number)).toBeLessThanOrEqual(2);
  });

  it('thresholds: warn above 1 minute, fail above 15 minutes', () => {
    expect(skewStatus(59_000)).toBe('pass');
    expect(skewStatus(-61_000)).toBe('warn');
    expect(skewStatus(16 * 60_000)).toBe('fail');
  });
});

describe('storage.s3.clock-skew against a store whose clock is off', () => {
  it('20 minutes off: fail with the clock cause; the signed requests fail the same way and share it', async () => {
    const { startFakeS3, s3Error } = await import('./fake-stores.js');
    const skewed = () => new Date(Date.now() + 20 * 60_000).toUTCString();
    const srv = await startFakeS3((op) => {
      if (op === 'root') return { status: 403, headers: { 'x-amz-request-id': 'R', 'content-type': 'application/xml', date: skewed() }, body: '<Error><Code>AccessDenied</Code></Error>' };
      return { ...s3Error(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.'), headers: { 'x-amz-request-id': 'R', 'content-type': 'application/xml', date: skewed() } };
    });
    try {
      const run = await runSelection(s3Target({ accessKey: 'FAKESTORE0KEY1234567', secretKey: 'fake-secret-0000' }, { endpoint: `http://127.0.0.1:${srv.port}`, userDataBucket: 'flyte-metadata' }), 'preflight', ['storage.s3.clock-skew', 'storage.s3.bucket']);
      const c = run.results.find((r) => r.id === 'storage.s3.clock-skew')!;
      expect(c.status).toBe('fail');
      expect(c.messageId).toBe('skewTooLarge');
      expect(c.cause).toBe('config:clock');
      const b = run.results.find((r) => r.id === 'storage.s3.bucket')!;
      expect(b.messageId).toBe('clockSkew');
      expect(b.cause).toBe('config:clock');
      expect([c, b].filter((r) => r.rootCause).length).toBe(1);
    } finally { await srv.stop(); }
  });
});
