import { describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck } from '../../harness/run-check.js';
import { pgDb, pgTarget } from './pg-target.js';

describe('database.postgres.connections', () => {
  it('small pools fit (max_connections 250 on the test bed)', async () => {
    const { result } = await runCheck('database.postgres.connections', pgTarget());
    expect(result.status).toBe('pass');
    expect(result.details?.maxConnections).toBe(250);
  });

  it('pools larger than the free connections on one server: warn', async () => {
    const tb = getTestbed().postgres;
    const { result } = await runCheck('database.postgres.connections', pgTarget(
      pgDb({ maxOpenConnections: 150 }),
      pgDb({ role: 'datacatalog', dbname: tb.databases.datacatalog, maxOpenConnections: 150 }),
    ));
    expect(result.status).toBe('warn');
    expect(result.messageId).toBe('insufficient');
    expect(result.details?.flyteMaxTotal).toBe(300);
    expect(result.hint).toContain('configuration.inline.database.maxOpenConnections');
  });
});
