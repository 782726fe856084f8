// Several flyte-core components down for one cause: the database refuses connections. flyteadmin only
// fails its readiness probe (no cause of its own in its evidence); datacatalog crash-loops and its last
// termination names the database. The finding must carry the database as its cause (so the database
// check is the root), not "flyteadmin is down" because flyteadmin comes first in the component order.
// A private flyte-core install (namespace hx-d-core) on the REAL kube-apiserver of the test bed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../../src/config/target.js';
import { cause, hostPortKey } from '../../../src/engine/causes.js';
import { installFlyte, makeReady, removeInstall, setPodState, type InstallOptions } from '../../infra/flyte-install.js';
import { runSelection } from '../../harness/run-check.js';
import { makeTarget } from '../../harness/target.js';
import { getTestbed } from '../../harness/testbed.js';

const tb = () => getTestbed();
const o: InstallOptions = { namespace: 'hx-d-core', noWebhook: true };
const target = (): Target => makeTarget({
  chart: 'flyte-core',
  kubernetes: { kubeconfigPath: tb().kube.kubeconfig, context: 'admin', namespace: o.namespace!, release: 'flyte' },
  databases: [
    { role: 'flyteadmin', host: 'db.example', port: 5432, dbname: 'flyteadmin', user: 'flyteadmin', valuesKey: 'userSettings.dbHost' },
    { role: 'datacatalog', host: 'db.example', port: 5432, dbname: 'datacatalog', user: 'flyteadmin', valuesKey: 'userSettings.dbHost' },
  ],
} as never);
const deployments = async () => (await runSelection(target(), 'verify', ['flyte.deployments.ready'])).results.find((x) => x.id === 'flyte.deployments.ready')!;

describe.sequential('hx-d: the component whose evidence names the cause leads', () => {
  beforeAll(async () => { await removeInstall(tb(), 'flyte-core', o); await installFlyte(tb(), 'flyte-core', o); }, 90_000);
  afterAll(async () => { await removeInstall(tb(), 'flyte-core', o); }, 60_000);

  it('healthy first', async () => {
    const d = await deployments();
    expect(d.status, d.message).toBe('pass');
  });

  it('flyteadmin not ready (readiness 503) and datacatalog crash-looping on "connection refused" to the database: the database is the cause', async () => {
    await setPodState(tb(), 'flyteadmin', { containers: { '*': { running: true, ready: false } }, events: [{ reason: 'Unhealthy', message: 'Readiness probe failed: HTTP probe failed with statuscode: 503', count: 30 }] }, o);
    await setPodState(tb(), 'datacatalog', { containers: { '*': { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container' }, restarts: 6,
      lastTerminated: { reason: 'Error', exitCode: 1, message: 'failed to connect to `host=db.example user=flyteadmin database=datacatalog`: dial error (dial tcp 10.0.0.9:5432: connect: connection refused)' } } } }, o);
    try {
      const d = await deployments();
      expect(d, d.message).toMatchObject({ status: 'fail', messageId: 'crashLooping', cause: cause.unreachable(hostPortKey('db.example', 5432)) });
      // both are still reported, in component order
      expect(d.message).toMatch(/flyteadmin: Unhealthy .*; datacatalog: CrashLoopBackOff/);
      expect(d.hint).toContain('cannot reach the database db.example:5432');
    } finally {
      await makeReady(tb(), 'flyteadmin', o);
      await makeReady(tb(), 'datacatalog', o);
    }
  });
});
