// kubernetes.objects.certmanager against the test bed's kube-apiserver. cert-manager is NOT installed
// on the test bed and no cert-manager controller runs here: this file loads minimal CRDs of group
// cert-manager.io v1 (certificates, issuers, clusterissuers) itself, writes the status conditions the
// cert-manager controller would write (Ready True/False, none yet), and removes the CRDs at the end.
// Issuers are named fd-ref-*, namespaces fd-ref-cm*; targets come from the real loader.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTarget } from '../../../src/config/load.js';
import type { Target } from '../../../src/config/target.js';
import { cause } from '../../../src/engine/causes.js';
import type { CheckResult } from '../../../src/engine/types.js';
import { runCheck, runSelection } from '../../harness/run-check.js';
import { getTestbed } from '../../harness/testbed.js';
import { installFlyte, removeInstall, removeNamespace, type InstallOptions } from '../../infra/flyte-install.js';
import { createIfMissing, kubeCall, kubeRequest } from '../../infra/kube.js';

const ID = 'kubernetes.objects.certmanager';
const NS = 'fd-ref-cm';
const OTHER = 'fd-ref-cm-other';
const tb = () => getTestbed();
const admin = () => ({ server: tb().kube.server, caFile: tb().kube.caFile });
const tok = () => tb().kube.tokens.admin;
const dir = mkdtempSync(join(tmpdir(), 'fd-ref-cm-'));
mkdirSync(join(dir, 'home'));
let n = 0;
const file = (values: unknown): string => { const f = `values-${n++}.yaml`; writeFileSync(join(dir, f), stringify(values)); return f; };
const target = (values: unknown[], namespace = NS): Target => loadTarget({ values: values.map(file), set: [], env: {}, cwd: dir, home: join(dir, 'home'), kubeconfig: tb().kube.kubeconfig, context: 'admin', namespace });
const run = async (t: Target, phase: 'preflight' | 'verify' = 'preflight'): Promise<CheckResult> => (await runCheck(ID, t, { phase })).result;
const values = (annotations: Record<string, string>, secretName = 'fd-ref-cm-tls') => ({
  configuration: { database: { host: 'db.fdref.test' } },
  ingress: { create: true, host: 'flyte.test', ingressClassName: 'nginx', commonAnnotations: annotations, tls: [{ secretName, hosts: ['flyte.test'] }] },
});
const G = '/apis/cert-manager.io/v1';
const CRDS = [['certificates', 'Certificate', 'Namespaced'], ['issuers', 'Issuer', 'Namespaced'], ['clusterissuers', 'ClusterIssuer', 'Cluster']] as const;
const crdPath = (plural: string) => `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${plural}.cert-manager.io`;
const ok = (s: number) => s < 300 || s === 404;

