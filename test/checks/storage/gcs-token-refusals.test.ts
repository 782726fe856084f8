// The token endpoint's refusals against a real HTTP token endpoint of our own: "Token has been
// expired or revoked." (a stale ADC login, a revoked key) contains "exp" but is not the JWT's
// iat/exp out of range. Before, both were "clockSkew: synchronise this machine's clock"; the
// clock case itself must stay the clock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../harness/run-check.js';
import { serviceAccountKey, startFakeGcs, type Reply } from './fake-stores.js';
import { gcsTarget } from './store-target.js';

let token: Reply;
let srv: Awaited<ReturnType<typeof startFakeGcs>>;
let keyFile: string;
const refuse = (description: string): Reply => ({ status: 400, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: 'invalid_grant', error_description: description }) });
beforeAll(async () => {
  token = refuse('Token has been expired or revoked.');
  srv = await startFakeGcs(() => undefined, { get status() { return token.status; }, get headers() { return token.headers; }, get body() { return token.body; } } as Reply);
  keyFile = serviceAccountKey(`http://127.0.0.1:${srv.port}/token`);
});
afterAll(async () => { await srv.stop(); });

describe('storage.gcs.bucket: token refusals are told apart from the clock', () => {
  it('key file, "Token has been expired or revoked.": credentialsRejected (a new key), not clockSkew', async () => {
    token = refuse('Token has been expired or revoked.');
    const { result } = await runCheck('storage.gcs.bucket', gcsTarget({ endpoint: `http://127.0.0.1:${srv.port}`, authType: 'keyfile', keyFile }), { instance: 'metadata' });
    expect(result.messageId, result.message).toBe('credentialsRejected');
    expect(result.status).toBe('fail');
    expect(result.message).toContain('expired or were revoked');
    expect(result.message).toContain('not this machine\'s clock');
    expect(result.hint).toContain('gcloud iam service-accounts keys create');
    expect(result.cause).toBe(`credentials:gcs:${keyFile}`);
    expect(JSON.stringify(result)).not.toContain('PRIVATE KEY');
  });

  it('"...is inappropriate..." (contains "iat") is not the clock either', async () => {
    token = refuse('The grant is inappropriate for this client.');
    const { result } = await runCheck('storage.gcs.bucket', gcsTarget({ endpoint: `http://127.0.0.1:${srv.port}`, authType: 'keyfile', keyFile }), { instance: 'metadata' });
    expect(result.messageId, result.message).toBe('credentialsRejected');
    expect(result.message).toContain('deleted or revoked');
  });

  it('Application Default Credentials here, expired: a warn (this machine), refresh the ADC login, not the clock', async () => {
    token = refuse('Token has been expired or revoked.');
    const saved = process.env.GOOGLE_APPLICATION_CREDENTIALS;
    process.env.GOOGLE_APPLICATION_CREDENTIALS = keyFile;
    try {
      const { result } = await runCheck('storage.gcs.bucket', gcsTarget({ endpoint: undefined as never }), { instance: 'metadata' });
      expect(result.messageId, result.message).toBe('thisMachineCredentialsRejected');
      expect(result.status).toBe('warn');
      expect(result.hint).toContain('gcloud auth application-default login');
      expect(result.hint).toContain(`GOOGLE_APPLICATION_CREDENTIALS, now ${keyFile}`);
    } finally { if (saved === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS; else process.env.GOOGLE_APPLICATION_CREDENTIALS = saved; }
  });

  it('the JWT\'s iat/exp out of range stays clockSkew', async () => {
    token = refuse('Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.');
    const { result } = await runCheck('storage.gcs.bucket', gcsTarget({ endpoint: `http://127.0.0.1:${srv.port}`, authType: 'keyfile', keyFile }), { instance: 'metadata' });
    expect(result.messageId).toBe('clockSkew');
  });
});
