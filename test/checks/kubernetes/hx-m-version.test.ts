// kubernetes.version.supported against an API server of our own (127.0.0.1) whose /version answers
// what managed clusters and source builds answer: a version that is not Kubernetes 1.x is said as
// "unrecognised" (warn), never judged "below 1.19" (fail) nor an `error`.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../harness/api-server.js';
import { runCheck } from '../../harness/run-check.js';
import { makeTarget } from '../../harness/target.js';

let server: ApiServer;
let version: unknown = {};
let kubeconfig: string;

beforeAll(async () => {
  server = await startApiServer(mkdtempSync(join(tmpdir(), 'hx-m-kv-')), { token: 'hx-m-secret-token-9876', route: (path) => (path === '/version' ? { status: 200, body: version } : undefined) });
  kubeconfig = server.kubeconfig;
});
afterAll(async () => { await server.stop(); });

const target = () => makeTarget({ kubernetes: { kubeconfigPath: kubeconfig, namespace: 'flyte', release: 'flyte' } } as never);

describe('kubernetes.version.supported: version strings', () => {
  it('a source build (v0.0.0-master+$Format:%H$, major/minor empty) is unrecognised, not "below 1.19"', async () => {
    version = { major: '', minor: '', gitVersion: 'v0.0.0-master+$Format:%H$', gitCommit: '$Format:%H$', platform: 'linux/amd64' };
    const { result } = await runCheck('kubernetes.version.supported', target());
    expect(result).toMatchObject({ status: 'warn', messageId: 'unrecognised' });
    expect(result.message).toMatch(/^unrecognised: GET \/version answered .*v0\.0\.0-master/);
    expect(result.message).not.toMatch(/below 1\.19/);
    expect(result.hint).toMatch(/version/);
  });

  it('a version 2.x (not Kubernetes 1.x) is unrecognised, not passed as "newer than known"', async () => {
    version = { major: '2', minor: '1', gitVersion: 'v2.1.0' };
    const r = (await runCheck('kubernetes.version.supported', target())).result;
    expect(r).toMatchObject({ status: 'warn', messageId: 'unrecognised' });
    expect(r.message).toContain('v2.1.0');
  });

  it('managed-cluster strings are parsed (EKS, GKE with minor "30+", k3s)', async () => {
    for (const [v, minor] of [[{ major: '1', minor: '29+', gitVersion: 'v1.29.4-eks-036c24b' }, 29], [{ major: '1', minor: '30+', gitVersion: 'v1.30.2-gke.1587003' }, 30], [{ major: '1', minor: '28', gitVersion: 'v1.28.5+k3s1' }, 28]] as const) {
      version = v;
      const r = (await runCheck('kubernetes.version.supported', target())).result;
      expect(['outOfUpstreamSupport', 'supported'], r.message).toContain(r.messageId);
      expect((r.details as { minor: number }).minor).toBe(minor);
      expect(r.message).toContain(v.gitVersion);
    }
  });
});
