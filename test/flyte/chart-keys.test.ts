// The keys each chart reads (src/flyte/chart-keys.data.ts) and unknownKeys() through the real loader:
// every values fixture in ../shared/fixtures gives exactly the unknown keys asserted here, hand-made
// typos give the nearest key, and keys in maps users fill freely never count.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadTarget, type TargetInput } from '../../src/config/load.js';
import { CHART_KEY_DATA } from '../../src/flyte/chart-keys.data.js';
import { chartReads, nearest, unknownKeys, type UnknownKey } from '../../src/flyte/chart-keys.js';
import { MergedValues, readValuesFile } from '../../src/config/values.js';
import { DATA_FILE, renderChartKeys } from '../../scripts/gen-chart-keys.js';
import { SHARED_FIXTURES } from '../harness/fixtures.js';

const VALUES = join(SHARED_FIXTURES, 'flyte-values');
const tmp = mkdtempSync(join(tmpdir(), 'fd-chart-keys-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const load = (over: Partial<TargetInput>) => loadTarget({ values: [], set: [], env: {}, cwd: tmp, home: '/nonexistent-home', ...over });
const unknown = (over: Partial<TargetInput>): UnknownKey[] => (load(over).unknownKeys ?? []) as UnknownKey[];
/** [key, suggestion] pairs, the shape most assertions need. */
const pairs = (list: UnknownKey[]) => list.map((u) => [u.key, u.suggestion]);
let n = 0;
function file(text: string): string {
  const f = join(tmp, `values-${++n}.yaml`);
  writeFileSync(f, text);
  return f;
}

describe('the key data', () => {
  it('is what scripts/gen-chart-keys.ts generates from the charts\' values.yaml (no hand edits)', () => {
    expect(readFileSync(DATA_FILE, 'utf8')).toBe(renderChartKeys(VALUES));
  });

  for (const chart of ['flyte-binary', 'flyte-core'] as const) {
    it(`${chart}: every key of the chart's own values.yaml is read`, () => {
      const walk = (v: unknown, path: string[]): string[] => (typeof v === 'object' && v !== null && !Array.isArray(v)
        ? Object.entries(v).flatMap(([k, x]) => [[...path, k].join('.'), ...walk(x, [...path, k])])
        : []);
      const keys = walk(parse(readFileSync(join(VALUES, `${chart}__values.yaml`), 'utf8')), []);
      expect(keys.length).toBeGreaterThan(150);
      expect(keys.filter((k) => !chartReads(chart, k))).toEqual([]);
    });
  }

  it('holds the keys only the templates or the values.yaml comments name', () => {
    for (const k of ['common.ingress.host', 'common.ingress.tls.secretName', 'db.admin.database.passwordPath', 'db.checks', 'storage.gcs.projectId', 'configmap.logger'])
      expect(CHART_KEY_DATA['flyte-core'].keys, k).toContain(k);
    for (const k of ['configuration.database.password', 'deployment.resources', 'configuration.auth.internal.audience'])
      expect(CHART_KEY_DATA['flyte-binary'].keys, k).toContain(k);
    // exact: a path into a free map or a leaf is not a key the chart names
    expect(chartReads('flyte-core', 'common.ingress.annotations.anything')).toBe(true);
    expect(chartReads('flyte-core', 'common.ingress.annotations.anything', true)).toBe(false);
    expect(chartReads('flyte-binary', 'configuration.databse')).toBe(false);
  });
});

describe('nearest', () => {
  it('matches case and -/_ first, then a small edit distance, then a prefix; nothing far', () => {
    expect(nearest('Database', ['dbname', 'database'])).toBe('database');
    expect(nearest('disable_ssl', ['disableSSL', 'endpoint'])).toBe('disableSSL');
    expect(nearest('databse', ['database', 'storage'])).toBe('database');
    expect(nearest('hosts', ['host', 'tls'])).toBe('host');
    expect(nearest('hostname', ['host', 'port'])).toBe('host');
    expect(nearest('regoin', ['region', 'endpoint'])).toBe('region');
    expect(nearest('secure', ['secretKey', 'disableSSL', 'endpoint', 'region'])).toBeUndefined();
    expect(nearest('ca', ['tag', 'tls'])).toBeUndefined();
  });
});

// Every file in ../shared/fixtures/flyte-values: the unknown keys it really has (most have none).
const EXPECTED: Record<string, [key: string, suggestion: string | undefined, extra?: Partial<UnknownKey>][]> = {
  // flyte-the-hard-way: `type: minio` is flyte-core's storage.type (flyte-binary reads provider, set
  // to s3 right below it), and stow's s3 config has no `secure` (TLS is disableSSL).
  'flyte-binary__fthw-microk8s-edge-values.yaml': [
    ['configuration.storage.providerConfig.s3.secure', undefined],
    ['configuration.storage.type', 'configuration.storage.provider', { reason: 'otherChart', otherKey: 'storage.type', suggestionSet: true }],
  ],
  'flyte-binary__fthw-onprem-flyte-binary-values.yaml': [
    ['configuration.storage.providerConfig.s3.secure', undefined],
    ['configuration.storage.type', 'configuration.storage.provider', { reason: 'otherChart', otherKey: 'storage.type', suggestionSet: true }],
  ],
  // the example: a doubled segment, so flyteconsole never gets ADMIN_API_URL
  'flyte-core__fthw-onprem-flyte-core-values.yaml': [['configmap.configmap.console', 'configmap.console', { reason: 'doubled', section: 'configmap' }]],
};

describe('every values fixture', () => {
  for (const f of readdirSync(VALUES).sort()) {
    if (f.includes('-v2main__')) continue; // Flyte 2: refused by the loader (test/config/fixtures.test.ts)
    it(`${f}: ${EXPECTED[f] ? EXPECTED[f].map((e) => e[0]).join(', ') : 'no unknown key'}`, () => {
      const path = join(VALUES, f);
      const t = load({ values: [path] });
      const got = (t.unknownKeys ?? []) as UnknownKey[];
      const want = EXPECTED[f] ?? [];
      expect(pairs(got)).toEqual(want.map(([k, s]) => [k, s]));
      got.forEach((u, i) => {
        expect(u.origin).toBe(path);
        if (want[i]![2]) expect(u).toMatchObject(want[i]![2]!);
      });
      if (!t.chart) expect(t.unknownKeys).toBeUndefined(); // flyte-deps, flyteconnector: no chart keys to judge
    });
  }
});

describe('hand-made mistakes', () => {
  it('flyte-binary: a misspelt section, a plural, a case slip, a key under the wrong section, a renamed key', () => {
    const f = file(`
configuration:
  databse:
    host: db.internal
  Storage: {}
  storage:
    region: eu-west-1
    providerConfig:
      s3:
        disable_ssl: true
  auth:
    oidc:
      clientID: flyte
  agentService:
    defaultAgent: {}
ingress:
  hosts: flyte.example.org
deployment:
  image:
    tga: v1
serviceAccount:
  annotatons:
    eks.amazonaws.com/role-arn: arn
flyte-core-components:
  admin:
    seedProject: [a]
`);
    const got = unknown({ values: [f] });
    expect(got.map((u) => [u.key, u.suggestion, u.reason])).toEqual([
      ['configuration.Storage', 'configuration.storage', 'spelling'],
      ['configuration.agentService', 'configuration.connectorService', 'renamed'],
      ['configuration.auth.oidc.clientID', 'configuration.auth.oidc.clientId', 'spelling'],
      ['configuration.databse', 'configuration.database', 'spelling'],
      ['configuration.storage.providerConfig.s3.disable_ssl', 'configuration.storage.providerConfig.s3.disableSSL', 'spelling'],
      ['configuration.storage.region', 'configuration.storage.providerConfig.s3.region', 'elsewhere'],
      ['deployment.image.tga', 'deployment.image.tag', 'spelling'],
      ['flyte-core-components.admin.seedProject', 'flyte-core-components.admin.seedProjects', 'spelling'],
      ['ingress.hosts', 'ingress.host', 'spelling'],
      ['serviceAccount.annotatons', 'serviceAccount.annotations', 'spelling'],
    ]);
    expect(got.every((u) => u.origin === f)).toBe(true);
    expect(got.map((u) => u.section)).toEqual(['configuration', 'configuration', 'configuration', 'configuration', 'configuration', 'configuration', 'deployment', 'flyte-core-components', 'ingress', 'serviceAccount']);
  });

  it('flyte-core: hostname for host, a misspelt section and key, a doubled segment, flyte config typos', () => {
    const got = unknown({
      chart: 'flyte-core',
      set: ['db.admin.database.hostname=db', 'common.ingres.host=h', 'storage.s3.regoin=x', 'storage.projectId=p', 'webhook.enable=true',
        'secrets.adminOauthClientCredentials.clientsecret=x', 'configmap.adminServer.server.security.useauth=true',
        'configmap.adminserver.server.httpPort=1', 'db.admin.postgres.host=x', 'common.ingress.tls.secret=s', 'flyteadmin.podannotations.a=b'],
    });
    expect(pairs(got)).toEqual([
      ['common.ingres', 'common.ingress'],
      ['common.ingress.tls.secret', 'common.ingress.tls.secretName'],
      ['configmap.adminServer.server.security.useauth', 'configmap.adminServer.server.security.useAuth'],
      ['configmap.adminserver', 'configmap.adminServer'],
      ['db.admin.database.hostname', 'db.admin.database.host'],
      ['db.admin.postgres', 'db.admin.database.postgres'],
      ['flyteadmin.podannotations', 'flyteadmin.podAnnotations'],
      ['secrets.adminOauthClientCredentials.clientsecret', 'secrets.adminOauthClientCredentials.clientSecret'],
      ['storage.projectId', 'storage.gcs.projectId'],
      ['storage.s3.regoin', 'storage.s3.region'],
      ['webhook.enable', 'webhook.enabled'],
    ]);
    expect(got.every((u) => u.origin === '--set')).toBe(true);
  });

  it('a key one level off: the same name where the chart reads it, before guessing a doubled segment', () => {
    const got = unknown({ chart: 'flyte-binary', set: ['configuration.clusterResourceTemplates.inline.a=b', 'configuration.host=db.internal'] });
    expect(got.map((u) => [u.key, u.suggestion, u.reason])).toEqual([
      ['configuration.clusterResourceTemplates', 'clusterResourceTemplates', 'elsewhere'],
      ['configuration.host', 'configuration.database.host', 'elsewhere'],
    ]);
  });

  it('a doubled segment names every key inside it, under its parent', () => {
    const f = file('configmap:\n  configmap:\n    console:\n      BASE_URL: /console\n    adminServer:\n      server:\n        httpPort: 8088\n');
    const got = unknown({ values: [f] });
    expect(pairs(got)).toEqual([['configmap.configmap.adminServer', 'configmap.adminServer'], ['configmap.configmap.console', 'configmap.console']]);
  });

  it('a flyte-core key in flyte-binary values: named as flyte-core\'s, with flyte-binary\'s key for the setting', () => {
    const f = file(`
configuration:
  database:
    host: db.internal
db:
  admin:
    database:
      host: db.internal
      port: 5432
storage:
  bucketName: my-bucket
  s3:
    region: eu-west-1
common:
  ingress:
    host: flyte.example.org
ingress:
  enabled: true
  annotations:
    kubernetes.io/ingress.class: nginx
flyteadmin:
  resources:
    limits: {cpu: 1}
`);
    const got = unknown({ values: [f] });
    expect(got.map((u) => [u.key, u.suggestion, u.readBy, u.suggestionSet ?? false])).toEqual([
      ['common.ingress.host', 'ingress.host', 'flyte-core', false],
      ['db.admin.database.host', 'configuration.database.host', 'flyte-core', true],
      ['db.admin.database.port', 'configuration.database.port', 'flyte-core', false],
      ['flyteadmin.resources', 'deployment.resources', 'flyte-core', false],
      ['ingress.annotations', 'ingress.commonAnnotations', undefined, false],
      ['ingress.enabled', 'ingress.create', undefined, false],
      ['storage.bucketName', 'configuration.storage.metadataContainer', 'flyte-core', false],
      ['storage.s3.region', 'configuration.storage.providerConfig.s3.region', 'flyte-core', false],
    ]);
    expect(got.find((u) => u.key === 'ingress.enabled')).toMatchObject({ reason: 'otherChart', otherKey: 'common.ingress.enabled' });
  });

  it('a flyte-binary key in flyte-core values, and the reverse direction of the same settings', () => {
    const got = unknown({ chart: 'flyte-core', set: ['configuration.database.host=h', 'ingress.host=h', 'deployment.image.tag=v1'] });
    expect(got.map((u) => [u.key, u.suggestion, u.readBy])).toEqual([
      ['configuration.database.host', 'db.admin.database.host', 'flyte-binary'],
      ['deployment.image.tag', 'flyteadmin.image.tag', 'flyte-binary'],
      ['ingress.host', 'common.ingress.host', 'flyte-binary'],
    ]);
  });

  it('umbrella charts: the key is named with its subchart prefix (flyte-sandbox, flyte)', () => {
    expect(pairs(unknown({ values: [join(VALUES, 'flyte-sandbox__values.yaml')], set: ['flyte-binary.configuration.databse.host=x'] })))
      .toEqual([['flyte-binary.configuration.databse', 'flyte-binary.configuration.database']]);
    expect(pairs(unknown({ values: [join(VALUES, 'flyte__values.yaml')], set: ['flyte.common.ingres.host=x'] })))
      .toEqual([['flyte.common.ingres', 'flyte.common.ingress']]);
  });
});

describe('hostile values', () => {
  it('prototype names, a very long key and tens of thousands of unknown keys: reported as keys, fast', () => {
    const big: Record<string, unknown> = { constructor: 1, __proto__x: 1, toString: { a: 1 }, ['k'.repeat(200_000)]: 1 };
    for (let i = 0; i < 20_000; i++) big[`unknown${i}`] = i;
    const f = file(`${JSON.stringify({ configuration: big, deployment: { constructor: { image: 1 } }, constructor: { x: 1 } })}\n`);
    const got = unknown({ values: [f] });
    // the judging itself (the loader's YAML parsing aside) stays well inside a preflight's budget
    const mv = new MergedValues([readValuesFile(f, tmp)]);
    const started = performance.now();
    expect(unknownKeys('flyte-binary', mv)).toHaveLength(got.length);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(got.length).toBe(20_000 + 4 + 1);
    expect(got.find((u) => u.key === 'configuration.constructor')).toMatchObject({ origin: f, section: 'configuration' });
    expect(got.find((u) => u.key === 'configuration.toString')?.suggestion).toBeUndefined();
    expect(got.find((u) => u.key === 'deployment.constructor.image')).toMatchObject({ suggestion: 'deployment.image', reason: 'doubled' });
    expect(got.some((u) => u.key.startsWith('constructor'))).toBe(false); // a top-level key of the user's own
  });
});

describe('never judged', () => {
  it('maps users fill freely, Flyte config files under configmap, top-level keys of their own, deeper component keys', () => {
    const f = file(`
userSettings:
  anything: 1
configuration:
  inline:
    storage:
      whatever: 1
  labels:
    team: a
  logging:
    nonsense: 1
deployment:
  podAnnotations:
    x: y
  resources:
    limits: {cpu: 1}
  extraPodSpec:
    hostAliases: []
serviceAccount:
  annotations:
    iam.gke.io/gcp-service-account: sa@p.iam.gserviceaccount.com
ingress:
  commonAnnotations:
    kubernetes.io/ingress.class: nginx
`);
    expect(unknown({ values: [f] })).toEqual([]);
    const core = file(`
storage:
  type: custom
  custom:
    type: stow
    stow: {kind: azure, config: {account: a}}
configmap:
  core:
    propeller:
      whatever-new-key: 1
  k8s:
    plugins: {k8s: {inject-finalizer: true}}
  adminServer:
    server:
      a-brand-new-server-key: 1
    somethingNew: {}
flyteadmin:
  serviceAccount:
    anything: 1
  podAnnotations: {a: b}
common:
  ingress:
    annotations:
      alb.ingress.kubernetes.io/scheme: internet-facing
`);
    expect(unknown({ values: [core] })).toEqual([]);
  });

  it('a key the values\' own {{ .Values.x }} templates read is used, even at the other chart\'s section names', () => {
    const f = file('storage:\n  bucket: my-bucket\nconfiguration:\n  storage:\n    metadataContainer: "{{ .Values.storage.bucket }}"\n');
    expect(unknown({ values: [f] })).toEqual([]);
  });

  it('chart defaults are never reported, and values without a Flyte chart give nothing', () => {
    expect(unknown({ chart: 'flyte-binary' })).toEqual([]);
    expect(unknown({ chart: 'flyte-core' })).toEqual([]);
    expect(load({ values: [join(VALUES, 'flyte-deps__values.yaml')] }).unknownKeys).toBeUndefined();
  });
});
