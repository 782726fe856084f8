// Who was refused, against the test bed's REAL kube-apiserver (RBAC authorizer, 1.33: SelfSubjectReview
// authentication.k8s.io/v1 served, v1beta1 not). The kubeconfig's user entry name is a label: the API
// server authenticates an impersonated user (`as:`), a ServiceAccount token (its sub), a client
// certificate (its CN), or a static token by the name its authenticator gives. Findings that say who
// may not do something, and the rolebinding fix, must name that identity.
//  1. 403 findings of the kubernetes.objects.* checks (forbiddenText / forbiddenHint): the API server's
//     403 names the refused user; it is used (no request needed);
//  2. whoAmI (src/clients/whoami.ts): one SelfSubjectReview per run, shared by api.reachable and
//     rbac.install; its transport is KubeSession.postReview, a hook src/clients/kube.ts does not have
//     yet (patch in the report). Here the run's real session gets that hook (a plain POST to the same
//     API server with the kubeconfig's own credentials), so the review is the real server's answer;
//  3. without an answer (a 1.26 server that serves no SelfSubjectReview, a 403 on it): the kubeconfig's
//     evidence, never a failed check, and the reason is said.
// Everything made here is named hz-b-<run>-* and deleted.
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { KubeSession } from '../../../src/clients/kube.js';
import { KubeError, openKube } from '../../../src/clients/kube.js';
import { whoAmI } from '../../../src/clients/whoami.js';
import { loadTarget } from '../../../src/config/load.js';
import type { CheckResult } from '../../../src/engine/types.js';
import { kubeRequest } from '../../infra/kube.js';
import { runCheck, runSelection } from '../../harness/run-check.js';
import { makeTarget } from '../../harness/target.js';
import { getTestbed } from '../../harness/testbed.js';

// ---- the postReview hook on the run's real session (what the kube.ts patch adds) --------------------
const hook = vi.hoisted(() => ({ enabled: false, posts: [] as string[], material: new Map<string, { token?: string; cert?: Buffer; key?: Buffer; as?: string }>() }));
vi.mock('../../../src/clients/kube.js', async (orig) => {
  const real = await orig<typeof import('../../../src/clients/kube.js')>();
  const wrapped = new WeakMap<object, KubeSession>();
  return {
    ...real,
    kubeSession: async (ctx: Parameters<typeof real.kubeSession>[0]) => {
      const s = await real.kubeSession(ctx);
      if (!hook.enabled) return s;
      if (!wrapped.has(s)) wrapped.set(s, withPoster(s, real.KubeError));
      return wrapped.get(s)!;
    },
  };
});

function withPoster(s: KubeSession, KubeError: typeof import('../../../src/clients/kube.js').KubeError): KubeSession {
  const m = hook.material.get(s.identity.files[0]!) ?? {};
  const postReview = (path: string, body: unknown, signal: AbortSignal) => new Promise<Record<string, unknown>>((ok, fail) => {
    hook.posts.push(path);
    const data = Buffer.from(JSON.stringify(body));
    const req = httpsRequest(new URL(path, s.identity.server), {
      method: 'POST', ca: readFileSync(getTestbed().kube.caFile), signal, ...(m.cert ? { cert: m.cert, key: m.key } : {}),
      headers: { 'content-type': 'application/json', 'content-length': data.length, ...(m.token ? { authorization: `Bearer ${m.token}` } : {}), ...(m.as ? { 'impersonate-user': m.as } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const st = res.statusCode ?? 0;
        if (st >= 200 && st < 300) return ok(JSON.parse(text) as Record<string, unknown>);
        const msg = (() => { try { return String((JSON.parse(text) as { message?: string }).message ?? text); } catch { return text; } })();
        fail(new KubeError(st === 404 ? 'not-found' : st === 403 ? 'forbidden' : 'http', `POST ${path}: HTTP ${st}: ${msg}`, { status: st, request: `POST ${path}` }));
      });
    });
    req.on('error', fail);
    req.end(data);
  });
  return Object.assign(Object.create(s) as KubeSession, { postReview });
}

const tb = () => getTestbed();
const kube = () => ({ server: tb().kube.server, caFile: tb().kube.caFile });
const RUN = `hz-b-${Math.random().toString(36).slice(2, 7)}`;
const dir = mkdtempSync(join(tmpdir(), 'fd-hz-b-'));
const SA_NS = `${RUN}-ci`;
const NOBODY = `${RUN}-nobody`;
const CN = `${RUN}-cert`;
const made: string[] = [];
let saToken = '';
let n = 0;

