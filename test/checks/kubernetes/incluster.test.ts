// kubernetes.incluster.rbac against the test bed's kube-apiserver (real SelfSubjectAccessReviews),
// and kubernetes.incluster.pod's own answer without --in-cluster. The launcher's outcomes of
// 'kubernetes.incluster.pod' (ran, imagePull, reportWriteDenied, timeout, interrupted, ...) are driven
// end to end in test/incluster/launcher.test.ts (fake kubelet + the real API server).
import { describe, expect, it } from 'vitest';
import { getTestbed } from '../../harness/testbed.js';
import { makeTarget } from '../../harness/target.js';
import { runCheck } from '../../harness/run-check.js';

const bed = getTestbed();
const target = (context: string, launch = true) => makeTarget({
  kubernetes: { namespace: 'flyte', release: 'flyte-backend', kubeconfigPath: bed.kube.kubeconfig, kubeconfigFiles: [bed.kube.kubeconfig], context },
  ...(launch ? { inClusterLaunch: { namespace: 'flyte', serviceAccount: 'flyte-backend-flyte-binary', image: 'flyte-doctor:test' } } : {}),
});

describe('kubernetes.incluster.rbac', () => {
  it('the restricted identity (view in flyte): fail naming every missing verb and resource, and the rolebinding to create', async () => {
    const { result: r } = await runCheck('kubernetes.incluster.rbac', target('restricted'));
    expect(r.status).toBe('fail');
    expect(r.messageId).toBe('missingPermissions');
    expect(r.message).toContain('user "restricted" lacks');
    expect(r.message).toMatch(/create,delete jobs\.batch/);
    expect(r.message).toMatch(/create,delete,update,patch configmaps/);
    expect(r.message).toMatch(/; delete pods$/);
    expect(r.message).toMatch(/create,delete secrets/);
    expect(r.message).toMatch(/create,delete roles\.rbac\.authorization\.k8s\.io/);
    expect(r.message).toMatch(/create,delete rolebindings\.rbac\.authorization\.k8s\.io/);
    // view may get and list pods: those are not missing.
    expect(r.message).not.toMatch(/list[^;]*pods/);
    expect(r.hint).toContain('create rolebinding flyte-doctor-launcher --clusterrole=admin --user=restricted');
    expect(r.cause).toBe('denied:kubernetes:restricted:in-cluster run');
  }, 30_000);

  it('the admin: pass', async () => {
    const { result: r } = await runCheck('kubernetes.incluster.rbac', target('admin'));
    expect(r.status).toBe('pass');
    expect(r.messageId).toBe('allowed');
  }, 30_000);

  it('without --in-cluster: skipped with the reason', async () => {
    const { result: r } = await runCheck('kubernetes.incluster.rbac', target('admin', false));
    expect(r.status).toBe('skip');
    expect(r.messageId).toBe('notRequested');
  }, 30_000);
});

describe('kubernetes.incluster.pod', () => {
  it('without --in-cluster: skipped with the reason', async () => {
    const { result: r } = await runCheck('kubernetes.incluster.pod', target('admin', false));
    expect(r.status).toBe('skip');
    expect(r.messageId).toBe('notRequested');
  });
});
