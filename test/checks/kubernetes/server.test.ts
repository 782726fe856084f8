// The Kubernetes preflight checks against the test bed's real kube-apiserver v1.33.13 (RBAC on,
// token users admin = system:masters and restricted = view in namespace flyte, audit log).
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Target } from '../../../src/config/target.js';
import { openKube, ruleAllows, type AccessAttributes, type ResourceRule } from '../../../src/clients/kube.js';
import { requirements as installRequirements } from '../../../checks/kubernetes/rbac.install.js';
import { kubeRequest } from '../../infra/kube.js';
import { runCheck, runSelection } from '../../harness/run-check.js';
import { makeTarget } from '../../harness/target.js';
import { startDropping, testCert } from '../../harness/private-servers.js';
import { createServer as createTlsServer } from 'node:tls';
import { getTestbed } from '../../harness/testbed.js';

const tb = () => getTestbed();
const target = (context: string, over: Partial<Target> = {}): Target =>
  makeTarget({ ...over, kubernetes: { kubeconfigPath: tb().kube.kubeconfig, context, namespace: 'flyte', release: 'flyte', ...(over.kubernetes ?? {}) } } as never);
const expectNonPassShape = (r: { status: string; hint?: string; messageId?: string; details?: unknown; message: string }) => {
  if (r.status === 'warn' || r.status === 'fail') {
    expect(r.hint, r.message).toBeTruthy();
    expect(r.messageId).toBeTruthy();
    expect(r.details).toBeTruthy();
  }
};

/** A kubeconfig variant of the test bed's, written to a temp dir. */
function kubeconfigWith(opts: { token?: string; caFile?: string | null }): string {
  const k = tb().kube;
  const dir = mkdtempSync(join(tmpdir(), 'fd-kc-'));
  const ca = opts.caFile === null ? '' : `    certificate-authority: ${opts.caFile ?? k.caFile}\n`;
  const file = join(dir, 'kubeconfig');
  writeFileSync(file, `apiVersion: v1\nkind: Config\nclusters:\n- name: tb\n  cluster:\n    server: ${k.server}\n${ca}users:\n- name: someone\n  user:\n    token: ${opts.token ?? k.tokens.admin}\ncontexts:\n- name: ctx\n  context: {cluster: tb, user: someone}\ncurrent-context: ctx\n`);
  return file;
}