function kubeconfig(name: string, user: Record<string, unknown>, server = tb().kube.server): string {
  const f = join(dir, `kc-${n++}.yaml`);
  writeFileSync(f, stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'tb', cluster: { server, 'certificate-authority': tb().kube.caFile } }],
    users: [{ name, user }],
    contexts: [{ name: 'c', context: { cluster: 'tb', user: name, namespace: 'flyte' } }],
  }));
  const u = user as { token?: string; as?: string; 'client-certificate-data'?: string; 'client-key-data'?: string };
  hook.material.set(f, { ...(u.token ? { token: u.token } : {}), ...(u.as ? { as: u.as } : {}),
    ...(u['client-certificate-data'] ? { cert: Buffer.from(u['client-certificate-data'], 'base64'), key: Buffer.from(u['client-key-data']!, 'base64') } : {}) });
  return f;
}
const ids = () => ({
  imp: kubeconfig('imp', { token: tb().kube.tokens.admin, as: NOBODY }),
  sa: kubeconfig('ci-deployer', { token: saToken }),
  cert: kubeconfig('cert-user', { 'client-certificate-data': readFileSync(join(dir, 'c.crt')).toString('base64'), 'client-key-data': readFileSync(join(dir, 'c.key')).toString('base64') }),
  token: kubeconfig('restricted-entry', { token: tb().kube.tokens.restricted }),
});

beforeAll(async () => {
  const create = async (path: string, body: Record<string, unknown>) => {
    const r = await kubeRequest(kube(), tb().kube.tokens.admin, 'POST', path, body);
    if (r.status !== 201) throw new Error(`POST ${path}: HTTP ${r.status}`);
    made.push(`${path}/${(body['metadata'] as { name: string }).name}`);
  };
  await create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SA_NS } });
  await create(`/api/v1/namespaces/${SA_NS}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'deployer' } });
  const t = await kubeRequest<{ status: { token: string } }>(kube(), tb().kube.tokens.admin, 'POST', `/api/v1/namespaces/${SA_NS}/serviceaccounts/deployer/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } });
  if (t.status !== 201) throw new Error(`TokenRequest: HTTP ${t.status}`);
  saToken = t.body.status.token;
  const pki = join(tb().dir, 'pki');
  execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'c.key'), '-out', join(dir, 'c.csr'), '-subj', `/O=${RUN}-team/CN=${CN}`], { stdio: 'ignore' });
  execFileSync('openssl', ['x509', '-req', '-in', join(dir, 'c.csr'), '-CA', join(pki, 'ca.crt'), '-CAkey', join(pki, 'ca.key'), '-CAserial', join(dir, 'ca.srl'), '-CAcreateserial', '-days', '1', '-out', join(dir, 'c.crt')], { stdio: 'ignore' });
}, 60_000);

afterAll(async () => {
  for (const p of made.reverse()) {
    await kubeRequest(kube(), tb().kube.tokens.admin, 'DELETE', p);
    if (p === `/api/v1/namespaces/${SA_NS}`) await kubeRequest(kube(), tb().kube.tokens.admin, 'PUT', `${p}/finalize`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SA_NS }, spec: { finalizers: [] } });
  }
  rmSync(dir, { recursive: true, force: true });
});

// ---- 1. 403 findings name who the API server refused --------------------------------------------
describe('a 403 in kubernetes.objects.*: the refused identity is the one the API server names', () => {
  const ingressClass = async (kc: string): Promise<CheckResult> => (await runCheck('kubernetes.objects.ingressclass', loadTarget({
    values: [(() => { const f = join(dir, `v-${n++}.yaml`); writeFileSync(f, stringify({ configuration: { database: { host: 'db.fdref.test' } }, ingress: { create: true, host: 'flyte.test', ingressClassName: 'nginx' } })); return f; })()],
    set: [], env: {}, cwd: dir, home: dir, kubeconfig: kc, context: 'c', namespace: 'flyte',
  }))).result;
  it('impersonated user (as:): named, and the binding is for it, not the kubeconfig entry "imp"', async () => {
    const r = await ingressClass(ids().imp);
    expect(r, r.message).toMatchObject({ status: 'warn', messageId: 'cannotRead' });
    expect(r.message).toBe(`IngressClass nginx: user "${NOBODY}" (kubeconfig user "imp") may not get ingressclasses.networking.k8s.io (403), so it cannot be checked with these credentials`);
    expect(r.hint).toContain(`grant it to user "${NOBODY}"`);
    expect(r.hint).toContain(`--clusterrole=flyte-doctor-read --user=${NOBODY}\``);
    expect(r.hint).not.toContain('"imp"');
  });
  it('a ServiceAccount token: the ServiceAccount is named, the fix uses --serviceaccount', async () => {
    const r = await ingressClass(ids().sa);
    expect(r.message).toContain(`ServiceAccount ${SA_NS}/deployer (kubeconfig user "ci-deployer") may not get ingressclasses`);
    expect(r.hint).toContain(`--serviceaccount=${SA_NS}:deployer\``);
    expect(r.hint).not.toContain('ci-deployer');
    expect(JSON.stringify(r)).not.toContain(saToken.split('.')[2]!);
  });
  it('a client certificate: its CN', async () => {
    const r = await ingressClass(ids().cert);
    expect(r.message).toContain(`user "${CN}" (kubeconfig user "cert-user") may not get`);
    expect(r.hint).toContain(`--user=${CN}\``);
  });
  it('a static token: the name its authenticator gives ("restricted"), not the entry "restricted-entry"', async () => {
    const r = await ingressClass(ids().token);
    expect(r.message).toContain('user "restricted" (kubeconfig user "restricted-entry") may not get');
    expect(r.hint).toContain('--user=restricted`');
  });
});

