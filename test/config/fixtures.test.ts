// The target model against the real values and client config files in ../shared/fixtures.
import { SHARED_FIXTURES } from '../harness/fixtures.js';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTarget } from '../../src/config/load.js';
import type { TargetInput } from '../../src/config/load.js';
import { UserError } from '../../src/errors.js';
import { isPlaceholderOnly } from '../../src/config/hygiene.js';

const FIX = SHARED_FIXTURES;
const VALUES = join(FIX, 'flyte-values');
const CLIENT = join(FIX, 'flytectl-config');
const HOME = '/nonexistent-home';

function load(over: Partial<TargetInput>) {
  return loadTarget({ values: [], set: [], env: {}, cwd: FIX, home: HOME, ...over });
}
const values = (...files: string[]) => load({ values: files.map((f) => join(VALUES, f)) });
const client = (file: string, env: NodeJS.ProcessEnv = {}) => load({ flytectlConfig: join(CLIENT, file), env });

describe('every fixture loads', () => {
  for (const f of readdirSync(VALUES)) {
    if (f.includes('-v2main__')) {
      it(`${f} is rejected as Flyte 2`, () => {
        expect(() => values(f)).toThrow(UserError);
        expect(() => values(f)).toThrow(new RegExp(`^${join(VALUES, f).replace(/[.]/g, '\\.')}: this is a Flyte 2 values file \\(has .+\\); flyte-doctor checks Flyte 1\\.x charts \\(flyte-binary, flyte-core\\)$`));
      });
    } else {
      it(`${f} loads`, () => {
        const t = values(f);
        expect(t.inputs).toEqual([join(VALUES, f)]);
        expect(t.kubernetes.namespace).toBe('flyte');
        for (const d of t.databases) if (d.password) expect(JSON.stringify(d.password)).toBe('"***"');
        if (t.storage?.secretKey) expect(JSON.stringify(t.storage.secretKey)).toBe('"***"');
        for (const d of t.databases) {
          if (!d.password || d.passwordSource === 'flytestdlib default (database.postgres.password)') continue;
          // A placeholder password (`<DB_PASSWORD>`, `${db_password}`) is no secret: values.inputs.placeholders shows it.
          if (['postgres', 'miniostorage'].includes(d.password.reveal())) {
            // a published default password (PostgreSQL's, the sandbox MinIO's) is no secret
            expect(t.secrets).not.toContain(d.password.reveal());
          } else if (isPlaceholderOnly(d.password.reveal())) {
            expect(t.secrets).not.toContain(d.password.reveal());
            expect(t.placeholders?.some((p) => p.fields.includes(`databases[${t.databases.indexOf(d)}].password`))).toBe(true);
          } else expect(t.secrets).toContain(d.password.reveal());
        }
      });
    }
  }
  for (const f of readdirSync(CLIENT)) {
    it(`${f} loads`, () => {
      const t = client(f);
      expect(t.client.configPath).toBe(join(CLIENT, f));
      expect(t.client.host).toBeTruthy();
      expect(t.ingress?.grpcAddress).toBe(`${t.client.host}:${t.client.port}`);
    });
  }
});

