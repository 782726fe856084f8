// kubernetes.objects.secrets against the test bed's kube-apiserver, with targets from the real loader
// (values files written here), so the provenance and fixes are what a user sees. Every object lives in
// namespaces of this file (fd-ref-sec-*), created and deleted here; the shared `flyte` install is only read.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTarget } from '../../../src/config/load.js';
import type { Target } from '../../../src/config/target.js';
import { cause } from '../../../src/engine/causes.js';
import type { CheckResult } from '../../../src/engine/types.js';
import { runCheck, runSelection } from '../../harness/run-check.js';
import { getTestbed } from '../../harness/testbed.js';
import { deleteObject, installFlyte, removeInstall, removeNamespace, type InstallOptions } from '../../infra/flyte-install.js';
import { createIfMissing } from '../../infra/kube.js';

const ID = 'kubernetes.objects.secrets';
const NS = 'fd-ref-sec';
const OTHER = 'fd-ref-sec-other';
const tb = () => getTestbed();
const admin = () => ({ server: tb().kube.server, caFile: tb().kube.caFile });
const dir = mkdtempSync(join(tmpdir(), 'fd-ref-sec-'));
mkdirSync(join(dir, 'home'));
let n = 0;
const file = (values: unknown): string => { const f = `values-${n++}.yaml`; writeFileSync(join(dir, f), stringify(values)); return f; };
const target = (o: { values?: unknown[]; set?: string[]; namespace?: string; context?: string; chart?: 'flyte-binary' | 'flyte-core' }): Target => loadTarget({
  values: (o.values ?? []).map(file), set: o.set ?? [], env: {}, cwd: dir, home: join(dir, 'home'), ...(o.chart ? { chart: o.chart } : {}),
  kubeconfig: tb().kube.kubeconfig, context: o.context ?? 'admin', namespace: o.namespace ?? NS,
});
const run = async (t: Target, phase: 'preflight' | 'verify' = 'preflight'): Promise<CheckResult> => (await runCheck(ID, t, { phase })).result;
const b64 = (s: string) => Buffer.from(s).toString('base64');
async function secret(ns: string, name: string, data: Record<string, string>, type = 'Opaque'): Promise<void> {
  await createIfMissing(admin(), tb().kube.tokens.admin, `/api/v1/namespaces/${ns}/secrets`, { apiVersion: 'v1', kind: 'Secret', type, metadata: { name, namespace: ns }, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])) });
}
const ingress = (tls: string, extra: Record<string, unknown> = {}) => ({ configuration: { database: { host: 'db.fdref.test' } }, ingress: { create: true, host: 'flyte.test', ingressClassName: 'nginx', tls: [{ secretName: tls, hosts: ['flyte.test'] }], ...extra } });
const DB_PW = 'Fd-Ref-Db-Secret-9876';