async function installCrds(): Promise<void> {
  for (const [plural, kind, scope] of CRDS) {
    await createIfMissing(admin(), tok(), '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `${plural}.cert-manager.io` },
      spec: { group: 'cert-manager.io', scope, names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
        versions: [{ name: 'v1', served: true, storage: true, subresources: { status: {} }, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
    });
  }
  // Established, and served by discovery (what the check reads).
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const d = await kubeRequest<{ resources?: { name: string }[] }>(admin(), tok(), 'GET', G);
    if (d.status === 200 && CRDS.every(([p]) => d.body.resources?.some((r) => r.name === p))) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('cert-manager CRDs not served within 30 s');
}

async function removeCrds(): Promise<void> {
  for (const [plural] of CRDS) await kubeCall(admin(), tok(), 'DELETE', crdPath(plural), undefined, undefined, ok);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if ((await Promise.all(CRDS.map(([p]) => kubeRequest(admin(), tok(), 'GET', crdPath(p))))).every((r) => r.status === 404) && (await kubeRequest(admin(), tok(), 'GET', G)).status === 404) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Creates a cert-manager object and writes its status as the cert-manager controller would. */
async function cmObject(kind: 'ClusterIssuer' | 'Issuer' | 'Certificate', name: string, spec: Record<string, unknown>, ready?: { status: string; reason: string; message: string }, ns?: string): Promise<void> {
  const plural = `${kind.toLowerCase()}s`;
  const coll = ns ? `${G}/namespaces/${ns}/${plural}` : `${G}/${plural}`;
  await kubeCall(admin(), tok(), 'DELETE', `${coll}/${name}`, undefined, undefined, ok);
  await kubeCall(admin(), tok(), 'POST', coll, { apiVersion: 'cert-manager.io/v1', kind, metadata: { name, ...(ns ? { namespace: ns } : {}) }, spec });
  if (ready) {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await kubeCall(admin(), tok(), 'PATCH', `${coll}/${name}/status`, { status: { conditions: [{ type: 'Ready', ...ready, lastTransitionTime: now, observedGeneration: 1 }] } }, 'application/merge-patch+json');
  }
}

const ACME = { acme: { server: 'https://acme-staging-v02.api.letsencrypt.org/directory', email: 'ops@fdref.test', privateKeySecretRef: { name: 'fd-ref-acme' }, solvers: [{ http01: { ingress: { ingressClassName: 'nginx' } } }] } };

beforeAll(async () => {
  await removeCrds(); // a run that was interrupted may have left them
  for (const ns of [NS, OTHER]) await createIfMissing(admin(), tok(), '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
}, 60_000);
afterAll(async () => {
  for (const name of ['fd-ref-ready', 'fd-ref-failing', 'fd-ref-pending']) await kubeCall(admin(), tok(), 'DELETE', `${G}/clusterissuers/${name}`, undefined, undefined, (s) => ok(s) || s === 503);
  await removeCrds();
  for (const ns of [NS, OTHER]) await removeNamespace(tb(), ns);
}, 90_000);

describe.sequential('cert-manager annotations on the Ingress', () => {
  it('no annotation: skip (kubernetes.objects.secrets checks the TLS Secret)', async () => {
    expect(await run(target([values({})]))).toMatchObject({ status: 'skip', messageId: 'notUsed' });
  });

  it('cert-manager not installed: fail naming the annotation and the Secret it should issue; install it, or drop the annotation and create the Secret', async () => {
    const r = await run(target([values({ 'cert-manager.io/cluster-issuer': 'fd-ref-ready' })]));
    expect(r).toMatchObject({ status: 'fail', messageId: 'notInstalled', cause: cause.object('apigroup', undefined, 'cert-manager.io') });
    expect(r.message).toMatch(/^the Ingress annotation cert-manager\.io\/cluster-issuer: fd-ref-ready \(values-\d+\.yaml: ingress\.commonAnnotations\.cert-manager\.io\/cluster-issuer\) asks cert-manager for the TLS certificate \(Secret fd-ref-cm-tls\), but cert-manager is not installed: the API group cert-manager\.io is not served/);
    expect(r.hint).toContain('helm install cert-manager cert-manager --repo https://charts.jetstack.io');
    expect(r.hint).toContain('`ingress.commonAnnotations.cert-manager.io/cluster-issuer`');
    expect(r.hint).toContain(`-n ${NS} create secret tls <name>`);
  });

  it('with cert-manager\'s CRDs (loaded by this test) and issuers whose status is written as its controller would', async () => {
    await installCrds();
    await cmObject('ClusterIssuer', 'fd-ref-ready', ACME, { status: 'True', reason: 'ACMEAccountRegistered', message: 'The ACME account was registered with the ACME server' });
    await cmObject('ClusterIssuer', 'fd-ref-failing', ACME, { status: 'False', reason: 'ErrRegisterACMEAccount', message: 'Failed to register ACME account: 400 urn:ietf:params:acme:error:invalidContact: Error validating contact(s)' });
    await cmObject('ClusterIssuer', 'fd-ref-pending', { selfSigned: {} });
    await cmObject('Issuer', 'fd-ref-ns-issuer', { selfSigned: {} }, { status: 'True', reason: 'IsReady', message: 'ok' }, OTHER);

    const ready = await run(target([values({ 'cert-manager.io/cluster-issuer': 'fd-ref-ready' })]));
    expect(ready).toMatchObject({ status: 'pass', messageId: 'issuerReady', message: 'ClusterIssuer fd-ref-ready exists and is Ready (acme https://acme-staging-v02.api.letsencrypt.org/directory)' });

    const failing = await run(target([values({ 'cert-manager.io/cluster-issuer': 'fd-ref-failing' })]));
    expect(failing).toMatchObject({ status: 'fail', messageId: 'issuerNotReady', cause: cause.object('clusterissuer', undefined, 'fd-ref-failing') });
    expect(failing.message).toBe('ClusterIssuer fd-ref-failing (acme https://acme-staging-v02.api.letsencrypt.org/directory) is not Ready (Ready=False, ErrRegisterACMEAccount: Failed to register ACME account: 400 urn:ietf:params:acme:error:invalidContact: Error validating contact(s)): no certificate will be issued');
    expect(failing.hint).toContain('describe clusterissuer fd-ref-failing');

    const pending = await run(target([values({ 'cert-manager.io/cluster-issuer': 'fd-ref-pending' })]));
    expect(pending).toMatchObject({ status: 'warn', messageId: 'issuerPending' });
    expect(pending.hint).toContain('kubectl get pods -n cert-manager');
  });

  it('a ClusterIssuer that does not exist: fail listing the ones that do', async () => {
    const r = await run(target([values({ 'cert-manager.io/cluster-issuer': 'fd-ref-nope' })]));
    expect(r).toMatchObject({ status: 'fail', messageId: 'issuerMissing', cause: cause.object('clusterissuer', undefined, 'fd-ref-nope') });
    expect(r.message).toContain('ClusterIssuer fd-ref-nope does not exist');
    expect(r.message).toMatch(/ClusterIssuers: .*fd-ref-ready/);
  });

  it('cert-manager.io/issuer naming a ClusterIssuer: the wrong annotation key, with the right one', async () => {
    const r = await run(target([values({ 'cert-manager.io/issuer': 'fd-ref-ready' })]));
    expect(r).toMatchObject({ status: 'fail', messageId: 'issuerKindMismatch', cause: cause.object('issuer', NS, 'fd-ref-ready') });
    expect(r.hint).toBe('use `cert-manager.io/cluster-issuer: fd-ref-ready` instead of `cert-manager.io/issuer` (`ingress.commonAnnotations.cert-manager.io/issuer`)');
  });

  it('an Issuer that exists only in another namespace: named (an Issuer issues only in its own namespace)', async () => {
    const r = await run(target([values({ 'cert-manager.io/issuer': 'fd-ref-ns-issuer' })]));
    expect(r).toMatchObject({ status: 'fail', messageId: 'issuerMissing' });
    expect(r.message).toContain(`an Issuer of that name exists in ${OTHER}/fd-ref-ns-issuer, but an Issuer issues only in its own namespace`);
    expect(r.hint).toContain(`create the Issuer in ${NS} too`);
  });

  it('an issuer of another group: warn, not read', async () => {
    const r = await run(target([values({ 'cert-manager.io/issuer': 'fd-ref-pca', 'cert-manager.io/issuer-group': 'awspca.cert-manager.io', 'cert-manager.io/issuer-kind': 'AWSPCAClusterIssuer' })]));
    expect(r).toMatchObject({ status: 'warn', messageId: 'externalIssuer' });
  });

  it('preflight: the TLS Secret cert-manager will issue is expected to be missing (kubernetes.objects.secrets passes)', async () => {
    const r = (await runCheck('kubernetes.objects.secrets', target([values({ 'cert-manager.io/cluster-issuer': 'fd-ref-ready' })]))).result;
    expect(r).toMatchObject({ status: 'pass', messageId: 'issuedByCertManager' });
  });
});

describe.sequential('verify: the Certificate of the TLS Secret', () => {
  const o: InstallOptions = { namespace: 'fd-ref-cm-inst', release: 'fdref' };
  const ns = o.namespace!;
  const cert = (ready?: { status: string; reason: string; message: string }) => cmObject('Certificate', 'fd-ref-cm-tls', { secretName: 'fd-ref-cm-tls', dnsNames: ['flyte.test'], issuerRef: { name: 'fd-ref-ready', kind: 'ClusterIssuer', group: 'cert-manager.io' } }, ready, ns);
  beforeAll(async () => { await removeInstall(tb(), 'flyte-binary', o); await installFlyte(tb(), 'flyte-binary', o); }, 90_000);
  afterAll(async () => { await kubeCall(admin(), tok(), 'DELETE', `${G}/namespaces/${ns}/certificates/fd-ref-cm-tls`, undefined, undefined, (s) => ok(s) || s === 503); await removeInstall(tb(), 'flyte-binary', o); }, 60_000);

  it('no Certificate: fail, and the missing Secret points at it (one root cause)', async () => {
    const t = target([values({ 'cert-manager.io/cluster-issuer': 'fd-ref-ready' })], ns);
    const r = await run(t, 'verify');
    expect(r).toMatchObject({ status: 'fail', messageId: 'certificateMissing', cause: cause.object('secret', ns, 'fd-ref-cm-tls') });
    const all = await runSelection(t, 'verify', [ID, 'kubernetes.objects.secrets']);
    const sec = all.results.find((x) => x.id === 'kubernetes.objects.secrets')!;
    expect(sec).toMatchObject({ status: 'fail', messageId: 'missing', explainedBy: ID });
    expect(all.results.find((x) => x.id === ID)!.rootCause).toBe(true);
  });

  it('a Certificate that is not Ready: its reason and message quoted', async () => {
    await cert({ status: 'False', reason: 'DoesNotExist', message: 'Issuing certificate as Secret does not exist' });
    const r = await run(target([values({ 'cert-manager.io/cluster-issuer': 'fd-ref-ready' })], ns), 'verify');
    expect(r).toMatchObject({ status: 'fail', messageId: 'certificateNotReady' });
    expect(r.message).toContain(`Certificate ${ns}/fd-ref-cm-tls is not Ready (Ready=False): DoesNotExist: Issuing certificate as Secret does not exist`);
    expect(r.hint).toContain('get certificaterequests,orders,challenges');
  });

  it('Ready and the Secret issued: pass (and the Secret check passes)', async () => {
    await cert({ status: 'True', reason: 'Ready', message: 'Certificate is up to date and has not expired' });
    await createIfMissing(admin(), tok(), `/api/v1/namespaces/${ns}/secrets`, { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'fd-ref-cm-tls', namespace: ns }, data: { 'tls.crt': Buffer.from('c').toString('base64'), 'tls.key': Buffer.from('k').toString('base64') } });
    const t = target([values({ 'cert-manager.io/cluster-issuer': 'fd-ref-ready' })], ns);
    const r = await run(t, 'verify');
    expect(r).toMatchObject({ status: 'pass', messageId: 'issuerReady' });
    expect(r.message).toBe(`ClusterIssuer fd-ref-ready exists and is Ready (acme https://acme-staging-v02.api.letsencrypt.org/directory); Certificate ${ns}/fd-ref-cm-tls is Ready, Secret fd-ref-cm-tls exists`);
    expect((await runCheck('kubernetes.objects.secrets', t, { phase: 'verify' })).result).toMatchObject({ status: 'pass', messageId: 'present' });
  });
});