describe('kubernetes preflight, admin identity (healthy)', () => {
  it('every kubernetes preflight check passes; the version check warns only because 1.33 left upstream support on 2026-06-28', async () => {
    const run = await runSelection(target('admin'), 'preflight', ['kubernetes']);
    const byId = Object.fromEntries(run.results.map((r) => [r.id, r]));
    const core = ['kubernetes.api.reachable', 'kubernetes.capacity.resources', 'kubernetes.config.load', 'kubernetes.namespace.exists', 'kubernetes.rbac.install', 'kubernetes.version.supported'];
    expect(Object.keys(byId).filter((id) => core.includes(id)).sort()).toEqual(core);
    // The checks of referenced objects and of the in-cluster mode have nothing to object to here: pass or skip.
    for (const [id, r] of Object.entries(byId)) if (!core.includes(id)) expect(['pass', 'skip'], `${id}: ${r.message}`).toContain(r.status);
    expect(Object.keys(byId).filter((id) => id.startsWith('kubernetes.objects.')).sort()).toEqual(['kubernetes.objects.apis', 'kubernetes.objects.certmanager', 'kubernetes.objects.ingressclass', 'kubernetes.objects.secrets', 'kubernetes.objects.storageclass']);
    for (const id of ['kubernetes.config.load', 'kubernetes.api.reachable', 'kubernetes.rbac.install', 'kubernetes.namespace.exists', 'kubernetes.capacity.resources']) {
      expect(byId[id]!.status, `${id}: ${byId[id]!.message}`).toBe('pass');
    }
    expect(byId['kubernetes.api.reachable']!.message).toContain('v1.33.13');
    expect(byId['kubernetes.rbac.install']!.messageId).toBe('allowed');
    const v = byId['kubernetes.version.supported']!;
    expect(v.status).toBe('warn');
    expect(v.messageId).toBe('outOfUpstreamSupport');
    expect(v.message).toContain('v1.33.13');
    expect(v.message).toMatch(/upstream supports 1\.\d+-1\.\d+/);
    expectNonPassShape(v);
    expect(byId['kubernetes.capacity.resources']!.details).toMatchObject({ schedulableNodes: expect.any(Number) });
  });

  it('flyte-core RBAC passes too (admin holds */*, so the propeller ClusterRole can be created)', async () => {
    const { result } = await runCheck('kubernetes.rbac.install', target('admin', { chart: 'flyte-core' }));
    expect(result.status).toBe('pass');
  });

  it('a namespace that does not exist passes when the identity may create it', async () => {
    const { result } = await runCheck('kubernetes.namespace.exists', target('admin', { kubernetes: { namespace: 'fd-not-created-yet' } as never }));
    expect(result).toMatchObject({ status: 'pass', messageId: 'canCreate' });
  });

  it('capacity: a task default bigger than any node fails; one that barely fits warns', async () => {
    const big = (await runCheck('kubernetes.capacity.resources', target('admin', { taskResourceDefaults: { cpu: '64', memory: '1Gi' } }))).result;
    expect(big).toMatchObject({ status: 'fail', messageId: 'insufficient' });
    expect(big.message).toContain('task pod (task resource defaults) (64 CPU / 1Gi) fit(s) on no node');
    expectNonPassShape(big);
    // Other tests add pods to the shared node: size the task pod from what is free right now.
    const now = (await runCheck('kubernetes.capacity.resources', target('admin', { taskResourceDefaults: { cpu: '1m', memory: '1Mi' } }))).result;
    const largest = now.details!.largestNodeFreeCores as number, total = now.details!.freeCores as number;
    const cpu = `${Math.floor(Math.min(largest * 0.97, total * 0.9) * 1000)}m`;
    expect(Math.min(largest * 0.97, total * 0.9)).toBeGreaterThan(0.8 * total);
    const tight = (await runCheck('kubernetes.capacity.resources', target('admin', { taskResourceDefaults: { cpu, memory: '1Gi' } }))).result;
    expect(tight).toMatchObject({ status: 'warn', messageId: 'tight' });
    expectNonPassShape(tight);
  });
});

describe('kubernetes preflight, restricted identity (view in namespace flyte only)', () => {
  it('RBAC: one fail listing each missing verb/resource exactly', async () => {
    const { result } = await runCheck('kubernetes.rbac.install', target('restricted'));
    expect(result).toMatchObject({ status: 'fail', messageId: 'missingPermissions' });
    expectNonPassShape(result);
    const g = '[granted by ClusterRole flyte-flyte-binary-cluster-role]';
    expect(result.details!.missing).toEqual([
      'get,list,create namespaces (cluster-wide)',
      'create,patch,update,delete deployments.apps in namespace flyte',
      'create,patch,update,delete services in namespace flyte',
      'create,patch,update,delete serviceaccounts in namespace flyte',
      'create,patch,update,delete configmaps in namespace flyte',
      'get,list,create,patch,update,delete secrets in namespace flyte',
      'create,patch,update,delete ingresses.networking.k8s.io in namespace flyte',
      'get,list,create,patch,update,delete,escalate,bind clusterroles.rbac.authorization.k8s.io (cluster-wide)',
      'get,list,create,patch,update,delete clusterrolebindings.rbac.authorization.k8s.io (cluster-wide)',
      'get,list mutatingwebhookconfigurations.admissionregistration.k8s.io (cluster-wide)',
      `create,get,list,patch,update namespaces (cluster-wide) ${g}`,
      `create,get,list,patch,update resourcequotas (cluster-wide) ${g}`,
      `create,get,list,patch,update secrets (cluster-wide) ${g}`,
      `create,get,list,patch,update serviceaccounts (cluster-wide) ${g}`,
      `create,delete,get,list,patch,update,watch pods (cluster-wide) ${g}`,
      `create,delete,deletecollection,get,list,patch,update,watch flyteworkflows.flyte.lyft.com (cluster-wide) ${g}`,
      `create,get,list customresourcedefinitions.apiextensions.k8s.io (cluster-wide) ${g}`,
      `create,get,list,patch,update mutatingwebhookconfigurations.admissionregistration.k8s.io (cluster-wide) ${g}`,
    ]);
    expect(result.message).toContain('user "restricted" lacks');
    expect(result.hint).toContain('auth can-i get namespaces');
  });

  it('namespace and capacity cannot be checked: warn (never fail), with the 403 as evidence', async () => {
    const ns = (await runCheck('kubernetes.namespace.exists', target('restricted'))).result;
    expect(ns).toMatchObject({ status: 'warn', messageId: 'cannotRead' });
    expectNonPassShape(ns);
    const cap = (await runCheck('kubernetes.capacity.resources', target('restricted'))).result;
    expect(cap).toMatchObject({ status: 'warn', messageId: 'cannotList' });
    expect(cap.message).toContain('cannot list resource "nodes"');
  });
});

