// Issue 14, Prometheus metrics and task logs: flyte.metrics.servicemonitor and flyte.metrics.endpoints
// against the test bed's kube-apiserver (this file loads the Prometheus Operator's ServiceMonitor and
// Prometheus CRDs itself and removes them at the end; objects live in namespaces fd-obs-*), metrics
// and dashboard servers of this file (node http on this machine's non-loopback address, which an
// EndpointSlice may name), flyte.tasklogs.* on targets from the real loader, and the real fixtures.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED_FIXTURES } from '../../harness/fixtures.js';
import { loadTarget } from '../../../src/config/load.js';
import type { Target } from '../../../src/config/target.js';
import { cause } from '../../../src/engine/causes.js';
import type { CheckResult } from '../../../src/engine/types.js';
import { helmTpl, parseExposition, resolveTemplate } from '../../../src/flyte/observability.js';
import { freePort, startHttp, type Running } from '../../harness/private-servers.js';
import { runCheck } from '../../harness/run-check.js';
import { getTestbed } from '../../harness/testbed.js';
import { removeNamespace } from '../../infra/flyte-install.js';
import { startAdmin } from '../../infra/flyteadmin.js';
import { createIfMissing, kubeCall, kubeRequest } from '../../infra/kube.js';
import { tempContext } from '../../testbed/kube-ingress-helpers.js';

const FIX = join(SHARED_FIXTURES, 'flyte-values');
const NS = 'fd-obs-sm';
const NS_ME = 'fd-obs-me';
const tb = () => getTestbed();
const admin = () => ({ server: tb().kube.server, caFile: tb().kube.caFile });
const tok = () => tb().kube.tokens.admin;
const dir = mkdtempSync(join(tmpdir(), 'fd-obs-'));
mkdirSync(join(dir, 'home'));
let n = 0;
const file = (values: unknown): string => { const f = `values-${n++}.yaml`; writeFileSync(join(dir, f), stringify(values)); return f; };
const target = (values: unknown[], namespace = NS, chart?: 'flyte-core' | 'flyte-binary'): Target => loadTarget({ values: values.map((v) => (typeof v === 'string' ? v : file(v))), set: [], env: {}, cwd: dir, home: join(dir, 'home'), kubeconfig: tb().kube.kubeconfig, context: 'admin', namespace, ...(chart ? { chart } : {}) } as Parameters<typeof loadTarget>[0]);
const fixture = (f: string): Target => loadTarget({ values: [join(FIX, f)], set: [], env: {}, cwd: dir, home: join(dir, 'home'), namespace: 'flyte' } as Parameters<typeof loadTarget>[0]);
const run = async (id: string, t: Target, phase: 'preflight' | 'verify' = 'preflight'): Promise<CheckResult> => (await runCheck(id, t, { phase })).result;
const ok = (s: number) => s < 300 || s === 404;
const core = (extra: Record<string, unknown> = {}) => ({ db: { admin: { database: { host: 'db.fdobs.test' } } }, configmap: { adminServer: { server: { httpPort: 8088 } } }, ...extra });

const MON = '/apis/monitoring.coreos.com/v1';
const CRDS = [['servicemonitors', 'ServiceMonitor'], ['prometheuses', 'Prometheus']] as const;
const crdPath = (plural: string) => `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${plural}.monitoring.coreos.com`;

async function installCrds(): Promise<void> {
  for (const [plural, kind] of CRDS) {
    await createIfMissing(admin(), tok(), '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `${plural}.monitoring.coreos.com` },
      spec: { group: 'monitoring.coreos.com', scope: 'Namespaced', names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
    });
  }
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const d = await kubeRequest<{ resources?: { name: string }[] }>(admin(), tok(), 'GET', MON);
    const est = await kubeRequest<{ status?: { conditions?: { type: string; status: string }[] } }>(admin(), tok(), 'GET', crdPath('servicemonitors'));
    if (d.status === 200 && CRDS.every(([p]) => d.body.resources?.some((r) => r.name === p)) && est.body.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('monitoring.coreos.com CRDs not served within 30 s');
}

async function removeCrds(): Promise<void> {
  for (const [plural] of CRDS) await kubeCall(admin(), tok(), 'DELETE', crdPath(plural), undefined, undefined, ok);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if ((await Promise.all(CRDS.map(([p]) => kubeRequest(admin(), tok(), 'GET', crdPath(p))))).every((r) => r.status === 404)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function put(collection: string, obj: { metadata: { name: string; [k: string]: unknown } } & Record<string, unknown>): Promise<void> {
  await kubeCall(admin(), tok(), 'DELETE', `${collection}/${obj.metadata.name}`, undefined, undefined, ok);
  await kubeCall(admin(), tok(), 'POST', collection, obj);
}

const LABELS = { 'app.kubernetes.io/name': 'flyteadmin', 'app.kubernetes.io/instance': 'flyte' };
const adminService = (ns: string, ports: { name: string; port: number; targetPort?: number }[]) => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name: 'flyteadmin', namespace: ns, labels: { ...LABELS, 'helm.sh/chart': 'flyte-core-v0.1.10' } },
  spec: { type: 'ClusterIP', selector: LABELS, ports: ports.map((p) => ({ protocol: 'TCP', ...p })) },
});
const monitor = (selector: Record<string, string>, port = 'http-metrics', labels: Record<string, string> = {}) => ({
  apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'flyteadmin', namespace: NS, labels },
  spec: { endpoints: [{ interval: '60s', port, path: '/metrics', scrapeTimeout: '30s' }], selector: { matchLabels: selector } },
});

