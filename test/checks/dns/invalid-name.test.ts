// A host that is not a DNS name (the flyte-sandbox chart's `{{ printf "%s-postgresql" .Release.Name … }}`,
// rendered by Helm at install time; a typo with a space) is a finding naming it, never "could not
// run" (the resolver's EBADNAME) or "no DNS answer".
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTarget } from '../../../src/config/load.js';
import { SHARED_FIXTURES } from '../../harness/fixtures.js';
import { assertDeclared, runSelection } from '../../harness/run-check.js';
import { builtinChecks } from '../../../checks/index.js';
import { plan } from '../../../src/engine/plan.js';
import { runChecks } from '../../../src/engine/run.js';
import { getTestbed } from '../../harness/testbed.js';

describe('invalid host names', () => {
  it('the flyte-sandbox values: the database host is a template Helm renders at install time: a warn naming it, its probes skipped (never an error)', async () => {
    const t = loadTarget({ values: [join(SHARED_FIXTURES, 'flyte-values', 'flyte-sandbox__values.yaml')], set: [], env: {}, cwd: SHARED_FIXTURES, home: '/nonexistent-home', dnsServer: getTestbed().dns.server });
    // (runChecks directly: the sandbox's published password `postgres` is a word of every check id,
    // which the harness's raw secret scan would flag; the CLI's redactor knows its own vocabulary.)
    const run = await runChecks({ target: t, plan: plan(builtinChecks, 'preflight', { only: ['dns.hosts.resolve', 'database.postgres.dns', 'database.postgres.connect'] }, t), timeoutMs: 5000, concurrency: 8 });
    assertDeclared(run);
    const ph = run.results.find((r) => r.id === 'values.inputs.placeholders')!;
    expect(ph).toMatchObject({ status: 'warn', messageId: 'renderedAtInstall' });
    expect(ph.message).toContain('flyte-binary.configuration.database.host = {{ printf "%s-postgresql" .Release.Name');
    expect(ph.hint).toContain('--manifests');
    for (const id of ['database.postgres.dns', 'database.postgres.connect']) expect(run.results.find((r) => r.id === id), id).toMatchObject({ status: 'skip', blockedBy: 'values.inputs.placeholders' });
    expect(run.results.find((r) => r.id === 'dns.hosts.resolve' && r.instance === 'database-flyteadmin')).toMatchObject({ status: 'skip', blockedBy: 'values.inputs.placeholders' });
    expect(run.results.some((r) => r.status === 'error')).toBe(false);
  });

  it('an invalid name that reaches the DNS checks (--skip values.inputs.placeholders): invalidName, never EBADNAME', async () => {
    const t = loadTarget({ values: [join(SHARED_FIXTURES, 'flyte-values', 'flyte-sandbox__values.yaml')], set: [], env: {}, cwd: SHARED_FIXTURES, home: '/nonexistent-home', dnsServer: getTestbed().dns.server });
    const run = await runChecks({ target: t, plan: plan(builtinChecks, 'preflight', { only: ['dns.hosts.resolve', 'database.postgres.dns'], skip: ['values.inputs.placeholders'] }, t), timeoutMs: 5000, concurrency: 8 });
    assertDeclared(run);
    expect(run.results.find((r) => r.id === 'dns.hosts.resolve' && r.instance === 'database-flyteadmin')).toMatchObject({ status: 'fail', messageId: 'invalidName' });
    expect(run.results.find((r) => r.id === 'database.postgres.dns')).toMatchObject({ status: 'fail', messageId: 'invalidName' });
  });

  it('a host with a space: invalidName naming the values key', async () => {
    const t = loadTarget({ values: [], set: ['configuration.database.host=db .example.org', 'configuration.database.port=5432'], env: {}, cwd: SHARED_FIXTURES, home: '/nonexistent-home', dnsServer: getTestbed().dns.server });
    const run = await runSelection(t, 'preflight', ['database.postgres.dns']);
    const db = run.results.find((r) => r.id === 'database.postgres.dns')!;
    expect(db).toMatchObject({ status: 'fail', messageId: 'invalidName' });
    expect(db.hint).toContain('configuration.database.host');
  });
});

describe('cluster-internal names from inside the cluster (target.inCluster)', () => {
  it('a Service name that does not resolve in the pod is a real failure there, a "cannot check from here" warning outside', async () => {
    const base = loadTarget({ values: [], set: ['configuration.database.host=postgres.fd-nowhere.svc.cluster.local', 'configuration.database.port=5432'], env: {}, cwd: SHARED_FIXTURES, home: '/nonexistent-home', dnsServer: getTestbed().dns.server });
    const outside = (await runSelection(base, 'preflight', ['dns.hosts.resolve'])).results.find((r) => r.id === 'dns.hosts.resolve' && r.instance === 'database-flyteadmin')!;
    expect(outside).toMatchObject({ status: 'warn', messageId: 'clusterInternal' });
    const inside = (await runSelection({ ...base, inCluster: true }, 'preflight', ['dns.hosts.resolve'])).results.find((r) => r.id === 'dns.hosts.resolve' && r.instance === 'database-flyteadmin')!;
    expect(inside.status, inside.message).toBe('fail');
    expect(['nxdomain', 'dnsRefused', 'servfail', 'noAddress']).toContain(inside.messageId);
  });
});
