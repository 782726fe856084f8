// flyte.admin.grpc / flyte.admin.http in verify, on the REAL bed flyteadmin (through the real ingress) and the
// REAL kube-apiserver: the endpoint answers a release version that is not the one the release's flyteadmin
// Deployment runs (another, older install behind the same ingress or DNS name, another cluster, a rollout in
// progress). Before, both passed as "flyteadmin vX"; now a warning names both versions, the Deployment and
// what to compare. A tag that is no release version (latest, a sha, a digest) is not compared (the shared bed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../../src/config/target.js';
import { imageTag, releaseVersion } from '../../../src/flyte/admin-version.js';
import { installFlyte, removeInstall, type Install, type InstallOptions } from '../../infra/flyte-install.js';
import { kubeCall } from '../../infra/kube.js';
import { getTestbed } from '../../harness/testbed.js';
import { bed, bedTarget, brief, run } from '../client/bed.js';
import { warmUp } from '../ingress/private-bed.js';

const tb = () => getTestbed();
const o: InstallOptions = { namespace: 'hx-j-ver', release: 'hxjv' };
let inst: Install;
const kube = () => ({ server: tb().kube.server, caFile: tb().kube.caFile });
const k8s = () => ({ chart: 'flyte-binary', kubernetes: { kubeconfigPath: tb().kube.kubeconfig, context: 'admin', namespace: o.namespace!, release: o.release! } });
const grpcT = (): Target => bedTarget(bed().nginx.https, {}, k8s() as never);
async function setImage(image: string): Promise<void> {
  const path = `/apis/apps/v1/namespaces/${o.namespace}/deployments/${inst.fullname}`;
  const d = await kubeCall<{ spec: { template: { spec: { containers: { image: string }[] } } } }>(kube(), tb().kube.tokens.admin, 'GET', path);
  for (const c of d.spec.template.spec.containers) c.image = image;
  await kubeCall(kube(), tb().kube.tokens.admin, 'PUT', path, d);
}

describe('release versions and image tags', () => {
  it('vX.Y.Z with or without v and suffix; latest, shas and digests are none', () => {
    expect(releaseVersion('v1.16.8')).toBe('1.16.8');
    expect(releaseVersion('1.16.8-b2')).toBe('1.16.8');
    expect(releaseVersion('latest')).toBeUndefined();
    expect(releaseVersion('f0e2c7d3a')).toBeUndefined();
    expect(imageTag('cr.flyte.org/flyteorg/flyte-binary-release:v1.9.0')).toBe('v1.9.0');
    expect(imageTag('localhost:5000/flyte-binary')).toBeUndefined();
    expect(imageTag('cr.flyte.org/flyteorg/flyte-binary@sha256:abcd')).toBeUndefined();
  });
});

describe.sequential('hx-j: the version the endpoint reports against the release\'s Deployment', () => {
  beforeAll(async () => {
    await warmUp();
    await removeInstall(tb(), 'flyte-binary', o);
    inst = await installFlyte(tb(), 'flyte-binary', o);
  }, 90_000);
  afterAll(async () => { await removeInstall(tb(), 'flyte-binary', o); }, 60_000);

  it('the Deployment runs another release (v1.9.0) than the endpoint reports: warn otherVersion naming both, over gRPC and HTTP', async () => {
    await setImage('cr.flyte.org/flyteorg/flyte-binary-release:v1.9.0');
    const { result } = await run('flyte.admin.grpc', grpcT());
    expect(result, brief(result)).toMatchObject({ status: 'warn', messageId: 'otherVersion' });
    expect(result.message).toContain(`reports ${bed().admin.version}, but Deployment ${o.namespace}/${inst.fullname} of release ${o.release} runs cr.flyte.org/flyteorg/flyte-binary-release:v1.9.0 (v1.9.0)`);
    expect(result.hint).toContain(`rollout status deploy/${inst.fullname}`);
    expect(result.details?.version).toBe(bed().admin.version);
    const http = (await run('flyte.admin.http', grpcT())).result;
    expect(http, brief(http)).toMatchObject({ status: 'warn', messageId: 'otherVersion' });
  }, 60_000);

  it('the same release: pass; a tag that is no release version (latest): pass, not compared', async () => {
    await setImage(`cr.flyte.org/flyteorg/flyte-binary-release:${bed().admin.version}`);
    expect((await run('flyte.admin.grpc', grpcT())).result).toMatchObject({ status: 'pass', messageId: 'answers' });
    await setImage('cr.flyte.org/flyteorg/flyte-binary:latest');
    expect((await run('flyte.admin.grpc', grpcT())).result).toMatchObject({ status: 'pass', messageId: 'answers' });
  }, 60_000);

  it('no Deployment in the namespace (the API answers 404): pass, the endpoint alone decides', async () => {
    const t = bedTarget(bed().nginx.https, {}, { ...k8s(), kubernetes: { ...k8s().kubernetes, namespace: 'hx-j-none' } } as never);
    expect((await run('flyte.admin.grpc', t)).result).toMatchObject({ status: 'pass', messageId: 'answers' });
  }, 60_000);
});