// --------------------------------------------------------------------------------------------
// the values → target mapping, on the real fixtures

describe('fixtures: what they configure for metrics, task logs', () => {
  it('no fixture enables a ServiceMonitor; flyte-core maps every component with its Service and the chart conditions', () => {
    const t = fixture('flyte-core__values-eks.yaml');
    expect(t.observability!.metrics.map((m) => [m.component, m.serviceMonitor, m.service ?? null])).toEqual([
      ['flyteadmin', false, 'flyteadmin'], ['datacatalog', false, 'datacatalog'], ['flytepropeller', false, null], ['flytescheduler', false, null], ['flyteconsole', false, null],
    ]);
    expect(fixture('flyte-binary__values.yaml').observability!.metrics).toMatchObject([{ component: 'flyte-binary', serviceMonitor: false, rendered: false }]);
  });

  it('task logs: cloudwatch (binary eks-starter, placeholders kept), stackdriver built from deprecated fields without gcp-project (flyte-core values-gcp), Helm escapes undone (values-sandbox, deploy-flyte aws), nothing enabled (flyte-core values.yaml)', () => {
    const eks = fixture('flyte-binary__eks-starter.yaml').observability!.taskLogs;
    expect(eks.key).toBe('configuration.logging.plugins');
    expect(eks.plugins).toMatchObject([{ kind: 'cloudwatch', enabledKey: 'configuration.logging.plugins.cloudwatch.enabled', templates: [{ key: 'configuration.logging.plugins.cloudwatch.templateUri' }] }]);
    expect(eks.plugins[0]!.templates[0]!.uri).toContain('region=<AWS_REGION>');
    const gcp = fixture('flyte-core__values-gcp.yaml').observability!.taskLogs;
    expect(gcp.plugins).toMatchObject([{ kind: 'stackdriver', templates: [{ builtFrom: ['gcp-project', 'stackdriver-logresourcename'] }], fields: { 'stackdriver-logresourcename': { value: 'k8s_container' } } }]);
    expect(gcp.plugins[0]!.fields['gcp-project']!.value).toBeUndefined();
    const sandbox = fixture('flyte-core__values-sandbox.yaml').observability!.taskLogs;
    expect(sandbox.plugins[0]!.templates[0]).toMatchObject({ uri: 'http://localhost:30082/#/log/{{ .namespace }}/{{ .podName }}/pod?namespace={{ .namespace }}' });
    expect(sandbox.plugins[0]!.templates[0]!.eatenByHelm).toBeUndefined();
    const aws = fixture('flyte-core__deploy-flyte-aws-values-eks-core.yaml').observability!.taskLogs;
    expect(aws.plugins[0]!.templates[0]!.uri).toContain('var.log.containers.{{.podName}}_{{.namespace}}_{{.containerName}}');
    expect(fixture('flyte-core__values.yaml').observability!.taskLogs.plugins).toEqual([]);
  });

  it('helmTpl, the sample task and the exposition parser', () => {
    expect(helmTpl('a/{{ .podName }}/{{ "{{" }} .namespace {{ "}}" }}/{{`{{.podUID}}`}}')).toEqual({ out: 'a//{{ .namespace }}/{{.podUID}}', eaten: ['{{ .podName }}'] });
    expect(resolveTemplate('x/{{ .namespace }}/{{.PODNAME}}/{{ .nope }}')).toBe('x/flytesnacks-development/f7a1c2b3d4e5f6a7b8c9-n0-0/{{ .nope }}');
    expect(parseExposition('# HELP a b\n# TYPE a counter\na{x="1"} 3\nb 1e3 1700000000\nc NaN\n')).toEqual({ samples: 3, families: 1, flyteSamples: 0 });
    expect(parseExposition('<html>').error).toMatchObject({ line: 1 });
    expect(parseExposition('a 1\n{"a":1}\n').error).toMatchObject({ line: 2 });
  });
});

// --------------------------------------------------------------------------------------------
// flyte.tasklogs.config

