// kubernetes.namespace.exists on the test bed's real kube-apiserver: a release namespace that enforces the
// Pod Security "restricted" level rejects the chart's pods (their defaults are not restricted-compliant),
// which helm install does not report. Preflight must warn, naming the label and the values keys to set,
// not pass. A namespace hx-r-psa-<random> is created for the test and deleted after it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../../src/config/target.js';
import { kubeRequest } from '../../infra/kube.js';
import { runCheck } from '../../harness/run-check.js';
import { makeTarget } from '../../harness/target.js';
import { getTestbed } from '../../harness/testbed.js';

const tb = () => getTestbed();
const NS = `hx-r-psa-${Math.random().toString(36).slice(2, 8)}`;
const target = (namespace: string): Target =>
  makeTarget({ kubernetes: { kubeconfigPath: tb().kube.kubeconfig, context: 'admin', namespace, release: 'flyte' } } as never);
const kube = () => ({ server: tb().kube.server, caFile: tb().kube.caFile });

beforeAll(async () => {
  const r = await kubeRequest(kube(), tb().kube.tokens.admin, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.33' } } });
  if (r.status !== 201) throw new Error(`create ${NS}: HTTP ${r.status}`);
});
// The bed runs no namespace controller: a deleted namespace stays Terminating until its finalizer is
// removed, so the cleanup finalizes it (deleted for good).
afterAll(async () => {
  await kubeRequest(kube(), tb().kube.tokens.admin, 'DELETE', `/api/v1/namespaces/${NS}`);
  await kubeRequest(kube(), tb().kube.tokens.admin, 'PUT', `/api/v1/namespaces/${NS}/finalize`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS }, spec: { finalizers: [] } });
});

describe('kubernetes.namespace.exists: Pod Security "restricted" on the release namespace', () => {
  it('warns podSecurityRestricted naming the label, the version and the values keys', async () => {
    const { result } = await runCheck('kubernetes.namespace.exists', target(NS), { phase: 'preflight' });
    expect(result, result.message).toMatchObject({ status: 'warn', messageId: 'podSecurityRestricted' });
    expect(result.message).toContain('pod-security.kubernetes.io/enforce=restricted, version v1.33');
    expect(result.hint).toContain('deployment.podSecurityContext');
    expect(result.hint).toContain(`label namespace ${NS} pod-security.kubernetes.io/enforce=baseline --overwrite`);
  });
  it('the bed namespace without Pod Security labels still passes', async () => {
    const { result } = await runCheck('kubernetes.namespace.exists', target('flyte'), { phase: 'preflight' });
    expect(result, result.message).toMatchObject({ status: 'pass', messageId: 'exists' });
  });
});
