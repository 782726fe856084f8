// ingress.annotations.grpc judges the gRPC settings of the controller the cluster's IngressClass
// names (spec.controller), not the one its name suggests: a class "public" served by ingress-nginx
// (MicroK8s names it so) was "unknown controller", and a class "nginx" served by F5's NGINX
// controller (nginx.org) was asked for ingress-nginx's backend-protocol annotation, which F5 ignores.
// Real IngressClasses on the test bed's kube-apiserver; without a cluster the name guess stays.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTarget } from '../../../src/config/load.js';
import type { Target } from '../../../src/config/target.js';
import { runCheck } from '../../harness/run-check.js';
import { getTestbed } from '../../harness/testbed.js';
import { kubeCall } from '../../infra/kube.js';

const tb = () => getTestbed();
const admin = () => ({ server: tb().kube.server, caFile: tb().kube.caFile });
const dir = mkdtempSync(join(tmpdir(), 'fd-annot-ctl-'));
mkdirSync(join(dir, 'home'));
let n = 0;
const target = (values: unknown, withCluster = true): Target => {
  const f = `values-${n++}.yaml`;
  writeFileSync(join(dir, f), stringify(values));
  return loadTarget({ values: [f], set: [], env: {}, cwd: dir, home: join(dir, 'home'), ...(withCluster ? { kubeconfig: tb().kube.kubeconfig, context: 'admin' } : {}), namespace: 'flyte' });
};
const ING = (cls: string, grpcAnnotations: Record<string, string>) => ({ configuration: { database: { host: 'db.fdref.test' } }, ingress: { create: true, host: 'flyte.test', ingressClassName: cls, separateGrpcIngress: true, tls: [{ hosts: ['flyte.test'], secretName: 'flyte-tls' }], grpcAnnotations } });
const CLASSES = { 'fd-annot-public': 'k8s.io/ingress-nginx', 'fd-annot-nginx': 'nginx.org/ingress-controller' } as const;
const del = (name: string) => kubeCall(admin(), tb().kube.tokens.admin, 'DELETE', `/apis/networking.k8s.io/v1/ingressclasses/${name}`, undefined, undefined, (s) => s < 300 || s === 404);

beforeAll(async () => {
  for (const [name, controller] of Object.entries(CLASSES)) {
    await del(name);
    await kubeCall(admin(), tb().kube.tokens.admin, 'POST', '/apis/networking.k8s.io/v1/ingressclasses', { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name }, spec: { controller } });
  }
});
afterAll(async () => { for (const name of Object.keys(CLASSES)) await del(name); });

const run = async (t: Target) => (await runCheck('ingress.annotations.grpc', t, { phase: 'preflight' })).result;

describe('ingress.annotations.grpc: the controller from the IngressClass', () => {
  it('a class "public" served by ingress-nginx: judged as ingress-nginx (fail without backend-protocol), not an unknown controller', async () => {
    const r = await run(target(ING('fd-annot-public', {})));
    expect(r).toMatchObject({ status: 'fail', messageId: 'nginxGrpc' });
    expect(r.hint).toContain('nginx.ingress.kubernetes.io/backend-protocol: GRPC in ingress.grpcAnnotations');
    expect(r.details?.controllerFrom).toBe('IngressClass fd-annot-public spec.controller k8s.io/ingress-nginx');
    expect((await run(target(ING('fd-annot-public', { 'nginx.ingress.kubernetes.io/backend-protocol': 'GRPC' })))).status).toBe('pass');
  });
  it('a class with "nginx" in its name served by F5 NGINX: asks for nginx.org/grpc-services and says backend-protocol is ignored there', async () => {
    const r = await run(target(ING('fd-annot-nginx', { 'nginx.ingress.kubernetes.io/backend-protocol': 'GRPC' })));
    expect(r).toMatchObject({ status: 'fail', messageId: 'f5Grpc' });
    expect(r.message).toContain('this controller ignores it');
    expect(r.hint).toContain('nginx.org/grpc-services');
    expect((await run(target(ING('fd-annot-nginx', { 'nginx.org/grpc-services': 'flyte-backend-flyte-binary-grpc' })))).status).toBe('pass');
  });
  it('no cluster to ask: the class name is the guess, and says so', async () => {
    const r = await run(target(ING('fd-annot-public', {}), false));
    expect(r).toMatchObject({ status: 'skip', messageId: 'unknownController' });
    expect(r.details?.controllerFrom).toBe('the class name');
  });
});