describe('flyte.tasklogs.config (preflight)', () => {
  const ID = 'flyte.tasklogs.config';
  const binaryLogs = (plugins: Record<string, unknown>) => ({ configuration: { database: { host: 'db.fdobs.test' }, logging: { plugins } } });

  it('healthy: a kubernetes template on flyte-binary resolves for the sample task', async () => {
    const r = await run(ID, target([binaryLogs({ kubernetes: { enabled: true, templateUri: 'https://dash.fdobs.test/#/log/{{ .namespace }}/{{ .podName }}/pod?namespace={{ .namespace }}' } })]));
    expect(r).toMatchObject({ status: 'pass', messageId: 'wellFormed' });
    expect(r.message).toContain('https://dash.fdobs.test/#/log/flytesnacks-development/f7a1c2b3d4e5f6a7b8c9-n0-0/pod');
  });

  it('no plugin enabled: warn naming the key for the storage provider', async () => {
    const r = await run(ID, target([{ configuration: { database: { host: 'db.fdobs.test' }, storage: { provider: 's3', metadataContainer: 'b', userDataContainer: 'b' } } }]));
    expect(r).toMatchObject({ status: 'warn', messageId: 'noPlugin', cause: cause.config('configuration.logging.plugins') });
    expect(r.hint).toContain('`configuration.logging.plugins.cloudwatch.enabled: true` with `templateUri`');
    const c = await run(ID, fixture('flyte-core__values.yaml'));
    expect(c).toMatchObject({ status: 'warn', messageId: 'noPlugin' });
    expect(c.hint).toContain('configmap.task_logs.plugins.logs.');
  });

  it('an unknown variable: fail naming it and the variables that exist', async () => {
    const r = await run(ID, target([binaryLogs({ kubernetes: { enabled: true, templateUri: 'https://dash.fdobs.test/#/log/{{ .namespace }}/{{ .pod_name }}' } })]));
    expect(r).toMatchObject({ status: 'fail', messageId: 'unknownVariable', cause: cause.config('configuration.logging.plugins.kubernetes.templateUri') });
    expect(r.message).toContain('{{ .pod_name }} is not a variable Flyte substitutes');
    expect(r.hint).toContain('use {{ .podName }}');
    expect(r.hint).toContain('podName, podUID, namespace, containerName, containerID, logName');
  });

  it('enabled without templateUri (flyte-binary): fail, helm install fails on the chart\'s required', async () => {
    const r = await run(ID, target([binaryLogs({ cloudwatch: { enabled: true, templateUri: '' } })]));
    expect(r).toMatchObject({ status: 'fail', messageId: 'missingTemplate' });
    expect(r.message).toContain('Template URI required for CloudWatch logging plugin');
    expect(r.hint).toContain('`configuration.logging.plugins.cloudwatch.templateUri`');
  });

  it('flyte-core: an unescaped {{ .podName }} is eaten by Helm\'s tpl', async () => {
    const r = await run(ID, target([core({ configmap: { task_logs: { plugins: { logs: { 'kubernetes-enabled': true, 'kubernetes-template-uri': 'https://dash.fdobs.test/#/log/{{ .namespace }}/{{ .podName }}/pod' } } } } })], NS, 'flyte-core'));
    expect(r).toMatchObject({ status: 'fail', messageId: 'eatenByHelm', cause: cause.config('configmap.task_logs.plugins.logs.kubernetes-template-uri') });
    expect(r.message).toContain('"https://dash.fdobs.test/#/log///pod"');
    expect(r.hint).toContain('`{{ "{{" }} .namespace {{ "}}" }}`');
  });

  it('flyte-binary: Helm escapes copied from flyte-core docs reach Flyte literally', async () => {
    const r = await run(ID, target([binaryLogs({ kubernetes: { enabled: true, templateUri: 'https://dash.fdobs.test/#/log/{{ "{{" }} .namespace {{ "}}" }}/{{ "{{" }} .podName {{ "}}" }}' } })]));
    expect(r).toMatchObject({ status: 'fail', messageId: 'helmEscapeLiteral', cause: cause.config('configuration.logging.plugins.kubernetes.templateUri') });
    expect(r.message).toContain('{{ "{{" }}, {{ "}}" }} are Helm escapes');
    const inline = await run(ID, target([{ configuration: { database: { host: 'db.fdobs.test' }, inline: { plugins: { logs: { 'kubernetes-enabled': true, 'kubernetes-template-uri': 'https://dash.fdobs.test/#/log/{{ "{{" }} .namespace {{ "}}" }}/{{ "{{" }} .podName {{ "}}" }}/pod' } } } } }]));
    expect(inline).toMatchObject({ status: 'pass', messageId: 'wellFormed' });
    // configuration.inline is merged over the chart's logging section key by key (a later config file)
    const merged = target([{ configuration: { database: { host: 'db.fdobs.test' }, logging: { plugins: { kubernetes: { enabled: true, templateUri: 'https://dash.fdobs.test/#/log/{{ .namespace }}/{{ .podName }}' }, cloudwatch: { enabled: true, templateUri: 'https://console.aws.amazon.com/cloudwatch/home?region=us-east-1#logEventViewer:group=g;stream=var.log.containers.{{ .podName }}' } } }, inline: { plugins: { logs: { 'cloudwatch-enabled': false, 'kubernetes-template-uri': 'https://dash.fdobs.test/#/log/{{ .podname }}/{{ .pod_uid }}' } } } } }]);
    expect(merged.observability!.taskLogs.plugins.map((p) => [p.kind, p.templates[0]!.key])).toEqual([['kubernetes', 'configuration.inline.plugins.logs.kubernetes-template-uri']]);
    const m = await run(ID, merged);
    // inline goes through Helm's tpl: unescaped variables are rendered away before Flyte sees them
    expect(m).toMatchObject({ status: 'fail', messageId: 'eatenByHelm', cause: cause.config('configuration.inline.plugins.logs.kubernetes-template-uri') });
    expect(m.message).toContain('{{ .podname }}, {{ .pod_uid }} are rendered by Helm\'s tpl (to nothing)');
    const esc = await run(ID, target([{ configuration: { database: { host: 'db.fdobs.test' }, inline: { plugins: { logs: { 'kubernetes-enabled': true, 'kubernetes-template-uri': 'https://dash.fdobs.test/#/log/{{ "{{" }} .namespace {{ "}}" }}/{{ "{{" }} .pod_uid {{ "}}" }}' } } } } }]));
    expect(esc).toMatchObject({ status: 'fail', messageId: 'unknownVariable' });
    expect(esc.message).toContain('{{ .pod_uid }} is not a variable Flyte substitutes');
  });

  it('the GCP fixture: stackdriver without gcp-project builds a link with an empty project (fail naming the key)', async () => {
    const r = await run(ID, fixture('flyte-core__values-gcp.yaml'));
    expect(r).toMatchObject({ status: 'fail', messageId: 'incomplete', cause: cause.config('configmap.task_logs.plugins.logs.gcp-project') });
    expect(r.hint).toContain('`configmap.task_logs.plugins.logs.gcp-project`');
  });

  it('a CloudWatch template without region or log group, a Cloud Logging template without project', async () => {
    const cw = await run(ID, target([binaryLogs({ cloudwatch: { enabled: true, templateUri: 'https://console.aws.amazon.com/cloudwatch/home?region=#logEventViewer:stream=var.log.containers.{{ .podName }}_{{ .namespace }}_{{ .containerName }}-{{ .containerId }}.log' } })]));
    expect(cw).toMatchObject({ status: 'fail', messageId: 'incomplete', cause: cause.config('configuration.logging.plugins.cloudwatch.templateUri') });
    expect(cw.message).toContain('does not name the AWS region (region=…) or the log group');
    const gcp = await run(ID, target([binaryLogs({ stackdriver: { enabled: true, templateUri: 'https://console.cloud.google.com/logs/query;query=resource.labels.pod_name%3D%22{{ .podName }}%22' } })]));
    expect(gcp).toMatchObject({ status: 'fail', messageId: 'incomplete' });
    expect(gcp.message).toContain('the GCP project (project=…)');
    const ok = await run(ID, target([binaryLogs({ cloudwatch: { enabled: true, templateUri: 'https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Faws$252Fcontainerinsights$252Fprod$252Fapplication$3FlogStreamNameFilter$3Dvar.log.containers.{{.podName}}_{{.namespace}}_{{.containerName}}' } })]));
    expect(ok).toMatchObject({ status: 'pass', messageId: 'wellFormed' });
  });

  it('placeholders and a relative link', async () => {
    const p = await run(ID, fixture('flyte-binary__eks-starter.yaml'));
    expect(p).toMatchObject({ status: 'warn', messageId: 'placeholder' });
    expect(p.message).toContain('<AWS_REGION>, <EKS_CLUSTER_NAME>');
    const rel = await run(ID, target([binaryLogs({ kubernetes: { enabled: true, templateUri: '/#/log/{{ .namespace }}/{{ .podName }}' } })]));
    expect(rel).toMatchObject({ status: 'fail', messageId: 'notAUrl' });
    const same = await run(ID, target([binaryLogs({ kubernetes: { enabled: true, templateUri: 'https://dash.fdobs.test/logs' } })]));
    expect(same).toMatchObject({ status: 'warn', messageId: 'notPerTask' });
  });
});

