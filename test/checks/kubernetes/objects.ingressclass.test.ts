// kubernetes.objects.ingressclass against the test bed's kube-apiserver (its `nginx` IngressClass is
// what an ingress-nginx install creates), with targets from the real loader. IngressClasses this file
// creates are named fd-ref-* and deleted after; the one marked default exists only inside its test.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTarget } from '../../../src/config/load.js';
import type { Target } from '../../../src/config/target.js';
import { cause } from '../../../src/engine/causes.js';
import type { CheckResult } from '../../../src/engine/types.js';
import { runCheck } from '../../harness/run-check.js';
import { getTestbed } from '../../harness/testbed.js';
import { createIfMissing, kubeCall } from '../../infra/kube.js';

const ID = 'kubernetes.objects.ingressclass';
const tb = () => getTestbed();
const admin = () => ({ server: tb().kube.server, caFile: tb().kube.caFile });
const dir = mkdtempSync(join(tmpdir(), 'fd-ref-ic-'));
mkdirSync(join(dir, 'home'));
let n = 0;
const file = (values: unknown): string => { const f = `values-${n++}.yaml`; writeFileSync(join(dir, f), stringify(values)); return f; };
const flytectl = (endpoint: string): string => { const f = `flytectl-${n++}.yaml`; writeFileSync(join(dir, f), stringify({ admin: { endpoint, insecure: false } })); return join(dir, f); };
const target = (o: { values: unknown[]; context?: string; endpoint?: string }): Target => loadTarget({
  values: o.values.map(file), set: [], env: {}, cwd: dir, home: join(dir, 'home'), ...(o.endpoint ? { flytectlConfig: flytectl(o.endpoint) } : {}),
  kubeconfig: tb().kube.kubeconfig, context: o.context ?? 'admin', namespace: 'flyte',
});
const run = async (t: Target): Promise<CheckResult> => (await runCheck(ID, t)).result;
const DB = { configuration: { database: { host: 'db.fdref.test' } } };
const binary = (ingress: Record<string, unknown>) => ({ ...DB, ingress: { create: true, host: 'flyte.test', ...ingress } });
const CLASSES = '/apis/networking.k8s.io/v1/ingressclasses';
const mkClass = (name: string, controller: string, isDefault = false) => createIfMissing(admin(), tb().kube.tokens.admin, CLASSES, {
  apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name, ...(isDefault ? { annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } } : {}) }, spec: { controller } });
const rmClass = (name: string) => kubeCall(admin(), tb().kube.tokens.admin, 'DELETE', `${CLASSES}/${name}`, undefined, undefined, (s) => s < 300 || s === 404);

beforeAll(async () => { await mkClass('fd-ref-f5', 'nginx.org/ingress-controller'); await mkClass('fd-ref-alb', 'ingress.k8s.aws/alb'); }, 30_000);
afterAll(async () => { for (const c of ['fd-ref-f5', 'fd-ref-alb', 'fd-ref-default', 'fd-ref-default2']) await rmClass(c); }, 30_000);

