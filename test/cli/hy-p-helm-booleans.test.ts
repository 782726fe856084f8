// End to end: a quoted "false" at a key the chart tests with `if` is what Helm installs (the Ingress),
// the target says so, and the run warns naming the key, the file and the unquoted fix.
// And a values file of two YAML documents is one line and exit 2, not the parser's advice.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tmpFiles } from './helpers.js';

const dir = tmpFiles({
  'quoted.yaml': 'configuration:\n  database:\n    host: db.example.internal\ningress:\n  create: "false"\n  host: flyte.example.internal\n',
  'two-docs.yaml': 'configuration:\n  database:\n    host: db.example.internal\n---\ningress:\n  create: true\n',
  'trailing.yaml': 'configuration:\n  database:\n    host: db.example.internal\n---\n',
});

describe('a quoted boolean Helm reads as true', () => {
  it('--dry-run shows the Ingress Helm creates; values.inputs.keys warns with the fix', async () => {
    const dry = await runCli(['preflight', '-f', join(dir, 'quoted.yaml'), '--dry-run', '-o', 'json'], { cwd: dir });
    expect(dry.code, dry.stderr).toBe(0);
    const fields = JSON.parse(dry.stdout).target.fields as { field: string; value: unknown; source: string }[];
    expect(fields.find((f) => f.field === 'ingress.enabled')).toMatchObject({ value: 'true', source: `${join(dir, 'quoted.yaml')}: ingress.create` });

    const r = await runCli(['preflight', '-f', join(dir, 'quoted.yaml'), '--only', 'values.inputs.keys', '-o', 'json'], { cwd: dir });
    expect(r.stderr).toBe('');
    const res = JSON.parse(r.stdout).results.find((x: { id: string }) => x.id === 'values.inputs.keys');
    expect(res).toMatchObject({ status: 'warn', messageId: 'helmBoolean', cause: 'config:ingress.create' });
    expect(res.message).toMatch(/ingress\.create: "false" \(.*quoted\.yaml\) is a quoted string, and the chart's `if` reads any non-empty string as true: the chart creates the Ingress/);
    expect(res.hint).toBe(`write create: false without quotes at ingress.create in ${join(dir, 'quoted.yaml')}`);
  });
});

describe('several YAML documents in a values file', () => {
  it('content after `---`: exit 2, one line, at the separator, saying helm would ignore it', async () => {
    const r = await runCli(['preflight', '-f', join(dir, 'two-docs.yaml'), '--dry-run'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/two-docs\.yaml:4:1: invalid YAML: a second YAML document \(after a `---` separator\): helm, kubectl and flytectl read only the first document/);
    expect(r.stderr).not.toMatch(/parseAllDocuments|\n\s+at /);
  });
  it('a trailing `---` is accepted, as helm accepts it', async () => {
    const r = await runCli(['preflight', '-f', join(dir, 'trailing.yaml'), '--dry-run'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
  });
});
