// flyte.config.live against the test bed's kube-apiserver with the REAL rendered chart manifests
// (test/infra/flyte-install.ts). The shared install in `flyte` is only read; every break happens in a
// private install in a namespace of its own (fd-live-*), created and removed here. Targets come from
// the real loader (values files), so provenance and fixes are what a user sees.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTarget } from '../../../src/config/load.js';
import type { Target } from '../../../src/config/target.js';
import { cause, hostPortKey } from '../../../src/engine/causes.js';
import type { CheckResult } from '../../../src/engine/types.js';
import { deleteObject, installFlyte, patchObject, removeInstall, setPodState, type InstallOptions } from '../../infra/flyte-install.js';
import { createIfMissing, kubeCall, RESTRICTED_GROUP, RESTRICTED_ROLE } from '../../infra/kube.js';
import { runCheck } from '../../harness/run-check.js';
import { SHARED_FIXTURES } from '../../harness/fixtures.js';
import { getTestbed } from '../../harness/testbed.js';
import { makeTarget } from '../../harness/target.js';
import { maskIdentifier } from '../../../src/config/secret.js';
import { probeCause, type Difference } from '../../../checks/flyte/config.live.js';

const ID = 'flyte.config.live';
const tb = () => getTestbed();
const dir = mkdtempSync(join(tmpdir(), 'fd-live-'));
mkdirSync(join(dir, 'home'));
let n = 0;
const valuesFile = (text: string): string => { const f = `values-${n++}.yaml`; writeFileSync(join(dir, f), text); return f; };
const target = (o: { values?: string[]; namespace: string; context?: string; set?: string[]; flytectl?: string }): Target => loadTarget({
  values: o.values ?? [], set: o.set ?? [], env: {}, cwd: dir, home: join(dir, 'home'), ...(o.flytectl ? { flytectlConfig: o.flytectl } : {}),
  kubeconfig: tb().kube.kubeconfig, context: o.context ?? 'admin', namespace: o.namespace,
});
const run = async (t: Target): Promise<CheckResult> => (await runCheck(ID, t)).result;
const shaped = (r: CheckResult) => {
  expect(r.messageId).toBeTruthy();
  expect(r.details).toBeTruthy();
  if (r.status === 'warn' || r.status === 'fail') expect(r.hint, r.message).toBeTruthy();
};
const admin = () => ({ server: tb().kube.server, caFile: tb().kube.caFile });
const cmData = async (ns: string, name: string): Promise<Record<string, string>> =>
  (await kubeCall<{ data: Record<string, string> }>(admin(), tb().kube.tokens.admin, 'GET', `/api/v1/namespaces/${ns}/configmaps/${name}`)).data;
/**
 * Changes one key of a ConfigMap (as `kubectl edit` would); returns the undo, which puts it back and
 * restarts the pods of `restart` (as a rollout would) so later cases do not see pods older than the config.
 */
async function editConfigMap(ns: string, name: string, key: string, edit: (text: string) => string, restart: string[] = []): Promise<() => Promise<void>> {
  const before = (await cmData(ns, name))[key]!;
  await patchObject(tb(), 'ConfigMap', name, { data: { [key]: edit(before) } }, ns);
  return async () => {
    await patchObject(tb(), 'ConfigMap', name, { data: { [key]: before } }, ns);
    for (const d of restart) await setPodState(tb(), d, { containers: { '*': { running: true } } }, ns);
  };
}

// The test bed's values.yaml: what its flyte-binary installs' config is rendered from (test/infra/flyte-install.ts).
const bedValues = () => readFileSync(join(tb().dir, 'values.yaml'), 'utf8');

describe('the shared flyte-binary install (read only)', () => {
  it('values that render the installed config: pass, naming the release, the component and what was compared', async () => {
    const r = await run(target({ values: [valuesFile(bedValues())], namespace: 'flyte' }));
    expect(r.status, r.message).toBe('pass');
    expect(r.messageId).toBe('matches');
    expect(r.message).toBe('release flyte in flyte runs with the values\' configuration (databases, storage, auth; flyte-flyte-binary (6 config files))');
    expect(r.details!['configMaps']).toEqual(['flyte-flyte-binary-config']);
    expect(r.details!['secretsRead']).toEqual(['flyte-flyte-binary-config-secret']);
  });

  it('no values: skip, with the reason', async () => {
    const r = await run(target({ namespace: 'flyte' }));
    expect(r).toMatchObject({ status: 'skip', messageId: 'noValues' });
    expect(r.message).toContain('no Helm values given');
  });

  it('a namespace without Flyte: a finding naming what is missing (the install cause the CRD check also uses)', async () => {
    const r = await run(target({ values: [valuesFile(bedValues())], namespace: 'default' }));
    expect(r).toMatchObject({ status: 'fail', messageId: 'notInstalled', cause: cause.object('flyte-install', 'default', 'flyte-binary') });
    expect(r.message).toMatch(/^no Flyte flyte-binary install in namespace default: none of the Deployments flyte-backend-flyte-binary and none of the config ConfigMaps flyte-backend-flyte-binary-config exist$/);
    expect(r.hint).toContain('helm upgrade --install');
    shaped(r);
  });
});

