// The verify-only Flyte component checks against the test bed's kube-apiserver, with the REAL rendered
// chart manifests loaded by test/infra/flyte-install.ts (status written as controllers would).
// Sequential: the cases change the shared install and restore it.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Target } from '../../../src/config/target.js';
import type { CheckResult } from '../../../src/engine/types.js';
import { installFlyte, makeReady, makeUnready, removeCrd, uninstallFlyte } from '../../infra/flyte-install.js';
import { runCheck, runSelection } from '../../harness/run-check.js';
import { makeTarget } from '../../harness/target.js';
import { getTestbed } from '../../harness/testbed.js';
import { applyFlyteMigrations } from '../../infra/testbed.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');

const IDS = ['flyte.crd.established', 'flyte.deployments.ready', 'flyte.projects.namespaces', 'flyte.services.endpoints', 'flyte.webhook.configured'];
const tb = () => getTestbed();
const target = (over: Partial<Target> = {}): Target =>
  makeTarget({ ...over, kubernetes: { kubeconfigPath: tb().kube.kubeconfig, context: 'admin', namespace: 'flyte', release: 'flyte', ...(over.kubernetes ?? {}) } } as never);
const verify = async (t: Target): Promise<Record<string, CheckResult>> => {
  const run = await runSelection(t, 'verify', IDS);
  return Object.fromEntries(run.results.map((r) => [r.id, r]));
};
const shaped = (r: CheckResult) => {
  expect(r.hint, `${r.id}: ${r.message}`).toBeTruthy();
  expect(r.messageId).toBeTruthy();
  expect(r.details).toBeTruthy();
};

