import { describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck } from '../../harness/run-check.js';
import { pgDb, pgTarget } from './pg-target.js';

describe('database.postgres.connect', () => {
  it('passes against the healthy server and sees that it offers TLS', async () => {
    const { result } = await runCheck('database.postgres.connect', pgTarget());
    expect(result.status).toBe('pass');
    expect(result.details?.serverOffersTls).toBe(true);
  });

  it('reports a closed port as refused (nothing listening)', async () => {
    const { result } = await runCheck('database.postgres.connect', pgTarget(pgDb({ port: getTestbed().closedPort })));
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('refused');
    expect(result.hint).toContain('configuration.database.port');
  });

  it('reports a stalled endpoint as a timeout, within the budget', async () => {
    const tb = getTestbed();
    const t0 = Date.now();
    const { result } = await runCheck('database.postgres.connect', pgTarget(pgDb({ host: tb.stall.host, port: tb.stall.port })), { timeoutMs: 3000 });
    expect(Date.now() - t0).toBeLessThan(6000);
    expect(result.status).toBe('fail');
    expect(result.messageId).toBe('timeout');
    expect(result.message).toMatch(/no answer from 127\.0\.0\.1:\d+ within/);
  });
});
