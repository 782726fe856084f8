// What target.references holds for the real values files and renders in ../shared/fixtures, and for
// the keys each chart reads (src/flyte/references.ts): the objects the kubernetes.objects.* checks
// ('kubernetes.objects.secrets', 'kubernetes.objects.ingressclass', 'kubernetes.objects.certmanager',
// 'kubernetes.objects.storageclass', 'kubernetes.objects.apis') look up. Names and keys only.
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadTarget } from '../../../src/config/load.js';
import type { ObjectReference, Target } from '../../../src/config/target.js';
import { SHARED_FIXTURES } from '../../harness/fixtures.js';

const VALUES = join(SHARED_FIXTURES, 'flyte-values');
const dir = mkdtempSync(join(tmpdir(), 'fd-ref-refs-'));
mkdirSync(join(dir, 'home'));
let n = 0;
const load = (o: { files?: string[]; values?: unknown[]; manifests?: string }): Target => loadTarget({
  values: [...(o.files ?? []), ...(o.values ?? []).map((v) => { const f = join(dir, `values-${n++}.yaml`); writeFileSync(f, stringify(v)); return f; })],
  ...(o.manifests ? { manifests: o.manifests } : {}), set: [], env: {}, cwd: SHARED_FIXTURES, home: join(dir, 'home'), namespace: 'flyte',
});
const refs = (t: Target) => t.references ?? [];
const find = (t: Target, kind: string, name: string) => refs(t).find((r) => r.kind === kind && r.name === name);
const fixture = (f: string) => load({ files: [join(VALUES, f)] });

describe('every values fixture', () => {
  for (const f of readdirSync(VALUES).filter((x) => !x.includes('-v2main__')).sort()) {
    it(`${f}: references are well formed and hold no secret value`, () => {
      const t = fixture(f);
      for (const r of refs(t)) {
        expect(typeof r.kind === 'string' && r.kind.length > 0, JSON.stringify(r)).toBe(true);
        expect(r.source.length, JSON.stringify(r)).toBeGreaterThan(3);
        expect(r.purpose.length, JSON.stringify(r)).toBeGreaterThan(3);
        if (['Secret', 'ConfigMap', 'PersistentVolumeClaim', 'Issuer'].includes(r.kind)) expect(r.namespace, JSON.stringify(r)).toBe('flyte');
      }
      const text = JSON.stringify(refs(t));
      // flyte-sandbox's published passwords `postgres` / `miniostorage` are registered as secrets by the loader;
      // `postgres` is also a word of key names (postgresql.*), which references name: not a value.
      for (const s of t.secrets) if (s.length >= 4 && s !== 'postgres') expect(text.includes(s), `secret in references of ${f}`).toBe(false);
    });
  }
});

