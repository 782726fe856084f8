// kubernetes.rbac.install when an authorizer other than RBAC (a webhook or policy engine) explicitly
// denies a right: the SelfSubjectAccessReview answers allowed=false, denied=true and a reason. No
// RoleBinding or ClusterRoleBinding overrides an explicit deny, so "bind cluster-admin" is the wrong fix:
// the finding must say it is a deny, name the authorizer's reason, and send the user to the policy owner.
// Served by an API server of our own on 127.0.0.1 (the bed's kube-apiserver has no webhook authorizer).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTarget } from '../../../src/config/load.js';
import { startApiServer, type ApiServer } from '../../harness/api-server.js';
import { runCheck } from '../../harness/run-check.js';

const dir = mkdtempSync(join(tmpdir(), 'fd-hx-r-deny-'));
mkdirSync(join(dir, 'home'));
let server: ApiServer;
let kubeconfig: string;
/** 'deny': the webhook denies cluster-scoped RBAC and CRDs; 'norule': RBAC alone, no rule grants them. */
let mode: 'deny' | 'norule' = 'deny';
const REASON = 'gatekeeper-authz: tenants may not manage cluster-scoped RBAC';

beforeAll(async () => {
  server = await startApiServer(dir, { token: 'fd-hx-r-token-7311', user: 'tenant', route: (path, _req, body) => {
    if (path === '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews') {
      return { status: 201, body: { kind: 'SelfSubjectRulesReview', apiVersion: 'authorization.k8s.io/v1', status: { resourceRules: [], nonResourceRules: [], incomplete: true, evaluationError: 'webhook authorizer does not support user rule resolution' } } };
    }
    if (path === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews') {
      const spec = (JSON.parse(body.toString('utf8')) as { spec: { resourceAttributes: { group: string; resource: string; namespace?: string } } }).spec.resourceAttributes;
      const cluster = !spec.namespace && ['rbac.authorization.k8s.io', 'apiextensions.k8s.io'].includes(spec.group);
      const status = !cluster ? { allowed: true, reason: 'RBAC: allowed by RoleBinding "tenant/flyte"' }
        : mode === 'deny' ? { allowed: false, denied: true, reason: REASON } : { allowed: false };
      return { status: 201, body: { kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', spec: { resourceAttributes: spec }, status } };
    }
    return undefined;
  } });
  kubeconfig = server.kubeconfig;
});
afterAll(async () => { await server.stop(); });

const run = async () => {
  writeFileSync(join(dir, 'v.yaml'), stringify({ configuration: { database: { host: 'db.fdref.test' } } }));
  const t = loadTarget({ values: ['v.yaml'], set: [], env: {}, cwd: dir, home: join(dir, 'home'), kubeconfig, namespace: 'flyte' });
  return (await runCheck('kubernetes.rbac.install', t, { phase: 'preflight' })).result;
};

describe('kubernetes.rbac.install: an explicit deny by a webhook authorizer vs a missing binding', () => {
  it('explicit deny: deniedByPolicy naming the reason, and no "bind cluster-admin" fix', async () => {
    mode = 'deny';
    const r = await run();
    expect(r, r.message).toMatchObject({ status: 'fail', messageId: 'deniedByPolicy' });
    expect(r.message).toContain(`reason: ${REASON}`);
    expect(r.message).toContain('clusterroles.rbac.authorization.k8s.io (cluster-wide)');
    expect(r.message).toContain('customresourcedefinitions.apiextensions.k8s.io (cluster-wide)');
    expect(r.hint).toContain('will not help');
    expect(r.hint).toContain('auth can-i');
    expect(r.hint).not.toMatch(/^have a cluster admin grant them/);
    expect((r.details as { denied: string[] }).denied.length).toBeGreaterThan(0);
    expect(JSON.stringify(r)).not.toContain('fd-hx-r-token-7311');
  });
  it('no rule grants it (no deny): missingPermissions with the clusterrolebinding fix', async () => {
    mode = 'norule';
    const r = await run();
    expect(r, r.message).toMatchObject({ status: 'fail', messageId: 'missingPermissions' });
    expect(r.hint).toContain('kubectl create clusterrolebinding flyte-installer --clusterrole=cluster-admin');
    expect(r.message).toContain('clusterroles.rbac.authorization.k8s.io (cluster-wide)');
  });
});
