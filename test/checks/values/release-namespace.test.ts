// values.inputs.release-namespace (failure mode K6): flyte-core's defaults name the namespace flyte for
// flytepropeller's leader-election lock and an authorizedUris entry; installed elsewhere, propeller never
// leads and in-cluster names do not resolve. Through the loader and the real engine, with the Flyte
// project's own values files.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinChecks } from '../../../checks/index.js';
import { loadTarget, type TargetInput } from '../../../src/config/load.js';
import { plan } from '../../../src/engine/plan.js';
import { runChecks } from '../../../src/engine/run.js';
import { SHARED_FIXTURES } from '../../harness/fixtures.js';
import { assertDeclared } from '../../harness/run-check.js';

const ID = 'values.inputs.release-namespace';
const dir = mkdtempSync(join(tmpdir(), 'fd-relns-'));
const file = (name: string, text: string) => { const f = join(dir, name); writeFileSync(f, text); return f; };
const fixture = (name: string) => join(SHARED_FIXTURES, 'flyte-values', name);
async function result(input: Partial<TargetInput>) {
  const t = loadTarget({ values: [], set: [], env: {}, cwd: dir, home: join(dir, 'home'), ...input });
  const r = await runChecks({ target: t, plan: plan(builtinChecks, 'preflight', { only: [ID] }, t), timeoutMs: 2000, concurrency: 2 });
  assertDeclared(r);
  return r.results.find((x) => x.id === ID)!;
}

describe('values.inputs.release-namespace', () => {
  it('flyte-core\'s own values installed into flyte-prod: the lock in flyte is a fail naming the key and the value meant, the authorizedUris entry named too', async () => {
    const r = await result({ values: [fixture('flyte-core__values.yaml')], namespace: 'flyte-prod' });
    expect(r.status, r.message).toBe('fail');
    expect(r.messageId).toBe('lockElsewhere');
    expect(r.cause).toBe('config:configmap.core.propeller.leader-election.lock-config-map.namespace');
    expect(r.message).toContain('the release goes to flyte-prod (--namespace)');
    expect(r.message).toContain('http://flyteadmin.flyte.svc.cluster.local:80');
    expect(r.hint).toContain('configmap.core.propeller.leader-election.lock-config-map.namespace: flyte-prod');
    expect(r.hint).toContain('"http://flyteadmin.flyte-prod.svc.cluster.local:80"');
    expect(r.hint).toContain('configmap.adminServer.auth.authorizedUris: the whole list');
  });

  it('a values file without those keys still gets the chart\'s defaults (the deployer never wrote them), said as the chart\'s default', async () => {
    const r = await result({ values: [file('core-min.yaml', 'configmap:\n  adminServer:\n    server:\n      httpPort: 8088\nflyteadmin:\n  enabled: true\ndb:\n  admin:\n    database:\n      host: db.example.org\n')], namespace: 'flyte-prod', chart: 'flyte-core' });
    expect(r.messageId, r.message).toBe('lockElsewhere');
    expect(r.message).toContain("configmap.core.propeller.leader-election.lock-config-map.namespace (the chart's default) = flyte");
  });

  it('the lock and the URIs set for the namespace, an endpoint copied from an example still in flyte: servicesElsewhere for that endpoint only', async () => {
    const v = file('core-moved.yaml', [
      'configmap:',
      '  core:',
      '    propeller:',
      '      leader-election:',
      '        lock-config-map: {name: propeller-leader, namespace: flyte-prod}',
      '  adminServer:',
      '    auth:',
      '      authorizedUris: [https://flyte.example.org, http://flyteadmin:80, http://flyteadmin.flyte-prod.svc.cluster.local:80]',
      '  catalog:',
      '    catalog-cache:',
      '      endpoint: datacatalog.flyte.svc.cluster.local:89',
      '',
    ].join('\n'));
    const r = await result({ values: [v], namespace: 'flyte-prod', chart: 'flyte-core' });
    expect(r.messageId, r.message).toBe('servicesElsewhere');
    expect(r.cause).toBe('config:configmap.catalog.catalog-cache.endpoint');
    expect(r.hint).toContain('configmap.catalog.catalog-cache.endpoint: "datacatalog.flyte-prod.svc.cluster.local:89"');
    expect(r.hint).not.toContain('lock-config-map');
  });

  it('only an authorizedUris entry left: a warn, the whole list to set', async () => {
    const v = file('core-uris.yaml', 'configmap:\n  core:\n    propeller:\n      leader-election:\n        lock-config-map: {namespace: team-a}\n');
    const r = await result({ values: [v], namespace: 'team-a', chart: 'flyte-core' });
    expect(r.status, r.message).toBe('warn');
    expect(r.messageId).toBe('urisElsewhere');
    expect(r.cause).toBe('config:configmap.adminServer.auth.authorizedUris');
  });

  it('installed into flyte: skip; everything in the release namespace: pass', async () => {
    expect((await result({ values: [fixture('flyte-core__values.yaml')], namespace: 'flyte' })).messageId).toBe('chartNamespace');
    const v = file('binary.yaml', 'configuration:\n  database:\n    host: db.example.org\n');
    const r = await result({ values: [v], namespace: 'team-a', chart: 'flyte-binary' });
    expect(r.status, r.message).toBe('pass');
  });
});
