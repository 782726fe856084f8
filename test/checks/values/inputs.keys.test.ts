// values.inputs.keys through the loader and the real engine, on the real Flyte files in
// ../shared/fixtures and on hand-made mistakes: each unknown key is named with its file and the key
// meant, the fix names the exact rename (or the removal when that key is already set).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadTarget, type TargetInput } from '../../../src/config/load.js';
import { detectChart } from '../../../src/config/values.js';
import { UserError } from '../../../src/errors.js';
import { runCheck } from '../../harness/run-check.js';
import { SHARED_FIXTURES } from '../../harness/fixtures.js';

const ID = 'values.inputs.keys';
const VALUES = join(SHARED_FIXTURES, 'flyte-values');
const tmp = mkdtempSync(join(tmpdir(), 'fd-values-keys-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const load = (over: Partial<TargetInput>) => loadTarget({ values: [], set: [], env: {}, cwd: tmp, home: '/nonexistent-home', ...over });
const run = async (over: Partial<TargetInput>) => (await runCheck(ID, load(over))).result;

describe(ID, () => {
  it('passes on the charts\' own values and the official examples', async () => {
    for (const f of ['flyte-binary__values.yaml', 'flyte-binary__eks-production.yaml', 'flyte-core__values.yaml', 'flyte-core__values-dataplane.yaml', 'flyte-core__values-keycloak-idp-flyteclients-without-browser.yaml', 'flyte-sandbox__values.yaml', 'flyte__values.yaml']) {
      const r = await run({ values: [join(VALUES, f)] });
      expect(r, f).toMatchObject({ status: 'pass', messageId: 'none' });
    }
  });

  it('flyte-the-hard-way flyte-core: the doubled configmap.configmap.console, with the exact rename in its file', async () => {
    const file = join(VALUES, 'flyte-core__fthw-onprem-flyte-core-values.yaml');
    const r = await run({ values: [file] });
    expect(r).toMatchObject({ status: 'warn', messageId: 'unknown' });
    expect(r.message).toBe(`1 key flyte-core does not read (Helm ignores it silently) in ${file}: configmap.configmap.console: a doubled segment; did you mean configmap.console?`);
    expect(r.hint).toBe(`in ${file}: rename configmap.configmap.console to configmap.console`);
    expect(r.details?.['unknownKeys']).toEqual([{ key: 'configmap.configmap.console', origin: file, section: 'configmap', suggestion: 'configmap.console', reason: 'doubled' }]);
  });

  it('flyte-the-hard-way flyte-binary: flyte-core\'s storage.type is to be removed (provider is set), the unknown s3 `secure` named as such', async () => {
    const file = join(VALUES, 'flyte-binary__fthw-onprem-flyte-binary-values.yaml');
    const r = await run({ values: [file] });
    expect(r).toMatchObject({ status: 'warn', messageId: 'unknown' });
    expect(r.message).toBe(`2 keys flyte-binary does not read (Helm ignores them silently) in ${file}: configuration.storage.type: flyte-core's storage.type under flyte-binary's names; did you mean configuration.storage.provider? (already set here: remove configuration.storage.type); configuration.storage.providerConfig.s3.secure: no such key under configuration.storage.providerConfig.s3`);
    expect(r.hint).toBe(`in ${file}: remove configuration.storage.type (configuration.storage.provider is already set); remove configuration.storage.providerConfig.s3.secure, or find the key meant in the chart's values.yaml`);
    // a fix never asks to set what is already set
    expect(r.hint).not.toContain('rename configuration.storage.type');
  });

  it('hand-made typos: each named with its file and the key meant', async () => {
    const file = join(tmp, 'typos.yaml');
    writeFileSync(file, 'configuration:\n  databse:\n    host: db.internal\ningress:\n  create: true\n  hosts: flyte.example.org\n');
    const r = await run({ values: [file], set: ['configuration.auth.oidc.clientID=flyte'] });
    expect(r).toMatchObject({ status: 'warn', messageId: 'unknown' });
    expect(r.message).toBe(`3 keys flyte-binary does not read (Helm ignores them silently) in --set: configuration.auth.oidc.clientID: did you mean configuration.auth.oidc.clientId?; in ${file}: configuration.databse: did you mean configuration.database?; ingress.hosts: did you mean ingress.host?`);
    expect(r.hint).toBe(`in --set: rename configuration.auth.oidc.clientID to configuration.auth.oidc.clientId; in ${file}: rename configuration.databse to configuration.database; rename ingress.hosts to ingress.host`);
    // the one misspelt key whose right name is unset may explain other findings about that key
    expect(r.cause).toBeUndefined(); // three candidates: no single cause
    const one = await run({ set: ['configuration.databse.host=db.internal'] });
    expect(one.cause).toBe('config:configuration.database');
  });

  it('--chart flyte-binary on flyte-core values is bad input: one line naming the file, the flag and the chart the file is (exit 2), never a run reading every key wrong', () => {
    const file = join(VALUES, 'flyte-core__values-eks.yaml');
    let err: unknown;
    try { load({ values: [file], chart: 'flyte-binary' }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(`${file}: looks like flyte-core values (${detectChart(parse(readFileSync(file, 'utf8')))!.reason}), but --chart flyte-binary was given; pass --chart flyte-core, or drop --chart to detect it`);
  });

  it("flyte-core keys inside flyte-binary values: the other chart's keys, with the flyte-binary key each means", async () => {
    const file = join(tmp, 'mixed.yaml');
    writeFileSync(file, 'configuration:\n  database:\n    host: db.internal\ncommon:\n  ingress:\n    annotations:\n      a: b\ndb:\n  admin:\n    database:\n      host: other\n');
    const r = await run({ values: [file] });
    expect(r).toMatchObject({ status: 'warn', messageId: 'otherChart' });
    expect(r.message).toContain(`in ${file}: common.ingress.annotations: a flyte-core key; flyte-binary reads ingress.commonAnnotations`);
    const db = (r.details?.['unknownKeys'] as { key: string }[]).find((u) => u.key === 'db.admin.database.host');
    expect(db).toMatchObject({ key: 'db.admin.database.host', origin: file, section: 'db', suggestion: 'configuration.database.host', reason: 'otherChart', readBy: 'flyte-core' });
  });

  it('hundreds of unknown keys: the count, the first eight in the message and the first 200 in the details', async () => {
    const file = join(tmp, 'many.yaml');
    writeFileSync(file, `configuration:\n${Array.from({ length: 300 }, (_, i) => `  unknown${i}: ${i}\n`).join('')}`);
    const r = await run({ values: [file] });
    expect(r.message).toMatch(/^300 keys flyte-binary does not read \(Helm ignores them silently\) in .*; and 292 more \(details\.unknownKeys, the first 200\)$/);
    expect(r.details?.['total']).toBe(300);
    expect(r.details?.['unknownKeys']).toHaveLength(200);
    expect(r.hint).toMatch(/; and 294 more \(details\.unknownKeys\)$/);
  });

  it('a key renamed before this chart version names its new key', async () => {
    const r = await run({ set: ['configuration.agentService.defaultAgent.endpoint=dns:///agent:8000'] });
    expect(r.message).toBe('1 key flyte-binary does not read (Helm ignores it silently) in --set: configuration.agentService: renamed to configuration.connectorService');
    expect(r.hint).toBe('in --set: rename configuration.agentService to configuration.connectorService');
  });

  it('keys in maps users fill freely never warn', async () => {
    const file = join(tmp, 'free.yaml');
    writeFileSync(file, 'userSettings:\n  y: 1\nconfiguration:\n  inline:\n    storage:\n      x: 1\ndeployment:\n  podAnnotations:\n    a: b\nserviceAccount:\n  annotations:\n    eks.amazonaws.com/role-arn: arn:aws:iam::1:role/r\n');
    const r = await run({ values: [file] });
    expect(r).toMatchObject({ status: 'pass', messageId: 'none' });
  });

  it('skips with the reason when no Flyte values were given', async () => {
    expect(await run({})).toMatchObject({ status: 'skip', messageId: 'noValues', message: "no Helm values were given (--values, --set): nothing to compare with the chart's keys" });
    expect(await run({ chart: 'flyte-core' })).toMatchObject({ status: 'skip', messageId: 'noValues', message: 'no values file was given (--values) and no --set sets a key flyte-doctor maps: only --chart flyte-core, whose defaults are its own keys' });
    expect(await run({ chart: 'flyte-core', set: ['db.admin.database.host=db.internal'] })).toMatchObject({ status: 'pass', messageId: 'none' });
    const deps = await run({ values: [join(VALUES, 'flyte-deps__values.yaml')] });
    expect(deps).toMatchObject({ status: 'skip', messageId: 'noValues' });
    expect(deps.message).toMatch(/^the values are .+ values: flyte-doctor knows the keys of flyte-binary and flyte-core only$/);
  });
});
