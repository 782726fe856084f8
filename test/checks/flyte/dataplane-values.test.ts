// Multi-cluster flyte-core from the values: the data planes the loader maps (the control-plane and
// data-plane fixtures, hand-written cluster configs), the --data-plane flag's errors, and
// flyte.dataplane.config's findings (preflight, values only: no server is contacted).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadTarget } from '../../../src/config/load.js';
import type { Target } from '../../../src/config/target.js';
import { UserError } from '../../../src/errors.js';
import { fixture } from '../../harness/fixtures.js';
import { runCheck } from '../../harness/run-check.js';

const dir = mkdtempSync(join(tmpdir(), 'fd-dp-values-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function load(values: Record<string, unknown> | string[], dataPlanes: string[] = []): Target {
  const files = Array.isArray(values) ? values : [join(dir, `v${n++}.yaml`)];
  if (!Array.isArray(values)) writeFileSync(files[0]!, stringify(values));
  return loadTarget({ values: files, set: [], env: {}, cwd: dir, home: join(dir, 'home'), ...(dataPlanes.length ? { dataPlanes } : {}) });
}

const creds = {
  additionalVolumes: [{ name: 'cluster-credentials', secret: { secretName: 'cluster-credentials' } }],
  additionalVolumeMounts: [{ name: 'cluster-credentials', mountPath: '/var/run/credentials' }],
  initContainerClusterSyncAdditionalVolumeMounts: [{ name: 'cluster-credentials', mountPath: '/var/run/credentials' }],
};
const entry = (name: string, o: Record<string, unknown> = {}) => ({
  name, endpoint: `https://${name}.example.com:443`, enabled: true,
  auth: { type: 'file_path', tokenPath: `/var/run/credentials/${name}_token`, certPath: `/var/run/credentials/${name}_cacert` }, ...o,
});
const controlPlane = (clusters: Record<string, unknown>, admin: Record<string, unknown> = creds) => ({ flytepropeller: { enabled: false }, flyteadmin: admin, configmap: { clusters } });

async function config(t: Target, instance: string) {
  return (await runCheck('flyte.dataplane.config', t, { instance })).result;
}

describe('data planes from the values', () => {
  it('the control-plane fixture (on values-eks) has no clusterConfigs and no propeller: executions would stay in its own cluster, where nothing runs them', async () => {
    const t = load([fixture('flyte-values', 'flyte-core__values-eks.yaml'), fixture('flyte-values', 'flyte-core__values-controlplane.yaml')]);
    expect(t.dataPlanes?.role).toBe('control-plane');
    expect(t.dataPlanes?.propellerHere).toBe(false);
    expect(t.dataPlanes?.planes.map((p) => ({ name: p.name, implicit: p.implicit, inCluster: p.inCluster }))).toEqual([{ name: 'in-cluster', implicit: true, inCluster: true }]);
    const r = await config(t, 'in-cluster');
    expect(r.status).toBe('fail');
    expect(r.messageId).toBe('inClusterWithoutPropeller');
    expect(r.cause).toBe('config:flytepropeller.enabled');
    expect(r.hint).toContain('configmap.clusters.clusterConfigs');
  });

  it('the data-plane fixture (on values-eks) is this cluster as a data plane, creating the flyteadmin ServiceAccount the control plane uses', async () => {
    const t = load([fixture('flyte-values', 'flyte-core__values-eks.yaml'), fixture('flyte-values', 'flyte-core__values-dataplane.yaml')]);
    expect(t.dataPlanes?.role).toBe('data-plane');
    expect(t.dataPlanes?.planes.map((p) => ({ name: p.name, local: p.local }))).toEqual([{ name: 'this-cluster', local: true }]);
    expect(t.dataPlanes?.adminServiceAccount?.created).toBe(true);
    expect(t.dataPlanes?.adminServiceAccount?.source).toContain('flyteadmin.serviceAccount.alwaysCreate');
    // The fixture alone keeps the chart's flyteadmin:81 for propeller's events: the docs add the control plane's address.
    const r = await config(t, 'this-cluster');
    expect(r.status).toBe('fail');
    expect(r.messageId).toBe('adminEndpointLocal');
    expect(r.message).toContain('"flyteadmin:81"');
    expect(r.message).toContain('datacatalog:89');
    expect(r.hint).toContain('configmap.admin.admin.endpoint');
  });

  it('the data-plane fixture with the docs\' addition (the control plane\'s admin and catalog addresses) passes', async () => {
    const extra = join(dir, 'dp-extra.yaml');
    writeFileSync(extra, stringify({ configmap: { admin: { admin: { endpoint: 'flyte.example.com:443', insecure: false } }, catalog: { 'catalog-cache': { endpoint: 'datacatalog.internal.example.com:89', insecure: false } } } }));
    const t = load([fixture('flyte-values', 'flyte-core__values-eks.yaml'), fixture('flyte-values', 'flyte-core__values-dataplane.yaml'), extra]);
    const r = await config(t, 'this-cluster');
    expect(r.status, r.message).toBe('pass');
    expect(r.messageId).toBe('dataPlaneInstall');
  });

  it('a data-plane install with only the cache left in-cluster warns', async () => {
    const t = load({ flyteadmin: { enabled: false, serviceAccount: { alwaysCreate: true } }, configmap: { admin: { admin: { endpoint: 'dns:///flyte.example.com' } } } });
    const r = await config(t, 'this-cluster');
    expect(r.status).toBe('warn');
    expect(r.messageId).toBe('catalogEndpointLocal');
  });

  it('a data-plane install without the flyteadmin ServiceAccount fails naming the key', async () => {
    const t = load({ flyteadmin: { enabled: false }, datacatalog: { enabled: false }, flyteconsole: { enabled: false } });
    const r = await config(t, 'this-cluster');
    expect(r.status).toBe('fail');
    expect(r.messageId).toBe('adminServiceAccountMissing');
    expect(r.hint).toContain('flyteadmin.serviceAccount.alwaysCreate: true');
  });

  it('the single-cluster fixtures have no data planes', () => {
    expect(load([fixture('flyte-values', 'flyte-core__values-eks.yaml')]).dataPlanes).toBeUndefined();
    expect(load([fixture('flyte-values', 'flyte-binary__eks-starter.yaml')]).dataPlanes).toBeUndefined();
  });

  it('maps the docs\' control-plane override: endpoint, enabled, labels, and the token/CA traced to Secret keys through flyteadmin\'s volumes', async () => {
    const t = load(controlPlane({ labelClusterMap: { team1: [{ id: 'dataplane_1', weight: 1 }] }, clusterConfigs: [entry('dataplane_1')] }), ['dataplane_1=dp1-ctx']);
    const p = t.dataPlanes!.planes.find((x) => x.name === 'dataplane_1')!;
    expect(p).toMatchObject({ index: 0, endpoint: 'https://dataplane_1.example.com:443', enabled: true, context: 'dp1-ctx', labels: [{ label: 'team1', weight: 1 }] });
    expect(p.token).toMatchObject({ path: '/var/run/credentials/dataplane_1_token', secret: 'cluster-credentials', key: 'dataplane_1_token', volume: 'cluster-credentials' });
    expect(p.ca).toMatchObject({ secret: 'cluster-credentials', key: 'dataplane_1_cacert' });
    expect(p.token?.syncInitMissing).toBeUndefined();
    const r = await config(t, 'dataplane_1');
    expect(r.status).toBe('pass');
    expect(r.messageId).toBe('configured');
    expect(r.message).toContain('Secret flyte/cluster-credentials');
  });

  it('secret volumes with items map the file name to the Secret key', () => {
    const admin = { additionalVolumes: [{ name: 'c', secret: { secretName: 'creds', items: [{ key: 'tok', path: 'dp_token' }, { key: 'ca', path: 'dp_cacert' }] } }], additionalVolumeMounts: [{ name: 'c', mountPath: '/var/run/credentials' }] };
    const t = load(controlPlane({ clusterConfigs: [entry('dp')] }, admin));
    const p = t.dataPlanes!.planes[0]!;
    expect(p.token).toMatchObject({ secret: 'creds', key: 'tok' });
    expect(p.ca).toMatchObject({ secret: 'creds', key: 'ca' });
  });
});

describe('--data-plane NAME=CONTEXT', () => {
  for (const bad of ['dp1', '=ctx', 'dp1=', 'dp 1=ctx', 'dp1=my ctx']) {
    it(`refuses ${JSON.stringify(bad)} with one line naming the flag and what is expected`, () => {
      let err: unknown;
      try { load(controlPlane({ clusterConfigs: [entry('dp1')] }), [bad]); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toMatch(/^--data-plane /);
      expect((err as Error).message).toContain('NAME=CONTEXT');
      expect((err as Error).message).not.toContain('\n');
    });
  }
  it('refuses one data plane given two contexts', () => {
    expect(() => load(controlPlane({ clusterConfigs: [entry('dp1')] }), ['dp1=a', 'dp1=b'])).toThrow(/already given with context "a"/);
  });
  it('a flag naming a cluster the config does not define warns with the configured names', async () => {
    const t = load(controlPlane({ clusterConfigs: [entry('dp1')] }), ['dp2=ctx2']);
    const r = await config(t, 'dp2');
    expect(r.status).toBe('warn');
    expect(r.messageId).toBe('flagOnly');
    expect(r.hint).toContain('--data-plane dp1=ctx2');
  });
  it('flags with flyte-binary values: no data plane can be configured there, said as such', async () => {
    const t = load([fixture('flyte-values', 'flyte-binary__eks-starter.yaml')], ['dp1=ctx']);
    expect(t.dataPlanes?.role).toBe('flags-only');
    const r = await config(t, 'dp1');
    expect(r.status).toBe('warn');
    expect(r.messageId).toBe('flagOnly');
    expect(r.message).toContain('not a flyte-core control plane');
  });
  it('a hostile values file with thousands of clusters is bounded', () => {
    const t = load(controlPlane({ clusterConfigs: Array.from({ length: 3000 }, (_, i) => entry(`dp${i}`)), labelClusterMap: { l: Array.from({ length: 3000 }, (_, i) => ({ id: `x${i}` })) } }));
    expect(t.dataPlanes!.planes.length).toBeLessThanOrEqual(64);
  });
  it('flags alone on a single-cluster install still give per-cluster results', () => {
    const t = load([fixture('flyte-values', 'flyte-core__values-eks.yaml')], ['dp1=ctx']);
    expect(t.dataPlanes?.role).toBe('control-plane');
    expect(t.dataPlanes?.planes.map((p) => [p.name, p.context])).toEqual([['dp1', 'ctx']]);
  });
});

describe('flyte.dataplane.config findings', () => {
  const cases: { title: string; clusters: Record<string, unknown>; admin?: Record<string, unknown>; instance: string; id: string; status: 'fail' | 'warn'; hint: string }[] = [
    { title: 'a label naming an unknown cluster', clusters: { labelClusterMap: { team2: [{ id: 'dp9', weight: 1 }] }, clusterConfigs: [entry('dp1')] }, instance: 'dp9', id: 'unknownLabelTarget', status: 'fail', hint: 'labelClusterMap.team2[].id: one of dp1' },
    { title: 'two entries with one name', clusters: { clusterConfigs: [entry('dp1'), entry('dp1')] }, instance: 'dp1', id: 'duplicate', status: 'fail', hint: 'its own name' },
    { title: 'no endpoint', clusters: { clusterConfigs: [entry('dp1', { endpoint: '' })] }, instance: 'dp1', id: 'endpointMissing', status: 'fail', hint: 'clusterConfigs[0].endpoint' },
    { title: 'the chart example endpoint (a placeholder)', clusters: { clusterConfigs: [entry('dp1', { endpoint: 'testcluster_endpoint' })] }, instance: 'dp1', id: 'endpointInvalid', status: 'fail', hint: 'https://<host>' },
    { title: 'an http:// endpoint', clusters: { clusterConfigs: [entry('dp1', { endpoint: 'http://10.0.0.1:6443' })] }, instance: 'dp1', id: 'endpointInvalid', status: 'fail', hint: 'clusterConfigs[0].endpoint' },
    { title: 'no certPath', clusters: { clusterConfigs: [entry('dp1', { auth: { type: 'file_path', tokenPath: '/var/run/credentials/dp1_token' } })] }, instance: 'dp1', id: 'authPathsMissing', status: 'fail', hint: 'auth.certPath' },
    { title: 'the token path under no mount', clusters: { clusterConfigs: [entry('dp1', { auth: { tokenPath: '/etc/creds/dp1_token', certPath: '/var/run/credentials/dp1_cacert' } })] }, instance: 'dp1', id: 'notMounted', status: 'fail', hint: 'mountPath: /etc/creds' },
    { title: 'no volumes at all', clusters: { clusterConfigs: [entry('dp1')] }, admin: {}, instance: 'dp1', id: 'notMounted', status: 'fail', hint: 'flyteadmin.additionalVolumes' },
    { title: 'a weight above 1', clusters: { labelClusterMap: { team1: [{ id: 'dp1', weight: 2 }] }, clusterConfigs: [entry('dp1')] }, instance: 'dp1', id: 'weightInvalid', status: 'fail', hint: 'between 0 and 1' },
    { title: 'no cluster enabled (enabled defaults to false)', clusters: { clusterConfigs: [entry('dp1', { enabled: undefined })] }, instance: 'dp1', id: 'noEnabledCluster', status: 'fail', hint: 'clusterConfigs[0].enabled: true' },
    { title: 'one cluster without enabled beside an enabled one', clusters: { clusterConfigs: [entry('dp1'), entry('dp2', { enabled: undefined })] }, instance: 'dp2', id: 'enabledUnset', status: 'warn', hint: 'clusterConfigs[1].enabled: true' },
    { title: 'a label routing to a disabled cluster', clusters: { labelClusterMap: { t: [{ id: 'dp2' }] }, clusterConfigs: [entry('dp1'), entry('dp2', { enabled: false })] }, instance: 'dp2', id: 'labelsToDisabled', status: 'warn', hint: 'enabled: true' },
    { title: 'an entry that is not a map', clusters: { clusterConfigs: [entry('dp1'), 'dp2'] }, instance: 'clusterConfigs[1]', id: 'entryInvalid', status: 'fail', hint: 'clusterConfigs[1]' },
    { title: 'the docs\' init-container mount at another path', clusters: { clusterConfigs: [entry('dp1')] }, admin: { ...creds, initContainerClusterSyncAdditionalVolumeMounts: [{ name: 'cluster-credentials', mountPath: '/etc/credentials' }] }, instance: 'dp1', id: 'syncInitMissing', status: 'warn', hint: 'mountPath: /var/run/credentials' },
  ];
  for (const c of cases) {
    it(`${c.title}: ${c.status} ${c.id}`, async () => {
      const t = load(controlPlane(c.clusters, c.admin ?? creds));
      const r = await config(t, c.instance);
      expect(r.status, r.message).toBe(c.status);
      expect(r.messageId).toBe(c.id);
      expect(r.hint).toContain(c.hint);
      expect(r.instance).toBe(c.instance);
    });
  }
  it('an inCluster entry is flyteadmin\'s own cluster: fine with flytepropeller here, a failure without it', async () => {
    const withProp = load({ flyteadmin: creds, configmap: { clusters: { clusterConfigs: [entry('dp1'), { name: 'controlplane', enabled: true, inCluster: true }] } } });
    expect((await config(withProp, 'controlplane')).messageId).toBe('inCluster');
    const without = load(controlPlane({ clusterConfigs: [entry('dp1'), { name: 'controlplane', enabled: true, inCluster: true }] }));
    const r = await config(without, 'controlplane');
    expect(r.status).toBe('fail');
    expect(r.messageId).toBe('inClusterWithoutPropeller');
    expect((await runCheck('flyte.dataplane.api', withProp, { instance: 'controlplane' })).result.messageId).toBe('inCluster');
  });
  it('without initContainerClusterSyncAdditionalVolumeMounts (older charts have no such key) nothing is said about the init container', async () => {
    const { initContainerClusterSyncAdditionalVolumeMounts: _drop, ...noSync } = creds;
    const r = await config(load(controlPlane({ clusterConfigs: [entry('dp1')] }, noSync)), 'dp1');
    expect(r.messageId).toBe('configured');
  });
  it('one result per data plane, each named', async () => {
    const t = load(controlPlane({ labelClusterMap: { a: [{ id: 'dp1', weight: 0.5 }, { id: 'dp2', weight: 0.5 }] }, clusterConfigs: [entry('dp1'), entry('dp2')] }));
    const { results } = await runCheck('flyte.dataplane.config', t);
    const mine = results.filter((r) => r.id === 'flyte.dataplane.config');
    expect(mine.map((r) => [r.instance, r.instanceLabel, r.status])).toEqual([['dp1', 'data plane dp1', 'pass'], ['dp2', 'data plane dp2', 'pass']]);
  });
});

describe('single-cluster installs', () => {
  it('every data-plane check skips naming why (no clusterConfigs, no --data-plane), not a generic reason', async () => {
    const t = load({ configmap: { adminServer: { server: { httpPort: 8088 } } } });
    expect(t.dataPlanes).toBeUndefined();
    for (const id of ['flyte.dataplane.config', 'flyte.dataplane.api']) {
      const { result } = await runCheck(id, t);
      expect(result.status, id).toBe('skip');
      expect(result.message, id).toContain('not a multi-cluster flyte-core install');
    }
  });
});