describe.sequential('flyte verify checks', () => {
  afterAll(async () => {
    // Leave the shared test bed as global setup made it: flyte-binary healthy, flyte-core gone.
    await uninstallFlyte(tb(), 'flyte-core');
    await installFlyte(tb(), 'flyte-binary');
  });

  it('healthy flyte-binary install: every component check passes', async () => {
    await installFlyte(tb(), 'flyte-binary');
    const r = await verify(target({ chart: 'flyte-binary' }));
    for (const id of IDS) expect(r[id]!.status, `${id}: ${r[id]!.message}`).toBe('pass');
    expect(r['flyte.deployments.ready']!.message).toContain('flyte-flyte-binary');
    expect(r['flyte.services.endpoints']!.message).toContain('flyte-flyte-binary-webhook (1 ready)');
    expect(r['flyte.webhook.configured']!.message).toContain('Service flyte/flyte-flyte-binary-webhook:443/mutate--v1-pod');
    expect(r['flyte.projects.namespaces']!.details!.checked).toEqual(['flytesnacks-development', 'flytesnacks-staging', 'flytesnacks-production']);
  });

  it('flyte-binary under another release name than the target\'s default is found by its chart label', async () => {
    const r = await verify(target({ chart: 'flyte-binary', kubernetes: { release: 'flyte-backend' } as never }));
    for (const id of IDS) expect(r[id]!.status, `${id}: ${r[id]!.message}`).toBe('pass');
    expect(r['flyte.deployments.ready']!.message).toContain('(release "flyte" found by label)');
    expect(r['flyte.deployments.ready']!.details!.detected).toBe('no Deployment flyte-backend-flyte-binary (release "flyte-backend"); using flyte-flyte-binary, the only flyte-binary Deployment (release "flyte")');
  });

  it('healthy flyte-core install: all seven Deployments available, Services served, webhook registered', async () => {
    await installFlyte(tb(), 'flyte-core');
    const r = await verify(target({ chart: 'flyte-core' }));
    for (const id of IDS) expect(r[id]!.status, `${id}: ${r[id]!.message}`).toBe('pass');
    expect((r['flyte.deployments.ready']!.details!.ready as string[]).sort()).toEqual(['datacatalog', 'flyte-pod-webhook', 'flyteadmin', 'flyteconsole', 'flytepropeller', 'flytescheduler', 'syncresources']);
    expect(r['flyte.webhook.configured']!.message).toContain('flyte-pod-webhook');
  });

  it('one component unready: its reason, the last termination and the Service without endpoints are shown', async () => {
    await makeUnready(tb(), 'datacatalog', 'CrashLoopBackOff');
    await makeUnready(tb(), 'flyteconsole', 'ImagePullBackOff');
    try {
      const r = await verify(target({ chart: 'flyte-core' }));
      const d = r['flyte.deployments.ready']!;
      expect(d).toMatchObject({ status: 'fail', messageId: 'notReady' });
      expect(d.message).toContain('2 Flyte Deployment(s) not ready in flyte');
      expect(d.message).toContain('datacatalog: CrashLoopBackOff (container datacatalog of pod datacatalog-testbed-0)');
      expect(d.message).toContain('7 restarts; last termination: Error, exit 1');
      expect(d.message).toMatch(/flyteconsole: ImagePullBackOff \(container flyteconsole of pod flyteconsole-testbed-0\): Back-off pulling image "[^"]+"/);
      expect(d.hint).toContain('logs datacatalog-testbed-0 -c datacatalog --previous');
      shaped(d);
      const s = r['flyte.services.endpoints']!;
      expect(s).toMatchObject({ status: 'fail', messageId: 'noReadyEndpoints' });
      expect(s.message).toContain('datacatalog: no ready endpoints (1 not ready)');
      expect(s.message).toContain('flyteconsole: no ready endpoints (1 not ready)');
      shaped(s);
      expect(r['flyte.webhook.configured']!.status).toBe('pass');
    } finally {
      await makeReady(tb(), 'datacatalog');
      await makeReady(tb(), 'flyteconsole');
    }
    expect((await runCheck('flyte.deployments.ready', target({ chart: 'flyte-core' }))).result.status).toBe('pass');
  });

  it('no Flyte installed in the target namespace: verify fails clearly', async () => {
    const r = await verify(target({ chart: 'flyte-binary', projects: ['ghost'], kubernetes: { release: 'nothing-here', namespace: 'flytesnacks-staging' } as never }));
    const d = r['flyte.deployments.ready']!;
    expect(d).toMatchObject({ status: 'fail', messageId: 'notInstalled' });
    expect(d.message).toBe('no flyte-binary Deployments in namespace flytesnacks-staging (expected nothing-here-flyte-binary; found none)');
    expect(d.hint).toContain('helm list -A');
    shaped(d);
    expect(r['flyte.services.endpoints']).toMatchObject({ status: 'fail', messageId: 'serviceMissing' });
    expect(r['flyte.services.endpoints']!.message).toContain('nothing-here-flyte-binary-http: Service missing');
    expect(r['flyte.webhook.configured']).toMatchObject({ status: 'fail', messageId: 'notRegistered' });
    expect(r['flyte.webhook.configured']!.message).toContain('nothing-here-flyte-binary-webhook does not exist');
    const p = r['flyte.projects.namespaces']!;
    expect(p).toMatchObject({ status: 'fail', messageId: 'missing' });
    expect(p.message).toContain('failed to create workflow in propeller namespaces \\"ghost-development\\" not found');
    expect(p.details!.missing).toEqual(['ghost-development', 'ghost-production', 'ghost-staging']);
    for (const id of ['flyte.services.endpoints', 'flyte.webhook.configured', 'flyte.projects.namespaces']) shaped(r[id]!);
  });

  it('CRD missing: flyte.crd.established fails with the chart-specific fix', async () => {
    await removeCrd(tb());
    try {
      const b = (await runCheck('flyte.crd.established', target({ chart: 'flyte-binary' }))).result;
      expect(b).toMatchObject({ status: 'fail', messageId: 'crdMissing' });
      expect(b.message).toBe('CRD flyteworkflows.flyte.lyft.com does not exist; flyteadmin cannot create executions');
      expect(b.hint).toContain('configuration.propeller.createCRDs');
      shaped(b);
      const c = (await runCheck('flyte.crd.established', target({ chart: 'flyte-core' }))).result;
      expect(c.hint).toContain('charts/flyte-core/crds/flyteworkflow.yaml');
    } finally {
      await installFlyte(tb(), 'flyte-binary');
    }
    expect((await runCheck('flyte.crd.established', target())).result.status).toBe('pass');
  });

  it('an unreachable API server skips every component check behind kubernetes.api.reachable', async () => {
    const run = await runSelection(target({ kubernetes: { context: 'stalled' } as never }), 'verify', IDS, { timeoutMs: 1500 });
    for (const id of IDS) expect(run.results.find((r) => r.id === id)).toMatchObject({ status: 'skip', blockedBy: 'kubernetes.api.reachable' });
  });

  it('the bundled CLI: `verify` with the test bed\'s generated inputs passes on a healthy flyte-binary install (testbed:up --install)', async () => {
    await installFlyte(tb(), 'flyte-binary');
    await applyFlyteMigrations(tb());
    const dir = tb().dir;
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'flyte-doctor.mjs'), 'verify', '-f', join(dir, 'values.yaml'), '--flytectl-config', join(dir, 'flytectl.yaml'),
      '--kubeconfig', join(dir, 'kubeconfig'), '--dns-server', tb().dns.server, '-o', 'json'], { encoding: 'utf8', cwd: ROOT, env: { PATH: process.env.PATH, HOME: dir }, timeout: 60_000 });
    const doc = JSON.parse(r.stdout) as { results: CheckResult[] };
    // the pinned test-bed API server is out of upstream support by date: its warning is expected
    const bad = doc.results.filter((x) => x.status === 'fail' || x.status === 'error' || (x.status === 'warn' && x.id !== 'kubernetes.version.supported'));
    expect(bad.map((x) => `${x.id} ${x.status}: ${x.message}`)).toEqual([]);
    expect(r.status, r.stderr).toBe(0);
    for (const id of [...IDS, 'flyte.admin.grpc', 'flyte.admin.http', 'database.postgres.migrations']) expect(doc.results.filter((x) => x.id === id).map((x) => x.status), id).toContain('pass');
  });
});
