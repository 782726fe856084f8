// values.inputs.placeholders against the real Flyte files in ../shared/fixtures, through the loader
// and the real engine: the finding names each key, file and value, and every probe that would use
// a placeholder is blocked by it (never run). The broken-bed variants are in test/scenarios/values.test.ts.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTarget, type TargetInput } from '../../../src/config/load.js';
import { builtinChecks } from '../../../checks/index.js';
import { plan } from '../../../src/engine/plan.js';
import { runChecks } from '../../../src/engine/run.js';
import { SHARED_FIXTURES } from '../../harness/fixtures.js';
import { assertDeclared } from '../../harness/run-check.js';

const VALUES = join(SHARED_FIXTURES, 'flyte-values');
const ID = 'values.inputs.placeholders';
const load = (over: Partial<TargetInput>) => loadTarget({ values: [], set: [], env: {}, cwd: SHARED_FIXTURES, home: '/nonexistent-home', ...over });

/** Runs the phase's checks that cannot reach anything here (kubernetes off), returns the results. */
async function run(t: ReturnType<typeof load>, only: string[], skip: string[] = []) {
  const r = await runChecks({ target: t, plan: plan(builtinChecks, 'preflight', { only, skip }, t), timeoutMs: 2000, concurrency: 8 });
  assertDeclared(r);
  return r.results;
}

