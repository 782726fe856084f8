// values.inputs.server-config through the loader and the real engine: a Flyte server config with a
// setting Flyte ignores or refuses (stow kind without its config, no container, an accesskey auth
// without its key) is a warn naming key and file; a clean one passes; without one it is skipped.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinChecks } from '../../../checks/index.js';
import { loadTarget } from '../../../src/config/load.js';
import { plan } from '../../../src/engine/plan.js';
import { runChecks } from '../../../src/engine/run.js';
import { SHARED_FIXTURES } from '../../harness/fixtures.js';
import { assertDeclared } from '../../harness/run-check.js';

const ID = 'values.inputs.server-config';
const dir = mkdtempSync(join(tmpdir(), 'fd-srvcfg-'));
const file = (name: string, text: string) => { const f = join(dir, name); writeFileSync(f, text); return f; };
async function result(serverConfigs: string[], manifests?: string) {
  const t = loadTarget({ values: [], set: [], serverConfigs, ...(manifests ? { manifests } : {}), env: {}, cwd: dir, home: join(dir, 'home') });
  const r = await runChecks({ target: t, plan: plan(builtinChecks, 'preflight', { only: [ID] }, t), timeoutMs: 2000, concurrency: 2 });
  assertDeclared(r);
  return r.results.find((x) => x.id === ID)!;
}

describe(ID, () => {
  it('stow kind without its config and no container: a warn naming each key and the file', async () => {
    const f = file('admin.yaml', 'database:\n  postgres:\n    host: db.internal\n    username: flyte\n    dbname: flyte\nstorage:\n  type: stow\n  stow:\n    kind: s3\n');
    const r = await result([f]);
    expect(r).toMatchObject({ status: 'warn', messageId: 'ignoredOrRefused' });
    expect(r.message).toContain('storage.stow.kind is s3 but storage.stow.config is empty');
    expect(r.message).toContain('storage.container is not set');
    expect(r.message).toContain(`(${f}: storage.stow.config)`);
    expect(r.hint).toContain('storage.stow.config');
  });

  it("flyteadmin's real config (../shared/fixtures) passes, naming what was read; no server config: skip", async () => {
    const f = join(SHARED_FIXTURES, 'flyte-server-config', 'flyteadmin__flyteadmin_config.yaml');
    expect(await result([f])).toMatchObject({ status: 'pass', messageId: 'clean' });
    expect(await result([])).toMatchObject({ status: 'skip', messageId: 'none' });
  });

  it('rendered manifests whose Deployment reads a config file the manifests do not contain: a warn naming it', async () => {
    const m = file('partial.yaml', [
      'apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: flyteadmin, namespace: flyte, labels: {app.kubernetes.io/name: flyteadmin}}',
      'spec:', '  selector: {matchLabels: {app: a}}', '  template:', '    metadata: {labels: {app: a}}', '    spec:', '      containers:',
      '      - name: flyteadmin', '        image: x', '        args: [--config, /etc/flyte/config/*.yaml, serve]', '        volumeMounts: [{name: base-config-volume, mountPath: /etc/flyte/config}]',
      '      volumes: [{name: base-config-volume, configMap: {name: flyte-admin-base-config}}]', '',
    ].join('\n'));
    const r = await result([], m);
    expect(r.status).toBe('warn');
    expect(r.message).toContain('flyte-admin-base-config');
  });
});