describe('flyte-binary fixtures', () => {
  it('eks-starter: RDS placeholders, S3 with IRSA, ALB ingress with TLS', () => {
    const t = values('flyte-binary__eks-starter.yaml');
    const file = join(VALUES, 'flyte-binary__eks-starter.yaml');
    expect(t.chart).toBe('flyte-binary');
    expect(t.chartSource).toBe(`auto-detected from ${file}: has configuration.* (flyte-binary)`);
    expect(t.kubernetes.release).toBe('flyte-backend');
    expect(t.databases).toHaveLength(1);
    const db = t.databases[0]!;
    expect(db).toMatchObject({ role: 'flyteadmin', host: '<RDS_HOST_DNS>', port: 5432, dbname: 'flyteadmin', user: 'postgres', sslmode: 'disable', valuesKey: 'configuration.database' });
    expect(db.password?.reveal()).toBe('<DB_PASSWORD>');
    expect(String(db.password)).toBe('***');
    expect(t.provenance['databases[0].host']).toBe(`${file}: configuration.database.host`);
    expect(t.provenance['databases[0].port']).toBe('chart default');
    expect(t.storage).toMatchObject({ provider: 's3', metadataBucket: '<BUCKET_NAME>', userDataBucket: '<USER_DATA_BUCKET_NAME>', region: '<AWS-REGION-CODE>', authType: 'iam', rawOutputPrefix: 's3://<USER_DATA_BUCKET_NAME>/data', valuesKey: 'configuration.storage' });
    expect(t.storage?.endpoint).toBeUndefined();
    expect(t.ingress).toMatchObject({ enabled: true, host: 'flyte.mydomain.com', className: 'alb', tls: true, separateGrpcIngress: true, httpUrl: 'https://flyte.mydomain.com', grpcAddress: 'flyte.mydomain.com:443' });
    expect(t.ingress?.grpcAnnotations['alb.ingress.kubernetes.io/backend-protocol-version']).toBe('GRPC');
    expect(t.ingress?.grpcAnnotations['alb.ingress.kubernetes.io/scheme']).toBe('internet-facing');
    expect(t.ingress?.annotations['alb.ingress.kubernetes.io/backend-protocol-version']).toBeUndefined();
    expect(t.provenance['ingress.grpcAddress']).toBe(`${file}: ingress.host (port 443)`);
    expect(t.auth).toMatchObject({ enabled: false, oidcIssuer: '<YOUR_IDP_BASE_URL>', oidcClientId: '<IDP_CLIENT_ID>', internalClientId: 'flytepropeller', authServerType: 'Self' });
    // placeholders are no secrets: they are listed (and shown) as placeholders instead
    for (const v of ['<DB_PASSWORD>', '<IDP_CLIENT_SECRET>', '<CC_PASSWD>']) expect(t.secrets).not.toContain(v);
    expect(t.placeholders?.map((p) => [p.key, p.shown, p.fields])).toEqual(expect.arrayContaining([
      ['configuration.database.password', '<DB_PASSWORD>', ['databases[0].password']],
      ['configuration.database.host', '<RDS_HOST_DNS>', ['databases[0].host']],
      ['configuration.auth.oidc.clientSecret', '<IDP_CLIENT_SECRET>', ['auth.clientSecret']],
      ['configuration.auth.internal.clientSecret', '<CC_PASSWD>', []],
    ]));
  });

  it('eks-production differs only in dbname', () => {
    expect(values('flyte-binary__eks-production.yaml').databases[0]?.dbname).toBe('flyte');
  });

  it('gke-starter: GCS with project, empty password falls back to the flytestdlib default', () => {
    const t = values('flyte-binary__gke-starter.yaml');
    expect(t.databases[0]).toMatchObject({ host: '127.0.0.1', port: 5432, dbname: 'flyteadmin', user: 'postgres' });
    expect(t.databases[0]?.passwordSource).toBe('flytestdlib default (database.postgres.password)');
    expect(t.provenance['databases[0].password']).toBe('chart default');
    expect(t.storage).toMatchObject({ provider: 'gcs', metadataBucket: 'my-organization-flyte-container', projectId: 'my-organization-gcp-project', authType: 'adc', rawOutputPrefix: 'gs://my-organization-flyte-container/data' });
    expect(t.storage?.region).toBeUndefined();
    expect(t.ingress?.enabled).toBe(false);
    expect(t.secrets).not.toContain('postgres');
  });

  it('fthw microk8s edge: userSettings template in the S3 endpoint, string booleans, task defaults', () => {
    const file = join(VALUES, 'flyte-binary__fthw-microk8s-edge-values.yaml');
    const t = values('flyte-binary__fthw-microk8s-edge-values.yaml');
    expect(t.databases[0]).toMatchObject({ host: 'postgres.flyte', port: 5432, dbname: 'flyte', user: 'postgres' });
    expect(t.storage).toMatchObject({ provider: 's3', endpoint: 'http://flyte.local:30084', disableSSL: true, forcePathStyle: true, authType: 'accesskey', accessKey: 'minio', region: 'us-east-1', metadataBucket: 'flyte' });
    expect(t.storage?.secretKey?.reveal()).toBe('miniostorage');
    expect(t.provenance['storage.endpoint']).toBe(`${file}: configuration.storage.providerConfig.s3.endpoint (via .Values.userSettings.hostName from ${file})`);
    expect(t.taskResourceDefaults).toEqual({ cpu: '1000m', memory: '500Mi' });
    // the published defaults (PostgreSQL's `postgres`, the sandbox MinIO's `miniostorage`) are no secrets
    expect(t.secrets).not.toContain('postgres');
    expect(t.secrets).not.toContain('miniostorage');
  });

  it('fthw on-prem binary: MinIO in-cluster, no password', () => {
    const t = values('flyte-binary__fthw-onprem-flyte-binary-values.yaml');
    expect(t.databases[0]).toMatchObject({ host: 'postgres.flyte.svc.cluster.local', dbname: 'flyte', user: 'flyte', port: 5432 });
    expect(t.storage).toMatchObject({ endpoint: 'http://minio.flyte.svc.cluster.local:9000', disableSSL: true, authType: 'accesskey', region: 'us-east-1' });
    expect(t.taskResourceDefaults).toEqual({ cpu: '100m', memory: '500Mi' });
  });

  it('flyte-sandbox umbrella: flyte-binary subchart values', () => {
    const t = values('flyte-sandbox__values.yaml');
    expect(t.chart).toBe('flyte-binary');
    expect(t.chartSource).toContain('has flyte-binary.configuration.* (flyte-binary subchart)');
    expect(t.storage).toMatchObject({ provider: 's3', metadataBucket: 'my-s3-bucket', disableSSL: true, authType: 'accesskey', accessKey: 'minio' });
    expect(t.databases[0]?.password?.reveal()).toBe('postgres');
    expect(t.provenance['databases[0].password']).toBe(`${join(VALUES, 'flyte-sandbox__values.yaml')}: flyte-binary.configuration.database.password`);
    // helm-only templates (.Release.*) are left as they are
    expect(t.databases[0]?.host).toContain('.Release.Name');
  });
});

