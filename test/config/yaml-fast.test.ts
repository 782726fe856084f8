// The fast YAML path (src/config/yaml-fast.ts) reads exactly what the yaml package reads, or
// declines: held to the yaml package on every fixture (real values files, flytectl configs, rendered
// manifests, server configs), the test bed's generated inputs, and a corpus of edge cases.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parseDocument } from 'yaml';
import { fastYaml } from '../../src/config/yaml-fast.js';
import { goYamlBools, parseYaml } from '../../src/config/values.js';
import { SHARED_FIXTURES } from '../harness/fixtures.js';

const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => { const p = join(dir, f); return statSync(p).isDirectory() ? files(p) : [p]; });
// the yaml package, with Go yaml.v2's YAML 1.1 booleans (what every consumer of these files reads)
const reference = (t: string): unknown => {
  const doc = parseDocument(t, { uniqueKeys: false, merge: true });
  if (doc.errors.length) throw doc.errors[0];
  goYamlBools(doc);
  return doc.toJS();
};

describe('fast YAML', () => {
  it('every fixture document: the same value as the yaml package, or declined; most are taken', () => {
    let taken = 0, declined = 0;
    for (const f of files(SHARED_FIXTURES).filter((p) => /\.(ya?ml|config)$|config$/.test(p))) {
      const text = readFileSync(f, 'utf8');
      let docs: string[];
      try { docs = parseAllDocuments(text).length > 1 ? text.split(/^---[^\n]*\n/m).filter((d) => d.trim()) : [text]; } catch { continue; }
      for (const d of docs) {
        let ref: unknown;
        try { ref = reference(d); } catch { expect(fastYaml(d), f).toBeUndefined(); continue; }
        const fast = fastYaml(d);
        if (fast === undefined) { declined++; continue; }
        expect(fast, f).toEqual(ref);
        taken++;
      }
    }
    expect(taken).toBeGreaterThan(40);
    expect(declined).toBeGreaterThan(0); // real files with block scalars exist, and go the yaml way
  });

  // What Helm (sigs.k8s.io/yaml v1.4.0, Go's yaml.v2) makes of these, recorded with `go run`:
  // {"a":2842,"b":5432,"c":5,"d":8,"e":31,"f":-10,"g":15,"h":1000.5,"i":"2023-01-01","j":16,"k":83}
  it('plain numbers resolve as Go\'s yaml.v2 reads them (a leading 0 is octal, _ is dropped), in both paths', () => {
    const go = { a: 2842, b: 5432, c: 5, d: 8, e: 31, f: -10, g: 15, h: 1000.5, i: '2023-01-01', j: 16, k: 83, q: '05432' };
    const block = 'a: 05432\nb: 5_432\nc: 0b101\nd: 08\ne: 0X1F\nf: -012\ng: 0o17\nh: 1_000.5\ni: 2023-01-01\nj: +0x10\nk: 0123\nq: "05432"\n';
    expect(fastYaml(block)).toEqual(go);
    expect(parseYaml('x', `{${block.trim().split('\n').join(', ')}}`)).toEqual(go); // flow mapping: the yaml package path
    expect(parseYaml('x', `${block}r: !!str 0123\n`)).toEqual({ ...go, r: '0123' }); // a tag: as tagged
  });

  it('plain scalars resolve as the YAML 1.2 core schema does (null, bool, int, float, string), with Go yaml.v2\'s YAML 1.1 booleans', () => {
    const scalars = ['0', '-0', '+1', '42', '0123', '0o17', '0o8', '0x1F', '0xg', '0b101', '1e3', '1E-3', '+1.5e+2', '.5', '+.5', '1.', '-1.0', '1e', 'e3',
      '.inf', '-.Inf', '+.INF', '.nan', '.NaN', '.NAN', 'inf', 'nan', 'null', 'Null', 'NULL', 'nULL', '~', 'true', 'True', 'TRUE', 'tRUE', 'false', 'False', 'FALSE',
      'yes', 'no', 'on', 'off', 'y', 'n', '1_000', '12:30', '1.2.3', 'v1.2', 'a b', 'a  b', 'a#b', 'http://x:80/p?q=1#f', 'repo:tag', '9007199254740993',
      '123456789012345678901234567890', '-', 'a-', '-a', '@x', '%x', '`x`', 'a,b', 'a]', 'ü', '"', "'"];
    let taken = 0;
    for (const s of scalars) {
      for (const text of [`k: ${s}\n`, `- ${s}\n`, `k:\n  - ${s}\n`]) {
        let ref: unknown;
        try { ref = reference(text); } catch { expect(fastYaml(text), text).toBeUndefined(); continue; }
        const fast = fastYaml(text);
        if (fast === undefined) continue;
        expect(fast, JSON.stringify(text)).toEqual(ref);
        taken++;
      }
    }
    expect(taken).toBeGreaterThan(150);
    // (a leading 0 is octal for Go's yaml.v2: `0123` is 83, see below)
    expect(fastYaml('a: 0o17\nb: 0x1F\nc: 1e3\nd: .inf\ne: ~\nf: True\ng: 0123\nh: "0123"\n')).toEqual({ a: 15, b: 31, c: 1000, d: Infinity, e: null, f: true, g: 83, h: '0123' });
    // Helm (sigs.k8s.io/yaml), client-go and viper 1.11 read a plain yes/on/y as true, no/off/n as false; quoted, a string
    expect(fastYaml('a: yes\nb: Off\nc: y\nd: N\ne: "yes"\nf: yES\n')).toEqual({ a: true, b: false, c: true, d: false, e: 'yes', f: 'yES' });
    expect(parseYaml('x', 'a: [yes, "no"]\nb: {c: on}\n')).toEqual({ a: [true, 'no'], b: { c: true } }); // the yaml package path too
    // merge keys (`<<: *anchor`), which Go yaml.v2 applies: explicit keys win, whatever their order
    expect(parseYaml('x', 'base: &b\n  host: db.x\n  port: 5433\ndb:\n  port: 5434\n  <<: *b\n  name: f\n')).toEqual({ base: { host: 'db.x', port: 5433 }, db: { host: 'db.x', port: 5434, name: 'f' } });
  });

  const cases: [string, 'taken' | 'declined'][] = [
    ['a: 1\nb:\n  c: x\n  d: [ ]\n', 'declined'],
    ['a: 1\nb:\n  c: x\n  d: []\n  e: {}\n', 'taken'],
    ['# only a comment\na: 1 # trailing\n  # indented comment\nb: "x # not a comment" # c\n', 'taken'],
    ['---\na: 1\n', 'taken'],
    ['a: 1\n---\nb: 2\n', 'declined'],
    ['a: 1\n...\n', 'declined'],
    ['%YAML 1.2\n---\na: 1\n', 'declined'],
    ['list:\n- a\n- b: 1\n  c: 2\n-\n  d: 3\n- - nested\n', 'declined'],
    ['list:\n- a\n- b: 1\n  c: 2\n-\n  d: 3\n-\n', 'taken'],
    ['list:\n  - name: a\n    value: "1"\n  - name: b\n    valueFrom:\n      secretKeyRef: {}\n', 'taken'],
    ['containers:\n- name: a\n  args:\n  - x\n  - y\n  image: foo\nnext: 1\n', 'taken'],
    ['- a\nb: 1\n', 'declined'],
    ['a:\n  - x\n  b: 1\n', 'declined'],
    ['a: |\n  text\n', 'declined'],
    ['a: >-\n  text\n', 'declined'],
    ['a: &x 1\nb: *x\n', 'declined'],
    ['a: !!str 1\n', 'declined'],
    ['a: {b: 1}\n', 'declined'],
    ['a: [1, 2]\n', 'declined'],
    ['a: b\n  c\n', 'declined'],
    ['a: b: c\n', 'declined'],
    ['a: 1\na: 2\n', 'declined'],
    ['? a\n: 1\n', 'declined'],
    ['<<: {}\n', 'declined'],
    ['__proto__: 1\n', 'declined'],
    ['a:\tb\n', 'declined'],
    ['a: "multi\n  line"\n', 'declined'],
    ["a: 'it''s'\nb: \"q\\\"x\\\\y\\n\"\n", 'taken'],
    ['a: "\\x41"\n', 'declined'],
    ['"quoted key": 1\n\'single key\': 2\n', 'taken'],
    ['my key: 1\n', 'declined'],
    ['1: a\n', 'declined'],
    ['true: a\n', 'declined'],
    ['a:b\n', 'declined'],
    ['a: 1\r\nb:\r\n  c: 2\r\n', 'taken'],
    ['\ufeffa: 1\n', 'declined'],
    ['', 'declined'],
    ['# nothing\n', 'declined'],
    ['plain scalar\n', 'declined'],
    ['a:\n    b: 1\n  c: 2\n', 'declined'],
    ['a:\n  b: 1\n c: 2\n', 'declined'],
    ['image: cr.flyte.org/flyteorg/flyte-binary:v1.16.0\nurl: http://minio.flyte.svc:9000\nkey: "a: b"\n', 'taken'],
    ['a: -1\nb: - x\n', 'declined'],
    ['a: "x" y\n', 'declined'],
    ['a: x #c\nb: x#c\n', 'taken'],
  ];
  for (const [text, want] of cases) {
    it(`${want}: ${JSON.stringify(text).slice(0, 70)}`, () => {
      const fast = fastYaml(text);
      if (want === 'declined') { expect(fast).toBeUndefined(); return; }
      expect(fast).not.toBeUndefined();
      expect(fast).toEqual(reference(text));
    });
  }

  it('parseYaml gives the same value either way, and the yaml path still reports what the fast path declines', () => {
    expect(parseYaml('f', 'a:\n  b: [ ]\n')).toEqual({ a: { b: [] } });
    expect(parseYaml('f', 'a:\n  b: []\n')).toEqual({ a: { b: [] } });
    expect(() => parseYaml('f.yaml', 'a: 1\na: 2\n')).toThrow(/^f\.yaml:2:1: invalid YAML: Map keys must be unique \("a" appears twice\)$/);
    expect(() => parseYaml('f.yaml', 'a: b: c\n')).toThrow(/^f\.yaml:1:\d+: invalid YAML: /);
    const deep = `${Array.from({ length: 70 }, (_, i) => `${' '.repeat(i * 2)}k${i}:`).join('\n')} 1\n`;
    expect(fastYaml(deep)).toBeUndefined();
    expect(() => parseYaml('deep.yaml', deep)).toThrow(/nested too deeply/);
  });
});
