import { describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { runCheck } from '../../harness/run-check.js';
import { pgDb, pgTarget } from './pg-target.js';

describe('database.postgres.connections', () => {
  it('small pools fit (max_connections 100 on the test bed)', async () => {
    const { result } = await runCheck('database.postgres.connections', pgTarget());
    expect(result.status).toBe('pass');
    expect(result.details?.maxConnections).toBe(100);
  });

  it('default pools (100 per component) for two databases on one server do not fit: warn', async () => {
    const tb = getTestbed().postgres;
    const { result } = await runCheck('database.postgres.connections', pgTarget(
      pgDb({ maxOpenConnections: undefined as never }),
      pgDb({ role: 'datacatalog', dbname: tb.databases.datacatalog, maxOpenConnections: undefined as never }),
    ));
    expect(result.status).toBe('warn');
    expect(result.messageId).toBe('insufficient');
    expect(result.details?.flyteMaxTotal).toBe(200);
    expect(result.hint).toContain('configuration.inline.database.maxOpenConnections');
  });
});