// ---- 2. whoAmI: one SelfSubjectReview per run ---------------------------------------------------
describe('whoAmI: the API server says who (SelfSubjectReview), once per run', () => {
  beforeAll(() => { hook.enabled = true; });
  afterAll(() => { hook.enabled = false; });
  const target = (kc: string) => makeTarget({ chart: 'flyte-binary', kubernetes: { kubeconfigPath: kc, namespace: 'flyte', release: 'flyte' } } as never);

  it('a static token: rbac.install names "restricted" and its groups, and binds --user=restricted (was: unknown, --user=restricted-entry)', async () => {
    hook.posts.length = 0;
    const run = await runSelection(target(ids().token), 'preflight', ['kubernetes.api.reachable', 'kubernetes.rbac.install']);
    const reach = run.results.find((r) => r.id === 'kubernetes.api.reachable')!;
    const r = run.results.find((x) => x.id === 'kubernetes.rbac.install')!;
    expect(reach.message).toContain('accepted user "restricted-entry" as "restricted" (groups preflight-testers, system:authenticated)');
    expect(reach.details!['identity']).toMatchObject({ name: 'restricted', source: 'selfsubjectreview', reviewApi: 'authentication.k8s.io/v1' });
    expect(r, r.message).toMatchObject({ status: 'fail', messageId: 'missingPermissions' });
    expect(r.message).toMatch(/^user "restricted" \(the API server's SelfSubjectReview: kubeconfig user "restricted-entry" is authenticated as "restricted"\)/);
    expect(r.hint).toContain('--clusterrole=cluster-admin --user=restricted`');
    expect(r.hint).not.toContain('auth whoami');
    expect(r.details!['identity']).toMatchObject({ name: 'restricted', known: true, source: 'selfsubjectreview', groups: ['preflight-testers', 'system:authenticated'] });
    // asked once for the run, although two checks named the identity
    expect(hook.posts.filter((p) => p.includes('selfsubjectreviews'))).toEqual(['/apis/authentication.k8s.io/v1/selfsubjectreviews']);
  });
  it('impersonated, ServiceAccount and certificate identities: the review confirms the kubeconfig\'s evidence', async () => {
    const c = ids();
    const imp = (await runCheck('kubernetes.rbac.install', target(c.imp), { phase: 'preflight' })).result;
    expect(imp.message).toMatch(new RegExp(`^user "${NOBODY}" \\(impersonated: kubeconfig user "imp" acts as "${NOBODY}".*; confirmed by the API server \\(SelfSubjectReview\\)\\)`));
    expect(imp.hint).toContain(`--user=${NOBODY}\``);
    const sa = (await runCheck('kubernetes.rbac.install', target(c.sa), { phase: 'preflight' })).result;
    expect(sa.message).toMatch(new RegExp(`^ServiceAccount ${SA_NS}/deployer \\(the ServiceAccount token of kubeconfig user "ci-deployer" \\(its sub claim\\); confirmed`));
    expect(sa.details!['identity']).toMatchObject({ serviceAccount: `${SA_NS}/deployer`, groups: expect.arrayContaining(['system:serviceaccounts', `system:serviceaccounts:${SA_NS}`]) });
    expect(sa.hint).toContain(`--serviceaccount=${SA_NS}:deployer\``);
    const cert = (await runCheck('kubernetes.rbac.install', target(c.cert), { phase: 'preflight' })).result;
    expect(cert.message).toMatch(new RegExp(`^user "${CN}" \\(the client certificate of kubeconfig user "cert-user"`));
    expect(cert.details!['identity']).toMatchObject({ name: CN, source: 'selfsubjectreview', groups: expect.arrayContaining([`${RUN}-team`]) });
  });
});

// ---- 3. no answer: the kubeconfig's evidence, said so; never a failed check -------------------------
describe('whoAmI without an answer', () => {
  const session = async (kc: string): Promise<KubeSession> => withPoster(await openKube({ kubeconfigPath: kc, namespace: 'flyte', release: 'flyte' } as never), KubeError);
  it('an identity refused the review (system:anonymous, 403): kubeconfig evidence, the 403 kept as the reason', async () => {
    const s = await session(kubeconfig('anon', { token: tb().kube.tokens.admin, as: 'system:anonymous' }));
    const w = await whoAmI(s, AbortSignal.timeout(5000));
    expect(w).toMatchObject({ name: 'system:anonymous', source: 'kubeconfig', reviewAsked: true });
    expect(w.reviewNote).toContain('may not create selfsubjectreviews (403');
    s.close();
  });
  let old: Server | undefined;
  afterAll(() => old?.close());
  it('a Kubernetes 1.26 API server (no SelfSubjectReview: 404 on v1 and v1beta1): kubeconfig evidence, said so', async () => {
    // an API server before 1.27 answers 404 (a Status) for a group version it does not serve
    old = createServer((q, res) => { res.writeHead(404, { 'content-type': 'application/json' }); res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', code: 404 })); q.resume(); });
    await new Promise<void>((ok) => old!.listen(30201, '127.0.0.1', ok));
    const kc = kubeconfig('legacy', { token: tb().kube.tokens.restricted }, 'http://127.0.0.1:30201');
    const s = await session(kc);
    // (the test poster speaks https to the bed; point it at the old server through a plain-http poster)
    const posts: string[] = [];
    const post = async (path: string): Promise<Record<string, unknown>> => {
      posts.push(path);
      const r = await fetch(`http://127.0.0.1:30201${path}`, { method: 'POST', body: '{}' });
      throw new KubeError(r.status === 404 ? 'not-found' : 'http', `POST ${path}: HTTP ${r.status}`, { status: r.status });
    };
    const w = await whoAmI(Object.assign(Object.create(s) as KubeSession, { postReview: post }), AbortSignal.timeout(5000));
    expect(posts).toEqual(['/apis/authentication.k8s.io/v1/selfsubjectreviews', '/apis/authentication.k8s.io/v1beta1/selfsubjectreviews']);
    expect(w).toMatchObject({ name: 'legacy', known: false, source: 'kubeconfig', reviewAsked: true });
    expect(w.reviewNote).toContain('serves no SelfSubjectReview');
  });
});

// ---- 4. api.reachable: a 403 on discovery names who was refused; `view` grants no discovery ----------
describe('kubernetes.api.reachable: 403 on /version (the system:discovery binding removed)', () => {
  // The bed's RBAC cannot be changed for one test (system:discovery is shared): an HTTP server on 127.0.0.1
  // answers the API server's own 403 Status for a ServiceAccount token, as kube-apiserver words it.
  let srv: Server | undefined;
  afterAll(() => srv?.close());
  it('names the ServiceAccount the API server refused and binds system:discovery to it (was: kubeconfig user, --clusterrole=view --user=<you>)', async () => {
    srv = createServer((q, res) => {
      q.resume();
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `forbidden: User "system:serviceaccount:${SA_NS}:deployer" cannot get path "/version"`, reason: 'Forbidden', details: {}, code: 403 }));
    });
    await new Promise<void>((ok) => srv!.listen(30202, '127.0.0.1', ok));
    const f = kubeconfig('ci-deployer', { token: saToken }, 'http://127.0.0.1:30202');
    const r = (await runCheck('kubernetes.api.reachable', makeTarget({ kubernetes: { kubeconfigPath: f, namespace: 'flyte', release: 'flyte' } } as never), { phase: 'preflight' })).result;
    expect(r, r.message).toMatchObject({ status: 'fail', messageId: 'forbidden' });
    expect(r.message).toContain(`ServiceAccount ${SA_NS}/deployer (kubeconfig user "ci-deployer") may not get /version (403 Forbidden)`);
    expect(r.hint).toContain(`--clusterrole=system:discovery --serviceaccount=${SA_NS}:deployer\``);
    expect(r.hint).not.toContain('clusterrole=view');
    expect(r.details).toMatchObject({ subject: `system:serviceaccount:${SA_NS}:deployer` });
    expect(JSON.stringify(r)).not.toContain(saToken.split('.')[2]!);
  });
});
