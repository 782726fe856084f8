import { describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck } from '../../harness/run-check.js';
import { pgDb, pgTarget } from './pg-target.js';

describe('database.postgres.tls', () => {
  it('verify-full with the test CA passes', async () => {
    const { result } = await runCheck('database.postgres.tls', pgTarget());
    expect(result.status).toBe('pass');
    expect(result.message).toContain('chain and host name verified');
  });

  it('verify-full by a name in the certificate passes through the test resolver', async () => {
    const { result } = await runCheck('database.postgres.tls', pgTarget(pgDb({ host: getTestbed().dns.names.database })));
    expect(result.status).toBe('pass');
  });

  it('sslmode=disable against the TLS-only listener fails with the options key', async () => {
    const { result } = await runCheck('database.postgres.tls', pgTarget(pgDb({ port: getTestbed().postgres.tlsOnlyPort, sslmode: 'disable' })));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('serverRequiresTls');
    expect(result.hint).toContain('configuration.database.options');
    expect(result.hint).toContain('sslmode=require');
  });

  it('an unset sslmode is Flyte\'s default (disable) and fails against the TLS-only listener', async () => {
    const { result } = await runCheck('database.postgres.tls', pgTarget(pgDb({ port: getTestbed().postgres.tlsOnlyPort, sslmode: undefined as never })));
    expect(result.status).toBe('fail');
    expect(result.message).toContain('Flyte\'s default');
  });

  it('sslmode=require against the TLS-only listener passes', async () => {
    const { result } = await runCheck('database.postgres.tls', pgTarget(pgDb({ port: getTestbed().postgres.tlsOnlyPort, sslmode: 'require', sslrootcert: undefined as never })));
    expect(result.status).toBe('pass');
  });

  it('verify-ca without the test CA fails as untrusted', async () => {
    const { result } = await runCheck('database.postgres.tls', pgTarget(pgDb({ sslmode: 'verify-ca', sslrootcert: undefined as never })));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('certUntrusted');
    expect(result.hint).toContain('sslrootcert');
  });

  it('verify-full by a name the certificate does not cover fails as name mismatch', async () => {
    // The ingress name resolves to 127.0.0.1 in the test zone but is not in the database certificate.
    const { result } = await runCheck('database.postgres.tls', pgTarget(pgDb({ host: getTestbed().dns.names.ingress })));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('certNameMismatch');
  });

  it('a stalled endpoint fails in connect (within the budget) and blocks the TLS check', async () => {
    const tb = getTestbed();
    const t0 = Date.now();
    const { result, results } = await runCheck('database.postgres.tls', pgTarget(pgDb({ host: tb.stall.host, port: tb.stall.port })), { timeoutMs: 3000 });
    expect(Date.now() - t0).toBeLessThan(6000);
    expect(results.find((r) => r.id === 'database.postgres.connect')?.messageId).toBe('noAnswer');
    expect(result.status).toBe('skip');
    expect(result.blockedBy).toBe('database.postgres.connect[flyteadmin]');
  });
});