describe('flyte-core fixtures', () => {
  it('values-eks: userSettings everywhere, password from the databaseSecret manifest', () => {
    const file = join(VALUES, 'flyte-core__values-eks.yaml');
    const t = values('flyte-core__values-eks.yaml');
    expect(t.chart).toBe('flyte-core');
    expect(t.chartSource).toBe(`auto-detected from ${file}: has db.*, configmap.* (flyte-core)`);
    expect(t.databases.map((d) => d.role)).toEqual(['flyteadmin', 'datacatalog']);
    for (const d of t.databases) expect(d).toMatchObject({ host: '<RDS_HOST>', port: 5432, dbname: 'flyteadmin', user: 'flyteadmin' });
    expect(t.databases[1]?.valuesKey).toBe('db.datacatalog.database');
    expect(t.databases[0]?.password?.reveal()).toBe('<DB_PASSWORD>');
    expect(t.databases[0]?.passwordSource).toBe('common.databaseSecret.secretManifest.stringData.pass.txt (mounted as /etc/db/pass.txt)');
    expect(t.provenance['databases[0].host']).toBe(`${file}: db.admin.database.host (via .Values.userSettings.rdsHost from ${file})`);
    expect(t.storage).toMatchObject({ provider: 's3', rawType: 's3', metadataBucket: '<METADATA_BUCKET_NAME>', userDataBucket: '<RAW_DATA_BUCKET_NAME>', rawOutputPrefix: 's3://<RAW_DATA_BUCKET_NAME>/', region: '<AWS_REGION>', authType: 'iam', valuesKey: 'storage' });
    expect(t.ingress).toMatchObject({ enabled: true, separateGrpcIngress: true, tls: true, valuesKey: 'common.ingress', className: 'alb' });
    expect(t.ingress?.annotations['alb.ingress.kubernetes.io/certificate-arn']).toBe('<CERTIFICATE_ARN>');
    expect(t.taskResourceDefaults).toEqual({ cpu: '1000m', memory: '1000Mi' });
    expect(t.projects).toEqual(['flytesnacks', 'flytetester', 'flyteexamples']);
    expect(t.auth).toMatchObject({ enabled: false, valuesKey: 'configmap.adminServer.auth' });
    expect(t.secrets).not.toContain('<DB_PASSWORD>'); // a placeholder, listed as such
    expect(t.placeholders?.find((p) => p.key === 'userSettings.dbPassword')?.fields).toEqual(['databases[0].password', 'databases[1].password']);
    expect(t.secrets).not.toContain('foobar'); // the chart's published default
  });

  it('values-gcp: GCS, Cloud SQL host, ingress host with TLS', () => {
    const t = values('flyte-core__values-gcp.yaml');
    expect(t.databases[0]).toMatchObject({ host: '<CLOUD-SQL-IP>', port: 5432, dbname: 'flyteadmin', user: 'flyteadmin' });
    expect(t.storage).toMatchObject({ provider: 'gcs', metadataBucket: '<METADATA_BUCKET_NAME>', userDataBucket: '<RAW_DATA_BUCKET_NAME>', projectId: '<PROJECT-ID>' });
    expect(t.ingress).toMatchObject({ host: '<HOSTNAME>', tls: true, httpUrl: 'https://<HOSTNAME>', grpcAddress: '<HOSTNAME>:443' });
  });

  it('values-sandbox: MinIO rendered by storage.type sandbox, two databases with defaults', () => {
    const t = values('flyte-core__values-sandbox.yaml');
    expect(t.databases.map((d) => `${d.user}@${d.host}:${d.port}/${d.dbname}`)).toEqual(['postgres@postgres:5432/flyteadmin', 'postgres@postgres:5432/datacatalog']);
    expect(t.storage).toMatchObject({ provider: 's3', rawType: 'sandbox', metadataBucket: 'my-s3-bucket', userDataBucket: 'my-s3-bucket', endpoint: 'http://minio.flyte.svc.cluster.local:9000', authType: 'accesskey', accessKey: 'minio', disableSSL: true });
    expect(t.provenance['storage.metadataBucket']).toBe('chart default');
    expect(t.provenance['storage.userDataBucket']).toBe('chart default (via .Values.storage.bucketName from chart default)');
  });

  it('sandbox MinIO endpoint follows the namespace', () => {
    const t = load({ values: [join(VALUES, 'flyte-core__values-sandbox.yaml')], namespace: 'flyte-test' });
    expect(t.storage?.endpoint).toBe('http://minio.flyte-test.svc.cluster.local:9000');
    expect(t.provenance['kubernetes.namespace']).toBe('--namespace');
  });

  it('fthw on-prem core: userSettings db host and password', () => {
    const t = values('flyte-core__fthw-onprem-flyte-core-values.yaml');
    expect(t.databases[0]).toMatchObject({ host: 'postgres.flyte.svc.cluster.local', dbname: 'flyte', user: 'flyte' });
    expect(t.databases[0]?.password?.reveal()).toBe('postgres');
    expect(t.storage).toMatchObject({ rawType: 'sandbox', metadataBucket: 'flyte', userDataBucket: 'flyte' });
  });

  it('deploy-flyte AKS: custom stow azure storage, sslmode=require, terraform placeholders kept', () => {
    const t = values('flyte-core__deploy-flyte-azure-values-aks.yaml');
    expect(t.databases[0]).toMatchObject({ host: '${cosmos_postgres_database_host}', dbname: '${cosmos_postgres_database_name}', sslmode: 'require' });
    expect(t.storage).toMatchObject({ provider: 'azure', rawType: 'custom', metadataBucket: '${storage_account_container_name}' });
    expect(t.ingress?.host).toBe('${dns_label}');
  });

  it('keycloak: auth enabled with an External auth server', () => {
    const t = values('flyte-core__values-keycloak-idp-flyteclients-without-browser.yaml');
    expect(t.auth).toMatchObject({ enabled: true, authServerType: 'External', oidcIssuer: '<IDP URL for the realm>', internalClientId: 'flytepropeller' });
    expect(t.databases[1]).toMatchObject({ host: 'postgres-flyte', dbname: 'datacatalog' });
    expect(t.databases[1]?.passwordSource).toBe('db.datacatalog.database.password');
    expect(t.storage).toMatchObject({ provider: 's3', authType: 'accesskey', metadataBucket: 'flytedata' });
  });

  it('values-dataplane: admin and datacatalog disabled, no databases', () => {
    expect(values('flyte-core__values-dataplane.yaml').databases).toEqual([]);
  });

  it('flyte umbrella chart: flyte-core values under flyte.*', () => {
    const t = values('flyte__values.yaml');
    expect(t.chart).toBe('flyte-core');
    expect(t.databases[0]).toMatchObject({ host: 'postgres', dbname: 'flyteadmin' });
  });

  it('non-Flyte charts leave the chart undetected', () => {
    for (const f of ['flyte-deps__values.yaml', 'flyteconnector__values.yaml']) {
      const t = values(f);
      expect(t.chart).toBeUndefined();
      expect(t.databases).toEqual([]);
      expect(t.storage).toBeUndefined();
    }
  });
});

