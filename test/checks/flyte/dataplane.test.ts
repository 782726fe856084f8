// Multi-cluster flyte-core against two real API servers: the shared bed is the control plane (the
// credentials Secret lives in namespace fd-dataplane there), and a second kube-apiserver started by
// this file (test/infra/dataplane.ts, port 27443) is the data plane, with flyte-core installed and
// flyteadmin's ServiceAccount token. Each case writes the control plane's values (clusterConfigs
// pointing at keys of the Secret) and runs the real loader and checks.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadTarget } from '../../../src/config/load.js';
import type { Target } from '../../../src/config/target.js';
import type { CheckResult } from '../../../src/engine/types.js';
import { runCheck } from '../../harness/run-check.js';
import { getTestbed, type Testbed } from '../../harness/testbed.js';
import { DP_DEAD_PORT, DP_NS, pem, putSecret, startDataPlane, writeKubeconfig, type DataPlaneBed } from '../../infra/dataplane.js';
import { startKubeEcho } from '../../infra/echo-servers.js';
import { kubeCall } from '../../infra/kube.js';
import { installFlyte, makeReady, makeUnready, removeCrd, removeNamespace } from '../../infra/flyte-install.js';

let cp: Testbed;
let dp: DataPlaneBed;
let kubeconfig: string;
const dir = mkdtempSync(join(tmpdir(), 'fd-dp-test-'));
const SECRET = 'cluster-credentials';

beforeAll(async () => {
  cp = getTestbed();
  dp = await startDataPlane();
  kubeconfig = writeKubeconfig(dir, cp, dp);
  const tok = dp.flyteadminToken;
  await putSecret(cp, DP_NS, SECRET, {
    dp1_token: tok, dp1_cacert: pem(dp.caFile),
    bad_token: 'eyJhbGciOiJSUzI1NiJ9.not-a-token-of-this-cluster.c2lnbmF0dXJl',
    norights_token: dp.kube.tokens.restricted,
    wrongca_cacert: pem(cp.kube.caFile),
    twice_token: Buffer.from(tok).toString('base64'),
    expired_token: [{ alg: 'RS256' }, { sub: `system:serviceaccount:${DP_NS}:flyteadmin`, iss: dp.kube.server, exp: Math.floor(Date.now() / 1000) - 3600 }, 'c2ln']
      .map((x) => (typeof x === 'string' ? x : Buffer.from(JSON.stringify(x)).toString('base64url'))).join('.'),
  });
}, 180_000);

afterAll(async () => {
  await dp?.stop();
  if (cp) await removeNamespace(cp, DP_NS).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true }); // values and a kubeconfig holding tokens
});

interface Case { token?: string; ca?: string; endpoint?: string; context?: string; flags?: string[]; projects?: string[]; secretName?: string }
let n = 0;
function target(c: Case = {}): Target {
  const f = join(dir, `values-${n++}.yaml`);
  writeFileSync(f, stringify({
    flytepropeller: { enabled: false },
    flyteadmin: {
      initialProjects: c.projects ?? ['flytesnacks'],
      additionalVolumes: [{ name: 'cluster-credentials', secret: { secretName: c.secretName ?? SECRET } }],
      additionalVolumeMounts: [{ name: 'cluster-credentials', mountPath: '/var/run/credentials' }],
      initContainerClusterSyncAdditionalVolumeMounts: [{ name: 'cluster-credentials', mountPath: '/var/run/credentials' }],
    },
    configmap: { clusters: {
      labelClusterMap: { team1: [{ id: 'dp1', weight: 1 }] },
      clusterConfigs: [{ name: 'dp1', endpoint: c.endpoint ?? dp.kube.server, enabled: true,
        auth: { type: 'file_path', tokenPath: `/var/run/credentials/${c.token ?? 'dp1_token'}`, certPath: `/var/run/credentials/${c.ca ?? 'dp1_cacert'}` } }],
    } },
  }));
  return loadTarget({ values: [f], set: [], kubeconfig, context: c.context ?? 'cp-admin', namespace: DP_NS, env: {}, cwd: dir, home: join(dir, 'home'), ...(c.flags ? { dataPlanes: c.flags } : {}) });
}

