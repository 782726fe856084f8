// The pod webhook's caBundle against the serving certificate it really serves (its Secret), on the REAL
// kube-apiserver: a registration whose caBundle is a valid, unexpired CA that did NOT sign the serving
// certificate (a stale registration, another install's, a Secret regenerated after it) makes the API server
// reject every Flyte task pod requesting secrets with "x509: certificate signed by unknown authority"; a
// serving certificate issued for another Service name fails the same way. Both passed before.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../../src/config/target.js';
import { cause } from '../../../src/engine/causes.js';
import { installFlyte, patchObject, registerWebhook, removeInstall, type Install, type InstallOptions } from '../../infra/flyte-install.js';
import { kubeCall, kubeRequest } from '../../infra/kube.js';
import { runCheck } from '../../harness/run-check.js';
import { makeTarget } from '../../harness/target.js';
import { getTestbed } from '../../harness/testbed.js';

const tb = () => getTestbed();
const o: InstallOptions = { namespace: 'hx-h-wh', release: 'hx-h' };
let inst: Install;
let dir: string;
const t = (): Target => makeTarget({ chart: 'flyte-binary', kubernetes: { kubeconfigPath: tb().kube.kubeconfig, context: 'admin', namespace: o.namespace!, release: o.release! } } as never);
const webhook = async () => (await runCheck('flyte.webhook.configured', t())).result;
const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
const b64 = (f: string) => readFileSync(join(dir, f)).toString('base64');

function makeCa(name: string): void {
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '30', '-subj', `/CN=${name}`);
}
function makeLeaf(name: string, ca: string, host: string): void {
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=DNS:${host}\n`);
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${host}`);
  ssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '30', '-extfile', `${name}.ext`);
}

const kube = () => ({ server: tb().kube.server, caFile: tb().kube.caFile });
async function putSecret(name: string, data: Record<string, string>): Promise<void> {
  const path = `/api/v1/namespaces/${o.namespace}/secrets`;
  await kubeRequest(kube(), tb().kube.tokens.admin, 'DELETE', `${path}/${name}`);
  await kubeCall(kube(), tb().kube.tokens.admin, 'POST', path, { apiVersion: 'v1', kind: 'Secret', metadata: { name }, type: 'kubernetes.io/tls', data });
}
async function setCaBundle(caBundle: string): Promise<void> {
  const svc = `${inst.fullname}-webhook`;
  await patchObject(tb(), 'MutatingWebhookConfiguration', inst.webhook, { webhooks: [{ name: 'flyte-pod-webhook.flyte.org', admissionReviewVersions: ['v1'], sideEffects: 'None', failurePolicy: 'Fail', clientConfig: { service: { name: svc, namespace: o.namespace, path: '/mutate--v1-pod', port: 443 }, caBundle } }] });
}

describe.sequential('hx-h: the webhook caBundle against its serving certificate, on the real API server', () => {
  beforeAll(async () => {
    await removeInstall(tb(), 'flyte-binary', o);
    inst = await installFlyte(tb(), 'flyte-binary', { ...o, db: { host: tb().postgres.host, port: tb().postgres.port, user: 'flyte_owner' } });
    dir = mkdtempSync(join(tmpdir(), 'hx-h-'));
    const host = `${inst.fullname}-webhook.${o.namespace}.svc`;
    makeCa('ca1'); makeCa('ca2');
    makeLeaf('good', 'ca1', host);
    makeLeaf('otherhost', 'ca1', `flyte-pod-webhook.${o.namespace}.svc`);
  }, 90_000);
  afterAll(async () => { if (dir) rmSync(dir, { recursive: true, force: true }); await removeInstall(tb(), 'flyte-binary', o); }, 60_000);

  const secret = () => `${inst.fullname}-webhook-secret`;

  it('the caBundle signs the serving certificate, valid for <service>.<ns>.svc: pass, saying so; the key is never echoed', async () => {
    await putSecret(secret(), { 'ca.crt': b64('ca1.crt'), 'tls.crt': b64('good.crt'), 'tls.key': b64('good.key') });
    await setCaBundle(b64('ca1.crt'));
    const r = await webhook();
    expect(r, r.message).toMatchObject({ status: 'pass', messageId: 'configured' });
    expect(r.message).toContain(`signs the serving certificate of Secret ${secret()}, valid for ${inst.fullname}-webhook.${o.namespace}.svc`);
    const key = readFileSync(join(dir, 'good.key'), 'utf8');
    const all = JSON.stringify(r);
    expect(all).not.toContain(b64('good.key').slice(0, 40));
    expect(all).not.toContain(key.split('\n')[1]!);
  });

  it('a caBundle from another CA than the one that signed the serving certificate: caBundleMismatch, restart re-registers from the Secret', async () => {
    await putSecret(secret(), { 'ca.crt': b64('ca1.crt'), 'tls.crt': b64('good.crt'), 'tls.key': b64('good.key') });
    await setCaBundle(b64('ca2.crt'));
    const r = await webhook();
    expect(r, r.message).toMatchObject({ status: 'fail', messageId: 'caBundleMismatch', cause: cause.object('mutatingwebhookconfiguration', undefined, inst.webhook) });
    expect(r.message).toContain('CN=ca2');
    expect(r.message).toContain('issued by CN=ca1');
    expect(r.message).toContain('x509: certificate signed by unknown authority');
    expect(r.hint).toContain(`rollout restart deploy/${inst.fullname}`);
    expect(r.hint).not.toContain('delete secret');
    expect(r.details).toMatchObject({ secretCaSignsServingCert: true });
  });

  it('the Secret itself is inconsistent (its ca.crt did not sign tls.crt either): regenerate the Secret', async () => {
    await putSecret(secret(), { 'ca.crt': b64('ca2.crt'), 'tls.crt': b64('good.crt'), 'tls.key': b64('good.key') });
    await setCaBundle(b64('ca2.crt'));
    const r = await webhook();
    expect(r, r.message).toMatchObject({ status: 'fail', messageId: 'caBundleMismatch' });
    expect(r.hint).toContain(`delete secret ${secret()}`);
  });

  it('a serving certificate issued for another Service name: servingCertWrongHost, naming the host and the SANs', async () => {
    await putSecret(secret(), { 'ca.crt': b64('ca1.crt'), 'tls.crt': b64('otherhost.crt'), 'tls.key': b64('otherhost.key') });
    await setCaBundle(b64('ca1.crt'));
    const r = await webhook();
    expect(r, r.message).toMatchObject({ status: 'fail', messageId: 'servingCertWrongHost' });
    expect(r.message).toContain(`not valid for ${inst.fullname}-webhook.${o.namespace}.svc`);
    expect(r.message).toContain(`DNS:flyte-pod-webhook.${o.namespace}.svc`);
    expect(r.hint).toContain('webhook.serviceName');
  });

  it('no Secret to compare with: still a pass on the registration, saying the serving certificate was not compared', async () => {
    await kubeRequest(kube(), tb().kube.tokens.admin, 'DELETE', `/api/v1/namespaces/${o.namespace}/secrets/${secret()}`);
    await registerWebhook(tb(), 'flyte-binary', o);
    const r = await webhook();
    expect(r, r.message).toMatchObject({ status: 'pass', messageId: 'configured' });
    expect(r.message).toContain('was not compared with the caBundle');
  });
});
