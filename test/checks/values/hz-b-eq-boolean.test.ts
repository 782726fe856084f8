// flyte-core compares configmap.adminServer.server.security.secure with `eq ... true`
// (templates/common/ingress.yaml, define "grpcRoutes"): Go's `eq` refuses a string against a boolean,
// so `secure: "true"` (quoted) makes `helm install` fail with "error calling eq: incompatible types for
// comparison". Before: values.inputs.keys passed (the key is one the chart reads); now a fail naming the
// key, the file, the template and the unquoted boolean to write.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTarget, type TargetInput } from '../../../src/config/load.js';
import { runCheck } from '../../harness/run-check.js';

const ID = 'values.inputs.keys';
const tmp = mkdtempSync(join(tmpdir(), 'hz-b-eq-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const load = (over: Partial<TargetInput>) => loadTarget({ values: [], set: [], env: {}, cwd: tmp, home: '/nonexistent-home', ...over });
const run = async (over: Partial<TargetInput>) => (await runCheck(ID, load(over))).result;
const write = (name: string, text: string): string => { const f = join(tmp, name); writeFileSync(f, text); return f; };
const core = (secure: string, extra = '') => `db:\n  admin:\n    database:\n      host: db.internal\n${extra}configmap:\n  adminServer:\n    server:\n      security:\n        secure: ${secure}\n`;

describe(`${ID}: a key flyte-core compares with eq`, () => {
  it('secure: "true" (quoted): fail, the render stops; the fix is the unquoted boolean', async () => {
    const f = write('quoted.yaml', core('"true"'));
    const r = await run({ values: [f], chart: 'flyte-core' });
    expect(r, r.message).toMatchObject({ status: 'fail', messageId: 'helmEqType', cause: 'config:configmap.adminServer.server.security.secure' });
    expect(r.message).toContain(`configmap.adminServer.server.security.secure is a string ("true", in ${f}), but flyte-core compares it with \`eq ... true\` in templates/common/ingress.yaml`);
    expect(r.message).toContain('error calling eq: incompatible types for comparison');
    expect(r.hint).toBe(`in ${f}: write configmap.adminServer.server.security.secure: true (an unquoted boolean, not the string "true")`);
    expect(r.details).toMatchObject({ eqMismatches: [{ key: 'configmap.adminServer.server.security.secure', written: '"true"', comparedWith: true }] });
  });
  it('"false" quoted: the same failure, the fix says false; a later file that sets the boolean wins', async () => {
    const f = write('qfalse.yaml', core('"false"'));
    const r = await run({ values: [f], chart: 'flyte-core' });
    expect(r).toMatchObject({ status: 'fail', messageId: 'helmEqType' });
    expect(r.hint).toContain('secure: false (an unquoted boolean, not the string "false")');
    const fixed = write('fixed.yaml', 'configmap:\n  adminServer:\n    server:\n      security:\n        secure: false\n');
    expect((await run({ values: [f, fixed], chart: 'flyte-core' })).messageId).not.toBe('helmEqType');
  });
  it('the unquoted boolean, and flyte-binary values: no eq finding', async () => {
    expect((await run({ values: [write('ok.yaml', core('true'))], chart: 'flyte-core' })).messageId).not.toBe('helmEqType');
    expect((await run({ values: [write('bin.yaml', 'configuration:\n  database:\n    host: db.internal\n')], chart: 'flyte-binary' })).messageId).not.toBe('helmEqType');
  });
  it('with an unknown key too: the eq failure leads and the unknown key is still named', async () => {
    const f = write('both.yaml', core('"true"', 'common:\n  ingress:\n    hots: flyte.example.com\n'));
    const r = await run({ values: [f], chart: 'flyte-core' });
    expect(r).toMatchObject({ status: 'fail', messageId: 'helmEqType' });
    expect(r.message).toContain('; also: ');
    expect(r.message).toContain('common.ingress.hots');
  });
});