beforeAll(async () => {
  for (const ns of [NS, OTHER]) await createIfMissing(admin(), tb().kube.tokens.admin, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  const pem = readFileSync(join(tb().dir, 'pki', 'nginx.crt'), 'utf8');
  await secret(NS, 'fd-ref-tls', { 'tls.crt': pem, 'tls.key': 'not-a-real-key' }, 'kubernetes.io/tls');
  await secret(NS, 'fd-ref-db', { password: DB_PW });
  await secret(NS, 'fd-ref-db-ok', { 'pass.txt': DB_PW });
  await secret(NS, 'fd-ref-db-empty', { 'pass.txt': '' });
  await secret(NS, 'fd-ref-regcred', { '.dockerconfigjson': '{"auths":{}}' }, 'kubernetes.io/dockerconfigjson');
  await secret(NS, 'fd-ref-regcred-opaque', { '.dockerconfigjson': '{"auths":{}}' });
  await secret(OTHER, 'fd-ref-elsewhere', { 'tls.crt': 'x', 'tls.key': 'y' }, 'kubernetes.io/tls');
  await createIfMissing(admin(), tb().kube.tokens.admin, `/api/v1/namespaces/${NS}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fd-ref-cm', namespace: NS }, data: { 'ca.crt': 'x' } });
}, 60_000);
afterAll(async () => { for (const ns of [NS, OTHER]) await removeNamespace(tb(), ns); }, 60_000);

describe('preflight: the values name Secrets and ConfigMaps', () => {
  it('the TLS Secret exists with tls.crt and tls.key: pass, naming it', async () => {
    const r = await run(target({ values: [ingress('fd-ref-tls')] }));
    expect(r).toMatchObject({ status: 'pass', messageId: 'present', message: `Secret ${NS}/fd-ref-tls exists with tls.crt, tls.key` });
  });

  it('a TLS Secret that does not exist, no cert-manager: the default certificate, create it or add an issuer annotation, the key that names it', async () => {
    const r = await run(target({ values: [ingress('fd-ref-missing-tls')] }));
    expect(r).toMatchObject({ status: 'fail', messageId: 'tlsSecretMissing', cause: cause.object('secret', NS, 'fd-ref-missing-tls') });
    expect(r.message).toMatch(/^Secret fd-ref-sec\/fd-ref-missing-tls does not exist and no cert-manager annotation will create it \(TLS certificate of Ingress flyte-backend-flyte-binary-http \(flyte\.test\); TLS certificate of Ingress flyte-backend-flyte-binary-grpc \(flyte\.test\); set by values-\d+\.yaml: ingress\.tls\[0\]\.secretName\): the Ingress controller serves its default self-signed certificate/);
    expect(r.hint).toContain(`-n ${NS} create secret tls fd-ref-missing-tls --cert=<certificate.pem> --key=<key.pem>`);
    expect(r.hint).toContain('`cert-manager.io/cluster-issuer: <issuer>` to `ingress.commonAnnotations`');
    expect(r.hint).toContain('`ingress.tls[0].secretName`');
  });

  it('the Secret exists in another namespace: named, and how to copy it (pods read only their own namespace)', async () => {
    const r = await run(target({ values: [ingress('fd-ref-elsewhere')] }));
    expect(r).toMatchObject({ status: 'fail', messageId: 'tlsSecretMissing' });
    expect(r.message).toContain(`a Secret of that name exists in namespace ${OTHER}, but pods read only their own namespace's`);
    expect(r.hint).toContain(`get secret fd-ref-elsewhere -n ${OTHER} -o yaml`);
    expect(r.details!['objects']).toEqual([expect.objectContaining({ foundIn: [OTHER] })]);
  });

  it('flyte-core: the database Secret lacks the key passwordPath reads: the keys it has, and the passwordPath that would read it', async () => {
    const t = target({ values: [{ common: { databaseSecret: { name: 'fd-ref-db' } }, db: { admin: { database: { host: 'db.fdref.test', passwordPath: '/etc/db/pass.txt' } }, datacatalog: { enabled: false } }, datacatalog: { enabled: false } }] });
    const r = await run(t);
    expect(r).toMatchObject({ status: 'fail', messageId: 'keyMissing', cause: cause.object('secret', NS, 'fd-ref-db') });
    expect(r.message).toMatch(/^Secret fd-ref-sec\/fd-ref-db exists but has no key pass\.txt \(/);
    expect(r.message).toContain('it has: password');
    expect(r.message).toContain('db.admin.database.passwordPath: /etc/db/pass.txt');
    expect(r.hint).toContain('`/etc/db/password`');
    expect(JSON.stringify(r)).not.toContain(DB_PW);
  });

  it('flyte-core: the database Secret with pass.txt: pass; an empty pass.txt: keyEmpty', async () => {
    const core = (name: string) => ({ common: { databaseSecret: { name } }, db: { admin: { database: { host: 'db.fdref.test', passwordPath: '/etc/db/pass.txt' } } }, datacatalog: { enabled: false } });
    expect(await run(target({ values: [core('fd-ref-db-ok')] }))).toMatchObject({ status: 'pass', messageId: 'present' });
    const r = await run(target({ values: [core('fd-ref-db-empty')] }));
    expect(r).toMatchObject({ status: 'fail', messageId: 'keyEmpty', message: `Secret ${NS}/fd-ref-db-empty: the key pass.txt is empty (the database password (db.admin.database.passwordPath: /etc/db/pass.txt), mounted at /etc/db)` });
  });

  it('flyte-core: common.ingress.tls.enabled without secretName: the chart\'s default <release>-flyte-tls, rendered with the release', async () => {
    const r = await run(target({ values: [{ db: { admin: { database: { host: 'db.fdref.test' } } }, common: { ingress: { host: 'flyte.test', ingressClassName: 'nginx', tls: { enabled: true } } } }] }));
    expect(r).toMatchObject({ status: 'fail', messageId: 'tlsSecretMissing', cause: cause.object('secret', NS, 'flyte-flyte-tls') });
    expect(r.message).toContain('(chart default secretName <release>-flyte-tls)');
    expect(r.hint).toContain('create secret tls flyte-flyte-tls');
    expect(r.hint).toContain('`common.ingress.annotations`');
    expect(r.hint).toContain('`common.ingress.tls.secretName`');
  });

  it('flyte-core: secretManifest makes the chart create the Secret: not looked up in preflight, but a manifest without the key is a finding', async () => {
    const base = { db: { admin: { database: { host: 'db.fdref.test', passwordPath: '/etc/db/pass.txt' } } }, datacatalog: { enabled: false } };
    const ok = await run(target({ values: [{ ...base, common: { databaseSecret: { name: 'fd-ref-nope', secretManifest: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'fd-ref-nope' }, stringData: { 'pass.txt': DB_PW } } } } }] }));
    expect(ok).toMatchObject({ status: 'pass', messageId: 'chartCreated' });
    expect(ok.message).toContain(`Secret ${NS}/fd-ref-nope is created by the chart at install`);
    const bad = await run(target({ values: [{ ...base, common: { databaseSecret: { name: 'fd-ref-nope', secretManifest: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'fd-ref-nope' }, stringData: { password: DB_PW } } } } }] }));
    expect(bad).toMatchObject({ status: 'fail', messageId: 'manifestKeyMissing' });
    expect(bad.message).toContain('without the key pass.txt');
    expect(bad.message).toContain('it holds: password');
    expect(bad.hint).toContain('common.databaseSecret.secretManifest');
    expect(JSON.stringify(bad)).not.toContain(DB_PW);
  });

  it('flyte-core: passwordPath under /etc/db with no common.databaseSecret.name: nothing is mounted there', async () => {
    const r = await run(target({ values: [{ db: { admin: { database: { host: 'db.fdref.test', passwordPath: '/etc/db/pass.txt' } } }, datacatalog: { enabled: false } }] }));
    expect(r).toMatchObject({ status: 'fail', messageId: 'unnamed', cause: cause.config('common.databaseSecret.name') });
    expect(r.message).toBe('db.admin.database.passwordPath reads /etc/db/pass.txt, but common.databaseSecret.name is empty: the chart mounts nothing at /etc/db, so Flyte cannot read the password file');
    expect(r.hint).toContain('set `common.databaseSecret.name`');
  });

  it('image pull Secrets: a docker-registry Secret passes; an Opaque one is ignored by the kubelet; a missing one names the create command and the key', async () => {
    const pull = (name: string) => ({ configuration: { database: { host: 'db.fdref.test' } }, serviceAccount: { imagePullSecrets: [{ name }] } });
    expect(await run(target({ values: [pull('fd-ref-regcred')] }))).toMatchObject({ status: 'pass', messageId: 'present' });
    const opaque = await run(target({ values: [pull('fd-ref-regcred-opaque')] }));
    expect(opaque).toMatchObject({ status: 'fail', messageId: 'wrongType' });
    expect(opaque.message).toContain('has type Opaque: the kubelet uses only kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg Secrets for image pulls');
    expect(opaque.hint).toContain('create secret docker-registry fd-ref-regcred-opaque');
    const none = await run(target({ values: [pull('fd-ref-regcred-missing')] }));
    expect(none).toMatchObject({ status: 'fail', messageId: 'missing', cause: cause.object('secret', NS, 'fd-ref-regcred-missing') });
    expect(none.hint).toContain('create secret docker-registry fd-ref-regcred-missing');
    expect(none.hint).toContain('`serviceAccount.imagePullSecrets[0].name`');
  });

  it('extraVolumes: an optional ConfigMap that is missing warns; a required one with the keys passes; a missing key names the keys present', async () => {
    const vols = (volumes: unknown[]) => ({ configuration: { database: { host: 'db.fdref.test' } }, deployment: { extraVolumes: volumes } });
    const opt = await run(target({ values: [vols([{ name: 'extra', configMap: { name: 'fd-ref-cm-missing', optional: true } }])] }));
    expect(opt).toMatchObject({ status: 'warn', messageId: 'optionalMissing' });
    expect(opt.message).toContain('optional: the pod starts without it');
    expect(await run(target({ values: [vols([{ name: 'ca', configMap: { name: 'fd-ref-cm', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }])] }))).toMatchObject({ status: 'pass', messageId: 'present' });
    const key = await run(target({ values: [vols([{ name: 'ca', projected: { sources: [{ configMap: { name: 'fd-ref-cm', items: [{ key: 'bundle.pem', path: 'b.pem' }] } }] } }])] }));
    expect(key).toMatchObject({ status: 'fail', messageId: 'keyMissing' });
    expect(key.message).toBe(`ConfigMap ${NS}/fd-ref-cm exists but has no key bundle.pem (a volume of the flyte-binary pod (volume ca); set by values-${n - 1}.yaml: deployment.extraVolumes[0].projected.sources[0].configMap.name); it has: ca.crt`);
  });

  it('a placeholder name is not looked up; an invalid name is a finding', async () => {
    const ph = await run(target({ values: [{ configuration: { database: { host: 'db.fdref.test' }, inlineSecretRef: '<INLINE_SECRET>' } }] }));
    expect(ph).toMatchObject({ status: 'skip', messageId: 'placeholder' });
    const bad = await run(target({ values: [{ configuration: { database: { host: 'db.fdref.test' }, inlineSecretRef: 'Flyte_Secrets' } }] }));
    expect(bad).toMatchObject({ status: 'fail', messageId: 'invalidName', cause: cause.config('configuration.inlineSecretRef') });
    // kept as written (helm renders it so): a trailing newline is named, not trimmed into a lookup of another name
    const nl = await run(target({ values: [{ configuration: { database: { host: 'db.fdref.test' }, inlineSecretRef: 'fd-ref-db-ok\n' } }] }));
    expect(nl).toMatchObject({ status: 'fail', messageId: 'invalidName' });
    expect(nl.message).toContain('Secret name "fd-ref-db-ok\\n" (');
    expect(nl.message).toContain('ends with a newline, so no such object can exist');
  });

  it('--manifests: a Secret a Deployment mounts that the render does not contain is looked up; ones the render has are not', async () => {
    const f = join(dir, `render-${n++}.yaml`);
    writeFileSync(f, [
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'fd-ref-in-render', namespace: NS }, stringData: { a: 'b' } },
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'flyteadmin', namespace: NS }, spec: { template: { spec: {
        containers: [{ name: 'flyteadmin', image: 'x', volumeMounts: [{ name: 'a', mountPath: '/etc/a' }, { name: 'b', mountPath: '/etc/b' }, { name: 'c', mountPath: '/etc/c' }] }],
        volumes: [{ name: 'a', secret: { secretName: 'fd-ref-in-render' } }, { name: 'b', secret: { secretName: 'fd-ref-db-ok', items: [{ key: 'pass.txt', path: 'pass.txt' }] } }, { name: 'c', secret: { secretName: 'fd-ref-render-missing' } }] } } } },
    ].map((o) => stringify(o)).join('---\n'));
    const t = loadTarget({ values: [], manifests: f, set: [], env: {}, cwd: dir, home: join(dir, 'home'), kubeconfig: tb().kube.kubeconfig, context: 'admin', namespace: NS });
    const r = await run(t);
    expect(r).toMatchObject({ status: 'fail', messageId: 'missing', cause: cause.object('secret', NS, 'fd-ref-render-missing') });
    expect(r.message).toMatch(new RegExp(`^Secret ${NS}/fd-ref-render-missing does not exist \\(mounted at /etc/c in flyteadmin; set by Deployment ${NS}/flyteadmin \\(.*render-\\d+\\.yaml:\\d+\\): volume c\\)`));
    const objs = (r.details!['objects'] as { name: string; finding: string }[]).map((o) => `${o.name} ${o.finding}`);
    expect(objs).toEqual(['fd-ref-db-ok present', 'fd-ref-render-missing missing']);
  });

  it('hostile values (2000 pull secrets): bounded work, the rest counted', async () => {
    const t0 = Date.now();
    const r = await run(target({ values: [{ configuration: { database: { host: 'db.fdref.test' } }, serviceAccount: { imagePullSecrets: Array.from({ length: 2000 }, (_, i) => ({ name: `fd-ref-many-${i}` })) } }] }));
    expect(r).toMatchObject({ status: 'fail', messageId: 'missing' });
    expect(r.message).toMatch(/\(1940 more references not looked up: only the first 60 are\)$/);
    expect(Date.now() - t0).toBeLessThan(8000);
  });

  it('no Secret referenced: skip with the reason', async () => {
    const r = await run(target({ values: [{ configuration: { database: { host: 'db.fdref.test' } } }] }));
    expect(r).toMatchObject({ status: 'skip', messageId: 'nothingReferenced' });
  });

  it('the restricted identity may not read Secrets: warn naming the verb and resource, never a fail', async () => {
    const r = await run(target({ values: [ingress('flyte-tls')], namespace: 'flyte', context: 'restricted' }));
    expect(r).toMatchObject({ status: 'warn', messageId: 'cannotRead' });
    expect(r.message).toBe('Secret flyte/flyte-tls: user "restricted" may not get secrets in namespace flyte (403), so it cannot be checked with these credentials');
    expect(r.hint).toContain('auth can-i get secrets -n flyte');
  });
});

