// Alias bombs spread over many documents of a manifest file: each document stays under the
// per-document cap (values.ts parseYaml), but together they cost seconds apiece before any check
// runs, where --timeout does not reach. The set as a whole is capped: exit 2 naming the file and the
// line, at once. A manifest with a few anchors and aliases (a chart may write them) still loads.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { MAX_SET_ALIASES, readManifests } from '../../src/config/manifests.js';

const dir = mkdtempSync(join(tmpdir(), 'fd-hz-e-man-'));
const write = (name: string, text: string) => { writeFileSync(join(dir, name), text); return name; };

/** A ConfigMap whose `y` lists `aliases` aliases of a 400-item anchored list (expands to 400 × aliases values). */
const bombDoc = (i: number, aliases: number) => [
  'apiVersion: v1', 'kind: ConfigMap', `metadata: {name: hz-e-${i}, namespace: flyte}`,
  `x: &a [${Array.from({ length: 400 }, () => '"aaaaaaaaaaaaaaaaaaaa"').join(',')}]`,
  `y: [${Array.from({ length: aliases }, () => '*a').join(',')}]`, '',
].join('\n');

describe('manifests: aliases are capped over the whole set, not only per document', () => {
  it('60 documents, each with 999 aliases expanding to ~400k values: exit 2 at once, naming the file and line', () => {
    const f = write('bombs.yaml', Array.from({ length: 60 }, (_, i) => bombDoc(i, 999)).join('---\n'));
    const t0 = Date.now();
    let err: unknown;
    try { readManifests(f, dir); } catch (e) { err = e; }
    const ms = Date.now() - t0;
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(`bombs.yaml:7: more than ${MAX_SET_ALIASES} YAML aliases (*name) in the manifests together (an alias bomb spread over documents?): expected rendered manifests (helm template output), which rarely hold any`);
    expect(ms).toBeLessThan(2500);
  });

  it('a directory of files shares the one budget', () => {
    const sub = mkdtempSync(join(dir, 'd-'));
    for (let i = 0; i < 3; i++) writeFileSync(join(sub, `m${i}.yaml`), bombDoc(i, 600));
    expect(() => readManifests(sub, dir)).toThrow(/m1\.yaml:1: more than 1000 YAML aliases/);
  });

  it('a few anchors and aliases (and "&"/"*" in plain text) load as before', () => {
    const f = write('ok.yaml', [
      'apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: flyte-admin-base-config, namespace: flyte}',
      'data:', '  a.yaml: |', '    url: https://x.example/?a=1&b=*c', '  labels: &l "x"', '  again: *l', '',
    ].join('\n'));
    const set = readManifests(f, dir);
    expect(set).toBeDefined();
  });
});