describe('flyte-core', () => {
  it('values-gcp: db-pass (created from secretManifest, key pass.txt), the cert-manager Issuer, the default TLS Secret it issues, nginx by annotation', () => {
    const t = fixture('flyte-core__values-gcp.yaml');
    expect(find(t, 'Secret', 'db-pass')).toMatchObject({ keys: ['pass.txt'], createdByChart: true, manifestKeys: ['pass.txt'], key: 'common.databaseSecret.name' });
    expect(find(t, 'Issuer', 'letsencrypt-production')).toMatchObject({ apiVersion: 'cert-manager.io/v1', namespace: 'flyte', annotation: 'cert-manager.io/issuer', key: 'common.ingress.annotations.cert-manager.io/issuer' });
    const tls = find(t, 'Secret', '{{ .Release.Name }}-flyte-tls')!;
    expect(tls).toMatchObject({ keys: ['tls.crt', 'tls.key'], issuedBy: { kind: 'Issuer', name: 'letsencrypt-production' }, key: 'common.ingress.tls.secretName' });
    expect(tls.source).toContain('chart default secretName <release>-flyte-tls');
    expect(find(t, 'IngressClass', 'nginx')).toMatchObject({ annotation: 'kubernetes.io/ingress.class' });
    expect(find(t, 'Secret', 'flyte-secret-auth')).toMatchObject({ keys: ['client_secret'], createdByChart: true });
  });

  it('secrets.adminOauthClientCredentials without clientSecret: the user creates the Secret (client_secret); disabled: not referenced', () => {
    const user = load({ values: [{ db: { admin: { database: { host: 'db.fdref.test' } } }, secrets: { adminOauthClientCredentials: { clientSecret: null, secretName: 'my-auth' } } }] });
    expect(find(user, 'Secret', 'my-auth')).toMatchObject({ keys: ['client_secret'] });
    expect(find(user, 'Secret', 'my-auth')!.createdByChart).toBeUndefined();
    const off = load({ values: [{ db: { admin: { database: { host: 'db.fdref.test' } } }, secrets: { adminOauthClientCredentials: { enabled: false } } }] });
    expect(find(off, 'Secret', 'flyte-secret-auth')).toBeUndefined();
  });

  it('component pull secrets, volumes and env of enabled components only; flyteconsole\'s pod-level imagePullSecrets', () => {
    const t = load({ values: [{ db: { admin: { database: { host: 'db.fdref.test' } } },
      flyteadmin: { serviceAccount: { imagePullSecrets: [{ name: 'regcred' }] }, env: [{ name: 'SENDGRID_API_KEY', valueFrom: { secretKeyRef: { name: 'sendgrid', key: 'api_key' } } }], envFrom: [{ configMapRef: { name: 'admin-env' } }] },
      datacatalog: { enabled: false, serviceAccount: { imagePullSecrets: [{ name: 'dc-regcred' }] } },
      flyteconsole: { imagePullSecrets: [{ name: 'console-regcred' }] },
      flytepropeller: { additionalVolumes: [{ name: 'x', secret: { secretName: 'prop-extra', optional: true } }] } }] });
    expect(find(t, 'Secret', 'regcred')).toMatchObject({ anyKeys: ['.dockerconfigjson', '.dockercfg'], key: 'flyteadmin.serviceAccount.imagePullSecrets[0].name' });
    expect(find(t, 'Secret', 'dc-regcred')).toBeUndefined();
    expect(find(t, 'Secret', 'console-regcred')).toBeTruthy();
    expect(find(t, 'Secret', 'sendgrid')).toMatchObject({ keys: ['api_key'], key: 'flyteadmin.env[0].valueFrom.secretKeyRef.name' });
    expect(find(t, 'ConfigMap', 'admin-env')).toBeTruthy();
    expect(find(t, 'Secret', 'prop-extra')).toMatchObject({ optional: true });
  });

  it('the flyte umbrella: keys carry the flyte. prefix; the bundled PostgreSQL and MinIO use emptyDir', () => {
    const t = fixture('flyte__values.yaml');
    expect(find(t, 'Secret', 'flyte-secret-auth')!.key).toBe('flyte.secrets.adminOauthClientCredentials.secretName');
    expect(refs(t).filter((r) => r.bundled).map((r) => `${r.bundled!.dependency} ${r.bundled!.volume}`)).toEqual(['PostgreSQL emptyDir', 'MinIO emptyDir']);
  });
});