// --------------------------------------------------------------------------------------------
// flyte.tasklogs.kubernetes against dashboards of this file

describe('flyte.tasklogs.kubernetes (verify)', () => {
  const ID = 'flyte.tasklogs.kubernetes';
  let dash: Running;
  let mode = 'ok';
  beforeAll(async () => {
    dash = await startHttp((req, res) => {
      if (mode === 'ok') { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<!doctype html><html><title>Kubernetes Dashboard</title></html>'); return; }
      if (mode === 'login') { res.writeHead(302, { location: '/oauth2/sign_in?rd=%2F' }); res.end(); return; }
      if (mode === '404') { res.writeHead(404, { 'content-type': 'text/plain' }); res.end('404 page not found'); return; }
      if (mode === '503') { res.writeHead(503, { 'content-type': 'text/html' }); res.end('<html>503 Service Temporarily Unavailable</html>'); return; }
      res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"kind":"Status"}');
    });
  });
  afterAll(async () => { await dash.stop(); });
  const t = (url: string) => target([{ configuration: { database: { host: 'db.fdobs.test' }, logging: { plugins: { kubernetes: { enabled: true, templateUri: url } } } } }]);

  it('healthy: the dashboard answers 200 with a page; broken: a sign-in redirect warns, 404 / 503 / JSON / nothing listening are named', async () => {
    const url = `http://127.0.0.1:${dash.port}/#/log/{{ .namespace }}/{{ .podName }}/pod?namespace={{ .namespace }}`;
    mode = 'ok';
    expect(await run(ID, t(url), 'verify')).toMatchObject({ status: 'pass', messageId: 'answers' });
    mode = 'login';
    const login = await run(ID, t(url), 'verify');
    expect(login).toMatchObject({ status: 'warn', messageId: 'loginPage' });
    expect(login.message).toContain('/oauth2/sign_in');
    mode = '404';
    const nf = await run(ID, t(url), 'verify');
    expect(nf).toMatchObject({ status: 'fail', messageId: 'notFound', cause: cause.config('configuration.logging.plugins.kubernetes.templateUri') });
    mode = '503';
    expect(await run(ID, t(url), 'verify')).toMatchObject({ status: 'fail', messageId: 'serverError' });
    mode = 'json';
    expect(await run(ID, t(url), 'verify')).toMatchObject({ status: 'warn', messageId: 'unexpected' });
    const dead = await run(ID, t(`http://127.0.0.1:${tb().closedPort}/#/log/{{ .namespace }}/{{ .podName }}`), 'verify');
    expect(dead).toMatchObject({ status: 'fail', messageId: 'dead', cause: cause.unreachable(`127.0.0.1:${tb().closedPort}`) });
  });

  it('the bed\'s admin backend (a private instance of test/infra/flyteadmin-server.ts) serves a dashboard page and Prometheus text', async () => {
    const tc = tempContext();
    try {
      const ports = { http: await freePort(), grpc: await freePort(), authHttp: await freePort(), authGrpc: await freePort() };
      const r = await startAdmin(tc.ctx, { ports });
      const http = r.admin.httpPort;
      const pass = await run(ID, t(`http://127.0.0.1:${http}/kubernetes-dashboard/#/log/{{ .namespace }}/{{ .podName }}/pod?namespace={{ .namespace }}`), 'verify');
      expect(pass).toMatchObject({ status: 'pass', messageId: 'answers' });
      const m = await fetch(`http://127.0.0.1:${http}/metrics`);
      expect(parseExposition(await m.text())).toEqual({ samples: 2, families: 2, flyteSamples: 1 });
      const wrong = await run(ID, t(`http://127.0.0.1:${http}/dashboard/#/log/{{ .namespace }}/{{ .podName }}`), 'verify');
      expect(wrong).toMatchObject({ status: 'fail', messageId: 'notFound' });
    } finally { await tc.stop(); }
  }, 60_000);

  it('a cluster-internal dashboard: cannot be checked from this machine; no kubernetes plugin: skip', async () => {
    expect(await run(ID, t('http://kubernetes-dashboard.kube-system.svc:443/#/log/{{ .namespace }}/{{ .podName }}'), 'verify')).toMatchObject({ status: 'warn', messageId: 'notFromHere' });
    expect(await run(ID, target([{ configuration: { database: { host: 'db.fdobs.test' } } }]), 'verify')).toMatchObject({ status: 'skip', messageId: 'notEnabled' });
  });
});