const brief = (r: CheckResult) => `${r.status} ${r.messageId}: ${r.message} | ${r.hint ?? ''}`;
async function api(c: Case = {}, phase: 'preflight' | 'verify' = 'preflight') { return (await runCheck('flyte.dataplane.api', target(c), { instance: 'dp1', phase, timeoutMs: 15_000 })).result; }
async function components(c: Case = {}) { return (await runCheck('flyte.dataplane.components', target(c), { instance: 'dp1', phase: 'verify', timeoutMs: 20_000 })).result; }
const dpKey = () => `127.0.0.1:${new URL(dp.kube.server).port}`;

describe('flyte.dataplane.api (two real API servers)', () => {
  it('healthy: the data plane answers flyteadmin\'s token and CA read from the Secret, and the token may create FlyteWorkflows and namespaces', async () => {
    const r = await api();
    expect(r.status, brief(r)).toBe('pass');
    expect(r.messageId).toBe('reachable');
    expect(r.instance).toBe('dp1');
    expect(r.details).toMatchObject({ via: 'secret', secret: `${DP_NS}/${SECRET}`, tokenKey: 'dp1_token', version: 'v1.33.13' });
    expect(r.message).toContain(`flyteadmin (token of Secret ${DP_NS}/${SECRET}, key dp1_token: system:serviceaccount:${DP_NS}:flyteadmin)`);
    expect(JSON.stringify(r)).not.toContain(dp.flyteadminToken);
  });

  it('also in verify, with the config check as its dependency', async () => {
    const { result, results } = await runCheck('flyte.dataplane.api', target(), { instance: 'dp1', phase: 'verify' });
    expect(result.status, brief(result)).toBe('pass');
    expect(results.find((x) => x.id === 'flyte.dataplane.config' && x.instance === 'dp1')?.status).toBe('pass');
  });

  it('the Secret may not be read (restricted identity) and no context: cannot be checked from here, with the flag to pass', async () => {
    const r = await api({ context: 'cp-restricted' });
    expect(r.status, brief(r)).toBe('warn');
    expect(r.messageId).toBe('secretUnreadable');
    expect(r.message).toContain('cannot be checked from this machine');
    expect(r.hint).toContain('--data-plane dp1=<context>');
  });

  it('the Secret may not be read, a --data-plane context is given: checked through it, saying whose identity answered', async () => {
    const r = await api({ context: 'cp-restricted', flags: ['dp1=dp-admin'] });
    expect(r.status, brief(r)).toBe('pass');
    expect(r.messageId).toBe('reachableViaContext');
    expect(r.message).toContain('your context dp-admin');
    expect(r.message).toContain('may not be read from here (403)');
  });

  it('a --data-plane context of another cluster (the control plane\'s) is named as such', async () => {
    const r = await api({ context: 'cp-restricted', flags: ['dp1=cp-admin'] });
    expect(r.status, brief(r)).toBe('pass');
    expect(r.message).toContain(`context cp-admin talks to ${cp.kube.server}, not to the configured endpoint ${dp.kube.server}`);
  });

  it('data plane down (dead port): unreachable, keyed by host:port', async () => {
    const r = await api({ endpoint: `https://127.0.0.1:${DP_DEAD_PORT}` });
    expect(r.status, brief(r)).toBe('fail');
    expect(r.messageId).toBe('unreachable');
    expect(r.cause).toBe(`unreachable:127.0.0.1:${DP_DEAD_PORT}`);
    expect(r.hint).toContain('clusterConfigs[0].endpoint');
  });

  it('a cluster-internal endpoint that does not resolve here: notFromHere (warn: flyteadmin\'s pods may reach it), not a confident fail', async () => {
    const t = target({ endpoint: 'https://dp-api.flyte-dp.svc.cluster.local:6443' });
    t.dnsServer = getTestbed().dns.server; // the bed's resolver refuses every name outside *.test
    const r = (await runCheck('flyte.dataplane.api', t, { instance: 'dp1', phase: 'preflight', timeoutMs: 15_000 })).result;
    expect(r.status, brief(r)).toBe('warn');
    expect(r.messageId).toBe('notFromHere');
    expect(r.message).toContain('is a cluster-internal name and does not answer from this machine');
    expect(r.hint).toContain('--in-cluster');
  });

  it('a data plane that accepts connections and never answers: unreachable within the check\'s budget, not an engine timeout', async () => {
    const t0 = Date.now();
    const r = await api({ endpoint: `https://127.0.0.1:${cp.stall.port}` });
    expect(r.status, brief(r)).toBe('fail');
    expect(r.messageId).toBe('unreachable');
    expect(r.cause).toBe(`unreachable:127.0.0.1:${cp.stall.port}`);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('a token of no account of this cluster: 401 token rejected, with how to make flyteadmin\'s token', async () => {
    const r = await api({ token: 'bad_token' });
    expect(r.status, brief(r)).toBe('fail');
    expect(r.messageId).toBe('tokenRejected');
    expect(r.cause).toBe(`credentials:kubernetes:flyteadmin@${dpKey()}`);
    expect(r.hint).toContain('kubernetes.io/service-account-token');
    expect(r.hint).toContain('bad_token');
  });

  it('an expired token: 401, with the token\'s subject, issuer and expiry (never the token)', async () => {
    const r = await api({ token: 'expired_token' });
    expect(r.status, brief(r)).toBe('fail');
    expect(r.messageId).toBe('tokenRejected');
    expect(r.message).toContain(`names system:serviceaccount:${DP_NS}:flyteadmin`);
    expect(r.message).toMatch(/expired \d{4}-/);
    expect(r.details).toMatchObject({ tokenExpired: true });
  });

  it('a token without rights: authenticated, but RBAC denies creating FlyteWorkflows', async () => {
    const r = await api({ token: 'norights_token' });
    expect(r.status, brief(r)).toBe('fail');
    expect(r.messageId).toBe('rbacMissing');
    expect(r.message).toContain('create flyteworkflows.flyte.lyft.com in flytesnacks-development');
    expect(r.cause).toMatch(/^denied:kubernetes:flyteadmin@/);
  });

  it('the CA of another cluster: the certificate is untrusted', async () => {
    const r = await api({ ca: 'wrongca_cacert' });
    expect(r.status, brief(r)).toBe('fail');
    expect(r.messageId).toBe('tlsUntrusted');
    expect(r.cause).toBe(`tls-untrusted:${dpKey()}`);
    expect(r.hint).toContain('wrongca_cacert');
  });

  it('an endpoint whose certificate is for another host: hostname mismatch', async () => {
    const r = await api({ ca: 'wrongca_cacert', endpoint: `https://127.0.0.1:${cp.nginx.wrongHost}` });
    expect(r.status, brief(r)).toBe('fail');
    expect(r.messageId).toBe('tlsHostname');
  });

  it('an endpoint whose certificate expired', async () => {
    const r = await api({ ca: 'wrongca_cacert', endpoint: `https://127.0.0.1:${cp.nginx.expired}` });
    expect(r.status, brief(r)).toBe('fail');
    expect(r.messageId).toBe('tlsExpired');
    expect(r.cause).toBe(`tls-expired:127.0.0.1:${cp.nginx.expired}`);
  });

  it('an endpoint whose host does not resolve', async () => {
    const r = await api({ endpoint: 'https://dataplane-1.no-such-zone.invalid:443' });
    expect(r.status, brief(r)).toBe('fail');
    expect(r.messageId).toBe('dnsFailed');
    expect(r.cause).toBe('dns:dataplane-1.no-such-zone.invalid');
  });

  it('an endpoint that is not a Kubernetes API server (the ingress): not Kubernetes', async () => {
    const r = await api({ ca: 'wrongca_cacert', endpoint: `https://127.0.0.1:${cp.nginx.https}` });
    expect(r.status, brief(r)).toBe('fail');
    expect(r.messageId).toBe('notKubernetes');
    expect(r.cause).toBe(`wrong-service:127.0.0.1:${cp.nginx.https}`);
  });

  it('https to a plain HTTP port: TLS fails', async () => {
    const r = await api({ endpoint: `https://127.0.0.1:${cp.admin.httpPort}` });
    expect(r.status, brief(r)).toBe('fail');
    expect(r.messageId).toBe('tlsFailed');
  });

  for (const [code, id] of [[403, 'forbidden'], [500, 'apiError']] as const) {
    it(`a server answering ${code} to discovery, quoting the token back: ${id}, and the token never printed`, async () => {
      const cert = { cert: readFileSync(join(cp.dir, 'pki', 'nginx.crt'), 'utf8'), key: readFileSync(join(cp.dir, 'pki', 'nginx.key'), 'utf8') };
      const echo = await startKubeEcho(cert, () => code);
      try {
        const r = await api({ ca: 'wrongca_cacert', endpoint: `https://127.0.0.1:${echo.port}` });
        expect(r.status, brief(r)).toBe('fail');
        expect(r.messageId).toBe(id);
        expect(echo.requests.join('\n')).toContain(dp.flyteadminToken.slice(0, 20)); // it was sent, and echoed
        expect(JSON.stringify(r)).not.toContain(dp.flyteadminToken.slice(0, 20));
      } finally { await echo.stop(); }
    });
  }

  it('the Secret does not exist in the control plane', async () => {
    const r = await api({ secretName: 'no-such-credentials' });
    expect(r.status, brief(r)).toBe('fail');
    expect(r.messageId).toBe('secretMissing');
    expect(r.hint).toContain(`kubectl create secret generic no-such-credentials -n ${DP_NS}`);
  });

  it('the Secret lacks the key the token file is read from', async () => {
    const r = await api({ token: 'absent_token' });
    expect(r.status, brief(r)).toBe('fail');
    expect(r.messageId).toBe('secretKeyMissing');
    expect(r.message).toContain('absent_token');
  });

  it('a token base64-encoded twice (copied from jsonpath into stringData)', async () => {
    const r = await api({ token: 'twice_token' });
    expect(r.status, brief(r)).toBe('fail');
    expect(r.messageId).toBe('credentialEncoding');
    expect(r.hint).toContain('data:');
    expect(JSON.stringify(r)).not.toContain(dp.flyteadminToken);
  });

  it('a --data-plane context that does not exist in the kubeconfig', async () => {
    const r = await api({ context: 'cp-restricted', flags: ['dp1=no-such-context'] });
    expect(r.status, brief(r)).toBe('fail');
    expect(r.messageId).toBe('contextInvalid');
    expect(r.hint).toContain('--data-plane dp1=<context>');
  });
});

describe('flyte.dataplane.config in verify: the configuration flyteadmin runs with', () => {
  it('a running ConfigMap with another endpoint (values not applied) warns with the helm upgrade', async () => {
    const path = `/api/v1/namespaces/${DP_NS}/configmaps`;
    const clusters = `clusters:\n  clusterConfigs:\n  - name: dp1\n    endpoint: https://10.9.9.9:6443\n    enabled: true\n    auth:\n      type: file_path\n      tokenPath: /var/run/credentials/dp1_token\n      certPath: /var/run/credentials/dp1_cacert\n  labelClusterMap: {}\n`;
    await kubeCall(cp.kube, cp.kube.tokens.admin, 'POST', path, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'flyte-admin-clusters-config', namespace: DP_NS }, data: { 'clusters.yaml': clusters } });
    try {
      const { result: r } = await runCheck('flyte.dataplane.config', target(), { instance: 'dp1', phase: 'verify' });
      expect(r.status, brief(r)).toBe('warn');
      expect(r.messageId).toBe('liveDiffers');
      expect(r.message).toContain('endpoint https://10.9.9.9:6443 instead of');
      expect(r.hint).toContain('helm upgrade');
      const pre = (await runCheck('flyte.dataplane.config', target(), { instance: 'dp1', phase: 'preflight' })).result;
      expect(pre.messageId).toBe('configured'); // preflight judges the values only
    } finally {
      await kubeCall(cp.kube, cp.kube.tokens.admin, 'DELETE', `${path}/flyte-admin-clusters-config`, undefined, undefined, (st) => st < 300 || st === 404);
    }
  });
});