describe('verify as the restricted identity (view in namespace flyte only)', () => {
  it('what it may not read is a warning naming the verb and resource (cluster-scoped: a ClusterRole), never a failure', async () => {
    const run = await runSelection(target('restricted'), 'verify', ['flyte.crd.established', 'flyte.deployments.ready', 'flyte.projects.namespaces', 'flyte.services.endpoints', 'flyte.webhook.configured']);
    const by = Object.fromEntries(run.results.map((r) => [r.id, r]));
    expect(by['flyte.deployments.ready']!.status).toBe('pass');
    expect(by['flyte.services.endpoints']!.status).toBe('pass');
    expect(by['flyte.crd.established']).toMatchObject({ status: 'warn', messageId: 'apiForbidden' });
    expect(by['flyte.crd.established']!.message).toContain('may not get customresourcedefinitions.apiextensions.k8s.io/flyteworkflows.flyte.lyft.com (403)');
    expect(by['flyte.crd.established']!.hint).toContain('kubectl create clusterrole flyte-doctor-read --verb=get,list --resource=customresourcedefinitions.apiextensions.k8s.io');
    expect(by['flyte.projects.namespaces']!.message).toMatch(/may not get namespaces\/flytesnacks-\w+ \(403\)/);
    expect(by['flyte.webhook.configured']).toMatchObject({ status: 'warn', messageId: 'apiForbidden' });
  });
});