describe.sequential('verify: the objects of an installed release', () => {
  const o: InstallOptions = { namespace: 'fd-ref-sec-inst', release: 'fdref' };
  beforeAll(async () => { await removeInstall(tb(), 'flyte-binary', o); await installFlyte(tb(), 'flyte-binary', o); }, 90_000);
  afterAll(async () => { await removeInstall(tb(), 'flyte-binary', o); }, 60_000);

  it('the TLS Secret of the install exists: pass; deleted: the fix creates it', async () => {
    const t = target({ values: [ingress('flyte-tls')], namespace: o.namespace! });
    expect(await run(t, 'verify')).toMatchObject({ status: 'pass', messageId: 'present' });
    await deleteObject(tb(), 'Secret', 'flyte-tls', o);
    const r = await run(t, 'verify');
    expect(r).toMatchObject({ status: 'fail', messageId: 'tlsSecretMissing', cause: cause.object('secret', o.namespace, 'flyte-tls') });
  });

  it('a namespace without the release: skip (the missing install is flyte.deployments.ready\'s finding)', async () => {
    const r = await run(target({ values: [ingress('fd-ref-missing-tls')], namespace: NS }), 'verify');
    expect(r).toMatchObject({ status: 'skip', messageId: 'notInstalled' });
  });
});