describe.sequential('flyte-binary: a private install whose live config is changed', () => {
  const o: InstallOptions = { namespace: 'fd-live-bin', release: 'fdlive' };
  const ns = o.namespace!;
  const cm = 'fdlive-flyte-binary-config';
  const dep = 'fdlive-flyte-binary';
  const restart = () => setPodState(tb(), dep, { containers: { '*': { running: true } } }, o);
  let values: string;
  const t = (extra: string[] = [], context?: string) => target({ values: [values, ...extra], namespace: ns, ...(context ? { context } : {}) });
  beforeAll(async () => {
    await removeInstall(tb(), 'flyte-binary', o);
    await installFlyte(tb(), 'flyte-binary', o);
    values = valuesFile(bedValues());
  }, 60_000);
  afterAll(async () => { await removeInstall(tb(), 'flyte-binary', o); }, 60_000);

  it('healthy: pass', async () => {
    const r = await run(t());
    expect(r.status, r.message).toBe('pass');
    expect(r.message).toContain('release fdlive in fd-live-bin');
  });

  it('another bucket in the live ConfigMap: the field, the values key and file, the ConfigMap key, both values, helm upgrade', async () => {
    const undo = await editConfigMap(ns, cm, '003-storage.yaml', (x) => x.replace(`container: ${tb().minio.buckets.metadata}`, 'container: live-other-bucket'), [dep]);
    try {
      const r = await run(t());
      expect(r).toMatchObject({ status: 'fail', messageId: 'differs', cause: cause.config(`configuration.storage.metadataContainer=${tb().minio.buckets.metadata}`) }); // keyed like storage.s3.bucket's noSuchBucket for the values' bucket
      expect(r.message).toBe(`release fdlive in ${ns} runs with another configuration than these values: metadata bucket: the values say "${tb().minio.buckets.metadata}" (${values}: configuration.storage.metadataContainer), the live config says "live-other-bucket" (ConfigMap ${ns}/${cm} key 003-storage.yaml: storage.container)`);
      expect(r.hint).toContain(`\`helm upgrade fdlive flyteorg/flyte-binary -n ${ns} -f ${values}\``);
      expect(r.hint).toContain('change configuration.storage.metadataContainer in the values instead');
      expect((r.details!['differences'] as unknown[])).toHaveLength(1);
      shaped(r);
      // the rollout command names the values files only (not the flytectl config), and --set when used
      writeFileSync(join(dir, 'flytectl.yaml'), 'admin:\n  endpoint: dns:///flyte.example.com\n');
      const withClient = await run(target({ values: [values], namespace: ns, flytectl: 'flytectl.yaml', set: ['configuration.database.dbname=flyte'] }));
      expect(withClient.hint).toContain(`\`helm upgrade fdlive flyteorg/flyte-binary -n ${ns} -f ${values} --set <the same --set flags>\``);
      expect(withClient.hint).not.toContain('flytectl.yaml');
    } finally { await undo(); }
  });

  it('another database host and port in the live ConfigMap: both differences, each with its source', async () => {
    const undo = await editConfigMap(ns, cm, '002-database.yaml', (x) => x.replace('host: 127.0.0.1', 'host: db.live.example.com').replace(`port: ${tb().postgres.port}`, 'port: 6543'), [dep]);
    try {
      const r = await run(t());
      // keyed by the values' address, like database.postgres.connect's finding there
      expect(r).toMatchObject({ status: 'fail', messageId: 'differs', cause: cause.unreachable(hostPortKey('127.0.0.1', tb().postgres.port)) });
      expect(r.message).toContain(`flyteadmin database host: the values say "127.0.0.1" (${values}: configuration.database.host), the live config says "db.live.example.com" (ConfigMap ${ns}/${cm} key 002-database.yaml: database.postgres.host)`);
      expect(r.message).toContain(`flyteadmin database port: the values say "${tb().postgres.port}" (${values}: configuration.database.port), the live config says "6543"`);
    } finally { await undo(); }
  });

  it('auth enabled in the values but not on the server', async () => {
    const r = await run(t([valuesFile('configuration:\n  auth:\n    enabled: true\n')]));
    expect(r).toMatchObject({ status: 'fail', messageId: 'differs' });
    expect(r.message).toMatch(/auth enabled: the values say "true" \(values-\d+\.yaml: configuration\.auth\.enabled\), the live config says "false" \(default \(flytestdlib server\.security\.useAuth\)\)/);
    expect(r.hint).toMatch(/helm upgrade fdlive flyteorg\/flyte-binary -n fd-live-bin -f values-\d+\.yaml -f values-\d+\.yaml/);
  });

  it('auth turned on in the live config (an extra config file) but not in the values', async () => {
    await patchObject(tb(), 'ConfigMap', cm, { data: { '004-auth.yaml': 'server:\n  security:\n    useAuth: true\n' } }, ns);
    try {
      const r = await run(t());
      expect(r).toMatchObject({ status: 'fail', messageId: 'differs', cause: cause.config('configuration.auth.enabled') });
      expect(r.message).toContain(`auth enabled: the values say "false" (${values}: configuration.auth.enabled), the live config says "true" (ConfigMap ${ns}/${cm} key 004-auth.yaml: server.security.useAuth)`);
    } finally { await patchObject(tb(), 'ConfigMap', cm, { data: { '004-auth.yaml': null } }, ns); await restart(); }
  });

  it('a different password in the live config Secret: "differs", never either value', async () => {
    const sec = 'fdlive-flyte-binary-config-secret';
    const original = (await kubeCall<{ data?: Record<string, string> }>(admin(), tb().kube.tokens.admin, 'GET', `/api/v1/namespaces/${ns}/secrets/${sec}`)).data ?? {};
    await patchObject(tb(), 'Secret', sec, { stringData: { '012-database-secrets.yaml': 'database:\n  postgres:\n    password: "Live-Db-Pw-4567"\n' } }, ns);
    await restart(); // rolled out: the pods are not older than the Secret
    try {
      const target = t([valuesFile('configuration:\n  database:\n    password: Values-Db-Pw-1234\n')]);
      const { result: r, results } = await runCheck(ID, target);
      // keyed like database.postgres.auth's rejected login, so the two are one root cause
      const db = target.databases[0]!;
      expect(r).toMatchObject({ status: 'fail', messageId: 'differs', cause: cause.credentials('postgres', `${db.user}@${hostPortKey(db.host, db.port)}`) });
      expect(r.message).toMatch(new RegExp(`flyteadmin database password differs between the values \\(values-\\d+\\.yaml: configuration\\.database\\.password\\) and the live config \\(Secret ${ns}/${sec} key 012-database-secrets\\.yaml: database\\.postgres\\.password\\)$`));
      const all = JSON.stringify(results);
      expect(all).not.toContain('Live-Db-Pw-4567');
      expect(all).not.toContain('Values-Db-Pw-1234');
      // the same password in both: no difference
      const same = await run(t([valuesFile('configuration:\n  database:\n    password: Live-Db-Pw-4567\n')]));
      expect(same.status, same.message).toBe('pass');
    } finally {
      await kubeCall(admin(), tb().kube.tokens.admin, 'PUT', `/api/v1/namespaces/${ns}/secrets/${sec}`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: sec, namespace: ns }, type: 'Opaque', data: original });
      await restart();
    }
  });

  it('the ConfigMap matches but the pod started before it changed: rollout restart', async () => {
    await restart();
    await new Promise((r) => setTimeout(r, 1200)); // the API server's timestamps have 1 s resolution
    const undo = await editConfigMap(ns, cm, '001-plugins.yaml', (x) => `# edited by hand\n${x}`, [dep]);
    try {
      const r = await run(t());
      expect(r).toMatchObject({ status: 'warn', messageId: 'staleRollout', cause: cause.object('deployment', ns, 'fdlive-flyte-binary') });
      expect(r.message).toMatch(new RegExp(`^the live config matches the values, but pod fdlive-flyte-binary-testbed-0 \\(Deployment fdlive-flyte-binary\\) started at \\S+, before ConfigMap ${ns}/${cm} last changed \\(\\S+\\): it may still run the old config$`));
      expect(r.hint).toContain(`rollout restart deployment/fdlive-flyte-binary\``);
      expect(r.hint).toContain(`-n ${ns}`);
      shaped(r);
      // restarted after the change: pass again
      await restart();
      const again = await run(t());
      expect(again.status, again.message).toBe('pass');
    } finally { await undo(); }
  });

  it('a live config file Flyte cannot read: the ConfigMap key and what is wrong', async () => {
    const undo = await editConfigMap(ns, cm, '003-storage.yaml', (x) => x.replace('type: stow', 'type: ftp'), [dep]);
    try {
      const r = await run(t());
      expect(r).toMatchObject({ status: 'fail', messageId: 'liveConfigInvalid' });
      expect(r.message).toBe(`the live Flyte config cannot be read as Flyte reads it: ConfigMap ${ns}/${cm} key 003-storage.yaml: storage.type: expected one of s3, minio, local, mem, stow, got "ftp"`);
      shaped(r);
    } finally { await undo(); }
  });

  it('RBAC: ConfigMaps denied is a warning naming the verb and resource; Secrets denied compares the rest and says what was not', async () => {
    const rbac = '/apis/rbac.authorization.k8s.io/v1/namespaces/fd-live-bin';
    await createIfMissing(admin(), tb().kube.tokens.admin, `${rbac}/roles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'fd-live-deploy-only', namespace: ns },
      rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list'] }, { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }] });
    const bind = (name: string, kind: 'Role' | 'ClusterRole', role: string) => createIfMissing(admin(), tb().kube.tokens.admin, `${rbac}/rolebindings`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding',
      metadata: { name, namespace: ns }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name: role }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: RESTRICTED_GROUP }] });
    await bind('fd-live-deploy-only', 'Role', 'fd-live-deploy-only');
    // the new Role reaches the authorizer through its informers: wait until deployments are readable
    let denied = await run(t([], 'restricted'));
    for (let i = 0; i < 50 && /may not get deployments/.test(denied.message); i++) { await new Promise((r) => setTimeout(r, 100)); denied = await run(t([], 'restricted')); }
    expect(denied).toMatchObject({ status: 'warn', messageId: 'apiForbidden' });
    expect(denied.message).toMatch(/^user "restricted" may not get configmaps\/fdlive-flyte-binary-config in namespace fd-live-bin \(403\), so the live Flyte config in namespace fd-live-bin cannot be checked with these credentials$/);
    expect(denied.hint).toContain('kubectl');
    await deleteObject(tb(), 'RoleBinding', 'fd-live-deploy-only', ns);
    await bind('fd-live-view', 'ClusterRole', RESTRICTED_ROLE);
    try {
      let partial = await run(t([], 'restricted'));
      for (let i = 0; i < 50 && partial.status !== 'pass'; i++) { await new Promise((r) => setTimeout(r, 100)); partial = await run(t([], 'restricted')); }
      expect(partial.status, partial.message).toBe('pass');
      expect(partial.message).toMatch(new RegExp(`; Secret ${ns}/fdlive-flyte-binary-config-secret not compared: user "restricted" may not get secrets in ${ns}$`));
      expect(partial.details!['secretsUnreadable']).toEqual(['fdlive-flyte-binary-config-secret']);
    } finally { await deleteObject(tb(), 'RoleBinding', 'fd-live-view', ns); }
  });

  it('the config ConfigMap deleted: a finding naming it and the Deployment that reads it (not an error)', async () => {
    const before = await kubeCall<Record<string, any>>(admin(), tb().kube.tokens.admin, 'GET', `/api/v1/namespaces/${ns}/configmaps/${cm}`);
    await deleteObject(tb(), 'ConfigMap', cm, ns);
    try {
      const r = await run(t());
      expect(r).toMatchObject({ status: 'fail', messageId: 'configMissing', cause: cause.object('configmap', ns, cm) });
      expect(r.message).toBe(`the Flyte config is incomplete: ConfigMap ${ns}/${cm} (read by Deployment fdlive-flyte-binary) does not exist, so the pods cannot start with it`);
      expect(r.hint).toContain(`helm upgrade fdlive flyteorg/flyte-binary -n ${ns} -f ${values}`);
      shaped(r);
    } finally {
      await createIfMissing(admin(), tb().kube.tokens.admin, `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: cm, namespace: ns, labels: before['metadata']['labels'] }, data: before['data'] });
      await restart();
    }
  });
});