describe(ID, () => {
  it('eks-starter: every <MARKER> is listed with its key and file; database and storage probes are blocked, never run', async () => {
    const file = join(VALUES, 'flyte-binary__eks-starter.yaml');
    const t = load({ values: [file] });
    const results = await run(t, ['database', 'storage']);
    const me = results.find((r) => r.id === ID)!;
    expect(me).toMatchObject({ status: 'fail', messageId: 'placeholders', rootCause: true });
    expect(me.message).toContain('configuration.database.host = <RDS_HOST_DNS>');
    expect(me.message).toContain('configuration.database.password = <DB_PASSWORD>');
    expect(me.hint).toContain(`configuration.database.host in ${file}`);
    const probes = results.filter((r) => r.id !== ID && !r.id.startsWith('storage.gcs.') && !r.id.startsWith('storage.azure.')); // gcs, azure: not this provider
    expect(probes.length).toBeGreaterThan(5);
    for (const r of probes) expect(r, r.id).toMatchObject({ status: 'skip', blockedBy: ID, explainedBy: `${ID}` });
    const details = me.details!['placeholders'] as { key: string; usedBy: string[] }[];
    expect(details.find((d) => d.key === 'serviceAccount.annotations.eks.amazonaws.com/role-arn')?.usedBy).toEqual([]);
  });

  it('a Terraform templatefile() input: ${var} reached through {{ .Values.userSettings.x }} is listed once, at userSettings, with the fields using it', async () => {
    const t = load({ values: [join(VALUES, 'flyte-core__deploy-flyte-gcp-values-gcp-core.yaml')] });
    const results = await run(t, ['database']);
    const me = results.find((r) => r.id === ID)!;
    expect(me.messageId).toBe('placeholders');
    expect(me.hint).toContain('templatefile()');
    const d = (me.details!['placeholders'] as { key: string; value: string; usedBy: string[] }[]).find((x) => x.key === 'userSettings.dbHost');
    expect(d).toMatchObject({ value: '${dbhost}', usedBy: ['databases[0].host', 'databases[1].host'] });
    expect(results.filter((r) => r.id.startsWith('database.')).every((r) => r.blockedBy === ID)).toBe(true);
  });

  it("the chart's own values.yaml: 127.0.0.1:5432 is the pod's loopback, the example bucket somebody else's: both blocked", async () => {
    const t = load({ values: [join(VALUES, 'flyte-binary__values.yaml')] });
    expect(t.placeholders?.map((p) => [p.kind, p.key])).toEqual([
      ['chart-placeholder', 'configuration.storage.metadataContainer'],
      ['chart-placeholder', 'configuration.storage.userDataContainer'],
      ['pod-loopback', 'configuration.database.host'],
    ]);
    const results = await run(t, ['database.postgres.connect']);
    const me = results.find((r) => r.id === ID)!;
    expect(me.messageId).toBe('podLoopback');
    expect(me.hint).toContain('--in-cluster');
    expect(results.find((r) => r.id === 'database.postgres.connect')).toMatchObject({ status: 'skip', blockedBy: ID });
  });

  it('flyte-core: a database key written as "" is listed per database, with the fallback; null (the key removed) is not', () => {
    const f = join(VALUES, 'flyte-core__values-eks.yaml');
    const t = load({ values: [f], set: ['db.datacatalog.database.dbname=', 'db.admin.database.port='] });
    expect(t.placeholders?.filter((p) => p.kind === 'empty').map((p) => [p.key, p.origin, p.fields, p.why?.split(', ').pop()])).toEqual([
      ['db.admin.database.port', '--set', ['databases[0].port'], '30001'],
      ['db.datacatalog.database.dbname', '--set', ['databases[1].dbname'], 'postgres'],
    ]);
    expect(t.provenance['databases[1].dbname']).toBe("--set: db.datacatalog.database.dbname (empty: Flyte's built-in default database.postgres.dbname)");
    const removed = load({ values: [f], set: ['db.datacatalog.database.dbname=null'] });
    expect(removed.placeholders?.some((p) => p.kind === 'empty')).toBeFalsy();
  });

  it('--set of the same loopback host is deliberate (a port-forward): not a placeholder', () => {
    const t = load({ values: [join(VALUES, 'flyte-binary__values.yaml')], set: ['configuration.database.host=127.0.0.1'] });
    expect(t.placeholders?.some((p) => p.kind === 'pod-loopback')).toBe(false);
  });

  it('an unresolved {{ .Values.x }} (an overlay used without its base file) is its own finding', async () => {
    const t = load({ values: [join(VALUES, 'flyte-core__values-eks-override.yaml')] });
    expect(t.placeholders?.filter((p) => p.kind === 'template').map((p) => p.tokens).flat()).toContain('{{ .Values.userSettings.accountRegion }}');
    const results = await run(t, [ID]);
    // the chart-default `postgres` host is a placeholder too; the first kind decides the messageId
    expect(results.find((r) => r.id === ID)!.messageId).toBe('unresolvedTemplate');
  });

  it('--skip values.inputs.placeholders probes the values as they are (nothing blocked)', async () => {
    const t = load({ values: [join(VALUES, 'flyte-binary__eks-starter.yaml')] });
    const results = await run(t, ['database.postgres.dns'], [ID]);
    expect(results.find((r) => r.id === 'database.postgres.dns')?.blockedBy).toBeUndefined();
    expect(results.find((r) => r.id === 'database.postgres.dns')?.status).not.toBe('skip');
  });

  it('a documentation domain in the client config blocks the endpoint probes; the healthy files pass', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'fd-ph-'));
    writeFileSync(join(dir, 'config.yaml'), 'admin:\n  endpoint: dns:///flyte.example.com\n');
    const t = load({ flytectlConfig: join(dir, 'config.yaml') });
    const results = await run(t, ['dns.admin.resolve']);
    expect(results.find((r) => r.id === ID)).toMatchObject({ status: 'fail', messageId: 'exampleDomain' });
    expect(results.find((r) => r.id === 'dns.admin.resolve')).toMatchObject({ status: 'skip', blockedBy: ID });
    const ok = load({ values: [join(VALUES, 'flyte-core__fthw-onprem-flyte-core-values.yaml')] });
    expect(ok.placeholders).toBeUndefined();
    expect((await run(ok, [ID])).find((r) => r.id === ID)).toMatchObject({ status: 'pass', messageId: 'none' });
  });
});