describe('the IngressClass the values name', () => {
  it('the test bed\'s values (nginx): pass, naming the controller', async () => {
    const r = await run(target({ values: [binary({ ingressClassName: 'nginx', grpcAnnotations: { 'nginx.ingress.kubernetes.io/backend-protocol': 'GRPC' } })] }));
    expect(r).toMatchObject({ status: 'pass', messageId: 'exists', message: 'IngressClass nginx exists: controller k8s.io/ingress-nginx, ingress-nginx (Kubernetes community)' });
  });

  it('a class that does not exist: fail, the classes that exist, the key to set', async () => {
    const r = await run(target({ values: [binary({ ingressClassName: 'fd-ref-nope' })] }));
    expect(r).toMatchObject({ status: 'fail', messageId: 'missing', cause: cause.object('ingressclass', undefined, 'fd-ref-nope') });
    expect(r.message).toMatch(/^IngressClass fd-ref-nope does not exist \(class of Ingress flyte-backend-flyte-binary-http; class of Ingress flyte-backend-flyte-binary-grpc, values-\d+\.yaml: ingress\.ingressClassName\): no controller will serve the Ingress; the classes that exist: /);
    expect(r.message).toContain('nginx (k8s.io/ingress-nginx)');
    expect(r.hint).toMatch(/^set `ingress\.ingressClassName` to .*nginx/);
  });

  // helm writes the value as is into spec.ingressClassName; the API server refuses a name that is not a
  // DNS subdomain. Trimmed by the reader, `nginx\n` used to find `nginx` and pass.
  it('a class name with a trailing newline (a block scalar) or capitals: fail before any lookup, not a pass on the trimmed name', async () => {
    const nl = await run(target({ values: [binary({ ingressClassName: 'nginx\n' })] }));
    expect(nl).toMatchObject({ status: 'fail', messageId: 'invalidName', cause: cause.config('ingress.ingressClassName') });
    expect(nl.message).toMatch(/^the IngressClass name "nginx\\n" \(values-\d+\.yaml: ingress\.ingressClassName\) ends with a newline: the API server refuses the Ingress/);
    expect(nl.hint).toBe('set `ingress.ingressClassName` to nginx, with nothing around it');
    const caps = await run(target({ values: [binary({ ingressClassName: 'Nginx' })] }));
    expect(caps).toMatchObject({ status: 'fail', messageId: 'invalidName' });
    expect(caps.hint).toBe('set `ingress.ingressClassName` to nginx');
  });

  it('httpIngressClassName wins over ingressClassName for the HTTP Ingress: each class is checked', async () => {
    const r = await run(target({ values: [binary({ ingressClassName: 'nginx', httpIngressClassName: 'fd-ref-nope-http' })] }));
    expect(r).toMatchObject({ status: 'fail', messageId: 'missing' });
    expect(r.message).toContain('IngressClass fd-ref-nope-http does not exist (class of Ingress flyte-backend-flyte-binary-http');
    expect(r.hint).toContain('`ingress.httpIngressClassName`');
  });

  it('ingress-nginx annotations on an F5 NGINX class: warn, that controller ignores them (gRPC), its own annotation named', async () => {
    const r = await run(target({ values: [binary({ ingressClassName: 'fd-ref-f5', grpcAnnotations: { 'nginx.ingress.kubernetes.io/backend-protocol': 'GRPC' } })] }));
    expect(r).toMatchObject({ status: 'warn', messageId: 'foreignAnnotations', cause: cause.config('ingress.ingressClassName') });
    expect(r.message).toBe('IngressClass fd-ref-f5 belongs to NGINX Ingress Controller (F5 NGINX) (nginx.org/ingress-controller), but the Ingress annotations nginx.ingress.kubernetes.io/backend-protocol are for ingress-nginx (Kubernetes community): NGINX Ingress Controller (F5 NGINX) ignores them, so the gRPC routes lose their backend protocol');
    expect(r.hint).toContain('nginx.org/grpc-services');
  });

  it('flyte-core: a class named only by the deprecated annotation, with no IngressClass object: warn (a controller may match it by flag)', async () => {
    const r = await run(target({ values: [{ db: { admin: { database: { host: 'db.fdref.test' } } }, common: { ingress: { host: 'flyte.test', annotations: { 'kubernetes.io/ingress.class': 'fd-ref-legacy' } } } }] }));
    expect(r).toMatchObject({ status: 'warn', messageId: 'annotationClassMissing', cause: cause.object('ingressclass', undefined, 'fd-ref-legacy') });
    expect(r.hint).toContain('`common.ingress.ingressClassName`');
  });

  it('flyte-core with the ALB annotation and an ALB class: pass, the annotations fit the controller', async () => {
    const r = await run(target({ values: [{ db: { admin: { database: { host: 'db.fdref.test' } } }, common: { ingress: { host: 'flyte.test', ingressClassName: 'fd-ref-alb', annotations: { 'alb.ingress.kubernetes.io/scheme': 'internet-facing' } } } }] }));
    expect(r).toMatchObject({ status: 'pass', messageId: 'exists', message: 'IngressClass fd-ref-alb exists: controller ingress.k8s.aws/alb, AWS Load Balancer Controller' });
  });

  it('flyte-core, ALB class, separate gRPC Ingress: the chart\'s nginx gRPC annotation is lost on ALB (warn) unless the ALB one is set too', async () => {
    const core = (grpc: Record<string, string>) => ({ db: { admin: { database: { host: 'db.fdref.test' } } }, common: { ingress: { host: 'flyte.test', ingressClassName: 'fd-ref-alb', separateGrpcIngress: true, separateGrpcIngressAnnotations: grpc } } });
    const lost = await run(target({ values: [core({})] }));
    expect(lost).toMatchObject({ status: 'warn', messageId: 'foreignAnnotations' });
    expect(lost.message).toContain('nginx.ingress.kubernetes.io/backend-protocol are for ingress-nginx (Kubernetes community): AWS Load Balancer Controller ignores them, so the gRPC routes lose their backend protocol');
    expect(lost.hint).toContain('alb.ingress.kubernetes.io/backend-protocol-version: GRPC');
    expect(await run(target({ values: [core({ 'alb.ingress.kubernetes.io/backend-protocol-version': 'GRPC' })] }))).toMatchObject({ status: 'pass', messageId: 'exists' });
  });

  it('the restricted identity may not read IngressClasses: warn naming the verb and resource', async () => {
    const r = await run(target({ values: [binary({ ingressClassName: 'nginx' })], context: 'restricted' }));
    expect(r).toMatchObject({ status: 'warn', messageId: 'cannotRead' });
    expect(r.message).toBe('IngressClass nginx: user "restricted" may not get ingressclasses.networking.k8s.io (403), so it cannot be checked with these credentials');
  });
});