describe.sequential('flyte-core: the official EKS values against their own render', () => {
  const o: InstallOptions = { namespace: 'fd-live-core' };
  const ns = o.namespace!;
  const eks = join(SHARED_FIXTURES, 'flyte-values', 'flyte-core__values-eks.yaml');
  const t = () => target({ values: [eks], namespace: ns });
  beforeAll(async () => {
    await removeInstall(tb(), 'flyte-core', o);
    await installFlyte(tb(), 'flyte-core', o);
  }, 120_000);
  afterAll(async () => { await removeInstall(tb(), 'flyte-core', o); }, 120_000);

  it('healthy: both databases (password through the db-pass Secret), storage from admin and propeller, auth: pass', async () => {
    const r = await run(t());
    expect(r.status, r.message).toBe('pass');
    expect(r.message).toMatch(/^release flyte in fd-live-core runs with the values' configuration \(databases, storage, auth; flyteadmin \(9 config files\), datacatalog \(4 config files\), flytepropeller \(10 config files\), flyte-pod-webhook \(10 config files\), flytescheduler \(3 config files\), syncresources \(4 config files\)\)$/);
    expect(r.details!['secretsRead']).toEqual(['db-pass']);
  });

  it('datacatalog\'s own database changed live: the datacatalog field, db.datacatalog.database.dbname, datacatalog-config db.yaml', async () => {
    const undo = await editConfigMap(ns, 'datacatalog-config', 'db.yaml', (x) => x.replace('dbname: flyteadmin', 'dbname: datacatalog'));
    try {
      const r = await run(t());
      expect(r).toMatchObject({ status: 'fail', messageId: 'differs', cause: cause.config('db.datacatalog.database.dbname') });
      expect(r.message).toBe(`release flyte in ${ns} runs with another configuration than these values: datacatalog database name: the values say "flyteadmin" (${eks}: db.datacatalog.database.dbname), the live config says "datacatalog" (ConfigMap ${ns}/datacatalog-config key db.yaml: database.dbname)`);
      expect(r.hint).toContain(`helm upgrade flyte flyteorg/flyte-core -n ${ns} -f ${eks}`);
    } finally { await undo(); }
  });

  it('the raw-data bucket changed in propeller\'s config: compared against configmap.core.propeller.rawoutput-prefix', async () => {
    const undo = await editConfigMap(ns, 'flyte-propeller-config', 'core.yaml', (x) => x.replace('rawoutput-prefix: s3://<RAW_DATA_BUCKET_NAME>/', 'rawoutput-prefix: s3://live-raw-bucket/'));
    try {
      const r = await run(t());
      expect(r).toMatchObject({ status: 'fail', messageId: 'differs' });
      // the values take it from userSettings through the chart's template: the provenance says so
      expect(r.message).toContain(`raw-data bucket: the values say "<RAW_DATA_BUCKET_NAME>" (${eks}: configmap.core.propeller.rawoutput-prefix (via .Values.userSettings.rawDataBucketName from ${eks})), the live config says "live-raw-bucket" (ConfigMap ${ns}/flyte-propeller-config key core.yaml: propeller.rawoutput-prefix)`);
    } finally { await undo(); }
  });
});

describe('probeCause: a live-config difference is keyed like the probe that fails on the values\' setting', () => {
  it('login (user, password), database name and address, S3 endpoint, access key credentials, bucket; others none', () => {
    const target = makeTarget({
      databases: [{ role: 'flyteadmin', host: 'db.x', port: 5432, dbname: 'flyteadmn', user: 'flyte', valuesKey: 'configuration.database' } as never],
      storage: { provider: 's3', authType: 'accesskey', accessKey: 'AKIAEXAMPLEKEY1234', metadataBucket: 'b1', signedUrlKey: 'x', valuesKey: 'configuration.storage' } as never,
    });
    const d = (field: string, o: Partial<Difference> = {}): Difference => ({ field, what: field, secret: false, valuesSource: 'v.yaml', liveSource: 'live', ...o });
    expect(probeCause(target, d('databases[0].password'))).toBe('credentials:postgres:flyte@db.x:5432');
    expect(probeCause(target, d('databases[0].user'))).toBe('credentials:postgres:flyte@db.x:5432');
    expect(probeCause(target, d('databases[0].dbname', { valuesKey: 'configuration.database.dbname' }))).toBe('config:configuration.database.dbname');
    expect(probeCause(target, d('storage.secretKey'))).toBe(`credentials:s3:${maskIdentifier('AKIAEXAMPLEKEY1234')}`);
    expect(probeCause(target, d('storage.metadataBucket', { valuesKey: 'configuration.storage.metadataContainer', values: 'b1' }))).toBe('config:configuration.storage.metadataContainer=b1');
    expect(probeCause(target, d('databases[0].host'))).toBe('unreachable:db.x:5432');
    expect(probeCause(target, d('databases[0].port'))).toBe('unreachable:db.x:5432');
    expect(probeCause({ ...target, storage: { ...target.storage!, endpoint: 'http://minio.x:9000' } }, d('storage.endpoint'))).toBe('unreachable:minio.x:9000');
    expect(probeCause(target, d('storage.region'))).toBeUndefined();
    expect(probeCause(target, d('auth.enabled'))).toBeUndefined();
  });
});
