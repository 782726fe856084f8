// S3 refuses a PutObject without Content-MD5 (or an x-amz-checksum-* header) to a bucket with an
// Object Lock default retention: "Content-MD5 OR x-amz-checksum- HTTP header is required for Put
// Object requests with Object Lock parameters". Flyte's S3 client (aws-sdk-go v1 under stow) sends
// Content-MD5 on every PutObject, so Flyte writes there; the probes must send it too, or they fail
// where Flyte works. MinIO does not demand the header (it only verifies it: the MinIO tests of
// the put check prove the digest sent is right), so the demand is AWS's, played by the private
// S3-shaped server.
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck, runSelection } from '../../harness/run-check.js';
import { s3Error, startFakeS3, type Reply, type S3OpName } from './fake-stores.js';
import { s3Target } from './store-target.js';

const LOCKED = 'Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters';
const KEY = { accessKey: 'FAKESTORE0KEY1234567', secretKey: 'fake-store-secret-key-1' };

describe('a bucket with an Object Lock default retention (AWS wants Content-MD5 on writes)', () => {
  let strip = false;
  const seen: string[] = [];
  let srv: Awaited<ReturnType<typeof startFakeS3>>;
  beforeAll(async () => {
    srv = await startFakeS3((op: S3OpName, req: IncomingMessage): Reply | undefined => {
      if (op !== 'put') return undefined;
      const md5 = strip ? undefined : req.headers['content-md5'];
      seen.push(String(md5));
      return md5 ? undefined : s3Error(400, 'InvalidRequest', LOCKED);
    });
  });
  afterAll(async () => { await srv.stop(); });
  const target = () => s3Target(KEY, { endpoint: `http://127.0.0.1:${srv.port}`, region: 'us-east-1' });

  it('the probes send Content-MD5 like Flyte: every S3 check passes', async () => {
    strip = false;
    const run = await runSelection(target(), 'preflight', ['storage.s3']);
    const bad = run.results.filter((r) => r.status !== 'pass' && r.status !== 'skip');
    expect(bad.map((r) => `${r.id}[${r.instance}] ${r.status} ${r.messageId} ${r.message}`)).toEqual([]);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((v) => /^[A-Za-z0-9+/]{22}==$/.test(v))).toBe(true);
  });

  it('when the header is lost on the way (a proxy strips it), the finding says so instead of a generic "request form" fix', async () => {
    strip = true;
    const { result } = await runCheck('storage.s3.put', target(), { instance: 'metadata' });
    expect(result.messageId, result.message).toBe('requestRejected');
    expect(result.message).toContain('Object Lock');
    expect(result.hint).toContain('Content-MD5');
    expect(result.hint).toContain('proxy');
  });
});