describe('flyte-binary', () => {
  const DB = { configuration: { database: { host: 'db.fdref.test' } } };
  it('inline vs external config: externalConfigMap/externalSecretRef replace the inline ones (not mounted then)', () => {
    const inline = load({ values: [{ ...DB, configuration: { ...DB.configuration, inlineSecretRef: 'inl-s', inlineConfigMap: 'inl-c' } }] });
    expect(refs(inline).map((r) => `${r.kind}/${r.name}`)).toEqual(expect.arrayContaining(['Secret/inl-s', 'ConfigMap/inl-c']));
    const ext = load({ values: [{ ...DB, configuration: { ...DB.configuration, inlineSecretRef: 'inl-s', externalConfigMap: 'ext-c', externalSecretRef: 'ext-s' } }] });
    expect(refs(ext).map((r) => `${r.kind}/${r.name}`)).toEqual(expect.arrayContaining(['ConfigMap/ext-c', 'Secret/ext-s']));
    expect(find(ext, 'Secret', 'inl-s')).toBeUndefined();
  });

  it('auth: clientSecretsExternalSecretRef with the keys Flyte reads, only when auth is enabled', () => {
    const on = load({ values: [{ ...DB, configuration: { ...DB.configuration, auth: { enabled: true, oidc: { baseUrl: 'https://idp.fdref.test', clientId: 'x' }, clientSecretsExternalSecretRef: 'auth-secrets' } } }] });
    expect(find(on, 'Secret', 'auth-secrets')).toMatchObject({ keys: ['client_secret', 'oidc_client_secret'], key: 'configuration.auth.clientSecretsExternalSecretRef' });
    const off = load({ values: [{ ...DB, configuration: { ...DB.configuration, auth: { enabled: false, clientSecretsExternalSecretRef: 'auth-secrets' } } }] });
    expect(find(off, 'Secret', 'auth-secrets')).toBeUndefined();
  });

  it('ingress: httpTls/grpcTls before tls, the class keys, cert-manager on commonAnnotations (top level too), nothing when ingress.create is false', () => {
    const t = load({ values: [{ ...DB, commonAnnotations: { 'cert-manager.io/cluster-issuer': 'le' }, ingress: { create: true, host: 'h.fdref.test', ingressClassName: 'nginx', grpcIngressClassName: 'grpc-class',
      tls: [{ secretName: 'all-tls', hosts: ['h.fdref.test'] }], grpcTls: [{ secretName: 'grpc-tls', hosts: ['h.fdref.test'] }] } }] });
    expect(find(t, 'Secret', 'all-tls')).toMatchObject({ key: 'ingress.tls[0].secretName', issuedBy: { kind: 'ClusterIssuer', name: 'le' } });
    expect(find(t, 'Secret', 'grpc-tls')).toMatchObject({ key: 'ingress.grpcTls[0].secretName' });
    expect(find(t, 'Secret', 'all-tls')!.purpose).not.toContain('-grpc');
    expect(find(t, 'IngressClass', 'grpc-class')).toMatchObject({ key: 'ingress.grpcIngressClassName' });
    expect(find(t, 'ClusterIssuer', 'le')).toMatchObject({ key: 'commonAnnotations.cert-manager.io/cluster-issuer' });
    const off = load({ values: [{ ...DB, ingress: { create: false, tls: [{ secretName: 'all-tls' }] } }] });
    expect(refs(off).filter((r) => r.kind === 'Secret' || r.kind === 'IngressClass')).toEqual([]);
  });

  it('flyte-sandbox: the chart\'s own PersistentVolumes, the proxy Service that exposes flyteadmin; an existingClaim and a storageClass named', () => {
    const t = fixture('flyte-sandbox__values.yaml');
    expect(refs(t).filter((r) => r.bundled).map((r) => `${r.kind} ${r.name} ${r.bundled!.dependency} ${r.bundled!.volume}`))
      .toEqual(['StorageClass manual PostgreSQL chart', 'StorageClass manual MinIO chart', 'StorageClass  the docker registry emptyDir']);
    expect(find(t, 'Service', 'flyte-sandbox-proxy')).toMatchObject({ serviceType: 'NodePort' });
    const own = load({ files: [join(VALUES, 'flyte-sandbox__values.yaml')], values: [{ minio: { persistence: { existingClaim: 'minio-data' } }, postgresql: { primary: { persistence: { existingClaim: '', storageClass: 'fast' } } } }] });
    expect(find(own, 'PersistentVolumeClaim', 'minio-data')).toMatchObject({ namespace: 'flyte', key: 'minio.persistence.existingClaim' });
    expect(find(own, 'StorageClass', 'fast')).toMatchObject({ key: 'postgresql.primary.persistence.storageClass', bundled: { dependency: 'PostgreSQL', volume: 'dynamic' } });
  });
});

describe('odd shapes', () => {
  it('lists where maps are expected and the other way round (in keys only these references read) read as unset, never an exception', () => {
    const t = load({ values: [{ configuration: { database: { host: 'db.fdref.test' } }, serviceAccount: { imagePullSecrets: 'regcred' },
      deployment: { extraVolumes: { name: 'x' }, extraEnvVars: [null, 5, { name: 'A', valueFrom: 'x' }] }, commonAnnotations: ['a'],
      ingress: { create: true, httpTls: [null, 'y', { secretName: ['z'] }], ingressClassName: 7 } }] });
    expect(refs(t).map((r) => `${r.kind}/${r.name}`)).toEqual(['IngressClass/7']);
  });
});

describe('rendered manifests', () => {
  it('the gcp flyte-core render: cert-manager Issuer and the TLS Secret it issues, the class by annotation, one API reference per kind; Secrets of the render are not references', () => {
    const t = load({ manifests: join(SHARED_FIXTURES, 'flyte-rendered', 'gcp__flyte_helm_generated.yaml') });
    const r = refs(t);
    expect(find(t, 'Issuer', 'letsencrypt-production')).toMatchObject({ namespace: 'flyte' });
    expect(r.find((x) => x.kind === 'Secret' && !x.api && x.name === 'flyte-flyte-tls')).toMatchObject({ issuedBy: { kind: 'Issuer', name: 'letsencrypt-production' } });
    expect(r.filter((x) => x.kind === 'Secret' && !x.api).map((x) => x.name)).toEqual(['flyte-flyte-tls']);
    const api = r.filter((x: ObjectReference) => x.api);
    expect(api.find((x) => x.kind === 'Deployment')).toMatchObject({ apiVersion: 'apps/v1', count: 7 });
    expect(new Set(api.map((x) => `${x.apiVersion}/${x.kind}`)).size).toBe(api.length);
  });
});