// --------------------------------------------------------------------------------------------
// flyte.metrics.servicemonitor against the bed's kube-apiserver

describe.sequential('flyte.metrics.servicemonitor', () => {
  const ID = 'flyte.metrics.servicemonitor';
  const sm = (extra: Record<string, unknown> = {}) => target([core({ flyteadmin: { serviceMonitor: { enabled: true } }, ...extra })], NS, 'flyte-core');
  beforeAll(async () => {
    await removeCrds();
    await createIfMissing(admin(), tok(), '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  }, 60_000);
  afterAll(async () => {
    await kubeCall(admin(), tok(), 'DELETE', `${MON}/namespaces/${NS}/servicemonitors/flyteadmin`, undefined, undefined, (s) => ok(s) || s === 503);
    await kubeCall(admin(), tok(), 'DELETE', `${MON}/namespaces/${NS}/prometheuses/fd-obs-prom`, undefined, undefined, (s) => ok(s) || s === 503);
    await removeCrds();
    await removeNamespace(tb(), NS);
  }, 90_000);

  it('no serviceMonitor enabled: skip naming the keys', async () => {
    const r = await run(ID, target([core()], NS, 'flyte-core'));
    expect(r).toMatchObject({ status: 'skip', messageId: 'notEnabled' });
    expect(r.message).toContain('flyteadmin.serviceMonitor.enabled');
  });

  it('CRD missing: fail, install the Prometheus Operator or set the key false', async () => {
    const r = await run(ID, sm());
    // the whole group is not served: keyed like kubernetes.objects.apis keys a rendered ServiceMonitor of a missing group
    expect(r).toMatchObject({ status: 'fail', messageId: 'crdMissing', cause: cause.object('apigroup', undefined, 'monitoring.coreos.com') });
    expect(r.message).toContain('no matches for kind');
    expect(r.hint).toContain('kube-prometheus-stack --repo https://prometheus-community.github.io/helm-charts');
    expect(r.hint).toContain('`flyteadmin.serviceMonitor.enabled: false`');
  });

  it('chart conditions: propeller without its Service, the console\'s missing http-metrics port', async () => {
    const p = await run(ID, target([core({ flytepropeller: { serviceMonitor: { enabled: true } } })], NS, 'flyte-core'));
    expect(p).toMatchObject({ status: 'warn', messageId: 'notRendered' });
    expect(p.hint).toBe('set `flytepropeller.service.enabled: true`');
    const b = await run(ID, target([{ configuration: { database: { host: 'db.fdobs.test' } }, serviceMonitor: { enabled: true } }], NS, 'flyte-binary'));
    expect(b).toMatchObject({ status: 'warn', messageId: 'notRendered', cause: cause.config('serviceMonitor.enabled') });
    expect(b.message).toContain('the flyte-binary chart (1.x, v0.1.10) renders no ServiceMonitor');
    expect(b.hint).toContain('service.extraPorts');
    const c = await run(ID, target([core({ flyteconsole: { serviceMonitor: { enabled: true } } })], NS, 'flyte-core'));
    // the chart renders the console's ServiceMonitor (so the missing CRD leads) and it scrapes nothing
    expect(c).toMatchObject({ status: 'fail', messageId: 'crdMissing' });
    expect(c.message).toMatch(/^2 problems with the ServiceMonitors: .*the chart's flyteconsole Service has only port `http` \(80\)/);
    expect((c.details!['objects'] as { finding: string }[]).map((o) => o.finding).sort()).toEqual(['crdMissing', 'noMetricsPort']);
  });

  it('with the CRD (loaded by this test): preflight passes; verify compares the ServiceMonitor with the Service (healthy, wrong selector, wrong port, missing)', async () => {
    await installCrds();
    const none = await run(ID, sm());
    expect(none).toMatchObject({ status: 'warn', messageId: 'noPrometheus' });
    await put(`${MON}/namespaces/${NS}/prometheuses`, { apiVersion: 'monitoring.coreos.com/v1', kind: 'Prometheus', metadata: { name: 'fd-obs-prom', namespace: NS }, spec: { serviceMonitorSelector: {}, serviceMonitorNamespaceSelector: {} } });
    expect(await run(ID, sm())).toMatchObject({ status: 'pass', messageId: 'selected' });
    await put(`/api/v1/namespaces/${NS}/services`, adminService(NS, [{ name: 'http', port: 80, targetPort: 8088 }, { name: 'http-metrics', port: 10254 }]));

    const missing = await run(ID, sm(), 'verify');
    expect(missing).toMatchObject({ status: 'fail', messageId: 'monitorMissing', cause: cause.object('servicemonitor', NS, 'flyteadmin') });

    await put(`${MON}/namespaces/${NS}/servicemonitors`, monitor(LABELS));
    const healthy = await run(ID, sm(), 'verify');
    expect(healthy).toMatchObject({ status: 'pass', messageId: 'selected' });
    expect(healthy.message).toContain('ServiceMonitor flyteadmin selects Service flyteadmin');

    await put(`${MON}/namespaces/${NS}/servicemonitors`, monitor({ ...LABELS, 'app.kubernetes.io/instance': 'other' }));
    const sel = await run(ID, sm(), 'verify');
    expect(sel).toMatchObject({ status: 'fail', messageId: 'selectorMismatch' });
    expect(sel.message).toContain('app.kubernetes.io/instance=other (Service has flyte)');

    await put(`${MON}/namespaces/${NS}/servicemonitors`, monitor(LABELS, 'metrics'));
    const port = await run(ID, sm(), 'verify');
    expect(port).toMatchObject({ status: 'fail', messageId: 'portMismatch' });
    expect(port.message).toContain('scrapes port metrics but Service flyteadmin has ports http, http-metrics');
  });

  it('a Prometheus whose serviceMonitorSelector does not match the labels: warn naming the label to add', async () => {
    await put(`${MON}/namespaces/${NS}/servicemonitors`, monitor(LABELS));
    await put(`${MON}/namespaces/${NS}/prometheuses`, { apiVersion: 'monitoring.coreos.com/v1', kind: 'Prometheus', metadata: { name: 'fd-obs-prom', namespace: NS }, spec: { serviceMonitorSelector: { matchLabels: { release: 'kube-prometheus-stack' } }, serviceMonitorNamespaceSelector: {} } });
    const r = await run(ID, sm());
    expect(r).toMatchObject({ status: 'warn', messageId: 'notSelectedByPrometheus', cause: cause.config('flyteadmin.serviceMonitor.labels') });
    expect(r.hint).toBe('add `flyteadmin.serviceMonitor.labels.release: kube-prometheus-stack`');
    const fixed = await run(ID, sm({ flyteadmin: { serviceMonitor: { enabled: true, labels: { release: 'kube-prometheus-stack' } } } }));
    expect(fixed).toMatchObject({ status: 'pass', messageId: 'selected' });
  });
});

// --------------------------------------------------------------------------------------------
// flyte.metrics.endpoints: pod addresses of an EndpointSlice, scraped in-cluster

/** This machine's first non-loopback IPv4 address (an EndpointSlice may not name 127.0.0.0/8). */
function hostAddress(): string {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  throw new Error('no non-loopback IPv4 address on this machine: the metrics endpoint test needs one');
}

describe.sequential('flyte.metrics.endpoints (verify)', () => {
  const ID = 'flyte.metrics.endpoints';
  let body = '';
  let status = 200;
  let ctype = 'text/plain; version=0.0.4';
  const server = createServer((_q: IncomingMessage, s: ServerResponse) => { s.writeHead(status, { 'content-type': ctype }); s.end(body); });
  let port = 0;
  let ip = '';
  // only flyteadmin (and datacatalog when asked) deployed, so flyte.deployments.ready (a dependency) judges those alone
  const t = (inCluster: boolean, datacatalog = false) => {
    const x = target([core({ datacatalog: { enabled: datacatalog }, flytepropeller: { enabled: false }, flyteconsole: { enabled: false }, webhook: { enabled: false }, cluster_resource_manager: { enabled: false } })], NS_ME, 'flyte-core');
    if (inCluster) x.inCluster = true;
    return x;
  };
  /** A Deployment whose status says available, as the deployment controller (not running here) would write it. */
  async function available(name: string): Promise<void> {
    const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': 'flyte' };
    await put(`/apis/apps/v1/namespaces/${NS_ME}/deployments`, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: NS_ME, labels }, spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name, image: 'cr.flyte.org/flyteorg/flyteadmin:v1.16.8' }] } } } });
    await kubeCall(admin(), tok(), 'PATCH', `/apis/apps/v1/namespaces/${NS_ME}/deployments/${name}/status`, { status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1, conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'ok' }, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: 'ok' }] } }, 'application/merge-patch+json');
  }
  const slice = (svc: string, addr: string, ready: boolean) => ({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: `${svc}-fdobs`, namespace: NS_ME, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4', endpoints: [{ addresses: [addr], conditions: { ready }, targetRef: { kind: 'Pod', name: `${svc}-pod`, namespace: NS_ME } }], ports: [{ name: 'http-metrics', port, protocol: 'TCP' }] });
  /** A pod whose status carries the IP (no kubelet here), the Endpoints the API server's service proxy reads, and the EndpointSlice. */
  async function backend(svc: string, addr: string): Promise<void> {
    await put(`/api/v1/namespaces/${NS_ME}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: `${svc}-pod`, namespace: NS_ME, labels: { 'app.kubernetes.io/name': svc } }, spec: { containers: [{ name: 'c', image: 'ghcr.io/example/none:v1' }] } });
    await kubeCall(admin(), tok(), 'PATCH', `/api/v1/namespaces/${NS_ME}/pods/${svc}-pod/status`, { status: { phase: 'Running', podIP: addr, podIPs: [{ ip: addr }] } }, 'application/merge-patch+json');
    await put(`/api/v1/namespaces/${NS_ME}/endpoints`, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: svc, namespace: NS_ME }, subsets: [{ addresses: [{ ip: addr, targetRef: { kind: 'Pod', name: `${svc}-pod`, namespace: NS_ME } }], ports: [{ name: 'http-metrics', port }] }] });
    await put(`/apis/discovery.k8s.io/v1/namespaces/${NS_ME}/endpointslices`, slice(svc, addr, true));
  }
  beforeAll(async () => {
    ip = hostAddress();
    await new Promise<void>((r) => server.listen(0, ip, r));
    port = (server.address() as { port: number }).port;
    await createIfMissing(admin(), tok(), '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS_ME } });
    await put(`/api/v1/namespaces/${NS_ME}/services`, adminService(NS_ME, [{ name: 'http', port: 80, targetPort: 8088 }, { name: 'http-metrics', port: 10254, targetPort: 10254 }]));
    await backend('flyteadmin', ip);
    await available('flyteadmin');
    await available('datacatalog');
  }, 60_000);
  afterAll(async () => {
    server.close();
    await removeNamespace(tb(), NS_ME);
  }, 60_000);

  it('healthy: Prometheus text from the pod address (in-cluster) and through the API server\'s service proxy (from this machine)', async () => {
    body = '# HELP flyte:admin:create_execution_count x\n# TYPE flyte:admin:create_execution_count counter\nflyte:admin:create_execution_count{project="p"} 3\ngo_goroutines 42\n';
    const r = await run(ID, t(true), 'verify');
    expect(r).toMatchObject({ status: 'pass', messageId: 'answers' });
    expect(r.message).toContain(`http://${ip}:${port}/metrics answers Prometheus text (2 samples, 1 families, 1 flyte:*)`);
    const here = await run(ID, t(false), 'verify');
    expect(here).toMatchObject({ status: 'pass', messageId: 'answers' });
    expect(here.message).toContain(`/api/v1/namespaces/${NS_ME}/services/flyteadmin:http-metrics/proxy/metrics (through the API server) answers Prometheus text`);
  });

  it('broken: an HTML page, lines that do not parse, a 404 (in-cluster and through the proxy)', async () => {
    body = '<!doctype html><html>console</html>'; ctype = 'text/html';
    const html = await run(ID, t(true), 'verify');
    expect(html).toMatchObject({ status: 'fail', messageId: 'notPrometheus', cause: cause.wrongService(`${ip}:${port}`) });
    expect(html.message).toContain('an HTML page');
    expect(await run(ID, t(false), 'verify')).toMatchObject({ status: 'fail', messageId: 'notPrometheus' });
    body = 'go_goroutines 42\nthis is not a metric\n'; ctype = 'text/plain';
    const bad = await run(ID, t(true), 'verify');
    expect(bad).toMatchObject({ status: 'fail', messageId: 'notPrometheus' });
    expect(bad.message).toContain('line 2 "this is not a metric"');
    status = 404; body = '404 page not found';
    expect(await run(ID, t(true), 'verify')).toMatchObject({ status: 'fail', messageId: 'httpError' });
    const nf = await run(ID, t(false), 'verify');
    expect(nf).toMatchObject({ status: 'fail', messageId: 'httpError' });
    expect(nf.message).toContain('answered HTTP 404: no /metrics handler on this port');
    status = 200; body = 'go_goroutines 1\n';
  });

  it('a pod the API server cannot reach: cannot be checked from this machine', async () => {
    await put(`/api/v1/namespaces/${NS_ME}/services`, { ...adminService(NS_ME, [{ name: 'grpc', port: 89, targetPort: 8089 }, { name: 'http-metrics', port: 10254, targetPort: 10254 }]), metadata: { name: 'datacatalog', namespace: NS_ME, labels: { 'app.kubernetes.io/name': 'datacatalog' } } });
    const unreachable = ip.replace(/\.(\d+)$/, (_m, d: string) => `.${Number(d) === 254 ? 253 : Number(d) + 1}`);
    await backend('datacatalog', unreachable);
    const r = await run(ID, t(false, true), 'verify');
    expect(r).toMatchObject({ status: 'warn', messageId: 'notFromHere' });
    expect(r.message).toContain('datacatalog: Service datacatalog:http-metrics has 1 ready endpoint(s)');
    expect(r.hint).toContain('--in-cluster');
  }, 30_000);

  it('a component that does not run: flyte.deployments.ready says so; this check waits for it (blocked)', async () => {
    const x = target([core({ datacatalog: { enabled: false } })], NS_ME, 'flyte-core'); // flytepropeller etc. have no Deployment here
    const r = await run(ID, x, 'verify');
    expect(r).toMatchObject({ status: 'skip', blockedBy: 'flyte.deployments.ready' });
  });

  it('no ready endpoint, no http-metrics port', async () => {
    await put(`/apis/discovery.k8s.io/v1/namespaces/${NS_ME}/endpointslices`, slice('flyteadmin', ip, false));
    expect(await run(ID, t(true), 'verify')).toMatchObject({ status: 'fail', messageId: 'noEndpoints', cause: cause.backend('flyteadmin') });
    await put(`/api/v1/namespaces/${NS_ME}/services`, adminService(NS_ME, [{ name: 'http', port: 80, targetPort: 8088 }]));
    expect(await run(ID, t(true), 'verify')).toMatchObject({ status: 'fail', messageId: 'noMetricsPort', cause: cause.object('service', NS_ME, 'flyteadmin') });
  });
});
