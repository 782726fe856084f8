// Rendered manifests (--manifests FILE|DIR|-): every rendered fixture of the flyte repo is read and
// mapped to the resolved install (databases per component, storage, auth, admin endpoint, ingress,
// workload identity, components); each component's config stays its own; a passwordPath is followed
// through the Deployment's volume to the Secret key; Secret values never reach a printable field;
// hostile input (a terminal on stdin, thousands of files, huge files, FIFOs, symlink loops,
// non-YAML, documents that are no objects, alias bombs) is one UserError line or bounded work.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { mapManifests, readManifests, type ManifestMapping, type ManifestSet } from '../../src/config/manifests.js';
import { SHARED_FIXTURES } from '../harness/fixtures.js';

const RENDERED = join(SHARED_FIXTURES, 'flyte-rendered');
const dir = mkdtempSync(join(tmpdir(), 'fd-manifests-'));
let n = 0;
const write = (text: string, name = `m${n++}.yaml`): string => { writeFileSync(join(dir, name), text); return name; };
const read = (given: string, cwd = dir, stdin?: () => string) => readManifests(given, cwd, stdin ?? (() => { throw new Error('stdin read in a test'); }));
const mapOf = (s: ManifestSet, env: NodeJS.ProcessEnv = {}) => mapManifests(s, { env, cwd: dir, namespace: 'flyte' });
const fixture = (f: string) => { const s = read(f, RENDERED); return { s, m: mapOf(s) }; };
function userError(f: () => unknown): string {
  try { f(); } catch (e) {
    if (!(e instanceof UserError)) throw new Error(`expected a UserError, got ${(e as Error)?.stack ?? String(e)}`);
    expect(e.message).not.toContain('\n');
    return e.message;
  }
  throw new Error('expected a UserError');
}
/** Secret values are in no printable field of the set or the mapping (only in the redactor's lists). */
function noLeak(s: ManifestSet, m: ManifestMapping | undefined, values: string[]): void {
  const { secrets: _s, identifiers: _i, ...printable } = m ?? ({ secrets: [], identifiers: [] } as unknown as ManifestMapping);
  const texts = [JSON.stringify(s), inspect(s, { depth: null, showHidden: true }), JSON.stringify(printable), inspect(printable, { depth: null })];
  for (const v of values) for (const t of texts) expect(t.includes(v), `secret value ${v} leaked`).toBe(false);
  for (const v of values) expect(s.secretValues()).toContain(v);
}