describe('client config fixtures', () => {
  it('flytectl config.yaml: sandbox endpoint, insecure, Pkce', () => {
    const t = client('flytectl__config.yaml');
    const file = join(CLIENT, 'flytectl__config.yaml');
    expect(t.client).toMatchObject({ endpoint: 'dns:///localhost:30080', host: 'localhost', port: 30080, insecure: true, insecureSkipVerify: false, authType: 'Pkce' });
    expect(t.provenance['client.endpoint']).toBe(`${file}: admin.endpoint`);
    expect(t.provenance['client.insecure']).toBe(`${file}: admin.insecure`);
    expect(t.ingress).toMatchObject({ httpUrl: 'http://localhost:30080', grpcAddress: 'localhost:30080' });
    expect(t.inputs).toEqual([file]);
  });

  it('flytekit nossl.yaml: insecure false, default port 443', () => {
    const t = client('flytekit__nossl.yaml');
    expect(t.client).toMatchObject({ host: 'flyte.mycorp.io', port: 443, insecure: false, authType: 'Pkce' });
    expect(t.provenance['client.port']).toBe('default (443)');
    expect(t.ingress).toMatchObject({ httpUrl: 'https://flyte.mycorp.io', grpcAddress: 'flyte.mycorp.io:443' });
  });

  it('flytekit sample.yaml and sample.yml: client id, insecure, S3 secret known to the redactor', () => {
    for (const f of ['flytekit__sample.yaml', 'flytekit__sample.yml']) {
      const t = client(f);
      expect(t.client).toMatchObject({ host: 'flyte.mycorp.io', port: 443, insecure: true, clientId: 'propeller', authType: 'Pkce' });
      expect(t.secrets).toContain('miniostorage');
    }
  });

  it('flytekit creds_secret_env_var: the secret is read from the named env var', () => {
    const t = client('flytekit__creds_secret_env_var.yaml', { FAKE_SECRET_NAME: 's3cr3t-value' });
    expect(t.client.clientSecret?.reveal()).toBe('s3cr3t-value');
    expect(t.provenance['client.clientSecret']).toBe('env FAKE_SECRET_NAME');
    expect(t.secrets).toContain('s3cr3t-value');
  });

  it('flytectl testdata: an http:// endpoint is accepted and recorded as a problem', () => {
    const t = client('flytectl__cmd-testdata-config.yaml');
    expect(t.client).toMatchObject({ endpoint: 'http://localhost:30082', host: 'localhost', port: 30082, insecure: true });
    expect(t.provenance['client.endpoint.problem']).toBe('admin.endpoint has the scheme http:// but is a gRPC target; use dns:///localhost:30082 (flytectl config init strips http(s)://)');
  });

  it('functional-test config and configutil version', () => {
    expect(client('flyte__functional-test-config.yaml').client).toMatchObject({ port: 30080, insecure: true, authType: 'Pkce' });
    expect(client('flytectl__pkg-configutil-version.yaml').client).toMatchObject({ port: 30081, insecure: true });
  });
});
