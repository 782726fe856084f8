// values.inputs.keys on values written for the wrong level of the umbrella charts: flyte-binary's
// keys under the umbrella `flyte:` key (one level too deep), and flyte-core keys beside `flyte:` in
// umbrella values (Helm passes only `flyte:` to flyte-core). Before, the first was "no Helm values
// were given" (or a pass with --chart flyte-binary) and the second a pass.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTarget, type TargetInput } from '../../../src/config/load.js';
import { runCheck } from '../../harness/run-check.js';
import { SHARED_FIXTURES } from '../../harness/fixtures.js';

const ID = 'values.inputs.keys';
const VALUES = join(SHARED_FIXTURES, 'flyte-values');
const tmp = mkdtempSync(join(tmpdir(), 'hx-n-keys-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const load = (over: Partial<TargetInput>) => loadTarget({ values: [], set: [], env: {}, cwd: tmp, home: '/nonexistent-home', ...over });
const run = async (over: Partial<TargetInput>) => (await runCheck(ID, load(over))).result;
const write = (name: string, text: string): string => { const f = join(tmp, name); writeFileSync(f, text); return f; };

describe(`${ID}: umbrella-chart levels`, () => {
  it('flyte-binary keys under `flyte:`: named one level too deep, with the move (no chart detected, and --chart flyte-binary)', async () => {
    const file = write('wrapped.yaml', 'flyte:\n  configuration:\n    database:\n      host: db.internal\n  ingress:\n    create: true\n');
    const r = await run({ values: [file] });
    expect(r).toMatchObject({ status: 'warn', messageId: 'unknown' });
    expect(r.message).toContain(`in ${file}: flyte.configuration: flyte-binary's configuration one level too deep, under \`flyte:\``);
    expect(r.message).not.toContain('no Helm values were given');
    expect(r.hint).toBe(`in ${file}: move flyte.configuration up a level to configuration (remove the \`flyte:\` level); move flyte.ingress up a level to ingress (remove the \`flyte:\` level)`);
    const c = await run({ values: [file], chart: 'flyte-binary' });
    expect(c).toMatchObject({ status: 'warn', messageId: 'unknown' });
    expect(c.message).toContain('flyte-binary reads configuration at the top level, so Helm ignores it');
  });

  it('the key already at the top level too: merge, never a plain move onto a set key', async () => {
    const file = write('both.yaml', 'configuration:\n  database:\n    host: db.internal\nflyte:\n  configuration:\n    storage:\n      metadataContainer: b\n');
    const r = await run({ values: [file] });
    expect(r).toMatchObject({ status: 'warn', messageId: 'unknown' });
    expect(r.hint).toBe(`in ${file}: move flyte.configuration up a level, merging its keys into the configuration already there, and remove the \`flyte:\` level`);
  });

  it('umbrella flyte values with flyte-core keys beside `flyte:`: ignored by Helm, with the move under flyte:', async () => {
    const file = write('umbrella.yaml', 'flyte:\n  db:\n    admin:\n      database:\n        host: db.internal\nstorage:\n  type: s3\n  bucketName: my-bucket\nminio:\n  enabled: false\n');
    const r = await run({ values: [file] });
    expect(r).toMatchObject({ status: 'warn', messageId: 'unknown' });
    expect(r.message).toBe(`1 key flyte-core does not read (Helm ignores it silently) in ${file}: storage: a flyte-core key outside \`flyte:\`; the umbrella flyte chart passes only \`flyte:\` to flyte-core, so Helm ignores it`);
    expect(r.hint).toBe(`in ${file}: move storage under flyte: (flyte.storage)`);
  });

  it('values that are no Flyte chart\'s: the skip says what was given, not "no values were given"', async () => {
    const file = write('other.yaml', 'foo:\n  bar: 1\n');
    const r = await run({ values: [file] });
    expect(r).toMatchObject({ status: 'skip', messageId: 'noValues' });
    expect(r.message).toBe(`the values given (${file}) hold no key of flyte-binary or flyte-core (top-level keys: foo): nothing to compare with a chart's keys; pass --chart flyte-binary or --chart flyte-core if they are meant for one`);
  });

  it('the real umbrella, sandbox and chart values stay clean', async () => {
    for (const f of ['flyte__values.yaml', 'flyte-sandbox__values.yaml', 'flyte-binary__values.yaml', 'flyte-core__values.yaml', 'flyte-core__values-eks.yaml', 'flyte-binary__eks-production.yaml']) {
      const r = await run({ values: [join(VALUES, f)] });
      expect(r, f).toMatchObject({ status: 'pass', messageId: 'none' });
    }
  });
});