describe('flyte.dataplane.components (two real API servers)', () => {
  it('healthy through the operator\'s context: propeller, webhook (and syncresources) available, CRD Established, namespaces present', async () => {
    const r = await components({ flags: ['dp1=dp-admin'] });
    expect(r.status, brief(r)).toBe('pass');
    expect(r.messageId).toBe('ready');
    expect(r.message).toContain('flytepropeller');
    expect(r.message).toContain('flyte-pod-webhook');
    expect(r.details).toMatchObject({ via: 'context dp-admin' });
  });

  it('with flyteadmin\'s token only: it may not read Deployments there, said as such with the flag to pass', async () => {
    const r = await components();
    expect(r.status, brief(r)).toBe('warn');
    expect(r.messageId).toBe('forbidden');
    expect(r.hint).toContain('--data-plane dp1=<context>');
    expect(r.message).toContain('checked: 3 project-domain namespaces exist'); // what the token may read is still checked
  });

  it('with flyteadmin\'s token only, a missing namespace is still found', async () => {
    const r = await components({ projects: ['flytesnacks', 'ghostproject'] });
    expect(r.status, brief(r)).toBe('fail');
    expect(r.messageId).toBe('namespacesMissing');
  });

  it('blocked when the data plane does not answer', async () => {
    const { result } = await runCheck('flyte.dataplane.components', target({ endpoint: `https://127.0.0.1:${DP_DEAD_PORT}` }), { instance: 'dp1', phase: 'verify' });
    expect(result.status).toBe('skip');
    expect(result.blockedBy).toBe('flyte.dataplane.api[dp1]');
  });

  it('a project namespace missing in the data plane', async () => {
    const r = await components({ flags: ['dp1=dp-admin'], projects: ['flytesnacks', 'ghostproject'] });
    expect(r.status, brief(r)).toBe('fail');
    expect(r.messageId).toBe('namespacesMissing');
    expect(r.message).toContain('ghostproject-development');
    expect(r.message).not.toContain('flytesnacks-development,');
    expect(r.hint).toContain('create namespace ghostproject-development');
  });

  it('flytepropeller not ready (CrashLoopBackOff): the pod\'s reason, keyed to this data plane', async () => {
    const tb = { kube: dp.kube } as Testbed;
    await makeUnready(tb, 'flytepropeller', 'CrashLoopBackOff', DP_NS);
    try {
      const r = await components({ flags: ['dp1=dp-admin'] });
      expect(r.status, brief(r)).toBe('fail');
      expect(r.messageId).toBe('deploymentNotReady');
      expect(r.message).toContain('flytepropeller');
      expect(r.message).toMatch(/CrashLoopBackOff|crash/i);
      expect(r.cause).toBe('backend:dp1/flytepropeller');
    } finally {
      await makeReady(tb, 'flytepropeller', DP_NS);
    }
  });

  it('the FlyteWorkflow CRD missing in the data plane', async () => {
    const tb = { kube: dp.kube } as Testbed;
    await removeCrd(tb);
    try {
      const r = await components({ flags: ['dp1=dp-admin'] });
      expect(r.status, brief(r)).toBe('fail');
      expect(r.messageId).toBe('crdMissing');
      expect(r.hint).toContain('--context dp-admin');
      expect(r.hint).toContain('--show-only templates/propeller/crds/flyteworkflow.yaml | kubectl apply -f -');
    } finally {
      await installFlyte(tb, 'flyte-core', { namespace: DP_NS, noWebhook: true });
    }
  });
});

describe('flyte.dataplane.storage', () => {
  it('says it cannot be checked from this machine and how to check it in the data plane', async () => {
    const { results } = await runCheck('flyte.dataplane.api', target({ flags: ['dp1=dp-admin'] }), { instance: 'dp1', phase: 'verify' });
    expect(results.length).toBeGreaterThan(0);
    const t = target({ flags: ['dp1=dp-admin'] });
    const { result } = await runCheck('flyte.dataplane.storage', t, { instance: 'dp1', phase: 'verify' });
    if (t.storage) {
      expect(result.status, brief(result)).toBe('warn');
      expect(result.messageId).toBe('notFromHere');
      expect(result.message).toContain('cannot be checked from this machine');
      expect(result.hint).toContain('--in-cluster --context dp-admin');
    } else {
      expect(result.status).toBe('skip');
    }
  });
});