const secretManifest = (name: string, data: Record<string, string>, ns = 'flyte') =>
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: ${ns}\ndata:\n${Object.entries(data).map(([k, v]) => `  ${k}: ${Buffer.from(v).toString('base64')}`).join('\n')}\n`;

describe('rendered fixtures (helm template of the flyte repo charts)', () => {
  it('flyte-core EKS (full): components kept apart, both databases with the password followed to the db-pass Secret, S3 via IRSA, ALB ingress', () => {
    const { s, m } = fixture('eks__flyte_helm_generated.yaml');
    expect(s.chart).toBe('flyte-core');
    expect(s.charts).toEqual([{ name: 'flyte-core', version: 'v0.1.10' }]);
    expect(s.namespaces).toEqual(['flyte']);
    expect(s.releases).toEqual(['flyte']);
    expect(s.components.map((c) => c.deployment)).toEqual(['flyteadmin', 'syncresources', 'datacatalog', 'flytescheduler', 'flytepropeller', 'flyte-pod-webhook']);
    expect(s.components.find((c) => c.deployment === 'datacatalog')!.layerLabels).toEqual(['db.yaml', 'otel.yaml', 'server.yaml', 'storage.yaml'].map((k) => `ConfigMap flyte/datacatalog-config key ${k}`));
    // flyteadmin mounts two ConfigMaps: Flyte globs the files by name across both.
    expect(s.components[0]!.layerLabels.slice(0, 3)).toEqual(['ConfigMap flyte/flyte-admin-base-config key cluster_resources.yaml', 'ConfigMap flyte/flyte-admin-clusters-config key clusters.yaml', 'ConfigMap flyte/flyte-admin-base-config key db.yaml']);
    expect(m.components.map((c) => [c.deployment, c.kinds])).toEqual([['flyteadmin', ['flyteadmin']], ['syncresources', ['clusterresource']], ['datacatalog', ['datacatalog']], ['flytescheduler', ['scheduler']], ['flytepropeller', ['propeller']], ['flyte-pod-webhook', ['propeller']]]);
    expect(m).toMatchObject({ chart: 'flyte-core', release: 'flyte', namespace: 'flyte' });
    expect(m.databases.map((d) => [d.role, d.host, d.port, d.dbname, d.user, d.valuesKey])).toEqual([
      ['flyteadmin', '<RDS_HOST>', 5432, 'flyteadmin', 'flyteadmin', 'db.admin.database'],
      ['datacatalog', '<RDS_HOST>', 5432, 'flyteadmin', 'flyteadmin', 'db.datacatalog.database'],
    ]);
    expect(m.databases[0]!.passwordSource).toBe('passwordPath /etc/db/pass.txt (Secret flyte/db-pass key pass.txt, mounted at /etc/db by Deployment flyteadmin)');
    expect(m.databases[0]!.password!.reveal()).toBe('<DB_PASSWORD>');
    expect(m.provenance['databases[0].host']).toBe('ConfigMap flyte/flyte-admin-base-config key db.yaml: database.host');
    expect(m.provenance['databases[1].host']).toBe('ConfigMap flyte/datacatalog-config key db.yaml: database.host');
    expect(m.storage).toMatchObject({ provider: 's3', rawType: 's3', authType: 'iam', region: '<AWS_REGION>', metadataBucket: '<METADATA_BUCKET_NAME>', userDataBucket: '<RAW_DATA_BUCKET_NAME>', valuesKey: 'storage' });
    expect(m.storage!.endpoint).toBeUndefined();
    expect(m.provenance['storage.userDataBucket']).toBe('ConfigMap flyte/flyte-propeller-config key core.yaml: propeller.rawoutput-prefix');
    expect(m.authEnabled).toBe(false);
    expect(m.auth).toMatchObject({ enabled: false, oidcIssuer: 'https://accounts.google.com', valuesKey: 'configmap.adminServer.auth' });
    expect(m.provenance['auth.enabled']).toBe('ConfigMap flyte/flyte-admin-base-config key server.yaml: server.security.useAuth');
    expect(m.adminEndpoint).toEqual({ endpoint: 'flyteadmin:81', insecure: true });
    expect(m.ingress).toMatchObject({ enabled: true, className: 'alb', separateGrpcIngress: true, tls: true, valuesKey: 'common.ingress' });
    expect(m.ingress!.host).toBeUndefined(); // host: null in the render
    expect(m.provenance['ingress.tls']).toBe('Ingress flyte/flyte-core: metadata.annotations (ALB HTTPS listener)');
    expect(s.ingresses.map((i) => [i.name, i.grpc, i.paths.length])).toEqual([['flyte-core', false, 20], ['flyte-core-grpc', true, 12]]);
    expect(s.ingresses[1]!.paths[0]).toEqual({ path: '/flyteidl.service.SignalService', pathType: 'ImplementationSpecific', service: 'flyteadmin', port: 81 });
    expect(m.identities.map((i) => [i.provider, i.serviceAccount, i.deployments])).toEqual([['aws-irsa', 'flyteadmin', ['flyteadmin', 'syncresources']], ['aws-irsa', 'datacatalog', ['datacatalog']], ['aws-irsa', 'flytepropeller', ['flytepropeller']]]);
    expect(m.identities[0]!.value).toBe('arn:aws:iam::<ACCOUNT_NUMBER>:role/iam-role-flyte');
    expect(s.deployments.find((d) => d.name === 'flyteadmin')).toMatchObject({ component: 'flyteadmin', replicas: 2, serviceAccountName: 'flyteadmin', images: ['cr.flyte.org/flyteorg/flyteadmin:v1.16.8'], configGlobs: ['/etc/flyte/config/*.yaml'] });
    expect(s.deployments.find((d) => d.name === 'flyteadmin')!.mounts.find((x) => x.mountPath === '/etc/db')).toMatchObject({ volume: 'db-pass', sources: [{ kind: 'Secret', name: 'db-pass' }] });
    expect(s.secrets.map((x) => [x.name, x.keys])).toEqual([['flyte-admin-secrets', []], ['flyte-secret-auth', ['client_secret']], ['db-pass', ['pass.txt']], ['flyte-pod-webhook', []]]);
    expect(m.secrets).toContain('foobar'); // flyte-secret-auth client_secret
    noLeak(s, m, ['foobar']);
  });

  it('flyte-core EKS control plane: admin, datacatalog, scheduler, no propeller', () => {
    const { s, m } = fixture('eks__flyte_helm_controlplane_generated.yaml');
    expect(s.chart).toBe('flyte-core');
    expect(m.kinds).toEqual(['flyteadmin', 'clusterresource', 'datacatalog', 'scheduler']);
    expect(m.databases.map((d) => d.role)).toEqual(['flyteadmin', 'datacatalog']);
    expect(m.storage).toMatchObject({ provider: 's3', metadataBucket: '<METADATA_BUCKET_NAME>' });
    expect(m.storage!.userDataBucket).toBeUndefined();
    expect(m.adminEndpoint).toEqual({ endpoint: 'flyteadmin:81', insecure: true }); // the scheduler's
    expect(s.deployments.map((d) => d.name)).toEqual(['flyteadmin', 'syncresources', 'flyteconsole', 'datacatalog', 'flytescheduler']);
    expect(m.ingress).toMatchObject({ className: 'alb', separateGrpcIngress: true });
    expect(m.identities.map((i) => i.serviceAccount)).toEqual(['flyteadmin', 'datacatalog']);
  });

  it('flyte-core EKS data plane: propeller only (no database, no admin auth), raw-data bucket', () => {
    const { s, m } = fixture('eks__flyte_helm_dataplane_generated.yaml');
    expect(m.kinds).toEqual(['propeller']);
    expect(m.databases).toEqual([]);
    expect(m.auth).toBeUndefined();
    expect(m.authEnabled).toBeUndefined();
    expect(m.storage).toMatchObject({ metadataBucket: '<METADATA_BUCKET_NAME>', userDataBucket: '<RAW_DATA_BUCKET_NAME>' });
    expect(m.components.map((c) => c.deployment)).toEqual(['flytepropeller', 'flyte-pod-webhook']);
    expect(s.deployments.map((d) => d.name)).toEqual(['flytepropeller', 'flyte-pod-webhook']);
    expect(m.identities.map((i) => i.serviceAccount)).toEqual(['flytepropeller']);
  });

  it('flyte-core GCP: GCS through stow google, GKE workload identity, nginx ingress with a host and TLS', () => {
    const { s, m } = fixture('gcp__flyte_helm_generated.yaml');
    expect(m.databases.map((d) => [d.role, d.host, d.dbname])).toEqual([['flyteadmin', '<CLOUD-SQL-IP>', 'flyteadmin'], ['datacatalog', '<CLOUD-SQL-IP>', 'flyteadmin']]);
    expect(m.databases[1]!.password!.reveal()).toBe('<DBPASSWORD>');
    expect(m.storage).toMatchObject({ provider: 'gcs', rawType: 'stow (stow kind google)', authType: 'adc', projectId: '<PROJECT-ID>', metadataBucket: '<METADATA_BUCKET_NAME>', userDataBucket: '<RAW_DATA_BUCKET_NAME>' });
    expect(m.provenance['storage.provider']).toBe('ConfigMap flyte/flyte-admin-base-config key storage.yaml: storage.stow.kind');
    expect(m.ingress).toMatchObject({ host: '<HOSTNAME>', className: 'nginx', tls: true, separateGrpcIngress: true });
    expect(m.provenance['ingress.host']).toBe('Ingress flyte/flyte-core: spec.rules.host');
    expect(m.provenance['ingress.className']).toBe('Ingress flyte/flyte-core: metadata.annotations.kubernetes.io/ingress.class');
    expect(s.ingresses[0]!.tls).toEqual([{ secretName: 'flyte-flyte-tls', hosts: ['<HOSTNAME>'] }]);
    expect(m.identities.map((i) => [i.provider, i.value])).toEqual([
      ['gke-workload-identity', 'gsa-flyteadmin@<PROJECT-ID>.iam.gserviceaccount.com'],
      ['gke-workload-identity', 'gsa-datacatalog@<PROJECT-ID>.iam.gserviceaccount.com'],
      ['gke-workload-identity', 'gsa-flytepropeller@<PROJECT-ID>.iam.gserviceaccount.com'],
    ]);
  });

  it('flyte-binary (sandbox-binary render): one component, the config-secret layer, IAM S3, no ingress', () => {
    const { s, m } = fixture('sandbox-binary__flyte_sandbox_binary_helm_generated.yaml');
    expect(s.chart).toBe('flyte-binary');
    expect(s.components).toEqual([{ deployment: 'flyte-flyte-binary', namespace: 'flyte', component: 'flyte-binary', missing: [],
      layerLabels: ['000-core.yaml', '001-plugins.yaml', '002-database.yaml', '003-storage.yaml'].map((k) => `ConfigMap flyte/flyte-flyte-binary-config key ${k}`) }]);
    expect(m.kinds).toEqual(['single-binary']);
    expect(m.databases).toHaveLength(1);
    expect(m.databases[0]).toMatchObject({ role: 'flyteadmin', host: '127.0.0.1', port: 5432, dbname: 'flyte', user: 'postgres', valuesKey: 'configuration.database', passwordSource: 'flytestdlib default (database.postgres.password)' });
    expect(m.storage).toMatchObject({ provider: 's3', authType: 'iam', region: 'us-east-1', metadataBucket: 'my-organization-flyte-container', userDataBucket: 'my-organization-flyte-container', disableSSL: false, valuesKey: 'configuration.storage' });
    expect(m.adminEndpoint).toEqual({ endpoint: 'localhost:8089', insecure: true });
    expect(m.projects).toEqual(['flytesnacks']);
    expect(m.ingress).toBeUndefined();
    expect(m.identities).toEqual([]);
    expect(m.release).toBe('flyte');
  });

  it('sandbox bundled: flyte-binary inside flyte-sandbox, the password and S3 keys from the config Secret (secrets, by key name only in the set)', () => {
    const { s, m } = fixture('sandbox-bundled-complete.yaml');
    expect(s.chart).toBe('flyte-binary');
    expect(s.charts.map((c) => c.name).sort()).toEqual(['docker-registry', 'flyte-binary', 'flyte-sandbox', 'kubernetes-dashboard', 'minio', 'postgresql']);
    expect(s.releases).toEqual(['flyte-sandbox']);
    expect(s.components).toHaveLength(1);
    expect(s.components[0]!.layerLabels).toEqual([
      'ConfigMap flyte/flyte-sandbox-config key 000-core.yaml', 'ConfigMap flyte/flyte-sandbox-config key 001-plugins.yaml', 'ConfigMap flyte/flyte-sandbox-config key 002-database.yaml',
      'ConfigMap flyte/flyte-sandbox-config key 003-storage.yaml', 'Secret flyte/flyte-sandbox-config-secret key 012-database-secrets.yaml', 'Secret flyte/flyte-sandbox-config-secret key 013-storage-secrets.yaml',
      'ConfigMap flyte/flyte-sandbox-config key 100-inline-config.yaml']);
    // Secret-held layers are not in the public configLayers; the envoy / registry configs are not Flyte configs.
    expect(s.configLayers.map((l) => l.label)).toEqual(s.components[0]!.layerLabels.filter((l) => l.startsWith('ConfigMap')));
    expect(m.databases[0]).toMatchObject({ host: 'flyte-sandbox-postgresql', port: 5432, dbname: 'flyte', user: 'postgres' });
    expect(m.databases[0]!.password!.reveal()).toBe('postgres');
    expect(m.provenance['databases[0].password']).toBe('Secret flyte/flyte-sandbox-config-secret key 012-database-secrets.yaml: database.postgres.password');
    expect(m.storage).toMatchObject({ provider: 's3', endpoint: 'http://flyte-sandbox-minio.flyte:9000', authType: 'accesskey', accessKey: 'minio', metadataBucket: 'my-s3-bucket', signedUrlEndpoint: 'http://localhost:30002', disableSSL: true });
    expect(m.storage!.secretKey!.reveal()).toBe('miniostorage');
    expect(m.provenance['storage.signedUrlEndpoint']).toBe('ConfigMap flyte/flyte-sandbox-config key 100-inline-config.yaml: storage.signedURL.stowConfigOverride.endpoint');
    expect(m.taskResourceDefaults).toEqual({ cpu: '500m', memory: '1Gi' });
    expect(s.secrets.find((x) => x.name === 'flyte-sandbox-minio')).toMatchObject({ keys: ['root-password', 'root-user'] });
    expect(m.secrets).toEqual(expect.arrayContaining(['postgres', 'minio', 'miniostorage', 'GFZ6ral09PJF3voh']));
    noLeak(s, m, ['GFZ6ral09PJF3voh']);
  });

  it('the fixtures as one directory (like helm template --output-dir): every file read in name order', () => {
    const s = read(RENDERED, '/');
    expect(s.inputs.map((i) => i.split('/').pop())).toEqual(['eks__flyte_helm_controlplane_generated.yaml', 'eks__flyte_helm_dataplane_generated.yaml', 'eks__flyte_helm_generated.yaml', 'gcp__flyte_helm_generated.yaml', 'sandbox-binary__flyte_sandbox_binary_helm_generated.yaml', 'sandbox-bundled-complete.yaml']);
    expect(s.objects.length).toBeGreaterThan(150);
  });
});

describe('password, config and secrets across objects', () => {
  const deployment = (o: { name?: string; secret?: string; items?: string; path?: string; glob?: string } = {}) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${o.name ?? 'flyteadmin'}, namespace: flyte, labels: {app.kubernetes.io/name: flyteadmin, helm.sh/chart: flyte-core-v0.1.10, app.kubernetes.io/instance: rel1}}
spec:
  template:
    spec:
      serviceAccountName: flyteadmin
      containers:
      - name: flyteadmin
        image: cr.flyte.org/flyteorg/flyteadmin:v1.16.8
        command: [flyteadmin, --config, ${o.glob ?? '/etc/flyte/config/*.yaml'}, serve]
        volumeMounts:
        - {name: db-pass, mountPath: /etc/db}
        - {name: config, mountPath: /etc/flyte/config}
      volumes:
      - name: db-pass
        secret:
          secretName: ${o.secret ?? 'db-pass'}
${o.items ? `          items: [{key: ${o.items}, path: pass.txt}]\n` : ''}      - name: config
        configMap: {name: admin-config}
`;
  const config = (pwPath = '/etc/db/pass.txt') => `apiVersion: v1
kind: ConfigMap
metadata: {name: admin-config, namespace: flyte}
data:
  db.yaml: |
    database:
      host: db.internal.example.com
      dbname: flyteadmin
      username: flyteadmin
      passwordPath: ${pwPath}
  server.yaml: |
    server:
      security:
        useAuth: true
  not-a-config.txt: "hello"
`;

  it('passwordPath → the Deployment\'s Secret volume → the key: the password is found and stays secret', () => {
    const f = write([deployment(), config(), secretManifest('db-pass', { 'pass.txt': 'Followed-Db-Pw-8821' })].join('---\n'));
    const s = read(f);
    const m = mapOf(s);
    expect(m.databases[0]!.password!.reveal()).toBe('Followed-Db-Pw-8821');
    expect(m.databases[0]!.passwordSource).toBe('passwordPath /etc/db/pass.txt (Secret flyte/db-pass key pass.txt, mounted at /etc/db by Deployment flyteadmin)');
    expect(m.authEnabled).toBe(true);
    expect(m.release).toBe('rel1');
    noLeak(s, m, ['Followed-Db-Pw-8821']);
  });

  it('volume items map a Secret key to the file name', () => {
    const s = read(write([deployment({ items: 'password' }), config(), secretManifest('db-pass', { password: 'Item-Mapped-Pw-313' })].join('---\n')));
    expect(mapOf(s).databases[0]!.passwordSource).toBe('passwordPath /etc/db/pass.txt (Secret flyte/db-pass key password, mounted at /etc/db by Deployment flyteadmin)');
  });

  it('a Secret created outside the chart: where the password lives, and PGPASSWORD to check it', () => {
    const s = read(write([deployment({ secret: 'external-db' }), config()].join('---\n')));
    const m = mapOf(s);
    expect(m.databases[0]!.password).toBeUndefined();
    expect(m.databases[0]!.passwordSource).toBe('passwordPath /etc/db/pass.txt (Secret flyte/external-db key pass.txt, mounted at /etc/db by Deployment flyteadmin; the Secret is not in the manifests (created outside the chart): its password cannot be checked from here; set PGPASSWORD to check the password)');
    expect(mapOf(s, { PGPASSWORD: 'From-Env-4410' }).databases[0]!.password!.reveal()).toBe('From-Env-4410');
  });

  it('a passwordPath where nothing is mounted says the file does not exist in the pod', () => {
    const s = read(write([deployment(), config('/etc/other/pass.txt'), secretManifest('db-pass', { 'pass.txt': 'x-unused-pw-77' })].join('---\n')));
    expect(mapOf(s).databases[0]!.passwordSource).toMatch(/Deployment flyteadmin mounts no volume at \/etc\/other: the file does not exist in the pod/);
  });

  it('only files matching the --config glob are config; a config ConfigMap missing from the manifests is a warning', () => {
    const s = read(write([deployment({ glob: '/etc/flyte/config/db.yaml' }), config()].join('---\n')));
    expect(s.components[0]!.layerLabels).toEqual(['ConfigMap flyte/admin-config key db.yaml']);
    const miss = mapOf(read(write(deployment())));
    expect(miss.warnings.map((w) => w.message)).toEqual(['Deployment flyteadmin reads its Flyte config from ConfigMap flyte/admin-config, which is not in the manifests']);
  });

  it('invalid YAML in a mounted config file is an input error naming the ConfigMap key; in a Secret it never shows the contents', () => {
    expect(userError(() => read(write([deployment(), config().replace('useAuth: true', 'useAuth: [true')].join('---\n'))))).toMatch(/^ConfigMap flyte\/admin-config key server\.yaml:\d+:\d+: invalid YAML/);
    const d = deployment().replace('configMap: {name: admin-config}', 'secret: {secretName: cfg-secret}');
    const msg = userError(() => read(write([d, secretManifest('cfg-secret', { 'db.yaml': 'database:\n  password: [Leaky-Pw-1209\n' })].join('---\n'))));
    expect(msg).toBe('Secret flyte/cfg-secret key db.yaml: invalid YAML in a Flyte config file held by a Secret (contents not shown)');
  });

  it('ConfigMaps no Deployment mounts: keys holding a Flyte config are read; templates and other apps\' configs are not', () => {
    const s = read(write(`apiVersion: v1
kind: ConfigMap
metadata: {name: loose, namespace: ns1}
data:
  storage.yaml: |
    storage:
      type: s3
      container: loose-bucket
  template.yaml: |
    apiVersion: v1
    kind: Namespace
    metadata:
      name: {{ namespace }}
  envoy.yaml: |
    admin:
      access_log_path: /dev/stdout
---
apiVersion: v1
kind: ConfigMap
metadata: {name: registry, labels: {chart: docker-registry-2.2.2}}
data:
  config.yml: |
    storage:
      cache: {blobdescriptor: inmemory}
`));
    expect(s.configLayers.map((l) => l.label)).toEqual(['ConfigMap ns1/loose key storage.yaml']);
    expect(mapOf(s).storage!.metadataBucket).toBe('loose-bucket');
  });
});