describe.sequential('verify: flyte-core, a Secret the chart creates', () => {
  const o: InstallOptions = { namespace: 'fd-ref-sec-core', noWebhook: true };
  beforeAll(async () => { await removeInstall(tb(), 'flyte-core', o); await installFlyte(tb(), 'flyte-core', o); }, 90_000);
  afterAll(async () => { await removeInstall(tb(), 'flyte-core', o); }, 60_000);

  it('db-pass (from secretManifest) and flyte-secret-auth exist: pass; db-pass deleted: the release is incomplete (helm upgrade), never "create it"', async () => {
    const t = target({ values: [{ common: { databaseSecret: { name: 'db-pass', secretManifest: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db-pass' }, stringData: { 'pass.txt': DB_PW } } } },
      db: { admin: { database: { host: 'db.fdref.test', passwordPath: '/etc/db/pass.txt' } }, datacatalog: { database: { host: 'db.fdref.test', passwordPath: '/etc/db/pass.txt' } } } }], namespace: o.namespace! });
    const ok = await run(t, 'verify');
    expect(ok, ok.message).toMatchObject({ status: 'pass', messageId: 'present' });
    expect(ok.message).toBe(`Secret ${o.namespace}/db-pass exists with pass.txt; Secret ${o.namespace}/flyte-secret-auth exists with client_secret`);
    await deleteObject(tb(), 'Secret', 'db-pass', o);
    const r = await run(t, 'verify');
    expect(r).toMatchObject({ status: 'fail', messageId: 'chartObjectMissing', cause: cause.object('secret', o.namespace, 'db-pass') });
    expect(r.hint).toContain(`helm upgrade <release> <chart> -n ${o.namespace}`);
    expect(r.hint).not.toContain('create secret');
    // the check the pods' symptoms would point at: it runs beside the Deployment check
    const all = await runSelection(t, 'verify', [ID, 'kubernetes.namespace.exists']);
    expect(all.results.find((x) => x.id === ID)!.rootCause).toBe(true);
  });
});
