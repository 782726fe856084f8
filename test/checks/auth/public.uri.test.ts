// auth.public.uri against the real Flyte values files in ../shared/fixtures, through the loader:
// flyteadmin picks its public URL (issuer, token endpoint, audience) by matching the request's host
// against authorizedUris and otherwise takes the first entry (failure mode A4). No server is
// involved: the finding is about the values, held to both charts' own defaults and examples.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTarget, type TargetInput } from '../../../src/config/load.js';
import { SHARED_FIXTURES } from '../../harness/fixtures.js';
import { assertDeclared, runCheck } from '../../harness/run-check.js';
import { builtinChecks } from '../../../checks/index.js';
import { plan } from '../../../src/engine/plan.js';
import { runChecks } from '../../../src/engine/run.js';

const VALUES = join(SHARED_FIXTURES, 'flyte-values');
const ID = 'auth.public.uri';
const load = (over: Partial<TargetInput>) => loadTarget({ values: [], set: [], env: {}, cwd: SHARED_FIXTURES, home: '/nonexistent-home', ...over });
// The example files keep their other placeholders (<DB_PASSWORD>, the OIDC client id...): probed as they are here.
const check = async (over: Partial<TargetInput>) => {
  const t = load(over);
  const r = await runChecks({ target: t, plan: plan(builtinChecks, 'preflight', { only: [ID], skip: ['values.inputs.placeholders'] }, t), timeoutMs: 5000, concurrency: 4 });
  assertDeclared(r);
  return r.results.find((x) => x.id === ID)!;
};

describe(ID, () => {
  it('flyte-binary eks-production: its authorizedUris entry is the Ingress host: pass; another host: publicUrlMissing naming the file, the key and what flyteadmin falls back to', async () => {
    const file = join(VALUES, 'flyte-binary__eks-production.yaml');
    const ok = await check({ values: [file], set: ['configuration.auth.enabled=true', 'ingress.host=flyte.company.com'] });
    expect(ok).toMatchObject({ status: 'pass', messageId: 'listed' });
    expect(ok.message).toBe(`https://flyte.company.com is in authorizedUris (${file}: configuration.auth.authorizedUris) (5 entries)`);
    const other = await check({ values: [file], set: ['configuration.auth.enabled=true', 'ingress.host=flyte.other.internal'] });
    expect(other).toMatchObject({ status: 'fail', messageId: 'publicUrlMissing', cause: 'config:configuration.auth.authorizedUris' });
    expect(other.message).toContain('clients use https://flyte.other.internal, which is not in authorizedUris');
    expect(other.message).toContain('takes the first entry, https://flyte.company.com, as its issuer and token audience');
    expect(other.hint).toBe(`add https://flyte.other.internal to configuration.auth.authorizedUris in ${file} (the chart appends the in-cluster URIs itself)`);
  });

  it('flyte-binary with no authorizedUris (the chart default []): only the in-cluster URIs the chart appends, so the public URL is missing', async () => {
    const r = await check({ values: [join(VALUES, 'flyte-binary__gke-starter.yaml')], set: ['configuration.auth.enabled=true', 'ingress.host=flyte.corp.internal'] });
    expect(r).toMatchObject({ status: 'fail', messageId: 'publicUrlMissing' });
    expect(r.message).toMatch(/not in authorizedUris \(.*gke-starter\.yaml: configuration\.auth\.authorizedUris\): http:\/\/flyte-backend-flyte-binary:8088, http:\/\/flyte-backend-flyte-binary\.flyte:8088, .*; flyteadmin matches each request's host against that list and otherwise takes the first entry, http:\/\/flyte-backend-flyte-binary:8088,/);
  });

  it('flyte-core with the chart default list (the sandbox https://localhost:30081 first): the real host is missing; the admin endpoint of the client config counts too', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const cfg = join(mkdtempSync(join(tmpdir(), 'fd-pub-')), 'config.yaml');
    writeFileSync(cfg, 'admin:\n  endpoint: dns:///flyte-api.corp.internal\n');
    const r = await check({ values: [join(VALUES, 'flyte-core__values.yaml')], set: ['configmap.adminServer.server.security.useAuth=true', 'common.ingress.host=flyte.corp.internal', 'common.ingress.tls.enabled=true'], flytectlConfig: cfg });
    expect(r).toMatchObject({ status: 'fail', messageId: 'publicUrlMissing', cause: 'config:configmap.adminServer.auth.authorizedUris' });
    expect(r.message).toContain(`clients use https://flyte.corp.internal and https://flyte-api.corp.internal, which are not in authorizedUris (${join(VALUES, 'flyte-core__values.yaml')}: configmap.adminServer.auth.authorizedUris): https://localhost:30081, http://flyteadmin:80, http://flyteadmin.flyte.svc.cluster.local:80;`);
    expect(r.message).toContain('takes the first entry, https://localhost:30081, as its issuer and token audience, so tokens for flyte.corp.internal are rejected ("invalid audience") and logins are sent to https://localhost:30081');
    expect(r.hint).toBe(`add https://flyte.corp.internal and https://flyte-api.corp.internal to configmap.adminServer.auth.authorizedUris in ${join(VALUES, 'flyte-core__values.yaml')}, keeping the in-cluster service URIs`);
  });

  it('flyte-core: the host listed with http where clients use https is otherScheme; in-cluster URIs of namespace flyte while Flyte runs elsewhere warn; both right: pass', async () => {
    const base = ['configmap.adminServer.server.security.useAuth=true', 'common.ingress.host=flyte.corp.internal', 'common.ingress.tls.enabled=true'];
    const uris = (list: string[]) => list.map((u, i) => `configmap.adminServer.auth.authorizedUris[${i}]=${u}`);
    const http = await check({ values: [join(VALUES, 'flyte-core__values.yaml')], set: [...base, ...uris(['http://flyte.corp.internal', 'http://flyteadmin:80', 'http://flyteadmin.flyte.svc.cluster.local:80'])] });
    expect(http).toMatchObject({ status: 'fail', messageId: 'otherScheme' });
    expect(http.message).toContain('clients use https://flyte.corp.internal, but authorizedUris (--set: configmap.adminServer.auth.authorizedUris) list its host as http://flyte.corp.internal');
    const good = ['https://flyte.corp.internal', 'http://flyteadmin:80', 'http://flyteadmin.flyte.svc.cluster.local:80'];
    const ns = await check({ values: [join(VALUES, 'flyte-core__values.yaml')], set: [...base, ...uris(good)], namespace: 'flyte-prod' });
    expect(ns).toMatchObject({ status: 'warn', messageId: 'internalNamespace' });
    expect(ns.hint).toBe('write http://flyteadmin.flyte-prod.svc.cluster.local:80 in configmap.adminServer.auth.authorizedUris');
    expect(await check({ values: [join(VALUES, 'flyte-core__values.yaml')], set: [...base, ...uris(good)] })).toMatchObject({ status: 'pass', messageId: 'listed' });
  });

  it('auth off: not checked (flyteadmin uses no public URL for tokens)', async () => {
    const { results } = await runCheck(ID, load({ values: [join(VALUES, 'flyte-core__values.yaml')], set: ['common.ingress.host=flyte.corp.internal'] }), { phase: 'preflight' });
    expect(results.find((r) => r.id === ID)?.status).toBe('skip');
  });
});
