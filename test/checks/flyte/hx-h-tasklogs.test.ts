// Task-log templates that name a variable Flyte knows in a spelling Flyte does not substitute (its regex
// is `(?i){{\s*[.$]name\s*}}`): no leading dot, Go trim markers, unbalanced braces. Before: `{{ podName }}`
// passed (wellFormed) and `{{ .podName }` was "has no pod variable, add the pod" (a fix asking to add
// what is there). Now: malformedVariable, naming the spelling and the one that works.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTarget } from '../../../src/config/load.js';
import type { Target } from '../../../src/config/target.js';
import { cause } from '../../../src/engine/causes.js';
import { runCheck } from '../../harness/run-check.js';

const dir = mkdtempSync(join(tmpdir(), 'hx-h-tl-'));
let n = 0;
const target = (values: unknown, chart?: 'flyte-core' | 'flyte-binary'): Target => {
  const f = join(dir, `v${n++}.yaml`);
  writeFileSync(f, stringify(values));
  return loadTarget({ values: [f], set: [], env: {}, cwd: dir, home: join(dir, 'home'), namespace: 'flyte', ...(chart ? { chart } : {}) } as Parameters<typeof loadTarget>[0]);
};
const ID = 'flyte.tasklogs.config';
const KEY = 'configuration.logging.plugins.kubernetes.templateUri';
const binary = (templateUri: string) => target({ configuration: { database: { host: 'db.hxh.test' }, logging: { plugins: { kubernetes: { enabled: true, templateUri } } } } });
const run = async (t: Target) => (await runCheck(ID, t, { phase: 'preflight' })).result;

describe('hx-h: flyte.tasklogs.config, variables Flyte does not substitute', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('no leading dot: {{ podName }} is a failure, not a pass', async () => {
    const r = await run(binary('https://dash.hxh.test/#/log/{{ namespace }}/{{ podName }}/pod'));
    expect(r, r.message).toMatchObject({ status: 'fail', messageId: 'malformedVariable', cause: cause.config(KEY) });
    expect(r.message).toContain('"{{ podName }}" (the variable has no leading dot)');
    expect(r.hint).toContain('{{ .podName }} instead of {{ podName }}');
    expect(r.hint).toContain(KEY);
  });

  it('unbalanced braces: the cause is the spelling, not "add the pod" (which is there)', async () => {
    for (const bad of ['{{ .podName }', '{ .podName }}', '{ .podName }']) {
      const r = await run(binary(`https://dash.hxh.test/#/log/{{ .namespace }}/${bad}/pod`));
      expect(r, r.message).toMatchObject({ status: 'fail', messageId: 'malformedVariable' });
      expect(r.message).toContain(`"${bad}" (its braces are unbalanced`);
      expect(r.hint).not.toContain('add the pod');
      expect(r.hint).toContain(`{{ .podName }} instead of ${bad}`);
    }
  });

  it('Go trim markers {{- .x -}}: not substituted by Flyte', async () => {
    const r = await run(binary('https://dash.hxh.test/#/log/{{- .namespace -}}/{{ .podName }}/pod'));
    expect(r, r.message).toMatchObject({ status: 'fail', messageId: 'malformedVariable' });
    expect(r.message).toContain('"{{- .namespace -}}"');
  });

  it('the spellings Flyte accepts still pass: {{.x}}, {{ $x }}, any case', async () => {
    const r = await run(binary('https://dash.hxh.test/#/log/{{.namespace}}/{{ $podName }}/{{ .ContainerName }}'));
    expect(r, r.message).toMatchObject({ status: 'pass', messageId: 'wellFormed' });
    expect(r.message).toContain('https://dash.hxh.test/#/log/flytesnacks-development/f7a1c2b3d4e5f6a7b8c9-n0-0/');
  });
});