describe.sequential('no class named: the default IngressClass', () => {
  it('none default: warn naming the classes and the key; one default: pass; two defaults: warn', async () => {
    const t = target({ values: [binary({})] });
    const none = await run(t);
    expect(none).toMatchObject({ status: 'warn', messageId: 'noDefault', cause: cause.config('ingress.ingressClassName') });
    expect(none.message).toContain('no IngressClass named (class of Ingress flyte-backend-flyte-binary-http; class of Ingress flyte-backend-flyte-binary-grpc) and none is marked default');
    expect(none.hint).toContain('set `ingress.ingressClassName` to');
    try {
      await mkClass('fd-ref-default', 'k8s.io/ingress-nginx', true);
      expect(await run(t)).toMatchObject({ status: 'pass', messageId: 'defaultClass', message: 'no IngressClass named (class of Ingress flyte-backend-flyte-binary-http; class of Ingress flyte-backend-flyte-binary-grpc): the cluster\'s default IngressClass fd-ref-default (k8s.io/ingress-nginx) applies' });
      await mkClass('fd-ref-default2', 'k8s.io/ingress-nginx', true);
      expect(await run(t)).toMatchObject({ status: 'warn', messageId: 'severalDefaults' });
    } finally { await rmClass('fd-ref-default'); await rmClass('fd-ref-default2'); }
  });
});

describe('no Ingress will be created: what exposes flyteadmin at the client endpoint', () => {
  const noIngress = { ...DB, ingress: { create: false } };

  it('an external host nothing routes: warn before install, with the key to turn the Ingress on', async () => {
    const r = await run(target({ values: [noIngress], endpoint: 'dns:///admin.fdref.test' }));
    expect(r).toMatchObject({ status: 'warn', messageId: 'notExposed', cause: cause.config('ingress.create') });
    expect(r.message).toMatch(/^no Ingress will be created \(ingress\.create: false, values-\d+\.yaml: ingress\.create\) and nothing found exposes flyteadmin at admin\.fdref\.test:443, the endpoint the client dials/);
    expect(r.hint).toContain('set `ingress.create: true` with the host (`ingress.host: admin.fdref.test`)');
    expect(r.hint).toContain('`service.type: LoadBalancer`');
  });

  it('an Ingress outside the chart already routes the host (the test bed\'s flyte.test): pass, naming it', async () => {
    const r = await run(target({ values: [noIngress], endpoint: `dns:///flyte.test:${tb().nginx.https}` }));
    expect(r).toMatchObject({ status: 'pass', messageId: 'exposedOtherwise' });
    expect(r.message).toContain('Ingress flyte/flyte-flyte-binary-http');
  });

  it('a LoadBalancer Service in the values, a cluster-internal endpoint, a port-forward: pass', async () => {
    const lb = await run(target({ values: [{ ...noIngress, service: { type: 'LoadBalancer' } }], endpoint: 'dns:///admin.fdref.test' }));
    expect(lb).toMatchObject({ status: 'pass', messageId: 'exposedOtherwise' });
    expect(lb.message).toContain('Service flyte-backend-flyte-binary-http of type LoadBalancer');
    expect(await run(target({ values: [noIngress], endpoint: 'dns:///flyte-backend-flyte-binary-grpc.flyte.svc.cluster.local:8089' }))).toMatchObject({ status: 'pass', messageId: 'exposedOtherwise' });
    expect(await run(target({ values: [noIngress], endpoint: 'dns:///localhost:8089' }))).toMatchObject({ status: 'pass', messageId: 'exposedOtherwise' });
  });

  it('no client endpoint: skip with the reason', async () => {
    const r = await run(target({ values: [noIngress] }));
    expect(r).toMatchObject({ status: 'skip', messageId: 'noIngress' });
    expect(r.message).toContain('no client endpoint is given');
  });
});