describe('kubernetes connection failures', () => {
  const serverAt = (server: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'fd-kc-'));
    const file = join(dir, 'kubeconfig');
    writeFileSync(file, `apiVersion: v1\nkind: Config\nclusters:\n- name: x\n  cluster:\n    server: ${server}\n    insecure-skip-tls-verify: true\nusers:\n- name: u\n  user:\n    token: t-123456\ncontexts:\n- name: c\n  context: {cluster: x, user: u}\ncurrent-context: c\n`);
    return makeTarget({ kubernetes: { kubeconfigPath: file, namespace: 'flyte', release: 'flyte' } } as never);
  };

  it('dropped SYNs: "no answer" and the network path (VPN, firewall); a TLS server that never answers the request: a stuck API server', async () => {
    const drop = await startDropping();
    const cert = testCert('kube-stuck', { sans: ['IP:127.0.0.1'] });
    const held = new Set<import('node:net').Socket>();
    const stuck = createTlsServer({ cert: readFileSync(cert.cert), key: readFileSync(cert.key) }, (s) => { held.add(s); s.on('error', () => {}); /* reads the request, never answers */ });
    await new Promise<void>((r) => stuck.listen(0, '127.0.0.1', r));
    try {
      const dropped = (await runCheck('kubernetes.api.reachable', serverAt(`https://127.0.0.1:${drop.port}`), { timeoutMs: 2500 })).result;
      expect(dropped).toMatchObject({ status: 'fail', messageId: 'timeout' });
      expect(dropped.message).toMatch(/no answer from the API server https:\/\/127\.0\.0\.1:\d+ within \d\.\d s/);
      expect(dropped.hint).toMatch(/VPN, private cluster endpoint, firewall/);
      const port = (stuck.address() as { port: number }).port;
      const r = (await runCheck('kubernetes.api.reachable', serverAt(`https://127.0.0.1:${port}`), { timeoutMs: 2500 })).result;
      expect(r).toMatchObject({ status: 'fail', messageId: 'timeout' });
      expect(r.message).toMatch(/completed the connection and the TLS handshake but sent no HTTP answer to GET \/version/);
      expect(r.hint).toMatch(/control plane.s health/);
    } finally {
      await drop.stop();
      for (const s of held) s.destroy();
      await new Promise<void>((r) => stuck.close(() => r()));
    }
  });

  it('a stalled API server fails kubernetes.api.reachable within the timeout, and costs one timeout', async () => {
    const timeoutMs = 2500;
    const t0 = Date.now();
    const run = await runSelection(target('stalled'), 'preflight', ['kubernetes'], { timeoutMs });
    const elapsed = Date.now() - t0;
    const r = run.results.find((x) => x.id === 'kubernetes.api.reachable')!;
    expect(r).toMatchObject({ status: 'fail', messageId: 'timeout' });
    // the stall server accepts the TCP connection: said as such, not as a network path problem
    expect(r.message).toMatch(/127\.0\.0\.1:\d+ accepts TCP connections but never answers the TLS handshake \(nothing within \d\.\d s\)/);
    expect(r.hint).toMatch(/load balancer without healthy control-plane targets/);
    expectNonPassShape(r);
    expect(elapsed).toBeLessThan(timeoutMs + 1500);
    for (const id of ['kubernetes.version.supported', 'kubernetes.rbac.install', 'kubernetes.namespace.exists', 'kubernetes.capacity.resources']) {
      expect(run.results.find((x) => x.id === id)).toMatchObject({ status: 'skip', blockedBy: 'kubernetes.api.reachable' });
    }
  });

  it('a missing exec plugin is a clear failure naming the plugin binary', async () => {
    const { result, results } = await runCheck('kubernetes.config.load', target('missing-plugin'));
    expect(result).toMatchObject({ status: 'fail', messageId: 'execPluginMissing' });
    expect(result.message).toContain('exec credential plugin `flyte-doctor-missing-plugin-xyz` was not found on PATH');
    expect(result.hint).toContain('flyte-doctor-missing-plugin-xyz');
    expect(results).toHaveLength(1);
  });

  it('a context that is not in the kubeconfig fails with the known contexts', async () => {
    const { result } = await runCheck('kubernetes.config.load', target('no-such-context'));
    expect(result).toMatchObject({ status: 'fail', messageId: 'contextMissing' });
    expect(result.message).toContain('admin');
  });

  it('401 (credentials rejected) and TLS trust have their own messages and hints', async () => {
    const bad = makeTarget({ kubernetes: { kubeconfigPath: kubeconfigWith({ token: 'not-a-valid-token' }), namespace: 'flyte', release: 'flyte' } });
    const u = (await runCheck('kubernetes.api.reachable', bad)).result;
    expect(u).toMatchObject({ status: 'fail', messageId: 'unauthorized' });
    expect(u.message).toContain('401');
    expect(u.hint).toContain('auth whoami');
    const untrusted = makeTarget({ kubernetes: { kubeconfigPath: kubeconfigWith({ caFile: null }), namespace: 'flyte', release: 'flyte' } });
    const t = (await runCheck('kubernetes.api.reachable', untrusted)).result;
    expect(t).toMatchObject({ status: 'fail', messageId: 'tlsUntrusted' });
    expect(t.hint).toContain('--certificate-authority');
  });
});