describe('documents and input forms', () => {
  it('multi-document YAML: # Source comments, empty documents, --- with content, ... ends, kind: List items, JSON', () => {
    const f = write(`# Source: chart/templates/a.yaml
---
---
# Source: empty.yaml
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: sa1, namespace: n1, annotations: {azure.workload.identity/client-id: 00000000-1111-2222-3333-444444444444}}
...
--- {apiVersion: v1, kind: ServiceAccount, metadata: {name: sa2, namespace: n1}}
---
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Secret, metadata: {name: s1, namespace: n1}, stringData: {k: List-Secret-Val-55}}
- {apiVersion: v1, kind: ConfigMap, metadata: {name: c1, namespace: n1}}
`);
    const s = read(f);
    expect(s.objects.map((o) => `${o.kind}/${o.name}`)).toEqual(['ServiceAccount/sa1', 'ServiceAccount/sa2', 'Secret/s1', 'ConfigMap/c1']);
    expect(s.objects[0]!.source).toBe(`${f}:6`);
    expect(s.objects[2]!.source).toBe(`${f}:12 (List item 0)`);
    expect(s.serviceAccounts[0]!.identities).toEqual([{ provider: 'azure-workload-identity', annotation: 'azure.workload.identity/client-id', value: '00000000-1111-2222-3333-444444444444', serviceAccount: 'sa1', namespace: 'n1' }]);
    noLeak(s, undefined, ['List-Secret-Val-55']);
    const j = write(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'json-sa' } }] }), 'list.json');
    expect(read(j).objects.map((o) => o.name)).toEqual(['json-sa']);
  });

  it('stdin: `-` reads what is piped; an empty pipe says to pipe helm template output', () => {
    const text = readFileSync(join(RENDERED, 'sandbox-binary__flyte_sandbox_binary_helm_generated.yaml'), 'utf8');
    expect(read('-', dir, () => text).chart).toBe('flyte-binary');
    expect(userError(() => read('-', dir, () => ''))).toBe('--manifests -: standard input holds no Kubernetes objects: pipe helm template output into it');
  });

  it('stdin that is a terminal is refused at once (never waits for input)', () => {
    const child = join(dir, 'tty-child.ts');
    writeFileSync(child, `import { readManifests } from ${JSON.stringify(resolve('src/config/manifests.ts'))};\ntry { readManifests('-', '/'); console.log('READ'); } catch (e) { console.log('ERR ' + (e as Error).message); }\n`);
    const t0 = Date.now();
    const out = execFileSync('script', ['-qec', `${resolve('node_modules/.bin/tsx')} ${child}`, '/dev/null'], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toContain('ERR --manifests -: standard input is a terminal: pipe helm template output into it');
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  it('a directory: *.yaml, *.yml and *.json in name order, subdirectories (helm --output-dir), hidden and other files skipped', () => {
    const d = join(dir, 'outdir');
    mkdirSync(join(d, 'flyte-binary', 'templates'), { recursive: true });
    mkdirSync(join(d, '.git'));
    writeFileSync(join(d, 'flyte-binary', 'templates', 'b.yaml'), 'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: b}\n');
    writeFileSync(join(d, 'flyte-binary', 'templates', 'a.yml'), 'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n');
    writeFileSync(join(d, 'z.json'), '{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"z"}}');
    writeFileSync(join(d, 'NOTES.txt'), 'not yaml: [');
    writeFileSync(join(d, '.git', 'x.yaml'), 'not: [valid');
    symlinkSync(d, join(d, 'flyte-binary', 'loop')); // a directory symlink loop is not followed
    expect(read('outdir').objects.map((o) => o.name)).toEqual(['a', 'b', 'z']);
    mkdirSync(join(dir, 'emptydir'));
    expect(userError(() => read('emptydir'))).toBe('--manifests emptydir: the directory holds no *.yaml, *.yml or *.json file: expected rendered manifests (helm template --output-dir <dir>)');
  });
});

describe('hostile input: one UserError line naming the file and what was expected, or bounded work', () => {
  it('a directory with thousands of files', () => {
    const d = join(dir, 'many');
    mkdirSync(d);
    for (let i = 0; i < 600; i++) writeFileSync(join(d, `f${String(i).padStart(4, '0')}.yaml`), '');
    const t0 = Date.now();
    expect(userError(() => read('many'))).toBe('--manifests many: more than 500 manifest files (*.yaml, *.yml, *.json): expected the rendered manifests of one release');
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('a huge file, a FIFO, a symlink loop, a dangling symlink, a binary file, a missing path', () => {
    writeFileSync(join(dir, 'huge.yaml'), `# ${'x'.repeat(5 * 1024 * 1024)}\n`);
    expect(userError(() => read('huge.yaml'))).toMatch(/^--manifests: cannot read huge\.yaml: is 5\.0 MiB, over the 4 MiB limit for manifest files/);
    execFileSync('mkfifo', [join(dir, 'pipe.yaml')]);
    expect(userError(() => read('pipe.yaml'))).toBe('--manifests: cannot read pipe.yaml: is a pipe that gave no data (nothing writes to it, or the command writing it printed nothing: see its own error)');
    symlinkSync('loop-b.yaml', join(dir, 'loop-a.yaml'));
    symlinkSync('loop-a.yaml', join(dir, 'loop-b.yaml'));
    expect(userError(() => read('loop-a.yaml'))).toBe('--manifests: cannot read loop-a.yaml: too many symbolic links');
    symlinkSync('nowhere.yaml', join(dir, 'dangling.yaml'));
    expect(userError(() => read('dangling.yaml'))).toBe('--manifests: cannot read dangling.yaml: a symbolic link to nothing');
    writeFileSync(join(dir, 'bin.yaml'), Buffer.from([0x61, 0x3a, 0x00, 0x01]));
    expect(userError(() => read('bin.yaml'))).toMatch(/is a binary file, expected text/);
    expect(userError(() => read('missing.yaml'))).toBe('--manifests: cannot read missing.yaml: no such file or directory');
    // the same files inside a directory
    const d = join(dir, 'withfifo');
    mkdirSync(d);
    execFileSync('mkfifo', [join(d, 'a.yaml')]);
    expect(userError(() => read('withfifo'))).toBe('--manifests: cannot read withfifo/a.yaml: is a pipe that gave no data (nothing writes to it, or the command writing it printed nothing: see its own error)');
  });

  it('non-YAML, documents that are not objects, objects without kind or name, values and server configs given as manifests', () => {
    expect(userError(() => read(write('kind: [Deployment\n')))).toMatch(/^m\d+\.yaml:\d+:\d+: invalid YAML: /);
    expect(userError(() => read(write('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n- just\n- a list\n')))).toMatch(/^m\d+\.yaml:5: expected a Kubernetes object \(a map with apiVersion, kind and metadata\), got a list of 2 items$/);
    expect(userError(() => read(write('"a string"\n')))).toMatch(/: expected a Kubernetes object .*, got "a string"$/);
    expect(userError(() => read(write('apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n')))).toMatch(/: ConfigMap: expected metadata\.name to be a string, got undefined$/);
    expect(userError(() => read(write('kind: ConfigMap\nmetadata: {name: a}\n')))).toMatch(/: ConfigMap: expected apiVersion to be a string/);
    expect(userError(() => read(write('configuration:\n  database:\n    host: db\n')))).toMatch(/got a map \(keys "configuration"\); this looks like Helm values: pass it with --values$/);
    expect(userError(() => read(write('storage:\n  type: s3\n  container: b\n')))).toMatch(/this looks like a Flyte server config: pass it with --server-config$/);
    expect(userError(() => read(write('apiVersion: v1\nkind: List\nitems: 5\n')))).toMatch(/: List: expected items to be a list, got 5$/);
  });

  it('wrong shapes inside objects: ConfigMap data, Secret data that is not base64; odd Deployments are read without crashing', () => {
    expect(userError(() => read(write('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: [a]\n')))).toMatch(/ConfigMap c: expected data to be a map of strings, got a list of 1 item$/);
    expect(userError(() => read(write('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: {a: 1}}\n')))).toMatch(/ConfigMap c: data\.k: expected a string, got a map/);
    expect(userError(() => read(write('apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {k: "Not base64 Pw!!"}\n')))).toMatch(/Secret s: data\.k: expected base64 \(use stringData for plain text\)$/);
    const odd = read(write('apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, labels: 5}\nspec:\n  replicas: "two"\n  template:\n    spec:\n      containers: "x"\n      volumes: {a: 1}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\nspec: {rules: "r", tls: 7}\n'));
    expect(odd.deployments[0]).toMatchObject({ name: 'd', serviceAccountName: 'default', images: [], mounts: [] });
    expect(odd.ingresses[0]).toMatchObject({ hosts: [], paths: [], tls: [] });
  });

  it('YAML alias bombs, self-referencing aliases and deep nesting are refused, bounded', () => {
    const bomb = ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: bomb}', 'x: &a ["l","l","l","l","l","l","l","l","l","l"]',
      ...Array.from({ length: 8 }, (_, i) => `x${i}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n');
    const t0 = Date.now();
    expect(userError(() => read(write(bomb)))).toMatch(/invalid YAML/);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(userError(() => read(write('apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: x, self: *m}\n')))).toMatch(/invalid YAML/);
    expect(userError(() => read(write(`apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: ${'['.repeat(200)}${']'.repeat(200)}\n`)))).toMatch(/invalid YAML: nested too deeply/);
  });
});

describe('bounded work on many documents', () => {
  it('errors name the line in the file; a file of 30000 tiny documents is refused quickly', () => {
    expect(userError(() => read(write('apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: [b}\n')))).toMatch(/^m\d+\.yaml:7:\d+: invalid YAML/);
    const t0 = Date.now();
    expect(userError(() => read(write('a: 1\n---\n'.repeat(30_000))))).toMatch(/: more than 20000 documents: expected the manifests of one release$/);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });
});