describe('read-only: the audit log', () => {
  it('preflight (admin and restricted) made only GET/LIST/WATCH and review creates (access, rules, who-am-I: the API server stores none)', async () => {
    const runIds = [`audit-admin-${Date.now()}`, `audit-restricted-${Date.now()}`];
    await runSelection(target('admin'), 'preflight', ['kubernetes'], { runId: runIds[0]! });
    await runSelection(target('restricted'), 'preflight', ['kubernetes'], { runId: runIds[1]! });
    type Ev = { verb: string; userAgent?: string; requestURI: string; objectRef?: { resource?: string } };
    let mine: Ev[] = [];
    for (let i = 0; i < 50; i++) {
      const lines = readFileSync(tb().kube.auditLog, 'utf8').split('\n').filter((l) => l.includes('flyte-doctor (run audit-'));
      mine = lines.map((l) => JSON.parse(l) as Ev).filter((e) => runIds.some((id) => e.userAgent === `flyte-doctor (run ${id})`));
      if (runIds.every((id) => mine.some((e) => e.userAgent?.includes(id)))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(mine.filter((e) => e.verb === 'list').length).toBeGreaterThan(0);
    const reviews = (id: string, resource: string) => mine.filter((e) => e.userAgent === `flyte-doctor (run ${id})` && e.verb === 'create' && e.objectRef?.resource === resource).length;
    // admin: every install right is granted by a rule its SelfSubjectRulesReviews list: no access review needed
    expect(reviews(runIds[0]!, 'selfsubjectrulesreviews')).toBeGreaterThan(0);
    expect(reviews(runIds[0]!, 'selfsubjectaccessreviews')).toBeLessThan(5);
    // restricted: what its rules do not grant is asked one by one (the denials are the authorizer's own)
    expect(reviews(runIds[1]!, 'selfsubjectaccessreviews')).toBeGreaterThan(20);
    const writes = mine.filter((e) => !['get', 'list', 'watch'].includes(e.verb) && !(e.verb === 'create' && /^selfsubject(access|rules)?reviews$/.test(e.objectRef?.resource ?? '')));
    expect(writes.map((e) => `${e.verb} ${e.requestURI}`)).toEqual([]);
  });
});

describe('one GET per path per run', () => {
  it('the same GET from several checks at once is one request; each caller gets its own copy; a failure is not kept', async () => {
    const ua = `flyte-doctor (run dedupe-${Date.now()})`;
    const ac = new AbortController();
    const s = await openKube(target('admin').kubernetes!, { userAgent: ua });
    try {
      const path = '/api/v1/namespaces/flyte';
      type Ns = { metadata: { name: string } };
      const [a, b, c] = await Promise.all([s.get<Ns>(path, ac.signal), s.get<Ns>(path, ac.signal), s.get<Ns>(path, ac.signal)]);
      expect([a.metadata.name, b.metadata.name, c.metadata.name]).toEqual(['flyte', 'flyte', 'flyte']);
      a.metadata.name = 'changed by a caller';
      expect(b.metadata.name).toBe('flyte');
      expect((await s.get<Ns>(path, ac.signal)).metadata.name).toBe('flyte');
      // a caller whose shared request is aborted by the check that started it asks again itself
      const first = new AbortController();
      const missing = '/api/v1/namespaces/flyte-doctor-dedupe-missing';
      const p1 = s.getOptional(missing, first.signal);
      const p2 = s.getOptional(missing, ac.signal);
      first.abort();
      await expect(p1).rejects.toBeTruthy();
      expect(await p2).toBeUndefined();
      expect(await s.getOptional(missing, ac.signal)).toBeUndefined();
      type Ev = { verb: string; userAgent?: string; requestURI: string; stage: string };
      let mine: Ev[] = [];
      for (let i = 0; i < 50; i++) {
        mine = readFileSync(tb().kube.auditLog, 'utf8').split('\n').filter((l) => l.includes(ua)).map((l) => JSON.parse(l) as Ev).filter((e) => e.stage === 'ResponseComplete');
        if (mine.filter((e) => e.requestURI === missing).length >= 2) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(mine.filter((e) => e.requestURI === path).length).toBe(1);
      // the aborted one may or may not have reached the server; the 404 answer is kept like any other
      expect(mine.filter((e) => e.requestURI === missing).length).toBeGreaterThanOrEqual(1);
      expect(mine.filter((e) => e.requestURI === missing).length).toBeLessThanOrEqual(2);
    } finally { s.close(); }
  });
});

describe('access checks: the rules pre-screen answers like one review per right', () => {
  // Every right rbac.install asks about, plus rights a rule grants only by name or by */subresource.
  const rights: AccessAttributes[] = [
    ...installRequirements(makeTarget({ chart: 'flyte-core', kubernetes: { namespace: 'flyte' } } as never)),
    ...installRequirements(makeTarget({ chart: 'flyte-binary', kubernetes: { namespace: 'flyte' } } as never)),
    { verb: 'get', group: '', resource: 'pods', subresource: 'log', namespace: 'flyte' },
    { verb: 'list', group: 'apps', resource: 'deployments', namespace: 'flyte' },
    { verb: 'list', group: 'apps', resource: 'deployments', namespace: 'default' },
    { verb: 'get', group: '', resource: 'configmaps', namespace: 'flyte', name: 'flyte-doctor-x' },
    { verb: 'create', group: '', resource: 'namespaces' },
  ];
  for (const context of ['admin', 'restricted']) {
    it(`${context}: the same allowed/denied for every right as SelfSubjectAccessReviews alone`, async () => {
      const t = target(context);
      const ac = new AbortController();
      const s = await openKube(t.kubernetes); await s.credentials(ac.signal);
      try {
        const got = await s.canI(rights, ac.signal);
        // The authorizer's own answer for each, one review per right.
        const k = tb().kube;
        const token = context === 'admin' ? k.tokens.admin : k.tokens.restricted;
        for (const [i, a] of rights.entries()) {
          const spec: Record<string, string> = { verb: a.verb, group: a.group, resource: a.resource };
          if (a.namespace) spec['namespace'] = a.namespace;
          if (a.name) spec['name'] = a.name;
          if (a.subresource) spec['subresource'] = a.subresource;
          const r = await kubeRequest<{ status: { allowed: boolean } }>(k, token, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: spec } });
          expect(got[i]!.allowed, `${context} ${JSON.stringify(a)}`).toBe(r.body.status.allowed);
        }
        if (context === 'restricted') {
          expect(got.some((d) => !d.allowed)).toBe(true);
          expect(got.some((d) => d.allowed)).toBe(true);
        }
      } finally { s.close(); }
    });
  }

  it('ruleAllows matches like the RBAC authorizer: wildcards, resource/subresource, */subresource, resourceNames', () => {
    const rule = (r: Partial<ResourceRule>): ResourceRule => ({ verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: [], ...r });
    const pods = { verb: 'get', group: '', resource: 'pods', namespace: 'n' };
    expect(ruleAllows(rule({}), pods)).toBe(true);
    expect(ruleAllows(rule({ verbs: ['list'] }), pods)).toBe(false);
    expect(ruleAllows(rule({ verbs: ['*'] }), pods)).toBe(true);
    expect(ruleAllows(rule({ apiGroups: ['apps'] }), pods)).toBe(false);
    expect(ruleAllows(rule({ apiGroups: ['*'], resources: ['*'] }), { ...pods, group: 'apps', resource: 'deployments' })).toBe(true);
    expect(ruleAllows(rule({}), { ...pods, subresource: 'log' })).toBe(false);
    expect(ruleAllows(rule({ resources: ['pods/log'] }), { ...pods, subresource: 'log' })).toBe(true);
    expect(ruleAllows(rule({ resources: ['*/log'] }), { ...pods, subresource: 'log' })).toBe(true);
    expect(ruleAllows(rule({ resources: ['pods/*'] }), { ...pods, subresource: 'log' })).toBe(false);
    expect(ruleAllows(rule({ resourceNames: ['a'] }), { ...pods, name: 'a' })).toBe(true);
    expect(ruleAllows(rule({ resourceNames: ['a'] }), { ...pods, name: 'b' })).toBe(false);
    expect(ruleAllows(rule({ verbs: ['create'], resourceNames: ['a'] }), { ...pods, verb: 'create' })).toBe(false);
  });
});
